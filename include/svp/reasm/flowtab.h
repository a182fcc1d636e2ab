/* flowtab.h: the flow table. It owns every struct svp_flow (flow.h), routes
 * each decoded TCP/UDP packet to the reassembler its flow uses, and calls
 * the consumer's struct svp_flow_sink exactly as flow.h says.
 *
 * Routing (per TCP flow, decided when the flow is created, revised by
 * hand-offs):
 *   - IPv4 flow that starts with a pure SYN: libnids (reasm_nids.c) while
 *     it behaves: in-order segments after a complete handshake;
 *   - everything else: the lite reassembler (reasm_lite.c): IPv6, flows
 *     joined mid-conversation, a server packet before the client's ACK,
 *     out-of-order or missing segments, snap-length cuts, segments libnids
 *     refuses. A libnids flow is handed to lite at the first such packet,
 *     with the stream positions libnids reached, and libnids' stream is
 *     released (SVP_FF_HANDOFF).
 *   - UDP: the datagram pairer (udp.c): a request and its answer, by the
 *     protocol's header where it says which is which (reverse views for
 *     symmetric peers, fresh-port answers), else the first datagram of
 *     each side.
 * Only flows still collecting reach a reassembler: once the consumer has
 * decided (on_data returned true) or the server bytes reached their limit,
 * the flow keeps only its counters (a tombstone) until it ends.
 *
 * A TCP flow closes on RST or on a FIN from both sides (SVP_FF_RST,
 * SVP_FF_FIN): reassembly stops at once, but the flow lingers for
 * SVP_FT_CLOSE_LINGER_S of capture time before its on_end, so that stray
 * ACKs and retransmissions after the close are counted in it instead of
 * becoming new mid-stream flows, and so that a SYN retried with the same
 * ISN after a refusal (RST to the first SYN) continues the same flow. A
 * sink with on_close judges the flow when it closes and its bytes are
 * freed then: only the tombstone lingers. At most max_flows /
 * SVP_FT_CLOSED_SHARE closed flows (at least SVP_FT_CLOSED_MIN) linger at
 * once: past that the oldest closed flow ends early (counted in
 * closed_dropped), so that the tombstones of a busy link stay a fixed
 * amount of memory (62,500 at the default --max-flows: 12 s of linger at
 * 5,000 closing flows a second) instead of 60 s worth of them. A
 * flow also ends when a new SYN reuses its 4-tuple (SVP_FF_REUSED), after
 * idle_timeout_s of capture time without a packet (SVP_FF_TIMEOUT), when
 * the table needs room (SVP_FF_EVICTED), or at svp_flowtab_flush
 * (SVP_FF_EOF). One on_end per flow, always.
 *
 * Bounds: at most max_flows flows and flow_mem_mb of memory for flow
 * records, kept bytes, out-of-order buffers and the hash index (libnids'
 * own preallocated table is counted as a fixed part). When a bound is hit
 * the table ends closed (lingering) flows first, then the least recently
 * active open flows (SVP_FF_EVICTED). Every flow created is accounted in
 * exactly one "ended" counter.
 *
 * Not thread-safe; one table per thread. The only process-wide state is
 * libnids' (see reasm.h): one table at a time can use libnids, a second
 * one runs everything through the lite reassembler. */
#ifndef SVP_FLOWTAB_H
#define SVP_FLOWTAB_H

#include "svp/base/common.h"
#include "svp/base/config.h"
#include "svp/capture/decode.h"
#include "svp/base/diag.h"
#include "svp/reasm/flow.h"

#define SVP_FT_CLOSE_LINGER_S 60 /* capture seconds a closed 4-tuple absorbs strays */
#define SVP_FT_CLOSED_SHARE 16   /* closed flows lingering: at most max_flows / this */
#define SVP_FT_CLOSED_MIN 1024

struct svp_flowtab;
struct svp_services;

/* Why a libnids flow moved to the lite reassembler. */
enum svp_handoff {
  SVP_HO_PREEST_SERVER = 0, /* server payload before the handshake completed */
  SVP_HO_NOT_ESTABLISHED,   /* client payload libnids could not attach (lost SYN-ACK, ...) */
  SVP_HO_OUT_OF_ORDER,      /* segment beyond the next expected byte (hole or reordering) */
  SVP_HO_REFUSED,           /* in-order segment libnids did not deliver (window, PAWS, ...) */
  SVP_HO_TRUNCATED,         /* packet cut by the snap length */
  SVP_HO_EVICTED,           /* libnids' stream table was full */
  SVP_HO_NIDS_DEAD,         /* libnids ran out of memory and was switched off */
  SVP_HO_COUNT
};
const char *svp_handoff_name(enum svp_handoff h);

/* How flows ended. */
enum svp_flow_end {
  SVP_END_FIN = 0, SVP_END_RST, SVP_END_REUSED, SVP_END_TIMEOUT, SVP_END_EVICTED,
  SVP_END_EOF, SVP_END_COUNT
};
const char *svp_flow_end_name(enum svp_flow_end e);

/* Checksum verdicts applied (see --checksum in main.c and csum.h). */
enum svp_csum_count {
  SVP_CSC_GOOD = 0, SVP_CSC_UNCHECKED, SVP_CSC_OFFLOAD, SVP_CSC_BAD_KEPT,
  SVP_CSC_BAD_DROPPED, SVP_CSC_NOT_CHECKED, SVP_CSC_COUNT
};

struct svp_flowtab_stats {
  uint64_t packets;                  /* TCP/UDP packets given to the table */
  uint64_t tombstone_packets;        /* ... of flows no longer collecting */
  uint64_t flows_created[3];         /* by reassembler at creation: enum svp_reasm */
  uint64_t flows_ended[SVP_END_COUNT];
  uint64_t flows_live;               /* created - ended */
  uint64_t flows_peak;               /* most flows held at once */
  uint64_t handoffs[SVP_HO_COUNT];   /* libnids -> lite */
  uint64_t decided;                  /* flows the consumer decided early */
  uint64_t full;                     /* flows whose server bytes hit the limit */
  uint64_t midstream;                /* TCP flows joined mid-conversation */
  uint64_t basis[SVP_SB_COUNT];      /* TCP+UDP flows by server-side basis */
  uint64_t gaps;                     /* holes skipped (both directions) */
  uint64_t closed_dropped;           /* closed flows ended before their linger, for room */
  uint64_t stray_absorbed;           /* packets after a flow closed (counted in it) */
  uint64_t old_segments;             /* lite: segments entirely before the stream position */
  uint64_t ooo_dropped_bytes;        /* lite: buffered bytes over the bound */
  uint64_t csum[SVP_CSC_COUNT];      /* checksum verdicts */
  uint64_t mem_peak;                 /* bytes, as accounted */
  uint64_t mem_now;
  uint64_t mem_limit;
  uint64_t nids_fed;                 /* packets given to libnids */
  uint64_t nids_streams;             /* libnids stream table size (streams) */
  uint64_t nids_warn[4][10];         /* libnids warnings by type and kind (nids.h) */
  uint64_t nids_frag_datagrams;      /* IPv4 datagrams rebuilt from fragments */
  uint64_t udp_peer_views;           /* UDP reverse views made (SVP_FF_PEER flows) */
  uint64_t udp_announce_held;        /* UDP announcements kept back for an answer */
  uint64_t udp_fresh_port;           /* UDP answers from a fresh port (SVP_FF_ALTPORT) */
  bool nids_available;               /* libnids in use by this table */
};

/* Create a table reading limits from cfg (max_flows, flow_mem_mb,
 * idle_timeout_s, srv_bytes, cli_bytes, csum). svc (may be NULL) supplies
 * nmap-services port names for the server-side guess; borrowed, must
 * outlive the table. The sink is copied. diag receives warnings. */
int svp_flowtab_new(const struct svp_config *cfg, const struct svp_flow_sink *sink,
                    const struct svp_services *svc, struct svp_diag *diag,
                    struct svp_flowtab **out);

/* Ports the rule files list for a probe (nmap's ports and sslports
 * lines), lo..hi inclusive: for a flow without handshake such a port counts
 * as a server's (see svp_port_server_score, reasm.h). Call before the
 * first packet. Returns SVP_OK or SVP_ERR_NOMEM. */
int svp_flowtab_listed_ports(struct svp_flowtab *ft, enum svp_l4 l4, uint16_t lo,
                             uint16_t hi);

/* A new input begins (file index as in struct svp_pktref; name for
 * messages): the checksum policy's learning restarts. */
void svp_flowtab_input(struct svp_flowtab *ft, uint32_t file, const char *name);

/* One decoded packet (svp_decode returned SVP_DW_OK) of frame ref. */
void svp_flowtab_packet(struct svp_flowtab *ft, const struct svp_pkt *p,
                        const struct svp_pktref *ref);

/* An IPv4 fragment (svp_decode returned SVP_DW_FRAG_LATER): goes to
 * libnids' defragmenter; a datagram it completes comes back through the
 * table like any packet. Without libnids the fragment is counted and
 * dropped. Returns true if it was taken. */
bool svp_flowtab_fragment(struct svp_flowtab *ft, const struct svp_pkt *p,
                          const struct svp_pktref *ref);

/* Capture time moved to now_us without a packet (live idle): expire. */
void svp_flowtab_tick(struct svp_flowtab *ft, int64_t now_us);

/* End every flow (on_end with SVP_FF_EOF), e.g. at the end of the input. */
void svp_flowtab_flush(struct svp_flowtab *ft);

const struct svp_flowtab_stats *svp_flowtab_stats(const struct svp_flowtab *ft);

/* Flows held now. */
uint64_t svp_flowtab_count(const struct svp_flowtab *ft);

/* Frees everything; flows still held are dropped WITHOUT on_end (call
 * svp_flowtab_flush first). */
void svp_flowtab_free(struct svp_flowtab *ft);

#endif
