/* bench_match.c: microseconds per response, indexed matcher against the
 * full sweep, through the real system rule file.
 *
 * Samples are real server bytes: the lab fixtures (OpenSSH and Postfix
 * banners from tests/fixtures/responses) and the first 1536 bytes of an
 * Apache 1.3.33 HTTP 200 response (bench/data/, cut from the zeek web.pcap
 * capture in tests/pcaps/third-party). For each sample and mode the median
 * of many timed calls is printed:
 *   index        svp_match_response() on the sample's probe chain, with the
 *                literal-prefix index (what svpassive runs)
 *   sweep/full   svp_match_sweep() with use_index=false: every line of every
 *                probe of the protocol in file order until the first hit
 *   sweep/index  the same sweep through the index (same rules, same order)
 * each with the rules JIT-compiled and interpreted.
 *
 * Usage: bench_match [-r RULEFILE] [-n REPS] [-s SRCDIR] */
#include "svp/rules/match.h"
#include "svp/rules/rules.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct sample {
  const char *name;
  const char *probe;
  const char *path; /* below the source tree */
  uint8_t *data;
  size_t len;
};

static struct sample samples[] = {
  {.name = "ssh-banner", .probe = "NULL", .path = "tests/fixtures/responses/openssh/response.bin"},
  {.name = "smtp-banner", .probe = "NULL", .path = "tests/fixtures/responses/postfix/response.bin"},
  {.name = "http-1.5k", .probe = "GetRequest", .path = "bench/data/http-apache-1536.bin"},
  {.name = "http-nginx", .probe = "GetRequest", .path = "tests/fixtures/responses/nginx/response.bin"},
  {.name = "mysql", .probe = "NULL", .path = "tests/fixtures/responses/mariadb/response.bin"},
};

enum mode { M_INDEX, M_SWEEP_FULL, M_SWEEP_INDEX, M_COUNT };
static const char *const mode_name[M_COUNT] = {"index", "sweep/full", "sweep/index"};

static double now_us(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int dcmp(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static bool read_file(const char *path, uint8_t **data, size_t *len)
{
  FILE *f = fopen(path, "rb");
  if (!f)
    return false;
  static uint8_t buf[4096];
  *len = fread(buf, 1, sizeof buf, f);
  fclose(f);
  *data = malloc(*len ? *len : 1);
  if (!*data)
    return false;
  memcpy(*data, buf, *len);
  return true;
}

static struct svp_ruleset *load(const char *file, bool jit)
{
  struct svp_diag d = {0};
  struct svp_ruleset *rs;
  if (svp_rules_new(&rs) != SVP_OK)
    return NULL;
  if (svp_rules_load_file(rs, file, 0, &d) != SVP_OK || svp_rules_compile(rs, jit, &d) != SVP_OK) {
    svp_rules_free(rs);
    return NULL;
  }
  return rs;
}

/* Median microseconds of one call of mode m on sample s; *line gets the
 * matched line (0 = none). */
static double measure(struct svp_ruleset *rs, enum mode m, const struct sample *s, int reps,
                      unsigned *line)
{
  struct svp_matcher_opts o = {.use_index = m != M_SWEEP_FULL};
  struct svp_matcher *mt;
  if (svp_matcher_new(rs, &o, &mt) != SVP_OK)
    return -1;
  const struct svp_probe *p = svp_rules_find_probe(rs, SVP_L4_TCP, s->probe);
  double *t = malloc((size_t)reps * sizeof *t);
  struct svp_match res;
  for (int i = -reps / 10 - 1; i < reps; i++) { /* the first tenth warms up */
    double t0 = now_us();
    if (m == M_INDEX)
      svp_match_response(mt, p, s->data, s->len, &res);
    else
      svp_match_sweep(mt, SVP_L4_TCP, s->data, s->len, &res);
    double t1 = now_us();
    if (i >= 0)
      t[i] = t1 - t0;
  }
  *line = res.rule ? res.rule->line : 0;
  qsort(t, (size_t)reps, sizeof *t, dcmp);
  double med = t[reps / 2];
  free(t);
  svp_matcher_free(mt);
  return med;
}

int main(int argc, char **argv)
{
  const char *rules = "/usr/share/nmap/nmap-service-probes", *src = getenv("SVP_SRCDIR");
  int reps = 301, c;
  char exe[PATH_MAX];
  while ((c = getopt(argc, argv, "r:n:s:")) != -1) {
    switch (c) {
    case 'r': rules = optarg; break;
    case 'n': reps = atoi(optarg) > 0 ? atoi(optarg) : reps; break;
    case 's': src = optarg; break;
    default:
      fprintf(stderr, "usage: %s [-r RULEFILE] [-n REPS] [-s SRCDIR]\n", argv[0]);
      return 2;
    }
  }
  if (!src) { /* build/bench/bench_match -> the tree two levels up */
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 16);
    exe[n > 0 ? n : 0] = '\0';
    char *sl = strrchr(exe, '/');
    if (sl)
      strcpy(sl, "/../..");
    src = exe;
  }
  for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
    char path[PATH_MAX + 256];
    snprintf(path, sizeof path, "%s/%s", src, samples[i].path);
    if (!read_file(path, &samples[i].data, &samples[i].len)) {
      fprintf(stderr, "bench_match: cannot read %s (set SVP_SRCDIR or -s)\n", path);
      return 1;
    }
  }
  struct svp_ruleset *rs[2] = {load(rules, true), load(rules, false)};
  if (!rs[0] || !rs[1]) {
    fprintf(stderr, "bench_match: cannot load %s\n", rules);
    return 1;
  }
  printf("rules: %s (%zu rules), median of %d calls per cell, microseconds per response\n\n",
         rules, svp_rules_n_rules(rs[0]), reps);
  printf("%-12s %5s %-11s", "sample", "bytes", "probe");
  for (int m = 0; m < M_COUNT; m++)
    printf(" %11s/jit %11s/int", mode_name[m], mode_name[m]);
  printf(" %8s\n", "speedup");
  for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
    const struct sample *s = &samples[i];
    double t[M_COUNT][2];
    unsigned line[M_COUNT][2];
    printf("%-12s %5zu %-11s", s->name, s->len, s->probe);
    for (int m = 0; m < M_COUNT; m++)
      for (int j = 0; j < 2; j++) {
        int n = m == M_SWEEP_FULL ? reps / 3 + 1 : reps;
        t[m][j] = measure(rs[j], (enum mode)m, s, n, &line[m][j]);
        printf(" %15.2f", t[m][j]);
      }
    /* the production path (index, JIT) against the faster full sweep */
    double full = t[M_SWEEP_FULL][0] < t[M_SWEEP_FULL][1] ? t[M_SWEEP_FULL][0] : t[M_SWEEP_FULL][1];
    printf(" %7.0fx\n", full / t[M_INDEX][0]);
    printf("%-12s matched line: index %u, sweep %u (sweep/index %u)\n", "", line[M_INDEX][0],
           line[M_SWEEP_FULL][0], line[M_SWEEP_INDEX][0]);
    if (line[M_SWEEP_FULL][0] != line[M_SWEEP_INDEX][0] ||
        line[M_SWEEP_FULL][1] != line[M_SWEEP_INDEX][1] || line[M_INDEX][0] != line[M_INDEX][1])
      printf("%-12s WARNING: modes disagree\n", "");
  }
  for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++)
    free(samples[i].data);
  svp_rules_free(rs[0]);
  svp_rules_free(rs[1]);
  return 0;
}
