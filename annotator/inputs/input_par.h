/* SPDX-License-Identifier: BSD-2-Clause */
/* input_par.h — records parsed by worker threads, delivered in order.
 *
 * Parsing JSON (jansson) is most of what kpannotate spends on a large input.
 * The pipeline here cuts records off a reader (io/reader.h) in the
 * caller's thread, hands batches of them to worker threads that parse them
 * (the `work` step: no shared state), and gives the results back to the
 * caller's thread in input order (the `done` step: sinks, counts, messages),
 * so the output is the same whatever the number of workers, 0 included
 * (then both steps run in the caller's thread). At most a fixed number of
 * batches is in flight: memory is bounded, not by the input.
 *
 * What a work step says about a record (errors, skipped records) is logged
 * with the record and replayed by the done step, in order.
 */
#ifndef KP_ANALYSIS_INPUT_PAR_H
#define KP_ANALYSIS_INPUT_PAR_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "annotator/inputs/input.h"
#include "io/reader.h"
#include "core/record/trace.h"
#include "core/verdict/verdict.h"

/* Records per batch, and batches in flight per worker (plus two). */
#define KP_PAR_BATCH    128
#define KP_PAR_INFLIGHT 2

/* What the work step made of one record, for the done step. */
struct kp_par_out {
    struct kp_trace t;       /* initialised; filled when rc == 1 */
    json_t *json;            /* a parsed value the done step converts (then frees), or NULL */
    int rc;                  /* the work step's verdict: 1 trace, 0 nothing, < 0 bad */
    unsigned long skips;     /* records noted as skipped */
    struct kp_par_event *ev; /* logged errors and skip notes, in order */
    size_t n_ev, cap_ev;
    /* what the work step annotated of t (sources/annotate.h), or NULL:
     * t->n_hops + 1 entries (the destination last), malloc'ed; a done step
     * that keeps it sets it to NULL, else it is freed with out */
    struct kp_hop_annot *ann;
    int ann_failed; /* failed lookups among them */
    bool decided;   /* v is t's verdict (the work step decided it) */
    struct kp_transit v;
};

struct kp_par_event {
    bool skip; /* a skip note; else an error */
    unsigned long line;
    char field[160];
    char msg[256];
};

/* Log an error / a skip note on out (from a work step). */
void kp_par_error(struct kp_par_out *out, unsigned long line, const char *field, const char *msg);
void kp_par_skip(struct kp_par_out *out, unsigned long line, const char *what);

/* Replay out's events, in order, to sink->error and skips (count and note).
 * Returns the number of errors. */
unsigned long kp_par_replay(const struct kp_par_out *out, const struct kp_input_sink *sink,
                            struct kp_input_skips *skips);

struct kp_par_ops {
    bool lines;          /* records are lines (else JSON records) */
    unsigned json_flags; /* for kp_reader_json */
    /* in a worker (or the caller's thread): turn rec into out; must not touch
     * shared state; ctx is shared read-only */
    void (*work)(const void *ctx, const struct kp_rec *rec, struct kp_par_out *out);
    /* in the caller's thread, in input order; a negative return stops the
     * reading and is returned by kp_par_run. out is cleaned after it. */
    int (*done)(void *ctx, const struct kp_rec *rec, struct kp_par_out *out);
    const void *work_ctx;
    void *done_ctx;
};

struct kp_par;

/* A pipeline with `workers` threads (0: none, everything in the caller's
 * thread). 0, -ENOMEM or -EAGAIN. */
int kp_par_new(unsigned workers, struct kp_par **out);
void kp_par_free(struct kp_par *p);

/* A reasonable number of workers for this machine (the online processors,
 * at most 4). */
unsigned kp_par_default_workers(void);

/* Read every record of rd through ops (p may be NULL: no workers). Returns 0
 * at the end of the input, the reader's error (after every record before it
 * was done), a done step's negative return, or -ENOMEM. */
int kp_par_run(struct kp_par *p, struct kp_reader *rd, const struct kp_par_ops *ops);

#endif
