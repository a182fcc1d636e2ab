/* tap.c: see tap.h. */
#include "tap.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static int tap_n, tap_failed;

void tap_check(int ok, const char *file, int line, const char *fmt, ...)
{
  tap_n++;
  if (ok) {
    printf("ok %d\n", tap_n);
    return;
  }
  tap_failed++;
  printf("not ok %d - %s:%d: ", tap_n, file, line);
  va_list ap;
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  putchar('\n');
}

void tap_note(const char *fmt, ...)
{
  va_list ap;
  fputs("# ", stdout);
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  putchar('\n');
}

int tap_done(void)
{
  printf("1..%d\n", tap_n);
  if (tap_n == 0)
    printf("# no checks ran\n");
  else if (tap_failed)
    printf("# %d of %d checks failed\n", tap_failed, tap_n);
  return (tap_n == 0 || tap_failed) ? 1 : 0;
}

size_t tap_unhex(const char *hex, unsigned char *out, size_t cap)
{
  size_t n = 0;
  for (; hex[0] && hex[1] && n < cap; hex += 2) {
    unsigned v;
    if (sscanf(hex, "%2x", &v) != 1)
      break;
    out[n++] = (unsigned char)v;
  }
  return n;
}

const char *tap_srcpath(const char *rel)
{
  static char buf[4096];
  const char *root = getenv("SVP_SRCDIR");
  snprintf(buf, sizeof buf, "%s/%s", root ? root : ".", rel);
  return buf;
}
