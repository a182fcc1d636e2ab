/* active_int.h: what active.c (selection, dry run, live filter) and
 * active_net.c (sockets, limits, the probe state machine) share. Private to
 * those two files. */
#ifndef SVP_ACTIVE_INT_H
#define SVP_ACTIVE_INT_H

#include "svp/active/active.h"

#define ACT_RESP_MAX 4096          /* nmap reads a probe's reply up to 4096 bytes */
#define ACT_CONNECT_MS 5000        /* nmap's DEFAULT_CONNECT_TIMEOUT */

/* A small open-addressing map from fixed-size byte keys to pointers or
 * times, owned by whoever embeds it. */
struct act_map {
  struct act_slot {
    uint8_t key[40];
    bool used;
    void *ptr;
    int64_t t;                     /* free for the user (an expiry time) */
  } *v;
  size_t cap, n;
  size_t klen;                     /* bytes of key used (<= 40) */
};

struct act_slot *act_map_find(struct act_map *m, const void *key);
/* The slot for key, made if missing (ptr NULL, t 0); NULL on NOMEM. */
struct act_slot *act_map_get(struct act_map *m, const void *key);
void act_map_free(struct act_map *m);

/* Token bucket holding at most one token: probes are spaced 1/rate apart. */
struct act_bucket {
  double tokens;
  double rate;                     /* tokens per second */
  int64_t last_us;
};

/* One host (IP address) being probed. */
struct act_host {
  struct svp_addr addr;
  struct act_bucket tb;
  bool busy;                       /* one of its endpoints holds a connection */
  bool given_up;                   /* stopped accepting connections: left alone */
};

enum act_state {
  JS_QUEUED = 0,                   /* waiting for a slot */
  JS_NEXT,                         /* needs its next probe (may wait for tokens) */
  JS_CONNECTING,                   /* TCP connect in progress */
  JS_READING,                      /* probe sent (or NULL probe), reading the reply */
  JS_DONE
};

/* One endpoint's probing, nmap's ServiceNFO. */
struct act_job {
  struct svp_addr addr;
  uint16_t port;
  enum svp_l4 l4;
  struct act_host *host;
  struct svp_probe_iter it;
  const struct svp_probe *probe;   /* current probe */
  const struct svp_probe *pending; /* picked, waiting for tokens */
  const char *soft;                /* service softmatched so far (passive or active) */
  bool soft_recorded;              /* an active softmatch went to the table */
  enum act_state st;
  int fd;                          /* -1 if none */
  bool reuse;                      /* next probe goes on the NULL probe's connection */
  bool counted;                    /* endpoints_probed counted */
  unsigned sent;                   /* probes started */
  size_t wr_off;                   /* payload bytes written so far */
  int64_t probe_us;                /* when the current probe started (monotonic) */
  int64_t deadline_us;             /* connect or read deadline (monotonic) */
  uint32_t len;                    /* reply bytes in buf */
  uint8_t *buf;                    /* ACT_RESP_MAX bytes while running, else NULL */
};

struct svp_active {
  const struct svp_config *cfg;
  const struct svp_ruleset *rs;
  struct svp_ident *id;
  struct svp_eptab *eps;
  struct svp_diag *diag;
  FILE *plan_out;
  const volatile int *stop;
  struct svp_scope *scope;
  struct svp_active_filter filter;
  bool live, dry_run, plan_header_done;
  struct svp_active_stats st;

  struct act_map hosts;            /* address -> struct act_host */
  struct act_map known;            /* endpoint key -> 1: queued, planned or done */
  struct act_map own;              /* our connections' 4-tuples -> expiry (live filter) */
  struct act_bucket global;
  struct act_job **jobs;           /* queued, running and done, in queue order */
  size_t n_jobs, cap_jobs;
  size_t q_first;                  /* jobs before this index are not queued */
  struct act_job **run;            /* jobs holding a connection slot (and some
                                      just done, until compacted) */
  unsigned n_run;                  /* entries in run */
  unsigned running;                /* slots in use (<= cfg->max_parallel) */
  bool want_activate;              /* a slot was freed or jobs were queued */
  bool want_reap;                  /* some job is done */
  int64_t next_scan_us;            /* live: next look at the endpoint table */
  uint64_t dry_probes;             /* dry run: probes listed */

  struct svp_flow_sink sink, inner;
};

/* Wall-clock and monotonic microseconds. */
int64_t act_wall_us(void);
int64_t act_mono_us(void);

/* Endpoint keys for the maps. */
void act_ep_key(uint8_t key[40], const struct svp_addr *a, uint16_t port, enum svp_l4 l4);

/* active_net.c: one pass of the probe loop. Polls the sockets for at most
 * timeout_ms (0 = just look), handles replies, timeouts and new probes.
 * Returns the ms until something is due (a deadline or a token), capped at
 * 1000; 0 when no job is left. */
int act_net_step(struct svp_active *a, int timeout_ms);
/* Close every socket; jobs still queued or running are counted unfinished. */
void act_net_abort(struct svp_active *a);
/* Free finished jobs. */
void act_net_reap(struct svp_active *a);

#endif
