/* fuzz_udpmsg.c: one UDP datagram -> src/proto/udpmsg.c.
 *
 * Input: the sender's port and the receiver's port (2 bytes each, big
 * endian), then the datagram. The parse must read only inside the datagram
 * (ASan), give a kind and protocol in range with a non-NULL name, say
 * "recognised" exactly when it names a protocol, and give the same answer
 * twice. svp_udp_tftp_answer is run on the same bytes.
 *
 * Seed corpus (fuzz/corpus/udpmsg/): the datagrams of tests/unit/
 * test_udpmsg.c, taken from the third-party captures named there, with
 * their ports. */
#include "svp/proto/udpmsg.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < 4)
    return 0;
  uint16_t sport = (uint16_t)(data[0] << 8 | data[1]);
  uint16_t dport = (uint16_t)(data[2] << 8 | data[3]);
  size_t n = size - 4;
  /* a copy of exactly n bytes, so that a read past the end is caught */
  uint8_t *p = malloc(n ? n : 1);
  if (!p)
    return 0;
  memcpy(p, data + 4, n);
  struct svp_udp_msg a, b;
  bool ok = svp_udp_msg_parse(p, n, sport, dport, &a);
  bool ok2 = svp_udp_msg_parse(p, n, sport, dport, &b);
  if (ok != ok2 || a.kind != b.kind || a.proto != b.proto || a.what != b.what)
    abort();
  if ((unsigned)a.kind > SVP_UK_QUERY || (unsigned)a.proto >= SVP_UP_COUNT || !a.what)
    abort();
  if (ok != (a.proto != SVP_UP_NONE))
    abort();
  if (a.fresh_port_reply && a.proto != SVP_UP_TFTP)
    abort();
  (void)svp_udp_tftp_answer(p, n);
  free(p);
  return 0;
}
