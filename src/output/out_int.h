/* out_int.h: private to src/output/: the bounded line builder the text
 * writers share (evidence lines, TLS lines). */
#ifndef SVP_OUT_INT_H
#define SVP_OUT_INT_H

#include "svp/base/common.h"

/* Lines are committed whole or not at all: buf never holds half a line. */
struct svp_lines {
  char *buf;
  size_t n, len;    /* capacity, committed length */
  char line[4096];  /* the line being built (cut at its size) */
  size_t ll;
};

/* Add formatted text to the current line. */
void svp_ol_append(struct svp_lines *L, const char *fmt, ...) SVP_PRINTF(2, 3);
/* Add untrusted text with control bytes shown as '?'. */
void svp_ol_text(struct svp_lines *L, const char *s);
/* End the current line: append it and '\n' to buf if it fits. */
void svp_ol_commit(struct svp_lines *L);

#endif
