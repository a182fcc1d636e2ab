#!/bin/bash
# test_inventory_formats.sh: svpassive's four output formats, end to end,
# against nmap's own files for the same servers (tests/output/capture, made
# by mkcapture.sh: real clients talking to OpenSSH, nginx, Redis, an unknown
# banner and a closed port, and nmap -sV -oA for the same ports).
#  - normal: the PORT table and the Service Info line are nmap's, the
#    unknown port's fingerprint is there;
#  - grepable: the Ports line is nmap's;
#  - XML: valid against nmap.dtd, ndiff against nmap's XML: no difference;
#  - JSON Lines: parses, documented keys, nmap's fields;
#  - -oA equals the single-format options and '-' (stdout); two runs with
#    SVP_FIXED_TIME=1 are byte-identical; -v keeps the XML valid and adds
#    the evidence.
# Usage (ctest): bash test_inventory_formats.sh BUILDDIR SRCDIR
set -u
src=$2
bin=${SVPASSIVE:-$1/svpassive}
cap=$src/tests/output/capture
. "$src/tests/output/lib.sh"
export SVP_FIXED_TIME=1 TZ=UTC

"$bin" -q -r "$cap/clients.pcap" -oA "$tmp/inv" 2>"$tmp/stderr"
rc=$?
skip_if_stub "$tmp/stderr"
[ $rc -eq 0 ] || { no "svpassive exit $rc"; cat "$tmp/stderr" >&2; exit 1; }
for e in nmap xml gnmap jsonl; do
  [ -s "$tmp/inv.$e" ] || no "-oA wrote no inv.$e"
done

# normal: table rows and Service Info as nmap printed them
table() { grep -E '^PORT |^[0-9]+/(tcp|udp) ' "$1"; }
if ! diff <(table "$cap/nmap.nmap") <(table "$tmp/inv.nmap") >"$tmp/d"; then
  no "normal output table differs from nmap's:"
  cat "$tmp/d" >&2
fi
[ "$(grep '^Service Info:' "$cap/nmap.nmap")" = "$(grep '^Service Info:' "$tmp/inv.nmap")" ] ||
  no "Service Info line differs from nmap's"
grep -q '^SF-Port40090-TCP:V=svpassive-' "$tmp/inv.nmap" || no "no fingerprint for 40090"
grep -q '^1 service unrecognized despite returning data\.' "$tmp/inv.nmap" ||
  no "no fingerprint paragraph"

# grepable: the Ports line
[ "$(grep -P '\tPorts: ' "$cap/nmap.gnmap")" = "$(grep -P '\tPorts: ' "$tmp/inv.gnmap")" ] ||
  no "grepable Ports line differs: $(grep -P '\tPorts: ' "$tmp/inv.gnmap")"

# XML: DTD and ndiff
xmllint --noout --dtdvalid "$dtd" "$tmp/inv.xml" 2>"$tmp/xmllint" ||
  { no "XML not valid against nmap.dtd"; head "$tmp/xmllint" >&2; }
ndiff_clean "$cap/nmap.xml" "$tmp/inv.xml" "capture/nmap.xml"

# JSON Lines
python3 "$src/tests/output/jsoncheck.py" "$tmp/inv.jsonl" "$cap/nmap.xml" || fail=1

# the same output through every way of naming it (the lines that quote
# the command line aside); fixed times make runs byte-identical
same() { # same FILE1 FILE2 WHAT
  cmp -s <(grep -v '^# svpassive \|^<!-- svpassive \|^<nmaprun ' "$1") \
         <(grep -v '^# svpassive \|^<!-- svpassive \|^<nmaprun ' "$2") || no "$3"
}
"$bin" -q -r "$cap/clients.pcap" -oX - >"$tmp/x.xml" 2>/dev/null
same "$tmp/x.xml" "$tmp/inv.xml" "-oX - differs from -oA's XML"
"$bin" -q -r "$cap/clients.pcap" -oJ "$tmp/j.jsonl" -oG "$tmp/g.gnmap" 2>/dev/null
cmp -s "$tmp/j.jsonl" "$tmp/inv.jsonl" || no "-oJ FILE differs from -oA's JSON"
same "$tmp/g.gnmap" "$tmp/inv.gnmap" "-oG FILE differs from -oA's grepable"
"$bin" -q -r "$cap/clients.pcap" >"$tmp/n.nmap" 2>/dev/null
same "$tmp/n.nmap" "$tmp/inv.nmap" "default stdout differs from -oA's normal output"
# the very same command again: every byte the same
for e in nmap xml gnmap jsonl; do cp "$tmp/inv.$e" "$tmp/first.$e"; done
"$bin" -q -r "$cap/clients.pcap" -oA "$tmp/inv" 2>/dev/null
for e in nmap xml gnmap jsonl; do
  cmp -s "$tmp/first.$e" "$tmp/inv.$e" || no "second run: $e output differs"
done
grep -q 'run started Thu Jan  1 00:00:00 1970 as: ' "$tmp/inv.nmap" || no "SVP_FIXED_TIME header"

# -v: evidence, still valid XML
"$bin" -q -v -r "$cap/clients.pcap" -oX "$tmp/v.xml" -oN "$tmp/v.nmap" 2>/dev/null
xmllint --noout --dtdvalid "$dtd" "$tmp/v.xml" 2>/dev/null || no "-v XML not valid"
[ "$(grep -o '<script id="svpassive-evidence"' "$tmp/v.xml" | wc -l)" -eq 5 ] ||
  no "-v XML: expected 5 evidence scripts"
grep -q '^|   rule /usr/share/nmap/nmap-service-probes:[0-9]*, probe NULL$' "$tmp/v.nmap" ||
  no "-v normal output: no banner rule line"
grep -q '^|   evidence: .*clients.pcap frame [0-9]* at 2026-11-23T' "$tmp/v.nmap" ||
  no "-v normal output: no evidence frame line"

[ $fail -eq 0 ] && echo "ok: normal, grepable, XML (DTD, ndiff) and JSON agree with nmap on $(grep -c . "$tmp/inv.jsonl") ports"
exit $fail
