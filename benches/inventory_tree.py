"""Writes a synthetic application of N Python files (default 10,000) for timing
`modelvet inventory` (benches/README.md): ordinary modules of about 120 lines, one in
ten loading a model (transformers, huggingface_hub, torch.load, an OpenAI client).
Deterministic: the same N gives the same bytes.

Usage: inventory_tree.py OUT_DIR [N] [LOADING_EVERY]
LOADING_EVERY: one file in this many loads models (default 10; 1 = every file, the worst
case for the inventory, which skips files that import no loader's module).
"""

import pathlib
import sys

ORDINARY = '''"""Module {i}: request handling and helpers."""
import json
import logging
from dataclasses import dataclass, field

log = logging.getLogger(__name__)
LIMIT = {i}


@dataclass
class Record{i}:
    name: str
    values: list = field(default_factory=list)

    def total(self):
        return sum(v for v in self.values if v is not None)

    def to_json(self):
        return json.dumps({{"name": self.name, "values": self.values}})

'''

FUNCTION = '''
def handler_{i}_{j}(payload, retries=3):
    """Handles one payload; retries on transient errors."""
    for attempt in range(retries):
        try:
            data = json.loads(payload)
            items = [x * 2 for x in data.get("items", []) if x > {j}]
            return {{"ok": True, "count": len(items), "attempt": attempt}}
        except ValueError as e:
            log.warning("bad payload %s: %s", payload[:40], e)
    return {{"ok": False}}
'''

LOADER = '''
from transformers import AutoModelForSequenceClassification, AutoTokenizer
from huggingface_hub import hf_hub_download
import torch
from openai import OpenAI

MODEL = "acme/model-{i}"
tokenizer = AutoTokenizer.from_pretrained(MODEL)
model = AutoModelForSequenceClassification.from_pretrained(MODEL, revision="main")
path = hf_hub_download("acme/weights-{i}", "model.safetensors")
state = torch.load(path, weights_only=True)
client = OpenAI()
client.chat.completions.create(model="gpt-4o-mini", messages=[])
'''


def main(out, n, every):
    out = pathlib.Path(out)
    for i in range(n):
        d = out / f"pkg{i // 100:03d}"
        d.mkdir(parents=True, exist_ok=True)
        text = ORDINARY.format(i=i) + "".join(FUNCTION.format(i=i, j=j) for j in range(8))
        if i % every == 0:
            text += LOADER.format(i=i)
        (d / f"module_{i:05d}.py").write_text(text)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 10_000,
         int(sys.argv[3]) if len(sys.argv) > 3 else 10)
