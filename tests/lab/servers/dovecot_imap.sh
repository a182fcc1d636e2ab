# Dovecot IMAP (Debian dovecot-imapd), server speaks first.  Client: imaplib.
. "$LAB_DIR/servers/_dovecot.sh"
srv_dovecot_imap_pkgs() { echo dovecot-imapd; }
srv_dovecot_imap_port() { echo 143; }
srv_dovecot_imap_install() { lab_install dovecot-imapd; }
srv_dovecot_imap_start() { _lab_dovecot_start dovecot_imap imap "$1" "$2"; }
srv_dovecot_imap_client() { "$LAB_PY" "$LAB_DIR/clients.py" imap "$1" "$2"; }
srv_dovecot_imap_session_open() { lab_session_open imap-session "$LAB_PY" "$LAB_DIR/clients.py" imap-session "$1" "$2"; }
srv_dovecot_imap_session_more() { lab_session_send imap-session "more"; }
