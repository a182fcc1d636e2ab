/* csum.h: which packets with a wrong checksum the reassemblers still use
 * (--checksum auto|on|off).
 *
 * Captures taken on a host that offloads checksums to its NIC (every
 * loopback capture, most captures made on a server or a laptop) carry
 * wrong TCP/UDP checksums on everything that host sent: 95 of the 216
 * third-party captures in tests/pcaps have some. Dropping those packets
 * loses whole flows, as libnids does by default. So:
 *   - off:  nothing is verified;
 *   - on:   IPv4 header and TCP/UDP checksums are verified and every packet
 *           that fails is dropped (counted);
 *   - auto (default): verified; a failure is tolerated when the checksum
 *           field holds just the pseudo-header sum (the offload signature),
 *           and otherwise dropped only when its source address has proven
 *           to checksum correctly (at least 8 good packets in this input and
 *           at most one bad per 16 good): a stray corrupted packet from a
 *           healthy sender is dropped, an offloading sender is believed.
 * Learning restarts with each input file. Packets that cannot be verified
 * (cut by the snap length, UDP checksum 0) are used. */
#ifndef SVP_CSUM_H
#define SVP_CSUM_H

#include "svp/base/config.h"
#include "svp/capture/decode.h"
#include "svp/reasm/flowtab.h"

struct svp_csum_policy;

int svp_csum_new(enum svp_csum_mode mode, struct svp_csum_policy **out);
void svp_csum_reset(struct svp_csum_policy *cp);

/* True if the reassemblers may use p. *verdict says why (counters). */
bool svp_csum_accept(struct svp_csum_policy *cp, const struct svp_pkt *p,
                     enum svp_csum_count *verdict);

/* Bytes held (memory accounting). */
size_t svp_csum_mem(const struct svp_csum_policy *cp);

void svp_csum_free(struct svp_csum_policy *cp);

#endif
