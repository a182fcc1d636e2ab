/* rules.c: the ruleset's storage (arena, probe and rule lists), its life
 * cycle and its read-only accessors. Parsing is in rules_parse.c, compiling
 * in rules_compile.c, grammar pieces in rules_lex.c. See rules.h for the
 * contract and docs/RULES.md for the semantics. */
#include "rules_priv.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- arena and pointer lists ---- */

void *svp_arena_alloc(struct svp_arena *a, size_t n)
{
  n = (n + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
  if (!a->head || a->head->cap - a->head->used < n) {
    size_t cap = n > 65536 ? n : 65536;
    struct svp_arena_chunk *c = malloc(sizeof *c + cap);
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

char *svp_arena_strndup(struct svp_arena *a, const char *s, size_t n)
{
  char *d = svp_arena_alloc(a, n + 1);
  if (d) {
    memcpy(d, s, n);
    d[n] = '\0';
  }
  return d;
}

static void arena_free(struct svp_arena *a)
{
  while (a->head) {
    struct svp_arena_chunk *n = a->head->next;
    free(a->head);
    a->head = n;
  }
}

int svp_ptrvec_push(struct svp_ptrvec *pv, void *p)
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

/* ---- life cycle ---- */

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

double svp_rs_now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

struct rs_probe *svp_rs_find_probe(struct svp_ruleset *rs, enum svp_l4 l4,
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

struct svp_rules_file *svp_rs_add_file(struct svp_ruleset *rs, const char *name,
                                       unsigned layer)
{
  struct svp_rules_file *f = svp_arena_alloc(&rs->arena, sizeof *f);
  if (!f || svp_ptrvec_push(&rs->files, f) != SVP_OK)
    return NULL;
  name = name ? name : "-";
  if (!(f->path = svp_arena_strndup(&rs->arena, name, strlen(name))))
    return NULL;
  f->layer = layer;
  rs->stats.files++;
  return f;
}

struct svp_rules_file *svp_rs_file_of(struct svp_ruleset *rs, const char *path)
{
  for (size_t i = 0; i < rs->files.n; i++) {
    struct svp_rules_file *f = rs->files.v[i];
    if (f->path == path)
      return f;
  }
  return NULL;
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
  struct rs_probe *p = svp_rs_find_probe((struct svp_ruleset *)rs, l4, name, strlen(name));
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

bool svp_rules_is_compiled(const struct svp_ruleset *rs)
{
  return rs->is_compiled;
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
  size_t lo = 0, hi = p->n_services;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = strcmp(p->services[mid], service);
    if (c == 0)
      return true;
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return false;
}
