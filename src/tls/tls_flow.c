/* tls_flow.c: the per-flow handshake parser (see tls.h): where TLS starts
 * in each direction, the record walk, handshake messages gathered across
 * records, and when each direction is finished. */
#include "svp/base/cursor.h"
#include "tls_int.h"

#include <stdlib.h>
#include <string.h>

#define REC_HDR 5
#define REC_MAX (16384 + 2048)     /* TLSCiphertext: 2^14 + 2048 */
#define NO_START UINT32_MAX
#define SEARCH_WINDOW 64           /* client: its hello within this many bytes of the request */

enum { CT_CCS = 20, CT_ALERT = 21, CT_HANDSHAKE = 22, CT_APPDATA = 23, CT_HEARTBEAT = 24 };
enum { HS_CLIENT_HELLO = 1, HS_SERVER_HELLO = 2, HS_CERTIFICATE = 11, HS_SKE = 12,
       HS_CERT_REQ = 13, HS_SERVER_DONE = 14, HS_CKE = 16, HS_CERT_STATUS = 22 };

enum look { LOOK_YES, LOOK_NO, LOOK_MORE };
enum fstate { FS_LOOK = 0, FS_TLS, FS_NONE };

struct dirst {
  uint32_t start;       /* stream offset where this direction's TLS begins, or NO_START */
  uint32_t from;        /* where to search for it (after an upgrade request) */
  uint32_t search0;     /* where the search began */
  uint32_t off;         /* stream offset of the next record header */
  uint8_t *hs;          /* handshake bytes gathered from records (owned) */
  uint32_t hs_len, hs_cap;
  bool sslv2;           /* SSLv2 framing */
  bool ccs;             /* ChangeCipherSpec seen */
  bool done;            /* nothing more to read in this direction */
};

struct svp_tls_flow {
  enum fstate st;
  bool midstream;       /* the flow was joined mid-conversation */
  bool pending;         /* plaintext that may still upgrade */
  bool hrr;             /* a HelloRetryRequest was read */
  bool tls13;           /* the server chose TLS 1.3 (in an HRR or ServerHello) */
  struct dirst d[2];
  uint8_t *chain;       /* certificate DER, owned; hs.cert[] point into it */
  struct svp_tls_hs hs;
};

int svp_tls_flow_new(bool midstream, struct svp_tls_flow **out)
{
  struct svp_tls_flow *t = calloc(1, sizeof *t);
  if (!t)
    return SVP_ERR_NOMEM;
  t->midstream = midstream;
  for (int k = 0; k < 2; k++)
    t->d[k].start = NO_START;
  *out = t;
  return SVP_OK;
}

void svp_tls_flow_free(struct svp_tls_flow *t)
{
  if (!t)
    return;
  for (int k = 0; k < 2; k++)
    free(t->d[k].hs);
  free(t->chain);
  free(t);
}

static void dir_finish(struct svp_tls_flow *t, struct dirst *D)
{
  D->done = true;
  free(D->hs);
  D->hs = NULL;
  D->hs_len = D->hs_cap = 0;
  (void)t;
}

static void malformed(struct svp_tls_flow *t, struct dirst *D)
{
  t->hs.malformed = true;
  dir_finish(t, D);
}

/* ---- where TLS starts ---------------------------------------------------- */

static bool tls_version_ok(uint8_t major, uint8_t minor)
{
  return major == 3 && minor <= 4;
}

/* Handshake message types a direction's TLS may begin with. From the
 * flow's start only the hellos; joined mid-flow, a later message of the
 * first flight too (the capture began after the hello). */
static bool first_msg_ok(bool midstream, enum svp_dir_id dir, uint8_t mt)
{
  if (dir == SVP_C2S)
    return mt == HS_CLIENT_HELLO || (midstream && mt == HS_CKE);
  if (mt == HS_SERVER_HELLO)
    return true;
  return midstream && (mt == HS_CERTIFICATE || mt == HS_SKE || mt == HS_CERT_REQ ||
                       mt == HS_SERVER_DONE || mt == HS_CERT_STATUS);
}

/* Does a TLS handshake record (or an SSLv2 hello) begin at p? */
static enum look look_tls(const uint8_t *p, uint32_t n, bool midstream, enum svp_dir_id dir,
                          bool *sslv2)
{
  *sslv2 = false;
  if (n == 0)
    return LOOK_MORE;
  if (p[0] == CT_HANDSHAKE) {
    if (n < 6)
      return n >= 2 && p[1] != 3 ? LOOK_NO : LOOK_MORE;
    uint16_t rlen = (uint16_t)(p[3] << 8 | p[4]);
    if (!tls_version_ok(p[1], p[2]) || rlen == 0 || rlen > REC_MAX)
      return LOOK_NO;
    return first_msg_ok(midstream, dir, p[5]) ? LOOK_YES : LOOK_NO;
  }
  if (p[0] & 0x80) { /* SSLv2 two-byte header */
    if (n < 5)
      return LOOK_MORE;
    uint16_t rlen = (uint16_t)((p[0] & 0x7f) << 8 | p[1]);
    bool ok = dir == SVP_C2S ? p[2] == 1 && (p[3] == 0 || p[3] == 3) && rlen >= 9
                             : p[2] == 4 && rlen >= 11;
    *sslv2 = ok;
    return ok ? LOOK_YES : LOOK_NO;
  }
  return LOOK_NO;
}

/* After an upgrade request: the first offset at or after `from` where
 * this direction's hello record starts (the client's right after its
 * request, the server's after its plaintext answer). */
static enum look search_hello(const uint8_t *p, uint32_t valid, uint32_t from,
                              enum svp_dir_id dir, uint32_t *at)
{
  uint32_t end = valid, limit = from + SEARCH_WINDOW;
  if (dir == SVP_C2S && limit < end)
    end = limit;
  for (uint32_t i = from; i < end; i++) {
    if (p[i] != CT_HANDSHAKE)
      continue;
    bool v2;
    enum look l = look_tls(p + i, valid - i, false, dir, &v2);
    *at = i;
    if (l == LOOK_YES && !v2)
      return LOOK_YES;
    if (l == LOOK_MORE)
      return LOOK_MORE; /* resume the search here */
  }
  *at = end;
  return dir == SVP_C2S && end >= limit ? LOOK_NO : LOOK_MORE;
}

/* ---- handshake messages ------------------------------------------------- */

static void keep_chain(struct svp_tls_flow *t, const uint8_t *body, uint32_t len)
{
  struct svp_cur c = svp_cur_make(body, len);
  struct svp_cur list = svp_cur_sub(&c, (uint32_t)svp_cur_u8(&c) << 16 |
                                            svp_cur_be16(&c));
  t->hs.cert_seen = true;
  if (c.bad) {
    t->hs.malformed = true;
    return;
  }
  free(t->chain);
  t->chain = malloc(list.len ? list.len : 1);
  t->hs.n_certs = 0;
  if (!t->chain)
    return;
  uint32_t used = 0;
  while (svp_cur_left(&list) >= 3 && t->hs.n_certs < SVP_TLS_CHAIN_MAX) {
    uint32_t n = (uint32_t)svp_cur_u8(&list) << 16 | svp_cur_be16(&list);
    const uint8_t *der = svp_cur_take(&list, n);
    if (!der) {
      t->hs.malformed = true;
      break;
    }
    memcpy(t->chain + used, der, n);
    t->hs.cert[t->hs.n_certs] = t->chain + used;
    t->hs.cert_len[t->hs.n_certs++] = n;
    used += n;
  }
}

static void server_hello(struct svp_tls_flow *t, struct dirst *D, const uint8_t *b,
                         uint32_t n)
{
  struct svp_tls_server_hello sh;
  int rc = svp_tls_parse_server_hello(b, n, &sh);
  if (!sh.seen) {
    malformed(t, D);
    return;
  }
  if (rc != SVP_OK)
    t->hs.malformed = true;
  bool v13 = sh.version == SVP_TLS_V_13 || (sh.version >> 8) == 0x7f;
  t->tls13 = t->tls13 || v13;
  if (sh.hrr) {
    t->hrr = true; /* the real ServerHello follows the client's second hello */
    return;
  }
  sh.hrr = t->hrr;
  t->hs.sh = sh;
  if (v13) {
    t->hs.cert_encrypted = true;
    t->hs.complete = true;
    dir_finish(t, D);
  }
}

static void handle_msg(struct svp_tls_flow *t, enum svp_dir_id dir, struct dirst *D,
                       uint8_t mt, const uint8_t *b, uint32_t n)
{
  if (dir == SVP_C2S) {
    if (mt == HS_CLIENT_HELLO && !t->hs.ch.seen) {
      if (svp_tls_parse_client_hello(b, n, &t->hs.ch) != SVP_OK)
        t->hs.malformed = true;
      if (!t->hs.ch.seen)
        malformed(t, D);
    }
    dir_finish(t, D); /* the rest of the client's flight adds nothing */
    return;
  }
  switch (mt) {
  case HS_SERVER_HELLO: server_hello(t, D, b, n); break;
  case HS_CERTIFICATE:
    if (!t->tls13)
      keep_chain(t, b, n);
    break;
  case HS_SERVER_DONE:
    t->hs.complete = true;
    dir_finish(t, D);
    break;
  default: break;
  }
}

/* Parse the complete messages gathered in D->hs; keep the unfinished rest. */
static void drain_messages(struct svp_tls_flow *t, enum svp_dir_id dir, struct dirst *D)
{
  uint32_t pos = 0;
  while (!D->done && D->hs_len - pos >= 4) {
    const uint8_t *m = D->hs + pos;
    uint32_t mlen = (uint32_t)m[1] << 16 | (uint32_t)m[2] << 8 | m[3];
    if (mlen > SVP_TLS_REGION_MAX) {
      t->hs.cut = true;
      dir_finish(t, D);
      return;
    }
    if (D->hs_len - pos - 4 < mlen)
      break;
    handle_msg(t, dir, D, m[0], m + 4, mlen);
    pos += 4 + mlen;
  }
  if (D->done || pos == 0)
    return;
  memmove(D->hs, D->hs + pos, D->hs_len - pos);
  D->hs_len -= pos;
}

static bool hs_append(struct svp_tls_flow *t, struct dirst *D, const uint8_t *p, uint32_t n)
{
  if (D->hs_len + n > D->hs_cap) {
    uint32_t cap = D->hs_cap ? D->hs_cap : 4096;
    while (cap < D->hs_len + n)
      cap *= 2;
    uint8_t *nb = realloc(D->hs, cap);
    if (!nb) {
      dir_finish(t, D);
      return false;
    }
    D->hs = nb;
    D->hs_cap = cap;
  }
  memcpy(D->hs + D->hs_len, p, n);
  D->hs_len += n;
  return true;
}

/* ---- records --------------------------------------------------------------- */

static void walk_sslv2(struct svp_tls_flow *t, enum svp_dir_id dir, struct dirst *D,
                       const uint8_t *p, uint32_t valid)
{
  if (valid - D->off < 2)
    return;
  uint32_t rlen = (uint32_t)(p[D->off] & 0x7f) << 8 | p[D->off + 1];
  if (valid - D->off - 2 < rlen)
    return;
  const uint8_t *m = p + D->off + 2;
  if (dir == SVP_C2S) {
    if (svp_tls_read_sslv2_client_hello(m, rlen, &t->hs.ch) != SVP_OK)
      t->hs.malformed = true;
  } else {
    const uint8_t *der = NULL;
    uint32_t dl = 0;
    if (svp_tls_read_sslv2_server_hello(m, rlen, &t->hs.sh, &der, &dl) != SVP_OK) {
      t->hs.malformed = true;
    } else {
      t->hs.complete = true;
      t->hs.cert_seen = der != NULL;
      if (der && (t->chain = malloc(dl))) {
        memcpy(t->chain, der, dl);
        t->hs.cert[0] = t->chain;
        t->hs.cert_len[0] = dl;
        t->hs.n_certs = 1;
      }
    }
  }
  dir_finish(t, D);
}

static void walk(struct svp_tls_flow *t, enum svp_dir_id dir, const uint8_t *p, uint32_t valid)
{
  struct dirst *D = &t->d[dir];
  if (D->sslv2) {
    walk_sslv2(t, dir, D, p, valid);
    return;
  }
  while (!D->done && valid - D->off >= REC_HDR) {
    const uint8_t *h = p + D->off;
    uint32_t rlen = (uint32_t)h[3] << 8 | h[4];
    if (h[0] < CT_CCS || h[0] > CT_HEARTBEAT || !tls_version_ok(h[1], h[2]) ||
        rlen > REC_MAX) {
      malformed(t, D);
      return;
    }
    if (D->off + REC_HDR + rlen - D->start > SVP_TLS_REGION_MAX) {
      t->hs.cut = true;
      dir_finish(t, D);
      return;
    }
    if (valid - D->off - REC_HDR < rlen)
      return; /* the record is not complete yet */
    D->off += REC_HDR + rlen;
    switch (h[0]) {
    case CT_HANDSHAKE:
      /* after CCS a handshake record is encrypted (TLS <= 1.2), except
       * the TLS 1.3 middlebox-compatibility CCS, which changes nothing */
      if (D->ccs && !t->tls13) {
        dir_finish(t, D);
        return;
      }
      if (!hs_append(t, D, h + REC_HDR, rlen))
        return;
      drain_messages(t, dir, D);
      break;
    case CT_CCS:
      D->ccs = true;
      if (dir == SVP_S2C && !t->tls13) {
        t->hs.sh.resumed = t->hs.sh.seen && !t->hs.cert_seen;
        t->hs.complete = t->hs.sh.seen;
        dir_finish(t, D);
      }
      break;
    default: /* alert, application data, heartbeat: the handshake is over */
      dir_finish(t, D);
      return;
    }
  }
}

/* ---- feeding --------------------------------------------------------------- */

static uint32_t valid_len(const struct svp_dir *d)
{
  if (!d->data)
    return 0;
  return d->gap_at < d->len ? d->gap_at : d->len;
}

/* Decide, from the first bytes, whether and where TLS starts. */
static void look(struct svp_tls_flow *t, const struct svp_flow *f)
{
  bool more = false;
  for (int k = 0; k < 2; k++) {
    const struct svp_dir *d = &f->dir[k];
    bool v2;
    enum look l = look_tls(d->data, valid_len(d), t->midstream, (enum svp_dir_id)k, &v2);
    if (l == LOOK_YES) {
      t->d[k].start = t->d[k].off = 0;
      t->d[k].sslv2 = v2;
      t->st = FS_TLS;
    }
    more |= l == LOOK_MORE && valid_len(d) > 0;
  }
  if (t->st == FS_TLS) {
    t->hs.midstream = t->midstream;
    for (int k = 0; k < 2; k++)
      if (t->d[k].start == NO_START) /* the other side: its hello, anywhere early */
        t->d[k].from = 0;
    return;
  }
  const struct svp_dir *c = &f->dir[SVP_C2S], *s = &f->dir[SVP_S2C];
  enum svp_tls_upgrade kind;
  uint32_t cli_at, srv_from;
  enum svp_tls_upgrade_state u =
      svp_tls_upgrade_scan(c->data, valid_len(c), s->data, valid_len(s), &kind, &cli_at,
                           &srv_from);
  t->pending = u == SVP_TLS_UPS_PENDING;
  if (u == SVP_TLS_UPS_YES) {
    t->st = FS_TLS;
    t->hs.upgrade = kind;
    t->d[SVP_C2S].from = t->d[SVP_C2S].search0 = cli_at;
    t->d[SVP_S2C].from = t->d[SVP_S2C].search0 = srv_from;
  } else if (u == SVP_TLS_UPS_NO && !more) {
    t->st = FS_NONE;
  }
}

void svp_tls_flow_feed(struct svp_tls_flow *t, const struct svp_flow *f)
{
  if (t->st == FS_LOOK)
    look(t, f);
  if (t->st != FS_TLS)
    return;
  for (int k = 0; k < 2; k++) {
    struct dirst *D = &t->d[k];
    const struct svp_dir *d = &f->dir[k];
    uint32_t valid = valid_len(d);
    if (D->done)
      continue;
    if (D->start == NO_START && t->hs.upgrade == SVP_TLS_UP_NONE && D->search0 == 0) {
      bool v2; /* this side's TLS from its first byte, like the other's */
      enum look l0 = look_tls(d->data, valid, t->midstream, (enum svp_dir_id)k, &v2);
      if (l0 == LOOK_MORE)
        continue;
      if (l0 == LOOK_YES) {
        D->start = D->off = 0;
        D->sslv2 = v2;
      }
    }
    if (D->start == NO_START) {
      uint32_t at = D->from;
      enum look l = D->from < valid
                        ? search_hello(d->data, valid, D->from, (enum svp_dir_id)k, &at)
                        : LOOK_MORE;
      if (l == LOOK_NO || (l == LOOK_MORE && at > D->search0 + SVP_TLS_REGION_MAX)) {
        dir_finish(t, D);
        continue;
      }
      if (l != LOOK_YES) {
        if (k == SVP_S2C)
          D->from = at; /* the client's window stays anchored at its request */
        continue;
      }
      D->start = D->off = at;
    }
    walk(t, (enum svp_dir_id)k, d->data, valid);
  }
}

bool svp_tls_flow_wants_more(const struct svp_tls_flow *t)
{
  switch (t->st) {
  case FS_LOOK: return true;
  case FS_TLS: return !t->d[SVP_S2C].done;
  default: return false;
  }
}

uint32_t svp_tls_flow_want(const struct svp_tls_flow *t, enum svp_dir_id dir)
{
  const struct dirst *D = &t->d[dir];
  if (t->st != FS_TLS || D->done)
    return 0;
  uint32_t base = D->start != NO_START ? D->start : D->search0;
  return base + SVP_TLS_REGION_MAX + REC_HDR;
}

bool svp_tls_flow_seen(const struct svp_tls_flow *t)
{
  return t->hs.ch.seen || t->hs.sh.seen || t->hs.cert_seen;
}

const struct svp_tls_hs *svp_tls_flow_result(const struct svp_tls_flow *t)
{
  return svp_tls_flow_seen(t) ? &t->hs : NULL;
}

/* ---- stateless ---------------------------------------------------------- */

bool svp_tls_hello_at(const uint8_t *p, size_t len, uint8_t hello_type, uint16_t *version)
{
  struct svp_cur c = svp_cur_make(p, len);
  uint8_t ct = svp_cur_u8(&c), major = svp_cur_u8(&c), minor = svp_cur_u8(&c);
  uint16_t rlen = svp_cur_be16(&c);
  uint8_t mt = svp_cur_u8(&c);
  uint32_t mlen = (uint32_t)svp_cur_u8(&c) << 16 | svp_cur_be16(&c);
  if (c.bad || ct != CT_HANDSHAKE || !tls_version_ok(major, minor) || rlen < 4 ||
      rlen > REC_MAX || mt != hello_type || (hello_type != HS_CLIENT_HELLO &&
                                             hello_type != HS_SERVER_HELLO))
    return false;
  /* the hello must be whole within this record (hellos are never split in
   * practice) and within the bytes given */
  if (mlen + 4 > rlen || !svp_cur_has(&c, mlen))
    return false;
  const uint8_t *body = svp_cur_rest(&c);
  uint16_t v;
  if (hello_type == HS_CLIENT_HELLO) {
    struct svp_tls_client_hello ch;
    if (svp_tls_parse_client_hello(body, mlen, &ch) != SVP_OK)
      return false;
    v = ch.max_version;
  } else {
    struct svp_tls_server_hello sh;
    if (svp_tls_parse_server_hello(body, mlen, &sh) != SVP_OK)
      return false;
    v = sh.version;
  }
  if (version)
    *version = v;
  return true;
}
