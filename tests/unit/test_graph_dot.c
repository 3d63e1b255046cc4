/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for core/output/graph_dot.c: destinations collapsed into their
 * /24 (/48) node, --graph-hosts' former per-address graph (whole text written
 * out by hand from the documented format), the prefix filter, router labels
 * with AS names, and the work counter. Expected values are the hand-made
 * traces below. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/output/graph_dot.h"

static void hop(struct kp_trace *t, int ttl, const char *addr)
{
    struct kp_hop h;
    kp_hop_init(&h);
    h.ttl = (uint8_t)ttl;
    cr_assert_eq(kp_addr_parse(addr, &h.addr), 0, "%s", addr);
    h.rtt_ms = 10.0 * ttl;
    h.icmp_type = 11;
    cr_assert_eq(kp_trace_add_hop(t, &h), 0);
}

/* A trace from vp to dst over routers r[0..n) at TTLs 1..n, then (when
 * dst_ttl > 0) the destination answering at dst_ttl. */
static void trace(struct kp_trace *t, const char *vp, const char *dst, const char *const *r, int n,
                  int dst_ttl)
{
    kp_trace_init(t);
    snprintf(t->vp, sizeof(t->vp), "%s", vp);
    t->method = KP_METHOD_ICMP_PARIS;
    cr_assert_eq(kp_addr_parse(strchr(dst, ':') ? "2001:db8::1" : "198.18.1.2", &t->src), 0);
    cr_assert_eq(kp_addr_parse(dst, &t->dst), 0);
    for (int i = 0; i < n; i++)
        hop(t, i + 1, r[i]);
    if (dst_ttl > 0) {
        hop(t, dst_ttl, dst);
        t->hops[t->n_hops - 1].flags |= KP_HOP_FROM_DST;
        t->hops[t->n_hops - 1].icmp_type = 0;
    }
}

static void annot(struct kp_hop_annot *a, uint32_t asn, const char *name)
{
    kp_hop_annot_init(a);
    a->asn = asn;
    snprintf(a->as_name, sizeof(a->as_name), "%s", name);
}

/* routers: 198.51.100.1 in AS4837 (name from the annotation, or none), the
 * destination in AS131279 */
static void annots(struct kp_hop_annot ann[2], const char *name)
{
    annot(&ann[0], 4837, name);
    annot(&ann[1], 131279, "STAR-KP");
}

/* Add one trace from "a" over router r (AS4837 "CU") to each of dsts[0..n),
 * the destination (AS131279) answering at dst_ttl. */
static void add_each(struct kp_graph *g, const char *r, const char *const *dsts, size_t n,
                     int dst_ttl)
{
    for (size_t i = 0; i < n; i++) {
        struct kp_trace t;
        struct kp_hop_annot ann[2];
        trace(&t, "a", dsts[i], &r, 1, dst_ttl);
        annots(ann, "CU");
        cr_assert_eq(kp_graph_add(g, &t, ann, NULL), 0);
        kp_trace_free(&t);
    }
}

static char *dot(struct kp_graph *g)
{
    char *s = NULL;
    size_t len = 0;
    cr_assert_eq(kp_graph_dot(g, &s, &len), 0);
    cr_assert_eq(strlen(s), len);
    return s;
}

static size_t count(const char *s, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static struct kp_verdict_config cfg(void)
{
    struct kp_verdict_config c;
    kp_verdict_config_default(&c);
    return c;
}

Test(graph_dot, hosts_graph_is_the_former_text)
{
    static const char *const r[] = {"198.51.100.1"};
    struct kp_trace t;
    struct kp_hop_annot ann[2];
    trace(&t, "a", "175.45.176.9", r, 1, 3);
    annots(ann, "CU");
    struct kp_verdict_config c = cfg();
    struct kp_graph_opts o = {.hosts = 1};
    struct kp_graph *g;
    cr_assert_eq(kp_graph_new(&g, &c, &o), 0);
    cr_assert_eq(kp_graph_add(g, &t, ann, NULL), 0);
    char *s = dot(g);
    cr_assert_str_eq(s, "// kpannotate --graph: paths from each vantage point into the target\n"
                        "digraph kpannotate {\n"
                        "  rankdir=LR;\n"
                        "  node [style=filled, fontname=\"Helvetica\", fontsize=10];\n"
                        "  edge [fontname=\"Helvetica\", fontsize=9];\n"
                        "  subgraph cluster_routers {\n"
                        "    label=\"router level\";\n"
                        "    \"vp:a\" [label=\"a\", shape=box, fillcolor=\"#ffffff\"];\n"
                        "    \"r:198.51.100.1\" [label=\"198.51.100.1\\nAS4837\", "
                        "fillcolor=\"#ff9896\"];\n"
                        "    \"r:175.45.176.9\" [label=\"175.45.176.9\\nAS131279\", "
                        "fillcolor=\"#98df8a\"];\n"
                        "    \"vp:a\" -> \"r:198.51.100.1\";\n"
                        "    \"r:198.51.100.1\" -> \"r:175.45.176.9\" [style=dashed, label=\"1 "
                        "silent\"];\n"
                        "  }\n"
                        "  subgraph cluster_as {\n"
                        "    label=\"AS level\";\n"
                        "    \"asvp:a\" [label=\"a\", shape=box, fillcolor=\"#ffffff\"];\n"
                        "    \"as:4837\" [label=\"AS4837\\nCU\", fillcolor=\"#ff9896\"];\n"
                        "    \"as:131279\" [label=\"AS131279\\nSTAR-KP\", "
                        "fillcolor=\"#98df8a\"];\n"
                        "    \"asvp:a\" -> \"as:4837\" [label=\"1\"];\n"
                        "    \"as:4837\" -> \"as:131279\" [label=\"1\"];\n"
                        "  }\n"
                        "}\n");
    free(s);
    kp_graph_free(g);
    kp_trace_free(&t);
}

Test(graph_dot, destinations_collapse_into_their_24)
{
    static const char *const r[] = {"198.51.100.1"};
    static const char *const dsts[] = {"175.45.176.9", "175.45.176.10", "175.45.176.9",
                                       "175.45.177.200"};
    struct kp_verdict_config c = cfg();
    struct kp_graph *g;
    cr_assert_eq(kp_graph_new(&g, &c, NULL), 0);
    add_each(g, r[0], dsts, 4, 4);
    char *s = dot(g);
    /* two distinct destinations in .176 (one traced twice), one in .177 */
    cr_assert(strstr(s, "\"p:175.45.176.0/24\" [label=\"175.45.176.0/24\\n2 destinations\", "
                        "shape=box3d, fillcolor=\"#98df8a\"];") != NULL,
              "%s", s);
    cr_assert(strstr(s, "\"p:175.45.177.0/24\" [label=\"175.45.177.0/24\\n1 destination\", "
                        "shape=box3d, fillcolor=\"#98df8a\"];") != NULL,
              "%s", s);
    cr_assert_eq(count(s, "\"r:175.45."), 0, "no destination host node:\n%s", s);
    /* the edges into a prefix are merged and weighed in traces */
    cr_assert(strstr(s, "\"r:198.51.100.1\" -> \"p:175.45.176.0/24\" [style=dashed, label=\"2 "
                        "silent\\n3 traces\"];") != NULL,
              "%s", s);
    cr_assert(strstr(s, "\"r:198.51.100.1\" -> \"p:175.45.177.0/24\" [style=dashed, label=\"2 "
                        "silent\\n1 trace\"];") != NULL,
              "%s", s);
    /* routers keep one node per address, with AS number and name */
    cr_assert(strstr(s, "\"r:198.51.100.1\" [label=\"198.51.100.1\\nAS4837 CU\", "
                        "fillcolor=\"#ff9896\"];") != NULL,
              "%s", s);
    /* router level: vp, router, 2 prefixes; AS level: vp, 2 ASes */
    cr_assert_eq(kp_graph_nodes(g), 7);
    /* vp->router, router->2 prefixes; asvp->4837->131279 */
    cr_assert_eq(kp_graph_edges(g), 5);
    cr_assert_eq(kp_graph_traces(g), 4);
    cr_assert(strstr(s, "\"as:4837\" -> \"as:131279\" [label=\"4\"];") != NULL, "%s", s);
    free(s);
    kp_graph_free(g);
}

Test(graph_dot, router_name_from_the_known_table)
{
    static const char *const r[] = {"198.51.100.1", "198.51.100.5"};
    struct kp_trace t;
    struct kp_hop_annot ann[3];
    trace(&t, "a", "175.45.176.9", r, 2, 3);
    annot(&ann[0], 4837, "");   /* no name from the sources */
    annot(&ann[1], 64512, "");  /* and none known */
    annot(&ann[2], 131279, ""); /* the destination */
    struct kp_verdict_config c = cfg();
    struct kp_graph *g;
    cr_assert_eq(kp_graph_new(&g, &c, NULL), 0);
    cr_assert_eq(kp_graph_add(g, &t, ann, NULL), 0);
    char *s = dot(g);
    cr_assert(strstr(s, "[label=\"198.51.100.1\\nAS4837 China Unicom (CHINA169-BACKBONE)\"") !=
                  NULL,
              "%s", s);
    cr_assert(strstr(s, "[label=\"198.51.100.5\\nAS64512\"") != NULL, "%s", s);
    /* no silent TTL between the last router and the destination */
    cr_assert(strstr(s, "\"r:198.51.100.5\" -> \"p:175.45.176.0/24\" [label=\"1 trace\"];") != NULL,
              "%s", s);
    free(s);
    kp_graph_free(g);
    kp_trace_free(&t);
}

Test(graph_dot, path_ends_at_the_destination_prefix)
{
    /* the destination answers at TTL 2 and again at TTL 3 (a later probe):
     * the hosts graph draws the address to itself, the collapsed one stops */
    static const char *const r[] = {"198.51.100.1"};
    struct kp_trace t;
    struct kp_hop_annot ann[3];
    trace(&t, "a", "175.45.176.9", r, 1, 2);
    hop(&t, 3, "175.45.176.9");
    annots(ann, "CU");
    annot(&ann[2], 131279, "STAR-KP");
    struct kp_verdict_config c = cfg();
    struct kp_graph *g;
    cr_assert_eq(kp_graph_new(&g, &c, NULL), 0);
    cr_assert_eq(kp_graph_add(g, &t, ann, NULL), 0);
    char *s = dot(g);
    cr_assert_eq(count(s, "-> \"p:175.45.176.0/24\""), 1, "%s", s);
    cr_assert_eq(count(s, "\"p:175.45.176.0/24\" ->"), 0, "%s", s);
    free(s);
    kp_graph_free(g);
    struct kp_graph_opts o = {.hosts = 1};
    cr_assert_eq(kp_graph_new(&g, &c, &o), 0);
    cr_assert_eq(kp_graph_add(g, &t, ann, NULL), 0);
    s = dot(g);
    cr_assert(strstr(s, "\"r:175.45.176.9\" -> \"r:175.45.176.9\";") != NULL, "%s", s);
    free(s);
    kp_graph_free(g);
    kp_trace_free(&t);
}

Test(graph_dot, unreached_destination_adds_no_prefix)
{
    static const char *const r[] = {"198.51.100.1", "198.51.100.5"};
    struct kp_trace t;
    struct kp_hop_annot ann[2];
    trace(&t, "a", "175.45.179.1", r, 2, 0);
    annot(&ann[0], 4837, "CU");
    annot(&ann[1], 4837, "CU");
    struct kp_verdict_config c = cfg();
    struct kp_graph *g;
    cr_assert_eq(kp_graph_new(&g, &c, NULL), 0);
    cr_assert_eq(kp_graph_add(g, &t, ann, NULL), 0);
    char *s = dot(g);
    cr_assert_eq(count(s, "\"p:"), 0, "%s", s);
    cr_assert(strstr(s, "\"r:198.51.100.1\" -> \"r:198.51.100.5\";") != NULL, "%s", s);
    free(s);
    kp_graph_free(g);
    kp_trace_free(&t);
}

Test(graph_dot, prefix_filter_keeps_only_covered_destinations)
{
    static const char *const r[] = {"198.51.100.1"};
    static const char *const dsts[] = {"175.45.176.9", "175.45.177.9", "175.45.176.77"};
    struct kp_prefix only;
    cr_assert_eq(kp_prefix_parse("175.45.176.0/24", false, &only), 0);
    struct kp_graph_opts o = {.only = &only};
    struct kp_verdict_config c = cfg();
    struct kp_graph *g;
    cr_assert_eq(kp_graph_new(&g, &c, &o), 0);
    add_each(g, r[0], dsts, 3, 2);
    cr_assert_eq(kp_graph_traces(g), 2);
    char *s = dot(g);
    cr_assert(strstr(s, "175.45.176.0/24\\n2 destinations") != NULL, "%s", s);
    cr_assert_eq(count(s, "175.45.177."), 0, "%s", s);
    cr_assert(strstr(s, "\"as:4837\" -> \"as:131279\" [label=\"2\"];") != NULL, "%s", s);
    free(s);
    kp_graph_free(g);
}

Test(graph_dot, ipv6_destinations_collapse_into_their_48)
{
    static const char *const r[] = {"2001:db8:ff::1"};
    static const char *const dsts[] = {"2001:db8:1:2::9", "2001:db8:1:3::9", "2001:db8:2::9"};
    struct kp_verdict_config c = cfg();
    struct kp_graph *g;
    cr_assert_eq(kp_graph_new(&g, &c, NULL), 0);
    add_each(g, r[0], dsts, 3, 2);
    char *s = dot(g);
    cr_assert(strstr(s, "\"p:2001:db8:1::/48\" [label=\"2001:db8:1::/48\\n2 destinations\"") !=
                  NULL,
              "%s", s);
    cr_assert(strstr(s, "\"p:2001:db8:2::/48\" [label=\"2001:db8:2::/48\\n1 destination\"") != NULL,
              "%s", s);
    free(s);
    kp_graph_free(g);
}

/* 20,000 traces, each over its own router to its own destination in 200 /24s:
 * the index walks O(1) nodes per hop, not O(nodes). */
Test(graph_dot, work_is_linear_in_the_hops)
{
    struct kp_verdict_config c = cfg();
    struct kp_graph *g;
    cr_assert_eq(kp_graph_new(&g, &c, NULL), 0);
    const size_t n = 20000;
    for (size_t i = 0; i < n; i++) {
        char router[32], dst[32];
        snprintf(router, sizeof(router), "198.18.%zu.%zu", i / 250, i % 250 + 1);
        snprintf(dst, sizeof(dst), "198.19.%zu.%zu", i % 200, i / 200 + 1);
        const char *const r[] = {router};
        struct kp_trace t;
        struct kp_hop_annot ann[2];
        trace(&t, "a", dst, r, 1, 2);
        annots(ann, "CU");
        cr_assert_eq(kp_graph_add(g, &t, ann, NULL), 0);
        kp_trace_free(&t);
    }
    /* vp, asvp, 2 ASes, n routers, 200 prefixes */
    cr_assert_eq(kp_graph_nodes(g), 4 + n + 200);
    /* per trace vp->router and router->prefix; AS level 2 */
    cr_assert_eq(kp_graph_edges(g), 2 * n + 2);
    /* 6 lookups per trace (2 vp nodes, router, prefix, 2 AS edges... ) each
     * visiting a few nodes on average: a quadratic index would visit ~n^2/2 */
    uint64_t steps = kp_graph_steps(g);
    cr_assert_lt(steps, 40 * (uint64_t)n, "steps %llu for %zu traces", (unsigned long long)steps,
                 n);
    kp_graph_free(g);
}
