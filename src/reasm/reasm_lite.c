/* reasm_lite.c: a small TCP reassembler for what libnids cannot take.
 *
 * Per direction it keeps the next expected sequence number and a short,
 * sorted list of out-of-order pieces that never overlap (the bytes received
 * first win, as in libnids). In-order bytes go straight to the flow table.
 * A hole (bytes the capture never got) is skipped and marked once the
 * evidence says the bytes will not come: the receiver acknowledged past it,
 * enough packets went by, the buffer bound was reached, a segment arrived
 * far beyond it, or the flow ended. Only the first few KB of each direction
 * matter, so buffered bytes are bounded per direction. */
#include "svp/reasm/reasm.h"

#include <stdlib.h>
#include <string.h>

#define OOO_MAX_BYTES (16u * 1024) /* buffered out-of-order bytes per direction */
#define OOO_MAX_SEGS 24            /* buffered pieces per direction */
#define FAR_WINDOW (256u * 1024)   /* a segment further ahead resynchronises */
#define HOLE_AGE_ACKED 3           /* packets to wait once the peer acked past the hole */
#define HOLE_AGE_MAX 32            /* packets to wait without that evidence */

struct lite_seg {
  struct lite_seg *next;
  uint32_t seq;
  uint32_t len;      /* bytes in data */
  uint32_t missing;  /* bytes cut by the snap length right after data */
  uint8_t data[];
};

struct lite_half {
  uint32_t next;         /* next expected sequence number (valid if started) */
  bool started;
  bool peer_acked;       /* the other side acknowledged past next (hole is real) */
  uint16_t hole_age;     /* flow packets since the hole appeared */
  uint16_t ooo_n;
  uint32_t ooo_bytes;
  struct lite_seg *ooo;  /* sorted by seq, non-overlapping, all after next */
};

struct svp_lite {
  struct lite_half h[2];
};

static inline int32_t seq_diff(uint32_t a, uint32_t b)
{
  return (int32_t)(a - b);
}

int svp_lite_attach(struct svp_flowtab *ft, struct svp_ftent *e, const bool known[2],
                    const uint32_t next[2])
{
  if (!e->lite) {
    e->lite = calloc(1, sizeof *e->lite);
    if (!e->lite)
      return SVP_ERR_NOMEM;
    svp_ft_mem(ft, (int64_t)sizeof *e->lite);
  }
  for (int d = 0; d < 2; d++)
    if (known && known[d]) {
      e->lite->h[d].next = next[d];
      e->lite->h[d].started = true;
    }
  return SVP_OK;
}

static void seg_free(struct svp_flowtab *ft, struct lite_half *h, struct lite_seg *s)
{
  h->ooo_bytes -= s->len;
  h->ooo_n--;
  svp_ft_mem(ft, -(int64_t)(sizeof *s + s->len));
  free(s);
}

static void half_clear(struct svp_flowtab *ft, struct lite_half *h)
{
  while (h->ooo) {
    struct lite_seg *s = h->ooo;
    h->ooo = s->next;
    seg_free(ft, h, s);
  }
  h->hole_age = 0;
  h->peer_acked = false;
}

void svp_lite_free(struct svp_flowtab *ft, struct svp_ftent *e)
{
  if (!e->lite)
    return;
  half_clear(ft, &e->lite->h[0]);
  half_clear(ft, &e->lite->h[1]);
  free(e->lite);
  e->lite = NULL;
  svp_ft_mem(ft, -(int64_t)sizeof(struct svp_lite));
}

void svp_lite_swap(struct svp_ftent *e)
{
  if (!e->lite)
    return;
  struct lite_half t = e->lite->h[0];
  e->lite->h[0] = e->lite->h[1];
  e->lite->h[1] = t;
}

/* Deliver len bytes at sequence seq (seq <= next) of direction d, minus
 * what was already delivered, then `missing` bytes cut by the snap length.
 * Returns false once the flow stopped collecting. */
static bool deliver_at(struct svp_flowtab *ft, struct svp_ftent *e, enum svp_dir_id d,
                       uint32_t seq, const uint8_t *data, uint32_t len, uint32_t missing)
{
  struct lite_half *h = &e->lite->h[d];
  uint32_t skip = (uint32_t)seq_diff(h->next, seq);
  uint32_t total = len + missing;
  if (skip >= total)
    return true;
  if (skip < len) {
    uint32_t n = len - skip;
    h->next += n;
    if (!svp_ft_deliver(ft, e, d, data + skip, n))
      return false;
    skip = len;
  }
  if (missing) {
    uint32_t gap = total - skip;
    h->next += gap;
    svp_ft_gap(ft, e, d, gap);
  }
  return true;
}

/* Deliver buffered pieces that the stream position has reached. */
static bool drain(struct svp_flowtab *ft, struct svp_ftent *e, enum svp_dir_id d)
{
  struct lite_half *h = &e->lite->h[d];
  while (h->ooo && seq_diff(h->ooo->seq, h->next) <= 0) {
    struct lite_seg *s = h->ooo;
    h->ooo = s->next;
    bool go = deliver_at(ft, e, d, s->seq, s->data, s->len, s->missing);
    seg_free(ft, h, s);
    if (!go)
      return false;
  }
  if (!h->ooo) {
    h->hole_age = 0;
    h->peer_acked = false;
  }
  return true;
}

/* Give up on the hole before the first buffered piece: mark it, go on. */
static bool skip_hole(struct svp_flowtab *ft, struct svp_ftent *e, enum svp_dir_id d)
{
  struct lite_half *h = &e->lite->h[d];
  if (!h->ooo)
    return true;
  uint32_t missing = (uint32_t)seq_diff(h->ooo->seq, h->next);
  h->next = h->ooo->seq;
  svp_ft_gap(ft, e, d, missing);
  return drain(ft, e, d);
}

/* Insert [seq, seq+len) (after next) into the out-of-order list, keeping
 * only bytes no earlier piece holds. */
static void buffer_ooo(struct svp_flowtab *ft, struct svp_ftent *e, enum svp_dir_id d,
                       uint32_t seq, const uint8_t *data, uint32_t len, uint32_t missing)
{
  struct lite_half *h = &e->lite->h[d];
  struct svp_flowtab_stats *st = svp_ft_stats(ft);
  struct lite_seg **pp = &h->ooo;
  if (!h->ooo) {
    h->hole_age = 0;
    h->peer_acked = false;
  }
  while (len > 0) {
    /* Skip pieces that end before seq. */
    while (*pp && seq_diff((*pp)->seq + (*pp)->len, seq) <= 0)
      pp = &(*pp)->next;
    struct lite_seg *nx = *pp;
    uint32_t take = len;
    if (nx) {
      int32_t room = seq_diff(nx->seq, seq);
      if (room <= 0) {
        /* seq lies inside nx: drop the overlapping bytes. */
        uint32_t ov = (uint32_t)seq_diff(nx->seq + nx->len, seq);
        if (ov >= len)
          return; /* all held already (a cut tail is left to the hole logic) */
        seq += ov;
        data += ov;
        len -= ov;
        pp = &nx->next;
        continue;
      }
      if ((uint32_t)room < take)
        take = (uint32_t)room;
    }
    if (take == 0)
      return;
    if (h->ooo_n >= OOO_MAX_SEGS || h->ooo_bytes + take > OOO_MAX_BYTES) {
      st->ooo_dropped_bytes += take;
      return;
    }
    struct lite_seg *s = malloc(sizeof *s + take);
    if (!s) {
      st->ooo_dropped_bytes += take;
      return;
    }
    s->seq = seq;
    s->len = take;
    s->missing = take == len ? missing : 0;
    memcpy(s->data, data, take);
    s->next = nx;
    *pp = s;
    h->ooo_n++;
    h->ooo_bytes += take;
    svp_ft_mem(ft, (int64_t)(sizeof *s + take));
    pp = &s->next;
    if (take == len)
      return;
    seq += take;
    data += take;
    len -= take;
  }
}

static bool full_or_stopped(struct svp_ftent *e)
{
  return !e->collecting || !e->lite;
}

void svp_lite_packet(struct svp_flowtab *ft, struct svp_ftent *e, enum svp_dir_id d,
                     const struct svp_pkt *p)
{
  struct svp_lite *L = e->lite;
  if (!L)
    return;
  struct lite_half *h = &L->h[d];
  struct lite_half *o = &L->h[!d];
  uint8_t fl = p->tcp_flags;

  /* What the peer acknowledges tells us a hole in the other direction is
   * real (the receiver got those bytes; the capture did not). */
  if ((fl & SVP_TH_ACK) && o->started && o->ooo && seq_diff(p->ack, o->next) > 0)
    o->peer_acked = true;

  if (fl & SVP_TH_SYN) {
    if (!h->started || (!e->delivered && e->f.dir[d].len == 0)) {
      h->next = p->seq + 1;
      h->started = true;
    }
    return;
  }
  if (p->paylen > 0) {
    uint32_t seq = p->seq;
    uint32_t cap = p->paycap, missing = p->paylen - p->paycap;
    if (!h->started) {
      h->next = seq;
      h->started = true;
    }
    int32_t rel = seq_diff(seq, h->next);
    if (rel > (int32_t)FAR_WINDOW) {
      /* Far ahead: a large part of the stream is missing. Resynchronise. */
      while (h->ooo)
        if (!skip_hole(ft, e, d))
          return;
      if (full_or_stopped(e))
        return;
      svp_ft_gap(ft, e, d, (uint32_t)seq_diff(seq, h->next));
      h->next = seq;
      rel = 0;
    }
    if (rel <= 0) {
      if (seq_diff(seq + p->paylen, h->next) <= 0) {
        svp_ft_stats(ft)->old_segments++;
      } else {
        if (!deliver_at(ft, e, d, seq, p->payload, cap, missing))
          return;
        if (!drain(ft, e, d))
          return;
      }
    } else {
      buffer_ooo(ft, e, d, seq, p->payload, cap, missing);
    }
  }
  /* Age the holes of both directions; skip those that will not fill. */
  for (int k = 0; k < 2; k++) {
    if (full_or_stopped(e))
      return;
    struct lite_half *x = &L->h[k];
    if (!x->ooo)
      continue;
    x->hole_age++;
    bool give_up = x->ooo_bytes >= OOO_MAX_BYTES || x->ooo_n >= OOO_MAX_SEGS ||
                   (x->peer_acked && x->hole_age >= HOLE_AGE_ACKED) ||
                   x->hole_age >= HOLE_AGE_MAX;
    if (give_up && !skip_hole(ft, e, (enum svp_dir_id)k))
      return;
  }
}

void svp_lite_flush(struct svp_flowtab *ft, struct svp_ftent *e)
{
  for (int d = 0; d < 2; d++) {
    while (e->lite && e->collecting && e->lite->h[d].ooo)
      if (!skip_hole(ft, e, (enum svp_dir_id)d))
        return;
  }
}
