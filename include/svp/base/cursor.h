/* cursor.h: a bounded reader for untrusted bytes (packets, payloads).
 *
 * Every read checks the remaining length. A read past the end returns 0 (or
 * NULL), consumes nothing and sets c->bad, so a parser can do a run of reads
 * and check once: "if (c.bad) return SVP_ERR_TRUNC". The cursor borrows the
 * bytes; it never owns or modifies them. */
#ifndef SVP_CURSOR_H
#define SVP_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct svp_cur {
  const uint8_t *p; /* start of the bytes (borrowed) */
  size_t len;       /* number of bytes at p */
  size_t off;       /* next byte to read */
  bool bad;         /* a read went past the end */
};

static inline struct svp_cur svp_cur_make(const void *p, size_t len)
{
  struct svp_cur c = {(const uint8_t *)p, p ? len : 0, 0, false};
  return c;
}

static inline size_t svp_cur_left(const struct svp_cur *c)
{
  return c->len - c->off;
}

static inline bool svp_cur_has(const struct svp_cur *c, size_t n)
{
  return n <= c->len - c->off;
}

/* Pointer to the next n bytes and advance, or NULL (and bad) if short. */
static inline const uint8_t *svp_cur_take(struct svp_cur *c, size_t n)
{
  if (!svp_cur_has(c, n)) {
    c->bad = true;
    return NULL;
  }
  const uint8_t *q = c->p + c->off;
  c->off += n;
  return q;
}

static inline bool svp_cur_skip(struct svp_cur *c, size_t n)
{
  return svp_cur_take(c, n) != NULL;
}

/* Pointer to the unread rest; does not advance. */
static inline const uint8_t *svp_cur_rest(const struct svp_cur *c)
{
  return c->p + c->off;
}

static inline uint8_t svp_cur_u8(struct svp_cur *c)
{
  const uint8_t *q = svp_cur_take(c, 1);
  return q ? q[0] : 0;
}

static inline uint16_t svp_cur_be16(struct svp_cur *c)
{
  const uint8_t *q = svp_cur_take(c, 2);
  return q ? (uint16_t)((q[0] << 8) | q[1]) : 0;
}

static inline uint16_t svp_cur_le16(struct svp_cur *c)
{
  const uint8_t *q = svp_cur_take(c, 2);
  return q ? (uint16_t)((q[1] << 8) | q[0]) : 0;
}

static inline uint32_t svp_cur_be32(struct svp_cur *c)
{
  const uint8_t *q = svp_cur_take(c, 4);
  return q ? ((uint32_t)q[0] << 24) | ((uint32_t)q[1] << 16) |
                 ((uint32_t)q[2] << 8) | q[3]
           : 0;
}

static inline uint32_t svp_cur_le32(struct svp_cur *c)
{
  const uint8_t *q = svp_cur_take(c, 4);
  return q ? ((uint32_t)q[3] << 24) | ((uint32_t)q[2] << 16) |
                 ((uint32_t)q[1] << 8) | q[0]
           : 0;
}

/* A sub-cursor over the next n bytes (advancing this one past them). If
 * fewer than n remain, the sub-cursor is empty and both are marked bad. */
static inline struct svp_cur svp_cur_sub(struct svp_cur *c, size_t n)
{
  const uint8_t *q = svp_cur_take(c, n);
  struct svp_cur s = svp_cur_make(q, q ? n : 0);
  s.bad = (q == NULL);
  return s;
}

#endif
