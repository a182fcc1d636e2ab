/* out_normal.c: nmap-like text (-oN, and the default on stdout).
 *
 * Per host: a report line, the PORT STATE SERVICE VERSION table laid out
 * as nmap's NmapOutputTable does (each column as wide as its widest cell,
 * one space between columns, no trailing blanks), the SF-Port fingerprints
 * of what returned data but stayed unidentified (with how to turn one into
 * a rule), then the "Service Info:" line (hostnames, OS types, device types
 * and non-application CPEs of the open ports, each once), in nmap's order.
 * With -v, each port row is followed by its evidence in nmap's
 * script-output style ("| ..." lines ending with "|_"). */
#include "svp/output/output.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NCOL 4
#define MAX_INFO 5   /* nmap's MAX_SERVICE_INFO_FIELDS */
#define MAX_FPS 9    /* fingerprints printed per host, as nmap */

struct row {
  char port[16];
  const char *state;
  char service[SVP_SVCNAME_LEN];
  char version[SVP_FULLVERSION_LEN];
};

static void make_row(const struct svp_endpoint *ep, struct row *r)
{
  struct svp_out_svc sd;
  svp_out_svc_of(ep, &sd);
  snprintf(r->port, sizeof r->port, "%u/%s", (unsigned)ep->port, svp_l4_name(ep->l4));
  r->state = svp_out_state_name(ep->state);
  svp_out_service_col(&sd, ep->state, r->service, sizeof r->service);
  svp_out_fullversion(&sd, r->version, sizeof r->version);
}

static void widen(size_t w[NCOL], const char *const c[NCOL])
{
  for (int i = 0; i < NCOL; i++) {
    size_t k = strlen(c[i]);
    if (k > w[i])
      w[i] = k;
  }
}

/* One table row: cells padded to their column width plus one space while
 * a non-empty cell follows (nmap leaves no trailing blanks). */
static void print_cells(FILE *f, const size_t w[NCOL], const char *const c[NCOL])
{
  int items = 0, done = 0;
  for (int i = 0; i < NCOL; i++)
    items += c[i][0] != '\0';
  for (int i = 0; i < NCOL; i++) {
    size_t k = strlen(c[i]);
    fputs(c[i], f);
    done += k > 0;
    if (done < items)
      for (size_t j = k; j <= w[i]; j++)
        fputc(' ', f);
  }
  fputc('\n', f);
}

/* Evidence lines under a port row, as nmap prints script output. */
static void print_evidence(FILE *f, const struct svp_endpoint *ep,
                           const struct svp_run_info *run)
{
  char buf[4096];
  if (svp_out_evidence_text(ep, run, buf, sizeof buf) == 0)
    return;
  char *line = buf;
  for (bool first = true; *line; first = false) {
    char *nl = strchr(line, '\n');
    *nl = '\0';
    bool last = nl[1] == '\0';
    fprintf(f, "%s%s%s\n", last ? "|_" : "| ", first ? "evidence: " : "  ", line);
    line = nl + 1;
  }
}

/* Script-style lines: "| id: first", "| next", "|_last" (nmap's layout). */
static void print_script(FILE *f, const char *id, char *text)
{
  char *line = text;
  for (bool first = true; *line; first = false) {
    char *nl = strchr(line, '\n');
    bool last = !nl;
    if (nl)
      *nl = '\0';
    fprintf(f, "%s%s%s%s\n", last ? "|_" : "| ", first ? id : "", first ? ": " : "", line);
    if (last)
      break;
    line = nl + 1;
  }
}

/* TLS under a port row: the compact line; with -v nmap's ssl-cert text
 * for the first certificate too. */
static void print_tls(FILE *f, const struct svp_endpoint *ep, const struct svp_run_info *run)
{
  int v = run ? run->verbose : 0;
  char buf[8192];
  if (!ep->tls)
    return;
  if (v > 0 && ep->tls->n_certs &&
      svp_out_ssl_cert_text(ep->tls->certs[0].chain[0], v, buf, sizeof buf))
    print_script(f, "ssl-cert", buf);
  if (svp_out_tls_summary(ep, v, buf, sizeof buf))
    print_script(f, "tls", buf);
}

/* Add s to a de-duplicated list of at most MAX_INFO entries. */
static void info_add(const char *list[MAX_INFO], unsigned *n, const char *s,
                     bool caseless)
{
  for (unsigned i = 0; i < *n; i++)
    if ((caseless ? strcasecmp(list[i], s) : strcmp(list[i], s)) == 0)
      return;
  if (*n < MAX_INFO)
    list[(*n)++] = s;
}

static void info_print(FILE *f, const char **delim, const char *what,
                       const char *whats, const char *const list[], unsigned n)
{
  if (n == 0)
    return;
  fprintf(f, "%s%s: %s", *delim, n == 1 ? what : whats, list[0]);
  for (unsigned i = 1; i < n; i++)
    fprintf(f, ", %s", list[i]);
  *delim = "; ";
}

/* nmap's "Service Info:" line, from the open ports of one host. */
static void print_service_info(FILE *f, const struct svp_endpoint *const *ep, size_t n)
{
  const char *host[MAX_INFO], *os[MAX_INFO], *dev[MAX_INFO], *cpe[MAX_INFO];
  unsigned nh = 0, no = 0, nd = 0, nc = 0;
  for (size_t i = 0; i < n; i++) {
    if (ep[i]->state != SVP_PS_OPEN)
      continue;
    struct svp_out_svc sd;
    svp_out_svc_of(ep[i], &sd);
    if (sd.hostname)
      info_add(host, &nh, sd.hostname, true);
    if (sd.ostype)
      info_add(os, &no, sd.ostype, false);
    if (sd.devtype)
      info_add(dev, &nd, sd.devtype, false);
    for (unsigned k = 0; k < sd.n_cpe; k++)
      if (strncmp(sd.cpe[k], "cpe:/a", 6) != 0) /* applications are per port */
        info_add(cpe, &nc, sd.cpe[k], false);
  }
  if (!nh && !no && !nd && !nc)
    return;
  const char *delim = " ";
  fputs("Service Info:", f);
  info_print(f, &delim, "Host", "Hosts", host, nh);
  info_print(f, &delim, "OS", "OSs", os, no);
  info_print(f, &delim, "Device", "Devices", dev, nd);
  info_print(f, &delim, "CPE", "CPE", cpe, nc);
  fputc('\n', f);
}

static void print_fingerprints(FILE *f, const struct svp_endpoint *const *ep,
                               size_t n, const struct svp_run_info *run)
{
  size_t nfp = 0;
  for (size_t i = 0; i < n; i++) {
    struct svp_out_svc sd;
    svp_out_svc_of(ep[i], &sd);
    nfp += sd.has_fp;
  }
  if (nfp == 0)
    return;
  size_t shown = nfp < MAX_FPS ? nfp : MAX_FPS;
  fprintf(f,
          "%zu service%s unrecognized despite returning data. To identify %s, "
          "add a match line for the probe named in %%r(...) to a rule file and "
          "load it with --add-rules FILE (see svpassive(1), RULE FILES); if it "
          "is a public product, please also submit the fingerprint%s at "
          "https://nmap.org/cgi-bin/submit.cgi?new-service :\n",
          nfp, nfp > 1 ? "s" : "", nfp > 1 ? "them" : "it", nfp > 1 ? "s" : "");
  size_t done = 0;
  char fp[SVP_FP_MAX];
  for (size_t i = 0; i < n && done < shown; i++) {
    struct svp_out_svc sd;
    svp_out_svc_of(ep[i], &sd);
    if (!sd.has_fp || svp_fingerprint(ep[i], run, true, fp, sizeof fp) == 0)
      continue;
    if (nfp > 1)
      fputs("==============NEXT SERVICE FINGERPRINT (SUBMIT INDIVIDUALLY)"
            "==============\n", f);
    fprintf(f, "%s\n", fp);
    done++;
  }
  if (nfp > shown)
    fprintf(f, "(%zu more fingerprints of this host are in the XML and JSON output)\n",
            nfp - shown);
}

static void print_host(FILE *f, const struct svp_endpoint *const *ep, size_t n,
                       const struct svp_run_info *run)
{
  char addr[SVP_ADDR_STRLEN], a[SVP_ISO_LEN], b[SVP_ISO_LEN];
  svp_addr_str(&ep[0]->addr, addr, sizeof addr);
  int64_t first, last;
  uint64_t flows;
  svp_out_host_span(ep, n, &first, &last, &flows);
  svp_out_iso(first, a);
  svp_out_iso(last, b);
  fprintf(f, "svpassive report for %s\n", addr);
  fprintf(f, "Host is up (passive: %" PRIu64 " flow%s seen from %s to %s).\n\n",
          flows, flows == 1 ? "" : "s", a, b);

  static const char *const head[NCOL] = {"PORT", "STATE", "SERVICE", "VERSION"};
  size_t w[NCOL] = {0};
  widen(w, head);
  struct row r;
  for (size_t i = 0; i < n; i++) {
    make_row(ep[i], &r);
    const char *c[NCOL] = {r.port, r.state, r.service, r.version};
    widen(w, c);
  }
  print_cells(f, w, head);
  for (size_t i = 0; i < n; i++) {
    make_row(ep[i], &r);
    const char *c[NCOL] = {r.port, r.state, r.service, r.version};
    print_cells(f, w, c);
    print_tls(f, ep[i], run);
    if (run && run->verbose > 0)
      print_evidence(f, ep[i], run);
  }
  /* nmap: the fingerprints end the port table; Service Info comes after */
  print_fingerprints(f, ep, n, run);
  print_service_info(f, ep, n);
}

/* "# capture: FILES (FIRST to LAST)" under the header comment. */
static void print_capture_line(FILE *f, const struct svp_run_info *run)
{
  if (!run)
    return;
  fputs("# capture: ", f);
  if (run->iface && run->n_inputs == 0) {
    fprintf(f, "live on %s", run->iface);
  } else {
    for (unsigned i = 0; i < run->n_inputs; i++) {
      if (i)
        fputs(", ", f);
      svp_out_put_text(f, svp_out_input_name(run, i));
    }
  }
  if (run->first_pkt_us || run->last_pkt_us) {
    char a[SVP_ISO_LEN], b[SVP_ISO_LEN];
    svp_out_iso(run->first_pkt_us, a);
    svp_out_iso(run->last_pkt_us, b);
    fprintf(f, " (%s to %s)", a, b);
  }
  fputc('\n', f);
}

static int write_normal(FILE *f, const struct svp_report *rep)
{
  svp_out_comment_header(f, rep);
  print_capture_line(f, rep->run);
  if (rep->n_ep == 0)
    fputs("No server endpoints seen.\n", f);
  for (size_t i = 0; i < rep->n_ep;) {
    size_t j = svp_out_host_end(rep, i);
    fputc('\n', f);
    print_host(f, rep->ep + i, j - i, rep->run);
    i = j;
  }
  fputc('\n', f);
  svp_out_comment_footer(f, rep);
  return fflush(f) == 0 && !ferror(f) ? SVP_OK : SVP_ERR_IO;
}

const struct svp_writer svp_writer_normal = {
  .fmt = SVP_OUT_NORMAL,
  .name = "normal",
  .write = write_normal,
};
