/* SPDX-License-Identifier: BSD-2-Clause */
/* classify_scamper.c — scamper trace probes (-P icmp-paris, icmp, udp-paris,
 * udp, tcp, tcp-ack). scamper sets DF and numbers the probes of a trace 1, 2, ... in the IP
 * ID, and ties another field to that number, which is what recognises it. See
 * classify.h. IPv4 only (IPv6 has no IP ID). */
#include "core/codec/classify.h"

/* scamper numbers a trace's probes from 1 in the IP ID: at most 255 TTLs
 * times -q (at most 20) attempts, plus a few more for -Q / the gap limit */
#define SC_MAX_PROBES 8192u

static int scamper_ip(const struct kp_pkt *p)
{
    return kp_cl_ttl_ok(p) && p->ip.version == 4 && kp_cl_df(p) && p->ip.ip_id != 0;
}

static void common(const struct kp_pkt *p, enum kp_method m, struct kp_rx_probe *o)
{
    o->tool = "scamper";
    o->method = m;
    o->ttl = p->ip.ttl;
    o->attempt = KP_RX_ATTEMPT_AUTO;
    o->sport = p->l4.sport;
    o->dport = p->l4.dport;
    /* the probe number (IP ID) starts from 1 again in a new run of scamper */
    o->has_run_seq = true;
    o->run_seq_strict = true;
    o->run_seq = p->ip.ip_id;
}

static int classify_icmp_paris(const struct kp_pkt *p, struct kp_rx_probe *o)
{
    /* echo whose seq is the probe number - 1; payload: 2 bytes that keep the
     * checksum constant, then zeros */
    if (!scamper_ip(p) || !kp_cl_echo(p) || (uint16_t)(p->l4.icmp_seq + 1u) != p->ip.ip_id)
        return 0;
    struct kp_cur pl = kp_cl_payload(p);
    uint16_t keep;
    if (!kp_cl_payload_zero_from(p, 2) || kp_cur_u16be(&pl, &keep) != 0)
        return 0;
    /* -P icmp (classic) leaves those 2 bytes zero and lets the checksum
     * change; icmp-paris's 2 bytes are zero for 1 probe in 65536 only */
    bool paris = keep != 0;
    common(p, paris ? KP_METHOD_ICMP_PARIS : KP_METHOD_ICMP, o);
    o->trace_key = p->l4.icmp_id;
    o->match_fields = KP_RX_F_SRC | KP_RX_F_IPID | KP_RX_F_ICMPID | KP_RX_F_ICMPSEQ;
    o->nat_fields = KP_RX_F_IPID | KP_RX_F_ICMPSEQ;
    o->icmp_id = p->l4.icmp_id;
    o->sport = o->dport = 0;
    return 1;
}

static int classify_udp_paris(const struct kp_pkt *p, struct kp_rx_probe *o)
{
    /* constant ports; the UDP checksum is the probe number */
    if (!scamper_ip(p) || p->ip.proto != KP_PROTO_UDP || p->l4.len < KP_UDP_HDR_LEN ||
        p->l4.udp_sum != p->ip.ip_id)
        return 0;
    common(p, KP_METHOD_UDP_PARIS, o);
    o->trace_key = p->l4.sport;
    o->match_fields = KP_RX_F_SRC | KP_RX_F_IPID | KP_RX_F_SPORT | KP_RX_F_DPORT | KP_RX_F_UDPSUM;
    o->nat_fields = KP_RX_F_IPID | KP_RX_F_DPORT;
    return 1;
}

static int classify_udp(const struct kp_pkt *p, struct kp_rx_probe *o)
{
    /* classic: destination port = base + probe number (IP ID), where the base
     * is 33434 with the default -d 33435 and -d PORT - 1 otherwise; zero
     * payload. The base is part of the trace's key. */
    if (!scamper_ip(p) || p->ip.proto != KP_PROTO_UDP || p->l4.len < KP_UDP_HDR_LEN)
        return 0;
    if (p->ip.ip_id > SC_MAX_PROBES || p->l4.dport <= p->ip.ip_id || !kp_cl_payload_zero_from(p, 0))
        return 0;
    common(p, KP_METHOD_UDP, o);
    o->trace_key = ((uint64_t)p->l4.sport << 16) | (uint16_t)(p->l4.dport - p->ip.ip_id);
    o->match_fields = KP_RX_F_SRC | KP_RX_F_IPID | KP_RX_F_SPORT | KP_RX_F_DPORT | KP_RX_F_UDPLEN;
    o->nat_fields = KP_RX_F_IPID | KP_RX_F_DPORT;
    return 1;
}

static int classify_tcp(const struct kp_pkt *p, struct kp_rx_probe *o)
{
    /* -P tcp: bare SYN (no options), sequence number 0; -P tcp-ack: bare
     * ACK, sequence number 0, window 0, whose destination answers with an
     * RST carrying the acknowledgement number as its sequence number (the
     * record's method is "tcp": the format has no "tcp-ack" method) */
    if (!scamper_ip(p) || p->l4.tcp_seq != 0 || p->l4.len != 20)
        return 0;
    bool ack = kp_cl_ack(p);
    if (!ack && !kp_cl_syn(p))
        return 0;
    common(p, ack ? KP_METHOD_TCP_ACK : KP_METHOD_TCP_SYN, o);
    o->trace_key = ((uint64_t)p->l4.sport << 16) | p->l4.dport | (ack ? KP_CL_KEY_ACK : 0);
    o->match_fields = KP_RX_F_SRC | KP_RX_F_IPID | KP_RX_F_SPORT | KP_RX_F_DPORT | KP_RX_F_TCPSEQ;
    o->nat_fields = KP_RX_F_IPID | KP_RX_F_DPORT;
    return 1;
}

const struct kp_rx_classifier kp_classify_scamper_icmp_paris = {"scamper-icmp-paris",
                                                                classify_icmp_paris};
const struct kp_rx_classifier kp_classify_scamper_udp_paris = {"scamper-udp-paris",
                                                               classify_udp_paris};
const struct kp_rx_classifier kp_classify_scamper_udp = {"scamper-udp", classify_udp};
const struct kp_rx_classifier kp_classify_scamper_tcp = {"scamper-tcp", classify_tcp};
