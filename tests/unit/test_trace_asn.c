/* SPDX-License-Identifier: BSD-2-Clause */
/* `kptrace trace --pfx2as`: the traceroute -A table (kp_output_text_asn), the
 * verdict line under it (kp_output_transit), the options (trace_asn.h) and
 * one trace annotated from a prefix2as file as kpannotate would. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/asmap/route_filter.h"
#include "core/output/output.h"
#include "prober/cmd/options.h"
#include "prober/cmd/trace_asn.h"

/* vp -> 219.158.0.1 (Unicom) -> 188.43.0.9 (TTC) -> two silent TTLs ->
 * 175.45.177.1 (the target AS), attempts 2; the hops added out of order. */
static void make(struct kp_trace *t)
{
    static const struct {
        uint8_t ttl, attempt, icmp_type;
        const char *addr;
        double rtt;
    } hops[] = {
        {5, 0, 0, "175.45.177.1", 180.0},
        {1, 0, 11, "219.158.0.1", 1.0},
        {2, 0, 11, "188.43.0.9", 20.0},
        {2, 1, 11, "203.0.113.7", 21.0},
    };
    kp_trace_init(t);
    kp_addr_parse("175.45.177.1", &t->dst);
    t->method = KP_METHOD_ICMP_PARIS;
    t->first_ttl = 1;
    t->max_ttl = 30;
    t->attempts = 2;
    t->stop_reason = KP_STOP_COMPLETED;
    t->stop_ttl = 5;
    for (size_t i = 0; i < sizeof(hops) / sizeof(hops[0]); i++) {
        struct kp_hop h;
        kp_hop_init(&h);
        h.ttl = hops[i].ttl;
        h.attempt = hops[i].attempt;
        h.icmp_type = hops[i].icmp_type;
        h.icmp_code = 0;
        h.rtt_ms = hops[i].rtt;
        h.probe_size = 60;
        kp_addr_parse(hops[i].addr, &h.addr);
        cr_assert_eq(kp_trace_add_hop(t, &h), 0);
    }
}

Test(output_text_asn, labels_like_traceroute_A)
{
    struct kp_trace t;
    make(&t);
    struct kp_hop_annot ann[4];
    for (int i = 0; i < 4; i++)
        kp_hop_annot_init(&ann[i]);
    ann[0].asn = ann[0].origins[0] = 131279;
    ann[0].n_origins = 1;
    ann[1].asn = ann[1].origins[0] = 4837;
    ann[1].n_origins = 1;
    /* ann[2] (188.43.0.9) unknown */
    ann[3].asn = ann[3].origins[0] = 64502;
    ann[3].origins[1] = 64503;
    ann[3].n_origins = 2;
    char *s;
    cr_assert_eq(kp_output_text_asn(&t, ann, 0, &s), 0);
    cr_assert_str_eq(s, " 1  219.158.0.1 [AS4837]  1.000 ms\n"
                        " 2  188.43.0.9 [*]  20.000 ms 203.0.113.7 [AS64502/AS64503]  21.000 ms\n"
                        " 3  * *\n"
                        " 4  * *\n"
                        " 5  175.45.177.1 [AS131279]  180.000 ms\n");
    free(s);
    /* without annotations: kp_output_text's table, byte for byte */
    char *plain;
    cr_assert_eq(kp_output_text_asn(&t, NULL, 0, &s), 0);
    cr_assert_eq(kp_output_text(&t, 0, &plain), 0);
    cr_assert_str_eq(s, plain);
    cr_assert_str_eq(s, " 1  219.158.0.1  1.000 ms\n"
                        " 2  188.43.0.9  20.000 ms 203.0.113.7  21.000 ms\n"
                        " 3  * *\n"
                        " 4  * *\n"
                        " 5  175.45.177.1  180.000 ms\n");
    free(s);
    free(plain);
    kp_trace_free(&t);
}

/* The verdict line of t for each case: the verdict's fields, and the line. */
Test(output_transit, lines)
{
    static const struct {
        uint32_t asn;
        const char *name;
        enum kp_transit_status status;
        double confidence;
        int handoff_hop, handoff_ttl, target_hop, target_ttl;
        uint32_t filtered_by;
        unsigned heuristics;
        const char *line;
    } cases[] = {
        {20485, "TransTeleCom", KP_TRANSIT_REACHED, 0.904, 1, 2, 3, 5, 0,
         KP_H_SILENT_GAP | KP_H_RTT_JUMP,
         "transit: AS20485 TransTeleCom, reached (confidence 0.90); handoff TTL 2 188.43.0.9 -> "
         "target TTL 5 175.45.177.1; heuristics: silent-gap, rtt-jump"},
        /* filtered: no target hop; no name known */
        {64500, "", KP_TRANSIT_FILTERED, 0.9, 0, 1, -1, 0, 64500, 0,
         "transit: AS64500, filtered (confidence 0.90); handoff TTL 1 219.158.0.1"},
        /* !X sent by another AS than the verdict's */
        {4837, "China Unicom", KP_TRANSIT_FILTERED, 0.7, 1, 2, -1, 0, 64500, 0,
         "transit: AS4837 China Unicom, filtered (confidence 0.70); handoff TTL 2 188.43.0.9; "
         "admin-prohibited from AS64500"},
        /* a handoff borrowed by Doubletree stitching: its TTL, no address */
        {4837, "China Unicom", KP_TRANSIT_REACHED, 0.85, -1, 1, 3, 5, 0, KP_H_DT_PREFIX,
         "transit: AS4837 China Unicom, reached (confidence 0.85); handoff TTL 1 -> target TTL 5 "
         "175.45.177.1; heuristics: doubletree-prefix"},
        /* only a target hop */
        {0, "", KP_TRANSIT_UNDETERMINED, 0.0, -1, 0, 3, 5, 0, 0,
         "transit: undetermined (confidence 0.00); target TTL 5 175.45.177.1"},
        /* nothing decided */
        {0, "", KP_TRANSIT_UNDETERMINED, 0.0, -1, 0, -1, 0, 0, 0,
         "transit: undetermined (confidence 0.00)"},
    };
    struct kp_trace t;
    make(&t);
    kp_trace_sort(&t); /* hops: ttl1, ttl2 a0, ttl2 a1, ttl5 */
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct kp_transit v;
        memset(&v, 0, sizeof(v));
        v.border_hop = v.last_hop = -1;
        v.asn = cases[i].asn;
        snprintf(v.name, sizeof(v.name), "%s", cases[i].name);
        v.status = cases[i].status;
        v.confidence = cases[i].confidence;
        v.handoff_hop = cases[i].handoff_hop;
        v.handoff_ttl = (uint8_t)cases[i].handoff_ttl;
        v.target_hop = cases[i].target_hop;
        v.target_ttl = (uint8_t)cases[i].target_ttl;
        v.filtered_by = cases[i].filtered_by;
        v.heuristics = cases[i].heuristics;
        char *s;
        cr_assert_eq(kp_output_transit(&t, &v, &s), 0);
        cr_assert_str_eq(s, cases[i].line, "case %zu", i);
        free(s);
    }
    kp_trace_free(&t);
}

Test(trace_asn, options)
{
    struct kp_asn_opts a;
    char err[256];
    memset(&a, 0, sizeof(a));
    cr_assert_eq(kp_asn_opts_parse(&a, "--mmdb", "a.mmdb", err, sizeof(err)), 0);
    cr_assert_eq(kp_asn_opts_parse(&a, "--pfx2as", "p.txt", err, sizeof(err)), 0);
    cr_assert_eq(kp_asn_opts_parse(&a, "--rib", "r.txt", err, sizeof(err)), 0);
    cr_assert_eq(kp_asn_opts_parse(&a, "--mmdb", "b.mmdb", err, sizeof(err)), 0);
    cr_assert_eq(a.n_src, 4); /* in the order given */
    cr_assert_eq(a.src[0].kind, KP_ASN_SRC_MMDB);
    cr_assert_eq(a.src[1].kind, KP_ASN_SRC_PFX2AS);
    cr_assert_eq(a.src[2].kind, KP_ASN_SRC_RIB);
    cr_assert_str_eq(a.src[3].path, "b.mmdb");
    cr_assert_eq(kp_asn_opts_parse(&a, "--target-as", "AS131279,4837,1.10", err, sizeof(err)), 0);
    cr_assert_eq(a.n_targets, 3);
    cr_assert_eq(a.targets[0], 131279);
    cr_assert_eq(a.targets[2], 65546); /* asdot */
    cr_assert_eq(kp_asn_opts_parse(&a, "--target-as", "0", err, sizeof(err)), -EINVAL);
    cr_assert_str_eq(err, "--target-as: '0' is not an AS number");
    cr_assert_eq(kp_asn_opts_parse(&a, "--target-as", "131279,", err, sizeof(err)), -EINVAL);
    cr_assert_eq(
        kp_asn_opts_parse(&a, "--keep-special", "benchmarking,private-asn", err, sizeof(err)), 0);
    cr_assert(a.keep_set);
    uint32_t keep = 0;
    char bad[32];
    cr_assert_eq(kp_route_filter_parse_keep("benchmarking,private-asn", &keep, bad, sizeof(bad)),
                 0);
    cr_assert_eq(a.keep, keep);
    cr_assert_eq(kp_asn_opts_parse(&a, "--keep-special", "benchmark", err, sizeof(err)), -EINVAL);
    cr_assert_str_eq(err, "--keep-special: no range or AS number class named 'benchmark'");
    cr_assert_eq(kp_asn_opts_parse(&a, "--pfx2as", "", err, sizeof(err)), -EINVAL);
    cr_assert_str_eq(err, "--pfx2as needs a file name");
}

Test(trace_asn, through_kptrace_options)
{
    struct kp_options o;
    char err[256];
    char *argv[] = {"trace", "--pfx2as", "p.txt",  "--keep-special", "all", "--target-as",
                    "20485", "--mmdb",   "m.mmdb", "198.18.1.1",     NULL};
    cr_assert_eq(kp_options_parse(&o, KP_CMD_TRACE, 10, argv, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(o.asn.n_src, 2);
    cr_assert_str_eq(o.asn.src[1].path, "m.mmdb");
    cr_assert_eq(o.asn.keep, KP_KEEP_ALL);
    cr_assert_eq(o.asn.n_targets, 1);
    cr_assert_eq(o.n_targets, 1);
    kp_options_free(&o);
    char *sw[] = {"sweep", "--vp", "a", "--out", "d", "--rib", "r.txt", NULL};
    cr_assert_eq(kp_options_parse(&o, KP_CMD_SWEEP, 7, sw, err, sizeof(err)), -EINVAL);
    cr_assert(strstr(err, "--rib: a sweep writes records; kpannotate") != NULL, "%s", err);
    kp_options_free(&o);
}

Test(trace_asn, load_and_annotate)
{
    struct kp_asn_opts a;
    struct kp_trace_asn *x = NULL;
    char err[512];
    memset(&a, 0, sizeof(a));
    cr_assert_eq(kp_trace_asn_load(&a, false, true, &x, err, sizeof(err)), 0);
    cr_assert_null(x); /* no source: nothing to do */
    cr_assert_eq(kp_asn_opts_parse(&a, "--pfx2as", KP_TEST_DATA "/asmap/pfx2as-sample.txt", err,
                                   sizeof(err)),
                 0);
    cr_assert_eq(kp_asn_opts_parse(&a, "--keep-special", "documentation,documentation-asn", err,
                                   sizeof(err)),
                 0);
    cr_assert_eq(kp_trace_asn_load(&a, false, true, &x, err, sizeof(err)), 0, "%s", err);
    cr_assert_not_null(x);
    struct kp_trace t;
    make(&t);
    char *table, *verdict;
    cr_assert_eq(kp_trace_asn_text(x, &t, &table, &verdict), 0);
    cr_assert_str_eq(table, " 1  219.158.0.1 [AS4837]  1.000 ms\n"
                            " 2  188.43.0.9 [AS20485]  20.000 ms 203.0.113.7 [AS64502/AS64503]  "
                            "21.000 ms\n"
                            " 3  * *\n"
                            " 4  * *\n"
                            " 5  175.45.177.1 [AS131279]  180.000 ms\n");
    cr_assert(strncmp(verdict, "transit: AS20485 TransTeleCom, reached (confidence ", 51) == 0,
              "%s", verdict);
    cr_assert(strstr(verdict, "; handoff TTL 2 188.43.0.9 -> target TTL 5 175.45.177.1") != NULL,
              "%s", verdict);
    free(table);
    free(verdict);
    kp_trace_free(&t);
    kp_trace_asn_free(x);

    /* a malformed line: the load fails naming file and line, nothing kept */
    memset(&a, 0, sizeof(a));
    kp_asn_opts_parse(&a, "--pfx2as", KP_TEST_DATA "/asmap/pfx2as-bad-line3.txt", err, sizeof(err));
    x = (struct kp_trace_asn *)&a; /* must be reset */
    cr_assert_eq(kp_trace_asn_load(&a, false, true, &x, err, sizeof(err)), -EINVAL);
    cr_assert_null(x);
    cr_assert(strstr(err, "pfx2as-bad-line3.txt:3: ") != NULL, "%s", err);
    /* a missing file */
    memset(&a, 0, sizeof(a));
    kp_asn_opts_parse(&a, "--mmdb", "/nonexistent/x.mmdb", err, sizeof(err));
    cr_assert_lt(kp_trace_asn_load(&a, false, true, &x, err, sizeof(err)), 0);
    cr_assert(strstr(err, "/nonexistent/x.mmdb") != NULL, "%s", err);
}
