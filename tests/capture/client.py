#!/usr/bin/python3
"""client.py: real client conversations that record what they sent and got.

Usage: client.py OUT.jsonl [--midstream CONTROLDIR] TARGET...
  TARGET = KIND@ADDR:PORT (ADDR may be [v6]) with KIND one of
    http   GET /big.txt (HTTP/1.1); in midstream mode a first request on a
           keep-alive connection before the capture, the second one after
    ssh    read the server's banner, send ours, read the key exchange init
           (midstream: the server's banner comes before the capture, our
           banner and its KEXINIT after)
    redis  PING, then ECHO (midstream: PING before, ECHO after)
One JSON line per connection: kind, client and server "addr:port" (the
addresses as svpassive prints them), sent/recv as hex of the bytes exchanged
while the capture ran (in stream order), server_first (the server's first
captured byte came before ours), midstream.

Midstream mode: every connection is opened and does its first exchange, then
CONTROLDIR/ready is created and the client waits for CONTROLDIR/go (the
capture is running by then) before the second exchange. Standard library
only (Debian's /usr/bin/python3)."""
import json
import os
import socket
import sys
import time

TIMEOUT = 5.0


def parse_target(t):
    kind, rest = t.split("@", 1)
    if rest.startswith("["):
        addr, port = rest[1:].split("]:")
    else:
        addr, port = rest.rsplit(":", 1)
    return kind, addr, int(port)


def endpoint(sa, family):
    addr, port = sa[0], sa[1]
    if family == socket.AF_INET6:
        return "[%s]:%d" % (addr, port)
    return "%s:%d" % (addr, port)


class Conv:
    """One TCP connection with a transcript of the captured phase."""

    def __init__(self, kind, addr, port):
        fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
        self.kind = kind
        self.fam = fam
        self.s = socket.socket(fam, socket.SOCK_STREAM)
        self.s.settimeout(TIMEOUT)
        self.s.connect((addr, port))
        self.sent = b""
        self.recv = b""
        self.server_first = None
        self.recording = False
        self.client = endpoint(self.s.getsockname(), fam)
        self.server = endpoint(self.s.getpeername(), fam)

    def send(self, data):
        self.s.sendall(data)
        if self.recording:
            if self.server_first is None:
                self.server_first = False
            self.sent += data

    def _got(self, data):
        if self.recording:
            if self.server_first is None:
                self.server_first = True
            self.recv += data

    def read_until(self, pred, limit=1 << 20):
        """Read until pred(bytes read by this call) or EOF/timeout."""
        got = b""
        while not pred(got) and len(got) < limit:
            try:
                d = self.s.recv(65536)
            except socket.timeout:
                break
            if not d:
                break
            got += d
            self._got(d)
        return got

    def read_for(self, seconds):
        """Read whatever comes during `seconds`."""
        end = time.time() + seconds
        got = b""
        while time.time() < end:
            self.s.settimeout(max(0.05, end - time.time()))
            try:
                d = self.s.recv(65536)
            except socket.timeout:
                break
            if not d:
                break
            got += d
            self._got(d)
        self.s.settimeout(TIMEOUT)
        return got

    def record(self, midstream):
        return {
            "kind": self.kind, "client": self.client, "server": self.server,
            "sent": self.sent.hex(), "recv": self.recv.hex(),
            "server_first": bool(self.server_first), "midstream": midstream,
        }


def http_complete(buf):
    """A whole HTTP/1.1 response (headers + Content-Length body)."""
    head, sep, body = buf.partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(body) >= int(line.split(b":", 1)[1])
    return False


def http_req(host, close):
    return (b"GET /big.txt HTTP/1.1\r\nHost: " + host.encode() +
            b"\r\nUser-Agent: svpassive-capture-test\r\nAccept: */*\r\n" +
            (b"Connection: close\r\n" if close else b"") + b"\r\n")


def phase1(c, midstream):
    """Everything before the capture (midstream) or the whole conversation."""
    if c.kind == "http":
        if midstream:
            c.send(http_req("svpcap", close=False))
            c.read_until(http_complete)
        else:
            c.send(http_req("svpcap", close=True))
            c.read_until(lambda b: False)  # until EOF
    elif c.kind == "ssh":
        c.read_until(lambda b: b"\n" in b)  # the server's banner
        if not midstream:
            c.send(b"SSH-2.0-svpassive_capture_test\r\n")
            c.read_for(1.0)  # its KEXINIT
    elif c.kind == "redis":
        c.send(b"*1\r\n$4\r\nPING\r\n")
        c.read_until(lambda b: b.endswith(b"\r\n"))
        if not midstream:
            c.send(b"*2\r\n$4\r\nECHO\r\n$12\r\nsvpcap-hello\r\n")
            c.read_until(lambda b: b.endswith(b"svpcap-hello\r\n"))
    else:
        raise SystemExit("unknown kind " + c.kind)


def phase2(c):
    """The captured part of a mid-stream conversation."""
    if c.kind == "http":
        c.send(http_req("svpcap", close=True))
        c.read_until(lambda b: False)
    elif c.kind == "ssh":
        c.send(b"SSH-2.0-svpassive_capture_test\r\n")
        c.read_for(1.0)
    elif c.kind == "redis":
        c.send(b"*2\r\n$4\r\nECHO\r\n$12\r\nsvpcap-hello\r\n")
        c.read_until(lambda b: b.endswith(b"svpcap-hello\r\n"))


def main(argv):
    out = argv[1]
    args = argv[2:]
    control = None
    if args and args[0] == "--midstream":
        control = args[1]
        args = args[2:]
    convs = []
    for t in args:
        kind, addr, port = parse_target(t)
        c = Conv(kind, addr, port)
        c.recording = control is None
        phase1(c, control is not None)
        convs.append(c)
    if control:
        open(os.path.join(control, "ready"), "w").close()
        deadline = time.time() + 60
        while not os.path.exists(os.path.join(control, "go")):
            if time.time() > deadline:
                raise SystemExit("client: no go signal")
            time.sleep(0.05)
        for c in convs:
            c.recording = True
            phase2(c)
    with open(out, "w") as f:
        for c in convs:
            c.s.close()
            f.write(json.dumps(c.record(control is not None)) + "\n")
    time.sleep(0.5)  # let the closing handshakes reach the capture


if __name__ == "__main__":
    main(sys.argv)
