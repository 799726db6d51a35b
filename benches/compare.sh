#!/usr/bin/env bash
# Whole-command comparison of modelvet against picklescan, modelscan and
# `openssl dgst -sha256` (the hashing floor) on three generated benign inputs.
#
#   bash benches/compare.sh
#
# Environment knobs (all optional):
#   BENCH_WORK   work directory (default: <repo>/bench-work, git-ignored)
#   REPS         timed runs per command, median taken (default: 3)
#   CMD_TIMEOUT  seconds before one command is killed (default: 600)
#   SKIP_BUILD=1 do not run `cargo build --release`
#   SKIP_HEADERS=1 do not run benches/headers.sh (safetensors/GGUF) at the end
#   HEADERS_REPS timed runs per command in benches/headers.sh (default: 5)
#
# Prints a Markdown report and writes it to $BENCH_WORK/results.md. Raw
# per-run numbers go to $BENCH_WORK/runs.tsv, each command's output of its
# last run to $BENCH_WORK/logs/. See benches/README.md for the columns.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="${BENCH_WORK:-$ROOT/bench-work}"
REPS="${REPS:-3}"
CMD_TIMEOUT="${CMD_TIMEOUT:-600}"
VENV="$WORK/venv"
LOGS="$WORK/logs"
RUNS="$WORK/runs.tsv"
MODELVET="$ROOT/target/release/modelvet"

PICKLESCAN_VERSION=1.0.5
MODELSCAN_VERSION=0.8.8

log() { printf '[compare] %s\n' "$*" >&2; }

mkdir -p "$WORK" "$LOGS"

# ---------------------------------------------------------------- tools
if [[ ! -x /usr/bin/time ]]; then
    log "installing GNU time (/usr/bin/time missing)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null
fi
for tool in openssl timeout python3; do
    command -v "$tool" >/dev/null || { log "missing required tool: $tool"; exit 3; }
done

if [[ ! -x "$VENV/bin/python" ]]; then
    log "creating venv $VENV"
    python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" - "$PICKLESCAN_VERSION" "$MODELSCAN_VERSION" <<'EOF' 2>/dev/null
import importlib.metadata as m, sys
assert m.version("picklescan") == sys.argv[1]
assert m.version("modelscan") == sys.argv[2]
import numpy  # noqa: F401
EOF
then
    log "installing picklescan==$PICKLESCAN_VERSION modelscan==$MODELSCAN_VERSION numpy"
    "$VENV/bin/pip" install -q --disable-pip-version-check \
        "picklescan==$PICKLESCAN_VERSION" "modelscan==$MODELSCAN_VERSION" numpy
fi
PY="$VENV/bin/python"

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
    log "cargo build --release"
    (cd "$ROOT" && cargo build --release --quiet)
fi
[[ -x "$MODELVET" ]] || { log "no $MODELVET (build failed or SKIP_BUILD=1 without a build)"; exit 3; }

log "making inputs in $WORK"
"$PY" "$ROOT/benches/make_inputs.py" "$WORK" >&2

INPUTS=(arrays_400mb.pkl torch_1gb.pt opcodes_2m.pkl)
TOOLS=(openssl modelvet_nohash modelvet_hash picklescan modelscan)

# Command line of one tool on one file, as an array in CMD.
tool_cmd() {
    local tool="$1" file="$2"
    case "$tool" in
        openssl)         CMD=(openssl dgst -sha256 "$file") ;;
        modelvet_nohash) CMD=("$MODELVET" scan --no-hash --format json "$file") ;;
        modelvet_hash)   CMD=("$MODELVET" scan --format json "$file") ;;
        picklescan)      CMD=("$VENV/bin/picklescan" -p "$file") ;;
        modelscan)       CMD=("$VENV/bin/modelscan" -p "$file") ;;
        *) log "unknown tool $tool"; exit 3 ;;
    esac
}

# ---------------------------------------------------------------- timing
# One run: wall seconds from bash's microsecond clock around the whole
# command (GNU time's own %e has only 10 ms resolution), max RSS and exit
# status from `/usr/bin/time -v`. A non-zero exit never aborts the script.
run_once() {
    local tool="$1" input="$2" rep="$3"
    local file="$WORK/$input" tv="$LOGS/$input.$tool.time"
    local out="$LOGS/$input.$tool.out" err="$LOGS/$input.$tool.err"
    tool_cmd "$tool" "$file"
    local t0 t1 rc=0
    t0=$EPOCHREALTIME
    # modelscan looks for ./modelscan-settings.toml: run from the work dir.
    (cd "$WORK" && /usr/bin/time -v -o "$tv" timeout "$CMD_TIMEOUT" "${CMD[@]}" >"$out" 2>"$err") || rc=$?
    t1=$EPOCHREALTIME
    local rss status
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$tv")
    status=$(awk -F': ' '/Exit status/ {print $2}' "$tv")
    [[ -n "$status" ]] || status=$rc
    [[ -n "$rss" ]] || rss=0
    local wall
    wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.4f", b - a}')
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$input" "$tool" "$rep" "$wall" "$rss" "$status" >>"$RUNS"
    local label="run $rep"
    [[ "$rep" != 0 ]] || label="warm-up"
    printf '  %-18s %-16s %-7s %8.3f s  %8d KiB  exit %s\n' \
        "$input" "$tool" "$label" "$wall" "$rss" "$status" >&2
}

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
REV=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ -n "$(git -C "$ROOT" status --porcelain --untracked-files=no -- src Cargo.toml Cargo.lock 2>/dev/null)" ]]; then
    REV="$REV+dirty"
fi
printf 'input\ttool\trep\twall_s\tmaxrss_kib\texit\n' >"$RUNS"
# Harness overhead: the same wrapper (subshell, /usr/bin/time, timeout) around
# /bin/true. Reported, not subtracted: it is in every number, so it only makes
# ratios against very fast commands (modelvet) look smaller.
for ((rep = 1; rep <= REPS; rep++)); do
    t0=$EPOCHREALTIME
    (cd "$WORK" && /usr/bin/time -v -o "$LOGS/overhead.time" timeout "$CMD_TIMEOUT" /bin/true)
    t1=$EPOCHREALTIME
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "-" overhead "$rep" \
        "$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.4f", b - a}')" 0 0 >>"$RUNS"
done
for input in "${INPUTS[@]}"; do
    for tool in "${TOOLS[@]}"; do
        cat "$WORK/$input" >/dev/null   # warm the page cache
        run_once "$tool" "$input" 0     # untimed warm-up (binary, imports, cache)
        for ((rep = 1; rep <= REPS; rep++)); do
            run_once "$tool" "$input" "$rep"
        done
    done
done

# ---------------------------------------------------------------- report
"$PY" - "$WORK" "$RUNS" "$LOGS" "$REPS" "$LOAD_START" "$REV" >"$WORK/results.md" <<'EOF'
import collections, json, os, platform, re, statistics, subprocess, sys

work, runs_path, logs, reps = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
load_start, load_end = sys.argv[5], " ".join(open("/proc/loadavg").read().split()[:3])
rev = sys.argv[6]
INPUTS = ["arrays_400mb.pkl", "torch_1gb.pt", "opcodes_2m.pkl"]
TOOLS = ["openssl", "modelvet_nohash", "modelvet_hash", "picklescan", "modelscan"]
runs = collections.defaultdict(list)
with open(runs_path) as f:
    next(f)
    for line in f:
        inp, tool, rep, wall, rss, rc = line.rstrip("\n").split("\t")
        if rep != "0":  # rep 0 is the untimed warm-up
            runs[inp, tool].append((float(wall), int(rss), int(rc)))

def cell(inp, tool):
    r = runs[inp, tool]
    return statistics.median(w for w, _, _ in r), max(m for _, m, _ in r), sorted({c for _, _, c in r})

def read(path):
    try:
        with open(path, errors="replace") as fh:
            return fh.read()
    except OSError:
        return ""

def note(inp, tool, codes):
    out = read(f"{logs}/{inp}.{tool}.out")
    err = read(f"{logs}/{inp}.{tool}.err")
    parts = []
    if any(c == 124 for c in codes):
        parts.append("TIMED OUT")
    if tool.startswith("modelvet"):
        try:
            s = json.loads(out)["summary"]
            f = {k: v for k, v in s["findings"].items() if v}
            parts.append(f"verdict {s['verdict']}, findings {f or 'none'}, "
                         f"complete {s['complete']}/{s['artifacts']}")
        except Exception as e:  # noqa: BLE001
            parts.append(f"unparsable JSON ({type(e).__name__})")
    elif tool == "picklescan":
        m = re.search(r"Scanned files: (\d+).*?Infected files: (\d+).*?Dangerous globals: (\d+)", out, re.S)
        if m:
            parts.append(f"scanned {m[1]}, infected {m[2]}, dangerous globals {m[3]}")
        m = re.search(r"Suspicious globals: (\d+)", out)
        if m and m[1] != "0":
            parts.append(f"suspicious globals {m[1]}")
    elif tool == "modelscan":
        text = out + err
        m = re.search(r"Total skipped: (\d+)", text)
        if "No issues found" in text:
            parts.append("no issues")
        elif "No model files" in text or "not supported" in text.lower():
            parts.append("file not supported")
        if m:
            parts.append(f"skipped {m[1]} members (scans archive/data.pkl only)")
    if tool in ("picklescan", "modelscan") and any(c not in (0,) for c in codes):
        last = (err.strip() or out.strip()).splitlines()[-1:] or [""]
        parts.append(f"last line: {last[0][:100]}")
    return "; ".join(parts)

def fmt_s(x):
    return f"{x:.3f}" if x >= 0.01 else f"{x:.4f}"

def mib(k):
    return k / 1024

lines = []
P = lines.append
cpu = ""
for l in read("/proc/cpuinfo").splitlines():
    if l.startswith("model name"):
        cpu = l.split(":", 1)[1].strip()
        break
def version(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout.strip().splitlines()[0]
    except Exception:  # noqa: BLE001
        return "?"
P("# modelvet whole-command comparison")
P("")
P(f"modelvet at commit {rev} (release build). Machine: {os.cpu_count()} cores, {cpu}; {platform.platform()}. "
  f"{version(['openssl', 'version'])}; picklescan 1.0.5, modelscan 0.8.8 "
  f"(Python {platform.python_version()}). Page cache warm, one untimed warm-up run per "
  f"command, then wall time = median of {reps} runs, max RSS = largest of them. Harness "
  f"overhead (wrapper around /bin/true, included in every time): "
  f"{statistics.median(w for w, _, _ in runs['-', 'overhead']) * 1000:.1f} ms. "
  f"Load average (1/5/15 min) at start {load_start}, at end {load_end}: anything else "
  f"running on the machine shows up in the times.")
P("")
P("## Summary")
P("")
P("| input | size MiB | openssl s | modelvet --no-hash s | modelvet (hash) s | picklescan s | modelscan s "
  "| picklescan / modelvet --no-hash (>= 50x) | modelvet hash / openssl (<= 1.15) "
  "| modelvet peak RSS MiB (< 100) |")
P("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
verdicts = []
for inp in INPUTS:
    size = os.path.getsize(f"{work}/{inp}") / 2**20
    t = {tool: cell(inp, tool) for tool in TOOLS}
    ps = t["picklescan"][0] / t["modelvet_nohash"][0]
    hs = t["modelvet_hash"][0] / t["openssl"][0]
    rss = mib(max(t["modelvet_nohash"][1], t["modelvet_hash"][1]))
    def mark(ok):
        return "" if ok else " **MISS**"
    def peer(tool):
        w, _, codes = t[tool]
        s = fmt_s(w)
        return s if codes == [0] else f"{s} (exit {','.join(map(str, codes))})"
    P(f"| {inp} | {size:.0f} | {fmt_s(t['openssl'][0])} | {fmt_s(t['modelvet_nohash'][0])} "
      f"| {fmt_s(t['modelvet_hash'][0])} | {peer('picklescan')} | {peer('modelscan')} "
      f"| {ps:.1f}x{mark(ps >= 50)} | {hs:.2f}{mark(hs <= 1.15)} | {rss:.1f}{mark(rss < 100)} |")
    verdicts.append((inp, ps >= 50, hs <= 1.15, rss < 100))
P("")
P("## All commands")
P("")
P("| input | command | median wall s | min s | max s | max RSS MiB | exit | notes |")
P("|---|---|--:|--:|--:|--:|--:|---|")
for inp in INPUTS:
    for tool in TOOLS:
        r = runs[inp, tool]
        w, m, codes = cell(inp, tool)
        walls = [x for x, _, _ in r]
        P(f"| {inp} | {tool} | {fmt_s(w)} | {fmt_s(min(walls))} | {fmt_s(max(walls))} "
          f"| {mib(m):.1f} | {','.join(map(str, codes))} | {note(inp, tool, codes)} |")
P("")
P("Commands: openssl = `openssl dgst -sha256 FILE`; modelvet_nohash = `modelvet scan --no-hash "
  "--format json FILE`; modelvet_hash = `modelvet scan --format json FILE`; picklescan = "
  "`picklescan -p FILE`; modelscan = `modelscan -p FILE`.")
missed = [f"{i}: " + ", ".join(n for n, ok in zip(("picklescan ratio", "hash ratio", "RSS"), oks) if not ok)
          for i, *oks in verdicts if not all(oks)]
P("")
P("Targets missed: " + ("; ".join(missed) if missed else "none") + ".")
print("\n".join(lines))
EOF

cat "$WORK/results.md"
log "wrote $WORK/results.md"

# ---------------------------------------------------------------- header-only formats
# safetensors / GGUF, 4 KiB against 4 GiB sparse: benches/headers.sh (its own report,
# $WORK/headers/results.md). SKIP_HEADERS=1 leaves it out.
if [[ "${SKIP_HEADERS:-0}" != 1 ]]; then
    BENCH_WORK="$WORK" SKIP_BUILD=1 REPS="${HEADERS_REPS:-5}" CMD_TIMEOUT="$CMD_TIMEOUT" \
        bash "$ROOT/benches/headers.sh"
fi
