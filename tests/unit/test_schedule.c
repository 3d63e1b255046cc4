/* SPDX-License-Identifier: BSD-2-Clause */
/* Tests of the randomized, per-/24-fair schedule. Expected shares come from
 * the rule in schedule.h (a group uniformly, then an entry uniformly) and
 * binomial bounds worked out by hand. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/plan/schedule.h"

static struct kp_addr a4(const char *s)
{
    struct kp_addr a;
    cr_assert_eq(kp_addr_parse(s, &a), 0);
    return a;
}

static struct kp_schedule *mk(uint64_t seed)
{
    struct kp_schedule_config cfg = {.seed = seed};
    struct kp_schedule *s = NULL;
    cr_assert_eq(kp_schedule_create(&cfg, &s), 0);
    return s;
}

/* 20 entries in 4 /24s, all ready at 0; the order they are picked in. */
static void pick_order(uint64_t seed, uintptr_t out[20])
{
    struct kp_schedule *s = mk(seed);
    char buf[32];
    for (uintptr_t i = 0; i < 20; i++) {
        snprintf(buf, sizeof(buf), "198.18.%u.%u", (unsigned)(i % 4), (unsigned)(i + 1));
        struct kp_addr d = a4(buf);
        cr_assert_eq(kp_schedule_add(s, &d, (void *)(i + 1), 0, NULL), 0);
    }
    for (int k = 0; k < 20; k++) {
        void *item;
        cr_assert_eq(kp_schedule_pick(s, 0, &item, NULL), 0);
        out[k] = (uintptr_t)item;
    }
    cr_assert_eq(kp_schedule_pick(s, 0, NULL, NULL), -EAGAIN);
    kp_schedule_destroy(s);
}

Test(schedule, deterministic_given_seed)
{
    uintptr_t a[20], b[20], c[20];
    pick_order(42, a);
    pick_order(42, b);
    pick_order(43, c);
    cr_assert_arr_eq(a, b, sizeof(a));
    /* A different seed gives a different order (a collision of two random
     * orders of 20 has probability < 1e-10). */
    cr_assert_neq(memcmp(a, c, sizeof(a)), 0);
    /* Every entry picked exactly once. */
    int seen[21] = {0};
    for (int k = 0; k < 20; k++)
        seen[a[k]]++;
    for (int i = 1; i <= 20; i++)
        cr_assert_eq(seen[i], 1);
}

Test(schedule, per_24_share)
{
    /* /24 A has 100 traces, /24 B has 1; all always ready. Each pick takes A
     * or B with probability 1/2, so over 10000 picks B gets Binomial(10000,
     * 1/2): mean 5000, sd 50; 4700..5300 is a 6-sigma band. Without the
     * per-/24 share B would get 10000/101 ~ 99. */
    struct kp_schedule *s = mk(7);
    char buf[32];
    for (int i = 0; i < 100; i++) {
        snprintf(buf, sizeof(buf), "198.18.1.%d", i + 1);
        struct kp_addr d = a4(buf);
        cr_assert_eq(kp_schedule_add(s, &d, (void *)(uintptr_t)1, 0, NULL), 0);
    }
    struct kp_addr db = a4("198.18.2.9");
    cr_assert_eq(kp_schedule_add(s, &db, (void *)(uintptr_t)2, 0, NULL), 0);
    cr_assert_eq(kp_schedule_count(s), 101);
    cr_assert_eq(kp_schedule_groups(s), 2);
    int got_b = 0;
    for (int k = 0; k < 10000; k++) {
        void *item;
        uint32_t h;
        cr_assert_eq(kp_schedule_pick(s, k, &item, &h), 0);
        if ((uintptr_t)item == 2)
            got_b++;
        cr_assert_eq(kp_schedule_arm(s, h, k), 0);
    }
    cr_assert(got_b >= 4700 && got_b <= 5300, "B got %d of 10000", got_b);
    kp_schedule_destroy(s);
}

Test(schedule, order_within_a_group_is_uniform)
{
    /* 10 entries of one /24, ready at once, picked until empty: which one
     * comes first is uniform. Over 3000 seeds each entry is first
     * Binomial(3000, 1/10) times: mean 300, sd 16.4; 200..400 is 6 sigma. */
    int first[10] = {0};
    for (uint64_t seed = 1; seed <= 3000; seed++) {
        struct kp_schedule *s = mk(seed);
        char buf[32];
        for (int i = 0; i < 10; i++) {
            snprintf(buf, sizeof(buf), "198.18.7.%d", i + 1);
            struct kp_addr d = a4(buf);
            cr_assert_eq(kp_schedule_add(s, &d, (void *)(uintptr_t)i, 0, NULL), 0);
        }
        void *item;
        cr_assert_eq(kp_schedule_pick(s, 0, &item, NULL), 0);
        first[(uintptr_t)item]++;
        kp_schedule_destroy(s);
    }
    for (int i = 0; i < 10; i++)
        cr_assert(first[i] >= 200 && first[i] <= 400, "entry %d first %d times", i, first[i]);
}

Test(schedule, the_pick_after_arms_removals_and_adds_is_uniform)
{
    /* kp_schedule_pick draws the next pick ahead; what the caller does in
     * between must not bias it. /24 X has items 0..9, /24 Y items 10..13.
     * After a first pick (put back at once), items 0..4 are removed and item
     * 14 joins X. The second pick takes X or Y with probability 1/2 each,
     * then each of X's six items (5..9, 14) with 1/12 and each of Y's four
     * with 1/8. Over 4000 seeds: X in all Binomial(4000, 1/2), mean 2000, sd
     * 31.6, 1810..2190 is 6 sigma; an X item Binomial(4000, 1/12), mean 333,
     * sd 17.5, 228..438; a Y item Binomial(4000, 1/8), mean 500, sd 20.9,
     * 375..625. */
    int got[15] = {0};
    for (uint64_t seed = 1; seed <= 4000; seed++) {
        struct kp_schedule *s = mk(seed);
        char buf[32];
        uint32_t hd[15];
        for (int i = 0; i < 14; i++) {
            snprintf(buf, sizeof(buf), i < 10 ? "198.18.7.%d" : "198.18.8.%d", i + 1);
            struct kp_addr d = a4(buf);
            cr_assert_eq(kp_schedule_add(s, &d, (void *)(uintptr_t)i, 0, &hd[i]), 0);
        }
        void *item;
        uint32_t h;
        cr_assert_eq(kp_schedule_pick(s, 0, &item, &h), 0);
        cr_assert_eq(kp_schedule_arm(s, h, 0), 0);
        for (int i = 0; i < 5; i++)
            kp_schedule_remove(s, hd[i]);
        struct kp_addr d14 = a4("198.18.7.15");
        cr_assert_eq(kp_schedule_add(s, &d14, (void *)(uintptr_t)14, 0, &hd[14]), 0);
        cr_assert_eq(kp_schedule_pick(s, 0, &item, &h), 0);
        got[(uintptr_t)item]++;
        kp_schedule_destroy(s);
    }
    int x = 0;
    for (int i = 0; i < 15; i++) {
        if (i < 5)
            cr_assert_eq(got[i], 0, "item %d removed but picked", i);
        else if (i < 10 || i == 14)
            cr_assert(got[i] >= 228 && got[i] <= 438, "X item %d got %d", i, got[i]);
        else
            cr_assert(got[i] >= 375 && got[i] <= 625, "Y item %d got %d", i, got[i]);
        if (i < 10 || i == 14)
            x += got[i];
    }
    cr_assert(x >= 1810 && x <= 2190, "X got %d of 4000", x);
}

Test(schedule, a_trace_put_back_can_come_next)
{
    /* One /24 with two traces, each put back right after its pick: the
     * next pick is either of them with probability 1/2, the one just put
     * back included. Over 10000 picks the same trace twice in a row is
     * Binomial(9999, 1/2): mean 5000, sd 50, 4700..5300 is 6 sigma. */
    struct kp_schedule *s = mk(5);
    struct kp_addr d1 = a4("198.18.3.1"), d2 = a4("198.18.3.2");
    cr_assert_eq(kp_schedule_add(s, &d1, (void *)(uintptr_t)1, 0, NULL), 0);
    cr_assert_eq(kp_schedule_add(s, &d2, (void *)(uintptr_t)2, 0, NULL), 0);
    int repeats = 0;
    uintptr_t prev = 0;
    for (int k = 0; k < 10000; k++) {
        void *item;
        uint32_t h;
        cr_assert_eq(kp_schedule_pick(s, k, &item, &h), 0);
        repeats += (uintptr_t)item == prev;
        prev = (uintptr_t)item;
        cr_assert_eq(kp_schedule_arm(s, h, k), 0);
    }
    cr_assert(repeats >= 4700 && repeats <= 5300, "repeats %d", repeats);
    kp_schedule_destroy(s);
}

Test(schedule, a_group_emptied_and_refilled_keeps_its_share)
{
    /* /24 A has one trace, B 20. Each pick, the trace picked is put back
     * before the next: A is empty between its pick and its return, and
     * still gets half of the picks (a draw made while A was empty would
     * give it a third). 10000 picks: Binomial(10000, 1/2), 4700..5300 is 6
     * sigma. */
    struct kp_schedule *s = mk(11);
    char buf[32];
    struct kp_addr da = a4("198.18.1.1");
    cr_assert_eq(kp_schedule_add(s, &da, (void *)(uintptr_t)1, 0, NULL), 0);
    for (int i = 0; i < 20; i++) {
        snprintf(buf, sizeof(buf), "198.18.2.%d", i + 1);
        struct kp_addr d = a4(buf);
        cr_assert_eq(kp_schedule_add(s, &d, (void *)(uintptr_t)2, 0, NULL), 0);
    }
    int got_a = 0, runs_a = 0;
    uintptr_t prev = 0;
    for (int k = 0; k < 10000; k++) {
        void *item;
        uint32_t h;
        cr_assert_eq(kp_schedule_pick(s, k, &item, &h), 0);
        if ((uintptr_t)item == 1) {
            got_a++;
            runs_a += prev == 1; /* A twice in a row: 1/4 of the pairs */
        }
        prev = (uintptr_t)item;
        cr_assert_eq(kp_schedule_arm(s, h, k), 0);
    }
    cr_assert(got_a >= 4700 && got_a <= 5300, "A got %d of 10000", got_a);
    /* pairs (A, A): Binomial(9999, 1/4), mean 2500, sd 43.3: 2240..2760 */
    cr_assert(runs_a >= 2240 && runs_a <= 2760, "A twice in a row %d times", runs_a);
    kp_schedule_destroy(s);
}

Test(schedule, consecutive_picks_spread_over_prefixes)
{
    /* 8 /24s with 50 always-ready traces each. A router in front of one /24
     * should not see bursts: the chance that a pick goes to the same /24 as
     * the previous one is 1/8, so over 8000 picks about 1000 repeats
     * (Binomial(7999, 1/8): sd 29.6); a sequential order would give ~7992. */
    struct kp_schedule *s = mk(99);
    char buf[32];
    for (int g = 0; g < 8; g++) {
        for (int i = 0; i < 50; i++) {
            snprintf(buf, sizeof(buf), "198.18.%d.%d", 10 + g, i + 1);
            struct kp_addr d = a4(buf);
            cr_assert_eq(kp_schedule_add(s, &d, (void *)(uintptr_t)g, 0, NULL), 0);
        }
    }
    int repeats = 0;
    uintptr_t prev = 99;
    for (int k = 0; k < 8000; k++) {
        void *item;
        uint32_t h;
        cr_assert_eq(kp_schedule_pick(s, 0, &item, &h), 0);
        if ((uintptr_t)item == prev)
            repeats++;
        prev = (uintptr_t)item;
        cr_assert_eq(kp_schedule_arm(s, h, 0), 0);
    }
    cr_assert(repeats >= 820 && repeats <= 1180, "repeats %d", repeats);
    kp_schedule_destroy(s);
}

Test(schedule, waiting_entries_and_next_wake)
{
    struct kp_schedule *s = mk(1);
    struct kp_addr d1 = a4("198.18.1.1"), d2 = a4("198.18.2.1");
    uint32_t h1, h2;
    cr_assert_eq(kp_schedule_add(s, &d1, (void *)(uintptr_t)1, 1000, &h1), 0);
    cr_assert_eq(kp_schedule_add(s, &d2, (void *)(uintptr_t)2, 500, &h2), 0);
    cr_assert_eq(kp_schedule_next_wake(s), 500);
    cr_assert_eq(kp_schedule_pick(s, 499, NULL, NULL), -EAGAIN);
    void *item;
    uint32_t h;
    cr_assert_eq(kp_schedule_pick(s, 500, &item, &h), 0);
    cr_assert_eq((uintptr_t)item, 2);
    cr_assert_eq(h, h2);
    /* h2 is TAKEN: only h1 is left, due at 1000. */
    cr_assert_eq(kp_schedule_next_wake(s), 1000);
    cr_assert_eq(kp_schedule_pick(s, 999, NULL, NULL), -EAGAIN);
    cr_assert_eq(kp_schedule_arm(s, h2, 2000), 0);
    cr_assert_eq(kp_schedule_pick(s, 1500, &item, NULL), 0);
    cr_assert_eq((uintptr_t)item, 1);
    cr_assert_eq(kp_schedule_next_wake(s), 2000);
    kp_schedule_remove(s, h2);
    cr_assert_eq(kp_schedule_next_wake(s), INT64_MAX);
    cr_assert_eq(kp_schedule_count(s), 1);
    kp_schedule_remove(s, h1);
    cr_assert_eq(kp_schedule_count(s), 0);
    cr_assert_eq(kp_schedule_groups(s), 0);
    cr_assert_eq(kp_schedule_arm(s, h1, 0), -EINVAL);
    kp_schedule_destroy(s);
}

Test(schedule, grouping_by_24_and_48)
{
    struct kp_schedule *s = mk(1);
    struct kp_addr a = a4("198.18.1.5"), b = a4("198.18.1.200"), c = a4("198.18.2.1");
    struct kp_addr x = a4("2001:db8:1:2::1"), y = a4("2001:db8:1:ffff::9"), z = a4("2001:db8:2::1");
    cr_assert_eq(kp_schedule_add(s, &a, NULL, 0, NULL), 0);
    cr_assert_eq(kp_schedule_add(s, &b, NULL, 0, NULL), 0);
    cr_assert_eq(kp_schedule_groups(s), 1);
    cr_assert_eq(kp_schedule_add(s, &c, NULL, 0, NULL), 0);
    cr_assert_eq(kp_schedule_groups(s), 2);
    cr_assert_eq(kp_schedule_add(s, &x, NULL, 0, NULL), 0);
    cr_assert_eq(kp_schedule_add(s, &y, NULL, 0, NULL), 0);
    cr_assert_eq(kp_schedule_groups(s), 3);
    cr_assert_eq(kp_schedule_add(s, &z, NULL, 0, NULL), 0);
    cr_assert_eq(kp_schedule_groups(s), 4);
    struct kp_addr unset = {0};
    cr_assert_eq(kp_schedule_add(s, &unset, NULL, 0, NULL), -EINVAL);
    kp_schedule_destroy(s);
}

Test(schedule, many_entries_handles_reused)
{
    /* 5000 traces over 5000 /24s added, all picked, removed, re-added. */
    struct kp_schedule *s = mk(5);
    char buf[32];
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < 5000; i++) {
            snprintf(buf, sizeof(buf), "10.%d.%d.1", i / 256, i % 256);
            struct kp_addr d = a4(buf);
            cr_assert_eq(kp_schedule_add(s, &d, NULL, i, NULL), 0);
        }
        cr_assert_eq(kp_schedule_groups(s), 5000);
        int n = 0;
        uint32_t h;
        while (kp_schedule_pick(s, 10000, NULL, &h) == 0) {
            cr_assert_lt(h, 5000);
            kp_schedule_remove(s, h);
            n++;
        }
        cr_assert_eq(n, 5000);
        cr_assert_eq(kp_schedule_count(s), 0);
    }
    kp_schedule_destroy(s);
}

/* Finding an entry's group is O(1) work: N entries in N distinct /24s, then
 * N more into the same groups. In a chained table whose load stays <= 1 a
 * miss visits at most one node on average and a hit at most 1.5, so each
 * round visits fewer than 2N; one long chain would visit about N * N / 2. */
Test(schedule, group_lookup_work_is_linear)
{
    enum { N = 1 << 15 };
    struct kp_schedule *s = mk(3);
    for (int round = 0; round < 2; round++) {
        uint64_t before = kp_schedule_steps(s);
        for (uint32_t i = 0; i < N; i++) {
            struct kp_addr d = kp_addr_v4(0x0a000000u + (i << 8) + 1u + (uint32_t)round);
            cr_assert_eq(kp_schedule_add(s, &d, NULL, 0, NULL), 0);
        }
        uint64_t steps = kp_schedule_steps(s) - before;
        cr_assert_lt(steps, 2ull * N, "round %d: %llu steps", round, (unsigned long long)steps);
    }
    cr_assert_eq(kp_schedule_groups(s), N);
    cr_assert_eq(kp_schedule_count(s), 2 * N);
    kp_schedule_destroy(s);
}

/* Many entries armed, re-armed, removed and picked at random against a
 * plain list of their wake times: a pick returns only an entry due by then,
 * -EAGAIN only when none is, and kp_schedule_next_wake the earliest wake of
 * the entries not taken (the time of the last pick when one is due). */
Test(schedule, due_entries_against_a_model)
{
    enum { N = 3000 };
    struct kp_schedule *s = mk(7);
    int64_t wake[N];
    uint32_t handle[N];
    int state[N]; /* 0 gone, 1 waiting or ready, 2 taken */
    uint64_t x = 0x853c49e6748fea9bULL;
#define RND() (x = x * 6364136223846793005ULL + 1442695040888963407ULL, (uint32_t)(x >> 33))
    char buf[32];
    for (int i = 0; i < N; i++) {
        snprintf(buf, sizeof(buf), "198.18.%u.%u", (unsigned)(i % 200), (unsigned)(1 + i % 250));
        struct kp_addr d = a4(buf);
        wake[i] = 1000 + RND() % 100000;
        cr_assert_eq(kp_schedule_add(s, &d, (void *)(uintptr_t)(i + 1), wake[i], &handle[i]), 0);
        state[i] = 1;
    }
    int64_t now = 0, last_now = 0;
    for (int step = 0; step < 60000; step++) {
        uint32_t op = RND() % 10, i = RND() % N;
        if (op < 5) {
            now += RND() % 200;
            void *item;
            int rc = kp_schedule_pick(s, now, &item, NULL);
            last_now = now;
            if (rc == 0) {
                int k = (int)(uintptr_t)item - 1;
                cr_assert(k >= 0 && k < N);
                cr_assert_eq(state[k], 1, "picked entry %d in state %d", k, state[k]);
                cr_assert_leq(wake[k], now, "entry %d due at %lld picked at %lld", k,
                              (long long)wake[k], (long long)now);
                state[k] = 2;
            } else {
                cr_assert_eq(rc, -EAGAIN);
                for (int k = 0; k < N; k++)
                    cr_assert(state[k] != 1 || wake[k] > now, "entry %d due at %lld not picked", k,
                              (long long)wake[k]);
            }
        } else if (op < 8) {
            if (state[i] == 0)
                continue;
            wake[i] = now + (int64_t)(RND() % 5000) - 100;
            cr_assert_eq(kp_schedule_arm(s, handle[i], wake[i]), 0);
            state[i] = 1;
        } else if (op == 8 && state[i] != 0) {
            kp_schedule_remove(s, handle[i]);
            state[i] = 0;
        } else if (state[i] == 0) {
            snprintf(buf, sizeof(buf), "198.18.%u.%u", (unsigned)(i % 200),
                     (unsigned)(1 + i % 250));
            struct kp_addr d = a4(buf);
            wake[i] = now + RND() % 3000;
            cr_assert_eq(kp_schedule_add(s, &d, (void *)(uintptr_t)(i + 1), wake[i], &handle[i]),
                         0);
            state[i] = 1;
        }
        int64_t want = INT64_MAX;
        bool due = false;
        for (int k = 0; k < N; k++)
            if (state[k] == 1) {
                due |= wake[k] <= last_now;
                if (wake[k] < want)
                    want = wake[k];
            }
        cr_assert_eq(kp_schedule_next_wake(s), due ? last_now : want, "step %d", step);
    }
#undef RND
    kp_schedule_destroy(s);
}
