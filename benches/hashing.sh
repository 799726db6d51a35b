#!/usr/bin/env bash
# Whole-command hashing throughput (issue: provenance): `modelvet hash` against
# `openssl dgst -sha256` and `sha256sum` on the same 2 GB file in the same run, then two
# such files in one folder (parallel across files on 2 cores), and the reference
# model-signing 1.1.1 hashing the same folder (its Python API, sha256, files).
#
#   bash benches/hashing.sh
#
# Knobs: BENCH_WORK (default <repo>/bench-work), REPS (default 5, median taken),
# SIZE_MB (default 2000), SKIP_BUILD=1, SKIP_PEERS=1 (no model-signing run).
# Files are written once with pseudo-random content (not sparse: sparse reads are free)
# and read from the page cache, so the numbers are CPU throughput, not disk speed.
# Writes $BENCH_WORK/hashing/results.md (also printed).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="${BENCH_WORK:-$ROOT/bench-work}/hashing"
REPS="${REPS:-5}"
SIZE_MB="${SIZE_MB:-2000}"
MODELVET="$ROOT/target/release/modelvet"
PY="$ROOT/.venv/bin/python"
mkdir -p "$WORK/one" "$WORK/two"

[ "${SKIP_BUILD:-0}" = 1 ] || (cd "$ROOT" && cargo build --release --quiet)

make_file() {
    [ -f "$1" ] && [ "$(stat -c %s "$1")" = "$((SIZE_MB * 1000 * 1000))" ] && return
    # AES-CTR keystream: fast, incompressible, deterministic for a given seed.
    # head closes the pipe when it has enough, so openssl dies of SIGPIPE: not a failure.
    (set +o pipefail; openssl enc -aes-128-ctr -pass pass:"$2" -nosalt -pbkdf2 -in /dev/zero 2>/dev/null \
        | head -c "$((SIZE_MB * 1000 * 1000))" > "$1")
}
make_file "$WORK/one/a.bin" a
make_file "$WORK/two/a.bin" a
make_file "$WORK/two/b.bin" b
cat "$WORK/one/a.bin" "$WORK/two/a.bin" "$WORK/two/b.bin" > /dev/null  # warm the page cache

# median wall seconds of REPS runs
median() {
    local times=()
    for _ in $(seq "$REPS"); do
        local start end
        start=$(date +%s.%N)
        "$@" > /dev/null 2>&1
        end=$(date +%s.%N)
        times+=("$(echo "$end - $start" | bc -l)")
    done
    printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {printf "%.3f", a[int((NR+1)/2)]}'
}

ossl1=$(median openssl dgst -sha256 "$WORK/one/a.bin")
sum1=$(median sha256sum "$WORK/one/a.bin")
mv1=$(median "$MODELVET" hash "$WORK/one/a.bin")
mv1b3=$(median "$MODELVET" hash "$WORK/one/a.bin" --hash-type blake3)
mv1b2=$(median "$MODELVET" hash "$WORK/one/a.bin" --hash-type blake2b)
ossl2=$(median sh -c "openssl dgst -sha256 '$WORK/two/a.bin' && openssl dgst -sha256 '$WORK/two/b.bin'")
mv2=$(median "$MODELVET" hash "$WORK/two")
rss=$(/usr/bin/time -v "$MODELVET" hash "$WORK/two" 2>&1 >/dev/null | awk -F': ' '/Maximum resident/ {print $2}')
ms2="skipped"
if [ "${SKIP_PEERS:-0}" != 1 ] && [ -x "$PY" ] && "$PY" -c "import model_signing" 2>/dev/null; then
    ms2=$(median "$PY" -c "import model_signing,sys; model_signing.hashing.Config().use_file_serialization(hashing_algorithm='sha256').hash(sys.argv[1])" "$WORK/two")
fi

mb=$SIZE_MB
{
    echo "## Hashing throughput ($(nproc) cores, ${SIZE_MB} MB files from the page cache, median of $REPS)"
    echo
    echo "| command | input | seconds | MB/s | vs openssl |"
    echo "|---|---|--:|--:|--:|"
    row() { printf '| %s | %s | %s | %.0f | %s |\n' "$1" "$2" "$3" "$(echo "$4 / $3" | bc -l)" "$5"; }
    row "openssl dgst -sha256" "1 file" "$ossl1" "$mb" "1.00x"
    row "sha256sum" "1 file" "$sum1" "$mb" "$(printf '%.2fx' "$(echo "$ossl1 / $sum1" | bc -l)")"
    row "modelvet hash (sha256)" "1 file" "$mv1" "$mb" "$(printf '%.2fx' "$(echo "$ossl1 / $mv1" | bc -l)")"
    row "modelvet hash --hash-type blake3" "1 file" "$mv1b3" "$mb" "-"
    row "modelvet hash --hash-type blake2b" "1 file" "$mv1b2" "$mb" "-"
    row "openssl dgst -sha256, one after the other" "2 files" "$ossl2" "$((2 * mb))" "1.00x"
    row "modelvet hash (sha256, parallel)" "2 files" "$mv2" "$((2 * mb))" "$(printf '%.2fx' "$(echo "$ossl2 / $mv2" | bc -l)")"
    if [ "$ms2" != skipped ]; then
        row "model-signing 1.1.1 hashing API (sha256)" "2 files" "$ms2" "$((2 * mb))" "$(printf '%.2fx' "$(echo "$ossl2 / $ms2" | bc -l)")"
    fi
    echo
    printf 'Scaling over 2 files: %.2fx the one-file time for twice the bytes (2.00x = no parallelism, 1.00x = linear). Max RSS of modelvet hash on 2 files: %s KiB.\n' \
        "$(echo "$mv2 / $mv1" | bc -l)" "$rss"
} | tee "$WORK/results.md"
