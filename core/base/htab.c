/* SPDX-License-Identifier: BSD-2-Clause */
/* htab.c — the intrusive chained hash table (see htab.h). */
#include "core/base/htab.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void kp_htab_init(struct kp_htab *t)
{
    memset(t, 0, sizeof(*t));
}

void kp_htab_free(struct kp_htab *t)
{
    free(t->b);
    kp_htab_init(t);
}

static void link_node(struct kp_htab_node **slot, struct kp_htab_node *node)
{
    node->next = *slot;
    if (node->next)
        node->next->pprev = &node->next;
    node->pprev = slot;
    *slot = node;
}

static int grow(struct kp_htab *t)
{
    size_t nb = t->nb ? t->nb * 2 : 16;
    if (nb > SIZE_MAX / sizeof(*t->b))
        return -ENOMEM;
    struct kp_htab_node **b = calloc(nb, sizeof(*b));
    if (!b)
        return -ENOMEM;
    for (size_t i = 0; i < t->nb; i++) {
        struct kp_htab_node *n = t->b[i];
        while (n) {
            struct kp_htab_node *next = n->next;
            link_node(&b[n->hash & (nb - 1)], n);
            n = next;
        }
    }
    free(t->b);
    t->b = b;
    t->nb = nb;
    return 0;
}

int kp_htab_insert(struct kp_htab *t, struct kp_htab_node *node, uint64_t h)
{
    if (t->n >= t->nb) {
        int rc = grow(t);
        if (rc < 0)
            return rc;
    }
    node->hash = h;
    link_node(&t->b[h & (t->nb - 1)], node);
    t->n++;
    return 0;
}

void kp_htab_remove(struct kp_htab *t, struct kp_htab_node *node)
{
    *node->pprev = node->next;
    if (node->next)
        node->next->pprev = node->pprev;
    node->next = NULL;
    node->pprev = NULL;
    t->n--;
}

static struct kp_htab_node *same_hash(struct kp_htab *t, struct kp_htab_node *n, uint64_t h)
{
    for (; n; n = n->next) {
        t->steps++;
        if (n->hash == h)
            return n;
    }
    return NULL;
}

struct kp_htab_node *kp_htab_first(struct kp_htab *t, uint64_t h)
{
    if (t->nb == 0)
        return NULL;
    return same_hash(t, t->b[h & (t->nb - 1)], h);
}

struct kp_htab_node *kp_htab_next(struct kp_htab *t, const struct kp_htab_node *node)
{
    return same_hash(t, node->next, node->hash);
}

uint64_t kp_hash_u64(uint64_t h, uint64_t v)
{
    /* splitmix64's finaliser over the running value and the new word */
    uint64_t z = h ^ (v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2));
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

uint64_t kp_hash_bytes(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = kp_hash_u64(h, w);
        p += 8;
        len -= 8;
    }
    uint64_t w = 0;
    memcpy(&w, p, len);
    return kp_hash_u64(h, w ^ ((uint64_t)len << 56));
}
