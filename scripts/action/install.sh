#!/usr/bin/env bash
# Step 1 of action.yml: installs modelvet into its own virtual environment under the
# runner's temp folder and puts it on PATH for the later steps.
# Inputs (environment): MODELVET_VERSION (from PyPI), MODELVET_WHEEL (a wheel file),
# MODELVET_SOURCE (the action's folder, built from source when neither is given).
set -euo pipefail

venv="${RUNNER_TEMP:?RUNNER_TEMP is not set}/modelvet-venv"
python3 -m venv "$venv"
pip=("$venv/bin/python" -m pip install --quiet --disable-pip-version-check)

if [ -n "${MODELVET_WHEEL:-}" ]; then
    "${pip[@]}" "$MODELVET_WHEEL"
elif [ -n "${MODELVET_VERSION:-}" ]; then
    "${pip[@]}" "modelvet==${MODELVET_VERSION}"
else
    "${pip[@]}" "${MODELVET_SOURCE:?MODELVET_SOURCE is not set}"
fi

echo "$venv/bin" >> "${GITHUB_PATH:?GITHUB_PATH is not set}"
"$venv/bin/modelvet" --version
