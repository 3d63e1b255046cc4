/* SPDX-License-Identifier: BSD-2-Clause */
/* rx_harness.h — a receive path over kp_foreign_classifiers for the replay
 * unit tests (test_rx_ack_runs.c, test_rx_options.c): raw-IP frames in with
 * feed(), closed traces copied into got[0..n_got). Included once per test
 * file; everything is static to it. */
#ifndef KP_TEST_RX_HARNESS_H
#define KP_TEST_RX_HARNESS_H

#include <criterion/criterion.h>
#include <string.h>

#include "core/codec/classify.h"
#include "core/codec/decode.h"
#include "core/rx/rx.h"

static struct kp_trace got[4];
static int n_got;

static void on_trace(void *ctx, struct kp_trace *t)
{
    (void)ctx;
    cr_assert_lt(n_got, 4);
    kp_trace_copy(&got[n_got++], t);
}

static struct kp_rx *new_rx(void)
{
    struct kp_rx_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.classifiers = kp_foreign_classifiers;
    cfg.n_classifiers = kp_n_foreign_classifiers;
    cfg.on_trace = on_trace;
    struct kp_rx *rx;
    cr_assert_eq(kp_rx_create(&cfg, &rx), 0);
    n_got = 0;
    return rx;
}

static void done(struct kp_rx *rx)
{
    kp_rx_destroy(rx);
    for (int i = 0; i < n_got; i++)
        kp_trace_free(&got[i]);
}

static void feed(struct kp_rx *rx, int64_t ts, const uint8_t *b, size_t n)
{
    cr_assert_eq(kp_rx_frame(rx, KP_DLT_RAW, ts, b, n), 0);
}

#endif
