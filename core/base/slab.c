/* SPDX-License-Identifier: BSD-2-Clause */
/* slab.c — append-only array of items that never move; see slab.h. */
#include "core/base/slab.h"

#include <stdlib.h>
#include <string.h>

void kp_slab_init(struct kp_slab *s, size_t item, size_t per_block)
{
    memset(s, 0, sizeof(*s));
    s->item = item;
    s->per_block = per_block ? per_block : 1;
}

void *kp_slab_add(struct kp_slab *s)
{
    if (s->n == s->n_blocks * s->per_block) {
        char **bl = realloc(s->blocks, (s->n_blocks + 1) * sizeof(*bl));
        if (bl == NULL)
            return NULL;
        s->blocks = bl;
        bl[s->n_blocks] = malloc(s->per_block * s->item);
        if (bl[s->n_blocks] == NULL)
            return NULL;
        s->n_blocks++;
    }
    void *p = kp_slab_at(s, s->n);
    memset(p, 0, s->item);
    s->n++;
    return p;
}

void *kp_slab_at(const struct kp_slab *s, size_t i)
{
    return s->blocks[i / s->per_block] + (i % s->per_block) * s->item;
}

void kp_slab_clear(struct kp_slab *s)
{
    s->n = 0;
}

void kp_slab_free(struct kp_slab *s)
{
    for (size_t i = 0; i < s->n_blocks; i++)
        free(s->blocks[i]);
    free(s->blocks);
    kp_slab_init(s, s->item, s->per_block);
}
