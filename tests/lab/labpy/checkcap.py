#!/usr/bin/python3
"""Check that a run-lab.sh capture holds what its mode promises.

usage: checkcap.py MODE LABDIR

For every server whose client succeeded (servers.tsv): the capture holds a
TCP stream (or UDP exchange) with that server in which the server sent bytes.
normal, ipv6: the TCP streams start with a captured handshake; ipv6: every
packet to or from the servers is IPv6.  midstream: no stream to a session
server starts with a handshake (the sessions were opened before the capture)
and each still carries server bytes.  Also: nmap.xml lists every started
server's port.  Prints one line per server; exit 0 when all hold.
"""
import os
import sys
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapflows  # noqa: E402


def main(argv):
    if len(argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    mode, labdir = argv[1], argv[2]
    pcap = os.path.join(labdir, "capture.pcap")
    streams = pcapflows.tcp_streams(pcap)
    grams = pcapflows.udp_datagrams(pcap)
    scanned = set()
    for port in ET.parse(os.path.join(labdir, "nmap.xml")).getroot().iter("port"):
        scanned.add((port.get("protocol"), int(port.get("portid"))))
    bad = 0
    with open(os.path.join(labdir, "servers.tsv"), encoding="utf-8") as f:
        next(f)
        for line in f:
            name, addr, port, proto, _pkgs, client = line.rstrip("\n").split("\t")
            port = int(port)
            problems = []
            if (proto, port) not in scanned:
                problems.append("port not in nmap.xml")
            if client == "ok":
                if proto == "tcp":
                    # Without a handshake the reader only guesses the server
                    # side: take the stream from whichever end is ADDR:PORT.
                    mine = [s for s in streams if (s.server, s.sport) == (addr, port)
                            or (s.client, s.cport) == (addr, port)]
                    talk = [s for s in mine if (s.server_bytes if s.server == addr
                                                and s.sport == port else s.client_bytes)]
                    if not talk:
                        problems.append("no TCP stream with server bytes")
                    if mode == "midstream" and any(s.handshake for s in mine):
                        problems.append("a handshake was captured in midstream mode")
                    if mode != "midstream" and mine and not all(s.handshake for s in mine):
                        problems.append("a stream without handshake in %s mode" % mode)
                    detail = "%d streams, %d with server bytes" % (len(mine), len(talk))
                else:
                    replies = [g for g in grams if g.src == addr and g.sport == port and g.payload]
                    if not replies:
                        problems.append("no UDP reply")
                    detail = "%d UDP replies" % len(replies)
                if mode == "ipv6" and ":" not in addr:
                    problems.append("not an IPv6 address")
            else:
                detail = "client %s: not checked" % client
            print("%-22s %s/%-6d %s%s" % (name, proto, port, detail,
                                          "" if not problems else "  PROBLEM: " + "; ".join(problems)))
            bad += bool(problems)
    if mode == "ipv6":
        v4 = [p for p in pcapflows.packets(pcap) if ":" not in p.src]
        if v4:
            print("PROBLEM: %d IPv4 packets in the IPv6 capture" % len(v4))
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
