/* diag.h: where warnings and errors go.
 *
 * Modules never print. They report through a struct svp_diag that the
 * caller (main.c, a test, a fuzzer) sets up. Each message carries where the
 * problem is: "file:line" for rule files, "file: frame N" for captures. */
#ifndef SVP_DIAG_H
#define SVP_DIAG_H

#include "svp/base/common.h"

enum svp_sev { SVP_SEV_NOTE = 0, SVP_SEV_WARN = 1, SVP_SEV_ERROR = 2 };

struct svp_diag {
  /* Receives each finished message, e.g. "rules/x.probes:12: bad delimiter".
   * msg is valid only during the call. May be NULL: messages are counted
   * and dropped. */
  void (*emit)(void *ud, enum svp_sev sev, const char *msg);
  void *ud;
  unsigned max_emit;   /* after this many emitted messages, count only (0 = no cap) */
  unsigned n_emitted;  /* messages passed to emit */
  unsigned n_note, n_warn, n_error; /* all messages, emitted or not */
};

/* Report at file:line (line 0: no line part; file NULL: no location). */
void svp_diag_at(struct svp_diag *d, enum svp_sev sev, const char *file,
                 unsigned long line, const char *fmt, ...) SVP_PRINTF(5, 6);

/* Report about one frame of a capture: "file: frame N: msg". */
void svp_diag_frame(struct svp_diag *d, enum svp_sev sev, const char *file,
                    uint64_t frame, const char *fmt, ...) SVP_PRINTF(5, 6);

#endif
