/* test_out_xml.c: the nmap XML writer. For ports nmap 7.93 scanned
 * (tests/output/nmap-ref) each <port> element must be the one nmap wrote
 * (servicefp aside: its V= and probe list differ by design); then the
 * document skeleton, escaping of hostile bytes, the -v evidence script.
 *
 * With "--emit DIR" it also writes its documents into DIR, for
 * tests/output/test_xml_tools.sh, which runs xmllint --dtdvalid and
 * ndiff on them. */
#include "nmapref.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *emit_dir;

/* Remove the servicefp="..." attribute, if any. */
static void drop_fp(char *s)
{
  char *p = strstr(s, " servicefp=\"");
  if (!p)
    return;
  char *q = strchr(p + 12, '"');
  if (q)
    memmove(p, q + 1, strlen(q + 1) + 1);
}

static void check_ref(const char *name)
{
  struct ref_set set;
  if (!ref_load(name, &set)) {
    CHECK(!"reference loads");
    ref_free(&set);
    return;
  }
  char *argv[] = {"svpassive", "-r", "lab.pcap", "-oX", "-"};
  struct svp_run_info run = {.intensity = 7, .argc = 5, .argv = argv};
  int rc = -1;
  char *ours = ref_render(&svp_writer_xml, set.sorted, set.n, &run, &rc);
  CHECK_INT(rc, SVP_OK);
  ref_emit(emit_dir, name, "xml", ours);
  static struct ref_port mine[16];
  size_t n = ref_ports(ours, mine, 16);
  CHECK_INT(n, set.n);
  tap_note("%s: %zu ports", name, n);
  for (size_t i = 0; i < n && i < set.n; i++) {
    char *a = mine[i].xml, *b = set.rp[i].xml;
    bool fp = set.rp[i].servicefp[0] != '\0';
    CHECK_INT(mine[i].servicefp[0] != '\0', fp);
    drop_fp(a);
    drop_fp(b);
    CHECK_STR(a, b);
  }
  /* one host, its address and the skeleton */
  char want[256];
  snprintf(want, sizeof want, "<address addr=\"%s\" addrtype=\"%s\"/>\n<hostnames>\n</hostnames>\n<ports><port ",
           set.addr.family == 6 ? "::1" : set.addr.b[3] == 1 ? "127.0.30.1" : "127.0.30.2",
           set.addr.family == 6 ? "ipv6" : "ipv4");
  CHECK(strstr(ours, want) != NULL);
  CHECK(strstr(ours, "<hosts up=\"1\" down=\"0\" total=\"1\"/>") != NULL);
  CHECK(strstr(ours, "svpassive-evidence") == NULL);
  free(ours);
  ref_free(&set);
}

static void check_edges(void)
{
  static struct ref_edge e;
  ref_edges(&e);
  setenv("TZ", "UTC", 1);
  tzset();
  char *out = ref_render(&svp_writer_xml, e.sorted, 6, &e.run, NULL);
  ref_emit(emit_dir, "edges", "xml", out);
  CHECK(strncmp(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE nmaprun>\n", 56) == 0);
  /* who wrote it, said three times; args escaped ("--" too, for comments) */
  CHECK(strstr(out, "<!-- svpassive " SVP_VERSION " passive inventory started Tue Nov 14 "
                    "22:13:20 2023 as: svpassive -r a.pcap -r &quot;b \\&quot;odd\\&quot;"
                    "&#xfffd;name&#xfffd;\xc3\xa9.pcap&quot; -&#45;rules-dir "
                    "&quot;my rules&quot; -->\n") != NULL);
  CHECK(strstr(out, "<nmaprun scanner=\"nmap\" args=\"svpassive -r a.pcap") != NULL);
  CHECK(strstr(out, " start=\"1700000000\" startstr=\"Tue Nov 14 22:13:20 2023\" "
                    "version=\"svpassive " SVP_VERSION "\" xmloutputversion=\"1.05\">\n"
                    "<verbose level=\"0\"/>\n<debugging level=\"0\"/>\n<host ") != NULL);
  CHECK(strstr(out, "<host starttime=\"1699999000\" endtime=\"1699999900\" comment=\"seen "
                    "passively: 13 flows from 2023-11-14T21:56:40.500000Z to "
                    "2023-11-14T22:11:40.000000Z\"><status state=\"up\" reason=\"passive\" "
                    "reason_ttl=\"0\"/>\n<address addr=\"10.0.0.5\" addrtype=\"ipv4\"/>") != NULL);
  /* every field, attribute order as nmap's, entities */
  char want[2048];
  snprintf(want, sizeof want,
           "<port protocol=\"tcp\" portid=\"502\"><state state=\"open\" reason=\"syn-ack\" "
           "reason_ttl=\"64\"/><service name=\"modbus\" product=\"Acme &quot;PLC&quot; &lt;x&gt; "
           "&amp; ]]&gt; -&#45; &apos;q&apos;\" version=\"1.0/beta\" extrainfo=\"%s\" "
           "hostname=\"plc-1\" ostype=\"VxWorks\" devicetype=\"PLC\" method=\"probed\" "
           "conf=\"10\"><cpe>cpe:/a:acme:plc:1.0</cpe><cpe>cpe:/h:acme:plc</cpe>"
           "<cpe>cpe:/o:windriver:vxworks</cpe></service></port>\n",
           e.ep[0].res.fields.info);
  CHECK(strstr(out, want) != NULL);
  /* an unknown with a fingerprint: name "unknown", table, conf 3 */
  CHECK(strstr(out, "<port protocol=\"tcp\" portid=\"40000\"><state state=\"open\" "
                    "reason=\"syn-ack\" reason_ttl=\"63\"/><service name=\"unknown\" "
                    "servicefp=\"SF-Port40000-TCP:V=svpassive-") != NULL);
  CHECK(strstr(out, "%r(GetRequest,1388,&quot;\\]\\]&gt;\\x20&lt;x\\x20a=\\&quot;1\\&quot;"
                    "&gt;\\x20&amp;\\x20&apos;\\x20-&#45;\\x20\\\\\\x20\\0\\x01\\x7f") != NULL);
  CHECK(strstr(out, "\\x7f\\x80\\xff\\xc3\\xa9") != NULL);
  CHECK(strstr(out, "&quot;);\" method=\"table\" conf=\"3\"/></port>\n") != NULL);
  /* nothing known: no <service>, as nmap */
  CHECK(strstr(out, "<port protocol=\"tcp\" portid=\"40001\"><state state=\"open\" "
                    "reason=\"syn-ack\" reason_ttl=\"0\"/></port>\n") != NULL);
  CHECK(strstr(out, "<port protocol=\"tcp\" portid=\"40002\"><state state=\"closed\" "
                    "reason=\"reset\" reason_ttl=\"0\"/></port>\n") != NULL);
  CHECK(strstr(out, "<port protocol=\"udp\" portid=\"161\"><state state=\"open\" "
                    "reason=\"udp-response\" reason_ttl=\"0\"/><service name=\"snmp\" "
                    "product=\"net-snmp\" method=\"probed\" conf=\"5\"/></port>\n") != NULL);
  CHECK(strstr(out, "<address addr=\"2001:db8::1\" addrtype=\"ipv6\"/>") != NULL);
  CHECK(strstr(out, "<service name=\"http\" servicefp=\"SF-Port443-TCP:V=svpassive-") != NULL);
  CHECK(strstr(out, "tunnel=\"ssl\" method=\"probed\" conf=\"7\"/></port>\n") != NULL);
  CHECK(strstr(out, "<runstats><finished time=\"1700000002\" timestr=\"Tue Nov 14 22:13:22 "
                    "2023\" summary=\"svpassive done at Tue Nov 14 22:13:22 2023; 6 endpoints "
                    "on 2 hosts (2 identified, 1 softmatched, 2 unknown, 1 closed) in 2.50 "
                    "seconds\" elapsed=\"2.50\" exit=\"success\"/><hosts up=\"2\" down=\"0\" "
                    "total=\"2\"/>\n</runstats>\n</nmaprun>\n") != NULL);
  CHECK(strstr(out, "svpassive-evidence") == NULL);
  /* valid UTF-8, no raw control bytes besides line ends */
  CHECK(ref_text_clean(out));
  free(out);

  /* -v: the evidence script after <service>, text and structured */
  e.run.verbose = 1;
  out = ref_render(&svp_writer_xml, e.sorted, 6, &e.run, NULL);
  ref_emit(emit_dir, "edges-verbose", "xml", out);
  CHECK(strstr(out, "<verbose level=\"1\"/>") != NULL);
  CHECK(strstr(out, "</service><script id=\"svpassive-evidence\" output=\"method: banner; "
                    "match: hard; conf: 10&#xa;rule /usr/share/nmap/nmap-service-probes:1234, "
                    "probe NULL&#xa;cut at nmap&apos;s length limits: extrainfo&#xa;"
                    "evidence: b &quot;odd&quot;?name") != NULL);
  CHECK(strstr(out, "\"><elem key=\"method\">banner</elem><elem key=\"match\">hard</elem>"
                    "<elem key=\"conf\">10</elem><elem key=\"rule\">/usr/share/nmap/"
                    "nmap-service-probes:1234</elem><elem key=\"probe\">NULL</elem>"
                    "<elem key=\"truncated\">extrainfo</elem><elem key=\"file\">b &quot;odd&quot;&#xfffd;name&#xfffd;\xc3\xa9.pcap"
                    "</elem><elem key=\"frame\">42</elem><elem key=\"time\">"
                    "2023-11-14T21:58:20.123456Z</elem><elem key=\"flow\">7</elem>"
                    "<elem key=\"client\">10.0.0.9</elem><elem key=\"client_port\">40000"
                    "</elem><elem key=\"midstream\">true</elem>") != NULL);
  CHECK(strstr(out, "<table key=\"history\"><table><elem key=\"service\">ftp</elem>"
                    "<elem key=\"product\">vsftpd</elem><elem key=\"version\">3.0.3</elem>"
                    "<elem key=\"method\">banner</elem>") != NULL);
  CHECK(strstr(out, "<elem key=\"rule\">rules/x &lt;&amp;&gt;.probes:7</elem>") != NULL);
  CHECK(strstr(out, "</table></table></script></port>\n") != NULL);
  free(out);
  e.run.verbose = 0;

  out = ref_render(&svp_writer_xml, NULL, 0, NULL, NULL);
  ref_emit(emit_dir, "empty", "xml", out);
  CHECK(out && strstr(out, "<host ") == NULL && strstr(out, "<hosts up=\"0\" down=\"0\" total=\"0\"/>"));
  free(out);
}

int main(int argc, char **argv)
{
  if (argc == 3 && strcmp(argv[1], "--emit") == 0)
    emit_dir = argv[2];
  for (int i = 0; ref_names[i]; i++)
    check_ref(ref_names[i]);
  check_edges();
  return tap_done();
}
