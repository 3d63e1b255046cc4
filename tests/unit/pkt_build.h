/* SPDX-License-Identifier: BSD-2-Clause */
/* pkt_build.h — building test packets byte by byte: big-endian stores and an
 * IPv4 header (no options) with its checksum. The transport headers the tests
 * write on top of it are theirs (each test states the exact bytes a peer tool
 * sends); the checksum routine is the codec's own (kp_cksum_add/_fold). */
#ifndef KP_TEST_PKT_BUILD_H
#define KP_TEST_PKT_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/base/proto.h"
#include "core/codec/decode.h"

static inline void pkt_put16(uint8_t *b, uint16_t v)
{
    b[0] = (uint8_t)(v >> 8);
    b[1] = (uint8_t)v;
}

static inline void pkt_put32(uint8_t *b, uint32_t v)
{
    pkt_put16(b, (uint16_t)(v >> 16));
    pkt_put16(b + 2, (uint16_t)v);
}

/* A 20-byte IPv4 header at b: total length len, IP ID id, DF when df, TTL
 * ttl, protocol proto, src -> dst (4 bytes each), header checksum set. */
static inline void pkt_ip4_hdr(uint8_t *b, uint16_t len, uint16_t id, bool df, uint8_t ttl,
                               uint8_t proto, const uint8_t *src, const uint8_t *dst)
{
    memset(b, 0, KP_IPV4_HDR_LEN);
    b[0] = 0x45;
    pkt_put16(b + 2, len);
    pkt_put16(b + 4, id);
    if (df)
        b[6] = 0x40;
    b[8] = ttl;
    b[9] = proto;
    memcpy(b + 12, src, 4);
    memcpy(b + 16, dst, 4);
    pkt_put16(b + 10, kp_cksum_fold(kp_cksum_add(0, b, KP_IPV4_HDR_LEN)));
}

/* An IPv4 ICMP error (type, code) from src to dst (IP ID id, TTL ttl) quoting
 * the first 28 bytes of probe (its IP header and 8 transport bytes, the RFC
 * 792 minimum) with the quoted TTL set to 1, as it expired at the router.
 * Both checksums set. Writes and returns 56 bytes. */
static inline size_t pkt_icmp4_error(uint8_t *out, const uint8_t *src, const uint8_t *dst,
                                     uint16_t id, uint8_t ttl, uint8_t type, uint8_t code,
                                     const uint8_t *probe)
{
    size_t len = KP_IPV4_HDR_LEN + KP_ICMP_HDR_LEN + 28;
    memset(out, 0, len);
    pkt_ip4_hdr(out, (uint16_t)len, id, false, ttl, KP_PROTO_ICMP, src, dst);
    uint8_t *ic = out + KP_IPV4_HDR_LEN;
    ic[0] = type;
    ic[1] = code;
    memcpy(ic + KP_ICMP_HDR_LEN, probe, 28);
    ic[KP_ICMP_HDR_LEN + 8] = 1;
    pkt_put16(ic + 2, kp_cksum_fold(kp_cksum_add(0, ic, KP_ICMP_HDR_LEN + 28)));
    return len;
}

#endif
