/* pipeline.h: the capture layer as one object: inputs -> link decoding ->
 * reassembly -> flow table -> the consumer's struct svp_flow_sink.
 *
 * Use:
 *     struct svp_pipeline *pl;
 *     svp_pipeline_new(cfg, &sink, diag, &pl);        // validates the filter
 *     svp_pipeline_on_progress(pl, fn, ud, 500);      // optional
 *     svp_pipeline_set_stop(pl, &svp_stop_requested); // optional (cmd.h)
 *     svp_pipeline_run(pl);      // every -r file in order, or the -i interface
 *     svp_pipeline_finish(pl);   // on_end (SVP_FF_EOF) for every flow left
 *     ... svp_pipeline_stats(pl) ...
 *     svp_pipeline_free(pl);
 * The sink is called synchronously from svp_pipeline_run/finish, in capture
 * order (flow.h says what each call means). Several files form one run: flows
 * continue across them (a capture rotated into several files).
 *
 * The pipeline keeps no global state of its own; libnids does (one pipeline
 * per process can use it; another one created meanwhile reassembles IPv4 with
 * the lite reassembler and says so in a diag note). Not thread-safe: one
 * pipeline per thread. With cfg->threads >= 2 the pipeline itself starts
 * a reader thread per capture file (readahead.h) that reads and decodes
 * frames ahead; the sink is still called from the caller's thread only,
 * in capture order, with the same frames as in one thread.
 *
 * Ownership: cfg and diag are borrowed and must outlive the pipeline; the
 * sink struct is copied. Everything the stats point to is owned by the
 * pipeline and valid until svp_pipeline_free. */
#ifndef SVP_PIPELINE_H
#define SVP_PIPELINE_H

#include "svp/capture/capture.h"
#include "svp/base/config.h"
#include "svp/capture/decode.h"
#include "svp/base/diag.h"
#include "svp/reasm/flow.h"
#include "svp/reasm/flowtab.h"

struct svp_pipeline;

/* What happened to one input (a -r file, or the live interface). */
struct svp_input_status {
  const char *name;                 /* as given on the command line (borrowed) */
  int status;                       /* SVP_OK, or why it could not be read (or stopped) */
  bool opened;                      /* it was a readable capture */
  bool truncated;                   /* it ended inside a record (reported) */
  struct svp_capture_stats cap;     /* frames, filtered, bytes, live drops */
  uint64_t decode_errors;           /* frames with a decode reason >= SVP_DW_FIRST_ERROR */
};

struct svp_pipeline_stats {
  uint64_t frames;                  /* frames read after the filter, all inputs */
  uint64_t bytes;                   /* captured bytes of those frames */
  uint64_t decode[SVP_DW_COUNT];    /* frames by decode outcome (SVP_DW_OK: TCP/UDP) */
  uint64_t frag_unreassembled;      /* IPv4 fragments dropped (no libnids) */
  int64_t first_us, last_us;        /* capture time of the first/last frame, 0 if none */
  unsigned n_inputs;
  unsigned inputs_failed;           /* inputs that could not be opened or read */
  const struct svp_input_status *inputs; /* n_inputs entries, in command-line order */
  const struct svp_flowtab_stats *flows; /* flow table and reassemblers */
  bool stopped;                     /* the stop flag ended the run early */
  bool services_loaded;             /* nmap-services was available for server-side guesses */
};

/* Progress report: passed to the callback roughly every interval. */
struct svp_progress {
  uint64_t bytes_read;              /* all files so far (live: bytes captured) */
  uint64_t bytes_total;             /* sum of the regular files' sizes, 0 if unknown */
  uint64_t frames;
  uint64_t flows_live;              /* flows held now */
  uint64_t flows_total;             /* flows made so far */
  unsigned input, n_inputs;         /* 0-based index of the input being read */
  const char *name;                 /* its name */
  bool live;
  bool done;                        /* last report of the run */
};

typedef void (*svp_progress_fn)(void *ud, const struct svp_progress *p);

/* Create. Loads cfg->datadir/nmap-services for the server-side guess (a
 * note if it is missing: ports < 1024 still count). Checks that the BPF
 * filter compiles (SVP_ERR_FILTER, reported naming the expression). */
int svp_pipeline_new(const struct svp_config *cfg, const struct svp_flow_sink *sink,
                     struct svp_diag *diag, struct svp_pipeline **out);

/* The ports the probes of rs list (ports and sslports lines of at most
 * SVP_RULE_PORTS_MAX ports: a generic probe such as GenericLines lists a
 * hundred, which says little about each): in a flow without handshake they
 * count as a server's (2404 for IEC-104, 44818 for EtherNet/IP...) before
 * unlisted ports above 1023. Without this call (e.g. --flows) the guess
 * uses nmap-services and port numbers only. rs is read during the call
 * only. Returns SVP_OK or SVP_ERR_NOMEM. */
#define SVP_RULE_PORTS_MAX 16
struct svp_ruleset;
int svp_pipeline_rule_ports(struct svp_pipeline *pl, const struct svp_ruleset *rs);

/* Progress callback every interval_ms of wall time (0 = 500) and once at
 * the end of each input. */
void svp_pipeline_on_progress(struct svp_pipeline *pl, svp_progress_fn fn, void *ud,
                              unsigned interval_ms);

/* Live runs only: fn is called between frames whenever the wait it asked
 * for has passed, and when the capture has been idle that long; it returns
 * the ms it wants until its next call (the capture's poll timeout is cut to
 * that, at most 200 ms). For work that must go on while sniffing continues
 * (active mode's probes). Offline runs never call it. */
typedef unsigned (*svp_tick_fn)(void *ud);
void svp_pipeline_on_tick(struct svp_pipeline *pl, svp_tick_fn fn, void *ud);

/* A flag checked between frames (and at least every 200 ms when live);
 * when it becomes non-zero the run stops cleanly. */
void svp_pipeline_set_stop(struct svp_pipeline *pl, const volatile int *flag);

/* Read every input of cfg (files in order, or the live interface until the
 * stop flag). Unreadable inputs are reported and skipped. Returns SVP_OK if
 * at least one input was read (fully or partly), else the first input's
 * error. Call once. */
int svp_pipeline_run(struct svp_pipeline *pl);

/* One frame from elsewhere (tests, fuzzers): decoded and processed as if
 * read from input number `input`. */
void svp_pipeline_frame(struct svp_pipeline *pl, const struct svp_frame *f, uint32_t input);

/* End every remaining flow (on_end with SVP_FF_EOF). Idempotent. */
void svp_pipeline_finish(struct svp_pipeline *pl);

const struct svp_pipeline_stats *svp_pipeline_stats(struct svp_pipeline *pl);

/* Frees everything. Flows not finished are dropped without on_end. */
void svp_pipeline_free(struct svp_pipeline *pl);

#endif
