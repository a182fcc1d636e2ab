/* fuzz_pcap.c: a whole capture file (pcap or pcapng) -> capture, link
 * decoding, libnids and lite reassembly, flow table, sink.
 *
 * The input is written to a memfd and read by the pipeline like a -r file.
 * The table is kept small (64 flows, 1 MiB) so that eviction, expiry and
 * the memory bound are reached; the checksum mode and whether the sink
 * decides early vary with the input length. The sink checks the flow
 * contract: every flow ends exactly once, never gets bytes after its end,
 * and its kept bytes stay within the limits; a breach aborts.
 *
 * Seed corpus (fuzz/corpus/pcap/): unmodified copies of small captures from
 * tests/pcaps/third-party (see its MANIFEST.tsv for origin and licence):
 * arcnet-linux.pcap = tcpdump/arcnet-rfc1051-arp-icmp-http.pcap,
 * bsd-null.pcap = ndpi/nats.pcap, raw-ipv4.pcap = icsnpp-omron-fins/
 * omron_fins_tcp_commands_responses.pcap, ether-dns-tcp.pcap = arkime/
 * dns-tcp.pcap, radiotap-http.pcap = arkime/80211http.pcap, vlan-ajp.pcap =
 * ndpi/ajp.pcap, vlan-mpls.pcap = zeek/mixed-vlan-mpls.pcap, http.pcapng and
 * stomp.pcapng = ndpi/; frames 870-903 of emreekin-ics-pcaps/
 * Mergecap__kokteyl.pcap (per-packet link types); cuts of the project's own
 * captures in tests/capture/captures (SLL2, QinQ, holes, mid-stream); UDP
 * peers and announcements: udp-bacnet-peers.pcap = icsnpp-bacnet/
 * bacnet_segmented_data.pcap, udp-bacnet-errors.pcap = icsnpp-bacnet/
 * bacnet_error_reject_abort.pcap, udp-bacnet-bbmd.pcap = ct-samples/
 * BACnet__BACnet-BBMD-on-same-subnet.cap, udp-dnp3.pcap = zeek/
 * dnp3__dnp3_udp_read.pcap; and two truncated files. Inputs that crashed become named files here. */
#include "svp/reasm/pipeline.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_IDS 65536

struct checker {
  uint8_t state[MAX_IDS]; /* per flow id: 0 unseen, 1 live, 2 ended */
  uint64_t ended;
  bool decide;
};

static bool on_data(void *ud, struct svp_flow *f, enum svp_dir_id d)
{
  struct checker *c = ud;
  if (f->id < MAX_IDS) {
    if (c->state[f->id] == 2)
      abort(); /* bytes after on_end */
    c->state[f->id] = 1;
  }
  if (f->dir[d].len > (d == SVP_S2C ? 4096u : 2048u) || (f->dir[d].len && !f->dir[d].data))
    abort();
  return c->decide && d == SVP_S2C && f->dir[d].len > 16;
}

static void on_end(void *ud, struct svp_flow *f)
{
  struct checker *c = ud;
  if (f->id < MAX_IDS) {
    if (c->state[f->id] == 2)
      abort(); /* a second on_end */
    c->state[f->id] = 2;
  }
  for (int d = 0; d < 2; d++)
    if (f->dir[d].len && !f->dir[d].data)
      abort();
  c->ended++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  int fd = memfd_create("fuzz-pcap", 0);
  if (fd < 0)
    return 0;
  if (size && write(fd, data, size) != (ssize_t)size) {
    close(fd);
    return 0;
  }
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  struct svp_config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.inputs[0] = path;
  cfg.n_inputs = 1;
  cfg.max_flows = 64;
  cfg.flow_mem_mb = 1;
  cfg.idle_timeout_s = 30;
  cfg.srv_bytes = 4096;
  cfg.cli_bytes = 2048;
  cfg.csum = (enum svp_csum_mode)(size % 3);
  cfg.datadir = "/nonexistent"; /* no nmap-services: ports < 1024 only */
  static struct checker c;
  memset(&c, 0, sizeof c);
  c.decide = (size / 3) % 2;
  struct svp_flow_sink sink = {.on_data = on_data, .on_end = on_end, .ud = &c};
  struct svp_diag diag = {0};
  struct svp_pipeline *pl;
  if (svp_pipeline_new(&cfg, &sink, &diag, &pl) == SVP_OK) {
    svp_pipeline_run(pl);
    svp_pipeline_finish(pl);
    const struct svp_flowtab_stats *fs = svp_pipeline_stats(pl)->flows;
    uint64_t made = fs->flows_created[0] + fs->flows_created[1] + fs->flows_created[2];
    uint64_t ended = 0;
    for (int k = 0; k < SVP_END_COUNT; k++)
      ended += fs->flows_ended[k];
    /* a UDP flow's reverse view (SVP_FF_PEER) is a flow of the sink's too */
    if (made != ended || ended + fs->udp_peer_views != c.ended || fs->flows_live != 0)
      abort(); /* a flow lost without a word */
    if (fs->mem_now > fs->mem_limit + (1u << 20))
      abort();
    svp_pipeline_free(pl);
  }
  close(fd);
  return 0;
}
