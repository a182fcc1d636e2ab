/* prefix.h: what a regex's text says about the bytes any match must
 * contain (private to the rule loader and the matcher).
 *
 * Two facts are extracted from the pattern text, both SOUND (a subject
 * they reject can never match; when in doubt the extractor says less):
 *  - the literal prefix: bytes every match starts with at subject offset 0
 *    (only for patterns anchored by a leading '^' or '\A' with no
 *    top-level '|');
 *  - a few 4-byte windows ("grams") of other literal runs every match
 *    contains somewhere, stored as 16-bit hashes for a bitmap test.
 * The scanner follows PCRE2 10.42 syntax without the x option; anything it
 * does not understand ends the current literal run (or, for top-level
 * option settings and verbs, the scan). */
#ifndef SVP_PREFIX_H
#define SVP_PREFIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SVP_LIT_PREFIX_MAX 48 /* longer literal prefixes are cut (still sound) */
#define SVP_LIT_GRAMS 8       /* gram hashes kept per rule */
#define SVP_GRAM_BITS 16      /* the response bitmap has 2^16 bits */

struct svp_lit {
  uint8_t prefix[SVP_LIT_PREFIX_MAX];
  uint8_t prefix_len;      /* 0 = no known prefix */
  bool anchored;           /* starts with ^ or \A, no top-level | */
  bool caseless;           /* compare the prefix ignoring ASCII case */
  uint8_t n_grams;
  uint16_t gram[SVP_LIT_GRAMS];
};

/* Analyse pattern (NUL-terminated, as given to PCRE2). caseless = the
 * rule's i flag: the prefix is then compared ignoring case and no grams
 * are kept. Never fails: an unknown construct just yields less. */
void svp_lit_extract(const char *pattern, bool caseless, struct svp_lit *out);

/* Hash of the 4 bytes at p, as used for grams and for the bitmap. */
static inline uint16_t svp_gram_hash(const uint8_t *p)
{
  uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
               (uint32_t)p[3] << 24;
  return (uint16_t)((v * 0x9E3779B1u) >> (32 - SVP_GRAM_BITS));
}

/* True if the subject's first bytes carry lit's prefix. */
bool svp_lit_prefix_ok(const struct svp_lit *lit, const uint8_t *s, size_t len);

#endif
