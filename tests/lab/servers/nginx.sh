# nginx (Debian nginx), client speaks first (HTTP).
. "$LAB_DIR/servers/_http.sh"
srv_nginx_pkgs() { echo nginx; }
srv_nginx_port() { echo 80; }
srv_nginx_install() { lab_install nginx curl; }

srv_nginx_start() {
  local addr=$1 port=$2 d=$LAB_WORK/nginx
  mkdir -p "$d/tmp"
  _lab_docroot "$d/www"
  local listen=$addr
  case $addr in *:*) listen="[$addr]" ;; esac
  cat >"$d/nginx.conf" <<CFG
daemon off;
user www-data;
worker_processes 1;
pid $d/nginx.pid;
error_log $d/error.log;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path $d/tmp/body;
  proxy_temp_path $d/tmp/proxy;
  fastcgi_temp_path $d/tmp/fastcgi;
  uwsgi_temp_path $d/tmp/uwsgi;
  scgi_temp_path $d/tmp/scgi;
  include /etc/nginx/mime.types;
  server {
    listen $listen:$port;
    root $d/www;
  }
}
CFG
  lab_bg nginx /usr/sbin/nginx -p "$d" -c "$d/nginx.conf"
  lab_wait_port "$addr" "$port"
}
srv_nginx_client() { _lab_http_client "$1" "$2"; }
