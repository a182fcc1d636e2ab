/* tls.h: what a TLS handshake says in clear, read passively from both
 * directions of a reassembled TCP flow, without decrypting anything.
 *
 * What is read. The client's hello (SNI, ALPN offered, versions offered,
 * cipher suites, extensions: enough for the JA3 and JA4 fingerprints), the
 * server's hello (chosen version, including TLS 1.3 through the
 * supported_versions extension, cipher, ALPN, extensions: JA3S), a
 * HelloRetryRequest (then the second ClientHello and the real ServerHello
 * that follow it), and the server's Certificate message as long as it
 * travels in clear (TLS 1.2 and older; TLS 1.3 encrypts it, which is
 * reported as such). SSLv2 hellos and SSLv2-compatible ClientHellos (the
 * two-byte header with the top bit set) are recognised; an SSLv2
 * ServerHello carries the server certificate too.
 *
 * Where the TLS starts in a stream (per direction):
 *   - at offset 0: a TLS record header (a handshake record for a flow
 *     seen from its start; any record type for a flow joined
 *     mid-conversation whose first captured segment starts a record), or an
 *     SSLv2 hello;
 *   - after a plaintext upgrade (STARTTLS): the client's bytes hold a
 *     request to start TLS (SMTP/IMAP/NNTP/Sieve "STARTTLS", POP3 "STLS",
 *     FTP "AUTH TLS"/"AUTH SSL", the LDAP StartTLS extended operation,
 *     PostgreSQL's SSLRequest, MySQL's SSL request packet); the client's
 *     hello follows that request, the server's hello follows its answer to
 *     it. The identification made from the plaintext part (a banner) is
 *     left to the identification layer; this module only reports which
 *     upgrade it saw (svp_tls_upgrade_name).
 * While a flow may still upgrade (the server spoke a text greeting first
 * and the client has sent at most SVP_TLS_UPGRADE_LINES lines and
 * SVP_TLS_UPGRADE_BYTES bytes, none of them an upgrade; or a MySQL
 * greeting offered SSL and the client's first packet is not complete) the
 * flow counts as pending (svp_tls_flow_wants_more).
 *
 * Both directions are parsed record by record; handshake messages are
 * gathered across records (a Certificate message usually spans several)
 * and parsed once complete. Every read goes through a bounded cursor
 * (cursor.h); a length that does not fit ends the parse of that direction
 * as malformed, never a read outside the bytes. A direction is finished
 * when its part of the handshake is over: the client after its
 * ClientHello (the second one after a HelloRetryRequest), the server
 * after ServerHelloDone (TLS <= 1.2), after ServerHello (TLS 1.3: the rest
 * is encrypted), at ChangeCipherSpec (an abbreviated, resumed handshake),
 * at application data or an alert, or at the bound below.
 *
 * Bounds. The flow table keeps the first srv_bytes/cli_bytes of each
 * direction (4096/2048) and this module parses the TLS region within
 * them in place. While a handshake is incomplete, svp_tls_flow_want()
 * asks the flow table to keep more of that direction (flow.h,
 * svp_flow.keep), up to SVP_TLS_REGION_MAX bytes of TLS after its start
 * (64 KiB: a TLS 1.2 server flight with a long certificate chain is
 * usually 3 to 12 KiB). A handshake longer than that is reported as cut
 * (svp_tls_hs.cut) with what was read before the bound. At most
 * SVP_TLS_CHAIN_MAX certificates of a chain are kept.
 *
 * Ownership. A struct svp_tls_flow belongs to the caller (one per flow,
 * from svp_tls_flow_new to svp_tls_flow_free). It never keeps a pointer
 * into the bytes it is fed: what it needs (handshake message fragments,
 * certificate DER) is copied into memory it owns. svp_tls_flow_result()
 * returns a view into that state, valid until the next feed or free.
 * Nothing here prints or allocates outside the flow state; no globals.
 *
 * Per endpoint, the facts of many flows are merged by tlsep.h; X.509
 * decoding (libcrypto) is in x509.h. Stateless checks for other modules
 * (a structural "this is a TLS ServerHello" test) are at the end. */
#ifndef SVP_TLS_H
#define SVP_TLS_H

#include "svp/base/common.h"
#include "svp/reasm/flow.h"

#define SVP_TLS_REGION_MAX 65536u  /* TLS bytes per direction parsed at most */
#define SVP_TLS_CHAIN_MAX 8        /* certificates of a chain kept */
#define SVP_TLS_UPGRADE_LINES 3    /* client lines before a STARTTLS that still count */
#define SVP_TLS_UPGRADE_BYTES 512  /* ... and client bytes */
#define SVP_TLS_NAME_MAX 256       /* SNI host name + NUL (RFC 6066: at most 255) */
#define SVP_TLS_ALPN_MAX 128       /* ALPN list as text, comma separated, + NUL */
#define SVP_TLS_PROTO_MAX 64       /* one ALPN protocol id + NUL (ids are 1..255
                                      bytes; longer ones are cut) */
#define SVP_TLS_JA3_LEN 33         /* md5 hex + NUL */
#define SVP_TLS_JA4_LEN 37         /* "t13d1516h2_8daaf6152771_e5627efa2ab1" + NUL */

/* Version numbers as on the wire; SVP_TLS_V_SSL2 for SSLv2 hellos. */
enum {
  SVP_TLS_V_SSL2 = 0x0002,
  SVP_TLS_V_SSL3 = 0x0300,
  SVP_TLS_V_10 = 0x0301,
  SVP_TLS_V_11 = 0x0302,
  SVP_TLS_V_12 = 0x0303,
  SVP_TLS_V_13 = 0x0304,
};

/* "SSLv2", "SSLv3", "TLSv1.0" ... "TLSv1.3", "TLSv1.3-draft-N", or NULL
 * for a number that is none of these. */
const char *svp_tls_version_name(uint16_t v);

/* IANA name of a cipher suite ("TLS_AES_128_GCM_SHA256"), or NULL when
 * the built-in table (the suites in use since SSLv3) does not know it. */
const char *svp_tls_cipher_name(uint16_t id);

/* How a plaintext protocol was upgraded to TLS. */
enum svp_tls_upgrade {
  SVP_TLS_UP_NONE = 0,   /* TLS from the first byte */
  SVP_TLS_UP_STARTTLS,   /* "STARTTLS" line (SMTP, IMAP, NNTP, Sieve, ...) */
  SVP_TLS_UP_STLS,       /* POP3 "STLS" */
  SVP_TLS_UP_AUTH_TLS,   /* FTP "AUTH TLS" / "AUTH SSL" */
  SVP_TLS_UP_LDAP,       /* LDAP StartTLS extended operation */
  SVP_TLS_UP_POSTGRES,   /* PostgreSQL SSLRequest */
  SVP_TLS_UP_MYSQL,      /* MySQL SSL request packet */
  SVP_TLS_UP_COUNT
};

/* "starttls", "stls", "auth-tls", "ldap-starttls", "postgresql-sslrequest",
 * "mysql-ssl"; NULL for SVP_TLS_UP_NONE. */
const char *svp_tls_upgrade_name(enum svp_tls_upgrade u);

/* What the client's hello said. */
struct svp_tls_client_hello {
  bool seen;
  bool sslv2;                      /* SSLv2 or SSLv2-compatible framing */
  uint16_t version;                /* client_version field of the hello */
  uint16_t max_version;            /* highest offered (supported_versions, GREASE
                                      ignored), else version */
  uint16_t n_ciphers;              /* cipher suites offered (GREASE ignored) */
  uint16_t n_ext;                  /* extensions (GREASE ignored) */
  char sni[SVP_TLS_NAME_MAX];      /* server_name host name, "" if none */
  char alpn[SVP_TLS_ALPN_MAX];     /* ALPN offered, comma separated, "" if none */
  char ja3[SVP_TLS_JA3_LEN];       /* JA3 (md5 hex), "" for SSLv2 hellos */
  char ja4[SVP_TLS_JA4_LEN];       /* JA4 (TLS client), "" for SSLv2 hellos */
};

/* What the server's hello said. */
struct svp_tls_server_hello {
  bool seen;
  bool sslv2;                      /* SSLv2 SERVER-HELLO */
  bool hrr;                        /* a HelloRetryRequest came before it */
  bool resumed;                    /* ChangeCipherSpec without a Certificate:
                                      an abbreviated (resumed) handshake */
  uint16_t version;                /* negotiated (supported_versions if present) */
  uint16_t cipher;                 /* chosen suite (SSLv2: 0) */
  char alpn[SVP_TLS_PROTO_MAX];    /* ALPN chosen, "" if none */
  char ja3s[SVP_TLS_JA3_LEN];      /* JA3S (md5 hex), "" for SSLv2 */
};

/* The facts of one flow's handshake. Certificate bytes are DER, in the
 * order the server sent them (leaf first). */
struct svp_tls_hs {
  struct svp_tls_client_hello ch;
  struct svp_tls_server_hello sh;
  enum svp_tls_upgrade upgrade;
  bool midstream;                  /* TLS joined at a record boundary mid-flow */
  bool cert_seen;                  /* a Certificate message was read (may be empty) */
  bool cert_encrypted;             /* TLS 1.3: the certificate is encrypted */
  bool complete;                   /* the server's part of the handshake was seen
                                      to its end (see the prose above) */
  bool cut;                        /* SVP_TLS_REGION_MAX reached first */
  bool malformed;                  /* a length or field did not fit */
  unsigned n_certs;
  const uint8_t *cert[SVP_TLS_CHAIN_MAX];
  uint32_t cert_len[SVP_TLS_CHAIN_MAX];
};

struct svp_tls_flow;

/* A parser for one flow; midstream: the flow was joined mid-conversation
 * (its TLS may begin with a later message of the first flight). Returns
 * SVP_OK or SVP_ERR_NOMEM. */
int svp_tls_flow_new(bool midstream, struct svp_tls_flow **out);
void svp_tls_flow_free(struct svp_tls_flow *t);

/* The flow's bytes grew (f->dir[].data/len: each direction from its first
 * byte, as the flow table keeps them; borrowed for the call; bytes after
 * a direction's first hole, svp_dir.gap_at, are not read). The parser
 * goes on where it stopped. */
void svp_tls_flow_feed(struct svp_tls_flow *t, const struct svp_flow *f);

/* True while more bytes of this flow could still add to what is known: a
 * handshake under way and within its bounds, or a plaintext exchange that
 * may still upgrade. False once TLS is over, was never there, or gave up. */
bool svp_tls_flow_wants_more(const struct svp_tls_flow *t);

/* Bytes of direction dir the flow table should keep for this flow (its
 * TLS region so far plus one more record), 0 if this direction needs
 * nothing beyond the table's own limit. */
uint32_t svp_tls_flow_want(const struct svp_tls_flow *t, enum svp_dir_id dir);

/* True once a TLS hello of either side was read. */
bool svp_tls_flow_seen(const struct svp_tls_flow *t);

/* The handshake facts so far (NULL if no TLS hello was read). Borrowed:
 * valid until the next feed or free. */
const struct svp_tls_hs *svp_tls_flow_result(const struct svp_tls_flow *t);

/* ---- stateless checks -------------------------------------------------- */

/* Does p[0..len) start with a complete TLS handshake record (or the first
 * record of one) whose first message is a ServerHello (hello_type 2) or a
 * ClientHello (1), with consistent lengths? On success returns true and,
 * if version is not NULL, the version it negotiates (ServerHello: with
 * supported_versions) or offers (ClientHello: the highest). For a
 * structural "TLS ServerHello -> ssl" identification (issue 10). */
bool svp_tls_hello_at(const uint8_t *p, size_t len, uint8_t hello_type,
                      uint16_t *version);

/* Parse one ClientHello / ServerHello handshake message body (the bytes
 * after the 4-byte handshake header) into *out. Returns SVP_OK or
 * SVP_ERR_TRUNC (a length did not fit; *out holds what was read before).
 * For the fuzzer and the unit tests; the flow parser uses them. */
int svp_tls_parse_client_hello(const uint8_t *body, size_t len,
                               struct svp_tls_client_hello *out);
int svp_tls_parse_server_hello(const uint8_t *body, size_t len,
                               struct svp_tls_server_hello *out);

#endif
