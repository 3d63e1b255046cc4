/* SPDX-License-Identifier: BSD-2-Clause */
/* sweep_resume.h — the pure parts of `kptrace sweep --resume DIR`: which
 * (target, method) pairs of a sweep already have a record in
 * DIR/traces.jsonl, where the complete lines end, which trace id the next
 * part starts at, and where the last complete record of DIR/capture.pcap
 * ends. No sockets, no clocks; cmd_sweep.c does the file edges.
 *
 * A job of a sweep is numbered in its natural order (jobs.h). `done` is a
 * bitmap over the jobs (jobs.h: kp_jobs_bit; set = a record exists).
 */
#ifndef KP_SWEEP_RESUME_H
#define KP_SWEEP_RESUME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "prober/engine/engine.h"
#include "core/plan/jobs.h"
#include "core/record/trace.h"

struct kp_resume_scan {
    uint64_t lines;      /* complete records (lines ending in '\n') */
    uint64_t hops;       /* hop entries in them */
    uint64_t duplicates; /* records of a pair already seen (kept, counted once) */
    uint64_t max_id;     /* largest trace id among them (0 if none) */
    size_t valid_len;    /* bytes of the buffer up to the end of the last complete line */
    size_t cut_bytes;    /* bytes after it (a line cut by a crash) */
    uint64_t cut_line;   /* its 1-based line number, 0 if none */
};

/* Scan the text of traces.jsonl (buf[0..len)). Every line ending in '\n' must
 * be a trace record (kp_trace_json_parse) whose dst is a target and whose
 * method is one of methods[] (jobs->n_methods of them): it sets its job's bit
 * in done (kp_jobs_bitmap_words(jobs->n) words, zeroed by the caller) and, when on_record is not
 * NULL, is handed to it with its method index. Blank lines are skipped. Text
 * after the last '\n' is a line cut by a crash: not parsed, reported in
 * cut_bytes / cut_line. Returns 0, -ENOMEM, or -EINVAL with
 * "NAME:LINE: ..." in err (name is the file name used in messages). */
int kp_resume_scan(const char *buf, size_t len, const char *name, const struct kp_jobs *jobs,
                   const enum kp_method *methods, uint64_t *done, struct kp_resume_scan *out,
                   void (*on_record)(void *ctx, const struct kp_trace *t, unsigned mi), void *ctx,
                   char *err, size_t errlen);

/* The text of traces.jsonl (buf[0..len)) without the records of traces that
 * the interruption cut short (stop_reason "interrupted"): they are probed
 * again by the next part, so that each pair ends with one whole record.
 * Other lines, lines that do not parse (kp_resume_scan reports them) and the
 * text after the last '\n' are kept as they are. *out is malloc'ed (caller
 * frees; *out_len bytes), *dropped counts the records left out and *max_id
 * receives the largest id among them (0 if none: their ids are not reused).
 * 0 or -ENOMEM. */
int kp_resume_drop_interrupted(const char *buf, size_t len, char **out, size_t *out_len,
                               uint64_t *dropped, uint64_t *max_id);

/* The first trace id of the next part, so that no id names two traces in
 * the capture. max_id: the largest id in traces.jsonl (removed records
 * included); stored_next: sweep.json's next_trace_id (0 when absent: a
 * sweep of an older kptrace), the first id the last part had not used when
 * sweep.json was last written. A part that ended (interrupted, error,
 * incomplete) wrote it at its end: ids continue at max(max_id + 1,
 * stored_next). After a crash (status "running") it is the part's first id,
 * and traces may have sent probes without a record, their ids above
 * max(max_id, stored_next - 1): up to max_active running and as many
 * finished whose records were not yet written (one per slot); the next part
 * starts above them too. Ids are 32 bits (never 0). */
uint32_t kp_resume_next_id(uint64_t max_id, uint64_t stored_next, bool crashed,
                           uint32_t max_active);

/* Walk a pcap file (classic format, either byte order, us or ns): *good_end
 * receives the offset just after the last complete record (24 for a file
 * with only a header), *frames the number of complete records, *size the
 * file size. 0, or -EINVAL with err (not a pcap file, header cut) or -EIO. */
int kp_resume_pcap_tail(FILE *f, uint64_t *good_end, uint64_t *frames, uint64_t *size, char *err,
                        size_t errlen);

#endif
