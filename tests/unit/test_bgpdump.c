/* SPDX-License-Identifier: BSD-2-Clause */
/* test_bgpdump.c — bgpdump -m lines and the control-plane timeline. The
 * fixture tests/data/asmap/bgpdump-nk.txt is hand-made in bgpdump -m format
 * (reference.md §2); expected upstreams below are worked out by hand from it:
 *   t0 = 1506816000 (2017-10-01 00:00 UTC) RIB: 175.45.178.0/24 via 4837 from
 *        peers 64496, 64497 (3356 4837 4837 131279), 64498; /22 via 4837.
 *   t1 = 1506848871 (09:07:51 UTC) BGP4MP: peer 64496 switches .178 to
 *        20485; peer 64497 announces .179/24 via 20485 (target prepended).
 *   t1' = 1506870000.25 W of .179/24 by 64497.
 *   t2 = 1506902400 RIB: 64496 .178 via 20485, 64497 .178 via 4837. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/asmap/asmap_int.h"

#define T0 1506816000
#define T1 1506848871
#define T2 1506902400

static int parse(const char *s, struct kp_bgpdump_line *l, const char **why)
{
    return kp_bgpdump_parse_line(s, strlen(s), l, why);
}

Test(bgpdump, table_dump2_line)
{
    struct kp_bgpdump_line l;
    const char *why;
    char buf[KP_PREFIX_STRLEN];
    cr_assert_eq(parse("TABLE_DUMP2|1506816000|B|203.0.113.1|64497|175.45.178.0/24|64497 3356 "
                       "4837 4837 131279|IGP|203.0.113.1|0|0|3356:2|NAG||",
                       &l, &why),
                 0);
    cr_assert_eq(l.kind, KP_BGPDUMP_ROUTE);
    cr_assert_eq(l.time, T0);
    cr_assert_eq(l.peer_as, 64497);
    cr_assert_str_eq(kp_prefix_str(&l.prefix, buf, sizeof(buf)), "175.45.178.0/24");
    cr_assert_eq(l.path_len, 5);
    cr_assert_eq(l.path[0], 64497);
    cr_assert_eq(l.path[4], 131279);
    struct kp_asn_rec rec;
    cr_assert_eq(kp_bgpdump_origin(&l, &rec), 0);
    cr_assert_eq(rec.n, 1);
    cr_assert_eq(rec.asns[0], 131279);
    cr_assert_eq(rec.flags, 0);
}

Test(bgpdump, addpath_and_as_set)
{
    struct kp_bgpdump_line l;
    const char *why;
    /* TABLE_DUMP2_AP: the path id sits between prefix and path */
    cr_assert_eq(parse("TABLE_DUMP2_AP|100|B|198.51.100.9|64497|198.51.100.0/24|42|64497 64496|"
                       "INCOMPLETE|255.255.255.255|0|0||NAG||",
                       &l, &why),
                 0);
    cr_assert_eq(l.path_len, 2);
    cr_assert_eq(l.path[1], 64496);
    cr_assert_eq(parse("TABLE_DUMP2|1|B|198.51.100.1|64496|203.0.113.0/24|64496 64500 "
                       "{64501,64502}|INCOMPLETE|198.51.100.1|0|0||AG|64500 10.0.0.1|",
                       &l, &why),
                 0);
    cr_assert_eq(l.path_len, 4);
    cr_assert_eq(l.path_set[1], 0);
    cr_assert_neq(l.path_set[2], 0);
    cr_assert_eq(l.path_set[2], l.path_set[3]);
    struct kp_asn_rec rec;
    cr_assert_eq(kp_bgpdump_origin(&l, &rec), 0);
    cr_assert_eq(rec.n, 2);
    cr_assert_eq(rec.asns[0], 64501);
    cr_assert_eq(rec.asns[1], 64502);
    cr_assert_eq(rec.flags, KP_ASN_SET);
}

Test(bgpdump, bgp4mp_and_skipped_kinds)
{
    struct kp_bgpdump_line l;
    const char *why;
    cr_assert_eq(parse("BGP4MP|1506848871|STATE|198.51.100.1|64496|3|6", &l, &why), 1);
    cr_assert_eq(parse("", &l, &why), 1);
    cr_assert_eq(parse("SOMETHING|1|2", &l, &why), 1);
    cr_assert_eq(parse("BGP4MP_ET|1506870000.250000|W|203.0.113.1|64497|175.45.179.0/24", &l, &why),
                 0);
    cr_assert_eq(l.kind, KP_BGPDUMP_WITHDRAW);
    cr_assert_eq(l.time, 1506870000);
    cr_assert_eq(
        parse("BGP4MP|5|A|2001:db8::1|4200000000|2001:db8:100::/40|4200000000 1.10|IGP", &l, &why),
        0);
    cr_assert_eq(l.peer_as, 4200000000u);
    cr_assert_eq(l.path[1], 65546, "asdot 1.10 = 65536 + 10");
}

Test(bgpdump, malformed_lines)
{
    struct kp_bgpdump_line l;
    const char *why;
    cr_assert_eq(parse("TABLE_DUMP2|x|B|1.2.3.4|1|1.2.3.0/24|1 2|IGP", &l, &why), -EINVAL);
    cr_assert_str_eq(why, "bad timestamp");
    cr_assert_eq(parse("TABLE_DUMP2|1|B|1.2.3|1|1.2.3.0/24|1 2|IGP", &l, &why), -EINVAL);
    cr_assert_str_eq(why, "bad peer address");
    cr_assert_eq(parse("TABLE_DUMP2|1|B|1.2.3.4|1|1.2.3.0/33|1 2|IGP", &l, &why), -EINVAL);
    cr_assert_str_eq(why, "bad prefix");
    cr_assert_eq(parse("TABLE_DUMP2|1|B|1.2.3.4|1|1.2.3.0/24|1 {2|IGP", &l, &why), -EINVAL);
    cr_assert_str_eq(why, "unterminated AS set");
    cr_assert_eq(parse("TABLE_DUMP2|1|B|1.2.3.4|1|1.2.3.0/24|1 x2|IGP", &l, &why), -EINVAL);
    cr_assert_eq(parse("TABLE_DUMP2|1|B|1.2.3.4|1", &l, &why), -EINVAL);
    cr_assert_str_eq(why, "too few fields");
    cr_assert_eq(parse("TABLE_DUMP2|1|B|1.2.3.4|4294967296|1.2.3.0/24|1|IGP", &l, &why), -EINVAL);
    cr_assert_str_eq(why, "bad peer AS");
}

/* bgpdump-nk.txt is numbered from documentation space and ASNs: the tests
 * of the format keep them (the rules are test_route_filter.c's). */
static const struct kp_route_filter keep_all = {0, 0, KP_KEEP_ALL, NULL, 0};

static struct kp_rib *load_fixture(void)
{
    uint32_t target = 131279;
    struct kp_rib *r = kp_rib_new(&target, 1);
    kp_rib_set_filter(r, &keep_all);
    char err[256] = "";
    cr_assert_eq(kp_rib_load(r, KP_TEST_DATA "/asmap/bgpdump-nk.txt", NULL, err, sizeof(err)), 0,
                 "%s", err);
    return r;
}

static struct kp_prefix P(const char *s) {
    struct kp_prefix p;
    cr_assert_eq(kp_prefix_parse(s, false, &p), 0);
    return p;
}

Test(bgpdump, origins_from_rib)
{
    struct kp_rib *r = load_fixture();
    struct kp_addr a;
    struct kp_prefix m;
    char buf[KP_PREFIX_STRLEN];
    kp_addr_parse("175.45.178.5", &a);
    const struct kp_asn_rec *o = kp_rib_origin(r, &a, &m);
    cr_assert_not_null(o);
    cr_assert_eq(o->n, 1);
    cr_assert_eq(o->asns[0], 131279);
    cr_assert_eq(o->flags, 0, "same origin from every peer is not multi-origin");
    cr_assert_str_eq(kp_prefix_str(&m, buf, sizeof(buf)), "175.45.178.0/24");
    kp_addr_parse("198.51.100.77", &a);
    o = kp_rib_origin(r, &a, &m);
    cr_assert_eq(o->n, 2);
    cr_assert_eq(o->asns[0], 64510);
    cr_assert_eq(o->asns[1], 64511);
    cr_assert_eq(o->flags, KP_ASN_MULTI_ORIGIN);
    kp_addr_parse("203.0.113.9", &a);
    o = kp_rib_origin(r, &a, &m);
    cr_assert_eq(o->flags, KP_ASN_SET);
    kp_addr_parse("219.158.1.1", &a);
    o = kp_rib_origin(r, &a, &m);
    cr_assert_eq(o->asns[0], 4837);
    kp_addr_parse("175.45.179.1", &a);
    o = kp_rib_origin(r, &a, &m);
    cr_assert_eq(o->asns[0], 131279);
    kp_addr_parse("8.8.8.8", &a);
    cr_assert_null(kp_rib_origin(r, &a, &m));
    kp_rib_free(r);
}

static int ups(struct kp_rib *r, const char *pfx, int64_t at, uint32_t *out, char *matched)
{
    struct kp_prefix p = P(pfx), m;
    int n = kp_rib_upstreams(r, &p, at, out, 8, &m);
    if (n >= 0 && matched)
        kp_prefix_str(&m, matched, KP_PREFIX_STRLEN);
    return n;
}

Test(bgpdump, upstreams_over_time)
{
    struct kp_rib *r = load_fixture();
    uint32_t u[8];
    char m[KP_PREFIX_STRLEN];
    cr_assert_eq(ups(r, "175.45.178.0/24", T0, u, m), 1);
    cr_assert_eq(u[0], 4837);
    cr_assert_str_eq(m, "175.45.178.0/24");
    cr_assert_eq(ups(r, "175.45.178.0/24", T1, u, m), 2);
    cr_assert_eq(u[0], 4837);
    cr_assert_eq(u[1], 20485);
    cr_assert_eq(ups(r, "175.45.178.0/24", INT64_MAX, u, m), 2);
    /* .179: its own /24 appears at t1 via TTC, is withdrawn later; then the
     * covering /22 (via Unicom) is what the control plane offers */
    cr_assert_eq(ups(r, "175.45.179.0/24", T0, u, m), 1);
    cr_assert_eq(u[0], 4837);
    cr_assert_str_eq(m, "175.45.176.0/22");
    cr_assert_eq(ups(r, "175.45.179.0/24", T1, u, m), 1);
    cr_assert_eq(u[0], 20485, "prepending of the target is skipped");
    cr_assert_str_eq(m, "175.45.179.0/24");
    cr_assert_eq(ups(r, "175.45.179.0/24", INT64_MAX, u, m), 1);
    cr_assert_eq(u[0], 4837);
    cr_assert_str_eq(m, "175.45.176.0/22");
    cr_assert_eq(ups(r, "175.45.176.0/24", INT64_MAX, u, m), 1);
    cr_assert_eq(u[0], 4837);
    /* before any record, and prefixes without the target */
    cr_assert_eq(ups(r, "175.45.178.0/24", T0 - 1, u, m), -ENOENT);
    cr_assert_eq(ups(r, "219.158.0.0/24", INT64_MAX, u, m), -ENOENT);
    cr_assert_eq(ups(r, "2001:db8:100:1::/64", INT64_MAX, u, m), 1);
    cr_assert_eq(u[0], 64499);
    kp_rib_free(r);
}

Test(bgpdump, history_is_sorted_and_complete)
{
    struct kp_rib *r = load_fixture();
    const struct kp_rib_route *h;
    size_t n;
    struct kp_prefix p = P("175.45.178.0/24");
    cr_assert_eq(kp_rib_history(r, &p, &h, &n), 0);
    cr_assert_eq(n, 6);
    cr_assert_eq(h[0].time, T0);
    cr_assert_eq(h[0].peer_as, 64496);
    cr_assert_eq(h[0].upstream_as, 4837);
    cr_assert_eq(h[0].target_as, 131279);
    cr_assert_eq(h[0].origin_as, 131279);
    cr_assert_eq(h[1].peer_as, 64497);
    cr_assert_eq(h[1].upstream_as, 4837);
    cr_assert_eq(h[2].peer_as, 64498);
    cr_assert_eq(h[3].time, T1);
    cr_assert_eq(h[3].upstream_as, 20485);
    cr_assert_eq(h[4].time, T2);
    cr_assert_eq(h[5].time, T2);
    p = P("175.45.179.0/24");
    cr_assert_eq(kp_rib_history(r, &p, &h, &n), 0);
    cr_assert_eq(n, 2);
    cr_assert_not(h[0].withdrawn);
    cr_assert(h[1].withdrawn);
    cr_assert_eq(h[1].time, 1506870000);
    p = P("219.158.0.0/17");
    cr_assert_eq(kp_rib_history(r, &p, &h, &n), -ENOENT);
    kp_rib_free(r);
}

Test(bgpdump, load_error_names_line)
{
    uint32_t target = 131279;
    struct kp_rib *r = kp_rib_new(&target, 1);
    char err[256] = "";
    cr_assert_eq(
        kp_rib_load(r, KP_TEST_DATA "/asmap/bgpdump-bad-line2.txt", NULL, err, sizeof(err)),
        -EINVAL);
    cr_assert_not_null(strstr(err, "bgpdump-bad-line2.txt:2: bad prefix"), "%s", err);
    kp_rib_free(r);
}

static void count_note(void *ctx, const char *path, unsigned long line, const char *why)
{
    (void)path;
    unsigned long *last = ctx;
    *last = line;
    cr_assert_not_null(strstr(why, "bad prefix"), "%s", why);
}

/* With notes, the malformed line 2 is noted and skipped; line 1 is loaded. */
Test(bgpdump, load_with_notes_skips_bad_line)
{
    uint32_t target = 131279;
    struct kp_rib *r = kp_rib_new(&target, 1);
    unsigned long last = 0;
    struct kp_load_notes notes = {count_note, &last, 0};
    char err[256] = "";
    cr_assert_eq(
        kp_rib_load(r, KP_TEST_DATA "/asmap/bgpdump-bad-line2.txt", &notes, err, sizeof(err)), 0,
        "%s", err);
    cr_assert_eq(notes.skipped, 1);
    cr_assert_eq(last, 2);
    struct kp_addr a;
    kp_addr_parse("175.45.177.1", &a);
    const struct kp_asn_rec *o = kp_rib_origin(r, &a, NULL);
    cr_assert_not_null(o);
    cr_assert_eq(o->asns[0], 131279);
    kp_rib_free(r);
}

/* A first line that is not bgpdump -m text is refused even with notes. */
Test(bgpdump, load_with_notes_refuses_non_text)
{
    uint32_t target = 131279;
    struct kp_rib *r = kp_rib_new(&target, 1);
    unsigned long last = 0;
    struct kp_load_notes notes = {count_note, &last, 0};
    char err[256] = "";
    cr_assert_eq(
        kp_rib_load(r, KP_TEST_DATA "/asmap/bgpdump-not-text.txt", &notes, err, sizeof(err)),
        -EINVAL);
    cr_assert_eq(notes.skipped, 0);
    kp_rib_free(r);
}

/* Two RIB snapshot files a day apart (hand-made):
 *   day 1 (1700000000): peers 64496, 64497, 64505 reach .178/24 via 4837.
 *   day 2 (1700086400): 64496 via 20485; 64497 is in the dump (it has
 *   219.158.0.0/17) but has no route to .178 any more: withdrawn at day 2;
 *   64504 is new via 20485; 64505 is absent from the dump: keeps its state. */
Test(bgpdump, snapshot_files_withdraw_vanished_routes)
{
    uint32_t target = 131279;
    struct kp_rib *r = kp_rib_new(&target, 1);
    char err[256] = "";
    cr_assert_eq(kp_rib_load(r, KP_TEST_DATA "/asmap/bgpdump-rib-day1.txt", NULL, err, sizeof(err)),
                 0, "%s", err);
    cr_assert_eq(kp_rib_load(r, KP_TEST_DATA "/asmap/bgpdump-rib-day2.txt", NULL, err, sizeof(err)),
                 0, "%s", err);
    uint32_t u[8];
    char m[KP_PREFIX_STRLEN];
    cr_assert_eq(ups(r, "175.45.178.0/24", 1700000000, u, m), 1);
    cr_assert_eq(u[0], 4837);
    cr_assert_eq(ups(r, "175.45.178.0/24", INT64_MAX, u, m), 2);
    cr_assert_eq(u[0], 4837, "from 64505, absent from the day-2 dump");
    cr_assert_eq(u[1], 20485);
    const struct kp_rib_route *h;
    size_t n;
    struct kp_prefix p = P("175.45.178.0/24");
    cr_assert_eq(kp_rib_history(r, &p, &h, &n), 0);
    cr_assert_eq(n, 6, "3 day-1 routes, 2 day-2 routes, 1 implicit withdrawal");
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        if (h[i].withdrawn) {
            w++;
            cr_assert_eq(h[i].peer_as, 64497);
            cr_assert_eq(h[i].time, 1700086400);
        }
    }
    cr_assert_eq(w, 1);
    /* loading the day-2 file again changes nothing: no route vanished */
    cr_assert_eq(kp_rib_load(r, KP_TEST_DATA "/asmap/bgpdump-rib-day2.txt", NULL, err, sizeof(err)),
                 0);
    cr_assert_eq(kp_rib_history(r, &p, &h, &n), 0);
    cr_assert_eq(n, 8);
    kp_rib_free(r);
}

/* Confederation segments as libbgpdump prints them: "(a b)" for an
 * AS_CONFED_SEQUENCE, "[a,b]" for an AS_CONFED_SET. RFC 5065 keeps them
 * inside the confederation: they are not part of the path seen outside it
 * and never its origin. */
Test(bgpdump, confederation_segments_are_not_the_path)
{
    struct kp_bgpdump_line l;
    const char *why;
    cr_assert_eq(parse("TABLE_DUMP2|1506816000|B|203.0.113.1|64497|175.45.178.0/24|(65001 65002) "
                       "3356 4837 131279|IGP|203.0.113.1|0|0||NAG||",
                       &l, &why),
                 0);
    cr_assert_eq(l.path_len, 3);
    cr_assert_eq(l.path[0], 3356);
    cr_assert_eq(l.path[2], 131279);
    struct kp_asn_rec rec;
    cr_assert_eq(parse("TABLE_DUMP2|1|B|203.0.113.1|64497|198.51.100.0/24|64497 64500 "
                       "[65010,65011]|IGP|203.0.113.1|0|0||NAG||",
                       &l, &why),
                 0);
    cr_assert_eq(kp_bgpdump_origin(&l, &rec), 0);
    cr_assert_eq(rec.n, 1);
    cr_assert_eq(rec.asns[0], 64500, "a trailing confed set is not an AS set origin");
    cr_assert_eq(rec.flags, 0);
    /* a route from inside the confederation only: its members stand */
    cr_assert_eq(
        parse("TABLE_DUMP2|1|B|203.0.113.1|64497|198.51.100.0/24|(65001 65002)|IGP", &l, &why), 0);
    cr_assert_eq(l.path_len, 2);
    cr_assert_eq(l.path[1], 65002);
    cr_assert_eq(parse("TABLE_DUMP2|1|B|203.0.113.1|64497|198.51.100.0/24|1 (2 3]|IGP", &l, &why),
                 -EINVAL);
    cr_assert_str_eq(why, "unbalanced AS set");
}

/* Shapes of bgpdump -m lines from real collectors: TABLE_DUMP (MRT v1) with
 * communities and NAG, IPv6 peer and prefix, 4-byte ASNs, prepending, an
 * asdot peer AS, an AS set in the middle, more trailing fields than usual,
 * an empty AS path (a collector's own route). */
Test(bgpdump, real_world_line_shapes)
{
    struct kp_bgpdump_line l;
    const char *why;
    char buf[KP_PREFIX_STRLEN];
    cr_assert_eq(parse("TABLE_DUMP|1027380840|B|204.42.253.253|267|3.0.0.0/8|267 2914 174 701 80|"
                       "IGP|204.42.253.253|0|0|267:2914 2914:420 2914:2000 2914:3000|NAG||",
                       &l, &why),
                 0);
    cr_assert(l.table_dump);
    cr_assert_eq(l.path_len, 5);
    cr_assert_eq(l.path[4], 80);
    cr_assert_eq(parse("TABLE_DUMP2|1700000000|B|2001:7f8:4::3a6e:1|14966|2001:db8:40::/42|14966 "
                       "6939 4837 4837 4837 131279|IGP|2001:7f8:4::3a6e:1|0|0|6939:1000|NAG||",
                       &l, &why),
                 0);
    cr_assert_eq(l.peer_ip.family, 6);
    cr_assert_str_eq(kp_prefix_str(&l.prefix, buf, sizeof(buf)), "2001:db8:40::/42");
    cr_assert_eq(l.path_len, 6, "prepending is kept in the path");
    cr_assert_eq(l.path[3], 4837);
    cr_assert_eq(parse("BGP4MP|1700000001|A|198.51.100.7|3.10|175.45.176.0/22|196618 20485 "
                       "131279|IGP|198.51.100.7|0|0||NAG|||extra|fields|here|x|y|z|w|v|u",
                       &l, &why),
                 0);
    cr_assert_eq(l.peer_as, 196618, "asdot 3.10");
    cr_assert_eq(l.path[0], 196618);
    cr_assert_eq(parse("TABLE_DUMP2|1|B|198.51.100.1|64496|203.0.113.0/24|64496 {64501,64502} "
                       "64503|IGP|198.51.100.1|0|0||NAG||",
                       &l, &why),
                 0);
    struct kp_asn_rec rec;
    cr_assert_eq(kp_bgpdump_origin(&l, &rec), 0);
    cr_assert_eq(rec.asns[0], 64503);
    cr_assert_eq(rec.flags, 0);
    cr_assert_eq(parse("TABLE_DUMP2|1|B|198.51.100.1|64496|203.0.113.0/24||IGP|198.51.100.1|0|0||"
                       "NAG||",
                       &l, &why),
                 0);
    cr_assert_eq(l.path_len, 0);
    cr_assert_eq(kp_bgpdump_origin(&l, &rec), -ENOENT);
    /* NLRI bytes with host bits set (seen from buggy speakers): the prefix */
    cr_assert_eq(
        parse("TABLE_DUMP2|1|B|198.51.100.1|64496|175.45.177.9/24|64496 131279|IGP", &l, &why), 0);
    cr_assert_str_eq(kp_prefix_str(&l.prefix, buf, sizeof(buf)), "175.45.177.0/24");
}

/* A raw MRT dump, or one compressed with bzip2 as RouteViews and RIS ship
 * them, given to --rib by mistake: an error at line 1, not an empty RIB. */
Test(bgpdump, load_refuses_what_is_not_bgpdump_text)
{
    uint32_t target = 131279;
    struct kp_rib *r = kp_rib_new(&target, 1);
    char err[256] = "";
    cr_assert_eq(kp_rib_load(r, KP_TEST_DATA "/asmap/bgpdump-not-text.txt", NULL, err, sizeof(err)),
                 -EINVAL);
    cr_assert_not_null(strstr(err, "bgpdump-not-text.txt:1: not a `bgpdump -m` line"), "%s", err);
    /* a bgpdump -m file still loads */
    cr_assert_eq(kp_rib_load(r, KP_TEST_DATA "/asmap/bgpdump-nk.txt", NULL, err, sizeof(err)), 0,
                 "%s", err);
    kp_rib_free(r);
}

/* Two RIB snapshot files of N peers, peer i announcing its own /24 (through
 * 4837 to the target) on day 1 and another /24 on day 2, so each day-1 route
 * is implicitly withdrawn on day 2. The day-2 load looks each peer up once
 * per line (a miss, then the insert) and once per implicit withdrawal (a
 * hit): in a chained table whose load stays <= 1 that is fewer than 1 + 1.5
 * visited nodes per peer on average, against about N * N / 2 for one chain. */
static void write_snapshot(const char *path, int day, unsigned n)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    for (unsigned i = 0; i < n; i++)
        fprintf(f,
                "TABLE_DUMP2|%d|B|11.0.%u.%u|%u|%u.%u.%u.0/24|%u 4837 "
                "131279|IGP|11.0.%u.%u|0|0||NAG||\n",
                1700000000 + 86400 * day, i >> 8, i & 255, 64512 + i, day + 1, i >> 8, i & 255,
                64512 + i, i >> 8, i & 255);
    cr_assert_eq(fclose(f), 0);
}

Test(bgpdump, snapshot_peer_table_work_is_linear)
{
    enum { N = 4096 };
    char d1[] = "/tmp/kp-test-rib1-XXXXXX", d2[] = "/tmp/kp-test-rib2-XXXXXX";
    int fd1 = mkstemp(d1), fd2 = mkstemp(d2);
    cr_assert(fd1 >= 0 && fd2 >= 0);
    close(fd1);
    close(fd2);
    write_snapshot(d1, 0, N);
    write_snapshot(d2, 1, N);
    uint32_t target = 131279;
    struct kp_rib *r = kp_rib_new(&target, 1);
    char err[256] = "";
    cr_assert_eq(kp_rib_load(r, d1, NULL, err, sizeof(err)), 0, "%s", err);
    cr_assert_lt(kp_rib_peer_steps(r), 2ull * N, "day 1: %llu steps",
                 (unsigned long long)kp_rib_peer_steps(r));
    cr_assert_eq(kp_rib_load(r, d2, NULL, err, sizeof(err)), 0, "%s", err);
    cr_assert_lt(kp_rib_peer_steps(r), 4ull * N, "day 2: %llu steps",
                 (unsigned long long)kp_rib_peer_steps(r));
    /* every day-1 route was withdrawn at the day-2 snapshot time */
    const struct kp_rib_route *h;
    size_t n;
    struct kp_prefix p = P("1.15.255.0/24");
    cr_assert_eq(kp_rib_history(r, &p, &h, &n), 0);
    cr_assert_eq(n, 2);
    cr_assert(!h[0].withdrawn);
    cr_assert(h[1].withdrawn);
    cr_assert_eq(h[1].peer_as, 64512 + 4095);
    cr_assert_eq(h[1].time, 1700086400);
    unlink(d1);
    unlink(d2);
    kp_rib_free(r);
}

/* One prefix seen by N peers on day 1 and by the odd ones only on day 2,
 * the even ones still peering (hand-made): N/2 implicit withdrawals, and
 * the work to find them is a sort of the prefix's 1.5 N routes by peer —
 * about R log2 R comparisons, against R * R for comparing every route with
 * every other of its prefix (a RIB keeps a route per peer and file). */
static void write_one_prefix(const char *path, int day, unsigned n)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    for (unsigned i = 0; i < n; i++) {
        /* on day 2 the even peers still peer (they announce another prefix)
         * but no longer have 175.45.176.0/24 */
        const char *pfx = day == 1 && i % 2 == 0 ? "175.45.177.0/24" : "175.45.176.0/24";
        fprintf(f, "TABLE_DUMP2|%d|B|11.0.%u.%u|%u|%s|%u 4837 131279|IGP|11.0.%u.%u|0|0||NAG||\n",
                1700000000 + 86400 * day, i >> 8, i & 255, 64512 + i, pfx, 64512 + i, i >> 8,
                i & 255);
    }
    cr_assert_eq(fclose(f), 0);
}

Test(bgpdump, implicit_withdrawals_of_a_prefix_with_many_peers_sort_once)
{
    enum { N = 4000 };
    char d1[] = "/tmp/kp-test-rib1-XXXXXX", d2[] = "/tmp/kp-test-rib2-XXXXXX";
    int fd1 = mkstemp(d1), fd2 = mkstemp(d2);
    cr_assert(fd1 >= 0 && fd2 >= 0);
    close(fd1);
    close(fd2);
    write_one_prefix(d1, 0, N);
    write_one_prefix(d2, 1, N);
    uint32_t target = 131279;
    struct kp_rib *r = kp_rib_new(&target, 1);
    char err[256] = "";
    cr_assert_eq(kp_rib_load(r, d1, NULL, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(kp_rib_load(r, d2, NULL, err, sizeof(err)), 0, "%s", err);
    const struct kp_rib_route *h;
    size_t n;
    struct kp_prefix p = P("175.45.176.0/24");
    cr_assert_eq(kp_rib_history(r, &p, &h, &n), 0);
    cr_assert_eq(n, N + N / 2 + N / 2, "N day-1 routes, N/2 day-2 routes, N/2 withdrawals: %zu", n);
    size_t withdrawn = 0;
    for (size_t i = 0; i < n; i++) {
        if (!h[i].withdrawn)
            continue;
        withdrawn++;
        cr_assert_eq(h[i].time, 1700086400);
        cr_assert_eq((h[i].peer_as - 64512) % 2, 0, "only the even peers vanished (AS%u)",
                     h[i].peer_as);
    }
    cr_assert_eq(withdrawn, N / 2);
    uint64_t routes = N + N / 2, bound = routes * 2 * 13; /* log2(6000) < 13 */
    cr_assert_lt(kp_rib_implicit_steps(r), bound, "%llu steps for %llu routes",
                 (unsigned long long)kp_rib_implicit_steps(r), (unsigned long long)routes);
    unlink(d1);
    unlink(d2);
    kp_rib_free(r);
}
