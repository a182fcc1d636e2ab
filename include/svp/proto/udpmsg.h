/* udpmsg.h: what one UDP datagram is, read from its protocol's own header.
 *
 * UDP has no handshake, and its peers do not keep to one role: a BACnet
 * device answers ReadProperty on 47808 and asks its neighbours on the same
 * port; devices announce themselves unprompted (I-Am, I-Have, COV
 * notifications, DNP3 unsolicited responses); a TFTP server answers from a
 * fresh port (its transfer ID). The UDP pairer (src/reasm/udp.c) needs to
 * know, per datagram, whether its sender speaks as a client or as a server,
 * and the identification layer (ident.c) which protocol an announcement
 * belongs to. This module says both, for the protocols whose headers state
 * it, and nothing for the rest (SVP_UK_UNKNOWN: the caller keeps its
 * port-based view).
 *
 * Every check is structural: lengths that agree with the datagram, fields
 * in their defined ranges, the DNP3 header CRC; a datagram that fails one
 * is UNKNOWN. FINS says little in its header, so it counts only with port
 * 9600 on one side.
 *
 * Stateless and allocation-free: the caller owns the bytes, the result
 * points only to static strings. Safe from any thread. */
#ifndef SVP_UDPMSG_H
#define SVP_UDPMSG_H

#include "svp/base/common.h"

/* Role of a datagram's sender. */
enum svp_udp_kind {
  SVP_UK_UNKNOWN = 0, /* no protocol below recognises it */
  SVP_UK_CLIENT,      /* a request: the sender asks the receiver */
  SVP_UK_SERVER,      /* an answer: the sender serves the receiver */
  SVP_UK_ANNOUNCE,    /* a server's message nobody asked for in this flow
                         (I-Am, I-Have, COV notification, DNP3 unsolicited
                         response or link request, BBMD forward) */
  SVP_UK_QUERY,       /* asked of every device (Who-Is, Who-Has): the sender
                         is a client here, and a peer of the protocol; sent
                         as a broadcast (see .broadcast) it is that node's
                         announcement of itself on its port */
};

enum svp_udp_proto {
  SVP_UP_NONE = 0,
  SVP_UP_BACNET,      /* BACnet/IP: BVLC, NPDU, APDU */
  SVP_UP_ENIP,        /* EtherNet/IP encapsulation: List* requests and replies */
  SVP_UP_FINS,        /* Omron FINS over UDP (port 9600 on one side) */
  SVP_UP_DNP3,        /* DNP3 link frames over UDP */
  SVP_UP_TFTP,        /* TFTP read/write requests and error answers */
  SVP_UP_COUNT
};

struct svp_udp_msg {
  enum svp_udp_kind kind;
  enum svp_udp_proto proto;
  const char *what;        /* static: "I-Am", "ComplexACK", "ListIdentity reply", "RRQ"... */
  bool fresh_port_reply;   /* answered from another port of the server (TFTP) */
  bool broadcast;          /* the header says it was sent to everyone (BACnet
                              Original-Broadcast-NPDU) */
};

/* Read datagram p[0..n) sent from port sport to port dport. Always fills
 * *m (kind UNKNOWN, proto NONE, what "" when nothing fits); returns true
 * when a protocol recognised it. */
bool svp_udp_msg_parse(const uint8_t *p, size_t n, uint16_t sport, uint16_t dport,
                       struct svp_udp_msg *m);

/* A TFTP answer to a read or write request, as it comes from the server's
 * fresh port: DATA (block 1), ACK of block 0, OACK with options, ERROR. */
bool svp_udp_tftp_answer(const uint8_t *p, size_t n);

/* "bacnet", "enip", "fins", "dnp3", "tftp"; "" for NONE. */
const char *svp_udp_proto_name(enum svp_udp_proto proto);

/* "unknown", "client", "server", "announce", "query" */
const char *svp_udp_kind_name(enum svp_udp_kind kind);

#endif
