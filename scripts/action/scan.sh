#!/usr/bin/env bash
# Step 2 of action.yml: scans, writes SARIF, sets the step's outputs, adds a summary to
# the job page, and exits with modelvet's exit code (the upload step runs regardless).
# Inputs (environment): INPUT_PATHS, INPUT_FAIL_ON, INPUT_CONFIG, INPUT_ARGS, INPUT_SARIF.
set -uo pipefail

read -r -d '' -a paths <<< "${INPUT_PATHS:-.}" || true
read -r -d '' -a extra <<< "${INPUT_ARGS:-}" || true
sarif="${INPUT_SARIF:-modelvet.sarif}"
mkdir -p "$(dirname "$sarif")"

args=(scan --format sarif --output "$sarif" --fail-on "${INPUT_FAIL_ON:-medium}")
if [ -n "${INPUT_CONFIG:-}" ]; then
    args+=(--config "$INPUT_CONFIG")
fi
args+=("${extra[@]}" -- "${paths[@]}")

echo "modelvet ${args[*]}"
# The summary line goes to stderr, so the log says why the step failed.
modelvet "${args[@]}"
code=$?

{
    echo "exit-code=$code"
    if [ -s "$sarif" ]; then echo "sarif=$sarif"; else echo "sarif="; fi
} >> "${GITHUB_OUTPUT:?GITHUB_OUTPUT is not set}"

if [ -s "$sarif" ] && [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
    python3 - "$sarif" "$code" >> "$GITHUB_STEP_SUMMARY" <<'PY'
import json
import sys

log = json.load(open(sys.argv[1], encoding="utf-8"))
code = int(sys.argv[2])
verdict = {0: "passed", 1: "findings", 2: "incomplete", 3: "error"}.get(code, f"exit {code}")
results = [r for run in log.get("runs", []) for r in run.get("results", [])]
open_results = [r for r in results if not r.get("suppressions")]
print(f"### modelvet: {verdict}\n")
print(f"{len(open_results)} finding(s), {len(results) - len(open_results)} suppressed; exit code {code}.\n")
if open_results:
    print("| level | rule | file | message |")
    print("|---|---|---|---|")
    for r in open_results[:50]:
        loc = r.get("locations", [{}])[0].get("physicalLocation", {}).get("artifactLocation", {}).get("uri", "")
        message = r.get("message", {}).get("text", "").replace("|", "\\|").replace("\n", " ")
        print(f"| {r.get('level', '')} | {r.get('ruleId', '')} | `{loc}` | {message} |")
    if len(open_results) > 50:
        print(f"\n... and {len(open_results) - 50} more in the SARIF report.")
PY
fi
exit "$code"
