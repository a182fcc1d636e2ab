#!/bin/bash
# test_thirdparty.sh: every third-party capture in tests/pcaps/third-party
# through `svpassive --flows`: no crash, no hang, no sanitizer report (the
# suite runs this again in the ASan+UBSan build), and the TCP flow count
# agrees with `tshark -q -z conv,tcp` except where thirdparty-expected.tsv
# explains the difference. Prints a summary table.
#
# tshark's counts come from thirdparty-tshark.tsv (make-thirdparty-tshark.sh;
# tshark takes ~1 s per capture, svpassive far less). The file must list
# exactly the captures present, and a sample of them (the largest ones and
# an even spread of the rest) is counted again with the installed tshark to
# prove the file is current. svpassive runs two captures at a time.
set -u
export LC_ALL=C     # one sort order for sort, join and diff
BUILD=${1:?build dir}; SRC=$(cd "${2:?source dir}" && pwd)
SVP=$(readlink -f "${SVPASSIVE:-$BUILD/svpassive}")
DIR=$SRC/tests/pcaps/third-party
EXP=$SRC/tests/capture/thirdparty-expected.tsv
TSV=$SRC/tests/capture/thirdparty-tshark.tsv
SAMPLE=${SVP_TSHARK_SAMPLE:-8}     # captures re-counted with tshark
JOBS=${SVP_JOBS:-2}
command -v tshark >/dev/null || { echo "tshark not installed (scripts/install-deps.sh --test)" >&2; exit 77; }
[ -x "$SVP" ] || { echo "no svpassive at $SVP" >&2; exit 1; }
WORK=$(mktemp -d /tmp/svp-thirdparty.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

cd "$DIR" || exit 1
find . -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) | sed 's|^\./||' | sort > "$WORK/list"
total=$(wc -l < "$WORK/list")
[ "$total" -ge 200 ] || { echo "expected the 216 third-party captures, found $total" >&2; exit 1; }

# 1. tshark's counts: the committed file covers exactly these captures ...
grep -v '^#' "$TSV" | sort > "$WORK/tshark"
if ! cut -f1 "$WORK/tshark" | sort | diff "$WORK/list" - > "$WORK/listdiff"; then
  echo "thirdparty-tshark.tsv does not list exactly the captures present (< present, > in the file):" >&2
  cat "$WORK/listdiff" >&2
  echo "run tests/capture/make-thirdparty-tshark.sh" >&2
  exit 1
fi
# ... and agrees with the installed tshark on a sample: the largest half,
# then captures spread evenly over the sorted list.
{
  xargs -d '\n' stat -c '%s %n' < "$WORK/list" | sort -k1,1nr -k2 | awk -v k=$((SAMPLE / 2)) 'NR <= k { sub(/^[0-9]+ /, ""); print }'
  awk -v n="$total" -v k=$((SAMPLE - SAMPLE / 2)) 'k > 0 && (NR - 1) % int(n / k) == 0' "$WORK/list"
} | awk '!seen[$0]++' > "$WORK/sample"
xargs -d '\n' -P"$JOBS" -I{} sh -c 'printf "%s\t%s\n" "$1" "$(tshark -r "$1" -q -z conv,tcp 2>/dev/null | grep -c "<->")"' _ {} \
  < "$WORK/sample" | sort > "$WORK/tshark-now"
stale=$(join -t $'\t' "$WORK/tshark-now" "$WORK/tshark" | awk -F'\t' '$2 != $3 { print $1 ": tshark now " $2 ", file " $3 }')
if [ -n "$stale" ]; then
  echo "thirdparty-tshark.tsv is stale (run tests/capture/make-thirdparty-tshark.sh):" >&2
  echo "$stale" >&2
  exit 1
fi
echo "thirdparty-tshark.tsv: $total captures; $(wc -l < "$WORK/sample") re-counted with $(tshark --version 2>/dev/null | sed -n '1s/ (Git.*//p'), equal:" $(cat "$WORK/sample")

# 2. svpassive on every capture, JOBS at a time. One result line per capture:
#    file, tcp flows, tcp+udp flows, frames, problems (";"-separated, may be empty)
one() {
  local f=$1 out err rc n all fr made ended problems=""
  out=$(mktemp "$WORK/out.XXXXXX"); err=$out.err
  timeout 120 "$SVP" --flows -r "$f" > "$out" 2> "$err"
  rc=$?
  # tcp flows, tcp+udp flows (stdout); frames, flows made, the seven end
  # counters, sanitizer lines (stderr): one pass over both files
  read -r n all fr made ended peer < <(awk '
    FILENAME == ARGV[1] { if (/^tcp /) tcp++; if (/^(tcp|udp) /) all++; next }
    /^svpassive: [0-9]+ frames/ { fr = $2 }
    /^  flows: [0-9]+ / { made = $2 }
    /^  udp: peer-views=/ { split($2, pv, "="); peer = pv[2] }
    /^  ended: fin=/ { e = $0; gsub(/[a-z]+=/, "", e); sub(/^  ended: /, "", e); gsub(/ /, ",", e) }
    END { printf "%d %d %d %s %s %d\n", tcp, all, fr, (made == "" ? "-" : made), (e == "" ? "-" : e), peer }
  ' "$out" "$err")
  if [ $rc = 124 ]; then problems="HANG"
  elif [ $rc -gt 1 ]; then problems="FAILED (exit $rc): $(tail -5 "$err" | tr '\n\t' '  ')"
  fi
  if grep -q -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$err"; then
    problems="$problems;SANITIZER: $(grep -m5 -E 'ERROR|runtime error' "$err" | tr '\n\t' '  ')"
  fi
  # a summary must always come: every flow accounted for (a UDP flow's
  # reverse view, SVP_FF_PEER, is a line of its own besides the flows made)
  if [ "$made" != - ] && [ "$ended" != - ]; then
    IFS=, read -r fin rst reused tmo evicted eof live <<<"$ended"
    if [ $((fin + rst + reused + tmo + evicted + eof)) != "$made" ] || [ "$live" != 0 ] || [ "$all" != $((made + peer)) ]; then
      problems="$problems;BOOKS DO NOT BALANCE: made $made, ended $ended (fin,rst,reused,timeout,evicted,eof,live), peer views $peer, lines $all"
    fi
  elif [ $rc -le 1 ]; then
    problems="$problems;NO SUMMARY"
  fi
  rm -f "$out" "$err"
  printf '%s\t%s\t%s\t%s\t%s\n' "$f" "$n" "$all" "$fr" "${problems#;}"
}
export -f one; export SVP WORK
start=$(date +%s)
xargs -d '\n' -P"$JOBS" -I{} bash -c 'one "$1"' _ {} < "$WORK/list" | sort > "$WORK/results"
secs=$(( $(date +%s) - start ))

crash=0; hang=0; sanit=0
[ "$(wc -l < "$WORK/results")" = "$total" ] ||
  { echo "only $(wc -l < "$WORK/results") of $total captures reported a result" >&2; crash=$((crash + 1)); }
while IFS=$'\t' read -r f n all fr problems; do
  [ -n "$problems" ] || continue
  echo "$f: ${problems//;/; }" >&2
  case $problems in *HANG*) hang=$((hang + 1)) ;; esac
  case $problems in *SANITIZER*) sanit=$((sanit + 1)) ;; esac
  case $problems in *FAILED*|*BOOKS*|*"NO SUMMARY"*) crash=$((crash + 1)) ;; esac
done < "$WORK/results"
flows_total=$(awk -F'\t' '{ s += $3 } END { print s + 0 }' "$WORK/results")
frames_total=$(awk -F'\t' '{ s += $4 } END { print s + 0 }' "$WORK/results")
cut -f1,2 "$WORK/results" > "$WORK/svp"

agree=0; explained=0; bad=0
declare -A exp_ts exp_sv exp_why
while IFS=$'\t' read -r f ts sv why; do
  case "$f" in ''|'#'*) continue;; esac
  exp_ts[$f]=$ts; exp_sv[$f]=$sv; exp_why[$f]=$why
done < "$EXP"
while IFS=$'\t' read -r f ts sv; do
  if [ -n "${exp_ts[$f]:-}" ]; then
    if [ "$ts" = "${exp_ts[$f]}" ] && [ "$sv" = "${exp_sv[$f]}" ]; then
      explained=$((explained + 1)); printf '  explained  %-60s tshark %4s svpassive %4s  %s\n' "$f" "$ts" "$sv" "${exp_why[$f]:0:90}"
    else
      bad=$((bad + 1)); printf 'STALE EXPECTATION %s: tshark %s (expected %s), svpassive %s (expected %s)\n' "$f" "$ts" "${exp_ts[$f]}" "$sv" "${exp_sv[$f]}" >&2
    fi
  elif [ "$ts" = "$sv" ]; then
    agree=$((agree + 1))
  else
    bad=$((bad + 1)); printf 'DISAGREE %s: tshark %s, svpassive %s\n' "$f" "$ts" "$sv" >&2
  fi
done < <(join -t $'\t' "$WORK/tshark" "$WORK/svp")

printf 'third-party captures: %d read in %ds (%d at a time), %d frames, %d flows (tcp+udp)\n' "$total" "$secs" "$JOBS" "$frames_total" "$flows_total"
printf 'TCP flows vs tshark conv,tcp: %d agree, %d differ as explained, %d unexplained\n' "$agree" "$explained" "$bad"
printf 'crashes/failed runs: %d, hangs: %d, sanitizer reports: %d\n' "$crash" "$hang" "$sanit"
[ $((agree + explained + bad)) = "$total" ] || { echo "compared $((agree + explained + bad)) of $total captures" >&2; exit 1; }
[ $((crash + hang + sanit + bad)) = 0 ]
