/* services.c: nmap-services loaded into a sorted, compact port table.
 *
 * Entries are (key, name offset, frequency) records sorted by key, where
 * key = protocol bit << 16 | port, looked up by binary search. Names live
 * once each in a string pool (interned through a small hash), so the ~27k
 * lines of nmap 7.93's file take about 400 KB. */
#include "svp/rules/services.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SVC_MAX_FILE (64u << 20) /* refuse bigger files: not a port table */
#define SVC_MAX_NAME 63          /* nmap reads names with %127s; real ones are short */

struct svc_entry {
  uint32_t key;      /* (udp ? 1 : 0) << 16 | port */
  uint32_t name;     /* offset in the pool */
  double freq;
  uint32_t line;     /* for the "first wins on a tie" rule */
};

struct svp_services {
  struct svc_entry *e;
  size_t n, cap;
  char *pool;
  size_t pool_len, pool_cap;
  uint32_t *hash;    /* interning: pool offset + 1, 0 = empty slot */
  size_t hash_cap;   /* power of two */
  size_t n_names;
  struct svp_services_stats st;
};

static uint32_t svc_key(enum svp_l4 l4, uint16_t port)
{
  return (uint32_t)(l4 == SVP_L4_UDP ? 1u : 0u) << 16 | port;
}

static uint32_t fnv1a(const char *s, size_t n)
{
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < n; i++)
    h = (h ^ (uint8_t)s[i]) * 16777619u;
  return h;
}

static int hash_grow(struct svp_services *s)
{
  size_t cap = s->hash_cap ? s->hash_cap * 2 : 1024;
  uint32_t *h = calloc(cap, sizeof *h);
  if (!h)
    return SVP_ERR_NOMEM;
  for (size_t i = 0; i < s->hash_cap; i++) {
    uint32_t v = s->hash[i];
    if (!v)
      continue;
    const char *name = s->pool + v - 1;
    size_t j = fnv1a(name, strlen(name)) & (cap - 1);
    while (h[j])
      j = (j + 1) & (cap - 1);
    h[j] = v;
  }
  free(s->hash);
  s->hash = h;
  s->hash_cap = cap;
  return SVP_OK;
}

/* Offset of name[0..n) in the pool, adding it if new. */
static int intern(struct svp_services *s, const char *name, size_t n,
                  uint32_t *off)
{
  if ((s->n_names + 1) * 2 > s->hash_cap && hash_grow(s) != SVP_OK)
    return SVP_ERR_NOMEM;
  size_t j = fnv1a(name, n) & (s->hash_cap - 1);
  for (; s->hash[j]; j = (j + 1) & (s->hash_cap - 1)) {
    const char *have = s->pool + s->hash[j] - 1;
    if (strncmp(have, name, n) == 0 && have[n] == '\0') {
      *off = s->hash[j] - 1;
      return SVP_OK;
    }
  }
  if (s->pool_len + n + 1 > s->pool_cap) {
    size_t cap = s->pool_cap ? s->pool_cap * 2 : 16384;
    while (cap < s->pool_len + n + 1)
      cap *= 2;
    char *p = realloc(s->pool, cap);
    if (!p)
      return SVP_ERR_NOMEM;
    s->pool = p;
    s->pool_cap = cap;
  }
  *off = (uint32_t)s->pool_len;
  memcpy(s->pool + s->pool_len, name, n);
  s->pool[s->pool_len + n] = '\0';
  s->pool_len += n + 1;
  s->hash[j] = *off + 1;
  s->n_names++;
  return SVP_OK;
}

static int add_entry(struct svp_services *s, const struct svc_entry *e)
{
  if (s->n == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 4096;
    struct svc_entry *p = realloc(s->e, cap * sizeof *p);
    if (!p)
      return SVP_ERR_NOMEM;
    s->e = p;
    s->cap = cap;
  }
  s->e[s->n++] = *e;
  return SVP_OK;
}

static bool is_blank(char c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Next whitespace-separated token in [p, end): sets tok and len, advances p. */
static bool next_token(const char **p, const char *end, const char **tok,
                       size_t *len)
{
  const char *q = *p;
  while (q < end && is_blank(*q))
    q++;
  if (q == end)
    return false;
  *tok = q;
  while (q < end && !is_blank(*q))
    q++;
  *len = (size_t)(q - *tok);
  *p = q;
  return true;
}

static bool parse_port(const char *t, size_t n, unsigned *port)
{
  if (n == 0 || n > 5)
    return false;
  unsigned v = 0;
  for (size_t i = 0; i < n; i++) {
    if (t[i] < '0' || t[i] > '9')
      return false;
    v = v * 10 + (unsigned)(t[i] - '0');
  }
  if (v > 65535)
    return false;
  *port = v;
  return true;
}

static bool parse_freq(const char *t, size_t n, double *out)
{
  char buf[32];
  if (n == 0 || n >= sizeof buf)
    return false;
  for (size_t i = 0; i < n; i++)
    if (!((t[i] >= '0' && t[i] <= '9') || t[i] == '.'))
      return false;
  memcpy(buf, t, n);
  buf[n] = '\0';
  char *end;
  errno = 0;
  double v = strtod(buf, &end);
  if (errno || *end)
    return false;
  *out = v;
  return true;
}

/* One line without its newline. Returns SVP_OK or SVP_ERR_NOMEM; a bad
 * line is reported and counted, not an error. */
static int parse_line(struct svp_services *s, const char *name,
                      uint32_t lineno, const char *p, const char *end,
                      struct svp_diag *diag)
{
  const char *hash = memchr(p, '#', (size_t)(end - p));
  if (hash)
    end = hash;
  const char *tok[3];
  size_t len[3];
  int nt = 0;
  while (nt < 3 && next_token(&p, end, &tok[nt], &len[nt]))
    nt++;
  if (nt == 0)
    return SVP_OK; /* blank or comment-only */
  if (nt < 2) {
    svp_diag_at(diag, SVP_SEV_WARN, name, lineno,
                "expected 'name port/proto [frequency]'");
    s->st.errors++;
    return SVP_OK;
  }
  if (len[0] > SVC_MAX_NAME) {
    svp_diag_at(diag, SVP_SEV_WARN, name, lineno,
                "service name longer than %d characters", SVC_MAX_NAME);
    s->st.errors++;
    return SVP_OK;
  }
  for (size_t i = 0; i < len[0]; i++) {
    unsigned char c = (unsigned char)tok[0][i];
    if (c < 0x21 || c > 0x7e) {
      svp_diag_at(diag, SVP_SEV_WARN, name, lineno,
                  "service name has a non-printable byte 0x%02x", c);
      s->st.errors++;
      return SVP_OK;
    }
  }
  const char *slash = memchr(tok[1], '/', len[1]);
  unsigned port;
  if (!slash || !parse_port(tok[1], (size_t)(slash - tok[1]), &port)) {
    svp_diag_at(diag, SVP_SEV_WARN, name, lineno,
                "'%.*s' is not port/protocol with a port of 0-65535",
                (int)(len[1] > 40 ? 40 : len[1]), tok[1]);
    s->st.errors++;
    return SVP_OK;
  }
  const char *proto = slash + 1;
  size_t plen = len[1] - (size_t)(proto - tok[1]);
  enum svp_l4 l4;
  if (plen == 3 && memcmp(proto, "tcp", 3) == 0)
    l4 = SVP_L4_TCP;
  else if (plen == 3 && memcmp(proto, "udp", 3) == 0)
    l4 = SVP_L4_UDP;
  else if (plen == 4 && memcmp(proto, "sctp", 4) == 0) {
    s->st.skipped++;
    return SVP_OK;
  } else {
    svp_diag_at(diag, SVP_SEV_WARN, name, lineno,
                "unknown protocol '%.*s' (tcp, udp or sctp)",
                (int)(plen > 20 ? 20 : plen), proto);
    s->st.errors++;
    return SVP_OK;
  }
  double freq = 0;
  if (nt == 3 && !parse_freq(tok[2], len[2], &freq)) {
    svp_diag_at(diag, SVP_SEV_WARN, name, lineno,
                "'%.*s' is not a frequency", (int)(len[2] > 20 ? 20 : len[2]),
                tok[2]);
    s->st.errors++;
    return SVP_OK;
  }
  struct svc_entry e = {.key = svc_key(l4, (uint16_t)port), .freq = freq,
                        .line = lineno};
  int rc = intern(s, tok[0], len[0], &e.name);
  if (rc != SVP_OK)
    return rc;
  return add_entry(s, &e);
}

static int cmp_entry(const void *a, const void *b)
{
  const struct svc_entry *x = a, *y = b;
  if (x->key != y->key)
    return x->key < y->key ? -1 : 1;
  if (x->freq != y->freq)
    return x->freq > y->freq ? -1 : 1; /* highest frequency first */
  return x->line < y->line ? -1 : (x->line > y->line);
}

/* Sort, then keep the first (best) entry of each key. */
static void finish(struct svp_services *s)
{
  if (s->n)
    qsort(s->e, s->n, sizeof *s->e, cmp_entry);
  size_t w = 0;
  for (size_t r = 0; r < s->n; r++) {
    if (w && s->e[w - 1].key == s->e[r].key) {
      s->st.duplicates++;
      continue;
    }
    s->e[w++] = s->e[r];
  }
  s->n = w;
  s->st.entries = (unsigned)w;
  free(s->hash); /* only needed while loading */
  s->hash = NULL;
  s->hash_cap = 0;
}

int svp_services_load_buf(const char *name, const char *text, size_t len,
                          struct svp_diag *diag, struct svp_services **out)
{
  *out = NULL;
  struct svp_services *s = calloc(1, sizeof *s);
  if (!s)
    return SVP_ERR_NOMEM;
  const char *p = text, *end = text ? text + len : text;
  uint32_t lineno = 0;
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *eol = nl ? nl : end;
    lineno++;
    int rc = parse_line(s, name, lineno, p, eol, diag);
    if (rc != SVP_OK) {
      svp_services_free(s);
      return rc;
    }
    p = nl ? nl + 1 : end;
  }
  s->st.lines = lineno;
  finish(s);
  *out = s;
  return SVP_OK;
}

int svp_services_load(const char *path, struct svp_diag *diag,
                      struct svp_services **out)
{
  *out = NULL;
  FILE *f = fopen(path, "rb");
  if (!f) {
    int e = errno;
    svp_diag_at(diag, SVP_SEV_ERROR, path, 0, "cannot open: %s", strerror(e));
    errno = e;
    return SVP_ERR_IO;
  }
  char *buf = NULL;
  size_t len = 0, cap = 0;
  int rc = SVP_OK;
  for (;;) {
    if (len == cap) {
      if (cap >= SVC_MAX_FILE) {
        svp_diag_at(diag, SVP_SEV_ERROR, path, 0,
                    "larger than %u MiB: not a port table", SVC_MAX_FILE >> 20);
        rc = SVP_ERR_LIMIT;
        break;
      }
      cap = cap ? cap * 2 : 1u << 20;
      char *nb = realloc(buf, cap);
      if (!nb) {
        rc = SVP_ERR_NOMEM;
        break;
      }
      buf = nb;
    }
    size_t got = fread(buf + len, 1, cap - len, f);
    len += got;
    if (got == 0) {
      if (ferror(f)) {
        int e = errno;
        svp_diag_at(diag, SVP_SEV_ERROR, path, 0, "read error: %s", strerror(e));
        rc = SVP_ERR_IO;
      }
      break;
    }
  }
  fclose(f);
  if (rc == SVP_OK)
    rc = svp_services_load_buf(path, buf, len, diag, out);
  free(buf);
  return rc;
}

void svp_services_free(struct svp_services *s)
{
  if (!s)
    return;
  free(s->e);
  free(s->pool);
  free(s->hash);
  free(s);
}

const char *svp_services_name(const struct svp_services *s, enum svp_l4 l4,
                              uint16_t port)
{
  if (!s || s->n == 0)
    return NULL;
  uint32_t key = svc_key(l4, port);
  size_t lo = 0, hi = s->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (s->e[mid].key < key)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo < s->n && s->e[lo].key == key)
    return s->pool + s->e[lo].name;
  return NULL;
}

const struct svp_services_stats *svp_services_stats(const struct svp_services *s)
{
  return &s->st;
}
