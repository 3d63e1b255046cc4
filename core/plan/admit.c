/* SPDX-License-Identifier: BSD-2-Clause */
/* admit.c — admission and Doubletree buckets; slots. See admit.h. */
#include "core/plan/admit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define NONE UINT32_MAX

enum { B_NEW = 0, B_PILOT, B_RELEASED };

struct bucket {
    uint8_t state;
    uint32_t head, tail; /* waiting jobs (node indices) */
    struct kp_tracer_hint hint;
};

struct node {
    struct kp_job job;
    uint32_t next;
};

struct kp_admit {
    struct kp_jobs jobs;
    bool doubletree;
    unsigned n_methods;
    uint32_t *g24; /* sorted distinct /24s (address >> 8) of the targets */
    uint32_t n_g24;
    struct bucket *b;
    struct node *nodes;
    uint32_t n_nodes, cap_nodes, free_head, max_queued;
    uint32_t rel_head, rel_tail; /* released jobs, in order */
    uint64_t handed, queued;
    bool jobs_left;
};

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Index of addr's /24 in g24, or NONE. */
static uint32_t group_of(const struct kp_admit *a, uint32_t addr)
{
    uint32_t key = addr >> 8, lo = 0, hi = a->n_g24;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (a->g24[mid] < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < a->n_g24 && a->g24[lo] == key ? lo : NONE;
}

int kp_admit_create(const struct kp_admit_config *cfg, struct kp_admit **out)
{
    *out = NULL;
    struct kp_admit *a = calloc(1, sizeof(*a));
    if (a == NULL)
        return -ENOMEM;
    int rc =
        kp_jobs_init(&a->jobs, cfg->ranges, cfg->n_ranges, cfg->n_methods, cfg->seed, cfg->done);
    if (rc) {
        free(a);
        return rc;
    }
    a->doubletree = cfg->doubletree;
    a->n_methods = cfg->n_methods;
    a->max_queued = cfg->max_queued ? cfg->max_queued : 65536;
    a->free_head = a->rel_head = a->rel_tail = NONE;
    a->jobs_left = true;
    if (a->doubletree) {
        uint64_t groups = 0;
        for (size_t r = 0; r < cfg->n_ranges; r++) {
            const struct kp_target_range *t = &cfg->ranges[r];
            groups += ((t->base + (uint64_t)t->count - 1) >> 8) - (t->base >> 8) + 1;
        }
        a->g24 = malloc(groups * sizeof(uint32_t));
        if (a->g24 == NULL) {
            kp_admit_destroy(a);
            return -ENOMEM;
        }
        uint32_t k = 0;
        for (size_t r = 0; r < cfg->n_ranges; r++) {
            const struct kp_target_range *t = &cfg->ranges[r];
            uint32_t last = (uint32_t)((t->base + (uint64_t)t->count - 1) >> 8);
            for (uint32_t g = t->base >> 8;; g++) {
                a->g24[k++] = g;
                if (g == last)
                    break;
            }
        }
        qsort(a->g24, k, sizeof(uint32_t), cmp_u32);
        for (uint32_t i = 0; i < k; i++)
            if (a->n_g24 == 0 || a->g24[a->n_g24 - 1] != a->g24[i])
                a->g24[a->n_g24++] = a->g24[i];
        a->b = calloc((size_t)a->n_g24 * a->n_methods, sizeof(*a->b));
        if (a->b == NULL) {
            kp_admit_destroy(a);
            return -ENOMEM;
        }
        for (size_t i = 0; i < (size_t)a->n_g24 * a->n_methods; i++)
            a->b[i].head = a->b[i].tail = NONE;
    }
    *out = a;
    return 0;
}

void kp_admit_destroy(struct kp_admit *a)
{
    if (a == NULL)
        return;
    if (a->b)
        for (size_t i = 0; i < (size_t)a->n_g24 * a->n_methods; i++)
            free(a->b[i].hint.until);
    free(a->b);
    free(a->g24);
    free(a->nodes);
    kp_jobs_free(&a->jobs);
    free(a);
}

static uint32_t bucket_of(const struct kp_admit *a, uint32_t addr, unsigned mi)
{
    uint32_t g = group_of(a, addr);
    return g == NONE ? NONE : g * a->n_methods + mi;
}

/* A node for a waiting job, or NONE (no memory). */
static uint32_t node_new(struct kp_admit *a)
{
    if (a->free_head != NONE) {
        uint32_t n = a->free_head;
        a->free_head = a->nodes[n].next;
        return n;
    }
    if (a->n_nodes == a->cap_nodes) {
        uint32_t cap = a->cap_nodes ? a->cap_nodes * 2 : 256;
        struct node *nn = realloc(a->nodes, (size_t)cap * sizeof(*nn));
        if (nn == NULL)
            return NONE;
        a->nodes = nn;
        a->cap_nodes = cap;
    }
    return a->n_nodes++;
}

static void start(struct kp_admit *a, const struct kp_job *job, uint32_t b, bool pilot,
                  struct kp_admit_start *out)
{
    memset(out, 0, sizeof(*out));
    out->job = *job;
    out->bucket = b;
    out->pilot = pilot;
    out->follower = !pilot && b != NONE;
    out->hint = b != NONE ? &a->b[b].hint : NULL;
    a->handed++;
}

int kp_admit_next(struct kp_admit *a, struct kp_admit_start *out)
{
    if (a->rel_head != NONE) {
        uint32_t n = a->rel_head;
        a->rel_head = a->nodes[n].next;
        if (a->rel_head == NONE)
            a->rel_tail = NONE;
        struct kp_job job = a->nodes[n].job;
        a->nodes[n].next = a->free_head;
        a->free_head = n;
        a->queued--;
        start(a, &job, bucket_of(a, job.addr, job.mi), false, out);
        return KP_ADMIT_START;
    }
    while (a->jobs_left && a->queued < a->max_queued) {
        struct kp_job job;
        if (!kp_jobs_next(&a->jobs, &job)) {
            a->jobs_left = false;
            break;
        }
        uint32_t b = a->doubletree ? bucket_of(a, job.addr, job.mi) : NONE;
        if (b == NONE) {
            start(a, &job, NONE, false, out);
            return KP_ADMIT_START;
        }
        struct bucket *bk = &a->b[b];
        if (bk->state == B_NEW) {
            bk->hint.until = calloc(KP_TRACER_MAX_TTL + 1, sizeof(int64_t));
            if (bk->hint.until == NULL) {
                kp_jobs_unget(&a->jobs); /* handed out on a later call */
                return -ENOMEM;
            }
            bk->state = B_PILOT;
            start(a, &job, b, true, out);
            return KP_ADMIT_START;
        }
        if (bk->state == B_RELEASED) {
            start(a, &job, b, false, out);
            return KP_ADMIT_START;
        }
        uint32_t n = node_new(a);
        if (n == NONE) {
            kp_jobs_unget(&a->jobs);
            return -ENOMEM;
        }
        a->nodes[n].job = job;
        a->nodes[n].next = NONE;
        if (bk->tail == NONE)
            bk->head = n;
        else
            a->nodes[bk->tail].next = n;
        bk->tail = n;
        a->queued++;
    }
    return !a->jobs_left && a->queued == 0 ? KP_ADMIT_END : KP_ADMIT_WAIT;
}

void kp_admit_release(struct kp_admit *a, uint32_t bucket)
{
    if (bucket == NONE || a->b == NULL)
        return;
    struct bucket *bk = &a->b[bucket];
    if (bk->state == B_RELEASED)
        return;
    bk->state = B_RELEASED;
    if (bk->head == NONE)
        return;
    if (a->rel_tail == NONE)
        a->rel_head = bk->head;
    else
        a->nodes[a->rel_tail].next = bk->head;
    a->rel_tail = bk->tail;
    bk->head = bk->tail = NONE;
}

void kp_admit_pilot_done(struct kp_admit *a, uint32_t bucket)
{
    if (bucket == NONE || a->b == NULL)
        return;
    kp_admit_release(a, bucket);
    struct kp_tracer_hint *h = &a->b[bucket].hint;
    h->pending = 0;
    free(h->until);
    h->until = NULL;
}

void kp_admit_known(struct kp_admit *a, uint32_t addr, unsigned mi)
{
    if (!a->doubletree || mi >= a->n_methods)
        return;
    uint32_t b = bucket_of(a, addr, mi);
    if (b != NONE && a->b[b].state == B_NEW)
        a->b[b].state = B_RELEASED;
}

uint64_t kp_admit_jobs(const struct kp_admit *a)
{
    return a->handed + a->queued + a->jobs.left;
}

uint64_t kp_admit_handed(const struct kp_admit *a)
{
    return a->handed;
}

uint64_t kp_admit_queued(const struct kp_admit *a)
{
    return a->queued;
}

const struct kp_jobs *kp_admit_job_list(const struct kp_admit *a)
{
    return &a->jobs;
}

/* ---- slots ---- */

int kp_slots_init(struct kp_slots *s, uint32_t n)
{
    memset(s, 0, sizeof(*s));
    if (n == 0)
        return -EINVAL;
    s->free = malloc((size_t)n * sizeof(*s->free));
    if (s->free == NULL)
        return -ENOMEM;
    s->n = n;
    /* slot 0 on top */
    for (uint32_t i = 0; i < n; i++)
        s->free[i] = n - 1 - i;
    s->n_free = n;
    return 0;
}

void kp_slots_free(struct kp_slots *s)
{
    free(s->free);
    memset(s, 0, sizeof(*s));
}

int64_t kp_slots_take(struct kp_slots *s)
{
    return s->n_free ? (int64_t)s->free[--s->n_free] : -1;
}

void kp_slots_put(struct kp_slots *s, uint32_t slot)
{
    if (s->n_free < s->n)
        s->free[s->n_free++] = slot;
}
