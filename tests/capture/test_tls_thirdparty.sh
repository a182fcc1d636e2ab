#!/bin/bash
# test_tls_thirdparty.sh: TLS in third-party captures (tests/pcaps/third-party,
# plus ../shared/pcaps beside the checkout when it is there). Wherever tshark
# (-Y tls.handshake.certificate) shows a server certificate, svpassive must
# report that certificate for that server endpoint: the leaf's SHA-256 (of
# the DER tshark shows) among the endpoint's certificates, or, for a server
# that presented more distinct leaves than svpassive keeps, counted as
# dropped. Every capture must be read without a crash (exit 0 or 1).
# Usage (ctest): bash test_tls_thirdparty.sh BUILDDIR SRCDIR
set -u
build=$1 src=$2
bin=${SVPASSIVE:-$build/svpassive}
command -v tshark >/dev/null || { echo "skip: tshark not installed" >&2; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dirs=("$src/tests/pcaps/third-party")
[ -n "${SVP_TLS_PCAPS:-}" ] && dirs+=("$SVP_TLS_PCAPS")
mapfile -t caps < <(find "${dirs[@]}" -type f \( -name '*.pcap' -o -name '*.pcapng' \
  -o -name '*.cap' \) | sort)
fail=0 n=0
for c in "${caps[@]}"; do
  # tshark only where a TLS record header occurs at all (most captures: none)
  LC_ALL=C grep -qaP '\x16\x03[\x00-\x04]' "$c" || continue
  tshark -n -r "$c" -Y tls.handshake.certificate -T fields -E separator=/t \
    -e ip.src -e ipv6.src -e tcp.srcport -e tls.handshake.certificate \
    >"$tmp/ts.tsv" 2>/dev/null
  [ -s "$tmp/ts.tsv" ] || continue
  n=$((n + 1))
  "$bin" -q -r "$c" -oJ "$tmp/out.jsonl" 2>"$tmp/err"
  rc=$?
  if [ $rc -gt 1 ]; then
    echo "FAIL: $c: svpassive exit $rc" >&2
    tail -3 "$tmp/err" >&2
    fail=1
    continue
  fi
  python3 - "$tmp/ts.tsv" "$tmp/out.jsonl" "$c" <<'PY' || fail=1
import hashlib, json, sys
eps = {}
for line in open(sys.argv[2]):
    e = json.loads(line)
    eps[(e["addr"], e["port"])] = e
seen, bad = set(), 0
for line in open(sys.argv[1]):
    f = line.rstrip("\n").split("\t")
    if len(f) < 4 or not f[3]:
        continue
    addr = f[0].split(",")[0] or f[1].split(",")[0]
    port = int(f[2].split(",")[0])
    leaf = f[3].split(",")[0].replace(":", "")
    sha = hashlib.sha256(bytes.fromhex(leaf)).hexdigest()
    if (addr, port, sha) in seen:
        continue
    seen.add((addr, port, sha))
    e = eps.get((addr, port))
    tls = (e or {}).get("tls") or {}
    got = {c["sha256"] for c in tls.get("certificates", [])}
    if sha in got or tls.get("certificates_dropped", 0) > 0:
        continue
    bad += 1
    print("FAIL: %s: %s:%d: tshark's certificate %s... not in svpassive's %s" %
          (sys.argv[3], addr, port, sha[:16], sorted(x[:16] for x in got)), file=sys.stderr)
print("%s: %d server certificates, %d missing" % (sys.argv[3].split("/")[-1], len(seen), bad))
sys.exit(1 if bad else 0)
PY
done
[ $n -ge 5 ] || { echo "FAIL: only $n captures with certificates" >&2; fail=1; }
[ $fail -eq 0 ] && echo "ok: $n captures with TLS certificates, every one reported"
exit $fail
