/* fuzz_trace_json.c — fuzz target for the strict reader of trace lines
 * (probe/trace_json.c). A line that parses is written again and read back:
 * the second read must succeed and give the same number of hops, and the
 * error of a rejected line must be NUL-terminated within its buffer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "probe/trace_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct kp_trace t, u;
    struct kp_json_error e;
    if (kp_trace_json_parse((const char *)data, size, &t, &e) != 0) {
        if (memchr(e.field, '\0', sizeof(e.field)) == NULL ||
            memchr(e.msg, '\0', sizeof(e.msg)) == NULL)
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
