/* classify_tcptraceroute.c — tcptraceroute probes: a bare SYN (no options;
 * IP length 40 unless -l adds a payload 0x21, 0x22, ...), DF clear unless -F,
 * fixed source port and sequence number for the whole run; probes differ
 * only in their IP ID. -A (ACK probes) is not recognised. See classify.h.
 * Owner: replay. */
#include "probe/classify.h"

static int classify(const struct kp_pkt *p, struct kp_rx_probe *o)
{
    /* DF set with -F; a payload 0x21, 0x22, ... with -l LEN (scamper's tcp
     * SYN, DF and sequence 0, is recognised before this) */
    if (!kp_cl_ttl_ok(p) || !kp_cl_syn(p) || p->ip.version != 4 || p->l4.tcp_opts_len != 0)
        return 0;
    if (p->ip.tot_len != 40 && !kp_cl_payload_counts_from(p, 0x21))
        return 0;
    o->tool = "tcptraceroute";
    o->method = KP_METHOD_TCP_SYN;
    o->trace_key = ((uint64_t)p->l4.sport << 16) | p->l4.dport;
    o->ttl = p->ip.ttl;
    o->attempt = KP_RX_ATTEMPT_AUTO;
    o->match_fields = KP_RX_F_SRC | KP_RX_F_IPID | KP_RX_F_SPORT | KP_RX_F_DPORT | KP_RX_F_TCPSEQ;
    o->nat_fields = KP_RX_F_IPID | KP_RX_F_DPORT | KP_RX_F_TCPSEQ;
    o->sport = p->l4.sport;
    o->dport = p->l4.dport;
    return 1;
}

const struct kp_rx_classifier kp_classify_tcptraceroute = {"tcptraceroute", classify};
