/* SPDX-License-Identifier: BSD-2-Clause */
/* classify.h — recognisers of other tools' traceroute probes, for rx.
 *
 * Each is a const struct kp_rx_classifier (see core/rx/rx.h) that looks at one
 * decoded outgoing packet and says whether a known tool sent it, which trace
 * it belongs to and which header fields identify it in an ICMP quote. They
 * are pure and stateless and decide from one packet alone, from what the
 * tools are seen to send (captures in tests/data/pcap/, made by
 * make_fixtures.sh; docs/replay.md lists the signatures):
 *
 *   traceroute (Linux, 2.1): UDP to any port (33434+n) with payload
 *     0x40,0x41,...,0x7f,0x40,...; -I echo with payload 0x48,0x49,... and id
 *     = pid; -T SYN with options, DF clear (or window 5840 with -F), IP
 *     length 60, source port changing per probe.
 *   mtr (0.95): echo with seq >= 33000 and a payload of one repeated byte
 *     (-B, zero by default); -u UDP from a fixed port to 33000+seq (-P: from
 *     33000+seq to a fixed port), same payload, DF clear; -T SYN from port
 *     33000+seq with DF set (connect()).
 *   tcptraceroute: SYN without options (IP length 40, or a payload 0x21,
 *     0x22, ... with -l), fixed ports and sequence number; only the IP ID
 *     changes. -A: the same with ACK instead of SYN, window 0.
 *   scamper (20211212), DF set and IP ID = probe number (1, 2, ...):
 *     icmp-paris echo with seq + 1 = IP ID and 2 bytes keeping the checksum
 *     constant (icmp: zero); udp-paris with UDP checksum = IP ID; udp with
 *     destination port base + IP ID; tcp SYN with sequence 0, no options;
 *     tcp-ack a bare ACK with sequence 0 and window 0.
 *
 * Only packets with TTL (hop limit) below 64 are taken for probes: ordinary
 * traffic leaves with 64 or more.
 */
#ifndef KP_CLASSIFY_H
#define KP_CLASSIFY_H

#include <stddef.h>

#include "core/base/cursor.h"
#include "core/base/proto.h"
#include "core/rx/rx.h"

extern const struct kp_rx_classifier kp_classify_traceroute_udp;
extern const struct kp_rx_classifier kp_classify_traceroute_icmp;
extern const struct kp_rx_classifier kp_classify_traceroute_tcp;
extern const struct kp_rx_classifier kp_classify_mtr_icmp;
extern const struct kp_rx_classifier kp_classify_mtr_udp;
extern const struct kp_rx_classifier kp_classify_mtr_tcp;
extern const struct kp_rx_classifier kp_classify_tcptraceroute;
extern const struct kp_rx_classifier kp_classify_scamper_icmp_paris;
extern const struct kp_rx_classifier kp_classify_scamper_udp_paris;
extern const struct kp_rx_classifier kp_classify_scamper_udp;
extern const struct kp_rx_classifier kp_classify_scamper_tcp;

/* Every foreign classifier above, most specific first (scamper, then
 * tcptraceroute, traceroute, mtr). kptrace's own classifier is not in this
 * list: rx users put it first. Static const data. */
extern const struct kp_rx_classifier *const kp_foreign_classifiers[];
extern const size_t kp_n_foreign_classifiers;

/* ---- helpers shared by the classify_*.c files (not part of the API) ---- */

#define KP_CL_TCP_SYN 0x02u
#define KP_CL_TCP_ACK 0x10u
/* Set in the trace key of ACK probes (tcptraceroute -A, scamper -P tcp-ack),
 * recognised by the same classifier as the tool's SYN probes, so that an ACK
 * run and a SYN run with the same ports are two traces. */
#define KP_CL_KEY_ACK (1ull << 40)

/* An outgoing probe candidate: TTL below 64, and not a reply or an error. */
static inline int kp_cl_ttl_ok(const struct kp_pkt *p)
{
    return p->ip.ttl > 0 && p->ip.ttl < 64 && !p->is_icmp_error;
}

/* IPv4 "don't fragment" set. */
static inline int kp_cl_df(const struct kp_pkt *p)
{
    return p->ip.version == 4 && (p->ip.frag & 0x4000u) != 0;
}

/* A pure SYN (no ACK/RST/FIN...) with the full TCP header captured. */
static inline int kp_cl_syn(const struct kp_pkt *p)
{
    return p->ip.proto == KP_PROTO_TCP && p->l4.len >= KP_TCP_HDR_LEN && p->l4.tcp_full &&
           (p->l4.tcp_flags & 0x3fu) == KP_CL_TCP_SYN;
}

/* A pure ACK (no SYN/RST/FIN/PSH/URG) advertising window 0, with the full TCP
 * header captured: an ACK probe of tcptraceroute -A or scamper -P tcp-ack
 * (ordinary ACKs advertise a window). */
static inline int kp_cl_ack(const struct kp_pkt *p)
{
    return p->ip.proto == KP_PROTO_TCP && p->l4.len >= KP_TCP_HDR_LEN && p->l4.tcp_full &&
           (p->l4.tcp_flags & 0x3fu) == KP_CL_TCP_ACK && p->l4.tcp_win == 0;
}

/* ICMP echo request (v4 type 8, v6 type 128) with id/seq captured. */
static inline int kp_cl_echo(const struct kp_pkt *p)
{
    if (p->l4.len < 8)
        return 0;
    if (p->ip.version == 4)
        return p->ip.proto == KP_PROTO_ICMP && p->l4.icmp_type == KP_ICMP_ECHO &&
               p->l4.icmp_code == 0;
    return p->ip.proto == KP_PROTO_ICMPV6 && p->l4.icmp_type == KP_ICMP6_ECHO &&
           p->l4.icmp_code == 0;
}

/* A cursor over the captured payload (empty when there is none). */
static inline struct kp_cur kp_cl_payload(const struct kp_pkt *p)
{
    struct kp_cur c;
    kp_cur_init(&c, p->l4.payload, p->l4.payload_len);
    return c;
}

/* Captured payload bytes are first, first+1, ... (mod 256); 0 when no
 * payload byte was captured. */
static inline int kp_cl_payload_counts_from(const struct kp_pkt *p, unsigned first)
{
    struct kp_cur c = kp_cl_payload(p);
    uint8_t b;
    if (kp_cur_remaining(&c) == 0)
        return 0;
    for (unsigned want = first; kp_cur_u8(&c, &b) == 0; want++)
        if (b != (uint8_t)want)
            return 0;
    return 1;
}

/* Linux traceroute's payload: bytes 0x40, 0x41, ... 0x7f, then 0x40 again
 * (byte k of the packet after the IP header is 0x40 + k % 64, so UDP's
 * payload starts at 0x40 and ICMP's at 0x48 = first). 0 when no payload byte
 * was captured. */
static inline int kp_cl_payload_traceroute(const struct kp_pkt *p, unsigned first)
{
    struct kp_cur c = kp_cl_payload(p);
    uint8_t b;
    if (kp_cur_remaining(&c) == 0)
        return 0;
    for (unsigned k = first - 0x40u; kp_cur_u8(&c, &b) == 0; k++)
        if (b != (uint8_t)(0x40u + (k & 0x3fu)))
            return 0;
    return 1;
}

/* Captured payload bytes from `from` on all equal one byte (mtr -B PATTERN;
 * zero by default), and there is a payload. */
static inline int kp_cl_payload_same_from(const struct kp_pkt *p, size_t from)
{
    struct kp_cur c = kp_cl_payload(p);
    uint8_t first, b;
    if (kp_cur_skip(&c, from) != 0 || kp_cur_peek_u8(&c, &first) != 0)
        return 0;
    while (kp_cur_u8(&c, &b) == 0)
        if (b != first)
            return 0;
    return 1;
}

/* Captured payload bytes from `from` on are all zero (and there is a payload). */
static inline int kp_cl_payload_zero_from(const struct kp_pkt *p, size_t from)
{
    struct kp_cur c = kp_cl_payload(p);
    uint8_t b;
    if (kp_cur_skip(&c, from) != 0 || kp_cur_remaining(&c) == 0)
        return 0;
    while (kp_cur_u8(&c, &b) == 0)
        if (b != 0)
            return 0;
    return 1;
}

/* The IPv4-only identity field, or nothing for IPv6. */
static inline uint32_t kp_cl_ipid(const struct kp_pkt *p)
{
    return p->ip.version == 4 ? KP_RX_F_IPID : 0;
}

#endif
