#!/bin/bash
# run-lab.sh: the agreement lab.  Real servers in a network namespace, real
# clients talking to them while tcpdump records, then nmap -sV against the
# same servers as the reference.
#
# usage: tests/lab/run-lab.sh MODE OUTDIR [SERVER...]   (default: every server file)
#   MODE normal     servers on 10.201.1.2 (.3 for a second server wanting the
#                   same port); each client runs one conversation
#                   (handshakes captured)
#        midstream  servers on 10.201.2.2; long-lived client sessions are opened
#                   FIRST, the capture starts afterwards, and more traffic then
#                   flows on those same connections (no handshake in the
#                   capture); only servers with srv_<name>_session_open take part
#        ipv6       as normal, on fd00:201:3::2
#        install    run-lab.sh install [SERVER...]: install the servers' packages
#                   (apt, npm) and stop
# OUTDIR receives:
#   capture.pcap  what the clients and servers said (nmap's traffic is not in it)
#   nmap.xml      nmap -sV -oX against the servers' ports    nmap.txt  its normal output
#   servers.tsv   name, addr, port, proto, packages with versions, client status
#   README        mode, date, commands
# Exit status 0 when the capture and the nmap run exist; clients that failed are
# marked in servers.tsv (and make the run fail when LAB_STRICT=1).
set -u
. "$(dirname "$0")/lib.sh"
lab_require_root

mode=${1:-}; outdir=${2:-}
if [ "$mode" = install ]; then
  # Only the packages (apt, npm) of the servers named (default: all), and
  # nothing else: lab-runs.sh installs once before running modes in parallel.
  shift
  lab_init lab-install
  lab_install nmap tcpdump ethtool || exit 1
  lab_source_servers
  if [ $# -gt 0 ]; then servers=("$@"); else mapfile -t servers < <(lab_servers); fi
  lab_install_all "${servers[@]}" || lab_log "some packages did not install"
  for s in "${servers[@]}"; do
    lab_has "$s" install && { "srv_${s}_install" || lab_log "$s: install failed"; }
  done
  exit 0
fi
[ -n "$mode" ] && [ -n "$outdir" ] || { sed -n '2,25p' "$0" >&2; exit 2; }
shift 2
case $mode in
  normal) idx=1 ;; midstream) idx=2 ;; ipv6) idx=3 ;;
  *) echo "run-lab.sh: unknown mode $mode" >&2; exit 2 ;;
esac
mkdir -p "$outdir"; outdir=$(cd "$outdir" && pwd)

lab_init "lab-$mode"
lab_install nmap tcpdump || exit 1
lab_source_servers
if [ $# -gt 0 ]; then servers=("$@"); else mapfile -t servers < <(lab_servers); fi
if [ "$mode" = midstream ]; then
  with_sessions=()
  for s in "${servers[@]}"; do lab_has "$s" session_open && with_sessions+=("$s"); done
  servers=("${with_sessions[@]}")
fi

if [ "$mode" = ipv6 ]; then
  # A server file may say its program has no IPv6 (srv_<name>_ipv6 returns 1).
  v6=()
  for s in "${servers[@]}"; do
    if lab_has "$s" ipv6 && ! "srv_${s}_ipv6"; then
      lab_log "$s: no IPv6 support (srv_${s}_ipv6); skipped"; LAB_FAILED+=("$s:no-ipv6")
    else
      v6+=("$s")
    fi
  done
  servers=("${v6[@]}")
fi

lab_netns_up "lab$idx" "$idx" || lab_die "cannot create the namespace"
if [ "$mode" = ipv6 ]; then
  addr=$LAB_ADDR6 LAB_ALT_ADDR=$LAB_ADDR6B nmap_family=-6
else
  addr=$LAB_ADDR4 LAB_ALT_ADDR=$LAB_ADDR4B nmap_family=
fi

lab_start_servers "$addr" "${servers[@]}"
[ ${#LAB_STARTED[@]} -gt 0 ] || lab_die "no server started"
lab_log "started ${#LAB_STARTED[@]} servers: ${LAB_START_TIMES%, }"
[ ${#LAB_FAILED[@]} -eq 0 ] || lab_log "not started: ${LAB_FAILED[*]}"

declare -A status=()
run_client() { # NAME: srv_NAME_client ADDR PORT, its exit status
  timeout 60 bash -c '"$@"' _ "srv_$1_client" "${LAB_ADDR_OF[$1]}" "${LAB_PORT[$1]%/*}" \
    >>"$LAB_WORK/log/client-$1.log" 2>&1
}
# Client functions run in a child bash (timeout needs a program): give it
# the server files' functions and the lab's state.
export -f $(declare -F | awk '{print $3}')
export LAB_DIR LAB_SRCDIR LAB_PY LAB_NS LAB_WORK

capture_filter=(host "$addr" or host "$LAB_ALT_ADDR")
if [ "$mode" = midstream ]; then
  # Sessions first (their handshakes stay out of the capture) ...
  for s in "${LAB_STARTED[@]}"; do
    "srv_${s}_session_open" "${LAB_ADDR_OF[$s]}" "${LAB_PORT[$s]%/*}" && status[$s]=ok || status[$s]=failed
  done
  sleep 3
  lab_capture_start "$LAB_IFACE" "$outdir/capture.pcap" "${capture_filter[@]}" || exit 1
  # ... then more traffic on those connections, twice, a little apart.
  for round in 1 2; do
    for s in "${LAB_STARTED[@]}"; do
      "srv_${s}_session_more" "${LAB_ADDR_OF[$s]}" "${LAB_PORT[$s]%/*}" || status[$s]=failed
    done
    sleep 2
  done
  lab_capture_stop
  for s in "${!LAB_SESSION_FD[@]}"; do lab_session_close "$s"; done
else
  lab_capture_start "$LAB_IFACE" "$outdir/capture.pcap" "${capture_filter[@]}" || exit 1
  # Each client talks to its own server: LAB_CLIENT_JOBS (default 8) at once.
  lab_each "${LAB_CLIENT_JOBS:-8}" run_client "${LAB_STARTED[@]}"
  lab_capture_stop
  for s in "${LAB_STARTED[@]}"; do
    if lab_each_result run_client "$s"; then
      status[$s]=ok
    else
      status[$s]=failed; lab_log "client of $s failed (log: $LAB_WORK/log/client-$s.log)"
    fi
  done
fi

# The reference: one nmap -sV over every started server's port, on the
# address(es) in use (a port not bound on one of them is just closed there).
tports=() uports=() targets=()
for s in "${LAB_STARTED[@]}"; do
  case " ${targets[*]} " in *" ${LAB_ADDR_OF[$s]} "*) ;; *) targets+=("${LAB_ADDR_OF[$s]}") ;; esac
  case ${LAB_PORT[$s]#*/} in
    udp) uports+=("U:${LAB_PORT[$s]%/*}") ;;
    *) tports+=("T:${LAB_PORT[$s]%/*}") ;;
  esac
  if lab_has "$s" nmap_ports; then tports+=($("srv_${s}_nmap_ports")); fi
done
scan=(-sS)
[ ${#uports[@]} -gt 0 ] && scan+=(-sU)
ports=$(printf '%s\n' "${tports[@]}" "${uports[@]}" | awk 'NF && !seen[$0]++' | paste -sd,)
nmap_cmd=(nmap $nmap_family "${scan[@]}" -sV -Pn -n -p "$ports" "${targets[@]}")
lab_log "reference: ${nmap_cmd[*]}"
"${nmap_cmd[@]}" -oX "$outdir/nmap.xml" -oN "$outdir/nmap.txt" >/dev/null 2>"$LAB_WORK/log/nmap.err" ||
  lab_die "nmap failed: $(cat "$LAB_WORK/log/nmap.err")"

{
  printf 'name\taddr\tport\tproto\tpackages\tclient\n'
  for s in "${LAB_STARTED[@]}"; do
    pk=""
    for p in $("srv_${s}_pkgs"); do pk="$pk${pk:+, }$(lab_pkg_version "$p")"; done
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$s" "${LAB_ADDR_OF[$s]}" "${LAB_PORT[$s]%/*}" "${LAB_PORT[$s]#*/}" \
      "$pk" "${status[$s]:-none}"
  done
} >"$outdir/servers.tsv"
{
  echo "mode: $mode"
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "made by: tests/lab/run-lab.sh $mode (namespace svplab-lab$idx, capture on $LAB_IFACE)"
  echo "capture filter: ${capture_filter[*]}"
  echo "reference: ${nmap_cmd[*]} ($(nmap --version | head -1))"
  echo "servers started: ${LAB_STARTED[*]}"
  echo "servers not started: ${LAB_FAILED[*]:-none}"
} >"$outdir/README"

# Server and client logs beside the results (small; the work dir goes away).
mkdir -p "$outdir/logs"
cp "$LAB_WORK"/log/*.log "$outdir/logs/" 2>/dev/null

nfail=0
for s in "${LAB_STARTED[@]}"; do [ "${status[$s]:-}" = ok ] || nfail=$((nfail + 1)); done
lab_log "$mode: ${#LAB_STARTED[@]} servers, $nfail client failures; output in $outdir"
if [ "${LAB_STRICT:-0}" = 1 ] && { [ $nfail -gt 0 ] || [ ${#LAB_FAILED[@]} -gt 0 ]; }; then
  exit 1
fi
exit 0
