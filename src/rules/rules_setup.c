/* rules_setup.c: base file + project rules + --add-rules -> one compiled
 * ruleset (see rules_setup.h for the layers and where each comes from). */
#include "svp/rules/rules_setup.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool is_dir(const char *path)
{
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Directory of the running executable, or "" if unknown. */
static void exe_dir(char *buf, size_t size)
{
  ssize_t n = readlink("/proc/self/exe", buf, size - 1);
  if (n <= 0) {
    buf[0] = '\0';
    return;
  }
  buf[n] = '\0';
  char *slash = strrchr(buf, '/');
  if (slash)
    *slash = '\0';
  else
    buf[0] = '\0';
}

const char *svp_rules_project_dir(const struct svp_config *cfg, char *buf, size_t size)
{
  if (cfg->rules_dir) {
    snprintf(buf, size, "%s", cfg->rules_dir);
    return buf;
  }
  const char *env = getenv("SVPASSIVE_RULES_DIR");
  if (env && *env) {
    snprintf(buf, size, "%s", env);
    return buf;
  }
  char exe[PATH_MAX];
  exe_dir(exe, sizeof exe);
  if (exe[0]) {
    static const char *const rel[] = {"/../rules", "/../share/svpassive/rules"};
    for (size_t i = 0; i < SVP_ARRAY_LEN(rel); i++) {
      char cand[PATH_MAX + 32], real[PATH_MAX];
      snprintf(cand, sizeof cand, "%s%s", exe, rel[i]);
      if (is_dir(cand) && realpath(cand, real) && strlen(real) < size) {
        snprintf(buf, size, "%s", real);
        return buf;
      }
    }
  }
  snprintf(buf, size, "%s", SVP_INSTALL_DATADIR "/rules");
  return is_dir(buf) ? buf : NULL;
}

static int name_cmp(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool ends_with_probes(const char *name)
{
  size_t n = strlen(name);
  return n > 7 && strcmp(name + n - 7, ".probes") == 0;
}

/* Every "*.probes" regular file of dir, in strcmp order, at layer. */
static int load_dir(struct svp_ruleset *rs, const char *dir, unsigned layer,
                    struct svp_diag *diag)
{
  DIR *d = opendir(dir);
  if (!d) {
    svp_diag_at(diag, SVP_SEV_ERROR, dir, 0, "cannot read the rule directory: %s",
                strerror(errno));
    return SVP_OK; /* the base rules still work */
  }
  char **names = NULL;
  size_t n = 0, cap = 0;
  int rc = SVP_OK;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.' || !ends_with_probes(e->d_name))
      continue;
    if (n == cap) {
      cap = cap ? cap * 2 : 16;
      char **nn = realloc(names, cap * sizeof *nn);
      if (!nn) {
        rc = SVP_ERR_NOMEM;
        break;
      }
      names = nn;
    }
    if (!(names[n] = strdup(e->d_name))) {
      rc = SVP_ERR_NOMEM;
      break;
    }
    n++;
  }
  closedir(d);
  if (rc == SVP_OK)
    qsort(names, n, sizeof *names, name_cmp);
  for (size_t i = 0; i < n && rc == SVP_OK; i++) {
    char path[PATH_MAX];
    struct stat st;
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, names[i]) >= sizeof path ||
        stat(path, &st) != 0 || !S_ISREG(st.st_mode))
      continue;
    int lrc = svp_rules_load_file(rs, path, layer, diag);
    if (lrc == SVP_ERR_NOMEM)
      rc = lrc;
  }
  for (size_t i = 0; i < n; i++)
    free(names[i]);
  free(names);
  return rc;
}

int svp_rules_setup(const struct svp_config *cfg, struct svp_diag *diag,
                    struct svp_ruleset **out)
{
  struct svp_ruleset *rs;
  int rc = svp_rules_new(&rs);
  if (rc != SVP_OK)
    return rc;
  char base[PATH_MAX];
  if (cfg->base_rules)
    snprintf(base, sizeof base, "%s", cfg->base_rules);
  else
    snprintf(base, sizeof base, "%s/nmap-service-probes", cfg->datadir ? cfg->datadir : "/usr/share/nmap");
  rc = svp_rules_load_file(rs, base, 0, diag);
  if (rc != SVP_OK)
    goto fail;

  if (!cfg->no_project_rules) {
    char dir[PATH_MAX];
    if (svp_rules_project_dir(cfg, dir, sizeof dir)) {
      if ((rc = load_dir(rs, dir, 1, diag)) != SVP_OK)
        goto fail;
    } else {
      svp_diag_at(diag, SVP_SEV_NOTE, NULL, 0,
                  "no project rule directory found; using the base rules only");
    }
  }
  for (unsigned i = 0; i < cfg->n_add_rules; i++) {
    rc = svp_rules_load_file(rs, cfg->add_rules[i], 2 + i, diag);
    if (rc == SVP_ERR_NOMEM)
      goto fail;
  }
  /* No JIT here: matchers JIT-compile the rules they actually run (match.h). */
  if ((rc = svp_rules_compile(rs, false, diag)) != SVP_OK)
    goto fail;
  *out = rs;
  return SVP_OK;
fail:
  svp_rules_free(rs);
  *out = NULL;
  return rc;
}
