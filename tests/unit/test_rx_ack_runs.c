/* SPDX-License-Identifier: BSD-2-Clause */
/* test_rx_ack_runs.c — ACK probes (tcptraceroute -A, scamper -P tcp-ack)
 * and second runs of a tool that the first trace must not swallow, through
 * the foreign classifiers and rx.
 *
 * Every packet is built by hand from what the tools were seen to send
 * (tcpdump -x in the testbed, tcptraceroute 1.5beta7, scamper 20211212,
 * traceroute 2.1):
 *   - tcptraceroute -A: IP length 40, DF clear, random IP ID, flags ACK only,
 *     the same source port and sequence number in every probe,
 *     acknowledgement number 0, window 0, no options;
 *   - scamper -P tcp-ack: DF, IP ID = probe number 1, 2, ..., flags ACK
 *     only, sequence and acknowledgement number 0, window 0;
 *   - the destination answers an ACK with an RST whose sequence number is the
 *     ACK's acknowledgement number, ACK flag clear (RFC 9293 3.10.7.1), and
 *     routers with time exceeded quoting the probe;
 *   - traceroute (UDP) sends probe n of a run to port 33434 + n where
 *     n = (TTL - first TTL) * q + attempt, counting from the first TTL's
 *     (first TTL - 1) * q; traceroute -T from a new source port per probe. */
#include <criterion/criterion.h>
#include <string.h>

#include "core/codec/classify.h"
#include "core/codec/decode.h"
#include "core/rx/rx.h"
#include "pkt_build.h"
#include "rx_harness.h"

#define MS 1000000LL
#define T0 1700000000000000000LL

static const uint8_t SRC[4] = {198, 18, 2, 2}, DST[4] = {198, 19, 176, 11};

/* A TCP segment without options or payload from src:sport to dst:dport. */
static size_t seg(uint8_t *b, const uint8_t *src, const uint8_t *dst, uint16_t id, bool df,
                  uint8_t ttl, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
                  uint8_t flags, uint16_t win)
{
    pkt_ip4_hdr(b, 40, id, df, ttl, 6, src, dst);
    uint8_t *t = b + 20;
    memset(t, 0, 20);
    pkt_put16(t, sport);
    pkt_put16(t + 2, dport);
    pkt_put32(t + 4, seq);
    pkt_put32(t + 8, ack);
    t[12] = 5 << 4;
    t[13] = flags;
    pkt_put16(t + 14, win);
    return 40;
}

/* tcptraceroute -A's probe (as captured: port 38547 to 80, sequence
 * 0x4ccdb1e9, ack 0, window 0) */
static size_t tcptr_ack(uint8_t *b, uint16_t id, uint8_t ttl)
{
    return seg(b, SRC, DST, id, false, ttl, 38547, 80, 0x4ccdb1e9u, 0, 0x10, 0);
}

/* scamper -P tcp-ack -s 20110: probe number n in the IP ID, port 33435 */
static size_t sc_ack(uint8_t *b, uint16_t n, uint8_t ttl)
{
    return seg(b, SRC, DST, n, true, ttl, 20110, 33435, 0, 0, 0x10, 0);
}

/* The destination's RST to an ACK probe from sport to dport (swapped here):
 * sequence `seq`, flags `flags` (0x04 RST; 0x14 RST+ACK). */
static size_t rst(uint8_t *b, uint16_t probe_sport, uint16_t probe_dport, uint32_t seq,
                  uint32_t ack, uint8_t flags)
{
    return seg(b, DST, SRC, 0, true, 58, probe_dport, probe_sport, seq, ack, flags, 0);
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

/* traceroute's UDP probe: 32 payload bytes 0x40, 0x41, ... */
static size_t tr_udp(uint8_t *b, uint16_t id, uint8_t ttl, uint16_t sport, uint16_t dport)
{
    pkt_ip4_hdr(b, 60, id, false, ttl, 17, SRC, DST);
    uint8_t *u = b + 20;
    pkt_put16(u, sport);
    pkt_put16(u + 2, dport);
    pkt_put16(u + 4, 40);
    pkt_put16(u + 6, 0);
    for (int i = 0; i < 32; i++)
        u[8 + i] = (uint8_t)(0x40 + i);
    return 60;
}

/* traceroute -T's SYN: 20 bytes of options, DF clear, IP length 60 */
static size_t tr_syn(uint8_t *b, uint16_t id, uint8_t ttl, uint16_t sport, uint32_t seq)
{
    pkt_ip4_hdr(b, 60, id, false, ttl, 6, SRC, DST);
    uint8_t *t = b + 20;
    memset(t, 0, 40);
    pkt_put16(t, sport);
    pkt_put16(t + 2, 80);
    pkt_put32(t + 4, seq);
    t[12] = 10 << 4;
    t[13] = 0x02;
    pkt_put16(t + 14, 5840);
    t[20] = 2;
    t[21] = 4;
    pkt_put16(t + 22, 1460);
    t[24] = 4;
    t[25] = 2;
    t[26] = 8;
    t[27] = 10;
    t[36] = 1;
    t[37] = 3;
    t[38] = 3;
    t[39] = 2;
    return 60;
}

/* tcptraceroute's SYN (no options), from a fixed port (-p 40321) */
static size_t tcptr_syn(uint8_t *b, uint16_t id, uint8_t ttl)
{
    return seg(b, SRC, DST, id, false, ttl, 40321, 80, 1921199325u, 0, 0x02, 0);
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

/* ---------------------------------------------------------------- */
/* classification */

Test(rx_ack_runs, ack_probes_are_recognised_ordinary_acks_are_not)
{
    uint8_t b[64];
    struct kp_rx_probe o;
    size_t n = tcptr_ack(b, 23989, 1);
    cr_assert_str_eq(classify(b, n, &o), "tcptraceroute");
    cr_assert_str_eq(o.tool, "tcptraceroute");
    cr_assert_eq(o.method, KP_METHOD_TCP_ACK);
    cr_assert_eq(o.ttl, 1);
    cr_assert_eq(o.sport, 38547);
    cr_assert_eq(o.dport, 80);
    cr_assert(o.match_fields & KP_RX_F_IPID);
    /* -F: DF set, still tcptraceroute (its sequence is not scamper's 0) */
    n = seg(b, SRC, DST, 4242, true, 2, 38547, 80, 0x4ccdb1e9u, 0, 0x10, 0);
    cr_assert_str_eq(classify(b, n, &o), "tcptraceroute");

    n = sc_ack(b, 3, 3);
    cr_assert_str_eq(classify(b, n, &o), "scamper-tcp");
    cr_assert_str_eq(o.tool, "scamper");
    cr_assert_eq(o.method, KP_METHOD_TCP_ACK);
    cr_assert_eq(o.ttl, 3);
    cr_assert_eq(o.sport, 20110);

    /* an ordinary ACK of a connection: it advertises a window */
    n = seg(b, SRC, DST, 100, true, 40, 51000, 443, 12345, 67890, 0x10, 502);
    cr_assert_null(classify(b, n, &o));
    /* window 0 but TTL 64: not a probe */
    n = seg(b, SRC, DST, 100, false, 64, 38547, 80, 1, 0, 0x10, 0);
    cr_assert_null(classify(b, n, &o));
    /* ACK with PSH, or a FIN: not a probe */
    n = seg(b, SRC, DST, 100, false, 5, 38547, 80, 1, 0, 0x18, 0);
    cr_assert_null(classify(b, n, &o));
    n = seg(b, SRC, DST, 100, false, 5, 38547, 80, 1, 0, 0x11, 0);
    cr_assert_null(classify(b, n, &o));
    /* the SYN of the same tool is still its SYN classifier */
    n = tcptr_syn(b, 7, 4);
    cr_assert_str_eq(classify(b, n, &o), "tcptraceroute");
    cr_assert_eq(o.method, KP_METHOD_TCP_SYN);
}

/* ---------------------------------------------------------------- */
/* ACK probes through rx */

Test(rx_ack_runs, tcptraceroute_ack_trace_with_silent_hop_and_rsts)
{
    struct kp_rx *rx = new_rx();
    uint8_t p[64], r[128];
    /* tcptraceroute -A -m 3 -q 3: TTL 1 answered by its router, TTL 2
     * silent, TTL 3 the destination's RSTs (sequence 0 = the probes' ack);
     * one probe at a time, as the tool sends them */
    int64_t ts = T0;
    uint16_t id = 23989;
    for (int ttl = 1; ttl <= 3; ttl++)
        for (int a = 0; a < 3; a++) {
            size_t n = tcptr_ack(p, id, (uint8_t)ttl);
            id = (uint16_t)(id * 7 + 13);
            feed(rx, ts, p, n);
            if (ttl == 1)
                feed(rx, ts + 1 * MS, r, time_exceeded(r, p));
            if (ttl == 3)
                feed(rx, ts + 30 * MS, r, rst(r, 38547, 80, 0, 0, 0x04));
            ts += ttl == 2 ? 1000 * MS : 40 * MS;
        }
    /* an RST whose sequence is not the probes' acknowledgement number, and an
     * RST+ACK acknowledging their sequence (what a SYN gets): not answers to
     * an ACK probe */
    feed(rx, ts, r, rst(r, 38547, 80, 5, 0, 0x04));
    feed(rx, ts, r, rst(r, 38547, 80, 77, 0x4ccdb1e9u + 1u, 0x14));
    const struct kp_rx_stats *st = kp_rx_stats(rx);
    cr_assert_eq(st->probes, 9);
    cr_assert_eq(st->replies, 6);
    cr_assert_eq(st->rejected, 2);
    cr_assert_eq(st->ambiguous, 0);
    kp_rx_finish(rx);
    cr_assert_eq(n_got, 1);
    cr_assert_str_eq(got[0].tool, "tcptraceroute");
    cr_assert_eq(got[0].method, KP_METHOD_TCP_ACK);
    cr_assert_eq(got[0].stop_reason, KP_STOP_COMPLETED);
    cr_assert_eq(got[0].stop_ttl, 3);
    cr_assert_eq(got[0].n_hops, 6);
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(got[0].hops[i].ttl, 1);
        cr_assert_eq(got[0].hops[i].icmp_type, 11);
        cr_assert_eq(got[0].hops[3 + i].ttl, 3, "hop %d", 3 + i);
        cr_assert_eq(got[0].hops[3 + i].attempt, i, "hop %d", 3 + i);
        cr_assert(memcmp(got[0].hops[3 + i].addr.b, DST, 4) == 0);
        cr_assert_eq(got[0].hops[3 + i].tcp_flags, 0x04);
        cr_assert_float_eq(got[0].hops[3 + i].rtt_ms, 30.0, 1e-9);
    }
    done(rx);
}

Test(rx_ack_runs, scamper_tcp_ack_trace)
{
    struct kp_rx *rx = new_rx();
    uint8_t p[64], r[128];
    /* scamper -P tcp-ack -q 1: TTLs 1..4, probes 1..4; routers at 1 and 2,
     * 3 silent, the destination at 4 */
    for (int ttl = 1; ttl <= 4; ttl++) {
        int64_t ts = T0 + ttl * 100 * MS;
        size_t n = sc_ack(p, (uint16_t)ttl, (uint8_t)ttl);
        feed(rx, ts, p, n);
        if (ttl <= 2)
            feed(rx, ts + 5 * MS, r, time_exceeded(r, p));
        if (ttl == 4)
            feed(rx, ts + 7 * MS, r, rst(r, 20110, 33435, 0, 0, 0x04));
    }
    const struct kp_rx_stats *st = kp_rx_stats(rx);
    cr_assert_eq(st->probes, 4);
    cr_assert_eq(st->replies, 3);
    kp_rx_finish(rx);
    cr_assert_eq(n_got, 1);
    cr_assert_str_eq(got[0].tool, "scamper");
    cr_assert_eq(got[0].stop_reason, KP_STOP_COMPLETED);
    cr_assert_eq(got[0].stop_ttl, 4);
    cr_assert_eq(got[0].n_hops, 3);
    cr_assert_eq(got[0].hops[0].addr.b[3], 1);
    cr_assert_eq(got[0].hops[1].addr.b[3], 2);
    cr_assert_eq(got[0].hops[2].ttl, 4);
    cr_assert_float_eq(got[0].hops[2].rtt_ms, 7.0, 1e-9);
    done(rx);
}

/* ---------------------------------------------------------------- */
/* second runs */

Test(rx_ack_runs, traceroute_f3_after_a_plain_run_is_a_second_trace)
{
    struct kp_rx *rx = new_rx();
    uint8_t p[64], r[128];
    /* traceroute -m 4 (q 3, ports 33434..33445, all sent at once, all
     * answered), then 300 ms later traceroute -f 3 -m 4 (ports 33440..33445) */
    uint16_t sp = 40000;
    for (int n = 0; n < 12; n++) {
        size_t len =
            tr_udp(p, (uint16_t)(1000 + n), (uint8_t)(n / 3 + 1), sp++, (uint16_t)(33434 + n));
        feed(rx, T0 + n * 10000LL, p, len);
        feed(rx, T0 + 20 * MS + n * 10000LL, r, time_exceeded(r, p));
    }
    for (int n = 6; n < 12; n++) {
        size_t len =
            tr_udp(p, (uint16_t)(2000 + n), (uint8_t)(n / 3 + 1), sp++, (uint16_t)(33434 + n));
        feed(rx, T0 + 300 * MS + n * 10000LL, p, len);
        feed(rx, T0 + 320 * MS + n * 10000LL, r, time_exceeded(r, p));
    }
    const struct kp_rx_stats *st = kp_rx_stats(rx);
    cr_assert_eq(st->traces_split, 1);
    cr_assert_eq(st->replies, 18);
    kp_rx_finish(rx);
    cr_assert_eq(n_got, 2);
    int a = got[0].start_ns < got[1].start_ns ? 0 : 1;
    cr_assert_eq(got[a].probes_sent, 12);
    cr_assert_eq(got[a].first_ttl, 1);
    cr_assert_eq(got[a].n_hops, 12);
    cr_assert_eq(got[1 - a].probes_sent, 6);
    cr_assert_eq(got[1 - a].first_ttl, 3);
    cr_assert_eq(got[1 - a].n_hops, 6);
    for (size_t h = 0; h < got[1 - a].n_hops; h++)
        cr_assert_lt(got[1 - a].hops[h].attempt, 3, "hop %zu", h);
    done(rx);
}

Test(rx_ack_runs, traceroute_single_ttl_run_twice_is_two_traces)
{
    struct kp_rx *rx = new_rx();
    uint8_t p[64];
    /* traceroute -f 3 -m 3 twice: ports 33440..33442 both times, TTL 3;
     * the port going back tells the second run */
    uint16_t sp = 50000;
    for (int run = 0; run < 2; run++)
        for (int a = 0; a < 3; a++) {
            size_t len = tr_udp(p, (uint16_t)(3000 + 10 * run + a), 3, sp++, (uint16_t)(33440 + a));
            feed(rx, T0 + run * 200 * MS + a * 10000LL, p, len);
        }
    kp_rx_finish(rx);
    cr_assert_eq(n_got, 2);
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(got[i].probes_sent, 3, "trace %d", i);
        cr_assert_eq(got[i].attempts, 3, "trace %d", i);
    }
    done(rx);
}

Test(rx_ack_runs, higher_first_ttl_after_a_single_ttl_run_is_two_traces)
{
    struct kp_rx *rx = new_rx();
    uint8_t p[64];
    /* traceroute -T -q 1 -f 3 -m 3, then 250 ms later traceroute -T -q 1
     * -f 5 -m 6: TTL 3, then 5 and 6 — skipping 4 */
    size_t n = tr_syn(p, 100, 3, 41001, 0x11111111u);
    feed(rx, T0, p, n);
    n = tr_syn(p, 101, 5, 41002, 0x22222222u);
    feed(rx, T0 + 250 * MS, p, n);
    n = tr_syn(p, 102, 6, 41003, 0x33333333u);
    feed(rx, T0 + 250 * MS + 20000, p, n);
    const struct kp_rx_stats *st = kp_rx_stats(rx);
    cr_assert_eq(st->traces_split, 1);
    kp_rx_finish(rx);
    cr_assert_eq(n_got, 2);
    int a = got[0].start_ns < got[1].start_ns ? 0 : 1;
    cr_assert_eq(got[a].probes_sent, 1);
    cr_assert_eq(got[a].first_ttl, 3);
    cr_assert_eq(got[1 - a].probes_sent, 2);
    cr_assert_eq(got[1 - a].first_ttl, 5);
    done(rx);
}

Test(rx_ack_runs, a_burst_with_a_lost_or_reordered_probe_stays_one_trace)
{
    struct kp_rx *rx = new_rx();
    uint8_t p[64];
    /* traceroute -T -q 1: TTLs 1, 2, 3, 5 sent within 40 us (the capture
     * lost TTL 4's first copy), then TTL 4 captured late and TTL 6: one run */
    const uint8_t ttls[] = {1, 2, 3, 5, 4, 6};
    for (int i = 0; i < 6; i++) {
        size_t n = tr_syn(p, (uint16_t)(200 + i), ttls[i], (uint16_t)(42000 + i),
                          0x01000000u * (uint32_t)(i + 1));
        feed(rx, T0 + i * 10000LL, p, n);
    }
    kp_rx_finish(rx);
    cr_assert_eq(n_got, 1);
    cr_assert_eq(got[0].probes_sent, 6);
    done(rx);
}

Test(rx_ack_runs, tcptraceroute_fixed_port_f2_after_a_plain_run_is_two_traces)
{
    struct kp_rx *rx = new_rx();
    uint8_t p[64];
    /* tcptraceroute -p 40321 -q 1 -m 3, then -p 40321 -q 1 -f 2 -m 3:
     * byte-identical but for the IP ID; TTL 2 comes back after TTL 3 */
    const uint8_t ttls[] = {1, 2, 3, 2, 3};
    for (int i = 0; i < 5; i++) {
        size_t n = tcptr_syn(p, (uint16_t)(300 + 91 * i), ttls[i]);
        feed(rx, T0 + i * 100 * MS, p, n);
    }
    kp_rx_finish(rx);
    cr_assert_eq(n_got, 2);
    int a = got[0].start_ns < got[1].start_ns ? 0 : 1;
    cr_assert_eq(got[a].probes_sent, 3);
    cr_assert_eq(got[1 - a].probes_sent, 2);
    cr_assert_eq(got[1 - a].first_ttl, 2);
    done(rx);
}

Test(rx_ack_runs, scamper_probe_number_decides_the_run)
{
    struct kp_rx *rx = new_rx();
    uint8_t p[64];
    /* scamper -P tcp-ack -s 20110 -q 1 -f 3 -m 3 twice: probe 1 at TTL 3
     * both times (same TTL, same bytes, 200 ms apart): two runs; then a run
     * whose numbers go on (4 at TTL 5, 5 at TTL 2 — scamper's numbers rise
     * within a run whatever the TTL): one trace */
    size_t n = sc_ack(p, 1, 3);
    feed(rx, T0, p, n);
    feed(rx, T0 + 200 * MS, p, n);
    n = sc_ack(p, 2, 4);
    feed(rx, T0 + 300 * MS, p, n);
    n = sc_ack(p, 3, 5);
    feed(rx, T0 + 400 * MS, p, n);
    n = sc_ack(p, 4, 2);
    feed(rx, T0 + 500 * MS, p, n);
    kp_rx_finish(rx);
    cr_assert_eq(n_got, 2);
    int a = got[0].start_ns < got[1].start_ns ? 0 : 1;
    cr_assert_eq(got[a].probes_sent, 1);
    cr_assert_eq(got[1 - a].probes_sent, 4);
    done(rx);
}

Test(rx_ack_runs, one_probe_more_than_q_at_the_last_ttl_is_a_second_run)
{
    struct kp_rx *rx = new_rx();
    uint8_t p[64];
    /* tcptraceroute -p 40321 (q 3) stopped at TTL 3 (an unreachable there),
     * then tcptraceroute -p 40321 -f 3: a 4th, 5th and 6th probe at TTL 3,
     * one at a time like the first run's */
    int64_t ts = T0;
    for (int ttl = 1; ttl <= 3; ttl++)
        for (int a = 0; a < 3; a++) {
            feed(rx, ts, p, tcptr_syn(p, (uint16_t)(500 + 10 * ttl + a), (uint8_t)ttl));
            ts += 60 * MS;
        }
    const struct kp_rx_stats *st = kp_rx_stats(rx);
    cr_assert_eq(st->traces_split, 0);
    for (int a = 0; a < 3; a++) {
        feed(rx, ts, p, tcptr_syn(p, (uint16_t)(900 + a), 3));
        ts += 60 * MS;
    }
    cr_assert_eq(st->traces_split, 1);
    kp_rx_finish(rx);
    cr_assert_eq(n_got, 2);
    int a = got[0].start_ns < got[1].start_ns ? 0 : 1;
    cr_assert_eq(got[a].probes_sent, 9);
    cr_assert_eq(got[1 - a].probes_sent, 3);
    cr_assert_eq(got[1 - a].first_ttl, 3);
    done(rx);
}
