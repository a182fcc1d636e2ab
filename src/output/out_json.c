/* out_json.c: JSON Lines (-oJ): one JSON object per endpoint and line, in
 * the report's order, nothing else in the file (no header, no trailer).
 * Field names and types are documented in docs/OUTPUT.md and are stable:
 * every key is always present (null when there is no value), in a fixed
 * order.
 *
 * Strings: '"' and '\\' backslashed; control characters as \n \r \t \b \f
 * or \u00XX; DEL as \u007f; valid UTF-8 as it is; a byte that is not part
 * of valid UTF-8 as \u00XX (its Latin-1 code point), so that the output is
 * always valid UTF-8 JSON whatever bytes a capture or rule file held. */
#include "svp/output/output.h"

#include <inttypes.h>
#include <string.h>

/* The escaped characters of str, without the quotes. */
static void jbody(FILE *f, const char *str)
{
  const unsigned char *s = (const unsigned char *)str;
  for (size_t i = 0; s[i]; i++) {
    unsigned char c = s[i];
    switch (c) {
    case '"': fputs("\\\"", f); continue;
    case '\\': fputs("\\\\", f); continue;
    case '\n': fputs("\\n", f); continue;
    case '\r': fputs("\\r", f); continue;
    case '\t': fputs("\\t", f); continue;
    case '\b': fputs("\\b", f); continue;
    case '\f': fputs("\\f", f); continue;
    default: break;
    }
    if (c < 0x20 || c == 0x7f) {
      fprintf(f, "\\u%04x", c);
    } else if (c < 0x80) {
      fputc(c, f);
    } else {
      int n = svp_out_utf8_seq(s + i, NULL);
      if (n == 0) {
        fprintf(f, "\\u%04x", c);
      } else {
        fwrite(s + i, 1, (size_t)n, f);
        i += (size_t)n - 1;
      }
    }
  }
}

static void jstr(FILE *f, const char *str)
{
  fputc('"', f);
  jbody(f, str);
  fputc('"', f);
}

/* Object writer: keys separated by commas. */
struct obj {
  FILE *f;
  bool more;
};

static void key(struct obj *o, const char *k)
{
  fprintf(o->f, "%s\"%s\":", o->more ? "," : "", k);
  o->more = true;
}

static void kstr(struct obj *o, const char *k, const char *v)
{
  key(o, k);
  if (v)
    jstr(o->f, v);
  else
    fputs("null", o->f);
}

static void kint(struct obj *o, const char *k, uint64_t v)
{
  key(o, k);
  fprintf(o->f, "%" PRIu64, v);
}

static void kbool(struct obj *o, const char *k, bool v)
{
  key(o, k);
  fputs(v ? "true" : "false", o->f);
}

static void kiso(struct obj *o, const char *k, int64_t us)
{
  char t[SVP_ISO_LEN];
  svp_out_iso(us, t);
  kstr(o, k, t);
}

static void open_obj(struct obj *o, struct obj *inner, const char *k)
{
  key(o, k);
  fputc('{', o->f);
  inner->f = o->f;
  inner->more = false;
}

static void evidence(struct obj *o, const struct svp_result *r,
                     const struct svp_run_info *run)
{
  if (!r->ev.pkt.frame && !r->rule) {
    kstr(o, "evidence", NULL);
    return;
  }
  struct obj e;
  open_obj(o, &e, "evidence");
  if (r->ev.pkt.frame) {
    kstr(&e, "file", svp_out_input_name(run, r->ev.pkt.file));
    kint(&e, "frame", r->ev.pkt.frame);
    kiso(&e, "time", r->ev.pkt.ts_us);
  } else {
    kstr(&e, "file", NULL);
    kstr(&e, "frame", NULL);
    kstr(&e, "time", NULL);
  }
  if (r->rule) {
    char line[16];
    snprintf(line, sizeof line, ":%u", r->rule->line);
    key(&e, "rule"); /* "file:line" */
    fputc('"', o->f);
    jbody(o->f, r->rule->file);
    fputs(line, o->f);
    fputc('"', o->f);
  } else {
    kstr(&e, "rule", NULL);
  }
  const struct svp_probe *p = r->probe ? r->probe : r->rule ? r->rule->probe : NULL;
  kstr(&e, "probe", p ? p->name : NULL);
  if (r->ev.pkt.frame) {
    kint(&e, "flow", r->ev.flow_id);
    if (r->ev.client.family == 4 || r->ev.client.family == 6) {
      char a[SVP_ADDR_STRLEN];
      kstr(&e, "client", svp_addr_str(&r->ev.client, a, sizeof a));
      kint(&e, "client_port", r->ev.client_port);
    } else {
      kstr(&e, "client", NULL);
      kstr(&e, "client_port", NULL);
    }
    kbool(&e, "midstream", r->ev.midstream);
  } else {
    kstr(&e, "flow", NULL);
    kstr(&e, "client", NULL);
    kstr(&e, "client_port", NULL);
    kstr(&e, "midstream", NULL);
  }
  fputc('}', o->f);
}

/* The fields every result has (current and history entries). */
static void result_fields(struct obj *o, const struct svp_out_svc *sd,
                          const struct svp_result *r,
                          const struct svp_run_info *run)
{
  /* nmap-services says "unknown" for some ports: that is no name */
  kstr(o, "service", sd->name && strcmp(sd->name, "unknown") != 0 ? sd->name : NULL);
  kstr(o, "product", sd->product);
  kstr(o, "version", sd->version);
  kstr(o, "extrainfo", sd->extrainfo);
  kstr(o, "hostname", sd->hostname);
  kstr(o, "ostype", sd->ostype);
  kstr(o, "devicetype", sd->devtype);
  key(o, "cpe");
  fputc('[', o->f);
  for (unsigned i = 0; i < sd->n_cpe; i++) {
    if (i)
      fputc(',', o->f);
    jstr(o->f, sd->cpe[i]);
  }
  fputc(']', o->f);
  kstr(o, "tunnel", sd->ssl ? "ssl" : NULL);
  kstr(o, "tunnel_from", svp_tunnel_from_name((enum svp_tunnel_from)r->tunnel_from));
  kstr(o, "match", sd->match);
  kstr(o, "method", r->method == SVP_M_NONE ? "table" : svp_method_name(r->method));
  kint(o, "conf", sd->conf);
  /* fields cut at nmap's sizes */
  const char *cut[9];
  unsigned ncut = svp_out_truncated(r->fields.truncated, cut);
  key(o, "truncated");
  fputc('[', o->f);
  for (unsigned i = 0; i < ncut; i++)
    fprintf(o->f, "%s\"%s\"", i ? "," : "", cut[i]);
  fputc(']', o->f);
  evidence(o, r, run);
}

/* ---- TLS ---------------------------------------------------------------- */

static void open_arr(struct obj *o, const char *k)
{
  key(o, k);
  fputc('[', o->f);
}

/* A certificate name as an object, nmap's keys (sorted, one per key). */
static void jname(struct obj *o, const char *k, const struct svp_x509_attr *a, unsigned n)
{
  unsigned idx[SVP_OUT_NAME_MAX];
  unsigned m = svp_out_x509_keys(a, n < SVP_OUT_NAME_MAX ? n : SVP_OUT_NAME_MAX, idx);
  struct obj in;
  open_obj(o, &in, k);
  for (unsigned i = 0; i < m; i++) {
    fputs(i ? "," : "", o->f);
    jstr(o->f, a[idx[i]].key);
    fputc(':', o->f);
    jstr(o->f, a[idx[i]].value);
  }
  fputc('}', o->f);
}

static void jhex(struct obj *o, const char *k, const uint8_t *b, size_t n)
{
  char hx[2 * 32 + 1];
  svp_x509_hex(b, n, hx);
  kstr(o, k, hx);
}

static void jtime(struct obj *o, const char *k, const struct svp_x509 *c, int64_t t)
{
  char s[32];
  svp_x509_time_str(t, s);
  kstr(o, k, c->validity_ok ? s : NULL);
}

static void jcert(struct obj *o, const struct svp_x509 *c)
{
  jname(o, "subject", c->subject, c->n_subject);
  jname(o, "issuer", c->issuer, c->n_issuer);
  kstr(o, "san", c->san);
  kstr(o, "serial", c->serial);
  struct obj pk;
  open_obj(o, &pk, "pubkey");
  kstr(&pk, "type", c->key_type);
  kint(&pk, "bits", c->key_bits);
  kstr(&pk, "curve", c->curve[0] ? c->curve : NULL);
  fputc('}', o->f);
  kstr(o, "sig_algo", c->sig_algo);
  jtime(o, "not_before", c, c->not_before);
  jtime(o, "not_after", c, c->not_after);
  jhex(o, "sha256", c->sha256, sizeof c->sha256);
  jhex(o, "sha1", c->sha1, sizeof c->sha1);
  jhex(o, "md5", c->md5, sizeof c->md5);
  kbool(o, "self_signed", c->self_signed);
}

static void jtls(struct obj *o, const struct svp_endpoint *ep, const struct svp_run_info *run)
{
  const struct svp_tls_ep *t = ep->tls;
  if (!t) {
    kstr(o, "tls", NULL);
    return;
  }
  struct obj x;
  char buf[64];
  open_obj(o, &x, "tls");
  kstr(&x, "version", t->handshakes ? svp_tls_version_name(t->version) : NULL);
  svp_tls_ep_versions(t, buf, sizeof buf);
  key(&x, "versions");
  fputc('[', o->f);
  for (char *v = buf, *end; *v; v = end + (*end != '\0')) {
    end = strchr(v, ',');
    if (!end)
      end = v + strlen(v);
    fprintf(o->f, "%s\"%.*s\"", v == buf ? "" : ",", (int)(end - v), v);
  }
  fputc(']', o->f);
  bool cipher = t->handshakes && t->version != SVP_TLS_V_SSL2;
  snprintf(buf, sizeof buf, "0x%04x", t->cipher);
  const char *cn = svp_tls_cipher_name(t->cipher);
  kstr(&x, "cipher", cipher ? (cn ? cn : buf) : NULL);
  kstr(&x, "alpn", t->alpn[0] ? t->alpn : NULL);
  kstr(&x, "ja3s", t->ja3s[0] ? t->ja3s : NULL);
  kstr(&x, "starttls", svp_tls_upgrade_name(t->upgrade));
  kint(&x, "server_hellos", t->handshakes);
  kint(&x, "client_hellos", t->client_hellos);
  kbool(&x, "certificate_encrypted", t->cert_encrypted);
  kbool(&x, "malformed", t->malformed);
  kbool(&x, "cut", t->cut);
  open_arr(&x, "certificates");
  for (unsigned i = 0; i < t->n_certs; i++) {
    const struct svp_tls_cert *c = &t->certs[i];
    struct obj co = {o->f, false};
    fputs(i ? ",{" : "{", o->f);
    jcert(&co, c->chain[0]);
    kbool(&co, "expired", c->expired);
    kbool(&co, "not_yet_valid", c->not_yet_valid);
    kstr(&co, "sni", c->sni[0] ? c->sni : NULL);
    kint(&co, "flows", c->flows);
    kstr(&co, "file", svp_out_input_name(run, c->seen.file));
    kint(&co, "frame", c->seen.frame);
    kint(&co, "undecodable_in_chain", c->n_bad);
    open_arr(&co, "chain");
    for (unsigned k = 1; k < c->n; k++) {
      struct obj ko = {o->f, false};
      fputs(k > 1 ? ",{" : "{", o->f);
      jcert(&ko, c->chain[k]);
      fputc('}', o->f);
    }
    fputs("]}", o->f);
  }
  fputc(']', o->f);
  kint(&x, "certificates_dropped", t->certs_dropped);
  kint(&x, "certificates_undecodable", t->certs_undecodable);
  open_arr(&x, "clients");
  for (unsigned i = 0; i < t->n_clients; i++) {
    const struct svp_tls_client *c = &t->clients[i];
    struct obj co = {o->f, false};
    fputs(i ? ",{" : "{", o->f);
    kstr(&co, "ja4", c->ja4[0] ? c->ja4 : NULL);
    kstr(&co, "ja3", c->ja3[0] ? c->ja3 : NULL);
    kstr(&co, "sni", c->sni[0] ? c->sni : NULL);
    kstr(&co, "alpn", c->alpn[0] ? c->alpn : NULL);
    kstr(&co, "max_version", svp_tls_version_name(c->max_version));
    kint(&co, "flows", c->flows);
    fputc('}', o->f);
  }
  fputc(']', o->f);
  kint(&x, "clients_dropped", t->clients_dropped);
  fputc('}', o->f);
}

static void write_endpoint(FILE *f, const struct svp_endpoint *ep,
                           const struct svp_run_info *run)
{
  struct obj o = {f, false};
  struct svp_out_svc sd;
  char addr[SVP_ADDR_STRLEN];
  svp_out_svc_of(ep, &sd);
  fputc('{', f);
  kstr(&o, "addr", svp_addr_str(&ep->addr, addr, sizeof addr));
  kint(&o, "port", ep->port);
  kstr(&o, "proto", svp_l4_name(ep->l4));
  kstr(&o, "state", svp_out_state_name(ep->state));
  kstr(&o, "reason", svp_out_reason(ep));
  kint(&o, "reason_ttl", ep->reason_ttl);
  result_fields(&o, &sd, &ep->res, run);
  kiso(&o, "first_seen", ep->first_us);
  kiso(&o, "last_seen", ep->last_us);
  kint(&o, "flows", ep->n_flows);
  kint(&o, "clients", ep->n_clients);
  kbool(&o, "clients_capped", ep->clients_capped);
  kstr(&o, "midstream", ep->flags & SVP_EF_ALL_MIDSTREAM ? "all"
                        : ep->flags & SVP_EF_MIDSTREAM   ? "some"
                                                         : "none");
  kbool(&o, "server_inferred", (ep->flags & SVP_EF_SERVER_GUESS) != 0);
  kstr(&o, "port_table_name", ep->table_name);
  if (sd.has_fp) {
    char fp[SVP_FP_MAX];
    svp_fingerprint(ep, run, false, fp, sizeof fp);
    kstr(&o, "fingerprint", fp[0] ? fp : NULL);
  } else {
    kstr(&o, "fingerprint", NULL);
  }
  kbool(&o, "changed", (ep->flags & SVP_EF_CHANGED) != 0 || ep->n_history > 0);
  key(&o, "history");
  fputc('[', f);
  for (size_t i = 0; i < ep->n_history; i++) {
    struct obj h = {f, false};
    struct svp_out_svc hs;
    svp_out_svc_of_result(&ep->history[i], &hs);
    fputs(i ? ",{" : "{", f);
    result_fields(&h, &hs, &ep->history[i], run);
    fputc('}', f);
  }
  fputc(']', f);
  jtls(&o, ep, run);
  fputs("}\n", f);
}

static int write_json(FILE *f, const struct svp_report *rep)
{
  for (size_t i = 0; i < rep->n_ep; i++)
    write_endpoint(f, rep->ep[i], rep->run);
  return fflush(f) == 0 && !ferror(f) ? SVP_OK : SVP_ERR_IO;
}

const struct svp_writer svp_writer_json = {
  .fmt = SVP_OUT_JSON,
  .name = "json",
  .write = write_json,
};
