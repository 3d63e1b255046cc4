/* SPDX-License-Identifier: BSD-2-Clause */
/* fuzz_replay.c — the whole replay path on arbitrary bytes: libpcap's file
 * parser (pcap and pcapng), the link-layer and IP decoder, the classifiers of
 * every tool and rx's matching and trace building, through kp_replay_stream
 * over fmemopen. Corpus: fuzz/corpus/replay/ (small real captures of every
 * link type and tool, and broken ones). */
#include <stdint.h>
#include <stdio.h>

#include "io/pcap_file.h"
#include "io/replay.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void sink(void *ctx, struct kp_trace *t)
{
    size_t *n = ctx;
    *n += t->n_hops + 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    FILE *fp = fmemopen((void *)data, size, "rb");
    if (fp == NULL)
        return 0;
    size_t n = 0;
    struct kp_replay_stats st;
    char err[KP_PCAP_ERRLEN];
    kp_replay_stream(fp, "fuzz", NULL, sink, &n, &st, err, sizeof(err));
    return 0;
}
