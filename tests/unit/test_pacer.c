/* SPDX-License-Identifier: BSD-2-Clause */
/* Tests of the token-bucket pacer. Expected values are worked out by hand
 * from the GCRA definition (rate pps, bucket of `burst` tokens), see the
 * comments at each assertion. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>

#include "core/plan/pacer.h"

#define MS 1000000LL
#define S  1000000000LL

/* Greedy sender: send whenever allowed, jump the clock to the next allowed
 * time. Returns the number of sends in [0, end_ns]; send times in *times. */
static size_t run_greedy(struct kp_pacer *p, int64_t end_ns, int64_t **times)
{
    size_t n = 0, cap = 1024;
    int64_t *t = malloc(cap * sizeof(*t));
    int64_t now = 0;
    while (now <= end_ns) {
        int64_t w = kp_pacer_take(p, now);
        if (w == 0) {
            if (n == cap) {
                cap *= 2;
                t = realloc(t, cap * sizeof(*t));
            }
            t[n++] = now;
        } else {
            now += w;
        }
    }
    *times = t;
    return n;
}

/* Largest number of sends inside any closed window [t, t + win]. */
static size_t max_in_window(const int64_t *t, size_t n, int64_t win)
{
    size_t best = 0, j = 0;
    for (size_t i = 0; i < n; i++) {
        if (j < i)
            j = i;
        while (j + 1 < n && t[j + 1] <= t[i] + win)
            j++;
        if (j - i + 1 > best)
            best = j - i + 1;
    }
    return best;
}

Test(pacer, greedy_minute_is_smooth_and_exact)
{
    struct kp_pacer p;
    cr_assert_eq(kp_pacer_init(&p, 10000, 4, 0), 0);
    int64_t *t;
    size_t n = run_greedy(&p, 60 * S, &t);
    /* By hand: the full bucket gives 4 sends at t=0, then one every
     * 1e9/10000 = 100000 ns: at 100 us, 200 us, ..., 60 s (600000 of them). */
    cr_assert_eq(n, 4 + 600000);
    cr_assert_eq(t[3], 0);
    cr_assert_eq(t[4], 100000);
    cr_assert_eq(t[n - 1], 60 * S);
    /* Any 1 ms window: at most burst + pps/1000 = 4 + 10 sends. */
    cr_assert_leq(max_in_window(t, n, MS), 14);
    /* and away from the start exactly pps/1000 (+1 for a closed window). */
    cr_assert_leq(max_in_window(t + 4, n - 4, MS), 11);
    free(t);
}

Test(pacer, jittery_sender_never_exceeds_window_bound)
{
    /* A sender that wakes at irregular times (0..700 us apart) and sends as
     * many as it may each time. Rate 20000 pps, burst 8: in any 1 ms at most
     * 8 + 20 sends. Over a minute no more than 8 + 60*20000 + 1. */
    struct kp_pacer p;
    cr_assert_eq(kp_pacer_init(&p, 20000, 8, 0), 0);
    size_t n = 0, cap = 1 << 21;
    int64_t *t = malloc(cap * sizeof(*t));
    uint64_t x = 12345;
    int64_t now = 0;
    while (now <= 60 * S) {
        while (kp_pacer_take(&p, now) == 0)
            t[n++] = now;
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        now += (int64_t)((x >> 33) % 700000);
    }
    cr_assert_leq(max_in_window(t, n, MS), 8 + 20);
    cr_assert_leq(n, 8 + 60 * 20000 + 1);
    /* It also gets close to the rate: the sender never sleeps more than
     * 0.7 ms and the bucket holds 8 tokens = 0.4 ms worth, so at most one
     * 0.3 ms gap per wake is lost: at least ~half; in practice far more. */
    cr_assert_geq(n, 60 * 20000 / 2);
    free(t);
}

Test(pacer, fractional_interval_is_exact)
{
    /* 3 pps: interval I = 333333333.33 ns; burst 2 (tau = I). By hand:
     * two sends at 0 (TAT 0 -> I -> 2I); the next conforms at TAT - tau = I,
     * i.e. the first integer ns >= 333333333.33 = 333333334 (TAT -> 3I = 1 s
     * exactly); then at 3I - I = 666666666.67 -> 666666667 (TAT -> 4I); then
     * at 4I - I = exactly 1e9. The fractions never round away. */
    struct kp_pacer p;
    cr_assert_eq(kp_pacer_init(&p, 3, 2, 0), 0);
    cr_assert_eq(kp_pacer_take(&p, 0), 0);
    cr_assert_eq(kp_pacer_take(&p, 0), 0);
    cr_assert_eq(kp_pacer_next(&p, 0), 333333334);
    cr_assert_eq(kp_pacer_take(&p, 333333333), 1);
    cr_assert_eq(kp_pacer_take(&p, 333333334), 0);
    cr_assert_eq(kp_pacer_next(&p, 333333334), 666666667 - 333333334);
    cr_assert_eq(kp_pacer_take(&p, 666666667), 0);
    cr_assert_eq(kp_pacer_next(&p, 666666667), 1000000000 - 666666667);
    cr_assert_eq(kp_pacer_take(&p, 999999999), 1);
    cr_assert_eq(kp_pacer_take(&p, 1000000000), 0);
    cr_assert_eq(p.sent, 5);
}

Test(pacer, burst_one_restarts_from_a_late_send)
{
    /* Burst 1 has no tolerance: a send later than its TAT restarts the
     * schedule from the send (TAT = max(TAT, now) + I). 3 pps: send at 0
     * (TAT I); next at ceil(I) = 333333334, which is 0.67 ns late, so TAT =
     * 333333334 + I = 666666667.33 and the next send waits 333333334 ns. */
    struct kp_pacer p;
    cr_assert_eq(kp_pacer_init(&p, 3, 1, 0), 0);
    cr_assert_eq(kp_pacer_take(&p, 0), 0);
    cr_assert_eq(kp_pacer_next(&p, 0), 333333334);
    cr_assert_eq(kp_pacer_take(&p, 333333334), 0);
    cr_assert_eq(kp_pacer_next(&p, 333333334), 333333334);
}

Test(pacer, idle_time_saves_at_most_burst)
{
    struct kp_pacer p;
    cr_assert_eq(kp_pacer_init(&p, 1000, 3, 0), 0);
    cr_assert_eq(kp_pacer_take(&p, 0), 0);
    /* 10 s idle: still only 3 tokens, then 1 ms spacing. */
    int64_t now = 10 * S;
    cr_assert_eq(kp_pacer_take(&p, now), 0);
    cr_assert_eq(kp_pacer_take(&p, now), 0);
    cr_assert_eq(kp_pacer_take(&p, now), 0);
    cr_assert_eq(kp_pacer_take(&p, now), MS);
    cr_assert_eq(kp_pacer_take(&p, now + MS), 0);
}

Test(pacer, ceiling_and_hard_maximum)
{
    struct kp_pacer p;
    cr_assert_eq(kp_pacer_init(&p, 5000000, 1, 1000), 1);
    cr_assert_eq(p.pps, 1000);
    cr_assert_eq(kp_pacer_init(&p, 5000000, 1, 0), 1);
    cr_assert_eq(p.pps, KP_PACER_HARD_MAX_PPS);
    cr_assert_eq(kp_pacer_init(&p, 500, 2, 1000), 0);
    cr_assert_eq(p.pps, 500);
    /* With the ceiling at 1000 pps and burst 1, a greedy second holds
     * exactly 1001 sends in [0, 1 s] (0, 1 ms, ..., 1000 ms). */
    cr_assert_eq(kp_pacer_init(&p, 100000, 1, 1000), 1);
    int64_t *t;
    size_t n = run_greedy(&p, S, &t);
    cr_assert_eq(n, 1001);
    free(t);
}

Test(pacer, invalid_arguments)
{
    struct kp_pacer p;
    cr_assert_eq(kp_pacer_init(&p, 0, 1, 0), -EINVAL);
    cr_assert_eq(kp_pacer_init(&p, 10, 0, 0), -EINVAL);
    cr_assert_eq(kp_pacer_init(&p, 10, KP_PACER_MAX_BURST + 1, 0), -EINVAL);
}

Test(pacer, clock_going_backwards_is_held)
{
    struct kp_pacer p;
    cr_assert_eq(kp_pacer_init(&p, 1000, 1, 0), 0);
    cr_assert_eq(kp_pacer_take(&p, 5 * MS), 0);
    /* An earlier time counts as 5 ms: next token at 6 ms -> wait 1 ms. */
    cr_assert_eq(kp_pacer_next(&p, 0), MS);
    cr_assert_eq(kp_pacer_take(&p, 6 * MS), 0);
}

Test(pacer, window_bound_for_many_rates)
{
    /* GCRA bound (by hand): with post-send TAT X_k >= s_1 + k*I and the
     * conformance rule s_{k+1} >= X_k - (burst-1)*I, n sends inside a window
     * of T ns satisfy (n-1)*I <= T + (burst-1)*I, i.e. n <= burst + T*pps/1e9.
     * Checked for 1 ms windows over a simulated minute (10 s for the fast
     * rates), rates that do and do not divide 1e9. */
    static const uint32_t rates[] = {1, 7, 100, 3333, 20000, 100000};
    static const uint32_t bursts[] = {1, 2, 5};
    for (size_t ri = 0; ri < sizeof(rates) / sizeof(rates[0]); ri++) {
        for (size_t bi = 0; bi < sizeof(bursts) / sizeof(bursts[0]); bi++) {
            struct kp_pacer p;
            cr_assert_eq(kp_pacer_init(&p, rates[ri], bursts[bi], 0), 0);
            int64_t span = rates[ri] >= 20000 ? 10 * S : 60 * S;
            int64_t *t;
            size_t n = run_greedy(&p, span, &t);
            size_t bound = bursts[bi] + rates[ri] / 1000;
            cr_assert_leq(max_in_window(t, n, MS), bound, "pps %u burst %u", rates[ri], bursts[bi]);
            /* and the long-run count: at most burst + span*pps/1e9 */
            uint64_t most = bursts[bi] + (uint64_t)(span / MS) * rates[ri] / 1000;
            cr_assert_leq(n, most, "pps %u burst %u: %zu sends", rates[ri], bursts[bi], n);
            free(t);
        }
    }
}

Test(pacer, spacing_spreads_the_catch_up)
{
    /* 1000 pps (1 ms), a bucket of 20 tokens (tau 19 ms), sends at least 60%
     * of the interval (600 us) apart. A send at 0, then the sender wakes at
     * 10 ms: the bucket is full again (20 tokens). By GCRA, after k more
     * sends TAT = 10 + k ms and the next is allowed at TAT - 19 ms; spacing
     * allows it at 10 + 0.6 k ms, which is the later while 0.4 k <= 19, k <=
     * 47: 48 sends 600 us apart, then one per ms. Never two closer than
     * 600 us (no burst), and at most 17 in any 10 ms. */
    struct kp_pacer p;
    cr_assert_eq(kp_pacer_init(&p, 1000, 20, 0), 0);
    kp_pacer_set_spacing(&p, 60);
    cr_assert_eq(kp_pacer_take(&p, 0), 0);
    int64_t now = 10 * MS, t[80];
    for (int i = 0; i < 80; i++) {
        int64_t w;
        while ((w = kp_pacer_take(&p, now)) > 0)
            now += w;
        t[i] = now;
    }
    cr_assert_eq(t[0], 10 * MS);
    for (int i = 1; i < 48; i++)
        cr_assert_eq(t[i] - t[i - 1], 600000, "gap %d: %lld", i, (long long)(t[i] - t[i - 1]));
    for (int i = 49; i < 80; i++)
        cr_assert_eq(t[i] - t[i - 1], MS, "gap %d: %lld", i, (long long)(t[i] - t[i - 1]));
    cr_assert_leq(max_in_window(t, 80, 10 * MS), 17);
}

Test(pacer, spacing_off_by_default_and_bounded)
{
    struct kp_pacer p;
    cr_assert_eq(kp_pacer_init(&p, 1000, 3, 0), 0);
    cr_assert_eq(p.min_gap_ns, 0);
    kp_pacer_set_spacing(&p, 250); /* capped at the whole interval */
    cr_assert_eq(p.min_gap_ns, MS);
}

/* After a pause of the sender, restart empties the bucket: one send at
 * once, the next a whole interval later (1 ms at 1000 pps), where the
 * bucket of 10 would otherwise have let 10 go back to back. */
Test(pacer, restart_spends_nothing_saved)
{
    struct kp_pacer p, q;
    cr_assert_eq(kp_pacer_init(&p, 1000, 10, 0), 0);
    cr_assert_eq(kp_pacer_take(&p, 0), 0);
    q = p;
    /* 5 s idle: without restart, 10 sends at 5 s at once */
    for (int i = 0; i < 10; i++)
        cr_assert_eq(kp_pacer_take(&q, 5 * S), 0);
    cr_assert_gt(kp_pacer_take(&q, 5 * S), 0);
    kp_pacer_restart(&p, 5 * S);
    cr_assert_eq(kp_pacer_take(&p, 5 * S), 0);
    cr_assert_eq(kp_pacer_take(&p, 5 * S), 1 * MS);
    cr_assert_eq(kp_pacer_take(&p, 5 * S + 1 * MS), 0);
    /* then the rate: 1000 more sends take 1 s (the 1000th at 5 s + 1001 ms - 1 ms) */
    int64_t now = 5 * S + 1 * MS;
    int n = 0;
    while (now <= 6 * S + 1 * MS) {
        int64_t w = kp_pacer_take(&p, now);
        if (w == 0)
            n++;
        else
            now += w;
    }
    cr_assert_eq(n, 1000, "%d sends in the second after the restart", n);
}

/* A fractional interval (3 pps: 333333333.33 ns) keeps its fraction. */
Test(pacer, restart_fractional_interval)
{
    struct kp_pacer p;
    cr_assert_eq(kp_pacer_init(&p, 3, 4, 0), 0);
    kp_pacer_restart(&p, 10 * S);
    cr_assert_eq(kp_pacer_take(&p, 10 * S), 0);
    /* next at 10 s + 333333333.33 ns, i.e. a wait of 333333334 ns from 10 s */
    cr_assert_eq(kp_pacer_take(&p, 10 * S), 333333334);
}
