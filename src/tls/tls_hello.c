/* tls_hello.c: ClientHello and ServerHello message bodies (RFC 5246 7.4.1,
 * RFC 8446 4.1), read through a bounded cursor, and the fingerprints made
 * from them (tls_fp.h). */
#include "svp/base/cursor.h"
#include "svp/tls/tls.h"
#include "tls_int.h"

#include <string.h>

/* RFC 8446 4.1.3: a ServerHello with this random is a HelloRetryRequest. */
static const uint8_t hrr_random[32] = {
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c};

bool svp_tls_grease(uint16_t v)
{
  return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

static void list_add(struct svp_tls_list *l, uint16_t v)
{
  if (l->n < SVP_TLS_LIST_MAX)
    l->v[l->n++] = v;
  else
    l->cut = true;
}

/* Printable copy of untrusted name bytes: anything outside 0x21..0x7e
 * becomes '?', so the text is safe in every output format. */
static void copy_name(char *dst, size_t dsz, const uint8_t *src, size_t n)
{
  if (n >= dsz)
    n = dsz - 1;
  for (size_t i = 0; i < n; i++)
    dst[i] = src[i] > 0x20 && src[i] < 0x7f ? (char)src[i] : '?';
  dst[n] = '\0';
}

/* Append one ALPN protocol id to a comma-separated list (cut to fit). */
static void alpn_append(char *dst, size_t dsz, const uint8_t *id, size_t n)
{
  size_t at = strlen(dst);
  if (at && at + 1 < dsz)
    dst[at++] = ',';
  if (at + 1 < dsz)
    copy_name(dst + at, dsz - at, id, n);
}

static void ext_server_name(struct svp_cur *c, struct svp_tls_client_hello *out)
{
  struct svp_cur l = svp_cur_sub(c, svp_cur_be16(c));
  while (svp_cur_left(&l) >= 3 && !l.bad) {
    uint8_t type = svp_cur_u8(&l);
    uint16_t n = svp_cur_be16(&l);
    const uint8_t *name = svp_cur_take(&l, n);
    if (name && type == 0 && !out->sni[0]) {
      copy_name(out->sni, sizeof out->sni, name, n);
      return;
    }
  }
}

/* ALPN list (RFC 7301): into text, and the first id's bytes for JA4. */
static void ext_alpn(struct svp_cur *c, char *dst, size_t dsz, struct svp_tls_lists *ls)
{
  struct svp_cur l = svp_cur_sub(c, svp_cur_be16(c));
  while (svp_cur_left(&l) >= 1 && !l.bad) {
    uint8_t n = svp_cur_u8(&l);
    const uint8_t *id = svp_cur_take(&l, n);
    if (!id)
      break;
    if (ls && ls->alpn0_len == 0 && n > 0) {
      ls->alpn0_first = id[0];
      ls->alpn0_last = id[n - 1];
      ls->alpn0_len = n;
    }
    alpn_append(dst, dsz, id, n);
  }
}

static void u16_list(struct svp_cur *c, size_t n, struct svp_tls_list *l, bool grease)
{
  struct svp_cur s = svp_cur_sub(c, n);
  while (svp_cur_left(&s) >= 2) {
    uint16_t v = svp_cur_be16(&s);
    if (!grease || !svp_tls_grease(v))
      list_add(l, v);
  }
}

int svp_tls_read_client_hello(const uint8_t *body, size_t len,
                              struct svp_tls_client_hello *out, struct svp_tls_lists *ls)
{
  memset(out, 0, sizeof *out);
  memset(ls, 0, sizeof *ls);
  struct svp_cur c = svp_cur_make(body, len);
  out->version = svp_cur_be16(&c);
  svp_cur_skip(&c, 32);                   /* random */
  svp_cur_skip(&c, svp_cur_u8(&c));       /* session id */
  uint16_t cs_len = svp_cur_be16(&c);
  if (cs_len % 2)
    return SVP_ERR_TRUNC;
  u16_list(&c, cs_len, &ls->ciphers, true);
  svp_cur_skip(&c, svp_cur_u8(&c));       /* compression methods */
  if (c.bad)
    return SVP_ERR_TRUNC;
  out->seen = true;
  out->max_version = out->version;
  out->n_ciphers = (uint16_t)ls->ciphers.n;
  if (svp_cur_left(&c) == 0)
    return SVP_OK;                        /* no extensions (SSLv3 era) */
  struct svp_cur ex = svp_cur_sub(&c, svp_cur_be16(&c));
  uint16_t best = 0;
  while (svp_cur_left(&ex) >= 4 && !ex.bad) {
    uint16_t type = svp_cur_be16(&ex);
    struct svp_cur d = svp_cur_sub(&ex, svp_cur_be16(&ex));
    if (ex.bad)
      break;
    if (svp_tls_grease(type))
      continue;
    list_add(&ls->ext, type);
    switch (type) {
    case 0x0000: ext_server_name(&d, out); ls->has_sni = true; break;
    case 0x0010: ext_alpn(&d, out->alpn, sizeof out->alpn, ls); break;
    case 0x000a: u16_list(&d, svp_cur_be16(&d), &ls->groups, true); break;
    case 0x000d: u16_list(&d, svp_cur_be16(&d), &ls->sigalgs, true); break;
    case 0x000b: {
      uint8_t n = svp_cur_u8(&d);
      for (uint8_t i = 0; i < n && svp_cur_left(&d); i++)
        list_add(&ls->formats, svp_cur_u8(&d));
      break;
    }
    case 0x002b: {
      struct svp_cur v = svp_cur_sub(&d, svp_cur_u8(&d));
      while (svp_cur_left(&v) >= 2) {
        uint16_t ver = svp_cur_be16(&v);
        if (!svp_tls_grease(ver) && ver > best)
          best = ver;
      }
      break;
    }
    default: break;
    }
  }
  out->n_ext = (uint16_t)ls->ext.n;
  if (best)
    out->max_version = best;
  if (ex.bad || c.bad)
    return SVP_ERR_TRUNC;
  return SVP_OK;
}

int svp_tls_read_server_hello(const uint8_t *body, size_t len,
                              struct svp_tls_server_hello *out, struct svp_tls_lists *ls)
{
  memset(out, 0, sizeof *out);
  memset(ls, 0, sizeof *ls);
  struct svp_cur c = svp_cur_make(body, len);
  out->version = svp_cur_be16(&c);
  const uint8_t *rnd = svp_cur_take(&c, 32);
  svp_cur_skip(&c, svp_cur_u8(&c));       /* session id */
  out->cipher = svp_cur_be16(&c);
  svp_cur_skip(&c, 1);                    /* compression method */
  if (c.bad)
    return SVP_ERR_TRUNC;
  out->seen = true;
  out->hrr = memcmp(rnd, hrr_random, sizeof hrr_random) == 0;
  ls->legacy_version = out->version;
  if (svp_cur_left(&c) == 0)
    return SVP_OK;
  struct svp_cur ex = svp_cur_sub(&c, svp_cur_be16(&c));
  while (svp_cur_left(&ex) >= 4 && !ex.bad) {
    uint16_t type = svp_cur_be16(&ex);
    struct svp_cur d = svp_cur_sub(&ex, svp_cur_be16(&ex));
    if (ex.bad)
      break;
    list_add(&ls->ext, type);
    if (type == 0x002b && svp_cur_left(&d) >= 2)
      out->version = svp_cur_be16(&d);
    else if (type == 0x0010)
      ext_alpn(&d, out->alpn, sizeof out->alpn, NULL);
  }
  return ex.bad || c.bad ? SVP_ERR_TRUNC : SVP_OK;
}

int svp_tls_parse_client_hello(const uint8_t *body, size_t len,
                               struct svp_tls_client_hello *out)
{
  struct svp_tls_lists ls;
  int rc = svp_tls_read_client_hello(body, len, out, &ls);
  if (out->seen)
    svp_tls_fp_client(out, &ls);
  return rc;
}

int svp_tls_parse_server_hello(const uint8_t *body, size_t len,
                               struct svp_tls_server_hello *out)
{
  struct svp_tls_lists ls;
  int rc = svp_tls_read_server_hello(body, len, out, &ls);
  if (out->seen)
    svp_tls_fp_server(out, &ls);
  return rc;
}

/* SSLv2 CLIENT-HELLO (after the record header): msg type 1, version,
 * cipher-specs, session id and challenge lengths, then the data. */
int svp_tls_read_sslv2_client_hello(const uint8_t *p, size_t len,
                                    struct svp_tls_client_hello *out)
{
  memset(out, 0, sizeof *out);
  struct svp_cur c = svp_cur_make(p, len);
  if (svp_cur_u8(&c) != 1)
    return SVP_ERR_TRUNC;
  out->version = svp_cur_be16(&c);
  uint16_t specs = svp_cur_be16(&c), sid = svp_cur_be16(&c), chal = svp_cur_be16(&c);
  if (c.bad || specs % 3 || !svp_cur_has(&c, (size_t)specs + sid + chal))
    return SVP_ERR_TRUNC;
  out->seen = true;
  out->sslv2 = true;
  out->max_version = out->version;
  out->n_ciphers = specs / 3;
  return SVP_OK;
}

/* SSLv2 SERVER-HELLO: msg type 4, session-id-hit, certificate type,
 * version, certificate, cipher-specs and connection-id lengths, then the
 * certificate (X.509 DER). On success *cert and *cert_len give the certificate's place in p. */
int svp_tls_read_sslv2_server_hello(const uint8_t *p, size_t len,
                                    struct svp_tls_server_hello *out,
                                    const uint8_t **cert, uint32_t *cert_len)
{
  memset(out, 0, sizeof *out);
  struct svp_cur c = svp_cur_make(p, len);
  if (svp_cur_u8(&c) != 4)
    return SVP_ERR_TRUNC;
  svp_cur_skip(&c, 1);                    /* session id hit */
  uint8_t cert_type = svp_cur_u8(&c);
  out->version = svp_cur_be16(&c);
  uint16_t clen = svp_cur_be16(&c), specs = svp_cur_be16(&c), cid = svp_cur_be16(&c);
  const uint8_t *der = svp_cur_take(&c, clen);
  if (c.bad || !svp_cur_has(&c, (size_t)specs + cid))
    return SVP_ERR_TRUNC;
  out->seen = true;
  out->sslv2 = true;
  out->version = SVP_TLS_V_SSL2;
  *cert = cert_type == 1 && clen ? der : NULL; /* 1: SSL_CT_X509_CERTIFICATE */
  *cert_len = *cert ? clen : 0;
  return SVP_OK;
}
