/* SPDX-License-Identifier: BSD-2-Clause */
/* The scanner of trace lines (core/record/trace_json_scan.c) against the strict
 * reader (jansson): whatever the scanner accepts, the strict reader accepts
 * and reads into the same record, field by field; kp_trace_json_parse gives
 * the strict reader's result and error on every line. Checked on the fuzz
 * corpus, on generated records written by kp_trace_json_dump (which the
 * scanner must read itself), on mutations of them, and on hand-picked
 * corner cases of JSON numbers, strings and keys. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/prng.h"
#include "core/record/trace_json.h"

static unsigned long n_scanned, n_declined;

/* Compare the three readers on text[0..len). Returns the scanner's rc. */
static int compare(const char *text, size_t len)
{
    struct kp_trace ts, td, tp;
    struct kp_json_error ed, ep;
    int rs = kp_trace_json_scan(text, len, &ts);
    int rd = kp_trace_json_parse_dom(text, len, &td, &ed);
    int rp = kp_trace_json_parse(text, len, &tp, &ep);
    cr_assert(rs == 0 || rs == -EAGAIN, "scanner rc %d", rs);
    cr_assert_eq(rp, rd, "parse %d, strict reader %d on %.*s", rp, rd, (int)len, text);
    if (rs == 0) {
        n_scanned++;
        cr_assert_eq(rd, 0, "scanner accepted what the strict reader refuses (%s: %s): %.*s",
                     ed.field, ed.msg, (int)len, text);
        cr_assert(kp_trace_equal(&ts, &td), "records differ: %.*s", (int)len, text);
        cr_assert(kp_trace_equal(&tp, &td));
        /* and so the line written back is the same too */
        char *a = NULL, *b = NULL;
        size_t al = 0, bl = 0;
        int ra = kp_trace_json_dump(&ts, &a, &al), rb = kp_trace_json_dump(&td, &b, &bl);
        cr_assert_eq(ra, rb);
        if (ra == 0)
            cr_assert(al == bl && memcmp(a, b, al) == 0);
        free(a);
        free(b);
        kp_trace_free(&ts);
    } else {
        n_declined++;
    }
    if (rd == 0) {
        cr_assert(kp_trace_equal(&tp, &td));
        kp_trace_free(&td);
        kp_trace_free(&tp);
    } else {
        cr_assert_str_eq(ep.field, ed.field);
        cr_assert_str_eq(ep.msg, ed.msg);
        cr_assert_eq(ep.column, ed.column);
    }
    return rs;
}

static int compare_str(const char *s)
{
    return compare(s, strlen(s));
}

static uint64_t rnd(uint64_t *st, uint64_t n)
{
    return kp_splitmix64(st) % n;
}

/* A record with every field drawn at random, strings sometimes needing
 * escapes or holding UTF-8 (which the scanner leaves to the strict reader). */
static void random_trace(uint64_t *st, struct kp_trace *t, bool plain)
{
    static const char *const names[] = {"vp-eu",        "", "a\"b", "tab\there", "back\\slash",
                                        "p\xc3\xa9kin", "x"};
    kp_trace_init(t);
    size_t nn = plain ? 2 : sizeof(names) / sizeof(names[0]);
    snprintf(t->vp, sizeof(t->vp), "%s", names[rnd(st, nn)]);
    snprintf(t->tool, sizeof(t->tool), "%s", rnd(st, 2) ? "kptrace" : "");
    snprintf(t->dst_name, sizeof(t->dst_name), "%s", names[rnd(st, nn)]);
    if (rnd(st, 4) == 0) {
        kp_addr_parse("2001:db8::1", &t->src);
        kp_addr_parse("2001:db8:ff::7", &t->dst);
    } else {
        if (rnd(st, 5))
            t->src = kp_addr_v4((uint32_t)kp_splitmix64(st));
        t->dst = kp_addr_v4((uint32_t)kp_splitmix64(st) | 1u);
    }
    t->method = (enum kp_method)rnd(st, KP_METHOD_COUNT);
    t->sport = (uint16_t)rnd(st, 65536);
    t->dport = (uint16_t)rnd(st, 65536);
    t->icmp_id = (uint16_t)rnd(st, 65536);
    t->first_ttl = (uint8_t)rnd(st, 256);
    t->max_ttl = (uint8_t)rnd(st, 256);
    t->attempts = (uint8_t)rnd(st, 256);
    t->gap_limit = (uint8_t)rnd(st, 256);
    t->wait_ms = (uint32_t)kp_splitmix64(st);
    t->probes_sent = (uint32_t)kp_splitmix64(st);
    t->start_ns = (int64_t)(kp_splitmix64(st) % 4000000000000000000ULL);
    t->end_ns = rnd(st, 3) ? t->start_ns + (int64_t)rnd(st, 100000000000ULL) : 0;
    t->stop_reason = (enum kp_stop)rnd(st, KP_STOP_COUNT);
    t->stop_ttl = (uint8_t)rnd(st, 256);
    snprintf(t->ts_source, sizeof(t->ts_source), "%s", rnd(st, 2) ? "kernel" : "");
    t->id = kp_splitmix64(st) >> 1;
    t->meta_msm_id = rnd(st, 2) ? (uint32_t)kp_splitmix64(st) : 0;
    t->meta_prb_id = rnd(st, 2) ? (uint32_t)rnd(st, 100000) : 0;
    size_t nh = rnd(st, 12);
    for (size_t i = 0; i < nh; i++) {
        struct kp_hop h;
        kp_hop_init(&h);
        h.ttl = (uint8_t)rnd(st, 256);
        h.attempt = (uint8_t)rnd(st, 4);
        if (t->dst.family == 6)
            kp_addr_parse(rnd(st, 2) ? "2001:db8::2" : "fe80::1", &h.addr);
        else
            h.addr = kp_addr_v4((uint32_t)kp_splitmix64(st));
        switch (rnd(st, 6)) {
        case 0:
            h.rtt_ms = -1;
            break;
        case 1:
            h.rtt_ms = (double)rnd(st, 1000000) / 1000.0;
            break;
        case 2:
            h.rtt_ms = (double)kp_splitmix64(st) / 1.8446744073709552e19 * 1e9;
            break;
        case 3:
            h.rtt_ms = 1e-7 * (double)rnd(st, 100);
            break;
        case 4:
            h.rtt_ms = (double)rnd(st, 1000);
            break;
        default:
            h.rtt_ms = 123456789.125;
            break;
        }
        h.reply_ttl = (int16_t)((int)rnd(st, 257) - 1);
        h.quoted_ttl = (int16_t)((int)rnd(st, 257) - 1);
        h.icmp_type = (int16_t)((int)rnd(st, 257) - 1);
        h.icmp_code = (int16_t)((int)rnd(st, 257) - 1);
        h.tcp_flags = (uint8_t)rnd(st, 256);
        h.reply_size = (uint16_t)rnd(st, 65536);
        h.probe_size = (uint16_t)rnd(st, 65536);
        h.flags = (uint32_t)rnd(st, 16);
        h.nat_id = (h.flags & KP_HOP_NAT) ? (uint16_t)rnd(st, 65536) : 0;
        h.tx_ns = rnd(st, 3) ? (int64_t)(kp_splitmix64(st) >> 1) : 0;
        h.rx_ns = rnd(st, 3) ? (int64_t)(kp_splitmix64(st) >> 1) : 0;
        h.n_mpls = (uint8_t)rnd(st, 3);
        for (unsigned m = 0; m < h.n_mpls; m++)
            h.mpls[m] = (struct kp_mpls){.label = (uint32_t)rnd(st, 0x100000),
                                         .tc = (uint8_t)rnd(st, 8),
                                         .s = (uint8_t)rnd(st, 2),
                                         .ttl = (uint8_t)rnd(st, 256)};
        kp_trace_add_hop(t, &h);
    }
}

/* One random change: a byte replaced by a JSON-significant one, a byte
 * removed, or a piece of the line repeated. */
static size_t mutate(uint64_t *st, const char *in, size_t n, char *out, size_t cap)
{
    static const char alphabet[] = "{}[]\",:0123456789-+.eEtrufalsn \\\t\n\x01\x80";
    size_t at = n ? rnd(st, n) : 0;
    switch (rnd(st, 3)) {
    case 0:
        memcpy(out, in, n);
        if (n)
            out[at] = alphabet[rnd(st, sizeof(alphabet) - 1)];
        return n;
    case 1:
        memcpy(out, in, at);
        if (n)
            memcpy(out + at, in + at + 1, n - at - 1);
        return n ? n - 1 : 0;
    default: {
        size_t len = rnd(st, 40);
        if (at + len > n)
            len = n - at;
        if (n + len > cap)
            len = 0;
        memcpy(out, in, at + len);
        memcpy(out + at + len, in + at, n - at);
        return n + len;
    }
    }
}

Test(trace_json_scan, reads_what_the_writer_writes_as_the_strict_reader_does)
{
    uint64_t st = 8;
    for (int i = 0; i < 3000; i++) {
        struct kp_trace t;
        bool plain = i % 3 != 0;
        random_trace(&st, &t, plain);
        char *s = NULL;
        size_t len = 0;
        int rc = kp_trace_json_dump(&t, &s, &len);
        if (rc != 0) {
            kp_trace_free(&t);
            continue;
        }
        int rs = compare(s, len);
        /* a line as kptrace writes it is the scanner's to read, unless a
         * string needs escapes, UTF-8 or a real needs an exponent */
        if (plain && strchr(s, 'e') == NULL)
            cr_assert_eq(rs, 0, "scanner declined a plain line: %s", s);
        char buf[8192];
        for (int m = 0; m < 30 && len + 64 < sizeof(buf); m++)
            compare(buf, mutate(&st, s, len, buf, sizeof(buf)));
        free(s);
        kp_trace_free(&t);
    }
    cr_assert_gt(n_scanned, 2000);
    cr_assert_gt(n_declined, 40000);
}

Test(trace_json_scan, fuzz_corpus)
{
    const char *dir = KP_TEST_DATA "/../../fuzz/corpus/trace_json";
    DIR *d = opendir(dir);
    cr_assert_not_null(d);
    struct dirent *e;
    int files = 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "rb");
        cr_assert_not_null(f);
        static char buf[1 << 20];
        size_t n = fread(buf, 1, sizeof(buf), f);
        fclose(f);
        compare(buf, n);
        files++;
    }
    closedir(d);
    cr_assert_gt(files, 5);
}

#define LINE_HEAD                                                                                  \
    "{\"v\":1,\"method\":\"icmp-paris\",\"dst\":\"198.18.1.1\",\"start\":null,"                    \
    "\"stop_reason\":\"none\","

Test(trace_json_scan, corner_cases)
{
    /* read by the scanner */
    cr_assert_eq(compare_str(LINE_HEAD "\"hops\":[]}"), 0);
    cr_assert_eq(compare_str("  \r\n\t{ \"hops\" : [ ] , \"stop_reason\":\"none\",\"start\":"
                             "\"2026-01-01T00:00:00Z\",\"dst\":\"::1\",\"method\":\"udp\",\"v\":1}"
                             " \n\n"),
                 0);
    cr_assert_eq(compare_str(LINE_HEAD "\"hops\":[{\"ttl\":1,\"addr\":\"1.2.3.4\",\"rtt_ms\":-0.0,"
                                       "\"tx_ns\":9223372036854775807,\"mpls\":[]}]}"),
                 0);
    cr_assert_eq(compare_str(LINE_HEAD "\"hops\":[{\"ttl\":1,\"addr\":\"1.2.3.4\",\"rtt_ms\":"
                                       "0.000000000000000000001}]}"),
                 0);
    cr_assert_eq(compare_str(LINE_HEAD "\"hops\":[{\"ttl\":1,\"addr\":\"1.2.3.4\",\"rtt_ms\":"
                                       "999999999.999999}]}"),
                 0);
    cr_assert_eq(compare_str(LINE_HEAD "\"hops\":[],\"hop_count\":0,\"id\":-0,\"end\":\"\"}"), 0);
    /* left to the strict reader, which reads them */
    cr_assert_eq(compare_str(LINE_HEAD "\"hops\":[],\"vp\":\"\\u0076p\"}"), -EAGAIN);
    cr_assert_eq(compare_str(LINE_HEAD "\"hops\":[],\"\\u0076p\":\"x\"}"), -EAGAIN);
    cr_assert_eq(
        compare_str(LINE_HEAD "\"hops\":[{\"ttl\":1,\"addr\":\"1.2.3.4\",\"rtt_ms\":1e2}]}"),
        -EAGAIN);
    cr_assert_eq(compare_str(LINE_HEAD "\"hops\":[{\"ttl\":1,\"addr\":\"1.2.3.4\",\"rtt_ms\":"
                                       "1.2345678901234567}]}"),
                 -EAGAIN);
    cr_assert_eq(compare_str(LINE_HEAD "\"hops\":[],\"dst_name\":\"p\xc3\xa9kin\"}"), -EAGAIN);
    /* refused by both: the message is the strict reader's */
    static const char *const bad[] = {
        LINE_HEAD "\"hops\":[],}",
        LINE_HEAD "\"hops\":[],\"v\":1}",
        LINE_HEAD "\"hops\":[] x",
        LINE_HEAD "\"hops\":[]}{}",
        LINE_HEAD "\"hops\":[],\"id\":01}",
        LINE_HEAD "\"hops\":[],\"id\":9223372036854775808}",
        LINE_HEAD "\"hops\":[],\"id\":-1}",
        LINE_HEAD "\"hops\":[],\"id\":1.0}",
        LINE_HEAD "\"hops\":[],\"hop_count\":1}",
        LINE_HEAD "\"hops\":[],\"hop_count\":null}",
        LINE_HEAD "\"hops\":[],\"type\":\"trac\"}",
        LINE_HEAD "\"hops\":[],\"src\":\"\"}",
        LINE_HEAD "\"hops\":[],\"src\":\"1.2.3\"}",
        LINE_HEAD "\"hops\":[],\"unknown\":1}",
        LINE_HEAD "\"hops\":{}}",
        LINE_HEAD "\"hops\":[1]}",
        LINE_HEAD "\"hops\":[{\"addr\":\"1.2.3.4\"}]}",
        LINE_HEAD "\"hops\":[{\"ttl\":1}]}",
        LINE_HEAD "\"hops\":[{\"ttl\":1,\"addr\":null}]}",
        LINE_HEAD "\"hops\":[{\"ttl\":256,\"addr\":\"1.2.3.4\"}]}",
        LINE_HEAD "\"hops\":[{\"ttl\":1,\"addr\":\"1.2.3.4\",\"rtt_ms\":1000000000.5}]}",
        LINE_HEAD "\"hops\":[{\"ttl\":1,\"addr\":\"1.2.3.4\",\"rtt_ms\":-1}]}",
        LINE_HEAD "\"hops\":[{\"ttl\":1,\"addr\":\"1.2.3.4\",\"rtt_ms\":\"1\"}]}",
        LINE_HEAD "\"hops\":[{\"ttl\":1,\"addr\":\"1.2.3.4\",\"rtt_ms\":1.}]}",
        LINE_HEAD "\"hops\":[{\"ttl\":1,\"addr\":\"1.2.3.4\",\"late\":null}]}",
        LINE_HEAD "\"hops\":[{\"ttl\":1,\"addr\":\"1.2.3.4\",\"tx_ns\":0}]}",
        LINE_HEAD "\"hops\":[{\"ttl\":1,\"addr\":\"1.2.3.4\",\"mpls\":[{\"tc\":1}]}]}",
        LINE_HEAD "\"hops\":[{\"ttl\":1,\"addr\":\"1.2.3.4\",\"mpls\":[{\"label\":1},]}]}",
        LINE_HEAD "\"hops\":[{\"ttl\":1,\"addr\":\"1.2.3.4\",\"mpls\":[{\"label\":1048576}]}]}",
        LINE_HEAD "\"hops\":[{\"ttl\":1,\"addr\":\"1.2.3.4\",\"ttl\":2}]}",
        LINE_HEAD "\"hops\":[],\"vp\":\"a\x01\"}",
        LINE_HEAD "\"hops\":[],\"vp\":\"\\u0000\"}",
        LINE_HEAD "\"hops\":[],\"vp\":\"\xff\"}",
        LINE_HEAD "\"hops\":[],\"start\":\"yesterday\"}",
        LINE_HEAD "\"hops\":[],\"method\":\"icmp-paris\"}",
        "{\"v\":1,\"method\":\"icmp-paris\",\"start\":null,\"stop_reason\":\"none\",\"hops\":[]}",
        "[]",
        "",
        "nul",
        LINE_HEAD "\"hops\":[]",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct kp_trace t;
        struct kp_json_error e;
        cr_assert_eq(compare_str(bad[i]), -EAGAIN, "%s", bad[i]);
        cr_assert_eq(kp_trace_json_parse(bad[i], strlen(bad[i]), &t, &e), -EINVAL, "%s", bad[i]);
    }
}
