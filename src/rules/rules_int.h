/* rules_int.h: what the rule loader shares with the matcher (private).
 *
 * Each compiled rule's svp_rule.priv points to its struct svp_rule_rt;
 * each probe's svp_probe.priv points to its struct svp_probe_index (built
 * by match_index.c during svp_rules_compile). Both are owned by the
 * ruleset and read-only after compile. */
#ifndef SVP_RULES_INT_H
#define SVP_RULES_INT_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "prefix.h"
#include "svp/rules/rules.h"

/* nmap's PCRE limits (service_scan.cc). */
#define SVP_MATCH_LIMIT 100000
#define SVP_DEPTH_LIMIT 10000

struct svp_rule_rt {
  pcre2_code *re;
  uint32_t minlen;        /* PCRE2_INFO_MINLENGTH */
  uint32_t captures;      /* PCRE2_INFO_CAPTURECOUNT */
  bool jit;               /* JIT code present */
  struct svp_lit lit;     /* literal prefix and grams */
};

static inline const struct svp_rule_rt *svp_rule_rt(const struct svp_rule *r)
{
  return (const struct svp_rule_rt *)r->priv;
}

/* The index of one probe: for each first byte b of a response, the rules
 * that can match it are p->rules[list[off[b]] .. list[off[b+1]-1]] (in try
 * order); bucket 256 is for the empty response. */
struct svp_probe_index {
  uint32_t off[258];
  uint32_t *list;
};

/* Build / free a probe's index (match_index.c). */
int svp_index_build(const struct svp_probe *p, struct svp_probe_index **out);
void svp_index_free(struct svp_probe_index *ix);

/* Highest capture count of any compiled rule (for match data). */
uint32_t svp_rules_max_captures(const struct svp_ruleset *rs);

/* svp_rules_compile() has run (indexes and chains exist). */
bool svp_rules_is_compiled(const struct svp_ruleset *rs);

#endif
