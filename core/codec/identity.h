/* SPDX-License-Identifier: BSD-2-Clause */
/* identity.h — probe identity and its keyed-hash check.
 *
 * A probe's identity (trace, TTL, attempt) is carried in header fields that an
 * ICMP error quotes (IP ID, UDP checksum, ICMP seq, TCP sequence number),
 * together with a check computed with a per-run secret key (SipHash-2-4), so
 * that replies can be matched without per-probe state and unsolicited or
 * spoofed replies rejected. Pure: the key is passed in, never global.
 *
 * The encoding is defined in core/codec/identity.c (see its header comment and
 * docs/probe-encoding.md for the field layout per method). In short:
 *   - the trace id lives in the flow value (UDP/TCP source port or ICMP echo
 *     id): flow = 0x8000 | trace_id, constant for the whole trace;
 *   - TTL, attempt and keyed tags live in fields no NAT rewrites (IP ID, ICMP
 *     seq, TCP seq) and in the UDP/ICMP checksum, whose value is a function of
 *     NAT-invariant inputs only (so a rewritten checksum gives a NAT id).
 */
#ifndef KP_IDENTITY_H
#define KP_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/addr.h"
#include "core/record/trace.h"

struct kp_key {
    uint8_t k[16];
};

/* SipHash-2-4 of data[0..len) under key. */
uint64_t kp_siphash24(const struct kp_key *key, const void *data, size_t len);

/* The run's identity key derived from its seed: two splitmix64 outputs of
 * the seed, little-endian. The prober derives its key this way, and a replay
 * that knows the seed (sweep.json options.seed) checks replies with the same
 * key. Keep the seed private while a run is live. Pure. */
void kp_key_from_seed(uint64_t seed, struct kp_key *key);

/* Capacity of the encoding. */
#define KP_ID_TRACE_BITS  15
#define KP_ID_MAX_TRACES  (1u << KP_ID_TRACE_BITS) /* 32768 concurrent traces */
#define KP_ID_TTL_MAX     63                       /* TTL is 6 bits: 1..63 */
#define KP_ID_ATTEMPT_MAX 3                        /* attempt is 2 bits: 0..3 */
#define KP_ID_FLOW_BIT    0x8000u

/* The flow value (source port for UDP/TCP methods, echo id for icmp-paris)
 * that carries trace_id (taken modulo KP_ID_MAX_TRACES): 0x8000 | trace_id. */
uint16_t kp_id_flow(uint32_t trace_id);

/* Recover the trace id from a flow value. true when flow has the kptrace
 * form (bit 15 set). */
bool kp_id_flow_trace(uint16_t flow, uint32_t *trace_id);

/* Every identity-bearing value of one probe, as it goes on the wire (host
 * byte order). Which ones a method uses is in identity.c's comment. */
struct kp_id_fields {
    uint16_t ip_id;       /* IPv4 identification (never 0; 0 for IPv6) */
    uint16_t l4_sum;      /* wanted UDP checksum (udp, udp-paris; for IPv6 the
                             identity word itself) or the trace-constant ICMP
                             checksum (icmp-paris) */
    uint16_t icmp_seq;    /* icmp-paris */
    uint32_t tcp_seq;     /* tcp-syn */
    uint16_t dport;       /* destination port on the wire (udp: base + n) */
    uint32_t payload_tag; /* 32-bit tag written into the probe marker */
};

/* Compute the identity fields of the probe (method, dst, dport, flow, ttl,
 * attempt) under key. dport is the trace's destination port (classic udp:
 * the base port; icmp-paris: 0). flow is the source port / echo id actually
 * sent (normally kp_id_flow(trace_id)). Returns 0, or -EINVAL when ttl is
 * outside 1..KP_ID_TTL_MAX, attempt > KP_ID_ATTEMPT_MAX or the method is not
 * one kptrace sends. */
int kp_id_encode(const struct kp_key *key, enum kp_method method, const struct kp_addr *dst,
                 uint16_t dport, uint16_t flow, uint8_t ttl, uint8_t attempt,
                 struct kp_id_fields *out);

/* The 16-bit per-probe word carried in the NAT-invariant 16-bit field
 * (IP ID for udp/udp-paris, ICMP seq for icmp-paris):
 *   ttl(6) << 10 | attempt(2) << 8 | tag8. */
static inline uint8_t kp_id_word_ttl(uint16_t w)
{
    return (uint8_t)(w >> 10);
}
static inline uint8_t kp_id_word_attempt(uint16_t w)
{
    return (uint8_t)((w >> 8) & 3u);
}

/* Undo an RFC 1624 incremental checksum update made by a NAT. Given the
 * checksum value we sent (sent), the checksum the quote shows (quoted) and
 * the words the NAT is known to have changed besides the unknown one
 * (old_words -> new_words, n each, e.g. the source address halves), return
 * the original value of the one unknown word whose rewritten value is
 * new_unknown (e.g. the source port). Pure ones-complement arithmetic. */
uint16_t kp_id_nat_unrewrite(uint16_t sent, uint16_t quoted, const uint16_t *old_words,
                             const uint16_t *new_words, size_t n, uint16_t new_unknown);

/* Dublin-traceroute NAT id: quoted checksum minus sent checksum, mod 2^16. */
static inline uint16_t kp_id_nat_id(uint16_t quoted_sum, uint16_t sent_sum)
{
    return (uint16_t)(quoted_sum - sent_sum);
}

#endif
