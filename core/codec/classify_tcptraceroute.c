/* SPDX-License-Identifier: BSD-2-Clause */
/* classify_tcptraceroute.c — tcptraceroute probes: a bare SYN (no options;
 * IP length 40 unless -l adds a payload 0x21, 0x22, ...), DF clear unless -F,
 * fixed source port and sequence number for the whole run; probes differ
 * only in their IP ID. With -A the same segment carries the ACK flag instead
 * of SYN (acknowledgement number 0, window 0; the destination answers with an
 * RST whose sequence number is that acknowledgement number). See classify.h. */
#include "core/codec/classify.h"

/* tcptraceroute's segment: no options, IP length 40 or a payload 0x21,
 * 0x22, ... (-l LEN), IPv4 (it has no IPv6 mode). */
static int tcptr_segment(const struct kp_pkt *p)
{
    if (!kp_cl_ttl_ok(p) || p->ip.version != 4 || p->ip.proto != KP_PROTO_TCP ||
        p->l4.len < KP_TCP_HDR_LEN || !p->l4.tcp_full || p->l4.tcp_opts_len != 0)
        return 0;
    return p->ip.tot_len == 40 || kp_cl_payload_counts_from(p, 0x21);
}

static void fill(const struct kp_pkt *p, enum kp_method m, struct kp_rx_probe *o)
{
    o->tool = "tcptraceroute";
    o->method = m;
    o->trace_key = ((uint64_t)p->l4.sport << 16) | p->l4.dport;
    o->ttl = p->ip.ttl;
    o->attempt = KP_RX_ATTEMPT_AUTO;
    o->match_fields = KP_RX_F_SRC | KP_RX_F_IPID | KP_RX_F_SPORT | KP_RX_F_DPORT | KP_RX_F_TCPSEQ;
    o->nat_fields = KP_RX_F_IPID | KP_RX_F_DPORT | KP_RX_F_TCPSEQ;
    o->sport = p->l4.sport;
    o->dport = p->l4.dport;
}

static int classify(const struct kp_pkt *p, struct kp_rx_probe *o)
{
    /* DF set with -F; a payload 0x21, 0x22, ... with -l LEN (scamper's tcp
     * SYN and ACK, DF and sequence 0, are recognised before this) */
    if (!tcptr_segment(p))
        return 0;
    if (kp_cl_syn(p)) {
        fill(p, KP_METHOD_TCP_SYN, o);
        return 1;
    }
    /* -A: a pure ACK with window 0 (ordinary ACKs advertise a window),
     * method "tcp-ack"; the trace key keeps an ACK run apart from a SYN run
     * with the same ports. */
    if (kp_cl_ack(p)) {
        fill(p, KP_METHOD_TCP_ACK, o);
        o->trace_key |= KP_CL_KEY_ACK;
        return 1;
    }
    return 0;
}

const struct kp_rx_classifier kp_classify_tcptraceroute = {"tcptraceroute", classify};
