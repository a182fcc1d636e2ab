# Net-SNMP snmpd (Debian snmpd), UDP 161; client: snmpget / snmpwalk.
srv_snmpd_pkgs() { echo snmpd; }
srv_snmpd_port() { echo 161; }
srv_snmpd_proto() { echo udp; }
srv_snmpd_install() { lab_install snmpd snmp; }

srv_snmpd_start() {
  local addr=$1 port=$2 d=$LAB_WORK/snmpd
  mkdir -p "$d"
  cat >"$d/snmpd.conf" <<CFG
rocommunity public default
rocommunity6 public default
sysLocation svpassive lab
sysContact lab@lab.test
CFG
  local ep="udp:$addr:$port"
  case $addr in *:*) ep="udp6:[$addr]:$port" ;; esac
  lab_bg snmpd /usr/sbin/snmpd -f -Lo -C -c "$d/snmpd.conf" -p "$d/snmpd.pid" \
    -M /dev/null "$ep"
  lab_wait_udp "$addr" "$port"
}
srv_snmpd_client() {
  local ep="udp:$1:$2"
  case $1 in *:*) ep="udp6:[$1]:$2" ;; esac
  snmpget -M /dev/null -v2c -c public -t 3 -r 1 "$ep" 1.3.6.1.2.1.1.1.0 >/dev/null &&
  snmpget -M /dev/null -v1 -c public -t 3 -r 1 "$ep" 1.3.6.1.2.1.1.5.0 >/dev/null
}
