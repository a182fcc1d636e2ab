/* services.h: nmap's port table (nmap-services): the service name nmap
 * prints for a port when nothing better is known ("table" guesses).
 *
 * Life cycle: svp_services_load() (or _load_buf) -> read-only lookups from
 * any number of threads -> svp_services_free(). The table owns every name it
 * hands out; they stay valid until svp_services_free().
 *
 * File format (one entry per line; '#' starts a comment):
 *     name <TAB/space> port/proto [<space> frequency] [# comment]
 * Only tcp and udp entries are kept (sctp lines are skipped silently). A
 * line that does not parse is reported as "file:line: reason" through the
 * svp_diag and skipped; the rest still loads. When several lines name the
 * same port/proto, the one with the highest frequency wins (the first on a
 * tie), which is the name nmap prints. */
#ifndef SVP_SERVICES_H
#define SVP_SERVICES_H

#include "svp/base/common.h"
#include "svp/base/diag.h"

struct svp_services;

struct svp_services_stats {
  unsigned lines;      /* lines read */
  unsigned entries;    /* tcp/udp entries kept */
  unsigned duplicates; /* lines that named a port/proto already present */
  unsigned skipped;    /* other protocols (sctp) */
  unsigned errors;     /* malformed lines reported and skipped */
};

/* Load a file (e.g. "/usr/share/nmap/nmap-services"). Returns SVP_OK,
 * SVP_ERR_IO if it cannot be read (errno set; reported to diag too),
 * SVP_ERR_LIMIT if it is larger than 64 MiB, SVP_ERR_NOMEM. On success
 * *out owns the table (free with svp_services_free). */
int svp_services_load(const char *path, struct svp_diag *diag,
                      struct svp_services **out);

/* Same from memory (tests, fuzzers); name is used in messages. text need
 * not be NUL-terminated. */
int svp_services_load_buf(const char *name, const char *text, size_t len,
                          struct svp_diag *diag, struct svp_services **out);

void svp_services_free(struct svp_services *s);

/* The name for port/proto, or NULL if the table has none. NULL s is
 * allowed (returns NULL). The name may be "unknown": nmap-services uses it
 * for ports seen open in the wild without a registered service. */
const char *svp_services_name(const struct svp_services *s, enum svp_l4 l4,
                              uint16_t port);

const struct svp_services_stats *svp_services_stats(const struct svp_services *s);

#endif
