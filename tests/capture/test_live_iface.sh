#!/bin/bash
# test_live_iface.sh: `svpassive --flows -i lo FILTER` captures live (root):
# a server-first banner conversation and a client-first one on 127.0.50.7
# come out as flows with their first bytes; Ctrl-C (SIGINT) ends the run
# within a second even when nothing arrives, and the summary reports the
# capture's received/dropped counters.
set -u
BUILD=${1:?build dir}; SRC=${2:?source dir}
SVP=$(readlink -f "${SVPASSIVE:-$BUILD/svpassive}")
PY=/usr/bin/python3; [ -x $PY ] || PY=python3
[ "$(id -u)" = 0 ] || { echo "needs root (live capture)" >&2; exit 77; }
WORK=$(mktemp -d /tmp/svp-live-iface.XXXXXX)
SVPID=""
trap '[ -n "$SVPID" ] && kill "$SVPID" 2>/dev/null; rm -rf "$WORK"' EXIT
ADDR=127.0.50.7
# The ports below are fixed: another run of this test on the machine (a
# second clone's suite) waits until this one is done.
mkdir -p /run/lock/svpassive
exec 9>/run/lock/svpassive/lo-$ADDR.lock
flock -w 600 9 || { echo "FAIL: $ADDR's test ports locked by another run for 600 s" >&2; exit 1; }
fail() { echo "FAIL: $*" >&2; cat "$WORK/err" >&2; exit 1; }

"$SVP" --flows -i lo host $ADDR and tcp > "$WORK/out" 2> "$WORK/err" &
SVPID=$!
# traffic only once the capture is open
bash "$SRC/tests/tools/wait-capturing.sh" $SVPID 60 || fail "svpassive did not start"
$PY - "$ADDR" <<'PYEOF' || fail "traffic"
import socket, sys, threading
addr = sys.argv[1]
def server(port, banner, reply):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port)); s.listen(1)
    def run():
        c, _ = s.accept()
        if banner: c.sendall(banner)
        c.recv(100)
        if reply: c.sendall(reply)
        c.close(); s.close()
    t = threading.Thread(target=run); t.start(); return t
t1 = server(50021, b"220 svpcap live ftp\r\n", None)
t2 = server(50080, None, b"HTTP/1.0 200 OK\r\nServer: svpcap-live\r\n\r\n")
c = socket.create_connection((addr, 50021)); c.recv(100); c.sendall(b"QUIT\r\n"); c.close()
c = socket.create_connection((addr, 50080)); c.sendall(b"GET / HTTP/1.0\r\n\r\n")
while c.recv(100): pass
c.close(); t1.join(); t2.join()
PYEOF
sleep 1
kill -INT $SVPID
for i in $(seq 1 30); do kill -0 $SVPID 2>/dev/null || break; sleep 0.1; done
kill -0 $SVPID 2>/dev/null && fail "still running 3 s after SIGINT"
wait $SVPID; rc=$?; SVPID=""
[ $rc = 0 ] || fail "exit status $rc"
grep -q "^tcp [0-9.]*:[0-9]* > $ADDR:50021 .*flags=[^ ]*srv-first.* s2c=\"220 svpcap live ftp\\\\r\\\\n\"" "$WORK/out" ||
  fail "no banner flow: $(cat "$WORK/out")"
grep -q "^tcp [0-9.]*:[0-9]* > $ADDR:50080 .*server=syn/high.*c2s=\"GET / HTTP/1.0\\\\r\\\\n\\\\r\\\\n\" s2c=\"HTTP/1.0 200 OK" "$WORK/out" ||
  fail "no HTTP flow: $(cat "$WORK/out")"
grep -q "input 0 lo: ok, .* frames, received [0-9]*, dropped 0+0" "$WORK/err" || fail "no capture counters"

# Responsive when idle: SIGINT with no traffic at all.
"$SVP" --flows -q -i lo host 127.0.50.8 > /dev/null 2> "$WORK/err2" &
SVPID=$!
bash "$SRC/tests/tools/wait-capturing.sh" $SVPID 60 || fail "svpassive did not start"
sleep 1   # idle in its capture loop
start=$(date +%s%N)
kill -INT $SVPID
for i in $(seq 1 30); do kill -0 $SVPID 2>/dev/null || break; sleep 0.05; done
kill -0 $SVPID 2>/dev/null && fail "idle capture ignored SIGINT"
wait $SVPID; SVPID=""
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ $ms -lt 1000 ] || fail "took $ms ms to stop"
cat "$WORK/out"
echo "live capture: 2 flows as expected; idle stop in $ms ms"
