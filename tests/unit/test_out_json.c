/* test_out_json.c: the JSON Lines writer: one object per endpoint, every
 * documented key in its place, values from the result nmap 7.93 reported
 * (tests/output/nmap-ref), and string escaping of arbitrary bytes.
 *
 * With "--emit DIR" it also writes DIR/<name>.jsonl for
 * tests/output/test_xml_tools.sh, which parses every line with python3's
 * json module and compares fields with nmap's XML. */
#include "nmapref.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *emit_dir;

/* The documented keys, in order (docs/OUTPUT.md). */
static const char *const keys[] = {
  "addr", "port", "proto", "state", "reason", "reason_ttl", "service", "product",
  "version", "extrainfo", "hostname", "ostype", "devicetype", "cpe", "tunnel", "tunnel_from",
  "match",
  "method", "conf", "truncated", "evidence", "first_seen", "last_seen", "flows",
  "clients", "clients_capped", "midstream", "server_inferred", "port_table_name",
  "fingerprint", "changed", "history", "tls", NULL};

/* Top-level keys of one JSON object line, in order, must be `keys`. A
 * small scanner: strings, nesting depth, keys at depth 1. */
static bool keys_in_order(const char *line)
{
  int depth = 0, k = 0;
  for (const char *p = line; *p && *p != '\n'; p++) {
    if (*p == '"') {
      const char *s = ++p;
      while (*p && *p != '"')
        p += *p == '\\' ? 2 : 1;
      if (depth == 1 && p[1] == ':') {
        size_t len = (size_t)(p - s);
        if (!keys[k] || strlen(keys[k]) != len || strncmp(keys[k], s, len) != 0)
          return false;
        k++;
      }
    } else if (*p == '{' || *p == '[') {
      depth++;
    } else if (*p == '}' || *p == ']') {
      depth--;
    }
  }
  return depth == 0 && keys[k] == NULL;
}

static size_t count_lines(const char *s)
{
  size_t n = 0;
  for (; *s; s++)
    n += *s == '\n';
  return n;
}

static void check_ref(const char *name)
{
  struct ref_set set;
  if (!ref_load(name, &set)) {
    CHECK(!"reference loads");
    ref_free(&set);
    return;
  }
  struct svp_run_info run = {.intensity = 7};
  int rc = -1;
  char *out = ref_render(&svp_writer_json, set.sorted, set.n, &run, &rc);
  CHECK_INT(rc, SVP_OK);
  ref_emit(emit_dir, name, "jsonl", out);
  CHECK_INT(count_lines(out), set.n);
  tap_note("%s: %zu lines", name, set.n);
  const char *line = out;
  for (size_t i = 0; i < set.n && line && *line; i++) {
    const struct ref_port *r = &set.rp[i];
    char *nl = strchr(line, '\n');
    char one[16384];
    snprintf(one, sizeof one, "%.*s", (int)(nl ? nl - line : (long)strlen(line)), line);
    CHECK(keys_in_order(one));
    char want[512];
    snprintf(want, sizeof want, "\"port\":%u,\"proto\":\"%s\",\"state\":\"%s\",\"reason\":\"%s\"",
             r->port, r->proto, r->state, r->reason);
    CHECK(strstr(one, want) != NULL);
    if (r->product[0]) {
      snprintf(want, sizeof want, "\"product\":\"%s\"", r->product);
      CHECK(strstr(one, want) != NULL);
    }
    if (r->version[0]) {
      snprintf(want, sizeof want, "\"version\":\"%s\"", r->version);
      CHECK(strstr(one, want) != NULL);
    }
    if (r->has_service && strcmp(r->name, "unknown") != 0) {
      snprintf(want, sizeof want, "\"service\":\"%s\"", r->name);
      CHECK(strstr(one, want) != NULL);
    }
    CHECK((strstr(one, "\"fingerprint\":\"SF-Port") != NULL) == (r->servicefp[0] != '\0'));
    line = nl ? nl + 1 : NULL;
  }
  free(out);
  ref_free(&set);
}

static void check_edges(void)
{
  static struct ref_edge e;
  ref_edges(&e);
  char *out = ref_render(&svp_writer_json, e.sorted, 6, &e.run, NULL);
  ref_emit(emit_dir, "edges", "jsonl", out);
  CHECK_INT(count_lines(out), 6);
  const char *line = out;
  for (int i = 0; i < 6 && line; i++) {
    CHECK(keys_in_order(line));
    line = strchr(line, '\n');
    line = line ? line + 1 : NULL;
  }
  /* the first endpoint, every value */
  char want[4096];
  snprintf(want, sizeof want,
           "{\"addr\":\"10.0.0.5\",\"port\":502,\"proto\":\"tcp\",\"state\":\"open\","
           "\"reason\":\"syn-ack\",\"reason_ttl\":64,\"service\":\"modbus\","
           "\"product\":\"Acme \\\"PLC\\\" <x> & ]]> -- 'q'\",\"version\":\"1.0/beta\","
           "\"extrainfo\":\"%s\",\"hostname\":\"plc-1\",\"ostype\":\"VxWorks\","
           "\"devicetype\":\"PLC\",\"cpe\":[\"cpe:/a:acme:plc:1.0\",\"cpe:/h:acme:plc\","
           "\"cpe:/o:windriver:vxworks\"],\"tunnel\":null,\"tunnel_from\":null,\"match\":\"hard\","
           "\"method\":\"banner\",\"conf\":10,\"truncated\":[\"extrainfo\"],"
           "\"evidence\":{\"file\":\"b \\\"odd\\\"\\u0001name\\u00ff\xc3\xa9.pcap\","
           "\"frame\":42,\"time\":\"2023-11-14T21:58:20.123456Z\","
           "\"rule\":\"/usr/share/nmap/nmap-service-probes:1234\",\"probe\":\"NULL\","
           "\"flow\":7,\"client\":\"10.0.0.9\",\"client_port\":40000,\"midstream\":true},"
           "\"first_seen\":\"2023-11-14T21:56:40.500000Z\","
           "\"last_seen\":\"2023-11-14T22:11:40.000000Z\",\"flows\":12,\"clients\":3,"
           "\"clients_capped\":false,\"midstream\":\"some\",\"server_inferred\":false,"
           "\"port_table_name\":null,\"fingerprint\":null,\"changed\":true,"
           "\"history\":[{\"service\":\"ftp\",\"product\":\"vsftpd\",\"version\":\"3.0.3\","
           "\"extrainfo\":null,\"hostname\":null,\"ostype\":null,\"devicetype\":null,"
           "\"cpe\":[],\"tunnel\":null,\"tunnel_from\":null,\"match\":\"hard\",\"method\":\"banner\",\"conf\":10,"
           "\"truncated\":[],\"evidence\":{\"file\":\"a.pcap\",\"frame\":3,"
           "\"time\":\"2023-11-14T21:56:40.500000Z\",\"rule\":\"rules/x <&>.probes:7\","
           "\"probe\":\"NULL\",\"flow\":1,\"client\":\"10.0.0.8\",\"client_port\":1025,"
           "\"midstream\":false}}],\"tls\":null}\n",
           e.ep[0].res.fields.info);
  CHECK(strncmp(out, want, strlen(want)) == 0);
  /* unknown: fingerprint unwrapped, escaped for JSON */
  CHECK(strstr(out, "\"match\":\"none\",\"method\":\"table\",\"conf\":3,") != NULL);
  CHECK(strstr(out, "\"fingerprint\":\"SF-Port40000-TCP:V=svpassive-") != NULL);
  CHECK(strstr(out, "%r(GetRequest,1388,\\\"\\\\]\\\\]>\\\\x20<x\\\\x20a=\\\\\\\"1") != NULL);
  CHECK(strstr(out, "\"midstream\":\"all\",\"server_inferred\":true,") != NULL);
  /* nothing known */
  CHECK(strstr(out, "{\"addr\":\"10.0.0.5\",\"port\":40001,\"proto\":\"tcp\",\"state\":\"open\","
                    "\"reason\":\"syn-ack\",\"reason_ttl\":0,\"service\":null,\"product\":null,"
                    "\"version\":null,\"extrainfo\":null,\"hostname\":null,\"ostype\":null,"
                    "\"devicetype\":null,\"cpe\":[],\"tunnel\":null,\"tunnel_from\":null,\"match\":\"none\","
                    "\"method\":\"table\",\"conf\":3,\"truncated\":[],\"evidence\":null,") != NULL);
  CHECK(strstr(out, "\"port\":40002,\"proto\":\"tcp\",\"state\":\"closed\",\"reason\":\"reset\"") != NULL);
  CHECK(strstr(out, "\"port\":161,\"proto\":\"udp\",") != NULL);
  CHECK(strstr(out, "\"service\":\"snmp\",\"product\":\"net-snmp\"") != NULL);
  CHECK(strstr(out, "\"method\":\"wide\",\"conf\":5,") != NULL);
  CHECK(strstr(out, "\"port_table_name\":\"snmp\"") != NULL);
  CHECK(strstr(out, "{\"addr\":\"2001:db8::1\",\"port\":443,") != NULL);
  CHECK(strstr(out, "\"tunnel\":\"ssl\",\"tunnel_from\":null,\"match\":\"soft\",\"method\":\"port-probe\",\"conf\":7,") != NULL);
  /* valid UTF-8, no raw control bytes besides line ends */
  CHECK(ref_text_clean(out));
  free(out);

  /* times are capture times: same output under any TZ or fixed-time mode */
  setenv("TZ", "America/New_York", 1);
  tzset();
  char *a = ref_render(&svp_writer_json, e.sorted, 6, &e.run, NULL);
  setenv("TZ", "UTC", 1);
  tzset();
  setenv("SVP_FIXED_TIME", "1", 1);
  char *b = ref_render(&svp_writer_json, e.sorted, 6, &e.run, NULL);
  unsetenv("SVP_FIXED_TIME");
  CHECK(a && b && strcmp(a, b) == 0);
  free(a);
  free(b);

  out = ref_render(&svp_writer_json, NULL, 0, NULL, NULL);
  CHECK_STR(out, "");
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
