/* test_udp.c: the UDP pairer (src/reasm/udp.c) through the pipeline, with
 * datagrams taken from third-party captures (tests/unit/test_udpmsg.c names
 * them): which datagrams a flow keeps, both sides of symmetric BACnet peers
 * as two flows, an announcement kept back for an answer and given at the
 * end when none came, a TFTP answer from a fresh port counted in its
 * request's flow (and not when it comes too late or from another host),
 * and the books: every flow and every reverse view ends exactly once. */
#include "svp/reasm/pipeline.h"
#include "tap.h"
#include "test_capture_pkt.h"

#include <stdio.h>
#include <string.h>

/* icsnpp-bacnet/bacnet_segmented_data.pcap frames 12 and 13, I-Am of frame 5 */
static const char RP_REQ[] = "810a0013010402345d0c0c020000fe194c2900";
static const char RP_REQ2[] = "810a0013010402355d0c0c020000fe194c2900"; /* invoke id 0x35 */
static const char RP_ACK[] = "810a00170100305d0c0c020000fe194c29003e2201aa3f";
static const char I_AM[] = "810b001401001000c4020000002204009100219a";
/* arkime/arkime_synthetic.pcap frames 532 and 533 (DATA cut to 8 bytes) */
static const char TFTP_RRQ[] = "00016669726d776172652e62696e006f6374657400";
static const char TFTP_DATA1[] = "0003000141414141";
static const char TFTP_ACK1[] = "00040001";
static const char TFTP_DATA2[] = "0003000241414141";

static void open_run(struct tp_run *r)
{
  tp_config(&r->cfg);
  r->cfg.idle_timeout_s = 600;
  struct svp_flow_sink s = tp_sink(&r->rec);
  if (svp_pipeline_new(&r->cfg, &s, &r->diag, &r->pl) != SVP_OK)
    abort();
  r->t = 1700000000LL * 1000000;
}

static void dgram(struct tp_run *r, const char *src, uint16_t sp, const char *dst, uint16_t dp,
                  const char *hex, int64_t dt_us)
{
  uint8_t pay[512], b[1024];
  struct tp_l4 t = {.proto = 17, .sport = sp, .dport = dp, .pay = pay, .n = tap_unhex(hex, pay, sizeof pay)};
  size_t n = tp_ip(b, src, dst, &t);
  r->t += dt_us;
  tp_feed(r->pl, b, n, ++r->frame, r->t);
}

/* the recorded flow whose server is addr:port, or NULL */
static const struct tp_flow *flow_to(const struct tp_run *r, const char *addr, uint16_t port)
{
  struct svp_addr a = tp_addr(addr);
  for (size_t i = 0; i < r->rec.n; i++)
    if (r->rec.v[i].f.sport == port && svp_addr_cmp(&r->rec.v[i].f.srv, &a) == 0)
      return &r->rec.v[i];
  return NULL;
}

static bool holds(const struct tp_flow *t, enum svp_dir_id d, const char *hex)
{
  uint8_t want[512];
  size_t n = tap_unhex(hex, want, sizeof want);
  return t && t->f.dir[d].len == n && t->data[d] && memcmp(t->data[d], want, n) == 0;
}

/* after svp_pipeline_finish: every flow ended once, every reverse view too */
static void books(struct tp_run *r, unsigned views)
{
  const struct svp_flowtab_stats *fs = svp_pipeline_stats(r->pl)->flows;
  uint64_t made = fs->flows_created[0] + fs->flows_created[1] + fs->flows_created[2], ended = 0;
  for (int k = 0; k < SVP_END_COUNT; k++)
    ended += fs->flows_ended[k];
  CHECK_INT(ended, made);
  CHECK_INT(fs->udp_peer_views, views);
  CHECK_INT(r->rec.n, made + views); /* one on_end per flow and per reverse view */
}

static void test_peers(void)
{
  struct tp_run r = {0};
  open_run(&r);
  const char *a = "10.0.0.1", *b = "10.0.0.2";
  /* a asks b twice before b answers; then b asks a, and a answers */
  dgram(&r, a, 47808, b, 47808, RP_REQ, 1000);
  dgram(&r, a, 47808, b, 47808, RP_REQ2, 1000);
  dgram(&r, b, 47808, a, 47808, RP_ACK, 1000);
  dgram(&r, b, 47808, a, 47808, RP_REQ, 1000);
  dgram(&r, a, 47808, b, 47808, RP_ACK, 1000);
  svp_pipeline_finish(r.pl);
  const struct tp_flow *fb = flow_to(&r, b, 47808), *fa = flow_to(&r, a, 47808);
  /* b's flow: the request it answered is the latest before its answer */
  CHECK(holds(fb, SVP_C2S, RP_REQ2));
  CHECK(holds(fb, SVP_S2C, RP_ACK));
  CHECK(fb && !(fb->f.flags & SVP_FF_PEER));
  /* a's view: b's request and a's answer, marked as the reverse view */
  CHECK(holds(fa, SVP_C2S, RP_REQ));
  CHECK(holds(fa, SVP_S2C, RP_ACK));
  CHECK(fa && (fa->f.flags & SVP_FF_PEER) && (fa->f.flags & SVP_FF_EOF));
  CHECK(fa && fb && fa->f.id != fb->f.id);
  CHECK(fa && fa->f.dir[SVP_S2C].pkts == 3 && fa->f.dir[SVP_C2S].pkts == 2); /* a sent 3 */
  books(&r, 1);
  svp_pipeline_free(r.pl);
  tp_rec_free(&r.rec);
}

static void test_announcement(void)
{
  struct tp_run r = {0};
  open_run(&r);
  /* an I-Am to the broadcast address, nothing else: given at the end */
  dgram(&r, "10.0.0.7", 47808, "10.0.0.255", 47808, I_AM, 1000);
  /* a device that announces, then answers a request: the answer is kept */
  dgram(&r, "10.0.0.8", 47808, "10.0.0.9", 47808, I_AM, 1000);
  dgram(&r, "10.0.0.9", 47808, "10.0.0.8", 47808, RP_REQ, 1000);
  dgram(&r, "10.0.0.8", 47808, "10.0.0.9", 47808, RP_ACK, 1000);
  svp_pipeline_finish(r.pl);
  const struct tp_flow *f7 = flow_to(&r, "10.0.0.7", 47808);
  CHECK(holds(f7, SVP_S2C, I_AM) && f7->f.dir[SVP_C2S].len == 0);
  const struct tp_flow *f8 = flow_to(&r, "10.0.0.8", 47808);
  CHECK(holds(f8, SVP_S2C, RP_ACK) && holds(f8, SVP_C2S, RP_REQ));
  CHECK(f8 && f8->f.dir[SVP_S2C].first.frame == 4); /* the answer's frame */
  CHECK(flow_to(&r, "10.0.0.9", 47808) == NULL);
  const struct svp_flowtab_stats *fs = svp_pipeline_stats(r.pl)->flows;
  CHECK_INT(fs->udp_announce_held, 2);
  books(&r, 0);
  svp_pipeline_free(r.pl);
  tp_rec_free(&r.rec);
}

static void test_tftp_fresh_port(void)
{
  struct tp_run r = {0};
  open_run(&r);
  const char *c = "10.0.1.100", *s = "10.0.1.1";
  /* answered from port 40000 at once: one flow, to 69 */
  dgram(&r, c, 5000, s, 69, TFTP_RRQ, 1000);
  dgram(&r, s, 40000, c, 5000, TFTP_DATA1, 2000);
  dgram(&r, c, 5000, s, 40000, TFTP_ACK1, 1000);
  dgram(&r, s, 40000, c, 5000, TFTP_DATA2, 1000);
  /* another request, answered 6 s later: too late to be its answer */
  dgram(&r, c, 5001, s, 69, TFTP_RRQ, 1000);
  dgram(&r, s, 40001, c, 5001, TFTP_DATA1, 6 * 1000000LL);
  /* a third, answered by another host: not its answer */
  dgram(&r, c, 5002, s, 69, TFTP_RRQ, 1000);
  dgram(&r, "10.0.1.2", 40002, c, 5002, TFTP_DATA1, 1000);
  svp_pipeline_finish(r.pl);
  const struct svp_flowtab_stats *fs = svp_pipeline_stats(r.pl)->flows;
  CHECK_INT(fs->udp_fresh_port, 1);
  const struct tp_flow *t = NULL;
  for (size_t i = 0; i < r.rec.n; i++)
    if (r.rec.v[i].f.cport == 5000)
      t = &r.rec.v[i];
  CHECK(t && t->f.sport == 69 && (t->f.flags & SVP_FF_ALTPORT) && t->f.alt_sport == 40000);
  CHECK(holds(t, SVP_C2S, TFTP_RRQ) && holds(t, SVP_S2C, TFTP_DATA1));
  CHECK(t && t->f.dir[SVP_S2C].pkts == 2 && t->f.dir[SVP_C2S].pkts == 2);
  CHECK(flow_to(&r, s, 40000) == NULL && flow_to(&r, c, 5000) == NULL);
  /* the late and the foreign answers are flows of their own */
  unsigned late = 0;
  for (size_t i = 0; i < r.rec.n; i++)
    late += (r.rec.v[i].f.cport == 5001 || r.rec.v[i].f.sport == 5001 ||
             r.rec.v[i].f.cport == 5002 || r.rec.v[i].f.sport == 5002) &&
            !(r.rec.v[i].f.flags & SVP_FF_ALTPORT);
  CHECK_INT(late, 4);
  CHECK_INT(r.rec.n, 5);
  books(&r, 0);
  svp_pipeline_free(r.pl);
  tp_rec_free(&r.rec);
}

int main(void)
{
  test_peers();
  test_announcement();
  test_tftp_fresh_port();
  return tap_done();
}
