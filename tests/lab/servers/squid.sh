# Squid (Debian squid), HTTP proxy; client: curl (a proxied request and a
# direct one, so the proxy answers itself).
. "$LAB_DIR/servers/_http.sh"
srv_squid_pkgs() { echo squid; }
srv_squid_port() { echo 3128; }
srv_squid_install() { lab_install squid curl; }

srv_squid_start() {
  local addr=$1 port=$2 d=$LAB_WORK/squid
  mkdir -p "$d"
  chown proxy:proxy "$d"
  local listen=$addr
  case $addr in *:*) listen="[$addr]" ;; esac
  cat >"$d/squid.conf" <<CFG
http_port $listen:$port
pid_filename $d/squid.pid
access_log none
cache_log $d/cache.log
cache_store_log none
coredump_dir $d
cache deny all
cache_mem 8 MB
visible_hostname proxy.lab.test
http_access allow all
dns_nameservers 127.0.0.1
shutdown_lifetime 1 seconds
CFG
  lab_bg squid /usr/sbin/squid -N -f "$d/squid.conf"
  lab_wait_port "$addr" "$port" 60
}
srv_squid_client() {
  local proxy
  proxy=$(_lab_url "$1" "$2")
  curl -s -o /dev/null --max-time 10 "$proxy/" || return 1
  curl -s -o /dev/null --max-time 10 -x "$proxy" http://www.lab.test/
  return 0
}
