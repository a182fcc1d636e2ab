/* active_scope.c: --scope, the list of prefixes active mode may send to
 * (see active.h). */
#include "svp/active/active.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

struct prefix {
  struct svp_addr net;   /* host bits zero */
  unsigned bits;         /* 0..32 (IPv4) or 0..128 (IPv6) */
};

struct svp_scope {
  struct prefix *p;
  size_t n;
};

/* True if a and b agree on their first `bits` bits. */
static bool same_prefix(const uint8_t *a, const uint8_t *b, unsigned bits)
{
  unsigned whole = bits / 8, rest = bits % 8;
  if (memcmp(a, b, whole) != 0)
    return false;
  if (rest == 0)
    return true;
  uint8_t mask = (uint8_t)(0xff00u >> rest);
  return (a[whole] & mask) == (b[whole] & mask);
}

static bool host_bits_clear(const uint8_t *a, unsigned bits, unsigned len)
{
  for (unsigned i = bits; i < len * 8; i++)
    if (a[i / 8] & (0x80u >> (i % 8)))
      return false;
  return true;
}

/* One element "ADDR" or "ADDR/BITS" (text, n bytes, no spaces around). */
static int parse_one(const char *text, size_t n, struct prefix *out, char *err, size_t errlen)
{
  char buf[INET6_ADDRSTRLEN + 8];
  if (n == 0) {
    snprintf(err, errlen, "empty element (two commas, or a comma at an end)");
    return SVP_ERR_PARSE;
  }
  if (n >= sizeof buf) {
    snprintf(err, errlen, "'%.*s...' is not an address or CIDR prefix", 20, text);
    return SVP_ERR_PARSE;
  }
  memcpy(buf, text, n);
  buf[n] = '\0';
  char *slash = strchr(buf, '/');
  if (slash)
    *slash = '\0';
  memset(out, 0, sizeof *out);
  unsigned len;
  if (inet_pton(AF_INET, buf, out->net.b) == 1) {
    out->net.family = 4;
    len = 4;
  } else if (inet_pton(AF_INET6, buf, out->net.b) == 1) {
    out->net.family = 6;
    len = 16;
  } else {
    snprintf(err, errlen, "'%.*s' is not an IPv4 or IPv6 address", (int)n, text);
    return SVP_ERR_PARSE;
  }
  out->bits = len * 8;
  if (slash) {
    const char *d = slash + 1;
    unsigned v = 0;
    if (!*d || strlen(d) > 3 || strspn(d, "0123456789") != strlen(d) ||
        (v = (unsigned)atoi(d)) > len * 8) {
      snprintf(err, errlen, "'%.*s': prefix length must be a number from 0 to %u", (int)n,
               text, len * 8);
      return SVP_ERR_PARSE;
    }
    out->bits = v;
  }
  if (!host_bits_clear(out->net.b, out->bits, len)) {
    snprintf(err, errlen,
             "'%.*s' has host bits set below the /%u prefix: write the network "
             "address, or the single address without a prefix",
             (int)n, text, out->bits);
    return SVP_ERR_PARSE;
  }
  return SVP_OK;
}

int svp_scope_parse(const char *text, struct svp_scope **out, char *err, size_t errlen)
{
  *out = NULL;
  if (errlen)
    err[0] = '\0';
  if (!text || !*text) {
    snprintf(err, errlen, "empty scope");
    return SVP_ERR_PARSE;
  }
  struct svp_scope *s = calloc(1, sizeof *s);
  size_t cap = 1;
  for (const char *c = text; *c; c++)
    cap += *c == ',';
  if (!s || !(s->p = calloc(cap, sizeof *s->p))) {
    free(s);
    return SVP_ERR_NOMEM;
  }
  const char *c = text;
  for (;;) {
    const char *end = strchr(c, ',');
    size_t n = end ? (size_t)(end - c) : strlen(c);
    /* spaces around an element are allowed ("a, b") */
    while (n && (*c == ' ' || *c == '\t')) {
      c++;
      n--;
    }
    while (n && (c[n - 1] == ' ' || c[n - 1] == '\t'))
      n--;
    int rc = parse_one(c, n, &s->p[s->n], err, errlen);
    if (rc != SVP_OK) {
      svp_scope_free(s);
      return rc;
    }
    s->n++;
    if (!end)
      break;
    c = end + 1;
  }
  *out = s;
  return SVP_OK;
}

bool svp_scope_contains(const struct svp_scope *s, const struct svp_addr *a)
{
  if (!s)
    return false;
  for (size_t i = 0; i < s->n; i++)
    if (s->p[i].net.family == a->family && same_prefix(s->p[i].net.b, a->b, s->p[i].bits))
      return true;
  return false;
}

size_t svp_scope_count(const struct svp_scope *s)
{
  return s ? s->n : 0;
}

void svp_scope_free(struct svp_scope *s)
{
  if (!s)
    return;
  free(s->p);
  free(s);
}
