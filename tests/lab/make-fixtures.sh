#!/bin/bash
# make-fixtures.sh: raw server responses plus nmap's verdict on them, for the
# rule engine's tests (tests/fixtures/responses/<server>/).
#
# usage: tests/lab/make-fixtures.sh [SERVER...]     (default: every server file;
#        naming servers refreshes only their fixtures)
#
# For each server: start the real program in the namespace svplab-fix, run
# `nmap -sV --version-trace` against its port while tcpdump records the scan,
# then cut out of that capture the bytes the server sent on the connection
# (or UDP exchange) of the probe whose response nmap matched
# (labpy/fixture.py).  These are exactly the bytes nmap matched: nothing is
# replayed, so values that change with time (uptimes, dates) agree with
# nmap.xml.  Files written per server:
#   probe         the probe name (one line)      proto   tcp or udp
#   response.bin  the server's raw bytes         match   hard|soft PROBE LINE SERVICE
#   nmap.xml      nmap -sV -oX for that port     SOURCE  packages, versions, commands, date
#   trace         nmap's --version-trace output for that scan: the rules' own
#                 verdict, before any NSE version script rewrote the service
#                 (snmp-info does), and whether the final match was soft
# A server nmap does not identify gets no fixture (reported at the end).
set -u
. "$(dirname "$0")/lib.sh"
lab_require_root
lab_init fixtures
lab_install nmap tcpdump || exit 1
lab_source_servers

OUT=$LAB_SRCDIR/tests/fixtures/responses
PARALLEL=${LAB_PARALLEL:-6}
if [ $# -gt 0 ]; then servers=("$@"); else mapfile -t servers < <(lab_servers); fi

lab_netns_up fix 10 || lab_die "cannot create the namespace"
addr=$LAB_ADDR4

LAB_ALT_ADDR=$LAB_ADDR4B
lab_start_servers "$addr" "${servers[@]}"
[ ${#LAB_STARTED[@]} -gt 0 ] || lab_die "no server started"
started=("${LAB_STARTED[@]}")
failed=("${LAB_FAILED[@]}")
declare -n port_of=LAB_PORT

lab_capture_start "$LAB_IFACE" "$LAB_WORK/nmap-session.pcap" host "$addr" or host "$LAB_ADDR4B" || exit 1
nmap_cmd() { # SERVER -> the nmap command line for its port
  local s=$1 port=${port_of[$1]%/*} proto=${port_of[$1]#*/} a=${LAB_ADDR_OF[$1]}
  if [ "$proto" = udp ]; then
    echo "nmap -sU -sV --version-trace -Pn -n -p U:$port $a"
  else
    echo "nmap -sV --version-trace -Pn -n -p T:$port $a"
  fi
}
# One nmap per port, a few at a time (waiting on their own PIDs only: the
# servers and tcpdump are background jobs of this shell too).
scans=()
for s in "${started[@]}"; do
  mkdir -p "$LAB_WORK/out/$s"
  $(nmap_cmd "$s") -oX "$LAB_WORK/out/$s/nmap.xml" >"$LAB_WORK/out/$s/trace.txt" 2>&1 &
  scans+=($!)
  if [ ${#scans[@]} -ge "$PARALLEL" ]; then wait "${scans[0]}"; scans=("${scans[@]:1}"); fi
done
for pid in "${scans[@]}"; do wait "$pid"; done
lab_capture_stop

nmap_version=$(nmap --version | head -1)
made=()
for s in "${started[@]}"; do
  w=$LAB_WORK/out/$s port=${port_of[$s]%/*} proto=${port_of[$s]#*/}
  if ! "$LAB_PY" "$LAB_DIR/labpy/fixture.py" "$w/trace.txt" "$LAB_WORK/nmap-session.pcap" \
        "${LAB_ADDR_OF[$s]}" "$port" "$proto" "$w" >"$w/summary.txt"; then
    failed+=("$s:no-match"); continue
  fi
  {
    echo "server: $s (tests/lab/servers/$s.sh), $proto port $port"
    for p in $("srv_${s}_pkgs"); do echo "package: $(lab_pkg_version "$p")"; done
    echo "reference: $nmap_version, $(lab_pkg_version nmap-common)"
    echo "command: $(nmap_cmd "$s") -oX nmap.xml"
    echo "made by: tests/lab/make-fixtures.sh (response.bin cut from a capture of that scan)"
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    cat "$w/summary.txt"
    grep -o '<service [^>]*>' "$w/nmap.xml" | head -1 | sed 's/^/nmap: /'
  } >"$w/SOURCE"
  rm -rf "${OUT:?}/$s"
  mkdir -p "$OUT/$s"
  cp "$w/probe" "$w/proto" "$w/response.bin" "$w/match" "$w/nmap.xml" "$w/SOURCE" "$OUT/$s/"
  cp "$w/trace.txt" "$OUT/$s/trace"
  made+=("$s")
done

echo "fixtures written (${#made[@]}): ${made[*]}"
[ ${#failed[@]} -eq 0 ] || echo "no fixture: ${failed[*]}"
