#!/bin/sh
# `modelvet bom` against the peers that also write CycloneDX for a model folder
# (aisbom-cli, modelaudit --sbom), in the same run, on the same inputs:
#   - big: a Hugging Face folder (the hf_model_card_full card, config and tokenizer files)
#     with a 1 GiB model.safetensors written by the safetensors library;
#   - mal: the same small files plus a pickle whose REDUCE calls os.system("echo ...").
# For each tool: wall time and peak RSS (/usr/bin/time -v), whether cyclonedx-python-lib's
# strict validator accepts the document, and what it holds (file hashes, a modelCard,
# vulnerabilities). `openssl dgst -sha256` over the same files is the hashing floor.
#
# Peers live in their own venv (never in the test venv):
#   python3 -m venv bench-work/peers-venv
#   bench-work/peers-venv/bin/pip install aisbom-cli modelaudit
# Telemetry of both is switched off through their documented variables.
set -eu
cd "$(dirname "$0")/.."
ROOT=$PWD
W=$ROOT/bench-work/bom
PEERS=${PEERS_VENV:-$ROOT/bench-work/peers-venv}
MODELVET=$ROOT/target/release/modelvet
export AISBOM_NO_TELEMETRY=1 AISBOM_OFFLINE=1 PROMPTFOO_DISABLE_TELEMETRY=1 NO_COLOR=1
export SOURCE_DATE_EPOCH=1700000000

cargo build --release --quiet
mkdir -p "$W"
CARD=testdata/fixtures/formats/hf_model_card_full
for d in big mal; do
    rm -rf "${W:?}/$d" && mkdir -p "$W/$d"
    cp "$CARD/README.md" "$CARD/config.json" "$CARD/tokenizer_config.json" "$W/$d/"
done
.venv/bin/python - "$W/big/model.safetensors" <<'PY'
import sys
import numpy as np
from safetensors.numpy import save_file
save_file({"model.embed_tokens.weight": np.zeros((16384, 16384), "<f4")}, sys.argv[1], metadata={"format": "pt"})
PY
cp testdata/fixtures/malicious/evasion08_torch_zip_payload.pt "$W/mal/pytorch_model.bin"

measure() { # name, out-file (- for none), command...
    name=$1; out=$2; shift 2
    [ "$out" = - ] || rm -f "$out"
    /usr/bin/time -v "$@" >"$W/$name.stdout" 2>"$W/$name.time" || true
    wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$W/$name.time")
    rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$W/$name.time")
    if [ "$out" = - ]; then
        verdict="-"; shape="-"
    elif [ -s "$out" ]; then
        verdict=$(.venv/bin/python testdata/validate_cyclonedx.py "$out" 2>&1 | sed 's/^[^:]*: //' | cut -c1-90 || true)
        shape=$(.venv/bin/python - "$out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
comps = []
def walk(c):
    comps.append(c)
    for x in c.get("components", []):
        walk(x)
for c in ([d["metadata"]["component"]] if "component" in d.get("metadata", {}) else []) + d.get("components", []):
    walk(c)
hashed = sum(1 for c in comps if c.get("hashes"))
cards = sum(1 for c in comps if c.get("modelCard"))
vulns = len(d.get("vulnerabilities", []))
print(f"spec {d.get('specVersion')}, {len(comps)} components, {hashed} with hashes, {cards} modelCard, {vulns} vulnerabilities")
PY
)
    else
        verdict="no BOM written"; shape="-"
    fi
    printf '%-34s wall %-8s rss %7s KiB | %s | %s\n' "$name" "$wall" "$rss" "$verdict" "$shape"
}

for d in big mal; do
    echo "== $d ($(du -sh "$W/$d" | cut -f1))"
    measure "openssl-$d" - sh -c "openssl dgst -sha256 $W/$d/* >/dev/null"
    measure "modelvet-bom-$d" "$W/modelvet-$d.cdx.json" "$MODELVET" bom "$W/$d" -o "$W/modelvet-$d.cdx.json"
    measure "aisbom-$d" "$W/aisbom-$d.json" "$PEERS/bin/aisbom" scan "$W/$d" --output "$W/aisbom-$d.json" --format json --no-fail-on-risk --no-share
    measure "modelaudit-$d" "$W/modelaudit-$d.cdx.json" "$PEERS/bin/modelaudit" scan "$W/$d" --sbom "$W/modelaudit-$d.cdx.json" --format json --output "$W/modelaudit-$d.report.json"
done
