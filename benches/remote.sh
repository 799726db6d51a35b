#!/bin/sh
# Whole-command time and memory of `modelvet scan hf://...` on loopback, against the Hub
# stand-in of tests/common/hub_server.rs serving the issue-6 fixture repositories
# (2 GiB sparse safetensors, 1 GiB torch zip with a malicious data.pkl, GGUF with an
# injected chat template, an LFS file whose hash does not match). Prints bytes read per
# repository and /usr/bin/time -v's wall clock and maximum RSS of each release-build run.
set -eu
cd "$(dirname "$0")/.."
cargo test --release --test remote_scan -- --ignored --nocapture measure_whole_command
