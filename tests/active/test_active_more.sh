#!/bin/bash
# test_active_more.sh BUILDDIR SRCDIR: UDP probing, tcpwrapped, --max-probes.
#
# In the namespace svpact-more (10.207.5.0/24):
#   10.207.5.2:5354/udp  dnsmasq (Debian dnsmasq-base); the capture holds one
#                        datagram no probe resembles and dnsmasq's FORMERR
#                        answer, which no rule names
#   10.207.5.2:7100      accepts and closes at once (test_server.py close)
#   10.207.5.2:7200      answers bytes no rule knows and closes (garbage)
# svpassive --active --max-probes 3 must: identify dnsmasq with nmap's UDP
# DNSVersionBindReq probe (after RPCCheck, as planned: UDP has no NULL
# probe), report 7100 as tcpwrapped after the NULL probe alone, and stop
# 7200 after exactly 3 probes; the bytes sent (TCP and UDP) are the dry
# run's.
set -u
build=${1:?BUILDDIR} src=${2:?SRCDIR}
. "$src/tests/active/lib.sh"
act_init more
lab_install dnsmasq-base || { echo "skip: dnsmasq-base not installable" >&2; exit 77; }
act_netns_up more 5 || exit 1

mkdir -p "$LAB_WORK/dnsmasq"
lab_bg dnsmasq /usr/sbin/dnsmasq -k --conf-file=/dev/null --bind-interfaces \
  --listen-address="$ACT_THERE" --port=5354 --pid-file="$LAB_WORK/dnsmasq/pid" \
  --no-resolv --no-hosts --user=root --group=root
lab_bg close "$LAB_PY" "$ACT_DIR/test_server.py" close "$ACT_THERE:7100"
lab_bg garbage "$LAB_PY" "$ACT_DIR/test_server.py" garbage "$ACT_THERE:7200"
act_wait_ready close
act_wait_ready garbage
lab_wait_port "$ACT_THERE" 5354 30 || lab_die "dnsmasq did not start"

lab_capture_start "$ACT_IFACE" "$LAB_WORK/passive.pcap" || exit 1
"$LAB_PY" - "$ACT_THERE" <<'PY' || lab_die "dnsmasq did not answer"
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.sendto(bytes.fromhex("abcd0000000000000000000000"), (sys.argv[1], 5354))
s.recvfrom(512)
PY
act_quiet_connect "$ACT_THERE" 7100 || true
act_quiet_connect "$ACT_THERE" 7200
lab_capture_stop

act_svp -q -r "$LAB_WORK/passive.pcap" --active --scope "$ACT_THERE" --max-probes 3 --dry-run \
  -oJ /dev/null >"$LAB_WORK/dry.txt" || lab_die "dry run failed"
cat "$LAB_WORK/dry.txt" >&2
lab_capture_start "$ACT_IFACE" "$LAB_WORK/probe.pcap" || exit 1
act_svp -r "$LAB_WORK/passive.pcap" --active --scope "$ACT_THERE" --max-probes 3 \
  -oJ "$LAB_WORK/active.jsonl" >/dev/null 2>"$LAB_WORK/active.err" || lab_die "active run failed"
lab_capture_stop
cat "$LAB_WORK/active.err" >&2
J=$LAB_WORK/active.jsonl
act_expect "5354/udp" "$(act_json_field "$J" "$ACT_THERE" 5354 service)/$(act_json_field "$J" "$ACT_THERE" 5354 product)/$(act_json_field "$J" "$ACT_THERE" 5354 method)" domain/dnsmasq/active
act_expect "5354/udp probe" "$(act_json_field "$J" "$ACT_THERE" 5354 evidence.probe)" DNSVersionBindReq
act_expect "7100 service/conf" "$(act_json_field "$J" "$ACT_THERE" 7100 service)/$(act_json_field "$J" "$ACT_THERE" 7100 conf)" tcpwrapped/8
act_expect "7100 connections (the NULL probe only)" "$(act_check count-syn "$LAB_WORK/probe.pcap" "$ACT_THERE" 7100)" 1
act_expect "7200 connections (--max-probes 3)" "$(act_check count-syn "$LAB_WORK/probe.pcap" "$ACT_THERE" 7200)" 3
grep -q "1 cut at --max-probes" "$LAB_WORK/active.err" || { echo "FAIL: summary does not count the cut" >&2; ACT_FAILED=1; }
act_check compare "$LAB_WORK/dry.txt" "$LAB_WORK/probe.pcap" >&2 ||
  { echo "FAIL: the bytes sent differ from the dry run" >&2; ACT_FAILED=1; }
exit $ACT_FAILED
