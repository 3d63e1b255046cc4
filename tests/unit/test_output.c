/* SPDX-License-Identifier: BSD-2-Clause */
/* Text and RIPE Atlas forms of hand-made traces. The expected text is what
 * Linux traceroute -n (2.1) prints for the same replies: "%2u " per TTL, then
 * per probe " ADDR" when the address differs from the previous probe of the
 * line (a '*' probe has no address), "  %.3f ms", and " !X" after an
 * administratively prohibited unreachable. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/output/output.h"
#include "prober/cmd/sweep_meta.h"

static void hop(struct kp_trace *t, int ttl, int attempt, const char *addr, double rtt, int type,
                int code)
{
    struct kp_hop h;
    kp_hop_init(&h);
    h.ttl = (uint8_t)ttl;
    h.attempt = (uint8_t)attempt;
    kp_addr_parse(addr, &h.addr);
    h.rtt_ms = rtt;
    h.icmp_type = (int16_t)type;
    h.icmp_code = (int16_t)code;
    h.reply_ttl = (int16_t)(65 - ttl);
    h.reply_size = 56;
    h.probe_size = 60;
    kp_trace_add_hop(t, &h);
}

static void make(struct kp_trace *t)
{
    kp_trace_init(t);
    kp_addr_parse("198.18.5.9", &t->dst);
    kp_addr_parse("198.18.0.2", &t->src);
    t->method = KP_METHOD_ICMP_PARIS;
    t->first_ttl = 1;
    t->max_ttl = 30;
    t->attempts = 3;
    t->start_ns = 1767225600LL * 1000000000LL;
    t->end_ns = t->start_ns + 3000000000LL;
    t->stop_reason = KP_STOP_ADMIN_PROHIB;
    t->stop_ttl = 4;
    hop(t, 1, 0, "198.18.0.1", 0.5, 11, 0);
    hop(t, 1, 1, "198.18.0.1", 0.25, 11, 0);
    hop(t, 1, 2, "198.18.0.1", 0.125, 11, 0);
    hop(t, 3, 0, "198.18.3.1", 1.0, 11, 0);
    hop(t, 3, 2, "198.18.3.1", 2.0, 11, 0);
    hop(t, 4, 0, "198.18.9.5", 3.0, 3, 13);
    hop(t, 4, 1, "198.18.9.5", 3.1, 3, 13);
    hop(t, 4, 2, "198.18.9.5", 3.2, 3, 13);
}

/* A trace to 198.18.5.9 from TTL 1 with no hop yet. */
static void bare(struct kp_trace *t, unsigned attempts, enum kp_stop stop, unsigned stop_ttl)
{
    kp_trace_init(t);
    kp_addr_parse("198.18.5.9", &t->dst);
    t->attempts = (uint8_t)attempts;
    t->first_ttl = 1;
    t->stop_reason = stop;
    t->stop_ttl = (uint8_t)stop_ttl;
}

/* The table of t (with ann, flags) is want. */
static void expect_table(const struct kp_trace *t, const struct kp_hop_annot *ann, unsigned flags,
                         const char *want)
{
    char *s = NULL;
    cr_assert_eq(kp_output_text_asn(t, ann, flags, &s), 0);
    cr_assert_str_eq(s, want);
    free(s);
}

Test(output_text, like_linux_traceroute)
{
    struct kp_trace t;
    char *s;
    make(&t);
    cr_assert_eq(kp_output_text(&t, 1, &s), 0);
    cr_assert_str_eq(s, "traceroute to 198.18.5.9 (198.18.5.9), 30 hops max, 60 byte packets\n"
                        " 1  198.18.0.1  0.500 ms  0.250 ms  0.125 ms\n"
                        " 2  * * *\n"
                        " 3  198.18.3.1  1.000 ms * 198.18.3.1  2.000 ms\n"
                        " 4  198.18.9.5  3.000 ms !X  3.100 ms !X  3.200 ms !X\n");
    free(s);
    kp_trace_free(&t);
}

Test(output_text, address_change_and_name)
{
    struct kp_trace t;
    char *s;
    kp_trace_init(&t);
    kp_addr_parse("198.18.5.9", &t.dst);
    strcpy(t.dst_name, "target.test");
    t.attempts = 2;
    t.first_ttl = 2;
    t.max_ttl = 8;
    hop(&t, 2, 0, "198.18.1.1", 10.0, 11, 0);
    hop(&t, 2, 1, "198.18.2.1", 20.0, 11, 0);
    hop(&t, 3, 1, "198.18.5.9", 30.0, 0, 0);
    cr_assert_eq(kp_output_text(&t, 1, &s), 0);
    cr_assert_str_eq(s, "traceroute to target.test (198.18.5.9), 8 hops max, 60 byte packets\n"
                        " 2  198.18.1.1  10.000 ms 198.18.2.1  20.000 ms\n"
                        " 3  * 198.18.5.9  30.000 ms\n");
    free(s);
    cr_assert_eq(kp_output_text(&t, 0, &s), 0);
    cr_assert_eq(strncmp(s, " 2  ", 4), 0);
    free(s);
    kp_trace_free(&t);
}

Test(output_atlas, fields_and_timeouts)
{
    struct kp_trace t;
    char *s;
    make(&t);
    t.hops[0].n_mpls = 1;
    t.hops[0].mpls[0] = (struct kp_mpls){.label = 24001, .tc = 0, .s = 1, .ttl = 1};
    cr_assert_eq(kp_output_atlas(&t, &s), 0);
    json_error_t je;
    json_t *o = json_loads(s, 0, &je);
    cr_assert_not_null(o, "%s", je.text);
    cr_assert_str_eq(json_string_value(json_object_get(o, "dst_addr")), "198.18.5.9");
    cr_assert_str_eq(json_string_value(json_object_get(o, "src_addr")), "198.18.0.2");
    cr_assert_str_eq(json_string_value(json_object_get(o, "proto")), "ICMP");
    cr_assert_str_eq(json_string_value(json_object_get(o, "type")), "traceroute");
    cr_assert_eq(json_integer_value(json_object_get(o, "af")), 4);
    cr_assert_eq(json_integer_value(json_object_get(o, "timestamp")), 1767225600);
    cr_assert_eq(json_integer_value(json_object_get(o, "endtime")), 1767225603);
    json_t *res = json_object_get(o, "result");
    cr_assert_eq(json_array_size(res), 4); /* hops 1..4 */
    json_t *h2 = json_array_get(res, 1);
    cr_assert_eq(json_integer_value(json_object_get(h2, "hop")), 2);
    json_t *p = json_object_get(h2, "result");
    cr_assert_eq(json_array_size(p), 3);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(p, 0), "x")), "*");
    json_t *h1p0 = json_array_get(json_object_get(json_array_get(res, 0), "result"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(h1p0, "from")), "198.18.0.1");
    cr_assert_float_eq(json_real_value(json_object_get(h1p0, "rtt")), 0.5, 1e-9);
    cr_assert_eq(json_integer_value(json_object_get(h1p0, "ttl")), 64);
    cr_assert_eq(json_integer_value(json_object_get(h1p0, "size")), 56);
    json_t *ext = json_object_get(h1p0, "icmpext");
    json_t *m =
        json_array_get(json_object_get(json_array_get(json_object_get(ext, "obj"), 0), "mpls"), 0);
    cr_assert_eq(json_integer_value(json_object_get(m, "label")), 24001);
    /* hop 3: attempt 1 silent */
    json_t *h3 = json_object_get(json_array_get(res, 2), "result");
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(h3, 1), "x")), "*");
    /* hop 4: admin prohibited is Atlas err "A" */
    json_t *h4p = json_array_get(json_object_get(json_array_get(res, 3), "result"), 2);
    cr_assert_str_eq(json_string_value(json_object_get(h4p, "err")), "A");
    json_decref(o);
    free(s);
    kp_trace_free(&t);
}

/* kptrace stops retrying a TTL once it answered (tracer.h): with attempts 2,
 * a TTL answered at attempt 0 printed one column; answered at attempt 1
 * after a silent attempt 0, " *" then the reply; silent, two stars. */
Test(output_text, columns_are_the_attempts_sent)
{
    struct kp_trace t;
    bare(&t, 2, KP_STOP_NONE, 0);
    hop(&t, 1, 0, "198.18.0.1", 1.5, 11, 0);
    hop(&t, 2, 1, "198.18.1.1", 2.25, 11, 0);
    hop(&t, 4, 0, "198.18.5.9", 4.0, 0, 0);
    expect_table(&t, NULL, 0,
                 " 1  198.18.0.1  1.500 ms\n"
                 " 2  * 198.18.1.1  2.250 ms\n"
                 " 3  * *\n"
                 " 4  198.18.5.9  4.000 ms\n");
    kp_trace_free(&t);
}

/* With several TTLs in flight, replies above the stopping TTL are recorded
 * but not printed (traceroute stops at the destination or at !X). */
Test(output_text, stops_at_stop_ttl)
{
    struct kp_trace t;
    char *s;
    bare(&t, 1, KP_STOP_COMPLETED, 2);
    hop(&t, 1, 0, "198.18.0.1", 1.0, 11, 0);
    hop(&t, 2, 0, "198.18.5.9", 2.0, 0, 0);
    hop(&t, 3, 0, "198.18.5.9", 2.5, 0, 0);
    expect_table(&t, NULL, 0,
                 " 1  198.18.0.1  1.000 ms\n"
                 " 2  198.18.5.9  2.000 ms\n");
    t.stop_reason = KP_STOP_GAPLIMIT; /* not a stop at a reply: print all */
    cr_assert_eq(kp_output_text(&t, 0, &s), 0);
    cr_assert_not_null(strstr(s, " 3  198.18.5.9  2.500 ms\n"));
    free(s);
    kp_trace_free(&t);
}

static void probed(struct kp_trace *t, unsigned ttl)
{
    t->probed[ttl / 8] = (uint8_t)(t->probed[ttl / 8] | (1u << (ttl % 8)));
    t->probed_known = true;
}

/* A Doubletree trace that started at TTL 4, went back to 3 (a hop an earlier
 * trace passed: backward probing stops there), skipped TTL 5 (silent in the
 * /24's first trace) and probed 6 silent and 7: its replies, as a record
 * read from a file has them (it does not say which TTLs were probed). */
static void doubletree_trace(struct kp_trace *t)
{
    bare(t, 2, KP_STOP_COMPLETED, 7);
    hop(t, 3, 0, "198.18.3.1", 3.0, 11, 0);
    hop(t, 4, 0, "198.18.4.1", 4.0, 11, 0);
    hop(t, 7, 0, "198.18.5.9", 7.0, 0, 0);
}

/* ... and the TTLs it probed, 3, 4, 6 and 7, as a record from the capture
 * says them. */
static void doubletree_probed(struct kp_trace *t)
{
    probed(t, 3);
    probed(t, 4);
    probed(t, 6);
    probed(t, 7);
}

/* The Atlas result of the Doubletree trace: a TTL never probed has no hop
 * (as Atlas lists none below its first_hop), a probed silent one has its
 * stars. */
Test(output_atlas, ttls_not_probed_have_no_hop)
{
    struct kp_trace t;
    char *s;
    doubletree_trace(&t);
    doubletree_probed(&t);
    cr_assert_eq(kp_output_atlas(&t, &s), 0);
    json_error_t je;
    json_t *o = json_loads(s, 0, &je);
    cr_assert_not_null(o, "%s", je.text);
    json_t *res = json_object_get(o, "result");
    cr_assert_eq(json_array_size(res), 4, "%s", s); /* hops 3, 4, 6, 7 */
    int want[] = {3, 4, 6, 7};
    for (size_t i = 0; i < 4; i++)
        cr_assert_eq(json_integer_value(json_object_get(json_array_get(res, i), "hop")), want[i]);
    json_t *h6 = json_object_get(json_array_get(res, 2), "result");
    cr_assert_eq(json_array_size(h6), 2);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(h6, 0), "x")), "*");
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(h6, 1), "x")), "*");
    json_decref(o);
    free(s);
    kp_trace_free(&t);
}

/* The text table of the Doubletree trace: TTLs 1, 2 and 5 were never
 * probed, and are not printed as '*' (probed, no answer), which 6 is. */
Test(output_text, ttls_not_probed_are_not_stars)
{
    struct kp_trace t;
    doubletree_trace(&t);
    /* a record that does not say what was probed: as before */
    expect_table(&t, NULL, 0,
                 " 1  * *\n"
                 " 2  * *\n"
                 " 3  198.18.3.1  3.000 ms\n"
                 " 4  198.18.4.1  4.000 ms\n"
                 " 5  * *\n"
                 " 6  * *\n"
                 " 7  198.18.5.9  7.000 ms\n");
    doubletree_probed(&t);
    expect_table(&t, NULL, 0,
                 " 1  not probed\n"
                 " 2  not probed\n"
                 " 3  198.18.3.1  3.000 ms\n"
                 " 4  198.18.4.1  4.000 ms\n"
                 " 5  not probed\n"
                 " 6  * *\n"
                 " 7  198.18.5.9  7.000 ms\n");
    const char *below = " not probed (Doubletree: below a hop an earlier trace passed)\n";
    const char *skipped = " not probed (Doubletree: silent in the /24's first trace)\n";
    char want[1024];
    snprintf(want, sizeof(want),
             " 1 %s 2 %s 3  198.18.3.1  3.000 ms\n 4  198.18.4.1  4.000 ms\n 5 %s"
             " 6  * *\n 7  198.18.5.9  7.000 ms\n",
             below, below, skipped);
    expect_table(&t, NULL, KP_TEXT_DOUBLETREE, want);
    /* the same with each address's AS: the not-probed lines carry none */
    struct kp_hop_annot ann[3];
    memset(ann, 0, sizeof(ann));
    const uint32_t asn[3] = {64501, 4837, 131279};
    for (int i = 0; i < 3; i++) {
        ann[i].asn = ann[i].origins[0] = asn[i];
        ann[i].n_origins = 1;
    }
    snprintf(want, sizeof(want),
             " 1 %s 2 %s 3  198.18.3.1 [AS64501]  3.000 ms\n 4  198.18.4.1 [AS4837]  4.000 ms\n"
             " 5 %s 6  * *\n 7  198.18.5.9 [AS131279]  7.000 ms\n",
             below, below, skipped);
    expect_table(&t, ann, KP_TEXT_DOUBLETREE, want);
    kp_trace_free(&t);
}

/* sweep.json: the fields docs/format.md lists, with the values given. */
Test(sweep_meta, fields_and_counts)
{
    struct kp_options o;
    kp_options_default(&o, KP_CMD_SWEEP);
    strcpy(o.vp, "vp-eu");
    char t0[] = "198.19.176.0/22";
    char *targets[] = {t0};
    o.targets = targets;
    o.n_targets = 1;
    o.methods[1] = KP_METHOD_TCP_SYN;
    o.n_methods = 2;
    o.dport = 443;
    struct kp_engine_stats st;
    memset(&st, 0, sizeof(st));
    st.jobs = 2048;
    st.started = 2048;
    st.probes_sent = 9000;
    st.rx_probes = 9000;
    st.rx_replies = 4000;
    st.probes_saved = 1234;
    st.cap_drop = 2;
    st.frames = 13000;
    strcpy(st.ts_source, "pcap-host-ns");
    struct kp_sweep_meta m;
    memset(&m, 0, sizeof(m));
    m.opt = &o;
    m.st = &st;
    m.status = "interrupted";
    kp_addr_parse("198.18.1.2", &m.src);
    m.iface = "isp-eu";
    m.seed = 18446744073709551615ULL;
    m.traces_written = 2047;
    m.hops_written = 4000;
    m.start_ns = 1767225600LL * 1000000000LL;
    char *s;
    cr_assert_eq(kp_sweep_meta_json(&m, &s), 0);
    json_error_t je;
    json_t *j = json_loads(s, 0, &je);
    cr_assert_not_null(j, "%s", je.text);
    cr_assert_str_eq(json_string_value(json_object_get(j, "type")), "sweep");
    cr_assert_str_eq(json_string_value(json_object_get(j, "status")), "interrupted");
    cr_assert_str_eq(json_string_value(json_object_get(j, "vp")), "vp-eu");
    cr_assert_str_eq(json_string_value(json_object_get(j, "src")), "198.18.1.2");
    cr_assert_str_eq(json_string_value(json_object_get(j, "start")),
                     "2026-01-01T00:00:00.000000000Z");
    cr_assert(json_is_null(json_object_get(j, "end")));
    cr_assert_str_eq(json_string_value(json_array_get(json_object_get(j, "methods"), 1)),
                     "tcp-syn");
    cr_assert_str_eq(json_string_value(json_array_get(json_object_get(j, "targets"), 0)),
                     "198.19.176.0/22");
    json_t *op = json_object_get(j, "options");
    cr_assert_eq(json_integer_value(json_object_get(op, "pps")), 100);
    cr_assert_eq(json_integer_value(json_object_get(op, "dport")), 443);
    cr_assert(json_is_null(json_object_get(op, "sport")));
    cr_assert(json_is_true(json_object_get(op, "doubletree")));
    cr_assert_str_eq(json_string_value(json_object_get(op, "seed")), "18446744073709551615");
    json_t *c = json_object_get(j, "counts");
    cr_assert_eq(json_integer_value(json_object_get(c, "traces_planned")), 2048);
    cr_assert_eq(json_integer_value(json_object_get(c, "traces")), 2047);
    cr_assert_eq(json_integer_value(json_object_get(c, "hops")), 4000);
    cr_assert_eq(json_integer_value(json_object_get(c, "probes_sent")), 9000);
    cr_assert_eq(json_integer_value(json_object_get(c, "replies")), 4000);
    cr_assert_eq(json_integer_value(json_object_get(c, "probes_saved")), 1234);
    json_t *cap = json_object_get(j, "capture");
    cr_assert_eq(json_integer_value(json_object_get(cap, "dropped")), 2);
    cr_assert_eq(json_integer_value(json_object_get(cap, "frames")), 13000);
    cr_assert_str_eq(json_string_value(json_object_get(cap, "ts_source")), "pcap-host-ns");
    json_decref(j);
    free(s);
}
