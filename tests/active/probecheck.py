#!/usr/bin/python3
"""probecheck.py: checks on a capture of svpassive's active probes (tcpdump
-w, Ethernet or Linux SLL), standard library only.

  probecheck.py count PCAP ADDR [PORT]
      IP packets sent TO ADDR (and PORT); prints the number
  probecheck.py count-all PCAP
      TCP and UDP packets in PCAP, whoever sent them
  probecheck.py count-syn PCAP PREFIX [PORT]
      connection attempts (SYN without ACK) to addresses starting with PREFIX
  probecheck.py gap PCAP ADDR PORT SECONDS
      "ok" if the second connection attempt to ADDR:PORT came at least
      SECONDS after the first
  probecheck.py compare DRYRUN PCAP
      every TCP connection / UDP datagram in PCAP that goes to an endpoint
      must carry, in order, the bytes the dry run listed for that endpoint
      (a prefix of its plan: probing stops at a match); nothing may go to an
      endpoint the dry run did not list
  probecheck.py concurrency PCAP PREFIX MAXPAR
      prints "PEAK HOSTPEAK": the most connections to PREFIX* open at once,
      overall and to one host (from SYN to the client's FIN/RST); fails if
      PEAK > MAXPAR or HOSTPEAK > 1
  probecheck.py syns-after PCAP PREFIX TIME
      connection attempts to PREFIX* later than TIME (seconds since the epoch)
  probecheck.py rate PCAP PREFIX RATE [--per-host] [--max-parallel N]
      probe starts (SYNs) to addresses starting with PREFIX: the mean rate
      over the run must be within 10% of RATE (overall, or for each host
      with --per-host), no two starts closer than 0.9/RATE, at most one
      connection per host at a time, at most N at once overall
Exit status 0 when the check holds; the figures go to stdout."""
import struct
import sys


def packets(path):
    """(ts, proto, src, sport, dst, dport, flags, seq, payload) per IPv4 or
    IPv6 packet; proto "tcp", "udp", or "ipN" for others (ports 0)."""
    data = open(path, "rb").read()
    magic = struct.unpack("<I", data[:4])[0]
    if magic in (0xA1B2C3D4, 0xA1B23C4D):
        end = "<"
    elif magic in (0xD4C3B2A1, 0x4D3CB2A1):
        end = ">"
    else:
        sys.exit("%s: not a pcap file (tcpdump -w writes pcap)" % path)
    nano = magic in (0xA1B23C4D, 0x4D3CB2A1)
    linktype = struct.unpack(end + "I", data[20:24])[0]
    off = 24
    while off + 16 <= len(data):
        sec, frac, caplen, _ = struct.unpack(end + "IIII", data[off:off + 16])
        frame = data[off + 16:off + 16 + caplen]
        off += 16 + caplen
        ts = sec + frac / (1e9 if nano else 1e6)
        if linktype == 1:          # Ethernet, VLAN tags skipped
            et, p = struct.unpack(">H", frame[12:14])[0], 14
            while et in (0x8100, 0x88A8):
                et, p = struct.unpack(">H", frame[p + 2:p + 4])[0], p + 4
        elif linktype == 113:      # Linux SLL
            et, p = struct.unpack(">H", frame[14:16])[0], 16
        elif linktype == 276:      # Linux SLL2
            et, p = struct.unpack(">H", frame[0:2])[0], 20
        else:
            sys.exit("%s: link type %d not handled" % (path, linktype))
        if et == 0x0800:
            ihl = (frame[p] & 15) * 4
            proto = frame[p + 9]
            src, dst = ip4(frame[p + 12:p + 16]), ip4(frame[p + 16:p + 20])
            total = struct.unpack(">H", frame[p + 2:p + 4])[0]
            l4, end4 = p + ihl, p + total
        elif et == 0x86DD:
            proto = frame[p + 6]
            src, dst = ip6(frame[p + 8:p + 24]), ip6(frame[p + 24:p + 40])
            plen = struct.unpack(">H", frame[p + 4:p + 6])[0]
            l4, end4 = p + 40, p + 40 + plen
        else:
            continue
        if proto == 6:
            sport, dport, seq = struct.unpack(">HHI", frame[l4:l4 + 8])
            doff = (frame[l4 + 12] >> 4) * 4
            flags = frame[l4 + 13]
            yield (ts, "tcp", src, sport, dst, dport, flags, seq, frame[l4 + doff:end4])
        elif proto == 17:
            sport, dport = struct.unpack(">HH", frame[l4:l4 + 4])
            yield (ts, "udp", src, sport, dst, dport, 0, 0, frame[l4 + 8:end4])
        else:
            yield (ts, "ip%d" % proto, src, 0, dst, 0, 0, 0, b"")


def ip4(b):
    return ".".join(str(x) for x in b)


def ip6(b):
    import ipaddress
    return str(ipaddress.IPv6Address(bytes(b)))


SYN, ACK, FIN, RST = 2, 16, 1, 4


def connections(path):
    """TCP connections opened by a SYN, in SYN order: dict with dst ("ip:port/tcp"),
    src, syn time, end time (last client packet) and the client's bytes in
    sequence order (retransmissions counted once); the end is the client's
    FIN or RST (later ACKs are the kernel's housekeeping). UDP: one entry per
    datagram from the side that sent first."""
    conns, by_key, udp_first = [], {}, {}
    for ts, proto, src, sport, dst, dport, flags, seq, payload in packets(path):
        if proto.startswith("ip"):
            continue
        if proto == "udp":
            key = frozenset([(src, sport), (dst, dport)])
            first = udp_first.setdefault(key, (src, sport))
            if (src, sport) == first:
                conns.append({"dst": "%s:%d/udp" % (dst, dport), "src": "%s:%d" % (src, sport),
                              "syn": ts, "end": ts, "data": bytes(payload)})
            continue
        if flags & SYN and not flags & ACK:
            c = {"dst": "%s:%d/tcp" % (dst, dport), "src": "%s:%d" % (src, sport), "syn": ts,
                 "end": ts, "isn": seq, "segs": {}}
            by_key[(src, sport, dst, dport)] = c
            conns.append(c)
            continue
        c = by_key.get((src, sport, dst, dport))
        if c is None:
            continue
        if not c.get("closed"):
            c["end"] = ts  # until the client's FIN or RST: it let go of the connection
            c["closed"] = bool(flags & (FIN | RST))
        if payload:
            c.setdefault("first_data", ts)
            c["segs"].setdefault((seq - c["isn"] - 1) & 0xFFFFFFFF, bytes(payload))
    for c in conns:
        if "segs" in c:
            data, at = b"", 0
            for rel in sorted(c["segs"]):
                seg = c["segs"][rel]
                if rel + len(seg) > at:
                    data += seg[at - rel:] if rel < at else seg
                    at = rel + len(seg)
            c["data"] = data
            del c["segs"]
            c.pop("closed", None)
    return conns


def dst_of(addr, port, proto):
    return "%s:%s/%s" % (addr, port, proto)


def parse_dryrun(path):
    """{ "ip:port/proto": [payload bytes, ...] } in plan order (the NULL probe,
    which sends nothing, is left out), and { "ip:port/proto": NULL probe wait
    in ms } for the endpoints whose plan starts with it."""
    plans, null_wait, cur, ep = {}, {}, None, None
    for line in open(path, encoding="utf-8"):
        if line.startswith("endpoint "):
            ep = line.split()[1]
            if ep.startswith("["):
                a, rest = ep[1:].split("]:", 1)
                ep = a + ":" + rest
            cur = plans.setdefault(ep, [])
        elif line.startswith("  probe 1 NULL ") and cur is not None:
            null_wait[ep] = int(line.split("; wait ")[1].split()[0])
        elif line.startswith("    hex ") and cur is not None:
            cur.append(bytes.fromhex(line.split()[1]))
        elif not line.startswith(" "):
            cur = None
    return plans, null_wait


def cmd_count(args):
    addr, port = args[1], int(args[2]) if len(args) > 2 else None
    n = sum(1 for p in packets(args[0]) if p[4] == addr and (port is None or p[5] == port))
    print(n)
    return 0


def cmd_count_all(args):
    print(sum(1 for p in packets(args[0]) if p[1] in ("tcp", "udp")))
    return 0


def syn_times(path, prefix, port=None):
    return [p[0] for p in packets(path)
            if p[1] == "tcp" and p[4].startswith(prefix) and (port is None or p[5] == port)
            and p[6] & SYN and not p[6] & ACK]


def cmd_count_syn(args):
    print(len(syn_times(args[0], args[1], int(args[2]) if len(args) > 2 else None)))
    return 0


def cmd_gap(args):
    t = syn_times(args[0], args[1], int(args[2]))
    gap = t[1] - t[0] if len(t) > 1 else -1
    print("ok" if gap >= float(args[3]) else "gap %.3f s" % gap)
    return 0


def cmd_compare(args):
    plans, null_wait = parse_dryrun(args[0])
    conns = connections(args[1])
    bad = 0
    sent = {}
    for c in conns:
        if c["dst"] not in sent and c["dst"] in null_wait and "first_data" in c:
            # the NULL probe's connection: its first bytes go out after the
            # NULL probe's wait, as the dry run said
            delay = (c["first_data"] - c["syn"]) * 1000
            want = null_wait[c["dst"]]
            ok = want - 50 <= delay <= want + 500
            print("%s %s: first payload %.0f ms after the connect (NULL probe waits %d ms)" %
                  ("ok" if ok else "WRONG WAIT", c["dst"], delay, want))
            bad += not ok
        sent.setdefault(c["dst"], []).append(c["data"])
    for dst, datas in sorted(sent.items()):
        if dst not in plans:
            # only replies' and other traffic's endpoints may be missing
            print("UNPLANNED: %d connection(s) to %s" % (len(datas), dst))
            bad += 1
            continue
        plan = plans[dst]
        payloads = [d for d in datas if d]
        ok = payloads == plan[:len(payloads)]
        for d in datas:
            if d and d not in plan:
                print("  %s: sent bytes not in the plan: %s" % (dst, d.hex()))
        print("%s %s: %d connection(s), %d probe payload(s) sent, %d planned%s" %
              ("ok" if ok else "MISMATCH", dst, len(datas), len(payloads), len(plan),
               "" if ok else " (sent %s)" % [d.hex()[:16] for d in payloads]))
        bad += not ok
    for dst in sorted(plans):
        if dst not in sent:
            print("note %s: planned, nothing sent" % dst)
    return 1 if bad else 0


def cmd_rate(args):
    path, prefix, rate = args[0], args[1], float(args[2])
    per_host = "--per-host" in args
    maxpar = int(args[args.index("--max-parallel") + 1]) if "--max-parallel" in args else 0
    conns = [c for c in connections(path) if c["dst"].startswith(prefix) and "isn" in c]
    if len(conns) < 10:
        print("only %d connections to %s*" % (len(conns), prefix))
        return 1
    groups = {}
    for c in conns:
        host = c["dst"].rsplit(":", 1)[0] if per_host else "all"
        groups.setdefault(host, []).append(c)
    bad = 0
    for host, cs in sorted(groups.items()):
        t = sorted(c["syn"] for c in cs)
        span = t[-1] - t[0]
        mean = (len(t) - 1) / span if span > 0 else float("inf")
        gap = min(b - a for a, b in zip(t, t[1:])) if len(t) > 1 else 0
        win = max(sum(1 for x in t if s <= x < s + 1.0) for s in t)
        ok = abs(mean - rate) <= 0.1 * rate and gap >= 0.9 / rate
        print("%s %s: %d probe starts in %.3f s: %.2f/s (limit %g), closest %.1f ms apart, "
              "at most %d in any second" % ("ok" if ok else "OUT OF BOUNDS", host, len(t),
                                            span, mean, rate, gap * 1000, win))
        bad += not ok
    peak, host_peak = concurrency(conns)
    print("connections at once: at most %d overall, %d to one host" % (peak, host_peak))
    if host_peak > 1 or (maxpar and peak > maxpar):
        bad += 1
    return 1 if bad else 0


def concurrency(conns):
    """Most connections open at once, overall and to one host."""
    events = []
    for c in conns:
        host = c["dst"].rsplit(":", 1)[0]
        events.append((c["syn"], 1, host))
        events.append((c["end"], -1, host))
    events.sort(key=lambda e: (e[0], e[1]))
    now, peak, per, host_peak = 0, 0, {}, 0
    for _, d, h in events:
        now += d
        per[h] = per.get(h, 0) + d
        peak = max(peak, now)
        host_peak = max(host_peak, per[h])
    return peak, host_peak


def cmd_concurrency(args):
    conns = [c for c in connections(args[0]) if c["dst"].startswith(args[1]) and "isn" in c]
    peak, host_peak = concurrency(conns)
    maxpar = int(args[2])
    print("%d %d" % (peak, host_peak))
    return 0 if peak <= maxpar and host_peak <= 1 else 1


def cmd_syns_after(args):
    t = float(args[2])
    print(sum(1 for p in packets(args[0]) if p[1] == "tcp" and p[4].startswith(args[1]) and
              p[6] & SYN and not p[6] & ACK and p[0] > t))
    return 0


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    cmd = {"count": cmd_count, "count-all": cmd_count_all, "count-syn": cmd_count_syn,
           "compare": cmd_compare, "concurrency": cmd_concurrency, "syns-after": cmd_syns_after,
           "gap": cmd_gap,
           "rate": cmd_rate}.get(sys.argv[1])
    if not cmd:
        sys.exit(__doc__)
    sys.exit(cmd(sys.argv[2:]))


if __name__ == "__main__":
    main()
