/* SPDX-License-Identifier: BSD-2-Clause */
/* test_route_filter.c — what the file sources drop and how a path's origin
 * and the target's upstream are read (docs/asmap.md "What the file sources
 * drop"). Expected values come from the RFCs (6996 private, 5398
 * documentation, 7300/7607 and IANA reserved AS numbers, 6793 AS_TRANS; the
 * IANA special-purpose address registries) and from hand-made paths, some
 * taken from the RouteViews excerpts of issue 15 (2905 65023 16637,
 * 701 6453 35819 48237 35819 65559, 5056 65504). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/asmap/asmap_int.h"
#include "core/asmap/route_filter.h"

#define D KP_TEST_DATA "/asmap/"

static struct kp_prefix P(const char *s) {
    struct kp_prefix p;
    cr_assert_eq(kp_prefix_parse(s, false, &p), 0, "%s", s);
    return p;
}

static struct kp_addr
A(const char *s) {
    struct kp_addr a;
    cr_assert_eq(kp_addr_parse(s, &a), 0, "%s", s);
    return a;
}

/* ---- prefixes ------------------------------------------------------------ */

Test(route_filter, prefix_rules_and_their_order)
{
    struct kp_route_filter f;
    kp_route_filter_default(&f);
    cr_assert_eq(f.min_len4, 8);
    cr_assert_eq(f.min_len6, 16);
    struct kp_prefix p = P("0.0.0.0/0");
    cr_assert_eq(kp_route_filter_prefix(&f, &p), KP_DROP_DEFAULT_ROUTE);
    p = P("::/0");
    cr_assert_eq(kp_route_filter_prefix(&f, &p), KP_DROP_DEFAULT_ROUTE);
    p = P("4.0.0.0/7");
    cr_assert_eq(kp_route_filter_prefix(&f, &p), KP_DROP_TOO_SHORT);
    p = P("3.0.0.0/8");
    cr_assert_eq(kp_route_filter_prefix(&f, &p), -1, "/8 is not shorter than /8");
    p = P("2000::/15");
    cr_assert_eq(kp_route_filter_prefix(&f, &p), KP_DROP_TOO_SHORT);
    p = P("2001::/16");
    cr_assert_eq(kp_route_filter_prefix(&f, &p), -1);
    p = P("10.6.0.0/16");
    cr_assert_eq(kp_route_filter_prefix(&f, &p), KP_DROP_SPACE + KP_ACLASS_PRIVATE);
    p = P("100.64.0.0/10");
    cr_assert_eq(kp_route_filter_prefix(&f, &p), KP_DROP_SPACE + KP_ACLASS_SHARED);
    p = P("203.0.113.0/24");
    cr_assert_eq(kp_route_filter_prefix(&f, &p), KP_DROP_SPACE + KP_ACLASS_DOCUMENTATION);
    p = P("198.19.176.0/24");
    cr_assert_eq(kp_route_filter_prefix(&f, &p), KP_DROP_SPACE + KP_ACLASS_BENCHMARKING);
    p = P("240.0.0.0/8");
    cr_assert_eq(kp_route_filter_prefix(&f, &p), KP_DROP_SPACE + KP_ACLASS_RESERVED);
    p = P("224.0.0.0/8");
    cr_assert_eq(kp_route_filter_prefix(&f, &p), KP_DROP_SPACE + KP_ACLASS_MULTICAST);
    p = P("fd00::/16");
    cr_assert_eq(kp_route_filter_prefix(&f, &p), KP_DROP_SPACE + KP_ACLASS_PRIVATE);
    p = P("::ffff:8.8.8.0/120");
    cr_assert_eq(kp_route_filter_prefix(&f, &p), KP_DROP_SPACE + KP_ACLASS_RESERVED,
                 "IPv4-mapped space is never announced in IPv6");
    /* a public aggregate that covers special blocks is used */
    p = P("192.0.0.0/16");
    cr_assert_eq(kp_route_filter_prefix(&f, &p), -1);
    p = P("192.0.0.9/32");
    cr_assert_eq(kp_route_filter_prefix(&f, &p), -1, "PCP anycast is globally reachable");
    /* the first reason counts: a short special prefix is "too short" */
    p = P("10.0.0.0/7");
    cr_assert_eq(kp_route_filter_prefix(&f, &p), KP_DROP_TOO_SHORT);
    /* minimum length 0: still no default route */
    f.min_len4 = 0;
    p = P("4.0.0.0/7");
    cr_assert_eq(kp_route_filter_prefix(&f, &p), -1);
    p = P("0.0.0.0/0");
    cr_assert_eq(kp_route_filter_prefix(&f, &p), KP_DROP_DEFAULT_ROUTE);
    /* kept classes */
    f.keep = KP_KEEP_SPACE(KP_ACLASS_BENCHMARKING);
    p = P("198.19.176.0/24");
    cr_assert_eq(kp_route_filter_prefix(&f, &p), -1);
    p = P("203.0.113.0/24");
    cr_assert_eq(kp_route_filter_prefix(&f, &p), KP_DROP_SPACE + KP_ACLASS_DOCUMENTATION);
    /* NULL: the defaults */
    p = P("4.0.0.0/7");
    cr_assert_eq(kp_route_filter_prefix(NULL, &p), KP_DROP_TOO_SHORT);
}

Test(route_filter, sources_never_answer_for_dropped_classes)
{
    struct kp_route_filter f;
    kp_route_filter_default(&f);
    struct kp_addr a = A("10.6.0.1");
    cr_assert_not(kp_route_filter_addr(&f, &a));
    a = A("192.0.2.1");
    cr_assert_not(kp_route_filter_addr(&f, &a));
    a = A("192.0.0.1");
    cr_assert_not(kp_route_filter_addr(&f, &a));
    a = A("192.0.1.1");
    cr_assert(kp_route_filter_addr(&f, &a));
    a = A("::ffff:10.6.0.1");
    cr_assert_not(kp_route_filter_addr(&f, &a), "a mapped address takes its IPv4 class");
    a = A("2001:db8::1");
    cr_assert_not(kp_route_filter_addr(&f, &a));
    f.keep = KP_KEEP_SPACE(KP_ACLASS_DOCUMENTATION);
    cr_assert(kp_route_filter_addr(&f, &a));
    a = A("8.8.8.8");
    cr_assert(kp_route_filter_addr(NULL, &a));
}

/* ---- options --------------------------------------------------------------- */

Test(route_filter, keep_lists)
{
    uint32_t k = 123;
    char bad[32];
    cr_assert_eq(kp_route_filter_parse_keep("benchmarking,documentation,documentation-asn,"
                                            "private-asn",
                                            &k, bad, sizeof(bad)),
                 0);
    cr_assert_eq(k, KP_KEEP_SPACE(KP_ACLASS_BENCHMARKING) | KP_KEEP_SPACE(KP_ACLASS_DOCUMENTATION) |
                        KP_KEEP_ASN(KP_ASCLASS_DOCUMENTATION) | KP_KEEP_ASN(KP_ASCLASS_PRIVATE));
    cr_assert_eq(kp_route_filter_parse_keep("as-trans,reserved-asn,link-local", &k, NULL, 0), 0);
    cr_assert_eq(k, KP_KEEP_ASN(KP_ASCLASS_AS_TRANS) | KP_KEEP_ASN(KP_ASCLASS_RESERVED) |
                        KP_KEEP_SPACE(KP_ACLASS_LINK_LOCAL));
    cr_assert_eq(kp_route_filter_parse_keep("all", &k, NULL, 0), 0);
    cr_assert_eq(k, KP_KEEP_ALL);
    k = 7;
    cr_assert_eq(kp_route_filter_parse_keep("private,bogus", &k, bad, sizeof(bad)), -EINVAL);
    cr_assert_str_eq(bad, "bogus");
    cr_assert_eq(k, 7, "unchanged on error");
    cr_assert_eq(kp_route_filter_parse_keep("public", &k, bad, sizeof(bad)), -EINVAL);
    cr_assert_eq(kp_route_filter_parse_keep("as-trans-asn", &k, bad, sizeof(bad)), -EINVAL);
    cr_assert_eq(kp_route_filter_parse_keep("public-asn", &k, bad, sizeof(bad)), -EINVAL);
    cr_assert_eq(kp_route_filter_parse_keep("private,", &k, bad, sizeof(bad)), -EINVAL);
    cr_assert_str_eq(bad, "");
    cr_assert_eq(kp_route_filter_parse_keep("", &k, bad, sizeof(bad)), -EINVAL);
}

Test(route_filter, min_lengths)
{
    struct kp_route_filter f;
    kp_route_filter_default(&f);
    cr_assert_eq(kp_route_filter_parse_min_len("12", &f), 0);
    cr_assert_eq(f.min_len4, 12);
    cr_assert_eq(f.min_len6, 16, "a lone V4 keeps the IPv6 minimum");
    cr_assert_eq(kp_route_filter_parse_min_len("0,32", &f), 0);
    cr_assert_eq(f.min_len4, 0);
    cr_assert_eq(f.min_len6, 32);
    cr_assert_eq(kp_route_filter_parse_min_len("32,128", &f), 0);
    const char *bad[] = {"33", "8,129", "", "8,", ",16", "x", "-1", "1234", "8,16,24", " 8"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_assert_eq(kp_route_filter_parse_min_len(bad[i], &f), -EINVAL, "'%s'", bad[i]);
        cr_assert_eq(f.min_len4, 32, "'%s' changes nothing", bad[i]);
    }
}

/* ---- AS numbers -------------------------------------------------------------- */

Test(route_filter, removed_asns_and_targets)
{
    uint32_t targets[] = {131279, 64509};
    struct kp_route_filter f;
    kp_route_filter_default(&f);
    cr_assert(kp_route_filter_removes_asn(&f, 65559), "65552-131071 is reserved");
    cr_assert(kp_route_filter_removes_asn(&f, 65504));
    cr_assert(kp_route_filter_removes_asn(&f, 23456));
    cr_assert(kp_route_filter_removes_asn(&f, 0));
    cr_assert(kp_route_filter_removes_asn(&f, 64509));
    cr_assert_not(kp_route_filter_removes_asn(&f, 131279));
    cr_assert_not(kp_route_filter_removes_asn(&f, 4837));
    f.targets = targets;
    f.n_targets = 2;
    cr_assert_not(kp_route_filter_removes_asn(&f, 64509), "a target AS is never removed");
    f.keep = KP_KEEP_ASN(KP_ASCLASS_PRIVATE);
    cr_assert_not(kp_route_filter_removes_asn(&f, 65504));
    cr_assert(kp_route_filter_removes_asn(&f, 64500));
}

Test(route_filter, origin_lists)
{
    enum kp_asn_class removed;
    struct kp_asn_rec r = {.asns = {64500, 3356}, .n = 2, .flags = KP_ASN_MULTI_ORIGIN};
    cr_assert_eq(kp_route_filter_origins(NULL, &r, &removed), 0);
    cr_assert_eq(r.n, 1);
    cr_assert_eq(r.asns[0], 3356);
    cr_assert_eq(r.asns[1], 0);
    cr_assert_eq(r.flags, 0, "one origin left: not multi-origin");
    cr_assert_eq(removed, KP_ASCLASS_DOCUMENTATION);
    struct kp_asn_rec s = {.asns = {3356, 65001, 174}, .n = 3, .flags = KP_ASN_SET};
    cr_assert_eq(kp_route_filter_origins(NULL, &s, &removed), 0);
    cr_assert_eq(s.n, 2);
    cr_assert_eq(s.asns[1], 174, "order kept");
    cr_assert_eq(s.flags, KP_ASN_SET);
    cr_assert_eq(removed, KP_ASCLASS_PRIVATE);
    struct kp_asn_rec t = {.asns = {4837}, .n = 1};
    cr_assert_eq(kp_route_filter_origins(NULL, &t, &removed), 0);
    cr_assert_eq(removed, KP_ASCLASS_PUBLIC);
    struct kp_asn_rec u = {.asns = {64512, 4200000000u}, .n = 2};
    cr_assert_eq(kp_route_filter_origins(NULL, &u, &removed), -ENOENT);
    cr_assert_eq(u.n, 0);
}

/* ---- paths ------------------------------------------------------------------------ */

struct cleaned {
    uint32_t path[64];
    size_t n;
    struct kp_asn_rec origin;
    int origin_rc;
    enum kp_asn_class tail;
};

static struct cleaned clean(const char *path, const struct kp_route_filter *f)
{
    char line[2048];
    snprintf(line, sizeof(line), "TABLE_DUMP2|1|B|157.130.10.233|701|5.82.192.0/20|%s|IGP", path);
    struct kp_bgpdump_line l;
    const char *why;
    cr_assert_eq(kp_bgpdump_parse_line(line, strlen(line), &l, &why), 0, "%s", path);
    struct cleaned c;
    memset(&c, 0, sizeof(c));
    kp_bgpdump_clean_path(&l, f, &c.tail);
    memcpy(c.path, l.path, sizeof(c.path));
    c.n = l.path_len;
    c.origin_rc = kp_bgpdump_origin(&l, &c.origin);
    return c;
}

Test(route_filter, origin_after_private_reserved_and_as_trans)
{
    struct cleaned c = clean("701 6453 35819 48237 35819 65559", NULL);
    cr_assert_eq(c.origin.asns[0], 35819, "as pyasn: the last public AS");
    cr_assert_eq(c.tail, KP_ASCLASS_RESERVED, "65559 is IANA-reserved, not private");
    cr_assert_eq(c.n, 5);
    c = clean("2905 65023 16637", NULL);
    cr_assert_eq(c.n, 2, "a private AS mid-path goes too");
    cr_assert_eq(c.path[1], 16637);
    cr_assert_eq(c.tail, KP_ASCLASS_PUBLIC);
    c = clean("3356 20771 64496", NULL);
    cr_assert_eq(c.origin.asns[0], 20771);
    cr_assert_eq(c.tail, KP_ASCLASS_DOCUMENTATION);
    c = clean("3356 7018 23456", NULL);
    cr_assert_eq(c.origin.asns[0], 7018);
    cr_assert_eq(c.tail, KP_ASCLASS_AS_TRANS);
    c = clean("3356 7018 4200000001 0", NULL);
    cr_assert_eq(c.origin.asns[0], 7018);
    cr_assert_eq(c.tail, KP_ASCLASS_RESERVED, "the class of the path's last AS");
    c = clean("65000 65001", NULL);
    cr_assert_eq(c.n, 0);
    cr_assert_eq(c.origin_rc, -ENOENT, "no public AS: no origin");
    /* kept classes stay */
    struct kp_route_filter f;
    kp_route_filter_default(&f);
    f.keep = KP_KEEP_ASN(KP_ASCLASS_PRIVATE);
    c = clean("5056 65504", &f);
    cr_assert_eq(c.origin.asns[0], 65504);
    c = clean("3356 7018 65559", &f);
    cr_assert_eq(c.origin.asns[0], 7018);
}

Test(route_filter, prepending_and_as_sets)
{
    struct cleaned c = clean("2905 1299 1299 1299 8359 8359", NULL);
    cr_assert_eq(c.n, 3);
    cr_assert_eq(c.path[1], 1299);
    cr_assert_eq(c.path[2], 8359);
    /* prepending around a removed AS collapses too */
    c = clean("3356 4837 64512 4837 131279", NULL);
    cr_assert_eq(c.n, 3);
    cr_assert_eq(c.path[1], 4837);
    /* a trailing set: its public members, in order */
    c = clean("2905 6509 {271,7860,64512}", NULL);
    cr_assert_eq(c.origin.n, 2);
    cr_assert_eq(c.origin.asns[0], 271);
    cr_assert_eq(c.origin.asns[1], 7860);
    cr_assert_eq(c.origin.flags, KP_ASN_SET);
    cr_assert_eq(c.tail, KP_ASCLASS_PRIVATE);
    /* a set of private ASes only goes: the AS before it is the origin */
    c = clean("2905 6509 {64512,65001}", NULL);
    cr_assert_eq(c.origin.n, 1);
    cr_assert_eq(c.origin.asns[0], 6509);
    cr_assert_eq(c.origin.flags, 0);
    cr_assert_eq(c.tail, KP_ASCLASS_PRIVATE);
    /* a set of one is that AS, and collapses with the same AS before it */
    c = clean("22652 1273 55410 38266 {38266}", NULL);
    cr_assert_eq(c.n, 4);
    cr_assert_eq(c.origin.asns[0], 38266);
    cr_assert_eq(c.origin.flags, 0);
    c = clean("2905 {65001,4837} 131279", NULL);
    cr_assert_eq(c.n, 3);
    cr_assert_eq(c.path[1], 4837, "a set left with one member is that AS");
}

/* A path longer than 64 elements keeps its first AS and its tail. */
Test(route_filter, long_paths_keep_their_tail)
{
    char path[1024] = "174";
    for (int i = 0; i < 100; i++)
        strcat(path, i % 2 ? " 3356" : " 1299");
    strcat(path, " 4837 131279 131279");
    struct kp_bgpdump_line l;
    char line[1200];
    const char *why;
    snprintf(line, sizeof(line), "TABLE_DUMP2|1|B|157.130.10.233|174|175.45.176.0/22|%s|IGP", path);
    cr_assert_eq(kp_bgpdump_parse_line(line, strlen(line), &l, &why), 0);
    cr_assert(l.path_truncated);
    cr_assert_eq(l.path_len, 64);
    cr_assert_eq(l.path[0], 174);
    cr_assert_eq(l.path[63], 131279);
    cr_assert_eq(l.path[61], 4837);
    uint32_t target = 131279;
    struct kp_rib *r = kp_rib_new(&target, 1);
    cr_assert_eq(kp_rib_add(r, &l), 0);
    uint32_t ups[4];
    struct kp_prefix p = P("175.45.178.0/24");
    cr_assert_eq(kp_rib_upstreams(r, &p, INT64_MAX, ups, 4, NULL), 1);
    cr_assert_eq(ups[0], 4837);
    kp_rib_free(r);
}

/* ---- the RIB: upstream, origins, counts ------------------------------------------ */

static void add(struct kp_rib *r, const char *peer, uint32_t peer_as, const char *pfx,
                const char *path)
{
    char line[1024];
    snprintf(line, sizeof(line), "TABLE_DUMP2|1400824800|B|%s|%u|%s|%s|IGP", peer, peer_as, pfx,
             path);
    struct kp_bgpdump_line l;
    const char *why;
    cr_assert_eq(kp_bgpdump_parse_line(line, strlen(line), &l, &why), 0, "%s", line);
    cr_assert_eq(kp_rib_add(r, &l), 0);
}

static uint32_t upstream(struct kp_rib *r, const char *pfx)
{
    uint32_t ups[4] = {0};
    struct kp_prefix p = P(pfx);
    int n = kp_rib_upstreams(r, &p, INT64_MAX, ups, 4, NULL);
    cr_assert_eq(n, 1, "%s: %d upstreams", pfx, n);
    return ups[0];
}

Test(route_filter, upstream_on_the_cleaned_path)
{
    uint32_t target = 131279;
    struct kp_rib *r = kp_rib_new(&target, 1);
    add(r, "203.181.248.168", 7660, "175.45.176.0/24", "7660 4837 131279 131279 131279");
    add(r, "203.181.248.168", 7660, "175.45.177.0/24", "7660 4837 64512 131279");
    add(r, "203.181.248.168", 7660, "175.45.178.0/24", "7660 20485 131279 65001");
    add(r, "203.181.248.168", 7660, "175.45.179.0/24", "7660 20485 23456 131279 131279");
    cr_assert_eq(upstream(r, "175.45.176.0/24"), 4837);
    cr_assert_eq(upstream(r, "175.45.177.0/24"), 4837, "the private AS between goes");
    cr_assert_eq(upstream(r, "175.45.178.0/24"), 20485);
    cr_assert_eq(upstream(r, "175.45.179.0/24"), 20485);
    const struct kp_rib_route *h;
    size_t n;
    struct kp_prefix p = P("175.45.178.0/24");
    cr_assert_eq(kp_rib_history(r, &p, &h, &n), 0);
    cr_assert_eq(h[0].origin_as, 131279, "the private AS after the target is not the origin");
    struct kp_addr a = A("175.45.178.1");
    const struct kp_asn_rec *o = kp_rib_origin(r, &a, NULL);
    cr_assert_eq(o->asns[0], 131279);
    kp_rib_free(r);
}

/* A target AS in a special range (a lab's, -t 64509) is never removed. */
Test(route_filter, target_in_a_special_range_stays)
{
    uint32_t targets[] = {131279, 64509};
    struct kp_rib *r = kp_rib_new(targets, 2);
    add(r, "203.181.248.168", 7660, "41.0.0.0/16", "7660 4837 64509");
    struct kp_addr a = A("41.0.0.1");
    const struct kp_asn_rec *o = kp_rib_origin(r, &a, NULL);
    cr_assert_not_null(o);
    cr_assert_eq(o->asns[0], 64509);
    cr_assert_eq(upstream(r, "41.0.0.0/16"), 4837);
    kp_rib_free(r);
}

/* The origin most entries announced comes first; pyasn would answer the first
 * peer's (9999), CAIDA lists all: both are among the origins. */
Test(route_filter, majority_origin_first)
{
    uint32_t target = 131279;
    struct kp_rib *r = kp_rib_new(&target, 1);
    add(r, "196.7.106.245", 2905, "41.8.0.0/16", "2905 9999");
    add(r, "157.130.10.233", 701, "41.8.0.0/16", "701 15169");
    add(r, "68.67.63.245", 22652, "41.8.0.0/16", "22652 15169");
    add(r, "216.18.31.102", 6539, "41.8.0.0/16", "6539 3356 15169");
    struct kp_addr a = A("41.8.1.1");
    const struct kp_asn_rec *o = kp_rib_origin(r, &a, NULL);
    cr_assert_eq(o->n, 2);
    cr_assert_eq(o->asns[0], 15169);
    cr_assert_eq(o->asns[1], 9999);
    cr_assert_eq(o->flags, KP_ASN_MULTI_ORIGIN);
    /* ties: the first seen first, whatever the order of the counting */
    add(r, "196.7.106.245", 2905, "41.9.0.0/16", "2905 100");
    add(r, "157.130.10.233", 701, "41.9.0.0/16", "701 200");
    add(r, "68.67.63.245", 22652, "41.9.0.0/16", "22652 200");
    add(r, "216.18.31.102", 6539, "41.9.0.0/16", "6539 100");
    a = A("41.9.1.1");
    o = kp_rib_origin(r, &a, NULL);
    cr_assert_eq(o->asns[0], 100);
    cr_assert_eq(o->asns[1], 200);
    add(r, "216.18.31.103", 6539, "41.9.0.0/16", "6539 300");
    add(r, "216.18.31.104", 6539, "41.9.0.0/16", "6539 300");
    add(r, "216.18.31.105", 6539, "41.9.0.0/16", "6539 300");
    o = kp_rib_origin(r, &a, NULL);
    cr_assert_eq(o->n, 3);
    cr_assert_eq(o->asns[0], 300);
    cr_assert_eq(o->asns[1], 100);
    cr_assert_eq(o->asns[2], 200);
    kp_rib_free(r);
}

/* More than KP_ASN_MAX origins: the first eight seen stay (so pyasn's first
 * peer's is always among them), the rest only set KP_ASN_TRUNCATED. */
Test(route_filter, first_eight_origins_kept)
{
    uint32_t target = 131279;
    struct kp_rib *r = kp_rib_new(&target, 1);
    char path[32];
    for (int i = 1; i <= 9; i++) {
        snprintf(path, sizeof(path), "701 %d", 36615 + i);
        add(r, "157.130.10.233", 701, "2001:500:123::/48", path);
    }
    add(r, "157.130.10.233", 701, "2001:500:123::/48", "701 36624");
    struct kp_addr a = A("2001:500:123::1");
    const struct kp_asn_rec *o = kp_rib_origin(r, &a, NULL);
    cr_assert_eq(o->n, KP_ASN_MAX);
    cr_assert_eq(o->asns[0], 36616);
    cr_assert_eq(o->asns[7], 36623);
    cr_assert(o->flags & KP_ASN_TRUNCATED);
    kp_rib_free(r);
}

Test(route_filter, rib_file_counts_what_it_drops)
{
    uint32_t target = 131279;
    struct kp_rib *r = kp_rib_new(&target, 1);
    char err[256] = "";
    cr_assert_eq(kp_rib_load(r, D "bgpdump-special.txt", NULL, err, sizeof(err)), 0, "%s", err);
    const struct kp_filter_stats *st = kp_rib_stats(r);
    cr_assert_eq(st->used, 2);
    cr_assert_eq(st->drop[KP_DROP_DEFAULT_ROUTE].n, 1);
    cr_assert_eq(st->drop[KP_DROP_DEFAULT_ROUTE].line, 1);
    cr_assert_eq(st->drop[KP_DROP_SPACE + KP_ACLASS_PRIVATE].n, 1);
    cr_assert_eq(st->drop[KP_DROP_SPACE + KP_ACLASS_PRIVATE].line, 2);
    cr_assert_eq(st->drop[KP_DROP_SPACE + KP_ACLASS_DOCUMENTATION].n, 1);
    cr_assert_eq(st->drop[KP_DROP_NO_ORIGIN].n, 1);
    cr_assert_eq(st->drop[KP_DROP_NO_ORIGIN].line, 4);
    cr_assert_eq(st->origin[KP_ASCLASS_RESERVED].n, 1);
    cr_assert_eq(st->origin[KP_ASCLASS_RESERVED].line, 3);
    cr_assert_eq(kp_filter_stats_dropped(st), 4);
    cr_assert_eq(kp_filter_stats_origin_removed(st), 1);
    char buf[512];
    cr_assert_str_eq(kp_filter_stats_str(st, kp_rib_filter(r), buf, sizeof(buf)),
                     "2 used; dropped 4: 1 default route (line 1: 0.0.0.0/0), 1 in private "
                     "space (line 2: 10.6.0.0/21), 1 in documentation space (line 6: "
                     "2001:db8::/32), 1 without a public origin AS (line 4: 41.10.0.0/16); "
                     "origin AS removed from 1: 1 reserved (line 3: 5.82.192.0/20)");
    struct kp_addr a = A("10.6.0.1");
    cr_assert_null(kp_rib_origin(r, &a, NULL), "the leak is not stored");
    a = A("5.82.192.1");
    cr_assert_eq(kp_rib_origin(r, &a, NULL)->asns[0], 35819);
    a = A("41.10.0.1");
    cr_assert_null(kp_rib_origin(r, &a, NULL));
    /* a second file starts its own counts */
    cr_assert_eq(kp_rib_load(r, D "bgpdump-rib-day1.txt", NULL, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(kp_rib_stats(r)->used, 4);
    cr_assert_eq(kp_filter_stats_dropped(kp_rib_stats(r)), 0);
    cr_assert_eq(kp_filter_stats_origin_removed(kp_rib_stats(r)), 0,
                 "a documentation peer AS at the path's start is not the origin");
    kp_rib_free(r);
}

/* ---- prefix2as ---------------------------------------------------------------------- */

Test(route_filter, pfx2as_file_counts_what_it_drops)
{
    struct kp_trie *t = kp_trie_new(sizeof(struct kp_asn_rec));
    struct kp_filter_stats st;
    memset(&st, 0, sizeof(st));
    char err[256] = "";
    cr_assert_eq(kp_pfx2as_load(t, D "pfx2as-special.txt", NULL, &st, NULL, err, sizeof(err)), 0,
                 "%s", err);
    cr_assert_eq(st.used, 4);
    cr_assert_eq(kp_trie_count(t), 4);
    cr_assert_eq(st.drop[KP_DROP_DEFAULT_ROUTE].n, 2);
    cr_assert_eq(st.drop[KP_DROP_DEFAULT_ROUTE].line, 3, "after the two comment lines");
    cr_assert_eq(st.drop[KP_DROP_TOO_SHORT].n, 2);
    cr_assert_eq(st.drop[KP_DROP_SPACE + KP_ACLASS_PRIVATE].n, 1);
    cr_assert_eq(st.drop[KP_DROP_SPACE + KP_ACLASS_SHARED].n, 1);
    cr_assert_eq(st.drop[KP_DROP_SPACE + KP_ACLASS_DOCUMENTATION].n, 2);
    cr_assert_eq(st.drop[KP_DROP_SPACE + KP_ACLASS_BENCHMARKING].n, 1);
    cr_assert_eq(st.drop[KP_DROP_SPACE + KP_ACLASS_RESERVED].n, 1);
    cr_assert_eq(st.drop[KP_DROP_NO_ORIGIN].n, 1);
    cr_assert_eq(st.drop[KP_DROP_NO_ORIGIN].line, 10);
    cr_assert_eq(st.origin[KP_ASCLASS_PRIVATE].n, 1);
    cr_assert_eq(st.origin[KP_ASCLASS_AS_TRANS].n, 1);
    struct kp_addr a = A("41.1.0.1");
    const struct kp_asn_rec *r = kp_trie_lookup(t, &a, NULL);
    cr_assert_eq(r->n, 1);
    cr_assert_eq(r->asns[0], 3356);
    cr_assert_eq(r->flags, 0);
    a = A("41.2.0.1");
    r = kp_trie_lookup(t, &a, NULL);
    cr_assert_eq(r->asns[0], 7018);
    a = A("8.8.8.8");
    cr_assert_null(kp_trie_lookup(t, &a, NULL), "no default route");
    kp_trie_free(t);
    /* everything kept, the minimum at 0: only default routes go */
    t = kp_trie_new(sizeof(struct kp_asn_rec));
    struct kp_route_filter f = {0, 0, KP_KEEP_ALL, NULL, 0};
    memset(&st, 0, sizeof(st));
    cr_assert_eq(kp_pfx2as_load(t, D "pfx2as-special.txt", &f, &st, NULL, err, sizeof(err)), 0);
    cr_assert_eq(st.used, 13);
    cr_assert_eq(kp_filter_stats_dropped(&st), 2);
    kp_trie_free(t);
}

/* ---- the façade: answers and the stats of the last load ------------------------------ */

Test(route_filter, asmap_lookups_and_load_stats)
{
    char err[256] = "";
    struct kp_asmap *m = kp_asmap_new();
    cr_assert_eq(kp_asmap_add_pfx2as(m, D "pfx2as-special.txt", err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(kp_asmap_load_stats(m)->used, 4);
    struct kp_asn_answer ans;
    struct kp_addr a = A("192.0.1.1");
    kp_asmap_lookup(m, &a, &ans);
    cr_assert_eq(ans.status, KP_ASN_FOUND);
    cr_assert_eq(ans.asns[0], 3356);
    a = A("192.0.0.1"); /* inside 192.0.0.0/16, but reserved 192.0.0.0/24 */
    kp_asmap_lookup(m, &a, &ans);
    cr_assert_eq(ans.status, KP_ASN_SPECIAL);
    a = A("192.0.2.1"); /* documentation: routable in test networks, so unannounced */
    kp_asmap_lookup(m, &a, &ans);
    cr_assert_eq(ans.status, KP_ASN_UNANNOUNCED);
    a = A("10.6.0.1");
    kp_asmap_lookup(m, &a, &ans);
    cr_assert_eq(ans.status, KP_ASN_SPECIAL);
    cr_assert_eq(kp_asmap_add_bgpdump(m, D "bgpdump-special.txt", err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(kp_asmap_load_stats(m)->used, 2);
    cr_assert_eq(kp_filter_stats_dropped(kp_asmap_load_stats(m)), 4);
    kp_asmap_free(m);

    /* kept documentation space: the public /16 answers for 192.0.2.1 and
     * the documentation prefix itself is used */
    m = kp_asmap_new();
    struct kp_route_filter f;
    kp_route_filter_default(&f);
    f.keep = KP_KEEP_SPACE(KP_ACLASS_DOCUMENTATION) | KP_KEEP_ASN(KP_ASCLASS_DOCUMENTATION);
    kp_asmap_set_filter(m, &f);
    cr_assert_eq(kp_asmap_add_pfx2as(m, D "pfx2as-special.txt", err, sizeof(err)), 0, "%s", err);
    a = A("192.0.2.1");
    kp_asmap_lookup(m, &a, &ans);
    cr_assert_eq(ans.status, KP_ASN_FOUND);
    cr_assert_eq(ans.asns[0], 64500);
    cr_assert_eq(ans.prefix.len, 24);
    a = A("2001:db8::1");
    kp_asmap_lookup(m, &a, &ans);
    cr_assert_eq(ans.asns[0], 64500);
    kp_asmap_free(m);
}

Test(route_filter, stats_text)
{
    struct kp_filter_stats s;
    memset(&s, 0, sizeof(s));
    char buf[512];
    cr_assert_str_eq(kp_filter_stats_str(&s, NULL, buf, sizeof(buf)), "0 used");
    s.used = 9067;
    struct kp_prefix p = P("0.0.0.0/0");
    kp_filter_count_add(&s.drop[KP_DROP_DEFAULT_ROUTE], 1, &p);
    kp_filter_count_add(&s.drop[KP_DROP_DEFAULT_ROUTE], 9, &p);
    p = P("2000::/12");
    kp_filter_count_add(&s.drop[KP_DROP_TOO_SHORT], 0, &p);
    struct kp_route_filter f;
    kp_route_filter_default(&f);
    f.min_len4 = 12;
    cr_assert_str_eq(kp_filter_stats_str(&s, &f, buf, sizeof(buf)),
                     "9067 used; dropped 3: 2 default routes (line 1: 0.0.0.0/0), 1 shorter "
                     "than /12 (IPv4) or /16 (IPv6) (2000::/12)");
    /* a short buffer is cut, still terminated */
    char small[16];
    kp_filter_stats_str(&s, &f, small, sizeof(small));
    cr_assert_eq(strlen(small), sizeof(small) - 1);
}
