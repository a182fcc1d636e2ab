/* srvside.c: which side of a flow without handshake is the server.
 *
 * Evidence, strongest first: the shape of the first payload (a request
 * line, a TLS ClientHello, a greeting banner, a status line...; for UDP
 * first what its protocol's header says, src/proto/udpmsg.c), then the
 * ports: a port some probe of the rules lists (nmap's ports/sslports
 * lines, e.g. 2404 for IEC-104, 44818 for EtherNet/IP, 20000 for DNP3;
 * a little less when listed for the other protocol only) is a service's,
 * and so is one below 1024 or named in nmap-services, far more than one
 * from the dynamic range. A SYN or SYN-ACK, when seen, is
 * decided by the flow table before this is asked. */
#include "svp/proto/udpmsg.h"
#include "svp/reasm/reasm.h"
#include "svp/rules/services.h"

#include <string.h>

#define LISTED_BONUS 3       /* a listed port beats any unlisted one above 1023 */
#define LISTED_OTHER_BONUS 2 /* listed for the other protocol only (DNP3 20000/udp) */

static bool has_bit(const uint8_t *bits, uint16_t port)
{
  return bits && (bits[port >> 3] >> (port & 7) & 1);
}

static int listed_bonus(const struct svp_portinfo *pi, enum svp_l4 l4, uint16_t port)
{
  if (!pi)
    return 0;
  bool tcp = has_bit(pi->listed_tcp, port), udp = has_bit(pi->listed_udp, port);
  if (l4 == SVP_L4_TCP ? tcp : udp)
    return LISTED_BONUS;
  return tcp || udp ? LISTED_OTHER_BONUS : 0;
}

int svp_port_server_score(const struct svp_portinfo *pi, enum svp_l4 l4, uint16_t port)
{
  int bonus = listed_bonus(pi, l4, port);
  if (port < 1024)
    return 4 + bonus;
  const char *name = pi ? svp_services_name(pi->svc, l4, port) : NULL;
  bool named = name && strcmp(name, "unknown") != 0;
  if (port < 32768)
    return (named ? 3 : 1) + bonus;
  /* The dynamic range is where clients' ephemeral ports come from: a port
   * there counts as listed only if nmap-services names it too (44818 does;
   * DB2's 50000-50025 do not, and a client's 50014 is no server). */
  return named ? 1 + bonus : 0;
}

static bool has_prefix(const uint8_t *p, size_t n, const char *s)
{
  size_t k = strlen(s);
  return n >= k && memcmp(p, s, k) == 0;
}

static bool all_digits(const uint8_t *p, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (p[i] < '0' || p[i] > '9')
      return false;
  return n > 0;
}

/* TLS handshake record whose first message has type t (1 ClientHello,
 * 2 ServerHello). */
static bool tls_handshake(const uint8_t *p, size_t n, uint8_t t)
{
  return n >= 6 && p[0] == 0x16 && p[1] == 0x03 && p[2] <= 0x04 && p[5] == t;
}

/* MySQL/MariaDB initial handshake: 3-byte length, sequence 0, protocol 10,
 * then a printable version string. */
static bool mysql_greeting(const uint8_t *p, size_t n)
{
  if (n < 10 || p[3] != 0 || p[4] != 0x0a)
    return false;
  size_t len = (size_t)p[0] | (size_t)p[1] << 8 | (size_t)p[2] << 16;
  return len + 4 >= n && len >= 20 && p[5] >= '0' && p[5] <= '9';
}

static const char *const request_words[] = {
  "GET ", "POST ", "HEAD ", "PUT ", "DELETE ", "OPTIONS ", "CONNECT ", "PATCH ",
  "TRACE ", "PROPFIND ", "M-SEARCH ", "EHLO ", "HELO ", "HELF",
};

static const char *const response_words[] = {
  "220 ", "220-", "+OK", "* OK ", "* PREAUTH ", "ACKF", "-ERR ", "-NOAUTH ",
};

int svp_payload_role(enum svp_l4 l4, const uint8_t *p, size_t n)
{
  (void)l4;
  if (!p || n == 0)
    return 0;
  for (size_t i = 0; i < SVP_ARRAY_LEN(request_words); i++)
    if (has_prefix(p, n, request_words[i]))
      return 1;
  for (size_t i = 0; i < SVP_ARRAY_LEN(response_words); i++)
    if (has_prefix(p, n, response_words[i]))
      return -1;
  /* "HTTP/1.1 200", "RTSP/1.0 200", "SIP/2.0 200": protocol/version, status. */
  static const char *const status_protos[] = {"HTTP/", "RTSP/", "SIP/"};
  for (size_t i = 0; i < SVP_ARRAY_LEN(status_protos); i++) {
    size_t k = strlen(status_protos[i]);
    if (has_prefix(p, n, status_protos[i]) && n >= k + 7 && p[k + 1] == '.' &&
        p[k + 3] == ' ' && all_digits(p + k + 4, 3))
      return -1;
  }
  if (tls_handshake(p, n, 1))
    return 1;
  if (tls_handshake(p, n, 2))
    return -1;
  if (mysql_greeting(p, n))
    return -1;
  /* Redis: a command is an array of bulk strings ("*2\r\n$3\r\nGET..."). */
  if (n >= 4 && p[0] == '*' && p[1] >= '1' && p[1] <= '9') {
    const uint8_t *crlf = memchr(p, '\r', n < 16 ? n : 16);
    if (crlf && (size_t)(crlf - p) + 2 < n && crlf[1] == '\n' && crlf[2] == '$')
      return 1;
  }
  return 0;
}

struct svp_side svp_guess_side(const struct svp_portinfo *pi, enum svp_l4 l4,
                               uint16_t aport, uint16_t bport, const uint8_t *payload,
                               size_t n)
{
  struct svp_side s = {.a_is_server = false, .basis = SVP_SB_FIRST, .conf = SVP_SC_LOW};
  int sa = svp_port_server_score(pi, l4, aport);
  int sb = svp_port_server_score(pi, l4, bport);
  int role = 0;
  struct svp_udp_msg m;
  if (l4 == SVP_L4_UDP && svp_udp_msg_parse(payload, n, aport, bport, &m))
    role = m.kind == SVP_UK_QUERY && m.broadcast ? -1 /* a node announcing itself */
         : m.kind == SVP_UK_CLIENT || m.kind == SVP_UK_QUERY ? 1
         : m.kind == SVP_UK_SERVER || m.kind == SVP_UK_ANNOUNCE ? -1 : 0;
  if (role == 0)
    role = svp_payload_role(l4, payload, n);
  if (role != 0) {
    s.a_is_server = role < 0;
    s.basis = SVP_SB_PAYLOAD;
    int srv = s.a_is_server ? sa : sb, cli = s.a_is_server ? sb : sa;
    s.conf = srv > cli ? SVP_SC_HIGH : srv == cli ? SVP_SC_MEDIUM : SVP_SC_LOW;
    return s;
  }
  if (sa != sb) {
    s.a_is_server = sa > sb;
    s.basis = SVP_SB_PORT;
    int d = sa > sb ? sa - sb : sb - sa;
    s.conf = d >= 2 ? SVP_SC_MEDIUM : SVP_SC_LOW;
    return s;
  }
  /* Nothing to go by: the receiver of the first packet seen. */
  return s;
}
