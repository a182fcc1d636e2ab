#!/bin/bash
# test_threads.sh: --threads 2 (a reader thread reads and decodes the file
# ahead, readahead.h) gives byte for byte the same JSON inventory as
# --threads 1 on every golden capture in MANIFEST, with the capture's own
# options. The JSON carries no wall-clock time, so any difference is one.
set -u
export THR_BIN=${SVPASSIVE:-$1/svpassive} THR_SRC=$2
THR_WORK=$(mktemp -d)
export THR_WORK
trap 'rm -rf "$THR_WORK"' EXIT
run_pair() { # name cap opts
  for t in 1 2; do
    # shellcheck disable=SC2086
    "$THR_BIN" -q --threads "$t" -r "$THR_SRC/$2" $3 -oJ "$THR_WORK/$1.$t" 2>/dev/null
    echo "exit $?" >>"$THR_WORK/$1.$t"
  done
}
export -f run_pair
grep -v '^#' "$THR_SRC/tests/regress/MANIFEST" | awk -F'\t' 'NF >= 2' >"$THR_WORK/todo"
# two captures at a time (PROCESSORS 2 in tests/CMakeLists.txt)
tr '\n' '\0' <"$THR_WORK/todo" |
  xargs -0 -P 2 -I{} bash -c 'IFS=$'"'"'\t'"'"' read -r n c o <<<"$1"; run_pair "$n" "$c" "$o"' _ {}
fail=0 ran=0
while IFS=$'\t' read -r name _; do
  ran=$((ran + 1))
  if ! cmp -s "$THR_WORK/$name.1" "$THR_WORK/$name.2"; then
    echo "FAIL $name: --threads 1 and --threads 2 differ:"
    diff "$THR_WORK/$name.1" "$THR_WORK/$name.2" | head -10 | sed 's/^/  /'
    fail=$((fail + 1))
  fi
done <"$THR_WORK/todo"
echo "$ran captures, $fail differ between one and two threads"
[ "$ran" -gt 0 ] && [ "$fail" = 0 ]
