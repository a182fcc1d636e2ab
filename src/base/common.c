/* common.c: status strings, address helpers and the diagnostics sink. */
#include "svp/base/common.h"
#include "svp/base/diag.h"
#include "svp/reasm/flow.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

const char *svp_strerror(int status)
{
  switch (status) {
  case SVP_OK: return "success";
  case SVP_ERR_NOMEM: return "out of memory";
  case SVP_ERR_IO: return "input/output error";
  case SVP_ERR_PARSE: return "syntax error";
  case SVP_ERR_REGEX: return "regular expression error";
  case SVP_ERR_LINKTYPE: return "unsupported link type";
  case SVP_ERR_FILTER: return "bad capture filter";
  case SVP_ERR_LIMIT: return "limit reached";
  case SVP_ERR_ARG: return "invalid argument";
  case SVP_ERR_NOTFOUND: return "not found";
  case SVP_ERR_TRUNC: return "truncated input";
  case SVP_ERR_PCAP: return "capture library error";
  case SVP_ERR_INTERNAL: return "internal error";
  }
  return "unknown error";
}

const char *svp_l4_name(enum svp_l4 l4)
{
  return l4 == SVP_L4_UDP ? "udp" : "tcp";
}

char *svp_addr_str(const struct svp_addr *a, char *buf, size_t len)
{
  if (len == 0)
    return buf;
  if (!inet_ntop(a->family == 6 ? AF_INET6 : AF_INET, a->b, buf, (socklen_t)len))
    snprintf(buf, len, "?");
  return buf;
}

int svp_addr_cmp(const struct svp_addr *a, const struct svp_addr *b)
{
  if (a->family != b->family)
    return a->family < b->family ? -1 : 1;
  return memcmp(a->b, b->b, a->family == 6 ? 16 : 4);
}

static void diag_vemit(struct svp_diag *d, enum svp_sev sev, const char *prefix,
                       const char *fmt, va_list ap)
{
  if (!d)
    return;
  if (sev == SVP_SEV_ERROR)
    d->n_error++;
  else if (sev == SVP_SEV_WARN)
    d->n_warn++;
  else
    d->n_note++;
  if (!d->emit || (d->max_emit && d->n_emitted >= d->max_emit))
    return;
  char msg[1024];
  int n = snprintf(msg, sizeof msg, "%s", prefix);
  if (n < 0 || (size_t)n >= sizeof msg)
    n = 0;
  vsnprintf(msg + n, sizeof msg - (size_t)n, fmt, ap);
  d->n_emitted++;
  d->emit(d->ud, sev, msg);
}

void svp_diag_at(struct svp_diag *d, enum svp_sev sev, const char *file,
                 unsigned long line, const char *fmt, ...)
{
  char prefix[512] = "";
  if (file && line)
    snprintf(prefix, sizeof prefix, "%s:%lu: ", file, line);
  else if (file)
    snprintf(prefix, sizeof prefix, "%s: ", file);
  va_list ap;
  va_start(ap, fmt);
  diag_vemit(d, sev, prefix, fmt, ap);
  va_end(ap);
}

void svp_diag_frame(struct svp_diag *d, enum svp_sev sev, const char *file,
                    uint64_t frame, const char *fmt, ...)
{
  char prefix[512];
  snprintf(prefix, sizeof prefix, "%s: frame %llu: ", file ? file : "-",
           (unsigned long long)frame);
  va_list ap;
  va_start(ap, fmt);
  diag_vemit(d, sev, prefix, fmt, ap);
  va_end(ap);
}
