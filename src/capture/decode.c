/* decode.c: link layers, IPv4/IPv6 and simple tunnels down to TCP/UDP.
 *
 * One function per layer. A layer either finishes the packet (returns a
 * reason) or hands the rest of the frame to the next layer by ethertype,
 * PPP protocol or IP version. Every read goes through struct svp_cur. */
#include "svp/capture/decode.h"
#include "svp/base/cursor.h"

#include <string.h>

/* Ethertypes and friends. */
enum {
  ET_IPV4 = 0x0800, ET_ARP = 0x0806, ET_VLAN = 0x8100, ET_QINQ = 0x88a8,
  ET_QINQ_OLD1 = 0x9100, ET_QINQ_OLD2 = 0x9200, ET_QINQ_OLD3 = 0x9300,
  ET_IPV6 = 0x86dd, ET_MPLS = 0x8847, ET_MPLS_MC = 0x8848,
  ET_PPPOE_SESS = 0x8864, ET_TEB = 0x6558 /* transparent Ethernet bridging */
};

enum { PPP_IPV4 = 0x0021, PPP_IPV6 = 0x0057 };
enum { IPP_HOPOPT = 0, IPP_IPIP = 4, IPP_TCP = 6, IPP_UDP = 17, IPP_IPV6 = 41,
       IPP_ROUTING = 43, IPP_FRAG = 44, IPP_GRE = 47, IPP_AH = 51,
       IPP_NONE = 59, IPP_DSTOPTS = 60, IPP_MOBILITY = 135, IPP_HIP = 139,
       IPP_SHIM6 = 140 };
enum { VXLAN_PORT = 4789 };

struct dec {
  struct svp_pkt *p;
  unsigned layers; /* tags, labels and tunnels crossed */
};

static enum svp_dec_why dec_ether_payload(struct dec *d, uint16_t type, struct svp_cur c);
static enum svp_dec_why dec_ip(struct dec *d, struct svp_cur c);
static enum svp_dec_why dec_ethernet(struct dec *d, struct svp_cur c);

static const char *const why_names[SVP_DW_COUNT] = {
  [SVP_DW_OK] = "ok",
  [SVP_DW_NOT_IP] = "not-ip",
  [SVP_DW_WLAN_NODATA] = "wlan-no-data",
  [SVP_DW_OTHER_L4] = "other-transport",
  [SVP_DW_FRAG_LATER] = "ipv4-fragment",
  [SVP_DW_LINKTYPE] = "unknown-link-type",
  [SVP_DW_LINK_TRUNC] = "link-truncated",
  [SVP_DW_LINK_BAD] = "link-malformed",
  [SVP_DW_WLAN_CRYPT] = "wlan-encrypted",
  [SVP_DW_ENCAP_DEPTH] = "too-many-layers",
  [SVP_DW_IP_TRUNC] = "ip-truncated",
  [SVP_DW_IP_BAD] = "ip-malformed",
  [SVP_DW_IP6_EXT] = "ipv6-ext-malformed",
  [SVP_DW_IP6_FRAG] = "ipv6-fragment",
  [SVP_DW_L4_TRUNC] = "l4-truncated",
  [SVP_DW_L4_BAD] = "l4-malformed",
};

const char *svp_dec_why_name(enum svp_dec_why why)
{
  if ((unsigned)why < SVP_DW_COUNT && why_names[why])
    return why_names[why];
  return "?";
}

static bool enter_layer(struct dec *d)
{
  return ++d->layers <= SVP_DECODE_MAX_LAYERS;
}

/* ---------------------------------------------------------------- TCP/UDP */

static enum svp_dec_why dec_tcp(struct dec *d, struct svp_cur c, uint32_t seglen)
{
  struct svp_pkt *p = d->p;
  struct svp_cur hdr = c;
  p->l4 = svp_cur_rest(&c);
  p->l4_len = seglen;
  p->sport = svp_cur_be16(&c);
  p->dport = svp_cur_be16(&c);
  p->seq = svp_cur_be32(&c);
  p->ack = svp_cur_be32(&c);
  uint8_t off = svp_cur_u8(&c) >> 4;
  p->tcp_flags = svp_cur_u8(&c) & 0x3f;
  p->win = svp_cur_be16(&c);
  if (c.bad)
    return SVP_DW_L4_TRUNC;
  uint32_t hlen = (uint32_t)off * 4;
  if (hlen < 20 || hlen > seglen)
    return SVP_DW_L4_BAD;
  c = hdr;
  if (!svp_cur_skip(&c, hlen))
    return SVP_DW_L4_TRUNC;
  p->payload = svp_cur_rest(&c);
  p->paylen = seglen - hlen;
  size_t left = svp_cur_left(&c);
  p->paycap = left < p->paylen ? (uint32_t)left : p->paylen;
  return SVP_DW_OK;
}

static enum svp_dec_why dec_udp(struct dec *d, struct svp_cur c, uint32_t seglen)
{
  struct svp_pkt *p = d->p;
  p->l4 = svp_cur_rest(&c);
  p->sport = svp_cur_be16(&c);
  p->dport = svp_cur_be16(&c);
  uint16_t ulen = svp_cur_be16(&c);
  svp_cur_skip(&c, 2); /* checksum */
  if (c.bad)
    return SVP_DW_L4_TRUNC;
  /* UDP length 0 is legal for IPv6 jumbograms only; trust the IP length
   * then. Otherwise the UDP length must fit in the IP payload, except in the
   * first fragment of an IPv6 datagram (the rest is in later fragments,
   * which are not reassembled: the datagram is then cut, like a snap
   * length). */
  if (ulen != 0 && (ulen < 8 || (ulen > seglen && !(p->ip_frag && p->family == 6))))
    return SVP_DW_L4_BAD;
  size_t left = svp_cur_left(&c);
  if (left > seglen - 8)
    left = seglen - 8;
  if (ulen)
    seglen = ulen;
  p->l4_len = seglen;
  p->payload = svp_cur_rest(&c);
  p->paylen = seglen - 8;
  p->paycap = left < p->paylen ? (uint32_t)left : p->paylen;
  /* VXLAN: Ethernet inside UDP (flags byte has the I bit). */
  if (p->dport == VXLAN_PORT && p->paycap >= 8 + 14 && (p->payload[0] & 0x08)) {
    if (!enter_layer(d))
      return SVP_DW_ENCAP_DEPTH;
    struct svp_pkt outer = *p;
    struct svp_cur in = svp_cur_make(p->payload + 8, p->paycap - 8);
    enum svp_dec_why w = dec_ethernet(d, in);
    if (w == SVP_DW_OK || w == SVP_DW_OTHER_L4 || w == SVP_DW_FRAG_LATER) {
      p->n_encap++;
      return w;
    }
    *p = outer; /* not decodable inside: keep the outer UDP packet */
  }
  return SVP_DW_OK;
}

/* Transport dispatch once the IP layer is done. c covers the IP payload as
 * captured; seglen is its length per the IP header. */
static enum svp_dec_why dec_transport(struct dec *d, struct svp_cur c, uint32_t seglen)
{
  struct svp_pkt *p = d->p;
  switch (p->proto) {
  case IPP_TCP:
    return dec_tcp(d, c, seglen);
  case IPP_UDP:
    return dec_udp(d, c, seglen);
  case IPP_IPIP:
  case IPP_IPV6: {
    if (!enter_layer(d))
      return SVP_DW_ENCAP_DEPTH;
    struct svp_pkt outer = *p;
    enum svp_dec_why w = dec_ip(d, c);
    if (w >= SVP_DW_FIRST_ERROR) {
      *p = outer;
      return SVP_DW_OTHER_L4; /* tunnel we cannot see into: count as such */
    }
    p->n_encap++;
    return w;
  }
  case IPP_GRE: {
    uint16_t flags = svp_cur_be16(&c);
    uint16_t type = svp_cur_be16(&c);
    if (c.bad || (flags & 0x7) != 0) /* version 0 only (1 = PPTP) */
      return SVP_DW_OTHER_L4;
    size_t skip = ((flags & 0x8000) ? 4 : 0) + ((flags & 0x2000) ? 4 : 0) +
                  ((flags & 0x1000) ? 4 : 0);
    if (flags & 0x4000) /* routing present (obsolete): give up */
      return SVP_DW_OTHER_L4;
    if (!svp_cur_skip(&c, skip))
      return SVP_DW_OTHER_L4;
    if (type != ET_IPV4 && type != ET_IPV6 && type != ET_TEB)
      return SVP_DW_OTHER_L4;
    if (!enter_layer(d))
      return SVP_DW_ENCAP_DEPTH;
    struct svp_pkt outer = *p;
    enum svp_dec_why w = dec_ether_payload(d, type, c);
    if (w >= SVP_DW_FIRST_ERROR || w == SVP_DW_NOT_IP) {
      *p = outer;
      return SVP_DW_OTHER_L4;
    }
    p->n_encap++;
    return w;
  }
  default:
    return SVP_DW_OTHER_L4;
  }
}

/* --------------------------------------------------------------------- IP */

static void addr_set(struct svp_addr *a, int family, const uint8_t *b)
{
  memset(a, 0, sizeof *a);
  a->family = (uint8_t)family;
  memcpy(a->b, b, family == 4 ? 4 : 16);
}

static enum svp_dec_why dec_ipv4(struct dec *d, struct svp_cur c)
{
  struct svp_pkt *p = d->p;
  const uint8_t *start = svp_cur_rest(&c);
  size_t cap = svp_cur_left(&c);
  uint8_t vihl = svp_cur_u8(&c);
  svp_cur_skip(&c, 1); /* TOS */
  uint16_t tot = svp_cur_be16(&c);
  svp_cur_skip(&c, 2); /* id */
  uint16_t frag = svp_cur_be16(&c);
  uint8_t ttl = svp_cur_u8(&c);
  uint8_t proto = svp_cur_u8(&c);
  svp_cur_skip(&c, 2); /* checksum */
  const uint8_t *src = svp_cur_take(&c, 4);
  const uint8_t *dst = svp_cur_take(&c, 4);
  if (c.bad)
    return SVP_DW_IP_TRUNC;
  unsigned hlen = (vihl & 0x0f) * 4u;
  if ((vihl >> 4) != 4 || hlen < 20)
    return SVP_DW_IP_BAD;
  /* Total length 0 happens with TSO captured on the sending host: take
   * what was captured. */
  if (tot == 0)
    tot = cap > 0xffff ? 0xffff : (uint16_t)cap;
  if (tot < hlen)
    return SVP_DW_IP_BAD;
  p->family = 4;
  p->ip = start;
  p->ip_cap = (uint32_t)cap;
  p->ip_len = tot;
  p->ip_hlen = (uint16_t)hlen;
  p->ttl = ttl;
  p->proto = proto;
  p->ip_frag = (frag & 0x3fff) != 0;
  addr_set(&p->src, 4, src);
  addr_set(&p->dst, 4, dst);
  struct svp_cur rest = svp_cur_make(start, cap);
  if (!svp_cur_skip(&rest, hlen))
    return SVP_DW_IP_TRUNC;
  if (p->ip_frag && (frag & 0x1fff) != 0)
    return SVP_DW_FRAG_LATER; /* not the first fragment: no transport header */
  /* Limit the cursor to the IP payload (drop Ethernet padding). */
  uint32_t seglen = tot - hlen;
  if (svp_cur_left(&rest) > seglen)
    rest.len = rest.off + seglen;
  if (p->ip_frag) {
    /* First fragment: the header is here but the payload is incomplete;
     * the datagram must be reassembled first. */
    return SVP_DW_FRAG_LATER;
  }
  return dec_transport(d, rest, seglen);
}

static enum svp_dec_why dec_ipv6(struct dec *d, struct svp_cur c)
{
  struct svp_pkt *p = d->p;
  const uint8_t *start = svp_cur_rest(&c);
  size_t cap = svp_cur_left(&c);
  uint32_t vtf = svp_cur_be32(&c);
  uint16_t plen = svp_cur_be16(&c);
  uint8_t nh = svp_cur_u8(&c);
  uint8_t hop = svp_cur_u8(&c);
  const uint8_t *src = svp_cur_take(&c, 16);
  const uint8_t *dst = svp_cur_take(&c, 16);
  if (c.bad)
    return SVP_DW_IP_TRUNC;
  if ((vtf >> 28) != 6)
    return SVP_DW_IP_BAD;
  /* Payload length 0: jumbogram or TSO on the sending host; take what was
   * captured. */
  uint32_t paylen = plen ? plen : (uint32_t)(cap - 40);
  p->family = 6;
  p->ip = start;
  p->ip_cap = (uint32_t)cap;
  p->ip_len = 40 + paylen;
  p->ttl = hop;
  p->ip_frag = false;
  addr_set(&p->src, 6, src);
  addr_set(&p->dst, 6, dst);
  if (svp_cur_left(&c) > paylen)
    c.len = c.off + paylen;
  /* Extension headers. */
  uint32_t ext = 0;
  for (unsigned n = 0;; n++) {
    if (n > 16)
      return SVP_DW_IP6_EXT;
    if (nh == IPP_HOPOPT || nh == IPP_ROUTING || nh == IPP_DSTOPTS ||
        nh == IPP_MOBILITY || nh == IPP_HIP || nh == IPP_SHIM6) {
      uint8_t next = svp_cur_u8(&c);
      uint8_t len8 = svp_cur_u8(&c);
      size_t hl = (size_t)len8 * 8 + 8;
      if (c.bad || !svp_cur_skip(&c, hl - 2))
        return SVP_DW_IP6_EXT;
      ext += (uint32_t)hl;
      nh = next;
    } else if (nh == IPP_AH) {
      uint8_t next = svp_cur_u8(&c);
      uint8_t len4 = svp_cur_u8(&c);
      size_t hl = ((size_t)len4 + 2) * 4;
      if (c.bad || !svp_cur_skip(&c, hl - 2))
        return SVP_DW_IP6_EXT;
      ext += (uint32_t)hl;
      nh = next;
    } else if (nh == IPP_FRAG) {
      uint8_t next = svp_cur_u8(&c);
      svp_cur_skip(&c, 1);
      uint16_t offm = svp_cur_be16(&c);
      svp_cur_skip(&c, 4);
      if (c.bad)
        return SVP_DW_IP6_EXT;
      ext += 8;
      nh = next;
      if (offm & 0xfff8) {
        p->ip_frag = true;
        p->proto = nh;
        p->ip_hlen = (uint16_t)(40 + ext);
        return SVP_DW_IP6_FRAG;
      }
      if (offm & 1) /* first fragment of several: transport header is here */
        p->ip_frag = true;
    } else {
      break;
    }
  }
  if (ext > paylen)
    return SVP_DW_IP6_EXT;
  p->proto = nh;
  p->ip_hlen = (uint16_t)(40 + ext);
  if (nh == IPP_NONE)
    return SVP_DW_OTHER_L4;
  enum svp_dec_why w = dec_transport(d, c, paylen - ext);
  /* The first fragment of a fragmented datagram holds only part of the
   * payload: say so through paycap < paylen (the UDP/TCP length is kept). */
  return w;
}

static enum svp_dec_why dec_ip(struct dec *d, struct svp_cur c)
{
  if (!svp_cur_has(&c, 1))
    return SVP_DW_IP_TRUNC;
  switch (svp_cur_rest(&c)[0] >> 4) {
  case 4: return dec_ipv4(d, c);
  case 6: return dec_ipv6(d, c);
  default: return SVP_DW_IP_BAD;
  }
}

/* ------------------------------------------------------------ link layers */

static enum svp_dec_why dec_mpls(struct dec *d, struct svp_cur c)
{
  for (;;) {
    if (!enter_layer(d))
      return SVP_DW_ENCAP_DEPTH;
    uint32_t lse = svp_cur_be32(&c);
    if (c.bad)
      return SVP_DW_LINK_TRUNC;
    if (lse & 0x100)
      break; /* bottom of stack */
  }
  if (!svp_cur_has(&c, 1))
    return SVP_DW_LINK_TRUNC;
  uint8_t nib = svp_cur_rest(&c)[0] >> 4;
  if (nib == 4 || nib == 6)
    return dec_ip(d, c);
  if (nib == 0) {
    /* Pseudowire control word, then Ethernet. */
    svp_cur_skip(&c, 4);
    return dec_ethernet(d, c);
  }
  return SVP_DW_NOT_IP;
}

static enum svp_dec_why dec_ppp_proto(struct dec *d, uint16_t proto, struct svp_cur c)
{
  switch (proto) {
  case PPP_IPV4:
  case PPP_IPV6:
    return dec_ip(d, c);
  default:
    return SVP_DW_NOT_IP;
  }
}

static enum svp_dec_why dec_ether_payload(struct dec *d, uint16_t type, struct svp_cur c)
{
  for (;;) {
    switch (type) {
    case ET_IPV4:
    case ET_IPV6:
      return dec_ip(d, c);
    case ET_VLAN:
    case ET_QINQ:
    case ET_QINQ_OLD1:
    case ET_QINQ_OLD2:
    case ET_QINQ_OLD3: {
      if (!enter_layer(d))
        return SVP_DW_ENCAP_DEPTH;
      uint16_t tci = svp_cur_be16(&c);
      type = svp_cur_be16(&c);
      if (c.bad)
        return SVP_DW_LINK_TRUNC;
      if (d->p->n_vlan++ == 0)
        d->p->vlan = tci & 0x0fff;
      continue;
    }
    case ET_MPLS:
    case ET_MPLS_MC:
      return dec_mpls(d, c);
    case ET_PPPOE_SESS: {
      svp_cur_skip(&c, 6);
      uint16_t proto = svp_cur_be16(&c);
      if (c.bad)
        return SVP_DW_LINK_TRUNC;
      return dec_ppp_proto(d, proto, c);
    }
    case ET_TEB:
      return dec_ethernet(d, c);
    default:
      if (type < 0x0600) {
        /* 802.3 length: LLC, possibly SNAP with an ethertype. */
        const uint8_t *llc = svp_cur_take(&c, 3);
        if (!llc)
          return SVP_DW_LINK_TRUNC;
        if (llc[0] != 0xaa || llc[1] != 0xaa || llc[2] != 0x03)
          return SVP_DW_NOT_IP;
        svp_cur_skip(&c, 3); /* OUI */
        type = svp_cur_be16(&c);
        if (c.bad)
          return SVP_DW_LINK_TRUNC;
        if (type < 0x0600)
          return SVP_DW_NOT_IP;
        continue;
      }
      return SVP_DW_NOT_IP;
    }
  }
}

static enum svp_dec_why dec_ethernet(struct dec *d, struct svp_cur c)
{
  if (!svp_cur_skip(&c, 12))
    return SVP_DW_LINK_TRUNC;
  uint16_t type = svp_cur_be16(&c);
  if (c.bad)
    return SVP_DW_LINK_TRUNC;
  return dec_ether_payload(d, type, c);
}

/* Linux "cooked" headers: SLL (16 bytes) and SLL2 (20 bytes). */
static enum svp_dec_why dec_sll(struct dec *d, struct svp_cur c, bool v2)
{
  uint16_t proto;
  uint16_t hatype;
  if (v2) {
    proto = svp_cur_be16(&c);
    svp_cur_skip(&c, 2 + 4); /* reserved, interface index */
    hatype = svp_cur_be16(&c);
    svp_cur_skip(&c, 1 + 1 + 8); /* packet type, address length, address */
  } else {
    svp_cur_skip(&c, 2); /* packet type */
    hatype = svp_cur_be16(&c);
    svp_cur_skip(&c, 2 + 8); /* address length, address */
    proto = svp_cur_be16(&c);
  }
  if (c.bad)
    return SVP_DW_LINK_TRUNC;
  if (hatype == 824 /* ARPHRD_NETLINK */)
    return SVP_DW_NOT_IP;
  if (proto == 0x0004) /* 802.2 LLC frame (STP, IPX, ...) */
    return SVP_DW_NOT_IP;
  return dec_ether_payload(d, proto, c);
}

/* BSD loopback: 4-byte address family, host order (NULL) or network order
 * (LOOP). The writer's byte order is unknown, so both are tried. */
static enum svp_dec_why dec_null(struct dec *d, struct svp_cur c)
{
  const uint8_t *h = svp_cur_take(&c, 4);
  if (!h)
    return SVP_DW_LINK_TRUNC;
  uint32_t le = (uint32_t)h[0] | (uint32_t)h[1] << 8 | (uint32_t)h[2] << 16 |
                (uint32_t)h[3] << 24;
  uint32_t be = (uint32_t)h[3] | (uint32_t)h[2] << 8 | (uint32_t)h[1] << 16 |
                (uint32_t)h[0] << 24;
  uint32_t af = le < 256 ? le : be;
  switch (af) {
  case 2:                                     /* AF_INET */
  case 10: case 24: case 28: case 30:         /* AF_INET6: Linux, *BSD, FreeBSD, Darwin */
    return dec_ip(d, c);
  default:
    return SVP_DW_NOT_IP;
  }
}

static enum svp_dec_why dec_ppp(struct dec *d, struct svp_cur c)
{
  if (!svp_cur_has(&c, 2))
    return SVP_DW_LINK_TRUNC;
  const uint8_t *h = svp_cur_rest(&c);
  if (h[0] == 0xff && h[1] == 0x03)
    svp_cur_skip(&c, 2);
  uint16_t proto = svp_cur_u8(&c);
  if (!(proto & 1))
    proto = (uint16_t)(proto << 8 | svp_cur_u8(&c));
  if (c.bad)
    return SVP_DW_LINK_TRUNC;
  return dec_ppp_proto(d, proto, c);
}

static enum svp_dec_why dec_chdlc(struct dec *d, struct svp_cur c)
{
  svp_cur_skip(&c, 2); /* address, control */
  uint16_t type = svp_cur_be16(&c);
  if (c.bad)
    return SVP_DW_LINK_TRUNC;
  return dec_ether_payload(d, type, c);
}

/* IEEE 802.11 data frame with LLC/SNAP. */
static enum svp_dec_why dec_wlan(struct dec *d, struct svp_cur c)
{
  uint16_t fc = svp_cur_le16(&c);
  if (c.bad)
    return SVP_DW_LINK_TRUNC;
  unsigned type = (fc >> 2) & 3, subtype = (fc >> 4) & 0xf;
  bool to_ds = fc & 0x0100, from_ds = fc & 0x0200;
  if (type != 2 || (subtype & 0x4)) /* not data, or a null-data subtype */
    return SVP_DW_WLAN_NODATA;
  if (fc & 0x4000)
    return SVP_DW_WLAN_CRYPT;
  size_t hlen = 24 - 2 + (to_ds && from_ds ? 6 : 0);
  if (subtype & 0x8) { /* QoS data */
    hlen += 2;
    if (fc & 0x8000) /* +HTC */
      hlen += 4;
  }
  if (!svp_cur_skip(&c, hlen))
    return SVP_DW_LINK_TRUNC;
  return dec_ether_payload(d, 0 /* LLC follows */, c);
}

static enum svp_dec_why dec_radiotap(struct dec *d, struct svp_cur c)
{
  svp_cur_skip(&c, 2);
  uint16_t len = svp_cur_le16(&c);
  if (c.bad)
    return SVP_DW_LINK_TRUNC;
  if (len < 8)
    return SVP_DW_LINK_BAD;
  struct svp_cur w = svp_cur_make(c.p, c.len);
  if (!svp_cur_skip(&w, len))
    return SVP_DW_LINK_TRUNC;
  return dec_wlan(d, w);
}

static enum svp_dec_why dec_ppi(struct dec *d, struct svp_cur c)
{
  svp_cur_skip(&c, 2);
  uint16_t len = svp_cur_le16(&c);
  uint32_t dlt = svp_cur_le32(&c);
  if (c.bad)
    return SVP_DW_LINK_TRUNC;
  if (len < 8)
    return SVP_DW_LINK_BAD;
  struct svp_cur w = svp_cur_make(c.p, c.len);
  if (!svp_cur_skip(&w, len))
    return SVP_DW_LINK_TRUNC;
  if (dlt == SVP_LT_IEEE802_11)
    return dec_wlan(d, w);
  if (dlt == SVP_LT_EN10MB)
    return dec_ethernet(d, w);
  return SVP_DW_LINK_BAD;
}

static enum svp_dec_why dec_prism(struct dec *d, struct svp_cur c)
{
  /* AVS header (magic 0x80211001, own length) or the fixed 144-byte Prism
   * monitor header. */
  uint32_t magic = svp_cur_be32(&c);
  uint32_t len = svp_cur_be32(&c);
  if (c.bad)
    return SVP_DW_LINK_TRUNC;
  if ((magic & 0xfffffff0) != 0x80211000)
    len = 144;
  struct svp_cur w = svp_cur_make(c.p, c.len);
  if (!svp_cur_skip(&w, len))
    return SVP_DW_LINK_TRUNC;
  return dec_wlan(d, w);
}

/* Linux ARCnet: source, destination, 2-byte offset, protocol id; RFC 1201
 * protocols add split flag and sequence number (and 4 bytes more in an
 * exception packet). */
static enum svp_dec_why dec_arcnet(struct dec *d, struct svp_cur c)
{
  svp_cur_skip(&c, 4);
  uint8_t type = svp_cur_u8(&c);
  if (c.bad)
    return SVP_DW_LINK_TRUNC;
  bool old = type == 0xf0 || type == 0xf1;
  if (!old) {
    uint8_t flag = svp_cur_u8(&c);
    svp_cur_skip(&c, 2);
    if (flag == 0xff)
      svp_cur_skip(&c, 4);
    if (c.bad)
      return SVP_DW_LINK_TRUNC;
  }
  switch (type) {
  case 0xf0: /* IP, RFC 1051 */
  case 0xd4: /* IP, RFC 1201 */
  case 0xc4: /* IPv6 */
    return dec_ip(d, c);
  default:
    return SVP_DW_NOT_IP;
  }
}

static enum svp_dec_why dec_pflog(struct dec *d, struct svp_cur c)
{
  if (!svp_cur_has(&c, 2))
    return SVP_DW_LINK_TRUNC;
  uint8_t hlen = svp_cur_rest(&c)[0];
  size_t padded = ((size_t)hlen + 3) & ~(size_t)3;
  if (hlen < 4 || !svp_cur_skip(&c, padded))
    return hlen < 4 ? SVP_DW_LINK_BAD : SVP_DW_LINK_TRUNC;
  return dec_ip(d, c);
}

static enum svp_dec_why dec_enc(struct dec *d, struct svp_cur c)
{
  if (!svp_cur_skip(&c, 12)) /* af, spi, flags */
    return SVP_DW_LINK_TRUNC;
  return dec_ip(d, c);
}

/* Linux NFLOG: 4-byte header, then TLVs (little-endian length and type,
 * padded to 4); type 9 holds the packet. */
static enum svp_dec_why dec_nflog(struct dec *d, struct svp_cur c)
{
  if (!svp_cur_skip(&c, 4))
    return SVP_DW_LINK_TRUNC;
  while (svp_cur_left(&c) >= 4) {
    uint16_t len = svp_cur_le16(&c);
    uint16_t type = svp_cur_le16(&c);
    if (len < 4)
      return SVP_DW_LINK_BAD;
    struct svp_cur v = svp_cur_sub(&c, len - 4u);
    if (v.bad)
      return SVP_DW_LINK_TRUNC;
    if (type == 9)
      return dec_ip(d, v);
    svp_cur_skip(&c, ((len + 3u) & ~3u) - len);
  }
  return SVP_DW_NOT_IP;
}

struct linktype_entry {
  int lt;
  const char *name;
};

static const struct linktype_entry linktypes[] = {
  {SVP_LT_NULL, "NULL"}, {SVP_LT_EN10MB, "EN10MB"}, {SVP_LT_PPP, "PPP"},
  {SVP_LT_RAW_DLT12, "RAW"}, {SVP_LT_RAW_DLT14, "RAW"}, {SVP_LT_PPP_HDLC, "PPP_HDLC"},
  {SVP_LT_PPP_ETHER, "PPP_ETHER"}, {SVP_LT_RAW, "RAW"}, {SVP_LT_C_HDLC, "C_HDLC"},
  {SVP_LT_IEEE802_11, "IEEE802_11"}, {SVP_LT_LOOP, "LOOP"}, {SVP_LT_ENC, "ENC"},
  {SVP_LT_LINUX_SLL, "LINUX_SLL"}, {SVP_LT_PFLOG, "PFLOG"},
  {SVP_LT_PRISM, "PRISM_HEADER"}, {SVP_LT_RADIOTAP, "IEEE802_11_RADIO"},
  {SVP_LT_ARCNET_LINUX, "ARCNET_LINUX"}, {SVP_LT_PPI, "PPI"}, {SVP_LT_IPV4, "IPV4"},
  {SVP_LT_IPV6, "IPV6"}, {SVP_LT_NFLOG, "NFLOG"}, {SVP_LT_LINUX_SLL2, "LINUX_SLL2"},
};

const char *svp_linktype_name(int lt)
{
  for (size_t i = 0; i < SVP_ARRAY_LEN(linktypes); i++)
    if (linktypes[i].lt == lt)
      return linktypes[i].name;
  return NULL;
}

bool svp_decode_linktype_known(int lt)
{
  return svp_linktype_name(lt) != NULL;
}

enum svp_dec_why svp_decode(int lt, const uint8_t *frame, size_t caplen,
                            struct svp_pkt *p)
{
  memset(p, 0, sizeof *p);
  struct dec d = {.p = p};
  struct svp_cur c = svp_cur_make(frame, caplen);
  switch (lt) {
  case SVP_LT_EN10MB: return dec_ethernet(&d, c);
  case SVP_LT_NULL:
  case SVP_LT_LOOP: return dec_null(&d, c);
  case SVP_LT_RAW_DLT12:
  case SVP_LT_RAW_DLT14:
  case SVP_LT_RAW:
  case SVP_LT_IPV4:
  case SVP_LT_IPV6: return dec_ip(&d, c);
  case SVP_LT_LINUX_SLL: return dec_sll(&d, c, false);
  case SVP_LT_LINUX_SLL2: return dec_sll(&d, c, true);
  case SVP_LT_PPP:
  case SVP_LT_PPP_HDLC: return dec_ppp(&d, c);
  case SVP_LT_PPP_ETHER: {
    if (!svp_cur_skip(&c, 6))
      return SVP_DW_LINK_TRUNC;
    uint16_t proto = svp_cur_be16(&c);
    if (c.bad)
      return SVP_DW_LINK_TRUNC;
    return dec_ppp_proto(&d, proto, c);
  }
  case SVP_LT_C_HDLC: return dec_chdlc(&d, c);
  case SVP_LT_IEEE802_11: return dec_wlan(&d, c);
  case SVP_LT_RADIOTAP: return dec_radiotap(&d, c);
  case SVP_LT_PPI: return dec_ppi(&d, c);
  case SVP_LT_PRISM: return dec_prism(&d, c);
  case SVP_LT_ARCNET_LINUX: return dec_arcnet(&d, c);
  case SVP_LT_PFLOG: return dec_pflog(&d, c);
  case SVP_LT_ENC: return dec_enc(&d, c);
  case SVP_LT_NFLOG: return dec_nflog(&d, c);
  default: return SVP_DW_LINKTYPE;
  }
}

enum svp_dec_why svp_decode_ip(const uint8_t *ip, size_t caplen, struct svp_pkt *p)
{
  return svp_decode(SVP_LT_RAW, ip, caplen, p);
}

/* -------------------------------------------------------------- checksums */

/* The one's-complement sum is the same whichever byte order the 16-bit
 * words are added in, up to a final byte swap (RFC 1071, 2.B), so the bytes
 * are added eight at a time as native 64-bit words with end-around carry,
 * folded to 16 bits and swapped to network order once. */
uint32_t svp_csum_partial(const uint8_t *p, size_t len, uint32_t sum)
{
  uint64_t s = 0;
  for (; len >= 8; p += 8, len -= 8) {
    uint64_t v;
    memcpy(&v, p, 8);
    s += v;
    s += s < v; /* end-around carry */
  }
  uint64_t tail = 0;
  for (; len >= 2; p += 2, len -= 2) {
    uint16_t v;
    memcpy(&v, p, 2);
    tail += v;
  }
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  if (len)
    tail += p[0]; /* the high byte of a zero-padded word, in memory order */
#else
  if (len)
    tail += (uint32_t)p[0] << 8;
#endif
  s += tail;
  s += s < tail;
  s = (s & 0xffffffffu) + (s >> 32);
  s = (s & 0xffffffffu) + (s >> 32);
  s = (s & 0xffff) + (s >> 16);
  s = (s & 0xffff) + (s >> 16);
  s = (s & 0xffff) + (s >> 16);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  s = (s >> 8 | s << 8) & 0xffff;
#endif
  uint64_t r = (uint64_t)sum + s;
  return (uint32_t)((r & 0xffffffffu) + (r >> 32));
}

uint16_t svp_csum_fold(uint32_t sum)
{
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)~sum;
}

static uint32_t pseudo_sum(const struct svp_pkt *p)
{
  int alen = p->family == 4 ? 4 : 16;
  uint32_t s = svp_csum_partial(p->src.b, (size_t)alen, 0);
  s = svp_csum_partial(p->dst.b, (size_t)alen, s);
  s += p->proto;
  s += p->l4_len & 0xffff;
  s += p->l4_len >> 16;
  return s;
}

void svp_pkt_csum_early(struct svp_pkt *p)
{
  p->csum_done = (uint8_t)(1 + svp_pkt_csum(p));
}

enum svp_csum_state svp_pkt_csum(const struct svp_pkt *p)
{
  if (p->csum_done)
    return (enum svp_csum_state)(p->csum_done - 1);
  if (p->family == 4 && p->ip_cap >= p->ip_hlen &&
      svp_csum_fold(svp_csum_partial(p->ip, p->ip_hlen, 0)) != 0)
    return SVP_CS_BAD_IP;
  if (!p->l4 || p->paycap < p->paylen)
    return SVP_CS_UNCHECKED;
  size_t off = p->proto == IPP_TCP ? 16 : 6;
  uint16_t field = (uint16_t)(p->l4[off] << 8 | p->l4[off + 1]);
  if (p->proto == IPP_UDP && field == 0)
    return SVP_CS_UNCHECKED;
  uint32_t ps = pseudo_sum(p);
  if (svp_csum_fold(svp_csum_partial(p->l4, p->l4_len, ps)) == 0)
    return SVP_CS_GOOD;
  /* Checksum offload: the sender left the folded pseudo-header sum for the
   * NIC to complete (Linux CHECKSUM_PARTIAL, seen on loopback captures). */
  uint16_t partial = (uint16_t)(0xffffu ^ svp_csum_fold(ps));
  uint16_t partial_inv = (uint16_t)(0xffffu ^ partial);
  if (field == partial || field == partial_inv)
    return SVP_CS_OFFLOAD;
  return SVP_CS_BAD_L4;
}
