/* endpoint.h: identification results per server ip:port/proto.
 *
 * The endpoint table (endpoint.c) owns every struct svp_endpoint and what
 * it points to, except rule/probe pointers, which are borrowed from the
 * ruleset (it must outlive the table). Writers only read. */
#ifndef SVP_ENDPOINT_H
#define SVP_ENDPOINT_H

#include "svp/base/common.h"
#include "svp/reasm/flow.h"
#include "svp/rules/match.h"
#include "svp/rules/rules.h"
#include "svp/rules/template.h"
#include "svp/tls/tlsep.h"

/* How a result was obtained, best first. */
enum svp_method {
  SVP_M_NONE = 0,   /* nothing yet */
  SVP_M_BANNER,     /* server spoke first: the NULL probe's rules */
  SVP_M_REQRESP,    /* client spoke first: rules of the probe its request resembles */
  SVP_M_PORTPROBE,  /* rules of probes that list this port (weaker) */
  SVP_M_WIDE,       /* --wide: every rule of every probe (weakest match) */
  SVP_M_ACTIVE,     /* reply to a probe svpassive sent (--active) */
  SVP_M_TABLE,      /* nothing matched: nmap-services port-table guess */
  SVP_M_ANNOUNCE,   /* UDP: a server's message judged without a request in its
                       flow (BACnet I-Am, a ListIdentity reply to a broadcast,
                       an answer whose request was not captured), by the lines
                       of the probe for that protocol; ranks with port-probe */
  SVP_M_COUNT
};

/* "banner", "request-response", "port-probe", "wide", "active", "table",
 * "announcement" */
const char *svp_method_name(enum svp_method m);

/* Where the evidence for a result is. */
struct svp_evidence {
  struct svp_pktref pkt;     /* first server packet of the matched bytes */
  uint64_t flow_id;          /* flow that carried it */
  struct svp_addr client;    /* that flow's client */
  uint16_t client_port;
  bool midstream;            /* that flow was joined mid-conversation */
  uint32_t resp_len;         /* server bytes the rule was run on */
};

struct svp_result {
  enum svp_method method;
  enum svp_verdict verdict;        /* SVP_HARD, SVP_SOFT or SVP_NOMATCH (table guess) */
  uint8_t conf;                    /* 0..10 as nmap's <service conf>: 10 hard/soft
                                      on the expected probe, lower for weaker methods,
                                      8 tcpwrapped, 3 table */
  const char *service;             /* rule's service or table name; NULL = unknown */
  bool ssl;                        /* tunnel="ssl" */
  uint8_t tunnel_from;             /* enum svp_tunnel_from (tlsep.h): how the
                                      service inside the tunnel was decided */
  const struct svp_rule *rule;     /* matched line (NULL for table guesses) */
  const struct svp_probe *probe;   /* probe whose rules were used */
  struct svp_fields fields;
  struct svp_evidence ev;
};

enum svp_port_state { SVP_PS_OPEN = 0, SVP_PS_CLOSED };

/* Endpoint flags. */
enum {
  SVP_EF_MIDSTREAM = 1u << 0,  /* at least one flow was joined mid-conversation */
  SVP_EF_ALL_MIDSTREAM = 1u << 1, /* every flow was (no handshake ever seen) */
  SVP_EF_SRV_DATA = 1u << 2,   /* the server sent payload at least once */
  SVP_EF_CHANGED = 1u << 3,    /* different hard results over time: see history */
  SVP_EF_SERVER_GUESS = 1u << 4, /* server side only inferred (no SYN/SYN-ACK) */
};

struct svp_endpoint {
  struct svp_addr addr;
  uint16_t port;
  enum svp_l4 l4;
  enum svp_port_state state;
  const char *reason;              /* "syn-ack", "reset", "udp-response", "data" */
  uint8_t reason_ttl;
  uint32_t flags;                  /* SVP_EF_* */
  struct svp_result res;           /* current best result */
  struct svp_result *history;      /* earlier different hard results, oldest first */
  size_t n_history;
  const char *table_name;          /* nmap-services name for port/proto, or NULL */
  int64_t first_us, last_us;       /* capture time span */
  uint64_t n_flows;                /* flows to this endpoint */
  uint64_t n_clients;              /* distinct client addresses (exact up to a cap,
                                      then a lower bound; see clients_capped) */
  bool clients_capped;
  /* For endpoints without a hard match: the first server bytes and the
   * probe they answered, for the SF-Port fingerprint (dropped once a hard
   * line identifies the endpoint, and not kept at the table's bound). */
  const uint8_t *fp_data;
  uint32_t fp_len;                 /* bytes at fp_data (<= SVP_EP_FP_BYTES) */
  uint32_t fp_total;               /* server bytes that flow carried */
  const struct svp_probe *fp_probe; /* NULL: the client's request resembled no probe */
  bool fp_server_first;            /* those bytes came before any client byte */
  const uint8_t *fp_req;           /* the client's first bytes in that flow (may be NULL,
                                      at most SVP_EP_FP_REQ_BYTES) */
  uint32_t fp_req_len;
  struct svp_tls_ep *tls;          /* TLS seen on this endpoint (tlsep.h), or NULL */
};

/* ---- the endpoint table ---------------------------------------------- */

struct svp_eptab;

/* Outcome of one flow, as the identification layer hands it over. */
struct svp_flow_outcome {
  const struct svp_flow *flow;     /* borrowed for the call */
  const struct svp_result *res;    /* NULL: no payload from the server */
  /* For fingerprints of unidentified endpoints: the probe the server's
   * bytes answered (NULL = none resembled) and whether it spoke first. */
  const struct svp_probe *probe;
  bool server_first;
  const struct svp_tls_hs *tls;    /* the flow's TLS handshake (tls.h), or NULL */
  /* The whole plan ran on this flow (see the matching budget below), and
   * the shape of its first server bytes. */
  bool planned;
  uint32_t shape;
};

/* ---- the matching budget (for ident.c) ----------------------------------
 * Matching cost is bounded per endpoint, not per flow. The table remembers,
 * per endpoint, the lines that gave it its results (most recent first, at
 * most SVP_EP_LINES) and the shapes of the first server bytes (a cheap
 * signature, not their value: ident.c computes it) of the flows that ran
 * the whole plan. ident.c re-checks a later flow with those lines alone;
 * the whole plan runs again only when a line missed on a flow's final
 * bytes (a change of program, or odd bytes), or, unless a versioned hard
 * line settled the flow, when the exchange has a shape not seen yet or
 * more server bytes than any whole plan saw on this endpoint.
 * Either way with backoff: after SVP_EP_FREE_PLANS whole plans in a row
 * that taught the endpoint nothing new, the next one waits for 1, 2, 4 ...
 * more flows (at most 2^20). A whole plan that changes the endpoint's
 * result (first result, another program, more detail) resets the backoff.
 * So whole plans per endpoint stay within a few plus about log2(flows),
 * plus a few per real change. */
#define SVP_EP_LINES 4
#define SVP_EP_SHAPES 8
#define SVP_EP_FREE_PLANS 4

struct svp_ep_line {
  const struct svp_rule *rule;     /* borrowed from the ruleset */
  const struct svp_probe *probe;   /* the plan step's probe it came through */
  enum svp_method method;
};

/* The endpoint's known lines (most recent first) in *out; returns how many. */
unsigned svp_eptab_lines(const struct svp_endpoint *ep, const struct svp_ep_line **out);

/* Has a flow with bytes of this shape run the whole plan on ep? */
bool svp_eptab_shape_known(const struct svp_endpoint *ep, uint32_t shape);

/* May a flow of this shape run the whole plan on ep (NULL: a new endpoint,
 * always)? Only if something about it is new: a shape no whole plan saw
 * here, more server bytes (len, 0 while they may still grow) than any whole
 * plan saw here, or line_missed (the endpoint's lines all missed on the
 * flow's final bytes); and then within the backoff. */
bool svp_eptab_plan_wanted(const struct svp_endpoint *ep, uint32_t shape, uint32_t len,
                           bool line_missed);

/* Memory. The table counts what it allocates: a fixed part per endpoint
 * (about 1.2 KB: the result with its fields, counters, the matching
 * budget), the fingerprint bytes of endpoints no hard line identified (at
 * most SVP_EP_FP_BYTES + SVP_EP_FP_REQ_BYTES: what a fingerprint shows),
 * the distinct-client sets (up to 2 KB for an endpoint with 256 clients),
 * the histories of endpoints whose program changed and the hash index.
 * The bound (svp_eptab_set_mem_limit, --endpoint-mem; default
 * SVP_EPTAB_MEM_DEFAULT) is what the table gives up past it, never an
 * endpoint or a result: every endpoint is still listed with its result,
 * history and counters, but new fingerprints are no longer kept (those
 * endpoints are listed without an SF-Port fingerprint: fp_refused counts
 * them) and client sets that would grow are dropped (their client count
 * becomes a lower bound, clients_capped: clients_dropped). Past the bound
 * the table grows by the fixed part per new endpoint only. */
#define SVP_EP_FP_BYTES 900        /* server bytes kept for a fingerprint (nmap shows 900) */
#define SVP_EP_FP_REQ_BYTES 256    /* client bytes kept beside them */
#define SVP_EPTAB_MEM_DEFAULT (64ull << 20)

struct svp_eptab_mem {
  uint64_t now, peak, limit;       /* bytes */
  uint64_t fp_refused;             /* fingerprints not kept at the bound */
  uint64_t clients_dropped;        /* client sets dropped at the bound */
};

int svp_eptab_new(struct svp_eptab **out);
void svp_eptab_free(struct svp_eptab *t);
void svp_eptab_set_mem_limit(struct svp_eptab *t, uint64_t bytes);
const struct svp_eptab_mem *svp_eptab_mem(const struct svp_eptab *t);

/* Endpoint for addr:port/l4, or NULL if unknown. Owned by the table. */
const struct svp_endpoint *svp_eptab_find(const struct svp_eptab *t,
                                          const struct svp_addr *addr,
                                          uint16_t port, enum svp_l4 l4);

/* If the endpoint's result was obtained from these server bytes, copy it
 * into *out and return true: the caller may skip matching. A hard result
 * needs the same leading bytes (the ones its line matched); a softmatch,
 * which a final judgement of the whole flow gave, needs all of the flow's
 * server bytes to be the same. */
bool svp_eptab_reuse(const struct svp_eptab *t, const struct svp_flow *f,
                     struct svp_result *out);

/* Merge one finished flow into its server's endpoint (created on first
 * use). Rules: hard beats soft beats none; a different later softmatch is
 * ignored (nmap); a weaker method does not override a stronger hard
 * result; a hard result that names a different service or product/version
 * than the current one moves the current one into the history (service
 * changed during the capture). Returns SVP_OK or SVP_ERR_NOMEM. */
int svp_eptab_add(struct svp_eptab *t, const struct svp_flow_outcome *o);

/* A flow already handed over with svp_eptab_add() has ended: update the
 * endpoint's last-seen time (no other change). */
void svp_eptab_touch(struct svp_eptab *t, const struct svp_flow *f);

/* Record a result that did not come from a captured flow (active mode). */
int svp_eptab_add_result(struct svp_eptab *t, const struct svp_addr *addr,
                         uint16_t port, enum svp_l4 l4,
                         const struct svp_result *r);

size_t svp_eptab_count(const struct svp_eptab *t);

/* All endpoints, sorted by family, address, protocol, port, in a malloc'd
 * array the caller frees (the endpoints stay owned by the table). */
int svp_eptab_sorted(const struct svp_eptab *t,
                     const struct svp_endpoint ***out, size_t *n);

/* Fill table_name for every endpoint from a lookup function (nmap-services)
 * and turn "nothing matched" results into port-table guesses. An endpoint
 * that nmap's rules call "ssl" and that spoke TLS gets the service inside
 * the tunnel (tlsep.h): from the ALPN protocol its server chose, else the
 * port's name if it is a TLS service's ("https", "imaps", ...), with
 * nmap's port-table confidence (3); otherwise it stays "ssl"; tunnel_from says
 * which, and the TLS rule's fields (its "TLSv1.2" product), which the
 * endpoint's TLS record now carries, are cleared as nmap clears them when
 * it looks inside the tunnel. */
void svp_eptab_apply_table(struct svp_eptab *t,
                           const char *(*lookup)(void *ud, enum svp_l4 l4, uint16_t port),
                           void *ud);

#endif
