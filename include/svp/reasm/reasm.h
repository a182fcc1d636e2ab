/* reasm.h: seams inside the capture layer, between the flow table
 * (flowtab.c) and what feeds it: the libnids glue (reasm_nids.c), the lite
 * TCP reassembler (reasm_lite.c), the UDP pairer (udp.c) and the server-side
 * guess (srvside.c). The identification layer uses flow.h and pipeline.h,
 * never this header.
 *
 * Ownership: the flow table owns every struct svp_ftent and the buffers in
 * its struct svp_flow; a reassembler owns the state it hangs on the entry
 * (e->lite) and frees it in its _free function, which the table calls. A
 * reassembler never frees an entry: it reports through svp_ft_deliver /
 * svp_ft_gap and the table acts once the packet is done. */
#ifndef SVP_REASM_H
#define SVP_REASM_H

#include "svp/capture/decode.h"
#include "svp/reasm/flow.h"
#include "svp/reasm/flowtab.h"

struct svp_lite;
struct svp_nids;
struct svp_services;
struct svp_udpst;
struct svp_udptab;

/* ACTIVE: the connection is open. CLOSED: FIN from both sides or RST seen;
 * the flow lingers (absorbing strays, or revived by a retried SYN after a
 * refusal) and gets its on_end when the linger ends. */
enum svp_ft_state { SVP_FT_ACTIVE = 0, SVP_FT_CLOSED };

/* One flow as the table holds it. Entries start on a cache line (slab.h)
 * and a hash lookup reads only the first: hnext, hash and f's addresses,
 * ports and l4. */
struct svp_ftent {
  struct svp_ftent *hnext;       /* hash chain */
  uint32_t hash;
  uint8_t state;                 /* enum svp_ft_state */
  uint8_t fin;                   /* FIN seen: bit SVP_C2S from the client, bit SVP_S2C ... */
  uint8_t end_why;               /* enum svp_flow_end of a closed (lingering) flow */
  struct svp_flow f;             /* what the consumer sees */
  struct svp_ftent *prev, *next; /* recency list (active or closed) */
  bool collecting;               /* bytes still wanted (not decided, not full) */
  bool in_nids;                  /* libnids holds a stream for this flow */
  bool nids_est;                 /* libnids reported the handshake complete */
  bool delivered;                /* bytes went to the consumer: orientation is fixed */
  bool ended;                    /* on_end was called */
  bool isn_known[2];             /* isn[d] valid: SYN (C2S) / SYN-ACK (S2C) seen */
  uint32_t isn[2];
  uint32_t nids_got[2];          /* bytes libnids delivered, per direction */
  struct svp_lite *lite;         /* lite reassembler state, or NULL */
  struct svp_udpst *udp;         /* UDP pairer state (udp.c), or NULL */
  uint32_t cap[2];               /* allocated size of f.dir[d].data (0: none or borrowed) */
};

/* ---- flow table services for the reassemblers (flowtab.c) ---- */

/* New in-order bytes of direction d: appended to what the flow keeps (up
 * to the direction's limit) and passed to the sink's on_data. Returns true
 * while the flow still wants bytes; false once it stopped collecting
 * (decided or full): the caller must stop feeding and must not touch
 * e->lite afterwards in this call chain beyond returning. */
bool svp_ft_deliver(struct svp_flowtab *ft, struct svp_ftent *e, enum svp_dir_id d,
                    const uint8_t *data, size_t len);

/* missing bytes of direction d were never captured: mark the hole. */
void svp_ft_gap(struct svp_flowtab *ft, struct svp_ftent *e, enum svp_dir_id d,
                uint64_t missing);

/* Memory the reassembler holds for e changed by delta bytes. */
void svp_ft_mem(struct svp_flowtab *ft, int64_t delta);

/* The stats block (reassemblers add their counters). */
struct svp_flowtab_stats *svp_ft_stats(struct svp_flowtab *ft);

/* The packet being processed (file, frame, capture time). */
const struct svp_pktref *svp_ft_cur_ref(const struct svp_flowtab *ft);

/* Bytes a flow keeps of direction d. */
uint32_t svp_ft_limit(const struct svp_flowtab *ft, enum svp_dir_id d);

/* The consumer, for flows a reassembler makes besides the table's own
 * (udp.c's reverse views); and a fresh flow id for them. */
const struct svp_flow_sink *svp_ft_sink(const struct svp_flowtab *ft);
uint64_t svp_ft_new_id(struct svp_flowtab *ft);

/* The UDP pairer's index (owned by the table). */
struct svp_udptab *svp_ft_udptab(struct svp_flowtab *ft);

/* The IPv4 TCP flow client saddr:sport -> server daddr:dport (addresses in
 * network byte order as 4 bytes), or NULL. */
struct svp_ftent *svp_ft_find_tcp4(struct svp_flowtab *ft, const uint8_t saddr[4],
                                   uint16_t sport, const uint8_t daddr[4], uint16_t dport);

/* libnids let go of e's stream on its own (table full, reset, close): the
 * flow continues in the lite reassembler if it still collects. Called from
 * inside libnids callbacks: only marks the entry. */
void svp_ft_nids_gone(struct svp_flowtab *ft, struct svp_ftent *e, bool evicted);

/* A datagram libnids rebuilt from fragments (copied by the caller). */
void svp_ft_defragmented(struct svp_flowtab *ft, const uint8_t *ip, size_t len);

/* ---- lite TCP reassembler (reasm_lite.c) ---- */

/* Start lite state for e (no-op if present). next[d] is the next sequence
 * number of direction d if known[d]. Returns SVP_OK or SVP_ERR_NOMEM. */
int svp_lite_attach(struct svp_flowtab *ft, struct svp_ftent *e, const bool known[2],
                    const uint32_t next[2]);

/* One packet of direction d. */
void svp_lite_packet(struct svp_flowtab *ft, struct svp_ftent *e, enum svp_dir_id d,
                     const struct svp_pkt *p);

/* Deliver everything buffered, skipping the holes (flow end, decision). */
void svp_lite_flush(struct svp_flowtab *ft, struct svp_ftent *e);

/* Swap the two directions (server side revised before any delivery). */
void svp_lite_swap(struct svp_ftent *e);

void svp_lite_free(struct svp_flowtab *ft, struct svp_ftent *e);

/* ---- libnids glue (reasm_nids.c, the only file that includes nids.h) ---- */

/* Take libnids for this table with a stream table of `streams` entries.
 * Returns SVP_OK, SVP_ERR_LIMIT if another table holds libnids (process-wide
 * state), SVP_ERR_PCAP/NOMEM if it cannot start. */
int svp_nids_open(struct svp_flowtab *ft, unsigned streams, struct svp_nids **out);

/* Feed one TCP packet of e (IPv4, fully captured). Returns SVP_OK, or
 * SVP_ERR_NOMEM when libnids ran out of memory: it is then switched off
 * for good (svp_nids_dead) and its streams are abandoned. */
int svp_nids_feed(struct svp_nids *n, struct svp_ftent *e, const struct svp_pkt *p,
                  int64_t ts_us);

/* Feed an IPv4 fragment; completed datagrams come back through
 * svp_ft_defragmented after this returns. */
int svp_nids_fragment(struct svp_nids *n, const struct svp_pkt *p, int64_t ts_us);

/* Release libnids' stream of e (never from inside a libnids callback). */
void svp_nids_release(struct svp_nids *n, struct svp_ftent *e);

bool svp_nids_dead(const struct svp_nids *n);

/* Bytes libnids preallocated (counted against the memory bound). */
uint64_t svp_nids_fixed_mem(const struct svp_nids *n);

void svp_nids_close(struct svp_nids *n);

/* True while a libnids callback is running (the table defers work). */
bool svp_nids_in_callback(const struct svp_nids *n);

/* ---- UDP pairs (udp.c; what it keeps and why is in its header comment) ---- */

int svp_udptab_new(struct svp_udptab **out);
void svp_udptab_free(struct svp_udptab *t);

/* One datagram of direction d of UDP flow e (call while svp_udp_wants). */
void svp_udp_packet(struct svp_flowtab *ft, struct svp_ftent *e, enum svp_dir_id d,
                    const struct svp_pkt *p);

/* True while e's datagrams still matter: its bytes are collected, or (for
 * a flow whose datagrams a protocol recognised) a view of it is not
 * decided yet or the client side may still answer (reverse view). */
bool svp_udp_wants(const struct svp_ftent *e);

/* A UDP packet whose 4-tuple has no flow: the flow it belongs to through a
 * fresh-port answer (the first one marks the flow SVP_FF_ALTPORT) or an
 * earlier one of the same transfer, or NULL. The caller then handles the
 * packet as one of that flow's (dir_of, account, svp_udp_packet). */
struct svp_ftent *svp_udp_lookup(struct svp_flowtab *ft, const struct svp_pkt *p);

/* The flow ends: announcements kept back go to the consumer (before the
 * flow's end flags are set), then the reverse view gets its on_end (after
 * they are set, before the flow's own on_end). */
void svp_udp_flush(struct svp_flowtab *ft, struct svp_ftent *e);
void svp_udp_end_peer(struct svp_flowtab *ft, struct svp_ftent *e);

/* Free e's UDP state (entry_free; a reverse view not ended is dropped). */
void svp_udp_free(struct svp_flowtab *ft, struct svp_ftent *e);

/* ---- server side (srvside.c) ---- */

/* What the server-side guess knows about ports. */
struct svp_portinfo {
  const struct svp_services *svc;  /* nmap-services names; may be NULL */
  const uint8_t *listed_tcp;       /* bitmaps (65536 bits) of the ports rule files */
  const uint8_t *listed_udp;       /* list for a probe (ports/sslports); NULL: none */
};

/* How much a port looks like a server's: 4 below 1024, 3 named in
 * nmap-services (not "unknown") below 32768, 1 other registered-range
 * (1024-32767) or named dynamic-range port, 0 unnamed dynamic/ephemeral
 * port; plus 3 when a probe of the rules lists it for l4, 2 when only
 * for the other protocol (in the dynamic range only if it is named too).
 * pi may be NULL. */
int svp_port_server_score(const struct svp_portinfo *pi, enum svp_l4 l4, uint16_t port);

/* Role of a payload's sender from its shape: +1 it is a client's request
 * (HTTP method, TLS ClientHello, SSH-less protocols' commands...), -1 a
 * server's response or banner (HTTP status line, TLS ServerHello, 220/+OK
 * banners, MySQL greeting...), 0 cannot tell. */
int svp_payload_role(enum svp_l4 l4, const uint8_t *p, size_t n);

struct svp_side {
  bool a_is_server;              /* endpoint A (sender of the packet) is the server */
  enum svp_server_basis basis;
  enum svp_server_conf conf;
};

/* Decide which of A (sender of the first packet seen) and B is the server
 * of a flow without handshake, from the first payload A sent (if n > 0),
 * else from their ports' scores (the higher one), else A's receiver. */
struct svp_side svp_guess_side(const struct svp_portinfo *pi, enum svp_l4 l4,
                               uint16_t aport, uint16_t bport, const uint8_t *payload,
                               size_t n);

#endif
