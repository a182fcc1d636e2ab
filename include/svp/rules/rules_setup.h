/* rules_setup.h: the ruleset a run uses, assembled from the configuration.
 *
 * Layers, lowest first:
 *   0  the base file: --rules FILE, else DATADIR/nmap-service-probes
 *      (--datadir, default /usr/share/nmap);
 *   1  the project's rule directory, every "*.probes" file in name order,
 *      unless --no-project-rules. The directory is --rules-dir, else
 *      $SVPASSIVE_RULES_DIR, else <dir of the executable>/../rules (a build
 *      tree), else <dir of the executable>/../share/svpassive/rules, else
 *      SVP_INSTALL_DATADIR/rules; the first that exists is used;
 *   2+ each --add-rules FILE, in the order given, one layer each.
 * Then everything is compiled, without JIT: the matchers JIT-compile the
 * rules they run often (lazy JIT, match.h) unless --no-jit; --check-rules
 * compiles JIT code for every rule to report on it. Higher layers' lines
 * are tried first (see rules.h for the merge semantics). */
#ifndef SVP_RULES_SETUP_H
#define SVP_RULES_SETUP_H

#include "svp/base/config.h"
#include "svp/base/diag.h"
#include "svp/rules/rules.h"

/* Build and compile the ruleset. Bad lines are reported through diag and
 * skipped. Returns SVP_OK (*out set, caller frees with svp_rules_free()),
 * SVP_ERR_IO if the base file cannot be read (nothing is returned), or
 * SVP_ERR_NOMEM. An unreadable overlay file is reported and skipped, and
 * counted in the ruleset's stats.errors. */
int svp_rules_setup(const struct svp_config *cfg, struct svp_diag *diag,
                    struct svp_ruleset **out);

/* The project rule directory the configuration selects (see above), or
 * NULL if none of the candidates exists. Writes into buf. */
const char *svp_rules_project_dir(const struct svp_config *cfg, char *buf, size_t size);

#endif
