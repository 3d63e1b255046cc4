/* SPDX-License-Identifier: BSD-2-Clause */
/* Tests of core/plan/admit.c: admission with Doubletree buckets (one pilot per
 * (/24, method), followers waiting for its release, the pipe kept full by
 * drawing further jobs) and the slots. Expected values follow admit.h's
 * rules, counted by hand in the comments. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/plan/admit.h"
#include "engine_test.h"

static struct kp_admit *mk(const struct kp_target_range *r, size_t n, unsigned nm, bool dt,
                           uint32_t max_queued)
{
    struct kp_admit_config c = {.ranges = r,
                                .n_ranges = n,
                                .n_methods = nm,
                                .seed = 11,
                                .doubletree = dt,
                                .max_queued = max_queued};
    struct kp_admit *a;
    cr_assert_eq(kp_admit_create(&c, &a), 0);
    return a;
}

Test(admit, without_doubletree_every_job_starts_as_it_comes)
{
    struct kp_target_range r = R(0xc612c800u, 1024);
    struct kp_admit *a = mk(&r, 1, 2, false, 0);
    struct kp_admit_start s;
    uint64_t n = 0;
    while (kp_admit_next(a, &s) == KP_ADMIT_START) {
        cr_assert(!s.pilot && !s.follower);
        cr_assert_null(s.hint);
        n++;
    }
    cr_assert_eq(n, 2048);
    cr_assert_eq(kp_admit_next(a, &s), KP_ADMIT_END);
    kp_admit_destroy(a);
}

/* A /22 with one method: 4 buckets. Drawing everything before any release
 * gives exactly 4 pilots (one per /24) and 1020 waiting jobs; then WAIT.
 * Releasing a bucket starts its 255 followers before anything else. */
Test(admit, one_pilot_per_bucket_followers_wait_for_its_release)
{
    struct kp_target_range r = R(0xc612c800u, 1024); /* 198.18.200.0/22 */
    struct kp_admit *a = mk(&r, 1, 1, true, 0);
    struct kp_admit_start s;
    uint32_t pilots[4], np = 0;
    int st;
    while ((st = kp_admit_next(a, &s)) == KP_ADMIT_START) {
        cr_assert(s.pilot);
        cr_assert_not_null(s.hint);
        cr_assert_not_null(s.hint->until, "a running pilot has its TTL times");
        cr_assert_lt(np, 4);
        pilots[np++] = s.bucket;
    }
    cr_assert_eq(st, KP_ADMIT_WAIT);
    cr_assert_eq(np, 4);
    cr_assert_eq(kp_admit_queued(a), 1020);
    /* the pilot of the first bucket has its answer */
    kp_admit_release(a, pilots[0]);
    uint32_t g = 0;
    for (int i = 0; i < 255; i++) {
        cr_assert_eq(kp_admit_next(a, &s), KP_ADMIT_START);
        cr_assert(s.follower && !s.pilot);
        cr_assert_eq(s.bucket, pilots[0]);
        g = s.job.addr >> 8;
    }
    cr_assert_eq(kp_admit_next(a, &s), KP_ADMIT_WAIT);
    /* the pilot's hint is the followers' */
    cr_assert_eq(g & 3, ((0xc612c800u >> 8) + pilots[0]) & 3);
    for (int k = 1; k < 4; k++)
        kp_admit_pilot_done(a, pilots[k]);
    uint64_t rest = 0;
    while (kp_admit_next(a, &s) == KP_ADMIT_START) {
        cr_assert(s.follower);
        cr_assert_null(s.hint->until, "a done pilot's times are freed");
        rest++;
    }
    cr_assert_eq(rest, 765);
    cr_assert_eq(kp_admit_next(a, &s), KP_ADMIT_END);
    cr_assert_eq(kp_admit_handed(a), 1024);
    kp_admit_destroy(a);
}

/* Waiting jobs are bounded: with max_queued 100 and nothing released,
 * admission stops drawing at 100 waiting jobs (it never holds the target
 * list). */
Test(admit, waiting_jobs_are_bounded)
{
    struct kp_target_range r = R(0xc6130000u, 65536); /* a /16: 256 buckets */
    struct kp_admit *a = mk(&r, 1, 3, true, 100);
    struct kp_admit_start s;
    uint64_t pilots = 0;
    while (kp_admit_next(a, &s) == KP_ADMIT_START)
        pilots++;
    cr_assert_eq(kp_admit_queued(a), 100);
    cr_assert_leq(pilots, 768);
    cr_assert_eq(kp_admit_jobs(a), 196608);
    kp_admit_destroy(a);
}

/* The pipe stays full: jobs of other buckets start while a bucket waits. On
 * a /16 x 3 with 768 buckets, the first 5000 handed out jobs (no release)
 * are the 768 pilots at most, and drawing goes on past waiting jobs. */
Test(admit, other_buckets_start_while_one_waits)
{
    struct kp_target_range r[2] = {R(0xc6130000u, 65536), R(0xc612c800u, 256)};
    struct kp_admit *a = mk(r, 2, 3, true, 0);
    struct kp_admit_start s;
    uint64_t handed = 0;
    while (kp_admit_next(a, &s) == KP_ADMIT_START) {
        /* release every bucket as soon as its pilot starts */
        kp_admit_release(a, s.bucket);
        handed++;
    }
    cr_assert_eq(handed, (65536 + 256) * 3);
    cr_assert_eq(kp_admit_next(a, &s), KP_ADMIT_END);
    kp_admit_destroy(a);
}

Test(admit, resumed_buckets_have_no_pilot)
{
    struct kp_target_range r = R(0xc612c800u, 256);
    struct kp_admit *a = mk(&r, 1, 1, true, 0);
    kp_admit_known(a, 0xc612c8aau, 0);
    struct kp_admit_start s;
    for (int i = 0; i < 256; i++) {
        cr_assert_eq(kp_admit_next(a, &s), KP_ADMIT_START);
        cr_assert(s.follower && !s.pilot);
    }
    kp_admit_destroy(a);
}

Test(admit, slots_last_freed_first)
{
    struct kp_slots s;
    cr_assert_eq(kp_slots_init(&s, 3), 0);
    cr_assert_eq(kp_slots_take(&s), 0);
    cr_assert_eq(kp_slots_take(&s), 1);
    cr_assert_eq(kp_slots_take(&s), 2);
    cr_assert_eq(kp_slots_take(&s), -1);
    kp_slots_put(&s, 1);
    cr_assert_eq(kp_slots_take(&s), 1);
    kp_slots_put(&s, 2);
    kp_slots_put(&s, 0);
    cr_assert_eq(kp_slots_take(&s), 0);
    cr_assert_eq(kp_slots_take(&s), 2);
    kp_slots_free(&s);
    cr_assert_eq(kp_slots_init(&s, 0), -EINVAL);
}
