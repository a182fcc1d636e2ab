# Dropbear sshd (Debian dropbear-bin), server speaks first; client: OpenSSH's
# ssh-keyscan and ssh (key exchange, then a refused public-key login).
srv_dropbear_pkgs() { echo dropbear-bin; }
srv_dropbear_port() { echo 2222; }
srv_dropbear_install() { lab_install dropbear-bin openssh-client; }

srv_dropbear_start() {
  local addr=$1 port=$2 d=$LAB_WORK/dropbear
  mkdir -p "$d"
  [ -f "$d/host_ed25519" ] || dropbearkey -t ed25519 -f "$d/host_ed25519" >/dev/null 2>&1
  local listen="$addr:$port"
  case $addr in *:*) listen="[$addr]:$port" ;; esac
  # -F foreground, -E log to stderr, -s no password logins.
  lab_bg dropbear /usr/sbin/dropbear -F -E -s -p "$listen" -r "$d/host_ed25519" -P "$d/dropbear.pid"
  lab_wait_port "$addr" "$port"
}
srv_dropbear_client() {
  ssh-keyscan -p "$2" -T 5 "$1" >/dev/null 2>&1 || return 1
  ssh -q -p "$2" -o BatchMode=yes -o StrictHostKeyChecking=no \
      -o UserKnownHostsFile=/dev/null -o ConnectTimeout=10 "lab@$1" true 2>/dev/null
  return 0
}
