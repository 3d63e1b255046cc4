/* SPDX-License-Identifier: BSD-2-Clause */
/* Tests of the intrusive hash table (core/base/htab.h): insert, find, remove,
 * growth, equal hashes, and that a lookup visits O(1) nodes (counted with
 * `steps`, never timed). */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "core/base/addr.h"
#include "core/base/htab.h"

struct item {
    uint32_t key;
    struct kp_htab_node node;
};

static struct item *find(struct kp_htab *t, uint32_t key, uint64_t h)
{
    for (struct kp_htab_node *n = kp_htab_first(t, h); n; n = kp_htab_next(t, n)) {
        struct item *it = KP_HTAB_ENTRY(n, struct item, node);
        if (it->key == key)
            return it;
    }
    return NULL;
}

static uint64_t hash_key(uint32_t k)
{
    return kp_hash_bytes(0, &k, sizeof(k));
}

Test(htab, empty_table_finds_nothing)
{
    struct kp_htab t;
    kp_htab_init(&t);
    cr_assert_null(kp_htab_first(&t, 42));
    cr_assert_eq(t.n, 0);
    kp_htab_free(&t);
}

Test(htab, hundred_thousand_keys_found_in_constant_steps)
{
    enum { N = 100000 };
    struct item *items = calloc(N, sizeof(*items));
    struct kp_htab t;
    kp_htab_init(&t);
    for (uint32_t i = 0; i < N; i++) {
        items[i].key = i * 7919u;
        cr_assert_eq(kp_htab_insert(&t, &items[i].node, hash_key(items[i].key)), 0);
    }
    cr_assert_eq(t.n, N);
    cr_assert_geq(t.nb, N, "the bucket array grows with the nodes");
    t.steps = 0;
    for (uint32_t i = 0; i < N; i++)
        cr_assert_eq(find(&t, i * 7919u, hash_key(i * 7919u)), &items[i]);
    /* With at most one node per bucket on average, a successful lookup
     * walks about 1 + load/2 nodes; 3 per lookup leaves room for an uneven
     * spread but fails at once if lookups became linear (N/2 each). */
    cr_assert_lt(t.steps, 3ull * N, "steps %llu for %d lookups", (unsigned long long)t.steps, N);
    cr_assert_null(find(&t, 1, hash_key(1)), "1 is not a multiple of 7919");
    free(items);
    kp_htab_free(&t);
}

Test(htab, remove_keeps_the_others)
{
    enum { N = 1000 };
    struct item items[N];
    struct kp_htab t;
    kp_htab_init(&t);
    for (uint32_t i = 0; i < N; i++) {
        items[i].key = i;
        cr_assert_eq(kp_htab_insert(&t, &items[i].node, hash_key(i)), 0);
    }
    for (uint32_t i = 0; i < N; i += 2)
        kp_htab_remove(&t, &items[i].node);
    cr_assert_eq(t.n, N / 2);
    for (uint32_t i = 0; i < N; i++) {
        if (i % 2)
            cr_assert_eq(find(&t, i, hash_key(i)), &items[i]);
        else
            cr_assert_null(find(&t, i, hash_key(i)));
    }
    kp_htab_free(&t);
}

Test(htab, equal_hashes_are_all_walked_newest_first)
{
    struct item a = {.key = 1}, b = {.key = 2}, c = {.key = 3};
    struct kp_htab t;
    kp_htab_init(&t);
    /* three keys forced onto one hash value: the walk sees all three,
     * newest first, and the key comparison tells them apart */
    kp_htab_insert(&t, &a.node, 77);
    kp_htab_insert(&t, &b.node, 77);
    kp_htab_insert(&t, &c.node, 77);
    struct kp_htab_node *n = kp_htab_first(&t, 77);
    cr_assert_eq(n, &c.node);
    n = kp_htab_next(&t, n);
    cr_assert_eq(n, &b.node);
    n = kp_htab_next(&t, n);
    cr_assert_eq(n, &a.node);
    cr_assert_null(kp_htab_next(&t, n));
    kp_htab_remove(&t, &b.node);
    cr_assert_eq(find(&t, 1, 77), &a);
    cr_assert_eq(find(&t, 3, 77), &c);
    cr_assert_null(find(&t, 2, 77));
    kp_htab_free(&t);
}

Test(htab, address_hash_tells_families_and_bytes_apart)
{
    struct kp_addr a, b, c;
    kp_addr_parse("198.18.0.1", &a);
    kp_addr_parse("198.18.0.1", &b);
    kp_addr_parse("::ffff:198.18.0.1", &c);
    cr_assert_eq(kp_addr_hash(0, &a), kp_addr_hash(0, &b));
    cr_assert_neq(kp_addr_hash(0, &a), kp_addr_hash(0, &c));
    kp_addr_parse("198.18.0.2", &b);
    cr_assert_neq(kp_addr_hash(0, &a), kp_addr_hash(0, &b));
}
