/* template.c: nmap's version templates expanded against a regex match.
 *
 * A template is literal text with substitutions: $1..$9 (one digit) and
 * the helpers of the registry below ($P, $SUBST, $I). As in nmap (service_
 * scan.cc substvar/dotmplsubst), a substitution's value ends at its first
 * NUL byte, cpe: templates transform only substituted text, trailing
 * spaces and commas are stripped, and any bad substitution empties the
 * whole field. Unlike nmap, a value longer than its field is cut and
 * marked (struct svp_fields.truncated) instead of being dropped, and a
 * group that did not take part is empty instead of an assertion failure.
 * See template.h and docs/RULES.md. */
#include "svp/rules/template.h"

#include "rules_lex.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- output with a hard capacity ---- */

struct out {
  char *buf;
  size_t cap;    /* bytes available before the NUL */
  size_t len;
  bool cut;      /* something did not fit */
};

static void out_byte(struct out *o, char c)
{
  if (o->len < o->cap)
    o->buf[o->len++] = c;
  else
    o->cut = true;
}

/* One substitution's value on its way into the output: stops at its first
 * NUL, applies the CPE transformation if asked. */
struct sink {
  struct out *o;
  bool cpe;
  bool ended;    /* a NUL was seen */
};

static void sink_put(struct sink *k, const uint8_t *p, size_t n)
{
  static const char cpe_escaped[] = ":/?#[]@!$&'()*+,;=%<>\"";
  static const char hex[] = "0123456789ABCDEF";
  for (size_t i = 0; i < n && !k->ended; i++) {
    uint8_t c = p[i];
    if (c == 0) {
      k->ended = true;
    } else if (!k->cpe) {
      out_byte(k->o, (char)c);
    } else if (strchr(cpe_escaped, c)) {
      out_byte(k->o, '%');
      out_byte(k->o, hex[c >> 4]);
      out_byte(k->o, hex[c & 15]);
    } else if (c == ' ') {
      out_byte(k->o, '_');
    } else {
      out_byte(k->o, (char)((c >= 'A' && c <= 'Z') ? c | 0x20 : c));
    }
  }
}

/* ---- helper arguments ---- */

#define SVP_TMPL_MAX_ARGS 5   /* nmap's SUBSTARGS_MAX_ARGS */
#define SVP_TMPL_STRLEN 128   /* nmap's SUBSTARGS_STRLEN (raw text < 127) */

enum arg_type { ARG_NONE = 0, ARG_INT, ARG_STR };

struct args {
  unsigned n;
  enum arg_type type[SVP_TMPL_MAX_ARGS];
  long num[SVP_TMPL_MAX_ARGS];
  uint8_t str[SVP_TMPL_MAX_ARGS][SVP_TMPL_STRLEN];
  size_t str_len[SVP_TMPL_MAX_ARGS];
};

static bool is_space(char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* Parse "arg, arg, ...)" starting after the '('; *pp moves past the ')'.
 * Arguments are integers (strtol base 0) or "strings" with nmap's escapes. */
static bool parse_args(const char **pp, struct args *a)
{
  const char *p = *pp;
  memset(a, 0, sizeof *a);
  for (;;) {
    while (is_space(*p))
      p++;
    if (*p == ')')
      break;
    if (a->n == SVP_TMPL_MAX_ARGS)
      return false;
    if (*p == '"') {
      const char *s = ++p;
      while (*p && *p != '"')
        p += (*p == '\\' && p[1]) ? 2 : 1;
      if (*p != '"' || (size_t)(p - s) >= SVP_TMPL_STRLEN - 1)
        return false;
      ptrdiff_t n = svp_unescape(s, (size_t)(p - s), a->str[a->n], NULL);
      if (n < 0)
        return false;
      a->str_len[a->n] = (size_t)n;
      a->type[a->n++] = ARG_STR;
      p++;
    } else {
      char *end;
      errno = 0;
      long v = strtol(p, &end, 0);
      if (end == p || errno)
        return false;
      a->num[a->n] = v;
      a->type[a->n++] = ARG_INT;
      p = end;
    }
    while (is_space(*p))
      p++;
    if (*p == ',')
      p++;
    else if (*p != ')')
      return false;
  }
  if (a->n == 0)
    return false;
  *pp = p + 1;
  return true;
}

/* ---- the helpers ---- */

/* Each helper gets the bytes of the group named by its first argument. */
typedef bool (*helper_fn)(const struct args *a, const uint8_t *grp, size_t len,
                          struct sink *k);

/* $P(n): the printable bytes only (UTF-16 text -> ASCII). */
static bool h_printable(const struct args *a, const uint8_t *grp, size_t len, struct sink *k)
{
  (void)a;
  for (size_t i = 0; i < len; i++)
    if (grp[i] >= 0x20 && grp[i] <= 0x7e)
      sink_put(k, grp + i, 1);
  return true;
}

/* $SUBST(n,"find","repl"): every non-overlapping find, left to right. */
static bool h_subst(const struct args *a, const uint8_t *grp, size_t len, struct sink *k)
{
  const uint8_t *find = a->str[1], *repl = a->str[2];
  size_t flen = a->str_len[1], rlen = a->str_len[2];
  if (flen == 0)
    return false; /* would never advance */
  for (size_t i = 0; i < len;) {
    if (len - i >= flen && memcmp(grp + i, find, flen) == 0) {
      sink_put(k, repl, rlen);
      i += flen;
    } else {
      sink_put(k, grp + i, 1);
      i++;
    }
  }
  return true;
}

/* $I(n,">") / $I(n,"<"): up to 8 bytes as an unsigned big-/little-endian
 * integer, in decimal. */
static bool h_int(const struct args *a, const uint8_t *grp, size_t len, struct sink *k)
{
  if (a->str_len[1] != 1 || (a->str[1][0] != '>' && a->str[1][0] != '<') || len > 8)
    return false;
  bool big = a->str[1][0] == '>';
  uint64_t v = 0;
  for (size_t i = 0; i < len; i++)
    v = v << 8 | grp[big ? i : len - 1 - i];
  char num[24];
  int n = snprintf(num, sizeof num, "%llu", (unsigned long long)v);
  sink_put(k, (const uint8_t *)num, (size_t)n);
  return true;
}

static const struct helper {
  const char *name;
  unsigned n_args;                   /* exact count; args[0] is the group */
  enum arg_type args[SVP_TMPL_MAX_ARGS];
  helper_fn fn;
} helpers[] = {
  {.name = "P", .n_args = 1, .args = {ARG_INT}, .fn = h_printable},
  {.name = "SUBST", .n_args = 3, .args = {ARG_INT, ARG_STR, ARG_STR}, .fn = h_subst},
  {.name = "I", .n_args = 2, .args = {ARG_INT, ARG_STR}, .fn = h_int},
};

/* ---- expansion ---- */

/* Bytes of group n, or false if n is not a group the match reported
 * (nmap: 1..9 and below the pcre return count). An unset group is "". */
static bool group_bytes(const struct svp_groups *g, long n, const uint8_t **p, size_t *len)
{
  if (n < 1 || n > 9 || (unsigned long)n >= g->n_pairs)
    return false;
  size_t s = g->ovec[2 * n], e = g->ovec[2 * n + 1];
  if (s == SVP_UNSET || e == SVP_UNSET) {
    *p = g->subject;
    *len = 0;
    return true;
  }
  if (s > e || e > g->subject_len)
    return false;
  *p = g->subject + s;
  *len = e - s;
  return true;
}

/* One substitution at *pp (just after the '$'). */
static int substitute(const char **pp, const struct svp_groups *g, struct sink *k)
{
  const char *p = *pp;
  const uint8_t *grp;
  size_t len;
  if (*p >= '0' && *p <= '9') {
    if (!group_bytes(g, *p - '0', &grp, &len))
      return SVP_ERR_ARG;
    sink_put(k, grp, len);
    *pp = p + 1;
    return SVP_OK;
  }
  const char *name = p;
  while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'))
    p++;
  size_t nlen = (size_t)(p - name);
  if (*p != '(' || nlen == 0)
    return SVP_ERR_PARSE;
  p++;
  const struct helper *h = NULL;
  for (size_t i = 0; i < SVP_ARRAY_LEN(helpers); i++)
    if (strlen(helpers[i].name) == nlen && memcmp(helpers[i].name, name, nlen) == 0)
      h = &helpers[i];
  struct args a;
  if (!h || !parse_args(&p, &a) || a.n != h->n_args)
    return SVP_ERR_PARSE;
  for (unsigned i = 0; i < a.n; i++)
    if (a.type[i] != h->args[i])
      return SVP_ERR_PARSE;
  if (!group_bytes(g, a.num[0], &grp, &len))
    return SVP_ERR_ARG;
  if (!h->fn(&a, grp, len, k))
    return SVP_ERR_ARG;
  *pp = p;
  return SVP_OK;
}

int svp_tmpl_expand(const char *tmpl, const struct svp_groups *g, bool cpe, char *out,
                    size_t outsz, bool *truncated)
{
  if (truncated)
    *truncated = false;
  if (outsz == 0)
    return SVP_ERR_ARG;
  struct out o = {.buf = out, .cap = outsz - 1};
  const char *p = tmpl;
  while (*p) {
    if (*p != '$') {
      out_byte(&o, *p++);
      continue;
    }
    p++;
    struct sink k = {.o = &o, .cpe = cpe};
    int rc = substitute(&p, g, &k);
    if (rc != SVP_OK) {
      out[0] = '\0';
      return rc;
    }
  }
  while (o.len && (is_space(o.buf[o.len - 1]) || o.buf[o.len - 1] == ','))
    o.len--;
  out[o.len] = '\0';
  if (truncated)
    *truncated = o.cut;
  return SVP_OK;
}

/* Stored values are printable ASCII (nmap's replacenonprintable). */
static void printable(char *s)
{
  for (; *s; s++)
    if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
      *s = '.';
}

static char *field_buf(struct svp_fields *f, enum svp_field which, size_t *size)
{
  switch (which) {
  case SVP_F_PRODUCT: *size = sizeof f->product; return f->product;
  case SVP_F_VERSION: *size = sizeof f->version; return f->version;
  case SVP_F_INFO: *size = sizeof f->info; return f->info;
  case SVP_F_HOSTNAME: *size = sizeof f->hostname; return f->hostname;
  case SVP_F_OSTYPE: *size = sizeof f->ostype; return f->ostype;
  case SVP_F_DEVTYPE: *size = sizeof f->devtype; return f->devtype;
  default: break;
  }
  *size = 0;
  return NULL;
}

const char *svp_fields_get(const struct svp_fields *f, enum svp_field which)
{
  size_t size;
  const char *s = field_buf((struct svp_fields *)f, which, &size);
  return s ? s : "";
}

void svp_fields_fill(struct svp_fields *f, const struct svp_rule *r, const struct svp_groups *g)
{
  memset(f, 0, sizeof *f);
  for (int i = 0; i < SVP_F_COUNT; i++) {
    if (!r->tmpl[i])
      continue;
    size_t size;
    char *buf = field_buf(f, (enum svp_field)i, &size);
    bool cut = false;
    if (svp_tmpl_expand(r->tmpl[i], g, false, buf, size, &cut) == SVP_OK && cut)
      f->truncated |= (uint16_t)(1u << i);
    printable(buf);
  }
  static const char prefix[] = "cpe:/";
  const size_t plen = sizeof prefix - 1;
  for (size_t i = 0; i < r->n_cpe; i++) {
    int part;
    switch (r->cpe[i][0]) {
    case 'a': part = SVP_CPE_A; break;
    case 'h': part = SVP_CPE_H; break;
    case 'o': part = SVP_CPE_O; break;
    default: continue; /* nmap ignores unknown parts */
    }
    char *buf = f->cpe[part];
    unsigned bit = 1u << (SVP_F_COUNT + part);
    bool cut = false;
    memcpy(buf, prefix, plen);
    f->truncated &= (uint16_t)~bit; /* the last template of a part wins */
    if (svp_tmpl_expand(r->cpe[i], g, true, buf + plen, SVP_FIELD_LEN - plen, &cut) != SVP_OK) {
      buf[0] = '\0';
      continue;
    }
    if (cut)
      f->truncated |= (uint16_t)bit;
    printable(buf);
  }
}
