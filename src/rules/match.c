/* match.c: server bytes through a probe's rules, nmap's order, with the
 * literal-prefix index in front of PCRE2.
 *
 * Indexed path, per probe: the bucket of the response's first byte lists
 * the rules that can match (try order kept); each is then checked, cheapest
 * first, against PCRE2's minimum length, its literal prefix and its grams
 * (4-byte windows of required literal runs, tested against a bitmap of the
 * response's own 4-byte windows, built once per call when first needed).
 * Only what survives runs the regex. Every check is a necessary condition
 * for a match, so the verdict equals trying every line (use_index=false). */
#include "svp/rules/match.h"

#include "rules_int.h"

#include <stdlib.h>
#include <string.h>

#define GRAM_WORDS ((1u << SVP_GRAM_BITS) / 64)

struct svp_matcher {
  const struct svp_ruleset *rs;
  struct svp_matcher_opts opts;
  pcre2_match_data *md;
  pcre2_match_context *mctx;
  pcre2_jit_stack *jstack;
  pcre2_code **hot;         /* per-rule JIT copies (lazy JIT), NULL until needed */
  uint8_t *runs;            /* per-rule run counts, saturating, for lazy JIT */
  size_t n_rules;
  struct svp_match_stats stats;
  /* the response of the current call */
  const uint8_t *subj;
  size_t len;
  bool grams_built;
  uint64_t grams[GRAM_WORDS];
};

int svp_matcher_new(const struct svp_ruleset *rs, const struct svp_matcher_opts *opts,
                    struct svp_matcher **out)
{
  *out = NULL;
  if (!rs || !svp_rules_is_compiled(rs))
    return SVP_ERR_ARG;
  struct svp_matcher *m = calloc(1, sizeof *m);
  if (!m)
    return SVP_ERR_NOMEM;
  m->rs = rs;
  m->opts.use_index = true;
  m->opts.jit_after = SVP_JIT_AFTER_DEFAULT;
  if (opts)
    m->opts = *opts;
  m->n_rules = svp_rules_n_rules(rs);
  m->md = pcre2_match_data_create(svp_rules_max_captures(rs) + 1, NULL);
  m->mctx = pcre2_match_context_create(NULL);
  m->jstack = pcre2_jit_stack_create(32 * 1024, 1024 * 1024, NULL);
  if (!m->md || !m->mctx || !m->jstack) {
    svp_matcher_free(m);
    return SVP_ERR_NOMEM;
  }
  pcre2_set_match_limit(m->mctx, SVP_MATCH_LIMIT);
  pcre2_set_depth_limit(m->mctx, SVP_DEPTH_LIMIT);
  pcre2_jit_stack_assign(m->mctx, NULL, m->jstack);
  *out = m;
  return SVP_OK;
}

void svp_matcher_free(struct svp_matcher *m)
{
  if (!m)
    return;
  pcre2_match_data_free(m->md);
  pcre2_match_context_free(m->mctx);
  pcre2_jit_stack_free(m->jstack);
  if (m->hot)
    for (size_t i = 0; i < m->n_rules; i++)
      pcre2_code_free(m->hot[i]);
  free(m->hot);
  free(m->runs);
  free(m);
}

const struct svp_match_stats *svp_matcher_stats(const struct svp_matcher *m)
{
  return &m->stats;
}

static void begin(struct svp_matcher *m, const uint8_t *resp, size_t len,
                  const struct svp_probe *probe, struct svp_match *out)
{
  m->stats.calls++;
  m->subj = resp ? resp : (const uint8_t *)""; /* PCRE2 wants a pointer */
  m->len = resp ? len : 0;
  m->grams_built = false;
  memset(out, 0, sizeof *out);
  out->probe = probe;
}

static void finish(struct svp_matcher *m)
{
  if (!m->grams_built)
    return;
  if (m->len < 1024) { /* cheaper to clear the bits we set */
    for (size_t i = 0; i + 4 <= m->len; i++) {
      uint16_t h = svp_gram_hash(m->subj + i);
      m->grams[h >> 6] &= ~(1ull << (h & 63));
    }
  } else {
    memset(m->grams, 0, sizeof m->grams);
  }
  m->grams_built = false;
}

static bool grams_ok(struct svp_matcher *m, const struct svp_lit *lit)
{
  if (!m->grams_built) {
    for (size_t i = 0; i + 4 <= m->len; i++) {
      uint16_t h = svp_gram_hash(m->subj + i);
      m->grams[h >> 6] |= 1ull << (h & 63);
    }
    m->grams_built = true;
  }
  for (unsigned k = 0; k < lit->n_grams; k++) {
    uint16_t h = lit->gram[k];
    if (!(m->grams[h >> 6] & (1ull << (h & 63))))
      return false;
  }
  return true;
}

/* The code to run for a rule: the ruleset's (JIT or not), or this
 * matcher's own JIT copy once the rule has proved hot. Sets *jit. */
static const pcre2_code *code_for(struct svp_matcher *m, const struct svp_rule *r,
                                  const struct svp_rule_rt *rt, bool *jit)
{
  *jit = rt->jit;
  if (rt->jit || m->opts.jit_after == 0 || r->id >= m->n_rules)
    return rt->re;
  if (!m->runs) {
    m->runs = calloc(m->n_rules, 1);
    m->hot = calloc(m->n_rules, sizeof *m->hot);
    if (!m->runs || !m->hot) {
      free(m->runs);
      free(m->hot);
      m->runs = NULL;
      m->hot = NULL;
      m->opts.jit_after = 0; /* out of memory: stay with the interpreter */
      return rt->re;
    }
  }
  if (m->hot[r->id]) {
    *jit = true;
    return m->hot[r->id];
  }
  if (m->runs[r->id] < UINT8_MAX)
    m->runs[r->id]++;
  if (m->runs[r->id] == m->opts.jit_after || (m->opts.jit_after > UINT8_MAX &&
                                                m->runs[r->id] == UINT8_MAX)) {
    pcre2_code *copy = pcre2_code_copy(rt->re);
    if (copy && pcre2_jit_compile(copy, PCRE2_JIT_COMPLETE) == 0) {
      m->hot[r->id] = copy;
      m->stats.jit_compiled++;
      *jit = true;
      return copy;
    }
    pcre2_code_free(copy); /* JIT unavailable: keep interpreting */
  }
  return rt->re;
}

/* Run one rule's regex; returns the PCRE2 count (> 0) on a match. */
static int run_rule(struct svp_matcher *m, const struct svp_rule *r)
{
  const struct svp_rule_rt *rt = svp_rule_rt(r);
  bool jit;
  const pcre2_code *re = code_for(m, r, rt, &jit);
  int rc;
  m->stats.regex_runs++;
  if (jit)
    rc = pcre2_jit_match(re, m->subj, m->len, 0, 0, m->md, m->mctx);
  else
    rc = pcre2_match(re, m->subj, m->len, 0, 0, m->md, m->mctx);
  if (rc == 0)
    rc = (int)pcre2_get_ovector_count(m->md); /* cannot happen: md fits all */
  if (rc > 0)
    return rc;
  if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
      rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT)
    m->stats.limit_hits++;
  return 0;
}

static enum svp_verdict hit(struct svp_matcher *m, const struct svp_probe *p,
                            const struct svp_rule *r, int n_pairs, struct svp_match *out)
{
  out->verdict = r->soft ? SVP_SOFT : SVP_HARD;
  out->rule = r;
  out->matched_in = p;
  if (!out->probe)
    out->probe = p;
  struct svp_groups g = {
    .subject = m->subj,
    .subject_len = m->len,
    .ovec = pcre2_get_ovector_pointer(m->md),
    .n_pairs = (unsigned)n_pairs,
  };
  svp_fields_fill(&out->fields, r, &g);
  return out->verdict;
}

/* Would r be worth running on the current response? */
static bool candidate(struct svp_matcher *m, const struct svp_rule *r)
{
  const struct svp_rule_rt *rt = svp_rule_rt(r);
  if (m->len < rt->minlen)
    return false;
  if (rt->lit.prefix_len && !svp_lit_prefix_ok(&rt->lit, m->subj, m->len))
    return false;
  if (rt->lit.n_grams && !grams_ok(m, &rt->lit))
    return false;
  return true;
}

/* The lines of one probe in try order; first hit wins. */
static enum svp_verdict match_probe(struct svp_matcher *m, const struct svp_probe *p,
                                    struct svp_match *out)
{
  if (!m->opts.use_index) {
    for (size_t j = 0; j < p->n_rules; j++) {
      m->stats.candidates++;
      int rc = run_rule(m, p->rules[j]);
      if (rc > 0)
        return hit(m, p, p->rules[j], rc, out);
    }
    return SVP_NOMATCH;
  }
  const struct svp_probe_index *ix = p->priv;
  unsigned b = m->len ? m->subj[0] : 256;
  for (uint32_t k = ix->off[b]; k < ix->off[b + 1]; k++) {
    const struct svp_rule *r = p->rules[ix->list[k]];
    if (!candidate(m, r))
      continue;
    m->stats.candidates++;
    int rc = run_rule(m, r);
    if (rc > 0)
      return hit(m, p, r, rc, out);
  }
  return SVP_NOMATCH;
}

enum svp_verdict svp_match_response(struct svp_matcher *m, const struct svp_probe *probe,
                                    const uint8_t *resp, size_t len, struct svp_match *out)
{
  begin(m, resp, len, probe, out);
  enum svp_verdict v = SVP_NOMATCH;
  for (size_t i = 0; i < probe->n_chain && v == SVP_NOMATCH; i++)
    v = match_probe(m, probe->chain[i], out);
  finish(m);
  return v;
}

enum svp_verdict svp_match_probe_only(struct svp_matcher *m, const struct svp_probe *probe,
                                      const uint8_t *resp, size_t len, struct svp_match *out)
{
  begin(m, resp, len, probe, out);
  enum svp_verdict v = match_probe(m, probe, out);
  finish(m);
  return v;
}

enum svp_verdict svp_match_rule(struct svp_matcher *m, const struct svp_probe *probe,
                                const struct svp_rule *rule, const uint8_t *resp, size_t len,
                                struct svp_match *out)
{
  begin(m, resp, len, probe, out);
  enum svp_verdict v = SVP_NOMATCH;
  bool maybe = !m->opts.use_index || (rule->probe && candidate(m, rule));
  if (maybe) {
    m->stats.candidates++;
    int rc = run_rule(m, rule);
    if (rc > 0)
      v = hit(m, rule->probe, rule, rc, out);
  }
  finish(m);
  return v;
}

enum svp_verdict svp_match_sweep(struct svp_matcher *m, enum svp_l4 l4, const uint8_t *resp,
                                 size_t len, struct svp_match *out)
{
  begin(m, resp, len, NULL, out);
  enum svp_verdict v = SVP_NOMATCH;
  size_t n = svp_rules_n_probes(m->rs);
  for (size_t i = 0; i < n && v == SVP_NOMATCH; i++) {
    const struct svp_probe *p = svp_rules_probe(m->rs, i);
    if (p->l4 == l4)
      v = match_probe(m, p, out);
  }
  finish(m);
  return v;
}
