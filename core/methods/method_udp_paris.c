/* SPDX-License-Identifier: BSD-2-Clause */
/* method_udp_paris.c — "udp-paris": UDP probes whose ports stay constant for
 * the whole trace (Paris traceroute); the probe identity is carried in the IP
 * ID and in the UDP checksum, which two payload bytes set to a chosen value
 * (scamper-style). Also holds the UDP build/match shared with classic "udp"
 * (method_udp.c), which differs only in its per-probe destination port.
 *
 * Layout (identity.c): IP ID = ttl(6)|attempt(2)|tag8; UDP checksum = a keyed
 * 16-bit value of (dst, dport, ttl, attempt); source port = 0x8000|trace_id.
 */
#include <errno.h>
#include <string.h>

#include "core/methods/method_impl.h"

#define UDP_PARIS_DPORT 33435
#define UDP_BASE_DPORT  33434

int kp_mi_udp_build(const struct kp_method_ops *ops, const struct kp_probe_spec *spec, uint8_t *buf,
                    size_t *len)
{
    uint16_t size;
    int r = kp_mi_spec_check(ops, spec, buf == NULL || len == NULL ? 0 : *len, &size);
    if (r != 0)
        return r;
    uint16_t dport = spec->dport;
    if (dport == 0)
        dport = ops->id == KP_METHOD_UDP ? UDP_BASE_DPORT : UDP_PARIS_DPORT;
    uint16_t sport = spec->sport ? spec->sport : kp_id_flow(spec->trace_id);
    struct kp_id_fields id;
    r = kp_id_encode(spec->key, ops->id, &spec->dst, dport, sport, spec->ttl, spec->attempt, &id);
    if (r != 0)
        return r;
    struct kp_mi_probe p = kp_mi_probe_from_spec(ops, spec, size, &id);
    p.sport = sport;
    p.dport = id.dport;
    p.fix_sum = true;
    p.want_sum = id.l4_sum;
    return kp_mi_build(&p, buf, len);
}

int kp_mi_udp_patch(const struct kp_method_ops *ops, const struct kp_probe_spec *spec, uint8_t *pkt,
                    size_t len)
{
    if (spec->key == NULL)
        return -EINVAL;
    uint16_t dport = spec->dport;
    if (dport == 0)
        dport = ops->id == KP_METHOD_UDP ? UDP_BASE_DPORT : UDP_PARIS_DPORT;
    uint16_t sport = spec->sport ? spec->sport : kp_id_flow(spec->trace_id);
    return kp_mi_patch(ops, spec, sport, dport, pkt, len);
}

int kp_mi_udp_match(enum kp_method method, const struct kp_pkt *r, const struct kp_addr *src,
                    const struct kp_key *key, struct kp_match *out)
{
    struct kp_match m;
    int st = kp_mi_error_quote(r, src, KP_PROTO_UDP, &m);
    if (st != 0)
        return st;
    const struct kp_l4 *q = &r->q_l4;
    bool v6 = r->q_ip.version == 6;
    uint16_t word = v6 ? q->udp_sum : r->q_ip.ip_id;
    uint8_t ttl = kp_id_word_ttl(word), att = kp_id_word_attempt(word);
    /* A reply that is not even shaped like ours is -ENOENT, not a spoof. */
    bool shaped = (q->sport & KP_ID_FLOW_BIT) != 0;
    if (ttl == 0)
        return shaped ? -EBADMSG : -ENOENT;
    uint16_t base = q->dport;
    if (method == KP_METHOD_UDP) {
        unsigned n = (unsigned)(ttl - 1) * 4u + att;
        if (q->dport < n + 1)
            return shaped ? -EBADMSG : -ENOENT;
        base = (uint16_t)(q->dport - n);
    }
    struct kp_id_fields id;
    if (kp_id_encode(key, method, &m.dst, base, 0, ttl, att, &id) != 0)
        return shaped ? -EBADMSG : -ENOENT;
    if ((v6 ? id.l4_sum : id.ip_id) != word)
        return shaped ? -EBADMSG : -ENOENT;
    if (id.dport != q->dport)
        return -EBADMSG;
    m.ttl = ttl;
    m.attempt = att;
    bool addr_rewritten = src != NULL && kp_addr_is_set(src) && !kp_addr_eq(&r->q_ip.src, src);
    if (v6) {
        /* IPv6: the checksum is the identity word (checked above); a NAT66
         * rewriting the port would have changed it, so the port is as sent. */
        if (q->udp_sum != id.l4_sum)
            return -EBADMSG;
        m.flow = q->sport;
        m.nat = addr_rewritten;
    } else if (q->udp_sum == id.l4_sum) {
        /* Checksum as sent: the source port (covered by it) is intact. */
        m.flow = q->sport;
        m.nat = addr_rewritten;
    } else {
        m.nat = true;
        m.nat_id = kp_id_nat_id(q->udp_sum, id.l4_sum);
        if (q->udp_sum == 0) {
            m.flow = 0; /* checksum removed: nothing to undo */
        } else {
            uint16_t oldw[2] = {0, 0}, neww[2] = {0, 0};
            size_t nw = 0;
            if (addr_rewritten) {
                oldw[0] = (uint16_t)(src->b[0] << 8 | src->b[1]);
                oldw[1] = (uint16_t)(src->b[2] << 8 | src->b[3]);
                neww[0] = (uint16_t)(r->q_ip.src.b[0] << 8 | r->q_ip.src.b[1]);
                neww[1] = (uint16_t)(r->q_ip.src.b[2] << 8 | r->q_ip.src.b[3]);
                nw = 2;
            }
            m.flow = kp_id_nat_unrewrite(id.l4_sum, q->udp_sum, oldw, neww, nw, q->sport);
            if (m.flow == 0)
                m.flow = 0xffff; /* ones-complement zero has two forms */
        }
    }
    m.trace_known = kp_id_flow_trace(m.flow, &m.trace_id);
    *out = m;
    return 0;
}

static int udp_paris_build(const struct kp_probe_spec *spec, uint8_t *buf, size_t *len)
{
    return kp_mi_udp_build(&kp_method_udp_paris, spec, buf, len);
}

static int udp_paris_patch(const struct kp_probe_spec *spec, uint8_t *pkt, size_t len)
{
    return kp_mi_udp_patch(&kp_method_udp_paris, spec, pkt, len);
}

static int udp_paris_match(const struct kp_pkt *r, const struct kp_addr *src,
                           const struct kp_key *key, struct kp_match *out)
{
    return kp_mi_udp_match(KP_METHOD_UDP_PARIS, r, src, key, out);
}

const struct kp_method_ops kp_method_udp_paris = {
    .name = "udp-paris",
    .id = KP_METHOD_UDP_PARIS,
    .proto = KP_PROTO_UDP,
    .min_size = 20 + 8 + KP_MARKER_LEN,
    .bpf_replies =
        "(icmp and (icmp[icmptype] == icmp-timxceed or icmp[icmptype] == icmp-unreach or "
        "icmp[icmptype] == icmp-paramprob)) or icmp6",
    .build = udp_paris_build,
    .patch = udp_paris_patch,
    .match = udp_paris_match,
};
