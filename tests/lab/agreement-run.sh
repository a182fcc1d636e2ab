#!/bin/bash
# agreement-run.sh MODE BUILDDIR SRCDIR: the body of the test_nmap_agreement*
# tests.  Runs the lab (run-lab.sh MODE), checks the capture (labpy/checkcap.py),
# runs svpassive on it (-oX, -oJ, -oN) and compares with nmap
# (labpy/agreement.py, explanations in agreement-expected.tsv).
#
# The lab's output does not depend on the svpassive build, so a run younger
# than LAB_REUSE_MIN minutes (default 120) made from the same server files is
# reused from tests/lab/work/agreement-MODE/ (the ASan pass of the suite then
# only re-runs svpassive).  LAB_REUSE_MIN=0 forces a fresh lab.
set -u
mode=$1 build=${2:-} src=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
svp=${SVPASSIVE:-$build/svpassive}
PY=/usr/bin/python3

if [ "$(id -u)" -ne 0 ]; then echo "skip: the lab needs root" >&2; exit 77; fi
if [ ! -x "$svp" ]; then echo "skip: no svpassive binary at $svp" >&2; exit 77; fi

out=$here/work/agreement-$mode
stamp=$out/lab.stamp
sig=$(cat "$here"/run-lab.sh "$here"/lib.sh "$here"/clients.py "$here"/servers/*.sh | md5sum | cut -d' ' -f1)
reuse=${LAB_REUSE_MIN:-120}
if [ "$reuse" -gt 0 ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sig" ] &&
   [ -n "$(find "$stamp" -mmin -"$reuse")" ]; then
  echo "reusing the lab run in $out ($(cat "$out/README" | sed -n 2p))"
else
  rm -rf "$out"; mkdir -p "$out"
  bash "$here/run-lab.sh" "$mode" "$out" || { echo "FAIL: run-lab.sh $mode failed"; exit 1; }
  echo "$sig" >"$stamp"
fi
cat "$out/README"

echo "--- the lab's capture"
"$PY" "$here/labpy/checkcap.py" "$mode" "$out" || { echo "FAIL: the capture does not hold what $mode promises"; exit 1; }

echo "--- svpassive"
rm -f "$out"/svp.*
"$svp" -r "$out/capture.pcap" -oX "$out/svp.xml" -oJ "$out/svp.jsonl" -oN "$out/svp.txt" \
  >/dev/null 2>"$out/svp.err"
rc=$?
if [ $rc -ne 0 ] || [ ! -s "$out/svp.xml" ]; then
  echo "FAIL: svpassive -r capture.pcap -oX exited $rc"; cat "$out/svp.err"; exit 1
fi
grep -E '^[0-9]+/(tcp|udp)' "$out/svp.txt"

echo "--- agreement with nmap -sV"
"$PY" "$here/labpy/agreement.py" "$mode" "$out" "$out/svp.xml" "$out/svp.jsonl" \
  "$here/agreement-expected.tsv"
