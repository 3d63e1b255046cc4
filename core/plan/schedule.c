/* SPDX-License-Identifier: BSD-2-Clause */
/* schedule.c — randomized, per-group-fair choice of the next trace to send.
 * See schedule.h for the rules.
 *
 * Data: entries in an array addressed by handle (free list for reuse);
 * WAITING entries in a 4-ary min-heap by (wake_ns, handle); READY entries in
 * their group's ready array, each slot with its entry's item (a pick then
 * reads the group's memory only, not the entry's: a random one among
 * thousands, cold in the cache); groups with READY entries in ready_groups;
 * groups in a slab addressed by index, found by prefix through a kp_htab
 * keyed by kp_addr_hash (groups are never removed: memory grows with the
 * distinct groups a run adds to, not with entries). pick() first moves every due entry from the
 * heap to its group, then draws a group and an entry uniformly with a seeded xoshiro256**
 * generator.
 */
#include "core/plan/schedule.h"
#include "core/base/htab.h"
#include "core/base/prng.h"
#include "core/base/slab.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum { ST_FREE = 0, ST_WAITING, ST_READY, ST_TAKEN };

struct entry {
    void *item;
    int64_t wake_ns;
    uint32_t group;
    uint32_t pos; /* heap index (WAITING) or index in the group's ready array (READY) */
    uint8_t state;
    uint32_t next_free;
};

/* A heap node holds its entry's wake time, so that the comparisons on the
 * way up or down read the heap's own memory, not the entries' (random ones
 * among thousands, cold in the cache). */
struct hnode {
    int64_t wake_ns;
    uint32_t h;
};

/* A READY entry in its group's ready array. */
struct rslot {
    void *item;
    uint32_t h;
};

struct group {
    struct kp_htab_node node; /* in gidx */
    struct kp_addr prefix;
    uint32_t index; /* in the slab */
    uint32_t n_entries;
    struct rslot *ready;
    uint32_t n_ready, cap_ready;
    uint32_t rg_pos; /* index in ready_groups when n_ready > 0 */
};

struct kp_schedule {
    uint8_t plen4, plen6;
    uint64_t rng[4];
    struct entry *e;
    uint32_t n_e, cap_e, free_head, count;
    struct hnode *heap;
    uint32_t n_heap, cap_heap;
    struct kp_slab g; /* struct group, by group index */
    struct kp_htab gidx;
    uint32_t live_groups;
    uint32_t *ready_groups;
    uint32_t n_rg, cap_rg;
    int64_t last_now;
    /* the next pick, drawn at the end of the last one so that its slot is
     * fetched while the caller works (pick_draw) */
    bool drawn;
    uint32_t drawn_g, drawn_pos, drawn_n;
};

/* ---- PRNG: splitmix64 seeding, xoshiro256** ---- */

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(uint64_t s[4])
{
    uint64_t r = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return r;
}

/* Uniform in [0, n), n > 0, without modulo bias (Lemire). */
static uint32_t rng_below(uint64_t s[4], uint32_t n)
{
    uint64_t m = (rng_next(s) >> 32) * (uint64_t)n;
    uint32_t lo = (uint32_t)m;
    if (lo < n) {
        uint32_t t = (uint32_t)(-n) % n;
        while (lo < t) {
            m = (rng_next(s) >> 32) * (uint64_t)n;
            lo = (uint32_t)m;
        }
    }
    return (uint32_t)(m >> 32);
}

uint32_t kp_schedule_rand(struct kp_schedule *s)
{
    return (uint32_t)(rng_next(s->rng) >> 32);
}

/* ---- growth helper ---- */
static int grow(void **p, uint32_t *cap, size_t elem, uint32_t need)
{
    if (need <= *cap)
        return 0;
    uint32_t ncap = *cap ? *cap : 16;
    while (ncap < need)
        ncap *= 2;
    void *n = realloc(*p, (size_t)ncap * elem);
    if (n == NULL)
        return -ENOMEM;
    *p = n;
    *cap = ncap;
    return 0;
}

int kp_schedule_create(const struct kp_schedule_config *cfg, struct kp_schedule **out)
{
    uint8_t p4 = cfg && cfg->group_v4 ? cfg->group_v4 : 24;
    uint8_t p6 = cfg && cfg->group_v6 ? cfg->group_v6 : 48;
    if (p4 > 32 || p6 > 128)
        return -EINVAL;
    struct kp_schedule *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return -ENOMEM;
    s->plen4 = p4;
    s->plen6 = p6;
    uint64_t x = cfg ? cfg->seed : 0;
    for (int i = 0; i < 4; i++)
        s->rng[i] = kp_splitmix64(&x);
    s->free_head = KP_SCHEDULE_NONE;
    s->last_now = INT64_MIN;
    kp_slab_init(&s->g, sizeof(struct group), 64);
    kp_htab_init(&s->gidx);
    *out = s;
    return 0;
}

void kp_schedule_destroy(struct kp_schedule *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->g.n; i++)
        free(((struct group *)kp_slab_at(&s->g, i))->ready);
    free(s->e);
    free(s->heap);
    kp_slab_free(&s->g);
    kp_htab_free(&s->gidx);
    free(s->ready_groups);
    free(s);
}

/* ---- groups ---- */
static struct kp_addr mask(const struct kp_schedule *s, const struct kp_addr *a)
{
    struct kp_addr m;
    memset(&m, 0, sizeof(m));
    m.family = a->family;
    unsigned bits = a->family == 4 ? s->plen4 : s->plen6;
    unsigned nbytes = a->family == 4 ? 4 : 16;
    for (unsigned i = 0; i < nbytes; i++) {
        if (bits >= 8) {
            m.b[i] = a->b[i];
            bits -= 8;
        } else {
            m.b[i] = (uint8_t)(a->b[i] & (uint8_t)(0xff00u >> bits));
            bits = 0;
        }
    }
    return m;
}

static struct group *group_at(const struct kp_schedule *s, uint32_t gi)
{
    return kp_slab_at(&s->g, gi);
}

static int group_find_or_add(struct kp_schedule *s, const struct kp_addr *dst, uint32_t *gi)
{
    struct kp_addr m = mask(s, dst);
    uint64_t h = kp_addr_hash(0, &m);
    for (struct kp_htab_node *n = kp_htab_first(&s->gidx, h); n; n = kp_htab_next(&s->gidx, n)) {
        struct group *g = KP_HTAB_ENTRY(n, struct group, node);
        if (kp_addr_eq(&g->prefix, &m)) {
            *gi = g->index;
            return 0;
        }
    }
    if (s->g.n >= UINT32_MAX)
        return -ENOMEM;
    struct group *g = kp_slab_add(&s->g);
    if (g == NULL)
        return -ENOMEM;
    g->prefix = m;
    g->index = (uint32_t)(s->g.n - 1);
    if (kp_htab_insert(&s->gidx, &g->node, h) != 0) {
        /* the zeroed group stays in the slab, unreachable by prefix: no entry
         * ever names its index */
        return -ENOMEM;
    }
    *gi = g->index;
    return 0;
}

/* ---- heap of WAITING entries ---- */
/* A 4-ary heap: half the levels of a binary one (each a cold entry's pos
 * written), and a node's four children side by side in memory. */
#define HEAP_D 4u

static bool heap_less(const struct hnode *a, const struct hnode *b)
{
    if (a->wake_ns != b->wake_ns)
        return a->wake_ns < b->wake_ns;
    return a->h < b->h;
}

static void heap_set(struct kp_schedule *s, uint32_t pos, struct hnode n)
{
    s->heap[pos] = n;
    s->e[n.h].pos = pos;
}

static void heap_up(struct kp_schedule *s, uint32_t pos)
{
    struct hnode n = s->heap[pos];
    while (pos > 0) {
        uint32_t parent = (pos - 1) / HEAP_D;
        if (!heap_less(&n, &s->heap[parent]))
            break;
        heap_set(s, pos, s->heap[parent]);
        pos = parent;
    }
    heap_set(s, pos, n);
}

static void heap_down(struct kp_schedule *s, uint32_t pos)
{
    struct hnode n = s->heap[pos];
    for (;;) {
        uint32_t first = HEAP_D * pos + 1, m = pos;
        const struct hnode *best = &n;
        for (uint32_t c = first; c < first + HEAP_D && c < s->n_heap; c++) {
            if (heap_less(&s->heap[c], best)) {
                m = c;
                best = &s->heap[c];
            }
        }
        if (m == pos)
            break;
        heap_set(s, pos, *best);
        pos = m;
    }
    heap_set(s, pos, n);
}

static int heap_push(struct kp_schedule *s, uint32_t h)
{
    int rc = grow((void **)&s->heap, &s->cap_heap, sizeof(*s->heap), s->n_heap + 1);
    if (rc < 0)
        return rc;
    heap_set(s, s->n_heap++, (struct hnode){.wake_ns = s->e[h].wake_ns, .h = h});
    heap_up(s, s->n_heap - 1);
    s->e[h].state = ST_WAITING;
    return 0;
}

static void heap_remove(struct kp_schedule *s, uint32_t h)
{
    uint32_t pos = s->e[h].pos;
    struct hnode last = s->heap[--s->n_heap];
    if (pos < s->n_heap) {
        heap_set(s, pos, last);
        heap_up(s, pos);
        heap_down(s, s->e[last.h].pos);
    }
}

/* ---- ready lists ---- */
static int ready_add(struct kp_schedule *s, uint32_t h)
{
    struct group *g = group_at(s, s->e[h].group);
    int rc = grow((void **)&g->ready, &g->cap_ready, sizeof(*g->ready), g->n_ready + 1);
    if (rc < 0)
        return rc;
    if (g->n_ready == 0) {
        rc = grow((void **)&s->ready_groups, &s->cap_rg, sizeof(*s->ready_groups), s->n_rg + 1);
        if (rc < 0)
            return rc;
        g->rg_pos = s->n_rg;
        s->ready_groups[s->n_rg++] = s->e[h].group;
        s->drawn = false; /* a group more to draw from: pick_draw */
    } else if (s->drawn && s->e[h].group == s->drawn_g && g->n_ready >= s->drawn_n) {
        /* a slot more in the group drawn: the draw takes it with
         * probability 1/slots (pick_draw) */
        s->drawn_n = g->n_ready + 1;
        if (rng_below(s->rng, s->drawn_n) == 0)
            s->drawn_pos = g->n_ready;
    }
    s->e[h].pos = g->n_ready;
    g->ready[g->n_ready++] = (struct rslot){.item = s->e[h].item, .h = h};
    s->e[h].state = ST_READY;
    return 0;
}

/* Take slot `pos` out of group g's ready array (the last slot moves in:
 * its entry's pos is written, not read). */
static void ready_take(struct kp_schedule *s, struct group *g, uint32_t pos)
{
    struct rslot last = g->ready[--g->n_ready];
    if (pos < g->n_ready) {
        g->ready[pos] = last;
        s->e[last.h].pos = pos;
    }
    if (g->n_ready == 0) {
        uint32_t rp = g->rg_pos;
        uint32_t lastg = s->ready_groups[--s->n_rg];
        if (rp < s->n_rg) {
            s->ready_groups[rp] = lastg;
            group_at(s, lastg)->rg_pos = rp;
        }
    }
}

static void ready_remove(struct kp_schedule *s, uint32_t h)
{
    ready_take(s, group_at(s, s->e[h].group), s->e[h].pos);
}

static void detach(struct kp_schedule *s, uint32_t h)
{
    if (s->e[h].state == ST_WAITING)
        heap_remove(s, h);
    else if (s->e[h].state == ST_READY)
        ready_remove(s, h);
    s->e[h].state = ST_TAKEN;
}

/* ---- public ---- */
int kp_schedule_add(struct kp_schedule *s, const struct kp_addr *dst, void *item, int64_t wake_ns,
                    uint32_t *handle)
{
    if (dst == NULL || (dst->family != 4 && dst->family != 6))
        return -EINVAL;
    uint32_t gi;
    int rc = group_find_or_add(s, dst, &gi);
    if (rc < 0)
        return rc;
    uint32_t h;
    if (s->free_head != KP_SCHEDULE_NONE) {
        h = s->free_head;
        s->free_head = s->e[h].next_free;
    } else {
        if (s->n_e == KP_SCHEDULE_NONE)
            return -ENOMEM;
        rc = grow((void **)&s->e, &s->cap_e, sizeof(*s->e), s->n_e + 1);
        if (rc < 0)
            return rc;
        h = s->n_e++;
    }
    memset(&s->e[h], 0, sizeof(s->e[h]));
    s->e[h].item = item;
    s->e[h].wake_ns = wake_ns;
    s->e[h].group = gi;
    s->e[h].state = ST_TAKEN;
    /* due already (as arm does): READY without a trip through the heap */
    rc = wake_ns <= s->last_now ? ready_add(s, h) : heap_push(s, h);
    if (rc < 0) {
        s->e[h].state = ST_FREE;
        s->e[h].next_free = s->free_head;
        s->free_head = h;
        return rc;
    }
    if (group_at(s, gi)->n_entries++ == 0)
        s->live_groups++;
    s->count++;
    if (handle)
        *handle = h;
    return 0;
}

static bool valid(const struct kp_schedule *s, uint32_t h)
{
    return h < s->n_e && s->e[h].state != ST_FREE;
}

int kp_schedule_arm(struct kp_schedule *s, uint32_t handle, int64_t wake_ns)
{
    if (!valid(s, handle))
        return -EINVAL;
    detach(s, handle);
    s->e[handle].wake_ns = wake_ns;
    /* due already (a trace that sent and may send again): READY at once,
     * as the next pick would make it, without a trip through the heap */
    if (wake_ns <= s->last_now && ready_add(s, handle) == 0)
        return 0;
    return heap_push(s, handle);
}

void kp_schedule_remove(struct kp_schedule *s, uint32_t handle)
{
    if (!valid(s, handle))
        return;
    detach(s, handle);
    struct group *g = group_at(s, s->e[handle].group);
    if (--g->n_entries == 0)
        s->live_groups--;
    s->e[handle].state = ST_FREE;
    s->e[handle].item = NULL;
    s->e[handle].next_free = s->free_head;
    s->free_head = handle;
    s->count--;
}

/* Draw the next pick now, as kp_schedule_pick would (a group uniformly
 * among those with READY entries, then a slot of its ready array
 * uniformly), and fetch that slot: a random one among thousands, cold in
 * the cache. The pick that comes is still uniform among what is READY at
 * its time:
 *  - the group: a group joining the ready ones forgets the draw (ready_add;
 *    nothing the draw chose decides that), and a group drawn that has no
 *    READY entry left is drawn again among the others: uniform over the
 *    groups left, as rejection sampling is;
 *  - the slot: drawn among drawn_n slots, drawn_n at least the group's READY
 *    entries. Its entries fill slots 0..n_ready-1 (ready_take moves the last
 *    into a slot it empties), so each names one slot: a slot beyond them is
 *    drawn again among them; an entry joining at slot drawn_n makes it
 *    drawn_n + 1 slots, taken with probability 1 / (drawn_n + 1) (a
 *    reservoir sample). */
static void pick_draw(struct kp_schedule *s)
{
    s->drawn = s->n_rg > 0;
    if (!s->drawn)
        return;
    s->drawn_g = s->ready_groups[rng_below(s->rng, s->n_rg)];
    struct group *g = group_at(s, s->drawn_g);
    s->drawn_n = g->n_ready;
    s->drawn_pos = rng_below(s->rng, g->n_ready);
    __builtin_prefetch(&g->ready[s->drawn_pos]);
}

int kp_schedule_pick(struct kp_schedule *s, int64_t now_ns, void **item, uint32_t *handle)
{
    if (now_ns > s->last_now)
        s->last_now = now_ns;
    while (s->n_heap > 0 && s->heap[0].wake_ns <= now_ns) {
        uint32_t h = s->heap[0].h;
        heap_remove(s, h);
        int rc = ready_add(s, h);
        if (rc < 0) {
            (void)heap_push(s, h); /* cannot fail: the slot was just freed */
            return rc;
        }
    }
    if (s->n_rg == 0)
        return -EAGAIN;
    struct group *g = s->drawn ? group_at(s, s->drawn_g) : NULL;
    uint32_t pos = s->drawn_pos;
    if (g == NULL || g->n_ready == 0) {
        g = group_at(s, s->ready_groups[rng_below(s->rng, s->n_rg)]);
        pos = rng_below(s->rng, g->n_ready);
    } else if (pos >= g->n_ready) {
        pos = rng_below(s->rng, g->n_ready);
    }
    struct rslot r = g->ready[pos];
    uint32_t h = r.h;
    ready_take(s, g, pos);
    s->e[h].state = ST_TAKEN;
    pick_draw(s);
    if (item)
        *item = r.item;
    if (handle)
        *handle = h;
    return 0;
}

int64_t kp_schedule_next_wake(const struct kp_schedule *s)
{
    if (s->n_rg > 0)
        return s->last_now;
    if (s->n_heap > 0)
        return s->heap[0].wake_ns;
    return INT64_MAX;
}

size_t kp_schedule_count(const struct kp_schedule *s)
{
    return s->count;
}

size_t kp_schedule_groups(const struct kp_schedule *s)
{
    return s->live_groups;
}

uint64_t kp_schedule_steps(const struct kp_schedule *s)
{
    return s->gidx.steps;
}
