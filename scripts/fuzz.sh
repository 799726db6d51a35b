#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ for SECONDS each (default 60), seeded from
# testdata/, under libFuzzer's RSS limit. A crash stops the script with the target's name
# and the reproducer libFuzzer saved under fuzz/artifacts/TARGET/; turn each reproducer
# into a regression input in testdata/gen_robustness.py.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# Needs the nightly toolchain (libFuzzer's instrumentation) and cargo-fuzz, which it
# installs from crates.io when missing. Without nightly it says so and exits 0: the
# stable test suite still runs every target's body over the seeds (tests/fuzz_smoke.rs).
# Environment: FUZZ_TIMEOUT (seconds per input, default 60), FUZZ_RSS_LIMIT_MB (default 256), FUZZ_MAX_LEN (default 262144 for timed runs,
# 1048576 for FUZZ_RUNS), and
# FUZZ_SEED_EXCLUDE (a `find -path` pattern of seeds to leave out, such as the 7z bomb
# that takes 25 s per input under AddressSanitizer), and
# FUZZ_SANITIZER (address, the default, or none), and
# FUZZ_RUNS: a fixed number of inputs per target from a fixed seed instead of SECONDS, so a
# smoke pass tries the same inputs on every machine (scripts/test.sh uses it).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
shift || true
rss_limit="${FUZZ_RSS_LIMIT_MB:-256}"
# AddressSanitizer's quarantine of freed memory (256 MB by default) would count toward the
# RSS limit that is meant for the parsers; a small one keeps the limit about them.
export ASAN_OPTIONS="${ASAN_OPTIONS:-quarantine_size_mb=16:detect_leaks=0}"
# libFuzzer keeps its whole corpus in memory, inside the RSS limit: a long run of a target
# with large seeds (zip) grows it past 256 MB with inputs of up to 1 MiB, so timed runs cut
# inputs at 256 KiB. The smoke pass (FUZZ_RUNS) keeps whole seeds.
# Seconds one input may take before libFuzzer calls it a hang. Instrumented decoders are
# slow: the 7z robustness seed inflates 64 MiB before the ratio limit stops it, 0.15 s in
# a release build and 25 s under AddressSanitizer.
timeout="${FUZZ_TIMEOUT:-60}"
if [ -n "${FUZZ_RUNS:-}" ]; then
    max_len="${FUZZ_MAX_LEN:-1048576}"
else
    max_len="${FUZZ_MAX_LEN:-262144}"
fi

if ! rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    echo "fuzz: skipped, no nightly toolchain (the stable smoke test covers the targets' bodies)"
    exit 0
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz: installing cargo-fuzz"
    cargo install cargo-fuzz --locked --quiet
fi

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(sed -n 's/^name = "\(.*\)"$/\1/p' fuzz/Cargo.toml | grep -v '^modelvet-fuzz$')
fi

# Seed corpora: fixtures of each target's formats, at most 1 MiB each.
seed() {
    local target="$1"
    shift
    local dir="fuzz/corpus/$target"
    mkdir -p "$dir"
    local pattern
    for pattern in "$@"; do
        find testdata -type f -size -1025k -name "$pattern" ! -path "${FUZZ_SEED_EXCLUDE:-}" -print0 |
            while IFS= read -r -d '' f; do
                cp -f "$f" "$dir/$(printf '%s' "$f" | sha256sum | cut -c1-16)"
            done
    done
}
seed_for() {
    case "$1" in
    pickle) seed pickle '*.pkl' '*.p' '*.joblib' ;;
    zip) seed zip '*.zip' '*.pt' '*.keras' '*.pth' ;;
    tar) seed tar '*.tar' ;;
    sevenz) seed sevenz '*.7z' ;;
    gguf) seed gguf '*.gguf' ;;
    safetensors) seed safetensors '*.safetensors' ;;
    numpy) seed numpy '*.npy' ;;
    onnx) seed onnx '*.onnx' ;;
    hdf5) seed hdf5 '*.h5' '*.hdf5' ;;
    keras_config) seed keras_config 'config.json' '*.json' ;;
    yaml_card) seed yaml_card 'README.md' '*.yaml' '*.yml' ;;
    chat_template) seed chat_template '*.jinja' 'tokenizer_config.json' ;;
    savedmodel) seed savedmodel '*.pb' ;;
    tf_metadata) seed tf_metadata 'fingerprint.pb' 'keras_metadata*.pb' ;;
    xgboost) seed xgboost '*.ubj' 'xgboost*.json' ;;
    lightgbm) seed lightgbm 'lightgbm*.txt' ;;
    tflite) seed tflite '*.tflite' ;;
    catboost) seed catboost '*.cbm' ;;
    hub_json) seed hub_json '*.json' ;;
    sigstore_bundle) seed sigstore_bundle '*.sig' '*.sigstore' '*bundle*.json' ;;
    x509_pem) seed x509_pem '*.pem' '*.crt' '*.cert' ;;
    inventory_source) seed inventory_source '*.py' '*.yaml' '*.yml' '*.sh' 'Dockerfile' 'requirements*.txt' '.env*' ;;
    verdict_cache) seed verdict_cache '*.json' '*.jsonl' ;;
    scan_any) seed scan_any '*' ;;
    *) echo "fuzz: unknown target $1" >&2; exit 3 ;;
    esac
}

# AddressSanitizer by default. The smoke pass in scripts/test.sh builds without it
# (FUZZ_SANITIZER=none): a third faster to build and run, and what it looks for (panics,
# hangs, the RSS limit) needs no sanitizer; timed runs keep it.
sanitizer="${FUZZ_SANITIZER:-address}"
echo "fuzz: building ${#targets[@]} targets (sanitizer: $sanitizer)"
cargo +nightly fuzz build --fuzz-dir fuzz --sanitizer "$sanitizer"
# Run the built binaries directly: `cargo fuzz run` would check (and redo) the build for
# every target.
host=$(rustc +nightly -vV | sed -n 's/^host: //p')
bin_dir="${CARGO_TARGET_DIR:-fuzz/target}/$host/release"

summary=()
for t in "${targets[@]}"; do
    seed_for "$t"
    log="fuzz/artifacts/$t.log"
    mkdir -p "fuzz/artifacts/$t"
    if [ -n "${FUZZ_RUNS:-}" ]; then
        budget=(-runs="$FUZZ_RUNS" -seed=1)
        echo "fuzz: $t for $FUZZ_RUNS inputs (seed 1, rss limit ${rss_limit} MB)"
    else
        budget=(-max_total_time="$seconds")
        echo "fuzz: $t for ${seconds}s (rss limit ${rss_limit} MB)"
    fi
    if ! "$bin_dir/$t" -artifact_prefix="fuzz/artifacts/$t/" "${budget[@]}" \
        -rss_limit_mb="$rss_limit" -malloc_limit_mb="$rss_limit" \
        -max_len="$max_len" -timeout="$timeout" -print_final_stats=1 "fuzz/corpus/$t" >"$log" 2>&1; then
        tail -40 "$log"
        echo "fuzz: $t FAILED; reproducer in fuzz/artifacts/$t/"
        exit 1
    fi
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log" | tail -1)
    summary+=("$t: ${execs:-?} execs, peak RSS ${rss:-?} MB, no crash")
done
printf 'fuzz: %s\n' "${summary[@]}"
echo "fuzz: ${#targets[@]} targets ran, no crash"
