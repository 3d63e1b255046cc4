/* SPDX-License-Identifier: BSD-2-Clause */
/* stopset.c — Doubletree local stop set and per-group border TTLs.
 * Two open-addressing hash tables (linear probing, power-of-two sizes, load
 * <= 1/2). See stopset.h. */
#include "core/plan/stopset.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct kp_stopset_iface {
    struct kp_addr a;
    uint8_t used;
};

struct kp_stopset_group {
    struct kp_addr prefix; /* destination masked to its group */
    uint8_t border;
    uint8_t used;
};

static uint64_t addr_hash(const struct kp_addr *a)
{
    uint64_t h = 1469598103934665603ull ^ a->family;
    size_t n = a->family == 4 ? 4 : 16;
    for (size_t i = 0; i < n; i++) {
        h ^= a->b[i];
        h *= 1099511628211ull;
    }
    h ^= h >> 29;
    return h;
}

static struct kp_addr norm(const struct kp_addr *a)
{
    struct kp_addr n;
    memset(&n, 0, sizeof(n));
    n.family = a->family;
    memcpy(n.b, a->b, a->family == 4 ? 4 : 16);
    return n;
}

static struct kp_addr group_of(const struct kp_addr *dst)
{
    struct kp_addr g = norm(dst);
    if (g.family == 4)
        g.b[3] = 0; /* /24 */
    else
        memset(g.b + 6, 0, 10); /* /48 */
    return g;
}

void kp_stopset_init(struct kp_stopset *s)
{
    memset(s, 0, sizeof(*s));
}

void kp_stopset_free(struct kp_stopset *s)
{
    free(s->ifaces);
    free(s->groups);
    memset(s, 0, sizeof(*s));
}

static size_t iface_slot(const struct kp_stopset_iface *tab, size_t cap, const struct kp_addr *a)
{
    size_t i = (size_t)addr_hash(a) & (cap - 1);
    while (tab[i].used && !kp_addr_eq(&tab[i].a, a))
        i = (i + 1) & (cap - 1);
    return i;
}

static int iface_grow(struct kp_stopset *s)
{
    size_t ncap = s->cap_ifaces ? s->cap_ifaces * 2 : 64;
    struct kp_stopset_iface *n = calloc(ncap, sizeof(*n));
    if (n == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < s->cap_ifaces; i++) {
        if (s->ifaces[i].used)
            n[iface_slot(n, ncap, &s->ifaces[i].a)] = s->ifaces[i];
    }
    free(s->ifaces);
    s->ifaces = n;
    s->cap_ifaces = ncap;
    return 0;
}

int kp_stopset_add_iface(struct kp_stopset *s, const struct kp_addr *a)
{
    if (a == NULL || (a->family != 4 && a->family != 6))
        return -EINVAL;
    if ((s->n_ifaces + 1) * 2 > s->cap_ifaces) {
        int rc = iface_grow(s);
        if (rc < 0)
            return rc;
    }
    struct kp_addr k = norm(a);
    size_t i = iface_slot(s->ifaces, s->cap_ifaces, &k);
    if (!s->ifaces[i].used) {
        s->ifaces[i].a = k;
        s->ifaces[i].used = 1;
        s->n_ifaces++;
    }
    return 0;
}

bool kp_stopset_has_iface(const struct kp_stopset *s, const struct kp_addr *a)
{
    if (s->cap_ifaces == 0 || a == NULL || (a->family != 4 && a->family != 6))
        return false;
    struct kp_addr k = norm(a);
    return s->ifaces[iface_slot(s->ifaces, s->cap_ifaces, &k)].used;
}

static size_t group_slot(const struct kp_stopset_group *tab, size_t cap, const struct kp_addr *g)
{
    size_t i = (size_t)addr_hash(g) & (cap - 1);
    while (tab[i].used && !kp_addr_eq(&tab[i].prefix, g))
        i = (i + 1) & (cap - 1);
    return i;
}

static int group_grow(struct kp_stopset *s)
{
    size_t ncap = s->cap_groups ? s->cap_groups * 2 : 64;
    struct kp_stopset_group *n = calloc(ncap, sizeof(*n));
    if (n == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < s->cap_groups; i++) {
        if (s->groups[i].used)
            n[group_slot(n, ncap, &s->groups[i].prefix)] = s->groups[i];
    }
    free(s->groups);
    s->groups = n;
    s->cap_groups = ncap;
    return 0;
}

int kp_stopset_set_border(struct kp_stopset *s, const struct kp_addr *dst, uint8_t border_ttl)
{
    if (border_ttl == 0)
        return 0;
    if (dst == NULL || (dst->family != 4 && dst->family != 6))
        return -EINVAL;
    if ((s->n_groups + 1) * 2 > s->cap_groups) {
        int rc = group_grow(s);
        if (rc < 0)
            return rc;
    }
    struct kp_addr g = group_of(dst);
    size_t i = group_slot(s->groups, s->cap_groups, &g);
    if (!s->groups[i].used) {
        s->groups[i].prefix = g;
        s->groups[i].border = border_ttl;
        s->groups[i].used = 1;
        s->n_groups++;
    } else if (border_ttl < s->groups[i].border) {
        s->groups[i].border = border_ttl;
    }
    return 0;
}

uint8_t kp_stopset_border(const struct kp_stopset *s, const struct kp_addr *dst)
{
    if (s->cap_groups == 0 || dst == NULL || (dst->family != 4 && dst->family != 6))
        return 0;
    struct kp_addr g = group_of(dst);
    const struct kp_stopset_group *e = &s->groups[group_slot(s->groups, s->cap_groups, &g)];
    return e->used ? e->border : 0;
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
