/* out_grep.c: nmap's grepable output (-oG).
 *
 *   # svpassive ... run started ... as: ...
 *   Host: 10.0.0.1 ()	Status: Up
 *   Host: 10.0.0.1 ()	Ports: 22/open/tcp//ssh//OpenSSH 9.2p1 (protocol 2.0)/, ...
 *   # svpassive done at ...
 *
 * Each port is port/state/protocol/owner/service/rpc info/version/ with
 * empty owner and rpc fields. As nmap does, '/' inside the service
 * ("ssl|http") and the version becomes '|', and the service field is empty
 * when there is neither a name, a fingerprint nor a tunnel. */
#include "svp/output/output.h"

#include <string.h>

static void slash_to_bar(char *s)
{
  for (; (s = strchr(s, '/')) != NULL; s++)
    *s = '|';
}

static void print_port(FILE *f, const struct svp_endpoint *ep)
{
  struct svp_out_svc sd;
  char svc[SVP_SVCNAME_LEN], ver[SVP_FULLVERSION_LEN];
  svp_out_svc_of(ep, &sd);
  if (sd.name || sd.has_fp || sd.ssl) {
    svp_out_service_col(&sd, ep->state, svc, sizeof svc);
    slash_to_bar(svc);
  } else {
    svc[0] = '\0';
  }
  svp_out_fullversion(&sd, ver, sizeof ver);
  slash_to_bar(ver);
  fprintf(f, "%u/%s/%s//%s//%s/", (unsigned)ep->port, svp_out_state_name(ep->state),
          svp_l4_name(ep->l4), svc, ver);
}

static int write_grep(FILE *f, const struct svp_report *rep)
{
  svp_out_comment_header(f, rep);
  for (size_t i = 0; i < rep->n_ep;) {
    size_t j = svp_out_host_end(rep, i);
    char addr[SVP_ADDR_STRLEN];
    svp_addr_str(&rep->ep[i]->addr, addr, sizeof addr);
    fprintf(f, "Host: %s ()\tStatus: Up\n", addr);
    fprintf(f, "Host: %s ()\tPorts: ", addr);
    for (size_t k = i; k < j; k++) {
      if (k > i)
        fputs(", ", f);
      print_port(f, rep->ep[k]);
    }
    fputc('\n', f);
    i = j;
  }
  svp_out_comment_footer(f, rep);
  return fflush(f) == 0 && !ferror(f) ? SVP_OK : SVP_ERR_IO;
}

const struct svp_writer svp_writer_grep = {
  .fmt = SVP_OUT_GREP,
  .name = "grepable",
  .write = write_grep,
};
