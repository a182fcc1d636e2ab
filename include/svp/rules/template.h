/* template.h: nmap's version templates (p/ v/ i/ h/ o/ d/ cpe:) expanded
 * against a regex match.
 *
 * Field sizes are nmap's (its buffers, NUL included). A value that does not
 * fit is cut at the limit and its bit is set in `truncated`, so writers can
 * show that it was cut; nothing overflows silently. */
#ifndef SVP_TEMPLATE_H
#define SVP_TEMPLATE_H

#include "svp/base/common.h"
#include "svp/rules/rules.h"

#define SVP_FIELD_LEN 80   /* product, version, hostname, each cpe */
#define SVP_INFO_LEN 256   /* extrainfo */
#define SVP_TYPE_LEN 32    /* ostype, devicetype */

enum svp_cpe_part { SVP_CPE_A = 0, SVP_CPE_H, SVP_CPE_O, SVP_CPE_COUNT };

/* Marker for a capture group that did not take part (PCRE2_UNSET). */
#define SVP_UNSET (~(size_t)0)

/* Expanded values of one match. Empty string = not set. */
struct svp_fields {
  char product[SVP_FIELD_LEN];
  char version[SVP_FIELD_LEN];
  char info[SVP_INFO_LEN];
  char hostname[SVP_FIELD_LEN];
  char ostype[SVP_TYPE_LEN];
  char devtype[SVP_TYPE_LEN];
  char cpe[SVP_CPE_COUNT][SVP_FIELD_LEN]; /* "cpe:/a:..." etc, last one of each part */
  /* bit (1u << enum svp_field) for the six fields,
   * bit (1u << (SVP_F_COUNT + enum svp_cpe_part)) for the CPEs */
  uint16_t truncated;
};

/* The capture groups of a match: ovec[2*i], ovec[2*i+1] are the start and
 * end of group i (group 0 = whole match); SVP_UNSET if the group did not
 * take part. n_pairs counts group 0. Borrowed for the call only. */
struct svp_groups {
  const uint8_t *subject;
  size_t subject_len;
  const size_t *ovec;
  unsigned n_pairs;
};

/* Expand one template text into out (NUL-terminated, at most outsz-1
 * bytes). cpe selects the CPE transformation of substituted text. Each
 * substituted value ends at its first NUL byte; trailing spaces and commas
 * are stripped. Sets *truncated if the value was cut. Returns SVP_OK;
 * SVP_ERR_PARSE for a malformed or unknown $helper() call; SVP_ERR_ARG for
 * a group the match did not report (n outside 1..9 or >= g->n_pairs), an
 * empty $SUBST find string or a bad $I argument. On an error out is "", as
 * nmap empties the field. A group that did not take part (SVP_UNSET) but
 * is below n_pairs is empty text. */
int svp_tmpl_expand(const char *tmpl, const struct svp_groups *g, bool cpe,
                    char *out, size_t outsz, bool *truncated);

/* Expand all templates of a rule into f (cleared first), applying nmap's
 * post-processing: trailing space/comma stripped, non-printables -> '.',
 * "cpe:/" prefix, one CPE per part (last wins). */
void svp_fields_fill(struct svp_fields *f, const struct svp_rule *r,
                     const struct svp_groups *g);

/* Text for a field (points into f). */
const char *svp_fields_get(const struct svp_fields *f, enum svp_field which);

#endif
