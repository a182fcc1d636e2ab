#!/usr/bin/python3
"""check_flows.py: compare `svpassive --flows` with what the clients recorded.

Usage: check_flows.py SVPASSIVE CASE PCAP RECORDS.jsonl [OPS.json]
CASE says what the capture is and what must hold for every recorded
connection (client.py's records):
  normal        the flow exists with this client and server, the SYN told the
                server side, the first bytes and byte counts of each side are
                what the client sent and received, srv-first as recorded,
                no holes
  sll2          as normal; the file's link type must be LINUX_SLL2 (276)
  qinq          as normal; vlan= is the outer tag (OPS.json)
  reordered     as normal (segments swapped by OPS.json come out in order)
  banner-first  as normal, and the IPv4 flows whose banner was moved were
                handed from libnids to the lite reassembler
  holes         as normal except the flows with a dropped segment: one hole
                in that direction, at the dropped offset, the bytes kept are
                the recorded ones without the dropped part
  midstream     the flow is flagged midstream, its server side is the real
                server (told by port or payload), first bytes and counts are
                those of the part exchanged after the capture started
The capture must hold no other TCP flows than the recorded ones.
Standard library only."""
import json
import re
import struct
import subprocess
import sys

SHOW = 48
LINE = re.compile(
    r'^(tcp|udp) (\S+) > (\S+) vlan=(\d+) server=(\w+)/(\w+) reasm=(\w+) '
    r'c2s=(\d+)B/(\d+)p s2c=(\d+)B/(\d+)p gaps=(\d+)/(\d+)(?:@(\d+))? flags=(\S+) '
    r'frame=(\d+):(\d+) c2s="((?:[^"\\]|\\.)*)" s2c="((?:[^"\\]|\\.)*)"$')


def esc(b):
    """The escaping of svpassive --flows (cmd_flows.c)."""
    out = []
    for c in b[:SHOW]:
        if c == 13:
            out.append("\\r")
        elif c == 10:
            out.append("\\n")
        elif c == 9:
            out.append("\\t")
        elif c == 34:
            out.append('\\"')
        elif c == 92:
            out.append("\\\\")
        elif 0x20 <= c < 0x7F:
            out.append(chr(c))
        else:
            out.append("\\x%02x" % c)
    if len(b) > SHOW:
        out.append("...")
    return "".join(out)


def flows(svp, pcap):
    r = subprocess.run([svp, "--flows", "-q", "-r", pcap], capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit("svpassive failed (%d): %s" % (r.returncode, r.stderr))
    out = {}
    for line in r.stdout.splitlines():
        m = LINE.match(line)
        if not m:
            raise SystemExit("unparsable --flows line: " + line)
        g = m.groups()
        f = {"l4": g[0], "client": g[1], "server": g[2], "vlan": int(g[3]),
             "basis": g[4], "conf": g[5], "reasm": g[6],
             "c2s_bytes": int(g[7]), "s2c_bytes": int(g[9]),
             "gaps": (int(g[11]), int(g[12])), "gap_at": g[13],
             "flags": set(g[14].split(",")), "c2s": g[17], "s2c": g[18]}
        if f["l4"] == "tcp":
            out[f["client"]] = f
    return out


def linktype(pcap):
    with open(pcap, "rb") as fh:
        return struct.unpack("<I", fh.read(24)[20:24])[0]


class Checker:
    def __init__(self, case):
        self.case = case
        self.fails = 0
        self.checks = 0

    def expect(self, cond, what):
        self.checks += 1
        if not cond:
            self.fails += 1
            print("FAIL %s: %s" % (self.case, what))


def main(argv):
    svp, case, pcap, recfile = argv[1:5]
    ops = json.load(open(argv[5])) if len(argv) > 5 else []
    recs = [json.loads(l) for l in open(recfile)]
    got = flows(svp, pcap)
    ck = Checker(case)
    dropped = {(o["client"], o["dir"]): o for o in ops if o["op"] == "drop"}
    moved = {o["client"] for o in ops if o["op"] == "banner-first"}
    vlan = next((o["outer"] for o in ops if o["op"] == "qinq"), 0)
    if case == "sll2":
        ck.expect(linktype(pcap) == 276, "link type %d, not LINUX_SLL2" % linktype(pcap))
    ck.expect(len(got) == len(recs), "%d TCP flows, %d recorded connections: %s" %
              (len(got), len(recs), sorted(got)))
    for r in recs:
        name = "%s %s > %s" % (r["kind"], r["client"], r["server"])
        f = got.get(r["client"])
        if not f:
            ck.expect(False, "%s: no flow" % name)
            continue
        sent, recv = bytes.fromhex(r["sent"]), bytes.fromhex(r["recv"])
        ck.expect(f["server"] == r["server"], "%s: server side %s" % (name, f["server"]))
        if case == "midstream":
            ck.expect("midstream" in f["flags"], "%s: not flagged midstream" % name)
            ck.expect(f["basis"] in ("port", "payload") and f["conf"] != "low",
                      "%s: server side told by %s/%s" % (name, f["basis"], f["conf"]))
        else:
            ck.expect(f["basis"] == "syn" and f["conf"] == "high",
                      "%s: server side told by %s/%s" % (name, f["basis"], f["conf"]))
        ck.expect(f["vlan"] == vlan, "%s: vlan %d, expected %d" % (name, f["vlan"], vlan))
        want = {"c2s": sent, "s2c": recv}
        gaps = [0, 0]
        for k, d in enumerate(("c2s", "s2c")):
            drop = dropped.get((r["client"], d))
            if drop:
                b = want[d]
                want[d] = b[:drop["offset"]] + b[drop["offset"] + drop["len"]:]
                gaps[k] = 1
                if d == "s2c":
                    ck.expect(f["gap_at"] == str(drop["offset"]),
                              "%s: hole at %s, dropped at %d" % (name, f["gap_at"], drop["offset"]))
            ck.expect(f[d] == esc(want[d]), "%s: %s bytes\n  got  %s\n  want %s" %
                      (name, d, f[d], esc(want[d])))
            ck.expect(f[d + "_bytes"] == len(want[d]), "%s: %s %d bytes, want %d" %
                      (name, d, f[d + "_bytes"], len(want[d])))
        ck.expect(list(f["gaps"]) == gaps, "%s: gaps %s, want %s" % (name, f["gaps"], gaps))
        ck.expect(("srv-first" in f["flags"]) == r["server_first"],
                  "%s: srv-first %s, recorded %s" % (name, "srv-first" in f["flags"],
                                                     r["server_first"]))
        if r["client"] in moved and not r["client"].startswith("["):
            # libnids drops such an IPv4 stream: it must have been handed over
            ck.expect("handoff" in f["flags"] and f["reasm"] == "lite",
                      "%s: banner before the ACK, but no hand-off (%s)" % (name, f["flags"]))
    print("%s: %d connections, %d checks, %d failed" % (case, len(recs), ck.checks, ck.fails))
    return 1 if ck.fails else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
