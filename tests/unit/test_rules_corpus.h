/* test_rules_corpus.h: real application bytes for the matcher tests.
 *
 * Reads the project's third-party captures (tests/pcaps/third-party, see
 * its MANIFEST.tsv) with libpcap and keeps the TCP and UDP payloads of
 * single packets (no reassembly: every payload is real bytes some real
 * program sent), both directions, de-duplicated, at most 4096 bytes each,
 * plus every tests/fixtures/responses/<name>/response.bin. The small link
 * decoder below only has to find payloads; frames it does not know are
 * skipped. Deterministic: files in name order, packets in file order. */
#ifndef SVP_TEST_RULES_CORPUS_H
#define SVP_TEST_RULES_CORPUS_H

#include <dirent.h>
#include <stdbool.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tap.h"

struct payload {
  uint8_t *data;
  size_t len;
  uint8_t l4; /* 6 or 17 */
};

struct corpus {
  struct payload *p;
  size_t n, cap;
  size_t max;         /* stop after this many */
  size_t per_file;    /* at most this many from one capture */
  uint64_t *seen;     /* hashes of kept payloads */
};

static inline uint64_t corpus_hash(const uint8_t *d, size_t n, uint8_t l4)
{
  uint64_t h = 1469598103934665603ull ^ l4;
  for (size_t i = 0; i < n; i++)
    h = (h ^ d[i]) * 1099511628211ull;
  return h;
}

static inline void corpus_add(struct corpus *c, const uint8_t *d, size_t n, uint8_t l4)
{
  if (n == 0 || c->n >= c->max)
    return;
  if (n > 4096)
    n = 4096;
  uint64_t h = corpus_hash(d, n, l4);
  for (size_t i = 0; i < c->n; i++)
    if (c->seen[i] == h)
      return;
  if (c->n == c->cap) {
    c->cap = c->cap ? c->cap * 2 : 256;
    c->p = realloc(c->p, c->cap * sizeof *c->p);
    c->seen = realloc(c->seen, c->cap * sizeof *c->seen);
    if (!c->p || !c->seen)
      abort();
  }
  uint8_t *copy = malloc(n);
  if (!copy)
    abort();
  memcpy(copy, d, n);
  c->seen[c->n] = h;
  c->p[c->n].data = copy;
  c->p[c->n].len = n;
  c->p[c->n].l4 = l4;
  c->n++;
}

/* IPv4/IPv6 packet at p -> its TCP/UDP payload. */
static inline void corpus_ip(struct corpus *c, const uint8_t *p, size_t n)
{
  uint8_t proto;
  size_t off;
  if (n >= 20 && (p[0] >> 4) == 4) {
    size_t ihl = (size_t)(p[0] & 15) * 4;
    size_t tot = (size_t)p[2] << 8 | p[3];
    if (ihl < 20 || ihl > n || (p[6] & 0x3f) || p[7])
      return; /* fragments skipped */
    if (tot >= ihl && tot < n)
      n = tot;
    proto = p[9];
    off = ihl;
  } else if (n >= 40 && (p[0] >> 4) == 6) {
    size_t plen = (size_t)p[4] << 8 | p[5];
    if (40 + plen < n)
      n = 40 + plen;
    proto = p[6];
    off = 40;
  } else {
    return;
  }
  if (proto == 6 && n >= off + 20) {
    size_t doff = (size_t)(p[off + 12] >> 4) * 4;
    if (doff >= 20 && off + doff <= n)
      corpus_add(c, p + off + doff, n - off - doff, 6);
  } else if (proto == 17 && n >= off + 8) {
    corpus_add(c, p + off + 8, n - off - 8, 17);
  }
}

static inline void corpus_frame(struct corpus *c, int dlt, const uint8_t *p, size_t n)
{
  size_t off = 0;
  uint16_t type = 0;
  switch (dlt) {
  case DLT_EN10MB:
    if (n < 14)
      return;
    type = (uint16_t)(p[12] << 8 | p[13]);
    off = 14;
    while ((type == 0x8100 || type == 0x88a8) && n >= off + 4) {
      type = (uint16_t)(p[off + 2] << 8 | p[off + 3]);
      off += 4;
    }
    if (type != 0x0800 && type != 0x86dd)
      return;
    break;
  case DLT_LINUX_SLL:
    off = 16;
    break;
  case 276: /* LINUX_SLL2 */
    off = 20;
    break;
  case DLT_NULL:
  case DLT_LOOP:
    off = 4;
    break;
  case DLT_RAW:
  case 101: /* LINKTYPE_RAW */
  case 228: /* IPV4 */
  case 229: /* IPV6 */
    off = 0;
    break;
  default:
    return;
  }
  if (off < n)
    corpus_ip(c, p + off, n - off);
}

static inline void corpus_pcap(struct corpus *c, const char *path)
{
  char err[PCAP_ERRBUF_SIZE];
  pcap_t *pc = pcap_open_offline(path, err);
  if (!pc)
    return;
  int dlt = pcap_datalink(pc);
  size_t start = c->n;
  struct pcap_pkthdr *h;
  const u_char *d;
  while (c->n - start < c->per_file && pcap_next_ex(pc, &h, &d) == 1)
    corpus_frame(c, dlt, d, h->caplen);
  pcap_close(pc);
}

static inline void corpus_dir(struct corpus *c, const char *dir, int depth)
{
  struct dirent **list;
  int n = scandir(dir, &list, NULL, alphasort);
  for (int i = 0; i < n; i++) {
    char path[4096];
    struct stat st;
    bool fits = (size_t)snprintf(path, sizeof path, "%s/%s", dir, list[i]->d_name) < sizeof path;
    if (fits && list[i]->d_name[0] != '.' && stat(path, &st) == 0) {
      if (S_ISDIR(st.st_mode) && depth > 0)
        corpus_dir(c, path, depth - 1);
      else if (S_ISREG(st.st_mode) && (strstr(path, ".pcap") || strstr(path, ".cap")))
        corpus_pcap(c, path);
    }
    free(list[i]);
  }
  if (n >= 0)
    free(list);
}

/* Fixture responses: tests/fixtures/responses/<name>/response.bin */
static inline void corpus_fixtures(struct corpus *c)
{
  char dir[4096];
  snprintf(dir, sizeof dir, "%s", tap_srcpath("tests/fixtures/responses"));
  struct dirent **list;
  int n = scandir(dir, &list, NULL, alphasort);
  for (int i = 0; i < n; i++) {
    char path[4200];
    bool fits =
        (size_t)snprintf(path, sizeof path, "%s/%s/response.bin", dir, list[i]->d_name) < sizeof path;
    FILE *f = fits && list[i]->d_name[0] != '.' ? fopen(path, "rb") : NULL;
    if (f) {
      static uint8_t buf[4096];
      size_t len = fread(buf, 1, sizeof buf, f);
      fclose(f);
      corpus_add(c, buf, len, 6);
    }
    free(list[i]);
  }
  if (n >= 0)
    free(list);
}

static inline void corpus_load(struct corpus *c, size_t max, size_t per_file)
{
  memset(c, 0, sizeof *c);
  c->max = max;
  c->per_file = per_file;
  corpus_fixtures(c);
  char dir[4096];
  snprintf(dir, sizeof dir, "%s", tap_srcpath("tests/pcaps/third-party"));
  corpus_dir(c, dir, 2);
}

static inline void corpus_free(struct corpus *c)
{
  for (size_t i = 0; i < c->n; i++)
    free(c->p[i].data);
  free(c->p);
  free(c->seen);
}

#endif
