/* SPDX-License-Identifier: BSD-2-Clause */
/* sweep_meta.h — DIR/sweep.json, the description of one sweep (format in
 * docs/format.md). Built from the options and the engine's counters; pure
 * formatting into a malloc'ed string. */
#ifndef KP_SWEEP_META_H
#define KP_SWEEP_META_H

#include <stdint.h>

#include "core/base/addr.h"
#include "core/plan/blocklist.h"
#include "prober/engine/engine.h"
#include "prober/cmd/options.h"
#include "core/record/run_checks.h"

struct kp_sweep_meta {
    const struct kp_options *opt;
    const struct kp_engine_stats *st;
    const char *status; /* "running", "complete", "incomplete", "interrupted", "error" */
    const char *error;  /* message when status is "error", else NULL */
    struct kp_addr src;
    const char *iface;
    uint64_t seed;
    uint64_t traces_written;  /* lines written to traces.jsonl */
    uint64_t hops_written;    /* hops in those lines */
    uint64_t write_errors;    /* records that could not be written */
    int64_t start_ns, end_ns; /* 0 = not yet */
    uint64_t planned_total;   /* counts.traces_planned of the whole sweep, 0 = st->jobs */
    uint64_t write_skipped;   /* planned traces whose record could not be written */
    uint64_t next_id;         /* the first trace id not used yet (next_trace_id) */
    /* The checks of the whole sweep (run_checks.h), NULL while running. */
    const struct kp_run_check *checks;
    const struct kp_exclusions *excluded; /* what the blocklist left out (NULL: nothing) */
};

/* This part's counts for the checks, from the engine's and the writer's. */
void kp_sweep_meta_counts(const struct kp_sweep_meta *m, struct kp_run_counts *out);

/* Add to *sum the counters of the parts before this one, as a stored
 * sweep.json (prior[0..len)) holds them (its top-level counts and capture,
 * the sums over its parts): probes, replies, capture drops, unplanned
 * records. 0 or -EINVAL (not a JSON object). */
int kp_sweep_meta_prior_counts(const char *prior, size_t len, struct kp_run_counts *sum);

/* Pretty-printed JSON object with a trailing newline. 0 with *out malloc'ed
 * (caller frees), or -ENOMEM. */
int kp_sweep_meta_json(const struct kp_sweep_meta *m, char **out);

/* What `kptrace sweep --resume DIR` needs of a stored sweep.json. */
struct kp_sweep_stored {
    char status[16];  /* "running" (left by a crash), "interrupted", ... */
    uint64_t next_id; /* next_trace_id, 0 when absent */
    int argc;         /* the sweep's options as a command line: argv[0] is */
    char **argv;      /* "sweep", then --vp, --out DIR, --targets, ... */
    char *excluded;   /* excluded.prefixes as "p1,p2,..." ("" when none, or
                         when sweep.json predates the field) */
};

/* Read the sweep.json text (text[0..len), name is used in messages) of the
 * sweep in dir into *out: its status and the command line that repeats its
 * options exactly (targets, methods, pps, TTLs, attempts, wait, gap limit,
 * window, ports, size, Doubletree, seed, src, iface, user, vp, blocklist and
 * allowlist files; --out dir) and the prefixes the blocklist left out.
 * 0, -ENOMEM, or -EINVAL with "NAME:LINE: ..." or "NAME: FIELD: ..." in err.
 * Free with kp_sweep_stored_free. */
int kp_sweep_stored_parse(const char *text, size_t len, const char *name, const char *dir,
                          struct kp_sweep_stored *out, char *err, size_t errlen);
void kp_sweep_stored_free(struct kp_sweep_stored *s);

/* sweep.json of a resumed sweep: prior (the sweep.json found when the part
 * started, already checked by kp_sweep_stored_parse) plus the part described
 * by cur. The result is cur's object (options, vp, ... of cur, status of cur,
 * end of cur) with:
 *   start   the first part's start;
 *   parts   prior's parts (or, for a sweep never resumed, one part made of
 *           prior's start, end, status, counts, capture), then cur's part.
 *           A prior last part still "running" (a crash) becomes "crashed".
 *           The prior last part's counts.traces and counts.hops are set to
 *           what traces.jsonl holds beyond the earlier parts (file_traces,
 *           file_hops: the complete lines kept when cur started), so that
 *           the sums equal the file;
 *   counts  each counter summed over the parts (null counts as 0), except
 *           traces_planned = cur->planned_total;
 *   capture frames, received, dropped, if_dropped summed; ts_source of cur.
 * 0 with *out malloc'ed (caller frees), -EINVAL (prior not an object) or
 * -ENOMEM. */
int kp_sweep_meta_merge(const char *prior, size_t prior_len, const struct kp_sweep_meta *cur,
                        uint64_t file_traces, uint64_t file_hops, char **out);

#endif
