/* rules_parse.c: nmap-service-probes text -> probes and rules of a
 * ruleset, line by line, each directive through the table below. A bad
 * line is reported as file:line: reason and skipped. See rules.h. */
#include "rules_priv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct loader {
  struct svp_ruleset *rs;
  struct svp_diag *diag;
  struct svp_rules_file *file;
  unsigned layer;
  unsigned line;
  struct rs_probe *cur;         /* probe the following lines belong to */
  bool skipping;                /* the last Probe line was bad */
  unsigned skipped_here;        /* lines skipped since it */
  unsigned bad_probe_line;
  bool seen_probe, seen_exclude;
  int fatal;                    /* SVP_ERR_NOMEM once memory ran out */
};

/* Report on the current line; errors and warnings are counted. */
static void SVP_PRINTF(3, 4) lmsg(struct loader *ld, enum svp_sev sev, const char *fmt, ...)
{
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  svp_diag_at(ld->diag, sev, ld->file->path, ld->line, "%s", msg);
  if (sev == SVP_SEV_ERROR) {
    ld->rs->stats.errors++;
    ld->file->errors++;
  } else if (sev == SVP_SEV_WARN) {
    ld->rs->stats.warnings++;
  }
}

#define lerr(ld, ...) lmsg(ld, SVP_SEV_ERROR, __VA_ARGS__)
#define lwarn(ld, ...) lmsg(ld, SVP_SEV_WARN, __VA_ARGS__)

/* Report an error on the current line and leave the directive handler. */
#define LFAIL(...)       \
  do {                   \
    lerr(__VA_ARGS__);   \
    return;              \
  } while (0)

/* Printable excerpt of s for messages (static buffer). */
static const char *excerpt(const char *s, size_t n)
{
  static _Thread_local char buf[48];
  size_t o = 0;
  for (size_t i = 0; i < n && o + 1 < sizeof buf; i++) {
    unsigned char c = (unsigned char)s[i];
    buf[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
  }
  if (n > sizeof buf - 1 && o >= 3)
    memcpy(buf + o - 3, "...", 3);
  buf[o] = '\0';
  return buf;
}

static bool is_space(char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static bool is_alnum(char c)
{
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Trim spaces at both ends of [*s, *s+*n). */
static void trim(const char **s, size_t *n)
{
  while (*n && is_space(**s)) {
    (*s)++;
    (*n)--;
  }
  while (*n && is_space((*s)[*n - 1]))
    (*n)--;
}

/* A Probe block ends (next Probe line or end of file). */
static void end_probe_block(struct loader *ld)
{
  if (ld->skipping && ld->skipped_here)
    svp_diag_at(ld->diag, SVP_SEV_NOTE, ld->file->path, ld->bad_probe_line,
                "%u line(s) of this bad Probe were skipped", ld->skipped_here);
  ld->skipping = false;
  ld->skipped_here = 0;
  ld->cur = NULL;
}

/* Probe TCP|UDP <name> q<d>payload<d> [no-payload] */
static void d_probe(struct loader *ld, const char *a, size_t n)
{
  struct svp_ruleset *rs = ld->rs;
  end_probe_block(ld);
  ld->seen_probe = true;
  ld->skipping = true; /* until the line is known good */
  ld->bad_probe_line = ld->line;

  enum svp_l4 l4;
  if (n >= 4 && memcmp(a, "TCP ", 4) == 0)
    l4 = SVP_L4_TCP;
  else if (n >= 4 && memcmp(a, "UDP ", 4) == 0)
    l4 = SVP_L4_UDP;
  else
    LFAIL(ld, "Probe: protocol must be TCP or UDP followed by a space");
  size_t i = 4;
  if (i >= n || !is_alnum(a[i]))
    LFAIL(ld, "Probe: the probe name must start with a letter or digit");
  const char *name = a + i;
  const char *sp = memchr(name, ' ', n - i);
  if (!sp)
    LFAIL(ld, "Probe: nothing after the probe name (expected q|payload|)");
  size_t name_len = (size_t)(sp - name);
  i = (size_t)(sp - a) + 1;
  if (i >= n || a[i] != 'q')
    LFAIL(ld, "Probe: the payload must be written q<delimiter>...<delimiter>");
  if (i + 1 >= n)
    LFAIL(ld, "Probe: no delimiter after q");
  char delim = a[i + 1];
  const char *body = a + i + 2;
  const char *close = memchr(body, delim, n - (i + 2));
  if (!close)
    LFAIL(ld, "Probe: no closing delimiter '%c' for the payload", delim);
  size_t body_len = (size_t)(close - body);
  uint8_t *payload = svp_arena_alloc(&rs->arena, body_len + 1);
  if (!payload) {
    ld->fatal = SVP_ERR_NOMEM;
    return;
  }
  size_t bad = 0;
  ptrdiff_t plen = svp_unescape(body, body_len, payload, &bad);
  if (plen < 0)
    LFAIL(ld, "Probe: bad escape in payload at \"%s\" (allowed: \\0 \\a \\b \\f "
                    "\\n \\r \\t \\v \\xHH and \\ before punctuation)",
                excerpt(body + bad, body_len - bad));
  const char *rest = close + 1;
  size_t rest_len = n - (size_t)(rest - a);
  trim(&rest, &rest_len);
  bool no_payload = false;
  if (rest_len == 10 && memcmp(rest, "no-payload", 10) == 0)
    no_payload = true;
  else if (rest_len)
    lwarn(ld, "Probe: text after the payload ignored: \"%s\"", excerpt(rest, rest_len));

  struct rs_probe *p = svp_rs_find_probe(rs, l4, name, name_len);
  if (p) {
    if (p->pub.payload_len != (size_t)plen || memcmp(p->pub.payload, payload, (size_t)plen) != 0)
      lwarn(ld, "Probe %s: payload differs from its definition at %s:%u; lines are "
                "still added to that probe", p->pub.name, p->pub.file, p->pub.line);
    else if (p->pub.file == ld->file->path && ld->layer == 0)
      lwarn(ld, "Probe %s defined twice in one file; lines added to the first "
                "definition at line %u", p->pub.name, p->pub.line);
    p->pub.no_payload = p->pub.no_payload || no_payload;
  } else {
    p = svp_arena_alloc(&rs->arena, sizeof *p);
    char *nm = svp_arena_strndup(&rs->arena, name, name_len);
    if (!p || !nm || svp_ptrvec_push(&rs->probes, p) != SVP_OK) {
      ld->fatal = SVP_ERR_NOMEM;
      return;
    }
    p->pub.name = nm;
    p->pub.l4 = l4;
    p->pub.payload = payload;
    p->pub.payload_len = (size_t)plen;
    p->pub.no_payload = no_payload;
    p->pub.rarity = 5;
    p->pub.totalwaitms = 5000;
    p->pub.tcpwrappedms = 2000;
    p->pub.file = ld->file->path;
    p->pub.line = ld->line;
    p->pub.index = (unsigned)(rs->probes.n - 1);
  }
  ld->cur = p;
  ld->skipping = false;
}

static void d_exclude(struct loader *ld, const char *a, size_t n)
{
  if (ld->seen_probe)
    LFAIL(ld, "Exclude must come before the first Probe line of the file");
  if (ld->seen_exclude)
    LFAIL(ld, "only one Exclude line is allowed per file");
  ld->seen_exclude = true;
  const char *err = NULL;
  int rc = svp_exclude_parse(a, n, &ld->rs->excl_tcp, &ld->rs->excl_udp, &err);
  if (rc == SVP_ERR_NOMEM)
    ld->fatal = rc;
  else if (rc != SVP_OK)
    lerr(ld, "Exclude: %s", err);
}

static void ports_common(struct loader *ld, const char *what, struct svp_rangevec *v,
                         const char *a, size_t n)
{
  const char *err = NULL;
  int rc = svp_ports_parse(a, n, v, &err);
  if (rc == SVP_ERR_NOMEM)
    ld->fatal = rc;
  else if (rc != SVP_OK)
    lerr(ld, "%s: %s", what, err);
}

static void d_ports(struct loader *ld, const char *a, size_t n)
{
  ports_common(ld, "ports", &ld->cur->ports, a, n);
}

static void d_sslports(struct loader *ld, const char *a, size_t n)
{
  ports_common(ld, "sslports", &ld->cur->sslports, a, n);
}

/* A decimal number in [lo, hi], nothing else but spaces around it. */
static bool parse_num(const char *a, size_t n, long lo, long hi, long *out)
{
  trim(&a, &n);
  if (n == 0 || n > 9)
    return false;
  long v = 0;
  for (size_t i = 0; i < n; i++) {
    if (a[i] < '0' || a[i] > '9')
      return false;
    v = v * 10 + (a[i] - '0');
  }
  if (v < lo || v > hi)
    return false;
  *out = v;
  return true;
}

static void d_rarity(struct loader *ld, const char *a, size_t n)
{
  long v;
  if (!parse_num(a, n, 1, 9, &v))
    LFAIL(ld, "rarity must be a number from 1 to 9");
  ld->cur->pub.rarity = (int)v;
}

static void d_totalwaitms(struct loader *ld, const char *a, size_t n)
{
  long v;
  if (!parse_num(a, n, 100, 300000, &v))
    LFAIL(ld, "totalwaitms must be a number of milliseconds from 100 to 300000");
  ld->cur->pub.totalwaitms = (unsigned)v;
}

static void d_tcpwrappedms(struct loader *ld, const char *a, size_t n)
{
  long v;
  if (!parse_num(a, n, 100, 300000, &v))
    LFAIL(ld, "tcpwrappedms must be a number of milliseconds from 100 to 300000");
  ld->cur->pub.tcpwrappedms = (unsigned)v;
}

#define SVP_MAX_FALLBACKS 20

static void d_fallback(struct loader *ld, const char *a, size_t n)
{
  const char *names[SVP_MAX_FALLBACKS];
  size_t lens[SVP_MAX_FALLBACKS], k = 0, i = 0;
  while (i < n) {
    while (i < n && (a[i] == ',' || is_space(a[i])))
      i++;
    if (i >= n)
      break;
    size_t s = i;
    while (i < n && a[i] != ',' && !is_space(a[i]))
      i++;
    if (k == SVP_MAX_FALLBACKS)
      LFAIL(ld, "fallback: more than %d probe names", SVP_MAX_FALLBACKS);
    names[k] = a + s;
    lens[k++] = i - s;
  }
  if (k == 0)
    LFAIL(ld, "fallback: no probe name given");
  const char **v = svp_arena_alloc(&ld->rs->arena, k * sizeof *v);
  if (!v) {
    ld->fatal = SVP_ERR_NOMEM;
    return;
  }
  for (size_t j = 0; j < k; j++)
    if (!(v[j] = svp_arena_strndup(&ld->rs->arena, names[j], lens[j]))) {
      ld->fatal = SVP_ERR_NOMEM;
      return;
    }
  ld->cur->fallback = v;
  ld->cur->n_fallback = k;
  ld->cur->fb_file = ld->file->path;
  ld->cur->fb_line = ld->line;
}

/* Template letter -> field; "cpe:" is handled apart. */
static int template_field(const struct svp_tok *t)
{
  static const char letters[SVP_F_COUNT] = {
    [SVP_F_PRODUCT] = 'p', [SVP_F_VERSION] = 'v', [SVP_F_INFO] = 'i',
    [SVP_F_HOSTNAME] = 'h', [SVP_F_OSTYPE] = 'o', [SVP_F_DEVTYPE] = 'd',
  };
  if (t->word_len != 1)
    return -1;
  for (int f = 0; f < SVP_F_COUNT; f++)
    if (letters[f] == t->word[0])
      return f;
  return -1;
}

static void match_common(struct loader *ld, bool soft, const char *a, size_t n)
{
  struct svp_ruleset *rs = ld->rs;
  const char *kw = soft ? "softmatch" : "match";
  const char *sp = memchr(a, ' ', n);
  if (!sp)
    LFAIL(ld, "%s: expected '<service> m<delim>regex<delim>'", kw);
  const char *svc = a;
  size_t svc_len = (size_t)(sp - a);
  bool ssl = false;
  if (svc_len > 4 && memcmp(svc, "ssl/", 4) == 0) {
    ssl = true;
    svc += 4;
    svc_len -= 4;
  }
  if (svc_len == 0)
    LFAIL(ld, "%s: empty service name", kw);

  size_t pos = (size_t)(sp - a);
  struct svp_tok t;
  enum svp_tok_rc rc = svp_tok_next(a, n, &pos, &t);
  if (rc == SVP_TOK_END)
    LFAIL(ld, "%s: no pattern after the service name", kw);
  if (rc == SVP_TOK_NODELIM || t.word_len != 1 || t.word[0] != 'm')
    LFAIL(ld, "%s: the pattern must be written m<delim>regex<delim>", kw);
  if (rc == SVP_TOK_UNTERMINATED)
    LFAIL(ld, "%s: no closing delimiter '%c' for the pattern", kw, t.delim);
  bool caseless = false, dotall = false;
  for (size_t k = 0; k < t.flags_len; k++) {
    if (t.flags[k] == 'i')
      caseless = true;
    else if (t.flags[k] == 's')
      dotall = true;
    else
      LFAIL(ld, "%s: unknown regex flag '%c' (nmap knows only i and s)", kw,
                  t.flags[k]);
  }
  struct svp_tok pat = t;

  struct svp_tok tmpl[SVP_F_COUNT];
  bool have[SVP_F_COUNT] = {false};
  struct svp_tok cpes[32];
  size_t n_cpe = 0;
  for (;;) {
    rc = svp_tok_next(a, n, &pos, &t);
    if (rc == SVP_TOK_END)
      break;
    if (rc == SVP_TOK_NODELIM)
      LFAIL(ld, "%s: expected a template like p/.../ at \"%s\"", kw,
                  excerpt(a + t.at, n - t.at));
    bool is_cpe = t.word_len == 4 && memcmp(t.word, "cpe:", 4) == 0;
    int f = is_cpe ? -1 : template_field(&t);
    if (!is_cpe && f < 0)
      LFAIL(ld, "%s: unknown template '%.*s%c' (known: p v i h o d cpe:)", kw,
                  (int)(t.word_len > 16 ? 16 : t.word_len), t.word, t.delim);
    if (rc == SVP_TOK_UNTERMINATED)
      LFAIL(ld, "%s: no closing delimiter '%c' for template '%.*s'", kw, t.delim,
                  (int)(t.word_len > 16 ? 16 : t.word_len), t.word);
    if (is_cpe) {
      if (n_cpe == SVP_ARRAY_LEN(cpes))
        LFAIL(ld, "%s: more than %zu cpe: templates", kw, SVP_ARRAY_LEN(cpes));
      char part = t.body_len ? t.body[0] : '\0';
      if (part != 'a' && part != 'h' && part != 'o')
        lwarn(ld, "%s: cpe:/%s/ has no part a, h or o; it will be ignored", kw,
              excerpt(t.body, t.body_len));
      cpes[n_cpe++] = t;
    } else {
      tmpl[f] = t; /* a repeated template replaces the earlier one (nmap) */
      have[f] = true;
    }
  }

  struct rs_rule *r = svp_arena_alloc(&rs->arena, sizeof *r);
  const char **cpev = n_cpe ? svp_arena_alloc(&rs->arena, n_cpe * sizeof *cpev) : NULL;
  if (!r || (n_cpe && !cpev) || svp_ptrvec_push(&rs->rules, r) != SVP_OK)
    goto nomem;
  r->pub.service = svp_arena_strndup(&rs->arena, svc, svc_len);
  r->pub.pattern = svp_arena_strndup(&rs->arena, pat.body, pat.body_len);
  if (!r->pub.service || !r->pub.pattern)
    goto nomem;
  for (int f = 0; f < SVP_F_COUNT; f++)
    if (have[f] && !(r->pub.tmpl[f] = svp_arena_strndup(&rs->arena, tmpl[f].body,
                                                     tmpl[f].body_len)))
      goto nomem;
  for (size_t k = 0; k < n_cpe; k++)
    if (!(cpev[k] = svp_arena_strndup(&rs->arena, cpes[k].body, cpes[k].body_len)))
      goto nomem;
  r->pub.ssl = ssl;
  r->pub.soft = soft;
  r->pub.caseless = caseless;
  r->pub.dotall = dotall;
  r->pub.cpe = cpev;
  r->pub.n_cpe = n_cpe;
  r->pub.file = ld->file->path;
  r->pub.line = ld->line;
  r->pub.layer = ld->layer;
  r->pub.probe = &ld->cur->pub;
  r->seq = rs->seq++;
  if (ld->cur->last)
    ld->cur->last->next_in_probe = r;
  else
    ld->cur->first = r;
  ld->cur->last = r;
  ld->cur->n_lines++;
  ld->file->rules++;
  return;
nomem:
  ld->fatal = SVP_ERR_NOMEM;
}

static void d_match(struct loader *ld, const char *a, size_t n)
{
  match_common(ld, false, a, n);
}

static void d_softmatch(struct loader *ld, const char *a, size_t n)
{
  match_common(ld, true, a, n);
}

/* The directives: exact, case-sensitive keyword followed by one space. */
static const struct directive {
  const char *kw;
  void (*fn)(struct loader *ld, const char *arg, size_t len);
  bool in_probe;  /* belongs to the current Probe */
} directives[] = {
  {.kw = "Probe", .fn = d_probe},
  {.kw = "match", .fn = d_match, .in_probe = true},
  {.kw = "softmatch", .fn = d_softmatch, .in_probe = true},
  {.kw = "ports", .fn = d_ports, .in_probe = true},
  {.kw = "sslports", .fn = d_sslports, .in_probe = true},
  {.kw = "rarity", .fn = d_rarity, .in_probe = true},
  {.kw = "fallback", .fn = d_fallback, .in_probe = true},
  {.kw = "totalwaitms", .fn = d_totalwaitms, .in_probe = true},
  {.kw = "tcpwrappedms", .fn = d_tcpwrappedms, .in_probe = true},
  {.kw = "Exclude", .fn = d_exclude},
};

static void parse_line(struct loader *ld, const char *s, size_t n)
{
  if (n && s[n - 1] == '\r')
    n--; /* CRLF files */
  if (n == 0 || s[0] == '#')
    return;
  size_t k = 0;
  while (k < n && is_space(s[k]))
    k++;
  if (k == n)
    return; /* whitespace only (nmap aborts; harmless) */
  if (memchr(s, '\0', n))
    LFAIL(ld, "NUL byte in the line");
  for (size_t d = 0; d < SVP_ARRAY_LEN(directives); d++) {
    size_t kl = strlen(directives[d].kw);
    if (n <= kl || memcmp(s, directives[d].kw, kl) != 0 || s[kl] != ' ')
      continue;
    if (directives[d].in_probe && !ld->cur) {
      if (ld->skipping) {
        ld->skipped_here++;
        ld->rs->stats.skipped++;
      } else {
        lerr(ld, "%s before any Probe line", directives[d].kw);
      }
      return;
    }
    directives[d].fn(ld, s + kl + 1, n - kl - 1);
    return;
  }
  size_t w = 0;
  while (w < n && !is_space(s[w]))
    w++;
  lerr(ld, "unknown directive '%s' (expected Probe, match, softmatch, ports, "
           "sslports, rarity, fallback, totalwaitms, tcpwrappedms or Exclude)",
       excerpt(s, w));
}

int svp_rules_load_buf(struct svp_ruleset *rs, const char *name, const char *text,
                       size_t len, unsigned layer, struct svp_diag *diag)
{
  if (rs->is_compiled)
    return SVP_ERR_ARG;
  double t0 = svp_rs_now_ms();
  struct svp_rules_file *f = svp_rs_add_file(rs, name, layer);
  if (!f)
    return SVP_ERR_NOMEM;
  struct loader ld = {.rs = rs, .diag = diag, .file = f, .layer = layer};
  size_t i = 0;
  while (i < len && !ld.fatal) {
    const char *nl = memchr(text + i, '\n', len - i);
    size_t end = nl ? (size_t)(nl - text) : len;
    ld.line++;
    parse_line(&ld, text + i, end - i);
    i = end + 1;
  }
  end_probe_block(&ld);
  f->lines = ld.line;
  rs->stats.parse_ms += svp_rs_now_ms() - t0;
  return ld.fatal ? ld.fatal : SVP_OK;
}

/* A rule file that could not be read: reported, and kept in the file
 * list with one error. */
static int file_failed(struct svp_ruleset *rs, const char *path, unsigned layer,
                       struct svp_diag *diag, const char *why)
{
  svp_diag_at(diag, SVP_SEV_ERROR, path, 0, "cannot read: %s", why);
  struct svp_rules_file *f = svp_rs_add_file(rs, path, layer);
  if (!f)
    return SVP_ERR_NOMEM;
  f->errors = 1;
  rs->stats.errors++;
  return SVP_ERR_IO;
}

int svp_rules_load_file(struct svp_ruleset *rs, const char *path, unsigned layer,
                        struct svp_diag *diag)
{
  if (rs->is_compiled)
    return SVP_ERR_ARG;
  FILE *fp = fopen(path, "rb");
  if (!fp)
    return file_failed(rs, path, layer, diag, strerror(errno));
  size_t cap = 1 << 16, len = 0, got;
  char *buf = malloc(cap);
  while (buf && (got = fread(buf + len, 1, cap - len, fp)) > 0) {
    len += got;
    if (len < cap)
      continue;
    char *nb = realloc(buf, cap *= 2);
    if (!nb)
      free(buf);
    buf = nb;
  }
  int err = ferror(fp) ? errno : 0;
  fclose(fp);
  if (!buf)
    return SVP_ERR_NOMEM;
  int rc = err ? file_failed(rs, path, layer, diag, strerror(err))
               : svp_rules_load_buf(rs, path, buf, len, layer, diag);
  free(buf);
  return rc;
}
