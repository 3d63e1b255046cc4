/* SPDX-License-Identifier: BSD-2-Clause */
/* jobs.h — the jobs of a sweep, one at a time, in a random order, without a
 * list of them.
 *
 * A sweep's jobs are every (address, method) of its target ranges. Each job
 * has a NATURAL index: for range r (in the order given), address offset off
 * and method index mi, (addresses of the ranges before r + off) * n_methods
 * + mi. The natural index is what `kptrace sweep --resume` records as done
 * (a bitmap, one bit per job).
 *
 * kp_jobs_next() hands the jobs out in a random order that is a function of
 * the seed alone: a keyed permutation of [0, n) (a 4-round Feistel network
 * over the smallest even-width power of two >= n, cycle-walking back into
 * [0, n)). So the order over (target, method) is random, a resumed sweep
 * keeps the order of the jobs it has left, and nothing per job is kept:
 * memory is O(number of ranges) whatever the number of addresses (the
 * prober's memory follows the traces in flight, not the target list).
 *
 * Pure: no I/O, clocks or globals. kp_jobs_init allocates the range index,
 * kp_jobs_free releases it; ranges and done are borrowed.
 */
#ifndef KP_JOBS_H
#define KP_JOBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/record/run_stats.h"

struct kp_job {
    uint64_t index; /* natural index */
    uint32_t addr;  /* host order */
    uint32_t range; /* index into the ranges */
    uint8_t mi;     /* method index */
};

struct kp_jobs {
    const struct kp_target_range *r;
    size_t n_ranges;
    unsigned n_methods;
    uint64_t n;        /* jobs (addresses x methods) */
    uint64_t *first;   /* first[i]: addresses of the ranges before range i (n_ranges + 1) */
    uint32_t *by_base; /* range indices sorted by base (for kp_jobs_index) */
    unsigned half;     /* Feistel half width, bits */
    uint64_t keys[4];
    uint64_t pos, domain; /* next position of the permutation, its size */
    const uint64_t *done; /* bitmap of n bits: jobs not to hand out (NULL none) */
    uint64_t left;        /* jobs still to hand out */
};

/* Prepare the jobs of n_ranges ranges x n_methods methods, in the order
 * given by seed, leaving out those whose bit is set in done (kp_jobs_bitmap
 * words; NULL = none). The ranges must not overlap. 0, -EINVAL (no method,
 * a range of 0 addresses, overlapping ranges) or -ENOMEM. */
int kp_jobs_init(struct kp_jobs *j, const struct kp_target_range *ranges, size_t n_ranges,
                 unsigned n_methods, uint64_t seed, const uint64_t *done);
void kp_jobs_free(struct kp_jobs *j);

/* The next job in the run's order. false when every job was handed out. */
bool kp_jobs_next(struct kp_jobs *j, struct kp_job *out);

/* The job kp_jobs_next just returned comes again on the next call (a caller
 * that could not take it). */
void kp_jobs_unget(struct kp_jobs *j);

/* Natural index of (addr, method index mi), or -1 when addr is in no range
 * or mi >= n_methods. O(log n_ranges). */
int64_t kp_jobs_index(const struct kp_jobs *j, uint32_t addr, unsigned mi);

/* The job with natural index `index` (< j->n). */
struct kp_job kp_jobs_at(const struct kp_jobs *j, uint64_t index);

/* Bitmaps over natural indices: words needed for n bits, set, test. */
static inline size_t kp_jobs_bitmap_words(uint64_t n)
{
    return (size_t)((n + 63) / 64);
}
static inline void kp_jobs_bit_set(uint64_t *bm, uint64_t i)
{
    bm[i / 64] |= 1ull << (i % 64);
}
static inline bool kp_jobs_bit(const uint64_t *bm, uint64_t i)
{
    return (bm[i / 64] >> (i % 64)) & 1u;
}

#endif
