/* SPDX-License-Identifier: BSD-2-Clause */
/* Tests of the sleep-lateness histogram (core/plan/lateness.h). The
 * expected quantiles are counted by hand from the samples each test adds. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>

#include "core/plan/lateness.h"

#define US 1000LL

Test(lateness, init_refuses_zero_width_or_window)
{
    struct kp_lateness l;
    cr_assert_eq(kp_lateness_init(&l, 0, 16), -EINVAL);
    cr_assert_eq(kp_lateness_init(&l, -1, 16), -EINVAL);
    cr_assert_eq(kp_lateness_init(&l, US, 0), -EINVAL);
    cr_assert_eq(kp_lateness_init(&l, US, 16), 0);
    cr_assert_eq(kp_lateness_quantile(&l, 990), -1, "no sample: no answer");
    cr_assert_eq(kp_lateness_weight(&l), 0);
}

/* 100 samples 0..99 us late, buckets of 1 us: sample k falls in bucket k,
 * whose upper end is (k + 1) us. The p-th quantile needs ceil(100 p) samples,
 * the first ceil(100 p) buckets. */
Test(lateness, quantiles_are_upper_bucket_ends)
{
    struct kp_lateness l;
    kp_lateness_init(&l, US, 1000000);
    for (int k = 0; k < 100; k++)
        kp_lateness_add(&l, k * US);
    cr_assert_eq(kp_lateness_weight(&l), 100);
    cr_assert_eq(kp_lateness_quantile(&l, 500), 50 * US);   /* 50 samples: buckets 0..49 */
    cr_assert_eq(kp_lateness_quantile(&l, 990), 99 * US);   /* 99 samples */
    cr_assert_eq(kp_lateness_quantile(&l, 1000), 100 * US); /* all */
    cr_assert_eq(kp_lateness_quantile(&l, 5000), 100 * US); /* above 1000: 1000 */
    cr_assert_eq(kp_lateness_quantile(&l, 0), 1 * US);      /* at least one sample */
    cr_assert_eq(kp_lateness_quantile(&l, 991), 100 * US);  /* ceil(99.1) = 100 samples */
}

Test(lateness, early_counts_as_on_time_and_beyond_the_last_bucket_is_unknown)
{
    struct kp_lateness l;
    kp_lateness_init(&l, 2 * US, 1000000);
    kp_lateness_add(&l, -5 * US);                        /* woke early: bucket 0 */
    kp_lateness_add(&l, 1999);                           /* still bucket 0 (0 .. 1999 ns) */
    kp_lateness_add(&l, 2 * US);                         /* bucket 1 */
    kp_lateness_add(&l, 10 * 1000 * US);                 /* 10 ms: beyond 256 buckets of 2 us */
    cr_assert_eq(kp_lateness_quantile(&l, 500), 2 * US); /* 2 of 4 in bucket 0 */
    cr_assert_eq(kp_lateness_quantile(&l, 750), 4 * US); /* 3 of 4: bucket 1 */
    cr_assert_eq(kp_lateness_quantile(&l, 1000), INT64_MAX);
    /* exactly at the last bucket's start */
    struct kp_lateness m;
    kp_lateness_init(&m, US, 1000000);
    kp_lateness_add(&m, (int64_t)(KP_LATENESS_BUCKETS - 2) * US);
    cr_assert_eq(kp_lateness_quantile(&m, 1000), (int64_t)(KP_LATENESS_BUCKETS - 1) * US);
    kp_lateness_add(&m, (int64_t)(KP_LATENESS_BUCKETS - 1) * US);
    cr_assert_eq(kp_lateness_quantile(&m, 1000), INT64_MAX);
}

/* Window 8: at the 8th sample since the last halving every count halves.
 * 8 samples at 50 us: 8 halve to 4 (weight 4). 4 at 3 us: weight 8, half of
 * it at 3 us. 4 more at 3 us reach the window: 8 at 3 us and 4 at 50 us halve
 * to 4 and 2 (weight 6), the 50 us samples a third. 64 more at 3 us: eight
 * halvings, the 50 us pair gone (2 -> 1 -> 0). */
Test(lateness, old_samples_fade)
{
    struct kp_lateness l;
    kp_lateness_init(&l, US, 8);
    for (int i = 0; i < 8; i++)
        kp_lateness_add(&l, 50 * US);
    cr_assert_eq(kp_lateness_weight(&l), 4);
    cr_assert_eq(kp_lateness_quantile(&l, 500), 51 * US);
    for (int i = 0; i < 4; i++)
        kp_lateness_add(&l, 3 * US);
    cr_assert_eq(kp_lateness_weight(&l), 8);
    cr_assert_eq(kp_lateness_quantile(&l, 500), 4 * US);  /* 4 of 8 */
    cr_assert_eq(kp_lateness_quantile(&l, 510), 51 * US); /* ceil(4.08) = 5 of 8 */
    for (int i = 0; i < 4; i++)
        kp_lateness_add(&l, 3 * US);
    cr_assert_eq(kp_lateness_weight(&l), 6, "halved at the window: 4 + 2");
    cr_assert_eq(kp_lateness_quantile(&l, 666), 4 * US);  /* ceil(3.996) = 4 of 6 */
    cr_assert_eq(kp_lateness_quantile(&l, 667), 51 * US); /* ceil(4.002) = 5 of 6 */
    for (int i = 0; i < 64; i++)
        kp_lateness_add(&l, 3 * US);
    cr_assert_eq(kp_lateness_quantile(&l, 1000), 4 * US);
}
