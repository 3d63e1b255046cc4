/* SPDX-License-Identifier: BSD-2-Clause */
/* test_replay_file.c — kp_replay_file on the committed captures: one per link
 * type and timestamp precision, and the malformed ones.
 *
 * Expected hops come from what traceroute printed while the capture was made
 * (tests/data/pcap/<name>.out), frame and probe counts from tshark
 * (<name>.tshark, <name>.probes); see make_fixtures.sh. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/pcap_file.h"
#include "io/replay.h"

#define DATA KP_TEST_DATA "/pcap/"
#define MAXT 16

struct got {
    size_t n;
    struct kp_trace t[MAXT];
};

static void collect(void *ctx, struct kp_trace *t)
{
    struct got *g = ctx;
    cr_assert_lt(g->n, MAXT);
    kp_trace_init(&g->t[g->n]);
    cr_assert_eq(kp_trace_copy(&g->t[g->n], t), 0);
    g->n++;
}

static void got_free(struct got *g)
{
    for (size_t i = 0; i < g->n; i++)
        kp_trace_free(&g->t[i]);
    g->n = 0;
}

/* What traceroute -q 1 printed for one run: per TTL the address ("" for *),
 * its RTT and whether "!X" followed. */
struct want {
    char dst[KP_ADDR_STRLEN];
    int last_ttl;
    char addr[32][KP_ADDR_STRLEN];
    double rtt[32];
    int bang_x[32];
};

/* Parse the run-th "traceroute to" block of NAME.out. */
static void parse_out(const char *name, int run, struct want *w)
{
    memset(w, 0, sizeof(*w));
    char path[512], line[512];
    snprintf(path, sizeof(path), DATA "%s.out", name);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s", path);
    int cur = -1;
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, "traceroute to ", 14) == 0) {
            cur++;
            if (cur == run)
                sscanf(line + 14, "%45s", w->dst);
            continue;
        }
        int ttl;
        char a[64] = "", b[64] = "", c[64] = "", d[64] = "";
        if (cur != run || sscanf(line, "%d %63s %63s %63s %63s", &ttl, a, b, c, d) < 2)
            continue;
        cr_assert(ttl > 0 && ttl < 32);
        w->last_ttl = ttl;
        if (strcmp(a, "*") != 0) {
            snprintf(w->addr[ttl], KP_ADDR_STRLEN, "%s", a);
            w->rtt[ttl] = atof(b);
            w->bang_x[ttl] = strcmp(d, "!X") == 0;
        }
    }
    fclose(f);
    cr_assert_gt(w->last_ttl, 0, "%s: run %d not found", name, run);
}

static const struct kp_trace *find(const struct got *g, const char *dst)
{
    for (size_t i = 0; i < g->n; i++) {
        char buf[KP_ADDR_STRLEN];
        if (strcmp(kp_addr_str(&g->t[i].dst, buf, sizeof(buf)), dst) == 0)
            return &g->t[i];
    }
    cr_assert_fail("no replayed trace to %s", dst);
    return NULL;
}

/* The replayed trace agrees with the tool's output up to the last TTL it
 * printed: same address per TTL (none for '*'), RTT on the wire no larger
 * than the tool's user-space RTT, !X where it printed !X. */
static void check_run(const struct got *g, const char *name, int run, const char *file)
{
    struct want w;
    parse_out(name, run, &w);
    const struct kp_trace *t = find(g, w.dst);
    cr_assert_str_eq(t->tool, "traceroute", "%s", file);
    cr_assert_eq(t->method, KP_METHOD_UDP);
    for (int ttl = 1; ttl <= w.last_ttl; ttl++) {
        const struct kp_hop *h = NULL;
        for (size_t i = 0; i < t->n_hops; i++)
            if (t->hops[i].ttl == ttl && !(t->hops[i].flags & KP_HOP_DUP))
                h = &t->hops[i];
        char buf[KP_ADDR_STRLEN];
        if (w.addr[ttl][0] == '\0') {
            cr_assert_null(h, "%s to %s ttl %d: tool printed *, replay has a hop", file, w.dst,
                           ttl);
            continue;
        }
        cr_assert_not_null(h, "%s to %s ttl %d: no replayed hop (tool: %s)", file, w.dst, ttl,
                           w.addr[ttl]);
        cr_assert_str_eq(kp_addr_str(&h->addr, buf, sizeof(buf)), w.addr[ttl], "%s ttl %d", file,
                         ttl);
        cr_assert(h->rtt_ms > 0 && h->rtt_ms <= w.rtt[ttl] + 0.001,
                  "%s ttl %d: wire rtt %.6f ms vs traceroute's %.3f ms", file, ttl, h->rtt_ms,
                  w.rtt[ttl]);
        cr_assert_eq(h->icmp_type == 3 && h->icmp_code == 13, w.bang_x[ttl] != 0, "%s ttl %d: !X",
                     file, ttl);
    }
    if (w.bang_x[w.last_ttl])
        cr_assert_eq(t->stop_reason, KP_STOP_ADMIN_PROHIB, "%s", file);
    else
        cr_assert_eq(t->stop_reason, KP_STOP_COMPLETED, "%s", file);
    cr_assert_eq(t->stop_ttl, w.last_ttl, "%s to %s", file, w.dst);
}

static void replay(const char *file, struct got *g, struct kp_replay_stats *st)
{
    char path[512], err[KP_PCAP_ERRLEN];
    snprintf(path, sizeof(path), DATA "%s", file);
    struct kp_replay_opts o;
    kp_replay_opts_init(&o);
    o.vp = "vp-test";
    g->n = 0;
    int rc = kp_replay_file(path, &o, collect, g, st, err, sizeof(err));
    cr_assert_eq(rc, 0, "%s: %s", file, err);
}

/* traceroute -q 1 to 198.18.3.2 and to 198.18.4.1 (!X), captured on each
 * link type */
static void check_two_runs(const char *name, const char *file)
{
    struct got g;
    struct kp_replay_stats st;
    replay(file, &g, &st);
    cr_assert_eq(g.n, 2, "%s: %zu traces", file, g.n);
    check_run(&g, name, 0, file);
    check_run(&g, name, 1, file);
    cr_assert_str_eq(g.t[0].vp, "vp-test");
    cr_assert_eq(st.files, 1);
    cr_assert_eq(st.files_cut, 0);
    got_free(&g);
}

Test(replay_file, ethernet_pcap_ns)
{
    check_two_runs("lt_eth_ns", "lt_eth_ns.pcap");
}
Test(replay_file, ethernet_pcapng)
{
    check_two_runs("lt_eth", "lt_eth.pcapng");
}
Test(replay_file, linux_sll_v1)
{
    check_two_runs("lt_sll", "lt_sll.pcap");
}
Test(replay_file, linux_sll_v2)
{
    check_two_runs("lt_sll2", "lt_sll2.pcap");
}
Test(replay_file, raw_ip)
{
    check_two_runs("lt_raw", "lt_raw.pcap");
}
Test(replay_file, null_loopback)
{
    check_two_runs("lt_null", "lt_null.pcap");
}

Test(replay_file, ethernet_pcap_us_three_queries)
{
    /* tr_udp: default -q 3, three destinations (one with a silent first hop);
     * check the first query's address per TTL through the same parser: every
     * query answered from the same router here */
    struct got g;
    struct kp_replay_stats st;
    replay("tr_udp.pcap", &g, &st);
    cr_assert_eq(g.n, 3);
    for (size_t i = 0; i < g.n; i++) {
        const struct kp_trace *t = &g.t[i];
        /* 3 attempts per TTL up to the stop TTL */
        for (int ttl = 1; ttl <= t->stop_ttl; ttl++) {
            int n = 0;
            for (size_t k = 0; k < t->n_hops; k++)
                n += t->hops[k].ttl == ttl;
            char d[KP_ADDR_STRLEN];
            kp_addr_str(&t->dst, d, sizeof(d));
            /* 198.18.5.1: r1 is silent at TTL 1 (traceroute printed * * *) */
            cr_assert_eq(n, strcmp(d, "198.18.5.1") == 0 && ttl == 1 ? 0 : 3, "%s ttl %d: %d", d,
                         ttl, n);
        }
    }
    got_free(&g);
}

Test(replay_file, nanoseconds_kept)
{
    /* tshark shows sub-microsecond digits in lt_eth_ns.pcap */
    struct got g;
    struct kp_replay_stats st;
    replay("lt_eth_ns.pcap", &g, &st);
    int sub_us = 0;
    for (size_t i = 0; i < g.n; i++)
        for (size_t k = 0; k < g.t[i].n_hops; k++)
            sub_us += g.t[i].hops[k].tx_ns % 1000 != 0 || g.t[i].hops[k].rx_ns % 1000 != 0;
    cr_assert_gt(sub_us, 0);
    got_free(&g);
}

Test(replay_file, snaplen_70_keeps_8_byte_quotes)
{
    struct got g;
    struct kp_replay_stats st;
    replay("snap70.pcap", &g, &st);
    cr_assert_eq(g.n, 1);
    check_run(&g, "snap70", 0, "snap70.pcap");
    cr_assert_gt(st.frames_snapped, 0);
    got_free(&g);
}

Test(replay_file, snaplen_cut_quotes_counted_not_matched)
{
    /* -s 60: the quotes lack the transport header. 6 probes (tshark), none
     * matched; every reply counted as unmatched; every frame counted cut. */
    struct got g;
    struct kp_replay_stats st;
    replay("bad_snap60.pcap", &g, &st);
    cr_assert_eq(st.rx.probes, 6);
    cr_assert_eq(st.rx.replies, 0);
    cr_assert_eq(st.rx.unmatched + st.rx.ambiguous + st.rx.rejected, 6);
    cr_assert_eq(st.frames, 12);
    cr_assert_eq(st.frames_snapped, 12);
    cr_assert_eq(g.n, 1);
    cr_assert_eq(g.t[0].n_hops, 0);
    got_free(&g);
}

Test(replay_file, cut_file_keeps_what_was_read)
{
    struct got g;
    struct kp_replay_stats st;
    char err[KP_PCAP_ERRLEN];
    g.n = 0;
    int rc = kp_replay_file(DATA "bad_cutfile.pcap", NULL, collect, &g, &st, err, sizeof(err));
    cr_assert_eq(rc, 0);
    cr_assert_eq(st.files_cut, 1);
    cr_assert(strstr(err, "bad_cutfile.pcap") && strstr(err, "offset"), "%s", err);
    /* the cut is in the very last frame (a reply of the second run): the
     * first run is whole */
    cr_assert_eq(g.n, 2);
    check_run(&g, "lt_eth_ns", 0, "bad_cutfile.pcap");
    got_free(&g);
}

Test(replay_file, garbage_and_text)
{
    struct got g = {0};
    struct kp_replay_stats st;
    char err[KP_PCAP_ERRLEN];
    cr_assert_eq(kp_replay_file(DATA "bad_garbage.pcap", NULL, collect, &g, &st, err, sizeof(err)),
                 0);
    cr_assert_eq(st.files_cut, 1);
    cr_assert_eq(st.frames, 0);
    cr_assert_eq(g.n, 0);
    cr_assert_eq(kp_replay_file(DATA "bad_text.pcap", NULL, collect, &g, &st, err, sizeof(err)),
                 -EINVAL);
    cr_assert(strstr(err, "bad_text.pcap") && strstr(err, "offset 0"), "%s", err);
    cr_assert_eq(g.n, 0);
}

Test(replay_file, several_files_one_stream)
{
    /* two captures given together: traces of both come out */
    const char *paths[] = {DATA "lt_raw.pcap", DATA "tr_udp.pcap"};
    struct got g = {0};
    struct kp_replay_stats st;
    char err[KP_PCAP_ERRLEN];
    cr_assert_eq(kp_replay_files(paths, 2, NULL, collect, &g, &st, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(st.files, 2);
    cr_assert_eq(g.n, 5);
    got_free(&g);
}

Test(replay_file, duplicates_and_out_of_order_counted)
{
    /* bad_dup_ooo.pcap: lt_eth_ns.pcap with every frame twice and two frames
     * of different traces swapped (make_dup_ooo.py): the same traces as the
     * original, 12 duplicate probes, 12 duplicate replies, one timestamp
     * going backwards */
    struct got g;
    struct kp_replay_stats st;
    replay("bad_dup_ooo.pcap", &g, &st);
    cr_assert_eq(st.frames, 48);
    cr_assert_eq(st.rx.probes, 12);
    cr_assert_eq(st.rx.probes_dup, 12);
    cr_assert_eq(st.rx.replies, 12);
    cr_assert_eq(st.rx.dup_frames, 12);
    cr_assert_eq(st.rx.ts_backwards, 1);
    cr_assert_eq(g.n, 2);
    check_run(&g, "lt_eth_ns", 0, "bad_dup_ooo.pcap");
    check_run(&g, "lt_eth_ns", 1, "bad_dup_ooo.pcap");
    got_free(&g);
}

/* The offset of the first record of a little-endian pcap that does not fit
 * in the file (its header or its data cut), worked out from the format:
 * a 24-byte file header, then records of a 16-byte header and caplen bytes. */
static long first_cut_record(const char *path)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f);
    uint8_t b[1 << 16];
    size_t n = fread(b, 1, sizeof(b), f);
    fclose(f);
    size_t off = 24;
    while (off + 16 <= n) {
        size_t cap = (size_t)b[off + 8] | (size_t)b[off + 9] << 8 | (size_t)b[off + 10] << 16 |
                     (size_t)b[off + 11] << 24;
        if (off + 16 + cap > n)
            break;
        off += 16 + cap;
    }
    return (long)off;
}

Test(replay_file, cut_file_stops_the_stream)
{
    /* a cut capture followed by another: reading stops at the damage (the
     * second file is not read), whose offset the message names; the traces
     * of the first file up to it are delivered */
    const char *paths[] = {DATA "bad_cutfile.pcap", DATA "lt_raw.pcap"};
    struct got g = {0};
    struct kp_replay_stats st;
    char err[KP_PCAP_ERRLEN], want[64];
    cr_assert_eq(kp_replay_files(paths, 2, NULL, collect, &g, &st, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(st.files, 1);
    cr_assert_eq(st.files_cut, 1);
    snprintf(want, sizeof(want), "at offset %ld ", first_cut_record(DATA "bad_cutfile.pcap"));
    cr_assert(strstr(err, "bad_cutfile.pcap") && strstr(err, want), "%s (want '%s')", err, want);
    cr_assert_eq(g.n, 2);
    check_run(&g, "lt_eth_ns", 0, "bad_cutfile.pcap");
    got_free(&g);
}

Test(replay_file, counts_reconcile)
{
    static const char *const files[] = {"mixed.pcap",    "bad_dup_ooo.pcap", "bad_snap60.pcap",
                                        "snap70.pcap",   "mtr_tcp.pcap",     "sc_tcp.pcap",
                                        "tcptr.pcap",    "lt_sll2.pcap",     "bad_cutfile.pcap",
                                        "lt_eth.pcapng", "tr_icmp.pcap"};
    char msg[256];
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        char path[512], err[KP_PCAP_ERRLEN];
        snprintf(path, sizeof(path), DATA "%s", files[i]);
        struct kp_replay_stats st;
        cr_assert_eq(kp_replay_file(path, NULL, NULL, NULL, &st, err, sizeof(err)), 0, "%s", err);
        cr_assert_eq(kp_replay_reconcile(&st, msg, sizeof(msg)), 0, "%s: %s", files[i], msg);
        cr_assert_gt(st.frames, 0);
        cr_assert_eq(st.trace_probes, st.rx.probes, "%s", files[i]);
    }
    /* any count off by one is named */
    struct kp_replay_stats st, bad;
    char err[KP_PCAP_ERRLEN];
    cr_assert_eq(kp_replay_file(DATA "mixed.pcap", NULL, NULL, NULL, &st, err, sizeof(err)), 0);
    bad = st;
    bad.frames++;
    cr_assert_eq(kp_replay_reconcile(&bad, msg, sizeof(msg)), -1);
    cr_assert(strstr(msg, "frames read"), "%s", msg);
    bad = st;
    bad.rx.unmatched++;
    cr_assert_eq(kp_replay_reconcile(&bad, msg, sizeof(msg)), -1);
    cr_assert(strstr(msg, "frames received") && strstr(msg, "counted"), "%s", msg);
    bad = st;
    bad.trace_probes--;
    cr_assert_eq(kp_replay_reconcile(&bad, msg, sizeof(msg)), -1);
    cr_assert(strstr(msg, "probes recognised"), "%s", msg);
    bad = st;
    bad.trace_hops++;
    cr_assert_eq(kp_replay_reconcile(&bad, msg, sizeof(msg)), -1);
    cr_assert(strstr(msg, "hops"), "%s", msg);
    bad = st;
    bad.traces--;
    cr_assert_eq(kp_replay_reconcile(&bad, msg, sizeof(msg)), -1);
    cr_assert(strstr(msg, "traces opened"), "%s", msg);
}
