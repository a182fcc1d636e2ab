# PostgreSQL (Debian postgresql-15), client speaks first.
srv_postgresql_pkgs() { echo postgresql-15; }
srv_postgresql_port() { echo 5432; }
srv_postgresql_install() { lab_install postgresql-15 postgresql-client-15; }
_srv_postgresql_bin() { ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1; }

srv_postgresql_start() {
  local addr=$1 port=$2 d=$LAB_WORK/postgresql bin
  bin=$(_srv_postgresql_bin)
  mkdir -p "$d/run"
  chown -R postgres:postgres "$d"
  if [ ! -f "$d/data/PG_VERSION" ]; then
    setpriv --reuid=postgres --regid=postgres --init-groups \
      "$bin/initdb" -D "$d/data" -A trust -U postgres \
      >"$LAB_WORK/log/postgresql-initdb.log" 2>&1 || return 1
    cat >"$d/data/pg_hba.conf" <<CFG
local all all trust
host all all 0.0.0.0/0 trust
host all all ::/0 trust
CFG
  fi
  lab_bg postgresql setpriv --reuid=postgres --regid=postgres --init-groups \
    "$bin/postgres" -D "$d/data" -k "$d/run" -c "listen_addresses=$addr" -p "$port" \
    -c ssl=off
  lab_wait_port "$addr" "$port" 60
}
srv_postgresql_client() {
  psql -h "$1" -p "$2" -U postgres -d postgres -Atc "SELECT version();" >/dev/null &&
  psql -h "$1" -p "$2" -U postgres -d postgres -Atc "SELECT count(*) FROM pg_class;" >/dev/null
}
srv_postgresql_session_open() {
  lab_session_open postgresql-session psql -h "$1" -p "$2" -U postgres -d postgres -At
}
srv_postgresql_session_more() { lab_session_send postgresql-session "SELECT now();"; }
