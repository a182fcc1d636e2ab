#!/bin/bash
# test_modbus_live.sh BUILDDIR SRCDIR: the ModbusDeviceId probe through
# svpassive's active mode against live servers no client has talked to.
#
# In the namespace svpot-mb (10.202.4.2:502): a pymodbus server with device
# identification, then a libmodbus server (no 43/14: exception 1). For each,
# a capture that holds only a TCP handshake, `svpassive --active --scope`,
# and the endpoint must come out as modbus: pymodbus through ModbusDeviceId
# with its VendorName/ProductCode/revision; libmodbus answers the probe with
# exception 1 (a softmatch), after which nmap's other probes that know
# modbus are sent and one of nmap's own lines gives the hard match.
set -u
build=${1:?BUILDDIR} src=${2:?SRCDIR}
. "$src/tests/lab/lib.sh"
. "$src/tests/ot/lib_ot.sh"
lab_require_root
for t in tshark python3 ip gcc; do
  command -v "$t" >/dev/null || { echo "skip: $t not installed" >&2; exit 77; }
done
LAB_WORK=$build/ot-modbus-live
rm -rf "$LAB_WORK"
lab_init ot-modbus-live
trap 'lab_cleanup; ot_netns_down mb' EXIT
for s in modbus_pymodbus modbus_libmodbus; do
  . "$LAB_DIR/servers/$s.sh"
  "srv_${s}_install" >/dev/null || { echo "skip: cannot install $s" >&2; exit 77; }
done
ot_netns_up mb 4 || exit 1
addr=$LAB_ADDR4

# handshake_only NAME: capture a bare connect to $addr:502
handshake_only() {
  local cap=$LAB_WORK/$1.pcap
  lab_capture_start "$LAB_IFACE" "$cap" "tcp port 502" || return 1
  python3 -c "import socket; socket.create_connection(('$addr', 502), timeout=5).close()" || return 1
  lab_capture_stop
}

fail=0
srv_modbus_pymodbus_start "$addr" 502 || exit 1
handshake_only pymodbus || exit 1
ot_active_check "$LAB_WORK/pymodbus.pcap" "$addr/32" "$addr" 502 modbus ModbusDeviceId \
  "svpassive lab PM-300" 3.0.0 || fail=1
lab_stop modbus_pymodbus

srv_modbus_libmodbus_start "$addr" 502 || exit 1
handshake_only libmodbus || exit 1
ot_active_check "$LAB_WORK/libmodbus.pcap" "$addr/32" "$addr" 502 modbus "" "Modbus TCP" ||
  fail=1
exit $fail
