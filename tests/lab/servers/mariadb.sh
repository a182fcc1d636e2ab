# MariaDB (Debian mariadb-server), server speaks first (MySQL protocol).
srv_mariadb_pkgs() { echo mariadb-server; }
srv_mariadb_port() { echo 3306; }
srv_mariadb_install() { lab_install mariadb-server mariadb-client; }

srv_mariadb_start() {
  local addr=$1 port=$2 d=$LAB_WORK/mariadb
  mkdir -p "$d/data" "$d/run" "$d/tmp"   # a private tmpdir: several mariadbs run at once
  chown -R mysql:mysql "$d"
  if [ ! -d "$d/data/mysql" ]; then
    mariadb-install-db --no-defaults --tmpdir="$d/tmp" --user=mysql --datadir="$d/data" \
      --auth-root-authentication-method=socket --skip-test-db \
      >"$LAB_WORK/log/mariadb-install.log" 2>&1 || return 1
  fi
  lab_bg mariadb /usr/sbin/mariadbd --no-defaults --tmpdir="$d/tmp" --user=mysql --datadir="$d/data" \
    --socket="$d/run/mysqld.sock" --pid-file="$d/run/mysqld.pid" \
    --bind-address="$addr" --port="$port" --skip-name-resolve \
    --log-error="$d/error.log" --max-connect-errors=100000
  lab_wait_port "$addr" "$port" 60 || return 1
  # The lab's network account (root may only use the socket).
  mariadb --no-defaults --socket="$d/run/mysqld.sock" -u root -e \
    "CREATE USER IF NOT EXISTS 'lab'@'%' IDENTIFIED BY 'labpass';
     GRANT ALL ON *.* TO 'lab'@'%';
     CREATE DATABASE IF NOT EXISTS labdb;"
}
_srv_mariadb_cli() {
  local addr=$1 port=$2; shift 2
  mariadb --no-defaults -h "$addr" -P "$port" -u lab -plabpass --skip-ssl "$@"
}
srv_mariadb_client() {
  _srv_mariadb_cli "$1" "$2" -e "SELECT VERSION(); SHOW DATABASES;" >/dev/null
}
srv_mariadb_session_open() { lab_session_open mariadb-session _srv_mariadb_cli "$1" "$2" --batch labdb; }
srv_mariadb_session_more() { lab_session_send mariadb-session "SELECT NOW(), USER();"; }
