/* test_otrules.c: the project's OT and seed-post rules at the match level.
 *
 * Without arguments (ctest's unit run) it checks the rules against bytes
 * quoted from the seed posts and the rule files' own promises (the HEL probe
 * is the post's exact bytes; each classifier names a probe that exists).
 *
 * With "FLOWS.tsv EXPECT.tsv" (tests/ot/test_otrules_captures.sh passes
 * them) it replays every flow that tests/ot/extract_flows.py pulled out of
 * the captures with tshark: the client's first bytes pick a probe through
 * svp_classify() (server-first flows use the NULL probe), the server's first
 * bytes (<= 4096) go through svp_match_response(), and the class's
 * answers() must accept the pair. It then asserts
 *   - every EXPECT row (capture, server, service, product substring,
 *     version) is found;
 *   - no project rule (layer >= 1) fired on a flow whose tshark dissection
 *     belongs to another protocol (the negative test);
 * and prints, per protocol, how many flows the project's rules identified. */
#include "svp/ident/classify.h"
#include "svp/base/config.h"
#include "svp/rules/match.h"
#include "svp/rules/rules.h"
#include "svp/rules/rules_setup.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void diag_print(void *ud, enum svp_sev sev, const char *msg)
{
  (void)ud;
  if (sev >= SVP_SEV_WARN)
    tap_note("rules: %s", msg);
}

static struct svp_ruleset *load_rules(void)
{
  static char dir[4096];
  struct svp_config cfg;
  struct svp_diag diag = {.emit = diag_print};
  struct svp_ruleset *rs = NULL;
  memset(&cfg, 0, sizeof cfg); /* base file from /usr/share/nmap */
  cfg.no_jit = true;            /* the interpreter: what is tested is the rules */
  snprintf(dir, sizeof dir, "%s", tap_srcpath("rules"));
  cfg.rules_dir = dir;
  if (svp_rules_setup(&cfg, &diag, &rs) != SVP_OK)
    return NULL;
  CHECK_INT(diag.n_error, 0);
  return rs;
}

/* ---- helpers ---- */

static size_t unhex(const char *h, uint8_t *out, size_t max)
{
  size_t n = 0;
  if (h[0] == '-')
    return 0;
  while (h[0] && h[1] && n < max) {
    unsigned v;
    if (sscanf(h, "%2x", &v) != 1)
      break;
    out[n++] = (uint8_t)v;
    h += 2;
  }
  return n;
}

static uint16_t port_of(const char *ep)
{
  const char *c = strrchr(ep, ':');
  return c ? (uint16_t)atoi(c + 1) : 0;
}

struct ident {
  enum svp_verdict v;
  const struct svp_rule *rule;
  struct svp_fields f;
  const char *cls;
};

/* Keep the first hard match; else the first softmatch. */
static bool take(struct ident *out, const struct svp_match *mt)
{
  if (mt->verdict == SVP_NOMATCH || (out->v == SVP_SOFT && mt->verdict == SVP_SOFT))
    return false;
  out->v = mt->verdict;
  out->rule = mt->rule;
  out->f = mt->fields;
  return out->v == SVP_HARD;
}

/* nmap: after a softmatch, only probes that know the service are tried. */
static bool may_try(const struct ident *out, const struct svp_probe *p)
{
  return out->v != SVP_SOFT || svp_probe_has_service(p, out->rule->service);
}

/* What svpassive's passive step concludes for one flow, in the order of
 * src/ident/ident.c's plan: the NULL probe when the server spoke first, the probes
 * of the client request's class (each with its fallback chain, the pair
 * checked by the class's answers()), the NULL probe, then the probes whose
 * "ports" list the server port (their own lines only). */
static void identify(struct svp_matcher *m, const struct svp_ruleset *rs,
                     enum svp_l4 l4, uint16_t sport, const uint8_t *cli,
                     size_t clen, const uint8_t *srv, size_t slen,
                     struct ident *out)
{
  struct svp_match mt;
  memset(out, 0, sizeof *out);
  if (slen == 0)
    return;
  const struct svp_probe *null = svp_rules_null_probe(rs);
  if (l4 == SVP_L4_TCP && clen == 0 && null &&
      take(out, (svp_match_response(m, null, srv, slen, &mt), &mt)))
    return;
  const struct svp_reqclass *cls = clen ? svp_classify(l4, cli, clen, sport) : NULL;
  if (cls) {
    out->cls = cls->name;
    for (size_t i = 0; i < SVP_CLASS_MAX_PROBES && cls->probes[i]; i++) {
      const struct svp_probe *p = svp_rules_find_probe(rs, l4, cls->probes[i]);
      if (!p || !may_try(out, p) || svp_match_response(m, p, srv, slen, &mt) == SVP_NOMATCH)
        continue;
      if (cls->answers && !cls->answers(cli, clen, srv, slen))
        continue;
      if (take(out, &mt))
        return;
    }
  }
  if (l4 == SVP_L4_TCP && clen && null && may_try(out, null) &&
      take(out, (svp_match_response(m, null, srv, slen, &mt), &mt)))
    return;
  for (size_t i = 0, np = svp_rules_n_probes(rs); i < np; i++) {
    const struct svp_probe *p = svp_rules_probe(rs, i);
    if (p->l4 == l4 && svp_portset_has(&p->ports, sport) && may_try(out, p) &&
        take(out, (svp_match_probe_only(m, p, srv, slen, &mt), &mt)))
      return;
  }
}

/* ---- unit mode: bytes quoted in the seed posts ---- */

static void unit_checks(struct svp_ruleset *rs, struct svp_matcher *m)
{
  /* The post's probe string, byte for byte. */
  static const uint8_t hel[] =
      "\x48\x45\x4c\x46\x37\x00\x00\x00\x00\x00\x00\x00\x00\x20\x00\x00\x00\x20"
      "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x17\x00\x00\x00\x6f\x70\x63\x2e"
      "\x74\x63\x70\x3a\x2f\x2f\x6e\x6d\x61\x70\x2e\x6f\x72\x67\x3a\x31\x33\x33"
      "\x37";
  const struct svp_probe *p = svp_rules_find_probe(rs, SVP_L4_TCP, "HelRequest");
  CHECK(p != NULL);
  if (p) {
    CHECK_INT(p->payload_len, sizeof hel - 1);
    CHECK(p->payload_len == sizeof hel - 1 && memcmp(p->payload, hel, sizeof hel - 1) == 0);
    CHECK(svp_portset_has(&p->ports, 53530));
  }
  /* A request shaped like the probe is classified to the probe. */
  const struct svp_reqclass *c = svp_classify(SVP_L4_TCP, hel, sizeof hel - 1, 53530);
  CHECK(c && strcmp(c->probes[0], "HelRequest") == 0);

  /* The reply the post received from a real server on 53530. */
  static const char err[] =
      "ERRF\x83\x00\x00\x00\x00\x00\x83\x80s\x00\x00\x00" "Bad_TcpEndpointUrlInvalid"
      " (code=0x80830000, description=\"The server does not recognize the "
      "QueryString specified.\")";
  struct ident id;
  identify(m, rs, SVP_L4_TCP, 53530, hel, sizeof hel - 1, (const uint8_t *)err,
           sizeof err - 1, &id);
  CHECK_INT(id.v, SVP_HARD);
  if (id.rule) {
    CHECK_STR(id.rule->service, "opc-ua-tcp");
    CHECK(strstr(id.f.info, "BadTcpEndpointUrlInvalid (0x80830000)") != NULL);
    CHECK(strstr(id.f.info, "does not recognize the QueryString") != NULL);
  }

  /* Every probe an OT class names exists in the loaded rules. */
  for (const struct svp_reqclass *k = svp_reqclass_ot; k->name; k++)
    for (size_t i = 0; i < SVP_CLASS_MAX_PROBES && k->probes[i]; i++) {
      bool found = svp_rules_find_probe(rs, k->l4, k->probes[i]) != NULL;
      tap_check(found, __FILE__, __LINE__, "class %s: probe %s exists", k->name,
                k->probes[i]);
    }
}

/* ---- flows mode ---- */

/* tshark dissector names that count as each service's own traffic, from
 * tests/ot/own-protocols.tsv. */
#define MAX_OWN 64
static struct {
  char service[64];
  char protos[192]; /* comma-separated */
} own[MAX_OWN];
static size_t n_own;

static void load_own(void)
{
  FILE *fp = fopen(tap_srcpath("tests/ot/own-protocols.tsv"), "r");
  CHECK(fp != NULL);
  if (!fp)
    return;
  char line[512];
  while (fgets(line, sizeof line, fp) && n_own < MAX_OWN) {
    char *tab = strchr(line, '\t');
    if (line[0] == '#' || !tab)
      continue;
    *tab = '\0';
    tab[1 + strcspn(tab + 1, "\r\n")] = '\0';
    if (strlen(line) >= sizeof own[0].service || strlen(tab + 1) >= sizeof own[0].protos)
      continue;
    memcpy(own[n_own].service, line, strlen(line) + 1);
    memcpy(own[n_own].protos, tab + 1, strlen(tab + 1) + 1);
    n_own++;
  }
  fclose(fp);
}

/* The rule files this test answers for (tests/ot/rule-files.txt). */
static char ot_files[1024];

static void load_ot_files(void)
{
  FILE *fp = fopen(tap_srcpath("tests/ot/rule-files.txt"), "r");
  CHECK(fp != NULL);
  if (!fp)
    return;
  char line[128];
  size_t used = 0;
  while (fgets(line, sizeof line, fp)) {
    line[strcspn(line, "\r\n")] = '\0';
    size_t n = strlen(line);
    if (line[0] == '#' || n == 0 || used + n + 2 > sizeof ot_files)
      continue;
    memcpy(ot_files + used, line, n);
    used += n;
    ot_files[used++] = ',';
    ot_files[used] = '\0';
  }
  fclose(fp);
}

static bool list_has(const char *list, const char *item, size_t n);

/* A line of one of those files. */
static bool is_ot_rule(const struct svp_rule *r)
{
  if (!r || r->layer < 1)
    return false;
  const char *base = strrchr(r->file, '/');
  base = base ? base + 1 : r->file;
  return list_has(ot_files, base, strlen(base));
}

static bool list_has(const char *list, const char *item, size_t n)
{
  for (const char *s = list; *s;) {
    const char *e = strchr(s, ',');
    size_t l = e ? (size_t)(e - s) : strlen(s);
    if (l == n && strncmp(s, item, n) == 0)
      return true;
    s += l + (e ? 1 : 0);
  }
  return false;
}

/* True if any of tshark's protocols of the flow belongs to the service. */
static bool is_own(const char *service, const char *protos)
{
  for (size_t i = 0; i < n_own; i++) {
    if (strcmp(own[i].service, service) != 0)
      continue;
    for (const char *s = protos; *s;) {
      const char *e = strchr(s, ',');
      size_t l = e ? (size_t)(e - s) : strlen(s);
      if (list_has(own[i].protos, s, l))
        return true;
      s += l + (e ? 1 : 0);
    }
    return false;
  }
  return false;
}

#define MAX_FLOWS 8192

struct flowres {
  char *cap, *srv, *protos;
  char service[64];
  struct svp_fields f;
  bool project;
};

static int split_tabs(char *line, char **col, int max)
{
  int n = 0;
  col[n++] = line;
  for (char *q = line; n < max && (q = strchr(q, '\t')); q++) {
    *q = '\0';
    col[n++] = q + 1;
  }
  line[strcspn(line, "\n")] = '\0';
  for (int i = 0; i < n; i++)
    col[i][strcspn(col[i], "\n")] = '\0';
  return n;
}

static void flows_mode(struct svp_ruleset *rs, struct svp_matcher *m,
                       const char *flows_path, const char *expect_path)
{
  load_own();
  load_ot_files();
  FILE *fp = fopen(flows_path, "r");
  CHECK(fp != NULL);
  if (!fp)
    return;
  static struct flowres res[MAX_FLOWS];
  size_t nres = 0;
  static uint8_t cli[8192], srv[8192];
  char *line = NULL;
  size_t cap = 0;
  unsigned misfires = 0;
  while (getline(&line, &cap, fp) > 0 && nres < MAX_FLOWS) {
    char *col[9];
    if (split_tabs(line, col, 9) < 8)
      continue;
    enum svp_l4 l4 = strcmp(col[1], "udp") == 0 ? SVP_L4_UDP : SVP_L4_TCP;
    size_t clen = unhex(col[5], cli, sizeof cli);
    size_t slen = unhex(col[6], srv, sizeof srv);
    struct ident id;
    identify(m, rs, l4, port_of(col[2]), cli, clen, srv, slen, &id);
    struct flowres *r = &res[nres++];
    r->cap = strdup(col[0]);
    r->srv = strdup(col[2]);
    r->protos = strdup(col[7]);
    r->f = id.f;
    r->project = is_ot_rule(id.rule);
    snprintf(r->service, sizeof r->service, "%s", id.rule ? id.rule->service : "");
    if (getenv("SVP_OT_VERBOSE"))
      tap_note("%s %s<-%s [%s] class=%s -> %s%s \"%s\" \"%s\" \"%s\"", r->cap, r->srv,
               col[3], r->protos, id.cls ? id.cls : "-", r->project ? "project " : "",
               r->service, r->f.product, r->f.version, r->f.info);
    if (r->project && !is_own(r->service, r->protos)) {
      misfires++;
      tap_check(0, __FILE__, __LINE__, "%s %s: %s:%u (%s) fired on a [%s] flow",
                r->cap, r->srv, id.rule->file, id.rule->line, r->service, r->protos);
    }
  }
  free(line);
  fclose(fp);
  tap_check(misfires == 0, __FILE__, __LINE__,
            "no project rule fired outside its protocol (%zu flows)", nres);

  /* per service: flows its project rules identified / flows tshark labels */
  for (size_t i = 0; i < n_own; i++) {
    unsigned hit = 0, total = 0;
    if (strstr(own[i].protos, "http") || strstr(own[i].protos, "mysql"))
      continue; /* seed-post services: no OT label to count against */
    for (size_t k = 0; k < nres; k++) {
      bool labeled = strcmp(res[k].protos, "-") != 0 && is_own(own[i].service, res[k].protos);
      bool ok = res[k].project && strcmp(res[k].service, own[i].service) == 0;
      total += labeled || ok;
      hit += ok;
    }
    if (total)
      tap_note("%-16s %u of %u flows identified by project rules", own[i].service,
               hit, total);
  }

  FILE *ep = fopen(expect_path, "r");
  CHECK(ep != NULL);
  if (!ep)
    return;
  line = NULL;
  cap = 0;
  while (getline(&line, &cap, ep) > 0) {
    if (line[0] == '#' || line[0] == '\n')
      continue;
    char *col[6] = {0};
    int n = split_tabs(line, col, 6);
    if (n < 3)
      continue;
    const char *prod = n > 3 ? col[3] : "";
    const char *ver = n > 4 ? col[4] : "";
    const char *info = n > 5 ? col[5] : "";
    bool found = false;
    const struct flowres *seen = NULL;
    for (size_t k = 0; k < nres && !found; k++) {
      if (strcmp(res[k].cap, col[0]) != 0 || strcmp(res[k].srv, col[1]) != 0)
        continue;
      seen = &res[k];
      found = strcmp(res[k].service, col[2]) == 0 &&
              strstr(res[k].f.product, prod) != NULL &&
              (!*ver || strcmp(res[k].f.version, ver) == 0) &&
              strstr(res[k].f.info, info) != NULL;
    }
    tap_check(found, __FILE__, __LINE__,
              "%s %s: %s \"%s\" \"%s\" \"%s\" (got %s \"%s\" \"%s\" \"%s\")", col[0],
              col[1], col[2], prod, ver, info, seen ? seen->service : "no flow",
              seen ? seen->f.product : "", seen ? seen->f.version : "",
              seen ? seen->f.info : "");
  }
  free(line);
  fclose(ep);
  for (size_t k = 0; k < nres; k++) {
    free(res[k].cap);
    free(res[k].srv);
    free(res[k].protos);
  }
}

int main(int argc, char **argv)
{
  struct svp_ruleset *rs = load_rules();
  CHECK(rs != NULL);
  if (!rs)
    return tap_done();
  struct svp_matcher *m = NULL;
  CHECK_INT(svp_matcher_new(rs, NULL, &m), SVP_OK);
  if (m) {
    unit_checks(rs, m);
    if (argc == 3)
      flows_mode(rs, m, argv[1], argv[2]);
    svp_matcher_free(m);
  }
  svp_rules_free(rs);
  return tap_done();
}
