/* reasm_nids.c: libnids as the IPv4 reassembler and defragmenter. The only
 * file that includes nids.h.
 *
 * libnids keeps process-wide state (its stream table, its parameters, its
 * callbacks), so one flow table at a time can own it: g_owner. The glue
 * feeds it already-decoded IPv4 packets through nids_pcap_handler() with a
 * placeholder DLT_RAW pcap handle, with scan detection and multiprocessing
 * off, checksums off (the flow table applies its own policy, csum.h; the
 * IPv4 header checksum, which libnids always verifies, is recomputed on a
 * copy when the policy kept a packet whose header checksum is wrong), and
 * its syslog and no_mem hooks replaced: warnings are counted by kind, and
 * running out of memory longjmps back here and switches libnids off for the
 * rest of the run (its state can no longer be trusted; flows continue in
 * the lite reassembler). libnids never prints, exits or pauses on its own
 * in this setup: the remaining exit() (an IP-fragment accounting panic) and
 * pause() (empty stream pool) guard internal invariants only.
 *
 * Stream life: a stream is created by the client's SYN; at NIDS_JUST_EST
 * both halves are collected for the flow table; each NIDS_DATA passes the
 * new bytes on; when the flow stops collecting both collect counters drop
 * to zero and libnids frees the stream after the callback. Streams libnids
 * evicts (table full: NIDS_TIMED_OUT) are handed to the lite reassembler.
 *
 * Data buffers: left alone, libnids mallocs a buffer of 4 KB or more for
 * each half that carries data and keeps it until the stream is freed, only
 * to hand us each segment once (we never ask it to keep bytes: no
 * nids_discard). With thousands of streams open that is most of the
 * reassembly memory and a malloc per half. So every collected half points
 * at one buffer of ours, `shared`, with bufsize announced as SHARED_BUF:
 * libnids 1.26 copies a segment to data + (count - offset), which is data
 * itself because each callback consumes everything, and reallocates only
 * when a segment exceeds bufsize, which no IPv4 datagram can. libnids
 * frees a half's buffer only inside nids_free_tcp_stream, and once a
 * stream is established that happens only after a callback of ours
 * (CLOSE, RESET, TIMED_OUT, EXITING, or DATA where we drop collect) or in
 * svp_nids_release: each of those detaches the halves first (detach()).
 * The one silent free of an established stream, a client SYN after
 * tcp_flow_timeout, is disabled (tcp_flow_timeout = 0; the flow table
 * decides when a 4-tuple is reused). */
#include "svp/reasm/reasm.h"

#include <netinet/in.h>
#include <netinet/ip.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstrict-prototypes"
#include <nids.h>
#pragma GCC diagnostic pop

#define MIN_STREAMS 1040         /* libnids' default table */
#define SHARED_BUF 65536         /* > any TCP payload of an IPv4 datagram */
#define MAX_PENDING 8            /* datagrams one fragment can complete (one) + slack */

struct pending {
  uint8_t *buf;
  size_t len;
};

struct svp_nids {
  struct svp_flowtab *ft;
  struct svp_flowtab_stats *st;
  pcap_t *dead;                  /* placeholder DLT_RAW handle */
  unsigned streams;
  bool broken;                   /* out of memory: never call libnids again */
  bool in_cb;                    /* a libnids callback is running */
  bool in_call;                  /* inside nids_pcap_handler / nids_init */
  bool feeding_frag;
  bool closing;
  jmp_buf jb;
  struct pending pend[MAX_PENDING];
  unsigned n_pend;
  uint8_t *scratch;              /* copy for IPv4 header checksum repair */
  size_t scratch_cap;
  char *shared;                  /* every collected half's data buffer (see top) */
};

static struct svp_nids *g_owner; /* libnids is process-wide: its one owner */
static struct nids_chksum_ctl no_checksums[1] = {{0, 0, NIDS_DONT_CHKSUM, 0}};

static void on_warning(int type, int err, struct ip *iph, void *data)
{
  (void)iph;
  (void)data;
  struct svp_nids *n = g_owner;
  if (!n)
    return;
  if (type >= 1 && type <= 4 && err >= 0 && err < 10)
    n->st->nids_warn[type - 1][err]++;
}

static void on_no_mem(char *where)
{
  (void)where;
  struct svp_nids *n = g_owner;
  if (n && n->in_call)
    longjmp(n->jb, 1);
  /* Outside a call nothing of ours is on the stack to return to; libnids
   * only allocates inside calls, so this is not reached. */
  abort();
}

/* Rebuilt datagrams (during a fragment feed) are copied for later. */
static void on_ip(struct ip *iph, int skblen)
{
  (void)skblen;
  struct svp_nids *n = g_owner;
  if (!n || !n->feeding_frag || n->n_pend == MAX_PENDING)
    return;
  size_t len = ntohs(iph->ip_len);
  uint8_t *b = malloc(len);
  if (!b)
    return;
  memcpy(b, iph, len);
  n->pend[n->n_pend++] = (struct pending){b, len};
}

/* Point both halves of a newly collected stream at the shared buffer. */
static void attach(struct svp_nids *n, struct tcp_stream *a)
{
  struct half_stream *hs[2] = {&a->client, &a->server};
  for (int i = 0; i < 2; i++)
    if (!hs[i]->data) {
      hs[i]->data = n->shared;
      hs[i]->bufsize = SHARED_BUF;
    }
}

/* Take the shared buffer back before libnids frees the stream. */
static void detach(const struct svp_nids *n, struct tcp_stream *a)
{
  struct half_stream *hs[2] = {&a->client, &a->server};
  for (int i = 0; i < 2; i++)
    if (hs[i]->data == n->shared) {
      hs[i]->data = NULL;
      hs[i]->bufsize = 0;
    }
}

static void on_tcp(struct tcp_stream *a, void **param)
{
  struct svp_nids *n = g_owner;
  if (!n)
    return;
  if (a->nids_state != NIDS_JUST_EST && a->nids_state != NIDS_DATA)
    detach(n, a); /* libnids frees the stream after this callback */
  if (n->closing)
    return;
  n->in_cb = true;
  struct svp_ftent *e = *param;
  switch (a->nids_state) {
  case NIDS_JUST_EST:
    e = svp_ft_find_tcp4(n->ft, (const uint8_t *)&a->addr.saddr, a->addr.source,
                         (const uint8_t *)&a->addr.daddr, a->addr.dest);
    if (e && e->in_nids && e->collecting && !e->ended) {
      e->nids_est = true;
      a->client.collect++;
      a->server.collect++;
      attach(n, a);
      *param = e;
    }
    break;
  case NIDS_DATA: {
    if (!e)
      break;
    struct half_stream *h = a->client.count_new ? &a->client : &a->server;
    enum svp_dir_id d = h == &a->client ? SVP_S2C : SVP_C2S;
    int fresh = h->count_new;
    e->nids_got[d] += (uint32_t)fresh;
    const uint8_t *bytes = (const uint8_t *)h->data + (h->count - h->offset - fresh);
    if (!svp_ft_deliver(n->ft, e, d, bytes, (size_t)fresh)) {
      /* Decided or full: libnids frees the stream after this callback.
       * Nothing is consumed (no move inside the buffer we take back). */
      nids_discard(a, 0);
      detach(n, a);
      a->client.collect--;
      a->server.collect--;
      e->in_nids = false;
      *param = NULL;
    }
    break;
  }
  default: /* NIDS_CLOSE, NIDS_RESET, NIDS_TIMED_OUT, NIDS_EXITING */
    if (e) {
      *param = NULL;
      svp_ft_nids_gone(n->ft, e, a->nids_state == NIDS_TIMED_OUT);
    }
    break;
  }
  n->in_cb = false;
}

bool svp_nids_in_callback(const struct svp_nids *n)
{
  return n && n->in_cb;
}

bool svp_nids_dead(const struct svp_nids *n)
{
  return !n || n->broken;
}

uint64_t svp_nids_fixed_mem(const struct svp_nids *n)
{
  /* streams_pool ((3n/4 + 1) streams) + the hash index (n pointers) */
  return ((uint64_t)n->streams * 3 / 4 + 1) * sizeof(struct tcp_stream) +
         (uint64_t)n->streams * sizeof(void *);
}

int svp_nids_open(struct svp_flowtab *ft, unsigned budget, struct svp_nids **out)
{
  *out = NULL;
  if (g_owner)
    return SVP_ERR_LIMIT;
  struct svp_nids *n = calloc(1, sizeof *n);
  if (!n)
    return SVP_ERR_NOMEM;
  /* Streams from the byte budget: pool of 3/4 n streams plus n pointers. */
  uint64_t per = sizeof(struct tcp_stream) * 3 / 4 + sizeof(void *);
  uint64_t streams = budget / per;
  if (streams < MIN_STREAMS)
    streams = MIN_STREAMS;
  if (streams > (1u << 22))
    streams = 1u << 22;
  n->streams = (unsigned)streams;
  n->ft = ft;
  n->st = svp_ft_stats(ft);
  n->shared = malloc(SHARED_BUF);
  n->dead = n->shared ? pcap_open_dead(DLT_RAW, 65535) : NULL;
  if (!n->dead) {
    int rc = n->shared ? SVP_ERR_PCAP : SVP_ERR_NOMEM;
    free(n->shared);
    free(n);
    return rc;
  }
  nids_params.n_tcp_streams = (int)n->streams;
  nids_params.n_hosts = 256;
  nids_params.device = NULL;
  nids_params.filename = NULL;
  nids_params.pcap_filter = NULL;
  nids_params.pcap_desc = n->dead;
  nids_params.syslog = on_warning;
  nids_params.no_mem = on_no_mem;
  nids_params.scan_num_hosts = 0;
  nids_params.multiproc = 0;
  nids_params.tcp_workarounds = 0;
  nids_params.one_loop_less = 0;
  nids_params.promisc = 0;
  nids_params.tcp_flow_timeout = 0; /* see top: no silent free on a late SYN */
  g_owner = n;
  n->in_call = true;
  int ok;
  if (setjmp(n->jb) == 0)
    ok = nids_init();
  else
    ok = 0;
  n->in_call = false;
  if (!ok) {
    g_owner = NULL;
    pcap_close(n->dead);
    free(n->shared);
    free(n);
    return SVP_ERR_NOMEM;
  }
  nids_register_chksum_ctl(no_checksums, 1);
  nids_register_tcp(on_tcp);
  nids_register_ip(on_ip);
  n->st->nids_streams = n->streams;
  *out = n;
  return SVP_OK;
}

/* The packet's IPv4 header with a valid checksum: p->ip itself, or a copy
 * with the checksum recomputed. NULL if no memory. */
static const uint8_t *fixed_header(struct svp_nids *n, const struct svp_pkt *p)
{
  if (svp_csum_fold(svp_csum_partial(p->ip, p->ip_hlen, 0)) == 0)
    return p->ip;
  if (n->scratch_cap < p->ip_len) {
    uint8_t *b = realloc(n->scratch, p->ip_len);
    if (!b)
      return NULL;
    n->scratch = b;
    n->scratch_cap = p->ip_len;
  }
  memcpy(n->scratch, p->ip, p->ip_len);
  n->scratch[10] = n->scratch[11] = 0;
  uint16_t c = svp_csum_fold(svp_csum_partial(n->scratch, p->ip_hlen, 0));
  n->scratch[10] = (uint8_t)(c >> 8);
  n->scratch[11] = (uint8_t)c;
  return n->scratch;
}

static int call_handler(struct svp_nids *n, const struct svp_pkt *p, int64_t ts_us)
{
  if (n->broken)
    return SVP_ERR_NOMEM;
  const uint8_t *ip = fixed_header(n, p);
  if (!ip)
    return SVP_OK; /* skip this packet; libnids is fine */
  struct pcap_pkthdr h;
  memset(&h, 0, sizeof h);
  h.ts.tv_sec = (time_t)(ts_us / 1000000);
  h.ts.tv_usec = (suseconds_t)(ts_us % 1000000);
  if (h.ts.tv_usec < 0) {
    h.ts.tv_sec--;
    h.ts.tv_usec += 1000000;
  }
  h.caplen = h.len = p->ip_len;
  n->in_call = true;
  if (setjmp(n->jb) != 0) {
    n->in_call = false;
    n->in_cb = false;
    n->feeding_frag = false;
    n->broken = true;
    return SVP_ERR_NOMEM;
  }
  /* libnids takes a non-const pointer but only reads the packet. */
  nids_pcap_handler(NULL, &h, (u_char *)(uintptr_t)ip);
  n->in_call = false;
  return SVP_OK;
}

int svp_nids_feed(struct svp_nids *n, struct svp_ftent *e, const struct svp_pkt *p,
                  int64_t ts_us)
{
  (void)e;
  return call_handler(n, p, ts_us);
}

int svp_nids_fragment(struct svp_nids *n, const struct svp_pkt *p, int64_t ts_us)
{
  n->feeding_frag = true;
  int rc = call_handler(n, p, ts_us);
  n->feeding_frag = false;
  /* Hand rebuilt datagrams to the table now that libnids has returned. */
  unsigned k = n->n_pend;
  n->n_pend = 0;
  for (unsigned i = 0; i < k; i++) {
    if (rc == SVP_OK)
      svp_ft_defragmented(n->ft, n->pend[i].buf, n->pend[i].len);
    free(n->pend[i].buf);
  }
  return rc;
}

void svp_nids_release(struct svp_nids *n, struct svp_ftent *e)
{
  if (!n || n->broken || n->in_cb)
    return;
  const struct svp_flow *f = &e->f;
  if (f->cli.family != 4)
    return;
  struct tuple4 t;
  memset(&t, 0, sizeof t);
  t.source = f->cport;
  t.dest = f->sport;
  memcpy(&t.saddr, f->cli.b, 4);
  memcpy(&t.daddr, f->srv.b, 4);
  struct tcp_stream *a = nids_find_tcp_stream(&t);
  if (a) {
    detach(n, a);
    nids_free_tcp_stream(a);
  }
}

void svp_nids_close(struct svp_nids *n)
{
  if (!n)
    return;
  if (!n->broken) {
    n->closing = true; /* NIDS_EXITING callbacks for live streams are ignored */
    /* Unregister first: libnids prepends callbacks and nids_exit frees only
     * the head of its IP list and none of the TCP list. */
    nids_unregister_ip(on_ip);
    nids_unregister_tcp(on_tcp);
    n->in_call = true;
    if (setjmp(n->jb) == 0)
      nids_exit();
    n->in_call = false;
  }
  /* After a longjmp libnids' memory is abandoned on purpose (its lists may
   * be inconsistent); the process is out of memory anyway. */
  pcap_close(n->dead);
  free(n->scratch);
  free(n->shared);
  g_owner = NULL;
  free(n);
}
