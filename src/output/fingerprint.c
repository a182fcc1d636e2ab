/* fingerprint.c: nmap's SF-Port service fingerprint for endpoints nothing
 * identified, so that a user can write (or submit) the missing rule.
 *
 * Format (nmap 7.93 service_scan.cc, addToServiceFingerprint):
 *   SF-Port<port>-<TCP|UDP>:V=<ver>[%T=SSL]%I=<intensity>%D=<M>/<D>
 *   %Time=<unix time, hex>%P=<platform>%r(<probe>,<length hex>,"<bytes>");
 * Bytes: alphanumerics as they are; NUL as \0 (\x00 when a digit follows,
 * so that a regex does not read it as an octal escape); \ ? " [ ] ( ) . * +
 * $ ^ | backslashed; other punctuation as it is; \r \n \t; anything else
 * (space included) \xhh. At most 900 response bytes are shown; the length
 * field gives the full length. For normal output the text is wrapped the
 * way nmap wraps it: a line break plus "SF:" before the character that
 * would make a line longer than 74 columns; the final ';' is never wrapped.
 *
 * Differences, on purpose: V= names svpassive ("svpassive-VERSION"), since
 * nmap did not make this fingerprint; Time= and D= are the capture time
 * of the evidence (UTC), not the time of the run, so output is
 * reproducible. */
#include "svp/output/output.h"

#include <ctype.h>
#include <string.h>
#include <time.h>

#define FP_WRAP 74        /* columns per line in normal output */
#define FP_MAX_BYTES 900  /* response bytes shown (nmap without -d) */
#define FP_MAX_PROBE 100  /* longest probe name written (nmap: 128-byte buffer) */

#if defined(__x86_64__)
#define FP_CPU "x86_64"
#elif defined(__aarch64__)
#define FP_CPU "aarch64"
#elif defined(__i386__)
#define FP_CPU "i686"
#elif defined(__arm__)
#define FP_CPU "arm"
#elif defined(__powerpc64__)
#define FP_CPU "powerpc64"
#else
#define FP_CPU "unknown"
#endif
#if defined(__linux__) && (defined(__x86_64__) || defined(__i386__))
#define FP_OS "pc-linux-gnu"
#elif defined(__linux__)
#define FP_OS "unknown-linux-gnu"
#else
#define FP_OS "unknown"
#endif

/* Bounded output; `len` counts what was written (at most size-1). */
struct fpbuf {
  char *out;
  size_t size, len;
};

static void addc(struct fpbuf *b, char c)
{
  if (b->len + 1 < b->size)
    b->out[b->len++] = c;
}

static void adds(struct fpbuf *b, const char *s)
{
  while (*s)
    addc(b, *s++);
}

size_t svp_fingerprint_wrap(const char *fp, char *out, size_t outsz)
{
  if (outsz == 0)
    return 0;
  struct fpbuf b = {.out = out, .size = outsz};
  size_t n = strlen(fp), vlen = 0;
  /* nmap wraps on the count of everything written, "\nSF:" included,
   * and appends the final ';' without wrapping. */
  size_t body = n && fp[n - 1] == ';' ? n - 1 : n;
  for (size_t i = 0; i < body; i++) {
    if (vlen % (FP_WRAP + 1) == FP_WRAP) {
      adds(&b, "\nSF:");
      vlen += 4;
    }
    addc(&b, fp[i]);
    vlen++;
  }
  if (body < n)
    addc(&b, ';');
  out[b.len] = '\0';
  return b.len;
}

static void add_escaped(struct fpbuf *b, const uint8_t *p, size_t n)
{
  static const char hex[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    uint8_t c = p[i];
    if (isalnum(c) && c < 0x80) {
      addc(b, (char)c);
    } else if (c == '\0') {
      adds(b, i + 1 < n && isdigit(p[i + 1]) ? "\\x00" : "\\0");
    } else if (strchr("\\?\"[]().*+$^|", c)) {
      addc(b, '\\');
      addc(b, (char)c);
    } else if (ispunct(c) && c < 0x80) {
      addc(b, (char)c);
    } else if (c == '\r') {
      adds(b, "\\r");
    } else if (c == '\n') {
      adds(b, "\\n");
    } else if (c == '\t') {
      adds(b, "\\t");
    } else {
      addc(b, '\\');
      addc(b, 'x');
      addc(b, hex[c >> 4]);
      addc(b, hex[c & 15]);
    }
  }
}

size_t svp_fingerprint(const struct svp_endpoint *ep,
                       const struct svp_run_info *run, bool wrap74,
                       char *out, size_t outsz)
{
  if (outsz == 0)
    return 0;
  out[0] = '\0';
  if (!ep || !ep->fp_data || ep->fp_len == 0)
    return 0;
  char flat[SVP_FP_MAX];
  struct fpbuf b = {.out = wrap74 ? flat : out, .size = wrap74 ? sizeof flat : outsz};

  int64_t t_us = ep->res.ev.pkt.ts_us ? ep->res.ev.pkt.ts_us : ep->first_us;
  int64_t t = t_us / 1000000 - (t_us % 1000000 < 0);
  time_t tt = (time_t)t;
  struct tm tm;
  if (!gmtime_r(&tt, &tm))
    memset(&tm, 0, sizeof tm);
  char head[256];
  snprintf(head, sizeof head,
           "SF-Port%u-%s:V=svpassive-%s%s%%I=%d%%D=%d/%d%%Time=%llX%%P=%s-%s",
           (unsigned)ep->port, ep->l4 == SVP_L4_UDP ? "UDP" : "TCP", SVP_VERSION,
           ep->res.ssl ? "%T=SSL" : "", run ? run->intensity : 0, tm.tm_mon + 1,
           tm.tm_mday, (unsigned long long)(uint32_t)t, FP_CPU, FP_OS);
  adds(&b, head);

  const char *probe = ep->fp_probe && ep->fp_probe->name ? ep->fp_probe->name : "NULL";
  uint32_t total = ep->fp_total >= ep->fp_len ? ep->fp_total : ep->fp_len;
  char rec[FP_MAX_PROBE + 32];
  snprintf(rec, sizeof rec, "%%r(%.*s,%X,\"", FP_MAX_PROBE, probe, (unsigned)total);
  adds(&b, rec);
  add_escaped(&b, ep->fp_data, ep->fp_len < FP_MAX_BYTES ? ep->fp_len : FP_MAX_BYTES);
  adds(&b, "\")");
  addc(&b, ';');
  b.out[b.len] = '\0';
  return wrap74 ? svp_fingerprint_wrap(flat, out, outsz) : b.len;
}
