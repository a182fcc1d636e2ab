# Shared by the OT/seed HTTP-ish servers: GET PATH from ADDR:PORT with
# Python's urllib (no proxy), body discarded; exit 0 on HTTP 200.
ot_http_get() {
  local addr=$1 port=$2 path=$3
  case $addr in *:*) addr="[$addr]" ;; esac
  "$LAB_PY" - "http://$addr:$port$path" <<'PY'
import sys, urllib.request
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
with opener.open(sys.argv[1], timeout=10) as r:
    r.read()
    sys.exit(0 if r.status == 200 else 1)
PY
}
