/* test_out_normal.c: the nmap-like text writer. For ports nmap 7.93
 * scanned (tests/output/nmap-ref), the PORT table and the Service Info
 * line must be the ones nmap printed; then the edge cases (-v evidence,
 * limits, several hosts, IPv6, UDP, history, fixed times). */
#include "nmapref.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The PORT header and port rows of a normal output (other lines out). */
static char *table_of(const char *text)
{
  size_t n = strlen(text);
  char *out = malloc(n + 1), *w = out;
  if (!out)
    return NULL;
  for (const char *p = text; *p;) {
    const char *nl = strchr(p, '\n');
    size_t len = nl ? (size_t)(nl - p + 1) : strlen(p);
    const char *slash = memchr(p, '/', len);
    bool row = isdigit((unsigned char)p[0]) && slash &&
               (strncmp(slash, "/tcp ", 5) == 0 || strncmp(slash, "/udp ", 5) == 0);
    if (strncmp(p, "PORT ", 5) == 0 || row) {
      memcpy(w, p, len);
      w += len;
    }
    p += len;
  }
  *w = '\0';
  return out;
}

/* The first line starting with prefix, without its newline ("" if none). */
static void line_of(const char *text, const char *prefix, char *out, size_t n)
{
  out[0] = '\0';
  for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p)
    if (strncmp(p, prefix, strlen(prefix)) == 0) {
      size_t len = strcspn(p, "\n");
      snprintf(out, n, "%.*s", (int)len, p);
      return;
    }
}

static size_t count(const char *text, const char *needle)
{
  size_t n = 0;
  for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle))
    n++;
  return n;
}

static void check_ref(const char *name)
{
  struct ref_set set;
  char *nmap = ref_file(name, "nmap");
  bool ok = ref_load(name, &set) && nmap;
  CHECK(ok);
  if (!ok) {
    ref_free(&set);
    free(nmap);
    return;
  }
  struct svp_run_info run = {.intensity = 7};
  int rc = -1;
  char *ours = ref_render(&svp_writer_normal, set.sorted, set.n, &run, &rc);
  CHECK_INT(rc, SVP_OK);
  char *ta = table_of(ours), *tb = table_of(nmap);
  tap_note("%s: %zu ports", name, set.n);
  CHECK_STR(ta, tb);
  char la[512], lb[512];
  line_of(ours, "Service Info:", la, sizeof la);
  line_of(nmap, "Service Info:", lb, sizeof lb);
  CHECK_STR(la, lb);
  /* the fingerprint announcement: same count and wording start */
  line_of(nmap, "", lb, sizeof lb);
  size_t fps = 0;
  for (size_t i = 0; i < set.n; i++)
    fps += set.rp[i].servicefp[0] != '\0';
  char want[128];
  snprintf(want, sizeof want, "%zu service%s unrecognized despite returning data.", fps,
           fps > 1 ? "s" : "");
  CHECK_INT(count(ours, want), fps ? 1 : 0);
  CHECK_INT(count(nmap, want), fps ? 1 : 0);
  CHECK_INT(count(ours, "SF-Port"), fps);
  CHECK_INT(count(ours, "NEXT SERVICE FINGERPRINT"), count(nmap, "NEXT SERVICE FINGERPRINT"));
  CHECK_INT(count(ours, "svpassive report for "), 1);
  free(ta);
  free(tb);
  free(ours);
  free(nmap);
  ref_free(&set);
}

/* Several real hosts in one report, IPv4 before IPv6, each its own table. */
static void check_several_hosts(void)
{
  static const char *const names[] = {"services", "guesses-udp", "ipv6"};
  struct ref_set set[3];
  const struct svp_endpoint *all[48];
  size_t n = 0;
  char *nmap_tables = calloc(1, 8192);
  for (int i = 0; i < 3; i++) {
    CHECK(ref_load(names[i], &set[i]));
    for (size_t k = 0; k < set[i].n; k++)
      all[n++] = set[i].sorted[k];
    char *t = ref_file(names[i], "nmap"), *tb = t ? table_of(t) : NULL;
    if (tb)
      strcat(nmap_tables, tb);
    free(t);
    free(tb);
  }
  struct svp_run_info run = {.intensity = 7};
  char *ours = ref_render(&svp_writer_normal, all, n, &run, NULL);
  char *ta = table_of(ours);
  CHECK_STR(ta, nmap_tables);
  const char *h1 = strstr(ours, "svpassive report for 127.0.30.1\n");
  const char *h2 = strstr(ours, "svpassive report for 127.0.30.2\n");
  const char *h3 = strstr(ours, "svpassive report for ::1\n");
  CHECK(h1 && h2 && h3 && h1 < h2 && h2 < h3);
  CHECK_INT(count(ours, "Service Info: OS: Linux; CPE: cpe:/o:linux:linux_kernel\n"), 2);
  free(ta);
  free(ours);
  free(nmap_tables);
  for (int i = 0; i < 3; i++)
    ref_free(&set[i]);
}

static void check_edges(void)
{
  static struct ref_edge e;
  ref_edges(&e);
  setenv("TZ", "UTC", 1);
  tzset();

  /* default verbosity: rows, no evidence */
  char *out = ref_render(&svp_writer_normal, e.sorted, 6, &e.run, NULL);
  CHECK(out && strstr(out, "| evidence") == NULL);
  /* VERSION = 79-char cap fields cut as nmap: product, version, "(i...)" */
  char row[512];
  line_of(out, "502/tcp ", row, sizeof row);
  const char *ver = strstr(row, "Acme");
  CHECK(ver != NULL);
  char want[SVP_FULLVERSION_LEN + 1];
  snprintf(want, sizeof want, "Acme \"PLC\" <x> & ]]> -- 'q' 1.0/beta (%.*s...)",
           (int)(159 - strlen("Acme \"PLC\" <x> & ]]> -- 'q' 1.0/beta (...)")),
           e.ep[0].res.fields.info);
  CHECK_INT(strlen(want), 159);
  CHECK_STR(ver, want);
  CHECK(strncmp(row, "502/tcp   open   modbus ", 24) == 0);
  line_of(out, "40000/tcp", row, sizeof row);
  CHECK_STR(row, "40000/tcp open   unknown");
  line_of(out, "40001/tcp", row, sizeof row);
  CHECK_STR(row, "40001/tcp open   unknown");
  line_of(out, "40002/tcp", row, sizeof row);
  CHECK_STR(row, "40002/tcp closed unknown");
  line_of(out, "161/udp", row, sizeof row);
  CHECK_STR(row, "161/udp   open   snmp?   net-snmp");
  line_of(out, "443/tcp", row, sizeof row);
  CHECK_STR(row, "443/tcp open  ssl/http");
  line_of(out, "Service Info:", row, sizeof row);
  CHECK_STR(row, "Service Info: Host: plc-1; OS: VxWorks; Device: PLC; "
                 "CPE: cpe:/h:acme:plc, cpe:/o:windriver:vxworks");
  /* nmap's order: fingerprints, then Service Info */
  const char *sf = strstr(out, "SF-Port40000-TCP:"), *si = strstr(out, "Service Info:");
  CHECK(sf && si && sf < si);
  /* both unknown-data endpoints of 10.0.0.5 and the IPv6 softmatch */
  CHECK_INT(count(out, "SF-Port40000-TCP:V=svpassive-"), 1);
  CHECK_INT(count(out, "SF-Port443-TCP:V=svpassive-"), 1);
  CHECK_INT(count(out, "--add-rules FILE"), 2);
  CHECK(strstr(out, "# capture: a.pcap, b \"odd\"?name\xff\xc3\xa9.pcap "
                    "(2023-11-14T21:56:40.000000Z to 2023-11-14T22:13:19.000000Z)\n") != NULL);
  CHECK(strstr(out, "Host is up (passive: 13 flows seen from 2023-11-14T21:56:40.500000Z "
                    "to 2023-11-14T22:11:40.000000Z).\n") != NULL);
  CHECK(strstr(out, "# svpassive " SVP_VERSION " run started Tue Nov 14 22:13:20 2023 as: "
                    "svpassive -r a.pcap -r \"b \\\"odd\\\"?name\xff\xc3\xa9.pcap\" "
                    "--rules-dir \"my rules\"\n") == out);
  CHECK(strstr(out, "# svpassive done at Tue Nov 14 22:13:22 2023 -- 6 endpoints on 2 hosts "
                    "(2 identified, 1 softmatched, 2 unknown, 1 closed) from 1234 packets, "
                    "56 flows, 2 dropped in 2.50 seconds\n") != NULL);
  free(out);

  /* -v: evidence under each row, nmap script-output style */
  e.run.verbose = 1;
  out = ref_render(&svp_writer_normal, e.sorted, 6, &e.run, NULL);
  const char *ev = strstr(out, "| evidence: method: banner; match: hard; conf: 10\n"
                               "|   rule /usr/share/nmap/nmap-service-probes:1234, probe NULL\n"
                               "|   cut at nmap's length limits: extrainfo\n"
                               "|   evidence: b \"odd\"?name\xff\xc3\xa9.pcap frame 42 at "
                               "2023-11-14T21:58:20.123456Z, flow 7, client 10.0.0.9:40000, "
                               "mid-stream\n"
                               "|   seen: 2023-11-14T21:56:40.500000Z to 2023-11-14T22:11:40.000000Z; "
                               "12 flows; 3 clients\n"
                               "|   mid-stream: some flows joined mid-conversation\n"
                               "|_  earlier: ftp vsftpd 3.0.3 (banner, rule rules/x <&>.probes:7, "
                               "probe NULL, a.pcap frame 3 at 2023-11-14T21:56:40.500000Z, "
                               "flow 1, client 10.0.0.8:1025)\n");
  CHECK(ev != NULL);
  CHECK(strstr(out, "| evidence: method: table; match: none; conf: 3\n"
                    "|   port table: (no entry)\n"
                    "|   evidence: a.pcap frame 9 at 2023-11-14T22:00:00.000000Z, flow 3, "
                    "client 10.0.0.9:40001\n") != NULL);
  CHECK(strstr(out, "|_  mid-stream: every flow joined mid-conversation; server side "
                    "inferred (no handshake seen)\n") != NULL);
  CHECK(strstr(out, "| evidence: method: port-probe; match: soft; conf: 7\n"
                    "|   no rule, probe GetRequest\n") != NULL);
  /* evidence rows do not widen the table: the 502 row is unchanged */
  line_of(out, "502/tcp ", row, sizeof row);
  CHECK(strncmp(row, "502/tcp   open   modbus ", 24) == 0);
  free(out);
  e.run.verbose = 0;

  /* fixed times for golden files; output is the same twice */
  setenv("SVP_FIXED_TIME", "1", 1);
  char *a = ref_render(&svp_writer_normal, e.sorted, 6, &e.run, NULL);
  char *b = ref_render(&svp_writer_normal, e.sorted, 6, &e.run, NULL);
  CHECK(a && b && strcmp(a, b) == 0);
  CHECK(strstr(a, "run started Thu Jan  1 00:00:00 1970 as:") != NULL);
  CHECK(strstr(a, "# svpassive done at Thu Jan  1 00:00:00 1970 --") != NULL);
  CHECK(strstr(a, "dropped in 0.00 seconds\n") != NULL);
  unsetenv("SVP_FIXED_TIME");
  free(a);
  free(b);

  /* nothing at all */
  out = ref_render(&svp_writer_normal, NULL, 0, NULL, NULL);
  CHECK(out && strstr(out, "No server endpoints seen.\n") != NULL);
  CHECK(strstr(out, "-- 0 endpoints on 0 hosts") != NULL);
  free(out);

  /* many ports on one host: one table, widths from the widest row */
  static struct svp_endpoint many[300];
  static const struct svp_endpoint *mp[300];
  for (int i = 0; i < 300; i++) {
    many[i] = e.ep[2];
    many[i].port = (uint16_t)(1 + i * 200);
    mp[i] = &many[i];
  }
  out = ref_render(&svp_writer_normal, mp, 300, NULL, NULL);
  CHECK_INT(count(out, " open  unknown\n"), 300);
  CHECK(strstr(out, "\nPORT      STATE SERVICE VERSION\n1/tcp     open  unknown\n") != NULL);
  CHECK(strstr(out, "\n59801/tcp open  unknown\n") != NULL);
  free(out);
}

int main(void)
{
  for (int i = 0; ref_names[i]; i++)
    check_ref(ref_names[i]);
  check_several_hosts();
  check_edges();
  return tap_done();
}
