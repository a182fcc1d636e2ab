/* readahead.c: the reader thread (see readahead.h). A ring of batches,
 * one mutex and two condition variables: the reader waits while every
 * batch is full, the pipeline while none is. */
#include "svp/reasm/readahead.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* Room for the largest frame libpcap hands out past SVP_RA_BYTES. */
#define RA_SLACK (256u << 10)

struct batch {
  uint8_t *buf;                 /* SVP_RA_BYTES + RA_SLACK */
  struct svp_ra_frame *fr;      /* SVP_RA_FRAMES */
  size_t n;
  bool last;                    /* the file ended after these frames */
  int status;                   /* with last: SVP_OK or the read error */
};

struct svp_readahead {
  struct svp_capture *cap;
  pthread_t th;
  pthread_mutex_t mu;
  pthread_cond_t filled, freed;
  struct batch b[SVP_RA_BATCHES];
  unsigned head, count;         /* oldest full batch, full batches */
  bool stop;                    /* the pipeline wants no more */
  atomic_uint_fast64_t bytes;
};

/* Fill one batch; true if the file went on after it. */
static bool fill(struct svp_readahead *ra, struct batch *b)
{
  size_t used = 0;
  b->n = 0;
  b->last = false;
  b->status = SVP_OK;
  while (b->n < SVP_RA_FRAMES && used < SVP_RA_BYTES) {
    struct svp_frame f;
    int r = svp_capture_next(ra->cap, &f, 0);
    if (r == SVP_CAP_AGAIN)
      continue; /* files never say it; be safe */
    if (r != SVP_CAP_FRAME) {
      b->last = true;
      b->status = r == SVP_CAP_EOF ? SVP_OK : r;
      return false;
    }
    uint32_t len = f.caplen <= SVP_RA_BYTES + RA_SLACK - used
                       ? f.caplen
                       : (uint32_t)(SVP_RA_BYTES + RA_SLACK - used); /* never: snaplen */
    struct svp_ra_frame *x = &b->fr[b->n++];
    memcpy(b->buf + used, f.data, len);
    x->f = f;
    x->f.data = b->buf + used;
    x->f.caplen = len;
    used += len;
    x->why = svp_decode(f.linktype, x->f.data, len, &x->p);
    if (x->why == SVP_DW_OK)
      svp_pkt_csum_early(&x->p);
    atomic_fetch_add(&ra->bytes, f.caplen);
  }
  return true;
}

static void *reader_main(void *arg)
{
  struct svp_readahead *ra = arg;
  for (;;) {
    pthread_mutex_lock(&ra->mu);
    while (ra->count == SVP_RA_BATCHES && !ra->stop)
      pthread_cond_wait(&ra->freed, &ra->mu);
    bool stop = ra->stop;
    struct batch *b = &ra->b[(ra->head + ra->count) % SVP_RA_BATCHES];
    pthread_mutex_unlock(&ra->mu);
    if (stop)
      return NULL;
    bool more = fill(ra, b); /* the slot is free: only this thread touches it */
    pthread_mutex_lock(&ra->mu);
    ra->count++;
    pthread_cond_signal(&ra->filled);
    pthread_mutex_unlock(&ra->mu);
    if (!more)
      return NULL;
  }
}

static void free_batches(struct svp_readahead *ra)
{
  for (int i = 0; i < SVP_RA_BATCHES; i++) {
    free(ra->b[i].buf);
    free(ra->b[i].fr);
  }
}

int svp_readahead_start(struct svp_capture *cap, struct svp_readahead **out)
{
  struct svp_readahead *ra = calloc(1, sizeof *ra);
  if (!ra)
    return SVP_ERR_NOMEM;
  ra->cap = cap;
  atomic_init(&ra->bytes, 0);
  for (int i = 0; i < SVP_RA_BATCHES; i++) {
    ra->b[i].buf = malloc(SVP_RA_BYTES + RA_SLACK);
    ra->b[i].fr = malloc(SVP_RA_FRAMES * sizeof *ra->b[i].fr);
    if (!ra->b[i].buf || !ra->b[i].fr) {
      free_batches(ra);
      free(ra);
      return SVP_ERR_NOMEM;
    }
  }
  pthread_mutex_init(&ra->mu, NULL);
  pthread_cond_init(&ra->filled, NULL);
  pthread_cond_init(&ra->freed, NULL);
  if (pthread_create(&ra->th, NULL, reader_main, ra) != 0) {
    pthread_mutex_destroy(&ra->mu);
    pthread_cond_destroy(&ra->filled);
    pthread_cond_destroy(&ra->freed);
    free_batches(ra);
    free(ra);
    return SVP_ERR_IO;
  }
  *out = ra;
  return SVP_OK;
}

const struct svp_ra_frame *svp_readahead_next(struct svp_readahead *ra, size_t *n,
                                              int *status)
{
  pthread_mutex_lock(&ra->mu);
  while (ra->count == 0)
    pthread_cond_wait(&ra->filled, &ra->mu);
  struct batch *b = &ra->b[ra->head];
  pthread_mutex_unlock(&ra->mu);
  *n = b->n;
  *status = b->status;
  if (b->n == 0 && b->last)
    return NULL;
  return b->fr;
}

void svp_readahead_release(struct svp_readahead *ra)
{
  pthread_mutex_lock(&ra->mu);
  bool last = ra->b[ra->head].last;
  if (last && ra->b[ra->head].n) {
    ra->b[ra->head].n = 0; /* its frames are done: next() now says the end */
  } else {
    ra->head = (ra->head + 1) % SVP_RA_BATCHES;
    ra->count--;
    pthread_cond_signal(&ra->freed);
  }
  pthread_mutex_unlock(&ra->mu);
}

uint64_t svp_readahead_bytes(const struct svp_readahead *ra)
{
  return atomic_load(&((struct svp_readahead *)ra)->bytes);
}

void svp_readahead_end(struct svp_readahead *ra)
{
  if (!ra)
    return;
  pthread_mutex_lock(&ra->mu);
  ra->stop = true;
  pthread_cond_signal(&ra->freed);
  pthread_mutex_unlock(&ra->mu);
  pthread_join(ra->th, NULL);
  pthread_mutex_destroy(&ra->mu);
  pthread_cond_destroy(&ra->filled);
  pthread_cond_destroy(&ra->freed);
  free_batches(ra);
  free(ra);
}
