#!/bin/bash
# golden.sh: shared by test_golden.sh (compare) and bless.sh (rewrite).
#   golden.sh check|bless SVPASSIVE SRCDIR [NAME...]
# MANIFEST lines: NAME <TAB> CAPTURE (relative to the repo) [<TAB> OPTIONS]
# Each capture is run with `svpassive -q -r CAPTURE OPTIONS -oJ -`, reduced by
# project.py to sorted user-visible fields, and compared with (or written to)
# expected/NAME.tsv.
set -u
mode=$1 bin=$2 src=$3
shift 3
dir=$src/tests/regress
export TZ=UTC
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0 ran=0 changed=0
# 1. run every selected capture, in parallel (one svpassive per capture)
names=()
while IFS=$'\t' read -r name cap opts; do
  case "$name" in ''|'#'*) continue ;; esac
  if [ $# -gt 0 ] && ! printf '%s\n' "$@" | grep -qxF "$name"; then continue; fi
  names+=("$name")
  printf '%s\t%s\t%s\n' "$name" "$cap" "$opts"
done <"$dir/MANIFEST" >"$work/todo"
run_one() { # name cap opts
  # shellcheck disable=SC2086
  "$GOLDEN_BIN" -q -r "$GOLDEN_SRC/$2" $3 -oJ - 2>"$GOLDEN_WORK/$1.err" |
    python3 "$GOLDEN_SRC/tests/regress/project.py" >"$GOLDEN_WORK/$1.tsv" ||
    echo "svpassive or project.py failed" >>"$GOLDEN_WORK/$1.err.fail"
}
export -f run_one
export GOLDEN_BIN=$bin GOLDEN_SRC=$src GOLDEN_WORK=$work
tr '\t' '\n' <"$work/todo" | awk 'NR%3==0 && $0=="" {print "-"; next} {print}' |
  xargs -d '\n' -n 3 -P "$(nproc 2>/dev/null || echo 2)" bash -c 'run_one "$1" "$2" "${3#-}"' _
# 2. compare (or bless) in MANIFEST order
for name in "${names[@]}"; do
  ran=$((ran + 1))
  out=$work/$name.tsv
  if [ -f "$work/$name.err.fail" ]; then
    echo "FAIL $name: svpassive or project.py failed:"; sed 's/^/  /' "$work/$name.err"
    fail=$((fail + 1)); continue
  fi
  exp=$dir/expected/$name.tsv
  if [ "$mode" = bless ]; then
    if ! cmp -s "$out" "$exp" 2>/dev/null; then
      [ -f "$exp" ] && diff -u "$exp" "$out" | sed 's/^/  /' | head -40
      cp "$out" "$exp"; changed=$((changed + 1)); echo "blessed $name"
    fi
  elif [ ! -f "$exp" ]; then
    echo "FAIL $name: no expected/$name.tsv (run tests/regress/bless.sh $name on purpose)"
    fail=$((fail + 1))
  elif ! diff -u "$exp" "$out" >"$work/$name.diff"; then
    echo "FAIL $name: output differs from expected/$name.tsv:"; sed 's/^/  /' "$work/$name.diff" | head -60
    fail=$((fail + 1))
  fi
done
if [ "$mode" = bless ]; then
  echo "$ran captures run, $changed expected files rewritten"
else
  echo "$ran captures compared, $fail failed"
fi
[ "$ran" -gt 0 ] && [ "$fail" -eq 0 ]
