/* SPDX-License-Identifier: BSD-2-Clause */
/* TCP answers from the destination that fit several probes of one trace.
 * tcptraceroute (core/codec/classify.h) sends every SYN of a trace with the same
 * ports and sequence number; only the IP ID and TTL differ, and the
 * destination's RST quotes nothing. Here: TTLs 1..4 are answered by routers
 * (time exceeded), 5 and 6 are silent, 7 reaches the destination. Worked out
 * by hand: the RST can only belong to a probe sent before it and unanswered,
 * above TTL 4 — TTLs 5, 6 and 7 — and of those the tool sent 7 last, after 5
 * and 6 had timed out. So the record has a destination hop at TTL 7, RTT =
 * RST time − TTL 7 send time, and stops "completed" at 7. */
#include <criterion/criterion.h>
#include <string.h>

#include "core/codec/classify.h"
#include "core/codec/decode.h"
#include "core/rx/rx.h"
#include "pkt_build.h"

#define MS 1000000LL
#define T0 1700000000000000000LL

static const uint8_t SRC[4] = {198, 18, 1, 2}, DST[4] = {198, 19, 176, 1};

/* tcptraceroute's SYN: 40 bytes, DF clear, no options, fixed ports/seq. */
static size_t syn(uint8_t *b, uint8_t ttl)
{
    pkt_ip4_hdr(b, 40, (uint16_t)(1000 + ttl), false, ttl, 6, SRC, DST);
    uint8_t *t = b + 20;
    memset(t, 0, 20);
    pkt_put16(t, 40123);
    pkt_put16(t + 2, 80);
    pkt_put32(t + 4, 0x11223344u);
    t[12] = 5 << 4;
    t[13] = 0x02; /* SYN */
    pkt_put16(t + 14, 5840);
    return 40;
}

static size_t time_exceeded(uint8_t *b, const uint8_t *router, const uint8_t *probe)
{
    pkt_ip4_hdr(b, 20 + 8 + 28, 7, false, 64, 1, router, SRC);
    uint8_t *ic = b + 20;
    memset(ic, 0, 8);
    ic[0] = 11;
    memcpy(ic + 8, probe, 28);
    pkt_put16(ic + 2, kp_cksum_fold(kp_cksum_add(0, ic, 36)));
    return 56;
}

static size_t rst(uint8_t *b)
{
    pkt_ip4_hdr(b, 40, 0, false, 58, 6, DST, SRC);
    uint8_t *t = b + 20;
    memset(t, 0, 20);
    pkt_put16(t, 80);
    pkt_put16(t + 2, 40123);
    pkt_put32(t + 8, 0x11223345u); /* ack = seq + 1 */
    t[12] = 5 << 4;
    t[13] = 0x14; /* RST|ACK */
    return 40;
}

static struct kp_trace got;
static int n_got;

static void on_trace(void *ctx, struct kp_trace *t)
{
    (void)ctx;
    n_got++;
    kp_trace_copy(&got, t);
}

Test(rx_tcp_order, rst_goes_to_the_last_probe_sent_after_silent_hops)
{
    static const struct kp_rx_classifier *const cls[] = {&kp_classify_tcptraceroute};
    struct kp_rx_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.classifiers = cls;
    cfg.n_classifiers = 1;
    cfg.on_trace = on_trace;
    struct kp_rx *rx;
    cr_assert_eq(kp_rx_create(&cfg, &rx), 0);
    kp_trace_init(&got);
    uint8_t p[7][64], r[128];
    int64_t sent[8] = {0};
    int64_t t = T0;
    for (int ttl = 1; ttl <= 7; ttl++) {
        size_t len = syn(p[ttl - 1], (uint8_t)ttl);
        sent[ttl] = t;
        cr_assert_eq(kp_rx_frame(rx, KP_DLT_RAW, t, p[ttl - 1], len), 0);
        if (ttl <= 4) {
            uint8_t router[4] = {198, 18, 219, (uint8_t)ttl};
            size_t rl = time_exceeded(r, router, p[ttl - 1]);
            cr_assert_eq(kp_rx_frame(rx, KP_DLT_RAW, t + 10 * MS, r, rl), 0);
            t += 20 * MS;
        } else if (ttl < 7) {
            t += 1000 * MS; /* silent: the tool waits out its timeout */
        }
    }
    size_t rl = rst(r);
    cr_assert_eq(kp_rx_frame(rx, KP_DLT_RAW, sent[7] + 30 * MS, r, rl), 0);
    const struct kp_rx_stats *st = kp_rx_stats(rx);
    cr_assert_eq(st->probes, 7);
    cr_assert_eq(st->replies, 5);
    cr_assert_eq(st->ambiguous, 0);
    cr_assert_eq(st->tcp_order_ties, 1);
    kp_rx_finish(rx);
    cr_assert_eq(n_got, 1);
    cr_assert_str_eq(got.tool, "tcptraceroute");
    cr_assert_eq(got.n_hops, 5);
    const struct kp_hop *h = &got.hops[4];
    cr_assert_eq(h->ttl, 7);
    cr_assert(h->flags & KP_HOP_FROM_DST);
    cr_assert_float_eq(h->rtt_ms, 30.0, 1e-9);
    cr_assert_eq(got.stop_reason, KP_STOP_COMPLETED);
    cr_assert_eq(got.stop_ttl, 7);
    kp_trace_free(&got);
    kp_rx_destroy(rx);
}
