/* tlsep.h: what TLS told about one server endpoint, merged over its flows.
 *
 * Kept per endpoint (struct svp_tls_ep, owned by the endpoint table,
 * endpoint.h): the server's latest choices (version, cipher, ALPN, JA3S)
 * and every version it chose; the distinct certificates it presented
 * (leaf first, with the rest of the chain, decoded once per distinct leaf
 * by x509.h; at most SVP_TLS_EP_CERTS, each with the SNI and capture time
 * of the first flow that carried it, so that "expired" means expired when
 * it was seen); the distinct clients' hellos (JA3, JA4, SNI, ALPN offered;
 * at most SVP_TLS_EP_CLIENTS, later ones only counted); the plaintext
 * upgrade (STARTTLS) that led to TLS, if any. What a single flow carried
 * is struct svp_tls_hs (tls.h); it is borrowed during the merge only.
 *
 * The service in the tunnel (nmap's tunnel="ssl") is decided here too:
 * from the ALPN protocol the server chose (svp_tls_alpn_service), else
 * from the port's name in nmap-services when that name is one of a TLS
 * service (svp_tls_port_name: "https", "imaps", "secure-mqtt", ...; nmap
 * prints such a name when it could not look inside), each marked with how it was
 * decided (enum svp_tunnel_from): the first is the server's own word, the
 * second only a port-table guess about what runs inside a confirmed TLS
 * server, which is why it keeps nmap's low confidence ("ssl/https?"). */
#ifndef SVP_TLSEP_H
#define SVP_TLSEP_H

#include "svp/reasm/flow.h"
#include "svp/tls/tls.h"
#include "svp/tls/x509.h"

#define SVP_TLS_EP_CERTS 4      /* distinct leaf certificates kept per endpoint */
#define SVP_TLS_EP_CLIENTS 8    /* distinct client hellos kept per endpoint */

/* How the service inside a TLS tunnel was decided. */
enum svp_tunnel_from {
  SVP_TUN_NONE = 0,  /* not a tunnel, or the inner service is unknown */
  SVP_TUN_ALPN,      /* the ALPN protocol the server chose */
  SVP_TUN_PORT,      /* the port's nmap-services name (a guess about the inside) */
};

/* "alpn", "port"; NULL for SVP_TUN_NONE. */
const char *svp_tunnel_from_name(enum svp_tunnel_from t);

/* One distinct certificate (by the leaf's SHA-256) and its chain. */
struct svp_tls_cert {
  struct svp_x509 *chain[SVP_TLS_CHAIN_MAX]; /* decoded, leaf first (owned) */
  unsigned n;                      /* decoded certificates in chain[] */
  unsigned n_bad;                  /* certificates libcrypto could not decode */
  char sni[SVP_TLS_NAME_MAX];      /* SNI of the first flow that carried it */
  struct svp_pktref seen;          /* that flow's first server packet */
  uint64_t flow_id;
  uint64_t flows;                  /* flows that carried this leaf */
  bool expired;                    /* notAfter before `seen` */
  bool not_yet_valid;              /* notBefore after `seen` */
};

/* One distinct client hello (by JA4, JA3 and SNI). */
struct svp_tls_client {
  char ja3[SVP_TLS_JA3_LEN];
  char ja4[SVP_TLS_JA4_LEN];
  char sni[SVP_TLS_NAME_MAX];
  char alpn[SVP_TLS_ALPN_MAX];     /* offered */
  uint16_t max_version;            /* highest version offered */
  uint64_t flows;
};

struct svp_tls_ep {
  uint64_t handshakes;             /* flows with a server hello */
  uint64_t client_hellos;          /* flows with a client hello */
  uint16_t version;                /* latest server hello: negotiated version */
  uint16_t cipher;                 /*   cipher suite */
  char alpn[SVP_TLS_PROTO_MAX];    /*   ALPN chosen, "" if none */
  char ja3s[SVP_TLS_JA3_LEN];      /*   JA3S */
  uint8_t versions;                /* bit per version chosen: SSLv2, SSLv3, 1.0 .. 1.3 */
  bool cert_encrypted;             /* a handshake hid its certificate (TLS 1.3) */
  bool malformed;                  /* some flow's handshake did not parse */
  bool cut;                        /* some flow's handshake exceeded the bound */
  enum svp_tls_upgrade upgrade;    /* how the plaintext was upgraded (latest) */
  struct svp_pktref first;         /* first flow with a server hello: its first
                                      server packet */
  struct svp_tls_cert *certs;      /* n_certs distinct certificates, first seen first */
  unsigned n_certs;
  uint64_t certs_dropped;          /* flows with a further distinct certificate */
  uint64_t certs_undecodable;      /* leaves libcrypto refused */
  struct svp_tls_client *clients;  /* n_clients distinct client hellos */
  unsigned n_clients;
  uint64_t clients_dropped;        /* flows with a further distinct client hello */
};

/* Merge one flow's handshake into *ep (allocated on first use; the caller
 * owns it and frees it with svp_tls_ep_free). f is the flow (for times
 * and ids). Returns SVP_OK or SVP_ERR_NOMEM (what fitted is kept). */
int svp_tls_ep_add(struct svp_tls_ep **ep, const struct svp_tls_hs *hs,
                   const struct svp_flow *f);
void svp_tls_ep_free(struct svp_tls_ep *ep);

/* Version names of ep->versions, e.g. "TLSv1.2,TLSv1.3", into buf. */
void svp_tls_ep_versions(const struct svp_tls_ep *ep, char *buf, size_t n);

/* nmap's service name for what an ALPN protocol id carries ("http/1.1",
 * "h2" -> "http", "mqtt" -> "mqtt", "imap" -> "imap", ...), or NULL. */
const char *svp_tls_alpn_service(const char *alpn);

/* Is this nmap-services port name one of a service inside TLS ("https",
 * "imaps", "secure-mqtt", "opcua-tls", "mbap-s", ...)? Only such a name
 * says what a TLS server on its port carries. */
bool svp_tls_port_name(const char *name);

#endif
