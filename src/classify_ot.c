/* classify_ot.c: request shapes of industrial protocols (see classify.h).
 * Entries are added with the rules in rules/ that they select. */
#include "svp/classify.h"

const struct svp_reqclass svp_reqclass_ot[] = {
  {.name = NULL},
};
