#!/bin/bash
# check-all.sh SVPASSIVE DIR: every case of a capture set made by
# make-captures.sh through check_flows.py. Exit 0 if all hold.
set -u
SVP=$1; D=$2; HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3; [ -x $PY ] || PY=python3
rc=0
run() { $PY "$HERE/check_flows.py" "$SVP" "$@" || rc=1; }
run normal "$D/normal.pcap" "$D/normal.jsonl"
run sll2 "$D/sll2.pcap" "$D/normal.jsonl"
run midstream "$D/midstream.pcap" "$D/midstream.jsonl"
run holes "$D/holes.pcap" "$D/normal.jsonl" "$D/holes.json"
run reordered "$D/reordered.pcap" "$D/normal.jsonl" "$D/reordered.json"
run banner-first "$D/banner-first.pcap" "$D/normal.jsonl" "$D/banner-first.json"
run qinq "$D/qinq.pcap" "$D/normal.jsonl" "$D/qinq.json"
exit $rc
