/* x509.h: a server certificate, decoded with OpenSSL's libcrypto (never
 * by hand): the fields nmap's ssl-cert script reports, plus serial, SANs,
 * SHA-256 and whether the certificate signs itself.
 *
 * Names keep nmap's keys: an attribute's OpenSSL long name
 * ("commonName", "organizationName", ...) or, for an OID OpenSSL does not
 * name, its dotted form. Values are UTF-8 (libcrypto converts BMP and
 * other string types); control characters are replaced by '?' (the
 * printed extension values of svp_x509_extensions keep their line breaks),
 * so every string here is safe to print once the output format's own
 * escaping is applied.
 *
 * A struct svp_x509 owns all it points to (including a copy of the DER);
 * svp_x509_free releases it. Nothing here keeps global state of its own
 * (libcrypto's own initialisation is implicit and process-wide). */
#ifndef SVP_X509_H
#define SVP_X509_H

#include "svp/base/common.h"

struct svp_x509_attr {
  char *key;     /* "commonName", "1.3.6.1.4.1.311.60.2.1.3", ... */
  char *value;   /* UTF-8 */
};

struct svp_x509 {
  uint8_t *der;                    /* the certificate as sent (owned) */
  uint32_t der_len;
  struct svp_x509_attr *subject;   /* in the certificate's order */
  unsigned n_subject;
  struct svp_x509_attr *issuer;
  unsigned n_issuer;
  char *san;                       /* subjectAltName as OpenSSL prints it
                                      ("DNS:a.example, IP Address:10.0.0.1"),
                                      NULL if absent */
  char *serial;                    /* hex, upper case, as `openssl x509 -serial` */
  char key_type[16];               /* "rsa", "ec", "dsa", "dh", "ed25519", ... */
  unsigned key_bits;
  char curve[32];                  /* EC keys: group name ("prime256v1"), else "" */
  char sig_algo[64];               /* "sha256WithRSAEncryption", ... */
  int64_t not_before, not_after;   /* seconds since the epoch, UTC */
  bool validity_ok;                /* both times could be read */
  uint8_t sha256[32], sha1[20], md5[16]; /* digests of the DER as sent */
  bool self_signed;                /* issuer == subject and its own key verifies it */
};

/* Decode one DER certificate (copied). Returns SVP_OK, SVP_ERR_PARSE (not
 * a certificate libcrypto accepts) or SVP_ERR_NOMEM. */
int svp_x509_decode(const uint8_t *der, size_t len, struct svp_x509 **out);
void svp_x509_free(struct svp_x509 *c);

/* The value of the first attribute with this key, or NULL. */
const char *svp_x509_attr_get(const struct svp_x509_attr *a, unsigned n, const char *key);

/* Call cb for every extension in order: its name (OpenSSL long name, e.g.
 * "X509v3 Subject Alternative Name", or the dotted OID), its value as
 * OpenSSL prints it, and whether it is critical. Strings are borrowed for
 * the call. Returns SVP_OK, SVP_ERR_PARSE or SVP_ERR_NOMEM. */
int svp_x509_extensions(const struct svp_x509 *c,
                        void (*cb)(void *ud, const char *name, const char *value,
                                   bool critical),
                        void *ud);

/* The certificate in PEM ("-----BEGIN CERTIFICATE-----\n...") in a
 * malloc'd string the caller frees; NULL if out of memory. */
char *svp_x509_pem(const struct svp_x509 *c);

/* "2024-01-31T23:59:59" (nmap's format) for epoch seconds, UTC. */
void svp_x509_time_str(int64_t t, char buf[32]);

/* Lower-case hex of n bytes into out (2n+1 bytes). */
void svp_x509_hex(const uint8_t *b, size_t n, char *out);

#endif
