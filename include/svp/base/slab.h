/* slab.h: pools of fixed-size objects for the capture layer's per-flow
 * records and byte buffers.
 *
 * Objects are cut from large chunks and go back to a free list when freed,
 * so that millions of short flows do not churn malloc: with flow records,
 * byte buffers and the consumer's state of many sizes and lifetimes
 * interleaved, glibc's heap fragments and each malloc pays for searching
 * it. Every object starts on a cache line (SVP_SLAB_ALIGN), so a record's
 * first line can hold everything a hash lookup reads.
 *
 * Ownership: the pool owns its chunks. An object is the caller's from
 * svp_slab_alloc until svp_slab_free; svp_slab_fini frees every chunk,
 * objects still out included. Chunks go back to the system only at
 * svp_slab_fini: a pool keeps the most it ever held. Not thread-safe.
 * Under AddressSanitizer free objects are poisoned, so a use after free is
 * still reported. */
#ifndef SVP_SLAB_H
#define SVP_SLAB_H

#include "svp/base/common.h"

#define SVP_SLAB_ALIGN 64

struct svp_slab_chunk;

struct svp_slab {
  size_t size;                   /* object size, a multiple of SVP_SLAB_ALIGN */
  size_t per_chunk;              /* objects per chunk */
  void *free;                    /* free objects, linked through their first word */
  struct svp_slab_chunk *chunks; /* every chunk, newest first */
  uint8_t *next, *end;           /* never used part of the newest chunk */
  size_t n_chunks;
  size_t out;                    /* objects handed out now */
};

/* An empty pool of objects of `size` bytes (rounded up to the alignment),
 * allocated per_chunk at a time (0: 256 KB chunks, at least 8 objects).
 * Chunks are mapped with their pages populated at once. */
void svp_slab_init(struct svp_slab *s, size_t size, size_t per_chunk);

/* An object (contents undefined), or NULL if no memory. */
void *svp_slab_alloc(struct svp_slab *s);

/* Give back an object of this pool (NULL is ignored). */
void svp_slab_free(struct svp_slab *s, void *p);

/* Bytes the pool holds in chunks. */
size_t svp_slab_reserved(const struct svp_slab *s);

/* Free every chunk; the pool is empty (and reusable) afterwards. */
void svp_slab_fini(struct svp_slab *s);

#endif
