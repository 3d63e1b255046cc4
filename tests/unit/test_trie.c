/* SPDX-License-Identifier: BSD-2-Clause */
/* test_trie.c — longest-prefix match: hand cases from the prefix arithmetic,
 * then many random prefixes checked against a brute-force linear scan. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/trie.h"

static struct kp_prefix P(const char *s) {
    struct kp_prefix p;
    cr_assert_eq(kp_prefix_parse(s, false, &p), 0, "parse %s", s);
    return p;
}

static struct kp_addr
A(const char *s) {
    struct kp_addr a;
    cr_assert_eq(kp_addr_parse(s, &a), 0, "parse %s", s);
    return a;
}

static int
ins(struct kp_trie *t, const char *pfx, int v)
{
    struct kp_prefix p = P(pfx);
    return kp_trie_insert(t, &p, &v);
}

/* Value found for address s, or -1; matched prefix text into m. */
static int look(struct kp_trie *t, const char *s, char *m)
{
    struct kp_addr a = A(s);
    struct kp_prefix mp;
    const int *v = kp_trie_lookup(t, &a, &mp);
    if (v == NULL)
        return -1;
    if (m != NULL)
        kp_prefix_str(&mp, m, KP_PREFIX_STRLEN);
    return *v;
}

Test(prefix, parse_and_print)
{
    struct kp_prefix p;
    char buf[KP_PREFIX_STRLEN];
    cr_assert_eq(kp_prefix_parse("175.45.176.0/22", false, &p), 0);
    cr_assert_eq(p.len, 22);
    cr_assert_str_eq(kp_prefix_str(&p, buf, sizeof(buf)), "175.45.176.0/22");
    /* host bits set: strict rejects, lenient clears */
    cr_assert_eq(kp_prefix_parse("175.45.177.0/22", false, &p), -EINVAL);
    cr_assert_eq(kp_prefix_parse("175.45.177.9/22", true, &p), 0);
    cr_assert_str_eq(kp_prefix_str(&p, buf, sizeof(buf)), "175.45.176.0/22");
    cr_assert_eq(kp_prefix_parse("1.2.3.4", false, &p), 0);
    cr_assert_eq(p.len, 32);
    cr_assert_eq(kp_prefix_parse("1.2.3.0/33", false, &p), -EINVAL);
    cr_assert_eq(kp_prefix_parse("1.2.3.0/", false, &p), -EINVAL);
    cr_assert_eq(kp_prefix_parse("1.2.3.0/2x", false, &p), -EINVAL);
    cr_assert_eq(kp_prefix_parse("2001:db8::/32", false, &p), 0);
    cr_assert_eq(p.addr.family, 6);
    cr_assert_eq(kp_prefix_parse("2001:db8::/129", false, &p), -EINVAL);
    cr_assert_eq(kp_prefix_parse("0.0.0.0/0", false, &p), 0);
    cr_assert_eq(p.len, 0);
    cr_assert_eq(kp_prefix_parse("x/8", false, &p), -EINVAL);
    struct kp_prefix nk = P("175.45.176.0/22");
    struct kp_addr a = A("175.45.179.255");
    cr_assert(kp_prefix_contains(&nk, &a));
    a = A("175.45.180.0");
    cr_assert_not(kp_prefix_contains(&nk, &a));
    a = A("::ffff:175.45.176.1");
    cr_assert_not(kp_prefix_contains(&nk, &a), "family differs");
}

Test(trie, empty_and_bad_args)
{
    struct kp_trie *t = kp_trie_new(sizeof(int));
    cr_assert_not_null(t);
    cr_assert_eq(look(t, "1.2.3.4", NULL), -1);
    cr_assert_eq(look(t, "::1", NULL), -1);
    cr_assert_eq(kp_trie_count(t), 0);
    struct kp_prefix bad = {.len = 8};
    int v = 1;
    cr_assert_eq(kp_trie_insert(t, &bad, &v), -EINVAL);
    cr_assert_null(kp_trie_new(0));
    cr_assert_null(kp_trie_new(KP_TRIE_VALUE_MAX + 1));
    kp_trie_free(t);
    kp_trie_free(NULL);
}

Test(trie, default_route_host_route_and_overlaps)
{
    struct kp_trie *t = kp_trie_new(sizeof(int));
    char m[KP_PREFIX_STRLEN];
    cr_assert_eq(ins(t, "0.0.0.0/0", 1), 0);
    cr_assert_eq(ins(t, "175.45.176.0/22", 2), 0);
    cr_assert_eq(ins(t, "175.45.178.0/24", 3), 0);
    cr_assert_eq(ins(t, "175.45.178.7/32", 4), 0);
    cr_assert_eq(ins(t, "175.45.176.0/24", 5), 0);
    cr_assert_eq(look(t, "8.8.8.8", m), 1);
    cr_assert_str_eq(m, "0.0.0.0/0");
    cr_assert_eq(look(t, "175.45.177.1", m), 2);
    cr_assert_str_eq(m, "175.45.176.0/22");
    cr_assert_eq(look(t, "175.45.179.255", NULL), 2);
    cr_assert_eq(look(t, "175.45.178.6", m), 3);
    cr_assert_str_eq(m, "175.45.178.0/24");
    cr_assert_eq(look(t, "175.45.178.7", m), 4);
    cr_assert_str_eq(m, "175.45.178.7/32");
    cr_assert_eq(look(t, "175.45.176.200", NULL), 5);
    cr_assert_eq(look(t, "175.45.180.0", NULL), 1);
    /* families are separate: no IPv6 default route */
    cr_assert_eq(look(t, "2001:db8::1", NULL), -1);
    cr_assert_eq(kp_trie_count(t), 5);
    /* replacing keeps the count */
    cr_assert_eq(ins(t, "175.45.178.0/24", 30), 0);
    cr_assert_eq(look(t, "175.45.178.6", NULL), 30);
    cr_assert_eq(kp_trie_count(t), 5);
    struct kp_prefix p = P("175.45.178.0/24");
    int *v = kp_trie_get(t, &p);
    cr_assert_not_null(v);
    cr_assert_eq(*v, 30);
    p = P("175.45.179.0/24");
    cr_assert_null(kp_trie_get(t, &p));
    p = P("175.45.176.0/23");
    cr_assert_null(kp_trie_get(t, &p), "glue node has no value");
    kp_trie_free(t);
}

Test(trie, insertion_order_does_not_matter)
{
    /* longer first, then the covering ones */
    struct kp_trie *t = kp_trie_new(sizeof(int));
    ins(t, "10.1.2.128/25", 1);
    ins(t, "10.1.2.0/24", 2);
    ins(t, "10.0.0.0/8", 3);
    ins(t, "10.1.0.0/16", 4);
    ins(t, "11.0.0.0/8", 5);
    cr_assert_eq(look(t, "10.1.2.200", NULL), 1);
    cr_assert_eq(look(t, "10.1.2.100", NULL), 2);
    cr_assert_eq(look(t, "10.1.3.1", NULL), 4);
    cr_assert_eq(look(t, "10.2.0.0", NULL), 3);
    cr_assert_eq(look(t, "11.255.255.255", NULL), 5);
    cr_assert_eq(look(t, "12.0.0.0", NULL), -1);
    cr_assert_eq(look(t, "9.255.255.255", NULL), -1);
    kp_trie_free(t);
}

Test(trie, ipv6)
{
    struct kp_trie *t = kp_trie_new(sizeof(int));
    char m[KP_PREFIX_STRLEN];
    ins(t, "::/0", 1);
    ins(t, "2001:db8::/32", 2);
    ins(t, "2001:db8:1::/48", 3);
    ins(t, "2001:db8:1::1/128", 4);
    ins(t, "2001:db8:8000::/33", 5);
    cr_assert_eq(look(t, "2001:db8:1::1", m), 4);
    cr_assert_str_eq(m, "2001:db8:1::1/128");
    cr_assert_eq(look(t, "2001:db8:1::2", m), 3);
    cr_assert_str_eq(m, "2001:db8:1::/48");
    cr_assert_eq(look(t, "2001:db8:2::", NULL), 2);
    cr_assert_eq(look(t, "2001:db8:8000::1", NULL), 5);
    cr_assert_eq(look(t, "2001:db8:ffff:ffff::", NULL), 5);
    cr_assert_eq(look(t, "2001:db9::", m), 1);
    cr_assert_str_eq(m, "::/0");
    cr_assert_eq(look(t, "1.2.3.4", NULL), -1);
    kp_trie_free(t);
}

static int count_cb(const struct kp_prefix *p, const void *v, void *ctx)
{
    char **out = ctx;
    char buf[KP_PREFIX_STRLEN];
    kp_prefix_str(p, buf, sizeof(buf));
    strcat(*out, buf);
    strcat(*out, " ");
    (void)v;
    return 0;
}

Test(trie, walk_order)
{
    struct kp_trie *t = kp_trie_new(sizeof(int));
    ins(t, "2001:db8::/32", 1);
    ins(t, "10.1.0.0/16", 2);
    ins(t, "10.0.0.0/8", 3);
    ins(t, "9.0.0.0/8", 4);
    char text[256] = "", *p = text;
    cr_assert_eq(kp_trie_walk(t, count_cb, &p), 0);
    cr_assert_str_eq(text, "9.0.0.0/8 10.0.0.0/8 10.1.0.0/16 2001:db8::/32 ");
    kp_trie_free(t);
}

/* Brute force: every inserted prefix kept in a list; the answer is the
 * longest (last inserted wins for duplicates) covering prefix. */
struct ref {
    uint8_t fam;
    uint8_t key[16];
    unsigned len;
    int val;
};

static bool ref_covers(const struct ref *r, const struct kp_addr *a)
{
    if (r->fam != a->family)
        return false;
    for (unsigned i = 0; i < r->len; i++) {
        int x = (r->key[i / 8] >> (7 - i % 8)) & 1;
        int y = (a->b[i / 8] >> (7 - i % 8)) & 1;
        if (x != y)
            return false;
    }
    return true;
}

static void random_addr(struct kp_addr *a, uint8_t fam, unsigned *seed)
{
    memset(a, 0, sizeof(*a));
    a->family = fam;
    unsigned n = fam == 4 ? 4 : 16;
    for (unsigned i = 0; i < n; i++)
        a->b[i] = (uint8_t)rand_r(seed);
    /* cluster addresses so that prefixes overlap a lot */
    a->b[0] = (uint8_t)(a->b[0] & 0x3);
}

Test(trie, random_against_linear_scan)
{
    unsigned seed = 12345;
    enum { NP = 3000, NQ = 20000 };
    struct ref *refs = calloc(NP, sizeof(*refs));
    struct kp_trie *t = kp_trie_new(sizeof(int));
    for (int i = 0; i < NP; i++) {
        uint8_t fam = (rand_r(&seed) & 1) ? 4 : 6;
        unsigned bits = fam == 4 ? 32 : 128;
        struct kp_addr a;
        random_addr(&a, fam, &seed);
        unsigned len = (unsigned)rand_r(&seed) % (bits + 1);
        if (i % 50 == 0)
            len = 0;
        if (i % 37 == 0)
            len = bits;
        struct kp_prefix p;
        cr_assert_eq(kp_prefix_make(&a, len, &p), 0);
        refs[i].fam = fam;
        memcpy(refs[i].key, p.addr.b, 16);
        refs[i].len = len;
        refs[i].val = i;
        cr_assert_eq(kp_trie_insert(t, &p, &i), 0);
    }
    for (int q = 0; q < NQ; q++) {
        struct kp_addr a;
        uint8_t fam = (rand_r(&seed) & 1) ? 4 : 6;
        if (q % 3 == 0) {
            /* an address inside (or at the edge of) a stored prefix */
            const struct ref *r = &refs[rand_r(&seed) % NP];
            fam = r->fam;
            random_addr(&a, fam, &seed);
            for (unsigned i = 0; i < r->len; i++) {
                uint8_t bit = (uint8_t)(0x80 >> (i % 8));
                a.b[i / 8] = (uint8_t)((a.b[i / 8] & ~bit) | (r->key[i / 8] & bit));
            }
        } else {
            random_addr(&a, fam, &seed);
        }
        int want = -1;
        unsigned wlen = 0;
        for (int i = 0; i < NP; i++) {
            if (ref_covers(&refs[i], &a) && (want < 0 || refs[i].len >= wlen)) {
                want = refs[i].val;
                wlen = refs[i].len;
            }
        }
        struct kp_prefix mp;
        const int *got = kp_trie_lookup(t, &a, &mp);
        if (want < 0) {
            cr_assert_null(got, "query %d: expected no match", q);
        } else {
            cr_assert_not_null(got, "query %d: expected %d", q, want);
            cr_assert_eq(*got, want, "query %d", q);
            cr_assert_eq(mp.len, wlen);
        }
    }
    kp_trie_free(t);
    free(refs);
}

Test(trie, lookup_prefix_ignores_more_specifics)
{
    struct kp_trie *t = kp_trie_new(sizeof(int));
    ins(t, "175.45.176.0/22", 1);
    ins(t, "175.45.178.0/24", 2);
    ins(t, "175.45.178.128/25", 3);
    struct kp_prefix q = P("175.45.178.0/24"), m;
    const int *v = kp_trie_lookup_prefix(t, &q, &m);
    cr_assert_not_null(v);
    cr_assert_eq(*v, 2);
    cr_assert_eq(m.len, 24);
    q = P("175.45.179.0/24");
    v = kp_trie_lookup_prefix(t, &q, &m);
    cr_assert_eq(*v, 1);
    cr_assert_eq(m.len, 22);
    q = P("175.45.176.0/21"); /* wider than anything stored */
    cr_assert_null(kp_trie_lookup_prefix(t, &q, &m));
    q = P("175.45.178.128/26");
    cr_assert_eq(*(const int *)kp_trie_lookup_prefix(t, &q, NULL), 3);
    kp_trie_free(t);
}

/* A big IPv4 table that stops changing gets its index by the first 16 bits
 * after 65,536 lookups: the answers (value and matched prefix) before and
 * after are the same, and the same as a linear scan for a sample. Prefixes
 * of every length, /0 to /32, many of them around the /16 boundary. */
Test(trie, ipv4_index_gives_the_same_answers)
{
    unsigned seed = 777;
    enum { NP = 6000, NQ = 70000 };
    struct ref *refs = calloc(NP, sizeof(*refs));
    struct kp_trie *t = kp_trie_new(sizeof(int));
    cr_assert_eq(kp_trie_reserve(t, NP), 0);
    for (int i = 0; i < NP; i++) {
        struct kp_addr a;
        random_addr(&a, 4, &seed);
        a.b[1] = (uint8_t)(a.b[1] & 0x1f);
        unsigned len = (unsigned)rand_r(&seed) % 33;
        if (i % 3 == 0)
            len = 14 + (unsigned)rand_r(&seed) % 5; /* 14..18 */
        struct kp_prefix p;
        cr_assert_eq(kp_prefix_make(&a, len, &p), 0);
        refs[i].fam = 4;
        memcpy(refs[i].key, p.addr.b, 16);
        refs[i].len = len;
        refs[i].val = i;
        cr_assert_eq(kp_trie_insert(t, &p, &i), 0);
    }
    struct kp_addr *q = calloc(NQ, sizeof(*q));
    int *first = calloc(NQ, sizeof(int));
    unsigned *first_len = calloc(NQ, sizeof(unsigned));
    for (int k = 0; k < NQ; k++) {
        random_addr(&q[k], 4, &seed);
        q[k].b[1] = (uint8_t)(q[k].b[1] & 0x1f);
        struct kp_prefix mp;
        const int *got = kp_trie_lookup(t, &q[k], &mp);
        first[k] = got ? *got : -1;
        first_len[k] = got ? mp.len : 99;
    }
    for (int k = 0; k < NQ; k++) {
        struct kp_prefix mp;
        const int *got = kp_trie_lookup(t, &q[k], &mp);
        cr_assert_eq(got ? *got : -1, first[k], "query %d", k);
        if (got)
            cr_assert_eq(mp.len, first_len[k]);
        if (k % 50 == 0) {
            int want = -1;
            unsigned wlen = 0;
            for (int i = 0; i < NP; i++)
                if (ref_covers(&refs[i], &q[k]) && (want < 0 || refs[i].len >= wlen)) {
                    want = refs[i].val;
                    wlen = refs[i].len;
                }
            cr_assert_eq(got ? *got : -1, want, "query %d against the scan", k);
        }
    }
    /* an insert after the index was built: still right */
    struct kp_prefix p;
    int v = -7;
    cr_assert_eq(kp_prefix_make(&q[0], 32, &p), 0);
    cr_assert_eq(kp_trie_insert(t, &p, &v), 0);
    cr_assert_eq(*(const int *)kp_trie_lookup(t, &q[0], NULL), -7);
    kp_trie_free(t);
    free(refs);
    free(q);
    free(first);
    free(first_len);
}

/* The prefixes inside q, as walk_within lists them. */
static const char *within(struct kp_trie *t, const char *q, char *text)
{
    struct kp_prefix p = P(q);
    char *w = text;
    text[0] = '\0';
    cr_assert_eq(kp_trie_walk_within(t, &p, count_cb, &w), 0);
    return text;
}

Test(trie, walk_within_a_prefix)
{
    struct kp_trie *t = kp_trie_new(sizeof(int));
    char text[512];
    cr_assert_str_eq(within(t, "0.0.0.0/0", text), "");
    ins(t, "10.0.0.0/8", 1);
    ins(t, "10.1.0.0/16", 2);
    ins(t, "10.1.2.0/24", 3);
    ins(t, "10.1.128.0/17", 4);
    ins(t, "10.2.0.0/16", 5);
    ins(t, "11.0.0.0/8", 6);
    ins(t, "2001:db8::/32", 7);
    ins(t, "2001:db8:1::/48", 8);
    cr_assert_str_eq(within(t, "10.1.0.0/16", text), "10.1.0.0/16 10.1.2.0/24 10.1.128.0/17 ");
    /* a prefix between stored ones: only what lies inside it */
    cr_assert_str_eq(within(t, "10.1.0.0/17", text), "10.1.2.0/24 ");
    cr_assert_str_eq(within(t, "10.0.0.0/7", text),
                     "10.0.0.0/8 10.1.0.0/16 10.1.2.0/24 10.1.128.0/17 10.2.0.0/16 11.0.0.0/8 ");
    cr_assert_str_eq(within(t, "10.3.0.0/16", text), "");
    cr_assert_str_eq(within(t, "12.0.0.0/8", text), "");
    cr_assert_str_eq(within(t, "10.1.2.3/32", text), "");
    cr_assert_str_eq(within(t, "10.1.2.0/24", text), "10.1.2.0/24 ");
    cr_assert_str_eq(within(t, "0.0.0.0/0", text),
                     "10.0.0.0/8 10.1.0.0/16 10.1.2.0/24 10.1.128.0/17 10.2.0.0/16 11.0.0.0/8 ");
    cr_assert_str_eq(within(t, "2001:db8::/31", text), "2001:db8::/32 2001:db8:1::/48 ");
    cr_assert_str_eq(within(t, "2001:db8:2::/48", text), "");
    kp_trie_free(t);
}

static int count_only(const struct kp_prefix *p, const void *v, void *ctx)
{
    (void)p;
    (void)v;
    (*(size_t *)ctx)++;
    return 0;
}

/* walk_within visits exactly the distinct stored prefixes inside the query
 * (brute force over the list of inserted prefixes). */
Test(trie, walk_within_random_against_linear_scan)
{
    unsigned seed = 777;
    enum { NP = 2000, NQ = 500 };
    struct ref *refs = calloc(NP, sizeof(*refs));
    struct kp_trie *t = kp_trie_new(sizeof(int));
    for (int i = 0; i < NP; i++) {
        struct kp_addr a;
        random_addr(&a, 4, &seed);
        struct kp_prefix p;
        cr_assert_eq(kp_prefix_make(&a, 2 + (unsigned)rand_r(&seed) % 31, &p), 0);
        refs[i].fam = 4;
        memcpy(refs[i].key, p.addr.b, 16);
        refs[i].len = p.len;
        cr_assert_eq(kp_trie_insert(t, &p, &i), 0);
    }
    bool *dup = calloc(NP, sizeof(bool));
    for (int i = 0; i < NP; i++)
        for (int k = 0; k < i && !dup[i]; k++)
            dup[i] = refs[k].len == refs[i].len && memcmp(refs[k].key, refs[i].key, 16) == 0;
    for (int q = 0; q < NQ; q++) {
        struct kp_addr a;
        random_addr(&a, 4, &seed);
        struct kp_prefix qp;
        cr_assert_eq(kp_prefix_make(&a, (unsigned)rand_r(&seed) % 20, &qp), 0);
        size_t want = 0, got = 0;
        for (int i = 0; i < NP; i++) {
            struct kp_addr ra = {.family = 4};
            memcpy(ra.b, refs[i].key, 4);
            if (!dup[i] && refs[i].len >= qp.len && kp_prefix_contains(&qp, &ra))
                want++;
        }
        cr_assert_eq(kp_trie_walk_within(t, &qp, count_only, &got), 0);
        cr_assert_eq(got, want, "query %d: %zu inside, walk_within gave %zu", q, want, got);
    }
    kp_trie_free(t);
    free(dup);
    free(refs);
}

/* Walk output as text, to compare two tries. */
struct dump {
    char buf[1 << 20];
    size_t n;
};

static int dump_one(const struct kp_prefix *p, const void *v, void *ctx)
{
    struct dump *d = ctx;
    char s[KP_PREFIX_STRLEN];
    int w = snprintf(d->buf + d->n, sizeof(d->buf) - d->n, "%s=%d\n",
                     kp_prefix_str(p, s, sizeof(s)), *(const int *)v);
    cr_assert(w > 0 && (size_t)w < sizeof(d->buf) - d->n);
    d->n += (size_t)w;
    return 0;
}

static int ref_order(const void *x, const void *y)
{
    const struct ref *a = x, *b = y;
    if (a->fam != b->fam)
        return a->fam < b->fam ? -1 : 1;
    int c = memcmp(a->key, b->key, 16);
    if (c != 0)
        return c;
    return a->len < b->len ? -1 : a->len > b->len;
}

/* A table in address order (as prefix2as files come) resumes each insert
 * where the one before ended: the trie is the one a shuffled order builds,
 * lookups agree with a linear scan, prefixes given twice keep their last
 * value, and the walk costs a few steps a prefix, not the trie's depth. */
Test(trie, sorted_inserts_resume_at_the_last_path)
{
    unsigned seed = 777;
    enum { NP = 6000, NQ = 6000 };
    struct ref *refs = calloc(NP, sizeof(*refs));
    int n = 0;
    while (n < NP) {
        uint8_t fam = (rand_r(&seed) % 4) ? 4 : 6;
        unsigned bits = fam == 4 ? 32 : 128;
        struct kp_addr a;
        random_addr(&a, fam, &seed);
        unsigned len = (unsigned)rand_r(&seed) % (bits + 1);
        struct kp_prefix p;
        cr_assert_eq(kp_prefix_make(&a, len, &p), 0);
        bool seen = false;
        for (int k = 0; k < n && !seen; k++)
            seen =
                refs[k].fam == fam && refs[k].len == len && memcmp(refs[k].key, p.addr.b, 16) == 0;
        if (seen)
            continue;
        refs[n].fam = fam;
        memcpy(refs[n].key, p.addr.b, 16);
        refs[n].len = len;
        refs[n].val = n;
        n++;
    }
    struct kp_trie *shuffled = kp_trie_new(sizeof(int));
    for (int i = 0; i < NP; i++) {
        struct kp_prefix p = {.addr.family = refs[i].fam, .len = (uint8_t)refs[i].len};
        memcpy(p.addr.b, refs[i].key, 16);
        cr_assert_eq(kp_trie_insert(shuffled, &p, &refs[i].val), 0);
    }
    qsort(refs, NP, sizeof(*refs), ref_order);
    struct kp_trie *sorted = kp_trie_new(sizeof(int));
    for (int i = 0; i < NP; i++) {
        struct kp_prefix p = {.addr.family = refs[i].fam, .len = (uint8_t)refs[i].len};
        memcpy(p.addr.b, refs[i].key, 16);
        int wrong = -5;
        cr_assert_eq(kp_trie_insert(sorted, &p, &wrong), 0);
        if (i % 3 == 0) /* given again right away: the value is replaced */
            cr_assert_eq(kp_trie_insert(sorted, &p, &wrong), 0);
        cr_assert_eq(kp_trie_insert(sorted, &p, &refs[i].val), 0);
    }
    cr_assert_eq(kp_trie_count(sorted), NP);
    cr_assert_lt(kp_trie_insert_steps(sorted), 3 * NP, "steps %llu",
                 (unsigned long long)kp_trie_insert_steps(sorted));
    cr_assert_gt(kp_trie_insert_steps(shuffled), 6 * NP, "steps %llu",
                 (unsigned long long)kp_trie_insert_steps(shuffled));

    struct dump *d1 = calloc(1, sizeof(*d1)), *d2 = calloc(1, sizeof(*d2));
    cr_assert_eq(kp_trie_walk(sorted, dump_one, d1), 0);
    cr_assert_eq(kp_trie_walk(shuffled, dump_one, d2), 0);
    cr_assert_eq(d1->n, d2->n);
    cr_assert_eq(memcmp(d1->buf, d2->buf, d1->n), 0);

    for (int q = 0; q < NQ; q++) {
        struct kp_addr a;
        random_addr(&a, (rand_r(&seed) % 4) ? 4 : 6, &seed);
        int want = -1;
        unsigned wlen = 0;
        for (int i = 0; i < NP; i++)
            if (ref_covers(&refs[i], &a) && (want < 0 || refs[i].len >= wlen)) {
                want = refs[i].val;
                wlen = refs[i].len;
            }
        const int *got = kp_trie_lookup(sorted, &a, NULL);
        cr_assert_eq(got ? *got : -1, want, "query %d", q);
    }
    kp_trie_free(sorted);
    kp_trie_free(shuffled);
    free(d1);
    free(d2);
    free(refs);
}
