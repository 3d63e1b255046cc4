/* SPDX-License-Identifier: BSD-2-Clause */
/* lateness.c — a forgetting histogram of sleep lateness. See lateness.h. */
#include "core/plan/lateness.h"

#include <errno.h>
#include <string.h>

int kp_lateness_init(struct kp_lateness *l, int64_t bucket_ns, uint32_t window)
{
    if (bucket_ns <= 0 || window == 0)
        return -EINVAL;
    memset(l, 0, sizeof(*l));
    l->bucket_ns = bucket_ns;
    l->window = window;
    return 0;
}

void kp_lateness_add(struct kp_lateness *l, int64_t late_ns)
{
    if (late_ns < 0)
        late_ns = 0;
    int64_t b = late_ns / l->bucket_ns;
    if (b >= (int64_t)KP_LATENESS_BUCKETS)
        b = KP_LATENESS_BUCKETS - 1;
    l->count[b]++;
    l->total++;
    if (++l->since < l->window)
        return;
    l->since = 0;
    l->total = 0;
    for (unsigned i = 0; i < KP_LATENESS_BUCKETS; i++) {
        l->count[i] /= 2;
        l->total += l->count[i];
    }
}

uint64_t kp_lateness_weight(const struct kp_lateness *l)
{
    return l->total;
}

int64_t kp_lateness_quantile(const struct kp_lateness *l, unsigned permille)
{
    if (l->total == 0)
        return -1;
    if (permille > 1000)
        permille = 1000;
    /* the first bucket whose running count reaches ceil(total * permille / 1000) */
    uint64_t need = (l->total * permille + 999) / 1000;
    if (need == 0)
        need = 1;
    uint64_t run = 0;
    for (unsigned i = 0; i < KP_LATENESS_BUCKETS; i++) {
        run += l->count[i];
        if (run >= need)
            return i + 1 == KP_LATENESS_BUCKETS ? INT64_MAX : (int64_t)(i + 1) * l->bucket_ns;
    }
    return INT64_MAX; /* not reached: the counts sum to total */
}
