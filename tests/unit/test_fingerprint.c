/* test_fingerprint.c: svp_fingerprint() against fingerprints nmap 7.93
 * itself printed (tests/output/nmap-ref, made by tests/output/mkref.sh):
 * the same bytes give the same escaping, the same header fields (apart
 * from V=, which names svpassive) and nmap's exact 74-column wrapping. */
#include "nmapref.h"
#include "tap.h"

#include <string.h>

#define PLATFORM_SUFFIX "%P=x86_64-pc-linux-gnu"

/* nmap's wrapped SF-Port block for port/PROTO from its normal output. */
static char *nmap_block(const char *nmap_text, unsigned port, const char *proto)
{
  char from[64];
  snprintf(from, sizeof from, "SF-Port%u-%s:", port, proto);
  static const char *const stops[] = {"==============", "\n", NULL};
  char *s = ref_lines(nmap_text, from, stops);
  if (s && *s && s[strlen(s) - 1] == '\n')
    s[strlen(s) - 1] = '\0';
  return s;
}

/* Remove every "\nSF:" (what nmap does for XML). */
static void unwrap(char *s)
{
  char *w = s;
  for (const char *r = s; *r;) {
    if (strncmp(r, "\nSF:", 4) == 0) {
      r += 4;
      continue;
    }
    *w++ = *r++;
  }
  *w = '\0';
}

/* First "%r(...)" block: from "%r(" through the '")' that closes it. */
static size_t first_block(const char *fp, const char **start)
{
  const char *b = strstr(fp, "%r(");
  if (!b)
    return 0;
  const char *q = strchr(b, '"');
  for (q = q ? q + 1 : NULL; q && *q; q++) {
    if (*q == '\\') {
      q++;
      continue;
    }
    if (*q == '"' && q[1] == ')') {
      *start = b;
      return (size_t)(q + 2 - b);
    }
  }
  return 0;
}

/* Header up to "%P=" with V=... replaced by V=x, for comparing nmap's
 * header with ours. */
static void header_key(const char *fp, char *out, size_t n)
{
  const char *v = strstr(fp, ":V=");
  const char *pct = v ? strchr(v + 3, '%') : NULL;
  const char *p = strstr(fp, "%P=");
  if (!v || !pct || !p || p < pct) {
    snprintf(out, n, "?");
    return;
  }
  snprintf(out, n, "%.*s:V=x%.*s", (int)(v - fp), fp, (int)(p - pct), pct);
}

static void check_lines(const char *wrapped)
{
  const char *line = wrapped;
  bool ok = true;
  for (int k = 0; line && *line; k++) {
    const char *nl = strchr(line, '\n');
    size_t len = nl ? (size_t)(nl - line) : strlen(line);
    bool last = nl == NULL;
    if (len > (last ? 75u : 74u) || (k > 0 && strncmp(line, "SF:", 3) != 0))
      ok = false;
    if (!last && len != 74)
      ok = false;
    line = nl ? nl + 1 : NULL;
  }
  tap_check(ok, __FILE__, __LINE__, "wrapped lines are 74 columns, SF: continued");
}

/* Every port of one reference that has a servicefp. */
static void check_ref(const char *name, unsigned want)
{
  char path[512];
  snprintf(path, sizeof path, "tests/output/nmap-ref/%s.xml", name);
  char *xml = ref_read(tap_srcpath(path), NULL);
  snprintf(path, sizeof path, "tests/output/nmap-ref/%s.nmap", name);
  char *text = ref_read(tap_srcpath(path), NULL);
  CHECK(xml && text);
  struct svp_addr addr;
  struct ref_port *rp = calloc(16, sizeof *rp);
  if (!xml || !text || !rp || !ref_address(xml, &addr)) {
    CHECK(!"reference files readable");
    goto out;
  }
  size_t n = ref_ports(xml, rp, 16);
  unsigned seen = 0;
  static char ours[SVP_FP_MAX], wrapped[SVP_FP_MAX], mine[SVP_FP_MAX];
  for (size_t i = 0; i < n; i++) {
    struct ref_port *r = &rp[i];
    if (!r->servicefp[0])
      continue;
    seen++;
    tap_note("%s: port %u/%s, probe %s, %u bytes", name, r->port, r->proto,
             r->probe_name, r->fp_len);
    /* 1. nmap's own flat fingerprint wrapped by us = nmap's normal output */
    char *block = nmap_block(text, r->port, strcmp(r->proto, "udp") ? "TCP" : "UDP");
    CHECK(block != NULL);
    svp_fingerprint_wrap(r->servicefp, wrapped, sizeof wrapped);
    CHECK_STR(wrapped, block ? block : "");
    free(block);

    /* 2. our fingerprint of the same bytes */
    struct svp_endpoint ep;
    ref_endpoint(r, &addr, &ep);
    struct svp_run_info run = {.intensity = r->intensity};
    size_t len = svp_fingerprint(&ep, &run, false, ours, sizeof ours);
    CHECK_INT(len, strlen(ours));
    const char *a = NULL, *b = NULL;
    size_t la = first_block(ours, &a), lb = first_block(r->servicefp, &b);
    CHECK(la > 0 && la == lb && memcmp(a, b, la) == 0);
    if (la != lb || (la && memcmp(a, b, la) != 0))
      tap_note("ours:  %.*s\nnmap's: %.*s", (int)la, a ? a : "", (int)lb, b ? b : "");
    CHECK(a && strcmp(a + la, ";") == 0);
    char ka[512], kb[512];
    header_key(ours, ka, sizeof ka);
    header_key(r->servicefp, kb, sizeof kb);
    CHECK_STR(ka, kb);
    char v[64];
    snprintf(v, sizeof v, ":V=svpassive-%s%%", SVP_VERSION);
    CHECK(strstr(ours, v) != NULL);

    /* 3. wrapped form: same text, nmap's line shape */
    svp_fingerprint(&ep, &run, true, wrapped, sizeof wrapped);
    check_lines(wrapped);
    snprintf(mine, sizeof mine, "%s", wrapped);
    unwrap(mine);
    CHECK_STR(mine, ours);
  }
  CHECK_INT(seen, want);
out:
  free(rp);
  free(xml);
  free(text);
}

static struct svp_endpoint synthetic(const uint8_t *data, uint32_t len,
                                     const struct svp_probe *probe)
{
  struct svp_endpoint ep;
  memset(&ep, 0, sizeof ep);
  ep.addr.family = 4;
  ep.port = 502;
  ep.l4 = SVP_L4_TCP;
  ep.fp_data = data;
  ep.fp_len = len;
  ep.fp_probe = probe;
  ep.first_us = 1700000000LL * 1000000; /* 2023-11-14 22:13:20 UTC */
  return ep;
}

static void check_edges(void)
{
  static char out[SVP_FP_MAX];
  struct svp_run_info run = {.intensity = 4};
  static uint8_t big[1000];
  memset(big, 'A', sizeof big);

  /* no data: nothing */
  struct svp_endpoint ep = synthetic(NULL, 0, NULL);
  CHECK_INT(svp_fingerprint(&ep, &run, false, out, sizeof out), 0);
  CHECK_STR(out, "");

  /* 900 bytes shown, full length in the length field; NULL probe by default */
  ep = synthetic(big, sizeof big, NULL);
  svp_fingerprint(&ep, &run, false, out, sizeof out);
  CHECK(strstr(out, "%r(NULL,3E8,\"") != NULL);
  const char *q = strchr(strstr(out, "%r("), '"') + 1;
  CHECK_INT(strspn(q, "A"), 900);
  CHECK_STR(q + 900, "\");");
  CHECK(strstr(out, "SF-Port502-TCP:V=svpassive-") == out);
  CHECK(strstr(out, "%I=4%D=11/14%Time=6553F100%P=") != NULL);

  /* the server carried more than was kept: its total is the length */
  ep.fp_len = 10;
  ep.fp_total = 123456;
  svp_fingerprint(&ep, &run, false, out, sizeof out);
  CHECK(strstr(out, "%r(NULL,1E240,\"AAAAAAAAAA\");") != NULL);

  /* ssl, UDP, a named probe */
  struct svp_probe p = {.name = "SNMPv1public", .l4 = SVP_L4_UDP};
  static const uint8_t nul[] = {'a', 0, '5', 0, 'b', 0};
  ep = synthetic(nul, sizeof nul, &p);
  ep.l4 = SVP_L4_UDP;
  ep.port = 161;
  ep.res.ssl = true;
  svp_fingerprint(&ep, &run, false, out, sizeof out);
  CHECK(strstr(out, "SF-Port161-UDP:V=svpassive-") == out);
  CHECK(strstr(out, "%T=SSL%I=4%D=") != NULL);
  CHECK(strstr(out, "%r(SNMPv1public,6,\"a\\x005\\0b\\0\");") != NULL);

  /* a small buffer: cut, terminated, never overrun (ASan watches) */
  char tiny[12];
  memset(tiny, 'x', sizeof tiny);
  size_t k = svp_fingerprint(&ep, &run, true, tiny, sizeof tiny);
  CHECK_INT(k, 11);
  CHECK_INT(strlen(tiny), 11);
  CHECK_INT(svp_fingerprint(&ep, &run, true, tiny, 1), 0);
  CHECK_STR(tiny, "");

  /* every byte value, wrapped: unwrapping gives the flat text back */
  static uint8_t all[256];
  for (int i = 0; i < 256; i++)
    all[i] = (uint8_t)i;
  ep = synthetic(all, sizeof all, NULL);
  static char flat[SVP_FP_MAX], wrapped[SVP_FP_MAX];
  svp_fingerprint(&ep, &run, false, flat, sizeof flat);
  svp_fingerprint(&ep, &run, true, wrapped, sizeof wrapped);
  check_lines(wrapped);
  unwrap(wrapped);
  CHECK_STR(wrapped, flat);
  for (const char *c = flat; *c; c++)
    if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e) {
      CHECK(!"fingerprint text is printable ASCII");
      break;
    }
  CHECK(strstr(flat, "\\0\\x01\\x02") != NULL);
  CHECK(strstr(flat, "\\t\\n\\x0b\\x0c\\r") != NULL);
  CHECK(strstr(flat, "\\x20!\\\"#\\$%&'\\(\\)\\*\\+,-\\./0123456789:;<=>\\?@ABC") != NULL);
  CHECK(strstr(flat, "XYZ\\[\\\\\\]\\^_`abc") != NULL);
  CHECK(strstr(flat, "xyz{\\|}~\\x7f\\x80") != NULL);
  CHECK(strstr(flat, "\\xfe\\xff\");") != NULL);
}

int main(void)
{
  check_ref("unknown-banner", 1);
  check_ref("guesses-udp", 2);
  check_edges();
  return tap_done();
}
