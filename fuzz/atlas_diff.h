/* SPDX-License-Identifier: BSD-2-Clause */
/* atlas_diff.h — the RIPE Atlas reader with its one-pass scanner
 * (kp_atlas_read) against the jansson reader alone (kp_atlas_read_dom) on
 * one input: the same return value, the same errors and skip notes in the
 * same order with the same lines and field paths, the same skip count and
 * the same traces field by field (kp_trace_equal). Shared by
 * fuzz/fuzz_atlas.c and tests/unit/test_input_atlas_scan.c. */
#ifndef KP_FUZZ_ATLAS_DIFF_H
#define KP_FUZZ_ATLAS_DIFF_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annotator/inputs/input.h"
#include "annotator/inputs/input_atlas_scan.h"
#include "core/record/trace_json.h"

/* What a reader handed over, in order. */
struct atlas_log {
    char *text; /* one line per event: "T line", "E line field: msg", "S line what" */
    size_t len, cap;
    struct kp_trace *t;
    size_t n, cap_t;
    int failed; /* out of memory while logging */
};

static void atlas_log_add(struct atlas_log *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void atlas_log_add(struct atlas_log *l, const char *fmt, ...)
{
    char line[600];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    if ((size_t)n >= sizeof(line))
        n = (int)sizeof(line) - 1;
    if (l->len + (size_t)n + 1 > l->cap) {
        size_t cap = (l->cap ? 2 * l->cap : 256) + (size_t)n;
        char *p = realloc(l->text, cap);
        if (p == NULL) {
            l->failed = 1;
            return;
        }
        l->text = p;
        l->cap = cap;
    }
    memcpy(l->text + l->len, line, (size_t)n + 1);
    l->len += (size_t)n;
}

static int atlas_log_trace(void *ctx, struct kp_trace *t, unsigned long line)
{
    struct atlas_log *l = ctx;
    atlas_log_add(l, "T %lu\n", line);
    if (l->n == l->cap_t) {
        size_t cap = l->cap_t ? 2 * l->cap_t : 8;
        struct kp_trace *p = realloc(l->t, cap * sizeof(*p));
        if (p == NULL) {
            l->failed = 1;
            return 0;
        }
        l->t = p;
        l->cap_t = cap;
    }
    l->t[l->n++] = *t; /* moved: the reader's record is left empty */
    kp_trace_init(t);
    return 0;
}

static void atlas_log_error(void *ctx, unsigned long line, const char *field, const char *msg)
{
    atlas_log_add(ctx, "E %lu %s: %s\n", line, field, msg);
}

static void atlas_log_skip(void *ctx, unsigned long line, const char *what)
{
    atlas_log_add(ctx, "S %lu %s\n", line, what);
}

static void atlas_log_free(struct atlas_log *l)
{
    for (size_t i = 0; i < l->n; i++)
        kp_trace_free(&l->t[i]);
    free(l->t);
    free(l->text);
}

/* Both readers on buf[0..len). 0 when they agree; else 1 with why[] saying
 * how they differ; -1 when logging ran out of memory. *traces (may be NULL)
 * receives the number of traces read. */
static int atlas_diff(const char *buf, size_t len, char *why, size_t whylen, size_t *traces)
{
    struct atlas_log a = {0}, b = {0};
    struct kp_input_sink sa = {atlas_log_trace, atlas_log_error, &a};
    struct kp_input_sink sb = {atlas_log_trace, atlas_log_error, &b};
    struct kp_input_skips ka = {atlas_log_skip, &a, 0}, kb = {atlas_log_skip, &b, 0};
    int ra = kp_atlas_read(buf, len, &sa, &ka);
    int rb = kp_atlas_read_dom(buf, len, &sb, &kb);
    int rc = 0;
    why[0] = '\0';
    if (a.failed || b.failed)
        rc = -1;
    else if (ra != rb)
        snprintf(why, whylen, "return values differ: %d, jansson %d", ra, rb);
    else if (ka.n != kb.n)
        snprintf(why, whylen, "skip counts differ: %lu, jansson %lu", ka.n, kb.n);
    else if (a.len != b.len || (a.len > 0 && memcmp(a.text, b.text, a.len) != 0))
        snprintf(why, whylen, "events differ:\n%s--- jansson:\n%s", a.text ? a.text : "",
                 b.text ? b.text : "");
    for (size_t i = 0; rc == 0 && why[0] == '\0' && i < a.n; i++)
        if (!kp_trace_equal(&a.t[i], &b.t[i]))
            snprintf(why, whylen, "trace %zu differs", i);
    if (rc == 0 && why[0] != '\0')
        rc = 1;
    if (traces != NULL)
        *traces = a.n;
    atlas_log_free(&a);
    atlas_log_free(&b);
    return rc;
}

#endif
