/* SPDX-License-Identifier: BSD-2-Clause */
/* Tests of core/record/run_checks.c: the four counts a run reconciles and the
 * status they give. Each case breaks one count on purpose; the expected
 * verdicts follow run_checks.h's definitions. */
#include <criterion/criterion.h>
#include <string.h>

#include "core/record/run_checks.h"

/* A /22 x 3 methods that went well. */
static struct kp_run_counts good(void)
{
    struct kp_run_counts c;
    memset(&c, 0, sizeof(c));
    c.planned = 3072;
    c.recorded = 3072;
    c.probes_sent = 9000;
    c.probes_captured = 9000;
    c.replies_captured = 8600;
    c.replies = 8500;
    c.replies_ignored = 40;
    c.unmatched = 50;
    c.rejected = 10;
    return c;
}

Test(run_checks, a_clean_run_is_complete)
{
    struct kp_run_counts c = good();
    struct kp_run_check ch[KP_RUN_CHECKS];
    cr_assert_eq(kp_run_checks(&c, ch), 0);
    for (int i = 0; i < KP_RUN_CHECKS; i++)
        cr_assert(ch[i].ok, "%s: %s", ch[i].name, ch[i].detail);
    cr_assert_str_eq(kp_run_status(false, 0, false), "complete");
    cr_assert_str_eq(ch[KP_CHECK_PROBES].detail,
                     "sent 9000 = captured 9000 + capture losses 0 (the kernel dropped 0 frames)");
    char sum[400];
    kp_run_checks_summary(ch, sum, sizeof(sum));
    cr_assert_str_eq(sum, "");
}

Test(run_checks, lost_traces_are_named)
{
    /* the 15-bit ids of older kptrace: 234 traces of a /16 merged into
     * others, 65302 records for 65536 planned, nothing skipped */
    struct kp_run_counts c = good();
    c.planned = 65536;
    c.recorded = 65302;
    struct kp_run_check ch[KP_RUN_CHECKS];
    cr_assert_eq(kp_run_checks(&c, ch), 1);
    cr_assert_not(ch[KP_CHECK_TRACES].ok);
    cr_assert_str_eq(ch[KP_CHECK_TRACES].detail,
                     "planned 65536 != recorded 65302 + skipped 0 (not started 0, not sent 0, not "
                     "captured 0, not written 0)");
    cr_assert_str_eq(kp_run_status(false, 1, false), "incomplete");
}

Test(run_checks, skips_are_fine_only_when_interrupted)
{
    struct kp_run_counts c = good();
    c.recorded = 3000;
    c.skipped_not_started = 70;
    c.skipped_not_sent = 2;
    c.interrupted = true;
    struct kp_run_check ch[KP_RUN_CHECKS];
    cr_assert_eq(kp_run_checks(&c, ch), 0);
    cr_assert_str_eq(kp_run_status(false, 0, true), "interrupted");
    /* the same skips in a run that went to its end: incomplete */
    c.interrupted = false;
    cr_assert_eq(kp_run_checks(&c, ch), 1);
    cr_assert_not(ch[KP_CHECK_TRACES].ok);
    cr_assert(strstr(ch[KP_CHECK_TRACES].detail, "not interrupted") != NULL);
}

Test(run_checks, a_split_trace_is_not_complete)
{
    /* the SIGSTOP case of older kptrace: 3077 records for 3072 traces */
    struct kp_run_counts c = good();
    c.records_unplanned = 5;
    c.traces_split = 5;
    struct kp_run_check ch[KP_RUN_CHECKS];
    cr_assert_eq(kp_run_checks(&c, ch), 1);
    cr_assert_not(ch[KP_CHECK_RECORDS].ok);
    char sum[400];
    kp_run_checks_summary(ch, sum, sizeof(sum));
    cr_assert_str_eq(sum, "records: records of no planned trace or a second time 5, traces split "
                          "5, closed early 0");
}

Test(run_checks, capture_losses)
{
    struct kp_run_check ch[KP_RUN_CHECKS];
    /* probes missing without a drop to explain them */
    struct kp_run_counts c = good();
    c.probes_captured = 8990;
    cr_assert_eq(kp_run_checks(&c, ch), 1);
    cr_assert_str_eq(
        ch[KP_CHECK_PROBES].detail,
        "sent 9000 != captured 8990 + capture losses 10 (the kernel dropped 0 frames)");
    /* explained by drops: the identity holds, but a capture that lost frames
     * is incomplete all the same (replies may be missing) */
    c.capture_dropped = 25;
    cr_assert_eq(kp_run_checks(&c, ch), 1);
    cr_assert_str_eq(
        ch[KP_CHECK_PROBES].detail,
        "sent 9000 = captured 8990 + capture losses 10 (the kernel dropped 25 frames)");
    /* more probes captured than sent: someone else's */
    c = good();
    c.probes_captured = 9001;
    cr_assert_eq(kp_run_checks(&c, ch), 1);
}

Test(run_checks, every_reply_counted_once)
{
    struct kp_run_counts c = good();
    c.unmatched = 49;
    struct kp_run_check ch[KP_RUN_CHECKS];
    cr_assert_eq(kp_run_checks(&c, ch), 1);
    cr_assert_str_eq(ch[KP_CHECK_REPLIES].detail, "captured 8600 != matched 8540 (recorded 8500, "
                                                  "ignored 40) + unmatched 49 + rejected 10");
    cr_assert_str_eq(kp_run_status(true, 1, false), "error", "an error wins");
}

/* A link that went down took probes with it, silently (the kernel said they
 * were sent): missing probes are explained up to those sent just before the
 * fault, not one more. */
Test(run_checks, probes_lost_with_the_link)
{
    struct kp_run_counts c = good();
    struct kp_run_check ch[KP_RUN_CHECKS];
    c.probes_captured = 8999;
    cr_assert_eq(kp_run_checks(&c, ch), 1, "one missing, no fault: incomplete");
    cr_assert_not(ch[KP_CHECK_PROBES].ok);
    c.probes_at_fault = 3;
    cr_assert_eq(kp_run_checks(&c, ch), 0, "%s", ch[KP_CHECK_PROBES].detail);
    cr_assert_str_eq(ch[KP_CHECK_PROBES].detail,
                     "sent 9000 = captured 8999 + capture losses 1 (the kernel dropped 0 frames); "
                     "3 sent just before the network failed may have died with the link");
    c.probes_captured = 8996;
    cr_assert_eq(kp_run_checks(&c, ch), 1, "4 missing, 3 at the fault: incomplete");
}
