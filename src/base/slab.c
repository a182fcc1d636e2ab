/* slab.c: pools of fixed-size objects (see slab.h). */
#include "svp/base/slab.h"

#include <stdlib.h>
#include <sys/mman.h>

#if defined(__SANITIZE_ADDRESS__)
#define SLAB_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SLAB_ASAN 1
#endif
#endif
#ifdef SLAB_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define CHUNK_TARGET (256u * 1024) /* bytes of objects per chunk, by default */
#define PAGE 4096u

/* A chunk: this header on its own cache line, then the objects. Chunks are
 * mapped with their pages populated at once: one system call instead of a
 * page fault per page as objects are first written (several times cheaper
 * per page, noticeably so on virtual machines). */
struct svp_slab_chunk {
  struct svp_slab_chunk *next;
};

void svp_slab_init(struct svp_slab *s, size_t size, size_t per_chunk)
{
  size_t a = SVP_SLAB_ALIGN;
  *s = (struct svp_slab){0};
  if (size < sizeof(void *))
    size = sizeof(void *);
  s->size = (size + a - 1) / a * a;
  if (!per_chunk) {
    per_chunk = (CHUNK_TARGET - SVP_SLAB_ALIGN) / s->size;
    if (per_chunk < 8)
      per_chunk = 8;
  }
  s->per_chunk = per_chunk;
}

static size_t chunk_bytes(const struct svp_slab *s)
{
  return (SVP_SLAB_ALIGN + s->per_chunk * s->size + PAGE - 1) / PAGE * PAGE;
}

static bool add_chunk(struct svp_slab *s)
{
  size_t bytes = chunk_bytes(s);
  void *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
                 -1, 0);
  if (m == MAP_FAILED)
    return false;
  struct svp_slab_chunk *c = m;
  c->next = s->chunks;
  s->chunks = c;
  s->n_chunks++;
  s->next = (uint8_t *)c + SVP_SLAB_ALIGN;
  s->end = s->next + s->per_chunk * s->size;
  POISON(s->next, (size_t)(s->end - s->next));
  return true;
}

void *svp_slab_alloc(struct svp_slab *s)
{
  void *p = s->free;
  if (p) {
    UNPOISON(p, sizeof(void *));
    s->free = *(void **)p;
  } else {
    if (s->next == s->end && !add_chunk(s))
      return NULL;
    p = s->next;
    s->next += s->size;
  }
  UNPOISON(p, s->size);
  s->out++;
  return p;
}

void svp_slab_free(struct svp_slab *s, void *p)
{
  if (!p)
    return;
  *(void **)p = s->free;
  s->free = p;
  s->out--;
  POISON((uint8_t *)p + sizeof(void *), s->size - sizeof(void *));
}

size_t svp_slab_reserved(const struct svp_slab *s)
{
  return s->n_chunks * chunk_bytes(s);
}

void svp_slab_fini(struct svp_slab *s)
{
  struct svp_slab_chunk *c = s->chunks;
  while (c) {
    struct svp_slab_chunk *nx = c->next;
    UNPOISON(c, chunk_bytes(s));
    munmap(c, chunk_bytes(s));
    c = nx;
  }
  svp_slab_init(s, s->size, s->per_chunk);
}
