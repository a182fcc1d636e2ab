/* test_rules.c: the rule loader: grammar corner cases (each reported at
 * file:line, the rest still loaded), probe payload escapes, delimiters,
 * flags, templates, ports, Exclude, overlays and fallback chains. */
#include "svp/rules/rules.h"
#include "svp/rules/template.h"
#include "tap.h"
#include "test_rules_util.h"

#include <string.h>

/* ---- 1. lines that must be rejected, each with where and why ---- */

static const struct bad_case {
  const char *name;
  const char *text;
  const char *msg;        /* expected message (with "file:line: ") */
  unsigned match_left;    /* match+softmatch lines that still load */
} bad_cases[] = {
  {.name = "unknown directive",
   .text = "Probe TCP NULL q||\nmatch a m|^a|\nfrobnicate 1\nmatch b m|^b|\n",
   .msg = "layer0.probes:3: unknown directive 'frobnicate'", .match_left = 2},
  {.name = "directive is case-sensitive",
   .text = "Probe TCP NULL q||\nMatch a m|^a|\nmatch b m|^b|\n",
   .msg = "layer0.probes:2: unknown directive 'Match'", .match_left = 1},
  {.name = "leading space",
   .text = "Probe TCP NULL q||\n match a m|^a|\nmatch b m|^b|\n",
   .msg = "layer0.probes:2: unknown directive", .match_left = 1},
  {.name = "match before Probe",
   .text = "match a m|^a|\nProbe TCP NULL q||\nmatch b m|^b|\n",
   .msg = "layer0.probes:1: match before any Probe line", .match_left = 1},
  {.name = "pattern without closing delimiter",
   .text = "Probe TCP NULL q||\nmatch a m|^a\nmatch b m|^b|\n",
   .msg = "layer0.probes:2: match: no closing delimiter '|'", .match_left = 1},
  {.name = "pattern not m",
   .text = "Probe TCP NULL q||\nmatch a r|^a|\nmatch b m|^b|\n",
   .msg = "layer0.probes:2: match: the pattern must be written m", .match_left = 1},
  {.name = "no pattern",
   .text = "Probe TCP NULL q||\nsoftmatch a \nmatch b m|^b|\n",
   .msg = "layer0.probes:2: softmatch: no pattern", .match_left = 1},
  {.name = "no service",
   .text = "Probe TCP NULL q||\nmatch m|^a|\nmatch b m|^b|\n",
   .msg = "layer0.probes:2: match: expected '<service> m<delim>regex<delim>'", .match_left = 1},
  {.name = "unknown flag",
   .text = "Probe TCP NULL q||\nmatch a m|^a|x\nmatch b m|^b|\n",
   .msg = "layer0.probes:2: match: unknown regex flag 'x'", .match_left = 1},
  {.name = "unknown template",
   .text = "Probe TCP NULL q||\nmatch a m|^a| z/x/\nmatch b m|^b|\n",
   .msg = "layer0.probes:2: match: unknown template 'z/'", .match_left = 1},
  {.name = "templates without a space",
   .text = "Probe TCP NULL q||\nmatch a m|^a| p/x/v/y/\nmatch b m|^b|\n",
   .msg = "layer0.probes:2: match: unknown template '/'", .match_left = 1},
  {.name = "unterminated template",
   .text = "Probe TCP NULL q||\nmatch a m|^a| p/x\nmatch b m|^b|\n",
   .msg = "layer0.probes:2: match: no closing delimiter '/' for template 'p'", .match_left = 1},
  {.name = "template word without delimiter",
   .text = "Probe TCP NULL q||\nmatch a m|^a| p\nmatch b m|^b|\n",
   .msg = "layer0.probes:2: match: expected a template", .match_left = 1},
  {.name = "regex that PCRE2 rejects (nmap's own doc example)",
   .text = "Probe TCP NULL q||\nmatch a m|^[\\w-_.]+|\nmatch b m|^b|\n",
   .msg = "layer0.probes:2: regex does not compile at offset", .match_left = 1},
  {.name = "unknown regex escape",
   .text = "Probe TCP NULL q||\nmatch a m|^\\i|\nmatch b m|^b|\n",
   .msg = "layer0.probes:2: regex does not compile", .match_left = 1},
  {.name = "bad payload escape skips the probe's lines",
   .text = "Probe TCP A q|\\k|\nmatch a m|^a|\nProbe TCP B q|x|\nmatch b m|^b|\n",
   .msg = "layer0.probes:1: Probe: bad escape in payload at \"\\k\"", .match_left = 1},
  {.name = "\\x needs two hex digits",
   .text = "Probe TCP A q|\\x4|\nmatch a m|^a|\nProbe TCP B q|x|\nmatch b m|^b|\n",
   .msg = "layer0.probes:1: Probe: bad escape", .match_left = 1},
  {.name = "payload lone backslash",
   .text = "Probe TCP A q|ab\\|\nmatch a m|^a|\nProbe TCP B q|x|\nmatch b m|^b|\n",
   .msg = "layer0.probes:1: Probe: bad escape", .match_left = 1},
  {.name = "payload without closing delimiter",
   .text = "Probe TCP A q|abc\nmatch a m|^a|\nProbe TCP B q|x|\nmatch b m|^b|\n",
   .msg = "layer0.probes:1: Probe: no closing delimiter '|'", .match_left = 1},
  {.name = "payload not q",
   .text = "Probe TCP A |abc|\nmatch a m|^a|\nProbe TCP B q|x|\nmatch b m|^b|\n",
   .msg = "layer0.probes:1: Probe: the payload must be written q", .match_left = 1},
  {.name = "bad protocol",
   .text = "Probe SCTP A q||\nmatch a m|^a|\nProbe TCP B q|x|\nmatch b m|^b|\n",
   .msg = "layer0.probes:1: Probe: protocol must be TCP or UDP", .match_left = 1},
  {.name = "bad probe name",
   .text = "Probe TCP -A q||\nmatch a m|^a|\nProbe TCP B q|x|\nmatch b m|^b|\n",
   .msg = "layer0.probes:1: Probe: the probe name must start", .match_left = 1},
  {.name = "rarity out of range",
   .text = "Probe TCP NULL q||\nrarity 10\nmatch b m|^b|\n",
   .msg = "layer0.probes:2: rarity must be a number from 1 to 9", .match_left = 1},
  {.name = "rarity not a number",
   .text = "Probe TCP NULL q||\nrarity 7x\nmatch b m|^b|\n",
   .msg = "layer0.probes:2: rarity must be", .match_left = 1},
  {.name = "totalwaitms too small",
   .text = "Probe TCP NULL q||\ntotalwaitms 99\nmatch b m|^b|\n",
   .msg = "layer0.probes:2: totalwaitms must be", .match_left = 1},
  {.name = "tcpwrappedms too large",
   .text = "Probe TCP NULL q||\ntcpwrappedms 300001\nmatch b m|^b|\n",
   .msg = "layer0.probes:2: tcpwrappedms must be", .match_left = 1},
  {.name = "ports: open range",
   .text = "Probe TCP NULL q||\nports 80-\nmatch b m|^b|\n",
   .msg = "layer0.probes:2: ports: bad port range", .match_left = 1},
  {.name = "ports: name",
   .text = "Probe TCP NULL q||\nsslports https\nmatch b m|^b|\n",
   .msg = "layer0.probes:2: sslports: expected a port number", .match_left = 1},
  {.name = "ports: too large",
   .text = "Probe TCP NULL q||\nports 70000\nmatch b m|^b|\n",
   .msg = "layer0.probes:2: ports: expected a port number", .match_left = 1},
  {.name = "ports: reversed range",
   .text = "Probe TCP NULL q||\nports 90-80\nmatch b m|^b|\n",
   .msg = "layer0.probes:2: ports: bad port range", .match_left = 1},
  {.name = "Exclude after Probe",
   .text = "Probe TCP NULL q||\nExclude T:1\nmatch b m|^b|\n",
   .msg = "layer0.probes:2: Exclude must come before the first Probe", .match_left = 1},
  {.name = "two Excludes",
   .text = "Exclude T:1\nExclude T:2\nProbe TCP NULL q||\nmatch b m|^b|\n",
   .msg = "layer0.probes:2: only one Exclude line", .match_left = 1},
  {.name = "Exclude with a port name",
   .text = "Exclude T:http\nProbe TCP NULL q||\nmatch b m|^b|\n",
   .msg = "layer0.probes:1: Exclude: expected a port", .match_left = 1},
  {.name = "unknown fallback",
   .text = "Probe TCP NULL q||\nProbe TCP A q|x|\nfallback Nope\nmatch b m|^b|\n",
   .msg = "layer0.probes:3: fallback: unknown probe 'Nope'", .match_left = 1},
  {.name = "NUL byte",
   .text = "Probe TCP NULL q||\nmatch a m|^a\0|\nmatch b m|^b|\n",
   .msg = "layer0.probes:2: NUL byte in the line", .match_left = 1},
};

static void test_bad_lines(void)
{
  for (size_t i = 0; i < SVP_ARRAY_LEN(bad_cases); i++) {
    const struct bad_case *c = &bad_cases[i];
    struct msgs m;
    /* texts with an embedded NUL need their real length */
    size_t len = strlen(c->text);
    if (strstr(c->name, "NUL"))
      len += 1 + strlen(c->text + len + 1);
    struct svp_diag d = msgs_diag(&m);
    struct svp_ruleset *rs;
    svp_rules_new(&rs);
    svp_rules_load_buf(rs, "layer0.probes", c->text, len, 0, &d);
    svp_rules_compile(rs, false, &d);
    const struct svp_rules_stats *st = svp_rules_stats(rs);
    tap_note("case: %s", c->name);
    CHECK(msgs_find(&m, c->msg) >= 0);
    if (msgs_find(&m, c->msg) < 0)
      msgs_dump(&m);
    CHECK(st->errors >= 1);
    CHECK_INT(st->match + st->softmatch, c->match_left);
    svp_rules_free(rs);
  }
}

/* ---- 2. lines that must load, and what they hold ---- */

static const struct svp_rule *first_rule(const struct svp_ruleset *rs, const char *probe)
{
  const struct svp_probe *p = svp_rules_find_probe(rs, SVP_L4_TCP, probe);
  return p && p->n_rules ? p->rules[0] : NULL;
}

static void test_delimiters_and_flags(void)
{
  struct msgs m;
  struct svp_ruleset *rs = load_text(&m,
      "Probe TCP NULL q||\n"
      "match a m|^a|\n"
      "match b m=^b|c= p/B/\n"
      "match c m%^c/d%s v/1/\n"
      "match d m/^d|e/i i/x/\n"
      "softmatch e m@^e@si\n"
      "match f m,^f,is\n");
  CHECK_INT(svp_rules_stats(rs)->errors, 0);
  const struct svp_probe *p = svp_rules_null_probe(rs);
  CHECK(p != NULL);
  CHECK_INT(p ? p->n_rules : 0, 6);
  if (!p || p->n_rules != 6) {
    msgs_dump(&m);
    svp_rules_free(rs);
    return;
  }
  CHECK_STR(p->rules[1]->pattern, "^b|c");
  CHECK_STR(p->rules[2]->pattern, "^c/d");
  CHECK(p->rules[2]->dotall && !p->rules[2]->caseless);
  CHECK_STR(p->rules[3]->pattern, "^d|e");
  CHECK(p->rules[3]->caseless && !p->rules[3]->dotall);
  CHECK(p->rules[4]->soft && p->rules[4]->caseless && p->rules[4]->dotall);
  CHECK(p->rules[5]->caseless && p->rules[5]->dotall);
  CHECK_INT(p->rules[0]->line, 2);
  CHECK_INT(p->rules[5]->line, 7);
  CHECK_STR(p->rules[0]->file, "layer0.probes");
  svp_rules_free(rs);
}

static void test_payload_escapes(void)
{
  struct msgs m;
  struct svp_ruleset *rs = load_text(&m,
      "Probe TCP E1 q|\\0\\01\\a\\b\\f\\n\\r\\t\\v\\x41\\xfF\\\\\\\"\\'|\n"
      "Probe TCP E2 q/a|b/ no-payload\n"
      "Probe UDP E3 q!x! something else\n");
  CHECK_INT(svp_rules_stats(rs)->errors, 0);
  CHECK_INT(svp_rules_stats(rs)->warnings, 1); /* "something else" */
  CHECK(msgs_find(&m, "layer0.probes:3: Probe: text after the payload ignored") >= 0);
  const struct svp_probe *p = svp_rules_find_probe(rs, SVP_L4_TCP, "E1");
  static const uint8_t want[] = {0, 0, '1', 7, 8, 12, 10, 13, 9, 11, 'A', 0xff, '\\', '"', '\''};
  CHECK(p != NULL);
  CHECK_INT(p->payload_len, sizeof want);
  CHECK(p && memcmp(p->payload, want, sizeof want) == 0);
  const struct svp_probe *p2 = svp_rules_find_probe(rs, SVP_L4_TCP, "E2");
  CHECK(p2 && p2->payload_len == 3 && memcmp(p2->payload, "a|b", 3) == 0);
  CHECK(p2 && p2->no_payload);
  CHECK(svp_rules_find_probe(rs, SVP_L4_UDP, "E3") != NULL);
  CHECK(svp_rules_find_probe(rs, SVP_L4_TCP, "E3") == NULL);
  CHECK(svp_rules_null_probe(rs) == NULL); /* no empty TCP payload here */
  svp_rules_free(rs);
}

static void test_whitespace_crlf_comments(void)
{
  struct msgs m;
  struct svp_ruleset *rs = load_text(&m,
      "# comment\r\n"
      "\r\n"
      "   \t  \n"
      "Probe TCP NULL q||\r\n"
      "totalwaitms 6000\r\n"
      "match ssh m|^SSH-([\\d.]+)-| p/OpenSSH/ v/$1/\r\n"
      "\n"
      "# trailing comment");
  CHECK_INT(svp_rules_stats(rs)->errors, 0);
  const struct svp_rule *r = first_rule(rs, "NULL");
  CHECK(r != NULL);
  CHECK_STR(r->pattern, "^SSH-([\\d.]+)-");
  CHECK_STR(r->tmpl[SVP_F_VERSION], "$1"); /* no \r left on the last template */
  CHECK_INT(r->line, 6);
  CHECK_INT(svp_rules_null_probe(rs)->totalwaitms, 6000);
  svp_rules_free(rs);
}

static void test_templates(void)
{
  struct msgs m;
  struct svp_ruleset *rs = load_text(&m,
      "Probe TCP NULL q||\n"
      "match ssl/imap m|^\\* OK| p/first/ p/second/ v|1.0| i/x y/ h/host/ o/Linux/ d/router/"
      " cpe:/a:vendor:prod:$1/a cpe:/o:linux:linux_kernel/ cpe:|h:cisco:thing|\n"
      "match http m|^HTTP|\n"
      "softmatch ssl/x m|^X| cpe:/q:bad/\n");
  CHECK_INT(svp_rules_stats(rs)->errors, 0);
  CHECK(msgs_find(&m, "layer0.probes:4: softmatch: cpe:/q:bad/ has no part a, h or o") >= 0);
  const struct svp_probe *p = svp_rules_null_probe(rs);
  const struct svp_rule *r = p->rules[0];
  CHECK_STR(r->service, "imap");
  CHECK(r->ssl);
  CHECK(!r->soft);
  CHECK_STR(r->tmpl[SVP_F_PRODUCT], "second"); /* repeated: last wins */
  CHECK_STR(r->tmpl[SVP_F_VERSION], "1.0");
  CHECK_STR(r->tmpl[SVP_F_INFO], "x y");
  CHECK_STR(r->tmpl[SVP_F_HOSTNAME], "host");
  CHECK_STR(r->tmpl[SVP_F_OSTYPE], "Linux");
  CHECK_STR(r->tmpl[SVP_F_DEVTYPE], "router");
  CHECK_INT(r->n_cpe, 3);
  CHECK_STR(r->cpe[0], "a:vendor:prod:$1"); /* trailing "a" flag accepted */
  CHECK_STR(r->cpe[1], "o:linux:linux_kernel");
  CHECK_STR(r->cpe[2], "h:cisco:thing");
  CHECK(p->rules[1]->tmpl[SVP_F_PRODUCT] == NULL);
  CHECK(!p->rules[1]->ssl);
  CHECK(p->rules[2]->soft && p->rules[2]->ssl);
  CHECK_STR(p->rules[2]->service, "x");
  CHECK(svp_probe_has_service(p, "imap"));
  CHECK(svp_probe_has_service(p, "x"));
  CHECK(!svp_probe_has_service(p, "ftp"));
  CHECK_INT(svp_rules_stats(rs)->services, 3);
  svp_rules_free(rs);
}

static void test_ports_and_exclude(void)
{
  struct msgs m;
  struct svp_ruleset *rs = load_text(&m,
      "Exclude 53,T:9100-9107,U:161, S:1\n"
      "Probe TCP NULL q||\n"
      "Probe TCP A q|x|\n"
      "ports 21,80-85, 443 ,8080\n"
      "sslports 443\n"
      "ports 20\n"
      "rarity 8\n");
  CHECK_INT(svp_rules_stats(rs)->errors, 0);
  const struct svp_probe *p = svp_rules_find_probe(rs, SVP_L4_TCP, "A");
  CHECK(svp_portset_has(&p->ports, 20) && svp_portset_has(&p->ports, 21));
  CHECK(svp_portset_has(&p->ports, 82) && svp_portset_has(&p->ports, 443));
  CHECK(svp_portset_has(&p->ports, 8080));
  CHECK(!svp_portset_has(&p->ports, 86) && !svp_portset_has(&p->ports, 22));
  CHECK_INT(p->ports.n, 4); /* 20-21 merged */
  CHECK(svp_portset_has(&p->sslports, 443) && !svp_portset_has(&p->sslports, 80));
  CHECK_INT(p->rarity, 8);
  CHECK_INT(svp_rules_null_probe(rs)->rarity, 5); /* default */
  CHECK_INT(svp_rules_null_probe(rs)->totalwaitms, 5000);
  CHECK_INT(svp_rules_null_probe(rs)->tcpwrappedms, 2000);
  CHECK(svp_rules_excluded(rs, SVP_L4_TCP, 53) && svp_rules_excluded(rs, SVP_L4_UDP, 53));
  CHECK(svp_rules_excluded(rs, SVP_L4_TCP, 9104) && !svp_rules_excluded(rs, SVP_L4_UDP, 9104));
  CHECK(svp_rules_excluded(rs, SVP_L4_UDP, 161) && !svp_rules_excluded(rs, SVP_L4_TCP, 161));
  CHECK(!svp_rules_excluded(rs, SVP_L4_TCP, 1) && !svp_rules_excluded(rs, SVP_L4_TCP, 9108));
  svp_rules_free(rs);
}

static void test_bad_probe_skips_block(void)
{
  struct msgs m;
  struct svp_ruleset *rs = load_text(&m,
      "Probe TCP NULL q||\n"
      "match a m|^a|\n"
      "Probe TCP Bad q|\\q|\n"
      "ports 80\n"
      "match b m|^b|\n"
      "match c m|^c|\n"
      "Probe TCP Good q|g|\n"
      "match d m|^d|\n");
  const struct svp_rules_stats *st = svp_rules_stats(rs);
  CHECK_INT(st->errors, 1);
  CHECK_INT(st->skipped, 3);
  CHECK_INT(st->match, 2);
  CHECK(svp_rules_find_probe(rs, SVP_L4_TCP, "Bad") == NULL);
  CHECK(svp_rules_find_probe(rs, SVP_L4_TCP, "Good") != NULL);
  CHECK(msgs_find(&m, "layer0.probes:3: 3 line(s) of this bad Probe were skipped") >= 0);
  svp_rules_free(rs);
}

static void test_overlay(void)
{
  const char *texts[] = {
      "Probe TCP NULL q||\n"
      "match base1 m|^x|\n"
      "match base2 m|^y|\n"
      "Probe TCP GetRequest q|GET / HTTP/1.0\\r\\n\\r\\n|\n"
      "rarity 1\n"
      "ports 80\n"
      "match http m|^HTTP|\n",
      /* layer 1: adds to NULL and GetRequest, a new probe */
      "Probe TCP NULL q||\n"
      "match over1 m|^x|\n"
      "Probe TCP GetRequest q|GET / HTTP/1.0\\r\\n\\r\\n|\n"
      "rarity 3\n"
      "ports 8080\n"
      "match prom m|^HTTP.*prometheus|s\n"
      "Probe TCP OPCUA q|HEL|\n"
      "match opc-ua m|^ACK|\n",
      /* layer 2: payload differs: warned, lines still added */
      "Probe TCP GetRequest q|GET /x HTTP/1.0\\r\\n\\r\\n|\n"
      "match top m|^HTTP/1.1 418|\n",
      NULL};
  struct msgs m;
  struct svp_ruleset *rs = load_layers(&m, texts);
  CHECK_INT(svp_rules_stats(rs)->errors, 0);
  CHECK(msgs_find(&m, "layer2.probes:1: Probe GetRequest: payload differs from its "
                      "definition at layer0.probes:4") >= 0);
  const struct svp_probe *null = svp_rules_null_probe(rs);
  CHECK_INT(null->n_rules, 3);
  CHECK_STR(null->rules[0]->service, "over1"); /* higher layer first */
  CHECK_STR(null->rules[1]->service, "base1");
  CHECK_STR(null->rules[2]->service, "base2");
  CHECK_INT(null->rules[0]->layer, 1);
  const struct svp_probe *g = svp_rules_find_probe(rs, SVP_L4_TCP, "GetRequest");
  CHECK_INT(g->n_rules, 3);
  CHECK_STR(g->rules[0]->service, "top");
  CHECK_STR(g->rules[1]->service, "prom");
  CHECK_STR(g->rules[2]->service, "http");
  CHECK_INT(g->payload_len, 18); /* the first definition's payload stays */
  CHECK_INT(g->rarity, 3);       /* replaced */
  CHECK(svp_portset_has(&g->ports, 80) && svp_portset_has(&g->ports, 8080)); /* added */
  CHECK_STR(g->file, "layer0.probes");
  const struct svp_probe *o = svp_rules_find_probe(rs, SVP_L4_TCP, "OPCUA");
  CHECK(o != NULL);
  CHECK_INT(o->index, 2); /* appended after the base's probes */
  CHECK_INT(svp_rules_n_probes(rs), 3);
  CHECK_INT(svp_rules_n_files(rs), 3);
  CHECK_INT(svp_rules_file(rs, 1)->layer, 1);
  CHECK_INT(svp_rules_file(rs, 1)->rules, 3);
  /* ids follow load order */
  CHECK_STR(svp_rules_rule(rs, 0)->service, "base1");
  CHECK_STR(svp_rules_rule(rs, svp_rules_n_rules(rs) - 1)->service, "top");
  svp_rules_free(rs);
}

static void test_fallback_chain(void)
{
  struct msgs m;
  struct svp_ruleset *rs = load_text(&m,
      "Probe TCP NULL q||\n"
      "Probe UDP DNSVersionBindReq q|d|\n"
      "Probe TCP GetRequest q|GET|\n"
      "Probe TCP DNSVersionBindReqTCP q|x|\n"
      "fallback DNSVersionBindReq\n"
      "Probe TCP HTTPOptions q|OPTIONS|\n"
      "fallback GetRequest, NULL,GetRequest\n"
      "Probe UDP U q|u|\n"
      "fallback DNSVersionBindReq\n"
      "Probe TCP Late q|l|\n"
      "fallback Later\n"
      "Probe TCP Later q|L|\n");
  CHECK_INT(svp_rules_stats(rs)->errors, 0);
  const struct svp_probe *null = svp_rules_null_probe(rs);
  CHECK_INT(null->n_chain, 1);
  CHECK(null->chain[0] == null);
  const struct svp_probe *g = svp_rules_find_probe(rs, SVP_L4_TCP, "GetRequest");
  CHECK_INT(g->n_chain, 2);
  CHECK(g->chain[0] == g && g->chain[1] == null);
  /* a TCP probe falling back to a UDP-only name (as nmap 7.93's file does) */
  const struct svp_probe *d = svp_rules_find_probe(rs, SVP_L4_TCP, "DNSVersionBindReqTCP");
  const struct svp_probe *du = svp_rules_find_probe(rs, SVP_L4_UDP, "DNSVersionBindReq");
  CHECK_INT(d->n_chain, 3);
  CHECK(d->chain[1] == du && d->chain[2] == null);
  /* repeated names and NULL appear once */
  const struct svp_probe *h = svp_rules_find_probe(rs, SVP_L4_TCP, "HTTPOptions");
  CHECK_INT(h->n_chain, 3);
  CHECK(h->chain[0] == h && h->chain[1] == g && h->chain[2] == null);
  /* UDP: no NULL at the end */
  const struct svp_probe *u = svp_rules_find_probe(rs, SVP_L4_UDP, "U");
  CHECK_INT(u->n_chain, 2);
  CHECK(u->chain[1] == du);
  /* a fallback to a probe defined later in the file */
  const struct svp_probe *late = svp_rules_find_probe(rs, SVP_L4_TCP, "Late");
  CHECK_INT(late->n_chain, 3);
  CHECK_STR(late->chain[1]->name, "Later");
  svp_rules_free(rs);
}

static void test_duplicate_probe_in_base(void)
{
  struct msgs m;
  struct svp_ruleset *rs = load_text(&m,
      "Probe TCP NULL q||\n"
      "match a m|^a|\n"
      "Probe TCP NULL q||\n"
      "match b m|^b|\n");
  CHECK(msgs_find(&m, "layer0.probes:3: Probe NULL defined twice in one file") >= 0);
  CHECK_INT(svp_rules_n_probes(rs), 1);
  const struct svp_probe *p = svp_rules_null_probe(rs);
  CHECK_INT(p->n_rules, 2);
  CHECK_STR(p->rules[0]->service, "a"); /* same layer: file order */
  svp_rules_free(rs);
}

static void test_unreadable_and_states(void)
{
  struct msgs m;
  struct svp_diag d = msgs_diag(&m);
  struct svp_ruleset *rs;
  svp_rules_new(&rs);
  CHECK_INT(svp_rules_load_file(rs, "/nonexistent/x.probes", 0, &d), SVP_ERR_IO);
  CHECK(msgs_find(&m, "/nonexistent/x.probes: cannot read") >= 0);
  CHECK_INT(svp_rules_stats(rs)->errors, 1);
  CHECK_INT(svp_rules_file(rs, 0)->errors, 1);
  CHECK_INT(svp_rules_compile(rs, false, &d), SVP_OK);
  CHECK_INT(svp_rules_compile(rs, false, &d), SVP_ERR_ARG);
  CHECK_INT(svp_rules_load_buf(rs, "late", "", 0, 0, &d), SVP_ERR_ARG);
  CHECK_INT(svp_rules_n_probes(rs), 0);
  CHECK(svp_rules_rule(rs, 0) == NULL);
  svp_rules_free(rs);
}

static void test_system_file(void)
{
  struct msgs m;
  struct svp_diag d = msgs_diag(&m);
  struct svp_ruleset *rs;
  svp_rules_new(&rs);
  if (svp_rules_load_file(rs, SYSTEM_RULES, 0, &d) != SVP_OK) {
    tap_note("%s missing: install nmap-common", SYSTEM_RULES);
    CHECK(0);
    svp_rules_free(rs);
    return;
  }
  CHECK_INT(svp_rules_compile(rs, false, &d), SVP_OK);
  const struct svp_rules_stats *st = svp_rules_stats(rs);
  CHECK_INT(st->probes_tcp, 100);
  CHECK_INT(st->probes_udp, 48);
  CHECK_INT(st->match, 11721);
  CHECK_INT(st->softmatch, 196);
  CHECK_INT(st->errors, 0);
  CHECK_INT(st->warnings, 0);
  CHECK_INT(st->services, 1232);
  CHECK_INT(svp_rules_n_rules(rs), 11917);
  const struct svp_probe *null = svp_rules_null_probe(rs);
  CHECK_STR(null->name, "NULL");
  CHECK_INT(null->totalwaitms, 6000);
  CHECK_INT(null->tcpwrappedms, 3000);
  CHECK_INT(null->n_rules, 4029); /* rules under NULL (A.10) */
  CHECK(svp_rules_excluded(rs, SVP_L4_TCP, 9100) && !svp_rules_excluded(rs, SVP_L4_UDP, 9100));
  CHECK_INT(svp_rules_find_probe(rs, SVP_L4_TCP, "GetRequest")->n_rules, 4831);
  CHECK_INT(svp_rules_find_probe(rs, SVP_L4_TCP, "GenericLines")->n_rules, 700);
  const struct svp_rule *r = svp_rules_rule(rs, 0);
  CHECK_STR(r->file, SYSTEM_RULES);
  CHECK(r->line > 33);

  /* every template of the file is well-formed for the expander: with all
   * nine groups present, none is rejected ($P, $SUBST and $I included) */
  static const char subj[] = "0123456789";
  size_t ovec[20];
  for (int i = 0; i < 10; i++) {
    ovec[2 * i] = (size_t)i;
    ovec[2 * i + 1] = (size_t)i + 1;
  }
  struct svp_groups g = {(const uint8_t *)subj, 10, ovec, 10};
  unsigned n = 0, bad = 0;
  for (size_t i = 0; i < svp_rules_n_rules(rs); i++) {
    const struct svp_rule *ri = svp_rules_rule(rs, i);
    char out[SVP_INFO_LEN];
    bool cut;
    for (int f = 0; f < SVP_F_COUNT; f++) {
      if (!ri->tmpl[f])
        continue;
      n++;
      if (svp_tmpl_expand(ri->tmpl[f], &g, false, out, sizeof out, &cut) != SVP_OK) {
        bad++;
        tap_note("line %u: template %s rejected", ri->line, ri->tmpl[f]);
      }
    }
    for (size_t k = 0; k < ri->n_cpe; k++, n++)
      if (svp_tmpl_expand(ri->cpe[k], &g, true, out, sizeof out, &cut) != SVP_OK) {
        bad++;
        tap_note("line %u: cpe template %s rejected", ri->line, ri->cpe[k]);
      }
  }
  tap_note("system file: %u templates expanded", n);
  CHECK(n > 30000);
  CHECK_INT(bad, 0);
  svp_rules_free(rs);
}

int main(void)
{
  test_bad_lines();
  test_delimiters_and_flags();
  test_payload_escapes();
  test_whitespace_crlf_comments();
  test_templates();
  test_ports_and_exclude();
  test_bad_probe_skips_block();
  test_overlay();
  test_fallback_chain();
  test_duplicate_probe_in_base();
  test_unreadable_and_states();
  test_system_file();
  return tap_done();
}
