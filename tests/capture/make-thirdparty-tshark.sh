#!/bin/bash
# make-thirdparty-tshark.sh: write thirdparty-tshark.tsv, tshark's TCP
# conversation count (`tshark -q -z conv,tcp`) for every capture in
# tests/pcaps/third-party. test_thirdparty.sh compares svpassive with these
# numbers and re-checks a sample of them against the installed tshark.
set -eu
export LC_ALL=C
HERE=$(cd "$(dirname "$0")" && pwd)
cd "$HERE/../pcaps/third-party"
{
  echo "# tshark -q -z conv,tcp conversation counts, $(tshark --version | head -1)"
  echo "# made by tests/capture/make-thirdparty-tshark.sh; file<TAB>conversations"
  find . -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) | sed 's|^\./||' | sort |
    xargs -P2 -I{} sh -c 'printf "%s\t%s\n" "$1" "$(tshark -r "$1" -q -z conv,tcp 2>/dev/null | grep -c "<->")"' _ {} | sort
} > "$HERE/thirdparty-tshark.tsv"
