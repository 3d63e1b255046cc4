/* SPDX-License-Identifier: BSD-2-Clause */
/* Tests of core/plan/jobs.c: a sweep's jobs in a keyed random order, without a
 * list. Expected values are from the definition of the natural order in
 * jobs.h (range by range, address by address, method by method). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/plan/jobs.h"
#include "engine_test.h"

/* Every job exactly once, for sizes around the powers of two. */
Test(jobs, every_job_once)
{
    const uint32_t sizes[] = {1, 2, 3, 4, 5, 63, 64, 65, 255, 256, 1000, 1024, 4097, 65536};
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        for (unsigned nm = 1; nm <= 3; nm++) {
            struct kp_target_range r = R(0xc6120000u, sizes[k]);
            struct kp_jobs j;
            cr_assert_eq(kp_jobs_init(&j, &r, 1, nm, 42 + k, NULL), 0);
            uint64_t n = (uint64_t)sizes[k] * nm;
            cr_assert_eq(j.n, n);
            uint8_t *seen = calloc(n, 1);
            struct kp_job job;
            uint64_t got = 0;
            while (kp_jobs_next(&j, &job)) {
                cr_assert_lt(job.index, n);
                cr_assert_eq(seen[job.index], 0, "job %llu twice", (unsigned long long)job.index);
                seen[job.index] = 1;
                cr_assert_eq(job.addr, 0xc6120000u + (uint32_t)(job.index / nm));
                cr_assert_eq(job.mi, job.index % nm);
                got++;
            }
            cr_assert_eq(got, n, "size %u x %u: %llu jobs", sizes[k], nm, (unsigned long long)got);
            free(seen);
            kp_jobs_free(&j);
        }
    }
}

/* A /16 x 3 methods (196 608 jobs): each once, and in a random order: few
 * consecutive jobs are natural neighbours (a sorted order would give them
 * all), the first 1000 spread over many /24s. */
Test(jobs, a_slash16_times_three_in_random_order)
{
    struct kp_target_range r = R(0xc6130000u, 65536);
    struct kp_jobs j;
    cr_assert_eq(kp_jobs_init(&j, &r, 1, 3, 7, NULL), 0);
    uint64_t *seen = calloc(kp_jobs_bitmap_words(j.n), 8);
    uint8_t groups[256] = {0};
    struct kp_job job;
    uint64_t prev = UINT64_MAX, adjacent = 0, n = 0;
    while (kp_jobs_next(&j, &job)) {
        cr_assert(!kp_jobs_bit(seen, job.index));
        kp_jobs_bit_set(seen, job.index);
        if (prev != UINT64_MAX && (job.index == prev + 1 || job.index + 1 == prev))
            adjacent++;
        if (n < 1000)
            groups[(job.addr >> 8) & 255] = 1;
        prev = job.index;
        n++;
    }
    cr_assert_eq(n, 196608);
    cr_assert_lt(adjacent, 100, "%llu natural neighbours in a row", (unsigned long long)adjacent);
    unsigned ng = 0;
    for (int i = 0; i < 256; i++)
        ng += groups[i];
    cr_assert_gt(ng, 200, "the first 1000 jobs touch %u /24s", ng);
    free(seen);
    kp_jobs_free(&j);
}

Test(jobs, the_seed_decides_the_order)
{
    struct kp_target_range r = R(0x0a000000u, 1024);
    struct kp_jobs a, b, c;
    cr_assert_eq(kp_jobs_init(&a, &r, 1, 2, 99, NULL), 0);
    cr_assert_eq(kp_jobs_init(&b, &r, 1, 2, 99, NULL), 0);
    cr_assert_eq(kp_jobs_init(&c, &r, 1, 2, 100, NULL), 0);
    struct kp_job x, y, z;
    unsigned differ = 0;
    while (kp_jobs_next(&a, &x)) {
        cr_assert(kp_jobs_next(&b, &y));
        cr_assert(kp_jobs_next(&c, &z));
        cr_assert_eq(x.index, y.index);
        differ += x.index != z.index;
    }
    cr_assert_gt(differ, 1900);
    kp_jobs_free(&a);
    kp_jobs_free(&b);
    kp_jobs_free(&c);
}

/* Resume: done jobs are left out, the others keep their relative order. */
Test(jobs, done_jobs_are_left_out_in_the_same_order)
{
    struct kp_target_range r[2] = {R(0xc6130100u, 256), R(0xc6130000u, 100)};
    struct kp_jobs all, rest;
    cr_assert_eq(kp_jobs_init(&all, r, 2, 2, 5, NULL), 0);
    uint64_t done[(712 + 63) / 64];
    memset(done, 0, sizeof(done));
    for (uint64_t i = 0; i < 712; i += 3)
        kp_jobs_bit_set(done, i);
    cr_assert_eq(kp_jobs_init(&rest, r, 2, 2, 5, done), 0);
    cr_assert_eq(rest.left, 712 - 238); /* 0, 3, ..., 711: 238 done */
    struct kp_job x, y;
    while (kp_jobs_next(&all, &x)) {
        if (kp_jobs_bit(done, x.index))
            continue;
        cr_assert(kp_jobs_next(&rest, &y));
        cr_assert_eq(x.index, y.index);
    }
    cr_assert(!kp_jobs_next(&rest, &y));
    kp_jobs_free(&all);
    kp_jobs_free(&rest);
}

/* The natural order: ranges in the order given (not sorted), then address,
 * then method. */
Test(jobs, natural_index_and_back)
{
    /* 198.19.177.0/24 given first, then 198.19.176.0/30 */
    struct kp_target_range r[2] = {R(0xc613b100u, 256), R(0xc613b000u, 4)};
    struct kp_jobs j;
    cr_assert_eq(kp_jobs_init(&j, r, 2, 3, 1, NULL), 0);
    cr_assert_eq(kp_jobs_index(&j, 0xc613b100u, 0), 0);
    cr_assert_eq(kp_jobs_index(&j, 0xc613b100u, 2), 2);
    cr_assert_eq(kp_jobs_index(&j, 0xc613b101u, 1), 4);
    cr_assert_eq(kp_jobs_index(&j, 0xc613b1ffu, 2), 255 * 3 + 2);
    cr_assert_eq(kp_jobs_index(&j, 0xc613b000u, 0), 256 * 3);
    cr_assert_eq(kp_jobs_index(&j, 0xc613b003u, 1), (256 + 3) * 3 + 1);
    cr_assert_eq(kp_jobs_index(&j, 0xc613b004u, 0), -1); /* after the /30 */
    cr_assert_eq(kp_jobs_index(&j, 0xc613afffu, 0), -1); /* before everything */
    cr_assert_eq(kp_jobs_index(&j, 0xc613b200u, 0), -1); /* after everything */
    cr_assert_eq(kp_jobs_index(&j, 0xc613b100u, 3), -1); /* no 4th method */
    for (uint64_t i = 0; i < j.n; i++) {
        struct kp_job x = kp_jobs_at(&j, i);
        cr_assert_eq(kp_jobs_index(&j, x.addr, x.mi), (int64_t)i);
        cr_assert_eq(x.range, i < 768 ? 0u : 1u);
    }
    kp_jobs_free(&j);
}

Test(jobs, refused)
{
    struct kp_jobs j;
    struct kp_target_range over[2] = {R(0x0a000000u, 256), R(0x0a000080u, 16)};
    cr_assert_eq(kp_jobs_init(&j, over, 2, 1, 1, NULL), -EINVAL);
    struct kp_target_range empty = R(0x0a000000u, 0);
    cr_assert_eq(kp_jobs_init(&j, &empty, 1, 1, 1, NULL), -EINVAL);
    struct kp_target_range one = R(0x0a000000u, 1);
    cr_assert_eq(kp_jobs_init(&j, &one, 1, 0, 1, NULL), -EINVAL);
}
