/* readahead.h: a second thread that reads and decodes a capture file ahead
 * of the thread that owns the flow table (--threads 2 and more).
 *
 * The pipeline's work splits in two at the frame: reading the file
 * (libpcap), copying each frame out of libpcap's buffer, link/IP/TCP
 * decoding and the checksum sums, which need no state, go to the reader
 * thread; the flow table, the reassemblers (libnids keeps one table, so it
 * stays in one thread), identification and the endpoint table stay in the
 * pipeline's own thread, which takes the decoded frames in file order. The
 * order and the bytes of every frame are those of a single-threaded run,
 * so the output is the same (tests/regress/test_threads.sh checks it on
 * every golden capture).
 *
 * Frames travel in batches (SVP_RA_BATCHES of them in flight, each up to
 * SVP_RA_FRAMES frames or SVP_RA_BYTES of frame bytes): the reader fills a
 * free batch while the pipeline works through a full one. A batch and the
 * packets decoded in it (svp_pkt points into its bytes) stay valid until
 * svp_readahead_release. Offline files only: a live capture keeps its poll
 * loop (timeouts, ticks) in one thread.
 *
 * Ownership: the capture is borrowed (not touched by the caller until
 * svp_readahead_end returns); everything else is the readahead's own. */
#ifndef SVP_READAHEAD_H
#define SVP_READAHEAD_H

#include "svp/capture/capture.h"
#include "svp/capture/decode.h"

#define SVP_RA_BATCHES 4
#define SVP_RA_FRAMES 2048
#define SVP_RA_BYTES (1u << 20)

struct svp_readahead;

/* One frame as the reader left it: f.data points into the batch; p and why
 * are svp_decode's answer (with the checksums already summed). */
struct svp_ra_frame {
  struct svp_frame f;
  struct svp_pkt p;
  enum svp_dec_why why;
};

/* Start reading cap in a new thread. SVP_OK, SVP_ERR_NOMEM, or SVP_ERR_IO
 * if the thread cannot be made (the caller then reads in its own). */
int svp_readahead_start(struct svp_capture *cap, struct svp_readahead **out);

/* The next batch (waits for the reader): *n frames in file order. Returns
 * NULL when the file is done; *status is then SVP_OK (end of the file) or
 * the read error svp_capture_next returned. Release each batch before
 * asking for the next one. */
const struct svp_ra_frame *svp_readahead_next(struct svp_readahead *ra, size_t *n,
                                              int *status);
void svp_readahead_release(struct svp_readahead *ra);

/* Frame bytes the reader has read so far (for progress; any thread). */
uint64_t svp_readahead_bytes(const struct svp_readahead *ra);

/* Stop the reader (at once if it is not done), wait for it, free all. */
void svp_readahead_end(struct svp_readahead *ra);

#endif
