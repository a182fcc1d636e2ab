# ISC BIND named (Debian bind9), DNS over TCP and UDP; client: dig.
srv_bind9_pkgs() { echo bind9; }
srv_bind9_port() { echo 53; }
srv_bind9_install() { lab_install bind9 bind9-dnsutils; }

_lab_zone() { # FILE: a small zone lab.test
  cat >"$1" <<'ZONE'
$TTL 300
@   IN SOA ns.lab.test. admin.lab.test. ( 1 3600 600 86400 300 )
    IN NS  ns.lab.test.
ns  IN A   10.201.0.53
www IN A   10.201.0.80
ZONE
}

srv_bind9_start() {
  local addr=$1 port=$2 d=$LAB_WORK/bind9
  mkdir -p "$d"
  _lab_zone "$d/lab.test.zone"
  local v4="none" v6="none"
  case $addr in *:*) v6="$addr" ;; *) v4="$addr" ;; esac
  cat >"$d/named.conf" <<CFG
options {
  directory "$d";
  pid-file "$d/named.pid";
  listen-on port $port { $v4; };
  listen-on-v6 port $port { $v6; };
  recursion no;
  dnssec-validation no;
  allow-query { any; };
};
controls { };
zone "lab.test" { type master; file "$d/lab.test.zone"; };
CFG
  lab_bg bind9 /usr/sbin/named -f -g -c "$d/named.conf"
  lab_wait_port "$addr" "$port"
}
srv_bind9_client() {
  dig +tcp +short +time=5 @"$1" -p "$2" www.lab.test A >/dev/null &&
  dig +short +time=5 @"$1" -p "$2" lab.test SOA >/dev/null &&
  dig +tcp +short +time=5 @"$1" -p "$2" version.bind CH TXT >/dev/null
}
