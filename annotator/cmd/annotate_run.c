/* SPDX-License-Identifier: BSD-2-Clause */
/* annotate_run.c — kpannotate's run (annotate_run.h): the IP-to-AS sources,
 * the inputs read as streams and decided in chunks, and the outputs.
 * Reports on standard error; never exits (main.c does). */
#include "annotator/cmd/annotate_run.h"

#include "annotator/cmd/annotate_app.h"
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
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

static int prefetch_chunk(struct app *a);
static int decide_chunk(struct app *a);

/* A malformed line of a prefix2as or bgpdump -m source, or entry of a
 * PeeringDB file (line 0): skipped; the first few of each source are named,
 * all are counted (exit status 1). */
static void source_line_note(void *ctx, const char *path, unsigned long line, const char *why)
{
    struct app *a = ctx;
    if (a->source_notes_here < SKIP_NOTES_PER_FILE && line == 0)
        kp_annotate_warn("%s: %s (entry skipped)", path, why);
    else if (a->source_notes_here < SKIP_NOTES_PER_FILE)
        kp_annotate_warn("%s:%lu: %s (line skipped)", path, line, why);
    else if (a->source_notes_here == SKIP_NOTES_PER_FILE)
        kp_annotate_warn("%s: further malformed lines are only counted", path);
    a->source_notes_here++;
}

static int write_all(FILE *f, const char *s, size_t n)
{
    return fwrite(s, 1, n, f) == n ? 0 : -EIO;
}

/* Decide, write and aggregate the traces read so far (a->items), then free
 * them: DNS lookups for all their addresses at once (a no-op without DNS
 * sources), the verdict per trace, its annotated JSON line, and its share of
 * the summary and graph. Returns 0, or sets and returns a->fatal (-ENOMEM, or
 * -EIO when the output cannot be written; said on stderr). */
int kp_annotate_chunk(struct app *a)
{
    if (a->fatal)
        return a->fatal;
    if (a->o->cymru || a->o->rdns) {
        int rc = prefetch_chunk(a);
        if (rc != 0)
            return a->fatal = rc;
    }
    return decide_chunk(a);
}

/* DNS lookups for every address of the chunk at once (--cymru, --rdns). */
static int prefetch_chunk(struct app *a)
{
    size_t n_addrs = 0;
    for (size_t i = 0; i < a->n_items; i++)
        n_addrs += a->items[i].t.n_hops + 1;
    struct kp_addr *addrs = malloc((n_addrs ? n_addrs : 1) * sizeof(*addrs));
    if (addrs == NULL)
        return -ENOMEM;
    n_addrs = 0;
    for (size_t i = 0; i < a->n_items; i++) {
        const struct kp_trace *t = &a->items[i].t;
        for (size_t k = 0; k < t->n_hops; k++)
            addrs[n_addrs++] = t->hops[k].addr;
        if (kp_addr_is_set(&t->dst))
            addrs[n_addrs++] = t->dst;
    }
    int pf = kp_asmap_prefetch(a->map, addrs, n_addrs);
    free(addrs);
    if (pf > 0) {
        a->failed_lookups += (unsigned long)pf;
        if (!a->o->quiet)
            kp_annotate_warn("%d address lookups failed over DNS; other sources were used for them",
                             pf);
    }
    return 0;
}

/* The verdict of every trace of the chunk, its line, summary and graph. */
static int decide_chunk(struct app *a)
{
    /* Doubletree traces decide with the path below where they stopped
     * (verdict_stitch.h): learn this chunk's traces first. */
    for (size_t i = 0; i < a->n_items; i++) {
        if (a->items[i].ann == NULL)
            kp_trace_sort(&a->items[i].t); /* else the worker did */
        if (kp_stitch_add(a->stitch, &a->items[i].t, (uint32_t)a->items[i].file) != 0)
            return a->fatal = -ENOMEM;
    }
    if (kp_annotate_changes_reserve(a, a->n_items) != 0)
        return a->fatal = -ENOMEM;
    for (size_t i = 0; i < a->n_items && !a->fatal; i++) {
        struct item *it = &a->items[i];
        struct kp_trace *t = &it->t;
        struct kp_trace full;
        kp_trace_init(&full);
        size_t nb = 0;
        if ((a->o->cfg.disabled & KP_H_DT_PREFIX) == 0 &&
            kp_stitch_prefix(a->stitch, t, (uint32_t)it->file, &full, &nb) < 0) {
            a->fatal = -ENOMEM;
            break;
        }
        const struct kp_trace *dt = nb ? &full : t;
        struct kp_hop_annot *dann = NULL, *ann, dst;
        struct kp_transit v;
        int failed;
        if (nb == 0 && it->ann != NULL) {
            /* looked up by a worker (and decided there when nothing could be
             * stitched to it) */
            ann = it->ann;
            dst = it->ann[t->n_hops];
            failed = it->ann_failed;
            int rc = 0;
            if (it->decided)
                v = it->v;
            else
                rc = kp_verdict_decide(&a->o->cfg, t, ann, t->n_hops, &dst, &v);
            if (rc < 0)
                failed = rc;
        } else {
            dann = calloc(dt->n_hops ? dt->n_hops : 1, sizeof(*dann));
            if (dann == NULL) {
                kp_trace_free(&full);
                a->fatal = -ENOMEM;
                break;
            }
            ann = dann + nb; /* t's own hops follow the borrowed ones */
            failed = kp_annotate_trace(a->map, &a->o->cfg, dt, a->o->rdns, dann, &dst, &v);
        }
        if (failed > 0)
            a->failed_lookups += (unsigned long)failed;
        kp_verdict_unstitch(&v, nb);
        kp_trace_free(&full);
        if (a->chg != NULL)
            kp_changes_obs_of(t, &v, &a->chg_obs[i]);
        a->per_status[v.status]++;
        a->n_done++;
        a->counts[it->file].decided++;
        if (kp_summary_add(a->sum, t, it->sweep, &v) != 0 ||
            (a->graph_acc && kp_graph_add(a->graph_acc, t, ann, &v) != 0))
            a->fatal = -ENOMEM;
        if (!a->fatal && a->jout != NULL) {
            struct kp_annot_origin org = {kp_input_kind_name(it->kind),
                                          kp_annotate_file_name(a, it->file), it->line};
            char *line = NULL;
            size_t len = 0;
            int rc = kp_annot_trace_json(t, ann, &dst, &v, it->sweep, &org, &line, &len);
            if (rc == 0) {
                if (write_all(a->jout, line, len) != 0 || fputc('\n', a->jout) == EOF) {
                    kp_annotate_warn("%s: write failed", a->o->output ? a->o->output : "stdout");
                    a->fatal = -EIO;
                }
            } else {
                kp_annotate_warn("%s:%lu: cannot write this trace (%s)",
                                 kp_annotate_file_name(a, it->file), it->line, strerror(-rc));
                a->out_status = 1;
            }
            free(line);
        }
        free(dann);
    }
    kp_annotate_changes_chunk(a, a->n_items);
    for (size_t i = 0; i < a->n_items; i++) {
        kp_trace_free(&a->items[i].t);
        free(a->items[i].ann);
    }
    a->n_items = 0;
    return a->fatal;
}

/* The reconciliation: per input, records read (bookkeeping apart) =
 * decided + bad + skipped. */
struct reconcile {
    unsigned long records, quiet, decided, bad, skipped;
    bool agree, failed;
};

static bool counts_agree(const struct input_count *ic)
{
    return ic->records >= ic->quiet &&
           ic->records - ic->quiet == ic->decided + ic->bad + ic->skipped;
}

static void reconcile(const struct app *a, struct reconcile *r)
{
    memset(r, 0, sizeof(*r));
    r->agree = true;
    for (size_t i = 0; i < a->o->n_files; i++) {
        const struct input_count *ic = &a->counts[i];
        r->records += ic->records - (ic->quiet <= ic->records ? ic->quiet : ic->records);
        r->quiet += ic->quiet;
        r->decided += ic->decided;
        r->bad += ic->bad;
        r->skipped += ic->skipped;
        r->agree = r->agree && counts_agree(ic);
        r->failed = r->failed || ic->failed;
    }
}

static int jset(json_t *o, const char *k, json_t *v)
{
    return v != NULL && json_object_set_new(o, k, v) == 0 ? 0 : -ENOMEM;
}

static json_t *jcounts(unsigned long records, unsigned long quiet, unsigned long decided,
                       unsigned long bad, unsigned long skipped)
{
    json_t *c = json_object();
    if (c == NULL || jset(c, "records", json_integer((json_int_t)records)) != 0 ||
        jset(c, "decided", json_integer((json_int_t)decided)) != 0 ||
        jset(c, "bad", json_integer((json_int_t)bad)) != 0 ||
        jset(c, "skipped", json_integer((json_int_t)skipped)) != 0 ||
        jset(c, "bookkeeping", json_integer((json_int_t)quiet)) != 0) {
        json_decref(c);
        return NULL;
    }
    return c;
}

/* --stats-json FILE: the run's counts, per input and in total, whether they
 * reconcile, and a status: complete (every input read to its end, counts
 * reconcile), incomplete (they do not: the counts that disagree are named),
 * error (an input could not be read to its end). */
static int write_stats_json(const struct app *a, const struct reconcile *rec, int exit_status)
{
    json_t *o = json_object();
    json_t *inputs = json_array();
    int rc = o && inputs ? 0 : -ENOMEM;
    const char *status = rec->failed ? "error" : !rec->agree ? "incomplete" : "complete";
    char why[512] = "";
    for (size_t i = 0; i < a->o->n_files && why[0] == '\0'; i++) {
        const struct input_count *ic = &a->counts[i];
        if (ic->failed)
            snprintf(why, sizeof(why), "%s: %s", kp_annotate_file_name(a, (int)i), ic->error);
        else if (!counts_agree(ic))
            snprintf(why, sizeof(why),
                     "%s: %lu records read, but %lu decided + %lu bad + %lu skipped",
                     kp_annotate_file_name(a, (int)i), ic->records - ic->quiet, ic->decided,
                     ic->bad, ic->skipped);
    }
    rc = rc ? rc : jset(o, "v", json_integer(1));
    rc = rc ? rc : jset(o, "type", json_string("kpannotate-stats"));
    rc = rc ? rc : jset(o, "status", json_string(status));
    rc = rc ? rc : jset(o, "error", why[0] ? json_string(why) : json_null());
    rc = rc ? rc : jset(o, "reconciled", json_boolean(rec->agree));
    rc = rc ? rc : jset(o, "exit_status", json_integer(exit_status));
    json_t *c = jcounts(rec->records, rec->quiet, rec->decided, rec->bad, rec->skipped);
    rc = rc ? rc : jset(o, "counts", c);
    if (rc == 0) {
        static const enum kp_transit_status st[] = {KP_TRANSIT_REACHED, KP_TRANSIT_FILTERED,
                                                    KP_TRANSIT_INCOMPLETE, KP_TRANSIT_UNDETERMINED};
        for (size_t k = 0; k < sizeof(st) / sizeof(st[0]) && rc == 0; k++)
            rc = jset(c, kp_transit_status_name(st[k]),
                      json_integer((json_int_t)a->per_status[st[k]]));
        rc = rc ? rc : jset(c, "groups", json_integer((json_int_t)kp_summary_count(a->sum)));
        rc = rc ? rc
                : jset(c, "bad_source_lines", json_integer((json_int_t)a->source_notes.skipped));
        rc = rc ? rc : jset(c, "failed_lookups", json_integer((json_int_t)a->failed_lookups));
    }
    rc = rc ? rc : jset(o, "inputs", json_incref(inputs));
    for (size_t i = 0; rc == 0 && i < a->o->n_files; i++) {
        const struct input_count *ic = &a->counts[i];
        json_t *e = jcounts(ic->records - (ic->quiet <= ic->records ? ic->quiet : ic->records),
                            ic->quiet, ic->decided, ic->bad, ic->skipped);
        rc = e ? json_array_append_new(inputs, e) : -ENOMEM;
        rc = rc ? rc : jset(e, "file", json_string(kp_annotate_file_name(a, (int)i)));
        rc = rc ? rc : jset(e, "kind", json_string(kp_input_kind_name(ic->kind)));
        rc = rc ? rc : jset(e, "compression", json_string(kp_compression_name(ic->comp)));
        rc = rc ? rc : jset(e, "reconciled", json_boolean(counts_agree(ic)));
        rc = rc ? rc
                : jset(e, "status",
                       json_string(ic->failed          ? "error"
                                   : !counts_agree(ic) ? "incomplete"
                                                       : "complete"));
        rc = rc ? rc : jset(e, "error", ic->failed ? json_string(ic->error) : json_null());
    }
    json_decref(inputs);
    if (rc == 0) {
        FILE *f = fopen(a->o->stats_json, "w");
        rc = f && json_dumpf(o, f, JSON_INDENT(1) | JSON_PRESERVE_ORDER) == 0 &&
                     fputc('\n', f) != EOF
                 ? 0
                 : -EIO;
        if (f != NULL && fclose(f) != 0)
            rc = -EIO;
    }
    json_decref(o);
    return rc;
}

/* What a prefix2as or RIB file dropped, or whose origin lost a private or
 * reserved AS (docs/asmap.md): one line when there is anything to say. */
static void report_filter(const char *path, const struct kp_filter_stats *st,
                          const struct kp_route_filter *f, bool quiet)
{
    if (kp_filter_stats_dropped(st) == 0 && kp_filter_stats_origin_removed(st) == 0)
        return;
    if (quiet && st->used > 0)
        return; /* -q: only the warning that a table gave nothing */
    char buf[1024];
    kp_annotate_warn("%s: %s%s", path, kp_filter_stats_str(st, f, buf, sizeof(buf)),
                     st->used == 0 ? " (nothing used: a test network's table? see --keep-special)"
                                   : "");
}

/* The IP-to-AS sources, in the order given, then --rdns. Returns 0, or 3
 * (said on stderr). */
static int load_sources(struct app *a)
{
    const struct kp_annotate_options *o = a->o;
    a->map = kp_asmap_new();
    if (a->map == NULL) {
        kp_annotate_warn("out of memory");
        return 3;
    }
    char err[KP_ASN_ERR_MAX + 256];
    if (kp_asmap_set_targets(a->map, o->cfg.targets, o->cfg.n_targets) != 0) {
        kp_annotate_warn("cannot set the target ASes");
        return 3;
    }
    a->source_notes = (struct kp_load_notes){source_line_note, a, 0};
    kp_asmap_set_load_notes(a->map, &a->source_notes);
    kp_asmap_set_filter(a->map, &o->filter);
    for (size_t i = 0; i < o->n_sources; i++) {
        const struct kp_annotate_source *src = &o->sources[i];
        struct kp_cymru_opts copts = o->copts;
        int rc;
        err[0] = '\0';
        a->source_notes_here = 0;
        switch (src->kind) {
        case KP_SOURCE_PFX2AS:
            rc = kp_asmap_add_pfx2as(a->map, src->path, err, sizeof(err));
            break;
        case KP_SOURCE_RIB:
            rc = kp_asmap_add_bgpdump(a->map, src->path, err, sizeof(err));
            break;
        case KP_SOURCE_MMDB:
            rc = kp_asmap_add_mmdb(a->map, src->path, err, sizeof(err));
            break;
        case KP_SOURCE_CYMRU:
            copts.dns_server = o->dns_server;
            copts.timeout_ms = o->dns_timeout;
            rc = kp_asmap_enable_cymru(a->map, &copts, err, sizeof(err));
            break;
        default:
            rc = kp_asmap_add_peeringdb(a->map, src->path, err, sizeof(err));
            break;
        }
        if (rc == 0 && (src->kind == KP_SOURCE_PFX2AS || src->kind == KP_SOURCE_RIB))
            report_filter(src->path, kp_asmap_load_stats(a->map), &o->filter, o->quiet);
        if (rc != 0) {
            kp_annotate_warn("%s%s", src->kind == KP_SOURCE_CYMRU ? "--cymru: " : "",
                             err[0]      ? err
                             : src->path ? src->path
                                         : strerror(-rc));
            return 3;
        }
    }
    if (o->rdns &&
        kp_asmap_enable_rdns(a->map, o->dns_server, o->dns_timeout, 0, err, sizeof(err)) != 0) {
        kp_annotate_warn("--rdns: %s", err);
        return 3;
    }
    return 0;
}

/* The annotated JSON lines' stream: -o FILE, or standard output unless
 * --summary. Returns 0, or 3 (said on stderr). */
static int open_output(struct app *a)
{
    const struct kp_annotate_options *o = a->o;
    if (o->output != NULL) {
        a->jout = strcmp(o->output, "-") == 0 ? stdout : fopen(o->output, "w");
        if (a->jout == NULL) {
            kp_annotate_warn("%s: %s", o->output, strerror(errno));
            return 3;
        }
    } else if (!o->summary) {
        a->jout = stdout;
    }
    return 0;
}

/* Read every input; traces are decided chunk by chunk as they are read
 * (process_chunk). Returns 0 or 3 (an input could not be read to its end),
 * or -1 when the run must stop (out of memory, output failed; said). */
static int read_all(struct app *a)
{
    int status = 0;
    json_object_seed(0); /* before any worker thread creates a JSON object */
    unsigned workers = a->o->threads < 0 ? kp_par_default_workers() : (unsigned)a->o->threads;
    if (kp_par_new(workers, &a->par) != 0 || kp_summary_new(&a->sum) != 0 ||
        kp_stitch_new(&a->stitch) != 0 ||
        (a->o->graph && kp_graph_new(&a->graph_acc, &a->o->cfg, &a->o->graph_opts) != 0)) {
        kp_annotate_warn("out of memory");
        return -1;
    }
    /* With tables only (no DNS source), the workers that parse kptrace lines
     * look their hops up too; everything across traces stays here. */
    if (workers > 0 && kp_asmap_concurrent_lookups(a->map))
        a->par_map = a->map;
    for (size_t i = 0; i < a->o->n_files && !a->fatal; i++) {
        int rc = kp_annotate_read_input(a, (int)i);
        if (rc != 0 && !a->fatal)
            status = 3;
    }
    if (!a->fatal)
        kp_annotate_chunk(a);
    if (a->fatal) {
        if (a->fatal == -ENOMEM)
            kp_annotate_warn("out of memory");
        return -1;
    }
    return status;
}

/* With a RIB: the control-plane upstreams of each summary group's prefix at
 * the time of its first trace. */
static void set_rib_upstreams(struct app *a)
{
    struct kp_summary *sum = a->sum;
    for (size_t i = 0; i < kp_summary_count(sum); i++) {
        const struct kp_summary_group *g = kp_summary_group(sum, i);
        struct kp_prefix p;
        if (kp_prefix_make(&g->prefix, g->plen, &p) != 0)
            continue;
        int64_t at = g->first_ns ? g->first_ns / 1000000000 : INT64_MAX;
        uint32_t ups[KP_SUMMARY_MAX_UPSTREAMS];
        int n = kp_asmap_rib_upstreams(a->map, &p, at, ups, KP_SUMMARY_MAX_UPSTREAMS, NULL);
        if (n > 0)
            kp_summary_set_upstreams(
                sum, i, ups,
                (size_t)n < KP_SUMMARY_MAX_UPSTREAMS ? (size_t)n : KP_SUMMARY_MAX_UPSTREAMS);
    }
}

/* The JSON lines of groups [from, to) (kp_annot_summary_json), into
 * lines[0 ..): made by the caller's thread and, for half of a block, by a
 * second thread (the groups are only read). rc: the first failure, with
 * lines from there on NULL. */
struct sum_part {
    const struct kp_summary *sum;
    size_t from, to;
    char **lines;
    int rc;
};

static void *format_part(void *arg)
{
    struct sum_part *p = arg;
    p->rc = 0;
    for (size_t i = p->from; i < p->to; i++) {
        size_t len = 0;
        p->lines[i - p->from] = NULL;
        if (p->rc == 0)
            p->rc =
                kp_annot_summary_json(kp_summary_group(p->sum, i), &p->lines[i - p->from], &len);
        if (p->rc != 0) {
            free(p->lines[i - p->from]);
            p->lines[i - p->from] = NULL;
        }
    }
    return NULL;
}

#define SUMMARY_BLOCK 4096

/* --summary-format json: the lines made a block at a time (split with a
 * second thread when there are worker threads) and printed in order; the
 * same lines, and the same stop at the first group that cannot be made.
 * Returns 0 or -ENOMEM (said). */
static int print_summary_json(const struct app *a)
{
    const struct kp_summary *sum = a->sum;
    size_t n = kp_summary_count(sum);
    bool two = a->o->threads != 0 && n > 1;
    char **lines = malloc(SUMMARY_BLOCK * sizeof(*lines));
    if (lines == NULL) {
        kp_annotate_warn("out of memory");
        return -ENOMEM;
    }
    int rc = 0;
    for (size_t from = 0; from < n && rc == 0; from += SUMMARY_BLOCK) {
        size_t to = n - from < SUMMARY_BLOCK ? n : from + SUMMARY_BLOCK;
        size_t mid = two ? from + (to - from) / 2 : to;
        struct sum_part p1 = {sum, from, mid, lines, 0};
        struct sum_part p2 = {sum, mid, to, lines + (mid - from), 0};
        pthread_t th;
        bool started = mid < to && pthread_create(&th, NULL, format_part, &p2) == 0;
        format_part(&p1);
        if (started)
            pthread_join(th, NULL);
        else
            format_part(&p2);
        for (size_t i = 0; i < to - from; i++) {
            if (lines[i] != NULL && rc == 0)
                puts(lines[i]);
            else if (rc == 0)
                rc = -ENOMEM;
            free(lines[i]);
        }
    }
    free(lines);
    if (rc != 0)
        kp_annotate_warn("out of memory");
    return rc;
}

/* --summary on standard output, as text or JSON lines. Returns 0 or -ENOMEM
 * (said). */
static int print_summary(const struct app *a)
{
    const struct kp_summary *sum = a->sum;
    if (a->o->summary_json)
        return print_summary_json(a);
    char row[1024];
    struct kp_summary_widths w;
    kp_summary_fit_widths(sum, &w);
    kp_summary_format_header(&w, row, sizeof(row));
    puts(row);
    for (size_t i = 0; i < kp_summary_count(sum); i++) {
        kp_summary_format_row(kp_summary_group(sum, i), &w, row, sizeof(row));
        puts(row);
    }
    return 0;
}

/* --graph FILE.dot. Returns 0 or 3. */
static int write_graph(const struct app *a)
{
    int status = 0;
    char *dot = NULL;
    size_t len = 0;
    FILE *gf = fopen(a->o->graph, "w");
    if (gf == NULL || kp_graph_dot(a->graph_acc, &dot, &len) != 0 || write_all(gf, dot, len) != 0) {
        kp_annotate_warn("%s: cannot write the graph", a->o->graph);
        status = 3;
    }
    if (gf != NULL && fclose(gf) != 0)
        status = 3;
    free(dot);
    return status;
}

/* The run's totals on standard error (unless -q). */
static void print_totals(const struct app *a, const struct reconcile *rec)
{
    const unsigned long *per_status = a->per_status;
    struct kp_asmap_dns_stats ds;
    kp_asmap_dns_stats(a->map, &ds);
    fprintf(stderr,
            "kpannotate: %lu records: %zu traces (%lu reached, %lu filtered, %lu incomplete, "
            "%lu undetermined), %zu groups, %lu bad records, %lu skipped records, "
            "%lu bad source lines, %lu failed lookups\n",
            rec->records, a->n_done, per_status[KP_TRANSIT_REACHED],
            per_status[KP_TRANSIT_FILTERED], per_status[KP_TRANSIT_INCOMPLETE],
            per_status[KP_TRANSIT_UNDETERMINED], kp_summary_count(a->sum), a->bad_records,
            a->skipped_records, a->source_notes.skipped, a->failed_lookups);
    if (a->chg != NULL)
        fprintf(stderr, "kpannotate: --changes: %llu changes in %zu (vp, prefix, method) keys\n",
                (unsigned long long)kp_changes_events(a->chg), kp_changes_keys(a->chg));
    if (a->o->cymru || a->o->rdns)
        fprintf(stderr,
                "kpannotate: DNS: %lu queries, %lu answers, %lu cache hits, %lu timeouts, "
                "%lu garbage, %lu servfail, %lu nxdomain%s\n",
                ds.queries, ds.answers, ds.cache_hits, ds.timeouts, ds.garbage, ds.servfail,
                ds.nxdomain, ds.down ? "; the server was declared down" : "");
}

/* After the inputs: close the output, write the summary and graph, report
 * and reconcile the counts, write --stats-json. Returns the exit status. */
static int finish(struct app *a, int status)
{
    status = status ? status : a->out_status;
    if (a->jout != NULL && a->jout != stdout && fclose(a->jout) != 0) {
        kp_annotate_warn("%s: %s", a->o->output, strerror(errno));
        status = 3;
    }
    a->jout = NULL;
    status = kp_annotate_changes_close(a, status);
    kp_summary_finish(a->sum);
    if (a->o->have_rib)
        set_rib_upstreams(a);
    if (a->o->summary && print_summary(a) != 0)
        return 3;
    if (a->graph_acc != NULL && write_graph(a) != 0)
        status = 3;
    if (fflush(stdout) != 0) {
        kp_annotate_warn("stdout: write failed");
        status = 3;
    }

    /* Every record read is decided, bad or skipped: say so when not. */
    struct reconcile rec;
    reconcile(a, &rec);
    if (!a->o->quiet)
        print_totals(a, &rec);
    for (size_t i = 0; i < a->o->n_files; i++) {
        const struct input_count *ic = &a->counts[i];
        if (!counts_agree(ic))
            kp_annotate_warn(
                "%s: counts do not reconcile: %lu records read, but %lu decided + %lu bad + %lu "
                "skipped",
                kp_annotate_file_name(a, (int)i), ic->records - ic->quiet, ic->decided, ic->bad,
                ic->skipped);
    }
    if (status == 0 && (a->bad_records > 0 || a->failed_lookups > 0 || a->source_notes.skipped > 0))
        status = 1;
    if (!rec.agree)
        status = 4;
    if (a->o->stats_json != NULL && write_stats_json(a, &rec, status) != 0) {
        kp_annotate_warn("%s: cannot write the statistics", a->o->stats_json);
        if (status < 3)
            status = 3;
    }
    return status;
}

static void app_free(struct app *a)
{
    if (a->jout != NULL && a->jout != stdout)
        fclose(a->jout);
    kp_par_free(a->par);
    kp_summary_free(a->sum);
    kp_stitch_free(a->stitch);
    kp_graph_free(a->graph_acc);
    kp_annotate_changes_free(a);
    for (size_t i = 0; i < a->n_items; i++) {
        kp_trace_free(&a->items[i].t);
        free(a->items[i].ann);
    }
    free(a->items);
    kp_asmap_free(a->map);
    free(a->counts);
}

int kp_annotate_run(const struct kp_annotate_options *o)
{
    struct app *a = calloc(1, sizeof(*a));
    if (a == NULL) {
        kp_annotate_warn("out of memory");
        return 3;
    }
    a->o = o;
    int status;
    a->counts = calloc(o->n_files, sizeof(*a->counts));
    if (a->counts == NULL) {
        kp_annotate_warn("out of memory");
        status = 3;
    } else if ((status = load_sources(a)) == 0 && (status = open_output(a)) == 0 &&
               (status = kp_annotate_changes_open(a)) == 0) {
        status = read_all(a);
        status = status < 0 ? 3 : finish(a, status);
    }
    app_free(a);
    free(a);
    return status;
}
