/* SPDX-License-Identifier: BSD-2-Clause */
/* json_num.h — numbers from outside data (JSON values, decimal text, a
 * database's doubles) converted to C numbers within explicit limits.
 *
 * Every reader of other people's files converts numbers through here, never
 * with a bare cast: a double outside the range of the integer it is cast to
 * is undefined behaviour in C (a 1e108 rtt in a scamper file), and an
 * integer that fits the C type can still be nonsense for the field. Each
 * function takes the limits the field allows and returns a status (0 or a
 * negative errno, libuv style; kp_num_strerror says it in words):
 *
 *   0        *out holds the value (and only then is *out written)
 *   -ENOENT  no value: a NULL json_t or JSON null (callers decide whether a
 *            field may be absent)
 *   -EINVAL  not a number: another JSON type, a string where strings are not
 *            allowed, or a string that is not a decimal integer ("NaN", "1e3",
 *            " 12", "+5", "")
 *   -EDOM    a number, but not an integer where one is wanted (3.5, 1e-320)
 *   -ERANGE  a number outside the limits (2^63, 1e308, a 100-digit literal)
 *
 * JSON reals keep what jansson parsed (a finite double: jansson refuses
 * literals that overflow a double, such as 1e309, and integers past int64,
 * such as 2^63, as syntax errors of the whole text). -0.0 reads as 0.
 * Subnormal reals (1e-320) are finite and read as themselves.
 *
 * Pure: no I/O, no globals, no locale (strings are parsed by hand).
 */
#ifndef KP_JSON_NUM_H
#define KP_JSON_NUM_H

#include <stddef.h>
#include <stdint.h>

struct json_t; /* jansson's value */

/* Forms an integer may be written in besides a JSON integer. */
#define KP_NUM_REAL   0x1u /* a JSON real with an integral value: 3.0, 1e3 (RIPE Atlas) */
#define KP_NUM_STRING 0x2u /* a decimal integer in a JSON string: "18446744073709551615" */

/* The status in words: "out of range", "not an integer", "not a number",
 * "missing" ("" for 0, "bad number" for anything else). Static strings. */
const char *kp_num_strerror(int status);

/* ---- plain C values ----------------------------------------------------- */

/* An integral double d in [lo, hi]: 0, -EDOM (a fraction), -ERANGE
 * (outside, or infinite), -EINVAL (NaN). */
int kp_num_double_to_i64(double d, int64_t lo, int64_t hi, int64_t *out);
int kp_num_double_to_u64(double d, uint64_t hi, uint64_t *out);

/* A finite d in [lo, hi] (-0.0 gives 0.0): 0, -ERANGE, -EINVAL (NaN). */
int kp_num_double_in(double d, double lo, double hi, double *out);

/* Decimal integer text s[0..n) (not NUL-terminated necessarily): an
 * optional '-' (i64 only) and one or more digits, nothing else (no white
 * space, no '+', no exponent). 0, -EINVAL (not that form), -ERANGE (outside
 * [lo, hi], however many digits). */
int kp_num_parse_i64(const char *s, size_t n, int64_t lo, int64_t hi, int64_t *out);
int kp_num_parse_u64(const char *s, size_t n, uint64_t hi, uint64_t *out);

/* a + b: 0, or -ERANGE when the sum does not fit (*out untouched). */
int kp_num_add_i64(int64_t a, int64_t b, int64_t *out);

/* Milliseconds (a double, e.g. an rtt) to whole nanoseconds, rounded half
 * up: 0, -ERANGE (not representable in int64), -EINVAL (NaN). */
int kp_num_ms_to_ns(double ms, int64_t *ns);

/* ---- JSON values (jansson) ---------------------------------------------- */

/* An integer in [lo, hi]: a JSON integer, or in the forms allowed by
 * `forms` (KP_NUM_REAL, KP_NUM_STRING). Status as above. */
int kp_json_i64(const struct json_t *v, int64_t lo, int64_t hi, unsigned forms, int64_t *out);

/* An unsigned integer in [0, hi] (up to UINT64_MAX through KP_NUM_STRING or
 * KP_NUM_REAL; a JSON integer holds at most INT64_MAX). */
int kp_json_u64(const struct json_t *v, uint64_t hi, unsigned forms, uint64_t *out);

/* A number (JSON integer or real) in [lo, hi] as a double. Status as
 * above (never -EDOM). */
int kp_json_double(const struct json_t *v, double lo, double hi, double *out);

#endif
