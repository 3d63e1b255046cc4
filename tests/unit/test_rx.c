/* SPDX-License-Identifier: BSD-2-Clause */
/* Tests of the receive path (core/rx/) on hand-built decoded packets, and
 * end to end on kptrace probes built by the codec and ICMP errors built here
 * byte by byte. Every expected value is worked out by hand in the comments
 * (RTTs from the timestamps given, stop reasons from the rules in rx.h and
 * RFC 792 type/code meanings). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/codec/decode.h"
#include "core/codec/identity.h"
#include "core/methods/method.h"
#include "core/rx/rx.h"
#include "core/rx/rx_kptrace.h"
#include "pkt_build.h"

#define MS  1000000LL
#define S   1000000000LL
#define T0  1700000000000000000LL /* some time in 2023, ns since the epoch */
#define UDP 17
#define TCP 6

/* ---- test classifiers: UDP to 33434.. from a fixed source port, like
 * classic traceroute; trace = source port. Three variants of run params. */
static int cls_common(const struct kp_pkt *p, struct kp_rx_probe *out)
{
    if (p->is_icmp_error || p->ip.ttl >= 64)
        return 0;
    if (p->ip.proto == UDP && p->l4.dport >= 33434 && p->l4.dport < 33600) {
        out->tool = "testroute";
        out->method = KP_METHOD_UDP;
        out->trace_key = p->l4.sport;
        out->ttl = p->ip.ttl;
        out->attempt = KP_RX_ATTEMPT_AUTO;
        out->match_fields = KP_RX_F_SRC | KP_RX_F_IPID | KP_RX_F_SPORT | KP_RX_F_DPORT;
        out->nat_fields = KP_RX_F_DPORT | KP_RX_F_IPID;
        out->sport = p->l4.sport;
        out->dport = p->l4.dport;
        return 1;
    }
    if (p->ip.proto == 1 && p->l4.icmp_type == 8) {
        out->tool = "testping";
        out->method = KP_METHOD_ICMP;
        out->trace_key = p->l4.icmp_id;
        out->ttl = p->ip.ttl;
        out->attempt = KP_RX_ATTEMPT_AUTO;
        out->match_fields = KP_RX_F_SRC | KP_RX_F_ICMPID | KP_RX_F_ICMPSEQ;
        out->icmp_id = p->l4.icmp_id;
        return 1;
    }
    if (p->ip.proto == TCP && (p->l4.tcp_flags & 0x12) == 0x02) {
        out->tool = "testtcp";
        out->method = KP_METHOD_TCP;
        out->trace_key = p->l4.sport;
        out->ttl = p->ip.ttl;
        out->attempt = KP_RX_ATTEMPT_AUTO;
        out->match_fields = KP_RX_F_SRC | KP_RX_F_IPID | KP_RX_F_SPORT | KP_RX_F_TCPSEQ;
        out->sport = p->l4.sport;
        out->dport = p->l4.dport;
        return 1;
    }
    return 0;
}

/* params: wait 1 s, max 30, gap unknown */
static int cls_plain(const struct kp_pkt *p, struct kp_rx_probe *out)
{
    int r = cls_common(p, out);
    out->wait_ms = 1000;
    out->max_ttl = 30;
    return r;
}
/* params: gap 3, max 30, wait 1 s */
static int cls_gap3(const struct kp_pkt *p, struct kp_rx_probe *out)
{
    int r = cls_common(p, out);
    out->wait_ms = 1000;
    out->max_ttl = 30;
    out->gap_limit = 3;
    return r;
}
/* params: max 3, gap unknown, explicit attempt 0 (to test splitting) */
static int cls_max3(const struct kp_pkt *p, struct kp_rx_probe *out)
{
    int r = cls_common(p, out);
    out->wait_ms = 1000;
    out->max_ttl = 3;
    out->attempt = 0;
    return r;
}

static const struct kp_rx_classifier C_PLAIN = {"plain", cls_plain};
static const struct kp_rx_classifier C_GAP3 = {"gap3", cls_gap3};
static const struct kp_rx_classifier C_MAX3 = {"max3", cls_max3};
static const struct kp_rx_classifier *const L_PLAIN[] = {&C_PLAIN};
static const struct kp_rx_classifier *const L_GAP3[] = {&C_GAP3};
static const struct kp_rx_classifier *const L_MAX3[] = {&C_MAX3};

/* ---- collecting delivered traces and replies ---- */
#define MAXT 8
struct sink {
    struct kp_trace t[MAXT];
    size_t n, total;
    int replies;
    enum kp_rx_kind last_kind;
    enum kp_stop last_stop;
    uint8_t last_ttl;
};

static void on_trace(void *ctx, struct kp_trace *t)
{
    struct sink *s = ctx;
    s->total++;
    if (s->n < MAXT) {
        kp_trace_init(&s->t[s->n]);
        cr_assert_eq(kp_trace_copy(&s->t[s->n], t), 0);
        s->n++;
    }
}

static void on_reply(void *ctx, const struct kp_rx_reply *r)
{
    struct sink *s = ctx;
    s->replies++;
    s->last_kind = r->kind;
    s->last_stop = r->stop;
    s->last_ttl = r->hop->ttl;
}

static void sink_free(struct sink *s)
{
    for (size_t i = 0; i < s->n; i++)
        kp_trace_free(&s->t[i]);
}

static struct kp_rx *mkrx(const struct kp_rx_classifier *const *cls, struct sink *s)
{
    memset(s, 0, sizeof(*s));
    struct kp_rx_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.classifiers = cls;
    cfg.n_classifiers = 1;
    cfg.vp = "vp-test";
    cfg.on_trace = on_trace;
    cfg.on_reply = on_reply;
    cfg.ctx = s;
    struct kp_rx *rx = NULL;
    cr_assert_eq(kp_rx_create(&cfg, &rx), 0);
    return rx;
}

static struct kp_addr A(const char *s) {
    struct kp_addr a;
    cr_assert_eq(kp_addr_parse(s, &a), 0);
    return a;
}

#define SRC "198.18.0.10"
#define DST "198.18.9.20"

/* A UDP probe as decoded. */
static struct kp_pkt
udp_probe(const char *dst, uint8_t ttl, uint16_t sport, uint16_t dport, uint16_t ipid)
{
    struct kp_pkt p;
    memset(&p, 0, sizeof(p));
    p.ip.version = 4;
    p.ip.src = A(SRC);
    p.ip.dst = A(dst);
    p.ip.ttl = ttl;
    p.ip.proto = UDP;
    p.ip.ip_id = ipid;
    p.ip.tot_len = 60;
    p.ip.hdr_len = 20;
    p.l4.proto = UDP;
    p.l4.len = 8;
    p.l4.sport = sport;
    p.l4.dport = dport;
    p.l4.udp_len = 40;
    p.l4.udp_sum = 0x1200;
    p.wire_len = p.cap_len = 60;
    return p;
}

/* An ICMPv4 error from `from` quoting `probe` (8 transport bytes or `qlen`). */
static struct kp_pkt icmp_err(const char *from, const struct kp_pkt *probe, uint8_t type,
                              uint8_t code, uint8_t reply_ttl, uint16_t qlen)
{
    struct kp_pkt r;
    memset(&r, 0, sizeof(r));
    r.ip.version = 4;
    r.ip.src = A(from);
    r.ip.dst = probe->ip.src;
    r.ip.ttl = reply_ttl;
    r.ip.proto = 1;
    r.ip.ip_id = 777;
    r.ip.tot_len = 56;
    r.l4.proto = 1;
    r.l4.len = 8;
    r.l4.icmp_type = type;
    r.l4.icmp_code = code;
    r.is_icmp_error = true;
    r.has_quote = true;
    r.q_ip = probe->ip;
    r.q_ip.ttl = 1; /* the TTL the router saw expire */
    r.q_l4 = probe->l4;
    r.q_l4.len = qlen;
    r.quote_len = (uint16_t)(20 + qlen);
    r.wire_len = r.cap_len = 56;
    return r;
}

static void feed(struct kp_rx *rx, int64_t ts, const struct kp_pkt *p)
{
    cr_assert_eq(kp_rx_packet(rx, ts, p), 0);
}

/* ------------------------------------------------------------------ */

Test(rx, hops_rtt_exact_and_completed)
{
    /* Probes with TTL 1, 2, 3 (dport 33434..33436) at T0, T0+1 ms, T0+2 ms.
     * Router R1 answers TTL 1 at T0 + 12.345678 ms, R2 TTL 2 at
     * T0 + 1 ms + 20 ms, the destination's port unreachable TTL 3 at
     * T0 + 2 ms + 30.000001 ms. Completed at TTL 3. */
    struct sink s;
    struct kp_rx *rx = mkrx(L_PLAIN, &s);
    struct kp_pkt p1 = udp_probe(DST, 1, 40000, 33434, 101);
    struct kp_pkt p2 = udp_probe(DST, 2, 40000, 33435, 102);
    struct kp_pkt p3 = udp_probe(DST, 3, 40000, 33436, 103);
    feed(rx, T0, &p1);
    feed(rx, T0 + MS, &p2);
    feed(rx, T0 + 2 * MS, &p3);
    struct kp_pkt r1 = icmp_err("198.18.0.1", &p1, 11, 0, 254, 8);
    struct kp_pkt r2 = icmp_err("198.18.1.1", &p2, 11, 0, 253, 8);
    struct kp_pkt r3 = icmp_err(DST, &p3, 3, 3, 61, 8);
    r3.q_ip.ttl = 1;
    feed(rx, T0 + 12345678, &r1);
    cr_assert_eq(s.replies, 1);
    cr_assert_eq(s.last_kind, KP_RX_HOP);
    feed(rx, T0 + MS + 20 * MS, &r2);
    feed(rx, T0 + 2 * MS + 30000001, &r3);
    cr_assert_eq(s.last_kind, KP_RX_REACHED);
    cr_assert_eq(s.n, 0, "nothing delivered before the trace closes");
    cr_assert_eq(kp_rx_open_traces(rx), 1);
    kp_rx_finish(rx);
    cr_assert_eq(s.n, 1);
    struct kp_trace *t = &s.t[0];
    char b[KP_ADDR_STRLEN];
    cr_assert_str_eq(t->tool, "testroute");
    cr_assert_str_eq(t->vp, "vp-test");
    cr_assert_str_eq(t->ts_source, "pcap");
    cr_assert_str_eq(kp_addr_str(&t->dst, b, sizeof(b)), DST);
    cr_assert_str_eq(kp_addr_str(&t->src, b, sizeof(b)), SRC);
    cr_assert_eq(t->method, KP_METHOD_UDP);
    cr_assert_eq(t->sport, 40000);
    cr_assert_eq(t->dport, 33434);
    cr_assert_eq(t->id, 1);
    cr_assert_eq(t->n_hops, 3);
    cr_assert_eq(t->probes_sent, 3);
    cr_assert_eq(t->stop_reason, KP_STOP_COMPLETED);
    cr_assert_eq(t->stop_ttl, 3);
    cr_assert_eq(t->start_ns, T0);
    cr_assert_eq(t->end_ns, T0 + 2 * MS + 30000001);
    cr_assert_eq(t->first_ttl, 1);
    cr_assert_eq(t->max_ttl, 30);
    const struct kp_hop *h = t->hops;
    cr_assert_eq(h[0].ttl, 1);
    cr_assert_str_eq(kp_addr_str(&h[0].addr, b, sizeof(b)), "198.18.0.1");
    cr_assert_eq(h[0].rx_ns - h[0].tx_ns, 12345678);
    cr_assert_float_eq(h[0].rtt_ms, 12.345678, 1e-9);
    cr_assert_eq(h[0].reply_ttl, 254);
    cr_assert_eq(h[0].quoted_ttl, 1);
    cr_assert_eq(h[0].icmp_type, 11);
    cr_assert_eq(h[0].icmp_code, 0);
    cr_assert_eq(h[0].probe_size, 60);
    cr_assert_eq(h[0].reply_size, 56);
    cr_assert_eq(h[0].flags, 0);
    cr_assert_eq(h[1].ttl, 2);
    cr_assert_float_eq(h[1].rtt_ms, 20.0, 1e-9);
    cr_assert_eq(h[2].ttl, 3);
    cr_assert_eq(h[2].rx_ns - h[2].tx_ns, 30000001);
    cr_assert_float_eq(h[2].rtt_ms, 30.000001, 1e-9);
    cr_assert_eq(h[2].icmp_type, 3);
    cr_assert_eq(h[2].icmp_code, 3);
    cr_assert(h[2].flags & KP_HOP_FROM_DST);
    cr_assert_eq(kp_rx_stats(rx)->probes, 3);
    cr_assert_eq(kp_rx_stats(rx)->replies, 3);
    cr_assert_eq(kp_rx_stats(rx)->traces_closed, 1);
    kp_rx_destroy(rx);
    sink_free(&s);
}

static enum kp_stop stop_of_unreach(uint8_t code, const char *from)
{
    struct sink s;
    struct kp_rx *rx = mkrx(L_PLAIN, &s);
    struct kp_pkt p1 = udp_probe(DST, 1, 40000, 33434, 1);
    struct kp_pkt p2 = udp_probe(DST, 2, 40000, 33435, 2);
    feed(rx, T0, &p1);
    feed(rx, T0 + 1, &p2);
    struct kp_pkt r1 = icmp_err("198.18.0.1", &p1, 11, 0, 255, 8);
    struct kp_pkt r2 = icmp_err(from, &p2, 3, code, 254, 8);
    feed(rx, T0 + 10 * MS, &r1);
    feed(rx, T0 + 11 * MS, &r2);
    kp_rx_finish(rx);
    cr_assert_eq(s.n, 1);
    enum kp_stop st = s.t[0].stop_reason;
    if (st != KP_STOP_COMPLETED)
        cr_assert_eq(s.t[0].stop_ttl, 2);
    kp_rx_destroy(rx);
    sink_free(&s);
    return st;
}

Test(rx, unreachable_codes_stop_the_trace)
{
    /* RFC 792 / RFC 1812 codes from a router at TTL 2. */
    cr_assert_eq(stop_of_unreach(13, "198.18.1.1"), KP_STOP_ADMIN_PROHIB); /* !X */
    cr_assert_eq(stop_of_unreach(10, "198.18.1.1"), KP_STOP_ADMIN_PROHIB); /* host prohib */
    cr_assert_eq(stop_of_unreach(0, "198.18.1.1"), KP_STOP_UNREACH_NET);
    cr_assert_eq(stop_of_unreach(1, "198.18.1.1"), KP_STOP_UNREACH_HOST);
    cr_assert_eq(stop_of_unreach(2, "198.18.1.1"), KP_STOP_UNREACH_PROTO);
    cr_assert_eq(stop_of_unreach(4, "198.18.1.1"), KP_STOP_UNREACH_OTHER);
    /* protocol unreachable from the destination itself means reached */
    cr_assert_eq(stop_of_unreach(2, DST), KP_STOP_COMPLETED);
    cr_assert_eq(stop_of_unreach(3, DST), KP_STOP_COMPLETED);
}

Test(rx, icmp_kind_table)
{
    enum kp_stop st;
    cr_assert_eq(kp_rx_icmp_kind(4, 11, 0, false, &st), KP_RX_HOP);
    cr_assert_eq(kp_rx_icmp_kind(4, 0, 0, true, &st), KP_RX_REACHED);
    cr_assert_eq(kp_rx_icmp_kind(4, 3, 9, false, &st), KP_RX_UNREACH);
    cr_assert_eq(st, KP_STOP_ADMIN_PROHIB);
    cr_assert_eq(kp_rx_icmp_kind(4, 12, 0, false, &st), KP_RX_OTHER);
    /* ICMPv6 (RFC 4443): 3 time exceeded, 1/4 port unreachable, 1/1 admin,
     * 1/0 no route, 1/3 address unreachable, 129 echo reply. */
    cr_assert_eq(kp_rx_icmp_kind(6, 3, 0, false, &st), KP_RX_HOP);
    cr_assert_eq(kp_rx_icmp_kind(6, 1, 4, true, &st), KP_RX_REACHED);
    cr_assert_eq(kp_rx_icmp_kind(6, 1, 1, false, &st), KP_RX_UNREACH);
    cr_assert_eq(st, KP_STOP_ADMIN_PROHIB);
    cr_assert_eq(kp_rx_icmp_kind(6, 1, 0, false, &st), KP_RX_UNREACH);
    cr_assert_eq(st, KP_STOP_UNREACH_NET);
    cr_assert_eq(kp_rx_icmp_kind(6, 1, 3, false, &st), KP_RX_UNREACH);
    cr_assert_eq(st, KP_STOP_UNREACH_HOST);
    cr_assert_eq(kp_rx_icmp_kind(6, 129, 0, true, &st), KP_RX_REACHED);
}

Test(rx, gap_limit_maxttl_interrupted)
{
    /* gap 3 known: TTLs 1..5 probed, only 1 and 2 answer: 3, 4, 5 are three
     * consecutive silent TTLs -> gaplimit at 5. */
    struct sink s;
    struct kp_rx *rx = mkrx(L_GAP3, &s);
    struct kp_pkt p[6];
    for (int i = 1; i <= 5; i++) {
        p[i] = udp_probe(DST, (uint8_t)i, 40000, (uint16_t)(33433 + i), (uint16_t)i);
        feed(rx, T0 + i * S, &p[i]);
    }
    struct kp_pkt r1 = icmp_err("198.18.0.1", &p[1], 11, 0, 255, 8);
    struct kp_pkt r2 = icmp_err("198.18.1.1", &p[2], 11, 0, 254, 8);
    feed(rx, T0 + 1 * S + MS, &r1);
    feed(rx, T0 + 2 * S + MS, &r2);
    kp_rx_finish(rx);
    cr_assert_eq(s.t[0].stop_reason, KP_STOP_GAPLIMIT);
    cr_assert_eq(s.t[0].stop_ttl, 5);
    cr_assert_eq(s.t[0].gap_limit, 3);
    kp_rx_destroy(rx);
    sink_free(&s);

    /* gap 3 known but only TTLs 1, 2 probed, 1 answered: 1 silent TTL, TTL 2
     * < max 30 -> interrupted (the sender stopped for no data reason). */
    rx = mkrx(L_GAP3, &s);
    feed(rx, T0, &p[1]);
    feed(rx, T0 + S, &p[2]);
    feed(rx, T0 + MS, &r1);
    kp_rx_finish(rx);
    cr_assert_eq(s.t[0].stop_reason, KP_STOP_INTERRUPTED);
    kp_rx_destroy(rx);
    sink_free(&s);

    /* gap unknown, max 30: TTLs 1..4 probed, TTL 1 answered: P 4 > L 1 ->
     * gaplimit (a foreign tool that gave up after silence). */
    rx = mkrx(L_PLAIN, &s);
    for (int i = 1; i <= 4; i++)
        feed(rx, T0 + i * MS, &p[i]);
    feed(rx, T0 + 5 * MS, &r1);
    kp_rx_finish(rx);
    cr_assert_eq(s.t[0].stop_reason, KP_STOP_GAPLIMIT);
    cr_assert_eq(s.t[0].stop_ttl, 4);
    kp_rx_destroy(rx);
    sink_free(&s);

    /* max 3: TTLs 1..3 all answered by routers -> maxttl at 3. */
    rx = mkrx(L_MAX3, &s);
    for (int i = 1; i <= 3; i++)
        feed(rx, T0 + i * MS, &p[i]);
    for (int i = 1; i <= 3; i++) {
        char from[32];
        snprintf(from, sizeof(from), "198.18.%d.1", i);
        struct kp_pkt r = icmp_err(from, &p[i], 11, 0, 250, 8);
        feed(rx, T0 + 10 * MS + i, &r);
    }
    kp_rx_finish(rx);
    cr_assert_eq(s.t[0].stop_reason, KP_STOP_MAXTTL);
    cr_assert_eq(s.t[0].stop_ttl, 3);
    cr_assert_eq(s.t[0].n_hops, 3);
    kp_rx_destroy(rx);
    sink_free(&s);
}

Test(rx, late_duplicate_and_expired_replies)
{
    /* wait 1 s -> linger 2 * 1 s + 0.5 s = 2.5 s. */
    struct sink s;
    struct kp_rx *rx = mkrx(L_PLAIN, &s);
    struct kp_pkt p1 = udp_probe(DST, 1, 40000, 33434, 1);
    struct kp_pkt p2 = udp_probe(DST, 2, 40000, 33435, 2);
    feed(rx, T0, &p1);
    feed(rx, T0, &p2);
    /* TTL 1: reply after 1.5 s: late. The very same frame again: a capture
     * duplicate, ignored. A different reply (other router) to the same probe:
     * recorded with the DUP flag. */
    struct kp_pkt r1 = icmp_err("198.18.0.1", &p1, 11, 0, 255, 8);
    feed(rx, T0 + 1500 * MS, &r1);
    feed(rx, T0 + 1500 * MS, &r1);
    struct kp_pkt r1b = icmp_err("198.18.0.2", &p1, 11, 0, 255, 8);
    r1b.ip.ip_id = 778;
    feed(rx, T0 + 1600 * MS, &r1b);
    /* TTL 2: reply after 2.6 s > linger: expired, not recorded. */
    struct kp_pkt r2 = icmp_err("198.18.1.1", &p2, 11, 0, 254, 8);
    feed(rx, T0 + 2600 * MS, &r2);
    const struct kp_rx_stats *st = kp_rx_stats(rx);
    cr_assert_eq(st->replies, 2);
    cr_assert_eq(st->replies_late, 2);
    cr_assert_eq(st->dup_frames, 1);
    cr_assert_eq(st->replies_dup, 1);
    cr_assert_eq(st->expired, 1);
    kp_rx_finish(rx);
    cr_assert_eq(s.t[0].n_hops, 2);
    cr_assert(s.t[0].hops[0].flags & KP_HOP_LATE);
    cr_assert(!(s.t[0].hops[0].flags & KP_HOP_DUP));
    cr_assert(s.t[0].hops[1].flags & KP_HOP_DUP);
    kp_rx_destroy(rx);
    sink_free(&s);
}

Test(rx, nat_rewritten_quote)
{
    /* A NAT rewrote the source port 40000 -> 50000 and the UDP checksum
     * 0x1200 -> 0x1234 in the quote. Strict fields (src, IP ID, ports) fail;
     * nat_fields (dport, IP ID) match -> NAT flag, nat_id = 0x1234 - 0x1200
     * = 0x0034 (Dublin traceroute). */
    struct sink s;
    struct kp_rx *rx = mkrx(L_PLAIN, &s);
    struct kp_pkt p1 = udp_probe(DST, 1, 40000, 33434, 9);
    feed(rx, T0, &p1);
    struct kp_pkt r = icmp_err("198.18.0.1", &p1, 11, 0, 255, 8);
    r.q_l4.sport = 50000;
    r.q_l4.udp_sum = 0x1234;
    feed(rx, T0 + 5 * MS, &r);
    cr_assert_eq(kp_rx_stats(rx)->replies_nat, 1);
    kp_rx_finish(rx);
    cr_assert_eq(s.t[0].n_hops, 1);
    cr_assert(s.t[0].hops[0].flags & KP_HOP_NAT);
    cr_assert_eq(s.t[0].hops[0].nat_id, 0x0034);
    /* no MPLS extension in this reply */
    cr_assert_eq(s.t[0].hops[0].n_mpls, 0);
    kp_rx_destroy(rx);
    sink_free(&s);
}

Test(rx, spoofed_and_unrelated_replies_are_counted_not_recorded)
{
    struct sink s;
    struct kp_rx *rx = mkrx(L_PLAIN, &s);
    struct kp_pkt p1 = udp_probe(DST, 1, 40000, 33434, 9);
    feed(rx, T0, &p1);
    /* quotes our destination and protocol but no probe of ours: forged */
    struct kp_pkt fake = udp_probe(DST, 1, 40000, 33499, 4444);
    struct kp_pkt r = icmp_err("203.0.113.66", &fake, 11, 0, 255, 8);
    feed(rx, T0 + MS, &r);
    /* quotes a destination we never probed */
    struct kp_pkt other = udp_probe("198.18.77.1", 1, 40000, 33434, 9);
    struct kp_pkt r2 = icmp_err("198.18.0.1", &other, 11, 0, 255, 8);
    feed(rx, T0 + 2 * MS, &r2);
    /* an ICMP error without a decodable quote */
    struct kp_pkt r3 = r2;
    r3.has_quote = false;
    feed(rx, T0 + 3 * MS, &r3);
    const struct kp_rx_stats *st = kp_rx_stats(rx);
    cr_assert_eq(st->rejected, 1);
    cr_assert_eq(st->unmatched, 2);
    cr_assert_eq(st->replies, 0);
    cr_assert_eq(s.replies, 0);
    kp_rx_finish(rx);
    cr_assert_eq(s.t[0].n_hops, 0);
    kp_rx_destroy(rx);
    sink_free(&s);
}

Test(rx, short_quote_and_ambiguity)
{
    struct sink s;
    struct kp_rx *rx = mkrx(L_PLAIN, &s);
    struct kp_pkt p1 = udp_probe(DST, 1, 40000, 33434, 9);
    struct kp_pkt p2 = udp_probe(DST, 2, 40000, 33435, 10);
    feed(rx, T0, &p1);
    feed(rx, T0, &p2);
    /* Only 4 transport bytes quoted: ports still tell the probes apart. */
    struct kp_pkt r = icmp_err("198.18.0.1", &p2, 11, 0, 255, 4);
    feed(rx, T0 + MS, &r);
    cr_assert_eq(kp_rx_stats(rx)->replies, 1);
    cr_assert_eq(s.last_ttl, 2);
    /* Two probes (TTL 3 and 4) with equal identifying fields: a quote of
     * either fits both -> ambiguous, dropped. */
    struct kp_pkt p3 = udp_probe(DST, 3, 40000, 33440, 50);
    struct kp_pkt p4 = udp_probe(DST, 4, 40000, 33440, 50);
    feed(rx, T0 + 2 * MS, &p3);
    feed(rx, T0 + 2 * MS, &p4);
    struct kp_pkt ra = icmp_err("198.18.0.3", &p3, 11, 0, 250, 8);
    feed(rx, T0 + 3 * MS, &ra);
    cr_assert_eq(kp_rx_stats(rx)->ambiguous, 1);
    cr_assert_eq(kp_rx_stats(rx)->replies, 1);
    kp_rx_destroy(rx);
    sink_free(&s);
}

Test(rx, echo_and_tcp_replies_from_the_destination)
{
    struct sink s;
    struct kp_rx *rx = mkrx(L_PLAIN, &s);
    /* ICMP echo probe id 0x4242 seq 7, TTL 5; echo reply from the
     * destination with the same id/seq -> reached at 5. */
    struct kp_pkt e;
    memset(&e, 0, sizeof(e));
    e.ip.version = 4;
    e.ip.src = A(SRC);
    e.ip.dst = A(DST);
    e.ip.ttl = 5;
    e.ip.proto = 1;
    e.ip.tot_len = 84;
    e.l4.proto = 1;
    e.l4.len = 8;
    e.l4.icmp_type = 8;
    e.l4.icmp_id = 0x4242;
    e.l4.icmp_seq = 7;
    feed(rx, T0, &e);
    struct kp_pkt er = e;
    er.ip.src = e.ip.dst;
    er.ip.dst = e.ip.src;
    er.ip.ttl = 60;
    er.l4.icmp_type = 0;
    struct kp_pkt er_bad = er;
    er_bad.l4.icmp_seq = 8;
    feed(rx, T0 + 40 * MS, &er_bad); /* wrong seq: not ours */
    feed(rx, T0 + 50 * MS, &er);
    cr_assert_eq(kp_rx_stats(rx)->rejected, 1);
    /* TCP SYN seq 1000 from port 45000 to 80, TTL 6; SYN-ACK from the
     * destination acking 1001 -> reached; a RST acking 5000 is not ours. */
    struct kp_pkt syn;
    memset(&syn, 0, sizeof(syn));
    syn.ip.version = 4;
    syn.ip.src = A(SRC);
    syn.ip.dst = A(DST);
    syn.ip.ttl = 6;
    syn.ip.proto = TCP;
    syn.ip.ip_id = 55;
    syn.ip.tot_len = 44;
    syn.l4.proto = TCP;
    syn.l4.len = 24;
    syn.l4.sport = 45000;
    syn.l4.dport = 80;
    syn.l4.tcp_seq = 1000;
    syn.l4.tcp_flags = 0x02;
    syn.l4.tcp_full = true;
    feed(rx, T0 + 100 * MS, &syn);
    struct kp_pkt sa = syn;
    sa.ip.src = syn.ip.dst;
    sa.ip.dst = syn.ip.src;
    sa.ip.ttl = 58;
    sa.l4.sport = 80;
    sa.l4.dport = 45000;
    sa.l4.tcp_seq = 99999;
    sa.l4.tcp_ack = 1001;
    sa.l4.tcp_flags = 0x12;
    struct kp_pkt rst = sa;
    rst.l4.tcp_flags = 0x14;
    rst.l4.tcp_ack = 5000;
    feed(rx, T0 + 110 * MS, &rst);
    feed(rx, T0 + 120 * MS, &sa);
    cr_assert_eq(kp_rx_stats(rx)->rejected, 2);
    kp_rx_finish(rx);
    cr_assert_eq(s.n, 2);
    for (size_t i = 0; i < 2; i++) {
        struct kp_trace *t = &s.t[i];
        cr_assert_eq(t->stop_reason, KP_STOP_COMPLETED);
        cr_assert_eq(t->n_hops, 1);
        if (t->method == KP_METHOD_ICMP) {
            cr_assert_eq(t->stop_ttl, 5);
            cr_assert_eq(t->hops[0].icmp_type, 0);
            cr_assert_eq(t->hops[0].quoted_ttl, -1);
            cr_assert_float_eq(t->hops[0].rtt_ms, 50.0, 1e-9);
        } else {
            cr_assert_eq(t->method, KP_METHOD_TCP);
            cr_assert_eq(t->stop_ttl, 6);
            cr_assert_eq(t->hops[0].icmp_type, -1);
            cr_assert_eq(t->hops[0].tcp_flags, 0x12);
            cr_assert_float_eq(t->hops[0].rtt_ms, 20.0, 1e-9);
        }
    }
    kp_rx_destroy(rx);
    sink_free(&s);
}

Test(rx, closes_after_idle_and_lag_only)
{
    /* Defaults: idle 10 s, linger 2 * 1 s + 0.5 s = 2.5 s, lag 1 s: a trace
     * whose last probe is at T0 closes once clock - 1 s > T0 + 10 s. */
    struct sink s;
    struct kp_rx *rx = mkrx(L_PLAIN, &s);
    struct kp_pkt p1 = udp_probe(DST, 1, 40000, 33434, 1);
    feed(rx, T0, &p1);
    kp_rx_tick(rx, T0 + 10 * S);
    cr_assert_eq(s.total, 0);
    kp_rx_tick(rx, T0 + 11 * S);
    cr_assert_eq(s.total, 0); /* not strictly older */
    kp_rx_tick(rx, T0 + 11 * S + 1);
    cr_assert_eq(s.total, 1);
    cr_assert_eq(kp_rx_open_traces(rx), 0);
    kp_rx_destroy(rx);
    sink_free(&s);
}

Test(rx, same_key_later_is_a_new_trace_and_repeats_split)
{
    struct sink s;
    struct kp_rx *rx = mkrx(L_MAX3, &s); /* explicit attempt 0 */
    struct kp_pkt p1 = udp_probe(DST, 1, 40000, 33434, 1);
    struct kp_pkt p1again = udp_probe(DST, 1, 40000, 33434, 2); /* other IP ID */
    feed(rx, T0, &p1);
    feed(rx, T0, &p1); /* the same frame twice: a capture duplicate */
    cr_assert_eq(kp_rx_stats(rx)->probes_dup, 1);
    feed(rx, T0 + MS, &p1again); /* (ttl 1, attempt 0) again: new trace */
    cr_assert_eq(kp_rx_stats(rx)->traces_split, 1);
    /* 20 s later, same key: the first two closed by then, a third opens */
    struct kp_pkt p1late = udp_probe(DST, 1, 40000, 33434, 3);
    feed(rx, T0 + 20 * S, &p1late);
    cr_assert_eq(s.total, 2);
    kp_rx_finish(rx);
    cr_assert_eq(s.total, 3);
    cr_assert_eq(s.t[0].id, 1);
    cr_assert_eq(s.t[1].id, 2);
    cr_assert_eq(s.t[2].id, 3);
    cr_assert_eq(kp_rx_stats(rx)->traces_opened, 3);
    kp_rx_destroy(rx);
    sink_free(&s);
}

Test(rx, out_of_order_timestamps_counted)
{
    struct sink s;
    struct kp_rx *rx = mkrx(L_PLAIN, &s);
    struct kp_pkt p1 = udp_probe(DST, 1, 40000, 33434, 1);
    struct kp_pkt p2 = udp_probe(DST, 2, 40000, 33435, 2);
    feed(rx, T0 + 5 * MS, &p1);
    feed(rx, T0 + 4 * MS, &p2);
    /* reply stamped before its probe: matched, RTT unknown */
    struct kp_pkt r = icmp_err("198.18.0.1", &p1, 11, 0, 255, 8);
    feed(rx, T0 + 4 * MS, &r);
    cr_assert_eq(kp_rx_stats(rx)->ts_backwards, 1);
    kp_rx_finish(rx);
    cr_assert_eq(s.t[0].n_hops, 1);
    cr_assert_lt(s.t[0].hops[0].rtt_ms, 0.0);
    cr_assert_eq(s.t[0].start_ns, T0 + 4 * MS);
    kp_rx_destroy(rx);
    sink_free(&s);
}

Test(rx, memory_bounded_by_open_traces)
{
    /* 100000 traces, one probe each, 1 ms apart (a 100 s capture). A trace
     * closes once clock - lag(1 s) > its probe + 10 s, so at most the probes
     * of the last 11 s = 11001 traces (plus the one being added) are open at
     * any time, whatever the length of the capture. */
    struct sink s;
    struct kp_rx *rx = mkrx(L_PLAIN, &s);
    for (int i = 0; i < 100000; i++) {
        char d[32];
        snprintf(d, sizeof(d), "10.%d.%d.%d", i / 65536, (i / 256) % 256, i % 256);
        struct kp_pkt p = udp_probe(d, 1, 40000, 33434, 1);
        feed(rx, T0 + (int64_t)i * MS, &p);
    }
    const struct kp_rx_stats *st = kp_rx_stats(rx);
    cr_assert_leq(st->open_traces_max, 11002);
    cr_assert_geq(st->open_traces_max, 11000);
    kp_rx_finish(rx);
    cr_assert_eq(s.total, 100000);
    kp_rx_destroy(rx);
    sink_free(&s);

    /* And a hard cap: max_open_traces 100 closes the oldest early. */
    memset(&s, 0, sizeof(s));
    struct kp_rx_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.classifiers = L_PLAIN;
    cfg.n_classifiers = 1;
    cfg.max_open_traces = 100;
    cfg.on_trace = on_trace;
    cfg.ctx = &s;
    cr_assert_eq(kp_rx_create(&cfg, &rx), 0);
    for (int i = 0; i < 1000; i++) {
        char d[32];
        snprintf(d, sizeof(d), "10.0.%d.%d", i / 256, i % 256);
        struct kp_pkt p = udp_probe(d, 1, 40000, 33434, 1);
        feed(rx, T0 + i, &p);
        cr_assert_leq(kp_rx_open_traces(rx), 100);
    }
    cr_assert_eq(kp_rx_stats(rx)->traces_forced, 900);
    kp_rx_destroy(rx);
    sink_free(&s);
}

/* ------------------------------------------------------------------ */
/* End to end: kptrace udp-paris probes built by the codec, ICMP errors
 * built here as bytes, both fed as raw-IP frames through kp_rx_frame. */

/* IPv4 + ICMP error (type, code) from `from` to `to`, quoting the first
 * 28 bytes of `probe`. Returns the length. */
static size_t build_icmp_error(uint8_t *out, const char *from, const struct kp_addr *to,
                               uint8_t type, uint8_t code, const uint8_t *probe)
{
    struct kp_addr f = A(from);
    return pkt_icmp4_error(out, f.b, to->b, 4321, 250, type, code, probe);
}

Test(rx, kptrace_probes_end_to_end)
{
    struct kp_key key;
    for (int i = 0; i < 16; i++)
        key.k[i] = (uint8_t)(i * 7 + 1);
    struct sink s;
    memset(&s, 0, sizeof(s));
    static const struct kp_rx_classifier *const cls[] = {&kp_rx_classifier_kptrace};
    struct kp_rx_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.classifiers = cls;
    cfg.n_classifiers = 1;
    cfg.run.first_ttl = 1;
    cfg.run.max_ttl = 30;
    cfg.run.gap_limit = 5;
    cfg.run.attempts = 2;
    cfg.run.wait_ms = 1000;
    cfg.on_trace = on_trace;
    cfg.on_reply = on_reply;
    cfg.ctx = &s;
    struct kp_rx *rx;
    cr_assert_eq(kp_rx_create(&cfg, &rx), 0);

    const struct kp_method_ops *m = kp_method_find("udp-paris");
    cr_assert_not_null(m);
    struct kp_probe_spec spec;
    memset(&spec, 0, sizeof(spec));
    spec.src = A(SRC);
    spec.dst = A(DST);
    spec.trace_id = 7;
    spec.key = &key;
    uint8_t probes[3][256];
    size_t plen[3];
    for (int ttl = 1; ttl <= 3; ttl++) {
        spec.ttl = (uint8_t)ttl;
        plen[ttl - 1] = sizeof(probes[0]);
        cr_assert_eq(m->build(&spec, probes[ttl - 1], &plen[ttl - 1]), 0);
        cr_assert_eq(kp_rx_frame(rx, KP_DLT_RAW, T0 + ttl * MS, probes[ttl - 1], plen[ttl - 1]), 0);
    }
    cr_assert_eq(kp_rx_stats(rx)->probes, 3);
    uint8_t r[128];
    size_t rl = build_icmp_error(r, "198.18.0.1", &spec.src, 11, 0, probes[0]);
    cr_assert_eq(kp_rx_frame(rx, KP_DLT_RAW, T0 + 1 * MS + 3 * MS, r, rl), 0);
    /* TTL 2 behind a NAT: quoted source port and UDP checksum rewritten
     * (bytes 20..21 and 26..27 of the quoted datagram). */
    uint8_t natted[256];
    memcpy(natted, probes[1], plen[1]);
    natted[20] ^= 0x11;
    natted[26] ^= 0x22;
    rl = build_icmp_error(r, "198.18.1.1", &spec.src, 11, 0, natted);
    cr_assert_eq(kp_rx_frame(rx, KP_DLT_RAW, T0 + 2 * MS + 4 * MS, r, rl), 0);
    rl = build_icmp_error(r, DST, &spec.src, 3, 3, probes[2]);
    cr_assert_eq(kp_rx_frame(rx, KP_DLT_RAW, T0 + 3 * MS + 5 * MS, r, rl), 0);
    /* A forged error quoting our destination with a made-up IP ID. */
    uint8_t forged[256];
    memcpy(forged, probes[2], plen[2]);
    forged[4] ^= 0x5a;
    rl = build_icmp_error(r, "203.0.113.9", &spec.src, 11, 0, forged);
    cr_assert_eq(kp_rx_frame(rx, KP_DLT_RAW, T0 + 9 * MS, r, rl), 0);
    /* garbage is counted, not fatal */
    uint8_t junk[3] = {0x45, 0, 0};
    cr_assert_eq(kp_rx_frame(rx, KP_DLT_RAW, T0 + 10 * MS, junk, sizeof(junk)), 0);
    const struct kp_rx_stats *st = kp_rx_stats(rx);
    cr_assert_eq(st->replies, 3);
    cr_assert_eq(st->replies_nat, 1);
    cr_assert_eq(st->rejected, 1);
    cr_assert_eq(st->frames, 8);
    cr_assert_eq(st->truncated + st->malformed, 1);
    kp_rx_finish(rx);
    cr_assert_eq(s.n, 1);
    struct kp_trace *t = &s.t[0];
    cr_assert_str_eq(t->tool, "kptrace");
    cr_assert_eq(t->id, 7);
    cr_assert_eq(t->method, KP_METHOD_UDP_PARIS);
    cr_assert_eq(t->sport, 0x8000 | 7); /* identity.h: flow = 0x8000 | trace id */
    cr_assert_eq(t->stop_reason, KP_STOP_COMPLETED);
    cr_assert_eq(t->stop_ttl, 3);
    cr_assert_eq(t->gap_limit, 5);
    cr_assert_eq(t->attempts, 2);
    cr_assert_eq(t->wait_ms, 1000);
    cr_assert_eq(t->n_hops, 3);
    cr_assert_float_eq(t->hops[0].rtt_ms, 3.0, 1e-9);
    cr_assert_eq(t->hops[0].quoted_ttl, 1);
    cr_assert_eq(t->hops[0].reply_ttl, 250);
    cr_assert(t->hops[1].flags & KP_HOP_NAT);
    cr_assert_float_eq(t->hops[1].rtt_ms, 4.0, 1e-9);
    cr_assert(t->hops[2].flags & KP_HOP_FROM_DST);
    cr_assert_eq(t->hops[2].probe_size, plen[2]);
    kp_rx_destroy(rx);
    sink_free(&s);
}

Test(rx, mpls_labels_and_unreach_hook)
{
    /* A time exceeded carrying an RFC 4950 label stack (label 16004, TC 0,
     * S 1, TTL 1) puts it on the hop; an admin-prohibited reaches on_reply
     * as KP_RX_UNREACH with the stop reason. */
    struct sink s;
    struct kp_rx *rx = mkrx(L_PLAIN, &s);
    struct kp_pkt p1 = udp_probe(DST, 1, 40000, 33434, 1);
    struct kp_pkt p2 = udp_probe(DST, 2, 40000, 33435, 2);
    feed(rx, T0, &p1);
    feed(rx, T0, &p2);
    struct kp_pkt r1 = icmp_err("198.18.0.1", &p1, 11, 0, 255, 8);
    r1.n_mpls = 1;
    r1.mpls[0].label = 16004;
    r1.mpls[0].s = 1;
    r1.mpls[0].ttl = 1;
    feed(rx, T0 + MS, &r1);
    cr_assert_eq(s.last_kind, KP_RX_HOP);
    struct kp_pkt r2 = icmp_err("198.18.1.1", &p2, 3, 13, 254, 8);
    feed(rx, T0 + 2 * MS, &r2);
    cr_assert_eq(s.last_kind, KP_RX_UNREACH);
    cr_assert_eq(s.last_stop, KP_STOP_ADMIN_PROHIB);
    cr_assert_eq(s.last_ttl, 2);
    kp_rx_finish(rx);
    const struct kp_hop *h = &s.t[0].hops[0];
    cr_assert_eq(h->n_mpls, 1);
    cr_assert_eq(h->mpls[0].label, 16004);
    cr_assert_eq(h->mpls[0].s, 1);
    cr_assert_eq(h->mpls[0].ttl, 1);
    cr_assert_str_eq(kp_hop_bang(&s.t[0].hops[1]), "!X");
    kp_rx_destroy(rx);
    sink_free(&s);
}

Test(rx, ipv6_time_exceeded_and_port_unreachable)
{
    /* IPv6 quotes have no IP ID: the ports alone (and the source) identify
     * the probe. ICMPv6 3/0 = hop, 1/4 from the destination = reached. */
    struct sink s;
    struct kp_rx *rx = mkrx(L_PLAIN, &s);
    struct kp_pkt p[3];
    for (int i = 1; i <= 2; i++) {
        p[i] = udp_probe(DST, (uint8_t)i, 40000, (uint16_t)(33433 + i), 0);
        p[i].ip.version = 6;
        p[i].ip.src = A("2001:db8::10");
        p[i].ip.dst = A("2001:db8:9::20");
        feed(rx, T0 + i, &p[i]);
    }
    struct kp_pkt r1 = icmp_err(SRC, &p[1], 3, 0, 64, 8);
    r1.ip.version = 6;
    r1.ip.proto = r1.l4.proto = 58;
    r1.ip.src = A("2001:db8::1");
    struct kp_pkt r2 = r1;
    r2.ip.src = A("2001:db8:9::20");
    r2.l4.icmp_type = 1;
    r2.l4.icmp_code = 4;
    r2.q_ip = p[2].ip;
    r2.q_l4 = p[2].l4;
    feed(rx, T0 + 7 * MS, &r1);
    feed(rx, T0 + 9 * MS, &r2);
    kp_rx_finish(rx);
    cr_assert_eq(s.n, 1);
    cr_assert_eq(s.t[0].n_hops, 2);
    cr_assert_eq(s.t[0].stop_reason, KP_STOP_COMPLETED);
    cr_assert_eq(s.t[0].stop_ttl, 2);
    cr_assert_eq(s.t[0].hops[0].rx_ns - s.t[0].hops[0].tx_ns, 7 * MS - 1);
    kp_rx_destroy(rx);
    sink_free(&s);
}

/* ---- live vs replay: the same frames, different tick patterns ---- */
struct ev {
    int64_t ts;
    struct kp_pkt pkt;
};

static int ev_cmp(const void *a, const void *b)
{
    const struct ev *x = a, *y = b;
    return x->ts < y->ts ? -1 : x->ts > y->ts;
}

struct collect {
    struct kp_trace *t;
    size_t n;
};

static void collect_trace(void *ctx, struct kp_trace *t)
{
    struct collect *c = ctx;
    c->t = realloc(c->t, (c->n + 1) * sizeof(*c->t));
    kp_trace_init(&c->t[c->n]);
    cr_assert_eq(kp_trace_copy(&c->t[c->n], t), 0);
    c->n++;
}

static int trace_cmp(const void *a, const void *b)
{
    const struct kp_trace *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}

Test(rx, same_records_whatever_the_tick_pattern)
{
    /* 60 traces to 60 destinations, TTL 1..8, sent over ~30 s of capture;
     * routers answer after 1 ms .. 4 s (some late, some after linger = 2.5 s),
     * destination at TTL 6 for even traces. "Live" ticks the clock after
     * every frame with a wall clock up to 0.9 s ahead of the frame (less than
     * lag = 1 s); "replay" never ticks. Records must be equal field by field. */
    size_t cap = 60 * 16, n = 0;
    struct ev *evs = calloc(cap, sizeof(*evs));
    uint64_t x = 2024;
    for (int tr = 0; tr < 60; tr++) {
        char d[32];
        snprintf(d, sizeof(d), "198.18.%d.%d", 20 + tr / 10, tr + 1);
        int64_t start = T0 + (int64_t)tr * 500 * MS;
        for (int ttl = 1; ttl <= 8; ttl++) {
            struct kp_pkt p = udp_probe(d, (uint8_t)ttl, (uint16_t)(41000 + tr),
                                        (uint16_t)(33433 + ttl), (uint16_t)(tr * 16 + ttl));
            int64_t tx = start + ttl * 100 * MS;
            evs[n].ts = tx;
            evs[n++].pkt = p;
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            unsigned r = (unsigned)(x >> 33);
            if (r % 5 == 0)
                continue; /* silent */
            int64_t delay = 1 * MS + (int64_t)(r % 4000) * MS;
            const char *from = "198.18.0.1";
            uint8_t type = 11, code = 0;
            char rbuf[32];
            if (tr % 2 == 0 && ttl >= 6) {
                from = d;
                type = 3;
                code = 3;
            } else {
                snprintf(rbuf, sizeof(rbuf), "198.18.1.%d", ttl);
                from = rbuf;
            }
            evs[n].ts = tx + delay;
            evs[n++].pkt = icmp_err(from, &p, type, code, 250, 8);
        }
    }
    qsort(evs, n, sizeof(*evs), ev_cmp);
    struct collect live = {0}, replay = {0};
    struct kp_rx_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.classifiers = L_PLAIN;
    cfg.n_classifiers = 1;
    cfg.on_trace = collect_trace;
    struct kp_rx *rl, *rr;
    cfg.ctx = &live;
    cr_assert_eq(kp_rx_create(&cfg, &rl), 0);
    cfg.ctx = &replay;
    cr_assert_eq(kp_rx_create(&cfg, &rr), 0);
    for (size_t i = 0; i < n; i++) {
        feed(rl, evs[i].ts, &evs[i].pkt);
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        int64_t ahead = (int64_t)((x >> 33) % 900) * MS;
        int64_t wall = evs[i].ts + ahead;
        if (i + 1 < n && wall > evs[i + 1].ts + 900 * MS)
            wall = evs[i + 1].ts + 900 * MS;
        kp_rx_tick(rl, wall);
        feed(rr, evs[i].ts, &evs[i].pkt);
    }
    kp_rx_finish(rl);
    kp_rx_finish(rr);
    cr_assert_eq(live.n, 60);
    cr_assert_eq(replay.n, 60);
    qsort(live.t, live.n, sizeof(*live.t), trace_cmp);
    qsort(replay.t, replay.n, sizeof(*replay.t), trace_cmp);
    size_t completed = 0, late = 0;
    for (size_t i = 0; i < 60; i++) {
        struct kp_trace *a = &live.t[i], *b = &replay.t[i];
        cr_assert_eq(a->id, b->id);
        cr_assert(kp_addr_eq(&a->dst, &b->dst));
        cr_assert_eq(a->stop_reason, b->stop_reason);
        cr_assert_eq(a->stop_ttl, b->stop_ttl);
        cr_assert_eq(a->start_ns, b->start_ns);
        cr_assert_eq(a->end_ns, b->end_ns);
        cr_assert_eq(a->probes_sent, b->probes_sent);
        cr_assert_eq(a->n_hops, b->n_hops);
        for (size_t h = 0; h < a->n_hops; h++) {
            cr_assert_eq(memcmp(&a->hops[h], &b->hops[h], sizeof(a->hops[h])), 0);
            if (a->hops[h].flags & KP_HOP_LATE)
                late++;
        }
        if (a->stop_reason == KP_STOP_COMPLETED)
            completed++;
        kp_trace_free(a);
        kp_trace_free(b);
    }
    /* the workload exercised what it should: completions and late replies */
    cr_assert_gt(completed, 10);
    cr_assert_gt(late, 10);
    cr_assert_gt(kp_rx_stats(rr)->expired, 10);
    cr_assert_eq(kp_rx_stats(rl)->expired, kp_rx_stats(rr)->expired);
    free(live.t);
    free(replay.t);
    free(evs);
    kp_rx_destroy(rl);
    kp_rx_destroy(rr);
}
