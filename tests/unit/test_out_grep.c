/* test_out_grep.c: the grepable writer. For ports nmap 7.93 scanned
 * (tests/output/nmap-ref) the "Host: ... Status:" and "Host: ... Ports:"
 * lines must be the ones nmap wrote; then '/' -> '|', IPv6, several hosts
 * and the comment lines. */
#include "nmapref.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The lines starting with "Host: " (nmap and svpassive write the same). */
static char *host_lines(const char *text)
{
  char *out = calloc(1, strlen(text) + 1), *w = out;
  for (const char *p = text; out && *p;) {
    size_t len = strcspn(p, "\n");
    if (strncmp(p, "Host: ", 6) == 0) {
      memcpy(w, p, len);
      w += len;
      *w++ = '\n';
    }
    p += len + (p[len] == '\n');
  }
  return out;
}

static void check_ref(const char *name)
{
  struct ref_set set;
  char *nmap = ref_file(name, "gnmap");
  bool ok = ref_load(name, &set) && nmap;
  CHECK(ok);
  if (ok) {
    struct svp_run_info run = {.intensity = 7};
    int rc = -1;
    char *ours = ref_render(&svp_writer_grep, set.sorted, set.n, &run, &rc);
    CHECK_INT(rc, SVP_OK);
    char *a = host_lines(ours), *b = host_lines(nmap);
    tap_note("%s: %zu ports", name, set.n);
    CHECK_STR(a, b);
    CHECK(strncmp(ours, "# svpassive ", 12) == 0);
    CHECK(strstr(ours, "\n# svpassive done at ") != NULL);
    free(a);
    free(b);
    free(ours);
  }
  free(nmap);
  ref_free(&set);
}

static void check_edges(void)
{
  static struct ref_edge e;
  ref_edges(&e);
  setenv("TZ", "UTC", 1);
  tzset();
  setenv("SVP_FIXED_TIME", "1", 1);
  char *out = ref_render(&svp_writer_grep, e.sorted, 6, &e.run, NULL);
  unsetenv("SVP_FIXED_TIME");
  char want[1024];
  snprintf(want, sizeof want,
           "# svpassive %s run started Thu Jan  1 00:00:00 1970 as: svpassive -r a.pcap "
           "-r \"b \\\"odd\\\"?name\xff\xc3\xa9.pcap\" --rules-dir \"my rules\"\n"
           "Host: 10.0.0.5 ()\tStatus: Up\n"
           "Host: 10.0.0.5 ()\tPorts: "
           /* '/' in the version becomes '|'; a 159-byte version */
           "502/open/tcp//modbus//Acme \"PLC\" <x> & ]]> -- 'q' 1.0|beta (%.*s...)/, "
           "40000/open/tcp//unknown///, " /* a fingerprint: "unknown" */
           "40001/open/tcp/////, "        /* nothing known: empty */
           "40002/closed/tcp/////, "
           "161/open/udp//snmp?//net-snmp/\n"
           "Host: 2001:db8::1 ()\tStatus: Up\n"
           "Host: 2001:db8::1 ()\tPorts: 443/open/tcp//ssl|http///\n"
           "# svpassive done at Thu Jan  1 00:00:00 1970 -- 6 endpoints on 2 hosts "
           "(2 identified, 1 softmatched, 2 unknown, 1 closed) from 1234 packets, "
           "56 flows, 2 dropped in 0.00 seconds\n",
           SVP_VERSION, (int)(159 - strlen("Acme \"PLC\" <x> & ]]> -- 'q' 1.0/beta (...)")),
           e.ep[0].res.fields.info);
  CHECK_STR(out, want);
  free(out);

  out = ref_render(&svp_writer_grep, NULL, 0, NULL, NULL);
  CHECK(out && strstr(out, "Host:") == NULL && strstr(out, "-- 0 endpoints on 0 hosts"));
  free(out);
}

int main(void)
{
  for (int i = 0; ref_names[i]; i++)
    check_ref(ref_names[i]);
  check_edges();
  return tap_done();
}
