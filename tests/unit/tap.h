/* tap.h: the unit tests' tiny harness. Each CHECK prints "ok N" or
 * "not ok N - file:line: what" (TAP), and tap_done() returns the exit
 * status: 0 only if every check passed and at least one ran. */
#ifndef SVP_TAP_H
#define SVP_TAP_H

#include <stddef.h>

void tap_check(int ok, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void tap_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int tap_done(void);
/* Hex text ("810a00...") to bytes, at most cap; stops at the first pair
 * that is not hex. Returns the byte count. */
size_t tap_unhex(const char *hex, unsigned char *out, size_t cap);
/* Path below the source tree ($SVP_SRCDIR, else the compile-time guess);
 * returns a static buffer. */
const char *tap_srcpath(const char *rel);

#define CHECK(cond) tap_check(!!(cond), __FILE__, __LINE__, "%s", #cond)
#define CHECK_INT(got, want)                                                  \
  do {                                                                        \
    long long g_ = (long long)(got), w_ = (long long)(want);                  \
    tap_check(g_ == w_, __FILE__, __LINE__, "%s == %lld (got %lld)", #got, w_, \
              g_);                                                            \
  } while (0)
#define CHECK_STR(got, want)                                                  \
  do {                                                                        \
    const char *g_ = (got), *w_ = (want);                                     \
    tap_check(g_ && w_ && strcmp(g_, w_) == 0, __FILE__, __LINE__,            \
              "%s == \"%s\" (got \"%s\")", #got, w_ ? w_ : "(null)",          \
              g_ ? g_ : "(null)");                                            \
  } while (0)

#endif
