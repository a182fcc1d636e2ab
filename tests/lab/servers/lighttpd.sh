# lighttpd (Debian lighttpd), client speaks first (HTTP).
. "$LAB_DIR/servers/_http.sh"
srv_lighttpd_pkgs() { echo lighttpd; }
srv_lighttpd_port() { echo 8000; }
srv_lighttpd_install() { lab_install lighttpd curl; }

srv_lighttpd_start() {
  local addr=$1 port=$2 d=$LAB_WORK/lighttpd
  mkdir -p "$d"
  _lab_docroot "$d/www"
  touch "$d/error.log"; chown www-data "$d/error.log"   # opened after setuid
  local bind=$addr
  case $addr in *:*) bind="[$addr]" ;; esac
  cat >"$d/lighttpd.conf" <<CFG
server.bind = "$bind"
server.port = $port
server.document-root = "$d/www"
server.pid-file = "$d/lighttpd.pid"
server.errorlog = "$d/error.log"
server.username = "www-data"
server.groupname = "www-data"
index-file.names = ( "index.html" )
mimetype.assign = ( ".html" => "text/html" )
CFG
  lab_bg lighttpd /usr/sbin/lighttpd -D -f "$d/lighttpd.conf"
  lab_wait_port "$addr" "$port"
}
srv_lighttpd_client() { _lab_http_client "$1" "$2"; }
