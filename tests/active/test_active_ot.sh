#!/bin/bash
# test_active_ot.sh BUILDDIR SRCDIR: active mode against real OT servers.
#
# In the namespace svpact-ot (10.207.1.0/24, fd00:207:1::/64):
#   10.207.1.2:53530   node-opcua server (npm node-opcua-server): OPC UA on a
#                      port nmap 7.93 calls unknown; the capture holds only a
#                      connect and close (SYN/SYN-ACK, no payload)
#   10.207.1.2:5020    pymodbus server with device identification, likewise
#   [fd00:207:1::2]:503  pymodbus again, over IPv6, likewise
#   10.207.1.2:502     pymodbus with a real client session: identified
#                      passively, so it must receive ZERO probe packets
#   10.207.1.2:9100    a silent listener on a port nmap's Exclude line covers
#   10.207.1.3:5020    pymodbus outside --scope: ZERO packets
# Then, on that capture:
#   1. passive only: 502 identified, the others unknown;
#   2. --dry-run while tcpdump watches the veth: nothing is sent at all;
#   3. --active: OPC UA named opc-ua-tcp via HelRequest, both Modbus servers
#      via ModbusDeviceId (product from the 43/14 answer), results marked
#      "active"; the probe capture shows zero packets to 502, 9100 and
#      10.207.1.3, and the bytes sent equal the dry run's, in its order.
set -u
build=${1:?BUILDDIR} src=${2:?SRCDIR}
. "$src/tests/active/lib.sh"
act_init ot

for t in node npm; do
  command -v "$t" >/dev/null || lab_install nodejs npm >/dev/null ||
    { echo "skip: $t not installed and apt failed" >&2; exit 77; }
done
nodedir=${SVP_OT_NODE_DIR:-$build/ot-node}
lab_npm_install "$nodedir" node-opcua-server node-opcua-client ||
  { echo "skip: npm could not install node-opcua" >&2; exit 77; }
lab_install python3-pymodbus python3-serial python3-serial-asyncio ||
  { echo "skip: python3-pymodbus not installable" >&2; exit 77; }

act_netns_up ot 1 || exit 1
act_netns_addr 10.207.1.3
V6=$ACT_THERE6
SCOPE="10.207.1.2,fd00:207:1::/64"

# ---- servers (inside the namespace) ----
lab_bg opcua env NODE_PATH="$nodedir/node_modules" node "$src/tests/ot/opcua_server.js" 53530 "$ACT_THERE"
lab_bg mb5020 "$LAB_PY" "$src/tests/ot/modbus_pymodbus.py" server "$ACT_THERE" 5020
lab_bg mb502 "$LAB_PY" "$src/tests/ot/modbus_pymodbus.py" server "$ACT_THERE" 502
lab_bg mb503v6 "$LAB_PY" "$src/tests/ot/modbus_pymodbus.py" server "$V6" 503
lab_bg mbout "$LAB_PY" "$src/tests/ot/modbus_pymodbus.py" server 10.207.1.3 5020
lab_bg listen9100 "$LAB_PY" -c '
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 9100)); s.listen(16)
held = []
while True:
    held.append(s.accept())' "$ACT_THERE"
act_wait_ready opcua 120
for ep in "$ACT_THERE 5020" "$ACT_THERE 502" "$V6 503" "10.207.1.3 5020" "$ACT_THERE 9100"; do
  # shellcheck disable=SC2086
  lab_wait_port $ep 60 || lab_die "no server on $ep"
done

# ---- the passive capture: connects without payload, one real Modbus session ----
lab_capture_start "$ACT_IFACE" "$LAB_WORK/passive.pcap" tcp || exit 1
act_quiet_connect "$ACT_THERE" 53530
act_quiet_connect "$ACT_THERE" 5020
act_quiet_connect "$V6" 503
act_quiet_connect 10.207.1.3 5020
act_quiet_connect "$ACT_THERE" 9100
"$LAB_PY" "$src/tests/ot/modbus_pymodbus.py" client "$ACT_THERE" 502 || lab_die "modbus client failed"
lab_capture_stop

# 1. passive only
act_svp -q -r "$LAB_WORK/passive.pcap" -oJ "$LAB_WORK/passive.jsonl" >/dev/null ||
  lab_die "svpassive failed on the passive capture"
act_expect "passive 502 service" "$(act_json_field "$LAB_WORK/passive.jsonl" "$ACT_THERE" 502 service)" modbus
act_expect "passive 502 match" "$(act_json_field "$LAB_WORK/passive.jsonl" "$ACT_THERE" 502 match)" hard
for p in 53530 5020; do
  act_expect "passive $p match" "$(act_json_field "$LAB_WORK/passive.jsonl" "$ACT_THERE" $p match)" none
done
act_expect "passive [v6]:503 match" "$(act_json_field "$LAB_WORK/passive.jsonl" "$V6" 503 match)" none

# 2. dry run: nothing may leave this host
lab_capture_start "$ACT_IFACE" "$LAB_WORK/dry.pcap" || exit 1
act_svp -q -r "$LAB_WORK/passive.pcap" --active --scope "$SCOPE" --dry-run \
  -oJ "$LAB_WORK/dry.jsonl" >"$LAB_WORK/dry.txt" || lab_die "dry run failed"
lab_capture_stop
cat "$LAB_WORK/dry.txt" >&2
act_expect "packets sent during --dry-run" "$(act_check count-all "$LAB_WORK/dry.pcap")" 0
grep -q "^endpoint $ACT_THERE:53530/tcp (unknown)" "$LAB_WORK/dry.txt" || { echo "FAIL: 53530 not planned" >&2; ACT_FAILED=1; }
grep -q "^  probe 2 HelRequest tcp on the NULL probe's connection" "$LAB_WORK/dry.txt" ||
  { echo "FAIL: HelRequest is not the second probe of 53530" >&2; ACT_FAILED=1; }
act_expect "dry run: 502" "$(grep -c "^skip $ACT_THERE:502/tcp: already identified" "$LAB_WORK/dry.txt")" 1
act_expect "dry run: 9100" "$(grep -c "^skip $ACT_THERE:9100/tcp: port excluded" "$LAB_WORK/dry.txt")" 1
act_expect "dry run: 10.207.1.3" "$(grep -c "^skip 10.207.1.3:5020/tcp: out of scope" "$LAB_WORK/dry.txt")" 1

# 3. active
lab_capture_start "$ACT_IFACE" "$LAB_WORK/probe.pcap" || exit 1
act_svp -r "$LAB_WORK/passive.pcap" --active --scope "$SCOPE" -oJ "$LAB_WORK/active.jsonl" \
  >"$LAB_WORK/active.txt" 2>"$LAB_WORK/active.err" || lab_die "active run failed: $(cat "$LAB_WORK/active.err")"
lab_capture_stop
cat "$LAB_WORK/active.txt" "$LAB_WORK/active.err" >&2
J=$LAB_WORK/active.jsonl
act_expect "53530 service" "$(act_json_field "$J" "$ACT_THERE" 53530 service)" opc-ua-tcp
act_expect "53530 method" "$(act_json_field "$J" "$ACT_THERE" 53530 method)" active
act_expect "53530 probe" "$(act_json_field "$J" "$ACT_THERE" 53530 evidence.probe)" HelRequest
for ep in "$ACT_THERE 5020" "$V6 503"; do
  # shellcheck disable=SC2086
  set -- $ep
  act_expect "$1:$2 service" "$(act_json_field "$J" "$1" "$2" service)" modbus
  act_expect "$1:$2 match" "$(act_json_field "$J" "$1" "$2" match)" hard
  act_expect "$1:$2 method" "$(act_json_field "$J" "$1" "$2" method)" active
  act_expect "$1:$2 probe" "$(act_json_field "$J" "$1" "$2" evidence.probe)" ModbusDeviceId
  act_expect "$1:$2 product" "$(act_json_field "$J" "$1" "$2" product)" "svpassive lab PM-300"
done
act_expect "502 still passive" "$(act_json_field "$J" "$ACT_THERE" 502 method)" request-response
act_expect "packets to the identified $ACT_THERE:502" "$(act_check count "$LAB_WORK/probe.pcap" "$ACT_THERE" 502)" 0
act_expect "packets to the excluded $ACT_THERE:9100" "$(act_check count "$LAB_WORK/probe.pcap" "$ACT_THERE" 9100)" 0
act_expect "packets to 10.207.1.3 (outside --scope)" "$(act_check count "$LAB_WORK/probe.pcap" 10.207.1.3)" 0
act_expect "packets to $ACT_THERE:53530" "$([ "$(act_check count "$LAB_WORK/probe.pcap" "$ACT_THERE" 53530)" -gt 0 ] && echo some)" some
act_check compare "$LAB_WORK/dry.txt" "$LAB_WORK/probe.pcap" >&2 ||
  { echo "FAIL: the bytes sent differ from the dry run" >&2; ACT_FAILED=1; }
grep -q "active: 3 endpoints probed" "$LAB_WORK/active.err" ||
  { echo "FAIL: summary: $(grep active: "$LAB_WORK/active.err")" >&2; ACT_FAILED=1; }
exit $ACT_FAILED
