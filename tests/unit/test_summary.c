/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for core/verdict/summary.c: aggregation of hand-made verdicts.
 * Expected shares and flags are counted by hand from the inputs below. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/verdict/summary.h"

static void add(struct kp_summary *s, const char *vp, const char *dst, enum kp_method m,
                const char *sweep, uint32_t asn, const char *name, enum kp_transit_status st,
                int64_t start)
{
    struct kp_trace t;
    kp_trace_init(&t);
    snprintf(t.vp, sizeof(t.vp), "%s", vp);
    kp_addr_parse(dst, &t.dst);
    kp_addr_parse("198.18.3.2", &t.src);
    t.method = m;
    t.start_ns = start;
    struct kp_transit v;
    memset(&v, 0, sizeof(v));
    v.asn = asn;
    v.status = st;
    v.confidence = 0.9;
    snprintf(v.name, sizeof(v.name), "%s", name);
    cr_assert_eq(kp_summary_add(s, &t, sweep, &v), 0);
}

static const struct kp_summary_group *find(const struct kp_summary *s, const char *vp,
                                           const char *pfx, enum kp_method m, const char *sweep)
{
    struct kp_addr a;
    kp_addr_parse(pfx, &a);
    for (size_t i = 0; i < kp_summary_count(s); i++) {
        const struct kp_summary_group *g = kp_summary_group(s, i);
        if (strcmp(g->vp, vp) == 0 && kp_addr_eq(&g->prefix, &a) && g->method == m &&
            strcmp(g->sweep, sweep) == 0)
            return g;
    }
    return NULL;
}

#define U KP_METHOD_UDP_PARIS
#define R KP_TRANSIT_REACHED

Test(summary, ecmp_split_and_single_transit)
{
    struct kp_summary *s;
    cr_assert_eq(kp_summary_new(&s), 0);
    /* vp-asia's per-flow split to 198.19.178.0/24: 2 Unicom, 2 TTC */
    add(s, "vp-asia", "198.19.178.1", U, "", 4837, "China Unicom", R, 10);
    add(s, "vp-asia", "198.19.178.2", U, "", 20485, "TransTeleCom", R, 20);
    add(s, "vp-asia", "198.19.178.3", U, "", 20485, "TransTeleCom", R, 30);
    add(s, "vp-asia", "198.19.178.4", U, "", 4837, "China Unicom", R, 40);
    /* vp-eu to .177: TTC three times */
    for (int i = 0; i < 3; i++)
        add(s, "vp-eu", "198.19.177.9", U, "", 20485, "TransTeleCom", R, 5);
    kp_summary_finish(s);
    cr_assert_eq(kp_summary_count(s), 2);
    /* sorted by vp */
    cr_assert_str_eq(kp_summary_group(s, 0)->vp, "vp-asia");
    const struct kp_summary_group *g = find(s, "vp-asia", "198.19.178.0", U, "");
    cr_assert_not_null(g);
    cr_assert_eq(g->plen, 24);
    cr_assert_eq(g->traces, 4);
    cr_assert_eq(g->n_shares, 2);
    cr_assert_eq(g->majority, 0);
    cr_assert_eq(g->shares[0].asn, 4837, "a tie goes to the lower AS number");
    cr_assert_float_eq(g->shares[0].share, 0.5, 1e-9);
    cr_assert_float_eq(g->shares[1].share, 0.5, 1e-9);
    cr_assert_eq(g->first_ns, 10);
    cr_assert_eq(g->last_ns, 40);
    cr_assert_eq(g->agrees, -1, "no RIB: unknown");
    const struct kp_summary_group *e = find(s, "vp-eu", "198.19.177.0", U, "");
    cr_assert_eq(e->traces, 3);
    cr_assert_eq(e->n_shares, 1);
    cr_assert_float_eq(e->shares[0].share, 1.0, 1e-9);
    cr_assert_str_eq(e->shares[0].name, "TransTeleCom");
    kp_summary_free(s);
}

Test(summary, control_plane_agreement)
{
    struct kp_summary *s;
    cr_assert_eq(kp_summary_new(&s), 0);
    add(s, "vp-eu", "198.19.177.1", U, "", 20485, "TransTeleCom", R, 1);
    add(s, "vp-eu", "198.19.179.1", U, "", 4837, "China Unicom", KP_TRANSIT_FILTERED, 1);
    add(s, "vp-eu", "198.19.176.1", U, "", 4837, "China Unicom", KP_TRANSIT_INCOMPLETE, 1);
    kp_summary_finish(s);
    cr_assert_eq(kp_summary_count(s), 3);
    /* groups sorted by prefix: .176, .177, .179 */
    const uint32_t unicom[] = {4837}, ttc[] = {20485}, both[] = {4837, 20485};
    cr_assert_eq(kp_summary_set_upstreams(s, 1, unicom, 1), 0);
    cr_assert_eq(kp_summary_group(s, 1)->agrees, 0, "BGP says Unicom, packets go via TTC");
    cr_assert_eq(kp_summary_set_upstreams(s, 1, both, 2), 0);
    cr_assert_eq(kp_summary_group(s, 1)->agrees, 1);
    cr_assert_eq(kp_summary_group(s, 1)->n_upstreams, 2);
    cr_assert_eq(kp_summary_set_upstreams(s, 2, unicom, 1), 0);
    cr_assert_eq(kp_summary_group(s, 2)->agrees, 1, "filtered at Unicom, Unicom announced");
    cr_assert_eq(kp_summary_set_upstreams(s, 0, ttc, 1), 0);
    cr_assert_eq(kp_summary_group(s, 0)->agrees, -1, "incomplete: cannot say");
    cr_assert_eq(kp_summary_set_upstreams(s, 1, NULL, 0), 0);
    cr_assert_eq(kp_summary_group(s, 1)->agrees, -1, "no control-plane answer");
    cr_assert_eq(kp_summary_set_upstreams(s, 9, unicom, 1), -EINVAL);
    kp_summary_free(s);
}

Test(summary, keys_method_sweep_and_vp_fallback)
{
    struct kp_summary *s;
    cr_assert_eq(kp_summary_new(&s), 0);
    add(s, "vp-us", "198.19.176.1", U, "2026-11-21T00", 4837, "China Unicom", R, 1);
    add(s, "vp-us", "198.19.176.1", U, "2026-11-21T01", 4837, "China Unicom", R, 2);
    add(s, "vp-us", "198.19.176.1", KP_METHOD_ICMP_PARIS, "2026-11-21T00", 4837, "", R, 3);
    add(s, "", "198.19.176.1", U, "2026-11-21T00", 4837, "", R, 4);
    add(s, "vp-us", "2001:db8:1234:5678::1", U, "", 0, "", KP_TRANSIT_UNDETERMINED, 5);
    kp_summary_finish(s);
    cr_assert_eq(kp_summary_count(s), 5);
    cr_assert_not_null(find(s, "vp-us", "198.19.176.0", U, "2026-11-21T00"));
    cr_assert_not_null(find(s, "vp-us", "198.19.176.0", U, "2026-11-21T01"));
    cr_assert_not_null(find(s, "vp-us", "198.19.176.0", KP_METHOD_ICMP_PARIS, "2026-11-21T00"));
    cr_assert_not_null(find(s, "198.18.3.2", "198.19.176.0", U, "2026-11-21T00"),
                       "no vp: grouped under the source address");
    const struct kp_summary_group *v6 = find(s, "vp-us", "2001:db8:1234::", U, "");
    cr_assert_not_null(v6);
    cr_assert_eq(v6->plen, 48);
    kp_summary_free(s);
}

Test(summary, majority_prefers_more_traces_then_status)
{
    struct kp_summary *s;
    cr_assert_eq(kp_summary_new(&s), 0);
    add(s, "a", "198.19.179.1", U, "", 4837, "China Unicom", KP_TRANSIT_INCOMPLETE, 1);
    add(s, "a", "198.19.179.2", U, "", 4837, "China Unicom", KP_TRANSIT_FILTERED, 1);
    add(s, "a", "198.19.179.3", U, "", 4837, "China Unicom", KP_TRANSIT_FILTERED, 1);
    add(s, "a", "198.19.179.4", U, "", 20485, "TransTeleCom", KP_TRANSIT_INCOMPLETE, 1);
    add(s, "a", "198.19.179.5", U, "", 20485, "TransTeleCom", KP_TRANSIT_INCOMPLETE, 1);
    kp_summary_finish(s);
    const struct kp_summary_group *g = kp_summary_group(s, 0);
    cr_assert_eq(g->n_shares, 3);
    cr_assert_eq(g->shares[0].status, KP_TRANSIT_FILTERED, "2 filtered beat 2 incomplete");
    cr_assert_eq(g->shares[0].asn, 4837);
    cr_assert_float_eq(g->shares[0].share, 0.4, 1e-9);
    char row[512], hdr[512];
    kp_summary_format_header(NULL, hdr, sizeof(hdr));
    kp_summary_format_row(g, NULL, row, sizeof(row));
    cr_assert(strstr(row, "AS4837 China Unicom") != NULL, "%s", row);
    cr_assert(strstr(row, "filtered") != NULL);
    cr_assert(strstr(row, "198.19.179.0/24") != NULL);
    cr_assert(strstr(row, " 40%") != NULL, "%s", row);
    /* columns line up: STATUS starts at the same offset in header and row */
    cr_assert_eq(strstr(hdr, "STATUS") - hdr, strstr(row, "filtered") - row);
    /* fitted widths keep long names aligned too */
    add(s, "a-very-long-vantage-point-name", "198.19.176.1", U, "sweep-2026-11-21", 4837, "", R, 1);
    kp_summary_finish(s);
    struct kp_summary_widths w;
    kp_summary_fit_widths(s, &w);
    cr_assert_geq(w.vp, 30);
    kp_summary_format_header(&w, hdr, sizeof(hdr));
    for (size_t i = 0; i < kp_summary_count(s); i++) {
        kp_summary_format_row(kp_summary_group(s, i), &w, row, sizeof(row));
        cr_assert_eq(strstr(hdr, "METHOD") - hdr, strstr(row, "udp-paris") - row, "%s", row);
    }
    kp_summary_free(s);
}

/* Work counting (no timing): groups are found through the hash table, so the
 * nodes visited grow linearly with the traces, whether every trace is its own
 * group (random destinations, an Atlas dump: one group per probe and /24) or
 * all share a few. A linear search over the groups would visit n²/2. */
static void add_n(struct kp_summary *s, size_t n, size_t groups)
{
    for (size_t i = 0; i < n; i++) {
        size_t k = i % groups;
        char dst[32], vp[32];
        snprintf(dst, sizeof(dst), "10.%zu.%zu.1", (k >> 8) & 255, k & 255);
        snprintf(vp, sizeof(vp), "vp-%zu", k >> 16);
        add(s, vp, dst, U, "run-1", (uint32_t)(64500 + i % 3), i % 3 ? "x" : "", R, (int64_t)i + 1);
    }
}

Test(summary, work_is_linear_in_traces_with_many_groups)
{
    const size_t n = 200000;
    struct kp_summary *s;
    cr_assert_eq(kp_summary_new(&s), 0);
    add_n(s, n, n);
    cr_assert_eq(kp_summary_count(s), n);
    uint64_t steps = kp_summary_steps(s);
    /* three lookups per trace (vp, sweep, group), O(1) nodes each */
    cr_assert_leq(steps, 8 * n, "%llu hash nodes visited for %zu traces in %zu groups",
                  (unsigned long long)steps, n, n);
    kp_summary_finish(s);
    /* sorted by (vp, prefix, ...): vp-0's 10.0.0.0/24 first, vp-3's last */
    cr_assert_str_eq(kp_summary_group(s, 0)->vp, "vp-0");
    cr_assert_str_eq(kp_summary_group(s, n - 1)->vp, "vp-3");
    kp_summary_free(s);

    cr_assert_eq(kp_summary_new(&s), 0);
    add_n(s, n, 7);
    cr_assert_eq(kp_summary_count(s), 7);
    cr_assert_leq(kp_summary_steps(s), 8 * n);
    kp_summary_finish(s);
    const struct kp_summary_group *g = kp_summary_group(s, 0);
    cr_assert_eq(g->n_shares, 3, "a group keeps one share per (AS, status), not its traces");
    cr_assert_eq(g->traces, (n + 6) / 7);
    cr_assert_eq(g->first_ns, 1);
    kp_summary_free(s);
}

Test(summary, shares_grow_to_the_limit_then_count_as_other)
{
    struct kp_summary *s;
    cr_assert_eq(kp_summary_new(&s), 0);
    for (uint32_t asn = 1; asn <= 20; asn++)
        add(s, "vp", "198.19.176.1", U, "", asn, asn == 5 ? "five" : "", R, asn);
    add(s, "vp", "198.19.176.1", U, "", 3, "three", R, 99); /* a name given later is kept */
    kp_summary_finish(s);
    const struct kp_summary_group *g = kp_summary_group(s, 0);
    cr_assert_eq(g->n_shares, KP_SUMMARY_MAX_SHARES);
    cr_assert_eq(g->other_traces, 20 - KP_SUMMARY_MAX_SHARES);
    cr_assert_eq(g->shares[0].asn, 3, "two traces: first");
    cr_assert_str_eq(g->shares[0].name, "three");
    cr_assert_str_eq(g->shares[4].name, "five");
    cr_assert_str_eq(g->shares[1].name, "");
    kp_summary_free(s);
}
