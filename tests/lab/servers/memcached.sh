# memcached (Debian memcached), client speaks first (text protocol).
# Client: libmemcached-tools (memcstat, memccp, memccat).
srv_memcached_pkgs() { echo memcached; }
srv_memcached_port() { echo 11211; }
srv_memcached_install() { lab_install memcached libmemcached-tools; }

srv_memcached_start() {
  local addr=$1 port=$2
  lab_bg memcached /usr/bin/memcached -l "$addr" -p "$port" -U 0 -u memcache -m 16
  lab_wait_port "$addr" "$port"
}
srv_memcached_client() {
  local s="$1:$2" f=$LAB_WORK/memcached-item
  case $1 in *:*) s="[$1]:$2" ;; esac
  echo "svpassive lab" >"$f"
  memcstat --servers="$s" >/dev/null &&
  (cd "$LAB_WORK" && memccp --servers="$s" memcached-item) &&
  memccat --servers="$s" memcached-item >/dev/null
}
