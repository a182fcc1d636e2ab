/* endpoint.c: the endpoint table: one result per server ip:port/proto,
 * merged from every flow (and active probe) that concerns it. */
#include "svp/ident/endpoint.h"

#include <stdlib.h>
#include <string.h>

#define CLIENT_CAP 256        /* distinct clients counted exactly per endpoint */
#define HISTORY_CAP 8         /* earlier identities kept per endpoint */

struct ep_entry {
  struct svp_endpoint pub;    /* first member: the public view */
  struct ep_entry *next;      /* hash chain */
  uint32_t *clients;          /* open-addressed set of client address hashes */
  uint32_t client_slots;
  uint64_t nonmid_flows;      /* flows with a handshake seen */
  uint64_t guessed_flows;     /* flows whose server side was inferred */
  uint64_t res_hash;          /* hash of the server bytes behind the result */
  uint32_t res_len;           /* ... and their length; 0 = no reuse */
  bool res_exact;             /* softmatch: all of a flow's bytes, not a prefix */
  uint8_t *fp_buf, *fp_req_buf;
  /* the matching budget (endpoint.h) */
  struct svp_ep_line lines[SVP_EP_LINES];
  uint8_t n_lines;
  uint8_t n_shapes, shape_next;
  uint16_t plans_idle;        /* whole plans in a row that changed nothing */
  uint32_t shapes[SVP_EP_SHAPES];
  uint64_t flows_at_plan;     /* n_flows when the last whole plan's flow came */
  uint32_t planned_len;       /* most server bytes a whole plan ran on */
  bool hist_counted;          /* history's bytes are in the table's accounting */
};

struct svp_eptab {
  struct ep_entry **bucket;
  size_t n_bucket;            /* power of two */
  size_t n;
  struct svp_eptab_mem mem;   /* accounted bytes (endpoint.h) */
};

static void mem_add(struct svp_eptab *t, int64_t delta)
{
  t->mem.now = (uint64_t)((int64_t)t->mem.now + delta);
  if (t->mem.now > t->mem.peak)
    t->mem.peak = t->mem.now;
}

/* Room for `need` more bytes of what the bound covers? */
static bool mem_room(const struct svp_eptab *t, size_t need)
{
  return t->mem.now + need <= t->mem.limit;
}

static const char *const method_names[SVP_M_COUNT] = {
  [SVP_M_NONE] = "none",        [SVP_M_BANNER] = "banner",
  [SVP_M_REQRESP] = "request-response", [SVP_M_PORTPROBE] = "port-probe",
  [SVP_M_WIDE] = "wide",        [SVP_M_ACTIVE] = "active",
  [SVP_M_TABLE] = "table",       [SVP_M_ANNOUNCE] = "announcement",
};

const char *svp_method_name(enum svp_method m)
{
  return (unsigned)m < SVP_M_COUNT ? method_names[m] : "?";
}

static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
  const uint8_t *b = p;
  for (size_t i = 0; i < n; i++) {
    h ^= b[i];
    h *= 1099511628211ull;
  }
  return h;
}

#define FNV_SEED 14695981039346656037ull

static size_t addr_len(const struct svp_addr *a)
{
  return a->family == 6 ? 16 : 4;
}

static uint64_t key_hash(const struct svp_addr *a, uint16_t port, enum svp_l4 l4)
{
  uint64_t h = fnv1a(FNV_SEED, a->b, addr_len(a));
  uint8_t k[4] = {(uint8_t)(port >> 8), (uint8_t)port, (uint8_t)l4, a->family};
  return fnv1a(h, k, sizeof k);
}

int svp_eptab_new(struct svp_eptab **out)
{
  struct svp_eptab *t = calloc(1, sizeof *t);
  if (!t)
    return SVP_ERR_NOMEM;
  t->n_bucket = 1024;
  t->bucket = calloc(t->n_bucket, sizeof *t->bucket);
  if (!t->bucket) {
    free(t);
    return SVP_ERR_NOMEM;
  }
  t->mem.limit = SVP_EPTAB_MEM_DEFAULT;
  mem_add(t, (int64_t)(sizeof *t + t->n_bucket * sizeof *t->bucket));
  *out = t;
  return SVP_OK;
}

static void free_entry(struct ep_entry *e)
{
  free(e->pub.history);
  free(e->clients);
  free(e->fp_buf);
  free(e->fp_req_buf);
  svp_tls_ep_free(e->pub.tls);
  free(e);
}

void svp_eptab_free(struct svp_eptab *t)
{
  if (!t)
    return;
  for (size_t i = 0; i < t->n_bucket; i++)
    for (struct ep_entry *e = t->bucket[i], *nx; e; e = nx) {
      nx = e->next;
      free_entry(e);
    }
  free(t->bucket);
  free(t);
}

static bool key_eq(const struct ep_entry *e, const struct svp_addr *a,
                   uint16_t port, enum svp_l4 l4)
{
  return e->pub.port == port && e->pub.l4 == l4 && svp_addr_cmp(&e->pub.addr, a) == 0;
}

static struct ep_entry *lookup(const struct svp_eptab *t, const struct svp_addr *a,
                               uint16_t port, enum svp_l4 l4)
{
  struct ep_entry *e = t->bucket[key_hash(a, port, l4) & (t->n_bucket - 1)];
  while (e && !key_eq(e, a, port, l4))
    e = e->next;
  return e;
}

static void grow(struct svp_eptab *t)
{
  size_t nb = t->n_bucket * 2;
  struct ep_entry **b = calloc(nb, sizeof *b);
  if (!b)
    return; /* keep the longer chains; still correct */
  for (size_t i = 0; i < t->n_bucket; i++)
    for (struct ep_entry *e = t->bucket[i], *nx; e; e = nx) {
      nx = e->next;
      size_t k = key_hash(&e->pub.addr, e->pub.port, e->pub.l4) & (nb - 1);
      e->next = b[k];
      b[k] = e;
    }
  free(t->bucket);
  t->bucket = b;
  mem_add(t, (int64_t)((nb - t->n_bucket) * sizeof *b));
  t->n_bucket = nb;
}

static struct ep_entry *get_or_add(struct svp_eptab *t, const struct svp_addr *a,
                                   uint16_t port, enum svp_l4 l4)
{
  struct ep_entry *e = lookup(t, a, port, l4);
  if (e)
    return e;
  if (t->n >= t->n_bucket)
    grow(t);
  e = calloc(1, sizeof *e);
  if (!e)
    return NULL;
  mem_add(t, (int64_t)sizeof *e);
  e->pub.addr = *a;
  e->pub.port = port;
  e->pub.l4 = l4;
  e->pub.state = SVP_PS_CLOSED;
  e->pub.res.method = SVP_M_NONE;
  size_t k = key_hash(a, port, l4) & (t->n_bucket - 1);
  e->next = t->bucket[k];
  t->bucket[k] = e;
  t->n++;
  return e;
}

const struct svp_endpoint *svp_eptab_find(const struct svp_eptab *t,
                                          const struct svp_addr *addr,
                                          uint16_t port, enum svp_l4 l4)
{
  struct ep_entry *e = lookup(t, addr, port, l4);
  return e ? &e->pub : NULL;
}

size_t svp_eptab_count(const struct svp_eptab *t)
{
  return t->n;
}

void svp_eptab_set_mem_limit(struct svp_eptab *t, uint64_t bytes)
{
  t->mem.limit = bytes;
}

const struct svp_eptab_mem *svp_eptab_mem(const struct svp_eptab *t)
{
  return &t->mem;
}

/* ---- merging results --------------------------------------------------- */

static int method_strength(enum svp_method m)
{
  switch (m) {
  case SVP_M_BANNER:
  case SVP_M_REQRESP:
  case SVP_M_ACTIVE: return 3;
  case SVP_M_PORTPROBE:
  case SVP_M_ANNOUNCE: return 2;
  case SVP_M_WIDE: return 1;
  default: return 0;
  }
}

static int richness(const struct svp_result *r)
{
  const struct svp_fields *f = &r->fields;
  return (f->version[0] ? 4 : 0) + (f->product[0] ? 2 : 0) + (f->info[0] ? 1 : 0);
}

static bool compatible(const char *a, const char *b)
{
  return !a[0] || !b[0] || strcmp(a, b) == 0;
}

/* Same service, and product/version not contradicting each other. */
static bool same_identity(const struct svp_result *a, const struct svp_result *b)
{
  if (!a->service || !b->service)
    return a->service == b->service;
  return strcmp(a->service, b->service) == 0 && a->ssl == b->ssl &&
         compatible(a->fields.product, b->fields.product) &&
         compatible(a->fields.version, b->fields.version);
}

/* A later softmatch replaces the first only when it says the same thing
 * with more detail, or as much from stronger evidence (the request the
 * server answered rather than a probe guessed from the port). */
static bool soft_better(const struct svp_result *cur, const struct svp_result *r)
{
  if (!same_identity(cur, r))
    return false;
  int rr = richness(r), rc = richness(cur);
  return rr > rc || (rr == rc && method_strength(r->method) > method_strength(cur->method));
}

static void history_push(struct ep_entry *e, const struct svp_result *old,
                         const struct svp_result *incoming)
{
  struct svp_endpoint *p = &e->pub;
  /* The incoming identity leaves the history (it is current again). */
  for (size_t i = 0; i < p->n_history;) {
    if (same_identity(&p->history[i], incoming) || same_identity(&p->history[i], old)) {
      memmove(&p->history[i], &p->history[i + 1],
              (p->n_history - i - 1) * sizeof *p->history);
      p->n_history--;
    } else {
      i++;
    }
  }
  if (p->n_history == HISTORY_CAP) {
    memmove(&p->history[0], &p->history[1], (HISTORY_CAP - 1) * sizeof *p->history);
    p->n_history--;
  }
  if (!p->history) {
    p->history = malloc(HISTORY_CAP * sizeof *p->history);
    if (!p->history)
      return; /* the change flag still tells the user */
  }
  p->history[p->n_history++] = *old;
}

/* Returns true if r became the endpoint's current result. */
static bool merge_result(struct ep_entry *e, const struct svp_result *r)
{
  struct svp_result *cur = &e->pub.res;
  if (r->verdict == SVP_NOMATCH) {
    /* keep the first unmatched evidence */
    if (cur->verdict == SVP_NOMATCH && cur->ev.resp_len == 0) {
      *cur = *r;
      return true;
    }
    return false;
  }
  if (cur->verdict != SVP_HARD) {
    if (r->verdict == SVP_SOFT && cur->verdict == SVP_SOFT && !soft_better(cur, r))
      return false; /* nmap keeps the first softmatch */
    *cur = *r;
    return true;
  }
  if (r->verdict != SVP_HARD)
    return false;
  if (same_identity(cur, r)) {
    if (richness(r) <= richness(cur))
      return false;
    *cur = *r;
    return true;
  }
  int sr = method_strength(r->method), sc = method_strength(cur->method);
  if (sr < sc)
    return false;
  if (sr == sc) {
    history_push(e, cur, r);
    e->pub.flags |= SVP_EF_CHANGED;
  }
  *cur = *r;
  return true;
}

/* ---- the matching budget ------------------------------------------------ */

static const struct ep_entry *entry_of(const struct svp_endpoint *ep)
{
  return (const struct ep_entry *)ep; /* pub is the first member */
}

unsigned svp_eptab_lines(const struct svp_endpoint *ep, const struct svp_ep_line **out)
{
  const struct ep_entry *e = entry_of(ep);
  *out = e->lines;
  return e->n_lines;
}

bool svp_eptab_shape_known(const struct svp_endpoint *ep, uint32_t shape)
{
  const struct ep_entry *e = entry_of(ep);
  for (unsigned i = 0; i < e->n_shapes; i++)
    if (e->shapes[i] == shape)
      return true;
  return false;
}

bool svp_eptab_plan_wanted(const struct svp_endpoint *ep, uint32_t shape, uint32_t len,
                           bool line_missed)
{
  if (!ep)
    return true;
  const struct ep_entry *e = entry_of(ep);
  if (!line_missed && len <= e->planned_len && svp_eptab_shape_known(ep, shape))
    return false;
  if (e->plans_idle < SVP_EP_FREE_PLANS)
    return true;
  unsigned k = e->plans_idle - SVP_EP_FREE_PLANS;
  return ep->n_flows - e->flows_at_plan >= (1ull << (k < 20 ? k : 20));
}

/* The line of a result that became current goes first in the list. */
static void line_add(struct ep_entry *e, const struct svp_result *r)
{
  if (!r->rule || !r->probe || r->verdict == SVP_NOMATCH)
    return;
  struct svp_ep_line l = {r->rule, r->probe, r->method};
  unsigned i = 0;
  while (i < e->n_lines && !(e->lines[i].rule == l.rule && e->lines[i].probe == l.probe &&
                             e->lines[i].method == l.method))
    i++;
  if (i == e->n_lines && e->n_lines < SVP_EP_LINES)
    e->n_lines++;
  if (i == SVP_EP_LINES)
    i--;
  memmove(&e->lines[1], &e->lines[0], i * sizeof e->lines[0]);
  e->lines[0] = l;
}

static void plan_note(struct ep_entry *e, const struct svp_flow_outcome *o, bool progress)
{
  if (!o->planned)
    return;
  e->plans_idle = progress ? 0 : (uint16_t)(e->plans_idle < UINT16_MAX ? e->plans_idle + 1 : UINT16_MAX);
  e->flows_at_plan = e->pub.n_flows;
  if (o->flow->dir[SVP_S2C].len > e->planned_len)
    e->planned_len = o->flow->dir[SVP_S2C].len;
  if (!svp_eptab_shape_known(&e->pub, o->shape)) {
    e->shapes[e->shape_next] = o->shape;
    e->shape_next = (uint8_t)((e->shape_next + 1) % SVP_EP_SHAPES);
    if (e->n_shapes < SVP_EP_SHAPES)
      e->n_shapes++;
  }
}

/* ---- per-flow bookkeeping ---------------------------------------------- */

static void drop_clients(struct svp_eptab *t, struct ep_entry *e)
{
  e->pub.clients_capped = true;
  mem_add(t, -(int64_t)(e->client_slots * sizeof *e->clients));
  free(e->clients);
  e->clients = NULL;
  e->client_slots = 0;
}

static void count_client(struct svp_eptab *t, struct ep_entry *e, const struct svp_addr *a)
{
  struct svp_endpoint *p = &e->pub;
  if (p->clients_capped)
    return;
  uint32_t h = (uint32_t)fnv1a(FNV_SEED, a->b, addr_len(a)) | 1; /* never 0 */
  if (e->client_slots == 0 || p->n_clients * 2 >= e->client_slots) {
    uint32_t ns = e->client_slots ? e->client_slots * 2 : 8;
    uint32_t *nt = mem_room(t, ns * sizeof *nt) ? calloc(ns, sizeof *nt) : NULL;
    if (!nt) { /* at the bound: the count becomes a lower bound */
      if (!mem_room(t, ns * sizeof *nt))
        t->mem.clients_dropped++;
      drop_clients(t, e);
      return;
    }
    mem_add(t, (int64_t)((ns - e->client_slots) * sizeof *nt));
    for (uint32_t i = 0; i < e->client_slots; i++)
      if (e->clients[i]) {
        uint32_t k = (uint32_t)e->clients[i] & (ns - 1);
        while (nt[k])
          k = (k + 1) & (ns - 1);
        nt[k] = e->clients[i];
      }
    free(e->clients);
    e->clients = nt;
    e->client_slots = ns;
  }
  uint32_t k = (uint32_t)h & (e->client_slots - 1);
  while (e->clients[k]) {
    if (e->clients[k] == h)
      return;
    k = (k + 1) & (e->client_slots - 1);
  }
  e->clients[k] = h;
  if (++p->n_clients >= CLIENT_CAP)
    drop_clients(t, e);
}

static uint8_t *dup_bytes(const uint8_t *p, size_t n)
{
  if (!p || n == 0)
    return NULL;
  uint8_t *q = malloc(n);
  if (q)
    memcpy(q, p, n);
  return q;
}

static void keep_fingerprint(struct svp_eptab *t, struct ep_entry *e,
                             const struct svp_flow_outcome *o)
{
  const struct svp_dir *s2c = &o->flow->dir[SVP_S2C];
  const struct svp_dir *c2s = &o->flow->dir[SVP_C2S];
  struct svp_endpoint *p = &e->pub;
  if (p->fp_data || s2c->len == 0 || !s2c->data)
    return;
  uint32_t n = s2c->len < SVP_EP_FP_BYTES ? s2c->len : SVP_EP_FP_BYTES;
  uint32_t nq = c2s->len < SVP_EP_FP_REQ_BYTES ? c2s->len : SVP_EP_FP_REQ_BYTES;
  if (!mem_room(t, n + nq)) {
    t->mem.fp_refused++; /* at the bound: listed without its fingerprint */
    return;
  }
  e->fp_buf = dup_bytes(s2c->data, n);
  if (!e->fp_buf)
    return;
  p->fp_data = e->fp_buf;
  p->fp_len = n;
  p->fp_total = s2c->bytes > UINT32_MAX ? UINT32_MAX : (uint32_t)s2c->bytes;
  p->fp_probe = o->probe;
  p->fp_server_first = o->server_first;
  e->fp_req_buf = dup_bytes(c2s->data, nq);
  p->fp_req = e->fp_req_buf;
  p->fp_req_len = e->fp_req_buf ? nq : 0;
  mem_add(t, (int64_t)(p->fp_len + p->fp_req_len));
}

static void drop_fingerprint(struct svp_eptab *t, struct ep_entry *e)
{
  mem_add(t, -(int64_t)(e->pub.fp_len + e->pub.fp_req_len));
  free(e->fp_buf);
  free(e->fp_req_buf);
  e->fp_buf = e->fp_req_buf = NULL;
  e->pub.fp_data = e->pub.fp_req = NULL;
  e->pub.fp_len = e->pub.fp_req_len = e->pub.fp_total = 0;
  e->pub.fp_probe = NULL;
}

static void note_flow(struct svp_eptab *t, struct ep_entry *e, const struct svp_flow *f)
{
  struct svp_endpoint *p = &e->pub;
  if (p->n_flows == 0 || f->first.ts_us < p->first_us)
    p->first_us = f->first.ts_us;
  if (f->last_us > p->last_us)
    p->last_us = f->last_us;
  p->n_flows++;
  count_client(t, e, &f->cli);
  if (f->flags & SVP_FF_MIDSTREAM)
    p->flags |= SVP_EF_MIDSTREAM;
  else
    e->nonmid_flows++;
  if (f->basis != SVP_SB_SYN && f->basis != SVP_SB_SYNACK)
    e->guessed_flows++;
  if (e->nonmid_flows == 0)
    p->flags |= SVP_EF_ALL_MIDSTREAM;
  else
    p->flags &= ~(uint32_t)SVP_EF_ALL_MIDSTREAM;
  if (e->guessed_flows == p->n_flows)
    p->flags |= SVP_EF_SERVER_GUESS;
  else
    p->flags &= ~(uint32_t)SVP_EF_SERVER_GUESS;

  const struct svp_dir *s2c = &f->dir[SVP_S2C];
  bool data = s2c->bytes > 0;
  if (data)
    p->flags |= SVP_EF_SRV_DATA;
  if ((f->flags & SVP_FF_SYNACK) || data) {
    if (p->state != SVP_PS_OPEN || !p->reason) {
      p->state = SVP_PS_OPEN;
      if (f->flags & SVP_FF_SYNACK) {
        p->reason = "syn-ack";
        p->reason_ttl = f->synack_ttl;
      } else {
        p->reason = f->l4 == SVP_L4_UDP ? "udp-response" : "data";
        p->reason_ttl = s2c->ttl;
      }
    }
  } else if ((f->flags & SVP_FF_REFUSED) && p->state != SVP_PS_OPEN) {
    p->state = SVP_PS_CLOSED;
    p->reason = "reset";
    p->reason_ttl = s2c->ttl;
  }
}

/* Does this flow say anything about a server? */
static bool flow_has_server(const struct svp_flow *f)
{
  return (f->flags & (SVP_FF_SYNACK | SVP_FF_REFUSED)) || f->dir[SVP_S2C].bytes > 0;
}

int svp_eptab_add(struct svp_eptab *t, const struct svp_flow_outcome *o)
{
  const struct svp_flow *f = o->flow;
  if (!flow_has_server(f))
    return SVP_OK;
  struct ep_entry *e = get_or_add(t, &f->srv, f->sport, f->l4);
  if (!e)
    return SVP_ERR_NOMEM;
  note_flow(t, e, f);
  int trc = o->tls ? svp_tls_ep_add(&e->pub.tls, o->tls, f) : SVP_OK;
  if (!o->res)
    return trc;
  bool merged = merge_result(e, o->res);
  if (e->pub.history && !e->hist_counted) {
    e->hist_counted = true; /* kept whatever the bound: a change is inventory */
    mem_add(t, (int64_t)(HISTORY_CAP * sizeof *e->pub.history));
  }
  plan_note(e, o, merged);
  if (merged)
    line_add(e, o->res);
  if (merged && o->res->verdict != SVP_NOMATCH) {
    const struct svp_dir *s2c = &f->dir[SVP_S2C];
    /* hard: the bytes the line matched, a prefix of any later flow's;
     * soft: everything the flow's final judgement saw */
    e->res_exact = o->res->verdict == SVP_SOFT;
    uint32_t n = e->res_exact ? s2c->len : o->res->ev.resp_len;
    if (s2c->data && n && n <= s2c->len) {
      e->res_hash = fnv1a(FNV_SEED, s2c->data, n);
      e->res_len = n;
    } else {
      e->res_len = 0;
    }
  }
  if (e->pub.res.verdict == SVP_HARD)
    drop_fingerprint(t, e);
  else
    keep_fingerprint(t, e, o);
  return SVP_OK;
}

void svp_eptab_touch(struct svp_eptab *t, const struct svp_flow *f)
{
  struct ep_entry *e = lookup(t, &f->srv, f->sport, f->l4);
  if (e && f->last_us > e->pub.last_us)
    e->pub.last_us = f->last_us;
}

bool svp_eptab_reuse(const struct svp_eptab *t, const struct svp_flow *f,
                     struct svp_result *out)
{
  const struct ep_entry *e = lookup(t, &f->srv, f->sport, f->l4);
  const struct svp_dir *s2c = &f->dir[SVP_S2C];
  if (!e || e->pub.res.verdict == SVP_NOMATCH || e->res_len == 0 || !s2c->data ||
      s2c->len < e->res_len || (e->res_exact && s2c->len != e->res_len) ||
      fnv1a(FNV_SEED, s2c->data, e->res_len) != e->res_hash)
    return false;
  *out = e->pub.res;
  return true;
}

int svp_eptab_add_result(struct svp_eptab *t, const struct svp_addr *addr,
                         uint16_t port, enum svp_l4 l4, const struct svp_result *r)
{
  struct ep_entry *e = get_or_add(t, addr, port, l4);
  if (!e)
    return SVP_ERR_NOMEM;
  if (e->pub.state != SVP_PS_OPEN) {
    e->pub.state = SVP_PS_OPEN;
    e->pub.reason = l4 == SVP_L4_UDP ? "udp-response" : "syn-ack";
  }
  merge_result(e, r);
  if (e->pub.res.verdict == SVP_HARD)
    drop_fingerprint(t, e);
  return SVP_OK;
}

/* ---- results ------------------------------------------------------------ */

static int cmp_ep(const void *a, const void *b)
{
  const struct svp_endpoint *x = *(const struct svp_endpoint *const *)a;
  const struct svp_endpoint *y = *(const struct svp_endpoint *const *)b;
  int c = svp_addr_cmp(&x->addr, &y->addr);
  if (c)
    return c;
  if (x->l4 != y->l4)
    return x->l4 < y->l4 ? -1 : 1;
  return x->port < y->port ? -1 : x->port > y->port;
}

int svp_eptab_sorted(const struct svp_eptab *t, const struct svp_endpoint ***out,
                     size_t *n)
{
  const struct svp_endpoint **v = malloc((t->n ? t->n : 1) * sizeof *v);
  if (!v)
    return SVP_ERR_NOMEM;
  size_t k = 0;
  for (size_t i = 0; i < t->n_bucket; i++)
    for (const struct ep_entry *e = t->bucket[i]; e; e = e->next)
      v[k++] = &e->pub;
  qsort(v, k, sizeof *v, cmp_ep);
  *out = v;
  *n = k;
  return SVP_OK;
}

/* nmap names a TLS server "ssl" until it has looked inside the tunnel;
 * passively the inside is named by the ALPN protocol its server chose,
 * else guessed from the port (see endpoint.h). */
static void tunnel_service(struct svp_endpoint *p)
{
  struct svp_result *r = &p->res;
  if (!p->tls || !p->tls->handshakes || r->verdict != SVP_HARD || !r->service ||
      strcmp(r->service, "ssl") != 0)
    return;
  const char *inner = svp_tls_alpn_service(p->tls->alpn);
  if (inner) {
    r->tunnel_from = SVP_TUN_ALPN;
  } else if (svp_tls_port_name(p->table_name)) {
    inner = p->table_name;
    r->tunnel_from = SVP_TUN_PORT;
    r->conf = 3;
  } else {
    return;
  }
  r->service = inner;
  r->ssl = true;
  memset(&r->fields, 0, sizeof r->fields);
}

void svp_eptab_apply_table(struct svp_eptab *t,
                           const char *(*lookup_fn)(void *ud, enum svp_l4 l4, uint16_t port),
                           void *ud)
{
  for (size_t i = 0; i < t->n_bucket; i++)
    for (struct ep_entry *e = t->bucket[i]; e; e = e->next) {
      struct svp_endpoint *p = &e->pub;
      p->table_name = lookup_fn ? lookup_fn(ud, p->l4, p->port) : NULL;
      struct svp_result *r = &p->res;
      if (r->verdict == SVP_NOMATCH) {
        r->method = SVP_M_TABLE;
        r->service = p->table_name;
        r->conf = 3;
      }
      tunnel_service(p);
    }
}
