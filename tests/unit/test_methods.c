/* SPDX-License-Identifier: BSD-2-Clause */
/* test_methods.c — building and matching for every method (no root).
 *
 * Expected values come from the RFCs and the encoding spec in
 * docs/probe-encoding.md, checked with an RFC 1071 checksum written here
 * independently of core/codec/decode.c. Replies are synthesised here byte by byte
 * (router time-exceeded with full / 8-byte / NAT-rewritten quotes, RFC 4884 +
 * RFC 4950 MPLS extensions, destination replies) and fed through the real
 * decoder and matcher.
 */
#include <criterion/criterion.h>
#include <pcap/pcap.h>
#include <errno.h>
#include <string.h>

#include "core/codec/decode.h"
#include "core/codec/identity.h"
#include "core/methods/method.h"
#include "core/codec/probe_payload.h"
#include "pkt_build.h"

/* ---- test-local helpers (independent of the code under test) ---- */

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* RFC 1071: ones-complement sum of 16-bit big-endian words, odd byte padded. */
static uint32_t t_sum(uint32_t s, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        s += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (n & 1)
        s += (uint32_t)p[n - 1] << 8;
    return s;
}

static uint16_t t_fold(uint32_t s)
{
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

/* Transport checksum with the IPv4 pseudo-header (UDP/TCP) or plain (ICMP):
 * 0 when the segment's checksum is valid. */
static uint16_t t_l4_verify(const uint8_t *ip)
{
    size_t hl = (size_t)(ip[0] & 15) * 4, tot = be16(ip + 2);
    uint32_t s = 0;
    if (ip[9] != 1) {
        s = t_sum(s, ip + 12, 8);
        s += ip[9];
        s += (uint32_t)(tot - hl);
    }
    return t_fold(t_sum(s, ip + hl, tot - hl));
}

/* Recompute the transport checksum at offset off in the segment. */
static void t_l4_fix(uint8_t *ip, size_t sum_off)
{
    size_t hl = (size_t)(ip[0] & 15) * 4;
    pkt_put16(ip + hl + sum_off, 0);
    uint16_t c = t_l4_verify(ip);
    pkt_put16(ip + hl + sum_off, c);
}

static void t_ip_fix(uint8_t *ip)
{
    pkt_put16(ip + 10, 0);
    pkt_put16(ip + 10, t_fold(t_sum(0, ip, (size_t)(ip[0] & 15) * 4)));
}

static struct kp_key key_a = {{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}};
static struct kp_key key_b = {{16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1}};

static struct kp_addr A(const char *s) {
    struct kp_addr a;
    cr_assert_eq(kp_addr_parse(s, &a), 0);
    return a;
}

static struct kp_probe_spec
spec_for(const struct kp_method_ops *ops, uint32_t trace, uint8_t ttl, uint8_t att)
{
    struct kp_probe_spec s;
    memset(&s, 0, sizeof(s));
    s.src = A("198.18.0.2");
    s.dst = A("203.0.113.7");
    s.trace_id = trace;
    s.slot = (uint16_t)(trace * 7u + 3u); /* any value: only the marker carries it */
    s.ttl = ttl;
    s.attempt = att;
    s.key = &key_a;
    (void)ops;
    return s;
}

static size_t build(const struct kp_method_ops *ops, const struct kp_probe_spec *s, uint8_t *buf)
{
    size_t len = 1500;
    int r = ops->build(s, buf, &len);
    cr_assert_eq(r, 0, "%s build: %d", ops->name, r);
    return len;
}

/* Router reply: IPv4 from `from` to 198.18.0.2, ICMP type/code, quoting
 * qlen bytes of probe (padded to pad_to when non-zero, RFC 4884 length byte
 * set when rfc4884), then ext bytes. Returns the length. */
static size_t icmp_error(uint8_t *out, const char *from, uint8_t type, uint8_t code,
                         const uint8_t *probe, size_t qlen, size_t pad_to, bool rfc4884,
                         const uint8_t *ext, size_t ext_len)
{
    size_t orig = pad_to > qlen ? pad_to : qlen;
    size_t icmp_len = 8 + orig + ext_len;
    memset(out, 0, 28 + orig + ext_len);
    out[0] = 0x45;
    pkt_put16(out + 2, (uint16_t)(20 + icmp_len));
    pkt_put16(out + 4, 0x4242);
    out[8] = 250;
    out[9] = 1;
    struct kp_addr f = A(from), to = A("198.18.0.2");
    memcpy(out + 12, f.b, 4);
    memcpy(out + 16, to.b, 4);
    t_ip_fix(out);
    uint8_t *ic = out + 20;
    ic[0] = type;
    ic[1] = code;
    if (rfc4884)
        ic[5] = (uint8_t)(orig / 4);
    memcpy(ic + 8, probe, qlen);
    if (ext_len)
        memcpy(ic + 8 + orig, ext, ext_len);
    pkt_put16(ic + 2, t_fold(t_sum(0, ic, icmp_len)));
    return 20 + icmp_len;
}

/* RFC 4884 extension structure with one RFC 4950 MPLS object of n entries. */
static size_t mpls_ext(uint8_t *e, const uint32_t *labels, const uint8_t *ttls, size_t n)
{
    memset(e, 0, 8 + 4 * n);
    e[0] = 0x20; /* version 2 */
    pkt_put16(e + 4, (uint16_t)(4 + 4 * n));
    e[6] = 1; /* class MPLS label stack */
    e[7] = 1; /* c-type incoming */
    for (size_t i = 0; i < n; i++) {
        uint32_t w = labels[i] << 12 | (uint32_t)(i == n - 1) << 8 | ttls[i];
        pkt_put32(e + 8 + 4 * i, w);
    }
    pkt_put16(e + 2, t_fold(t_sum(0, e, 8 + 4 * n)));
    return 8 + 4 * n;
}

static int decode_match(const struct kp_method_ops *ops, const uint8_t *pkt, size_t n,
                        const struct kp_key *k, struct kp_match *m, struct kp_pkt *d)
{
    int st = kp_decode_ip(pkt, n, d);
    cr_assert_eq(st, KP_DEC_OK, "decode: %s", kp_decode_strerror(st));
    struct kp_addr me = A("198.18.0.2");
    return ops->match(d, &me, k, m);
}

static const struct kp_method_ops *all[4];

static void setup_all(void)
{
    all[0] = kp_method_find("icmp-paris");
    all[1] = kp_method_find("udp-paris");
    all[2] = kp_method_find("tcp-syn");
    all[3] = kp_method_find("udp");
    for (int i = 0; i < 4; i++)
        cr_assert_not_null(all[i]);
}

/* ------------------------------------------------------------ registry */

Test(methods, registry)
{
    setup_all();
    cr_assert_eq(kp_method_find("icmp-paris")->id, KP_METHOD_ICMP_PARIS);
    cr_assert_eq(kp_method_find("udp-paris")->proto, 17);
    cr_assert_eq(kp_method_find("tcp-syn")->proto, 6);
    cr_assert_eq(kp_method_find("udp")->id, KP_METHOD_UDP);
    cr_assert_null(kp_method_find("icmp"));
    cr_assert_null(kp_method_find(NULL));
    cr_assert_eq(kp_method_by_id(KP_METHOD_TCP_SYN), kp_method_find("tcp-syn"));
    cr_assert_null(kp_method_by_id(KP_METHOD_TCP));
    size_t n = 0;
    while (kp_methods[n] != NULL)
        n++;
    cr_assert_eq(n, 4);
}

/* ------------------------------------------------------------ building */

Test(methods, build_all_valid_and_paris_invariants)
{
    setup_all();
    for (int mi = 0; mi < 4; mi++) {
        const struct kp_method_ops *ops = all[mi];
        uint16_t first_flow[2] = {0, 0}, first_sum = 0;
        for (uint8_t ttl = 1; ttl <= 63; ttl++) {
            for (uint8_t att = 0; att <= 3; att++) {
                struct kp_probe_spec s = spec_for(ops, 1234, ttl, att);
                uint8_t b[1500];
                size_t n = build(ops, &s, b);
                /* sizes: 20 IP + 8 UDP/ICMP + 18 marker; TCP 20 + 20 + 20 option */
                cr_assert_eq(n, ops->proto == 6 ? 60u : 46u, "%s len %zu", ops->name, n);
                cr_assert_eq(b[0], 0x45);
                cr_assert_eq(be16(b + 2), n);
                cr_assert_eq(b[8], ttl);
                cr_assert_eq(b[9], ops->proto);
                cr_assert_eq(memcmp(b + 12, s.src.b, 4), 0);
                cr_assert_eq(memcmp(b + 16, s.dst.b, 4), 0);
                cr_assert_neq(be16(b + 4), 0, "IP ID 0 would be replaced by the kernel");
                cr_assert_eq(t_fold(t_sum(0, b, 20)), 0, "%s IP checksum", ops->name);
                cr_assert_eq(t_l4_verify(b), 0, "%s transport checksum ttl %u", ops->name, ttl);
                const uint8_t *l4 = b + 20;
                uint16_t flow_a, flow_b, sum;
                if (ops->proto == 1) {
                    cr_assert_eq(l4[0], 8);
                    cr_assert_eq(l4[1], 0);
                    flow_a = be16(l4 + 4); /* echo id */
                    flow_b = 0;
                    sum = be16(l4 + 2);
                    /* seq = ttl(6)|attempt(2)|tag8 */
                    cr_assert_eq(be16(l4 + 6) >> 10, ttl);
                    cr_assert_eq((be16(l4 + 6) >> 8) & 3, att);
                } else {
                    flow_a = be16(l4);
                    flow_b = be16(l4 + 2);
                    sum = 0;
                }
                if (ops->proto == 17) {
                    cr_assert_eq(be16(l4 + 4), n - 20);
                    cr_assert_eq(be16(b + 4) >> 10, ttl); /* IP ID = ttl|att|tag */
                    cr_assert_eq((be16(b + 4) >> 8) & 3, att);
                    uint16_t usum = be16(l4 + 6);
                    cr_assert(usum != 0 && usum != 0xffff);
                }
                if (ops->proto == 6) {
                    cr_assert_eq(be32(l4 + 4) >> 26, ttl);
                    cr_assert_eq((be32(l4 + 4) >> 24) & 3, att);
                    cr_assert_eq(l4[12] >> 4, 10);  /* 40-byte header */
                    cr_assert_eq(l4[13], 0x02);     /* SYN only */
                    cr_assert_eq(be16(l4 + 2), 80); /* default port */
                    cr_assert_eq(l4[20], 254);
                    cr_assert_eq(l4[21], 20);
                    cr_assert_eq(memcmp(l4 + 22, "KPT2", 4), 0);
                } else {
                    /* marker v2: method, ttl | attempt << 6, slot, id */
                    cr_assert_eq(memcmp(l4 + 8, "KPT2", 4), 0);
                    cr_assert_eq(l4[8 + 4], ops->id);
                    cr_assert_eq(l4[8 + 5], ttl | att << 6);
                    cr_assert_eq(be16(l4 + 8 + 6), 1234 * 7 + 3);
                    cr_assert_eq(be32(l4 + 8 + 8), 1234);
                }
                if (ops->id == KP_METHOD_UDP) {
                    /* classic: base 33434 + (ttl-1)*4 + attempt */
                    cr_assert_eq(flow_b, 33434 + (ttl - 1) * 4 + att);
                    cr_assert_eq(flow_a, 0x8000 | 1234);
                    continue;
                }
                if (ttl == 1 && att == 0) {
                    first_flow[0] = flow_a;
                    first_flow[1] = flow_b;
                    first_sum = sum;
                    cr_assert_eq(flow_a, 0x8000 | 1234);
                    if (ops->id == KP_METHOD_UDP_PARIS)
                        cr_assert_eq(flow_b, 33435);
                }
                /* Paris: flow fields (and the ICMP checksum) constant. */
                cr_assert_eq(flow_a, first_flow[0], "%s flow changed", ops->name);
                cr_assert_eq(flow_b, first_flow[1], "%s flow changed", ops->name);
                cr_assert_eq(sum, first_sum, "%s ICMP checksum changed at ttl %u", ops->name, ttl);
            }
        }
    }
}

Test(methods, udp_paris_checksum_differs_per_probe)
{
    setup_all();
    const struct kp_method_ops *ops = all[1];
    uint8_t b1[1500], b2[1500];
    struct kp_probe_spec s1 = spec_for(ops, 7, 5, 0), s2 = spec_for(ops, 7, 6, 0);
    build(ops, &s1, b1);
    build(ops, &s2, b2);
    cr_assert_neq(be16(b1 + 26), be16(b2 + 26));
    cr_assert_neq(be16(b1 + 4), be16(b2 + 4));
}

Test(methods, build_errors)
{
    setup_all();
    for (int mi = 0; mi < 4; mi++) {
        const struct kp_method_ops *ops = all[mi];
        uint8_t b[1500];
        struct kp_probe_spec s = spec_for(ops, 1, 1, 0);
        size_t len = ops->min_size - 1;
        cr_assert_eq(ops->build(&s, b, &len), -ENOSPC, "%s", ops->name);
        len = sizeof(b);
        s.ttl = 0;
        cr_assert_eq(ops->build(&s, b, &len), -EINVAL);
        s.ttl = 64;
        cr_assert_eq(ops->build(&s, b, &len), -EINVAL);
        s.ttl = 3;
        s.attempt = 4;
        cr_assert_eq(ops->build(&s, b, &len), -EINVAL);
        s.attempt = 0;
        s.trace_id = 1;
        s.size = (uint16_t)(ops->min_size - 1);
        cr_assert_eq(ops->build(&s, b, &len), ops->proto == 6 ? 0 : -EINVAL);
        len = sizeof(b);
        s.size = 0;
        s.dst = A("2001:db8::1");
        cr_assert_eq(ops->build(&s, b, &len), -EINVAL);
        s.dst = A("203.0.113.7");
        s.key = NULL;
        cr_assert_eq(ops->build(&s, b, &len), -EINVAL);
    }
}

Test(methods, build_bigger_size_keeps_checksum_target)
{
    setup_all();
    const struct kp_method_ops *ops[2] = {all[0], all[1]};
    for (int i = 0; i < 2; i++) {
        uint8_t a[1500], b[1500];
        struct kp_probe_spec s = spec_for(ops[i], 99, 9, 2);
        build(ops[i], &s, a);
        s.size = 128;
        size_t n = build(ops[i], &s, b);
        cr_assert_eq(n, 128);
        cr_assert_eq(t_l4_verify(b), 0);
        /* same identity fields at another size */
        cr_assert_eq(be16(a + 4), be16(b + 4));
        cr_assert_eq(be16(a + 20 + (i == 0 ? 2 : 6)), be16(b + 20 + (i == 0 ? 2 : 6)));
    }
    struct kp_probe_spec s = spec_for(all[2], 1, 1, 0);
    s.size = 100;
    uint8_t b[1500];
    size_t len = sizeof(b);
    cr_assert_eq(all[2]->build(&s, b, &len), 0);
    cr_assert_eq(len, 60, "tcp-syn has a fixed size, --size does not apply");
}

Test(methods, tcp_custom_port)
{
    setup_all();
    struct kp_probe_spec s = spec_for(all[2], 3, 4, 1);
    s.dport = 443;
    uint8_t b[1500];
    build(all[2], &s, b);
    cr_assert_eq(be16(b + 22), 443);
}

/* ------------------------------------------------------------ matching */

static void expect_match(const struct kp_method_ops *ops, const uint8_t *reply, size_t n,
                         uint32_t trace, uint8_t ttl, uint8_t att, bool from_dst)
{
    struct kp_match m;
    struct kp_pkt d;
    int r = decode_match(ops, reply, n, &key_a, &m, &d);
    cr_assert_eq(r, 0, "%s match ttl %u: %d", ops->name, ttl, r);
    cr_assert(m.trace_known, "%s trace known", ops->name);
    cr_assert_eq(m.trace_id, trace);
    cr_assert_eq(m.ttl, ttl);
    cr_assert_eq(m.attempt, att);
    cr_assert_eq(m.from_dst, from_dst);
    cr_assert_not(m.nat, "%s nat", ops->name);
    char buf[64];
    cr_assert_str_eq(kp_addr_str(&m.dst, buf, sizeof(buf)), "203.0.113.7");
    /* Another key must not validate it. */
    cr_assert_neq(decode_match(ops, reply, n, &key_b, &m, &d), 0, "%s other key", ops->name);
}

Test(methods, match_time_exceeded_full_and_8_byte_quotes)
{
    setup_all();
    for (int mi = 0; mi < 4; mi++) {
        const struct kp_method_ops *ops = all[mi];
        for (uint8_t ttl = 1; ttl <= 40; ttl += 13) {
            for (uint8_t att = 0; att < 4; att++) {
                uint32_t trace = 4095u + ttl * 100u + att;
                struct kp_probe_spec s = spec_for(ops, trace, ttl, att);
                uint8_t p[1500], r[1500];
                size_t n = build(ops, &s, p);
                p[8] = 1; /* the router sees TTL 1 */
                size_t rn = icmp_error(r, "198.18.1.1", 11, 0, p, n, 0, false, NULL, 0);
                expect_match(ops, r, rn, trace, ttl, att, false);
                rn = icmp_error(r, "198.18.1.1", 11, 0, p, 28, 0, false, NULL, 0);
                expect_match(ops, r, rn, trace, ttl, att, false);
                /* fewer than 8 transport bytes: cannot be matched */
                rn = icmp_error(r, "198.18.1.1", 11, 0, p, 27, 0, false, NULL, 0);
                struct kp_match m;
                struct kp_pkt d;
                cr_assert_eq(decode_match(ops, r, rn, &key_a, &m, &d), -ENOENT);
            }
        }
    }
}

Test(methods, match_unreachables_from_destination_and_router)
{
    setup_all();
    for (int mi = 0; mi < 4; mi++) {
        const struct kp_method_ops *ops = all[mi];
        struct kp_probe_spec s = spec_for(ops, 17, 12, 1);
        uint8_t p[1500], r[1500];
        size_t n = build(ops, &s, p);
        size_t rn = icmp_error(r, "203.0.113.7", 3, 3, p, n, 0, false, NULL, 0);
        expect_match(ops, r, rn, 17, 12, 1, true);
        rn = icmp_error(r, "198.18.9.9", 3, 13, p, 28, 0, false, NULL, 0);
        expect_match(ops, r, rn, 17, 12, 1, false);
        rn = icmp_error(r, "198.18.9.9", 12, 0, p, 28, 0, false, NULL, 0);
        expect_match(ops, r, rn, 17, 12, 1, false);
    }
}

Test(methods, match_mpls_extension_rfc4884_length)
{
    setup_all();
    const uint32_t labels[2] = {16005, 24001};
    const uint8_t ttls[2] = {1, 254};
    for (int mi = 0; mi < 4; mi++) {
        const struct kp_method_ops *ops = all[mi];
        struct kp_probe_spec s = spec_for(ops, 300, 7, 3);
        uint8_t p[1500], r[1500], e[64];
        size_t n = build(ops, &s, p);
        size_t en = mpls_ext(e, labels, ttls, 2);
        size_t rn = icmp_error(r, "198.18.1.1", 11, 0, p, n, 128, true, e, en);
        struct kp_pkt d;
        cr_assert_eq(kp_decode_ip(r, rn, &d), KP_DEC_OK);
        cr_assert_eq(d.l4.icmp_rfc4884_len, 32);
        cr_assert(d.has_ext);
        cr_assert_not(d.ext_compat);
        cr_assert_eq(d.quote_len, 128);
        cr_assert_eq(d.n_mpls, 2);
        cr_assert_eq(d.mpls[0].label, 16005);
        cr_assert_eq(d.mpls[0].s, 0);
        cr_assert_eq(d.mpls[0].ttl, 1);
        cr_assert_eq(d.mpls[1].label, 24001);
        cr_assert_eq(d.mpls[1].s, 1);
        cr_assert_eq(d.mpls[1].ttl, 254);
        expect_match(ops, r, rn, 300, 7, 3, false);
        /* compatibility layout: no length byte, structure at 128 */
        rn = icmp_error(r, "198.18.1.1", 11, 0, p, n, 128, false, e, en);
        cr_assert_eq(kp_decode_ip(r, rn, &d), KP_DEC_OK);
        cr_assert(d.has_ext);
        cr_assert(d.ext_compat);
        cr_assert_eq(d.n_mpls, 2);
        cr_assert_eq(d.mpls[1].label, 24001);
        expect_match(ops, r, rn, 300, 7, 3, false);
    }
}

/* NAT in front of the vantage point that does not restore the quote: source
 * address 198.18.0.2 -> 198.51.100.10 and source port / echo id -> 40001,
 * transport checksum recomputed from scratch (as a NAT would leave it). */
static size_t nat_quote(const struct kp_method_ops *ops, uint8_t *p, size_t n, uint16_t *sent_sum,
                        uint16_t *new_sum)
{
    struct kp_addr pub = A("198.51.100.10");
    p[8] = 1;
    if (ops->proto == 1) {
        *sent_sum = be16(p + 22);
        pkt_put16(p + 24, 40001); /* echo id */
        t_l4_fix(p, 2);
        *new_sum = be16(p + 22);
    } else {
        *sent_sum = ops->proto == 17 ? be16(p + 26) : 0;
        memcpy(p + 12, pub.b, 4);
        pkt_put16(p + 20, 40001);
        t_l4_fix(p, ops->proto == 17 ? 6 : 16);
        *new_sum = ops->proto == 17 ? be16(p + 26) : 0;
    }
    t_ip_fix(p);
    return n;
}

Test(methods, match_nat_rewritten_quotes)
{
    setup_all();
    for (int mi = 0; mi < 4; mi++) {
        const struct kp_method_ops *ops = all[mi];
        for (uint32_t trace = 0; trace < KP_ID_MAX_TRACES; trace += 4099) {
            struct kp_probe_spec s = spec_for(ops, trace, 9, 2);
            uint8_t p[1500], r[1500];
            size_t n = build(ops, &s, p);
            uint16_t sent, now;
            nat_quote(ops, p, n, &sent, &now);
            for (int q = 0; q < 2; q++) {
                size_t rn = icmp_error(r, "198.18.1.1", 11, 0, p, q ? 28 : n, 0, false, NULL, 0);
                struct kp_match m;
                struct kp_pkt d;
                cr_assert_eq(decode_match(ops, r, rn, &key_a, &m, &d), 0, "%s nat", ops->name);
                cr_assert(m.nat, "%s nat flag", ops->name);
                cr_assert_eq(m.ttl, 9);
                cr_assert_eq(m.attempt, 2);
                if (ops->proto == 6) {
                    /* no checksum in 8 bytes: trace id from (dst, method) */
                    cr_assert_not(m.trace_known);
                    continue;
                }
                cr_assert_eq(m.nat_id, (uint16_t)(now - sent), "%s nat id", ops->name);
                cr_assert(m.trace_known, "%s trace recovered", ops->name);
                cr_assert_eq(m.trace_id, trace, "%s trace %u", ops->name, trace);
                cr_assert_eq(m.flow, 0x8000 | trace);
            }
        }
    }
}

/* Destination replies: echo reply and TCP SYN-ACK / RST. */
Test(methods, match_echo_reply)
{
    setup_all();
    const struct kp_method_ops *ops = all[0];
    struct kp_probe_spec s = spec_for(ops, 4321, 15, 1);
    uint8_t p[1500];
    size_t n = build(ops, &s, p);
    /* echo reply: swap addresses, type 0, recompute checksums (RFC 792) */
    uint8_t r[1500];
    memcpy(r, p, n);
    memcpy(r + 12, p + 16, 4);
    memcpy(r + 16, p + 12, 4);
    r[8] = 60;
    r[20] = 0;
    t_l4_fix(r, 2);
    t_ip_fix(r);
    expect_match(ops, r, n, 4321, 15, 1, true);
    /* a reply whose echoed payload lost the marker is rejected */
    memset(r + 28, 0, 18);
    t_l4_fix(r, 2);
    struct kp_match m;
    struct kp_pkt d;
    cr_assert_eq(decode_match(ops, r, n, &key_a, &m, &d), -EBADMSG);
    /* snaplen-cut reply: seq alone still matches */
    memcpy(r + 20, p + 20, n - 20);
    r[20] = 0;
    t_l4_fix(r, 2);
    cr_assert_eq(decode_match(ops, r, 30, &key_a, &m, &d), 0);
    cr_assert_eq(m.ttl, 15);
}

static size_t tcp_reply(uint8_t *r, const uint8_t *probe, uint8_t flags, uint32_t ack)
{
    memset(r, 0, 40);
    r[0] = 0x45;
    pkt_put16(r + 2, 40);
    r[8] = 60;
    r[9] = 6;
    memcpy(r + 12, probe + 16, 4);
    memcpy(r + 16, probe + 12, 4);
    pkt_put16(r + 20, be16(probe + 22));
    pkt_put16(r + 22, be16(probe + 20));
    pkt_put32(r + 24, 0x01020304);
    pkt_put32(r + 28, ack);
    r[32] = 0x50;
    r[33] = flags;
    pkt_put16(r + 34, 29200);
    t_l4_fix(r, 16);
    t_ip_fix(r);
    return 40;
}

Test(methods, match_tcp_synack_and_rst)
{
    setup_all();
    const struct kp_method_ops *ops = all[2];
    struct kp_probe_spec s = spec_for(ops, 2222, 20, 3);
    uint8_t p[1500], r[64];
    build(ops, &s, p);
    uint32_t seq = be32(p + 24);
    size_t rn = tcp_reply(r, p, 0x12, seq + 1);
    expect_match(ops, r, rn, 2222, 20, 3, true);
    rn = tcp_reply(r, p, 0x14, seq + 1);
    expect_match(ops, r, rn, 2222, 20, 3, true);
    struct kp_match m;
    struct kp_pkt d;
    rn = tcp_reply(r, p, 0x12, seq + 1 + 0x100); /* wrong ack */
    cr_assert_eq(decode_match(ops, r, rn, &key_a, &m, &d), -EBADMSG);
    /* the ack's last byte binds our source port: a reply to another port
     * (a NAT that did not restore it) is ours, but the trace is unknown */
    rn = tcp_reply(r, p, 0x12, seq + 1);
    pkt_put16(r + 22, 40001);
    t_l4_fix(r, 16);
    cr_assert_eq(decode_match(ops, r, rn, &key_a, &m, &d), 0);
    cr_assert(m.nat);
    cr_assert_not(m.trace_known);
    cr_assert_eq(m.ttl, 20);
    rn = tcp_reply(r, p, 0x04, 0); /* RST without ACK says nothing */
    cr_assert_eq(decode_match(ops, r, rn, &key_a, &m, &d), -ENOENT);
    rn = tcp_reply(r, p, 0x02, seq + 1); /* a SYN is not a reply */
    cr_assert_eq(decode_match(ops, r, rn, &key_a, &m, &d), -ENOENT);
}

Test(methods, spoofed_replies_rejected)
{
    setup_all();
    for (int mi = 0; mi < 4; mi++) {
        const struct kp_method_ops *ops = all[mi];
        struct kp_probe_spec s = spec_for(ops, 77, 10, 0);
        uint8_t p[1500], q[1500], r[1500];
        size_t n = build(ops, &s, p);
        struct kp_match m;
        struct kp_pkt d;
        /* wrong key */
        size_t rn = icmp_error(r, "198.18.1.1", 11, 0, p, n, 0, false, NULL, 0);
        cr_assert_eq(decode_match(ops, r, rn, &key_b, &m, &d), -EBADMSG, "%s", ops->name);
        /* per-probe tag altered (low byte of the identity word / seq) */
        memcpy(q, p, n);
        if (ops->proto == 17)
            q[5] ^= 0x01; /* IP ID low byte = tag8 */
        else if (ops->proto == 1)
            q[27] ^= 0x01; /* ICMP seq low byte */
        else
            q[26] ^= 0x01; /* TCP seq: a bit of the 16-bit h1 tag */
        rn = icmp_error(r, "198.18.1.1", 11, 0, q, n, 0, false, NULL, 0);
        cr_assert_eq(decode_match(ops, r, rn, &key_a, &m, &d), -EBADMSG, "%s tag", ops->name);
        /* a probe to another destination claiming our fields */
        memcpy(q, p, n);
        q[19] ^= 0x40;
        rn = icmp_error(r, "198.18.1.1", 11, 0, q, n, 0, false, NULL, 0);
        cr_assert_eq(decode_match(ops, r, rn, &key_a, &m, &d), -EBADMSG, "%s dst", ops->name);
        /* reply not for our address */
        rn = icmp_error(r, "198.18.1.1", 11, 0, p, n, 0, false, NULL, 0);
        r[19] ^= 1;
        t_ip_fix(r);
        cr_assert_eq(decode_match(ops, r, rn, &key_a, &m, &d), -ENOENT, "%s addr", ops->name);
    }
}

Test(methods, foreign_probes_not_ours)
{
    setup_all();
    /* A Linux traceroute UDP probe: sport 45000 (bit 15 clear... use 12345),
     * dport 33434, IP ID 0x1111: not ours, -ENOENT. */
    uint8_t p[28] = {0x45, 0, 0,   28, 0x11, 0x11, 0,    0,    1,    17,   0, 0, 198, 18,
                     0,    2, 203, 0,  113,  7,    0x30, 0x39, 0x82, 0x9a, 0, 8, 0,   0};
    uint8_t r[200];
    size_t rn = icmp_error(r, "198.18.1.1", 11, 0, p, 28, 0, false, NULL, 0);
    struct kp_pkt d;
    cr_assert_eq(kp_decode_ip(r, rn, &d), 0);
    struct kp_match m;
    struct kp_addr me = A("198.18.0.2");
    cr_assert_eq(kp_method_match_any(&d, &me, &key_a, &m, NULL), -ENOENT);
    /* kp_method_match_any finds the right table for each method */
    setup_all();
    for (int mi = 0; mi < 4; mi++) {
        struct kp_probe_spec s = spec_for(all[mi], 5, 5, 1);
        uint8_t pb[1500];
        size_t n = build(all[mi], &s, pb);
        rn = icmp_error(r, "198.18.1.1", 11, 0, pb, n < 100 ? n : 100, 0, false, NULL, 0);
        cr_assert_eq(kp_decode_ip(r, rn, &d), 0);
        const struct kp_method_ops *which = NULL;
        cr_assert_eq(kp_method_match_any(&d, &me, &key_a, &m, &which), 0);
        cr_assert_eq(which, all[mi], "%s", all[mi]->name);
    }
}

Test(methods, marker_find_on_sent_probes)
{
    setup_all();
    for (int mi = 0; mi < 4; mi++) {
        struct kp_probe_spec s = spec_for(all[mi], 31000, 33, 2);
        uint8_t b[1500];
        size_t n = build(all[mi], &s, b);
        struct kp_pkt d;
        cr_assert_eq(kp_decode_ip(b, n, &d), KP_DEC_OK);
        cr_assert_eq(d.l4.sum_ok, 1);
        struct kp_marker mk;
        cr_assert_eq(kp_marker_find(&d, &mk), 0, "%s", all[mi]->name);
        cr_assert_eq(mk.method, all[mi]->id);
        cr_assert_eq(mk.ttl, 33);
        cr_assert_eq(mk.attempt, 2);
        cr_assert_eq(mk.trace_id, 31000);
        cr_assert_eq(mk.version, 2);
        cr_assert_eq(mk.slot, (uint16_t)(31000 * 7 + 3));
    }
}

/* Trace ids are 32 bits: the marker carries the whole id, the flow value
 * (source port, echo id) its low 15 bits, and a reply still names the trace
 * by those 15 bits. */
Test(methods, trace_ids_beyond_15_bits)
{
    setup_all();
    const uint32_t ids[] = {32768, 65535 + 9, 196608, 3000001, 0xfffffffeu};
    for (int mi = 0; mi < 4; mi++) {
        for (size_t k = 0; k < sizeof(ids) / sizeof(ids[0]); k++) {
            struct kp_probe_spec s = spec_for(all[mi], ids[k], 4, 1);
            uint8_t b[1500];
            size_t n = build(all[mi], &s, b);
            struct kp_pkt d;
            cr_assert_eq(kp_decode_ip(b, n, &d), KP_DEC_OK);
            struct kp_marker mk;
            cr_assert_eq(kp_marker_find(&d, &mk), 0);
            cr_assert_eq(mk.trace_id, ids[k], "%s id %u", all[mi]->name, ids[k]);
            uint16_t flow = all[mi]->proto == 1 ? d.l4.icmp_id : d.l4.sport;
            cr_assert_eq(flow, 0x8000 | (ids[k] & 0x7fff), "%s id %u", all[mi]->name, ids[k]);
        }
    }
}

/* A version 1 marker (captures of older kptrace) still parses: TTL,
 * attempt and flags in their own bytes, no slot. */
Test(methods, marker_v1_still_parses)
{
    const uint8_t v1[KP_MARKER_LEN] = {'K', 'P',  'T',  '1',  2,    17,   3,    0,    0,
                                       0,   0x7f, 0xff, 0xde, 0xad, 0xbe, 0xef, 0x12, 0x34};
    struct kp_marker mk;
    cr_assert_eq(kp_marker_parse(v1, sizeof(v1), &mk), 0);
    cr_assert_eq(mk.version, 1);
    cr_assert_eq(mk.method, 2);
    cr_assert_eq(mk.ttl, 17);
    cr_assert_eq(mk.attempt, 3);
    cr_assert_eq(mk.trace_id, 32767);
    cr_assert_eq(mk.tag, 0xdeadbeefu);
    cr_assert_eq(mk.adjust, 0x1234);
    cr_assert_eq(mk.slot, 0);
    cr_assert_eq(kp_marker_parse(v1, KP_MARKER_LEN - 1, &mk), -EMSGSIZE);
    const uint8_t other[KP_MARKER_LEN] = {'K', 'P', 'T', '3'};
    cr_assert_eq(kp_marker_parse(other, sizeof(other), &mk), -ENOENT);
}

/* ------------------------------------------------------------- IPv6 */

/* Transport checksum over IPv6 (pseudo-header: addresses, length, next
 * header): 0 when valid. The probe has no extension headers. */
static uint16_t t6_l4_verify(const uint8_t *ip)
{
    size_t plen = be16(ip + 4);
    uint32_t s = t_sum(0, ip + 8, 32);
    s += (uint32_t)plen;
    s += ip[6];
    return t_fold(t_sum(s, ip + 40, plen));
}

static void t6_l4_fix(uint8_t *ip, size_t sum_off)
{
    pkt_put16(ip + 40 + sum_off, 0);
    pkt_put16(ip + 40 + sum_off, t6_l4_verify(ip));
}

static struct kp_probe_spec spec6(uint32_t trace, uint8_t ttl, uint8_t att)
{
    struct kp_probe_spec s;
    memset(&s, 0, sizeof(s));
    s.src = A("2001:db8::2");
    s.dst = A("2001:db8:ff::7");
    s.trace_id = trace;
    s.ttl = ttl;
    s.attempt = att;
    s.key = &key_a;
    return s;
}

/* ICMPv6 error from `from` to 2001:db8::2 quoting qlen bytes of probe. */
static size_t icmp6_error(uint8_t *out, const char *from, uint8_t type, uint8_t code,
                          const uint8_t *probe, size_t qlen)
{
    size_t icmp_len = 8 + qlen;
    memset(out, 0, 40 + icmp_len);
    out[0] = 0x60;
    pkt_put16(out + 4, (uint16_t)icmp_len);
    out[6] = 58;
    out[7] = 250;
    struct kp_addr f = A(from), to = A("2001:db8::2");
    memcpy(out + 8, f.b, 16);
    memcpy(out + 24, to.b, 16);
    out[40] = type;
    out[41] = code;
    memcpy(out + 48, probe, qlen);
    t6_l4_fix(out, 2);
    return 40 + icmp_len;
}

static int match6(const struct kp_method_ops *ops, const uint8_t *pkt, size_t n,
                  const struct kp_key *k, struct kp_match *m)
{
    struct kp_pkt d;
    int st = kp_decode_ip(pkt, n, &d);
    cr_assert_eq(st, KP_DEC_OK, "decode: %s", kp_decode_strerror(st));
    struct kp_addr me = A("2001:db8::2");
    return ops->match(&d, &me, k, m);
}

Test(methods, ipv6_build_valid_and_paris)
{
    setup_all();
    for (int mi = 0; mi < 4; mi++) {
        const struct kp_method_ops *ops = all[mi];
        uint8_t first[80];
        for (uint8_t ttl = 1; ttl <= 63; ttl += 2) {
            for (uint8_t att = 0; att < 4; att++) {
                struct kp_probe_spec s = spec6(555, ttl, att);
                uint8_t b[1500];
                size_t n = build(ops, &s, b);
                cr_assert_eq(n, ops->proto == 6 ? 80u : 66u, "%s v6 len", ops->name);
                cr_assert_eq(b[0] >> 4, 6);
                cr_assert_eq(be32(b) & 0xfffff, 0, "flow label 0");
                cr_assert_eq(be16(b + 4), n - 40);
                cr_assert_eq(b[6], ops->proto == 1 ? 58 : ops->proto);
                cr_assert_eq(b[7], ttl);
                cr_assert_eq(t6_l4_verify(b), 0, "%s v6 checksum", ops->name);
                const uint8_t *l4 = b + 40;
                if (ops->proto == 1) {
                    cr_assert_eq(l4[0], 128);
                    cr_assert_eq(be16(l4 + 6) >> 10, ttl);
                } else if (ops->proto == 17) {
                    /* no IP ID: the UDP checksum is the word */
                    cr_assert_eq(be16(l4 + 6) >> 10, ttl);
                    cr_assert_eq((be16(l4 + 6) >> 8) & 3, att);
                } else {
                    cr_assert_eq(be32(l4 + 4) >> 26, ttl);
                }
                if (ttl == 1 && att == 0)
                    memcpy(first, l4, 4);
                if (ops->id != KP_METHOD_UDP)
                    cr_assert_eq(memcmp(first, l4, 4), 0, "%s v6 flow bytes changed", ops->name);
            }
        }
    }
}

Test(methods, ipv6_match_errors_and_destination)
{
    setup_all();
    for (int mi = 0; mi < 4; mi++) {
        const struct kp_method_ops *ops = all[mi];
        struct kp_probe_spec s = spec6(9876, 11, 2);
        uint8_t p[1500], r[1600];
        size_t n = build(ops, &s, p);
        struct kp_match m;
        /* time exceeded with the full probe and with 8 transport bytes */
        size_t q[2] = {n, 48};
        for (int i = 0; i < 2; i++) {
            size_t rn = icmp6_error(r, "2001:db8:1::1", 3, 0, p, q[i]);
            cr_assert_eq(match6(ops, r, rn, &key_a, &m), 0, "%s v6 te", ops->name);
            cr_assert(m.trace_known);
            cr_assert_eq(m.trace_id, 9876);
            cr_assert_eq(m.ttl, 11);
            cr_assert_eq(m.attempt, 2);
            cr_assert_not(m.from_dst);
            cr_assert_not(m.nat);
            cr_assert_neq(match6(ops, r, rn, &key_b, &m), 0, "%s v6 other key", ops->name);
        }
        /* port unreachable (1/4) from the destination */
        size_t rn = icmp6_error(r, "2001:db8:ff::7", 1, 4, p, n);
        cr_assert_eq(match6(ops, r, rn, &key_a, &m), 0);
        cr_assert(m.from_dst);
        /* packet too big is not an answer */
        rn = icmp6_error(r, "2001:db8:1::1", 2, 0, p, n);
        cr_assert_eq(match6(ops, r, rn, &key_a, &m), -ENOENT);
    }
    /* echo reply */
    struct kp_probe_spec s = spec6(42, 7, 1);
    uint8_t p[1500], r[1500];
    size_t n = build(all[0], &s, p);
    memcpy(r, p, n);
    memcpy(r + 8, p + 24, 16);
    memcpy(r + 24, p + 8, 16);
    r[40] = 129;
    t6_l4_fix(r, 2);
    struct kp_match m;
    cr_assert_eq(match6(all[0], r, n, &key_a, &m), 0);
    cr_assert(m.from_dst);
    cr_assert_eq(m.trace_id, 42);
    cr_assert_eq(m.ttl, 7);
    /* SYN-ACK */
    n = build(all[2], &s, p);
    memset(r, 0, 60);
    r[0] = 0x60;
    pkt_put16(r + 4, 20);
    r[6] = 6;
    r[7] = 60;
    memcpy(r + 8, p + 24, 16);
    memcpy(r + 24, p + 8, 16);
    pkt_put16(r + 40, be16(p + 42));
    pkt_put16(r + 42, be16(p + 40));
    pkt_put32(r + 48, be32(p + 44) + 1);
    r[52] = 0x50;
    r[53] = 0x12;
    t6_l4_fix(r, 16);
    cr_assert_eq(match6(all[2], r, 60, &key_a, &m), 0);
    cr_assert(m.from_dst);
    cr_assert_eq(m.trace_id, 42);
    cr_assert_eq(m.attempt, 1);
}

Test(methods, bpf_filters_compile_and_select)
{
    setup_all();
    pcap_t *dead = pcap_open_dead(DLT_RAW, 65535);
    cr_assert_not_null(dead);
    for (int mi = 0; mi < 4; mi++) {
        struct bpf_program prog;
        cr_assert_eq(pcap_compile(dead, &prog, all[mi]->bpf_replies, 1, PCAP_NETMASK_UNKNOWN), 0,
                     "%s: %s", all[mi]->name, pcap_geterr(dead));
        /* a time exceeded quoting one of our probes passes the filter */
        struct kp_probe_spec s = spec_for(all[mi], 1, 1, 0);
        uint8_t p[1500], r[1600];
        size_t n = build(all[mi], &s, p);
        size_t rn = icmp_error(r, "198.18.1.1", 11, 0, p, n, 0, false, NULL, 0);
        struct pcap_pkthdr h = {.caplen = (bpf_u_int32)rn, .len = (bpf_u_int32)rn};
        cr_assert_neq(pcap_offline_filter(&prog, &h, r), 0, "%s", all[mi]->name);
        /* the probe itself does not */
        h.caplen = h.len = (bpf_u_int32)n;
        cr_assert_eq(pcap_offline_filter(&prog, &h, p), 0, "%s", all[mi]->name);
        pcap_freecode(&prog);
    }
    pcap_close(dead);
}

/* ------------------------------------------- replies made by Linux itself */

/* tests/data/codec/kernel_*.pcap were captured in private namespaces while
 * kernel_send.c sent TTL 1..3 x attempts 0,1 of every method with this key
 * (trace ids 100..103): the replies are the Linux kernel's own (router
 * time-exceeded, echo reply, port unreachable, SYN-ACK from a listener on
 * port 80 for attempt 0, RST from closed port 81 for attempt 1). */
static const struct kp_key kernel_key = {{9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2, 3, 4, 5, 6}};

static pcap_t *open_fixture(const char *name)
{
    char path[512], err[PCAP_ERRBUF_SIZE];
    snprintf(path, sizeof(path), "%s/codec/%s", KP_TEST_DATA, name);
    pcap_t *p = pcap_open_offline(path, err);
    cr_assert_not_null(p, "%s: %s", path, err);
    return p;
}

Test(methods, real_linux_replies_match)
{
    setup_all();
    pcap_t *pc = open_fixture("kernel_lan.pcap");
    struct kp_addr me = A("198.18.0.2"), router = A("198.18.0.1"), dst = A("198.51.100.7");
    bool seen[4][4][2] = {{{false}}}; /* method x ttl x attempt */
    int matched = 0, probes = 0;
    struct pcap_pkthdr *h;
    const u_char *data;
    while (pcap_next_ex(pc, &h, &data) == 1) {
        struct kp_pkt d;
        if (kp_decode_frame(pcap_datalink(pc), data, h->caplen, &d) != KP_DEC_OK)
            continue; /* ARP */
        if (kp_addr_eq(&d.ip.src, &me)) {
            struct kp_marker mk;
            if (kp_marker_find(&d, &mk) == 0)
                probes++;
            continue;
        }
        struct kp_match m;
        const struct kp_method_ops *w = NULL;
        int r = kp_method_match_any(&d, &me, &kernel_key, &m, &w);
        struct kp_match m2;
        cr_assert_neq(kp_method_match_any(&d, &me, &key_a, &m2, NULL), 0, "other key");
        if (d.ip.version == 6) {
            cr_assert_eq(r, -ENOENT, "neighbour discovery is not ours");
            continue;
        }
        cr_assert_eq(r, 0, "a kernel reply did not match");
        matched++;
        cr_assert(m.trace_known);
        cr_assert_not(m.nat);
        cr_assert_eq(m.trace_id, 100u + (unsigned)(w->id - KP_METHOD_ICMP_PARIS));
        cr_assert(m.ttl >= 1 && m.ttl <= 3 && m.attempt <= 1);
        cr_assert_not(seen[w->id - 1][m.ttl][m.attempt], "duplicate");
        seen[w->id - 1][m.ttl][m.attempt] = true;
        if (m.ttl == 1) {
            cr_assert(kp_addr_eq(&d.ip.src, &router));
            cr_assert_eq(d.l4.icmp_type, 11);
            cr_assert_not(m.from_dst);
        } else {
            cr_assert(kp_addr_eq(&d.ip.src, &dst));
            cr_assert(m.from_dst);
            if (w->id == KP_METHOD_ICMP_PARIS)
                cr_assert_eq(d.l4.icmp_type, 0);
            else if (w->id == KP_METHOD_TCP_SYN)
                cr_assert_eq(d.l4.tcp_flags, m.attempt == 0 ? 0x12 : 0x14);
            else
                cr_assert(d.l4.icmp_type == 3 && d.l4.icmp_code == 3);
        }
    }
    pcap_close(pc);
    cr_assert_eq(probes, 24);
    cr_assert_eq(matched, 24, "every probe answered and matched once");
}

/* The same probes captured outside a Linux SNAT (198.18.0.2 -> 198.51.100.1,
 * source ports -> 40000-40100): replies there quote the rewritten probe. We
 * hand them to the matcher as if the NAT had forwarded them to us without
 * restoring the quote, and check that the trace id comes back by undoing
 * Linux's own checksum update. */
Test(methods, real_linux_nat_rewritten_quotes)
{
    setup_all();
    pcap_t *pc = open_fixture("kernel_nat_out.pcap");
    struct kp_addr me = A("198.18.0.2"), pub = A("198.51.100.1");
    int udp_seen = 0, tcp_seen = 0;
    struct pcap_pkthdr *h;
    const u_char *data;
    while (pcap_next_ex(pc, &h, &data) == 1) {
        struct kp_pkt d;
        if (kp_decode_frame(pcap_datalink(pc), data, h->caplen, &d) != KP_DEC_OK ||
            d.ip.version != 4 || !kp_addr_eq(&d.ip.dst, &pub))
            continue;
        d.ip.dst = me;
        struct kp_match m;
        const struct kp_method_ops *w = NULL;
        cr_assert_eq(kp_method_match_any(&d, &me, &kernel_key, &m, &w), 0);
        if (w->proto == 17) {
            udp_seen++;
            cr_assert_geq(d.q_l4.sport, 40000, "quote shows the NAT's port");
            cr_assert(m.nat);
            cr_assert(m.trace_known);
            cr_assert_eq(m.trace_id, w->id == KP_METHOD_UDP ? 103u : 101u);
            cr_assert_eq(m.flow, 0x8000u | m.trace_id);
            /* the same probe as sent inside (deterministic) gives the NAT id */
            struct kp_probe_spec s = spec_for(w, m.trace_id, m.ttl, m.attempt);
            s.dst = A("198.51.100.7");
            s.key = &kernel_key;
            uint8_t p[1500];
            build(w, &s, p);
            cr_assert_eq(m.nat_id, (uint16_t)(d.q_l4.udp_sum - be16(p + 26)));
        } else if (w->proto == 6) {
            tcp_seen++;
            cr_assert(m.nat, "reply to the NAT's port");
            cr_assert_not(m.trace_known);
        }
    }
    pcap_close(pc);
    cr_assert_eq(udp_seen, 8);
    cr_assert_eq(tcp_seen, 4);
}

/* A probe patched in place from another probe of its trace (the prober's
 * template) is byte for byte the probe build makes: every method, every
 * TTL 1..63 and attempt 0..3, a default and a larger size, a fixed source
 * port and the trace id's own. */
Test(methods, patch_equals_build)
{
    setup_all();
    for (int mi = 0; mi < 4; mi++) {
        const struct kp_method_ops *ops = all[mi];
        cr_assert_not_null(ops->patch, "%s has a patch", ops->name);
        for (int variant = 0; variant < 3; variant++) {
            struct kp_probe_spec s = spec_for(ops, 200000 + (uint32_t)variant, 1, 0);
            if (variant == 1)
                s.size = 120;
            if (variant == 2) {
                s.sport = 4242;
                s.dport = 8080;
            }
            uint8_t tpl[1500], want[1500], got[1500];
            size_t tl = build(ops, &s, tpl);
            for (unsigned ttl = 1; ttl <= 63; ttl++) {
                for (unsigned att = 0; att <= 3; att++) {
                    s.ttl = (uint8_t)ttl;
                    s.attempt = (uint8_t)att;
                    size_t wl = build(ops, &s, want);
                    cr_assert_eq(wl, tl);
                    memcpy(got, tpl, tl);
                    cr_assert_eq(ops->patch(&s, got, tl), 0, "%s ttl %u", ops->name, ttl);
                    cr_assert_arr_eq(got, want, wl, "%s variant %d ttl %u attempt %u", ops->name,
                                     variant, ttl, att);
                }
            }
        }
    }
}

Test(methods, patch_refuses_what_it_cannot_patch)
{
    setup_all();
    const struct kp_method_ops *ops = all[0];
    struct kp_probe_spec s = spec_for(ops, 9, 3, 0);
    uint8_t b[1500];
    size_t n = build(ops, &s, b);
    cr_assert_eq(ops->patch(&s, b, n - 1), -EINVAL, "a length that is not the probe's");
    struct kp_probe_spec v6 = s;
    v6.src = A("2001:db8::2");
    v6.dst = A("2001:db8::7");
    cr_assert_eq(ops->patch(&v6, b, n), -EINVAL, "IPv6 is built, not patched");
    b[20 + 8] = 'X'; /* not a marker */
    cr_assert_eq(ops->patch(&s, b, n), -EINVAL);
    const struct kp_method_ops *udp = all[1];
    cr_assert_eq(udp->patch(&s, b, n), -EINVAL, "an ICMP probe is not a UDP one");
}
