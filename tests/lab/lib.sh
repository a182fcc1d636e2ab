# tests/lab/lib.sh: helpers for the lab of real servers and clients.
# Source it from bash:  . "$(dirname "$0")/lib.sh"   (tests/lab/README.md
# describes the conventions).  Everything here runs as root, installs Debian
# packages without starting their services, and stops only the processes it
# started itself (recorded by PID in $LAB_WORK/pids).
#
# Public functions (all prefixed lab_):
#   lab_require_root                 exit 77 (skip) unless root
#   lab_init NAME                    make $LAB_WORK, install the EXIT trap
#   lab_install PKG...               apt install, quiet, idempotent, no service start
#   lab_npm_install DIR PKG...       npm install into DIR (idempotent)
#   lab_bg NAME CMD...               start CMD in the background (inside $LAB_NS
#                                    when set), log to $LAB_WORK/log/NAME.log
#   lab_bg_client NAME CMD...        the same, never inside $LAB_NS (clients)
#   lab_pid NAME                     PID recorded for NAME
#   lab_stop NAME / lab_stop_all     stop recorded processes (TERM, wait, KILL)
#   lab_wait_port ADDR PORT [T]      wait until a TCP port accepts (inside $LAB_NS)
#   lab_wait_udp ADDR PORT [T]       wait until something is bound to a UDP port
#   lab_netns_up NAME IDX            namespace svplab-NAME + veth pair, v4 + v6
#   lab_netns_down NAME              delete it (also done by the EXIT trap)
#   lab_netns_claim NS VETH          machine-wide lock on these names for this
#                                    run, then remove leftovers carrying them
#   lab_lock NAME [SECONDS]          machine-wide lock NAME, held until exit
#   lab_capture_start IFACE FILE [FILTER...]  tcpdump -U -s0 by PID
#   lab_capture_stop                 stop it and wait for the file to be flushed
#   lab_session_open NAME CMD...     long-lived client fed from a FIFO
#   lab_session_send NAME TEXT       write one line to it
#   lab_session_close NAME           close its stdin (client sees EOF)
#   lab_ns_exec CMD...               run CMD inside $LAB_NS (or here when unset)
#   lab_pkg_version PKG              "PKG VERSION" as dpkg knows it
#   lab_log MSG / lab_die MSG

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB_SRCDIR=$(cd "$LAB_DIR/../.." && pwd)
LAB_PY=/usr/bin/python3          # Debian's python3: stdlib clients only
LAB_NS=${LAB_NS:-}               # current network namespace for servers ("" = none)
LAB_WORK=${LAB_WORK:-}
LAB_WORK_OWNED=""                # removed at exit when the run succeeded
LAB_CAPTURE_NAME=""
declare -gA LAB_SESSION_FD=()
declare -ga LAB_NETNS=()

lab_log() { printf '%s lab: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
lab_die() { lab_log "ERROR: $*"; exit 1; }

lab_require_root() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "lab: needs root (installs packages, creates network namespaces)" >&2
    exit 77
  fi
}

# lab_init NAME: private work dir under tests/lab/work/ (git-ignored), unless
# LAB_WORK is already set by the caller; EXIT trap stops everything we started.
lab_init() {
  local name=${1:-run}
  if [ -z "$LAB_WORK" ]; then
    mkdir -p "$LAB_DIR/work"
    LAB_WORK=$(mktemp -d "$LAB_DIR/work/$name.XXXXXX")
    LAB_WORK_OWNED=$LAB_WORK
    chmod 755 "$LAB_WORK"   # daemons drop to their own users and read configs here
  fi
  mkdir -p "$LAB_WORK/log" "$LAB_WORK/run"
  : >"$LAB_WORK/pids"
  export LAB_WORK
  trap lab_cleanup EXIT
  trap 'exit 130' INT TERM
}

lab_cleanup() {
  local rc=$?
  lab_capture_stop 2>/dev/null || true
  local s
  for s in "${!LAB_SESSION_FD[@]}"; do lab_session_close "$s"; done
  lab_stop_all
  local ns
  for ns in "${LAB_NETNS[@]}"; do lab_netns_down "$ns"; done
  # A run that succeeded leaves nothing behind unless asked (LAB_KEEP=1);
  # a failed run keeps its logs for a look.
  if [ "$rc" -eq 0 ] && [ "${LAB_KEEP:-0}" != 1 ] && [ -n "$LAB_WORK_OWNED" ]; then
    rm -rf "$LAB_WORK_OWNED"
  elif [ -n "$LAB_WORK" ]; then
    lab_log "work files kept in $LAB_WORK"
  fi
  return $rc
}

lab_pkg_version() {
  dpkg-query -W -f='${Package} ${Version}\n' "$1" 2>/dev/null || echo "$1 (not installed)"
}

# lab_install PKG...: install the missing packages from Debian.  Package
# scripts may not start their daemons: a policy-rc.d that answers 101 is in
# place during the install (an existing one is left alone).
declare -ga LAB_COLLECTED=()
LAB_COLLECT=0
_lab_missing_debs() {   # one dpkg-query for all: prints " PKG" per missing one
  dpkg-query -W -f='${Package} ${Status}\n' "$@" 2>/dev/null |
    awk 'BEGIN { for (i = 1; i < ARGC; i++) want[ARGV[i]] = 1; ARGC = 1 }
         / ok installed$/ { delete want[$1] }
         END { for (p in want) printf " %s", p }' "$@"
}
lab_install() {
  local missing
  if [ "$LAB_COLLECT" = 1 ]; then     # lab_install_all's first pass
    LAB_COLLECTED+=("$@"); return 0
  fi
  missing=$(_lab_missing_debs "$@")
  [ -z "$missing" ] && return 0
  # One apt run at a time on this machine (ours or another lab's): dpkg's
  # own lock is waited for below, but policy-rc.d must not be removed by
  # one run while another is still installing.
  local lockfd
  lab_lock_fd apt 900 lockfd || return 1
  missing=$(_lab_missing_debs "$@")
  if [ -z "$missing" ]; then lab_unlock_fd "$lockfd"; return 0; fi
  lab_log "installing$missing"
  local made_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\n# svpassive lab: no service starts during installs\nexit 101\n' \
      >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    made_policy=1
  fi
  # Answers for packages that would otherwise ask or configure too much.
  debconf-set-selections <<'EOF'
postfix postfix/main_mailer_type select No configuration
slapd slapd/no_configuration boolean true
EOF
  local rc=0 opts="-y -q --no-install-recommends -o DPkg::Lock::Timeout=600"
  # (apt does not get the lock's fd: a daemon some package script left
  # running would hold the lock for good)
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive apt-get install $opts $missing \
      >"${LAB_WORK:-/tmp}/apt.log" 2>&1 {lockfd}>&- ||
    { DEBIAN_FRONTEND=noninteractive apt-get update -q -o DPkg::Lock::Timeout=600 \
        >>"${LAB_WORK:-/tmp}/apt.log" 2>&1 {lockfd}>&- &&
      DEBIAN_FRONTEND=noninteractive apt-get install $opts $missing \
        >>"${LAB_WORK:-/tmp}/apt.log" 2>&1 {lockfd}>&-; } || rc=$?
  [ $made_policy = 1 ] && rm -f /usr/sbin/policy-rc.d
  lab_unlock_fd "$lockfd"
  if [ $rc -ne 0 ]; then
    tail -5 "${LAB_WORK:-/tmp}/apt.log" >&2
    lab_log "apt-get install failed for:$missing"
    return 1
  fi
}

# lab_npm_install DIR PKG...: npm packages into DIR/node_modules.
_lab_missing_npm() {
  local dir=$1 p; shift
  for p in "$@"; do
    [ -d "$dir/node_modules/${p%@*}" ] || printf ' %s' "$p"
  done
}
lab_npm_install() {
  local dir=$1; shift
  local missing
  mkdir -p "$dir"
  [ "$LAB_COLLECT" = 1 ] && return 0
  missing=$(_lab_missing_npm "$dir" "$@")
  [ -z "$missing" ] && return 0
  # node/npm may come from Debian or another source (whose nodejs conflicts
  # with Debian's npm): install Debian's only when the commands are missing.
  { command -v node && command -v npm; } >/dev/null || lab_install nodejs npm || return 1
  # Two tests may want the same directory at once: one installs, the other
  # waits and then finds the packages there.
  local lockfd rc=0
  lab_lock_fd "npm-$(printf '%s' "$dir" | md5sum | cut -c1-12)" 900 lockfd || return 1
  missing=$(_lab_missing_npm "$dir" "$@")
  if [ -n "$missing" ]; then
    lab_log "npm installing$missing into $dir"
    # shellcheck disable=SC2086
    (cd "$dir" && npm install --no-audit --no-fund --loglevel=error $missing) \
      >"${LAB_WORK:-/tmp}/npm.log" 2>&1 {lockfd}>&- || rc=$?
  fi
  lab_unlock_fd "$lockfd"
  [ $rc -eq 0 ] || { tail -5 "${LAB_WORK:-/tmp}/npm.log" >&2; return 1; }
}

# Machine-wide locks (flock on /run/lock/svpassive/NAME.lock) for what every
# run on this machine shares: apt, namespace and interface names. Another
# clone's suite or a developer's build directory may run the same test at
# the same time; it then waits instead of tearing down our namespace.
# lab_lock_fd NAME SECONDS VAR: take the lock, its fd in VAR (close it to
# release with lab_unlock_fd); lab_lock NAME [SECONDS]: take it until this
# shell exits.
# Processes started by lab_bg do not inherit these fds.
declare -ga LAB_LOCK_FDS=()
lab_lock_fd() {
  local name=$1 wait=$2 __fd
  local -n __out=$3
  mkdir -p /run/lock/svpassive
  exec {__fd}>"/run/lock/svpassive/$name.lock" || return 1
  if ! flock -n "$__fd"; then
    lab_log "waiting for the lock $name (another run on this machine holds it)"
    if ! flock -w "$wait" "$__fd"; then
      lab_log "lock $name still held after ${wait}s by: $(fuser "/run/lock/svpassive/$name.lock" 2>/dev/null)"
      exec {__fd}>&-
      return 1
    fi
  fi
  LAB_LOCK_FDS+=("$__fd")
  __out=$__fd
}
lab_lock() {
  local fd
  lab_lock_fd "$1" "${2:-1800}" fd
}
lab_unlock_fd() {
  local fd=$1 i
  exec {fd}>&-
  for i in "${!LAB_LOCK_FDS[@]}"; do
    [ "${LAB_LOCK_FDS[$i]}" = "$fd" ] && unset "LAB_LOCK_FDS[$i]"
  done
  return 0
}

# lab_netns_claim NS VETH: lock the namespace name NS and the host-side
# interface name VETH for this run, then remove what a run that died left
# under those names (processes inside NS, NS, VETH). Holding the locks, a
# namespace or interface of that name can only be a leftover.
lab_netns_claim() {
  local ns=$1 veth=$2 pids i
  lab_lock "netns-$ns" || return 1
  lab_lock "link-$veth" || return 1
  if ip netns list 2>/dev/null | grep -qw "^$ns"; then
    pids=$(ip netns pids "$ns" 2>/dev/null)
    # shellcheck disable=SC2086
    [ -z "$pids" ] || { lab_log "leftover processes in $ns: $(echo $pids); KILL"; kill -KILL $pids 2>/dev/null; }
    ip netns del "$ns" 2>/dev/null
  fi
  # The host end goes away with its namespace, a moment later.
  for i in $(seq 1 30); do
    ip link show "$veth" >/dev/null 2>&1 || return 0
    sleep 0.1
  done
  lab_log "leftover interface $veth: deleted"
  ip link del "$veth" 2>/dev/null
  ! ip link show "$veth" >/dev/null 2>&1
}

lab_ns_exec() {
  if [ -n "$LAB_NS" ]; then ip netns exec "$LAB_NS" "$@"; else "$@"; fi
}

# Process bookkeeping.  Each process gets its own session (setsid without a
# fork keeps $! the program's PID), so that its children (forking daemons,
# per-connection workers) can be stopped with it as one process group.


lab_bg() {
  local name=$1; shift
  [ -n "$LAB_WORK" ] || lab_die "lab_bg before lab_init"
  # A shell function runs in a child bash: it must be self-contained.
  if declare -F "$1" >/dev/null; then
    export -f "$1"
    set -- bash -c '"$@"' _ "$@"
  fi
  local fd
  if [ -n "$LAB_NS" ]; then
    set -- ip netns exec "$LAB_NS" "$@"
  fi
  (
    for fd in "${LAB_LOCK_FDS[@]}"; do exec {fd}>&-; done
    exec setsid "$@" >"$LAB_WORK/log/$name.log" 2>&1 </dev/null
  ) &
  local pid=$! st=0
  _lab_starttime_to st "$pid"
  echo "$pid $st $name" >>"$LAB_WORK/pids"
}

# lab_bg_client NAME CMD...: as lab_bg, but always in this namespace (clients
# must cross the veth to be captured).
lab_bg_client() {
  local save_ns=$LAB_NS
  LAB_NS=""
  lab_bg "$@"
  LAB_NS=$save_ns
}

lab_pid() {
  awk -v n="$1" '$3 == n { p = $1 } END { if (p) print p }' "$LAB_WORK/pids"
}

# _lab_group_members ENTRIES: "PID NAME" for every live process (zombies
# excluded) of the process groups in ENTRIES, lines "PGID START NAME" as in
# $LAB_WORK/pids: processes of group PGID (the PID we recorded; lab_bg made
# it a group leader) started no earlier than START (clock ticks since boot,
# recorded at launch), i.e. our leader and its children. Processes started
# before our leader can never qualify. One ps for all groups.
_lab_group_members() {
  local pid pgid stat start name st
  local -A first=() label=()
  while read -r pgid start name; do
    [ -n "$pgid" ] || continue
    first[$pgid]=$start label[$pgid]=$name
  done <<<"$1"
  while read -r pid pgid stat; do
    [ -n "${first[$pgid]:-}" ] || continue
    case $stat in Z*) continue ;; esac
    _lab_starttime_to st "$pid" || continue
    [ "$st" -ge "${first[$pgid]}" ] && echo "$pid ${label[$pgid]}"
  done < <(ps -e -o pid=,pgid=,stat=)
}
# _lab_starttime_to VAR PID: field 22 of /proc/PID/stat, without a fork
# (the command name in field 2 may hold spaces and parentheses).
_lab_starttime_to() {
  local line f
  read -r line <"/proc/$2/stat" 2>/dev/null || return 1
  read -ra f <<<"${line##*) }"
  [ -n "${f[19]:-}" ] || return 1
  printf -v "$1" '%s' "${f[19]}"
}

# _lab_kill_entries ENTRIES: TERM every member of these groups at once, wait
# up to 5 s for all of them, then KILL what is left (and say whose it was).
_lab_kill_entries() {
  local entries=$1 members i
  members=$(_lab_group_members "$entries")
  [ -z "$members" ] && return 0
  # shellcheck disable=SC2046
  kill -TERM $(cut -d' ' -f1 <<<"$members") 2>/dev/null
  for i in $(seq 1 50); do
    members=$(_lab_group_members "$entries")
    [ -z "$members" ] && return 0
    sleep 0.1
  done
  lab_log "ignored TERM, KILLed: $(awk '{ n[$2] = n[$2] " " $1 } END { for (k in n) printf "%s (pid%s) ", k, n[k] }' <<<"$members")"
  # shellcheck disable=SC2046
  kill -KILL $(cut -d' ' -f1 <<<"$members") 2>/dev/null
  return 0
}

lab_stop() {
  local want=$1 entries pid
  [ -f "$LAB_WORK/pids" ] || return 0
  entries=$(awk -v n="$want" '$3 == n' "$LAB_WORK/pids")
  [ -n "$entries" ] || return 0
  _lab_kill_entries "$entries"
  for pid in $(cut -d' ' -f1 <<<"$entries"); do wait "$pid" 2>/dev/null; done
  return 0
}

lab_stop_all() {
  [ -n "$LAB_WORK" ] && [ -f "$LAB_WORK/pids" ] || return 0
  # All at once (captures and sessions were ended before, by their owners).
  _lab_kill_entries "$(cat "$LAB_WORK/pids")"
  : >"$LAB_WORK/pids"
}

# lab_wait_port ADDR PORT [TIMEOUT]: TCP connect succeeds (from inside $LAB_NS).
lab_wait_port() {
  local addr=$1 port=$2 t=${3:-30}
  lab_ns_exec "$LAB_PY" - "$addr" "$port" "$t" <<'EOF' && return 0
import socket, sys, time
addr, port, deadline = sys.argv[1], int(sys.argv[2]), time.time() + float(sys.argv[3])
while time.time() < deadline:
    try:
        socket.create_connection((addr, port), timeout=1).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)
EOF
  lab_log "nothing accepts on $addr port $port after ${t}s"
  return 1
}

# lab_wait_udp ADDR PORT [TIMEOUT]: a UDP socket is bound to ADDR:PORT.
lab_wait_udp() {
  local addr=$1 port=$2 t=${3:-30} i
  for i in $(seq 1 $((t * 10))); do
    lab_ns_exec ss -Hlun "sport = :$port" 2>/dev/null | grep -q . && return 0
    sleep 0.1
  done
  lab_log "nothing bound to udp $addr port $port after ${t}s"
  return 1
}

# lab_netns_up NAME IDX: namespace svplab-NAME joined to this namespace by a
# veth pair svlIDXh (here) / svlIDXn (there).
#   here:  10.201.IDX.1/24  fd00:201:IDX::1/64
#   there: 10.201.IDX.2/24  fd00:201:IDX::2/64   (servers bind these)
#          10.201.IDX.3/24  fd00:201:IDX::3/64   (second address: port clashes)
# Checksum offload, TSO/GSO/GRO are turned off on both ends so that captured
# packets carry correct checksums and wire-sized segments.
# Other test groups with their own address plan set, before calling:
#   LAB_NS_PREFIX (svplab-), LAB_VETH_PREFIX (svl), LAB_NET4 (10.201), LAB_NET6 (fd00:201).
lab_netns_up() {
  local name=$1 idx=$2
  local pfx=${LAB_NS_PREFIX:-svplab-} v4=${LAB_NET4:-10.201} v6=${LAB_NET6:-fd00:201}
  local ns=$pfx$name h=${LAB_VETH_PREFIX:-svl}${idx}h n=${LAB_VETH_PREFIX:-svl}${idx}n
  case $name in "$pfx"*) ns=$name ;; esac
  lab_netns_claim "$ns" "$h" || return 1
  # Name lookups inside the namespace fail at once (nothing listens on
  # 127.0.0.1:53 there) instead of timing out against the host's resolver.
  mkdir -p "/etc/netns/$ns"
  echo "nameserver 127.0.0.1" >"/etc/netns/$ns/resolv.conf"
  ip netns add "$ns" || return 1
  LAB_NETNS+=("$ns")
  ip link add "$h" type veth peer name "$n" netns "$ns" || return 1
  ip addr add "$v4.$idx.1/24" dev "$h"
  ip -6 addr add "$v6:$idx::1/64" dev "$h" nodad
  ip link set "$h" up
  ip netns exec "$ns" ip link set lo up
  ip netns exec "$ns" ip addr add "$v4.$idx.2/24" dev "$n"
  ip netns exec "$ns" ip -6 addr add "$v6:$idx::2/64" dev "$n" nodad
  # A second address for servers whose port is taken on the first.
  ip netns exec "$ns" ip addr add "$v4.$idx.3/24" dev "$n"
  ip netns exec "$ns" ip -6 addr add "$v6:$idx::3/64" dev "$n" nodad
  ip netns exec "$ns" ip link set "$n" up
  ip netns exec "$ns" ip route add default via "$v4.$idx.1" 2>/dev/null || true
  lab_install ethtool >/dev/null || true
  if command -v ethtool >/dev/null; then
    ethtool -K "$h" rx off tx off tso off gso off gro off >/dev/null 2>&1
    ip netns exec "$ns" ethtool -K "$n" rx off tx off tso off gso off gro off >/dev/null 2>&1
  else
    lab_log "no ethtool: captured checksums on $h may be wrong (offload)"
  fi
  LAB_NS=$ns
  LAB_IFACE=$h
  LAB_ADDR4=$v4.$idx.2
  LAB_ADDR6=$v6:$idx::2
  LAB_ADDR4B=$v4.$idx.3
  LAB_ADDR6B=$v6:$idx::3
  LAB_PEER4=$v4.$idx.1
  LAB_PEER6=$v6:$idx::1
  export LAB_NS LAB_IFACE LAB_ADDR4 LAB_ADDR6 LAB_ADDR4B LAB_ADDR6B LAB_PEER4 LAB_PEER6
}

lab_netns_down() {
  local ns=$1 pfx=${LAB_NS_PREFIX:-svplab-}
  case $ns in "$pfx"*) ;; *) ns=$pfx$ns ;; esac
  rm -rf "/etc/netns/$ns"
  ip netns list 2>/dev/null | grep -qw "^$ns" || return 0
  # lab_stop_all has stopped what we recorded; a process still inside (a
  # daemon that left its process group) was started by us too, since the
  # namespace is ours, and would keep the veth pair alive: end it.
  local pids i
  pids=$(ip netns pids "$ns" 2>/dev/null)
  if [ -n "$pids" ]; then
    lab_log "stopping leftover processes in $ns: $(echo $pids)"
    # shellcheck disable=SC2086
    kill -TERM $pids 2>/dev/null
    for i in $(seq 1 30); do
      [ -z "$(ip netns pids "$ns" 2>/dev/null)" ] && break
      sleep 0.1
    done
    pids=$(ip netns pids "$ns" 2>/dev/null)
    # shellcheck disable=SC2086
    [ -z "$pids" ] || kill -KILL $pids 2>/dev/null
  fi
  ip netns del "$ns" 2>/dev/null
}

# lab_capture_start IFACE FILE [FILTER...]: tcpdump in this namespace (the
# host side of the veth sees both directions), unbuffered, full snaplen.
lab_capture_start() {
  local iface=$1 file=$2; shift 2
  lab_install tcpdump >/dev/null || return 1
  LAB_CAPTURE_NAME=tcpdump-$(basename "$file")
  local save_ns=$LAB_NS
  LAB_NS=""
  # --immediate-mode: packets reach tcpdump at once (not a ring block later),
  # so nothing is still in the kernel when lab_capture_stop ends it.
  lab_bg "$LAB_CAPTURE_NAME" tcpdump -i "$iface" --immediate-mode -U -s 0 -n -Z root \
    -w "$file" "$@"
  LAB_NS=$save_ns
  local i
  for i in $(seq 1 100); do
    grep -q "listening on" "$LAB_WORK/log/$LAB_CAPTURE_NAME.log" 2>/dev/null && return 0
    sleep 0.1
  done
  lab_log "tcpdump did not start: $(cat "$LAB_WORK/log/$LAB_CAPTURE_NAME.log")"
  return 1
}

lab_capture_stop() {
  [ -n "$LAB_CAPTURE_NAME" ] || return 0
  sleep 1              # let the last packets (FIN/ACK exchanges) reach the file
  lab_stop "$LAB_CAPTURE_NAME"
  grep -E "packets (captured|dropped)" "$LAB_WORK/log/$LAB_CAPTURE_NAME.log" >&2 || true
  LAB_CAPTURE_NAME=""
}

# Long-lived clients: CMD reads its stdin from a FIFO that this shell holds
# open, so lines can be sent at any later time on the same connection.
lab_session_open() {
  local name=$1; shift
  local fifo=$LAB_WORK/run/$name.in
  rm -f "$fifo"; mkfifo "$fifo"
  local save_ns=$LAB_NS
  LAB_NS=""
  # lab_bg redirects stdin from /dev/null; the wrapper reopens the FIFO.
  declare -F "$1" >/dev/null && export -f "$1"
  lab_bg "$name" bash -c 'f=$1; shift; "$@" <"$f"' _ "$fifo" "$@"
  LAB_NS=$save_ns
  local fd
  exec {fd}>"$fifo"
  LAB_SESSION_FD[$name]=$fd
}

lab_session_send() {
  local fd=${LAB_SESSION_FD[$1]:-}
  [ -n "$fd" ] || lab_die "no session $1"
  printf '%s\n' "$2" >&"$fd"
}

lab_session_close() {
  local fd=${LAB_SESSION_FD[$1]:-}
  [ -n "$fd" ] || return 0
  exec {fd}>&-
  unset "LAB_SESSION_FD[$1]"
}

# lab_servers: names of the server files present (tests/lab/servers/*.sh).
lab_servers() {
  local f
  for f in "$LAB_DIR"/servers/*.sh; do
    case ${f##*/} in _*) continue ;; esac   # shared helpers, not servers
    [ -e "$f" ] && basename "$f" .sh
  done
}

# lab_source_servers: source every server file.
lab_source_servers() {
  local f
  for f in "$LAB_DIR"/servers/*.sh; do
    # shellcheck disable=SC1090
    [ -e "$f" ] && . "$f"
  done
}

# lab_signature: what a lab run's output depends on, as one checksum: the
# lab's scripts and server files, the files of tests/ they start (tests/ot/
# servers and clients), the versions of the server packages (npm ones
# included), nmap's version and data files. A cached run is reused only
# under the same signature.
lab_signature() {
  local s p f
  lab_source_servers
  {
    cat "$LAB_DIR"/run-lab.sh "$LAB_DIR"/lib.sh "$LAB_DIR"/clients.py "$LAB_DIR"/servers/*.sh
    for f in $(grep -ho '\$LAB_SRCDIR/[A-Za-z0-9_./-]*' "$LAB_DIR"/servers/*.sh | sort -u); do
      cat "$LAB_SRCDIR/${f#\$LAB_SRCDIR/}" 2>/dev/null || echo "missing: $f"
    done
    local debs=()
    for s in $(lab_servers); do
      if lab_has "$s" version; then
        echo "$s $("srv_${s}_version" 2>/dev/null)"
      else
        debs+=($("srv_${s}_pkgs"))
      fi
    done
    dpkg-query -W -f='${Package} ${Version} ${Status}\n' "${debs[@]}" 2>&1 | sort
    nmap --version 2>/dev/null | head -1
    node --version 2>/dev/null
    lab_pkg_version nmap-common
    cat /usr/share/nmap/nmap-service-probes /usr/share/nmap/nmap-services 2>/dev/null
  } | md5sum | cut -d' ' -f1
}

# lab_has NAME FUNC: server file NAME defines srv_NAME_FUNC.
lab_has() { declare -F "srv_$1_$2" >/dev/null; }

# lab_proto NAME: tcp unless the server file says otherwise.
lab_proto() { if lab_has "$1" proto; then "srv_$1_proto"; else echo tcp; fi; }

# lab_each JOBS FUNC ITEM...: FUNC ITEM for every ITEM, each in a subshell,
# at most JOBS at a time. FUNC's exit status and the seconds it took are
# written to $LAB_WORK/run/FUNC.ITEM ("STATUS SECONDS"); read them with
# lab_each_result FUNC ITEM [VAR-FOR-SECONDS]. Waits only for its own
# subshells (the caller's background processes are left alone).
lab_each() {
  local jobs=$1 fn=$2 item p; shift 2
  local running=() left
  for item in "$@"; do
    rm -f "$LAB_WORK/run/$fn.$item"
    ( t0=$SECONDS; "$fn" "$item"; echo "$? $((SECONDS - t0))" >"$LAB_WORK/run/$fn.$item" ) &
    running+=($!)
    while [ ${#running[@]} -ge "$jobs" ]; do
      wait -n "${running[@]}"
      left=()
      for p in "${running[@]}"; do kill -0 "$p" 2>/dev/null && left+=("$p"); done
      running=("${left[@]}")
    done
  done
  for p in "${running[@]}"; do wait "$p"; done
}
lab_each_result() {
  local __rc __secs
  read -r __rc __secs <"$LAB_WORK/run/$1.$2" 2>/dev/null || { __rc=255 __secs=0; }
  [ $# -lt 3 ] || printf -v "$3" '%s' "$__secs"
  return "$__rc"
}

# lab_start_servers ADDR NAME...: install and start each server on its
# default port at ADDR (inside $LAB_NS).  When that port/proto is taken by an
# earlier server and LAB_ALT_ADDR is set, the server goes to LAB_ALT_ADDR
# instead (a second address in the same namespace); otherwise it is skipped.
# Addresses are decided first, then the servers start LAB_START_JOBS
# (default 8) at a time: each start mostly waits for its program to answer.
# Sets LAB_STARTED (names, in order), LAB_FAILED ("name:reason"),
# LAB_PORT[name]="port/proto" and LAB_ADDR_OF[name].
# lab_install_all NAME...: one apt-get run for every package the servers'
# install functions ask for (a dry pass collects them), instead of one each.
lab_install_all() {
  local s
  LAB_COLLECT=1 LAB_COLLECTED=()
  for s in "$@"; do
    lab_has "$s" install && "srv_${s}_install" >/dev/null 2>&1
  done
  LAB_COLLECT=0
  # shellcheck disable=SC2046
  [ ${#LAB_COLLECTED[@]} -eq 0 ] || lab_install $(printf '%s\n' "${LAB_COLLECTED[@]}" | sort -u)
}

declare -ga LAB_STARTED=() LAB_FAILED=()
LAB_START_TIMES=""     # "name Ns, " per started server (where the time goes)
declare -gA LAB_PORT=() LAB_ADDR_OF=()
lab_start_servers() {
  local addr=$1 s port proto other where plan=(); shift
  lab_install_all "$@" || lab_log "some packages did not install; servers that need them will fail"
  for s in "$@"; do
    if ! lab_has "$s" start; then
      lab_log "no server file for $s"; LAB_FAILED+=("$s:missing"); continue
    fi
    port=$("srv_${s}_port"); proto=$(lab_proto "$s")
    where=$addr
    for other in "${!LAB_PORT[@]}"; do
      if [ "${LAB_PORT[$other]}" = "$port/$proto" ] && [ "${LAB_ADDR_OF[$other]}" = "$where" ]; then
        if [ -n "${LAB_ALT_ADDR:-}" ] && [ "$where" = "$addr" ]; then
          where=$LAB_ALT_ADDR
        else
          lab_log "$s: $proto port $port already taken by $other; skipped"
          LAB_FAILED+=("$s:port-clash"); continue 2
        fi
      fi
    done
    # A second pass for the alternate address.
    for other in "${!LAB_PORT[@]}"; do
      if [ "${LAB_PORT[$other]}" = "$port/$proto" ] && [ "${LAB_ADDR_OF[$other]}" = "$where" ]; then
        lab_log "$s: $proto port $port taken on both addresses; skipped"
        LAB_FAILED+=("$s:port-clash"); continue 2
      fi
    done
    if "srv_${s}_install"; then
      plan+=("$s"); LAB_PORT[$s]=$port/$proto; LAB_ADDR_OF[$s]=$where
    else
      lab_log "$s: install failed"; LAB_FAILED+=("$s:install")
    fi
  done
  lab_each "${LAB_START_JOBS:-8}" _lab_start_one "${plan[@]}"
  local secs
  for s in "${plan[@]}"; do
    if lab_each_result _lab_start_one "$s" secs; then
      LAB_STARTED+=("$s"); LAB_START_TIMES+="$s ${secs}s, "
    else
      lab_log "$s did not start (logs: $LAB_WORK/log/)"
      LAB_FAILED+=("$s:start"); unset "LAB_PORT[$s]" "LAB_ADDR_OF[$s]"
    fi
  done
}
_lab_start_one() { "srv_$1_start" "${LAB_ADDR_OF[$1]}" "${LAB_PORT[$1]%/*}"; }
