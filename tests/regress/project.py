#!/usr/bin/env python3
"""project.py: reduce svpassive's JSON Lines to the user-visible fields that
golden files compare, one sorted TSV line per endpoint.

Left out on purpose: times, flow ids, client ports and rule line numbers
(they change when unrelated captures or rule files change, not when the
result changes). Kept: what a user reads in the inventory."""
import json
import sys

FIELDS = ["state", "service", "product", "version", "extrainfo", "hostname",
          "ostype", "devicetype", "tunnel", "match", "method", "conf"]


def cell(v):
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "true" if v else "false"
    s = str(v)
    return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n") or "-"


def main():
    rows = []
    for n, line in enumerate(sys.stdin, 1):
        line = line.strip()
        if not line:
            continue
        try:
            ep = json.loads(line)
        except ValueError as e:
            sys.exit(f"project.py: line {n}: not JSON: {e}")
        addr = ep["addr"]
        where = f"[{addr}]" if ":" in addr else addr
        key = f"{where}:{ep['port']}/{ep['proto']}"
        ev = ep.get("evidence") or {}
        cols = [key] + [cell(ep.get(f)) for f in FIELDS]
        cols.append(cell(",".join(ep.get("cpe") or [])))
        cols.append(cell(ev.get("probe")))
        cols.append(cell(ev.get("frame")))
        cols.append(cell(ep.get("midstream")))
        rows.append("\t".join(cols))
    print("\t".join(["#endpoint"] + FIELDS + ["cpe", "probe", "frame", "midstream"]))
    for r in sorted(rows):
        print(r)


if __name__ == "__main__":
    main()
