/* match_index.c: the per-probe first-byte index over the rules' literal
 * prefixes (see rules_int.h). A rule with a prefix goes into the bucket of
 * its first byte (both cases for a caseless letter); a rule without one
 * goes into every bucket. Buckets keep try order. */
#include "rules_int.h"

#include <stdlib.h>
#include <string.h>

static int other_case(uint8_t c)
{
  if (c >= 'a' && c <= 'z')
    return c - 32;
  if (c >= 'A' && c <= 'Z')
    return c + 32;
  return -1;
}

/* The buckets a rule belongs to; returns how many were written. */
static unsigned buckets_of(const struct svp_lit *lit, unsigned out[257])
{
  if (lit->prefix_len == 0) {
    for (unsigned b = 0; b <= 256; b++)
      out[b] = b;
    return 257;
  }
  unsigned n = 0;
  out[n++] = lit->prefix[0];
  int oc = lit->caseless ? other_case(lit->prefix[0]) : -1;
  if (oc >= 0)
    out[n++] = (unsigned)oc;
  return n;
}

int svp_index_build(const struct svp_probe *p, struct svp_probe_index **out)
{
  struct svp_probe_index *ix = calloc(1, sizeof *ix);
  if (!ix)
    return SVP_ERR_NOMEM;
  uint32_t count[257] = {0};
  unsigned bk[257];
  for (size_t j = 0; j < p->n_rules; j++) {
    unsigned nb = buckets_of(&svp_rule_rt(p->rules[j])->lit, bk);
    for (unsigned k = 0; k < nb; k++)
      count[bk[k]]++;
  }
  uint32_t total = 0;
  for (unsigned b = 0; b <= 256; b++) {
    ix->off[b] = total;
    total += count[b];
  }
  ix->off[257] = total;
  ix->list = malloc((total ? total : 1) * sizeof *ix->list);
  if (!ix->list) {
    free(ix);
    return SVP_ERR_NOMEM;
  }
  uint32_t fill[257];
  memcpy(fill, ix->off, sizeof fill);
  for (size_t j = 0; j < p->n_rules; j++) {
    unsigned nb = buckets_of(&svp_rule_rt(p->rules[j])->lit, bk);
    for (unsigned k = 0; k < nb; k++)
      ix->list[fill[bk[k]]++] = (uint32_t)j;
  }
  *out = ix;
  return SVP_OK;
}

void svp_index_free(struct svp_probe_index *ix)
{
  if (ix) {
    free(ix->list);
    free(ix);
  }
}
