/* config.h: everything the command line can set, filled by main.c and
 * read (never written) by the commands. Strings point into argv. */
#ifndef SVP_CONFIG_H
#define SVP_CONFIG_H

#include "svp/base/common.h"
#include "svp/base/diag.h"

#define SVP_MAX_INPUTS 256
#define SVP_MAX_RULEFILES 64

enum svp_outfmt { SVP_OUT_NORMAL = 0, SVP_OUT_XML, SVP_OUT_GREP, SVP_OUT_JSON, SVP_OUT_COUNT };

enum svp_csum_mode { SVP_CSUM_AUTO = 0, SVP_CSUM_ON, SVP_CSUM_OFF };

struct svp_config {
  /* input */
  const char *inputs[SVP_MAX_INPUTS]; /* -r FILE, in order ("-" = stdin) */
  unsigned n_inputs;
  const char *iface;          /* -i IFACE, NULL if offline */
  char *bpf;                  /* trailing words joined by spaces, NULL if none (owned by main) */
  unsigned snaplen;           /* live capture snaplen */
  bool promisc;               /* live: promiscuous mode */
  enum svp_csum_mode csum;    /* IP/TCP/UDP checksum verification */
  unsigned long max_flows;    /* flow table bound (flows held at once) */
  unsigned long flow_mem_mb;  /* memory bound for flow state and buffers */
  unsigned long endpoint_mem_mb; /* bound of the endpoint table (endpoint.h) */
  unsigned long threads;      /* 1: one thread; 2 and more: files are read and
                                 decoded ahead in a second thread (readahead.h) */
  unsigned idle_timeout_s;    /* a flow silent this long (capture time) ends */
  unsigned srv_bytes;         /* server bytes kept per flow (nmap: 4096) */
  unsigned cli_bytes;         /* client bytes kept per flow */

  /* rules */
  const char *datadir;        /* --datadir: nmap-service-probes, nmap-services */
  const char *base_rules;     /* --rules FILE: replaces DIR/nmap-service-probes */
  const char *rules_dir;      /* --rules-dir: project rules (default: found at run time) */
  bool no_project_rules;      /* --no-project-rules */
  const char *add_rules[SVP_MAX_RULEFILES]; /* --add-rules FILE, overlays on top */
  unsigned n_add_rules;
  bool no_jit;                /* --no-jit */
  bool check_rules;           /* --check-rules [FILE...]: files in check_files */
  const char *check_files[SVP_MAX_RULEFILES];
  unsigned n_check_files;

  /* identification */
  bool wide;                  /* --wide: extra low-confidence search */

  /* output */
  const char *out[SVP_OUT_COUNT]; /* -oN/-oX/-oG/-oJ file names ("-" = stdout) */
  bool out_given;             /* any -o option was given */
  int verbose;                /* -v count */
  bool quiet;                 /* -q: no summary / progress */
  int progress;               /* -1 auto (stderr is a tty), 0 off, 1 on */
  bool flows;                 /* --flows: one line per flow, then exit */

  /* active mode */
  bool active;                /* --active */
  const char *scope;          /* --scope CIDR[,CIDR...] */
  bool dry_run;               /* --dry-run */
  int intensity;              /* --version-intensity 0..9 */
  bool allports;              /* --allports: ignore Exclude */
  double max_rate;            /* --max-rate: probes/s overall */
  double host_rate;           /* --host-rate: probes/s per host */
  unsigned max_parallel;      /* --max-parallel: concurrent connections */
  unsigned max_probes;        /* --max-probes: probes per endpoint */
  unsigned probe_delay_s;     /* live: unknown this long before probing */

  /* the command line as typed, for output headers */
  int argc;
  char **argv;
};

/* Defaults for every field (main.c applies them before parsing). */
void svp_config_defaults(struct svp_config *cfg);

#endif
