/* capture.c: capture files and live interfaces (see capture.h).
 *
 * Every file is read through a small stdio cookie over its descriptor: it
 * replays the bytes read to recognise the format (so that stdin works) and
 * counts the bytes consumed (progress). */
#include "svp/capture/capture.h"
#include "svp/base/cursor.h"
#include "svp/capture/decode.h"

#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PCAPNG_MAX_BLOCK (16u << 20) /* larger blocks are refused (as libpcap) */
#define MAX_FILTERS 16               /* link types with a compiled filter */
#define LIVE_BUFFER (32 << 20)       /* kernel ring for live captures */
#define READ_BUFFER (256 << 10)      /* stdio buffer over a capture file */

enum { NG_SHB = 0x0a0d0d0a, NG_IDB = 1, NG_PB = 2, NG_SPB = 3, NG_EPB = 6,
       NG_BOM = 0x1a2b3c4d };

/* ----------------------------------------------------------- input cookie */

struct cookie {
  int fd;
  bool own_fd;
  uint8_t peek[4];
  size_t npeek, peek_off;
  uint64_t bytes;
};

static ssize_t ck_read(void *v, char *buf, size_t size)
{
  struct cookie *ck = v;
  if (ck->peek_off < ck->npeek) {
    size_t n = ck->npeek - ck->peek_off;
    if (n > size)
      n = size;
    memcpy(buf, ck->peek + ck->peek_off, n);
    ck->peek_off += n;
    ck->bytes += n;
    return (ssize_t)n;
  }
  ssize_t n;
  do
    n = read(ck->fd, buf, size);
  while (n < 0 && errno == EINTR);
  if (n > 0)
    ck->bytes += (uint64_t)n;
  return n;
}

static int ck_close(void *v)
{
  struct cookie *ck = v;
  if (ck->own_fd)
    close(ck->fd);
  free(ck);
  return 0;
}

/* Read exactly n bytes from fd (fewer only at end of file). */
static ssize_t read_full(int fd, uint8_t *buf, size_t n)
{
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(fd, buf + got, n - got);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0)
      return -1;
    if (r == 0)
      break;
    got += (size_t)r;
  }
  return (ssize_t)got;
}

/* ----------------------------------------------------------------- pcapng */

struct ng_iface {
  int linktype;
  uint32_t snaplen;
  bool tsres_pow2;  /* resolution is 2^-tsres instead of 10^-tsres */
  uint8_t tsres;
  int64_t tsoffset; /* seconds */
  bool warned;      /* unknown link type reported */
};

struct ng_state {
  bool swap;
  struct ng_iface *ifs;
  size_t n_ifs, cap_ifs;
  uint8_t *buf;
  size_t bufcap;
};

/* ----------------------------------------------------------------- handle */

struct filt {
  int lt;
  bool ok;
  struct bpf_program prog;
};

struct svp_capture {
  enum svp_cap_format format;
  char *name;
  struct svp_diag *diag;
  FILE *fp;
  char *iobuf;            /* fp's buffer: freed after fp is closed */
  struct cookie *ck;
  pcap_t *pc;             /* classic pcap file or live */
  int linktype;
  struct ng_state ng;
  char *bpf;
  struct filt filt[MAX_FILTERS];
  unsigned n_filt;
  uint64_t frame;         /* frames read so far */
  uint64_t filtered;
  uint64_t size;
  uint64_t live_bytes;
  bool truncated;
  bool done;
  struct pcap_stat ps;
};

const char *svp_capture_name(const struct svp_capture *c)
{
  return c->name;
}

static int dlt_of(int linktype)
{
  return linktype == SVP_LT_RAW ? DLT_RAW : linktype;
}

/* The compiled filter for a link type, NULL if there is no filter or it does
 * not compile for that link type (reported once). *reject is set when the
 * frames of this link type must be dropped (filter failed). */
static const struct bpf_program *filter_for(struct svp_capture *c, int lt, bool *reject)
{
  *reject = false;
  if (!c->bpf)
    return NULL;
  for (unsigned i = 0; i < c->n_filt; i++)
    if (c->filt[i].lt == lt) {
      *reject = !c->filt[i].ok;
      return c->filt[i].ok ? &c->filt[i].prog : NULL;
    }
  if (c->n_filt == MAX_FILTERS) {
    *reject = true;
    return NULL;
  }
  struct filt *f = &c->filt[c->n_filt++];
  f->lt = lt;
  pcap_t *dead = pcap_open_dead(dlt_of(lt), 262144);
  if (dead && pcap_compile(dead, &f->prog, c->bpf, 1, PCAP_NETMASK_UNKNOWN) == 0) {
    f->ok = true;
  } else {
    const char *name = svp_linktype_name(lt);
    svp_diag_at(c->diag, SVP_SEV_ERROR, c->name,
                0, "filter '%s' does not compile for link type %d (%s): %s; "
                   "frames of that link type are skipped",
                c->bpf, lt, name ? name : "unknown", dead ? pcap_geterr(dead) : "?");
    f->ok = false;
  }
  if (dead)
    pcap_close(dead);
  *reject = !f->ok;
  return f->ok ? &f->prog : NULL;
}

/* True if the frame passes the filter. */
static bool filter_pass(struct svp_capture *c, int lt, const struct pcap_pkthdr *h,
                        const uint8_t *data)
{
  bool reject;
  const struct bpf_program *prog = filter_for(c, lt, &reject);
  if (reject)
    return false;
  return !prog || pcap_offline_filter(prog, h, data) != 0;
}

static void warn_truncated(struct svp_capture *c, const char *what)
{
  c->truncated = true;
  svp_diag_frame(c->diag, SVP_SEV_WARN, c->name, c->frame + 1,
                 "capture file ends inside a record (%s); keeping the %llu frames before it",
                 what, (unsigned long long)c->frame);
}

/* ------------------------------------------------------ pcapng reading */

static uint32_t rd32(bool swap, const uint8_t *p)
{
  return swap ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
              : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static uint32_t cur32(bool swap, struct svp_cur *cur)
{
  return swap ? svp_cur_be32(cur) : svp_cur_le32(cur);
}

static uint16_t cur16(bool swap, struct svp_cur *cur)
{
  return swap ? svp_cur_be16(cur) : svp_cur_le16(cur);
}

static int ng_add_iface(struct svp_capture *c, struct svp_cur body)
{
  struct ng_state *ng = &c->ng;
  bool sw = ng->swap;
  struct ng_iface ifc = {.tsres = 6};
  ifc.linktype = cur16(sw, &body);
  svp_cur_skip(&body, 2);
  ifc.snaplen = cur32(sw, &body);
  if (body.bad)
    return SVP_ERR_PARSE;
  /* Options: code, length, value padded to 4. */
  while (svp_cur_left(&body) >= 4) {
    uint16_t code = cur16(sw, &body);
    uint16_t len = cur16(sw, &body);
    if (code == 0)
      break;
    struct svp_cur v = svp_cur_sub(&body, len);
    if (v.bad)
      break;
    svp_cur_skip(&body, (4u - (len & 3u)) & 3u);
    if (code == 9 && len >= 1) { /* if_tsresol */
      uint8_t r = svp_cur_u8(&v);
      ifc.tsres_pow2 = (r & 0x80) != 0;
      ifc.tsres = r & 0x7f;
    } else if (code == 14 && len >= 8) { /* if_tsoffset */
      uint32_t a = cur32(sw, &v), b = cur32(sw, &v);
      uint64_t off = sw ? ((uint64_t)a << 32 | b) : ((uint64_t)b << 32 | a);
      ifc.tsoffset = (int64_t)off;
    }
  }
  if (ng->n_ifs == ng->cap_ifs) {
    size_t nc = ng->cap_ifs ? ng->cap_ifs * 2 : 4;
    if (nc > 65536) /* interface ids are 32-bit, but no real file has this many */
      return SVP_ERR_LIMIT;
    struct ng_iface *n = realloc(ng->ifs, nc * sizeof *n);
    if (!n)
      return SVP_ERR_NOMEM;
    ng->ifs = n;
    ng->cap_ifs = nc;
  }
  ng->ifs[ng->n_ifs++] = ifc;
  if (ng->n_ifs == 1)
    c->linktype = ifc.linktype;
  return SVP_OK;
}

/* Timestamp units of an interface to µs. */
static int64_t ng_ts_us(const struct ng_iface *ifc, uint64_t t)
{
  int64_t us;
  if (ifc->tsres_pow2) {
    unsigned k = ifc->tsres > 63 ? 63 : ifc->tsres;
    unsigned __int128 x = (unsigned __int128)t * 1000000u;
    us = (int64_t)(uint64_t)(x >> k);
  } else if (ifc->tsres >= 6) {
    uint64_t div = 1;
    for (unsigned i = 6; i < ifc->tsres && i < 26; i++)
      div *= 10;
    us = (int64_t)(t / div);
  } else {
    uint64_t mul = 1;
    for (unsigned i = ifc->tsres; i < 6; i++)
      mul *= 10;
    us = (int64_t)(t * mul);
  }
  return us + ifc->tsoffset * 1000000;
}

/* Read one block into ng->buf. Returns 1 block, 0 clean EOF, <0 error
 * (truncation reported). *type and *len (total length) set. */
static int ng_read_block(struct svp_capture *c, uint32_t *type, uint32_t *blen)
{
  struct ng_state *ng = &c->ng;
  uint8_t hdr[12];
  size_t n = fread(hdr, 1, 8, c->fp);
  if (n == 0 && feof(c->fp))
    return 0;
  if (n < 8) {
    if (ferror(c->fp)) {
      svp_diag_at(c->diag, SVP_SEV_ERROR, c->name, 0, "read error: %s", strerror(errno));
      return SVP_ERR_IO;
    }
    warn_truncated(c, "block header");
    return SVP_ERR_TRUNC;
  }
  uint32_t t = rd32(ng->swap, hdr);
  if (t == NG_SHB) {
    /* New section: its byte-order magic decides how to read the rest. */
    if (fread(hdr + 8, 1, 4, c->fp) < 4) {
      warn_truncated(c, "section header");
      return SVP_ERR_TRUNC;
    }
    uint32_t bom = rd32(false, hdr + 8);
    if (bom == NG_BOM)
      ng->swap = false;
    else if (rd32(true, hdr + 8) == NG_BOM)
      ng->swap = true;
    else {
      svp_diag_at(c->diag, SVP_SEV_ERROR, c->name, 0,
                  "pcapng section header with a bad byte-order magic");
      return SVP_ERR_PARSE;
    }
    ng->n_ifs = 0; /* interfaces are per section */
  }
  uint32_t len = rd32(ng->swap, hdr + 4);
  if (len < 12 || (len & 3) || len > PCAPNG_MAX_BLOCK) {
    svp_diag_frame(c->diag, SVP_SEV_ERROR, c->name, c->frame + 1,
                   "pcapng block of type 0x%x has an invalid length %u; stopping here",
                   t, len);
    return SVP_ERR_PARSE;
  }
  if (ng->bufcap < len) {
    size_t nc = ng->bufcap ? ng->bufcap : 65536;
    while (nc < len)
      nc *= 2;
    uint8_t *nb = realloc(ng->buf, nc);
    if (!nb)
      return SVP_ERR_NOMEM;
    ng->buf = nb;
    ng->bufcap = nc;
  }
  size_t have = t == NG_SHB ? 12 : 8;
  memcpy(ng->buf, hdr, have);
  if (fread(ng->buf + have, 1, len - have, c->fp) < len - have) {
    warn_truncated(c, "pcapng block body");
    return SVP_ERR_TRUNC;
  }
  if (rd32(ng->swap, ng->buf + len - 4) != len) {
    svp_diag_frame(c->diag, SVP_SEV_ERROR, c->name, c->frame + 1,
                   "pcapng block lengths disagree; stopping here");
    return SVP_ERR_PARSE;
  }
  *type = t;
  *blen = len;
  return 1;
}

static int ng_next(struct svp_capture *c, struct svp_frame *f)
{
  struct ng_state *ng = &c->ng;
  for (;;) {
    uint32_t type, len;
    int rc = ng_read_block(c, &type, &len);
    if (rc <= 0)
      return rc == SVP_ERR_TRUNC ? SVP_CAP_EOF : rc;
    bool sw = ng->swap;
    struct svp_cur body = svp_cur_make(ng->buf + 8, len - 12);
    if (type == NG_IDB) {
      rc = ng_add_iface(c, body);
      if (rc != SVP_OK) {
        svp_diag_at(c->diag, SVP_SEV_ERROR, c->name, 0,
                    "bad pcapng interface block: %s", svp_strerror(rc));
        return rc;
      }
      continue;
    }
    if (type != NG_EPB && type != NG_SPB && type != NG_PB)
      continue; /* statistics, name resolution, custom, ... */
    uint32_t ifid = 0, caplen, wirelen;
    uint64_t ts = 0;
    if (type == NG_EPB) {
      ifid = cur32(sw, &body);
      uint32_t hi = cur32(sw, &body), lo = cur32(sw, &body);
      ts = (uint64_t)hi << 32 | lo;
      caplen = cur32(sw, &body);
      wirelen = cur32(sw, &body);
    } else if (type == NG_PB) {
      ifid = cur16(sw, &body);
      svp_cur_skip(&body, 2);
      uint32_t hi = cur32(sw, &body), lo = cur32(sw, &body);
      ts = (uint64_t)hi << 32 | lo;
      caplen = cur32(sw, &body);
      wirelen = cur32(sw, &body);
    } else {
      wirelen = cur32(sw, &body);
      caplen = wirelen;
      if (caplen > svp_cur_left(&body))
        caplen = (uint32_t)svp_cur_left(&body);
      if (ng->n_ifs && ng->ifs[0].snaplen && caplen > ng->ifs[0].snaplen)
        caplen = ng->ifs[0].snaplen;
    }
    c->frame++;
    const uint8_t *data = svp_cur_take(&body, caplen);
    if (body.bad || !data) {
      svp_diag_frame(c->diag, SVP_SEV_WARN, c->name, c->frame,
                     "packet block shorter than its captured length; frame skipped");
      continue;
    }
    if (ifid >= ng->n_ifs) {
      svp_diag_frame(c->diag, SVP_SEV_WARN, c->name, c->frame,
                     "packet names interface %u, but the section has %zu; frame skipped",
                     ifid, ng->n_ifs);
      continue;
    }
    struct ng_iface *ifc = &ng->ifs[ifid];
    if (!ifc->warned && !svp_decode_linktype_known(ifc->linktype)) {
      ifc->warned = true;
      svp_diag_frame(c->diag, SVP_SEV_WARN, c->name, c->frame,
                     "interface %u has link type %d, which svpassive cannot decode; "
                     "its frames are counted and skipped",
                     ifid, ifc->linktype);
    }
    f->linktype = ifc->linktype;
    f->data = data;
    f->caplen = caplen;
    f->len = wirelen < caplen ? caplen : wirelen;
    f->ts_us = ng_ts_us(ifc, ts);
    f->frame = c->frame;
    struct pcap_pkthdr h = {.caplen = caplen, .len = f->len};
    if (c->bpf && !filter_pass(c, f->linktype, &h, data)) {
      c->filtered++;
      continue;
    }
    return SVP_CAP_FRAME;
  }
}

/* ------------------------------------------------------ classic pcap */

/* A frame libpcap read (file or live): c->frame is already counted. */
static void frame_from_pcap(const struct svp_capture *c, struct svp_frame *f,
                            const struct pcap_pkthdr *h, const u_char *data)
{
  f->linktype = c->linktype;
  f->data = data;
  f->caplen = h->caplen;
  f->len = h->len;
  f->ts_us = (int64_t)h->ts.tv_sec * 1000000 + h->ts.tv_usec;
  f->frame = c->frame;
}

static int pc_next(struct svp_capture *c, struct svp_frame *f)
{
  for (;;) {
    struct pcap_pkthdr *h;
    const u_char *data;
    int r = pcap_next_ex(c->pc, &h, &data);
    if (r == PCAP_ERROR_BREAK)
      return SVP_CAP_EOF;
    if (r == PCAP_ERROR) {
      const char *msg = pcap_geterr(c->pc);
      if (strstr(msg, "truncated")) {
        warn_truncated(c, msg);
        return SVP_CAP_EOF;
      }
      svp_diag_frame(c->diag, SVP_SEV_ERROR, c->name, c->frame + 1, "%s", msg);
      return SVP_ERR_PCAP;
    }
    if (r != 1)
      return SVP_CAP_EOF;
    c->frame++;
    if (c->bpf && !filter_pass(c, c->linktype, h, data)) {
      c->filtered++;
      continue;
    }
    frame_from_pcap(c, f, h, data);
    return SVP_CAP_FRAME;
  }
}

/* ------------------------------------------------------------ open/close */

static struct svp_capture *cap_new(const char *name, const char *bpf, struct svp_diag *diag)
{
  struct svp_capture *c = calloc(1, sizeof *c);
  if (!c)
    return NULL;
  c->name = strdup(name);
  c->bpf = bpf ? strdup(bpf) : NULL;
  c->diag = diag;
  if (!c->name || (bpf && !c->bpf)) {
    free(c->name);
    free(c->bpf);
    free(c);
    return NULL;
  }
  return c;
}

int svp_capture_open_file(const char *path, const char *bpf, struct svp_diag *diag,
                          struct svp_capture **out)
{
  *out = NULL;
  bool is_stdin = strcmp(path, "-") == 0;
  const char *name = is_stdin ? "-" : path;
  int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    svp_diag_at(diag, SVP_SEV_ERROR, name, 0, "cannot open: %s", strerror(e));
    errno = e;
    return SVP_ERR_IO;
  }
  if (is_stdin && isatty(fd)) {
    svp_diag_at(diag, SVP_SEV_ERROR, name, 0,
                "standard input is a terminal, not a capture file");
    return SVP_ERR_IO;
  }
  struct stat st;
  if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    svp_diag_at(diag, SVP_SEV_ERROR, name, 0, "is a directory, not a capture file");
    if (!is_stdin)
      close(fd);
    return SVP_ERR_IO;
  }
  struct svp_capture *c = cap_new(name, bpf, diag);
  struct cookie *ck = calloc(1, sizeof *ck);
  if (!c || !ck) {
    free(ck);
    svp_capture_close(c);
    if (!is_stdin)
      close(fd);
    return SVP_ERR_NOMEM;
  }
  if (S_ISREG(st.st_mode))
    c->size = (uint64_t)st.st_size;
  ck->fd = fd;
  ck->own_fd = !is_stdin;
  ssize_t n = read_full(fd, ck->peek, 4);
  int rc = SVP_OK;
  if (n < 0) {
    svp_diag_at(diag, SVP_SEV_ERROR, name, 0, "cannot read: %s", strerror(errno));
    rc = SVP_ERR_IO;
  } else if (n < 4) {
    svp_diag_at(diag, SVP_SEV_ERROR, name, 0,
                n == 0 ? "empty file, not a capture" : "too short to be a capture file");
    rc = SVP_ERR_PARSE;
  }
  if (rc != SVP_OK) {
    ck_close(ck);
    svp_capture_close(c);
    return rc;
  }
  ck->npeek = 4;
  cookie_io_functions_t io = {.read = ck_read, .close = ck_close};
  c->fp = fopencookie(ck, "r", io);
  if (!c->fp) {
    ck_close(ck);
    svp_capture_close(c);
    return SVP_ERR_NOMEM;
  }
  /* Fewer, larger reads (glibc ignores the size without a buffer given). */
  if ((c->iobuf = malloc(READ_BUFFER)) != NULL)
    setvbuf(c->fp, c->iobuf, _IOFBF, READ_BUFFER);
  c->ck = ck;
  uint32_t magic = rd32(false, ck->peek);
  if (magic == NG_SHB) {
    c->format = SVP_CAP_PCAPNG;
    c->linktype = -1;
  } else {
    c->format = SVP_CAP_PCAP;
    char err[PCAP_ERRBUF_SIZE] = "";
    c->pc = pcap_fopen_offline_with_tstamp_precision(c->fp, PCAP_TSTAMP_PRECISION_MICRO, err);
    if (!c->pc) {
      bool known = magic == 0xa1b2c3d4 || magic == 0xd4c3b2a1 || magic == 0xa1b23c4d ||
                   magic == 0x4d3cb2a1 || magic == 0xa1b2cd34 || magic == 0x34cdb2a1;
      if (known)
        svp_diag_at(diag, SVP_SEV_ERROR, name, 0, "bad pcap file header: %s", err);
      else
        svp_diag_at(diag, SVP_SEV_ERROR, name, 0,
                    "not a pcap or pcapng file (starts with %02x %02x %02x %02x)",
                    ck->peek[0], ck->peek[1], ck->peek[2], ck->peek[3]);
      svp_capture_close(c); /* closes fp, which frees the cookie */
      return SVP_ERR_PARSE;
    }
    c->fp = NULL; /* libpcap owns it now */
    c->linktype = pcap_datalink(c->pc);
    if (!svp_decode_linktype_known(c->linktype)) {
      const char *lname = pcap_datalink_val_to_name(c->linktype);
      svp_diag_at(diag, SVP_SEV_ERROR, name, 0,
                  "link type %d (%s) is not supported; file skipped", c->linktype,
                  lname ? lname : "unknown");
      svp_capture_close(c);
      return SVP_ERR_LINKTYPE;
    }
    bool reject;
    filter_for(c, c->linktype, &reject);
    if (reject) {
      svp_capture_close(c);
      return SVP_ERR_FILTER;
    }
  }
  *out = c;
  return SVP_OK;
}

int svp_capture_open_live(const char *iface, unsigned snaplen, bool promisc,
                          const char *bpf, struct svp_diag *diag,
                          struct svp_capture **out)
{
  *out = NULL;
  struct svp_capture *c = cap_new(iface, bpf, diag);
  if (!c)
    return SVP_ERR_NOMEM;
  c->format = SVP_CAP_LIVE;
  char err[PCAP_ERRBUF_SIZE] = "";
  c->pc = pcap_create(iface, err);
  if (!c->pc) {
    svp_diag_at(diag, SVP_SEV_ERROR, iface, 0, "cannot open interface: %s", err);
    svp_capture_close(c);
    return SVP_ERR_PCAP;
  }
  pcap_set_snaplen(c->pc, snaplen ? (int)snaplen : 262144);
  pcap_set_promisc(c->pc, promisc ? 1 : 0);
  pcap_set_timeout(c->pc, 100);
  pcap_set_buffer_size(c->pc, LIVE_BUFFER);
  pcap_set_tstamp_precision(c->pc, PCAP_TSTAMP_PRECISION_MICRO);
  int r = pcap_activate(c->pc);
  if (r < 0) {
    svp_diag_at(diag, SVP_SEV_ERROR, iface, 0, "cannot capture: %s (%s)",
                pcap_statustostr(r), pcap_geterr(c->pc));
    svp_capture_close(c);
    return SVP_ERR_PCAP;
  }
  if (r > 0)
    svp_diag_at(diag, SVP_SEV_WARN, iface, 0, "%s: %s", pcap_statustostr(r),
                pcap_geterr(c->pc));
  c->linktype = pcap_datalink(c->pc);
  if (!svp_decode_linktype_known(c->linktype)) {
    const char *lname = pcap_datalink_val_to_name(c->linktype);
    svp_diag_at(diag, SVP_SEV_ERROR, iface, 0, "link type %d (%s) is not supported",
                c->linktype, lname ? lname : "unknown");
    svp_capture_close(c);
    return SVP_ERR_LINKTYPE;
  }
  if (bpf) {
    struct bpf_program prog;
    if (pcap_compile(c->pc, &prog, bpf, 1, PCAP_NETMASK_UNKNOWN) != 0 ||
        pcap_setfilter(c->pc, &prog) != 0) {
      svp_diag_at(diag, SVP_SEV_ERROR, iface, 0, "filter '%s': %s", bpf,
                  pcap_geterr(c->pc));
      svp_capture_close(c);
      return SVP_ERR_FILTER;
    }
    pcap_freecode(&prog);
    free(c->bpf); /* the kernel filters now */
    c->bpf = NULL;
  }
  if (pcap_setnonblock(c->pc, 1, err) != 0) {
    svp_diag_at(diag, SVP_SEV_ERROR, iface, 0, "cannot set non-blocking mode: %s", err);
    svp_capture_close(c);
    return SVP_ERR_PCAP;
  }
  *out = c;
  return SVP_OK;
}

static int live_next(struct svp_capture *c, struct svp_frame *f, int timeout_ms)
{
  for (int round = 0; round < 2; round++) {
    struct pcap_pkthdr *h;
    const u_char *data;
    int r = pcap_next_ex(c->pc, &h, &data);
    if (r == 1) {
      c->frame++;
      c->live_bytes += h->caplen;
      frame_from_pcap(c, f, h, data);
      return SVP_CAP_FRAME;
    }
    if (r == PCAP_ERROR_BREAK)
      return SVP_CAP_EOF;
    if (r < 0) {
      svp_diag_at(c->diag, SVP_SEV_ERROR, c->name, 0, "capture failed: %s",
                  pcap_geterr(c->pc));
      return SVP_ERR_PCAP;
    }
    if (round == 1)
      break;
    struct pollfd pfd = {.fd = pcap_get_selectable_fd(c->pc), .events = POLLIN};
    if (pfd.fd < 0)
      break;
    int pr = poll(&pfd, 1, timeout_ms);
    if (pr <= 0)
      break; /* timeout or signal: let the caller look around */
  }
  return SVP_CAP_AGAIN;
}

int svp_capture_next(struct svp_capture *c, struct svp_frame *f, int timeout_ms)
{
  if (c->done)
    return SVP_CAP_EOF;
  int rc;
  switch (c->format) {
  case SVP_CAP_PCAPNG: rc = ng_next(c, f); break;
  case SVP_CAP_PCAP: rc = pc_next(c, f); break;
  default: return live_next(c, f, timeout_ms);
  }
  if (rc != SVP_CAP_FRAME)
    c->done = true;
  return rc;
}

void svp_capture_get_stats(struct svp_capture *c, struct svp_capture_stats *st)
{
  memset(st, 0, sizeof *st);
  st->format = c->format;
  st->linktype = c->linktype;
  st->frames = c->frame;
  st->filtered = c->filtered;
  st->size = c->size;
  st->truncated = c->truncated;
  if (c->format == SVP_CAP_LIVE) {
    st->bytes = c->live_bytes;
    if (c->pc && pcap_stats(c->pc, &c->ps) == 0) {
      /* pcap_stats counters are 32-bit and wrap; good enough for a report */
    }
    st->recv = c->ps.ps_recv;
    st->drop = c->ps.ps_drop;
    st->ifdrop = c->ps.ps_ifdrop;
  } else if (c->ck) {
    st->bytes = c->ck->bytes;
  }
}

void svp_capture_close(struct svp_capture *c)
{
  if (!c)
    return;
  if (c->pc)
    pcap_close(c->pc); /* also closes a file handed to libpcap */
  else if (c->fp)
    fclose(c->fp);
  for (unsigned i = 0; i < c->n_filt; i++)
    if (c->filt[i].ok)
      pcap_freecode(&c->filt[i].prog);
  free(c->iobuf);
  free(c->ng.ifs);
  free(c->ng.buf);
  free(c->name);
  free(c->bpf);
  free(c);
}
