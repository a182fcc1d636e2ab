# rsync daemon (Debian rsync), server speaks first; client: rsync.
srv_rsyncd_pkgs() { echo rsync; }
srv_rsyncd_port() { echo 873; }
srv_rsyncd_install() { lab_install rsync; }

srv_rsyncd_start() {
  local addr=$1 port=$2 d=$LAB_WORK/rsyncd
  mkdir -p "$d/share"
  echo "lab file" >"$d/share/readme.txt"
  cat >"$d/rsyncd.conf" <<CFG
pid file = $d/rsyncd.pid
use chroot = no
uid = nobody
gid = nogroup
[share]
  path = $d/share
  comment = svpassive lab
  read only = yes
CFG
  chmod -R a+rX "$d/share"
  lab_bg rsyncd /usr/bin/rsync --daemon --no-detach --config="$d/rsyncd.conf" \
    --address="$addr" --port="$port" --log-file="$d/rsyncd.log"
  lab_wait_port "$addr" "$port"
}
srv_rsyncd_client() {
  local url="rsync://$1:$2"
  case $1 in *:*) url="rsync://[$1]:$2" ;; esac
  rsync --contimeout=10 "$url/" >/dev/null &&
  rsync --contimeout=10 "$url/share/readme.txt" "$LAB_WORK/rsync-copy.txt"
}
