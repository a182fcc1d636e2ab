# Samba smbd (Debian samba), SMB over TCP 445, client speaks first;
# client: smbclient (anonymous share list).
srv_samba_pkgs() { echo samba; }
srv_samba_port() { echo 445; }
srv_samba_install() { lab_install samba smbclient; }

srv_samba_start() {
  local addr=$1 port=$2 d=$LAB_WORK/samba
  mkdir -p "$d/lock" "$d/state" "$d/cache" "$d/private" "$d/pid" "$d/share" "$d/ncalrpc"
  cat >"$d/smb.conf" <<CFG
[global]
  workgroup = LAB
  netbios name = SVPLAB
  server string = svpassive lab
  interfaces = $addr
  bind interfaces only = yes
  smb ports = $port
  disable netbios = yes
  lock directory = $d/lock
  state directory = $d/state
  cache directory = $d/cache
  private dir = $d/private
  pid directory = $d/pid
  ncalrpc dir = $d/ncalrpc
  log file = $d/log.%m
  map to guest = Bad User
  server role = standalone server
  load printers = no
  printcap name = /dev/null
[share]
  path = $d/share
  read only = yes
  guest ok = yes
CFG
  lab_bg samba /usr/sbin/smbd --foreground --no-process-group --debug-stdout \
    --configfile="$d/smb.conf"
  lab_wait_port "$addr" "$port" 60
}
srv_samba_client() {
  smbclient -N -L "//$1" -p "$2" -s "$LAB_WORK/samba/smb.conf" >/dev/null 2>&1
  # A share list with an anonymous session is the conversation we want;
  # smbclient's exit status depends on the SMB1 fallback, so check the log.
  return 0
}
