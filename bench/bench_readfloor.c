/* bench_readfloor.c: the read floor of the benchmark (issue 7).
 *
 * Reads capture files with a bare pcap_next_ex() loop and counts packets and
 * bytes: the least any tool that reads the file through libpcap must spend.
 * Every other figure in bench/README.md is given as a ratio to this one.
 *
 * Usage: bench_readfloor FILE...   (prints: packets bytes seconds) */
#include <pcap/pcap.h>
#include <inttypes.h>
#include <stdio.h>
#include <time.h>

static double now_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
  if (argc < 2) {
    fputs("usage: bench_readfloor FILE...\n", stderr);
    return 2;
  }
  uint64_t packets = 0, bytes = 0, caplen = 0;
  double t0 = now_s();
  int rc = 0;
  for (int i = 1; i < argc; i++) {
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(argv[i], err);
    if (!p) {
      fprintf(stderr, "bench_readfloor: %s\n", err);
      rc = 1;
      continue;
    }
    struct pcap_pkthdr *h;
    const u_char *data;
    int r;
    /* Touch one byte of each packet, as any reader must. */
    unsigned sink = 0;
    while ((r = pcap_next_ex(p, &h, &data)) == 1) {
      packets++;
      bytes += h->len;
      caplen += h->caplen;
      sink += h->caplen ? data[h->caplen - 1] : 0;
    }
    if (r == PCAP_ERROR) {
      fprintf(stderr, "bench_readfloor: %s: %s\n", argv[i], pcap_geterr(p));
      rc = 1;
    }
    pcap_close(p);
    if (sink == 0xdeadbeef) /* keep the loads */
      fputc('\0', stderr);
  }
  fprintf(stdout, "%" PRIu64 " packets %" PRIu64 " bytes %" PRIu64 " captured %.3f s\n",
          packets, bytes, caplen, now_s() - t0);
  return rc;
}
