#!/bin/bash
# mkcapture.sh: re-make tests/output/capture: real clients talking to real
# servers, captured, and what nmap -sV (-oA) says about the same servers.
# test_inventory_formats.sh runs svpassive on the capture and compares its
# four output formats with nmap's files. Run by a person on purpose (it
# re-blesses); never by ctest. Needs root (tcpdump, nmap -sS), nmap,
# tcpdump, python3, openssh-server/client, nginx, curl, redis-server/tools.
#
#   tests/output/mkcapture.sh [OUTDIR]    (default: tests/output/capture)
#
# Servers on 127.0.30.3: OpenSSH :22, nginx :80, Redis :6379, an unknown
# banner :40090 (tests/output/nmap-ref/unknown-banner.hex), nothing on
# :40092 (closed). Stopped by PID at the end.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/capture}
ip=127.0.30.3
work=$(mktemp -d /tmp/svp-mkcap.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for f in "$work"/sshd.pid "$work"/nginx.pid "$work"/redis.pid; do
    [ -s "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$out" "$work/logs" /run/sshd

cat >"$work/banner.py" <<'EOF'
import socket, sys, threading
data = bytes.fromhex(open(sys.argv[3]).read().strip())
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(20)
def h(c):
    try:
        c.sendall(data); c.settimeout(8)
        try: c.recv(100)
        except Exception: pass
    finally: c.close()
while True:
    c, _ = s.accept(); threading.Thread(target=h, args=(c,), daemon=True).start()
EOF
python3 "$work/banner.py" $ip 40090 "$here/nmap-ref/unknown-banner.hex" &
pids+=($!)

ssh-keygen -q -t ed25519 -N '' -f "$work/hostkey"
printf 'Port 22\nListenAddress %s\nHostKey %s\nPidFile %s\nUsePAM no\n' \
  $ip "$work/hostkey" "$work/sshd.pid" >"$work/sshd_config"
/usr/sbin/sshd -f "$work/sshd_config"
echo "svpassive output test page" >"$work/index.html"
cat >"$work/nginx.conf" <<EOF
pid $work/nginx.pid;
error_log $work/logs/error.log;
events {}
http { access_log off; server { listen $ip:80; root $work; } }
EOF
nginx -c "$work/nginx.conf" -p "$work"
redis-server --bind $ip --port 6379 --protected-mode no --daemonize yes --save '' \
  --pidfile "$work/redis.pid" --logfile "$work/redis.log"
sleep 1

# The clients, captured.
tcpdump -i lo -s 0 -U -w "$work/clients.pcap" "host $ip" 2>/dev/null &
tcpdump_pid=$!
pids+=($tcpdump_pid)
sleep 1
ssh-keyscan -p 22 -t ed25519 $ip >/dev/null 2>&1 || true
curl -s -o /dev/null "http://$ip/"
redis-cli -h $ip -p 6379 INFO server >/dev/null
python3 - $ip <<'EOF'
import socket, sys
ip = sys.argv[1]
c = socket.create_connection((ip, 40090)); c.settimeout(3); c.recv(4096); c.close()
try:
    socket.create_connection((ip, 40092), timeout=3)
except OSError:
    pass
EOF
sleep 1
kill -INT $tcpdump_pid
wait $tcpdump_pid 2>/dev/null || true

# nmap's view of the same ports (not captured).
cd "$work"
nmap -sV -Pn -n -p 22,80,6379,40090,40092 $ip -oA nmap >/dev/null
cp clients.pcap "$out/clients.pcap"
for e in nmap gnmap xml; do cp "nmap.$e" "$out/nmap.$e"; done
echo "mkcapture.sh: $(wc -c <"$out/clients.pcap") bytes of capture and nmap's -oA files in $out"
