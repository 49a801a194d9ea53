#!/bin/sh
# How fast `wsalint check` lints a tree, against merely parsing every C/C++ file of it with the
# same grammars and thread count, at 1x, 2x and 4x copies of the tree.
#
#   benches/bench.sh [-j THREADS] [-s "1 2 4"] DIR...
#
# Prints one row per scale: files, bytes, lines, check wall seconds, throughput, check peak
# memory, parse-only wall seconds and peak memory, and check/parse as a ratio. Copies go to
# $BENCH_TMP (default: a temporary directory, removed afterwards). Needs GNU time (/usr/bin/time).
set -eu

jobs=2
scales="1 2 4"
while getopts j:s: opt; do
    case $opt in
        j) jobs=$OPTARG ;;
        s) scales=$OPTARG ;;
        *) echo "usage: $0 [-j THREADS] [-s SCALES] DIR..." >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || { echo "usage: $0 [-j THREADS] [-s SCALES] DIR..." >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "error: needs GNU time at /usr/bin/time" >&2; exit 2; }

root=$(cd "$(dirname "$0")/.." && pwd)
cargo build --quiet --release --manifest-path "$root/Cargo.toml" --bin wsalint --example parse-only
target=$(cd "$root" && cargo metadata --format-version 1 --no-deps | sed 's/.*"target_directory":"\([^"]*\)".*/\1/')
wsalint="$target/release/wsalint"
parse_only="$target/release/examples/parse-only"

tmp=${BENCH_TMP:-$(mktemp -d)}
[ -n "${BENCH_TMP:-}" ] || trap 'rm -rf "$tmp"' EXIT

# wall seconds and peak KB of one command, from GNU time.
measure() {
    /usr/bin/time -f "%e %M" -o "$tmp/time" "$@" > "$tmp/out" 2> /dev/null || true
    cat "$tmp/time"
}

printf '%-6s %7s %11s %9s %8s %8s %8s %8s %8s %6s\n' \
    copies files bytes lines check_s MB/s peak_MB parse_s parse_MB ratio
for k in $scales; do
    tree="$tmp/x$k"
    if [ ! -d "$tree" ]; then
        i=1
        while [ "$i" -le "$k" ]; do
            for d in "$@"; do
                mkdir -p "$tree/$i"
                cp -R "$d" "$tree/$i/"
            done
            i=$((i + 1))
        done
    fi
    read -r check_s check_kb <<EOF2
$(measure "$wsalint" check -j "$jobs" --quiet --exit-zero --format json "$tree")
EOF2
    read -r parse_s parse_kb <<EOF2
$(measure "$parse_only" -j "$jobs" "$tree")
EOF2
    counts=$(cat "$tmp/out")
    files=$(echo "$counts" | sed 's/.*files=\([0-9]*\).*/\1/')
    bytes=$(echo "$counts" | sed 's/.*bytes=\([0-9]*\).*/\1/')
    lines=$(echo "$counts" | sed 's/.*lines=\([0-9]*\).*/\1/')
    awk -v k="$k" -v f="$files" -v b="$bytes" -v l="$lines" -v cs="$check_s" -v ck="$check_kb" \
        -v ps="$parse_s" -v pk="$parse_kb" 'BEGIN {
        printf "%-6s %7d %11d %9d %8.2f %8.1f %8.1f %8.2f %8.1f %6.3f\n",
            k "x", f, b, l, cs, (cs > 0 ? b / 1e6 / cs : 0), ck / 1024, ps, pk / 1024,
            (ps > 0 ? cs / ps : 0) }'
done
