# Apache httpd (Debian apache2), client speaks first (HTTP).
. "$LAB_DIR/servers/_http.sh"
srv_apache_pkgs() { echo apache2; }
srv_apache_port() { echo 8080; }
srv_apache_install() { lab_install apache2 curl; }

srv_apache_start() {
  local addr=$1 port=$2 d=$LAB_WORK/apache m=/usr/lib/apache2/modules
  mkdir -p "$d/run"
  _lab_docroot "$d/www"
  local listen=$addr
  case $addr in *:*) listen="[$addr]" ;; esac
  cat >"$d/apache2.conf" <<CFG
ServerRoot $d
ServerName lab.test
DefaultRuntimeDir $d/run
PidFile $d/run/apache2.pid
Mutex file:$d/run default
LoadModule mpm_event_module $m/mod_mpm_event.so
LoadModule authz_core_module $m/mod_authz_core.so
LoadModule dir_module $m/mod_dir.so
LoadModule mime_module $m/mod_mime.so
User www-data
Group www-data
Listen $listen:$port
ErrorLog $d/error.log
TypesConfig /etc/mime.types
DocumentRoot $d/www
<Directory $d/www>
  Require all granted
</Directory>
DirectoryIndex index.html
CFG
  lab_bg apache /usr/sbin/apache2 -DFOREGROUND -f "$d/apache2.conf"
  lab_wait_port "$addr" "$port"
}
srv_apache_client() { _lab_http_client "$1" "$2"; }
