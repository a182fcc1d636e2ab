#!/bin/bash
# test_manpage.sh: docs/svpassive.1 stays in step with the program.
#  - it renders without warnings (groff -ww; mandoc -T lint when installed)
#    and lexgrog finds its NAME line;
#  - every option `svpassive --help` lists is documented in it (as a
#    .TP/.B item), and it documents no option the program does not know;
#  - its EXIT STATUS values are those of include/svp/cli/cmd.h.
# Usage (ctest): bash test_manpage.sh BUILDDIR SRCDIR
set -u
src=$2
man=$src/docs/svpassive.1
bin=${SVPASSIVE:-$1/svpassive}
command -v groff >/dev/null || { echo "skip: groff not installed" >&2; exit 77; }
[ -x "$bin" ] || { echo "FAIL: no svpassive binary at $bin" >&2; exit 1; }
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if ! groff -man -Tutf8 -ww -z "$man" 2>"$tmp/groff.err" || [ -s "$tmp/groff.err" ]; then
  echo "FAIL: groff warnings:" >&2
  cat "$tmp/groff.err" >&2
  fail=1
fi
if command -v mandoc >/dev/null; then
  if ! mandoc -T lint -W warning "$man" >"$tmp/mandoc.out" 2>&1; then
    echo "FAIL: mandoc -T lint:" >&2
    cat "$tmp/mandoc.out" >&2
    fail=1
  fi
fi
if command -v lexgrog >/dev/null && ! lexgrog "$man" | grep -q 'svpassive - '; then
  echo "FAIL: lexgrog finds no NAME line" >&2
  fail=1
fi

# Options from --help: words starting with '-' at the start of an item.
"$bin" --help >"$tmp/help.txt"
grep -oE '^  +(-[A-Za-z]|--[a-z][a-z-]*)(, --[a-z-]+| / --[a-z-]+)?' "$tmp/help.txt" |
  tr ',/' '\n\n' | tr -d ' ' | grep -E '^-' | sort -u >"$tmp/help.opts"
[ "$(wc -l <"$tmp/help.opts")" -ge 30 ] || { echo "FAIL: parsed only $(wc -l <"$tmp/help.opts") options from --help" >&2; fail=1; }
# Options the man page documents: .TP items' option words.
groff -man -Tascii -P-cbou "$man" 2>/dev/null >"$tmp/man.txt"
awk '/^\.TP/{getline; for (i = 1; i <= NF; i++) print $i}' "$man" | tr -d '"' |
  grep -E '^\\-' | sed 's/\\//g' | grep -oE '^--?[A-Za-z][A-Za-z-]*' | sort -u >"$tmp/man.opts"
while read -r o; do
  # -o takes its format letter: the page documents -oN, -oX, ...
  [ "$o" = "-o" ] && continue
  grep -qxF -- "$o" "$tmp/man.opts" || { echo "FAIL: $o (in --help) is not documented in svpassive.1" >&2; fail=1; }
done <"$tmp/help.opts"
for o in -oN -oX -oG -oJ -oA; do
  grep -qxF -- "$o" "$tmp/man.opts" || { echo "FAIL: $o is not documented" >&2; fail=1; }
  grep -q -- "^  $o " "$tmp/help.txt" || { echo "FAIL: $o missing from --help" >&2; fail=1; }
done
while read -r o; do
  case "$o" in -o[NXGJA]) continue ;; esac
  grep -qxF -- "$o" "$tmp/help.opts" || { echo "FAIL: svpassive.1 documents $o, which --help does not list" >&2; fail=1; }
done <"$tmp/man.opts"

# Exit codes: "SVP_EXIT_X = N" in cmd.h, ".B N" items under EXIT STATUS.
grep -oE 'SVP_EXIT_[A-Z]+ = [0-9]+' "$src/include/svp/cli/cmd.h" | awk '{print $3}' | sort >"$tmp/codes.h"
sed -n '/^\.SH EXIT STATUS/,/^\.SH /p' "$man" | awk '/^\.TP/{getline; print $2}' | sort >"$tmp/codes.man"
if ! cmp -s "$tmp/codes.h" "$tmp/codes.man" || [ ! -s "$tmp/codes.h" ]; then
  echo "FAIL: exit codes: cmd.h has $(tr '\n' ' ' <"$tmp/codes.h"), svpassive.1 $(tr '\n' ' ' <"$tmp/codes.man")" >&2
  fail=1
fi

[ $fail -eq 0 ] && echo "ok: svpassive.1 lints clean, documents $(wc -l <"$tmp/help.opts") options and $(wc -l <"$tmp/codes.h") exit codes"
exit $fail
