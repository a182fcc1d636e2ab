# MariaDB (Debian mariadb-server) with proxy_protocol_networks set to a
# network the client is not in; client: a PROXY v1 header, which the server
# refuses with error 1130 "Proxy header is not accepted from <client>".
srv_mariadb_proxy_pkgs() { echo mariadb-server; }
srv_mariadb_proxy_port() { echo 3306; }
srv_mariadb_proxy_install() { lab_install mariadb-server; }
srv_mariadb_proxy_start() {
  local addr=$1 port=$2 d=$LAB_WORK/mariadb_proxy
  mkdir -p "$d/tmp"   # a private tmpdir: several mariadbs run at once
  [ -d "$d/data/mysql" ] || mariadb-install-db --no-defaults --tmpdir="$d/tmp" --datadir="$d/data" \
    --user=root --auth-root-authentication-method=normal >"$d/install.log" 2>&1 || return 1
  # an account for any host, else a remote client is refused ("Host ... is
  # not allowed") before the server looks at the PROXY header
  echo "CREATE USER IF NOT EXISTS 'lab'@'%';" >"$d/init.sql"
  lab_bg mariadb_proxy /usr/sbin/mariadbd --no-defaults --tmpdir="$d/tmp" --datadir="$d/data" \
    --init-file="$d/init.sql" \
    --socket="$d/sock" --pid-file="$d/pid" --port="$port" --bind-address="$addr" \
    --proxy-protocol-networks=192.0.2.0/24 --skip-name-resolve --user=root
  lab_wait_port "$addr" "$port" 60
}
srv_mariadb_proxy_client() {
  "$LAB_PY" - "$1" "$2" <<'PY'
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
greeting = s.recv(4096)
s.sendall(b"PROXY TCP4 192.0.2.10 192.0.2.20 40000 3306\r\n")
data = b""
try:
    while True:
        b = s.recv(4096)
        if not b:
            break
        data += b
except OSError:
    pass
sys.exit(0 if b"Proxy header is not accepted" in greeting + data else 1)
PY
}
