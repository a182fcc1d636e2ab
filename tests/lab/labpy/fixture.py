#!/usr/bin/python3
"""Cut one rule-engine fixture out of a capture of nmap's own -sV session.

usage: fixture.py TRACE PCAP ADDR PORT PROTO OUTDIR

TRACE is `nmap -sV --version-trace` output for ADDR:PORT, PCAP the capture of
that scan.  The probe that produced nmap's final match is read from the trace
("Service scan match (Probe X matched with Y line N)", or the last soft match
when there was no hard one).  Whether a match is hard or soft is read from
line N of nmap-service-probes itself: the trace prints a softmatch that ends
the scan as "Service scan match" too (PostgreSQL's SMBProgNeg line); its payload, unescaped from nmap-service-probes,
finds the connection (TCP) or datagram (UDP) nmap sent it on; the server's
bytes there are exactly what nmap matched (the banner first, when the NULL
probe got data and this probe went on the same connection).

Writes OUTDIR/probe, OUTDIR/proto, OUTDIR/response.bin, OUTDIR/match
("hard|soft RULEPROBE LINE SERVICE") and prints a summary for SOURCE.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nmapprobes  # noqa: E402
import pcapflows  # noqa: E402

# "... is ftp.  Version: |vsftpd|3.0.3||" (hard) or "... is telnet" (soft, no
# version fields).
MATCH_RE = re.compile(r"Service scan (soft )?match \(Probe (\S+) matched with (\S+) line (\d+)\): "
                      r"(\S+):(\d+) is (\S+?)\.?(?:\s+Version:.*)?$")


def final_match(trace, addr, port):
    hard, soft = None, None
    with open(trace, encoding="latin-1") as f:
        for line in f:
            m = MATCH_RE.search(line.rstrip())
            if not m or m.group(5).strip("[]") != addr or int(m.group(6)) != port:
                continue
            lineno = int(m.group(4))
            kind = nmapprobes.line_kind(lineno)
            if kind is None:
                raise ValueError("%s: line %d of %s is not a match or softmatch line"
                                 % (trace, lineno, nmapprobes.DEFAULT_FILE))
            if m.group(1) and kind == "hard":
                raise ValueError("%s: nmap calls line %d a soft match, the rules file a match"
                                 % (trace, lineno))
            rec = (kind, m.group(2), m.group(3), lineno, m.group(7))
            if kind == "hard":
                hard = rec
            else:
                soft = rec
    return hard or soft


def tcp_response(pcap, addr, port, payload):
    """Server bytes of the connection that carried PAYLOAD (NULL: b"")."""
    for st in pcapflows.tcp_streams(pcap):
        if st.server != addr or st.sport != port:
            continue
        server = st.server_bytes
        if payload == b"":
            if server:
                return server, 0
        elif st.client_bytes == payload:
            banner = 0
            first_c = st.first_frame["c"]
            for off in sorted(st.chunks["s"]):
                # server segments seen before the probe was sent
                if st.chunk_frames["s"][off] < first_c:
                    banner = off + len(st.chunks["s"][off])
            return server, banner
    return None, 0


def udp_response(pcap, addr, port, payload):
    grams = pcapflows.udp_datagrams(pcap)
    for i, p in enumerate(grams):
        if p.dst == addr and p.dport == port and p.payload == payload:
            out = bytearray()
            for q in grams[i + 1:]:
                if q.src == addr and q.sport == port and q.dport == p.sport:
                    out += q.payload
                elif q.dst == addr and q.dport == port and q.sport == p.sport:
                    break
            if out:
                return bytes(out), 0
    return None, 0


def main(argv):
    if len(argv) != 7:
        sys.stderr.write(__doc__)
        return 2
    trace, pcap, addr, port, proto, outdir = argv[1:]
    port = int(port)
    m = final_match(trace, addr, port)
    if m is None:
        sys.stderr.write("fixture.py: nmap did not match %s:%d\n" % (addr, port))
        return 1
    kind, probe_name, rule_probe, line, service = m
    probes = nmapprobes.load()
    probe = probes.get((proto, probe_name))
    if probe is None:
        sys.stderr.write("fixture.py: no %s probe %s\n" % (proto, probe_name))
        return 1
    find = tcp_response if proto == "tcp" else udp_response
    data, banner = find(pcap, addr, port, probe.payload)
    if data is None:
        sys.stderr.write("fixture.py: probe %s not found in %s\n" % (probe_name, pcap))
        return 1
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "probe"), "w") as f:
        f.write(probe_name + "\n")
    with open(os.path.join(outdir, "proto"), "w") as f:
        f.write(proto + "\n")
    with open(os.path.join(outdir, "response.bin"), "wb") as f:
        f.write(data)
    with open(os.path.join(outdir, "match"), "w") as f:
        f.write("%s %s %d %s\n" % (kind, rule_probe, line, service))
    print("nmap %smatch: probe %s, rule %s line %d, service %s" %
          ("soft" if kind == "soft" else "", probe_name, rule_probe, line, service))
    print("response.bin: %d bytes from nmap's own connection%s" %
          (len(data), "" if not banner else
           " (first %d bytes: the banner the NULL probe got on the same connection)" % banner))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
