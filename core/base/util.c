/* SPDX-License-Identifier: BSD-2-Clause */
/* util.c — see util.h. */
#include "core/base/util.h"

#include <stdarg.h>
#include <stdio.h>

#include <jansson.h>

int kp_err_set(char *err, size_t errlen, int rc, const char *fmt, ...)
{
    if (err == NULL || errlen == 0)
        return rc;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return rc;
}

struct json_t *kp_json_str_or_null(const char *s)
{
    return (s != NULL && s[0]) ? json_string(s) : json_null();
}
