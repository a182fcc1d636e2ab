/* classify.c: which nmap probe a client's first bytes resemble, for the
 * common IT protocols (classify_ot.c holds the industrial ones).
 *
 * Each test looks only at the client's bytes, through a bounded cursor or
 * explicit length checks, and is deliberately strict: a wrong class only
 * costs a miss (the NULL probe and the port-listed probes are tried next),
 * but a loose class would run the wrong probe's rules. */
#include "svp/ident/classify.h"
#include "svp/base/cursor.h"
#include "svp/proto/udpmsg.h"

#include <string.h>

static bool has_prefix(const uint8_t *p, size_t len, const char *lit)
{
  size_t n = strlen(lit);
  return len >= n && memcmp(p, lit, n) == 0;
}

/* Index of the first "\r\n" or "\n" within the first max bytes, or -1. */
static long line_end(const uint8_t *p, size_t len, size_t max)
{
  size_t lim = len < max ? len : max;
  for (size_t i = 0; i < lim; i++)
    if (p[i] == '\n')
      return (long)i;
  return -1;
}

/* TLS record, handshake, ClientHello (SSLv3 .. TLS 1.3 record versions). */
static bool is_tls_hello(const uint8_t *p, size_t len, uint16_t sport)
{
  (void)sport;
  return len >= 6 && p[0] == 0x16 && p[1] == 0x03 && p[2] <= 0x04 && p[5] == 0x01;
}

/* SSLv2-framed ClientHello (two-byte header with the top bit set). */
static bool is_sslv2_hello(const uint8_t *p, size_t len, uint16_t sport)
{
  (void)sport;
  return len >= 5 && (p[0] & 0x80) && p[2] == 0x01 && (p[3] == 0x03 || p[3] == 0x02);
}

/* "METHOD SP target SP proto/x.y" on the first line. */
static bool request_line(const uint8_t *p, size_t len, const char *proto)
{
  static const char *const methods[] = {
    "GET ", "HEAD ", "POST ", "PUT ", "DELETE ", "OPTIONS ", "CONNECT ",
    "PATCH ", "TRACE ", "PROPFIND ", "PROPPATCH ", "MKCOL ", "COPY ", "MOVE ",
    "LOCK ", "UNLOCK ", "REPORT ", "SEARCH ", "DESCRIBE ", "SETUP ", "PLAY ",
    "PAUSE ", "TEARDOWN ", "GET_PARAMETER ", "SET_PARAMETER ", "ANNOUNCE ",
    "RECORD ", "REGISTER ", "INVITE ", "ACK ", "BYE ", "CANCEL ", "SUBSCRIBE ",
    "NOTIFY ", "MESSAGE ", "INFO ", "REFER ", "UPDATE ", "PRACK ", "PUBLISH ",
  };
  bool method = false;
  for (size_t i = 0; i < SVP_ARRAY_LEN(methods); i++)
    if (has_prefix(p, len, methods[i])) {
      method = true;
      break;
    }
  if (!method)
    return false;
  long eol = line_end(p, len, 8192);
  size_t lim = eol < 0 ? len : (size_t)eol;
  size_t plen = strlen(proto);
  /* the protocol token follows the last space of the line */
  for (size_t i = lim; i > 0; i--)
    if (p[i - 1] == ' ')
      return lim - i >= plen && memcmp(p + i, proto, plen) == 0;
  return false;
}

static bool is_http(const uint8_t *p, size_t len, uint16_t sport)
{
  (void)sport;
  return request_line(p, len, "HTTP/") && !has_prefix(p, len, "OPTIONS ");
}

static bool is_http_options(const uint8_t *p, size_t len, uint16_t sport)
{
  (void)sport;
  return has_prefix(p, len, "OPTIONS ") && request_line(p, len, "HTTP/");
}

static bool is_rtsp(const uint8_t *p, size_t len, uint16_t sport)
{
  (void)sport;
  return request_line(p, len, "RTSP/");
}

static bool is_sip(const uint8_t *p, size_t len, uint16_t sport)
{
  (void)sport;
  return request_line(p, len, "SIP/2.0");
}

/* ONC RPC call: xid, msg_type 0 (CALL), rpcvers 2. TCP adds a record mark. */
static bool rpc_call_at(struct svp_cur c)
{
  (void)svp_cur_be32(&c); /* xid */
  uint32_t mtype = svp_cur_be32(&c);
  uint32_t vers = svp_cur_be32(&c);
  return !c.bad && mtype == 0 && vers == 2;
}

static bool is_rpc_tcp(const uint8_t *p, size_t len, uint16_t sport)
{
  (void)sport;
  struct svp_cur c = svp_cur_make(p, len);
  uint32_t mark = svp_cur_be32(&c);
  return !c.bad && (mark & 0x80000000u) && (mark & 0x7fffffffu) >= 24 && rpc_call_at(c);
}

static bool is_rpc_udp(const uint8_t *p, size_t len, uint16_t sport)
{
  (void)sport;
  return rpc_call_at(svp_cur_make(p, len));
}

/* DNS query header: QR=0, opcode QUERY(0)/STATUS(2), one question. */
static bool dns_query_at(struct svp_cur c)
{
  (void)svp_cur_be16(&c); /* id */
  uint16_t flags = svp_cur_be16(&c);
  uint16_t qd = svp_cur_be16(&c);
  uint16_t an = svp_cur_be16(&c);
  if (c.bad || (flags & 0x8000))
    return false;
  unsigned opcode = (flags >> 11) & 0xf;
  if (opcode == 2)
    return true; /* STATUS: nmap's DNSStatusRequest has no question */
  return opcode == 0 && qd == 1 && an == 0;
}

static bool is_dns_tcp(const uint8_t *p, size_t len, uint16_t sport)
{
  (void)sport;
  struct svp_cur c = svp_cur_make(p, len);
  uint16_t mlen = svp_cur_be16(&c);
  return !c.bad && mlen >= 12 && mlen <= len - 2 + 512 && dns_query_at(c);
}

/* A DNS response echoes the query's id and sets QR. */
static bool dns_reply_to(const uint8_t *q, size_t qlen, const uint8_t *r, size_t rlen)
{
  return qlen >= 4 && rlen >= 4 && q[0] == r[0] && q[1] == r[1] && (r[2] & 0x80);
}

static bool dns_answers_tcp(const uint8_t *req, size_t rlen, const uint8_t *resp, size_t len)
{
  return rlen > 2 && len > 2 && dns_reply_to(req + 2, rlen - 2, resp + 2, len - 2);
}

static bool dns_answers_udp(const uint8_t *req, size_t rlen, const uint8_t *resp, size_t len)
{
  return dns_reply_to(req, rlen, resp, len);
}

static bool is_dns_udp(const uint8_t *p, size_t len, uint16_t sport)
{
  return len >= 12 && (sport == 53 || sport == 5353 || sport == 5355) &&
         dns_query_at(svp_cur_make(p, len));
}

/* NetBIOS session message carrying SMB1 or SMB2. */
static bool is_smb(const uint8_t *p, size_t len, uint16_t sport)
{
  (void)sport;
  return len >= 8 && p[0] == 0x00 && (p[4] == 0xff || p[4] == 0xfe) &&
         memcmp(p + 5, "SMB", 3) == 0;
}

/* NetBIOS session service request (RFC 1002, 4.3.2), as an SMB client
 * opens port 139: type 0x81, flags 0, length, then the called and calling
 * names, each 0x20 and 32 bytes of first-level encoding ('A'..'P') and a
 * zero scope. */
static bool is_nbss_request(const uint8_t *p, size_t len, uint16_t sport)
{
  (void)sport;
  if (len < 72 || p[0] != 0x81 || p[1] != 0 || (size_t)(p[2] << 8 | p[3]) != 68)
    return false;
  for (size_t name = 4; name < 72; name += 34) {
    if (p[name] != 0x20 || p[name + 33] != 0)
      return false;
    for (size_t i = 1; i <= 32; i++)
      if (p[name + i] < 'A' || p[name + i] > 'P')
        return false;
  }
  return true;
}

/* TPKT + COTP connection request from an RDP client (cookie or
 * RDP_NEG_REQ). Plain COTP CRs with TSAPs are S7 (classify_ot.c). */
static bool is_rdp(const uint8_t *p, size_t len, uint16_t sport)
{
  if (len < 11 || p[0] != 0x03 || p[1] != 0x00 || p[5] != 0xe0)
    return false;
  if (len >= 17 && memcmp(p + 11, "Cookie", 6) == 0)
    return true;
  return len >= 19 && p[11] == 0x01 && p[12] == 0x00 && sport != 102;
}

/* LDAP message: SEQUENCE { messageID INTEGER, bind (0x60) / search (0x63) }. */
static bool ldap_op(const uint8_t *p, size_t len, uint8_t *op)
{
  struct svp_cur c = svp_cur_make(p, len);
  if (svp_cur_u8(&c) != 0x30)
    return false;
  uint8_t l = svp_cur_u8(&c);
  if (l & 0x80)
    svp_cur_skip(&c, l & 0x7f);
  if (svp_cur_u8(&c) != 0x02)
    return false;
  uint8_t idlen = svp_cur_u8(&c);
  if (idlen == 0 || idlen > 4)
    return false;
  svp_cur_skip(&c, idlen);
  *op = svp_cur_u8(&c);
  return !c.bad;
}

static bool is_ldap_bind(const uint8_t *p, size_t len, uint16_t sport)
{
  uint8_t op;
  (void)sport;
  return ldap_op(p, len, &op) && op == 0x60;
}

static bool is_ldap_search(const uint8_t *p, size_t len, uint16_t sport)
{
  uint8_t op;
  (void)sport;
  return ldap_op(p, len, &op) && (op == 0x63 || op == 0x77 /* extended */);
}

static bool is_kerberos_tcp(const uint8_t *p, size_t len, uint16_t sport)
{
  (void)sport;
  return len >= 6 && p[0] == 0 && (p[4] == 0x6a || p[4] == 0x6c); /* AS-REQ, TGS-REQ */
}

static bool is_kerberos_udp(const uint8_t *p, size_t len, uint16_t sport)
{
  (void)sport;
  return len >= 2 && (p[0] == 0x6a || p[0] == 0x6c) && (p[1] & 0x80);
}

static bool is_x11(const uint8_t *p, size_t len, uint16_t sport)
{
  (void)sport;
  return len >= 12 && ((p[0] == 'l' && p[2] == 11 && p[3] == 0) ||
                       (p[0] == 'B' && p[2] == 0 && p[3] == 11)) && p[1] == 0;
}

static bool is_tds_prelogin(const uint8_t *p, size_t len, uint16_t sport)
{
  (void)sport;
  return len >= 8 && (p[0] == 0x12 || p[0] == 0x10) && p[1] <= 0x01 &&
         ((size_t)(p[2] << 8 | p[3])) >= 8;
}

static bool is_tns_connect(const uint8_t *p, size_t len, uint16_t sport)
{
  (void)sport;
  return len >= 8 && p[4] == 0x01 && p[5] == 0x00 &&
         (size_t)(p[0] << 8 | p[1]) >= 8;
}

static bool is_java_rmi(const uint8_t *p, size_t len, uint16_t sport)
{
  (void)sport;
  return has_prefix(p, len, "JRMI");
}

/* MongoDB wire message: little-endian length equal to what follows (or
 * more, if split) and opcode OP_QUERY (2004) or OP_MSG (2013). */
static bool is_mongodb(const uint8_t *p, size_t len, uint16_t sport)
{
  (void)sport;
  struct svp_cur c = svp_cur_make(p, len);
  uint32_t mlen = svp_cur_le32(&c);
  svp_cur_skip(&c, 8);
  uint32_t op = svp_cur_le32(&c);
  return !c.bad && mlen >= 16 && mlen < (48u << 20) && (op == 2004 || op == 2013);
}

/* Redis RESP array of bulk strings: "*<n>\r\n$<len>\r\n". */
static bool is_redis(const uint8_t *p, size_t len, uint16_t sport)
{
  (void)sport;
  if (len < 8 || p[0] != '*')
    return false;
  size_t i = 1;
  while (i < len && i < 8 && p[i] >= '0' && p[i] <= '9')
    i++;
  return i > 1 && i + 2 < len && p[i] == '\r' && p[i + 1] == '\n' && p[i + 2] == '$';
}

static bool is_memcache_text(const uint8_t *p, size_t len, uint16_t sport)
{
  static const char *const cmds[] = {"stats", "version", "get ", "gets ", "set ",
                                     "add ", "delete ", "incr ", "decr ", "touch "};
  (void)sport;
  if (line_end(p, len, 512) < 0)
    return false;
  for (size_t i = 0; i < SVP_ARRAY_LEN(cmds); i++)
    if (has_prefix(p, len, cmds[i]))
      return true;
  return false;
}

/* PostgreSQL v3 startup message, SSLRequest, GSSENCRequest or CancelRequest:
 * a big-endian length equal to the message, then the protocol code. */
static bool is_pgsql_startup(const uint8_t *p, size_t len, uint16_t sport)
{
  (void)sport;
  struct svp_cur c = svp_cur_make(p, len);
  uint32_t mlen = svp_cur_be32(&c);
  uint32_t code = svp_cur_be32(&c);
  if (c.bad || mlen < 8 || mlen > 10000)
    return false;
  if (code == 80877103 || code == 80877104)
    return mlen == 8;
  if (code == 80877102)
    return mlen == 16;
  return code == 196608 && p[len < mlen ? len - 1 : mlen - 1] == 0;
}

static bool is_ajp(const uint8_t *p, size_t len, uint16_t sport)
{
  (void)sport;
  return len >= 5 && p[0] == 0x12 && p[1] == 0x34;
}

/* SNMP message: SEQUENCE { version INTEGER, ... }; v1/v2c and v3. */
static int snmp_version(const uint8_t *p, size_t len)
{
  struct svp_cur c = svp_cur_make(p, len);
  if (svp_cur_u8(&c) != 0x30)
    return -1;
  uint8_t l = svp_cur_u8(&c);
  if (l & 0x80)
    svp_cur_skip(&c, l & 0x7f);
  if (svp_cur_u8(&c) != 0x02 || svp_cur_u8(&c) != 0x01)
    return -1;
  uint8_t v = svp_cur_u8(&c);
  return c.bad ? -1 : v;
}

static bool is_snmp_v12(const uint8_t *p, size_t len, uint16_t sport)
{
  (void)sport;
  int v = snmp_version(p, len);
  return v == 0 || v == 1;
}

static bool is_snmp_v3(const uint8_t *p, size_t len, uint16_t sport)
{
  (void)sport;
  return snmp_version(p, len) == 3;
}

/* NTP client request (mode 3) or control message (mode 6). */
static bool is_ntp(const uint8_t *p, size_t len, uint16_t sport)
{
  unsigned mode = len ? (p[0] & 7) : 0;
  unsigned vers = len ? ((p[0] >> 3) & 7) : 0;
  return len >= 12 && vers >= 1 && vers <= 4 && (mode == 3 || (mode == 6 && sport == 123));
}

static bool is_nbns(const uint8_t *p, size_t len, uint16_t sport)
{
  return sport == 137 && len >= 12 && !(p[2] & 0x80);
}

static bool is_coap(const uint8_t *p, size_t len, uint16_t sport)
{
  (void)sport;
  return len >= 4 && (p[0] >> 6) == 1 && ((p[0] >> 4) & 3) <= 1 && p[1] >= 1 && p[1] <= 7;
}

static bool is_dtls(const uint8_t *p, size_t len, uint16_t sport)
{
  (void)sport;
  return len >= 14 && p[0] == 0x16 && p[1] == 0xfe && p[13] == 0x01;
}

static bool is_ipmi(const uint8_t *p, size_t len, uint16_t sport)
{
  (void)sport;
  return len >= 4 && p[0] == 0x06 && p[1] == 0x00 && p[2] == 0xff && p[3] == 0x07;
}

static bool is_memcache_udp(const uint8_t *p, size_t len, uint16_t sport)
{
  return len > 8 && p[4] == 0 && p[5] == 1 && is_memcache_text(p + 8, len - 8, sport);
}

/* TFTP read or write request (RFC 1350): file name, mode, options. */
static bool is_tftp_request(const uint8_t *p, size_t len, uint16_t sport)
{
  struct svp_udp_msg m;
  return svp_udp_msg_parse(p, len, 0, sport, &m) && m.proto == SVP_UP_TFTP &&
         m.kind == SVP_UK_CLIENT;
}

/* DATA block 1, ACK of block 0, OACK or ERROR, from port 69 or the
 * server's transfer port. */
static bool tftp_answers(const uint8_t *req, size_t rlen, const uint8_t *resp, size_t len)
{
  if (!is_tftp_request(req, rlen, 69) || !svp_udp_tftp_answer(resp, len))
    return false;
  uint16_t op = (uint16_t)(resp[0] << 8 | resp[1]);
  return op == 5 || op == 6 || (op == 3) == (req[1] == 1); /* DATA for RRQ, ACK for WRQ */
}

const struct svp_reqclass svp_reqclass_general[] = {
  {.name = "tls-client-hello", .l4 = SVP_L4_TCP, .test = is_tls_hello,
   .probes = {"SSLSessionReq", "TLSSessionReq"}},
  {.name = "sslv2-client-hello", .l4 = SVP_L4_TCP, .test = is_sslv2_hello,
   .probes = {"SSLv23SessionReq", "SSLSessionReq"}},
  {.name = "http-request", .l4 = SVP_L4_TCP, .test = is_http,
   .probes = {"GetRequest"}},
  {.name = "http-options", .l4 = SVP_L4_TCP, .test = is_http_options,
   .probes = {"HTTPOptions", "GetRequest"}},
  {.name = "rtsp-request", .l4 = SVP_L4_TCP, .test = is_rtsp,
   .probes = {"RTSPRequest"}},
  {.name = "sip-request", .l4 = SVP_L4_TCP, .test = is_sip,
   .probes = {"SIPOptions"}},
  {.name = "rpc-call", .l4 = SVP_L4_TCP, .test = is_rpc_tcp,
   .probes = {"RPCCheck"}},
  {.name = "dns-query", .l4 = SVP_L4_TCP, .test = is_dns_tcp,
   .probes = {"DNSVersionBindReqTCP", "DNSStatusRequestTCP"}, .answers = dns_answers_tcp},
  {.name = "smb-negotiate", .l4 = SVP_L4_TCP, .test = is_smb,
   .probes = {"SMBProgNeg", "SMB2Negotiate"}},
  {.name = "netbios-session", .l4 = SVP_L4_TCP, .test = is_nbss_request,
   .probes = {"SMB2Negotiate"}},
  {.name = "rdp-connect", .l4 = SVP_L4_TCP, .test = is_rdp,
   .probes = {"TerminalServerCookie", "TerminalServer"}},
  {.name = "ldap-bind", .l4 = SVP_L4_TCP, .test = is_ldap_bind,
   .probes = {"LDAPBindReq", "LDAPSearchReq"}},
  {.name = "ldap-search", .l4 = SVP_L4_TCP, .test = is_ldap_search,
   .probes = {"LDAPSearchReq", "LDAPBindReq"}},
  {.name = "kerberos", .l4 = SVP_L4_TCP, .test = is_kerberos_tcp,
   .probes = {"Kerberos"}},
  {.name = "x11-setup", .l4 = SVP_L4_TCP, .test = is_x11,
   .probes = {"X11Probe"}},
  {.name = "tds-prelogin", .l4 = SVP_L4_TCP, .test = is_tds_prelogin,
   .probes = {"ms-sql-s"}},
  {.name = "tns-connect", .l4 = SVP_L4_TCP, .test = is_tns_connect,
   .probes = {"oracle-tns"}},
  {.name = "java-rmi", .l4 = SVP_L4_TCP, .test = is_java_rmi,
   .probes = {"JavaRMI"}},
  {.name = "mongodb", .l4 = SVP_L4_TCP, .test = is_mongodb,
   .probes = {"mongodb"}},
  {.name = "redis-resp", .l4 = SVP_L4_TCP, .test = is_redis,
   .probes = {"redis-server"}},
  {.name = "memcache-text", .l4 = SVP_L4_TCP, .test = is_memcache_text,
   .probes = {"Memcache"}},
  {.name = "pgsql-startup", .l4 = SVP_L4_TCP, .test = is_pgsql_startup,
   .probes = {"PostgreSQLStartup"}},
  {.name = "ajp", .l4 = SVP_L4_TCP, .test = is_ajp,
   .probes = {"ajp"}},
  {.name = "dns-query", .l4 = SVP_L4_UDP, .test = is_dns_udp,
   .probes = {"DNSVersionBindReq", "DNSStatusRequest", "DNS-SD"}, .answers = dns_answers_udp},
  {.name = "snmp-v1v2", .l4 = SVP_L4_UDP, .test = is_snmp_v12,
   .probes = {"SNMPv1public", "SNMPv3GetRequest"}},
  {.name = "snmp-v3", .l4 = SVP_L4_UDP, .test = is_snmp_v3,
   .probes = {"SNMPv3GetRequest", "SNMPv1public"}},
  {.name = "ntp", .l4 = SVP_L4_UDP, .test = is_ntp,
   .probes = {"NTPRequest"}},
  {.name = "netbios-ns", .l4 = SVP_L4_UDP, .test = is_nbns,
   .probes = {"NBTStat"}},
  {.name = "sip-request", .l4 = SVP_L4_UDP, .test = is_sip,
   .probes = {"SIPOptions"}},
  {.name = "rpc-call", .l4 = SVP_L4_UDP, .test = is_rpc_udp,
   .probes = {"RPCCheck"}},
  {.name = "kerberos", .l4 = SVP_L4_UDP, .test = is_kerberos_udp,
   .probes = {"Kerberos"}},
  {.name = "coap", .l4 = SVP_L4_UDP, .test = is_coap,
   .probes = {"coap-request"}},
  {.name = "dtls-client-hello", .l4 = SVP_L4_UDP, .test = is_dtls,
   .probes = {"DTLSSessionReq"}},
  {.name = "ipmi-rmcp", .l4 = SVP_L4_UDP, .test = is_ipmi,
   .probes = {"ipmi-rmcp"}},
  {.name = "memcache-udp", .l4 = SVP_L4_UDP, .test = is_memcache_udp,
   .probes = {"memcached"}},
  {.name = "tftp", .l4 = SVP_L4_UDP, .test = is_tftp_request,
   .probes = {"TFTPReadRequest"}, .answers = tftp_answers},
  {.name = NULL},
};

static const struct svp_reqclass *by_name(const struct svp_reqclass *tab, enum svp_l4 l4,
                                          const char *name)
{
  for (const struct svp_reqclass *c = tab; c->name; c++)
    if (c->l4 == l4 && strcmp(c->name, name) == 0)
      return c;
  return NULL;
}

const struct svp_reqclass *svp_classify_announce(enum svp_l4 l4, const uint8_t *resp,
                                                 size_t len, uint16_t sport, uint16_t cport)
{
  /* the class whose probes' lines describe that protocol's server messages */
  static const char *const class_of[SVP_UP_COUNT] = {
    [SVP_UP_BACNET] = "bacnet-bvll", [SVP_UP_ENIP] = "enip-encap",
    [SVP_UP_FINS] = "fins-udp",      [SVP_UP_DNP3] = "dnp3-link",
    [SVP_UP_TFTP] = "tftp",
  };
  struct svp_udp_msg m;
  if (l4 != SVP_L4_UDP || !svp_udp_msg_parse(resp, len, sport, cport, &m) ||
      (m.kind != SVP_UK_SERVER && m.kind != SVP_UK_ANNOUNCE &&
       !(m.kind == SVP_UK_QUERY && m.broadcast)) || !class_of[m.proto])
    return NULL;
  const struct svp_reqclass *c = by_name(svp_reqclass_ot, l4, class_of[m.proto]);
  return c ? c : by_name(svp_reqclass_general, l4, class_of[m.proto]);
}

static const struct svp_reqclass *first_match(const struct svp_reqclass *tab,
                                              enum svp_l4 l4, const uint8_t *req,
                                              size_t len, uint16_t sport)
{
  for (const struct svp_reqclass *c = tab; c->name; c++)
    if (c->l4 == l4 && c->test(req, len, sport))
      return c;
  return NULL;
}

const struct svp_reqclass *svp_classify(enum svp_l4 l4, const uint8_t *req,
                                        size_t len, uint16_t sport)
{
  if (!req || len == 0)
    return NULL;
  const struct svp_reqclass *c = first_match(svp_reqclass_ot, l4, req, len, sport);
  return c ? c : first_match(svp_reqclass_general, l4, req, len, sport);
}
