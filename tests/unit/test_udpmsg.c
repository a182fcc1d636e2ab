/* test_udpmsg.c: src/proto/udpmsg.c on datagrams taken byte for byte from
 * the third-party captures in tests/pcaps/third-party (capture and frame
 * named per row; tshark's reading of each frame is the expectation), and
 * on the same bytes damaged: a length that no longer agrees, a DNP3 header
 * CRC off by one bit, FINS away from port 9600, a TFTP mode that is none. */
#include "svp/proto/udpmsg.h"
#include "tap.h"

#include <stdio.h>
#include <string.h>

struct row {
  const char *src;        /* capture, frame: what tshark calls it */
  uint16_t sport, dport;
  const char *hex;
  bool ok;                /* recognised */
  enum svp_udp_kind kind;
  enum svp_udp_proto proto;
  const char *what;
  bool fresh;
  bool bcast;
};

static const struct row rows[] = {
  /* BACnet/IP */
  {"icsnpp-bacnet/bacnet_segmented_data.pcap 5: I-Am", 47808, 47808,
   "810b001401001000c4020000002204009100219a", true, SVP_UK_ANNOUNCE, SVP_UP_BACNET, "I-Am", false,
   true},
  {"icsnpp-bacnet/bacnet_segmented_data.pcap 1: I-Have", 47808, 47808,
   "810b001d01001001c4020000fec405c0000475090103a489b793788251", true, SVP_UK_ANNOUNCE,
   SVP_UP_BACNET, "I-Have", false, true},
  {"icsnpp-bacnet/bacnet_segmented_data.pcap 2: Who-Has, broadcast", 47808, 47808,
   "810b000d010010072c05c00005", true, SVP_UK_QUERY, SVP_UP_BACNET, "Who-Has", false, true},
  {"icsnpp-bacnet/bacnet_segmented_data.pcap 12: ReadProperty request", 47808, 47808,
   "810a0013010402345d0c0c020000fe194c2900", true, SVP_UK_CLIENT, SVP_UP_BACNET,
   "Confirmed-Request", false, false},
  {"icsnpp-bacnet/bacnet_segmented_data.pcap 13: ComplexACK", 47808, 47808,
   "810a00170100305d0c0c020000fe194c29003e2201aa3f", true, SVP_UK_SERVER, SVP_UP_BACNET,
   "ComplexACK", false, false},
  {"icsnpp-bacnet/bacnet_error_reject_abort.pcap 43: Error, NPDU with DNET", 47809, 47808,
   "810a00120120000d013dff5034149105911a", true, SVP_UK_SERVER, SVP_UP_BACNET, "Error", false, false},
  {"icsnpp-bacnet/bacnet_error_reject_abort.pcap 45: Abort sent by the server", 47809, 47808,
   "810b00090100710100", true, SVP_UK_SERVER, SVP_UP_BACNET, "Abort", false, true},
  {"ct-samples/BACnet__BACnet-BBMD-on-same-subnet.cap 2: Who-Is via BBMD", 47808, 47808,
   "8109000c0120ffff000e1008", true, SVP_UK_CLIENT, SVP_UP_BACNET,
   "Distribute-Broadcast-To-Network", false, false},
  {"ct-samples/BACnet__BACnet-BBMD-on-same-subnet.cap 3: BVLC-Result", 47808, 47808,
   "810000060000", true, SVP_UK_SERVER, SVP_UP_BACNET, "BVLC-Result", false, false},
  {"ct-samples/BACnet__BACnet-BBMD-on-same-subnet.cap 4: Forwarded-NPDU", 47808, 47808,
   "81040012c0a80086bac00120ffff000e1008", true, SVP_UK_ANNOUNCE, SVP_UP_BACNET,
   "Forwarded-NPDU", false, false},
  {"ndpi/bacnet.pcap 1: ReadProperty from a scanner", 53234, 47808,
   "810a001101040005a90c0c023fffff194b", true, SVP_UK_CLIENT, SVP_UP_BACNET,
   "Confirmed-Request", false, false},
  {"I-Am whose BVLL length says one byte more", 47808, 47808,
   "810b001501001000c4020000002204009100219a", false, SVP_UK_UNKNOWN, SVP_UP_NONE, "", false, false},
  /* EtherNet/IP */
  {"iti-ics-security-tools/openics__EIP-IPAddressChangeAttempt.pcap 3985: ListIdentity", 1136,
   44818, "630000000000000000000000000000000000000000000000", true, SVP_UK_CLIENT, SVP_UP_ENIP,
   "ListIdentity request", false, false},
  {"iti-ics-security-tools/openics__EIP-IPAddressChangeAttempt.pcap 3986: its reply", 44818,
   1136,
   "63003300000000000000000000000000000000000000000001000c002d0001000002af12c0a80a7800000000"
   "0000000001000c003a0004073000c3ae51000b313735362d454e42542f4103",
   true, SVP_UK_SERVER, SVP_UP_ENIP, "ListIdentity reply", false, false},
  {"ListIdentity request with options set", 1136, 44818,
   "630000000000000000000000000000000000000000000001", false, SVP_UK_UNKNOWN, SVP_UP_NONE, "", false, false},
  /* Omron FINS */
  {"icsnpp-omron-fins/omron.pcap 1: command", 58722, 9600,
   "8000020000000000007a010100cccccc0001", true, SVP_UK_CLIENT, SVP_UP_FINS, "FINS command", false, false},
  {"icsnpp-omron-fins/omron.pcap 94: response", 58722, 9600, "c100020000000000007a01010000",
   true, SVP_UK_SERVER, SVP_UP_FINS, "FINS response", false, false},
  {"the same response between two other ports", 58722, 9601, "c100020000000000007a01010000",
   false, SVP_UK_UNKNOWN, SVP_UP_NONE, "", false, false},
  /* DNP3 */
  {"zeek/dnp3__dnp3_udp_read.pcap 1: link status request from the outstation", 20000, 1128,
   "05640549640001007e5f", true, SVP_UK_ANNOUNCE, SVP_UP_DNP3, "DNP3 from outstation", false, false},
  {"zeek/dnp3__dnp3_udp_read.pcap 2: the master's link answer", 1128, 20000,
   "0564058b01006400a097", true, SVP_UK_CLIENT, SVP_UP_DNP3, "DNP3 from master", false, false},
  {"zeek/dnp3__dnp3_udp_read.pcap 6: response", 20000, 1128,
   "0564ff4464000100ff2f60878190000101010000ff03", true, SVP_UK_SERVER, SVP_UP_DNP3,
   "DNP3 response", false, false},
  {"frame 1 with its CRC off by one bit", 20000, 1128, "05640549640001007e5e", false,
   SVP_UK_UNKNOWN, SVP_UP_NONE, "", false, false},
  /* TFTP */
  {"arkime/arkime_synthetic.pcap 532: RRQ", 49152, 69,
   "00016669726d776172652e62696e006f6374657400", true, SVP_UK_CLIENT, SVP_UP_TFTP, "RRQ", true, false},
  {"arkime/arkime_synthetic.pcap 534: WRQ", 49153, 69,
   "000275706c6f61642e747874006f6374657400", true, SVP_UK_CLIENT, SVP_UP_TFTP, "WRQ", true, false},
  {"RRQ whose mode is no TFTP mode", 49152, 69, "00016669726d776172652e62696e00626f677573"
   "00", false, SVP_UK_UNKNOWN, SVP_UP_NONE, "", false, false},
  /* none of these */
  {"ndpi/dns.pcap 1: a DNS answer", 53, 32795,
   "dca28180000100000000000003777777016c06676f6f676c6503636f6d00001c0001", false,
   SVP_UK_UNKNOWN, SVP_UP_NONE, "", false, false},
};

int main(void)
{
  uint8_t buf[512];
  for (size_t i = 0; i < SVP_ARRAY_LEN(rows); i++) {
    const struct row *r = &rows[i];
    size_t n = tap_unhex(r->hex, buf, sizeof buf);
    struct svp_udp_msg m;
    bool ok = svp_udp_msg_parse(buf, n, r->sport, r->dport, &m);
    tap_note("%s", r->src);
    CHECK_INT(ok, r->ok);
    CHECK_STR(svp_udp_kind_name(m.kind), svp_udp_kind_name(r->kind));
    CHECK_STR(svp_udp_proto_name(m.proto), svp_udp_proto_name(r->proto));
    CHECK_STR(m.what, r->what);
    CHECK_INT(m.fresh_port_reply, r->fresh);
    CHECK_INT(m.broadcast, r->bcast);
    /* every prefix is read without reading past it (ASan) and never
     * taken for more than the whole */
    for (size_t k = 0; k < n; k++) {
      struct svp_udp_msg mk;
      svp_udp_msg_parse(buf, k, r->sport, r->dport, &mk);
      if (mk.proto != SVP_UP_NONE && r->proto == SVP_UP_NONE)
        CHECK(!"a prefix of an unrecognised datagram was recognised");
    }
  }
  /* answers from a TFTP server's transfer port */
  static const struct { const char *src, *hex; bool ok; } ans[] = {
    {"arkime/arkime_synthetic.pcap 533: DATA block 1", "0003000141414141", true},
    {"arkime/arkime_synthetic.pcap 535: ACK of block 0", "00040000", true},
    {"DATA block 2 (not a first answer)", "0003000241414141", false},
    {"OACK blksize 1428", "0006626c6b73697a6500313432380000", false},
    {"OACK blksize 1428, well formed", "0006626c6b73697a650031343238 00", true},
    {"ERROR 1 File not found", "000500011046696c65206e6f7420666f756e6400", false},
    {"ERROR 1 File not found, well formed", "0005000146696c65206e6f7420666f756e6400", true},
  };
  for (size_t i = 0; i < SVP_ARRAY_LEN(ans); i++) {
    char clean[128];
    size_t o = 0;
    for (const char *h = ans[i].hex; *h && o + 1 < sizeof clean; h++)
      if (*h != ' ')
        clean[o++] = *h;
    clean[o] = '\0';
    size_t n = tap_unhex(clean, buf, sizeof buf);
    tap_note("%s", ans[i].src);
    CHECK_INT(svp_udp_tftp_answer(buf, n), ans[i].ok);
  }
  CHECK(!svp_udp_msg_parse(NULL, 0, 1, 2, &(struct svp_udp_msg){0}));
  return tap_done();
}
