/* test_endpoint.c: the endpoint table's merge rules, one table-driven case
 * per rule (endpoint.h): hard beats soft beats none, nmap's first-softmatch
 * rule, refinement, weaker methods, service changes with history, result
 * reuse by identical server bytes, client counting, state and reason. */
#include "svp/ident/endpoint.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct step {
  enum svp_method method;
  enum svp_verdict verdict;
  const char *service, *product, *version;
};

struct mcase {
  const char *name;
  struct step in[4];
  unsigned n;
  const char *want_service, *want_product, *want_version;
  enum svp_verdict want_verdict;
  unsigned want_history;
  bool want_changed;
};

#define H(m, s, p, v) {SVP_M_##m, SVP_HARD, s, p, v}
#define S(m, s, p, v) {SVP_M_##m, SVP_SOFT, s, p, v}
#define N {SVP_M_NONE, SVP_NOMATCH, NULL, "", ""}

static const struct mcase cases[] = {
  {"hard beats an earlier soft", {S(BANNER, "ftp", "", ""), H(BANNER, "ftp", "vsftpd", "3.0.3")}, 2,
   "ftp", "vsftpd", "3.0.3", SVP_HARD, 0, false},
  {"a soft after a hard is ignored", {H(BANNER, "ssh", "OpenSSH", "9.2p1"), S(BANNER, "ssh", "", "")}, 2,
   "ssh", "OpenSSH", "9.2p1", SVP_HARD, 0, false},
  {"nmap keeps the first softmatch", {S(BANNER, "pop3", "", ""), S(REQRESP, "imap", "", "")}, 2,
   "pop3", "", "", SVP_SOFT, 0, false},
  {"soft beats nothing matched", {N, S(REQRESP, "redis", "", "")}, 2,
   "redis", "", "", SVP_SOFT, 0, false},
  {"the same service with a version refines", {H(REQRESP, "http", "nginx", ""), H(REQRESP, "http", "nginx", "1.22.1")}, 2,
   "http", "nginx", "1.22.1", SVP_HARD, 0, false},
  {"less detail does not replace more", {H(REQRESP, "http", "nginx", "1.22.1"), H(REQRESP, "http", "nginx", "")}, 2,
   "http", "nginx", "1.22.1", SVP_HARD, 0, false},
  {"another product on the same port is a change", {H(REQRESP, "http", "nginx", "1.22.1"), H(REQRESP, "http", "lighttpd", "1.4.69")}, 2,
   "http", "lighttpd", "1.4.69", SVP_HARD, 1, true},
  {"another service is a change", {H(BANNER, "ssh", "OpenSSH", "9.2p1"), H(BANNER, "ftp", "vsftpd", "3.0.3")}, 2,
   "ftp", "vsftpd", "3.0.3", SVP_HARD, 1, true},
  {"switching back keeps one history entry each",
   {H(REQRESP, "http", "nginx", ""), H(REQRESP, "http", "lighttpd", ""), H(REQRESP, "http", "nginx", "")}, 3,
   "http", "nginx", "", SVP_HARD, 1, true},
  {"a weaker method does not override a strong hard result", {H(BANNER, "ssh", "OpenSSH", ""), H(PORTPROBE, "x11", "", "")}, 2,
   "ssh", "OpenSSH", "", SVP_HARD, 0, false},
  {"a stronger method replaces a weak one without a change", {H(WIDE, "landesk-rc", "", ""), H(REQRESP, "http", "Apache httpd", "")}, 2,
   "http", "Apache httpd", "", SVP_HARD, 0, false},
  {"a version upgrade is a change", {H(BANNER, "ssh", "OpenSSH", "9.2p1"), H(BANNER, "ssh", "OpenSSH", "9.3p1")}, 2,
   "ssh", "OpenSSH", "9.3p1", SVP_HARD, 1, true},
};

static struct svp_flow make_flow(uint64_t id, uint8_t client_last_octet, const char *srv_bytes)
{
  struct svp_flow f;
  memset(&f, 0, sizeof f);
  f.cli = (struct svp_addr){.family = 4, .b = {192, 0, 2, client_last_octet}};
  f.srv = (struct svp_addr){.family = 4, .b = {192, 0, 2, 1}};
  f.cport = (uint16_t)(40000 + id);
  f.sport = 22;
  f.l4 = SVP_L4_TCP;
  f.basis = SVP_SB_SYN;
  f.flags = SVP_FF_SYNACK;
  f.synack_ttl = 64;
  f.id = id;
  f.first.ts_us = (int64_t)id * 1000000;
  f.last_us = f.first.ts_us + 500000;
  if (srv_bytes) {
    f.dir[SVP_S2C].data = (uint8_t *)srv_bytes;
    f.dir[SVP_S2C].len = (uint32_t)strlen(srv_bytes);
    f.dir[SVP_S2C].bytes = f.dir[SVP_S2C].len;
    f.dir[SVP_S2C].pkts = 1;
  }
  return f;
}

static struct svp_result make_result(const struct step *s, uint32_t resp_len)
{
  struct svp_result r;
  memset(&r, 0, sizeof r);
  r.method = s->method;
  r.verdict = s->verdict;
  r.conf = 10;
  r.service = s->service;
  snprintf(r.fields.product, sizeof r.fields.product, "%s", s->product);
  snprintf(r.fields.version, sizeof r.fields.version, "%s", s->version);
  r.ev.resp_len = resp_len;
  return r;
}

static void run_case(const struct mcase *c)
{
  struct svp_eptab *t;
  CHECK_INT(svp_eptab_new(&t), SVP_OK);
  for (unsigned i = 0; i < c->n; i++) {
    char banner[64];
    snprintf(banner, sizeof banner, "banner %u of %s\r\n", i, c->name);
    struct svp_flow f = make_flow(i + 1, (uint8_t)(10 + i), banner);
    struct svp_result r = make_result(&c->in[i], f.dir[SVP_S2C].len);
    struct svp_flow_outcome o = {.flow = &f, .res = &r};
    CHECK_INT(svp_eptab_add(t, &o), SVP_OK);
  }
  struct svp_addr srv = {.family = 4, .b = {192, 0, 2, 1}};
  const struct svp_endpoint *e = svp_eptab_find(t, &srv, 22, SVP_L4_TCP);
  tap_check(e != NULL, __FILE__, __LINE__, "%s: endpoint exists", c->name);
  if (e) {
    const char *svc = e->res.service ? e->res.service : "";
    tap_check(strcmp(svc, c->want_service) == 0 &&
                  strcmp(e->res.fields.product, c->want_product) == 0 &&
                  strcmp(e->res.fields.version, c->want_version) == 0 &&
                  e->res.verdict == c->want_verdict,
              __FILE__, __LINE__, "%s: result %s/%s/%s (got %s/%s/%s)", c->name,
              c->want_service, c->want_product, c->want_version, svc, e->res.fields.product,
              e->res.fields.version);
    tap_check(e->n_history == c->want_history &&
                  ((e->flags & SVP_EF_CHANGED) != 0) == c->want_changed,
              __FILE__, __LINE__, "%s: history %u changed %d (got %zu, %d)", c->name,
              c->want_history, c->want_changed, e->n_history,
              (e->flags & SVP_EF_CHANGED) != 0);
    CHECK_INT(e->n_flows, c->n);
  }
  svp_eptab_free(t);
}

/* Reuse needs the same leading server bytes; counting, state, table names. */
static void test_bookkeeping(void)
{
  struct svp_eptab *t;
  svp_eptab_new(&t);
  const char *banner = "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10\r\n";
  struct svp_flow f1 = make_flow(1, 10, banner);
  struct step hard = H(BANNER, "ssh", "OpenSSH", "9.2p1 Debian 2+deb12u10");
  struct svp_result r1 = make_result(&hard, f1.dir[SVP_S2C].len);
  struct svp_flow_outcome o1 = {.flow = &f1, .res = &r1};
  svp_eptab_add(t, &o1);

  struct svp_result got;
  struct svp_flow same = make_flow(2, 11, banner);
  CHECK(svp_eptab_reuse(t, &same, &got));
  CHECK_STR(got.fields.product, "OpenSSH");
  struct svp_flow other = make_flow(3, 11, "SSH-2.0-OpenSSH_9.3p1 Debian-1\r\n");
  CHECK(!svp_eptab_reuse(t, &other, &got));
  struct svp_flow shorter = make_flow(4, 11, "SSH-2.0-Open");
  CHECK(!svp_eptab_reuse(t, &shorter, &got));

  /* a softmatch is reused only for exactly the same bytes, all of them */
  struct svp_eptab *ts;
  svp_eptab_new(&ts);
  const char *tn = "\xff\xfd\x18\xff\xfd\x20";
  struct svp_flow s1 = make_flow(5, 12, tn);
  struct step soft = S(BANNER, "telnet", "", "");
  struct svp_result rs = make_result(&soft, s1.dir[SVP_S2C].len);
  struct svp_flow_outcome os = {.flow = &s1, .res = &rs};
  svp_eptab_add(ts, &os);
  struct svp_flow s2 = make_flow(6, 13, tn);
  CHECK(svp_eptab_reuse(ts, &s2, &got));
  CHECK(got.verdict == SVP_SOFT);
  struct svp_flow longer = make_flow(7, 13, "\xff\xfd\x18\xff\xfd\x20\xff\xfd\x23");
  CHECK(!svp_eptab_reuse(ts, &longer, &got));
  svp_eptab_free(ts);

  /* 300 flows from 300 clients: the count is exact up to the cap */
  for (unsigned i = 0; i < 300; i++) {
    struct svp_flow f = make_flow(10 + i, 0, NULL);
    f.cli.b[2] = (uint8_t)(i >> 8);
    f.cli.b[3] = (uint8_t)i;
    struct svp_flow_outcome o = {.flow = &f};
    svp_eptab_add(t, &o);
  }
  struct svp_addr srv = {.family = 4, .b = {192, 0, 2, 1}};
  const struct svp_endpoint *e = svp_eptab_find(t, &srv, 22, SVP_L4_TCP);
  CHECK(e != NULL);
  if (e) {
    CHECK_INT(e->n_flows, 301);
    CHECK(e->clients_capped);
    CHECK_INT(e->n_clients, 256);
    CHECK_STR(e->reason, "syn-ack");
    CHECK_INT(e->reason_ttl, 64);
    CHECK_INT(e->first_us, 1000000);
  }

  /* a refused SYN makes a closed endpoint; a flow with nothing from the
   * server makes none */
  struct svp_flow refused = make_flow(500, 9, NULL);
  refused.sport = 23;
  refused.flags = SVP_FF_REFUSED;
  struct svp_flow_outcome orf = {.flow = &refused};
  svp_eptab_add(t, &orf);
  struct svp_flow silent = make_flow(501, 9, NULL);
  silent.sport = 24;
  silent.flags = 0;
  struct svp_flow_outcome osi = {.flow = &silent};
  svp_eptab_add(t, &osi);
  const struct svp_endpoint *c = svp_eptab_find(t, &srv, 23, SVP_L4_TCP);
  CHECK(c && c->state == SVP_PS_CLOSED);
  CHECK(svp_eptab_find(t, &srv, 24, SVP_L4_TCP) == NULL);
  CHECK_INT(svp_eptab_count(t), 2);

  /* an unidentified endpoint keeps its first bytes for the fingerprint and
   * becomes a port-table guess */
  struct svp_flow u = make_flow(600, 9, "\x01\x02 mystery");
  u.sport = 4000;
  struct step none = N;
  struct svp_result ru = make_result(&none, u.dir[SVP_S2C].len);
  struct svp_flow_outcome ou = {.flow = &u, .res = &ru, .server_first = true};
  svp_eptab_add(t, &ou);
  const struct svp_endpoint *ue = svp_eptab_find(t, &srv, 4000, SVP_L4_TCP);
  CHECK(ue && ue->fp_len == u.dir[SVP_S2C].len && ue->fp_server_first);
  svp_eptab_apply_table(t, NULL, NULL);
  CHECK(ue && ue->res.method == SVP_M_TABLE && ue->res.conf == 3);

  const struct svp_endpoint **v;
  size_t n;
  CHECK_INT(svp_eptab_sorted(t, &v, &n), SVP_OK);
  CHECK_INT(n, 3);
  CHECK(n == 3 && v[0]->port == 22 && v[1]->port == 23 && v[2]->port == 4000);
  free(v);
  svp_eptab_free(t);
}

/* The matching budget: a new endpoint always runs the whole plan; a known
 * shape does not, unless its lines missed or more bytes came; after
 * SVP_EP_FREE_PLANS plans that changed nothing, the next waits 1, 2, 4 ...
 * flows; a plan that changed the result resets the wait. */
static void test_budget(void)
{
  struct svp_eptab *t;
  svp_eptab_new(&t);
  CHECK(svp_eptab_plan_wanted(NULL, 7, 0, false));
  struct step s = {SVP_M_BANNER, SVP_NOMATCH, NULL, "", ""};
  struct svp_result r = make_result(&s, 4);
  uint64_t id = 1;
  struct svp_flow f = make_flow(id++, 9, "\x01zz!");
  struct svp_flow_outcome o = {.flow = &f, .res = &r, .planned = true, .shape = 7};
  svp_eptab_add(t, &o); /* the first unmatched evidence: progress */
  const struct svp_endpoint *ep = svp_eptab_find(t, &f.srv, f.sport, f.l4);
  CHECK(ep != NULL);
  CHECK(svp_eptab_shape_known(ep, 7));
  CHECK(!svp_eptab_plan_wanted(ep, 7, 4, false));
  CHECK(svp_eptab_plan_wanted(ep, 7, 5, false));  /* more bytes than any plan saw */
  CHECK(svp_eptab_plan_wanted(ep, 7, 4, true));   /* the lines missed */
  CHECK(svp_eptab_plan_wanted(ep, 8, 4, false));  /* a new shape */
  for (unsigned k = 0; k < SVP_EP_FREE_PLANS; k++) { /* plans that teach nothing */
    f = make_flow(id++, 9, "\x01zz!");
    o.shape = 100 + k;
    svp_eptab_add(t, &o);
  }
  CHECK(!svp_eptab_plan_wanted(ep, 999, 4, false)); /* backoff: wait one flow */
  f = make_flow(id++, 9, "\x01zz!");
  o.planned = false;
  svp_eptab_add(t, &o);
  CHECK(svp_eptab_plan_wanted(ep, 999, 4, false));
  /* a hard line is progress: the wait starts over, and the line is known */
  struct step h = {SVP_M_BANNER, SVP_HARD, "ssh", "OpenSSH", "9.2p1"};
  struct svp_rule rule;
  memset(&rule, 0, sizeof rule);
  struct svp_probe probe;
  memset(&probe, 0, sizeof probe);
  r = make_result(&h, 4);
  r.rule = &rule;
  r.probe = &probe;
  f = make_flow(id++, 9, "SSH-");
  o.planned = true;
  o.shape = 555;
  svp_eptab_add(t, &o);
  const struct svp_ep_line *lines;
  CHECK_INT(svp_eptab_lines(ep, &lines), 1);
  CHECK(lines[0].rule == &rule && lines[0].probe == &probe);
  CHECK(svp_eptab_plan_wanted(ep, 1234, 4, false));
  svp_eptab_free(t);
}

/* At its memory bound the table keeps every endpoint and result but no
 * new fingerprint, and says how many it refused. */
static void test_mem_bound(void)
{
  struct svp_eptab *t;
  svp_eptab_new(&t);
  svp_eptab_set_mem_limit(t, svp_eptab_mem(t)->now + 3000);
  struct step s = {SVP_M_BANNER, SVP_NOMATCH, NULL, "", ""};
  char bytes[1200];
  memset(bytes, 'x', sizeof bytes - 1);
  bytes[sizeof bytes - 1] = 0;
  for (unsigned i = 0; i < 8; i++) {
    struct svp_flow f = make_flow(i + 1, 9, bytes);
    f.srv.b[3] = (uint8_t)(10 + i); /* a server each */
    struct svp_result r = make_result(&s, (uint32_t)strlen(bytes));
    struct svp_flow_outcome o = {.flow = &f, .res = &r};
    CHECK_INT(svp_eptab_add(t, &o), SVP_OK);
    const struct svp_endpoint *ep = svp_eptab_find(t, &f.srv, f.sport, f.l4);
    CHECK(ep != NULL);
    if (ep && ep->fp_data) {
      CHECK_INT(ep->fp_len, SVP_EP_FP_BYTES); /* what a fingerprint shows */
      CHECK_INT(ep->fp_total, (long)strlen(bytes));
    }
  }
  CHECK_INT(svp_eptab_count(t), 8);
  CHECK(svp_eptab_mem(t)->fp_refused > 0);
  CHECK(svp_eptab_mem(t)->peak >= svp_eptab_mem(t)->now);
  svp_eptab_free(t);
}

int main(void)
{
  for (size_t i = 0; i < SVP_ARRAY_LEN(cases); i++)
    run_case(&cases[i]);
  test_bookkeeping();
  test_budget();
  test_mem_bound();
  return tap_done();
}
