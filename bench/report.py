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
import statistics
import sys

PEERS = ("p0f", "prads", "ndpi", "tshark")
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


def table_section(rundir):
    info = read_info(rundir)
    res = read_tsv(os.path.join(rundir, "results.tsv"),
                   "workload tool round wall user sys rss rc load1 others".split())
    wls = read_tsv(os.path.join(rundir, "workloads.tsv"),
                   "workload file bytes packets flows description".split())
    out = []
    out += machine_lines(info)
    out.append("")
    for wl in wls:
        name = wl["workload"]
        rows = [r for r in res if r["workload"] == name]
        if not rows:
            continue
        packets, flows = int(wl["packets"]), int(wl["flows"])
        out.append("### %s: %s" % (name, wl["description"]))
        out.append("")
        out.append("`%s`: %.2f GB, %s packets, %s TCP flows." % (
            os.path.basename(wl["file"]), int(wl["bytes"]) / 1e9,
            "{:,}".format(packets), "{:,}".format(flows)))
        out.append("")
        out.append("| tool | rounds | wall s | × floor | CPU s (user+sys) | × floor | peak RSS MB "
                   "| × floor | packets/s | flows/s | wall spread |")
        out.append("|---|---|---|---|---|---|---|---|---|---|---|")
        med = {}
        tools = []
        for r in rows:
            if r["tool"] not in tools:
                tools.append(r["tool"])
        order = [t for t in TOOL_TEXT if t in tools] + [t for t in tools if t not in TOOL_TEXT]
        for t in order:
            med[t] = medians([r for r in rows if r["tool"] == t])
        floor = med.get("floor")
        for t in order:
            m = med.get(t)
            if m is None:
                out.append("| %s | 0 | failed | | | | | | | | |" % TOOL_TEXT.get(t, t))
                continue
            wall, cpu, rss, lo, hi, n, nbad = m
            fw = fmt_ratio(wall / floor[0]) if floor else "-"
            fc = fmt_ratio(cpu / floor[1]) if floor and floor[1] > 0 else "-"
            fr = fmt_ratio(rss / floor[2]) if floor else "-"
            spread = "%.0f%%" % (100.0 * (hi - lo) / lo) if lo > 0 else "-"
            out.append("| %s | %d%s | %s | %s | %s | %s | %.0f | %s | %s | %s | %s |" % (
                TOOL_TEXT.get(t, t), n, " (+%d failed)" % nbad if nbad else "", fmt_s(wall), fw,
                fmt_s(cpu), fc, rss, fr, fmt_rate(packets / wall), fmt_rate(flows / wall),
                spread))
        out.append("")
        out += targets(name, med)
        out.append("")
    check = os.path.join(rundir, "check.txt")
    if os.path.exists(check):
        out.append("### Correctness on the many-flows capture (`bench/check-truth.py`)")
        out.append("")
        out.append("```")
        out += [l.rstrip("\n") for l in open(check, encoding="utf-8")][:60]
        out.append("```")
        out.append("")
    return out


def targets(name, med):
    """The issue's targets, checked against this run's medians."""
    out = []
    floor, svp = med.get("floor"), med.get("svpassive")
    if not floor or not svp:
        if not svp:
            out.append("svpassive: not measured in this run (see the notes above).")
        return out
    limit = 6.0 if name.startswith("many") else 3.0
    ratio = svp[0] / floor[0]
    out.append("- svpassive within %.0f× the read floor: %s (%.2f×)" % (
        limit, "**yes**" if ratio <= limit else "**no**", ratio))
    if name.startswith("many"):
        out.append("- svpassive peak RSS under 256 MB: %s (%.0f MB)" % (
            "**yes**" if svp[2] < 256 else "**no**", svp[2]))
    peers = [(med[p][0], p) for p in PEERS if med.get(p)]
    if peers:
        best, who = min(peers)
        out.append("- at least 4× faster than the fastest peer (%s, %s s): %s (%.1f×)" % (
            who, fmt_s(best), "**yes**" if best / svp[0] >= 4 else "**no**", best / svp[0]))
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
    flows, eps = int(svp["flows"]), int(svp["endpoints"] or 0)
    for r in rows:
        if r[0] == "native_cpu_s" or len(r) != 2:
            continue
        ir = int(r[1])
        per_flow = ir / flows
        per_ep = ir / eps if eps else 0
        us = lambda x: " (%.1f µs)" % (x / rate) if rate else ""
        out.append("- `%s` (inclusive, matching): %s Ir in all; per flow %.0f Ir%s; "
                   "per endpoint listed %.0f Ir%s" % (
                       r[0], "{:,}".format(ir), per_flow, us(per_flow), per_ep, us(per_ep)))
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
    if len(sys.argv) != 4 or sys.argv[1] not in ("table", "callgrind", "linearity"):
        print("usage: report.py table|callgrind|linearity RUNDIR README.md", file=sys.stderr)
        return 2
    mode, rundir, readme = sys.argv[1:]
    body = {"table": table_section, "callgrind": callgrind_section,
            "linearity": linearity_section}[mode](rundir)
    replace_section(readme, mode, body)
    print("\n".join(body))
    return 0


if __name__ == "__main__":
    sys.exit(main())
