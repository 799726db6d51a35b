#!/usr/bin/env bash
# Whole-command runs on the header-only formats (safetensors, GGUF): a 4 KiB file
# against a 4 GiB sparse file of the same layout, modelvet with and without hashing,
# `openssl dgst -sha256` and `sha256sum` as the hashing floor, and modelaudit (a peer
# that parses both formats) and modelscan (which skips both) on the same files.
#
#   bash benches/headers.sh          (also run at the end of benches/compare.sh)
#
# Environment knobs (all optional):
#   BENCH_WORK   work directory (default: <repo>/bench-work, git-ignored)
#   REPS         timed runs per command, median taken (default: 5)
#   PEER_REPS    timed runs of modelaudit on the 4 GiB files, ~30-50 s each (default: 3)
#   CMD_TIMEOUT  seconds before one command is killed (default: 600)
#   SKIP_BUILD=1 do not run `cargo build --release`
#   SKIP_PEERS=1 do not install or run modelaudit / modelscan
#
# Writes $BENCH_WORK/headers/results.md (also printed), raw runs to
# $BENCH_WORK/headers/runs.tsv, each command's last output to $BENCH_WORK/headers/logs/.
# See "Header-only formats" in benches/README.md.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="${BENCH_WORK:-$ROOT/bench-work}"
HW="$WORK/headers"
REPS="${REPS:-5}"
PEER_REPS="${PEER_REPS:-3}"
CMD_TIMEOUT="${CMD_TIMEOUT:-600}"
LOGS="$HW/logs"
RUNS="$HW/runs.tsv"
MODELVET="$ROOT/target/release/modelvet"
MA_VENV="$WORK/venv-modelaudit"
MS_VENV="$WORK/venv"
MODELAUDIT_VERSION=0.2.54
MODELSCAN_VERSION=0.8.8
# modelaudit sends telemetry unless told not to; its result cache would turn
# repeated runs into cache hits (so --no-cache below as well).
export PROMPTFOO_DISABLE_TELEMETRY=1 NO_ANALYTICS=1

log() { printf '[headers] %s\n' "$*" >&2; }

mkdir -p "$HW" "$LOGS"

if [[ ! -x /usr/bin/time ]]; then
    log "installing GNU time (/usr/bin/time missing)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null
fi
for tool in openssl sha256sum timeout python3; do
    command -v "$tool" >/dev/null || { log "missing required tool: $tool"; exit 3; }
done

PEERS=1
[[ "${SKIP_PEERS:-0}" != 1 ]] || PEERS=0
if [[ $PEERS == 1 ]]; then
    # modelaudit gets its own venv: it pins its own dependency versions.
    if ! "$MA_VENV/bin/python" -c "import importlib.metadata as m, sys; assert m.version('modelaudit') == sys.argv[1]" \
        "$MODELAUDIT_VERSION" 2>/dev/null; then
        log "installing modelaudit==$MODELAUDIT_VERSION into $MA_VENV"
        python3 -m venv "$MA_VENV"
        "$MA_VENV/bin/pip" install -q --disable-pip-version-check "modelaudit==$MODELAUDIT_VERSION"
    fi
    if ! "$MS_VENV/bin/python" -c "import importlib.metadata as m, sys; assert m.version('modelscan') == sys.argv[1]" \
        "$MODELSCAN_VERSION" 2>/dev/null; then
        log "installing modelscan==$MODELSCAN_VERSION into $MS_VENV"
        [[ -x "$MS_VENV/bin/python" ]] || python3 -m venv "$MS_VENV"
        "$MS_VENV/bin/pip" install -q --disable-pip-version-check "modelscan==$MODELSCAN_VERSION"
    fi
fi

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
    log "cargo build --release"
    (cd "$ROOT" && cargo build --release --quiet)
fi
[[ -x "$MODELVET" ]] || { log "no $MODELVET (build failed or SKIP_BUILD=1 without a build)"; exit 3; }

log "making inputs in $HW"
python3 "$ROOT/benches/make_header_inputs.py" "$HW" >&2

SMALL=(small.safetensors small.gguf)
BIG=(big_4gib.safetensors big_4gib.gguf)
SMALL_TOOLS=(modelvet_nohash modelvet_hash)
BIG_TOOLS=(modelvet_nohash modelvet_hash openssl sha256sum)
if [[ $PEERS == 1 ]]; then
    SMALL_TOOLS+=(modelaudit modelscan)
    BIG_TOOLS+=(modelaudit modelscan)
fi

tool_cmd() {
    local tool="$1" file="$2"
    case "$tool" in
        modelvet_nohash) CMD=("$MODELVET" scan --no-hash --format json "$file") ;;
        modelvet_hash)   CMD=("$MODELVET" scan --format json "$file") ;;
        openssl)         CMD=(openssl dgst -sha256 "$file") ;;
        sha256sum)       CMD=(sha256sum "$file") ;;
        modelaudit)      CMD=("$MA_VENV/bin/modelaudit" scan --no-cache --format json "$file") ;;
        modelscan)       CMD=("$MS_VENV/bin/modelscan" -p "$file") ;;
        *) log "unknown tool $tool"; exit 3 ;;
    esac
}

# One run: wall seconds from bash's microsecond clock around the whole wrapper, max RSS
# and exit status from `/usr/bin/time -v` (same method as compare.sh).
run_once() {
    local tool="$1" input="$2" rep="$3"
    local tv="$LOGS/$input.$tool.time" out="$LOGS/$input.$tool.out" err="$LOGS/$input.$tool.err"
    tool_cmd "$tool" "$HW/$input"
    local t0 t1 rc=0
    t0=$EPOCHREALTIME
    (cd "$HW" && /usr/bin/time -v -o "$tv" timeout "$CMD_TIMEOUT" "${CMD[@]}" >"$out" 2>"$err") || rc=$?
    t1=$EPOCHREALTIME
    local rss status wall
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$tv")
    status=$(awk -F': ' '/Exit status/ {print $2}' "$tv")
    [[ -n "$status" ]] || status=$rc
    [[ -n "$rss" ]] || rss=0
    wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.4f", b - a}')
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$input" "$tool" "$rep" "$wall" "$rss" "$status" >>"$RUNS"
    local label="run $rep"
    [[ "$rep" != 0 ]] || label="warm-up"
    printf '  %-22s %-16s %-7s %9.4f s  %8d KiB  exit %s\n' \
        "$input" "$tool" "$label" "$wall" "$rss" "$status" >&2
}

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
REV=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ -n "$(git -C "$ROOT" status --porcelain --untracked-files=no -- src Cargo.toml Cargo.lock 2>/dev/null)" ]]; then
    REV="$REV+dirty"
fi
printf 'input\ttool\trep\twall_s\tmaxrss_kib\texit\n' >"$RUNS"
for ((rep = 1; rep <= REPS; rep++)); do
    t0=$EPOCHREALTIME
    (cd "$HW" && /usr/bin/time -v -o "$LOGS/overhead.time" timeout "$CMD_TIMEOUT" /bin/true)
    t1=$EPOCHREALTIME
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "-" overhead "$rep" \
        "$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.4f", b - a}')" 0 0 >>"$RUNS"
done
for input in "${SMALL[@]}" "${BIG[@]}"; do
    if [[ " ${SMALL[*]} " == *" $input "* ]]; then tools=("${SMALL_TOOLS[@]}"); else tools=("${BIG_TOOLS[@]}"); fi
    for tool in "${tools[@]}"; do
        cat "$HW/$input" >/dev/null   # page cache (a hole reads as zero pages, never from disk)
        n=$REPS
        if [[ $tool == modelaudit && " ${BIG[*]} " == *" $input "* ]]; then
            n=$PEER_REPS               # ~30-50 s a run; its imports were warmed on the small files
        else
            run_once "$tool" "$input" 0
        fi
        for ((rep = 1; rep <= n; rep++)); do
            run_once "$tool" "$input" "$rep"
        done
    done
done

python3 - "$HW" "$RUNS" "$LOGS" "$LOAD_START" "$REV" "$REPS" "$PEER_REPS" "$MODELAUDIT_VERSION" \
    "$MODELSCAN_VERSION" >"$HW/results.md" <<'EOF'
import collections, json, os, platform, statistics, subprocess, sys

hw, runs_path, logs, load_start, rev, reps, peer_reps, ma_v, ms_v = sys.argv[1:10]
load_end = " ".join(open("/proc/loadavg").read().split()[:3])
runs = collections.defaultdict(list)
with open(runs_path) as f:
    next(f)
    for line in f:
        inp, tool, rep, wall, rss, rc = line.rstrip("\n").split("\t")
        if rep != "0":
            runs[inp, tool].append((float(wall), int(rss), int(rc)))

def cell(inp, tool):
    r = runs.get((inp, tool))
    if not r:
        return None
    return (statistics.median(w for w, _, _ in r), max(m for _, m, _ in r),
            sorted({c for _, _, c in r}), [w for w, _, _ in r])

def read(path):
    try:
        with open(path, errors="replace") as fh:
            return fh.read()
    except OSError:
        return ""

def note(inp, tool):
    out, err = read(f"{logs}/{inp}.{tool}.out"), read(f"{logs}/{inp}.{tool}.err")
    try:
        if tool.startswith("modelvet"):
            d = json.loads(out)
            s, a = d["summary"], d["artifacts"][0]
            f = {k: v for k, v in s["findings"].items() if v}
            extra = f", sha256 {a['sha256'][:12]}…" if a.get("sha256") else ""
            return (f"{a['format']}, {a['status']}, verdict {s['verdict']}, "
                    f"findings {f or 'none'}{extra}")
        if tool == "modelaudit":
            d = json.loads(out)
            return (f"scanners {d.get('scanner_names')}, bytes_scanned {d.get('bytes_scanned')}, "
                    f"issues {len(d.get('issues', []))}, content_hash "
                    f"{str(d.get('content_hash'))[:12]}…")
        if tool == "modelscan":
            t = out + err
            if "Total skipped: 1" in t and "No issues found" in t:
                return "skipped the file (\"Model Scan did not scan file\"), prints \"No issues found!\""
            return (t.strip().splitlines() or [""])[-1][:100]
        if tool in ("openssl", "sha256sum"):
            return "digest " + out.split()[-1 if tool == "openssl" else 0][:12] + "…"
    except Exception as e:  # noqa: BLE001
        return f"unparsable output ({type(e).__name__})"
    return ""

def s(x):
    return "-" if x is None else (f"{x:.3f}" if x >= 0.1 else f"{x * 1000:.1f} ms")

def mib(k):
    return f"{k / 1024:.1f}"

cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "")
ssl = subprocess.run(["openssl", "version"], capture_output=True, text=True).stdout.strip()
P = print
P("# modelvet on header-only formats (safetensors, GGUF)")
P("")
P(f"modelvet at commit {rev} (release build). Machine: {os.cpu_count()} cores, {cpu}; "
  f"{platform.platform()}. {ssl}; modelaudit {ma_v}, modelscan {ms_v} "
  f"(Python {platform.python_version()}). Wall time = median of {reps} runs after one "
  f"untimed warm-up (modelaudit on the 4 GiB files: median of {peer_reps}, no warm-up); "
  f"max RSS = largest of the runs. Harness overhead (wrapper around /bin/true, in every "
  f"time): {statistics.median(w for w, _, _ in runs['-', 'overhead']) * 1000:.1f} ms. "
  f"Load average at start {load_start}, at end {load_end}.")
P("")
P("The 4 GiB files are sparse: the data section is a hole, so every byte a hasher reads "
  "is a zero page the kernel supplies without disk I/O. The hashing rows therefore "
  "measure SHA-256 and the read() copy, not storage.")
P("")
P("## Summary")
P("")
P("| format | modelvet --no-hash 4 KiB | modelvet --no-hash 4 GiB | 4 GiB / 4 KiB "
  "| modelvet (hash) 4 GiB | openssl 4 GiB | sha256sum 4 GiB | modelvet hash / openssl "
  "| modelaudit 4 KiB | modelaudit 4 GiB | modelaudit / modelvet --no-hash, 4 GiB "
  "| modelvet max RSS MiB |")
P("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
for fmt in ("safetensors", "gguf"):
    sm, bg = f"small.{fmt}", f"big_4gib.{fmt}"
    g = lambda i, t: cell(i, t)
    nh_s, nh_b = g(sm, "modelvet_nohash"), g(bg, "modelvet_nohash")
    h_b, o_b, sh_b = g(bg, "modelvet_hash"), g(bg, "openssl"), g(bg, "sha256sum")
    ma_s, ma_b = g(sm, "modelaudit"), g(bg, "modelaudit")
    rss = max(c[1] for c in (nh_s, nh_b, h_b, g(sm, "modelvet_hash")) if c)
    ratio = lambda a, b: "-" if not (a and b) else f"{a[0] / b[0]:.2f}"
    P(f"| {fmt} | {s(nh_s[0])} | {s(nh_b[0])} | {ratio(nh_b, nh_s)} | {s(h_b and h_b[0])} "
      f"| {s(o_b and o_b[0])} | {s(sh_b and sh_b[0])} | {ratio(h_b, o_b)} "
      f"| {s(ma_s and ma_s[0])} | {s(ma_b and ma_b[0])} "
      f"| {'-' if not ma_b else f'{ma_b[0] / nh_b[0]:.0f}x'} | {mib(rss)} |")
P("")
P("## All commands")
P("")
P("| input | size bytes | command | median wall | min | max | max RSS MiB | exit | notes |")
P("|---|--:|---|--:|--:|--:|--:|--:|---|")
seen = []
for inp, tool in runs:
    if inp == "-":
        continue
    c = cell(inp, tool)
    P(f"| {inp} | {os.path.getsize(os.path.join(hw, inp))} | {tool} | {s(c[0])} | {s(min(c[3]))} "
      f"| {s(max(c[3]))} | {mib(c[1])} | {','.join(map(str, c[2]))} | {note(inp, tool)} |")
P("")
P("Commands: modelvet_nohash = `modelvet scan --no-hash --format json FILE`; modelvet_hash = "
  "`modelvet scan --format json FILE`; openssl = `openssl dgst -sha256 FILE`; sha256sum = "
  "`sha256sum FILE`; modelaudit = `modelaudit scan --no-cache --format json FILE` "
  "(PROMPTFOO_DISABLE_TELEMETRY=1); modelscan = `modelscan -p FILE`. Times under 0.1 s "
  "are in ms.")
EOF

cat "$HW/results.md"
log "wrote $HW/results.md"
