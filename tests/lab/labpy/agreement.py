#!/usr/bin/python3
"""Compare svpassive's inventory of a lab capture with nmap -sV's.

usage: agreement.py MODE LABDIR SVP_XML SVP_JSONL EXPECTED_TSV

LABDIR is run-lab.sh's output (nmap.xml, servers.tsv).  For every endpoint
nmap identified (state open, service obtained by probing), svpassive's
service name, product and version must equal nmap's.  Every svpassive
endpoint with a hard match must be right: same service as nmap and, when
svpassive names a product, nmap's product; where nmap could not tell, the
claim must be explained.  Soft matches,
port-table guesses and unknowns are never counted as false.

A disagreement is accepted only when EXPECTED_TSV explains it:
    mode<TAB>server<TAB>svpassive<TAB>cause
mode is normal, midstream, ipv6 or * (a line for the mode itself beats a
* line); server a name from servers.tsv;
svpassive the result svpassive is known to give, as service|product|version
(empty fields allowed, "unknown" for no result; a shell-style pattern, so
that "15.*" survives a Debian point release).  Several lines may list the
answers accepted for one server.  Lines starting with # are comments.

Prints one line per endpoint and the agreement figure; exit 0 when every
disagreement is explained and there is no unexplained false identification.
"""
import fnmatch
import json
import sys
import xml.etree.ElementTree as ET


def load_xml(path):
    """(addr, proto, port) -> dict of state and <service> attributes."""
    out = {}
    root = ET.parse(path).getroot()
    for host in root.iter("host"):
        addrs = [a.get("addr") for a in host.findall("address")
                 if a.get("addrtype") in ("ipv4", "ipv6")]
        if not addrs:
            continue
        for port in host.iter("port"):
            key = (addrs[0], port.get("protocol"), int(port.get("portid")))
            state = port.find("state")
            svc = port.find("service")
            rec = {"state": state.get("state") if state is not None else ""}
            if svc is not None:
                rec.update(svc.attrib)
            out[key] = rec
    return out


def load_jsonl(path):
    out = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            rec = json.loads(line)
            out[(rec["addr"], rec["proto"], int(rec["port"]))] = rec
    return out


def load_servers(path):
    out = {}
    with open(path, encoding="utf-8") as f:
        next(f)
        for line in f:
            name, addr, port, proto = line.rstrip("\n").split("\t")[:4]
            out[(addr, proto, int(port))] = name
    return out


def load_expected(path, mode):
    out = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.split("\t")
            if len(parts) != 4:
                raise SystemExit("%s:%d: expected 4 tab-separated fields" % (path, n))
            if parts[0] in (mode, "*"):
                out.setdefault(parts[1], []).append(
                    (parts[2], parts[3], "%s:%d" % (path, n), parts[0]))
    # Lines for this very mode replace the "*" lines of the same server.
    for server, lines in out.items():
        own = [x for x in lines if x[3] == mode]
        if own:
            out[server] = own
    return out


def triple(rec):
    if not rec or not rec.get("name"):
        return "unknown"
    return "%s|%s|%s" % (rec.get("name", ""), rec.get("product", ""), rec.get("version", ""))


def identified_by_nmap(rec):
    return rec.get("state") == "open" and rec.get("method") == "probed"


def main(argv):
    if len(argv) != 6:
        sys.stderr.write(__doc__)
        return 2
    mode, labdir, svp_xml, svp_jsonl, expected_path = argv[1:]
    nmap = load_xml(labdir + "/nmap.xml")
    svp = load_xml(svp_xml)
    svpj = load_jsonl(svp_jsonl)
    servers = load_servers(labdir + "/servers.tsv")
    expected = load_expected(expected_path, mode)
    used = set()
    agree, same_service, total, problems = 0, 0, 0, []

    def explained(server, got):
        for e in expected.get(server, []):
            if fnmatch.fnmatchcase(got, e[0]):
                used.add(server)
                return e
        return None

    print("%-20s %-14s %-55s %-55s %-24s %s" % ("server", "endpoint", "nmap", "svpassive",
                                                "svpassive match/method", "verdict"))
    for key in sorted(nmap, key=lambda k: (k[1], k[2])):
        rec = nmap[key]
        if not identified_by_nmap(rec):
            continue
        total += 1
        server = servers.get(key, "?")
        want, got = triple(rec), triple(svp.get(key))
        ep = "%s/%d" % (key[1], key[2])
        same_service += want.split("|")[0] == got.split("|")[0]
        if want == got:
            agree += 1
            verdict = "agree"
        else:
            e = explained(server, got)
            if e:
                verdict = "known (%s)" % e[2]
            else:
                verdict = "DISAGREE (unexplained)"
                problems.append("%s %s: nmap %s, svpassive %s" % (server, ep, want, got))
        j = svpj.get(key, {})
        how = "%s/%s" % (j.get("match", "-"), j.get("method", "-"))
        print("%-20s %-14s %-55s %-55s %-24s %s" % (server, ep, want[:55], got[:55], how, verdict))

    # No false identification: every hard svpassive result must agree.
    false_ids = 0
    for key in sorted(svpj, key=lambda k: (k[1], k[2])):
        j = svpj[key]
        if j.get("match") != "hard" or int(j.get("conf", 0)) <= 5:
            continue  # soft match, weak method or port-table guess
        got = triple(svp.get(key))
        ref = nmap.get(key)
        server = servers.get(key, "?")
        if ref is not None and identified_by_nmap(ref):
            want_svc, want_prod = triple(ref).split("|")[:2]
            got_svc, got_prod = got.split("|")[:2]
            # Less specific is not false: an empty product is no claim.
            if got_svc == want_svc and got_prod in ("", want_prod):
                continue
        # else nmap could not tell (or did not scan it): svpassive's claim
        # needs an explanation (typically a project rule nmap lacks).
        e = explained(server, got)
        if e:
            continue
        false_ids += 1
        problems.append("false identification? %s %s/%d: svpassive %s (hard), nmap %s"
                        % (server, key[1], key[2], got, triple(ref) if ref else "not scanned"))

    for server in sorted(s for s in set(expected) - used if s in servers.values()):
        print("note: expectation for %s (%s) not needed in this run"
              % (server, expected[server][0][2]))
    print("agreement (%s): %d of %d endpoints nmap identified (service, product, version equal)"
          % (mode, agree, total))
    print("same service name: %d of %d" % (same_service, total))
    print("hard identifications not confirmed by nmap and not explained: %d" % false_ids)
    for p in problems:
        print("FAIL: " + p)
    if total == 0:
        print("FAIL: nmap identified nothing: the lab did not run")
        return 1
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
