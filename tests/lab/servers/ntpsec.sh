# NTPsec ntpd (Debian ntpsec), UDP 123, no upstream servers; client: ntpq
# (mode 6 control queries) and ntpdig (an SNTP client exchange).
srv_ntpsec_pkgs() { echo ntpsec; }
srv_ntpsec_port() { echo 123; }
srv_ntpsec_proto() { echo udp; }
srv_ntpsec_install() { lab_install ntpsec ntpsec-ntpdig; }

srv_ntpsec_start() {
  local addr=$1 port=$2 d=$LAB_WORK/ntpsec
  mkdir -p "$d"
  cat >"$d/ntp.conf" <<CFG
driftfile $d/ntp.drift
server 127.127.1.0
fudge 127.127.1.0 stratum 10
restrict default nomodify nopeer noquery
restrict $addr
restrict 10.201.0.0 mask 255.255.0.0 nomodify nopeer
restrict fd00:201:: mask ffff:ffff:: nomodify nopeer
CFG
  # -n: foreground; -I: listen only on the namespace's address.
  lab_bg ntpsec /usr/sbin/ntpd -n -g -c "$d/ntp.conf" -I "$addr" -p "$d/ntpd.pid"
  lab_wait_udp "$addr" "$port"
}
srv_ntpsec_client() {
  ntpq -c rv -c peers "$1" >/dev/null 2>&1
  ntpdig -t 3 "$1" >/dev/null 2>&1
  return 0
}
