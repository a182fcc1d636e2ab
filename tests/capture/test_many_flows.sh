#!/bin/bash
# test_many_flows.sh: two million distinct TCP flows (gen_many_flows.c, piped
# to `svpassive --flows -r -`) with the flow table bounded to 200000 flows and
# 64 MB: the accounted memory never exceeds the bound, the process's peak RSS
# stays within the bound plus the fixed costs, and no flow is lost silently:
# every generated flow comes out exactly once, and the counters add up
# (made = fin + rst + reused + timeout + evicted + eof). Under ASan the run
# and the flow bound are ten times smaller and the RSS check is skipped
# (shadow memory).
set -u
BUILD=${1:?build dir}; SRC=${2:?source dir}
SVP=$(readlink -f "${SVPASSIVE:-$BUILD/svpassive}")
PY=/usr/bin/python3; [ -x $PY ] || PY=python3
WORK=$(mktemp -d /tmp/svp-many-flows.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
${CC:-cc} -O2 -o "$WORK/gen" "$SRC/tests/capture/gen_many_flows.c" || exit 1
N=2000000; MAXFLOWS=200000; MEM=64; ASAN=0
# ASan: ten times fewer flows and a ten times smaller flow bound (the memory
# bound alone no longer bites on 200000 flows).
if ldd "$SVP" 2>/dev/null | grep -q libasan; then N=200000; MAXFLOWS=20000; ASAN=1; fi
$PY - "$SVP" "$WORK" "$N" "$MAXFLOWS" "$MEM" "$ASAN" <<'PYEOF'
import os, re, subprocess, sys, time
svp, work, n, maxflows, mem, asan = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6] == "1"
t0 = time.time()
with open(work + "/gen.err", "w") as generr, open(work + "/flows.txt", "w") as out, open(work + "/svp.err", "w") as err:
    gen = subprocess.Popen([work + "/gen", str(n)], stdout=subprocess.PIPE, stderr=generr)
    p = subprocess.Popen([svp, "--flows", "-r", "-", "--max-flows", str(maxflows), "--flow-mem", str(mem)],
                         stdin=gen.stdout, stdout=out, stderr=err)
    gen.stdout.close()
    _, status, ru = os.wait4(p.pid, 0)
    gen.wait()
secs = time.time() - t0
rss_mb = ru.ru_maxrss / 1024.0
kinds = dict(re.findall(r"(\S+) (\d+)", open(work + "/gen.err").read()))
summary = open(work + "/svp.err").read()
fails = []
def check(cond, what):
    if not cond:
        fails.append(what)
rc = os.waitstatus_to_exitcode(status)
check(rc == 0, "svpassive exit status %d:\n%s" % (rc, summary[-2000:]))
lines = clients = midstream = refused = 0
seen = set()
with open(work + "/flows.txt") as f:
    for line in f:
        if not line.startswith("tcp "):
            continue
        lines += 1
        seen.add(line.split(" ", 2)[1])
        fl = re.search(r" flags=(\S+) ", line).group(1).split(",")
        midstream += "midstream" in fl
        refused += "refused" in fl
made = int(re.search(r"flows: (\d+) ", summary).group(1))
ended = dict((k, int(v)) for k, v in re.findall(r"(fin|rst|reused|timeout|evicted|eof|live)=(\d+)", summary.split("ended:")[1].split("\n")[0]))
peak_held = int(re.search(r"peak (\d+) held", summary).group(1))
mpeak, mlim = (float(x) for x in re.search(r"memory: peak ([\d.]+) MiB of ([\d.]+) MiB", summary).groups())
check(lines == n, "%d flow lines for %d flows" % (lines, n))
check(len(seen) == n, "%d distinct clients for %d flows" % (len(seen), n))
check(made == n, "%d flows made for %d generated" % (made, n))
total_ended = sum(v for k, v in ended.items() if k != "live")
check(total_ended == n and ended["live"] == 0, "ended %s for %d flows" % (ended, n))
check(midstream == int(kinds["open"]), "%d mid-stream flows, %s generated" % (midstream, kinds["open"]))
check(refused == int(kinds["refused"]), "%d refused flows, %s generated" % (refused, kinds["refused"]))
check(ended["evicted"] > 0, "the bound was never reached: the test proves nothing")
check(peak_held <= maxflows, "peak %d flows held, bound %d" % (peak_held, maxflows))
check(mpeak <= mlim, "accounted memory peak %.1f MiB over the bound %.0f MiB" % (mpeak, mlim))
# Fixed costs on top of the bound: the --flows spool index (8 bytes a flow,
# grown by half), program, libraries, nmap-services: 40 MB allowance.
allow = mem + n * 8 * 1.5 / 1048576 + 40
if not asan:
    check(rss_mb <= allow, "peak RSS %.1f MB over %.1f MB" % (rss_mb, allow))
print("flows generated %d (%s); packets %s; %.1f s" % (n, ", ".join("%s %s" % kv for kv in kinds.items() if kv[0] not in ("flows", "packets")), kinds["packets"], secs))
print("svpassive: made %d, ended %s, peak held %d (bound %d)" % (made, ended, peak_held, maxflows))
print("memory: accounted peak %.1f MiB of %.0f MiB; process peak RSS %.1f MB%s" % (mpeak, mlim, rss_mb, " (ASan: not checked)" if asan else " (allowed %.1f)" % allow))
for f in fails:
    print("FAIL:", f)
sys.exit(1 if fails else 0)
PYEOF
