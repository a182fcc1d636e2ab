# GNU inetutils telnetd under inetutils-inetd (both Debian), server speaks
# first (option negotiation); client: Python's telnetlib (answers the options).
srv_telnetd_pkgs() { echo inetutils-telnetd; }
srv_telnetd_port() { echo 23; }
srv_telnetd_install() { lab_install inetutils-telnetd inetutils-inetd; }

srv_telnetd_start() {
  local addr=$1 port=$2 d=$LAB_WORK/telnetd
  mkdir -p "$d"
  local svc="$addr:$port"
  case $addr in *:*) svc="[$addr]:$port" ;; esac
  echo "$svc stream tcp nowait root /usr/sbin/telnetd telnetd" >"$d/inetd.conf"
  # -d: stay in the foreground (debug mode).
  lab_bg telnetd /usr/sbin/inetutils-inetd -d "$d/inetd.conf"
  lab_wait_port "$addr" "$port"
}
srv_telnetd_client() { "$LAB_PY" "$LAB_DIR/clients.py" telnet "$1" "$2"; }
