#!/bin/bash
# bench/make-real-capture.sh: the real-traffic workload of the benchmark
# (issue 7): real servers and real clients, about 1 GB on the wire.
#
#   nginx     many short HTTP connections (ab, one request per connection),
#             and keep-alive bulk downloads (curl, several files per connection)
#   redis     redis-benchmark: keep-alive clients, plus reconnect-per-request
#   openssh   short sessions, and sessions that move tens of MB
#
# Servers run in the network namespace svpbench-real (10.204.0.2), clients
# here (10.204.0.1); tcpdump captures on our end of the veth pair, with
# checksum offload and TSO/GSO/GRO off so the capture holds wire-sized
# packets with correct checksums. Servers are started with the lab's server
# files (tests/lab/lib.sh, tests/lab/servers/*.sh) and stopped by PID.
#
# Usage: bench/make-real-capture.sh [OUT.pcap]   (default bench/work/real.pcap)
#   SVP_REAL_SCALE=F  multiplies the amount of traffic (default 1)
# Writes OUT.pcap and OUT.pcap.info (what ran, packet and flow counts).
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-$SRC/bench/work/real.pcap}
SCALE=${SVP_REAL_SCALE:-1}
NS=svpbench-real
VH=svpb0h                # our end of the veth pair
VN=svpb0n                # the namespace's end
CLI=10.204.0.1
SRV=10.204.0.2

if [ "$(id -u)" -ne 0 ]; then
  echo "make-real-capture: needs root (network namespace, capture)" >&2
  exit 77
fi
if [ ! -f "$SRC/tests/lab/lib.sh" ]; then
  echo "make-real-capture: tests/lab/lib.sh is missing (the lab's server files start the servers)" >&2
  exit 77
fi
# shellcheck source=../tests/lab/lib.sh
. "$SRC/tests/lab/lib.sh"
for s in nginx redis openssh; do
  # shellcheck disable=SC1090
  . "$SRC/tests/lab/servers/$s.sh"
done

mkdir -p "$SRC/bench/work"
LAB_WORK=$(mktemp -d "$SRC/bench/work/real-lab.XXXXXX")
lab_init bench-real
chmod 755 "$LAB_WORK"    # nginx's worker (www-data) serves files from in here
bench_cleanup() {
  local rc=$?
  lab_cleanup
  ip netns del "$NS" 2>/dev/null || true
  ip link del "$VH" 2>/dev/null || true
  rm -rf "$LAB_WORK"
  return $rc
}
trap bench_cleanup EXIT

n() { awk -v s="$SCALE" -v x="$1" 'BEGIN { v = int(s * x + 0.5); print (v < 1 ? 1 : v) }'; }

lab_install nginx redis-server redis-tools openssh-server openssh-client \
  apache2-utils curl tcpdump ethtool

# --- the namespace -----------------------------------------------------------
ip netns del "$NS" 2>/dev/null || true
ip link del "$VH" 2>/dev/null || true
ip netns add "$NS"
ip link add "$VH" type veth peer name "$VN" netns "$NS"
ip addr add "$CLI/24" dev "$VH"
ip link set "$VH" up
ip netns exec "$NS" ip link set lo up
ip netns exec "$NS" ip addr add "$SRV/24" dev "$VN"
ip netns exec "$NS" ip link set "$VN" up
ethtool -K "$VH" rx off tx off tso off gso off gro off >/dev/null 2>&1
ip netns exec "$NS" ethtool -K "$VN" rx off tx off tso off gso off gro off >/dev/null 2>&1
LAB_NS=$NS
export LAB_NS

# --- servers -------------------------------------------------------------------
srv_nginx_start "$SRV" 80
srv_redis_start "$SRV" 6379
srv_openssh_start "$SRV" 22
www=$LAB_WORK/nginx/www
# Pages of 0.5-5 KB for the short connections, 10 MB files for the downloads.
for i in $(seq 1 20); do
  head -c $((500 + i * 225)) /usr/share/common-licenses/GPL-3 >"$www/page$i.html"
done
for i in 1 2 3; do head -c 10M /dev/urandom >"$www/bulk$i.bin"; done
head -c 40M /dev/urandom >"$LAB_WORK/openssh/payload.bin"
chmod -R a+rX "$www"
url=http://$SRV

# --- capture -------------------------------------------------------------------
rm -f "$OUT"
save_ns=$LAB_NS
LAB_NS=""
lab_bg capture tcpdump -i "$VH" -n -s 0 -B 262144 -U -Z root -w "$OUT" "host $SRV"
LAB_NS=$save_ns
for _ in $(seq 1 100); do
  grep -q "listening on" "$LAB_WORK/log/capture.log" 2>/dev/null && break
  sleep 0.1
done
started=$(date +%s)

# --- clients (several at once, as on a real network) ----------------------------
pids=()
run_bg() { "$@" >>"$LAB_WORK/log/clients.log" 2>&1 & pids+=($!); }
run_bg_quiet() { "$@" >/dev/null 2>>"$LAB_WORK/log/clients.log" & pids+=($!); }

# 1. Many short HTTP connections: one request per connection.
for i in 1 5 9 13 17; do
  run_bg ab -q -n "$(n 12000)" -c 8 "$url/page$i.html"
done
# 2. Keep-alive bulk downloads: several 10 MB files over each connection,
#    paced so that the capture keeps up.
for c in $(seq 1 "$(n 6)"); do
  urls=()
  for k in 1 2 3 1 2 3 1 2; do urls+=("$url/bulk$k.bin"); done
  run_bg curl -s --limit-rate 25M -o /dev/null -o /dev/null -o /dev/null -o /dev/null \
    -o /dev/null -o /dev/null -o /dev/null -o /dev/null "${urls[@]}"
done
# 3. Redis: keep-alive clients with pipelining off, and reconnecting clients.
run_bg redis-benchmark -h "$SRV" -p 6379 -n "$(n 150000)" -c 20 -q -t set,get,incr,lpush,lrange_100
run_bg redis-benchmark -h "$SRV" -p 6379 -n "$(n 15000)" -c 10 -k 0 -q -t ping,get
# 4. SSH: short sessions and bulk transfers.
for s in $(seq 1 "$(n 3)"); do
  run_bg_quiet _srv_openssh_ssh "$SRV" 22 "cat $LAB_WORK/openssh/payload.bin"
done
for s in $(seq 1 "$(n 40)"); do
  _srv_openssh_ssh "$SRV" 22 'uname -a; id' >>"$LAB_WORK/log/clients.log" 2>&1 || true
done
fail=0
for p in "${pids[@]}"; do wait "$p" || fail=$((fail + 1)); done
[ "$fail" -eq 0 ] || lab_log "warning: $fail client runs failed (see clients.log)"
sleep 1
lab_stop capture
elapsed=$(($(date +%s) - started))
drops=$(grep -E "dropped by kernel" "$LAB_WORK/log/capture.log" || true)

packets=$(capinfos -M -c "$OUT" 2>/dev/null | awk -F': *' '/Number of packets/ {print $2}')
flows=$(tshark -r "$OUT" -q -z conv,tcp 2>/dev/null | grep -c '<->' || true)
{
  echo "# $(basename "$OUT"): real servers and clients, made by bench/make-real-capture.sh"
  echo "date	$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "scale	$SCALE"
  echo "seconds	$elapsed"
  echo "bytes	$(stat -c %s "$OUT")"
  echo "packets	$packets"
  echo "flows	$flows"
  echo "capture	$(grep -E 'captured|dropped' "$LAB_WORK/log/capture.log" | tr '\n' ' ')"
  for p in nginx redis-server openssh-server apache2-utils curl redis-tools; do
    echo "package	$(lab_pkg_version $p)"
  done
} >"$OUT.info"
cat "$OUT.info" >&2
if [ -n "$drops" ] && [ "${drops%% *}" != 0 ]; then
  lab_log "warning: the capture lost packets: $drops"
fi
codes=$(tshark -r "$OUT" -Y http.response -T fields -e http.response.code -c 2000 2>/dev/null |
        sort | uniq -c | tr -s ' \n' ' ')
case $codes in
  *" 200"*) ;;
  *) lab_die "nginx did not answer 200 (status codes seen: $codes)" ;;
esac
