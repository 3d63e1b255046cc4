/* SPDX-License-Identifier: BSD-2-Clause */
/* JSON line form of kp_trace: round trip, strict reader errors, RFC 3339. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/record/trace_json.h"

static void make_trace(struct kp_trace *t)
{
    kp_trace_init(t);
    strcpy(t->vp, "vp-eu");
    strcpy(t->tool, "kptrace");
    kp_addr_parse("198.18.0.2", &t->src);
    kp_addr_parse("198.19.177.9", &t->dst);
    strcpy(t->dst_name, "star.kp.test");
    t->method = KP_METHOD_UDP_PARIS;
    t->sport = 40001;
    t->dport = 33435;
    t->icmp_id = 0;
    t->first_ttl = 1;
    t->max_ttl = 30;
    t->attempts = 2;
    t->gap_limit = 5;
    t->wait_ms = 2000;
    t->probes_sent = 9;
    t->start_ns = 1763769060123456789LL; /* 2025-11-21T23:51:00.123456789Z */
    t->end_ns = 1763769062000000001LL;
    t->stop_reason = KP_STOP_ADMIN_PROHIB;
    t->stop_ttl = 4;
    strcpy(t->ts_source, "pcap-nano");
    t->id = 77;
    struct kp_hop h;
    kp_hop_init(&h);
    h.ttl = 1;
    kp_addr_parse("198.18.0.1", &h.addr);
    h.rtt_ms = 0.125;
    h.reply_ttl = 64;
    h.quoted_ttl = 1;
    h.icmp_type = 11;
    h.icmp_code = 0;
    h.reply_size = 56;
    h.probe_size = 60;
    h.tx_ns = t->start_ns + 5;
    h.rx_ns = t->start_ns + 125005;
    kp_trace_add_hop(t, &h);
    h.ttl = 3;
    h.attempt = 1;
    kp_addr_parse("198.18.9.1", &h.addr);
    h.rtt_ms = 12.5;
    h.flags = KP_HOP_NAT | KP_HOP_LATE;
    h.nat_id = 513;
    h.n_mpls = 2;
    h.mpls[0] = (struct kp_mpls){.label = 16001, .tc = 0, .s = 0, .ttl = 1};
    h.mpls[1] = (struct kp_mpls){.label = 1048575, .tc = 7, .s = 1, .ttl = 255};
    kp_trace_add_hop(t, &h);
    kp_hop_init(&h);
    h.ttl = 4;
    kp_addr_parse("198.18.9.5", &h.addr);
    h.icmp_type = 3;
    h.icmp_code = 13;
    h.flags = KP_HOP_DUP | KP_HOP_FROM_DST;
    kp_trace_add_hop(t, &h);
}

Test(trace_json, round_trip_every_field)
{
    struct kp_trace t, u;
    char *s;
    size_t len;
    struct kp_json_error e;
    make_trace(&t);
    cr_assert_eq(kp_trace_json_dump(&t, &s, &len), 0);
    cr_assert_eq(strlen(s), len);
    cr_assert_null(strchr(s, '\n'), "one line");
    cr_assert_eq(kp_trace_json_parse(s, len, &u, &e), 0, "%s: %s", e.field, e.msg);
    cr_assert_str_eq(u.vp, "vp-eu");
    cr_assert_str_eq(u.tool, "kptrace");
    cr_assert(kp_addr_eq(&u.src, &t.src));
    cr_assert(kp_addr_eq(&u.dst, &t.dst));
    cr_assert_str_eq(u.dst_name, "star.kp.test");
    cr_assert_eq(u.method, KP_METHOD_UDP_PARIS);
    cr_assert_eq(u.sport, 40001);
    cr_assert_eq(u.dport, 33435);
    cr_assert_eq(u.first_ttl, 1);
    cr_assert_eq(u.max_ttl, 30);
    cr_assert_eq(u.attempts, 2);
    cr_assert_eq(u.gap_limit, 5);
    cr_assert_eq(u.wait_ms, 2000);
    cr_assert_eq(u.probes_sent, 9);
    cr_assert_eq(u.start_ns, t.start_ns);
    cr_assert_eq(u.end_ns, t.end_ns);
    cr_assert_eq(u.stop_reason, KP_STOP_ADMIN_PROHIB);
    cr_assert_eq(u.stop_ttl, 4);
    cr_assert_str_eq(u.ts_source, "pcap-nano");
    cr_assert_eq(u.id, 77);
    cr_assert_eq(u.n_hops, 3);
    for (size_t i = 0; i < 3; i++) {
        const struct kp_hop *a = &t.hops[i], *b = &u.hops[i];
        cr_assert_eq(a->ttl, b->ttl);
        cr_assert_eq(a->attempt, b->attempt);
        cr_assert(kp_addr_eq(&a->addr, &b->addr));
        cr_assert_eq(a->rtt_ms, b->rtt_ms, "hop %zu rtt %g vs %g", i, a->rtt_ms, b->rtt_ms);
        cr_assert_eq(a->reply_ttl, b->reply_ttl);
        cr_assert_eq(a->quoted_ttl, b->quoted_ttl);
        cr_assert_eq(a->icmp_type, b->icmp_type);
        cr_assert_eq(a->icmp_code, b->icmp_code);
        cr_assert_eq(a->tcp_flags, b->tcp_flags);
        cr_assert_eq(a->reply_size, b->reply_size);
        cr_assert_eq(a->probe_size, b->probe_size);
        cr_assert_eq(a->flags, b->flags, "hop %zu flags", i);
        cr_assert_eq(a->nat_id, b->nat_id);
        cr_assert_eq(a->tx_ns, b->tx_ns);
        cr_assert_eq(a->rx_ns, b->rx_ns);
        cr_assert_eq(a->n_mpls, b->n_mpls);
        cr_assert_eq(memcmp(a->mpls, b->mpls, a->n_mpls * sizeof(a->mpls[0])), 0);
    }
    /* Writing the parsed record again gives the same text. */
    char *s2;
    cr_assert_eq(kp_trace_json_dump(&u, &s2, NULL), 0);
    cr_assert_str_eq(s, s2);
    free(s);
    free(s2);
    kp_trace_free(&t);
    kp_trace_free(&u);
}

Test(trace_json, writes_documented_values)
{
    struct kp_trace t;
    char *s;
    make_trace(&t);
    cr_assert_eq(kp_trace_json_dump(&t, &s, NULL), 0);
    /* Values written by hand from docs/format.md. */
    cr_assert_not_null(strstr(s, "\"start\":\"2025-11-21T23:51:00.123456789Z\""), "%s", s);
    cr_assert_not_null(strstr(s, "\"method\":\"udp-paris\""));
    cr_assert_not_null(strstr(s, "\"stop_reason\":\"admin-prohibited\""));
    cr_assert_not_null(strstr(s, "\"rtt_ms\":0.125"));
    cr_assert_not_null(strstr(s, "\"rtt_ms\":null"));
    cr_assert_not_null(strstr(s, "\"hop_count\":3"));
    cr_assert_not_null(strstr(s, "{\"label\":1048575,\"tc\":7,\"s\":1,\"ttl\":255}"));
    free(s);
    kp_trace_free(&t);
}

/* Each bad line must be rejected with the named field. */
static void expect_error(const char *line, const char *field)
{
    struct kp_trace t;
    struct kp_json_error e;
    int rc = kp_trace_json_parse(line, strlen(line), &t, &e);
    cr_assert_eq(rc, -EINVAL, "accepted: %s", line);
    cr_assert_str_eq(e.field, field, "line %s: field '%s' (%s)", line, e.field, e.msg);
    cr_assert_gt(strlen(e.msg), 0);
    cr_assert_eq(t.hops, NULL);
}

#define OK_HEAD                                                                                    \
    "{\"v\":1,\"method\":\"icmp-paris\",\"dst\":\"198.18.1.1\",\"start\":\"2026-01-01T00:00:00Z\""

Test(trace_json, reader_names_the_wrong_field)
{
    expect_error("{\"v\":1", "");
    expect_error("[1,2]", "");
    expect_error("{\"method\":\"icmp-paris\"}", "v");
    expect_error(OK_HEAD ",\"stop_reason\":\"completed\"}", "hops");
    expect_error(OK_HEAD ",\"stop_reason\":\"finished\",\"hops\":[]}", "stop_reason");
    expect_error(OK_HEAD ",\"stop_reason\":\"completed\",\"hops\":[],\"bogus\":1}", "bogus");
    expect_error(OK_HEAD ",\"stop_reason\":\"completed\",\"hops\":[],\"sport\":70000}", "sport");
    expect_error(OK_HEAD ",\"stop_reason\":\"completed\",\"hops\":[],\"end\":\"yesterday\"}",
                 "end");
    expect_error(OK_HEAD ",\"stop_reason\":\"completed\",\"hops\":[{\"ttl\":1}]}", "hops[0].addr");
    expect_error(OK_HEAD
                 ",\"stop_reason\":\"completed\",\"hops\":[{\"ttl\":1,\"addr\":\"1.2.3.4\"},"
                 "{\"ttl\":2,\"addr\":\"1.2.3.4\",\"rtt_ms\":\"fast\"}]}",
                 "hops[1].rtt_ms");
    expect_error(OK_HEAD
                 ",\"stop_reason\":\"completed\",\"hops\":[{\"ttl\":2,\"addr\":\"1.2.3.999\"}]}",
                 "hops[0].addr");
    expect_error(OK_HEAD ",\"stop_reason\":\"completed\",\"hops\":[{\"ttl\":2,\"addr\":\"1.2.3.4\","
                         "\"mpls\":[{\"label\":1048576}]}]}",
                 "hops[0].mpls[0].label");
    expect_error(OK_HEAD ",\"stop_reason\":\"completed\",\"hop_count\":2,\"hops\":[]}",
                 "hop_count");
    expect_error("{\"v\":1,\"method\":\"icmp-paris\",\"dst\":\"198.18.1.1\",\"start\":\"x\","
                 "\"stop_reason\":\"completed\",\"hops\":[]}",
                 "start");
    expect_error(OK_HEAD ",\"method\":\"udp\",\"stop_reason\":\"completed\",\"hops\":[]}", "");
}

Test(trace_json, minimal_line_uses_unknowns)
{
    const char *line = OK_HEAD ",\"stop_reason\":\"completed\",\"hops\":[{\"ttl\":1,\"addr\":"
                               "\"198.18.0.1\"}]}\n";
    struct kp_trace t;
    struct kp_json_error e;
    cr_assert_eq(kp_trace_json_parse(line, strlen(line), &t, &e), 0, "%s %s", e.field, e.msg);
    cr_assert_eq(t.n_hops, 1);
    cr_assert_lt(t.hops[0].rtt_ms, 0);
    cr_assert_eq(t.hops[0].reply_ttl, -1);
    cr_assert_eq(t.hops[0].icmp_type, -1);
    cr_assert_eq(t.start_ns, 1767225600LL * 1000000000LL); /* date -d 2026-01-01Z +%s */
    kp_trace_free(&t);
}

Test(trace_json, rfc3339)
{
    char buf[40];
    int64_t ns;
    /* 951782400 = 2000-02-29T00:00:00Z (date -u -d @951782400) */
    cr_assert_str_eq(kp_rfc3339_ns(951782400LL * 1000000000LL + 5, buf, sizeof(buf)),
                     "2000-02-29T00:00:00.000000005Z");
    cr_assert_eq(kp_rfc3339_parse("2000-02-29T00:00:00.000000005Z", &ns), 0);
    cr_assert_eq(ns, 951782400LL * 1000000000LL + 5);
    cr_assert_eq(kp_rfc3339_parse("2000-02-29T00:00:00.5+00:00", &ns), 0);
    cr_assert_eq(ns, 951782400500000000LL);
    cr_assert_eq(kp_rfc3339_parse("2000-02-29 00:00:00Z", &ns), -EINVAL);
    cr_assert_eq(kp_rfc3339_parse("2000-13-01T00:00:00Z", &ns), -EINVAL);
    cr_assert_eq(kp_rfc3339_parse("2000-01-01T00:00:00+01:00", &ns), -EINVAL);
    /* int64 ns reach 2262-04-11T23:47:16Z; whole years outside 1678..2261
     * are refused rather than overflowed (found by fuzz_trace_json). */
    cr_assert_eq(kp_rfc3339_parse("1013-01-01T00:00:00.5+00:00", &ns), -ERANGE);
    cr_assert_eq(kp_rfc3339_parse("9999-12-31T23:59:59Z", &ns), -ERANGE);
    /* 9214646400 = 2262-01-01T00:00:00Z (date -u -d 2262-01-01 +%s) */
    cr_assert_eq(kp_rfc3339_parse("2261-12-31T23:59:59Z", &ns), 0);
    cr_assert_eq(ns, (9214646400LL - 1) * 1000000000LL);
}

/* ---- the writer against jansson ----------------------------------------
 * kp_trace_json_dump writes its text itself; kp_trace_json_object builds the
 * same record as jansson values (kpannotate adds keys to it). Dumped with
 * JSON_COMPACT | JSON_REAL_PRECISION(15), the latter is the reference: on
 * random records, with strings holding quotes, backslashes, control bytes,
 * UTF-8 and invalid UTF-8, and every numeric edge, both must give the same
 * bytes, or both refuse the record. */
#include <jansson.h>
#include <math.h>

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint64_t rnd(void)
{
    uint64_t x = rng_state; /* xorshift64 */
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

static void rnd_str(char *s, size_t cap)
{
    static const char *const pieces[] = {
        "a",
        "Z",
        "-",
        ".",
        " ",
        "\"",
        "\\",
        "/",
        "\n",
        "\t",
        "\b",
        "\f",
        "\r",
        "\x01",
        "\x1f",
        "\x7f",
        "\xc3\xa9",
        "\xe2\x82\xac",
        "\xf0\x9d\x84\x9e", /* é € 𝄞 */
        "\xff",
        "\x80",
        "\xc0\x80",
        "\xed\xa0\x80",
        "\xf5\x80\x80\x80",
        "\xe2\x82",
    };
    size_t n = 0, want = rnd() % 4 == 0 ? 0 : rnd() % cap;
    s[0] = '\0';
    while (n < want) {
        /* mostly valid text; invalid bytes in 1 string of ~8 */
        size_t np = sizeof(pieces) / sizeof(pieces[0]);
        size_t k = rnd() % 8 == 0 ? rnd() % np : rnd() % 19;
        size_t l = strlen(pieces[k]);
        if (n + l >= cap)
            break;
        memcpy(s + n, pieces[k], l + 1);
        n += l;
    }
}

static double rnd_rtt(void)
{
    switch (rnd() % 12) {
    case 0:
        return -1;
    case 1:
        return -0.0;
    case 2:
        return 0;
    case 3:
        return (double)(rnd() % 100000000) / 1000.0;
    case 4:
        return (double)(rnd() % 1000000) / 7.0;
    case 5:
        return 1e15 / 1000.0 * (double)(rnd() % 3);
    case 6:
        return (double)rnd() * 1e3;
    case 7:
        return 1e-7 * (double)(rnd() % 10);
    case 8:
        return rnd() % 2 ? NAN : INFINITY;
    case 9:
        return 999999999999.9995;
    default:
        return (double)(rnd() % 5000) * 0.001 + 0.0005;
    }
}

static void rnd_addr(struct kp_addr *a)
{
    memset(a, 0, sizeof(*a));
    unsigned k = rnd() % 4;
    a->family = k == 0 ? 0 : k == 1 ? 6 : 4;
    for (int i = 0; i < 16; i++)
        a->b[i] = (uint8_t)(rnd() % 3 == 0 ? 0 : rnd());
}

static long long rnd_int(long long lo, long long hi)
{
    return lo + (long long)(rnd() % (uint64_t)(hi - lo + 1));
}

Test(trace_json, writer_equals_jansson)
{
    for (int iter = 0; iter < 3000; iter++) {
        struct kp_trace t;
        kp_trace_init(&t);
        rnd_str(t.vp, sizeof(t.vp));
        rnd_str(t.tool, sizeof(t.tool));
        rnd_str(t.dst_name, sizeof(t.dst_name));
        rnd_str(t.ts_source, sizeof(t.ts_source));
        rnd_addr(&t.src);
        rnd_addr(&t.dst);
        if (rnd() % 8 != 0 && t.dst.family == 0)
            t.dst.family = 4;
        t.method = (enum kp_method)rnd_int(0, KP_METHOD_COUNT);
        t.stop_reason = (enum kp_stop)rnd_int(0, KP_STOP_COUNT);
        t.sport = (uint16_t)rnd();
        t.dport = (uint16_t)rnd();
        t.icmp_id = (uint16_t)rnd();
        t.first_ttl = (uint8_t)rnd();
        t.max_ttl = (uint8_t)rnd();
        t.attempts = (uint8_t)rnd();
        t.gap_limit = (uint8_t)rnd();
        t.wait_ms = (uint32_t)rnd();
        t.probes_sent = (uint32_t)rnd();
        t.send_failed = rnd() % 2 ? 0 : (uint32_t)rnd(); /* written only when > 0 */
        t.start_ns = rnd() % 3 == 0 ? 0 : (int64_t)(rnd() % 4000000000000000000ull) - 1000;
        t.end_ns = rnd() % 3 == 0 ? 0 : t.start_ns + (int64_t)(rnd() % 1000000000000ull);
        t.stop_ttl = (uint8_t)(rnd() % 2 ? 0 : rnd());
        t.id = rnd() % 2 ? rnd() : rnd() % 100000;
        t.meta_msm_id = rnd() % 2 ? 0 : (uint32_t)rnd();
        t.meta_prb_id = rnd() % 2 ? 0 : (uint32_t)rnd();
        size_t nh = rnd() % 12;
        for (size_t i = 0; i < nh; i++) {
            struct kp_hop h;
            kp_hop_init(&h);
            h.ttl = (uint8_t)rnd();
            h.attempt = (uint8_t)rnd();
            rnd_addr(&h.addr);
            h.rtt_ms = rnd_rtt();
            h.reply_ttl = (int16_t)(rnd() % 2 ? -1 : rnd_int(0, 255));
            h.quoted_ttl = (int16_t)(rnd() % 2 ? -1 : rnd_int(0, 255));
            h.icmp_type = (int16_t)(rnd() % 3 ? rnd_int(-1, 255) : -1);
            h.icmp_code = (int16_t)(rnd() % 3 ? rnd_int(-1, 255) : -1);
            h.tcp_flags = (uint8_t)rnd();
            h.reply_size = (uint16_t)(rnd() % 2 ? 0 : rnd());
            h.probe_size = (uint16_t)(rnd() % 2 ? 0 : rnd());
            h.nat_id = (uint16_t)rnd();
            h.flags = (uint32_t)(rnd() & 0xf);
            h.tx_ns = rnd() % 3 == 0 ? 0 : (int64_t)(rnd() >> 1) - (int64_t)(rnd() >> 2);
            h.rx_ns = rnd() % 3 == 0 ? 0 : (int64_t)(rnd() >> 1);
            h.n_mpls = (uint8_t)(rnd() % 11);
            for (int m = 0; m < KP_MAX_MPLS; m++)
                h.mpls[m] = (struct kp_mpls){.label = (uint32_t)(rnd() & 0xfffff),
                                             .tc = (uint8_t)(rnd() & 7),
                                             .s = (uint8_t)(rnd() & 1),
                                             .ttl = (uint8_t)rnd()};
            cr_assert_eq(kp_trace_add_hop(&t, &h), 0);
        }
        int rc;
        json_t *o = kp_trace_json_object(&t, &rc);
        char *want = o ? json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(15)) : NULL;
        json_decref(o);
        char *got = NULL;
        size_t len = 0;
        int grc = kp_trace_json_dump(&t, &got, &len);
        if (want == NULL) {
            cr_assert_neq(grc, 0, "iteration %d: jansson refused, the writer wrote %s", iter,
                          got ? got : "");
        } else {
            cr_assert_eq(grc, 0, "iteration %d: the writer refused %s", iter, want);
            cr_assert_str_eq(got, want, "iteration %d", iter);
            cr_assert_eq(len, strlen(want));
        }
        free(want);
        free(got);
        kp_trace_free(&t);
    }
}
