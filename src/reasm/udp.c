/* udp.c: UDP datagrams as they really flow (reasm.h, "UDP").
 *
 * A UDP flow is one pair of addresses and ports. What it shows the
 * consumer is a request and the answer to it: dir[SVP_C2S] holds a datagram
 * of the client side, dir[SVP_S2C] one of the server side, which is what
 * nmap's UDP probes and their lines are about. Which datagrams, and which
 * side is which, comes from the protocols' own headers where they say it
 * (src/proto/udpmsg.c), from ports and first packets otherwise:
 *
 *  - datagrams no protocol recognises: the first of each side (the
 *    server side was chosen when the flow was made, srvside.c);
 *  - a request (CLIENT, QUERY): the client side's latest one before the
 *    server's answer, so that the answer is judged against what it answers;
 *  - an answer (SERVER): the first one goes to the consumer at once;
 *  - an announcement (ANNOUNCE: I-Am, a DNP3 outstation's own frames...):
 *    kept back while an answer may still come, and given to the consumer
 *    when the flow ends if none did. A flow with no request at all is an
 *    announcement the identification layer judges as such;
 *  - the client side answering, or announcing: it is a server too
 *    (BACnet peers on 47808 asking each other, a FINS node answering
 *    commands). The flow then gets a second view with the sides swapped, a
 *    flow of its own for the consumer (SVP_FF_PEER), fed with the requests
 *    of the first view's server side and the answers of its client side;
 *  - a request whose protocol answers from a fresh port (a TFTP read or
 *    write request: the server's transfer ID): while it waits for its
 *    answer, a datagram from the same server address to the client's port
 *    that has the shape of such an answer is this flow's answer; it and
 *    the rest of that transfer are counted in this flow (SVP_FF_ALTPORT),
 *    so the service is credited to the port the request went to.
 *
 * Flows whose datagrams no protocol recognises never get this state: they
 * cost what they did before. */
#include "svp/proto/udpmsg.h"
#include "svp/reasm/reasm.h"

#include <stdlib.h>
#include <string.h>

#define EXPECT_WINDOW_US (5 * 1000000) /* a fresh-port answer within 5 s of its request */
#define LINK_BUCKETS 256               /* expectation/alias index (power of 2) */

/* A copy of one datagram kept back (announcement, reverse request). */
struct kept {
  uint8_t *data;
  uint32_t len;
  struct svp_pktref ref;
};

/* One view: the flow seen with one side as the server. View 0 is the flow
 * itself (e->f); view 1 the reverse view, made when the client side
 * answers. */
struct view {
  struct svp_flow *f;
  bool answered;       /* an answer went to the consumer */
  bool given;          /* some datagram went to the consumer */
  bool done;           /* the consumer decided: no more bytes */
  struct kept held;    /* an announcement waiting for an answer */
  uint8_t held_rank;   /* 1 a node's broadcast query, 2 an announcement */
  uint32_t cap[2];     /* view 1: allocated size of f->dir[d].data */
};

struct link;

/* Per-flow state, only for flows with a recognised datagram. */
struct svp_udpst {
  struct view v[2];
  struct svp_flow twin;     /* view 1's flow */
  struct kept rreq;         /* latest request of view 0's server side, for view 1 */
  struct link *links;       /* expectation and aliases pointing to this flow */
  int64_t expect_us;        /* time of the request waiting for a fresh-port answer */
};

/* The index of fresh-port expectations and their aliases. */
enum link_kind { LINK_EXPECT, LINK_ALIAS };

struct link {
  struct link *hnext;       /* bucket chain */
  struct link *fnext;       /* the flow's links */
  struct svp_ftent *e;
  enum link_kind kind;
  /* EXPECT: client addr/port and server addr (port 0); ALIAS: the transfer's
   * server addr/port and client addr/port */
  struct svp_addr a, b;
  uint16_t pa, pb;
};

struct svp_udptab {
  struct link *bucket[LINK_BUCKETS];
  uint64_t seed;
  uint64_t n_links;
};

/* ------------------------------------------------------------- the index */

static uint32_t link_hash(const struct svp_udptab *t, const struct svp_addr *a, uint16_t pa,
                          const struct svp_addr *b, uint16_t pb)
{
  uint64_t h = t->seed ^ ((uint64_t)pa << 16 | pb);
  for (int i = 0; i < 16; i++)
    h = (h ^ a->b[i] ^ (uint64_t)b->b[i] << 8) * 0x100000001b3ull;
  return (uint32_t)(h ^ h >> 29) & (LINK_BUCKETS - 1);
}

static bool same_addr(const struct svp_addr *x, const struct svp_addr *y)
{
  return x->family == y->family && memcmp(x->b, y->b, 16) == 0;
}

static struct link *link_find(struct svp_udptab *t, enum link_kind kind, const struct svp_addr *a,
                              uint16_t pa, const struct svp_addr *b, uint16_t pb)
{
  for (struct link *l = t->bucket[link_hash(t, a, pa, b, pb)]; l; l = l->hnext)
    if (l->kind == kind && l->pa == pa && l->pb == pb && same_addr(&l->a, a) &&
        same_addr(&l->b, b))
      return l;
  return NULL;
}

static bool link_add(struct svp_flowtab *ft, struct svp_ftent *e, enum link_kind kind,
                     const struct svp_addr *a, uint16_t pa, const struct svp_addr *b, uint16_t pb)
{
  struct svp_udptab *t = svp_ft_udptab(ft);
  struct link *l = t ? calloc(1, sizeof *l) : NULL;
  if (!l)
    return false;
  *l = (struct link){.e = e, .kind = kind, .a = *a, .b = *b, .pa = pa, .pb = pb};
  uint32_t h = link_hash(t, a, pa, b, pb);
  l->hnext = t->bucket[h];
  t->bucket[h] = l;
  l->fnext = e->udp->links;
  e->udp->links = l;
  t->n_links++;
  svp_ft_mem(ft, (int64_t)sizeof *l);
  return true;
}

static void link_drop(struct svp_flowtab *ft, struct svp_ftent *e, enum link_kind kind)
{
  struct svp_udptab *t = svp_ft_udptab(ft);
  for (struct link **pl = &e->udp->links; *pl;) {
    struct link *l = *pl;
    if (l->kind != kind) {
      pl = &l->fnext;
      continue;
    }
    *pl = l->fnext;
    struct link **pp = &t->bucket[link_hash(t, &l->a, l->pa, &l->b, l->pb)];
    while (*pp && *pp != l)
      pp = &(*pp)->hnext;
    if (*pp)
      *pp = l->hnext;
    t->n_links--;
    svp_ft_mem(ft, -(int64_t)sizeof *l);
    free(l);
  }
}

int svp_udptab_new(struct svp_udptab **out)
{
  struct svp_udptab *t = calloc(1, sizeof *t);
  if (!t)
    return SVP_ERR_NOMEM;
  t->seed = 0xcbf29ce484222325ull ^ (uint64_t)(uintptr_t)t;
  *out = t;
  return SVP_OK;
}

void svp_udptab_free(struct svp_udptab *t)
{
  free(t); /* links belong to flows, freed with them (svp_udp_free) */
}

/* -------------------------------------------------------------- kept bytes */

static void kept_free(struct svp_flowtab *ft, struct kept *k)
{
  if (k->data) {
    svp_ft_mem(ft, -(int64_t)k->len);
    free(k->data);
  }
  *k = (struct kept){0};
}

static void kept_set(struct svp_flowtab *ft, struct kept *k, const uint8_t *p, uint32_t n)
{
  kept_free(ft, k);
  if (n == 0 || !(k->data = malloc(n)))
    return;
  memcpy(k->data, p, n);
  k->len = n;
  k->ref = *svp_ft_cur_ref(ft);
  svp_ft_mem(ft, (int64_t)n);
}

/* ------------------------------------------------------------------ views */

static struct svp_udpst *state(struct svp_flowtab *ft, struct svp_ftent *e)
{
  if (e->udp)
    return e->udp;
  struct svp_udpst *u = calloc(1, sizeof *u);
  if (!u)
    return NULL;
  u->v[0].f = &e->f;
  u->v[0].done = !e->collecting;
  e->udp = u;
  svp_ft_mem(ft, (int64_t)sizeof *u);
  return u;
}

static void view_free_bytes(struct svp_flowtab *ft, struct view *v)
{
  for (int d = 0; d < 2; d++) {
    if (v->cap[d]) {
      free(v->f->dir[d].data);
      svp_ft_mem(ft, -(int64_t)v->cap[d]);
    }
    v->f->dir[d].data = NULL;
    v->f->dir[d].len = 0;
    v->cap[d] = 0;
  }
}

/* Every datagram of the flow is one of the reverse view's too, sides
 * swapped: its counters are the flow's. */
static void sync_counters(struct svp_flow *t, const struct svp_flow *f)
{
  for (int d = 0; d < 2; d++) {
    struct svp_dir *T = &t->dir[d];
    const struct svp_dir *F = &f->dir[!d];
    T->pkts = F->pkts;
    T->bytes = F->bytes;
    T->segs = F->segs;
    T->ttl = F->ttl;
  }
  t->last_us = f->last_us;
}

/* Give datagram p[0..n) to view `vi` as its direction d, replacing what
 * that direction held. View 0 goes through the flow table; view 1 keeps
 * its own bytes. */
static void view_give(struct svp_flowtab *ft, struct svp_ftent *e, int vi, enum svp_dir_id d,
                      const uint8_t *p, uint32_t n, uint32_t missing,
                      const struct svp_pktref *ref)
{
  struct svp_udpst *u = e->udp;
  struct view *v = u ? &u->v[vi] : NULL;
  if (v && v->done)
    return;
  if (vi == 0) {
    if (!e->collecting)
      return;
    e->f.dir[d].len = 0; /* the buffer stays for the new datagram */
    e->f.dir[d].first = *ref;
    if (svp_ft_deliver(ft, e, d, p, n) && missing)
      svp_ft_gap(ft, e, d, missing);
    if (v)
      v->done = !e->collecting;
    return;
  }
  struct svp_dir *D = &v->f->dir[d];
  uint32_t lim = svp_ft_limit(ft, d);
  if (n > lim)
    n = lim;
  D->len = 0;
  if (n > v->cap[d]) {
    uint8_t *nb = realloc(v->cap[d] ? D->data : NULL, n);
    if (!nb)
      return;
    svp_ft_mem(ft, (int64_t)n - (int64_t)v->cap[d]);
    D->data = nb;
    v->cap[d] = n;
  }
  if (n)
    memcpy(D->data, p, n);
  D->len = n;
  D->first = *ref;
  if (missing) {
    D->gap_at = D->gap_at == UINT32_MAX ? n : D->gap_at;
    D->gaps++;
    v->f->flags |= SVP_FF_GAP;
  }
  if (d == SVP_S2C && !v->given)
    v->f->flags |= SVP_FF_SRV_FIRST;
  v->given = true;
  sync_counters(v->f, &e->f);
  const struct svp_flow_sink *sink = svp_ft_sink(ft);
  if (sink->on_data && sink->on_data(sink->ud, v->f, d)) {
    v->done = true;
    v->f->flags |= SVP_FF_DECIDED;
    view_free_bytes(ft, v);
  }
}

/* View 1: view 0 with the sides swapped, as its own flow. */
static bool make_twin(struct svp_flowtab *ft, struct svp_ftent *e, struct svp_udpst *u)
{
  if (u->v[1].f)
    return true;
  struct svp_flow *t = &u->twin, *f = &e->f;
  memset(t, 0, sizeof *t);
  t->cli = f->srv, t->cport = f->sport;
  t->srv = f->cli, t->sport = f->cport;
  t->l4 = f->l4;
  t->vlan = f->vlan;
  t->basis = SVP_SB_PAYLOAD;
  t->conf = SVP_SC_HIGH;
  t->reasm = SVP_RA_UDP;
  t->flags = SVP_FF_PEER;
  t->first = *svp_ft_cur_ref(ft);
  t->last_us = f->last_us;
  t->id = svp_ft_new_id(ft);
  t->dir[0].gap_at = t->dir[1].gap_at = UINT32_MAX;
  u->v[1].f = t;
  svp_ft_stats(ft)->udp_peer_views++;
  if (u->rreq.len) /* the request it answers, if the server side asked one */
    view_give(ft, e, 1, SVP_C2S, u->rreq.data, u->rreq.len, 0, &u->rreq.ref);
  kept_free(ft, &u->rreq);
  return true;
}

/* A request from the client side of view vi. */
static void route_request(struct svp_flowtab *ft, struct svp_ftent *e, int vi,
                          const struct svp_pkt *p)
{
  struct svp_udpst *u = e->udp;
  if (vi == 1 && !u->v[1].f) {
    kept_set(ft, &u->rreq, p->payload, p->paycap); /* for the reverse view, if it comes */
    return;
  }
  struct view *v = &u->v[vi];
  if (v->answered || v->done)
    return; /* the pair is made: later requests are not what was answered */
  view_give(ft, e, vi, SVP_C2S, p->payload, p->paycap, p->paylen - p->paycap,
            svp_ft_cur_ref(ft));
}

/* An answer from the server side of view vi, or what it says unprompted
 * (rank 2: an announcement; rank 1: a query it broadcast, which says less:
 * an announcement that comes later replaces it). */
static void route_answer(struct svp_flowtab *ft, struct svp_ftent *e, int vi,
                         const struct svp_pkt *p, int announce_rank)
{
  struct svp_udpst *u = e->udp;
  if (vi == 1 && !make_twin(ft, e, u))
    return;
  struct view *v = &u->v[vi];
  if (v->answered || v->done)
    return;
  if (announce_rank) {
    if (!v->held.len)
      svp_ft_stats(ft)->udp_announce_held++;
    if (!v->held.len || announce_rank > v->held_rank) {
      kept_set(ft, &v->held, p->payload, p->paycap);
      v->held_rank = (uint8_t)announce_rank;
    }
    return;
  }
  kept_free(ft, &v->held);
  v->answered = true;
  view_give(ft, e, vi, SVP_S2C, p->payload, p->paycap, p->paylen - p->paycap,
            svp_ft_cur_ref(ft));
}

/* First datagram of each side, as before protocols were read. */
static void route_plain(struct svp_flowtab *ft, struct svp_ftent *e, enum svp_dir_id d,
                        const struct svp_pkt *p)
{
  if (!e->collecting || e->f.dir[d].len > 0 || (e->udp && e->udp->v[0].answered && d == SVP_S2C))
    return;
  if (e->udp && d == SVP_S2C)
    e->udp->v[0].answered = true;
  if (svp_ft_deliver(ft, e, d, p->payload, p->paycap) && p->paycap < p->paylen)
    svp_ft_gap(ft, e, d, p->paylen - p->paycap);
  if (e->udp)
    e->udp->v[0].done = !e->collecting;
}

/* A request that will be answered from a fresh port: wait for it. */
static void expect_fresh_port(struct svp_flowtab *ft, struct svp_ftent *e)
{
  struct svp_udpst *u = e->udp;
  u->expect_us = svp_ft_cur_ref(ft)->ts_us;
  for (struct link *l = u->links; l; l = l->fnext)
    if (l->kind == LINK_EXPECT)
      return;
  link_add(ft, e, LINK_EXPECT, &e->f.cli, e->f.cport, &e->f.srv, 0);
}

void svp_udp_packet(struct svp_flowtab *ft, struct svp_ftent *e, enum svp_dir_id d,
                    const struct svp_pkt *p)
{
  if (p->paycap == 0)
    return;
  struct svp_udp_msg m;
  svp_udp_msg_parse(p->payload, p->paycap, p->sport, p->dport, &m);
  if (m.kind == SVP_UK_UNKNOWN || !state(ft, e)) {
    route_plain(ft, e, d, p);
  } else {
    /* view in which the sender is the client: 0 if it is view 0's client */
    int as_client = d == SVP_C2S ? 0 : 1;
    switch (m.kind) {
    case SVP_UK_QUERY:
      if (m.broadcast) { /* asked of everyone: the sender announces its node */
        route_answer(ft, e, !as_client, p, 1);
        break;
      }
      /* fall through */
    case SVP_UK_CLIENT:
      route_request(ft, e, as_client, p);
      if (m.fresh_port_reply && as_client == 0 && !e->udp->v[0].answered)
        expect_fresh_port(ft, e);
      break;
    case SVP_UK_SERVER:
    case SVP_UK_ANNOUNCE:
      route_answer(ft, e, !as_client, p, m.kind == SVP_UK_ANNOUNCE ? 2 : 0);
      break;
    default:
      break;
    }
  }
  /* Plain flows stop once both sides have their first datagram. */
  if (!e->udp && e->f.dir[!d].len > 0 && e->f.dir[d].len > 0)
    e->collecting = false;
}

bool svp_udp_wants(const struct svp_ftent *e)
{
  const struct svp_udpst *u = e->udp;
  if (!u)
    return e->collecting;
  /* until both views are decided: the client side may answer later */
  return !u->v[0].done || !u->v[1].f || !u->v[1].done;
}

struct svp_ftent *svp_udp_lookup(struct svp_flowtab *ft, const struct svp_pkt *p)
{
  struct svp_udptab *t = svp_ft_udptab(ft);
  if (!t || t->n_links == 0)
    return NULL;
  struct link *l = link_find(t, LINK_ALIAS, &p->src, p->sport, &p->dst, p->dport);
  if (!l)
    l = link_find(t, LINK_ALIAS, &p->dst, p->dport, &p->src, p->sport);
  if (l)
    return l->e;
  /* a fresh-port answer: from the server's address to the client's port */
  l = link_find(t, LINK_EXPECT, &p->dst, p->dport, &p->src, 0);
  if (!l)
    return NULL;
  struct svp_ftent *e = l->e;
  struct svp_udpst *u = e->udp;
  int64_t now = svp_ft_cur_ref(ft)->ts_us;
  if (u->v[0].answered || p->sport == e->f.sport || now - u->expect_us > EXPECT_WINDOW_US ||
      now < u->expect_us || !svp_udp_tftp_answer(p->payload, p->paycap))
    return NULL;
  link_drop(ft, e, LINK_EXPECT);
  if (!link_add(ft, e, LINK_ALIAS, &p->src, p->sport, &p->dst, p->dport))
    return NULL;
  e->f.flags |= SVP_FF_ALTPORT;
  e->f.alt_sport = p->sport;
  svp_ft_stats(ft)->udp_fresh_port++;
  return e; /* the caller counts the datagram and gives it as the answer */
}

void svp_udp_flush(struct svp_flowtab *ft, struct svp_ftent *e)
{
  struct svp_udpst *u = e->udp;
  if (!u)
    return;
  for (int vi = 0; vi < 2; vi++) {
    struct view *v = &u->v[vi];
    if (!v->f || v->answered || !v->held.len)
      continue;
    v->answered = true;
    struct kept k = v->held;
    v->held = (struct kept){0};
    view_give(ft, e, vi, SVP_S2C, k.data, k.len, 0, &k.ref);
    kept_free(ft, &k);
  }
}

void svp_udp_end_peer(struct svp_flowtab *ft, struct svp_ftent *e)
{
  struct svp_udpst *u = e->udp;
  if (!u || !u->v[1].f)
    return;
  struct svp_flow *t = u->v[1].f, *f = &e->f;
  sync_counters(t, f);
  t->flags |= f->flags & (SVP_FF_TIMEOUT | SVP_FF_EVICTED | SVP_FF_EOF | SVP_FF_SNAPLEN);
  const struct svp_flow_sink *sink = svp_ft_sink(ft);
  if (sink->on_end)
    sink->on_end(sink->ud, t);
  view_free_bytes(ft, &u->v[1]);
  u->v[1].f = NULL;
  u->v[1].done = true;
}

void svp_udp_free(struct svp_flowtab *ft, struct svp_ftent *e)
{
  struct svp_udpst *u = e->udp;
  if (!u)
    return;
  link_drop(ft, e, LINK_EXPECT);
  link_drop(ft, e, LINK_ALIAS);
  if (u->v[1].f)
    view_free_bytes(ft, &u->v[1]); /* dropped without on_end (svp_flowtab_free) */
  for (int vi = 0; vi < 2; vi++)
    kept_free(ft, &u->v[vi].held);
  kept_free(ft, &u->rreq);
  svp_ft_mem(ft, -(int64_t)sizeof *u);
  free(u);
  e->udp = NULL;
}
