#!/bin/bash
# test_tls_lab.sh: TLS read passively from real servers and clients, checked
# field by field against `openssl x509 -noout -text` and nmap's
# `--script ssl-cert` for the same servers.
#
# The lab makes its own CA and server certificate (known subject and SANs)
# and starts, in the namespace svplab-tls (10.201.41.2):
#   nginx     443  TLS 1.2 only (certificate chain leaf + CA, ALPN http/1.1)
#   nginx    8443  TLS 1.3 only (the certificate travels encrypted)
#   Postfix    25  SMTP with STARTTLS
#   Dovecot   143  IMAP with STARTTLS
#   mosquitto 8883 MQTT over TLS
#   PostgreSQL 5432 ssl=on, psql with sslmode=require
# Clients (curl, Python's smtplib/imaplib, mosquitto_pub, psql) speak TLS 1.2
# where the certificate must be visible. tcpdump records; then nmap -sV
# --script ssl-cert runs against the same ports. svpassive's JSON must give,
# for every certificate seen in clear, the subject, issuer, SANs, key type
# and size, signature algorithm, validity, serial, MD5/SHA-1/SHA-256 that
# openssl prints for the certificate file, and the same as nmap's ssl-cert
# elements; the service checks are in tls_lab_check.py.
# Usage (ctest): bash test_tls_lab.sh BUILDDIR SRCDIR
set -u
build=$1 src=$2
bin=${SVPASSIVE:-$build/svpassive}
. "$src/tests/lab/lib.sh"
lab_require_root
for t in openssl nmap tcpdump python3; do
  command -v $t >/dev/null || { echo "skip: $t not installed" >&2; exit 77; }
done
# Daemons that drop privileges read their files from the work folder: if the
# checkout is not open to them (a 0700 clone), work outside it.
if ! setpriv --reuid=nobody --regid=nogroup --clear-groups test -x "$LAB_DIR"; then
  LAB_WORK=$(mktemp -d "${TMPDIR:-/tmp}/svp-tls-lab.XXXXXX")
  chmod 755 "$LAB_WORK"
  export LAB_WORK
fi
lab_init tls
[ -n "${LAB_WORK_OWNED:-}" ] || LAB_WORK_OWNED=$LAB_WORK
lab_netns_up tls 41 || lab_die "cannot create the namespace"
. "$src/tests/lab/servers/postgresql.sh"
lab_install nginx curl postfix dovecot-imapd mosquitto mosquitto-clients \
  postgresql-15 postgresql-client-15 >/dev/null || lab_die "install failed"
A=$LAB_ADDR4
W=$LAB_WORK
H=secure.realnet.test

# ---- certificates -------------------------------------------------------
pki=$W/pki
mkdir -p "$pki"
openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -sha256 -keyout "$pki/ca.key" \
  -out "$pki/ca.crt" -subj "/C=DE/O=Realnet Lab/CN=Realnet Lab Root CA" \
  >"$W/log/pki.log" 2>&1 || lab_die "CA"
openssl req -newkey rsa:2048 -nodes -keyout "$pki/server.key" -out "$pki/server.csr" \
  -subj "/C=DE/ST=Berlin/O=Realnet Test/OU=Passive/CN=$H" >>"$W/log/pki.log" 2>&1 || lab_die "CSR"
printf 'subjectAltName=DNS:%s,DNS:www.realnet.test,IP:%s\nbasicConstraints=CA:FALSE\n' "$H" "$A" \
  >"$pki/ext.cnf"
openssl x509 -req -in "$pki/server.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" \
  -set_serial 0x5150a55e -days 825 -sha384 -extfile "$pki/ext.cnf" -out "$pki/server.crt" \
  >>"$W/log/pki.log" 2>&1 || lab_die "certificate"
cat "$pki/server.crt" "$pki/ca.crt" >"$pki/chain.crt"
chmod 644 "$pki"/*.crt
chmod 640 "$pki/server.key"

# ---- servers ------------------------------------------------------------
mkdir -p "$W/nginx/tmp" "$W/nginx/www"
echo "tls lab" >"$W/nginx/www/index.html"
cat >"$W/nginx/nginx.conf" <<CFG
daemon off;
user root;
worker_processes 1;
pid $W/nginx/nginx.pid;
error_log $W/nginx/error.log;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path $W/nginx/tmp/body;
  proxy_temp_path $W/nginx/tmp/proxy;
  fastcgi_temp_path $W/nginx/tmp/fastcgi;
  uwsgi_temp_path $W/nginx/tmp/uwsgi;
  scgi_temp_path $W/nginx/tmp/scgi;
  ssl_certificate $pki/chain.crt;
  ssl_certificate_key $pki/server.key;
  server { listen $A:443 ssl; ssl_protocols TLSv1.2; root $W/nginx/www; }
  server { listen $A:8443 ssl; ssl_protocols TLSv1.3; root $W/nginx/www; }
}
CFG
lab_bg nginx /usr/sbin/nginx -p "$W/nginx" -c "$W/nginx/nginx.conf"

d=$W/postfix
mkdir -p "$d/etc" "$d/spool" "$d/data"
cat >"$d/etc/main.cf" <<CFG
compatibility_level = 3.6
queue_directory = $d/spool
data_directory = $d/data
myhostname = mail.realnet.test
mydestination =
inet_interfaces = $A
inet_protocols = ipv4
mynetworks = 10.0.0.0/8
maillog_file = $d/maillog
maillog_file_prefixes = $d
alias_maps =
alias_database =
smtpd_banner = \$myhostname ESMTP \$mail_name (Debian/GNU)
smtpd_peername_lookup = no
smtpd_tls_security_level = may
smtpd_tls_cert_file = $pki/server.crt
smtpd_tls_key_file = $pki/server.key
CFG
cat >"$d/etc/master.cf" <<CFG
$A:25 inet n - n - - smtpd
tlsmgr    unix  - - n 1000? 1 tlsmgr
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
lab_ns_exec postfix -c "$d/etc" set-permissions >"$W/log/postfix-setup.log" 2>&1
lab_bg postfix /usr/lib/postfix/sbin/master -c "$d/etc" -d

d=$W/dovecot
mkdir -p "$d/run" "$d/state" "$d/mail"
chown mail:mail "$d/mail"
echo "lab:{PLAIN}labpass" >"$d/passwd"
cat >"$d/dovecot.conf" <<CFG
base_dir = $d/run
state_dir = $d/state
instance_name = svplab-tls-imap
protocols = imap
listen = $A
log_path = $d/dovecot.log
ssl = yes
ssl_cert = <$pki/server.crt
ssl_key = <$pki/server.key
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
    port = 143
  }
  inet_listener imaps {
    port = 0
  }
}
CFG
lab_bg dovecot /usr/sbin/dovecot -F -c "$d/dovecot.conf"

d=$W/mosquitto
mkdir -p "$d"
cat >"$d/mosquitto.conf" <<CFG
listener 8883 $A
certfile $pki/server.crt
keyfile $pki/server.key
allow_anonymous true
persistence false
log_dest stdout
user root
CFG
# mosquitto's tls_version is a minimum: OpenSSL's own configuration caps
# the server at TLS 1.2, so that the certificate travels in clear
cat >"$d/openssl.cnf" <<CFG
openssl_conf = default_conf
[default_conf]
ssl_conf = ssl_sect
[ssl_sect]
system_default = system_default_sect
[system_default_sect]
MaxProtocol = TLSv1.2
CFG
lab_bg mosquitto env OPENSSL_CONF="$d/openssl.cnf" /usr/sbin/mosquitto -c "$d/mosquitto.conf"

d=$W/postgresql
pgbin=$(_srv_postgresql_bin)
mkdir -p "$d"
cp "$pki/server.crt" "$pki/server.key" "$d/"
chown -R postgres:postgres "$d"
chmod 600 "$d/server.key"
setpriv --reuid=postgres --regid=postgres --init-groups "$pgbin/initdb" -D "$d/data" \
  -A trust -U postgres >"$W/log/postgresql-initdb.log" 2>&1 || lab_die "initdb"
printf 'local all all trust\nhostssl all all 0.0.0.0/0 trust\n' >"$d/data/pg_hba.conf"
lab_bg postgresql setpriv --reuid=postgres --regid=postgres --init-groups \
  "$pgbin/postgres" -D "$d/data" -k "$d" -c "listen_addresses=$A" -p 5432 -c ssl=on \
  -c "ssl_cert_file=$d/server.crt" -c "ssl_key_file=$d/server.key"

for p in 443 8443 25 143 8883; do lab_wait_port "$A" $p || lab_die "port $p did not open"; done
lab_wait_port "$A" 5432 60 || lab_die "postgresql did not open"

# ---- traffic ------------------------------------------------------------
cap=$W/tls.pcap
lab_capture_start "$LAB_IFACE" "$cap" host "$A" || lab_die "no capture"
ok=0
curl -s --cacert "$pki/ca.crt" --resolve "$H:443:$A" --tlsv1.2 --tls-max 1.2 \
  "https://$H/" >/dev/null && ok=$((ok + 1))
curl -s --cacert "$pki/ca.crt" --resolve "$H:8443:$A" --tlsv1.3 \
  "https://$H:8443/" >/dev/null && ok=$((ok + 1))
python3 - "$A" "$pki/ca.crt" <<'PY' && ok=$((ok + 2))
import imaplib, smtplib, ssl, sys
addr, ca = sys.argv[1], sys.argv[2]
def ctx():
    c = ssl.create_default_context(cafile=ca)
    c.check_hostname = False
    c.maximum_version = ssl.TLSVersion.TLSv1_2  # the certificate in clear
    return c
s = smtplib.SMTP(addr, 25, timeout=20)
s.ehlo("client.realnet.test"); s.starttls(context=ctx()); s.ehlo("client.realnet.test"); s.quit()
m = imaplib.IMAP4(addr, 143, timeout=20)
m.starttls(ssl_context=ctx()); m.login("lab", "labpass"); m.logout()
PY
mosquitto_pub -h "$A" -p 8883 --cafile "$pki/ca.crt" --tls-version tlsv1.2 -t lab/t -m 1 &&
  ok=$((ok + 1))
PGSSLMAXPROTOCOLVERSION=TLSv1.2 psql "host=$A port=5432 user=postgres dbname=postgres sslmode=require" \
  -Atc "SELECT 1" >/dev/null && ok=$((ok + 1))
lab_capture_stop
[ $ok -eq 6 ] || lab_die "only $ok of 6 clients succeeded (logs in $W/log)"

# ---- references -----------------------------------------------------------
nmap -n -Pn -sV --script ssl-cert -p 443,8443,25,143,8883,5432 "$A" -oX "$W/nmap.xml" \
  >"$W/log/nmap.log" 2>&1 || lab_die "nmap failed"
openssl x509 -in "$pki/server.crt" -noout -text >"$W/server.txt"
openssl x509 -in "$pki/ca.crt" -noout -text >"$W/ca.txt"
for f in server ca; do
  for h in sha256 sha1 md5; do openssl x509 -in "$pki/$f.crt" -noout -fingerprint -$h; done
  openssl x509 -in "$pki/$f.crt" -noout -serial
done >"$W/fingerprints.txt"

"$bin" -q -r "$cap" -oJ "$W/out.jsonl" -oX "$W/out.xml" -oN "$W/out.txt" ||
  lab_die "svpassive failed"
python3 "$src/tests/lab/labpy/tls_lab_check.py" "$W" "$A" "$H" || exit 1
# keep a copy of the capture for the fuzz corpus and the golden tests when asked
[ -n "${SVP_TLS_LAB_KEEP:-}" ] && cp "$cap" "$SVP_TLS_LAB_KEEP"
exit 0
