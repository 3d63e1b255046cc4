/* SPDX-License-Identifier: BSD-2-Clause */
/* jobs.c — a sweep's jobs in a keyed random order. See jobs.h. */
#include "core/plan/jobs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/prng.h"

struct base_idx {
    uint32_t base, idx;
};

static int cmp_base(const void *a, const void *b)
{
    uint32_t x = ((const struct base_idx *)a)->base, y = ((const struct base_idx *)b)->base;
    return x < y ? -1 : x > y;
}

/* Round function: a keyed mix of the half, truncated to `half` bits. */
static uint64_t round_f(uint64_t x, uint64_t k, unsigned half)
{
    uint64_t z = x ^ k;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return half >= 64 ? z : z & ((1ull << half) - 1);
}

/* A bijection of [0, 2^(2 half)). */
static uint64_t feistel(const struct kp_jobs *j, uint64_t x)
{
    uint64_t mask = (1ull << j->half) - 1;
    uint64_t l = x >> j->half, r = x & mask;
    for (int i = 0; i < 4; i++) {
        uint64_t t = r;
        r = l ^ round_f(r, j->keys[i], j->half);
        l = t;
    }
    return l << j->half | r;
}

int kp_jobs_init(struct kp_jobs *j, const struct kp_target_range *ranges, size_t n_ranges,
                 unsigned n_methods, uint64_t seed, const uint64_t *done)
{
    memset(j, 0, sizeof(*j));
    if (n_methods == 0 || n_ranges == 0)
        return -EINVAL;
    j->r = ranges;
    j->n_ranges = n_ranges;
    j->n_methods = n_methods;
    j->first = malloc((n_ranges + 1) * sizeof(*j->first));
    j->by_base = malloc(n_ranges * sizeof(*j->by_base));
    struct base_idx *tmp = malloc(n_ranges * sizeof(*tmp));
    if (j->first == NULL || j->by_base == NULL || tmp == NULL) {
        free(tmp);
        kp_jobs_free(j);
        return -ENOMEM;
    }
    uint64_t acc = 0;
    for (size_t i = 0; i < n_ranges; i++) {
        if (ranges[i].count == 0) {
            free(tmp);
            kp_jobs_free(j);
            return -EINVAL;
        }
        j->first[i] = acc;
        acc += ranges[i].count;
        tmp[i].base = ranges[i].base;
        tmp[i].idx = (uint32_t)i;
    }
    j->first[n_ranges] = acc;
    qsort(tmp, n_ranges, sizeof(*tmp), cmp_base);
    for (size_t i = 0; i < n_ranges; i++)
        j->by_base[i] = tmp[i].idx;
    free(tmp);
    for (size_t i = 1; i < n_ranges; i++) {
        const struct kp_target_range *a = &ranges[j->by_base[i - 1]], *b = &ranges[j->by_base[i]];
        if ((uint64_t)a->base + a->count > b->base) {
            kp_jobs_free(j);
            return -EINVAL;
        }
    }
    j->n = acc * n_methods;
    unsigned bits = 0;
    while (bits < 64 && (1ull << bits) < j->n)
        bits++;
    j->half = (bits + 1) / 2;
    if (j->half == 0)
        j->half = 1;
    j->domain = 1ull << (2 * j->half);
    uint64_t s = seed ^ 0x6a6f627321212121ull; /* "jobs!!!!" */
    for (int i = 0; i < 4; i++)
        j->keys[i] = kp_splitmix64(&s);
    j->done = done;
    j->left = j->n;
    if (done)
        for (uint64_t i = 0; i < j->n; i++)
            j->left -= kp_jobs_bit(done, i);
    return 0;
}

void kp_jobs_free(struct kp_jobs *j)
{
    free(j->first);
    free(j->by_base);
    j->first = NULL;
    j->by_base = NULL;
}

struct kp_job kp_jobs_at(const struct kp_jobs *j, uint64_t index)
{
    struct kp_job out;
    uint64_t a = index / j->n_methods;
    size_t lo = 0, hi = j->n_ranges; /* first[lo] <= a < first[hi] */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (j->first[mid] <= a)
            lo = mid;
        else
            hi = mid;
    }
    out.index = index;
    out.range = (uint32_t)lo;
    out.addr = j->r[lo].base + (uint32_t)(a - j->first[lo]);
    out.mi = (uint8_t)(index % j->n_methods);
    return out;
}

bool kp_jobs_next(struct kp_jobs *j, struct kp_job *out)
{
    while (j->left > 0 && j->pos < j->domain) {
        uint64_t x = feistel(j, j->pos++);
        if (x >= j->n || (j->done && kp_jobs_bit(j->done, x)))
            continue;
        j->left--;
        *out = kp_jobs_at(j, x);
        return true;
    }
    return false;
}

void kp_jobs_unget(struct kp_jobs *j)
{
    /* kp_jobs_next returned the job at position pos - 1 */
    j->pos--;
    j->left++;
}

int64_t kp_jobs_index(const struct kp_jobs *j, uint32_t addr, unsigned mi)
{
    if (mi >= j->n_methods)
        return -1;
    size_t lo = 0, hi = j->n_ranges; /* the last range whose base <= addr */
    if (j->n_ranges == 0 || j->r[j->by_base[0]].base > addr)
        return -1;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (j->r[j->by_base[mid]].base <= addr)
            lo = mid;
        else
            hi = mid;
    }
    uint32_t ri = j->by_base[lo];
    const struct kp_target_range *r = &j->r[ri];
    if ((uint64_t)addr - r->base >= r->count)
        return -1;
    return (int64_t)((j->first[ri] + (addr - r->base)) * j->n_methods + mi);
}
