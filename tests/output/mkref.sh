#!/bin/bash
# mkref.sh: re-make tests/output/nmap-ref: what nmap -sV itself prints
# (-oA: normal, grepable, XML) for a few local servers, which the writer
# tests compare svpassive's output with. Run by a person on purpose (it
# re-blesses the references); never by ctest. Needs root (nmap -sS/-sU),
# nmap, python3, openssh-server, nginx, redis-server.
#
#   tests/output/mkref.sh [OUTDIR]     (default: tests/output/nmap-ref)
#
# Servers listen on 127.0.30.1-2 and ::1 (ports 3000, 8081, 161/udp,
# 40022-40094) and are stopped by PID when the script ends.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/nmap-ref}
work=$(mktemp -d /tmp/svp-mkref.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for f in "$work"/ssh/sshd.pid "$work"/nginx/nginx.pid "$work"/redis.pid; do
    [ -s "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$out" "$work/ssh" "$work/nginx/logs" /run/sshd

# Raw servers: a banner nmap cannot identify (every awkward byte class), a
# silent port, a port that closes at once (tcpwrapped), an SSH banner on
# IPv6, and a UDP service answering with junk.
cat >"$work/servers.py" <<'EOF'
import socket, sys, threading, time
def tcp(host, port, mode, data=b''):
    s = socket.socket(socket.AF_INET6 if ':' in host else socket.AF_INET)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, port)); s.listen(50)
    def h(c):
        try:
            if mode == 'close': return
            if data: c.sendall(data)
            c.settimeout(8)
            try: c.recv(100)
            except Exception: pass
        finally: c.close()
    while True:
        c, _ = s.accept(); threading.Thread(target=h, args=(c,), daemon=True).start()
def udp(host, port, data):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((host, port))
    while True:
        m, a = s.recvfrom(4096); s.sendto(data, a)
banner = bytes.fromhex(open(sys.argv[1]).read().strip())
for args in [(tcp, '127.0.30.1', 40090, 'banner', banner),
             (tcp, '127.0.30.2', 3000, 'silent'),
             (tcp, '127.0.30.2', 8081, 'banner', b'XYZZY-PROTO v7 ready\r\n'),
             (tcp, '127.0.30.2', 40093, 'close'),
             (tcp, '::1', 40094, 'banner', b'SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.1\r\n'),
             (udp, '127.0.30.2', 161, b'\x30\x99garbage\x00\x01')]:
    threading.Thread(target=args[0], args=args[1:], daemon=True).start()
while True: time.sleep(3600)
EOF
python3 "$work/servers.py" "$here/nmap-ref/unknown-banner.hex" &
pids+=($!)

ssh-keygen -q -t ed25519 -N '' -f "$work/ssh/hostkey"
cat >"$work/ssh/sshd_config" <<EOF
Port 40022
ListenAddress 127.0.30.1
HostKey $work/ssh/hostkey
PidFile $work/ssh/sshd.pid
UsePAM no
EOF
/usr/sbin/sshd -f "$work/ssh/sshd_config"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/nginx/key.pem" \
  -out "$work/nginx/cert.pem" -days 2 -subj /CN=svp.test 2>/dev/null
cat >"$work/nginx/nginx.conf" <<EOF
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log;
events {}
http {
  access_log off;
  server { listen 127.0.30.1:40080; root $work/nginx; }
  server { listen 127.0.30.1:40443 ssl; ssl_certificate $work/nginx/cert.pem;
           ssl_certificate_key $work/nginx/key.pem; root $work/nginx; }
}
EOF
nginx -c "$work/nginx/nginx.conf" -p "$work/nginx"
redis-server --bind 127.0.30.1 --port 40379 --daemonize yes --save '' \
  --pidfile "$work/redis.pid" --logfile "$work/redis.log"
sleep 1

cd "$work"
nmap -sV -Pn -n -p 40090,40092 127.0.30.1 -oA unknown-banner >/dev/null
nmap -sV -Pn -n -p 40022,40080,40443,40379,40092 127.0.30.1 -oA services >/dev/null
nmap -sV -sS -sU -Pn -n -p T:3000,8081,40093,U:161 127.0.30.2 -oA guesses-udp >/dev/null
nmap -6 -sV -Pn -n -p 40094 ::1 -oA ipv6 >/dev/null
for n in unknown-banner services guesses-udp ipv6; do
  for e in nmap gnmap xml; do cp "$n.$e" "$out/"; done
done
echo "mkref.sh: references written to $out"
