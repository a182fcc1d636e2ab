/* flow.h: one record per transport conversation, whichever reassembler
 * (libnids, the lite reassembler, the UDP pairer) feeds it.
 *
 * This is the contract between the capture layer (capture, decode,
 * reassembly, flow table) and the identification layer: the flow table
 * owns every struct svp_flow and its byte buffers; consumers borrow them
 * during a sink callback and must not keep pointers after svp_flow_sink
 * .on_end returns. Timestamps are capture time (microseconds since the
 * epoch), never wall time. */
#ifndef SVP_FLOW_H
#define SVP_FLOW_H

#include "svp/base/common.h"

/* An IPv4 or IPv6 address. IPv4 uses b[0..3], the rest is zero. */
struct svp_addr {
  uint8_t family; /* 4 or 6 */
  uint8_t b[16];
};

#define SVP_ADDR_STRLEN 46 /* INET6_ADDRSTRLEN */

/* Text form ("10.0.0.1", "fe80::1"); returns buf. */
char *svp_addr_str(const struct svp_addr *a, char *buf, size_t len);
int svp_addr_cmp(const struct svp_addr *a, const struct svp_addr *b);

/* Where a packet came from: input file index (order of -r options, 0 for
 * live), 1-based frame number in that file, capture timestamp. */
struct svp_pktref {
  uint32_t file;
  uint64_t frame;
  int64_t ts_us;
};

/* How the flow table decided which side is the server. */
enum svp_server_basis {
  SVP_SB_SYN = 0,   /* saw the client's SYN (receiver is the server) */
  SVP_SB_SYNACK,    /* saw the server's SYN-ACK */
  SVP_SB_PORT,      /* no handshake: the known/lower port is the server */
  SVP_SB_PAYLOAD,   /* no handshake: payload shape (banner, request, response) */
  SVP_SB_FIRST,     /* only guess left: receiver of the first packet seen */
  SVP_SB_COUNT
};

/* How sure the flow table is about the server side. */
enum svp_server_conf { SVP_SC_LOW = 0, SVP_SC_MEDIUM, SVP_SC_HIGH };

enum svp_reasm { SVP_RA_NIDS = 0, SVP_RA_LITE, SVP_RA_UDP };

/* Flow flags. */
enum {
  SVP_FF_MIDSTREAM = 1u << 0,   /* no handshake seen: joined mid-conversation */
  SVP_FF_SYNACK = 1u << 1,      /* server answered a SYN (port open) */
  SVP_FF_REFUSED = 1u << 2,     /* server answered the SYN with RST */
  SVP_FF_SRV_FIRST = 1u << 3,   /* server sent payload before the client did */
  SVP_FF_FIN = 1u << 4,         /* closed with FIN */
  SVP_FF_RST = 1u << 5,         /* closed with RST */
  SVP_FF_TIMEOUT = 1u << 6,     /* ended by idle timeout */
  SVP_FF_EVICTED = 1u << 7,     /* ended early: table full */
  SVP_FF_REUSED = 1u << 8,      /* 4-tuple reused after this flow (new flow made) */
  SVP_FF_SNAPLEN = 1u << 9,     /* some payload was cut by the capture snaplen */
  SVP_FF_DECIDED = 1u << 10,    /* consumer decided; bytes no longer collected */
  SVP_FF_EOF = 1u << 11,        /* still open at the end of the input */
  /* added by the capture layer */
  SVP_FF_HANDOFF = 1u << 12,    /* started in libnids, finished in the lite reassembler */
  SVP_FF_FULL = 1u << 13,       /* server bytes reached the limit: collection stopped */
  SVP_FF_GAP = 1u << 14,        /* a hole was skipped in some direction (see svp_dir.gaps) */
  /* UDP (udp.c) */
  SVP_FF_PEER = 1u << 15,       /* the reverse view of another flow: its client side
                                   answered requests too (symmetric peers) */
  SVP_FF_ALTPORT = 1u << 16,    /* the server answered from another port (alt_sport,
                                   a TFTP transfer ID); that transfer is counted here */
};

/* First bytes of one direction, in stream order (TCP); for UDP one
 * datagram: see svp_flow_sink.on_data. */
struct svp_dir {
  uint8_t *data;           /* owned by the flow table; NULL if nothing kept */
  uint32_t len;            /* bytes kept in data (<= the table's limit) */
  uint32_t gap_at;         /* offset in data of the first hole, UINT32_MAX if none */
  uint32_t gaps;           /* holes skipped (bytes missing from the capture) */
  uint32_t pkts;           /* payload-carrying packets / datagrams seen */
  uint64_t bytes;          /* payload bytes seen, kept or not */
  struct svp_pktref first; /* first payload packet of this direction */
  uint8_t ttl;             /* IP TTL / hop limit of the first packet */
  uint32_t segs;           /* all packets of this direction, with or without payload */
};

enum svp_dir_id { SVP_C2S = 0, SVP_S2C = 1 };

struct svp_flow {
  struct svp_addr cli, srv;
  uint16_t cport, sport;
  enum svp_l4 l4;
  uint16_t vlan;           /* outermost VLAN id, 0 if untagged */
  enum svp_server_basis basis;
  enum svp_server_conf conf;
  enum svp_reasm reasm;
  uint32_t flags;          /* SVP_FF_* */
  struct svp_dir dir[2];   /* [SVP_C2S], [SVP_S2C] */
  struct svp_pktref first; /* first packet of the flow */
  int64_t last_us;         /* capture time of the latest packet */
  uint8_t synack_ttl;      /* TTL of the SYN-ACK, 0 if none (XML reason_ttl) */
  uint16_t alt_sport;      /* UDP, SVP_FF_ALTPORT: the port the server answered from */
  uint64_t id;             /* sequence number, unique in the run */
  uint32_t keep[2];        /* set by the consumer in on_data: keep up to this many
                              bytes of each direction for this flow instead of the
                              table's limit (srv_bytes/cli_bytes) when larger; at
                              most SVP_FLOW_KEEP_MAX. 0: the table's limit. A TLS
                              handshake uses it to be read to its end (tls.h). */
  void *user;              /* free for the consumer; the table never touches it */
};

#define SVP_FLOW_KEEP_MAX (128u * 1024) /* bound on svp_flow.keep */

/* How the identification layer hears about flows. The capture layer calls
 * these synchronously, in capture order. */
struct svp_flow_sink {
  /* New in-order bytes were appended to f->dir[dir] (TCP), or a datagram
   * was stored (UDP: dir[].data holds one datagram of each side: the
   * first, or where its protocol says who asks and who answers
   * (src/proto/udpmsg.c), the client's latest request before the answer
   * and the server's answer; dir[].first is that datagram's packet). A
   * UDP flow whose client side answers too gets a second flow for that
   * view (SVP_FF_PEER), with its own calls.
   * Return true once the consumer has decided: the flow table then stops
   * collecting bytes for this flow, frees its buffers and releases the
   * reassembler state; on_end still comes later. */
  bool (*on_data)(void *ud, struct svp_flow *f, enum svp_dir_id dir);
  /* The flow is over (FIN/RST, timeout, eviction, end of input: see flags).
   * Every flow gets exactly one on_end, including flows that never carried
   * payload (an answered SYN is an open port). f is freed after return. */
  void (*on_end)(void *ud, struct svp_flow *f);
  /* Optional. TCP closed the flow (FIN both ways, or RST) while it was
   * still collecting: no more bytes will come (a SYN retried after a
   * refusal could reopen a flow that carried none). The consumer judges it
   * now; the flow table then frees its byte buffers, and the flow lingers
   * as a tombstone until its on_end (see flowtab.h), so that the bytes of
   * closed flows are not held through the linger. */
  void (*on_close)(void *ud, struct svp_flow *f);
  void *ud;
};

#endif
