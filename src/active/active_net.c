/* active_net.c: the probe loop of active mode: non-blocking sockets, one
 * poll(2) over them, token buckets, the connection caps, and nmap's
 * per-endpoint state machine (NULL probe, same-connection follow-up,
 * reconnects, totalwaitms, tcpwrapped). See active.h for the rules. */
#include "active_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- token buckets ------------------------------------------------------- */

static void bucket_fill(struct act_bucket *b, int64_t now)
{
  if (now > b->last_us) {
    b->tokens += (double)(now - b->last_us) * b->rate / 1e6;
    if (b->tokens > 1)
      b->tokens = 1;
    b->last_us = now;
  }
}

/* Microseconds until the bucket holds a whole token (0: now). */
static int64_t bucket_wait(struct act_bucket *b, int64_t now)
{
  bucket_fill(b, now);
  if (b->tokens >= 1 - 1e-9)
    return 0;
  return (int64_t)ceil((1 - b->tokens) * 1e6 / b->rate);
}

/* ---- sockets -------------------------------------------------------------- */

static socklen_t to_sockaddr(const struct svp_addr *a, uint16_t port,
                             struct sockaddr_storage *ss)
{
  memset(ss, 0, sizeof *ss);
  if (a->family == 4) {
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    s4->sin_family = AF_INET;
    s4->sin_port = htons(port);
    memcpy(&s4->sin_addr, a->b, 4);
    return sizeof *s4;
  }
  struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
  s6->sin6_family = AF_INET6;
  s6->sin6_port = htons(port);
  memcpy(&s6->sin6_addr, a->b, 16);
  return sizeof *s6;
}

static void from_sockaddr(const struct sockaddr_storage *ss, struct svp_addr *a,
                          uint16_t *port)
{
  memset(a, 0, sizeof *a);
  if (ss->ss_family == AF_INET) {
    const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
    a->family = 4;
    memcpy(a->b, &s4->sin_addr, 4);
    *port = ntohs(s4->sin_port);
  } else {
    const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
    a->family = 6;
    memcpy(a->b, &s6->sin6_addr, 16);
    *port = ntohs(s6->sin6_port);
  }
}

/* Key of one connection for the live filter: l4, local end, remote end. */
static void conn_key(uint8_t key[40], enum svp_l4 l4, const struct svp_addr *la,
                     uint16_t lport, const struct svp_addr *ra, uint16_t rport)
{
  memset(key, 0, 40);
  key[0] = (uint8_t)l4;
  key[1] = la->family;
  memcpy(key + 2, la->b, 16);
  memcpy(key + 18, &lport, 2);
  memcpy(key + 20, ra->b, 16);
  memcpy(key + 36, &rport, 2);
}

/* Live runs: remember our end of the job's socket (see svp_active_sink). */
static void own_note(struct svp_active *a, struct act_job *j, int64_t expiry)
{
  if (!a->live || j->fd < 0)
    return;
  struct sockaddr_storage ss;
  socklen_t sl = sizeof ss;
  if (getsockname(j->fd, (struct sockaddr *)&ss, &sl) != 0)
    return;
  struct svp_addr la;
  uint16_t lport;
  from_sockaddr(&ss, &la, &lport);
  uint8_t key[40];
  conn_key(key, j->l4, &la, lport, &j->addr, j->port);
  struct act_slot *s = act_map_get(&a->own, key);
  if (s)
    s->t = expiry;
}

static void close_fd(struct svp_active *a, struct act_job *j)
{
  if (j->fd < 0)
    return;
  /* our packets may still be in flight or queued in the capture: keep the
   * filter entry past the flow table's idle timeout */
  own_note(a, j, act_wall_us() + ((int64_t)a->cfg->idle_timeout_s + 120) * 1000000);
  close(j->fd);
  j->fd = -1;
}

/* Open a non-blocking socket to the job's endpoint and start connecting
 * (UDP: connect() only fixes the peer). Returns 0 or an errno value. */
static int open_socket(struct svp_active *a, struct act_job *j)
{
  struct sockaddr_storage ss;
  socklen_t sl = to_sockaddr(&j->addr, j->port, &ss);
  int type = j->l4 == SVP_L4_TCP ? SOCK_STREAM : SOCK_DGRAM;
  int fd = socket(ss.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return errno;
  if (connect(fd, (struct sockaddr *)&ss, sl) != 0 && errno != EINPROGRESS) {
    int e = errno;
    close(fd);
    return e;
  }
  j->fd = fd;
  own_note(a, j, INT64_MAX);
  return 0;
}

/* ---- results -------------------------------------------------------------- */

static void record(struct svp_active *a, struct act_job *j, struct svp_result *r)
{
  r->ev.pkt.ts_us = act_wall_us();
  if (svp_eptab_add_result(a->eps, &j->addr, j->port, j->l4, r) != SVP_OK)
    svp_diag_at(a->diag, SVP_SEV_ERROR, NULL, 0, "active: out of memory recording a result");
}

enum outcome { OUT_NOMATCH, OUT_HARD, OUT_TCPWRAPPED, OUT_UNREACHABLE, OUT_CUT, OUT_GONE };

/* Close the job's socket and give back its slot. */
static void release(struct svp_active *a, struct act_job *j)
{
  close_fd(a, j);
  if (j->st != JS_QUEUED && j->st != JS_DONE) {
    j->host->busy = false;
    a->running--;
    a->want_activate = true;
  }
  free(j->buf);
  j->buf = NULL;
  j->st = JS_DONE;
  a->want_reap = true;
}

static void finish(struct svp_active *a, struct act_job *j, enum outcome o)
{
  release(a, j);
  switch (o) {
  case OUT_HARD: a->st.hard++; break;
  case OUT_TCPWRAPPED: a->st.tcpwrapped++; break;
  case OUT_UNREACHABLE: a->st.unreachable++; break;
  case OUT_CUT: a->st.cut_max_probes++; break;
  case OUT_GONE: break;
  case OUT_NOMATCH: break;
  }
  if (o == OUT_NOMATCH || o == OUT_CUT) {
    if (j->soft_recorded)
      a->st.soft++;
    else
      a->st.nomatch++;
  }
}

static void tcpwrapped(struct svp_active *a, struct act_job *j)
{
  struct svp_result r;
  memset(&r, 0, sizeof r);
  r.method = SVP_M_ACTIVE;
  r.verdict = SVP_HARD;
  r.conf = 8; /* nmap's confidence for tcpwrapped */
  r.service = "tcpwrapped";
  r.probe = j->probe;
  record(a, j, &r);
  finish(a, j, OUT_TCPWRAPPED);
}

/* The current probe is over without a hard match. closed: the peer closed
 * or reset the connection. */
static void end_probe(struct svp_active *a, struct act_job *j, bool closed)
{
  bool null_probe = j->probe && j->probe->payload_len == 0;
  if (closed || (j->l4 == SVP_L4_TCP && !null_probe))
    close_fd(a, j);
  /* nmap: after the NULL probe the next payload goes on the same
   * connection, the banner staying at the front of the reply */
  j->reuse = !closed && null_probe && j->fd >= 0;
  j->st = JS_NEXT;
}

/* A connection failed or timed out: for a host that stopped answering,
 * leave the host alone for the rest of the run. */
static void unreachable(struct svp_active *a, struct act_job *j, int err)
{
  if (err != ECONNREFUSED && !j->host->given_up) {
    j->host->given_up = true;
    a->st.hosts_given_up++;
    char ip[SVP_ADDR_STRLEN];
    svp_diag_at(a->diag, SVP_SEV_WARN, NULL, 0,
                "active: %s:%u/%s: %s; no more probes to %s in this run",
                svp_addr_str(&j->addr, ip, sizeof ip), j->port, svp_l4_name(j->l4),
                err == ETIMEDOUT ? "connection timed out" : strerror(err), ip);
  }
  finish(a, j, OUT_UNREACHABLE);
}

/* ---- the state machine ----------------------------------------------------- */

static void begin_read(struct svp_active *a, struct act_job *j, int64_t now)
{
  j->st = JS_READING;
  j->probe_us = now;
  j->deadline_us = now + (int64_t)j->probe->totalwaitms * 1000;
  j->wr_off = 0;
}

/* Write what is left of the payload: 0, or the errno that stopped it. */
static int write_some(struct act_job *j)
{
  size_t n = j->probe->payload_len;
  while (j->wr_off < n) {
    ssize_t w = send(j->fd, j->probe->payload + j->wr_off, n - j->wr_off,
                     MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w < 0)
      return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : errno;
    j->wr_off += (size_t)w;
  }
  return 0;
}

/* The payload could not be sent. UDP: a closed port (ICMP unreachable
 * from an earlier datagram) ends the endpoint. */
static void send_failed(struct svp_active *a, struct act_job *j, int err)
{
  if (j->l4 == SVP_L4_UDP && err == ECONNREFUSED)
    finish(a, j, OUT_UNREACHABLE);
  else
    end_probe(a, j, true);
}

/* Pick the job's next probe and, when the limits allow, start it. */
static void job_next(struct svp_active *a, struct act_job *j, int64_t now)
{
  if (!j->pending) {
    if (a->live) {
      /* identified passively meanwhile: not another packet */
      const struct svp_endpoint *ep = svp_eptab_find(a->eps, &j->addr, j->port, j->l4);
      if (ep && ep->res.verdict == SVP_HARD) {
        finish(a, j, OUT_GONE);
        return;
      }
    }
    const struct svp_probe *p = svp_probe_iter_next(&j->it, j->soft);
    if (!p) {
      finish(a, j, OUT_NOMATCH);
      return;
    }
    if (j->sent >= a->cfg->max_probes) {
      finish(a, j, OUT_CUT);
      return;
    }
    j->pending = p;
  }
  if (bucket_wait(&j->host->tb, now) > 0 || bucket_wait(&a->global, now) > 0)
    return;
  j->host->tb.tokens -= 1;
  a->global.tokens -= 1;
  j->probe = j->pending;
  j->pending = NULL;
  j->sent++;
  a->st.probes_sent++;
  if (!j->counted) {
    j->counted = true;
    a->st.endpoints_probed++;
  }
  if (j->reuse && j->fd >= 0) {
    j->reuse = false; /* keep the NULL probe's bytes: nmap's nextProbe(false) */
    begin_read(a, j, now);
    if (write_some(j)) {
      /* the server closed the NULL probe's connection meanwhile: the same
       * probe again, on a new connection */
      close_fd(a, j);
      j->pending = j->probe;
      j->sent--;
      a->st.probes_sent--;
      j->st = JS_NEXT;
    }
    return;
  }
  j->len = 0;
  if (j->l4 == SVP_L4_TCP || j->fd < 0) {
    close_fd(a, j);
    int err = open_socket(a, j);
    if (err) {
      unreachable(a, j, err);
      return;
    }
    if (j->l4 == SVP_L4_TCP) {
      a->st.connects++;
      j->st = JS_CONNECTING;
      j->deadline_us = now + (int64_t)ACT_CONNECT_MS * 1000;
      return;
    }
  }
  begin_read(a, j, now);
  int err = write_some(j);
  if (err)
    send_failed(a, j, err);
}

static void on_connected(struct svp_active *a, struct act_job *j, int64_t now)
{
  int err = 0;
  socklen_t el = sizeof err;
  if (getsockopt(j->fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0)
    err = errno;
  if (err) {
    unreachable(a, j, err);
    return;
  }
  begin_read(a, j, now);
  if ((err = write_some(j)) != 0)
    end_probe(a, j, true);
}

/* New reply bytes: match the whole reply so far (nmap re-matches it). */
static void on_reply(struct svp_active *a, struct act_job *j)
{
  struct svp_result r;
  enum svp_verdict v = svp_ident_match_reply(a->id, j->probe, j->buf, j->len, &r);
  if (v == SVP_HARD) {
    record(a, j, &r);
    finish(a, j, OUT_HARD);
    return;
  }
  /* nmap keeps the first softmatch; a different later one is ignored */
  if (v == SVP_SOFT && !j->soft_recorded && (!j->soft || strcmp(j->soft, r.service) == 0)) {
    j->soft = r.service;
    j->soft_recorded = true;
    record(a, j, &r);
  }
  if (j->len >= ACT_RESP_MAX)
    end_probe(a, j, false);
}

static void on_readable(struct svp_active *a, struct act_job *j, int64_t now)
{
  for (;;) {
    ssize_t n = recv(j->fd, j->buf + j->len, ACT_RESP_MAX - j->len, MSG_DONTWAIT);
    if (n > 0) {
      j->len += (uint32_t)n;
      on_reply(a, j);
      if (j->st != JS_READING || j->l4 == SVP_L4_UDP)
        return; /* decided, probe over, or one datagram at a time */
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
      return;
    int err = n < 0 ? errno : 0;
    if (j->l4 == SVP_L4_UDP) {
      /* ICMP port unreachable: the port is closed now; nothing more to ask */
      if (err == ECONNREFUSED)
        finish(a, j, OUT_UNREACHABLE);
      else if (err)
        end_probe(a, j, false);
      return;
    }
    /* EOF or reset. On the NULL probe with nothing read, soon after the
     * connect: nmap's tcpwrapped. */
    bool null_probe = j->probe->payload_len == 0;
    if (null_probe && j->len == 0 &&
        now - j->probe_us < (int64_t)j->probe->tcpwrappedms * 1000) {
      tcpwrapped(a, j);
      return;
    }
    end_probe(a, j, true);
    return;
  }
}

/* ---- scheduling ------------------------------------------------------------ */

/* Drop finished jobs from the run list (order kept). */
static void run_compact(struct svp_active *a)
{
  unsigned k = 0;
  for (unsigned i = 0; i < a->n_run; i++)
    if (a->run[i]->st != JS_DONE)
      a->run[k++] = a->run[i];
  a->n_run = k;
}

/* Give queued jobs a connection slot: one per host, --max-parallel overall.
 * The queue is only looked at when a slot was freed or jobs were added. */
static void activate(struct svp_active *a)
{
  if (!a->want_activate)
    return;
  a->want_activate = false;
  run_compact(a);
  while (a->q_first < a->n_jobs && a->jobs[a->q_first]->st != JS_QUEUED)
    a->q_first++;
  for (size_t i = a->q_first; i < a->n_jobs && a->running < a->cfg->max_parallel; i++) {
    struct act_job *j = a->jobs[i];
    if (j->st != JS_QUEUED)
      continue;
    if (j->host->given_up) {
      finish(a, j, OUT_UNREACHABLE);
      continue;
    }
    if (j->host->busy)
      continue;
    j->buf = malloc(ACT_RESP_MAX);
    if (!j->buf) {
      a->want_activate = true; /* try again at the next step */
      return;
    }
    j->host->busy = true;
    a->running++;
    a->run[a->n_run++] = j;
    j->st = JS_NEXT;
  }
}

static void start_probes(struct svp_active *a, int64_t now)
{
  for (int round = 0; round < 2; round++) { /* again for slots freed meanwhile */
    activate(a);
    for (unsigned i = 0; i < a->n_run; i++)
      if (a->run[i]->st == JS_NEXT)
        job_next(a, a->run[i], now);
  }
}

static void check_deadlines(struct svp_active *a, int64_t now)
{
  for (unsigned i = 0; i < a->n_run; i++) {
    struct act_job *j = a->run[i];
    if (j->st == JS_CONNECTING && now >= j->deadline_us)
      unreachable(a, j, ETIMEDOUT);
    else if (j->st == JS_READING && now >= j->deadline_us)
      end_probe(a, j, false);
  }
}

/* Microseconds until the next thing is due; -1 if nothing runs. */
static int64_t next_due(struct svp_active *a, int64_t now)
{
  int64_t due = a->want_activate ? 100000 : -1; /* activation failed: retry */
  for (unsigned i = 0; i < a->n_run; i++) {
    struct act_job *j = a->run[i];
    int64_t d;
    switch (j->st) {
    case JS_CONNECTING:
    case JS_READING: d = j->deadline_us - now; break;
    case JS_NEXT: {
      int64_t h = bucket_wait(&j->host->tb, now), g = bucket_wait(&a->global, now);
      d = h > g ? h : g;
      break;
    }
    default: continue;
    }
    if (d < 0)
      d = 0;
    if (due < 0 || d < due)
      due = d;
  }
  return due;
}

int act_net_step(struct svp_active *a, int timeout_ms)
{
  int64_t now = act_mono_us();
  start_probes(a, now);

  size_t nfd = 0;
  struct pollfd *pfd = calloc(a->n_run ? a->n_run : 1, sizeof *pfd);
  struct act_job **who = calloc(a->n_run ? a->n_run : 1, sizeof *who);
  if (!pfd || !who) {
    free(pfd);
    free(who);
    return 100;
  }
  for (unsigned i = 0; i < a->n_run; i++) {
    struct act_job *j = a->run[i];
    if ((j->st != JS_CONNECTING && j->st != JS_READING) || j->fd < 0)
      continue;
    short ev = j->st == JS_CONNECTING ? POLLOUT : POLLIN;
    if (j->st == JS_READING && j->probe && j->wr_off < j->probe->payload_len)
      ev |= POLLOUT;
    pfd[nfd] = (struct pollfd){.fd = j->fd, .events = ev};
    who[nfd++] = j;
  }
  /* microsecond timeout: probes leave on their token's time, not up to a
   * millisecond later (which would lower the rate a little every time) */
  int64_t due = next_due(a, now);
  int64_t wait_us = (int64_t)timeout_ms * 1000;
  if (due >= 0 && due < wait_us)
    wait_us = due;
  struct timespec ts = {.tv_sec = wait_us / 1000000, .tv_nsec = (wait_us % 1000000) * 1000};
  int pr = ppoll(pfd, nfd, &ts, NULL);
  now = act_mono_us();
  for (size_t k = 0; pr > 0 && k < nfd; k++) {
    struct act_job *j = who[k];
    short re = pfd[k].revents;
    if (!re)
      continue;
    if (j->st == JS_CONNECTING) {
      on_connected(a, j, now);
      continue;
    }
    if (j->st != JS_READING)
      continue;
    int err;
    if ((re & POLLOUT) && (err = write_some(j)) != 0) {
      send_failed(a, j, err);
      continue;
    }
    if (re & (POLLIN | POLLERR | POLLHUP))
      on_readable(a, j, now);
  }
  free(pfd);
  free(who);
  check_deadlines(a, now);
  start_probes(a, now);
  due = next_due(a, now);
  if (due < 0)
    return 0;
  int64_t ms = (due + 999) / 1000;
  return ms < 1 ? 1 : ms > 1000 ? 1000 : (int)ms;
}

void act_net_abort(struct svp_active *a)
{
  for (size_t i = 0; i < a->n_jobs; i++) {
    struct act_job *j = a->jobs[i];
    if (j->st == JS_DONE)
      continue;
    a->st.unfinished++;
    if (j->soft_recorded)
      a->st.soft++;
    release(a, j);
  }
}

void act_net_reap(struct svp_active *a)
{
  if (!a->want_reap)
    return;
  a->want_reap = false;
  run_compact(a);
  a->q_first = 0;
  size_t k = 0;
  for (size_t i = 0; i < a->n_jobs; i++) {
    if (a->jobs[i]->st == JS_DONE)
      free(a->jobs[i]);
    else
      a->jobs[k++] = a->jobs[i];
  }
  a->n_jobs = k;
}
