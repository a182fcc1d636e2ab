#!/bin/bash
# test_thirdparty.sh: every third-party capture in tests/pcaps/third-party
# through `svpassive --flows`: no crash, no hang, no sanitizer report (the
# suite runs this again in the ASan+UBSan build), and the TCP flow count
# agrees with `tshark -q -z conv,tcp` except where thirdparty-expected.tsv
# explains the difference. Prints a summary table.
set -u
BUILD=${1:?build dir}; SRC=${2:?source dir}
SVP=$(readlink -f "${SVPASSIVE:-$BUILD/svpassive}")
DIR=$SRC/tests/pcaps/third-party
EXP=$SRC/tests/capture/thirdparty-expected.tsv
command -v tshark >/dev/null || { echo "tshark not installed (scripts/install-deps.sh --test)" >&2; exit 77; }
[ -x "$SVP" ] || { echo "no svpassive at $SVP" >&2; exit 1; }
WORK=$(mktemp -d /tmp/svp-thirdparty.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

cd "$DIR" || exit 1
find . -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) | sed 's|^\./||' | sort > "$WORK/list"
total=$(wc -l < "$WORK/list")
[ "$total" -ge 200 ] || { echo "expected the 216 third-party captures, found $total" >&2; exit 1; }

# tshark's counts, two at a time.
xargs -P2 -I{} sh -c 'n=$(tshark -r "$1" -q -z conv,tcp 2>/dev/null | grep -c "<->"); printf "%s\t%s\n" "$1" "$n"' _ {} \
  < "$WORK/list" | sort > "$WORK/tshark"

start=$(date +%s)
crash=0; hang=0; sanit=0; flows_total=0; frames_total=0
: > "$WORK/svp"
while read -r f; do
  timeout 120 "$SVP" --flows -r "$f" > "$WORK/out" 2> "$WORK/err"
  rc=$?
  n=$(grep -c '^tcp ' "$WORK/out")
  all=$(grep -c -E '^(tcp|udp) ' "$WORK/out")
  fr=$(sed -n 's/^svpassive: \([0-9]*\) frames.*/\1/p' "$WORK/err")
  flows_total=$((flows_total + all)); frames_total=$((frames_total + ${fr:-0}))
  if [ $rc = 124 ]; then hang=$((hang + 1)); echo "HANG: $f" >&2
  elif [ $rc -gt 1 ]; then crash=$((crash + 1)); echo "FAILED (exit $rc): $f" >&2; tail -5 "$WORK/err" >&2
  fi
  if grep -q -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$WORK/err"; then
    sanit=$((sanit + 1)); echo "SANITIZER: $f" >&2; grep -m5 -E 'ERROR|runtime error' "$WORK/err" >&2
  fi
  # a summary must always come: every flow accounted for
  made=$(sed -n 's/^  flows: \([0-9]*\) .*/\1/p' "$WORK/err")
  ended=$(sed -n 's/^  ended: fin=\([0-9]*\) rst=\([0-9]*\) reused=\([0-9]*\) timeout=\([0-9]*\) evicted=\([0-9]*\) eof=\([0-9]*\) live=\([0-9]*\)/\1 \2 \3 \4 \5 \6 \7/p' "$WORK/err")
  if [ -n "$made" ] && [ -n "$ended" ]; then
    set -- $ended
    if [ $(($1 + $2 + $3 + $4 + $5 + $6)) != "$made" ] || [ "$7" != 0 ] || [ "$all" != "$made" ]; then
      echo "BOOKS DO NOT BALANCE: $f: made $made, ended $ended, lines $all" >&2; crash=$((crash + 1))
    fi
  elif [ $rc -le 1 ]; then
    echo "NO SUMMARY: $f" >&2; crash=$((crash + 1))
  fi
  printf '%s\t%s\n' "$f" "$n" >> "$WORK/svp"
done < "$WORK/list"
secs=$(( $(date +%s) - start ))
sort -o "$WORK/svp" "$WORK/svp"

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

printf 'third-party captures: %d read in %ds, %d frames, %d flows (tcp+udp)\n' "$total" "$secs" "$frames_total" "$flows_total"
printf 'TCP flows vs tshark conv,tcp: %d agree, %d differ as explained, %d unexplained\n' "$agree" "$explained" "$bad"
printf 'crashes/failed runs: %d, hangs: %d, sanitizer reports: %d\n' "$crash" "$hang" "$sanit"
[ $((crash + hang + sanit + bad)) = 0 ]
