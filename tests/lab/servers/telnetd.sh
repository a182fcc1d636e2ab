# GNU inetutils telnetd under inetutils-inetd (both Debian), server speaks
# first (option negotiation); client: Python's telnetlib (answers the options).
srv_telnetd_pkgs() { echo inetutils-telnetd; }
srv_telnetd_port() { echo 23; }
srv_telnetd_install() { lab_install inetutils-telnetd inetutils-inetd; }

srv_telnetd_start() {
  local addr=$1 port=$2 d=$LAB_WORK/telnetd
  mkdir -p "$d"
  # inetd.conf takes ADDR:PORT without brackets, even for IPv6 (tcp6).
  local proto=tcp
  case $addr in *:*) proto=tcp6 ;; esac
  echo "$addr:$port stream $proto nowait root /usr/sbin/telnetd telnetd" >"$d/inetd.conf"
  # -d: stay in the foreground (debug mode); a private pid file.
  lab_bg telnetd /usr/sbin/inetutils-inetd -d --pidfile="$d/inetd.pid" "$d/inetd.conf"
  lab_wait_port "$addr" "$port"
}
srv_telnetd_client() { "$LAB_PY" "$LAB_DIR/clients.py" telnet "$1" "$2"; }
