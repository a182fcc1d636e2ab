#!/usr/bin/env python3
"""extract_flows.py: per-flow client/server first bytes of captures, via tshark.

This is an oracle built WITHOUT svpassive's own capture layer, so the rule
tests can run while (and independently of) that layer: tshark decodes the
packets, this script puts each TCP direction in sequence order (first copy of
a byte wins, holes end the direction) and keeps the first UDP datagram of each
side. Output, one flow per line, tab-separated:

  capture  l4  server  client  basis  cli_hex  srv_hex  srv_protos  cli_protos

  server/client   ip:port ([v6]:port)
  basis           syn (SYN seen), port (lower/well-known port), first (UDP:
                  the first datagram's receiver is the server)
  cli_hex         first bytes the client sent (<= 1024), hex
  srv_hex         first bytes the server sent (<= 4096, nmap's limit), hex
  srv_protos      tshark's dissectors above tcp/udp in the server's packets,
                  comma-separated ('-' if none): the independent label the
                  negative test compares rule hits against
  cli_protos      the same for the client's packets (a UDP flow's other side
                  may be the one a rule names: an announcement's sender)

Usage: extract_flows.py OUT.tsv CAPTURE...   (captures are named in OUT as
given). The captures are concatenated with mergecap (interfaces kept apart)
and read by ONE tshark run; frame.interface_id tells which capture a packet
came from."""
import os
import struct
import subprocess
import sys
import tempfile

CLI_MAX = 1024
SRV_MAX = 4096
FIELDS = ["frame.interface_id", "ip.src", "ipv6.src", "ip.dst", "ipv6.dst",
          "tcp.srcport", "tcp.dstport", "udp.srcport", "udp.dstport",
          "tcp.flags.syn", "tcp.flags.ack", "tcp.seq_raw", "tcp.payload",
          "udp.payload", "frame.protocols", "ip.flags.mf", "ip.frag_offset"]
# Service ports that win over the "lower port serves" guess when no SYN was
# seen (OT servers often sit on ports above their clients' ephemeral ones).
SERVICE_PORTS = {102, 502, 1883, 1911, 1962, 2222, 2404, 4840, 5050, 9600,
                 20000, 34964, 44818, 47808, 48010, 48898, 53530}
SKIP_PROTOS = {"eth", "ethertype", "ip", "ipv6", "tcp", "udp", "vlan", "sll",
               "null", "loop", "raw", "data", "frame", "pkt_comment",
               "radiotap", "wlan", "llc", "mpls", "pppoes", "ppp",
               "tcp.segments", "_ws.malformed", "_ws.short", "ipv6.hopopts"}


def ep(ip, port):
    return ("[%s]:%s" % (ip, port)) if ":" in ip else ("%s:%s" % (ip, port))


class Dir:
    def __init__(self, cap):
        self.segs = {}       # seq -> bytes (first seen wins)
        self.dgram = None    # first UDP datagram
        self.cap = cap
        self.protos = []

    def add_seg(self, seq, data):
        if data and seq not in self.segs:
            self.segs[seq] = data

    def stream(self):
        if self.dgram is not None:
            return self.dgram[:self.cap]
        if not self.segs:
            return b""
        seqs = sorted(self.segs)
        base = seqs[0]
        # A direction whose sequence numbers wrap is rare in test captures;
        # handle it by rebasing values far below the start.
        if seqs[-1] - base > 1 << 31:
            seqs = sorted(seqs, key=lambda s: (s - seqs[-1]) % (1 << 32))
            base = seqs[0]
        out = bytearray()
        for s in seqs:
            off = (s - base) % (1 << 32)
            data = self.segs[s]
            if off > len(out):
                break          # hole: stop here, as a reassembler without
            if off + len(data) > len(out):   # gap skipping would
                out += data[len(out) - off:]
            if len(out) >= self.cap:
                break
        return bytes(out[:self.cap])


def n_interfaces(path):
    """Interfaces a capture declares: 1 for pcap, the IDB count for pcapng."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"\x0a\x0d\x0d\x0a":
        return 1
    n, off, order = 0, 0, "<"
    while off + 12 <= len(data):
        btype = struct.unpack_from(order + "I", data, off)[0]
        if btype == 0x0A0D0D0A:   # section header: byte order magic follows
            order = "<" if data[off + 8:off + 12] == b"\x4d\x3c\x2b\x1a" else ">"
        blen = struct.unpack_from(order + "I", data, off + 4)[0]
        if btype == 1:
            n += 1
        if blen < 12:
            break
        off += blen
    return max(n, 1)


def flows_of(path, names, first_if):
    """Flows of the merged capture; names[k] is the capture whose interfaces
    start at first_if[k]."""
    cmd = ["tshark", "-n", "-r", path, "-T", "fields", "-E", "separator=\t",
           "-E", "occurrence=f", "-o", "tcp.analyze_sequence_numbers:FALSE",
           "-o", "tcp.desegment_tcp_streams:FALSE",
           # decode OT protocols tshark does not try on these ports by itself
           "-d", "udp.port==20000,dnp3", "-d", "tcp.port==48010,opcua",
           "-d", "tcp.port==53530,opcua"]
    for f in FIELDS:
        cmd += ["-e", f]
    res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    flows = {}   # key: (l4, frozenset of endpoints) -> state
    order = []
    for line in res.stdout.decode("ascii", "replace").splitlines():
        v = line.split("\t")
        if len(v) < len(FIELDS):
            continue
        (ifid, s4, s6, d4, d6, tsp, tdp, usp, udp_, syn, ack, seq, tpay, upay,
         protos, mf, fo) = v[:len(FIELDS)]
        k = 0
        while k + 1 < len(first_if) and first_if[k + 1] <= int(ifid or 0):
            k += 1
        src, dst = (s4 or s6), (d4 or d6)
        if not src or not dst:
            continue
        if tsp:
            l4, sp, dp = "tcp", tsp, tdp
        elif usp:
            if mf == "1" or (fo and fo != "0"):
                continue       # IP fragment: payload field is partial
            l4, sp, dp = "udp", usp, udp_
        else:
            continue
        a, b = ep(src, sp), ep(dst, dp)
        key = (k, l4, frozenset((a, b)))
        st = flows.get(key)
        if st is None:
            st = {"cap": names[k], "l4": l4, "first": (a, b), "syn": None, "dirs": {}}
            flows[key] = st
            order.append(key)
        if l4 == "tcp" and syn == "1" and ack == "0" and st["syn"] is None:
            st["syn"] = (a, b)
        d = st["dirs"].setdefault(a, Dir(SRV_MAX))
        pay = bytes.fromhex(tpay if l4 == "tcp" else upay) if (tpay or upay) else b""
        if l4 == "tcp":
            if pay and seq.isdigit():
                d.add_seg(int(seq), pay)
        elif pay and d.dgram is None:
            d.dgram = pay
        if pay:
            for p in protos.split(":"):
                if p and p not in SKIP_PROTOS and p not in d.protos:
                    d.protos.append(p)
    for key in order:
        st = flows[key]
        a, b = st["first"]
        if st["syn"]:
            cli, srv = st["syn"]
            basis = "syn"
        else:
            pa, pb = int(a.rsplit(":", 1)[1]), int(b.rsplit(":", 1)[1])
            ka, kb = pa in SERVICE_PORTS, pb in SERVICE_PORTS
            if st["l4"] == "udp" and (ka == kb) and not (pa < pb and pa < 49152):
                cli, srv, basis = a, b, "first"   # first datagram's receiver
            elif ka != kb:
                cli, srv, basis = (b, a, "port") if ka else (a, b, "port")
            else:
                cli, srv = (a, b) if pa > pb else (b, a)
                basis = "port"
        cd = st["dirs"].get(cli)
        sd = st["dirs"].get(srv)
        cbytes = cd.stream()[:CLI_MAX] if cd else b""
        sbytes = sd.stream() if sd else b""
        if not cbytes and not sbytes:
            continue
        protos = ",".join(sd.protos) if sd and sd.protos else "-"
        cprotos = ",".join(cd.protos) if cd and cd.protos else "-"
        yield (st["cap"], st["l4"], srv, cli, basis, cbytes.hex() or "-",
               sbytes.hex() or "-", protos, cprotos)


def main():
    if len(sys.argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    caps = sys.argv[2:]
    first_if, n = [], 0
    for c in caps:
        first_if.append(n)
        n += n_interfaces(c)
    fd, merged = tempfile.mkstemp(suffix=".pcapng")
    os.close(fd)
    try:
        subprocess.run(["mergecap", "-I", "none", "-a", "-F", "pcapng", "-w",
                        merged] + caps, check=True, stderr=subprocess.DEVNULL)
        with open(sys.argv[1], "w") as out:
            for fl in flows_of(merged, caps, first_if):
                out.write("\t".join(fl) + "\n")
    finally:
        os.unlink(merged)
    return 0


if __name__ == "__main__":
    sys.exit(main())
