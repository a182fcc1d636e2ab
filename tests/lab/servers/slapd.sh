# OpenLDAP slapd (Debian slapd), client speaks first (LDAP).
srv_slapd_pkgs() { echo slapd; }
srv_slapd_port() { echo 389; }
srv_slapd_install() { lab_install slapd ldap-utils; }

srv_slapd_start() {
  local addr=$1 port=$2 d=$LAB_WORK/slapd
  mkdir -p "$d/db"
  cat >"$d/slapd.conf" <<CFG
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
pidfile $d/slapd.pid
modulepath /usr/lib/ldap
moduleload back_mdb
database mdb
maxsize 10485760
suffix "dc=lab,dc=test"
rootdn "cn=admin,dc=lab,dc=test"
rootpw labpass
directory $d/db
CFG
  local url="ldap://$addr:$port/"
  case $addr in *:*) url="ldap://[$addr]:$port/" ;; esac
  # -d keeps slapd in the foreground.
  lab_bg slapd /usr/sbin/slapd -d 0 -h "$url" -f "$d/slapd.conf"
  lab_wait_port "$addr" "$port" || return 1
  ldapadd -x -H "$url" -D "cn=admin,dc=lab,dc=test" -w labpass >/dev/null <<LDIF
dn: dc=lab,dc=test
objectClass: dcObject
objectClass: organization
o: svpassive lab
dc: lab
LDIF
}
srv_slapd_client() {
  local url="ldap://$1:$2/"
  case $1 in *:*) url="ldap://[$1]:$2/" ;; esac
  ldapsearch -x -H "$url" -b "" -s base namingContexts >/dev/null &&
  ldapsearch -x -H "$url" -b "dc=lab,dc=test" >/dev/null
}
