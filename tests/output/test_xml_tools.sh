#!/bin/bash
# test_xml_tools.sh: svpassive's XML and JSON Lines read by other programs.
#  - every XML document the writer tests produce (nmap-ref ports, real
#    server responses of tests/fixtures/responses matched by the rule
#    engine, edge cases with hostile bytes, -v evidence, an empty report)
#    is valid against Debian's /usr/share/nmap/nmap.dtd (xmllint --dtdvalid);
#  - Debian's ndiff, comparing nmap's own XML for the same ports/servers
#    with svpassive's, reports no difference (exit 0: only its header);
#  - every JSON line parses with python3's json module, has the documented
#    keys and nmap's service, product, version, ... for those ports.
# Usage (ctest): bash test_xml_tools.sh BUILDDIR SRCDIR
set -u
build=$1
src=$2
. "$src/tests/output/lib.sh"
export SVP_SRCDIR=$src

for t in test_out_xml test_out_json test_out_fixtures; do
  if ! "$build/tests/$t" --emit "$tmp" >"$tmp/$t.log"; then
    echo "FAIL: $t --emit" >&2
    grep '^not ok' "$tmp/$t.log" >&2
    fail=1
  fi
done

n=0
for f in "$tmp"/*.xml; do
  n=$((n + 1))
  if ! xmllint --noout --dtdvalid "$dtd" "$f" 2>"$tmp/xmllint.err"; then
    echo "FAIL: $(basename "$f") is not valid against nmap.dtd:" >&2
    head -20 "$tmp/xmllint.err" >&2
    fail=1
  fi
done
[ "$n" -ge 7 ] || { echo "FAIL: only $n XML documents emitted" >&2; fail=1; }

for name in services guesses-udp ipv6 unknown-banner; do
  ndiff_clean "$src/tests/output/nmap-ref/$name.xml" "$tmp/$name.xml" "nmap-ref/$name.xml"
done
nfix=0
for f in "$tmp"/fixture-*.xml; do
  [ -e "$f" ] || continue
  name=$(basename "$f" .xml)
  name=${name#fixture-}
  nfix=$((nfix + 1))
  # svpassive's endpoints carry no MAC address: leave nmap's out of the
  # comparison (ndiff would otherwise list the host header as changed)
  grep -v 'addrtype="mac"' "$src/tests/fixtures/responses/$name/nmap.xml" >"$tmp/nmap-$name.xml"
  ndiff_clean "$tmp/nmap-$name.xml" "$f" "fixtures/responses/$name/nmap.xml"
done
[ "$nfix" -ge 4 ] || { echo "FAIL: only $nfix fixture documents" >&2; fail=1; }

njson=0
jargs=()
for f in "$tmp"/*.jsonl; do
  name=$(basename "$f" .jsonl)
  njson=$((njson + 1))
  case "$name" in
  fixture-*) ref="$src/tests/fixtures/responses/${name#fixture-}/nmap.xml" ;;
  *) ref="$src/tests/output/nmap-ref/$name.xml" ;;
  esac
  if [ -e "$ref" ]; then jargs+=("$f=$ref"); else jargs+=("$f"); fi
done
python3 "$src/tests/output/jsoncheck.py" "${jargs[@]}" || fail=1
[ "$njson" -ge 9 ] || { echo "FAIL: only $njson JSONL files emitted" >&2; fail=1; }

[ $fail -eq 0 ] && echo "ok: $n XML documents valid, ndiff clean on $nfix fixtures and 4 references, JSON lines parse"
exit $fail
