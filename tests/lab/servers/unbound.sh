# Unbound (Debian unbound), DNS over TCP and UDP, local data only; client: dig.
srv_unbound_pkgs() { echo unbound; }
srv_unbound_port() { echo 5353; }
srv_unbound_install() { lab_install unbound bind9-dnsutils; }

srv_unbound_start() {
  local addr=$1 port=$2 d=$LAB_WORK/unbound
  mkdir -p "$d"
  cat >"$d/unbound.conf" <<CFG
server:
  interface: $addr@$port
  port: $port
  do-daemonize: no
  username: ""
  chroot: ""
  directory: "$d"
  pidfile: "$d/unbound.pid"
  use-syslog: no
  logfile: ""
  access-control: 0.0.0.0/0 allow
  access-control: ::/0 allow
  module-config: "iterator"
  do-not-query-localhost: yes
  local-zone: "lab.test." static
  local-data: "www.lab.test. IN A 10.201.0.80"
remote-control:
  control-enable: no
CFG
  lab_bg unbound /usr/sbin/unbound -d -c "$d/unbound.conf"
  lab_wait_port "$addr" "$port"
}
srv_unbound_client() {
  dig +tcp +short +time=5 @"$1" -p "$2" www.lab.test A >/dev/null &&
  dig +short +time=5 @"$1" -p "$2" www.lab.test A >/dev/null
}
