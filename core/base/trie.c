/* SPDX-License-Identifier: BSD-2-Clause */
/* trie.c — path-compressed binary trie for longest-prefix match.
 *
 * Nodes live in one growable array and refer to each other by index (0 is
 * "none"), so growth never leaves dangling pointers. Each node holds a masked
 * key, its bit length, an optional value slot (index into the value array)
 * and two children. Invariant: a child's key extends its parent's key and is
 * strictly longer; a node without a value has two children (glue node).
 */
#include "core/base/trie.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define NONE 0u

struct node {
    uint8_t key[16];
    uint8_t len;
    uint32_t child[2];
    uint32_t value; /* 1-based index into values, 0 = no value */
};

/* Where a lookup of an IPv4 address resumes, by its first 16 bits: the
 * first node on its path of length >= 16 (0: the walk ends before) and the
 * best valued node above it (0: none). */
struct jump {
    uint32_t resume, best;
};

#define JUMP_BITS 16
/* Built once this many lookups came after the last insert (so that a table
 * that keeps changing never pays for it), for tables this big. */
#define JUMP_AFTER 65536u
#define JUMP_MIN   4096u

struct kp_trie {
    size_t value_size;
    struct node *nodes; /* nodes[0] unused */
    uint32_t n_nodes, cap_nodes;
    uint8_t *values; /* value i (1-based) at values[(i-1)*value_size] */
    uint32_t n_values, cap_values;
    uint32_t root[2]; /* [0] IPv4, [1] IPv6 */
    /* lookup index, a cache: valid while jump_ok; rebuilt after JUMP_AFTER
     * lookups without an insert */
    struct jump *jump;
    bool jump_ok;
    uint32_t lookups_since_insert;
    /* the last insert's path, root first (a finger: a table loaded in
     * address order inserts each prefix next to the one before, so the next
     * insert resumes at the deepest node of it that covers its prefix instead
     * of walking from the root); family 0: none */
    uint32_t path[130];
    unsigned depth;
    uint8_t path_family;
    uint64_t insert_steps;
};

static unsigned family_bits(uint8_t family)
{
    return family == 4 ? 32u : family == 6 ? 128u : 0u;
}

static int bit_at(const uint8_t *key, unsigned i)
{
    return (key[i >> 3] >> (7 - (i & 7))) & 1;
}

static void mask_key(uint8_t *key, unsigned len, unsigned bytes)
{
    for (unsigned i = 0; i < bytes; i++) {
        unsigned lo = i * 8;
        if (lo >= len)
            key[i] = 0;
        else if (len - lo < 8)
            key[i] &= (uint8_t)(0xFFu << (8 - (len - lo)));
    }
}

/* Number of leading bits equal in a and b, at most limit. */
static unsigned common_bits(const uint8_t *a, const uint8_t *b, unsigned limit)
{
    unsigned n = 0;
    unsigned i = 0;
    while (n < limit) {
        uint8_t x = a[i] ^ b[i];
        if (x == 0) {
            n += 8;
            i++;
            continue;
        }
        while ((x & 0x80) == 0) {
            x <<= 1;
            n++;
        }
        break;
    }
    return n < limit ? n : limit;
}

int kp_prefix_make(const struct kp_addr *a, unsigned len, struct kp_prefix *out)
{
    unsigned bits = family_bits(a->family);
    if (bits == 0 || len > bits)
        return -EINVAL;
    memset(out, 0, sizeof(*out));
    out->addr.family = a->family;
    memcpy(out->addr.b, a->b, bits / 8);
    mask_key(out->addr.b, len, 16);
    out->len = (uint8_t)len;
    return 0;
}

int kp_prefix_parse(const char *s, bool lenient, struct kp_prefix *out)
{
    char buf[KP_PREFIX_STRLEN + 2];
    memset(out, 0, sizeof(*out));
    if (s == NULL)
        return -EINVAL;
    size_t n = strlen(s);
    if (n == 0 || n >= sizeof(buf))
        return -EINVAL;
    memcpy(buf, s, n + 1);
    char *slash = strchr(buf, '/');
    long len = -1;
    if (slash != NULL) {
        *slash = '\0';
        const char *p = slash + 1;
        if (*p == '\0' || strlen(p) > 3)
            return -EINVAL;
        len = 0;
        for (; *p; p++) {
            if (*p < '0' || *p > '9')
                return -EINVAL;
            len = len * 10 + (*p - '0');
        }
    }
    struct kp_addr a;
    if (kp_addr_parse(buf, &a) != 0)
        return -EINVAL;
    unsigned bits = family_bits(a.family);
    if (len < 0)
        len = (long)bits;
    if (len > (long)bits)
        return -EINVAL;
    if (kp_prefix_make(&a, (unsigned)len, out) != 0)
        return -EINVAL;
    if (!lenient && memcmp(out->addr.b, a.b, 16) != 0) {
        memset(out, 0, sizeof(*out));
        return -EINVAL;
    }
    return 0;
}

char *kp_prefix_str(const struct kp_prefix *p, char *buf, size_t buflen)
{
    char a[KP_ADDR_STRLEN];
    if (buflen == 0)
        return buf;
    kp_addr_str(&p->addr, a, sizeof(a));
    if (a[0] == '\0')
        buf[0] = '\0';
    else
        snprintf(buf, buflen, "%s/%u", a, (unsigned)p->len);
    return buf;
}

bool kp_prefix_contains(const struct kp_prefix *p, const struct kp_addr *a)
{
    if (p->addr.family != a->family || family_bits(a->family) == 0)
        return false;
    return common_bits(p->addr.b, a->b, p->len) >= p->len;
}

struct kp_trie *kp_trie_new(size_t value_size)
{
    if (value_size == 0 || value_size > KP_TRIE_VALUE_MAX)
        return NULL;
    struct kp_trie *t = calloc(1, sizeof(*t));
    if (t == NULL)
        return NULL;
    t->value_size = value_size;
    t->cap_nodes = 64;
    t->nodes = calloc(t->cap_nodes, sizeof(*t->nodes));
    if (t->nodes == NULL) {
        free(t);
        return NULL;
    }
    t->n_nodes = 1;
    return t;
}

void kp_trie_free(struct kp_trie *t)
{
    if (t == NULL)
        return;
    free(t->jump);
    free(t->nodes);
    free(t->values);
    free(t);
}

/* realloc, and for a big array a hint that it be backed by huge pages: a
 * 1M-prefix table is ~100 MB touched at random by lookups (fewer page
 * faults while loading, fewer TLB misses while looking up). */
static void *big_realloc(void *p, size_t n)
{
    void *q = realloc(p, n);
#ifdef MADV_HUGEPAGE
    if (q != NULL && n >= ((size_t)4 << 20)) {
        uintptr_t lo = ((uintptr_t)q + 4095) & ~(uintptr_t)4095;
        uintptr_t hi = ((uintptr_t)q + n) & ~(uintptr_t)4095;
        if (hi > lo)
            (void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE); /* a hint: failure is fine */
    }
#endif
    return q;
}

/* Make room for `more` nodes and one value. */
static int reserve(struct kp_trie *t, uint32_t more)
{
    if (t->n_nodes + more > t->cap_nodes) {
        if (t->cap_nodes > UINT32_MAX / 2)
            return -ENOMEM;
        uint32_t cap = t->cap_nodes * 2;
        struct node *n = big_realloc(t->nodes, (size_t)cap * sizeof(*n));
        if (n == NULL)
            return -ENOMEM;
        t->nodes = n;
        t->cap_nodes = cap;
    }
    if (t->n_values + 1 > t->cap_values) {
        if (t->cap_values > UINT32_MAX / 2)
            return -ENOMEM;
        uint32_t cap = t->cap_values ? t->cap_values * 2 : 64;
        uint8_t *v = big_realloc(t->values, (size_t)cap * t->value_size);
        if (v == NULL)
            return -ENOMEM;
        t->values = v;
        t->cap_values = cap;
    }
    return 0;
}

static uint32_t new_node(struct kp_trie *t, const uint8_t *key, unsigned len)
{
    uint32_t i = t->n_nodes++;
    struct node *n = &t->nodes[i];
    memset(n, 0, sizeof(*n));
    memcpy(n->key, key, 16);
    mask_key(n->key, len, 16);
    n->len = (uint8_t)len;
    return i;
}

static void set_value(struct kp_trie *t, uint32_t ni, const void *value)
{
    struct node *n = &t->nodes[ni];
    if (n->value == 0)
        n->value = ++t->n_values;
    memcpy(t->values + (size_t)(n->value - 1) * t->value_size, value, t->value_size);
}

static bool prefix_ok(const struct kp_prefix *p)
{
    unsigned bits = family_bits(p->addr.family);
    return bits != 0 && p->len <= bits;
}

int kp_trie_reserve(struct kp_trie *t, size_t prefixes)
{
    if (t == NULL)
        return -EINVAL;
    if (prefixes > UINT32_MAX / 4)
        return -ENOMEM;
    if (prefixes > UINT32_MAX / 4 - t->n_nodes)
        return -ENOMEM;
    uint32_t nodes = t->n_nodes + (uint32_t)prefixes * 2 + 1;
    uint32_t vals = t->n_values + (uint32_t)prefixes;
    if (nodes > t->cap_nodes) {
        struct node *n = big_realloc(t->nodes, (size_t)nodes * sizeof(*n));
        if (n == NULL)
            return -ENOMEM;
        t->nodes = n;
        t->cap_nodes = nodes;
    }
    if (vals > t->cap_values) {
        uint8_t *v = big_realloc(t->values, (size_t)vals * t->value_size);
        if (v == NULL)
            return -ENOMEM;
        t->values = v;
        t->cap_values = vals;
    }
    return 0;
}

/* Where an insert of key/len resumes: the deepest node of the last insert's
 * path whose key is a prefix of key no longer than len (all of the path
 * above it is too, so the walk from the root would pass through it), or
 * NONE. The path is cut below it. */
static uint32_t finger(struct kp_trie *t, uint8_t family, const uint8_t *key, unsigned len)
{
    if (t->path_family != family)
        t->depth = 0;
    while (t->depth > 0) {
        const struct node *n = &t->nodes[t->path[t->depth - 1]];
        if (n->len <= len && common_bits(n->key, key, n->len) >= n->len)
            return t->path[t->depth - 1];
        t->depth--;
    }
    return NONE;
}

static void path_push(struct kp_trie *t, uint32_t ni)
{
    if (t->depth < sizeof(t->path) / sizeof(t->path[0]))
        t->path[t->depth++] = ni;
}

int kp_trie_insert(struct kp_trie *t, const struct kp_prefix *p, const void *value)
{
    if (t == NULL || p == NULL || value == NULL || !prefix_ok(p))
        return -EINVAL;
    t->jump_ok = false;
    t->lookups_since_insert = 0;
    int rc = reserve(t, 2);
    if (rc != 0)
        return rc;
    uint8_t key[16];
    memcpy(key, p->addr.b, 16);
    mask_key(key, p->len, 16);
    unsigned len = p->len;
    unsigned fam = p->addr.family == 6;

    /* The link to follow is either a root slot or a child slot of a node;
     * remember which, since node storage does not move during this call. */
    uint32_t *link = &t->root[fam];
    uint32_t from = finger(t, p->addr.family, key, len);
    t->path_family = p->addr.family;
    if (from != NONE) {
        if (t->nodes[from].len == len) {
            set_value(t, from, value);
            return 0;
        }
        link = &t->nodes[from].child[bit_at(key, t->nodes[from].len)];
    }
    while (*link != NONE) {
        uint32_t ni = *link;
        struct node *n = &t->nodes[ni];
        t->insert_steps++;
        unsigned lim = n->len < len ? n->len : len;
        unsigned c = common_bits(n->key, key, lim);
        if (c < n->len) {
            uint32_t nn = new_node(t, key, len);
            if (c == len) {
                /* New prefix is an ancestor of n. */
                t->nodes[nn].child[bit_at(t->nodes[ni].key, len)] = ni;
                set_value(t, nn, value);
                *link = nn;
                path_push(t, nn);
                return 0;
            }
            /* Diverge at bit c: glue node with n and the new node below. */
            uint32_t glue = new_node(t, key, c);
            t->nodes[glue].child[bit_at(key, c)] = nn;
            t->nodes[glue].child[bit_at(t->nodes[ni].key, c)] = ni;
            set_value(t, nn, value);
            *link = glue;
            path_push(t, glue);
            path_push(t, nn);
            return 0;
        }
        path_push(t, ni);
        if (n->len == len) {
            set_value(t, ni, value);
            return 0;
        }
        link = &t->nodes[ni].child[bit_at(key, n->len)];
    }
    uint32_t nn = new_node(t, key, len);
    set_value(t, nn, value);
    *link = nn;
    path_push(t, nn);
    return 0;
}

uint64_t kp_trie_insert_steps(const struct kp_trie *t)
{
    return t ? t->insert_steps : 0;
}

/* The shallowest node at least as long as p whose key starts with p's bits:
 * the root of everything stored inside p (p itself included), or NONE. */
static uint32_t subtree_of(const struct kp_trie *t, const struct kp_prefix *p)
{
    uint8_t key[16];
    memcpy(key, p->addr.b, 16);
    mask_key(key, p->len, 16);
    uint32_t ni = t->root[p->addr.family == 6];
    while (ni != NONE) {
        const struct node *n = &t->nodes[ni];
        if (n->len >= p->len)
            return common_bits(n->key, key, p->len) >= p->len ? ni : NONE;
        if (common_bits(n->key, key, n->len) < n->len)
            return NONE;
        ni = n->child[bit_at(key, n->len)];
    }
    return NONE;
}

void *kp_trie_get(struct kp_trie *t, const struct kp_prefix *p)
{
    if (t == NULL || p == NULL || !prefix_ok(p))
        return NULL;
    uint32_t ni = subtree_of(t, p);
    if (ni == NONE || t->nodes[ni].len != p->len || t->nodes[ni].value == 0)
        return NULL;
    return t->values + (size_t)(t->nodes[ni].value - 1) * t->value_size;
}

/* True when the first len bits of key and a are equal. */
static bool key_matches(const uint8_t *key, const uint8_t *a, unsigned len)
{
    unsigned full = len >> 3, rem = len & 7;
    if (full > 0 && memcmp(key, a, full) != 0)
        return false;
    return rem == 0 || ((key[full] ^ a[full]) & (uint8_t)(0xFFu << (8 - rem))) == 0;
}

/* The IPv4 lookup index: for each first JUMP_BITS bits, walk the nodes
 * shorter than JUMP_BITS (they depend on those bits only). */
static void build_jump(struct kp_trie *t)
{
    if (t->jump == NULL) {
        t->jump = malloc(((size_t)1 << JUMP_BITS) * sizeof(*t->jump));
        if (t->jump == NULL)
            return;
    }
    for (uint32_t i = 0; i < (1u << JUMP_BITS); i++) {
        uint8_t key[16] = {(uint8_t)(i >> 8), (uint8_t)i};
        uint32_t ni = t->root[0], best = NONE;
        while (ni != NONE) {
            const struct node *n = &t->nodes[ni];
            if (n->len >= JUMP_BITS)
                break;
            if (!key_matches(n->key, key, n->len)) {
                ni = NONE;
                break;
            }
            if (n->value)
                best = ni;
            ni = n->child[bit_at(key, n->len)];
        }
        t->jump[i].resume = ni;
        t->jump[i].best = best;
    }
    t->jump_ok = true;
}

void kp_trie_seal(struct kp_trie *t)
{
    if (t == NULL)
        return;
    t->lookups_since_insert = JUMP_AFTER;
    if (!t->jump_ok && t->n_values >= JUMP_MIN)
        build_jump(t);
}

static const void *lookup(const struct kp_trie *ct, const struct kp_addr *a, unsigned bits,
                          struct kp_prefix *matched)
{
    /* The index is a cache of the trie's shape: built here, which is why
     * lookups take a const trie (see trie.h on threads). */
    struct kp_trie *t = (struct kp_trie *)(uintptr_t)ct;
    uint32_t ni = t->root[a->family == 6];
    const struct node *best = NULL;
    if (a->family == 4 && bits >= JUMP_BITS) {
        if (!t->jump_ok && t->lookups_since_insert < JUMP_AFTER)
            t->lookups_since_insert++;
        else if (!t->jump_ok && t->n_values >= JUMP_MIN)
            build_jump(t);
        if (t->jump_ok) {
            const struct jump *j = &t->jump[(uint32_t)a->b[0] << 8 | a->b[1]];
            ni = j->resume;
            best = j->best ? &t->nodes[j->best] : NULL;
        }
    }
    while (ni != NONE) {
        const struct node *n = &t->nodes[ni];
        if (n->len > bits || !key_matches(n->key, a->b, n->len))
            break;
        if (n->value)
            best = n;
        if (n->len >= bits)
            break;
        ni = n->child[bit_at(a->b, n->len)];
    }
    if (best == NULL)
        return NULL;
    if (matched != NULL) {
        memset(matched, 0, sizeof(*matched));
        matched->addr.family = a->family;
        memcpy(matched->addr.b, best->key, 16);
        matched->len = best->len;
    }
    return t->values + (size_t)(best->value - 1) * t->value_size;
}

const void *kp_trie_lookup(const struct kp_trie *t, const struct kp_addr *a,
                           struct kp_prefix *matched)
{
    unsigned bits = a != NULL ? family_bits(a->family) : 0;
    if (t == NULL || bits == 0)
        return NULL;
    return lookup(t, a, bits, matched);
}

const void *kp_trie_lookup_prefix(const struct kp_trie *t, const struct kp_prefix *p,
                                  struct kp_prefix *matched)
{
    if (t == NULL || p == NULL || !prefix_ok(p))
        return NULL;
    return lookup(t, &p->addr, p->len, matched);
}

size_t kp_trie_count(const struct kp_trie *t)
{
    return t ? t->n_values : 0;
}

static int walk(const struct kp_trie *t, uint32_t ni, uint8_t family,
                int (*fn)(const struct kp_prefix *, const void *, void *), void *ctx)
{
    /* Depth is bounded by 129 levels (each child is strictly longer). */
    while (ni != NONE) {
        const struct node *n = &t->nodes[ni];
        if (n->value) {
            struct kp_prefix p;
            memset(&p, 0, sizeof(p));
            p.addr.family = family;
            memcpy(p.addr.b, n->key, 16);
            p.len = n->len;
            int rc = fn(&p, t->values + (size_t)(n->value - 1) * t->value_size, ctx);
            if (rc != 0)
                return rc;
        }
        if (n->child[0] != NONE) {
            int rc = walk(t, n->child[0], family, fn, ctx);
            if (rc != 0)
                return rc;
        }
        ni = n->child[1];
    }
    return 0;
}

int kp_trie_walk(const struct kp_trie *t,
                 int (*fn)(const struct kp_prefix *p, const void *value, void *ctx), void *ctx)
{
    if (t == NULL || fn == NULL)
        return 0;
    int rc = walk(t, t->root[0], 4, fn, ctx);
    if (rc != 0)
        return rc;
    return walk(t, t->root[1], 6, fn, ctx);
}

int kp_trie_walk_within(const struct kp_trie *t, const struct kp_prefix *p,
                        int (*fn)(const struct kp_prefix *q, const void *value, void *ctx),
                        void *ctx)
{
    if (t == NULL || p == NULL || fn == NULL || !prefix_ok(p))
        return 0;
    uint32_t ni = subtree_of(t, p);
    return ni == NONE ? 0 : walk(t, ni, p->addr.family, fn, ctx);
}
