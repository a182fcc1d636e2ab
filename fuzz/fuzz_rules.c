/* fuzz_rules.c: rule-file text -> loader, compiler, index and matcher.
 *
 * The input is one rule file, or two separated by a line "#--" (the second
 * loaded as an overlay, layer 1). After compiling, a few fixed responses
 * and the input itself are matched against every probe with the index and
 * without it; any difference aborts (the index must never change a
 * verdict). Crashes, leaks and sanitizer reports are the other findings. */
#include "svp/rules/match.h"
#include "svp/rules/rules.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *const responses[] = {
  "",
  "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n",
  "220 mail.example.org ESMTP Postfix (Debian/GNU)\r\n",
  "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nContent-Length: 0\r\n\r\n",
  "\x16\x03\x01\x00\x2a\x02\x00\x00\x26\x03\x03",
  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab",
};

static bool same(const struct svp_match *a, const struct svp_match *b)
{
  return a->verdict == b->verdict && a->rule == b->rule && a->matched_in == b->matched_in &&
         memcmp(&a->fields, &b->fields, sizeof a->fields) == 0;
}

static void differential(const struct svp_ruleset *rs, const uint8_t *r, size_t len)
{
  struct svp_matcher *mi = NULL, *mn = NULL;
  struct svp_matcher_opts on = {.use_index = true}, off = {.use_index = false};
  if (svp_matcher_new(rs, &on, &mi) != SVP_OK || svp_matcher_new(rs, &off, &mn) != SVP_OK)
    goto out;
  struct svp_match a, b;
  for (size_t i = 0; i < svp_rules_n_probes(rs); i++) {
    const struct svp_probe *p = svp_rules_probe(rs, i);
    svp_match_response(mi, p, r, len, &a);
    svp_match_response(mn, p, r, len, &b);
    if (!same(&a, &b))
      abort();
  }
  svp_match_sweep(mi, SVP_L4_TCP, r, len, &a);
  svp_match_sweep(mn, SVP_L4_TCP, r, len, &b);
  if (!same(&a, &b))
    abort();
out:
  svp_matcher_free(mi);
  svp_matcher_free(mn);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size > 65536)
    return 0;
  const char *text = (const char *)data;
  size_t base_len = size, over_at = size;
  static const char sep[] = "\n#--\n";
  for (size_t i = 0; i + sizeof sep - 1 <= size; i++)
    if (memcmp(text + i, sep, sizeof sep - 1) == 0) {
      base_len = i + 1;
      over_at = i + sizeof sep - 1;
      break;
    }
  struct svp_diag d = {0};
  struct svp_ruleset *rs;
  if (svp_rules_new(&rs) != SVP_OK)
    return 0;
  svp_rules_load_buf(rs, "fuzz", text, base_len, 0, &d);
  if (over_at < size)
    svp_rules_load_buf(rs, "fuzz-overlay", text + over_at, size - over_at, 1, &d);
  if (svp_rules_compile(rs, false, &d) == SVP_OK) {
    for (size_t i = 0; i < sizeof responses / sizeof responses[0]; i++)
      differential(rs, (const uint8_t *)responses[i], strlen(responses[i]));
    differential(rs, data, size < 4096 ? size : 4096);
    /* accessors over everything that loaded */
    for (size_t i = 0; i < svp_rules_n_rules(rs); i++) {
      const struct svp_rule *r = svp_rules_rule(rs, i);
      if (!r || !r->service || !r->pattern || !r->probe)
        abort();
      (void)svp_probe_has_service(r->probe, r->service);
    }
    (void)svp_rules_excluded(rs, SVP_L4_TCP, 80);
  }
  svp_rules_free(rs);
  return 0;
}
