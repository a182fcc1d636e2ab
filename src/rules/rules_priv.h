/* rules_priv.h: the ruleset's internals, shared by the files of the rule
 * loader only (rules.c: storage and accessors, rules_parse.c: the line
 * parser, rules_compile.c: compile, ordering, fallbacks). Nothing outside
 * them may include this. */
#ifndef SVP_RULES_PRIV_H
#define SVP_RULES_PRIV_H

#include <stddef.h>

#include "rules_int.h"
#include "rules_lex.h"

struct svp_arena_chunk {
  struct svp_arena_chunk *next;
  size_t used, cap;
  max_align_t data[];
};

/* Every string and struct of a ruleset, freed at once. */
struct svp_arena {
  struct svp_arena_chunk *head;
};

/* A growable array of pointers (heap). */
struct svp_ptrvec {
  void **v;
  size_t n, cap;
};

/* Zeroed memory from the arena (NULL when out of memory). */
void *svp_arena_alloc(struct svp_arena *a, size_t n);
char *svp_arena_strndup(struct svp_arena *a, const char *s, size_t n);
int svp_ptrvec_push(struct svp_ptrvec *pv, void *p);

/* A match/softmatch line: the public part first, then the loader's. */
struct rs_rule {
  struct svp_rule pub;
  unsigned seq;                 /* load sequence number */
  bool dropped;                 /* regex did not compile */
  struct svp_rule_rt rt;        /* pub.priv points here once compiled */
  struct rs_rule *next_in_probe;
};

/* A probe: the public part first, then what is only needed to build it. */
struct rs_probe {
  struct svp_probe pub;
  struct svp_rangevec ports, sslports; /* as parsed; copied to pub at compile */
  struct rs_rule *first, *last; /* lines in load order */
  size_t n_lines;
  const char **fallback;        /* names (arena), NULL if no fallback line */
  size_t n_fallback;
  const char *fb_file;
  unsigned fb_line;
};

struct svp_ruleset {
  struct svp_arena arena;
  struct svp_ptrvec probes;         /* struct rs_probe *, file order */
  struct svp_ptrvec rules;          /* struct rs_rule *, load order */
  struct svp_ptrvec files;          /* struct svp_rules_file * */
  const struct svp_rule **compiled; /* compiled rules, load order (ids) */
  size_t n_compiled;
  struct svp_rangevec excl_tcp, excl_udp; /* Exclude sets */
  struct svp_rules_stats stats;
  uint32_t max_captures;            /* highest capture count of a rule */
  unsigned seq;                     /* next rule sequence number */
  bool is_compiled;                 /* read-only from now on */
};

/* The probe named name (len bytes) with protocol l4, or NULL. */
struct rs_probe *svp_rs_find_probe(struct svp_ruleset *rs, enum svp_l4 l4, const char *name,
                                   size_t len);
/* A new entry of the file list (NULL when out of memory). */
struct svp_rules_file *svp_rs_add_file(struct svp_ruleset *rs, const char *name, unsigned layer);
/* The file list entry whose path pointer is path, or NULL. */
struct svp_rules_file *svp_rs_file_of(struct svp_ruleset *rs, const char *path);
/* Monotonic clock in milliseconds. */
double svp_rs_now_ms(void);

#endif
