#!/usr/bin/env python3
"""jsoncheck.py: check svpassive JSON Lines (-oJ) files.

    jsoncheck.py FILE.jsonl [NMAP.xml]
    jsoncheck.py FILE.jsonl[=NMAP.xml] ...     (several files in one run)

Every line must parse as JSON (UTF-8) and have exactly the documented keys in
the documented order (docs/OUTPUT.md). With NMAP.xml (an nmap -sV -oX file
for the same ports), the lines must be those ports, in nmap's order (TCP
before UDP, by port), with nmap's state, service, product, version,
extrainfo, ostype, hostname, CPEs, tunnel and conf. Exit 0 if all holds,
1 with the differences on stderr otherwise.
"""
import json
import sys
import xml.etree.ElementTree as ET

KEYS = ["addr", "port", "proto", "state", "reason", "reason_ttl", "service",
        "product", "version", "extrainfo", "hostname", "ostype", "devicetype", "cpe",
        "tunnel", "tunnel_from", "match", "method", "conf", "truncated", "evidence",
        "first_seen",
        "last_seen", "flows", "clients", "clients_capped", "midstream",
        "server_inferred", "port_table_name", "fingerprint", "changed", "history", "tls"]
RESULT_KEYS = KEYS[6:21]


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    return 1


def check_lines(path):
    bad, recs = 0, []
    with open(path, "rb") as f:
        for i, raw in enumerate(f, 1):
            try:
                rec = json.loads(raw.decode("utf-8"))
            except Exception as e:  # any decoding or syntax error
                bad += fail("%s:%d: %s" % (path, i, e))
                continue
            if list(rec) != KEYS:
                bad += fail("%s:%d: keys %s" % (path, i, list(rec)))
            for h in rec.get("history") or []:
                if list(h) != RESULT_KEYS:
                    bad += fail("%s:%d: history keys %s" % (path, i, list(h)))
            recs.append(rec)
    return bad, recs


def check_against(path, recs, xml):
    bad = 0
    ports = ET.parse(xml).getroot().findall("./host/ports/port")
    if len(ports) != len(recs):
        bad += fail("%s: %d lines for %d ports in %s" % (path, len(recs), len(ports), xml))
    for p, rec in zip(ports, recs):
        svc = p.find("service")
        want = {"port": int(p.get("portid")), "proto": p.get("protocol"),
                "state": p.find("state").get("state")}
        if svc is not None:
            for k in ("product", "version", "extrainfo", "ostype", "hostname"):
                want[k] = svc.get(k)
            want["devicetype"] = svc.get("devicetype")
            want["cpe"] = [c.text for c in svc.findall("cpe")]
            want["tunnel"] = svc.get("tunnel")
            want["conf"] = int(svc.get("conf"))
            want["service"] = None if svc.get("name") == "unknown" else svc.get("name")
        for k, v in want.items():
            if rec.get(k) != v:
                bad += fail("%s port %s: %s = %r, nmap has %r" % (path, want["port"], k,
                                                                  rec.get(k), v))
    return bad


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    if len(argv) == 3 and not argv[2].endswith(".jsonl") and "=" not in argv[1]:
        pairs = [(argv[1], argv[2])]
    else:
        pairs = [tuple(a.split("=", 1)) if "=" in a else (a, None) for a in argv[1:]]
    bad = 0
    for path, xml in pairs:
        b, recs = check_lines(path)
        bad += b
        if xml:
            bad += check_against(path, recs, xml)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
