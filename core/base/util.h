/* SPDX-License-Identifier: BSD-2-Clause */
/* util.h — small helpers every layer uses: the error-message writer of the
 * library's (char *err, size_t errlen) convention and the JSON string-or-null
 * value. Pure: no I/O, no globals.
 */
#ifndef KP_UTIL_H
#define KP_UTIL_H

#include <stddef.h>

struct json_t; /* jansson's value */

/* Write the printf-style message into err[0..errlen) (truncated, always
 * terminated; nothing when err is NULL or errlen 0) and return rc, so that an
 * error path reads `return kp_err_set(err, errlen, -EINVAL, "...", ...);`. */
__attribute__((format(printf, 4, 5))) int kp_err_set(char *err, size_t errlen, int rc,
                                                     const char *fmt, ...);

/* A new JSON string holding s, or JSON null when s is NULL or "". NULL only
 * when jansson cannot allocate. */
struct json_t *kp_json_str_or_null(const char *s);

#endif
