# vsftpd (Debian vsftpd), server speaks first (FTP).  Client: Python's ftplib.
srv_vsftpd_pkgs() { echo vsftpd; }
srv_vsftpd_port() { echo 21; }
srv_vsftpd_install() { lab_install vsftpd; }

srv_vsftpd_start() {
  local addr=$1 port=$2 d=$LAB_WORK/vsftpd
  mkdir -p "$d/pub" /var/run/vsftpd/empty
  echo "lab file" >"$d/pub/readme.txt"
  chmod 755 "$d" "$d/pub"; chmod 644 "$d/pub/readme.txt"
  local family="listen=YES
listen_ipv6=NO
listen_address=$addr"
  case $addr in *:*) family="listen=NO
listen_ipv6=YES
listen_address6=$addr" ;; esac
  cat >"$d/vsftpd.conf" <<CFG
$family
listen_port=$port
background=NO
anonymous_enable=YES
anon_root=$d/pub
local_enable=NO
write_enable=NO
secure_chroot_dir=/var/run/vsftpd/empty
xferlog_enable=NO
vsftpd_log_file=$d/vsftpd.log
seccomp_sandbox=NO
pasv_enable=YES
CFG
  lab_bg vsftpd /usr/sbin/vsftpd "$d/vsftpd.conf"
  lab_wait_port "$addr" "$port"
}
srv_vsftpd_client() {
  "$LAB_PY" "$LAB_DIR/clients.py" ftp "$1" "$2"
}
srv_vsftpd_session_open() { lab_session_open vsftpd-session "$LAB_PY" "$LAB_DIR/clients.py" ftp-session "$1" "$2"; }
srv_vsftpd_session_more() { lab_session_send vsftpd-session "more"; }
