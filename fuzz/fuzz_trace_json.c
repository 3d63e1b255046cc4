/* SPDX-License-Identifier: BSD-2-Clause */
/* fuzz_trace_json.c — fuzz target for the readers of trace lines
 * (core/record/trace_json.c, core/record/trace_json_scan.c). Whatever the scanner
 * accepts, the strict reader must accept and read into the same record;
 * kp_trace_json_parse must give the strict reader's result. A line that
 * parses is written again and read back: the second read must succeed and
 * give the same record, and the error of a rejected line must be
 * NUL-terminated within its buffer. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/record/trace_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct kp_trace t, u, d;
    struct kp_json_error e, ed;
    const char *text = (const char *)data;
    int rs = kp_trace_json_scan(text, size, &u);
    int rd = kp_trace_json_parse_dom(text, size, &d, &ed);
    int rc = kp_trace_json_parse(text, size, &t, &e);
    if ((rs != 0 && rs != -EAGAIN) || rc != rd)
        abort();
    if (rs == 0) {
        if (rd != 0 || !kp_trace_equal(&u, &d))
            abort();
        kp_trace_free(&u);
    }
    if (rd == 0)
        kp_trace_free(&d);
    if (rc != 0) {
        if (memchr(e.field, '\0', sizeof(e.field)) == NULL ||
            memchr(e.msg, '\0', sizeof(e.msg)) == NULL || strcmp(e.field, ed.field) != 0 ||
            strcmp(e.msg, ed.msg) != 0)
            abort();
        return 0;
    }
    char *s = NULL;
    size_t len = 0;
    if (kp_trace_json_dump(&t, &s, &len) == 0) {
        if (kp_trace_json_parse(s, len, &u, &e) != 0 || u.n_hops != t.n_hops)
            abort();
        kp_trace_free(&u);
        free(s);
    }
    kp_trace_free(&t);
    return 0;
}
