/* SPDX-License-Identifier: BSD-2-Clause */
/* test_rx_options.c — other tools' probes sent with non-default options, and
 * the same tool run twice, through the foreign classifiers and rx.
 *
 * Every packet is built by hand here from what the tools were seen to send
 * (tcpdump of traceroute 2.1, mtr 0.95, scamper 20211212 in the testbed,
 * test_replay_options.sh); the expectations are worked out from the packets:
 *   - traceroute -p 40000 / -U: UDP to 40000+n / to 53, payload 0x40, 0x41...
 *   - traceroute -q 2: two probes per TTL, UDP ports 33434+n: one trace, two
 *     attempts per TTL (the port does not say -q);
 *   - scamper -P udp -d 40000: destination port 39999 + IP ID;
 *   - mtr -u -P 5000: source port 33000+seq, destination port fixed;
 *   - traceroute -T twice, scamper twice with the same -s (byte-identical
 *     probes), mtr -T twice: two traces; mtr -c 2 and the kernel
 *     retransmitting mtr's SYN: one trace; a frame captured twice: one probe. */
#include <criterion/criterion.h>
#include <string.h>

#include "core/codec/classify.h"
#include "core/codec/decode.h"
#include "core/rx/rx.h"
#include "pkt_build.h"
#include "rx_harness.h"

#define MS 1000000LL
#define T0 1700000000000000000LL

static const uint8_t SRC[4] = {198, 18, 3, 2}, DST[4] = {198, 19, 177, 12};

/* A UDP probe with `plen` payload bytes: counting from `first` (traceroute)
 * or zero (first < 0). The checksum field is `sum` (scamper udp-paris: its
 * IP ID). Returns the length. */
static size_t udp(uint8_t *b, uint16_t id, bool df, uint8_t ttl, uint16_t sport, uint16_t dport,
                  size_t plen, int first, uint16_t sum)
{
    uint16_t len = (uint16_t)(28 + plen);
    pkt_ip4_hdr(b, len, id, df, ttl, 17, SRC, DST);
    uint8_t *u = b + 20;
    pkt_put16(u, sport);
    pkt_put16(u + 2, dport);
    pkt_put16(u + 4, (uint16_t)(8 + plen));
    pkt_put16(u + 6, sum);
    for (size_t i = 0; i < plen; i++)
        u[8 + i] = first < 0 ? 0 : (uint8_t)(first + (int)i);
    return len;
}

/* A SYN: with 20 bytes of options (traceroute -T: DF clear; the kernel's for
 * mtr -T: DF set), sequence `seq`. */
static size_t syn_win(uint8_t *b, uint16_t id, bool df, uint8_t ttl, uint16_t sport, uint16_t dport,
                      uint32_t seq, uint16_t win)
{
    pkt_ip4_hdr(b, 60, id, df, ttl, 6, SRC, DST);
    uint8_t *t = b + 20;
    memset(t, 0, 40);
    pkt_put16(t, sport);
    pkt_put16(t + 2, dport);
    pkt_put32(t + 4, seq);
    t[12] = 10 << 4;
    t[13] = 0x02;
    pkt_put16(t + 14, win);
    t[20] = 2; /* MSS 1460 */
    t[21] = 4;
    pkt_put16(t + 22, 1460);
    t[24] = 4; /* SACK permitted */
    t[25] = 2;
    t[26] = 8; /* timestamps */
    t[27] = 10;
    t[36] = 1; /* NOP, window scale 7 */
    t[37] = 3;
    t[38] = 3;
    t[39] = 7;
    return 60;
}

static size_t syn_opts(uint8_t *b, uint16_t id, bool df, uint8_t ttl, uint16_t sport,
                       uint16_t dport, uint32_t seq)
{
    return syn_win(b, id, df, ttl, sport, dport, seq, 64240); /* the kernel's */
}

/* tcptraceroute's bare SYN (no options), with `plen` payload bytes 0x21,
 * 0x22, ... (-l). */
static size_t bare_syn(uint8_t *b, uint16_t id, bool df, uint8_t ttl, size_t plen)
{
    uint16_t len = (uint16_t)(40 + plen);
    pkt_ip4_hdr(b, len, id, df, ttl, 6, SRC, DST);
    uint8_t *t = b + 20;
    memset(t, 0, 20);
    pkt_put16(t, 45073);
    pkt_put16(t + 2, 80);
    pkt_put32(t + 4, 930611299u);
    t[12] = 5 << 4;
    t[13] = 0x02;
    for (size_t i = 0; i < plen; i++)
        t[20 + i] = (uint8_t)(0x21 + i);
    return len;
}

/* An echo request of `len` bytes: payload counting like traceroute -I
 * (pattern < 0) or all `pattern`. */
static size_t echo_pl(uint8_t *b, uint16_t id, bool df, uint8_t ttl, uint16_t eid, uint16_t seq,
                      uint16_t len, int pattern)
{
    pkt_ip4_hdr(b, len, id, df, ttl, 1, SRC, DST);
    uint8_t *ic = b + 20;
    memset(ic, 0, (size_t)len - 20);
    ic[0] = 8;
    pkt_put16(ic + 4, eid);
    pkt_put16(ic + 6, seq);
    for (size_t k = 8; k < (size_t)len - 20; k++)
        ic[k] = pattern < 0 ? (uint8_t)(0x40 + k % 64) : (uint8_t)pattern;
    pkt_put16(ic + 2, kp_cksum_fold(kp_cksum_add(0, ic, (size_t)len - 20)));
    return len;
}

/* mtr's echo request: id `pid`, sequence `seq`, 36 zero bytes. */
static size_t echo(uint8_t *b, uint16_t id, uint8_t ttl, uint16_t pid, uint16_t seq)
{
    pkt_ip4_hdr(b, 64, id, false, ttl, 1, SRC, DST);
    uint8_t *ic = b + 20;
    memset(ic, 0, 44);
    ic[0] = 8;
    pkt_put16(ic + 4, pid);
    pkt_put16(ic + 6, seq);
    pkt_put16(ic + 2, kp_cksum_fold(kp_cksum_add(0, ic, 44)));
    return 64;
}

/* Time exceeded from router 198.18.219.<ttl> quoting the probe's first 28
 * bytes. */
static size_t time_exceeded(uint8_t *b, const uint8_t *probe)
{
    uint8_t router[4] = {198, 18, 219, probe[8]};
    pkt_ip4_hdr(b, 56, 7, false, 64, 1, router, SRC);
    uint8_t *ic = b + 20;
    memset(ic, 0, 8);
    ic[0] = 11;
    memcpy(ic + 8, probe, 28);
    pkt_put16(ic + 2, kp_cksum_fold(kp_cksum_add(0, ic, 36)));
    return 56;
}

static const char *classify(const uint8_t *frame, size_t len, struct kp_rx_probe *o)
{
    struct kp_pkt pkt;
    memset(&pkt, 0, sizeof(pkt));
    cr_assert_eq(kp_decode_frame(KP_DLT_RAW, frame, len, &pkt), KP_DEC_OK);
    for (size_t i = 0; i < kp_n_foreign_classifiers; i++) {
        memset(o, 0, sizeof(*o));
        if (kp_foreign_classifiers[i]->classify(&pkt, o))
            return kp_foreign_classifiers[i]->name;
    }
    return NULL;
}

Test(rx_options, traceroute_udp_on_other_ports)
{
    uint8_t b[128];
    struct kp_rx_probe o;
    /* -p 40000: the 7th probe goes to 40006 */
    size_t n = udp(b, 31489, false, 3, 54035, 40006, 32, 0x40, 0x3e71);
    cr_assert_str_eq(classify(b, n, &o), "traceroute-udp");
    cr_assert_eq(o.method, KP_METHOD_UDP);
    cr_assert_eq(o.ttl, 3);
    cr_assert_eq(o.attempt, KP_RX_ATTEMPT_AUTO);
    /* -U: every probe to port 53 */
    n = udp(b, 14402, false, 1, 58254, 53, 32, 0x40, 0x4073);
    cr_assert_str_eq(classify(b, n, &o), "traceroute-udp");
    cr_assert_eq(o.dport, 53);
    /* a payload that does not count up from 0x40 is not traceroute's */
    n = udp(b, 14402, false, 1, 58254, 53, 32, 0x41, 0);
    cr_assert_null(classify(b, n, &o));
}

Test(rx_options, scamper_udp_with_another_base_port)
{
    uint8_t b[128];
    struct kp_rx_probe o, o2;
    /* -d 40000: probe 3 (IP ID 3) goes to 40002 */
    size_t n = udp(b, 3, true, 3, 20103, 40002, 16, -1, 0xd6b0);
    cr_assert_str_eq(classify(b, n, &o), "scamper-udp");
    cr_assert_eq(o.method, KP_METHOD_UDP);
    /* the default (33435 for probe 1) is another trace of the same port */
    n = udp(b, 1, true, 1, 20103, 33435, 16, -1, 0x1234);
    cr_assert_str_eq(classify(b, n, &o2), "scamper-udp");
    cr_assert_neq(o.trace_key, o2.trace_key);
    /* DF clear: not scamper (zero payload to a port >= 33000: mtr -u) */
    n = udp(b, 3, false, 3, 20103, 40002, 16, -1, 0);
    cr_assert_str_eq(classify(b, n, &o), "mtr-udp");
}

Test(rx_options, mtr_udp_with_a_fixed_destination_port)
{
    uint8_t b[128];
    struct kp_rx_probe o;
    /* mtr -u -P 5000: sequence 33001 in the source port */
    size_t n = udp(b, 52891, false, 2, 33001, 5000, 36, -1, 0x2adb);
    cr_assert_str_eq(classify(b, n, &o), "mtr-udp");
    cr_assert_eq(o.trace_key, 5000);
    /* default mtr -u: fixed source port, sequence in the destination port */
    n = udp(b, 52891, false, 2, 41234, 33001, 36, -1, 0);
    cr_assert_str_eq(classify(b, n, &o), "mtr-udp");
    cr_assert_eq(o.trace_key, 41234);
    /* neither port a sequence: not mtr */
    n = udp(b, 52891, false, 2, 12345, 5000, 36, -1, 0);
    cr_assert_null(classify(b, n, &o));
}

Test(rx_options, traceroute_longer_packets_tcp_with_df)
{
    uint8_t b[160];
    struct kp_rx_probe o;
    /* traceroute DST 100: 72 payload bytes 0x40..0x7f, then 0x40..0x47 */
    size_t n = udp(b, 31105, false, 1, 49256, 33434, 72, 0x40, 0x3ebd);
    for (size_t i = 64; i < 72; i++)
        b[28 + i] = (uint8_t)(0x40 + i - 64);
    cr_assert_str_eq(classify(b, n, &o), "traceroute-udp");
    /* ... but not a payload counting on past 0x7f */
    n = udp(b, 31105, false, 1, 49256, 33434, 72, 0x40, 0x3ebd);
    cr_assert_null(classify(b, n, &o));
    /* traceroute -I DST 100: 0x48..0x7f, 0x40..0x4f */
    n = echo_pl(b, 56023, false, 1, 7017, 1, 100, -1);
    cr_assert_eq(b[28], 0x48);
    cr_assert_eq(b[28 + 56], 0x40);
    cr_assert_str_eq(classify(b, n, &o), "traceroute-icmp");
    /* traceroute -T -F: DF set, its window 5840, a source port >= 33000 */
    n = syn_win(b, 52701, true, 1, 33505, 80, 2061903432u, 5840);
    cr_assert_str_eq(classify(b, n, &o), "traceroute-tcp");
    /* the kernel's SYN from port 33000 (mtr -T) stays mtr's */
    n = syn_opts(b, 36537, true, 1, 33000, 80, 1140480981u);
    cr_assert_str_eq(classify(b, n, &o), "mtr-tcp");
}

Test(rx_options, tcptraceroute_df_and_length_mtr_pattern_scamper_icmp)
{
    uint8_t b[160];
    struct kp_rx_probe o;
    /* tcptraceroute -F */
    size_t n = bare_syn(b, 16022, true, 1, 0);
    cr_assert_str_eq(classify(b, n, &o), "tcptraceroute");
    /* tcptraceroute -l 100: 60 payload bytes 0x21.. */
    n = bare_syn(b, 5865, false, 1, 60);
    cr_assert_str_eq(classify(b, n, &o), "tcptraceroute");
    cr_assert_eq(o.method, KP_METHOD_TCP_SYN);
    /* a bare SYN with another payload is not */
    b[45] ^= 0x55;
    cr_assert_null(classify(b, n, &o));
    /* mtr -B 255: payload all 0xff, ICMP and UDP */
    n = echo_pl(b, 43157, false, 1, 7046, 33000, 64, 0xff);
    cr_assert_str_eq(classify(b, n, &o), "mtr-icmp");
    n = udp(b, 54450, false, 1, 7053, 33000, 36, -1, 0x23b8);
    memset(b + 28, 0xff, 36);
    cr_assert_str_eq(classify(b, n, &o), "mtr-udp");
    /* but not a payload of different bytes */
    b[40] = 0;
    cr_assert_null(classify(b, n, &o));
    /* scamper -P icmp: DF, IP ID = seq + 1, payload all zero: method icmp;
     * icmp-paris has 2 bytes that keep the checksum constant */
    n = echo_pl(b, 1, true, 1, 20201, 0, 44, 0);
    cr_assert_str_eq(classify(b, n, &o), "scamper-icmp-paris");
    cr_assert_eq(o.method, KP_METHOD_ICMP);
    b[28] = 0xb6;
    b[29] = 0x8c;
    cr_assert_str_eq(classify(b, n, &o), "scamper-icmp-paris");
    cr_assert_eq(o.method, KP_METHOD_ICMP_PARIS);
}

Test(rx_options, traceroute_q2_is_one_trace_with_two_attempts_per_ttl)
{
    struct kp_rx *rx = new_rx();
    uint8_t p[6][64], r[128];
    /* traceroute -q 2 -m 3: probes n = 0..5 to 33434+n, TTL n/2 + 1, all
     * sent at once; each answered by the router at its TTL */
    for (int i = 0; i < 6; i++) {
        size_t n = udp(p[i], (uint16_t)(500 + 77 * i), false, (uint8_t)(i / 2 + 1),
                       (uint16_t)(40000 + 13 * i), (uint16_t)(33434 + i), 32, 0x40, 0);
        feed(rx, T0 + i * 10000LL, p[i], n);
    }
    for (int i = 0; i < 6; i++)
        feed(rx, T0 + (20 + i) * MS, r, time_exceeded(r, p[i]));
    const struct kp_rx_stats *st = kp_rx_stats(rx);
    cr_assert_eq(st->probes, 6);
    cr_assert_eq(st->replies, 6);
    cr_assert_eq(st->traces_split, 0);
    kp_rx_finish(rx);
    cr_assert_eq(n_got, 1);
    cr_assert_eq(got[0].n_hops, 6);
    for (int i = 0; i < 6; i++) {
        cr_assert_eq(got[0].hops[i].ttl, i / 2 + 1, "hop %d", i);
        cr_assert_eq(got[0].hops[i].attempt, i % 2, "hop %d", i);
        cr_assert_eq(got[0].hops[i].addr.b[3], i / 2 + 1, "hop %d", i);
    }
    done(rx);
}

Test(rx_options, traceroute_tcp_run_twice_gives_two_traces)
{
    struct kp_rx *rx = new_rx();
    uint8_t b[64];
    /* two runs of traceroute -T -q 1 -m 3 to port 80, 1 s apart: every
     * probe from another source port, IP IDs counting up from a new start */
    for (int run = 0; run < 2; run++)
        for (int ttl = 1; ttl <= 3; ttl++) {
            size_t n = syn_opts(b, (uint16_t)(run ? 23605 + ttl : 53782 + ttl), false, (uint8_t)ttl,
                                (uint16_t)(41000 + 100 * run + ttl * 7), 80,
                                (uint32_t)(0x1000 * ttl + run));
            feed(rx, T0 + run * 1000 * MS + ttl * MS, b, n);
        }
    kp_rx_finish(rx);
    cr_assert_eq(n_got, 2);
    for (int i = 0; i < 2; i++) {
        cr_assert_str_eq(got[i].tool, "traceroute");
        cr_assert_eq(got[i].probes_sent, 3, "trace %d", i);
    }
    cr_assert_neq(got[0].start_ns, got[1].start_ns);
    done(rx);
}

Test(rx_options, scamper_run_twice_with_the_same_port_gives_two_traces)
{
    struct kp_rx *rx = new_rx();
    uint8_t b[64];
    /* scamper -P udp-paris -s 20107, twice: byte-identical probes (IP ID =
     * UDP checksum = probe number), the second run 490 ms after the first;
     * frame 1 of run 1 is also captured twice at once (tcpdump -i any) */
    uint8_t r[128];
    for (int run = 0; run < 2; run++)
        for (int ttl = 1; ttl <= 4; ttl++) {
            size_t n =
                udp(b, (uint16_t)ttl, true, (uint8_t)ttl, 20107, 33435, 16, -1, (uint16_t)ttl);
            int64_t ts = T0 + run * 490 * MS + ttl * 50 * MS;
            feed(rx, ts, b, n);
            if (run == 0 && ttl == 1)
                feed(rx, ts + 5000, b, n);
            /* each probe answered by the router at its TTL: the quote fits
             * the probe of both runs, the reply belongs to the running one */
            feed(rx, ts + 10 * MS, r, time_exceeded(r, b));
        }
    const struct kp_rx_stats *st = kp_rx_stats(rx);
    cr_assert_eq(st->probes, 8);
    cr_assert_eq(st->probes_dup, 1);
    cr_assert_eq(st->replies, 8);
    cr_assert_eq(st->replies_dup, 0);
    cr_assert_eq(st->ambiguous, 0);
    kp_rx_finish(rx);
    cr_assert_eq(n_got, 2);
    for (int i = 0; i < 2; i++) {
        cr_assert_str_eq(got[i].tool, "scamper");
        cr_assert_eq(got[i].method, KP_METHOD_UDP_PARIS);
        cr_assert_eq(got[i].probes_sent, 4, "trace %d", i);
        cr_assert_eq(got[i].n_hops, 4, "trace %d", i);
        for (int h = 0; h < 4; h++)
            cr_assert_float_eq(got[i].hops[h].rtt_ms, 10.0, 1e-9, "trace %d hop %d", i, h);
    }
    done(rx);
}

/* scamper -P tcp's SYN: DF, IP ID = probe number, sequence 0, no options */
static size_t sc_syn(uint8_t *b, uint8_t ttl)
{
    pkt_ip4_hdr(b, 40, ttl, true, ttl, 6, SRC, DST);
    uint8_t *t = b + 20;
    memset(t, 0, 20);
    pkt_put16(t, 20109);
    pkt_put16(t + 2, 80);
    t[12] = 5 << 4;
    t[13] = 0x02;
    return 40;
}

/* The destination's RST|ACK to a SYN with sequence 0. */
static size_t rst0(uint8_t *b)
{
    pkt_ip4_hdr(b, 40, 0, true, 62, 6, DST, SRC);
    uint8_t *t = b + 20;
    memset(t, 0, 20);
    pkt_put16(t, 80);
    pkt_put16(t + 2, 20109);
    pkt_put32(t + 8, 1); /* ack = seq + 1 */
    t[12] = 5 << 4;
    t[13] = 0x14;
    return 40;
}

Test(rx_options, scamper_tcp_twice_the_rst_goes_to_the_running_trace)
{
    struct kp_rx *rx = new_rx();
    uint8_t b[64], r[128];
    /* two runs of scamper -P tcp -s 20109: TTLs 1, 2 answered by routers,
     * TTL 3 by the destination's RST; the runs' probes are identical */
    for (int run = 0; run < 2; run++) {
        int64_t t = T0 + run * 1000 * MS;
        for (int ttl = 1; ttl <= 3; ttl++) {
            size_t n = sc_syn(b, (uint8_t)ttl);
            feed(rx, t + ttl * 50 * MS, b, n);
            if (ttl < 3)
                feed(rx, t + ttl * 50 * MS + 5 * MS, r, time_exceeded(r, b));
            else
                feed(rx, t + ttl * 50 * MS + 7 * MS, r, rst0(r));
        }
    }
    const struct kp_rx_stats *st = kp_rx_stats(rx);
    cr_assert_eq(st->probes, 6);
    cr_assert_eq(st->replies, 6);
    cr_assert_eq(st->ambiguous, 0);
    kp_rx_finish(rx);
    cr_assert_eq(n_got, 2);
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(got[i].method, KP_METHOD_TCP_SYN);
        cr_assert_eq(got[i].n_hops, 3, "trace %d", i);
        cr_assert_eq(got[i].hops[2].ttl, 3);
        cr_assert(got[i].hops[2].flags & KP_HOP_FROM_DST);
        cr_assert_float_eq(got[i].hops[2].rtt_ms, 7.0, 1e-9, "trace %d", i);
        cr_assert_eq(got[i].stop_reason, KP_STOP_COMPLETED);
    }
    done(rx);
}

Test(rx_options, mtr_cycles_are_one_trace_and_a_second_run_another)
{
    struct kp_rx *rx = new_rx();
    uint8_t b[64];
    /* mtr -c 2 (ICMP, pid 4242): TTLs 1..3 twice, sequence 33000..33005 */
    for (int i = 0; i < 6; i++)
        feed(rx, T0 + i * 100 * MS, b,
             echo(b, (uint16_t)(900 + i), (uint8_t)(i % 3 + 1), 4242, (uint16_t)(33000 + i)));
    /* mtr -T, run once: source port = sequence 33000.., a SYN per TTL, and
     * the kernel retransmitting the TTL 3 SYN (same port and sequence) */
    int64_t t1 = T0 + 1000 * MS;
    for (int ttl = 1; ttl <= 3; ttl++)
        feed(rx, t1 + ttl * 100 * MS, b,
             syn_opts(b, (uint16_t)(100 + ttl), true, (uint8_t)ttl, (uint16_t)(33000 + ttl - 1),
                      443, 0xa0000000u + (uint32_t)ttl));
    feed(rx, t1 + 1300 * MS, b, syn_opts(b, 200, true, 3, 33002, 443, 0xa0000003u));
    /* ... and run again: the sequence starts from 33000 again, new ISNs */
    int64_t t2 = t1 + 2000 * MS;
    for (int ttl = 1; ttl <= 3; ttl++)
        feed(rx, t2 + ttl * 100 * MS, b,
             syn_opts(b, (uint16_t)(300 + ttl), true, (uint8_t)ttl, (uint16_t)(33000 + ttl - 1),
                      443, 0xb0000000u + (uint32_t)ttl));
    kp_rx_finish(rx);
    cr_assert_eq(n_got, 3);
    int icmp = 0, tcp = 0;
    for (int i = 0; i < n_got; i++) {
        cr_assert_str_eq(got[i].tool, "mtr");
        if (got[i].method == KP_METHOD_ICMP) {
            icmp++;
            cr_assert_eq(got[i].probes_sent, 6);
        } else {
            cr_assert_eq(got[i].method, KP_METHOD_TCP);
            /* first run: 3 SYNs and the retransmission; second: 3 */
            cr_assert_eq(got[i].probes_sent, tcp == 0 ? 4 : 3, "tcp trace %d", tcp);
            /* the retransmission is the TTL 3 SYN again: one attempt per
             * TTL, as mtr -c 1 sent */
            cr_assert_eq(got[i].attempts, 1, "tcp trace %d", tcp);
            tcp++;
        }
    }
    cr_assert_eq(icmp, 1);
    cr_assert_eq(tcp, 2);
    done(rx);
}
