/* test_tls.c: the TLS stage (tls.h, x509.h, tlsep.h) at its seams.
 *   - JA3 and JA4 against the published examples of their authors (the
 *     JA3 README's TLS 1.0 hello, the JA4 specification's Chrome hello),
 *     JA4's ALPN rules, GREASE;
 *   - ServerHello: TLS 1.3 through supported_versions, HelloRetryRequest;
 *   - hostile lengths: every prefix and every byte value at every offset of
 *     a real-shaped hello parses without a read outside it (ASan);
 *   - the flow parser on a TLS 1.2 flight whose Certificate message spans
 *     records, fed in segments of every size from 1 byte: the same facts;
 *     a certificate made here with libcrypto comes back field by field;
 *   - plaintext upgrades: SMTP, IMAP, POP3, FTP, PostgreSQL, LDAP, MySQL,
 *     and exchanges that must not count as one. */
#include "svp/tls/tls.h"
#include "svp/tls/tlsep.h"
#include "svp/tls/x509.h"
#include "../../src/tls/tls_int.h"
#include "tap.h"

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- a byte builder --------------------------------------------------- */

struct buf {
  uint8_t b[65536];
  size_t n;
};

static void put8(struct buf *b, unsigned v) { b->b[b->n++] = (uint8_t)v; }
static void put16(struct buf *b, unsigned v) { put8(b, v >> 8); put8(b, v & 0xff); }
static void put24(struct buf *b, unsigned v) { put8(b, v >> 16); put16(b, v & 0xffff); }
static void putn(struct buf *b, const void *p, size_t n) { memcpy(b->b + b->n, p, n); b->n += n; }
/* a 16-bit length placeholder, filled by end16 */
static size_t mark16(struct buf *b) { b->n += 2; return b->n; }
static void end16(struct buf *b, size_t at)
{
  size_t len = b->n - at;
  b->b[at - 2] = (uint8_t)(len >> 8);
  b->b[at - 1] = (uint8_t)len;
}
static size_t mark8(struct buf *b) { b->n += 1; return b->n; }
static void end8(struct buf *b, size_t at) { b->b[at - 1] = (uint8_t)(b->n - at); }

struct hello_spec {
  unsigned version;
  const unsigned *ciphers; size_t nc;
  const unsigned *exts; size_t ne;     /* in order; bodies made by type */
  const unsigned *groups; size_t ng;
  const unsigned *sigalgs; size_t ns;
  const uint8_t *alpn0; size_t alpn0_len;
  const unsigned *versions; size_t nv;
  const char *sni;
};

/* A ClientHello body (after the handshake header) as spec says. */
static void client_hello_body(struct buf *b, const struct hello_spec *s)
{
  put16(b, s->version);
  for (int i = 0; i < 32; i++)
    put8(b, i);
  put8(b, 0); /* session id */
  size_t m = mark16(b);
  for (size_t i = 0; i < s->nc; i++)
    put16(b, s->ciphers[i]);
  end16(b, m);
  put8(b, 1);
  put8(b, 0);
  size_t ex = mark16(b);
  for (size_t i = 0; i < s->ne; i++) {
    unsigned t = s->exts[i];
    put16(b, t);
    size_t d = mark16(b);
    if (t == 0x0000 && s->sni) {
      size_t l = mark16(b);
      put8(b, 0);
      put16(b, (unsigned)strlen(s->sni));
      putn(b, s->sni, strlen(s->sni));
      end16(b, l);
    } else if (t == 0x000a) {
      size_t l = mark16(b);
      for (size_t k = 0; k < s->ng; k++)
        put16(b, s->groups[k]);
      end16(b, l);
    } else if (t == 0x000b) {
      put8(b, 1);
      put8(b, 0);
    } else if (t == 0x000d) {
      size_t l = mark16(b);
      for (size_t k = 0; k < s->ns; k++)
        put16(b, s->sigalgs[k]);
      end16(b, l);
    } else if (t == 0x0010 && s->alpn0) {
      size_t l = mark16(b);
      put8(b, (unsigned)s->alpn0_len);
      putn(b, s->alpn0, s->alpn0_len);
      put8(b, 8);
      putn(b, "http/1.1", 8);
      end16(b, l);
    } else if (t == 0x002b) {
      size_t l = mark8(b);
      for (size_t k = 0; k < s->nv; k++)
        put16(b, s->versions[k]);
      end8(b, l);
    }
    end16(b, d);
  }
  end16(b, ex);
}

/* ---- fingerprints ----------------------------------------------------- */

static void test_ja3_readme(void)
{
  /* JA3 README: 769,47-53-5-10-49161-49162-49171-49172-50-56-19-4,0-10-11,23-24-25,0 */
  static const unsigned c[] = {47, 53, 5, 10, 49161, 49162, 49171, 49172, 50, 56, 19, 4};
  static const unsigned e[] = {0, 10, 11};
  static const unsigned g[] = {23, 24, 25};
  struct hello_spec s = {.version = 769, .ciphers = c, .nc = 12, .exts = e, .ne = 3,
                         .groups = g, .ng = 3, .sni = "example.org"};
  struct buf b = {.n = 0};
  client_hello_body(&b, &s);
  struct svp_tls_client_hello ch;
  struct svp_tls_lists ls;
  CHECK_INT(svp_tls_read_client_hello(b.b, b.n, &ch, &ls), SVP_OK);
  char text[512];
  CHECK(svp_tls_ja3_string(&ch, &ls, text, sizeof text));
  CHECK_STR(text, "769,47-53-5-10-49161-49162-49171-49172-50-56-19-4,0-10-11,23-24-25,0");
  CHECK_INT(svp_tls_parse_client_hello(b.b, b.n, &ch), SVP_OK);
  CHECK_STR(ch.ja3, "ada70206e40642a3e4461f35503241d5");
  CHECK_STR(ch.sni, "example.org");
  CHECK_INT(ch.max_version, 0x0301);
}

static const unsigned ja4_ciphers[] = {0x1a1a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f,
                                       0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014,
                                       0x009c, 0x009d, 0x002f, 0x0035};
static const unsigned ja4_exts[] = {0x2a2a, 0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017,
                                    0x002d, 0x000d, 0x0005, 0x0023, 0x0012, 0x002b, 0xff01,
                                    0x000b, 0x000a, 0x0015};
static const unsigned ja4_sig[] = {0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501,
                                   0x0806, 0x0601};
static const unsigned ja4_vers[] = {0x3a3a, 0x0304, 0x0303};
static const unsigned ja4_groups[] = {0x4a4a, 0x001d, 0x0017};

static void ja4_for(const uint8_t *alpn0, size_t alpn0_len, char out[SVP_TLS_JA4_LEN])
{
  struct hello_spec s = {.version = 0x0303, .ciphers = ja4_ciphers, .nc = 16,
                         .exts = ja4_exts, .ne = 17, .groups = ja4_groups, .ng = 3,
                         .sigalgs = ja4_sig, .ns = 8, .alpn0 = alpn0, .alpn0_len = alpn0_len,
                         .versions = ja4_vers, .nv = 3, .sni = "a.example"};
  struct buf b = {.n = 0};
  client_hello_body(&b, &s);
  struct svp_tls_client_hello ch;
  CHECK_INT(svp_tls_parse_client_hello(b.b, b.n, &ch), SVP_OK);
  memcpy(out, ch.ja4, SVP_TLS_JA4_LEN);
}

static void test_ja4_spec(void)
{
  /* JA4 specification's example: the GREASE values added here must not count */
  char ja4[SVP_TLS_JA4_LEN];
  ja4_for((const uint8_t *)"h2", 2, ja4);
  CHECK_STR(ja4, "t13d1516h2_8daaf6152771_e5627efa2ab1");
  /* ALPN's first and last characters, or hex digits when not alphanumeric */
  ja4_for((const uint8_t *)"http/1.1", 8, ja4);
  CHECK(strncmp(ja4, "t13d1516h1_", 11) == 0);
  ja4_for((const uint8_t *)"\xab", 1, ja4);
  CHECK(strncmp(ja4 + 8, "ab_", 3) == 0);
  ja4_for((const uint8_t *)"\xab\xcd", 2, ja4);
  CHECK(strncmp(ja4 + 8, "ad_", 3) == 0);
  ja4_for((const uint8_t *)"0\xab", 2, ja4);
  CHECK(strncmp(ja4 + 8, "3b_", 3) == 0);
  ja4_for((const uint8_t *)"0\xab\xcd" "1", 4, ja4);
  CHECK(strncmp(ja4 + 8, "01_", 3) == 0);
  ja4_for((const uint8_t *)"q", 1, ja4);
  CHECK(strncmp(ja4 + 8, "qq_", 3) == 0);
  CHECK(svp_tls_grease(0x0a0a) && svp_tls_grease(0xfafa) && !svp_tls_grease(0x0a1a) &&
        !svp_tls_grease(0x1301));
}

/* ---- server hello ------------------------------------------------------ */

static void server_hello_body(struct buf *b, unsigned ver, bool hrr, unsigned sv,
                              const char *alpn)
{
  static const uint8_t hrr_rnd[32] = {
      0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
      0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c};
  put16(b, ver);
  if (hrr) {
    putn(b, hrr_rnd, 32);
  } else {
    for (int i = 0; i < 32; i++)
      put8(b, 0x40 + i);
  }
  put8(b, 0);
  put16(b, sv ? 0x1302 : 0xc02f);
  put8(b, 0);
  size_t ex = mark16(b);
  put16(b, 0xff01);
  put16(b, 1);
  put8(b, 0);
  if (sv) {
    put16(b, 0x002b);
    put16(b, 2);
    put16(b, sv);
  }
  if (alpn) {
    put16(b, 0x0010);
    size_t d = mark16(b);
    size_t l = mark16(b);
    put8(b, (unsigned)strlen(alpn));
    putn(b, alpn, strlen(alpn));
    end16(b, l);
    end16(b, d);
  }
  end16(b, ex);
}

static void test_server_hello(void)
{
  struct buf b = {.n = 0};
  struct svp_tls_server_hello sh;
  server_hello_body(&b, 0x0303, false, 0x0304, NULL);
  CHECK_INT(svp_tls_parse_server_hello(b.b, b.n, &sh), SVP_OK);
  CHECK_INT(sh.version, 0x0304);
  CHECK_INT(sh.cipher, 0x1302);
  CHECK(!sh.hrr);
  CHECK_INT(strlen(sh.ja3s), 32);
  b.n = 0;
  server_hello_body(&b, 0x0303, true, 0x0304, NULL);
  CHECK_INT(svp_tls_parse_server_hello(b.b, b.n, &sh), SVP_OK);
  CHECK(sh.hrr);
  b.n = 0;
  server_hello_body(&b, 0x0303, false, 0, "h2");
  CHECK_INT(svp_tls_parse_server_hello(b.b, b.n, &sh), SVP_OK);
  CHECK_INT(sh.version, 0x0303);
  CHECK_STR(sh.alpn, "h2");
  CHECK_STR(svp_tls_version_name(0x0303), "TLSv1.2");
  CHECK_STR(svp_tls_cipher_name(0xc02f), "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
  CHECK_STR(svp_tls_cipher_name(0x1301), "TLS_AES_128_GCM_SHA256");
  CHECK(svp_tls_cipher_name(0x1234) == NULL);
  CHECK_STR(svp_tls_alpn_service("h2"), "http");
  CHECK_STR(svp_tls_alpn_service("mqtt"), "mqtt");
  CHECK(svp_tls_alpn_service("nonsense") == NULL);
}

/* ---- hostile bytes ----------------------------------------------------- */

static void test_hostile(void)
{
  struct hello_spec s = {.version = 0x0303, .ciphers = ja4_ciphers, .nc = 16,
                         .exts = ja4_exts, .ne = 17, .groups = ja4_groups, .ng = 3,
                         .sigalgs = ja4_sig, .ns = 8, .alpn0 = (const uint8_t *)"h2",
                         .alpn0_len = 2, .versions = ja4_vers, .nv = 3, .sni = "a.example"};
  struct buf b = {.n = 0};
  client_hello_body(&b, &s);
  unsigned trunc = 0, ok = 0;
  struct svp_tls_client_hello ch;
  struct svp_tls_server_hello sh;
  for (size_t n = 0; n < b.n; n++) { /* every prefix: a copy of exactly n bytes */
    uint8_t *p = malloc(n ? n : 1);
    memcpy(p, b.b, n);
    trunc += svp_tls_parse_client_hello(p, n, &ch) == SVP_ERR_TRUNC;
    svp_tls_parse_server_hello(p, n, &sh);
    free(p);
  }
  /* one prefix is a whole hello: the one ending before the extensions */
  CHECK_INT(trunc, b.n - 1);
  uint8_t *p = malloc(b.n);
  for (size_t i = 0; i < b.n; i++) /* every offset, a few hostile values */
    for (unsigned v = 0; v < 256; v += 51) {
      memcpy(p, b.b, b.n);
      p[i] = (uint8_t)v;
      ok += svp_tls_parse_client_hello(p, b.n, &ch) == SVP_OK;
      svp_tls_parse_server_hello(p, b.n, &sh);
      svp_tls_hello_at(p, b.n, 1, NULL);
    }
  free(p);
  CHECK(ok > 0);
}

/* ---- a certificate made here -------------------------------------------- */

static X509 *make_cert(EVP_PKEY **keyp)
{
  EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "prime256v1");
  X509 *x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 0x1234abcd);
  X509_gmtime_adj(X509_getm_notBefore(x), 0);
  X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 30);
  X509_set_pubkey(x, key);
  X509_NAME *nm = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_UTF8, (const unsigned char *)"svp.test", -1, -1, 0);
  X509_NAME_add_entry_by_txt(nm, "O", MBSTRING_UTF8, (const unsigned char *)"S\xc3\xbc" "d Lab", -1, -1, 0);
  X509_set_issuer_name(x, nm);
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
  X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name,
                                            "DNS:svp.test,DNS:www.svp.test,IP:10.0.0.1");
  X509_add_ext(x, ext, -1);
  X509_EXTENSION_free(ext);
  X509_sign(x, key, EVP_sha256());
  *keyp = key;
  return x;
}

/* One TLS 1.2 server flight: ServerHello, Certificate (spanning records
 * of rec_max bytes), ServerHelloDone. */
static void server_flight(struct buf *out, const uint8_t *der, size_t der_len, size_t rec_max)
{
  struct buf hs = {.n = 0};
  put8(&hs, 2);
  size_t at = hs.n;
  put24(&hs, 0);
  server_hello_body(&hs, 0x0303, false, 0, "http/1.1");
  size_t len = hs.n - at - 3;
  hs.b[at] = (uint8_t)(len >> 16); hs.b[at + 1] = (uint8_t)(len >> 8); hs.b[at + 2] = (uint8_t)len;
  put8(&hs, 11);
  put24(&hs, (unsigned)(3 + 3 + der_len + 3 + der_len));
  put24(&hs, (unsigned)(3 + der_len + 3 + der_len));
  for (int k = 0; k < 2; k++) { /* the same certificate twice: a chain of two */
    put24(&hs, (unsigned)der_len);
    putn(&hs, der, der_len);
  }
  put8(&hs, 14);
  put24(&hs, 0);
  out->n = 0;
  for (size_t i = 0; i < hs.n; i += rec_max) {
    size_t n = hs.n - i < rec_max ? hs.n - i : rec_max;
    put8(out, 22);
    put16(out, 0x0303);
    put16(out, (unsigned)n);
    putn(out, hs.b + i, n);
  }
  put8(out, 23); /* then application data */
  put16(out, 0x0303);
  put16(out, 3);
  putn(out, "xyz", 3);
}

static void client_flight(struct buf *out)
{
  struct hello_spec s = {.version = 0x0303, .ciphers = ja4_ciphers, .nc = 16,
                         .exts = ja4_exts, .ne = 17, .groups = ja4_groups, .ng = 3,
                         .sigalgs = ja4_sig, .ns = 8, .alpn0 = (const uint8_t *)"h2",
                         .alpn0_len = 2, .versions = ja4_vers, .nv = 3, .sni = "svp.test"};
  struct buf body = {.n = 0};
  client_hello_body(&body, &s);
  out->n = 0;
  put8(out, 22);
  put16(out, 0x0301);
  put16(out, (unsigned)body.n + 4);
  put8(out, 1);
  put24(out, (unsigned)body.n);
  putn(out, body.b, body.n);
}

/* Feed cli then srv to a parser in steps of `step` bytes. */
static struct svp_tls_flow *run_flow(const struct buf *cli, const struct buf *srv, size_t step,
                                     uint32_t *max_want)
{
  struct svp_tls_flow *t;
  if (svp_tls_flow_new(false, &t) != SVP_OK)
    return NULL;
  struct svp_flow f;
  memset(&f, 0, sizeof f);
  f.l4 = SVP_L4_TCP;
  f.dir[0].gap_at = f.dir[1].gap_at = UINT32_MAX;
  f.dir[SVP_C2S].data = (uint8_t *)cli->b;
  f.dir[SVP_S2C].data = (uint8_t *)srv->b;
  for (size_t n = 0; n < cli->n; n += step) {
    f.dir[SVP_C2S].len = (uint32_t)(n + step < cli->n ? n + step : cli->n);
    svp_tls_flow_feed(t, &f);
  }
  *max_want = 0;
  for (size_t n = 0; n < srv->n && svp_tls_flow_wants_more(t); n += step) {
    f.dir[SVP_S2C].len = (uint32_t)(n + step < srv->n ? n + step : srv->n);
    svp_tls_flow_feed(t, &f);
    uint32_t w = svp_tls_flow_want(t, SVP_S2C);
    if (w > *max_want)
      *max_want = w;
  }
  return t;
}

static void test_flow_and_x509(void)
{
  EVP_PKEY *key;
  X509 *x = make_cert(&key);
  unsigned char *der = NULL;
  int der_len = i2d_X509(x, &der);
  CHECK(der_len > 0);
  unsigned char want_sha[32];
  unsigned wl;
  X509_digest(x, EVP_sha256(), want_sha, &wl);

  struct svp_x509 *c;
  CHECK_INT(svp_x509_decode(der, (size_t)der_len, &c), SVP_OK);
  CHECK_STR(svp_x509_attr_get(c->subject, c->n_subject, "commonName"), "svp.test");
  CHECK_STR(svp_x509_attr_get(c->subject, c->n_subject, "organizationName"), "S\xc3\xbc" "d Lab");
  CHECK_STR(c->san, "DNS:svp.test, DNS:www.svp.test, IP Address:10.0.0.1");
  CHECK_STR(c->key_type, "ec");
  CHECK_INT(c->key_bits, 256);
  CHECK_STR(c->curve, "prime256v1");
  CHECK_STR(c->sig_algo, "ecdsa-with-SHA256");
  CHECK_STR(c->serial, "1234ABCD");
  CHECK(c->self_signed);
  CHECK(c->validity_ok && c->not_after - c->not_before == 86400L * 30);
  CHECK(memcmp(c->sha256, want_sha, 32) == 0);
  char *pem = svp_x509_pem(c);
  CHECK(pem && strncmp(pem, "-----BEGIN CERTIFICATE-----\n", 28) == 0);
  free(pem);
  svp_x509_free(c);
  uint8_t junk[40] = {0x30, 0x82, 0x10, 0x00};
  CHECK_INT(svp_x509_decode(junk, sizeof junk, &c), SVP_ERR_PARSE);

  struct buf *cli = malloc(sizeof *cli), *srv = malloc(sizeof *srv);
  client_flight(cli);
  unsigned same = 0, runs = 0;
  static const size_t rec_sizes[] = {100, 550, 1000, 16384};
  for (size_t r = 0; r < SVP_ARRAY_LEN(rec_sizes); r++) {
    server_flight(srv, der, (size_t)der_len, rec_sizes[r]);
    for (size_t step = 1; step <= srv->n; step = step < 8 ? step + 1 : step * 3) {
      uint32_t want;
      struct svp_tls_flow *t = run_flow(cli, srv, step, &want);
      const struct svp_tls_hs *hs = t ? svp_tls_flow_result(t) : NULL;
      runs++;
      same += hs && hs->complete && !hs->malformed && !hs->cut && hs->ch.seen &&
              hs->sh.seen && hs->sh.version == 0x0303 && hs->sh.cipher == 0xc02f &&
              strcmp(hs->sh.alpn, "http/1.1") == 0 && strcmp(hs->ch.sni, "svp.test") == 0 &&
              strcmp(hs->ch.ja4, "t13d1516h2_8daaf6152771_e5627efa2ab1") == 0 &&
              hs->n_certs == 2 && hs->cert_len[0] == (uint32_t)der_len &&
              memcmp(hs->cert[1], der, (size_t)der_len) == 0 && !svp_tls_flow_wants_more(t) &&
              want >= srv->n;
      if (runs == 1 && hs) { /* the endpoint record of that flow */
        struct svp_tls_ep *ep = NULL;
        struct svp_flow f;
        memset(&f, 0, sizeof f);
        f.dir[SVP_S2C].first.ts_us = (int64_t)time(NULL) * 1000000;
        CHECK_INT(svp_tls_ep_add(&ep, hs, &f), SVP_OK);
        CHECK_INT(svp_tls_ep_add(&ep, hs, &f), SVP_OK);
        CHECK(ep && ep->n_certs == 1 && ep->certs[0].flows == 2 && ep->certs[0].n == 2);
        CHECK(ep && !ep->certs[0].expired && ep->n_clients == 1 && ep->clients[0].flows == 2);
        CHECK(ep && strcmp(ep->certs[0].sni, "svp.test") == 0 && ep->handshakes == 2);
        svp_tls_ep_free(ep);
      }
      svp_tls_flow_free(t);
    }
  }
  CHECK_INT(same, runs);
  tap_note("%u segmentations of the flight gave the same facts", runs);
  free(cli);
  free(srv);
  OPENSSL_free(der);
  X509_free(x);
  EVP_PKEY_free(key);
}

/* ---- upgrades -------------------------------------------------------------- */

struct up_case {
  const char *name;
  const char *cli, *srv;
  size_t cli_len, srv_len;      /* 0: strlen */
  enum svp_tls_upgrade_state want;
  enum svp_tls_upgrade kind;
};

static const uint8_t mysql_greeting[] = {
    0x4a, 0, 0, 0, 10, '8', '.', '0', 0, 1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0,
    0xff, 0xff, /* capabilities: CLIENT_SSL set */ 0x21, 0x02, 0, 0xff, 0xc7, 21, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0,
    'm', 'y', 's', 'q', 'l', '_', 'n', 'a', 't', 'i', 'v', 'e', '_', 'p', 'a', 's', 's',
    'w', 'o', 'r', 'd', 0};
static const uint8_t mysql_sslreq[36] = {32, 0, 0, 1, 0x05, 0xae, 0xff, 0x01};
static const uint8_t ldap_starttls[] = {
    0x30, 0x1d, 0x02, 0x01, 0x01, 0x77, 0x18, 0x80, 0x16, '1', '.', '3', '.', '6', '.',
    '1', '.', '4', '.', '1', '.', '1', '4', '6', '6', '.', '2', '0', '0', '3', '7'};

static void test_upgrades(void)
{
  static const struct up_case cases[] = {
      {"smtp", "EHLO c\r\nSTARTTLS\r\n", "220 mx ESMTP\r\n", 0, 0, SVP_TLS_UPS_YES, SVP_TLS_UP_STARTTLS},
      {"imap", "a1 CAPABILITY\r\na2 starttls\r\n", "* OK ready\r\n", 0, 0, SVP_TLS_UPS_YES, SVP_TLS_UP_STARTTLS},
      {"pop3", "CAPA\r\nSTLS\r\n", "+OK hi\r\n", 0, 0, SVP_TLS_UPS_YES, SVP_TLS_UP_STLS},
      {"ftp", "AUTH TLS\r\n", "220 (vsFTPd 3.0.3)\r\n", 0, 0, SVP_TLS_UPS_YES, SVP_TLS_UP_AUTH_TLS},
      {"smtp not yet", "EHLO c\r\n", "220 mx ESMTP\r\n", 0, 0, SVP_TLS_UPS_PENDING, SVP_TLS_UP_NONE},
      {"smtp no", "EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n", "220 mx\r\n", 0, 0, SVP_TLS_UPS_NO, SVP_TLS_UP_NONE},
      {"http", "GET / HTTP/1.1\r\n", "", 0, 0, SVP_TLS_UPS_NO, SVP_TLS_UP_NONE},
      {"ssh", "SSH-2.0-x\r\n\x00\x00\x01", "SSH-2.0-y\r\n", 14, 0, SVP_TLS_UPS_NO, SVP_TLS_UP_NONE},
      {"tag-like", "a1 LOGIN x STARTTLS\r\n", "* OK\r\n", 0, 0, SVP_TLS_UPS_PENDING, SVP_TLS_UP_NONE},
      {"pg", "\x00\x00\x00\x08\x04\xd2\x16\x2f", "", 8, 0, SVP_TLS_UPS_YES, SVP_TLS_UP_POSTGRES},
      {"pg part", "\x00\x00\x00\x08", "", 4, 0, SVP_TLS_UPS_PENDING, SVP_TLS_UP_NONE},
      {"pg startup", "\x00\x00\x00\x29\x00\x03\x00\x00", "", 8, 0, SVP_TLS_UPS_NO, SVP_TLS_UP_NONE},
      {"ldap", (const char *)ldap_starttls, "", sizeof ldap_starttls, 0, SVP_TLS_UPS_YES, SVP_TLS_UP_LDAP},
      {"ldap part", (const char *)ldap_starttls, "", 10, 0, SVP_TLS_UPS_PENDING, SVP_TLS_UP_NONE},
      {"ldap bind", "\x30\x0c\x02\x01\x01\x60\x07\x02\x01\x03\x04\x00\x80\x00", "", 14, 0, SVP_TLS_UPS_NO, SVP_TLS_UP_NONE},
      {"mysql", (const char *)mysql_sslreq, (const char *)mysql_greeting, sizeof mysql_sslreq,
       sizeof mysql_greeting, SVP_TLS_UPS_YES, SVP_TLS_UP_MYSQL},
      {"mysql wait", "", (const char *)mysql_greeting, 0, sizeof mysql_greeting, SVP_TLS_UPS_PENDING, SVP_TLS_UP_NONE},
  };
  for (size_t i = 0; i < SVP_ARRAY_LEN(cases); i++) {
    const struct up_case *u = &cases[i];
    size_t cl = u->cli_len ? u->cli_len : strlen(u->cli);
    size_t sl = u->srv_len ? u->srv_len : strlen(u->srv);
    enum svp_tls_upgrade kind;
    uint32_t at, from;
    enum svp_tls_upgrade_state st = svp_tls_upgrade_scan((const uint8_t *)u->cli, (uint32_t)cl,
                                                         (const uint8_t *)u->srv, (uint32_t)sl,
                                                         &kind, &at, &from);
    tap_check(st == u->want && kind == u->kind, __FILE__, __LINE__, "%s: state %d kind %d",
              u->name, st, kind);
    if (st == SVP_TLS_UPS_YES)
      tap_check(at == cl, __FILE__, __LINE__, "%s: TLS after the request (%u)", u->name, at);
  }
}

int main(void)
{
  test_ja3_readme();
  test_ja4_spec();
  test_server_hello();
  test_hostile();
  test_flow_and_x509();
  test_upgrades();
  return tap_done();
}
