/* tls_names.c: names of protocol versions and cipher suites (IANA's TLS
 * Cipher Suites registry; the suites seen since SSLv3, not the whole
 * registry: an unknown one is printed as its number). */
#include "svp/tls/tls.h"

#include <stdio.h>

const char *svp_tls_version_name(uint16_t v)
{
  switch (v) {
  case SVP_TLS_V_SSL2: return "SSLv2";
  case SVP_TLS_V_SSL3: return "SSLv3";
  case SVP_TLS_V_10: return "TLSv1.0";
  case SVP_TLS_V_11: return "TLSv1.1";
  case SVP_TLS_V_12: return "TLSv1.2";
  case SVP_TLS_V_13: return "TLSv1.3";
  default: break;
  }
  if ((v >> 8) == 0x7f) { /* TLS 1.3 drafts 0x7f00 + N */
    static const char *const drafts[] = {
        "TLSv1.3-draft-0",  "TLSv1.3-draft-1",  "TLSv1.3-draft-2",  "TLSv1.3-draft-3",
        "TLSv1.3-draft-4",  "TLSv1.3-draft-5",  "TLSv1.3-draft-6",  "TLSv1.3-draft-7",
        "TLSv1.3-draft-8",  "TLSv1.3-draft-9",  "TLSv1.3-draft-10", "TLSv1.3-draft-11",
        "TLSv1.3-draft-12", "TLSv1.3-draft-13", "TLSv1.3-draft-14", "TLSv1.3-draft-15",
        "TLSv1.3-draft-16", "TLSv1.3-draft-17", "TLSv1.3-draft-18", "TLSv1.3-draft-19",
        "TLSv1.3-draft-20", "TLSv1.3-draft-21", "TLSv1.3-draft-22", "TLSv1.3-draft-23",
        "TLSv1.3-draft-24", "TLSv1.3-draft-25", "TLSv1.3-draft-26", "TLSv1.3-draft-27",
        "TLSv1.3-draft-28"};
    unsigned d = v & 0xff;
    return d < SVP_ARRAY_LEN(drafts) ? drafts[d] : "TLSv1.3-draft";
  }
  return NULL;
}

static const struct {
  uint16_t id;
  const char *name;
} suites[] = {
    {0x0004, "TLS_RSA_WITH_RC4_128_MD5"},
    {0x0005, "TLS_RSA_WITH_RC4_128_SHA"},
    {0x000a, "TLS_RSA_WITH_3DES_EDE_CBC_SHA"},
    {0x0016, "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA"},
    {0x002f, "TLS_RSA_WITH_AES_128_CBC_SHA"},
    {0x0032, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA"},
    {0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA"},
    {0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA"},
    {0x0038, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA"},
    {0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA"},
    {0x003c, "TLS_RSA_WITH_AES_128_CBC_SHA256"},
    {0x003d, "TLS_RSA_WITH_AES_256_CBC_SHA256"},
    {0x0041, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA"},
    {0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256"},
    {0x006b, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256"},
    {0x0084, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA"},
    {0x009c, "TLS_RSA_WITH_AES_128_GCM_SHA256"},
    {0x009d, "TLS_RSA_WITH_AES_256_GCM_SHA384"},
    {0x009e, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"},
    {0x009f, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384"},
    {0x00ff, "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"},
    {0x1301, "TLS_AES_128_GCM_SHA256"},
    {0x1302, "TLS_AES_256_GCM_SHA384"},
    {0x1303, "TLS_CHACHA20_POLY1305_SHA256"},
    {0x1304, "TLS_AES_128_CCM_SHA256"},
    {0x1305, "TLS_AES_128_CCM_8_SHA256"},
    {0x5600, "TLS_FALLBACK_SCSV"},
    {0xc007, "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA"},
    {0xc009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"},
    {0xc00a, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA"},
    {0xc011, "TLS_ECDHE_RSA_WITH_RC4_128_SHA"},
    {0xc012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA"},
    {0xc013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"},
    {0xc014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"},
    {0xc023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256"},
    {0xc024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384"},
    {0xc027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256"},
    {0xc028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384"},
    {0xc02b, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"},
    {0xc02c, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"},
    {0xc02f, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"},
    {0xc030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"},
    {0xc09c, "TLS_RSA_WITH_AES_128_CCM"},
    {0xc09d, "TLS_RSA_WITH_AES_256_CCM"},
    {0xc0ac, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM"},
    {0xc0ad, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM"},
    {0xcca8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"},
    {0xcca9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"},
    {0xccaa, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256"},
};

const char *svp_tls_cipher_name(uint16_t id)
{
  size_t lo = 0, hi = SVP_ARRAY_LEN(suites);
  while (lo < hi) { /* the table is sorted by id */
    size_t mid = (lo + hi) / 2;
    if (suites[mid].id == id)
      return suites[mid].name;
    if (suites[mid].id < id)
      lo = mid + 1;
    else
      hi = mid;
  }
  return NULL;
}
