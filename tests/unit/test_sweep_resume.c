/* SPDX-License-Identifier: BSD-2-Clause */
/* The pure parts of `kptrace sweep --resume` (prober/cmd/sweep_resume.c and the
 * resume half of prober/cmd/sweep_meta.c): which (target, method) pairs remain
 * given a traces.jsonl, where a line cut by a crash starts, the trace id the
 * next part starts at, the end of a pcap file's last complete record, the
 * options read back from sweep.json, and the merge of sweep.json over the
 * parts. Expected values are worked out by hand from the inputs written here
 * (docs/format.md for sweep.json, the pcap file format for the capture). */
#include <criterion/criterion.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/plan/jobs.h"
#include "prober/cmd/options.h"
#include "prober/cmd/sweep_meta.h"
#include "prober/cmd/sweep_resume.h"

/* 198.19.176.0/30 and 198.19.177.8/31: 6 addresses, x 2 methods = 12 jobs. */
static const struct kp_target_range R[] = {
    {.base = 0xc613b000u, .count = 4, .name = ""},
    {.base = 0xc613b108u, .count = 2, .name = ""},
};
static const enum kp_method M[] = {KP_METHOD_ICMP_PARIS, KP_METHOD_UDP_PARIS};

#define LINE(id, m, dst)                                                                           \
    "{\"v\":1,\"type\":\"trace\",\"id\":" #id ",\"method\":\"" m "\",\"dst\":\"" dst               \
    "\",\"start\":\"2026-11-22T00:00:00Z\",\"stop_reason\":\"completed\",\"hops\":[]}\n"

static struct kp_jobs J;

static void jobs_up(void)
{
    cr_assert_eq(kp_jobs_init(&J, R, 2, 2, 1, NULL), 0);
}

static void jobs_down(void)
{
    kp_jobs_free(&J);
}

/* done[] as 12 booleans */
static void bits(const uint64_t *done, uint8_t out[12])
{
    for (int i = 0; i < 12; i++)
        out[i] = kp_jobs_bit(done, (uint64_t)i);
}

Test(sweep_resume, job_index_natural_order, .init = jobs_up, .fini = jobs_down)
{
    cr_assert_eq(J.n, 12);
    cr_assert_eq(kp_jobs_index(&J, 0xc613b000u, 0), 0);
    cr_assert_eq(kp_jobs_index(&J, 0xc613b000u, 1), 1);
    cr_assert_eq(kp_jobs_index(&J, 0xc613b003u, 1), 7);
    cr_assert_eq(kp_jobs_index(&J, 0xc613b108u, 0), 8);
    cr_assert_eq(kp_jobs_index(&J, 0xc613b109u, 1), 11);
    cr_assert_eq(kp_jobs_index(&J, 0xc613b004u, 0), -1);
    cr_assert_eq(kp_jobs_index(&J, 0xc613b10au, 0), -1);
}

Test(sweep_resume, remaining_pairs_and_cut_line, .init = jobs_up, .fini = jobs_down)
{
    const char *text = LINE(3, "icmp-paris", "198.19.176.0") "\n" /* a blank line */
        LINE(9, "udp-paris", "198.19.176.3")
            LINE(4, "udp-paris", "198.19.177.9") "{\"v\":1,\"type\":\"trace\",\"id\":12,\"meth";
    uint64_t done[1] = {0};
    struct kp_resume_scan s;
    char err[256] = "";
    int rc = kp_resume_scan(text, strlen(text), "traces.jsonl", &J, M, done, &s, NULL, NULL, err,
                            sizeof(err));
    cr_assert_eq(rc, 0, "%s", err);
    uint8_t want[12] = {1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1}, got[12];
    bits(done, got);
    cr_assert_arr_eq(got, want, 12);
    cr_assert_eq(s.lines, 3);
    cr_assert_eq(s.duplicates, 0);
    cr_assert_eq(s.max_id, 9);
    cr_assert_eq(s.cut_line, 5);
    cr_assert_eq(s.cut_bytes, strlen("{\"v\":1,\"type\":\"trace\",\"id\":12,\"meth"));
    cr_assert_eq(s.valid_len, strlen(text) - s.cut_bytes);
    cr_assert_eq(text[s.valid_len - 1], '\n');
}

Test(sweep_resume, complete_file_has_no_cut_and_duplicates_count_once, .init = jobs_up,
     .fini = jobs_down)
{
    const char *text = LINE(1, "icmp-paris", "198.19.176.1") LINE(2, "icmp-paris", "198.19.176.1");
    uint64_t done[1] = {0};
    struct kp_resume_scan s;
    char err[256] = "";
    cr_assert_eq(
        kp_resume_scan(text, strlen(text), "t", &J, M, done, &s, NULL, NULL, err, sizeof(err)), 0);
    cr_assert_eq(s.cut_bytes, 0);
    cr_assert_eq(s.cut_line, 0);
    cr_assert_eq(s.valid_len, strlen(text));
    cr_assert_eq(s.lines, 2);
    cr_assert_eq(s.duplicates, 1);
    cr_assert(kp_jobs_bit(done, 2));
}

Test(sweep_resume, corrupt_line_named, .init = jobs_up, .fini = jobs_down)
{
    const char *text = LINE(1, "icmp-paris", "198.19.176.1") "{\"v\":1,\"type\":\"trace\"}\n";
    uint64_t done[1] = {0};
    struct kp_resume_scan s;
    char err[256] = "";
    cr_assert_eq(kp_resume_scan(text, strlen(text), "d/traces.jsonl", &J, M, done, &s, NULL, NULL,
                                err, sizeof(err)),
                 -EINVAL);
    cr_assert(strncmp(err, "d/traces.jsonl:2: ", 18) == 0, "%s", err);
}

Test(sweep_resume, foreign_pair_refused, .init = jobs_up, .fini = jobs_down)
{
    const char *t1 = LINE(1, "icmp-paris", "198.19.176.4");
    const char *t2 = LINE(1, "tcp-syn", "198.19.176.1");
    uint64_t done[1] = {0};
    struct kp_resume_scan s;
    char err[256] = "";
    cr_assert_eq(kp_resume_scan(t1, strlen(t1), "t", &J, M, done, &s, NULL, NULL, err, sizeof(err)),
                 -EINVAL);
    cr_assert(strstr(err, "t:1: 198.19.176.4 with icmp-paris is not") != NULL, "%s", err);
    cr_assert_eq(kp_resume_scan(t2, strlen(t2), "t", &J, M, done, &s, NULL, NULL, err, sizeof(err)),
                 -EINVAL);
    cr_assert(strstr(err, "tcp-syn") != NULL, "%s", err);
}

static void count_rec(void *ctx, const struct kp_trace *t, unsigned mi)
{
    unsigned *n = ctx;
    n[mi]++;
    (void)t;
}

Test(sweep_resume, records_handed_with_method_index, .init = jobs_up, .fini = jobs_down)
{
    const char *text = LINE(1, "udp-paris", "198.19.176.1") LINE(2, "udp-paris", "198.19.176.2")
        LINE(3, "icmp-paris", "198.19.176.2");
    uint64_t done[1] = {0};
    struct kp_resume_scan s;
    char err[256] = "";
    unsigned n[2] = {0, 0};
    cr_assert_eq(
        kp_resume_scan(text, strlen(text), "t", &J, M, done, &s, count_rec, n, err, sizeof(err)),
        0);
    cr_assert_eq(n[0], 1);
    cr_assert_eq(n[1], 2);
}

Test(sweep_resume, next_id)
{
    cr_assert_eq(kp_resume_next_id(0, 0, false, 16), 1);
    cr_assert_eq(kp_resume_next_id(304, 0, false, 150), 305);
    /* a part that stopped on an error before writing its records (a full
     * disk) used ids 1..1024: sweep.json's next_trace_id says so */
    cr_assert_eq(kp_resume_next_id(0, 1025, false, 1000), 1025);
    cr_assert_eq(kp_resume_next_id(2000, 1025, false, 1000), 2001);
    /* a crash: next_trace_id is the part's first id (written at its start) */
    cr_assert_eq(kp_resume_next_id(0, 500, true, 100), 500 + 200);
    /* after a crash, up to max_active traces may have probed without a
     * record, and as many finished ones whose records were not written */
    cr_assert_eq(kp_resume_next_id(304, 0, true, 150), 605);
    /* 32-bit ids: beyond 15 bits they go on; 0 is never used */
    cr_assert_eq(kp_resume_next_id(32767, 0, false, 16), 32768);
    cr_assert_eq(kp_resume_next_id(196608, 0, true, 10000), 216609);
    cr_assert_eq(kp_resume_next_id(0xffffffffull, 0, false, 16), 1);
}

static void le32(uint8_t *p, uint32_t v)
{
    p[0] = v & 0xff;
    p[1] = (v >> 8) & 0xff;
    p[2] = (v >> 16) & 0xff;
    p[3] = v >> 24;
}

Test(sweep_resume, pcap_tail)
{
    uint8_t b[24 + 16 + 40 + 16 + 60 + 10];
    memset(b, 0, sizeof(b));
    le32(b, 0xa1b23c4du); /* ns magic, little-endian */
    b[4] = 2;
    b[6] = 4;
    le32(b + 16, 2048);
    le32(b + 20, 1);
    le32(b + 24 + 8, 40);
    le32(b + 24 + 12, 40);
    le32(b + 80 + 8, 60);
    le32(b + 80 + 12, 60);
    /* + 10 bytes of a third record header cut by a crash */
    FILE *f = tmpfile();
    cr_assert_not_null(f);
    uint64_t end, frames, size;
    char err[128];
    for (size_t len = 0; len <= sizeof(b); len++) {
        cr_assert_eq(ftruncate(fileno(f), 0), 0);
        rewind(f);
        cr_assert_eq(fwrite(b, 1, len, f), len);
        fflush(f);
        int rc = kp_resume_pcap_tail(f, &end, &frames, &size, err, sizeof(err));
        if (len < 24) {
            cr_assert_eq(rc, -EINVAL);
            continue;
        }
        cr_assert_eq(rc, 0, "%s", err);
        cr_assert_eq(size, len);
        uint64_t want = len >= 156 ? 156 : len >= 80 ? 80 : 24;
        cr_assert_eq(end, want, "len %zu: end %llu", len, (unsigned long long)end);
        cr_assert_eq(frames, want == 156 ? 2 : want == 80 ? 1 : 0);
    }
    memcpy(b, "NOTAPCAP", 8);
    rewind(f);
    fwrite(b, 1, 24, f);
    fflush(f);
    cr_assert_eq(kp_resume_pcap_tail(f, &end, &frames, &size, err, sizeof(err)), -EINVAL);
    cr_assert(strstr(err, "not a pcap file") != NULL, "%s", err);
    fclose(f);
}

/* A sweep.json of an interrupted first part, written by hand after
 * docs/format.md. */
static const char *SWEEP1 =
    "{\"v\": 1, \"type\": \"sweep\", \"tool\": \"kptrace\", \"version\": \"x\",\n"
    " \"vp\": \"vp-eu\", \"status\": \"interrupted\", \"error\": null,\n"
    " \"start\": \"2026-11-22T01:00:00.000000000Z\", \"end\": "
    "\"2026-11-22T01:05:00.000000000Z\",\n"
    " \"src\": \"198.18.1.2\", \"iface\": \"isp-eu\", \"user\": \"nobody\",\n"
    " \"targets\": [\"198.19.176.0/25\", \"198.19.177.0/25\"],\n"
    " \"methods\": [\"icmp-paris\", \"udp-paris\"],\n"
    " \"options\": {\"pps\": 150, \"first_ttl\": 2, \"max_ttl\": 20, \"attempts\": 3,\n"
    "   \"wait_ms\": 1500, \"gap_limit\": 4, \"window\": 2, \"dport\": 443, \"sport\": null,\n"
    "   \"size\": null, \"doubletree\": false, \"seed\": \"18446744073709551615\"},\n"
    " \"counts\": {\"traces_planned\": 512, \"traces_started\": 310, \"traces\": 304,\n"
    "   \"hops\": 2000, \"write_errors\": 0, \"probes_sent\": 3000, \"send_errors\": 0,\n"
    "   \"probes_captured\": 3000, \"replies\": 2000, \"replies_late\": 5, \"unmatched\": 1,\n"
    "   \"rejected\": 0, \"probes_saved\": 0},\n"
    " \"capture\": {\"frames\": 5001, \"received\": 5001, \"dropped\": 0, \"if_dropped\": 0,\n"
    "   \"ts_source\": \"pcap-host-ns\"},\n"
    " \"files\": {\"traces\": \"traces.jsonl\", \"capture\": \"capture.pcap\"}}\n";

Test(sweep_resume, stored_options_round_trip)
{
    struct kp_sweep_stored st;
    char err[256] = "";
    int rc =
        kp_sweep_stored_parse(SWEEP1, strlen(SWEEP1), "d/sweep.json", "d", &st, err, sizeof(err));
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_str_eq(st.status, "interrupted");
    struct kp_options o;
    rc = kp_options_parse(&o, KP_CMD_SWEEP, st.argc, st.argv, err, sizeof(err));
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_str_eq(o.vp, "vp-eu");
    cr_assert_str_eq(o.out, "d");
    cr_assert_eq(o.n_targets, 2);
    cr_assert_str_eq(o.targets[0], "198.19.176.0/25");
    cr_assert_str_eq(o.targets[1], "198.19.177.0/25");
    cr_assert_eq(o.n_methods, 2);
    cr_assert_eq(o.methods[0], KP_METHOD_ICMP_PARIS);
    cr_assert_eq(o.methods[1], KP_METHOD_UDP_PARIS);
    cr_assert_eq(o.pps, 150);
    cr_assert_eq(o.first_ttl, 2);
    cr_assert_eq(o.max_ttl, 20);
    cr_assert_eq(o.attempts, 3);
    cr_assert_eq(o.wait_ms, 1500);
    cr_assert_eq(o.gap_limit, 4);
    cr_assert_eq(o.window, 2);
    cr_assert_eq(o.dport, 443);
    cr_assert_eq(o.sport, 0);
    cr_assert_eq(o.size, 0);
    cr_assert_eq(o.doubletree, false);
    cr_assert(o.seed_set);
    cr_assert_eq(o.seed, UINT64_MAX);
    cr_assert_str_eq(o.user, "nobody");
    cr_assert_str_eq(o.iface, "isp-eu");
    char a[KP_ADDR_STRLEN];
    cr_assert_str_eq(kp_addr_str(&o.src, a, sizeof(a)), "198.18.1.2");
    kp_options_free(&o);
    kp_sweep_stored_free(&st);
}

Test(sweep_resume, stored_errors_name_file_and_field)
{
    struct kp_sweep_stored st;
    char err[256] = "";
    const char *cut = "{\"v\": 1,\n \"type\": \"sweep\",\n \"vp\": ";
    cr_assert_eq(
        kp_sweep_stored_parse(cut, strlen(cut), "d/sweep.json", "d", &st, err, sizeof(err)),
        -EINVAL);
    cr_assert(strncmp(err, "d/sweep.json:3: ", 16) == 0, "%s", err);
    char *bad = strdup(SWEEP1);
    char *p = strstr(bad, "\"pps\": 150");
    memcpy(p, "\"pps\": \"x\"", 10);
    cr_assert_eq(
        kp_sweep_stored_parse(bad, strlen(bad), "d/sweep.json", "d", &st, err, sizeof(err)),
        -EINVAL);
    cr_assert(strstr(err, "d/sweep.json: options.pps") != NULL, "%s", err);
    free(bad);
}

static json_int_t geti(json_t *j, const char *path)
{
    char buf[128];
    snprintf(buf, sizeof(buf), "%s", path);
    json_t *v = j;
    for (char *save = NULL, *t = strtok_r(buf, ".", &save); t; t = strtok_r(NULL, ".", &save))
        v = (t[0] >= '0' && t[0] <= '9') ? json_array_get(v, (size_t)atoi(t))
                                         : json_object_get(v, t);
    cr_assert(json_is_integer(v), "%s is not an integer", path);
    return json_integer_value(v);
}

static const char *gets_(json_t *j, const char *k1, size_t i, const char *k2)
{
    json_t *v = json_object_get(json_array_get(json_object_get(j, k1), i), k2);
    return json_is_string(v) ? json_string_value(v) : "(null)";
}

static json_t *merge(const char *prior, const char *status, uint64_t file_traces,
                     uint64_t file_hops)
{
    struct kp_options o;
    kp_options_default(&o, KP_CMD_SWEEP);
    snprintf(o.vp, sizeof(o.vp), "vp-eu");
    struct kp_engine_stats st;
    memset(&st, 0, sizeof(st));
    st.jobs = 208;
    st.started = 208;
    st.probes_sent = 1000;
    st.rx_probes = 1000;
    st.rx_replies = 700;
    st.frames = 1700;
    st.cap_recv = 1700;
    snprintf(st.ts_source, sizeof(st.ts_source), "pcap-host-ns");
    struct kp_sweep_meta m;
    memset(&m, 0, sizeof(m));
    m.opt = &o;
    m.st = &st;
    m.status = status;
    m.src = kp_addr_v4(0xc6120102u);
    m.iface = "isp-eu";
    m.seed = 7;
    m.traces_written = 208;
    m.hops_written = 700;
    m.start_ns = 1795312800000000000LL; /* 2026-11-22T02:00:00Z */
    m.end_ns = 1795312860000000000LL;
    m.planned_total = 512;
    char *s = NULL;
    cr_assert_eq(kp_sweep_meta_merge(prior, strlen(prior), &m, file_traces, file_hops, &s), 0);
    json_error_t je;
    json_t *j = json_loads(s, 0, &je);
    cr_assert_not_null(j, "%s", je.text);
    free(s);
    kp_options_free(&o);
    return j;
}

Test(sweep_resume, merge_first_resume)
{
    json_t *j = merge(SWEEP1, "complete", 304, 2000);
    cr_assert_str_eq(json_string_value(json_object_get(j, "status")), "complete");
    /* start of the first part, end of this one */
    cr_assert_str_eq(json_string_value(json_object_get(j, "start")),
                     "2026-11-22T01:00:00.000000000Z");
    cr_assert_str_eq(json_string_value(json_object_get(j, "end")),
                     "2026-11-22T02:01:00.000000000Z");
    cr_assert_eq(json_array_size(json_object_get(j, "parts")), 2);
    cr_assert_str_eq(gets_(j, "parts", 0, "status"), "interrupted");
    cr_assert_str_eq(gets_(j, "parts", 1, "status"), "complete");
    cr_assert_str_eq(gets_(j, "parts", 0, "end"), "2026-11-22T01:05:00.000000000Z");
    cr_assert_eq(geti(j, "parts.0.counts.traces"), 304);
    cr_assert_eq(geti(j, "parts.1.counts.traces"), 208);
    cr_assert_eq(geti(j, "parts.1.counts.traces_planned"), 208);
    cr_assert_eq(geti(j, "counts.traces_planned"), 512);
    cr_assert_eq(geti(j, "counts.traces"), 512);
    cr_assert_eq(geti(j, "counts.traces_started"), 310 + 208);
    cr_assert_eq(geti(j, "counts.hops"), 2700);
    cr_assert_eq(geti(j, "counts.probes_sent"), 4000);
    cr_assert_eq(geti(j, "counts.replies"), 2700);
    cr_assert_eq(geti(j, "counts.replies_late"), 5);
    cr_assert_eq(geti(j, "counts.unmatched"), 1);
    cr_assert_eq(geti(j, "capture.frames"), 6701);
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(j, "capture"), "ts_source")),
                     "pcap-host-ns");
    json_decref(j);
}

Test(sweep_resume, merge_after_crash)
{
    /* a second part left "running" by a crash, 100 complete lines of it in
     * the file (404 in all), its counts never written */
    json_t *one = merge(SWEEP1, "running", 304, 2000);
    char *prior = json_dumps(one, 0);
    json_decref(one);
    json_t *j = merge(prior, "complete", 404, 2600);
    free(prior);
    cr_assert_eq(json_array_size(json_object_get(j, "parts")), 3);
    cr_assert_str_eq(gets_(j, "parts", 0, "status"), "interrupted");
    cr_assert_str_eq(gets_(j, "parts", 1, "status"), "crashed");
    cr_assert_str_eq(gets_(j, "parts", 2, "status"), "complete");
    cr_assert_eq(geti(j, "parts.0.counts.traces"), 304);
    cr_assert_eq(geti(j, "parts.1.counts.traces"), 100);
    cr_assert_eq(geti(j, "parts.1.counts.hops"), 600);
    cr_assert_eq(geti(j, "counts.traces"), 304 + 100 + 208);
    cr_assert_eq(geti(j, "counts.hops"), 2000 + 600 + 700);
    cr_assert_eq(geti(j, "counts.traces_planned"), 512);
    cr_assert_str_eq(json_string_value(json_object_get(j, "start")),
                     "2026-11-22T01:00:00.000000000Z");
    json_decref(j);
}

#define LINE_STOP(id, m, dst, stop)                                                                \
    "{\"v\":1,\"type\":\"trace\",\"id\":" #id ",\"method\":\"" m "\",\"dst\":\"" dst               \
    "\",\"start\":\"2026-11-22T00:00:00Z\",\"stop_reason\":\"" stop "\",\"hops\":[]}\n"

/* Records of traces the interruption cut short (stop "interrupted") are left
 * out so their pairs are probed again; every other line, and a cut tail, stay
 * byte for byte; the largest dropped id is reported so ids are not reused. */
Test(sweep_resume, drop_interrupted_records)
{
    const char *keep1 = LINE_STOP(3, "icmp-paris", "198.19.176.0", "completed");
    const char *gone1 = LINE_STOP(17, "udp-paris", "198.19.176.1", "interrupted");
    const char *keep2 = LINE_STOP(5, "udp-paris", "198.19.176.2", "gaplimit");
    const char *gone2 = LINE_STOP(11, "icmp-paris", "198.19.177.9", "interrupted");
    const char *junk = "not json, kept for the scan to report\n";
    const char *tail = "{\"v\":1,\"type\":\"trace\",\"id\":20,\"stop_reason\":\"interr";
    char text[2048];
    snprintf(text, sizeof(text), "%s%s%s%s%s%s", keep1, gone1, keep2, gone2, junk, tail);
    char *out = NULL;
    size_t out_len = 0;
    uint64_t dropped = 9, max_id = 9;
    cr_assert_eq(kp_resume_drop_interrupted(text, strlen(text), &out, &out_len, &dropped, &max_id),
                 0);
    char want[2048];
    snprintf(want, sizeof(want), "%s%s%s%s", keep1, keep2, junk, tail);
    cr_assert_eq(dropped, 2);
    cr_assert_eq(max_id, 17);
    cr_assert_eq(out_len, strlen(want));
    cr_assert(memcmp(out, want, out_len) == 0);
    free(out);

    /* nothing interrupted: the text comes back unchanged */
    cr_assert_eq(
        kp_resume_drop_interrupted(keep1, strlen(keep1), &out, &out_len, &dropped, &max_id), 0);
    cr_assert_eq(dropped, 0);
    cr_assert_eq(max_id, 0);
    cr_assert_eq(out_len, strlen(keep1));
    cr_assert(memcmp(out, keep1, out_len) == 0);
    free(out);
}

/* The lists and what they left out: stored, and repeated by --resume. */
Test(sweep_resume, stored_lists_and_exclusions)
{
    struct kp_sweep_stored st;
    char err[256] = "";
    /* a sweep.json older than the lists: none, nothing left out */
    cr_assert_eq(
        kp_sweep_stored_parse(SWEEP1, strlen(SWEEP1), "d/sweep.json", "d", &st, err, sizeof(err)),
        0, "%s", err);
    cr_assert_str_eq(st.excluded, "");
    struct kp_options o;
    cr_assert_eq(kp_options_parse(&o, KP_CMD_SWEEP, st.argc, st.argv, err, sizeof(err)), 0);
    cr_assert_null(o.allowlist_file);
    cr_assert_null(o.blocklist_file);
    kp_options_free(&o);
    kp_sweep_stored_free(&st);

    char *text = malloc(strlen(SWEEP1) + 512);
    strcpy(text, SWEEP1);
    char *p = strstr(text, "\"seed\": \"18446744073709551615\"}");
    cr_assert_not_null(p);
    strcpy(p, "\"seed\": \"1\", \"blocklist_file\": \"/etc/kp/block.conf\", "
              "\"allowlist_file\": null},\n"
              " \"excluded\": {\"addresses\": 3, \"prefixes\": [\n"
              "   {\"prefix\": \"198.19.176.8/32\", \"reason\": \"/etc/kp/block.conf:2\", "
              "\"list\": \"blocklist-file\"},\n"
              "   {\"prefix\": \"198.19.176.10/31\", \"reason\": \"/etc/kp/block.conf:3\", "
              "\"list\": \"blocklist-file\"}]}}\n");
    cr_assert_eq(
        kp_sweep_stored_parse(text, strlen(text), "d/sweep.json", "d", &st, err, sizeof(err)), 0,
        "%s", err);
    cr_assert_str_eq(st.excluded, "198.19.176.8/32,198.19.176.10/31");
    cr_assert_eq(kp_options_parse(&o, KP_CMD_SWEEP, st.argc, st.argv, err, sizeof(err)), 0);
    cr_assert_str_eq(o.blocklist_file, "/etc/kp/block.conf");
    cr_assert_null(o.allowlist_file);
    kp_options_free(&o);
    kp_sweep_stored_free(&st);
    /* a wrong type is named */
    p = strstr(text, "\"allowlist_file\": null");
    memcpy(p, "\"allowlist_file\": 7   ", 22);
    cr_assert_eq(
        kp_sweep_stored_parse(text, strlen(text), "d/sweep.json", "d", &st, err, sizeof(err)),
        -EINVAL);
    cr_assert_str_eq(err, "d/sweep.json: options.allowlist_file: expected a path or null");
    free(text);
}

/* sweep.json holds the list files and what they left out (docs/format.md). */
Test(sweep_resume, meta_writes_lists_and_exclusions)
{
    struct kp_options o;
    kp_options_default(&o, KP_CMD_SWEEP);
    o.allowlist_file = strdup("/srv/allow.conf");
    struct kp_engine_stats st;
    memset(&st, 0, sizeof(st));
    struct kp_blocklist *bl = kp_blocklist_new(true);
    struct kp_exclusions x;
    memset(&x, 0, sizeof(x));
    struct kp_addr a;
    kp_addr_parse("198.19.178.0", &a);
    uint32_t first = kp_addr_v4_host(&a);
    cr_assert_eq(kp_exclusions_add(&x, first, first + 511, kp_blocklist_check(bl, &a)), 0);
    struct kp_sweep_meta m;
    memset(&m, 0, sizeof(m));
    m.opt = &o;
    m.st = &st;
    m.status = "running";
    m.excluded = &x;
    char *s = NULL;
    cr_assert_eq(kp_sweep_meta_json(&m, &s), 0);
    json_error_t je;
    json_t *j = json_loads(s, 0, &je);
    cr_assert_not_null(j, "%s", je.text);
    json_t *opt = json_object_get(j, "options");
    cr_assert_str_eq(json_string_value(json_object_get(opt, "allowlist_file")), "/srv/allow.conf");
    cr_assert(json_is_null(json_object_get(opt, "blocklist_file")));
    json_t *ex = json_object_get(j, "excluded");
    cr_assert_eq(geti(ex, "addresses"), 512);
    cr_assert_str_eq(gets_(ex, "prefixes", 0, "prefix"), "198.19.178.0/23");
    cr_assert_str_eq(gets_(ex, "prefixes", 0, "reason"), "benchmarking (RFC 2544)");
    cr_assert_str_eq(gets_(ex, "prefixes", 0, "list"), "default");
    cr_assert_eq(json_array_size(json_object_get(ex, "prefixes")), 1);
    json_decref(j);
    free(s);
    /* nothing left out: the field is there, empty */
    m.excluded = NULL;
    cr_assert_eq(kp_sweep_meta_json(&m, &s), 0);
    j = json_loads(s, 0, &je);
    ex = json_object_get(j, "excluded");
    cr_assert_eq(geti(ex, "addresses"), 0);
    cr_assert_eq(json_array_size(json_object_get(ex, "prefixes")), 0);
    json_decref(j);
    free(s);
    kp_exclusions_free(&x);
    kp_blocklist_free(bl);
    kp_options_free(&o);
}
