# shellcheck shell=bash disable=SC2034,SC2154
# tests/active/lib.sh: what the active-mode tests share. Source it after
# setting build= and src=. Uses tests/lab/lib.sh for installs, background
# processes (stopped by PID), captures and the EXIT trap.
#
#   act_init NAME              lab_init + the trap that also removes our netns
#   act_netns_up NAME IDX      namespace svpact-NAME joined by veth sva<IDX>h/n:
#                                here  10.207.IDX.1   fd00:207:IDX::1  (the prober)
#                                there 10.207.IDX.2   fd00:207:IDX::2  (+ .3 .. .N
#                                      with act_netns_addr)
#   act_netns_addr ADDR        one more address inside the current namespace
#   act_wait_ready NAME [SEC]  wait until lab_bg NAME's log has a line "ready"
#   act_quiet_connect ADDR PORT  connect and close, sending nothing (a port
#                              that shows up in a capture as SYN/SYN-ACK only)
#   act_check ...              tests/active/probecheck.py with Debian's python3
#   act_svp ...                the svpassive under test ($SVPASSIVE)
. "$src/tests/lab/lib.sh"

ACT_DIR=$src/tests/active
declare -ga ACT_NETNS=()

act_cleanup() {
  local rc=$? ns
  (exit $rc)
  lab_cleanup
  for ns in "${ACT_NETNS[@]}"; do
    ip netns del "$ns" 2>/dev/null
    rm -rf "/etc/netns/$ns"
  done
  return $rc
}

act_init() {
  lab_require_root
  local t
  for t in ip tcpdump; do
    command -v "$t" >/dev/null || lab_install iproute2 tcpdump ||
      { echo "skip: $t not installed and apt failed" >&2; exit 77; }
  done
  [ -x "${SVPASSIVE:-}" ] || SVPASSIVE=$build/svpassive
  LAB_WORK=$build/active-$1
  rm -rf "$LAB_WORK"
  lab_init "active-$1"
  LAB_WORK_OWNED=$LAB_WORK # removed when the test passes (LAB_KEEP=1 keeps it)
  trap act_cleanup EXIT
}

act_netns_up() {
  local name=$1 idx=$2
  local ns=svpact-$name h=sva${idx}h n=sva${idx}n
  lab_netns_claim "$ns" "$h" || return 1   # lock the names, remove leftovers
  mkdir -p "/etc/netns/$ns"
  echo "nameserver 127.0.0.1" >"/etc/netns/$ns/resolv.conf"
  ip netns add "$ns" || return 1
  ACT_NETNS+=("$ns")
  ip link add "$h" type veth peer name "$n" netns "$ns" || return 1
  ip addr add "10.207.$idx.1/24" dev "$h"
  ip -6 addr add "fd00:207:$idx::1/64" dev "$h" nodad
  ip link set "$h" up
  ip netns exec "$ns" ip link set lo up
  ip netns exec "$ns" ip addr add "10.207.$idx.2/24" dev "$n"
  ip netns exec "$ns" ip -6 addr add "fd00:207:$idx::2/64" dev "$n" nodad
  ip netns exec "$ns" ip link set "$n" up
  ip netns exec "$ns" ip route add default via "10.207.$idx.1" 2>/dev/null || true
  # correct checksums and wire-sized segments in the captures
  if command -v ethtool >/dev/null || lab_install ethtool >/dev/null; then
    ethtool -K "$h" rx off tx off tso off gso off gro off >/dev/null 2>&1
    ip netns exec "$ns" ethtool -K "$n" rx off tx off tso off gso off gro off >/dev/null 2>&1
  fi
  LAB_NS=$ns
  ACT_IFACE=$h
  ACT_IDX=$idx
  ACT_THERE=10.207.$idx.2
  ACT_THERE6=fd00:207:$idx::2
  # both ends up (carrier) before anything is sent
  local i
  for i in $(seq 1 50); do
    ip link show "$h" | grep -q LOWER_UP && return 0
    sleep 0.1
  done
  lab_log "namespace $ns: link $h does not come up"
  return 1
}

act_netns_addr() {
  case $1 in
    *:*) ip netns exec "$LAB_NS" ip -6 addr add "$1/64" dev "sva${ACT_IDX}n" nodad ;;
    *) ip netns exec "$LAB_NS" ip addr add "$1/24" dev "sva${ACT_IDX}n" ;;
  esac
}

act_wait_ready() {
  local log=$LAB_WORK/log/$1.log n
  for n in $(seq 1 $((${2:-30} * 5))); do
    grep -q '^ready' "$log" 2>/dev/null && return 0
    sleep 0.2
  done
  cat "$log" >&2
  lab_die "$1 did not start"
}

act_quiet_connect() {
  "$LAB_PY" - "$1" "$2" <<'EOF'
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
s.close()
EOF
}

act_check() { "$LAB_PY" "$ACT_DIR/probecheck.py" "$@"; }

act_svp() { "$SVPASSIVE" "$@"; }

# act_json_field FILE ADDR PORT FIELD: a field of one endpoint of a JSON Lines
# inventory ("" if the endpoint is missing; dotted names reach into objects).
act_json_field() {
  "$LAB_PY" - "$@" <<'EOF'
import json, sys
path, addr, port, field = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
for line in open(path):
    e = json.loads(line)
    if e["addr"] == addr and e["port"] == port:
        v = e
        for k in field.split("."):
            v = v.get(k) if isinstance(v, dict) else None
        print("" if v is None else v)
        break
EOF
}

# act_expect WHAT GOT WANT
act_expect() {
  if [ "$2" = "$3" ]; then
    echo "ok: $1: $2" >&2
  else
    echo "FAIL: $1: got '$2', want '$3'" >&2
    ACT_FAILED=1
  fi
}
ACT_FAILED=0
