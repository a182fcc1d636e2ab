/* out_common.c: the writer registry and what the writers share: nmap's
 * view of a result (serviceDeductions), its SERVICE and VERSION columns,
 * times, the command line, host grouping and the evidence text. */
#include "svp/output/output.h"
#include "out_int.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static const struct svp_writer *const writers[SVP_OUT_COUNT] = {
  [SVP_OUT_NORMAL] = &svp_writer_normal,
  [SVP_OUT_XML] = &svp_writer_xml,
  [SVP_OUT_GREP] = &svp_writer_grep,
  [SVP_OUT_JSON] = &svp_writer_json,
};

const struct svp_writer *svp_writer_get(enum svp_outfmt fmt)
{
  if ((unsigned)fmt >= SVP_OUT_COUNT)
    return NULL;
  return writers[fmt];
}

/* ---- nmap's serviceDeductions ------------------------------------------ */

static const char *nonempty(const char *s)
{
  return s && *s ? s : NULL;
}

void svp_out_svc_of_result(const struct svp_result *r, struct svp_out_svc *sd)
{
  memset(sd, 0, sizeof *sd);
  sd->name = nonempty(r->service);
  sd->ssl = r->ssl;
  sd->probed = r->method != SVP_M_NONE && r->method != SVP_M_TABLE;
  /* A port nothing was learnt about is a table guess: conf 3 (nmap). */
  sd->conf = r->method == SVP_M_NONE ? 3 : (r->conf > 10 ? 10 : r->conf);
  sd->match = r->verdict == SVP_HARD ? "hard" : r->verdict == SVP_SOFT ? "soft" : "none";
  const struct svp_fields *f = &r->fields;
  sd->product = nonempty(f->product);
  sd->version = nonempty(f->version);
  sd->extrainfo = nonempty(f->info);
  sd->hostname = nonempty(f->hostname);
  sd->ostype = nonempty(f->ostype);
  sd->devtype = nonempty(f->devtype);
  for (int i = 0; i < SVP_CPE_COUNT; i++)
    if (f->cpe[i][0])
      sd->cpe[sd->n_cpe++] = f->cpe[i];
}

void svp_out_svc_of(const struct svp_endpoint *ep, struct svp_out_svc *sd)
{
  svp_out_svc_of_result(&ep->res, sd);
  /* Without a matched name nmap falls back on nmap-services. */
  if (!sd->name && ep->res.verdict == SVP_NOMATCH)
    sd->name = nonempty(ep->table_name);
  sd->has_fp = ep->fp_data && ep->fp_len > 0 && ep->res.verdict != SVP_HARD;
}

void svp_out_service_col(const struct svp_out_svc *sd, enum svp_port_state st,
                         char *buf, size_t n)
{
  const char *pre = sd->ssl ? "ssl/" : "";
  int len;
  if (sd->name && strcmp(sd->name, "unknown") != 0)
    len = snprintf(buf, n, "%s%s%s", pre, sd->name,
                   st == SVP_PS_OPEN && sd->conf <= 5 ? "?" : "");
  else
    len = snprintf(buf, n, "%sunknown", pre);
  if (len < 0 || (size_t)len >= n)
    buf[0] = '\0'; /* nmap prints nothing rather than a cut name */
}

/* Append src to buf (len bytes used, room = bytes still free before the
 * NUL) and return the new length. */
static size_t put(char *buf, size_t len, const char *src, size_t k)
{
  memcpy(buf + len, src, k);
  buf[len + k] = '\0';
  return len + k;
}

/* One part of the version string: cut with "..." if it does not fit. */
static size_t put_part(char *buf, size_t len, size_t *room, const char *s)
{
  size_t k = strlen(s);
  if (k > *room) {
    len = put(buf, len, s, *room - 3);
    len = put(buf, len, "...", 3);
    *room = 0;
  } else {
    len = put(buf, len, s, k);
    *room -= k;
  }
  return len;
}

void svp_out_fullversion(const struct svp_out_svc *sd, char *buf, size_t n)
{
  if (n == 0)
    return;
  buf[0] = '\0';
  size_t room = n - 1, len = 0;
  bool pad = false;
  const char *parts[2] = {sd->product, sd->version};
  for (int i = 0; i < 2; i++) {
    if (!parts[i] || room < 8)
      continue;
    if (pad) {
      len = put(buf, len, " ", 1);
      room--;
    }
    len = put_part(buf, len, &room, parts[i]);
    pad = true;
  }
  if (sd->extrainfo && room >= 8) {
    if (pad) {
      len = put(buf, len, " ", 1);
      room--;
    }
    len = put(buf, len, "(", 1);
    room--;
    size_t inner = room - 1; /* keep one byte for ")" */
    len = put_part(buf, len, &inner, sd->extrainfo);
    put(buf, len, ")", 1);
  }
}

unsigned svp_out_truncated(uint16_t bits, const char *names[9])
{
  static const char *const all[9] = {"product", "version", "extrainfo", "hostname",
                                     "ostype", "devicetype", "cpe:a", "cpe:h", "cpe:o"};
  unsigned n = 0;
  for (unsigned i = 0; i < 9; i++)
    if (bits & (1u << i))
      names[n++] = all[i];
  return n;
}

const char *svp_out_state_name(enum svp_port_state st)
{
  return st == SVP_PS_CLOSED ? "closed" : "open";
}

const char *svp_out_reason(const struct svp_endpoint *ep)
{
  if (ep->reason && *ep->reason)
    return ep->reason;
  if (ep->state == SVP_PS_CLOSED)
    return "reset";
  return ep->l4 == SVP_L4_UDP ? "udp-response" : "syn-ack";
}

int svp_out_utf8_seq(const unsigned char *s, uint32_t *cp)
{
  unsigned char c = s[0];
  int n;
  uint32_t v;
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
    v = c & 0x1f;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    v = c & 0x0f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    v = c & 0x07;
  } else {
    return 0;
  }
  for (int i = 1; i < n; i++) {
    if ((s[i] & 0xc0) != 0x80) /* also stops at the NUL */
      return 0;
    v = v << 6 | (s[i] & 0x3f);
  }
  if ((n == 3 && v < 0x800) || (n == 4 && (v < 0x10000 || v > 0x10ffff)) ||
      (v >= 0xd800 && v <= 0xdfff))
    return 0;
  if (cp)
    *cp = v;
  return n;
}

/* ---- times -------------------------------------------------------------- */

bool svp_out_fixed_time(void)
{
  const char *v = getenv("SVP_FIXED_TIME");
  return v && strcmp(v, "1") == 0;
}

int64_t svp_out_wall(const struct svp_run_info *run, bool end)
{
  if (svp_out_fixed_time() || !run)
    return 0;
  return end ? run->end_wall_us : run->start_wall_us;
}

double svp_out_elapsed(const struct svp_run_info *run)
{
  if (svp_out_fixed_time() || !run || run->end_wall_us < run->start_wall_us)
    return 0;
  return (double)(run->end_wall_us - run->start_wall_us) / 1e6;
}

/* Floor division of microseconds into seconds (times before 1970 too). */
static time_t us_to_sec(int64_t us, long *frac)
{
  int64_t s = us / 1000000, r = us % 1000000;
  if (r < 0) {
    s--;
    r += 1000000;
  }
  if (frac)
    *frac = (long)r;
  return (time_t)s;
}

void svp_out_ctime(int64_t epoch_us, char buf[SVP_CTIME_LEN])
{
  time_t t = us_to_sec(epoch_us, NULL);
  struct tm tm;
  if (!localtime_r(&t, &tm) ||
      strftime(buf, SVP_CTIME_LEN, "%a %b %e %H:%M:%S %Y", &tm) == 0)
    snprintf(buf, SVP_CTIME_LEN, "?");
}

void svp_out_iso(int64_t epoch_us, char buf[SVP_ISO_LEN])
{
  long frac;
  time_t t = us_to_sec(epoch_us, &frac);
  struct tm tm;
  char day[24];
  if (!gmtime_r(&t, &tm) || strftime(day, sizeof day, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
    snprintf(buf, SVP_ISO_LEN, "?");
  else
    snprintf(buf, SVP_ISO_LEN, "%s.%06ldZ", day, frac);
}

/* ---- run facts ---------------------------------------------------------- */

const char *svp_out_input_name(const struct svp_run_info *run, uint32_t file)
{
  if (!run)
    return "-";
  if (run->iface && run->n_inputs == 0)
    return run->iface;
  if (file < run->n_inputs && run->inputs && run->inputs[file])
    return run->inputs[file];
  return "-";
}

char *svp_out_cmdline(const struct svp_run_info *run)
{
  if (!run || run->argc <= 0 || !run->argv)
    return NULL;
  size_t cap = 1;
  for (int i = 0; i < run->argc; i++)
    cap += 2 * strlen(run->argv[i] ? run->argv[i] : "") + 3;
  char *s = malloc(cap), *p = s;
  if (!s)
    return NULL;
  for (int i = 0; i < run->argc; i++) {
    const char *w = run->argv[i] ? run->argv[i] : "";
    bool space = false;
    for (const char *q = w; *q; q++)
      if (*q == ' ' || (*q >= '\t' && *q <= '\r'))
        space = true;
    if (i)
      *p++ = ' ';
    if (space)
      *p++ = '"';
    for (const char *q = w; *q; q++) {
      if (*q == '"' || *q == '\\')
        *p++ = '\\';
      *p++ = *q;
    }
    if (space)
      *p++ = '"';
  }
  *p = '\0';
  return s;
}

size_t svp_out_host_end(const struct svp_report *rep, size_t i)
{
  size_t j = i + 1;
  while (j < rep->n_ep && svp_addr_cmp(&rep->ep[j]->addr, &rep->ep[i]->addr) == 0)
    j++;
  return j;
}

void svp_out_host_span(const struct svp_endpoint *const *ep, size_t n,
                       int64_t *first, int64_t *last, uint64_t *flows)
{
  *first = *last = 0;
  *flows = 0;
  bool any = false;
  for (size_t i = 0; i < n; i++) {
    *flows += ep[i]->n_flows;
    if (!ep[i]->first_us && !ep[i]->last_us)
      continue;
    if (!any || ep[i]->first_us < *first)
      *first = ep[i]->first_us;
    if (!any || ep[i]->last_us > *last)
      *last = ep[i]->last_us;
    any = true;
  }
}

void svp_out_count(const struct svp_report *rep, struct svp_out_counts *c)
{
  memset(c, 0, sizeof *c);
  for (size_t i = 0; i < rep->n_ep; i = svp_out_host_end(rep, i))
    c->hosts++;
  for (size_t i = 0; i < rep->n_ep; i++) {
    const struct svp_endpoint *ep = rep->ep[i];
    c->endpoints++;
    if (ep->state == SVP_PS_CLOSED) {
      c->closed++;
      continue;
    }
    c->open++;
    if (ep->res.verdict == SVP_HARD)
      c->hard++;
    else if (ep->res.verdict == SVP_SOFT)
      c->soft++;
    else
      c->unknown++;
  }
}

void svp_out_put_text(FILE *f, const char *s)
{
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    fputc(c < 0x20 || c == 0x7f ? '?' : c, f);
  }
}

void svp_out_comment_header(FILE *f, const struct svp_report *rep)
{
  char when[SVP_CTIME_LEN];
  svp_out_ctime(svp_out_wall(rep->run, false), when);
  char *cmd = svp_out_cmdline(rep->run);
  fprintf(f, "# svpassive %s run started %s as: ", SVP_VERSION, when);
  svp_out_put_text(f, cmd ? cmd : "svpassive");
  fputc('\n', f);
  free(cmd);
}

void svp_out_comment_footer(FILE *f, const struct svp_report *rep)
{
  char when[SVP_CTIME_LEN];
  struct svp_out_counts c;
  svp_out_count(rep, &c);
  svp_out_ctime(svp_out_wall(rep->run, true), when);
  fprintf(f, "# svpassive done at %s -- %zu endpoint%s on %zu host%s "
             "(%zu identified, %zu softmatched, %zu unknown, %zu closed)",
          when, c.endpoints, c.endpoints == 1 ? "" : "s", c.hosts,
          c.hosts == 1 ? "" : "s", c.hard, c.soft, c.unknown, c.closed);
  if (rep->run)
    fprintf(f, " from %" PRIu64 " packets, %" PRIu64 " flows, %" PRIu64
               " dropped in %.2f seconds",
            rep->run->packets, rep->run->flows, rep->run->dropped,
            svp_out_elapsed(rep->run));
  fputc('\n', f);
}

/* ---- evidence text ------------------------------------------------------ */

void svp_ol_append(struct svp_lines *L, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  int k = vsnprintf(L->line + L->ll, sizeof L->line - L->ll, fmt, ap);
  va_end(ap);
  if (k > 0)
    L->ll += (size_t)k < sizeof L->line - L->ll ? (size_t)k : sizeof L->line - L->ll - 1;
}

void svp_ol_text(struct svp_lines *L, const char *s)
{
  for (; s && *s && L->ll + 1 < sizeof L->line; s++) {
    unsigned char c = (unsigned char)*s;
    L->line[L->ll++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
  }
  L->line[L->ll] = '\0';
}

void svp_ol_commit(struct svp_lines *L)
{
  if (L->len + L->ll + 2 <= L->n) {
    memcpy(L->buf + L->len, L->line, L->ll);
    L->len += L->ll;
    L->buf[L->len++] = '\n';
    L->buf[L->len] = '\0';
  }
  L->ll = 0;
  L->line[0] = '\0';
}

static void addr_port(char *out, size_t n, const struct svp_addr *a, uint16_t port)
{
  char s[SVP_ADDR_STRLEN];
  svp_addr_str(a, s, sizeof s);
  snprintf(out, n, a->family == 6 ? "[%s]:%u" : "%s:%u", s, (unsigned)port);
}

/* "rule FILE:LINE (probe NAME)" or the port-table note. */
static void ol_rule(struct svp_lines *L, const struct svp_result *r)
{
  if (r->rule) {
    svp_ol_append(L, "rule ");
    svp_ol_text(L, r->rule->file);
    svp_ol_append(L, ":%u", r->rule->line);
  } else {
    svp_ol_append(L, "no rule");
  }
  const struct svp_probe *p = r->probe ? r->probe : r->rule ? r->rule->probe : NULL;
  if (p) {
    svp_ol_append(L, ", probe ");
    svp_ol_text(L, p->name);
  }
}

/* "FILE frame N at TIME, flow F, client C[, mid-stream]" */
static void ol_where(struct svp_lines *L, const struct svp_evidence *ev,
                          const struct svp_run_info *run)
{
  char when[SVP_ISO_LEN], cl[SVP_ADDR_STRLEN + 8];
  svp_out_iso(ev->pkt.ts_us, when);
  svp_ol_text(L, svp_out_input_name(run, ev->pkt.file));
  svp_ol_append(L, " frame %" PRIu64 " at %s, flow %" PRIu64, ev->pkt.frame, when,
          ev->flow_id);
  if (ev->client.family == 4 || ev->client.family == 6) {
    addr_port(cl, sizeof cl, &ev->client, ev->client_port);
    svp_ol_append(L, ", client %s", cl);
  }
  if (ev->midstream)
    svp_ol_append(L, ", mid-stream");
}

size_t svp_out_evidence_text(const struct svp_endpoint *ep,
                             const struct svp_run_info *run, char *buf, size_t n)
{
  if (n == 0)
    return 0;
  struct svp_lines L = {.buf = buf, .n = n};
  buf[0] = '\0';
  const struct svp_result *r = &ep->res;
  struct svp_out_svc sd;
  svp_out_svc_of(ep, &sd);

  svp_ol_append(&L, "method: %s; match: %s; conf: %u",
          r->method == SVP_M_NONE ? "table" : svp_method_name(r->method),
          sd.match, sd.conf);
  svp_ol_commit(&L);
  if (r->rule || r->probe) {
    ol_rule(&L, r);
  } else {
    svp_ol_append(&L, "port table: ");
    svp_ol_text(&L, ep->table_name ? ep->table_name : "(no entry)");
  }
  svp_ol_commit(&L);
  const char *cut[9];
  unsigned ncut = svp_out_truncated(r->fields.truncated, cut);
  if (ncut) {
    svp_ol_append(&L, "cut at nmap's length limits:");
    for (unsigned i = 0; i < ncut; i++)
      svp_ol_append(&L, "%s %s", i ? "," : "", cut[i]);
    svp_ol_commit(&L);
  }
  if (r->ev.pkt.frame) {
    svp_ol_append(&L, "evidence: ");
    ol_where(&L, &r->ev, run);
    svp_ol_commit(&L);
  }
  char a[SVP_ISO_LEN], b[SVP_ISO_LEN];
  svp_out_iso(ep->first_us, a);
  svp_out_iso(ep->last_us, b);
  svp_ol_append(&L, "seen: ");
  if (ep->first_us || ep->last_us)
    svp_ol_append(&L, "%s to %s; ", a, b);
  svp_ol_append(&L, "%" PRIu64 " flow%s; %s%" PRIu64 " client%s",
          ep->n_flows, ep->n_flows == 1 ? "" : "s",
          ep->clients_capped ? "at least " : "", ep->n_clients,
          ep->n_clients == 1 ? "" : "s");
  svp_ol_commit(&L);
  if (ep->flags & (SVP_EF_MIDSTREAM | SVP_EF_SERVER_GUESS)) {
    svp_ol_append(&L, "mid-stream: %s",
            ep->flags & SVP_EF_ALL_MIDSTREAM ? "every flow joined mid-conversation"
            : ep->flags & SVP_EF_MIDSTREAM   ? "some flows joined mid-conversation"
                                             : "no");
    if (ep->flags & SVP_EF_SERVER_GUESS)
      svp_ol_append(&L, "; server side inferred (no handshake seen)");
    svp_ol_commit(&L);
  }
  for (size_t i = 0; i < ep->n_history; i++) {
    const struct svp_result *h = &ep->history[i];
    struct svp_out_svc hs;
    char ver[SVP_FULLVERSION_LEN];
    svp_out_svc_of_result(h, &hs);
    svp_out_fullversion(&hs, ver, sizeof ver);
    svp_ol_append(&L, "earlier: %s", hs.ssl ? "ssl/" : "");
    svp_ol_text(&L, hs.name ? hs.name : "unknown");
    if (ver[0]) {
      svp_ol_append(&L, " ");
      svp_ol_text(&L, ver);
    }
    svp_ol_append(&L, " (%s, ", svp_method_name(h->method));
    ol_rule(&L, h);
    if (h->ev.pkt.frame) {
      svp_ol_append(&L, ", ");
      ol_where(&L, &h->ev, run);
    }
    svp_ol_append(&L, ")");
    svp_ol_commit(&L);
  }
  return L.len;
}
