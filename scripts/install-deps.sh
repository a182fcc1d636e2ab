#!/bin/sh
# install-deps.sh: install what svpassive needs from Debian 12's packages.
#   scripts/install-deps.sh          build and run: compiler, cmake, libpcap,
#                                    PCRE2, libnids, OpenSSL's libcrypto,
#                                    nmap's rule files
#   scripts/install-deps.sh --test   also what the test suite runs: nmap,
#                                    tcpdump, tshark, xmllint, ndiff, python3
# (The lab tests install the server programs they start themselves.)
set -eu
build_pkgs="build-essential cmake pkg-config libpcap-dev libpcre2-dev libnids-dev libssl-dev nmap-common"
test_pkgs="nmap tcpdump tshark libxml2-utils ndiff python3 iproute2 procps"
pkgs=$build_pkgs
[ "${1:-}" = "--test" ] && pkgs="$pkgs $test_pkgs"

missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps.sh: missing packages:$missing (run as root to install them)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
echo "install-deps.sh: installing$missing"
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >/dev/null ||
  { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends $missing >/dev/null; }
