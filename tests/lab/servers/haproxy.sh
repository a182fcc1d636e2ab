# HAProxy (Debian haproxy), HTTP front end with no server behind it (answers
# 503 itself); client: curl.
. "$LAB_DIR/servers/_http.sh"
srv_haproxy_pkgs() { echo haproxy; }
srv_haproxy_port() { echo 8888; }
srv_haproxy_install() { lab_install haproxy curl; }

srv_haproxy_start() {
  local addr=$1 port=$2 d=$LAB_WORK/haproxy
  mkdir -p "$d"
  local bind=$addr
  case $addr in *:*) bind="[$addr]" ;; esac
  cat >"$d/haproxy.cfg" <<CFG
global
  pidfile $d/haproxy.pid
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
frontend web
  bind $bind:$port
  default_backend empty
backend empty
CFG
  lab_bg haproxy /usr/sbin/haproxy -db -f "$d/haproxy.cfg"
  lab_wait_port "$addr" "$port"
}
srv_haproxy_client() {
  curl -s -o /dev/null --max-time 10 "$(_lab_url "$1" "$2")/"
}
