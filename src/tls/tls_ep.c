/* tls_ep.c: TLS facts merged per endpoint (see tlsep.h). */
#include "svp/tls/tlsep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *svp_tunnel_from_name(enum svp_tunnel_from t)
{
  switch (t) {
  case SVP_TUN_ALPN: return "alpn";
  case SVP_TUN_PORT: return "port";
  default: return NULL;
  }
}

/* IANA's ALPN protocol ids and the name nmap gives the service. */
static const struct {
  const char *alpn;
  const char *service;
} alpn_map[] = {
    {"http/0.9", "http"}, {"http/1.0", "http"}, {"http/1.1", "http"},
    {"spdy/1", "http"},   {"spdy/2", "http"},   {"spdy/3", "http"},
    {"h2", "http"},       {"h2c", "http"},      {"h3", "http"},
    {"ftp", "ftp"},       {"imap", "imap"},     {"pop3", "pop3"},
    {"managesieve", "sieve"}, {"coap", "coap"}, {"xmpp-client", "xmpp-client"},
    {"xmpp-server", "xmpp-server"}, {"mqtt", "mqtt"}, {"dot", "domain"},
    {"smb", "microsoft-ds"}, {"irc", "irc"},    {"nntp", "nntp"},
    {"nnsp", "nntp"},     {"sip/2", "sip"},     {"tds/8.0", "ms-sql-s"},
    {"dicom", "dicom"},   {"postgresql", "postgresql"}, {"ldap", "ldap"},
    {"smtp", "smtp"},     {"stun.turn", "stun"}, {"stun.nat-discovery", "stun"},
    {"webrtc", "webrtc"}, {"c-webrtc", "webrtc"}, {"sunrpc", "rpcbind"},
    {"amqp", "amqp"},
};

const char *svp_tls_alpn_service(const char *alpn)
{
  if (!alpn)
    return NULL;
  for (size_t i = 0; i < SVP_ARRAY_LEN(alpn_map); i++)
    if (strcmp(alpn_map[i].alpn, alpn) == 0)
      return alpn_map[i].service;
  return NULL;
}

/* nmap-services names of ports whose service runs inside TLS. */
static const char *const tls_port_names[] = {
    "https", "https-alt", "imaps", "pop3s", "smtps", "ldapssl", "ldaps", "ftps",
    "ftps-data", "ircs", "ircs-u", "domain-s", "secure-mqtt", "opcua-tls", "mbap-s",
    "amqps", "sip-tls", "snews", "telnets", "coaps", "imap4-ssl",
};

bool svp_tls_port_name(const char *name)
{
  if (!name)
    return false;
  for (size_t i = 0; i < SVP_ARRAY_LEN(tls_port_names); i++)
    if (strcmp(tls_port_names[i], name) == 0)
      return true;
  return false;
}

static int version_bit(uint16_t v)
{
  switch (v) {
  case SVP_TLS_V_SSL2: return 0;
  case SVP_TLS_V_SSL3: return 1;
  case SVP_TLS_V_10: return 2;
  case SVP_TLS_V_11: return 3;
  case SVP_TLS_V_12: return 4;
  case SVP_TLS_V_13: return 5;
  default: return (v >> 8) == 0x7f ? 5 : -1;
  }
}

void svp_tls_ep_versions(const struct svp_tls_ep *ep, char *buf, size_t n)
{
  static const uint16_t order[] = {SVP_TLS_V_SSL2, SVP_TLS_V_SSL3, SVP_TLS_V_10,
                                   SVP_TLS_V_11, SVP_TLS_V_12, SVP_TLS_V_13};
  size_t at = 0;
  if (n)
    buf[0] = '\0';
  for (unsigned i = 0; i < SVP_ARRAY_LEN(order); i++) {
    if (!(ep->versions & (1u << i)))
      continue;
    int w = snprintf(buf + at, n - at, "%s%s", at ? "," : "", svp_tls_version_name(order[i]));
    if (w < 0 || (size_t)w >= n - at)
      return;
    at += (size_t)w;
  }
}

static void cert_free(struct svp_tls_cert *c)
{
  for (unsigned i = 0; i < c->n; i++)
    svp_x509_free(c->chain[i]);
}

void svp_tls_ep_free(struct svp_tls_ep *ep)
{
  if (!ep)
    return;
  for (unsigned i = 0; i < ep->n_certs; i++)
    cert_free(&ep->certs[i]);
  free(ep->certs);
  free(ep->clients);
  free(ep);
}

/* A leaf already kept? Compared on the DER bytes themselves. */
static struct svp_tls_cert *find_cert(struct svp_tls_ep *ep, const uint8_t *der, uint32_t n)
{
  for (unsigned i = 0; i < ep->n_certs; i++) {
    const struct svp_x509 *leaf = ep->certs[i].chain[0];
    if (leaf && leaf->der_len == n && memcmp(leaf->der, der, n) == 0)
      return &ep->certs[i];
  }
  return NULL;
}

static int add_certs(struct svp_tls_ep *ep, const struct svp_tls_hs *hs,
                     const struct svp_flow *f)
{
  if (hs->n_certs == 0)
    return SVP_OK;
  struct svp_tls_cert *c = find_cert(ep, hs->cert[0], hs->cert_len[0]);
  if (c) {
    c->flows++;
    return SVP_OK;
  }
  struct svp_x509 *leaf;
  int rc = svp_x509_decode(hs->cert[0], hs->cert_len[0], &leaf);
  if (rc == SVP_ERR_PARSE) {
    ep->certs_undecodable++;
    return SVP_OK;
  }
  if (rc != SVP_OK)
    return rc;
  if (ep->n_certs == SVP_TLS_EP_CERTS) {
    svp_x509_free(leaf);
    ep->certs_dropped++;
    return SVP_OK;
  }
  struct svp_tls_cert *nc = realloc(ep->certs, (ep->n_certs + 1) * sizeof *nc);
  if (!nc) {
    svp_x509_free(leaf);
    return SVP_ERR_NOMEM;
  }
  ep->certs = nc;
  c = &nc[ep->n_certs++];
  memset(c, 0, sizeof *c);
  c->chain[c->n++] = leaf;
  for (unsigned i = 1; i < hs->n_certs; i++) {
    struct svp_x509 *x;
    rc = svp_x509_decode(hs->cert[i], hs->cert_len[i], &x);
    if (rc == SVP_OK)
      c->chain[c->n++] = x;
    else if (rc == SVP_ERR_PARSE)
      c->n_bad++;
    else
      return rc;
  }
  snprintf(c->sni, sizeof c->sni, "%s", hs->ch.sni);
  c->seen = f->dir[SVP_S2C].first;
  c->flow_id = f->id;
  c->flows = 1;
  int64_t at = c->seen.ts_us / 1000000;
  if (leaf->validity_ok) {
    c->expired = leaf->not_after < at;
    c->not_yet_valid = leaf->not_before > at;
  }
  return SVP_OK;
}

static int add_client(struct svp_tls_ep *ep, const struct svp_tls_client_hello *ch)
{
  for (unsigned i = 0; i < ep->n_clients; i++) {
    struct svp_tls_client *c = &ep->clients[i];
    if (strcmp(c->ja4, ch->ja4) == 0 && strcmp(c->ja3, ch->ja3) == 0 &&
        strcmp(c->sni, ch->sni) == 0) {
      c->flows++;
      return SVP_OK;
    }
  }
  if (ep->n_clients == SVP_TLS_EP_CLIENTS) {
    ep->clients_dropped++;
    return SVP_OK;
  }
  struct svp_tls_client *nc = realloc(ep->clients, (ep->n_clients + 1) * sizeof *nc);
  if (!nc)
    return SVP_ERR_NOMEM;
  ep->clients = nc;
  struct svp_tls_client *c = &nc[ep->n_clients++];
  memset(c, 0, sizeof *c);
  memcpy(c->ja3, ch->ja3, sizeof c->ja3);
  memcpy(c->ja4, ch->ja4, sizeof c->ja4);
  memcpy(c->sni, ch->sni, sizeof c->sni);
  memcpy(c->alpn, ch->alpn, sizeof c->alpn);
  c->max_version = ch->max_version;
  c->flows = 1;
  return SVP_OK;
}

int svp_tls_ep_add(struct svp_tls_ep **epp, const struct svp_tls_hs *hs,
                   const struct svp_flow *f)
{
  if (!hs)
    return SVP_OK;
  if (!*epp && !(*epp = calloc(1, sizeof **epp)))
    return SVP_ERR_NOMEM;
  struct svp_tls_ep *ep = *epp;
  ep->malformed |= hs->malformed;
  ep->cut |= hs->cut;
  if (hs->upgrade != SVP_TLS_UP_NONE)
    ep->upgrade = hs->upgrade;
  if (hs->sh.seen) {
    if (ep->handshakes++ == 0)
      ep->first = f->dir[SVP_S2C].first;
    ep->version = hs->sh.version;
    ep->cipher = hs->sh.cipher;
    memcpy(ep->alpn, hs->sh.alpn, sizeof ep->alpn);
    memcpy(ep->ja3s, hs->sh.ja3s, sizeof ep->ja3s);
    int b = version_bit(hs->sh.version);
    if (b >= 0)
      ep->versions |= (uint8_t)(1u << b);
    ep->cert_encrypted |= hs->cert_encrypted;
  }
  int rc = SVP_OK;
  if (hs->ch.seen) {
    ep->client_hellos++;
    rc = add_client(ep, &hs->ch);
  }
  int rc2 = add_certs(ep, hs, f);
  return rc != SVP_OK ? rc : rc2;
}
