/* SPDX-License-Identifier: BSD-2-Clause */
/* fuzz_scamper.c — fuzz target for the scamper JSON reader (annotator/inputs/input_scamper.c)
 * and the input kind detector. Every trace handed over is walked so that a
 * bad hop array shows up under ASan. */
#include <stddef.h>
#include <stdint.h>

#include "annotator/inputs/input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int sink_trace(void *ctx, struct kp_trace *t, unsigned long line)
{
    unsigned *n = ctx;
    for (size_t i = 0; i < t->n_hops; i++)
        *n += t->hops[i].ttl + t->hops[i].n_mpls;
    (void)line;
    return 0;
}

static void sink_error(void *ctx, unsigned long line, const char *field, const char *msg)
{
    unsigned *n = ctx;
    *n += (unsigned)line + (field[0] != 0) + (msg[0] != 0);
}

/* skipped records: their note is read to its end */
static void sink_skip(void *ctx, unsigned long line, const char *what)
{
    unsigned *n = ctx;
    while (*what)
        *n += (unsigned char)*what++;
    *n += (unsigned)line;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned n = 0;
    struct kp_input_sink sink = {sink_trace, sink_error, &n};
    (void)kp_input_detect(data, size);
    struct kp_input_skips skips = {sink_skip, &n, 0};
    (void)kp_scamper_read((const char *)data, size, &sink, &skips);
    return 0;
}
