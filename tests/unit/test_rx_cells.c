/* SPDX-License-Identifier: BSD-2-Clause */
/* kptrace's own probes in per-trace cells (core/rx/rx_cell.c): a probe of
 * a trace the prober planned is stored by (trace, TTL, attempt) and a quote
 * finds it by the flow, TTL and attempt its fields carry, not through the
 * global probe indexes. Probes are built by the codec, ICMP errors quote
 * them byte by byte, everything goes in as raw-IP frames.
 *
 * Checked:
 *  - the work per packet (kp_rx_probe_steps) does not grow with the probes
 *    held: 2,048 traces of 30 TTLs x 2 attempts in flight together cost what
 *    64 traces cost, for each method kptrace sends; every reply is recorded;
 *  - a probe of another tool with the same quoted fields (stored on the
 *    general path) and a cell probe are both candidates of a quote: the
 *    reply is ambiguous, as it was when both were in one index;
 *  - the same probe captured twice is found in its cell (probes_dup), and a
 *    probe repeating a (TTL, attempt) of its trace starts another trace. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/codec/decode.h"
#include "core/codec/identity.h"
#include "core/methods/method.h"
#include "core/rx/rx.h"
#include "core/rx/rx_kptrace.h"
#include "engine_test.h"

#define MS  1000000LL
#define T0  1700000000000000000LL
#define SRC "198.18.30.2"

struct counts {
    size_t traces, probes, hops, bad;
};

static void on_trace(void *ctx, struct kp_trace *t)
{
    struct counts *c = ctx;
    c->traces++;
    c->probes += t->probes_sent;
    c->hops += t->n_hops;
    for (size_t i = 0; i < t->n_hops; i++) /* router 198.18.<ttl>.1 answered TTL ttl */
        if (t->hops[i].addr.b[2] != t->hops[i].ttl || t->hops[i].addr.b[3] != 1)
            c->bad++;
}

static struct kp_key key_of(uint64_t seed)
{
    struct kp_key k;
    kp_key_from_seed(seed, &k);
    return k;
}

static struct kp_rx *mkrx(struct counts *c, const struct kp_key *key)
{
    struct kp_rx_config cfg = kptrace_rx_config();
    /* as the prober: 2 attempts, wait 1000 ms and late 500 ms */
    cfg.run = (struct kp_rx_run){.first_ttl = 1,
                                 .max_ttl = 30,
                                 .attempts = 2,
                                 .gap_limit = 5,
                                 .wait_ms = 1000,
                                 .has_late = true,
                                 .late_ms = 500};
    cfg.validate = kp_rx_kptrace_validate;
    cfg.validate_probe = kp_rx_kptrace_validate_probe;
    cfg.validate_ctx = (void *)key;
    cfg.on_trace = on_trace;
    cfg.ctx = c;
    memset(c, 0, sizeof(*c));
    struct kp_rx *rx;
    cr_assert_eq(kp_rx_create(&cfg, &rx), 0);
    return rx;
}

static size_t build(uint8_t *b, const char *method, const struct kp_key *key,
                    const struct kp_addr *dst, uint32_t id, uint8_t ttl, uint8_t attempt)
{
    struct kp_addr src = addr(SRC);
    return kptrace_probe(b, method, key, &src, dst, id, (uint16_t)id, ttl, attempt);
}

static void feed(struct kp_rx *rx, int64_t ts, const uint8_t *b, size_t n)
{
    cr_assert_eq(kp_rx_frame(rx, KP_DLT_RAW, ts, b, n), 0);
}

/* The time exceeded router 198.18.ttl.1 sends for probe p. */
static void answer(struct kp_rx *rx, int64_t ts, uint8_t ttl, const uint8_t *p)
{
    uint8_t r[128];
    char from[32];
    snprintf(from, sizeof(from), "198.18.%u.1", ttl);
    struct kp_addr src = addr(SRC);
    feed(rx, ts, r, icmp_error(r, from, &src, 11, 0, p));
}

/* n traces of `method` (ids 1..n, destination 198.19.x.y, slot = id), all in
 * flight at once: TTL by TTL, attempt by attempt, one probe of every trace
 * per round, each answered when the round is over (n probes held waiting);
 * 10 us apart. Returns the steps per packet. */
static double sweep(const char *method, uint32_t n, struct counts *c)
{
    struct kp_key key = key_of(9);
    struct kp_rx *rx = mkrx(c, &key);
    uint8_t(*p)[256] = malloc((size_t)n * sizeof(*p));
    cr_assert_not_null(p);
    int64_t ts = T0;
    uint64_t steps0 = kp_rx_probe_steps(rx), packets = 0;
    for (uint8_t ttl = 1; ttl <= 30; ttl++)
        for (uint8_t a = 0; a < 2; a++) {
            for (uint32_t i = 0; i < n; i++) {
                char dst[32];
                snprintf(dst, sizeof(dst), "198.19.%u.%u", (i + 1) >> 8, (i + 1) & 255);
                struct kp_addr d = addr(dst);
                size_t len = build(p[i], method, &key, &d, i + 1, ttl, a);
                feed(rx, ts += 10000, p[i], len);
            }
            for (uint32_t i = 0; i < n; i++)
                answer(rx, ts += 10000, ttl, p[i]);
            packets += 2 * n;
        }
    double per_packet = (double)(kp_rx_probe_steps(rx) - steps0) / (double)packets;
    const struct kp_rx_stats *st = kp_rx_stats(rx);
    cr_assert_eq(st->probes, 60u * n, "%s: %llu probes", method, (unsigned long long)st->probes);
    cr_assert_eq(st->replies, 60u * n, "%s: %llu replies (rejected %llu, ambiguous %llu)", method,
                 (unsigned long long)st->replies, (unsigned long long)st->rejected,
                 (unsigned long long)st->ambiguous);
    kp_rx_finish(rx);
    kp_rx_destroy(rx);
    free(p);
    return per_packet;
}

Test(rx_cells, work_per_packet_does_not_grow_with_the_probes_held)
{
    static const char *const methods[] = {"udp-paris", "udp", "icmp-paris", "tcp-syn"};
    for (size_t k = 0; k < sizeof(methods) / sizeof(methods[0]); k++) {
        struct counts c;
        double small = sweep(methods[k], 64, &c);
        cr_assert_eq(c.traces, 64);
        double large = sweep(methods[k], 2048, &c);
        cr_log_info("%s: %.2f steps per packet (64 traces), %.2f (2048 traces)", methods[k], small,
                    large);
        cr_assert_eq(c.traces, 2048);
        cr_assert_eq(c.probes, 60u * 2048);
        cr_assert_eq(c.hops, 60u * 2048);
        cr_assert_eq(c.bad, 0, "%s: %zu hops of the wrong router", methods[k], c.bad);
        /* a probe: its cell for the duplicate and the attempt checks (2);
         * a reply: its destination and the by_flow chain (about 1.5 entries each) and its cell,
         * and the first probe of a trace a destination lookup */
        cr_assert_leq(large, 4.0, "%s: %.2f steps per packet", methods[k], large);
        cr_assert_leq(large, small + 0.5, "%s: %.2f vs %.2f", methods[k], large, small);
    }
}

/* A classifier for the test: every UDP packet without kptrace's marker is a
 * probe of "other" (trace key its source port), identified by the same
 * header fields as a kptrace UDP probe. */
static int classify_other(const struct kp_pkt *pkt, struct kp_rx_probe *out)
{
    if (pkt->ip.proto != 17 || pkt->is_icmp_error || pkt->l4.len < 8)
        return 0;
    out->tool = "other";
    out->method = KP_METHOD_UDP;
    out->trace_key = pkt->l4.sport;
    out->ttl = pkt->ip.ttl;
    out->attempt = KP_RX_ATTEMPT_AUTO;
    out->match_fields = KP_RX_F_SRC | KP_RX_F_IPID | KP_RX_F_SPORT | KP_RX_F_DPORT | KP_RX_F_UDPSUM;
    out->nat_fields = KP_RX_F_IPID | KP_RX_F_DPORT;
    return 1;
}

Test(rx_cells, a_cell_probe_and_an_indexed_probe_are_both_candidates)
{
    static const struct kp_rx_classifier other = {.name = "other", .classify = classify_other};
    static const struct kp_rx_classifier *const cls[] = {&kp_rx_classifier_kptrace, &other};
    struct kp_key key = key_of(3);
    struct counts c = {0};
    struct kp_rx_config cfg = kptrace_rx_config();
    cfg.classifiers = cls;
    cfg.n_classifiers = 2;
    cfg.on_trace = on_trace;
    cfg.ctx = &c;
    struct kp_rx *rx;
    cr_assert_eq(kp_rx_create(&cfg, &rx), 0);
    struct kp_addr d = addr("198.19.1.1");
    uint8_t p[256], q[256];
    size_t n = build(p, "udp-paris", &key, &d, 77, 3, 0);
    /* the same headers, the marker wiped: another tool's probe (the first
     * 8 UDP bytes, all a quote holds, are the same) */
    memcpy(q, p, n);
    memset(q + 28, 0, n - 28);
    feed(rx, T0, p, n);
    feed(rx, T0 + 1 * MS, q, n);
    cr_assert_eq(kp_rx_stats(rx)->probes, 2);
    answer(rx, T0 + 5 * MS, 3, p);
    const struct kp_rx_stats *st = kp_rx_stats(rx);
    cr_assert_eq(st->ambiguous, 1, "both open probes fit the quote");
    cr_assert_eq(st->replies, 0);
    kp_rx_finish(rx);
    cr_assert_eq(c.traces, 2);
    cr_assert_eq(c.hops, 0);
    kp_rx_destroy(rx);
}

Test(rx_cells, duplicates_and_repeated_attempts)
{
    struct kp_key key = key_of(4);
    struct counts c;
    struct kp_rx *rx = mkrx(&c, &key);
    struct kp_addr d = addr("198.19.2.2");
    uint8_t p[256], p2[256];
    size_t n = build(p, "icmp-paris", &key, &d, 5, 4, 1);
    size_t n2 = build(p2, "icmp-paris", &key, &d, 5, 5, 0);
    feed(rx, T0, p, n);
    feed(rx, T0 + 1 * MS, p, n); /* tcpdump -i any: the same frame twice */
    cr_assert_eq(kp_rx_stats(rx)->probes_dup, 1);
    feed(rx, T0 + 2 * MS, p2, n2);
    answer(rx, T0 + 3 * MS, 4, p);
    answer(rx, T0 + 4 * MS, 5, p2);
    cr_assert_eq(kp_rx_stats(rx)->replies, 2);
    /* (TTL 4, attempt 1) again 50 ms later: not a copy, another trace */
    feed(rx, T0 + 50 * MS, p, n);
    const struct kp_rx_stats *st = kp_rx_stats(rx);
    cr_assert_eq(st->probes_dup, 1);
    cr_assert_eq(st->traces_split, 1);
    /* its reply fits the probes of two traces, one of them open: the open
     * one's */
    answer(rx, T0 + 52 * MS, 4, p);
    cr_assert_eq(st->replies, 3);
    cr_assert_eq(st->ambiguous, 0);
    kp_rx_finish(rx);
    cr_assert_eq(c.traces, 2);
    cr_assert_eq(c.probes, 3);
    cr_assert_eq(c.hops, 3);
    kp_rx_destroy(rx);
}
