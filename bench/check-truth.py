#!/usr/bin/env python3
"""check-truth.py: scores svpassive's inventory of the many-flows capture.

bench/gen_flows writes, beside the capture, a truth file (TSV) that says for
every server ip:port/tcp what nmap -sV said about the real server whose
bytes it replays, and how many flows went to it.  This script compares
svpassive's JSON Lines (-oJ) with it and reports, per endpoint that carried
server bytes:

  identified   hard match, and service, product and version equal nmap's
  softmatched  softmatch on nmap's service (or nmap itself named no product)
  unknown      reported, nothing matched (port-table guess or none)
  wrong        a hard match (or softmatch) that disagrees with nmap, or any
               match on a protocol no rule identifies
  missing      not in the inventory at all: server bytes silently lost
  nothing      a protocol no rule identifies (truth service '-'), reported
               without a match: right

For an endpoint whose program changed during the capture (truth prev_*
columns), the current result must be the later program and the output must
say it changed, with the earlier program in its history.

and, for the flow accounting, how many of the truth's flows each endpoint's
"flows" counter holds.  Ports that only answered SYNs with RST must not be
reported open with a service; endpoints the truth does not know are listed.
With --summary, svpassive's stderr summary is read for its flow counters.

Exit status: 0 all accounted for and nothing wrong; 1 missing, wrong or
false endpoints; 2 bad input.  Python 3 standard library only.

Usage: check-truth.py TRUTH.tsv OUT.jsonl [--summary STDERR.txt] [--json RESULT.json]
                      [--max-list N]
"""
import argparse
import json
import re
import sys

E_COLS = ("addr port proto service product version extrainfo ostype devicetype hostname "
          "cpe tunnel nmap_method nmap_conf nmap_match nmap_rule fixture probe flows flows_srv "
          "flows_ident flows_mid").split()
E_COLS_CHANGE = "prev_fixture prev_service prev_product prev_version change_s flows_srv_prev".split()
C_COLS = "addr port proto rst_flows silent_flows".split()
FIELDS = ("service", "product", "version")
MORE_FIELDS = ("extrainfo", "ostype", "devicetype", "hostname")


def load_truth(path):
    """E (open endpoints), C (closed/silent ports) and S (summary) records."""
    ends, closed, summary = {}, {}, {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip() or line.startswith("#"):
                continue
            cols = line.rstrip("\n").split("\t")
            kind = cols[0]
            if kind == "E" and len(cols) in (len(E_COLS) + 1,
                                             len(E_COLS) + len(E_COLS_CHANGE) + 1):
                rec = dict(zip(E_COLS + E_COLS_CHANGE, cols[1:]))
                for k in E_COLS_CHANGE:
                    rec.setdefault(k, "-")
                for k in list(rec):
                    if rec[k] == "-":
                        rec[k] = ""
                for k in ("port", "flows", "flows_srv", "flows_ident", "flows_mid"):
                    rec[k] = int(rec[k])
                ends[(rec["addr"], rec["port"], rec["proto"])] = rec
            elif kind == "C" and len(cols) == len(C_COLS) + 1:
                rec = dict(zip(C_COLS, cols[1:]))
                for k in ("port", "rst_flows", "silent_flows"):
                    rec[k] = int(rec[k])
                closed[(rec["addr"], rec["port"], rec["proto"])] = rec
            elif kind == "S" and len(cols) == 3:
                summary[cols[1]] = cols[2]
            else:
                raise ValueError("%s:%d: not a truth record" % (path, lineno))
    return ends, closed, summary


def load_inventory(path):
    out = {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except ValueError as e:
                raise ValueError("%s:%d: %s" % (path, lineno, e))
            key = (rec.get("addr"), rec.get("port"), rec.get("proto"))
            if key in out:
                raise ValueError("%s:%d: %s:%s/%s listed twice" % ((path, lineno) + key))
            out[key] = rec
    return out


def norm(v):
    return (v or "").strip()


def verdict(truth, got):
    """Category of one endpoint and the fields that differ."""
    if got is None:
        return "missing", []
    match = got.get("match") or "none"
    want_svc = truth["service"]
    got_svc = norm(got.get("service"))
    if truth["nmap_match"] == "none" and not want_svc:
        return ("wrong", ["service"]) if match in ("hard", "soft") else ("nothing", [])
    if match == "hard" and want_svc == "ssl" and got.get("tunnel") == "ssl":
        # TLS: the truth knows only what nmap's SSL probes match on the
        # ServerHello; the service in the tunnel (from ALPN or the port,
        # issue 14) is beyond it, and any answer in an ssl tunnel is right
        return "identified", [k for k in FIELDS if norm(got.get(k)) != truth[k]]
    if match == "hard":
        diff = [k for k in FIELDS if norm(got.get(k)) != truth[k]]
        if not diff:
            return "identified", [k for k in MORE_FIELDS if norm(got.get(k)) != truth[k]]
        return "wrong", diff
    if match == "soft":
        if got_svc == want_svc:
            return "softmatched", []
        return "wrong", ["service"]
    return "unknown", []


def change_seen(truth, got):
    """The earlier program is in the endpoint's history (changed: true)."""
    if not got.get("changed"):
        return False
    for h in got.get("history") or []:
        if norm(h.get("service")) == truth["prev_service"] and \
                norm(h.get("product")) == truth["prev_product"] and \
                norm(h.get("version")) == truth["prev_version"]:
            return True
    return False


def parse_summary(path):
    """Counters from svpassive's end-of-run summary on stderr ('N word')."""
    text = open(path, encoding="utf-8", errors="replace").read()
    found = {}
    for num, word in re.findall(r"(\d+)\s+([a-z][a-z -]*[a-z])", text):
        found.setdefault(word.strip(), int(num))
    return found, text


def grouped(lst, what, example):
    """One entry per distinct problem: [text, endpoint count, first endpoint]."""
    for entry in lst:
        if entry[0] == what:
            entry[1] += 1
            return
    lst.append([what, 1, example])


def ep_text(key):
    return "%s:%s/%s" % key


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("truth")
    ap.add_argument("inventory", help="svpassive -oJ output")
    ap.add_argument("--summary", help="svpassive's stderr (for its summary counters)")
    ap.add_argument("--json", help="write the figures as JSON here")
    ap.add_argument("--max-list", type=int, default=15)
    a = ap.parse_args()
    try:
        ends, closed, tsum = load_truth(a.truth)
        inv = load_inventory(a.inventory)
    except (OSError, ValueError) as e:
        print("check-truth: %s" % e, file=sys.stderr)
        return 2

    counts = {k: 0 for k in ("identified", "softmatched", "unknown", "nothing", "wrong",
                             "missing")}
    flow_counts = {k: 0 for k in counts}
    lists = {"wrong": [], "missing": [], "weaker": [], "flows_short": [], "more_fields": [],
             "false_open": [], "extra": [], "change_missed": []}
    changed = 0
    truth_flows = truth_srv = got_flows = got_flows_capped = 0
    expected = 0
    for key in sorted(ends, key=lambda k: (tuple(int(x) for x in k[0].split(".")), k[1])):
        t = ends[key]
        truth_flows += t["flows"]
        got = inv.get(key)
        if got is not None:
            got_flows += min(int(got.get("flows") or 0), t["flows"])
        if t["flows_srv"] == 0:
            continue
        expected += 1
        truth_srv += t["flows_srv"]
        cat, diff = verdict(t, got)
        counts[cat] += 1
        flow_counts[cat] += t["flows_srv"]
        if cat == "wrong":
            grouped(lists["wrong"], "%s: nmap %s | got (%s) %s" % (
                t["fixture"], " / ".join(t[k] or "-" for k in FIELDS), got.get("match"),
                " / ".join(norm(got.get(k)) or "-" for k in FIELDS)), ep_text(key))
        elif cat == "missing":
            lists["missing"].append("%s (%s, %d flows with server bytes)" % (
                ep_text(key), t["fixture"], t["flows_srv"]))
        elif cat == "softmatched" and t["nmap_match"] == "hard":
            grouped(lists["weaker"], "%s: nmap hard-matched (%s), svpassive softmatched (%s)" % (
                t["fixture"], t["nmap_rule"], (got.get("evidence") or {}).get("rule")),
                ep_text(key))
        elif cat == "identified" and diff:
            grouped(lists["more_fields"], "%s: %s" % (t["fixture"], "; ".join(
                "%s nmap %r got %r" % (k, t[k], norm(got.get(k))) for k in diff)),
                ep_text(key))
        if t["prev_service"] and cat != "missing":
            changed += 1
            if not change_seen(t, got):
                grouped(lists["change_missed"], "%s -> %s: %s / %s / %s not in the history" % (
                    t["prev_fixture"], t["fixture"], t["prev_service"], t["prev_product"] or "-",
                    t["prev_version"] or "-"), ep_text(key))
        if got is not None:
            n = int(got.get("flows") or 0)
            if n < t["flows_srv"]:
                lists["flows_short"].append("%s: %d flows reported, %d carried server bytes"
                                            % (ep_text(key), n, t["flows_srv"]))
    for key, c in sorted(closed.items()):
        got = inv.get(key)
        if got and got.get("state") == "open" and norm(got.get("service")) and \
                (got.get("match") in ("hard", "soft")):
            lists["false_open"].append("%s: reported open %s (%d RSTs, %d silent SYNs)" % (
                ep_text(key), got.get("service"), c["rst_flows"], c["silent_flows"]))
    for key, got in sorted(inv.items(), key=lambda kv: str(kv[0])):
        if key not in ends and key not in closed:
            lists["extra"].append("%s %s %s" % (ep_text(key), got.get("state"),
                                                got.get("service")))

    summary = {}
    if a.summary:
        try:
            summary, _ = parse_summary(a.summary)
        except OSError as e:
            print("check-truth: %s" % e, file=sys.stderr)
            return 2

    accounted = counts["identified"] + counts["softmatched"] + counts["unknown"] + \
        counts["nothing"]
    print("truth: %d server endpoints with server bytes (%d flows with server bytes, "
          "%s flows in all, %s packets)" % (expected, truth_srv, tsum.get("flows", "?"),
                                            tsum.get("packets", "?")))
    print("svpassive: %d endpoints listed" % len(inv))
    for k in ("identified", "softmatched", "unknown", "nothing", "wrong", "missing"):
        pct = 100.0 * counts[k] / expected if expected else 0.0
        print("  %-12s %6d endpoints (%5.1f%%)  %9d flows with server bytes"
              % (k, counts[k], pct, flow_counts[k]))
    if changed:
        print("programs changed: %d endpoints, %d with the change reported"
              % (changed, changed - sum(e[1] for e in lists["change_missed"])))
    print("accounted for: %d of %d endpoints; flows counted on them: %d of %d truth flows"
          % (accounted, expected, got_flows, truth_flows))
    if summary:
        keys = ("packets", "flows", "endpoints", "identified", "softmatched", "unknown")
        shown = ", ".join("%s %d" % (k, summary[k]) for k in keys if k in summary)
        print("svpassive summary: %s" % (shown or "(no counters recognised)"))
        if "flows" in summary and "flows" in tsum:
            print("  flows: svpassive %d, truth %s" % (summary["flows"], tsum["flows"]))
    titles = {"wrong": "WRONG (disagrees with nmap)", "missing": "MISSING (server bytes lost)",
              "weaker": "softmatched where nmap hard-matched",
              "flows_short": "flow counters below the truth's flows with server bytes",
              "more_fields": "identified, but other fields differ",
              "false_open": "closed ports reported open", "extra": "endpoints not in the truth",
              "change_missed": "CHANGE NOT REPORTED (earlier program not in the history)"}
    for k, title in titles.items():
        if lists[k]:
            n = sum(e[1] if isinstance(e, list) else 1 for e in lists[k])
            print("%s: %d" % (title, n))
            for line in lists[k][:a.max_list]:
                if isinstance(line, list):
                    line = "%s  [%d endpoints, e.g. %s]" % tuple(line)
                print("  " + line)
            if len(lists[k]) > a.max_list:
                print("  ... %d more" % (len(lists[k]) - a.max_list))
    failed = counts["wrong"] or counts["missing"] or lists["false_open"] or \
        lists["change_missed"]
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"expected": expected, "counts": counts, "flow_counts": flow_counts,
                       "truth_flows": truth_flows, "truth_flows_srv": truth_srv,
                       "flows_counted": got_flows, "listed": len(inv),
                       "problems": {k: sum(e[1] if isinstance(e, list) else 1 for e in v)
                                    for k, v in lists.items()},
                       "summary": summary, "ok": not failed}, f, indent=1, sort_keys=True)
    print("RESULT: %s" % ("FAIL" if failed else "OK"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
