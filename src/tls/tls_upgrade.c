/* tls_upgrade.c: a plaintext exchange that switches to TLS (STARTTLS and
 * its relatives). Only the client's request is looked for: the server's
 * answer to it is some text or a byte, and its TLS hello is found by its
 * own structure after it (tls_flow.c). */
#include "svp/base/cursor.h"
#include "tls_int.h"

#include <string.h>
#include <strings.h>

static const uint8_t pg_sslrequest[8] = {0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f};
static const char ldap_starttls_oid[] = "1.3.6.1.4.1.1466.20037";

#define MYSQL_CLIENT_SSL 0x0800u

/* A server greeting line of a protocol that has a STARTTLS-like command. */
static bool text_greeting(const uint8_t *s, uint32_t n)
{
  static const char *const start[] = {"220", "* OK", "+OK", "200", "201",
                                      "\"IMPLEMENTATION\""};
  for (size_t i = 0; i < SVP_ARRAY_LEN(start); i++) {
    size_t k = strlen(start[i]);
    if (n >= k && memcmp(s, start[i], k) == 0)
      return true;
  }
  return false;
}

static bool printable_line_byte(uint8_t c)
{
  return c == '\r' || c == '\t' || (c >= 0x20 && c < 0x7f);
}

/* Is line[0..n) (no CR/LF) an upgrade request? "STARTTLS", "<tag>
 * STARTTLS" (IMAP), "STLS" (POP3), "AUTH TLS"/"AUTH SSL"/"AUTH TLS-C" (FTP). */
static enum svp_tls_upgrade line_upgrade(const char *line, size_t n)
{
  if (n == 8 && strncasecmp(line, "STARTTLS", 8) == 0)
    return SVP_TLS_UP_STARTTLS;
  if (n > 9 && strncasecmp(line + n - 9, " STARTTLS", 9) == 0 &&
      memchr(line, ' ', n - 9) == NULL)
    return SVP_TLS_UP_STARTTLS;
  if (n == 4 && strncasecmp(line, "STLS", 4) == 0)
    return SVP_TLS_UP_STLS;
  if (n >= 8 && strncasecmp(line, "AUTH ", 5) == 0 &&
      (strncasecmp(line + 5, "TLS", 3) == 0 || strncasecmp(line + 5, "SSL", 3) == 0))
    return SVP_TLS_UP_AUTH_TLS;
  return SVP_TLS_UP_NONE;
}

static enum svp_tls_upgrade_state scan_text(const uint8_t *cli, uint32_t cli_len,
                                            enum svp_tls_upgrade *kind, uint32_t *cli_at)
{
  uint32_t at = 0, lines = 0;
  while (at < cli_len) {
    const uint8_t *nl = memchr(cli + at, '\n', cli_len - at);
    uint32_t end = nl ? (uint32_t)(nl - cli) : cli_len;
    for (uint32_t i = at; i < end; i++)
      if (!printable_line_byte(cli[i]))
        return SVP_TLS_UPS_NO;
    if (!nl)
      break;
    size_t n = end - at;
    if (n && cli[end - 1] == '\r')
      n--;
    char line[32];
    if (n < sizeof line) {
      memcpy(line, cli + at, n);
      enum svp_tls_upgrade u = line_upgrade(line, n);
      if (u != SVP_TLS_UP_NONE) {
        *kind = u;
        *cli_at = end + 1;
        return SVP_TLS_UPS_YES;
      }
    }
    at = end + 1;
    if (++lines >= SVP_TLS_UPGRADE_LINES)
      return SVP_TLS_UPS_NO;
  }
  return cli_len < SVP_TLS_UPGRADE_BYTES ? SVP_TLS_UPS_PENDING : SVP_TLS_UPS_NO;
}

/* MySQL: the server's greeting (protocol 10) offers SSL and the client's
 * first packet is the 32-byte SSL request with CLIENT_SSL set. */
static enum svp_tls_upgrade_state scan_mysql(const uint8_t *cli, uint32_t cli_len,
                                             const uint8_t *srv, uint32_t srv_len,
                                             uint32_t *cli_at, uint32_t *srv_from)
{
  struct svp_cur s = svp_cur_make(srv, srv_len);
  uint32_t plen = svp_cur_u8(&s) | (uint32_t)svp_cur_u8(&s) << 8 | (uint32_t)svp_cur_u8(&s) << 16;
  uint8_t seq = svp_cur_u8(&s);
  struct svp_cur g = svp_cur_sub(&s, plen);
  if (s.bad || seq != 0 || svp_cur_u8(&g) != 10)
    return SVP_TLS_UPS_NO;
  const uint8_t *ver = svp_cur_rest(&g);
  const uint8_t *nul = memchr(ver, 0, svp_cur_left(&g));
  if (!nul)
    return SVP_TLS_UPS_NO;
  svp_cur_skip(&g, (size_t)(nul - ver) + 1 + 4 + 8 + 1); /* version, id, salt, filler */
  uint16_t caps = svp_cur_le16(&g);
  if (g.bad || !(caps & MYSQL_CLIENT_SSL))
    return SVP_TLS_UPS_NO;
  struct svp_cur c = svp_cur_make(cli, cli_len);
  uint32_t clen = svp_cur_u8(&c) | (uint32_t)svp_cur_u8(&c) << 8 | (uint32_t)svp_cur_u8(&c) << 16;
  uint8_t cseq = svp_cur_u8(&c);
  uint32_t ccaps = svp_cur_le32(&c);
  if (c.bad)
    return SVP_TLS_UPS_PENDING;
  if (cseq != 1 || clen != 32 || !(ccaps & MYSQL_CLIENT_SSL))
    return SVP_TLS_UPS_NO;
  *cli_at = 4 + 32;
  *srv_from = 4 + plen;
  return SVP_TLS_UPS_YES;
}

static bool find_bytes(const uint8_t *h, uint32_t hn, const void *needle, size_t nn,
                       uint32_t *at)
{
  if (nn == 0 || hn < nn)
    return false;
  for (uint32_t i = 0; i + nn <= hn; i++)
    if (h[i] == *(const uint8_t *)needle && memcmp(h + i, needle, nn) == 0) {
      *at = i;
      return true;
    }
  return false;
}

enum svp_tls_upgrade_state svp_tls_upgrade_scan(const uint8_t *cli, uint32_t cli_len,
                                                const uint8_t *srv, uint32_t srv_len,
                                                enum svp_tls_upgrade *kind,
                                                uint32_t *cli_at, uint32_t *srv_from)
{
  *kind = SVP_TLS_UP_NONE;
  *cli_at = *srv_from = 0;
  /* PostgreSQL SSLRequest: the client speaks first, 8 fixed bytes. */
  if (cli_len >= 1 && cli[0] == 0) {
    uint32_t k = cli_len < 8 ? cli_len : 8;
    if (memcmp(cli, pg_sslrequest, k) == 0) {
      if (k < 8)
        return SVP_TLS_UPS_PENDING;
      *kind = SVP_TLS_UP_POSTGRES;
      *cli_at = 8;
      return SVP_TLS_UPS_YES;
    }
  }
  /* LDAP: the client's first message (a BER SEQUENCE) is an
   * ExtendedRequest naming StartTLS's OID. */
  if (cli_len >= 1 && cli[0] == 0x30) {
    struct svp_cur c = svp_cur_make(cli + 1, cli_len - 1);
    uint32_t mlen = svp_cur_u8(&c);
    if (mlen & 0x80) {
      unsigned nb = mlen & 0x7f;
      mlen = 0;
      for (unsigned i = 0; i < nb && i < 4; i++)
        mlen = mlen << 8 | svp_cur_u8(&c);
      if (nb == 0 || nb > 4)
        return SVP_TLS_UPS_NO;
    }
    if (c.bad)
      return SVP_TLS_UPS_PENDING;
    uint32_t end = 1 + (uint32_t)c.off + mlen, at;
    if (end > cli_len)
      return end <= SVP_TLS_UPGRADE_BYTES ? SVP_TLS_UPS_PENDING : SVP_TLS_UPS_NO;
    if (!find_bytes(cli, end, ldap_starttls_oid, sizeof ldap_starttls_oid - 1, &at))
      return SVP_TLS_UPS_NO;
    *kind = SVP_TLS_UP_LDAP;
    *cli_at = end;
    return SVP_TLS_UPS_YES;
  }
  if (srv_len == 0)
    return cli_len ? SVP_TLS_UPS_NO : SVP_TLS_UPS_PENDING;
  if (srv_len >= 5 && srv[3] == 0 && srv[4] == 10) {
    enum svp_tls_upgrade_state st = scan_mysql(cli, cli_len, srv, srv_len, cli_at, srv_from);
    if (st == SVP_TLS_UPS_YES)
      *kind = SVP_TLS_UP_MYSQL;
    return st;
  }
  if (!text_greeting(srv, srv_len))
    return SVP_TLS_UPS_NO;
  return scan_text(cli, cli_len, kind, cli_at);
}

const char *svp_tls_upgrade_name(enum svp_tls_upgrade u)
{
  static const char *const names[SVP_TLS_UP_COUNT] = {
      [SVP_TLS_UP_STARTTLS] = "starttls", [SVP_TLS_UP_STLS] = "stls",
      [SVP_TLS_UP_AUTH_TLS] = "auth-tls", [SVP_TLS_UP_LDAP] = "ldap-starttls",
      [SVP_TLS_UP_POSTGRES] = "postgresql-sslrequest", [SVP_TLS_UP_MYSQL] = "mysql-ssl"};
  return (unsigned)u < SVP_TLS_UP_COUNT ? names[u] : NULL;
}
