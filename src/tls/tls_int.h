/* tls_int.h: private to src/tls/: the raw lists a hello carries (what
 * the fingerprints are made of) and the message readers the flow parser
 * uses. */
#ifndef SVP_TLS_INT_H
#define SVP_TLS_INT_H

#include "svp/tls/tls.h"

/* Values of one list kept for fingerprints; longer lists set cut (and the
 * fingerprints that need the list are then left empty). */
#define SVP_TLS_LIST_MAX 512

struct svp_tls_list {
  uint16_t v[SVP_TLS_LIST_MAX];
  unsigned n;
  bool cut;
};

struct svp_tls_lists {
  struct svp_tls_list ciphers;   /* client: offered, GREASE removed */
  struct svp_tls_list ext;       /* extension types in order (client: no GREASE) */
  struct svp_tls_list groups;    /* client: supported_groups, no GREASE */
  struct svp_tls_list formats;   /* client: ec_point_formats */
  struct svp_tls_list sigalgs;   /* client: signature_algorithms, no GREASE */
  bool has_sni;
  uint8_t alpn0_first, alpn0_last; /* first ALPN id's first and last byte */
  unsigned alpn0_len;            /* its length, 0 if none */
  uint16_t legacy_version;       /* server: the hello's version field */
};

/* RFC 8701 GREASE value (0x0a0a, 0x1a1a, ... 0xfafa). */
bool svp_tls_grease(uint16_t v);

/* Message readers (tls_hello.c). The hello readers fill *ls with the raw
 * lists; they return SVP_OK or SVP_ERR_TRUNC. */
int svp_tls_read_client_hello(const uint8_t *body, size_t len,
                              struct svp_tls_client_hello *out, struct svp_tls_lists *ls);
int svp_tls_read_server_hello(const uint8_t *body, size_t len,
                              struct svp_tls_server_hello *out, struct svp_tls_lists *ls);
int svp_tls_read_sslv2_client_hello(const uint8_t *p, size_t len,
                                    struct svp_tls_client_hello *out);
int svp_tls_read_sslv2_server_hello(const uint8_t *p, size_t len,
                                    struct svp_tls_server_hello *out,
                                    const uint8_t **cert, uint32_t *cert_len);

/* Fingerprints (tls_fp.c): JA3 and JA4 into ch, JA3S into sh. */
void svp_tls_fp_client(struct svp_tls_client_hello *ch, const struct svp_tls_lists *ls);
void svp_tls_fp_server(struct svp_tls_server_hello *sh, const struct svp_tls_lists *ls);

/* The text the fingerprints hash, for tests: JA3 ("771,4865-...,0-23,...")
 * and JA4's raw sorted form (JA4_r). Write at most n-1 bytes, NUL
 * terminated; return false if it did not fit. */
bool svp_tls_ja3_string(const struct svp_tls_client_hello *ch, const struct svp_tls_lists *ls,
                        char *out, size_t n);
bool svp_tls_ja4_raw(const struct svp_tls_client_hello *ch, const struct svp_tls_lists *ls,
                     char *out, size_t n);

/* Plaintext upgrades (tls_upgrade.c). */
enum svp_tls_upgrade_state {
  SVP_TLS_UPS_NO = 0,    /* this exchange will not upgrade */
  SVP_TLS_UPS_PENDING,   /* could still upgrade: look again with more bytes */
  SVP_TLS_UPS_YES,       /* the client asked for TLS */
};
/* Look at a flow's plaintext start: cli/srv are each direction's valid
 * bytes. On YES, *kind names the upgrade, *cli_at is where the client's
 * TLS should begin (just after its request) and *srv_from where to start
 * looking for the server's (its bytes before the request's answer). */
enum svp_tls_upgrade_state svp_tls_upgrade_scan(const uint8_t *cli, uint32_t cli_len,
                                                const uint8_t *srv, uint32_t srv_len,
                                                enum svp_tls_upgrade *kind,
                                                uint32_t *cli_at, uint32_t *srv_from);

#endif
