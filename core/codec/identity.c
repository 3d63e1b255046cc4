/* SPDX-License-Identifier: BSD-2-Clause */
/* identity.c — SipHash-2-4 and kptrace's probe identity encoding.
 *
 * SipHash-2-4 is implemented from Aumasson & Bernstein, "SipHash: a fast
 * short-input PRF" (2012), and tested against the reference test vectors.
 *
 * Identity encoding (also in docs/probe-encoding.md). Three keyed hashes per
 * probe, each SipHash-2-4 of the 28-byte message
 *     kind | method | ttl | attempt | dport(2) | flow(2) | family | 0 0 0 | dst(16)
 * (dport: the trace's destination port, for classic udp its base port, 0 for
 * icmp-paris; flow: 0 unless kind 2; dst: IPv4 in the first 4 bytes):
 *     h0 = kind 0 with ttl = attempt = 0  (trace-constant)
 *     h1 = kind 1                         (per probe, NAT-invariant inputs)
 *     h2 = kind 2 with the flow value     (per probe, binds the trace id)
 * word = ttl(6) << 10 | attempt(2) << 8 | (h1 & 0xff)
 * flow = 0x8000 | trace_id(15)        (source port, or ICMP echo id)
 * nz(x) = x ^ 0x5a5a when x is 0x0000 or 0xffff, else x
 *
 *   method      NAT-invariant fields               other fields
 *   udp-paris   IP ID = word                       UDP checksum = nz(h1 >> 24 & 0xffff)
 *   udp         IP ID = word,                      UDP checksum as udp-paris
 *               dport = base + (ttl-1)*4 + attempt
 *   icmp-paris  ICMP seq = word,                   ICMP checksum = nz(h0 & 0xffff), constant
 *               IP ID = nz(h1 >> 40 & 0xffff)      for the trace
 *   tcp-syn     TCP seq = ttl << 26 | attempt << 24 | (h1 & 0xffff) << 8 |
 *                         (h2 >> 16 & 0xff)   (the last byte binds the flow)
 *                                                  IP ID = nz(h2 & 0xffff)
 *   all: payload marker tag = h2 >> 32.
 * IPv6 (no IP ID): udp/udp-paris carry word in the UDP checksum (0xffff
 * becomes 0xfffe); icmp-paris and tcp-syn as above without the IP ID; the
 * flow label is 0.
 *
 * Why: the NAT-invariant fields alone validate a reply (8-bit tag for the
 * UDP methods, 24 bits for the others) and give TTL and attempt; the
 * checksum is a function of NAT-invariant inputs only, so when a NAT rewrote
 * the source port / echo id (and the checksum with it, RFC 1624), the matcher
 * knows the checksum it sent, reports nat with the Dublin-traceroute NAT id,
 * and recovers the original port, hence the trace id, by undoing the
 * incremental update (kp_id_nat_unrewrite).
 */
#include "core/codec/identity.h"
#include "core/base/prng.h"

#include <errno.h>
#include <string.h>

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

/* Written out, so that the compiler makes one load of it (a loop over the
 * bytes stays a loop: eight loads and shifts, most of a hash's work). */
static inline uint64_t rd64le(const uint8_t *p)
{
    return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24 |
           (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 |
           (uint64_t)p[7] << 56;
}

#define SIPROUND                                                                                   \
    do {                                                                                           \
        v0 += v1;                                                                                  \
        v1 = ROTL(v1, 13);                                                                         \
        v1 ^= v0;                                                                                  \
        v0 = ROTL(v0, 32);                                                                         \
        v2 += v3;                                                                                  \
        v3 = ROTL(v3, 16);                                                                         \
        v3 ^= v2;                                                                                  \
        v0 += v3;                                                                                  \
        v3 = ROTL(v3, 21);                                                                         \
        v3 ^= v0;                                                                                  \
        v2 += v1;                                                                                  \
        v1 = ROTL(v1, 17);                                                                         \
        v1 ^= v2;                                                                                  \
        v2 = ROTL(v2, 32);                                                                         \
    } while (0)

void kp_key_from_seed(uint64_t seed, struct kp_key *key)
{
    uint64_t s = seed;
    for (int i = 0; i < 2; i++) {
        uint64_t w = kp_splitmix64(&s);
        for (int b = 0; b < 8; b++)
            key->k[8 * i + b] = (uint8_t)(w >> (8 * b));
    }
}

uint64_t kp_siphash24(const struct kp_key *key, const void *data, size_t len)
{
    const uint8_t *in = data;
    uint64_t k0 = rd64le(key->k), k1 = rd64le(key->k + 8);
    uint64_t v0 = 0x736f6d6570736575ULL ^ k0;
    uint64_t v1 = 0x646f72616e646f6dULL ^ k1;
    uint64_t v2 = 0x6c7967656e657261ULL ^ k0;
    uint64_t v3 = 0x7465646279746573ULL ^ k1;
    size_t full = len - len % 8;

    for (size_t i = 0; i < full; i += 8) {
        uint64_t m = rd64le(in + i);
        v3 ^= m;
        SIPROUND;
        SIPROUND;
        v0 ^= m;
    }
    uint64_t b = (uint64_t)(len & 0xff) << 56;
    const uint8_t *t = in + full;
    switch (len % 8) {
    case 7:
        b |= (uint64_t)t[6] << 48;
        /* fall through */
    case 6:
        b |= (uint64_t)t[5] << 40;
        /* fall through */
    case 5:
        b |= (uint64_t)t[4] << 32;
        /* fall through */
    case 4:
        b |= (uint64_t)t[0] | (uint64_t)t[1] << 8 | (uint64_t)t[2] << 16 | (uint64_t)t[3] << 24;
        break;
    case 3:
        b |= (uint64_t)t[2] << 16;
        /* fall through */
    case 2:
        b |= (uint64_t)t[1] << 8;
        /* fall through */
    case 1:
        b |= (uint64_t)t[0];
        break;
    default:
        break;
    }
    v3 ^= b;
    SIPROUND;
    SIPROUND;
    v0 ^= b;
    v2 ^= 0xff;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    return v0 ^ v1 ^ v2 ^ v3;
}

uint16_t kp_id_flow(uint32_t trace_id)
{
    return (uint16_t)(KP_ID_FLOW_BIT | (trace_id & (KP_ID_MAX_TRACES - 1)));
}

bool kp_id_flow_trace(uint16_t flow, uint32_t *trace_id)
{
    if ((flow & KP_ID_FLOW_BIT) == 0)
        return false;
    *trace_id = flow & (KP_ID_MAX_TRACES - 1);
    return true;
}

static uint16_t nz16(uint64_t x)
{
    uint16_t v = (uint16_t)x;
    return (v == 0 || v == 0xffff) ? (uint16_t)(v ^ 0x5a5a) : v;
}

static uint64_t id_hash(const struct kp_key *key, uint8_t kind, enum kp_method method,
                        const struct kp_addr *dst, uint16_t dport, uint16_t flow, uint8_t ttl,
                        uint8_t attempt)
{
    uint8_t m[28] = {0};
    m[0] = kind;
    m[1] = (uint8_t)method;
    m[2] = ttl;
    m[3] = attempt;
    m[4] = (uint8_t)(dport >> 8);
    m[5] = (uint8_t)dport;
    m[6] = (uint8_t)(flow >> 8);
    m[7] = (uint8_t)flow;
    m[8] = dst->family;
    memcpy(m + 12, dst->b, dst->family == 6 ? 16 : 4);
    return kp_siphash24(key, m, sizeof(m));
}

int kp_id_encode(const struct kp_key *key, enum kp_method method, const struct kp_addr *dst,
                 uint16_t dport, uint16_t flow, uint8_t ttl, uint8_t attempt,
                 struct kp_id_fields *out)
{
    if (key == NULL || dst == NULL || out == NULL)
        return -EINVAL;
    if (ttl < 1 || ttl > KP_ID_TTL_MAX || attempt > KP_ID_ATTEMPT_MAX)
        return -EINVAL;
    if (dst->family != 4 && dst->family != 6)
        return -EINVAL;
    memset(out, 0, sizeof(*out));
    uint64_t h1 = id_hash(key, 1, method, dst, dport, 0, ttl, attempt);
    uint64_t h2 = id_hash(key, 2, method, dst, dport, flow, ttl, attempt);
    uint16_t word = (uint16_t)((unsigned)ttl << 10 | (unsigned)attempt << 8 | (h1 & 0xffu));
    out->payload_tag = (uint32_t)(h2 >> 32);
    out->dport = dport;
    bool v6 = dst->family == 6;
    switch (method) {
    case KP_METHOD_UDP: {
        unsigned wire = (unsigned)dport + (unsigned)(ttl - 1) * 4u + attempt;
        if (wire > 0xffff || dport == 0)
            return -EINVAL;
        out->dport = (uint16_t)wire;
    }
        /* fall through */
    case KP_METHOD_UDP_PARIS:
        if (v6) {
            /* No IP ID in IPv6: the checksum carries the word itself (never
             * 0xffff, which a ones-complement sum cannot produce here). */
            out->l4_sum = word == 0xffff ? 0xfffe : word;
            return 0;
        }
        out->ip_id = word;
        out->l4_sum = nz16(h1 >> 24);
        return 0;
    case KP_METHOD_ICMP_PARIS: {
        uint64_t h0 = id_hash(key, 0, method, dst, dport, 0, 0, 0);
        out->icmp_seq = word;
        out->ip_id = v6 ? 0 : nz16(h1 >> 40);
        out->l4_sum = nz16(h0);
        return 0;
    }
    case KP_METHOD_TCP_SYN:
        out->tcp_seq = (uint32_t)ttl << 26 | (uint32_t)attempt << 24 |
                       (uint32_t)(h1 & 0xffffu) << 8 | (uint32_t)((h2 >> 16) & 0xffu);
        out->ip_id = v6 ? 0 : nz16(h2);
        return 0;
    default:
        return -EINVAL;
    }
}

/* Ones-complement 16-bit addition and subtraction. */
static uint16_t oc_add(uint16_t a, uint16_t b)
{
    uint32_t s = (uint32_t)a + b;
    return (uint16_t)((s & 0xffffu) + (s >> 16));
}

static uint16_t oc_sub(uint16_t a, uint16_t b)
{
    return oc_add(a, (uint16_t)~b);
}

uint16_t kp_id_nat_unrewrite(uint16_t sent, uint16_t quoted, const uint16_t *old_words,
                             const uint16_t *new_words, size_t n, uint16_t new_unknown)
{
    /* With S the ones-complement sum the checksum field complements, a NAT
     * that replaces words old -> new leaves S' = S + sum(new - old)
     * (RFC 1624). S = ~sent, S' = ~quoted, so the total change is
     * ~quoted - ~sent = sent - quoted; the part not explained by the known
     * words is what the unknown word changed by. */
    uint16_t delta = oc_sub(sent, quoted);
    uint16_t known = 0;
    for (size_t i = 0; i < n; i++)
        known = oc_add(known, oc_sub(new_words[i], old_words[i]));
    uint16_t unknown_delta = oc_sub(delta, known);
    return oc_sub(new_unknown, unknown_delta);
}
