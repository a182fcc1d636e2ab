/* decode.h: from one captured frame to its IP packet and TCP/UDP header.
 *
 * svp_decode() walks the link layer (any stack of 802.1Q/802.1ad tags,
 * MPLS, PPPoE, LLC/SNAP, Linux SLL/SLL2, BSD NULL/LOOP, raw IP, PPP, HDLC,
 * 802.11 data frames behind radiotap/PPI/Prism, ARCnet, pflog, nflog),
 * then IPv4 (with options) or IPv6 (with its extension headers), then
 * simple IP tunnels (IP-in-IP, 6in4, GRE, VXLAN) down to the innermost
 * IP packet, and fills a struct svp_pkt whose pointers borrow the frame.
 * Every read is bounds-checked with struct svp_cur; nothing is modified.
 *
 * A frame that cannot be decoded yields a reason (enum svp_dec_why); the
 * caller counts it. Reasons below SVP_DW_FIRST_ERROR are normal traffic
 * this layer does not carry on (ARP, ICMP, ...), the others are defects
 * of the frame or limits of the decoder. */
#ifndef SVP_DECODE_H
#define SVP_DECODE_H

#include "svp/base/common.h"
#include "svp/reasm/flow.h"

/* Link-layer types (pcap LINKTYPE_ values; the few DLT_ aliases that
 * differ on some platforms are accepted too). */
enum {
  SVP_LT_NULL = 0,
  SVP_LT_EN10MB = 1,
  SVP_LT_PPP = 9,
  SVP_LT_RAW_DLT12 = 12,  /* DLT_RAW on most systems */
  SVP_LT_RAW_DLT14 = 14,  /* DLT_RAW on OpenBSD */
  SVP_LT_PPP_HDLC = 50,
  SVP_LT_PPP_ETHER = 51,
  SVP_LT_RAW = 101,
  SVP_LT_C_HDLC = 104,
  SVP_LT_IEEE802_11 = 105,
  SVP_LT_LOOP = 108,
  SVP_LT_ENC = 109,
  SVP_LT_LINUX_SLL = 113,
  SVP_LT_PFLOG = 117,
  SVP_LT_PRISM = 119,
  SVP_LT_RADIOTAP = 127,
  SVP_LT_ARCNET_LINUX = 129,
  SVP_LT_PPI = 192,
  SVP_LT_IPV4 = 228,
  SVP_LT_IPV6 = 229,
  SVP_LT_NFLOG = 239,
  SVP_LT_LINUX_SLL2 = 276,
};

/* Why a frame produced no TCP/UDP packet. */
enum svp_dec_why {
  SVP_DW_OK = 0,
  /* not errors: traffic this layer has no use for */
  SVP_DW_NOT_IP,        /* ARP, LLDP, STP, IPX, ...: the link carries no IP */
  SVP_DW_WLAN_NODATA,   /* 802.11 management/control or null-data frame */
  SVP_DW_OTHER_L4,      /* ICMP, SCTP, ESP, ...: neither TCP nor UDP */
  SVP_DW_FRAG_LATER,    /* IPv4 fragment: transport header only after reassembly */
  SVP_DW_FIRST_ERROR,
  /* errors and limits */
  SVP_DW_LINKTYPE = SVP_DW_FIRST_ERROR, /* link type this decoder does not know */
  SVP_DW_LINK_TRUNC,    /* link header cut short */
  SVP_DW_LINK_BAD,      /* link header inconsistent (radiotap length, ...) */
  SVP_DW_WLAN_CRYPT,    /* 802.11 protected frame: payload encrypted */
  SVP_DW_ENCAP_DEPTH,   /* more than SVP_DECODE_MAX_LAYERS tags/tunnels */
  SVP_DW_IP_TRUNC,      /* IP header cut short */
  SVP_DW_IP_BAD,        /* bad version, header length or total length */
  SVP_DW_IP6_EXT,       /* IPv6 extension header chain cut short or malformed */
  SVP_DW_IP6_FRAG,      /* IPv6 fragment other than the first (not reassembled) */
  SVP_DW_L4_TRUNC,      /* TCP/UDP header cut short by the snap length */
  SVP_DW_L4_BAD,        /* TCP data offset < 5 or past the segment; UDP length bad */
  SVP_DW_COUNT
};

/* Static name of a reason ("not-ip", "ip-truncated", ...); never NULL. */
const char *svp_dec_why_name(enum svp_dec_why why);

#define SVP_DECODE_MAX_LAYERS 16 /* VLAN tags + MPLS labels + tunnels, total */

/* TCP flags (as in the header byte). */
enum {
  SVP_TH_FIN = 0x01, SVP_TH_SYN = 0x02, SVP_TH_RST = 0x04,
  SVP_TH_PSH = 0x08, SVP_TH_ACK = 0x10, SVP_TH_URG = 0x20
};

/* One decoded packet. Pointers borrow the frame given to svp_decode(). */
struct svp_pkt {
  /* link */
  uint16_t vlan;          /* outermost VLAN id, 0 if untagged */
  uint8_t n_vlan;         /* VLAN tags seen (any TPID) */
  uint8_t n_encap;        /* IP-in-IP / GRE / VXLAN layers removed */
  /* innermost IP header */
  uint8_t family;         /* 4 or 6 */
  uint8_t ttl;            /* TTL / hop limit */
  uint8_t proto;          /* transport protocol (after IPv6 extension headers) */
  bool ip_frag;           /* IPv4: MF set or offset != 0; IPv6: fragment header */
  const uint8_t *ip;      /* first byte of the IP header */
  uint32_t ip_cap;        /* bytes captured from ip (before trailer trimming) */
  uint32_t ip_len;        /* IP total length per the header (v6: 40 + payload length) */
  uint16_t ip_hlen;       /* v4: header length; v6: 40 + extension headers */
  struct svp_addr src, dst;
  /* transport (valid when svp_decode returned SVP_DW_OK) */
  uint16_t sport, dport;
  uint8_t tcp_flags;      /* SVP_TH_* */
  uint32_t seq, ack;
  uint16_t win;
  const uint8_t *l4;      /* first byte of the TCP/UDP header */
  uint32_t l4_len;        /* TCP/UDP header + payload length per the IP header */
  const uint8_t *payload; /* first payload byte */
  uint32_t paylen;        /* payload length per the headers */
  uint32_t paycap;        /* payload bytes captured (<= paylen: snap length) */
  uint8_t csum_done;      /* 0, or 1 + svp_pkt_csum()'s answer (svp_pkt_csum_early) */
};

/* Decode one frame of link type lt. Returns SVP_DW_OK and fills *p for a
 * TCP or UDP packet (p->ip* and addresses are also filled for IP frames
 * that stop later, e.g. SVP_DW_OTHER_L4 and SVP_DW_FRAG_LATER). */
enum svp_dec_why svp_decode(int lt, const uint8_t *frame, size_t caplen,
                            struct svp_pkt *p);

/* Decode from an IP header (version taken from the first nibble): for
 * reassembled IPv4 datagrams. */
enum svp_dec_why svp_decode_ip(const uint8_t *ip, size_t caplen, struct svp_pkt *p);

/* True if svp_decode knows link type lt. */
bool svp_decode_linktype_known(int lt);

/* Short name of a link type for messages ("EN10MB", "LINUX_SLL2", ...);
 * NULL if unknown. */
const char *svp_linktype_name(int lt);

/* One's-complement checksum helpers (RFC 1071), for checksum checks.
 * svp_csum_partial adds len bytes at p to sum (32-bit accumulator);
 * svp_csum_fold folds and complements. */
uint32_t svp_csum_partial(const uint8_t *p, size_t len, uint32_t sum);
uint16_t svp_csum_fold(uint32_t sum);

/* Checksum verdicts for one packet (see enum svp_csum_mode for the policy,
 * which lives in the flow table). */
enum svp_csum_state {
  SVP_CS_GOOD = 0,     /* IP header and TCP/UDP checksums verify */
  SVP_CS_UNCHECKED,    /* cannot check: truncated, or UDP checksum 0 */
  SVP_CS_OFFLOAD,      /* TCP/UDP field holds only the pseudo-header sum:
                          written by a host that offloads checksums */
  SVP_CS_BAD_IP,       /* IPv4 header checksum wrong */
  SVP_CS_BAD_L4        /* TCP/UDP checksum wrong */
};
enum svp_csum_state svp_pkt_csum(const struct svp_pkt *p);
/* Work svp_pkt_csum out now and keep the answer in p (a reader thread does
 * it so that the thread that owns the flow table does not). */
void svp_pkt_csum_early(struct svp_pkt *p);

#endif
