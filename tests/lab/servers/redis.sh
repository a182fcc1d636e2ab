# Redis (Debian redis-server), client speaks first (RESP).
srv_redis_pkgs() { echo redis-server; }
srv_redis_port() { echo 6379; }
srv_redis_install() { lab_install redis-server redis-tools; }

srv_redis_start() {
  local addr=$1 port=$2 d=$LAB_WORK/redis
  mkdir -p "$d"
  lab_bg redis /usr/bin/redis-server --bind "$addr" --port "$port" --save '' \
    --appendonly no --dir "$d" --daemonize no --protected-mode no \
    --logfile "$d/redis.log"
  lab_wait_port "$addr" "$port"
}
srv_redis_client() {
  local c="redis-cli -h $1 -p $2"
  $c SET lab:key "svpassive lab" >/dev/null &&
  $c GET lab:key >/dev/null && $c INFO server >/dev/null && $c PING >/dev/null
}
srv_redis_session_open() { lab_session_open redis-session redis-cli -h "$1" -p "$2"; }
srv_redis_session_more() {
  lab_session_send redis-session "SET lab:mid later"
  lab_session_send redis-session "GET lab:mid"
  lab_session_send redis-session "INFO server"
}
