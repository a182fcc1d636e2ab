/* main.c: command line, signals, exit status.
 * The only file that calls exit() or owns process-wide state. */
#include "svp/active/active.h"
#include "svp/cli/cmd.h"
#include "svp/base/config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

volatile int svp_stop_requested;

static void on_signal(int sig)
{
  (void)sig;
  svp_stop_requested = 1;
}

static void usage(FILE *f)
{
  fputs(
"Usage: svpassive [options] -r FILE [-r FILE ...] [BPF filter]\n"
"       svpassive [options] -i IFACE [BPF filter]\n"
"       svpassive --check-rules [RULEFILE ...]\n"
"\n"
"Identifies network services from what servers send to their clients, with\n"
"nmap's version-detection rules (nmap-service-probes), without sending a packet.\n"
"\n"
"Input:\n"
"  -r FILE              read a pcap or pcapng file ('-' = stdin); repeatable,\n"
"                       several files form one run, read in the order given\n"
"  -i IFACE             capture live on IFACE until interrupted (Ctrl-C)\n"
"  -s SNAPLEN           live capture snapshot length (default 262144)\n"
"  --no-promisc         live: do not put the interface in promiscuous mode\n"
"  --checksum MODE      verify IP/TCP/UDP checksums: auto (default: on, but off\n"
"                       for packets that look checksum-offloaded), on, off\n"
"  --max-flows N        flows held at once (default 1000000)\n"
"  --flow-mem MB        memory for flow state and buffers (default 512)\n"
"  --threads N          1: one thread; 2 or more (default: the number of cores):\n"
"                       capture files are read and decoded in a second thread;\n"
"                       the output is the same\n"
"  --endpoint-mem MB    memory for the endpoint table's fingerprints and client\n"
"                       sets (default 64; past it endpoints are still listed)\n"
"  --idle-timeout SEC   end a flow silent this long in capture time (default 600)\n"
"  BPF filter           trailing words, as for tcpdump ('port 502')\n"
"\n"
"Rules:\n"
"  --datadir DIR        nmap data directory (default /usr/share/nmap)\n"
"  --rules FILE         base rule file instead of DIR/nmap-service-probes\n"
"  --rules-dir DIR      the project's rule directory (default: installed copy)\n"
"  --no-project-rules   load only the base rule file\n"
"  --add-rules FILE     extra rule file layered on top (repeatable)\n"
"  --check-rules [FILE ...]\n"
"                       load and compile the rules (or only FILEs), print\n"
"                       figures and every error as file:line, then exit\n"
"  --no-jit             do not JIT-compile the rules\n"
"\n"
"Identification:\n"
"  --wide               also try every rule of every probe on flows nothing\n"
"                       matched (reported with lower confidence)\n"
"\n"
"Output:\n"
"  -oN FILE             nmap-like text (the default, on stdout; FILE '-' = stdout\n"
"                       for -oN, -oX, -oG and -oJ)\n"
"  -oX FILE             nmap XML (nmap.dtd)\n"
"  -oG FILE             grepable\n"
"  -oJ FILE             JSON Lines, one endpoint per line\n"
"  -oA BASE             BASE.nmap, BASE.xml, BASE.gnmap and BASE.jsonl\n"
"  -v                   more detail: per-flow evidence (repeat for more)\n"
"  -q                   no progress line and no summary on stderr\n"
"  --progress / --no-progress\n"
"                       progress line on stderr (default: when it is a terminal)\n"
"  --flows              print one line per flow (capture layer view) and exit\n"
"\n"
"Active mode (off unless --active; see ACTIVE MODE in svpassive(1)):\n"
"  --active             after listening, probe the endpoints seen open that\n"
"                       stayed unknown or only softmatched, with nmap's probes\n"
"                       (NULL, port-listed, then by rarity); nothing else\n"
"  --scope CIDR[,CIDR]  required with --active: only these addresses are probed\n"
"                       (IPv4/IPv6 prefixes or addresses; host bits must be 0)\n"
"  --dry-run            print each endpoint's probes and their bytes, in the\n"
"                       order they would go out, and send nothing\n"
"  --version-intensity N  0-9, default 2 (nmap's --version-light; nmap -sV: 7)\n"
"  --allports           ignore the rule files' Exclude directive\n"
"  --max-rate N         probes per second, overall (default 10)\n"
"  --host-rate N        probes per second per host (default 2)\n"
"  --max-parallel N     connections at once, never more than one per host\n"
"                       (default 8)\n"
"  --max-probes N       probes per endpoint (default 20)\n"
"  --probe-delay SEC    live: unknown this long before probing (default 60)\n"
"\n"
"  -h, --help           this text\n"
"  -V, --version        version\n"
"\n"
"Exit status: 0 done; 1 done but some input or rule was rejected; 2 bad\n"
"command line; 3 nothing could be done (no rules or no readable input).\n"
"See svpassive(1).\n", f);
}

void svp_config_defaults(struct svp_config *cfg)
{
  memset(cfg, 0, sizeof *cfg);
  cfg->snaplen = 262144;
  cfg->promisc = true;
  cfg->csum = SVP_CSUM_AUTO;
  cfg->max_flows = 1000000;
  cfg->flow_mem_mb = 512;
  cfg->endpoint_mem_mb = 64;
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  cfg->threads = cores > 1 ? (unsigned long)cores : 1;
  cfg->idle_timeout_s = 600;
  cfg->srv_bytes = 4096;
  cfg->cli_bytes = 2048;
  cfg->datadir = "/usr/share/nmap";
  cfg->progress = -1;
  cfg->intensity = 2; /* nmap's --version-light: see ACTIVE MODE in svpassive(1) */
  cfg->max_rate = 10;
  cfg->host_rate = 2;
  cfg->max_parallel = 8;
  cfg->max_probes = 20;
  cfg->probe_delay_s = 60;
}

enum {
  OPT_NO_PROMISC = 256, OPT_CHECKSUM, OPT_MAX_FLOWS, OPT_FLOW_MEM, OPT_EP_MEM, OPT_THREADS, OPT_IDLE,
  OPT_DATADIR, OPT_RULES, OPT_RULES_DIR, OPT_NO_PROJECT, OPT_ADD_RULES,
  OPT_CHECK_RULES, OPT_NO_JIT, OPT_WIDE, OPT_PROGRESS, OPT_NO_PROGRESS,
  OPT_FLOWS, OPT_ACTIVE, OPT_SCOPE, OPT_DRY_RUN, OPT_INTENSITY, OPT_ALLPORTS,
  OPT_MAX_RATE, OPT_HOST_RATE, OPT_MAX_PARALLEL, OPT_MAX_PROBES,
  OPT_PROBE_DELAY
};

static const struct option long_opts[] = {
  {"help", no_argument, NULL, 'h'},
  {"version", no_argument, NULL, 'V'},
  {"no-promisc", no_argument, NULL, OPT_NO_PROMISC},
  {"checksum", required_argument, NULL, OPT_CHECKSUM},
  {"max-flows", required_argument, NULL, OPT_MAX_FLOWS},
  {"flow-mem", required_argument, NULL, OPT_FLOW_MEM},
  {"endpoint-mem", required_argument, NULL, OPT_EP_MEM},
  {"threads", required_argument, NULL, OPT_THREADS},
  {"idle-timeout", required_argument, NULL, OPT_IDLE},
  {"datadir", required_argument, NULL, OPT_DATADIR},
  {"rules", required_argument, NULL, OPT_RULES},
  {"rules-dir", required_argument, NULL, OPT_RULES_DIR},
  {"no-project-rules", no_argument, NULL, OPT_NO_PROJECT},
  {"add-rules", required_argument, NULL, OPT_ADD_RULES},
  {"check-rules", no_argument, NULL, OPT_CHECK_RULES},
  {"no-jit", no_argument, NULL, OPT_NO_JIT},
  {"wide", no_argument, NULL, OPT_WIDE},
  {"progress", no_argument, NULL, OPT_PROGRESS},
  {"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
  {"flows", no_argument, NULL, OPT_FLOWS},
  {"active", no_argument, NULL, OPT_ACTIVE},
  {"scope", required_argument, NULL, OPT_SCOPE},
  {"dry-run", no_argument, NULL, OPT_DRY_RUN},
  {"version-intensity", required_argument, NULL, OPT_INTENSITY},
  {"allports", no_argument, NULL, OPT_ALLPORTS},
  {"max-rate", required_argument, NULL, OPT_MAX_RATE},
  {"host-rate", required_argument, NULL, OPT_HOST_RATE},
  {"max-parallel", required_argument, NULL, OPT_MAX_PARALLEL},
  {"max-probes", required_argument, NULL, OPT_MAX_PROBES},
  {"probe-delay", required_argument, NULL, OPT_PROBE_DELAY},
  {NULL, 0, NULL, 0},
};

/* Parse an unsigned number in [lo, hi]; on error print and return false. */
static bool parse_ulong(const char *opt, const char *s, unsigned long lo,
                        unsigned long hi, unsigned long *out)
{
  char *end;
  errno = 0;
  unsigned long v = strtoul(s, &end, 10);
  if (errno || end == s || *end || s[0] == '-' || v < lo || v > hi) {
    fprintf(stderr, "svpassive: %s: '%s' is not a number from %lu to %lu\n",
            opt, s, lo, hi);
    return false;
  }
  *out = v;
  return true;
}

static bool parse_rate(const char *opt, const char *s, double *out)
{
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (errno || end == s || *end || !(v > 0) || v > 1e6) {
    fprintf(stderr, "svpassive: %s: '%s' is not a rate above 0\n", opt, s);
    return false;
  }
  *out = v;
  return true;
}

/* -oN FILE / -oX FILE / ... : the letter arrives in optarg, the file name
 * either right after it or as the next word. */
static bool parse_output(struct svp_config *cfg, const char *arg, int argc,
                         char **argv)
{
  char fmt = arg[0];
  const char *file = arg[1] ? arg + 1 : NULL;
  if (!file) {
    if (optind >= argc) {
      fprintf(stderr, "svpassive: -o%c needs a file name\n", fmt);
      return false;
    }
    file = argv[optind++];
  }
  switch (fmt) {
  case 'N': cfg->out[SVP_OUT_NORMAL] = file; break;
  case 'X': cfg->out[SVP_OUT_XML] = file; break;
  case 'G': cfg->out[SVP_OUT_GREP] = file; break;
  case 'J': cfg->out[SVP_OUT_JSON] = file; break;
  case 'A': {
    static const char *const ext[SVP_OUT_COUNT] = {".nmap", ".xml", ".gnmap", ".jsonl"};
    if (strcmp(file, "-") == 0) {
      fprintf(stderr, "svpassive: -oA needs a base name, not '-'\n");
      return false;
    }
    for (int i = 0; i < SVP_OUT_COUNT; i++) {
      static char names[SVP_OUT_COUNT][PATH_MAX];
      if ((size_t)snprintf(names[i], sizeof names[i], "%s%s", file, ext[i]) >=
          sizeof names[i]) {
        fprintf(stderr, "svpassive: -oA: base name too long\n");
        return false;
      }
      cfg->out[i] = names[i];
    }
    break;
  }
  default:
    fprintf(stderr, "svpassive: unknown output format -o%c (use N, X, G, J or A)\n", fmt);
    return false;
  }
  cfg->out_given = true;
  return true;
}

/* Join the trailing words into one BPF expression (malloc'd). */
static char *join_words(int n, char **w)
{
  size_t len = 1;
  for (int i = 0; i < n; i++)
    len += strlen(w[i]) + 1;
  char *s = malloc(len);
  if (!s)
    return NULL;
  s[0] = '\0';
  for (int i = 0; i < n; i++) {
    if (i)
      strcat(s, " ");
    strcat(s, w[i]);
  }
  return s;
}

static int parse_args(struct svp_config *cfg, int argc, char **argv)
{
  unsigned long v;
  int c;
  cfg->argc = argc;
  cfg->argv = argv;
  /* '+': options first, then the filter words (as tcpdump). */
  while ((c = getopt_long(argc, argv, "+hVr:i:s:o:vq", long_opts, NULL)) != -1) {
    switch (c) {
    case 'h': usage(stdout); return -1;
    case 'V': printf("svpassive %s\n", SVP_VERSION); return -1;
    case 'r':
      if (cfg->n_inputs == SVP_MAX_INPUTS) {
        fprintf(stderr, "svpassive: at most %d -r files\n", SVP_MAX_INPUTS);
        return SVP_EXIT_USAGE;
      }
      cfg->inputs[cfg->n_inputs++] = optarg;
      break;
    case 'i': cfg->iface = optarg; break;
    case 's':
      if (!parse_ulong("-s", optarg, 64, 262144, &v)) return SVP_EXIT_USAGE;
      cfg->snaplen = (unsigned)v;
      break;
    case 'o':
      if (!parse_output(cfg, optarg, argc, argv)) return SVP_EXIT_USAGE;
      break;
    case 'v': cfg->verbose++; break;
    case 'q': cfg->quiet = true; cfg->progress = 0; break;
    case OPT_NO_PROMISC: cfg->promisc = false; break;
    case OPT_CHECKSUM:
      if (strcmp(optarg, "auto") == 0) cfg->csum = SVP_CSUM_AUTO;
      else if (strcmp(optarg, "on") == 0) cfg->csum = SVP_CSUM_ON;
      else if (strcmp(optarg, "off") == 0) cfg->csum = SVP_CSUM_OFF;
      else {
        fprintf(stderr, "svpassive: --checksum: '%s' is not auto, on or off\n", optarg);
        return SVP_EXIT_USAGE;
      }
      break;
    case OPT_MAX_FLOWS:
      if (!parse_ulong("--max-flows", optarg, 16, 100000000, &cfg->max_flows)) return SVP_EXIT_USAGE;
      break;
    case OPT_FLOW_MEM:
      if (!parse_ulong("--flow-mem", optarg, 8, 1048576, &cfg->flow_mem_mb)) return SVP_EXIT_USAGE;
      break;
    case OPT_THREADS:
      if (!parse_ulong("--threads", optarg, 1, 1024, &cfg->threads)) return SVP_EXIT_USAGE;
      break;
    case OPT_EP_MEM:
      if (!parse_ulong("--endpoint-mem", optarg, 1, 1048576, &cfg->endpoint_mem_mb))
        return SVP_EXIT_USAGE;
      break;
    case OPT_IDLE:
      if (!parse_ulong("--idle-timeout", optarg, 1, 86400 * 365, &v)) return SVP_EXIT_USAGE;
      cfg->idle_timeout_s = (unsigned)v;
      break;
    case OPT_DATADIR: cfg->datadir = optarg; break;
    case OPT_RULES: cfg->base_rules = optarg; break;
    case OPT_RULES_DIR: cfg->rules_dir = optarg; break;
    case OPT_NO_PROJECT: cfg->no_project_rules = true; break;
    case OPT_ADD_RULES:
      if (cfg->n_add_rules == SVP_MAX_RULEFILES) {
        fprintf(stderr, "svpassive: at most %d --add-rules files\n", SVP_MAX_RULEFILES);
        return SVP_EXIT_USAGE;
      }
      cfg->add_rules[cfg->n_add_rules++] = optarg;
      break;
    case OPT_CHECK_RULES: cfg->check_rules = true; break;
    case OPT_NO_JIT: cfg->no_jit = true; break;
    case OPT_WIDE: cfg->wide = true; break;
    case OPT_PROGRESS: cfg->progress = 1; break;
    case OPT_NO_PROGRESS: cfg->progress = 0; break;
    case OPT_FLOWS: cfg->flows = true; break;
    case OPT_ACTIVE: cfg->active = true; break;
    case OPT_SCOPE: cfg->scope = optarg; break;
    case OPT_DRY_RUN: cfg->dry_run = true; break;
    case OPT_INTENSITY:
      if (!parse_ulong("--version-intensity", optarg, 0, 9, &v)) return SVP_EXIT_USAGE;
      cfg->intensity = (int)v;
      break;
    case OPT_ALLPORTS: cfg->allports = true; break;
    case OPT_MAX_RATE:
      if (!parse_rate("--max-rate", optarg, &cfg->max_rate)) return SVP_EXIT_USAGE;
      break;
    case OPT_HOST_RATE:
      if (!parse_rate("--host-rate", optarg, &cfg->host_rate)) return SVP_EXIT_USAGE;
      break;
    case OPT_MAX_PARALLEL:
      if (!parse_ulong("--max-parallel", optarg, 1, 1024, &v)) return SVP_EXIT_USAGE;
      cfg->max_parallel = (unsigned)v;
      break;
    case OPT_MAX_PROBES:
      if (!parse_ulong("--max-probes", optarg, 1, 1000, &v)) return SVP_EXIT_USAGE;
      cfg->max_probes = (unsigned)v;
      break;
    case OPT_PROBE_DELAY:
      if (!parse_ulong("--probe-delay", optarg, 0, 86400, &v)) return SVP_EXIT_USAGE;
      cfg->probe_delay_s = (unsigned)v;
      break;
    default:
      fprintf(stderr, "Try 'svpassive --help'.\n");
      return SVP_EXIT_USAGE;
    }
  }

  int rest = argc - optind;
  if (cfg->check_rules) {
    if (rest > SVP_MAX_RULEFILES) {
      fprintf(stderr, "svpassive: at most %d files with --check-rules\n", SVP_MAX_RULEFILES);
      return SVP_EXIT_USAGE;
    }
    for (int i = 0; i < rest; i++)
      cfg->check_files[cfg->n_check_files++] = argv[optind + i];
    return 0;
  }
  if (rest > 0) {
    cfg->bpf = join_words(rest, argv + optind);
    if (!cfg->bpf) {
      fprintf(stderr, "svpassive: out of memory\n");
      return SVP_EXIT_FATAL;
    }
  }
  if (cfg->n_inputs == 0 && !cfg->iface) {
    fprintf(stderr, "svpassive: nothing to read: give -r FILE or -i IFACE "
                    "(or --check-rules). Try 'svpassive --help'.\n");
    return SVP_EXIT_USAGE;
  }
  if (cfg->n_inputs && cfg->iface) {
    fprintf(stderr, "svpassive: -r and -i cannot be used together\n");
    return SVP_EXIT_USAGE;
  }
  if (cfg->active && !cfg->scope) {
    fprintf(stderr, "svpassive: --active needs --scope CIDR[,CIDR...]: "
                    "the addresses it may send probes to\n");
    return SVP_EXIT_USAGE;
  }
  if (cfg->active) {
    struct svp_scope *sc;
    char err[256];
    if (svp_scope_parse(cfg->scope, &sc, err, sizeof err) != SVP_OK) {
      fprintf(stderr, "svpassive: --scope: %s\n", err);
      return SVP_EXIT_USAGE;
    }
    svp_scope_free(sc);
  }
  if ((cfg->dry_run || cfg->scope) && !cfg->active) {
    fprintf(stderr, "svpassive: --dry-run and --scope only make sense with --active\n");
    return SVP_EXIT_USAGE;
  }
  if (cfg->progress < 0)
    cfg->progress = isatty(STDERR_FILENO) ? 1 : 0;
  return 0;
}

static void emit_stderr(void *ud, enum svp_sev sev, const char *msg)
{
  (void)ud;
  static const char *const tag[] = {"note", "warning", "error"};
  fprintf(stderr, "svpassive: %s: %s\n", tag[sev], msg);
}

int main(int argc, char **argv)
{
  struct svp_config cfg;
  svp_config_defaults(&cfg);
  int rc = parse_args(&cfg, argc, argv);
  if (rc != 0) {
    free(cfg.bpf);
    return rc < 0 ? SVP_EXIT_OK : rc;
  }

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);

  struct svp_diag diag = {.emit = emit_stderr, .max_emit = 200};
  if (cfg.check_rules)
    rc = svp_cmd_check_rules(&cfg, &diag);
  else if (cfg.flows)
    rc = svp_cmd_flows(&cfg, &diag);
  else
    rc = svp_cmd_inventory(&cfg, &diag);
  if (diag.max_emit && diag.n_emitted >= diag.max_emit &&
      diag.n_warn + diag.n_error + diag.n_note > diag.n_emitted)
    fprintf(stderr, "svpassive: %u more messages not shown\n",
            diag.n_warn + diag.n_error + diag.n_note - diag.n_emitted);
  free(cfg.bpf);
  return rc;
}
