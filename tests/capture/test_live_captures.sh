#!/bin/bash
# test_live_captures.sh: make fresh captures of the real servers and clients
# (make-captures.sh, root, network namespace svpcap-flows) and check them as
# test_recorded_captures.sh checks the committed ones.
set -u
BUILD=${1:?build dir}; SRC=${2:?source dir}
SVP=$(readlink -f "${SVPASSIVE:-$BUILD/svpassive}")
[ "$(id -u)" = 0 ] || { echo "needs root (network namespace, servers)" >&2; exit 77; }
OUT=$(mktemp -d /tmp/svp-live-captures.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
bash "$SRC/tests/capture/make-captures.sh" "$OUT" || { echo "could not make the captures" >&2; exit 1; }
bash "$SRC/tests/capture/check-all.sh" "$SVP" "$OUT"
