#!/usr/bin/env python3
"""report.py: turns bench/run.sh's measurements into bench/README.md sections.

run.sh writes, per run directory:
  results.tsv   workload tool round wall_s user_s sys_s maxrss_kb rc load1 others_cpu_s
  workloads.tsv workload file bytes packets flows description
  info.tsv      key value (machine, date, command, versions, notes)
  check.txt     check-truth.py's report on the many-flows capture (optional)
  callgrind.tsv / linearity.tsv for the other modes
and calls:  report.py MODE RUNDIR README.md
which replaces the text between '<!-- BEGIN MODE -->' and '<!-- END MODE -->'
in README.md (appending the markers if they are missing).

Python 3 standard library only.
"""
import os
import re
import statistics
import sys

PEERS = ("p0f", "prads", "ndpi", "tshark")
PEER_NAME = {"p0f": "p0f", "prads": "prads", "ndpi": "ndpiReader", "tshark": "tshark"}
TOOL_TEXT = {
    "floor": "read floor (`bench_readfloor`: bare `pcap_next_ex` loop)",
    "tcpdump": "`tcpdump -r F -w /dev/null`",
    "svpassive": "**svpassive** `-r F -oJ … -oX …` (full identification)",
    "p0f": "`p0f -r F` (stdout to /dev/null)",
    "prads": "`prads -r F -l …`",
    "ndpi": "`ndpiReader -i F`",
    "tshark": "`tshark -r F -q -z conv,tcp`",
}


def read_tsv(path, cols=None):
    rows = []
    if not os.path.exists(path):
        return rows
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.rstrip("\n").split("\t")
            rows.append(dict(zip(cols, parts)) if cols else parts)
    return rows


def read_info(rundir):
    info = {}
    for parts in read_tsv(os.path.join(rundir, "info.tsv")):
        if len(parts) >= 2:
            info.setdefault(parts[0], []).append("\t".join(parts[1:]))
    return info


def one(info, key, default="?"):
    return info.get(key, [default])[0]


def medians(rows):
    """(wall, cpu, rss MB, min wall, max wall, runs, failed runs) of one tool's
    runs, None if every run failed. svpassive's exit status 1 counts as a run
    (it means 'done, but some input was rejected'); for the others only 0."""
    ok = [r for r in rows if r["rc"] == "0" or (r["rc"] == "1" and r["tool"] == "svpassive")]
    if not ok:
        return None
    walls = [float(r["wall"]) for r in ok]
    return (statistics.median(walls),
            statistics.median(float(r["user"]) + float(r["sys"]) for r in ok),
            statistics.median(int(r["rss"]) / 1024.0 for r in ok),
            min(walls), max(walls), len(ok), len(rows) - len(ok))


def fmt_s(x):
    if x >= 100:
        return "%.0f" % x
    if x >= 10:
        return "%.1f" % x
    return "%.2f" % x


def fmt_rate(x):
    if x >= 1e6:
        return "%.2f M" % (x / 1e6)
    if x >= 1e3:
        return "%.1f k" % (x / 1e3)
    return "%.0f" % x


def fmt_ratio(x):
    return "%.1f×" % x if x >= 10 else "%.2f×" % x


def machine_lines(info):
    out = ["- Machine: %s" % one(info, "machine"),
           "- OS: %s" % one(info, "os"),
           "- Date: %s" % one(info, "date"),
           "- Command: `%s`" % one(info, "command")]
    if "versions" in info:
        out.append("- Versions: " + "; ".join(info["versions"]))
    for note in info.get("noise", []):
        out.append("- Noise: " + note)
    for note in info.get("note", []):
        out.append("- Note: " + note)
    return out


RES_COLS = "workload tool round wall user sys rss rc load1 others".split()
WL_COLS = "workload file bytes packets flows description md5".split()


def run_label(rundir, info):
    return "`%s` (%s)" % (os.path.relpath(rundir, os.path.join(rundir, "..", "..", "..", "..")),
                          one(info, "date"))


def tool_rows(res, name, tools):
    """Medians per tool of one workload, in TOOL_TEXT order."""
    rows = [r for r in res if r["workload"] == name and r["tool"] in tools]
    seen = []
    for r in rows:
        if r["tool"] not in seen:
            seen.append(r["tool"])
    order = [t for t in TOOL_TEXT if t in seen] + [t for t in seen if t not in TOOL_TEXT]
    return [(t, medians([r for r in rows if r["tool"] == t])) for t in order]


def table_line(t, tag, m, floor, packets, flows):
    name = TOOL_TEXT.get(t, t)
    if m is None:
        return "| %s | %s | 0 | failed | | | | | | | | |" % (name, tag)
    wall, cpu, rss, lo, hi, n, nbad = m
    fw = fmt_ratio(wall / floor[0]) if floor else "-"
    fc = fmt_ratio(cpu / floor[1]) if floor and floor[1] > 0 else "-"
    fr = fmt_ratio(rss / floor[2]) if floor else "-"
    spread = "%.0f%%" % (100.0 * (hi - lo) / lo) if lo > 0 else "-"
    return "| %s | %s | %d%s | %s | %s | %s | %s | %.0f | %s | %s | %s | %s |" % (
        name, tag, n, " (+%d failed)" % nbad if nbad else "", fmt_s(wall), fw, fmt_s(cpu), fc,
        rss, fr, fmt_rate(packets / wall), fmt_rate(flows / wall), spread)


def same_workload(a, b):
    """Do two workloads.tsv rows name the same capture? (reason if not)"""
    if a.get("md5") and b.get("md5"):
        return None if a["md5"] == b["md5"] else "md5 %s != %s" % (a["md5"], b["md5"])
    if (a["bytes"], a["packets"]) != (b["bytes"], b["packets"]):
        return "%s bytes/%s packets != %s bytes/%s packets" % (
            a["bytes"], a["packets"], b["bytes"], b["packets"])
    return None


def table_section(rundir, peers_dir=None):
    """The table of one run; with peers_dir, p0f/prads/ndpiReader/tshark and
    their own read floor come from that run instead. Every ratio is to the
    read floor of the run the row came from."""
    info = read_info(rundir)
    res = read_tsv(os.path.join(rundir, "results.tsv"), RES_COLS)
    wls = read_tsv(os.path.join(rundir, "workloads.tsv"), WL_COLS)
    runs = [("A", rundir, info, res, wls)]
    if peers_dir:
        pinfo = read_info(peers_dir)
        runs.append(("B", peers_dir, pinfo,
                     read_tsv(os.path.join(peers_dir, "results.tsv"), RES_COLS),
                     read_tsv(os.path.join(peers_dir, "workloads.tsv"), WL_COLS)))
    out = []
    if peers_dir:
        out.append("Two runs of `bench/run.sh` on the same captures (checked by md5, or by size "
                   "and packet count if a run predates the md5) and the same machine. "
                   "Each row says which run it comes from, and each ratio is to the read floor "
                   "**of that same run**, so a busier or quieter hour cancels out of the "
                   "ratios (not out of the absolute times).")
        out.append("")
        out.append("- Run A, floor, tcpdump and svpassive: %s" % run_label(rundir, info))
        out.append("- Run B, floor and the peers (p0f, prads, ndpiReader, tshark): %s" %
                   run_label(peers_dir, pinfo))
        out.append("")
    for tag, rdir, rinfo, _, _ in runs:
        if peers_dir:
            out.append("Run %s:" % tag)
            out.append("")
        out += machine_lines(rinfo)
        out.append("")
    for wl in wls:
        name = wl["workload"]
        packets, flows = int(wl["packets"]), int(wl["flows"])
        blocks = []  # (tag, [(tool, medians)], floor medians)
        for tag, rdir, rinfo, rres, rwls in runs:
            if tag == "B":
                twin = [w for w in rwls if w["workload"] == name]
                why = same_workload(wl, twin[0]) if twin else "not in run B"
                if why:
                    out.append("Run B not used for %s: %s." % (name, why))
                    out.append("")
                    continue
                keep = ("floor",) + PEERS
            else:
                keep = [r["tool"] for r in rres if not (peers_dir and r["tool"] in PEERS)]
            meds = tool_rows(rres, name, keep)
            if meds:
                blocks.append((tag, meds, dict(meds).get("floor")))
        if not blocks:
            continue
        out.append("### %s: %s" % (name, wl["description"]))
        out.append("")
        out.append("`%s`: %.2f GB, %s packets, %s TCP flows%s." % (
            os.path.basename(wl["file"]), int(wl["bytes"]) / 1e9,
            "{:,}".format(packets), "{:,}".format(flows),
            ", md5 %s" % wl["md5"] if wl.get("md5") else ""))
        out.append("")
        out.append("| tool | run | rounds | wall s | × floor | CPU s (user+sys) | × floor "
                   "| peak RSS MB | × floor | packets/s | flows/s | wall spread |")
        out.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
        for tag, meds, floor in blocks:
            for t, m in meds:
                out.append(table_line(t, tag if peers_dir else "", m, floor, packets, flows))
        out.append("")
        out += targets(name, blocks, rundir)
        out.append("")
    out += stats_lines(rundir, wls)
    check = os.path.join(rundir, "check.txt")
    if os.path.exists(check):
        out.append("### Correctness on the many-flows capture (`bench/check-truth.py`)")
        out.append("")
        out.append("svpassive's `-oJ` output of its last timed round in run A, scored against "
                   "the generator's truth:")
        out.append("")
        out.append("```")
        out += [l.rstrip("\n") for l in open(check, encoding="utf-8")][:60]
        out.append("```")
        out.append("")
    return out


def check_result(rundir):
    path = os.path.join(rundir, "check.json")
    if not os.path.exists(path):
        return None
    import json
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def targets(name, blocks, rundir):
    """The issue's targets, each tool against the floor of its own run."""
    out = []
    ratio = {}  # tool -> (wall / own floor's wall, wall)
    for _, meds, floor in blocks:
        for t, m in meds:
            if m and floor and t != "floor":
                ratio[t] = (m[0] / floor[0], m[0], m[2])
    svp = ratio.get("svpassive")
    if not svp:
        out.append("svpassive: not measured in this run (see the notes above).")
        return out
    limit = 6.0 if name.startswith("many") else 3.0
    out.append("- svpassive within %.0f× the read floor: %s (%.2f×)" % (
        limit, "**yes**" if svp[0] <= limit else "**no**", svp[0]))
    if name.startswith("many"):
        out.append("- svpassive peak RSS under 256 MB: %s (%.0f MB)" % (
            "**yes**" if svp[2] < 256 else "**no**", svp[2]))
        chk = check_result(rundir)
        if chk:
            c, short = chk["counts"], chk["problems"].get("flows_short", 0)
            acc = c["identified"] + c["softmatched"] + c["unknown"]
            good = acc == chk["expected"] and not c["missing"] and not c["wrong"] and not short
            out.append("- every endpoint with server bytes accounted for, nothing wrong: %s "
                       "(%d of %d endpoints, %d missing, %d wrong, %d endpoints counting fewer "
                       "flows than carried server bytes; %d of %d truth flows counted)" % (
                           "**yes**" if good else "**no**", acc, chk["expected"], c["missing"],
                           c["wrong"], short, chk["flows_counted"], chk["truth_flows"]))
    peers = sorted((ratio[p][0], p) for p in PEERS if p in ratio)
    if peers:
        best, who = peers[0]
        speed = best / svp[0]
        out.append("- at least 4× faster than the fastest peer (%s, %s s, %s the floor of its "
                   "run): %s (%.2f× on floor-relative time; %.2f× on raw wall time)" % (
                       PEER_NAME[who], fmt_s(ratio[who][1]),
                       fmt_ratio(best), "**yes**" if speed >= 4 else "**no**", speed,
                       ratio[who][1] / svp[1]))
        if best < 4:
            out.append("  - not reachable by any tool that reads the capture: %s itself runs "
                       "at %s the read floor, so 4× faster than it would be %s the floor" % (
                           PEER_NAME[who], fmt_ratio(best), fmt_ratio(best / 4)))
    return out


MATCH_RE = re.compile(r"matching: (\d+) whole plans run(?: \([^)]*\))?, (\d+) flows confirmed[^,]*, "
                      r"(?:(?P<spared>\d+) spared[^,]*, )?"
                      r"([0-9.]+) s in all \(([0-9.]+) us per flow with server bytes\)")
EP_RE = re.compile(r"(\d+) endpoints: (\d+) identified, (\d+) softmatched, (\d+) unknown")
FLOWS_RE = re.compile(r"svpassive: (\d+) flows")


def stats_lines(rundir, wls):
    """Matching cost from svpassive -v (one extra run per workload, not timed in the table)."""
    out = []
    for wl in wls:
        path = os.path.join(rundir, "stats-%s.err" % wl["workload"])
        if not os.path.exists(path):
            continue
        text = open(path, encoding="utf-8", errors="replace").read()
        if not out:
            out.append("### Matching cost (svpassive's own clock, `-v`)")
            out.append("")
            out.append("One more svpassive run per workload with `-v` after the timed rounds "
                       "(`-v` adds evidence to the outputs, so these runs are not in the table). "
                       "svpassive times its matching (probe choice, prefilter, PCRE2, templates) "
                       "with the monotonic clock. Per flow: matching time over flows with "
                       "server bytes. Per endpoint: all matching time over endpoints that "
                       "sent bytes (identified, softmatched or unknown), an upper bound of "
                       "what a newly seen endpoint costs, since later flows of a known "
                       "endpoint are only re-checked against its line. Callgrind's split "
                       "between the two paths is in the instruction-count section.")
            out.append("")
            out.append("| workload | flows | endpoints with server bytes | whole plans run "
                       "| whole plans per endpoint | flows confirmed by their endpoint's line "
                       "| flows spared by the budget | matching s "
                       "| µs per flow with server bytes | µs per endpoint |")
            out.append("|---|---|---|---|---|---|---|---|---|---|")
        m, e, fl = MATCH_RE.search(text), EP_RE.search(text), FLOWS_RE.search(text)
        if not (m and e and fl):
            out.append("| %s | (svpassive -v printed no matching figures: %s) |||||||" % (
                wl["workload"], " / ".join(l for l in text.splitlines()
                                          if l.startswith("svpassive:"))[:300]))
            continue
        eps = int(e.group(2)) + int(e.group(3)) + int(e.group(4))
        secs = float(m.group(4))
        plans = int(m.group(1))
        out.append("| %s | %s | %s | %s | %.2f | %s | %s | %.2f | %s | %.1f |" % (
            wl["workload"], "{:,}".format(int(fl.group(1))), "{:,}".format(eps),
            "{:,}".format(plans), plans / eps if eps else 0, "{:,}".format(int(m.group(2))),
            "{:,}".format(int(m.group("spared") or 0)), secs,
            m.group(5), 1e6 * secs / eps if eps else 0))
    if out:
        out.append("")
    return out


def callgrind_section(rundir):
    info = read_info(rundir)
    rows = read_tsv(os.path.join(rundir, "callgrind.tsv"),
                    "what file packets flows endpoints ir".split())
    out = machine_lines(info)
    out.append("")
    if not rows:
        return out + ["(no callgrind figures in this run)"]
    out.append("| run | capture | packets | flows | instructions (Ir) |")
    out.append("|---|---|---|---|---|")
    byname = {}
    for r in rows:
        byname[r["what"]] = r
        out.append("| %s | %s | %s | %s | %s |" % (r["what"], r["file"], r["packets"], r["flows"],
                                                 "{:,}".format(int(r["ir"]))))
    out.append("")
    svp, empty, floor = byname.get("svpassive"), byname.get("svpassive-empty"), byname.get("floor")
    if svp and empty:
        work = int(svp["ir"]) - int(empty["ir"])
        pk, fl, ep = int(svp["packets"]), int(svp["flows"]), int(svp["endpoints"] or 0)
        out.append("- svpassive start-up (rules loaded, empty capture): %s Ir" %
                   "{:,}".format(int(empty["ir"])))
        out.append("- svpassive after start-up, per packet: %.0f Ir; per flow: %.0f Ir "
                   "(%d endpoints listed)" % (work / pk, work / fl, ep))
        if floor:
            out.append("- read floor per packet: %.0f Ir (svpassive/floor: %.1f×)" % (
                int(floor["ir"]) / pk, work / max(1, int(floor["ir"]))))
    out += matching_lines(rundir, svp, empty)
    top = os.path.join(rundir, "callgrind-top.txt")
    if os.path.exists(top):
        out.append("")
        out.append("Functions by own instruction count (svpassive, whole run):")
        out.append("")
        out.append("```")
        out += [l.rstrip("\n") for l in open(top, encoding="utf-8")][:25]
        out.append("```")
    return out


# The two matching paths of ident.c, by the match.c entry points each one
# calls (ident.c's own run_plan and confirm_line are inlined): a whole plan
# (probes that fit the flow, their rules through the prefix index and PCRE2),
# run for an endpoint not yet settled (newly seen, or its program changed);
# and the re-check of a settled endpoint's line on a later flow.
PATHS = (
    ("whole plan (an endpoint not yet settled: newly seen, or changed)", 1,
     ("match.c:svp_match_response", "match.c:svp_match_probe_only", "match.c:svp_match_sweep")),
    ("flow confirmed by its endpoint's line (all re-checks, hits and misses, over the hits)", 2,
     ("match.c:svp_match_rule",)),
)


def matching_lines(rundir, svp, empty):
    """Inclusive cost of the matching functions, per flow and per endpoint,
    in instructions and in microseconds at this run's native speed."""
    rows = read_tsv(os.path.join(rundir, "callgrind-match.tsv"))
    if not svp or not empty or not rows:
        return []
    out = []
    native = [r for r in rows if r[0] == "native_cpu_s" and len(r) == 3]
    rate = None  # instructions per microsecond, natively
    if native:
        try:
            dcpu = float(native[0][1]) - float(native[0][2])
            if dcpu > 0:
                rate = (int(svp["ir"]) - int(empty["ir"])) / (dcpu * 1e6)
                out.append("- native CPU time of the same runs: %s s (slice), %s s (empty): "
                           "%.0f instructions per µs" % (native[0][1], native[0][2], rate))
        except ValueError:
            pass
    counts = None
    err = os.path.join(rundir, "cg-svp.err")
    if os.path.exists(err):
        counts = MATCH_RE.search(open(err, encoding="utf-8", errors="replace").read())
        if counts:
            out.append("- svpassive -v on the slice: %s whole plans run, %s flows confirmed by "
                       "their endpoint's line" % (counts.group(1), counts.group(2)))
    flows, eps = int(svp["flows"]), int(svp["endpoints"] or 0)
    us = lambda x: " (%.1f µs)" % (x / rate) if rate else ""
    incl = {}
    for r in rows:
        if r[0] == "native_cpu_s" or len(r) != 2:
            continue
        ir = incl[r[0]] = int(r[1])
        out.append("- `%s` (inclusive): %s Ir in all; per flow %.0f Ir%s; per endpoint listed "
                   "%.0f Ir%s" % (r[0], "{:,}".format(ir), ir / flows, us(ir / flows),
                                  ir / eps if eps else 0, us(ir / eps) if eps else ""))
    if counts:
        for what, group, funcs in PATHS:
            n = int(counts.group(group))
            ir = sum(incl.get(f, 0) for f in funcs)
            if n and ir:
                out.append("- **per %s: %.0f Ir%s** (%s over %d)" % (
                    what, ir / n, us(ir / n), " + ".join("`%s`" % f.split(":")[1]
                                                         for f in funcs if f in incl), n))
    return out


def linearity_section(rundir):
    info = read_info(rundir)
    rows = read_tsv(os.path.join(rundir, "results.tsv"),
                    "workload tool round wall user sys rss rc load1 others".split())
    wls = read_tsv(os.path.join(rundir, "workloads.tsv"),
                   "workload file bytes packets flows description".split())
    out = machine_lines(info)
    out.append("")
    out.append("| scale | GB | packets | flows | floor wall s | svpassive wall s | × floor "
               "| svpassive CPU s | CPU µs per flow | marginal CPU µs per flow | peak RSS MB "
               "| CPU × the first row | flows × the first row |")
    out.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    lines = []
    for wl in wls:
        mine = [r for r in rows if r["workload"] == wl["workload"]]
        fl = medians([r for r in mine if r["tool"] == "floor"])
        sv = medians([r for r in mine if r["tool"] == "svpassive"])
        if sv:
            lines.append((wl, fl[0] if fl else 0, sv, int(wl["flows"])))
    prev = None
    for wl, fw, sv, flows in lines:
        sw, sc, rss = sv[0], sv[1], sv[2]
        first = lines[0]
        marginal = "-"
        if prev and flows > prev[1]:
            marginal = "%.2f" % (1e6 * (sc - prev[0]) / (flows - prev[1]))
        out.append("| %s | %.2f | %s | %s | %s | %s | %s | %s | %.2f | %s | %.0f | %s | %s |" % (
            wl["workload"].split("-", 1)[1], int(wl["bytes"]) / 1e9,
            "{:,}".format(int(wl["packets"])), "{:,}".format(flows), fmt_s(fw), fmt_s(sw),
            fmt_ratio(sw / fw) if fw else "-", fmt_s(sc), 1e6 * sc / flows, marginal, rss,
            fmt_ratio(sc / first[2][1]), fmt_ratio(flows / first[3])))
        prev = (sc, flows)
    out.append("")
    out.append("Marginal cost: the CPU time added from one row to the next, per added flow "
               "(start-up, mostly compiling the rules, drops out).")
    return out


def replace_section(readme, mode, body):
    begin, end = "<!-- BEGIN %s -->" % mode, "<!-- END %s -->" % mode
    text = open(readme, encoding="utf-8").read() if os.path.exists(readme) else ""
    block = begin + "\n" + "\n".join(body).rstrip() + "\n" + end
    if begin in text and end in text:
        pre, rest = text.split(begin, 1)
        _, post = rest.split(end, 1)
        text = pre + block + post
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    with open(readme + ".tmp", "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(readme + ".tmp", readme)


def main():
    args = sys.argv[1:]
    peers = None
    if len(args) == 4 and args[0] == "table" and args[2].startswith("--peers="):
        peers = args.pop(2)[len("--peers="):]
    if len(args) != 3 or args[0] not in ("table", "callgrind", "linearity"):
        print("usage: report.py table RUNDIR [--peers=RUNDIR] README.md\n"
              "       report.py callgrind|linearity RUNDIR README.md", file=sys.stderr)
        return 2
    mode, rundir, readme = args
    if mode == "table":
        body = table_section(rundir, peers)
    else:
        body = {"callgrind": callgrind_section, "linearity": linearity_section}[mode](rundir)
    replace_section(readme, mode, body)
    print("\n".join(body))
    return 0


if __name__ == "__main__":
    sys.exit(main())
