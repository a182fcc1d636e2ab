/* x509.c: certificates through libcrypto (see x509.h). */
#include "svp/tls/x509.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Control characters become '?' (line breaks too unless keep_nl). */
static void scrub(char *s, bool keep_nl)
{
  for (unsigned char *p = (unsigned char *)s; *p; p++)
    if ((*p < 0x20 && !(keep_nl && *p == '\n')) || *p == 0x7f)
      *p = '?';
}

/* The contents of a memory BIO as a NUL-terminated string; clean: control
 * characters replaced, line breaks kept (multi-line extension values). */
static char *bio_string(BIO *b, bool clean)
{
  char *data;
  long n = BIO_get_mem_data(b, &data);
  char *s = malloc((size_t)(n > 0 ? n : 0) + 1);
  if (!s)
    return NULL;
  if (n > 0)
    memcpy(s, data, (size_t)n);
  s[n > 0 ? n : 0] = '\0';
  if (clean)
    scrub(s, true);
  return s;
}

/* nmap's key for an attribute: the long name, or the dotted OID. */
static char *obj_key(const ASN1_OBJECT *obj)
{
  int nid = OBJ_obj2nid(obj);
  const char *ln = nid != NID_undef ? OBJ_nid2ln(nid) : NULL;
  if (ln)
    return strdup(ln);
  char buf[128];
  if (OBJ_obj2txt(buf, sizeof buf, obj, 1) <= 0)
    snprintf(buf, sizeof buf, "?");
  return strdup(buf);
}

static int read_name(const X509_NAME *nm, struct svp_x509_attr **out, unsigned *n)
{
  int cnt = X509_NAME_entry_count(nm);
  *out = NULL;
  *n = 0;
  if (cnt <= 0)
    return SVP_OK;
  struct svp_x509_attr *a = calloc((size_t)cnt, sizeof *a);
  if (!a)
    return SVP_ERR_NOMEM;
  *out = a;
  for (int i = 0; i < cnt; i++) {
    const X509_NAME_ENTRY *e = X509_NAME_get_entry(nm, i);
    unsigned char *utf8 = NULL;
    int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e));
    a[*n].key = obj_key(X509_NAME_ENTRY_get_object(e));
    a[*n].value = malloc(len > 0 ? (size_t)len + 1 : 1);
    if (!a[*n].key || !a[*n].value) {
      free(a[*n].key);
      free(a[*n].value);
      OPENSSL_free(utf8);
      return SVP_ERR_NOMEM;
    }
    if (len > 0)
      memcpy(a[*n].value, utf8, (size_t)len);
    a[*n].value[len > 0 ? len : 0] = '\0';
    /* an embedded NUL ends the value early; the rest is not shown */
    scrub(a[*n].value, false);
    OPENSSL_free(utf8);
    (*n)++;
  }
  return SVP_OK;
}

static void free_name(struct svp_x509_attr *a, unsigned n)
{
  for (unsigned i = 0; i < n; i++) {
    free(a[i].key);
    free(a[i].value);
  }
  free(a);
}

static bool asn1_epoch(const ASN1_TIME *t, int64_t *out)
{
  struct tm tm;
  if (!t || !ASN1_TIME_to_tm(t, &tm))
    return false;
  *out = (int64_t)timegm(&tm);
  return true;
}

/* The printed value of one extension (X509V3_EXT_print, else the raw
 * octets as OpenSSL dumps them). */
static char *ext_value(X509_EXTENSION *ext)
{
  BIO *b = BIO_new(BIO_s_mem());
  if (!b)
    return NULL;
  if (X509V3_EXT_print(b, ext, 0, 0) <= 0) {
    (void)BIO_reset(b);
    ASN1_STRING_print(b, X509_EXTENSION_get_data(ext));
  }
  char *s = bio_string(b, true);
  BIO_free(b);
  return s;
}

static void read_key(X509 *x, struct svp_x509 *c)
{
  EVP_PKEY *pk = X509_get0_pubkey(x);
  snprintf(c->key_type, sizeof c->key_type, "unknown");
  if (!pk)
    return;
  static const struct { int id; const char *name; } types[] = {
      {EVP_PKEY_RSA, "rsa"}, {EVP_PKEY_RSA_PSS, "rsa-pss"}, {EVP_PKEY_DSA, "dsa"},
      {EVP_PKEY_DH, "dh"},   {EVP_PKEY_DHX, "dh"},          {EVP_PKEY_EC, "ec"},
      {EVP_PKEY_ED25519, "ed25519"}, {EVP_PKEY_ED448, "ed448"}};
  int id = EVP_PKEY_get_base_id(pk);
  for (size_t i = 0; i < SVP_ARRAY_LEN(types); i++)
    if (types[i].id == id)
      snprintf(c->key_type, sizeof c->key_type, "%s", types[i].name);
  int bits = EVP_PKEY_get_bits(pk);
  c->key_bits = bits > 0 ? (unsigned)bits : 0;
  if (id == EVP_PKEY_EC &&
      !EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, c->curve,
                                      sizeof c->curve, NULL))
    c->curve[0] = '\0';
}

static int fill(X509 *x, struct svp_x509 *c)
{
  int rc;
  if ((rc = read_name(X509_get_subject_name(x), &c->subject, &c->n_subject)) != SVP_OK ||
      (rc = read_name(X509_get_issuer_name(x), &c->issuer, &c->n_issuer)) != SVP_OK)
    return rc;
  int idx = X509_get_ext_by_NID(x, NID_subject_alt_name, -1);
  if (idx >= 0 && !(c->san = ext_value(X509_get_ext(x, idx))))
    return SVP_ERR_NOMEM;
  BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
  char *hx = bn ? BN_bn2hex(bn) : NULL;
  c->serial = strdup(hx ? hx : "");
  OPENSSL_free(hx);
  BN_free(bn);
  if (!c->serial)
    return SVP_ERR_NOMEM;
  read_key(x, c);
  int sig = X509_get_signature_nid(x);
  const char *ln = sig != NID_undef ? OBJ_nid2ln(sig) : NULL;
  snprintf(c->sig_algo, sizeof c->sig_algo, "%s", ln ? ln : "unknown");
  c->validity_ok = asn1_epoch(X509_get0_notBefore(x), &c->not_before) &&
                   asn1_epoch(X509_get0_notAfter(x), &c->not_after);
  /* digests of the bytes as sent (X509_digest would hash libcrypto's
   * re-encoding, which differs for a certificate that is not strict DER) */
  if (!EVP_Digest(c->der, c->der_len, c->sha256, NULL, EVP_sha256(), NULL) ||
      !EVP_Digest(c->der, c->der_len, c->sha1, NULL, EVP_sha1(), NULL) ||
      !EVP_Digest(c->der, c->der_len, c->md5, NULL, EVP_md5(), NULL))
    return SVP_ERR_NOMEM;
  c->self_signed = X509_self_signed(x, 1) == 1;
  return SVP_OK;
}

int svp_x509_decode(const uint8_t *der, size_t len, struct svp_x509 **out)
{
  *out = NULL;
  if (len == 0 || len > INT32_MAX)
    return SVP_ERR_PARSE;
  const unsigned char *p = der;
  X509 *x = d2i_X509(NULL, &p, (long)len);
  if (!x)
    return SVP_ERR_PARSE;
  struct svp_x509 *c = calloc(1, sizeof *c);
  int rc = SVP_ERR_NOMEM;
  if (c && (c->der = malloc(len))) {
    memcpy(c->der, der, len);
    c->der_len = (uint32_t)len;
    rc = fill(x, c);
  }
  X509_free(x);
  if (rc != SVP_OK) {
    svp_x509_free(c);
    return rc;
  }
  *out = c;
  return SVP_OK;
}

void svp_x509_free(struct svp_x509 *c)
{
  if (!c)
    return;
  free(c->der);
  free_name(c->subject, c->n_subject);
  free_name(c->issuer, c->n_issuer);
  free(c->san);
  free(c->serial);
  free(c);
}

const char *svp_x509_attr_get(const struct svp_x509_attr *a, unsigned n, const char *key)
{
  for (unsigned i = 0; i < n; i++)
    if (strcmp(a[i].key, key) == 0)
      return a[i].value;
  return NULL;
}

int svp_x509_extensions(const struct svp_x509 *c,
                        void (*cb)(void *ud, const char *name, const char *value,
                                   bool critical),
                        void *ud)
{
  const unsigned char *p = c->der;
  X509 *x = d2i_X509(NULL, &p, (long)c->der_len);
  if (!x)
    return SVP_ERR_PARSE;
  int rc = SVP_OK;
  for (int i = 0; i < X509_get_ext_count(x) && rc == SVP_OK; i++) {
    X509_EXTENSION *ext = X509_get_ext(x, i);
    char *name = obj_key(X509_EXTENSION_get_object(ext));
    char *value = ext_value(ext);
    if (name && value)
      cb(ud, name, value, X509_EXTENSION_get_critical(ext) > 0);
    else
      rc = SVP_ERR_NOMEM;
    free(name);
    free(value);
  }
  X509_free(x);
  return rc;
}

char *svp_x509_pem(const struct svp_x509 *c)
{
  const unsigned char *p = c->der;
  X509 *x = d2i_X509(NULL, &p, (long)c->der_len);
  BIO *b = BIO_new(BIO_s_mem());
  char *s = NULL;
  if (x && b && PEM_write_bio_X509(b, x))
    s = bio_string(b, false); /* base64 lines of our own making */
  BIO_free(b);
  X509_free(x);
  return s;
}

void svp_x509_time_str(int64_t t, char buf[32])
{
  time_t tt = (time_t)t;
  struct tm tm;
  if (!gmtime_r(&tt, &tm)) {
    snprintf(buf, 32, "?");
    return;
  }
  strftime(buf, 32, "%Y-%m-%dT%H:%M:%S", &tm);
}

void svp_x509_hex(const uint8_t *b, size_t n, char *out)
{
  static const char d[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = d[b[i] >> 4];
    out[2 * i + 1] = d[b[i] & 15];
  }
  out[2 * n] = '\0';
}
