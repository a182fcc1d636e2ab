"""A small, independent reader of the lab's own captures (stdlib only).

It exists so that the lab can check its captures (and cut fixtures out of
them) without relying on the code under test.  It handles what the lab's
tcpdump writes: classic pcap, Ethernet / Linux SLL / raw IP / loopback, IPv4
and IPv6 (common extension headers), TCP and UDP.  TCP streams are rebuilt by
sequence offset; the lab's captures are lossless, so no attempt is made to
handle holes beyond leaving them as missing bytes.
"""
import struct

TCP_FIN, TCP_SYN, TCP_RST, TCP_ACK = 0x01, 0x02, 0x04, 0x10


class Packet:
    __slots__ = ("frame", "ts", "src", "dst", "proto", "sport", "dport",
                 "flags", "seq", "payload")


def _ip_text(raw):
    import ipaddress
    return str(ipaddress.ip_address(raw))


def _parse_ip(data, pkt):
    if not data:
        return False
    version = data[0] >> 4
    if version == 4:
        if len(data) < 20:
            return False
        ihl = (data[0] & 0x0F) * 4
        total = struct.unpack(">H", data[2:4])[0]
        if struct.unpack(">H", data[6:8])[0] & 0x1FFF:
            return False  # non-first fragment
        proto = data[9]
        pkt.src, pkt.dst = _ip_text(data[12:16]), _ip_text(data[16:20])
        body = data[ihl:total] if total >= ihl else data[ihl:]
    elif version == 6:
        if len(data) < 40:
            return False
        plen = struct.unpack(">H", data[4:6])[0]
        proto = data[6]
        pkt.src, pkt.dst = _ip_text(data[8:24]), _ip_text(data[24:40])
        body = data[40:40 + plen]
        while proto in (0, 43, 60, 44) and len(body) >= 8:
            if proto == 44:  # fragment header: only first fragments
                if struct.unpack(">H", body[2:4])[0] & 0xFFF8:
                    return False
                proto, body = body[0], body[8:]
            else:
                proto, body = body[0], body[(body[1] + 1) * 8:]
    else:
        return False
    if proto == 6 and len(body) >= 20:
        pkt.proto = "tcp"
        pkt.sport, pkt.dport, pkt.seq = struct.unpack(">HHI", body[:8])
        off = (body[12] >> 4) * 4
        pkt.flags = body[13]
        pkt.payload = bytes(body[off:])
        return True
    if proto == 17 and len(body) >= 8:
        pkt.proto = "udp"
        pkt.sport, pkt.dport = struct.unpack(">HH", body[:4])
        pkt.flags, pkt.seq = 0, 0
        pkt.payload = bytes(body[8:])
        return True
    return False


def _link_payload(linktype, frame):
    if linktype == 1:  # Ethernet, any VLAN stack
        off, etype = 12, struct.unpack(">H", frame[12:14])[0]
        while etype in (0x8100, 0x88A8, 0x9100):
            off += 4
            etype = struct.unpack(">H", frame[off:off + 2])[0]
        return frame[off + 2:] if etype in (0x0800, 0x86DD) else None
    if linktype == 113:  # Linux SLL
        return frame[16:]
    if linktype == 276:  # Linux SLL2
        return frame[20:]
    if linktype in (101, 228, 229, 12, 14):  # raw IP
        return frame
    if linktype in (0, 108):  # BSD loopback
        return frame[4:]
    return None


def packets(path):
    """Yield Packet objects for the TCP/UDP packets of a classic pcap file."""
    with open(path, "rb") as f:
        head = f.read(24)
        if len(head) < 24:
            return
        magic = head[:4]
        if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
            endian = "<"
        elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
            endian = ">"
        else:
            raise ValueError("%s: not a classic pcap file" % path)
        nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
        linktype = struct.unpack(endian + "I", head[20:24])[0] & 0x0FFFFFFF
        frame_no = 0
        while True:
            rec = f.read(16)
            if len(rec) < 16:
                return
            sec, frac, caplen, _ = struct.unpack(endian + "IIII", rec)
            data = f.read(caplen)
            frame_no += 1
            ip = _link_payload(linktype, data)
            pkt = Packet()
            if ip is None or not _parse_ip(ip, pkt):
                continue
            pkt.frame = frame_no
            pkt.ts = sec + frac / (1e9 if nano else 1e6)
            yield pkt


class Stream:
    """One TCP connection: who is client/server and what each side sent."""

    def __init__(self, client, cport, server, sport, ts, handshake):
        self.client, self.cport = client, cport
        self.server, self.sport = server, sport
        self.first_ts = ts
        self.handshake = handshake        # SYN seen
        self.isn = {}                     # direction -> first sequence number
        self.chunks = {"c": {}, "s": {}}  # direction -> {offset: bytes}
        self.chunk_frames = {"c": {}, "s": {}}  # direction -> {offset: frame}
        self.first_frame = {"c": None, "s": None}

    def add(self, direction, pkt):
        if direction not in self.isn:
            self.isn[direction] = (pkt.seq + 1) & 0xFFFFFFFF if pkt.flags & TCP_SYN else pkt.seq
        if pkt.payload:
            off = (pkt.seq - self.isn[direction]) & 0xFFFFFFFF
            if off >= 0x80000000:
                return  # before our origin (mid-stream retransmission)
            if off not in self.chunks[direction]:
                self.chunks[direction][off] = pkt.payload
                self.chunk_frames[direction][off] = pkt.frame
            if self.first_frame[direction] is None:
                self.first_frame[direction] = pkt.frame

    def data(self, direction):
        out = bytearray()
        for off in sorted(self.chunks[direction]):
            chunk = self.chunks[direction][off]
            if off > len(out):
                break  # a hole: stop at the last contiguous byte
            out += chunk[len(out) - off:]
        return bytes(out)

    @property
    def client_bytes(self):
        return self.data("c")

    @property
    def server_bytes(self):
        return self.data("s")


def tcp_streams(path):
    """Return the TCP streams of PATH in order of their first packet.

    The client is the side that sent a SYN without ACK.  For a stream whose
    handshake was not captured, the destination of its first packet is
    taken as the server (a guess: callers that know better should check)."""
    streams, active = [], {}
    for pkt in packets(path):
        if pkt.proto != "tcp":
            continue
        key = (pkt.src, pkt.sport, pkt.dst, pkt.dport)
        rkey = (pkt.dst, pkt.dport, pkt.src, pkt.sport)
        syn_only = pkt.flags & TCP_SYN and not pkt.flags & TCP_ACK
        st = active.get(key) or active.get(rkey)
        if syn_only and (st is None or st.client != pkt.src or st.chunks["c"] or st.chunks["s"]):
            if st is not None and st.client == pkt.src and not st.chunks["c"] \
                    and not st.chunks["s"] and st.isn.get("c") == (pkt.seq + 1) & 0xFFFFFFFF:
                continue  # retransmitted SYN
            st = Stream(pkt.src, pkt.sport, pkt.dst, pkt.dport, pkt.ts, True)
            streams.append(st)
            active[key] = st
            active.pop(rkey, None)
        elif st is None:
            st = Stream(pkt.src, pkt.sport, pkt.dst, pkt.dport, pkt.ts, False)
            streams.append(st)
            active[key] = st
        direction = "c" if (pkt.src, pkt.sport) == (st.client, st.cport) else "s"
        st.add(direction, pkt)
    return streams


def udp_datagrams(path):
    """Return the UDP packets of PATH in capture order."""
    return [p for p in packets(path) if p.proto == "udp"]
