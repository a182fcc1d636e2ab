/* csum.c: the checksum policy (see csum.h). */
#include "svp/capture/csum.h"

#include <stdlib.h>
#include <string.h>

#define SRC_SLOTS 8192     /* sources remembered per input (power of 2) */
#define SRC_PROBES 8       /* open-addressing probes before giving up */
#define TRUST_GOOD 8       /* good packets before a source is trusted */
#define TRUST_RATIO 16     /* ... with at most one bad per this many good */

struct src_slot {
  struct svp_addr a;
  uint32_t good, bad;
};

/* Probes read only tag[] (32 KB, stays in cache): a source is compared,
 * and its slot read, only when its tag matches; 0 marks a free slot. */
struct svp_csum_policy {
  enum svp_csum_mode mode;
  unsigned n_used;
  uint32_t tag[SRC_SLOTS];
  struct src_slot slot[SRC_SLOTS];
};

int svp_csum_new(enum svp_csum_mode mode, struct svp_csum_policy **out)
{
  struct svp_csum_policy *cp = calloc(1, sizeof *cp);
  if (!cp)
    return SVP_ERR_NOMEM;
  cp->mode = mode;
  *out = cp;
  return SVP_OK;
}

void svp_csum_reset(struct svp_csum_policy *cp)
{
  if (cp->n_used == 0)
    return;
  memset(cp->tag, 0, sizeof cp->tag);
  memset(cp->slot, 0, sizeof cp->slot);
  cp->n_used = 0;
}

static uint32_t addr_hash(const struct svp_addr *a)
{
  uint64_t x, y;
  memcpy(&x, a->b, 8);
  memcpy(&y, a->b + 8, 8);
  x = (x ^ (y * 0x9e3779b97f4a7c15ull) ^ a->family) * 0xff51afd7ed558ccdull;
  return (uint32_t)(x >> 32);
}

static bool same_addr(const struct svp_addr *x, const struct svp_addr *y)
{
  return x->family == y->family && memcmp(x->b, y->b, 16) == 0;
}

/* The slot of source a, created if there is room; NULL when full. */
static struct src_slot *src_slot(struct svp_csum_policy *cp, const struct svp_addr *a)
{
  uint32_t h = addr_hash(a), tag = h | 1, i = h & (SRC_SLOTS - 1);
  for (unsigned probe = 0; probe < SRC_PROBES; probe++, i = (i + 1) & (SRC_SLOTS - 1)) {
    if (cp->tag[i] == 0) {
      if (cp->n_used >= SRC_SLOTS / 2)
        return NULL; /* keep probes short: remember at most half the slots */
      cp->tag[i] = tag;
      cp->slot[i].a = *a;
      cp->n_used++;
      return &cp->slot[i];
    }
    if (cp->tag[i] == tag && same_addr(&cp->slot[i].a, a))
      return &cp->slot[i];
  }
  return NULL;
}

bool svp_csum_accept(struct svp_csum_policy *cp, const struct svp_pkt *p,
                     enum svp_csum_count *verdict)
{
  if (cp->mode == SVP_CSUM_OFF) {
    *verdict = SVP_CSC_NOT_CHECKED;
    return true;
  }
  enum svp_csum_state st = svp_pkt_csum(p);
  if (cp->mode == SVP_CSUM_ON) {
    switch (st) {
    case SVP_CS_GOOD: *verdict = SVP_CSC_GOOD; return true;
    case SVP_CS_UNCHECKED: *verdict = SVP_CSC_UNCHECKED; return true;
    default: *verdict = SVP_CSC_BAD_DROPPED; return false;
    }
  }
  struct src_slot *s;
  switch (st) {
  case SVP_CS_GOOD:
    if ((s = src_slot(cp, &p->src)) != NULL)
      s->good++;
    *verdict = SVP_CSC_GOOD;
    return true;
  case SVP_CS_UNCHECKED:
    *verdict = SVP_CSC_UNCHECKED;
    return true;
  case SVP_CS_OFFLOAD:
    *verdict = SVP_CSC_OFFLOAD;
    return true;
  default:
    s = src_slot(cp, &p->src);
    if (s) {
      s->bad++;
      if (s->good >= TRUST_GOOD && (uint64_t)s->bad * TRUST_RATIO <= s->good) {
        *verdict = SVP_CSC_BAD_DROPPED;
        return false;
      }
    }
    *verdict = SVP_CSC_BAD_KEPT;
    return true;
  }
}

size_t svp_csum_mem(const struct svp_csum_policy *cp)
{
  return sizeof *cp;
}

void svp_csum_free(struct svp_csum_policy *cp)
{
  free(cp);
}
