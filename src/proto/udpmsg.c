/* udpmsg.c: the role of a UDP datagram's sender, from its protocol's header
 * (see udpmsg.h). Facts about the formats: ASHRAE 135 Annex J (BVLL) and
 * clause 20 (APDU types, unconfirmed services), ODVA EtherNet/IP vol. 2
 * (encapsulation commands 0x0004/0x0063/0x0064, CPF item types), Omron
 * W227 (FINS header), IEEE 1815 (DNP3 link header and its CRC), RFC 1350
 * and 2347 (TFTP). */
#include "svp/proto/udpmsg.h"
#include "svp/base/cursor.h"

#include <string.h>
#include <strings.h>

static const char *const proto_names[SVP_UP_COUNT] = {
  "", "bacnet", "enip", "fins", "dnp3", "tftp",
};

const char *svp_udp_proto_name(enum svp_udp_proto proto)
{
  return (unsigned)proto < SVP_UP_COUNT ? proto_names[proto] : "";
}

const char *svp_udp_kind_name(enum svp_udp_kind kind)
{
  static const char *const names[] = {"unknown", "client", "server", "announce", "query"};
  return (unsigned)kind < SVP_ARRAY_LEN(names) ? names[kind] : "unknown";
}

static bool set(struct svp_udp_msg *m, enum svp_udp_proto proto, enum svp_udp_kind kind,
                const char *what)
{
  m->proto = proto;
  m->kind = kind;
  m->what = what;
  return true;
}

/* ------------------------------------------------------------- BACnet/IP */

/* APDU (clause 20.1): the type in the high nibble; the unconfirmed
 * services that only a device sends unprompted are announcements, the
 * ones a workstation broadcasts to everyone are queries. */
static bool bacnet_apdu(struct svp_cur *c, struct svp_udp_msg *m)
{
  uint8_t b0 = svp_cur_u8(c);
  if (c->bad)
    return false;
  switch (b0 >> 4) {
  case 0: return set(m, SVP_UP_BACNET, SVP_UK_CLIENT, "Confirmed-Request");
  case 1: {
    uint8_t svc = svp_cur_u8(c);
    if (c->bad)
      return false;
    static const struct { enum svp_udp_kind kind; const char *what; } un[] = {
      {SVP_UK_ANNOUNCE, "I-Am"},
      {SVP_UK_ANNOUNCE, "I-Have"},
      {SVP_UK_ANNOUNCE, "UnconfirmedCOVNotification"},
      {SVP_UK_ANNOUNCE, "UnconfirmedEventNotification"},
      {SVP_UK_UNKNOWN, "UnconfirmedPrivateTransfer"},
      {SVP_UK_UNKNOWN, "UnconfirmedTextMessage"},
      {SVP_UK_QUERY, "TimeSynchronization"},
      {SVP_UK_QUERY, "Who-Has"},
      {SVP_UK_QUERY, "Who-Is"},
      {SVP_UK_QUERY, "UTCTimeSynchronization"},
    };
    if (svc < SVP_ARRAY_LEN(un))
      return set(m, SVP_UP_BACNET, un[svc].kind, un[svc].what);
    return set(m, SVP_UP_BACNET, SVP_UK_UNKNOWN, "Unconfirmed-Request");
  }
  case 2: return set(m, SVP_UP_BACNET, SVP_UK_SERVER, "SimpleACK");
  case 3: return set(m, SVP_UP_BACNET, SVP_UK_SERVER, "ComplexACK");
  case 4: /* SegmentACK and Abort carry a "sent by server" bit */
    return set(m, SVP_UP_BACNET, b0 & 1 ? SVP_UK_SERVER : SVP_UK_CLIENT, "SegmentACK");
  case 5: return set(m, SVP_UP_BACNET, SVP_UK_SERVER, "Error");
  case 6: return set(m, SVP_UP_BACNET, SVP_UK_SERVER, "Reject");
  case 7: return set(m, SVP_UP_BACNET, b0 & 1 ? SVP_UK_SERVER : SVP_UK_CLIENT, "Abort");
  default: return false;
  }
}

/* NPDU (clause 6.2): version 1, control, optional destination and source
 * specifiers, hop count with a destination; then a network-layer message
 * or an APDU. */
static bool bacnet_npdu(struct svp_cur *c, struct svp_udp_msg *m)
{
  uint8_t ver = svp_cur_u8(c), ctl = svp_cur_u8(c);
  if (c->bad || ver != 0x01 || (ctl & 0x50))
    return false; /* bits 6 and 4 are reserved */
  if (ctl & 0x20) {
    svp_cur_skip(c, 2);
    svp_cur_skip(c, svp_cur_u8(c));
  }
  if (ctl & 0x08) {
    svp_cur_skip(c, 2);
    uint8_t slen = svp_cur_u8(c);
    if (slen == 0)
      return false; /* a source specifier always has an address */
    svp_cur_skip(c, slen);
  }
  if (ctl & 0x20)
    svp_cur_skip(c, 1);
  if (c->bad)
    return false;
  if (!(ctl & 0x80))
    return bacnet_apdu(c, m);
  uint8_t type = svp_cur_u8(c);
  if (c->bad)
    return false;
  if (type == 0x00)
    return set(m, SVP_UP_BACNET, SVP_UK_QUERY, "Who-Is-Router-To-Network");
  if (type == 0x01)
    return set(m, SVP_UP_BACNET, SVP_UK_ANNOUNCE, "I-Am-Router-To-Network");
  return set(m, SVP_UP_BACNET, SVP_UK_UNKNOWN, "network message");
}

/* BVLL (Annex J.2): type 0x81, function, length of the whole datagram. */
static bool bacnet(const uint8_t *p, size_t n, struct svp_udp_msg *m)
{
  struct svp_cur c = svp_cur_make(p, n);
  uint8_t type = svp_cur_u8(&c), fn = svp_cur_u8(&c);
  uint16_t len = svp_cur_be16(&c);
  if (c.bad || type != 0x81 || len != n)
    return false;
  switch (fn) {
  case 0x00:
    return n == 6 && set(m, SVP_UP_BACNET, SVP_UK_SERVER, "BVLC-Result");
  case 0x01: return set(m, SVP_UP_BACNET, SVP_UK_CLIENT, "Write-Broadcast-Distribution-Table");
  case 0x02:
    return n == 4 && set(m, SVP_UP_BACNET, SVP_UK_CLIENT, "Read-Broadcast-Distribution-Table");
  case 0x03:
    return (n - 4) % 10 == 0 &&
           set(m, SVP_UP_BACNET, SVP_UK_SERVER, "Read-Broadcast-Distribution-Table-Ack");
  case 0x04: { /* a BBMD forwards another device's NPDU: the BBMD is a server */
    if (!svp_cur_skip(&c, 6) || !bacnet_npdu(&c, m))
      return false;
    return set(m, SVP_UP_BACNET, SVP_UK_ANNOUNCE, "Forwarded-NPDU");
  }
  case 0x05:
    return n == 6 && set(m, SVP_UP_BACNET, SVP_UK_CLIENT, "Register-Foreign-Device");
  case 0x06:
    return n == 4 && set(m, SVP_UP_BACNET, SVP_UK_CLIENT, "Read-Foreign-Device-Table");
  case 0x07:
    return (n - 4) % 10 == 0 &&
           set(m, SVP_UP_BACNET, SVP_UK_SERVER, "Read-Foreign-Device-Table-Ack");
  case 0x08:
    return n == 10 && set(m, SVP_UP_BACNET, SVP_UK_CLIENT, "Delete-Foreign-Device-Table-Entry");
  case 0x09: /* a foreign device asks its BBMD to broadcast for it */
    if (!bacnet_npdu(&c, m))
      return false;
    return set(m, SVP_UP_BACNET, SVP_UK_CLIENT, "Distribute-Broadcast-To-Network");
  case 0x0a:
    return bacnet_npdu(&c, m);
  case 0x0b:
    m->broadcast = bacnet_npdu(&c, m);
    return m->broadcast;
  default:
    return false;
  }
}

/* ---------------------------------------------------- EtherNet/IP (UDP) */

/* Encapsulation header: command, length of what follows, session handle,
 * status, sender context (8), options. Over UDP only the List* commands. */
static bool enip(const uint8_t *p, size_t n, struct svp_udp_msg *m)
{
  struct svp_cur c = svp_cur_make(p, n);
  uint16_t cmd = svp_cur_le16(&c), len = svp_cur_le16(&c);
  svp_cur_skip(&c, 4);
  uint32_t status = svp_cur_le32(&c);
  svp_cur_skip(&c, 8);
  uint32_t options = svp_cur_le32(&c);
  if (c.bad || (size_t)len != svp_cur_left(&c) || options != 0)
    return false;
  static const struct { uint16_t cmd, item; const char *req, *rep; } cmds[] = {
    {0x0063, 0x000c, "ListIdentity request", "ListIdentity reply"},
    {0x0004, 0x0100, "ListServices request", "ListServices reply"},
    {0x0064, 0, "ListInterfaces request", "ListInterfaces reply"},
  };
  for (size_t i = 0; i < SVP_ARRAY_LEN(cmds); i++) {
    if (cmds[i].cmd != cmd)
      continue;
    if (len == 0)
      return status == 0 && set(m, SVP_UP_ENIP, SVP_UK_CLIENT, cmds[i].req);
    /* a reply: item count, then the first item's type and length */
    uint16_t count = svp_cur_le16(&c);
    if (c.bad)
      return false;
    if (count == 0)
      return len == 2 && set(m, SVP_UP_ENIP, SVP_UK_SERVER, cmds[i].rep);
    uint16_t item = svp_cur_le16(&c), ilen = svp_cur_le16(&c);
    if (c.bad || ilen > svp_cur_left(&c) || (cmds[i].item && item != cmds[i].item))
      return false;
    return set(m, SVP_UP_ENIP, SVP_UK_SERVER, cmds[i].rep);
  }
  return false;
}

/* ------------------------------------------------------------ Omron FINS */

/* Header: ICF (bit 7 gateway, bit 6 response, bit 0 no response wanted,
 * the rest zero), RSV 0, GCT, DNA, DA1, DA2, SNA, SA1, SA2, SID; then the
 * command code (MRC 01-28, SRC 01-40) and, in a response, the end code. */
static bool fins(const uint8_t *p, size_t n, uint16_t sport, uint16_t dport,
                 struct svp_udp_msg *m)
{
  if ((sport != 9600 && dport != 9600) || n < 12)
    return false;
  if ((p[0] & 0xbe) != 0x80 || p[1] != 0 || (p[2] != 0x02 && p[2] != 0x07))
    return false;
  if (p[10] < 0x01 || p[10] > 0x28 || p[11] < 0x01 || p[11] > 0x40)
    return false;
  if (p[0] & 0x40)
    return n >= 14 && set(m, SVP_UP_FINS, SVP_UK_SERVER, "FINS response");
  return set(m, SVP_UP_FINS, SVP_UK_CLIENT, "FINS command");
}

/* ------------------------------------------------------------------ DNP3 */

/* The link header's CRC: polynomial 0x3d65, reflected (0xa6bc), initial 0,
 * complemented, sent low byte first. */
static uint16_t dnp3_crc(const uint8_t *p, size_t n)
{
  uint16_t crc = 0;
  for (size_t i = 0; i < n; i++) {
    crc ^= p[i];
    for (int b = 0; b < 8; b++)
      crc = (uint16_t)(crc & 1 ? (crc >> 1) ^ 0xa6bc : crc >> 1);
  }
  return (uint16_t)~crc;
}

/* Link header: 0x05 0x64, length (>= 5), control (DIR bit 7: from the
 * master; PRM bit 6: primary), destination, source, CRC. The outstation is
 * the server: every frame it sends has DIR clear. */
static bool dnp3(const uint8_t *p, size_t n, struct svp_udp_msg *m)
{
  if (n < 10 || p[0] != 0x05 || p[1] != 0x64 || p[2] < 5)
    return false;
  if (dnp3_crc(p, 8) != (uint16_t)(p[8] | p[9] << 8))
    return false;
  uint8_t ctl = p[3];
  if (ctl & 0x80)
    return set(m, SVP_UP_DNP3, SVP_UK_CLIENT, "DNP3 from master");
  if (!(ctl & 0x40))
    return set(m, SVP_UP_DNP3, SVP_UK_SERVER, "DNP3 link answer");
  uint8_t fc = ctl & 0x0f;
  /* user data: transport header (FIR bit 6), application control, function */
  if ((fc == 3 || fc == 4) && n >= 13 && (p[10] & 0x40)) {
    if (p[12] == 0x81)
      return set(m, SVP_UP_DNP3, SVP_UK_SERVER, "DNP3 response");
    if (p[12] == 0x82)
      return set(m, SVP_UP_DNP3, SVP_UK_ANNOUNCE, "DNP3 unsolicited response");
  }
  return set(m, SVP_UP_DNP3, SVP_UK_ANNOUNCE, "DNP3 from outstation");
}

/* ------------------------------------------------------------------ TFTP */

/* A NUL-terminated printable string of at least `min` characters at the
 * cursor; returns it (without the NUL) or NULL. */
static const uint8_t *tftp_str(struct svp_cur *c, size_t min, size_t *len)
{
  const uint8_t *s = svp_cur_rest(c);
  size_t left = svp_cur_left(c), i = 0;
  while (i < left && s[i] >= 0x20 && s[i] < 0x7f)
    i++;
  if (i == left || s[i] != 0 || i < min)
    return NULL;
  svp_cur_skip(c, i + 1);
  *len = i;
  return s;
}

/* Option pairs (RFC 2347) up to the end of the datagram; at least `min`. */
static bool tftp_options(struct svp_cur *c, unsigned min)
{
  unsigned k = 0;
  size_t l;
  while (svp_cur_left(c) > 0) {
    if (!tftp_str(c, 1, &l) || !tftp_str(c, 1, &l))
      return false;
    k++;
  }
  return k >= min;
}

static bool tftp_error(struct svp_cur *c)
{
  size_t l;
  return svp_cur_be16(c) <= 8 && !c->bad && tftp_str(c, 0, &l) && svp_cur_left(c) == 0;
}

/* RRQ/WRQ: opcode 1/2, file name, mode, options. ERROR (opcode 5) only
 * from port 69: from a transfer port it is an answer svp_udp_tftp_answer
 * judges with the request in view. */
static bool tftp(const uint8_t *p, size_t n, uint16_t sport, struct svp_udp_msg *m)
{
  struct svp_cur c = svp_cur_make(p, n);
  uint16_t op = svp_cur_be16(&c);
  if (c.bad)
    return false;
  if (op == 1 || op == 2) {
    size_t l;
    const uint8_t *mode;
    if (!tftp_str(&c, 1, &l) || !(mode = tftp_str(&c, 4, &l)))
      return false;
    static const char *const modes[] = {"netascii", "octet", "mail"};
    bool ok = false;
    for (size_t i = 0; i < SVP_ARRAY_LEN(modes) && !ok; i++)
      ok = l == strlen(modes[i]) && strncasecmp((const char *)mode, modes[i], l) == 0;
    if (!ok || !tftp_options(&c, 0))
      return false;
    set(m, SVP_UP_TFTP, SVP_UK_CLIENT, op == 1 ? "RRQ" : "WRQ");
    m->fresh_port_reply = true;
    return true;
  }
  if (op == 5 && sport == 69 && tftp_error(&c))
    return set(m, SVP_UP_TFTP, SVP_UK_SERVER, "ERROR");
  return false;
}

bool svp_udp_tftp_answer(const uint8_t *p, size_t n)
{
  struct svp_cur c = svp_cur_make(p, n);
  uint16_t op = svp_cur_be16(&c);
  uint16_t block = svp_cur_be16(&c);
  if (c.bad)
    return false;
  switch (op) {
  case 3: return block == 1 && n <= 4 + 65464; /* blksize may be raised (RFC 2348) */
  case 4: return block == 0 && n == 4;         /* a write request accepted */
  case 5: c = svp_cur_make(p + 2, n - 2); return tftp_error(&c);
  case 6: c = svp_cur_make(p + 2, n - 2); return tftp_options(&c, 1);
  default: return false;
  }
}

/* ------------------------------------------------------------------- all */

bool svp_udp_msg_parse(const uint8_t *p, size_t n, uint16_t sport, uint16_t dport,
                       struct svp_udp_msg *m)
{
  *m = (struct svp_udp_msg){.kind = SVP_UK_UNKNOWN, .proto = SVP_UP_NONE, .what = ""};
  if (!p || n < 4)
    return false;
  bool ok;
  switch (p[0]) { /* each format's first byte tells most datagrams apart */
  case 0x81: ok = bacnet(p, n, m); break;
  case 0x05: ok = dnp3(p, n, m); break;
  case 0x00: ok = tftp(p, n, sport, m); break;
  default: ok = false; break;
  }
  if (!ok && (p[0] == 0x63 || p[0] == 0x04 || p[0] == 0x64))
    ok = enip(p, n, m);
  if (!ok && (p[0] & 0x80))
    ok = fins(p, n, sport, dport, m);
  if (!ok)
    *m = (struct svp_udp_msg){.kind = SVP_UK_UNKNOWN, .proto = SVP_UP_NONE, .what = ""};
  return ok;
}
