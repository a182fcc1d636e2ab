#!/bin/bash
# agreement-run.sh MODE BUILDDIR SRCDIR: the body of the test_nmap_agreement*
# tests.  Runs the lab (lab-runs.sh, run-lab.sh MODE), checks the capture (labpy/checkcap.py),
# runs svpassive on it (-oX, -oJ, -oN) and compares with nmap
# (labpy/agreement.py, explanations in agreement-expected.tsv).
#
# The lab's output does not depend on the svpassive build: lab-runs.sh keeps
# a run of every mode in tests/lab/work/agreement-MODE/ for LAB_REUSE_MIN
# minutes (default 120) as long as the lab is the same (lab_signature), so
# the ASan pass of the suite only re-runs svpassive and the checks. When
# there is none, the first agreement test runs all modes at once (each in
# its own namespace) and the others wait for it. LAB_REUSE_MIN=0 forces a
# fresh lab of this test's mode only.
set -u
mode=$1 build=${2:-} src=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
svp=${SVPASSIVE:-$build/svpassive}
PY=/usr/bin/python3

if [ "$(id -u)" -ne 0 ]; then echo "skip: the lab needs root" >&2; exit 77; fi
if [ ! -x "$svp" ]; then echo "skip: no svpassive binary at $svp" >&2; exit 77; fi

out=$here/work/agreement-$mode
if [ "${LAB_REUSE_MIN:-120}" -gt 0 ]; then modes=(normal midstream ipv6); else modes=("$mode"); fi
bash "$here/lab-runs.sh" "${modes[@]}"
[ -f "$out/lab.stamp" ] || { echo "FAIL: no lab run for $mode (see $out/run-lab.log)"; exit 1; }
cat "$out/README"

echo "--- the lab's capture"
"$PY" "$here/labpy/checkcap.py" "$mode" "$out" || { echo "FAIL: the capture does not hold what $mode promises"; exit 1; }

echo "--- svpassive"
# its outputs beside the build (two builds may check the same lab run)
res=${build:-$out}/lab-agreement-$mode
rm -rf "$res"; mkdir -p "$res"
"$svp" -r "$out/capture.pcap" -oX "$res/svp.xml" -oJ "$res/svp.jsonl" -oN "$res/svp.txt" \
  >/dev/null 2>"$res/svp.err"
rc=$?
if [ $rc -ne 0 ] || [ ! -s "$res/svp.xml" ]; then
  echo "FAIL: svpassive -r capture.pcap -oX exited $rc"; cat "$res/svp.err"; exit 1
fi
grep -E '^[0-9]+/(tcp|udp)' "$res/svp.txt"

echo "--- agreement with nmap -sV"
"$PY" "$here/labpy/agreement.py" "$mode" "$out" "$res/svp.xml" "$res/svp.jsonl" \
  "$here/agreement-expected.tsv"
