/* prefix.c: literal prefix and required literal runs of a regex, read from
 * its text (PCRE2 10.42 syntax, no x option). See prefix.h.
 *
 * The scanner walks the top level of the pattern atom by atom. A literal
 * byte extends the current run; anything else (class, group, dot, escape
 * class, assertion, backreference) ends it. A quantifier that allows zero
 * repetitions removes its literal from the run; any quantifier ends the
 * run. Groups are skipped whole. A top-level '|', a top-level option
 * setting such as "(?i)", or any "(*VERB)" makes the scanner give up:
 * then nothing is known and every subject passes. */
#include "prefix.h"

#include <stdlib.h>
#include <string.h>

enum atom {
  A_LIT,   /* one literal byte (in sc->lit) */
  A_OTHER, /* consumes subject bytes we cannot name */
  A_ZERO,  /* zero-width: assertion, comment */
  A_NOP,   /* \Q or \E: changes nothing about the subject */
  A_QUANT, /* a quantifier with nothing to apply to */
  A_ALT,   /* top-level | */
  A_STOP,  /* construct that changes how the rest must be read */
  A_END
};

struct run {
  size_t start, len; /* in sc->buf */
};

struct scan {
  const char *p;
  size_t i, n;
  bool in_quote;     /* between \Q and \E */
  uint8_t lit;       /* the literal byte of the last A_LIT */
  uint8_t *buf;      /* literal bytes of every run, back to back */
  size_t blen;
  struct run *runs;
  size_t n_runs;
  size_t cur_start;  /* start in buf of the run being built */
};

static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_odigit(char c) { return c >= '0' && c <= '7'; }
static bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static bool is_xdigit(char c)
{
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
static int xval(char c)
{
  return is_digit(c) ? c - '0' : (c | 0x20) - 'a' + 10;
}

static char peek(const struct scan *sc, size_t k)
{
  return sc->i + k < sc->n ? sc->p[sc->i + k] : '\0';
}

/* Skip from an opening char to the matching terminator c (inclusive); if
 * there is none, to the end. */
static void skip_to(struct scan *sc, char c)
{
  while (sc->i < sc->n && sc->p[sc->i] != c)
    sc->i++;
  if (sc->i < sc->n)
    sc->i++;
}

/* An escape at sc->i (the backslash). Returns A_LIT with sc->lit set for
 * an escape that stands for one byte, else A_OTHER / A_ZERO / A_STOP. */
static enum atom escape(struct scan *sc)
{
  char e = peek(sc, 1);
  sc->i += 2;
  switch (e) {
  case '\0':
    sc->i = sc->n;
    return A_STOP; /* trailing backslash: a compile error anyway */
  case 'a': sc->lit = 0x07; return A_LIT;
  case 'e': sc->lit = 0x1b; return A_LIT;
  case 'f': sc->lit = 0x0c; return A_LIT;
  case 'n': sc->lit = 0x0a; return A_LIT;
  case 'r': sc->lit = 0x0d; return A_LIT;
  case 't': sc->lit = 0x09; return A_LIT;
  case '0': { /* \0 and up to two more octal digits */
    unsigned v = 0;
    for (int k = 0; k < 2 && is_odigit(peek(sc, 0)); k++)
      v = v * 8 + (unsigned)(sc->p[sc->i++] - '0');
    sc->lit = (uint8_t)v;
    return A_LIT;
  }
  case 'x':
    if (peek(sc, 0) == '{') {
      skip_to(sc, '}');
      return A_OTHER;
    }
    if (is_xdigit(peek(sc, 0))) {
      unsigned v = (unsigned)xval(sc->p[sc->i++]);
      if (is_xdigit(peek(sc, 0)))
        v = v * 16 + (unsigned)xval(sc->p[sc->i++]);
      sc->lit = (uint8_t)v;
      return A_LIT;
    }
    return A_OTHER;
  case 'o': case 'p': case 'P': case 'N':
    if (peek(sc, 0) == '{')
      skip_to(sc, '}');
    else if (e == 'p' || e == 'P')
      sc->i++; /* \pL */
    return A_OTHER;
  case 'c':
    if (sc->i < sc->n)
      sc->i++;
    return A_OTHER;
  case 'g': case 'k': {
    char open = peek(sc, 0);
    if (open == '{')
      skip_to(sc, '}');
    else if (open == '<')
      skip_to(sc, '>');
    else if (open == '\'') {
      sc->i++;
      skip_to(sc, '\'');
    } else {
      if (open == '-' || open == '+')
        sc->i++;
      while (is_digit(peek(sc, 0)))
        sc->i++;
    }
    return A_OTHER;
  }
  case 'Q':
    sc->in_quote = true;
    return A_NOP;
  case 'E':
    return A_NOP;
  case 'b': case 'B': case 'A': case 'z': case 'Z': case 'G': case 'K':
    return A_ZERO;
  default:
    if (is_digit(e)) { /* backreference or octal: never a run byte */
      while (is_digit(peek(sc, 0)))
        sc->i++;
      return A_OTHER;
    }
    if (is_alpha(e))
      return A_OTHER; /* \d \w \s \h \v \R \X \C ... or an error */
    sc->lit = (uint8_t)e; /* backslash + punctuation, space or high byte */
    return A_LIT;
  }
}

/* Skip an escape inside a class or group, a \Q...\E quote included. */
static void skip_escape(struct scan *sc)
{
  if (peek(sc, 1) == 'Q') {
    sc->i += 2;
    while (sc->i < sc->n && !(sc->p[sc->i] == '\\' && peek(sc, 1) == 'E'))
      sc->i++;
    sc->i = sc->i + 2 < sc->n ? sc->i + 2 : sc->n;
    return;
  }
  (void)escape(sc);
  sc->in_quote = false;
}

/* Skip a character class starting at '['. */
static void skip_class(struct scan *sc)
{
  sc->i++;
  if (peek(sc, 0) == '^')
    sc->i++;
  if (peek(sc, 0) == ']')
    sc->i++; /* a ']' first is a member */
  while (sc->i < sc->n) {
    char c = sc->p[sc->i];
    if (c == ']') {
      sc->i++;
      return;
    }
    if (c == '\\') {
      skip_escape(sc);
      continue;
    }
    if (c == '[' && (peek(sc, 1) == ':' || peek(sc, 1) == '.' || peek(sc, 1) == '=')) {
      /* POSIX class: ends at the same char + ']' unless a ']' comes first */
      char t = peek(sc, 1);
      for (size_t k = sc->i + 2; k < sc->n; k++) {
        if (sc->p[k] == '\\' && k + 1 < sc->n && (sc->p[k + 1] == ']' || sc->p[k + 1] == '\\')) {
          k++;
        } else if ((sc->p[k] == '[' && k + 1 < sc->n && sc->p[k + 1] == t) || sc->p[k] == ']') {
          break;
        } else if (sc->p[k] == t && k + 1 < sc->n && sc->p[k + 1] == ']') {
          sc->i = k + 2;
          goto next;
        }
      }
    }
    sc->i++;
  next:;
  }
}

/* Skip a group starting at '(' to its matching ')'. */
static void skip_group(struct scan *sc)
{
  int depth = 0;
  while (sc->i < sc->n) {
    char c = sc->p[sc->i];
    if (c == '\\') {
      skip_escape(sc);
    } else if (c == '[') {
      skip_class(sc);
    } else if (c == '(' && peek(sc, 1) == '?' && peek(sc, 2) == '#') {
      skip_to(sc, ')');
      if (depth == 0)
        return;
    } else if (c == '(') {
      depth++;
      sc->i++;
    } else if (c == ')') {
      sc->i++;
      if (--depth <= 0)
        return;
    } else {
      sc->i++;
    }
  }
}

/* A quantifier at sc->i: sets *min and returns true, consuming it (and a
 * lazy '?' or possessive '+' after it). PCRE2 10.42: {n} {n,} {n,m} only;
 * any other '{' is a literal. */
static bool quantifier(struct scan *sc, unsigned long *min)
{
  char c = peek(sc, 0);
  size_t k = sc->i;
  if (c == '*' || c == '?' || c == '+') {
    *min = c == '+' ? 1 : 0;
    k++;
  } else if (c == '{') {
    size_t j = k + 1;
    unsigned long v = 0;
    if (j >= sc->n || !is_digit(sc->p[j]))
      return false;
    while (j < sc->n && is_digit(sc->p[j])) {
      if (v < 100000)
        v = v * 10 + (unsigned long)(sc->p[j] - '0');
      j++;
    }
    if (j < sc->n && sc->p[j] == ',') {
      j++;
      while (j < sc->n && is_digit(sc->p[j]))
        j++;
    }
    if (j >= sc->n || sc->p[j] != '}')
      return false;
    *min = v;
    k = j + 1;
  } else {
    return false;
  }
  if (k < sc->n && (sc->p[k] == '?' || sc->p[k] == '+'))
    k++;
  sc->i = k;
  return true;
}

static enum atom next_atom(struct scan *sc)
{
  if (sc->i >= sc->n)
    return A_END;
  char c = sc->p[sc->i];
  if (sc->in_quote) {
    if (c == '\\' && peek(sc, 1) == 'E') {
      sc->in_quote = false;
      sc->i += 2;
      return A_NOP;
    }
    sc->lit = (uint8_t)c;
    sc->i++;
    return A_LIT;
  }
  switch (c) {
  case '\\':
    return escape(sc);
  case '[':
    skip_class(sc);
    return A_OTHER;
  case '(':
    if (peek(sc, 1) == '?' && peek(sc, 2) == '#') {
      skip_to(sc, ')');
      return A_ZERO;
    }
    if (peek(sc, 1) == '?') {
      /* "(?i)" style option setting at top level changes the rest */
      size_t k = sc->i + 2;
      while (k < sc->n && (is_alpha(sc->p[k]) || sc->p[k] == '-' || sc->p[k] == '^'))
        k++;
      if (k < sc->n && sc->p[k] == ')')
        return A_STOP;
    }
    skip_group(sc);
    return A_OTHER;
  case ')':
    return A_STOP; /* unbalanced: a compile error anyway */
  case '|':
    return A_ALT;
  case '.':
    sc->i++;
    return A_OTHER;
  case '^': case '$':
    sc->i++;
    return A_ZERO;
  case '*': case '+': case '?': {
    unsigned long m;
    (void)quantifier(sc, &m);
    return A_QUANT;
  }
  case '{': {
    unsigned long m;
    if (quantifier(sc, &m))
      return A_QUANT;
    break;
  }
  default:
    break;
  }
  sc->lit = (uint8_t)c;
  sc->i++;
  return A_LIT;
}

static void end_run(struct scan *sc)
{
  if (sc->blen > sc->cur_start) {
    sc->runs[sc->n_runs].start = sc->cur_start;
    sc->runs[sc->n_runs].len = sc->blen - sc->cur_start;
    sc->n_runs++;
  }
  sc->cur_start = sc->blen;
}

static int run_len_desc(const void *a, const void *b)
{
  const struct run *x = a, *y = b;
  if (x->len != y->len)
    return x->len < y->len ? 1 : -1;
  return (x->start > y->start) - (x->start < y->start);
}

static void add_gram(struct svp_lit *out, uint16_t h)
{
  for (unsigned k = 0; k < out->n_grams; k++)
    if (out->gram[k] == h)
      return;
  if (out->n_grams < SVP_LIT_GRAMS)
    out->gram[out->n_grams++] = h;
}

/* Pick grams from the runs (longest first), about one per 4 bytes. */
static void pick_grams(const struct scan *sc, struct run *runs, size_t n,
                       struct svp_lit *out)
{
  qsort(runs, n, sizeof *runs, run_len_desc);
  for (size_t r = 0; r < n && out->n_grams < SVP_LIT_GRAMS; r++) {
    if (runs[r].len < 4)
      break;
    size_t windows = runs[r].len - 3;
    size_t want = (runs[r].len + 3) / 4;
    size_t room = SVP_LIT_GRAMS - out->n_grams;
    if (want > room)
      want = room;
    for (size_t k = 0; k < want; k++) {
      size_t at = want == 1 ? 0 : k * (windows - 1) / (want - 1);
      add_gram(out, svp_gram_hash(sc->buf + runs[r].start + at));
    }
  }
}

void svp_lit_extract(const char *pattern, bool caseless, struct svp_lit *out)
{
  memset(out, 0, sizeof *out);
  size_t n = strlen(pattern);
  /* Verbs such as (*ACCEPT) or (*CR) can end a match early or change
   * what the rest means: say nothing about such patterns. */
  if (strstr(pattern, "(*"))
    return;
  struct scan sc = {.p = pattern, .n = n};
  sc.buf = malloc(n + 1);
  sc.runs = malloc((n + 1) * sizeof *sc.runs);
  if (!sc.buf || !sc.runs)
    goto done;

  bool anchored = false;
  if (n && pattern[0] == '^') {
    anchored = true;
    sc.i = 1;
  } else if (n > 1 && pattern[0] == '\\' && pattern[1] == 'A') {
    anchored = true;
    sc.i = 2;
  }
  /* The prefix is run 0 if the pattern is anchored and a literal comes
   * first; remember whether anything broke the run before it. */
  bool first_is_prefix = anchored;
  for (;;) {
    size_t before = sc.i;
    enum atom a = next_atom(&sc);
    if (a == A_END)
      break;
    if (a == A_ALT || a == A_STOP)
      goto done; /* out stays empty: nothing known */
    if (a == A_NOP)
      continue;
    if (a == A_LIT) {
      uint8_t b = sc.lit;
      unsigned long min;
      /* "\E" and empty "\Q\E" are ignored: a quantifier after them
       * still applies to this byte */
      for (;;) {
        if (peek(&sc, 0) == '\\' && peek(&sc, 1) == 'E') {
          sc.i += 2;
          sc.in_quote = false;
        } else if (!sc.in_quote && peek(&sc, 0) == '\\' && peek(&sc, 1) == 'Q' &&
                   peek(&sc, 2) == '\\' && peek(&sc, 3) == 'E') {
          sc.i += 4;
        } else {
          break;
        }
      }
      if (sc.in_quote || !quantifier(&sc, &min)) {
        sc.buf[sc.blen++] = b;
        continue;
      }
      if (min > 0)
        sc.buf[sc.blen++] = b;
    }
    if (sc.n_runs == 0 && sc.blen == 0)
      first_is_prefix = false; /* something non-literal came first */
    end_run(&sc);
    if (a != A_LIT && a != A_QUANT) {
      unsigned long min;
      (void)quantifier(&sc, &min); /* a quantified group or class */
    }
    if (sc.i == before)
      sc.i++; /* cannot happen; guards against a stuck loop */
  }
  end_run(&sc);

  out->anchored = anchored;
  out->caseless = caseless;
  struct run *rest = sc.runs;
  size_t n_rest = sc.n_runs;
  if (first_is_prefix && sc.n_runs > 0 && sc.runs[0].start == 0) {
    size_t len = sc.runs[0].len;
    if (len > SVP_LIT_PREFIX_MAX)
      len = SVP_LIT_PREFIX_MAX;
    memcpy(out->prefix, sc.buf, len);
    out->prefix_len = (uint8_t)len;
    /* the part beyond the stored prefix still counts as a run */
    sc.runs[0].start += len;
    sc.runs[0].len -= len;
  }
  if (!caseless)
    pick_grams(&sc, rest, n_rest, out);
done:
  free(sc.buf);
  free(sc.runs);
}

static uint8_t lower(uint8_t c)
{
  return (c >= 'A' && c <= 'Z') ? (uint8_t)(c | 0x20) : c;
}

bool svp_lit_prefix_ok(const struct svp_lit *lit, const uint8_t *s, size_t len)
{
  if (len < lit->prefix_len)
    return false;
  if (!lit->caseless)
    return memcmp(s, lit->prefix, lit->prefix_len) == 0;
  for (size_t k = 0; k < lit->prefix_len; k++)
    if (lower(s[k]) != lower(lit->prefix[k]))
      return false;
  return true;
}
