/* active.c: the active-mode object: picks the endpoints to probe from the
 * endpoint table, queues them (offline all at once, live once they stayed
 * unknown long enough), prints the dry-run plan, keeps the prober's own
 * connections out of the passive evidence, and drives the probe loop of
 * active_net.c. See active.h. */
#include "active_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SCAN_INTERVAL_US 1000000 /* live: look at the endpoint table once a second */

int64_t act_wall_us(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t act_mono_us(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- a small byte-key map ------------------------------------------------ */

static uint64_t map_hash(const uint8_t *k, size_t n)
{
  uint64_t h = 1469598103934665603ull; /* FNV-1a */
  for (size_t i = 0; i < n; i++)
    h = (h ^ k[i]) * 1099511628211ull;
  return h;
}

static struct act_slot *map_probe(struct act_slot *v, size_t cap, size_t klen,
                                  const void *key)
{
  size_t i = (size_t)map_hash(key, klen) & (cap - 1);
  while (v[i].used && memcmp(v[i].key, key, klen) != 0)
    i = (i + 1) & (cap - 1);
  return &v[i];
}

struct act_slot *act_map_find(struct act_map *m, const void *key)
{
  if (!m->cap)
    return NULL;
  struct act_slot *s = map_probe(m->v, m->cap, m->klen, key);
  return s->used ? s : NULL;
}

static int map_grow(struct act_map *m)
{
  size_t ncap = m->cap ? m->cap * 2 : 64;
  struct act_slot *nv = calloc(ncap, sizeof *nv);
  if (!nv)
    return SVP_ERR_NOMEM;
  for (size_t i = 0; i < m->cap; i++)
    if (m->v[i].used)
      *map_probe(nv, ncap, m->klen, m->v[i].key) = m->v[i];
  free(m->v);
  m->v = nv;
  m->cap = ncap;
  return SVP_OK;
}

struct act_slot *act_map_get(struct act_map *m, const void *key)
{
  struct act_slot *s = act_map_find(m, key);
  if (s)
    return s;
  if ((m->n + 1) * 2 > m->cap && map_grow(m) != SVP_OK)
    return NULL;
  s = map_probe(m->v, m->cap, m->klen, key);
  memset(s, 0, sizeof *s);
  memcpy(s->key, key, m->klen);
  s->used = true;
  m->n++;
  return s;
}

/* Drop the entries whose time is before now (rebuilds the table). */
static void map_expire(struct act_map *m, int64_t now)
{
  size_t live = 0;
  for (size_t i = 0; i < m->cap; i++)
    live += m->v[i].used && m->v[i].t >= now;
  if (live == m->n)
    return;
  struct act_slot *nv = calloc(m->cap, sizeof *nv);
  if (!nv)
    return; /* keep the old entries: filtering a little too much is harmless */
  for (size_t i = 0; i < m->cap; i++)
    if (m->v[i].used && m->v[i].t >= now)
      *map_probe(nv, m->cap, m->klen, m->v[i].key) = m->v[i];
  free(m->v);
  m->v = nv;
  m->n = live;
}

void act_map_free(struct act_map *m)
{
  free(m->v);
  memset(m, 0, sizeof *m);
}

void act_ep_key(uint8_t key[40], const struct svp_addr *a, uint16_t port, enum svp_l4 l4)
{
  memset(key, 0, 40);
  key[0] = a->family;
  memcpy(key + 1, a->b, 16);
  memcpy(key + 17, &port, 2);
  key[19] = (uint8_t)l4;
}

/* ---- life cycle ------------------------------------------------------------ */

int svp_active_new(const struct svp_config *cfg, const struct svp_ruleset *rs,
                   struct svp_ident *id, struct svp_eptab *eps, struct svp_diag *diag,
                   FILE *plan_out, struct svp_active **out)
{
  *out = NULL;
  struct svp_active *a = calloc(1, sizeof *a);
  if (!a)
    return SVP_ERR_NOMEM;
  char err[256];
  int rc = svp_scope_parse(cfg->scope, &a->scope, err, sizeof err);
  if (rc != SVP_OK) {
    svp_diag_at(diag, SVP_SEV_ERROR, NULL, 0, "--scope: %s", err);
    free(a);
    return rc;
  }
  if (!(cfg->max_rate > 0) || !(cfg->host_rate > 0) || !cfg->max_parallel ||
      !cfg->max_probes || cfg->intensity < 0 || cfg->intensity > 9) {
    svp_diag_at(diag, SVP_SEV_ERROR, NULL, 0,
                "active: rates, --max-parallel and --max-probes must be above 0, "
                "--version-intensity 0 to 9");
    svp_scope_free(a->scope);
    free(a);
    return SVP_ERR_ARG;
  }
  a->run = calloc(cfg->max_parallel, sizeof *a->run);
  if (!a->run) {
    svp_scope_free(a->scope);
    free(a);
    return SVP_ERR_NOMEM;
  }
  a->cfg = cfg;
  a->rs = rs;
  a->id = id;
  a->eps = eps;
  a->diag = diag;
  a->plan_out = plan_out ? plan_out : stdout;
  a->live = cfg->iface != NULL;
  a->dry_run = cfg->dry_run;
  a->filter = (struct svp_active_filter){
    .scope = a->scope, .rs = rs, .intensity = cfg->intensity, .allports = cfg->allports};
  a->hosts.klen = 17;
  a->known.klen = 20;
  a->own.klen = 38;
  a->global = (struct act_bucket){.tokens = 1, .rate = cfg->max_rate, .last_us = act_mono_us()};
  *out = a;
  return SVP_OK;
}

void svp_active_set_stop(struct svp_active *a, const volatile int *flag)
{
  a->stop = flag;
}

static bool stop_now(const struct svp_active *a)
{
  return a->stop && *a->stop;
}

void svp_active_free(struct svp_active *a)
{
  if (!a)
    return;
  act_net_abort(a);
  act_net_reap(a);
  free(a->jobs);
  free(a->run);
  for (size_t i = 0; i < a->hosts.cap; i++)
    if (a->hosts.v[i].used)
      free(a->hosts.v[i].ptr);
  act_map_free(&a->hosts);
  act_map_free(&a->known);
  act_map_free(&a->own);
  svp_scope_free(a->scope);
  free(a);
}

const struct svp_active_stats *svp_active_stats(const struct svp_active *a)
{
  return &a->st;
}

/* ---- the live filter ------------------------------------------------------- */

static bool own_flow(struct svp_active *a, const struct svp_flow *f)
{
  if (!a->own.n)
    return false;
  uint8_t key[40];
  /* the prober is the client; also the other way round, in case the flow
   * table guessed the sides of a flow whose handshake it missed */
  memset(key, 0, sizeof key);
  key[0] = (uint8_t)f->l4;
  key[1] = f->cli.family;
  memcpy(key + 2, f->cli.b, 16);
  memcpy(key + 18, &f->cport, 2);
  memcpy(key + 20, f->srv.b, 16);
  memcpy(key + 36, &f->sport, 2);
  if (act_map_find(&a->own, key))
    return true;
  key[1] = f->srv.family;
  memcpy(key + 2, f->srv.b, 16);
  memcpy(key + 18, &f->sport, 2);
  memcpy(key + 20, f->cli.b, 16);
  memcpy(key + 36, &f->cport, 2);
  return act_map_find(&a->own, key) != NULL;
}

static bool filter_data(void *ud, struct svp_flow *f, enum svp_dir_id dir)
{
  struct svp_active *a = ud;
  if (own_flow(a, f))
    return true; /* decided: the flow table stops collecting it */
  return a->inner.on_data(a->inner.ud, f, dir);
}

static void filter_end(void *ud, struct svp_flow *f)
{
  struct svp_active *a = ud;
  if (!own_flow(a, f))
    a->inner.on_end(a->inner.ud, f);
}

const struct svp_flow_sink *svp_active_sink(struct svp_active *a,
                                            const struct svp_flow_sink *inner)
{
  if (!a->live)
    return inner; /* offline: no capture runs while probing */
  a->inner = *inner;
  a->sink = (struct svp_flow_sink){.on_data = filter_data, .on_end = filter_end, .ud = a};
  return &a->sink;
}

/* ---- the dry run ------------------------------------------------------------ */

static void plan_header(struct svp_active *a)
{
  if (a->plan_header_done)
    return;
  a->plan_header_done = true;
  const struct svp_config *c = a->cfg;
  fprintf(a->plan_out,
          "# svpassive --dry-run: the probes active mode would send, in order; "
          "nothing is sent.\n"
          "# intensity %d; at most %u probes per endpoint; %g probes/s overall, %g/s per "
          "host; %u connections at once, one per host.\n"
          "# An endpoint stops at its first hard match; after a softmatch, probes that "
          "do not list the port are sent only if a line of theirs names that service.\n",
          c->intensity, c->max_probes, c->max_rate, c->host_rate, c->max_parallel);
}

static void plan_bytes(FILE *f, const struct svp_probe *p)
{
  fputs("    hex ", f);
  for (size_t i = 0; i < p->payload_len; i++)
    fprintf(f, "%02x", p->payload[i]);
  size_t need = svp_active_escape(p->payload, p->payload_len, NULL, 0);
  char *text = malloc(need + 1);
  if (text) {
    svp_active_escape(p->payload, p->payload_len, text, need + 1);
    fprintf(f, "\n    text \"%s\"\n", text);
    free(text);
  } else {
    fputc('\n', f);
  }
}

static void plan_endpoint(struct svp_active *a, const struct svp_endpoint *ep)
{
  FILE *f = a->plan_out;
  char ip[SVP_ADDR_STRLEN];
  svp_addr_str(&ep->addr, ip, sizeof ip);
  plan_header(a);
  fprintf(f, ep->addr.family == 6 ? "endpoint [%s]:%u/%s" : "endpoint %s:%u/%s", ip, ep->port,
          svp_l4_name(ep->l4));
  if (ep->res.verdict == SVP_SOFT)
    fprintf(f, " (softmatched %s: only probes that can name it follow the port-listed ones)\n",
            ep->res.service);
  else
    fputs(" (unknown)\n", f);
  const char *soft = ep->res.verdict == SVP_SOFT ? ep->res.service : NULL;
  struct svp_probe_iter it;
  svp_probe_iter_init(&it, a->rs, ep->l4, ep->port, a->cfg->intensity);
  const struct svp_probe *p;
  bool after_null = false;
  for (unsigned k = 1; k <= a->cfg->max_probes && (p = svp_probe_iter_next(&it, soft)); k++) {
    a->dry_probes++;
    fprintf(f, "  probe %u %s %s", k, p->name, svp_l4_name(p->l4));
    if (p->payload_len == 0)
      fprintf(f, " connect; send nothing; wait %u ms (tcpwrapped if closed within %u ms)",
              p->totalwaitms, p->tcpwrappedms);
    else
      fprintf(f, " %s; send %zu bytes; wait %u ms",
              after_null ? "on the NULL probe's connection if still open"
              : p->l4 == SVP_L4_TCP ? "new connection"
              : k == 1 ? "new socket" : "same socket",
              p->payload_len, p->totalwaitms);
    if (p->payload_len == 0)
      fprintf(f, "; always first; %s:%u\n", p->file, p->line);
    else
      fprintf(f, "; %s; rarity %d; %s:%u\n", it.listed ? "port-listed" : "by rarity",
              p->rarity, p->file, p->line);
    if (p->payload_len)
      plan_bytes(f, p);
    after_null = p->payload_len == 0;
  }
  fflush(f);
}

static void plan_skip(struct svp_active *a, const struct svp_endpoint *ep,
                      enum svp_active_why why)
{
  char ip[SVP_ADDR_STRLEN];
  svp_addr_str(&ep->addr, ip, sizeof ip);
  plan_header(a);
  fprintf(a->plan_out, ep->addr.family == 6 ? "skip [%s]:%u/%s: %s\n" : "skip %s:%u/%s: %s\n",
          ip, ep->port, svp_l4_name(ep->l4), svp_active_why_name(why));
}

/* ---- selection -------------------------------------------------------------- */

static struct act_host *host_of(struct svp_active *a, const struct svp_addr *addr)
{
  uint8_t key[40] = {0};
  key[0] = addr->family;
  memcpy(key + 1, addr->b, 16);
  struct act_slot *s = act_map_get(&a->hosts, key);
  if (!s)
    return NULL;
  if (!s->ptr) {
    struct act_host *h = calloc(1, sizeof *h);
    if (!h)
      return NULL;
    h->addr = *addr;
    h->tb = (struct act_bucket){.tokens = 1, .rate = a->cfg->host_rate, .last_us = act_mono_us()};
    s->ptr = h;
  }
  return s->ptr;
}

static int queue_job(struct svp_active *a, const struct svp_endpoint *ep)
{
  if (a->n_jobs == a->cap_jobs) {
    size_t nc = a->cap_jobs ? a->cap_jobs * 2 : 64;
    struct act_job **nv = realloc(a->jobs, nc * sizeof *nv);
    if (!nv)
      return SVP_ERR_NOMEM;
    a->jobs = nv;
    a->cap_jobs = nc;
  }
  struct act_job *j = calloc(1, sizeof *j);
  struct act_host *h = host_of(a, &ep->addr);
  if (!j || !h) {
    free(j);
    return SVP_ERR_NOMEM;
  }
  j->addr = ep->addr;
  j->port = ep->port;
  j->l4 = ep->l4;
  j->host = h;
  j->fd = -1;
  j->soft = ep->res.verdict == SVP_SOFT ? ep->res.service : NULL;
  svp_probe_iter_init(&j->it, a->rs, ep->l4, ep->port, a->cfg->intensity);
  a->jobs[a->n_jobs++] = j;
  a->want_activate = true;
  return SVP_OK;
}

enum pass { PASS_ALL, PASS_DUE, PASS_COUNT };

/* One look at the endpoint table. PASS_ALL: queue (or plan) every eligible
 * endpoint and count the others; PASS_DUE (live): only those unknown for
 * longer than --probe-delay; PASS_COUNT: only count (end of a live run). */
static int select_pass(struct svp_active *a, enum pass mode)
{
  const struct svp_endpoint **v = NULL;
  size_t n = 0;
  int rc = svp_eptab_sorted(a->eps, &v, &n);
  if (rc != SVP_OK)
    return rc;
  int64_t now = act_wall_us();
  int64_t delay = (int64_t)a->cfg->probe_delay_s * 1000000;
  for (size_t i = 0; i < n && rc == SVP_OK; i++) {
    const struct svp_endpoint *ep = v[i];
    enum svp_active_why why = svp_active_check(&a->filter, ep);
    if (mode != PASS_DUE) {
      a->st.endpoints_seen++;
      if (why != SVP_AW_PROBE)
        a->st.skipped[why]++;
      if (why != SVP_AW_PROBE && a->dry_run && mode == PASS_ALL)
        plan_skip(a, ep, why);
    }
    if (why != SVP_AW_PROBE || mode == PASS_COUNT)
      continue;
    if (mode == PASS_DUE && now - ep->first_us < delay)
      continue;
    uint8_t key[40];
    act_ep_key(key, &ep->addr, ep->port, ep->l4);
    struct act_slot *s = act_map_get(&a->known, key);
    if (!s) {
      rc = SVP_ERR_NOMEM;
      break;
    }
    if (s->t)
      continue; /* queued, planned or probed already */
    s->t = 1;
    if (a->dry_run)
      plan_endpoint(a, ep);
    else
      rc = queue_job(a, ep);
  }
  free(v);
  return rc;
}

static void plan_footer(struct svp_active *a)
{
  if (!a->dry_run)
    return;
  plan_header(a);
  uint64_t skipped = 0;
  for (int w = 1; w < SVP_AW_COUNT; w++)
    skipped += a->st.skipped[w];
  fprintf(a->plan_out, "# %llu endpoint(s) would be probed (%llu probes at most); %llu skipped",
          (unsigned long long)a->known.n, (unsigned long long)a->dry_probes,
          (unsigned long long)skipped);
  const char *sep = ": ";
  for (int w = 1; w < SVP_AW_COUNT; w++)
    if (a->st.skipped[w]) {
      fprintf(a->plan_out, "%s%llu %s", sep, (unsigned long long)a->st.skipped[w],
              svp_active_why_name((enum svp_active_why)w));
      sep = ", ";
    }
  fputc('\n', a->plan_out);
  fflush(a->plan_out);
}

/* ---- running --------------------------------------------------------------- */

unsigned svp_active_tick(struct svp_active *a)
{
  if (stop_now(a))
    return 1000;
  int64_t now = act_wall_us();
  if (now >= a->next_scan_us) {
    a->next_scan_us = now + SCAN_INTERVAL_US;
    map_expire(&a->own, now);
    if (select_pass(a, PASS_DUE) != SVP_OK)
      svp_diag_at(a->diag, SVP_SEV_ERROR, NULL, 0, "active: out of memory queueing endpoints");
  }
  int ms = act_net_step(a, 0);
  act_net_reap(a);
  if (ms <= 0 || ms > 1000)
    ms = 1000;
  return (unsigned)ms;
}

int svp_active_run(struct svp_active *a)
{
  int rc = SVP_OK;
  if (a->live)
    select_pass(a, PASS_COUNT); /* jobs were queued while sniffing */
  else
    rc = select_pass(a, PASS_ALL);
  plan_footer(a);
  while (rc == SVP_OK && !stop_now(a) && a->n_jobs) {
    act_net_step(a, 200); /* wakes for the stop flag at least this often */
    act_net_reap(a);
  }
  if (stop_now(a)) {
    a->st.stopped = true;
    act_net_abort(a);
    act_net_reap(a);
  }
  return rc;
}
