/* SPDX-License-Identifier: BSD-2-Clause */
/* json_num.c — numbers from outside data within explicit limits. See
 * json_num.h. */
#include "core/base/json_num.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>

#include <jansson.h>

const char *kp_num_strerror(int status)
{
    switch (status) {
    case 0:
        return "";
    case -ENOENT:
        return "missing";
    case -EINVAL:
        return "not a number";
    case -EDOM:
        return "not an integer";
    case -ERANGE:
        return "out of range";
    default:
        return "bad number";
    }
}

/* 2^63 and 2^64 as doubles (exact): an integral double d converts to int64
 * without undefined behaviour iff -2^63 <= d < 2^63, to uint64 iff
 * 0 <= d < 2^64. */
#define TWO_63 9223372036854775808.0
#define TWO_64 18446744073709551616.0

int kp_num_double_to_i64(double d, int64_t lo, int64_t hi, int64_t *out)
{
    if (isnan(d))
        return -EINVAL;
    if (d != trunc(d)) /* finite with a fraction (an infinity equals its trunc) */
        return -EDOM;
    if (!(d >= -TWO_63 && d < TWO_63))
        return -ERANGE;
    int64_t x = (int64_t)d;
    if (x < lo || x > hi)
        return -ERANGE;
    *out = x;
    return 0;
}

int kp_num_double_to_u64(double d, uint64_t hi, uint64_t *out)
{
    if (isnan(d))
        return -EINVAL;
    if (d != trunc(d))
        return -EDOM;
    if (!(d >= 0 && d < TWO_64))
        return -ERANGE;
    uint64_t x = (uint64_t)d;
    if (x > hi)
        return -ERANGE;
    *out = x;
    return 0;
}

int kp_num_double_in(double d, double lo, double hi, double *out)
{
    if (isnan(d))
        return -EINVAL;
    if (!isfinite(d) || !(d >= lo && d <= hi))
        return -ERANGE;
    *out = d == 0 ? 0.0 : d; /* -0.0 reads as 0 */
    return 0;
}

/* Sign and magnitude of decimal text: 0, -EINVAL (not digits), -ERANGE
 * (more than 64 bits; the text is still checked to its end). */
static int scan_decimal(const char *s, size_t n, bool *neg, uint64_t *mag)
{
    size_t i = 0;
    *neg = false;
    if (n > 0 && s[0] == '-') {
        *neg = true;
        i = 1;
    }
    if (i == n)
        return -EINVAL;
    uint64_t v = 0;
    bool over = false;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -EINVAL;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            over = true;
        else if (!over)
            v = v * 10 + d;
    }
    if (over)
        return -ERANGE;
    *mag = v;
    return 0;
}

int kp_num_parse_i64(const char *s, size_t n, int64_t lo, int64_t hi, int64_t *out)
{
    bool neg;
    uint64_t mag;
    int rc = scan_decimal(s, n, &neg, &mag);
    if (rc < 0)
        return rc;
    int64_t x;
    if (neg) {
        if (mag > (uint64_t)INT64_MAX + 1)
            return -ERANGE;
        x = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
    } else {
        if (mag > (uint64_t)INT64_MAX)
            return -ERANGE;
        x = (int64_t)mag;
    }
    if (x < lo || x > hi)
        return -ERANGE;
    *out = x;
    return 0;
}

int kp_num_parse_u64(const char *s, size_t n, uint64_t hi, uint64_t *out)
{
    bool neg;
    uint64_t mag;
    int rc = scan_decimal(s, n, &neg, &mag);
    if (rc < 0)
        return rc;
    if ((neg && mag != 0) || mag > hi)
        return -ERANGE;
    *out = mag;
    return 0;
}

int kp_num_add_i64(int64_t a, int64_t b, int64_t *out)
{
    int64_t s;
    if (__builtin_add_overflow(a, b, &s))
        return -ERANGE;
    *out = s;
    return 0;
}

int kp_num_ms_to_ns(double ms, int64_t *ns)
{
    if (isnan(ms))
        return -EINVAL;
    return kp_num_double_to_i64(floor(ms * 1e6 + 0.5), INT64_MIN, INT64_MAX, ns);
}

int kp_json_i64(const json_t *v, int64_t lo, int64_t hi, unsigned forms, int64_t *out)
{
    if (v == NULL || json_is_null(v))
        return -ENOENT;
    if (json_is_integer(v)) {
        json_int_t x = json_integer_value(v);
        if (x < lo || x > hi)
            return -ERANGE;
        *out = (int64_t)x;
        return 0;
    }
    if (json_is_real(v)) {
        if (!(forms & KP_NUM_REAL))
            return -EDOM;
        return kp_num_double_to_i64(json_real_value(v), lo, hi, out);
    }
    if (json_is_string(v) && (forms & KP_NUM_STRING))
        return kp_num_parse_i64(json_string_value(v), json_string_length(v), lo, hi, out);
    return -EINVAL;
}

int kp_json_u64(const json_t *v, uint64_t hi, unsigned forms, uint64_t *out)
{
    if (v == NULL || json_is_null(v))
        return -ENOENT;
    if (json_is_integer(v)) {
        json_int_t x = json_integer_value(v);
        if (x < 0 || (uint64_t)x > hi)
            return -ERANGE;
        *out = (uint64_t)x;
        return 0;
    }
    if (json_is_real(v)) {
        if (!(forms & KP_NUM_REAL))
            return -EDOM;
        return kp_num_double_to_u64(json_real_value(v), hi, out);
    }
    if (json_is_string(v) && (forms & KP_NUM_STRING))
        return kp_num_parse_u64(json_string_value(v), json_string_length(v), hi, out);
    return -EINVAL;
}

int kp_json_double(const json_t *v, double lo, double hi, double *out)
{
    if (v == NULL || json_is_null(v))
        return -ENOENT;
    if (json_is_integer(v))
        return kp_num_double_in((double)json_integer_value(v), lo, hi, out);
    if (json_is_real(v))
        return kp_num_double_in(json_real_value(v), lo, hi, out);
    return -EINVAL;
}
