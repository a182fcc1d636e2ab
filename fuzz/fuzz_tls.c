/* fuzz_tls.c: both directions of a TCP flow -> the TLS handshake parser
 * (tls.h), the endpoint merge with X.509 decoding (tlsep.h, x509.h) and
 * the text the writers print from it.
 *
 * Input: one byte of options (bit 0: the flow was joined mid-stream; bits
 * 1-7: the segment size, 1 + value * 37 bytes), two bytes (big endian) of
 * client stream length, the client's bytes, then the server's bytes. The
 * streams are fed as they grow, segment by segment, alternating, the way
 * the flow table delivers them. The corpus (fuzz/corpus/tls/) is made from
 * real handshakes by fuzz/mk_tls_corpus.py. */
#include "svp/output/output.h"
#include "svp/tls/tls.h"
#include "svp/tls/tlsep.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < 3)
    return 0;
  bool mid = data[0] & 1;
  size_t step = 1 + (size_t)(data[0] >> 1) * 37;
  size_t clen = (size_t)data[1] << 8 | data[2];
  const uint8_t *p = data + 3;
  size_t rest = size - 3;
  if (clen > rest)
    clen = rest;
  /* exact-size copies, so that a read past either stream is caught */
  uint8_t *cli = malloc(clen ? clen : 1), *srv = malloc(rest - clen ? rest - clen : 1);
  struct svp_tls_flow *t = NULL;
  if (!cli || !srv || svp_tls_flow_new(mid, &t) != SVP_OK)
    goto out;
  memcpy(cli, p, clen);
  memcpy(srv, p + clen, rest - clen);
  struct svp_flow f;
  memset(&f, 0, sizeof f);
  f.l4 = SVP_L4_TCP;
  f.dir[SVP_C2S].data = cli;
  f.dir[SVP_S2C].data = srv;
  f.dir[SVP_C2S].gap_at = f.dir[SVP_S2C].gap_at = UINT32_MAX;
  size_t slen = rest - clen;
  for (size_t c = 0, s = 0; c < clen || s < slen;) {
    c = c + step < clen ? c + step : clen;
    f.dir[SVP_C2S].len = (uint32_t)c;
    svp_tls_flow_feed(t, &f);
    s = s + step < slen ? s + step : slen;
    f.dir[SVP_S2C].len = (uint32_t)s;
    svp_tls_flow_feed(t, &f);
    for (int k = 0; k < 2; k++)
      if (svp_tls_flow_wants_more(t) && svp_tls_flow_want(t, (enum svp_dir_id)k) == 0 &&
          svp_tls_flow_seen(t) && !svp_tls_flow_result(t))
        abort(); /* seen but no result: inconsistent */
  }
  svp_tls_hello_at(cli, clen, 1, NULL);
  svp_tls_hello_at(srv, slen, 2, NULL);
  const struct svp_tls_hs *hs = svp_tls_flow_result(t);
  if (hs) {
    if (hs->n_certs > SVP_TLS_CHAIN_MAX)
      abort();
    struct svp_endpoint ep;
    memset(&ep, 0, sizeof ep);
    svp_tls_ep_add(&ep.tls, hs, &f);
    char buf[8192];
    svp_out_tls_summary(&ep, 1, buf, sizeof buf);
    if (ep.tls && ep.tls->n_certs)
      svp_out_ssl_cert_text(ep.tls->certs[0].chain[0], 2, buf, sizeof buf);
    svp_tls_ep_free(ep.tls);
  }
out:
  svp_tls_flow_free(t);
  free(cli);
  free(srv);
  return 0;
}
