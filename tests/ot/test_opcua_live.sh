#!/bin/bash
# test_opcua_live.sh BUILDDIR SRCDIR: the OPC UA probe against a live server.
#
# Starts a fresh node-opcua server (npm node-opcua-server) on the
# non-standard port 53530 in the network namespace svpot-live
# (10.202.2.2), sends it the HelRequest payload read from rules/opcua.probes
# (no client has talked to the server before), captures the exchange, and
# replays it through the classifier and the matcher (tests/unit/test_otrules.c)
# expecting opc-ua-tcp. Then, against a second fresh server, svpassive's
# active mode: a capture that holds only a TCP handshake (the port is open,
# no byte of OPC UA), `--active --scope`, and the endpoint must come out as
# opc-ua-tcp from the HelRequest probe.
set -u
build=${1:?BUILDDIR} src=${2:?SRCDIR}
. "$src/tests/lab/lib.sh"
. "$src/tests/ot/lib_ot.sh"
lab_require_root
for t in tshark python3 node npm ip; do
  command -v "$t" >/dev/null || { echo "skip: $t not installed" >&2; exit 77; }
done
LAB_WORK=$build/ot-live
rm -rf "$LAB_WORK"
lab_init ot-live
trap 'lab_cleanup; ot_netns_down live' EXIT

nodedir=${SVP_OT_NODE_DIR:-$build/ot-node}
lab_npm_install "$nodedir" node-opcua-server node-opcua-client ||
  { echo "skip: npm could not install node-opcua" >&2; exit 77; }

ot_netns_up live 2 || exit 1
lab_bg opcua env NODE_PATH="$nodedir/node_modules" node "$src/tests/ot/opcua_server.js" 53530 10.202.2.2
# wait for "ready" (the server logs it once listening), not for a connect:
# a test connection would be traffic before the probe
for i in $(seq 1 600); do
  grep -q '^ready' "$LAB_WORK/log/opcua.log" 2>/dev/null && break
  sleep 0.2
done
grep -q '^ready' "$LAB_WORK/log/opcua.log" || { echo "node-opcua did not start" >&2; cat "$LAB_WORK/log/opcua.log" >&2; exit 1; }

cap=$LAB_WORK/hel.pcap
LAB_NS=""
lab_capture_start svpot2h "$cap" "tcp port 53530" || exit 1
python3 - "$src/rules/opcua.probes" 10.202.2.2 53530 >"$LAB_WORK/reply.txt" <<'EOF' || { echo "no reply to HEL" >&2; exit 1; }
import re, socket, sys
# the probe line as nmap reads it: q<delim>payload<delim>, C escapes
text = open(sys.argv[1], encoding="ascii").read()
m = re.search(r"^Probe TCP HelRequest q(.)(.*?)\1", text, re.M)
raw, out, i = m.group(2), bytearray(), 0
esc = {"0": 0, "a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11}
while i < len(raw):
    c = raw[i]
    if c != "\\":
        out.append(ord(c)); i += 1; continue
    n = raw[i + 1]
    if n == "x":
        out.append(int(raw[i + 2:i + 4], 16)); i += 4
    else:
        out.append(esc.get(n, ord(n))); i += 2
s = socket.create_connection((sys.argv[2], int(sys.argv[3])), timeout=5)
s.sendall(bytes(out))
reply = s.recv(4096)
s.close()
print(reply[:4].decode("ascii", "replace"), len(out))
sys.exit(0 if reply else 1)
EOF
lab_capture_stop
echo "reply: $(cat "$LAB_WORK/reply.txt")" >&2

python3 "$src/tests/ot/extract_flows.py" "$LAB_WORK/flows.tsv" "$cap" || exit 1
[ "$(wc -l <"$LAB_WORK/flows.tsv")" -eq 1 ] || { echo "expected exactly one flow" >&2; exit 1; }
printf '%s\t10.202.2.2:53530\topc-ua-tcp\n' "$cap" >"$LAB_WORK/expect.tsv"
SVP_SRCDIR=$src "$build/tests/test_otrules" "$LAB_WORK/flows.tsv" "$LAB_WORK/expect.tsv" ||
  exit 1

# --- active mode against a server no client has talked to ---
lab_stop opcua
LAB_NS=svpot-live
lab_bg opcua2 env NODE_PATH="$nodedir/node_modules" node "$src/tests/ot/opcua_server.js" 53530 10.202.2.2
for i in $(seq 1 600); do
  grep -q '^ready' "$LAB_WORK/log/opcua2.log" 2>/dev/null && break
  sleep 0.2
done
LAB_NS=""
open=$LAB_WORK/open.pcap
lab_capture_start svpot2h "$open" "tcp port 53530" || exit 1
python3 -c 'import socket; socket.create_connection(("10.202.2.2", 53530), timeout=5).close()' || exit 1
lab_capture_stop
ot_active_check "$open" 10.202.2.2/32 10.202.2.2 53530 opc-ua-tcp HelRequest
