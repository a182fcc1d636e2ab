# Postfix smtpd (Debian postfix), server speaks first (SMTP).
# A private instance: own config, queue and data directories, master run in
# the foreground, services unchrooted.  Client: Python's smtplib.
srv_postfix_pkgs() { echo postfix; }
srv_postfix_port() { echo 25; }
srv_postfix_install() { lab_install postfix; }

srv_postfix_start() {
  local addr=$1 port=$2 d=$LAB_WORK/postfix
  mkdir -p "$d/etc" "$d/spool" "$d/data"
  local listen=$addr
  case $addr in *:*) listen="[$addr]" ;; esac
  cat >"$d/etc/main.cf" <<CFG
compatibility_level = 3.6
queue_directory = $d/spool
data_directory = $d/data
myhostname = mail.lab.test
mydomain = lab.test
mydestination =
inet_interfaces = $addr
inet_protocols = all
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
maillog_file = $d/maillog
maillog_file_prefixes = $d
alias_maps =
alias_database =
local_transport = error:local delivery disabled
smtpd_banner = \$myhostname ESMTP \$mail_name (Debian/GNU)
biff = no
smtpd_peername_lookup = no
CFG
  # Services smtpd needs for a session that ends at RCPT/DATA, unchrooted.
  cat >"$d/etc/master.cf" <<CFG
$listen:$port inet n - n - - smtpd
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n -  0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n -  - trivial-rewrite
bounce    unix  - - n -  0 bounce
defer     unix  - - n -  0 bounce
trace     unix  - - n -  0 bounce
verify    unix  - - n -  1 verify
proxymap  unix  - - n -  - proxymap
error     unix  - - n -  - error
retry     unix  - - n -  - error
discard   unix  - - n -  - discard
anvil     unix  - - n -  1 anvil
scache    unix  - - n -  1 scache
postlog   unix-dgram n - n - 1 postlogd
smtp      unix  - - n -  - smtp
relay     unix  - - n -  - smtp
showq     unix  n - n -  - showq
flush     unix  n - n 1000? 0 flush
CFG
  lab_ns_exec postfix -c "$d/etc" set-permissions >"$LAB_WORK/log/postfix-setup.log" 2>&1 ||
    lab_ns_exec postfix -c "$d/etc" check >>"$LAB_WORK/log/postfix-setup.log" 2>&1
  lab_bg postfix /usr/lib/postfix/sbin/master -c "$d/etc" -d
  lab_wait_port "$addr" "$port"
}
srv_postfix_client() { "$LAB_PY" "$LAB_DIR/clients.py" smtp "$1" "$2"; }
srv_postfix_session_open() { lab_session_open postfix-session "$LAB_PY" "$LAB_DIR/clients.py" smtp-session "$1" "$2"; }
srv_postfix_session_more() { lab_session_send postfix-session "more"; }
