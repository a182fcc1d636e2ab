#!/bin/bash
# make-captures.sh OUTDIR: capture real servers (nginx, OpenSSH, Redis from
# Debian, via tests/lab/servers/) talking to tests/capture/client.py, which
# records what it sent and received, and derive the damaged captures:
#   normal.pcap      Ethernet, IPv4 + IPv6, handshakes captured   + normal.jsonl
#   sll2.pcap        the same traffic captured with tcpdump -i any (LINUX_SLL2)
#   midstream.pcap   connections opened and used before the capture started,
#                    more traffic after                            + midstream.jsonl
#   holes.pcap       normal.pcap with server segments deleted      + holes.json
#   reordered.pcap   normal.pcap with server segments swapped      + reordered.json
#   banner-first.pcap normal.pcap with the SSH banners moved before the
#                    client's handshake ACK                        + banner-first.json
#   qinq.pcap        normal.pcap with 802.1ad + 802.1Q tags added  + qinq.json
# Root only: network namespace svpcap-flowsN, addresses 10.150.N.0/24 and
# fd00:150:N::/64 with N from $SVPCAP_IDX (default: from the PID, 20-219, so
# that two runs at once do not meet); servers stopped by PID at exit.
set -u
OUT=${1:?output dir}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lab/lib.sh"
lab_require_root
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)
export LAB_NS_PREFIX=svpcap- LAB_VETH_PREFIX=svc LAB_NET4=10.150 LAB_NET6=fd00:150
lab_init capture
IDX=${SVPCAP_IDX:-$(( $$ % 200 + 20 ))}
lab_netns_up "flows$IDX" "$IDX" || lab_die "cannot make the namespace"
for s in nginx openssh redis; do
  . "$LAB_DIR/servers/$s.sh"
  "srv_${s}_install" >/dev/null || lab_die "cannot install $s"
done
for a in "$LAB_ADDR4" "$LAB_ADDR6"; do
  srv_nginx_start "$a" 80 || lab_die "nginx on $a"
  srv_openssh_start "$a" 22 || lab_die "sshd on $a"
  srv_redis_start "$a" 6379 || lab_die "redis on $a"
done
# A document large enough for several segments (the veth has no TSO).
$LAB_PY -c 'import sys
for i in range(200): sys.stdout.write("line %03d of the svpassive capture test document.......\n" % i)' \
  > "$LAB_WORK/nginx/www/big.txt"
chmod a+r "$LAB_WORK/nginx/www/big.txt"
A4=$LAB_ADDR4 A6="[$LAB_ADDR6]"
CLIENT="$LAB_PY $HERE/client.py"

# 1. normal (Ethernet on the veth) and the same traffic through "any" (SLL2)
lab_capture_start "$LAB_IFACE" "$OUT/normal.pcap" tcp || lab_die "tcpdump"
lab_bg_client tcpdump-any tcpdump -i any -y LINUX_SLL2 -B 16384 --immediate-mode -U -s 0 -n -Z root \
  -w "$OUT/sll2.pcap" tcp and "(net $LAB_NET4.$IDX.0/24 or net $LAB_NET6:$IDX::/64)"
for i in $(seq 1 50); do grep -q "listening on" "$LAB_WORK/log/tcpdump-any.log" && break; sleep 0.1; done
$CLIENT "$OUT/normal.jsonl" http@$A4:80 ssh@$A4:22 redis@$A4:6379 \
  http@$A6:80 ssh@$A6:22 redis@$A6:6379 || lab_die "client failed"
lab_capture_stop
sleep 0.5; lab_stop tcpdump-any

# 2. mid-stream: first exchanges before the capture, the rest during it
ctl=$LAB_WORK/ctl; mkdir -p "$ctl"
lab_bg_client midclient $CLIENT "$OUT/midstream.jsonl" --midstream "$ctl" \
  http@$A4:80 redis@$A4:6379 ssh@$A4:22 redis@$A6:6379 http@$A6:80
for i in $(seq 1 100); do [ -e "$ctl/ready" ] && break; sleep 0.1; done
[ -e "$ctl/ready" ] || lab_die "mid-stream client not ready: $(cat "$LAB_WORK/log/midclient.log")"
sleep 0.5   # delayed ACKs of the first exchanges stay out of the capture
lab_capture_start "$LAB_IFACE" "$OUT/midstream.pcap" tcp || lab_die "tcpdump"
touch "$ctl/go"
for i in $(seq 1 200); do [ -s "$OUT/midstream.jsonl" ] && break; sleep 0.1; done
sleep 1
lab_capture_stop
[ -s "$OUT/midstream.jsonl" ] || lab_die "mid-stream client: $(cat "$LAB_WORK/log/midclient.log")"

# 3. derived captures
cli() { $LAB_PY -c 'import json,sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["kind"] == sys.argv[2] and r["client"].startswith("[") == (sys.argv[3] == "6"):
        print(r["client"]); break' "$OUT/normal.jsonl" "$1" "$2"; }
RW="$LAB_PY $HERE/pcaprewrite.py"
H4=$(cli http 4) H6=$(cli http 6) S4=$(cli ssh 4) S6=$(cli ssh 6)
# holes: IPv4 HTTP loses its first server segment, IPv6 HTTP its second
$RW "$OUT/normal.pcap" "$OUT/holes.pcap" "$OUT/holes.json" \
  "drop:$H4:s2c:0" "drop:$H6:s2c:1" || lab_die "rewrite holes"
$RW "$OUT/normal.pcap" "$OUT/reordered.pcap" "$OUT/reordered.json" \
  "swap:$H4:s2c:1" "swap:$H6:s2c:0" || lab_die "rewrite reordered"
$RW "$OUT/normal.pcap" "$OUT/banner-first.pcap" "$OUT/banner-first.json" \
  "banner-first:$S4" "banner-first:$S6" || lab_die "rewrite banner-first"
$RW "$OUT/normal.pcap" "$OUT/qinq.pcap" "$OUT/qinq.json" "qinq:100:200" || lab_die "rewrite qinq"
{
  echo "made by tests/capture/make-captures.sh on $(date -u +%Y-%m-%d)"
  for p in nginx openssh-server redis-server tcpdump; do lab_pkg_version $p; done
} > "$OUT/SOURCE"
lab_log "captures in $OUT"
