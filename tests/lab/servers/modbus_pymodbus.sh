# Modbus/TCP server and client from pymodbus (Debian python3-pymodbus), with
# Read Device Identification objects; script in tests/ot/.
srv_modbus_pymodbus_pkgs() { echo python3-pymodbus; }
srv_modbus_pymodbus_port() { echo 502; }
srv_modbus_pymodbus_install() {
  lab_install python3-pymodbus python3-serial python3-serial-asyncio
}
srv_modbus_pymodbus_start() {
  lab_bg modbus_pymodbus "$LAB_PY" "$LAB_SRCDIR/tests/ot/modbus_pymodbus.py" server "$1" "$2"
  lab_wait_port "$1" "$2"
}
srv_modbus_pymodbus_client() {
  "$LAB_PY" "$LAB_SRCDIR/tests/ot/modbus_pymodbus.py" client "$1" "$2"
}
