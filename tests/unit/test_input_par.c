/* SPDX-License-Identifier: BSD-2-Clause */
/* test_input_par.c — records parsed by worker threads come out exactly as
 * without them: same traces in the same order, same errors and skip notes
 * at the same lines, and every record counted once (records = traces + bad +
 * skipped + bookkeeping). Inputs: the committed Atlas and scamper fixtures,
 * repeated and interleaved with bad records, so that many batches are in
 * flight. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annotator/inputs/input.h"
#include "annotator/inputs/input_par.h"
#include "io/reader.h"
#include "core/record/trace_json.h"

/* Everything a reader said, as text, in order. */
struct log {
    char *s;
    size_t n, cap;
};

static void put(struct log *l, char kind, const char *a, unsigned long line)
{
    char buf[65536];
    int k = snprintf(buf, sizeof(buf), "%c %lu %s\n", kind, line, a);
    if (l->n + (size_t)k + 1 > l->cap) {
        l->cap = (l->cap + (size_t)k + 1) * 2;
        l->s = realloc(l->s, l->cap);
    }
    memcpy(l->s + l->n, buf, (size_t)k + 1);
    l->n += (size_t)k;
}

static int on_trace(void *ctx, struct kp_trace *t, unsigned long line)
{
    char *json = NULL;
    size_t len = 0;
    cr_assert_eq(kp_trace_json_dump(t, &json, &len), 0);
    put(ctx, 'T', json, line);
    free(json);
    return 0;
}

static void on_error(void *ctx, unsigned long line, const char *field, const char *msg)
{
    char b[400];
    snprintf(b, sizeof(b), "%s: %s", field, msg);
    put(ctx, 'E', b, line);
}

static void on_skip(void *ctx, unsigned long line, const char *what)
{
    put(ctx, 'S', what, line);
}

static char *fixture(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", KP_TEST_DATA, name);
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "%s", path);
    char *b = malloc(1 << 20);
    *len = fread(b, 1, 1 << 20, f);
    fclose(f);
    return b;
}

/* copies of a fixture's records, a bad one between each copy */
static char *repeat(const char *name, int times, const char *bad, size_t *len)
{
    size_t n;
    char *one = fixture(name, &n);
    char *all = malloc((n + strlen(bad) + 2) * (size_t)times + 1);
    size_t k = 0;
    for (int i = 0; i < times; i++) {
        memcpy(all + k, one, n);
        k += n;
        if (k > 0 && all[k - 1] != '\n')
            all[k++] = '\n';
        k += (size_t)sprintf(all + k, "%s\n", bad);
    }
    free(one);
    *len = k;
    return all;
}

typedef int (*stream_fn)(struct kp_reader *, struct kp_par *, const struct kp_input_sink *,
                         struct kp_input_skips *, struct kp_input_tally *);

static void run(stream_fn fn, const char *buf, size_t len, unsigned workers, struct log *l,
                struct kp_input_tally *tally)
{
    struct kp_par *p = NULL;
    cr_assert_eq(kp_par_new(workers, &p), 0);
    struct kp_reader *r;
    cr_assert_eq(kp_reader_open_mem(buf, len, 0, &r), 0);
    struct kp_input_sink sink = {on_trace, on_error, l};
    struct kp_input_skips skips = {on_skip, l, 0};
    cr_assert_eq(fn(r, p, &sink, &skips, tally), 0);
    cr_assert_eq(skips.n, tally->skipped);
    kp_reader_close(r);
    kp_par_free(p);
}

static void same_with_workers(stream_fn fn, const char *buf, size_t len, unsigned long want_bad)
{
    struct log l0 = {0}, l2 = {0}, l3 = {0};
    struct kp_input_tally t0, t2, t3;
    run(fn, buf, len, 0, &l0, &t0);
    run(fn, buf, len, 2, &l2, &t2);
    run(fn, buf, len, 3, &l3, &t3);
    cr_assert_gt(t0.traces, 500, "%lu traces", t0.traces);
    cr_assert_geq(t0.bad, want_bad, "%lu bad", t0.bad);
    cr_assert_eq(t0.records, t0.traces + t0.bad + t0.skipped + t0.quiet,
                 "every record counted once");
    cr_assert_eq(memcmp(&t0, &t2, sizeof(t0)), 0);
    cr_assert_eq(memcmp(&t0, &t3, sizeof(t0)), 0);
    cr_assert_eq(l0.n, l2.n);
    cr_assert(memcmp(l0.s, l2.s, l0.n) == 0, "2 workers: the same traces, errors and notes");
    cr_assert(l0.n == l3.n && memcmp(l0.s, l3.s, l0.n) == 0, "3 workers: the same");
    free(l0.s);
    free(l2.s);
    free(l3.s);
}

Test(input_par, atlas_with_workers_is_atlas_without)
{
    size_t len;
    char *buf =
        repeat("atlas/real-world.jsonl", 120, "{\"af\":4,\"proto\":\"UDP\",\"result\":[]}", &len);
    same_with_workers(kp_atlas_read_stream, buf, len, 120);
    free(buf);
}

Test(input_par, scamper_with_workers_is_scamper_without)
{
    size_t len;
    char *buf = repeat("scamper/mixed-warts.json", 200, "{\"type\":\"trace\",\"dst\":\"x\"}", &len);
    same_with_workers(kp_scamper_read_stream, buf, len, 200);
    free(buf);
}

/* kp_par_run's own contract: a done step's error stops the reading; what was
 * done before it stays done. */
static void count_work(const void *ctx, const struct kp_rec *rec, struct kp_par_out *out)
{
    (void)ctx;
    out->rc = (int)rec->line;
}

static int stop_at_1000(void *ctx, const struct kp_rec *rec, struct kp_par_out *out)
{
    unsigned long *n = ctx;
    cr_assert_eq((unsigned long)out->rc, rec->line, "results come back with their records");
    cr_assert_eq(rec->line, *n + 1, "in order");
    if (rec->line == 1000)
        return -ECANCELED;
    (*n)++;
    return 0;
}

Test(input_par, a_done_error_stops_in_order)
{
    char *buf = malloc(20000 * 8);
    size_t k = 0;
    for (int i = 0; i < 20000; i++)
        k += (size_t)sprintf(buf + k, "%d\n", i);
    for (unsigned w = 0; w <= 2; w++) {
        struct kp_par *p;
        cr_assert_eq(kp_par_new(w, &p), 0);
        struct kp_reader *r;
        cr_assert_eq(kp_reader_open_mem(buf, k, 0, &r), 0);
        unsigned long n = 0;
        struct kp_par_ops ops = {true, 0, count_work, stop_at_1000, NULL, &n};
        cr_assert_eq(kp_par_run(p, r, &ops), -ECANCELED);
        cr_assert_eq(n, 999);
        kp_reader_close(r);
        kp_par_free(p);
    }
    free(buf);
}
