/* out_xml.c: nmap XML (-oX), valid against nmap 7.93's nmap.dtd and
 * readable by ndiff and the tools that read nmap XML.
 *
 * The DTD only allows scanner="nmap"; svpassive keeps the file valid with
 * it and says who wrote the file in a comment, in args (the svpassive
 * command line) and in version ("svpassive VERSION"). Element and
 * attribute order follow nmap's output.cc so that a diff against real nmap
 * XML shows only real differences. With -v each port carries a
 * <script id="svpassive-evidence"> (text in output=, the same facts as
 * <elem> children); without -v there is none, so that ndiff compares
 * svpassive's default XML with nmap's cleanly.
 *
 * Escaping: < > & " ' as entities; a '-' after a '-' as &#45; (keeps
 * comments valid); tab, newline, CR as character references; other control
 * bytes, DEL and bytes that are not valid UTF-8 as U+FFFD (XML 1.0 forbids
 * the controls even as references); valid UTF-8 as it is. */
#include "svp/output/output.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static void esc(FILE *f, const char *str)
{
  const unsigned char *s = (const unsigned char *)(str ? str : "");
  for (size_t i = 0; s[i]; i++) {
    unsigned char c = s[i];
    switch (c) {
    case '<': fputs("&lt;", f); continue;
    case '>': fputs("&gt;", f); continue;
    case '&': fputs("&amp;", f); continue;
    case '"': fputs("&quot;", f); continue;
    case '\'': fputs("&apos;", f); continue;
    case '\t': fputs("&#x9;", f); continue;
    case '\n': fputs("&#xa;", f); continue;
    case '\r': fputs("&#xd;", f); continue;
    case '-':
      fputs(i > 0 && s[i - 1] == '-' ? "&#45;" : "-", f);
      continue;
    default: break;
    }
    if (c < 0x20 || c == 0x7f) {
      fputs("&#xfffd;", f);
    } else if (c < 0x80) {
      fputc(c, f);
    } else {
      uint32_t cp;
      int n = svp_out_utf8_seq(s + i, &cp);
      if (n == 0 || cp == 0xfffe || cp == 0xffff) { /* not XML characters */
        fputs("&#xfffd;", f);
      } else {
        fwrite(s + i, 1, (size_t)n, f);
        i += (size_t)n - 1;
      }
    }
  }
}

static void attr(FILE *f, const char *name, const char *value)
{
  fprintf(f, " %s=\"", name);
  esc(f, value);
  fputc('"', f);
}

static void attr_u(FILE *f, const char *name, unsigned long long v)
{
  fprintf(f, " %s=\"%llu\"", name, v);
}

static long long secs(int64_t us)
{
  return (long long)(us / 1000000 - (us % 1000000 < 0));
}

static void elem(FILE *f, const char *key, const char *value)
{
  fprintf(f, "<elem key=\"%s\">", key);
  esc(f, value);
  fputs("</elem>", f);
}

static void elem_u(FILE *f, const char *key, unsigned long long v)
{
  fprintf(f, "<elem key=\"%s\">%llu</elem>", key, v);
}

/* <elem>s locating one result: method, match, conf, rule, probe, where. */
static void result_elems(FILE *f, const struct svp_result *r,
                         const struct svp_run_info *run)
{
  struct svp_out_svc sd;
  char buf[SVP_ISO_LEN + 64];
  svp_out_svc_of_result(r, &sd);
  elem(f, "method", r->method == SVP_M_NONE ? "table" : svp_method_name(r->method));
  elem(f, "match", sd.match);
  elem_u(f, "conf", sd.conf);
  if (r->rule) {
    snprintf(buf, sizeof buf, ":%u", r->rule->line);
    fputs("<elem key=\"rule\">", f);
    esc(f, r->rule->file);
    esc(f, buf);
    fputs("</elem>", f);
  }
  const struct svp_probe *p = r->probe ? r->probe : r->rule ? r->rule->probe : NULL;
  if (p)
    elem(f, "probe", p->name);
  const char *cut[9];
  unsigned ncut = svp_out_truncated(r->fields.truncated, cut);
  if (ncut) {
    fputs("<elem key=\"truncated\">", f);
    for (unsigned i = 0; i < ncut; i++)
      fprintf(f, "%s%s", i ? "," : "", cut[i]);
    fputs("</elem>", f);
  }
  if (r->ev.pkt.frame) {
    elem(f, "file", svp_out_input_name(run, r->ev.pkt.file));
    elem_u(f, "frame", r->ev.pkt.frame);
    svp_out_iso(r->ev.pkt.ts_us, buf);
    elem(f, "time", buf);
    elem_u(f, "flow", r->ev.flow_id);
    if (r->ev.client.family == 4 || r->ev.client.family == 6) {
      char a[SVP_ADDR_STRLEN];
      elem(f, "client", svp_addr_str(&r->ev.client, a, sizeof a));
      elem_u(f, "client_port", r->ev.client_port);
    }
    elem(f, "midstream", r->ev.midstream ? "true" : "false");
  }
}

/* The evidence's elements (-v). */
static void evidence_elems(FILE *f, const struct svp_endpoint *ep,
                           const struct svp_run_info *run)
{
  char a[SVP_ISO_LEN];
  result_elems(f, &ep->res, run);
  svp_out_iso(ep->first_us, a);
  elem(f, "first_seen", a);
  svp_out_iso(ep->last_us, a);
  elem(f, "last_seen", a);
  elem_u(f, "flows", ep->n_flows);
  elem_u(f, "clients", ep->n_clients);
  elem(f, "midstream", ep->flags & SVP_EF_ALL_MIDSTREAM ? "all"
                       : ep->flags & SVP_EF_MIDSTREAM   ? "some"
                                                        : "none");
  if (ep->n_history) {
    fputs("<table key=\"history\">", f);
    for (size_t i = 0; i < ep->n_history; i++) {
      const struct svp_result *h = &ep->history[i];
      struct svp_out_svc hs;
      svp_out_svc_of_result(h, &hs);
      fputs("<table>", f);
      elem(f, "service", hs.name ? hs.name : "unknown");
      if (hs.product)
        elem(f, "product", hs.product);
      if (hs.version)
        elem(f, "version", hs.version);
      if (hs.extrainfo)
        elem(f, "extrainfo", hs.extrainfo);
      result_elems(f, h, run);
      fputs("</table>", f);
    }
    fputs("</table>", f);
  }
}

/* ---- TLS: nmap's ssl-cert script and svpassive's handshake facts ---- */

static void name_table(FILE *f, const char *key, const struct svp_x509_attr *a, unsigned n)
{
  unsigned idx[SVP_OUT_NAME_MAX];
  unsigned m = svp_out_x509_keys(a, n < SVP_OUT_NAME_MAX ? n : SVP_OUT_NAME_MAX, idx);
  fprintf(f, "<table key=\"%s\">", key);
  for (unsigned i = 0; i < m; i++) {
    fputs("<elem key=\"", f);
    esc(f, a[idx[i]].key);
    fputs("\">", f);
    esc(f, a[idx[i]].value);
    fputs("</elem>", f);
  }
  fputs("</table>", f);
}

static void ext_elems(void *ud, const char *name, const char *value, bool critical)
{
  FILE *f = ud;
  fputs("<table>", f);
  elem(f, "name", name);
  elem(f, "value", value);
  if (critical)
    elem(f, "critical", "true");
  fputs("</table>", f);
}

/* nmap's ssl-cert elements for a certificate: the same tables and element
 * names (subject, issuer, pubkey, extensions, sig_algo, validity, md5,
 * sha1, pem), plus sha256. */
static void ssl_cert_elems(FILE *f, const struct svp_x509 *c)
{
  char t[32], hx[2 * 32 + 1];
  name_table(f, "subject", c->subject, c->n_subject);
  name_table(f, "issuer", c->issuer, c->n_issuer);
  fputs("<table key=\"pubkey\">", f);
  elem(f, "type", c->key_type);
  elem_u(f, "bits", c->key_bits);
  if (c->curve[0]) {
    fputs("<table key=\"ecdhparams\"><table key=\"curve_params\">", f);
    elem(f, "ec_curve_type", "namedcurve");
    elem(f, "curve", c->curve);
    fputs("</table></table>", f);
  }
  fputs("</table>", f);
  fputs("<table key=\"extensions\">", f);
  svp_x509_extensions(c, ext_elems, f);
  fputs("</table>", f);
  elem(f, "sig_algo", c->sig_algo);
  fputs("<table key=\"validity\">", f);
  svp_x509_time_str(c->not_before, t);
  elem(f, "notBefore", c->validity_ok ? t : "MISSING");
  svp_x509_time_str(c->not_after, t);
  elem(f, "notAfter", c->validity_ok ? t : "MISSING");
  fputs("</table>", f);
  svp_x509_hex(c->md5, sizeof c->md5, hx);
  elem(f, "md5", hx);
  svp_x509_hex(c->sha1, sizeof c->sha1, hx);
  elem(f, "sha1", hx);
  svp_x509_hex(c->sha256, sizeof c->sha256, hx);
  elem(f, "sha256", hx);
  char *pem = svp_x509_pem(c);
  if (pem)
    elem(f, "pem", pem);
  free(pem);
}

static void cert_brief(FILE *f, const struct svp_x509 *c)
{
  char t[32], hx[2 * 32 + 1];
  name_table(f, "subject", c->subject, c->n_subject);
  name_table(f, "issuer", c->issuer, c->n_issuer);
  svp_x509_time_str(c->not_after, t);
  elem(f, "notAfter", c->validity_ok ? t : "MISSING");
  svp_x509_hex(c->sha256, sizeof c->sha256, hx);
  elem(f, "sha256", hx);
  elem(f, "self_signed", c->self_signed ? "true" : "false");
}

/* svpassive's TLS facts: the handshake, the certificates, the clients. */
static void tls_fact_elems(FILE *f, const struct svp_endpoint *ep)
{
  const struct svp_tls_ep *t = ep->tls;
  char buf[64];
  if (t->handshakes) {
    const char *v = svp_tls_version_name(t->version);
    elem(f, "version", v ? v : "unknown");
    svp_tls_ep_versions(t, buf, sizeof buf);
    elem(f, "versions", buf);
    if (t->version != SVP_TLS_V_SSL2) {
      const char *c = svp_tls_cipher_name(t->cipher);
      snprintf(buf, sizeof buf, "0x%04x", t->cipher);
      elem(f, "cipher", c ? c : buf);
    }
    if (t->alpn[0])
      elem(f, "alpn", t->alpn);
    if (t->ja3s[0])
      elem(f, "ja3s", t->ja3s);
  }
  elem_u(f, "server_hellos", t->handshakes);
  elem_u(f, "client_hellos", t->client_hellos);
  if (t->upgrade != SVP_TLS_UP_NONE)
    elem(f, "starttls", svp_tls_upgrade_name(t->upgrade));
  const char *from = svp_tunnel_from_name((enum svp_tunnel_from)ep->res.tunnel_from);
  if (from)
    elem(f, "tunnel_from", from);
  elem(f, "certificate_encrypted", t->cert_encrypted ? "true" : "false");
  if (t->n_certs) {
    fputs("<table key=\"certificates\">", f);
    for (unsigned i = 0; i < t->n_certs; i++) {
      const struct svp_tls_cert *c = &t->certs[i];
      fputs("<table>", f);
      cert_brief(f, c->chain[0]);
      if (c->sni[0])
        elem(f, "sni", c->sni);
      elem(f, "expired", c->expired ? "true" : "false");
      elem_u(f, "flows", c->flows);
      elem_u(f, "frame", c->seen.frame);
      if (c->n > 1) {
        fputs("<table key=\"chain\">", f);
        for (unsigned k = 1; k < c->n; k++) {
          fputs("<table>", f);
          cert_brief(f, c->chain[k]);
          fputs("</table>", f);
        }
        fputs("</table>", f);
      }
      fputs("</table>", f);
    }
    fputs("</table>", f);
  }
  if (t->n_clients) {
    fputs("<table key=\"clients\">", f);
    for (unsigned i = 0; i < t->n_clients; i++) {
      const struct svp_tls_client *c = &t->clients[i];
      fputs("<table>", f);
      if (c->ja4[0])
        elem(f, "ja4", c->ja4);
      if (c->ja3[0])
        elem(f, "ja3", c->ja3);
      if (c->sni[0])
        elem(f, "sni", c->sni);
      if (c->alpn[0])
        elem(f, "alpn", c->alpn);
      const char *v = svp_tls_version_name(c->max_version);
      if (v)
        elem(f, "max_version", v);
      elem_u(f, "flows", c->flows);
      fputs("</table>", f);
    }
    fputs("</table>", f);
  }
}

/* Text lines appended to a script's output text (a '\n' between parts). */
static void text_add(char *text, size_t n, const char *part)
{
  size_t at = strlen(text);
  if (!part[0] || at + 2 >= n)
    return;
  snprintf(text + at, n - at, "%s%s", at ? "\n" : "", part);
}

/* At most one <script> per port: Debian's ndiff (nmap 7.93) cannot sort
 * two. With a certificate it is nmap's ssl-cert (its elements, then
 * svpassive's TLS facts in <table key="svpassive-tls">); TLS without a
 * certificate: svpassive-tls; otherwise, with -v, svpassive-evidence. With
 * -v a TLS script carries the evidence in <table key="svpassive-evidence">. */
static void print_scripts(FILE *f, const struct svp_endpoint *ep,
                          const struct svp_run_info *run)
{
  int v = run ? run->verbose : 0;
  const struct svp_tls_ep *t = ep->tls;
  const struct svp_x509 *cert = t && t->n_certs ? t->certs[0].chain[0] : NULL;
  if (!t && v == 0)
    return;
  size_t tn = 32768;
  char *text = malloc(tn), *part = malloc(tn);
  if (!text || !part) {
    free(text);
    free(part);
    return;
  }
  text[0] = '\0';
  if (cert && svp_out_ssl_cert_text(cert, v, part, tn))
    text_add(text, tn, part);
  if (t && svp_out_tls_summary(ep, v, part, tn))
    text_add(text, tn, part);
  if (v > 0 && svp_out_evidence_text(ep, run, part, tn)) {
    size_t pl = strlen(part);
    if (pl && part[pl - 1] == '\n')
      part[pl - 1] = '\0';
    text_add(text, tn, part);
  }
  fprintf(f, "<script id=\"%s\"", cert ? "ssl-cert" : t ? "svpassive-tls" : "svpassive-evidence");
  attr(f, "output", text);
  fputc('>', f);
  if (cert)
    ssl_cert_elems(f, cert);
  if (cert && t)
    fputs("<table key=\"svpassive-tls\">", f);
  if (t)
    tls_fact_elems(f, ep);
  if (cert && t)
    fputs("</table>", f);
  if (t && v > 0)
    fputs("<table key=\"svpassive-evidence\">", f);
  if (v > 0)
    evidence_elems(f, ep, run);
  if (t && v > 0)
    fputs("</table>", f);
  fputs("</script>", f);
  free(text);
  free(part);
}

static void print_service(FILE *f, const struct svp_endpoint *ep,
                          const struct svp_run_info *run)
{
  struct svp_out_svc sd;
  svp_out_svc_of(ep, &sd);
  if (!sd.name && !sd.has_fp && !sd.ssl)
    return; /* nmap writes no <service> then */
  fputs("<service", f);
  attr(f, "name", sd.name ? sd.name : "unknown");
  if (sd.product)
    attr(f, "product", sd.product);
  if (sd.version)
    attr(f, "version", sd.version);
  if (sd.extrainfo)
    attr(f, "extrainfo", sd.extrainfo);
  if (sd.hostname)
    attr(f, "hostname", sd.hostname);
  if (sd.ostype)
    attr(f, "ostype", sd.ostype);
  if (sd.devtype)
    attr(f, "devicetype", sd.devtype);
  if (sd.has_fp) {
    char fp[SVP_FP_MAX];
    if (svp_fingerprint(ep, run, false, fp, sizeof fp) > 0)
      attr(f, "servicefp", fp);
  }
  if (sd.ssl)
    attr(f, "tunnel", "ssl");
  attr(f, "method", sd.probed ? "probed" : "table");
  attr_u(f, "conf", sd.conf);
  if (sd.n_cpe == 0) {
    fputs("/>", f);
    return;
  }
  fputc('>', f);
  for (unsigned i = 0; i < sd.n_cpe; i++) {
    fputs("<cpe>", f);
    esc(f, sd.cpe[i]);
    fputs("</cpe>", f);
  }
  fputs("</service>", f);
}

static void print_port(FILE *f, const struct svp_endpoint *ep,
                       const struct svp_run_info *run)
{
  fprintf(f, "<port protocol=\"%s\" portid=\"%u\">", svp_l4_name(ep->l4),
          (unsigned)ep->port);
  fputs("<state", f);
  attr(f, "state", svp_out_state_name(ep->state));
  attr(f, "reason", svp_out_reason(ep));
  attr_u(f, "reason_ttl", ep->reason_ttl);
  fputs("/>", f);
  print_service(f, ep, run);
  print_scripts(f, ep, run);
  fputs("</port>\n", f);
}

static void print_host(FILE *f, const struct svp_endpoint *const *ep, size_t n,
                       const struct svp_run_info *run)
{
  int64_t first, last;
  uint64_t flows;
  svp_out_host_span(ep, n, &first, &last, &flows);
  char a[SVP_ISO_LEN], b[SVP_ISO_LEN], note[160], addr[SVP_ADDR_STRLEN];
  svp_out_iso(first, a);
  svp_out_iso(last, b);
  snprintf(note, sizeof note, "seen passively: %" PRIu64 " flow%s from %s to %s",
           flows, flows == 1 ? "" : "s", a, b);
  fputs("<host", f);
  fprintf(f, " starttime=\"%lld\" endtime=\"%lld\"", secs(first), secs(last));
  attr(f, "comment", note);
  fputs("><status state=\"up\" reason=\"passive\" reason_ttl=\"0\"/>\n", f);
  fputs("<address", f);
  attr(f, "addr", svp_addr_str(&ep[0]->addr, addr, sizeof addr));
  attr(f, "addrtype", ep[0]->addr.family == 6 ? "ipv6" : "ipv4");
  fputs("/>\n<hostnames>\n</hostnames>\n<ports>", f);
  for (size_t i = 0; i < n; i++)
    print_port(f, ep[i], run);
  fputs("</ports>\n</host>\n", f);
}

static int write_xml(FILE *f, const struct svp_report *rep)
{
  const struct svp_run_info *run = rep->run;
  char when[SVP_CTIME_LEN], done[SVP_CTIME_LEN], vers[64];
  int64_t start = svp_out_wall(run, false), end = svp_out_wall(run, true);
  svp_out_ctime(start, when);
  svp_out_ctime(end, done);
  char *cmd = svp_out_cmdline(run);
  const char *args = cmd ? cmd : "svpassive";
  snprintf(vers, sizeof vers, "svpassive %s", SVP_VERSION);

  fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE nmaprun>\n"
        "<?xml-stylesheet href=\"file:///usr/share/nmap/nmap.xsl\" type=\"text/xsl\"?>\n",
        f);
  fprintf(f, "<!-- %s passive inventory started %s as: ", vers, when);
  esc(f, args);
  fputs(" -->\n<!-- Written by svpassive from captured traffic, not by an nmap "
        "scan: no packet was sent. scanner=\"nmap\" only keeps the file valid "
        "against nmap.dtd. -->\n",
        f);
  fputs("<nmaprun scanner=\"nmap\"", f);
  attr(f, "args", args);
  fprintf(f, " start=\"%lld\"", secs(start));
  attr(f, "startstr", when);
  attr(f, "version", vers);
  fputs(" xmloutputversion=\"1.05\">\n", f);
  fprintf(f, "<verbose level=\"%d\"/>\n<debugging level=\"0\"/>\n",
          run && run->verbose > 0 ? run->verbose : 0);
  for (size_t i = 0; i < rep->n_ep;) {
    size_t j = svp_out_host_end(rep, i);
    print_host(f, rep->ep + i, j - i, run);
    i = j;
  }
  struct svp_out_counts c;
  svp_out_count(rep, &c);
  char summary[256];
  snprintf(summary, sizeof summary,
           "svpassive done at %s; %zu endpoint%s on %zu host%s (%zu identified, "
           "%zu softmatched, %zu unknown, %zu closed) in %.2f seconds",
           done, c.endpoints, c.endpoints == 1 ? "" : "s", c.hosts,
           c.hosts == 1 ? "" : "s", c.hard, c.soft, c.unknown, c.closed,
           svp_out_elapsed(run));
  fprintf(f, "<runstats><finished time=\"%lld\"", secs(end));
  attr(f, "timestr", done);
  fprintf(f, " summary=\"");
  esc(f, summary);
  fprintf(f, "\" elapsed=\"%.2f\" exit=\"success\"/>", svp_out_elapsed(run));
  fprintf(f, "<hosts up=\"%zu\" down=\"0\" total=\"%zu\"/>\n</runstats>\n</nmaprun>\n",
          c.hosts, c.hosts);
  free(cmd);
  return fflush(f) == 0 && !ferror(f) ? SVP_OK : SVP_ERR_IO;
}

const struct svp_writer svp_writer_xml = {
  .fmt = SVP_OUT_XML,
  .name = "xml",
  .write = write_xml,
};
