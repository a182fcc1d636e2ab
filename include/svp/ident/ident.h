/* ident.h: passive identification. Flows come in through a struct
 * svp_flow_sink (flow.h); each flow's server bytes are matched with the
 * rules of the probe the client's request resembles (classify.h), the way
 * nmap would have matched them, and the outcome goes to the endpoint
 * table.
 *
 * Per flow, in order (first hard match wins; a softmatch is kept and, as
 * nmap does, only probes that know the softmatched service are tried
 * after it):
 *   1. server spoke first: the NULL probe's lines (method "banner");
 *   2. the client's request: the probes its class names, each with its
 *      fallback chain and the NULL probe (method "request-response");
 *      requests no class knows: the probes whose payload shares a long
 *      prefix with it, then the NULL probe;
 *   3. when the flow is final (server bytes at the cap, or the flow
 *      ended): the probes whose `ports` list the server port (method
 *      "port-probe", lower confidence);
 *   4. with --wide, every line of every probe (method "wide", lowest).
 * A hard match without a version keeps the flow collecting (up to the cap) in case a more
 * specific line of the same service matches later.
 *
 * Endpoint-level reuse (endpoint.h, "the matching budget"): once a line
 * (hard, with or without a version, or soft) identified a server, later
 * flows to it try its lines alone first (through the same plan step). The
 * whole plan runs again only when the lines miss on a flow's final bytes
 * (and a different answer is recorded as a change of program), or when the
 * first bytes have a shape this endpoint has not shown before and no
 * versioned hard line settled it; an endpoint nothing matched runs it again
 * only for a new shape. Both with backoff, so whole plans per endpoint stay
 * within a few plus about log2(flows), plus a few per real change. A flow
 * the budget spares is decided at once: the endpoint's line, or nothing.
 *
 * TLS (tls.h): every TCP flow's bytes also go to a TLS handshake parser.
 * While it wants more (a handshake under way, or a plaintext exchange that
 * may still STARTTLS) the flow is not handed over even when the rules are
 * done, and the flow table is asked to keep the handshake's bytes
 * (svp_flow.keep); the rules still see only the first srv_cap/cli_cap
 * bytes. The handshake's facts go to the endpoint table with the result.
 *
 * The ident object borrows the ruleset and the endpoint table, which must
 * outlive it. */
#ifndef SVP_IDENT_H
#define SVP_IDENT_H

#include "svp/ident/classify.h"
#include "svp/ident/endpoint.h"
#include "svp/reasm/flow.h"
#include "svp/rules/rules.h"

struct svp_ident;

struct svp_ident_opts {
  bool wide;          /* step 4 */
  bool no_jit;        /* --no-jit: no lazy JIT in the matcher */
  uint32_t srv_cap;   /* server bytes after which a flow is final (4096) */
  uint32_t cli_cap;   /* client bytes the rules look at (2048) */
  /* Optional: told about every flow's outcome (for -vv); res NULL when the
   * server sent nothing. cls NULL when no class matched. */
  void (*observe)(void *ud, const struct svp_flow *f, const struct svp_result *res,
                  const struct svp_reqclass *cls);
  void *observe_ud;
};

struct svp_ident_stats {
  uint64_t flows;                 /* on_end calls */
  uint64_t flows_data;            /* flows with server bytes */
  uint64_t decided_early;         /* decided before the flow ended */
  uint64_t reused;                /* decided from the endpoint's earlier result */
  uint64_t confirmed;             /* decided by re-checking the endpoint's line only */
  uint64_t evaluations;           /* whole plans run over a flow's bytes */
  uint64_t skipped;               /* flows decided without matching: the endpoint's
                                     budget said the whole plan would teach nothing */
  uint64_t verdict[3];            /* flows by final verdict (NOMATCH, SOFT, HARD) */
  uint64_t method[SVP_M_COUNT];   /* flows with a match, by method */
  uint64_t answers_rejected;      /* matches refused by a class's answers() */
  uint64_t chain_rejected;        /* fallback/NULL lines naming a service the probe lacks */
  uint64_t tls_flows;             /* flows with a TLS hello (tls.h) */
  uint64_t tls_malformed;         /* ... whose handshake did not parse to its end */
  uint64_t tls_cut;               /* ... whose handshake exceeded SVP_TLS_REGION_MAX */
  double match_seconds;           /* time spent matching */
};

int svp_ident_new(const struct svp_ruleset *rs, struct svp_eptab *eps,
                  const struct svp_ident_opts *opts, struct svp_ident **out);
void svp_ident_free(struct svp_ident *id);

/* The sink to give the capture pipeline (valid as long as id). */
const struct svp_flow_sink *svp_ident_sink(struct svp_ident *id);

const struct svp_ident_stats *svp_ident_stats(const struct svp_ident *id);

/* Match a reply to a probe we sent ourselves (active mode): the probe's
 * chain, result marked SVP_M_ACTIVE. Returns the verdict. */
enum svp_verdict svp_ident_match_reply(struct svp_ident *id,
                                       const struct svp_probe *probe,
                                       const uint8_t *resp, size_t len,
                                       struct svp_result *out);

#endif
