/* Tests of the run's trace-id table (probe/trace_owner.h): a record is the
 * run's own only when its id was started with the same destination and
 * method; records rx built from another prober's probes are not. */
#include <criterion/criterion.h>
#include <errno.h>

#include "probe/trace_owner.h"

static struct kp_trace rec(uint64_t id, const char *dst, enum kp_method m)
{
    struct kp_trace t;
    kp_trace_init(&t);
    t.id = id;
    cr_assert_eq(kp_addr_parse(dst, &t.dst), 0);
    t.method = m;
    return t;
}

Test(trace_owner, only_started_traces_match)
{
    struct kp_trace_owners o;
    cr_assert_eq(kp_trace_owners_init(&o, 8), 0);
    struct kp_trace mine = rec(1, "198.19.1.1", KP_METHOD_ICMP_PARIS);
    kp_trace_owners_set(&o, 1, &mine.dst, KP_METHOD_ICMP_PARIS);
    cr_assert(kp_trace_owners_match(&o, &mine));
    /* Another kptrace on the same address also numbers its traces from 1:
     * its trace 1 to another destination, or ours with another method, and
     * its trace 2 (never started here) are not ours. */
    struct kp_trace other_dst = rec(1, "198.19.4.7", KP_METHOD_ICMP_PARIS);
    struct kp_trace other_method = rec(1, "198.19.1.1", KP_METHOD_UDP_PARIS);
    struct kp_trace never = rec(2, "198.19.1.1", KP_METHOD_ICMP_PARIS);
    cr_assert_not(kp_trace_owners_match(&o, &other_dst));
    cr_assert_not(kp_trace_owners_match(&o, &other_method));
    cr_assert_not(kp_trace_owners_match(&o, &never));
    kp_trace_owners_free(&o);
}

Test(trace_owner, reused_id_names_its_latest_trace)
{
    /* ids wrap (32768 per run): the id's latest trace is the one that counts */
    struct kp_trace_owners o;
    cr_assert_eq(kp_trace_owners_init(&o, 4), 0);
    struct kp_trace first = rec(3, "198.19.1.1", KP_METHOD_UDP);
    struct kp_trace second = rec(3, "198.19.1.2", KP_METHOD_TCP_SYN);
    kp_trace_owners_set(&o, 3, &first.dst, KP_METHOD_UDP);
    kp_trace_owners_set(&o, 3, &second.dst, KP_METHOD_TCP_SYN);
    cr_assert_not(kp_trace_owners_match(&o, &first));
    cr_assert(kp_trace_owners_match(&o, &second));
    kp_trace_owners_free(&o);
}

Test(trace_owner, out_of_range_and_empty)
{
    struct kp_trace_owners o;
    cr_assert_eq(kp_trace_owners_init(&o, 0), -EINVAL);
    cr_assert_eq(kp_trace_owners_init(&o, 4), 0);
    struct kp_trace big = rec(4, "198.19.1.1", KP_METHOD_ICMP_PARIS);
    kp_trace_owners_set(&o, 4, &big.dst, KP_METHOD_ICMP_PARIS); /* ignored: id >= n */
    cr_assert_not(kp_trace_owners_match(&o, &big));
    struct kp_trace zero = rec(0, "0.0.0.0", KP_METHOD_UNKNOWN);
    cr_assert_not(kp_trace_owners_match(&o, &zero)); /* an unused entry matches nothing */
    kp_trace_owners_free(&o);
    kp_trace_owners_free(&o);
    cr_assert_null(o.e);
}
