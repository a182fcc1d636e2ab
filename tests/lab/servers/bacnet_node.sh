# BACnet/IP device on npm node-bacnet (tests/ot/bacnet_device.js), UDP
# 47808; client: tests/ot/bacnet_client.js (ReadPropertyMultiple,
# ReadProperty, Who-Is) from this side's port 47808.
srv_bacnet_node_pkgs() { echo node-bacnet; }
srv_bacnet_node_port() { echo 47808; }
srv_bacnet_node_proto() { echo udp; }
srv_bacnet_node_dir() { echo "${SVP_OT_BACNET_DIR:-$LAB_DIR/work/node-bacnet}"; }
srv_bacnet_node_version() {
  node -p "require('$(srv_bacnet_node_dir)/node_modules/node-bacnet/package.json').version"
}
srv_bacnet_node_install() {
  { command -v node && command -v npm; } >/dev/null || lab_install nodejs npm || return 1
  lab_npm_install "$(srv_bacnet_node_dir)" node-bacnet
}
srv_bacnet_node_start() {
  lab_bg bacnet_node env NODE_PATH="$(srv_bacnet_node_dir)/node_modules" node \
    "$LAB_SRCDIR/tests/ot/bacnet_device.js" "$1" "$2"
  lab_wait_udp "$1" "$2"
}
srv_bacnet_node_client() {
  # this side of the namespace's veth: the address that routes to $1
  local me
  me=$(ip -4 route get "$1" | sed -n 's/.* src \([0-9.]*\).*/\1/p')
  NODE_PATH="$(srv_bacnet_node_dir)/node_modules" timeout 20 node \
    "$LAB_SRCDIR/tests/ot/bacnet_client.js" "$me" "$1"
}
# node-bacnet opens a udp4 socket: binding an IPv6 address fails (EINVAL).
srv_bacnet_node_ipv6() { return 1; }
