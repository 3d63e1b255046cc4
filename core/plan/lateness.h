/* SPDX-License-Identifier: BSD-2-Clause */
/* lateness.h — how late the sender's sleeps end, and its quantiles.
 *
 * A sleep asked for d ns ends after d + late ns: timer interrupts, the
 * scheduler and (on a virtual machine) the host add `late`. The pacer's
 * sender wakes up that much ahead of a send and waits the rest awake, so it
 * keeps the samples of `late` in a histogram of fixed-width buckets and asks
 * it for a high quantile.
 *
 * The histogram forgets: every `window` samples all counts halve, so a
 * sample weighs half as much a window later and the quantiles follow what
 * the machine does now (another process starting, the host busy).
 *
 * Pure: no clocks, no globals, no allocation; the struct is plain data owned
 * by the caller.
 */
#ifndef KP_LATENESS_H
#define KP_LATENESS_H

#include <stdint.h>

#define KP_LATENESS_BUCKETS 256u

struct kp_lateness {
    int64_t bucket_ns; /* width of a bucket; the last one holds everything beyond */
    uint32_t window;   /* samples between two halvings */
    uint32_t since;    /* samples since the last halving */
    uint64_t total;    /* the sum of the counts */
    uint32_t count[KP_LATENESS_BUCKETS];
};

/* Buckets of bucket_ns (> 0); counts halve every `window` (> 0) samples.
 * Returns 0 or -EINVAL. */
int kp_lateness_init(struct kp_lateness *l, int64_t bucket_ns, uint32_t window);

/* One sleep that ended late_ns after it was due (negative counts as 0). */
void kp_lateness_add(struct kp_lateness *l, int64_t late_ns);

/* The weight of the samples held (they halve with the window): 0 = none. */
uint64_t kp_lateness_weight(const struct kp_lateness *l);

/* The smallest bucket bound b such that at least permille/1000 of the
 * samples held were at most b late: the upper end of that bucket, so an
 * answer never understates. A quantile in the last bucket answers
 * INT64_MAX (the histogram cannot tell how late). -1 when no sample is
 * held; permille above 1000 counts as 1000. */
int64_t kp_lateness_quantile(const struct kp_lateness *l, unsigned permille);

#endif
