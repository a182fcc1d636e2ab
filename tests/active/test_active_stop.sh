#!/bin/bash
# test_active_stop.sh BUILDDIR SRCDIR: SIGINT during active probing, and the
# connection caps under load.
#
# 12 hosts (10.207.3.10-21) hold a silent listener each (test_server.py
# silent: accepts, never answers), so every probe waits its full time and
# the probing would last minutes; 10.207.3.2:5020 is a pymodbus server that
# ModbusDeviceId identifies after the NULL probe's 6 s. SIGINT is sent 9 s in:
#   - svpassive stops within 2 s, exit status 0, and writes its outputs
#     with what it learned (5020 identified as modbus, method active) and
#     every endpoint of the capture; the summary says it stopped early;
#   - no probe leaves after the exit;
#   - while it ran: never more than --max-parallel (8) connections at once,
#     never two to one host.
set -u
build=${1:?BUILDDIR} src=${2:?SRCDIR}
. "$src/tests/active/lib.sh"
act_init stop
lab_install python3-pymodbus python3-serial python3-serial-asyncio ||
  { echo "skip: python3-pymodbus not installable" >&2; exit 77; }
act_netns_up stop 3 || exit 1

specs=""
for h in $(seq 10 21); do
  act_netns_addr "10.207.3.$h"
  specs="$specs 10.207.3.$h:8001"
done
# shellcheck disable=SC2086
lab_bg silent "$LAB_PY" "$ACT_DIR/test_server.py" silent $specs
lab_bg mb5020 "$LAB_PY" "$src/tests/ot/modbus_pymodbus.py" server "$ACT_THERE" 5020
act_wait_ready silent
lab_wait_port "$ACT_THERE" 5020 60 || lab_die "no modbus server"

lab_capture_start "$ACT_IFACE" "$LAB_WORK/passive.pcap" tcp || exit 1
act_quiet_connect "$ACT_THERE" 5020
for s in $specs; do act_quiet_connect "${s%:*}" "${s##*:}"; done
lab_capture_stop

lab_capture_start "$ACT_IFACE" "$LAB_WORK/probe.pcap" tcp || exit 1
"$SVPASSIVE" -r "$LAB_WORK/passive.pcap" --active --scope 10.207.3.0/24 --max-parallel 8 \
  --max-rate 50 --host-rate 10 -oJ "$LAB_WORK/stop.jsonl" >/dev/null 2>"$LAB_WORK/stop.err" &
pid=$!
sleep 9
t0=$(date +%s.%N)
kill -INT "$pid"
wait "$pid"
rc=$?
t1=$(date +%s.%N)
sleep 1
lab_capture_stop
cat "$LAB_WORK/stop.err" >&2
act_expect "exit status after SIGINT" "$rc" 0
act_expect "stopped within 2 s" "$("$LAB_PY" -c "print(float('$t1') - float('$t0') < 2.0)")" True
grep -q "active: .*stopped early" "$LAB_WORK/stop.err" || { echo "FAIL: no 'stopped early' in the summary" >&2; ACT_FAILED=1; }
J=$LAB_WORK/stop.jsonl
act_expect "endpoints in the output" "$(wc -l <"$J")" 13
act_expect "5020 learned before the stop" "$(act_json_field "$J" "$ACT_THERE" 5020 service)/$(act_json_field "$J" "$ACT_THERE" 5020 method)" modbus/active
act_expect "SYNs after the exit" "$(act_check syns-after "$LAB_WORK/probe.pcap" 10.207.3. "$t1")" 0
act_expect "connections at once, overall and to one host (8 slots, 13 hosts)" \
  "$(act_check concurrency "$LAB_WORK/probe.pcap" 10.207.3. 8)" "8 1"
exit $ACT_FAILED
