/* cmd_flows.c: --flows, the capture layer's view: one line per flow, then a
 * summary of the run on stderr.
 *
 * Line format (fields separated by one space; the quoted strings come last
 * and use C escapes, so a line never contains a raw newline):
 *   tcp 10.0.0.1:51234 > 10.0.0.2:80 vlan=0 server=syn/high reasm=nids
 *   c2s=78B/1p s2c=1234B/3p gaps=0/1@120 flags=fin,srv-first frame=0:12
 *   c2s="GET / HTTP/1.1\r\n..." s2c="HTTP/1.1 200 OK\r\n..."
 * c2s/s2c: payload bytes and payload packets each way; gaps: holes skipped
 * client/server, with the offset of the first hole in the server's kept
 * bytes; frame: input index and frame number of the flow's first packet.
 * Lines come sorted by first packet (input, frame): flows are numbered in
 * that order. They are spooled to a temporary file as flows end, indexed
 * by flow number (8 bytes per flow), so that memory stays small on captures
 * with millions of flows. */
#include "svp/cli/cmd.h"
#include "svp/reasm/pipeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SHOW_BYTES 48 /* first bytes shown per direction */

/* Where each flow's line is in the spool file: index[id] packs the line's
 * offset + 1 (40 bits; 0 = no line) and its length (24 bits): 8 bytes per
 * flow in memory. */
#define SPOOL_LEN_BITS 24
struct spool {
  FILE *tmp;
  uint64_t *index;
  uint64_t cap;    /* entries in index */
  uint64_t pos;    /* bytes written to tmp */
  bool failed;
};

static void esc_bytes(char *out, size_t outsz, const uint8_t *p, uint32_t n)
{
  size_t o = 0;
  uint32_t show = n < SHOW_BYTES ? n : SHOW_BYTES;
  for (uint32_t i = 0; i < show && o + 5 < outsz; i++) {
    uint8_t c = p[i];
    switch (c) {
    case '\r': o += (size_t)snprintf(out + o, outsz - o, "\\r"); break;
    case '\n': o += (size_t)snprintf(out + o, outsz - o, "\\n"); break;
    case '\t': o += (size_t)snprintf(out + o, outsz - o, "\\t"); break;
    case '"': o += (size_t)snprintf(out + o, outsz - o, "\\\""); break;
    case '\\': o += (size_t)snprintf(out + o, outsz - o, "\\\\"); break;
    default:
      if (c >= 0x20 && c < 0x7f)
        out[o++] = (char)c;
      else
        o += (size_t)snprintf(out + o, outsz - o, "\\x%02x", c);
    }
  }
  if (n > show && o + 4 < outsz)
    o += (size_t)snprintf(out + o, outsz - o, "...");
  out[o < outsz ? o : outsz - 1] = '\0';
}

static const char *basis_name(enum svp_server_basis b)
{
  static const char *const n[SVP_SB_COUNT] = {"syn", "synack", "port", "payload", "first"};
  return (unsigned)b < SVP_SB_COUNT ? n[b] : "?";
}

static const char *conf_name(enum svp_server_conf c)
{
  return c == SVP_SC_HIGH ? "high" : c == SVP_SC_MEDIUM ? "medium" : "low";
}

static const char *reasm_name(enum svp_reasm r)
{
  return r == SVP_RA_NIDS ? "nids" : r == SVP_RA_LITE ? "lite" : "udp";
}

static void flag_names(char *out, size_t outsz, uint32_t fl)
{
  static const char *const names[] = {
    "midstream", "synack", "refused", "srv-first", "fin", "rst", "timeout", "evicted",
    "reused", "snaplen", "decided", "eof", "handoff", "full", "gap", "peer", "altport",
  };
  size_t o = 0;
  out[0] = '\0';
  for (unsigned i = 0; i < SVP_ARRAY_LEN(names); i++)
    if (fl & (1u << i))
      o += (size_t)snprintf(out + o, o < outsz ? outsz - o : 0, "%s%s", o ? "," : "",
                            names[i]);
  if (o == 0)
    snprintf(out, outsz, "-");
}

static void endpoint(char *out, size_t outsz, const struct svp_addr *a, uint16_t port)
{
  char ip[SVP_ADDR_STRLEN];
  svp_addr_str(a, ip, sizeof ip);
  snprintf(out, outsz, a->family == 6 ? "[%s]:%u" : "%s:%u", ip, port);
}

static void format_flow(char *line, size_t sz, const struct svp_flow *f)
{
  char cli[64], srv[64], flags[160], c2s[SHOW_BYTES * 4 + 8], s2c[SHOW_BYTES * 4 + 8];
  char gapat[24] = "";
  endpoint(cli, sizeof cli, &f->cli, f->cport);
  endpoint(srv, sizeof srv, &f->srv, f->sport);
  flag_names(flags, sizeof flags, f->flags);
  esc_bytes(c2s, sizeof c2s, f->dir[SVP_C2S].data, f->dir[SVP_C2S].data ? f->dir[SVP_C2S].len : 0);
  esc_bytes(s2c, sizeof s2c, f->dir[SVP_S2C].data, f->dir[SVP_S2C].data ? f->dir[SVP_S2C].len : 0);
  if (f->dir[SVP_S2C].gaps && f->dir[SVP_S2C].gap_at != UINT32_MAX)
    snprintf(gapat, sizeof gapat, "@%u", f->dir[SVP_S2C].gap_at);
  snprintf(line, sz,
           "%s %s > %s vlan=%u server=%s/%s reasm=%s c2s=%lluB/%up s2c=%lluB/%up "
           "gaps=%u/%u%s flags=%s frame=%u:%llu c2s=\"%s\" s2c=\"%s\"\n",
           svp_l4_name(f->l4), cli, srv, f->vlan, basis_name(f->basis), conf_name(f->conf),
           reasm_name(f->reasm), (unsigned long long)f->dir[SVP_C2S].bytes,
           f->dir[SVP_C2S].pkts, (unsigned long long)f->dir[SVP_S2C].bytes,
           f->dir[SVP_S2C].pkts, f->dir[SVP_C2S].gaps, f->dir[SVP_S2C].gaps, gapat, flags,
           f->first.file, (unsigned long long)f->first.frame, c2s, s2c);
}

static bool never_decide(void *ud, struct svp_flow *f, enum svp_dir_id d)
{
  (void)ud;
  (void)f;
  (void)d;
  return false; /* keep collecting: the view shows the first bytes */
}

static void spool_flow(void *ud, struct svp_flow *f)
{
  struct spool *sp = ud;
  if (sp->failed)
    return;
  char line[1024];
  format_flow(line, sizeof line, f);
  if (f->id >= sp->cap) {
    uint64_t nc = sp->cap ? sp->cap + sp->cap / 2 : 4096;
    if (nc <= f->id)
      nc = f->id + 4096;
    uint64_t *ni = realloc(sp->index, nc * sizeof *ni);
    if (!ni) {
      sp->failed = true;
      return;
    }
    memset(ni + sp->cap, 0, (nc - sp->cap) * sizeof *ni);
    sp->index = ni;
    sp->cap = nc;
  }
  size_t n = strlen(line);
  if (fwrite(line, 1, n, sp->tmp) != n) {
    sp->failed = true;
    return;
  }
  sp->index[f->id] = (sp->pos + 1) << SPOOL_LEN_BITS | n;
  sp->pos += n;
}

static int spool_print(struct spool *sp, FILE *out)
{
  if (fflush(sp->tmp) != 0)
    return -1;
  /* pread, not mmap: a mapping would count the whole spool in the RSS. */
  char line[1024];
  int fd = fileno(sp->tmp);
  for (uint64_t id = 0; id < sp->cap; id++) {
    uint64_t v = sp->index[id];
    if (!v)
      continue;
    size_t len = (size_t)(v & ((1u << SPOOL_LEN_BITS) - 1));
    off_t off = (off_t)((v >> SPOOL_LEN_BITS) - 1);
    if (len > sizeof line || pread(fd, line, len, off) != (ssize_t)len)
      return -1;
    fwrite(line, 1, len, out);
  }
  return 0;
}

static void print_summary(const struct svp_pipeline_stats *ps, FILE *o)
{
  const struct svp_flowtab_stats *fs = ps->flows;
  fprintf(o, "svpassive: %llu frames, %llu bytes",
          (unsigned long long)ps->frames, (unsigned long long)ps->bytes);
  if (ps->first_us)
    fprintf(o, ", capture time %.6f .. %.6f", ps->first_us / 1e6, ps->last_us / 1e6);
  fputc('\n', o);
  for (unsigned i = 0; i < ps->n_inputs; i++) {
    const struct svp_input_status *in = &ps->inputs[i];
    fprintf(o, "  input %u %s: %s, %llu frames", i, in->name,
            !in->opened ? svp_strerror(in->status)
            : in->truncated ? "truncated" : in->status ? svp_strerror(in->status) : "ok",
            (unsigned long long)in->cap.frames);
    if (in->cap.filtered)
      fprintf(o, " (%llu filtered out)", (unsigned long long)in->cap.filtered);
    if (in->cap.format == SVP_CAP_LIVE)
      fprintf(o, ", received %llu, dropped %llu+%llu", (unsigned long long)in->cap.recv,
              (unsigned long long)in->cap.drop, (unsigned long long)in->cap.ifdrop);
    fputc('\n', o);
  }
  fprintf(o, "  decoded:");
  for (int w = 0; w < SVP_DW_COUNT; w++)
    if (ps->decode[w])
      fprintf(o, " %s=%llu", svp_dec_why_name((enum svp_dec_why)w),
              (unsigned long long)ps->decode[w]);
  if (ps->frag_unreassembled)
    fprintf(o, " fragments-dropped=%llu", (unsigned long long)ps->frag_unreassembled);
  fputc('\n', o);
  uint64_t made = fs->flows_created[0] + fs->flows_created[1] + fs->flows_created[2];
  fprintf(o, "  flows: %llu (tcp via libnids %llu, tcp via lite %llu, udp %llu), "
             "mid-stream %llu, peak %llu held\n",
          (unsigned long long)made, (unsigned long long)fs->flows_created[SVP_RA_NIDS],
          (unsigned long long)fs->flows_created[SVP_RA_LITE],
          (unsigned long long)fs->flows_created[SVP_RA_UDP], (unsigned long long)fs->midstream,
          (unsigned long long)fs->flows_peak);
  fprintf(o, "  ended:");
  for (int k = 0; k < SVP_END_COUNT; k++)
    fprintf(o, " %s=%llu", svp_flow_end_name((enum svp_flow_end)k),
            (unsigned long long)fs->flows_ended[k]);
  fprintf(o, " live=%llu\n", (unsigned long long)fs->flows_live);
  fprintf(o, "  udp: peer-views=%llu announcements-held=%llu fresh-port-answers=%llu\n",
          (unsigned long long)fs->udp_peer_views, (unsigned long long)fs->udp_announce_held,
          (unsigned long long)fs->udp_fresh_port);
  fprintf(o, "  handed to lite:");
  for (int k = 0; k < SVP_HO_COUNT; k++)
    if (fs->handoffs[k])
      fprintf(o, " %s=%llu", svp_handoff_name((enum svp_handoff)k),
              (unsigned long long)fs->handoffs[k]);
  fprintf(o, "\n  server side:");
  for (int k = 0; k < SVP_SB_COUNT; k++)
    fprintf(o, " %s=%llu", basis_name((enum svp_server_basis)k),
            (unsigned long long)fs->basis[k]);
  static const char *const csn[SVP_CSC_COUNT] = {"good", "unverifiable", "offload",
                                                 "bad-kept", "bad-dropped", "unchecked"};
  fprintf(o, "\n  checksums:");
  for (int k = 0; k < SVP_CSC_COUNT; k++)
    if (fs->csum[k])
      fprintf(o, " %s=%llu", csn[k], (unsigned long long)fs->csum[k]);
  fprintf(o, "\n  holes=%llu old-segments=%llu ooo-dropped-bytes=%llu strays=%llu "
             "closed-dropped=%llu tombstone-packets=%llu\n",
          (unsigned long long)fs->gaps, (unsigned long long)fs->old_segments,
          (unsigned long long)fs->ooo_dropped_bytes, (unsigned long long)fs->stray_absorbed,
          (unsigned long long)fs->closed_dropped, (unsigned long long)fs->tombstone_packets);
  fprintf(o, "  libnids: %s, %llu streams, %llu packets fed, %llu datagrams defragmented",
          fs->nids_available ? "on" : "off", (unsigned long long)fs->nids_streams,
          (unsigned long long)fs->nids_fed, (unsigned long long)fs->nids_frag_datagrams);
  static const char *const wt[4] = {"ip", "tcp", "udp", "scan"};
  for (int t = 0; t < 4; t++)
    for (int k = 0; k < 10; k++)
      if (fs->nids_warn[t][k])
        fprintf(o, " warn-%s-%d=%llu", wt[t], k, (unsigned long long)fs->nids_warn[t][k]);
  fprintf(o, "\n  memory: peak %.1f MiB of %.0f MiB\n", fs->mem_peak / 1048576.0,
          fs->mem_limit / 1048576.0);
}

int svp_cmd_flows(const struct svp_config *cfg, struct svp_diag *diag)
{
  struct spool sp = {.tmp = tmpfile()};
  if (!sp.tmp) {
    svp_diag_at(diag, SVP_SEV_ERROR, NULL, 0, "cannot create a temporary file");
    return SVP_EXIT_FATAL;
  }
  struct svp_flow_sink sink = {.on_data = never_decide, .on_end = spool_flow, .ud = &sp};
  struct svp_pipeline *pl;
  int rc = svp_pipeline_new(cfg, &sink, diag, &pl);
  if (rc != SVP_OK) {
    fclose(sp.tmp);
    return rc == SVP_ERR_FILTER ? SVP_EXIT_USAGE : SVP_EXIT_FATAL;
  }
  svp_pipeline_set_stop(pl, &svp_stop_requested);
  rc = svp_pipeline_run(pl);
  svp_pipeline_finish(pl);
  const struct svp_pipeline_stats *ps = svp_pipeline_stats(pl);
  int exit_rc = SVP_EXIT_OK;
  if (sp.failed || spool_print(&sp, stdout) != 0) {
    svp_diag_at(diag, SVP_SEV_ERROR, NULL, 0, "could not spool the flow list");
    exit_rc = SVP_EXIT_FATAL;
  }
  fflush(stdout);
  if (!cfg->quiet)
    print_summary(ps, stderr);
  if (rc != SVP_OK)
    exit_rc = SVP_EXIT_FATAL;
  else if (ps->inputs_failed || diag->n_error)
    exit_rc = exit_rc ? exit_rc : SVP_EXIT_PARTIAL;
  svp_pipeline_free(pl);
  free(sp.index);
  fclose(sp.tmp);
  return exit_rc;
}
