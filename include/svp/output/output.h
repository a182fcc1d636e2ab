/* output.h: writers for the inventory (normal text, nmap XML, grepable,
 * JSON Lines), behind one table.
 *
 * A writer gets the whole report at once: endpoints already sorted
 * (address family, address bytes, protocol, port) so every format is
 * deterministic. Everything in the report is borrowed. */
#ifndef SVP_OUTPUT_H
#define SVP_OUTPUT_H

#include <stdio.h>

#include "svp/base/common.h"
#include "svp/base/config.h"
#include "svp/ident/endpoint.h"

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

/* Wrap an unwrapped fingerprint (as XML carries it) the way nmap's normal
 * output does: "\nSF:" inserted before the character that would make a line
 * longer than 74 columns; a final ';' is never wrapped. Writes at most
 * outsz-1 bytes, NUL-terminated; returns the length. */
size_t svp_fingerprint_wrap(const char *fp, char *out, size_t outsz);

/* A buffer of this size always holds svp_fingerprint()'s output (the
 * response is cut at 900 bytes as nmap does, each byte takes at most 4
 * characters, plus header and line breaks). */
#define SVP_FP_MAX 8192

/* ---- Helpers shared by the writers (out_common.c) ---------------------
 * Everything below only reads the report. Wall-clock times are used only
 * in the header/footer lines the nmap formats have; with the environment
 * variable SVP_FIXED_TIME=1 they are printed as the epoch (1970) and the
 * elapsed time as 0, so that golden tests can compare whole files. */

#define SVP_FULLVERSION_LEN 160 /* nmap's VERSION column buffer (NUL included) */
#define SVP_SVCNAME_LEN 64      /* nmap's SERVICE column buffer (NUL included) */
#define SVP_ISO_LEN 32          /* "2024-01-31T23:59:59.123456Z" + NUL */
#define SVP_CTIME_LEN 32        /* "Mon Nov 23 13:05:56 2026" + NUL */

/* nmap's view of one result (its struct serviceDeductions): what the
 * <service> element, the SERVICE and VERSION columns are made from.
 * Strings borrow from the endpoint/result; empty fields are NULL. */
struct svp_out_svc {
  const char *name;        /* service name; NULL = none ("unknown" in output) */
  bool ssl;                /* tunnel="ssl" */
  bool probed;             /* method="probed" (false: "table") */
  unsigned conf;           /* 0..10 */
  const char *product, *version, *extrainfo, *hostname, *ostype, *devtype;
  const char *cpe[SVP_CPE_COUNT]; /* non-empty CPEs in order a, h, o */
  unsigned n_cpe;
  bool has_fp;             /* an SF-Port fingerprint belongs to it */
  const char *match;       /* "hard", "soft" or "none" */
};

/* Deduce from an endpoint's current result (with its port-table name and
 * fingerprint), or from one result alone (history entries: no fp). */
void svp_out_svc_of(const struct svp_endpoint *ep, struct svp_out_svc *sd);
void svp_out_svc_of_result(const struct svp_result *r, struct svp_out_svc *sd);

/* nmap's SERVICE column: "[ssl/]name", "?" appended for an open port with
 * conf <= 5, "unknown" without a name; "" if it does not fit in n. */
void svp_out_service_col(const struct svp_out_svc *sd, enum svp_port_state st,
                         char *buf, size_t n);

/* nmap's VERSION column: "product version (extrainfo)", each part cut with
 * "..." when the whole would not fit in n bytes, parts skipped when fewer
 * than 8 bytes are left (nmap's populateFullVersionString). */
void svp_out_fullversion(const struct svp_out_svc *sd, char *buf, size_t n);

const char *svp_out_state_name(enum svp_port_state st); /* "open"/"closed" */

/* The endpoint's state reason as nmap words it ("syn-ack", "reset", ...). */
const char *svp_out_reason(const struct svp_endpoint *ep);

/* True when SVP_FIXED_TIME=1 is set in the environment. */
bool svp_out_fixed_time(void);
/* Run start/end wall clock (epoch us), 0 in fixed-time mode. */
int64_t svp_out_wall(const struct svp_run_info *run, bool end);
/* Seconds between start and end (0 in fixed-time mode). */
double svp_out_elapsed(const struct svp_run_info *run);

/* "Mon Nov 23 13:05:56 2026" in local time (as nmap's ctime()). */
void svp_out_ctime(int64_t epoch_us, char buf[SVP_CTIME_LEN]);
/* ISO 8601 UTC with microseconds: "2024-01-31T23:59:59.123456Z". */
void svp_out_iso(int64_t epoch_us, char buf[SVP_ISO_LEN]);

/* Capture file name for an evidence file index ("-" if unknown; the live
 * interface name for live captures). */
const char *svp_out_input_name(const struct svp_run_info *run, uint32_t file);

/* The command line, words separated by spaces, quoted as nmap quotes them
 * (words with white space in double quotes, '"' and '\\' backslashed).
 * malloc'd; NULL if out of memory or no argv. */
char *svp_out_cmdline(const struct svp_run_info *run);

/* Print untrusted text (file names, rule paths) to a text format with
 * control bytes and DEL shown as '?', so it cannot break a line. */
void svp_out_put_text(FILE *f, const char *s);

/* Index one past the last endpoint with the same address as ep[i]. */
size_t svp_out_host_end(const struct svp_report *rep, size_t i);

/* Capture time span and flow count of one host's endpoints ep[0..n);
 * endpoints without times (0) are left out; 0/0 if none has one. */
void svp_out_host_span(const struct svp_endpoint *const *ep, size_t n,
                       int64_t *first, int64_t *last, uint64_t *flows);

/* Report-wide counts, for summaries. */
struct svp_out_counts {
  size_t hosts, endpoints, open, closed;
  size_t hard, soft, unknown; /* by current verdict (unknown = no match) */
};
void svp_out_count(const struct svp_report *rep, struct svp_out_counts *c);

/* The comment lines normal and grepable output start and end with:
 * "# svpassive VERSION run started DATE as: ARGS" and
 * "# svpassive done at DATE -- N endpoints on M hosts (...) ...". */
void svp_out_comment_header(FILE *f, const struct svp_report *rep);
void svp_out_comment_footer(FILE *f, const struct svp_report *rep);

/* Evidence for one endpoint as text lines (each ending in '\n', without
 * a prefix), for -v in normal output and the XML evidence script: method,
 * match, conf, rule file:line, probe, capture file, frame, time, flow,
 * client, first/last seen, flows, clients, mid-stream, earlier services.
 * Writes at most n-1 bytes (cut at a line end) and returns the length. */
size_t svp_out_evidence_text(const struct svp_endpoint *ep,
                             const struct svp_run_info *run, char *buf, size_t n);

/* Names of the fields whose bits are set in a svp_fields.truncated value
 * ("product", "version", "extrainfo", "hostname", "ostype", "devicetype",
 * "cpe:a", "cpe:h", "cpe:o"), in that order; returns how many (at most 9;
 * names must have room for 9). */
unsigned svp_out_truncated(uint16_t bits, const char *names[9]);

/* Length (2..4) of the valid UTF-8 sequence that starts at s (a
 * NUL-terminated string), with its code point in *cp; 0 if the bytes there
 * are not valid UTF-8 (overlong, surrogate, past U+10FFFF, cut short). */
int svp_out_utf8_seq(const unsigned char *s, uint32_t *cp);

/* ---- TLS (out_tls.c) ---------------------------------------------------- */

#define SVP_OUT_NAME_MAX 64 /* name attributes shown per certificate name */

/* A certificate name the way nmap's ssl-cert tables show it: one entry
 * per key (a repeated key shows its last value, as nmap's table keeps
 * it), sorted by key. Fills idx (room for n, n <= SVP_OUT_NAME_MAX) with
 * indexes into a; returns how many. */
unsigned svp_out_x509_keys(const struct svp_x509_attr *a, unsigned n, unsigned *idx);

/* The text nmap's ssl-cert script prints for a certificate at verbosity
 * `verbose` (0: subject, SANs, validity; 1: also issuer, key, signature
 * algorithm, MD5, SHA-1, and SHA-256; 2: every name field), lines
 * separated by '\n', no final newline. Writes at most n-1 bytes; returns
 * the length. */
size_t svp_out_ssl_cert_text(const struct svp_x509 *c, int verbose, char *buf, size_t n);

/* An endpoint's TLS in one line (version, cipher, ALPN, upgrade, how the
 * tunnel's service was decided, the first certificate's subject, SANs,
 * issuer, validity); with verbose > 0 more lines (JA3S, each client's JA4,
 * JA3 and SNI). No final newline; "" without TLS. Returns the length. */
size_t svp_out_tls_summary(const struct svp_endpoint *ep, int verbose, char *buf, size_t n);

/* The writers, for tests that call one directly. */
extern const struct svp_writer svp_writer_normal, svp_writer_xml,
    svp_writer_grep, svp_writer_json;

#endif
