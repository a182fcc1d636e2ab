/* rules_compile.c: a parsed ruleset made ready to match: every regex
 * compiled (PCRE2 with nmap's options, JIT if asked), each probe's lines
 * put in try order, fallback chains resolved, match indexes built. */
#include "rules_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int rule_order(const void *a, const void *b)
{
  const struct rs_rule *x = *(const struct rs_rule *const *)a;
  const struct rs_rule *y = *(const struct rs_rule *const *)b;
  if (x->pub.layer != y->pub.layer)
    return x->pub.layer > y->pub.layer ? -1 : 1;
  return (x->seq > y->seq) - (x->seq < y->seq);
}

static int compile_rule(struct svp_ruleset *rs, struct rs_rule *r,
                        pcre2_compile_context *cctx, bool use_jit, struct svp_diag *diag,
                        double *jit_ms)
{
  uint32_t opts = (r->pub.caseless ? PCRE2_CASELESS : 0) | (r->pub.dotall ? PCRE2_DOTALL : 0);
  int err;
  PCRE2_SIZE erroff;
  r->rt.re = pcre2_compile((PCRE2_SPTR)r->pub.pattern, PCRE2_ZERO_TERMINATED, opts, &err,
                           &erroff, cctx);
  if (!r->rt.re) {
    PCRE2_UCHAR msg[160];
    if (pcre2_get_error_message(err, msg, sizeof msg) < 0)
      snprintf((char *)msg, sizeof msg, "PCRE2 error %d", err);
    svp_diag_at(diag, SVP_SEV_ERROR, r->pub.file, r->pub.line,
                "regex does not compile at offset %zu: %s", (size_t)erroff, (char *)msg);
    return SVP_ERR_REGEX;
  }
  pcre2_pattern_info(r->rt.re, PCRE2_INFO_MINLENGTH, &r->rt.minlen);
  pcre2_pattern_info(r->rt.re, PCRE2_INFO_CAPTURECOUNT, &r->rt.captures);
  size_t sz = 0;
  pcre2_pattern_info(r->rt.re, PCRE2_INFO_SIZE, &sz);
  rs->stats.code_bytes += sz;
  if (use_jit) {
    double t0 = svp_rs_now_ms();
    if (pcre2_jit_compile(r->rt.re, PCRE2_JIT_COMPLETE) == 0) {
      r->rt.jit = true;
      rs->stats.jit_ok++;
      size_t js = 0;
      pcre2_pattern_info(r->rt.re, PCRE2_INFO_JITSIZE, &js);
      rs->stats.jit_bytes += js;
    }
    *jit_ms += svp_rs_now_ms() - t0;
  }
  svp_lit_extract(r->pub.pattern, r->pub.caseless, &r->rt.lit);
  if (r->rt.lit.prefix_len)
    rs->stats.prefixed++;
  if (r->rt.captures > rs->max_captures)
    rs->max_captures = r->rt.captures;
  r->pub.priv = &r->rt;
  return SVP_OK;
}

static int copy_portset(struct svp_ruleset *rs, struct svp_rangevec *v, struct svp_portset *ps)
{
  svp_rangevec_normalize(v);
  ps->n = v->n;
  if (!v->n)
    return SVP_OK;
  ps->r = svp_arena_alloc(&rs->arena, v->n * sizeof *ps->r);
  if (!ps->r)
    return SVP_ERR_NOMEM;
  memcpy(ps->r, v->r, v->n * sizeof *ps->r);
  return SVP_OK;
}


static struct rs_probe *lookup_fallback(struct svp_ruleset *rs, enum svp_l4 l4, const char *name)
{
  struct rs_probe *p = svp_rs_find_probe(rs, l4, name, strlen(name));
  if (!p)
    p = svp_rs_find_probe(rs, l4 == SVP_L4_TCP ? SVP_L4_UDP : SVP_L4_TCP, name, strlen(name));
  return p;
}

static bool chain_has(const struct svp_probe **chain, size_t n, const struct svp_probe *p)
{
  for (size_t i = 0; i < n; i++)
    if (chain[i] == p)
      return true;
  return false;
}

/* [0] the probe, then its fallbacks, then (TCP, not NULL itself) NULL. A
 * probe already in the chain is not repeated: it could not match later. */
static int resolve_chain(struct svp_ruleset *rs, struct rs_probe *p,
                         const struct svp_probe *null_probe, struct svp_diag *diag)
{
  const struct svp_probe **chain =
      svp_arena_alloc(&rs->arena, (p->n_fallback + 2) * sizeof *chain);
  if (!chain)
    return SVP_ERR_NOMEM;
  size_t n = 0;
  chain[n++] = &p->pub;
  for (size_t i = 0; i < p->n_fallback; i++) {
    struct rs_probe *fb = lookup_fallback(rs, p->pub.l4, p->fallback[i]);
    if (!fb) {
      svp_diag_at(diag, SVP_SEV_ERROR, p->fb_file, p->fb_line,
                  "fallback: unknown probe '%s' (ignored)", p->fallback[i]);
      rs->stats.errors++;
      struct svp_rules_file *f = svp_rs_file_of(rs, p->fb_file);
      if (f)
        f->errors++;
      continue;
    }
    if (!chain_has(chain, n, &fb->pub))
      chain[n++] = &fb->pub;
  }
  if (p->pub.l4 == SVP_L4_TCP && null_probe && !chain_has(chain, n, null_probe))
    chain[n++] = null_probe;
  p->pub.chain = chain;
  p->pub.n_chain = n;
  return SVP_OK;
}

static int str_ptr_cmp(const void *a, const void *b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* p->services: its lines' distinct service names, sorted (in the arena). */
static int probe_services(struct svp_ruleset *rs, struct svp_probe *p)
{
  p->services = NULL;
  p->n_services = 0;
  if (!p->n_rules)
    return SVP_OK;
  const char **names = svp_arena_alloc(&rs->arena, p->n_rules * sizeof *names);
  if (!names)
    return SVP_ERR_NOMEM;
  for (size_t i = 0; i < p->n_rules; i++)
    names[i] = p->rules[i]->service;
  qsort(names, p->n_rules, sizeof *names, str_ptr_cmp);
  size_t n = 1;
  for (size_t i = 1; i < p->n_rules; i++)
    if (strcmp(names[n - 1], names[i]) != 0)
      names[n++] = names[i];
  p->services = names;
  p->n_services = n;
  return SVP_OK;
}

static unsigned count_services(const struct svp_rule **rules, size_t n)
{
  if (!n)
    return 0;
  const char **names = malloc(n * sizeof *names);
  if (!names)
    return 0;
  for (size_t i = 0; i < n; i++)
    names[i] = rules[i]->service;
  qsort(names, n, sizeof *names, str_ptr_cmp);
  unsigned distinct = 1;
  for (size_t i = 1; i < n; i++)
    distinct += strcmp(names[i - 1], names[i]) != 0;
  free(names);
  return distinct;
}

static int compile_probes(struct svp_ruleset *rs, struct svp_diag *diag)
{
  const struct svp_probe *null_probe = svp_rules_null_probe(rs);
  for (size_t i = 0; i < rs->probes.n; i++) {
    struct rs_probe *p = rs->probes.v[i];
    if (p->pub.l4 == SVP_L4_TCP)
      rs->stats.probes_tcp++;
    else
      rs->stats.probes_udp++;
    struct rs_rule **v = malloc((p->n_lines + 1) * sizeof *v);
    const struct svp_rule **pub = svp_arena_alloc(&rs->arena, (p->n_lines + 1) * sizeof *pub);
    if (!v || !pub) {
      free(v);
      return SVP_ERR_NOMEM;
    }
    size_t k = 0;
    for (struct rs_rule *r = p->first; r; r = r->next_in_probe)
      if (!r->dropped)
        v[k++] = r;
    qsort(v, k, sizeof *v, rule_order);
    for (size_t j = 0; j < k; j++)
      pub[j] = &v[j]->pub;
    free(v);
    p->pub.rules = pub;
    p->pub.n_rules = k;
    int rc;
    if ((rc = copy_portset(rs, &p->ports, &p->pub.ports)) != SVP_OK ||
        (rc = copy_portset(rs, &p->sslports, &p->pub.sslports)) != SVP_OK ||
        (rc = resolve_chain(rs, p, null_probe, diag)) != SVP_OK ||
        (rc = probe_services(rs, &p->pub)) != SVP_OK)
      return rc;
    struct svp_probe_index *ix;
    if ((rc = svp_index_build(&p->pub, &ix)) != SVP_OK)
      return rc;
    p->pub.priv = ix;
  }
  return SVP_OK;
}

int svp_rules_compile(struct svp_ruleset *rs, bool use_jit, struct svp_diag *diag)
{
  if (rs->is_compiled)
    return SVP_ERR_ARG;
  rs->is_compiled = true;
  pcre2_compile_context *cctx = pcre2_compile_context_create(NULL);
  if (!cctx)
    return SVP_ERR_NOMEM;
  pcre2_set_newline(cctx, PCRE2_NEWLINE_LF);
  double t0 = svp_rs_now_ms(), jit_ms = 0;
  rs->compiled = malloc((rs->rules.n + 1) * sizeof *rs->compiled);
  if (!rs->compiled) {
    pcre2_compile_context_free(cctx);
    return SVP_ERR_NOMEM;
  }
  for (size_t i = 0; i < rs->rules.n; i++) {
    struct rs_rule *r = rs->rules.v[i];
    if (compile_rule(rs, r, cctx, use_jit, diag, &jit_ms) != SVP_OK) {
      r->dropped = true;
      rs->stats.errors++;
      struct svp_rules_file *f = svp_rs_file_of(rs, r->pub.file);
      if (f)
        f->errors++;
      continue;
    }
    r->pub.id = (unsigned)rs->n_compiled;
    rs->compiled[rs->n_compiled++] = &r->pub;
    if (r->pub.soft)
      rs->stats.softmatch++;
    else
      rs->stats.match++;
  }
  pcre2_compile_context_free(cctx);
  rs->stats.jit_ms = jit_ms;
  rs->stats.compile_ms = svp_rs_now_ms() - t0 - jit_ms;
  rs->stats.services = count_services(rs->compiled, rs->n_compiled);
  svp_rangevec_normalize(&rs->excl_tcp);
  svp_rangevec_normalize(&rs->excl_udp);
  return compile_probes(rs, diag);
}
