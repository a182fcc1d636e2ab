/* test_capture.c: capture files: classic pcap (both byte orders, µs/ns),
 * pcapng (mixed link types per interface, timestamp resolutions, big-endian
 * sections, simple packet blocks, several sections), truncated files,
 * files that are not captures, unknown link types, BPF filters with frame
 * numbers kept, and several files in one pipeline run. */
#include "svp/capture/capture.h"
#include "svp/reasm/pipeline.h"
#include "tap.h"
#include "test_capture_pkt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];

struct buf {
  uint8_t b[1 << 16];
  size_t n;
  bool be;
};

static void put(struct buf *w, const void *p, size_t n)
{
  memcpy(w->b + w->n, p, n);
  w->n += n;
}

static void u32(struct buf *w, uint32_t v)
{
  uint8_t x[4];
  if (w->be)
    tp_put32(x, v);
  else
    x[0] = (uint8_t)v, x[1] = (uint8_t)(v >> 8), x[2] = (uint8_t)(v >> 16), x[3] = (uint8_t)(v >> 24);
  put(w, x, 4);
}

static void u16(struct buf *w, uint16_t v)
{
  uint8_t x[2];
  if (w->be)
    tp_put16(x, v);
  else
    x[0] = (uint8_t)v, x[1] = (uint8_t)(v >> 8);
  put(w, x, 2);
}

static void pad4(struct buf *w)
{
  static const uint8_t z[4];
  put(w, z, (4 - (w->n & 3)) & 3);
}

static const char *save(const char *name, const struct buf *w, size_t cut)
{
  static char path[8][128];
  static int k;
  char *p = path[k++ & 7];
  snprintf(p, 128, "%s/%s", dir, name);
  FILE *f = fopen(p, "wb");
  fwrite(w->b, 1, cut ? cut : w->n, f);
  fclose(f);
  return p;
}

/* classic pcap */
static void pcap_hdr(struct buf *w, uint32_t magic, uint32_t lt)
{
  u32(w, magic);
  u16(w, 2);
  u16(w, 4);
  u32(w, 0);
  u32(w, 0);
  u32(w, 262144);
  u32(w, lt);
}

static void pcap_rec(struct buf *w, uint32_t sec, uint32_t frac, const uint8_t *d, size_t n)
{
  u32(w, sec);
  u32(w, frac);
  u32(w, (uint32_t)n);
  u32(w, (uint32_t)n);
  put(w, d, n);
}

/* pcapng */
static void ng_shb(struct buf *w)
{
  u32(w, 0x0a0d0d0a);
  u32(w, 28);
  u32(w, 0x1a2b3c4d);
  u16(w, 1);
  u16(w, 0);
  u32(w, 0xffffffff);
  u32(w, 0xffffffff);
  u32(w, 28);
}

static void ng_idb(struct buf *w, uint16_t lt, int tsresol)
{
  uint32_t len = 20 + (tsresol >= 0 ? 12 : 0);
  u32(w, 1);
  u32(w, len);
  u16(w, lt);
  u16(w, 0);
  u32(w, 65535);
  if (tsresol >= 0) {
    u16(w, 9);
    u16(w, 1);
    uint8_t r[4] = {(uint8_t)tsresol, 0, 0, 0};
    put(w, r, 4);
    u16(w, 0);
    u16(w, 0);
  }
  u32(w, len);
}

static void ng_epb(struct buf *w, uint32_t ifid, uint64_t ts, const uint8_t *d, size_t n)
{
  uint32_t len = (uint32_t)(32 + ((n + 3) & ~(size_t)3));
  u32(w, 6);
  u32(w, len);
  u32(w, ifid);
  u32(w, (uint32_t)(ts >> 32));
  u32(w, (uint32_t)ts);
  u32(w, (uint32_t)n);
  u32(w, (uint32_t)n);
  put(w, d, n);
  pad4(w);
  u32(w, len);
}

static void ng_spb(struct buf *w, const uint8_t *d, size_t n)
{
  uint32_t len = (uint32_t)(16 + ((n + 3) & ~(size_t)3));
  u32(w, 3);
  u32(w, len);
  u32(w, (uint32_t)n);
  put(w, d, n);
  pad4(w);
  u32(w, len);
}

static void ng_other(struct buf *w, uint32_t type)
{
  u32(w, type);
  u32(w, 16);
  u32(w, 0);
  u32(w, 16);
}

static uint8_t eth[256], raw[256];
static size_t neth, nraw;

struct rd {
  int n;
  struct svp_frame f[16];
  uint8_t data[16][256];
  int rc;
};

static int read_all(const char *path, const char *bpf, struct svp_diag *d, struct rd *r,
                    struct svp_capture_stats *st)
{
  struct svp_capture *c;
  memset(r, 0, sizeof *r);
  int rc = svp_capture_open_file(path, bpf, d, &c);
  if (rc != SVP_OK)
    return rc;
  struct svp_frame f;
  while ((r->rc = svp_capture_next(c, &f, 0)) == SVP_CAP_FRAME && r->n < 16) {
    r->f[r->n] = f;
    memcpy(r->data[r->n], f.data, f.caplen < 256 ? f.caplen : 256);
    r->n++;
  }
  if (st)
    svp_capture_get_stats(c, st);
  svp_capture_close(c);
  return SVP_OK;
}

static char last[512];
static void keep(void *ud, enum svp_sev sev, const char *msg)
{
  (void)ud;
  (void)sev;
  snprintf(last, sizeof last, "%s", msg);
}

static void test_pcap(void)
{
  struct svp_diag d = {.emit = keep};
  struct rd r;
  struct svp_capture_stats st;
  struct buf w = {.n = 0};
  pcap_hdr(&w, 0xa1b2c3d4, 1);
  pcap_rec(&w, 100, 5, eth, neth);
  pcap_rec(&w, 101, 6, eth, neth);
  pcap_rec(&w, 102, 7, eth, neth);
  const char *p = save("le.pcap", &w, 0);
  CHECK_INT(read_all(p, NULL, &d, &r, &st), SVP_OK);
  CHECK_INT(r.n, 3);
  CHECK_INT(r.rc, SVP_CAP_EOF);
  CHECK(r.f[1].ts_us == 101000006 && r.f[2].frame == 3 && r.f[0].linktype == 1);
  CHECK(r.f[0].caplen == neth && memcmp(r.data[0], eth, neth) == 0);
  CHECK(st.format == SVP_CAP_PCAP && st.bytes == w.n && st.size == w.n && !st.truncated);
  /* big-endian, nanoseconds */
  struct buf b = {.n = 0, .be = true};
  pcap_hdr(&b, 0xa1b23c4d, 101);
  pcap_rec(&b, 200, 123456789, raw, nraw);
  p = save("be-ns.pcap", &b, 0);
  CHECK_INT(read_all(p, NULL, &d, &r, NULL), SVP_OK);
  CHECK(r.n == 1 && r.f[0].ts_us == 200123456 && r.f[0].caplen == nraw);
  /* truncated inside the third record */
  unsigned warn0 = d.n_warn;
  p = save("cut.pcap", &w, w.n - 10);
  CHECK_INT(read_all(p, NULL, &d, &r, &st), SVP_OK);
  CHECK(r.n == 2 && st.truncated && d.n_warn == warn0 + 1);
  CHECK(strstr(last, "cut.pcap: frame 3:") != NULL);
  /* a link type we cannot decode */
  struct buf u = {.n = 0};
  pcap_hdr(&u, 0xa1b2c3d4, 147);
  pcap_rec(&u, 1, 1, eth, neth);
  p = save("lt147.pcap", &u, 0);
  CHECK_INT(read_all(p, NULL, &d, &r, NULL), SVP_ERR_LINKTYPE);
  CHECK(strstr(last, "link type 147") && strstr(last, "lt147.pcap"));
}

static void test_pcapng(void)
{
  struct svp_diag d = {.emit = keep};
  struct rd r;
  struct svp_capture_stats st;
  struct buf w = {.n = 0};
  ng_shb(&w);
  ng_idb(&w, 1, -1);       /* Ethernet, µs */
  ng_idb(&w, 101, 9);      /* raw IP, ns */
  ng_other(&w, 4);         /* name resolution block: skipped */
  ng_epb(&w, 0, 1500000000000001ull, eth, neth);
  ng_epb(&w, 1, 1500000000123456789ull, raw, nraw);
  ng_spb(&w, eth, neth);
  ng_other(&w, 5);         /* interface statistics: skipped */
  const char *p = save("mixed.pcapng", &w, 0);
  CHECK_INT(read_all(p, NULL, &d, &r, &st), SVP_OK);
  CHECK_INT(r.n, 3);
  CHECK(r.f[0].linktype == 1 && r.f[1].linktype == 101 && r.f[2].linktype == 1);
  CHECK(r.f[0].ts_us == 1500000000000001ll && r.f[1].ts_us == 1500000000123456ll);
  CHECK(r.f[2].frame == 3 && memcmp(r.data[1], raw, nraw) == 0);
  CHECK(st.format == SVP_CAP_PCAPNG && st.linktype == 1 && st.bytes == w.n);
  /* every frame decodes to the same TCP packet whatever its link type */
  for (int i = 0; i < r.n; i++) {
    struct svp_pkt pk;
    CHECK(svp_decode(r.f[i].linktype, r.data[i], r.f[i].caplen, &pk) == SVP_DW_OK &&
          pk.dport == 502);
  }
  /* the filter runs per link type; frame numbers stay file positions */
  CHECK_INT(read_all(p, "tcp port 502 and host 10.1.2.3", &d, &r, &st), SVP_OK);
  CHECK(r.n == 3 && r.f[1].frame == 2);
  CHECK_INT(read_all(p, "udp", &d, &r, &st), SVP_OK);
  CHECK(r.n == 0 && st.filtered == 3);
  /* a second section, big-endian, with its own interfaces */
  struct buf be = {.n = 0, .be = true};
  ng_shb(&be);
  ng_idb(&be, 101, -1);
  ng_epb(&be, 0, 7000000, raw, nraw);
  ng_epb(&be, 3, 7000001, raw, nraw); /* no interface 3: warned, skipped */
  memcpy(w.b + w.n, be.b, be.n);
  w.n += be.n;
  unsigned warn0 = d.n_warn;
  p = save("two-sections.pcapng", &w, 0);
  CHECK_INT(read_all(p, NULL, &d, &r, NULL), SVP_OK);
  CHECK(r.n == 4 && r.f[3].linktype == 101 && r.f[3].ts_us == 7000000);
  CHECK_INT(d.n_warn, warn0 + 1);
  /* truncated in the middle of a block */
  p = save("cut.pcapng", &w, w.n - 7);
  CHECK_INT(read_all(p, NULL, &d, &r, &st), SVP_OK);
  CHECK(r.n == 4 && st.truncated);
  CHECK(strstr(last, "cut.pcapng: frame 5:") != NULL);
}

static void test_not_captures(void)
{
  struct svp_diag d = {.emit = keep};
  struct rd r;
  struct buf w = {.n = 0};
  put(&w, "hello, this is text\n", 20);
  CHECK_INT(read_all(save("text.pcap", &w, 0), NULL, &d, &r, NULL), SVP_ERR_PARSE);
  CHECK(strstr(last, "not a pcap or pcapng file") != NULL);
  CHECK_INT(read_all(save("empty.pcap", &w, 1), NULL, &d, &r, NULL), SVP_ERR_PARSE);
  char p[128];
  snprintf(p, sizeof p, "%s/missing.pcap", dir);
  CHECK_INT(read_all(p, NULL, &d, &r, NULL), SVP_ERR_IO);
  CHECK(strstr(last, "missing.pcap: cannot open") != NULL);
  CHECK_INT(read_all(dir, NULL, &d, &r, NULL), SVP_ERR_IO);
  /* a pcapng block with an absurd length */
  struct buf g = {.n = 0};
  ng_shb(&g);
  u32(&g, 6);
  u32(&g, 0x7ffffff0);
  CHECK_INT(read_all(save("huge-block.pcapng", &g, 0), NULL, &d, &r, NULL), SVP_OK);
  CHECK(r.n == 0 && r.rc == SVP_ERR_PARSE);
}

/* Several files in one pipeline: one missing in the middle, the others read,
 * and a flow that continues from the first file into the third. */
static void test_pipeline_files(void)
{
  uint8_t a[256], b[256];
  size_t na = tp_tcp(a, "10.5.0.1", 40000, "10.5.0.2", 502, 1, 1, SVP_TH_PSH | SVP_TH_ACK,
                     "req");
  size_t nb = tp_tcp(b, "10.5.0.2", 502, "10.5.0.1", 40000, 1, 4, SVP_TH_PSH | SVP_TH_ACK,
                     "resp");
  struct buf w1 = {.n = 0}, w3 = {.n = 0};
  pcap_hdr(&w1, 0xa1b2c3d4, 101);
  pcap_rec(&w1, 1000, 0, a, na);
  struct buf n3 = {.n = 0};
  ng_shb(&n3);
  ng_idb(&n3, 101, -1);
  ng_epb(&n3, 0, 1001000000ull, b, nb);
  w3 = n3;
  struct svp_config cfg;
  tp_config(&cfg);
  cfg.inputs[0] = save("part1.pcap", &w1, 0);
  static char missing[128];
  snprintf(missing, sizeof missing, "%s/part2-missing.pcap", dir);
  cfg.inputs[1] = missing;
  cfg.inputs[2] = save("part3.pcapng", &w3, 0);
  cfg.n_inputs = 3;
  struct svp_diag d = {.emit = keep};
  struct tp_rec rec = {0};
  struct svp_flow_sink s = tp_sink(&rec);
  struct svp_pipeline *pl;
  CHECK_INT(svp_pipeline_new(&cfg, &s, &d, &pl), SVP_OK);
  CHECK_INT(svp_pipeline_run(pl), SVP_OK);
  svp_pipeline_finish(pl);
  const struct svp_pipeline_stats *ps = svp_pipeline_stats(pl);
  CHECK(ps->n_inputs == 3 && ps->inputs_failed == 1 && ps->frames == 2);
  CHECK(ps->inputs[0].opened && !ps->inputs[1].opened && ps->inputs[2].opened);
  CHECK_INT(ps->inputs[1].status, SVP_ERR_IO);
  CHECK_INT(rec.n, 1);
  if (rec.n == 1) {
    CHECK_STR(tp_bytes(&rec.v[0], SVP_C2S), "req");
    CHECK_STR(tp_bytes(&rec.v[0], SVP_S2C), "resp");
    CHECK(rec.v[0].f.dir[SVP_S2C].first.file == 2 && rec.v[0].f.first.file == 0);
  }
  svp_pipeline_free(pl);
  tp_rec_free(&rec);
  /* a filter that does not compile is refused up front, naming it */
  cfg.bpf = (char *)"tcp port nonsense";
  CHECK_INT(svp_pipeline_new(&cfg, &s, &d, &pl), SVP_ERR_FILTER);
  CHECK(strstr(last, "tcp port nonsense") != NULL);
}

int main(void)
{
  snprintf(dir, sizeof dir, "/tmp/svp-test-capture.XXXXXX");
  if (!mkdtemp(dir))
    return 1;
  size_t n = tp_tcp(raw, "10.1.2.3", 40000, "10.9.8.7", 502, 1, 1, SVP_TH_ACK, "hi");
  nraw = n;
  neth = tp_eth(eth, NULL, NULL, 0, raw, nraw);
  test_pcap();
  test_pcapng();
  test_not_captures();
  test_pipeline_files();
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0)
    tap_note("could not remove %s", dir);
  return tap_done();
}
