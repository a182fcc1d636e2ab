# dnsmasq (Debian dnsmasq-base), DNS over TCP and UDP; client: dig.
srv_dnsmasq_pkgs() { echo dnsmasq-base; }
srv_dnsmasq_port() { echo 5354; }
srv_dnsmasq_install() { lab_install dnsmasq-base bind9-dnsutils; }

srv_dnsmasq_start() {
  local addr=$1 port=$2 d=$LAB_WORK/dnsmasq
  mkdir -p "$d"
  lab_bg dnsmasq /usr/sbin/dnsmasq -k --conf-file=/dev/null --bind-interfaces \
    --listen-address="$addr" --port="$port" --pid-file="$d/dnsmasq.pid" \
    --no-resolv --no-hosts --address=/lab.test/10.201.0.80 --user=root --group=root
  lab_wait_port "$addr" "$port"
}
srv_dnsmasq_client() {
  dig +tcp +short +time=5 @"$1" -p "$2" www.lab.test A >/dev/null &&
  dig +short +time=5 @"$1" -p "$2" www.lab.test A >/dev/null
}
