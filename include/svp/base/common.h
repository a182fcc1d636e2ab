/* common.h: status codes and the few types every module shares.
 *
 * Convention: functions that can fail return an int that is SVP_OK (0) or a
 * negative enum svp_status; svp_strerror() turns it into text. Nothing
 * outside main.c calls exit(). */
#ifndef SVP_COMMON_H
#define SVP_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum svp_status {
  SVP_OK = 0,
  SVP_ERR_NOMEM = -1,    /* allocation failed */
  SVP_ERR_IO = -2,       /* open/read/write failed; errno describes it */
  SVP_ERR_PARSE = -3,    /* malformed input text (rule file, option) */
  SVP_ERR_REGEX = -4,    /* PCRE2 compile failure */
  SVP_ERR_LINKTYPE = -5, /* capture link type we cannot decode */
  SVP_ERR_FILTER = -6,   /* BPF expression did not compile */
  SVP_ERR_LIMIT = -7,    /* a configured bound was reached */
  SVP_ERR_ARG = -8,      /* caller passed something invalid */
  SVP_ERR_NOTFOUND = -9, /* named object does not exist */
  SVP_ERR_TRUNC = -10,   /* input ended early */
  SVP_ERR_PCAP = -11,    /* libpcap reported an error */
  SVP_ERR_INTERNAL = -12 /* a bug: an invariant did not hold */
};

/* Static string for a status code; never NULL. */
const char *svp_strerror(int status);

/* Transport protocol of a probe, flow or endpoint (IP protocol numbers). */
enum svp_l4 { SVP_L4_TCP = 6, SVP_L4_UDP = 17 };

/* "tcp" / "udp" */
const char *svp_l4_name(enum svp_l4 l4);

#define SVP_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#if defined(__GNUC__)
#define SVP_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define SVP_PRINTF(f, a)
#endif

#endif
