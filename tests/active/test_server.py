#!/usr/bin/python3
"""test_server.py MODE ADDR:PORT...: TCP listeners for the active-mode tests,
one process, standard library only. Prints "ready" once every socket
listens. MODE:
  garbage  on accept, send a few bytes no rule matches and close: every
           probe of svpassive ends at once, so only its limits pace it
  silent   accept and hold the connection, never send anything
  close    accept and close at once, sending nothing (nmap: tcpwrapped)
ADDR may be IPv4 or IPv6 ("[fd00::2]:5000" or "fd00::2:5000" both work:
the port is after the last colon)."""
import selectors
import socket
import sys

GARBAGE = b"\xfe\xed\xfa\xce svp-test\x00\x01\x02\x03"


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ("garbage", "silent", "close"):
        sys.exit(__doc__)
    mode = sys.argv[1]
    sel = selectors.DefaultSelector()
    for spec in sys.argv[2:]:
        addr, port = spec.rsplit(":", 1)
        addr = addr.strip("[]")
        fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((addr, int(port)))
        s.listen(64)
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
    print("ready", flush=True)
    held = []
    while True:
        for key, _ in sel.select():
            try:
                conn, _ = key.fileobj.accept()
            except BlockingIOError:
                continue
            if mode == "garbage":
                try:
                    conn.sendall(GARBAGE)
                except OSError:
                    pass
                conn.close()
            elif mode == "close":
                conn.close()
            else:
                held.append(conn)


if __name__ == "__main__":
    main()
