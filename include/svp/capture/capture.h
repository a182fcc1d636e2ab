/* capture.h: frames from a capture file (pcap, pcapng, stdin) or a live
 * interface, one at a time, with the BPF filter applied.
 *
 * Readers:
 *   - classic pcap (any byte order, µs or ns): libpcap (pcap_fopen_offline);
 *   - pcapng: our own block reader, because libpcap 1.10 stops at the first
 *     interface whose link type or snap length differs from the first one
 *     ("an interface has a snapshot length 262144 different from ...", seen
 *     on mergecap output); here every packet carries its interface's link
 *     type, so mixed-interface files work;
 *   - live: pcap_create + pcap_activate, non-blocking, poll(2) with a
 *     timeout so that the caller stays responsive.
 * The filter is compiled per link type (pcap_compile on a pcap_open_dead
 * handle) and applied with pcap_offline_filter for files, so that frame
 * numbers stay the frame's position in the file; live captures install it
 * in the kernel. Frames the filter rejects are counted, not returned.
 *
 * A file that ends inside a record is reported as a warning naming the file
 * and the frame, and reading stops there with what was read kept. */
#ifndef SVP_CAPTURE_H
#define SVP_CAPTURE_H

#include "svp/base/common.h"
#include "svp/base/diag.h"

struct svp_capture;

/* One frame. data is borrowed: valid until the next svp_capture_next() or
 * svp_capture_close(). */
struct svp_frame {
  int linktype;        /* pcap LINKTYPE_/DLT_ value of this frame */
  const uint8_t *data;
  uint32_t caplen;     /* bytes at data */
  uint32_t len;        /* length on the wire */
  int64_t ts_us;       /* capture time, µs since the epoch */
  uint64_t frame;      /* 1-based position in the file (live: count) */
};

enum svp_cap_format { SVP_CAP_PCAP = 0, SVP_CAP_PCAPNG, SVP_CAP_LIVE };

struct svp_capture_stats {
  enum svp_cap_format format;
  int linktype;            /* pcap: the file's; pcapng: first interface's; live */
  uint64_t frames;         /* frames read (before the filter) */
  uint64_t filtered;       /* frames the BPF filter rejected */
  uint64_t bytes;          /* bytes consumed from the file (progress) */
  uint64_t size;           /* file size if known (regular file), else 0 */
  bool truncated;          /* the file ended inside a record */
  /* live only, from pcap_stats */
  uint64_t recv, drop, ifdrop;
};

/* Results of svp_capture_next (>= 0), besides negative svp_status codes. */
enum { SVP_CAP_EOF = 0, SVP_CAP_FRAME = 1, SVP_CAP_AGAIN = 2 };

/* Open a capture file ("-" = standard input). bpf may be NULL. Errors
 * (unreadable, not a capture file, unknown link type, bad filter) are
 * reported to diag naming the file or the expression, and returned
 * (SVP_ERR_IO, SVP_ERR_PARSE, SVP_ERR_LINKTYPE, SVP_ERR_FILTER,
 * SVP_ERR_NOMEM). *out is owned by the caller (svp_capture_close). */
int svp_capture_open_file(const char *path, const char *bpf, struct svp_diag *diag,
                          struct svp_capture **out);

/* Open a live interface. snaplen 0 = 262144. */
int svp_capture_open_live(const char *iface, unsigned snaplen, bool promisc,
                          const char *bpf, struct svp_diag *diag,
                          struct svp_capture **out);

/* Next frame into *f. Returns SVP_CAP_FRAME, SVP_CAP_EOF (end of the file,
 * including a truncated end, already reported), SVP_CAP_AGAIN (live: nothing
 * arrived within timeout_ms; files never return it), or a negative status
 * after a read error (reported; the source is finished). */
int svp_capture_next(struct svp_capture *c, struct svp_frame *f, int timeout_ms);

/* Counters so far (live: also refreshes pcap_stats). */
void svp_capture_get_stats(struct svp_capture *c, struct svp_capture_stats *st);

/* The name used in messages (the path, "-" or the interface). */
const char *svp_capture_name(const struct svp_capture *c);

void svp_capture_close(struct svp_capture *c);

#endif
