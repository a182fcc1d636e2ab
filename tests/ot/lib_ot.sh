# lib_ot.sh: helpers of the OT test scripts, on top of tests/lab/lib.sh
# (source that first).
#
# ot_netns_up NAME IDX: network namespace svpot-NAME joined to this side by
# the veth pair svpotIDXh / svpotIDXn, 10.202.IDX.1 here and 10.202.IDX.2
# (fd00:202:IDX::2) inside, offloads off so captured checksums and segments
# are the wire's. Sets LAB_NS, LAB_IFACE, LAB_ADDR4. The caller's EXIT trap
# deletes the namespace (ot_netns_down).
ot_netns_up() {
  local ns=svpot-$1 idx=$2 h=svpot${2}h n=svpot${2}n
  lab_netns_claim "$ns" "$h" || return 1   # lock the names, remove leftovers
  ip netns add "$ns" || return 1
  ip link add "$h" type veth peer name "$n" netns "$ns" || return 1
  ip addr add "10.202.$idx.1/24" dev "$h"
  ip -6 addr add "fd00:202:$idx::1/64" dev "$h" nodad
  ip link set "$h" up
  ip netns exec "$ns" ip link set lo up
  ip netns exec "$ns" ip addr add "10.202.$idx.2/24" dev "$n"
  ip netns exec "$ns" ip -6 addr add "fd00:202:$idx::2/64" dev "$n" nodad
  ip netns exec "$ns" ip link set "$n" up
  if command -v ethtool >/dev/null; then
    ethtool -K "$h" rx off tx off tso off gso off gro off >/dev/null 2>&1
    ip netns exec "$ns" ethtool -K "$n" rx off tx off tso off gso off gro off >/dev/null 2>&1
  fi
  LAB_NS=$ns LAB_IFACE=$h LAB_ADDR4=10.202.$idx.2
  export LAB_NS LAB_IFACE LAB_ADDR4
  sleep 1   # let the pair come up before a capture starts
}
ot_netns_down() { ip netns del "svpot-$1" 2>/dev/null; return 0; }

# ot_active_check CAPTURE SCOPE ADDR PORT SERVICE PROBE [PRODUCT [VERSION]]:
# run `svpassive --active` on CAPTURE (which holds no payload of the
# service) and require ADDR:PORT to come out as SERVICE through PROBE, with
# PRODUCT (substring) and VERSION (exact) when given; PROBE "" accepts
# any probe (a softmatch sends nmap on to the other probes that know the
# service, and one of those may give the final hard match). Prints one TAP
# line.
ot_active_check() {
  local cap=$1 scope=$2 addr=$3 port=$4 svc=$5 probe=$6 prod=${7:-} ver=${8:-}
  local out=$cap.active.json
  "${SVPASSIVE:-$build/svpassive}" -q -r "$cap" --active --scope "$scope" \
    --version-intensity 6 -oJ "$out" >/dev/null 2>"$out.err" || [ $? -eq 1 ] ||
    { echo "not ok - svpassive --active failed: $(tail -3 "$out.err")"; return 1; }
  python3 - "$out" "$addr" "$port" "$svc" "$probe" "$prod" "$ver" <<'PY'
import json, sys
out, addr, port, svc, probe, prod, ver = sys.argv[1:8]
e = [x for x in map(json.loads, open(out)) if x["addr"] == addr and x["port"] == int(port)]
ok = (len(e) == 1 and e[0]["service"] == svc and e[0]["method"] == "active"
      and (not probe or (e[0].get("evidence") or {}).get("probe") == probe)
      and prod in (e[0].get("product") or "") and (not ver or e[0].get("version") == ver))
got = e and {k: e[0].get(k) for k in ("service", "product", "version", "match", "method")}
if e:
    got["probe"] = (e[0].get("evidence") or {}).get("probe")
print("%s - active %s on %s:%s: %s" % ("ok" if ok else "not ok", probe or "probes", addr,
                                         port, got))
sys.exit(0 if ok else 1)
PY
}
