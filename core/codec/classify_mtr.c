/* SPDX-License-Identifier: BSD-2-Clause */
/* classify_mtr.c — mtr (0.95) probes: ICMP echo (default), -u UDP and -T TCP.
 * mtr numbers its probes with a sequence from 33000 up, carried in the ICMP
 * seq, the UDP destination port (the source port with -u -P PORT) or the TCP
 * source port. See classify.h. */
#include "core/codec/classify.h"

#define MTR_MIN_SEQ 33000u

static int classify_icmp(const struct kp_pkt *p, struct kp_rx_probe *o)
{
    if (!kp_cl_ttl_ok(p) || !kp_cl_echo(p) || p->l4.icmp_seq < MTR_MIN_SEQ)
        return 0;
    if (!kp_cl_payload_same_from(p, 0))
        return 0;
    o->tool = "mtr";
    o->cycles = true;
    o->method = KP_METHOD_ICMP;
    o->trace_key = p->l4.icmp_id; /* the process id */
    o->ttl = p->ip.ttl;
    o->attempt = KP_RX_ATTEMPT_AUTO;
    o->match_fields = KP_RX_F_SRC | kp_cl_ipid(p) | KP_RX_F_ICMPID | KP_RX_F_ICMPSEQ;
    o->nat_fields = kp_cl_ipid(p) | KP_RX_F_ICMPSEQ;
    o->icmp_id = p->l4.icmp_id;
    return 1;
}

static int classify_udp(const struct kp_pkt *p, struct kp_rx_probe *o)
{
    if (!kp_cl_ttl_ok(p) || p->ip.proto != KP_PROTO_UDP || p->l4.len < KP_UDP_HDR_LEN ||
        kp_cl_df(p))
        return 0;
    /* the sequence is the destination port (fixed source port, -L), or with
     * -P PORT the source port (fixed destination port) */
    bool seq_in_dport = p->l4.dport >= MTR_MIN_SEQ;
    if ((!seq_in_dport && p->l4.sport < MTR_MIN_SEQ) || !kp_cl_payload_same_from(p, 0))
        return 0;
    o->tool = "mtr";
    o->cycles = true;
    o->method = KP_METHOD_UDP;
    o->trace_key = seq_in_dport ? p->l4.sport : p->l4.dport; /* the fixed port */
    o->ttl = p->ip.ttl;
    o->attempt = KP_RX_ATTEMPT_AUTO;
    o->match_fields = KP_RX_F_SRC | kp_cl_ipid(p) | KP_RX_F_SPORT | KP_RX_F_DPORT | KP_RX_F_UDPLEN;
    o->nat_fields = kp_cl_ipid(p) | KP_RX_F_DPORT | KP_RX_F_UDPLEN;
    o->sport = p->l4.sport;
    o->dport = p->l4.dport;
    return 1;
}

static int classify_tcp(const struct kp_pkt *p, struct kp_rx_probe *o)
{
    /* connect() on a socket with IP_TTL set: a kernel SYN (options, DF set)
     * from source port = sequence. */
    if (!kp_cl_ttl_ok(p) || !kp_cl_syn(p) || p->l4.sport < MTR_MIN_SEQ)
        return 0;
    if (p->ip.version == 4 && !kp_cl_df(p))
        return 0;
    if (p->l4.len <= 20) /* kernel SYNs carry options */
        return 0;
    o->tool = "mtr";
    o->cycles = true;
    o->method = KP_METHOD_TCP;
    o->trace_key = p->l4.dport;
    o->ttl = p->ip.ttl;
    o->attempt = KP_RX_ATTEMPT_AUTO;
    o->match_fields = KP_RX_F_SRC | kp_cl_ipid(p) | KP_RX_F_SPORT | KP_RX_F_DPORT | KP_RX_F_TCPSEQ;
    o->nat_fields = kp_cl_ipid(p) | KP_RX_F_DPORT | KP_RX_F_TCPSEQ;
    o->sport = p->l4.sport;
    o->dport = p->l4.dport;
    return 1;
}

const struct kp_rx_classifier kp_classify_mtr_icmp = {"mtr-icmp", classify_icmp};
const struct kp_rx_classifier kp_classify_mtr_udp = {"mtr-udp", classify_udp};
const struct kp_rx_classifier kp_classify_mtr_tcp = {"mtr-tcp", classify_tcp};
