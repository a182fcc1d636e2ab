# Eclipse Mosquitto (Debian mosquitto), MQTT; clients: mosquitto_pub/sub.
srv_mosquitto_pkgs() { echo mosquitto; }
srv_mosquitto_port() { echo 1883; }
srv_mosquitto_install() { lab_install mosquitto mosquitto-clients; }

srv_mosquitto_start() {
  local addr=$1 port=$2 d=$LAB_WORK/mosquitto
  mkdir -p "$d"
  cat >"$d/mosquitto.conf" <<CFG
listener $port $addr
allow_anonymous true
persistence false
pid_file $d/mosquitto.pid
log_dest stdout
user root
CFG
  lab_bg mosquitto /usr/sbin/mosquitto -c "$d/mosquitto.conf"
  lab_wait_port "$addr" "$port"
}
srv_mosquitto_client() {
  mosquitto_pub -h "$1" -p "$2" -t lab/temp -m 21.5 -q 1 &&
  mosquitto_sub -h "$1" -p "$2" -t 'lab/#' -C 1 -W 5 -q 1 --retained-only >/dev/null 2>&1
  mosquitto_pub -h "$1" -p "$2" -t lab/state -m on -r
}
# Mid-conversation: a subscriber and a publisher (-l: one message per stdin
# line, one connection) both stay connected; later publications travel on
# their old connections.
srv_mosquitto_session_open() {
  lab_bg_client mosquitto-sub mosquitto_sub -h "$1" -p "$2" -t 'lab/#' -k 30 -v
  lab_session_open mosquitto-pub mosquitto_pub -h "$1" -p "$2" -t lab/temp -k 30 -l
}
srv_mosquitto_session_more() { lab_session_send mosquitto-pub "22.0"; }
