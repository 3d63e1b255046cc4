/* SPDX-License-Identifier: BSD-2-Clause */
/* fuzz_rx.c — the receive path on an arbitrary sequence of raw-IP frames:
 * decoder, kptrace's and every foreign classifier, quote/echo/TCP matching,
 * trace opening, splitting, expiry and closing. Input: records of
 *   [dt: 1 byte][len: 2 bytes big-endian][len bytes of IPv4/IPv6 packet]
 * where the frame's timestamp advances by dt * 50 ms (so traces expire
 * mid-input); dt = 0xff means "tick" (clock + 5 s) with no frame.
 * Corpus: fuzz/corpus/rx/ (kptrace probes and replies of each method). */
#include <stdint.h>
#include <stdlib.h>

#include "core/codec/classify.h"
#include "core/rx/rx.h"
#include "core/rx/rx_kptrace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void sink(void *ctx, struct kp_trace *t)
{
    size_t *n = ctx;
    *n += t->n_hops + 1;
    for (size_t i = 0; i < t->n_hops; i++) /* touch every hop */
        *n += t->hops[i].ttl;
}

static void on_reply(void *ctx, const struct kp_rx_reply *r)
{
    size_t *n = ctx;
    *n += r->hop->ttl + (size_t)r->kind;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct kp_rx_classifier *cls[32];
    size_t nc = 0;
    cls[nc++] = &kp_rx_classifier_kptrace;
    for (size_t i = 0; i < kp_n_foreign_classifiers && nc < 32; i++)
        cls[nc++] = kp_foreign_classifiers[i];
    size_t n = 0;
    struct kp_rx_config cfg = {0};
    cfg.classifiers = cls;
    cfg.n_classifiers = nc;
    cfg.run.wait_ms = 1000;
    cfg.run.gap_limit = 3;
    cfg.run.max_ttl = 30;
    cfg.max_open_traces = 64;
    cfg.max_probes_per_trace = 32;
    cfg.on_trace = sink;
    cfg.on_reply = on_reply;
    cfg.ctx = &n;
    struct kp_rx *rx;
    if (kp_rx_create(&cfg, &rx) != 0)
        return 0;
    int64_t ts = 1700000000000000000LL;
    size_t off = 0;
    while (off + 3 <= size) {
        uint8_t dt = data[off];
        size_t len = (size_t)data[off + 1] << 8 | data[off + 2];
        off += 3;
        if (dt == 0xff) {
            ts += 5000000000LL;
            kp_rx_tick(rx, ts);
            continue;
        }
        ts += (int64_t)dt * 50000000LL;
        if (len > size - off)
            len = size - off;
        kp_rx_frame(rx, 12 /* KP_DLT_RAW */, ts, data + off, len);
        off += len;
    }
    kp_rx_finish(rx);
    kp_rx_destroy(rx);
    return 0;
}
