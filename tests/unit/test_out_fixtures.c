/* test_out_fixtures.c: real server responses through the rule engine and
 * the writers, compared with what nmap said about the same server.
 *
 * For each tests/fixtures/responses/<name>/ (made by
 * tests/lab/make-fixtures.sh: response.bin is what the server sent to
 * nmap's probe, nmap.xml is nmap -sV's verdict): Debian's rules are run
 * over response.bin with the probe nmap used, the result becomes an
 * endpoint, and
 *   - its XML <port> element must be the one in nmap.xml (servicefp aside),
 *   - its normal-output row and grepable entry must be the ones nmap's
 *     fields give (rendered from nmap.xml by the same writers, whose
 *     rendering test_out_normal/test_out_grep check against nmap's files),
 *   - its JSON line must carry nmap's service, product and version.
 * With "--emit DIR" the XML and JSONL go to DIR/fixture-<name>.* for
 * tests/output/test_xml_tools.sh (xmllint, ndiff against nmap.xml, json). */
#include "nmapref.h"
#include "svp/rules/match.h"
#include "svp/rules/rules.h"
#include "svp/rules/services.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define BASE_RULES "/usr/share/nmap/nmap-service-probes"
#define SERVICES "/usr/share/nmap/nmap-services"

static const char *emit_dir;

struct ctx {
  struct svp_ruleset *rs;
  struct svp_matcher *m;
  struct svp_services *svc;
  unsigned compared, skipped, differ;
};

static int cmp_str(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_dir(const char *dir, const char *name)
{
  char path[1024];
  struct stat st;
  snprintf(path, sizeof path, "%s/%s", dir, name);
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static void chomp(char *s)
{
  if (s)
    s[strcspn(s, "\r\n")] = '\0';
}

/* One line of text with the given prefix ("" if none), malloc'd. */
static char *line_with(const char *text, const char *prefix)
{
  for (const char *p = text; p && *p;) {
    size_t len = strcspn(p, "\n");
    if (strncmp(p, prefix, strlen(prefix)) == 0)
      return strndup(p, len);
    p += len + (p[len] == '\n');
  }
  return strdup("");
}

static void check_fixture(struct ctx *c, const char *name)
{
  char path[1024], rel[512];
  snprintf(rel, sizeof rel, "tests/fixtures/responses/%s/", name);
  snprintf(path, sizeof path, "%s", tap_srcpath(rel));
  size_t plen = strlen(path);
  size_t resp_len = 0;
  snprintf(path + plen, sizeof path - plen, "probe");
  char *probe_name = ref_read(path, NULL);
  snprintf(path + plen, sizeof path - plen, "proto");
  char *proto = ref_read(path, NULL);
  snprintf(path + plen, sizeof path - plen, "response.bin");
  char *resp = ref_read(path, &resp_len);
  snprintf(path + plen, sizeof path - plen, "nmap.xml");
  char *xml = ref_read(path, NULL);
  chomp(probe_name);
  chomp(proto);
  struct ref_port *rp = calloc(2, sizeof *rp);
  struct svp_addr addr;
  if (!probe_name || !proto || !resp || !xml || !rp || !ref_address(xml, &addr) ||
      ref_ports(xml, rp, 2) != 1) {
    tap_check(0, __FILE__, __LINE__, "fixture %s: probe, proto, response.bin and "
              "nmap.xml with one port", name);
    goto out;
  }
  enum svp_l4 l4 = strcmp(proto, "udp") == 0 ? SVP_L4_UDP : SVP_L4_TCP;
  const struct svp_probe *probe = svp_rules_find_probe(c->rs, l4, probe_name);
  if (!probe) {
    /* a probe of the project's own rules: nmap cannot have used it */
    tap_note("fixture %s: probe %s/%s is not in %s; not compared", name, proto,
             probe_name, BASE_RULES);
    c->skipped++;
    goto out;
  }

  /* the result as the identification layer makes it */
  struct svp_match mt;
  svp_match_response(c->m, probe, (const uint8_t *)resp, resp_len, &mt);
  struct svp_endpoint ep;
  memset(&ep, 0, sizeof ep);
  ep.addr = addr;
  ep.port = (uint16_t)rp->port;
  ep.l4 = l4;
  ep.reason = l4 == SVP_L4_UDP ? "udp-response" : "syn-ack";
  ep.reason_ttl = (uint8_t)rp->ttl;
  ep.first_us = ep.last_us = 1700000000000000LL;
  ep.n_flows = ep.n_clients = 1;
  ep.table_name = svp_services_name(c->svc, l4, ep.port);
  struct svp_result *r = &ep.res;
  r->verdict = mt.verdict;
  r->probe = probe;
  r->ev.pkt = (struct svp_pktref){.file = 0, .frame = 4, .ts_us = ep.first_us};
  if (mt.verdict != SVP_NOMATCH) {
    r->method = probe->payload_len ? SVP_M_REQRESP : SVP_M_BANNER;
    r->conf = 10;
    r->rule = mt.rule;
    r->service = mt.rule->service;
    r->ssl = mt.rule->ssl;
    r->fields = mt.fields;
  } else {
    r->method = SVP_M_TABLE;
    r->conf = 3;
    r->service = ep.table_name;
  }
  if (mt.verdict != SVP_HARD) {
    ep.fp_data = (const uint8_t *)resp;
    ep.fp_len = (uint32_t)resp_len;
    ep.fp_probe = probe;
  }
  tap_note("fixture %s: %s/%u %s -> %s %s %s (%s:%u)", name, proto, ep.port, probe_name,
           mt.verdict == SVP_HARD ? "hard" : mt.verdict == SVP_SOFT ? "soft" : "none",
           r->service ? r->service : "-", r->fields.product,
           mt.rule ? mt.rule->file : "-", mt.rule ? mt.rule->line : 0);

  /* the same port as nmap reported it */
  struct svp_endpoint want;
  ref_endpoint(&rp[0], &addr, &want);
  /* Where the rule engine's own result differs from nmap's (nmap -sV also
   * runs version scripts, e.g. snmp-info rewrites the SNMP product), the
   * engine's fixture test (test_match_fixtures) reports it; comparing the
   * rendering of two different results here would say nothing about the
   * writers. */
  const struct svp_fields *gf = &r->fields;
  if (strcmp(r->service ? r->service : "", rp[0].name) != 0 ||
      strcmp(gf->product, rp[0].product) != 0 || strcmp(gf->version, rp[0].version) != 0 ||
      strcmp(gf->info, rp[0].extrainfo) != 0) {
    tap_note("fixture %s: the rule engine's result differs from nmap's (\"%s\" vs \"%s\"); "
             "see test_match_fixtures", name, gf->product, rp[0].product);
    c->differ++;
    goto out;
  }
  const struct svp_endpoint *mine[1] = {&ep}, *theirs[1] = {&want};
  char *argv[] = {"svpassive", "-r", "fixture.pcap"};
  struct svp_run_info run = {.intensity = 7, .argc = 3, .argv = argv};

  char *x = ref_render(&svp_writer_xml, mine, 1, &run, NULL);
  snprintf(path, sizeof path, "fixture-%s", name);
  ref_emit(emit_dir, path, "xml", x);
  struct ref_port *got = calloc(1, sizeof *got);
  if (got && ref_ports(x, got, 1) == 1) {
    char *a = got->xml, *b = rp[0].xml, *fa = strstr(a, " servicefp=\""),
         *fb = strstr(b, " servicefp=\"");
    if (fa)
      memmove(fa, strchr(fa + 12, '"') + 1, strlen(strchr(fa + 12, '"') + 1) + 1);
    if (fb)
      memmove(fb, strchr(fb + 12, '"') + 1, strlen(strchr(fb + 12, '"') + 1) + 1);
    tap_check(strcmp(a, b) == 0, __FILE__, __LINE__, "fixture %s: XML port\n#  ours:  %s\n"
              "#  nmap's: %s", name, a, b);
  } else {
    CHECK(!"our XML has one port");
  }
  free(got);
  free(x);

  static const struct { const struct svp_writer *w; const char *prefix; } rows[] = {
    {&svp_writer_normal, "PORT "}, {&svp_writer_grep, "Host: "},
  };
  char row[32];
  snprintf(row, sizeof row, "%u/%s ", ep.port, proto);
  for (size_t i = 0; i < 2; i++) {
    char *ta = ref_render(rows[i].w, mine, 1, &run, NULL);
    char *tb = ref_render(rows[i].w, theirs, 1, &run, NULL);
    const char *pre = i == 0 ? row : "Host: ";
    char *la = line_with(ta, pre), *lb = line_with(tb, pre);
    if (i == 1) { /* the Ports line comes second */
      free(la);
      free(lb);
      la = strstr(ta, "\tPorts: ") ? line_with(strstr(ta, "\tPorts: ") + 1, "Ports: ") : strdup("");
      lb = strstr(tb, "\tPorts: ") ? line_with(strstr(tb, "\tPorts: ") + 1, "Ports: ") : strdup("");
    }
    tap_check(la[0] && strcmp(la, lb) == 0, __FILE__, __LINE__,
              "fixture %s: %s row \"%s\" == \"%s\"", name, rows[i].w->name, la, lb);
    free(la);
    free(lb);
    free(ta);
    free(tb);
  }

  /* nmap's fingerprint holds a block for each probe that got data: ours
   * (one block, for the probe the client sent) must be one of them */
  if (rp[0].servicefp[0]) {
    static char fp[SVP_FP_MAX];
    svp_fingerprint(&ep, &run, false, fp, sizeof fp);
    char *blk = strstr(fp, "%r(");
    size_t bl = blk ? strlen(blk) : 0;
    if (bl && blk[bl - 1] == ';')
      blk[--bl] = '\0';
    tap_check(bl && strstr(rp[0].servicefp, blk) != NULL, __FILE__, __LINE__,
              "fixture %s: our block %s is in nmap's fingerprint", name, blk ? blk : "-");
  }

  char *j = ref_render(&svp_writer_json, mine, 1, &run, NULL);
  snprintf(path, sizeof path, "fixture-%s", name);
  ref_emit(emit_dir, path, "jsonl", j);
  static const struct { const char *key; size_t off; } fields[] = {
    {"product", offsetof(struct ref_port, product)},
    {"version", offsetof(struct ref_port, version)},
    {"extrainfo", offsetof(struct ref_port, extrainfo)},
    {"ostype", offsetof(struct ref_port, ostype)},
  };
  char want_kv[512];
  snprintf(want_kv, sizeof want_kv, "\"service\":\"%s\"", rp[0].name);
  tap_check(strstr(j, want_kv) != NULL, __FILE__, __LINE__, "fixture %s: JSON %s", name, want_kv);
  for (size_t i = 0; i < SVP_ARRAY_LEN(fields); i++) {
    const char *v = (const char *)&rp[0] + fields[i].off;
    if (v[0])
      snprintf(want_kv, sizeof want_kv, "\"%s\":\"%s\"", fields[i].key, v);
    else
      snprintf(want_kv, sizeof want_kv, "\"%s\":null", fields[i].key);
    tap_check(strstr(j, want_kv) != NULL, __FILE__, __LINE__, "fixture %s: JSON %s", name,
              want_kv);
  }
  free(j);
  c->compared++;
out:
  free(probe_name);
  free(proto);
  free(resp);
  free(xml);
  free(rp);
}

int main(int argc, char **argv)
{
  if (argc == 3 && strcmp(argv[1], "--emit") == 0)
    emit_dir = argv[2];
  struct svp_diag diag = {0};
  struct ctx c = {0};
  CHECK_INT(svp_rules_new(&c.rs), SVP_OK);
  CHECK_INT(svp_rules_load_file(c.rs, BASE_RULES, 0, &diag), SVP_OK);
  CHECK_INT(svp_rules_compile(c.rs, true, &diag), SVP_OK);
  CHECK_INT(svp_matcher_new(c.rs, NULL, &c.m), SVP_OK);
  CHECK_INT(svp_services_load(SERVICES, &diag, &c.svc), SVP_OK);

  const char *dir = tap_srcpath("tests/fixtures/responses");
  DIR *d = opendir(dir);
  char *names[1024];
  size_t n = 0;
  for (struct dirent *e; d && (e = readdir(d)) != NULL && n < SVP_ARRAY_LEN(names);)
    if (e->d_name[0] != '.' && is_dir(dir, e->d_name))
      names[n++] = strdup(e->d_name);
  if (d)
    closedir(d);
  qsort(names, n, sizeof names[0], cmp_str);
  for (size_t i = 0; i < n; i++) {
    if (c.m && c.svc)
      check_fixture(&c, names[i]);
    free(names[i]);
  }
  tap_note("%u fixtures compared with nmap, %u with probes of the project's rules only, "
           "%u where the rule engine's result differs from nmap's", c.compared, c.skipped,
           c.differ);
  CHECK(c.compared >= 4);
  svp_matcher_free(c.m);
  svp_rules_free(c.rs);
  svp_services_free(c.svc);
  return tap_done();
}
