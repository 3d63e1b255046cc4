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
#include "core/codec/identity.h"
#include "core/methods/method.h"
#include "prober/engine/engine.h"
#include "core/rx/rx.h"
#include "core/rx/rx_kptrace.h"
#include "pkt_build.h"

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

/* IPv4 ICMP error (type, code) from `from` to `to` quoting 28 bytes of probe
 * (IP header + 8 transport bytes, as RFC 792 requires at least). */
static inline size_t
icmp_error(uint8_t *out, const char *from, const struct kp_addr *to, uint8_t type, uint8_t code,
           const uint8_t *probe)
{
    struct kp_addr f = addr(from);
    return pkt_icmp4_error(out, f.b, to->b, 0, 64, type, code, probe);
}

/* A kptrace probe of `method` (see method.h) from src to dst, trace `id` in
 * `slot`, built by the codec into b (256 bytes); its length. */
static inline size_t kptrace_probe(uint8_t *b, const char *method, const struct kp_key *key,
                                   const struct kp_addr *src, const struct kp_addr *dst,
                                   uint32_t id, uint16_t slot, uint8_t ttl, uint8_t attempt)
{
    const struct kp_method_ops *m = kp_method_find(method);
    cr_assert_not_null(m);
    struct kp_probe_spec s;
    memset(&s, 0, sizeof(s));
    s.src = *src;
    s.dst = *dst;
    s.trace_id = id;
    s.slot = slot;
    s.ttl = ttl;
    s.attempt = attempt;
    s.key = key;
    size_t n = 256;
    cr_assert_eq(m->build(&s, b, &n), 0);
    return n;
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
