# Pike's HTTP server module (Debian pike8.0-core, Protocols.HTTP.Server),
# script tests/ot/pike_httpd.pike; client: GET /.
srv_pike_http_pkgs() { echo pike8.0-core; }
srv_pike_http_port() { echo 8080; }
srv_pike_http_install() { lab_install pike8.0-core; }
srv_pike_http_start() {
  lab_bg pike_http pike "$LAB_SRCDIR/tests/ot/pike_httpd.pike" "$2" "$1"
  lab_wait_port "$1" "$2"
}
srv_pike_http_client() { ot_http_get "$1" "$2" /; }
