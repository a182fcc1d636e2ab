/* test_services.c: the nmap-services port table: Debian's real file, and
 * bad lines reported with file:line and skipped. */
#include "svp/rules/services.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct msgs {
  char text[16][256];
  unsigned n;
};

static void collect(void *ud, enum svp_sev sev, const char *msg)
{
  struct msgs *m = ud;
  (void)sev;
  if (m->n < 16)
    snprintf(m->text[m->n++], sizeof m->text[0], "%s", msg);
}

static bool has_msg(const struct msgs *m, const char *prefix)
{
  for (unsigned i = 0; i < m->n; i++)
    if (strncmp(m->text[i], prefix, strlen(prefix)) == 0)
      return true;
  return false;
}

/* Count tcp and udp entry lines of the real file independently (awk-like). */
static unsigned count_lines(const char *path, unsigned *sctp)
{
  FILE *f = fopen(path, "r");
  char line[4096], name[128], proto[16];
  unsigned port, n = 0;
  *sctp = 0;
  if (!f)
    return 0;
  while (fgets(line, sizeof line, f))
    if (line[0] != '#' && sscanf(line, "%127s %u/%15s", name, &port, proto) == 3) {
      if (strcmp(proto, "tcp") == 0 || strcmp(proto, "udp") == 0)
        n++;
      else if (strcmp(proto, "sctp") == 0)
        (*sctp)++;
    }
  fclose(f);
  return n;
}

static void check_debian_file(void)
{
  const char *path = "/usr/share/nmap/nmap-services";
  struct msgs m = {0};
  struct svp_diag diag = {.emit = collect, .ud = &m};
  struct svp_services *s = NULL;
  int rc = svp_services_load(path, &diag, &s);
  CHECK_INT(rc, SVP_OK);
  if (rc != SVP_OK)
    return;
  unsigned sctp, want = count_lines(path, &sctp);
  const struct svp_services_stats *st = svp_services_stats(s);
  tap_note("%s: %u lines, %u entries, %u sctp, %u duplicates", path, st->lines,
           st->entries, st->skipped, st->duplicates);
  CHECK_INT(st->errors, 0);
  CHECK_INT(diag.n_warn + diag.n_error, 0);
  CHECK_INT(st->entries + st->duplicates, want);
  CHECK_INT(st->skipped, sctp);
  CHECK(st->entries > 20000);
  /* the names nmap printed in tests/output/nmap-ref for these ports */
  CHECK_STR(svp_services_name(s, SVP_L4_TCP, 22), "ssh");
  CHECK_STR(svp_services_name(s, SVP_L4_TCP, 3000), "ppp");
  CHECK_STR(svp_services_name(s, SVP_L4_TCP, 8081), "blackice-icecap");
  CHECK_STR(svp_services_name(s, SVP_L4_UDP, 161), "snmp");
  CHECK_STR(svp_services_name(s, SVP_L4_TCP, 502), "mbap");
  CHECK_STR(svp_services_name(s, SVP_L4_UDP, 3000), "hbci");
  CHECK_STR(svp_services_name(s, SVP_L4_TCP, 4), "unknown");
  CHECK_STR(svp_services_name(s, SVP_L4_TCP, 1), "tcpmux");
  CHECK(svp_services_name(s, SVP_L4_TCP, 40090) == NULL);
  CHECK(svp_services_name(s, SVP_L4_TCP, 40092) == NULL);
  svp_services_free(s);
}

static void check_bad_lines(void)
{
  static const char text[] =
      "# comment line\n"
      "\n"
      "good\t10/tcp\t0.5\t# fine\n"
      "noport\n"                           /* 4: too few fields */
      "big\t70000/tcp\t0.1\n"              /* 5: port out of range */
      "proto\t11/icmp\t0.1\n"              /* 6: unknown protocol */
      "freq\t12/tcp\tlots\n"               /* 7: bad frequency */
      "sctpsvc\t13/sctp\t0.1\n"            /* 8: skipped silently */
      "low\t14/udp\t0.001\n"
      "high\t14/udp\t0.9\n"                /* 10: higher frequency wins */
      "first\t15/tcp\t0.2\n"
      "second\t15/tcp\t0.2\n"              /* 12: tie: first wins */
      "bin\x01name\t16/tcp\t0.1\n"         /* 13: non-printable */
      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\t17/tcp\n" /* 14: too long */
      "crlf\t18/tcp\t0.3\r\n"
      "nofreq 19/udp\n"
      "slash\t/tcp\n"                      /* 17: no port */
      "last\t20/tcp\t0.1";                 /* no final newline */
  struct msgs m = {0};
  struct svp_diag diag = {.emit = collect, .ud = &m};
  struct svp_services *s = NULL;
  CHECK_INT(svp_services_load_buf("t.services", text, sizeof text - 1, &diag, &s), SVP_OK);
  if (!s)
    return;
  const struct svp_services_stats *st = svp_services_stats(s);
  CHECK_INT(st->lines, 18);
  CHECK_INT(st->errors, 7);
  CHECK_INT(st->skipped, 1);
  CHECK_INT(st->duplicates, 2);
  CHECK_INT(diag.n_warn, 7);
  CHECK(has_msg(&m, "t.services:4: "));
  CHECK(has_msg(&m, "t.services:5: '70000/tcp' is not port/protocol"));
  CHECK(has_msg(&m, "t.services:6: unknown protocol 'icmp'"));
  CHECK(has_msg(&m, "t.services:7: 'lots' is not a frequency"));
  CHECK(has_msg(&m, "t.services:13: service name has a non-printable byte 0x01"));
  CHECK(has_msg(&m, "t.services:14: service name longer than"));
  CHECK(has_msg(&m, "t.services:17: "));
  CHECK_STR(svp_services_name(s, SVP_L4_TCP, 10), "good");
  CHECK(svp_services_name(s, SVP_L4_UDP, 10) == NULL);
  CHECK(svp_services_name(s, SVP_L4_TCP, 13) == NULL);
  CHECK_STR(svp_services_name(s, SVP_L4_UDP, 14), "high");
  CHECK_STR(svp_services_name(s, SVP_L4_TCP, 15), "first");
  CHECK_STR(svp_services_name(s, SVP_L4_TCP, 18), "crlf");
  CHECK_STR(svp_services_name(s, SVP_L4_UDP, 19), "nofreq");
  CHECK_STR(svp_services_name(s, SVP_L4_TCP, 20), "last");
  CHECK(svp_services_name(s, SVP_L4_TCP, 11) == NULL);
  svp_services_free(s);

  /* empty input and a missing file */
  CHECK_INT(svp_services_load_buf("empty", "", 0, NULL, &s), SVP_OK);
  CHECK(s && svp_services_name(s, SVP_L4_TCP, 22) == NULL);
  svp_services_free(s);
  CHECK(svp_services_name(NULL, SVP_L4_TCP, 22) == NULL);
  m.n = 0;
  CHECK_INT(svp_services_load("/nonexistent/nmap-services", &diag, &s), SVP_ERR_IO);
  CHECK(s == NULL);
  CHECK(has_msg(&m, "/nonexistent/nmap-services: cannot open"));
}

int main(void)
{
  check_debian_file();
  check_bad_lines();
  return tap_done();
}
