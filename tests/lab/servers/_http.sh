# Shared HTTP client for the web servers and proxies (curl, real requests).
# Not a server file: the leading underscore keeps it out of lab_servers.
_lab_url() {
  case $1 in *:*) echo "http://[$1]:$2" ;; *) echo "http://$1:$2" ;; esac
}
_lab_http_client() {
  local base
  base=$(_lab_url "$1" "$2")
  curl -s -o /dev/null --max-time 10 "$base/" || return 1
  curl -s -o /dev/null --max-time 10 "$base/index.html"
  curl -s -o /dev/null --max-time 10 -I "$base/"
  curl -s -o /dev/null --max-time 10 "$base/missing-page" || true
}
_lab_docroot() {
  mkdir -p "$1"
  printf '<html><head><title>svpassive lab</title></head><body>lab page</body></html>\n' \
    >"$1/index.html"
  chmod -R a+rX "$1"
}
