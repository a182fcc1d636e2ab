#!/bin/bash
# wait-capturing.sh PID [SECONDS]: wait until process PID (a `svpassive -i
# IFACE` started in the background) has its capture open: a packet socket of
# its own is listed in /proc/net/packet. From then on the kernel queues what
# the interface carries for it, however long the program still takes to
# start (rules, sanitizers, a loaded machine), so a test can send traffic
# without guessing with sleep. Exit 0 when open; 1 if PID ended or SECONDS
# (default 60) passed.
pid=${1:?PID} t=${2:-60}
end=$((SECONDS + t))
while [ $SECONDS -lt $end ]; do
  kill -0 "$pid" 2>/dev/null || { echo "wait-capturing: process $pid ended" >&2; exit 1; }
  for fd in /proc/"$pid"/fd/*; do
    link=$(readlink "$fd" 2>/dev/null) || continue
    case $link in
      "socket:["*"]")
        inode=${link#socket:[}; inode=${inode%]}
        # /proc/net/packet: sk RefCnt Type Proto Iface R Rmem User Inode
        if awk -v i="$inode" 'NR > 1 && $9 == i { found = 1 } END { exit !found }' /proc/net/packet; then
          sleep 0.3   # the filter is set right after the socket is bound
          exit 0
        fi ;;
    esac
  done
  sleep 0.1
done
echo "wait-capturing: process $pid has no capture open after ${t}s" >&2
exit 1
