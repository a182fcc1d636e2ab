/* active.h: active mode (--active): probe, the way nmap's version scan
 * does, the endpoints that passive identification left unknown or only
 * softmatched, and nothing else.
 *
 * Which endpoints (svp_active_check): seen in the traffic as open servers
 * (TCP: the handshake showed which side is the server, not a guess from
 * ports or payload; UDP: it answered a datagram), inside --scope, not
 * hard-matched, port not in an Exclude line (unless --allports), a unicast
 * address (no multicast, broadcast or unspecified address even if the
 * scope covers it).
 *
 * Which probes, in what order (struct svp_probe_iter, nmap's
 * ServiceNFO::nextProbe): TCP starts with the NULL probe (connect, send
 * nothing, wait its totalwaitms); then every probe of the endpoint's
 * protocol whose `ports` list the port, in file order, whatever its
 * rarity; then the others with rarity <= --version-intensity, in file
 * order. After a softmatch, probes of the last group are skipped unless one
 * of their lines names the softmatched service (a passive softmatch counts
 * from the start). Stop at the first hard match, or after --max-probes.
 * The payload after the NULL probe goes on the same connection; every
 * later TCP probe opens a new one; UDP reuses one socket per endpoint.
 *
 * Safety limits: at most one connection per host at a time, --max-parallel
 * connections overall, token buckets of --max-rate probes/s overall and
 * --host-rate per host (burst 1: probes are spaced, never bunched), a host
 * that stops accepting connections is left alone for the rest of the run,
 * the stop flag ends everything at once (results so far are kept).
 *
 * Replies go through svp_ident_match_reply() (the probe's chain, then
 * NULL); results are recorded with svp_eptab_add_result() as
 * SVP_M_ACTIVE, with the probe as evidence.
 *
 * Ownership: the active object borrows cfg, the ruleset, the ident object,
 * the endpoint table, diag and the plan stream; all must outlive it. Not
 * thread-safe: run it on the thread that runs the pipeline. */
#ifndef SVP_ACTIVE_H
#define SVP_ACTIVE_H

#include "svp/base/config.h"
#include "svp/base/diag.h"
#include "svp/ident/endpoint.h"
#include "svp/reasm/flow.h"
#include "svp/ident/ident.h"
#include "svp/rules/rules.h"

#include <stdio.h>

/* ---- scope: the addresses probes may go to ------------------------------ */

struct svp_scope;

/* Parse "CIDR[,CIDR...]": IPv4 or IPv6 prefixes ("10.1.2.0/24",
 * "fd00:207::/32") or single addresses (= /32, /128). Host bits set below
 * the prefix ("10.1.2.3/24") are an error, not silently masked: in a
 * safety setting the user must say which one is meant. On error returns
 * SVP_ERR_PARSE with a message naming the bad element in err. */
int svp_scope_parse(const char *text, struct svp_scope **out, char *err, size_t errlen);
bool svp_scope_contains(const struct svp_scope *s, const struct svp_addr *a);
size_t svp_scope_count(const struct svp_scope *s);
void svp_scope_free(struct svp_scope *s);

/* ---- the probe order for one endpoint (nmap's nextProbe) --------------- */

struct svp_probe_iter {
  const struct svp_ruleset *rs;
  enum svp_l4 l4;
  uint16_t port;
  int intensity;
  int phase;            /* 0 NULL probe, 1 port-listed probes, 2 the others, 3 done */
  size_t next;          /* next probe index to look at in this phase */
  bool listed;          /* the probe returned last came from phase 1 */
};

void svp_probe_iter_init(struct svp_probe_iter *it, const struct svp_ruleset *rs,
                         enum svp_l4 l4, uint16_t port, int intensity);

/* The next probe to send, or NULL when there is none. soft_service: the
 * service softmatched so far (NULL if none) restricts the last group to
 * probes with a line for it. Probes are owned by the ruleset. */
const struct svp_probe *svp_probe_iter_next(struct svp_probe_iter *it,
                                            const char *soft_service);

/* ---- endpoint selection -------------------------------------------------- */

enum svp_active_why {
  SVP_AW_PROBE = 0,     /* eligible */
  SVP_AW_IDENTIFIED,    /* already hard-matched */
  SVP_AW_SCOPE,         /* address outside --scope */
  SVP_AW_EXCLUDED,      /* port in an Exclude line (see --allports) */
  SVP_AW_CLOSED,        /* not seen open */
  SVP_AW_GUESS,         /* TCP: server side only inferred, no handshake seen */
  SVP_AW_ADDRESS,       /* multicast, broadcast or unspecified address */
  SVP_AW_NOPROBE,       /* the rules have no probe for it (e.g. UDP at intensity 0) */
  SVP_AW_COUNT
};

/* "probe", "identified", "out of scope", "excluded", ... */
const char *svp_active_why_name(enum svp_active_why w);

struct svp_active_filter {
  const struct svp_scope *scope;
  const struct svp_ruleset *rs;
  int intensity;
  bool allports;
};

enum svp_active_why svp_active_check(const struct svp_active_filter *f,
                                     const struct svp_endpoint *ep);

/* ---- dry-run text -------------------------------------------------------- */

/* Bytes as nmap writes probe strings: printable ASCII as is (backslash and
 * double quote escaped), \0 \r \n \t, everything else \xHH. Always
 * NUL-terminates out (cut if needed); returns the length it needed. */
size_t svp_active_escape(const uint8_t *p, size_t n, char *out, size_t outsz);

/* ---- the prober -------------------------------------------------------- */

struct svp_active_stats {
  uint64_t endpoints_seen;           /* endpoints looked at */
  uint64_t skipped[SVP_AW_COUNT];    /* by reason (skipped[SVP_AW_PROBE] unused) */
  uint64_t endpoints_probed;         /* endpoints that got at least one probe */
  uint64_t probes_sent;              /* probes started (NULL probe included) */
  uint64_t connects;                 /* TCP connections opened */
  uint64_t hard, soft, tcpwrapped;   /* endpoints by outcome */
  uint64_t nomatch;                  /* every probe done, nothing matched */
  uint64_t unreachable;              /* refused, unreachable, connect timeout */
  uint64_t cut_max_probes;           /* stopped by --max-probes */
  uint64_t hosts_given_up;           /* hosts left alone after failing to accept */
  uint64_t unfinished;               /* still queued or running at the stop */
  bool stopped;                      /* the stop flag ended the run */
};

struct svp_active;

/* Create from the command line's active-mode fields (cfg->scope must
 * parse; main.c checked it). In dry-run mode the plan is written to
 * plan_out and nothing is sent. Returns SVP_OK, SVP_ERR_PARSE (scope,
 * reported through diag) or SVP_ERR_NOMEM. */
int svp_active_new(const struct svp_config *cfg, const struct svp_ruleset *rs,
                   struct svp_ident *id, struct svp_eptab *eps, struct svp_diag *diag,
                   FILE *plan_out, struct svp_active **out);

/* A flag checked in every wait; when it becomes non-zero all sockets are
 * closed and the run returns (what was learned stays in the table). */
void svp_active_set_stop(struct svp_active *a, const volatile int *flag);

/* Live capture: a sink that hands every flow to inner except the
 * connections the prober itself made (so its own probes and their replies
 * never count as passive evidence). Valid as long as a; inner is copied. */
const struct svp_flow_sink *svp_active_sink(struct svp_active *a,
                                            const struct svp_flow_sink *inner);

/* Live capture: one non-blocking step: queue endpoints unknown for longer
 * than cfg->probe_delay_s (looked at about once a second), handle socket
 * events, start probes the limits allow. Returns how long, in ms, the
 * caller may wait before the next call (1..1000). */
unsigned svp_active_tick(struct svp_active *a);

/* Offline: probe every eligible endpoint now (dry run: print the plan),
 * and return when all are done or the stop flag is set. Live, once the
 * capture has ended: finish the endpoints already queued unless the stop
 * flag is set (then close everything at once). Either way the stats are
 * complete afterwards. SVP_OK or SVP_ERR_NOMEM. */
int svp_active_run(struct svp_active *a);

const struct svp_active_stats *svp_active_stats(const struct svp_active *a);

void svp_active_free(struct svp_active *a);

#endif
