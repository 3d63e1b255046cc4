/* SPDX-License-Identifier: BSD-2-Clause */
/* trace_json.h — a kp_trace as one JSON object (one line of traces.jsonl).
 *
 * The format is documented field by field in docs/format.md. Writer and
 * reader are exact inverses for every field kptrace writes (rtt_ms is written
 * rounded to 1 microsecond; tx_ns/rx_ns keep full precision).
 *
 * The reader is strict: every value must have the documented type and range,
 * unknown keys are errors, required keys must be present, and the error says
 * which field is wrong (e.g. "hops[3].rtt_ms: expected a number or null").
 *
 * Pure: no I/O, no clocks, no globals (uses jansson for the JSON text the
 * scanner declines).
 */
#ifndef KP_TRACE_JSON_H
#define KP_TRACE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/record/trace.h"

/* Version of the JSON line format, written as "v". */
#define KP_TRACE_JSON_VERSION 1

/* Where the reader found a problem. field is a path like "dst",
 * "hops[2].addr" or "hops[0].mpls[1].label" ("" when the text is not JSON at
 * all); msg says what is wrong; column is the 1-based column of a JSON syntax
 * error (0 otherwise). */
struct kp_json_error {
    char field[64];
    char msg[160];
    int column;
};

/* Serialise *t as one JSON object without a trailing newline.
 * On success returns 0 and *out is a malloc'ed NUL-terminated string (caller
 * frees) and *len its length (len may be NULL). -ENOMEM or -EINVAL (a field
 * cannot be represented, e.g. unset src). */
int kp_trace_json_dump(const struct kp_trace *t, char **out, size_t *len);

struct json_t; /* jansson's value */

/* The object kp_trace_json_dump writes, as a jansson value, for callers that
 * add keys before writing it (kpannotate). Returns a new reference (the
 * caller json_decref()s it), or NULL with *rc = -ENOMEM or -EINVAL. */
struct json_t *kp_trace_json_object(const struct kp_trace *t, int *rc);

/* Parse one JSON object (text[0..len), need not be NUL-terminated; a trailing
 * newline is fine) into *out. *out is initialised by this function (any
 * previous content is NOT freed: pass a fresh or kp_trace_free'd record).
 * Returns 0, -EINVAL with *err filled (err may be NULL) on a malformed or
 * out-of-range field, or -ENOMEM. On error *out holds no allocation. */
int kp_trace_json_parse(const char *text, size_t len, struct kp_trace *out,
                        struct kp_json_error *err);

/* kp_trace_json_parse is these two: the scanner (core/record/trace_json_scan.c)
 * reads the usual form of a line in one pass without building JSON values
 * and declines anything else (escapes, bytes >= 0x80, exponents, and every
 * line the strict reader refuses); the strict reader (jansson) then reads
 * it or names what is wrong. Both are public so that tests and the fuzz
 * target can check that whatever the scanner accepts, it reads as the
 * strict reader does.
 * kp_trace_json_scan: 0 (*out filled), -EAGAIN (declined) or -ENOMEM; on
 * failure *out holds no allocation. */
int kp_trace_json_scan(const char *text, size_t len, struct kp_trace *out);
int kp_trace_json_parse_dom(const char *text, size_t len, struct kp_trace *out,
                            struct kp_json_error *err);

/* Whether two records hold the same values in every field a trace line
 * carries (reals compared bit for bit, hops in order). */
bool kp_trace_equal(const struct kp_trace *a, const struct kp_trace *b);

/* Format ns since the Unix epoch as RFC 3339 UTC with nanoseconds
 * ("2026-11-21T23:51:00.123456789Z") into buf (at least 32 bytes). Returns buf. */
char *kp_rfc3339_ns(int64_t ns, char *buf, size_t buflen);

/* Parse RFC 3339 UTC ("...Z" or "+00:00", 0-9 fraction digits) into ns since
 * the Unix epoch. 0, -EINVAL (not that form), or -ERANGE (a year outside
 * 1678..2261, which int64 nanoseconds cannot hold). */
int kp_rfc3339_parse(const char *s, int64_t *ns);

#endif
