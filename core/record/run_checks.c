/* SPDX-License-Identifier: BSD-2-Clause */
/* run_checks.c — the counts every run must reconcile. See run_checks.h. */
#include "core/record/run_checks.h"

#include <stdio.h>
#include <string.h>

#define U(x) ((unsigned long long)(x))

void kp_run_counts_from_stats(const struct kp_engine_stats *st, uint64_t not_written,
                              struct kp_run_counts *c)
{
    memset(c, 0, sizeof(*c));
    c->planned = st->jobs;
    c->recorded = st->traces_written >= not_written ? st->traces_written - not_written : 0;
    c->skipped_not_started = st->skipped_not_started;
    c->skipped_not_sent = st->skipped_not_sent;
    c->skipped_not_captured = st->skipped_not_captured;
    c->skipped_write_error = not_written;
    c->records_unplanned = st->records_unplanned;
    c->traces_split = st->rx_traces_split;
    c->traces_forced = st->rx_traces_forced;
    c->probes_sent = st->probes_sent;
    c->probes_captured = st->rx_probes;
    c->capture_dropped = st->cap_drop + st->cap_ifdrop;
    c->probes_at_fault = st->probes_at_fault;
    c->replies_captured = st->rx_replies_in;
    c->replies = st->rx_replies;
    c->replies_ignored = st->rx_replies_ignored;
    c->unmatched = st->rx_unmatched;
    c->rejected = st->rx_rejected;
    c->interrupted = st->interrupted;
}

uint64_t kp_run_skipped(const struct kp_run_counts *c)
{
    return c->skipped_not_started + c->skipped_not_sent + c->skipped_not_captured +
           c->skipped_write_error;
}

int kp_run_checks(const struct kp_run_counts *c, struct kp_run_check out[KP_RUN_CHECKS])
{
    int failed = 0;
    uint64_t skipped = kp_run_skipped(c);
    struct kp_run_check *t = &out[KP_CHECK_TRACES];
    t->name = "traces";
    t->ok = c->planned == c->recorded + skipped && (c->interrupted || skipped == 0);
    snprintf(t->detail, sizeof(t->detail),
             "planned %llu %s recorded %llu + skipped %llu (not started %llu, not sent %llu, "
             "not captured %llu, not written %llu)%s",
             U(c->planned), c->planned == c->recorded + skipped ? "=" : "!=", U(c->recorded),
             U(skipped), U(c->skipped_not_started), U(c->skipped_not_sent),
             U(c->skipped_not_captured), U(c->skipped_write_error),
             c->planned == c->recorded + skipped && !c->interrupted && skipped > 0
                 ? "; the run was not interrupted"
                 : "");
    struct kp_run_check *r = &out[KP_CHECK_RECORDS];
    r->name = "records";
    r->ok = c->records_unplanned == 0 && c->traces_split == 0 && c->traces_forced == 0;
    snprintf(r->detail, sizeof(r->detail),
             "records of no planned trace or a second time %llu, traces split %llu, closed "
             "early %llu",
             U(c->records_unplanned), U(c->traces_split), U(c->traces_forced));
    struct kp_run_check *p = &out[KP_CHECK_PROBES];
    p->name = "probes";
    uint64_t losses = c->probes_sent > c->probes_captured ? c->probes_sent - c->probes_captured : 0;
    /* a link going down drops what is in its way without a word to the
     * sender: probes sent just before a fault may be missing, no more */
    bool explained =
        c->probes_captured <= c->probes_sent && losses <= c->capture_dropped + c->probes_at_fault;
    p->ok = explained && c->capture_dropped == 0;
    int len = snprintf(p->detail, sizeof(p->detail),
                       "sent %llu %s captured %llu + capture losses %llu (the kernel dropped %llu "
                       "frames)",
                       U(c->probes_sent), explained ? "=" : "!=", U(c->probes_captured),
                       U(c->probes_sent >= c->probes_captured ? losses : 0), U(c->capture_dropped));
    if (c->probes_at_fault > 0 && len > 0 && (size_t)len < sizeof(p->detail))
        snprintf(p->detail + len, sizeof(p->detail) - (size_t)len,
                 "; %llu sent just before the network failed may have died with the link",
                 U(c->probes_at_fault));
    struct kp_run_check *q = &out[KP_CHECK_REPLIES];
    q->name = "replies";
    uint64_t sum = c->replies + c->replies_ignored + c->unmatched + c->rejected;
    q->ok = c->replies_captured == sum;
    snprintf(q->detail, sizeof(q->detail),
             "captured %llu %s matched %llu (recorded %llu, ignored %llu) + unmatched %llu + "
             "rejected %llu",
             U(c->replies_captured), q->ok ? "=" : "!=", U(c->replies + c->replies_ignored),
             U(c->replies), U(c->replies_ignored), U(c->unmatched), U(c->rejected));
    for (int i = 0; i < KP_RUN_CHECKS; i++)
        failed += !out[i].ok;
    return failed;
}

const char *kp_run_status(bool error, int failed_checks, bool interrupted)
{
    if (error)
        return "error";
    if (failed_checks > 0)
        return "incomplete";
    return interrupted ? "interrupted" : "complete";
}

void kp_run_checks_summary(const struct kp_run_check *ch, char *buf, size_t len)
{
    size_t k = 0;
    buf[0] = '\0';
    for (int i = 0; i < KP_RUN_CHECKS && k + 1 < len; i++) {
        if (ch[i].ok)
            continue;
        int w = snprintf(buf + k, len - k, "%s%s: %s", k ? "; " : "", ch[i].name, ch[i].detail);
        if (w < 0)
            break;
        k += (size_t)w < len - k ? (size_t)w : len - k - 1;
    }
}
