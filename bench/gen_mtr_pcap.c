/* SPDX-License-Identifier: BSD-2-Clause */
/* gen_mtr_pcap.c — a deterministic capture shaped like a long mtr run, for
 * bench/replay.
 *
 *     gen_mtr_pcap OUT.pcap [PROBES [DESTINATIONS]]
 *
 * Writes a pcap (µs, LINKTYPE_RAW) of PROBES ICMP echo requests (default
 * 1,000,000) from 198.18.0.1 with one ICMP id, sent round robin to
 * DESTINATIONS addresses (default 1,024; 198.19.0.0 upwards), 10,000 per
 * second, and one time-exceeded reply to each from a router of the path.
 * Probe k goes to destination k mod D, its TTL cycles 1, 2, ..., 5 per
 * destination, its sequence number counts on from 33000 like mtr's (wrapping
 * at 65535 to 33000), its payload is 8 zero bytes. The reply of a probe with
 * TTL h comes from router 198.18.h.(1 + destination mod 200) h ms (plus a
 * few µs) after it, quoting the probe's IP header (TTL 1) and 8 bytes of
 * its ICMP header. Frames are written in timestamp order. With the defaults
 * the file is 124,000,024 bytes: 36-byte probes and 56-byte replies, each
 * behind a 16-byte record header.
 *
 * Nothing is random and nothing is read: the same arguments always give the
 * same bytes. Build: cc -O2 -o gen_mtr_pcap gen_mtr_pcap.c */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ICMP_ID   4242u
#define SEQ_FIRST 33000u
#define T0_SEC    1767225600u /* 2026-01-01T00:00:00Z */
#define GAP_US    100u        /* 10,000 probes per second */

static uint8_t obuf[1 << 20];
static size_t olen;
static FILE *out;

static void emit(const void *p, size_t n)
{
    if (olen + n > sizeof(obuf)) {
        if (fwrite(obuf, 1, olen, out) != olen) {
            perror("gen_mtr_pcap: write");
            exit(1);
        }
        olen = 0;
    }
    memcpy(obuf + olen, p, n);
    olen += n;
}

static void put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static unsigned cksum(const uint8_t *p, size_t n)
{
    uint32_t s = 0;
    for (size_t i = 0; i + 1 < n; i += 2)
        s += (uint32_t)p[i] << 8 | p[i + 1];
    if (n & 1)
        s += (uint32_t)p[n - 1] << 8;
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return ~s & 0xffff;
}

static void record(uint64_t t_us, const uint8_t *pkt, size_t n)
{
    uint8_t h[16];
    le32(h, (uint32_t)(t_us / 1000000));
    le32(h + 4, (uint32_t)(t_us % 1000000));
    le32(h + 8, (uint32_t)n);
    le32(h + 12, (uint32_t)n);
    emit(h, 16);
    emit(pkt, n);
}

static void ip_header(uint8_t *p, unsigned len, unsigned id, unsigned ttl, const uint8_t src[4],
                      const uint8_t dst[4])
{
    memset(p, 0, 20);
    p[0] = 0x45;
    put16(p + 2, len);
    put16(p + 4, id);
    p[8] = (uint8_t)ttl;
    p[9] = 1; /* ICMP */
    memcpy(p + 12, src, 4);
    memcpy(p + 16, dst, 4);
    put16(p + 10, cksum(p, 20));
}

/* the probe k, as sent (ttl = its TTL) */
static void probe(uint64_t k, unsigned ndst, unsigned ttl, uint8_t pkt[36])
{
    static const uint8_t vp[4] = {198, 18, 0, 1};
    unsigned d = (unsigned)(k % ndst);
    uint8_t dst[4] = {198, (uint8_t)(19 + (d >> 16)), (uint8_t)(d >> 8), (uint8_t)d};
    ip_header(pkt, 36, (unsigned)(1 + k % 65535), ttl, vp, dst);
    uint8_t *icmp = pkt + 20;
    memset(icmp, 0, 16);
    icmp[0] = 8;
    put16(icmp + 4, ICMP_ID);
    put16(icmp + 6, (unsigned)(SEQ_FIRST + k % (65536 - SEQ_FIRST)));
    put16(icmp + 2, cksum(icmp, 16));
}

struct pending {
    uint64_t t_us, k;
};

/* a min-heap of replies not yet written, by time then probe number */
static struct pending *heap;
static size_t nheap;

static int before(const struct pending *a, const struct pending *b)
{
    return a->t_us != b->t_us ? a->t_us < b->t_us : a->k < b->k;
}

static void heap_push(struct pending v)
{
    size_t i = nheap++;
    heap[i] = v;
    while (i > 0 && before(&heap[i], &heap[(i - 1) / 2])) {
        struct pending t = heap[i];
        heap[i] = heap[(i - 1) / 2];
        heap[(i - 1) / 2] = t;
        i = (i - 1) / 2;
    }
}

static struct pending heap_pop(void)
{
    struct pending top = heap[0];
    heap[0] = heap[--nheap];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < nheap && before(&heap[l], &heap[m]))
            m = l;
        if (r < nheap && before(&heap[r], &heap[m]))
            m = r;
        if (m == i)
            break;
        struct pending t = heap[i];
        heap[i] = heap[m];
        heap[m] = t;
        i = m;
    }
    return top;
}

static unsigned ttl_of(uint64_t k, unsigned ndst)
{
    return (unsigned)(1 + (k / ndst) % 5);
}

static void reply(uint64_t t_us, uint64_t k, unsigned ndst)
{
    static const uint8_t vp[4] = {198, 18, 0, 1};
    unsigned ttl = ttl_of(k, ndst);
    unsigned d = (unsigned)(k % ndst);
    uint8_t router[4] = {198, 18, (uint8_t)ttl, (uint8_t)(1 + d % 200)};
    uint8_t pkt[56], q[36];
    probe(k, ndst, 1, q); /* the header as the router saw it: TTL 1 */
    ip_header(pkt, 56, (unsigned)(k & 0xffff), 64 - ttl, router, vp);
    uint8_t *icmp = pkt + 20;
    memset(icmp, 0, 8);
    icmp[0] = 11; /* time exceeded in transit */
    memcpy(icmp + 8, q, 28);
    put16(icmp + 2, cksum(icmp, 36));
    record(t_us, pkt, sizeof(pkt));
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 4) {
        fprintf(stderr, "usage: gen_mtr_pcap OUT.pcap [PROBES [DESTINATIONS]]\n");
        return 2;
    }
    uint64_t n = argc > 2 ? strtoull(argv[2], NULL, 10) : 1000000;
    unsigned ndst = argc > 3 ? (unsigned)strtoul(argv[3], NULL, 10) : 1024;
    if (n == 0 || ndst == 0 || ndst > 65536) {
        fprintf(stderr, "gen_mtr_pcap: PROBES > 0 and DESTINATIONS in 1..65536\n");
        return 2;
    }
    out = fopen(argv[1], "wb");
    if (out == NULL) {
        perror(argv[1]);
        return 1;
    }
    heap = malloc(sizeof(*heap) * 1024);
    if (heap == NULL)
        return 1;
    uint8_t gh[24] = {0};
    le32(gh, 0xa1b2c3d4u);
    gh[4] = 2; /* version 2.4 */
    gh[6] = 4;
    le32(gh + 16, 65535);
    le32(gh + 20, 101); /* LINKTYPE_RAW */
    emit(gh, sizeof(gh));
    const uint64_t t0 = (uint64_t)T0_SEC * 1000000;
    for (uint64_t k = 0; k < n; k++) {
        uint64_t t = t0 + k * GAP_US;
        while (nheap > 0 && heap[0].t_us <= t) {
            struct pending r = heap_pop();
            reply(r.t_us, r.k, ndst);
        }
        unsigned ttl = ttl_of(k, ndst);
        uint8_t pkt[36];
        probe(k, ndst, ttl, pkt);
        record(t, pkt, sizeof(pkt));
        /* at most 5 ms + 1023 µs ahead: fewer than 64 replies pending */
        heap_push((struct pending){t + ttl * 1000u + (k % ndst) % 1024, k});
    }
    while (nheap > 0) {
        struct pending r = heap_pop();
        reply(r.t_us, r.k, ndst);
    }
    if (fwrite(obuf, 1, olen, out) != olen || fclose(out) != 0) {
        perror("gen_mtr_pcap: write");
        return 1;
    }
    free(heap);
    return 0;
}
