/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for core/output/annot_json.c and core/output/graph_dot.c: the output
 * of hand-made traces and verdicts, read back with jansson / searched as
 * text. Expected values are the inputs set below (and the documented format,
 * docs/format-annotated.md). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/output/annot_json.h"
#include "core/output/graph_dot.h"

static void hop(struct kp_trace *t, int ttl, const char *addr, double rtt)
{
    struct kp_hop h;
    kp_hop_init(&h);
    h.ttl = (uint8_t)ttl;
    kp_addr_parse(addr, &h.addr);
    h.rtt_ms = rtt;
    h.icmp_type = 11;
    h.icmp_code = 0;
    cr_assert_eq(kp_trace_add_hop(t, &h), 0);
}

static void annot(struct kp_hop_annot *a, uint32_t asn, const char *name)
{
    kp_hop_annot_init(a);
    a->asn = asn;
    a->origins[0] = asn;
    a->n_origins = asn ? 1 : 0;
    a->cls = KP_HCLASS_PUBLIC;
    snprintf(a->as_name, sizeof(a->as_name), "%s", name);
    snprintf(a->source, sizeof(a->source), "pfx2as");
}

/* vp-x -> 219.158.3.1 (Unicom), IXP hop, 2 silent TTLs, NK destination */
static void make(struct kp_trace *t, struct kp_hop_annot ann[3], struct kp_hop_annot *dst)
{
    kp_trace_init(t);
    snprintf(t->vp, sizeof(t->vp), "vp \"x\"");
    snprintf(t->tool, sizeof(t->tool), "kptrace");
    t->method = KP_METHOD_ICMP_PARIS;
    kp_addr_parse("198.18.1.2", &t->src);
    kp_addr_parse("175.45.176.9", &t->dst);
    hop(t, 1, "219.158.3.1", 40.0);
    hop(t, 2, "198.51.100.20", 41.0);
    hop(t, 5, "175.45.176.9", 90.0);
    t->hops[2].flags |= KP_HOP_FROM_DST;
    t->hops[2].icmp_type = 0;
    annot(&ann[0], 4837, "CHINA169-BACKBONE");
    ann[0].origins[1] = 9929;
    ann[0].n_origins = 2;
    annot(&ann[1], 0, "");
    ann[1].ixp = true;
    snprintf(ann[1].ixp_name, sizeof(ann[1].ixp_name), "Test-IX");
    annot(&ann[2], 131279, "STAR-KP");
    snprintf(ann[2].rdns, sizeof(ann[2].rdns), "gw.star.example");
    annot(dst, 131279, "STAR-KP");
}

Test(annot_json, trace_line_fields)
{
    struct kp_trace t;
    struct kp_hop_annot ann[3], dst;
    make(&t, ann, &dst);
    struct kp_verdict_config c;
    kp_verdict_config_default(&c);
    struct kp_transit v;
    cr_assert_eq(kp_verdict_decide(&c, &t, ann, 3, &dst, &v), 0);
    struct kp_annot_origin org = {"kptrace", "run/traces.jsonl", 17};
    char *s = NULL;
    size_t len = 0;
    cr_assert_eq(kp_annot_trace_json(&t, ann, &dst, &v, "run", &org, &s, &len), 0);
    cr_assert_eq(strlen(s), len);
    cr_assert_null(strchr(s, '\n'), "one line");
    json_error_t je;
    json_t *o = json_loads(s, 0, &je);
    cr_assert_not_null(o, "%s", je.text);
    json_t *h0 = json_array_get(json_object_get(o, "hops"), 0);
    cr_assert_eq(json_integer_value(json_object_get(h0, "asn")), 4837);
    cr_assert_str_eq(json_string_value(json_object_get(h0, "as_name")), "CHINA169-BACKBONE");
    cr_assert_str_eq(json_string_value(json_object_get(h0, "asn_source")), "pfx2as");
    cr_assert_eq(json_array_size(json_object_get(h0, "origins")), 2);
    cr_assert_eq(json_integer_value(json_array_get(json_object_get(h0, "origins"), 1)), 9929);
    cr_assert_str_eq(json_string_value(json_object_get(h0, "addr_class")), "public");
    cr_assert(json_is_null(json_object_get(h0, "rdns")));
    cr_assert(json_is_null(json_object_get(h0, "ixp")));
    json_t *h1 = json_array_get(json_object_get(o, "hops"), 1);
    cr_assert(json_is_null(json_object_get(h1, "asn")));
    cr_assert_str_eq(json_string_value(json_object_get(h1, "ixp")), "Test-IX");
    json_t *h2 = json_array_get(json_object_get(o, "hops"), 2);
    cr_assert_str_eq(json_string_value(json_object_get(h2, "rdns")), "gw.star.example");
    cr_assert_eq(json_integer_value(json_object_get(o, "dst_asn")), 131279);
    cr_assert_str_eq(json_string_value(json_object_get(o, "sweep")), "run");
    json_t *in = json_object_get(o, "input");
    cr_assert_str_eq(json_string_value(json_object_get(in, "file")), "run/traces.jsonl");
    cr_assert_eq(json_integer_value(json_object_get(in, "line")), 17);
    json_t *tr = json_object_get(o, "transit");
    cr_assert_eq(json_integer_value(json_object_get(tr, "asn")), 4837);
    cr_assert_str_eq(json_string_value(json_object_get(tr, "name")), "China Unicom");
    cr_assert_str_eq(json_string_value(json_object_get(tr, "status")), "reached");
    double conf = json_real_value(json_object_get(tr, "confidence"));
    cr_assert(conf > 0 && conf < 1, "IXP skip, silent TTLs and multi-origin lower it: %f", conf);
    json_t *ev = json_object_get(tr, "evidence");
    cr_assert_eq(json_integer_value(json_object_get(ev, "handoff_hop")), 0);
    cr_assert_eq(json_integer_value(json_object_get(ev, "handoff_ttl")), 1);
    cr_assert_str_eq(json_string_value(json_object_get(ev, "handoff_addr")), "219.158.3.1");
    cr_assert_eq(json_integer_value(json_object_get(ev, "target_ttl")), 5);
    cr_assert_eq(json_integer_value(json_object_get(ev, "silent_ttls")), 2);
    cr_assert_eq(json_integer_value(json_array_get(json_object_get(ev, "skipped_hops"), 0)), 1);
    cr_assert_float_eq(json_real_value(json_object_get(ev, "rtt_jump_ms")), 50.0, 1e-9);
    cr_assert(json_is_null(json_object_get(ev, "filtered_by")));
    json_t *hs = json_object_get(ev, "heuristics");
    int seen = 0;
    for (size_t i = 0; i < json_array_size(hs); i++) {
        const char *n = json_string_value(json_array_get(hs, i));
        seen |= strcmp(n, "silent-gap") == 0     ? 1
                : strcmp(n, "ixp") == 0          ? 2
                : strcmp(n, "multi-origin") == 0 ? 4
                                                 : 0;
    }
    cr_assert_eq(seen, 7, "silent-gap, ixp and multi-origin listed");
    json_decref(o);
    free(s);
    /* a trace without destination cannot be written */
    struct kp_trace e;
    kp_trace_init(&e);
    cr_assert_eq(kp_annot_trace_json(&e, NULL, NULL, &v, NULL, NULL, &s, NULL), -EINVAL);
    kp_trace_free(&t);
}

Test(annot_json, summary_line)
{
    struct kp_summary *sum;
    cr_assert_eq(kp_summary_new(&sum), 0);
    struct kp_trace t;
    kp_trace_init(&t);
    snprintf(t.vp, sizeof(t.vp), "vp-asia");
    kp_addr_parse("198.19.178.5", &t.dst);
    t.method = KP_METHOD_UDP_PARIS;
    t.start_ns = 1795300000LL * 1000000000LL;
    struct kp_transit v;
    memset(&v, 0, sizeof(v));
    v.status = KP_TRANSIT_REACHED;
    v.confidence = 0.75;
    v.asn = 4837;
    snprintf(v.name, sizeof(v.name), "China Unicom");
    cr_assert_eq(kp_summary_add(sum, &t, "", &v), 0);
    v.asn = 20485;
    snprintf(v.name, sizeof(v.name), "TransTeleCom");
    cr_assert_eq(kp_summary_add(sum, &t, "", &v), 0);
    cr_assert_eq(kp_summary_add(sum, &t, "", &v), 0);
    kp_summary_finish(sum);
    char *s = NULL;
    cr_assert_eq(kp_annot_summary_json(kp_summary_group(sum, 0), &s, NULL), 0);
    json_error_t je;
    json_t *o = json_loads(s, 0, &je);
    cr_assert_not_null(o);
    cr_assert_str_eq(json_string_value(json_object_get(o, "prefix")), "198.19.178.0/24");
    cr_assert_str_eq(json_string_value(json_object_get(o, "method")), "udp-paris");
    cr_assert(json_is_null(json_object_get(o, "sweep")));
    cr_assert_eq(json_integer_value(json_object_get(o, "transit_asn")), 20485);
    cr_assert_eq(json_integer_value(json_object_get(o, "traces")), 3);
    cr_assert_float_eq(json_real_value(json_object_get(o, "share")), 0.667, 1e-9);
    cr_assert_eq(json_array_size(json_object_get(o, "shares")), 2);
    cr_assert(json_is_null(json_object_get(o, "control_plane_upstreams")));
    cr_assert(json_is_null(json_object_get(o, "agrees")));
    cr_assert_float_eq(json_real_value(json_object_get(o, "mean_confidence")), 0.75, 1e-9);
    cr_assert_str_eq(json_string_value(json_object_get(o, "first")),
                     "2026-11-21T22:26:40.000000000Z"); /* date -u -d @1795300000 */
    json_decref(o);
    free(s);
    const uint32_t up[] = {4837};
    kp_summary_set_upstreams(sum, 0, up, 1);
    cr_assert_eq(kp_annot_summary_json(kp_summary_group(sum, 0), &s, NULL), 0);
    cr_assert(strstr(s, "\"control_plane_upstreams\":[4837],\"agrees\":false") != NULL, "%s", s);
    free(s);
    kp_summary_free(sum);
}

Test(graph_dot, router_and_as_levels)
{
    struct kp_trace t;
    struct kp_hop_annot ann[3], dst;
    make(&t, ann, &dst);
    struct kp_verdict_config c;
    kp_verdict_config_default(&c);
    struct kp_transit v;
    kp_verdict_decide(&c, &t, ann, 3, &dst, &v);
    struct kp_graph *g;
    struct kp_graph_opts hosts = {.hosts = 1}; /* one node per destination */
    cr_assert_eq(kp_graph_new(&g, &c, &hosts), 0);
    cr_assert_eq(kp_graph_add(g, &t, ann, &v), 0);
    cr_assert_eq(kp_graph_add(g, &t, ann, &v), 0); /* same path twice */
    char *s = NULL;
    size_t len = 0;
    cr_assert_eq(kp_graph_dot(g, &s, &len), 0);
    cr_assert_eq(strlen(s), len);
    cr_assert(strstr(s, "digraph kpannotate {") != NULL);
    cr_assert(strstr(s, "\"vp:vp \\\"x\\\"\" [label=\"vp \\\"x\\\"\", shape=box") != NULL,
              "quotes in names are escaped:\n%s", s);
    cr_assert(strstr(s, "\"r:219.158.3.1\" -> \"r:198.51.100.20\";") != NULL, "%s", s);
    cr_assert(strstr(s, "\"r:198.51.100.20\" -> \"r:175.45.176.9\" [style=dashed, label=\"2 "
                        "silent\"];") != NULL,
              "%s", s);
    /* AS level: the IXP hop has no AS; Unicom hands over to the target, twice */
    cr_assert(strstr(s, "\"as:4837\" -> \"as:131279\" [label=\"2\", penwidth=3];") != NULL, "%s",
              s);
    cr_assert(strstr(s, "\"as:4837\" [label=\"AS4837\\nCHINA169-BACKBONE\", "
                        "fillcolor=\"#ff9896\"];") != NULL,
              "%s", s);
    cr_assert(strstr(s, "fillcolor=\"#98df8a\"") != NULL, "the target is green");
    free(s);
    kp_graph_free(g);
    kp_trace_free(&t);
}
