/* tls_fp.c: TLS fingerprints that an open-source tool may ship.
 *
 *   JA3 (client) and JA3S (server): Salesforce, BSD 3-Clause. The hello's
 *     version, cipher suites, extensions (and, for JA3, supported groups
 *     and point formats) as decimal numbers, '-' within a field, ',' between
 *     fields, GREASE values left out; the MD5 of that text.
 *   JA4 (TLS client fingerprint only): FoxIO, BSD 3-Clause. "t", the
 *     version, "d"/"i" for SNI or none, the cipher and extension counts, the
 *     first ALPN id's first and last character; then 12 hex digits of the
 *     SHA-256 of the sorted cipher list, and of the sorted extension list
 *     (SNI and ALPN left out) followed by the signature algorithms.
 * The rest of JA4+ (JA4S, JA4X, JA4H, ...) is under the FoxIO License,
 * which does not allow every use an open-source tool's users may make, so
 * it is not implemented. */
#include "svp/tls/x509.h"
#include "tls_int.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bounded text builder: once something does not fit, ok turns false. */
struct sb {
  char *p;
  size_t n, at;
  bool ok;
};

/* One number: decimal (JA3) or four lower-case hex digits (JA4). */
static void sb_add(struct sb *b, bool hex4, unsigned v)
{
  if (!b->ok)
    return;
  int w = hex4 ? snprintf(b->p + b->at, b->n - b->at, "%04x", v)
               : snprintf(b->p + b->at, b->n - b->at, "%u", v);
  if (w < 0 || (size_t)w >= b->n - b->at) {
    b->ok = false;
    return;
  }
  b->at += (size_t)w;
}

static void sb_ch(struct sb *b, char c)
{
  if (!b->ok || b->at + 1 >= b->n) {
    b->ok = false;
    return;
  }
  b->p[b->at++] = c;
  b->p[b->at] = '\0';
}

static void sb_list(struct sb *b, const struct svp_tls_list *l, bool hex4)
{
  for (unsigned i = 0; i < l->n; i++) {
    if (i)
      sb_ch(b, hex4 ? ',' : '-');
    sb_add(b, hex4, l->v[i]);
  }
}

/* Hex digest of s with md (EVP_md5 / EVP_sha256) into out (2*size+1). */
static bool digest_hex(const EVP_MD *md, const char *s, char *out)
{
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned int dl = 0;
  if (!EVP_Digest(s, strlen(s), d, &dl, md, NULL))
    return false;
  svp_x509_hex(d, dl, out);
  return true;
}

/* Fingerprint text is at most a few lists of 512 numbers. */
#define FP_TEXT_MAX (6 * 6 * SVP_TLS_LIST_MAX)

bool svp_tls_ja3_string(const struct svp_tls_client_hello *ch, const struct svp_tls_lists *ls,
                        char *out, size_t n)
{
  struct sb b = {out, n, 0, n > 0};
  if (b.ok)
    out[0] = '\0';
  sb_add(&b, false, ch->version);
  sb_ch(&b, ',');
  sb_list(&b, &ls->ciphers, false);
  sb_ch(&b, ',');
  sb_list(&b, &ls->ext, false);
  sb_ch(&b, ',');
  sb_list(&b, &ls->groups, false);
  sb_ch(&b, ',');
  sb_list(&b, &ls->formats, false);
  return b.ok;
}

static int cmp_u16(const void *a, const void *b)
{
  uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b;
  return (x > y) - (x < y);
}

/* JA4's two-character version. */
static const char *ja4_version(uint16_t v)
{
  switch (v) {
  case SVP_TLS_V_13: return "13";
  case SVP_TLS_V_12: return "12";
  case SVP_TLS_V_11: return "11";
  case SVP_TLS_V_10: return "10";
  case SVP_TLS_V_SSL3: return "s3";
  case SVP_TLS_V_SSL2: return "s2";
  case 0xfeff: return "d1";
  case 0xfefd: return "d2";
  case 0xfefc: return "d3";
  default: return "00";
  }
}

static bool alnum(uint8_t c)
{
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* JA4 part a: "t13d1516h2". */
static void ja4_a(const struct svp_tls_client_hello *ch, const struct svp_tls_lists *ls,
                  char out[16])
{
  static const char hx[] = "0123456789abcdef";
  unsigned nc = ls->ciphers.n > 99 ? 99 : ls->ciphers.n;
  unsigned ne = ls->ext.n > 99 ? 99 : ls->ext.n;
  char a0 = '0', a1 = '0';
  if (ls->alpn0_len) {
    if (alnum(ls->alpn0_first) && alnum(ls->alpn0_last)) {
      a0 = (char)ls->alpn0_first;
      a1 = (char)ls->alpn0_last;
    } else {
      a0 = hx[ls->alpn0_first >> 4];
      a1 = hx[ls->alpn0_last & 15];
    }
  }
  snprintf(out, 16, "t%s%c%02u%02u%c%c", ja4_version(ch->max_version),
           ls->has_sni ? 'd' : 'i', nc, ne, a0, a1);
}

/* JA4's sorted lists: ciphers, and extensions without SNI and ALPN. */
static void ja4_sorted(const struct svp_tls_lists *ls, struct svp_tls_list *c,
                       struct svp_tls_list *e)
{
  *c = ls->ciphers;
  qsort(c->v, c->n, sizeof c->v[0], cmp_u16);
  e->n = 0;
  e->cut = ls->ext.cut;
  for (unsigned i = 0; i < ls->ext.n; i++)
    if (ls->ext.v[i] != 0x0000 && ls->ext.v[i] != 0x0010)
      e->v[e->n++] = ls->ext.v[i];
  qsort(e->v, e->n, sizeof e->v[0], cmp_u16);
}

/* The text of JA4 part c: sorted extensions, '_', signature algorithms. */
static bool ja4_c_text(const struct svp_tls_list *e, const struct svp_tls_lists *ls,
                       struct sb *b)
{
  sb_list(b, e, true);
  if (ls->sigalgs.n) {
    sb_ch(b, '_');
    sb_list(b, &ls->sigalgs, true);
  }
  return b->ok;
}

bool svp_tls_ja4_raw(const struct svp_tls_client_hello *ch, const struct svp_tls_lists *ls,
                     char *out, size_t n)
{
  struct svp_tls_list *c = malloc(2 * sizeof *c);
  if (!c || n < 12) {
    free(c);
    return false;
  }
  struct svp_tls_list *e = c + 1;
  ja4_sorted(ls, c, e);
  ja4_a(ch, ls, out);
  struct sb b = {out, n, strlen(out), true};
  sb_ch(&b, '_');
  sb_list(&b, c, true);
  sb_ch(&b, '_');
  ja4_c_text(e, ls, &b);
  free(c);
  return b.ok;
}

/* 12 hex digits of the SHA-256 of text, or "000000000000" if empty. */
static bool trunc12(bool empty, const char *text, char out[13])
{
  char full[2 * 32 + 1];
  if (empty) {
    memcpy(out, "000000000000", 13);
    return true;
  }
  if (!digest_hex(EVP_sha256(), text, full))
    return false;
  memcpy(out, full, 12);
  out[12] = '\0';
  return true;
}

void svp_tls_fp_client(struct svp_tls_client_hello *ch, const struct svp_tls_lists *ls)
{
  ch->ja3[0] = ch->ja4[0] = '\0';
  if (ch->sslv2 || ls->ciphers.cut || ls->ext.cut || ls->groups.cut || ls->formats.cut ||
      ls->sigalgs.cut)
    return; /* a list longer than we keep: no fingerprint rather than a wrong one */
  char *text = malloc(FP_TEXT_MAX);
  struct svp_tls_list *c = malloc(2 * sizeof *c);
  if (text && c) {
    if (svp_tls_ja3_string(ch, ls, text, FP_TEXT_MAX))
      digest_hex(EVP_md5(), text, ch->ja3);
    struct svp_tls_list *e = c + 1;
    ja4_sorted(ls, c, e);
    char a[16], hb[13], hc[13];
    ja4_a(ch, ls, a);
    struct sb b = {text, FP_TEXT_MAX, 0, true};
    text[0] = '\0';
    sb_list(&b, c, true);
    bool ok = b.ok && trunc12(c->n == 0, text, hb);
    b = (struct sb){text, FP_TEXT_MAX, 0, true};
    text[0] = '\0';
    ok = ok && ja4_c_text(e, ls, &b) && trunc12(e->n == 0, text, hc);
    if (ok && strlen(a) == 10) { /* a: 10 characters, hb and hc: 12 each */
      memcpy(ch->ja4, a, 10);
      ch->ja4[10] = '_';
      memcpy(ch->ja4 + 11, hb, 12);
      ch->ja4[23] = '_';
      memcpy(ch->ja4 + 24, hc, 13);
    }
  }
  free(c);
  free(text);
}

void svp_tls_fp_server(struct svp_tls_server_hello *sh, const struct svp_tls_lists *ls)
{
  sh->ja3s[0] = '\0';
  if (sh->sslv2 || ls->ext.cut)
    return;
  char text[16 + 6 * SVP_TLS_LIST_MAX];
  struct sb b = {text, sizeof text, 0, true};
  text[0] = '\0';
  sb_add(&b, false, ls->legacy_version);
  sb_ch(&b, ',');
  sb_add(&b, false, sh->cipher);
  sb_ch(&b, ',');
  sb_list(&b, &ls->ext, false);
  if (b.ok)
    digest_hex(EVP_md5(), text, sh->ja3s);
}
