/* verdict_stitch.c — Doubletree prefixes for the verdict. Pure; see
 * verdict_stitch.h. The index is a flat array of (key, TTL, address, trace)
 * entries, sorted once before the first lookup and searched by bisection. */
#include "analysis/verdict_stitch.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct entry {
    uint32_t key;
    uint8_t ttl;
    uint8_t low; /* the donor's lowest answering TTL */
    struct kp_addr addr;
    size_t order; /* insertion order: ties go to the earlier trace */
    const struct kp_trace *t;
};

struct kp_stitch {
    struct entry *e;
    size_t n, cap;
    size_t traces;
    bool sorted;
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
    free(s->e);
    free(s);
}

static bool usable(const struct kp_trace *t, const struct kp_hop *h)
{
    if (h->flags & KP_HOP_DUP)
        return false;
    if (h->flags & KP_HOP_FROM_DST)
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
        if (h->flags & KP_HOP_DUP || h->ttl == 0)
            continue;
        if (low == 0 || h->ttl < low)
            low = h->ttl;
    }
    return low;
}

int kp_stitch_add(struct kp_stitch *s, const struct kp_trace *t, uint32_t key)
{
    if (s == NULL || t == NULL)
        return -EINVAL;
    uint8_t low = lowest_ttl(t);
    for (size_t i = 0; i < t->n_hops; i++) {
        const struct kp_hop *h = &t->hops[i];
        if (!usable(t, h))
            continue;
        if (s->n == s->cap) {
            size_t cap = s->cap ? s->cap * 2 : 64;
            struct entry *e = realloc(s->e, cap * sizeof(*e));
            if (e == NULL)
                return -ENOMEM;
            s->e = e;
            s->cap = cap;
        }
        struct entry *e = &s->e[s->n++];
        memset(e, 0, sizeof(*e));
        e->key = key;
        e->ttl = h->ttl;
        e->low = low;
        e->addr = h->addr;
        e->order = s->traces;
        e->t = t;
    }
    s->traces++;
    s->sorted = false;
    return 0;
}

static int addr_cmp(const struct kp_addr *a, const struct kp_addr *b)
{
    if (a->family != b->family)
        return a->family < b->family ? -1 : 1;
    return memcmp(a->b, b->b, sizeof(a->b));
}

/* Order: key, TTL, address, then the best donor first (lowest start, earliest). */
static int entry_cmp(const void *pa, const void *pb)
{
    const struct entry *a = pa, *b = pb;
    if (a->key != b->key)
        return a->key < b->key ? -1 : 1;
    if (a->ttl != b->ttl)
        return a->ttl < b->ttl ? -1 : 1;
    int c = addr_cmp(&a->addr, &b->addr);
    if (c != 0)
        return c;
    if (a->low != b->low)
        return a->low < b->low ? -1 : 1;
    if (a->order != b->order)
        return a->order < b->order ? -1 : 1;
    return 0;
}

/* The best donor for (key, vp, ttl, addr) other than self that reaches below
 * ttl, or NULL. */
static const struct kp_trace *find_donor(const struct kp_stitch *s, uint32_t key, const char *vp,
                                         uint8_t ttl, const struct kp_addr *addr,
                                         const struct kp_trace *self)
{
    struct entry probe;
    memset(&probe, 0, sizeof(probe));
    probe.key = key;
    probe.ttl = ttl;
    probe.addr = *addr;
    /* first entry not less than (key, ttl, addr) */
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct entry *e = &s->e[mid];
        int c = e->key != key   ? (e->key < key ? -1 : 1)
                : e->ttl != ttl ? (e->ttl < ttl ? -1 : 1)
                                : addr_cmp(&e->addr, addr);
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i < s->n; i++) {
        const struct entry *e = &s->e[i];
        if (e->key != key || e->ttl != ttl || addr_cmp(&e->addr, addr) != 0)
            break;
        if (e->t == self || e->low == 0 || e->low >= ttl)
            continue;
        if (strncmp(e->t->vp, vp, sizeof(e->t->vp)) != 0)
            continue;
        return e->t;
    }
    return NULL;
}

/* The address t answered from at TTL ttl as a router (first attempt), or NULL. */
static const struct kp_hop *router_hop_at(const struct kp_trace *t, uint8_t ttl)
{
    const struct kp_hop *best = NULL;
    for (size_t i = 0; i < t->n_hops; i++) {
        const struct kp_hop *h = &t->hops[i];
        if (h->ttl != ttl || !usable(t, h))
            continue;
        if (best == NULL || h->attempt < best->attempt)
            best = h;
    }
    return best;
}

int kp_stitch_prefix(struct kp_stitch *s, const struct kp_trace *t, uint32_t key,
                     struct kp_trace *out, size_t *n_borrowed)
{
    if (s == NULL || t == NULL || out == NULL || n_borrowed == NULL)
        return -EINVAL;
    *n_borrowed = 0;
    if (!s->sorted) {
        if (s->n > 1)
            qsort(s->e, s->n, sizeof(*s->e), entry_cmp);
        s->sorted = true;
    }
    uint8_t first = t->first_ttl > 1 ? t->first_ttl : 1;
    uint8_t low = lowest_ttl(t);
    if (low <= first)
        return 0;
    const struct kp_trace *cur = t; /* the trace whose lowest hop we extend */
    bool copied = false;
    size_t added = 0;
    /* Each round moves the start strictly down; at most 255 rounds. */
    while (low > first) {
        const struct kp_hop *h = router_hop_at(cur, low);
        if (h == NULL)
            break;
        const struct kp_trace *d = find_donor(s, key, t->vp, low, &h->addr, t);
        if (d == NULL)
            break;
        if (!copied) {
            kp_trace_free(out);
            kp_trace_init(out);
            int rc = kp_trace_copy(out, t);
            if (rc != 0)
                return rc;
            copied = true;
            cur = out;
        }
        uint8_t next = low;
        for (size_t i = 0; i < d->n_hops; i++) {
            const struct kp_hop *dh = &d->hops[i];
            if (dh->ttl >= low || dh->ttl == 0 || (dh->flags & KP_HOP_DUP))
                continue;
            int rc = kp_trace_add_hop(out, dh);
            if (rc != 0)
                return rc;
            added++;
            if (dh->ttl < next)
                next = dh->ttl;
        }
        if (next >= low)
            break;
        low = next;
    }
    if (!copied)
        return 0;
    kp_trace_sort(out);
    *n_borrowed = added;
    return added > 0 ? 1 : 0;
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
