/* gen_flows.c: the many-flows benchmark capture (issue 7) and its truth.
 *
 * Writes a pcap of short Ethernet/IPv4/TCP flows between many clients and a
 * few thousand servers, shaped like a busy SPAN port: at scale 1.0 about
 * 1.5 million flows, 5,000 server endpoints, 60,000 clients, ~20,000 flows
 * open at once, ~2.2 GB. What the servers send are real responses recorded
 * from real server programs (tests/fixtures/responses/<name>/: response.bin,
 * the probe that drew it, and nmap -sV's verdict in nmap.xml); what the
 * clients send first is that probe's payload from nmap-service-probes (or
 * the fixture's request.bin when there is one). Around them, the anomalies
 * of real captures: unanswered SYNs, SYNs answered by a reset, handshakes
 * with no data, flows never closed, flows reset by the client, flows joined
 * mid-stream (no handshake), retransmissions and a little reordering.
 * By default each flow's server bytes are its own where a real server's
 * would differ (see "Realistic variation" below); --identical replays the
 * recorded bytes as they are.
 *
 * The truth file (TSV) says, per server ip:port/tcp, what nmap said about
 * the recorded server and how many flows carried its bytes, so that
 * bench/check-truth.py can score svpassive's -oJ output. Same options and
 * seed, same bytes. Checksums (IP, TCP) are correct.
 *
 * Plain C and libc only: the pcap writer is ours (one big buffer), so that
 * gigabytes come out in seconds. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef SVP_SOURCE_DIR
#define SVP_SOURCE_DIR "."
#endif

/* ---- Workload shape at scale 1.0 (all overridable) ---------------------- */
#define BASE_FLOWS        1500000.0
#define BASE_DURATION_S   300.0     /* capture span; scales with --scale */
#define DEF_SERVERS       5000
#define DEF_CLIENTS       60000
#define DEF_SEED          1
#define START_EPOCH       1709251200ull /* 2024-03-01 00:00:00 UTC */

/* Shares of flows (the rest are normal complete flows). */
#define P_SYN_UNANSWERED  0.030  /* SYN (and its retries) get nothing back */
#define P_SYN_RST         0.020  /* closed port: SYN answered by RST */
#define P_CONNECT_ONLY    0.020  /* handshake, then the client resets (scanner) */
#define P_MIDSTREAM       0.025  /* client-first flows joined after the handshake */
#define P_NOCLOSE         0.030  /* exchange, then silence: never closed */
#define P_CLIENT_RST      0.030  /* exchange, then the client resets */
#define P_RETRANS         0.010  /* one server segment seen twice */
#define P_REORDER         0.005  /* two server segments swapped */
#define P_KEEPALIVE       0.06   /* HTTP: more requests on the same connection */
#define P_BULK            0.0005 /* HTTP: a 128-256 KB download */
#define P_FOLLOWUP        0.6    /* server-first: the client answers the banner */
#define P_ODD_PORT        0.10   /* a server on a non-standard port */
#define LINGER_MEAN_S     4.4    /* idle time before the close (concurrency) */
#define LINGER_MAX_S      40.0
#define HTTP_MIN_BODY     500
#define HTTP_MAX_BODY     5000
#define HTTP_VARIANTS     12     /* response sizes per HTTP fixture */
#define MAX_TEXT          512    /* verdict fields (nmap caps them lower) */
#define DEAD_HOSTS        1000   /* addresses in 172.31/16 nobody answers on */
#define N_SCANNED         10     /* ports probed on hosts that do not serve them */

/* Realistic variation (the default; --identical turns all of it off). */
#define P_BINARY          0.08   /* flows to binary protocols nothing identifies */
#define N_BINARY          3      /* such protocols */
#define P_CHANGE_EP       0.02   /* endpoints whose program changes once */
#define P_LONG            0.02   /* eligible flows that become long-lived sessions */
#define POOL_BYTES        (4u << 20) /* random bytes that per-flow content is cut from */
#define TEXT_BYTES        (256u << 10) /* random words for HTTP bodies */
#define MAX_OWN           12     /* per-flow buffers of varied bytes */

/* ---- Small helpers ------------------------------------------------------- */

static void die(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  fputs("gen_flows: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(1);
}

static void warn(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  fputs("gen_flows: warning: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

static void *xmalloc(size_t n)
{
  void *p = malloc(n ? n : 1);
  if (!p)
    die("out of memory (%zu bytes)", n);
  return p;
}

static void *xcalloc(size_t n, size_t sz)
{
  void *p = calloc(n ? n : 1, sz ? sz : 1);
  if (!p)
    die("out of memory (%zu x %zu bytes)", n, sz);
  return p;
}

static void *xrealloc(void *p, size_t n)
{
  p = realloc(p, n ? n : 1);
  if (!p)
    die("out of memory (%zu bytes)", n);
  return p;
}

/* Whole file into a fresh buffer; NULL (errno set) if it cannot be read. */
static uint8_t *read_file(const char *path, size_t *len)
{
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  size_t cap = 4096, n = 0;
  uint8_t *buf = xmalloc(cap);
  for (;;) {
    if (n == cap)
      buf = xrealloc(buf, cap *= 2);
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (got == 0)
      break;
  }
  bool bad = ferror(f);
  fclose(f);
  if (bad) {
    free(buf);
    return NULL;
  }
  *len = n;
  return buf;
}

static void copy_text(char *dst, size_t dstsz, const char *src, size_t n)
{
  if (n >= dstsz)
    n = dstsz - 1;
  memcpy(dst, src, n);
  dst[n] = '\0';
}

/* ---- Deterministic random numbers (xoshiro256**, seeded by splitmix64) --- */

struct rng {
  uint64_t s[4];
};

static uint64_t splitmix64(uint64_t *x)
{
  uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/* Independent streams: one per (seed, purpose, index). */
static void rng_seed(struct rng *r, uint64_t seed, uint64_t stream)
{
  uint64_t x = seed * 0x2545f4914f6cdd1dull ^ (stream + 0x632be59bd9b4e019ull);
  for (int i = 0; i < 4; i++)
    r->s[i] = splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t rng_next(struct rng *r)
{
  uint64_t *s = r->s;
  uint64_t out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return out;
}

static uint32_t rng_below(struct rng *r, uint32_t n)
{
  return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

static double rng_unit(struct rng *r) { return (double)(rng_next(r) >> 11) * 0x1.0p-53; }
static bool rng_chance(struct rng *r, double p) { return rng_unit(r) < p; }
static double rng_exp(struct rng *r, double mean) { return -mean * log(1.0 - rng_unit(r)); }

static double rng_logu(struct rng *r, double lo, double hi)
{
  return exp(log(lo) + rng_unit(r) * (log(hi) - log(lo)));
}

/* Cumulative weights -> index, by binary search. */
static uint32_t pick_cum(const double *cum, uint32_t n, double u)
{
  uint32_t lo = 0, hi = n - 1;
  double x = u * cum[n - 1];
  while (lo < hi) {
    uint32_t mid = (lo + hi) / 2;
    if (cum[mid] > x)
      hi = mid;
    else
      lo = mid + 1;
  }
  return lo;
}

/* ---- What nmap said about a recorded server ------------------------------ */

struct verdict {
  char service[64], product[MAX_TEXT], version[MAX_TEXT], extrainfo[MAX_TEXT];
  char ostype[64], devicetype[64], hostname[MAX_TEXT], method[16];
  char cpe[MAX_TEXT];  /* space-separated */
  int conf;
  bool tunnel_ssl;
  char match[8];       /* "hard" or "soft" (the fixture's match file) */
  char rule[80];       /* rule nmap matched: "PROBE:LINE" */
};

static void xml_unescape(char *dst, size_t dstsz, const char *s, size_t n)
{
  size_t o = 0;
  for (size_t i = 0; i < n && o + 1 < dstsz; i++) {
    char c = s[i];
    if (c == '&') {
      static const struct { const char *ent; char ch; } ents[] = {
        {"&lt;", '<'}, {"&gt;", '>'}, {"&amp;", '&'}, {"&quot;", '"'}, {"&apos;", '\''}};
      bool done = false;
      for (size_t e = 0; e < sizeof ents / sizeof ents[0] && !done; e++) {
        size_t el = strlen(ents[e].ent);
        if (i + el <= n && memcmp(s + i, ents[e].ent, el) == 0) {
          c = ents[e].ch;
          i += el - 1;
          done = true;
        }
      }
      if (!done && i + 2 < n && s[i + 1] == '#') {
        char *end;
        long v = s[i + 2] == 'x' ? strtol(s + i + 3, &end, 16) : strtol(s + i + 2, &end, 10);
        if (*end == ';' && (size_t)(end - s) < n) {
          c = (v >= 0x20 && v < 0x7f) ? (char)v : '.';
          i = (size_t)(end - s);
        }
      }
    }
    dst[o++] = (c == '\t' || c == '\n' || c == '\r') ? ' ' : c;
  }
  dst[o] = '\0';
}

/* Value of attribute `name` inside the tag text [tag, tag_end). */
static bool xml_attr(const char *tag, const char *tag_end, const char *name,
                     char *dst, size_t dstsz)
{
  size_t nl = strlen(name);
  for (const char *p = tag; p + nl + 2 < tag_end; p++) {
    if ((p == tag || p[-1] == ' ') && memcmp(p, name, nl) == 0 && p[nl] == '=' &&
        p[nl + 1] == '"') {
      const char *v = p + nl + 2, *q = memchr(v, '"', (size_t)(tag_end - v));
      if (!q)
        return false;
      xml_unescape(dst, dstsz, v, (size_t)(q - v));
      return true;
    }
  }
  dst[0] = '\0';
  return false;
}

/* The first open TCP port's <service> of an nmap -oX file. */
static bool parse_nmap_xml(const char *xml, struct verdict *v, uint16_t *portid)
{
  memset(v, 0, sizeof *v);
  const char *port = strstr(xml, "<port protocol=\"tcp\"");
  while (port) {
    const char *port_end = strstr(port, "</port>");
    const char *st = strstr(port, "<state state=\"open\"");
    if (port_end && st && st < port_end)
      break;
    port = port_end ? strstr(port_end, "<port protocol=\"tcp\"") : NULL;
  }
  if (!port)
    return false;
  const char *port_end = strstr(port, "</port>");
  const char *tag_end = strchr(port, '>');
  char num[16];
  xml_attr(port, tag_end, "portid", num, sizeof num);
  *portid = (uint16_t)atoi(num);
  const char *svc = strstr(port, "<service ");
  if (!svc || svc > port_end)
    return false;
  tag_end = strchr(svc, '>');
  if (!tag_end)
    return false;
  char tmp[32];
  xml_attr(svc, tag_end, "name", v->service, sizeof v->service);
  xml_attr(svc, tag_end, "product", v->product, sizeof v->product);
  xml_attr(svc, tag_end, "version", v->version, sizeof v->version);
  xml_attr(svc, tag_end, "extrainfo", v->extrainfo, sizeof v->extrainfo);
  xml_attr(svc, tag_end, "hostname", v->hostname, sizeof v->hostname);
  xml_attr(svc, tag_end, "ostype", v->ostype, sizeof v->ostype);
  xml_attr(svc, tag_end, "devicetype", v->devicetype, sizeof v->devicetype);
  xml_attr(svc, tag_end, "method", v->method, sizeof v->method);
  xml_attr(svc, tag_end, "conf", tmp, sizeof tmp);
  v->conf = atoi(tmp);
  xml_attr(svc, tag_end, "tunnel", tmp, sizeof tmp);
  v->tunnel_ssl = strcmp(tmp, "ssl") == 0;
  for (const char *c = strstr(tag_end, "<cpe>"); c && c < port_end; c = strstr(c + 5, "<cpe>")) {
    const char *ce = strstr(c, "</cpe>");
    if (!ce)
      break;
    size_t used = strlen(v->cpe);
    if (used && used + 1 < sizeof v->cpe)
      v->cpe[used++] = ' ';
    xml_unescape(v->cpe + used, sizeof v->cpe - used, c + 5, (size_t)(ce - c - 5));
  }
  return v->service[0] != '\0';
}

/* ---- nmap's probe payloads and port table -------------------------------- */

/* Probe string escapes of nmap-service-probes (\0 \a.. \xHH \<punct>). */
static size_t probe_unescape(const char *s, size_t n, uint8_t *out)
{
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] != '\\' || i + 1 >= n) {
      out[o++] = (uint8_t)s[i];
      continue;
    }
    char c = s[++i];
    switch (c) {
    case '0': out[o++] = 0; break;
    case 'a': out[o++] = 7; break;
    case 'b': out[o++] = 8; break;
    case 'f': out[o++] = 12; break;
    case 'n': out[o++] = 10; break;
    case 'r': out[o++] = 13; break;
    case 't': out[o++] = 9; break;
    case 'v': out[o++] = 11; break;
    case 'x':
      if (i + 2 < n + 0 && isxdigit((unsigned char)s[i + 1]) && isxdigit((unsigned char)s[i + 2])) {
        char hex[3] = {s[i + 1], s[i + 2], 0};
        out[o++] = (uint8_t)strtoul(hex, NULL, 16);
        i += 2;
      }
      break;
    default: out[o++] = (uint8_t)c; break;
    }
  }
  return o;
}

/* Payload of "Probe TCP <name> q|...|"; NULL if there is no such probe. */
static uint8_t *probe_payload(const char *probes_path, const char *name, uint32_t *len)
{
  FILE *f = fopen(probes_path, "r");
  if (!f)
    return NULL;
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  uint8_t *out = NULL;
  size_t nl = strlen(name);
  while (!out && (n = getline(&line, &cap, f)) > 0) {
    if (strncmp(line, "Probe TCP ", 10) != 0 || strncmp(line + 10, name, nl) != 0 ||
        line[10 + nl] != ' ' || line[11 + nl] != 'q')
      continue;
    char delim = line[12 + nl];
    const char *start = line + 13 + nl, *end = strchr(start, delim);
    if (!end)
      break;
    out = xmalloc((size_t)(end - start) + 1);
    *len = (uint32_t)probe_unescape(start, (size_t)(end - start), out);
  }
  free(line);
  fclose(f);
  return out;
}

/* "match" or "softmatch": the directive on line `line` of the probes file
 * (NULL if there is no such line or it is neither). */
static const char *rule_kind(const char *probes_path, unsigned line)
{
  FILE *f = fopen(probes_path, "r");
  if (!f)
    return NULL;
  char *text = NULL;
  size_t cap = 0;
  const char *kind = NULL;
  for (unsigned n = 1; getline(&text, &cap, f) > 0; n++) {
    if (n < line)
      continue;
    kind = strncmp(text, "softmatch ", 10) == 0 ? "softmatch"
         : strncmp(text, "match ", 6) == 0      ? "match"
                                                : NULL;
    break;
  }
  free(text);
  fclose(f);
  return kind;
}

struct port_table {
  char (*name)[32];
  uint16_t *port;
  double *freq;
  size_t n;
};

static void port_table_load(struct port_table *pt, const char *path)
{
  memset(pt, 0, sizeof *pt);
  FILE *f = fopen(path, "r");
  if (!f) {
    warn("%s: %s (servers keep their recorded ports)", path, strerror(errno));
    return;
  }
  size_t cap = 0;
  char line[512];
  while (fgets(line, sizeof line, f)) {
    char nm[32];
    unsigned port;
    char proto[8];
    double freq;
    if (line[0] == '#' || sscanf(line, "%31s %u/%7s %lf", nm, &port, proto, &freq) != 4 ||
        strcmp(proto, "tcp") != 0)
      continue;
    if (pt->n == cap) {
      cap = cap ? cap * 2 : 4096;
      pt->name = xrealloc(pt->name, cap * sizeof *pt->name);
      pt->port = xrealloc(pt->port, cap * sizeof *pt->port);
      pt->freq = xrealloc(pt->freq, cap * sizeof *pt->freq);
    }
    memcpy(pt->name[pt->n], nm, sizeof nm);
    pt->port[pt->n] = (uint16_t)port;
    pt->freq[pt->n] = freq;
    pt->n++;
  }
  fclose(f);
}

/* The most used TCP port of a service name, 0 if unknown. */
static uint16_t port_table_port(const struct port_table *pt, const char *service)
{
  uint16_t best = 0;
  double bf = -1;
  for (size_t i = 0; i < pt->n; i++)
    if (strcmp(pt->name[i], service) == 0 && pt->freq[i] > bf) {
      bf = pt->freq[i];
      best = pt->port[i];
    }
  return best;
}

/* ---- Service catalogue ---------------------------------------------------- */

struct blob {
  uint8_t *b;
  uint32_t len;
};

struct service {
  char name[128];             /* fixture directory (or builtin:<x>) */
  char probe[64];             /* probe that drew the response */
  struct verdict v;           /* nmap -sV on the recorded server */
  bool server_first;          /* NULL probe: the server speaks first */
  uint32_t banner_len;        /* client-first after a banner: the response's
                                 first banner_len bytes came before the request */
  struct blob req;            /* client's first bytes (client-first) */
  struct blob followup;       /* client's answer to a banner (server-first) */
  struct blob *resp;          /* response variants (same head, sizes differ) */
  uint32_t n_resp;
  struct blob bulk;           /* big variant for downloads (HTTP), or empty */
  uint16_t port;              /* usual port of the service */
  double weight;              /* share of flows */
  uint32_t first_ep, n_ep;    /* its endpoints in gen.ep[] */
  double *ep_cum;             /* popularity of its endpoints (cumulative) */
  /* How its bytes vary per flow (realistic mode). */
  enum vary_kind { V_NONE, V_HTTP, V_SSH, V_MYSQL, V_TLS, V_BINARY } vary;
  uint32_t kex_cookie_at;     /* V_SSH: offset of the KEXINIT cookie in resp[0], 0 = none */
  int binary;                 /* V_BINARY: which of the N_BINARY protocols */
  bool long_ok;               /* may carry long-lived sessions */
};

/* Relative shares of flows per nmap service name (split among fixtures). */
static double service_weight(const char *svc)
{
  static const struct { const char *name; double w; } tab[] = {
    {"http", 16}, {"ssh", 8}, {"smtp", 5}, {"ftp", 4}, {"pop3", 3}, {"imap", 3},
    {"mysql", 6}, {"redis", 2}, {"memcached", 2}, {"postgresql", 4}, {"vnc", 2},
    {"https", 4}, {"ssl", 5}, {"domain", 2}, {"ldap", 2}};
  for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
    if (strcmp(tab[i].name, svc) == 0)
      return tab[i].w;
  return 1.5;
}

/* What a client says after a server-first banner (the first line real
 * clients send); NULL where that would be a binary login we do not model. */
static const char *followup_for(const char *svc)
{
  static const struct { const char *name, *text; } tab[] = {
    {"ssh", "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"},
    {"smtp", "EHLO client.example.net\r\n"}, {"ftp", "USER anonymous\r\n"},
    {"pop3", "CAPA\r\n"}, {"imap", "a001 CAPABILITY\r\n"}, {"nntp", "CAPABILITIES\r\n"},
    {"vnc", "RFB 003.008\n"}, {"rsync", "@RSYNCD: 31.0 sha512 sha256 sha1 md5 md4\n"},
    {"telnet", "\xff\xfd\x03"}};
  for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
    if (strcmp(tab[i].name, svc) == 0)
      return tab[i].text;
  return NULL;
}

static void blob_set(struct blob *b, const void *p, size_t n)
{
  b->b = xmalloc(n);
  memcpy(b->b, p, n);
  b->len = (uint32_t)n;
}

static const uint8_t *mem_find(const uint8_t *h, size_t hn, const char *needle)
{
  size_t nn = strlen(needle);
  for (size_t i = 0; nn <= hn && i + nn <= hn; i++)
    if (memcmp(h + i, needle, nn) == 0)
      return h + i;
  return NULL;
}

/* An HTTP response of the same server with a body of about `body` bytes:
 * the recorded head and body are kept; filler text goes before </body> (or
 * at the end) and Content-Length is rewritten. false if the response has no
 * Content-Length (chunked, or not HTTP). */
static bool http_resize(const struct blob *orig, uint32_t body, struct blob *out)
{
  static const char filler[] =
    "<p>Quarterly maintenance window for the plant historian and the HMI "
    "servers: line 3 PLC firmware update, badge readers in building B, and "
    "the new backup schedule for the engineering workstations.</p>\n";
  const uint8_t *r = orig->b;
  size_t n = orig->len;
  const uint8_t *hend = mem_find(r, n, "\r\n\r\n");
  if (!hend || n < 13 || memcmp(r, "HTTP/1.", 7) != 0 || memcmp(r + 8, " 200 ", 5) != 0)
    return false; /* only pages vary in size; error pages stay as recorded */
  size_t head = (size_t)(hend - r) + 4, obody = n - head;
  const uint8_t *cl = NULL;
  for (const uint8_t *p = r; p + 16 < hend; p++)
    if (p[0] == '\n' && strncasecmp((const char *)p + 1, "Content-Length:", 15) == 0) {
      cl = p + 1;
      break;
    }
  if (!cl)
    return false;
  const uint8_t *num = cl + 15;
  while (num < hend && *num == ' ')
    num++;
  const uint8_t *num_end = num;
  while (num_end < hend && isdigit(*num_end))
    num_end++;
  if ((size_t)strtoul((const char *)num, NULL, 10) != obody || num_end == num)
    return false; /* body not all there: leave it alone */
  size_t add = body > obody ? body - obody : 0;
  const uint8_t *ins = mem_find(r + head, obody, "</body>");
  size_t ins_at = ins ? (size_t)(ins - r) : n;
  char lenbuf[24];
  int ll = snprintf(lenbuf, sizeof lenbuf, "%zu", obody + add);
  size_t outn = n + add - (size_t)(num_end - num) + (size_t)ll;
  uint8_t *o = xmalloc(outn), *w = o;
  memcpy(w, r, (size_t)(num - r));
  w += num - r;
  memcpy(w, lenbuf, (size_t)ll);
  w += ll;
  memcpy(w, num_end, ins_at - (size_t)(num_end - r));
  w += ins_at - (size_t)(num_end - r);
  for (size_t i = 0; i < add; i++)
    *w++ = (uint8_t)filler[i % (sizeof filler - 1)];
  memcpy(w, r + ins_at, n - ins_at);
  w += n - ins_at;
  out->b = o;
  out->len = (uint32_t)(w - o);
  return true;
}

struct catalogue {
  struct service *s;
  size_t n;
  double *cum;   /* cumulative weights */
  double p_mid;  /* chance that a client-first flow is joined mid-stream */
};

static void add_service(struct catalogue *cat, const struct service *svc)
{
  cat->s = xrealloc(cat->s, (cat->n + 1) * sizeof *cat->s);
  cat->s[cat->n++] = *svc;
}

static int cmp_str(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One fixture directory; false (with a warning) if it is unusable. */
static bool load_fixture(const char *dir, const char *name, const char *probes,
                         struct service *svc)
{
  char path[4096];
  size_t n;
  memset(svc, 0, sizeof *svc);
  snprintf(svc->name, sizeof svc->name, "%s", name);
  snprintf(path, sizeof path, "%s/%s/proto", dir, name);
  uint8_t *b = read_file(path, &n);
  bool tcp = b && n >= 3 && memcmp(b, "tcp", 3) == 0;
  free(b);
  if (!tcp)
    return false; /* UDP fixtures are not part of this workload */
  snprintf(path, sizeof path, "%s/%s/probe", dir, name);
  b = read_file(path, &n);
  if (!b) {
    warn("%s: %s", path, strerror(errno));
    return false;
  }
  while (n && isspace(b[n - 1]))
    n--;
  copy_text(svc->probe, sizeof svc->probe, (const char *)b, n);
  free(b);
  snprintf(path, sizeof path, "%s/%s/nmap.xml", dir, name);
  b = read_file(path, &n);
  uint16_t rec_port = 0;
  if (!b) {
    warn("%s: %s", path, strerror(errno));
    return false;
  }
  b = xrealloc(b, n + 1);
  b[n] = 0;
  bool ok = parse_nmap_xml((const char *)b, &svc->v, &rec_port);
  free(b);
  if (!ok) {
    warn("%s: no open TCP port with a <service> in it", path);
    return false;
  }
  snprintf(path, sizeof path, "%s/%s/response.bin", dir, name);
  b = read_file(path, &n);
  if (!b || n == 0) {
    warn("%s: %s", path, b ? "empty" : strerror(errno));
    free(b);
    return false;
  }
  svc->resp = xcalloc(1, sizeof *svc->resp);
  svc->resp[0].b = b;
  svc->resp[0].len = (uint32_t)n;
  svc->n_resp = 1;
  svc->port = rec_port;
  svc->server_first = strcmp(svc->probe, "NULL") == 0;
  /* match: "hard|soft RULEPROBE LINE SERVICE" */
  snprintf(path, sizeof path, "%s/%s/match", dir, name);
  if ((b = read_file(path, &n))) {
    char kind[8] = "", rprobe[64] = "";
    unsigned line = 0;
    b = xrealloc(b, n + 1);
    b[n] = 0;
    if (sscanf((const char *)b, "%7s %63s %u", kind, rprobe, &line) == 3) {
      /* The rule's own directive decides hard or soft. */
      const char *k = rule_kind(probes, line);
      if (k && strcmp(k, "softmatch") == 0 && strcmp(kind, "soft") != 0) {
        warn("%s: says %s, but %s line %u is a softmatch", path, kind, probes, line);
        snprintf(kind, sizeof kind, "soft");
      }
      snprintf(svc->v.match, sizeof svc->v.match, "%s", kind);
      snprintf(svc->v.rule, sizeof svc->v.rule, "%s:%u", rprobe, line);
    }
    free(b);
  }
  /* SOURCE says when a banner came before the probe on that connection. */
  snprintf(path, sizeof path, "%s/%s/SOURCE", dir, name);
  if (!svc->server_first && (b = read_file(path, &n))) {
    b = xrealloc(b, n + 1);
    b[n] = 0;
    const char *p = strstr((const char *)b, "(first ");
    unsigned k;
    if (p && sscanf(p, "(first %u bytes: the banner", &k) == 1 && k < svc->resp[0].len)
      svc->banner_len = k;
    free(b);
  }
  if (!svc->server_first) {
    snprintf(path, sizeof path, "%s/%s/request.bin", dir, name);
    b = read_file(path, &n);
    if (b && n) {
      svc->req.b = b;
      svc->req.len = (uint32_t)n;
    } else {
      free(b);
      svc->req.b = probe_payload(probes, svc->probe, &svc->req.len);
      if (!svc->req.b) {
        warn("%s: probe %s not found in %s", name, svc->probe, probes);
        return false;
      }
    }
  }
  return true;
}

static size_t load_fixtures(struct catalogue *cat, const char *dir, const char *probes)
{
  DIR *d = opendir(dir);
  if (!d)
    return 0;
  char **names = NULL;
  size_t nn = 0;
  struct dirent *de;
  while ((de = readdir(d))) {
    if (de->d_name[0] == '.')
      continue;
    names = xrealloc(names, (nn + 1) * sizeof *names);
    names[nn++] = strdup(de->d_name);
  }
  closedir(d);
  qsort(names, nn, sizeof *names, cmp_str); /* readdir order is not stable */
  size_t used = 0;
  for (size_t i = 0; i < nn; i++) {
    struct service svc;
    if (load_fixture(dir, names[i], probes, &svc)) {
      add_service(cat, &svc);
      used++;
    }
    free(names[i]);
  }
  free(names);
  return used;
}

/* Stand-ins used only while tests/fixtures/responses/ does not exist yet:
 * banners as the Debian 12 packages print them; verdicts as nmap 7.93's
 * rules give them. Their truth lines say "builtin:". */
static void load_builtin(struct catalogue *cat, const char *probes)
{
  static const struct {
    const char *name, *probe, *resp, *svc, *product, *version, *extrainfo, *ostype;
  } tab[] = {
    {"ssh", "NULL", "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n", "ssh", "OpenSSH",
     "9.2p1 Debian 2+deb12u3", "protocol 2.0", "Linux"},
    {"ftp", "NULL", "220 (vsFTPd 3.0.3)\r\n", "ftp", "vsftpd", "3.0.3", "", ""},
    {"smtp", "NULL", "220 mail.example.net ESMTP Postfix (Debian/GNU)\r\n", "smtp",
     "Postfix smtpd", "", "", ""},
    {"pop3", "NULL", "+OK Dovecot (Debian) ready.\r\n", "pop3", "Dovecot pop3d", "", "", ""},
    {"redis", "redis-server", "-NOAUTH Authentication required.\r\n", "redis",
     "Redis key-value store", "", "", ""},
    {"http", "GetRequest",
     "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Fri, 01 Mar 2024 00:00:00 GMT\r\n"
     "Content-Type: text/html\r\nContent-Length: 45\r\nLast-Modified: Fri, 01 Mar 2024 "
     "00:00:00 GMT\r\nConnection: close\r\nAccept-Ranges: bytes\r\n\r\n"
     "<html><body><h1>It works</h1></body></html>\n\n",
     "http", "nginx", "1.22.1", "", ""},
  };
  for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++) {
    struct service svc;
    memset(&svc, 0, sizeof svc);
    snprintf(svc.name, sizeof svc.name, "builtin:%s", tab[i].name);
    snprintf(svc.probe, sizeof svc.probe, "%s", tab[i].probe);
    struct verdict *v = &svc.v;
    snprintf(v->service, sizeof v->service, "%s", tab[i].svc);
    snprintf(v->product, sizeof v->product, "%s", tab[i].product);
    snprintf(v->version, sizeof v->version, "%s", tab[i].version);
    snprintf(v->extrainfo, sizeof v->extrainfo, "%s", tab[i].extrainfo);
    snprintf(v->ostype, sizeof v->ostype, "%s", tab[i].ostype);
    snprintf(v->method, sizeof v->method, "probed");
    snprintf(v->match, sizeof v->match, "hard");
    v->conf = 10;
    svc.server_first = strcmp(tab[i].probe, "NULL") == 0;
    svc.resp = xcalloc(1, sizeof *svc.resp);
    blob_set(&svc.resp[0], tab[i].resp, strlen(tab[i].resp));
    svc.n_resp = 1;
    if (!svc.server_first) {
      svc.req.b = probe_payload(probes, svc.probe, &svc.req.len);
      if (!svc.req.b)
        die("probe %s not in %s", svc.probe, probes);
    }
    add_service(cat, &svc);
  }
}

static void ssh_prepare(struct service *s);

/* Ports, weights, HTTP size variants, follow-ups. */
static void catalogue_finish(struct catalogue *cat, const struct port_table *pt, uint64_t seed,
                             bool vary)
{
  if (cat->n == 0)
    die("no usable service fixtures");
  for (size_t i = 0; i < cat->n; i++) {
    struct service *s = &cat->s[i];
    uint16_t p = port_table_port(pt, s->v.service);
    if (p)
      s->port = p;
    if (!s->port)
      s->port = (uint16_t)(10000 + i);
    if (vary && s->vary == V_NONE) {
      if (memcmp(s->resp[0].b, "HTTP/1.", s->resp[0].len < 7 ? s->resp[0].len : 7) == 0)
        s->vary = V_HTTP;
      else if (strcmp(s->v.service, "ssh") == 0)
        s->vary = V_SSH, ssh_prepare(s);
      else if (strcmp(s->v.service, "mysql") == 0 && s->resp[0].len > 5 && s->resp[0].b[4] == 10)
        s->vary = V_MYSQL;
      /* sessions that stay open: logins, databases, caches, directories */
      static const char *const lasting[] = {"ssh", "mysql", "redis", "memcached", "ldap",
                                            "telnet", "imap", "postgresql", "vnc"};
      for (size_t k = 0; k < sizeof lasting / sizeof lasting[0]; k++)
        s->long_ok |= strcmp(s->v.service, lasting[k]) == 0;
    }
    size_t same = 0;
    for (size_t j = 0; j < cat->n; j++)
      same += strcmp(cat->s[j].v.service, s->v.service) == 0;
    s->weight = service_weight(s->v.service) / (double)same;
    const char *fu = s->server_first ? followup_for(s->v.service) : NULL;
    if (fu)
      blob_set(&s->followup, fu, strlen(fu));
    /* Sizes 0.5-5 KB for HTTP responses (the recorded head unchanged). */
    struct blob orig = s->resp[0], var;
    if (!s->banner_len && http_resize(&orig, HTTP_MIN_BODY, &var)) {
      struct rng r;
      rng_seed(&r, seed, 0xb0d1e5ull + i);
      free(var.b);
      s->resp = xrealloc(s->resp, HTTP_VARIANTS * sizeof *s->resp);
      for (uint32_t k = 0; k < HTTP_VARIANTS; k++) {
        /* Small pages are the common case: log-size skewed to the low end. */
        double u = rng_unit(&r);
        uint32_t body = (uint32_t)(HTTP_MIN_BODY * pow(HTTP_MAX_BODY / (double)HTTP_MIN_BODY, u * u));
        if (!http_resize(&orig, body, &s->resp[k]))
          die("internal: http_resize");
      }
      s->n_resp = HTTP_VARIANTS;
      http_resize(&orig, 128 * 1024 + rng_below(&r, 128 * 1024), &s->bulk);
      free(orig.b);
    }
  }
  /* binary protocols: P_BINARY of all flows */
  double wk = 0;
  size_t nb = 0;
  for (size_t i = 0; i < cat->n; i++)
    if (cat->s[i].vary == V_BINARY)
      nb++;
    else
      wk += cat->s[i].weight;
  for (size_t i = 0; i < cat->n && nb; i++)
    if (cat->s[i].vary == V_BINARY)
      cat->s[i].weight = wk * P_BINARY / (1 - P_BINARY) / (double)nb;
  cat->cum = xmalloc(cat->n * sizeof *cat->cum);
  double acc = 0, cf = 0;
  for (size_t i = 0; i < cat->n; i++) {
    cat->cum[i] = (acc += cat->s[i].weight);
    cf += cat->s[i].server_first || cat->s[i].banner_len ? 0 : cat->s[i].weight;
  }
  /* P_MIDSTREAM of all flows, all of them client-first (capped at 30%). */
  cat->p_mid = cf > 0 ? P_MIDSTREAM * acc / cf : 0;
  if (cat->p_mid > 0.3)
    cat->p_mid = 0.3;
}

/* ---- Hosts, endpoints, clients -------------------------------------------- */

struct endpoint {
  uint32_t ip;               /* host order */
  uint16_t port;
  uint16_t svc;              /* index in the catalogue */
  uint8_t ttl;
  bool ts;                   /* TCP timestamps */
  int32_t svc2;              /* program after the change, -1 if none */
  uint64_t change_t;         /* capture time of the change (us since START_EPOCH) */
  /* Truth counters. */
  uint64_t flows, flows_srv, flows_ident, flows_mid;
  uint64_t flows_srv1, flows_srv2; /* flows with server bytes before / after the change */
};

struct client {
  uint32_t ip;
  uint16_t next_port;
  uint8_t ttl;               /* as seen at the tap */
  bool ts;
  uint16_t mss;
};

/* Closed or silent ports, for the truth's C lines. */
struct closed_port {
  uint32_t ip;
  uint16_t port;
  uint64_t rst_flows, silent_flows;
};

/* Open-addressing set of (ip, port) -> index. */
struct ipport_map {
  uint64_t *key;             /* ip << 16 | port, plus one; 0 = empty */
  uint32_t *val;
  size_t cap;
};

static void map_init(struct ipport_map *m, size_t want)
{
  m->cap = 1;
  while (m->cap < want * 2)
    m->cap <<= 1;
  m->key = xcalloc(m->cap, sizeof *m->key);
  m->val = xcalloc(m->cap, sizeof *m->val);
}

static size_t map_slot(const struct ipport_map *m, uint32_t ip, uint16_t port)
{
  uint64_t k = ((uint64_t)ip << 16 | port) + 1;
  size_t i = (size_t)((k * 0x9e3779b97f4a7c15ull) >> 20) & (m->cap - 1);
  while (m->key[i] && m->key[i] != k)
    i = (i + 1) & (m->cap - 1);
  return i;
}

static bool map_get(const struct ipport_map *m, uint32_t ip, uint16_t port, uint32_t *val)
{
  size_t i = map_slot(m, ip, port);
  if (!m->key[i])
    return false;
  *val = m->val[i];
  return true;
}

static void map_put(struct ipport_map *m, uint32_t ip, uint16_t port, uint32_t val)
{
  size_t i = map_slot(m, ip, port);
  m->key[i] = ((uint64_t)ip << 16 | port) + 1;
  m->val[i] = val;
}

/* ---- One flow: its packets as a script ----------------------------------- */

enum flow_kind {
  FK_NORMAL, FK_NOCLOSE, FK_CLIENT_RST, FK_MIDSTREAM, FK_CONNECT_ONLY,
  FK_SYN_RST, FK_SYN_UNANSWERED, FK_COUNT
};

static const char *const kind_name[FK_COUNT] = {
  "normal", "noclose", "client_rst", "midstream", "connect_only", "syn_rst", "syn_unanswered"};

enum { TH_FIN = 1, TH_SYN = 2, TH_RST = 4, TH_PSH = 8, TH_ACK = 16 };
enum { OPT_NONE, OPT_TS, OPT_SYN };

struct step {
  uint64_t t;                /* capture time, microseconds since START_EPOCH */
  const uint8_t *data;       /* payload, borrowed from the catalogue */
  uint32_t seq, ack, tsval, tsecr;
  uint16_t len;
  uint8_t dir;               /* 0 client->server, 1 server->client */
  uint8_t flags, opt;
};

struct flow {
  uint64_t id;
  uint32_t cip, sip;
  uint16_t cport, sport;
  uint16_t cmss, smss;
  uint8_t cttl, sttl;
  bool cts, sts;             /* each side offers timestamps */
  uint16_t ipid[2];
  int32_t ep;                /* endpoint index or -1 (closed/silent port) */
  uint8_t kind;
  uint64_t first_frame;      /* pcap frame number of its first packet (1-based) */
  struct step *steps;        /* owned, sorted by time */
  uint32_t n, cap, next;
  struct blob own[MAX_OWN];  /* this flow's varied bytes (capacity in .len) */
  uint32_t n_own;
};

struct side {
  uint32_t nxt;              /* next sequence number */
  uint32_t ts_base;          /* timestamp clock offset */
};

struct stats;

struct builder {
  struct flow *f;
  struct rng *r;
  struct stats *st;
  struct side sd[2];
  bool ts;                   /* both sides use timestamps */
  uint32_t mss;
  uint64_t rtt, proc;        /* tap<->client round trip; server reaction time */
};

static struct step *add_step(struct builder *b, uint64_t t, int dir, uint8_t flags,
                             const uint8_t *data, uint32_t len)
{
  struct flow *f = b->f;
  if (f->n == f->cap) {
    f->cap = f->cap ? f->cap * 2 : 32;
    f->steps = xrealloc(f->steps, f->cap * sizeof *f->steps);
  }
  struct step *s = &f->steps[f->n++];
  struct side *me = &b->sd[dir], *peer = &b->sd[!dir];
  s->t = t;
  s->data = data;
  s->len = (uint16_t)len;
  s->dir = (uint8_t)dir;
  s->flags = flags;
  s->seq = me->nxt;
  s->ack = (flags & TH_ACK) ? peer->nxt : 0;
  me->nxt += len + ((flags & (TH_SYN | TH_FIN)) ? 1u : 0u);
  s->opt = (flags & TH_SYN) ? OPT_SYN : (b->ts && !(flags & TH_RST)) ? OPT_TS : OPT_NONE;
  uint64_t seen = t > b->rtt ? t - b->rtt : 0;
  s->tsval = me->ts_base + (uint32_t)(t / 1000);
  s->tsecr = (flags & TH_ACK) ? peer->ts_base + (uint32_t)(seen / 1000) : 0;
  return s;
}

/* Delay before `dir` reacts to something that just crossed the tap: the
 * server sits next to the tap, the client an RTT away. */
static uint64_t react(const struct builder *b, int dir)
{
  return dir == 1 ? b->proc + rng_below(b->r, 200) : b->rtt + rng_below(b->r, 300);
}

/* `dir` sends len bytes: slow-start rounds of MSS segments, the receiver
 * ACKs every second segment and the last. Returns the time the receiver's
 * last ACK crosses the tap (the sender knows it is done then). */
static uint64_t send_data(struct builder *b, uint64_t t, int dir, const uint8_t *data,
                          uint32_t len)
{
  uint32_t off = 0, cwnd = 10, segs = 0;
  uint64_t last_ack = t, round_start = t;
  uint64_t rtt_data = dir == 1 ? b->rtt : b->proc; /* ACK delay of the receiver */
  while (off < len) {
    uint64_t ts = round_start;
    for (uint32_t k = 0; k < cwnd && off < len; k++) {
      uint32_t seg = len - off < b->mss ? len - off : b->mss;
      bool last = off + seg == len;
      add_step(b, ts, dir, TH_ACK | (last ? TH_PSH : 0), data + off, seg);
      off += seg;
      segs++;
      if (segs % 2 == 0 || last) {
        uint64_t at = ts + rtt_data + rng_below(b->r, 100);
        last_ack = at > last_ack ? at : last_ack + 1; /* ACKs leave in order */
        add_step(b, last_ack, !dir, TH_ACK, NULL, 0)->ack = b->sd[dir].nxt;
      }
      ts += 12 + rng_below(b->r, 20); /* back-to-back at about 1 Gb/s */
    }
    round_start = (ts > round_start + b->rtt ? ts : round_start + b->rtt);
    if (cwnd < 64)
      cwnd *= 2;
  }
  return last_ack;
}

static int cmp_step_time(const void *a, const void *b)
{
  const struct step *x = a, *y = b;
  return (x->t > y->t) - (x->t < y->t);
}

/* Stable sort by time (insertion sort: scripts are short and nearly sorted). */
static void sort_steps(struct flow *f)
{
  for (uint32_t i = 1; i < f->n; i++) {
    struct step s = f->steps[i];
    uint32_t j = i;
    while (j > 0 && cmp_step_time(&f->steps[j - 1], &s) > 0) {
      f->steps[j] = f->steps[j - 1];
      j--;
    }
    f->steps[j] = s;
  }
}

static void flow_anomalies(struct builder *b);

/* Closing sequence (FIN both ways, or the client's RST) from time t. */
static void close_flow(struct builder *b, uint64_t t, bool client_rst)
{
  if (client_rst) {
    add_step(b, t, 0, TH_RST | TH_ACK, NULL, 0);
    return;
  }
  int first = rng_chance(b->r, 0.5) ? 0 : 1;
  add_step(b, t, first, TH_FIN | TH_ACK, NULL, 0);
  t += react(b, !first);
  add_step(b, t, !first, TH_FIN | TH_ACK, NULL, 0);
  t += react(b, first);
  add_step(b, t, first, TH_ACK, NULL, 0);
}

/* ---- The generator ------------------------------------------------------- */

struct options {
  double scale;
  uint64_t seed;
  uint32_t servers, clients;
  double duration_s;         /* 0 = BASE_DURATION_S * scale */
  const char *out, *truth, *flows_out, *fixtures, *probes, *services;
  bool list;
  bool identical;            /* the recorded bytes as they are (issue 7's capture) */
};

struct stats {
  uint64_t packets, bytes, frames_out;
  uint64_t kind[FK_COUNT];
  uint64_t flows_srv, flows_ident, flows_retrans, flows_reorder, flows_keepalive, flows_bulk;
  uint64_t flows_long, flows_binary, flows_tls, flows_changed_ep;
  uint64_t open_now, open_max, open_samples, open_sum;
  uint64_t first_t, last_t;
};

struct gen {
  struct options o;
  struct catalogue cat;
  struct endpoint *ep;
  uint32_t n_ep;
  uint32_t *hosts;           /* server host addresses */
  uint32_t n_hosts;
  struct client *cl;
  double *cl_cum;
  struct ipport_map ep_map, closed_map;
  struct closed_port *closed;
  uint32_t n_closed, cap_closed;
  /* Scheduler: a binary heap of flows keyed by (next step time, id). */
  struct flow **heap;
  size_t n_heap, cap_heap;
  struct flow **pool;        /* finished flows for reuse */
  size_t n_pool, cap_pool;
  /* Output. */
  int fd;
  uint8_t *buf;
  size_t buf_len, buf_cap;
  FILE *flows_f;
  struct stats st;
  uint8_t *rnd;              /* POOL_BYTES random bytes */
  char *text;                /* TEXT_BYTES of random lower-case words */
  struct blob certs[8];      /* bench/data/certs/srv*.der, for the TLS servers */
  uint32_t n_certs;
};

static uint32_t ip4(unsigned a, unsigned b, unsigned c, unsigned d)
{
  return (uint32_t)a << 24 | (uint32_t)b << 16 | (uint32_t)c << 8 | d;
}

static void ip_text(uint32_t ip, char out[16])
{
  snprintf(out, 16, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
}

/* Server hosts in 172.16.0.0/12, endpoints spread over them, popularity
 * Zipf-like within each service; clients in 10.0.0.0/8, mildly skewed. */
static void build_topology(struct gen *g)
{
  struct rng r;
  rng_seed(&r, g->o.seed, 1);
  g->n_hosts = g->o.servers * 7 / 10 + 1;
  g->hosts = xmalloc(g->n_hosts * sizeof *g->hosts);
  for (uint32_t i = 0; i < g->n_hosts; i++)
    g->hosts[i] = ip4(172, 16 + (i / 62500) % 16, (i / 250) % 250, 1 + i % 250);
  g->n_ep = g->o.servers;
  g->ep = xcalloc(g->n_ep, sizeof *g->ep);
  map_init(&g->ep_map, g->n_ep);
  map_init(&g->closed_map, (g->n_hosts + DEAD_HOSTS) * N_SCANNED);

  /* Endpoints per service in proportion to its weight (at least 2). */
  struct catalogue *cat = &g->cat;
  double wsum = cat->cum[cat->n - 1];
  uint32_t given = 0;
  for (size_t i = 0; i < cat->n; i++) {
    uint32_t k = (uint32_t)(g->n_ep * cat->s[i].weight / wsum);
    cat->s[i].n_ep = k < 2 ? 2 : k;
    given += cat->s[i].n_ep;
  }
  /* Adjust the largest share so the total is exactly n_ep. */
  size_t big = 0;
  for (size_t i = 1; i < cat->n; i++)
    if (cat->s[i].n_ep > cat->s[big].n_ep)
      big = i;
  if (given > g->n_ep && cat->s[big].n_ep <= given - g->n_ep + 2)
    die("--servers %u is too few for %zu services", g->o.servers, cat->n);
  cat->s[big].n_ep = cat->s[big].n_ep + g->n_ep - given;

  uint32_t e = 0;
  for (size_t i = 0; i < cat->n; i++) {
    struct service *s = &cat->s[i];
    s->first_ep = e;
    s->ep_cum = xmalloc(s->n_ep * sizeof *s->ep_cum);
    double acc = 0;
    for (uint32_t k = 0; k < s->n_ep; k++, e++) {
      struct endpoint *ep = &g->ep[e];
      ep->svc = (uint16_t)i;
      ep->ts = rng_chance(&r, 0.9);
      ep->ttl = ep->ts ? 64 : 128;
      uint32_t dummy;
      do {
        ep->ip = g->hosts[rng_below(&r, g->n_hosts)];
        ep->port = rng_chance(&r, P_ODD_PORT) ? (uint16_t)(1024 + rng_below(&r, 40000))
                                              : s->port;
      } while (map_get(&g->ep_map, ep->ip, ep->port, &dummy));
      map_put(&g->ep_map, ep->ip, ep->port, e);
      s->ep_cum[k] = (acc += 1.0 / pow(k + 1.0, 0.9));
    }
  }

  /* Realistic mode: a few endpoints change program once (another recorded
   * server of the same service on the same port: nginx -> Apache, OpenSSH
   * -> Dropbear), somewhere in the middle of the capture. */
  struct rng cr;
  rng_seed(&cr, g->o.seed, 6);
  double dur = g->o.duration_s > 0 ? g->o.duration_s : BASE_DURATION_S * g->o.scale;
  for (uint32_t i = 0; i < g->n_ep; i++) {
    struct endpoint *ep = &g->ep[i];
    ep->svc2 = -1;
    if (g->o.identical || !rng_chance(&cr, P_CHANGE_EP))
      continue;
    const struct service *s = &cat->s[ep->svc];
    uint32_t cand[64], nc = 0;
    for (size_t k = 0; k < cat->n && nc < 64; k++)
      if (k != ep->svc && s->v.service[0] && strcmp(cat->s[k].v.service, s->v.service) == 0)
        cand[nc++] = (uint32_t)k;
    if (!nc)
      continue;
    ep->svc2 = (int32_t)cand[rng_below(&cr, nc)];
    ep->change_t = (uint64_t)(dur * 1e6 * (0.2 + 0.6 * rng_unit(&cr)));
  }

  g->cl = xcalloc(g->o.clients, sizeof *g->cl);
  g->cl_cum = xmalloc(g->o.clients * sizeof *g->cl_cum);
  double acc = 0;
  for (uint32_t i = 0; i < g->o.clients; i++) {
    struct client *c = &g->cl[i];
    uint32_t blk = i / 250;
    c->ip = ip4(10, (blk >> 8) & 255, blk & 255, 1 + i % 250);
    c->ts = rng_chance(&r, 0.8);
    c->ttl = (uint8_t)((c->ts ? 64 : 128) - 1 - rng_below(&r, 12));
    c->mss = rng_chance(&r, 0.05) ? 1360 : 1460;
    c->next_port = (uint16_t)(32768 + rng_below(&r, 28232));
    g->cl_cum[i] = (acc += 1.0 / pow(i + 1.0, 0.4));
  }
}

static struct closed_port *closed_get(struct gen *g, uint32_t ip, uint16_t port)
{
  uint32_t idx;
  if (map_get(&g->closed_map, ip, port, &idx))
    return &g->closed[idx];
  if (g->n_closed == g->cap_closed) {
    g->cap_closed = g->cap_closed ? g->cap_closed * 2 : 1024;
    g->closed = xrealloc(g->closed, g->cap_closed * sizeof *g->closed);
  }
  if (g->n_closed + 1 > g->closed_map.cap / 2)
    die("too many closed ports");
  idx = g->n_closed++;
  g->closed[idx] = (struct closed_port){.ip = ip, .port = port};
  map_put(&g->closed_map, ip, port, idx);
  return &g->closed[idx];
}

static enum flow_kind pick_kind(struct rng *r, bool client_first, double p_mid)
{
  double u = rng_unit(r);
  const double p[] = {P_SYN_UNANSWERED, P_SYN_RST, P_CONNECT_ONLY, P_NOCLOSE, P_CLIENT_RST};
  const enum flow_kind k[] = {FK_SYN_UNANSWERED, FK_SYN_RST, FK_CONNECT_ONLY, FK_NOCLOSE,
                              FK_CLIENT_RST};
  for (size_t i = 0; i < sizeof p / sizeof p[0]; i++) {
    if (u < p[i])
      return k[i];
    u -= p[i];
  }
  /* Mid-stream only where the server's bytes answer a request we can show. */
  if (client_first && u < p_mid)
    return FK_MIDSTREAM;
  return FK_NORMAL;
}

/* A port nothing listens on: closed (RST) or silent (no answer). */
static void pick_dead_port(struct gen *g, struct rng *r, uint32_t *ip, uint16_t *port)
{
  static const uint16_t scanned[N_SCANNED] = {23, 135, 139, 445, 1433, 3389, 5900, 8443,
                                              9100, 502};
  uint32_t dummy;
  do {
    uint32_t h = rng_below(r, DEAD_HOSTS);
    *ip = rng_chance(r, 0.3) ? ip4(172, 31, h / 250, 1 + h % 250)
                             : g->hosts[rng_below(r, g->n_hosts)];
    *port = scanned[rng_below(r, N_SCANNED)];
  } while (map_get(&g->ep_map, *ip, *port, &dummy));
}

/* ---- Realistic variation ---------------------------------------------------
 * Real servers do not send the same bytes twice: TLS server randoms and
 * session ids, SSH KEXINIT cookies, MySQL thread ids and scrambles, HTTP
 * Date headers, status codes and bodies differ from one connection to the
 * next. By default every flow gets its own bytes where the real program's
 * would differ (the parts nmap's rules read stay as recorded), and around
 * the recorded services: a TLS service, binary protocols with random
 * content that no rule identifies, endpoints whose program changes once,
 * and long-lived sessions. --identical turns all of this off: the bytes
 * are then those of issue 7's capture, byte for byte. */

/* A fresh buffer of len bytes owned by the flow (valid until it is reused). */
static uint8_t *flow_buf(struct flow *f, uint32_t len)
{
  if (f->n_own == MAX_OWN)
    die("internal: more than %d varied buffers in one flow", MAX_OWN);
  struct blob *b = &f->own[f->n_own++];
  if (b->len < len) {
    b->b = xrealloc(b->b, len);
    b->len = len;
  }
  return b->b;
}

static void rand_bytes(struct rng *r, uint8_t *p, size_t n)
{
  for (size_t i = 0; i < n; i += 8) {
    uint64_t x = rng_next(r);
    size_t k = n - i < 8 ? n - i : 8;
    memcpy(p + i, &x, k);
  }
}

/* n random bytes (n <= POOL_BYTES / 2), cut from the pool. */
static const uint8_t *pool_cut(const struct gen *g, struct rng *r, uint32_t n)
{
  return g->rnd + rng_below(r, POOL_BYTES - n);
}

static void fill_pools(struct gen *g)
{
  for (int i = 0; i < 8; i++) {
    char path[4200];
    size_t n;
    snprintf(path, sizeof path, "%s/bench/data/certs/srv%d.der", SVP_SOURCE_DIR, i + 1);
    uint8_t *b = read_file(path, &n);
    if (b && n > 4 && n < 4000 && b[0] == 0x30 && b[1] == 0x82) {
      g->certs[g->n_certs].b = b;
      g->certs[g->n_certs++].len = (uint32_t)n;
    } else {
      free(b);
    }
  }
  if (!g->n_certs)
    warn("no certificates in %s/bench/data/certs: TLS servers send random ones", SVP_SOURCE_DIR);
  struct rng r;
  rng_seed(&r, g->o.seed, 4);
  g->rnd = xmalloc(POOL_BYTES);
  rand_bytes(&r, g->rnd, POOL_BYTES);
  static const char *const words[] = {
    "plant", "historian", "line", "firmware", "update", "badge", "reader", "backup",
    "schedule", "engineering", "workstation", "the", "and", "of", "for", "a", "with",
    "maintenance", "window", "quarterly", "report", "pump", "valve", "sensor", "alarm",
    "shift", "operator", "network", "switch", "server", "room", "cooling", "order"};
  g->text = xmalloc(TEXT_BYTES);
  size_t o = 0;
  while (o < TEXT_BYTES) {
    const char *w = words[rng_below(&r, sizeof words / sizeof words[0])];
    for (; *w && o < TEXT_BYTES; w++)
      g->text[o++] = *w;
    if (o < TEXT_BYTES)
      g->text[o++] = rng_chance(&r, 0.08) ? '\n' : ' ';
  }
}

static size_t put_text(const struct gen *g, struct rng *r, uint8_t *w, size_t n)
{
  size_t from = rng_below(r, TEXT_BYTES - (uint32_t)n);
  memcpy(w, g->text + from, n);
  return n;
}

/* "Fri, 01 Mar 2024 00:00:00 GMT" for capture time t (29 characters). */
static void http_date(uint64_t t, char out[32])
{
  time_t s = (time_t)(START_EPOCH + t / 1000000);
  struct tm tm;
  gmtime_r(&s, &tm);
  strftime(out, 32, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

static bool hdr_is(const uint8_t *line, size_t n, const char *name)
{
  size_t k = strlen(name);
  return n > k && strncasecmp((const char *)line, name, k) == 0;
}

/* An HTTP response as the same server would send it to this flow: status
 * 200 (most), 304, 404 or 301; today's Date; a new ETag; a body of its own
 * length and words. The Server header and every other header stay as
 * recorded. A response that is not a page (a proxy's error) only gets its
 * Date. */
static struct blob vary_http(struct gen *g, struct flow *f, struct rng *r,
                             const struct blob *in, uint64_t t)
{
  const uint8_t *p = in->b, *hend = mem_find(p, in->len, "\r\n\r\n");
  char date[32];
  http_date(t, date);
  if (!hend || in->len < 13) {
    struct blob out = {flow_buf(f, in->len), in->len};
    memcpy(out.b, p, in->len);
    return out;
  }
  size_t head = (size_t)(hend - p) + 4, obody = in->len - head;
  bool page = memcmp(p + 8, " 200 ", 5) == 0;
  int code = 200;
  if (page) {
    double u = rng_unit(r);
    code = u < 0.82 ? 200 : u < 0.91 ? 304 : u < 0.97 ? 404 : 301;
  }
  static const char open[] = "<!DOCTYPE html>\n<html><head><title>", mid[] =
    "</title></head>\n<body>\n", close_[] = "</body>\n</html>\n", tail[] =
    "</p></body></html>\r\n\r\n";
  char pre[128];
  int k = snprintf(pre, sizeof pre, "<html><head><title>%s</title></head><body><h1>%s</h1><p>",
                   code == 404 ? "404 Not Found" : "301 Moved Permanently",
                   code == 404 ? "Not Found" : "Moved Permanently");
  uint32_t body = (uint32_t)obody, fixed = 0;
  if (page && code == 200) {
    double u = rng_unit(r);
    body = (uint32_t)(HTTP_MIN_BODY / 2 * pow(4.0 * HTTP_MAX_BODY / HTTP_MIN_BODY, u * u));
    fixed = (uint32_t)(sizeof open - 1 + 24 + sizeof mid - 1 + sizeof close_ - 1);
  } else if (code == 404 || code == 301) {
    body = 120 + rng_below(r, 200);
    fixed = (uint32_t)k + (uint32_t)sizeof tail - 1;
  } else if (code == 304) {
    body = 0;
  }
  if (body < fixed)
    body = fixed;
  uint8_t *o = flow_buf(f, (uint32_t)head + 256 + body), *w = o;
  const uint8_t *line = memchr(p, '\n', head);
  if (!page) {
    memcpy(w, p, head);
    w += head;
  } else {
    static const char *const reason[] = {[0] = "OK", [1] = "Not Modified", [2] = "Not Found",
                                         [3] = "Moved Permanently"};
    int ri = code == 200 ? 0 : code == 304 ? 1 : code == 404 ? 2 : 3;
    w += sprintf((char *)w, "%.8s %d %s\r\n", (const char *)p, code, reason[ri]);
  }
  /* headers, one line at a time (after the status line) */
  for (const uint8_t *l = line + 1; l < hend + 2;) {
    const uint8_t *e = memchr(l, '\n', (size_t)(hend + 2 - l));
    if (!e)
      break;
    size_t n = (size_t)(e - l) + 1; /* with its CRLF */
    uint8_t *dst = page ? w : o + (l - p);
    if (hdr_is(l, n, "Date:") && n == 6 + 29 + 2) {
      memcpy(dst, "Date: ", 6);
      memcpy(dst + 6, date, 29);
      memcpy(dst + 35, "\r\n", 2);
      if (page)
        w += n;
    } else if (!page) {
      /* as recorded */
    } else if (hdr_is(l, n, "Content-Length:")) {
      if (code != 304)
        w += sprintf((char *)w, "Content-Length: %u\r\n", body);
    } else if (hdr_is(l, n, "ETag:")) {
      w += sprintf((char *)w, "ETag: \"%llx-%x\"\r\n",
                   (unsigned long long)(rng_next(r) & 0xffffffffffull),
                   body);
    } else if (code != 200 && (hdr_is(l, n, "Last-Modified:") || hdr_is(l, n, "Accept-Ranges:"))) {
      /* an error or redirect has no such headers */
    } else {
      memcpy(w, l, n);
      w += n;
    }
    l = e + 1;
  }
  if (!page) {
    struct blob out = {o, in->len};
    memcpy(o + head, p + head, obody);
    return out;
  }
  if (code == 301)
    w += sprintf((char *)w, "Location: http://portal.example.net/p/%06x/\r\n",
                 rng_below(r, 1u << 24));
  memcpy(w, "\r\n", 2);
  w += 2;
  if (code == 404 || code == 301) {
    memcpy(w, pre, (size_t)k);
    w += k;
    w += put_text(g, r, w, body - fixed);
    memcpy(w, tail, sizeof tail - 1);
    w += sizeof tail - 1;
  } else if (code == 200) {
    memcpy(w, open, sizeof open - 1);
    w += sizeof open - 1;
    w += put_text(g, r, w, 24);
    memcpy(w, mid, sizeof mid - 1);
    w += sizeof mid - 1;
    w += put_text(g, r, w, body - fixed);
    memcpy(w, close_, sizeof close_ - 1);
    w += sizeof close_ - 1;
  }
  struct blob out = {o, (uint32_t)(w - o)};
  return out;
}

/* OpenSSH 9.2's KEXINIT name-lists (the order its server offers them). */
static const char *const kex_lists[10] = {
  "sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org,"
  "ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,"
  "diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,"
  "diffie-hellman-group18-sha512,diffie-hellman-group14-sha256,kex-strict-s-v00@openssh.com",
  "rsa-sha2-512,rsa-sha2-256,ecdsa-sha2-nistp256,ssh-ed25519",
  "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,"
  "aes256-gcm@openssh.com",
  "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,"
  "aes256-gcm@openssh.com",
  "umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,"
  "hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-64@openssh.com,"
  "umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1",
  "umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,"
  "hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-64@openssh.com,"
  "umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1",
  "none,zlib@openssh.com", "none,zlib@openssh.com", "", ""};

/* An SSH banner alone (what nmap kept of OpenSSH) gets the KEXINIT packet
 * the server sends right after it; the cookie's offset is remembered. */
static void ssh_prepare(struct service *s)
{
  struct blob *r = &s->resp[0];
  const uint8_t *nl = memchr(r->b, '\n', r->len);
  if (!nl || memcmp(r->b, "SSH-", 4) != 0)
    return;
  uint32_t at = (uint32_t)(nl - r->b) + 1;
  if (r->len >= at + 22 && r->b[at + 5] == 20) {
    s->kex_cookie_at = at + 6; /* the server sent its KEXINIT (dropbear) */
    return;
  }
  if (r->len != at)
    return;
  uint8_t payload[2048];
  size_t n = 0;
  payload[n++] = 20;
  memset(payload + n, 0, 16);
  n += 16;
  for (int i = 0; i < 10; i++) {
    uint32_t l = (uint32_t)strlen(kex_lists[i]);
    payload[n++] = (uint8_t)(l >> 24), payload[n++] = (uint8_t)(l >> 16);
    payload[n++] = (uint8_t)(l >> 8), payload[n++] = (uint8_t)l;
    memcpy(payload + n, kex_lists[i], l);
    n += l;
  }
  memset(payload + n, 0, 5); /* first_kex_packet_follows, reserved */
  n += 5;
  uint32_t pad = 8 - (uint32_t)((5 + n) % 8);
  if (pad < 4)
    pad += 8;
  uint32_t plen = (uint32_t)n + pad + 1;
  uint8_t *b = xmalloc(at + 4 + plen);
  memcpy(b, r->b, at);
  uint8_t *w = b + at;
  w[0] = (uint8_t)(plen >> 24), w[1] = (uint8_t)(plen >> 16), w[2] = (uint8_t)(plen >> 8);
  w[3] = (uint8_t)plen;
  w[4] = (uint8_t)pad;
  memcpy(w + 5, payload, n);
  memset(w + 5 + n, 0, pad);
  free(r->b);
  r->b = b;
  r->len = at + 4 + plen;
  s->kex_cookie_at = at + 6;
}

/* Copy of a recorded response with fresh random bytes at [at, at+n) ranges. */
static struct blob vary_copy(struct flow *f, const struct blob *in)
{
  struct blob out = {flow_buf(f, in->len), in->len};
  memcpy(out.b, in->b, in->len);
  return out;
}

static struct blob vary_ssh(struct flow *f, struct rng *r, const struct service *s,
                            const struct blob *in)
{
  struct blob out = vary_copy(f, in);
  if (s->kex_cookie_at && s->kex_cookie_at + 16 <= out.len)
    rand_bytes(r, out.b + s->kex_cookie_at, 16);
  return out;
}

/* MariaDB's greeting: thread id and the two halves of the scramble. */
static struct blob vary_mysql(struct flow *f, struct rng *r, const struct blob *in)
{
  struct blob out = vary_copy(f, in);
  uint8_t *p = out.b;
  const uint8_t *nul = out.len > 5 ? memchr(p + 5, 0, out.len - 5) : NULL;
  if (!nul)
    return out;
  size_t tid = (size_t)(nul - p) + 1, s1 = tid + 4, s2 = s1 + 8 + 1 + 2 + 1 + 2 + 2 + 1 + 10;
  if (s2 + 12 > out.len)
    return out;
  uint32_t id = 1000 + rng_below(r, 2000000);
  p[tid] = (uint8_t)id, p[tid + 1] = (uint8_t)(id >> 8), p[tid + 2] = (uint8_t)(id >> 16);
  p[tid + 3] = 0;
  for (size_t i = 0; i < 8; i++)
    p[s1 + i] = (uint8_t)(33 + rng_below(r, 94));
  for (size_t i = 0; i < 12; i++)
    p[s2 + i] = (uint8_t)(33 + rng_below(r, 94));
  return out;
}

static uint8_t *put_u16(uint8_t *w, uint32_t v)
{
  w[0] = (uint8_t)(v >> 8), w[1] = (uint8_t)v;
  return w + 2;
}

static uint8_t *put_u24(uint8_t *w, uint32_t v)
{
  w[0] = (uint8_t)(v >> 16), w[1] = (uint8_t)(v >> 8), w[2] = (uint8_t)v;
  return w + 3;
}

/* A TLS 1.2 ClientHello as a browser-like client sends it: its own random
 * and (half the time) a session id to resume, the host name in SNI. */
static struct blob tls_client_hello(struct flow *f, struct rng *r)
{
  static const uint8_t suites[] = {0x13, 0x01, 0x13, 0x02, 0x13, 0x03, 0xc0, 0x2b, 0xc0, 0x2f,
                                   0xc0, 0x2c, 0xc0, 0x30, 0xcc, 0xa9, 0xcc, 0xa8, 0xc0, 0x13,
                                   0xc0, 0x14, 0x00, 0x9c, 0x00, 0x9d, 0x00, 0x2f, 0x00, 0x35};
  static const uint8_t ext_rest[] = {
    0x00, 0x17, 0x00, 0x00,                                     /* extended master secret */
    0xff, 0x01, 0x00, 0x01, 0x00,                               /* renegotiation info */
    0x00, 0x0a, 0x00, 0x08, 0x00, 0x06, 0x00, 0x1d, 0x00, 0x17, 0x00, 0x18, /* groups */
    0x00, 0x0b, 0x00, 0x02, 0x01, 0x00,                         /* point formats */
    0x00, 0x23, 0x00, 0x00,                                     /* session ticket */
    0x00, 0x0d, 0x00, 0x0e, 0x00, 0x0c, 0x04, 0x03, 0x08, 0x04, 0x04, 0x01, 0x05, 0x03,
    0x08, 0x05, 0x05, 0x01};                                    /* signature algorithms */
  char host[40];
  int hl = snprintf(host, sizeof host, "www%u.example.net", rng_below(r, 500));
  uint8_t *o = flow_buf(f, 512), *w = o + 9; /* record and handshake headers later */
  w = put_u16(w, 0x0303);
  rand_bytes(r, w, 32);
  w += 32;
  bool resume = rng_chance(r, 0.5);
  *w++ = resume ? 32 : 0;
  if (resume) {
    rand_bytes(r, w, 32);
    w += 32;
  }
  w = put_u16(w, sizeof suites);
  memcpy(w, suites, sizeof suites);
  w += sizeof suites;
  *w++ = 1, *w++ = 0;
  uint8_t *ext_len = w;
  w += 2;
  w = put_u16(w, 0), w = put_u16(w, (uint32_t)hl + 5), w = put_u16(w, (uint32_t)hl + 3);
  *w++ = 0;
  w = put_u16(w, (uint32_t)hl);
  memcpy(w, host, (size_t)hl);
  w += hl;
  memcpy(w, ext_rest, sizeof ext_rest);
  w += sizeof ext_rest;
  put_u16(ext_len, (uint32_t)(w - ext_len - 2));
  uint32_t hs = (uint32_t)(w - o) - 9;
  o[0] = 0x16, o[1] = 3, o[2] = 1;
  put_u16(o + 3, hs + 4);
  o[5] = 1;
  put_u24(o + 6, hs);
  struct blob out = {o, (uint32_t)(w - o)};
  return out;
}

/* The server's first flight: ServerHello (its random, a session id),
 * Certificate (the endpoint's own, the same on every flow), an ECDHE
 * ServerKeyExchange (fresh key and signature), ServerHelloDone. */
static struct blob tls_server_flight(const struct gen *g, struct flow *f, struct rng *r,
                                     uint32_t ep)
{
  struct rng er;
  rng_seed(&er, g->o.seed, 7000000000ull + ep);
  uint32_t cert_len = 700 + rng_below(&er, 900);
  const uint8_t *cert = g->rnd + rng_below(&er, POOL_BYTES - cert_len);
  if (g->n_certs) { /* a real certificate; random bytes without them */
    cert = g->certs[ep % g->n_certs].b + 4;
    cert_len = g->certs[ep % g->n_certs].len - 4;
  }
  uint8_t *o = flow_buf(f, cert_len + 700), *w = o;
  /* ServerHello */
  static const uint8_t sh_ext[] = {0xff, 0x01, 0x00, 0x01, 0x00, 0x00, 0x0b, 0x00, 0x04, 0x03,
                                   0x00, 0x01, 0x02, 0x00, 0x17, 0x00, 0x00, 0x00, 0x23, 0x00,
                                   0x00};
  uint32_t sh = 2 + 32 + 1 + 32 + 2 + 1 + 2 + sizeof sh_ext;
  *w++ = 0x16, w = put_u16(w, 0x0303), w = put_u16(w, sh + 4);
  *w++ = 2, w = put_u24(w, sh), w = put_u16(w, 0x0303);
  rand_bytes(r, w, 64 + 1);
  w[32] = 32; /* session id length */
  w += 65;
  w = put_u16(w, 0xc02f);
  *w++ = 0;
  w = put_u16(w, sizeof sh_ext);
  memcpy(w, sh_ext, sizeof sh_ext);
  w += sizeof sh_ext;
  /* Certificate: one DER blob of the endpoint */
  *w++ = 0x16, w = put_u16(w, 0x0303), w = put_u16(w, cert_len + 4 + 3 + 3 + 4);
  *w++ = 11, w = put_u24(w, cert_len + 3 + 3 + 4), w = put_u24(w, cert_len + 3 + 4);
  w = put_u24(w, cert_len + 4);
  *w++ = 0x30, *w++ = 0x82, w = put_u16(w, cert_len);
  memcpy(w, cert, cert_len);
  w += cert_len;
  /* ServerKeyExchange: x25519... as secp256r1 point, RSA-PSS signature */
  uint32_t ske = 1 + 2 + 1 + 65 + 2 + 2 + 256;
  *w++ = 0x16, w = put_u16(w, 0x0303), w = put_u16(w, ske + 4);
  *w++ = 12, w = put_u24(w, ske);
  *w++ = 3, w = put_u16(w, 0x0017), *w++ = 65, *w++ = 4;
  rand_bytes(r, w, 64);
  w += 64;
  w = put_u16(w, 0x0804), w = put_u16(w, 256);
  rand_bytes(r, w, 256);
  w += 256;
  static const uint8_t done[] = {0x16, 0x03, 0x03, 0x00, 0x04, 0x0e, 0x00, 0x00, 0x00};
  memcpy(w, done, sizeof done);
  w += sizeof done;
  struct blob out = {o, (uint32_t)(w - o)};
  return out;
}

/* One TLS record of `type` carrying n random bytes (encrypted content). */
static struct blob tls_records(struct flow *f, struct rng *r, const uint8_t *pre, uint32_t npre,
                               uint8_t type, uint32_t n)
{
  uint8_t *o = flow_buf(f, npre + 5 + n), *w = o;
  memcpy(w, pre, npre);
  w += npre;
  *w++ = type, w = put_u16(w, 0x0303), w = put_u16(w, n);
  rand_bytes(r, w, n);
  struct blob out = {o, npre + 5 + n};
  return out;
}

/* The binary protocols nothing identifies: a two-byte magic of their own,
 * then (mostly) random bytes. 0: client-first, magic then length; 1:
 * server-first greeting; 2: client-first, one fixed byte then noise. */
static struct blob binary_msg(struct flow *f, struct rng *r, int proto, bool server,
                              uint32_t n)
{
  static const uint8_t magic[N_BINARY][2][2] = {
    {{0x7a, 0x01}, {0x7a, 0x81}}, {{0xc3, 0x5f}, {0xc3, 0x5e}}, {{0x97, 0x97}, {0x97, 0x98}}};
  /* nmap's NULL probe calls any 132-byte banner Nagios NSCA and any 264-byte
   * one LANDesk: lengths that a rule identifies by themselves are avoided */
  if (n + 4 == 132 || n + 4 == 264)
    n++;
  uint8_t *o = flow_buf(f, n + 4);
  o[0] = magic[proto][server][0];
  o[1] = magic[proto][server][1];
  put_u16(o + 2, n);
  rand_bytes(r, o + 4, n);
  if (proto == 2)
    o[2] = (uint8_t)(0x80 | o[2]); /* no length field: noise from the third byte */
  struct blob out = {o, n + 4};
  return out;
}

/* Synthetic services of the realistic mode, with the truth their rules give. */
static void add_synthetic(struct catalogue *cat)
{
  struct service s;
  memset(&s, 0, sizeof s);
  snprintf(s.name, sizeof s.name, "synthetic:tls");
  snprintf(s.probe, sizeof s.probe, "SSLSessionReq");
  snprintf(s.v.service, sizeof s.v.service, "ssl");
  snprintf(s.v.product, sizeof s.v.product, "TLSv1.2"); /* the generic ServerHello line */
  snprintf(s.v.method, sizeof s.v.method, "probed");
  snprintf(s.v.match, sizeof s.v.match, "hard");
  snprintf(s.v.rule, sizeof s.v.rule, "SSLSessionReq:generic TLS 1.2 ServerHello");
  s.v.conf = 10;
  s.vary = V_TLS;
  s.port = 443;
  s.long_ok = true;
  s.resp = xcalloc(1, sizeof *s.resp);
  blob_set(&s.resp[0], "\x16\x03\x03", 3); /* stand-in: made per flow */
  s.n_resp = 1;
  blob_set(&s.req, "\x16\x03\x01", 3);
  add_service(cat, &s);
  for (int k = 0; k < N_BINARY; k++) {
    memset(&s, 0, sizeof s);
    snprintf(s.name, sizeof s.name, "synthetic:binary-%d", k);
    snprintf(s.probe, sizeof s.probe, "-");
    snprintf(s.v.match, sizeof s.v.match, "none");
    s.vary = V_BINARY;
    s.binary = k;
    s.server_first = k == 1;
    s.port = (uint16_t)(41001 + 1001 * k);
    s.long_ok = true;
    s.resp = xcalloc(1, sizeof *s.resp);
    blob_set(&s.resp[0], "\0", 1);
    s.n_resp = 1;
    if (!s.server_first)
      blob_set(&s.req, "\0", 1);
    add_service(cat, &s);
  }
}

/* This flow's server bytes for one recorded response. */
static struct blob vary_response(struct gen *g, struct flow *f, struct rng *r,
                                 const struct service *svc, const struct blob *in, uint64_t t)
{
  switch (svc->vary) {
  case V_HTTP: return vary_http(g, f, r, in, t);
  case V_SSH: return vary_ssh(f, r, svc, in);
  case V_MYSQL: return vary_mysql(f, r, in);
  case V_TLS: return tls_server_flight(g, f, r, (uint32_t)f->ep);
  case V_BINARY:
    return binary_msg(f, r, svc->binary, true,
                      svc->server_first ? 16 + rng_below(r, 200) : 20 + rng_below(r, 1400));
  default: return *in;
  }
}

/* After the TLS server's first flight: the client's key exchange, both
 * Finished messages, one request and its answer (application data). */
static uint64_t tls_rest(struct gen *g, struct builder *b, struct rng *r, uint64_t t)
{
  struct flow *f = b->f;
  uint8_t pre[81];
  pre[0] = 0x16, put_u16(pre + 1, 0x0303), put_u16(pre + 3, 70);
  rand_bytes(r, pre + 5, 70);
  memcpy(pre + 75, "\x14\x03\x03\x00\x01\x01", 6);
  struct blob m = tls_records(f, r, pre, sizeof pre, 0x16, 40);
  t = send_data(b, t + react(b, 0), 0, m.b, m.len);
  m = tls_records(f, r, pre + 75, 6, 0x16, 40);
  t = send_data(b, t + react(b, 1), 1, m.b, m.len);
  m = tls_records(f, r, NULL, 0, 0x17, 200 + rng_below(r, 500));
  t = send_data(b, t + react(b, 0), 0, m.b, m.len);
  m = tls_records(f, r, NULL, 0, 0x17, 300 + rng_below(r, 9000));
  (void)g;
  return send_data(b, t + react(b, 1), 1, m.b, m.len);
}

/* Builds flow `id` starting at time t0 into f (steps sorted). */
static void build_flow(struct gen *g, struct flow *f, uint64_t id, uint64_t t0)
{
  struct rng r;
  rng_seed(&r, g->o.seed, 1000 + id);
  struct catalogue *cat = &g->cat;
  const struct service *svc = &cat->s[pick_cum(cat->cum, (uint32_t)cat->n, rng_unit(&r))];
  struct client *cl = &g->cl[pick_cum(g->cl_cum, g->o.clients, rng_unit(&r))];
  enum flow_kind kind = pick_kind(&r, !svc->server_first && !svc->banner_len, cat->p_mid);
  bool vary = !g->o.identical, after_change = false;
  struct rng vr; /* the variation's own draws: --identical keeps r's sequence */
  rng_seed(&vr, g->o.seed, 5000000000ull + id);
  f->n_own = 0;

  f->id = id;
  f->n = f->next = 0;
  f->kind = (uint8_t)kind;
  f->cip = cl->ip;
  f->cport = cl->next_port;
  cl->next_port = cl->next_port >= 60999 ? 32768 : cl->next_port + 1;
  f->cttl = cl->ttl;
  f->cts = cl->ts;
  f->cmss = cl->mss;
  f->ipid[0] = (uint16_t)rng_next(&r);
  f->ipid[1] = (uint16_t)rng_next(&r);
  const struct endpoint *ep = NULL;
  if (kind == FK_SYN_RST || kind == FK_SYN_UNANSWERED) {
    pick_dead_port(g, &r, &f->sip, &f->sport);
    f->ep = -1;
    f->sttl = 64;
    f->sts = false;
    f->smss = 1460;
  } else {
    uint32_t k = pick_cum(svc->ep_cum, svc->n_ep, rng_unit(&r));
    f->ep = (int32_t)(svc->first_ep + k);
    ep = &g->ep[f->ep];
    f->sip = ep->ip;
    f->sport = ep->port;
    f->sttl = ep->ttl;
    f->sts = ep->ts;
    f->smss = 1460;
    if (ep->svc2 >= 0 && t0 >= ep->change_t) {
      svc = &cat->s[ep->svc2]; /* the program that replaced it */
      after_change = true;
      if (kind == FK_MIDSTREAM && (svc->server_first || svc->banner_len))
        kind = FK_NORMAL, f->kind = (uint8_t)kind;
    }
  }

  struct builder b = {.f = f, .r = &r, .st = &g->st};
  b.sd[0].nxt = (uint32_t)rng_next(&r);
  b.sd[1].nxt = (uint32_t)rng_next(&r);
  b.sd[0].ts_base = (uint32_t)rng_next(&r);
  b.sd[1].ts_base = (uint32_t)rng_next(&r);
  b.ts = f->cts && f->sts;
  b.mss = (f->cmss < f->smss ? f->cmss : f->smss) - (b.ts ? 12u : 0u);
  b.rtt = (uint64_t)rng_logu(&r, 300, 120000);
  b.proc = 20 + rng_below(&r, 150);
  uint64_t t = t0;

  if (kind == FK_SYN_UNANSWERED) {
    int tries = 1 + (int)rng_below(&r, 3);
    uint64_t rto = 1000000;
    for (int i = 0; i < tries; i++) {
      add_step(&b, t, 0, TH_SYN, NULL, 0);
      b.sd[0].nxt--; /* a retry repeats the sequence number */
      t += rto;
      rto *= 2;
    }
    closed_get(g, f->sip, f->sport)->silent_flows++;
    goto done;
  }
  if (kind == FK_SYN_RST) {
    add_step(&b, t, 0, TH_SYN, NULL, 0);
    b.ts = false;
    struct step *s = add_step(&b, t + react(&b, 1), 1, TH_RST | TH_ACK, NULL, 0);
    s->seq = 0;
    closed_get(g, f->sip, f->sport)->rst_flows++;
    goto done;
  }
  if (kind != FK_MIDSTREAM) {
    add_step(&b, t, 0, TH_SYN, NULL, 0);
    t += react(&b, 1);
    add_step(&b, t, 1, TH_SYN | TH_ACK, NULL, 0);
    t += react(&b, 0);
    add_step(&b, t, 0, TH_ACK, NULL, 0);
  }
  if (kind == FK_CONNECT_ONLY) {
    add_step(&b, t + 5 + rng_below(&r, 30), 0, TH_RST | TH_ACK, NULL, 0);
    goto done;
  }

  /* The exchange. Server bytes are a response variant (or a download),
   * made this flow's own in the realistic mode. */
  const struct blob *resp = &svc->resp[rng_below(&r, svc->n_resp)];
  bool bulk = svc->bulk.len && rng_chance(&r, P_BULK);
  struct blob req = svc->req, vresp;
  if (bulk) {
    resp = &svc->bulk;
    g->st.flows_bulk++;
  } else if (vary) {
    vresp = vary_response(g, f, &vr, svc, resp, t);
    resp = &vresp;
  }
  if (vary && svc->vary == V_TLS)
    req = tls_client_hello(f, &vr);
  else if (vary && svc->vary == V_BINARY && !svc->server_first)
    req = binary_msg(f, &vr, svc->binary, false, 16 + rng_below(&vr, 400));
  if (svc->server_first) {
    t += b.proc;
    t = send_data(&b, t, 1, resp->b, resp->len);
    if (svc->followup.len && rng_chance(&r, P_FOLLOWUP)) {
      t += rng_below(&r, 2000);
      t = send_data(&b, t, 0, svc->followup.b, svc->followup.len);
    }
    if (vary && svc->vary == V_BINARY) {
      struct blob m = binary_msg(f, &vr, svc->binary, false, 8 + rng_below(&vr, 200));
      t = send_data(&b, t + rng_below(&vr, 2000), 0, m.b, m.len);
      m = binary_msg(f, &vr, svc->binary, true, 8 + rng_below(&vr, 1500));
      t = send_data(&b, t - b.proc + react(&b, 1), 1, m.b, m.len);
    }
  } else if (svc->banner_len) {
    /* The banner, the client's request, the rest of the answer. */
    t = send_data(&b, t + b.proc, 1, resp->b, svc->banner_len);
    t = send_data(&b, t + rng_below(&r, 2000), 0, req.b, req.len);
    t = send_data(&b, t - b.proc + react(&b, 1), 1, resp->b + svc->banner_len,
                  resp->len - svc->banner_len);
  } else {
    t += 10 + rng_below(&r, 100);
    t = send_data(&b, t, 0, req.b, req.len);
    t = send_data(&b, t - b.proc + react(&b, 1) + rng_below(&r, 2000), 1, resp->b, resp->len);
    if (!bulk && strcmp(svc->v.service, "http") == 0 && rng_chance(&r, P_KEEPALIVE)) {
      g->st.flows_keepalive++;
      for (int k = 1 + (int)rng_below(&r, 2); k > 0; k--) {
        t += (uint64_t)rng_logu(&r, 1000, 500000);
        t = send_data(&b, t, 0, svc->req.b, svc->req.len);
        resp = &svc->resp[rng_below(&r, svc->n_resp)];
        if (vary) {
          vresp = vary_response(g, f, &vr, svc, resp, t);
          resp = &vresp;
        }
        t = send_data(&b, t + react(&b, 1), 1, resp->b, resp->len);
      }
    }
    if (vary && svc->vary == V_TLS)
      t = tls_rest(g, &b, &vr, t);
  }
  if (vary && svc->long_ok && kind != FK_MIDSTREAM && rng_chance(&vr, P_LONG)) {
    /* a session that stays: a few dozen exchanges over minutes */
    g->st.flows_long++;
    for (int k = 5 + (int)rng_below(&vr, 40); k > 0; k--) {
      t += (uint64_t)rng_logu(&vr, 200000, 15000000);
      uint32_t cn = 24 + rng_below(&vr, 300), sn = 24 + rng_below(&vr, 3000);
      t = send_data(&b, t, 0, pool_cut(g, &vr, cn), cn);
      t = send_data(&b, t - b.proc + react(&b, 1), 1, pool_cut(g, &vr, sn), sn);
    }
  }
  g->st.flows_srv++;
  g->st.flows_ident++;
  if (kind != FK_NOCLOSE) {
    double linger = rng_exp(&r, LINGER_MEAN_S);
    t += (uint64_t)((linger < LINGER_MAX_S ? linger : LINGER_MAX_S) * 1e6);
    close_flow(&b, t, kind == FK_CLIENT_RST);
  }
  sort_steps(f);
  flow_anomalies(&b);

done:
  sort_steps(f);
  struct endpoint *epw = f->ep >= 0 ? &g->ep[f->ep] : NULL;
  if (epw) {
    epw->flows++;
    if (kind != FK_CONNECT_ONLY) {
      epw->flows_srv++;
      epw->flows_ident++;
      if (epw->svc2 >= 0)
        *(after_change ? &epw->flows_srv2 : &epw->flows_srv1) += 1;
      g->st.flows_binary += svc->vary == V_BINARY;
      g->st.flows_tls += svc->vary == V_TLS;
    }
    if (kind == FK_MIDSTREAM)
      epw->flows_mid++;
  }
  g->st.kind[kind]++;
}

/* A duplicated server segment (seen again after an RTO), and two server
 * segments swapped in a burst. */
static void flow_anomalies(struct builder *b)
{
  struct flow *f = b->f;
  struct rng *r = b->r;
  uint32_t data_idx[64], nd = 0;
  for (uint32_t i = 0; i < f->n && nd < 64; i++)
    if (f->steps[i].dir == 1 && f->steps[i].len)
      data_idx[nd++] = i;
  if (nd == 0)
    return;
  if (rng_chance(r, P_RETRANS)) {
    struct step orig = f->steps[data_idx[rng_below(r, nd)]];
    struct step *s = add_step(b, orig.t + 200000 + b->rtt, 1, orig.flags, orig.data, orig.len);
    b->sd[1].nxt -= orig.len; /* nothing new was sent */
    s->seq = orig.seq;
    s->ack = orig.ack;
    b->st->flows_retrans++;
  }
  for (uint32_t k = 0; k + 1 < nd; k++) {
    struct step *a = &f->steps[data_idx[k]], *c = &f->steps[data_idx[k + 1]];
    if (data_idx[k + 1] != data_idx[k] + 1 || !rng_chance(r, P_REORDER * 2))
      continue;
    struct step tmp = *a;
    uint64_t ta = a->t, tc = c->t;
    *a = *c;
    *c = tmp;
    a->t = ta;
    c->t = tc;
    a->tsval = c->tsval; /* one burst: one timestamp tick */
    b->st->flows_reorder++;
    break;
  }
}

/* ---- pcap output ---------------------------------------------------------- */

static void out_flush(struct gen *g)
{
  size_t off = 0;
  while (off < g->buf_len) {
    ssize_t w = write(g->fd, g->buf + off, g->buf_len - off);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      die("write %s: %s", g->o.out, strerror(errno));
    }
    off += (size_t)w;
  }
  g->st.bytes += g->buf_len;
  g->buf_len = 0;
}

static uint8_t *out_reserve(struct gen *g, size_t n)
{
  if (g->buf_len + n > g->buf_cap)
    out_flush(g);
  return g->buf + g->buf_len;
}

static void put16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }

static void put32(uint8_t *p, uint32_t v)
{
  p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

static void putle32(uint8_t *p, uint32_t v)
{
  p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}

/* One's-complement sum of 16-bit big-endian words, not yet folded. Reads
 * 32-bit big-endian words: a 32-bit word a<<16|b adds a+b modulo 0xffff. */
static uint64_t csum_add(uint64_t sum, const uint8_t *p, size_t n)
{
  while (n >= 4) {
    sum += (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    p += 4;
    n -= 4;
  }
  if (n >= 2) {
    sum += (uint64_t)p[0] << 8 | p[1];
    p += 2;
    n -= 2;
  }
  if (n)
    sum += (uint64_t)p[0] << 8;
  return sum;
}

static uint16_t csum_fold(uint64_t sum)
{
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)~sum;
}

static void mac_of(uint8_t *m, uint32_t ip)
{
  m[0] = 0x02; m[1] = 0x42;
  put32(m + 2, ip);
}

static void write_packet(struct gen *g, struct flow *f, const struct step *s)
{
  uint8_t opts[40];
  size_t ol = 0;
  bool c2s = s->dir == 0;
  if (s->opt == OPT_SYN) {
    bool ts = c2s ? f->cts : (f->cts && f->sts);
    uint16_t mss = c2s ? f->cmss : f->smss;
    opts[ol++] = 2; opts[ol++] = 4; put16(opts + ol, mss); ol += 2;
    if (ts) {
      opts[ol++] = 4; opts[ol++] = 2;              /* SACK permitted */
      opts[ol++] = 8; opts[ol++] = 10;             /* timestamps */
      put32(opts + ol, s->tsval); put32(opts + ol + 4, s->tsecr); ol += 8;
      opts[ol++] = 1;
      opts[ol++] = 3; opts[ol++] = 3; opts[ol++] = 7; /* window scale 7 */
    } else {
      opts[ol++] = 1;
      opts[ol++] = 3; opts[ol++] = 3; opts[ol++] = 8;
      opts[ol++] = 1; opts[ol++] = 1;
      opts[ol++] = 4; opts[ol++] = 2;
    }
  } else if (s->opt == OPT_TS) {
    opts[ol++] = 1; opts[ol++] = 1; opts[ol++] = 8; opts[ol++] = 10;
    put32(opts + ol, s->tsval); put32(opts + ol + 4, s->tsecr); ol += 8;
  }
  size_t tcp_len = 20 + ol + s->len, ip_len = 20 + tcp_len, frame = 14 + ip_len;
  uint8_t *p = out_reserve(g, 16 + frame);
  uint64_t abs_us = START_EPOCH * 1000000ull + s->t;
  putle32(p, (uint32_t)(abs_us / 1000000));
  putle32(p + 4, (uint32_t)(abs_us % 1000000));
  putle32(p + 8, (uint32_t)frame);
  putle32(p + 12, (uint32_t)frame);
  uint8_t *eth = p + 16, *ip = eth + 14, *tcp = ip + 20;
  uint32_t src = c2s ? f->cip : f->sip, dst = c2s ? f->sip : f->cip;
  mac_of(eth, dst);
  mac_of(eth + 6, src);
  put16(eth + 12, 0x0800);
  ip[0] = 0x45; ip[1] = 0;
  put16(ip + 2, (uint32_t)ip_len);
  put16(ip + 4, f->ipid[s->dir]++);
  put16(ip + 6, 0x4000); /* DF */
  ip[8] = c2s ? f->cttl : f->sttl;
  ip[9] = 6;
  put16(ip + 10, 0);
  put32(ip + 12, src);
  put32(ip + 16, dst);
  put16(ip + 10, csum_fold(csum_add(0, ip, 20)));
  put16(tcp, c2s ? f->cport : f->sport);
  put16(tcp + 2, c2s ? f->sport : f->cport);
  put32(tcp + 4, s->seq);
  put32(tcp + 8, s->ack);
  tcp[12] = (uint8_t)((20 + ol) / 4 << 4);
  tcp[13] = s->flags;
  uint32_t win = (s->flags & TH_SYN) ? 64240 : (s->flags & TH_RST) ? 0 : c2s ? 502 : 509;
  put16(tcp + 14, win);
  put16(tcp + 16, 0);
  put16(tcp + 18, 0);
  memcpy(tcp + 20, opts, ol);
  if (s->len)
    memcpy(tcp + 20 + ol, s->data, s->len);
  uint64_t sum = (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + 6 + tcp_len;
  put16(tcp + 16, csum_fold(csum_add(sum, tcp, tcp_len)));
  g->buf_len += 16 + frame;
  g->st.packets++;
}

static void write_pcap_header(struct gen *g)
{
  uint8_t *p = out_reserve(g, 24);
  putle32(p, 0xa1b2c3d4);
  p[4] = 2; p[5] = 0; p[6] = 4; p[7] = 0;     /* version 2.4, little-endian */
  putle32(p + 8, 0);
  putle32(p + 12, 0);
  putle32(p + 16, 262144);                    /* snaplen */
  putle32(p + 20, 1);                         /* DLT_EN10MB */
  g->buf_len += 24;
}

/* ---- Scheduler ------------------------------------------------------------ */

static bool flow_before(const struct flow *a, const struct flow *b)
{
  uint64_t ta = a->steps[a->next].t, tb = b->steps[b->next].t;
  return ta < tb || (ta == tb && a->id < b->id);
}

static void heap_push(struct gen *g, struct flow *f)
{
  if (g->n_heap == g->cap_heap) {
    g->cap_heap = g->cap_heap ? g->cap_heap * 2 : 1024;
    g->heap = xrealloc(g->heap, g->cap_heap * sizeof *g->heap);
  }
  size_t i = g->n_heap++;
  while (i > 0 && flow_before(f, g->heap[(i - 1) / 2])) {
    g->heap[i] = g->heap[(i - 1) / 2];
    i = (i - 1) / 2;
  }
  g->heap[i] = f;
}

/* Restore the heap after the top's key grew (or the top was replaced). */
static void heap_sift_down(struct gen *g)
{
  size_t i = 0, n = g->n_heap;
  struct flow *f = g->heap[0];
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= n)
      break;
    if (c + 1 < n && flow_before(g->heap[c + 1], g->heap[c]))
      c++;
    if (!flow_before(g->heap[c], f))
      break;
    g->heap[i] = g->heap[c];
    i = c;
  }
  g->heap[i] = f;
}

static struct flow *flow_alloc(struct gen *g)
{
  if (g->n_pool)
    return g->pool[--g->n_pool];
  return xcalloc(1, sizeof(struct flow));
}

static void flow_release(struct gen *g, struct flow *f)
{
  if (g->n_pool == g->cap_pool) {
    g->cap_pool = g->cap_pool ? g->cap_pool * 2 : 1024;
    g->pool = xrealloc(g->pool, g->cap_pool * sizeof *g->pool);
  }
  g->pool[g->n_pool++] = f;
}

static void flow_log(struct gen *g, const struct flow *f)
{
  if (!g->flows_f)
    return;
  char c[16], s[16];
  ip_text(f->cip, c);
  ip_text(f->sip, s);
  uint32_t srv = 0, cli = 0;
  for (uint32_t i = 0; i < f->n; i++)
    *(f->steps[i].dir ? &srv : &cli) += f->steps[i].len;
  fprintf(g->flows_f, "%" PRIu64 "\t%s\t%u\t%s\t%u\t%s\t%s\t%u\t%u\t%u\t%" PRIu64 "\n", f->id,
          c, f->cport, s, f->sport, kind_name[f->kind],
          f->ep >= 0 ? g->cat.s[g->ep[f->ep].svc].name : "-", f->n, cli, srv,
          f->first_frame);
}

static void run(struct gen *g)
{
  struct rng arr;
  rng_seed(&arr, g->o.seed, 2);
  uint64_t n_flows = (uint64_t)llround(BASE_FLOWS * g->o.scale);
  double dur = g->o.duration_s > 0 ? g->o.duration_s : BASE_DURATION_S * g->o.scale;
  double mean_gap_us = dur * 1e6 / (double)(n_flows ? n_flows : 1);
  uint64_t next_id = 0;
  double t_arr = 0;
  write_pcap_header(g);
  for (;;) {
    bool have_arrival = next_id < n_flows;
    uint64_t ta = (uint64_t)t_arr;
    if (have_arrival && (g->n_heap == 0 || ta <= g->heap[0]->steps[g->heap[0]->next].t)) {
      struct flow *f = flow_alloc(g);
      build_flow(g, f, next_id++, ta);
      g->st.open_now++;
      g->st.open_sum += g->st.open_now;
      g->st.open_samples++;
      if (g->st.open_now > g->st.open_max)
        g->st.open_max = g->st.open_now;
      heap_push(g, f);
      t_arr += rng_exp(&arr, mean_gap_us);
      continue;
    }
    if (g->n_heap == 0)
      break;
    struct flow *f = g->heap[0];
    const struct step *s = &f->steps[f->next++];
    if (g->st.packets == 0)
      g->st.first_t = s->t;
    if (f->next == 1)
      f->first_frame = g->st.packets + 1;
    g->st.last_t = s->t;
    write_packet(g, f, s);
    if (f->next < f->n) {
      heap_sift_down(g);
    } else {
      g->st.open_now--;
      flow_log(g, f);
      g->heap[0] = g->heap[--g->n_heap];
      if (g->n_heap)
        heap_sift_down(g);
      flow_release(g, f);
    }
  }
  out_flush(g);
}

/* ---- Truth ---------------------------------------------------------------- */

static void tsv_field(FILE *f, const char *s)
{
  fputc('\t', f);
  if (!*s) {
    fputc('-', f);
    return;
  }
  for (; *s; s++)
    fputc(*s == '\t' || *s == '\n' ? ' ' : *s, f);
}

static int cmp_ep(const void *a, const void *b)
{
  const struct endpoint *x = *(const struct endpoint *const *)a;
  const struct endpoint *y = *(const struct endpoint *const *)b;
  if (x->ip != y->ip)
    return x->ip < y->ip ? -1 : 1;
  return (x->port > y->port) - (x->port < y->port);
}

static int cmp_closed(const void *a, const void *b)
{
  const struct closed_port *x = a, *y = b;
  if (x->ip != y->ip)
    return x->ip < y->ip ? -1 : 1;
  return (x->port > y->port) - (x->port < y->port);
}

static void write_truth(struct gen *g, int argc, char **argv)
{
  FILE *f = fopen(g->o.truth, "w");
  if (!f)
    die("%s: %s", g->o.truth, strerror(errno));
  fputs("# svpassive benchmark truth, written by:", f);
  for (int i = 0; i < argc; i++)
    fprintf(f, " %s", argv[i]);
  fputs("\n# E: server endpoint; service..cpe = nmap -sV's verdict on the recorded server"
        " ('-' = empty);\n#    flows = all flows to it, flows_srv = flows that carry server"
        " bytes,\n#    flows_ident = flows whose server bytes are the server's response from"
        " its start,\n#    flows_mid = flows without a handshake (joined mid-stream);\n"
        "#    service '-' and nmap_match 'none': a protocol no rule identifies;\n"
        "#    prev_*: the program the endpoint ran before it changed at change_s\n"
        "#    (capture seconds), flows_srv_prev of its flows with server bytes went to it\n"
        "# C: port with no server: rst_flows answered by RST, silent_flows never answered\n"
        "# S: summary counter\n", f);
  fputs("#E\taddr\tport\tproto\tservice\tproduct\tversion\textrainfo\tostype\tdevicetype"
        "\thostname\tcpe\ttunnel\tnmap_method\tnmap_conf\tnmap_match\tnmap_rule\tfixture"
        "\tprobe\tflows\tflows_srv\tflows_ident\tflows_mid\tprev_fixture\tprev_service"
        "\tprev_product\tprev_version\tchange_s\tflows_srv_prev\n", f);
  struct endpoint **sorted = xmalloc(g->n_ep * sizeof *sorted);
  for (uint32_t i = 0; i < g->n_ep; i++)
    sorted[i] = &g->ep[i];
  qsort(sorted, g->n_ep, sizeof *sorted, cmp_ep);
  uint32_t used = 0;
  for (uint32_t i = 0; i < g->n_ep; i++) {
    const struct endpoint *ep = sorted[i];
    if (!ep->flows)
      continue;
    used++;
    const struct service *s = &g->cat.s[ep->svc], *prev = NULL;
    if (ep->svc2 >= 0 && ep->flows_srv2 > 0) {
      prev = ep->flows_srv1 > 0 ? s : NULL;
      s = &g->cat.s[ep->svc2];
    }
    const struct verdict *v = &s->v;
    char a[16], conf[8];
    ip_text(ep->ip, a);
    snprintf(conf, sizeof conf, "%d", v->conf);
    fprintf(f, "E\t%s\t%u\ttcp", a, ep->port);
    const char *fields[] = {v->service, v->product, v->version, v->extrainfo, v->ostype,
                            v->devicetype, v->hostname, v->cpe, v->tunnel_ssl ? "ssl" : "",
                            v->method, conf, v->match, v->rule, s->name, s->probe};
    for (size_t k = 0; k < sizeof fields / sizeof fields[0]; k++)
      tsv_field(f, fields[k]);
    fprintf(f, "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64, ep->flows,
            ep->flows_srv, ep->flows_ident, ep->flows_mid);
    const char *pf[] = {prev ? prev->name : "", prev ? prev->v.service : "",
                        prev ? prev->v.product : "", prev ? prev->v.version : ""};
    for (size_t k = 0; k < sizeof pf / sizeof pf[0]; k++)
      tsv_field(f, pf[k]);
    fprintf(f, "\t%.3f\t%" PRIu64 "\n", prev ? (double)ep->change_t / 1e6 : 0.0,
            prev ? ep->flows_srv1 : 0);
    g->st.flows_changed_ep += prev != NULL;
  }
  free(sorted);
  fputs("#C\taddr\tport\tproto\trst_flows\tsilent_flows\n", f);
  qsort(g->closed, g->n_closed, sizeof *g->closed, cmp_closed);
  for (uint32_t i = 0; i < g->n_closed; i++) {
    char a[16];
    ip_text(g->closed[i].ip, a);
    fprintf(f, "C\t%s\t%u\ttcp\t%" PRIu64 "\t%" PRIu64 "\n", a, g->closed[i].port,
            g->closed[i].rst_flows, g->closed[i].silent_flows);
  }
  const struct stats *st = &g->st;
  uint64_t flows = 0;
  for (int k = 0; k < FK_COUNT; k++)
    flows += st->kind[k];
  fputs("#S\tname\tvalue\n", f);
  fprintf(f, "S\tseed\t%" PRIu64 "\nS\tscale\t%g\n", g->o.seed, g->o.scale);
  fprintf(f, "S\tpackets\t%" PRIu64 "\nS\tbytes\t%" PRIu64 "\n", st->packets, st->bytes);
  fprintf(f, "S\tflows\t%" PRIu64 "\n", flows);
  for (int k = 0; k < FK_COUNT; k++)
    fprintf(f, "S\tflows_%s\t%" PRIu64 "\n", kind_name[k], st->kind[k]);
  fprintf(f, "S\tflows_srv\t%" PRIu64 "\nS\tflows_ident\t%" PRIu64 "\n", st->flows_srv,
          st->flows_ident);
  fprintf(f, "S\tflows_keepalive\t%" PRIu64 "\nS\tflows_bulk\t%" PRIu64 "\n",
          st->flows_keepalive, st->flows_bulk);
  fprintf(f, "S\tflows_retrans\t%" PRIu64 "\nS\tflows_reorder\t%" PRIu64 "\n",
          st->flows_retrans, st->flows_reorder);
  fprintf(f, "S\tvaried\t%d\nS\tflows_long\t%" PRIu64 "\nS\tflows_binary\t%" PRIu64
          "\nS\tflows_tls\t%" PRIu64 "\nS\tendpoints_changed\t%" PRIu64 "\n",
          !g->o.identical, st->flows_long, st->flows_binary, st->flows_tls,
          st->flows_changed_ep);
  fprintf(f, "S\tservers\t%u\nS\tservers_used\t%u\nS\tclients\t%u\n", g->n_ep, used,
          g->o.clients);
  fprintf(f, "S\tservices\t%zu\n", g->cat.n);
  fprintf(f, "S\tconcurrent_mean\t%.0f\nS\tconcurrent_max\t%" PRIu64 "\n",
          st->open_samples ? (double)st->open_sum / (double)st->open_samples : 0.0,
          st->open_max);
  fprintf(f, "S\tduration_s\t%.3f\n", (double)(st->last_t - st->first_t) / 1e6);
  if (fclose(f) != 0)
    die("%s: %s", g->o.truth, strerror(errno));
}

static void list_services(const struct gen *g, FILE *f)
{
  fprintf(f, "#name\tprobe\tfirst\tport\tweight\tvariants\tresp_bytes\tservice\tproduct\tversion\n");
  for (size_t i = 0; i < g->cat.n; i++) {
    const struct service *s = &g->cat.s[i];
    fprintf(f, "%s\t%s\t%s\t%u\t%.2f\t%u\t%u\t%s\t%s\t%s\n", s->name, s->probe,
            s->server_first ? "server" : s->banner_len ? "banner" : "client", s->port,
            s->weight, s->n_resp,
            s->resp[0].len, s->v.service, s->v.product, s->v.version);
  }
}

/* ---- Command line ---------------------------------------------------------- */

static void usage(FILE *f)
{
  fputs("Usage: gen_flows [options] -o OUT.pcap\n"
        "Writes the many-flows benchmark capture and (with -t) its truth file.\n"
        "  -o, --out FILE        pcap to write ('-' = stdout)\n"
        "  -t, --truth FILE      truth TSV (per server ip:port: nmap verdict, flow counts)\n"
        "  --flows-out FILE      one line per flow (id, client, server, kind, bytes, 1st frame)\n"
        "  --scale F             1.0 = 1.5M flows over 300 s (default 1)\n"
        "  --seed N              random seed (default 1); same seed, same bytes\n"
        "  --servers N           server endpoints (default 5000)\n"
        "  --clients N           client addresses (default 60000)\n"
        "  --duration S          capture span in seconds (default 300 x scale)\n"
        "  --fixtures DIR        recorded responses (default tests/fixtures/responses)\n"
        "  --services LIST       only fixtures whose name is in this comma list\n"
        "  --probes FILE         nmap-service-probes (default /usr/share/nmap/...)\n"
        "  --identical           every flow of a server sends the recorded bytes as they\n"
        "                        are (issue 7's capture); default: per-flow variable bytes,\n"
        "                        TLS, binary protocols nothing identifies, program changes,\n"
        "                        long-lived sessions\n"
        "  --list                print the services used and exit\n", f);
}

static bool name_in_list(const char *list, const char *name)
{
  size_t nl = strlen(name);
  for (const char *p = list; *p;) {
    const char *e = strchr(p, ',');
    size_t l = e ? (size_t)(e - p) : strlen(p);
    if (l == nl && memcmp(p, name, l) == 0)
      return true;
    p += l + (e ? 1 : 0);
  }
  return false;
}

int main(int argc, char **argv)
{
  struct gen g;
  memset(&g, 0, sizeof g);
  struct options *o = &g.o;
  o->scale = 1.0;
  o->seed = DEF_SEED;
  o->servers = DEF_SERVERS;
  o->clients = DEF_CLIENTS;
  o->probes = "/usr/share/nmap/nmap-service-probes";
  static const struct option lo[] = {
    {"out", required_argument, NULL, 'o'}, {"truth", required_argument, NULL, 't'},
    {"flows-out", required_argument, NULL, 'F'}, {"scale", required_argument, NULL, 's'},
    {"seed", required_argument, NULL, 'S'}, {"servers", required_argument, NULL, 'e'},
    {"clients", required_argument, NULL, 'c'}, {"duration", required_argument, NULL, 'd'},
    {"fixtures", required_argument, NULL, 'x'}, {"probes", required_argument, NULL, 'p'},
    {"services", required_argument, NULL, 'l'}, {"list", no_argument, NULL, 'L'},
    {"identical", no_argument, NULL, 'I'},
    {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
  int c;
  while ((c = getopt_long(argc, argv, "o:t:h", lo, NULL)) != -1) {
    char *end = NULL;
    switch (c) {
    case 'o': o->out = optarg; break;
    case 't': o->truth = optarg; break;
    case 'F': o->flows_out = optarg; break;
    case 's': o->scale = strtod(optarg, &end); break;
    case 'S': o->seed = strtoull(optarg, &end, 0); break;
    case 'e': o->servers = (uint32_t)strtoul(optarg, &end, 10); break;
    case 'c': o->clients = (uint32_t)strtoul(optarg, &end, 10); break;
    case 'd': o->duration_s = strtod(optarg, &end); break;
    case 'x': o->fixtures = optarg; break;
    case 'p': o->probes = optarg; break;
    case 'l': o->services = optarg; break;
    case 'L': o->list = true; break;
    case 'I': o->identical = true; break;
    case 'h': usage(stdout); return 0;
    default: usage(stderr); return 2;
    }
    if (end && *end)
      die("bad number: %s", optarg);
  }
  if (o->scale <= 0 || o->scale > 64 || o->servers < 50 || o->clients < 10 ||
      o->clients > 16000000)
    die("--scale must be in (0, 64], --servers >= 50, --clients in [10, 16M]");
  if (!o->out && !o->list) {
    usage(stderr);
    return 2;
  }

  struct port_table pt;
  port_table_load(&pt, "/usr/share/nmap/nmap-services");
  char defdir[4096];
  if (!o->fixtures) {
    snprintf(defdir, sizeof defdir, "%s/tests/fixtures/responses", SVP_SOURCE_DIR);
    o->fixtures = defdir;
  }
  size_t nfix = load_fixtures(&g.cat, o->fixtures, o->probes);
  if (nfix == 0) {
    warn("no fixtures in %s: using the built-in stand-in table", o->fixtures);
    load_builtin(&g.cat, o->probes);
  }
  if (o->services) {
    size_t k = 0;
    for (size_t i = 0; i < g.cat.n; i++)
      if (name_in_list(o->services, g.cat.s[i].name) ||
          name_in_list(o->services, g.cat.s[i].v.service))
        g.cat.s[k++] = g.cat.s[i];
    g.cat.n = k;
  }
  if (!o->identical)
    add_synthetic(&g.cat);
  catalogue_finish(&g.cat, &pt, o->seed, !o->identical);
  if (o->list) {
    list_services(&g, stdout);
    return 0;
  }
  build_topology(&g);
  if (!o->identical)
    fill_pools(&g);

  if (strcmp(o->out, "-") == 0)
    g.fd = STDOUT_FILENO;
  else if ((g.fd = open(o->out, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0)
    die("%s: %s", o->out, strerror(errno));
  g.buf_cap = 8u << 20;
  g.buf = xmalloc(g.buf_cap);
  if (o->flows_out && !(g.flows_f = fopen(o->flows_out, "w")))
    die("%s: %s", o->flows_out, strerror(errno));
  if (g.flows_f)
    fputs("#id\tclient\tcport\tserver\tsport\tkind\tfixture\tpackets\tcli_bytes\tsrv_bytes"
          "\tfirst_frame\n", g.flows_f);

  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  run(&g);
  if (g.fd != STDOUT_FILENO && close(g.fd) != 0)
    die("%s: %s", o->out, strerror(errno));
  if (g.flows_f && fclose(g.flows_f) != 0)
    die("%s: %s", o->flows_out, strerror(errno));
  if (o->truth)
    write_truth(&g, argc, argv);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  uint64_t flows = 0;
  for (int k = 0; k < FK_COUNT; k++)
    flows += g.st.kind[k];
  fprintf(stderr,
          "gen_flows: %" PRIu64 " flows, %" PRIu64 " packets, %.1f MB, %zu services, "
          "%" PRIu64 " open at most (mean %.0f), %.1f s\n",
          flows, g.st.packets, (double)g.st.bytes / 1e6, g.cat.n, g.st.open_max,
          g.st.open_samples ? (double)g.st.open_sum / (double)g.st.open_samples : 0.0, secs);
  return 0;
}
