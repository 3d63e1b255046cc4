/* SPDX-License-Identifier: BSD-2-Clause */
/* engine_test.h — helpers the prober core's unit tests share (test_rx_keyed,
 * test_rx_exact, test_jobs, test_admit): an address from text, a target
 * range, and an ICMP error quoting a probe, built byte by byte. Included
 * once per test file; everything is static to it. */
#ifndef KP_TEST_ENGINE_TEST_H
#define KP_TEST_ENGINE_TEST_H

#include <criterion/criterion.h>
#include <string.h>

#include "core/base/addr.h"
#include "core/codec/decode.h"
#include "prober/engine/engine.h"
#include "core/rx/rx.h"
#include "core/rx/rx_kptrace.h"

static inline struct kp_addr addr(const char *s)
{
    struct kp_addr a;
    cr_assert_eq(kp_addr_parse(s, &a), 0);
    return a;
}

static inline struct kp_target_range R(uint32_t base, uint32_t count) {
    struct kp_target_range r;
    memset(&r, 0, sizeof(r));
    r.base = base;
    r.count = count;
    return r;
}

static inline void
put16(uint8_t *b, uint16_t v)
{
    b[0] = (uint8_t)(v >> 8);
    b[1] = (uint8_t)v;
}

/* IPv4 ICMP error (type, code) from `from` to `to` quoting 28 bytes of probe
 * (IP header + 8 transport bytes, as RFC 792 requires at least). */
static inline size_t icmp_error(uint8_t *out, const char *from, const struct kp_addr *to,
                                uint8_t type, uint8_t code, const uint8_t *probe)
{
    struct kp_addr f = addr(from);
    size_t len = 20 + 8 + 28;
    memset(out, 0, len);
    out[0] = 0x45;
    put16(out + 2, (uint16_t)len);
    out[8] = 64;
    out[9] = 1;
    memcpy(out + 12, f.b, 4);
    memcpy(out + 16, to->b, 4);
    put16(out + 10, kp_cksum_fold(kp_cksum_add(0, out, 20)));
    out[20] = type;
    out[21] = code;
    memcpy(out + 28, probe, 28);
    out[28 + 8] = 1; /* the quoted TTL as it expired */
    put16(out + 22, kp_cksum_fold(kp_cksum_add(0, out + 20, 8 + 28)));
    return len;
}

/* rx as the prober sets it up (kptrace's classifier, TTLs 1..30, gap limit
 * 5, wait 1000 ms); the caller adds attempts, late, keys and callbacks. */
static inline struct kp_rx_config kptrace_rx_config(void)
{
    static const struct kp_rx_classifier *const cls[] = {&kp_rx_classifier_kptrace};
    struct kp_rx_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.classifiers = cls;
    cfg.n_classifiers = 1;
    cfg.run.first_ttl = 1;
    cfg.run.max_ttl = 30;
    cfg.run.gap_limit = 5;
    cfg.run.wait_ms = 1000;
    return cfg;
}

#endif
