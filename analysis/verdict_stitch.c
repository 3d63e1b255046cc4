/* verdict_stitch.c — Doubletree prefixes for the verdict. Pure; see
 * verdict_stitch.h.
 *
 * The index maps (key, vantage point, TTL, address) to the answered router hop
 * just below it (the nearest lower TTL) on a trace that went through it; a
 * prefix is rebuilt by following these links down, one TTL at a time, which
 * is Doubletree's own assumption (the path below an interface seen at a TTL
 * is the one already traced). Memory grows with the distinct interfaces per
 * vantage point and TTL, not with the number of traces, so callers that
 * decide in chunks can keep one index for the whole run. Open addressing,
 * linear probing, grown at half load. */
#include "analysis/verdict_stitch.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct slot {
    bool used;
    uint32_t key;
    uint8_t ttl;
    uint8_t low; /* lowest answering TTL of the trace the link came from */
    struct kp_addr addr;
    char vp[KP_VP_LEN];
    struct kp_hop prev; /* the answered router hop below (prev.ttl < ttl) */
};

struct kp_stitch {
    struct slot *s;
    size_t cap, n;
};

int kp_stitch_new(struct kp_stitch **out)
{
    if (out == NULL)
        return -EINVAL;
    *out = calloc(1, sizeof(**out));
    return *out ? 0 : -ENOMEM;
}

void kp_stitch_free(struct kp_stitch *s)
{
    if (s == NULL)
        return;
    free(s->s);
    free(s);
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 1099511628211ull;
    }
    return h;
}

static uint64_t hash_of(uint32_t key, const char *vp, uint8_t ttl, const struct kp_addr *a)
{
    uint64_t h = 14695981039346656037ull;
    h = fnv(h, &key, sizeof(key));
    h = fnv(h, &ttl, 1);
    h = fnv(h, &a->family, sizeof(a->family));
    h = fnv(h, a->b, sizeof(a->b));
    return fnv(h, vp, strnlen(vp, KP_VP_LEN));
}

static bool same(const struct slot *e, uint32_t key, const char *vp, uint8_t ttl,
                 const struct kp_addr *a)
{
    return e->key == key && e->ttl == ttl && kp_addr_eq(&e->addr, a) &&
           strncmp(e->vp, vp, KP_VP_LEN) == 0;
}

/* The slot for the tuple: its entry, or the free slot where it would go. */
static struct slot *find(const struct kp_stitch *s, uint32_t key, const char *vp, uint8_t ttl,
                         const struct kp_addr *a)
{
    if (s->cap == 0)
        return NULL;
    size_t i = (size_t)(hash_of(key, vp, ttl, a) & (s->cap - 1));
    while (s->s[i].used && !same(&s->s[i], key, vp, ttl, a))
        i = (i + 1) & (s->cap - 1);
    return &s->s[i];
}

static int grow(struct kp_stitch *s)
{
    size_t cap = s->cap ? s->cap * 2 : 256;
    struct slot *old = s->s;
    size_t old_cap = s->cap;
    s->s = calloc(cap, sizeof(*s->s));
    if (s->s == NULL) {
        s->s = old;
        return -ENOMEM;
    }
    s->cap = cap;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].used)
            *find(s, old[i].key, old[i].vp, old[i].ttl, &old[i].addr) = old[i];
    free(old);
    return 0;
}

static bool router_reply(const struct kp_trace *t, const struct kp_hop *h)
{
    if (h->flags & (KP_HOP_DUP | KP_HOP_FROM_DST))
        return false;
    if (kp_addr_is_set(&t->dst) && kp_addr_eq(&h->addr, &t->dst))
        return false;
    return kp_addr_is_set(&h->addr) && h->ttl > 0;
}

/* Lowest TTL with any answer (router or destination), 0 when none. */
static uint8_t lowest_ttl(const struct kp_trace *t)
{
    uint8_t low = 0;
    for (size_t i = 0; i < t->n_hops; i++) {
        const struct kp_hop *h = &t->hops[i];
        if ((h->flags & KP_HOP_DUP) || h->ttl == 0)
            continue;
        if (low == 0 || h->ttl < low)
            low = h->ttl;
    }
    return low;
}

/* The first-attempt router reply of t at each TTL, by TTL (NULL where none). */
static void per_ttl(const struct kp_trace *t, const struct kp_hop *by[256])
{
    memset(by, 0, 256 * sizeof(*by));
    for (size_t i = 0; i < t->n_hops; i++) {
        const struct kp_hop *h = &t->hops[i];
        if (!router_reply(t, h))
            continue;
        if (by[h->ttl] == NULL || h->attempt < by[h->ttl]->attempt)
            by[h->ttl] = h;
    }
}

int kp_stitch_add(struct kp_stitch *s, const struct kp_trace *t, uint32_t key)
{
    if (s == NULL || t == NULL)
        return -EINVAL;
    const struct kp_hop *by[256];
    per_ttl(t, by);
    uint8_t low = lowest_ttl(t);
    const struct kp_hop *below = NULL;
    for (int ttl = 1; ttl < 256; ttl++) {
        const struct kp_hop *h = by[ttl];
        if (h == NULL)
            continue;
        if (below != NULL) {
            if (2 * (s->n + 1) > s->cap) {
                int rc = grow(s);
                if (rc != 0)
                    return rc;
            }
            struct slot *e = find(s, key, t->vp, h->ttl, &h->addr);
            if (!e->used || low < e->low) {
                if (!e->used)
                    s->n++;
                memset(e, 0, sizeof(*e));
                e->used = true;
                e->key = key;
                e->ttl = h->ttl;
                e->low = low;
                e->addr = h->addr;
                snprintf(e->vp, sizeof(e->vp), "%s", t->vp);
                e->prev = *below;
            }
        }
        below = h;
    }
    return 0;
}

int kp_stitch_prefix(struct kp_stitch *s, const struct kp_trace *t, uint32_t key,
                     struct kp_trace *out, size_t *n_borrowed)
{
    if (s == NULL || t == NULL || out == NULL || n_borrowed == NULL)
        return -EINVAL;
    *n_borrowed = 0;
    uint8_t first = t->first_ttl > 1 ? t->first_ttl : 1;
    uint8_t low = lowest_ttl(t);
    if (low <= first)
        return 0;
    const struct kp_hop *by[256];
    per_ttl(t, by);
    const struct kp_hop *h = by[low];
    if (h == NULL)
        return 0; /* only the destination answered: nothing to follow */
    /* Follow the links down; TTLs strictly decrease, so this ends. */
    const struct kp_hop *chain[256];
    size_t n = 0;
    uint8_t ttl = low;
    struct kp_addr at = h->addr;
    while (ttl > first && n < 255) {
        const struct slot *e = find(s, key, t->vp, ttl, &at);
        /* Doubletree's stop set is by interface, not by TTL: the interface
         * may have been traced only at a lower TTL (a longer way to it this
         * time). Then the hops below it there are the best knowledge; they
         * keep their own TTLs, so the TTLs between count as silent. */
        for (int d = ttl - 1; (e == NULL || !e->used) && d > (int)first; d--)
            e = find(s, key, t->vp, (uint8_t)d, &at);
        if (e == NULL || !e->used || e->prev.ttl >= ttl)
            break;
        chain[n++] = &e->prev;
        ttl = e->prev.ttl;
        at = e->prev.addr;
    }
    if (n == 0)
        return 0;
    kp_trace_free(out);
    kp_trace_init(out);
    int rc = kp_trace_copy(out, t);
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = kp_trace_add_hop(out, chain[i]);
    if (rc != 0)
        return rc;
    kp_trace_sort(out);
    *n_borrowed = n;
    return 1;
}

static int shift(int idx, size_t n)
{
    if (idx < 0)
        return -1;
    return (size_t)idx < n ? -1 : idx - (int)n;
}

void kp_verdict_unstitch(struct kp_transit *v, size_t n_borrowed)
{
    if (v == NULL || n_borrowed == 0)
        return;
    bool borrowed_handoff = v->handoff_hop >= 0 && (size_t)v->handoff_hop < n_borrowed;
    v->handoff_hop = shift(v->handoff_hop, n_borrowed);
    v->target_hop = shift(v->target_hop, n_borrowed);
    v->border_hop = shift(v->border_hop, n_borrowed);
    v->last_hop = shift(v->last_hop, n_borrowed);
    int k = 0;
    for (int i = 0; i < v->n_skipped; i++) {
        int x = shift(v->skipped[i], n_borrowed);
        if (x >= 0)
            v->skipped[k++] = x;
    }
    v->n_skipped = k;
    if (borrowed_handoff) {
        v->heuristics |= KP_H_DT_PREFIX;
        if (v->status != KP_TRANSIT_UNDETERMINED && v->confidence > 0.1)
            v->confidence -= 0.05;
    }
}
