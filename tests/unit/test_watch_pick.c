/* SPDX-License-Identifier: BSD-2-Clause */
/* Tests of the addresses `kptrace watch` picks in a /24 per round
 * (core/plan/watch_pick.h): only allowed ones, distinct, answering ones
 * first, a new one every 4th single pick, the answering set learned. */
#include <criterion/criterion.h>

#include "core/plan/watch_pick.h"

#define NET 0xC613B000u /* 198.19.176.0 */

static void allow_range(struct kp_pick_net *n, unsigned lo, unsigned hi)
{
    for (unsigned h = lo; h <= hi; h++)
        kp_pick_allow(n, NET | h);
}

Test(watch_pick, only_allowed_and_distinct_over_many_rounds)
{
    struct kp_pick_net n;
    kp_pick_init(&n, NET | 77);
    cr_assert_eq(n.net, NET);
    allow_range(&n, 16, 31);        /* a /28: 16 addresses */
    kp_pick_allow(&n, 0xC613B100u); /* another /24: ignored */
    cr_assert_eq(kp_pick_allowed_count(&n), 16);
    uint64_t rng = 42;
    uint32_t out[64];
    for (int round = 0; round < 2000; round++) {
        unsigned f = 1 + (unsigned)(round % 20);
        size_t k = kp_pick(&n, f, &rng, out);
        cr_assert_eq(k, f < 16 ? f : 16, "round %d: %zu of %u", round, k, f);
        for (size_t i = 0; i < k; i++) {
            cr_assert((out[i] & 0xffffff00u) == NET && (out[i] & 255) >= 16 && (out[i] & 255) <= 31,
                      "round %d: %08x outside the allowed /28", round, out[i]);
            for (size_t j = 0; j < i; j++)
                cr_assert_neq(out[i], out[j], "round %d: an address twice", round);
        }
        if (round % 3 == 0)
            kp_pick_learn(&n, out[0], true, &rng);
    }
}

Test(watch_pick, nothing_allowed_gives_nothing)
{
    struct kp_pick_net n;
    kp_pick_init(&n, NET);
    uint64_t rng = 1;
    uint32_t out[8];
    cr_assert_eq(kp_pick(&n, 1, &rng, out), 0);
    cr_assert_eq(kp_pick(&n, 8, &rng, out), 0);
}

Test(watch_pick, answering_addresses_first_then_random)
{
    struct kp_pick_net n;
    kp_pick_init(&n, NET);
    allow_range(&n, 0, 255);
    uint64_t rng = 7;
    kp_pick_learn(&n, NET | 10, true, &rng);
    kp_pick_learn(&n, NET | 20, true, &rng);
    kp_pick_learn(&n, NET | 30, true, &rng);
    uint32_t out[8];
    cr_assert_eq(kp_pick(&n, 8, &rng, out), 8);
    int good = 0;
    for (int i = 0; i < 3; i++)
        good += out[i] == (NET | 10) || out[i] == (NET | 20) || out[i] == (NET | 30);
    cr_assert_eq(good, 3, "the three answering addresses come first");
    for (int i = 3; i < 8; i++)
        cr_assert(out[i] != (NET | 0) && out[i] != (NET | 255), "random: no network/broadcast");
}

Test(watch_pick, single_picks_rotate_and_every_fourth_is_new)
{
    struct kp_pick_net n;
    kp_pick_init(&n, NET);
    allow_range(&n, 0, 255);
    uint64_t rng = 9;
    kp_pick_learn(&n, NET | 1, true, &rng);
    kp_pick_learn(&n, NET | 2, true, &rng);
    uint32_t out[1];
    unsigned good = 0, other = 0, g1 = 0, g2 = 0;
    for (int i = 1; i <= 400; i++) {
        cr_assert_eq(kp_pick(&n, 1, &rng, out), 1);
        bool is_good = out[0] == (NET | 1) || out[0] == (NET | 2);
        if (i % 4 == 0) {
            other += !is_good;
        } else {
            cr_assert(is_good, "pick %d: an answering address", i);
            good++;
            g1 += out[0] == (NET | 1);
            g2 += out[0] == (NET | 2);
        }
    }
    cr_assert_eq(good, 300);
    cr_assert_geq(other, 95, "every 4th pick is (almost always) a new address: %u", other);
    cr_assert_eq(g1, 150, "rotation: each answering address half the time (%u, %u)", g1, g2);
}

Test(watch_pick, learn_adds_and_removes)
{
    struct kp_pick_net n;
    kp_pick_init(&n, NET);
    allow_range(&n, 0, 99);
    uint64_t rng = 3;
    kp_pick_learn(&n, NET | 200, true, &rng); /* not allowed: never kept */
    cr_assert_eq(n.n_good, 0);
    for (unsigned h = 0; h < 40; h++)
        kp_pick_learn(&n, NET | h, true, &rng);
    cr_assert_eq(n.n_good, KP_PICK_GOOD, "at most KP_PICK_GOOD kept");
    uint32_t g = n.good[3];
    kp_pick_learn(&n, g, false, &rng);
    cr_assert_eq(n.n_good, KP_PICK_GOOD - 1);
    for (unsigned i = 0; i < n.n_good; i++)
        cr_assert_neq(n.good[i], g, "an address that stopped answering leaves");
    kp_pick_learn(&n, g, false, &rng); /* not there: nothing */
    cr_assert_eq(n.n_good, KP_PICK_GOOD - 1);
    kp_pick_restore_good(&n, g);
    kp_pick_restore_good(&n, g);
    cr_assert_eq(n.n_good, KP_PICK_GOOD, "restored once");
}
