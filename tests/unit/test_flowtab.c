/* test_flowtab.c: the flow table's bounds and books: max flows, memory,
 * idle timeout, the linger of closed flows, a refused connection retried,
 * the checksum policy, two pipelines at once (libnids is process-wide),
 * the server side of flows without handshake by their ports, and the slab
 * pools the table keeps its records in. */
#include "svp/capture/csum.h"
#include "svp/reasm/pipeline.h"
#include "svp/reasm/reasm.h"
#include "svp/rules/services.h"
#include "svp/base/slab.h"
#include "tap.h"
#include "test_capture_pkt.h"

#include <stdio.h>
#include <string.h>

static void run_open(struct tp_run *r)
{
  struct svp_flow_sink s = tp_sink(&r->rec);
  if (svp_pipeline_new(&r->cfg, &s, &r->diag, &r->pl) != SVP_OK)
    abort();
  r->t = 1700000000LL * 1000000;
}

static void feed(struct tp_run *r, const uint8_t *b, size_t n, int64_t dt_us)
{
  r->t += dt_us;
  tp_feed(r->pl, b, n, ++r->frame, r->t);
}

static void pkt(struct tp_run *r, const char *src, uint16_t sp, const char *dst, uint16_t dp,
                uint32_t seq, uint32_t ack, uint8_t fl, const char *pay, int64_t dt_us)
{
  uint8_t b[2048];
  size_t n = tp_tcp(b, src, sp, dst, dp, seq, ack, fl, pay);
  feed(r, b, n, dt_us);
}

static uint64_t sum_ended(const struct svp_flowtab_stats *fs)
{
  uint64_t s = 0;
  for (int i = 0; i < SVP_END_COUNT; i++)
    s += fs->flows_ended[i];
  return s;
}

static uint64_t sum_created(const struct svp_flowtab_stats *fs)
{
  return fs->flows_created[0] + fs->flows_created[1] + fs->flows_created[2];
}

#define A SVP_TH_ACK
#define S SVP_TH_SYN
#define F SVP_TH_FIN
#define R SVP_TH_RST
#define P (SVP_TH_PSH | SVP_TH_ACK)

static void test_max_flows(void)
{
  struct tp_run r = {0};
  tp_config(&r.cfg);
  r.cfg.max_flows = 16;
  run_open(&r);
  char src[32];
  for (int i = 0; i < 40; i++) {
    snprintf(src, sizeof src, "10.2.0.%d", i + 1);
    pkt(&r, src, 40000, "10.3.0.1", 502, 1, 1, P, "poll", 1000);
    CHECK(svp_pipeline_stats(r.pl)->flows->flows_live <= 16);
  }
  const struct svp_flowtab_stats *fs = svp_pipeline_stats(r.pl)->flows;
  CHECK_INT(fs->flows_ended[SVP_END_EVICTED], 24);
  CHECK_INT(r.rec.n, 24);
  /* the oldest went first */
  CHECK(r.rec.n > 0 && (r.rec.v[0].f.flags & SVP_FF_EVICTED) && r.rec.v[0].f.id == 1);
  svp_pipeline_finish(r.pl);
  CHECK_INT(r.rec.n, 40);
  CHECK_INT(sum_created(fs), 40);
  CHECK_INT(sum_ended(fs), 40);
  CHECK_INT(fs->flows_ended[SVP_END_EOF], 16);
  svp_pipeline_free(r.pl);
  tp_rec_free(&r.rec);
}

static void test_memory_bound(void)
{
  struct tp_run r = {0};
  tp_config(&r.cfg);
  r.cfg.flow_mem_mb = 2;
  run_open(&r);
  char resp[1401];
  memset(resp, 'r', 1400);
  resp[1400] = 0;
  char src[32];
  const struct svp_flowtab_stats *fs = svp_pipeline_stats(r.pl)->flows;
  uint64_t worst = 0;
  for (int i = 0; i < 3000; i++) {
    snprintf(src, sizeof src, "2001:db8:1::%x", i + 1);
    /* three 1400-byte responses per flow: 4 KB kept each, never decided */
    for (int k = 0; k < 3; k++)
      pkt(&r, "2001:db8::80", 80, src, 50000, 1 + (uint32_t)k * 1400, 1, P, resp, 10);
    if (fs->mem_now > worst)
      worst = fs->mem_now;
  }
  CHECK(fs->mem_limit == 2u << 20);
  tap_check(worst <= fs->mem_limit, __FILE__, __LINE__,
            "memory stays within the bound (worst %llu of %llu)", (unsigned long long)worst,
            (unsigned long long)fs->mem_limit);
  CHECK(fs->flows_ended[SVP_END_EVICTED] > 2000);
  svp_pipeline_finish(r.pl);
  CHECK_INT(r.rec.n, 3000);
  CHECK_INT(sum_ended(fs), 3000);
  /* evicted flows still carried their bytes to on_end */
  CHECK(r.rec.n && r.rec.v[0].f.dir[SVP_S2C].len == 4096);
  svp_pipeline_free(r.pl);
  tp_rec_free(&r.rec);
}

static void test_idle_and_linger(void)
{
  struct tp_run r = {0};
  tp_config(&r.cfg);
  r.cfg.idle_timeout_s = 30;
  run_open(&r);
  const char *c = "2001:db8::1", *s = "2001:db8::2";
  /* flow 1: idle for 31 s, then resumes: two flows, the first timed out */
  pkt(&r, c, 40000, s, 502, 1, 1, P, "q1", 1000);
  pkt(&r, s, 502, c, 40000, 1, 3, P, "a1", 1000);
  pkt(&r, c, 40000, s, 502, 3, 3, P, "q2", 31 * 1000000LL);
  CHECK_INT(r.rec.n, 1);
  CHECK(r.rec.n == 1 && (r.rec.v[0].f.flags & SVP_FF_TIMEOUT));
  /* flow 2: closed by FIN both ways, then a stray ACK: no new flow; the
   * flow's on_end waits for the linger */
  pkt(&r, c, 41000, s, 80, 10, 0, S, NULL, 1000);
  pkt(&r, s, 80, c, 41000, 20, 11, S | A, NULL, 1000);
  pkt(&r, c, 41000, s, 80, 11, 21, F | A, NULL, 1000);
  pkt(&r, s, 80, c, 41000, 21, 12, F | A, NULL, 1000);
  pkt(&r, c, 41000, s, 80, 12, 22, A, NULL, 1000);
  const struct svp_flowtab_stats *fs = svp_pipeline_stats(r.pl)->flows;
  CHECK_INT(fs->stray_absorbed, 1);
  CHECK_INT(sum_created(fs), 3);
  size_t before = r.rec.n;
  /* 61 s later (capture time) the closed flow gets its on_end */
  pkt(&r, c, 40000, s, 502, 5, 3, P, "q3", (SVP_FT_CLOSE_LINGER_S + 1) * 1000000LL);
  CHECK(r.rec.n > before);
  const struct tp_flow *t = NULL;
  for (size_t i = 0; i < r.rec.n; i++)
    if (r.rec.v[i].f.sport == 80)
      t = &r.rec.v[i];
  CHECK(t && (t->f.flags & SVP_FF_FIN) && t->f.dir[SVP_C2S].segs == 3);
  svp_pipeline_finish(r.pl);
  CHECK_INT(sum_ended(fs), sum_created(fs));
  CHECK_INT(r.rec.n, sum_created(fs));
  svp_pipeline_free(r.pl);
  tp_rec_free(&r.rec);
}

static void test_refused_then_retried(void)
{
  struct tp_run r = {0};
  tp_config(&r.cfg);
  run_open(&r);
  const char *c = "192.0.2.1", *s = "192.0.2.2";
  /* refused: SYN, RST; the client retries the same SYN and gets in */
  pkt(&r, c, 41000, s, 554, 100, 0, S, NULL, 1000);
  pkt(&r, s, 554, c, 41000, 0, 101, R | A, NULL, 1000);
  pkt(&r, c, 41000, s, 554, 100, 0, S, NULL, 1000);
  pkt(&r, s, 554, c, 41000, 500, 101, S | A, NULL, 1000);
  pkt(&r, c, 41000, s, 554, 101, 501, A, NULL, 1000);
  pkt(&r, c, 41000, s, 554, 101, 501, P, "OPTIONS rtsp://x RTSP/1.0\r\n\r\n", 1000);
  pkt(&r, s, 554, c, 41000, 501, 130, P, "RTSP/1.0 200 OK\r\n", 1000);
  /* a port that stays refused */
  pkt(&r, c, 41001, s, 111, 7, 0, S, NULL, 1000);
  pkt(&r, s, 111, c, 41001, 0, 8, R | A, NULL, 1000);
  pkt(&r, c, 41001, s, 111, 7, 0, S, NULL, 1000);
  pkt(&r, s, 111, c, 41001, 0, 8, R | A, NULL, 1000);
  svp_pipeline_finish(r.pl);
  CHECK_INT(r.rec.n, 2);
  const struct tp_flow *ok = NULL, *ref = NULL;
  for (size_t i = 0; i < r.rec.n; i++) {
    if (r.rec.v[i].f.sport == 554)
      ok = &r.rec.v[i];
    else
      ref = &r.rec.v[i];
  }
  CHECK(ok && !(ok->f.flags & SVP_FF_REFUSED) && (ok->f.flags & SVP_FF_SYNACK));
  CHECK(ok && strcmp(tp_bytes(ok, SVP_S2C), "RTSP/1.0 200 OK\r\n") == 0);
  CHECK(ref && (ref->f.flags & SVP_FF_REFUSED) && (ref->f.flags & SVP_FF_RST));
  svp_pipeline_free(r.pl);
  tp_rec_free(&r.rec);
}

static void test_checksum_policy(void)
{
  uint8_t b[256];
  struct svp_pkt p;
  enum svp_csum_count v;
  struct svp_csum_policy *cp;
  size_t n = tp_tcp(b, "10.0.0.1", 40000, "10.0.0.2", 80, 1, 1, P, "abc");
  svp_decode(SVP_LT_RAW, b, n, &p);
  /* auto: a healthy sender's corrupted packet is dropped ... */
  CHECK(svp_csum_new(SVP_CSUM_AUTO, &cp) == SVP_OK);
  for (int i = 0; i < 20; i++) /* 16 good per bad one make a trusted sender */
    CHECK(svp_csum_accept(cp, &p, &v) && v == SVP_CSC_GOOD);
  b[n - 1] ^= 1;
  CHECK(!svp_csum_accept(cp, &p, &v) && v == SVP_CSC_BAD_DROPPED);
  /* ... an offloading sender (never right) is believed */
  uint8_t b2[256];
  size_t n2 = tp_tcp(b2, "10.0.0.9", 40000, "10.0.0.2", 80, 1, 1, P, "abc");
  b2[n2 - 1] ^= 1;
  struct svp_pkt p2;
  svp_decode(SVP_LT_RAW, b2, n2, &p2);
  for (int i = 0; i < 20; i++)
    CHECK(svp_csum_accept(cp, &p2, &v) && v == SVP_CSC_BAD_KEPT);
  svp_csum_reset(cp);
  CHECK(svp_csum_accept(cp, &p, &v) && v == SVP_CSC_BAD_KEPT); /* learning restarted */
  svp_csum_free(cp);
  /* on: every bad one dropped; off: nothing checked */
  CHECK(svp_csum_new(SVP_CSUM_ON, &cp) == SVP_OK);
  CHECK(!svp_csum_accept(cp, &p, &v) && v == SVP_CSC_BAD_DROPPED);
  svp_csum_free(cp);
  CHECK(svp_csum_new(SVP_CSUM_OFF, &cp) == SVP_OK);
  CHECK(svp_csum_accept(cp, &p, &v) && v == SVP_CSC_NOT_CHECKED);
  svp_csum_free(cp);

  /* through the pipeline, --checksum on: a flow of bad packets is not made */
  struct tp_run r = {0};
  tp_config(&r.cfg);
  r.cfg.csum = SVP_CSUM_ON;
  run_open(&r);
  feed(&r, b, n, 1000);
  svp_pipeline_finish(r.pl);
  CHECK_INT(r.rec.n, 0);
  CHECK_INT(svp_pipeline_stats(r.pl)->flows->csum[SVP_CSC_BAD_DROPPED], 1);
  svp_pipeline_free(r.pl);
  tp_rec_free(&r.rec);
}

static void test_two_pipelines(void)
{
  struct tp_run a = {0}, b = {0};
  tp_config(&a.cfg);
  tp_config(&b.cfg);
  run_open(&a);
  run_open(&b); /* libnids is taken by a: b reassembles IPv4 itself */
  CHECK(svp_pipeline_stats(a.pl)->flows->nids_available);
  CHECK(!svp_pipeline_stats(b.pl)->flows->nids_available);
  CHECK_INT(b.diag.n_note >= 1, 1);
  struct tp_run *rs[2] = {&a, &b};
  for (int k = 0; k < 2; k++) {
    struct tp_run *r = rs[k];
    pkt(r, "192.0.2.1", 40000, "192.0.2.2", 80, 10, 0, S, NULL, 1000);
    pkt(r, "192.0.2.2", 80, "192.0.2.1", 40000, 20, 11, S | A, NULL, 1000);
    pkt(r, "192.0.2.1", 40000, "192.0.2.2", 80, 11, 21, A, NULL, 1000);
    pkt(r, "192.0.2.1", 40000, "192.0.2.2", 80, 11, 21, P, "GET / HTTP/1.0\r\n\r\n", 1000);
    pkt(r, "192.0.2.2", 80, "192.0.2.1", 40000, 21, 29, P, "HTTP/1.0 200 OK\r\n", 1000);
    svp_pipeline_finish(r->pl);
    CHECK_INT(r->rec.n, 1);
    CHECK(r->rec.n == 1 && strcmp(tp_bytes(&r->rec.v[0], SVP_S2C), "HTTP/1.0 200 OK\r\n") == 0);
  }
  CHECK_INT(a.rec.v[0].f.reasm, SVP_RA_NIDS);
  CHECK_INT(b.rec.v[0].f.reasm, SVP_RA_LITE);
  svp_pipeline_free(a.pl);
  svp_pipeline_free(b.pl);
  /* once a is gone, libnids is free again */
  struct tp_run c = {0};
  tp_config(&c.cfg);
  run_open(&c);
  CHECK(svp_pipeline_stats(c.pl)->flows->nids_available);
  svp_pipeline_free(c.pl);
  tp_rec_free(&a.rec);
  tp_rec_free(&b.rec);
}

static void set_port(uint8_t *bits, uint16_t lo, uint16_t hi)
{
  for (uint32_t p = lo; p <= hi; p++)
    bits[p >> 3] |= (uint8_t)(1u << (p & 7));
}

/* Which side of a flow without handshake is the server, from its ports
 * alone (srvside.c), with Debian's nmap-services and the ports the rules
 * list as the inventory passes them: the pairs are real mid-stream flows
 * of tests/pcaps (IEC-104, EtherNet/IP, DNP3) and of bench's generator. */
static void test_server_side_ports(void)
{
  struct svp_services *svc = NULL;
  struct svp_diag quiet = {0};
  if (svp_services_load("/usr/share/nmap/nmap-services", &quiet, &svc) != SVP_OK) {
    tap_note("skip: no /usr/share/nmap/nmap-services (nmap-common)");
    return;
  }
  static uint8_t tcp[8192], udp[8192];
  set_port(tcp, 2404, 2404);   /* rules/iec-104.probes */
  set_port(tcp, 44818, 44818); /* rules/enip.probes */
  set_port(tcp, 20000, 20000); /* rules/dnp3.probes (TCP probe only) */
  set_port(tcp, 50000, 50025); /* nmap's DB2 probe: dynamic range, unnamed */
  set_port(udp, 53, 53);
  const struct svp_portinfo pi = {.svc = svc, .listed_tcp = tcp, .listed_udp = udp};
  static const struct {
    enum svp_l4 l4;
    uint16_t a, b; /* sender of the first packet, its peer */
    bool a_server;
    enum svp_server_basis basis;
  } t[] = {
    {SVP_L4_TCP, 1075, 2404, false, SVP_SB_PORT},   /* IEC-104: both named */
    {SVP_L4_TCP, 2404, 1075, true, SVP_SB_PORT},
    {SVP_L4_TCP, 2927, 44818, false, SVP_SB_PORT},  /* ENIP: 44818 is dynamic-range */
    {SVP_L4_UDP, 20000, 1128, true, SVP_SB_PORT},   /* DNP3/UDP: listed for TCP */
    {SVP_L4_TCP, 50014, 22442, false, SVP_SB_PORT}, /* a client's port in DB2's list */
    {SVP_L4_TCP, 80, 50001, true, SVP_SB_PORT},
    {SVP_L4_UDP, 50001, 53, false, SVP_SB_PORT},
    {SVP_L4_TCP, 40001, 40002, false, SVP_SB_FIRST}, /* nothing to go by */
  };
  for (size_t i = 0; i < SVP_ARRAY_LEN(t); i++) {
    struct svp_side s = svp_guess_side(&pi, t[i].l4, t[i].a, t[i].b, NULL, 0);
    unsigned want = t[i].a_server ? t[i].a : t[i].b, got = s.a_is_server ? t[i].a : t[i].b;
    tap_check(got == want && s.basis == t[i].basis, __FILE__, __LINE__,
              "%s %u -> %u: server %u, basis %d (got %u, basis %d)", svp_l4_name(t[i].l4),
              t[i].a, t[i].b, want, (int)t[i].basis, got, (int)s.basis);
  }
  /* Without the rules' ports, IEC-104's pair is a tie of two named ports. */
  const struct svp_portinfo bare = {.svc = svc};
  CHECK_INT(svp_guess_side(&bare, SVP_L4_TCP, 1075, 2404, NULL, 0).basis, SVP_SB_FIRST);
  /* A payload's shape still comes first: an HTTP request from the listed port. */
  const char *get = "GET / HTTP/1.0\r\n\r\n";
  struct svp_side s =
      svp_guess_side(&pi, SVP_L4_TCP, 2404, 1075, (const uint8_t *)get, strlen(get));
  CHECK(!s.a_is_server && s.basis == SVP_SB_PAYLOAD);
  svp_services_free(svc);
}

/* The slab pools under the flow table (slab.h): objects on cache lines,
 * freed ones reused first, chunks counted, everything gone at fini. */
static void test_slab(void)
{
  struct svp_slab s;
  svp_slab_init(&s, 100, 4); /* rounded up to 128 bytes, 4 per chunk */
  CHECK_INT(s.size, 128);
  void *p[9];
  for (int i = 0; i < 9; i++) {
    p[i] = svp_slab_alloc(&s);
    CHECK(p[i] && (uintptr_t)p[i] % SVP_SLAB_ALIGN == 0);
    memset(p[i], i, s.size); /* the whole object is writable */
  }
  CHECK_INT(s.n_chunks, 3);
  CHECK_INT(s.out, 9);
  CHECK_INT(svp_slab_reserved(&s), 3 * 4096);
  svp_slab_free(&s, p[3]);
  svp_slab_free(&s, p[7]);
  CHECK(svp_slab_alloc(&s) == p[7]); /* last freed, first reused */
  CHECK(svp_slab_alloc(&s) == p[3]);
  CHECK_INT(s.n_chunks, 3);
  svp_slab_free(&s, NULL);
  CHECK_INT(s.out, 9);
  svp_slab_fini(&s);
  CHECK_INT(s.n_chunks, 0);
  CHECK_INT(svp_slab_reserved(&s), 0);
  CHECK(svp_slab_alloc(&s) != NULL); /* usable again after fini */
  svp_slab_fini(&s);
}

int main(void)
{
  test_slab();
  test_server_side_ports();
  test_max_flows();
  test_memory_bound();
  test_idle_and_linger();
  test_refused_then_retried();
  test_checksum_policy();
  test_two_pipelines();
  return tap_done();
}
