/* SPDX-License-Identifier: BSD-2-Clause */
/* admit.h — which trace starts next and what it starts with (Doubletree
 * buckets), and the slots the running traces hold.
 *
 * Jobs come from kp_jobs (jobs.h) in the run's random order. Without
 * Doubletree every job starts as it comes. With Doubletree (Donnet et al.
 * 2005) jobs are grouped in BUCKETS, one per (destination /24, method):
 *
 *  - the first job drawn of a bucket is its PILOT: it starts at once, from
 *    the first TTL, and publishes per TTL what it finds into the bucket's
 *    hint (tracer.h: struct kp_tracer_hint);
 *  - jobs of the bucket drawn while the pilot runs WAIT in the bucket's
 *    queue, and admission draws further jobs meanwhile, so that the sender
 *    has work whenever some job can start (at most max_queued jobs wait);
 *  - the bucket is RELEASED as soon as the pilot's forward probing has its
 *    answer (the destination or an unreachable: kp_admit_release), or when
 *    the pilot is done (kp_admit_pilot_done), not only when every TTL below
 *    has run out its wait; its queued jobs, and every later one, start as
 *    FOLLOWERS: at the border TTL the pilot found, reading the hint (TTLs the
 *    pilot found silent are skipped, those still pending deferred).
 *
 * Released followers start before newly drawn jobs. kp_admit_next says END
 * once every job was handed out, WAIT when the jobs left all wait for
 * pilots (or max_queued are waiting).
 *
 * Memory: O(ranges + /24s x methods) for the buckets (40 bytes each), the
 * waiting jobs (at most max_queued) and one array of TTL times per running
 * pilot; nothing per job.
 *
 * Slots (struct kp_slots): each running trace holds a slot, 0..n-1, carried
 * in its probes' marker; a slot freed by a finished trace is the next one
 * handed out (last in, first out), so that the receive path learns soon that
 * the trace is over (rx.h: kp_rx_probe.exact).
 *
 * Pure: no I/O, clocks or globals. The admission owns its memory
 * (kp_admit_create/destroy); ranges and done are borrowed.
 */
#ifndef KP_ADMIT_H
#define KP_ADMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/plan/jobs.h"
#include "core/plan/tracer.h"

#define KP_ADMIT_NO_BUCKET UINT32_MAX

struct kp_admit_config {
    const struct kp_target_range *ranges;
    size_t n_ranges;
    unsigned n_methods;
    uint64_t seed;
    const uint64_t *done; /* resume: jobs already done (jobs.h bitmap), NULL none */
    bool doubletree;
    uint32_t max_queued; /* jobs waiting for their bucket's pilot, at most; 0 = 65536 */
};

struct kp_admit_start {
    struct kp_job job;
    uint32_t bucket;             /* KP_ADMIT_NO_BUCKET without Doubletree */
    bool pilot;                  /* the first of its bucket: write the hint */
    bool follower;               /* after the pilot: start at the border, read the hint */
    struct kp_tracer_hint *hint; /* the bucket's (valid while the admission lives) */
};

enum kp_admit_status {
    KP_ADMIT_START = 0, /* *out is a job to start now */
    KP_ADMIT_WAIT = 1,  /* nothing can start before a pilot releases its bucket */
    KP_ADMIT_END = 2,   /* every job was handed out */
};

struct kp_admit;

/* 0, -EINVAL (see kp_jobs_init) or -ENOMEM. */
int kp_admit_create(const struct kp_admit_config *cfg, struct kp_admit **out);
void kp_admit_destroy(struct kp_admit *a);

/* The next job to start. -ENOMEM when a pilot's hint could not be allocated
 * (nothing handed out). */
int kp_admit_next(struct kp_admit *a, struct kp_admit_start *out);

/* The pilot of `bucket` has its forward answer: its waiting jobs may start. */
void kp_admit_release(struct kp_admit *a, uint32_t bucket);

/* The pilot of `bucket` will send nothing more: released, and its hint's
 * pending TTLs are final (the hint's times are freed). */
void kp_admit_pilot_done(struct kp_admit *a, uint32_t bucket);

/* Resume: an earlier part of the sweep traced (addr, method index mi): its
 * bucket's pilot is done (its jobs start as followers, without a hint). */
void kp_admit_known(struct kp_admit *a, uint32_t addr, unsigned mi);

/* Jobs in the run (not done), handed out so far, waiting in queues. */
uint64_t kp_admit_jobs(const struct kp_admit *a);
uint64_t kp_admit_handed(const struct kp_admit *a);
uint64_t kp_admit_queued(const struct kp_admit *a);
/* The jobs (kp_jobs_index / kp_jobs_at). */
const struct kp_jobs *kp_admit_job_list(const struct kp_admit *a);

/* ---- slots ---- */
struct kp_slots {
    uint32_t *free; /* stack of free slots */
    uint32_t n_free, n;
};
/* n slots, all free. 0, -ENOMEM or -EINVAL (n 0). */
int kp_slots_init(struct kp_slots *s, uint32_t n);
void kp_slots_free(struct kp_slots *s);
/* A free slot (the one freed last), or -1 when every slot is held. */
int64_t kp_slots_take(struct kp_slots *s);
/* Give back a slot taken with kp_slots_take. */
void kp_slots_put(struct kp_slots *s, uint32_t slot);

#endif
