/* test_active_plan.c: active mode's planner, without a network.
 *  1. probe order (nmap's nextProbe) on a small rule file: NULL first for
 *     TCP only, port-listed probes in file order whatever their rarity,
 *     then the others by rarity up to the intensity, the softmatch
 *     restriction on the last group only;
 *  2. the same order properties on nmap's file plus the project's rules,
 *     and the plans for the endpoints the live tests probe (OPC UA on
 *     53530, Modbus on 5020);
 *  3. endpoint selection: closed, identified, scope, Exclude (and
 *     --allports), multicast, guessed server side, no probe;
 *  4. --scope parsing: IPv4/IPv6 prefixes and addresses, and every kind of
 *     bad input with its message;
 *  5. the dry run's byte escaping. */
#include "svp/active/active.h"
#include "svp/rules/rules_setup.h"
#include "tap.h"
#include "test_rules_util.h"

#include <arpa/inet.h>
#include <string.h>

static const char small_rules[] =
    "Exclude T:9100-9107,U:161\n"
    "Probe TCP NULL q||\n"
    "totalwaitms 6000\n"
    "tcpwrappedms 3000\n"
    "match null-svc m|^N|\n"
    "Probe TCP A q|a|\n"
    "rarity 1\n"
    "ports 80\n"
    "match http m|^HTTP|\n"
    "Probe TCP B q|b|\n"
    "rarity 3\n"
    "softmatch sb m|^B|\n"
    "Probe TCP C q|c|\n"
    "rarity 8\n"
    "ports 80,502\n"
    "match modbus m|^M|\n"
    "Probe TCP D q|d|\n"
    "rarity 2\n"
    "match sb m|^D|\n"
    "Probe UDP U1 q|u|\n"
    "rarity 1\n"
    "ports 161\n"
    "match snmp m|^S|\n"
    "Probe UDP U2 q|v|\n"
    "rarity 5\n"
    "match other m|^O|\n";

/* The probe names the iterator gives, joined by spaces. */
static const char *order(const struct svp_ruleset *rs, enum svp_l4 l4, uint16_t port,
                         int intensity, const char *soft)
{
  static char buf[4096];
  struct svp_probe_iter it;
  svp_probe_iter_init(&it, rs, l4, port, intensity);
  buf[0] = '\0';
  const struct svp_probe *p;
  while ((p = svp_probe_iter_next(&it, soft))) {
    if (buf[0])
      strcat(buf, " ");
    strncat(buf, p->name, sizeof buf - strlen(buf) - 2);
  }
  return buf;
}

struct order_case {
  enum svp_l4 l4;
  uint16_t port;
  int intensity;
  const char *soft;
  const char *want;
};

static const struct order_case order_cases[] = {
  /* port-listed first (C despite rarity 8), then rarity <= 2 not listed */
  {SVP_L4_TCP, 80, 2, NULL, "NULL A C D"},
  {SVP_L4_TCP, 1234, 9, NULL, "NULL A B C D"},   /* file order */
  {SVP_L4_TCP, 1234, 3, NULL, "NULL A B D"},
  {SVP_L4_TCP, 1234, 0, NULL, "NULL"},           /* intensity 0: NULL + listed */
  {SVP_L4_TCP, 502, 0, NULL, "NULL C"},
  /* softmatch: the last group only keeps probes with a line for it ... */
  {SVP_L4_TCP, 1234, 9, "http", "NULL A"},
  {SVP_L4_TCP, 1234, 9, "sb", "NULL B D"},
  /* ... but port-listed probes go out whatever the softmatch (nmap) */
  {SVP_L4_TCP, 80, 9, "sb", "NULL A C B D"},
  {SVP_L4_TCP, 80, 9, "nothing-knows-this", "NULL A C"},
  /* UDP: no NULL probe */
  {SVP_L4_UDP, 161, 0, NULL, "U1"},
  {SVP_L4_UDP, 53, 0, NULL, ""},
  {SVP_L4_UDP, 53, 1, NULL, "U1"},
  {SVP_L4_UDP, 53, 9, NULL, "U1 U2"},
  {SVP_L4_UDP, 53, 9, "other", "U2"},
};

static void test_order_small(const struct svp_ruleset *rs)
{
  for (size_t i = 0; i < SVP_ARRAY_LEN(order_cases); i++) {
    const struct order_case *c = &order_cases[i];
    const char *got = order(rs, c->l4, c->port, c->intensity, c->soft);
    tap_check(strcmp(got, c->want) == 0, __FILE__, __LINE__,
              "%s/%u intensity %d soft %s: \"%s\" (got \"%s\")", svp_l4_name(c->l4), c->port,
              c->intensity, c->soft ? c->soft : "-", c->want, got);
  }
  /* the listed flag follows the group */
  struct svp_probe_iter it;
  svp_probe_iter_init(&it, rs, SVP_L4_TCP, 80, 2);
  const struct svp_probe *p = svp_probe_iter_next(&it, NULL);
  CHECK_STR(p->name, "NULL");
  CHECK(!it.listed);
  p = svp_probe_iter_next(&it, NULL);
  CHECK_STR(p->name, "A");
  CHECK(it.listed);
  svp_probe_iter_next(&it, NULL);
  p = svp_probe_iter_next(&it, NULL);
  CHECK_STR(p->name, "D");
  CHECK(!it.listed);
  CHECK(svp_probe_iter_next(&it, NULL) == NULL);
  CHECK(svp_probe_iter_next(&it, NULL) == NULL); /* stays done */
  /* the softmatch may appear half-way (after the NULL probe's reply) */
  svp_probe_iter_init(&it, rs, SVP_L4_TCP, 1234, 9);
  CHECK_STR(svp_probe_iter_next(&it, NULL)->name, "NULL");
  CHECK_STR(svp_probe_iter_next(&it, NULL)->name, "A");
  CHECK_STR(svp_probe_iter_next(&it, "sb")->name, "B");
  CHECK_STR(svp_probe_iter_next(&it, "sb")->name, "D");
  CHECK(svp_probe_iter_next(&it, "sb") == NULL);
}

/* ---- nmap's file and the project's rules ---- */

static struct svp_ruleset *load_real(void)
{
  static char dir[4096];
  struct svp_config cfg;
  struct msgs m;
  struct svp_diag d = msgs_diag(&m);
  struct svp_ruleset *rs = NULL;
  memset(&cfg, 0, sizeof cfg);
  cfg.datadir = "/usr/share/nmap";
  cfg.no_jit = true;
  snprintf(dir, sizeof dir, "%s", tap_srcpath("rules"));
  cfg.rules_dir = dir;
  if (svp_rules_setup(&cfg, &d, &rs) != SVP_OK)
    return NULL;
  CHECK_INT(d.n_error, 0);
  return rs;
}

/* Order properties for every port in a sample, both protocols, every
 * intensity: NULL first (TCP only), then listed probes in file order, then
 * unlisted ones with rarity <= intensity in file order; nothing twice;
 * exactly the probes the rules say. */
static void test_order_real(const struct svp_ruleset *rs)
{
  static const uint16_t ports[] = {1, 21, 22, 80, 102, 161, 443, 502, 4840, 5020, 9600,
                                   20000, 44818, 47808, 53530, 65535};
  size_t np = svp_rules_n_probes(rs);
  unsigned bad = 0, plans = 0;
  for (size_t pi = 0; pi < SVP_ARRAY_LEN(ports); pi++)
    for (int l = 0; l < 2; l++)
      for (int intensity = 0; intensity <= 9; intensity++) {
        enum svp_l4 l4 = l ? SVP_L4_UDP : SVP_L4_TCP;
        uint16_t port = ports[pi];
        struct svp_probe_iter it;
        svp_probe_iter_init(&it, rs, l4, port, intensity);
        const struct svp_probe *p;
        unsigned k = 0, want = 0;
        int phase = 0;
        size_t last_index = 0;
        bool seen[1024] = {false};
        while ((p = svp_probe_iter_next(&it, NULL))) {
          bool listed = svp_portset_has(&p->ports, port);
          int ph = p->payload_len == 0 ? 0 : listed ? 1 : 2;
          if (k == 0 && l4 == SVP_L4_TCP && ph != 0)
            bad++;
          if (ph < phase || (ph == phase && k && p->index <= last_index && ph != 0))
            bad++; /* groups in order, file order inside a group */
          if (ph == 2 && p->rarity > intensity)
            bad++;
          if (p->l4 != l4 || p->index >= 1024 || seen[p->index])
            bad++;
          else
            seen[p->index] = true;
          phase = ph;
          last_index = p->index;
          k++;
        }
        for (size_t i = 0; i < np; i++) {
          const struct svp_probe *q = svp_rules_probe(rs, i);
          if (q->l4 != l4)
            continue;
          if (q->payload_len == 0 || svp_portset_has(&q->ports, port) || q->rarity <= intensity)
            want++;
        }
        if (k != want)
          bad++;
        plans++;
      }
  tap_check(bad == 0, __FILE__, __LINE__, "%u plans on the real rules follow nmap's order (%u bad)",
            plans, bad);
  /* the endpoints of tests/active: OPC UA and Modbus on listed ports are
   * asked right after the NULL probe, at the default intensity */
  CHECK_STR(order(rs, SVP_L4_TCP, 53530, 2, NULL),
            "NULL HelRequest GenericLines GetRequest SSLSessionReq TLSSessionReq");
  CHECK_STR(order(rs, SVP_L4_TCP, 5020, 2, NULL),
            "NULL ModbusDeviceId GenericLines GetRequest SSLSessionReq TLSSessionReq");
  /* after an opc-ua-tcp softmatch nothing but HelRequest can name it */
  CHECK_STR(order(rs, SVP_L4_TCP, 53530, 9, "opc-ua-tcp"), "NULL HelRequest");
  /* nmap's own figures (RULES-AND-LIBNIDS.md A.7): 29 TCP probes of
   * rarity <= 7 besides NULL in nmap's file; the project adds HelRequest
   * (rarity 6) and probes of rarity 8-9 */
  const char *o7 = order(rs, SVP_L4_TCP, 1, 7, NULL);
  unsigned n7 = 1;
  for (const char *c = o7; *c; c++)
    n7 += *c == ' ';
  CHECK_INT(n7, 1 + 29 + 1);
}

/* ---- selection ---- */

static struct svp_addr addr_of(const char *ip)
{
  struct svp_addr a;
  memset(&a, 0, sizeof a);
  a.family = strchr(ip, ':') ? 6 : 4;
  inet_pton(a.family == 6 ? AF_INET6 : AF_INET, ip, a.b);
  return a;
}

static struct svp_endpoint ep_make(const char *ip, uint16_t port, enum svp_l4 l4)
{
  struct svp_endpoint e;
  memset(&e, 0, sizeof e);
  e.addr = addr_of(ip);
  e.port = port;
  e.l4 = l4;
  e.state = SVP_PS_OPEN;
  e.reason = "syn-ack";
  return e;
}

static void test_check(const struct svp_ruleset *rs)
{
  struct svp_scope *sc;
  char err[256];
  CHECK_INT(svp_scope_parse("10.207.0.0/16,fd00:207::/32,224.0.0.0/4", &sc, err, sizeof err),
            SVP_OK);
  struct svp_active_filter f = {.scope = sc, .rs = rs, .intensity = 2};
  struct svp_endpoint e = ep_make("10.207.1.2", 5000, SVP_L4_TCP);
  CHECK_INT(svp_active_check(&f, &e), SVP_AW_PROBE);
  e.res.verdict = SVP_SOFT;
  e.res.service = "sb";
  CHECK_INT(svp_active_check(&f, &e), SVP_AW_PROBE); /* softmatched: probed */
  e.res.verdict = SVP_HARD;
  CHECK_INT(svp_active_check(&f, &e), SVP_AW_IDENTIFIED);
  e = ep_make("10.207.1.2", 5000, SVP_L4_TCP);
  e.state = SVP_PS_CLOSED;
  CHECK_INT(svp_active_check(&f, &e), SVP_AW_CLOSED);
  e = ep_make("10.208.1.2", 5000, SVP_L4_TCP);
  CHECK_INT(svp_active_check(&f, &e), SVP_AW_SCOPE);
  e = ep_make("fd00:207::5", 5000, SVP_L4_TCP);
  CHECK_INT(svp_active_check(&f, &e), SVP_AW_PROBE);
  e = ep_make("fd00:208::5", 5000, SVP_L4_TCP);
  CHECK_INT(svp_active_check(&f, &e), SVP_AW_SCOPE);
  e = ep_make("239.255.255.250", 1900, SVP_L4_UDP); /* in scope, still never probed */
  CHECK_INT(svp_active_check(&f, &e), SVP_AW_ADDRESS);
  e = ep_make("10.207.1.2", 9101, SVP_L4_TCP); /* Exclude T:9100-9107 */
  CHECK_INT(svp_active_check(&f, &e), SVP_AW_EXCLUDED);
  f.allports = true;
  CHECK_INT(svp_active_check(&f, &e), SVP_AW_PROBE);
  f.allports = false;
  e = ep_make("10.207.1.2", 161, SVP_L4_UDP); /* Exclude U:161 */
  CHECK_INT(svp_active_check(&f, &e), SVP_AW_EXCLUDED);
  e = ep_make("10.207.1.2", 9108, SVP_L4_TCP);
  CHECK_INT(svp_active_check(&f, &e), SVP_AW_PROBE);
  e.flags = SVP_EF_SERVER_GUESS;
  CHECK_INT(svp_active_check(&f, &e), SVP_AW_GUESS);
  e = ep_make("10.207.1.2", 5354, SVP_L4_UDP); /* UDP: it answered, so it serves */
  e.flags = SVP_EF_SERVER_GUESS | SVP_EF_SRV_DATA;
  e.reason = "udp-response";
  CHECK_INT(svp_active_check(&f, &e), SVP_AW_PROBE);
  e = ep_make("10.207.1.2", 53, SVP_L4_UDP);
  f.intensity = 0; /* UDP: no NULL probe, nothing lists 53, nothing at rarity 0 */
  CHECK_INT(svp_active_check(&f, &e), SVP_AW_NOPROBE);
  f.intensity = 1;
  CHECK_INT(svp_active_check(&f, &e), SVP_AW_PROBE);
  for (int w = 0; w < SVP_AW_COUNT; w++)
    CHECK(strcmp(svp_active_why_name((enum svp_active_why)w), "?") != 0);
  svp_scope_free(sc);
}

/* ---- scope ---- */

struct scope_case {
  const char *text;
  const char *in, *out; /* an address inside and one outside (NULL: skip) */
};

static const struct scope_case scope_ok[] = {
  {"10.0.0.0/8", "10.255.1.2", "11.0.0.1"},
  {"192.168.1.5", "192.168.1.5", "192.168.1.6"},
  {"192.168.1.5/32", "192.168.1.5", "192.168.1.4"},
  {"172.16.0.0/12", "172.31.255.255", "172.32.0.0"},
  {"10.1.2.128/25", "10.1.2.200", "10.1.2.127"},
  {"0.0.0.0/0", "8.8.8.8", "::1"},
  {"fd00:207::/32", "fd00:207:1::2", "fd00:208::1"},
  {"fe80::/10", "febf::1", "fec0::1"},
  {"2001:db8::1", "2001:db8::1", "2001:db8::2"},
  {"::/0", "2001:db8::1", "10.0.0.1"},
  {" 10.1.0.0/16 , fd00::/8", "fd12::1", "10.2.0.1"},
  {"10.1.0.0/16,fd00::/8", "10.1.9.9", "fe00::1"},
};

struct scope_bad {
  const char *text;
  const char *msg; /* part of the error message */
};

static const struct scope_bad scope_bad[] = {
  {"", "empty scope"},
  {"10.0.0.0/8,", "empty element"},
  {",10.0.0.0/8", "empty element"},
  {"10.0.0.0/8,,10.1.0.0/16", "empty element"},
  {"10.0.0.0/33", "'10.0.0.0/33': prefix length must be a number from 0 to 32"},
  {"fd00::/129", "from 0 to 128"},
  {"10.0.0.0/", "prefix length"},
  {"10.0.0.0/-1", "prefix length"},
  {"10.0.0.0/8x", "prefix length"},
  {"10.0.0.0/0008", "prefix length"},
  {"10.1.2.3/24", "'10.1.2.3/24' has host bits set below the /24 prefix"},
  {"fd00::1/64", "host bits"},
  {"10.0.0.256", "'10.0.0.256' is not an IPv4 or IPv6 address"},
  {"plc.example", "not an IPv4 or IPv6 address"},
  {"10.0.0.0/8 10.1.0.0/16", "prefix length"}, /* a space is not a separator */
  {"10.0.0.0-10.0.0.9", "not an IPv4 or IPv6 address"},
  {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "is not an address"},
};

static void test_scope(void)
{
  char err[256];
  for (size_t i = 0; i < SVP_ARRAY_LEN(scope_ok); i++) {
    struct svp_scope *s = NULL;
    int rc = svp_scope_parse(scope_ok[i].text, &s, err, sizeof err);
    tap_check(rc == SVP_OK, __FILE__, __LINE__, "scope \"%s\" parses (%s)", scope_ok[i].text, err);
    if (rc != SVP_OK)
      continue;
    struct svp_addr in = addr_of(scope_ok[i].in), out = addr_of(scope_ok[i].out);
    tap_check(svp_scope_contains(s, &in), __FILE__, __LINE__, "%s in %s", scope_ok[i].in,
              scope_ok[i].text);
    tap_check(!svp_scope_contains(s, &out), __FILE__, __LINE__, "%s not in %s",
              scope_ok[i].out, scope_ok[i].text);
    svp_scope_free(s);
  }
  struct svp_scope *s = NULL;
  CHECK_INT(svp_scope_parse("10.0.0.0/8, 10.1.0.0/16,::1", &s, err, sizeof err), SVP_OK);
  CHECK_INT(svp_scope_count(s), 3);
  svp_scope_free(s);
  for (size_t i = 0; i < SVP_ARRAY_LEN(scope_bad); i++) {
    s = (struct svp_scope *)1;
    int rc = svp_scope_parse(scope_bad[i].text, &s, err, sizeof err);
    tap_check(rc == SVP_ERR_PARSE && s == NULL && strstr(err, scope_bad[i].msg), __FILE__,
              __LINE__, "scope \"%s\" refused with \"%s\" (got %d, \"%s\")", scope_bad[i].text,
              scope_bad[i].msg, rc, err);
  }
  CHECK(!svp_scope_contains(NULL, &(struct svp_addr){.family = 4}));
}

/* ---- escaping ---- */

static void test_escape(void)
{
  static const uint8_t b[] = {'A', '"', '\\', 0, 'x', 0, '7', '\r', '\n', '\t', 0x7f, 0xff, ' '};
  char out[128];
  size_t n = svp_active_escape(b, sizeof b, out, sizeof out);
  CHECK_STR(out, "A\\\"\\\\\\0x\\x007\\r\\n\\t\\x7f\\xff ");
  CHECK_INT(n, strlen(out));
  /* too small: whole escapes only, length still reported */
  char small[6];
  n = svp_active_escape(b, sizeof b, small, sizeof small);
  CHECK_STR(small, "A\\\"\\\\");
  CHECK_INT(n, strlen(out));
  CHECK_INT(svp_active_escape(b, sizeof b, NULL, 0), strlen(out));
}

int main(void)
{
  struct msgs m;
  const char *texts[] = {small_rules, NULL};
  struct svp_ruleset *rs = load_layers(&m, texts);
  CHECK(rs != NULL);
  if (rs) {
    CHECK_INT(m.n, 0);
    msgs_dump(&m);
    test_order_small(rs);
    test_check(rs);
    svp_rules_free(rs);
  }
  struct svp_ruleset *real = load_real();
  CHECK(real != NULL);
  if (real) {
    test_order_real(real);
    svp_rules_free(real);
  }
  test_scope();
  test_escape();
  return tap_done();
}
