/* SPDX-License-Identifier: BSD-2-Clause */
/* The receive path at scale: a probe or a reply costs the same work however
 * many probes its trace holds. Work is counted (kp_rx_probe_steps: stored
 * probes and index entries visited), never timed.
 *
 * The shapes are those of issue 8: one trace of 100,000 probes, and a long
 * mtr run (one ICMP id, TTLs 1..5 again and again, every probe answered by
 * a time exceeded) to 1,024 destinations with about 1,000 probes each. The
 * probes go through mtr's own classifier (core/codec/classify_mtr.c). Before the
 * probes were indexed, each probe and each reply walked the probes already
 * stored for its destination (duplicate check, attempt numbering, mtr's
 * new-run check, quote matching): about 4 x n / 2 steps per probe and reply
 * for a trace of n probes, 200,000 for n = 100,000. Now each packet costs a
 * few hash lookups, and each lookup visits the entries of one bucket of a
 * table that holds at most one entry per bucket on average. The bound
 * asserted, 8 steps per packet on average, is far below the old cost and
 * above what a packet's lookups visit (dest + duplicate + repeat for a
 * probe, dest + quote for a reply: 5 lookups, 2.5 per packet, of about 1.5
 * entries each; 2.6 to 3.2 steps per packet were counted). The same holds
 * for replies matched through the indexes rx builds when a destination
 * first needs them: quotes cut short by the snaplen, echo replies, quotes
 * a NAT rewrote. */
#include <criterion/criterion.h>
#include <string.h>

#include "core/codec/classify.h"
#include "core/rx/rx.h"

#define MS 1000000LL
#define T0 1767225600000000000LL /* 2026-01-01T00:00:00Z */

static const uint8_t zeros[8];

struct counts {
    size_t traces, probes, hops;
    size_t max_probes; /* most probes in one trace */
};

static void on_trace(void *ctx, struct kp_trace *t)
{
    struct counts *c = ctx;
    c->traces++;
    c->probes += t->probes_sent;
    c->hops += t->n_hops;
    if (t->probes_sent > c->max_probes)
        c->max_probes = t->probes_sent;
}

static struct kp_rx *mkrx(struct counts *c, size_t max_probes_per_trace, size_t max_held)
{
    static const struct kp_rx_classifier *const cls[] = {&kp_classify_mtr_icmp};
    memset(c, 0, sizeof(*c));
    struct kp_rx_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.classifiers = cls;
    cfg.n_classifiers = 1;
    cfg.max_probes_per_trace = max_probes_per_trace;
    cfg.max_held = max_held;
    cfg.on_trace = on_trace;
    cfg.ctx = c;
    struct kp_rx *rx = NULL;
    cr_assert_eq(kp_rx_create(&cfg, &rx), 0);
    return rx;
}

static struct kp_addr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
    struct kp_addr x;
    memset(&x, 0, sizeof(x));
    x.family = 4;
    x.b[0] = a;
    x.b[1] = b;
    x.b[2] = c;
    x.b[3] = d;
    return x;
}

/* mtr's k-th probe (sequence 33000 + k, wrapping at 65535 like mtr's) to
 * destination d with TTL ttl, as decoded */
static struct kp_pkt echo(uint64_t k, unsigned d, uint8_t ttl)
{
    struct kp_pkt p;
    memset(&p, 0, sizeof(p));
    p.ip.version = 4;
    p.ip.src = v4(198, 18, 0, 1);
    p.ip.dst = v4(198, 19, (uint8_t)(d >> 8), (uint8_t)d);
    p.ip.ttl = ttl;
    p.ip.proto = 1;
    p.ip.ip_id = (uint16_t)(1 + k % 65535);
    p.ip.tot_len = 36;
    p.ip.hdr_len = 20;
    p.l4.proto = 1;
    p.l4.len = 16;
    p.l4.icmp_type = 8;
    p.l4.icmp_id = 4242;
    p.l4.icmp_seq = (uint16_t)(33000 + k % 32536);
    p.l4.payload = zeros;
    p.l4.payload_len = sizeof(zeros);
    p.wire_len = p.cap_len = 36;
    return p;
}

/* quoted transport bytes of the time exceeded replies (8: all of mtr's
 * fields; 4 or 2: a capture cut short, see short_quotes below) */
static uint16_t quote_len = 8;
/* a NAT in front of the vantage point rewrote the ICMP id in the quotes
 * (mtr's NAT-tolerant fields, IP ID and sequence, still match) */
static bool nat_rewrites_id;
/* probes at TTL 5 reach the destination, which answers with an echo reply */
static bool ttl5_reaches;

/* the time exceeded that router 198.18.ttl.1 sends for probe p */
static struct kp_pkt time_exceeded(const struct kp_pkt *p)
{
    struct kp_pkt r;
    memset(&r, 0, sizeof(r));
    r.ip.version = 4;
    r.ip.src = v4(198, 18, p->ip.ttl, 1);
    r.ip.dst = p->ip.src;
    r.ip.ttl = 60;
    r.ip.proto = 1;
    r.ip.tot_len = 56;
    r.l4.proto = 1;
    r.l4.len = 36;
    r.l4.icmp_type = 11;
    r.is_icmp_error = true;
    r.has_quote = true;
    r.q_ip = p->ip;
    r.q_ip.ttl = 1;
    r.q_l4 = p->l4;
    r.q_l4.len = quote_len;
    if (nat_rewrites_id)
        r.q_l4.icmp_id = 1000;
    if (quote_len < 8) /* what the decoder leaves unset */
        r.q_l4.icmp_id = r.q_l4.icmp_seq = 0;
    if (quote_len < 4)
        r.q_l4.icmp_sum = 0;
    r.q_l4.payload = NULL;
    r.q_l4.payload_len = 0;
    r.quote_len = (uint16_t)(20 + quote_len);
    r.wire_len = r.cap_len = 56;
    return r;
}

/* n probes round robin to ndst destinations (TTL 1..5 per destination), one
 * every 100 µs, each answered 1 ms later; returns the steps per packet. */
static double run_mtr(struct kp_rx *rx, uint64_t n, unsigned ndst)
{
    uint64_t steps0 = kp_rx_probe_steps(rx);
    for (uint64_t k = 0; k < n; k++) {
        int64_t t = T0 + (int64_t)k * 100000;
        struct kp_pkt p = echo(k, (unsigned)(k % ndst), (uint8_t)(1 + (k / ndst) % 5));
        cr_assert_eq(kp_rx_packet(rx, t, &p), 0);
        struct kp_pkt r = time_exceeded(&p);
        if (ttl5_reaches && p.ip.ttl == 5) { /* the destination's echo reply */
            r.ip.src = p.ip.dst;
            r.l4 = p.l4;
            r.l4.icmp_type = 0;
            r.is_icmp_error = r.has_quote = false;
        }
        cr_assert_eq(kp_rx_packet(rx, t + 1 * MS, &r), 0);
    }
    cr_assert_eq(kp_rx_finish(rx), 0);
    return (double)(kp_rx_probe_steps(rx) - steps0) / (double)(2 * n);
}

Test(rx_scale, one_trace_of_100000_probes)
{
    struct counts c;
    /* a trace may hold them all (the default cap of 4096 would split it) */
    struct kp_rx *rx = mkrx(&c, 200000, 0);
    double per_packet = run_mtr(rx, 100000, 1);
    const struct kp_rx_stats *st = kp_rx_stats(rx);
    /* one trace, every probe in it, every reply recorded */
    cr_assert_eq(c.traces, 1);
    cr_assert_eq(c.probes, 100000);
    cr_assert_eq(c.hops, 100000);
    cr_assert_eq(st->probes, 100000);
    cr_assert_eq(st->replies, 100000);
    cr_assert_eq(st->traces_split + st->ambiguous + st->rejected + st->unmatched, 0);
    cr_log_info("%.2f steps per packet", per_packet);
    cr_assert_leq(per_packet, 8.0, "%.1f steps per packet", per_packet);
    kp_rx_destroy(rx);

    /* and a trace 100 times shorter costs about the same per packet */
    struct kp_rx *small = mkrx(&c, 200000, 0);
    double small_per_packet = run_mtr(small, 1000, 1);
    cr_assert_eq(c.traces, 1);
    cr_assert_leq(per_packet, 2 * small_per_packet + 2, "%.1f vs %.1f steps per packet", per_packet,
                  small_per_packet);
    kp_rx_destroy(small);
}

Test(rx_scale, long_mtr_run_to_1024_destinations)
{
    struct counts c;
    struct kp_rx *rx = mkrx(&c, 0, 0);
    double per_packet = run_mtr(rx, 1024 * 1000, 1024);
    const struct kp_rx_stats *st = kp_rx_stats(rx);
    /* 1,024 traces of 1,000 probes and 1,000 hops each: the sequence
     * (33000 + k mod 32536) repeats for one destination only after 4067 of
     * its probes, so nothing starts a new run */
    cr_assert_eq(c.traces, 1024);
    cr_assert_eq(c.probes, 1024 * 1000);
    cr_assert_eq(c.hops, 1024 * 1000);
    cr_assert_eq(c.max_probes, 1000);
    cr_assert_eq(st->traces_split + st->ambiguous + st->rejected + st->unmatched, 0);
    cr_log_info("%.2f steps per packet", per_packet);
    cr_assert_leq(per_packet, 8.0, "%.1f steps per packet", per_packet);
    /* all 1,024 traces stay open to the end: 2,048,000 probes and hops held */
    cr_assert_eq(st->held_max, 2 * 1024 * 1000);
    kp_rx_destroy(rx);
}

Test(rx_scale, max_held_bounds_what_open_traces_hold)
{
    /* The same long mtr run with max_held = 100,000: the traces idle longest
     * are closed early, so at most 100,000 probes and hops are held (the
     * high-water mark is taken after each packet) and nothing is lost: every
     * probe and reply is in exactly one delivered trace. */
    struct counts c;
    struct kp_rx *rx = mkrx(&c, 0, 100000);
    run_mtr(rx, 1024 * 200, 1024);
    const struct kp_rx_stats *st = kp_rx_stats(rx);
    cr_assert_leq(st->held_max, 100000);
    cr_assert_gt(st->traces_forced, 0);
    cr_assert_eq(c.probes, 1024 * 200);
    cr_assert_eq(c.probes, st->probes);
    cr_assert_eq(c.hops, st->replies);
    cr_assert_eq(c.traces, st->traces_opened);
    kp_rx_destroy(rx);
}

Test(rx_scale, short_quotes_in_one_long_trace)
{
    /* The same trace with every reply quoting only 4 or 2 transport bytes
     * (a capture with a small snaplen): the quote holds the IP ID (and the
     * ICMP checksum), not mtr's id and sequence, so replies are matched on
     * the IP ID, through the index of the cut masks, built once for the
     * destination. 60,000 probes keep the IP IDs (1 + k mod 65535) apart. */
    for (uint16_t len = 2; len <= 4; len += 2) {
        struct counts c;
        quote_len = len;
        struct kp_rx *rx = mkrx(&c, 200000, 0);
        double per_packet = run_mtr(rx, 60000, 1);
        const struct kp_rx_stats *st = kp_rx_stats(rx);
        cr_assert_eq(c.traces, 1);
        cr_assert_eq(st->replies, 60000, "quotes of %u bytes: %llu replies", len,
                     (unsigned long long)st->replies);
        cr_log_info("quotes of %u bytes: %.2f steps per packet", len, per_packet);
        cr_assert_leq(per_packet, 8.0, "quotes of %u bytes: %.1f steps per packet", len,
                      per_packet);
        kp_rx_destroy(rx);
    }
    quote_len = 8;
}

Test(rx_scale, echo_and_nat_replies_in_one_long_trace)
{
    /* A trace of 30,000 probes (mtr's sequence does not repeat: an echo
     * reply names one probe) where the destination answers the probes of
     * TTL 5 (echo replies, matched by id and sequence) and a NAT rewrote the
     * ICMP id in every quote (matched loosely on IP ID and sequence): the
     * indexes for both are built once, on the first such reply, then each
     * reply is one lookup. */
    struct counts c;
    nat_rewrites_id = ttl5_reaches = true;
    struct kp_rx *rx = mkrx(&c, 200000, 0);
    double per_packet = run_mtr(rx, 30000, 1);
    const struct kp_rx_stats *st = kp_rx_stats(rx);
    nat_rewrites_id = ttl5_reaches = false;
    cr_assert_eq(c.traces, 1);
    cr_assert_eq(st->replies, 30000);
    cr_assert_eq(st->replies_nat, 24000); /* TTLs 1-4: time exceeded */
    cr_log_info("echo and NAT: %.2f steps per packet", per_packet);
    cr_assert_leq(per_packet, 8.0, "%.1f steps per packet", per_packet);
    kp_rx_destroy(rx);
}

/* Finding a probe's open trace is O(1) work however many traces are open:
 * 16,384 destinations probed round robin at TTL 1..3 keep 16,384 traces
 * open, and each probe looks its trace up once (a miss for the first probe,
 * a hit after). In a chained table whose load stays <= 1 that visits at
 * most 1.5 traces per probe on average; one chain of open traces would
 * visit about 16,384 / 2. */
Test(rx_scale, finding_the_open_trace_of_a_probe)
{
    enum { NDST = 16384, N = 3 * NDST };
    struct counts c;
    struct kp_rx *rx = mkrx(&c, 0, 0);
    run_mtr(rx, N, NDST);
    cr_assert_eq(c.traces, NDST);
    cr_assert_eq(kp_rx_stats(rx)->open_traces_max, NDST);
    double per_probe = (double)kp_rx_trace_steps(rx) / N;
    cr_log_info("%.2f open traces visited per probe", per_probe);
    cr_assert_leq(per_probe, 2.0, "%.2f open traces visited per probe", per_probe);
    kp_rx_destroy(rx);
}
