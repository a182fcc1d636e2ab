/* test_prefix.c: literal prefix and gram extraction from regex text.
 *  1. table: escapes, quantifiers that make the last literal optional,
 *     groups, classes, top-level '|', options, \Q..\E, caseless rules;
 *  2. the whole system rule file against PCRE2's own analysis
 *     (PCRE2_INFO_FIRSTCODEUNIT, anchoring);
 *  3. soundness on real bytes: every rule that matches a payload of the
 *     corpus must pass its own prefix, minimum length and gram checks. */
#include "../../src/rules/prefix.h"
#include "../../src/rules/rules_int.h"
#include "tap.h"
#include "test_rules_corpus.h"
#include "test_rules_util.h"

#include <string.h>

static const struct pcase {
  const char *re;
  bool caseless;
  const char *prefix;    /* expected literal prefix */
  size_t prefix_len;     /* its length (NULs allowed) */
  bool anchored;
  bool grams;            /* expect at least one gram */
} pcases[] = {
  {"^SSH-([\\d.]+)-OpenSSH_([\\w.]+)", false, "SSH-", 4, true, true},
  {"^220 .* ESMTP Postfix", false, "220 ", 4, true, true},
  {"^abc?d", false, "ab", 2, true, false},
  {"^abc*d", false, "ab", 2, true, false},
  {"^abc{0,3}d", false, "ab", 2, true, false},
  {"^abc{0}d", false, "ab", 2, true, false},
  {"^ab+c", false, "ab", 2, true, false},
  {"^abx{2}c", false, "abx", 3, true, false},
  {"^abx{2,}?c", false, "abx", 3, true, false},
  {"^abc??d", false, "ab", 2, true, false},
  {"^ab{,2}", false, "ab{,2}", 6, true, false},    /* PCRE2 10.42: not a quantifier */
  {"^a{x}", false, "a{x}", 4, true, false},
  {"^a\\x41\\0\\r\\n\\t\\e\\a\\f", false, "aA\0\r\n\t\x1b\a\f", 9, true, false},
  {"^\\0\\0\\x00", false, "\0\0\0", 3, true, false},
  {"^\\012x", false, "\nx", 2, true, false},      /* octal after \0 */
  {"^\\x4x", false, "\x04x", 2, true, false},
  {"^\\x{41}b", false, "", 0, true, false},
  {"^a\\.b\\|c\\\\", false, "a.b|c\\", 6, true, false},
  {"^a.b", false, "a", 1, true, false},
  {"^a[bc]d", false, "a", 1, true, false},
  {"^x[]a]yzzz", false, "x", 1, true, true},
  {"^x[^]a]yzzz", false, "x", 1, true, true},
  {"^x[[:alpha:]]yzzy", false, "x", 1, true, true},
  {"^x[\\]]yz", false, "x", 1, true, false},
  {"^a(b)c", false, "a", 1, true, false},
  {"^(a)bc", false, "", 0, true, false},
  {"^(?:a|b)cdef", false, "", 0, true, true},
  {"^a(?=b)b", false, "a", 1, true, false},
  {"^a(?#comment)b", false, "a", 1, true, false},
  {"^a\\bb", false, "a", 1, true, false},
  {"^a\\Kb", false, "a", 1, true, false},
  {"^a\\d", false, "a", 1, true, false},
  {"^a\\1", false, "a", 1, true, false},
  {"^a\\k<n>bcde", false, "a", 1, true, true},
  {"^a\\g{1}bcde", false, "a", 1, true, true},
  {"^a\\pLbcde", false, "a", 1, true, true},
  {"^a\\p{Lu}bcde", false, "a", 1, true, true},
  {"^a\\cAb", false, "a", 1, true, false},
  {"^\\Qa.b*\\E", false, "a.b*", 4, true, false},
  {"^a\\Qb\\E?", false, "a", 1, true, false},
  {"^ab\\Q\\E?", false, "a", 1, true, false},
  {"^ab\\E*", false, "a", 1, true, false},
  {"^a|b", false, "", 0, false, false},          /* top-level alternation */
  {"^abcd(x|y)|efgh", false, "", 0, false, false},
  {"^a(?i)bcdef", false, "", 0, false, false},   /* option setting: give up */
  {"^a(?i:b)cdef", false, "a", 1, true, true},
  {"(*CR)^abc", false, "", 0, false, false},
  {"^a(?:b(*ACCEPT))cdef", false, "", 0, false, false},
  {"^abc$", false, "abc", 3, true, false},
  {"\\Aabc", false, "abc", 3, true, false},
  {"abcdef", false, "", 0, false, true},         /* unanchored: grams only */
  {"^.*abcd", false, "", 0, true, true},
  {"^HTTP/1\\.[01] \\d\\d\\d .*\\r\\nServer: nginx", false, "HTTP/1.", 7, true, true},
  {"^hello world", true, "hello world", 11, true, false}, /* caseless: no grams */
  {"^\\x16\\x03[\\0-\\x03]", false, "\x16\x03", 2, true, false},
};

static void test_table(void)
{
  for (size_t i = 0; i < SVP_ARRAY_LEN(pcases); i++) {
    const struct pcase *c = &pcases[i];
    struct svp_lit lit;
    svp_lit_extract(c->re, c->caseless, &lit);
    tap_note("pattern: %s", c->re);
    CHECK_INT(lit.prefix_len, c->prefix_len);
    CHECK(memcmp(lit.prefix, c->prefix, c->prefix_len) == 0);
    CHECK_INT(lit.anchored, c->anchored);
    CHECK_INT(lit.caseless, c->caseless);
    CHECK_INT(lit.n_grams > 0, c->grams);
  }
  /* the prefix test itself */
  struct svp_lit lit;
  svp_lit_extract("^Hello", true, &lit);
  CHECK(svp_lit_prefix_ok(&lit, (const uint8_t *)"hELLO there", 11));
  CHECK(!svp_lit_prefix_ok(&lit, (const uint8_t *)"hELL", 4));
  svp_lit_extract("^Hello", false, &lit);
  CHECK(!svp_lit_prefix_ok(&lit, (const uint8_t *)"hello", 5));
  CHECK(svp_lit_prefix_ok(&lit, (const uint8_t *)"Hello", 5));
  /* a long prefix is cut at SVP_LIT_PREFIX_MAX and the rest still yields grams */
  char longre[200] = "^";
  memset(longre + 1, 'a', 100);
  svp_lit_extract(longre, false, &lit);
  CHECK_INT(lit.prefix_len, SVP_LIT_PREFIX_MAX);
  CHECK(lit.n_grams > 0);
}

static int lower(int c)
{
  return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* Every rule of the system file: our prefix agrees with PCRE2. */
static void test_system_firstcodeunit(const struct svp_ruleset *rs)
{
  size_t n = svp_rules_n_rules(rs), checked = 0, agree = 0, anchored_ok = 0, prefixed = 0;
  size_t pcre_only = 0;
  for (size_t i = 0; i < n; i++) {
    const struct svp_rule *r = svp_rules_rule(rs, i);
    const struct svp_rule_rt *rt = svp_rule_rt(r);
    uint32_t type = 0, unit = 0, opts = 0;
    pcre2_pattern_info(rt->re, PCRE2_INFO_FIRSTCODETYPE, &type);
    pcre2_pattern_info(rt->re, PCRE2_INFO_FIRSTCODEUNIT, &unit);
    pcre2_pattern_info(rt->re, PCRE2_INFO_ALLOPTIONS, &opts);
    if (rt->lit.anchored && (opts & PCRE2_ANCHORED))
      anchored_ok++;
    if (rt->lit.anchored && !(opts & PCRE2_ANCHORED))
      tap_note("line %u: we say anchored, PCRE2 does not", r->line);
    if (rt->lit.prefix_len == 0) {
      pcre_only += (type == 1 && (opts & PCRE2_ANCHORED));
      continue;
    }
    prefixed++;
    checked++;
    bool ok = type == 1 && (r->caseless ? lower((int)unit) == lower(rt->lit.prefix[0])
                                        : unit == rt->lit.prefix[0]);
    if (!ok)
      tap_note("line %u: prefix starts 0x%02x, PCRE2 first code unit type %u 0x%02x",
               r->line, rt->lit.prefix[0], type, unit);
    agree += ok;
  }
  tap_note("system file: %zu rules, %zu with a literal prefix, %zu agree with "
           "PCRE2_INFO_FIRSTCODEUNIT; %zu more have a first code unit we did not use",
           n, prefixed, agree, pcre_only);
  CHECK(checked > 11000); /* 96% of nmap's rules start with a literal */
  CHECK_INT(agree, checked);
  CHECK(anchored_ok > 11000);
  CHECK_INT(svp_rules_stats(rs)->prefixed, prefixed);
}

static bool gram_present(const uint8_t *s, size_t len, uint16_t h)
{
  for (size_t i = 0; i + 4 <= len; i++)
    if (svp_gram_hash(s + i) == h)
      return true;
  return false;
}

/* Soundness: a rule that matches a payload passes every check the index
 * would apply to that payload. */
static void test_soundness(const struct svp_ruleset *rs, const struct corpus *c)
{
  pcre2_match_data *md = pcre2_match_data_create(64, NULL);
  pcre2_match_context *mc = pcre2_match_context_create(NULL);
  pcre2_set_match_limit(mc, SVP_MATCH_LIMIT);
  pcre2_set_depth_limit(mc, SVP_DEPTH_LIMIT);
  size_t matches = 0, unsound = 0, limits = 0, n = svp_rules_n_rules(rs);
  for (size_t k = 0; k < c->n; k++) {
    const struct payload *p = &c->p[k];
    for (size_t i = 0; i < n; i++) {
      const struct svp_rule *r = svp_rules_rule(rs, i);
      const struct svp_rule_rt *rt = svp_rule_rt(r);
      int rc = pcre2_match(rt->re, p->data, p->len, 0, 0, md, mc);
      if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT)
        limits++;
      if (rc <= 0)
        continue;
      matches++;
      bool ok = p->len >= rt->minlen && svp_lit_prefix_ok(&rt->lit, p->data, p->len);
      for (unsigned g = 0; ok && g < rt->lit.n_grams; g++)
        ok = gram_present(p->data, p->len, rt->lit.gram[g]);
      if (!ok) {
        unsound++;
        tap_note("UNSOUND: line %u (%s) matches payload %zu but the index rejects it",
                 r->line, r->pattern, k);
      }
    }
  }
  tap_note("soundness: %zu payloads x %zu rules, %zu matches, %zu limit hits", c->n, n,
           matches, limits);
  CHECK(c->n > 500);
  CHECK(matches > 100);
  CHECK_INT(unsound, 0);
  pcre2_match_data_free(md);
  pcre2_match_context_free(mc);
}

int main(void)
{
  test_table();
  struct svp_ruleset *rs = load_system(false);
  CHECK(rs != NULL);
  if (rs) {
    test_system_firstcodeunit(rs);
    struct corpus c;
    corpus_load(&c, 1500, 40);
    test_soundness(rs, &c);
    corpus_free(&c);
    svp_rules_free(rs);
  }
  return tap_done();
}
