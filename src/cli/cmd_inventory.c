/* cmd_inventory.c: the default command: read the captures, identify every
 * server passively, write the inventory in the formats asked for, and say
 * on stderr what was read and what was found. */
#include "svp/active/active.h"
#include "svp/cli/cmd.h"
#include "svp/ident/endpoint.h"
#include "svp/ident/ident.h"
#include "svp/output/output.h"
#include "svp/reasm/pipeline.h"
#include "svp/rules/rules_setup.h"
#include "svp/rules/services.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

/* Everything one inventory run holds, released by run_free(). */
struct run {
  const struct svp_config *cfg;
  struct svp_diag *diag;
  struct svp_ruleset *rs;
  struct svp_services *svc;
  struct svp_eptab *eps;
  struct svp_ident *id;
  struct svp_pipeline *pl;
  struct svp_active *act;      /* --active, else NULL */
  struct svp_run_info info;
  int64_t t0_us;
  bool progress_shown;
};

static int64_t wall_us(void)
{
  struct timeval tv;
  gettimeofday(&tv, NULL);
  return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

/* "1.2 M", "345 k", "17": compact counts for the progress line. */
static const char *human(uint64_t v, char *buf, size_t len)
{
  if (v >= 10000000)
    snprintf(buf, len, "%.1f M", v / 1e6);
  else if (v >= 10000)
    snprintf(buf, len, "%.1f k", v / 1e3);
  else
    snprintf(buf, len, "%llu", (unsigned long long)v);
  return buf;
}

static const char *human_bytes(uint64_t v, char *buf, size_t len)
{
  if (v >= (1ull << 30))
    snprintf(buf, len, "%.2f GB", v / (double)(1ull << 30));
  else if (v >= (1ull << 20))
    snprintf(buf, len, "%.1f MB", v / (double)(1ull << 20));
  else
    snprintf(buf, len, "%.1f kB", v / 1024.0);
  return buf;
}

static void on_progress(void *ud, const struct svp_progress *p)
{
  struct run *r = ud;
  char b1[32], b2[32], b3[32], b4[32];
  double secs = (wall_us() - r->t0_us) / 1e6;
  double rate = secs > 0 ? p->bytes_read / secs : 0;
  if (p->live) {
    fprintf(stderr, "\rsvpassive: %s  %s frames  %s flows (%s live)  %s/s   ",
            p->name ? p->name : "-", human(p->frames, b1, sizeof b1),
            human(p->flows_total, b2, sizeof b2), human(p->flows_live, b3, sizeof b3),
            human_bytes((uint64_t)rate, b4, sizeof b4));
  } else {
    char pct[16] = "";
    if (p->bytes_total)
      snprintf(pct, sizeof pct, " (%3.0f%%)", 100.0 * p->bytes_read / p->bytes_total);
    fprintf(stderr, "\rsvpassive: file %u/%u  %s%s  %s frames  %s flows  %s/s   ",
            p->input + 1, p->n_inputs, human_bytes(p->bytes_read, b1, sizeof b1), pct,
            human(p->frames, b2, sizeof b2), human(p->flows_total, b3, sizeof b3),
            human_bytes((uint64_t)rate, b4, sizeof b4));
  }
  r->progress_shown = true;
}

static void end_progress(struct run *r)
{
  if (r->progress_shown)
    fputs("\r\033[K", stderr);
  r->progress_shown = false;
}

/* -vv: one line per flow on stderr. */
static void observe_flow(void *ud, const struct svp_flow *f, const struct svp_result *res,
                         const struct svp_reqclass *cls)
{
  (void)ud;
  char c[SVP_ADDR_STRLEN], s[SVP_ADDR_STRLEN];
  fprintf(stderr, "flow %llu %s %s:%u -> %s:%u%s class=%s",
          (unsigned long long)f->id, svp_l4_name(f->l4), svp_addr_str(&f->cli, c, sizeof c),
          f->cport, svp_addr_str(&f->srv, s, sizeof s), f->sport,
          (f->flags & SVP_FF_MIDSTREAM) ? " midstream" : "", cls ? cls->name : "-");
  if (!res) {
    fputs(" no-server-data\n", stderr);
    return;
  }
  static const char *const verdict[] = {"none", "soft", "hard"};
  fprintf(stderr, " %s %s", verdict[res->verdict], svp_method_name(res->method));
  if (res->rule)
    fprintf(stderr, " %s probe=%s rule=%s:%u", res->service,
            res->probe ? res->probe->name : "-", res->rule->file, res->rule->line);
  fprintf(stderr, " bytes=%u\n", res->ev.resp_len);
}

static const char *table_lookup(void *ud, enum svp_l4 l4, uint16_t port)
{
  return svp_services_name(ud, l4, port);
}

static int write_outputs(struct run *r, const struct svp_report *rep)
{
  const struct svp_config *cfg = r->cfg;
  int rc = SVP_OK;
  for (int fmt = 0; fmt < SVP_OUT_COUNT; fmt++) {
    const char *name = cfg->out[fmt];
    if (!name && !(fmt == SVP_OUT_NORMAL && !cfg->out_given))
      continue;
    bool to_stdout = !name || strcmp(name, "-") == 0;
    FILE *f = to_stdout ? stdout : fopen(name, "w");
    if (!f) {
      svp_diag_at(r->diag, SVP_SEV_ERROR, name, 0, "cannot write: %s", strerror(errno));
      rc = SVP_ERR_IO;
      continue;
    }
    const struct svp_writer *w = svp_writer_get((enum svp_outfmt)fmt);
    int wrc = w ? w->write(f, rep) : SVP_ERR_INTERNAL;
    if (fflush(f) != 0 || ferror(f))
      wrc = SVP_ERR_IO;
    if (!to_stdout && fclose(f) != 0)
      wrc = SVP_ERR_IO;
    if (wrc != SVP_OK) {
      svp_diag_at(r->diag, SVP_SEV_ERROR, to_stdout ? "standard output" : name, 0,
                  "%s output failed: %s", w ? w->name : "?", svp_strerror(wrc));
      rc = wrc;
    }
  }
  return rc;
}

static void summary(struct run *r, const struct svp_report *rep)
{
  const struct svp_pipeline_stats *ps = svp_pipeline_stats(r->pl);
  const struct svp_flowtab_stats *fs = ps->flows;
  const struct svp_ident_stats *is = svp_ident_stats(r->id);
  char b1[32];
  unsigned hard = 0, soft = 0, unknown = 0, closed = 0, changed = 0;
  for (size_t i = 0; i < rep->n_ep; i++) {
    const struct svp_endpoint *e = rep->ep[i];
    if (e->state == SVP_PS_CLOSED)
      closed++;
    else if (e->res.verdict == SVP_HARD)
      hard++;
    else if (e->res.verdict == SVP_SOFT)
      soft++;
    else
      unknown++;
    if (e->flags & SVP_EF_CHANGED)
      changed++;
  }
  double secs = (r->info.end_wall_us - r->info.start_wall_us) / 1e6;
  uint64_t undecoded = 0;
  for (int k = SVP_DW_FIRST_ERROR; k < SVP_DW_COUNT; k++)
    undecoded += ps->decode[k];
  uint64_t flows = fs ? fs->flows_created[SVP_RA_NIDS] + fs->flows_created[SVP_RA_LITE] +
                            fs->flows_created[SVP_RA_UDP]
                      : 0;
  fprintf(stderr, "svpassive: %u input%s, %llu frames (%s) in %.2f s%s\n", ps->n_inputs,
          ps->n_inputs == 1 ? "" : "s", (unsigned long long)ps->frames,
          human_bytes(ps->bytes, b1, sizeof b1), secs, ps->stopped ? ", stopped early" : "");
  if (fs)
    fprintf(stderr,
            "svpassive: %llu flows (libnids %llu, lite %llu, udp %llu; %llu mid-stream), "
            "%llu decided early, %llu reused an endpoint's result\n",
            (unsigned long long)flows, (unsigned long long)fs->flows_created[SVP_RA_NIDS],
            (unsigned long long)fs->flows_created[SVP_RA_LITE],
            (unsigned long long)fs->flows_created[SVP_RA_UDP],
            (unsigned long long)fs->midstream, (unsigned long long)is->decided_early,
            (unsigned long long)is->reused);
  fprintf(stderr,
          "svpassive: %zu endpoints: %u identified, %u softmatched, %u unknown "
          "(port-table guess), %u closed%s\n",
          rep->n_ep, hard, soft, unknown, closed,
          changed ? "; some services changed during the capture (see -v)" : "");
  if (r->cfg->verbose >= 1 && is->flows_data) {
    size_t talked = 0; /* endpoints whose server sent bytes */
    for (size_t i = 0; i < rep->n_ep; i++)
      talked += (rep->ep[i]->flags & SVP_EF_SRV_DATA) != 0;
    fprintf(stderr,
            "svpassive: matching: %llu whole plans run (%.3f per flow with server bytes, "
            "%.2f per endpoint with server bytes), %llu flows confirmed by their "
            "endpoint's line, %llu spared by their endpoint's budget, %.3f s in all "
            "(%.2f us per flow with server bytes)\n",
            (unsigned long long)is->evaluations,
            (double)is->evaluations / (double)is->flows_data,
            talked ? (double)is->evaluations / (double)talked : 0.0,
            (unsigned long long)is->confirmed, (unsigned long long)is->skipped,
            is->match_seconds, is->match_seconds * 1e6 / (double)is->flows_data);
  }
  if (r->act) {
    const struct svp_active_stats *as = svp_active_stats(r->act);
    fprintf(stderr,
            "svpassive: active: %llu endpoints probed, %llu probes sent: %llu identified, "
            "%llu softmatched, %llu tcpwrapped, %llu nothing matched, %llu unreachable",
            (unsigned long long)as->endpoints_probed, (unsigned long long)as->probes_sent,
            (unsigned long long)as->hard, (unsigned long long)as->soft,
            (unsigned long long)as->tcpwrapped, (unsigned long long)as->nomatch,
            (unsigned long long)as->unreachable);
    if (as->cut_max_probes)
      fprintf(stderr, "; %llu cut at --max-probes", (unsigned long long)as->cut_max_probes);
    if (as->stopped)
      fprintf(stderr, "; stopped early, %llu unfinished", (unsigned long long)as->unfinished);
    fputc('\n', stderr);
  }
  uint64_t evicted = fs ? fs->flows_ended[SVP_END_EVICTED] : 0;
  uint64_t drops = 0;
  for (unsigned i = 0; i < ps->n_inputs; i++)
    drops += ps->inputs[i].cap.drop + ps->inputs[i].cap.ifdrop;
  if (undecoded || evicted || drops || ps->frag_unreassembled)
    fprintf(stderr,
            "svpassive: %llu frames not decoded, %llu IPv4 fragments not reassembled, "
            "%llu flows evicted early (table full), %llu packets dropped by the capture\n",
            (unsigned long long)undecoded, (unsigned long long)ps->frag_unreassembled,
            (unsigned long long)evicted, (unsigned long long)drops);
}

static unsigned active_tick(void *ud)
{
  return svp_active_tick(ud);
}

static void run_free(struct run *r)
{
  svp_active_free(r->act);
  svp_pipeline_free(r->pl);
  svp_ident_free(r->id);
  svp_eptab_free(r->eps);
  svp_services_free(r->svc);
  svp_rules_free(r->rs);
}

static int run_setup(struct run *r)
{
  const struct svp_config *cfg = r->cfg;
  int rc = svp_rules_setup(cfg, r->diag, &r->rs);
  if (rc != SVP_OK) {
    svp_diag_at(r->diag, SVP_SEV_ERROR, NULL, 0, "no rules loaded: %s (see --datadir, --rules)",
                svp_strerror(rc));
    return rc;
  }
  char path[4096];
  snprintf(path, sizeof path, "%s/nmap-services", cfg->datadir);
  if (svp_services_load(path, r->diag, &r->svc) != SVP_OK)
    r->svc = NULL; /* reported; endpoints just get no port-table name */
  if ((rc = svp_eptab_new(&r->eps)) != SVP_OK)
    return rc;
  if (cfg->endpoint_mem_mb)
    svp_eptab_set_mem_limit(r->eps, (uint64_t)cfg->endpoint_mem_mb << 20);
  struct svp_ident_opts io = {.wide = cfg->wide, .no_jit = cfg->no_jit,
                              .srv_cap = cfg->srv_bytes, .cli_cap = cfg->cli_bytes};
  if (cfg->verbose >= 2)
    io.observe = observe_flow;
  if ((rc = svp_ident_new(r->rs, r->eps, &io, &r->id)) != SVP_OK)
    return rc;
  const struct svp_flow_sink *sink = svp_ident_sink(r->id);
  if (cfg->active) {
    if ((rc = svp_active_new(cfg, r->rs, r->id, r->eps, r->diag, stdout, &r->act)) != SVP_OK)
      return rc;
    svp_active_set_stop(r->act, &svp_stop_requested);
    sink = svp_active_sink(r->act, sink); /* live: our own probes are not evidence */
  }
  if ((rc = svp_pipeline_new(cfg, sink, r->diag, &r->pl)) != SVP_OK ||
      (rc = svp_pipeline_rule_ports(r->pl, r->rs)) != SVP_OK)
    return rc;
  if (r->act && cfg->iface)
    svp_pipeline_on_tick(r->pl, active_tick, r->act);
  if (cfg->progress > 0)
    svp_pipeline_on_progress(r->pl, on_progress, r, 250);
  svp_pipeline_set_stop(r->pl, &svp_stop_requested);
  return SVP_OK;
}

int svp_cmd_inventory(const struct svp_config *cfg, struct svp_diag *diag)
{
  struct run r = {.cfg = cfg, .diag = diag, .t0_us = wall_us()};
  r.info = (struct svp_run_info){
    .argc = cfg->argc, .argv = cfg->argv, .start_wall_us = r.t0_us,
    .inputs = cfg->inputs, .n_inputs = cfg->n_inputs, .iface = cfg->iface,
    .verbose = cfg->verbose, .intensity = cfg->intensity,
  };
  int rc = run_setup(&r);
  if (rc != SVP_OK) {
    run_free(&r);
    return SVP_EXIT_FATAL;
  }
  int run_rc = svp_pipeline_run(r.pl);
  svp_pipeline_finish(r.pl);
  end_progress(&r);
  const struct svp_pipeline_stats *ps = svp_pipeline_stats(r.pl);
  if (run_rc != SVP_OK && ps->frames == 0) {
    svp_diag_at(diag, SVP_SEV_ERROR, NULL, 0, "no input could be read");
    run_free(&r);
    return SVP_EXIT_FATAL;
  }
  if (r.act && svp_active_run(r.act) != SVP_OK)
    svp_diag_at(diag, SVP_SEV_ERROR, NULL, 0, "active mode: out of memory");
  svp_eptab_apply_table(r.eps, table_lookup, r.svc);
  const struct svp_eptab_mem *em = svp_eptab_mem(r.eps);
  if (em->fp_refused || em->clients_dropped)
    svp_diag_at(diag, SVP_SEV_WARN, NULL, 0,
                "the endpoint table reached its bound (--endpoint-mem %lu MB): %llu endpoint(s) "
                "listed without a fingerprint, %llu client count(s) are lower bounds",
                cfg->endpoint_mem_mb, (unsigned long long)em->fp_refused,
                (unsigned long long)em->clients_dropped);

  r.info.end_wall_us = wall_us();
  r.info.first_pkt_us = ps->first_us;
  r.info.last_pkt_us = ps->last_us;
  r.info.packets = ps->frames;
  r.info.bytes = ps->bytes;
  if (ps->flows)
    r.info.flows = ps->flows->flows_created[SVP_RA_NIDS] +
                   ps->flows->flows_created[SVP_RA_LITE] + ps->flows->flows_created[SVP_RA_UDP];
  for (unsigned i = 0; i < ps->n_inputs; i++)
    r.info.dropped += ps->inputs[i].cap.drop + ps->inputs[i].cap.ifdrop +
                      ps->inputs[i].decode_errors;

  const struct svp_endpoint **eps = NULL;
  size_t n_ep = 0;
  int out_rc = svp_eptab_sorted(r.eps, &eps, &n_ep);
  if (out_rc == SVP_OK) {
    struct svp_report rep = {.run = &r.info, .ep = eps, .n_ep = n_ep};
    out_rc = write_outputs(&r, &rep);
    if (!cfg->quiet)
      summary(&r, &rep);
  }
  free(eps);
  bool partial = ps->inputs_failed > 0 || svp_rules_stats(r.rs)->errors > 0 ||
                 out_rc != SVP_OK;
  run_free(&r);
  return partial ? SVP_EXIT_PARTIAL : SVP_EXIT_OK;
}
