# OpenSSH sshd (Debian openssh-server), server speaks first.
srv_openssh_pkgs() { echo openssh-server openssh-client; }
srv_openssh_port() { echo 22; }
srv_openssh_install() { lab_install openssh-server openssh-client; }

srv_openssh_start() {
  local addr=$1 port=$2 d=$LAB_WORK/openssh
  mkdir -p "$d" /run/sshd
  [ -f "$d/host_ed25519" ] || ssh-keygen -q -N '' -t ed25519 -f "$d/host_ed25519"
  [ -f "$d/host_rsa" ] || ssh-keygen -q -N '' -t rsa -b 2048 -f "$d/host_rsa"
  [ -f "$d/client" ] || ssh-keygen -q -N '' -t ed25519 -f "$d/client"
  cp "$d/client.pub" "$d/authorized_keys"
  local listen=$addr
  case $addr in *:*) listen="[$addr]" ;; esac
  cat >"$d/sshd_config" <<CFG
ListenAddress $listen:$port
HostKey $d/host_ed25519
HostKey $d/host_rsa
PidFile $d/sshd.pid
AuthorizedKeysFile $d/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
UseDNS no
CFG
  lab_bg openssh /usr/sbin/sshd -D -e -f "$d/sshd_config"
  lab_wait_port "$addr" "$port"
}

_srv_openssh_ssh() {
  local addr=$1 port=$2; shift 2
  ssh -q -i "$LAB_WORK/openssh/client" -p "$port" -o BatchMode=yes \
      -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
      -o ConnectTimeout=10 "root@$addr" "$@"
}

srv_openssh_client() {
  local addr=$1 port=$2
  ssh-keyscan -p "$port" -T 5 "$addr" >/dev/null 2>&1
  _srv_openssh_ssh "$addr" "$port" 'echo lab; uname -s' >/dev/null
}

# Mid-conversation: a shell session whose later lines travel on the same
# (already established) connection.
srv_openssh_session_open() { lab_session_open ssh-session _srv_openssh_ssh "$1" "$2" cat; }
srv_openssh_session_more() { lab_session_send ssh-session "more traffic on the old connection"; }
