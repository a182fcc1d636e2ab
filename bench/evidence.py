#!/usr/bin/env python3
"""evidence.py: how many server endpoints svpassive names by evidence, against
tshark's dissectors (the oracle) and ndpiReader (a peer), capture by capture.

A port-table guess is never an identification here: an endpoint counts as
named by evidence only when svpassive's JSON says match "hard" or "soft" with
a method other than "table".

Three reports, all from the same command (so that "before" and "after"
figures are comparable):

1. Oracle endpoints (--captures, one `svpassive -r FILE -oJ -` per capture).
   tshark dissects every capture; for the protocols in PROTOCOLS below, every
   server endpoint its dissectors show is listed, with how the server side was
   known (TCP handshake, a response or request by the protocol's own header,
   an unsolicited announcement, or only the port) and compared with
   svpassive's inventory of that capture:
     evidence     named by evidence with a service that fits the protocol
     wrong        named by evidence with a service that does not fit
                  (a "hard" one is a false hard identification)
     table        only a port-table guess that fits the protocol
     table-wrong  a port-table guess that does not fit (or no name at all)
     missing      not in the inventory at all
   Also listed: svpassive endpoints that an OT rule names by evidence where
   tshark saw no such protocol on that endpoint (false OT claims).
2. One run over every capture of the first --captures folder
   (`svpassive -r F1 -r F2 ... -oJ -`, files in sorted order): endpoints by
   method, port-table guesses, per service.
3. Side by side with ndpiReader (Debian libndpi-bin, `ndpiReader -i FILE`),
   endpoint by endpoint per capture group: the endpoints either tool reports
   as a server, and which of them each names from traffic (ndpiReader:
   confidence "DPI..." and a label other than Unknown; svpassive: evidence).
   The server side of an ndpiReader flow is the side svpassive or the oracle
   calls the server, else the flow's responder as ndpiReader prints it.

Capture groups: the first folder level below a --captures root (the source
of a third-party capture), or the file itself in a flat folder (the lab's
mid-stream capture is a group of its own).

tshark and ndpiReader outputs are cached by file content (--cache); svpassive
always runs. Needs tshark; ndpiReader is optional (--no-ndpi, or missing:
report 3 is skipped and says so). Python 3 standard library only.

Usage:
  bench/evidence.py [--svpassive BIN] [--captures DIR ...] [--out DIR]
                    [--jobs N] [--cache DIR] [--no-ndpi] [--list N]
Defaults: build/svpassive, tests/pcaps/third-party + tests/ot/captures +
tests/regress/captures, out bench/work/evidence. Writes report.txt (what is
printed), oracle.tsv, onerun.tsv, ndpi.tsv into --out.
"""
import argparse
import collections
import concurrent.futures
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(HERE)

# ------------------------------------------------------------------ oracle

# protocol -> (kind, well-known ports, regex of service names that fit)
PROTOCOLS = {
    "modbus":      ("ot", {502}, r"modbus|mbap"),
    "enip":        ("ot", {44818, 2222}, r"enip|ethernetip.*"),
    "s7comm":      ("ot", {102}, r"iso-tsap|s7comm.*"),
    "s7comm-plus": ("ot", {102}, r"iso-tsap|s7comm.*"),
    "cotp":        ("ot", {102}, r"iso-tsap|s7comm.*"),
    "dnp3":        ("ot", {20000}, r"dnp3?"),
    "iec104":      ("ot", {2404}, r"iec-104"),
    "bacnet":      ("ot", {47808, 47809}, r"bacnet"),
    "fins":        ("ot", {9600}, r"fins"),
    "opcua":       ("ot", {4840}, r"opc-?ua.*"),
    "mqtt":        ("ot", {1883, 8883}, r"mqtt|ibm-mqisdp|secure-mqtt"),
    "profinet":    ("ot", {34964}, r"profinet.*"),
    # services carried over HTTP (exporters, WS-Management, IPP, proxies) fit too
    "http":        ("it", {80, 8080, 8000, 8008, 8888},
                    r".*http.*|prometheus|wsman|ipp|upnp|socks[45]?|privoxy|squid"),
    # TLS after STARTTLS or inside another protocol: any name of what it carries fits
    "tls":         ("it", {443}, r".+"),
    "rdp":         ("it", {3389}, r"ms-wbt-server|rdp"),
    "smb":         ("it", {445, 139}, r"microsoft-ds|netbios-ssn|smb.*"),
    "tftp":        ("it", {69}, r"tftp"),
}
# When one endpoint shows several, the more specific wins.
PRECEDENCE = ["s7comm", "s7comm-plus", "cotp", "enip", "modbus", "dnp3", "iec104",
              "bacnet", "fins", "opcua", "mqtt", "profinet", "rdp", "smb", "tls", "http", "tftp"]
# tshark's dissector for a service on a port it does not know (decode-as)
DECODE_AS = {"opc-ua-tcp": ("tcp", "opcua"), "modbus": ("tcp", "mbtcp"), "mqtt": ("tcp", "mqtt"),
             "enip": (None, "enip"), "iec-104": ("tcp", "iec60870_104"), "dnp3": (None, "dnp3"),
             "bacnet": ("udp", "bvlc"), "fins": (None, "omron"), "iso-tsap": ("tcp", "tpkt")}
# services OT rules give (false-claim check)
OT_SERVICES = {
    "modbus": "modbus", "enip": "enip", "iso-tsap": "s7comm|s7comm-plus|cotp",
    "dnp3": "dnp3", "iec-104": "iec104", "bacnet": "bacnet", "fins": "fins",
    "opc-ua-tcp": "opcua", "mqtt": "mqtt",
}

FIELDS = [
    "frame.number", "frame.protocols", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst",
    "tcp.srcport", "tcp.dstport", "udp.srcport", "udp.dstport",
    "tcp.flags.syn", "tcp.flags.ack",
    "modbus.request_frame", "enip.response_to", "enip.response_in", "enip.lir.name",
    "s7comm.header.rosctr", "s7comm.param.userdata.type", "cotp.type", "data.data",
    "dnp3.ctl.dir", "iec60870_104.utype", "iec60870_asdu.causetx",
    "bacapp.type", "bacapp.unconfirmed_service", "bvlc.function",
    "omron.icf.dtb", "omron.tcp.command", "opcua.transport.type", "_ws.col.Info",
    "mqtt.msgtype", "dcerpc.pkt_type", "http.request", "http.response",
    "tls.handshake.type", "smb2.flags.response", "smb.flags.response", "tftp.opcode",
]
FI = {n: i for i, n in enumerate(FIELDS)}
CACHE_VERSION = "1"


def tshark_cmd(path):
    cmd = ["tshark", "-n", "-r", path, "-T", "fields", "-E", "separator=\t",
           "-E", "occurrence=a", "-E", "aggregator=|"]
    for f in FIELDS:
        cmd += ["-e", f]
    return cmd


def file_key(path, what):
    h = hashlib.sha1()
    h.update((what + CACHE_VERSION).encode())
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def cached_run(cache, path, what, cmd):
    """stdout of cmd, cached by the content of path (None: cmd failed)."""
    key = file_key(path, what + " ".join(x for x in cmd if x != path))
    cp = os.path.join(cache, what, key[:2], key) if cache else None
    if cp and os.path.exists(cp):
        with open(cp, encoding="utf-8", errors="replace") as fh:
            return fh.read()
    try:
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                           timeout=600)
    except (OSError, subprocess.TimeoutExpired):
        return None
    out = r.stdout.decode("utf-8", errors="replace")
    if cp:
        os.makedirs(os.path.dirname(cp), exist_ok=True)
        tmp = cp + ".%d" % os.getpid()
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(out)
        os.replace(tmp, cp)
    return out


def is_broadcast(ip):
    if ":" in ip:
        return ip.lower().startswith("ff")
    if ip == "255.255.255.255" or ip.endswith(".255") or ip == "0.0.0.0":
        return True
    first = int(ip.split(".")[0])
    return 224 <= first <= 239


def vals(row, name):
    v = row[FI[name]] if FI[name] < len(row) else ""
    return [x for x in v.split("|") if x != ""] if v else []


def first(row, name):
    v = vals(row, name)
    return v[0] if v else ""


def ints(row, name):
    out = []
    for x in vals(row, name):
        try:
            out.append(int(x, 0))
        except ValueError:
            if x in ("True", "False"):
                out.append(1 if x == "True" else 0)
    return out


def frame_protocol(protos, row, sport, dport):
    """The oracle protocol this frame shows, or None."""
    p = set(protos)
    if "rdp" in p:
        return "rdp"             # RDP starts with X.224 (COTP) too
    if "s7comm" in p:
        return "s7comm"
    if "cotp" in p:
        d = first(row, "data.data")
        if d.startswith("72"):
            return "s7comm-plus"
        return "cotp" if 102 in (sport, dport) else None
    if "enip" in p or "cip" in p:
        return "enip"
    if "mbtcp" in p or "modbus" in p:
        return "modbus"
    if "dnp3" in p:
        return "dnp3"
    if "iec60870_104" in p:
        return "iec104"
    if "bvlc" in p or "bacnet" in p or "bacapp" in p:
        return "bacnet"
    if "omron" in p:
        return "fins"
    if "opcua" in p:
        return "opcua"
    if "mqtt" in p:
        return "mqtt"
    if "pn_io" in p:
        return "profinet"
    if "smb2" in p or "smb" in p:
        return "smb"
    if "tls" in p:
        return "tls"
    if "tftp" in p:
        return "tftp"
    if "http" in p and "tcp" in p:
        return "http"
    return None


# Roles a frame gives its sender: "S" the sender is the server (it answers),
# "R" the receiver is the server (it was asked), "A" the sender announces
# itself (I-Am, ListIdentity reply, COV notification), "P" the sender is a
# peer of the protocol that asked everyone (Who-Is).
def frame_roles(proto, row, sport, dport):
    r = []
    if proto == "modbus":
        if vals(row, "modbus.request_frame"):
            r.append("S")
        elif dport == 502:
            r.append("R")
        elif sport == 502:
            r.append("S")
    elif proto == "enip":
        info = first(row, "_ws.col.Info")
        if vals(row, "enip.response_to") or "(Rsp)" in info:
            r.append("S")
        elif vals(row, "enip.response_in") or "(Req)" in info:
            r.append("R")
        if vals(row, "enip.lir.name"):
            r.append("A")
    elif proto == "s7comm":
        ros = ints(row, "s7comm.header.rosctr")
        ut = ints(row, "s7comm.param.userdata.type")
        if any(x in (2, 3) for x in ros) or 8 in ut:
            r.append("S")
        elif 1 in ros or 4 in ut:
            r.append("R")
    elif proto in ("cotp", "s7comm-plus"):
        ct = ints(row, "cotp.type")
        if 0x0d in ct:
            r.append("S")
        elif 0x0e in ct:
            r.append("R")
        d = first(row, "data.data")
        if proto == "s7comm-plus" and len(d) >= 10:
            op = d[8:10]
            if op == "32":
                r.append("S")
            elif op == "31":
                r.append("R")
    elif proto == "dnp3":
        dirs = ints(row, "dnp3.ctl.dir")
        if dirs:
            r.append("R" if dirs[0] else "S")
    elif proto == "iec104":
        ut = ints(row, "iec60870_104.utype")
        if 0x01 in ut or 0x04 in ut:
            r.append("R")
        elif 0x02 in ut or 0x08 in ut:
            r.append("S")
        cot = [c & 0x3f for c in ints(row, "iec60870_asdu.causetx")]
        if any(c in (1, 2, 3, 5, 7, 9, 10, 11, 12) or 20 <= c <= 41 for c in cot):
            r.append("S")
        elif any(c in (6, 8) for c in cot):
            r.append("R")
    elif proto == "bacnet":
        fn = ints(row, "bvlc.function")
        if 0 in fn or 3 in fn or 7 in fn:
            r.append("S")          # BVLC-Result, Read-BDT-Ack, Read-FDT-Ack
        elif 5 in fn or 2 in fn or 6 in fn:
            r.append("R")          # Register-Foreign-Device, Read-BDT, Read-FDT
        if 4 in fn:
            r.append("A")          # Forwarded-NPDU: the sender is a BBMD
            return r               # the APDU inside is another device's
        ty = ints(row, "bacapp.type")
        if any(t in (2, 3, 5, 6) for t in ty):
            r.append("S")
        elif 0 in ty:
            r.append("R")
        elif 1 in ty:
            us = ints(row, "bacapp.unconfirmed_service")
            r.append("A" if any(s in (0, 1, 2, 3) for s in us) else "P")
    elif proto == "fins":
        dtb = ints(row, "omron.icf.dtb")
        cmd = ints(row, "omron.tcp.command")
        if dtb:
            r.append("S" if dtb[0] else "R")
        elif cmd:
            r.append("S" if cmd[0] == 1 else "R" if cmd[0] == 0 else "")
    elif proto == "opcua":
        tt = vals(row, "opcua.transport.type")
        info = first(row, "_ws.col.Info")
        if any(t in ("ACK", "ERR", "RHE") for t in tt):
            r.append("S")
        elif "HEL" in tt:
            r.append("R")
        elif "Response" in info or "ServiceFault" in info:
            r.append("S")
        elif "Request" in info:
            r.append("R")
    elif proto == "mqtt":
        mt = ints(row, "mqtt.msgtype")
        if any(m in (2, 9, 11, 13) for m in mt):
            r.append("S")
        elif any(m in (1, 8, 10, 12) for m in mt):
            r.append("R")
    elif proto == "profinet":
        pt = ints(row, "dcerpc.pkt_type")
        if 2 in pt:
            r.append("S")
        elif 0 in pt:
            r.append("R")
    elif proto == "http":
        if vals(row, "http.response"):
            r.append("S")
        elif vals(row, "http.request"):
            r.append("R")
    elif proto == "tls":
        ht = ints(row, "tls.handshake.type")
        if 2 in ht:
            r.append("S")
        elif 1 in ht:
            r.append("R")
    elif proto == "smb":
        fl = ints(row, "smb2.flags.response") + ints(row, "smb.flags.response")
        if fl:
            r.append("S" if fl[0] else "R")
    elif proto == "tftp":
        if any(o in (1, 2) for o in ints(row, "tftp.opcode")):
            r.append("R")
    return [x for x in r if x]


# tftp transfers run between two fresh ports: only its requests say anything.
NO_PORT_FALLBACK = {"tftp"}


def oracle_endpoints(tshark_out):
    """{(ip, port, l4): (protocol, role)} from tshark's field dump."""
    convs = {}   # (l4, sideA, sideB) sorted -> state

    def conv(l4, a, b):
        key = (l4,) + tuple(sorted([a, b]))
        c = convs.get(key)
        if c is None:
            c = convs[key] = {"hs": None, "synack": False, "protos": collections.Counter(),
                              "sent": collections.Counter(),
                              "votes": collections.defaultdict(collections.Counter)}
        return c

    for line in tshark_out.splitlines():
        row = line.split("\t")
        if len(row) < 10:
            continue
        protos = first(row, "frame.protocols").split(":")
        if "icmp" in protos or "icmpv6" in protos:
            continue
        src = (vals(row, "ip.src") or vals(row, "ipv6.src") or [""])[-1]
        dst = (vals(row, "ip.dst") or vals(row, "ipv6.dst") or [""])[-1]
        if not src or not dst:
            continue
        if vals(row, "tcp.srcport"):
            l4 = "tcp"
            sport, dport = ints(row, "tcp.srcport")[-1], ints(row, "tcp.dstport")[-1]
        elif vals(row, "udp.srcport"):
            l4 = "udp"
            sport, dport = ints(row, "udp.srcport")[-1], ints(row, "udp.dstport")[-1]
        else:
            continue
        a, b = (src, sport), (dst, dport)
        c = conv(l4, a, b)
        if l4 == "tcp":
            syn, ack = ints(row, "tcp.flags.syn"), ints(row, "tcp.flags.ack")
            if syn and syn[-1]:
                synack = bool(ack and ack[-1])
                c["hs"] = a if synack else b
                c["synack"] = c["synack"] or synack
        proto = frame_protocol(protos, row, sport, dport)
        if not proto:
            continue
        c["protos"][proto] += 1
        c["sent"][a] += 1
        for role in frame_roles(proto, row, sport, dport):
            if role == "R":
                c["votes"][a]["C"] += 1      # the sender asked: a client here
                if not is_broadcast(dst):
                    c["votes"][b]["Q"] += 1
            else:
                c["votes"][a][role] += 1

    eps = {}
    conflicts = []

    def put(side, l4, proto, role):
        k = (side[0], side[1], l4)
        old = eps.get(k)
        if old is None or PRECEDENCE.index(proto) < PRECEDENCE.index(old[0]):
            eps[k] = (proto, role)

    for (l4, x, y), c in convs.items():
        if not c["protos"]:
            continue
        proto = min(c["protos"], key=PRECEDENCE.index)
        votes = c["votes"]
        if l4 == "tcp" and c["hs"] and (c["synack"] or c["sent"][c["hs"]]):
            other = y if c["hs"] == x else x
            if not c["sent"][c["hs"]] and votes[other]["S"] and not votes[c["hs"]]["S"]:
                conflicts.append((x, y, proto))
                continue         # the accepting side said nothing, the other answered
            put(c["hs"], l4, proto, "handshake")
            continue
        # asked and answered something (a request nobody answers proves nothing)
        servers = [s for s in (x, y) if votes[s]["S"] or (votes[s]["Q"] and c["sent"][s])]
        if l4 == "tcp" and len(servers) == 2:
            servers = [max((x, y), key=lambda s: votes[s]["S"] + votes[s]["Q"])]
        if servers:
            for s in servers:
                put(s, l4, proto, "response")
            continue
        ann = [s for s in (x, y) if votes[s]["A"]]
        if ann:
            for s in ann:
                put(s, l4, proto, "announce")
            continue
        peers = [s for s in (x, y) if votes[s]["P"] and not is_broadcast(s[0])]
        if peers:
            for s in peers:
                put(s, l4, proto, "peer")
            continue
        if proto in NO_PORT_FALLBACK or any(votes[s]["Q"] for s in (x, y)):
            continue             # asked, never answered: no server to name
        wk = PROTOCOLS[proto][1]
        ok = lambda s: not is_broadcast(s[0]) and c["sent"][s] and not votes[s]["C"]
        cand = [s for s in (x, y) if s[1] in wk and ok(s)]
        if not cand:
            cand = [s for s in [min((x, y), key=lambda s: s[1])] if ok(s)]
        for s in cand:
            put(s, l4, proto, "port")
    return eps, conflicts


# --------------------------------------------------------------- svpassive

def svp_inventory(svp, files):
    cmd = [svp]
    for f in files:
        cmd += ["-r", f]
    cmd += ["-oJ", "-"]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    inv = {}
    for line in r.stdout.decode("utf-8", errors="replace").splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            e = json.loads(line)
        except ValueError:
            continue
        inv[(e["addr"], e["port"], e["proto"])] = e
    return inv, r.returncode


def by_evidence(e):
    return e is not None and e.get("match") in ("hard", "soft") and e.get("method") != "table"


def svc_label(e):
    s = e.get("service") or ""
    if e.get("tunnel") == "ssl":
        s = "ssl/" + s
    return s


def fits(proto, e):
    rx = PROTOCOLS[proto][2]
    s = (e.get("service") or "").lower()
    if proto == "tls" and e.get("tunnel") == "ssl":
        return True
    return re.fullmatch(rx, s) is not None


def grade(proto, e):
    if e is None:
        return "missing"
    if by_evidence(e):
        return "evidence" if fits(proto, e) else "wrong"
    if e.get("service") and fits(proto, e):
        return "table"
    return "table-wrong"


# ---------------------------------------------------------------- ndpi

NDPI_FLOW = re.compile(r"^\s*\d+\s+(TCP|UDP)\s+(\S+)\s+<->\s+(\S+)\s+\[proto:\s*([^\]]*)\]"
                       r".*?\[Confidence:\s*([^\]]*)\]")


def split_hostport(s):
    host, _, port = s.rpartition(":")
    return host.strip("[]"), int(port) if port.isdigit() else 0


def ndpi_flows(out):
    flows = []
    for line in (out or "").splitlines():
        m = NDPI_FLOW.match(line)
        if not m:
            continue
        l4 = m.group(1).lower()
        a, b = split_hostport(m.group(2)), split_hostport(m.group(3))
        proto = m.group(4).split("/", 1)[-1].strip()
        conf = m.group(5).strip()
        flows.append((l4, a, b, proto, conf))
    return flows


# ---------------------------------------------------------------- driver

def list_captures(roots):
    caps = []
    for root in roots:
        root = os.path.abspath(root)
        label = os.path.relpath(root, SRC) if root.startswith(SRC) else root
        for dp, _, fns in os.walk(root):
            for fn in fns:
                if not re.search(r"\.(pcap|pcapng|cap)$", fn):
                    continue
                p = os.path.join(dp, fn)
                rel = os.path.relpath(p, root)
                parts = rel.split(os.sep)
                group = label + "/" + (parts[0] if len(parts) > 1 else re.sub(r"\.[^.]*$", "", fn))
                caps.append({"path": p, "rel": label + "/" + rel, "group": group, "root": root})
    caps.sort(key=lambda c: c["rel"])
    return caps


def one_capture(cap, svp, cache, use_ndpi):
    ts = cached_run(cache, cap["path"], "tshark", tshark_cmd(cap["path"]))
    nd = None
    if use_ndpi:
        nd = cached_run(cache, cap["path"], "ndpi", ["ndpiReader", "-i", cap["path"], "-v", "2"])
    inv, rc = svp_inventory(svp, [cap["path"]])
    eps, conflicts = oracle_endpoints(ts or "")
    return {"oracle": eps, "conflicts": conflicts, "tshark_ok": ts is not None,
            "ndpi": ndpi_flows(nd) if nd is not None else None, "inv": inv, "rc": rc}


def fmt_table(head, rows):
    w = [max(len(str(x)) for x in col) for col in zip(head, *rows)] if rows else [len(h) for h in head]
    line = lambda r: "  ".join(str(x).rjust(w[i]) if i else str(x).ljust(w[i]) for i, x in enumerate(r))
    return "\n".join([line(head), line(["-" * n for n in w])] + [line(r) for r in rows])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--svpassive", default=os.path.join(SRC, "build", "svpassive"))
    ap.add_argument("--captures", nargs="+", default=[
        os.path.join(SRC, "tests/pcaps/third-party"), os.path.join(SRC, "tests/ot/captures"),
        os.path.join(SRC, "tests/regress/captures")])
    ap.add_argument("--out", default=os.path.join(SRC, "bench", "work", "evidence"))
    ap.add_argument("--cache", default=os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "svp-evidence"))
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--no-ndpi", action="store_true")
    ap.add_argument("--list", type=int, default=40, help="problem endpoints listed (default 40)")
    a = ap.parse_args()

    if not shutil.which("tshark"):
        sys.exit("evidence.py: tshark not installed (apt-get install tshark)")
    svp = os.path.abspath(a.svpassive)
    if not os.access(svp, os.X_OK):
        sys.exit("evidence.py: no svpassive at %s (build first, or --svpassive)" % svp)
    use_ndpi = not a.no_ndpi and shutil.which("ndpiReader") is not None
    caps = list_captures(a.captures)
    if not caps:
        sys.exit("evidence.py: no captures under %s" % " ".join(a.captures))
    os.makedirs(a.out, exist_ok=True)

    results = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, a.jobs)) as ex:
        futs = {ex.submit(one_capture, c, svp, a.cache, use_ndpi): c["rel"] for c in caps}
        for f in concurrent.futures.as_completed(futs):
            results[futs[f]] = f.result()

    rep = []
    say = rep.append
    ver = subprocess.run([svp, "--version"], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL).stdout.decode().split("\n")[0]
    say("evidence.py: %d captures (%s); svpassive %s" % (len(caps), ", ".join(
        os.path.relpath(r, SRC) if r.startswith(SRC) else r for r in a.captures), ver))
    crashed = [r for r, x in results.items() if x["rc"] not in (0, 1)]
    if crashed:
        say("svpassive failed on: " + " ".join(sorted(crashed)))

    # ---- 1. oracle
    per = collections.defaultdict(collections.Counter)
    roles = collections.defaultdict(collections.Counter)
    problems, false_ot, false_hard, decoded_as = [], [], [], []
    with open(os.path.join(a.out, "oracle.tsv"), "w") as fo:
        fo.write("capture\tendpoint\tprotocol\tserver_known_by\tgrade\tmatch\tmethod\tservice\tproduct\n")
        for c in caps:
            x = results[c["rel"]]
            for (ip, port, l4), (proto, role) in sorted(x["oracle"].items()):
                e = x["inv"].get((ip, port, l4))
                g = grade(proto, e)
                per[proto][g] += 1
                roles[proto][role] += 1
                if g == "wrong" and e.get("match") == "hard":
                    false_hard.append((c["rel"], ip, port, l4, proto, svc_label(e)))
                ep = "%s:%d/%s" % (ip if ":" not in ip else "[%s]" % ip, port, l4)
                fo.write("\t".join([c["rel"], ep, proto, role, g,
                                    e.get("match", "") if e else "", e.get("method", "") if e else "",
                                    svc_label(e) if e else "", (e.get("product") or "") if e else ""]) + "\n")
                if g != "evidence" and PROTOCOLS[proto][0] == "ot":
                    problems.append("%-8s %-11s %-9s %s %s%s" % (
                        g, proto, role, c["rel"], ep, (" -> " + svc_label(e) + " (" + e.get("method", "") + ")") if e else ""))
            # false OT claims: an OT service by evidence where tshark saw nothing of it
            for (ip, port, l4), e in x["inv"].items():
                if not by_evidence(e):
                    continue
                want = OT_SERVICES.get(e.get("service") or "")
                if not want:
                    continue
                o = x["oracle"].get((ip, port, l4))
                if (o is None or not re.fullmatch(want, o[0])) and e["service"] in DECODE_AS:
                    # tshark does not know the port: ask its dissector with decode-as
                    dl4, dis = DECODE_AS[e["service"]]
                    cmd = tshark_cmd(c["path"]) + ["-d", "%s.port==%d,%s" % (dl4 or l4, port, dis)]
                    o = oracle_endpoints(cached_run(a.cache, c["path"], "tshark", cmd) or "")[0].get(
                        (ip, port, l4))
                    if o is not None and re.fullmatch(want, o[0]):
                        decoded_as.append("%s %s:%d/%s %s" % (c["rel"], ip, port, l4, dis))
                        continue
                if o is None or not re.fullmatch(want, o[0]):
                    false_ot.append("%s %s:%d/%s %s %s (tshark: %s)" % (
                        c["rel"], ip, port, l4, e.get("match"), svc_label(e), o[0] if o else "nothing"))

    grades = ["evidence", "wrong", "table", "table-wrong", "missing"]

    def proto_rows(kind):
        rows, tot = [], collections.Counter()
        for p in PRECEDENCE:
            if PROTOCOLS[p][0] != kind or not per[p]:
                continue
            n = sum(per[p].values())
            rows.append([p, n] + [per[p][g] for g in grades] +
                        [" ".join("%s=%d" % (k, v) for k, v in sorted(roles[p].items()))])
            tot.update(per[p])
        n = sum(tot.values())
        rows.append(["all " + kind.upper(), n] + [tot[g] for g in grades] +
                    ["%.0f%% by evidence" % (100.0 * tot["evidence"] / n if n else 0)])
        return rows

    say("")
    say("1. Server endpoints tshark's dissectors find, per capture, against `svpassive -r FILE -oJ -`")
    say("   (server side known by: handshake, response = the protocol's own request/response,")
    say("    announce = unsolicited I-Am/ListIdentity/COV, peer = Who-Is sender, port = nothing else)")
    head = ["protocol", "endpoints"] + grades + ["server side known by"]
    say(fmt_table(head, proto_rows("ot")))
    say("")
    say(fmt_table(head, proto_rows("it")))
    say("")
    nconf = sum(len(x["conflicts"]) for x in results.values())
    say("conversations left out (the side that accepted the connection sent nothing of the")
    say("protocol while the other side sent it responses): %d" % nconf)
    say("false hard identifications of oracle endpoints: %d" % len(false_hard))
    for fh in false_hard:
        say("  %s %s:%d/%s %s named %s" % fh)
    say("OT services named by evidence on ports tshark does not know, confirmed with tshark -d: %d" %
        len(decoded_as))
    say("OT services named by evidence where tshark saw no such protocol: %d" % len(false_ot))
    for f in false_ot[:a.list]:
        say("  " + f)
    say("OT endpoints not named by evidence: %d%s" % (
        len(problems), " (first %d)" % a.list if len(problems) > a.list else ""))
    for p in problems[:a.list]:
        say("  " + p)

    # ---- 2. one run over the first root
    root0 = os.path.abspath(a.captures[0])
    files = [c["path"] for c in caps if c["root"] == root0]
    inv, rc = svp_inventory(svp, files)
    meth = collections.Counter()
    svc = collections.defaultdict(collections.Counter)
    with open(os.path.join(a.out, "onerun.tsv"), "w") as fo:
        fo.write("endpoint\tmatch\tmethod\tservice\tproduct\tversion\n")
        for (ip, port, l4), e in sorted(inv.items()):
            kind = "evidence" if by_evidence(e) else ("table" if e.get("method") == "table" else "none")
            meth[e.get("method") or "none"] += 1
            svc[svc_label(e) or "(none)"][kind] += 1
            fo.write("%s:%d/%s\t%s\t%s\t%s\t%s\t%s\n" % (ip, port, l4, e.get("match"), e.get("method"),
                                                       svc_label(e), e.get("product") or "", e.get("version") or ""))
    n = len(inv)
    ev = sum(1 for e in inv.values() if by_evidence(e))
    tb = sum(1 for e in inv.values() if e.get("method") == "table")
    say("")
    say("2. One run over %s (%d files, `svpassive -r F1 -r F2 ... -oJ -`, exit %d)" % (
        os.path.relpath(root0, SRC) if root0.startswith(SRC) else root0, len(files), rc))
    say("   endpoints %d: by evidence %d (%.0f%%), port-table guesses %d (%.0f%%), other %d" % (
        n, ev, 100.0 * ev / n if n else 0, tb, 100.0 * tb / n if n else 0, n - ev - tb))
    say("   by method: " + ", ".join("%s %d" % kv for kv in sorted(meth.items(), key=lambda kv: -kv[1])))
    rows = sorted(svc.items(), key=lambda kv: -sum(kv[1].values()))
    say("   port-table guesses by service (most first): " + ", ".join(
        "%s %d" % (s, c["table"]) for s, c in sorted(rows, key=lambda kv: -kv[1]["table"]) if c["table"])[:900])

    # ---- 3. ndpiReader side by side
    say("")
    if not use_ndpi:
        say("3. ndpiReader: skipped (%s)" % ("--no-ndpi" if a.no_ndpi else "not installed: apt-get install libndpi-bin"))
    else:
        say("3. Side by side with ndpiReader, endpoint by endpoint (named = svpassive by evidence;")
        say("   ndpiReader with confidence DPI*, label not Unknown)")
        grp = collections.defaultdict(collections.Counter)
        with open(os.path.join(a.out, "ndpi.tsv"), "w") as fo:
            fo.write("capture\tendpoint\tsvpassive\tndpiReader\n")
            for c in caps:
                x = results[c["rel"]]
                if x["ndpi"] is None:
                    continue
                eps = {}
                for k, e in x["inv"].items():
                    eps[k] = [svc_label(e) if by_evidence(e) else "", collections.Counter()]
                for (l4, A, B, proto, conf) in x["ndpi"]:
                    ka, kb = (A[0], A[1], l4), (B[0], B[1], l4)
                    if ka in x["inv"] or (ka in x["oracle"] and kb not in x["inv"]):
                        k = ka
                    elif kb in x["inv"] or kb in x["oracle"]:
                        k = kb
                    else:
                        k = kb
                    ent = eps.setdefault(k, ["", collections.Counter()])
                    if conf.startswith("DPI") and proto and proto != "Unknown":
                        ent[1][proto] += 1
                g = grp[c["group"]]
                for (ip, port, l4), (s, nd) in sorted(eps.items()):
                    nl = nd.most_common(1)[0][0] if nd else ""
                    g["endpoints"] += 1
                    g["svpassive"] += bool(s)
                    g["ndpi"] += bool(nl)
                    g["both"] += bool(s) and bool(nl)
                    g["svp only"] += bool(s) and not nl
                    g["ndpi only"] += bool(nl) and not s
                    fo.write("%s\t%s:%d/%s\t%s\t%s\n" % (c["rel"], ip, port, l4, s, nl))
        cols = ["endpoints", "svpassive", "ndpi", "both", "svp only", "ndpi only"]
        rows = [[gname] + [g[k] for k in cols] + ["" if g["svpassive"] >= g["ndpi"] else "FEWER"]
                for gname, g in sorted(grp.items())]
        tot = collections.Counter()
        for g in grp.values():
            tot.update(g)
        rows.append(["all"] + [tot[k] for k in cols] + [""])
        say(fmt_table(["group"] + cols + [""], rows))

    text = "\n".join(rep) + "\n"
    with open(os.path.join(a.out, "report.txt"), "w") as fo:
        fo.write(text)
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
