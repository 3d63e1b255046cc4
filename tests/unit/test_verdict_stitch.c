/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for core/verdict/verdict_stitch.c: Doubletree traces get back the
 * path below the interface where they stopped, from an earlier trace of the
 * same run and vantage point, and the verdict on the stitched copy names the
 * transit a person reads from the two traces together. Hand-made traces; the
 * AS of every address is written beside it. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Hop specs leave from_dst zero on purpose. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#include "core/verdict/verdict.h"
#include "core/verdict/verdict_stitch.h"

#define UNICOM 4837u
#define NK     131279u
#define VPNET  64500u

struct hs {
    int ttl;
    const char *addr;
    uint32_t asn;
    int from_dst;
};

static void mk(struct kp_trace *t, const char *vp, const char *dst, const struct hs *h, size_t n)
{
    kp_trace_init(t);
    snprintf(t->vp, sizeof(t->vp), "%s", vp);
    cr_assert_eq(kp_addr_parse(dst, &t->dst), 0);
    t->first_ttl = 1;
    for (size_t i = 0; i < n; i++) {
        struct kp_hop x;
        kp_hop_init(&x);
        x.ttl = (uint8_t)h[i].ttl;
        cr_assert_eq(kp_addr_parse(h[i].addr, &x.addr), 0);
        x.rtt_ms = 10.0 * h[i].ttl;
        x.icmp_type = h[i].from_dst ? 3 : 11;
        x.icmp_code = h[i].from_dst ? 3 : 0;
        x.flags = h[i].from_dst ? KP_HOP_FROM_DST : 0;
        cr_assert_eq(kp_trace_add_hop(t, &x), 0);
    }
    kp_trace_sort(t);
}

/* AS of an address in these tests: by its first octets. */
static void annotate(const struct kp_trace *t, struct kp_hop_annot *ann)
{
    for (size_t i = 0; i < t->n_hops; i++) {
        char s[64];
        kp_addr_str(&t->hops[i].addr, s, sizeof(s));
        kp_hop_annot_init(&ann[i]);
        uint32_t asn = strncmp(s, "219.158.", 8) == 0  ? UNICOM
                       : strncmp(s, "175.45.", 7) == 0 ? NK
                       : strncmp(s, "198.18.", 7) == 0 ? VPNET
                                                       : 0;
        ann[i].asn = asn;
        ann[i].origins[0] = asn;
        ann[i].n_origins = asn ? 1 : 0;
        ann[i].cls = asn ? KP_HCLASS_PUBLIC : KP_HCLASS_UNANNOUNCED;
        snprintf(ann[i].source, sizeof(ann[i].source), "pfx2as");
    }
}

static void decide(const struct kp_trace *t, struct kp_transit *v)
{
    struct kp_verdict_config c;
    kp_verdict_config_default(&c);
    struct kp_hop_annot ann[64], dst;
    cr_assert_leq(t->n_hops, 64);
    annotate(t, ann);
    kp_hop_annot_init(&dst);
    dst.asn = NK;
    dst.origins[0] = NK;
    dst.n_origins = 1;
    dst.cls = KP_HCLASS_PUBLIC;
    cr_assert_eq(kp_verdict_decide(&c, t, ann, t->n_hops, &dst, v), 0);
}

/* The first trace of the run: VP net, two Unicom routers, NK's border router
 * (NK-numbered), an NK core router, the destination. */
static const struct hs full[] = {
    {1, "198.18.0.1", VPNET}, {2, "219.158.1.1", UNICOM}, {3, "219.158.2.1", UNICOM},
    {4, "175.45.179.2", NK},  {5, "175.45.179.6", NK},    {6, "175.45.176.1", NK, 1},
};
/* A later Doubletree trace to another address: it starts at TTL 5 (the border
 * learned from the first), goes back to TTL 4, meets NK's border router
 * already seen, and stops. */
static const struct hs later[] = {
    {4, "175.45.179.2", NK},
    {5, "175.45.179.6", NK},
    {6, "175.45.176.77", NK, 1},
};

Test(verdict_stitch, doubletree_trace_inside_target_gets_its_transit_back)
{
    struct kp_trace a, b, out;
    mk(&a, "vp1", "175.45.176.1", full, 6);
    mk(&b, "vp1", "175.45.176.77", later, 3);
    struct kp_transit v;
    decide(&b, &v);
    cr_assert_eq(v.status, KP_TRANSIT_UNDETERMINED, "alone it holds no hop outside NK");

    struct kp_stitch *s = NULL;
    cr_assert_eq(kp_stitch_new(&s), 0);
    cr_assert_eq(kp_stitch_add(s, &a, 7), 0);
    cr_assert_eq(kp_stitch_add(s, &b, 7), 0);
    kp_trace_init(&out);
    size_t nb = 99;
    cr_assert_eq(kp_stitch_prefix(s, &b, 7, &out, &nb), 1);
    cr_assert_eq(nb, 3, "TTLs 1-3 come from the first trace");
    cr_assert_eq(out.n_hops, 6);
    for (size_t i = 0; i < out.n_hops; i++)
        cr_assert_eq(out.hops[i].ttl, (uint8_t)(i + 1));
    cr_assert(kp_addr_eq(&out.hops[3].addr, &b.hops[0].addr), "own hops follow the borrowed");

    decide(&out, &v);
    kp_verdict_unstitch(&v, nb);
    cr_assert_eq(v.status, KP_TRANSIT_REACHED);
    cr_assert_eq(v.asn, UNICOM);
    cr_assert_eq(v.handoff_hop, -1, "the handoff is not one of this trace's hops");
    cr_assert_eq(v.handoff_ttl, 3);
    cr_assert_eq(v.target_hop, 0, "NK's border is this trace's first hop");
    cr_assert_eq(v.last_hop, 2);
    cr_assert(v.heuristics & KP_H_DT_PREFIX);
    cr_assert_float_eq(v.confidence, 0.95, 1e-9);
    cr_assert_str_eq(kp_heuristic_name(KP_H_DT_PREFIX), "doubletree-prefix");

    /* The first trace needs nothing. */
    size_t nb2 = 5;
    cr_assert_eq(kp_stitch_prefix(s, &a, 7, &out, &nb2), 0);
    cr_assert_eq(nb2, 0);

    kp_stitch_free(s);
    kp_trace_free(&a);
    kp_trace_free(&b);
    kp_trace_free(&out);
}

Test(verdict_stitch, never_across_vantage_points_runs_or_addresses)
{
    struct kp_trace a, b, c, out;
    mk(&a, "vp1", "175.45.176.1", full, 6);
    mk(&b, "vp2", "175.45.176.77", later, 3); /* another vantage point */
    const struct hs other[] = {
        {4, "175.45.179.10", NK}, /* a different interface at TTL 4 */
        {5, "175.45.179.6", NK},
        {6, "175.45.176.78", NK, 1},
    };
    mk(&c, "vp1", "175.45.176.78", other, 3);
    struct kp_stitch *s = NULL;
    cr_assert_eq(kp_stitch_new(&s), 0);
    cr_assert_eq(kp_stitch_add(s, &a, 1), 0);
    kp_trace_init(&out);
    size_t nb = 0;
    cr_assert_eq(kp_stitch_prefix(s, &b, 1, &out, &nb), 0, "vp2 never borrows vp1's path");
    cr_assert_eq(kp_stitch_prefix(s, &c, 1, &out, &nb), 0, "TTL 4 answered from another address");
    struct kp_trace b1;
    mk(&b1, "vp1", "175.45.176.77", later, 3);
    cr_assert_eq(kp_stitch_prefix(s, &b1, 2, &out, &nb), 0, "another run (key)");
    cr_assert_eq(kp_stitch_prefix(s, &b1, 1, &out, &nb), 1);
    cr_assert_eq(nb, 3);
    kp_stitch_free(s);
    kp_trace_free(&a);
    kp_trace_free(&b);
    kp_trace_free(&b1);
    kp_trace_free(&c);
    kp_trace_free(&out);
}

Test(verdict_stitch, chains_through_a_donor_that_started_midway)
{
    /* Trace m started at TTL 3 (stopped at Unicom's 219.158.2.1, known from the
     * full trace), trace z started at TTL 4 and stopped at NK's border, known
     * only from m: z gets TTL 3 from m, then TTLs 1-2 from the full one. The
     * full trace is added last, so only the chain finds it. */
    const struct hs mid[] = {
        {3, "219.158.2.1", UNICOM},
        {4, "175.45.179.2", NK},
        {6, "175.45.177.1", NK, 1},
    };
    const struct hs z[] = {
        {4, "175.45.179.2", NK},
        {6, "175.45.177.9", NK, 1},
    };
    struct kp_trace a, m, tz, out;
    mk(&a, "vp1", "175.45.176.1", full, 6);
    mk(&m, "vp1", "175.45.177.1", mid, 3);
    mk(&tz, "vp1", "175.45.177.9", z, 2);
    struct kp_stitch *s = NULL;
    cr_assert_eq(kp_stitch_new(&s), 0);
    /* First only m and z are known: z gets TTL 3 from m, and m itself started
     * at TTL 3, so the chain stops there. */
    cr_assert_eq(kp_stitch_add(s, &m, 3), 0);
    cr_assert_eq(kp_stitch_add(s, &tz, 3), 0);
    kp_trace_init(&out);
    size_t nb = 0;
    cr_assert_eq(kp_stitch_prefix(s, &tz, 3, &out, &nb), 1);
    cr_assert_eq(nb, 1, "only m so far: TTL 3");
    cr_assert_eq(kp_stitch_add(s, &a, 3), 0);
    kp_trace_free(&a);
    /* Now the full trace is known too: the chain goes on below TTL 3. The
     * traces added may be freed: the index keeps its own copies. */
    cr_assert_eq(kp_stitch_prefix(s, &tz, 3, &out, &nb), 1);
    cr_assert_eq(nb, 3);
    cr_assert_eq(out.hops[0].ttl, 1);
    /* A donor that itself started at TTL 3: the chain continues below it. */
    struct kp_stitch *s2 = NULL;
    cr_assert_eq(kp_stitch_new(&s2), 0);
    const struct hs full_no4[] = {
        {1, "198.18.0.1", VPNET},
        {2, "219.158.1.1", UNICOM},
        {3, "219.158.2.1", UNICOM},
        {6, "175.45.176.1", NK, 1},
    };
    struct kp_trace a2;
    mk(&a2, "vp1", "175.45.176.1", full_no4, 4);
    cr_assert_eq(kp_stitch_add(s2, &m, 3), 0);
    cr_assert_eq(kp_stitch_add(s2, &a2, 3), 0);
    cr_assert_eq(kp_stitch_prefix(s2, &tz, 3, &out, &nb), 1);
    cr_assert_eq(nb, 3, "TTL 3 from m, TTLs 1-2 from a2 through m's lowest hop");
    struct kp_transit v;
    decide(&out, &v);
    kp_verdict_unstitch(&v, nb);
    cr_assert_eq(v.asn, UNICOM);
    cr_assert_eq(v.status, KP_TRANSIT_REACHED);
    kp_stitch_free(s);
    kp_stitch_free(s2);
    kp_trace_free(&a);
    kp_trace_free(&a2);
    kp_trace_free(&m);
    kp_trace_free(&tz);
    kp_trace_free(&out);
}

Test(verdict_stitch, unstitch_maps_indices_back)
{
    struct kp_transit v;
    memset(&v, 0, sizeof(v));
    v.status = KP_TRANSIT_REACHED;
    v.confidence = 0.8;
    v.handoff_hop = 4;
    v.target_hop = 5;
    v.border_hop = 6;
    v.last_hop = 7;
    v.skipped[0] = 1;
    v.skipped[1] = 4;
    v.n_skipped = 2;
    kp_verdict_unstitch(&v, 3);
    cr_assert_eq(v.handoff_hop, 1);
    cr_assert_eq(v.target_hop, 2);
    cr_assert_eq(v.border_hop, 3);
    cr_assert_eq(v.last_hop, 4);
    cr_assert_eq(v.n_skipped, 1, "a skipped borrowed hop is dropped");
    cr_assert_eq(v.skipped[0], 1);
    cr_assert(!(v.heuristics & KP_H_DT_PREFIX), "the handoff is the trace's own");
    cr_assert_float_eq(v.confidence, 0.8, 1e-9);
    kp_verdict_unstitch(&v, 0);
    cr_assert_eq(v.handoff_hop, 1, "nothing borrowed, nothing moves");
}

Test(verdict_stitch, bad_arguments)
{
    struct kp_stitch *s = NULL;
    struct kp_trace t, out;
    size_t nb;
    cr_assert_eq(kp_stitch_new(NULL), -EINVAL);
    cr_assert_eq(kp_stitch_new(&s), 0);
    kp_trace_init(&t);
    kp_trace_init(&out);
    cr_assert_eq(kp_stitch_add(NULL, &t, 0), -EINVAL);
    cr_assert_eq(kp_stitch_add(s, NULL, 0), -EINVAL);
    cr_assert_eq(kp_stitch_prefix(s, &t, 0, NULL, &nb), -EINVAL);
    cr_assert_eq(kp_stitch_prefix(s, &t, 0, &out, &nb), 0, "an empty trace needs nothing");
    kp_stitch_free(s);
    kp_stitch_free(NULL);
    kp_trace_free(&t);
    kp_trace_free(&out);
}

Test(verdict_stitch, index_grows_and_keeps_every_link)
{
    /* 600 first traces through distinct TTL-2 interfaces, then a Doubletree
     * trace for each: every one finds its own TTL 1 hop back. */
    struct kp_stitch *s = NULL;
    cr_assert_eq(kp_stitch_new(&s), 0);
    char a1[32], a2[32], d[32];
    for (int i = 0; i < 600; i++) {
        snprintf(a1, sizeof(a1), "198.18.%d.%d", 1 + i / 250, 1 + i % 250);
        snprintf(a2, sizeof(a2), "219.158.%d.%d", 1 + i / 250, 1 + i % 250);
        snprintf(d, sizeof(d), "175.45.176.%d", 1 + i % 250);
        const struct hs h[] = {{1, a1, VPNET}, {2, a2, UNICOM}, {3, d, NK, 1}};
        struct kp_trace t;
        mk(&t, "vp1", d, h, 3);
        cr_assert_eq(kp_stitch_add(s, &t, 0), 0);
        kp_trace_free(&t);
    }
    for (int i = 0; i < 600; i++) {
        snprintf(a1, sizeof(a1), "198.18.%d.%d", 1 + i / 250, 1 + i % 250);
        snprintf(a2, sizeof(a2), "219.158.%d.%d", 1 + i / 250, 1 + i % 250);
        snprintf(d, sizeof(d), "175.45.177.%d", 1 + i % 250);
        const struct hs h[] = {{2, a2, UNICOM}, {3, d, NK, 1}};
        struct kp_trace t, out;
        mk(&t, "vp1", d, h, 2);
        kp_trace_init(&out);
        size_t nb = 0;
        cr_assert_eq(kp_stitch_prefix(s, &t, 0, &out, &nb), 1, "trace %d", i);
        cr_assert_eq(nb, 1);
        char got[64];
        kp_addr_str(&out.hops[0].addr, got, sizeof(got));
        cr_assert_str_eq(got, a1);
        kp_trace_free(&t);
        kp_trace_free(&out);
    }
    kp_stitch_free(s);
}

Test(verdict_stitch, interface_seen_at_a_lower_ttl_lends_its_path_with_a_gap)
{
    /* The first trace met NK's border router 175.45.179.2 at TTL 4; this
     * Doubletree trace (ECMP put one more Unicom router on its way) met it at
     * TTL 5 and stopped there, as Doubletree stops on any known interface.
     * The hops below it at TTL 4 are lent with their own TTLs: TTL 4 of this
     * trace stays unknown (one silent TTL), Unicom still handed over. */
    const struct hs longer[] = {
        {5, "175.45.179.2", NK},
        {6, "175.45.179.6", NK},
        {7, "175.45.176.90", NK, 1},
    };
    struct kp_trace a, b, out;
    mk(&a, "vp1", "175.45.176.1", full, 6);
    mk(&b, "vp1", "175.45.176.90", longer, 3);
    struct kp_stitch *s = NULL;
    cr_assert_eq(kp_stitch_new(&s), 0);
    cr_assert_eq(kp_stitch_add(s, &a, 0), 0);
    cr_assert_eq(kp_stitch_add(s, &b, 0), 0);
    kp_trace_init(&out);
    size_t nb = 0;
    cr_assert_eq(kp_stitch_prefix(s, &b, 0, &out, &nb), 1);
    cr_assert_eq(nb, 3);
    cr_assert_eq(out.hops[2].ttl, 3);
    cr_assert_eq(out.hops[3].ttl, 5);
    struct kp_transit v;
    decide(&out, &v);
    kp_verdict_unstitch(&v, nb);
    cr_assert_eq(v.status, KP_TRANSIT_REACHED);
    cr_assert_eq(v.asn, UNICOM);
    cr_assert_eq(v.silent_ttls, 1);
    cr_assert(v.heuristics & KP_H_DT_PREFIX);
    /* never from a higher TTL: below TTL 4 nothing is known of a trace that
     * met the interface at TTL 5 only */
    struct kp_stitch *s2 = NULL;
    cr_assert_eq(kp_stitch_new(&s2), 0);
    const struct hs via5[] = {
        {1, "198.18.0.1", VPNET},   {2, "219.158.1.1", UNICOM}, {3, "219.158.2.1", UNICOM},
        {4, "219.158.4.1", UNICOM}, {5, "175.45.179.2", NK},    {7, "175.45.176.91", NK, 1},
    };
    struct kp_trace c;
    mk(&c, "vp1", "175.45.176.91", via5, 6);
    cr_assert_eq(kp_stitch_add(s2, &c, 0), 0);
    const struct hs at4[] = {{4, "175.45.179.2", NK}, {6, "175.45.176.92", NK, 1}};
    struct kp_trace e;
    mk(&e, "vp1", "175.45.176.92", at4, 2);
    cr_assert_eq(kp_stitch_prefix(s2, &e, 0, &out, &nb), 0);
    kp_stitch_free(s);
    kp_stitch_free(s2);
    kp_trace_free(&a);
    kp_trace_free(&b);
    kp_trace_free(&c);
    kp_trace_free(&e);
    kp_trace_free(&out);
}

/* The index is bounded: 20,000 first traces through distinct interfaces, an
 * index of at most 1,000 links. It never holds more; the links of the last
 * traces are there; a link looked up while its generation ages is kept; the
 * work (hash-table nodes visited) is linear in the hops, not in the links
 * held times the traces. */
static void path_of(int i, char *a1, char *a2, char *d)
{
    snprintf(a1, 32, "198.18.%d.%d", i / 250, 1 + i % 250);
    snprintf(a2, 32, "219.158.%d.%d", i / 250, 1 + i % 250);
    snprintf(d, 32, "175.45.%d.%d", 176 + i % 4, 1 + i % 250);
}

static int lend(struct kp_stitch *s, int i)
{
    char a1[32], a2[32], d[32];
    path_of(i, a1, a2, d);
    const struct hs h[] = {{2, a2, UNICOM}, {3, d, NK, 1}};
    struct kp_trace t, out;
    mk(&t, "vp1", d, h, 2);
    kp_trace_init(&out);
    size_t nb = 0;
    int rc = kp_stitch_prefix(s, &t, 0, &out, &nb);
    cr_assert_geq(rc, 0);
    if (rc == 1) {
        char got[64];
        kp_addr_str(&out.hops[0].addr, got, sizeof(got));
        cr_assert_str_eq(got, a1);
    }
    kp_trace_free(&t);
    kp_trace_free(&out);
    return rc;
}

Test(verdict_stitch, bounded_index_forgets_the_oldest_links)
{
    struct kp_stitch *s = NULL;
    cr_assert_eq(kp_stitch_new_bounded(1000, &s), 0);
    const int n = 20000;
    for (int i = 0; i < n; i++) {
        char a1[32], a2[32], d[32];
        path_of(i, a1, a2, d);
        const struct hs h[] = {{1, a1, VPNET}, {2, a2, UNICOM}, {3, d, NK, 1}};
        struct kp_trace t;
        mk(&t, "vp1", d, h, 3);
        cr_assert_eq(kp_stitch_add(s, &t, 0), 0);
        kp_trace_free(&t);
        cr_assert_leq(kp_stitch_links(s), 1000, "after trace %d", i);
        if (i % 100 == 0)
            cr_assert_eq(lend(s, 0), 1, "a link in use is kept (trace %d)", i);
    }
    uint64_t seen = kp_stitch_dropped(s) + kp_stitch_links(s);
    cr_assert(seen >= (uint64_t)n && seen <= (uint64_t)n + n / 100,
              "every link was learnt once, or copied once more when used: %llu",
              (unsigned long long)seen);
    cr_assert_eq(lend(s, n - 1), 1, "the newest links are there");
    cr_assert_eq(lend(s, n / 2), 0, "a link from 10,000 traces ago is forgotten");
    cr_assert_leq(kp_stitch_steps(s), (uint64_t)8 * n, "%llu nodes visited",
                  (unsigned long long)kp_stitch_steps(s));
    kp_stitch_free(s);
}

/* kp_stitch_may_borrow says, before any trace is learned, which traces
 * kp_stitch_prefix can never add to: those are decided on their own. */
Test(verdict_stitch, may_borrow_only_when_the_trace_starts_above_its_first_ttl)
{
    struct kp_trace a, b, c, out;
    mk(&a, "vp1", "175.45.176.1", full, sizeof(full) / sizeof(full[0]));
    mk(&b, "vp1", "175.45.176.77", later, sizeof(later) / sizeof(later[0]));
    mk(&c, "vp1", "175.45.176.77", later, sizeof(later) / sizeof(later[0]));
    c.first_ttl = 4; /* asked from TTL 4 on: nothing below is missing */
    cr_assert_not(kp_stitch_may_borrow(&a));
    cr_assert(kp_stitch_may_borrow(&b));
    cr_assert_not(kp_stitch_may_borrow(&c));
    struct kp_stitch *s = NULL;
    cr_assert_eq(kp_stitch_new(&s), 0);
    cr_assert_eq(kp_stitch_add(s, &a, 0), 0);
    size_t nb = 99;
    kp_trace_init(&out);
    cr_assert_eq(kp_stitch_prefix(s, &a, 0, &out, &nb), 0);
    cr_assert_eq(nb, 0);
    cr_assert_eq(kp_stitch_prefix(s, &c, 0, &out, &nb), 0);
    cr_assert_eq(nb, 0);
    cr_assert_eq(kp_stitch_prefix(s, &b, 0, &out, &nb), 1);
    cr_assert_eq(nb, 3);
    kp_trace_free(&out);
    kp_stitch_free(s);
    kp_trace_free(&a);
    kp_trace_free(&b);
    kp_trace_free(&c);
}
