#!/usr/bin/python3
"""modbus_pymodbus.py: a pymodbus (Debian python3-pymodbus 3.0) Modbus/TCP
server with device identification, or a pymodbus client conversation.

  modbus_pymodbus.py server ADDR PORT
  modbus_pymodbus.py client ADDR PORT

The client does what an HMI/SCADA poller does: read holding and input
registers, read coils, then Read Device Identification (43/14) basic and
regular streams; it exits 0 if the server answered every request."""
import sys


def server(addr, port):
    from pymodbus.datastore import (ModbusSequentialDataBlock,
                                    ModbusServerContext, ModbusSlaveContext)
    from pymodbus.device import ModbusDeviceIdentification
    from pymodbus.server import StartTcpServer
    block = ModbusSequentialDataBlock(0, list(range(100)))
    store = ModbusSlaveContext(di=block, co=block, hr=block, ir=block)
    ctx = ModbusServerContext(slaves=store, single=True)
    ident = ModbusDeviceIdentification(info_name={
        "VendorName": "svpassive lab",
        "ProductCode": "PM-300",
        "MajorMinorRevision": "3.0.0",
        "VendorUrl": "https://example.invalid/",
        "ProductName": "pymodbus test server",
        "ModelName": "pymodbus",
    })
    StartTcpServer(context=ctx, identity=ident, address=(addr, port))


def client(addr, port):
    from pymodbus.client import ModbusTcpClient
    from pymodbus.mei_message import ReadDeviceInformationRequest
    c = ModbusTcpClient(addr, port=port, timeout=3)
    if not c.connect():
        return 1
    ok = True
    for r in (c.read_holding_registers(0, 10, slave=1),
              c.read_input_registers(5, 4, slave=1),
              c.read_coils(0, 16, slave=1),
              c.execute(ReadDeviceInformationRequest(read_code=1, object_id=0, slave=1)),
              c.execute(ReadDeviceInformationRequest(read_code=2, object_id=0, slave=1))):
        ok = ok and r is not None and not r.isError()
    c.close()
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] not in ("server", "client"):
        sys.stderr.write(__doc__)
        sys.exit(2)
    if sys.argv[1] == "server":
        server(sys.argv[2], int(sys.argv[3]))
    else:
        sys.exit(client(sys.argv[2], int(sys.argv[3])))
