/* rules_lex.c: unescaping, delimited tokens and port lists of the
 * nmap-service-probes grammar. See rules_lex.h. */
#include "rules_lex.h"

#include <stdlib.h>
#include <string.h>

static bool is_space(char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static bool is_alpha(char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
  return c >= '0' && c <= '9';
}

static int hex_val(char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

ptrdiff_t svp_unescape(const char *s, size_t n, uint8_t *out, size_t *bad_off)
{
  size_t i = 0, o = 0;
  while (i < n) {
    unsigned char c = (unsigned char)s[i];
    if (c != '\\') {
      out[o++] = c;
      i++;
      continue;
    }
    if (i + 1 >= n)
      goto bad; /* lone backslash at the end */
    char e = s[i + 1];
    switch (e) {
    case '0': c = 0; break;
    case 'a': c = '\a'; break;
    case 'b': c = '\b'; break;
    case 'f': c = '\f'; break;
    case 'n': c = '\n'; break;
    case 'r': c = '\r'; break;
    case 't': c = '\t'; break;
    case 'v': c = '\v'; break;
    case 'x': {
      int hi = i + 2 < n ? hex_val(s[i + 2]) : -1;
      int lo = i + 3 < n ? hex_val(s[i + 3]) : -1;
      if (hi < 0 || lo < 0)
        goto bad;
      out[o++] = (uint8_t)(hi << 4 | lo);
      i += 4;
      continue;
    }
    default:
      if (is_alpha(e) || is_digit(e))
        goto bad;
      c = (unsigned char)e;
      break;
    }
    out[o++] = c;
    i += 2;
  }
  return (ptrdiff_t)o;
bad:
  if (bad_off)
    *bad_off = i;
  return -1;
}

enum svp_tok_rc svp_tok_next(const char *line, size_t len, size_t *pos,
                             struct svp_tok *t)
{
  size_t p = *pos;
  memset(t, 0, sizeof *t);
  while (p < len && is_space(line[p]))
    p++;
  if (p >= len)
    return SVP_TOK_END;
  t->at = p;
  t->word = line + p;
  while (p < len && (is_alpha(line[p]) || line[p] == ':'))
    p++;
  t->word_len = (size_t)(line + p - t->word);
  if (p >= len || is_space(line[p]))
    return SVP_TOK_NODELIM;
  t->delim = line[p++];
  t->body = line + p;
  const char *close = memchr(line + p, t->delim, len - p);
  if (!close)
    return SVP_TOK_UNTERMINATED;
  t->body_len = (size_t)(close - t->body);
  p = (size_t)(close - line) + 1;
  t->flags = line + p;
  while (p < len && is_alpha(line[p]))
    p++;
  t->flags_len = (size_t)(line + p - t->flags);
  *pos = p;
  return SVP_TOK_OK;
}

int svp_rangevec_add(struct svp_rangevec *v, uint16_t lo, uint16_t hi)
{
  if (v->n == v->cap) {
    size_t cap = v->cap ? v->cap * 2 : 8;
    struct svp_port_range *r = realloc(v->r, cap * sizeof *r);
    if (!r)
      return SVP_ERR_NOMEM;
    v->r = r;
    v->cap = cap;
  }
  v->r[v->n].lo = lo;
  v->r[v->n].hi = hi;
  v->n++;
  return SVP_OK;
}

static int range_cmp(const void *a, const void *b)
{
  const struct svp_port_range *x = a, *y = b;
  if (x->lo != y->lo)
    return x->lo < y->lo ? -1 : 1;
  return (x->hi > y->hi) - (x->hi < y->hi);
}

void svp_rangevec_normalize(struct svp_rangevec *v)
{
  if (v->n < 2)
    return;
  qsort(v->r, v->n, sizeof *v->r, range_cmp);
  size_t w = 0;
  for (size_t i = 1; i < v->n; i++) {
    if ((uint32_t)v->r[i].lo <= (uint32_t)v->r[w].hi + 1) {
      if (v->r[i].hi > v->r[w].hi)
        v->r[w].hi = v->r[i].hi;
    } else {
      v->r[++w] = v->r[i];
    }
  }
  v->n = w + 1;
}

void svp_rangevec_free(struct svp_rangevec *v)
{
  free(v->r);
  v->r = NULL;
  v->n = v->cap = 0;
}

/* Decimal number 0..65535 at s[*i]; advances *i. */
static bool read_port(const char *s, size_t n, size_t *i, uint16_t *out)
{
  size_t p = *i;
  uint32_t v = 0;
  if (p >= n || !is_digit(s[p]))
    return false;
  while (p < n && is_digit(s[p])) {
    v = v * 10 + (uint32_t)(s[p] - '0');
    if (v > 65535)
      return false;
    p++;
  }
  *out = (uint16_t)v;
  *i = p;
  return true;
}

static void skip_spaces(const char *s, size_t n, size_t *i)
{
  while (*i < n && is_space(s[*i]))
    (*i)++;
}

int svp_ports_parse(const char *s, size_t n, struct svp_rangevec *v,
                    const char **err)
{
  size_t i = 0;
  skip_spaces(s, n, &i);
  if (i >= n) {
    *err = "empty port list";
    return SVP_ERR_PARSE;
  }
  while (i < n) {
    uint16_t lo, hi;
    skip_spaces(s, n, &i);
    if (!read_port(s, n, &i, &lo)) {
      *err = "expected a port number 0-65535 (form: 21-25,53,80)";
      return SVP_ERR_PARSE;
    }
    skip_spaces(s, n, &i);
    hi = lo;
    if (i < n && s[i] == '-') {
      i++;
      if (!read_port(s, n, &i, &hi) || hi < lo) {
        *err = "bad port range (form: 21-25,53,80)";
        return SVP_ERR_PARSE;
      }
      skip_spaces(s, n, &i);
    }
    if (i < n && s[i] != ',') {
      *err = "unexpected character in port list (form: 21-25,53,80)";
      return SVP_ERR_PARSE;
    }
    if (svp_rangevec_add(v, lo, hi) != SVP_OK)
      return SVP_ERR_NOMEM;
    if (i < n)
      i++; /* the comma */
  }
  return SVP_OK;
}

int svp_exclude_parse(const char *s, size_t n, struct svp_rangevec *tcp,
                      struct svp_rangevec *udp, const char **err)
{
  enum { P_BOTH, P_TCP, P_UDP, P_SCTP } proto = P_BOTH;
  size_t i = 0;
  bool any = false;
  while (i < n) {
    skip_spaces(s, n, &i);
    if (i >= n)
      break;
    if (i + 1 < n && s[i + 1] == ':') {
      switch (s[i]) {
      case 'T': proto = P_TCP; break;
      case 'U': proto = P_UDP; break;
      case 'S': proto = P_SCTP; break;
      default:
        *err = "unknown protocol prefix (use T:, U: or S:)";
        return SVP_ERR_PARSE;
      }
      i += 2;
      skip_spaces(s, n, &i);
    }
    uint16_t lo = 0, hi = 65535;
    if (i < n && s[i] == '*') {
      i++;
    } else {
      bool has_lo = read_port(s, n, &i, &lo);
      if (i < n && s[i] == '-') {
        i++;
        if (!read_port(s, n, &i, &hi))
          hi = 65535;
      } else if (has_lo) {
        hi = lo;
      } else {
        *err = "expected a port, a range or '*' (port names are not supported)";
        return SVP_ERR_PARSE;
      }
      if (hi < lo) {
        *err = "bad port range";
        return SVP_ERR_PARSE;
      }
    }
    skip_spaces(s, n, &i);
    if (i < n && s[i] != ',') {
      *err = "unexpected character in port list";
      return SVP_ERR_PARSE;
    }
    if (i < n)
      i++;
    any = true;
    if ((proto == P_BOTH || proto == P_TCP) && svp_rangevec_add(tcp, lo, hi) != SVP_OK)
      return SVP_ERR_NOMEM;
    if ((proto == P_BOTH || proto == P_UDP) && svp_rangevec_add(udp, lo, hi) != SVP_OK)
      return SVP_ERR_NOMEM;
  }
  if (!any) {
    *err = "empty port list";
    return SVP_ERR_PARSE;
  }
  return SVP_OK;
}
