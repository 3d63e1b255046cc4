/* SPDX-License-Identifier: BSD-2-Clause */
/* trie.h — longest-prefix-match trie for IPv4 and IPv6 prefixes.
 *
 * Pure: no globals, no I/O. One trie holds both families (two roots). Each
 * stored prefix carries a fixed-size value record (size chosen at creation,
 * at most KP_TRIE_VALUE_MAX bytes) that the trie copies in and owns.
 * Prefix lengths 0..32 (IPv4) and 0..128 (IPv6); overlapping prefixes are
 * fine: a lookup returns the longest stored prefix covering the address.
 * Implementation: path-compressed binary (Patricia) trie over an index-based
 * node array, so 1M prefixes cost about 2M small nodes. A big IPv4 table
 * that stopped changing gets an index by the first 16 bits of the address
 * (built by a lookup after 65,536 lookups without an insert, 512 KiB), so
 * that a lookup skips the top of the trie.
 *
 * Not thread-safe, lookups included (they may build that index), except
 * after kp_trie_seal() and until the next insert: then lookups only read,
 * and several threads may look up at once.
 */
#ifndef KP_TRIE_H
#define KP_TRIE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/addr.h"

#define KP_TRIE_VALUE_MAX 256
#define KP_PREFIX_STRLEN  (KP_ADDR_STRLEN + 4)

/* A prefix: address (host bits zero after kp_prefix_make/parse) and length. */
struct kp_prefix {
    struct kp_addr addr;
    uint8_t len; /* 0..32 for IPv4, 0..128 for IPv6 */
};

/* Build the prefix of length len covering *a (host bits cleared) into *out.
 * Returns 0, or -EINVAL when a is unset or len exceeds the family's width. */
int kp_prefix_make(const struct kp_addr *a, unsigned len, struct kp_prefix *out);

/* Parse "a.b.c.d/n" or "v6/n" (a bare address means a host prefix) into *out.
 * Host bits set beyond the length are an error (-EINVAL) unless lenient is
 * true, in which case they are cleared. Returns 0 or -EINVAL. */
int kp_prefix_parse(const char *s, bool lenient, struct kp_prefix *out);

/* Write "addr/len" into buf (at least KP_PREFIX_STRLEN bytes). Returns buf. */
char *kp_prefix_str(const struct kp_prefix *p, char *buf, size_t buflen);

/* True when prefix p covers address a (same family, first p->len bits equal). */
bool kp_prefix_contains(const struct kp_prefix *p, const struct kp_addr *a);

struct kp_trie;

/* Create an empty trie whose values are value_size bytes (1..KP_TRIE_VALUE_MAX).
 * Returns NULL on bad size or out of memory. Free with kp_trie_free. */
struct kp_trie *kp_trie_new(size_t value_size);

/* Free the trie and every value it holds. NULL is fine. */
void kp_trie_free(struct kp_trie *t);

/* Make room for `prefixes` more prefixes (about), so that loading a big
 * table does not grow the arrays step by step. 0, -EINVAL or -ENOMEM. */
int kp_trie_reserve(struct kp_trie *t, size_t prefixes);

/* Store a copy of value (value_size bytes) under prefix p, replacing any value
 * already stored under exactly p. Returns 0, -EINVAL (bad prefix), -ENOMEM. */
int kp_trie_insert(struct kp_trie *t, const struct kp_prefix *p, const void *value);

/* Nodes an insert walked past, summed over the trie's inserts (a work
 * counter for tests): an insert resumes where the one before it ended when
 * that covers its prefix, so a table loaded in address order costs a few
 * steps a prefix, not the depth of the trie. */
uint64_t kp_trie_insert_steps(const struct kp_trie *t);

/* Pointer to the value stored under exactly p, for in-place update, or NULL.
 * Valid until the next insert. */
void *kp_trie_get(struct kp_trie *t, const struct kp_prefix *p);

/* Longest-prefix match of address a. Returns a pointer to the value (valid
 * until the next insert or free) or NULL when no stored prefix covers a; when
 * found and matched is not NULL, *matched receives the stored prefix. */
/* Build now what lookups would build later (the index above, when the table
 * is big enough), so that lookups change nothing until the next insert.
 * Answers do not change. */
void kp_trie_seal(struct kp_trie *t);

const void *kp_trie_lookup(const struct kp_trie *t, const struct kp_addr *a,
                           struct kp_prefix *matched);

/* Longest stored prefix that covers ALL of prefix p (stored length <= p->len).
 * Returns the value or NULL; *matched as in kp_trie_lookup. */
const void *kp_trie_lookup_prefix(const struct kp_trie *t, const struct kp_prefix *p,
                                  struct kp_prefix *matched);

/* Number of prefixes stored (both families). */
size_t kp_trie_count(const struct kp_trie *t);

/* Call fn(prefix, value, ctx) for every stored prefix, IPv4 first, each
 * family in address order with shorter prefixes before longer ones at the
 * same address. Stops early and returns fn's value when fn returns non-zero;
 * returns 0 after a full walk. */
int kp_trie_walk(const struct kp_trie *t,
                 int (*fn)(const struct kp_prefix *p, const void *value, void *ctx), void *ctx);

/* Like kp_trie_walk, but only the stored prefixes inside p (length >= p->len,
 * first p->len bits equal to p's), in the same order. The cost is the depth
 * to p plus the prefixes visited, not the size of the trie. */
int kp_trie_walk_within(const struct kp_trie *t, const struct kp_prefix *p,
                        int (*fn)(const struct kp_prefix *q, const void *value, void *ctx),
                        void *ctx);

#endif
