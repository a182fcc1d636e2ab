/* flowtab.c: the flow table (see flowtab.h for the rules it follows).
 *
 * Layout: a chained hash index over struct svp_ftent, two recency lists
 * (active flows, and closed 4-tuples lingering to absorb strays), least
 * recent first, so that idle expiry and eviction are O(1) per flow. Work
 * that frees entries happens only between packets, never while a
 * reassembler (or a libnids callback) is running. */
#include "svp/capture/csum.h"
#include "svp/reasm/flowtab.h"
#include "svp/reasm/reasm.h"
#include "svp/base/slab.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define HASH_MIN 4096          /* initial buckets (power of 2) */
#define BUF_MIN 64             /* smallest buffer for a direction's bytes */
#define BUF_CLASSES 7          /* pooled buffer sizes: BUF_MIN << 0 .. 6 (4 KB) */
#define NIDS_MEM_SHARE 64      /* libnids' stream table gets 1/64 of the memory bound */

struct svp_flowtab {
  struct svp_flow_sink sink;
  struct svp_portinfo ports;   /* for the server-side guess (srvside.c) */
  uint8_t *listed[2];          /* ports.listed_tcp / _udp, owned */
  struct svp_diag *diag;
  uint64_t max_entries;
  uint64_t mem_limit;
  int64_t idle_us;
  uint32_t lim[2];             /* bytes kept: [SVP_C2S] client, [SVP_S2C] server */

  struct svp_slab ents;        /* every struct svp_ftent */
  struct svp_slab bufs[BUF_CLASSES]; /* byte buffers up to 4 KB; larger ones: malloc */
  struct svp_ftent **bucket;
  size_t nbucket;              /* power of 2 */
  uint64_t seed;
  uint64_t n_entries;          /* active + closed */
  uint64_t n_active;
  struct svp_ftent *act_head, *act_tail;
  struct svp_ftent *cls_head, *cls_tail;
  uint64_t n_closed;           /* entries on the closed list */
  uint64_t max_closed;         /* at most this many linger (SVP_FT_CLOSED_SHARE) */
  uint64_t next_id;

  struct svp_nids *nids;
  struct svp_udptab *udp;      /* udp.c's index of fresh-port answers */
  struct svp_csum_policy *csum;
  struct svp_flowtab_stats st;
  struct svp_pktref cur_ref;   /* packet being processed */
  struct svp_ftent *pinned;    /* entry being processed: never evicted */
  uint32_t defrag_depth;
};

static const char *const handoff_names[SVP_HO_COUNT] = {
  "server-before-handshake", "not-established", "out-of-order", "refused",
  "truncated", "nids-table-full", "nids-out-of-memory",
};

const char *svp_handoff_name(enum svp_handoff h)
{
  return (unsigned)h < SVP_HO_COUNT ? handoff_names[h] : "?";
}

static const char *const end_names[SVP_END_COUNT] = {
  "fin", "rst", "reused", "timeout", "evicted", "eof",
};

const char *svp_flow_end_name(enum svp_flow_end e)
{
  return (unsigned)e < SVP_END_COUNT ? end_names[e] : "?";
}

/* ------------------------------------------------------------ accounting */

void svp_ft_mem(struct svp_flowtab *ft, int64_t delta)
{
  ft->st.mem_now = (uint64_t)((int64_t)ft->st.mem_now + delta);
  if (ft->st.mem_now > ft->st.mem_peak)
    ft->st.mem_peak = ft->st.mem_now;
}

struct svp_flowtab_stats *svp_ft_stats(struct svp_flowtab *ft)
{
  return &ft->st;
}

const struct svp_pktref *svp_ft_cur_ref(const struct svp_flowtab *ft)
{
  return &ft->cur_ref;
}

uint32_t svp_ft_limit(const struct svp_flowtab *ft, enum svp_dir_id d)
{
  return ft->lim[d];
}

const struct svp_flow_sink *svp_ft_sink(const struct svp_flowtab *ft)
{
  return &ft->sink;
}

uint64_t svp_ft_new_id(struct svp_flowtab *ft)
{
  return ++ft->next_id;
}

struct svp_udptab *svp_ft_udptab(struct svp_flowtab *ft)
{
  return ft->udp;
}

/* ------------------------------------------------------------- the index */

static uint64_t mix64(uint64_t h)
{
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return h;
}

static int endpoint_cmp(const struct svp_addr *a, uint16_t pa, const struct svp_addr *b,
                        uint16_t pb)
{
  int c = memcmp(a->b, b->b, 16);
  if (c)
    return c;
  return (int)pa - (int)pb;
}

static uint64_t load64(const uint8_t *p)
{
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}

/* Same value for both directions of a flow. */
static uint32_t flow_hash(const struct svp_flowtab *ft, uint8_t l4, const struct svp_addr *a,
                          uint16_t pa, const struct svp_addr *b, uint16_t pb)
{
  if (endpoint_cmp(a, pa, b, pb) > 0) {
    const struct svp_addr *t = a;
    a = b;
    b = t;
    uint16_t tp = pa;
    pa = pb;
    pb = tp;
  }
  uint64_t h = ft->seed ^ ((uint64_t)l4 << 56 | (uint64_t)pa << 16 | pb);
  if (a->family == 4 && b->family == 4) { /* bytes 4..15 are zero: one round */
    uint32_t x, y;
    memcpy(&x, a->b, 4);
    memcpy(&y, b->b, 4);
    return (uint32_t)mix64(mix64(h) ^ ((uint64_t)x << 32 | y));
  }
  h = mix64(h ^ load64(a->b));
  h = mix64(h ^ load64(a->b + 8));
  h = mix64(h ^ load64(b->b));
  h = mix64(h ^ load64(b->b + 8));
  return (uint32_t)h;
}

static bool addr_eq(const struct svp_addr *a, const struct svp_addr *b)
{
  return a->family == b->family && memcmp(a->b, b->b, 16) == 0;
}

static struct svp_ftent *find(struct svp_flowtab *ft, uint32_t h, uint8_t l4,
                              const struct svp_addr *a, uint16_t pa,
                              const struct svp_addr *b, uint16_t pb)
{
  for (struct svp_ftent *e = ft->bucket[h & (ft->nbucket - 1)]; e; e = e->hnext) {
    if (e->hash != h || e->f.l4 != l4)
      continue;
    if ((e->f.cport == pa && e->f.sport == pb && addr_eq(&e->f.cli, a) &&
         addr_eq(&e->f.srv, b)) ||
        (e->f.cport == pb && e->f.sport == pa && addr_eq(&e->f.cli, b) &&
         addr_eq(&e->f.srv, a)))
      return e;
  }
  return NULL;
}

struct svp_ftent *svp_ft_find_tcp4(struct svp_flowtab *ft, const uint8_t saddr[4],
                                   uint16_t sport, const uint8_t daddr[4], uint16_t dport)
{
  struct svp_addr a = {.family = 4}, b = {.family = 4};
  memcpy(a.b, saddr, 4);
  memcpy(b.b, daddr, 4);
  uint32_t h = flow_hash(ft, SVP_L4_TCP, &a, sport, &b, dport);
  struct svp_ftent *e = find(ft, h, SVP_L4_TCP, &a, sport, &b, dport);
  return e && e->state == SVP_FT_ACTIVE ? e : NULL;
}

static void index_grow(struct svp_flowtab *ft)
{
  size_t nn = ft->nbucket * 2;
  struct svp_ftent **nb = calloc(nn, sizeof *nb);
  if (!nb)
    return; /* chains get longer; still correct */
  for (size_t i = 0; i < ft->nbucket; i++) {
    struct svp_ftent *e = ft->bucket[i];
    while (e) {
      struct svp_ftent *nx = e->hnext;
      size_t j = e->hash & (nn - 1);
      e->hnext = nb[j];
      nb[j] = e;
      e = nx;
    }
  }
  free(ft->bucket);
  svp_ft_mem(ft, (int64_t)((nn - ft->nbucket) * sizeof *nb));
  ft->bucket = nb;
  ft->nbucket = nn;
}

static void index_remove(struct svp_flowtab *ft, struct svp_ftent *e)
{
  struct svp_ftent **pp = &ft->bucket[e->hash & (ft->nbucket - 1)];
  while (*pp && *pp != e)
    pp = &(*pp)->hnext;
  if (*pp)
    *pp = e->hnext;
  e->hnext = NULL;
}

/* ------------------------------------------------------ recency lists */

static void list_unlink(struct svp_ftent **head, struct svp_ftent **tail, struct svp_ftent *e)
{
  if (e->prev)
    e->prev->next = e->next;
  else
    *head = e->next;
  if (e->next)
    e->next->prev = e->prev;
  else
    *tail = e->prev;
  e->prev = e->next = NULL;
}

static void list_append(struct svp_ftent **head, struct svp_ftent **tail, struct svp_ftent *e)
{
  e->next = NULL;
  e->prev = *tail;
  if (*tail)
    (*tail)->next = e;
  else
    *head = e;
  *tail = e;
}

static void touch(struct svp_flowtab *ft, struct svp_ftent *e)
{
  if (e == ft->act_tail || e == ft->cls_tail)
    return;
  if (e->state == SVP_FT_ACTIVE) {
    list_unlink(&ft->act_head, &ft->act_tail, e);
    list_append(&ft->act_head, &ft->act_tail, e);
  } else {
    list_unlink(&ft->cls_head, &ft->cls_tail, e);
    list_append(&ft->cls_head, &ft->cls_tail, e);
  }
}

/* ------------------------------------------------------ flow life cycle */

/* Byte buffers: the pool of the smallest class that holds `size`, or -1
 * above the largest class (malloc). */
static int buf_class(uint32_t size)
{
  for (int k = 0; k < BUF_CLASSES; k++)
    if (size <= (uint32_t)BUF_MIN << k)
      return k;
  return -1;
}

static void buf_free(struct svp_flowtab *ft, uint8_t *b, uint32_t cap)
{
  int k = buf_class(cap);
  if (k < 0)
    free(b);
  else
    svp_slab_free(&ft->bufs[k], b);
}

static void free_dir_bytes(struct svp_flowtab *ft, struct svp_ftent *e)
{
  for (int d = 0; d < 2; d++) {
    if (e->cap[d]) {
      buf_free(ft, e->f.dir[d].data, e->cap[d]);
      svp_ft_mem(ft, -(int64_t)e->cap[d]);
    }
    e->f.dir[d].data = NULL;
    e->cap[d] = 0;
  }
}

/* Let go of libnids' stream and the lite state. Only between packets:
 * inside a libnids callback the glue lets go by itself (collect--). */
static void release_reasm(struct svp_flowtab *ft, struct svp_ftent *e)
{
  if (e->in_nids) {
    if (ft->nids)
      svp_nids_release(ft->nids, e);
    e->in_nids = false;
  }
  svp_lite_free(ft, e);
}

static void entry_free(struct svp_flowtab *ft, struct svp_ftent *e)
{
  free_dir_bytes(ft, e);
  svp_lite_free(ft, e);
  svp_udp_free(ft, e);
  svp_ft_mem(ft, -(int64_t)sizeof *e);
  svp_slab_free(&ft->ents, e);
}

static const uint32_t end_flag[SVP_END_COUNT] = {
  SVP_FF_FIN, SVP_FF_RST, SVP_FF_REUSED, SVP_FF_TIMEOUT, SVP_FF_EVICTED, SVP_FF_EOF,
};

/* Stop the reassembly of an open flow: what is buffered is delivered (holes
 * at the end will not fill any more) and the reassembler let go. */
static void stop_reasm(struct svp_flowtab *ft, struct svp_ftent *e)
{
  if (e->collecting && e->lite)
    svp_lite_flush(ft, e);
  release_reasm(ft, e);
  e->collecting = false;
}

/* The flow is over for good: on_end, then it is freed. An open flow gets
 * the flag of `why`; a closed one keeps the reason it closed with. */
static void finalize(struct svp_flowtab *ft, struct svp_ftent *e, enum svp_flow_end why)
{
  if (e->state == SVP_FT_ACTIVE) {
    if (e->udp)
      svp_udp_flush(ft, e); /* announcements kept back for an answer */
    stop_reasm(ft, e);
    e->f.flags |= end_flag[why];
    list_unlink(&ft->act_head, &ft->act_tail, e);
  } else {
    why = (enum svp_flow_end)e->end_why;
    list_unlink(&ft->cls_head, &ft->cls_tail, e);
    ft->n_closed--;
  }
  e->ended = true;
  ft->st.flows_ended[why]++;
  ft->n_active--;
  ft->st.flows_live = ft->n_active;
  if (e->udp)
    svp_udp_end_peer(ft, e);
  if (ft->sink.on_end)
    ft->sink.on_end(ft->sink.ud, &e->f);
  index_remove(ft, e);
  ft->n_entries--;
  entry_free(ft, e);
}

/* TCP closed it (FIN both ways, or RST): reassembly stops now; on_end comes
 * when the 4-tuple's linger ends (strays are still counted meanwhile). */
static void close_flow(struct svp_flowtab *ft, struct svp_ftent *e, enum svp_flow_end why)
{
  bool judge = e->collecting;
  stop_reasm(ft, e);
  e->f.flags |= end_flag[why];
  if (judge && ft->sink.on_close) {
    ft->sink.on_close(ft->sink.ud, &e->f);
    free_dir_bytes(ft, e);
    for (int k = 0; k < 2; k++)
      e->f.dir[k].len = 0;
  }
  e->end_why = (uint8_t)why;
  e->state = SVP_FT_CLOSED;
  list_unlink(&ft->act_head, &ft->act_tail, e);
  list_append(&ft->cls_head, &ft->cls_tail, e);
  ft->n_closed++;
}

/* A retried SYN brings a refused flow back. */
static void reopen_flow(struct svp_flowtab *ft, struct svp_ftent *e)
{
  list_unlink(&ft->cls_head, &ft->cls_tail, e);
  ft->n_closed--;
  list_append(&ft->act_head, &ft->act_tail, e);
  e->state = SVP_FT_ACTIVE;
  e->f.flags &= ~(uint32_t)(SVP_FF_RST | SVP_FF_REFUSED);
  e->fin = 0;
  e->collecting = !(e->f.flags & (SVP_FF_DECIDED | SVP_FF_FULL));
  if (!e->collecting)
    return;
  if (e->f.reasm == SVP_RA_NIDS && ft->nids && !svp_nids_dead(ft->nids)) {
    e->in_nids = true;
    e->nids_est = false;
    memset(e->nids_got, 0, sizeof e->nids_got);
    return;
  }
  bool known[2] = {e->isn_known[0], e->isn_known[1]};
  uint32_t next[2] = {e->isn[0] + 1, e->isn[1] + 1};
  if (svp_lite_attach(ft, e, known, next) != SVP_OK)
    e->collecting = false;
}

static void end_flow(struct svp_flowtab *ft, struct svp_ftent *e, enum svp_flow_end why)
{
  if (why == SVP_END_FIN || why == SVP_END_RST)
    close_flow(ft, e, why);
  else
    finalize(ft, e, why);
}

/* Expire idle flows and closed flows whose linger is over (capture time). */
static void expire(struct svp_flowtab *ft, int64_t now)
{
  const int64_t linger = (int64_t)SVP_FT_CLOSE_LINGER_S * 1000000;
  while (ft->cls_head && ft->cls_head != ft->pinned &&
         now - ft->cls_head->f.last_us > linger)
    finalize(ft, ft->cls_head, SVP_END_FIN);
  /* tombstones stay flat: the oldest closed flows end early past the bound */
  while (ft->n_closed > ft->max_closed && ft->cls_head && ft->cls_head != ft->pinned) {
    ft->st.closed_dropped++;
    finalize(ft, ft->cls_head, SVP_END_FIN);
  }
  while (ft->act_head && ft->act_head != ft->pinned &&
         now - ft->act_head->f.last_us > ft->idle_us)
    finalize(ft, ft->act_head, SVP_END_TIMEOUT);
}

/* Keep within max_entries (room for `extra` more) and the memory bound:
 * closed flows are finalized first, then the least recently active. */
static void enforce_bounds(struct svp_flowtab *ft, uint64_t extra)
{
  while (ft->n_entries + extra > ft->max_entries || ft->st.mem_now > ft->mem_limit) {
    if (ft->cls_head && ft->cls_head != ft->pinned) {
      ft->st.closed_dropped++;
      finalize(ft, ft->cls_head, SVP_END_FIN);
      continue;
    }
    struct svp_ftent *v = ft->act_head;
    if (v == ft->pinned && v)
      v = v->next;
    if (!v)
      break;
    finalize(ft, v, SVP_END_EVICTED);
  }
}

static void set_basis(struct svp_flowtab *ft, struct svp_ftent *e, enum svp_server_basis b,
                      enum svp_server_conf c)
{
  ft->st.basis[e->f.basis]--;
  e->f.basis = b;
  e->f.conf = c;
  ft->st.basis[b]++;
}

/* Create the flow of packet p. a_is_server: p's sender is the server. */
static struct svp_ftent *create(struct svp_flowtab *ft, const struct svp_pkt *p, uint32_t h,
                                bool a_is_server, enum svp_server_basis basis,
                                enum svp_server_conf conf, enum svp_reasm ra)
{
  enforce_bounds(ft, 1);
  struct svp_ftent *e = svp_slab_alloc(&ft->ents);
  if (!e)
    return NULL;
  memset(e, 0, sizeof *e);
  svp_ft_mem(ft, (int64_t)sizeof *e);
  struct svp_flow *f = &e->f;
  if (a_is_server) {
    f->srv = p->src, f->sport = p->sport, f->cli = p->dst, f->cport = p->dport;
  } else {
    f->cli = p->src, f->cport = p->sport, f->srv = p->dst, f->sport = p->dport;
  }
  f->l4 = p->proto == 17 ? SVP_L4_UDP : SVP_L4_TCP;
  f->vlan = p->vlan;
  f->basis = basis;
  f->conf = conf;
  f->reasm = ra;
  f->first = ft->cur_ref;
  f->last_us = ft->cur_ref.ts_us;
  f->id = ++ft->next_id;
  f->dir[0].gap_at = f->dir[1].gap_at = UINT32_MAX;
  e->hash = h;
  e->collecting = true;
  size_t b = h & (ft->nbucket - 1);
  e->hnext = ft->bucket[b];
  ft->bucket[b] = e;
  list_append(&ft->act_head, &ft->act_tail, e);
  ft->n_entries++;
  ft->n_active++;
  ft->st.flows_live = ft->n_active;
  if (ft->n_active > ft->st.flows_peak)
    ft->st.flows_peak = ft->n_active;
  ft->st.flows_created[ra]++;
  ft->st.basis[basis]++;
  if (ft->n_entries > ft->nbucket)
    index_grow(ft);
  return e;
}

/* Swap client and server (revised before any byte was delivered). */
static void swap_sides(struct svp_ftent *e)
{
  struct svp_flow *f = &e->f;
  struct svp_addr ta = f->cli;
  f->cli = f->srv;
  f->srv = ta;
  uint16_t tp = f->cport;
  f->cport = f->sport;
  f->sport = tp;
  struct svp_dir td = f->dir[0];
  f->dir[0] = f->dir[1];
  f->dir[1] = td;
  uint32_t tc = e->cap[0];
  e->cap[0] = e->cap[1];
  e->cap[1] = tc;
  bool tk = e->isn_known[0];
  e->isn_known[0] = e->isn_known[1];
  e->isn_known[1] = tk;
  uint32_t ti = e->isn[0];
  e->isn[0] = e->isn[1];
  e->isn[1] = ti;
  e->fin = (uint8_t)(((e->fin & 1) << 1) | ((e->fin >> 1) & 1));
  svp_lite_swap(e);
}

static enum svp_dir_id dir_of(const struct svp_ftent *e, const struct svp_pkt *p)
{
  return (p->sport == e->f.cport && addr_eq(&p->src, &e->f.cli)) ? SVP_C2S : SVP_S2C;
}

/* Per-packet counters of direction d. */
static void account(struct svp_flowtab *ft, struct svp_ftent *e, enum svp_dir_id d,
                    const struct svp_pkt *p)
{
  struct svp_dir *D = &e->f.dir[d];
  if (D->segs++ == 0)
    D->ttl = p->ttl;
  if (p->paylen > 0) {
    if (D->pkts++ == 0)
      D->first = ft->cur_ref;
    D->bytes += p->paylen;
    if (p->paycap < p->paylen)
      e->f.flags |= SVP_FF_SNAPLEN;
  }
  e->f.last_us = ft->cur_ref.ts_us;
  touch(ft, e);
}

/* ------------------------------------------------ services to reassemblers */

/* Bytes of direction d this flow keeps: the table's limit, or more when
 * the consumer asked for more (svp_flow.keep, flow.h). */
static uint32_t dir_limit(const struct svp_flowtab *ft, const struct svp_ftent *e,
                          enum svp_dir_id d)
{
  uint32_t k = e->f.keep[d] < SVP_FLOW_KEEP_MAX ? e->f.keep[d] : SVP_FLOW_KEEP_MAX;
  return k > ft->lim[d] ? k : ft->lim[d];
}

/* Room for `need` bytes (<= the direction's limit) in f.dir[d].data, which
 * holds its `len` bytes (owned, or borrowed when cap is 0). */
static bool grow_dir(struct svp_flowtab *ft, struct svp_ftent *e, enum svp_dir_id d,
                     uint32_t need)
{
  if (need <= e->cap[d])
    return true;
  uint32_t nc = BUF_MIN;
  while (nc < need)
    nc *= 2;
  uint32_t lim = dir_limit(ft, e, d);
  if (nc > lim)
    nc = lim;
  int k = buf_class(nc);
  uint8_t *nb = k < 0 ? malloc(nc) : svp_slab_alloc(&ft->bufs[k]);
  if (!nb)
    return false;
  struct svp_dir *D = &e->f.dir[d];
  if (D->len)
    memcpy(nb, D->data, D->len);
  if (e->cap[d])
    buf_free(ft, D->data, e->cap[d]);
  svp_ft_mem(ft, (int64_t)nc - (int64_t)e->cap[d]);
  D->data = nb;
  e->cap[d] = nc;
  return true;
}

bool svp_ft_deliver(struct svp_flowtab *ft, struct svp_ftent *e, enum svp_dir_id d,
                    const uint8_t *data, size_t len)
{
  if (!e->collecting || e->ended)
    return false;
  struct svp_dir *D = &e->f.dir[d];
  uint32_t lim = dir_limit(ft, e, d);
  uint32_t room = lim > D->len ? lim - D->len : 0;
  uint32_t n = len < room ? (uint32_t)len : room;
  if (n == 0)
    return true; /* this direction is full; the other may still matter */
  /* A direction's first bytes are lent to the consumer where they lie (the
   * packet, libnids' or lite's buffer) and copied only if it does not
   * decide on them: most flows are decided on their first answer. */
  bool lent = D->len == 0 && e->cap[d] == 0;
  if (lent) {
    D->data = (uint8_t *)(uintptr_t)data;
  } else {
    if (!grow_dir(ft, e, d, D->len + n))
      return true; /* out of memory: keep what we have */
    memcpy(D->data + D->len, data, n);
  }
  D->len += n;
  if (d == SVP_S2C && !e->delivered)
    e->f.flags |= SVP_FF_SRV_FIRST;
  e->delivered = true;
  bool decided = ft->sink.on_data && ft->sink.on_data(ft->sink.ud, &e->f, d);
  if (lent && !decided) {
    D->len = 0;
    D->data = NULL;
    if (!grow_dir(ft, e, d, n))
      return true; /* out of memory: the bytes are lost, the flow goes on */
    memcpy(D->data, data, n);
    D->len = n;
  }
  if (decided) {
    e->f.flags |= SVP_FF_DECIDED;
    e->collecting = false;
    ft->st.decided++;
    free_dir_bytes(ft, e);
    for (int k = 0; k < 2; k++)
      e->f.dir[k].len = 0;
    return false;
  }
  if (e->f.dir[SVP_S2C].len >= dir_limit(ft, e, SVP_S2C)) {
    e->f.flags |= SVP_FF_FULL;
    e->collecting = false;
    ft->st.full++;
    return false;
  }
  return true;
}

void svp_ft_gap(struct svp_flowtab *ft, struct svp_ftent *e, enum svp_dir_id d,
                uint64_t missing)
{
  struct svp_dir *D = &e->f.dir[d];
  if (D->gap_at == UINT32_MAX)
    D->gap_at = D->len;
  D->gaps++;
  e->f.flags |= SVP_FF_GAP;
  ft->st.gaps++;
  (void)missing;
}

/* Move a libnids flow to the lite reassembler, continuing where libnids
 * stopped. */
static void handoff(struct svp_flowtab *ft, struct svp_ftent *e, enum svp_handoff why)
{
  ft->st.handoffs[why]++;
  if (e->in_nids && ft->nids)
    svp_nids_release(ft->nids, e);
  e->in_nids = false;
  e->f.reasm = SVP_RA_LITE;
  e->f.flags |= SVP_FF_HANDOFF;
  bool known[2];
  uint32_t next[2];
  for (int d = 0; d < 2; d++) {
    known[d] = e->isn_known[d];
    next[d] = e->isn[d] + 1 + e->nids_got[d];
  }
  if (svp_lite_attach(ft, e, known, next) != SVP_OK) {
    e->collecting = false; /* out of memory: judge the flow on what it has */
  }
}

void svp_ft_nids_gone(struct svp_flowtab *ft, struct svp_ftent *e, bool evicted)
{
  if (!e->in_nids)
    return;
  e->in_nids = false;
  if (evicted && e->collecting && !e->ended)
    handoff(ft, e, SVP_HO_EVICTED);
}

/* ---------------------------------------------------------------- TCP */

static void tcp_route_nids(struct svp_flowtab *ft, struct svp_ftent *e, enum svp_dir_id d,
                           const struct svp_pkt *p, bool nids_seen)
{
  if (nids_seen)
    return; /* libnids already processed this rebuilt datagram */
  /* Once the connection is established in libnids, a segment without
   * payload only moves its window edge or its closing state: the first few
   * KB we collect do not depend on it (a segment refused for its window
   * would go to lite: SVP_HO_REFUSED), and the flow table closes the flow
   * and releases the stream itself on FIN or RST. */
  if (e->nids_est && p->paylen == 0)
    return;
  if (svp_nids_dead(ft->nids)) {
    handoff(ft, e, SVP_HO_NIDS_DEAD);
    return;
  }
  if (p->ip_cap < p->ip_len) {
    handoff(ft, e, SVP_HO_TRUNCATED);
    return;
  }
  uint32_t expect = e->isn[d] + 1 + e->nids_got[d];
  bool has_new = false;
  if (p->paylen > 0) {
    if (!e->nids_est) {
      /* libnids frees a stream silently when the server speaks before the
       * client's ACK, and never attaches data without a SYN-ACK. */
      if (d == SVP_S2C) {
        handoff(ft, e, SVP_HO_PREEST_SERVER);
        return;
      }
      if (!e->isn_known[SVP_S2C]) {
        handoff(ft, e, SVP_HO_NOT_ESTABLISHED);
        return;
      }
    }
    if ((int32_t)(p->seq - expect) > 0) {
      handoff(ft, e, SVP_HO_OUT_OF_ORDER);
      return;
    }
    has_new = (int32_t)(p->seq + p->paylen - expect) > 0;
  }
  ft->st.nids_fed++;
  if (svp_nids_feed(ft->nids, e, p, ft->cur_ref.ts_us) != SVP_OK) {
    handoff(ft, e, SVP_HO_NIDS_DEAD);
    return;
  }
  if (!e->in_nids || !e->collecting)
    return; /* libnids let go, or the consumer decided */
  if (has_new) {
    uint32_t now_at = e->isn[d] + 1 + e->nids_got[d];
    if ((int32_t)(p->seq + p->paylen - now_at) > 0)
      handoff(ft, e, e->nids_est ? SVP_HO_REFUSED : SVP_HO_NOT_ESTABLISHED);
  }
}

/* Feed p to whichever reassembler e uses now. */
static void tcp_route(struct svp_flowtab *ft, struct svp_ftent *e, enum svp_dir_id d,
                      const struct svp_pkt *p, bool nids_seen)
{
  if (e->in_nids) {
    tcp_route_nids(ft, e, d, p, nids_seen);
    if (e->in_nids || !e->collecting)
      return;
    /* handed off: lite takes this packet from where libnids stopped */
  }
  if (e->lite)
    svp_lite_packet(ft, e, d, p);
}

/* A new SYN on an existing flow: the same connection (retransmission) or a
 * new one on a reused 4-tuple? */
static bool syn_is_new_connection(const struct svp_ftent *e, enum svp_dir_id d,
                                  const struct svp_pkt *p)
{
  if (d == SVP_S2C)
    return true; /* the former server opens: roles reversed */
  if (e->isn_known[SVP_C2S])
    return e->isn[SVP_C2S] != p->seq;
  /* Flow made from a SYN-ACK: this is the SYN it answered, arriving late. */
  return e->f.basis != SVP_SB_SYNACK || e->delivered;
}

static struct svp_ftent *tcp_create(struct svp_flowtab *ft, const struct svp_pkt *p,
                                    uint32_t h)
{
  uint8_t fl = p->tcp_flags;
  bool syn = fl & SVP_TH_SYN, ack = fl & SVP_TH_ACK;
  struct svp_ftent *e;
  bool known[2] = {false, false};
  uint32_t next[2] = {0, 0};
  if (syn && !ack) {
    bool nids = p->family == 4 && ft->nids && !svp_nids_dead(ft->nids);
    e = create(ft, p, h, false, SVP_SB_SYN, SVP_SC_HIGH, nids ? SVP_RA_NIDS : SVP_RA_LITE);
    if (!e)
      return NULL;
    e->in_nids = nids;
    known[SVP_C2S] = true;
    next[SVP_C2S] = p->seq + 1;
  } else if (syn && ack) {
    e = create(ft, p, h, true, SVP_SB_SYNACK, SVP_SC_HIGH, SVP_RA_LITE);
    if (!e)
      return NULL;
    known[SVP_S2C] = known[SVP_C2S] = true;
    next[SVP_S2C] = p->seq + 1;
    next[SVP_C2S] = p->ack;
  } else {
    struct svp_side s = svp_guess_side(&ft->ports, SVP_L4_TCP, p->sport, p->dport,
                                       p->payload, p->paycap);
    e = create(ft, p, h, s.a_is_server, s.basis, s.conf, SVP_RA_LITE);
    if (!e)
      return NULL;
    e->f.flags |= SVP_FF_MIDSTREAM;
    ft->st.midstream++;
  }
  if (!e->in_nids && svp_lite_attach(ft, e, known, next) != SVP_OK)
    e->collecting = false;
  return e;
}

/* Mid-stream flow, first payload, nothing delivered yet: let the payload's
 * shape overrule a guess made from ports alone. */
static void revise_side(struct svp_flowtab *ft, struct svp_ftent *e, enum svp_dir_id *d,
                        const struct svp_pkt *p)
{
  if (e->delivered || (e->f.basis != SVP_SB_PORT && e->f.basis != SVP_SB_FIRST))
    return;
  struct svp_side s = svp_guess_side(&ft->ports, e->f.l4, p->sport, p->dport, p->payload,
                                     p->paycap);
  if (s.basis != SVP_SB_PAYLOAD)
    return;
  bool sender_is_server = *d == SVP_S2C;
  if (s.a_is_server != sender_is_server) {
    swap_sides(e);
    *d = *d == SVP_C2S ? SVP_S2C : SVP_C2S;
  }
  set_basis(ft, e, s.basis, s.conf);
}

static void tcp_packet(struct svp_flowtab *ft, struct svp_ftent *e, uint32_t h,
                       const struct svp_pkt *p, bool nids_seen)
{
  uint8_t fl = p->tcp_flags;
  bool pure_syn = (fl & (SVP_TH_SYN | SVP_TH_ACK | SVP_TH_RST)) == SVP_TH_SYN;
  if (e && e->state == SVP_FT_CLOSED) {
    /* A SYN with the ISN we saw is the same attempt retried: after a
     * refusal the connection may go on now; otherwise it is a stray. */
    bool retry = pure_syn && dir_of(e, p) == SVP_C2S && e->isn_known[SVP_C2S] &&
                 e->isn[SVP_C2S] == p->seq;
    if (retry && (e->f.flags & SVP_FF_REFUSED)) {
      reopen_flow(ft, e);
    } else if (!pure_syn || retry) {
      ft->st.stray_absorbed++;
      account(ft, e, dir_of(e, p), p);
      return;
    } else {
      finalize(ft, e, SVP_END_FIN); /* a new connection on this 4-tuple */
      e = NULL;
    }
  }
  if (e && pure_syn && syn_is_new_connection(e, dir_of(e, p), p)) {
    ft->pinned = NULL;
    end_flow(ft, e, SVP_END_REUSED);
    e = NULL;
  }
  if (!e) {
    e = tcp_create(ft, p, h);
    if (!e)
      return;
  }
  ft->pinned = e;
  enum svp_dir_id d = dir_of(e, p);

  /* Handshake bookkeeping. */
  if (fl & SVP_TH_SYN) {
    if (!(fl & SVP_TH_ACK) && d == SVP_C2S && !e->isn_known[SVP_C2S]) {
      e->isn_known[SVP_C2S] = true;
      e->isn[SVP_C2S] = p->seq;
    } else if ((fl & SVP_TH_ACK) && !(fl & SVP_TH_RST)) {
      if (d == SVP_C2S && !e->delivered && (e->f.flags & SVP_FF_MIDSTREAM)) {
        swap_sides(e); /* the SYN-ACK's sender is the server */
        d = SVP_S2C;
        set_basis(ft, e, SVP_SB_SYNACK, SVP_SC_HIGH);
      }
      if (d == SVP_S2C) {
        if (!e->isn_known[SVP_S2C]) {
          e->isn_known[SVP_S2C] = true;
          e->isn[SVP_S2C] = p->seq;
        }
        if (!(e->f.flags & SVP_FF_SYNACK))
          e->f.synack_ttl = p->ttl;
        e->f.flags |= SVP_FF_SYNACK;
      }
    }
  }
  if ((fl & SVP_TH_RST) && d == SVP_S2C && !(e->f.flags & SVP_FF_SYNACK) &&
      e->f.basis == SVP_SB_SYN && e->f.dir[SVP_S2C].pkts == 0)
    e->f.flags |= SVP_FF_REFUSED;
  if (p->paylen > 0 && e->collecting && (e->f.flags & SVP_FF_MIDSTREAM))
    revise_side(ft, e, &d, p);
  account(ft, e, d, p);
  if (e->collecting)
    tcp_route(ft, e, d, p, nids_seen);
  if (!e->collecting && (e->in_nids || e->lite))
    release_reasm(ft, e);
  if (fl & SVP_TH_RST) {
    end_flow(ft, e, SVP_END_RST);
  } else if (fl & SVP_TH_FIN) {
    e->fin |= (uint8_t)(1u << d);
    if (e->fin == 3)
      end_flow(ft, e, SVP_END_FIN);
  }
}

/* ---------------------------------------------------------------- UDP */

static void udp_packet(struct svp_flowtab *ft, struct svp_ftent *e, uint32_t h,
                       const struct svp_pkt *p)
{
  if (!e && (e = svp_udp_lookup(ft, p)) != NULL) {
    /* an answer from a fresh port, or more of its transfer: counted in
     * the flow of the request */
    ft->pinned = e;
    enum svp_dir_id d = dir_of(e, p);
    account(ft, e, d, p);
    if (svp_udp_wants(e))
      svp_udp_packet(ft, e, d, p);
    return;
  }
  if (!e) {
    struct svp_side s = svp_guess_side(&ft->ports, SVP_L4_UDP, p->sport, p->dport,
                                       p->payload, p->paycap);
    e = create(ft, p, h, s.a_is_server, s.basis, s.conf, SVP_RA_UDP);
    if (!e)
      return;
  }
  ft->pinned = e;
  enum svp_dir_id d = dir_of(e, p);
  account(ft, e, d, p);
  if (svp_udp_wants(e))
    svp_udp_packet(ft, e, d, p);
}

/* ------------------------------------------------------------- packets */

static void packet_in(struct svp_flowtab *ft, const struct svp_pkt *p, bool nids_seen)
{
  ft->st.packets++;
  expire(ft, ft->cur_ref.ts_us);
  uint32_t h = flow_hash(ft, p->proto, &p->src, p->sport, &p->dst, p->dport);
  struct svp_ftent *e = find(ft, h, p->proto, &p->src, p->sport, &p->dst, p->dport);
  /* Checksums matter only for packets a reassembler will use (or that
   * would make a flow); tombstones and closed tuples skip the cost. */
  if (!e || (e->state == SVP_FT_ACTIVE && e->collecting)) {
    enum svp_csum_count cv;
    bool ok = svp_csum_accept(ft->csum, p, &cv);
    ft->st.csum[cv]++;
    if (!ok)
      return;
  } else if (e->state == SVP_FT_ACTIVE) {
    ft->st.tombstone_packets++;
  }
  if (p->proto == 6)
    tcp_packet(ft, e, h, p, nids_seen);
  else
    udp_packet(ft, e, h, p);
  ft->pinned = NULL;
  if (!ft->defrag_depth)
    enforce_bounds(ft, 0);
}

void svp_flowtab_packet(struct svp_flowtab *ft, const struct svp_pkt *p,
                        const struct svp_pktref *ref)
{
  ft->cur_ref = *ref;
  packet_in(ft, p, false);
}

void svp_ft_defragmented(struct svp_flowtab *ft, const uint8_t *ip, size_t len)
{
  struct svp_pkt p;
  if (svp_decode_ip(ip, len, &p) != SVP_DW_OK)
    return;
  ft->st.nids_frag_datagrams++;
  ft->defrag_depth++;
  packet_in(ft, &p, true);
  ft->defrag_depth--;
}

bool svp_flowtab_fragment(struct svp_flowtab *ft, const struct svp_pkt *p,
                          const struct svp_pktref *ref)
{
  if (!ft->nids || svp_nids_dead(ft->nids) || p->family != 4 || p->ip_cap < p->ip_len)
    return false;
  ft->cur_ref = *ref;
  expire(ft, ref->ts_us);
  svp_nids_fragment(ft->nids, p, ref->ts_us);
  enforce_bounds(ft, 0);
  return true;
}

int svp_flowtab_listed_ports(struct svp_flowtab *ft, enum svp_l4 l4, uint16_t lo, uint16_t hi)
{
  int i = l4 == SVP_L4_TCP ? 0 : 1;
  if (!ft->listed[i]) {
    if (!(ft->listed[i] = calloc(65536 / 8, 1)))
      return SVP_ERR_NOMEM;
    svp_ft_mem(ft, 65536 / 8);
    if (i == 0)
      ft->ports.listed_tcp = ft->listed[i];
    else
      ft->ports.listed_udp = ft->listed[i];
  }
  for (uint32_t p = lo; p <= hi; p++)
    ft->listed[i][p >> 3] |= (uint8_t)(1u << (p & 7));
  return SVP_OK;
}

void svp_flowtab_tick(struct svp_flowtab *ft, int64_t now_us)
{
  expire(ft, now_us);
}

void svp_flowtab_input(struct svp_flowtab *ft, uint32_t file, const char *name)
{
  (void)file;
  (void)name;
  svp_csum_reset(ft->csum);
}

void svp_flowtab_flush(struct svp_flowtab *ft)
{
  /* In order of creation-ish: closed flows first (they are older), each list
   * from least to most recently active. */
  while (ft->cls_head)
    finalize(ft, ft->cls_head, SVP_END_FIN);
  while (ft->act_head)
    finalize(ft, ft->act_head, SVP_END_EOF);
}

const struct svp_flowtab_stats *svp_flowtab_stats(const struct svp_flowtab *ft)
{
  return &ft->st;
}

uint64_t svp_flowtab_count(const struct svp_flowtab *ft)
{
  return ft->n_active;
}

/* ------------------------------------------------------------ create/free */

int svp_flowtab_new(const struct svp_config *cfg, const struct svp_flow_sink *sink,
                    const struct svp_services *svc, struct svp_diag *diag,
                    struct svp_flowtab **out)
{
  struct svp_flowtab *ft = calloc(1, sizeof *ft);
  if (!ft)
    return SVP_ERR_NOMEM;
  ft->sink = *sink;
  ft->ports.svc = svc;
  ft->diag = diag;
  ft->max_entries = cfg->max_flows ? cfg->max_flows : 1000000;
  ft->max_closed = ft->max_entries / SVP_FT_CLOSED_SHARE;
  if (ft->max_closed < SVP_FT_CLOSED_MIN)
    ft->max_closed = SVP_FT_CLOSED_MIN;
  ft->mem_limit = (uint64_t)(cfg->flow_mem_mb ? cfg->flow_mem_mb : 512) << 20;
  ft->idle_us = (int64_t)(cfg->idle_timeout_s ? cfg->idle_timeout_s : 600) * 1000000;
  ft->lim[SVP_C2S] = cfg->cli_bytes;
  ft->lim[SVP_S2C] = cfg->srv_bytes ? cfg->srv_bytes : 4096;
  ft->st.mem_limit = ft->mem_limit;
  if (getrandom(&ft->seed, sizeof ft->seed, GRND_NONBLOCK) != sizeof ft->seed)
    ft->seed = 0x9e3779b97f4a7c15ull ^ (uint64_t)(uintptr_t)ft;
  svp_slab_init(&ft->ents, sizeof(struct svp_ftent), 0);
  for (int k = 0; k < BUF_CLASSES; k++)
    svp_slab_init(&ft->bufs[k], (size_t)BUF_MIN << k, 0);
  ft->nbucket = HASH_MIN;
  ft->bucket = calloc(ft->nbucket, sizeof *ft->bucket);
  int rc = ft->bucket ? svp_udptab_new(&ft->udp) : SVP_ERR_NOMEM;
  if (rc == SVP_OK)
    rc = svp_csum_new(cfg->csum, &ft->csum);
  if (rc != SVP_OK) {
    svp_flowtab_free(ft);
    return rc;
  }
  svp_ft_mem(ft, (int64_t)(sizeof *ft + ft->nbucket * sizeof *ft->bucket +
                           svp_csum_mem(ft->csum)));
  /* libnids' table: 1/64 of the memory bound, and no more streams than the
   * table holds flows (about 300 bytes a stream). */
  uint64_t nids_budget = ft->mem_limit / NIDS_MEM_SHARE;
  if (nids_budget > ft->max_entries * 300)
    nids_budget = ft->max_entries * 300;
  rc = svp_nids_open(ft, (unsigned)(nids_budget > UINT32_MAX ? UINT32_MAX : nids_budget),
                     &ft->nids);
  if (rc == SVP_OK) {
    ft->st.nids_available = true;
    svp_ft_mem(ft, (int64_t)svp_nids_fixed_mem(ft->nids));
  } else if (rc == SVP_ERR_LIMIT) {
    svp_diag_at(diag, SVP_SEV_NOTE, NULL, 0,
                "libnids is busy in this process: IPv4 flows go to the lite reassembler");
  } else {
    svp_diag_at(diag, SVP_SEV_WARN, NULL, 0,
                "libnids could not start (%s): IPv4 flows go to the lite reassembler",
                svp_strerror(rc));
  }
  *out = ft;
  return SVP_OK;
}

void svp_flowtab_free(struct svp_flowtab *ft)
{
  if (!ft)
    return;
  /* libnids first: its exit walks streams that point at our entries. */
  svp_nids_close(ft->nids);
  ft->nids = NULL;
  struct svp_ftent *e = ft->act_head;
  while (e) {
    struct svp_ftent *nx = e->next;
    entry_free(ft, e);
    e = nx;
  }
  e = ft->cls_head;
  while (e) {
    struct svp_ftent *nx = e->next;
    entry_free(ft, e);
    e = nx;
  }
  svp_csum_free(ft->csum);
  svp_udptab_free(ft->udp);
  free(ft->bucket);
  free(ft->listed[0]);
  free(ft->listed[1]);
  svp_slab_fini(&ft->ents);
  for (int k = 0; k < BUF_CLASSES; k++)
    svp_slab_fini(&ft->bufs[k]);
  free(ft);
}
