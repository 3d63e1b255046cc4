/* SPDX-License-Identifier: BSD-2-Clause */
/* method_tcp_syn.c — "tcp-syn": TCP SYN probes with constant ports for the
 * trace (destination port configurable, default 80), identity in the
 * sequence number. The kptrace marker rides in a TCP option (kind 254,
 * RFC 6994 experimental), not in a payload, so the SYN stays ordinary and a
 * SYN-ACK or RST acknowledges seq + 1.
 *
 * Layout (identity.c): sport = 0x8000|trace_id; seq = ttl(6)<<26 |
 * attempt(2)<<24 | tag16(dst, dport, ttl, attempt)<<8 | tag8(... and the
 * source port); IP ID = keyed 16 bits binding the source port too. Replies: ICMP errors quoting the
 * SYN (>= 8 bytes: ports and seq), and SYN-ACK / RST+ACK from the destination.
 */
#include <errno.h>
#include <string.h>

#include "core/methods/method_impl.h"

#define TCP_DEFAULT_DPORT 80
#define TH_SYN_F          0x02
#define TH_RST_F          0x04
#define TH_ACK_F          0x10

static int tcp_syn_build(const struct kp_probe_spec *spec, uint8_t *buf, size_t *len)
{
    uint16_t size;
    /* A SYN carries no payload: its size is fixed and spec->size ignored
     * (a run's --size applies to the other methods). */
    struct kp_probe_spec fixed = *spec;
    fixed.size = 0;
    int r =
        kp_mi_spec_check(&kp_method_tcp_syn, &fixed, buf == NULL || len == NULL ? 0 : *len, &size);
    if (r != 0)
        return r;
    uint16_t dport = spec->dport ? spec->dport : TCP_DEFAULT_DPORT;
    uint16_t sport = spec->sport ? spec->sport : kp_id_flow(spec->trace_id);
    struct kp_id_fields id;
    r = kp_id_encode(spec->key, KP_METHOD_TCP_SYN, &spec->dst, dport, sport, spec->ttl,
                     spec->attempt, &id);
    if (r != 0)
        return r;
    struct kp_mi_probe p = kp_mi_probe_from_spec(&kp_method_tcp_syn, spec, size, &id);
    p.sport = sport;
    p.dport = dport;
    p.tcp_seq = id.tcp_seq;
    return kp_mi_build(&p, buf, len);
}

static int tcp_syn_patch(const struct kp_probe_spec *spec, uint8_t *pkt, size_t len)
{
    if (spec->key == NULL)
        return -EINVAL;
    uint16_t dport = spec->dport ? spec->dport : TCP_DEFAULT_DPORT;
    uint16_t sport = spec->sport ? spec->sport : kp_id_flow(spec->trace_id);
    return kp_mi_patch(&kp_method_tcp_syn, spec, sport, dport, pkt, len);
}

/* Check seq against the encoding for (dst, dport, flow); fills ttl/attempt.
 * -1: not a valid seq; 0: valid including the flow byte; 1: valid except the
 * last byte, i.e. the source port is not the one the probe was sent with. */
static int check_seq(const struct kp_key *key, const struct kp_addr *dst, uint16_t dport,
                     uint16_t flow, uint32_t seq, struct kp_id_fields *id, struct kp_match *m)
{
    uint8_t ttl = (uint8_t)(seq >> 26), att = (uint8_t)((seq >> 24) & 3u);
    if (ttl == 0 || kp_id_encode(key, KP_METHOD_TCP_SYN, dst, dport, flow, ttl, att, id) != 0)
        return -1;
    if ((id->tcp_seq >> 8) != (seq >> 8))
        return -1;
    m->ttl = ttl;
    m->attempt = att;
    return (id->tcp_seq & 0xffu) == (seq & 0xffu) ? 0 : 1;
}

static int match_dst_reply(const struct kp_pkt *r, const struct kp_addr *src,
                           const struct kp_key *key, struct kp_match *out)
{
    const struct kp_l4 *t = &r->l4;
    if (t->proto != KP_PROTO_TCP || !t->tcp_full)
        return -ENOENT;
    bool synack = (t->tcp_flags & (TH_SYN_F | TH_ACK_F)) == (TH_SYN_F | TH_ACK_F);
    bool rst = (t->tcp_flags & (TH_RST_F | TH_ACK_F)) == (TH_RST_F | TH_ACK_F);
    if (!synack && !rst)
        return -ENOENT;
    if (src != NULL && kp_addr_is_set(src) && !kp_addr_eq(&r->ip.dst, src))
        return -ENOENT;
    bool shaped = (t->dport & KP_ID_FLOW_BIT) != 0;
    struct kp_match m;
    memset(&m, 0, sizeof(m));
    struct kp_id_fields id;
    int cs = check_seq(key, &r->ip.src, t->sport, t->dport, t->tcp_ack - 1u, &id, &m);
    if (cs < 0)
        return shaped ? -EBADMSG : -ENOENT;
    m.dst = r->ip.src;
    m.from_dst = true;
    if (cs == 0) {
        m.flow = t->dport;
        m.trace_known = kp_id_flow_trace(m.flow, &m.trace_id);
    } else {
        /* our port was rewritten on the way (a NAT that did not undo it) */
        m.nat = true;
        m.trace_known = false;
    }
    *out = m;
    return 0;
}

static int tcp_syn_match(const struct kp_pkt *r, const struct kp_addr *src,
                         const struct kp_key *key, struct kp_match *out)
{
    if (!r->is_icmp_error)
        return match_dst_reply(r, src, key, out);
    struct kp_match m;
    int st = kp_mi_error_quote(r, src, KP_PROTO_TCP, &m);
    if (st != 0)
        return st;
    const struct kp_l4 *q = &r->q_l4;
    bool shaped = (q->sport & KP_ID_FLOW_BIT) != 0;
    struct kp_id_fields id;
    int cs = check_seq(key, &m.dst, q->dport, q->sport, q->tcp_seq, &id, &m);
    if (cs < 0)
        return shaped ? -EBADMSG : -ENOENT;
    bool addr_rewritten = src != NULL && kp_addr_is_set(src) && !kp_addr_eq(&r->q_ip.src, src);
    if (cs == 0 && r->q_ip.version == 6) {
        /* The seq's last byte binds the port (no IP ID in IPv6). */
        m.flow = q->sport;
        m.nat = addr_rewritten;
        m.trace_known = kp_id_flow_trace(m.flow, &m.trace_id);
    } else if (cs == 0 && r->q_ip.ip_id == id.ip_id) {
        /* seq and IP ID bind the source port: the port is as sent. */
        m.flow = q->sport;
        m.nat = addr_rewritten;
        m.trace_known = kp_id_flow_trace(m.flow, &m.trace_id);
    } else {
        /* Port (or IP ID) rewritten: the trace id cannot be trusted. No
         * checksum is quoted in 8 bytes, so there is no NAT id. */
        m.nat = true;
        m.trace_known = false;
    }
    *out = m;
    return 0;
}

const struct kp_method_ops kp_method_tcp_syn = {
    .name = "tcp-syn",
    .id = KP_METHOD_TCP_SYN,
    .proto = KP_PROTO_TCP,
    .min_size = 20 + 20 + KP_TCPOPT_MARKER_LEN,
    .bpf_replies = "(ip and tcp and tcp[tcpflags] & tcp-ack != 0 and "
                   "tcp[tcpflags] & (tcp-syn|tcp-rst) != 0) or (ip6 and tcp) or (icmp and "
                   "(icmp[icmptype] == icmp-timxceed or icmp[icmptype] == icmp-unreach or "
                   "icmp[icmptype] == icmp-paramprob)) or icmp6",
    .build = tcp_syn_build,
    .patch = tcp_syn_patch,
    .match = tcp_syn_match,
};
