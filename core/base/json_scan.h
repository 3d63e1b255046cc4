/* SPDX-License-Identifier: BSD-2-Clause */
/* json_scan.h — a one-pass JSON lexer for the fast readers of records
 * (core/record/trace_json_scan.c, annotator/inputs/input_atlas_scan.c).
 *
 * A fast reader walks a record's bytes once and fills its C record without
 * building JSON values; whatever it is not sure of it declines
 * (KP_JSCAN_DECLINE), and the caller then reads the record with jansson,
 * which reads it or says what is wrong. So this lexer only takes JSON that
 * jansson takes and reads to the same values: strings without escapes,
 * control characters or bytes >= 0x80; integers that fit int64; reals
 * without an exponent and with at most 15 significant digits, converted
 * exactly (m / 10^k with m < 2^53 and k <= 22 is what strtod gives);
 * white space as JSON defines it. Everything else declines.
 *
 * Pure: no I/O, no globals.
 */
#ifndef KP_JSON_SCAN_H
#define KP_JSON_SCAN_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KP_JSCAN_DECLINE (-EAGAIN)
#define KP_JSCAN_END     (-1) /* kp_jscan_field: the object's closing '}' */
#define KP_JSCAN_OTHER   (-2) /* kp_jscan_field: a key not in the list */

/* Where the lexer is in text[p..end). */
struct kp_jscan {
    const char *p, *end;
};

enum kp_jkind {
    KP_JV_STR,
    KP_JV_INT,
    KP_JV_REAL,
    KP_JV_NULL,
    KP_JV_TRUE,
    KP_JV_FALSE,
    KP_JV_OBJ,
    KP_JV_ARR
};

/* A scanned value. */
struct kp_jval {
    enum kp_jkind kind;
    const char *s; /* STR: the bytes (no escapes); INT/REAL: the token */
    size_t n;
    double d; /* REAL */
};

/* Where the walk through an object's members is. Start with {true, 0, 0}. */
struct kp_jobj {
    bool first;    /* no member read yet */
    uint32_t seen; /* keys of the list read, by index */
    int next;      /* where the key search starts */
};

/* Skip white space. */
void kp_jscan_ws(struct kp_jscan *c);

/* White space, then ch: consumed (true) or not there (false). */
bool kp_jscan_eat(struct kp_jscan *c, char ch);

/* The next value. Objects and arrays are only opened (KP_JV_OBJ /
 * KP_JV_ARR, the bracket consumed): the caller reads what is in them or
 * skips them (kp_jscan_skip). 0 or KP_JSCAN_DECLINE. */
int kp_jscan_value(struct kp_jscan *c, struct kp_jval *v);

/* The rest of value v (an opened object or array is read to its closing
 * bracket; other values are complete already), checked as the lexer checks
 * everything, nested at most 32 deep. 0 or KP_JSCAN_DECLINE. */
int kp_jscan_skip(struct kp_jscan *c, const struct kp_jval *v);

/* The next member of an object whose '{' was consumed: the index of its key
 * in keys[nkeys] (at most 32), its value in *v (an object or array only
 * opened), c->p after the value; KP_JSCAN_END at the closing '}'. A key not
 * in the list gives KP_JSCAN_OTHER when `others` (the caller reads or skips
 * its value) and declines otherwise; a key of the list read twice declines.
 * KP_JSCAN_DECLINE for anything that is not JSON. */
int kp_jscan_field(struct kp_jscan *c, struct kp_jobj *o, const char *const *keys, int nkeys,
                   bool others, struct kp_jval *v);

/* An integer value in [lo, hi]: 0 (*out set), -ENOENT (null), or
 * KP_JSCAN_DECLINE (another type, out of range). With allow_real, a real
 * with an integral value counts too (core/base/json_num.h's KP_NUM_REAL). */
int kp_jscan_int(const struct kp_jval *v, int64_t lo, int64_t hi, bool allow_real, int64_t *out);

/* A number value (integer or real) in [lo, hi] as a double, as
 * kp_json_double reads it: 0, -ENOENT (null) or KP_JSCAN_DECLINE. */
int kp_jscan_double(const struct kp_jval *v, double lo, double hi, double *out);

#endif
