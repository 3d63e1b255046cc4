/* SPDX-License-Identifier: BSD-2-Clause */
/* progress.c — the progress line of a run, on a terminal only. See
 * progress.h. */
#include <stdio.h>
#include <unistd.h>

#include "prober/sys/progress.h"
#include "core/plan/backoff.h"

void kp_progress_init(struct kp_progress *p, bool wanted, int64_t now_ns)
{
    p->enabled = wanted && isatty(STDERR_FILENO);
    p->t0_ns = now_ns;
    p->printed = 0;
}

void kp_progress_update(struct kp_progress *p, const struct kp_engine_stats *st, int64_t now_ns)
{
    if (!p->enabled)
        return;
    double el = (double)(now_ns - p->t0_ns) / 1e9;
    if (el <= 0)
        return;
    double pps = (double)st->probes_sent / el;
    double tps = (double)st->done / el;
    double left = tps > 0 ? (double)(st->jobs - st->done) / tps : -1;
    fprintf(stderr, "\r%llu/%llu traces, %llu probes (%.0f/s), %llu replies, %llu saved",
            (unsigned long long)st->done, (unsigned long long)st->jobs,
            (unsigned long long)st->probes_sent, pps, (unsigned long long)st->rx_replies,
            (unsigned long long)st->probes_saved);
    if (st->fault_now_ns > 0) {
        char b[16];
        fprintf(stderr, ", PAUSED: sends refused for %llds (%s)   ",
                (long long)(st->fault_now_ns / 1000000000LL),
                kp_errno_name(st->fault_errno, b, sizeof(b)));
        p->printed = 1;
        return;
    }
    if (left >= 0)
        fprintf(stderr, ", ETA %dm%02ds   ", (int)(left / 60), (int)left % 60);
    else
        fputs(", ETA --   ", stderr);
    p->printed = 1;
}

void kp_progress_end(struct kp_progress *p)
{
    if (p->enabled && p->printed)
        fputc('\n', stderr);
}
