/* SPDX-License-Identifier: BSD-2-Clause */
/* Extreme numbers in every reader of outside files: scamper JSON, RIPE
 * Atlas JSON, kptrace JSON lines, sweep.json (resume and replay), PeeringDB
 * JSON, mmdb records and the Team Cymru cache file. Each reader gets 1e308, -1e308, 2^63, 2^64, -0,
 * 1e-320 (subnormal), integers written as reals (3.0), 100-digit literals and
 * NaN-like strings where its fields are numbers; a record with a number out
 * of its field's limits is reported with the field and skipped, and the next
 * record is still read. Expected values are worked out by hand (2^63 =
 * 9223372036854775808, 2^64 = 18446744073709551616; jansson refuses integer
 * literals past int64 and real literals past double as syntax errors). Run
 * under ASan/UBSan these also show that no conversion is undefined. */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "core/asmap/asmap.h"
#include "core/asmap/asmap_int.h"
#include "sources/asn_cymru.h"
#include "annotator/inputs/input.h"
#include "prober/cmd/options.h"
#include "io/replay.h"
#include "prober/cmd/sweep_meta.h"
#include "core/record/trace_json.h"
#include "edge_numbers.h"

/* ---- what a JSON record reader reported ------------------------------------ */

struct got {
    struct kp_trace t[4];
    unsigned long line[4];
    size_t n;
    unsigned long err_line[4];
    char err_field[4][160];
    char err_msg[4][200];
    size_t n_err;
};

static struct got G;

static int keep(void *ctx, struct kp_trace *t, unsigned long line)
{
    struct got *g = ctx;
    cr_assert_lt(g->n, 4);
    g->t[g->n] = *t;
    g->line[g->n++] = line;
    kp_trace_init(t);
    return 0;
}

static void on_err(void *ctx, unsigned long line, const char *field, const char *msg)
{
    struct got *g = ctx;
    cr_assert_lt(g->n_err, 4);
    g->err_line[g->n_err] = line;
    snprintf(g->err_field[g->n_err], sizeof(g->err_field[0]), "%s", field);
    snprintf(g->err_msg[g->n_err], sizeof(g->err_msg[0]), "%s", msg);
    g->n_err++;
}

static void got_reset(void)
{
    for (size_t i = 0; i < G.n; i++)
        kp_trace_free(&G.t[i]);
    memset(&G, 0, sizeof(G));
}

typedef int (*reader_fn)(const char *buf, size_t len, const struct kp_input_sink *sink);

static int read_text(reader_fn rd, const char *text)
{
    got_reset();
    struct kp_input_sink sink = {keep, on_err, &G};
    return rd(text, strlen(text), &sink);
}

/* One case: the number text put into a record; "field" is the field the
 * error names ("" for a JSON syntax error), NULL when the record is good;
 * msg, when not NULL, begins the error message. */
struct num_case {
    const char *num;
    const char *field;
    const char *msg;
};

/* The bad record (line 1) is reported and skipped, the good one after it
 * (line 2) read. */
static void expect_skipped(const struct num_case *c, int rc)
{
    cr_assert_eq(rc, -EINVAL, "%s: rc", c->num);
    cr_assert_eq(G.n_err, 1, "%s: one error", c->num);
    cr_assert_eq(G.err_line[0], 1, "%s", c->num);
    cr_assert_str_eq(G.err_field[0], c->field, "%s: field", c->num);
    if (c->msg != NULL)
        cr_assert(strncmp(G.err_msg[0], c->msg, strlen(c->msg)) == 0, "%s: '%s', want '%s'", c->num,
                  G.err_msg[0], c->msg);
    cr_assert_eq(G.n, 1, "%s: the next record is read", c->num);
    cr_assert_eq(G.line[0], 2, "%s", c->num);
}

/* tmpl with its one "%s" replaced by num, into out (templates are data
 * here, not printf formats). */
static void subst(char *out, size_t n, const char *tmpl, const char *num)
{
    const char *at = strstr(tmpl, "%s");
    cr_assert_not_null(at);
    int w = snprintf(out, n, "%.*s%s%s", (int)(at - tmpl), tmpl, num, at + 2);
    cr_assert(w >= 0 && (size_t)w < n);
}

/* ---- scamper ----------------------------------------------------------------- */

/* A trace whose one hop was sent at tx 1795305420.000100 s with rtt %s, then a
 * good trace. */
static const char *SC_RTT =
    "{\"type\":\"trace\",\"method\":\"icmp-paris\",\"src\":\"198.18.1.2\",\"dst\":\"198.19.176.1\","
    "\"start\":{\"sec\":1795305420,\"usec\":0},\"hops\":[{\"addr\":\"198.18.1.1\",\"probe_ttl\":1,"
    "\"probe_id\":1,\"tx\":{\"sec\":1795305420,\"usec\":100},\"rtt\":%s}]}\n"
    "{\"type\":\"trace\",\"method\":\"icmp-paris\",\"dst\":\"198.19.176.2\",\"hops\":[{\"addr\":"
    "\"198.18.1.1\",\"probe_ttl\":1,\"rtt\":1.0}]}\n";

#define SC_TX_NS 1795305420000100000LL

static int scamper_with(const char *tmpl, const char *num)
{
    char buf[2048];
    subst(buf, sizeof(buf), tmpl, num);
    return read_text(kp_scamper_parse, buf);
}

Test(reader_numbers, scamper_rtt_extremes)
{
    static const struct num_case bad[] = {
        {"1e308", "hops[0].rtt", "out of range"},
        {"-1e308", "hops[0].rtt", "out of range"},
        {R103, "hops[0].rtt", "out of range"},
        {"1000000000.001", "hops[0].rtt", "out of range"},
        {"-0.001", "hops[0].rtt", "out of range"},
        {"\"NaN\"", "hops[0].rtt", "not a number"},
        {"\"1.5\"", "hops[0].rtt", "not a number"},
        {TWO_63, "", NULL},
        {TWO_64, "", NULL},
        {D100, "", NULL},
        {"1e309", "", NULL},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        expect_skipped(&bad[i], scamper_with(SC_RTT, bad[i].num));

    static const struct {
        const char *num;
        double rtt_ms;
        int64_t rx_ns;
    } good[] = {
        {"-0", 0.0, SC_TX_NS},
        {"-0.0", 0.0, SC_TX_NS},
        {"1e-320", 1e-320, SC_TX_NS},
        {"3.0", 3.0, SC_TX_NS + 3000000},
        {"3", 3.0, SC_TX_NS + 3000000},
        {"0.0004", 0.0004, SC_TX_NS + 400},
        {"1e9", 1e9, SC_TX_NS + 1000000000000000LL},
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        cr_assert_eq(scamper_with(SC_RTT, good[i].num), 0, "%s", good[i].num);
        cr_assert_eq(G.n, 2);
        const struct kp_hop *h = &G.t[0].hops[0];
        cr_assert_eq(h->rtt_ms, good[i].rtt_ms, "%s: %g", good[i].num, h->rtt_ms);
        cr_assert(!signbit(h->rtt_ms), "%s: -0 reads as 0", good[i].num);
        cr_assert_eq(h->tx_ns, SC_TX_NS);
        cr_assert_eq(h->rx_ns, good[i].rx_ns, "%s: rx_ns %lld", good[i].num, (long long)h->rx_ns);
    }
    got_reset();
}

Test(reader_numbers, scamper_tx_plus_rtt_past_int64)
{
    /* the latest tx scamper's reader takes (sec = INT64_MAX / 1e9 - 1) plus
     * an rtt of 1e9 ms is past INT64_MAX nanoseconds */
    static const char *tmpl =
        "{\"type\":\"trace\",\"method\":\"icmp-paris\",\"dst\":\"198.19.176.1\",\"hops\":[{"
        "\"addr\":\"198.18.1.1\",\"probe_ttl\":1,\"tx\":{\"sec\":9223372035,\"usec\":999999},"
        "\"rtt\":%s}]}\n"
        "{\"type\":\"trace\",\"method\":\"icmp-paris\",\"dst\":\"198.19.176.2\",\"hops\":[]}\n";
    struct num_case c = {"1e9", "hops[0].rtt", "out of range"};
    expect_skipped(&c, scamper_with(tmpl, c.num));
    cr_assert_eq(scamper_with(tmpl, "0.5"), 0, "%s", G.n_err ? G.err_msg[0] : "");
    cr_assert_eq(G.t[0].hops[0].rx_ns, 9223372035999999000LL + 500000);
    got_reset();
}

Test(reader_numbers, scamper_integer_fields)
{
    static const char *ttl =
        "{\"type\":\"trace\",\"method\":\"icmp-paris\",\"dst\":\"198.19.176.1\",\"hops\":[{"
        "\"addr\":\"198.18.1.1\",\"probe_ttl\":%s}]}\n"
        "{\"type\":\"trace\",\"method\":\"icmp-paris\",\"dst\":\"198.19.176.2\",\"hops\":[]}\n";
    static const struct num_case bad[] = {
        {"3.0", "hops[0].probe_ttl", "not an integer"},
        {"1e308", "hops[0].probe_ttl", "not an integer"},
        {"1e-320", "hops[0].probe_ttl", "not an integer"},
        {"-0", "hops[0].probe_ttl", "out of range"},
        {"256", "hops[0].probe_ttl", "out of range"},
        {"\"7\"", "hops[0].probe_ttl", "not a number"},
        {"\"NaN\"", "hops[0].probe_ttl", "not a number"},
        {TWO_63, "", NULL},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        expect_skipped(&bad[i], scamper_with(ttl, bad[i].num));
    static const char *count =
        "{\"type\":\"trace\",\"method\":\"icmp-paris\",\"dst\":\"198.19.176.1\","
        "\"probe_count\":%s,\"hops\":[]}\n"
        "{\"type\":\"trace\",\"method\":\"icmp-paris\",\"dst\":\"198.19.176.2\",\"hops\":[]}\n";
    struct num_case c = {"4294967296", "probe_count", "out of range"};
    expect_skipped(&c, scamper_with(count, c.num));
    cr_assert_eq(scamper_with(count, "4294967295"), 0);
    cr_assert_eq(G.t[0].probes_sent, 4294967295u);
    got_reset();
}

/* The reproducer, kept in the scamper fuzz corpus: the 4th hop of the
 * first trace has a 103-digit rtt and a tx. */
Test(reader_numbers, scamper_reproducer_reported_and_skipped)
{
    FILE *f = fopen(KP_TEST_DATA "/../../fuzz/corpus/scamper/rtt-1e108.json", "rb");
    cr_assert_not_null(f);
    char buf[4096];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    cr_assert_eq(read_text(kp_scamper_parse, buf), -EINVAL);
    cr_assert_eq(G.n_err, 1);
    cr_assert_eq(G.err_line[0], 2);
    cr_assert_str_eq(G.err_field[0], "hops[3].rtt");
    cr_assert_str_eq(G.err_msg[0], "out of range");
    cr_assert_eq(G.n, 1, "the trace after it is read");
    cr_assert_eq(G.line[0], 3);
    cr_assert_eq(G.t[0].hops[0].rx_ns, 1795305422000016000LL + 500000);
    got_reset();
}

/* ---- RIPE Atlas ------------------------------------------------------------ */

/* prb_id, timestamp, hop, rtt, err of a result, then a good result */
static int atlas_with(const char *prb, const char *ts, const char *hop, const char *rtt,
                      const char *err)
{
    char buf[2048];
    int n = snprintf(buf, sizeof(buf),
                     "{\"af\":4,\"dst_addr\":\"175.45.176.1\",\"proto\":\"ICMP\",\"prb_id\":%s,"
                     "\"timestamp\":%s,\"result\":[{\"hop\":%s,\"result\":[{\"from\":"
                     "\"219.158.3.1\",\"rtt\":%s%s%s}]}]}\n"
                     "{\"af\":4,\"dst_addr\":\"175.45.176.2\",\"proto\":\"ICMP\",\"prb_id\":2,"
                     "\"result\":[{\"hop\":1,\"result\":[{\"from\":\"219.158.3.1\",\"rtt\":1.0}]}]}"
                     "\n",
                     prb, ts, hop, rtt, err ? ",\"err\":" : "", err ? err : "");
    cr_assert_lt((size_t)n, sizeof(buf));
    return read_text(kp_atlas_parse, buf);
}

Test(reader_numbers, atlas_extremes)
{
    static const struct num_case rtt[] = {
        {"1e308", "result[0].result[0].rtt", "out of range"},
        {"-1e308", "result[0].result[0].rtt", "out of range"},
        {R103, "result[0].result[0].rtt", "out of range"},
        {"\"NaN\"", "result[0].result[0].rtt", "not a number"},
        {"\"Infinity\"", "result[0].result[0].rtt", "not a number"},
        {D100, "", NULL},
        {TWO_64, "", NULL},
    };
    for (size_t i = 0; i < sizeof(rtt) / sizeof(rtt[0]); i++)
        expect_skipped(&rtt[i], atlas_with("1", "1700000000", "1", rtt[i].num, NULL));
    static const struct num_case hop[] = {
        {"3.5", "result[0].hop", "not an integer"}, {"1e-320", "result[0].hop", "not an integer"},
        {"1e308", "result[0].hop", "out of range"}, {"-0", "result[0].hop", "out of range"},
        {"256.0", "result[0].hop", "out of range"}, {"\"3\"", "result[0].hop", "not a number"},
    };
    for (size_t i = 0; i < sizeof(hop) / sizeof(hop[0]); i++)
        expect_skipped(&hop[i], atlas_with("1", "1700000000", hop[i].num, "1.0", NULL));
    static const struct num_case prb[] = {
        {"4294967296.0", "prb_id", "out of range"},
        {"-1e308", "prb_id", "out of range"},
        {TWO_63, "", NULL},
        {TWO_64, "", NULL},
        {D100, "", NULL},
    };
    for (size_t i = 0; i < sizeof(prb) / sizeof(prb[0]); i++)
        expect_skipped(&prb[i], atlas_with(prb[i].num, "1700000000", "1", "1.0", NULL));
    static const struct num_case ts[] = {
        {"1e308", "timestamp", "out of range"},
        {"9223372037", "timestamp", "out of range"},
        {"1700000000.5", "timestamp", "not an integer"},
    };
    for (size_t i = 0; i < sizeof(ts) / sizeof(ts[0]); i++)
        expect_skipped(&ts[i], atlas_with("1", ts[i].num, "1", "1.0", NULL));
    static const struct num_case err[] = {
        {"1e308", "result[0].result[0].err", "ICMP code out of range"},
        {"3.5", "result[0].result[0].err", "not an ICMP code"},
    };
    for (size_t i = 0; i < sizeof(err) / sizeof(err[0]); i++)
        expect_skipped(&err[i], atlas_with("1", "1700000000", "1", "1.0", err[i].num));

    /* integers written as reals, -0 and a subnormal are read */
    cr_assert_eq(atlas_with("4294967295.0", "9223372036.0", "3.0", "-0.0", "13.0"), 0);
    cr_assert_eq(G.n, 2);
    const struct kp_trace *t = &G.t[0];
    cr_assert_eq(t->meta_prb_id, 4294967295u);
    cr_assert_eq(t->start_ns, 9223372036000000000LL, "the last whole second int64 ns hold");
    cr_assert_eq(t->hops[0].ttl, 3);
    cr_assert_eq(t->hops[0].rtt_ms, 0.0);
    cr_assert(!signbit(t->hops[0].rtt_ms));
    cr_assert_eq(t->hops[0].icmp_code, 13);
    cr_assert_eq(atlas_with("-0", "1700000000", "1", "1e-320", NULL), 0);
    cr_assert_eq(G.t[0].meta_prb_id, 0);
    cr_assert(G.t[0].hops[0].rtt_ms > 0 && G.t[0].hops[0].rtt_ms < 1e-300);
    got_reset();
}

/* ---- kptrace JSON lines -------------------------------------------------- */

static int trace_json_with(const char *ttl, const char *rtt, const char *tx, struct kp_trace *t,
                           struct kp_json_error *e)
{
    char buf[1024];
    int n = snprintf(buf, sizeof(buf),
                     "{\"v\":1,\"method\":\"icmp-paris\",\"dst\":\"198.19.176.1\",\"start\":"
                     "\"2026-11-22T00:00:00Z\",\"stop_reason\":\"completed\",\"hops\":[{\"ttl\":%s,"
                     "\"addr\":\"198.18.1.1\",\"rtt_ms\":%s,\"tx_ns\":%s}]}",
                     ttl, rtt, tx);
    cr_assert_lt((size_t)n, sizeof(buf));
    return kp_trace_json_parse(buf, (size_t)n, t, e);
}

Test(reader_numbers, trace_json_extremes)
{
    static const struct {
        const char *ttl, *rtt, *tx, *field, *msg;
    } bad[] = {
        {"1", "1e308", "1", "hops[0].rtt_ms", "1e+308 out of range"},
        {"1", "-1e308", "1", "hops[0].rtt_ms", "-1e+308 out of range"},
        {"1", R103, "1", "hops[0].rtt_ms", "4.44444e+102 out of range"},
        {"1", "\"NaN\"", "1", "hops[0].rtt_ms", "expected a number"},
        {"1", D100, "1", "", "not valid JSON"},
        {"3.0", "1", "1", "hops[0].ttl", "expected an integer"},
        {"1e308", "1", "1", "hops[0].ttl", "expected an integer"},
        {"256", "1", "1", "hops[0].ttl", "256 out of range"},
        {"1", "1", TWO_63, "", "not valid JSON"},
        {"1", "1", TWO_64, "", "not valid JSON"},
        {"1", "1", "0", "hops[0].tx_ns", "0 out of range"},
        {"1", "1", "1e18", "hops[0].tx_ns", "expected an integer"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct kp_trace t;
        struct kp_json_error e;
        cr_assert_eq(trace_json_with(bad[i].ttl, bad[i].rtt, bad[i].tx, &t, &e), -EINVAL, "%zu", i);
        cr_assert_str_eq(e.field, bad[i].field, "%zu", i);
        cr_assert(strncmp(e.msg, bad[i].msg, strlen(bad[i].msg)) == 0, "%zu: '%s'", i, e.msg);
    }
    struct kp_trace t;
    struct kp_json_error e;
    cr_assert_eq(trace_json_with("-0", "-0.0", "9223372036854775807", &t, &e), 0, "%s", e.msg);
    cr_assert_eq(t.hops[0].ttl, 0);
    cr_assert_eq(t.hops[0].rtt_ms, 0.0);
    cr_assert(!signbit(t.hops[0].rtt_ms), "-0 reads as 0");
    cr_assert_eq(t.hops[0].tx_ns, INT64_MAX);
    kp_trace_free(&t);
    cr_assert_eq(trace_json_with("1", "1e-320", "1", &t, &e), 0, "%s", e.msg);
    cr_assert(t.hops[0].rtt_ms > 0 && t.hops[0].rtt_ms < 1e-300);
    kp_trace_free(&t);
    cr_assert_eq(trace_json_with("1", "1e9", "1", &t, &e), 0, "%s", e.msg);
    cr_assert_eq(t.hops[0].rtt_ms, 1e9);
    kp_trace_free(&t);
}

/* ---- sweep.json ------------------------------------------------------------ */

static int sweep_with(const char *pps, const char *seed, struct kp_sweep_stored *st, char *err,
                      size_t errlen)
{
    char buf[1024];
    int n = snprintf(buf, sizeof(buf),
                     "{\"type\":\"sweep\",\"status\":\"interrupted\",\"vp\":\"v\",\"src\":\"\","
                     "\"iface\":\"\",\"user\":\"\",\"targets\":[\"198.19.176.0/25\"],\"methods\":"
                     "[\"icmp-paris\"],\"options\":{\"pps\":%s,\"first_ttl\":1,\"max_ttl\":20,"
                     "\"attempts\":1,\"wait_ms\":1000,\"gap_limit\":3,\"window\":1,\"dport\":null,"
                     "\"sport\":null,\"size\":null,\"doubletree\":true,\"seed\":%s}}\n",
                     pps, seed);
    cr_assert_lt((size_t)n, sizeof(buf));
    return kp_sweep_stored_parse(buf, (size_t)n, "d/sweep.json", "d", st, err, errlen);
}

static const char *arg_after(const struct kp_sweep_stored *st, const char *flag)
{
    for (int i = 0; i + 1 < st->argc; i++)
        if (strcmp(st->argv[i], flag) == 0)
            return st->argv[i + 1];
    return NULL;
}

Test(reader_numbers, sweep_json_options_and_seed)
{
    static const struct {
        const char *pps, *seed, *msg;
    } bad[] = {
        {"1e308", "\"1\"", "d/sweep.json: options.pps: expected a non-negative integer"},
        {"3.0", "\"1\"", "d/sweep.json: options.pps: expected a non-negative integer"},
        {"4294967296", "\"1\"", "d/sweep.json: options.pps: out of range"},
        {"-1", "\"1\"", "d/sweep.json: options.pps: out of range"},
        {"\"NaN\"", "\"1\"", "d/sweep.json: options.pps: expected a non-negative integer"},
        {"10", "\"" TWO_64 "\"", "d/sweep.json: options.seed: out of range"},
        {"10", "\"" D100 "\"", "d/sweep.json: options.seed: out of range"},
        {"10", "\"-1\"", "d/sweep.json: options.seed: out of range"},
        {"10", "\"NaN\"", "d/sweep.json: options.seed: expected a decimal number"},
        {"10", "\"1e3\"", "d/sweep.json: options.seed: expected a decimal number"},
        {"10", "1e308", "d/sweep.json: options.seed: expected a decimal number"},
        {"10", TWO_63, "d/sweep.json:1: "},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct kp_sweep_stored st;
        char err[256] = "";
        cr_assert_eq(sweep_with(bad[i].pps, bad[i].seed, &st, err, sizeof(err)), -EINVAL, "%zu", i);
        cr_assert(strncmp(err, bad[i].msg, strlen(bad[i].msg)) == 0, "%zu: '%s'", i, err);
    }
    static const struct {
        const char *pps, *seed, *want_pps, *want_seed;
    } good[] = {
        {"4294967295", "\"18446744073709551615\"", "4294967295", "18446744073709551615"},
        {"-0", "\"-0\"", "0", "0"},
        {"150", "\"007\"", "150", "7"},
        {"150", "12", "150", "12"},
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        struct kp_sweep_stored st;
        char err[256] = "";
        cr_assert_eq(sweep_with(good[i].pps, good[i].seed, &st, err, sizeof(err)), 0, "%s", err);
        cr_assert_str_eq(arg_after(&st, "--pps"), good[i].want_pps);
        cr_assert_str_eq(arg_after(&st, "--seed"), good[i].want_seed);
        kp_sweep_stored_free(&st);
    }
}

static json_int_t count_at(json_t *j, const char *obj, const char *key)
{
    json_t *v = json_object_get(json_object_get(j, obj), key);
    cr_assert(json_is_integer(v), "%s.%s", obj, key);
    return json_integer_value(v);
}

Test(reader_numbers, sweep_json_merge_sums_stop_at_int64_max)
{
    /* two earlier parts whose counts are INT64_MAX, -5 and a real: sums
     * stop at INT64_MAX, a negative or non-integer count counts as 0 */
    static const char *prior =
        "{\"type\":\"sweep\",\"start\":\"2026-11-22T01:00:00Z\",\"parts\":["
        "{\"status\":\"interrupted\",\"counts\":{\"traces\":9223372036854775807,"
        "\"probes_sent\":9223372036854775807,\"replies\":-5,\"unmatched\":3},"
        "\"capture\":{\"frames\":9223372036854775807}},"
        "{\"status\":\"running\",\"counts\":{\"traces\":1,\"probes_sent\":9223372036854775807,"
        "\"replies\":1e308,\"unmatched\":-9223372036854775808},"
        "\"capture\":{\"frames\":9223372036854775807}}]}";
    struct kp_options o;
    kp_options_default(&o, KP_CMD_SWEEP);
    struct kp_engine_stats st;
    memset(&st, 0, sizeof(st));
    st.jobs = 10;
    st.probes_sent = 100;
    st.rx_replies = 7;
    st.frames = 200;
    struct kp_sweep_meta m;
    memset(&m, 0, sizeof(m));
    m.opt = &o;
    m.st = &st;
    m.status = "complete";
    m.src = kp_addr_v4(0xc6120102u);
    m.iface = "isp-eu";
    m.traces_written = 10;
    m.planned_total = 20;
    char *s = NULL;
    cr_assert_eq(kp_sweep_meta_merge(prior, strlen(prior), &m, 5, 0, &s), 0);
    json_error_t je;
    json_t *j = json_loads(s, 0, &je);
    cr_assert_not_null(j, "%s", je.text);
    free(s);
    cr_assert_eq(count_at(j, "counts", "probes_sent"), INT64_MAX);
    cr_assert_eq(count_at(j, "counts", "traces"), INT64_MAX);
    cr_assert_eq(count_at(j, "counts", "replies"), 7, "-5 and 1e308 count as 0");
    cr_assert_eq(count_at(j, "counts", "unmatched"), 3);
    cr_assert_eq(count_at(j, "capture", "frames"), INT64_MAX);
    json_t *p1 = json_array_get(json_object_get(j, "parts"), 1);
    cr_assert_eq(count_at(p1, "counts", "traces"), 0,
                 "5 lines in the file, INT64_MAX before the last part");
    json_decref(j);
    kp_options_free(&o);
}

Test(reader_numbers, replay_sweep_json)
{
    static const struct {
        const char *opts;
        int rc;
        const char *msg;
    } cases[] = {
        {"\"max_ttl\":256", -EINVAL, "options.max_ttl: expected an integer in 0..255"},
        {"\"max_ttl\":3.0", -EINVAL, "options.max_ttl: expected an integer in 0..255"},
        {"\"wait_ms\":1e308", -EINVAL, "options.wait_ms: expected an integer"},
        {"\"first_ttl\":-0,\"seed\":\"" TWO_64 "\"", -EINVAL, "options.seed: expected"},
        {"\"seed\":\"NaN\"", -EINVAL, "options.seed: expected"},
        {"\"seed\":-1", -EINVAL, "options.seed: expected"},
        {"\"seed\":" TWO_63, -EINVAL, ""},
        {"\"seed\":\"18446744073709551615\",\"max_ttl\":255", 0, NULL},
    };
    char dir[] = "/tmp/kp-numbers-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char path[64];
    snprintf(path, sizeof(path), "%s/sweep.json", dir);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        FILE *f = fopen(path, "w");
        cr_assert_not_null(f);
        fprintf(f, "{\"type\":\"sweep\",\"options\":{%s}}\n", cases[i].opts);
        fclose(f);
        struct kp_replay_sweep sw;
        memset(&sw, 0, sizeof(sw));
        char err[256] = "";
        cr_assert_eq(kp_replay_read_sweep_json(path, &sw, err, sizeof(err)), cases[i].rc, "%zu: %s",
                     i, err);
        if (cases[i].rc == 0) {
            cr_assert(sw.has_seed);
            cr_assert_eq(sw.seed, UINT64_MAX);
            cr_assert_eq(sw.run.max_ttl, 255);
        } else {
            cr_assert_not_null(strstr(err, cases[i].msg), "%zu: '%s'", i, err);
        }
    }
    unlink(path);
    rmdir(dir);
}

/* ---- PeeringDB ------------------------------------------------------------- */

struct notes_got {
    char why[4][200];
    char path[4][64];
    unsigned long line[4];
    size_t n;
};

static void note(void *ctx, const char *path, unsigned long line, const char *why)
{
    struct notes_got *g = ctx;
    cr_assert_lt(g->n, 4);
    snprintf(g->why[g->n], sizeof(g->why[0]), "%s", why);
    snprintf(g->path[g->n], sizeof(g->path[0]), "%s", path);
    g->line[g->n++] = line;
}

static const struct kp_ixp_rec *ixp_at(struct kp_trie *t, const char *ip)
{
    struct kp_addr a;
    cr_assert_eq(kp_addr_parse(ip, &a), 0);
    return kp_trie_lookup(t, &a, NULL);
}

Test(reader_numbers, peeringdb_ids)
{
    static const char *tmpl =
        "{\"data\":[{\"ixlan_id\":1,\"prefix\":\"198.18.250.0/24\",\"status\":\"ok\"},"
        "{\"ixlan_id\":%s,\"prefix\":\"198.18.251.0/24\",\"status\":\"ok\"},"
        "{\"ixlan_id\":3,\"prefix\":\"198.18.252.0/24\"}]}";
    static const struct {
        const char *num, *why;
    } bad[] = {
        {"4294967296", "data[1].ixlan_id: out of range"},
        {"-1", "data[1].ixlan_id: out of range"},
        {"1e308", "data[1].ixlan_id: not an integer"},
        {"3.0", "data[1].ixlan_id: not an integer"},
        {"1e-320", "data[1].ixlan_id: not an integer"},
        {"\"5\"", "data[1].ixlan_id: not a number"},
        {"\"NaN\"", "data[1].ixlan_id: not a number"},
    };
    char buf[1024], err[200];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        subst(buf, sizeof(buf), tmpl, bad[i].num);
        struct kp_trie *t = kp_trie_new(sizeof(struct kp_ixp_rec));
        struct notes_got g = {0};
        struct kp_load_notes notes = {note, &g, 0};
        cr_assert_eq(kp_peeringdb_parse(buf, strlen(buf), "pdb.json", t, &notes, err, sizeof(err)),
                     2, "%s: %s", bad[i].num, err);
        cr_assert_eq(notes.skipped, 1);
        cr_assert_eq(g.n, 1);
        cr_assert_str_eq(g.why[0], bad[i].why);
        cr_assert_str_eq(g.path[0], "pdb.json");
        cr_assert_eq(g.line[0], 0, "no line in a JSON document");
        cr_assert_null(ixp_at(t, "198.18.251.1"), "%s: entry skipped", bad[i].num);
        cr_assert_eq(ixp_at(t, "198.18.252.1")->ixlan_id, 3, "the next entry is read");
        kp_trie_free(t);
        /* without notes the entry fails the parse */
        t = kp_trie_new(sizeof(struct kp_ixp_rec));
        cr_assert_eq(kp_peeringdb_parse(buf, strlen(buf), "pdb.json", t, NULL, err, sizeof(err)),
                     -EINVAL);
        cr_assert_str_eq(err, bad[i].why);
        kp_trie_free(t);
    }
    static const struct {
        const char *num;
        uint32_t id;
    } good[] = {{"4294967295", 4294967295u}, {"-0", 0}, {"null", 0}};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        subst(buf, sizeof(buf), tmpl, good[i].num);
        struct kp_trie *t = kp_trie_new(sizeof(struct kp_ixp_rec));
        cr_assert_eq(kp_peeringdb_parse(buf, strlen(buf), "pdb.json", t, NULL, err, sizeof(err)), 3,
                     "%s", err);
        cr_assert_eq(ixp_at(t, "198.18.251.1")->ixlan_id, good[i].id);
        kp_trie_free(t);
    }
    /* 2^63 is a JSON syntax error of the whole file */
    subst(buf, sizeof(buf), tmpl, TWO_63);
    struct kp_trie *t = kp_trie_new(sizeof(struct kp_ixp_rec));
    cr_assert_eq(kp_peeringdb_parse(buf, strlen(buf), "pdb.json", t, NULL, err, sizeof(err)),
                 -EINVAL);
    cr_assert_not_null(strstr(err, "line 1 column"), "%s", err);
    kp_trie_free(t);
}

Test(reader_numbers, peeringdb_ixlan_with_bad_id_skips_its_prefixes)
{
    static const char *in =
        "{\"data\":[{\"id\":1e308,\"ix_id\":26,\"name\":\"Bad-IX\",\"ixpfx_set\":["
        "{\"prefix\":\"198.18.253.0/24\",\"status\":\"ok\"}]},"
        "{\"id\":7,\"ix_id\":4294967296.0,\"name\":\"Bad-IX2\",\"ixpfx_set\":[]},"
        "{\"id\":8,\"ix_id\":27,\"name\":\"Good-IX\",\"ixpfx_set\":["
        "{\"prefix\":\"198.18.254.0/24\",\"status\":\"ok\"}]}]}";
    const char *buf = in;
    char err[200];
    struct kp_trie *t = kp_trie_new(sizeof(struct kp_ixp_rec));
    struct notes_got g = {0};
    struct kp_load_notes notes = {note, &g, 0};
    cr_assert_eq(kp_peeringdb_parse(buf, strlen(buf), "pdb.json", t, &notes, err, sizeof(err)), 1,
                 "%s", err);
    cr_assert_eq(g.n, 2);
    cr_assert_str_eq(g.why[0], "data[0].id: not an integer");
    cr_assert_str_eq(g.why[1], "data[1].ix_id: not an integer");
    cr_assert_null(ixp_at(t, "198.18.253.1"));
    cr_assert_str_eq(ixp_at(t, "198.18.254.1")->name, "Good-IX");
    kp_trie_free(t);
}

/* ---- mmdb ---------------------------------------------------------------- */

Test(reader_numbers, mmdb_asn_of_every_number_type)
{
    char err[256] = "";
    int rc;
    struct kp_mmdb *m =
        kp_mmdb_open(KP_TEST_DATA "/asmap/asn-number-types.mmdb", err, sizeof(err), &rc);
    cr_assert_not_null(m, "%s", err);
    /* written by tests/data/asmap/make_mmdb.py; mmdblookup shows the types */
    static const struct {
        const char *ip;
        int rc;
        uint32_t asn;    /* rc 0 */
        const char *err; /* rc -EIO */
    } cases[] = {
        {"198.18.1.1", 0, 64500, NULL},                                       /* uint64 */
        {"198.18.2.1", -EIO, 0, "autonomous_system_number: out of range"},    /* uint64 2^32 */
        {"198.18.3.1", -EIO, 0, "autonomous_system_number: out of range"},    /* int32 -1 */
        {"198.18.4.1", 0, 64501, NULL},                                       /* int32 */
        {"198.18.5.1", 0, 64502, NULL},                                       /* double 64502.0 */
        {"198.18.6.1", -EIO, 0, "autonomous_system_number: out of range"},    /* double 1e308 */
        {"198.18.7.1", -EIO, 0, "autonomous_system_number: not an integer"},  /* double 0.5 */
        {"198.18.8.1", 0, 64503, NULL},                                       /* float */
        {"198.18.9.1", 0, 0, NULL},                                           /* double -0.0 */
        {"198.18.10.1", -EIO, 0, "asn: out of range"},                        /* double -1e308 */
        {"198.18.11.1", -ENOENT, 0, NULL},                                    /* uint128 */
        {"198.18.12.1", 0, 4294967295u, NULL},                                /* 2^32 - 1 */
        {"198.18.13.1", -EIO, 0, "autonomous_system_number: out of range"},   /* 2^32 */
        {"198.18.14.1", -EIO, 0, "autonomous_system_number: not an integer"}, /* 1e-320 */
        {"198.18.15.1", 0, 64504, NULL}, /* IPinfo layout, uint64 */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct kp_addr a;
        struct kp_asn_answer ans;
        cr_assert_eq(kp_addr_parse(cases[i].ip, &a), 0);
        memset(&ans, 0, sizeof(ans));
        err[0] = '\0';
        cr_assert_eq(kp_mmdb_lookup(m, &a, &ans, err, sizeof(err)), cases[i].rc, "%s: %s",
                     cases[i].ip, err);
        if (cases[i].rc == 0) {
            cr_assert_eq(ans.n_asns, 1);
            cr_assert_eq(ans.asns[0], cases[i].asn, "%s", cases[i].ip);
        } else if (cases[i].err != NULL) {
            cr_assert_str_eq(err, cases[i].err, "%s", cases[i].ip);
        }
    }
    kp_mmdb_close(m);
}

/* ---- Team Cymru cache file ------------------------------------------------- */

Test(reader_numbers, cymru_cache_expiry)
{
    char err[256] = "";
    char tmp[] = "/tmp/kp_cymru_numbersXXXXXX";
    int fd = mkstemp(tmp);
    cr_assert_geq(fd, 0);
    static const char *lines = "# kptrace Team Cymru cache v1: kind<TAB>key<TAB>expires<TAB>TXT\n"
                               "N\t203.0.113.1\t2000000000\n"
                               "N\t203.0.113.2\t9223372036854775807\n"
                               "N\t203.0.113.3\t9223372036854775808\n"
                               "N\t203.0.113.4\t" D100 "\n"
                               "N\t203.0.113.5\t+2000000000\n"
                               "N\t203.0.113.6\t 2000000000\n"
                               "N\t203.0.113.7\t2e9\n"
                               "N\t203.0.113.8\t-0\n"
                               "N\t203.0.113.9\t2000000000.0\n";
    cr_assert_eq(write(fd, lines, strlen(lines)), (ssize_t)strlen(lines));
    close(fd);
    struct kp_asmap *m = kp_asmap_new();
    struct kp_cymru_opts o = {.dns_server = "127.0.0.1:9",
                              .cache_path = tmp,
                              .now_s = 1700000000,
                              .timeout_ms = 200,
                              .tries = 1};
    cr_assert_eq(kp_asmap_enable_cymru(m, &o, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(kp_asmap_save_cache(m, err, sizeof(err)), 0, "%s", err);
    kp_asmap_free(m);
    FILE *f = fopen(tmp, "r");
    char buf[4096];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    unlink(tmp);
    /* what was read is saved again: the two good lines only */
    cr_assert_not_null(strstr(buf, "N\t203.0.113.1\t2000000000\n"), "%s", buf);
    cr_assert_not_null(strstr(buf, "N\t203.0.113.2\t9223372036854775807\n"), "%s", buf);
    for (int i = 3; i <= 9; i++) {
        char key[32];
        snprintf(key, sizeof(key), "203.0.113.%d\t", i);
        cr_assert_null(strstr(buf, key), "%s kept:\n%s", key, buf);
    }
}
