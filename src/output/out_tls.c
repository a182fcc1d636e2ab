/* out_tls.c: TLS facts as text, shared by the writers: nmap's ssl-cert
 * script text and a compact summary line (see output.h). */
#include "svp/output/output.h"
#include "out_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* The name fields nmap's ssl-cert prints without -vv, in its order. */
static const char *const short_fields[] = {"commonName", "organizationName",
                                           "stateOrProvinceName", "countryName"};

unsigned svp_out_x509_keys(const struct svp_x509_attr *a, unsigned n, unsigned *idx)
{
  unsigned m = 0;
  for (unsigned i = 0; i < n; i++) {
    unsigned k = 0;
    while (k < m && strcmp(a[idx[k]].key, a[i].key) != 0)
      k++;
    if (k < m) {
      idx[k] = i; /* a later value of the same key replaces the earlier one */
      continue;
    }
    /* insertion by key */
    unsigned at = m++;
    while (at > 0 && strcmp(a[idx[at - 1]].key, a[i].key) > 0) {
      idx[at] = idx[at - 1];
      at--;
    }
    idx[at] = i;
  }
  return m;
}

/* Last value of a key, as nmap's name table holds it. */
static const char *name_get(const struct svp_x509_attr *a, unsigned n, const char *key)
{
  const char *v = NULL;
  for (unsigned i = 0; i < n; i++)
    if (strcmp(a[i].key, key) == 0)
      v = a[i].value;
  return v;
}

static bool is_short_field(const char *k)
{
  for (size_t i = 0; i < SVP_ARRAY_LEN(short_fields); i++)
    if (strcmp(k, short_fields[i]) == 0)
      return true;
  return false;
}

/* nmap's stringify_name: "commonName=a/organizationName=b/...", the other
 * fields too (sorted by key) when all is set. */
static void append_name(struct svp_lines *L, const struct svp_x509_attr *a, unsigned n, bool all)
{
  const char *sep = "";
  for (size_t i = 0; i < SVP_ARRAY_LEN(short_fields); i++) {
    const char *v = name_get(a, n, short_fields[i]);
    if (!v)
      continue;
    svp_ol_append(L, "%s%s=", sep, short_fields[i]);
    svp_ol_text(L, v);
    sep = "/";
  }
  if (!all || n == 0)
    return;
  unsigned idx[SVP_OUT_NAME_MAX];
  unsigned m = svp_out_x509_keys(a, n < SVP_OUT_NAME_MAX ? n : SVP_OUT_NAME_MAX, idx);
  for (unsigned i = 0; i < m; i++) {
    if (is_short_field(a[idx[i]].key))
      continue;
    svp_ol_append(L, "%s", sep);
    svp_ol_text(L, a[idx[i]].key);
    svp_ol_append(L, "=");
    svp_ol_text(L, a[idx[i]].value);
    sep = "/";
  }
}

/* "bf47 ceca d861 ..." (nmap's grouping of a digest). */
static void append_digest(struct svp_lines *L, const uint8_t *d, size_t n)
{
  char hx[2 * 32 + 1];
  svp_x509_hex(d, n, hx);
  for (size_t i = 0; i < 2 * n; i += 4)
    svp_ol_append(L, "%s%.4s", i ? " " : "", hx + i);
}

size_t svp_out_ssl_cert_text(const struct svp_x509 *c, int verbose, char *buf, size_t n)
{
  if (n == 0)
    return 0;
  struct svp_lines L = {.buf = buf, .n = n};
  buf[0] = '\0';
  svp_ol_append(&L, "Subject: ");
  append_name(&L, c->subject, c->n_subject, verbose > 1);
  svp_ol_commit(&L);
  if (c->san) {
    svp_ol_append(&L, "Subject Alternative Name: ");
    svp_ol_text(&L, c->san);
    svp_ol_commit(&L);
  }
  if (verbose > 0) {
    svp_ol_append(&L, "Issuer: ");
    append_name(&L, c->issuer, c->n_issuer, verbose > 1);
    svp_ol_commit(&L);
    svp_ol_append(&L, "Public Key type: %s", c->key_type);
    svp_ol_commit(&L);
    svp_ol_append(&L, "Public Key bits: %u", c->key_bits);
    svp_ol_commit(&L);
    svp_ol_append(&L, "Signature Algorithm: %s", c->sig_algo);
    svp_ol_commit(&L);
  }
  char t[32];
  svp_x509_time_str(c->not_before, t);
  svp_ol_append(&L, "Not valid before: %s", c->validity_ok ? t : "MISSING");
  svp_ol_commit(&L);
  svp_x509_time_str(c->not_after, t);
  svp_ol_append(&L, "Not valid after:  %s", c->validity_ok ? t : "MISSING");
  svp_ol_commit(&L);
  if (verbose > 0) {
    svp_ol_append(&L, "MD5:   ");
    append_digest(&L, c->md5, sizeof c->md5);
    svp_ol_commit(&L);
    svp_ol_append(&L, "SHA-1: ");
    append_digest(&L, c->sha1, sizeof c->sha1);
    svp_ol_commit(&L);
    svp_ol_append(&L, "SHA-256: ");
    append_digest(&L, c->sha256, sizeof c->sha256);
    svp_ol_commit(&L);
  }
  if (L.len && buf[L.len - 1] == '\n') /* script output has no final newline */
    buf[--L.len] = '\0';
  return L.len;
}

/* The first SAN_SHORT names of a subjectAltName text, then how many more. */
#define SAN_SHORT 4
static void append_san_short(struct svp_lines *L, const char *san)
{
  const char *p = san;
  unsigned shown = 0, more = 0;
  svp_ol_append(L, ", SAN ");
  while (*p) {
    const char *end = strstr(p, ", ");
    size_t n = end ? (size_t)(end - p) : strlen(p);
    if (shown < SAN_SHORT) {
      char one[256];
      snprintf(one, sizeof one, "%s%.*s", shown ? ", " : "", (int)n, p);
      svp_ol_text(L, one);
      shown++;
    } else {
      more++;
    }
    p = end ? end + 2 : p + n;
  }
  if (more)
    svp_ol_append(L, " (+%u more)", more);
}

/* "TLSv1.2 TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" or the numbers. */
static void append_choice(struct svp_lines *L, const struct svp_tls_ep *t)
{
  const char *v = svp_tls_version_name(t->version);
  if (v)
    svp_ol_append(L, "%s", v);
  else
    svp_ol_append(L, "version 0x%04x", t->version);
  if (t->version == SVP_TLS_V_SSL2)
    return;
  const char *c = svp_tls_cipher_name(t->cipher);
  if (c)
    svp_ol_append(L, " %s", c);
  else
    svp_ol_append(L, " cipher 0x%04x", t->cipher);
}

size_t svp_out_tls_summary(const struct svp_endpoint *ep, int verbose, char *buf, size_t n)
{
  const struct svp_tls_ep *t = ep->tls;
  if (n == 0)
    return 0;
  buf[0] = '\0';
  if (!t)
    return 0;
  struct svp_lines L = {.buf = buf, .n = n};
  const char *sep = "";
  if (t->handshakes) {
    append_choice(&L, t);
    sep = ", ";
  }
  if (t->alpn[0]) {
    svp_ol_append(&L, "%sALPN ", sep);
    svp_ol_text(&L, t->alpn);
    sep = ", ";
  }
  if (t->upgrade != SVP_TLS_UP_NONE) {
    svp_ol_append(&L, "%safter %s", sep, svp_tls_upgrade_name(t->upgrade));
    sep = ", ";
  }
  const char *from = svp_tunnel_from_name((enum svp_tunnel_from)ep->res.tunnel_from);
  if (from) {
    svp_ol_append(&L, "%sservice inside from %s", sep, from);
    sep = ", ";
  }
  if (!t->handshakes && t->client_hellos)
    svp_ol_append(&L, "%sclient hello only", sep);
  if (t->n_certs) {
    const struct svp_tls_cert *c = &t->certs[0];
    const struct svp_x509 *x = c->chain[0];
    char a[32], b[32];
    svp_ol_append(&L, "; cert ");
    append_name(&L, x->subject, x->n_subject, false);
    if (x->san)
      append_san_short(&L, x->san);
    if (x->self_signed) {
      svp_ol_append(&L, ", self-signed");
    } else {
      svp_ol_append(&L, ", issuer ");
      append_name(&L, x->issuer, x->n_issuer, false);
    }
    svp_x509_time_str(x->not_before, a);
    svp_x509_time_str(x->not_after, b);
    if (x->validity_ok)
      svp_ol_append(&L, ", valid %.10s to %.10s", a, b);
    if (c->expired)
      svp_ol_append(&L, " (EXPIRED when seen)");
    if (c->not_yet_valid)
      svp_ol_append(&L, " (NOT YET VALID when seen)");
    if (t->n_certs > 1)
      svp_ol_append(&L, "; %u more certificates", t->n_certs - 1);
  } else if (t->cert_encrypted) {
    svp_ol_append(&L, "; certificate encrypted (TLS 1.3)");
  }
  svp_ol_commit(&L);
  if (verbose > 0) {
    if (t->ja3s[0]) {
      svp_ol_append(&L, "JA3S %s; server hellos: %" PRIu64, t->ja3s, t->handshakes);
      svp_ol_commit(&L);
    }
    for (unsigned i = 0; i < t->n_clients; i++) {
      const struct svp_tls_client *c = &t->clients[i];
      svp_ol_append(&L, "client: JA4 %s JA3 %s", c->ja4[0] ? c->ja4 : "-",
                    c->ja3[0] ? c->ja3 : "-");
      if (c->sni[0]) {
        svp_ol_append(&L, " SNI ");
        svp_ol_text(&L, c->sni);
      }
      svp_ol_append(&L, " (%" PRIu64 " flow%s)", c->flows, c->flows == 1 ? "" : "s");
      svp_ol_commit(&L);
    }
  }
  if (L.len && buf[L.len - 1] == '\n')
    buf[--L.len] = '\0';
  return L.len;
}
