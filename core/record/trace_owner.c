/* SPDX-License-Identifier: BSD-2-Clause */
/* trace_owner.c — the run's traces in flight. See trace_owner.h. */
#include "core/record/trace_owner.h"

#include <stdlib.h>

static uint64_t id_hash(uint64_t id)
{
    return kp_hash_u64(0x6b70746f776e6572ull, id);
}

void kp_trace_owners_init(struct kp_trace_owners *o)
{
    kp_htab_init(&o->tab);
}

void kp_trace_owners_drain(struct kp_trace_owners *o,
                           void (*cb)(void *ctx, const struct kp_trace_owner *e), void *ctx)
{
    for (size_t i = 0; i < o->tab.nb; i++) {
        while (o->tab.b[i]) {
            struct kp_trace_owner *e = KP_HTAB_ENTRY(o->tab.b[i], struct kp_trace_owner, node);
            kp_htab_remove(&o->tab, &e->node);
            if (cb)
                cb(ctx, e);
            free(e);
        }
    }
}

void kp_trace_owners_free(struct kp_trace_owners *o)
{
    kp_trace_owners_drain(o, NULL, NULL);
    kp_htab_free(&o->tab);
}

struct kp_trace_owner *kp_trace_owners_add(struct kp_trace_owners *o, uint64_t id,
                                           const struct kp_addr *dst, enum kp_method m,
                                           uint64_t job)
{
    struct kp_trace_owner *e = calloc(1, sizeof(*e));
    if (e == NULL)
        return NULL;
    e->id = id;
    e->dst = *dst;
    e->method = (uint8_t)m;
    e->job = job;
    if (kp_htab_insert(&o->tab, &e->node, id_hash(id)) != 0) {
        free(e);
        return NULL;
    }
    return e;
}

struct kp_trace_owner *kp_trace_owners_find(struct kp_trace_owners *o, uint64_t id)
{
    uint64_t h = id_hash(id);
    for (struct kp_htab_node *n = kp_htab_first(&o->tab, h); n; n = kp_htab_next(&o->tab, n)) {
        struct kp_trace_owner *e = KP_HTAB_ENTRY(n, struct kp_trace_owner, node);
        if (e->id == id)
            return e;
    }
    return NULL;
}

enum kp_owner_match kp_trace_owners_take(struct kp_trace_owners *o, const struct kp_trace *t,
                                         struct kp_trace_owner **out)
{
    *out = NULL;
    struct kp_trace_owner *e = kp_trace_owners_find(o, t->id);
    if (e == NULL)
        return KP_OWNER_UNKNOWN;
    if (e->method != (uint8_t)t->method || !kp_addr_eq(&e->dst, &t->dst))
        return KP_OWNER_MISMATCH;
    kp_htab_remove(&o->tab, &e->node);
    *out = e;
    return KP_OWNER_OK;
}

void kp_trace_owner_free(struct kp_trace_owner *e)
{
    free(e);
}

size_t kp_trace_owners_count(const struct kp_trace_owners *o)
{
    return o->tab.n;
}
