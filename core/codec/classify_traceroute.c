/* SPDX-License-Identifier: BSD-2-Clause */
/* classify_traceroute.c — Linux traceroute (Butskoy, 2.x) probes: default
 * UDP (any port: -p, -U, --sport), -I (ICMP echo) and -T (TCP SYN). See
 * classify.h. */
#include "core/codec/classify.h"

/* Attempts are numbered by rx (KP_RX_ATTEMPT_AUTO): the probe number that
 * the UDP port or ICMP sequence carries gives the TTL and attempt only when
 * the base (-p), the first TTL (-f) and the queries per hop (-q) are known,
 * and they are not carried in the packet (-q 2 and the default 3 would give
 * the same probe different attempts). A second run of traceroute to the same
 * destination is told apart by rx: it goes back to a TTL probed already, or
 * its UDP port goes back, or it skips TTLs (core/rx/rx_probe.c, new_run). */

#define TR_TCP_WIN 5840u /* traceroute -T's window */

static int classify_udp(const struct kp_pkt *p, struct kp_rx_probe *o)
{
    if (!kp_cl_ttl_ok(p) || p->ip.proto != KP_PROTO_UDP || p->l4.len < KP_UDP_HDR_LEN)
        return 0;
    /* any destination port: 33434 + n by default, -p BASE + n, or one port
     * with -U (53) and --sport; the payload 0x40, 0x41, ... is traceroute's */
    if (!kp_cl_payload_traceroute(p, 0x40))
        return 0;
    o->tool = "traceroute";
    o->method = KP_METHOD_UDP;
    o->trace_key = 0; /* the source port changes per probe */
    o->ttl = p->ip.ttl;
    o->attempt = KP_RX_ATTEMPT_AUTO;
    o->match_fields = KP_RX_F_SRC | kp_cl_ipid(p) | KP_RX_F_SPORT | KP_RX_F_DPORT | KP_RX_F_UDPLEN;
    o->nat_fields = KP_RX_F_DPORT | kp_cl_ipid(p) | KP_RX_F_UDPLEN;
    o->sport = p->l4.sport;
    o->dport = p->l4.dport;
    /* the port base + n grows with every probe of a run (it stays with -U):
     * a lower one at a TTL probed already is a new run */
    o->has_run_seq = true;
    o->run_seq = p->l4.dport;
    return 1;
}

static int classify_icmp(const struct kp_pkt *p, struct kp_rx_probe *o)
{
    if (!kp_cl_ttl_ok(p) || !kp_cl_echo(p))
        return 0;
    if (!kp_cl_payload_traceroute(p, 0x48))
        return 0;
    o->tool = "traceroute";
    o->method = KP_METHOD_ICMP;
    o->trace_key = p->l4.icmp_id; /* the process id */
    o->ttl = p->ip.ttl;
    o->attempt = KP_RX_ATTEMPT_AUTO;
    o->match_fields = KP_RX_F_SRC | kp_cl_ipid(p) | KP_RX_F_ICMPID | KP_RX_F_ICMPSEQ;
    o->nat_fields = kp_cl_ipid(p) | KP_RX_F_ICMPSEQ;
    o->icmp_id = p->l4.icmp_id;
    return 1;
}

static int classify_tcp(const struct kp_pkt *p, struct kp_rx_probe *o)
{
    /* SYN with options (sack, timestamps, window scale, mss: 20 bytes), DF
     * clear: what traceroute -T builds on its raw socket. With -F (DF set)
     * its window of 5840 (4 x MSS 1460) tells it from a kernel SYN (mtr -T),
     * whose window is 64240 or more. */
    if (!kp_cl_ttl_ok(p) || !kp_cl_syn(p) || p->ip.version != 4)
        return 0;
    if (kp_cl_df(p) && p->l4.tcp_win != TR_TCP_WIN)
        return 0;
    if (p->ip.tot_len != 60)
        return 0;
    o->tool = "traceroute";
    o->method = KP_METHOD_TCP;
    o->trace_key = p->l4.dport; /* the source port changes per probe */
    o->ttl = p->ip.ttl;
    o->attempt = KP_RX_ATTEMPT_AUTO;
    o->match_fields = KP_RX_F_SRC | KP_RX_F_IPID | KP_RX_F_SPORT | KP_RX_F_DPORT | KP_RX_F_TCPSEQ;
    o->nat_fields = KP_RX_F_IPID | KP_RX_F_DPORT | KP_RX_F_TCPSEQ;
    o->sport = p->l4.sport;
    o->dport = p->l4.dport;
    return 1;
}

const struct kp_rx_classifier kp_classify_traceroute_udp = {"traceroute-udp", classify_udp};
const struct kp_rx_classifier kp_classify_traceroute_icmp = {"traceroute-icmp", classify_icmp};
const struct kp_rx_classifier kp_classify_traceroute_tcp = {"traceroute-tcp", classify_tcp};
