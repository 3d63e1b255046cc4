/* SPDX-License-Identifier: BSD-2-Clause */
/* method_icmp_paris.c — "icmp-paris": ICMP echo requests whose ICMP checksum
 * stays constant for the whole trace (two payload bytes compensate the
 * changing sequence number), so load balancers that hash the first transport
 * bytes keep the trace on one path.
 *
 * Layout (identity.c): echo id = 0x8000|trace_id; seq = ttl(6)|attempt(2)|tag8;
 * IP ID = keyed 16 bits of (dst, ttl, attempt); checksum = keyed 16 bits of
 * dst, constant for the trace. Replies: ICMP errors quoting the request, and
 * the destination's echo reply (validated by seq and the echoed marker).
 */
#include <errno.h>
#include <string.h>

#include "core/methods/method_impl.h"

static int icmp_paris_build(const struct kp_probe_spec *spec, uint8_t *buf, size_t *len)
{
    uint16_t size;
    int r =
        kp_mi_spec_check(&kp_method_icmp_paris, spec, buf == NULL || len == NULL ? 0 : *len, &size);
    if (r != 0)
        return r;
    uint16_t echo_id = spec->icmp_id ? spec->icmp_id : kp_id_flow(spec->trace_id);
    struct kp_id_fields id;
    r = kp_id_encode(spec->key, KP_METHOD_ICMP_PARIS, &spec->dst, 0, echo_id, spec->ttl,
                     spec->attempt, &id);
    if (r != 0)
        return r;
    struct kp_mi_probe p = kp_mi_probe_from_spec(&kp_method_icmp_paris, spec, size, &id);
    p.echo_id = echo_id;
    p.echo_seq = id.icmp_seq;
    p.fix_sum = true;
    p.want_sum = id.l4_sum;
    return kp_mi_build(&p, buf, len);
}

static int icmp_paris_patch(const struct kp_probe_spec *spec, uint8_t *pkt, size_t len)
{
    if (spec->key == NULL)
        return -EINVAL;
    uint16_t echo_id = spec->icmp_id ? spec->icmp_id : kp_id_flow(spec->trace_id);
    return kp_mi_patch(&kp_method_icmp_paris, spec, echo_id, 0, pkt, len);
}

/* The destination's echo reply. */
static int match_echo_reply(const struct kp_pkt *r, const struct kp_addr *src,
                            const struct kp_key *key, struct kp_match *out)
{
    bool v6 = r->ip.version == 6;
    if (r->l4.proto != (v6 ? KP_PROTO_ICMPV6 : KP_PROTO_ICMP) || r->l4.len < KP_ICMP_HDR_LEN ||
        r->l4.icmp_type != (v6 ? KP_ICMP6_ECHOREPLY : KP_ICMP_ECHOREPLY) || r->l4.icmp_code != 0)
        return -ENOENT;
    if (src != NULL && kp_addr_is_set(src) && !kp_addr_eq(&r->ip.dst, src))
        return -ENOENT;
    uint16_t word = r->l4.icmp_seq, flow = r->l4.icmp_id;
    bool shaped = (flow & KP_ID_FLOW_BIT) != 0;
    uint8_t ttl = kp_id_word_ttl(word), att = kp_id_word_attempt(word);
    struct kp_id_fields id;
    if (ttl == 0 || kp_id_encode(key, KP_METHOD_ICMP_PARIS, &r->ip.src, 0, flow, ttl, att, &id))
        return shaped ? -EBADMSG : -ENOENT;
    if (id.icmp_seq != word)
        return shaped ? -EBADMSG : -ENOENT;
    struct kp_marker mk;
    int mr = kp_marker_parse(r->l4.payload, r->l4.payload_len, &mk);
    if (mr == 0) {
        if (mk.tag != id.payload_tag || mk.method != KP_METHOD_ICMP_PARIS || mk.ttl != ttl ||
            mk.attempt != att)
            return -EBADMSG;
    } else if (r->cap_len >= r->wire_len) {
        /* The whole reply was captured and it does not echo our marker. */
        return -EBADMSG;
    }
    memset(out, 0, sizeof(*out));
    out->dst = r->ip.src;
    out->from_dst = true;
    out->ttl = ttl;
    out->attempt = att;
    out->flow = flow;
    out->trace_known = kp_id_flow_trace(flow, &out->trace_id);
    return 0;
}

static int icmp_paris_match(const struct kp_pkt *r, const struct kp_addr *src,
                            const struct kp_key *key, struct kp_match *out)
{
    if (!r->is_icmp_error)
        return match_echo_reply(r, src, key, out);
    struct kp_match m;
    int st = kp_mi_error_quote(r, src, KP_PROTO_ICMP, &m);
    if (st != 0)
        return st;
    const struct kp_l4 *q = &r->q_l4;
    bool v6 = r->q_ip.version == 6;
    if (q->icmp_type != (v6 ? KP_ICMP6_ECHO : KP_ICMP_ECHO) || q->icmp_code != 0)
        return -ENOENT;
    uint16_t word = q->icmp_seq;
    bool shaped = (q->icmp_id & KP_ID_FLOW_BIT) != 0;
    uint8_t ttl = kp_id_word_ttl(word), att = kp_id_word_attempt(word);
    struct kp_id_fields id;
    if (ttl == 0 || kp_id_encode(key, KP_METHOD_ICMP_PARIS, &m.dst, 0, 0, ttl, att, &id) != 0)
        return shaped ? -EBADMSG : -ENOENT;
    if (id.icmp_seq != word)
        return shaped ? -EBADMSG : -ENOENT;
    if (!v6 && id.ip_id != r->q_ip.ip_id)
        return -EBADMSG;
    m.ttl = ttl;
    m.attempt = att;
    if (q->icmp_sum == id.l4_sum) {
        m.flow = q->icmp_id;
        m.nat = false;
    } else {
        /* The echo id was rewritten (and the checksum with it): undo. */
        m.nat = true;
        m.nat_id = kp_id_nat_id(q->icmp_sum, id.l4_sum);
        m.flow = kp_id_nat_unrewrite(id.l4_sum, q->icmp_sum, NULL, NULL, 0, q->icmp_id);
        if (m.flow == 0)
            m.flow = 0xffff;
        /* ICMPv6 sums the addresses too: with a rewritten source we cannot
         * tell the id's share of the change. */
        if (v6 && src != NULL && kp_addr_is_set(src) && !kp_addr_eq(&r->q_ip.src, src)) {
            *out = m;
            out->trace_known = false;
            return 0;
        }
    }
    m.trace_known = kp_id_flow_trace(m.flow, &m.trace_id);
    *out = m;
    return 0;
}

const struct kp_method_ops kp_method_icmp_paris = {
    .name = "icmp-paris",
    .id = KP_METHOD_ICMP_PARIS,
    .proto = KP_PROTO_ICMP,
    .min_size = 20 + 8 + KP_MARKER_LEN,
    .bpf_replies =
        "(icmp and (icmp[icmptype] == icmp-echoreply or icmp[icmptype] == icmp-timxceed or "
        "icmp[icmptype] == icmp-unreach or icmp[icmptype] == icmp-paramprob)) or icmp6",
    .build = icmp_paris_build,
    .patch = icmp_paris_patch,
    .match = icmp_paris_match,
};
