# Prometheus Node Exporter (Debian prometheus-node-exporter); client: the
# landing page and a scrape of /metrics, as Prometheus would.
srv_prometheus_node_pkgs() { echo prometheus-node-exporter; }
srv_prometheus_node_port() { echo 9100; }
srv_prometheus_node_install() { lab_install prometheus-node-exporter; }
srv_prometheus_node_start() {
  local a=$1
  case $a in *:*) a="[$a]" ;; esac
  lab_bg prometheus_node /usr/bin/prometheus-node-exporter --web.listen-address="$a:$2"
  lab_wait_port "$1" "$2"
}
srv_prometheus_node_client() { ot_http_get "$1" "$2" / && ot_http_get "$1" "$2" /metrics; }
