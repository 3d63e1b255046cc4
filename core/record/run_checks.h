/* SPDX-License-Identifier: BSD-2-Clause */
/* run_checks.h — the counts every run must reconcile, checked at its end.
 *
 * A run that says `complete` holds every trace it planned, once, and every
 * probe and reply it saw is accounted for. Four checks (docs/format.md):
 *
 *   traces   planned = recorded + skipped, each skip with its reason; and a
 *            run that was not interrupted skipped nothing
 *   records  one record per (address, method): no record of a trace the run
 *            did not plan or recorded already (a split), none closed early
 *   probes   probes sent = probes captured + capture losses: the capture
 *            holds every probe sent, or the kernel counted the frames it lost
 *            — and a capture that lost frames is incomplete (replies may be
 *            missing from the records)
 *   replies  replies captured = matched + unmatched + rejected (matched:
 *            recorded, or ignored as a copy, too late or ambiguous)
 *
 * A failed check makes the run `incomplete` (kp_run_status) and names the
 * counts that disagree. Pure: no I/O, clocks or globals.
 */
#ifndef KP_RUN_CHECKS_H
#define KP_RUN_CHECKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/record/run_stats.h"

struct kp_run_counts {
    uint64_t planned;  /* traces planned */
    uint64_t recorded; /* records of planned traces written */
    /* planned traces without a record, by reason */
    uint64_t skipped_not_started;         /* the run stopped before starting them */
    uint64_t skipped_not_sent;            /* started, none of their probes left */
    uint64_t skipped_not_captured;        /* probes sent, none in the capture */
    uint64_t skipped_write_error;         /* their record could not be written */
    uint64_t records_unplanned;           /* records of no planned trace, or a second one */
    uint64_t traces_split, traces_forced; /* rx: own traces cut or closed early */
    uint64_t probes_sent, probes_captured;
    uint64_t capture_dropped; /* frames the kernel's capture lost (dropped + if_dropped) */
    uint64_t probes_at_fault; /* probes sent just before the network failed: the kernel
                                 may have dropped them with the link, silently */
    uint64_t replies_captured, replies, replies_ignored, unmatched, rejected;
    bool interrupted; /* the run was stopped before its end (signal, error) */
};

enum kp_run_check_id { KP_CHECK_TRACES = 0, KP_CHECK_RECORDS, KP_CHECK_PROBES, KP_CHECK_REPLIES };
#define KP_RUN_CHECKS 4

struct kp_run_check {
    const char *name; /* "traces", "records", "probes", "replies" */
    bool ok;
    char detail[256]; /* the counts, e.g. "planned 3072 = recorded 3070 + skipped 2 (...)" */
};

/* Check c; out[KP_RUN_CHECKS] gets one result per check. Returns the number
 * of checks that failed. */
int kp_run_checks(const struct kp_run_counts *c, struct kp_run_check out[KP_RUN_CHECKS]);

/* The counts of a run from its engine's counters; not_written: records that
 * could not be written (skipped_write_error, taken off the recorded ones). */
void kp_run_counts_from_stats(const struct kp_engine_stats *st, uint64_t not_written,
                              struct kp_run_counts *c);

/* The skips of c, summed. */
uint64_t kp_run_skipped(const struct kp_run_counts *c);

/* The status of a run: "error" when it failed, else "incomplete" when a
 * check failed, else "interrupted" or "complete". */
const char *kp_run_status(bool error, int failed_checks, bool interrupted);

/* "name: detail; name: detail" of the failed checks into buf. */
void kp_run_checks_summary(const struct kp_run_check *ch, char *buf, size_t len);

#endif
