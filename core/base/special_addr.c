/* SPDX-License-Identifier: BSD-2-Clause */
/* special_addr.c — the IANA special-purpose address registries. See
 * special_addr.h. Sources: IANA IPv4 Special-Purpose Address Registry, IANA
 * IPv6 Special-Purpose Address Registry (both per RFC 6890, RFC 8190), IANA
 * IPv4 and IPv6 Multicast Address Space Registries. */
#include "core/base/special_addr.h"

#include <string.h>

#define V4(a, b, c, d, len)                                                                        \
    {                                                                                              \
        {4, {a, b, c, d}}, len                                                                     \
    }
#define V6(len, ...)                                                                               \
    {                                                                                              \
        {6, {__VA_ARGS__}}, len                                                                    \
    }

static const struct kp_special_block blocks[] = {
    /* IPv4 */
    {V4(0, 0, 0, 0, 8), "this network", "RFC 791", KP_ACLASS_UNSPECIFIED, false},
    {V4(0, 0, 0, 0, 32), "this host on this network", "RFC 1122", KP_ACLASS_UNSPECIFIED, false},
    {V4(10, 0, 0, 0, 8), "private-use", "RFC 1918", KP_ACLASS_PRIVATE, false},
    {V4(100, 64, 0, 0, 10), "shared address space", "RFC 6598", KP_ACLASS_SHARED, false},
    {V4(127, 0, 0, 0, 8), "loopback", "RFC 1122", KP_ACLASS_LOOPBACK, false},
    {V4(169, 254, 0, 0, 16), "link-local", "RFC 3927", KP_ACLASS_LINK_LOCAL, false},
    {V4(172, 16, 0, 0, 12), "private-use", "RFC 1918", KP_ACLASS_PRIVATE, false},
    {V4(192, 0, 0, 0, 24), "IETF protocol assignments", "RFC 6890", KP_ACLASS_RESERVED, false},
    {V4(192, 0, 0, 0, 29), "IPv4 service continuity prefix", "RFC 7335", KP_ACLASS_RESERVED, false},
    {V4(192, 0, 0, 8, 32), "IPv4 dummy address", "RFC 7600", KP_ACLASS_RESERVED, false},
    {V4(192, 0, 0, 9, 32), "port control protocol anycast", "RFC 7723", KP_ACLASS_PUBLIC, true},
    {V4(192, 0, 0, 10, 32), "traversal using relays around NAT anycast", "RFC 8155",
     KP_ACLASS_PUBLIC, true},
    {V4(192, 0, 0, 170, 32), "NAT64/DNS64 discovery", "RFC 8880", KP_ACLASS_RESERVED, false},
    {V4(192, 0, 0, 171, 32), "NAT64/DNS64 discovery", "RFC 8880", KP_ACLASS_RESERVED, false},
    {V4(192, 0, 2, 0, 24), "documentation (TEST-NET-1)", "RFC 5737", KP_ACLASS_DOCUMENTATION,
     false},
    {V4(192, 31, 196, 0, 24), "AS112-v4", "RFC 7535", KP_ACLASS_PUBLIC, true},
    {V4(192, 52, 193, 0, 24), "AMT", "RFC 7450", KP_ACLASS_PUBLIC, true},
    {V4(192, 88, 99, 0, 24), "deprecated (6to4 relay anycast)", "RFC 7526", KP_ACLASS_RESERVED,
     false},
    {V4(192, 168, 0, 0, 16), "private-use", "RFC 1918", KP_ACLASS_PRIVATE, false},
    {V4(192, 175, 48, 0, 24), "direct delegation AS112 service", "RFC 7534", KP_ACLASS_PUBLIC,
     true},
    {V4(198, 18, 0, 0, 15), "benchmarking", "RFC 2544", KP_ACLASS_BENCHMARKING, false},
    {V4(198, 51, 100, 0, 24), "documentation (TEST-NET-2)", "RFC 5737", KP_ACLASS_DOCUMENTATION,
     false},
    {V4(203, 0, 113, 0, 24), "documentation (TEST-NET-3)", "RFC 5737", KP_ACLASS_DOCUMENTATION,
     false},
    {V4(224, 0, 0, 0, 4), "multicast", "RFC 5771", KP_ACLASS_MULTICAST, false},
    {V4(240, 0, 0, 0, 4), "reserved", "RFC 1112", KP_ACLASS_RESERVED, false},
    {V4(255, 255, 255, 255, 32), "limited broadcast", "RFC 919", KP_ACLASS_RESERVED, false},
    /* IPv6 */
    {V6(128, 0), "unspecified address", "RFC 4291", KP_ACLASS_UNSPECIFIED, false},
    {V6(128, [15] = 1), "loopback address", "RFC 4291", KP_ACLASS_LOOPBACK, false},
    {V6(96, [10] = 0xff, [11] = 0xff), "IPv4-mapped address", "RFC 4291", KP_ACLASS_RESERVED,
     false},
    {V6(96, 0x00, 0x64, 0xff, 0x9b), "IPv4-IPv6 translation", "RFC 6052", KP_ACLASS_PUBLIC, true},
    {V6(48, 0x00, 0x64, 0xff, 0x9b, 0x00, 0x01), "IPv4-IPv6 translation (local use)", "RFC 8215",
     KP_ACLASS_RESERVED, false},
    {V6(64, 0x01, 0x00), "discard-only address block", "RFC 6666", KP_ACLASS_RESERVED, false},
    {V6(23, 0x20, 0x01), "IETF protocol assignments", "RFC 2928", KP_ACLASS_RESERVED, false},
    {V6(32, 0x20, 0x01), "TEREDO", "RFC 4380", KP_ACLASS_PUBLIC, true},
    {V6(128, 0x20, 0x01, 0x00, 0x01, [15] = 1), "port control protocol anycast", "RFC 7723",
     KP_ACLASS_PUBLIC, true},
    {V6(128, 0x20, 0x01, 0x00, 0x01, [15] = 2), "traversal using relays around NAT anycast",
     "RFC 8155", KP_ACLASS_PUBLIC, true},
    {V6(128, 0x20, 0x01, 0x00, 0x01, [15] = 3), "DNS-SD service registration protocol anycast",
     "RFC 9665", KP_ACLASS_PUBLIC, true},
    {V6(48, 0x20, 0x01, 0x00, 0x02), "benchmarking", "RFC 5180", KP_ACLASS_BENCHMARKING, false},
    {V6(32, 0x20, 0x01, 0x00, 0x03), "AMT", "RFC 7450", KP_ACLASS_PUBLIC, true},
    {V6(48, 0x20, 0x01, 0x00, 0x04, 0x01, 0x12), "AS112-v6", "RFC 7535", KP_ACLASS_PUBLIC, true},
    {V6(28, 0x20, 0x01, 0x00, 0x10), "deprecated (previously ORCHID)", "RFC 4843",
     KP_ACLASS_RESERVED, false},
    {V6(28, 0x20, 0x01, 0x00, 0x20), "ORCHIDv2", "RFC 7343", KP_ACLASS_PUBLIC, true},
    {V6(28, 0x20, 0x01, 0x00, 0x30), "drone remote ID protocol entity tags", "RFC 9374",
     KP_ACLASS_PUBLIC, true},
    {V6(32, 0x20, 0x01, 0x0d, 0xb8), "documentation", "RFC 3849", KP_ACLASS_DOCUMENTATION, false},
    {V6(16, 0x20, 0x02), "6to4", "RFC 3056", KP_ACLASS_PUBLIC, true},
    {V6(48, 0x26, 0x20, 0x00, 0x4f, 0x80, 0x00), "direct delegation AS112 service", "RFC 7534",
     KP_ACLASS_PUBLIC, true},
    {V6(20, 0x3f, 0xff), "documentation", "RFC 9637", KP_ACLASS_DOCUMENTATION, false},
    {V6(16, 0x5f, 0x00), "segment routing (SRv6) SIDs", "RFC 9602", KP_ACLASS_RESERVED, false},
    {V6(7, 0xfc), "unique-local", "RFC 4193", KP_ACLASS_PRIVATE, false},
    {V6(10, 0xfe, 0x80), "link-local unicast", "RFC 4291", KP_ACLASS_LINK_LOCAL, false},
    {V6(8, 0xff), "multicast", "RFC 4291", KP_ACLASS_MULTICAST, false},
};

const struct kp_special_block *kp_special_blocks(size_t *n)
{
    *n = sizeof(blocks) / sizeof(blocks[0]);
    return blocks;
}

const struct kp_special_block *kp_special_lookup(const struct kp_addr *a)
{
    const struct kp_special_block *best = NULL;
    if (a == NULL || (a->family != 4 && a->family != 6))
        return NULL;
    for (size_t i = 0; i < sizeof(blocks) / sizeof(blocks[0]); i++) {
        const struct kp_special_block *b = &blocks[i];
        /* cheap tests first: this runs for every hop annotated */
        if (b->prefix.addr.family != a->family ||
            (b->prefix.len >= 8 && b->prefix.addr.b[0] != a->b[0]))
            continue;
        if ((best == NULL || b->prefix.len > best->prefix.len) && kp_prefix_contains(&b->prefix, a))
            best = b;
    }
    return best;
}
