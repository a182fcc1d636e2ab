#!/bin/bash
# make-captures.sh: capture real OT and seed-post servers talking to their
# real clients, for the rule tests (tests/ot/captures/*.pcap + SOURCES.tsv).
#
#   tests/ot/make-captures.sh [NAME...]     default: all of them
#
# Each server runs in the network namespace svpot-cap on its standard port
# (10.202.1.2 / fd00:202:1::2; this side 10.202.1.1), started and stopped by
# PID through tests/lab/lib.sh; tcpdump captures on the host side of the veth
# pair (offloads off, so checksums and segment sizes are the wire's). Run as
# root on Debian 12; installs what it needs (apt, npm). A person runs it on
# purpose and commits the result: the tests only read the captures.
set -u
. "$(dirname "$0")/../lab/lib.sh"
lab_require_root
lab_init ot-captures
lab_source_servers
. "$LAB_DIR/servers/_ot_http.sh"

OUT=$LAB_SRCDIR/tests/ot/captures
mkdir -p "$OUT"

. "$LAB_SRCDIR/tests/ot/lib_ot.sh"
trap 'lab_cleanup; ot_netns_down cap' EXIT

ot_netns_up cap 1 || lab_die "cannot make the namespace"

# Mosquitto: one connection per protocol version (3.1, 3.1.1, 5).
ot_mqtt_client() {
  local v
  for v in mqttv31 mqttv311 mqttv5; do
    mosquitto_pub -h "$1" -p "$2" -V "$v" -i "svp-$v" -t lab/ot -m "$v" -q 1 || return 1
  done
}

# name  server-file  port  client-function
CAPTURES="
opcua            opcua                53530 srv_opcua_client
modbus_pymodbus  modbus_pymodbus      502   srv_modbus_pymodbus_client
modbus_libmodbus modbus_libmodbus     502   srv_modbus_libmodbus_client
mqtt_versions    mosquitto            1883  ot_mqtt_client
node_exporter    prometheus_node      9100  srv_prometheus_node_client
blackbox_exporter prometheus_blackbox 9115  srv_prometheus_blackbox_client
pike_http        pike_http            8080  srv_pike_http_client
mariadb_proxy    mariadb_proxy        3306  srv_mariadb_proxy_client
bacnet_node      bacnet_node          47808 srv_bacnet_node_client
"

want=" $* "
printf 'capture\tserver_package\tversion\tserver\tclient\n' >"$OUT/SOURCES.tsv.new"
status=0
while read -r name srv port client; do
  [ -n "$name" ] || continue
  [ $# -eq 0 ] || [[ $want == *" $name "* ]] || continue
  lab_log "== $name ($srv on $LAB_ADDR4:$port)"
  "srv_${srv}_install" || { lab_log "$name: install failed"; status=1; continue; }
  "srv_${srv}_start" "$LAB_ADDR4" "$port" || { lab_log "$name: start failed"; status=1; continue; }
  pcap=$OUT/$name.pcap
  lab_capture_start "$LAB_IFACE" "$pcap.tmp" "host $LAB_ADDR4 and port $port" || exit 1
  if "$client" "$LAB_ADDR4" "$port"; then
    lab_capture_stop
    mv "$pcap.tmp" "$pcap"
    pkg=$("srv_${srv}_pkgs")
    if lab_has "$srv" version; then ver=$("srv_${srv}_version"); else
      ver=$(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null); fi
    printf '%s\t%s\t%s\t%s\t%s\n' "$name.pcap" "$pkg" "$ver" "$srv" "$client" >>"$OUT/SOURCES.tsv.new"
  else
    lab_capture_stop
    rm -f "$pcap.tmp"
    lab_log "$name: client failed"
    status=1
  fi
  lab_stop_all
done <<<"$CAPTURES"

# Keep rows of captures not remade in this run.
if [ -f "$OUT/SOURCES.tsv" ]; then
  tail -n +2 "$OUT/SOURCES.tsv" | while IFS=$'\t' read -r f rest; do
    grep -q "^$f	" "$OUT/SOURCES.tsv.new" || printf '%s\t%s\n' "$f" "$rest"
  done >>"$OUT/SOURCES.tsv.new"
fi
mv "$OUT/SOURCES.tsv.new" "$OUT/SOURCES.tsv"
exit $status
