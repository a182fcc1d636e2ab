/* match.h: run server bytes through a probe's rules the way nmap does.
 *
 * Order (nmap's servicescan_read_handler): the probe's own lines, then each
 * probe of its fallback chain, then (TCP) the NULL probe; within one probe
 * the lines in try order; the FIRST line that matches wins, soft or hard.
 * PCRE2 match limit 100000 and depth limit 10000 as nmap; a limit hit
 * counts as no match (and is counted in the stats).
 *
 * Speed: each probe has a literal-prefix index (built by svp_rules_compile):
 * a response is only tried against the lines whose literal prefix it
 * starts with, whose PCRE2 minimum length it reaches and whose required
 * 4-byte literal windows it contains. These are necessary conditions, so
 * use_index=false (every line, in order) gives the same verdicts; the
 * tests check this on the whole system file. JIT code is used where the
 * ruleset has it (bench/README-match.md: JIT wins after the index).
 *
 * A matcher holds per-thread scratch (match data, JIT stack, an 8 KB
 * bitmap). It borrows the ruleset, which must be compiled and outlive it.
 * One matcher per thread. */
#ifndef SVP_MATCH_H
#define SVP_MATCH_H

#include "svp/base/common.h"
#include "svp/rules/rules.h"
#include "svp/rules/template.h"

struct svp_matcher;

enum svp_verdict { SVP_NOMATCH = 0, SVP_SOFT = 1, SVP_HARD = 2 };

struct svp_match {
  enum svp_verdict verdict;
  const struct svp_rule *rule;          /* the line that matched (ruleset-owned) */
  const struct svp_probe *probe;        /* the probe asked for */
  const struct svp_probe *matched_in;   /* chain member whose line matched */
  struct svp_fields fields;             /* expanded templates */
};

struct svp_match_stats {
  uint64_t calls;          /* svp_match_* calls */
  uint64_t candidates;     /* rules that passed the index */
  uint64_t regex_runs;     /* pcre2 matches executed */
  uint64_t limit_hits;     /* match/depth limit reached */
  uint64_t jit_compiled;   /* rules given a lazy JIT copy by this matcher */
};

struct svp_matcher_opts {
  bool use_index;  /* true: literal-prefix index (default); false: try every line */
  /* Lazy JIT: a rule without JIT code gets this matcher's own JIT-compiled
   * copy once it has run this many times here (0 = never; default 8).
   * The ruleset itself stays read-only, so matchers on other threads are
   * unaffected. Rules the ruleset already JIT-compiled use that code. */
  unsigned jit_after;
};

#define SVP_JIT_AFTER_DEFAULT 8

/* SVP_OK, SVP_ERR_ARG if rs is not compiled, or SVP_ERR_NOMEM. */
int svp_matcher_new(const struct svp_ruleset *rs,
                    const struct svp_matcher_opts *opts, /* NULL = defaults */
                    struct svp_matcher **out);
void svp_matcher_free(struct svp_matcher *m);

/* Match resp (borrowed; NULL with len 0 is the empty response) against
 * probe's chain. Fills *out (verdict SVP_NOMATCH, rule and matched_in NULL,
 * fields empty when nothing matched). The fields are expanded with nmap's
 * group rules: $n with n >= the count PCRE2 reports empties that field. */
enum svp_verdict svp_match_response(struct svp_matcher *m,
                                    const struct svp_probe *probe,
                                    const uint8_t *resp, size_t len,
                                    struct svp_match *out);

/* Only the probe's own lines, no fallbacks, no NULL probe. */
enum svp_verdict svp_match_probe_only(struct svp_matcher *m,
                                      const struct svp_probe *probe,
                                      const uint8_t *resp, size_t len,
                                      struct svp_match *out);

/* One line only (rule, owned by this matcher's ruleset), as if it were
 * tried from probe's chain: out->probe = probe, out->matched_in = the
 * rule's own probe. The index's necessary conditions are checked first.
 * For re-checking a line that identified the same server before. */
enum svp_verdict svp_match_rule(struct svp_matcher *m, const struct svp_probe *probe,
                                const struct svp_rule *rule, const uint8_t *resp,
                                size_t len, struct svp_match *out);
/* Every line of every probe of this protocol, probes in file order (the
 * "wide search", lower confidence, and the benchmark's full sweep).
 * out->probe is set to the probe whose line matched (NULL if none). */
enum svp_verdict svp_match_sweep(struct svp_matcher *m, enum svp_l4 l4,
                                 const uint8_t *resp, size_t len,
                                 struct svp_match *out);

const struct svp_match_stats *svp_matcher_stats(const struct svp_matcher *m);

#endif
