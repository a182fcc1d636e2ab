#!/bin/bash
# test_thirdparty_formats.sh: the writers on what real-world captures hold.
# All 216 third-party captures (tests/pcaps/third-party: ICS, IT, malware
# traffic, odd link types, truncated files) go through svpassive as one run,
# with and without -v, and:
#  - the XML is valid against nmap.dtd, and ndiff reads it (against itself:
#    no difference);
#  - every JSON line parses, with the documented keys (jsoncheck.py);
#  - the four formats list the same endpoints: JSON lines = XML <port>s =
#    grepable entries = normal-output rows;
#  - normal and grepable output carry no control bytes (hostile bytes from
#    banners, file names and rules are escaped or replaced);
#  - two runs with SVP_FIXED_TIME=1 give the same bytes.
# Usage (ctest): bash test_thirdparty_formats.sh BUILDDIR SRCDIR
set -u
src=$2
bin=${SVPASSIVE:-$1/svpassive}
. "$src/tests/output/lib.sh"
export SVP_FIXED_TIME=1 TZ=UTC

mapfile -t caps < <(find "$src/tests/pcaps/third-party" -type f \
  \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) | sort)
[ "${#caps[@]}" -ge 200 ] || no "only ${#caps[@]} third-party captures found"
args=()
for c in "${caps[@]}"; do args+=(-r "$c"); done

run() { # run OUTBASE [options]: exit 0 or 1 (some input rejected) is fine
  local base=$1
  shift
  "$bin" -q "${args[@]}" "$@" -oA "$base" 2>"$base.err"
  local rc=$?
  skip_if_stub "$base.err"
  if [ $rc -gt 1 ]; then
    no "svpassive exit $rc"
    tail -5 "$base.err" >&2
  fi
}
run "$tmp/a"
run "$tmp/v" -v
run "$tmp/b"

for base in a v; do
  xmllint --noout --dtdvalid "$dtd" "$tmp/$base.xml" 2>"$tmp/xmllint" ||
    { no "$base.xml not valid against nmap.dtd"; head "$tmp/xmllint" >&2; }
  ndiff_clean "$tmp/$base.xml" "$tmp/$base.xml" "$base.xml (itself)"
  python3 "$src/tests/output/jsoncheck.py" "$tmp/$base.jsonl" || fail=1
done
grep -q 'svpassive-evidence' "$tmp/v.xml" || no "-v XML has no evidence"

n_json=$(grep -c . "$tmp/a.jsonl")
n_xml=$(grep -o '<port protocol=' "$tmp/a.xml" | wc -l)
n_grep=$(grep -P '\tPorts: ' "$tmp/a.gnmap" | sed 's/.*\tPorts: //' | tr ',' '\n' |
         grep -cE '^ ?[0-9]+/(open|closed)/(tcp|udp)/')
n_norm=$(grep -cE '^[0-9]+/(tcp|udp) +(open|closed) ' "$tmp/a.nmap")
[ "$n_json" -ge 300 ] || no "only $n_json endpoints"
[ "$n_json" = "$n_xml" ] && [ "$n_json" = "$n_grep" ] && [ "$n_json" = "$n_norm" ] ||
  no "endpoint counts differ: JSON $n_json, XML $n_xml, grepable $n_grep, normal $n_norm"

for f in a.nmap a.gnmap v.nmap; do
  if LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f]' "$tmp/$f"; then
    no "$f has control bytes:"
    LC_ALL=C grep -n $'[\x01-\x08\x0b-\x1f\x7f]' "$tmp/$f" | head -3 | cat -v >&2
  fi
done
for e in nmap xml gnmap jsonl; do
  cmp -s <(grep -v '^# svpassive \|^<!-- svpassive \|^<nmaprun ' "$tmp/a.$e") \
         <(grep -v '^# svpassive \|^<!-- svpassive \|^<nmaprun ' "$tmp/b.$e") ||
    no "second run: $e output differs"
done

[ $fail -eq 0 ] && echo "ok: ${#caps[@]} captures, $n_json endpoints; XML valid, JSON parses, formats agree, no control bytes"
exit $fail
