/* fuzz_template.c: template text + subject -> template expansion.
 *
 * Input: the template text, a NUL byte, then the subject. The subject is
 * cut at '|' bytes into at most 9 capture groups (a segment "~" stands for
 * a group that did not take part); group 0 is the whole subject. The
 * template is expanded for every field size nmap uses, plain and as a
 * CPE, and through svp_fields_fill; the output must always be
 * NUL-terminated inside its buffer and no longer than it. */
#include "svp/rules/template.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void expand_all(const char *tmpl, const struct svp_groups *g)
{
  static const size_t sizes[] = {1, 2, 3, 6, SVP_TYPE_LEN, SVP_FIELD_LEN, SVP_INFO_LEN};
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
    for (int cpe = 0; cpe < 2; cpe++) {
      char out[SVP_INFO_LEN + 1];
      memset(out, 0x7f, sizeof out);
      bool cut = false;
      int rc = svp_tmpl_expand(tmpl, g, cpe, out, sizes[i], &cut);
      if (out[sizes[i]] != 0x7f) /* wrote past the size given */
        abort();
      if (memchr(out, '\0', sizes[i]) == NULL)
        abort();
      if (rc != SVP_OK && (out[0] != '\0' || cut))
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const uint8_t *nul = memchr(data, '\0', size);
  if (!nul || size > 16384)
    return 0;
  size_t tlen = (size_t)(nul - data);
  char *tmpl = malloc(tlen + 1);
  if (!tmpl)
    return 0;
  memcpy(tmpl, data, tlen);
  tmpl[tlen] = '\0';
  const uint8_t *subj = nul + 1;
  size_t slen = size - tlen - 1;

  size_t ovec[20];
  unsigned pairs = 1;
  ovec[0] = 0;
  ovec[1] = slen;
  size_t start = 0;
  for (size_t i = 0; i <= slen && pairs < 10; i++) {
    if (i < slen && subj[i] != '|')
      continue;
    bool unset = i - start == 1 && subj[start] == '~';
    ovec[2 * pairs] = unset ? SVP_UNSET : start;
    ovec[2 * pairs + 1] = unset ? SVP_UNSET : i;
    pairs++;
    start = i + 1;
  }
  struct svp_groups g = {.subject = subj, .subject_len = slen, .ovec = ovec, .n_pairs = pairs};
  expand_all(tmpl, &g);

  const char *cpes[] = {tmpl, "a:vendor:product:$1", tmpl};
  struct svp_rule r = {.cpe = cpes, .n_cpe = 3};
  for (int f = 0; f < SVP_F_COUNT; f++)
    r.tmpl[f] = tmpl;
  struct svp_fields fl;
  svp_fields_fill(&fl, &r, &g);
  for (int f = 0; f < SVP_F_COUNT; f++) {
    const char *s = svp_fields_get(&fl, (enum svp_field)f);
    for (; *s; s++)
      if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
        abort(); /* stored values are printable */
  }
  free(tmpl);
  return 0;
}
