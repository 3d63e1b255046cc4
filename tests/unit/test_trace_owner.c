/* SPDX-License-Identifier: BSD-2-Clause */
/* Tests of the run's traces in flight (core/record/trace_owner.h): a record
 * matches the plan only when its id was started with the same destination
 * and method, and only once; the table holds the traces between their start
 * and their record, not the run's. */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "core/record/trace_owner.h"

static struct kp_trace rec(uint64_t id, const char *dst, enum kp_method m)
{
    struct kp_trace t;
    kp_trace_init(&t);
    t.id = id;
    cr_assert_eq(kp_addr_parse(dst, &t.dst), 0);
    t.method = m;
    return t;
}

Test(trace_owner, a_record_matches_its_start_once)
{
    struct kp_trace_owners o;
    kp_trace_owners_init(&o);
    struct kp_trace mine = rec(70001, "198.19.1.1", KP_METHOD_ICMP_PARIS);
    struct kp_trace_owner *e = kp_trace_owners_add(&o, 70001, &mine.dst, KP_METHOD_ICMP_PARIS, 42);
    cr_assert_not_null(e);
    cr_assert_eq(kp_trace_owners_find(&o, 70001), e);
    /* the same id with another destination or method is not ours */
    struct kp_trace other_dst = rec(70001, "198.19.4.7", KP_METHOD_ICMP_PARIS);
    struct kp_trace other_method = rec(70001, "198.19.1.1", KP_METHOD_UDP_PARIS);
    struct kp_trace never = rec(2, "198.19.1.1", KP_METHOD_ICMP_PARIS);
    struct kp_trace_owner *got;
    cr_assert_eq(kp_trace_owners_take(&o, &other_dst, &got), KP_OWNER_MISMATCH);
    cr_assert_eq(kp_trace_owners_take(&o, &other_method, &got), KP_OWNER_MISMATCH);
    cr_assert_eq(kp_trace_owners_take(&o, &never, &got), KP_OWNER_UNKNOWN);
    cr_assert_null(got);
    cr_assert_eq(kp_trace_owners_take(&o, &mine, &got), KP_OWNER_OK);
    cr_assert_eq(got->job, 42);
    kp_trace_owner_free(got);
    /* a second record of the same trace (a split) finds nothing */
    cr_assert_eq(kp_trace_owners_take(&o, &mine, &got), KP_OWNER_UNKNOWN);
    cr_assert_eq(kp_trace_owners_count(&o), 0);
    kp_trace_owners_free(&o);
}

static void count_left(void *ctx, const struct kp_trace_owner *e)
{
    uint64_t *sum = ctx;
    *sum += e->id;
}

/* 3 000 000 traces (a /12 x 3), at most 20 000 in flight: the table never
 * holds more than those, and the hash walks stay short (the htab's step
 * counter: about one node per lookup, not a function of the run). */
Test(trace_owner, memory_follows_the_traces_in_flight)
{
    struct kp_trace_owners o;
    kp_trace_owners_init(&o);
    struct kp_addr d;
    cr_assert_eq(kp_addr_parse("198.19.0.1", &d), 0);
    const uint64_t n = 3000000, inflight = 20000;
    size_t most = 0;
    for (uint64_t id = 1; id <= n; id++) {
        cr_assert_not_null(kp_trace_owners_add(&o, id, &d, KP_METHOD_UDP, id));
        if (id > inflight) {
            struct kp_trace t = rec(id - inflight, "198.19.0.1", KP_METHOD_UDP);
            struct kp_trace_owner *got;
            cr_assert_eq(kp_trace_owners_take(&o, &t, &got), KP_OWNER_OK);
            kp_trace_owner_free(got);
        }
        if (kp_trace_owners_count(&o) > most)
            most = kp_trace_owners_count(&o);
    }
    cr_assert_eq(most, inflight);
    cr_assert_lt(o.tab.steps, 4 * n, "%llu steps", (unsigned long long)o.tab.steps);
    /* the last 20 000 never got a record: handed to the callback */
    uint64_t sum = 0;
    kp_trace_owners_drain(&o, count_left, &sum);
    cr_assert_eq(sum, (n - inflight + 1 + n) * inflight / 2);
    cr_assert_eq(kp_trace_owners_count(&o), 0);
    kp_trace_owners_free(&o);
}
