/* SPDX-License-Identifier: BSD-2-Clause */
/* annotate_read.c — kpannotate's inputs: each file (or standard input) read
 * as a stream whose compression and kind are told from its first bytes;
 * traces are collected into the run's chunk (annotate_app.h) with their
 * sweep label, and bad or skipped records are counted and named. */
#include "annotator/cmd/annotate_app.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>
#include <time.h>

#include <jansson.h>

#include "annotator/inputs/input_par.h"
#include "annotator/inputs/input.h"
#include "core/asmap/asmap.h"
#include "core/asmap/asn_num.h"
#include "core/asmap/route_filter.h"
#include "core/codec/identity.h"
#include "core/output/annot_json.h"
#include "core/output/graph_dot.h"
#include "core/record/trace_json.h"
#include "core/verdict/summary.h"
#include "core/verdict/verdict.h"
#include "core/verdict/verdict_stitch.h"
#include "io/decompress.h"
#include "io/reader.h"
#include "io/replay.h"
#include "sources/annotate.h"

void kp_annotate_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("kpannotate: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

const char *kp_annotate_file_name(const struct app *a, int i)
{
    return a->o->files[i];
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* The sweep label of a trace read from file index fi. */
static void sweep_label(const struct app *a, const struct kp_trace *t, int fi, char *out,
                        size_t len)
{
    out[0] = '\0';
    switch (a->o->sweep) {
    case KP_SWEEP_NONE:
        return;
    case KP_SWEEP_HOUR:
    case KP_SWEEP_DAY: {
        if (t->start_ns == 0)
            return;
        time_t s = (time_t)(t->start_ns / 1000000000);
        struct tm tm;
        gmtime_r(&s, &tm);
        strftime(out, len, a->o->sweep == KP_SWEEP_HOUR ? "%Y-%m-%dT%HZ" : "%Y-%m-%d", &tm);
        return;
    }
    case KP_SWEEP_INPUT: {
        const char *p = kp_annotate_file_name(a, fi);
        if (strcmp(p, "-") == 0) {
            snprintf(out, len, "stdin");
            return;
        }
        const char *b = base_name(p);
        if ((strcmp(b, "traces.jsonl") == 0 || strcmp(b, "capture.pcap") == 0) && b != p) {
            /* a kptrace sweep directory (its traces or its capture): name it
             * by the directory, so both give the same sweep label */
            size_t dlen = (size_t)(b - p) - 1;
            const char *d = p;
            for (size_t i = 0; i < dlen; i++)
                if (p[i] == '/' && i + 1 < dlen)
                    d = p + i + 1;
            snprintf(out, len, "%.*s", (int)(dlen - (size_t)(d - p)), d);
            return;
        }
        snprintf(out, len, "%s", b);
        return;
    }
    }
}

/* Keep trace t (moved) of the current input, with its annotation ann when a
 * worker made one (taken: *ann set to NULL), for the chunk. */
static int keep_trace(struct app *a, struct kp_trace *t, unsigned long line, struct kp_par_out *out)
{
    if (a->n_items == a->cap_items) {
        size_t cap = a->cap_items ? a->cap_items * 2 : 256;
        struct item *n = realloc(a->items, cap * sizeof(*n));
        if (n == NULL)
            return -ENOMEM;
        a->items = n;
        a->cap_items = cap;
    }
    struct item *it = &a->items[a->n_items++];
    it->t = *t; /* move */
    kp_trace_init(t);
    if (a->o->vp != NULL)
        snprintf(it->t.vp, sizeof(it->t.vp), "%s", a->o->vp);
    it->ann = NULL;
    it->ann_failed = 0;
    it->decided = false;
    if (out != NULL && out->ann != NULL) {
        it->ann = out->ann;
        it->ann_failed = out->ann_failed;
        it->decided = out->decided;
        if (out->decided)
            it->v = out->v;
        out->ann = NULL;
    }
    it->line = line;
    it->file = a->cur_file;
    it->kind = a->cur_kind;
    sweep_label(a, &it->t, a->cur_file, it->sweep, sizeof(it->sweep));
    if (a->n_items >= CHUNK_TRACES)
        return kp_annotate_chunk(a);
    return 0;
}

static int sink_trace(void *ctx, struct kp_trace *t, unsigned long line)
{
    struct app *a = ctx;
    a->counts[a->cur_file].traces++;
    return keep_trace(a, t, line, NULL);
}

/* Records that are valid but not traceroutes (Atlas pings, failed
 * measurements, scamper tracelb ...): counted, and the first few of each file
 * named on stderr (SKIP_NOTES_PER_FILE); they do not change the exit status. */

static void skip_note(void *ctx, unsigned long line, const char *what)
{
    struct app *a = ctx;
    a->skipped_records++;
    a->counts[a->cur_file].skipped++;
    if (a->o->quiet)
        return;
    if (a->skip_notes < SKIP_NOTES_PER_FILE)
        kp_annotate_warn("%s:%lu: skipped: %s", kp_annotate_file_name(a, a->cur_file), line, what);
    else if (a->skip_notes == SKIP_NOTES_PER_FILE)
        kp_annotate_warn("%s: further skipped records are only counted",
                         kp_annotate_file_name(a, a->cur_file));
    a->skip_notes++;
}

static void sink_error(void *ctx, unsigned long line, const char *field, const char *msg)
{
    struct app *a = ctx;
    a->bad_records++;
    a->counts[a->cur_file].bad++;
    kp_annotate_warn("%s:%lu: %s%s%s (record skipped)", kp_annotate_file_name(a, a->cur_file), line,
                     field, field[0] ? ": " : "", msg);
}

static void replay_trace(void *ctx, struct kp_trace *t)
{
    struct app *a = ctx;
    a->counts[a->cur_file].records++;
    a->counts[a->cur_file].traces++;
    int rc = keep_trace(a, t, 0, NULL);
    if (rc != 0 && a->fatal == 0)
        a->fatal = rc; /* rx frees what was not taken */
}

/* A worker's look-up of a parsed trace's hops (sorted first, as
 * decide_chunk would), when the map allows lookups from several threads
 * (a->par_map), and its verdict when no Doubletree prefix can be added to it
 * (verdict_stitch.h); without memory, the trace is annotated when decided. */
static void annotate_in_worker(const struct app *a, struct kp_par_out *out)
{
    struct kp_asmap *m = a->par_map;
    struct kp_trace *t = &out->t;
    kp_trace_sort(t);
    out->ann = malloc((t->n_hops + 1) * sizeof(*out->ann));
    if (out->ann == NULL)
        return;
    int failed = kp_annotate_hops(m, t, false, out->ann, &out->ann[t->n_hops]);
    if (failed < 0) {
        free(out->ann);
        out->ann = NULL;
        return;
    }
    out->ann_failed = failed;
    const struct kp_verdict_config *cfg = &a->o->cfg;
    if (((cfg->disabled & KP_H_DT_PREFIX) != 0 || !kp_stitch_may_borrow(t)) &&
        kp_verdict_decide(cfg, t, out->ann, t->n_hops, &out->ann[t->n_hops], &out->v) >= 0)
        out->decided = true;
}

/* kptrace JSONL: one trace per line, read as it comes; lines are parsed by
 * the workers (a->par) and, when the sources allow it, their hops looked up
 * there too; decided here in order. ctx: the app (only its par_map is read). */
static void kptrace_work(const void *ctx, const struct kp_rec *rec, struct kp_par_out *out)
{
    const struct app *a = ctx;
    size_t s = 0, e = rec->len;
    while (s < e && (rec->p[s] == ' ' || rec->p[s] == '\t' || rec->p[s] == '\r'))
        s++;
    if (s == e && rec->status == KP_REC_OK) {
        out->rc = 0; /* a blank line: not a record */
        return;
    }
    struct kp_json_error je;
    memset(&je, 0, sizeof(je));
    int rc;
    if (rec->status == KP_REC_TOO_LONG) {
        snprintf(je.msg, sizeof(je.msg), "line longer than %zu bytes",
                 (size_t)KP_READER_MAX_RECORD);
        rc = -EINVAL;
    } else {
        rc = kp_trace_json_parse(rec->p + s, e - s, &out->t, &je);
    }
    if (rc == 0) {
        out->rc = 1;
        if (out->t.tool[0] == '\0')
            snprintf(out->t.tool, sizeof(out->t.tool), "kptrace");
        if (a->par_map != NULL)
            annotate_in_worker(a, out);
        return;
    }
    out->rc = rc == -ENOMEM ? -ENOMEM : -EINVAL;
    kp_par_error(out, rec->line, je.field, je.msg);
}

static int kptrace_done(void *ctx, const struct kp_rec *rec, struct kp_par_out *out)
{
    struct app *a = ctx;
    struct input_count *ic = &a->counts[a->cur_file];
    if (out->rc == -ENOMEM)
        return -ENOMEM;
    if (out->rc == 0)
        return 0;
    ic->records++;
    if (out->rc < 0) {
        struct kp_input_sink sink = {NULL, sink_error, a};
        kp_par_replay(out, &sink, NULL);
        return 0;
    }
    ic->traces++;
    return keep_trace(a, &out->t, rec->line, out);
}

static int read_kptrace(struct app *a, struct kp_reader *r)
{
    struct kp_par_ops ops = {true, 0, kptrace_work, kptrace_done, a, a};
    return kp_par_run(a->par, r, &ops);
}

/* Replay options for a capture file: the run's parameters, vantage point,
 * timestamp source and identity key from the sweep.json beside it when there
 * is one (as `kptrace replay` does), so that a kptrace capture gives the
 * records the live run wrote. `key` must outlive the replay. */
static void replay_opts_for(const struct app *a, const char *path, struct kp_replay_opts *ro,
                            struct kp_replay_sweep *sw, struct kp_key *key)
{
    kp_replay_opts_init(ro);
    ro->vp = a->o->vp;
    char sj[4096];
    if (path == NULL || kp_replay_sweep_json_for(path, sj, sizeof(sj)) != 0)
        return;
    char err[512] = "";
    if (kp_replay_read_sweep_json(sj, sw, err, sizeof(err)) != 0) {
        kp_annotate_warn("%s: ignored: %s", sj, err);
        return;
    }
    ro->run = sw->run;
    if (ro->vp == NULL && sw->vp[0])
        ro->vp = sw->vp;
    if (sw->ts_source[0])
        ro->ts_source = sw->ts_source;
    if (sw->has_seed) {
        kp_key_from_seed(sw->seed, key);
        ro->key = key;
    }
}

/* Why reading r stopped, for the message: a corrupt stream names the
 * compressed byte. */
static void stop_reason(struct kp_reader *r, int rc, char *buf, size_t len)
{
    if (rc == -EINVAL)
        snprintf(buf, len, "%s data corrupt or cut short (at compressed byte %llu)",
                 kp_compression_name(kp_reader_compression(r)),
                 (unsigned long long)kp_reader_error_offset(r));
    else if (rc == -EIO && kp_reader_errno(r) != 0)
        snprintf(buf, len, "read error: %s", strerror(kp_reader_errno(r)));
    else
        snprintf(buf, len, "%s", strerror(-rc));
}

/* An input that holds nothing but white space (a sweep that wrote no trace,
 * an empty pipe) has no records of any kind. When the first bytes peeked
 * are all blank and fewer than asked, peek once more to be sure; *rc, *head
 * and *n are updated by that peek. */
static bool input_is_empty(struct kp_reader *r, int *rc, const char **head, size_t *n)
{
    const char *h = *head;
    size_t i = 0;
    while (i < *n && (h[i] == ' ' || h[i] == '\t' || h[i] == '\r' || h[i] == '\n'))
        i++;
    if (i == *n && *n < 65536) {
        *rc = kp_reader_peek(r, *n + 1, head, n);
        if (*rc == 0 && i == *n)
            return true;
    }
    return false;
}

/* A capture file (pcap, pcapng) through io/replay.h. *rp is closed and set
 * to NULL when replay reads a plain file itself. Returns 0 to go on (with
 * *rc set when the decompression under the capture failed), or the replay's
 * error (said on stderr, recorded, *rp closed). */
static int read_capture(struct app *a, const char *path, struct kp_reader **rp, int *rc)
{
    struct input_count *ic = &a->counts[a->cur_file];
    bool is_stdin = strcmp(path, "-") == 0;
    struct kp_reader *r = *rp;
    struct kp_replay_opts ro;
    struct kp_replay_sweep sw;
    struct kp_key key;
    replay_opts_for(a, is_stdin ? NULL : path, &ro, &sw, &key);
    char err[512] = "";
    int rrc;
    if (!is_stdin && ic->comp == KP_COMP_NONE) {
        /* a plain capture file: replay reads it itself */
        kp_reader_close(r);
        r = *rp = NULL;
        rrc = kp_replay_file(path, &ro, replay_trace, a, NULL, err, sizeof(err));
    } else {
        FILE *f = kp_reader_fopen(r);
        rrc = f ? kp_replay_stream(f, path, &ro, replay_trace, a, NULL, err, sizeof(err)) : -errno;
        if (f != NULL)
            fclose(f);
    }
    if (rrc == 0 && err[0])
        kp_annotate_warn("%s", err);
    int src = r != NULL ? kp_reader_status(r) : 0;
    if (src < 0) {
        *rc = src; /* the decompression under the capture reader failed */
    } else if (rrc != 0 && !a->fatal) {
        kp_annotate_warn("%s", err[0] ? err : strerror(-rrc));
        snprintf(ic->error, sizeof(ic->error), "%s", err[0] ? err : strerror(-rrc));
        ic->failed = true;
        kp_reader_close(r);
        *rp = NULL;
        return rrc;
    }
    return 0;
}

/* kptrace, Atlas or scamper JSON records. Returns 0 to go on (*rc is the
 * reader's result), or -EINVAL when the kind is unknown (said on stderr,
 * recorded, r closed). */
static int read_records(struct app *a, const char *path, struct kp_reader *r, enum kp_input_kind k,
                        int *rc)
{
    struct input_count *ic = &a->counts[a->cur_file];
    struct kp_input_sink sink = {sink_trace, sink_error, a};
    struct kp_input_skips skips = {skip_note, a, 0};
    struct kp_input_tally tally;
    memset(&tally, 0, sizeof(tally));
    switch (k) {
    case KP_INPUT_KPTRACE:
        *rc = read_kptrace(a, r);
        break;
    case KP_INPUT_ATLAS:
        *rc = kp_atlas_read_stream(r, a->par, &sink, &skips, &tally);
        break;
    case KP_INPUT_SCAMPER:
        *rc = kp_scamper_read_stream(r, a->par, &sink, &skips, &tally);
        break;
    default:
        kp_annotate_warn("%s: cannot tell what kind of input this is; use --input-format", path);
        snprintf(ic->error, sizeof(ic->error), "cannot tell what kind of input this is");
        ic->failed = true;
        kp_reader_close(r);
        return -EINVAL;
    }
    ic->records += tally.records;
    ic->quiet += tally.quiet;
    return 0;
}

/* Read one input (a file, or standard input for "-") as a stream: the
 * compression and the kind are recognised from its first bytes, and records
 * are decided and written as they come (in chunks, see kp_annotate_chunk).
 * Returns 0 when it was read to its end (bad records were reported one by
 * one), else a negative error (said on stderr; what was read before it is
 * decided and written). */
int kp_annotate_read_input(struct app *a, int fi)
{
    const char *path = a->o->files[fi];
    struct input_count *ic = &a->counts[fi];
    struct kp_reader *r;
    int rc = kp_reader_open(path, a->o->threads != 0 ? KP_READER_THREAD : 0, &r);
    if (rc != 0) {
        kp_annotate_warn("%s: cannot read: %s", path, strerror(-rc));
        snprintf(ic->error, sizeof(ic->error), "cannot read: %s", strerror(-rc));
        ic->failed = true;
        return rc;
    }
    const char *head;
    size_t n;
    rc = kp_reader_peek(r, 65536, &head, &n);
    ic->comp = kp_reader_compression(r);
    enum kp_input_kind k = a->o->force_kind;
    if (rc == 0 && k == KP_INPUT_UNKNOWN) {
        if (input_is_empty(r, &rc, &head, &n)) {
            if (!a->o->quiet)
                kp_annotate_warn("%s: empty input (no records)", path);
            kp_reader_close(r);
            return 0;
        }
        k = kp_input_detect((const uint8_t *)head, n);
    }
    a->cur_file = fi;
    a->cur_kind = k;
    ic->kind = k;
    a->skip_notes = 0;
    if (rc != 0) {
        /* nothing could be read at all */
    } else if (k == KP_INPUT_PCAP || k == KP_INPUT_PCAPNG) {
        int e = read_capture(a, path, &r, &rc);
        if (e != 0)
            return e;
    } else {
        int e = read_records(a, path, r, k, &rc);
        if (e != 0)
            return e;
    }
    if (a->fatal) {
        kp_reader_close(r);
        return a->fatal; /* kp_annotate_chunk said why */
    }
    if (rc < 0) {
        /* Decide and write what was read before the damage, then say where
         * the input went wrong. */
        stop_reason(r, rc, ic->error, sizeof(ic->error));
        ic->failed = true;
        kp_annotate_chunk(a);
        if (a->jout != NULL)
            fflush(a->jout);
        kp_annotate_warn("%s: %s", path, ic->error);
    }
    kp_reader_close(r);
    return rc < 0 ? rc : 0;
}
