/* test_common.c: status strings, address text, diagnostics and the cursor. */
#include "svp/base/common.h"
#include "svp/base/cursor.h"
#include "svp/base/diag.h"
#include "svp/reasm/flow.h"
#include "tap.h"

#include <stdio.h>
#include <string.h>

static char last_msg[256];
static void keep_msg(void *ud, enum svp_sev sev, const char *msg)
{
  (void)ud;
  (void)sev;
  snprintf(last_msg, sizeof last_msg, "%s", msg);
}

int main(void)
{
  CHECK_STR(svp_strerror(SVP_ERR_NOMEM), "out of memory");
  CHECK_STR(svp_strerror(12345), "unknown error");

  char buf[SVP_ADDR_STRLEN];
  struct svp_addr a4 = {.family = 4, .b = {192, 0, 2, 7}};
  struct svp_addr a6 = {.family = 6, .b = {0x20, 0x01, 0x0d, 0xb8, [15] = 1}};
  CHECK_STR(svp_addr_str(&a4, buf, sizeof buf), "192.0.2.7");
  CHECK_STR(svp_addr_str(&a6, buf, sizeof buf), "2001:db8::1");
  CHECK(svp_addr_cmp(&a4, &a6) < 0);
  CHECK(svp_addr_cmp(&a4, &a4) == 0);

  struct svp_diag d = {.emit = keep_msg, .max_emit = 2};
  svp_diag_at(&d, SVP_SEV_ERROR, "x.probes", 12, "bad %s", "delimiter");
  CHECK_STR(last_msg, "x.probes:12: bad delimiter");
  svp_diag_frame(&d, SVP_SEV_WARN, "a.pcap", 7, "short IPv4 header");
  CHECK_STR(last_msg, "a.pcap: frame 7: short IPv4 header");
  svp_diag_at(&d, SVP_SEV_WARN, NULL, 0, "third");
  CHECK_STR(last_msg, "a.pcap: frame 7: short IPv4 header"); /* capped */
  CHECK_INT(d.n_error, 1);
  CHECK_INT(d.n_warn, 2);
  CHECK_INT(d.n_emitted, 2);

  const uint8_t bytes[] = {0x12, 0x34, 0x56, 0x78, 0x9a};
  struct svp_cur c = svp_cur_make(bytes, sizeof bytes);
  CHECK_INT(svp_cur_be16(&c), 0x1234);
  CHECK_INT(svp_cur_le16(&c), 0x7856);
  CHECK(!c.bad);
  CHECK_INT(svp_cur_be32(&c), 0); /* only one byte left */
  CHECK(c.bad);
  CHECK_INT(svp_cur_left(&c), 1); /* a failed read consumes nothing */
  struct svp_cur s = svp_cur_sub(&c, 1);
  CHECK_INT(svp_cur_u8(&s), 0x9a);
  return tap_done();
}
