#!/bin/bash
# test_agreement_recorded: the agreement check of test_nmap_agreement*.sh on
# the lab captures committed in tests/regress/captures/ (made by
# make-captures.sh), against the nmap -sV XML recorded with each.  Needs no
# root and no servers: it guards the identification layer between live lab
# runs.  Disagreements must be explained in agreement-expected.tsv, as live.
set -u
build=${1:-} src=${2:-$(cd "$(dirname "$0")/../.." && pwd)}
here=$src/tests/lab
caps=$src/tests/regress/captures
svp=${SVPASSIVE:-$build/svpassive}
PY=/usr/bin/python3
[ -x "$svp" ] || { echo "skip: no svpassive binary at $svp" >&2; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ran=0 fail=0
for mode in normal midstream ipv6; do
  cap=$caps/lab-$mode.pcap
  [ -f "$cap" ] || { echo "FAIL: $cap missing (tests/lab/make-captures.sh makes it)"; fail=1; continue; }
  d=$work/$mode
  mkdir -p "$d"
  cp "$caps/lab-$mode.nmap.xml" "$d/nmap.xml"
  cp "$caps/lab-$mode.servers.tsv" "$d/servers.tsv"
  if ! "$svp" -q -r "$cap" -oX "$d/svp.xml" -oJ "$d/svp.jsonl" >/dev/null 2>"$d/err"; then
    echo "FAIL: svpassive -r $cap"; cat "$d/err"; fail=1; continue
  fi
  echo "=== $mode: $(sed -n 's/^date: //p' "$caps/lab-$mode.README")"
  "$PY" "$here/labpy/agreement.py" "$mode" "$d" "$d/svp.xml" "$d/svp.jsonl" \
    "$here/agreement-expected.tsv" || fail=1
  ran=$((ran + 1))
done
[ $ran -eq 3 ] || fail=1
exit $fail
