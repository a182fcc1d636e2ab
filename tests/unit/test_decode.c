/* test_decode.c: link layers, VLAN stacks, IPv4 options, IPv6 extension
 * headers, tunnels, truncation at every length, checksum verdicts. */
#include "svp/capture/decode.h"
#include "tap.h"
#include "test_capture_pkt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint8_t ip4[256], ip6[256];
static size_t n4, n6;

/* Decode a copy of exactly n bytes (so that ASan sees any over-read). */
static enum svp_dec_why dec(int lt, const uint8_t *f, size_t n, struct svp_pkt *p)
{
  uint8_t *b = malloc(n ? n : 1);
  memcpy(b, f, n);
  enum svp_dec_why w = svp_decode(lt, b, n, p);
  /* pointers into b must stay inside it */
  if (w == SVP_DW_OK) {
    CHECK(p->payload >= b && p->payload + p->paycap <= b + n);
    p->payload = NULL;
    p->l4 = NULL;
    p->ip = NULL;
  }
  free(b);
  return w;
}

/* The frame must decode to the TCP packet ip4 (10.1.2.3:40000 ->
 * 10.9.8.7:502, payload "hello"). */
static void expect_tcp4(const char *what, int lt, const uint8_t *f, size_t n, uint16_t vlan)
{
  struct svp_pkt p;
  enum svp_dec_why w = dec(lt, f, n, &p);
  tap_check(w == SVP_DW_OK, __FILE__, __LINE__, "%s: decodes (got %s)", what,
            svp_dec_why_name(w));
  tap_check(p.family == 4 && p.sport == 40000 && p.dport == 502 && p.paylen == 5 &&
                p.paycap == 5 && p.proto == 6,
            __FILE__, __LINE__, "%s: TCP 40000->502 with 5 bytes", what);
  tap_check(p.vlan == vlan, __FILE__, __LINE__, "%s: vlan %u (got %u)", what, vlan, p.vlan);
  char a[64];
  svp_addr_str(&p.src, a, sizeof a);
  tap_check(strcmp(a, "10.1.2.3") == 0, __FILE__, __LINE__, "%s: source %s", what, a);
}

/* Every cut of the frame decodes without reading past it, and never to a
 * packet whose headers were cut. */
static void truncations(const char *what, int lt, const uint8_t *f, size_t n, size_t l4end)
{
  int bad = 0;
  for (size_t k = 0; k < n; k++) {
    struct svp_pkt p;
    enum svp_dec_why w = dec(lt, f, k, &p);
    if (w == SVP_DW_OK && k < l4end)
      bad++;
  }
  tap_check(bad == 0, __FILE__, __LINE__, "%s: no cut before the transport header decodes",
            what);
}

static size_t prefix(uint8_t *out, const uint8_t *hdr, size_t hl, const uint8_t *ip, size_t n)
{
  memcpy(out, hdr, hl);
  memcpy(out + hl, ip, n);
  return hl + n;
}

static void test_link_layers(void)
{
  uint8_t f[512];
  size_t n;
  /* Ethernet, VLAN stacks */
  n = tp_eth(f, NULL, NULL, 0, ip4, n4);
  expect_tcp4("ethernet", SVP_LT_EN10MB, f, n, 0);
  truncations("ethernet", SVP_LT_EN10MB, f, n, 14 + 40);
  uint16_t t1[] = {0x8100}, v1[] = {0x2064};
  n = tp_eth(f, t1, v1, 1, ip4, n4);
  expect_tcp4("802.1Q", SVP_LT_EN10MB, f, n, 100);
  uint16_t t2[] = {0x88a8, 0x8100}, v2[] = {300, 7};
  n = tp_eth(f, t2, v2, 2, ip4, n4);
  expect_tcp4("QinQ 802.1ad", SVP_LT_EN10MB, f, n, 300);
  truncations("QinQ", SVP_LT_EN10MB, f, n, 22 + 40);
  uint16_t t3[] = {0x9100, 0x8100, 0x8100}, v3[] = {11, 12, 13};
  n = tp_eth(f, t3, v3, 3, ip4, n4);
  expect_tcp4("three tags", SVP_LT_EN10MB, f, n, 11);
  struct svp_pkt p;
  CHECK(dec(SVP_LT_EN10MB, f, n, &p) == SVP_DW_OK && p.n_vlan == 3);
  /* too many tags */
  uint16_t tm[20], vm[20];
  for (int i = 0; i < 20; i++)
    tm[i] = 0x8100, vm[i] = 1;
  n = tp_eth(f, tm, vm, 20, ip4, n4);
  CHECK_INT(dec(SVP_LT_EN10MB, f, n, &p), SVP_DW_ENCAP_DEPTH);

  /* MPLS: two labels, bottom of stack on the second */
  static const uint8_t mpls[] = {2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 0x88, 0x47,
                                 0x00, 0x01, 0x00, 0x40, 0x00, 0x02, 0x01, 0x40};
  n = prefix(f, mpls, sizeof mpls, ip4, n4);
  expect_tcp4("MPLS", SVP_LT_EN10MB, f, n, 0);
  /* PPPoE session */
  static const uint8_t pppoe[] = {2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 0x88, 0x64,
                                  0x11, 0x00, 0x12, 0x34, 0x00, 0x40, 0x00, 0x21};
  n = prefix(f, pppoe, sizeof pppoe, ip4, n4);
  expect_tcp4("PPPoE", SVP_LT_EN10MB, f, n, 0);
  /* 802.3 + LLC/SNAP */
  static const uint8_t snap[] = {2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 0x00, 0x50,
                                 0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00};
  n = prefix(f, snap, sizeof snap, ip4, n4);
  expect_tcp4("LLC/SNAP", SVP_LT_EN10MB, f, n, 0);
  /* ARP */
  static const uint8_t arp[] = {2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 0x08, 0x06, 0, 1};
  CHECK_INT(dec(SVP_LT_EN10MB, arp, sizeof arp, &p), SVP_DW_NOT_IP);

  /* Linux SLL and SLL2 */
  static const uint8_t sll[] = {0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x00};
  n = prefix(f, sll, sizeof sll, ip4, n4);
  expect_tcp4("LINUX_SLL", SVP_LT_LINUX_SLL, f, n, 0);
  truncations("LINUX_SLL", SVP_LT_LINUX_SLL, f, n, 16 + 40);
  static const uint8_t sll_vlan[] = {0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x81, 0x00,
                                     0x00, 0x2a, 0x08, 0x00};
  n = prefix(f, sll_vlan, sizeof sll_vlan, ip4, n4);
  expect_tcp4("LINUX_SLL + 802.1Q", SVP_LT_LINUX_SLL, f, n, 42);
  static const uint8_t sll2[] = {0x08, 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6,
                                 1, 2, 3, 4, 5, 6, 0, 0};
  n = prefix(f, sll2, sizeof sll2, ip4, n4);
  expect_tcp4("LINUX_SLL2", SVP_LT_LINUX_SLL2, f, n, 0);
  truncations("LINUX_SLL2", SVP_LT_LINUX_SLL2, f, n, 20 + 40);

  /* BSD NULL (host order, either) and LOOP (network order) */
  static const uint8_t null_le[] = {2, 0, 0, 0}, null_be[] = {0, 0, 0, 2};
  n = prefix(f, null_le, 4, ip4, n4);
  expect_tcp4("NULL little-endian", SVP_LT_NULL, f, n, 0);
  n = prefix(f, null_be, 4, ip4, n4);
  expect_tcp4("NULL big-endian", SVP_LT_NULL, f, n, 0);
  expect_tcp4("LOOP", SVP_LT_LOOP, f, n, 0);
  static const uint8_t null6[][4] = {{24, 0, 0, 0}, {28, 0, 0, 0}, {30, 0, 0, 0}, {0, 0, 0, 10}};
  for (int i = 0; i < 4; i++) {
    n = prefix(f, null6[i], 4, ip6, n6);
    CHECK(dec(SVP_LT_NULL, f, n, &p) == SVP_DW_OK && p.family == 6);
  }
  static const uint8_t null_ipx[] = {23, 0, 0, 0};
  n = prefix(f, null_ipx, 4, ip4, n4);
  CHECK_INT(dec(SVP_LT_NULL, f, n, &p), SVP_DW_NOT_IP);

  /* raw IP, every number */
  int raws[] = {SVP_LT_RAW, SVP_LT_RAW_DLT12, SVP_LT_RAW_DLT14, SVP_LT_IPV4};
  for (size_t i = 0; i < SVP_ARRAY_LEN(raws); i++)
    expect_tcp4(svp_linktype_name(raws[i]), raws[i], ip4, n4, 0);
  CHECK(dec(SVP_LT_IPV6, ip6, n6, &p) == SVP_DW_OK && p.family == 6 && p.dport == 443);
  truncations("raw IPv6", SVP_LT_RAW, ip6, n6, 60);

  /* PPP: with and without address/control, 1-byte protocol; C-HDLC */
  static const uint8_t ppp1[] = {0xff, 0x03, 0x00, 0x21}, ppp2[] = {0x00, 0x21}, ppp3[] = {0x21};
  n = prefix(f, ppp1, sizeof ppp1, ip4, n4);
  expect_tcp4("PPP ff03", SVP_LT_PPP, f, n, 0);
  n = prefix(f, ppp2, sizeof ppp2, ip4, n4);
  expect_tcp4("PPP", SVP_LT_PPP_HDLC, f, n, 0);
  n = prefix(f, ppp3, sizeof ppp3, ip4, n4);
  expect_tcp4("PPP short protocol", SVP_LT_PPP, f, n, 0);
  static const uint8_t chdlc[] = {0x0f, 0x00, 0x08, 0x00};
  n = prefix(f, chdlc, sizeof chdlc, ip4, n4);
  expect_tcp4("C_HDLC", SVP_LT_C_HDLC, f, n, 0);
  static const uint8_t pppeth[] = {0x11, 0x00, 0x00, 0x01, 0x00, 0x40, 0x00, 0x21};
  n = prefix(f, pppeth, sizeof pppeth, ip4, n4);
  expect_tcp4("PPP_ETHER", SVP_LT_PPP_ETHER, f, n, 0);

  /* 802.11 data, QoS data, behind radiotap / PPI / Prism; protected; mgmt */
  uint8_t w[64];
  memset(w, 0, sizeof w);
  w[0] = 0x08; /* data */
  w[1] = 0x01; /* to DS */
  static const uint8_t llc[] = {0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00};
  memcpy(w + 24, llc, 8);
  n = prefix(f, w, 32, ip4, n4);
  expect_tcp4("802.11 data", SVP_LT_IEEE802_11, f, n, 0);
  uint8_t q[64];
  memset(q, 0, sizeof q);
  q[0] = 0x88; /* QoS data */
  memcpy(q + 26, llc, 8);
  n = prefix(f, q, 34, ip4, n4);
  expect_tcp4("802.11 QoS data", SVP_LT_IEEE802_11, f, n, 0);
  uint8_t rt[80] = {0, 0, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  memcpy(rt + 12, w, 32);
  n = prefix(f, rt, 44, ip4, n4);
  expect_tcp4("radiotap", SVP_LT_RADIOTAP, f, n, 0);
  truncations("radiotap", SVP_LT_RADIOTAP, f, n, 44 + 40);
  uint8_t ppi[80] = {0, 0, 8, 0, 105, 0, 0, 0};
  memcpy(ppi + 8, w, 32);
  n = prefix(f, ppi, 40, ip4, n4);
  expect_tcp4("PPI", SVP_LT_PPI, f, n, 0);
  uint8_t prism[200];
  memset(prism, 0, sizeof prism);
  memcpy(prism + 144, w, 32);
  n = prefix(f, prism, 176, ip4, n4);
  expect_tcp4("Prism", SVP_LT_PRISM, f, n, 0);
  w[1] = 0x41; /* protected */
  n = prefix(f, w, 32, ip4, n4);
  CHECK_INT(dec(SVP_LT_IEEE802_11, f, n, &p), SVP_DW_WLAN_CRYPT);
  w[0] = 0x80; /* beacon */
  n = prefix(f, w, 32, ip4, n4);
  CHECK_INT(dec(SVP_LT_IEEE802_11, f, n, &p), SVP_DW_WLAN_NODATA);
  static const uint8_t bad_rt[] = {0, 0, 2, 0, 0, 0, 0, 0};
  CHECK_INT(dec(SVP_LT_RADIOTAP, bad_rt, sizeof bad_rt, &p), SVP_DW_LINK_BAD);

  /* ARCnet (RFC 1051 and RFC 1201), pflog, enc, nflog */
  static const uint8_t arc_old[] = {0x01, 0x02, 0x00, 0x00, 0xf0};
  n = prefix(f, arc_old, sizeof arc_old, ip4, n4);
  expect_tcp4("ARCnet RFC 1051", SVP_LT_ARCNET_LINUX, f, n, 0);
  static const uint8_t arc_new[] = {0x01, 0x02, 0x00, 0x00, 0xd4, 0x00, 0x00, 0x01};
  n = prefix(f, arc_new, sizeof arc_new, ip4, n4);
  expect_tcp4("ARCnet RFC 1201", SVP_LT_ARCNET_LINUX, f, n, 0);
  uint8_t pflog[48] = {45, 2};
  n = prefix(f, pflog, 48, ip4, n4);
  expect_tcp4("pflog", SVP_LT_PFLOG, f, n, 0);
  uint8_t enc[12] = {2, 0, 0, 0};
  n = prefix(f, enc, 12, ip4, n4);
  expect_tcp4("enc", SVP_LT_ENC, f, n, 0);
  uint8_t nfl[16] = {2, 0, 0, 0, 8, 0, 1, 0, 0x08, 0, 0, 0};
  size_t tl = 4 + n4;
  nfl[12] = (uint8_t)tl;
  nfl[13] = (uint8_t)(tl >> 8);
  nfl[14] = 9;
  nfl[15] = 0;
  n = prefix(f, nfl, 16, ip4, n4);
  expect_tcp4("nflog", SVP_LT_NFLOG, f, n, 0);

  CHECK_INT(dec(147, ip4, n4, &p), SVP_DW_LINKTYPE);
  CHECK(!svp_decode_linktype_known(147));
  CHECK(svp_decode_linktype_known(SVP_LT_LINUX_SLL2));
  CHECK_STR(svp_linktype_name(SVP_LT_LINUX_SLL2), "LINUX_SLL2");
}

static void test_ip_layers(void)
{
  uint8_t f[512];
  struct svp_pkt p;
  /* IPv4 with options: IHL 7 (8 bytes of NOP/EOL) */
  memcpy(f, ip4, 20);
  memset(f + 20, 1, 8);
  memcpy(f + 28, ip4 + 20, n4 - 20);
  f[0] = 0x47;
  tp_put16(f + 2, (uint16_t)(n4 + 8));
  CHECK(dec(SVP_LT_RAW, f, n4 + 8, &p) == SVP_DW_OK && p.ip_hlen == 28 && p.paylen == 5 &&
        p.dport == 502);
  /* Ethernet padding after the IP packet is not payload */
  memcpy(f, ip4, n4);
  memset(f + n4, 0xee, 20);
  CHECK(dec(SVP_LT_RAW, f, n4 + 20, &p) == SVP_DW_OK && p.paylen == 5 && p.paycap == 5);
  /* snap length: payload cut */
  CHECK(dec(SVP_LT_RAW, ip4, n4 - 2, &p) == SVP_DW_OK && p.paylen == 5 && p.paycap == 3);
  /* fragments */
  memcpy(f, ip4, n4);
  f[6] = 0x20; /* MF, offset 0 */
  CHECK(dec(SVP_LT_RAW, f, n4, &p) == SVP_DW_FRAG_LATER && p.ip_frag && p.family == 4);
  f[6] = 0x00;
  f[7] = 0x10; /* offset 128 */
  CHECK(dec(SVP_LT_RAW, f, n4, &p) == SVP_DW_FRAG_LATER);
  /* malformed */
  memcpy(f, ip4, n4);
  f[0] = 0x44;
  CHECK_INT(dec(SVP_LT_RAW, f, n4, &p), SVP_DW_IP_BAD);
  f[0] = 0x75;
  CHECK_INT(dec(SVP_LT_RAW, f, n4, &p), SVP_DW_IP_BAD);
  memcpy(f, ip4, n4);
  f[32] = 0x40; /* TCP data offset 4 */
  CHECK_INT(dec(SVP_LT_RAW, f, n4, &p), SVP_DW_L4_BAD);
  f[32] = 0xf0; /* 60 bytes of header in a 25-byte segment */
  CHECK_INT(dec(SVP_LT_RAW, f, n4, &p), SVP_DW_L4_BAD);
  memcpy(f, ip4, n4);
  f[9] = 1; /* ICMP */
  CHECK(dec(SVP_LT_RAW, f, n4, &p) == SVP_DW_OTHER_L4 && p.family == 4);

  /* IPv6 extension headers: hop-by-hop, routing, destination options, AH,
   * fragment (first fragment), then TCP. */
  static const uint8_t ext[] = {
    43, 0, 1, 4, 0, 0, 0, 0,                /* hop-by-hop -> routing */
    60, 0, 0, 0, 0, 0, 0, 0,                /* routing -> dst opts */
    51, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* dst opts (16) -> AH */
    44, 2, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, /* AH (16) -> fragment */
    6, 0, 0, 1, 0, 0, 0, 9,                 /* fragment: offset 0, M=1 -> TCP */
  };
  memcpy(f, ip6, 40);
  f[6] = 0; /* first next header: hop-by-hop */
  memcpy(f + 40, ext, sizeof ext);
  memcpy(f + 40 + sizeof ext, ip6 + 40, n6 - 40);
  tp_put16(f + 4, (uint16_t)(n6 - 40 + sizeof ext));
  size_t n = n6 + sizeof ext;
  CHECK(dec(SVP_LT_RAW, f, n, &p) == SVP_DW_OK && p.proto == 6 && p.dport == 443 &&
        p.ip_hlen == 40 + sizeof ext && p.ip_frag);
  truncations("IPv6 extension headers", SVP_LT_RAW, f, n, 40 + sizeof ext + 20);
  /* a later fragment */
  f[40 + sizeof ext - 6] = 0x01; /* offset 32 */
  CHECK_INT(dec(SVP_LT_RAW, f, n, &p), SVP_DW_IP6_FRAG);
  /* UDP in the first fragment of an IPv6 datagram: the UDP length covers
   * the whole datagram; what this fragment holds is what is captured. */
  {
    uint8_t u[128];
    memset(u, 0, sizeof u);
    u[0] = 0x60;
    tp_put16(u + 4, 8 + 8 + 40); /* fragment header + UDP header + 40 bytes */
    u[6] = 44;
    u[40] = 17;                  /* fragment: next header UDP, offset 0, M */
    tp_put16(u + 42, 1);
    tp_put16(u + 48, 5000);
    tp_put16(u + 50, 53);
    tp_put16(u + 52, 1000);      /* UDP length of the whole datagram */
    CHECK(dec(SVP_LT_RAW, u, 40 + 56, &p) == SVP_DW_OK && p.proto == 17 && p.ip_frag &&
          p.paylen == 992 && p.paycap == 40);
  }
  /* an extension header running past the packet */
  memcpy(f, ip6, 40);
  f[6] = 0;
  f[40] = 6;
  f[41] = 200;
  tp_put16(f + 4, 8);
  CHECK_INT(dec(SVP_LT_RAW, f, 48, &p), SVP_DW_IP6_EXT);
  /* no next header */
  memcpy(f, ip6, n6);
  f[6] = 59;
  CHECK_INT(dec(SVP_LT_RAW, f, n6, &p), SVP_DW_OTHER_L4);
}

static void test_tunnels(void)
{
  uint8_t f[512], outer[64];
  struct svp_pkt p;
  struct tp_l4 none = {.proto = 4};
  /* IP-in-IP: outer header (protocol 4) around ip4 */
  size_t on = tp_ip(outer, "192.0.2.1", "192.0.2.2", &none);
  memcpy(f, outer, 20);
  memcpy(f + 20, ip4, n4);
  tp_put16(f + 2, (uint16_t)(20 + n4));
  f[10] = f[11] = 0;
  (void)on;
  CHECK(dec(SVP_LT_RAW, f, 20 + n4, &p) == SVP_DW_OK && p.n_encap == 1 && p.dport == 502);
  /* 6in4 */
  memcpy(f + 20, ip6, n6);
  f[9] = 41;
  tp_put16(f + 2, (uint16_t)(20 + n6));
  CHECK(dec(SVP_LT_RAW, f, 20 + n6, &p) == SVP_DW_OK && p.family == 6 && p.n_encap == 1);
  /* GRE with a key, carrying IPv4 */
  static const uint8_t gre[] = {0x20, 0x00, 0x08, 0x00, 0, 0, 0, 7};
  memcpy(f + 20, gre, sizeof gre);
  memcpy(f + 28, ip4, n4);
  f[9] = 47;
  tp_put16(f + 2, (uint16_t)(28 + n4));
  CHECK(dec(SVP_LT_RAW, f, 28 + n4, &p) == SVP_DW_OK && p.n_encap == 1 && p.sport == 40000);
  /* GRE carrying something else stays "other transport" */
  f[22] = 0x88;
  f[23] = 0x0b;
  CHECK_INT(dec(SVP_LT_RAW, f, 28 + n4, &p), SVP_DW_OTHER_L4);
  /* VXLAN: UDP 4789, 8-byte header, Ethernet, ip4 */
  uint8_t inner[256];
  size_t en = tp_eth(inner, NULL, NULL, 0, ip4, n4);
  uint8_t vx[300] = {0x08, 0, 0, 0, 0, 0, 1, 0};
  memcpy(vx + 8, inner, en);
  struct tp_l4 u = {.proto = 17, .sport = 5555, .dport = 4789, .pay = vx, .n = 8 + en};
  size_t vn = tp_ip(f, "192.0.2.1", "192.0.2.2", &u);
  CHECK(dec(SVP_LT_RAW, f, vn, &p) == SVP_DW_OK && p.n_encap == 1 && p.dport == 502);
}

static void test_checksums(void)
{
  struct svp_pkt p;
  uint8_t f[256];
  CHECK(svp_decode(SVP_LT_RAW, ip4, n4, &p) == SVP_DW_OK);
  CHECK_INT(svp_pkt_csum(&p), SVP_CS_GOOD);
  CHECK(svp_decode(SVP_LT_RAW, ip6, n6, &p) == SVP_DW_OK);
  CHECK_INT(svp_pkt_csum(&p), SVP_CS_GOOD);
  memcpy(f, ip4, n4);
  f[n4 - 1] ^= 0x55;
  svp_decode(SVP_LT_RAW, f, n4, &p);
  CHECK_INT(svp_pkt_csum(&p), SVP_CS_BAD_L4);
  memcpy(f, ip4, n4);
  f[8] = 1; /* TTL changed, header checksum not */
  svp_decode(SVP_LT_RAW, f, n4, &p);
  CHECK_INT(svp_pkt_csum(&p), SVP_CS_BAD_IP);
  /* Offload: the TCP field holds the folded pseudo-header sum. */
  memcpy(f, ip4, n4);
  uint32_t ps = svp_csum_partial(f + 12, 8, 0) + 6 + (uint32_t)(n4 - 20);
  uint16_t partial = (uint16_t)(0xffffu ^ svp_csum_fold(ps));
  tp_put16(f + 36, partial);
  svp_decode(SVP_LT_RAW, f, n4, &p);
  CHECK_INT(svp_pkt_csum(&p), SVP_CS_OFFLOAD);
  /* Cut payload: cannot be checked */
  svp_decode(SVP_LT_RAW, ip4, n4 - 1, &p);
  CHECK_INT(svp_pkt_csum(&p), SVP_CS_UNCHECKED);
  /* UDP checksum 0 */
  size_t un = tp_udp(f, "10.0.0.1", 53, "10.0.0.2", 4444, "x");
  f[26] = f[27] = 0;
  svp_decode(SVP_LT_RAW, f, un, &p);
  CHECK_INT(svp_pkt_csum(&p), SVP_CS_UNCHECKED);
}

int main(void)
{
  n4 = tp_tcp(ip4, "10.1.2.3", 40000, "10.9.8.7", 502, 1000, 2000, SVP_TH_ACK | SVP_TH_PSH,
              "hello");
  n6 = tp_tcp(ip6, "2001:db8::1", 50000, "2001:db8::2", 443, 1, 1, SVP_TH_ACK, "hi");
  test_link_layers();
  test_ip_layers();
  test_tunnels();
  test_checksums();
  CHECK_STR(svp_dec_why_name(SVP_DW_IP6_EXT), "ipv6-ext-malformed");
  CHECK_STR(svp_dec_why_name((enum svp_dec_why)999), "?");
  return tap_done();
}
