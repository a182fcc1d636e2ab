# Prometheus Blackbox Exporter (Debian prometheus-blackbox-exporter), with
# the package's own configuration; client: landing page and /metrics.
srv_prometheus_blackbox_pkgs() { echo prometheus-blackbox-exporter; }
srv_prometheus_blackbox_port() { echo 9115; }
srv_prometheus_blackbox_install() { lab_install prometheus-blackbox-exporter; }
srv_prometheus_blackbox_start() {
  local a=$1
  case $a in *:*) a="[$a]" ;; esac
  lab_bg prometheus_blackbox /usr/bin/prometheus-blackbox-exporter \
    --config.file=/etc/prometheus/blackbox.yml --web.listen-address="$a:$2"
  lab_wait_port "$1" "$2"
}
srv_prometheus_blackbox_client() { ot_http_get "$1" "$2" / && ot_http_get "$1" "$2" /metrics; }
