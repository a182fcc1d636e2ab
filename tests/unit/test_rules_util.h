/* test_rules_util.h: helpers shared by the rule engine's unit tests:
 * a diagnostics sink that keeps every message, and a one-call loader. */
#ifndef SVP_TEST_RULES_UTIL_H
#define SVP_TEST_RULES_UTIL_H

#include "svp/base/diag.h"
#include "svp/rules/rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SYSTEM_RULES "/usr/share/nmap/nmap-service-probes"

struct msgs {
  char text[64][256];
  enum svp_sev sev[64];
  unsigned n;
};

static inline void msgs_emit(void *ud, enum svp_sev sev, const char *msg)
{
  struct msgs *m = ud;
  if (m->n < 64) {
    snprintf(m->text[m->n], sizeof m->text[0], "%s", msg);
    m->sev[m->n++] = sev;
  }
}

static inline struct svp_diag msgs_diag(struct msgs *m)
{
  memset(m, 0, sizeof *m);
  struct svp_diag d = {.emit = msgs_emit, .ud = m};
  return d;
}

/* Index of the first message containing needle, or -1. */
static inline int msgs_find(const struct msgs *m, const char *needle)
{
  for (unsigned i = 0; i < m->n; i++)
    if (strstr(m->text[i], needle))
      return (int)i;
  return -1;
}

static inline void msgs_dump(const struct msgs *m)
{
  for (unsigned i = 0; i < m->n; i++)
    printf("# msg %u: %s\n", i, m->text[i]);
}

/* Load the given texts as layers 0, 1, ... (NULL ends the list) and
 * compile without JIT. Messages go to *m. */
static inline struct svp_ruleset *load_layers(struct msgs *m, const char *const *texts)
{
  struct svp_diag d = msgs_diag(m);
  struct svp_ruleset *rs;
  if (svp_rules_new(&rs) != SVP_OK)
    return NULL;
  for (unsigned i = 0; texts[i]; i++) {
    char name[32];
    snprintf(name, sizeof name, "layer%u.probes", i);
    svp_rules_load_buf(rs, name, texts[i], strlen(texts[i]), i, &d);
  }
  if (svp_rules_compile(rs, false, &d) != SVP_OK) {
    svp_rules_free(rs);
    return NULL;
  }
  return rs;
}

static inline struct svp_ruleset *load_text(struct msgs *m, const char *text)
{
  const char *texts[] = {text, NULL};
  return load_layers(m, texts);
}

/* The system rule file, compiled (JIT as asked), or NULL if missing. */
static inline struct svp_ruleset *load_system(bool jit)
{
  struct svp_diag d = {0};
  struct svp_ruleset *rs;
  if (svp_rules_new(&rs) != SVP_OK)
    return NULL;
  if (svp_rules_load_file(rs, SYSTEM_RULES, 0, &d) != SVP_OK ||
      svp_rules_compile(rs, jit, &d) != SVP_OK) {
    svp_rules_free(rs);
    return NULL;
  }
  return rs;
}

#endif
