/* SPDX-License-Identifier: BSD-2-Clause */
/* annotate_app.h — the state of one kpannotate run, shared by
 * annotate_read.c (the inputs) and annotate_run.c (sources, decisions,
 * outputs). Not an API: only those two files include it. */
#ifndef KP_ANNOTATE_APP_H
#define KP_ANNOTATE_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "annotator/cmd/annotate_options.h"
#include "annotator/inputs/input_par.h"
#include "annotator/inputs/input.h"
#include "core/asmap/asmap.h"
#include "core/change/detect.h"
#include "core/record/trace.h"
#include "core/verdict/changes.h"
#include "core/verdict/summary.h"
#include "core/verdict/verdict.h"
#include "core/verdict/verdict_stitch.h"
#include "core/output/graph_dot.h"
#include "io/decompress.h"

struct item {
    struct kp_trace t;
    char sweep[KP_SWEEP_LEN];
    unsigned long line;
    int file; /* index into o->files */
    enum kp_input_kind kind;
    /* t's hops and destination as annotated by a parsing worker (t sorted
     * there), or NULL: annotated when decided */
    struct kp_hop_annot *ann;
    int ann_failed;
    bool decided; /* v: t's verdict, decided by the worker too (nothing to stitch) */
    struct kp_transit v;
};

/* What was read from one input, for the reconciliation at the end: every
 * record read is decided, bad or skipped (bookkeeping records apart). */
struct input_count {
    unsigned long
        records;          /* framed by the reader (JSON records, non-blank lines, rebuilt traces) */
    unsigned long quiet;  /* bookkeeping records (scamper cycle-start, ...) */
    unsigned long traces; /* traces handed over by the reader */
    unsigned long decided, bad, skipped;
    enum kp_input_kind kind;
    enum kp_compression comp;
    bool failed; /* could not be read to its end */
    char error[256];
};

struct app {
    const struct kp_annotate_options *o;
    /* state */
    struct kp_asmap *map;
    struct item *items;
    size_t n_items, cap_items;
    int cur_file;
    enum kp_input_kind cur_kind;
    struct input_count *counts; /* per input file */
    struct kp_par *par;         /* parsing workers (--threads) */
    struct kp_asmap *par_map;   /* the map when the workers may look hops up in it, else NULL */
    unsigned long bad_records, failed_lookups;
    unsigned long skipped_records, skip_notes; /* skip_notes: in the current file */
    struct kp_load_notes source_notes;         /* malformed prefix2as / RIB lines */
    unsigned long source_notes_here;           /* ... noted for the current source */
    /* output, filled chunk by chunk (see process_chunk) */
    FILE *jout; /* annotated JSON lines, or NULL */
    struct kp_summary *sum;
    struct kp_graph *graph_acc; /* when --graph */
    struct kp_stitch *stitch;   /* Doubletree prefixes, kept across chunks */
    /* --changes: a tracker per (vp, prefix, method), the chunk's
     * observations (one per item), the events' file */
    struct kp_changes *chg;
    struct kp_chg_obs *chg_obs;
    size_t cap_chg_obs;
    FILE *chg_out;
    unsigned long per_status[KP_TRANSIT_STATUS_COUNT];
    size_t n_done;  /* traces decided so far */
    int out_status; /* 1: a trace could not be written as JSON */
    int fatal;      /* -ENOMEM or -EIO (output): stop reading */
};

/* Traces are decided in chunks of this many, so memory is bounded by a chunk
 * (plus the summary and graph), not by the size of the inputs; each chunk's
 * DNS lookups still go out at once. */
#define CHUNK_TRACES 8192

/* Skipped records and malformed source lines named per file; the rest are
 * only counted. */
#define SKIP_NOTES_PER_FILE 3

/* "kpannotate: " + the message + newline, on standard error. */
void kp_annotate_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The name of input fi, as given ("-" for standard input). */
const char *kp_annotate_file_name(const struct app *a, int fi);

/* Read input fi (annotate_read.c). Returns 0 when it was read to its end,
 * else a negative error (said on stderr). */
int kp_annotate_read_input(struct app *a, int fi);

/* --changes (annotate_changes.c): open the events' file and the trackers
 * (0, or 3 said on stderr); make room for a chunk's observations in
 * a->chg_obs (0 or -ENOMEM); feed the chunk's decided traces a->items[0..n)
 * with their observations a->chg_obs[0..n) in start order and write the
 * events (0, or sets and returns a->fatal); close the file and report
 * (returns the exit status, status or worse); release. */
int kp_annotate_changes_open(struct app *a);
int kp_annotate_changes_reserve(struct app *a, size_t n);
int kp_annotate_changes_chunk(struct app *a, size_t n);
int kp_annotate_changes_close(struct app *a, int status);
void kp_annotate_changes_free(struct app *a);

/* Decide, write and aggregate the traces read so far (annotate_run.c).
 * Returns 0, or sets and returns a->fatal. */
int kp_annotate_chunk(struct app *a);

#endif
