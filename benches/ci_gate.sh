#!/usr/bin/env bash
# `modelvet scan .` on an ordinary ML application repository, as CI runs it: sources, a
# virtual environment with installed packages, Git metadata, node_modules, and models/
# with safetensors shards and a joblib file. Prints artifacts, findings, exit code, SARIF
# size, wall time and peak RSS, with the default scope and with --no-default-excludes.
#
#   benches/ci_gate.sh [MODELVET_BINARY ...]
#
# Give several binaries (for example one built from an older commit with
# `git worktree add`) to compare them in the same run. Needs the test venv (.venv, made
# by scripts/test.sh); node_modules comes from target/npm when scripts/test.sh made it.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
bins=("$@")
[ ${#bins[@]} -gt 0 ] || bins=("${CARGO_TARGET_DIR:-$ROOT/target}/release/modelvet")
[ -x .venv/bin/python ] || { echo "no .venv: run scripts/test.sh first"; exit 1; }

app=$(mktemp -d)/mlapp
trap 'rm -rf "$(dirname "$app")"' EXIT
mkdir -p "$app/src" "$app/models/llm"
cp -al "$ROOT/.venv" "$app/.venv"
if [ -d "$ROOT/target/npm/node_modules" ]; then
    cp -al "$ROOT/target/npm/node_modules" "$app/node_modules"
fi
printf 'import torch\nmodel = torch.load("models/head.joblib")\n' > "$app/src/train.py"
printf 'from transformers import AutoModel\n' > "$app/src/serve.py"
printf '__pycache__/\n*.log\n' > "$app/.gitignore"
cp testdata/fixtures/formats/hf_sharded_ok/* "$app/models/llm/"
cp testdata/fixtures/benign/sklearn_logreg.joblib "$app/models/head.joblib"
git -C "$app" init -q
git -C "$app" add src models .gitignore
git -C "$app" -c user.name=bench -c user.email=bench@invalid commit -qm init

measure() {
    local bin=$1; shift
    local out; out=$(mktemp)
    /usr/bin/time -f '%e %M' -o "$out.time" "$bin" scan . "$@" --format json -o "$out" 2>/dev/null || true
    "$bin" scan . "$@" --format sarif -o "$out.sarif" 2>/dev/null || true
    read -r wall rss < <(tail -n 1 "$out.time")
    "$ROOT/.venv/bin/python" - "$out" "$out.sarif" "$wall" "$rss" "$bin $*" <<'PY'
import json, os, sys
report = json.load(open(sys.argv[1]))
s = report["summary"]
f = s["findings"]
print(f"{sys.argv[5]}: {len(report['artifacts'])} artifacts, findings {f}, exit {s['exit_code']}, "
      f"SARIF {os.path.getsize(sys.argv[2]) / 1024:.0f} KiB, {sys.argv[3]} s, {int(sys.argv[4]) / 1024:.1f} MiB")
PY
    rm -f "$out" "$out.time" "$out.sarif"
}

cd "$app"
echo "repository: $(du -sh --apparent-size . | cut -f1), $(find . -type f | wc -l) files"
for bin in "${bins[@]}"; do
    measure "$bin"
    measure "$bin" --no-default-excludes
done
