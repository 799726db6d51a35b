#!/usr/bin/env bash
# The parallel scan driver against the parallel hasher (issue: format registry and
# parallel driver): `modelvet scan` and `modelvet hash` of the same folder of four 1 GiB
# safetensors files, alternated in one run, median wall time and peak RSS. The scan
# hashes every byte (SHA-256, the same read as the parse), so `hash` is its floor.
#
#   bash benches/parallel.sh
#
# Knobs: BENCH_WORK (default <repo>/bench-work), REPS (default 5), FILES (default 4),
# SIZE_MB (MiB per file, default 1024), SKIP_BUILD=1, BASELINE=/path/to/older/modelvet
# (adds that binary's scan to the table, e.g. one built from the commit before the
# parallel driver). Files hold pseudo-random bytes (not sparse) and are read from the
# page cache. Writes $BENCH_WORK/parallel/results.md (also printed).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="${BENCH_WORK:-$ROOT/bench-work}/parallel"
REPS="${REPS:-5}"
FILES="${FILES:-4}"
SIZE_MB="${SIZE_MB:-1024}"
MODELVET="$ROOT/target/release/modelvet"
mkdir -p "$WORK/model"

[ "${SKIP_BUILD:-0}" = 1 ] || (cd "$ROOT" && cargo build --release --quiet)

make_safetensors() {
    local path="$1" seed="$2" bytes=$((SIZE_MB * 1024 * 1024))
    [ -f "$path" ] && return
    local header
    header=$(printf '{"w":{"dtype":"F32","shape":[%d],"data_offsets":[0,%d]}}' "$((bytes / 4))" "$bytes")
    while [ $(( ${#header} % 8 )) -ne 0 ]; do header="$header "; done
    python3 -c 'import struct,sys; sys.stdout.buffer.write(struct.pack("<Q", int(sys.argv[1])))' "${#header}" > "$path"
    printf '%s' "$header" >> "$path"
    # AES-CTR keystream: incompressible and deterministic for a seed.
    (set +o pipefail; openssl enc -aes-128-ctr -pass pass:"$seed" -nosalt -pbkdf2 -in /dev/zero 2>/dev/null \
        | head -c "$bytes" >> "$path")
}
for i in $(seq "$FILES"); do make_safetensors "$WORK/model/model-0000$i-of-0000$FILES.safetensors" "s$i"; done
cat "$WORK"/model/*.safetensors > /dev/null  # warm the page cache

declare -A samples
run() { # label command...
    local label="$1"; shift
    local start end
    start=$(date +%s.%N)
    "$@" > /dev/null 2>&1 || true
    end=$(date +%s.%N)
    samples[$label]+="$(echo "$end - $start" | bc -l) "
}
labels=(hash scan)
[ -n "${BASELINE:-}" ] && labels+=(baseline)
for _ in $(seq "$REPS"); do
    run hash "$MODELVET" hash "$WORK/model"
    run scan "$MODELVET" scan --no-config "$WORK/model"
    [ -n "${BASELINE:-}" ] && run baseline "$BASELINE" scan --no-config "$WORK/model"
done
median() { tr ' ' '\n' <<< "$1" | grep . | sort -g | awk '{a[NR]=$1} END {printf "%.3f", a[int((NR+1)/2)]}'; }
rss() { /usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F': ' '/Maximum resident/ {printf "%.1f", $2 / 1024}'; }

hash_s=$(median "${samples[hash]}")
{
    echo "## scan against hash: $FILES x $SIZE_MB MiB safetensors, $(nproc) cores, median of $REPS, alternated"
    echo
    echo "| command | seconds | vs hash | peak RSS (MiB) |"
    echo "|---|--:|--:|--:|"
    printf '| modelvet hash | %s | 1.00x | %s |\n' "$hash_s" "$(rss "$MODELVET" hash "$WORK/model")"
    s=$(median "${samples[scan]}")
    printf '| modelvet scan | %s | %.2fx | %s |\n' "$s" "$(echo "$s / $hash_s" | bc -l)" "$(rss "$MODELVET" scan --no-config "$WORK/model")"
    if [ -n "${BASELINE:-}" ]; then
        b=$(median "${samples[baseline]}")
        printf '| baseline scan (%s) | %s | %.2fx | %s |\n' "$BASELINE" "$b" "$(echo "$b / $hash_s" | bc -l)" "$(rss "$BASELINE" scan --no-config "$WORK/model")"
    fi
} | tee "$WORK/results.md"
