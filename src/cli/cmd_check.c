/* cmd_check.c: svpassive --check-rules [FILE...]
 *
 * Without FILE arguments: the run's own ruleset (rules_setup.h). With
 * them: just those files, the first as the base (layer 0), each further
 * one as an overlay on top of the previous. Prints the figures to stdout;
 * every error goes to the diagnostics as file:line: reason, none capped.
 * Exit status: 0 clean, 1 some line or file was rejected, 3 nothing
 * could be loaded. */
#include "svp/cli/cmd.h"
#include "svp/rules/rules.h"
#include "svp/rules/rules_setup.h"

#include <stdio.h>
#include <string.h>

/* Pass every message on to the caller's sink, ignoring its cap: the point
 * of --check-rules is to see all of them. */
static void forward(void *ud, enum svp_sev sev, const char *msg)
{
  struct svp_diag *up = ud;
  if (up && up->emit)
    up->emit(up->ud, sev, msg);
}

static int load_given(const struct svp_config *cfg, struct svp_diag *diag,
                      struct svp_ruleset **out)
{
  struct svp_ruleset *rs;
  int rc = svp_rules_new(&rs);
  if (rc != SVP_OK)
    return rc;
  unsigned loaded = 0;
  for (unsigned i = 0; i < cfg->n_check_files; i++) {
    rc = svp_rules_load_file(rs, cfg->check_files[i], i, diag);
    if (rc == SVP_ERR_NOMEM)
      goto fail;
    loaded += rc == SVP_OK;
  }
  rc = SVP_ERR_IO;
  if (!loaded || (rc = svp_rules_compile(rs, !cfg->no_jit, diag)) != SVP_OK)
    goto fail;
  *out = rs;
  return SVP_OK;
fail:
  svp_rules_free(rs);
  return rc;
}

static void print_report(FILE *f, const struct svp_ruleset *rs)
{
  const struct svp_rules_stats *st = svp_rules_stats(rs);
  fprintf(f, "files:\n");
  for (size_t i = 0; i < svp_rules_n_files(rs); i++) {
    const struct svp_rules_file *rf = svp_rules_file(rs, i);
    char role[24];
    if (rf->layer == 0)
      snprintf(role, sizeof role, "base");
    else
      snprintf(role, sizeof role, "overlay %u", rf->layer);
    fprintf(f, "  %-10s %s: %u lines, %u rules, %u error%s\n", role, rf->path, rf->lines,
            rf->rules, rf->errors, rf->errors == 1 ? "" : "s");
  }
  fprintf(f, "probes:          %u (%u TCP, %u UDP)\n", st->probes_tcp + st->probes_udp,
          st->probes_tcp, st->probes_udp);
  fprintf(f, "match lines:     %u\n", st->match);
  fprintf(f, "softmatch lines: %u\n", st->softmatch);
  fprintf(f, "services:        %u distinct names (ssl/ prefix removed)\n", st->services);
  fprintf(f, "errors:          %u rejected line%s or file%s", st->errors,
          st->errors == 1 ? "" : "s", st->errors == 1 ? "" : "s");
  if (st->skipped)
    fprintf(f, " (+%u lines skipped under bad Probe lines)", st->skipped);
  fprintf(f, "\n");
  if (st->warnings)
    fprintf(f, "warnings:        %u\n", st->warnings);
  fprintf(f, "parse time:      %.1f ms\n", st->parse_ms);
  fprintf(f, "compile time:    %.1f ms\n", st->compile_ms);
  if (st->jit_ok || st->jit_ms > 0)
    fprintf(f, "JIT time:        %.1f ms (%u of %u rules)\n", st->jit_ms, st->jit_ok,
            st->match + st->softmatch);
  else
    fprintf(f, "JIT time:        off\n");
  fprintf(f, "memory:          %.2f MiB compiled regex code, %.2f MiB JIT code\n",
          (double)st->code_bytes / 1048576.0, (double)st->jit_bytes / 1048576.0);
  fprintf(f, "index:           %u of %u rules have a literal prefix\n", st->prefixed,
          st->match + st->softmatch);
}

int svp_cmd_check_rules(const struct svp_config *cfg, struct svp_diag *diag)
{
  struct svp_diag all = {.emit = forward, .ud = diag};
  struct svp_ruleset *rs = NULL;
  int rc = cfg->n_check_files ? load_given(cfg, &all, &rs) : svp_rules_setup(cfg, &all, &rs);
  if (rc != SVP_OK) {
    fprintf(stderr, "svpassive: --check-rules: no rules loaded: %s\n", svp_strerror(rc));
    return SVP_EXIT_FATAL;
  }
  print_report(stdout, rs);
  unsigned errors = svp_rules_stats(rs)->errors;
  svp_rules_free(rs);
  return errors ? SVP_EXIT_PARTIAL : SVP_EXIT_OK;
}
