/* classify.h: which probe a client's request resembles.
 *
 * Passive identification cannot choose what the client sends, so it picks
 * the nmap probe whose payload the client's actual first bytes resemble
 * (an HTTP request -> GetRequest, a TLS ClientHello -> SSLSessionReq, an
 * OPC UA HEL -> the project's OPC UA probe ...) and runs that probe's
 * rules (then its fallbacks, then NULL) on the server's bytes.
 *
 * Classifiers are registries of constant entries: classify.c holds the
 * general ones, classify_ot.c the industrial protocols. */
#ifndef SVP_CLASSIFY_H
#define SVP_CLASSIFY_H

#include "svp/base/common.h"

#define SVP_CLASS_MAX_PROBES 4

struct svp_reqclass {
  const char *name;      /* label shown as evidence, e.g. "modbus-mbap" */
  enum svp_l4 l4;
  /* True if req (the client's first bytes, borrowed; len > 0) has this
   * protocol's shape. sport is the server's port (a hint, never required). */
  bool (*test)(const uint8_t *req, size_t len, uint16_t sport);
  /* Probes to try, in order, by name (nmap's or the project's rules/);
   * names that the loaded rules lack are skipped. */
  const char *probes[SVP_CLASS_MAX_PROBES];
  /* Optional stricter check that resp answers req (echoed transaction id,
   * swapped addresses...). A rule match on a response that fails it is not
   * accepted for this class. NULL = no check. */
  bool (*answers)(const uint8_t *req, size_t rlen, const uint8_t *resp,
                  size_t len);
};

/* Registries (each ends with an entry whose name is NULL). */
extern const struct svp_reqclass svp_reqclass_general[];
extern const struct svp_reqclass svp_reqclass_ot[];

/* A server's datagram seen without the request it answers (an
 * announcement such as BACnet I-Am, a reply to a broadcast, an answer whose
 * request the capture missed): the class whose probes' lines describe that
 * protocol's messages, when src/proto/udpmsg.c reads resp as a server's
 * message of a protocol a class covers; else NULL. sport is the sender's
 * port, cport the receiver's. */
const struct svp_reqclass *svp_classify_announce(enum svp_l4 l4, const uint8_t *resp,
                                                 size_t len, uint16_t sport, uint16_t cport);

/* First entry of both registries (OT first, being more specific) whose
 * test accepts req, or NULL. */
const struct svp_reqclass *svp_classify(enum svp_l4 l4, const uint8_t *req,
                                        size_t len, uint16_t sport);

#endif
