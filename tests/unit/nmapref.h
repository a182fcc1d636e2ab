/* nmapref.h: test support for the writer tests (header-only, static).
 *
 * Reads the <port> elements of a real nmap -oX file and turns each into a
 * struct svp_endpoint carrying the same result, so that svpassive's
 * writers can be run on it and their output compared with what nmap itself
 * printed for the same ports (in its -oN, -oG and -oX files). Also small
 * helpers: read a file, write a report into memory, find lines. */
#ifndef SVP_TEST_NMAPREF_H
#define SVP_TEST_NMAPREF_H

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svp/ident/endpoint.h"
#include "svp/output/output.h"
#include "tap.h"

#define REF_FN static __attribute__((unused))

/* Whole file, NUL-terminated (malloc'd), or NULL. */
REF_FN char *ref_read(const char *path, size_t *len)
{
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  size_t cap = 1 << 16, n = 0, got;
  char *b = malloc(cap);
  while (b && (got = fread(b + n, 1, cap - n - 1, f)) > 0) {
    n += got;
    if (n + 1 == cap) {
      char *nb = realloc(b, cap *= 2);
      if (!nb)
        free(b);
      b = nb;
    }
  }
  fclose(f);
  if (b)
    b[n] = '\0';
  if (len)
    *len = n;
  return b;
}

/* Undo XML's five entities (all nmap writes in attribute values we read). */
REF_FN void ref_unescape(const char *s, size_t n, char *out, size_t outsz)
{
  static const struct { const char *ent; char c; } ents[] = {
    {"&quot;", '"'}, {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&apos;", '\''},
  };
  size_t o = 0;
  for (size_t i = 0; i < n && o + 1 < outsz;) {
    size_t k;
    for (k = 0; k < sizeof ents / sizeof ents[0]; k++) {
      size_t el = strlen(ents[k].ent);
      if (i + el <= n && strncmp(s + i, ents[k].ent, el) == 0) {
        out[o++] = ents[k].c;
        i += el;
        break;
      }
    }
    if (k == sizeof ents / sizeof ents[0])
      out[o++] = s[i++];
  }
  out[o] = '\0';
}

/* Value of attribute name in the tag starting at tag (up to its '>'). */
REF_FN bool ref_attr(const char *tag, const char *name, char *out, size_t outsz)
{
  const char *end = strchr(tag, '>');
  char pat[64];
  snprintf(pat, sizeof pat, " %s=\"", name);
  const char *p = strstr(tag, pat);
  if (!p || (end && p > end))
    return false;
  p += strlen(pat);
  const char *q = strchr(p, '"');
  if (!q)
    return false;
  ref_unescape(p, (size_t)(q - p), out, outsz);
  return true;
}

struct ref_port {
  char proto[8];
  unsigned port;
  char state[16], reason[32];
  unsigned ttl;
  bool has_service;
  char name[64], product[80], version[80], extrainfo[256], hostname[80];
  char ostype[32], devtype[32], tunnel[8], method[8];
  unsigned conf;
  char cpe[3][80];
  unsigned n_cpe;
  char servicefp[8192];
  char xml[12288];
  /* the first %r(...) block of servicefp, decoded */
  struct svp_probe probe;
  char probe_name[64];
  uint8_t fp[1024];
  uint32_t fp_len, fp_total;
  int64_t fp_time_us;
  int intensity;  /* the element as nmap wrote it, "<port ...>...</port>" */
};

/* Decode the header's Time=/I= and the first %r(Probe,len,"bytes") block
 * of an unwrapped nmap fingerprint (the inverse of nmap's escaping). */
REF_FN void ref_decode_fp(struct ref_port *r)
{
  const char *s = r->servicefp;
  const char *t = strstr(s, "%Time=");
  const char *in = strstr(s, "%I=");
  const char *b = strstr(s, "%r(");
  if (!t || !in || !b)
    return;
  r->fp_time_us = (int64_t)strtoll(t + 6, NULL, 16) * 1000000;
  r->intensity = atoi(in + 3);
  b += 3;
  const char *comma = strchr(b, ',');
  if (!comma || (size_t)(comma - b) >= sizeof r->probe_name)
    return;
  memcpy(r->probe_name, b, (size_t)(comma - b));
  r->probe.name = r->probe_name;
  r->probe.l4 = strcmp(r->proto, "udp") == 0 ? SVP_L4_UDP : SVP_L4_TCP;
  r->fp_total = (uint32_t)strtoul(comma + 1, NULL, 16);
  const char *q = strchr(comma + 1, '"');
  if (!q)
    return;
  for (q++; *q && *q != '"' && r->fp_len < sizeof r->fp; q++) {
    if (*q != '\\') {
      r->fp[r->fp_len++] = (uint8_t)*q;
      continue;
    }
    q++;
    if (*q == '0') {
      r->fp[r->fp_len++] = 0;
    } else if (*q == 'x' && q[1] && q[2]) {
      char h[3] = {q[1], q[2], 0};
      r->fp[r->fp_len++] = (uint8_t)strtoul(h, NULL, 16);
      q += 2;
    } else {
      r->fp[r->fp_len++] = *q == 'r' ? '\r' : *q == 'n' ? '\n' : *q == 't' ? '\t' : (uint8_t)*q;
    }
  }
}

/* The <port> elements of an nmap XML file, in file order. */
REF_FN size_t ref_ports(const char *xml, struct ref_port *out, size_t max)
{
  size_t n = 0;
  char num[16];
  for (const char *p = strstr(xml, "<port "); p && n < max; p = strstr(p + 1, "<port ")) {
    struct ref_port *r = &out[n];
    memset(r, 0, sizeof *r);
    const char *end = strstr(p, "</port>");
    if (!end)
      break;
    end += strlen("</port>");
    size_t len = (size_t)(end - p);
    if (len >= sizeof r->xml)
      len = sizeof r->xml - 1;
    memcpy(r->xml, p, len);
    ref_attr(r->xml, "protocol", r->proto, sizeof r->proto);
    ref_attr(r->xml, "portid", num, sizeof num);
    r->port = (unsigned)atoi(num);
    const char *st = strstr(r->xml, "<state ");
    ref_attr(st, "state", r->state, sizeof r->state);
    ref_attr(st, "reason", r->reason, sizeof r->reason);
    ref_attr(st, "reason_ttl", num, sizeof num);
    r->ttl = (unsigned)atoi(num);
    const char *sv = strstr(r->xml, "<service ");
    if (sv) {
      r->has_service = true;
      ref_attr(sv, "name", r->name, sizeof r->name);
      ref_attr(sv, "product", r->product, sizeof r->product);
      ref_attr(sv, "version", r->version, sizeof r->version);
      ref_attr(sv, "extrainfo", r->extrainfo, sizeof r->extrainfo);
      ref_attr(sv, "hostname", r->hostname, sizeof r->hostname);
      ref_attr(sv, "ostype", r->ostype, sizeof r->ostype);
      ref_attr(sv, "devicetype", r->devtype, sizeof r->devtype);
      ref_attr(sv, "tunnel", r->tunnel, sizeof r->tunnel);
      ref_attr(sv, "method", r->method, sizeof r->method);
      if (ref_attr(sv, "servicefp", r->servicefp, sizeof r->servicefp))
        ref_decode_fp(r);
      ref_attr(sv, "conf", num, sizeof num);
      r->conf = (unsigned)atoi(num);
      for (const char *c = strstr(sv, "<cpe>"); c && r->n_cpe < 3; c = strstr(c + 1, "<cpe>")) {
        const char *ce = strstr(c, "</cpe>");
        if (!ce)
          break;
        ref_unescape(c + 5, (size_t)(ce - c - 5), r->cpe[r->n_cpe++], sizeof r->cpe[0]);
      }
    }
    n++;
  }
  return n;
}

/* The host address of the first <address> of an nmap XML file. */
REF_FN bool ref_address(const char *xml, struct svp_addr *a)
{
  char s[64], type[8];
  const char *p = strstr(xml, "<address ");
  if (!p || !ref_attr(p, "addr", s, sizeof s) || !ref_attr(p, "addrtype", type, sizeof type))
    return false;
  memset(a, 0, sizeof *a);
  a->family = strcmp(type, "ipv6") == 0 ? 6 : 4;
  return inet_pton(a->family == 6 ? AF_INET6 : AF_INET, s, a->b) == 1;
}

/* An endpoint with the result nmap reported for one port: a hard match
 * (banner method) where nmap said "probed", a port-table guess where it
 * said "table"; with the bytes of nmap's first fingerprint block as the
 * endpoint's fingerprint data. r must outlive ep. */
REF_FN void ref_endpoint(const struct ref_port *r, const struct svp_addr *addr,
                         struct svp_endpoint *ep)
{
  memset(ep, 0, sizeof *ep);
  ep->addr = *addr;
  ep->port = (uint16_t)r->port;
  ep->l4 = strcmp(r->proto, "udp") == 0 ? SVP_L4_UDP : SVP_L4_TCP;
  ep->state = strcmp(r->state, "closed") == 0 ? SVP_PS_CLOSED : SVP_PS_OPEN;
  ep->reason = r->reason;
  ep->reason_ttl = (uint8_t)r->ttl;
  struct svp_result *res = &ep->res;
  if (!r->has_service) {
    res->method = SVP_M_NONE;
    return;
  }
  bool probed = strcmp(r->method, "probed") == 0;
  res->method = probed ? SVP_M_BANNER : SVP_M_TABLE;
  res->verdict = probed ? SVP_HARD : SVP_NOMATCH;
  res->conf = (uint8_t)r->conf;
  res->service = strcmp(r->name, "unknown") == 0 && !probed ? NULL : r->name;
  ep->table_name = probed ? NULL : r->name;
  if (r->fp_len) {
    ep->fp_data = r->fp;
    ep->fp_len = r->fp_len;
    ep->fp_total = r->fp_total;
    ep->fp_probe = &r->probe;
    res->ev.pkt.ts_us = r->fp_time_us;
  }
  res->ssl = strcmp(r->tunnel, "ssl") == 0;
  struct svp_fields *f = &res->fields;
  snprintf(f->product, sizeof f->product, "%s", r->product);
  snprintf(f->version, sizeof f->version, "%s", r->version);
  snprintf(f->info, sizeof f->info, "%s", r->extrainfo);
  snprintf(f->hostname, sizeof f->hostname, "%s", r->hostname);
  snprintf(f->ostype, sizeof f->ostype, "%s", r->ostype);
  snprintf(f->devtype, sizeof f->devtype, "%s", r->devtype);
  for (unsigned i = 0; i < r->n_cpe; i++) {
    int part = r->cpe[i][5] == 'a' ? SVP_CPE_A : r->cpe[i][5] == 'h' ? SVP_CPE_H : SVP_CPE_O;
    snprintf(f->cpe[part], sizeof f->cpe[part], "%s", r->cpe[i]);
  }
}

/* Run one writer over n endpoints into a malloc'd string. */
REF_FN char *ref_render(const struct svp_writer *w, const struct svp_endpoint *const *ep,
                        size_t n, const struct svp_run_info *run, int *rc)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  if (!f)
    return NULL;
  struct svp_report rep = {.run = run, .ep = ep, .n_ep = n};
  int r = w->write(f, &rep);
  if (rc)
    *rc = r;
  fclose(f);
  return buf;
}

/* The lines of text from the one starting with `from` up to (not
 * including) the first line that starts with any of the `stops` prefixes
 * (or the end), as a malloc'd string. */
REF_FN char *ref_lines(const char *text, const char *from, const char *const *stops)
{
  const char *p = text;
  while (p && strncmp(p, from, strlen(from)) != 0) {
    p = strchr(p, '\n');
    if (p)
      p++;
  }
  if (!p)
    return NULL;
  const char *q = p;
  for (;;) {
    q = strchr(q, '\n');
    if (!q || !*++q)
      break;
    bool stop = false;
    for (size_t i = 0; stops && stops[i]; i++)
      stop |= strncmp(q, stops[i], strlen(stops[i])) == 0;
    if (stop)
      break;
  }
  size_t n = q ? (size_t)(q - p) : strlen(p);
  char *s = malloc(n + 1);
  if (s) {
    memcpy(s, p, n);
    s[n] = '\0';
  }
  return s;
}

/* ---- hand-made endpoints for the edge cases ----------------------------
 * Every field filled to nmap's limits with bytes that need escaping in
 * each format, an unknown endpoint whose fingerprint holds every awkward
 * byte, an endpoint with nothing known, a closed port, an IPv6 softmatch
 * behind SSL, a UDP guess, a service that changed during the capture. */
struct ref_edge {
  struct svp_rule rule, old_rule;
  struct svp_probe null_probe, get_probe, snmp_probe;
  struct svp_result history[1];
  uint8_t fp[300];
  struct svp_endpoint ep[6];
  const struct svp_endpoint *sorted[6];
  const char *inputs[2];
  char *argv[8];
  struct svp_run_info run;
};

REF_FN void ref_fill(char *dst, size_t n, char c)
{
  memset(dst, c, n - 1);
  dst[n - 1] = '\0';
}

REF_FN void ref_edges(struct ref_edge *e)
{
  memset(e, 0, sizeof *e);
  e->null_probe = (struct svp_probe){.name = "NULL", .l4 = SVP_L4_TCP};
  e->get_probe = (struct svp_probe){.name = "GetRequest", .l4 = SVP_L4_TCP};
  e->snmp_probe = (struct svp_probe){.name = "SNMPv1public", .l4 = SVP_L4_UDP};
  e->rule = (struct svp_rule){.service = "modbus", .file = "/usr/share/nmap/nmap-service-probes",
                              .line = 1234, .probe = &e->null_probe};
  e->old_rule = (struct svp_rule){.service = "ftp", .file = "rules/x <&>.probes",
                                  .line = 7, .probe = &e->null_probe};
  e->inputs[0] = "a.pcap";
  e->inputs[1] = "b \"odd\"\x01name\xff\xc3\xa9.pcap";
  static char *const argv[] = {"svpassive", "-r", "a.pcap", "-r",
                               "b \"odd\"\x01name\xff\xc3\xa9.pcap",
                               "--rules-dir", "my rules", NULL};
  memcpy(e->argv, argv, sizeof argv);
  e->run = (struct svp_run_info){.argc = 7, .argv = e->argv, .inputs = e->inputs,
                                 .n_inputs = 2, .start_wall_us = 1700000000123456LL,
                                 .end_wall_us = 1700000002623456LL,
                                 .first_pkt_us = 1699999000000000LL,
                                 .last_pkt_us = 1699999999000000LL, .packets = 1234,
                                 .bytes = 99999, .flows = 56, .dropped = 2,
                                 .intensity = 7};
  struct svp_addr v4 = {.family = 4, .b = {10, 0, 0, 5}};
  struct svp_addr v6 = {.family = 6, .b = {0x20, 0x01, 0x0d, 0xb8, [15] = 1}};

  /* 0: a hard banner match, every field at nmap's limit, awkward bytes */
  struct svp_endpoint *p = &e->ep[0];
  p->addr = v4;
  p->port = 502;
  p->l4 = SVP_L4_TCP;
  p->reason = "syn-ack";
  p->reason_ttl = 64;
  p->flags = SVP_EF_MIDSTREAM | SVP_EF_SRV_DATA | SVP_EF_CHANGED;
  struct svp_result *r = &p->res;
  r->method = SVP_M_BANNER;
  r->verdict = SVP_HARD;
  r->conf = 10;
  r->service = "modbus";
  r->rule = &e->rule;
  r->probe = &e->null_probe;
  snprintf(r->fields.product, sizeof r->fields.product, "Acme \"PLC\" <x> & ]]> -- 'q'");
  snprintf(r->fields.version, sizeof r->fields.version, "1.0/beta");
  ref_fill(r->fields.info, sizeof r->fields.info, 'i');
  snprintf(r->fields.hostname, sizeof r->fields.hostname, "plc-1");
  snprintf(r->fields.ostype, sizeof r->fields.ostype, "VxWorks");
  snprintf(r->fields.devtype, sizeof r->fields.devtype, "PLC");
  snprintf(r->fields.cpe[SVP_CPE_A], SVP_FIELD_LEN, "cpe:/a:acme:plc:1.0");
  snprintf(r->fields.cpe[SVP_CPE_H], SVP_FIELD_LEN, "cpe:/h:acme:plc");
  snprintf(r->fields.cpe[SVP_CPE_O], SVP_FIELD_LEN, "cpe:/o:windriver:vxworks");
  r->fields.truncated = 1u << SVP_F_INFO;
  r->ev = (struct svp_evidence){.pkt = {.file = 1, .frame = 42, .ts_us = 1699999100123456LL},
                                .flow_id = 7, .client = {.family = 4, .b = {10, 0, 0, 9}},
                                .client_port = 40000, .midstream = true, .resp_len = 40};
  e->history[0] = (struct svp_result){.method = SVP_M_BANNER, .verdict = SVP_HARD,
                                      .conf = 10, .service = "ftp", .rule = &e->old_rule,
                                      .probe = &e->null_probe,
                                      .ev = {.pkt = {.file = 0, .frame = 3,
                                                     .ts_us = 1699999000500000LL},
                                             .flow_id = 1,
                                             .client = {.family = 4, .b = {10, 0, 0, 8}},
                                             .client_port = 1025}};
  snprintf(e->history[0].fields.product, SVP_FIELD_LEN, "vsftpd");
  snprintf(e->history[0].fields.version, SVP_FIELD_LEN, "3.0.3");
  p->history = e->history;
  p->n_history = 1;
  p->first_us = 1699999000500000LL;
  p->last_us = 1699999900000000LL;
  p->n_flows = 12;
  p->n_clients = 3;

  /* 1: unknown: fingerprint of every awkward byte, no table name */
  p = &e->ep[1];
  p->addr = v4;
  p->port = 40000;
  p->l4 = SVP_L4_TCP;
  p->reason = "syn-ack";
  p->reason_ttl = 63;
  p->res.method = SVP_M_TABLE;
  p->res.verdict = SVP_NOMATCH;
  p->res.conf = 3;
  p->res.ev = (struct svp_evidence){.pkt = {.file = 0, .frame = 9, .ts_us = 1699999200000000LL},
                                    .flow_id = 3, .client = {.family = 4, .b = {10, 0, 0, 9}},
                                    .client_port = 40001};
  static const char junk[] = "]]> <x a=\"1\"> & ' -- \\ \x00\x01\x7f\x80\xff\xc3\xa9 \r\n";
  memcpy(e->fp, junk, sizeof junk - 1);
  for (size_t i = sizeof junk - 1; i < sizeof e->fp; i++)
    e->fp[i] = (uint8_t)i;
  p->fp_data = e->fp;
  p->fp_len = sizeof e->fp;
  p->fp_total = 5000;
  p->fp_probe = &e->get_probe;
  p->first_us = p->last_us = 1699999200000000LL;
  p->n_flows = 1;
  p->n_clients = 1;
  p->flags = SVP_EF_SRV_DATA | SVP_EF_SERVER_GUESS | SVP_EF_MIDSTREAM | SVP_EF_ALL_MIDSTREAM;

  /* 2: nothing known at all */
  p = &e->ep[2];
  p->addr = v4;
  p->port = 40001;
  p->l4 = SVP_L4_TCP;

  /* 3: closed */
  p = &e->ep[3];
  p->addr = v4;
  p->port = 40002;
  p->l4 = SVP_L4_TCP;
  p->state = SVP_PS_CLOSED;
  p->reason = "reset";

  /* 4: UDP, a wide-search hard match (conf 5: printed with '?') */
  p = &e->ep[4];
  p->addr = v4;
  p->port = 161;
  p->l4 = SVP_L4_UDP;
  p->reason = "udp-response";
  p->res = (struct svp_result){.method = SVP_M_WIDE, .verdict = SVP_HARD, .conf = 5,
                               .service = "snmp", .probe = &e->snmp_probe};
  snprintf(p->res.fields.product, SVP_FIELD_LEN, "net-snmp");
  p->table_name = "snmp";

  /* 5: IPv6, softmatch behind SSL (port-probe), with a fingerprint */
  p = &e->ep[5];
  p->addr = v6;
  p->port = 443;
  p->l4 = SVP_L4_TCP;
  p->reason = "syn-ack";
  p->reason_ttl = 64;
  p->res = (struct svp_result){.method = SVP_M_PORTPROBE, .verdict = SVP_SOFT, .conf = 7,
                               .service = "http", .ssl = true, .probe = &e->get_probe};
  p->table_name = "https";
  p->fp_data = (const uint8_t *)"HTTP/1.1 400 Bad Request\r\n\r\n";
  p->fp_len = 28;
  p->fp_probe = &e->get_probe;
  p->first_us = 1699999300000000LL;
  p->last_us = 1699999400000000LL;
  p->n_flows = 2;
  p->n_clients = 1;

  /* already in the report's order: family, address, protocol, port */
  for (int i = 0; i < 6; i++)
    e->sorted[i] = &e->ep[i];
}

/* Endpoints of one reference (tests/output/nmap-ref/NAME.xml); the
 * ref_port array (malloc'd, *rp) backs them and must be freed after. */
struct ref_set {
  char *xml;
  struct ref_port *rp;
  struct svp_endpoint ep[16];
  const struct svp_endpoint *sorted[16];
  size_t n;
  struct svp_addr addr;
};

REF_FN bool ref_load(const char *name, struct ref_set *set)
{
  char path[256];
  memset(set, 0, sizeof *set);
  snprintf(path, sizeof path, "tests/output/nmap-ref/%s.xml", name);
  set->xml = ref_read(tap_srcpath(path), NULL);
  set->rp = calloc(16, sizeof *set->rp);
  if (!set->xml || !set->rp || !ref_address(set->xml, &set->addr))
    return false;
  set->n = ref_ports(set->xml, set->rp, 16);
  for (size_t i = 0; i < set->n; i++) {
    ref_endpoint(&set->rp[i], &set->addr, &set->ep[i]);
    set->sorted[i] = &set->ep[i];
  }
  return set->n > 0;
}

REF_FN void ref_free(struct ref_set *set)
{
  free(set->xml);
  free(set->rp);
}

/* The references in tests/output/nmap-ref (see its README.md). */
static const char *const ref_names[] __attribute__((unused)) = {"services", "guesses-udp", "ipv6",
                                        "unknown-banner", NULL};

/* Write text to DIR/NAME.EXT when dir is set (the tests' --emit mode). */
REF_FN void ref_emit(const char *dir, const char *name, const char *ext,
                     const char *text)
{
  if (!dir || !text)
    return;
  char path[1024];
  snprintf(path, sizeof path, "%s/%s.%s", dir, name, ext);
  FILE *f = fopen(path, "w");
  CHECK(f != NULL);
  if (f) {
    fputs(text, f);
    fclose(f);
  }
}

/* True if text is valid UTF-8 without control bytes other than '\n'. */
REF_FN bool ref_text_clean(const char *text)
{
  for (const unsigned char *c = (const unsigned char *)text; *c; c++) {
    if ((*c < 0x20 && *c != '\n') || *c == 0x7f)
      return false;
    if (*c >= 0x80) {
      int k = svp_out_utf8_seq(c, NULL);
      if (k == 0)
        return false;
      c += k - 1;
    }
  }
  return true;
}

/* A file of the reference set as a string (malloc'd). */
REF_FN char *ref_file(const char *name, const char *ext)
{
  char path[256];
  snprintf(path, sizeof path, "tests/output/nmap-ref/%s.%s", name, ext);
  return ref_read(tap_srcpath(path), NULL);
}

#endif
