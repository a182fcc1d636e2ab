#!/usr/bin/python3
"""pcaprewrite.py: derive damaged or re-tagged captures from a real one.

Usage: pcaprewrite.py IN.pcap OUT.pcap OPS.json OP...
  drop:CLIENT:DIR:N     delete the N-th (0-based) payload segment that
                        direction DIR (c2s or s2c) of the TCP connection of
                        client CLIENT ("10.0.0.1:4000", "[fd00::1]:4000") sent
  swap:CLIENT:DIR:N     swap that segment with the next one of the same direction
  banner-first:CLIENT   move the server's first payload segment before the
                        client's ACK that completes the handshake
  qinq:OUTER:INNER      add an 802.1ad tag (OUTER) and an 802.1Q tag (INNER)
                        to every Ethernet frame
OPS.json receives, per operation, what was done: the frame numbers and, for
drop, the stream offset and length of the bytes removed (for the checks).
Reads and writes classic pcap (Ethernet); standard library only."""
import json
import socket
import struct
import sys


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    if magic not in (0xA1B2C3D4, 0xA1B23C4D):
        raise SystemExit("%s: not a little-endian classic pcap" % path)
    linktype = struct.unpack("<I", data[20:24])[0]
    recs, off = [], 24
    while off + 16 <= len(data):
        sec, frac, incl, orig = struct.unpack("<IIII", data[off:off + 16])
        recs.append([sec, frac, orig, data[off + 16:off + 16 + incl]])
        off += 16 + incl
    return data[:24], linktype, recs


def write_pcap(path, hdr, recs):
    with open(path, "wb") as f:
        f.write(hdr)
        for sec, frac, orig, pkt in recs:
            f.write(struct.pack("<IIII", sec, frac, len(pkt), max(orig, len(pkt))))
            f.write(pkt)


def tcp_of(frame):
    """(src "addr:port", dst "addr:port", seq, flags, payload length) or None."""
    off, et = 12, struct.unpack("!H", frame[12:14])[0]
    while et in (0x8100, 0x88A8):
        off += 4
        et = struct.unpack("!H", frame[off:off + 2])[0]
    ip = frame[off + 2:]
    if et == 0x0800 and ip[9] == 6:
        hl = (ip[0] & 15) * 4
        tot = struct.unpack("!H", ip[2:4])[0]
        src = socket.inet_ntop(socket.AF_INET, ip[12:16])
        dst = socket.inet_ntop(socket.AF_INET, ip[16:20])
        fmt = "%s:%d"
        tcp, plen = ip[hl:], tot - hl
    elif et == 0x86DD and ip[6] == 6:
        src = socket.inet_ntop(socket.AF_INET6, ip[8:24])
        dst = socket.inet_ntop(socket.AF_INET6, ip[24:40])
        fmt = "[%s]:%d"
        tcp, plen = ip[40:], struct.unpack("!H", ip[4:6])[0]
    else:
        return None
    sport, dport, seq = struct.unpack("!HHI", tcp[:8])
    thl = (tcp[12] >> 4) * 4
    return fmt % (src, sport), fmt % (dst, dport), seq, tcp[13], plen - thl


def segments(recs, client):
    """Per direction, the indexes of the payload frames of client's flow, and
    the initial sequence numbers."""
    out = {"c2s": [], "s2c": []}
    isn = {}
    for i, r in enumerate(recs):
        t = tcp_of(r[3])
        if not t or client not in (t[0], t[1]):
            continue
        d = "c2s" if t[0] == client else "s2c"
        if t[3] & 0x02:
            isn[d] = t[2]
        if t[4] > 0:
            out[d].append((i, t[2], t[4]))
    return out, isn


def main(argv):
    src, dst, opsfile = argv[1:4]
    hdr, linktype, recs = read_pcap(src)
    done = []
    for op in argv[4:]:
        kind, _, rest = op.partition(":")
        if kind == "qinq":
            outer, inner = (int(x) for x in rest.split(":"))
            tags = struct.pack("!HHHH", 0x88A8, outer, 0x8100, inner)
            for r in recs:
                r[3] = r[3][:12] + tags + r[3][12:]
                r[2] += 8
            done.append({"op": "qinq", "outer": outer, "inner": inner})
            continue
        if kind == "banner-first":
            client = rest
            segs, isn = segments(recs, client)
            first = segs["s2c"][0][0]
            ack = None
            for i, r in enumerate(recs):
                t = tcp_of(r[3])
                if t and t[0] == client and not (t[3] & 0x02) and t[4] == 0 and i < first:
                    ack = i
                    break
            if ack is None:
                raise SystemExit("banner-first: no client ACK before the banner")
            # Move the packet, keep the timestamps where they were.
            pkts = [r[2:] for r in recs[ack:first + 1]]
            pkts.insert(0, pkts.pop())
            for k, p in enumerate(pkts):
                recs[ack + k][2:] = p
            done.append({"op": kind, "client": client, "moved_frame": first + 1,
                         "before_frame": ack + 1})
            continue
        rsplit = rest.rsplit(":", 2)
        client, d, n = rsplit[0], rsplit[1], int(rsplit[2])
        segs, isn = segments(recs, client)
        i, seq, ln = segs[d][n]
        if kind == "drop":
            del recs[i]
            done.append({"op": kind, "client": client, "dir": d, "frame": i + 1,
                         "offset": (seq - isn[d] - 1) & 0xFFFFFFFF, "len": ln})
        elif kind == "swap":
            j = segs[d][n + 1][0]
            recs[i][2:], recs[j][2:] = recs[j][2:], recs[i][2:]  # times stay in order
            done.append({"op": kind, "client": client, "dir": d, "frames": [i + 1, j + 1]})
        else:
            raise SystemExit("unknown operation " + op)
    write_pcap(dst, hdr, recs)
    with open(opsfile, "w") as f:
        json.dump(done, f, indent=1)


if __name__ == "__main__":
    main(sys.argv)
