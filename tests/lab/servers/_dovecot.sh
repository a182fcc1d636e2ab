# Shared by dovecot_imap.sh and dovecot_pop3.sh: one private dovecot
# instance per protocol, plaintext login for user lab / labpass.
_lab_dovecot_start() {
  local name=$1 proto=$2 addr=$3 port=$4 d=$LAB_WORK/$1
  mkdir -p "$d/run" "$d/state" "$d/mail"
  chown mail:mail "$d/mail"
  echo "lab:{PLAIN}labpass" >"$d/passwd"
  cat >"$d/dovecot.conf" <<CFG
base_dir = $d/run
state_dir = $d/state
instance_name = svplab-$name
protocols = $proto
listen = $addr
log_path = $d/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:$d/mail/%u
first_valid_uid = $(id -u mail)
first_valid_gid = $(id -g mail)
passdb {
  driver = passwd-file
  args = $d/passwd
}
userdb {
  driver = static
  args = uid=mail gid=mail home=$d/mail/%u
}
service imap-login {
  inet_listener imap {
    port = $([ "$proto" = imap ] && echo "$port" || echo 0)
  }
  inet_listener imaps {
    port = 0
  }
}
service pop3-login {
  inet_listener pop3 {
    port = $([ "$proto" = pop3 ] && echo "$port" || echo 0)
  }
  inet_listener pop3s {
    port = 0
  }
}
CFG
  lab_bg "$name" /usr/sbin/dovecot -F -c "$d/dovecot.conf"
  lab_wait_port "$addr" "$port"
}
