/* classify_traceroute.c — Linux traceroute (Butskoy, 2.x) probes: default
 * UDP, -I (ICMP echo) and -T (TCP SYN). See classify.h. Owner: replay. */
#include "probe/classify.h"

#define TR_UDP_BASE 33434u /* default -p */
#define TR_QUERIES  3u     /* default -q */

/* With the defaults (first TTL 1, 3 queries, base port/seq), probe number n
 * (0-based) has TTL n/3 + 1 and is attempt n%3. When the TTL agrees, the
 * attempt is known; otherwise rx numbers attempts itself. */
static uint16_t attempt_from_index(unsigned n, uint8_t ttl)
{
    if (n / TR_QUERIES + 1 == ttl)
        return (uint16_t)(n % TR_QUERIES);
    return KP_RX_ATTEMPT_AUTO;
}

static int classify_udp(const struct kp_pkt *p, struct kp_rx_probe *o)
{
    if (!kp_cl_ttl_ok(p) || p->ip.proto != 17 || p->l4.len < 8)
        return 0;
    if (p->l4.dport < TR_UDP_BASE || p->l4.dport > TR_UDP_BASE + 255u * 10u)
        return 0;
    if (!kp_cl_payload_counts_from(p, 0x40))
        return 0;
    o->tool = "traceroute";
    o->method = KP_METHOD_UDP;
    o->trace_key = 0; /* the source port changes per probe */
    o->ttl = p->ip.ttl;
    o->attempt = attempt_from_index(p->l4.dport - TR_UDP_BASE, p->ip.ttl);
    o->match_fields = KP_RX_F_SRC | kp_cl_ipid(p) | KP_RX_F_SPORT | KP_RX_F_DPORT | KP_RX_F_UDPLEN;
    o->nat_fields = KP_RX_F_DPORT | kp_cl_ipid(p) | KP_RX_F_UDPLEN;
    o->sport = p->l4.sport;
    o->dport = p->l4.dport;
    return 1;
}

static int classify_icmp(const struct kp_pkt *p, struct kp_rx_probe *o)
{
    if (!kp_cl_ttl_ok(p) || !kp_cl_echo(p))
        return 0;
    if (!kp_cl_payload_counts_from(p, 0x48))
        return 0;
    o->tool = "traceroute";
    o->method = KP_METHOD_ICMP;
    o->trace_key = p->l4.icmp_id; /* the process id */
    o->ttl = p->ip.ttl;
    o->attempt = p->l4.icmp_seq >= 1 ? attempt_from_index(p->l4.icmp_seq - 1u, p->ip.ttl)
                                     : KP_RX_ATTEMPT_AUTO;
    o->match_fields = KP_RX_F_SRC | kp_cl_ipid(p) | KP_RX_F_ICMPID | KP_RX_F_ICMPSEQ;
    o->nat_fields = kp_cl_ipid(p) | KP_RX_F_ICMPSEQ;
    o->icmp_id = p->l4.icmp_id;
    return 1;
}

static int classify_tcp(const struct kp_pkt *p, struct kp_rx_probe *o)
{
    /* SYN with options (sack, timestamps, window scale, mss: 20 bytes), DF
     * clear: what traceroute -T builds on its raw socket. */
    if (!kp_cl_ttl_ok(p) || !kp_cl_syn(p) || kp_cl_df(p) || p->ip.version != 4)
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
