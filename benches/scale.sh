#!/bin/sh
# Registry-scale numbers (docs/scale.md): `scan --targets-from` over 2,000 local model
# folders and 300 typical Hub repositories served by the loopback stand-in
# (tests/common/hub_server.rs), without the verdict cache, with it cold and warm. Prints a
# Markdown table: wall clock and peak RSS from /usr/bin/time -v of each release-build run,
# targets per second, bytes and requests per target, cache hits. With picklescan in
# bench-work/venv (benches/compare.sh installs it), also the per-target loop a registry
# runs with it today, on the first 200 local targets.
#
#   bash benches/scale.sh            (SCALE_LOCAL_TARGETS, SCALE_REMOTE_TARGETS to resize)
set -eu
cd "$(dirname "$0")/.."
if [ -x bench-work/venv/bin/picklescan ]; then
    SCALE_PICKLESCAN="$PWD/bench-work/venv/bin/picklescan"
    export SCALE_PICKLESCAN
fi
cargo test --release --test batch -- --ignored --nocapture measure_batch_scale
