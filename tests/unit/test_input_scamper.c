/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for annotator/inputs/input_scamper.c.
 *
 * tests/data/scamper/nk-*.json were written by real scamper 20211212 inside
 * the testbed (make-samples.sh); the hop lists expected below come from the
 * testbed's ground truth (kptb path / truth.json of nk.topo), not from the
 * parser. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annotator/inputs/input.h"

struct got {
    struct kp_trace t[32];
    unsigned long line[32];
    size_t n;
    unsigned long err_line[16];
    char err_field[16][160];
    size_t n_err;
};

static int keep(void *ctx, struct kp_trace *t, unsigned long line)
{
    struct got *g = ctx;
    cr_assert_lt(g->n, 32);
    g->t[g->n] = *t;
    g->line[g->n++] = line;
    kp_trace_init(t);
    return 0;
}

static void on_err(void *ctx, unsigned long line, const char *field, const char *msg)
{
    struct got *g = ctx;
    if (g->n_err < 16) {
        g->err_line[g->n_err] = line;
        snprintf(g->err_field[g->n_err], sizeof(g->err_field[0]), "%s", field);
        g->n_err++;
    }
    (void)msg;
}

static void got_free(struct got *g)
{
    for (size_t i = 0; i < g->n; i++)
        kp_trace_free(&g->t[i]);
}

static struct got G;

static int parse_file(const char *name)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", KP_TEST_DATA, name);
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "%s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    cr_assert_eq(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    memset(&G, 0, sizeof(G));
    struct kp_input_sink sink = {keep, on_err, &G};
    int rc = kp_scamper_parse(b, (size_t)n, &sink);
    free(b);
    return rc;
}

static const struct kp_trace *by_dst(const char *dst)
{
    struct kp_addr a;
    kp_addr_parse(dst, &a);
    for (size_t i = 0; i < G.n; i++)
        if (kp_addr_eq(&G.t[i].dst, &a))
            return &G.t[i];
    return NULL;
}

/* Hop addresses by TTL, "*" for no hop, as the testbed truth writes them. */
static void expect_path(const struct kp_trace *t, const char *const *tokens, size_t n)
{
    char a[KP_ADDR_STRLEN];
    for (size_t i = 0; i < n; i++) {
        const struct kp_hop *h = NULL;
        for (size_t k = 0; k < t->n_hops; k++)
            if (t->hops[k].ttl == i + 1)
                h = &t->hops[k];
        if (strcmp(tokens[i], "*") == 0) {
            cr_assert_null(h, "ttl %zu should be silent", i + 1);
        } else {
            cr_assert_not_null(h, "ttl %zu missing", i + 1);
            cr_assert_str_eq(kp_addr_str(&h->addr, a, sizeof(a)), tokens[i], "ttl %zu", i + 1);
        }
    }
}

Test(input_scamper, real_udp_paris_from_vp_eu)
{
    cr_assert_eq(parse_file("scamper/nk-vp-eu-udp-paris.json"), 0);
    cr_assert_eq(G.n_err, 0);
    cr_assert_eq(G.n, 9, "9 traces; cycle-start and cycle-stop skipped");
    const struct kp_trace *t = by_dst("198.19.176.1");
    cr_assert_not_null(t);
    cr_assert_eq(t->method, KP_METHOD_UDP_PARIS);
    cr_assert_str_eq(t->tool, "scamper");
    cr_assert_str_eq(t->vp, "vm", "the cycle-start hostname");
    cr_assert_eq(t->stop_reason, KP_STOP_COMPLETED);
    char a[KP_ADDR_STRLEN];
    cr_assert_str_eq(kp_addr_str(&t->src, a, sizeof(a)), "198.18.1.2");
    static const char *const p176[] = {
        "198.18.1.1", "198.18.219.1", "198.18.219.14", "198.18.219.22", "*", "*", "198.19.176.1"};
    expect_path(t, p176, 7);
    const struct kp_hop *d = &t->hops[t->n_hops - 1];
    cr_assert(d->flags & KP_HOP_FROM_DST);
    cr_assert_eq(d->icmp_type, 3);
    cr_assert_eq(d->icmp_code, 3);
    cr_assert_gt(d->rtt_ms, 0.0);
    cr_assert_gt(d->tx_ns, t->start_ns - 1);
    cr_assert_neq(t->sport, 0);
    cr_assert_eq(t->dport, 33435);

    const struct kp_trace *x = by_dst("198.19.179.1");
    cr_assert_not_null(x);
    cr_assert_eq(x->stop_reason, KP_STOP_ADMIN_PROHIB);
    static const char *const p179[] = {"198.18.1.1", "198.18.219.1", "198.18.219.14",
                                       "198.18.219.22"};
    expect_path(x, p179, 4);
    cr_assert_eq(x->hops[x->n_hops - 1].icmp_code, 13);

    const struct kp_trace *ttc = by_dst("198.19.177.1");
    static const char *const p177[] = {
        "198.18.1.1", "198.18.188.1", "198.18.188.14", "198.18.188.18", "198.18.188.22", "*",
        "*",          "198.19.177.1"};
    expect_path(ttc, p177, 8);
    got_free(&G);
}

Test(input_scamper, real_icmp_paris_from_vp_asia)
{
    cr_assert_eq(parse_file("scamper/nk-vp-asia-icmp-paris.json"), 0);
    cr_assert_eq(G.n, 9);
    for (size_t i = 0; i < G.n; i++)
        cr_assert_eq(G.t[i].method, KP_METHOD_ICMP_PARIS);
    const struct kp_trace *t = by_dst("198.19.177.1");
    static const char *const p177[] = {"198.18.3.1", "198.18.188.9", "198.18.188.22", "*",
                                       "*",          "198.19.177.1"};
    expect_path(t, p177, 6);
    cr_assert_eq(t->hops[t->n_hops - 1].icmp_type, 0, "echo reply");
    got_free(&G);
}

Test(input_scamper, mpls_other_types_and_errors)
{
    const char *in =
        "{\"type\":\"cycle-start\", \"list_name\":\"x\", \"id\":1, \"hostname\":\"vp-x\"}\n"
        "{\"type\":\"trace\",\"version\":\"0.1\", \"method\":\"icmp-echo-paris\", "
        "\"src\":\"198.18.1.2\", \"dst\":\"198.19.176.1\", \"stop_reason\":\"GAPLIMIT\", "
        "\"stop_data\":0, \"start\":{\"sec\":100, \"usec\":5}, \"hop_count\":3, "
        "\"hops\":[{\"addr\":\"10.9.0.1\", \"probe_ttl\":2, \"probe_id\":2, \"rtt\":4.5, "
        "\"icmp_type\":11, \"icmp_code\":0, \"icmp_q_ttl\":1, \"icmpext\":[{\"ie_cn\":1,"
        "\"ie_ct\":1,\"ie_dl\":4,\"mpls_labels\":[{\"mpls_ttl\":1,\"mpls_s\":1,\"mpls_exp\":2,"
        "\"mpls_label\":16005}]}]}]}\n"
        "{\"type\":\"ping\", \"src\":\"198.18.1.2\"}\n"
        "{\"type\":\"trace\", \"method\":\"warp-drive\", \"dst\":\"198.19.176.1\"}\n"
        "{\"type\":\"trace\", \"method\":\"udp\", \"dst\":\"198.19.176.1\", "
        "\"hops\":[{\"addr\":\"198.18.1.1\"}]}\n"
        "not json\n"
        "{\"type\":\"trace\", \"method\":\"tcp\", \"dst\":\"198.19.176.1\"}\n";
    memset(&G, 0, sizeof(G));
    struct kp_input_sink sink = {keep, on_err, &G};
    cr_assert_eq(kp_scamper_parse(in, strlen(in), &sink), -EINVAL);
    cr_assert_eq(G.n, 2);
    const struct kp_trace *t = &G.t[0];
    cr_assert_str_eq(t->vp, "vp-x");
    cr_assert_eq(t->method, KP_METHOD_ICMP_PARIS);
    cr_assert_eq(t->stop_reason, KP_STOP_GAPLIMIT);
    cr_assert_eq(t->start_ns, 100LL * 1000000000LL + 5000);
    cr_assert_eq(t->n_hops, 1);
    cr_assert_eq(t->hops[0].attempt, 1, "probe_id is 1-based");
    cr_assert_eq(t->hops[0].quoted_ttl, 1);
    cr_assert_eq(t->hops[0].n_mpls, 1);
    cr_assert_eq(t->hops[0].mpls[0].label, 16005);
    cr_assert_eq(t->hops[0].mpls[0].tc, 2);
    cr_assert_eq(G.line[1], 7);
    cr_assert_eq(G.t[1].method, KP_METHOD_TCP_SYN);
    cr_assert_eq(G.n_err, 3);
    cr_assert_eq(G.err_line[0], 4);
    cr_assert_str_eq(G.err_field[0], "method");
    cr_assert_eq(G.err_line[1], 5);
    cr_assert_str_eq(G.err_field[1], "hops[0].probe_ttl");
    cr_assert_eq(G.err_line[2], 6);
    got_free(&G);
}

/* ---- sc_warts2json of a warts file with other measurements, newer scamper
 * keys, IPv6 ---------------------------------------------------------------
 * mixed-warts.json: real scamper 20211212 warts turned into JSON by
 * sc_warts2json (make-mixed.sh); the expectations below are the values of
 * that file's own fields (stop_reason, stop_data, hop_count, type), read
 * with a JSON tool. newer-and-v6.json: line 1 is a real IPv6 trace published
 * by a scamper user (hop list shortened); lines 2-4 are written by hand in
 * the shape of scamper_trace_json.c of 2025 (monitor, rtr, hop name and
 * flags, the "icmp_nhmtu:" key as scamper spells it, pmtud, an ERROR trace
 * with an errno in stop_data, INPROGRESS). */

struct skipped {
    unsigned long line[8];
    char what[8][120];
    size_t n;
};

static void on_skip(void *ctx, unsigned long line, const char *what)
{
    struct skipped *s = ctx;
    if (s->n < 8) {
        s->line[s->n] = line;
        snprintf(s->what[s->n], sizeof(s->what[0]), "%s", what);
        s->n++;
    }
}

static struct skipped S;

static int read_file(const char *name, struct kp_input_skips *sk)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", KP_TEST_DATA, name);
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "%s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    cr_assert_eq(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    memset(&G, 0, sizeof(G));
    memset(&S, 0, sizeof(S));
    *sk = (struct kp_input_skips){on_skip, &S, 0};
    struct kp_input_sink sink = {keep, on_err, &G};
    int rc = kp_scamper_read(b, (size_t)n, &sink, sk);
    free(b);
    return rc;
}

Test(input_scamper, warts2json_with_ping_and_tracelb)
{
    struct kp_input_skips sk;
    cr_assert_eq(read_file("scamper/mixed-warts.json", &sk), 0);
    cr_assert_eq(G.n, 3);
    cr_assert_eq(G.n_err, 0);
    cr_assert_eq(sk.n, 2, "the ping and the tracelb");
    cr_assert_eq(S.line[0], 4);
    cr_assert(strstr(S.what[0], "ping") != NULL, "%s", S.what[0]);
    cr_assert_eq(S.line[1], 6);
    cr_assert(strstr(S.what[1], "tracelb") != NULL, "%s", S.what[1]);
    const struct kp_trace *x = by_dst("198.19.179.1");
    cr_assert_str_eq(x->vp, "vm", "cycle-start hostname");
    cr_assert_eq(x->stop_reason, KP_STOP_ADMIN_PROHIB, "UNREACH, stop_data 13");
    cr_assert_eq(x->stop_ttl, 4);
    cr_assert_eq(x->n_hops, 4);
    const struct kp_trace *g = by_dst("198.19.176.1");
    cr_assert_eq(g->stop_reason, KP_STOP_GAPLIMIT);
    cr_assert_eq(g->stop_ttl, 6, "hop_count");
    cr_assert_eq(g->n_hops, 4);
    const struct kp_trace *c = by_dst("198.19.178.1");
    cr_assert_eq(c->method, KP_METHOD_ICMP_PARIS);
    cr_assert_eq(c->attempts, 2);
    cr_assert_eq(c->stop_reason, KP_STOP_COMPLETED);
    cr_assert_eq(c->n_hops, 6);
    cr_assert_eq(c->hops[5].ttl, 8);
    cr_assert(c->hops[5].flags & KP_HOP_FROM_DST);
    got_free(&G);
}

Test(input_scamper, ipv6_and_newer_scamper_keys)
{
    struct kp_input_skips sk;
    cr_assert_eq(read_file("scamper/newer-and-v6.json", &sk), 0);
    cr_assert_eq(G.n, 4);
    cr_assert_eq(G.n_err, 0);
    cr_assert_eq(sk.n, 0);
    const struct kp_trace *v6 = &G.t[0];
    cr_assert_eq(v6->dst.family, 6);
    cr_assert_eq(v6->stop_reason, KP_STOP_UNREACH_HOST, "ICMPv6 code 3: address unreachable");
    cr_assert_eq(v6->stop_ttl, 7);
    cr_assert_eq(v6->n_hops, 3);
    cr_assert_eq(v6->hops[0].icmp_type, 3, "ICMPv6 time exceeded");
    cr_assert_eq(v6->hops[2].attempt, 2, "probe_id 3");
    const struct kp_trace *n = &G.t[1];
    cr_assert_str_eq(n->vp, "ams-nl", "monitor");
    cr_assert_eq(n->n_hops, 2);
    cr_assert_eq(n->hops[0].icmp_code, 4, "fragmentation needed");
    cr_assert_eq(n->hops[0].probe_size, 1500);
    cr_assert_eq(n->hops[0].tx_ns, 1795305421LL * 1000000000LL + 100000);
    cr_assert(n->hops[1].flags & KP_HOP_FROM_DST);
    cr_assert_eq(n->stop_reason, KP_STOP_COMPLETED);
    const struct kp_trace *e = &G.t[2];
    cr_assert_eq(e->method, KP_METHOD_TCP_ACK, "scamper's tcp-ack");
    cr_assert_eq(e->stop_reason, KP_STOP_ERROR, "stop_data 101 (an errno)");
    cr_assert_eq(e->n_hops, 0);
    const struct kp_trace *p = &G.t[3];
    cr_assert_eq(p->stop_reason, KP_STOP_NONE, "INPROGRESS");
    cr_assert_eq(p->hops[0].tcp_flags, 18);
    cr_assert_eq(p->n_hops, 2);
    cr_assert_eq(p->hops[0].flags & KP_HOP_DUP, 0);
    cr_assert(p->hops[1].flags & KP_HOP_DUP, "a second reply to probe 1 at TTL 1");
    got_free(&G);
}
