/* SPDX-License-Identifier: BSD-2-Clause */
/* Tests of the sender's global pause (core/plan/backoff.h). Expected values are
 * worked out by hand from the rule: the pause starts at min, doubles up to
 * max, the first success ends the fault, a fault longer than the limit gives
 * up. */
#include <criterion/criterion.h>
#include <errno.h>

#include "core/plan/backoff.h"

#define MS 1000000LL
#define S  1000000000LL

Test(backoff, pause_doubles_up_to_the_maximum)
{
    struct kp_backoff b;
    kp_backoff_init(&b, 1 * MS, 100 * MS, 0);
    cr_assert_not(kp_backoff_paused(&b, 0));
    int64_t now = 10 * S;
    static const int64_t want[] = {1, 2, 4, 8, 16, 32, 64, 100, 100, 100};
    for (unsigned i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        cr_assert_not(kp_backoff_fail(&b, now), "no limit: never gives up");
        cr_assert_eq(b.until_ns - now, want[i] * MS, "pause %u: %lld ms", i,
                     (long long)((b.until_ns - now) / MS));
        cr_assert(kp_backoff_paused(&b, now + want[i] * MS - 1));
        cr_assert_not(kp_backoff_paused(&b, now + want[i] * MS));
        now += want[i] * MS;
    }
    /* 1+2+4+...+64 = 127, + 3 x 100 = 427 ms of fault so far */
    cr_assert_eq(kp_backoff_fault_ns(&b, now), 427 * MS);
    cr_assert_eq(b.failures, 10);
}

Test(backoff, success_ends_the_fault_and_counts_it)
{
    struct kp_backoff b;
    kp_backoff_init(&b, 1 * MS, 100 * MS, 0);
    cr_assert_not(kp_backoff_ok(&b, 5 * S), "no fault: nothing ends");
    kp_backoff_fail(&b, 10 * S);
    kp_backoff_fail(&b, 10 * S + 1 * MS);
    cr_assert(kp_backoff_ok(&b, 12 * S), "the first success ends it");
    cr_assert_not(kp_backoff_ok(&b, 12 * S + 1), "only once");
    cr_assert_eq(b.faults, 1);
    cr_assert_eq(b.faulted_ns, 2 * S);
    cr_assert_eq(b.longest_ns, 2 * S);
    cr_assert_not(kp_backoff_paused(&b, 12 * S));
    cr_assert_eq(kp_backoff_fault_ns(&b, 13 * S), 0);
    /* a new fault starts again from the first pause */
    kp_backoff_fail(&b, 20 * S);
    cr_assert_eq(b.until_ns, 20 * S + 1 * MS);
    kp_backoff_ok(&b, 20 * S + 500 * MS);
    cr_assert_eq(b.faults, 2);
    cr_assert_eq(b.faulted_ns, 2 * S + 500 * MS);
    cr_assert_eq(b.longest_ns, 2 * S, "the longest stays the 2 s one");
}

Test(backoff, a_fault_beyond_the_limit_gives_up)
{
    struct kp_backoff b;
    kp_backoff_init(&b, 1 * MS, 100 * MS, 3 * S);
    cr_assert_not(kp_backoff_fail(&b, 100 * S));
    cr_assert_not(kp_backoff_fail(&b, 102 * S));
    cr_assert_not(kp_backoff_fail(&b, 103 * S), "exactly the limit: not beyond");
    cr_assert(kp_backoff_fail(&b, 103 * S + 1));
    /* a success in between restarts the count */
    kp_backoff_ok(&b, 104 * S);
    cr_assert_not(kp_backoff_fail(&b, 105 * S));
    cr_assert_not(kp_backoff_fail(&b, 107 * S));
    cr_assert(kp_backoff_fail(&b, 108 * S + 1));
}

Test(backoff, which_errors_are_transient)
{
    static const int yes[] = {ENETUNREACH, EHOSTUNREACH, ENETDOWN, ENOBUFS, EAGAIN, ENOMEM,
                              EINTR,       EPERM,        EACCES,   ENODEV,  ENXIO};
    static const int no[] = {EMSGSIZE, EINVAL, EBADF, EAFNOSUPPORT, EFAULT};
    for (unsigned i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
        cr_assert(kp_send_error_transient(-yes[i]), "errno %d", yes[i]);
    for (unsigned i = 0; i < sizeof(no) / sizeof(no[0]); i++)
        cr_assert_not(kp_send_error_transient(-no[i]), "errno %d", no[i]);
    cr_assert_not(kp_send_error_transient(0));
}

Test(backoff, errno_names)
{
    char buf[16];
    cr_assert_str_eq(kp_errno_name(ENETUNREACH, buf, sizeof(buf)), "ENETUNREACH");
    cr_assert_str_eq(kp_errno_name(ENOBUFS, buf, sizeof(buf)), "ENOBUFS");
    cr_assert_str_eq(kp_errno_name(EPERM, buf, sizeof(buf)), "EPERM");
    cr_assert_str_eq(kp_errno_name(4000, buf, sizeof(buf)), "E4000");
}
