/* SPDX-License-Identifier: BSD-2-Clause */
/* fuzz_atlas.c — fuzz target for the atlas JSON readers
 * (annotator/inputs/input_atlas.c, input_atlas_scan.c) and the input kind
 * detector. The reader with its one-pass scanner must give exactly what
 * the jansson reader alone gives (fuzz/atlas_diff.h: return value, every
 * error and skip note with its line and field, every trace field by
 * field); whatever the scanner accepts as a whole input, the jansson reader
 * reads as that one trace. Every trace handed over is walked so that a bad
 * hop array shows up under ASan. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "annotator/inputs/input.h"
#include "fuzz/atlas_diff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    (void)kp_input_detect(data, size);
    char why[2048];
    size_t traces = 0;
    int rc = atlas_diff(text, size, why, sizeof(why), &traces);
    if (rc > 0) {
        fprintf(stderr, "fuzz_atlas: the readers differ: %s\n", why);
        abort();
    }
    struct kp_trace t;
    int rs = kp_atlas_scan(text, size, &t);
    if (rs != 0 && rs != -EAGAIN && rs != -ENOMEM)
        abort();
    if (rs == 0) {
        unsigned n = 0;
        for (size_t i = 0; i < t.n_hops; i++)
            n += t.hops[i].ttl + t.hops[i].n_mpls;
        (void)n;
        if (rc == 0 && traces != 1)
            abort(); /* one object the scanner read is one trace for jansson too */
        kp_trace_free(&t);
    }
    return 0;
}
