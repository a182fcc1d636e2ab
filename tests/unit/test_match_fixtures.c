/* test_match_fixtures.c: real server responses through the real system
 * rule file must give exactly what nmap -sV printed for the same server.
 *
 * Each tests/fixtures/responses/<name>/ (made by the lab scripts, see its
 * SOURCE) holds: probe (the nmap probe whose response nmap matched), proto,
 * response.bin (the server's bytes), nmap.xml (nmap -sV -oX for that port)
 * and optionally match ("hard|soft PROBE LINE SERVICE" from nmap's
 * --version-trace) and trace (nmap's --version-trace output). The
 * <service> element's name, tunnel, product, version, extrainfo, hostname,
 * ostype, devicetype and <cpe> list must equal ours; with the index and
 * without it; and the matched line too when the match file names it.
 *
 * nmap -sV also runs the NSE scripts of the "version" category, which may
 * rewrite the service after the rules matched (snmp-info turns "SNMPv1
 * server" into "SNMPv1 server; net-snmp SNMPv3 server" and adds the host
 * name). When the trace shows a script ran against the port and its
 * "Service scan match ... Version: |p|v|i|" line differs from the XML, the
 * XML is no longer the rules' verdict: name, product, version and extra
 * info are then taken from the trace, and the fields only scripts could
 * have changed are not compared (noted); the verdict (hard/soft) and the
 * matched line still are. (fingerprint-strings runs on every unrecognised
 * service and changes nothing: such a fixture is compared in full.)
 * A fixture whose XML disagrees and that has no trace fails.
 * No fixture at all is a failure. */
#include "svp/rules/match.h"
#include "tap.h"
#include "test_rules_util.h"

#include <dirent.h>
#include <sys/stat.h>
#include <string.h>

struct expected {
  char name[128], tunnel[16], product[128], version[128], extrainfo[300];
  char hostname[128], ostype[64], devicetype[64], method[16];
  char cpe[8][128];
  unsigned n_cpe;
  bool has_fp;            /* servicefp attribute present */
  bool nse;               /* a version script ran: only name/p/v/i known */
};

/* From nmap's --version-trace output: the rules' own verdict and whether
 * NSE scripts ran afterwards. Returns false if there is no match line. */
static bool parse_trace(const char *trace, struct expected *e)
{
  const char *m = strstr(trace, "Service scan match (Probe ");
  if (!m)
    return false;
  const char *is = strstr(m, " is ");
  const char *ver = strstr(m, ".  Version: |");
  const char *eol = strchr(m, '\n');
  if (!is || !ver || (eol && ver > eol))
    return false;
  is += 4;
  size_t nlen = (size_t)(ver - is);
  if (nlen >= 4 && memcmp(is, "SSL/", 4) == 0) {
    snprintf(e->tunnel, sizeof e->tunnel, "ssl");
    is += 4;
    nlen -= 4;
  }
  snprintf(e->name, sizeof e->name, "%.*s", (int)nlen, is);
  char *dst[3] = {e->product, e->version, e->extrainfo};
  size_t dsz[3] = {sizeof e->product, sizeof e->version, sizeof e->extrainfo};
  const char *p = ver + strlen(".  Version: |");
  for (int k = 0; k < 3; k++) {
    const char *bar = strchr(p, '|');
    if (!bar)
      return false;
    snprintf(dst[k], dsz[k], "%.*s", (int)(bar - p), p);
    p = bar + 1;
  }
  /* "NSE: Starting snmp-info against 10.201.10.2:161." (not the runlevel
   * lines, which every -sV run prints) */
  e->nse = false;
  for (const char *s = strstr(trace, "NSE: Starting "); s && !e->nse;
       s = strstr(s + 1, "NSE: Starting ")) {
    const char *nl = strchr(s, '\n');
    const char *against = strstr(s, " against ");
    e->nse = against && (!nl || against < nl);
  }
  return true;
}

/* The trace's verdict differs from the XML's in a field a script may set. */
static bool trace_differs(const struct expected *t, const struct expected *x)
{
  return strcmp(t->name, x->name) || strcmp(t->tunnel, x->tunnel) ||
         strcmp(t->product, x->product) || strcmp(t->version, x->version) ||
         strcmp(t->extrainfo, x->extrainfo);
}

static char *slurp(const char *path, size_t *len)
{
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  size_t cap = 8192, n = 0, got;
  char *buf = malloc(cap + 1);
  while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
    n += got;
    if (n == cap) {
      char *nb = realloc(buf, (cap *= 2) + 1);
      if (!nb)
        free(buf);
      buf = nb;
    }
  }
  fclose(f);
  if (buf) {
    buf[n] = '\0';
    if (len)
      *len = n;
  }
  return buf;
}

/* Decode XML entities of s[0..n) into out. */
static void xml_text(const char *s, size_t n, char *out, size_t outsz)
{
  static const struct { const char *ent; char c; } ents[] = {
    {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''},
  };
  size_t o = 0;
  for (size_t i = 0; i < n && o + 1 < outsz;) {
    if (s[i] == '&') {
      bool done = false;
      for (size_t k = 0; k < SVP_ARRAY_LEN(ents) && !done; k++) {
        size_t el = strlen(ents[k].ent);
        if (i + el <= n && memcmp(s + i, ents[k].ent, el) == 0) {
          out[o++] = ents[k].c;
          i += el;
          done = true;
        }
      }
      unsigned v;
      int used;
      if (!done && sscanf(s + i, "&#x%x;%n", &v, &used) == 1 && used > 0) {
        out[o++] = (char)v;
        i += (size_t)used;
        done = true;
      }
      if (done)
        continue;
    }
    out[o++] = s[i++];
  }
  out[o] = '\0';
}

/* attr="value" inside the element text [el, end). */
static void xml_attr(const char *el, const char *end, const char *attr, char *out, size_t outsz)
{
  char key[40];
  snprintf(key, sizeof key, " %s=\"", attr);
  out[0] = '\0';
  const char *p = strstr(el, key);
  if (!p || p >= end)
    return;
  p += strlen(key);
  const char *q = strchr(p, '"');
  if (q && q <= end)
    xml_text(p, (size_t)(q - p), out, outsz);
}

static bool parse_nmap_xml(const char *xml, struct expected *e)
{
  memset(e, 0, sizeof *e);
  const char *svc = strstr(xml, "<service ");
  if (!svc)
    return false;
  const char *tag_end = strchr(svc, '>');
  if (!tag_end)
    return false;
  xml_attr(svc, tag_end, "name", e->name, sizeof e->name);
  xml_attr(svc, tag_end, "tunnel", e->tunnel, sizeof e->tunnel);
  xml_attr(svc, tag_end, "product", e->product, sizeof e->product);
  xml_attr(svc, tag_end, "version", e->version, sizeof e->version);
  xml_attr(svc, tag_end, "extrainfo", e->extrainfo, sizeof e->extrainfo);
  xml_attr(svc, tag_end, "hostname", e->hostname, sizeof e->hostname);
  xml_attr(svc, tag_end, "ostype", e->ostype, sizeof e->ostype);
  xml_attr(svc, tag_end, "devicetype", e->devicetype, sizeof e->devicetype);
  xml_attr(svc, tag_end, "method", e->method, sizeof e->method);
  const char *fp = strstr(svc, " servicefp=\"");
  e->has_fp = fp && fp < tag_end;
  const char *close = strstr(tag_end, "</service>");
  for (const char *c = tag_end; close && e->n_cpe < 8 && (c = strstr(c, "<cpe>")) && c < close;) {
    c += 5;
    const char *ce = strstr(c, "</cpe>");
    if (!ce)
      break;
    xml_text(c, (size_t)(ce - c), e->cpe[e->n_cpe++], sizeof e->cpe[0]);
    c = ce;
  }
  return true;
}

static void first_line(char *s)
{
  s[strcspn(s, "\r\n")] = '\0';
}

/* Our CPEs in nmap's output order (a, h, o), non-empty ones. */
static unsigned our_cpes(const struct svp_fields *f, const char *out[SVP_CPE_COUNT])
{
  unsigned n = 0;
  for (int part = 0; part < SVP_CPE_COUNT; part++)
    if (f->cpe[part][0])
      out[n++] = f->cpe[part];
  return n;
}

static void compare(const char *fx, const struct expected *e, const struct svp_match *mt,
                    const char *match_line)
{
  if (strcmp(e->method, "probed") != 0) {
    tap_note("%s: nmap found no match (method %s): neither may we", fx, e->method);
    CHECK_INT(mt->verdict, SVP_NOMATCH);
    return;
  }
  CHECK(mt->rule != NULL);
  if (!mt->rule)
    return;
  const struct svp_fields *f = &mt->fields;
  tap_note("%s: %s:%u %s \"%s\" \"%s\" \"%s\"", fx, mt->rule->file, mt->rule->line,
           mt->rule->service, f->product, f->version, f->info);
  CHECK_STR(mt->rule->service, e->name);
  CHECK_STR(mt->rule->ssl ? "ssl" : "", e->tunnel);
  CHECK_STR(f->product, e->product);
  CHECK_STR(f->version, e->version);
  CHECK_STR(f->info, e->extrainfo);
  if (e->nse) {
    tap_note("%s: a version script rewrote nmap's <service>: hostname, OS, device "
             "and CPEs are not compared", fx);
  } else {
    CHECK_STR(f->hostname, e->hostname);
    CHECK_STR(f->ostype, e->ostype);
    CHECK_STR(f->devtype, e->devicetype);
    const char *cpes[SVP_CPE_COUNT];
    unsigned n = our_cpes(f, cpes);
    CHECK_INT(n, e->n_cpe);
    for (unsigned i = 0; i < n && i < e->n_cpe; i++)
      CHECK_STR(cpes[i], e->cpe[i]);
  }
  /* nmap keeps a service fingerprint only when nothing hard-matched */
  CHECK_INT(mt->verdict, e->has_fp ? SVP_SOFT : SVP_HARD);
  if (match_line) { /* "hard GetRequest 11139 imap": only the line is used */
    char kind[8], probe[64], svc[128];
    unsigned line;
    if (sscanf(match_line, "%7s %63s %u %127s", kind, probe, &line, svc) == 4)
      CHECK_INT(mt->rule->line, line);
  }
}

/* Contents of dir/fx/file (NUL-terminated), or NULL. */
static char *fixture_file(const char *dir, const char *fx, const char *file, size_t *len)
{
  char path[4400];
  if ((size_t)snprintf(path, sizeof path, "%s/%s/%s", dir, fx, file) >= sizeof path)
    return NULL;
  return slurp(path, len);
}

static unsigned run_fixture(const char *dir, const char *fx, struct svp_ruleset *rs,
                            struct svp_matcher *mi, struct svp_matcher *mn)
{
  char *xml = fixture_file(dir, fx, "nmap.xml", NULL);
  char *probe = fixture_file(dir, fx, "probe", NULL);
  char *proto = fixture_file(dir, fx, "proto", NULL);
  size_t len = 0;
  char *resp = fixture_file(dir, fx, "response.bin", &len);
  char *match = fixture_file(dir, fx, "match", NULL);
  char *trace = fixture_file(dir, fx, "trace", NULL);
  unsigned ran = 0;
  struct expected e;
  if (!xml || !probe || !proto || !resp || !parse_nmap_xml(xml, &e)) {
    tap_note("%s: incomplete fixture (probe, proto, response.bin, nmap.xml)", fx);
    CHECK(0);
    goto out;
  }
  if (trace) {
    struct expected t = e;
    /* A script ran against the port and the service differs from the
     * rules' verdict: the script rewrote it, the trace holds the verdict.
     * (fingerprint-strings runs on every fingerprint and changes nothing.) */
    if (parse_trace(trace, &t) && t.nse && trace_differs(&t, &e))
      e = t;
    else
      e.nse = false;
  }
  first_line(probe);
  first_line(proto);
  if (match)
    first_line(match);
  enum svp_l4 l4 = strcmp(proto, "udp") == 0 ? SVP_L4_UDP : SVP_L4_TCP;
  const struct svp_probe *p = svp_rules_find_probe(rs, l4, probe);
  CHECK(p != NULL);
  if (!p) {
    tap_note("%s: probe %s/%s not in the system file", fx, proto, probe);
    goto out;
  }
  struct svp_match a, b;
  svp_match_response(mi, p, (const uint8_t *)resp, len, &a);
  svp_match_response(mn, p, (const uint8_t *)resp, len, &b);
  if (!trace && a.rule &&
      (strcmp(a.fields.product, e.product) || strcmp(a.fields.version, e.version) ||
       strcmp(a.fields.info, e.extrainfo) || strcmp(a.fields.hostname, e.hostname)))
    tap_note("%s: nmap.xml differs from the matched line's fields and the fixture has no "
             "trace; if an NSE version script (e.g. snmp-info) rewrote the service, add "
             "nmap's --version-trace output to the fixture as 'trace'", fx);
  compare(fx, &e, &a, match);
  CHECK(a.rule == b.rule && memcmp(&a.fields, &b.fields, sizeof a.fields) == 0);
  ran = 1;
out:
  free(xml);
  free(probe);
  free(proto);
  free(resp);
  free(match);
  free(trace);
  return ran;
}

int main(void)
{
  struct svp_ruleset *rs = load_system(true);
  CHECK(rs != NULL);
  if (!rs)
    return tap_done();
  struct svp_matcher *mi, *mn;
  struct svp_matcher_opts off = {.use_index = false};
  svp_matcher_new(rs, NULL, &mi);
  svp_matcher_new(rs, &off, &mn);
  char dir[4096];
  snprintf(dir, sizeof dir, "%s", tap_srcpath("tests/fixtures/responses"));
  struct dirent **list;
  int n = scandir(dir, &list, NULL, alphasort);
  unsigned fixtures = 0;
  for (int i = 0; i < n; i++) {
    char sub[4400];
    struct stat st;
    if (list[i]->d_name[0] != '.' &&
        (size_t)snprintf(sub, sizeof sub, "%s/%s", dir, list[i]->d_name) < sizeof sub &&
        stat(sub, &st) == 0 && S_ISDIR(st.st_mode))
      fixtures += run_fixture(dir, list[i]->d_name, rs, mi, mn);
    free(list[i]);
  }
  if (n >= 0)
    free(list);
  tap_note("%u fixtures from %s", fixtures, dir);
  CHECK(fixtures > 0); /* no fixture is a failure, never a pass */
  svp_matcher_free(mi);
  svp_matcher_free(mn);
  svp_rules_free(rs);
  return tap_done();
}
