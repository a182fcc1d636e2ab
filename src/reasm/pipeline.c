/* pipeline.c: inputs -> decode -> flow table (see pipeline.h). */
#include "svp/reasm/pipeline.h"
#include "svp/reasm/readahead.h"
#include "svp/rules/rules.h"
#include "svp/rules/services.h"

#include <pcap/pcap.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define PROGRESS_CHECK_FRAMES 4096 /* frames between looks at the clock */
#define LIVE_POLL_MS 200

struct svp_pipeline {
  const struct svp_config *cfg;
  struct svp_diag *diag;
  struct svp_services *svc;
  struct svp_flowtab *ft;
  struct svp_pipeline_stats st;
  struct svp_input_status *inputs;
  svp_progress_fn progress;
  void *progress_ud;
  uint64_t progress_ns;
  uint64_t next_progress_ns;
  uint64_t bytes_total;
  uint64_t bytes_done;      /* bytes of inputs already finished */
  const volatile int *stop;
  svp_tick_fn tick;         /* live: svp_pipeline_on_tick */
  void *tick_ud;
  uint64_t next_tick_ns;
  bool finished;
  /* per input being read */
  struct svp_capture *cap;
  struct svp_readahead *ra;   /* --threads >= 2: the reader thread of this file */
  unsigned cur;
  uint64_t why_first[SVP_DW_COUNT]; /* first frame number with this reason */
  uint64_t why_count[SVP_DW_COUNT];
};

static uint64_t now_ns(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int svp_pipeline_new(const struct svp_config *cfg, const struct svp_flow_sink *sink,
                     struct svp_diag *diag, struct svp_pipeline **out)
{
  *out = NULL;
  if (cfg->bpf) {
    /* Fail early on an expression that is wrong for any link layer. */
    pcap_t *dead = pcap_open_dead(DLT_EN10MB, 262144);
    struct bpf_program prog;
    if (!dead)
      return SVP_ERR_NOMEM;
    int r = pcap_compile(dead, &prog, cfg->bpf, 1, PCAP_NETMASK_UNKNOWN);
    if (r != 0)
      svp_diag_at(diag, SVP_SEV_ERROR, NULL, 0, "bad filter '%s': %s", cfg->bpf,
                  pcap_geterr(dead));
    else
      pcap_freecode(&prog);
    pcap_close(dead);
    if (r != 0)
      return SVP_ERR_FILTER;
  }
  struct svp_pipeline *pl = calloc(1, sizeof *pl);
  unsigned n = cfg->iface ? 1 : cfg->n_inputs;
  if (!pl || !(pl->inputs = calloc(n ? n : 1, sizeof *pl->inputs))) {
    free(pl);
    return SVP_ERR_NOMEM;
  }
  pl->cfg = cfg;
  pl->diag = diag;
  pl->st.n_inputs = n;
  pl->st.inputs = pl->inputs;
  for (unsigned i = 0; i < n; i++) {
    pl->inputs[i].name = cfg->iface ? cfg->iface : cfg->inputs[i];
    struct stat sb;
    if (!cfg->iface && strcmp(cfg->inputs[i], "-") != 0 && stat(cfg->inputs[i], &sb) == 0 &&
        S_ISREG(sb.st_mode))
      pl->bytes_total += (uint64_t)sb.st_size;
  }
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/nmap-services", cfg->datadir ? cfg->datadir : "/usr/share/nmap");
  struct svp_diag quiet = {0};
  if (svp_services_load(path, &quiet, &pl->svc) == SVP_OK)
    pl->st.services_loaded = true;
  else
    svp_diag_at(diag, SVP_SEV_NOTE, path, 0,
                "not readable: the server side of flows without a handshake is guessed "
                "from port numbers below 1024 and payloads only");
  int rc = svp_flowtab_new(cfg, sink, pl->svc, diag, &pl->ft);
  if (rc != SVP_OK) {
    svp_pipeline_free(pl);
    return rc;
  }
  pl->st.flows = svp_flowtab_stats(pl->ft);
  pl->progress_ns = 500u * 1000000u;
  *out = pl;
  return SVP_OK;
}

static size_t portset_size(const struct svp_portset *ps)
{
  size_t n = 0;
  for (size_t j = 0; j < ps->n; j++)
    n += (size_t)ps->r[j].hi - ps->r[j].lo + 1;
  return n;
}

int svp_pipeline_rule_ports(struct svp_pipeline *pl, const struct svp_ruleset *rs)
{
  for (size_t i = 0, n = svp_rules_n_probes(rs); i < n; i++) {
    const struct svp_probe *p = svp_rules_probe(rs, i);
    const struct svp_portset *sets[2] = {&p->ports, &p->sslports};
    for (int k = 0; k < 2; k++) {
      if (portset_size(sets[k]) > SVP_RULE_PORTS_MAX)
        continue; /* a generic probe's long list says little about each port */
      for (size_t j = 0; j < sets[k]->n; j++) {
        int rc = svp_flowtab_listed_ports(pl->ft, p->l4, sets[k]->r[j].lo, sets[k]->r[j].hi);
        if (rc != SVP_OK)
          return rc;
      }
    }
  }
  return SVP_OK;
}

void svp_pipeline_on_progress(struct svp_pipeline *pl, svp_progress_fn fn, void *ud,
                              unsigned interval_ms)
{
  pl->progress = fn;
  pl->progress_ud = ud;
  pl->progress_ns = (uint64_t)(interval_ms ? interval_ms : 500) * 1000000u;
}

void svp_pipeline_set_stop(struct svp_pipeline *pl, const volatile int *flag)
{
  pl->stop = flag;
}

void svp_pipeline_on_tick(struct svp_pipeline *pl, svp_tick_fn fn, void *ud)
{
  pl->tick = fn;
  pl->tick_ud = ud;
}

/* Live: call the tick when it is due; returns the capture's poll timeout. */
static int run_tick(struct svp_pipeline *pl)
{
  if (!pl->tick)
    return LIVE_POLL_MS;
  uint64_t t = now_ns();
  if (t >= pl->next_tick_ns) {
    unsigned ms = pl->tick(pl->tick_ud);
    t = now_ns();
    pl->next_tick_ns = t + (uint64_t)ms * 1000000u;
  }
  uint64_t left_ms = (pl->next_tick_ns - t + 999999u) / 1000000u;
  return left_ms < LIVE_POLL_MS ? (int)left_ms : LIVE_POLL_MS;
}

static bool stop_now(const struct svp_pipeline *pl)
{
  return pl->stop && *pl->stop;
}

static void report_progress(struct svp_pipeline *pl, bool done)
{
  if (!pl->progress)
    return;
  struct svp_progress pr = {
    .bytes_total = pl->bytes_total,
    .frames = pl->st.frames,
    .flows_live = svp_flowtab_count(pl->ft),
    .n_inputs = pl->st.n_inputs,
    .input = pl->cur,
    .name = pl->cur < pl->st.n_inputs ? pl->inputs[pl->cur].name : NULL,
    .live = pl->cfg->iface != NULL,
    .done = done,
  };
  const struct svp_flowtab_stats *fs = pl->st.flows;
  pr.flows_total = fs->flows_created[0] + fs->flows_created[1] + fs->flows_created[2];
  pr.bytes_read = pl->bytes_done;
  if (pl->ra) {
    pr.bytes_read += svp_readahead_bytes(pl->ra);
  } else if (pl->cap) {
    struct svp_capture_stats cs;
    svp_capture_get_stats(pl->cap, &cs);
    pr.bytes_read += cs.bytes;
  }
  pl->progress(pl->progress_ud, &pr);
}

static void maybe_progress(struct svp_pipeline *pl)
{
  if (!pl->progress || pl->st.frames % PROGRESS_CHECK_FRAMES != 0)
    return;
  uint64_t t = now_ns();
  if (t < pl->next_progress_ns)
    return;
  pl->next_progress_ns = t + pl->progress_ns;
  report_progress(pl, false);
}

/* One frame, already decoded (by this thread or the reader thread). */
static void decoded_frame(struct svp_pipeline *pl, const struct svp_frame *f,
                          const struct svp_pkt *p, enum svp_dec_why why, uint32_t input)
{
  pl->st.frames++;
  pl->st.bytes += f->caplen;
  if (pl->st.first_us == 0)
    pl->st.first_us = f->ts_us;
  pl->st.last_us = f->ts_us;
  struct svp_pktref ref = {.file = input, .frame = f->frame, .ts_us = f->ts_us};
  if (why == SVP_DW_OK) {
    pl->st.decode[why]++;
    svp_flowtab_packet(pl->ft, p, &ref);
    return;
  }
  if (why == SVP_DW_FRAG_LATER && !svp_flowtab_fragment(pl->ft, p, &ref))
    pl->st.frag_unreassembled++;
  pl->st.decode[why]++;
  if (why >= SVP_DW_FIRST_ERROR && input < pl->st.n_inputs) {
    pl->inputs[input].decode_errors++;
    if (pl->why_count[why]++ == 0)
      pl->why_first[why] = f->frame;
  }
}

void svp_pipeline_frame(struct svp_pipeline *pl, const struct svp_frame *f, uint32_t input)
{
  struct svp_pkt p;
  enum svp_dec_why why = svp_decode(f->linktype, f->data, f->caplen, &p);
  decoded_frame(pl, f, &p, why, input);
}

/* --threads >= 2, a file: frames come read and decoded from the reader
 * thread, in file order. Returns SVP_OK and sets *done, or *done = false
 * if the thread could not be started (the caller reads the file itself). */
static int read_ahead(struct svp_pipeline *pl, uint32_t idx, bool *done)
{
  *done = false;
  if (svp_readahead_start(pl->cap, &pl->ra) != SVP_OK)
    return SVP_OK;
  *done = true;
  int rc = SVP_OK;
  for (;;) {
    size_t n;
    const struct svp_ra_frame *fr = svp_readahead_next(pl->ra, &n, &rc);
    if (!fr)
      break;
    bool stop = false;
    for (size_t i = 0; i < n && !(stop = stop_now(pl)); i++) {
      decoded_frame(pl, &fr[i].f, &fr[i].p, fr[i].why, idx);
      maybe_progress(pl);
    }
    svp_readahead_release(pl->ra);
    if (stop) {
      pl->st.stopped = true;
      rc = SVP_OK;
      break;
    }
  }
  svp_readahead_end(pl->ra);
  pl->ra = NULL;
  return rc;
}

/* Sum up one input's decode failures in a warning per reason. */
static void report_decode_errors(struct svp_pipeline *pl, const char *name)
{
  for (int w = SVP_DW_FIRST_ERROR; w < SVP_DW_COUNT; w++) {
    if (!pl->why_count[w])
      continue;
    svp_diag_frame(pl->diag, SVP_SEV_WARN, name, pl->why_first[w],
                   "%llu frame(s) not decoded: %s (first one here)",
                   (unsigned long long)pl->why_count[w], svp_dec_why_name((enum svp_dec_why)w));
  }
  memset(pl->why_count, 0, sizeof pl->why_count);
  memset(pl->why_first, 0, sizeof pl->why_first);
}

/* Read one opened source to its end (or the stop flag). */
static int read_source(struct svp_pipeline *pl, uint32_t idx, bool live)
{
  struct svp_frame f;
  for (;;) {
    if (stop_now(pl)) {
      pl->st.stopped = true;
      return SVP_OK;
    }
    int r = svp_capture_next(pl->cap, &f, live ? run_tick(pl) : LIVE_POLL_MS);
    if (r == SVP_CAP_EOF)
      return SVP_OK;
    if (r < 0)
      return r;
    if (r == SVP_CAP_AGAIN) {
      if (live) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        svp_flowtab_tick(pl->ft, (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
      }
      if (pl->progress && now_ns() >= pl->next_progress_ns) {
        pl->next_progress_ns = now_ns() + pl->progress_ns;
        report_progress(pl, false);
      }
      continue;
    }
    svp_pipeline_frame(pl, &f, idx);
    maybe_progress(pl);
  }
}

static int run_input(struct svp_pipeline *pl, unsigned i)
{
  const struct svp_config *cfg = pl->cfg;
  struct svp_input_status *in = &pl->inputs[i];
  bool live = cfg->iface != NULL;
  int rc = live ? svp_capture_open_live(cfg->iface, cfg->snaplen, cfg->promisc, cfg->bpf,
                                        pl->diag, &pl->cap)
                : svp_capture_open_file(cfg->inputs[i], cfg->bpf, pl->diag, &pl->cap);
  if (rc != SVP_OK) {
    in->status = rc;
    return rc;
  }
  in->opened = true;
  pl->cur = i;
  svp_flowtab_input(pl->ft, i, in->name);
  bool done = false;
  if (!live && cfg->threads >= 2)
    rc = read_ahead(pl, i, &done);
  if (!done)
    rc = read_source(pl, i, live);
  svp_capture_get_stats(pl->cap, &in->cap);
  in->truncated = in->cap.truncated;
  in->status = rc != SVP_OK ? rc : in->truncated ? SVP_ERR_TRUNC : SVP_OK;
  if (live && (in->cap.drop || in->cap.ifdrop))
    svp_diag_at(pl->diag, SVP_SEV_WARN, in->name, 0,
                "the capture dropped %llu packet(s) (kernel) and %llu (interface) of %llu",
                (unsigned long long)in->cap.drop, (unsigned long long)in->cap.ifdrop,
                (unsigned long long)in->cap.recv);
  report_decode_errors(pl, in->name);
  pl->bytes_done += in->cap.bytes;
  svp_capture_close(pl->cap);
  pl->cap = NULL;
  report_progress(pl, false);
  return rc;
}

int svp_pipeline_run(struct svp_pipeline *pl)
{
  int first_err = SVP_OK;
  bool any = false;
  for (unsigned i = 0; i < pl->st.n_inputs; i++) {
    if (stop_now(pl)) {
      pl->st.stopped = true;
      pl->inputs[i].status = SVP_ERR_LIMIT;
      continue;
    }
    int rc = run_input(pl, i);
    if (pl->inputs[i].opened)
      any = true;
    if (!pl->inputs[i].opened || rc != SVP_OK) {
      pl->st.inputs_failed++;
      if (first_err == SVP_OK)
        first_err = pl->inputs[i].status;
    }
  }
  return any ? SVP_OK : first_err != SVP_OK ? first_err : SVP_ERR_IO;
}

void svp_pipeline_finish(struct svp_pipeline *pl)
{
  if (pl->finished)
    return;
  pl->finished = true;
  svp_flowtab_flush(pl->ft);
  report_progress(pl, true);
}

const struct svp_pipeline_stats *svp_pipeline_stats(struct svp_pipeline *pl)
{
  return &pl->st;
}

void svp_pipeline_free(struct svp_pipeline *pl)
{
  if (!pl)
    return;
  svp_capture_close(pl->cap);
  svp_flowtab_free(pl->ft);
  svp_services_free(pl->svc);
  free(pl->inputs);
  free(pl);
}
