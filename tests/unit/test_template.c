/* test_template.c: version template expansion: $1..$9, $P, $SUBST, $I
 * (both byte orders), groups the match did not report or did not set, the
 * CPE transformation, trailing strip, NUL cut, non-printables and marked
 * truncation at nmap's field sizes. */
#include "svp/rules/template.h"
#include "tap.h"

#include <string.h>

/* A fake match: subject "s" with groups given as (start, end) pairs;
 * n_pairs as PCRE2 would report (1 + highest set group). */
struct fake {
  const char *subject;
  size_t len;
  size_t ovec[20];
  unsigned n_pairs;
};

static struct svp_groups groups_of(const struct fake *f)
{
  struct svp_groups g = {
    .subject = (const uint8_t *)f->subject,
    .subject_len = f->len,
    .ovec = f->ovec,
    .n_pairs = f->n_pairs,
  };
  return g;
}

/* subject "Ver 1.0 (x)|a_b_c|W\0O\0R\0K|\x01\x02|ab\0cd|AbC" */
static const char subj[] = "Ver 1.0 (x)|a_b_c|W\0O\0R\0K|\x01\x02|ab\0cd|AbC";
static const struct fake base = {
  .subject = subj,
  .len = sizeof subj - 1,
  .ovec = {0, 38,                 /* whole */
           0, 11,                 /* 1: "Ver 1.0 (x)" */
           12, 17,                /* 2: "a_b_c" */
           18, 25,                /* 3: "W\0O\0R\0K" */
           26, 28,                /* 4: "\x01\x02" */
           29, 34,                /* 5: "ab\0cd" */
           SVP_UNSET, SVP_UNSET,  /* 6: did not take part */
           35, 38},               /* 7: "AbC" */
  .n_pairs = 8,
};

static const struct tcase {
  const char *tmpl;
  bool cpe;
  int rc;
  const char *want;
} cases[] = {
  {"plain text", false, SVP_OK, "plain text"},
  {"$1", false, SVP_OK, "Ver 1.0 (x)"},
  {"v$2-$7", false, SVP_OK, "va_b_c-AbC"},
  {"$10", false, SVP_OK, "Ver 1.0 (x)0"},           /* one digit only */
  {"[$6]", false, SVP_OK, "[]"},                     /* unset group: empty */
  {"$8", false, SVP_ERR_ARG, ""},                    /* >= n_pairs: field emptied */
  {"x $0", false, SVP_ERR_ARG, ""},
  {"$P(3)", false, SVP_OK, "WORK"},
  {"$P(1)", false, SVP_OK, "Ver 1.0 (x)"},
  {"$P(3", false, SVP_ERR_PARSE, ""},
  {"$P(\"3\")", false, SVP_ERR_PARSE, ""},           /* wrong argument type */
  {"$P(3,4)", false, SVP_ERR_PARSE, ""},
  {"$P()", false, SVP_ERR_PARSE, ""},
  {"$SUBST(2,\"_\",\".\")", false, SVP_OK, "a.b.c"},
  {"$SUBST( 2 , \"_b_\" , \"-\" )", false, SVP_OK, "a-c"},
  {"$SUBST(5,\"\\0\",\"+\")", false, SVP_OK, "ab+cd"},
  {"$SUBST(2,\"\",\"x\")", false, SVP_ERR_ARG, ""},  /* empty find string */
  {"$SUBST(2,\"_\")", false, SVP_ERR_PARSE, ""},
  {"$SUBST(2,\"\\q\",\"x\")", false, SVP_ERR_PARSE, ""}, /* bad escape */
  {"$I(4,\">\")", false, SVP_OK, "258"},
  {"$I(4,\"<\")", false, SVP_OK, "513"},
  {"$I(7,\">\")", false, SVP_OK, "4284995"},       /* 0x416243 */
  {"$I(4,\"=\")", false, SVP_ERR_ARG, ""},
  {"$I(1,\">\")", false, SVP_ERR_ARG, ""},           /* 11 bytes > 8 */
  {"$I(6,\"<\")", false, SVP_OK, "0"},               /* unset: no bytes */
  {"$I(0x4,\">\")", false, SVP_OK, "258"},           /* strtol base 0 */
  {"$Q(1)", false, SVP_ERR_PARSE, ""},               /* unknown helper */
  {"cost $", false, SVP_ERR_PARSE, ""},
  {"$ 1", false, SVP_ERR_PARSE, ""},
  {"$5 x", false, SVP_OK, "ab x"},                   /* value ends at its NUL */
  {"  a ,, \t", false, SVP_OK, "  a"},               /* trailing space/commas */
  {"$2,", false, SVP_OK, "a_b_c"},
  {"a:Vendor:prod:$1", true, SVP_OK, "a:Vendor:prod:ver_1.0_%28x%29"},
  {"a:x:$7", true, SVP_OK, "a:x:abc"},
  {"a:x:$SUBST(2,\"_\",\":\")", true, SVP_OK, "a:x:a%3Ab%3Ac"},
};

static void test_expand(void)
{
  struct svp_groups g = groups_of(&base);
  for (size_t i = 0; i < SVP_ARRAY_LEN(cases); i++) {
    char out[SVP_INFO_LEN];
    bool cut = true;
    int rc = svp_tmpl_expand(cases[i].tmpl, &g, cases[i].cpe, out, sizeof out, &cut);
    tap_note("template: %s", cases[i].tmpl);
    CHECK_INT(rc, cases[i].rc);
    CHECK_STR(out, cases[i].want);
    CHECK(!cut);
  }
}

static void test_truncation(void)
{
  static char longsubj[600];
  memset(longsubj, 'x', sizeof longsubj - 1);
  struct fake f = {.subject = longsubj, .len = sizeof longsubj - 1,
                   .ovec = {0, 599, 0, 599}, .n_pairs = 2};
  struct svp_groups g = groups_of(&f);
  char out[SVP_FIELD_LEN];
  bool cut = false;
  CHECK_INT(svp_tmpl_expand("v$1", &g, false, out, sizeof out, &cut), SVP_OK);
  CHECK(cut);
  CHECK_INT(strlen(out), SVP_FIELD_LEN - 1);
  CHECK(out[0] == 'v' && out[1] == 'x');
  /* exactly fitting is not truncation */
  f.ovec[3] = SVP_FIELD_LEN - 1;
  CHECK_INT(svp_tmpl_expand("$1", &g, false, out, sizeof out, &cut), SVP_OK);
  CHECK(!cut);
  CHECK_INT(strlen(out), SVP_FIELD_LEN - 1);
  f.ovec[3] = SVP_FIELD_LEN;
  CHECK_INT(svp_tmpl_expand("$1", &g, false, out, sizeof out, &cut), SVP_OK);
  CHECK(cut);

  /* svp_fields_fill marks each field it had to cut */
  const char *cpes[] = {"a:v:p:$1", "o:linux:linux_kernel"};
  struct svp_rule r = {.tmpl = {[SVP_F_PRODUCT] = "short", [SVP_F_INFO] = "$1",
                                [SVP_F_OSTYPE] = "$1"},
                       .cpe = cpes, .n_cpe = 2};
  f.ovec[3] = 599;
  struct svp_fields fl;
  svp_fields_fill(&fl, &r, &g);
  CHECK_STR(fl.product, "short");
  CHECK_INT(strlen(fl.info), SVP_INFO_LEN - 1);
  CHECK_INT(strlen(fl.ostype), SVP_TYPE_LEN - 1);
  CHECK_INT(strlen(fl.cpe[SVP_CPE_A]), SVP_FIELD_LEN - 1);
  CHECK(strncmp(fl.cpe[SVP_CPE_A], "cpe:/a:v:p:xxx", 14) == 0);
  CHECK_STR(fl.cpe[SVP_CPE_O], "cpe:/o:linux:linux_kernel");
  CHECK_INT(fl.truncated, (1u << SVP_F_INFO) | (1u << SVP_F_OSTYPE) |
                              (1u << (SVP_F_COUNT + SVP_CPE_A)));
}

static void test_fields_fill(void)
{
  struct svp_groups g = groups_of(&base);
  const char *cpes[] = {"a:first:$7", "o:linux:linux_kernel/", "a:second:$SUBST(2,\"_\",\".\")",
                        "h:cisco:$1", "x:ignored"};
  struct svp_rule r = {
    .tmpl = {[SVP_F_PRODUCT] = "Prod $4", [SVP_F_VERSION] = "$1",
             [SVP_F_INFO] = "bad $9", [SVP_F_HOSTNAME] = "$P(3)",
             [SVP_F_OSTYPE] = "Linux", [SVP_F_DEVTYPE] = "router"},
    .cpe = cpes,
    .n_cpe = 5,
  };
  struct svp_fields f;
  memset(&f, 0x5a, sizeof f);
  svp_fields_fill(&f, &r, &g);
  CHECK_STR(f.product, "Prod .."); /* \x01\x02 -> '.' */
  CHECK_STR(f.version, "Ver 1.0 (x)");
  CHECK_STR(f.info, "");            /* $9 not reported: whole field empty */
  CHECK_STR(f.hostname, "WORK");
  CHECK_STR(f.ostype, "Linux");
  CHECK_STR(f.devtype, "router");
  CHECK_STR(f.cpe[SVP_CPE_A], "cpe:/a:second:a.b.c"); /* last of a part wins */
  CHECK_STR(f.cpe[SVP_CPE_H], "cpe:/h:cisco:ver_1.0_%28x%29");
  CHECK_STR(f.cpe[SVP_CPE_O], "cpe:/o:linux:linux_kernel/");
  CHECK_INT(f.truncated, 0);
  CHECK_STR(svp_fields_get(&f, SVP_F_HOSTNAME), "WORK");
  CHECK_STR(svp_fields_get(&f, SVP_F_DEVTYPE), "router");
  CHECK_STR(svp_fields_get(&f, SVP_F_COUNT), "");

  /* no templates at all: everything empty */
  struct svp_rule none = {0};
  svp_fields_fill(&f, &none, &g);
  CHECK_STR(f.product, "");
  CHECK_STR(f.cpe[SVP_CPE_A], "");
}

int main(void)
{
  test_expand();
  test_truncation();
  test_fields_fill();
  return tap_done();
}
