/* SPDX-License-Identifier: BSD-2-Clause */
#include <criterion/criterion.h>
#include <errno.h>
#include <jansson.h>
#include <string.h>

#include "core/base/util.h"

Test(util, err_set_writes_truncates_and_returns_rc)
{
    char err[8] = "x";
    cr_assert_eq(kp_err_set(err, sizeof(err), -EINVAL, "%s: %d", "ab", 42), -EINVAL);
    cr_assert_str_eq(err, "ab: 42");
    cr_assert_eq(kp_err_set(err, sizeof(err), -EIO, "%s", "0123456789"), -EIO);
    cr_assert_str_eq(err, "0123456");
    cr_assert_eq(kp_err_set(NULL, 0, -ENOMEM, "%s", "none"), -ENOMEM);
    char keep[4] = "abc";
    cr_assert_eq(kp_err_set(keep, 0, 0, "zz"), 0);
    cr_assert_str_eq(keep, "abc");
}

Test(util, json_str_or_null)
{
    json_t *v = kp_json_str_or_null("AS4837");
    cr_assert(json_is_string(v));
    cr_assert_str_eq(json_string_value(v), "AS4837");
    json_decref(v);
    cr_assert(json_is_null(kp_json_str_or_null("")));
    cr_assert(json_is_null(kp_json_str_or_null(NULL)));
}
