/* rules_lex.h: the lexical pieces of nmap's rule grammar (private to the
 * rule loader and the template expander).
 *
 * Everything here works on a byte range (pointer + length) of one line and
 * never reads outside it; nothing allocates except svp_rangevec_add. */
#ifndef SVP_RULES_LEX_H
#define SVP_RULES_LEX_H

#include <stddef.h>
#include <stdint.h>

#include "svp/base/common.h"
#include "svp/rules/rules.h"

/* nmap's C-string unescape (utils.cc cstring_unescape): "\0" is one NUL
 * byte (never octal: "\01" is NUL then '1'), \a \b \f \n \r \t \v, "\xHH"
 * with exactly two hex digits, backslash + any non-alphanumeric byte is
 * that byte. Anything else (backslash + other letter or digit, a lone
 * backslash at the end, "\x" without two hex digits) is an error.
 * Writes at most n bytes to out (out may equal s: the result is never
 * longer). Returns the length written, or -1 with *bad_off set to the
 * offset of the offending backslash. */
ptrdiff_t svp_unescape(const char *s, size_t n, uint8_t *out, size_t *bad_off);

/* One delimited token as nmap's next_template() reads it:
 *   [spaces] word delim body delim flags
 * word = letters and ':' (may be empty), delim = the byte after the word,
 * body = up to the next occurrence of that byte (no escaping),
 * flags = letters right after the closing delimiter. */
struct svp_tok {
  const char *word;
  size_t word_len;
  char delim;
  const char *body;
  size_t body_len;
  const char *flags;
  size_t flags_len;
  size_t at;          /* offset of the token's first byte in the line */
};

enum svp_tok_rc {
  SVP_TOK_OK = 0,
  SVP_TOK_END,          /* only spaces left */
  SVP_TOK_NODELIM,      /* word followed by a space or the end of the line */
  SVP_TOK_UNTERMINATED  /* no closing delimiter */
};

/* Read the next token of line[*pos..len); on SVP_TOK_OK *pos moves past
 * the flags. On an error *t holds what was read so far (word, delim). */
enum svp_tok_rc svp_tok_next(const char *line, size_t len, size_t *pos,
                             struct svp_tok *t);

/* A growable list of inclusive port ranges (heap, owned by the caller). */
struct svp_rangevec {
  struct svp_port_range *r;
  size_t n, cap;
};

int svp_rangevec_add(struct svp_rangevec *v, uint16_t lo, uint16_t hi);
/* Sort and merge overlapping or adjacent ranges in place. */
void svp_rangevec_normalize(struct svp_rangevec *v);
void svp_rangevec_free(struct svp_rangevec *v);

/* A "ports"/"sslports" list: decimal ports and lo-hi ranges separated by
 * commas, spaces allowed around each item (nmap's setPortVector). Appends
 * to v. Returns SVP_OK, SVP_ERR_PARSE (*err says why) or SVP_ERR_NOMEM. */
int svp_ports_parse(const char *s, size_t n, struct svp_rangevec *v,
                    const char **err);

/* An "Exclude" list in nmap's -p syntax: items separated by commas;
 * "T:", "U:" and "S:" switch the protocol for the items that follow (items
 * before any prefix count for TCP and UDP); ranges "lo-hi", "-hi", "lo-"
 * and "*"; SCTP items are accepted and ignored. Port names are not
 * supported (error). */
int svp_exclude_parse(const char *s, size_t n, struct svp_rangevec *tcp,
                      struct svp_rangevec *udp, const char **err);

#endif
