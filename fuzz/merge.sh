#!/usr/bin/env bash
# Folds fuzzing runs into the committed corpus of TARGET: what the given corpus directories
# (default fuzz/work/TARGET) add beyond the seeds and the fixtures, cut to a set cover of its
# features, each input truncated to 1 KB. Usage: fuzz/merge.sh TARGET [DIR...]
# (after `cargo +nightly fuzz build -s none` and fuzz/seeds.py).
set -euo pipefail
cd "$(dirname "$0")"
t=$1
shift
[[ $# -gt 0 ]] || set -- "work/$t"
bin=target/x86_64-unknown-linux-gnu/release/$t
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/base" "$tmp/new" "$tmp/cover"
cp seeds/* "$tmp/base/"
find ../fixtures -type f -exec cp --backup=numbered {} "$tmp/base/" \;
ls "$tmp/base" | sort > "$tmp/known"
mkdir -p "corpus/$t"
# The first directory receives what the others add to it.
"$bin" -merge=1 -max_len=131072 -timeout=20 -rss_limit_mb=2048 "$tmp/base" "corpus/$t" "$@" \
    2> "$tmp/merge.log" || { tail "$tmp/merge.log"; exit 1; }
ls "$tmp/base" | sort | comm -13 "$tmp/known" - | while read -r f; do mv "$tmp/base/$f" "$tmp/new/"; done
"$bin" -set_cover_merge=1 -max_len=1024 -timeout=20 "$tmp/cover" "$tmp/new" \
    2> "$tmp/cover.log" || { tail "$tmp/cover.log"; exit 1; }
rm -rf "corpus/$t"
mv "$tmp/cover" "corpus/$t"
echo "corpus/$t: $(ls "corpus/$t" | wc -l) files"
