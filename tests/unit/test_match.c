/* test_match.c: the matcher.
 *  1. nmap's order on a small rule file: the probe's lines in try order
 *     (a softmatch before a hard match wins), then its fallbacks, then
 *     NULL for TCP only; probe-only and sweep variants; overlay lines
 *     first; fields from the winning line; PCRE2 limits;
 *  2. use_index=false gives the same verdict, rule and fields as the index
 *     on every probe of the system file, for real payloads from the
 *     project's captures (interpreter and JIT). */
#include "svp/rules/match.h"
#include "tap.h"
#include "test_rules_corpus.h"
#include "test_rules_util.h"

#include <string.h>

static const char order_rules[] =
    "Probe TCP NULL q||\n"
    "match null-hard m|^NUL|\n"
    "softmatch null-soft m|^N|\n"
    "Probe TCP A q|a|\n"
    "fallback B\n"
    "softmatch soft-first m|^S| p/soft $1/\n"
    "match hard-after m|^SX|\n"
    "match a-own m|^A(\\d)(x)?(y)?| p/A$1/ v/[$2]/ i/$3/ cpe:/a:vendor:a:$1/\n"
    "Probe TCP B q|b|\n"
    "match b-only m|^B|\n"
    "match shared m|^A|\n"
    "Probe UDP U q|u|\n"
    "match u m|^U|\n"
    "match limit m|^(a+)+$|\n";

struct expect {
  const char *probe;
  enum svp_l4 l4;
  const char *resp;
  enum svp_verdict v;
  const char *service;     /* NULL: no match */
  const char *matched_in;
};

static const struct expect order_cases[] = {
  {"A", SVP_L4_TCP, "SX", SVP_SOFT, "soft-first", "A"},   /* soft line first wins */
  {"A", SVP_L4_TCP, "A1", SVP_HARD, "a-own", "A"},
  {"A", SVP_L4_TCP, "B1", SVP_HARD, "b-only", "B"},       /* fallback */
  {"A", SVP_L4_TCP, "NUL", SVP_HARD, "null-hard", "NULL"}, /* then NULL */
  {"A", SVP_L4_TCP, "Nx", SVP_SOFT, "null-soft", "NULL"},
  {"A", SVP_L4_TCP, "zzz", SVP_NOMATCH, NULL, NULL},
  {"A", SVP_L4_TCP, "", SVP_NOMATCH, NULL, NULL},
  {"B", SVP_L4_TCP, "A1", SVP_HARD, "shared", "B"},       /* B's chain: B, NULL */
  {"NULL", SVP_L4_TCP, "B1", SVP_NOMATCH, NULL, NULL},
  {"U", SVP_L4_UDP, "NUL", SVP_NOMATCH, NULL, NULL},      /* UDP: no NULL probe */
  {"U", SVP_L4_UDP, "U!", SVP_HARD, "u", "U"},
};

static void check_order(struct svp_ruleset *rs, bool use_index)
{
  struct svp_matcher_opts o = {.use_index = use_index};
  struct svp_matcher *m;
  CHECK_INT(svp_matcher_new(rs, &o, &m), SVP_OK);
  for (size_t i = 0; i < SVP_ARRAY_LEN(order_cases); i++) {
    const struct expect *e = &order_cases[i];
    const struct svp_probe *p = svp_rules_find_probe(rs, e->l4, e->probe);
    struct svp_match mt;
    enum svp_verdict v =
        svp_match_response(m, p, (const uint8_t *)e->resp, strlen(e->resp), &mt);
    tap_note("index %d: probe %s, response \"%s\"", use_index, e->probe, e->resp);
    CHECK_INT(v, e->v);
    CHECK_INT(mt.verdict, e->v);
    CHECK(mt.probe == p);
    if (e->service) {
      CHECK(mt.rule != NULL);
      CHECK_STR(mt.rule ? mt.rule->service : NULL, e->service);
      CHECK_STR(mt.matched_in ? mt.matched_in->name : NULL, e->matched_in);
    } else {
      CHECK(mt.rule == NULL && mt.matched_in == NULL);
      CHECK_STR(mt.fields.product, "");
    }
  }

  /* fields of the winning line, with nmap's group rules */
  const struct svp_probe *a = svp_rules_find_probe(rs, SVP_L4_TCP, "A");
  struct svp_match mt;
  svp_match_response(m, a, (const uint8_t *)"A7", 2, &mt);
  CHECK_STR(mt.fields.product, "A7");
  /* PCRE2 reports 2 pairs (groups 2 and 3 did not take part, none after
   * them did): $2 and $3 are beyond what nmap may use: fields emptied */
  CHECK_STR(mt.fields.version, "");
  CHECK_STR(mt.fields.info, "");
  CHECK_STR(mt.fields.cpe[SVP_CPE_A], "cpe:/a:vendor:a:7");
  svp_match_response(m, a, (const uint8_t *)"A7y", 3, &mt);
  CHECK_STR(mt.fields.version, "[]"); /* $2 unset below a set group: "" */
  CHECK_STR(mt.fields.info, "y");
  svp_match_response(m, a, (const uint8_t *)"A7xy", 4, &mt);
  CHECK_STR(mt.fields.version, "[x]");
  CHECK_STR(mt.fields.info, "y");
  svp_match_response(m, a, (const uint8_t *)"SX", 2, &mt);
  CHECK_STR(mt.fields.product, ""); /* $1 does not exist: field emptied */

  /* probe only: no fallback, no NULL */
  CHECK_INT(svp_match_probe_only(m, a, (const uint8_t *)"B1", 2, &mt), SVP_NOMATCH);
  CHECK_INT(svp_match_probe_only(m, a, (const uint8_t *)"A1", 2, &mt), SVP_HARD);

  /* sweep: every probe of the protocol in file order */
  CHECK_INT(svp_match_sweep(m, SVP_L4_TCP, (const uint8_t *)"B1", 2, &mt), SVP_HARD);
  CHECK_STR(mt.rule->service, "b-only");
  CHECK(mt.probe == mt.matched_in);
  CHECK_INT(svp_match_sweep(m, SVP_L4_TCP, (const uint8_t *)"A1", 2, &mt), SVP_HARD);
  CHECK_STR(mt.rule->service, "a-own"); /* A comes before B */
  CHECK_INT(svp_match_sweep(m, SVP_L4_UDP, (const uint8_t *)"A1", 2, &mt), SVP_NOMATCH);
  CHECK_INT(svp_match_sweep(m, SVP_L4_UDP, (const uint8_t *)"U", 1, &mt), SVP_HARD);

  /* a NULL pointer with length 0 is an empty response */
  CHECK_INT(svp_match_response(m, a, NULL, 0, &mt), SVP_NOMATCH);

  /* catastrophic backtracking stops at nmap's limits: no match, counted */
  const struct svp_probe *u = svp_rules_find_probe(rs, SVP_L4_UDP, "U");
  char evil[64];
  memset(evil, 'a', sizeof evil);
  evil[sizeof evil - 1] = 'b';
  uint64_t before = svp_matcher_stats(m)->limit_hits;
  CHECK_INT(svp_match_response(m, u, (const uint8_t *)evil, sizeof evil, &mt), SVP_NOMATCH);
  CHECK(svp_matcher_stats(m)->limit_hits == before + 1);
  CHECK_INT(svp_match_response(m, u, (const uint8_t *)"aaaa", 4, &mt), SVP_HARD);

  const struct svp_match_stats *st = svp_matcher_stats(m);
  CHECK(st->calls >= SVP_ARRAY_LEN(order_cases) + 10);
  CHECK(st->regex_runs > 0 && st->candidates >= st->regex_runs);
  svp_matcher_free(m);
}

static void test_order(void)
{
  struct msgs msg;
  struct svp_ruleset *rs = load_text(&msg, order_rules);
  CHECK_INT(svp_rules_stats(rs)->errors, 0);
  check_order(rs, true);
  check_order(rs, false);
  svp_rules_free(rs);
  /* the same with JIT code */
  struct svp_diag d = msgs_diag(&msg);
  svp_rules_new(&rs);
  svp_rules_load_buf(rs, "order", order_rules, strlen(order_rules), 0, &d);
  CHECK_INT(svp_rules_compile(rs, true, &d), SVP_OK);
  check_order(rs, true);
  svp_rules_free(rs);
}

static void test_not_compiled(void)
{
  struct svp_ruleset *rs;
  struct svp_matcher *m = NULL;
  svp_rules_new(&rs);
  CHECK_INT(svp_matcher_new(rs, NULL, &m), SVP_ERR_ARG);
  CHECK(m == NULL);
  svp_rules_free(rs);
}

static void test_overlay_first(void)
{
  const char *texts[] = {
      "Probe TCP NULL q||\nmatch ssh m|^SSH-| p/base/\n",
      "Probe TCP NULL q||\nmatch ssh m|^SSH-2\\.0-Dropbear| p/overlay/\n",
      NULL};
  struct msgs msg;
  struct svp_ruleset *rs = load_layers(&msg, texts);
  struct svp_matcher *m;
  svp_matcher_new(rs, NULL, &m);
  struct svp_match mt;
  const char *r1 = "SSH-2.0-Dropbear_2020.81\r\n", *r2 = "SSH-2.0-OpenSSH_9.2\r\n";
  svp_match_response(m, svp_rules_null_probe(rs), (const uint8_t *)r1, strlen(r1), &mt);
  CHECK_STR(mt.fields.product, "overlay");
  CHECK_INT(mt.rule->layer, 1);
  svp_match_response(m, svp_rules_null_probe(rs), (const uint8_t *)r2, strlen(r2), &mt);
  CHECK_STR(mt.fields.product, "base");
  svp_matcher_free(m);
  svp_rules_free(rs);
}

static bool same(const struct svp_match *a, const struct svp_match *b)
{
  return a->verdict == b->verdict && a->rule == b->rule && a->matched_in == b->matched_in &&
         memcmp(&a->fields, &b->fields, sizeof a->fields) == 0;
}

/* use_index on and off agree everywhere on real payloads. */
static void test_equivalence(const struct svp_ruleset *rs, const struct corpus *c,
                             const char *what)
{
  struct svp_matcher *mi, *mn, *ml;
  struct svp_matcher_opts on = {.use_index = true}, off = {.use_index = false};
  /* lazy JIT after two runs: hot rules switch to JIT copies mid-corpus */
  struct svp_matcher_opts lazy = {.use_index = true, .jit_after = 2};
  svp_matcher_new(rs, &on, &mi);
  svp_matcher_new(rs, &off, &mn);
  svp_matcher_new(rs, &lazy, &ml);
  const struct svp_probe *chains[] = {
    svp_rules_null_probe(rs),
    svp_rules_find_probe(rs, SVP_L4_TCP, "GetRequest"),
    svp_rules_find_probe(rs, SVP_L4_TCP, "HTTPOptions"),
    svp_rules_find_probe(rs, SVP_L4_TCP, "DNSVersionBindReqTCP"),
  };
  size_t calls = 0, differ = 0, hits = 0, lazy_differ = 0;
  for (size_t k = 0; k < c->n; k++) {
    const struct payload *p = &c->p[k];
    struct svp_match a, b;
    enum svp_l4 l4 = p->l4 == 17 ? SVP_L4_UDP : SVP_L4_TCP;
    for (size_t i = 0; i < svp_rules_n_probes(rs); i++) {
      const struct svp_probe *pr = svp_rules_probe(rs, i);
      if (pr->l4 != l4)
        continue;
      svp_match_probe_only(mi, pr, p->data, p->len, &a);
      svp_match_probe_only(mn, pr, p->data, p->len, &b);
      struct svp_match l;
      svp_match_probe_only(ml, pr, p->data, p->len, &l);
      lazy_differ += !same(&a, &l);
      calls++;
      hits += a.verdict != SVP_NOMATCH;
      if (!same(&a, &b)) {
        differ++;
        tap_note("%s: payload %zu, probe %s: index says line %u, full search line %u", what,
                 k, pr->name, a.rule ? a.rule->line : 0, b.rule ? b.rule->line : 0);
      }
    }
    for (size_t i = 0; i < SVP_ARRAY_LEN(chains) && l4 == SVP_L4_TCP; i++) {
      svp_match_response(mi, chains[i], p->data, p->len, &a);
      svp_match_response(mn, chains[i], p->data, p->len, &b);
      calls++;
      differ += !same(&a, &b);
    }
    svp_match_sweep(mi, l4, p->data, p->len, &a);
    svp_match_sweep(mn, l4, p->data, p->len, &b);
    calls++;
    differ += !same(&a, &b);
  }
  const struct svp_match_stats *si = svp_matcher_stats(mi), *sn = svp_matcher_stats(mn);
  tap_note("%s: %zu payloads, %zu calls, %zu probe-level hits, %zu differences; "
           "regex runs %llu with the index, %llu without", what, c->n, calls, hits, differ,
           (unsigned long long)si->regex_runs, (unsigned long long)sn->regex_runs);
  CHECK(hits >= c->n / 4); /* real payloads do hit rules */
  CHECK_INT(differ, 0);
  CHECK(si->regex_runs * 20 < sn->regex_runs); /* the index does filter */
  CHECK_INT(si->calls, sn->calls);
  const struct svp_match_stats *sl = svp_matcher_stats(ml);
  tap_note("%s: lazy JIT compiled %llu rules, %zu differences", what,
           (unsigned long long)sl->jit_compiled, lazy_differ);
  CHECK_INT(lazy_differ, 0);
  if (strcmp(what, "interpreter") == 0)
    CHECK(sl->jit_compiled > 10); /* hot rules did get JIT copies */
  else
    CHECK_INT(sl->jit_compiled, 0); /* the ruleset's own JIT code is used */
  svp_matcher_free(mi);
  svp_matcher_free(mn);
  svp_matcher_free(ml);
}

int main(void)
{
  test_order();
  test_not_compiled();
  test_overlay_first();
  /* a few payloads from each capture (test_prefix checks every rule on
   * 1500 payloads; this checks the API on fewer, spread widely) */
  struct corpus c;
  corpus_load(&c, 600, 5);
  CHECK(c.n > 300);
  struct svp_ruleset *rs = load_system(false);
  CHECK(rs != NULL);
  if (rs) {
    test_equivalence(rs, &c, "interpreter");
    svp_rules_free(rs);
  }
  rs = load_system(true);
  if (rs) {
    struct corpus small = c;
    small.n = c.n < 120 ? c.n : 120;
    test_equivalence(rs, &small, "JIT");
    svp_rules_free(rs);
  }
  corpus_free(&c);
  return tap_done();
}
