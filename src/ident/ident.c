/* ident.c: passive identification of flows (see ident.h for the order in
 * which rules are tried and why). */
#include "svp/ident/ident.h"
#include "svp/rules/match.h"
#include "svp/tls/tls.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_STEPS 24
#define SIMILAR_MIN 4      /* shared prefix with a probe payload to count as "resembles" */
#define SIMILAR_MAX_PROBES 3

struct svp_ident {
  const struct svp_ruleset *rs;
  struct svp_eptab *eps;
  struct svp_matcher *m;
  struct svp_ident_opts o;
  struct svp_flow_sink sink;
  const struct svp_probe *null_probe;
  struct svp_ident_stats st;
  char handed;  /* its address marks a flow already handed over (f->user) */
};

/* Per-flow state, hung on flow->user while the flow lives. */
struct fstate {
  struct svp_result res;             /* best result of this flow so far */
  const struct svp_probe *fp_probe;  /* probe the server's bytes answered */
  const struct svp_reqclass *cls;    /* class of the client's request */
  uint32_t tried_len;                /* server bytes at the last evaluation */
  uint32_t banner_len;               /* server bytes before the client's first byte */
  bool client_spoke;                 /* banner_len is fixed */
  bool final_done;                   /* final steps ran at tried_len */
  bool server_first;
  bool decided;                      /* the rules are done; TLS may still read on */
  struct svp_tls_flow *tls;          /* TCP: the TLS handshake parser (owned), NULL
                                        once the flow shows no TLS */
  bool planned;                      /* this flow runs the whole plan */
  uint32_t shape;                    /* of the first server bytes (shape_of) */
};

struct step {
  const struct svp_probe *probe;
  enum svp_method method;
  bool chain;                        /* fallbacks + NULL too */
  bool from_class;                   /* subject to cls->answers() */
  bool banner_only;                  /* run on the banner, not the whole stream */
};

struct plan {
  struct step s[MAX_STEPS];
  unsigned n;
};

static uint8_t conf_for(enum svp_method m)
{
  switch (m) {
  case SVP_M_BANNER:
  case SVP_M_REQRESP:
  case SVP_M_ACTIVE: return 10;
  case SVP_M_PORTPROBE:
  case SVP_M_ANNOUNCE: return 7;
  case SVP_M_WIDE: return 5;
  default: return 3;
  }
}

static bool plan_has(const struct plan *pl, const struct svp_probe *p)
{
  for (unsigned i = 0; i < pl->n; i++)
    if (pl->s[i].probe == p)
      return true;
  return false;
}

static void plan_add(struct plan *pl, const struct svp_probe *p, enum svp_method m,
                     bool chain, bool from_class)
{
  if (!p || pl->n == MAX_STEPS || plan_has(pl, p))
    return;
  pl->s[pl->n++] = (struct step){p, m, chain, from_class, false};
}

static size_t common_prefix(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
  size_t n = an < bn ? an : bn, i = 0;
  while (i < n && a[i] == b[i])
    i++;
  return i;
}

/* Probes whose payload the request starts like (no class matched). */
static void add_similar(struct plan *pl, const struct svp_ruleset *rs, enum svp_l4 l4,
                        const uint8_t *req, size_t len)
{
  const struct svp_probe *best[SIMILAR_MAX_PROBES] = {0};
  size_t score[SIMILAR_MAX_PROBES] = {0};
  for (size_t i = 0, np = svp_rules_n_probes(rs); i < np; i++) {
    const struct svp_probe *p = svp_rules_probe(rs, i);
    if (p->l4 != l4 || p->payload_len == 0)
      continue;
    size_t c = common_prefix(req, len, p->payload, p->payload_len);
    /* all of a short payload, or a long shared start */
    bool ok = c >= SIMILAR_MIN && (c == p->payload_len || c >= 2 * SIMILAR_MIN);
    if (!ok)
      continue;
    for (unsigned k = 0; k < SIMILAR_MAX_PROBES; k++)
      if (c > score[k]) {
        memmove(&best[k + 1], &best[k], (SIMILAR_MAX_PROBES - k - 1) * sizeof best[0]);
        memmove(&score[k + 1], &score[k], (SIMILAR_MAX_PROBES - k - 1) * sizeof score[0]);
        best[k] = p;
        score[k] = c;
        break;
      }
  }
  for (unsigned k = 0; k < SIMILAR_MAX_PROBES && best[k]; k++)
    plan_add(pl, best[k], SVP_M_REQRESP, true, false);
}

/* The steps for this flow (see ident.h). NULL-probe lines describe what a
 * server says unprompted, so for a server-first flow they see only the
 * banner: nmap's NULL probe never reads past it either. For a client-first
 * flow they are reached only through a probe's chain (and then must name a
 * service that probe knows) or, when no probe resembles the request, as a
 * last resort. */
static void build_plan(struct svp_ident *id, const struct svp_flow *f,
                       struct fstate *fs, bool final, struct plan *pl)
{
  const struct svp_dir *c2s = &f->dir[SVP_C2S];
  bool tcp = f->l4 == SVP_L4_TCP;
  pl->n = 0;
  if (tcp && fs->server_first) {
    plan_add(pl, id->null_probe, SVP_M_BANNER, false, false);
    if (pl->n)
      pl->s[pl->n - 1].banner_only = true;
  }
  if (!tcp && !(c2s->len && c2s->data)) {
    /* a server's datagram with no request in the flow: judged by the lines
     * of its protocol's probe (its own lines only, no fallback chain) */
    const struct svp_dir *s2c = &f->dir[SVP_S2C];
    const struct svp_reqclass *ac =
        svp_classify_announce(f->l4, s2c->data, s2c->len, f->sport, f->cport);
    for (unsigned k = 0; ac && k < SVP_CLASS_MAX_PROBES && ac->probes[k]; k++)
      plan_add(pl, svp_rules_find_probe(id->rs, f->l4, ac->probes[k]), SVP_M_ANNOUNCE,
               false, false);
  }
  if (c2s->len && c2s->data) {
    if (fs->cls) {
      for (unsigned k = 0; k < SVP_CLASS_MAX_PROBES && fs->cls->probes[k]; k++)
        plan_add(pl, svp_rules_find_probe(id->rs, f->l4, fs->cls->probes[k]),
                 SVP_M_REQRESP, true, true);
    } else {
      add_similar(pl, id->rs, f->l4, c2s->data, c2s->len);
      if (tcp && !fs->server_first)
        plan_add(pl, id->null_probe, SVP_M_REQRESP, false, false);
    }
  }
  if (!final)
    return;
  for (size_t i = 0, np = svp_rules_n_probes(id->rs); i < np; i++) {
    const struct svp_probe *p = svp_rules_probe(id->rs, i);
    if (p->l4 == f->l4 && svp_portset_has(&p->ports, f->sport))
      plan_add(pl, p, SVP_M_PORTPROBE, false, false);
  }
}

/* A line found in a probe's fallback chain (a fallback probe or NULL) only
 * counts if the probe asked for knows that service (nmap's
 * serviceIsPossible): a Redis request answered "+OK" is not popa3d. */
static bool chain_compatible(const struct svp_ident *id, const struct svp_match *mt,
                             const struct step *st, const struct fstate *fs)
{
  if (!st->chain || mt->matched_in == st->probe)
    return true;
  const char *svc = mt->rule->service;
  if (svp_probe_has_service(st->probe, svc))
    return true;
  if (st->from_class)
    for (unsigned k = 0; k < SVP_CLASS_MAX_PROBES && fs->cls->probes[k]; k++) {
      const struct svp_probe *p = svp_rules_find_probe(id->rs, st->probe->l4, fs->cls->probes[k]);
      if (p && svp_probe_has_service(p, svc))
        return true;
    }
  return false;
}

static void fill_result(struct svp_result *r, const struct svp_match *mt,
                        const struct step *st, const struct svp_flow *f, uint32_t len)
{
  const struct svp_dir *s2c = &f->dir[SVP_S2C];
  memset(r, 0, sizeof *r);
  r->method = st ? st->method : SVP_M_WIDE;
  r->verdict = mt->verdict;
  r->conf = conf_for(r->method);
  r->service = mt->rule->service;
  r->ssl = mt->rule->ssl && mt->verdict == SVP_HARD;
  r->rule = mt->rule;
  r->probe = st ? st->probe : mt->matched_in;
  r->fields = mt->fields;
  r->ev.pkt = s2c->first;
  r->ev.flow_id = f->id;
  r->ev.client = f->cli;
  r->ev.client_port = f->cport;
  r->ev.midstream = (f->flags & SVP_FF_MIDSTREAM) != 0;
  r->ev.resp_len = len;
}

static void nomatch_result(struct svp_result *r, const struct svp_flow *f)
{
  memset(r, 0, sizeof *r);
  r->method = SVP_M_NONE;
  r->verdict = SVP_NOMATCH;
  r->ev.pkt = f->dir[SVP_S2C].first;
  r->ev.flow_id = f->id;
  r->ev.client = f->cli;
  r->ev.client_port = f->cport;
  r->ev.midstream = (f->flags & SVP_FF_MIDSTREAM) != 0;
  r->ev.resp_len = f->dir[SVP_S2C].len;
}

static double now_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Run the plan over the flow's server bytes; the first hard match wins,
 * the first softmatch is kept. Returns the verdict put in *out. */
static enum svp_verdict run_plan(struct svp_ident *id, const struct svp_flow *f,
                                 struct fstate *fs, const struct plan *pl, bool final,
                                 struct svp_result *out)
{
  const struct svp_dir *s2c = &f->dir[SVP_S2C], *c2s = &f->dir[SVP_C2S];
  struct svp_match mt;
  bool have_soft = false;
  const char *soft_service = NULL;
  for (unsigned i = 0; i < pl->n; i++) {
    const struct step *st = &pl->s[i];
    if (soft_service && !svp_probe_has_service(st->probe, soft_service))
      continue; /* nmap: after a softmatch only probes that know the service */
    uint32_t len = st->banner_only ? fs->banner_len : s2c->len;
    if (len == 0)
      continue;
    enum svp_verdict v =
        st->chain ? svp_match_response(id->m, st->probe, s2c->data, len, &mt)
                  : svp_match_probe_only(id->m, st->probe, s2c->data, len, &mt);
    if (v == SVP_NOMATCH)
      continue;
    if (!chain_compatible(id, &mt, st, fs)) {
      id->st.chain_rejected++;
      continue;
    }
    if (st->from_class && fs->cls->answers &&
        !fs->cls->answers(c2s->data, c2s->len, s2c->data, s2c->len)) {
      id->st.answers_rejected++;
      continue;
    }
    if (v == SVP_HARD) {
      fill_result(out, &mt, st, f, len);
      fs->fp_probe = st->probe;
      return SVP_HARD;
    }
    if (!have_soft) {
      fill_result(out, &mt, st, f, len);
      fs->fp_probe = st->probe;
      have_soft = true;
      soft_service = mt.rule->service;
    }
  }
  if (final && id->o.wide && !have_soft) {
    enum svp_verdict v = svp_match_sweep(id->m, f->l4, s2c->data, s2c->len, &mt);
    if (v != SVP_NOMATCH) {
      fill_result(out, &mt, NULL, f, s2c->len);
      return v;
    }
  }
  if (have_soft)
    return SVP_SOFT;
  nomatch_result(out, f);
  return SVP_NOMATCH;
}

/* A later result replaces the flow's current one only if it is a hard
 * match where there was none, or the same service with more detail. */
static bool better(const struct svp_result *cur, const struct svp_result *r)
{
  if (r->verdict != cur->verdict)
    return r->verdict > cur->verdict;
  if (r->verdict == SVP_NOMATCH)
    return true; /* longer unmatched bytes: newer evidence */
  if (!r->service || !cur->service || strcmp(r->service, cur->service) != 0)
    return false;
  int rr = (r->fields.version[0] ? 2 : 0) + (r->fields.product[0] ? 1 : 0);
  int cr = (cur->fields.version[0] ? 2 : 0) + (cur->fields.product[0] ? 1 : 0);
  return rr > cr;
}

/* The flow as the rules see it: a TLS handshake may have made the flow
 * table keep more than srv_cap/cli_cap bytes (flow.h, svp_flow.keep); the
 * rules, the endpoint table and fingerprints still judge the first
 * srv_cap/cli_cap only, as nmap reads at most that much. Returns f itself
 * or *buf (a shallow copy with shorter lengths). */
static const struct svp_flow *rules_view(const struct svp_ident *id,
                                         const struct svp_flow *f, struct svp_flow *buf)
{
  uint32_t cap[2] = {[SVP_C2S] = id->o.cli_cap, [SVP_S2C] = id->o.srv_cap};
  if (f->dir[SVP_C2S].len <= cap[SVP_C2S] && f->dir[SVP_S2C].len <= cap[SVP_S2C])
    return f;
  *buf = *f;
  for (int k = 0; k < 2; k++)
    if (buf->dir[k].len > cap[k])
      buf->dir[k].len = cap[k];
  return buf;
}

static void hand_over(struct svp_ident *id, const struct svp_flow *full, struct fstate *fs)
{
  struct svp_flow vbuf;
  const struct svp_flow *f = rules_view(id, full, &vbuf);
  const struct svp_result *res = f->dir[SVP_S2C].bytes ? &fs->res : NULL;
  const struct svp_tls_hs *tls = fs->tls ? svp_tls_flow_result(fs->tls) : NULL;
  struct svp_flow_outcome o = {.flow = f, .res = res, .probe = fs->fp_probe,
                               .server_first = fs->server_first, .tls = tls,
                               .planned = fs->planned, .shape = fs->shape};
  if (tls) {
    id->st.tls_flows++;
    id->st.tls_malformed += tls->malformed;
    id->st.tls_cut += tls->cut;
  }
  svp_eptab_add(id->eps, &o);
  if (res) {
    id->st.verdict[res->verdict]++;
    if (res->verdict != SVP_NOMATCH)
      id->st.method[res->method]++;
  }
  if (id->o.observe)
    id->o.observe(id->o.observe_ud, f, res, fs->cls);
}

/* Nothing more to learn from this flow: a hard line that gave a version.
 * (A hard line without one may be refined by a later line: S7's setup
 * answer first, the module and firmware after.) */
static bool settled(const struct svp_result *r)
{
  return r->verdict == SVP_HARD && r->fields.version[0];
}

enum confirm { CONFIRM_NONE, CONFIRM_HIT, CONFIRM_WAIT, CONFIRM_MISS };

/* Endpoint-level reuse: a server a line already identified (hard, with or
 * without a version, or soft) is most likely still the same program, so
 * its lines alone (endpoint.h: the matching budget) are re-checked on this
 * flow's bytes, each through the same plan step it came from (same probe,
 * same banner/stream choice, same answers() check). A hit is this flow's
 * answer; a miss on bytes that may still grow waits for more
 * (CONFIRM_WAIT); a miss on final bytes (CONFIRM_MISS) lets the whole plan
 * run, which is how a change of program on the port is seen. CONFIRM_NONE:
 * the endpoint has no line this plan can re-check. */
static enum confirm confirm_lines(struct svp_ident *id, const struct svp_endpoint *ep,
                                  const struct svp_flow *f, const struct fstate *fs,
                                  const struct plan *pl, bool final, struct svp_result *out)
{
  if (!ep)
    return CONFIRM_NONE;
  const struct svp_ep_line *lines;
  unsigned n = svp_eptab_lines(ep, &lines), tried = 0;
  const struct svp_dir *s2c = &f->dir[SVP_S2C], *c2s = &f->dir[SVP_C2S];
  for (unsigned k = 0; k < n; k++) {
    const struct step *st = NULL;
    for (unsigned i = 0; i < pl->n && !st; i++)
      if (pl->s[i].probe == lines[k].probe && pl->s[i].method == lines[k].method)
        st = &pl->s[i];
    if (!st)
      continue;
    tried++;
    uint32_t len = st->banner_only ? fs->banner_len : s2c->len;
    struct svp_match mt;
    if (len && svp_match_rule(id->m, st->probe, lines[k].rule, s2c->data, len, &mt) != SVP_NOMATCH &&
        (!st->from_class || !fs->cls->answers ||
         fs->cls->answers(c2s->data, c2s->len, s2c->data, s2c->len))) {
      fill_result(out, &mt, st, f, len);
      return CONFIRM_HIT;
    }
  }
  if (!tried)
    return CONFIRM_NONE;
  return final ? CONFIRM_MISS : CONFIRM_WAIT;
}

/* A cheap signature of the exchange, not of its bytes' values: the first
 * server byte and the kind of the next three (zero, text, control, high),
 * who spoke first, the probes the plan starts with, and the request's
 * length (exact up to 64, then by powers of two) and first eight bytes
 * (text as it is, other bytes by their kind). Bytes that
 * vary per flow (dates, randoms, ids, lengths of bodies) keep it; another
 * protocol, another question or another kind of answer changes it. How
 * many bytes came is judged apart (endpoint.h: longer than any whole plan
 * saw). */
/* A printable byte as itself; others as 256 (zero), 257 (control), 258 (high). */
static unsigned byte_kind(uint8_t b)
{
  return b == 0 ? 256u : b >= 0x80 ? 258u : (b >= 0x20 && b < 0x7f) ? b : 257u;
}

static uint32_t shape_of(const struct svp_flow *f, const struct fstate *fs,
                         const struct plan *pl)
{
  const struct svp_dir *s2c = &f->dir[SVP_S2C];
  const uint8_t *p = s2c->data;
  uint32_t n = s2c->len, h = 2166136261u;
#define SHAPE_MIX(x) (h = (h ^ (uint32_t)(x)) * 16777619u)
  SHAPE_MIX(n ? p[0] : 256u);
  for (uint32_t i = 1; i < 4; i++)
    SHAPE_MIX(i >= n ? 4u : byte_kind(p[i]) > 255 ? byte_kind(p[i]) : 1u);
  SHAPE_MIX(fs->server_first);
  const struct svp_dir *c2s = &f->dir[SVP_C2S];
  uint32_t q = c2s->len, qc = q;
  if (q > 64)
    for (qc = 64; qc < q && qc < (1u << 20); qc *= 2)
      ;
  SHAPE_MIX(qc);
  for (uint32_t i = 0; i < 8; i++) /* text as it is, other bytes by kind */
    SHAPE_MIX(i >= q || !c2s->data ? 512u : byte_kind(c2s->data[i]));
  for (unsigned i = 0; i < pl->n && i < 4; i++)
    if (pl->s[i].method != SVP_M_PORTPROBE)
      SHAPE_MIX((uint32_t)((uintptr_t)pl->s[i].probe >> 4));
#undef SHAPE_MIX
  return h;
}

/* Evaluate the flow's current server bytes. Returns true when decided. */
static bool evaluate_view(struct svp_ident *id, const struct svp_flow *f, struct fstate *fs,
                          bool final)
{
  const struct svp_dir *s2c = &f->dir[SVP_S2C], *c2s = &f->dir[SVP_C2S];
  if (!s2c->data || s2c->len == 0)
    return false;
  if (f->l4 == SVP_L4_UDP || s2c->len >= id->o.srv_cap)
    final = true;
  if (s2c->len == fs->tried_len && (!final || fs->final_done))
    return final;
  const struct svp_endpoint *ep = svp_eptab_find(id->eps, &f->srv, f->sport, f->l4);
  if (fs->tried_len == 0)
    fs->server_first = (f->flags & SVP_FF_SRV_FIRST) || c2s->len == 0;
  if ((fs->tried_len == 0 || final) && ep && svp_eptab_reuse(id->eps, f, &fs->res)) {
    fs->res.ev.pkt = s2c->first;
    fs->res.ev.flow_id = f->id;
    fs->res.ev.client = f->cli;
    fs->res.ev.client_port = f->cport;
    fs->res.ev.midstream = (f->flags & SVP_FF_MIDSTREAM) != 0;
    fs->fp_probe = fs->res.probe;
    fs->tried_len = s2c->len;
    fs->final_done = final;
    id->st.reused++;
    /* a softmatch may still give way to a hard line as bytes come */
    return final || fs->res.verdict == SVP_HARD;
  }
  if (!fs->client_spoke)
    fs->banner_len = s2c->len;
  if (!fs->cls && c2s->len && c2s->data)
    fs->cls = svp_classify(f->l4, c2s->data, c2s->len, f->sport);
  bool first = fs->tried_len == 0;
  fs->tried_len = s2c->len;
  fs->final_done = final;

  struct plan pl;
  build_plan(id, f, fs, final, &pl);
  if (first)
    fs->shape = shape_of(f, fs, &pl);
  struct svp_result r;
  double t0 = now_s();
  enum confirm c = fs->planned ? CONFIRM_NONE : confirm_lines(id, ep, f, fs, &pl, final, &r);
  bool plan = fs->planned, hit = c == CONFIRM_HIT;
  /* A versioned hard line settles the flow at once. A softmatch or a hard
   * line without a version may still give way to more as bytes come: the
   * flow waits for its final bytes, unless its shape is new here. */
  if (!plan && !(hit && settled(&r)) && c != CONFIRM_WAIT)
    plan = svp_eptab_plan_wanted(ep, fs->shape, final ? s2c->len : 0, c == CONFIRM_MISS);
  if (plan) {
    fs->planned = true;
    run_plan(id, f, fs, &pl, final, &r);
  }
  id->st.match_seconds += now_s() - t0;
  if (plan) {
    id->st.evaluations++;
  } else if (hit && (final || settled(&r))) {
    id->st.confirmed++;
    fs->fp_probe = r.probe;
    fs->res = r; /* the endpoint's line: nothing more to learn here */
    return true;
  } else if (!final) {
    return false; /* wait for the final bytes */
  } else {
    /* the budget says this flow would teach the endpoint nothing */
    id->st.skipped++;
    nomatch_result(&fs->res, f);
    return true;
  }
  if (fs->res.ev.resp_len == 0 || better(&fs->res, &r))
    fs->res = r;
  return final || settled(&fs->res);
}

static bool evaluate(struct svp_ident *id, const struct svp_flow *full, struct fstate *fs,
                     bool final)
{
  struct svp_flow vbuf;
  return evaluate_view(id, rules_view(id, full, &vbuf), fs, final);
}

/* f->user: NULL before the server or client sent anything, the flow's
 * fstate while it is being judged, and the ident's `handed` mark once it
 * went to the endpoint table (the state is freed then, not at on_end: a
 * closed flow lingers in the flow table for a while). */
static void *handed_mark(struct svp_ident *id)
{
  return &id->handed;
}

static struct fstate *state_of(struct svp_flow *f)
{
  if (!f->user) {
    struct fstate *fs = calloc(1, sizeof *fs);
    if (fs && f->l4 == SVP_L4_TCP &&
        svp_tls_flow_new((f->flags & SVP_FF_MIDSTREAM) != 0, &fs->tls) != SVP_OK)
      fs->tls = NULL; /* out of memory: identification goes on without TLS */
    f->user = fs;
  }
  return f->user;
}

static void hand_over_and_release(struct svp_ident *id, struct svp_flow *f,
                                  struct fstate *fs)
{
  hand_over(id, f, fs);
  svp_tls_flow_free(fs->tls);
  free(fs);
  f->keep[SVP_C2S] = f->keep[SVP_S2C] = 0;
  f->user = handed_mark(id);
}

/* Give the TLS parser the flow's bytes; ask the flow table to keep what
 * the handshake still needs. Returns true while TLS wants more bytes. */
static bool feed_tls(struct fstate *fs, struct svp_flow *f)
{
  if (!fs->tls)
    return false;
  svp_tls_flow_feed(fs->tls, f);
  bool more = svp_tls_flow_wants_more(fs->tls);
  for (int k = 0; k < 2; k++)
    f->keep[k] = more ? svp_tls_flow_want(fs->tls, (enum svp_dir_id)k) : 0;
  if (!more && !svp_tls_flow_seen(fs->tls)) {
    svp_tls_flow_free(fs->tls); /* no TLS in this flow */
    fs->tls = NULL;
  }
  return more;
}

static bool on_data(void *ud, struct svp_flow *f, enum svp_dir_id dir)
{
  struct svp_ident *id = ud;
  if (f->user == handed_mark(id))
    return true;
  struct fstate *fs = state_of(f);
  if (!fs)
    return false; /* out of memory: the flow is still judged at its end */
  bool tls_more = feed_tls(fs, f);
  if (dir != SVP_S2C && f->l4 == SVP_L4_TCP) {
    if (!fs->client_spoke && f->dir[SVP_C2S].len) {
      fs->client_spoke = true; /* what the server sent so far is its banner */
      fs->banner_len = f->dir[SVP_S2C].len;
    }
    if (!fs->decided || tls_more)
      return false; /* client bytes only choose the probe */
  } else if (!fs->decided) {
    if (!evaluate(id, f, fs, false))
      return false;
    fs->decided = true;
    if (tls_more)
      return false; /* the rules are done; the handshake is not */
  } else if (tls_more) {
    return false;
  }
  hand_over_and_release(id, f, fs);
  id->st.decided_early++;
  return true;
}

/* No more bytes will come: judge what there is and hand it over. */
static void judge_final(struct svp_ident *id, struct svp_flow *f, struct fstate *fs)
{
  if (!fs->decided) /* decided flows only waited for their TLS handshake */
    evaluate(id, f, fs, true);
  if (f->dir[SVP_S2C].bytes && fs->res.ev.resp_len == 0)
    nomatch_result(&fs->res, f); /* bytes seen but none kept */
  hand_over_and_release(id, f, fs);
}

static void on_close(void *ud, struct svp_flow *f)
{
  struct svp_ident *id = ud;
  if (f->user && f->user != handed_mark(id) && f->dir[SVP_S2C].bytes)
    judge_final(id, f, f->user);
}

static void on_end(void *ud, struct svp_flow *f)
{
  struct svp_ident *id = ud;
  id->st.flows++;
  if (f->dir[SVP_S2C].bytes)
    id->st.flows_data++;
  if (f->user == handed_mark(id)) {
    svp_eptab_touch(id->eps, f);
  } else if (!f->user && !f->dir[SVP_S2C].bytes) {
    struct svp_flow_outcome o = {.flow = f}; /* nothing said: the handshake only */
    svp_eptab_add(id->eps, &o);
  } else {
    struct fstate *fs = state_of(f);
    if (fs) {
      judge_final(id, f, fs);
    } else {
      struct svp_flow_outcome o = {.flow = f};
      svp_eptab_add(id->eps, &o);
    }
  }
  f->user = NULL;
}

int svp_ident_new(const struct svp_ruleset *rs, struct svp_eptab *eps,
                  const struct svp_ident_opts *opts, struct svp_ident **out)
{
  struct svp_ident *id = calloc(1, sizeof *id);
  if (!id)
    return SVP_ERR_NOMEM;
  struct svp_matcher_opts mo = {.use_index = true,
                                 .jit_after = opts && opts->no_jit ? 0 : SVP_JIT_AFTER_DEFAULT};
  int rc = svp_matcher_new(rs, &mo, &id->m);
  if (rc != SVP_OK) {
    free(id);
    return rc;
  }
  id->rs = rs;
  id->eps = eps;
  if (opts)
    id->o = *opts;
  if (id->o.srv_cap == 0)
    id->o.srv_cap = 4096;
  if (id->o.cli_cap == 0)
    id->o.cli_cap = 2048;
  id->null_probe = svp_rules_null_probe(rs);
  id->sink = (struct svp_flow_sink){.on_data = on_data, .on_end = on_end,
                                    .on_close = on_close, .ud = id};
  *out = id;
  return SVP_OK;
}

void svp_ident_free(struct svp_ident *id)
{
  if (!id)
    return;
  svp_matcher_free(id->m);
  free(id);
}

const struct svp_flow_sink *svp_ident_sink(struct svp_ident *id)
{
  return &id->sink;
}

const struct svp_ident_stats *svp_ident_stats(const struct svp_ident *id)
{
  return &id->st;
}

enum svp_verdict svp_ident_match_reply(struct svp_ident *id, const struct svp_probe *probe,
                                       const uint8_t *resp, size_t len,
                                       struct svp_result *out)
{
  struct svp_match mt;
  memset(out, 0, sizeof *out);
  enum svp_verdict v = svp_match_response(id->m, probe, resp, len, &mt);
  out->verdict = v;
  out->method = SVP_M_ACTIVE;
  out->ev.resp_len = (uint32_t)len;
  if (v == SVP_NOMATCH)
    return v;
  out->conf = conf_for(SVP_M_ACTIVE);
  out->service = mt.rule->service;
  out->ssl = mt.rule->ssl && v == SVP_HARD;
  out->rule = mt.rule;
  out->probe = probe;
  out->fields = mt.fields;
  return v;
}
