#!/bin/bash
# test_recorded_captures.sh: the committed real-traffic captures in
# tests/capture/captures/ (made by make-captures.sh: nginx, OpenSSH and Redis
# with clients that recorded their bytes; IPv4 and IPv6; SLL2; mid-stream;
# holes; reordering; a banner before the handshake ACK; QinQ) through
# `svpassive --flows`, checked against the clients' records.
set -u
BUILD=${1:?build dir}; SRC=${2:?source dir}
SVP=$(readlink -f "${SVPASSIVE:-$BUILD/svpassive}")
exec bash "$SRC/tests/capture/check-all.sh" "$SVP" "$SRC/tests/capture/captures"
