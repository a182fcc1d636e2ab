# Dovecot POP3 (Debian dovecot-pop3d), server speaks first.  Client: poplib.
. "$LAB_DIR/servers/_dovecot.sh"
srv_dovecot_pop3_pkgs() { echo dovecot-pop3d; }
srv_dovecot_pop3_port() { echo 110; }
srv_dovecot_pop3_install() { lab_install dovecot-pop3d; }
srv_dovecot_pop3_start() { _lab_dovecot_start dovecot_pop3 pop3 "$1" "$2"; }
srv_dovecot_pop3_client() { "$LAB_PY" "$LAB_DIR/clients.py" pop3 "$1" "$2"; }
srv_dovecot_pop3_session_open() { lab_session_open pop3-session "$LAB_PY" "$LAB_DIR/clients.py" pop3-session "$1" "$2"; }
srv_dovecot_pop3_session_more() { lab_session_send pop3-session "more"; }
