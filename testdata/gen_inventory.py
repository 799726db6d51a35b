"""The fixture application for `modelvet inventory` (tests/inventory.rs): Python that
loads models every way the inventory knows (aliased and star-free imports, module
constants, client objects, dynamic names), configuration, an .env example, a download
script, a Dockerfile, a requirements file and two model files, plus false friends: model
names in a docstring, a test string and a function of the application's own called
`from_pretrained`. Called by generate.py.

Nothing here runs: the sources are text. `EXPECTED` lists every reference the inventory
must find (file, line, kind, id) and nothing else; tests/inventory.rs reads it from
testdata/fixtures/inventory/expected.json.
"""

from __future__ import annotations

import io
import json

import numpy as np

import gen_formats as f

PIN_A = "0123456789abcdef0123456789abcdef01234567"
PIN_B = "89abcdef0123456789abcdef0123456789abcdef"

MAIN_PY = f'''"""Serving entry point.

It once used meta-llama/Llama-3.1-8B; that name appears only in this docstring.
"""
import os

import anthropic
import joblib
import torch
import transformers as tf
from datasets import load_dataset
from huggingface_hub import hf_hub_download, snapshot_download
from openai import OpenAI
from sentence_transformers import SentenceTransformer
from transformers import AutoModel as M, AutoTokenizer, pipeline

MODEL_ID = "acme/sentiment-base"
PINNED = "{PIN_A}"

tokenizer = AutoTokenizer.from_pretrained(MODEL_ID, revision=PINNED)
model = M.from_pretrained(MODEL_ID)
chat = tf.AutoModelForCausalLM.from_pretrained("acme/chat-7b", revision="main", trust_remote_code=True)
clf = pipeline("text-classification", model="distilbert/distilbert-base-uncased-finetuned-sst-2-english")
weights = hf_hub_download(repo_id="acme/detector", filename="model.safetensors", revision="{PIN_B}")
snapshot_download("acme/eval-set", repo_type="dataset")
embedder = SentenceTransformer(os.environ["EMBEDDER"])
reviews = load_dataset("acme/reviews", trust_remote_code=True)
state = torch.load("checkpoints/last.pt")
scaler = joblib.load("models/scaler.joblib")
safe_state = torch.load("checkpoints/last.pt", weights_only=True)
backbone = torch.hub.load("pytorch/vision:v0.20.0", "resnet50")

client = OpenAI()
reply = client.chat.completions.create(model="gpt-4o", messages=[])
pinned_reply = client.chat.completions.create(model="gpt-4o-2024-08-06", messages=[])
claude = anthropic.Anthropic()
claude.messages.create(model="claude-3-5-sonnet-20241022", max_tokens=10, messages=[])
'''

LLM_PY = '''"""Hosted and local LLM clients."""
import boto3
from langchain_openai import ChatOpenAI
from llama_index.llms.anthropic import Anthropic
from vllm import LLM

chat = ChatOpenAI(model="gpt-4o-mini", temperature=0)
summarizer = Anthropic(model="claude-3-5-haiku-20241022")
bedrock = boto3.client("bedrock-runtime")
bedrock.converse(modelId="amazon.titan-text-express-v1", messages=[])
local = LLM(model="acme/served-8b", revision="{PIN_A}")
'''

TEST_PY = '''"""False friends: model-like strings that no loader receives."""


def from_pretrained(name):
    return name


def test_names():
    assert "acme/not-a-model" in "acme/not-a-model, listed"
    name = "meta-llama/Llama-3.1-8B"
    print(f"loading {name}")
    from_pretrained("acme/local-helper")
'''

TRAIN_YAML = b"""# Fine-tuning recipe
model:
  model_name_or_path: acme/base-13b
data:
  dataset_name: acme/instructions
description: fine-tunes acme/other-model for reviews
"""

SERVE_JSON = f.jbytes({"model": "acme/serve-model", "revision": PIN_A, "port": 8080})

ENV_EXAMPLE = b"""# copy to .env
OPENAI_MODEL=gpt-4o-mini
HF_MODEL_ID=acme/env-model
LOG_LEVEL=info
"""

# No wget/curl line: fixtures carry no download commands (generate.FORBIDDEN); the
# inventory's URL reading is unit-tested in src/inventory/text_files.rs.
DOWNLOAD_SH = """#!/usr/bin/env bash
set -e
huggingface-cli download acme/cli-model --revision v1.0 \\
  --local-dir models/cli
hf download acme/data --repo-type dataset
ollama pull llama3.2
""".encode()

DOCKERFILE = b"""FROM python:3.11-slim
RUN pip install -r requirements.txt
RUN huggingface-cli download acme/docker-model
CMD ["python", "app/main.py"]
"""

UV_LOCK = b"""version = 1
requires-python = ">=3.11"

[[package]]
name = "requests"
version = "2.32.3"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "transformers"
version = "4.57.1"
source = { registry = "https://pypi.org/simple" }
"""


def notebook() -> bytes:
    """A notebook written by nbformat (pinned), its cell ids fixed so the bytes repeat."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
    nb = new_notebook(cells=[
        new_markdown_cell("Exploring acme/markdown-only (prose, not a reference)", id="intro"),
        new_code_cell("%pip install transformers\nfrom transformers import AutoModel", id="imports"),
        new_code_cell("model = AutoModel.from_pretrained(\"acme/nb-model\")", id="load"),
        new_code_cell("!huggingface-cli download acme/nb-cli --revision " + PIN_B, id="fetch"),
    ])
    nbformat.validate(nb)
    return nbformat.writes(nb).encode()


REQUIREMENTS = b"""torch==2.6.0
transformers>=4.50
openai
requests==2.32.3
"""

# (file, line, kind, id or None for dynamic) of every reference, and the rules each raises.
EXPECTED = [
    ("app/main.py", 20, "model", "acme/sentiment-base", []),
    ("app/main.py", 21, "model", "acme/sentiment-base", ["MV1401"]),
    ("app/main.py", 22, "model", "acme/chat-7b", ["MV1401", "MV1402"]),
    ("app/main.py", 23, "model", "distilbert/distilbert-base-uncased-finetuned-sst-2-english", ["MV1401"]),
    ("app/main.py", 24, "model", "acme/detector", []),
    ("app/main.py", 25, "dataset", "acme/eval-set", ["MV1401"]),
    ("app/main.py", 26, "model", None, []),
    ("app/main.py", 27, "dataset", "acme/reviews", ["MV1401", "MV1402"]),
    ("app/main.py", 28, "loader", "checkpoints/last.pt", ["MV1403"]),
    ("app/main.py", 29, "loader", "models/scaler.joblib", ["MV1403"]),
    ("app/main.py", 30, "loader", "checkpoints/last.pt", []),
    ("app/main.py", 31, "code-repository", "pytorch/vision:v0.20.0", ["MV1402"]),
    ("app/main.py", 34, "api-model", "gpt-4o", ["MV1404"]),
    ("app/main.py", 35, "api-model", "gpt-4o-2024-08-06", []),
    ("app/main.py", 37, "api-model", "claude-3-5-sonnet-20241022", []),
    ("configs/train.yaml", 3, "model", "acme/base-13b", ["MV1401"]),
    ("configs/train.yaml", 5, "dataset", "acme/instructions", ["MV1401"]),
    ("configs/serve.json", 2, "model", "acme/serve-model", []),
    (".env.example", 2, "api-model", "gpt-4o-mini", ["MV1404"]),
    (".env.example", 3, "model", "acme/env-model", ["MV1401"]),
    ("scripts/download.sh", 3, "model", "acme/cli-model", ["MV1401"]),
    ("scripts/download.sh", 5, "dataset", "acme/data", ["MV1401"]),
    ("scripts/download.sh", 6, "api-model", "llama3.2", ["MV1404"]),
    ("Dockerfile", 3, "model", "acme/docker-model", ["MV1401"]),
    ("app/llm.py", 7, "api-model", "gpt-4o-mini", ["MV1404"]),
    ("app/llm.py", 8, "api-model", "claude-3-5-haiku-20241022", []),
    ("app/llm.py", 10, "api-model", "amazon.titan-text-express-v1", []),
    ("app/llm.py", 11, "model", "acme/served-8b", []),
    # notebook lines are lines of their code cell (cell 3 and 4)
    ("notebooks/explore.ipynb", 1, "model", "acme/nb-model", ["MV1401"]),
    ("notebooks/explore.ipynb", 1, "model", "acme/nb-cli", []),
    ("models/classifier.safetensors", 0, "artifact", None, []),
    ("models/scaler.joblib", 0, "artifact", None, []),
]


def generate(r):
    from safetensors.numpy import save
    import joblib
    from sklearn.preprocessing import StandardScaler

    weights = save({"classifier.weight": np.linspace(-1, 1, 8, dtype="<f4").reshape(2, 4)})
    scaler = StandardScaler().fit(np.arange(12, dtype="<f8").reshape(4, 3))
    buf = io.BytesIO()
    joblib.dump(scaler, buf)
    lines = MAIN_PY.splitlines()
    for file, line, kind, ident, _ in EXPECTED:
        if file == "app/main.py" and ident and kind != "loader":
            assert ident.split(":")[0] in lines[line - 1] or "MODEL_ID" in lines[line - 1], (line, ident)
    f.add_dir(r, "inventory/app", [
        ("app/main.py", MAIN_PY.encode()),
        ("app/tests/test_strings.py", TEST_PY.encode()),
        ("app/llm.py", LLM_PY.replace("{PIN_A}", PIN_A).encode()),
        ("notebooks/explore.ipynb", notebook()),
        ("uv.lock", UV_LOCK),
        ("configs/train.yaml", TRAIN_YAML),
        ("configs/serve.json", SERVE_JSON),
        (".env.example", ENV_EXAMPLE),
        ("scripts/download.sh", DOWNLOAD_SH),
        ("Dockerfile", DOCKERFILE),
        ("requirements.txt", REQUIREMENTS),
        ("models/classifier.safetensors", weights),
        ("models/scaler.joblib", buf.getvalue()),
    ], "benign", "an application's source tree for `modelvet inventory`: every reference pattern it "
       "knows (Python loaders, configs, .env, scripts, Dockerfile) and false friends; `scan` "
       "finds nothing in it (its model files are a safetensors file and a StandardScaler)")
    r.extra_file("inventory/expected.json", f.jbytes([
        {"file": file, "line": line, "kind": kind, "id": ident, "rules": rules}
        for file, line, kind, ident, rules in EXPECTED
    ]))
