#!/bin/bash
# test_active_live.sh BUILDDIR SRCDIR: active mode while sniffing live.
#
# svpassive -i sva4h --active --probe-delay 65 sniffs the veth of the
# namespace svpact-live while, through it:
#   - a pymodbus client has a real session with 10.207.4.2:502 (identified
#     passively: it must get no probe, only the client's own connection);
#   - a connect and close, nothing sent, shows 10.207.4.2:5020 (pymodbus);
#   - 10.207.4.3:5020 (pymodbus) is outside --scope.
# Checks, from svpassive's JSON and from a separate tcpdump of the veth:
#   - 5020 is identified as modbus by the active probe, no earlier than
#     --probe-delay after it was seen, while the capture went on (an
#     endpoint reaches the endpoint table when its first flow is reported:
#     the flow table holds a closed flow 60 s for strays, so the delay here
#     is set above that, and the test takes a good minute);
#   - svpassive's own probe connection is not taken for passive evidence:
#     the endpoint counts the one passive flow and the method stays
#     "active" (had the probe's flow gone through the passive matcher, the
#     ModbusDeviceId exchange would have made it a second flow,
#     "request-response");
#   - zero probe packets to 502 and to 10.207.4.3.
set -u
build=${1:?BUILDDIR} src=${2:?SRCDIR}
. "$src/tests/active/lib.sh"
act_init live
lab_install python3-pymodbus python3-serial python3-serial-asyncio ||
  { echo "skip: python3-pymodbus not installable" >&2; exit 77; }
act_netns_up live 4 || exit 1
act_netns_addr 10.207.4.3

lab_bg mb502 "$LAB_PY" "$src/tests/ot/modbus_pymodbus.py" server "$ACT_THERE" 502
lab_bg mb5020 "$LAB_PY" "$src/tests/ot/modbus_pymodbus.py" server "$ACT_THERE" 5020
lab_bg mbout "$LAB_PY" "$src/tests/ot/modbus_pymodbus.py" server 10.207.4.3 5020
for ep in "$ACT_THERE 502" "$ACT_THERE 5020" "10.207.4.3 5020"; do
  # shellcheck disable=SC2086
  lab_wait_port $ep 60 || lab_die "no server on $ep"
done

lab_capture_start "$ACT_IFACE" "$LAB_WORK/wire.pcap" tcp || exit 1
"$SVPASSIVE" -i "$ACT_IFACE" --no-promisc --active --scope 10.207.4.2 --probe-delay 65 \
  -oJ "$LAB_WORK/live.jsonl" >/dev/null 2>"$LAB_WORK/live.err" &
svp=$!
# traffic only once the capture is open (an ASan build on a loaded machine
# takes seconds to get there)
bash "$src/tests/tools/wait-capturing.sh" "$svp" 60 ||
  lab_die "svpassive -i failed: $(cat "$LAB_WORK/live.err")"
"$LAB_PY" "$src/tests/ot/modbus_pymodbus.py" client "$ACT_THERE" 502 || lab_die "modbus client failed"
act_quiet_connect "$ACT_THERE" 5020
act_quiet_connect 10.207.4.3 5020
# the probe's connect comes after --probe-delay (+ up to 1 s until the next
# look at the table); then the NULL probe's 6 s and the answer
for _ in $(seq 1 100); do
  [ "$(act_check count-syn "$LAB_WORK/wire.pcap" "$ACT_THERE" 5020 2>/dev/null)" = 2 ] && break
  sleep 1
done
sleep 8
kill -INT "$svp"
wait "$svp"
rc=$?
lab_capture_stop
cat "$LAB_WORK/live.err" >&2
act_expect "exit status" "$rc" 0
J=$LAB_WORK/live.jsonl
act_expect "5020 service/match/method" \
  "$(act_json_field "$J" "$ACT_THERE" 5020 service)/$(act_json_field "$J" "$ACT_THERE" 5020 match)/$(act_json_field "$J" "$ACT_THERE" 5020 method)" \
  modbus/hard/active
act_expect "5020 flows (the probe's own flow is not counted)" "$(act_json_field "$J" "$ACT_THERE" 5020 flows)" 1
act_expect "502 method" "$(act_json_field "$J" "$ACT_THERE" 502 method)" request-response
act_expect "502 flows" "$(act_json_field "$J" "$ACT_THERE" 502 flows)" 1
act_expect "connections to 502 (the client's only)" "$(act_check count-syn "$LAB_WORK/wire.pcap" "$ACT_THERE" 502)" 1
act_expect "connections to 10.207.4.3 (the quiet connect only)" \
  "$(act_check count-syn "$LAB_WORK/wire.pcap" 10.207.4.3)" 1
act_expect "connections to 5020 (quiet connect + one probe)" "$(act_check count-syn "$LAB_WORK/wire.pcap" "$ACT_THERE" 5020)" 2
act_expect "probe no earlier than --probe-delay" "$(act_check gap "$LAB_WORK/wire.pcap" "$ACT_THERE" 5020 65)" ok
exit $ACT_FAILED
