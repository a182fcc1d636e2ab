/* classify_ot.c: request shapes of industrial protocols (see classify.h).
 *
 * Each entry pairs a strict test of the client's first bytes with the probe
 * in rules/ whose lines apply, and an answers() check that the server's
 * first bytes echo something of the request (transaction id, sender
 * context, addresses, reference numbers), so that a regex hit on bytes that
 * merely look right is not enough. Every read goes through a bounded cursor
 * or an explicit length check; req and resp are untrusted. */
#include "svp/ident/classify.h"
#include "svp/base/cursor.h"

#include <string.h>

static bool starts_with(const uint8_t *p, size_t len, const char *lit, size_t n)
{
  return len >= n && memcmp(p, lit, n) == 0;
}

/* ---- OPC UA binary (UA TCP / UA SecureConversation chunk header) ---- */

/* "HEL"/"OPN"/"MSG"/"CLO"/"ACK"/"ERR" + chunk type + UInt32 size >= 8. */
static bool opcua_chunk(const uint8_t *p, size_t len, const char *const *types,
                        size_t n_types)
{
  struct svp_cur c = svp_cur_make(p, len);
  const uint8_t *t = svp_cur_take(&c, 3);
  uint8_t ct = svp_cur_u8(&c);
  uint32_t size = svp_cur_le32(&c);
  if (c.bad || size < 8 || size > (1u << 24))
    return false;
  if (ct != 'F' && ct != 'C' && ct != 'A')
    return false;
  for (size_t i = 0; i < n_types; i++)
    if (memcmp(t, types[i], 3) == 0)
      return true;
  return false;
}

static bool is_opcua(const uint8_t *p, size_t len, uint16_t sport)
{
  static const char *const req[] = {"HEL", "OPN", "MSG", "CLO"};
  (void)sport;
  if (!opcua_chunk(p, len, req, SVP_ARRAY_LEN(req)))
    return false;
  if (memcmp(p, "HEL", 3) != 0)
    return true;
  /* Hello: final chunk, five UInt32 and an EndpointUrl String. */
  struct svp_cur c = svp_cur_make(p, len);
  svp_cur_skip(&c, 4);
  uint32_t size = svp_cur_le32(&c);
  return p[3] == 'F' && size >= 32 && !c.bad;
}

static bool opcua_answers(const uint8_t *req, size_t rlen, const uint8_t *resp,
                          size_t len)
{
  static const char *const to_hel[] = {"ACK", "ERR"};
  static const char *const to_msg[] = {"OPN", "MSG", "CLO", "ERR"};
  if (rlen >= 3 && memcmp(req, "HEL", 3) == 0)
    return opcua_chunk(resp, len, to_hel, SVP_ARRAY_LEN(to_hel));
  return opcua_chunk(resp, len, to_msg, SVP_ARRAY_LEN(to_msg));
}

/* ---- Modbus/TCP (MBAP) ---- */

struct mbap {
  uint16_t tid, length;
  uint8_t unit, fc;
};

static bool mbap_read(const uint8_t *p, size_t len, struct mbap *m)
{
  struct svp_cur c = svp_cur_make(p, len);
  m->tid = svp_cur_be16(&c);
  uint16_t proto = svp_cur_be16(&c);
  m->length = svp_cur_be16(&c);
  m->unit = svp_cur_u8(&c);
  m->fc = svp_cur_u8(&c);
  return !c.bad && proto == 0 && m->length >= 2 && m->length <= 254;
}

/* Is length (the MBAP length: unit id + PDU) possible for a request with
 * this function code? Public codes have fixed or minimum lengths; the
 * user-defined ranges (65-72, 100-110) and the vendor codes seen on real
 * networks (90 Schneider UMAS, 125/126 Modicon programming) take any;
 * unassigned codes are not requests. */
static bool modbus_request_length(uint8_t fc, uint16_t length)
{
  switch (fc) {
  case 0:  /* not a function; sent by scanners, short */
    return length <= 6;
  case 1: case 2: case 3: case 4: case 5: case 6:
    return length == 6;
  case 7: case 11: case 12: case 17:
    return length == 2;
  case 15: case 16:
    return length >= 8;
  case 20: case 21:
    return length >= 3;
  case 22:
    return length == 8;
  case 23:
    return length >= 12;
  case 24:
    return length == 4;
  case 8: case 43:
    return length >= 3;
  default:
    return (fc >= 65 && fc <= 72) || (fc >= 100 && fc <= 110) || fc == 90 || fc == 125 ||
           fc == 126;
  }
}

static bool is_modbus(const uint8_t *p, size_t len, uint16_t sport)
{
  struct mbap m;
  (void)sport;
  /* a request (function codes 0..127: scanners send 0 too) of a length its
   * function allows, the whole first ADU present */
  return mbap_read(p, len, &m) && m.fc <= 127 && modbus_request_length(m.fc, m.length) &&
         (size_t)m.length + 6 <= len;
}

static bool modbus_answers(const uint8_t *req, size_t rlen, const uint8_t *resp,
                           size_t len)
{
  struct mbap q, r;
  if (!mbap_read(req, rlen, &q) || !mbap_read(resp, len, &r))
    return false;
  if (r.tid != q.tid || r.unit != q.unit)
    return false;
  if (r.fc == q.fc)
    return true;
  return r.fc == (q.fc | 0x80) && r.length == 3; /* exception */
}

/* ---- ISO transport (TPKT + COTP): S7comm, S7comm-plus, MMS ---- */

#define COTP_CR 0xe0
#define COTP_CC 0xd0
#define COTP_DT 0xf0

/* TPKT header; sets *cotp to a cursor over the COTP TPDU of the first packet. */
static bool tpkt_read(const uint8_t *p, size_t len, struct svp_cur *cotp)
{
  struct svp_cur c = svp_cur_make(p, len);
  uint8_t ver = svp_cur_u8(&c), rsv = svp_cur_u8(&c);
  uint16_t tlen = svp_cur_be16(&c);
  if (c.bad || ver != 3 || rsv != 0 || tlen < 7)
    return false;
  size_t avail = svp_cur_left(&c);
  size_t n = (size_t)tlen - 4 < avail ? (size_t)tlen - 4 : avail;
  *cotp = svp_cur_sub(&c, n);
  return true;
}

/* A CR carrying a calling or called TSAP parameter (0xC1/0xC2). */
static bool cotp_cr_with_tsap(struct svp_cur *c)
{
  uint8_t li = svp_cur_u8(c);
  uint8_t type = svp_cur_u8(c);
  if (c->bad || type != COTP_CR || li < 6)
    return false;
  svp_cur_skip(c, 5); /* dst-ref, src-ref, class */
  size_t left = (size_t)li - 6;
  while (left >= 2 && !c->bad) {
    uint8_t code = svp_cur_u8(c), plen = svp_cur_u8(c);
    if (c->bad || (size_t)plen + 2 > left)
      return false;
    if (code == 0xc1 || code == 0xc2)
      return svp_cur_skip(c, plen);
    svp_cur_skip(c, plen);
    left -= (size_t)plen + 2;
  }
  return false;
}

/* DT TPDU (EOT) whose payload starts with S7comm (0x32), S7comm-plus (0x72)
 * or an ISO session SPDU (CONNECT 0x0D, DATA/GIVE-TOKENS 0x01). */
static bool cotp_dt_iso_app(struct svp_cur *c)
{
  uint8_t li = svp_cur_u8(c), type = svp_cur_u8(c), eot = svp_cur_u8(c);
  uint8_t app = svp_cur_u8(c);
  if (c->bad || li != 2 || type != COTP_DT || (eot & 0x7f) != 0)
    return false;
  return app == 0x32 || app == 0x72 || app == 0x0d || app == 0x01;
}

static bool is_iso_tsap(const uint8_t *p, size_t len, uint16_t sport)
{
  struct svp_cur cotp;
  (void)sport;
  if (!tpkt_read(p, len, &cotp))
    return false;
  struct svp_cur dt = cotp;
  return cotp_cr_with_tsap(&cotp) || cotp_dt_iso_app(&dt);
}

static bool iso_tsap_answers(const uint8_t *req, size_t rlen, const uint8_t *resp,
                             size_t len)
{
  struct svp_cur q, r;
  if (!tpkt_read(req, rlen, &q) || !tpkt_read(resp, len, &r))
    return false;
  svp_cur_skip(&q, 1);
  svp_cur_skip(&r, 1);
  uint8_t qt = svp_cur_u8(&q), rt = svp_cur_u8(&r);
  if (q.bad || r.bad)
    return false;
  if (qt == COTP_CR) {
    /* A CC. (ISO 8073 has the CC's destination reference echo the CR's
     * source reference, but real MMS servers, e.g. in the ITI IEC 61850
     * captures, answer with their own value: only the TPDU type is
     * required.) */
    return rt == COTP_CC;
  }
  if (qt != COTP_DT || rt != COTP_DT)
    return false;
  svp_cur_skip(&q, 1);
  svp_cur_skip(&r, 1);
  uint8_t qa = svp_cur_u8(&q), ra = svp_cur_u8(&r);
  if (q.bad || r.bad)
    return false;
  if (qa == 0x32) {
    /* S7comm: same PDU reference (header: id, ROSCTR, reserved, pduref) */
    svp_cur_skip(&q, 3);
    svp_cur_skip(&r, 3);
    uint16_t qref = svp_cur_be16(&q), rref = svp_cur_be16(&r);
    return ra == 0x32 && !q.bad && !r.bad && qref == rref;
  }
  return ra == qa || (qa == 0x0d && ra == 0x0e); /* CONNECT -> ACCEPT */
}

/* ---- EtherNet/IP encapsulation ---- */

struct encap {
  uint16_t cmd, length;
  uint32_t status, options;
  const uint8_t *context; /* 8 bytes */
};

static bool encap_read(const uint8_t *p, size_t len, struct encap *e)
{
  struct svp_cur c = svp_cur_make(p, len);
  e->cmd = svp_cur_le16(&c);
  e->length = svp_cur_le16(&c);
  svp_cur_skip(&c, 4); /* session handle */
  e->status = svp_cur_le32(&c);
  e->context = svp_cur_take(&c, 8);
  e->options = svp_cur_le32(&c);
  if (c.bad)
    return false;
  switch (e->cmd) {
  case 0x0001: /* ListTargets (legacy, still sent by RSLinx) */
  case 0x0004: /* ListServices */
  case 0x0063: /* ListIdentity */
  case 0x0064: /* ListInterfaces */
  case 0x0065: /* RegisterSession */
  case 0x0066: /* UnRegisterSession */
  case 0x006f: /* SendRRData */
  case 0x0070: /* SendUnitData */
    return true;
  default:
    return false;
  }
}

/* SendRRData / SendUnitData: true if the CIP message in the data item is a
 * reply (service code with bit 7 set), i.e. these bytes come from a server.
 * Layout after the header: interface handle (4), timeout (2), item count
 * (2), address item (type, length, data), data item (type, length, data;
 * connected data starts with a 2-byte sequence count). */
static bool enip_carries_reply(const uint8_t *p, size_t len)
{
  struct svp_cur c = svp_cur_make(p, len);
  svp_cur_skip(&c, 24 + 6);
  uint16_t items = svp_cur_le16(&c);
  svp_cur_skip(&c, 2);                    /* address item type */
  svp_cur_skip(&c, svp_cur_le16(&c));     /* and its data */
  uint16_t dtype = svp_cur_le16(&c);
  svp_cur_skip(&c, 2);                    /* data item length */
  if (dtype == 0x00b1)
    svp_cur_skip(&c, 2);                  /* sequence count */
  uint8_t service = svp_cur_u8(&c);
  return !c.bad && items >= 2 && (dtype == 0x00b1 || dtype == 0x00b2) &&
         (service & 0x80);
}

static bool is_enip(const uint8_t *p, size_t len, uint16_t sport)
{
  struct encap e;
  (void)sport;
  if (!encap_read(p, len, &e) || e.status != 0 || e.options != 0)
    return false;
  /* the list commands carry no data in a request */
  if ((e.cmd == 0x0001 || e.cmd == 0x0004 || e.cmd == 0x0063 || e.cmd == 0x0064) &&
      e.length != 0)
    return false;
  if ((e.cmd == 0x006f || e.cmd == 0x0070) && enip_carries_reply(p, len))
    return false; /* a server's reply taken for a request (direction guessed wrong) */
  return (size_t)e.length + 24 <= len;
}

static bool enip_answers(const uint8_t *req, size_t rlen, const uint8_t *resp,
                         size_t len)
{
  struct encap q, r;
  return encap_read(req, rlen, &q) && encap_read(resp, len, &r) &&
         r.cmd == q.cmd && memcmp(r.context, q.context, 8) == 0;
}

/* ---- DNP3 data link ---- */

static uint16_t dnp3_crc(const uint8_t *p, size_t n)
{
  uint16_t crc = 0;
  for (size_t i = 0; i < n; i++) {
    crc ^= p[i];
    for (int b = 0; b < 8; b++)
      crc = (crc & 1) ? (uint16_t)((crc >> 1) ^ 0xa6bc) : (uint16_t)(crc >> 1);
  }
  return (uint16_t)~crc;
}

struct dnp3_hdr {
  uint8_t ctrl;
  uint16_t dst, src;
};

/* Start bytes, length >= 5, and a correct header CRC. */
static bool dnp3_read(const uint8_t *p, size_t len, struct dnp3_hdr *h)
{
  struct svp_cur c = svp_cur_make(p, len);
  const uint8_t *hdr = svp_cur_take(&c, 8);
  uint16_t crc = svp_cur_le16(&c);
  if (c.bad || hdr[0] != 0x05 || hdr[1] != 0x64 || hdr[2] < 5)
    return false;
  h->ctrl = hdr[3];
  h->dst = (uint16_t)(hdr[4] | hdr[5] << 8);
  h->src = (uint16_t)(hdr[6] | hdr[7] << 8);
  return dnp3_crc(hdr, 8) == crc;
}

static bool is_dnp3(const uint8_t *p, size_t len, uint16_t sport)
{
  struct dnp3_hdr h;
  (void)sport;
  /* from a master: DIR set */
  return dnp3_read(p, len, &h) && (h.ctrl & 0x80);
}

static bool dnp3_answers(const uint8_t *req, size_t rlen, const uint8_t *resp,
                         size_t len)
{
  struct dnp3_hdr q, r;
  if (!dnp3_read(req, rlen, &q) || !dnp3_read(resp, len, &r) || (r.ctrl & 0x80))
    return false;
  if (r.dst != q.src)
    return false;
  return q.dst >= 0xfffc || r.src == q.dst; /* broadcast/self: any outstation */
}

/* ---- IEC 60870-5-104 APCI ---- */

static bool iec104_apci(const uint8_t *p, size_t len)
{
  struct svp_cur c = svp_cur_make(p, len);
  uint8_t start = svp_cur_u8(&c), alen = svp_cur_u8(&c);
  const uint8_t *ctl = svp_cur_take(&c, 4);
  if (c.bad || start != 0x68 || alen < 4 || alen > 253)
    return false;
  if ((ctl[0] & 0x03) == 0x03) { /* U-format: one function bit, zeros */
    static const uint8_t fn[] = {0x07, 0x0b, 0x13, 0x23, 0x43, 0x83};
    if (alen != 4 || ctl[1] || ctl[2] || ctl[3])
      return false;
    return memchr(fn, ctl[0], sizeof fn) != NULL;
  }
  if ((ctl[0] & 0x03) == 0x01) /* S-format */
    return alen == 4 && ctl[1] == 0 && (ctl[2] & 1) == 0;
  uint8_t type = svp_cur_u8(&c); /* I-format: an ASDU follows */
  return !c.bad && alen >= 10 && type >= 1 && type <= 127;
}

static bool is_iec104(const uint8_t *p, size_t len, uint16_t sport)
{
  (void)sport;
  return iec104_apci(p, len);
}

static bool iec104_answers(const uint8_t *req, size_t rlen, const uint8_t *resp,
                           size_t len)
{
  if (!iec104_apci(resp, len))
    return false;
  /* to a U-format act the server answers with a con (or its own TESTFR) */
  if (rlen >= 6 && req[1] == 4 && (req[2] & 0x03) == 0x03 && resp[1] == 4 &&
      (resp[2] & 0x03) == 0x03)
    return resp[2] == 0x0b || resp[2] == 0x23 || resp[2] == 0x83 || resp[2] == 0x43;
  return true;
}

/* ---- MQTT CONNECT ---- */

/* Protocol level of a CONNECT (3, 4 or 5), 0 if not one. */
static int mqtt_connect_level(const uint8_t *p, size_t len)
{
  struct svp_cur c = svp_cur_make(p, len);
  if (svp_cur_u8(&c) != 0x10)
    return 0;
  uint8_t b;
  int n = 0;
  do { /* remaining length: 1..4 bytes, 7 bits each */
    b = svp_cur_u8(&c);
  } while (!c.bad && (b & 0x80) && ++n < 4);
  if (c.bad || (b & 0x80))
    return 0;
  uint16_t nlen = svp_cur_be16(&c);
  const uint8_t *name = svp_cur_take(&c, nlen);
  uint8_t level = svp_cur_u8(&c);
  if (c.bad)
    return 0;
  if (nlen == 4 && memcmp(name, "MQTT", 4) == 0 && (level == 4 || level == 5))
    return level;
  if (nlen == 6 && memcmp(name, "MQIsdp", 6) == 0 && level == 3)
    return 3;
  return 0;
}

static bool is_mqtt(const uint8_t *p, size_t len, uint16_t sport)
{
  (void)sport;
  return mqtt_connect_level(p, len) != 0;
}

static bool mqtt_answers(const uint8_t *req, size_t rlen, const uint8_t *resp,
                         size_t len)
{
  int level = mqtt_connect_level(req, rlen);
  if (len < 4 || resp[0] != 0x20)
    return false;
  return level == 5 ? resp[1] >= 3 : resp[1] == 2;
}

/* ---- Omron FINS ---- */

static bool fins_tcp_read(const uint8_t *p, size_t len, uint32_t *cmd)
{
  struct svp_cur c = svp_cur_make(p, len);
  const uint8_t *magic = svp_cur_take(&c, 4);
  uint32_t flen = svp_cur_be32(&c);
  *cmd = svp_cur_be32(&c);
  uint32_t err = svp_cur_be32(&c);
  return !c.bad && memcmp(magic, "FINS", 4) == 0 && flen >= 8 &&
         flen <= 2020 && *cmd <= 3 && (err == 0 || *cmd == 3);
}

static bool is_fins_tcp(const uint8_t *p, size_t len, uint16_t sport)
{
  uint32_t cmd;
  (void)sport;
  return fins_tcp_read(p, len, &cmd) && (cmd == 0 || cmd == 2);
}

static bool fins_tcp_answers(const uint8_t *req, size_t rlen, const uint8_t *resp,
                             size_t len)
{
  uint32_t q, r;
  if (!fins_tcp_read(req, rlen, &q) || !fins_tcp_read(resp, len, &r))
    return false;
  return r == 3 || (q == 0 && r == 1) || (q == 2 && r == 2);
}

/* FINS header: ICF, RSV, GCT, DNA, DA1, DA2, SNA, SA1, SA2, SID, MRC, SRC. */
static bool fins_udp_read(const uint8_t *p, size_t len, bool response)
{
  if (len < 12 || p[1] != 0 || (p[2] != 0x02 && p[2] != 0x07))
    return false;
  if (response ? (p[0] & 0xfe) != 0xc0 : (p[0] & 0xfe) != 0x80)
    return false;
  return p[10] >= 0x01 && p[10] <= 0x28 && p[11] >= 0x01 && p[11] <= 0x40;
}

static bool is_fins_udp(const uint8_t *p, size_t len, uint16_t sport)
{
  (void)sport;
  return fins_udp_read(p, len, false);
}

static bool fins_udp_answers(const uint8_t *req, size_t rlen, const uint8_t *resp,
                             size_t len)
{
  /* same service id, command echoed */
  return fins_udp_read(req, rlen, false) && fins_udp_read(resp, len, true) &&
         resp[9] == req[9] && resp[10] == req[10] && resp[11] == req[11];
}

/* ---- Niagara Fox ---- */

static bool is_fox(const uint8_t *p, size_t len, uint16_t sport)
{
  (void)sport;
  return starts_with(p, len, "fox a ", 6) &&
         len >= 20 && memmem(p, len < 40 ? len : 40, "fox hello", 9) != NULL;
}

static bool fox_answers(const uint8_t *req, size_t rlen, const uint8_t *resp,
                        size_t len)
{
  (void)req;
  (void)rlen;
  return starts_with(resp, len, "fox a ", 6);
}

/* ---- Phoenix Contact PC WORX ---- */

/* The PC WORX connect message: 0x01 0x01, message length, and the
 * "IBETH" controller name inside it. */
static bool is_pcworx(const uint8_t *p, size_t len, uint16_t sport)
{
  struct svp_cur c = svp_cur_make(p, len);
  uint8_t a = svp_cur_u8(&c), b = svp_cur_u8(&c);
  uint16_t mlen = svp_cur_be16(&c);
  (void)sport;
  return !c.bad && a == 0x01 && b == 0x01 && mlen >= 16 && mlen <= len &&
         memmem(p, mlen, "IBETH", 5) != NULL;
}

static bool pcworx_answers(const uint8_t *req, size_t rlen, const uint8_t *resp,
                           size_t len)
{
  (void)req;
  (void)rlen;
  return len >= 4 && resp[0] == 0x81 && resp[1] == 0x01;
}

/* ---- Beckhoff ADS over AMS/TCP ---- */

struct ams {
  const uint8_t *target, *source; /* NetID (6) + port (2) each */
  uint16_t cmd, flags;
  uint32_t invoke;
};

/* AMS/TCP header (reserved 0, length) and the 32-byte AMS header. */
static bool ams_read(const uint8_t *p, size_t len, struct ams *a)
{
  struct svp_cur c = svp_cur_make(p, len);
  uint16_t rsv = svp_cur_le16(&c);
  uint32_t alen = svp_cur_le32(&c);
  a->target = svp_cur_take(&c, 8);
  a->source = svp_cur_take(&c, 8);
  a->cmd = svp_cur_le16(&c);
  a->flags = svp_cur_le16(&c);
  svp_cur_skip(&c, 8); /* data length, error code */
  a->invoke = svp_cur_le32(&c);
  return !c.bad && rsv == 0 && alen >= 32 && alen <= (1u << 20) && a->cmd >= 1 &&
         a->cmd <= 9;
}

static bool is_ams(const uint8_t *p, size_t len, uint16_t sport)
{
  struct ams a;
  (void)sport;
  return ams_read(p, len, &a) && (a.flags & 0x0005) == 0x0004; /* ADS request */
}

static bool ams_answers(const uint8_t *req, size_t rlen, const uint8_t *resp,
                        size_t len)
{
  struct ams q, r;
  if (!ams_read(resp, len, &r) || (r.flags & 0x0005) != 0x0005)
    return false;
  /* the answer's command and invoke id are those of one of the client's
   * first requests (a client may send several before the first answer),
   * and it is addressed back to that requester */
  struct svp_cur c = svp_cur_make(req, rlen);
  for (int i = 0; i < 8 && ams_read(svp_cur_rest(&c), svp_cur_left(&c), &q); i++) {
    if (r.cmd == q.cmd && r.invoke == q.invoke && memcmp(r.target, q.source, 8) == 0)
      return true;
    svp_cur_skip(&c, 2);
    if (!svp_cur_skip(&c, (size_t)svp_cur_le32(&c)))
      break;
  }
  return false;
}

/* ---- BACnet/IP (BVLL) ---- */

static bool bvll_read(const uint8_t *p, size_t len)
{
  struct svp_cur c = svp_cur_make(p, len);
  uint8_t type = svp_cur_u8(&c), fn = svp_cur_u8(&c);
  uint16_t blen = svp_cur_be16(&c);
  if (c.bad || type != 0x81 || fn > 0x0c || blen != len)
    return false;
  /* functions that carry an NPDU start it with version 1 */
  if (fn == 0x0a || fn == 0x0b)
    return svp_cur_u8(&c) == 0x01 && !c.bad;
  if (fn == 0x04) { /* Forwarded-NPDU: 6-byte B/IP address first */
    svp_cur_skip(&c, 6);
    return svp_cur_u8(&c) == 0x01 && !c.bad;
  }
  return true;
}

static bool is_bacnet(const uint8_t *p, size_t len, uint16_t sport)
{
  (void)sport;
  return bvll_read(p, len);
}

static bool bacnet_answers(const uint8_t *req, size_t rlen, const uint8_t *resp,
                           size_t len)
{
  (void)req;
  (void)rlen;
  return bvll_read(resp, len);
}

const struct svp_reqclass svp_reqclass_ot[] = {
  {.name = "opcua-uatcp", .l4 = SVP_L4_TCP, .test = is_opcua,
   .probes = {"HelRequest"}, .answers = opcua_answers},
  {.name = "modbus-mbap", .l4 = SVP_L4_TCP, .test = is_modbus,
   .probes = {"ModbusDeviceId"}, .answers = modbus_answers},
  {.name = "iso-tsap-cotp", .l4 = SVP_L4_TCP, .test = is_iso_tsap,
   .probes = {"S7CommSetup"}, .answers = iso_tsap_answers},
  {.name = "enip-encap", .l4 = SVP_L4_TCP, .test = is_enip,
   .probes = {"ENIPListIdentity"}, .answers = enip_answers},
  {.name = "enip-encap", .l4 = SVP_L4_UDP, .test = is_enip,
   .probes = {"ENIPListIdentity"}, .answers = enip_answers},
  {.name = "dnp3-link", .l4 = SVP_L4_TCP, .test = is_dnp3,
   .probes = {"DNP3LinkStatus"}, .answers = dnp3_answers},
  {.name = "dnp3-link", .l4 = SVP_L4_UDP, .test = is_dnp3,
   .probes = {"DNP3LinkStatus"}, .answers = dnp3_answers},
  {.name = "iec104-apci", .l4 = SVP_L4_TCP, .test = is_iec104,
   .probes = {"IEC104TestFrame"}, .answers = iec104_answers},
  {.name = "mqtt-connect", .l4 = SVP_L4_TCP, .test = is_mqtt,
   .probes = {"mqtt"}, .answers = mqtt_answers},
  {.name = "fins-tcp", .l4 = SVP_L4_TCP, .test = is_fins_tcp,
   .probes = {"FINSNodeAddress"}, .answers = fins_tcp_answers},
  {.name = "fins-udp", .l4 = SVP_L4_UDP, .test = is_fins_udp,
   .probes = {"FINSControllerData"}, .answers = fins_udp_answers},
  {.name = "fox-hello", .l4 = SVP_L4_TCP, .test = is_fox,
   .probes = {"niagara-fox"}, .answers = fox_answers},
  {.name = "pcworx-connect", .l4 = SVP_L4_TCP, .test = is_pcworx,
   .probes = {"pcworx"}, .answers = pcworx_answers},
  {.name = "ads-ams", .l4 = SVP_L4_TCP, .test = is_ams,
   .probes = {"ADSReadDeviceInfo"}, .answers = ams_answers},
  {.name = "bacnet-bvll", .l4 = SVP_L4_UDP, .test = is_bacnet,
   .probes = {"BACnetDeviceInfo"}, .answers = bacnet_answers},
  {.name = NULL},
};
