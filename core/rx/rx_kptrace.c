/* SPDX-License-Identifier: BSD-2-Clause */
/* rx_kptrace.c — kptrace's own probes for rx. See rx_kptrace.h. */
#include "core/rx/rx_kptrace.h"

#include <errno.h>
#include <string.h>

#include "core/codec/identity.h"
#include "core/methods/method.h"
#include "core/codec/probe_payload.h"

static int is_probe_shape(const struct kp_pkt *pkt)
{
    if (pkt->is_icmp_error)
        return 0;
    switch (pkt->ip.proto) {
    case 17:
        return pkt->l4.len >= 8;
    case 6: /* a SYN alone */
        return pkt->l4.tcp_full && (pkt->l4.tcp_flags & 0x3fu) == 0x02u;
    case 1:
        return pkt->l4.len >= 8 && pkt->l4.icmp_type == 8;
    case 58:
        return pkt->l4.len >= 8 && pkt->l4.icmp_type == 128;
    default:
        return 0;
    }
}

static int classify_kptrace(const struct kp_pkt *pkt, struct kp_rx_probe *out)
{
    if (!is_probe_shape(pkt))
        return 0;
    struct kp_marker m;
    if (kp_marker_find(pkt, &m) != 0)
        return 0;
    if (m.ttl == 0)
        return 0;
    const uint32_t base = KP_RX_F_SRC | KP_RX_F_IPID;
    switch ((enum kp_method)m.method) {
    case KP_METHOD_UDP_PARIS:
    case KP_METHOD_UDP:
        if (pkt->ip.proto != 17)
            return 0;
        out->match_fields = base | KP_RX_F_SPORT | KP_RX_F_DPORT | KP_RX_F_UDPSUM;
        out->nat_fields = KP_RX_F_IPID | KP_RX_F_DPORT;
        break;
    case KP_METHOD_ICMP_PARIS:
        if (pkt->ip.proto != 1 && pkt->ip.proto != 58)
            return 0;
        out->match_fields = base | KP_RX_F_ICMPID | KP_RX_F_ICMPSEQ | KP_RX_F_ICMPSUM;
        out->nat_fields = KP_RX_F_IPID | KP_RX_F_ICMPSEQ;
        break;
    case KP_METHOD_TCP_SYN:
        if (pkt->ip.proto != 6)
            return 0;
        out->match_fields = base | KP_RX_F_SPORT | KP_RX_F_DPORT | KP_RX_F_TCPSEQ;
        out->nat_fields = KP_RX_F_DPORT | KP_RX_F_TCPSEQ;
        break;
    default:
        return 0;
    }
    out->tool = "kptrace";
    out->method = (enum kp_method)m.method;
    out->trace_key = (uint64_t)m.method << 32 | m.trace_id;
    out->has_trace_id = true;
    out->trace_id = m.trace_id;
    /* Version 2: ids are unique in the run and the slot tells when a trace
     * is over. Version 1 (older captures): 15-bit ids that repeat, so rx
     * splits them by time as before. */
    out->exact = m.version >= 2;
    out->slot = m.slot;
    out->ttl = m.ttl;
    out->attempt = m.attempt;
    if (pkt->ip.proto == 17 || pkt->ip.proto == 6) {
        out->sport = pkt->l4.sport;
        out->dport = pkt->l4.dport;
    } else {
        out->icmp_id = pkt->l4.icmp_id;
    }
    out->use_run_params = true;
    return 1;
}

const struct kp_rx_classifier kp_rx_classifier_kptrace = {
    .name = "kptrace",
    .classify = classify_kptrace,
};

int kp_rx_kptrace_validate(void *vctx, const struct kp_pkt *reply,
                           const struct kp_rx_probe_ref *probe)
{
    const struct kp_key *key = vctx;
    if (key == NULL || probe->tool == NULL || strcmp(probe->tool, "kptrace") != 0)
        return 0;
    const struct kp_method_ops *ops = kp_method_by_id(probe->method);
    if (ops == NULL || ops->match == NULL)
        return -EBADMSG;
    struct kp_match m;
    memset(&m, 0, sizeof(m));
    if (ops->match(reply, probe->src, key, &m) != 0)
        return -EBADMSG;
    if (m.ttl != probe->ttl || m.attempt != probe->attempt)
        return -EBADMSG;
    /* the flow value carries the low 15 bits of the trace id */
    if (m.trace_known && m.trace_id != (probe->trace_id & (KP_ID_MAX_TRACES - 1)))
        return -EBADMSG;
    return 0;
}

int kp_rx_kptrace_validate_probe(void *vctx, const struct kp_pkt *pkt,
                                 const struct kp_rx_probe *probe)
{
    const struct kp_key *key = vctx;
    if (key == NULL || probe->tool == NULL || strcmp(probe->tool, "kptrace") != 0)
        return 0;
    struct kp_marker mk;
    if (kp_marker_find(pkt, &mk) != 0)
        return -EBADMSG;
    uint16_t dport = 0, flow;
    switch ((enum kp_method)mk.method) {
    case KP_METHOD_ICMP_PARIS:
        flow = pkt->l4.icmp_id;
        break;
    case KP_METHOD_UDP: {
        /* the base port: the wire port is base + (ttl - 1) * 4 + attempt */
        unsigned off = (unsigned)(mk.ttl - 1u) * 4u + mk.attempt;
        if (pkt->l4.dport < off)
            return -EBADMSG;
        dport = (uint16_t)(pkt->l4.dport - off);
        flow = pkt->l4.sport;
        break;
    }
    default:
        dport = pkt->l4.dport;
        flow = pkt->l4.sport;
        break;
    }
    struct kp_id_fields id;
    if (kp_id_encode(key, (enum kp_method)mk.method, &pkt->ip.dst, dport, flow, mk.ttl, mk.attempt,
                     &id) != 0)
        return -EBADMSG;
    return id.payload_tag == mk.tag ? 0 : -EBADMSG;
}
