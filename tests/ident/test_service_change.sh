#!/bin/bash
# test_service_change.sh: one ip:port serves nginx, then lighttpd, then nginx
# again during a single capture (real servers in a netns, real curl). The
# inventory must say that the service changed and keep the earlier identity
# in the endpoint's history, with nginx (the latest) as the current result,
# instead of silently overwriting one with the other.
set -u
build=$1 src=$2
bin=${SVPASSIVE:-$build/svpassive}
. "$src/tests/lab/lib.sh"
lab_require_root
lab_init service-change
lab_netns_up chg 240 || lab_die "cannot create the namespace"
. "$src/tests/lab/servers/nginx.sh"
. "$src/tests/lab/servers/lighttpd.sh"
srv_nginx_install >/dev/null && srv_lighttpd_install >/dev/null || lab_die "install failed"

cap=$LAB_WORK/change.pcap
lab_capture_start "$LAB_IFACE" "$cap" tcp port 8080 || lab_die "no capture"
for srv in nginx lighttpd nginx; do
  "srv_${srv}_start" "$LAB_ADDR4" 8080 || lab_die "$srv did not start"
  "srv_${srv}_client" "$LAB_ADDR4" 8080 || lab_die "$srv client failed"
  lab_stop "$srv"
  sleep 0.5
done
lab_capture_stop

"$bin" -q -r "$cap" -oJ "$LAB_WORK/out.jsonl" -oN "$LAB_WORK/out.txt" -v || lab_die "svpassive failed"
python3 - "$LAB_WORK/out.jsonl" "$LAB_ADDR4" <<'PY'
import json, sys
eps = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
ep = [e for e in eps if e["addr"] == sys.argv[2] and e["port"] == 8080]
fail = 0
def check(cond, what):
    global fail
    print(("ok: " if cond else "FAIL: ") + what)
    fail += not cond
check(len(ep) == 1, "one endpoint for %s:8080 (got %d)" % (sys.argv[2], len(ep)))
if ep:
    e = ep[0]
    check(e["service"] == "http" and e["product"] == "nginx",
          "current result is the latest server, nginx (got %s/%s)" % (e["service"], e["product"]))
    hist = e.get("history") or []
    products = [h.get("product") for h in hist]
    check("lighttpd" in products, "history keeps lighttpd (history: %s)" % products)
    check("nginx" not in products, "nginx, current again, is not also in the history")
    check(e["flows"] >= 3, "every flow counted (%d)" % e["flows"])
sys.exit(1 if fail else 0)
PY
rc=$?
grep -q 'earlier: http lighttpd' "$LAB_WORK/out.txt" || { echo "FAIL: -v text output does not show the earlier lighttpd"; rc=1; }
exit $rc
