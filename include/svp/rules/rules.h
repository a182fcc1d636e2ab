/* rules.h: nmap-service-probes files loaded into one read-only ruleset.
 *
 * Life cycle: svp_rules_new() -> svp_rules_load_file() once per file, base
 * file first (layer 0), then overlays (layer >= 1) -> svp_rules_compile()
 * -> read-only use, shareable by any number of matchers -> svp_rules_free().
 *
 * Grammar and semantics follow nmap 7.93 (see docs/RULES.md). Differences:
 * a bad line is reported as "file:line: reason" through the svp_diag and
 * skipped (a bad Probe line skips the lines that belong to it); the rest of
 * the file still loads.
 *
 * Overlay merge (layer >= 1, e.g. the project's rules/ directory):
 *  - "Probe" naming a probe that already exists with the same protocol adds
 *    the following lines to it; its match/softmatch lines are tried BEFORE
 *    the lower layers' lines (higher layer first, file order within a layer).
 *    Its payload must be identical (else: warning, lines still added);
 *    ports/sslports are added to the existing sets; rarity, fallback,
 *    totalwaitms and tcpwrappedms given in an overlay replace the old value.
 *  - A new probe name appends a new probe after the existing ones.
 *  - Exclude in an overlay adds to the exclusion set.
 *  - The same holds inside one layer (a probe defined twice in one file gets
 *    the second block's lines after the first's, with a warning).
 *
 * Compile: every regex with nmap's options (i -> PCRE2_CASELESS, s ->
 * PCRE2_DOTALL, nothing else; newline LF), JIT when asked; a rule whose
 * regex does not compile is reported and dropped. Fallback names are
 * resolved (same protocol first, then any; unknown names reported), and
 * each probe's literal-prefix index is built (see match.h).
 *
 * All pointers handed out (probes, rules, strings) are owned by the ruleset
 * and stay valid until svp_rules_free(). */
#ifndef SVP_RULES_H
#define SVP_RULES_H

#include "svp/base/common.h"
#include "svp/base/diag.h"

/* Template fields, in nmap's order. */
enum svp_field {
  SVP_F_PRODUCT = 0, /* p/ */
  SVP_F_VERSION,     /* v/ */
  SVP_F_INFO,        /* i/ */
  SVP_F_HOSTNAME,    /* h/ */
  SVP_F_OSTYPE,      /* o/ */
  SVP_F_DEVTYPE,     /* d/ */
  SVP_F_COUNT
};

/* A set of ports, stored as sorted, merged, inclusive ranges. */
struct svp_portset {
  struct svp_port_range { uint16_t lo, hi; } *r; /* owned by the ruleset */
  size_t n;
};
bool svp_portset_has(const struct svp_portset *ps, uint16_t port);

struct svp_probe;

/* One match or softmatch line. */
struct svp_rule {
  const char *service;            /* e.g. "http"; "ssl/" prefix removed */
  bool ssl;                       /* line said "ssl/<service>" */
  bool soft;                      /* softmatch */
  const char *pattern;            /* regex text as written, NUL-terminated */
  bool caseless, dotall;          /* the i and s flags */
  const char *tmpl[SVP_F_COUNT];  /* raw template text, NULL if absent */
  const char *const *cpe;         /* raw cpe templates, text after "cpe:/" */
  size_t n_cpe;
  const char *file;               /* rule file path as given */
  unsigned line;                  /* 1-based line number in that file */
  unsigned layer;                 /* 0 = base file, >=1 overlay */
  unsigned id;                    /* index in the ruleset, 0..n_rules-1 */
  const struct svp_probe *probe;  /* probe this line belongs to */
  void *priv;                     /* compiled regex and index data (rules.c) */
};

struct svp_probe {
  const char *name;               /* e.g. "GetRequest"; "NULL" for the null probe */
  enum svp_l4 l4;
  const uint8_t *payload;         /* unescaped bytes (may contain NUL) */
  size_t payload_len;             /* 0 for the NULL probe */
  bool no_payload;                /* the "no-payload" option was present */
  int rarity;                     /* 1..9; default 5 */
  unsigned totalwaitms;           /* default 5000 (Debian's NULL probe sets 6000) */
  unsigned tcpwrappedms;          /* default 2000 (Debian's NULL probe sets 3000) */
  struct svp_portset ports, sslports;
  const struct svp_rule *const *rules; /* try order: higher layer first, then file order */
  size_t n_rules;
  /* nmap's fallback chain, resolved at compile: [0] is this probe, then the
   * probes named by "fallback" lines, then (TCP, if this is not the NULL
   * probe) the NULL probe. */
  const struct svp_probe *const *chain;
  size_t n_chain;
  /* The distinct service names of its lines, sorted (strcmp), for
   * svp_probe_has_service(). */
  const char *const *services;
  size_t n_services;
  const char *file;
  unsigned line;
  unsigned index;                 /* position among all probes (file order) */
  void *priv;                     /* match index data (match.c/rules.c) */
};

struct svp_ruleset;

struct svp_rules_stats {
  unsigned files;
  unsigned probes_tcp, probes_udp;
  unsigned match, softmatch;       /* lines loaded and compiled */
  unsigned services;               /* distinct service names (ssl/ stripped) */
  unsigned errors;                 /* lines rejected (parse or regex errors) */
  unsigned skipped;                /* lines ignored because their Probe line was bad */
  unsigned warnings;               /* lines accepted with a warning */
  unsigned jit_ok;                 /* rules with JIT code */
  unsigned prefixed;               /* rules with a literal prefix in the index */
  double parse_ms, compile_ms, jit_ms;
  size_t code_bytes, jit_bytes;    /* PCRE2_INFO_SIZE / _JITSIZE sums */
};

/* One file loaded into the ruleset, in load order. */
struct svp_rules_file {
  const char *path;                /* as given */
  unsigned layer;
  unsigned lines;                  /* lines read */
  unsigned rules;                  /* match/softmatch lines parsed from it */
  unsigned errors;                 /* lines rejected from it (incl. regex errors) */
};

/* Empty ruleset. Returns SVP_OK or SVP_ERR_NOMEM. */
int svp_rules_new(struct svp_ruleset **out);

/* Parse one file into the ruleset at the given layer. Bad lines are
 * reported to diag and skipped. Returns SVP_ERR_IO if the file cannot be
 * read (reported, and counted as one error of that file in the stats),
 * else SVP_OK (even if some lines failed: see the stats). Must not be
 * called after svp_rules_compile() (SVP_ERR_ARG). */
int svp_rules_load_file(struct svp_ruleset *rs, const char *path,
                        unsigned layer, struct svp_diag *diag);

/* Same, from memory (tests, fuzzers). name is used in messages. */
int svp_rules_load_buf(struct svp_ruleset *rs, const char *name,
                       const char *text, size_t len, unsigned layer,
                       struct svp_diag *diag);

/* Compile every regex (PCRE2, nmap's options, JIT where use_jit), resolve
 * fallbacks, build the match index. Rules that fail to compile are reported
 * with file:line and dropped. After this the ruleset is read-only. */
int svp_rules_compile(struct svp_ruleset *rs, bool use_jit,
                      struct svp_diag *diag);

void svp_rules_free(struct svp_ruleset *rs);

const struct svp_rules_stats *svp_rules_stats(const struct svp_ruleset *rs);

size_t svp_rules_n_probes(const struct svp_ruleset *rs);
const struct svp_probe *svp_rules_probe(const struct svp_ruleset *rs, size_t i);
const struct svp_probe *svp_rules_find_probe(const struct svp_ruleset *rs,
                                             enum svp_l4 l4, const char *name);
/* The TCP probe with the empty payload, or NULL if no file defined one. */
const struct svp_probe *svp_rules_null_probe(const struct svp_ruleset *rs);

/* Compiled rules in load order (file order, base file first); id = index. */
size_t svp_rules_n_rules(const struct svp_ruleset *rs);
const struct svp_rule *svp_rules_rule(const struct svp_ruleset *rs, size_t id);

size_t svp_rules_n_files(const struct svp_ruleset *rs);
const struct svp_rules_file *svp_rules_file(const struct svp_ruleset *rs, size_t i);

/* True if an "Exclude" line covers this port for this protocol. */
bool svp_rules_excluded(const struct svp_ruleset *rs, enum svp_l4 l4,
                        uint16_t port);

/* True if some line of this probe names service (nmap's serviceIsPossible).
 * Compiled rulesets only (binary search in p->services). */
bool svp_probe_has_service(const struct svp_probe *p, const char *service);

#endif
