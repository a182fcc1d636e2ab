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
lab_require_root
for t in tshark python3 node npm ip; do
  command -v "$t" >/dev/null || { echo "skip: $t not installed" >&2; exit 77; }
done
LAB_WORK=$build/ot-live
rm -rf "$LAB_WORK"
lab_init ot-live
trap 'lab_cleanup; ip netns del svpot-live 2>/dev/null' EXIT

nodedir=${SVP_OT_NODE_DIR:-$build/ot-node}
lab_npm_install "$nodedir" node-opcua-server node-opcua-client ||
  { echo "skip: npm could not install node-opcua" >&2; exit 77; }

# namespace and veth pair (this helper's range 10.202.0.0/16)
ip netns del svpot-live 2>/dev/null
ip netns add svpot-live || exit 1
ip link add svpot2h type veth peer name svpot2n netns svpot-live || exit 1
ip addr add 10.202.2.1/24 dev svpot2h
ip link set svpot2h up
ip netns exec svpot-live ip link set lo up
ip netns exec svpot-live ip addr add 10.202.2.2/24 dev svpot2n
ip netns exec svpot-live ip link set svpot2n up
if command -v ethtool >/dev/null; then
  ethtool -K svpot2h rx off tx off tso off gso off gro off >/dev/null 2>&1
  ip netns exec svpot-live ethtool -K svpot2n rx off tx off tso off gso off gro off >/dev/null 2>&1
fi
LAB_NS=svpot-live
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
svp=${SVPASSIVE:-$build/svpassive}
"$svp" -q -r "$open" --active --scope 10.202.2.2/32 --version-intensity 6 \
  -oJ "$LAB_WORK/active.json" >/dev/null 2>"$LAB_WORK/active.err" || [ $? -eq 1 ] ||
  { echo "not ok - svpassive --active failed: $(tail -3 "$LAB_WORK/active.err")"; exit 1; }
python3 - "$LAB_WORK/active.json" <<'PY'
import json, sys
ends = [json.loads(l) for l in open(sys.argv[1])]
e = [x for x in ends if x["addr"] == "10.202.2.2" and x["port"] == 53530]
ok = (len(e) == 1 and e[0]["service"] == "opc-ua-tcp" and e[0]["method"] == "active"
      and (e[0].get("evidence") or {}).get("probe") == "HelRequest")
print("%s - active HelRequest on a live node-opcua with no captured OPC UA traffic: %s"
      % ("ok" if ok else "not ok", e and {k: e[0].get(k) for k in ("service", "match", "method")}))
sys.exit(0 if ok else 1)
PY
