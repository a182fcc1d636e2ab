/* output.h: writers for the inventory (normal text, nmap XML, grepable,
 * JSON Lines), behind one table.
 *
 * A writer gets the whole report at once: endpoints already sorted
 * (address family, address bytes, protocol, port) so every format is
 * deterministic. Everything in the report is borrowed. */
#ifndef SVP_OUTPUT_H
#define SVP_OUTPUT_H

#include <stdio.h>

#include "svp/common.h"
#include "svp/config.h"
#include "svp/endpoint.h"

/* Run-wide facts the formats print in headers and footers. */
struct svp_run_info {
  int argc;
  char *const *argv;               /* command line as typed */
  int64_t start_wall_us;           /* wall clock at start/end (epoch us) */
  int64_t end_wall_us;
  const char *const *inputs;       /* capture files, in order; NULL entries allowed */
  unsigned n_inputs;
  const char *iface;               /* live interface or NULL */
  int64_t first_pkt_us, last_pkt_us; /* capture time span (0 if no packet) */
  uint64_t packets, bytes, flows;
  uint64_t dropped;                /* packets lost (pcap drops + decode failures) */
  int verbose;
  int intensity;                   /* for the SF-Port header's %I= */
};

struct svp_report {
  const struct svp_run_info *run;
  const struct svp_endpoint *const *ep; /* sorted */
  size_t n_ep;
};

struct svp_writer {
  enum svp_outfmt fmt;
  const char *name;                /* "normal", "xml", "grepable", "json" */
  /* Write the whole report to f. Returns SVP_OK or SVP_ERR_IO. */
  int (*write)(FILE *f, const struct svp_report *rep);
};

/* The registry, indexed by enum svp_outfmt. */
const struct svp_writer *svp_writer_get(enum svp_outfmt fmt);

/* nmap's SF-Port service fingerprint for an endpoint with fp_data
 * (A.9 of docs: %r(Probe,len,"escaped") blocks). Writes at most outsz-1
 * bytes into out, NUL-terminated; wrap74 splits it into lines of the form
 * nmap's normal output uses. Returns the length written. */
size_t svp_fingerprint(const struct svp_endpoint *ep,
                       const struct svp_run_info *run, bool wrap74,
                       char *out, size_t outsz);

#endif
