/* SPDX-License-Identifier: BSD-2-Clause */
/* Trace identity of kptrace's own probes in the receive path (rx.h:
 * kp_rx_probe.exact and slot; rx_kptrace.h). Probes are built by the codec
 * (marker version 2: trace id and slot), ICMP errors quoting them byte by
 * byte here, everything fed as raw-IP frames with the timestamps given.
 *
 * What is checked, with the expected values worked out in the comments:
 *  - a trace is the (source, trace id) the prober planned whatever the time
 *    between its probes: a 30 s pause (SIGSTOP, a VPS's steal time) and rx's
 *    clock ticking through it do not split it;
 *  - it closes when the next trace in its slot starts (after its last
 *    probe's linger), or at the end, never for being idle;
 *  - 200 000 traces with ids far beyond 15 bits, through 64 slots, give
 *    200 000 records, and the open traces stay bounded by the slots;
 *  - probes of another run (another key) are refused by the keyed check of
 *    the marker and never join this run's traces;
 *  - captures of older kptrace (marker version 1, ids that repeat) still
 *    split by time as before;
 *  - every reply frame ends in exactly one counter. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/codec/decode.h"
#include "core/codec/identity.h"
#include "core/methods/method.h"
#include "core/codec/probe_payload.h"
#include "core/rx/rx.h"
#include "core/rx/rx_kptrace.h"
#include "engine_test.h"

#define MS  1000000LL
#define S   1000000000LL
#define T0  1700000000000000000LL
#define SRC "198.18.30.2"

struct sink {
    size_t n, cap;
    struct kp_trace *t;
};

static void on_trace(void *ctx, struct kp_trace *t)
{
    struct sink *s = ctx;
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 16;
        s->t = realloc(s->t, s->cap * sizeof(*s->t));
        cr_assert_not_null(s->t);
    }
    kp_trace_init(&s->t[s->n]);
    cr_assert_eq(kp_trace_copy(&s->t[s->n], t), 0);
    s->n++;
}

static void sink_free(struct sink *s)
{
    for (size_t i = 0; i < s->n; i++)
        kp_trace_free(&s->t[i]);
    free(s->t);
    memset(s, 0, sizeof(*s));
}

static struct kp_key key_of(uint8_t x)
{
    struct kp_key k;
    for (int i = 0; i < 16; i++)
        k.k[i] = (uint8_t)(i * 13 + x);
    return k;
}

/* rx as the prober runs it: kptrace's classifier, the run's key checking
 * probes and replies, wait 1000 ms and late 500 ms (linger 1.5 s). */
static struct kp_rx *mkrx(struct sink *s, const struct kp_key *key)
{
    struct kp_rx_config cfg = kptrace_rx_config();
    cfg.run.attempts = 1;
    cfg.run.has_late = true;
    cfg.run.late_ms = 500;
    if (key) {
        cfg.validate = kp_rx_kptrace_validate;
        cfg.validate_probe = kp_rx_kptrace_validate_probe;
        cfg.validate_ctx = (void *)key;
    }
    cfg.on_trace = on_trace;
    cfg.ctx = s;
    struct kp_rx *rx;
    cr_assert_eq(kp_rx_create(&cfg, &rx), 0);
    return rx;
}

/* An icmp-paris probe of trace `id` in slot `slot` to dst. */
static size_t probe(uint8_t *b, const struct kp_key *key, const char *dst, uint32_t id,
                    uint16_t slot, uint8_t ttl)
{
    struct kp_addr src = addr(SRC), d = addr(dst);
    return kptrace_probe(b, "icmp-paris", key, &src, &d, id, slot, ttl, 0);
}

static void feed(struct kp_rx *rx, int64_t ts, const uint8_t *b, size_t n)
{
    cr_assert_eq(kp_rx_frame(rx, KP_DLT_RAW, ts, b, n), 0);
}

static void answer(struct kp_rx *rx, int64_t ts, const char *from, const uint8_t *p)
{
    uint8_t r[128];
    struct kp_addr src = addr(SRC);
    feed(rx, ts, r, icmp_error(r, from, &src, 11, 0, p));
}

Test(rx_exact, a_pause_between_probes_does_not_split_the_trace)
{
    struct kp_key key = key_of(1);
    struct sink s = {0};
    struct kp_rx *rx = mkrx(&s, &key);
    uint8_t p1[256], p2[256], p3[256];
    /* trace 70000 (beyond 15 bits), slot 3: TTL 1 at T0, then the process
     * is stopped for 30 s; TTL 2 and 3 after it */
    size_t n1 = probe(p1, &key, "198.18.200.9", 70000, 3, 1);
    feed(rx, T0, p1, n1);
    answer(rx, T0 + 2 * MS, "198.18.30.1", p1);
    for (int k = 1; k <= 30; k++)
        cr_assert_eq(kp_rx_tick(rx, T0 + k * S), 0); /* rx's clock runs through the pause */
    cr_assert_eq(s.n, 0, "not closed for being idle");
    cr_assert_eq(kp_rx_open_traces(rx), 1);
    size_t n2 = probe(p2, &key, "198.18.200.9", 70000, 3, 2);
    feed(rx, T0 + 30 * S, p2, n2);
    answer(rx, T0 + 30 * S + 3 * MS, "198.18.31.1", p2);
    size_t n3 = probe(p3, &key, "198.18.200.9", 70000, 3, 3);
    feed(rx, T0 + 31 * S, p3, n3);
    answer(rx, T0 + 31 * S + 4 * MS, "198.18.31.5", p3);
    cr_assert_eq(kp_rx_tick(rx, T0 + 100 * S), 0);
    cr_assert_eq(s.n, 0, "still open: its slot was not taken");
    kp_rx_finish(rx);
    cr_assert_eq(s.n, 1, "one record");
    cr_assert_eq(s.t[0].id, 70000);
    cr_assert_eq(s.t[0].probes_sent, 3);
    cr_assert_eq(s.t[0].n_hops, 3);
    cr_assert_eq(s.t[0].hops[1].ttl, 2);
    cr_assert_float_eq(s.t[0].hops[1].rtt_ms, 3.0, 1e-9);
    cr_assert_eq(kp_rx_stats(rx)->traces_split, 0);
    kp_rx_destroy(rx);
    sink_free(&s);
}

Test(rx_exact, the_next_trace_in_a_slot_closes_it_after_its_linger)
{
    struct kp_key key = key_of(2);
    struct sink s = {0};
    struct kp_rx *rx = mkrx(&s, &key);
    uint8_t a1[256], b1[256];
    size_t na = probe(a1, &key, "198.18.200.10", 100001, 7, 1);
    feed(rx, T0, a1, na);
    /* trace 100002 takes slot 7 at T0 + 1 s: 100001 sends nothing more */
    size_t nb = probe(b1, &key, "198.18.200.11", 100002, 7, 1);
    feed(rx, T0 + 1 * S, b1, nb);
    cr_assert_eq(kp_rx_stats(rx)->traces_slot_sealed, 1);
    /* a late reply to 100001 (1.2 s after its probe: within wait 1 s +
     * late 0.5 s) is still recorded, flagged late */
    answer(rx, T0 + 1200 * MS, "198.18.30.1", a1);
    cr_assert_eq(s.n, 0);
    /* its last probe's linger (1.5 s) ends at T0 + 1.5 s; rx closes up to
     * clock - lag (default 1 s): closed by T0 + 2.6 s */
    cr_assert_eq(kp_rx_tick(rx, T0 + 2600 * MS), 0);
    cr_assert_eq(s.n, 1);
    cr_assert_eq(s.t[0].id, 100001);
    cr_assert_eq(s.t[0].n_hops, 1);
    cr_assert(s.t[0].hops[0].flags & KP_HOP_LATE);
    /* 100002 is not closed by time however long it waits */
    cr_assert_eq(kp_rx_tick(rx, T0 + 600 * S), 0);
    cr_assert_eq(s.n, 1);
    kp_rx_finish(rx);
    cr_assert_eq(s.n, 2);
    cr_assert_eq(s.t[1].id, 100002);
    kp_rx_destroy(rx);
    sink_free(&s);
}

Test(rx_exact, two_hundred_thousand_traces_through_64_slots)
{
    /* 200 000 traces (ids 1 << 17 + i: 18 bits and more), each in slot
     * i % 64, one probe each 100 us apart. A trace closes once the next one
     * in its slot (64 probes = 6.4 ms later) started and its linger (1.5 s)
     * and rx's lag (1 s) passed: about 2.5 s / 100 us = 25 000 traces open
     * at most, whatever the number of traces. No record is lost or split. */
    struct kp_key key = key_of(3);
    struct sink s = {0};
    struct kp_rx *rx = mkrx(&s, &key);
    uint8_t p[256];
    char dst[32];
    const uint32_t n = 200000;
    for (uint32_t i = 0; i < n; i++) {
        snprintf(dst, sizeof(dst), "198.19.%u.%u", (i >> 8) & 255, i & 255);
        size_t len = probe(p, &key, dst, (1u << 17) + i, (uint16_t)(i % 64), 1);
        feed(rx, T0 + (int64_t)i * 100000, p, len);
    }
    kp_rx_finish(rx);
    const struct kp_rx_stats *st = kp_rx_stats(rx);
    cr_assert_eq(s.n, n);
    cr_assert_eq(st->traces_split, 0);
    cr_assert_eq(st->traces_forced, 0);
    cr_assert_leq(st->open_traces_max, 25000 + 64 + 1, "open traces: %llu",
                  (unsigned long long)st->open_traces_max);
    uint8_t *seen = calloc(n, 1);
    for (size_t i = 0; i < s.n; i++) {
        uint64_t k = s.t[i].id - (1u << 17);
        cr_assert_lt(k, n);
        cr_assert_eq(seen[k], 0, "id %llu twice", (unsigned long long)s.t[i].id);
        seen[k] = 1;
    }
    free(seen);
    kp_rx_destroy(rx);
    sink_free(&s);
}

Test(rx_exact, probes_of_another_run_never_join)
{
    /* Two runs on one address trace the same destination with the same
     * method, the same trace id and slot; only their keys differ. The
     * receive path of run A stores A's probes only; B's are counted as
     * foreign, and the reply to B's probe matches none of A's. */
    struct kp_key ka = key_of(4), kb = key_of(5);
    struct sink s = {0};
    struct kp_rx *rx = mkrx(&s, &ka);
    uint8_t a[256], b[256];
    size_t na = probe(a, &ka, "198.18.201.4", 5, 1, 1);
    size_t nb = probe(b, &kb, "198.18.201.4", 5, 1, 1);
    feed(rx, T0, a, na);
    feed(rx, T0 + 1 * MS, b, nb);
    answer(rx, T0 + 3 * MS, "198.18.30.1", a);
    answer(rx, T0 + 4 * MS, "198.18.30.1", b);
    kp_rx_finish(rx);
    const struct kp_rx_stats *st = kp_rx_stats(rx);
    cr_assert_eq(st->probes, 1);
    cr_assert_eq(st->probes_foreign, 1);
    cr_assert_eq(s.n, 1);
    cr_assert_eq(s.t[0].probes_sent, 1);
    cr_assert_eq(s.t[0].n_hops, 1);
    cr_assert_float_eq(s.t[0].hops[0].rtt_ms, 3.0, 1e-9);
    /* B's reply names our destination and protocol: rejected */
    cr_assert_eq(st->rejected, 1);
    kp_rx_destroy(rx);
    sink_free(&s);
}

/* Rewrite a version 2 icmp-paris probe's marker as version 1 (what older
 * kptrace sent: bytes 5..7 TTL, attempt, flags) and fix the ICMP checksum. */
static void as_v1(uint8_t *p, size_t n)
{
    uint8_t *icmp = p + 20, *mk = icmp + 8;
    uint8_t ttl = mk[5] & 0x3f, att = mk[5] >> 6;
    memcpy(mk, "KPT1", 4);
    mk[5] = ttl;
    mk[6] = att;
    mk[7] = 0;
    icmp[2] = icmp[3] = 0;
    pkt_put16(icmp + 2, kp_cksum_fold(kp_cksum_add(0, icmp, n - 20)));
}

Test(rx_exact, version_1_captures_still_split_by_time)
{
    /* Older kptrace reused 15-bit ids within a run: a probe with the same id
     * more than the trace's idle span (10 s) after its last one is a new
     * trace, as before. */
    struct kp_key key = key_of(6);
    struct sink s = {0};
    struct kp_rx *rx = mkrx(&s, NULL);
    uint8_t p[256];
    size_t n = probe(p, &key, "198.18.202.1", 9, 0, 1);
    as_v1(p, n);
    feed(rx, T0, p, n);
    n = probe(p, &key, "198.18.202.1", 9, 0, 2);
    as_v1(p, n);
    feed(rx, T0 + 30 * S, p, n);
    kp_rx_finish(rx);
    cr_assert_eq(s.n, 2);
    cr_assert_eq(kp_rx_stats(rx)->probes, 2);
    kp_rx_destroy(rx);
    sink_free(&s);
}

Test(rx_exact, every_reply_ends_in_one_counter)
{
    /* replies_in = replies + expired + dup_frames + ambiguous + rejected +
     * unmatched + replies_lost, over a mix: a reply, the same frame again,
     * an expired one, a forged one, one for nobody. */
    struct kp_key key = key_of(7);
    struct sink s = {0};
    struct kp_rx *rx = mkrx(&s, &key);
    uint8_t a[256], b[256], r[128];
    struct kp_addr src = addr(SRC);
    size_t na = probe(a, &key, "198.18.200.20", 11, 2, 1);
    size_t nb = probe(b, &key, "198.18.200.20", 11, 2, 2);
    feed(rx, T0, a, na);
    feed(rx, T0 + 1 * MS, b, nb);
    size_t rl = icmp_error(r, "198.18.30.1", &src, 11, 0, a);
    feed(rx, T0 + 2 * MS, r, rl);        /* recorded */
    feed(rx, T0 + 2 * MS + 1000, r, rl); /* the same frame again: dup_frames */
    rl = icmp_error(r, "198.18.31.1", &src, 11, 0, b);
    feed(rx, T0 + 1 * MS + 2 * S, r, rl); /* 2 s > linger 1.5 s: expired */
    uint8_t forged[256];
    memcpy(forged, a, na);
    forged[4] ^= 0x33; /* an IP ID we never sent */
    rl = icmp_error(r, "198.18.31.9", &src, 11, 0, forged);
    feed(rx, T0 + 3 * MS, r, rl); /* rejected */
    uint8_t other[256];
    memcpy(other, a, na);
    struct kp_addr nobody = addr("198.18.203.99");
    memcpy(other + 16, nobody.b, 4);
    rl = icmp_error(r, "198.18.31.9", &src, 11, 0, other);
    feed(rx, T0 + 4 * MS, r, rl); /* unmatched */
    const struct kp_rx_stats *st = kp_rx_stats(rx);
    cr_assert_eq(st->replies_in, 5);
    cr_assert_eq(st->replies, 1);
    cr_assert_eq(st->dup_frames, 1);
    cr_assert_eq(st->expired, 1);
    cr_assert_eq(st->rejected, 1);
    cr_assert_eq(st->unmatched, 1);
    cr_assert_eq(st->replies_in, st->replies + st->expired + st->dup_frames + st->ambiguous +
                                     st->rejected + st->unmatched + st->replies_lost);
    kp_rx_finish(rx);
    kp_rx_destroy(rx);
    sink_free(&s);
}
