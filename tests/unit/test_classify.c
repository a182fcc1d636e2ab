/* test_classify.c: the general request classifiers on real client bytes.
 * Each hex string is the first client payload of a flow in a third-party
 * capture under tests/pcaps/third-party (file and frame given), extracted
 * with: tshark -r FILE -Y 'tcp.len>0||udp' -T fields -e tcp.payload -e udp.payload */
#include "svp/ident/classify.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tcase {
  const char *src;     /* capture and frame */
  enum svp_l4 l4;
  uint16_t sport;
  const char *hex;
  const char *want;    /* class name, NULL = none */
  const char *probe0;  /* first probe named, if want */
};

static const struct tcase cases[] = {
  {"ndpi/443-curl.pcap#4", SVP_L4_TCP, 443,
   "1603010200010001fc03033e3841edcc20f6d0e5f7167ab7ee91a800c8ef70c2d6",
   "tls-client-hello", "SSLSessionReq"},
  {"ndpi/http.pcapng#4", SVP_L4_TCP, 80,
   "474554202f20485454502f312e310d0a486f73743a20676f6f676c652e636f6d0d0a",
   "http-request", "GetRequest"},
  {"ndpi/rtsp.pcap#1", SVP_L4_TCP, 8554,
   "4745545f504152414d4554455220727473703a2f2f31302e322e322e323a383535342f20525453502f312e300d0a",
   "rtsp-request", "RTSPRequest"},
  {"ndpi/resp.pcap#4", SVP_L4_TCP, 6379, "2a310d0a24370d0a434f4d4d414e440d0a",
   "redis-resp", "redis-server"},
  {"ndpi/memcached.cap#4", SVP_L4_TCP, 11211, "73746174730d0a", "memcache-text", "Memcache"},
  {"ndpi/mongodb.pcap#12", SVP_L4_TCP, 27017,
   "3b0000000000000000000000d4070000000000006162746573742e24636d640000000000ffffffff13000000106765746e6f6e6365000100000000",
   "mongodb", "mongodb"},
  {"ndpi/oracle12.pcapng#4", SVP_L4_TCP, 1521,
   "00d4000001000000013b012c0c412000ffff7f08000001", "tns-connect", "oracle-tns"},
  {"ndpi/rdp.pcap#4", SVP_L4_TCP, 3389, "030000130ee00000000000010008000b000000",
   "rdp-connect", "TerminalServerCookie"},
  {"ndpi/jrmi.pcap#4", SVP_L4_TCP, 1099, "4a524d4900024b", "java-rmi", "JavaRMI"},
  {"ndpi/ajp.pcap#5", SVP_L4_TCP, 8009, "123400010a", "ajp", "ajp"},
  {"ndpi/smbv1.pcap#1", SVP_L4_TCP, 445,
   "00000085ff534d4272000000001853c00000000000000000000000000000fffe0000400000620002",
   "smb-negotiate", "SMBProgNeg"},
  {"arkime/wireshark-smb-on-windows10.pcap (139, session request)", SVP_L4_TCP, 139,
   "810000442046444544464743414341434143414341434143414341434143414341434143410020"
   "454545464644454c464545504641434e4647444245474542444146464642414100",
   "netbios-session", "SMB2Negotiate"},
  {"the same with a called name that is not first-level encoded", SVP_L4_TCP, 139,
   "810000442046444544464743414341434143414341434143414341434143414341434143510020"
   "454545464644454c464545504641434e4647444245474542444146464642414100",
   NULL, NULL},
  {"arkime/dns-tcp.pcap#4", SVP_L4_TCP, 53,
   "001c5e630100000100000000000006676f6f676c6503636f6d0000010001", "dns-query",
   "DNSVersionBindReqTCP"},
  {"zeek/ldap__ldap-who-am-i.pcap#4", SVP_L4_TCP, 389,
   "302a0201016025020103041a636e3d61646d696e2c64633d6578616d706c652c64633d636f6d80047a65656b",
   "ldap-bind", "LDAPBindReq"},
  {"ndpi/snmp.pcap#1", SVP_L4_UDP, 161,
   "302902010004067075626c6963a11c02044b781a6e020100020100300e300c06082b060102010105000500",
   "snmp-v1v2", "SNMPv1public"},
  {"ndpi/sip.pcap#1", SVP_L4_UDP, 5060,
   "5245474953544552207369703a7369702e6379626572636974792e646b205349502f322e300d0a",
   "sip-request", "SIPOptions"},
  {"ndpi/dns.pcap#2", SVP_L4_UDP, 53,
   "bc1f0100000100000000000003777777076578616d706c6503636f6d00001c0001", "dns-query",
   "DNSVersionBindReq"},
  /* requests no general class claims */
  {"ndpi/pgsql.pcap#7", SVP_L4_TCP, 5432,
   "000000260003000075736572006f727978006461746162617365006d61696c73746f72650000",
   "pgsql-startup", "PostgreSQLStartup"},
  {"ndpi/ssh.pcap (client identification)", SVP_L4_TCP, 22,
   "5353482d322e302d4f70656e5353485f352e330d0a", NULL, NULL},
  {"ndpi/kafka.pcapng#1", SVP_L4_TCP, 9092, "000000150012000000000081000772646b61666b6100000000",
   NULL, NULL},
  /* a DNS-shaped UDP datagram to a non-DNS port is not taken for DNS */
  {"ndpi/dns.pcap#2 sent to port 9999", SVP_L4_UDP, 9999,
   "bc1f0100000100000000000003777777076578616d706c6503636f6d00001c0001", NULL, NULL},
};

int main(void)
{
  uint8_t buf[512];
  for (size_t i = 0; i < SVP_ARRAY_LEN(cases); i++) {
    const struct tcase *t = &cases[i];
    size_t n = tap_unhex(t->hex, buf, sizeof buf);
    const struct svp_reqclass *c = svp_classify(t->l4, buf, n, t->sport);
    if (!t->want) {
      tap_check(c == NULL, __FILE__, __LINE__, "%s: no class (got %s)", t->src,
                c ? c->name : "none");
      continue;
    }
    tap_check(c && strcmp(c->name, t->want) == 0, __FILE__, __LINE__,
              "%s: class %s (got %s)", t->src, t->want, c ? c->name : "none");
    if (c)
      CHECK_STR(c->probes[0], t->probe0);
    /* every prefix of a request must classify without reading past it */
    for (size_t k = 0; k < n; k++) {
      uint8_t *cut = malloc(k ? k : 1);
      memcpy(cut, buf, k);
      (void)svp_classify(t->l4, cut, k, t->sport);
      free(cut);
    }
  }
  CHECK(svp_classify(SVP_L4_TCP, NULL, 0, 80) == NULL);
  return tap_done();
}
