/* SPDX-License-Identifier: BSD-2-Clause */
/* stopset.c — Doubletree local stop set and per-group border TTLs, on two
 * kp_htab indexes keyed by kp_addr_hash. See stopset.h. */
#include "core/plan/stopset.h"

#include <errno.h>
#include <string.h>

struct iface {
    struct kp_htab_node node;
    struct kp_addr a;
};

struct group {
    struct kp_htab_node node;
    struct kp_addr prefix; /* destination masked to its group */
    uint8_t border;
};

enum { PER_BLOCK = 64 };

static bool valid(const struct kp_addr *a)
{
    return a != NULL && (a->family == 4 || a->family == 6);
}

static struct kp_addr group_of(const struct kp_addr *dst)
{
    struct kp_addr g;
    memset(&g, 0, sizeof(g));
    g.family = dst->family;
    if (g.family == 4)
        memcpy(g.b, dst->b, 3); /* /24 */
    else
        memcpy(g.b, dst->b, 6); /* /48 */
    return g;
}

/* The lookups of a const set count their steps all the same: a set with
 * entries was filled through a non-const pointer, so it is not a const
 * object, and an empty table (no buckets) counts nothing. */
static struct kp_htab *counting(const struct kp_htab *t)
{
    return (struct kp_htab *)(uintptr_t)t;
}

void kp_stopset_init(struct kp_stopset *s)
{
    kp_htab_init(&s->ifaces);
    kp_slab_init(&s->iface_at, sizeof(struct iface), PER_BLOCK);
    kp_htab_init(&s->groups);
    kp_slab_init(&s->group_at, sizeof(struct group), PER_BLOCK);
}

void kp_stopset_free(struct kp_stopset *s)
{
    kp_htab_free(&s->ifaces);
    kp_slab_free(&s->iface_at);
    kp_htab_free(&s->groups);
    kp_slab_free(&s->group_at);
}

static struct iface *iface_find(const struct kp_stopset *s, const struct kp_addr *a, uint64_t h)
{
    struct kp_htab *t = counting(&s->ifaces);
    for (struct kp_htab_node *n = kp_htab_first(t, h); n; n = kp_htab_next(t, n)) {
        struct iface *e = KP_HTAB_ENTRY(n, struct iface, node);
        if (kp_addr_eq(&e->a, a))
            return e;
    }
    return NULL;
}

int kp_stopset_add_iface(struct kp_stopset *s, const struct kp_addr *a)
{
    if (!valid(a))
        return -EINVAL;
    uint64_t h = kp_addr_hash(0, a);
    if (iface_find(s, a, h) != NULL)
        return 0;
    struct iface *e = kp_slab_add(&s->iface_at);
    if (e == NULL)
        return -ENOMEM;
    e->a = *a;
    /* on failure the entry stays unlinked in the slab until kp_stopset_free */
    return kp_htab_insert(&s->ifaces, &e->node, h);
}

bool kp_stopset_has_iface(const struct kp_stopset *s, const struct kp_addr *a)
{
    return valid(a) && iface_find(s, a, kp_addr_hash(0, a)) != NULL;
}

static struct group *group_find(const struct kp_stopset *s, const struct kp_addr *g, uint64_t h)
{
    struct kp_htab *t = counting(&s->groups);
    for (struct kp_htab_node *n = kp_htab_first(t, h); n; n = kp_htab_next(t, n)) {
        struct group *e = KP_HTAB_ENTRY(n, struct group, node);
        if (kp_addr_eq(&e->prefix, g))
            return e;
    }
    return NULL;
}

int kp_stopset_set_border(struct kp_stopset *s, const struct kp_addr *dst, uint8_t border_ttl)
{
    if (border_ttl == 0)
        return 0;
    if (!valid(dst))
        return -EINVAL;
    struct kp_addr g = group_of(dst);
    uint64_t h = kp_addr_hash(0, &g);
    struct group *e = group_find(s, &g, h);
    if (e != NULL) {
        if (border_ttl < e->border)
            e->border = border_ttl;
        return 0;
    }
    e = kp_slab_add(&s->group_at);
    if (e == NULL)
        return -ENOMEM;
    e->prefix = g;
    e->border = border_ttl;
    return kp_htab_insert(&s->groups, &e->node, h);
}

uint8_t kp_stopset_border(const struct kp_stopset *s, const struct kp_addr *dst)
{
    if (!valid(dst))
        return 0;
    struct kp_addr g = group_of(dst);
    const struct group *e = group_find(s, &g, kp_addr_hash(0, &g));
    return e != NULL ? e->border : 0;
}

int kp_stopset_learn(struct kp_stopset *s, const struct kp_trace *t)
{
    unsigned dst_ttl = 256; /* smallest TTL at which the destination answered */
    for (size_t i = 0; i < t->n_hops; i++) {
        const struct kp_hop *h = &t->hops[i];
        if ((h->flags & KP_HOP_FROM_DST) || kp_addr_eq(&h->addr, &t->dst)) {
            if (h->ttl < dst_ttl)
                dst_ttl = h->ttl;
        }
    }
    unsigned border = 0;
    for (size_t i = 0; i < t->n_hops; i++) {
        const struct kp_hop *h = &t->hops[i];
        if ((h->flags & KP_HOP_FROM_DST) || kp_addr_eq(&h->addr, &t->dst) ||
            !kp_addr_is_set(&h->addr))
            continue;
        int rc = kp_stopset_add_iface(s, &h->addr);
        if (rc < 0)
            return rc;
        if (h->ttl < dst_ttl && h->ttl > border)
            border = h->ttl;
    }
    if (border > 0)
        return kp_stopset_set_border(s, &t->dst, (uint8_t)border);
    return 0;
}
