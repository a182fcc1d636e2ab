#!/bin/bash
# lab-runs.sh MODE...: make sure tests/lab/work/agreement-MODE/ holds a
# run-lab.sh output for each MODE (normal, midstream, ipv6) that is younger
# than LAB_REUSE_MIN minutes (default 120) and was made by the same lab
# (lab_signature: the lab's scripts and server files, the programs they
# start, package and nmap versions). The modes without one run at once, in
# parallel: each has its own namespace and addresses, and the packages are
# installed before they start. A valid run has agreement-MODE/lab.stamp;
# run-lab.sh's log is agreement-MODE/run-lab.log.
#
# One caller at a time per work directory: the agreement tests call this
# with every mode, the first one runs the lab, the others wait for it and
# then find their mode's run made. LAB_REUSE_MIN=0 reuses nothing.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
lab_require_root
[ $# -gt 0 ] || { sed -n '2,13p' "$0" >&2; exit 2; }
mkdir -p "$here/work"
exec {lock}>"$here/work/agreement.lock"
flock -w 3600 "$lock" || lab_die "another lab-runs.sh holds $here/work/agreement.lock"

reuse=${LAB_REUSE_MIN:-120}
sig=$(lab_signature)
todo=()
for m in "$@"; do
  out=$here/work/agreement-$m stamp=$here/work/agreement-$m/lab.stamp
  if [ "$reuse" -gt 0 ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sig" ] &&
     [ -n "$(find "$stamp" -mmin -"$reuse")" ]; then
    lab_log "$m: reusing the run of $(sed -n 's/^date: //p' "$out/README") in $out"
  else
    todo+=("$m")
    rm -f "$stamp"     # from here on, a stamp means a valid run
  fi
done
[ ${#todo[@]} -gt 0 ] || exit 0

bash "$here/run-lab.sh" install || lab_die "could not install the lab's packages"
sig=$(lab_signature)    # now with the versions of what was installed
declare -A pid=()
start=$SECONDS
for m in "${todo[@]}"; do
  out=$here/work/agreement-$m
  rm -rf "$out"; mkdir -p "$out"
  bash "$here/run-lab.sh" "$m" "$out" >"$out/run-lab.log" 2>&1 {lock}>&- &
  pid[$m]=$!
done
rc=0
for m in "${todo[@]}"; do
  out=$here/work/agreement-$m
  if wait "${pid[$m]}"; then
    echo "$sig" >"$out/lab.stamp"
    lab_log "$m: lab run made in $out"
  else
    rc=1
    lab_log "$m: run-lab.sh failed; its log ($out/run-lab.log) ends:"
    tail -20 "$out/run-lab.log" >&2
  fi
done
lab_log "modes ${todo[*]}: $((SECONDS - start)) s"
exit $rc
