# OPC UA (npm node-opcua), opc.tcp on the non-standard port 53530 (the seed
# post's case); client: node-opcua's own client (GetEndpoints, session, Read
# of ServerStatus in SecurityMode None). Node scripts live in tests/ot/.
srv_opcua_pkgs() { echo node-opcua-server; }
# npm, not dpkg: the version of the installed node-opcua-server package
srv_opcua_version() {
  node -p "require('$(srv_opcua_dir)/node_modules/node-opcua-server/package.json').version"
}
srv_opcua_port() { echo 53530; }
srv_opcua_dir() { echo "${SVP_OT_NODE_DIR:-$LAB_DIR/work/node-opcua}"; }
srv_opcua_install() {
  { command -v node && command -v npm; } >/dev/null || lab_install nodejs npm || return 1
  lab_npm_install "$(srv_opcua_dir)" node-opcua-server node-opcua-client
}
srv_opcua_start() {
  local addr=$1 port=$2
  lab_bg opcua env NODE_PATH="$(srv_opcua_dir)/node_modules" node \
    "$LAB_SRCDIR/tests/ot/opcua_server.js" "$port" "$addr"
  lab_wait_port "$addr" "$port" 120
}
srv_opcua_client() {
  local host=$1
  case $host in *:*) host="[$host]" ;; esac
  NODE_PATH="$(srv_opcua_dir)/node_modules" timeout 120 node \
    "$LAB_SRCDIR/tests/ot/opcua_client.js" "opc.tcp://$host:$2" >/dev/null 2>&1
}
