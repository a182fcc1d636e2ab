/* gen_many_flows.c: N distinct TCP flows as a classic pcap (raw IPv4) on
 * stdout, for the flow table's memory-bound test (test_many_flows.sh).
 *
 *   gen_many_flows N > capture.pcap
 *
 * Flow i has client 10.a.b.c (from i) port 40000 + i % 20000 and one of 64
 * servers; one new flow every 100 µs of capture time. Four kinds, by i % 10:
 *   0-3  closed: handshake, a request, a response, FIN both ways (7 packets)
 *   4-7  open:   mid-stream request and response, never closed (2 packets),
 *                so they stay in the table until evicted or the end
 *   8    unanswered SYN (1 packet)
 *   9    refused: SYN answered by RST (2 packets)
 * Checksums are right. The kinds' totals go to stderr so that the test
 * knows what to expect. Plain C, no library. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint8_t out[1 << 20];
static size_t outn;

static void flush_out(void)
{
  if (fwrite(out, 1, outn, stdout) != outn)
    exit(1);
  outn = 0;
}

static void put(const void *p, size_t n)
{
  if (outn + n > sizeof out)
    flush_out();
  memcpy(out + outn, p, n);
  outn += n;
}

static void le32(uint8_t *p, uint32_t v)
{
  p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16), p[3] = (uint8_t)(v >> 24);
}

static void be16(uint8_t *p, uint16_t v)
{
  p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v;
}

static void be32(uint8_t *p, uint32_t v)
{
  be16(p, (uint16_t)(v >> 16));
  be16(p + 2, (uint16_t)v);
}

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
  for (size_t i = 0; i + 1 < n; i += 2)
    s += (uint32_t)(p[i] << 8 | p[i + 1]);
  if (n & 1)
    s += (uint32_t)(p[n - 1] << 8);
  return s;
}

static uint16_t fold(uint32_t s)
{
  while (s >> 16)
    s = (s & 0xffff) + (s >> 16);
  return (uint16_t)~s;
}

static uint64_t now_us = 1700000000ull * 1000000;
static uint64_t packets;

static void pkt(uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport, uint32_t seq,
                uint32_t ack, uint8_t flags, const char *pay)
{
  uint8_t b[128];
  size_t n = pay ? strlen(pay) : 0, len = 40 + n;
  memset(b, 0, 40);
  b[0] = 0x45;
  be16(b + 2, (uint16_t)len);
  b[8] = 64;
  b[9] = 6;
  be32(b + 12, src);
  be32(b + 16, dst);
  be16(b + 10, fold(sum16(b, 20, 0)));
  uint8_t *t = b + 20;
  be16(t, sport);
  be16(t + 2, dport);
  be32(t + 4, seq);
  be32(t + 8, ack);
  t[12] = 5 << 4;
  t[13] = flags;
  be16(t + 14, 65535);
  memcpy(t + 20, pay ? pay : "", n);
  uint32_t ps = sum16(b + 12, 8, 0) + 6 + (uint32_t)(20 + n);
  be16(t + 16, fold(sum16(t, 20 + n, ps)));
  uint8_t rh[16];
  le32(rh, (uint32_t)(now_us / 1000000));
  le32(rh + 4, (uint32_t)(now_us % 1000000));
  le32(rh + 8, (uint32_t)len);
  le32(rh + 12, (uint32_t)len);
  put(rh, 16);
  put(b, len);
  packets++;
  now_us += 1;
}

enum { FIN = 1, SYN = 2, RST = 4, PSH = 8, ACK = 16 };

int main(int argc, char **argv)
{
  if (argc < 2) {
    fprintf(stderr, "usage: gen_many_flows N\n");
    return 2;
  }
  unsigned long n = strtoul(argv[1], NULL, 10);
  uint8_t gh[24];
  le32(gh, 0xa1b2c3d4);
  gh[4] = 2, gh[5] = 0, gh[6] = 4, gh[7] = 0;
  memset(gh + 8, 0, 8);
  le32(gh + 16, 65535);
  le32(gh + 20, 101);
  put(gh, 24);
  unsigned long kinds[4] = {0, 0, 0, 0};
  const char *req = "GET / HTTP/1.0\r\n\r\n", *resp = "HTTP/1.0 200 OK\r\nServer: gen\r\n\r\n";
  for (unsigned long i = 0; i < n; i++) {
    uint32_t c = 0x0a000000u | (uint32_t)(i & 0xffffff);
    uint16_t cp = (uint16_t)(40000 + i % 20000);
    uint32_t s = 0xc0a80001u + (uint32_t)(i % 64) * 256;
    uint16_t sp = 80;
    uint32_t ci = (uint32_t)(i * 2654435761u), si = ci ^ 0x5a5a5a5au;
    uint32_t rl = (uint32_t)strlen(req), pl = (uint32_t)strlen(resp);
    switch (i % 10) {
    case 0: case 1: case 2: case 3:
      pkt(c, cp, s, sp, ci, 0, SYN, NULL);
      pkt(s, sp, c, cp, si, ci + 1, SYN | ACK, NULL);
      pkt(c, cp, s, sp, ci + 1, si + 1, ACK, NULL);
      pkt(c, cp, s, sp, ci + 1, si + 1, PSH | ACK, req);
      pkt(s, sp, c, cp, si + 1, ci + 1 + rl, PSH | ACK, resp);
      pkt(c, cp, s, sp, ci + 1 + rl, si + 1 + pl, FIN | ACK, NULL);
      pkt(s, sp, c, cp, si + 1 + pl, ci + 2 + rl, FIN | ACK, NULL);
      kinds[0]++;
      break;
    case 4: case 5: case 6: case 7:
      pkt(c, cp, s, 502, ci, si, PSH | ACK, "\x01\x02\x03\x04poll");
      pkt(s, 502, c, cp, si, ci + 8, PSH | ACK, "\x01\x02\x03\x04answer");
      kinds[1]++;
      break;
    case 8:
      pkt(c, cp, s, sp, ci, 0, SYN, NULL);
      kinds[2]++;
      break;
    default:
      pkt(c, cp, s, 81, ci, 0, SYN, NULL);
      pkt(s, 81, c, cp, 0, ci + 1, RST | ACK, NULL);
      kinds[3]++;
    }
    now_us += 100;
  }
  flush_out();
  fprintf(stderr, "flows %lu closed %lu open %lu syn-only %lu refused %lu packets %llu\n", n,
          kinds[0], kinds[1], kinds[2], kinds[3], (unsigned long long)packets);
  return 0;
}
