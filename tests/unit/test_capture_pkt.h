/* test_capture_pkt.h: packet builders and a recording flow sink for the
 * capture layer's unit tests (header-only: each test is one program).
 *
 * Builders write a raw IP packet (IPv4 or IPv6, TCP or UDP, checksums
 * right) into a caller buffer; link-layer helpers wrap it. The recorder
 * keeps a copy of every flow handed to on_end. */
#ifndef TEST_CAPTURE_PKT_H
#define TEST_CAPTURE_PKT_H

#include "svp/capture/decode.h"
#include "svp/reasm/flow.h"
#include "svp/reasm/pipeline.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

static inline void tp_put16(uint8_t *p, uint16_t v)
{
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

static inline void tp_put32(uint8_t *p, uint32_t v)
{
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

/* Address text -> struct svp_addr (IPv4 or IPv6 by the text). */
static inline struct svp_addr tp_addr(const char *s)
{
  struct svp_addr a;
  memset(&a, 0, sizeof a);
  if (strchr(s, ':')) {
    a.family = 6;
    inet_pton(AF_INET6, s, a.b);
  } else {
    a.family = 4;
    inet_pton(AF_INET, s, a.b);
  }
  return a;
}

struct tp_l4 {
  uint8_t proto;          /* 6 or 17 */
  uint16_t sport, dport;
  uint32_t seq, ack;
  uint8_t flags;          /* SVP_TH_* */
  const void *pay;
  size_t n;
  uint8_t ttl;            /* 0 = 64 */
};

/* Transport header + payload at out, checksum over the pseudo-header. */
static inline size_t tp_l4_write(uint8_t *out, const struct svp_addr *s,
                                 const struct svp_addr *d, const struct tp_l4 *t)
{
  size_t hl = t->proto == 6 ? 20 : 8;
  memset(out, 0, hl);
  tp_put16(out, t->sport);
  tp_put16(out + 2, t->dport);
  if (t->proto == 6) {
    tp_put32(out + 4, t->seq);
    tp_put32(out + 8, t->ack);
    out[12] = 5 << 4;
    out[13] = t->flags;
    tp_put16(out + 14, 65535);
  } else {
    tp_put16(out + 4, (uint16_t)(8 + t->n));
  }
  if (t->n)
    memcpy(out + hl, t->pay, t->n);
  size_t len = hl + t->n;
  int al = s->family == 4 ? 4 : 16;
  uint32_t sum = svp_csum_partial(s->b, (size_t)al, 0);
  sum = svp_csum_partial(d->b, (size_t)al, sum);
  sum += t->proto + (uint32_t)len;
  uint16_t c = svp_csum_fold(svp_csum_partial(out, len, sum));
  if (t->proto == 17 && c == 0)
    c = 0xffff;
  tp_put16(out + (t->proto == 6 ? 16 : 6), c);
  return len;
}

/* A whole IP packet (version from the addresses). Returns its length. */
static inline size_t tp_ip(uint8_t *out, const char *src, const char *dst,
                           const struct tp_l4 *t)
{
  struct svp_addr s = tp_addr(src), d = tp_addr(dst);
  uint8_t ttl = t->ttl ? t->ttl : 64;
  if (s.family == 4) {
    size_t l4 = tp_l4_write(out + 20, &s, &d, t);
    memset(out, 0, 20);
    out[0] = 0x45;
    tp_put16(out + 2, (uint16_t)(20 + l4));
    out[8] = ttl;
    out[9] = t->proto;
    memcpy(out + 12, s.b, 4);
    memcpy(out + 16, d.b, 4);
    tp_put16(out + 10, svp_csum_fold(svp_csum_partial(out, 20, 0)));
    return 20 + l4;
  }
  size_t l4 = tp_l4_write(out + 40, &s, &d, t);
  memset(out, 0, 40);
  out[0] = 0x60;
  tp_put16(out + 4, (uint16_t)l4);
  out[6] = t->proto;
  out[7] = ttl;
  memcpy(out + 8, s.b, 16);
  memcpy(out + 24, d.b, 16);
  return 40 + l4;
}

static inline size_t tp_tcp(uint8_t *out, const char *src, uint16_t sport, const char *dst,
                            uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
                            const char *pay)
{
  struct tp_l4 t = {.proto = 6, .sport = sport, .dport = dport, .seq = seq, .ack = ack,
                    .flags = flags, .pay = pay, .n = pay ? strlen(pay) : 0};
  return tp_ip(out, src, dst, &t);
}

static inline size_t tp_udp(uint8_t *out, const char *src, uint16_t sport, const char *dst,
                            uint16_t dport, const char *pay)
{
  struct tp_l4 t = {.proto = 17, .sport = sport, .dport = dport, .pay = pay,
                    .n = pay ? strlen(pay) : 0};
  return tp_ip(out, src, dst, &t);
}

/* Ethernet header with tags (tpids[i], vlan ids[i]) in front of an IP packet
 * of length n at ip; written to out. Returns the frame length. */
static inline size_t tp_eth(uint8_t *out, const uint16_t *tpids, const uint16_t *ids,
                            int ntags, const uint8_t *ip, size_t n)
{
  size_t o = 0;
  memset(out, 0x02, 12);
  o = 12;
  for (int i = 0; i < ntags; i++) {
    tp_put16(out + o, tpids[i]);
    tp_put16(out + o + 2, ids[i]);
    o += 4;
  }
  tp_put16(out + o, (ip[0] >> 4) == 6 ? 0x86dd : 0x0800);
  o += 2;
  memcpy(out + o, ip, n);
  return o + n;
}

/* A configuration for the capture layer: zero means "the layer's default"
 * for the bounds (flows, memory, idle time, server bytes); client bytes are
 * set explicitly (main.c's default). */
static inline void tp_config(struct svp_config *cfg)
{
  memset(cfg, 0, sizeof *cfg);
  cfg->cli_bytes = 2048;
}

/* ---- a sink that records every ended flow ---- */

struct tp_flow {
  struct svp_flow f;           /* copy; data pointers replaced by ours */
  uint8_t *data[2];
};

struct tp_rec {
  struct tp_flow *v;
  size_t n, cap;
  unsigned on_data_calls;
  bool decide_at_srv;          /* return true once the server sent anything */
};

static inline bool tp_on_data(void *ud, struct svp_flow *f, enum svp_dir_id d)
{
  struct tp_rec *r = ud;
  r->on_data_calls++;
  return r->decide_at_srv && d == SVP_S2C && f->dir[SVP_S2C].len > 0;
}

static inline void tp_on_end(void *ud, struct svp_flow *f)
{
  struct tp_rec *r = ud;
  if (r->n == r->cap) {
    r->cap = r->cap ? r->cap * 2 : 16;
    r->v = realloc(r->v, r->cap * sizeof *r->v);
  }
  struct tp_flow *t = &r->v[r->n++];
  t->f = *f;
  for (int d = 0; d < 2; d++) {
    t->data[d] = NULL;
    if (f->dir[d].data && f->dir[d].len) {
      t->data[d] = malloc(f->dir[d].len + 1);
      memcpy(t->data[d], f->dir[d].data, f->dir[d].len);
      t->data[d][f->dir[d].len] = 0;
    }
    t->f.dir[d].data = t->data[d];
  }
}

static inline void tp_rec_free(struct tp_rec *r)
{
  for (size_t i = 0; i < r->n; i++)
    for (int d = 0; d < 2; d++)
      free(r->v[i].data[d]);
  free(r->v);
  memset(r, 0, sizeof *r);
}

static inline struct svp_flow_sink tp_sink(struct tp_rec *r)
{
  struct svp_flow_sink s = {.on_data = tp_on_data, .on_end = tp_on_end, .ud = r};
  return s;
}

/* Kept bytes of direction d as a C string ("" if none). */
static inline const char *tp_bytes(const struct tp_flow *t, enum svp_dir_id d)
{
  return t->data[d] ? (const char *)t->data[d] : "";
}

/* One test run through the pipeline: config, diagnostics, recorder, clock. */
struct tp_run {
  struct svp_config cfg;
  struct svp_diag diag;
  struct tp_rec rec;
  struct svp_pipeline *pl;
  uint64_t frame;
  int64_t t;
};

/* Feed one raw-IP frame (link type RAW) with a frame number and time. */
static inline void tp_feed(struct svp_pipeline *pl, const uint8_t *ip, size_t n,
                           uint64_t frame, int64_t ts_us)
{
  struct svp_frame f = {.linktype = SVP_LT_RAW, .data = ip, .caplen = (uint32_t)n,
                        .len = (uint32_t)n, .ts_us = ts_us, .frame = frame};
  svp_pipeline_frame(pl, &f, 0);
}

#endif
