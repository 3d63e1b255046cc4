/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for core/base/json_num.c: numbers from outside data within limits.
 * Values are parsed from JSON text with jansson, as the readers see them;
 * expected values are written out by hand (2^63 = 9223372036854775808,
 * 2^64 = 18446744073709551616). */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "core/base/json_num.h"
#include "edge_numbers.h"

/* The JSON value of text (any type), or NULL when jansson refuses it. */
static json_t *j(const char *text)
{
    json_error_t e;
    return json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
}

static int i64(const char *text, int64_t lo, int64_t hi, unsigned forms, int64_t *out)
{
    json_t *v = j(text);
    cr_assert_not_null(v, "jansson refused %s", text);
    int rc = kp_json_i64(v, lo, hi, forms, out);
    json_decref(v);
    return rc;
}

static int u64(const char *text, uint64_t hi, unsigned forms, uint64_t *out)
{
    json_t *v = j(text);
    cr_assert_not_null(v, "jansson refused %s", text);
    int rc = kp_json_u64(v, hi, forms, out);
    json_decref(v);
    return rc;
}

static int dbl(const char *text, double lo, double hi, double *out)
{
    json_t *v = j(text);
    cr_assert_not_null(v, "jansson refused %s", text);
    int rc = kp_json_double(v, lo, hi, out);
    json_decref(v);
    return rc;
}

Test(json_num, integers_in_and_out_of_limits)
{
    int64_t x = 77;
    cr_assert_eq(i64("0", 0, 255, 0, &x), 0);
    cr_assert_eq(x, 0);
    cr_assert_eq(i64("-0", 0, 255, 0, &x), 0);
    cr_assert_eq(x, 0);
    cr_assert_eq(i64("255", 0, 255, 0, &x), 0);
    cr_assert_eq(x, 255);
    x = 77;
    cr_assert_eq(i64("256", 0, 255, 0, &x), -ERANGE);
    cr_assert_eq(i64("-1", 0, 255, 0, &x), -ERANGE);
    cr_assert_eq(x, 77, "out untouched on error");
    cr_assert_eq(i64("9223372036854775807", 0, INT64_MAX, 0, &x), 0);
    cr_assert_eq(x, INT64_MAX);
    cr_assert_eq(i64("-9223372036854775808", INT64_MIN, 0, 0, &x), 0);
    cr_assert_eq(x, INT64_MIN);
    cr_assert_eq(i64("4294967296", 0, UINT32_MAX, 0, &x), -ERANGE);
}

Test(json_num, jansson_refuses_integers_past_int64_and_reals_past_double)
{
    /* the readers rely on this: such texts are syntax errors of the record */
    cr_assert_null(j("9223372036854775808"));  /* 2^63 */
    cr_assert_null(j("-9223372036854775809")); /* -2^63 - 1 */
    cr_assert_null(j("18446744073709551616")); /* 2^64 */
    cr_assert_null(j(D100));
    cr_assert_null(j("1e309"));
    cr_assert_null(j("-1e309"));
    cr_assert_null(j("NaN"));
    cr_assert_null(j("Infinity"));
}

Test(json_num, reals_as_integers)
{
    int64_t x = 77;
    cr_assert_eq(i64("3.0", 0, 255, KP_NUM_REAL, &x), 0);
    cr_assert_eq(x, 3);
    cr_assert_eq(i64("1e2", 0, 255, KP_NUM_REAL, &x), 0);
    cr_assert_eq(x, 100);
    x = 77;
    cr_assert_eq(i64("3.0", 0, 255, 0, &x), -EDOM, "a real where only integers are read");
    cr_assert_eq(i64("3.5", 0, 255, KP_NUM_REAL, &x), -EDOM);
    cr_assert_eq(i64("1e-320", 0, 255, KP_NUM_REAL, &x), -EDOM, "subnormal");
    cr_assert_eq(i64("1e308", 0, INT64_MAX, KP_NUM_REAL, &x), -ERANGE);
    cr_assert_eq(i64("-1e308", INT64_MIN, INT64_MAX, KP_NUM_REAL, &x), -ERANGE);
    cr_assert_eq(i64(R103, 0, INT64_MAX, KP_NUM_REAL, &x), -ERANGE);
    /* 2^63 as a real: (double)INT64_MAX is 2^63, so a check against
     * (double)hi lets it through to an undefined cast; here it is refused */
    cr_assert_eq(i64("9223372036854775808.0", 0, INT64_MAX, KP_NUM_REAL, &x), -ERANGE);
    cr_assert_eq(i64("9223372036854775807.0", 0, INT64_MAX, KP_NUM_REAL, &x), -ERANGE,
                 "rounds to 2^63");
    cr_assert_eq(i64("18446744073709551616.0", INT64_MIN, INT64_MAX, KP_NUM_REAL, &x), -ERANGE);
    cr_assert_eq(x, 77);
    cr_assert_eq(i64("-9223372036854775808.0", INT64_MIN, INT64_MAX, KP_NUM_REAL, &x), 0);
    cr_assert_eq(x, INT64_MIN);
    cr_assert_eq(i64("-0.0", 0, 255, KP_NUM_REAL, &x), 0);
    cr_assert_eq(x, 0);
    cr_assert_eq(i64("4294967295.0", 0, UINT32_MAX, KP_NUM_REAL, &x), 0);
    cr_assert_eq(x, 4294967295);
    cr_assert_eq(i64("4294967296.0", 0, UINT32_MAX, KP_NUM_REAL, &x), -ERANGE);
}

Test(json_num, strings_only_when_allowed)
{
    int64_t x = 77;
    cr_assert_eq(i64("\"42\"", 0, 255, 0, &x), -EINVAL);
    cr_assert_eq(i64("\"42\"", 0, 255, KP_NUM_STRING, &x), 0);
    cr_assert_eq(x, 42);
    cr_assert_eq(i64("\"-42\"", -100, 0, KP_NUM_STRING, &x), 0);
    cr_assert_eq(x, -42);
    x = 77;
    static const char *const not_numbers[] = {
        "\"NaN\"", "\"nan\"", "\"inf\"", "\"-Infinity\"", "\"1e3\"", "\" 1\"",       "\"1 \"",
        "\"+1\"",  "\"\"",    "\"-\"",   "\"0x10\"",      "\"1.0\"", "\"1\\u00002\""};
    for (size_t i = 0; i < sizeof(not_numbers) / sizeof(not_numbers[0]); i++)
        cr_assert_eq(i64(not_numbers[i], INT64_MIN, INT64_MAX, KP_NUM_STRING, &x), -EINVAL, "%s",
                     not_numbers[i]);
    cr_assert_eq(i64("\"" D100 "\"", INT64_MIN, INT64_MAX, KP_NUM_STRING, &x), -ERANGE);
    cr_assert_eq(i64("\"-" D100 "\"", INT64_MIN, INT64_MAX, KP_NUM_STRING, &x), -ERANGE);
    cr_assert_eq(i64("\"9223372036854775808\"", INT64_MIN, INT64_MAX, KP_NUM_STRING, &x), -ERANGE);
    cr_assert_eq(x, 77);
    cr_assert_eq(i64("\"-9223372036854775808\"", INT64_MIN, INT64_MAX, KP_NUM_STRING, &x), 0);
    cr_assert_eq(x, INT64_MIN);
}

Test(json_num, unsigned_to_2_64)
{
    uint64_t x = 77;
    cr_assert_eq(u64("\"18446744073709551615\"", UINT64_MAX, KP_NUM_STRING, &x), 0);
    cr_assert_eq(x, UINT64_MAX);
    cr_assert_eq(u64("\"9223372036854775808\"", UINT64_MAX, KP_NUM_STRING, &x), 0);
    cr_assert_eq(x, 9223372036854775808u);
    cr_assert_eq(u64("9223372036854775807", UINT64_MAX, 0, &x), 0);
    cr_assert_eq(x, 9223372036854775807u);
    cr_assert_eq(u64("\"-0\"", UINT64_MAX, KP_NUM_STRING, &x), 0);
    cr_assert_eq(x, 0);
    x = 77;
    cr_assert_eq(u64("\"18446744073709551616\"", UINT64_MAX, KP_NUM_STRING, &x), -ERANGE);
    cr_assert_eq(u64("\"" D100 "\"", UINT64_MAX, KP_NUM_STRING, &x), -ERANGE);
    cr_assert_eq(u64("\"-1\"", UINT64_MAX, KP_NUM_STRING, &x), -ERANGE);
    cr_assert_eq(u64("-1", UINT64_MAX, 0, &x), -ERANGE);
    cr_assert_eq(u64("256", 255, 0, &x), -ERANGE);
    cr_assert_eq(u64("18446744073709551616.0", UINT64_MAX, KP_NUM_REAL, &x), -ERANGE);
    cr_assert_eq(u64("-1.0", UINT64_MAX, KP_NUM_REAL, &x), -ERANGE);
    cr_assert_eq(u64("\"NaN\"", UINT64_MAX, KP_NUM_STRING, &x), -EINVAL);
    cr_assert_eq(u64("\"12\"", UINT64_MAX, 0, &x), -EINVAL);
    cr_assert_eq(x, 77);
    cr_assert_eq(u64("9223372036854775808.0", UINT64_MAX, KP_NUM_REAL, &x), 0);
    cr_assert_eq(x, 9223372036854775808u);
}

Test(json_num, doubles_bounded_and_finite)
{
    double d = 77;
    cr_assert_eq(dbl("1.5", 0, 1e9, &d), 0);
    cr_assert_eq(d, 1.5);
    cr_assert_eq(dbl("7", 0, 1e9, &d), 0, "an integer is a number too");
    cr_assert_eq(d, 7.0);
    cr_assert_eq(dbl("-0.0", 0, 1e9, &d), 0);
    cr_assert_eq(d, 0.0);
    cr_assert(!signbit(d), "-0 reads as +0");
    cr_assert_eq(dbl("1e-320", 0, 1e9, &d), 0, "a subnormal is finite");
    cr_assert(d > 0 && d < 1e-300);
    cr_assert_eq(dbl("1e9", 0, 1e9, &d), 0);
    d = 77;
    cr_assert_eq(dbl("1e308", 0, 1e9, &d), -ERANGE);
    cr_assert_eq(dbl("-1e308", 0, 1e9, &d), -ERANGE);
    cr_assert_eq(dbl("-0.001", 0, 1e9, &d), -ERANGE);
    cr_assert_eq(dbl(R103, 0, 1e9, &d), -ERANGE);
    cr_assert_eq(dbl("9223372036854775807", 0, 1e9, &d), -ERANGE);
    cr_assert_eq(dbl("\"1.5\"", 0, 1e9, &d), -EINVAL);
    cr_assert_eq(dbl("\"NaN\"", 0, 1e9, &d), -EINVAL);
    cr_assert_eq(dbl("true", 0, 1e9, &d), -EINVAL);
    cr_assert_eq(dbl("[1]", 0, 1e9, &d), -EINVAL);
    cr_assert_eq(d, 77);
    cr_assert_eq(dbl("1e308", -INFINITY, INFINITY, &d), 0, "1e308 is finite");
    cr_assert_eq(d, 1e308);
}

Test(json_num, absent_and_other_types)
{
    int64_t x = 77;
    uint64_t u = 77;
    double d = 77;
    cr_assert_eq(kp_json_i64(NULL, 0, 1, 0, &x), -ENOENT);
    cr_assert_eq(kp_json_u64(NULL, 1, 0, &u), -ENOENT);
    cr_assert_eq(kp_json_double(NULL, 0, 1, &d), -ENOENT);
    cr_assert_eq(i64("null", 0, 1, KP_NUM_REAL | KP_NUM_STRING, &x), -ENOENT);
    cr_assert_eq(i64("true", 0, 1, KP_NUM_REAL | KP_NUM_STRING, &x), -EINVAL);
    cr_assert_eq(i64("{}", 0, 1, KP_NUM_REAL | KP_NUM_STRING, &x), -EINVAL);
    cr_assert_eq(i64("[]", 0, 1, KP_NUM_REAL | KP_NUM_STRING, &x), -EINVAL);
    cr_assert_eq(x, 77);
    cr_assert_eq(u, 77);
    cr_assert_eq(d, 77);
}

Test(json_num, plain_values)
{
    int64_t x = 77;
    uint64_t u = 77;
    double d = 77;
    cr_assert_eq(kp_num_double_to_i64(NAN, INT64_MIN, INT64_MAX, &x), -EINVAL);
    cr_assert_eq(kp_num_double_to_i64(INFINITY, INT64_MIN, INT64_MAX, &x), -ERANGE);
    cr_assert_eq(kp_num_double_to_i64(-INFINITY, INT64_MIN, INT64_MAX, &x), -ERANGE);
    cr_assert_eq(kp_num_double_to_u64(NAN, UINT64_MAX, &u), -EINVAL);
    cr_assert_eq(kp_num_double_to_u64(INFINITY, UINT64_MAX, &u), -ERANGE);
    cr_assert_eq(kp_num_double_to_u64(0.5, UINT64_MAX, &u), -EDOM);
    cr_assert_eq(kp_num_double_in(NAN, 0, 1, &d), -EINVAL);
    cr_assert_eq(kp_num_double_in(INFINITY, -INFINITY, INFINITY, &d), -ERANGE);
    cr_assert_eq(x, 77);
    cr_assert_eq(u, 77);
    cr_assert_eq(d, 77);
    cr_assert_eq(kp_num_double_to_u64(4294967295.0, UINT32_MAX, &u), 0);
    cr_assert_eq(u, 4294967295u);

    cr_assert_eq(kp_num_add_i64(5, -7, &x), 0);
    cr_assert_eq(x, -2);
    cr_assert_eq(kp_num_add_i64(INT64_MAX, 1, &x), -ERANGE);
    cr_assert_eq(kp_num_add_i64(INT64_MIN, -1, &x), -ERANGE);
    cr_assert_eq(x, -2);

    cr_assert_eq(kp_num_ms_to_ns(1.5, &x), 0);
    cr_assert_eq(x, 1500000);
    cr_assert_eq(kp_num_ms_to_ns(0.0, &x), 0);
    cr_assert_eq(x, 0);
    cr_assert_eq(kp_num_ms_to_ns(0.0000004, &x), 0, "0.4 ns rounds down");
    cr_assert_eq(x, 0);
    cr_assert_eq(kp_num_ms_to_ns(0.0000006, &x), 0, "0.6 ns rounds up");
    cr_assert_eq(x, 1);
    x = 77;
    cr_assert_eq(kp_num_ms_to_ns(1e108, &x), -ERANGE);
    cr_assert_eq(kp_num_ms_to_ns(9.3e12, &x), -ERANGE, "9.3e18 ns > INT64_MAX");
    cr_assert_eq(kp_num_ms_to_ns(NAN, &x), -EINVAL);
    cr_assert_eq(x, 77);

    cr_assert_eq(kp_num_parse_i64("123", 2, 0, 100, &x), 0, "length, not NUL, ends the text");
    cr_assert_eq(x, 12);
    cr_assert_eq(kp_num_parse_u64("99", 2, 98, &u), -ERANGE);
}

Test(json_num, status_in_words)
{
    cr_assert_str_eq(kp_num_strerror(-ERANGE), "out of range");
    cr_assert_str_eq(kp_num_strerror(-EDOM), "not an integer");
    cr_assert_str_eq(kp_num_strerror(-EINVAL), "not a number");
    cr_assert_str_eq(kp_num_strerror(-ENOENT), "missing");
    cr_assert_str_eq(kp_num_strerror(0), "");
}
