/* SPDX-License-Identifier: BSD-2-Clause */
/* The receive path with kptrace's keyed check (rx.h: kp_rx_config.validate,
 * rx_kptrace.h: kp_rx_kptrace_validate). Probes are built by the codec with
 * one key; ICMP errors quoting them are built here byte by byte. With the
 * run's key every genuine reply is recorded (including one behind a NAT and
 * one from the destination); with any other key the same replies are
 * rejected as forged, since their identity fields do not carry that key's
 * check — which is what a forger without the key produces. */
#include <criterion/criterion.h>
#include <string.h>

#include "core/codec/decode.h"
#include "core/codec/identity.h"
#include "core/methods/method.h"
#include "core/rx/rx.h"
#include "core/rx/rx_kptrace.h"
#include "engine_test.h"

#define MS 1000000LL
#define T0 1700000000000000000LL

struct count {
    size_t traces, hops;
};

static void on_trace(void *ctx, struct kp_trace *t)
{
    struct count *c = ctx;
    c->traces++;
    c->hops += t->n_hops;
}

/* Send three udp-paris/icmp-paris probes built with `probe_key`, answer TTL 1
 * from a router, TTL 2 from a router behind a NAT that rewrote the source
 * port/ICMP id and checksum, TTL 3 from the destination; receive with
 * `check_key` (NULL: no validation). */
static void run(const char *method, const struct kp_key *probe_key, const struct kp_key *check_key,
                struct count *c, struct kp_rx_stats *st)
{
    struct kp_rx_config cfg = kptrace_rx_config();
    cfg.run.attempts = 2;
    cfg.on_trace = on_trace;
    cfg.ctx = c;
    if (check_key != NULL) {
        cfg.validate = kp_rx_kptrace_validate;
        cfg.validate_ctx = (void *)check_key;
    }
    struct kp_rx *rx;
    cr_assert_eq(kp_rx_create(&cfg, &rx), 0);
    const struct kp_method_ops *m = kp_method_find(method);
    cr_assert_not_null(m);
    struct kp_probe_spec spec;
    memset(&spec, 0, sizeof(spec));
    spec.src = addr("198.18.0.10");
    spec.dst = addr("198.18.9.20");
    spec.trace_id = 41;
    spec.key = probe_key;
    uint8_t probes[3][256];
    for (int ttl = 1; ttl <= 3; ttl++) {
        size_t len = sizeof(probes[0]);
        spec.ttl = (uint8_t)ttl;
        cr_assert_eq(m->build(&spec, probes[ttl - 1], &len), 0);
        cr_assert_eq(kp_rx_frame(rx, KP_DLT_RAW, T0 + ttl * MS, probes[ttl - 1], len), 0);
    }
    uint8_t r[128];
    size_t rl = icmp_error(r, "198.18.0.1", &spec.src, 11, 0, probes[0]);
    kp_rx_frame(rx, KP_DLT_RAW, T0 + 5 * MS, r, rl);
    /* NAT: the first transport word (source port / ICMP type+code is not
     * touched by a NAT, so for ICMP the id at bytes 24..25) and the checksum
     * (bytes 26..27 for UDP, 22..23 for ICMP) rewritten consistently. */
    uint8_t natted[64];
    memcpy(natted, probes[1], 28);
    if (strcmp(method, "udp-paris") == 0) {
        uint16_t sport = (uint16_t)(natted[20] << 8 | natted[21]);
        uint16_t sum = (uint16_t)(natted[26] << 8 | natted[27]);
        /* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), and ~m + m' = +0x100 here. */
        pkt_put16(natted + 20, (uint16_t)(sport + 0x100));
        pkt_put16(natted + 26,
                  kp_cksum_fold(kp_cksum_add((uint16_t)~sum, (uint8_t[]){0x01, 0x00}, 2)));
    } else {
        uint16_t id = (uint16_t)(natted[24] << 8 | natted[25]);
        uint16_t sum = (uint16_t)(natted[22] << 8 | natted[23]);
        pkt_put16(natted + 24, (uint16_t)(id + 0x100));
        pkt_put16(natted + 22,
                  kp_cksum_fold(kp_cksum_add((uint16_t)~sum, (uint8_t[]){0x01, 0x00}, 2)));
    }
    rl = icmp_error(r, "198.18.1.1", &spec.src, 11, 0, natted);
    kp_rx_frame(rx, KP_DLT_RAW, T0 + 6 * MS, r, rl);
    if (strcmp(method, "udp-paris") == 0) {
        rl = icmp_error(r, "198.18.9.20", &spec.src, 3, 3, probes[2]);
        kp_rx_frame(rx, KP_DLT_RAW, T0 + 7 * MS, r, rl);
    } else {
        /* echo reply from the destination: same id/seq/payload, type 0 */
        uint8_t er[256];
        size_t plen = (size_t)(probes[2][2] << 8 | probes[2][3]);
        memcpy(er, probes[2], plen);
        memcpy(er + 12, probes[2] + 16, 4);
        memcpy(er + 16, probes[2] + 12, 4);
        er[8] = 60;
        er[10] = er[11] = 0;
        pkt_put16(er + 10, kp_cksum_fold(kp_cksum_add(0, er, 20)));
        er[20] = 0;
        er[22] = er[23] = 0;
        pkt_put16(er + 22, kp_cksum_fold(kp_cksum_add(0, er + 20, plen - 20)));
        kp_rx_frame(rx, KP_DLT_RAW, T0 + 7 * MS, er, plen);
    }
    *st = *kp_rx_stats(rx);
    kp_rx_finish(rx);
    kp_rx_destroy(rx);
}

static void keys(struct kp_key *a, struct kp_key *b)
{
    for (int i = 0; i < 16; i++) {
        a->k[i] = (uint8_t)(3 * i + 1);
        b->k[i] = (uint8_t)(3 * i + 2);
    }
}

static void check_method(const char *method)
{
    struct kp_key run_key, other_key;
    keys(&run_key, &other_key);
    struct count c;
    struct kp_rx_stats st;

    memset(&c, 0, sizeof(c));
    run(method, &run_key, NULL, &c, &st);
    cr_assert_eq(st.replies, 3, "%s without validation: %llu replies", method,
                 (unsigned long long)st.replies);

    memset(&c, 0, sizeof(c));
    run(method, &run_key, &run_key, &c, &st);
    cr_assert_eq(st.replies, 3, "%s, run key: %llu replies", method,
                 (unsigned long long)st.replies);
    cr_assert_eq(st.key_rejected, 0);
    cr_assert_eq(st.replies_nat, 1);
    cr_assert_eq(c.hops, 3);

    memset(&c, 0, sizeof(c));
    run(method, &run_key, &other_key, &c, &st);
    cr_assert_eq(st.replies, 0, "%s, other key: %llu replies", method,
                 (unsigned long long)st.replies);
    cr_assert_eq(st.key_rejected, 3);
    cr_assert_eq(st.rejected, 3);
    cr_assert_eq(c.hops, 0);
}

Test(rx_keyed, udp_paris_genuine_replies_pass_forged_fail)
{
    check_method("udp-paris");
}

Test(rx_keyed, icmp_paris_genuine_replies_pass_forged_fail)
{
    check_method("icmp-paris");
}
