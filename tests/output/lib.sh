# lib.sh: shared by the tests/output shell tests (sourced, not run).
# Sets dtd, tmp (removed at exit) and fail=0; exits 77 (skip) when a tool
# the XML/JSON checks need is missing; no MSG... records a failure.
for tool in xmllint ndiff python3; do
  command -v "$tool" >/dev/null || { echo "skip: $tool not installed" >&2; exit 77; }
done
dtd=/usr/share/nmap/nmap.dtd
[ -r "$dtd" ] || { echo "skip: $dtd missing (nmap-common)" >&2; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
no() { echo "FAIL: $*" >&2; fail=1; }

# ndiff_clean REF OURS LABEL: ndiff finds no difference but its header.
ndiff_clean() {
  ndiff "$1" "$2" >"$tmp/ndiff.out" 2>&1
  local rc=$?
  if [ $rc -ne 0 ] || grep -qv '^[-+]Nmap \|^$' "$tmp/ndiff.out"; then
    no "ndiff $3 vs svpassive (exit $rc):"
    cat "$tmp/ndiff.out" >&2
  fi
}

# skip_if_stub STDERRFILE: exit 77 when the binary still has the scaffolding
# stub instead of the inventory command.
skip_if_stub() {
  if grep -q 'not built yet' "$1"; then
    echo "skip: this build has no inventory command yet" >&2
    exit 77
  fi
}
