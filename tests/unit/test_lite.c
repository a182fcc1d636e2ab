/* test_lite.c: the lite reassembler and the hand-offs from libnids, through
 * the pipeline: ordering, overlaps, holes, snap-length cuts, resync, the
 * server-side guess without handshake, SYN-ACK-only flows, a banner that
 * overtakes the client's ACK, reused 4-tuples, UDP pairs. */
#include "svp/reasm/pipeline.h"
#include "tap.h"
#include "test_capture_pkt.h"

#include <stdio.h>
#include <string.h>

static void run_start(struct tp_run *r)
{
  memset(r, 0, sizeof *r);
  tp_config(&r->cfg);
  struct svp_flow_sink s = tp_sink(&r->rec);
  if (svp_pipeline_new(&r->cfg, &s, &r->diag, &r->pl) != SVP_OK)
    abort();
  r->t = 1700000000LL * 1000000;
}

static void pkt(struct tp_run *r, const char *src, uint16_t sp, const char *dst, uint16_t dp,
                uint32_t seq, uint32_t ack, uint8_t fl, const char *pay)
{
  uint8_t b[2048];
  size_t n = tp_tcp(b, src, sp, dst, dp, seq, ack, fl, pay);
  r->t += 1000;
  tp_feed(r->pl, b, n, ++r->frame, r->t);
}

/* Same with a binary payload of n bytes. */
static void pktb(struct tp_run *r, const char *src, uint16_t sp, const char *dst, uint16_t dp,
                 uint32_t seq, uint32_t ack, uint8_t fl, const void *pay, size_t n)
{
  uint8_t b[2048];
  struct tp_l4 t = {.proto = 6, .sport = sp, .dport = dp, .seq = seq, .ack = ack,
                    .flags = fl, .pay = pay, .n = n};
  size_t len = tp_ip(b, src, dst, &t);
  r->t += 1000;
  tp_feed(r->pl, b, len, ++r->frame, r->t);
}

static void run_end(struct tp_run *r)
{
  svp_pipeline_finish(r->pl);
}

static void run_free(struct tp_run *r)
{
  svp_pipeline_free(r->pl);
  tp_rec_free(&r->rec);
}

/* Find the ended flow whose server port is sport (first one). */
static const struct tp_flow *flow_by_port(const struct tp_run *r, uint16_t sport)
{
  for (size_t i = 0; i < r->rec.n; i++)
    if (r->rec.v[i].f.sport == sport)
      return &r->rec.v[i];
  return NULL;
}

#define A SVP_TH_ACK
#define S SVP_TH_SYN
#define F SVP_TH_FIN
#define P (SVP_TH_PSH | SVP_TH_ACK)

static void handshake(struct tp_run *r, const char *c, uint16_t cp, const char *s, uint16_t sp,
                      uint32_t cisn, uint32_t sisn)
{
  pkt(r, c, cp, s, sp, cisn, 0, S, NULL);
  pkt(r, s, sp, c, cp, sisn, cisn + 1, S | A, NULL);
  pkt(r, c, cp, s, sp, cisn + 1, sisn + 1, A, NULL);
}

static void test_ipv6_in_order_and_reordered(void)
{
  struct tp_run r;
  run_start(&r);
  const char *c = "2001:db8::10", *s = "2001:db8::20";
  handshake(&r, c, 41000, s, 80, 100, 5000);
  pkt(&r, c, 41000, s, 80, 101, 5001, P, "GET / HTTP/1.0\r\n\r\n");
  /* server answer in three segments, arriving 1, 3, 2 */
  pkt(&r, s, 80, c, 41000, 5001, 119, P, "HTTP/1.1 200 OK\r\n");
  pkt(&r, s, 80, c, 41000, 5001 + 17 + 14, 119, P, "body-part-three");
  pkt(&r, s, 80, c, 41000, 5001 + 17, 119, P, "Server: test\r\n");
  pkt(&r, c, 41000, s, 80, 119, 5100, F | A, NULL);
  pkt(&r, s, 80, c, 41000, 5100, 120, F | A, NULL);
  run_end(&r);
  CHECK_INT(r.rec.n, 1);
  const struct tp_flow *t = flow_by_port(&r, 80);
  CHECK(t && t->f.reasm == SVP_RA_LITE && t->f.basis == SVP_SB_SYN &&
        t->f.conf == SVP_SC_HIGH);
  CHECK_STR(tp_bytes(t, SVP_C2S), "GET / HTTP/1.0\r\n\r\n");
  CHECK_STR(tp_bytes(t, SVP_S2C), "HTTP/1.1 200 OK\r\nServer: test\r\nbody-part-three");
  CHECK_INT(t->f.dir[SVP_S2C].gaps, 0);
  CHECK((t->f.flags & SVP_FF_FIN) && (t->f.flags & SVP_FF_SYNACK));
  CHECK_INT(t->f.dir[SVP_S2C].pkts, 3);
  CHECK_INT(t->f.dir[SVP_S2C].bytes, 17 + 14 + 15);
  run_free(&r);
}

static void test_overlaps(void)
{
  struct tp_run r;
  run_start(&r);
  const char *c = "2001:db8::1", *s = "2001:db8::2";
  handshake(&r, c, 42000, s, 7000, 0, 1000);
  /* out of order first: [10,20) "KKKKKKKKKK", then [5,15) must keep K's */
  pkt(&r, s, 7000, c, 42000, 1011, 1, P, "KKKKKKKKKK");
  pkt(&r, s, 7000, c, 42000, 1006, 1, P, "xxxxxyyyyy");
  /* then [0,8) in order: delivered whole; the buffered pieces fill in after
   * it (first-received bytes win among buffered pieces) */
  pkt(&r, s, 7000, c, 42000, 1001, 1, P, "AAAAAAAA");
  /* a retransmission covering everything changes nothing */
  pkt(&r, s, 7000, c, 42000, 1001, 1, P, "ZZZZZZZZZZZZZZZZZZZZ");
  pkt(&r, s, 7000, c, 42000, 1021, 1, P, "!");
  run_end(&r);
  const struct tp_flow *t = flow_by_port(&r, 7000);
  CHECK(t != NULL);
  CHECK_STR(tp_bytes(t, SVP_S2C), "AAAAAAAAxxKKKKKKKKKK!");
  CHECK_INT(t->f.dir[SVP_S2C].gaps, 0);
  CHECK(svp_pipeline_stats(r.pl)->flows->old_segments >= 1);
  run_free(&r);
}

static void test_holes(void)
{
  struct tp_run r;
  run_start(&r);
  const char *c = "2001:db8::1", *s = "2001:db8::2";
  /* hole skipped when the client acknowledges past it */
  handshake(&r, c, 43000, s, 21, 0, 0);
  pkt(&r, s, 21, c, 43000, 1, 1, P, "220 first ");
  pkt(&r, s, 21, c, 43000, 1 + 10 + 6, 1, P, "third");    /* [10,16) never comes */
  pkt(&r, c, 43000, s, 21, 1, 1 + 21, A, NULL);            /* client got it all */
  pkt(&r, c, 43000, s, 21, 1, 1 + 21, A, NULL);
  pkt(&r, c, 43000, s, 21, 1, 1 + 21, A, NULL);
  pkt(&r, c, 43000, s, 21, 1, 1 + 21, P, "USER x\r\n");
  const struct svp_flowtab_stats *fs = svp_pipeline_stats(r.pl)->flows;
  CHECK_INT(fs->gaps, 1);
  /* a hole still open at the end is skipped at the end */
  handshake(&r, c, 43001, s, 22, 0, 0);
  pkt(&r, s, 22, c, 43001, 1, 1, P, "SSH-2.0-x\r\n");
  pkt(&r, s, 22, c, 43001, 1 + 11 + 100, 1, P, "tail");
  run_end(&r);
  const struct tp_flow *t = flow_by_port(&r, 21);
  CHECK(t != NULL);
  CHECK_STR(tp_bytes(t, SVP_S2C), "220 first third");
  CHECK_INT(t->f.dir[SVP_S2C].gaps, 1);
  CHECK_INT(t->f.dir[SVP_S2C].gap_at, 10);
  CHECK(t->f.flags & SVP_FF_GAP);
  CHECK_STR(tp_bytes(t, SVP_C2S), "USER x\r\n");
  CHECK_INT(t->f.dir[SVP_C2S].gap_at, UINT32_MAX);
  t = flow_by_port(&r, 22);
  CHECK(t != NULL);
  CHECK_STR(tp_bytes(t, SVP_S2C), "SSH-2.0-x\r\ntail");
  CHECK_INT(t->f.dir[SVP_S2C].gap_at, 11);
  run_free(&r);
}

static void test_far_ahead_and_snaplen(void)
{
  struct tp_run r;
  run_start(&r);
  const char *c = "2001:db8::1", *s = "2001:db8::2";
  handshake(&r, c, 44000, s, 80, 0, 0);
  pkt(&r, s, 80, c, 44000, 1, 1, P, "HTTP/1.1 ");
  pkt(&r, s, 80, c, 44000, 1 + 9 + 1000000, 1, P, "later");
  /* a segment cut by the snap length: 4 of 10 bytes captured */
  handshake(&r, c, 44001, s, 81, 0, 0);
  uint8_t b[256];
  size_t n = tp_tcp(b, s, 81, c, 44001, 1, 1, P, "0123456789");
  tp_feed(r.pl, b, n - 6, ++r.frame, r.t += 1000);
  pkt(&r, s, 81, c, 44001, 11, 1, P, "abc");
  run_end(&r);
  const struct tp_flow *t = flow_by_port(&r, 80);
  CHECK(t && strcmp(tp_bytes(t, SVP_S2C), "HTTP/1.1 later") == 0 &&
        t->f.dir[SVP_S2C].gaps == 1);
  t = flow_by_port(&r, 81);
  CHECK(t != NULL);
  CHECK_STR(tp_bytes(t, SVP_S2C), "0123abc");
  CHECK(t->f.flags & SVP_FF_SNAPLEN);
  CHECK_INT(t->f.dir[SVP_S2C].gap_at, 4);
  run_free(&r);
}

static void test_server_side_guess(void)
{
  struct tp_run r;
  run_start(&r);
  /* 1: no handshake, well-known port: the port's side is the server. */
  pktb(&r, "10.0.0.5", 51000, "10.0.0.6", 502, 7, 9, P, "\x00\x01\x00\x00\x00\x06\x01\x03", 8);
  /* 2: an HTTP response from the ephemeral-looking side: payload wins. */
  pkt(&r, "10.0.0.7", 45000, "10.0.0.8", 46000, 1, 1, P, "HTTP/1.1 200 OK\r\n");
  /* 3: both ports dynamic and nothing to go by: receiver of the first packet. */
  pkt(&r, "10.0.0.9", 52001, "10.0.0.10", 52002, 1, 1, P, "\x01\x02");
  /* 4: a pure ACK first (ports give a weak guess), then a request from the
   *    other side: the request's sender becomes the client. */
  pkt(&r, "10.0.0.11", 3000, "10.0.0.12", 60000, 1, 1, A, NULL);
  pkt(&r, "10.0.0.11", 3000, "10.0.0.12", 60000, 1, 1, P, "GET / HTTP/1.1\r\n");
  /* 5: SYN lost, SYN-ACK seen. */
  pkt(&r, "10.0.0.14", 8443, "10.0.0.13", 33333, 900, 501, S | A, NULL);
  pktb(&r, "10.0.0.13", 33333, "10.0.0.14", 8443, 501, 901, P, "\x16\x03\x01\x00\x05\x01" "abcd", 10);
  run_end(&r);
  const struct tp_flow *t = flow_by_port(&r, 502);
  CHECK(t && t->f.basis == SVP_SB_PORT && t->f.conf == SVP_SC_MEDIUM && t->f.cport == 51000 &&
        (t->f.flags & SVP_FF_MIDSTREAM));
  t = flow_by_port(&r, 45000);
  CHECK(t && t->f.basis == SVP_SB_PAYLOAD && t->f.cport == 46000);
  CHECK(t && strcmp(tp_bytes(t, SVP_S2C), "HTTP/1.1 200 OK\r\n") == 0);
  t = flow_by_port(&r, 52002);
  CHECK(t && t->f.basis == SVP_SB_FIRST && t->f.conf == SVP_SC_LOW);
  t = flow_by_port(&r, 60000);
  CHECK(t && t->f.basis == SVP_SB_PAYLOAD && t->f.cport == 3000);
  CHECK(t && strcmp(tp_bytes(t, SVP_C2S), "GET / HTTP/1.1\r\n") == 0);
  t = flow_by_port(&r, 8443);
  CHECK(t && t->f.basis == SVP_SB_SYNACK && t->f.cport == 33333 && t->f.reasm == SVP_RA_LITE);
  CHECK(t && t->f.dir[SVP_C2S].len == 10 && t->f.dir[SVP_C2S].gaps == 0);
  run_free(&r);
}

static void test_banner_before_ack(void)
{
  struct tp_run r;
  run_start(&r);
  const char *c = "192.0.2.1", *s = "192.0.2.2";
  /* IPv4 with a handshake: libnids takes it, until the server's banner
   * overtakes the client's ACK (libnids would drop the stream silently). */
  pkt(&r, c, 40001, s, 25, 10, 0, S, NULL);
  pkt(&r, s, 25, c, 40001, 20, 11, S | A, NULL);
  pkt(&r, s, 25, c, 40001, 21, 11, P, "220 mail ESMTP\r\n");
  pkt(&r, c, 40001, s, 25, 11, 21, A, NULL);
  pkt(&r, c, 40001, s, 25, 11, 37, P, "EHLO x\r\n");
  /* The same on a clean flow stays in libnids. */
  pkt(&r, c, 40002, s, 25, 10, 0, S, NULL);
  pkt(&r, s, 25, c, 40002, 20, 11, S | A, NULL);
  pkt(&r, c, 40002, s, 25, 11, 21, A, NULL);
  pkt(&r, s, 25, c, 40002, 21, 11, P, "220 mail ESMTP\r\n");
  pkt(&r, c, 40002, s, 25, 11, 37, P, "EHLO y\r\n");
  run_end(&r);
  CHECK_INT(r.rec.n, 2);
  const struct tp_flow *t1 = &r.rec.v[0], *t2 = &r.rec.v[1];
  if (t1->f.cport != 40001) {
    const struct tp_flow *x = t1;
    t1 = t2;
    t2 = x;
  }
  CHECK(t1->f.flags & SVP_FF_HANDOFF);
  CHECK_INT(t1->f.reasm, SVP_RA_LITE);
  CHECK_STR(tp_bytes(t1, SVP_S2C), "220 mail ESMTP\r\n");
  CHECK_STR(tp_bytes(t1, SVP_C2S), "EHLO x\r\n");
  CHECK(t1->f.flags & SVP_FF_SRV_FIRST);
  CHECK(!(t2->f.flags & SVP_FF_HANDOFF));
  CHECK_INT(t2->f.reasm, SVP_RA_NIDS);
  CHECK_STR(tp_bytes(t2, SVP_S2C), "220 mail ESMTP\r\n");
  CHECK_STR(tp_bytes(t2, SVP_C2S), "EHLO y\r\n");
  const struct svp_flowtab_stats *fs = svp_pipeline_stats(r.pl)->flows;
  CHECK_INT(fs->handoffs[SVP_HO_PREEST_SERVER], 1);
  run_free(&r);
}

static void test_nids_out_of_order_handoff(void)
{
  struct tp_run r;
  run_start(&r);
  const char *c = "192.0.2.1", *s = "192.0.2.2";
  handshake(&r, c, 40010, s, 80, 1000, 9000);
  pkt(&r, c, 40010, s, 80, 1001, 9001, P, "GET / HTTP/1.0\r\n\r\n");
  pkt(&r, s, 80, c, 40010, 9001 + 11, 1019, P, "0 OK\r\n");
  pkt(&r, s, 80, c, 40010, 9001, 1019, P, "HTTP/1.1 20");
  run_end(&r);
  const struct tp_flow *t = flow_by_port(&r, 80);
  CHECK(t && (t->f.flags & SVP_FF_HANDOFF) && t->f.dir[SVP_S2C].gaps == 0);
  CHECK(t && strcmp(tp_bytes(t, SVP_S2C), "HTTP/1.1 200 OK\r\n") == 0);
  CHECK(t && strcmp(tp_bytes(t, SVP_C2S), "GET / HTTP/1.0\r\n\r\n") == 0);
  CHECK_INT(svp_pipeline_stats(r.pl)->flows->handoffs[SVP_HO_OUT_OF_ORDER], 1);
  run_free(&r);
}

static void test_reuse_and_decide(void)
{
  struct tp_run r;
  run_start(&r);
  r.rec.decide_at_srv = true;
  const char *c = "2001:db8::1", *s = "2001:db8::2";
  handshake(&r, c, 45000, s, 6379, 100, 200);
  pkt(&r, c, 45000, s, 6379, 101, 201, P, "*1\r\n$4\r\nPING\r\n");
  pkt(&r, s, 6379, c, 45000, 201, 115, P, "+PONG\r\n");
  pkt(&r, s, 6379, c, 45000, 208, 115, P, "+MORE\r\n"); /* after the decision */
  /* no FIN: the same 4-tuple opens again with another ISN */
  handshake(&r, c, 45000, s, 6379, 7777, 8888);
  pkt(&r, c, 45000, s, 6379, 7778, 8889, P, "*1\r\n$4\r\nINFO\r\n");
  run_end(&r);
  CHECK_INT(r.rec.n, 2);
  const struct tp_flow *old = &r.rec.v[0], *neu = &r.rec.v[1];
  CHECK(old->f.flags & SVP_FF_REUSED);
  CHECK(old->f.flags & SVP_FF_DECIDED);
  CHECK_INT(old->f.dir[SVP_S2C].pkts, 2);   /* counted after the decision too */
  CHECK(old->f.dir[SVP_S2C].data == NULL);  /* bytes freed once decided */
  CHECK(neu->f.id > old->f.id && (neu->f.flags & SVP_FF_EOF));
  CHECK_STR(tp_bytes(neu, SVP_C2S), "*1\r\n$4\r\nINFO\r\n");
  const struct svp_flowtab_stats *fs = svp_pipeline_stats(r.pl)->flows;
  CHECK_INT(fs->flows_ended[SVP_END_REUSED], 1);
  CHECK(fs->tombstone_packets >= 1);
  CHECK_INT(fs->decided, 1);
  run_free(&r);
}

static void test_udp_pairs(void)
{
  struct tp_run r;
  run_start(&r);
  uint8_t b[512];
  size_t n;
  n = tp_udp(b, "10.1.1.1", 53001, "10.1.1.2", 53, "query-1");
  tp_feed(r.pl, b, n, ++r.frame, r.t += 1000);
  n = tp_udp(b, "10.1.1.2", 53, "10.1.1.1", 53001, "answer-1");
  tp_feed(r.pl, b, n, ++r.frame, r.t += 1000);
  n = tp_udp(b, "10.1.1.1", 53001, "10.1.1.2", 53, "query-2");
  tp_feed(r.pl, b, n, ++r.frame, r.t += 1000);
  /* server first in capture order but on port 161: still the server */
  n = tp_udp(b, "10.1.1.3", 161, "10.1.1.4", 40000, "trap-like");
  tp_feed(r.pl, b, n, ++r.frame, r.t += 1000);
  /* both ports dynamic: the first sender is the client */
  n = tp_udp(b, "10.1.1.5", 50000, "10.1.1.6", 50001, "hello");
  tp_feed(r.pl, b, n, ++r.frame, r.t += 1000);
  run_end(&r);
  const struct tp_flow *t = flow_by_port(&r, 53);
  CHECK(t && t->f.l4 == SVP_L4_UDP && t->f.reasm == SVP_RA_UDP && t->f.cport == 53001);
  CHECK(t && strcmp(tp_bytes(t, SVP_C2S), "query-1") == 0);
  CHECK(t && strcmp(tp_bytes(t, SVP_S2C), "answer-1") == 0);
  CHECK(t && t->f.dir[SVP_C2S].pkts == 2);
  t = flow_by_port(&r, 161);
  CHECK(t && t->f.cport == 40000 && strcmp(tp_bytes(t, SVP_S2C), "trap-like") == 0);
  t = flow_by_port(&r, 50001);
  CHECK(t && t->f.cport == 50000 && t->f.basis == SVP_SB_FIRST);
  run_free(&r);
}

/* Split the IPv4 packet ip (n bytes) into two fragments at payload offset
 * k (a multiple of 8) and feed both, second first when reversed. */
static void feed_fragments(struct tp_run *r, const uint8_t *ip, size_t n, size_t k,
                           bool reversed)
{
  uint8_t f1[2048], f2[2048];
  size_t pay = n - 20;
  memcpy(f1, ip, 20 + k);
  tp_put16(f1 + 2, (uint16_t)(20 + k));
  tp_put16(f1 + 6, 0x2000); /* MF, offset 0 */
  memcpy(f2, ip, 20);
  memcpy(f2 + 20, ip + 20 + k, pay - k);
  tp_put16(f2 + 2, (uint16_t)(20 + pay - k));
  tp_put16(f2 + 6, (uint16_t)(k / 8));
  for (int i = 0; i < 2; i++) {
    uint8_t *f = i ? f2 : f1;
    f[10] = f[11] = 0;
    tp_put16(f + 10, svp_csum_fold(svp_csum_partial(f, 20, 0)));
  }
  const uint8_t *a = reversed ? f2 : f1, *b = reversed ? f1 : f2;
  size_t na = reversed ? 20 + pay - k : 20 + k, nb = reversed ? 20 + k : 20 + pay - k;
  tp_feed(r->pl, a, na, ++r->frame, r->t += 1000);
  tp_feed(r->pl, b, nb, ++r->frame, r->t += 1000);
}

static void test_ipv4_fragments(void)
{
  struct tp_run r;
  run_start(&r);
  uint8_t b[2048];
  char q[101];
  memset(q, 'q', 100);
  q[100] = 0;
  /* a UDP query in two fragments, the second arriving first */
  size_t n = tp_udp(b, "10.7.0.1", 5353, "10.7.0.2", 53, q);
  feed_fragments(&r, b, n, 56, true);
  n = tp_udp(b, "10.7.0.2", 53, "10.7.0.1", 5353, "answer");
  tp_feed(r.pl, b, n, ++r.frame, r.t += 1000);
  /* a libnids TCP flow whose server segment is fragmented */
  handshake(&r, "10.7.0.1", 41000, "10.7.0.2", 80, 10, 20);
  pkt(&r, "10.7.0.1", 41000, "10.7.0.2", 80, 11, 21, P, "GET / HTTP/1.0\r\n\r\n");
  n = tp_tcp(b, "10.7.0.2", 80, "10.7.0.1", 41000, 21, 29, P,
             "HTTP/1.0 200 OK\r\nServer: fragmented-server/1.0\r\n\r\n");
  feed_fragments(&r, b, n, 32, false);
  run_end(&r);
  const struct tp_flow *t = flow_by_port(&r, 53);
  CHECK(t && t->f.l4 == SVP_L4_UDP && strcmp(tp_bytes(t, SVP_C2S), q) == 0);
  CHECK(t && strcmp(tp_bytes(t, SVP_S2C), "answer") == 0);
  t = flow_by_port(&r, 80);
  CHECK(t && t->f.reasm == SVP_RA_NIDS &&
        strcmp(tp_bytes(t, SVP_S2C), "HTTP/1.0 200 OK\r\nServer: fragmented-server/1.0\r\n\r\n") == 0);
  const struct svp_pipeline_stats *ps = svp_pipeline_stats(r.pl);
  CHECK_INT(ps->flows->nids_frag_datagrams, 2);
  CHECK_INT(ps->decode[SVP_DW_FRAG_LATER], 4);
  run_free(&r);
}

int main(void)
{
  test_ipv4_fragments();
  test_ipv6_in_order_and_reordered();
  test_overlaps();
  test_holes();
  test_far_ahead_and_snaplen();
  test_server_side_guess();
  test_banner_before_ack();
  test_nids_out_of_order_handoff();
  test_reuse_and_decide();
  test_udp_pairs();
  return tap_done();
}
