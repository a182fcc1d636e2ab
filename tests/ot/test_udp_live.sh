#!/bin/bash
# test_udp_live.sh BUILDDIR SRCDIR: UDP as it really flows, on real servers
# and clients (src/reasm/udp.c, src/proto/udpmsg.c).
#
# In the namespace svpot-udp (10.202.6.2, .3 and .4; this side 10.202.6.1),
# with tcpdump on the veth:
#  - tftpd-hpa on 10.202.6.2:69 and Debian's tftp-hpa client: a read, a
#    write and a read of a missing file. The server answers each request
#    from a fresh port (its transfer ID).
#  - BACnet/IP peers on npm node-bacnet (tests/ot/bacnet_device.js), all on
#    port 47808: device 260002 here reads device 260001 (10.202.6.2), which
#    reads it back; device 260003 (10.202.6.3) only sends I-Am to the
#    subnet's broadcast address and is never asked anything; a front end
#    on 10.202.6.4 only broadcasts Who-Is.
# Then `svpassive -r CAPTURE` must show:
#  - 10.202.6.2:69/udp as tftp from the answers (not the port table), the
#    request's flow marked altport, and no endpoint on a transfer port;
#  - both peers 10.202.6.1:47808 and 10.202.6.2:47808 as bacnet from their
#    answers (one flow, and its reverse view marked peer);
#  - 10.202.6.3:47808 as bacnet from its I-Am (method announcement, device
#    instance and vendor id in the extra info), 10.202.6.4:47808 as bacnet
#    (softmatch) from its broadcast Who-Is;
#  - every server tshark's dissectors see answering (BACnet ACKs and I-Am,
#    TFTP requests' receivers) named by evidence.
# SVP_UDP_CAPTURE_OUT=FILE keeps the capture (tests/ot/captures/udp_peers.pcap
# is made this way).
set -u
build=${1:?BUILDDIR} src=${2:?SRCDIR}
. "$src/tests/lab/lib.sh"
. "$src/tests/ot/lib_ot.sh"
lab_require_root
for t in tshark python3 ip node; do
  command -v "$t" >/dev/null || { echo "skip: $t not installed" >&2; exit 77; }
done
svp=${SVPASSIVE:-$build/svpassive}
LAB_WORK=$build/ot-udp-live
rm -rf "$LAB_WORK"
lab_init ot-udp-live
tftproot=""
trap 'lab_cleanup; ot_netns_down udp; [ -n "$tftproot" ] && rm -rf "$tftproot"' EXIT
. "$LAB_DIR/servers/bacnet_node.sh"
lab_install tftpd-hpa tftp-hpa tcpdump >/dev/null || { echo "skip: cannot install tftpd-hpa" >&2; exit 77; }
srv_bacnet_node_install >/dev/null || { echo "skip: cannot install node-bacnet" >&2; exit 77; }
export NODE_PATH=$(srv_bacnet_node_dir)/node_modules
ot_netns_up udp 6 || exit 1
ip netns exec "$LAB_NS" ip addr add 10.202.6.3/24 dev svpot6n || exit 1
ip netns exec "$LAB_NS" ip addr add 10.202.6.4/24 dev svpot6n || exit 1
A=10.202.6.2 C=10.202.6.3 D=10.202.6.4 HERE=10.202.6.1 BCAST=10.202.6.255
cap=$LAB_WORK/udp.pcap
lab_capture_start "$LAB_IFACE" "$cap" udp || exit 1

# wait_line NAME TEXT: the process's log shows TEXT (30 s at most)
wait_line() {
  local i
  for i in $(seq 1 300); do
    grep -q "$2" "$LAB_WORK/log/$1.log" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "not ok - $1 never said '$2':" >&2
  sed 's/^/  /' "$LAB_WORK/log/$1.log" >&2
  return 1
}

# TFTP: the served files live outside the checkout (tftpd drops to user tftp)
tftproot=$(mktemp -d /tmp/svp-tftp.XXXXXX)
chmod 0777 "$tftproot"
head -c 3000 /dev/urandom >"$tftproot/lab.bin"
chmod 0644 "$tftproot/lab.bin"
: >"$tftproot/up.bin"
chmod 0666 "$tftproot/up.bin"
head -c 1200 /dev/urandom >"$LAB_WORK/up.bin"
lab_bg tftpd /usr/sbin/in.tftpd --foreground --listen --address "$A:69" --secure \
  --user tftp "$tftproot"
lab_wait_udp "$A" 69 || exit 1
fail=0
(cd "$LAB_WORK" && timeout 20 tftp -m binary "$A" -c get lab.bin got.bin) &&
  cmp -s "$LAB_WORK/got.bin" "$tftproot/lab.bin" || { echo "not ok - tftp get failed"; fail=1; }
(cd "$LAB_WORK" && timeout 20 tftp -m binary "$A" -c put up.bin up.bin) &&
  cmp -s "$LAB_WORK/up.bin" "$tftproot/up.bin" || { echo "not ok - tftp put failed"; fail=1; }
(cd "$LAB_WORK" && timeout 20 tftp -m binary "$A" -c get missing.bin missing.bin) >/dev/null 2>&1
lab_stop tftpd

# BACnet: A asks back whoever reads it; B (here) reads A; C only announces.
dev=$src/tests/ot/bacnet_device.js
lab_bg bacnet_a node "$dev" "$A" 47808 --instance 260001 --ask-back
wait_line bacnet_a ready || exit 1
lab_bg bacnet_c node "$dev" "$C" 47808 --instance 260003 --broadcast "$BCAST" --announce
wait_line bacnet_c ready || exit 1
lab_bg bacnet_d node "$dev" "$D" 47808 --instance 260004 --broadcast "$BCAST" --who-is
wait_line bacnet_d ready || exit 1
lab_bg_client bacnet_b node "$dev" "$HERE" 47808 --instance 260002 --peer "$A"
wait_line bacnet_b "peer ok" || fail=1
wait_line bacnet_a "asked back ok" || fail=1
lab_stop bacnet_b
lab_stop bacnet_a
lab_stop bacnet_c
lab_stop bacnet_d
lab_capture_stop
[ -n "${SVP_UDP_CAPTURE_OUT:-}" ] && cp "$cap" "$SVP_UDP_CAPTURE_OUT"

"$svp" -q -r "$cap" -oJ "$LAB_WORK/inv.json" >/dev/null 2>"$LAB_WORK/svp.err" || [ $? -eq 1 ] ||
  { echo "not ok - svpassive failed: $(tail -2 "$LAB_WORK/svp.err")"; exit 1; }
"$svp" --flows -r "$cap" >"$LAB_WORK/flows.txt" 2>/dev/null || [ $? -eq 1 ] ||
  { echo "not ok - svpassive --flows failed"; exit 1; }
# tshark's view: senders of BACnet answers and I-Am, receivers of TFTP requests
tshark -n -r "$cap" -T fields -E separator=/t -e ip.src -e udp.srcport -e ip.dst \
  -e udp.dstport -e bacapp.type -e bacapp.unconfirmed_service -e tftp.opcode \
  >"$LAB_WORK/tshark.tsv" 2>/dev/null || { echo "not ok - tshark failed"; exit 1; }

python3 - "$LAB_WORK" "$A" "$C" "$HERE" "$D" <<'EOF' || fail=1
import json, sys
work, A, C, HERE, D = sys.argv[1:6]
inv = {(e["addr"], e["port"], e["proto"]): e for e in map(json.loads, open(work + "/inv.json"))}
flows = open(work + "/flows.txt").read().splitlines()
bad = 0
def check(ok, what):
    global bad
    print(("ok - " if ok else "not ok - ") + what)
    bad += not ok
def evidence(e):
    return e is not None and e["match"] in ("hard", "soft") and e["method"] != "table"
def show(e):
    return e and {k: e.get(k) for k in ("service", "product", "extrainfo", "match", "method")}

t = inv.get((A, 69, "udp"))
check(evidence(t) and t["service"] == "tftp" and t["method"] == "request-response",
      "%s:69/udp is tftp from the answers: %s" % (A, show(t)))
check(any(l.startswith("udp ") and ("> %s:69 " % A) in l and "altport" in l for l in flows),
      "the requests' flows to %s:69 carry the answers from the transfer ports (altport)" % A)
stray = [k for k in inv if k[0] == A and k[2] == "udp" and k[1] not in (69, 47808)]
check(not stray, "no endpoint on a TFTP transfer port: %s" % stray)
for who in (A, HERE):
    b = inv.get((who, 47808, "udp"))
    check(evidence(b) and b["service"] == "bacnet" and b["method"] == "request-response",
          "peer %s:47808/udp is bacnet from its answers: %s" % (who, show(b)))
check(any(l.startswith("udp ") and "peer" in l.split("flags=")[1].split()[0] for l in flows),
      "the peers' flow has a reverse view (peer)")
c = inv.get((C, 47808, "udp"))
check(evidence(c) and c["service"] == "bacnet" and c["method"] == "announcement" and
      "I-Am; device 260003; vendor id 999" in (c.get("extrainfo") or ""),
      "%s:47808/udp is bacnet from its I-Am alone: %s" % (C, show(c)))
d = inv.get((D, 47808, "udp"))
check(evidence(d) and d["service"] == "bacnet" and d["method"] == "announcement" and
      d["match"] == "soft" and "Who-Is sender" in (d.get("extrainfo") or ""),
      "%s:47808/udp is a BACnet node from its broadcast Who-Is: %s" % (D, show(d)))
# the oracle: every server tshark sees answering is named by evidence
servers = set()
for line in open(work + "/tshark.tsv"):
    v = line.rstrip("\n").split("\t") + [""] * 7
    src, sport, dst, dport, btype, usvc, op = v[:7]
    if btype in ("2", "3", "5", "6") or (btype == "1" and usvc == "0"):
        servers.add((src, int(sport), "udp"))
    if op in ("1", "2"):
        servers.add((dst, int(dport), "udp"))
missing = sorted(s for s in servers if not evidence(inv.get(s)))
check(len(servers) >= 4 and not missing,
      "all %d servers tshark sees answering are named by evidence (missed: %s)" %
      (len(servers), missing))
sys.exit(1 if bad else 0)
EOF
exit $fail
