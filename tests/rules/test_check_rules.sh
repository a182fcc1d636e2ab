#!/bin/bash
# test_check_rules.sh: svpassive --check-rules on Debian's nmap 7.93 file
# (exact figures, exit 0), on a copy with broken lines (each named as
# file:line, exit 1, the rest still loaded), with overlays, and on files
# that cannot be read.
# Usage: bash test_check_rules.sh BUILDDIR SRCDIR (SVPASSIVE in the env).
set -u
SVPASSIVE=${SVPASSIVE:-$1/svpassive}
SYS=/usr/share/nmap/nmap-service-probes
if [ ! -r "$SYS" ]; then
  echo "skip: $SYS missing (apt-get install nmap-common)" >&2
  exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { # check DESCRIPTION COMMAND...
  if "${@:2}"; then echo "ok - $1"; else echo "not ok - $1"; fail=1; fi
}
has() { grep -qF -- "$2" "$1"; }

# 1. the system file, as the run's base (no project rules), exit 0
"$SVPASSIVE" --check-rules --no-project-rules >"$tmp/out" 2>"$tmp/err"
rc=$?
check "system file: exit 0" test "$rc" = 0
check "system file: 148 probes" has "$tmp/out" "probes:          148 (100 TCP, 48 UDP)"
check "system file: 11721 match" has "$tmp/out" "match lines:     11721"
check "system file: 196 softmatch" has "$tmp/out" "softmatch lines: 196"
check "system file: 0 errors" has "$tmp/out" "errors:          0 rejected"
check "system file: base named" has "$tmp/out" "base       $SYS: 16649 lines, 11917 rules, 0 errors"
check "system file: no diagnostics" test ! -s "$tmp/err"
grep -E "^(JIT time|memory|compile time):" "$tmp/out" | sed 's/^/# /'

# the same file given as an argument
"$SVPASSIVE" --check-rules --no-jit "$SYS" >"$tmp/out2" 2>&1
rc=$?
check "file argument: exit 0" test "$rc" = 0
check "file argument: same figures" has "$tmp/out2" "probes:          148 (100 TCP, 48 UDP)"
check "--no-jit: no JIT" has "$tmp/out2" "JIT time:        off"

# 2. a copy of the system file with two broken lines: line 3525 (the
# OpenSSH rule) loses its closing delimiter, line 6348 gets a bad flag
awk 'NR==3525 { sub(/\| p\/OpenSSH/, " p/OpenSSH") } NR==6348 { $0 = "rarity x" } { print }' \
  "$SYS" >"$tmp/broken.probes"
"$SVPASSIVE" --check-rules --no-jit "$tmp/broken.probes" >"$tmp/out" 2>"$tmp/err"
rc=$?
cat "$tmp/err" | sed 's/^/# stderr: /'
check "broken: exit 1" test "$rc" = 1
check "broken: names line 3525" has "$tmp/err" "$tmp/broken.probes:3525: "
check "broken: names line 6348" has "$tmp/err" "$tmp/broken.probes:6348: rarity must be a number from 1 to 9"
check "broken: two errors" has "$tmp/out" "errors:          2 rejected"
check "broken: the rest loaded (11720 match)" has "$tmp/out" "match lines:     11720"
check "broken: all probes" has "$tmp/out" "probes:          148 (100 TCP, 48 UDP)"

# 3. overlays: base + two files, named as such, overlay rules counted
cat >"$tmp/a.probes" <<'EOF'
Probe TCP NULL q||
match exporter m|^HTTP/1\.[01] 200 OK\r\n.*# HELP node_|s p/Prometheus Node Exporter/
EOF
cat >"$tmp/b.probes" <<'EOF'
Probe TCP OPCUA q|HEL\x1c\0\0\0|
rarity 3
ports 4840
match opc-ua m|^ACK\x46| p/OPC UA/
match broken m|^[\w-.]|
EOF
"$SVPASSIVE" --check-rules --no-jit "$SYS" "$tmp/a.probes" "$tmp/b.probes" >"$tmp/out" 2>"$tmp/err"
rc=$?
check "overlays: exit 1 (one bad regex)" test "$rc" = 1
check "overlays: overlay 1 named" has "$tmp/out" "overlay 1  $tmp/a.probes: 2 lines, 1 rules, 0 errors"
check "overlays: overlay 2 named" has "$tmp/out" "overlay 2  $tmp/b.probes: 5 lines, 2 rules, 1 error"
check "overlays: regex error located" has "$tmp/err" "$tmp/b.probes:5: regex does not compile"
check "overlays: new probe counted" has "$tmp/out" "probes:          149 (101 TCP, 48 UDP)"
check "overlays: match lines" has "$tmp/out" "match lines:     11723"

# the run's own setup: --rules + --add-rules + --rules-dir
mkdir "$tmp/dir"
cp "$tmp/a.probes" "$tmp/dir/10-a.probes"
echo "not a rule" >"$tmp/dir/ignored.txt"
"$SVPASSIVE" --check-rules --no-jit --rules "$SYS" --rules-dir "$tmp/dir" --add-rules "$tmp/b.probes" \
  >"$tmp/out" 2>"$tmp/err"
rc=$?
check "setup: exit 1" test "$rc" = 1
check "setup: project dir at layer 1" has "$tmp/out" "overlay 1  $tmp/dir/10-a.probes"
check "setup: --add-rules at layer 2" has "$tmp/out" "overlay 2  $tmp/b.probes"
check "setup: .txt ignored" sh -c "! grep -q ignored.txt '$tmp/out'"

# 4. files that cannot be read
"$SVPASSIVE" --check-rules "$tmp/nope.probes" >"$tmp/out" 2>"$tmp/err"
rc=$?
check "missing base: exit 3" test "$rc" = 3
check "missing base: named" has "$tmp/err" "$tmp/nope.probes: cannot read"
"$SVPASSIVE" --check-rules --no-jit --no-project-rules --add-rules "$tmp/nope.probes" >"$tmp/out" 2>"$tmp/err"
rc=$?
check "missing overlay: exit 1, rest loaded" test "$rc" = 1
check "missing overlay: figures" has "$tmp/out" "match lines:     11721"
"$SVPASSIVE" --check-rules --datadir "$tmp" >"$tmp/out" 2>"$tmp/err"
rc=$?
check "--datadir without the file: exit 3" test "$rc" = 3
check "--datadir: path named" has "$tmp/err" "$tmp/nmap-service-probes: cannot read"

exit $fail
