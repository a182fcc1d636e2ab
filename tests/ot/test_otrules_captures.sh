#!/bin/bash
# test_otrules_captures.sh BUILDDIR SRCDIR: the project's rules against every
# capture in the repository, at the match level.
#
# tshark (through tests/ot/extract_flows.py) pulls the client's and server's
# first bytes out of each flow of tests/pcaps/third-party/ and
# tests/ot/captures/; tests/unit/test_otrules.c replays them through the
# classifier and the matcher with the real ruleset (nmap's file + rules/),
# checks tests/ot/expect.tsv and that no project rule fires on another
# protocol's flow. The extraction is cached in BUILDDIR/ot-flows.tsv.
set -u
build=${1:?BUILDDIR} src=${2:?SRCDIR}
for t in tshark python3; do
  command -v "$t" >/dev/null || { echo "skip: $t not installed" >&2; exit 77; }
done
bin=$build/tests/test_otrules
[ -x "$bin" ] || { echo "missing $bin" >&2; exit 1; }

for t in mergecap; do
  command -v "$t" >/dev/null || { echo "skip: $t not installed" >&2; exit 77; }
done
extractor=$src/tests/ot/extract_flows.py
cd "$src" || exit 1
caps=$(awk -F'\t' 'NR > 1 { print "tests/pcaps/third-party/" $1 }' \
         tests/pcaps/third-party/MANIFEST.tsv; ls tests/ot/captures/*.pcap)

# One tshark run over all captures (see extract_flows.py); redone when a
# capture or the extractor is newer than the last extraction.
flows=$build/ot-flows.tsv
stale=0
[ -s "$flows" ] || stale=1
for f in $caps "$extractor"; do
  [ "$f" -nt "$flows" ] && stale=1
done
if [ $stale = 1 ]; then
  # shellcheck disable=SC2086
  # a temporary name of our own: the other OT test may extract at the same time
  python3 "$extractor" "$flows.$$.tmp" $caps && mv "$flows.$$.tmp" "$flows" || exit 1
fi
echo "$(wc -l <"$flows") flows from $(echo "$caps" | wc -l) captures" >&2

SVP_SRCDIR=$src "$bin" "$flows" "$src/tests/ot/expect.tsv"
