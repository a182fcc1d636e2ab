#!/bin/bash
# test_active_rate.sh BUILDDIR SRCDIR: active mode's rate limits, measured
# from a capture of the probes themselves.
#
# Servers (tests/active/test_server.py garbage) answer every connection with
# bytes no rule matches and close it, so each probe ends at once and only
# svpassive's limits pace the probing. Each endpoint gets the full plan at the
# default intensity (NULL, GenericLines, GetRequest, SSLSessionReq,
# TLSSessionReq), every probe on a new connection: one SYN per probe.
#   1. global limit: 40 endpoints on 10 hosts, --max-rate 20 (per host
#      unlimited): the mean rate of SYNs over the run within 10% of 20/s, no
#      two SYNs closer than 0.9/20 s, never more than --max-parallel 8
#      connections at once nor more than one per host;
#   2. per-host limit: 8 endpoints on one host, --host-rate 5 (overall
#      unlimited): within 10% of 5/s; and the bytes of every connection are
#      the dry run's, in its order (here every probe of the plan goes out).
# The probe count in svpassive's summary must equal the SYNs captured.
set -u
build=${1:?BUILDDIR} src=${2:?SRCDIR}
. "$src/tests/active/lib.sh"
act_init rate
act_netns_up rate 2 || exit 1

hosts=""
for h in $(seq 10 19); do
  act_netns_addr "10.207.2.$h"
  hosts="$hosts 10.207.2.$h"
done
act_netns_addr 10.207.2.30
specs=""
for h in $hosts; do
  for p in 6001 6002 6003 6004; do specs="$specs $h:$p"; done
done
for p in $(seq 7001 7008); do specs="$specs 10.207.2.30:$p"; done
# shellcheck disable=SC2086
lab_bg garbage "$LAB_PY" "$ACT_DIR/test_server.py" garbage $specs
act_wait_ready garbage

lab_capture_start "$ACT_IFACE" "$LAB_WORK/passive.pcap" tcp || exit 1
for s in $specs; do act_quiet_connect "${s%:*}" "${s##*:}"; done
lab_capture_stop

# run NAME SCOPE ARGS...: the active run and its probe capture
run() {
  local name=$1 scope=$2; shift 2
  lab_capture_start "$ACT_IFACE" "$LAB_WORK/$name.pcap" tcp || exit 1
  act_svp -r "$LAB_WORK/passive.pcap" --active --scope "$scope" "$@" \
    -oJ "$LAB_WORK/$name.jsonl" >/dev/null 2>"$LAB_WORK/$name.err" ||
    lab_die "$name: svpassive failed: $(cat "$LAB_WORK/$name.err")"
  lab_capture_stop
  grep "active:" "$LAB_WORK/$name.err" >&2
  local sent syns
  sent=$(sed -n 's/.*active: [0-9]* endpoints probed, \([0-9]*\) probes sent.*/\1/p' "$LAB_WORK/$name.err")
  syns=$(act_check count-syn "$LAB_WORK/$name.pcap" 10.207.2.)
  act_expect "$name: probes in the summary = SYNs captured" "$syns" "$sent"
}

# 1. the global limit
run global "$(echo "$hosts" | tr ' ' ',' | sed 's/^,//')" --max-rate 20 --host-rate 1000 --max-parallel 8
act_check rate "$LAB_WORK/global.pcap" 10.207.2. 20 --max-parallel 8 >&2 || ACT_FAILED=1
# 2. the per-host limit; every probe of the plan goes out here (nothing
#    matches), so the dry run's bytes are compared in full
act_svp -q -r "$LAB_WORK/passive.pcap" --active --scope 10.207.2.30 --dry-run \
  -oJ /dev/null >"$LAB_WORK/perhost-dry.txt" || lab_die "dry run failed"
run perhost 10.207.2.30 --max-rate 1000 --host-rate 5
act_check rate "$LAB_WORK/perhost.pcap" 10.207.2.30 5 --per-host --max-parallel 1 >&2 || ACT_FAILED=1
act_check compare "$LAB_WORK/perhost-dry.txt" "$LAB_WORK/perhost.pcap" >&2 || ACT_FAILED=1
exit $ACT_FAILED
