/* SPDX-License-Identifier: BSD-2-Clause */
/* slab.h — an append-only array of fixed-size items that never move.
 *
 * Items are allocated in blocks, so a pointer to an item stays valid until
 * the slab is freed (intrusive hash-table nodes can live in them), growth
 * never copies, and there is no per-item malloc overhead. Pure: no I/O, no
 * globals.
 */
#ifndef KP_ANALYSIS_SLAB_H
#define KP_ANALYSIS_SLAB_H

#include <stddef.h>

struct kp_slab {
    size_t item, per_block; /* item size, items per block */
    char **blocks;
    size_t n_blocks, n; /* blocks, items */
};

/* An empty slab of items of `item` bytes, `per_block` to a block. */
void kp_slab_init(struct kp_slab *s, size_t item, size_t per_block);

/* A new zeroed item at the end, or NULL when out of memory. */
void *kp_slab_add(struct kp_slab *s);

/* Item i (< s->n). */
void *kp_slab_at(const struct kp_slab *s, size_t i);

/* Empty the slab but keep its blocks for the items added next (a slab that
 * is filled and emptied again and again touches no new memory). */
void kp_slab_clear(struct kp_slab *s);

/* Free every block; the slab is empty again (same item size). */
void kp_slab_free(struct kp_slab *s);

#endif
