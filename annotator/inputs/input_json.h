/* SPDX-License-Identifier: BSD-2-Clause */
/* input_json.h — what the JSON input parsers (RIPE Atlas, scamper) share:
 * reporting a bad field with its line, reading checked fields with jansson,
 * one MPLS label entry, and the loop over a file of JSON records.
 *
 * Pure: no I/O; the buffer is the caller's. Internal to annotator/inputs/input_*.c.
 */
#ifndef KP_INPUT_JSON_H
#define KP_INPUT_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "annotator/inputs/input.h"
#include "io/reader.h"
#include "core/record/trace.h"

/* The record being converted: where errors go, and its first line. */
struct kp_jrec {
    const struct kp_input_sink *sink;
    unsigned long line;
    struct kp_input_skips *skips; /* may be NULL */
};

/* Report field (e.g. "result[2].result[0].rtt") as wrong with msg to the
 * sink's error callback. Returns -EINVAL, for `return kp_jbad(...)`. */
int kp_jbad(const struct kp_jrec *r, const char *field, const char *msg);

/* Count the record as skipped (not a usable traceroute) in r->skips, and
 * note it there with what it is. */
void kp_jskip(const struct kp_jrec *r, const char *what);

/* Optional integer o[key] in lo..hi. where prefixes the field name in
 * errors. allow_real also takes a JSON real with an integral value (RIPE
 * Atlas writes some integers as 1.0). 0 absent or null (*out untouched),
 * 1 present (in *out), -EINVAL wrong (reported with the field and what is
 * wrong: "not an integer", "out of range", ...; see core/base/json_num.h). */
int kp_jget_int(const struct kp_jrec *r, json_t *o, const char *key, const char *where,
                json_int_t lo, json_int_t hi, bool allow_real, json_int_t *out);

/* Optional number o[key] (JSON integer or real) in lo..hi, as for
 * kp_jget_int: 0 absent or null, 1 present (in *out), -EINVAL wrong or out
 * of range (reported, e.g. "hops[3].rtt: out of range"). */
int kp_jget_real(const struct kp_jrec *r, json_t *o, const char *key, const char *where, double lo,
                 double hi, double *out);

/* Optional IP address string o[key]: 0 absent, 1 present, -EINVAL wrong. */
int kp_jget_addr(const struct kp_jrec *r, json_t *o, const char *key, const char *where,
                 struct kp_addr *out);

/* One MPLS label stack entry, object l with the given key names for label,
 * traffic class (exp), bottom-of-stack and TTL, appended to h (entries past
 * KP_MAX_MPLS are dropped). 0 or -EINVAL (reported). */
int kp_jget_mpls(const struct kp_jrec *r, json_t *l, const char *where, const char *const keys[4],
                 bool allow_real, struct kp_hop *h);

/* Turn one parsed JSON value into a trace: 1 made (*t filled), 0 not a
 * trace (skipped; kp_jskip counts it when it should be), -EINVAL bad
 * (already reported), -ENOMEM. */
typedef int (*kp_jconvert_fn)(void *ctx, const struct kp_jrec *r, json_t *o, struct kp_trace *t);

/* A one-pass reader of a record's text that fills the trace without JSON
 * values, for the common form of a record: 0 (*t filled: a trace, nothing
 * reported), -EAGAIN (declined: the record goes to jansson and the
 * converter) or -ENOMEM; on failure *t is left initialised and empty. It
 * must read exactly what the converter would make of the record, and keep
 * nothing between records (workers run it). */
typedef int (*kp_jscan_fn)(const char *text, size_t len, struct kp_trace *t);

/* Read JSON records from rd: values one after another (one per line or
 * concatenated), or — when allow_array — the elements of top-level arrays
 * (a RIPE Atlas dump), one at a time: each is read by scan (NULL: none) or,
 * when it declines, parsed and converted, handed to
 * sink->trace with its first line, and freed before the next is read. With
 * par (input_par.h; NULL: none) records are parsed by its workers, and
 * converted there too when the converter is stateless (it keeps nothing
 * between records and uses ctx read-only); results are delivered in order
 * either way. Every
 * record lands in exactly one of tally's counts (traces, bad, skipped,
 * quiet). `what` names a value in the error for a non-object ("a traceroute
 * result"; NULL: none). Returns 0 at the end of the input (bad records were
 * reported and counted), or the error that stopped the reading: the reader's
 * (-EINVAL: corrupt compressed data; -EIO), the sink's, or -ENOMEM. */
int kp_json_records_read(struct kp_reader *rd, struct kp_par *par, const struct kp_input_sink *sink,
                         struct kp_input_skips *skips, struct kp_input_tally *tally,
                         bool allow_array, const char *what, kp_jconvert_fn convert,
                         kp_jscan_fn scan, void *ctx, bool stateless);

/* kp_json_records_read over the bytes buf[0..len) (the caller's). Returns 0
 * when every record was good, -EINVAL when some were bad (each reported), or
 * a negative error from the sink or -ENOMEM. */
int kp_json_records_parse(const char *buf, size_t len, const struct kp_input_sink *sink,
                          struct kp_input_skips *skips, bool allow_array, const char *what,
                          kp_jconvert_fn convert, kp_jscan_fn scan, void *ctx);

#endif
