#!/bin/bash
# make-captures.sh: the lab captures committed for regression tests.
#
# usage: tests/lab/make-captures.sh [MODE...]     (default: normal midstream ipv6)
#
# Runs run-lab.sh for each mode and copies into tests/regress/captures/:
#   lab-MODE.pcap         the capture (clients and servers only, no nmap traffic)
#   lab-MODE.nmap.xml     nmap -sV -oX against the same servers (the reference)
#   lab-MODE.servers.tsv  which server program listened where, with package versions
# then rewrites tests/regress/captures/MANIFEST and builds samples/lab-mixed.pcap
# (the normal and mid-conversation captures merged in time order).
# The runs come from lab-runs.sh: a run of the same lab younger than
# LAB_REUSE_MIN minutes (default 120) in tests/lab/work/agreement-MODE/ (as
# the agreement tests leave it) is reused, the other modes run in parallel.
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
dest=$src/tests/regress/captures
. "$here/lib.sh"
lab_require_root
[ $# -gt 0 ] || set -- normal midstream ipv6
mkdir -p "$dest" "$src/samples"

bash "$here/lab-runs.sh" "$@" || lab_die "the lab runs failed"
for mode in "$@"; do
  out=$here/work/agreement-$mode
  cp "$out/capture.pcap" "$dest/lab-$mode.pcap"
  cp "$out/nmap.xml" "$dest/lab-$mode.nmap.xml"
  cp "$out/servers.tsv" "$dest/lab-$mode.servers.tsv"
  cp "$out/README" "$dest/lab-$mode.README"
done

if [ -f "$dest/lab-normal.pcap" ] && [ -f "$dest/lab-midstream.pcap" ]; then
  lab_install wireshark-common >/dev/null || lab_install tshark
  mergecap -F pcap -w "$src/samples/lab-mixed.pcap" "$dest/lab-normal.pcap" "$dest/lab-midstream.pcap"
fi

{
  echo "# Lab captures for regression tests, made by tests/lab/make-captures.sh"
  echo "# (real Debian/npm server programs and real clients in a network namespace;"
  echo "# see tests/lab/README.md).  Per capture: the .nmap.xml reference, the"
  echo "# .servers.tsv inventory of what ran where, the .README with the commands."
  echo "# name<TAB>mode<TAB>packets<TAB>bytes<TAB>servers<TAB>date"
  for mode in normal midstream ipv6; do
    f=$dest/lab-$mode.pcap
    [ -f "$f" ] || continue
    printf 'lab-%s.pcap\t%s\t%s\t%s\t%s\t%s\n' "$mode" "$mode" \
      "$(capinfos -c -M "$f" | awk -F: '/Number of packets/ {gsub(/ /,"",$2); print $2}')" \
      "$(stat -c %s "$f")" \
      "$(tail -n +2 "$dest/lab-$mode.servers.tsv" | cut -f1 | paste -sd, -)" \
      "$(sed -n 's/^date: //p' "$dest/lab-$mode.README")"
  done
} >"$dest/MANIFEST"
lab_log "captures in $dest; sample: samples/lab-mixed.pcap"
