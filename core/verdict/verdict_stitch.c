/* SPDX-License-Identifier: BSD-2-Clause */
/* verdict_stitch.c — Doubletree prefixes for the verdict. Pure; see
 * verdict_stitch.h.
 *
 * The index maps (key, vantage point, TTL, address) to the answered router hop
 * just below it (the nearest lower TTL) on a trace that went through it; a
 * prefix is rebuilt by following these links down, one TTL at a time, which
 * is Doubletree's own assumption (the path below an interface seen at a TTL
 * is the one already traced). Memory grows with the distinct interfaces per
 * vantage point and TTL, not with the number of traces, and is bounded: links
 * live in two generations of at most max_links/2 each, indexed by the one
 * hash table (core/base/htab.h); when the current one is full the older one is
 * forgotten, and a link found in the older one is copied into the current
 * one, so the links in use stay (an approximation of least recently used). */
#include "core/verdict/verdict_stitch.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/slab.h"
#include "core/base/strtab.h"
#include "core/base/htab.h"

/* One link: (key, vantage point, TTL, address) -> the answered router hop
 * below it. */
struct link {
    struct kp_htab_node node;
    uint32_t key;
    uint8_t ttl;
    uint8_t low;    /* lowest answering TTL of the trace the link came from */
    const char *vp; /* interned */
    struct kp_addr addr;
    struct kp_hop prev; /* the answered router hop below (prev.ttl < ttl) */
};

#define LINKS_PER_BLOCK 4096

/* A generation: at most cap links, in blocks, indexed by one hash table. */
struct gen {
    struct kp_htab idx;
    struct kp_slab links; /* LINKS_PER_BLOCK to a block */
};

struct kp_stitch {
    struct gen g[2]; /* g[cur] takes new links; the other is the previous one */
    int cur;
    size_t gen_cap; /* links per generation */
    struct kp_strtab *vps;
    uint64_t dropped; /* links forgotten with a generation */
};

static void gen_clear(struct gen *g)
{
    kp_slab_free(&g->links);
    kp_htab_free(&g->idx);
}

int kp_stitch_new_bounded(size_t max_links, struct kp_stitch **out)
{
    if (out == NULL || max_links < 2)
        return -EINVAL;
    *out = calloc(1, sizeof(**out));
    if (*out == NULL)
        return -ENOMEM;
    struct kp_stitch *s = *out;
    for (int i = 0; i < 2; i++) {
        kp_htab_init(&s->g[i].idx);
        kp_slab_init(&s->g[i].links, sizeof(struct link), LINKS_PER_BLOCK);
    }
    s->gen_cap = max_links / 2;
    if (kp_strtab_new(&s->vps) != 0) {
        free(s);
        *out = NULL;
        return -ENOMEM;
    }
    return 0;
}

int kp_stitch_new(struct kp_stitch **out)
{
    return kp_stitch_new_bounded(KP_STITCH_MAX_LINKS, out);
}

void kp_stitch_free(struct kp_stitch *s)
{
    if (s == NULL)
        return;
    gen_clear(&s->g[0]);
    gen_clear(&s->g[1]);
    kp_strtab_free(s->vps);
    free(s);
}

size_t kp_stitch_links(const struct kp_stitch *s)
{
    return s->g[0].links.n + s->g[1].links.n;
}

uint64_t kp_stitch_steps(const struct kp_stitch *s)
{
    return s->g[0].idx.steps + s->g[1].idx.steps + kp_strtab_steps(s->vps);
}

uint64_t kp_stitch_dropped(const struct kp_stitch *s)
{
    return s->dropped;
}

static uint64_t hash_of(uint32_t key, const char *vp, uint8_t ttl, const struct kp_addr *a)
{
    uint64_t h = kp_hash_u64(kp_strtab_hash(vp), (uint64_t)key << 8 | ttl);
    return kp_addr_hash(h, a);
}

static struct link *gen_find(struct gen *g, uint64_t h, uint32_t key, const char *vp, uint8_t ttl,
                             const struct kp_addr *a)
{
    for (struct kp_htab_node *n = kp_htab_first(&g->idx, h); n; n = kp_htab_next(&g->idx, n)) {
        struct link *e = KP_HTAB_ENTRY(n, struct link, node);
        if (e->key == key && e->ttl == ttl && e->vp == vp && kp_addr_eq(&e->addr, a))
            return e;
    }
    return NULL;
}

/* A new link in the current generation; when it is full, the previous one
 * is forgotten and the current one becomes the previous. NULL on ENOMEM. */
static struct link *new_link(struct kp_stitch *s, uint64_t h)
{
    struct gen *g = &s->g[s->cur];
    if (g->links.n == s->gen_cap) {
        struct gen *old = &s->g[1 - s->cur];
        s->dropped += old->links.n;
        kp_htab_free(&old->idx);
        kp_slab_clear(&old->links); /* its blocks take the next generation */
        s->cur = 1 - s->cur;
        g = old;
    }
    struct link *e = kp_slab_add(&g->links);
    if (e == NULL || kp_htab_insert(&g->idx, &e->node, h) != 0)
        return NULL; /* a slab item not in the index is harmless: never found */
    return e;
}

/* The link for the tuple: in the current generation, else in the previous
 * one (then copied into the current, so that links in use stay); NULL when
 * neither has it (or out of memory: *nomem). */
static struct link *find(struct kp_stitch *s, uint32_t key, const char *vp, uint8_t ttl,
                         const struct kp_addr *a, bool *nomem)
{
    uint64_t h = hash_of(key, vp, ttl, a);
    struct link *e = gen_find(&s->g[s->cur], h, key, vp, ttl, a);
    if (e != NULL)
        return e;
    struct link *o = gen_find(&s->g[1 - s->cur], h, key, vp, ttl, a);
    if (o == NULL)
        return NULL;
    struct link copy = *o;
    e = new_link(s, h); /* may forget the generation o is in */
    if (e == NULL) {
        *nomem = true;
        return NULL;
    }
    struct kp_htab_node node = e->node;
    *e = copy;
    e->node = node;
    return e;
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
    const char *vp = kp_strtab_intern(s->vps, t->vp, strnlen(t->vp, KP_VP_LEN));
    if (vp == NULL)
        return -ENOMEM;
    const struct kp_hop *by[256];
    per_ttl(t, by);
    uint8_t low = lowest_ttl(t);
    const struct kp_hop *below = NULL;
    for (int ttl = 1; ttl < 256; ttl++) {
        const struct kp_hop *h = by[ttl];
        if (h == NULL)
            continue;
        if (below != NULL) {
            bool nomem = false;
            struct link *e = find(s, key, vp, h->ttl, &h->addr, &nomem);
            if (nomem)
                return -ENOMEM;
            if (e == NULL) {
                e = new_link(s, hash_of(key, vp, h->ttl, &h->addr));
                if (e == NULL)
                    return -ENOMEM;
                e->key = key;
                e->ttl = h->ttl;
                e->vp = vp;
                e->addr = h->addr;
                e->low = low;
                e->prev = *below;
            } else if (low < e->low) {
                e->low = low;
                e->prev = *below;
            }
        }
        below = h;
    }
    return 0;
}

bool kp_stitch_may_borrow(const struct kp_trace *t)
{
    uint8_t first = t->first_ttl > 1 ? t->first_ttl : 1;
    return lowest_ttl(t) > first;
}

int kp_stitch_prefix(struct kp_stitch *s, const struct kp_trace *t, uint32_t key,
                     struct kp_trace *out, size_t *n_borrowed)
{
    if (s == NULL || t == NULL || out == NULL || n_borrowed == NULL)
        return -EINVAL;
    *n_borrowed = 0;
    if (!kp_stitch_may_borrow(t))
        return 0;
    uint8_t first = t->first_ttl > 1 ? t->first_ttl : 1;
    uint8_t low = lowest_ttl(t);
    const struct kp_hop *by[256];
    per_ttl(t, by);
    const struct kp_hop *h = by[low];
    if (h == NULL)
        return 0; /* only the destination answered: nothing to follow */
    const char *vp = kp_strtab_intern(s->vps, t->vp, strnlen(t->vp, KP_VP_LEN));
    if (vp == NULL)
        return -ENOMEM;
    /* Follow the links down; TTLs strictly decrease, so this ends. The hops
     * are copied out: a lookup may move links between generations. */
    struct kp_hop chain[255];
    size_t n = 0;
    uint8_t ttl = low;
    struct kp_addr at = h->addr;
    bool nomem = false;
    while (ttl > first && n < 255) {
        const struct link *e = find(s, key, vp, ttl, &at, &nomem);
        /* Doubletree's stop set is by interface, not by TTL: the interface
         * may have been traced only at a lower TTL (a longer way to it this
         * time). Then the hops below it there are the best knowledge; they
         * keep their own TTLs, so the TTLs between count as silent. */
        for (int d = ttl - 1; e == NULL && !nomem && d > (int)first; d--)
            e = find(s, key, vp, (uint8_t)d, &at, &nomem);
        if (nomem)
            return -ENOMEM;
        if (e == NULL || e->prev.ttl >= ttl)
            break;
        chain[n++] = e->prev;
        ttl = e->prev.ttl;
        at = e->prev.addr;
    }
    if (n == 0)
        return 0;
    kp_trace_free(out);
    kp_trace_init(out);
    int rc = kp_trace_copy(out, t);
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = kp_trace_add_hop(out, &chain[i]);
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
