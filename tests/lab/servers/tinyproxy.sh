# tinyproxy (Debian tinyproxy), HTTP proxy; client: curl.
. "$LAB_DIR/servers/_http.sh"
srv_tinyproxy_pkgs() { echo tinyproxy; }
srv_tinyproxy_port() { echo 8118; }
srv_tinyproxy_install() { lab_install tinyproxy curl; }

srv_tinyproxy_start() {
  local addr=$1 port=$2 d=$LAB_WORK/tinyproxy
  mkdir -p "$d"
  cat >"$d/tinyproxy.conf" <<CFG
User nobody
Group nogroup
Port $port
Listen $addr
Timeout 30
MaxClients 10
PidFile "$d/tinyproxy.pid"
LogLevel Info
CFG
  lab_bg tinyproxy /usr/bin/tinyproxy -d -c "$d/tinyproxy.conf"
  lab_wait_port "$addr" "$port"
}
srv_tinyproxy_client() {
  local proxy
  proxy=$(_lab_url "$1" "$2")
  curl -s -o /dev/null --max-time 10 "$proxy/"
  curl -s -o /dev/null --max-time 10 -x "$proxy" http://www.lab.test/
  return 0
}
