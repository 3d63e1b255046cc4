/* SPDX-License-Identifier: BSD-2-Clause */
/* htab.h — the one hash table: intrusive, chained, growing.
 *
 * A table of nodes the caller embeds in its own structs (like the Linux
 * hlist): the table owns only its bucket array; the caller owns every node
 * and finds its struct from a node with KP_HTAB_ENTRY. The caller computes
 * the 64-bit hash of its key (kp_hash_*) and compares keys itself while it
 * walks the nodes that share a hash:
 *
 *     for (n = kp_htab_first(&t, h); n; n = kp_htab_next(&t, n))
 *         if (key_eq(KP_HTAB_ENTRY(n, struct thing, node), key)) ...
 *
 * Insertion and removal are O(1) (removal needs no walk); the bucket array
 * doubles when there are more nodes than buckets, so a lookup visits O(1)
 * nodes on average. `steps` counts every node a walk visits, so that tests
 * can assert that work stays linear without timing anything.
 *
 * Pure: no globals, no I/O. Hashes are not keyed: inputs chosen to collide
 * cost time, never correctness.
 */
#ifndef KP_HTAB_H
#define KP_HTAB_H

#include <stddef.h>
#include <stdint.h>

struct kp_htab_node {
    struct kp_htab_node *next;
    struct kp_htab_node **pprev; /* the pointer that points at this node */
    uint64_t hash;
};

struct kp_htab {
    struct kp_htab_node **b; /* nb buckets, nb a power of two (0 before the first insert) */
    size_t nb;
    size_t n;       /* nodes in the table */
    uint64_t steps; /* nodes visited by kp_htab_first/next since init */
};

#define KP_HTAB_ENTRY(node, type, member) ((type *)(void *)((char *)(node)-offsetof(type, member)))

/* An empty table (no allocation until the first insert). */
void kp_htab_init(struct kp_htab *t);

/* Free the bucket array. The nodes stay the caller's and are not touched. */
void kp_htab_free(struct kp_htab *t);

/* Insert node with hash h. Returns 0, or -ENOMEM when the table had to grow
 * and could not (the node is then not inserted and the table unchanged). */
int kp_htab_insert(struct kp_htab *t, struct kp_htab_node *node, uint64_t h);

/* Remove a node that is in t. O(1). */
void kp_htab_remove(struct kp_htab *t, struct kp_htab_node *node);

/* The first node with hash h, or NULL; kp_htab_next gives the following
 * node with the same hash. Nodes come newest first. */
struct kp_htab_node *kp_htab_first(struct kp_htab *t, uint64_t h);
struct kp_htab_node *kp_htab_next(struct kp_htab *t, const struct kp_htab_node *node);

/* Hashing. kp_hash_bytes hashes len bytes; kp_hash_u64 folds one more
 * 64-bit value into a running hash. Both are deterministic across runs. */
uint64_t kp_hash_bytes(uint64_t h, const void *data, size_t len);
uint64_t kp_hash_u64(uint64_t h, uint64_t v);

#endif
