/* SPDX-License-Identifier: BSD-2-Clause */
/* progress.h — the progress line of a run on standard error (only when it
 * is a terminal and the command wants it). Plain data owned by the caller. */
#ifndef KP_PROGRESS_H
#define KP_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/record/run_stats.h"

struct kp_progress {
    int enabled;
    int64_t t0_ns;
    int printed;
};
/* Start: shown when wanted (the command's --no-progress and -q say no) and
 * standard error is a terminal; now_ns is a monotonic clock. */
void kp_progress_init(struct kp_progress *p, bool wanted, int64_t now_ns);
/* Redraw "done/planned traces, probes (rate), replies, saved, ETA" in place
 * (ETA from the rate at which traces finished so far). */
void kp_progress_update(struct kp_progress *p, const struct kp_engine_stats *st, int64_t now_ns);
/* End the line (a newline if anything was drawn). */
void kp_progress_end(struct kp_progress *p);

#endif
