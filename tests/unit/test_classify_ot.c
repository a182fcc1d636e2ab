/* test_classify_ot.c: the OT request classes (src/ident/classify_ot.c) on real
 * bytes. Every request/response below is the start of a flow in a capture
 * of tests/pcaps/third-party/ (file named per case) or tests/ot/captures/;
 * the "wrong" variants change one echoed field (and the HTTP reply to a
 * HEL is a made-up non-OPC UA answer). Each case is also replayed
 * at every truncated length (run under ASan/UBSan in CI). */
#include "svp/ident/classify.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>

#define B(s) (const uint8_t *)(s), sizeof(s) - 1

struct tcase {
  const char *what;
  enum svp_l4 l4;
  uint16_t sport;
  const uint8_t *req;
  size_t rlen;
  const char *cls; /* expected class name, NULL = no OT class */
  const uint8_t *resp;
  size_t len;
  int answers; /* 1 / 0 expected, -1 = not checked */
};

static const struct tcase cases[] = {
  /* icsnpp-opcua-binary/pcaps__open62541_client-server_minimal.pcap */
  {"opcua HEL/ACK", SVP_L4_TCP, 4840,
   B("HELF8\0\0\0\0\0\0\0\xff\xff\0\0\xff\xff\0\0\0\0\0\0\0\0\0\0\x18\0\0\0opc.tcp://localhost:4840"),
   "opcua-uatcp",
   B("ACKF\x1c\0\0\0\0\0\0\0\xff\xff\0\0\xff\xff\0\0\0\0\0\0\0\0\0\0"), 1},
  {"opcua HEL/HTTP", SVP_L4_TCP, 4840,
   B("HELF8\0\0\0\0\0\0\0\xff\xff\0\0\xff\xff\0\0\0\0\0\0\0\0\0\0\x18\0\0\0opc.tcp://localhost:4840"),
   "opcua-uatcp", B("HTTP/1.1 400 Bad Request\r\n\r\n"), 0},
  /* ...mainloop-no-handshake.pcap: a stream joined after HEL/OPN */
  {"opcua MSG/MSG", SVP_L4_TCP, 4840,
   B("MSGF\xa6\0\0\0\x04\0\0\0\x04\0\0\0\x03\0\0\0\x03\0\0\0\x01\0\xcd\x01"), "opcua-uatcp",
   B("MSGF\xdc\x01\0\0\x04\0\0\0\x04\0\0\0\x02\0\0\0\x02\0\0\0\x01\0\xaf\x01"), 1},
  /* icsnpp-modbus/modbus_example.pcap: read coils, unit 4 */
  {"modbus read", SVP_L4_TCP, 502, B("\0\x01\0\0\0\x06\x04\x01\0\x01\0\x01"), "modbus-mbap",
   B("\0\x01\0\0\0\x04\x04\x01\x01\x01"), 1},
  {"modbus other tid", SVP_L4_TCP, 502, B("\0\x01\0\0\0\x06\x04\x01\0\x01\0\x01"),
   "modbus-mbap", B("\0\x02\0\0\0\x04\x04\x01\x01\x01"), 0},
  {"modbus other unit", SVP_L4_TCP, 502, B("\0\x01\0\0\0\x06\x04\x01\0\x01\0\x01"),
   "modbus-mbap", B("\0\x01\0\0\0\x04\x05\x01\x01\x01"), 0},
  /* same capture, 3.15.227.20: exception 2 to read holding registers */
  {"modbus exception", SVP_L4_TCP, 502, B("\0\x01\0\0\0\x06\0\x03\x02X\0\x0a"), "modbus-mbap",
   B("\0\x01\0\0\0\x03\0\x83\x02"), 1},
  /* openics MODBUS-TestDataPart2: a scanner's function 0 */
  {"modbus fc 0", SVP_L4_TCP, 502, B("\0\0\0\0\0\x06\x01\0\0\0\0\0"), "modbus-mbap",
   B("\0\0\0\0\0\x03\x01\x80\x01"), 1},
  /* ITI hart__hart_ip.pcap and nDPI elasticsearch.pcap: MBAP-looking
   * headers (protocol id 0) whose lengths no Modbus request has */
  {"hart-ip", SVP_L4_TCP, 5094,
   B("\x01\0\0\0\0\x02\0\x0d\x01\0\0u0\x01\0\x03\0\0\x03\0"), NULL, NULL, 0, -1},
  {"elasticsearch", SVP_L4_TCP, 9300,
   B("ES\0\0\0\x34\0\0\0\0\0\0\0\x01\x08\0\x5c\xc6\x63\0\0\x01\x06x-pack\x16"
     "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"),
   NULL, NULL, 0, -1},
  /* icsnpp-s7comm/s7ident.pcap: COTP CR / CC */
  {"s7 CR/CC", SVP_L4_TCP, 102,
   B("\x03\0\0\x16\x11\xe0\0\0\0\x01\0\xc0\x01\x0a\xc1\x02\x01\0\xc2\x02\x01\x01"),
   "iso-tsap-cotp",
   B("\x03\0\0\x16\x11\xd0\0\x01\0\x01\0\xc0\x01\x0a\xc1\x02\x01\0\xc2\x02\x01\x01"), 1},
  {"s7 CR/DT", SVP_L4_TCP, 102,
   B("\x03\0\0\x16\x11\xe0\0\0\0\x01\0\xc0\x01\x0a\xc1\x02\x01\0\xc2\x02\x01\x01"),
   "iso-tsap-cotp", B("\x03\0\0\x07\x02\xf0\x80"), 0},
  /* snap7_s300_everything.pcapng (mid-stream): setup communication */
  {"s7 setup", SVP_L4_TCP, 102,
   B("\x03\0\0\x19\x02\xf0\x80\x32\x01\0\0\0\0\0\x08\0\0\xf0\0\0\x01\0\x01\x01\xe0"),
   "iso-tsap-cotp",
   B("\x03\0\0\x1b\x02\xf0\x80\x32\x03\0\0\0\0\0\x08\0\0\0\0\xf0\0\0\x01\0\x01\0\xf0"), 1},
  {"s7 setup other ref", SVP_L4_TCP, 102,
   B("\x03\0\0\x19\x02\xf0\x80\x32\x01\0\0\0\0\0\x08\0\0\xf0\0\0\x01\0\x01\x01\xe0"),
   "iso-tsap-cotp",
   B("\x03\0\0\x1b\x02\xf0\x80\x32\x03\0\0\0\x07\0\x08\0\0\0\0\xf0\0\0\x01\0\x01\0\xf0"), 0},
  /* arkime_synthetic.pcap, 3389: an RDP CR is not ISO-TSAP (general class) */
  {"rdp CR", SVP_L4_TCP, 3389,
   B("\x03\0\0-(\xe0\0\0\0\x01\0Cookie: mstshash=rdpuser\r\n\x01\0\x08\0\x03\0\0\0"), NULL, NULL,
   0, -1},
  /* EthernetIP__enip_test.pcap: ListIdentity, sender context echoed */
  {"enip list identity", SVP_L4_TCP, 44818,
   B("c\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\xc1\xde\xbe\xd1\0\0\0\0"), "enip-encap",
   B("c\0\x33\0\0\0\0\0\0\0\0\0\0\0\0\0\xc1\xde\xbe\xd1\0\0\0\0\x01\0\x0c\0"), 1},
  {"enip other context", SVP_L4_TCP, 44818,
   B("c\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\xc1\xde\xbe\xd1\0\0\0\0"), "enip-encap",
   B("c\0\x33\0\0\0\0\0\0\0\0\0\0\0\0\0\xc1\xde\xbe\xd2\0\0\0\0\x01\0\x0c\0"), 0},
  /* openics EIP-FirmwareChange.pcap: RSLinx ListTargets (command 1) */
  {"enip list targets", SVP_L4_TCP, 44818,
   B("\x01\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"), "enip-encap",
   B("\x01\0*\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x01\0"), 1},
  /* openics EIP-SoftwareDownload.pcap: the PLC's SendRRData reply (CIP
   * Get_Attributes_All reply, service 0x81) is not a request, whatever side
   * a mid-stream flow takes it for */
  {"enip reply as request", SVP_L4_TCP, 2927,
   B("\x6f\x00\x37\x00\x00\x01\x02\x11\x00\x00\x00\x00\xb3\x9b\x02\x00\x20\x08\xe1\x00"
     "\x00\x00\x00\x00\x00\x00\x00\x00\x20\x00\x02\x00\x00\x00\x00\x00\xb2\x00\x27\x00"
     "\x81\x00\x00\x00\x01\x00\x0e\x00\x36\x00\x10\x14\x60\x30\x3f\x82\x51\x00\x14\x31"
     "\x37\x35\x36\x2d\x4c\x36\x31\x2f\x42\x20\x4c\x4f\x47\x49\x58\x35\x35\x36\x31"),
   NULL, NULL, 0, -1},
  /* iti bro dnp3.pcap: link frame with a correct header CRC, swapped addresses */
  {"dnp3", SVP_L4_TCP, 20000, B("\x05\x64\x08\xc4\x04\0\x03\0\xb4\xb8"), "dnp3-link",
   B("\x05\x64\x0a\x44\x03\0\x04\0\x7c\xae"), 1},
  {"dnp3 other master", SVP_L4_TCP, 20000, B("\x05\x64\x08\xc4\x04\0\x03\0\xb4\xb8"),
   "dnp3-link", B("\x05\x64\x0a\x44\x06\0\x04\0\xbf\xb0"), 0},
  {"dnp3 bad crc", SVP_L4_TCP, 20000, B("\x05\x64\x08\xc4\x04\0\x03\0\xb4\xb9"), NULL, NULL, 0,
   -1},
  /* same capture: a malformed start (0x05 0x05) */
  {"dnp3 malformed", SVP_L4_TCP, 20000,
   B("\x05\x05\x11\xc4\x04\0\x03\0\x46\xa2\xc2\xc2\x14\x3c\x02\x06"), NULL, NULL, 0, -1},
  /* IEC60870-5-104__TestDissectIec104.pcap: STARTDT act / con */
  {"iec104 startdt", SVP_L4_TCP, 2404, B("\x68\x04\x07\0\0\0"), "iec104-apci",
   B("\x68\x04\x0b\0\0\0"), 1},
  {"iec104 not apci", SVP_L4_TCP, 2404, B("\x68\x04\x07\0\0\0"), "iec104-apci",
   B("\x68\x04\x07\0\0\x01"), 0},
  /* suricata-verify mqtt311-pub-qos1 / mqtt5-pub-mosquittoprops / mqtt31 */
  {"mqtt 3.1.1", SVP_L4_TCP, 1883,
   B("\x10+\0\x04MQTT\x04\xc2\0<\0\x13myvoiceismypassport\0\x04user\0\x04pass"), "mqtt-connect",
   B("\x20\x02\0\0"), 1},
  {"mqtt 5", SVP_L4_TCP, 1883, B("\x10\xcc\x01\0\x04MQTT\x05\xc6\0<<'\0\0+g!"), "mqtt-connect",
   B("\x20\x06\0\0\x03\x22\0\x0a"), 1},
  {"mqtt 5 with a 3.x connack", SVP_L4_TCP, 1883, B("\x10\xcc\x01\0\x04MQTT\x05\xc6\0<<'\0\0+g!"),
   "mqtt-connect", B("\x20\x02\0\0"), 0},
  {"mqtt 3.1", SVP_L4_TCP, 1883, B("\x10-\0\x06MQIsdp\x03\xc2\0<\0\x13myvoiceismypassport"),
   "mqtt-connect", B("\x20\x02\0\0\x90\x04\0\x01\0\0"), 1},
  /* icsnpp-omron-fins/omron_fins_tcp_commands_responses.pcap */
  {"fins tcp", SVP_L4_TCP, 9600,
   B("FINS\0\0\0\x17\0\0\0\x02\0\0\0\0\x80\0\x02\0\0\0\0\0\0z\x04\x01\0\0\x01"), "fins-tcp",
   B("FINS\0\0\0\x16\0\0\0\x02\0\0\0\0\xc1\0\x02\0\0\0\0\0\0z\x04\x01\0\0"), 1},
  /* Mergecap__kokteyl.pcap: FINS/UDP command. The capture has no answer:
   * the response is built from the request as a FINS responder must
   * (ICF 0xC0, SID and MRC/SRC echoed, end code 0). */
  {"fins udp", SVP_L4_UDP, 9600, B("\x80\0\x02\0\0\0\0\0\0z\x01\x01\0\xcc\xcc\xcc\0\x01"),
   "fins-udp", B("\xc0\0\x02\0\0\0\0\0\0z\x01\x01\0\0"), 1},
  /* BACnet__bacnet_test.pcap: ReadProperty / ComplexACK */
  {"bacnet", SVP_L4_UDP, 47808, B("\x81\x0a\0\x11\x01\x04\0\x05\x01\x0c\x0c\x02?\xff\xff\x19K"),
   "bacnet-bvll",
   B("\x81\x0a\0\x17\x01\0\x30\x01\x0c\x0c\x02?\xff\xff\x19K>\xc4\x02\0\x01\xf4?"), 1},
  {"bacnet bad length", SVP_L4_UDP, 47808,
   B("\x81\x0a\0\x11\x01\x04\0\x05\x01\x0c\x0c\x02?\xff\xff\x19K"), "bacnet-bvll",
   B("\x81\x0a\0\x18\x01\0\x30\x01\x0c\x0c\x02?\xff\xff\x19K>\xc4\x02\0\x01\xf4?"), 0},
  /* fox__fox_info.pcap */
  {"fox", SVP_L4_TCP, 1911, B("fox a 1 -1 fox hello\n{\nfox.version=s:1.0\nid=i:1\n"),
   "fox-hello", B("fox a 0 -1 fox hello\n{\nfox.version=s:1.0\n"), 1},
  /* beckoff__beckoffiplinktc.pcapng: ADS Read State to the system service */
  {"ads read state", SVP_L4_TCP, 48898,
   B("\0\0 \0\0\0\x05\x0du`\x01\x01\x10'\xc0\xa8\x01" "c\x01\x01\x03\x80\x04\0\x04\0\0\0\0\0\0\0\0\0"
     "\x05\0\0\0"),
   "ads-ams",
   B("\0\0(\0\0\0\xc0\xa8\x01" "c\x01\x01\x03\x80\x05\x0du`\x01\x01\x10'\x04\0\x05\0\x08\0\0\0\0\0"
     "\0\0\x05\0\0\0\0\0\0\0\x05\0\x02\0"), 1},
  {"ads other invoke id", SVP_L4_TCP, 48898,
   B("\0\0 \0\0\0\x05\x0du`\x01\x01\x10'\xc0\xa8\x01" "c\x01\x01\x03\x80\x04\0\x04\0\0\0\0\0\0\0\0\0"
     "\x05\0\0\0"),
   "ads-ams",
   B("\0\0(\0\0\0\xc0\xa8\x01" "c\x01\x01\x03\x80\x05\x0du`\x01\x01\x10'\x04\0\x05\0\x08\0\0\0\0\0"
     "\0\0\x06\0\0\0\0\0\0\0\x05\0\x02\0"), 0},
  /* ICS__pcworx__pcworx-info.pcap: nmap's pcworx-info connect / answer */
  {"pcworx", SVP_L4_TCP, 1962, B("\x01\x01\0\x1a\0\0\0\0x\x80\0\x03\0\x0cIBETH01N0_M\0"),
   "pcworx-connect", B("\x81\x01\0\x14\0\0\0\x01\0\0\0\0\0\x02\0\0\0L\0\0"), 1},
  /* IT requests stay with the general classes */
  {"http", SVP_L4_TCP, 80, B("GET / HTTP/1.0\r\n\r\n"), NULL, NULL, 0, -1},
  {"tls", SVP_L4_TCP, 443, B("\x16\x03\x01\0\x2f\x01\0\0\x2b\x03\x03"), NULL, NULL, 0, -1},
};

static bool is_ot(const struct svp_reqclass *c)
{
  for (const struct svp_reqclass *k = svp_reqclass_ot; k->name; k++)
    if (k == c)
      return true;
  return false;
}

int main(void)
{
  for (size_t i = 0; i < SVP_ARRAY_LEN(cases); i++) {
    const struct tcase *t = &cases[i];
    const struct svp_reqclass *c = svp_classify(t->l4, t->req, t->rlen, t->sport);
    if (t->cls) {
      tap_check(c && is_ot(c) && strcmp(c->name, t->cls) == 0, __FILE__, __LINE__,
                "%s: class %s (got %s)", t->what, t->cls, c ? c->name : "none");
      if (c && c->answers && t->answers >= 0)
        tap_check(c->answers(t->req, t->rlen, t->resp, t->len) == (t->answers == 1),
                  __FILE__, __LINE__, "%s: answers() == %d", t->what, t->answers);
    } else {
      tap_check(!c || !is_ot(c), __FILE__, __LINE__, "%s: no OT class (got %s)", t->what,
                c ? c->name : "none");
    }
    /* every truncation: no crash, no read past the end (ASan) */
    for (size_t n = 0; n < t->rlen; n++) {
      uint8_t *q = malloc(n ? n : 1);
      memcpy(q, t->req, n);
      const struct svp_reqclass *k = svp_classify(t->l4, q, n, t->sport);
      if (k && k->answers && t->resp) {
        for (size_t m = 0; m <= t->len; m++) {
          uint8_t *r = malloc(m ? m : 1);
          memcpy(r, t->resp, m);
          (void)k->answers(q, n, r, m);
          free(r);
        }
      }
      free(q);
    }
  }
  /* every OT class names at least one probe */
  for (const struct svp_reqclass *k = svp_reqclass_ot; k->name; k++)
    tap_check(k->probes[0] != NULL && k->test != NULL, __FILE__, __LINE__, "%s complete",
              k->name);
  return tap_done();
}
