#!/bin/bash
# bench/run.sh: the side-by-side benchmark of issue 7.
#
# For each workload (the generated many-flows capture, the real-traffic
# capture) and for several rounds, runs the read floor, tcpdump, svpassive
# (full identification, real outputs written), p0f, prads, ndpiReader and
# tshark on the same file, one after the other, the order rotated every
# round so that machine noise spreads evenly. Each run is measured by GNU
# time (wall, user, sys, peak RSS); the machine's other CPU use during each
# run is read from /proc/stat. bench/report.py then writes the medians and
# their ratios to the read floor into bench/README.md, with the machine, the
# date and the command, and bench/check-truth.py scores svpassive's output on
# the many-flows capture.
#
# Modes:
#   bench/run.sh [options]              the table (default)
#   bench/run.sh --callgrind            instruction counts on a small slice
#   bench/run.sh --linearity            svpassive at scales 0.25, 1 and 4
#   bench/run.sh --validate             check the generator (and svpassive's answers)
#                                       on a small capture: exit 0 if all is well
# Options:
#   --rounds N         rounds per tool (default 5; 3 for --linearity)
#   --peer-rounds N    rounds for p0f, prads, ndpiReader, tshark (default: --rounds)
#   --workloads LIST   many,real (default both)
#   --tools LIST       floor,tcpdump,svpassive,p0f,prads,ndpi,tshark (default all)
#   --scale F          scale of the many-flows capture (default 1)
#   --scales LIST      scales for --linearity (default 0.25,1,4)
#   --seed N           generator seed (default 1)
#   --no-install       do not apt-get install the tools
#   --no-readme        measure, but leave bench/README.md alone
#   --keep             --linearity: keep the generated captures above scale 1
#   --merge-peers DIR  the table: take p0f/prads/ndpiReader/tshark (and their own
#                      read floor) from the earlier run DIR (bench/work/runs/...),
#                      e.g. one made with --tools floor,tcpdump,p0f,prads,ndpi,tshark.
#                      Each row is marked with its run; each ratio is to the floor
#                      of the same run; the captures must have the same md5.
# Environment: SVP_BENCH_BUILD (build dir, default build-bench),
# SVP_BENCH_WORK (big files, default bench/work, git-ignored), SVP_BENCH_REV
# (the commit, when the tree is not a git checkout, e.g. `git archive HEAD`).
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${SVP_BENCH_BUILD:-$SRC/build-bench}
WORK=${SVP_BENCH_WORK:-$SRC/bench/work}
README=$SRC/bench/README.md
MODE=table
ROUNDS=""
PEER_ROUNDS=""
WORKLOADS="many real"
TOOLS="floor tcpdump svpassive p0f prads ndpi tshark"
PEERS=" p0f prads ndpi tshark "
SCALE=1
SCALES="0.25 1 4"
SEED=1
INSTALL=1
WRITE_README=1
KEEP=0
PEERS_DIR=""
COMMAND="bench/run.sh${*:+ $*}"

log() { printf '%s run.sh: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
  case $1 in
    --rounds) ROUNDS=$2; shift 2 ;;
    --peer-rounds) PEER_ROUNDS=$2; shift 2 ;;
    --workloads) WORKLOADS=${2//,/ }; shift 2 ;;
    --tools) TOOLS=${2//,/ }; shift 2 ;;
    --scale) SCALE=$2; shift 2 ;;
    --scales) SCALES=${2//,/ }; shift 2 ;;
    --seed) SEED=$2; shift 2 ;;
    --callgrind) MODE=callgrind; shift ;;
    --linearity) MODE=linearity; shift ;;
    --validate) MODE=validate; shift ;;
    --no-install) INSTALL=0; shift ;;
    --no-readme) WRITE_README=0; shift ;;
    --keep) KEEP=1; shift ;;
    --merge-peers) PEERS_DIR=$(cd "$2" && pwd) || exit 2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done
[ -n "$ROUNDS" ] || { [ $MODE = linearity ] && ROUNDS=3 || ROUNDS=5; }
[ -n "$PEER_ROUNDS" ] || PEER_ROUNDS=$ROUNDS
if [ -n "$PEERS_DIR" ] && [ ! -s "$PEERS_DIR/results.tsv" ]; then
  echo "run.sh: --merge-peers: no results.tsv in $PEERS_DIR" >&2; exit 2
fi

# --- tools and build ------------------------------------------------------------
install_deps() {
  local want="p0f prads libndpi-bin tshark tcpdump time valgrind wireshark-common
              cmake gcc pkg-config libpcap-dev libpcre2-dev libnids-dev nmap python3"
  local missing="" p
  for p in $want; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
  done
  [ -z "$missing" ] && return 0
  log "installing$missing"
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    -o DPkg::Lock::Timeout=600 $missing >"$WORK/apt.log" 2>&1 ||
    { DEBIAN_FRONTEND=noninteractive apt-get update -q >>"$WORK/apt.log" 2>&1 &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        -o DPkg::Lock::Timeout=600 $missing >>"$WORK/apt.log" 2>&1; } ||
    die "apt-get install failed (see $WORK/apt.log)"
}

build() {
  # Warnings do not stop a benchmark: -Werror is for the commit checks.
  cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSVP_WERROR=OFF \
    -DSVP_SANITIZE=OFF >"$WORK/build.log" 2>&1 ||
    die "cmake failed (see $WORK/build.log)"
  cmake --build "$BUILD" --target bench_readfloor gen_flows -j2 >>"$WORK/build.log" 2>&1 ||
    die "building the read floor and the generator failed (see $WORK/build.log)"
  SVP_SKIP=""
  if ! cmake --build "$BUILD" --target svpassive -j2 >>"$WORK/build.log" 2>&1; then
    SVP_SKIP="svpassive does not build from this tree (see $WORK/build.log)"
  fi
}

GEN=""
FLOOR=""
SVP=""

# gen_many SCALE: path of the many-flows capture at SCALE (made if missing or
# if the generator, its options or the fixtures changed).
gen_many() {
  local scale=$1 base="$WORK/many-s$1-seed$SEED"
  local stamp
  stamp="$(md5sum <"$GEN" | cut -c1-12) scale=$scale seed=$SEED fixtures=$(
    find "$SRC/tests/fixtures/responses" -type f 2>/dev/null | sort | xargs -r md5sum | md5sum | cut -c1-12)"
  if [ ! -f "$base.pcap" ] || [ ! -f "$base.truth" ] || [ "$(cat "$base.stamp" 2>/dev/null)" != "$stamp" ]; then
    log "generating the many-flows capture at scale $scale"
    "$GEN" --scale "$scale" --seed "$SEED" -o "$base.pcap" -t "$base.truth" >&2
    echo "$stamp" >"$base.stamp"
  fi
  echo "$base.pcap"
}

# svp_check: can this svpassive produce an inventory? Sets SVP_SKIP if not.
svp_check() {
  [ -n "$SVP_SKIP" ] && return 0
  local small="$WORK/small.pcap" out="$WORK/small.jsonl" rc=0
  "$GEN" --scale 0.0002 --seed "$SEED" -o "$small" -t "$WORK/small.truth" 2>/dev/null
  timeout 120 "$SVP" -r "$small" -oJ "$out" >/dev/null 2>"$WORK/small.err" || rc=$?
  if [ $rc -gt 1 ] || ! grep -q '^{"addr"' "$out" 2>/dev/null; then
    SVP_SKIP="svpassive cannot run the inventory yet: 'svpassive -r small.pcap -oJ' exited $rc, $(
      grep -c '^{' "$out" 2>/dev/null || echo 0) endpoints; stderr: $(head -c 300 "$WORK/small.err" | tr '\n' ' ')"
  fi
}

# --- measuring ------------------------------------------------------------------
CLK_TCK=$(getconf CLK_TCK)
busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }

# tool_cmd TOOL FILE WORKLOAD: the command line, in the array CMD.
tool_cmd() {
  local t=$1 f=$2 wl=$3
  case $t in
    floor) CMD=("$FLOOR" "$f") ;;
    tcpdump) CMD=(tcpdump -r "$f" -w /dev/null) ;;
    svpassive) CMD=("$SVP" -r "$f" -oJ "$RUN/svp-$wl.jsonl" -oX "$RUN/svp-$wl.xml") ;;
    p0f) CMD=(p0f -r "$f") ;;   # its log (-o) must be a regular file: stdout instead
    prads) CMD=(prads -r "$f" -l "$RUN/prads-$wl.log") ;;
    ndpi) CMD=(ndpiReader -i "$f") ;;
    tshark) CMD=(tshark -r "$f" -q -z conv,tcp) ;;
    *) die "unknown tool $t" ;;
  esac
}

# measure WORKLOAD TOOL ROUND FILE: one run, one line in results.tsv.
measure() {
  local wl=$1 t=$2 round=$3 f=$4
  tool_cmd "$t" "$f" "$wl"
  local tf="$RUN/time.tmp" out="$RUN/logs/$wl.$t.$round.out" err="$RUN/logs/$wl.$t.$round.err"
  local load b0 b1 rc=0
  # Back into the page cache first: a tool that used 10 GB (tshark) or another
  # program on the machine may have pushed part of the capture out, and the
  # next (short) run would then time the disk.
  cat "$f" >/dev/null
  load=$(cut -d' ' -f1 /proc/loadavg)
  b0=$(busy_ticks)
  # p0f writes lines per connection to stdout (GBs here): not kept.
  if [ "$t" = p0f ]; then out=/dev/null; fi
  /usr/bin/time -f '%e %U %S %M' -o "$tf" "${CMD[@]}" >"$out" 2>"$err" || rc=$?
  b1=$(busy_ticks)
  local wall user sys rss
  read -r wall user sys rss < <(grep -E '^[0-9.]+ [0-9.]+ [0-9.]+ [0-9]+$' "$tf" | tail -1) ||
    { log "$wl $t: no measurement ($(head -c 200 "$tf"))"; return 0; }
  local others
  others=$(awk -v b="$((b1 - b0))" -v hz="$CLK_TCK" -v u="$user" -v s="$sys" \
    'BEGIN { o = b / hz - u - s; printf "%.2f", o < 0 ? 0 : o }')
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$wl" "$t" "$round" "$wall" "$user" "$sys" \
    "$rss" "$rc" "$load" "$others" >>"$RUN/results.tsv"
  log "$wl round $round $t: ${wall}s wall, $(awk -v u="$user" -v s="$sys" 'BEGIN{print u+s}')s CPU, $((rss / 1024)) MB, rc $rc, others ${others}s CPU"
}

# workload_row NAME FILE DESCRIPTION FLOWS: packets from the read floor.
workload_row() {
  local name=$1 f=$2 desc=$3 flows=$4 packets
  packets=$("$FLOOR" "$f" | awk '{print $1}')   # also warms the page cache
  # The checksum lets report.py --merge-peers prove two runs read the same file.
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$f" "$(stat -c %s "$f")" "$packets" "$flows" \
    "$desc" "$(md5sum <"$f" | cut -d' ' -f1)" >>"$RUN/workloads.tsv"
}

truth_value() { awk -F'\t' -v k="$2" '$1 == "S" && $2 == k { print $3 }' "$1"; }

machine_info() {
  local model cores mem virt
  model=$(lscpu | awk -F': *' '/^Model name/ {print $2; exit}')
  cores=$(nproc)
  mem=$(awk '/MemTotal/ {printf "%.0f GB", $2 / 1048576}' /proc/meminfo)
  virt=$(systemd-detect-virt 2>/dev/null || echo unknown)
  {
    printf 'machine\t%s, %s cores, %s RAM, virtualization: %s\n' "$model" "$cores" "$mem" "$virt"
    printf 'os\tDebian %s, Linux %s\n' "$(cat /etc/debian_version)" "$(uname -r)"
    printf 'date\t%s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
    printf 'command\t%s\n' "$COMMAND"
    local v p
    local rev dirty
    rev=$(git -C "$SRC" rev-parse --short HEAD 2>/dev/null || echo "${SVP_BENCH_REV:-?}")
    dirty=$({ git -C "$SRC" status --porcelain -- src include CMakeLists.txt 2>/dev/null || :; } | wc -l)
    [ "$dirty" = 0 ] || rev="$rev + $dirty uncommitted file(s) in src/ include/"
    v="svpassive $rev"
    for p in libpcap0.8 tcpdump p0f prads libndpi-bin tshark valgrind; do
      v="$v, $p $(dpkg-query -W -f='${Version}' "$p" 2>/dev/null || echo -)"
    done
    printf 'versions\t%s\n' "$v"
    printf 'noise\tload average at the start: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
  } >>"$RUN/info.tsv"
}

noise_summary() {
  awk -F'\t' '{ w += $4; o += $10; if ($4 > 0 && $10 / $4 > m) m = $10 / $4 }
    END { if (w > 0) printf "noise\tother processes used %.2f cores on average while the tools ran (worst run: %.2f); load average at the end: %s\n", o / w, m, L }' \
    L="$(cut -d' ' -f1-3 /proc/loadavg)" "$RUN/results.tsv" >>"$RUN/info.tsv"
}

# svp_stats WORKLOAD FILE: one more svpassive run with -v, for its matching
# counters and clock (not in the table: -v adds evidence to the outputs).
svp_stats() {
  local wl=$1 f=$2
  log "$wl: svpassive -v for the matching figures"
  /usr/bin/time -f '%e %U %S %M' -o "$RUN/stats-$wl.time" \
    "$SVP" -r "$f" -oJ "$RUN/svp-$wl-v.jsonl" -v >/dev/null 2>"$RUN/stats-$wl.err" || true
  grep '^svpassive:' "$RUN/stats-$wl.err" >&2 || true
}

# --- modes --------------------------------------------------------------------------
mode_table() {
  local wl f desc flows files=() names=()
  for wl in $WORKLOADS; do
    case $wl in
      many)
        f=$(gen_many "$SCALE")
        flows=$(truth_value "${f%.pcap}.truth" flows)
        desc="generated many-flows capture (bench/gen_flows --scale $SCALE --seed $SEED)"
        ;;
      real)
        f=$WORK/real.pcap
        if [ ! -f "$f" ]; then
          log "making the real-traffic capture"
          "$SRC/bench/make-real-capture.sh" "$f" || die "make-real-capture.sh failed"
        fi
        flows=$(awk -F'\t' '$1 == "flows" {print $2}' "$f.info")
        desc="real servers and clients in a netns (bench/make-real-capture.sh)"
        ;;
      *) die "unknown workload $wl" ;;
    esac
    workload_row "$wl" "$f" "$desc" "$flows"
    files+=("$f")
    names+=("$wl")
  done
  local tools=() t
  for t in $TOOLS; do
    if [ "$t" = svpassive ] && [ -n "$SVP_SKIP" ]; then
      log "skipping svpassive: $SVP_SKIP"
      printf 'note\tsvpassive skipped: %s\n' "$SVP_SKIP" >>"$RUN/info.tsv"
      continue
    fi
    tools+=("$t")
  done
  local r i k n=${#tools[@]}
  for r in $(seq 1 "$ROUNDS"); do
    for i in "${!files[@]}"; do
      for k in $(seq 0 $((n - 1))); do
        t=${tools[$(((k + r - 1 + i) % n))]}
        if [[ $PEERS == *" $t "* ]] && [ "$r" -gt "$PEER_ROUNDS" ]; then continue; fi
        measure "${names[$i]}" "$t" "$r" "${files[$i]}"
      done
    done
  done
  noise_summary
  if [[ " ${tools[*]} " == *" svpassive "* ]]; then
    for i in "${!files[@]}"; do svp_stats "${names[$i]}" "${files[$i]}"; done
  fi
  if [[ " ${tools[*]} " == *" svpassive "* ]] && [[ " ${names[*]} " == *" many "* ]]; then
    f=$(gen_many "$SCALE")
    local last
    last=$(ls -t "$RUN"/logs/many.svpassive.*.err | head -1)
    python3 "$SRC/bench/check-truth.py" "${f%.pcap}.truth" "$RUN/svp-many.jsonl" \
      --summary "$last" --json "$RUN/check.json" >"$RUN/check.txt" || true
    cat "$RUN/check.txt" >&2
  fi
  local peers=()
  [ -n "$PEERS_DIR" ] && peers=(--peers="$PEERS_DIR")
  [ $WRITE_README = 1 ] && python3 "$SRC/bench/report.py" table "$RUN" "${peers[@]}" "$README" >/dev/null
  python3 "$SRC/bench/report.py" table "$RUN" "${peers[@]}" "$RUN/report.md"
}

mode_linearity() {
  [ -n "$SVP_SKIP" ] && die "$SVP_SKIP"
  local s f
  for s in $SCALES; do
    f=$(gen_many "$s")
    workload_row "many-$s" "$f" "bench/gen_flows --scale $s" \
      "$(truth_value "${f%.pcap}.truth" flows)"
    local r t
    for r in $(seq 1 "$ROUNDS"); do
      for t in floor svpassive; do
        [ $((r % 2)) = 0 ] && t=$([ $t = floor ] && echo svpassive || echo floor)
        measure "many-$s" "$t" "$r" "$f"
      done
    done
    # Captures above scale 1 are big (~9 GB at 4x): gone unless --keep.
    if [ $KEEP = 0 ] && awk -v s="$s" 'BEGIN { exit !(s > 1) }'; then
      rm -f "$f" "${f%.pcap}.truth" "${f%.pcap}.stamp"
    fi
  done
  noise_summary
  [ $WRITE_README = 1 ] && python3 "$SRC/bench/report.py" linearity "$RUN" "$README" >/dev/null
  python3 "$SRC/bench/report.py" linearity "$RUN" "$RUN/report.md"
}

callgrind_total() { awk '/^(summary|totals):/ { print $2; exit }' "$1"; }

# Functions whose inclusive cost is "matching" (probe choice, prefilter,
# PCRE2, templates), as svpassive names them today; override with
# SVP_BENCH_MATCH_FUNCS="file.c:function ...".
MATCH_FUNCS=${SVP_BENCH_MATCH_FUNCS:-"ident.c:evaluate match.c:svp_match_response match.c:svp_match_probe_only match.c:svp_match_sweep match.c:svp_match_rule"}

# cpu_median N CMD...: median user+sys seconds of N runs of CMD.
cpu_median() {
  local n=$1; shift
  local i tf="$RUN/time.tmp"
  for i in $(seq 1 "$n"); do
    /usr/bin/time -f '%U %S' -o "$tf" "$@" >/dev/null 2>&1 || true
    awk '{ print $1 + $2 }' "$tf" | tail -1
  done | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

mode_callgrind() {
  [ -n "$SVP_SKIP" ] && die "$SVP_SKIP"
  local slice="$WORK/cg-slice.pcap" empty="$WORK/cg-empty.pcap" cg="$RUN/cg"
  "$GEN" --scale 0.01 --seed "$SEED" -o "$slice" -t "${slice%.pcap}.truth" 2>/dev/null
  head -c 24 "$slice" >"$empty"   # the pcap file header alone: no packet
  local packets flows eps
  packets=$("$FLOOR" "$slice" | awk '{print $1}')
  flows=$(truth_value "${slice%.pcap}.truth" flows)
  log "callgrind: svpassive on an empty capture (start-up cost)"
  valgrind --tool=callgrind --callgrind-out-file="$cg.empty.out" \
    "$SVP" -r "$empty" -oJ "$RUN/cg-empty.jsonl" >/dev/null 2>"$RUN/cg-empty.err" || true
  log "callgrind: svpassive on the slice ($packets packets, $flows flows)"
  valgrind --tool=callgrind --callgrind-out-file="$cg.svp.out" \
    "$SVP" -r "$slice" -oJ "$RUN/cg.jsonl" -v >/dev/null 2>"$RUN/cg-svp.err" || true
  log "callgrind: the read floor on the slice"
  valgrind --tool=callgrind --callgrind-out-file="$cg.floor.out" \
    "$FLOOR" "$slice" >/dev/null 2>"$RUN/cg-floor.err" || true
  eps=$(grep -c '^{' "$RUN/cg.jsonl" 2>/dev/null || echo 0)
  {
    printf 'svpassive\t%s\t%s\t%s\t%s\t%s\n' "$(basename "$slice")" "$packets" "$flows" "$eps" \
      "$(callgrind_total "$cg.svp.out")"
    printf 'svpassive-empty\t%s\t0\t0\t0\t%s\n' "$(basename "$empty")" \
      "$(callgrind_total "$cg.empty.out")"
    printf 'floor\t%s\t%s\t%s\t0\t%s\n' "$(basename "$slice")" "$packets" "$flows" \
      "$(callgrind_total "$cg.floor.out")"
  } >"$RUN/callgrind.tsv"
  # Own cost per function, the binary's path cut off.
  callgrind_annotate --inclusive=no "$cg.svp.out" 2>/dev/null |
    awk '/^ *[0-9,]+ +\( *[0-9.]+%\) / && !/PROGRAM TOTALS/ { sub(/ \[[^]]*\]$/, ""); print }' |
    head -25 >"$RUN/callgrind-top.txt" || true
  # Inclusive cost of the matching functions.
  local fn
  callgrind_annotate --inclusive=yes "$cg.svp.out" >"$RUN/callgrind-incl.txt" 2>/dev/null || true
  for fn in $MATCH_FUNCS; do
    awk -v fn="$fn" 'index($0, "/" fn " ") || index($0, ":" fn " ") || $NF ~ ("/" fn "$") {
        gsub(/,/, "", $1); print $1; exit }' "$RUN/callgrind-incl.txt" |
      sed "s|^|$fn\t|" >>"$RUN/callgrind-match.tsv"
  done
  # Native CPU time of the same two runs: instructions per microsecond here.
  log "timing the same runs natively (3 rounds each)"
  printf 'native_cpu_s\t%s\t%s\n' \
    "$(cpu_median 3 "$SVP" -r "$slice" -oJ "$RUN/native.jsonl")" \
    "$(cpu_median 3 "$SVP" -r "$empty" -oJ "$RUN/native-empty.jsonl")" >>"$RUN/callgrind-match.tsv"
  [ $WRITE_README = 1 ] && python3 "$SRC/bench/report.py" callgrind "$RUN" "$README" >/dev/null
  python3 "$SRC/bench/report.py" callgrind "$RUN" "$RUN/report.md"
}

# Checks of the workload itself: the generator is deterministic, its
# checksums are right, tshark sees as many TCP conversations as the truth
# says, and (when svpassive works) check-truth.py accepts svpassive's answers.
mode_validate() {
  local a="$WORK/val-a.pcap" b="$WORK/val-b.pcap" c="$WORK/val-c.pcap" fails=0
  "$GEN" --scale 0.01 --seed 7 -o "$a" -t "${a%.pcap}.truth" 2>/dev/null
  "$GEN" --scale 0.01 --seed 7 -o "$b" -t "${b%.pcap}.truth" 2>/dev/null
  "$GEN" --scale 0.01 --seed 8 -o "$c" -t "${c%.pcap}.truth" 2>/dev/null
  check() { if eval "$2"; then log "ok: $1"; else log "FAIL: $1"; fails=$((fails + 1)); fi; }
  check "same seed, same bytes" 'cmp -s "$a" "$b" &&
    cmp -s <(grep -v "^#" "${a%.pcap}.truth") <(grep -v "^#" "${b%.pcap}.truth")'
  check "another seed, other bytes" '! cmp -s "$a" "$c"'
  local sums bad conv flows
  sums=$(tshark -r "$a" -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE \
           -T fields -e ip.checksum.status -e tcp.checksum.status 2>/dev/null | sort | uniq -c)
  bad=$(printf '%s\n' "$sums" | awk '$2 != 1 || $3 != 1 { n += $1 } END { print n + 0 }')
  check "IP and TCP checksums all good ($(printf '%s' "$sums" | tr -s ' \n' ' '))" '[ "$bad" = 0 ]'
  conv=$(tshark -r "$a" -q -z conv,tcp 2>/dev/null | grep -c '<->')
  flows=$(truth_value "${a%.pcap}.truth" flows)
  check "tshark's TCP conversations ($conv) = the truth's flows ($flows)" '[ "$conv" = "$flows" ]'
  if [ -z "$SVP_SKIP" ]; then
    "$SVP" -r "$a" -oJ "$RUN/val.jsonl" >/dev/null 2>"$RUN/val.err" || true
    check "check-truth.py accepts svpassive's inventory" \
      'python3 "$SRC/bench/check-truth.py" "${a%.pcap}.truth" "$RUN/val.jsonl" --summary "$RUN/val.err" >"$RUN/check.txt"'
    cat "$RUN/check.txt" >&2
  else
    log "svpassive not checked: $SVP_SKIP"
  fi
  rm -f "$a" "$b" "$c" "${a%.pcap}.truth" "${b%.pcap}.truth" "${c%.pcap}.truth"
  [ $fails = 0 ] || die "$fails check(s) failed"
}

# --- main ---------------------------------------------------------------------------
[ "$(id -u)" -eq 0 ] || die "run as root (apt-get, and the real capture needs a netns)"
mkdir -p "$WORK"
[ $INSTALL = 1 ] && install_deps
build
GEN=$BUILD/bench/gen_flows
FLOOR=$BUILD/bench/bench_readfloor
SVP=$BUILD/svpassive
RUN="$WORK/runs/$(date -u +%Y%m%d-%H%M%S)-$MODE"
mkdir -p "$RUN/logs"
: >"$RUN/results.tsv"
: >"$RUN/workloads.tsv"
: >"$RUN/info.tsv"
svp_check
machine_info
log "mode $MODE, results in $RUN"
"mode_$MODE"
log "done: $RUN/report.md"
