/* rules.c: nmap-service-probes files -> one read-only ruleset.
 *
 * Loading parses line by line into probes and rules (strings copied into
 * an arena); svp_rules_compile() then compiles every regex, orders each
 * probe's rules, resolves fallbacks and builds the match index. Grammar
 * pieces (unescaping, delimited tokens, port lists) are in rules_lex.c.
 * See rules.h for the contract and docs/RULES.md for the semantics. */
#include "rules_int.h"
#include "rules_lex.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- arena: every string and struct of the ruleset, freed at once ---- */

struct chunk {
  struct chunk *next;
  size_t used, cap;
  max_align_t data[];
};

struct arena {
  struct chunk *head;
};

static void *arena_alloc(struct arena *a, size_t n)
{
  n = (n + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
  if (!a->head || a->head->cap - a->head->used < n) {
    size_t cap = n > 65536 ? n : 65536;
    struct chunk *c = malloc(sizeof *c + cap);
    if (!c)
      return NULL;
    c->next = a->head;
    c->used = 0;
    c->cap = cap;
    a->head = c;
  }
  void *p = (unsigned char *)a->head->data + a->head->used;
  a->head->used += n;
  memset(p, 0, n);
  return p;
}

static char *arena_strndup(struct arena *a, const char *s, size_t n)
{
  char *d = arena_alloc(a, n + 1);
  if (d) {
    memcpy(d, s, n);
    d[n] = '\0';
  }
  return d;
}

static void arena_free(struct arena *a)
{
  while (a->head) {
    struct chunk *n = a->head->next;
    free(a->head);
    a->head = n;
  }
}

/* ---- a growable array of pointers (heap) ---- */

struct ptrvec {
  void **v;
  size_t n, cap;
};

static int ptrvec_push(struct ptrvec *pv, void *p)
{
  if (pv->n == pv->cap) {
    size_t cap = pv->cap ? pv->cap * 2 : 16;
    void **v = realloc(pv->v, cap * sizeof *v);
    if (!v)
      return SVP_ERR_NOMEM;
    pv->v = v;
    pv->cap = cap;
  }
  pv->v[pv->n++] = p;
  return SVP_OK;
}

/* ---- the ruleset ---- */

struct rs_rule {
  struct svp_rule pub;
  unsigned seq;                 /* load sequence number */
  bool dropped;                 /* regex did not compile */
  struct svp_rule_rt rt;
  struct rs_rule *next_in_probe;
};

struct rs_probe {
  struct svp_probe pub;
  struct svp_rangevec ports, sslports;
  struct rs_rule *first, *last; /* lines in load order */
  size_t n_lines;
  const char **fallback;        /* names (arena), NULL if no fallback line */
  size_t n_fallback;
  const char *fb_file;
  unsigned fb_line;
};

struct svp_ruleset {
  struct arena arena;
  struct ptrvec probes;         /* struct rs_probe *, file order */
  struct ptrvec rules;          /* struct rs_rule *, load order */
  struct ptrvec files;          /* struct svp_rules_file * */
  const struct svp_rule **compiled;
  size_t n_compiled;
  struct svp_rangevec excl_tcp, excl_udp;
  struct svp_rules_stats stats;
  uint32_t max_captures;
  unsigned seq;
  bool is_compiled;
};

int svp_rules_new(struct svp_ruleset **out)
{
  *out = calloc(1, sizeof **out);
  return *out ? SVP_OK : SVP_ERR_NOMEM;
}

void svp_rules_free(struct svp_ruleset *rs)
{
  if (!rs)
    return;
  for (size_t i = 0; i < rs->rules.n; i++) {
    struct rs_rule *r = rs->rules.v[i];
    pcre2_code_free(r->rt.re);
  }
  for (size_t i = 0; i < rs->probes.n; i++) {
    struct rs_probe *p = rs->probes.v[i];
    svp_rangevec_free(&p->ports);
    svp_rangevec_free(&p->sslports);
    svp_index_free(p->pub.priv);
  }
  svp_rangevec_free(&rs->excl_tcp);
  svp_rangevec_free(&rs->excl_udp);
  free(rs->probes.v);
  free(rs->rules.v);
  free(rs->files.v);
  free(rs->compiled);
  arena_free(&rs->arena);
  free(rs);
}

static double now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* ---- the parser ---- */

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

static struct rs_probe *find_probe(struct svp_ruleset *rs, enum svp_l4 l4,
                                   const char *name, size_t len)
{
  for (size_t i = 0; i < rs->probes.n; i++) {
    struct rs_probe *p = rs->probes.v[i];
    if (p->pub.l4 == l4 && strlen(p->pub.name) == len &&
        memcmp(p->pub.name, name, len) == 0)
      return p;
  }
  return NULL;
}

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
  uint8_t *payload = arena_alloc(&rs->arena, body_len + 1);
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

  struct rs_probe *p = find_probe(rs, l4, name, name_len);
  if (p) {
    if (p->pub.payload_len != (size_t)plen || memcmp(p->pub.payload, payload, (size_t)plen) != 0)
      lwarn(ld, "Probe %s: payload differs from its definition at %s:%u; lines are "
                "still added to that probe", p->pub.name, p->pub.file, p->pub.line);
    else if (p->pub.file == ld->file->path && ld->layer == 0)
      lwarn(ld, "Probe %s defined twice in one file; lines added to the first "
                "definition at line %u", p->pub.name, p->pub.line);
    p->pub.no_payload = p->pub.no_payload || no_payload;
  } else {
    p = arena_alloc(&rs->arena, sizeof *p);
    char *nm = arena_strndup(&rs->arena, name, name_len);
    if (!p || !nm || ptrvec_push(&rs->probes, p) != SVP_OK) {
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
  const char **v = arena_alloc(&ld->rs->arena, k * sizeof *v);
  if (!v) {
    ld->fatal = SVP_ERR_NOMEM;
    return;
  }
  for (size_t j = 0; j < k; j++)
    if (!(v[j] = arena_strndup(&ld->rs->arena, names[j], lens[j]))) {
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

  struct rs_rule *r = arena_alloc(&rs->arena, sizeof *r);
  const char **cpev = n_cpe ? arena_alloc(&rs->arena, n_cpe * sizeof *cpev) : NULL;
  if (!r || (n_cpe && !cpev) || ptrvec_push(&rs->rules, r) != SVP_OK)
    goto nomem;
  r->pub.service = arena_strndup(&rs->arena, svc, svc_len);
  r->pub.pattern = arena_strndup(&rs->arena, pat.body, pat.body_len);
  if (!r->pub.service || !r->pub.pattern)
    goto nomem;
  for (int f = 0; f < SVP_F_COUNT; f++)
    if (have[f] && !(r->pub.tmpl[f] = arena_strndup(&rs->arena, tmpl[f].body,
                                                     tmpl[f].body_len)))
      goto nomem;
  for (size_t k = 0; k < n_cpe; k++)
    if (!(cpev[k] = arena_strndup(&rs->arena, cpes[k].body, cpes[k].body_len)))
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

static struct svp_rules_file *add_file(struct svp_ruleset *rs, const char *name,
                                       unsigned layer)
{
  struct svp_rules_file *f = arena_alloc(&rs->arena, sizeof *f);
  if (!f || ptrvec_push(&rs->files, f) != SVP_OK)
    return NULL;
  name = name ? name : "-";
  if (!(f->path = arena_strndup(&rs->arena, name, strlen(name))))
    return NULL;
  f->layer = layer;
  rs->stats.files++;
  return f;
}

int svp_rules_load_buf(struct svp_ruleset *rs, const char *name, const char *text,
                       size_t len, unsigned layer, struct svp_diag *diag)
{
  if (rs->is_compiled)
    return SVP_ERR_ARG;
  double t0 = now_ms();
  struct svp_rules_file *f = add_file(rs, name, layer);
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
  rs->stats.parse_ms += now_ms() - t0;
  return ld.fatal ? ld.fatal : SVP_OK;
}

/* A rule file that could not be read: reported, and kept in the file
 * list with one error. */
static int file_failed(struct svp_ruleset *rs, const char *path, unsigned layer,
                       struct svp_diag *diag, const char *why)
{
  svp_diag_at(diag, SVP_SEV_ERROR, path, 0, "cannot read: %s", why);
  struct svp_rules_file *f = add_file(rs, path, layer);
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

/* ---- compile ---- */

static int rule_order(const void *a, const void *b)
{
  const struct rs_rule *x = *(const struct rs_rule *const *)a;
  const struct rs_rule *y = *(const struct rs_rule *const *)b;
  if (x->pub.layer != y->pub.layer)
    return x->pub.layer > y->pub.layer ? -1 : 1;
  return (x->seq > y->seq) - (x->seq < y->seq);
}

static int compile_rule(struct svp_ruleset *rs, struct rs_rule *r,
                        pcre2_compile_context *cctx, bool use_jit, struct svp_diag *diag,
                        double *jit_ms)
{
  uint32_t opts = (r->pub.caseless ? PCRE2_CASELESS : 0) | (r->pub.dotall ? PCRE2_DOTALL : 0);
  int err;
  PCRE2_SIZE erroff;
  r->rt.re = pcre2_compile((PCRE2_SPTR)r->pub.pattern, PCRE2_ZERO_TERMINATED, opts, &err,
                           &erroff, cctx);
  if (!r->rt.re) {
    PCRE2_UCHAR msg[160];
    if (pcre2_get_error_message(err, msg, sizeof msg) < 0)
      snprintf((char *)msg, sizeof msg, "PCRE2 error %d", err);
    svp_diag_at(diag, SVP_SEV_ERROR, r->pub.file, r->pub.line,
                "regex does not compile at offset %zu: %s", (size_t)erroff, (char *)msg);
    return SVP_ERR_REGEX;
  }
  pcre2_pattern_info(r->rt.re, PCRE2_INFO_MINLENGTH, &r->rt.minlen);
  pcre2_pattern_info(r->rt.re, PCRE2_INFO_CAPTURECOUNT, &r->rt.captures);
  size_t sz = 0;
  pcre2_pattern_info(r->rt.re, PCRE2_INFO_SIZE, &sz);
  rs->stats.code_bytes += sz;
  if (use_jit) {
    double t0 = now_ms();
    if (pcre2_jit_compile(r->rt.re, PCRE2_JIT_COMPLETE) == 0) {
      r->rt.jit = true;
      rs->stats.jit_ok++;
      size_t js = 0;
      pcre2_pattern_info(r->rt.re, PCRE2_INFO_JITSIZE, &js);
      rs->stats.jit_bytes += js;
    }
    *jit_ms += now_ms() - t0;
  }
  svp_lit_extract(r->pub.pattern, r->pub.caseless, &r->rt.lit);
  if (r->rt.lit.prefix_len)
    rs->stats.prefixed++;
  if (r->rt.captures > rs->max_captures)
    rs->max_captures = r->rt.captures;
  r->pub.priv = &r->rt;
  return SVP_OK;
}

static int copy_portset(struct svp_ruleset *rs, struct svp_rangevec *v, struct svp_portset *ps)
{
  svp_rangevec_normalize(v);
  ps->n = v->n;
  if (!v->n)
    return SVP_OK;
  ps->r = arena_alloc(&rs->arena, v->n * sizeof *ps->r);
  if (!ps->r)
    return SVP_ERR_NOMEM;
  memcpy(ps->r, v->r, v->n * sizeof *ps->r);
  return SVP_OK;
}

static struct svp_rules_file *file_of(struct svp_ruleset *rs, const char *path)
{
  for (size_t i = 0; i < rs->files.n; i++) {
    struct svp_rules_file *f = rs->files.v[i];
    if (f->path == path)
      return f;
  }
  return NULL;
}

static struct rs_probe *lookup_fallback(struct svp_ruleset *rs, enum svp_l4 l4, const char *name)
{
  struct rs_probe *p = find_probe(rs, l4, name, strlen(name));
  if (!p)
    p = find_probe(rs, l4 == SVP_L4_TCP ? SVP_L4_UDP : SVP_L4_TCP, name, strlen(name));
  return p;
}

static bool chain_has(const struct svp_probe **chain, size_t n, const struct svp_probe *p)
{
  for (size_t i = 0; i < n; i++)
    if (chain[i] == p)
      return true;
  return false;
}

/* [0] the probe, then its fallbacks, then (TCP, not NULL itself) NULL. A
 * probe already in the chain is not repeated: it could not match later. */
static int resolve_chain(struct svp_ruleset *rs, struct rs_probe *p,
                         const struct svp_probe *null_probe, struct svp_diag *diag)
{
  const struct svp_probe **chain =
      arena_alloc(&rs->arena, (p->n_fallback + 2) * sizeof *chain);
  if (!chain)
    return SVP_ERR_NOMEM;
  size_t n = 0;
  chain[n++] = &p->pub;
  for (size_t i = 0; i < p->n_fallback; i++) {
    struct rs_probe *fb = lookup_fallback(rs, p->pub.l4, p->fallback[i]);
    if (!fb) {
      svp_diag_at(diag, SVP_SEV_ERROR, p->fb_file, p->fb_line,
                  "fallback: unknown probe '%s' (ignored)", p->fallback[i]);
      rs->stats.errors++;
      struct svp_rules_file *f = file_of(rs, p->fb_file);
      if (f)
        f->errors++;
      continue;
    }
    if (!chain_has(chain, n, &fb->pub))
      chain[n++] = &fb->pub;
  }
  if (p->pub.l4 == SVP_L4_TCP && null_probe && !chain_has(chain, n, null_probe))
    chain[n++] = null_probe;
  p->pub.chain = chain;
  p->pub.n_chain = n;
  return SVP_OK;
}

static int str_ptr_cmp(const void *a, const void *b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static unsigned count_services(const struct svp_rule **rules, size_t n)
{
  if (!n)
    return 0;
  const char **names = malloc(n * sizeof *names);
  if (!names)
    return 0;
  for (size_t i = 0; i < n; i++)
    names[i] = rules[i]->service;
  qsort(names, n, sizeof *names, str_ptr_cmp);
  unsigned distinct = 1;
  for (size_t i = 1; i < n; i++)
    distinct += strcmp(names[i - 1], names[i]) != 0;
  free(names);
  return distinct;
}

static int compile_probes(struct svp_ruleset *rs, struct svp_diag *diag)
{
  const struct svp_probe *null_probe = svp_rules_null_probe(rs);
  for (size_t i = 0; i < rs->probes.n; i++) {
    struct rs_probe *p = rs->probes.v[i];
    if (p->pub.l4 == SVP_L4_TCP)
      rs->stats.probes_tcp++;
    else
      rs->stats.probes_udp++;
    struct rs_rule **v = malloc((p->n_lines + 1) * sizeof *v);
    const struct svp_rule **pub = arena_alloc(&rs->arena, (p->n_lines + 1) * sizeof *pub);
    if (!v || !pub) {
      free(v);
      return SVP_ERR_NOMEM;
    }
    size_t k = 0;
    for (struct rs_rule *r = p->first; r; r = r->next_in_probe)
      if (!r->dropped)
        v[k++] = r;
    qsort(v, k, sizeof *v, rule_order);
    for (size_t j = 0; j < k; j++)
      pub[j] = &v[j]->pub;
    free(v);
    p->pub.rules = pub;
    p->pub.n_rules = k;
    int rc;
    if ((rc = copy_portset(rs, &p->ports, &p->pub.ports)) != SVP_OK ||
        (rc = copy_portset(rs, &p->sslports, &p->pub.sslports)) != SVP_OK ||
        (rc = resolve_chain(rs, p, null_probe, diag)) != SVP_OK)
      return rc;
    struct svp_probe_index *ix;
    if ((rc = svp_index_build(&p->pub, &ix)) != SVP_OK)
      return rc;
    p->pub.priv = ix;
  }
  return SVP_OK;
}

int svp_rules_compile(struct svp_ruleset *rs, bool use_jit, struct svp_diag *diag)
{
  if (rs->is_compiled)
    return SVP_ERR_ARG;
  rs->is_compiled = true;
  pcre2_compile_context *cctx = pcre2_compile_context_create(NULL);
  if (!cctx)
    return SVP_ERR_NOMEM;
  pcre2_set_newline(cctx, PCRE2_NEWLINE_LF);
  double t0 = now_ms(), jit_ms = 0;
  rs->compiled = malloc((rs->rules.n + 1) * sizeof *rs->compiled);
  if (!rs->compiled) {
    pcre2_compile_context_free(cctx);
    return SVP_ERR_NOMEM;
  }
  for (size_t i = 0; i < rs->rules.n; i++) {
    struct rs_rule *r = rs->rules.v[i];
    if (compile_rule(rs, r, cctx, use_jit, diag, &jit_ms) != SVP_OK) {
      r->dropped = true;
      rs->stats.errors++;
      struct svp_rules_file *f = file_of(rs, r->pub.file);
      if (f)
        f->errors++;
      continue;
    }
    r->pub.id = (unsigned)rs->n_compiled;
    rs->compiled[rs->n_compiled++] = &r->pub;
    if (r->pub.soft)
      rs->stats.softmatch++;
    else
      rs->stats.match++;
  }
  pcre2_compile_context_free(cctx);
  rs->stats.jit_ms = jit_ms;
  rs->stats.compile_ms = now_ms() - t0 - jit_ms;
  rs->stats.services = count_services(rs->compiled, rs->n_compiled);
  svp_rangevec_normalize(&rs->excl_tcp);
  svp_rangevec_normalize(&rs->excl_udp);
  return compile_probes(rs, diag);
}

/* ---- accessors ---- */

const struct svp_rules_stats *svp_rules_stats(const struct svp_ruleset *rs)
{
  return &rs->stats;
}

size_t svp_rules_n_probes(const struct svp_ruleset *rs)
{
  return rs->probes.n;
}

const struct svp_probe *svp_rules_probe(const struct svp_ruleset *rs, size_t i)
{
  return i < rs->probes.n ? &((struct rs_probe *)rs->probes.v[i])->pub : NULL;
}

const struct svp_probe *svp_rules_find_probe(const struct svp_ruleset *rs, enum svp_l4 l4,
                                             const char *name)
{
  struct rs_probe *p = find_probe((struct svp_ruleset *)rs, l4, name, strlen(name));
  return p ? &p->pub : NULL;
}

const struct svp_probe *svp_rules_null_probe(const struct svp_ruleset *rs)
{
  for (size_t i = 0; i < rs->probes.n; i++) {
    const struct rs_probe *p = rs->probes.v[i];
    if (p->pub.l4 == SVP_L4_TCP && p->pub.payload_len == 0)
      return &p->pub;
  }
  return NULL;
}

size_t svp_rules_n_rules(const struct svp_ruleset *rs)
{
  return rs->n_compiled;
}

const struct svp_rule *svp_rules_rule(const struct svp_ruleset *rs, size_t id)
{
  return id < rs->n_compiled ? rs->compiled[id] : NULL;
}

size_t svp_rules_n_files(const struct svp_ruleset *rs)
{
  return rs->files.n;
}

const struct svp_rules_file *svp_rules_file(const struct svp_ruleset *rs, size_t i)
{
  return i < rs->files.n ? rs->files.v[i] : NULL;
}

uint32_t svp_rules_max_captures(const struct svp_ruleset *rs)
{
  return rs->max_captures;
}

static bool ranges_have(const struct svp_port_range *r, size_t n, uint16_t port)
{
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (port < r[mid].lo)
      hi = mid;
    else if (port > r[mid].hi)
      lo = mid + 1;
    else
      return true;
  }
  return false;
}

bool svp_portset_has(const struct svp_portset *ps, uint16_t port)
{
  return ranges_have(ps->r, ps->n, port);
}

bool svp_rules_excluded(const struct svp_ruleset *rs, enum svp_l4 l4, uint16_t port)
{
  const struct svp_rangevec *v = l4 == SVP_L4_UDP ? &rs->excl_udp : &rs->excl_tcp;
  return ranges_have(v->r, v->n, port);
}

bool svp_probe_has_service(const struct svp_probe *p, const char *service)
{
  for (size_t i = 0; i < p->n_rules; i++)
    if (strcmp(p->rules[i]->service, service) == 0)
      return true;
  return false;
}
