#!/usr/bin/env bash
# Times `modelvet inventory` on synthetic applications of 10,000 Python files
# (benches/inventory_tree.py): one file in ten loading models, and every file loading
# them (the worst case). The reference in the same run is CPython's own parser walking
# every call (`ast.parse` + `ast.walk`), the floor for an inventory written in Python.
# Prints a Markdown table; inputs go to bench-work/ (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/.."
work=bench-work/inventory
mkdir -p "$work"
cargo build --release --quiet
for every in 10 1; do
    [ -d "$work/tree-$every" ] || python3 benches/inventory_tree.py "$work/tree-$every" 10000 "$every"
done
cat > "$work/ast_reference.py" <<'PY'
import ast, pathlib, sys
calls = 0
for p in sorted(pathlib.Path(sys.argv[1]).rglob("*.py")):
    calls += sum(isinstance(n, ast.Call) for n in ast.walk(ast.parse(p.read_bytes())))
print(calls, "calls")
PY
measure() {
    /usr/bin/time -v "$@" > /dev/null 2> "$work/time.txt" || true
    local wall rss
    wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$work/time.txt")
    rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time.txt")
    echo "$wall | $((rss / 1024)) MiB"
}
echo "| tree | files | size | modelvet inventory (wall, RSS) | python ast.parse + walk (wall, RSS) |"
echo "|---|---|---|---|---|"
for every in 10 1; do
    tree="$work/tree-$every"
    size=$(du -sh "$tree" | cut -f1)
    ours=$(measure target/release/modelvet inventory "$tree" --format json -o "$work/out.json" --no-config)
    theirs=$(measure python3 "$work/ast_reference.py" "$tree")
    echo "| one file in $every loads models | 10,000 | $size | $ours | $theirs |"
done
