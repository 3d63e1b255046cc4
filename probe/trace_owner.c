/* trace_owner.c — the run's trace ids and what they trace. See trace_owner.h. */
#include "probe/trace_owner.h"

#include <errno.h>
#include <stdlib.h>

int kp_trace_owners_init(struct kp_trace_owners *o, uint32_t n)
{
    o->e = NULL;
    o->n = 0;
    if (n == 0)
        return -EINVAL;
    o->e = calloc(n, sizeof(*o->e));
    if (o->e == NULL)
        return -ENOMEM;
    o->n = n;
    return 0;
}

void kp_trace_owners_free(struct kp_trace_owners *o)
{
    free(o->e);
    o->e = NULL;
    o->n = 0;
}

void kp_trace_owners_set(struct kp_trace_owners *o, uint64_t id, const struct kp_addr *dst,
                         enum kp_method m)
{
    if (id >= o->n)
        return;
    o->e[id].dst = *dst;
    o->e[id].method = (uint8_t)m;
    o->e[id].used = true;
}

bool kp_trace_owners_match(const struct kp_trace_owners *o, const struct kp_trace *t)
{
    if (t->id >= o->n)
        return false;
    const struct kp_trace_owner *w = &o->e[t->id];
    return w->used && w->method == (uint8_t)t->method && kp_addr_eq(&w->dst, &t->dst);
}
