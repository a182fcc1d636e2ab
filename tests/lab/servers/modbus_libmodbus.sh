# Modbus/TCP server and client from libmodbus (Debian libmodbus5), a small C
# program (tests/ot/modbus_libmodbus.c) built on first use.
srv_modbus_libmodbus_pkgs() { echo libmodbus5; }
srv_modbus_libmodbus_port() { echo 502; }
srv_modbus_libmodbus_bin() { echo "$LAB_WORK/modbus_libmodbus"; }
srv_modbus_libmodbus_install() {
  lab_install libmodbus-dev gcc pkg-config || return 1
  local bin
  bin=$(srv_modbus_libmodbus_bin)
  [ -x "$bin" ] || gcc -O1 -o "$bin" "$LAB_SRCDIR/tests/ot/modbus_libmodbus.c" \
    $(pkg-config --cflags --libs libmodbus)
}
srv_modbus_libmodbus_start() {
  lab_bg modbus_libmodbus "$(srv_modbus_libmodbus_bin)" server "$1" "$2"
  lab_wait_port "$1" "$2"
}
srv_modbus_libmodbus_client() { "$(srv_modbus_libmodbus_bin)" client "$1" "$2"; }
# modbus_new_tcp/modbus_tcp_listen speak IPv4 only (libmodbus' IPv6 API is
# modbus_new_tcp_pi, which tests/ot/modbus_libmodbus.c does not use).
srv_modbus_libmodbus_ipv6() { return 1; }
