/* addr_class.c — special-purpose address classes (RFC 6890 and the IANA
 * IPv4/IPv6 Special-Purpose Address Registries, RFC 6598, RFC 2544, RFC 5180,
 * RFC 5737, RFC 3849, RFC 9637, RFC 8215, RFC 9602). The one table of
 * special-purpose ranges: hop labels (kp_addr_class_of) and the announcements
 * the file sources drop (kp_prefix_class, route_filter.c) both read it. Pure:
 * constant tables, linear scan, the most specific block wins. */
#include "analysis/asmap.h"

#include <string.h>

struct block {
    uint8_t b[16];
    uint8_t len;
    enum kp_addr_class cls;
};

static const struct block v4_blocks[] = {
    {{0, 0, 0, 0}, 8, KP_ACLASS_UNSPECIFIED},         /* "this network" RFC 791 */
    {{10, 0, 0, 0}, 8, KP_ACLASS_PRIVATE},            /* RFC 1918 */
    {{100, 64, 0, 0}, 10, KP_ACLASS_SHARED},          /* RFC 6598 */
    {{127, 0, 0, 0}, 8, KP_ACLASS_LOOPBACK},          /* RFC 1122 */
    {{169, 254, 0, 0}, 16, KP_ACLASS_LINK_LOCAL},     /* RFC 3927 */
    {{172, 16, 0, 0}, 12, KP_ACLASS_PRIVATE},         /* RFC 1918 */
    {{192, 0, 0, 0}, 24, KP_ACLASS_RESERVED},         /* IETF protocol assignments */
    {{192, 0, 0, 9}, 32, KP_ACLASS_PUBLIC},           /* PCP anycast: globally reachable */
    {{192, 0, 0, 10}, 32, KP_ACLASS_PUBLIC},          /* TURN anycast: globally reachable */
    {{192, 0, 2, 0}, 24, KP_ACLASS_DOCUMENTATION},    /* TEST-NET-1, RFC 5737 */
    {{192, 88, 99, 0}, 24, KP_ACLASS_RESERVED},       /* 6to4 relay anycast, RFC 7526 */
    {{192, 168, 0, 0}, 16, KP_ACLASS_PRIVATE},        /* RFC 1918 */
    {{198, 18, 0, 0}, 15, KP_ACLASS_BENCHMARKING},    /* RFC 2544 */
    {{198, 51, 100, 0}, 24, KP_ACLASS_DOCUMENTATION}, /* TEST-NET-2 */
    {{203, 0, 113, 0}, 24, KP_ACLASS_DOCUMENTATION},  /* TEST-NET-3 */
    {{224, 0, 0, 0}, 4, KP_ACLASS_MULTICAST},         /* RFC 5771 */
    {{240, 0, 0, 0}, 4, KP_ACLASS_RESERVED},          /* RFC 1112 */
    {{255, 255, 255, 255}, 32, KP_ACLASS_RESERVED},   /* limited broadcast */
};

static const struct block v6_blocks[] = {
    {{0}, 128, KP_ACLASS_UNSPECIFIED},                                           /* :: */
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128, KP_ACLASS_LOOPBACK}, /* ::1 */
    /* IPv4-mapped ::ffff:0:0/96: an address there takes its IPv4 class (see
     * kp_addr_class_of); the entry classes prefixes (kp_prefix_class). */
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff}, 96, KP_ACLASS_RESERVED},
    {{0x00, 0x64, 0xff, 0x9b, 0x00, 0x01}, 48, KP_ACLASS_RESERVED}, /* local-use NAT64, RFC 8215 */
    {{0x01, 0x00, 0, 0, 0, 0, 0, 0}, 64, KP_ACLASS_RESERVED},       /* discard-only RFC 6666 */
    {{0x20, 0x01, 0x00, 0x00}, 23, KP_ACLASS_RESERVED},             /* IETF protocol assignments */
    /* globally reachable parts of 2001::/23 (IANA registry) */
    {{0x20, 0x01, 0x00, 0x00}, 32, KP_ACLASS_PUBLIC}, /* TEREDO */
    {{0x20, 0x01, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01}, 128, KP_ACLASS_PUBLIC},
    {{0x20, 0x01, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02}, 128, KP_ACLASS_PUBLIC},
    {{0x20, 0x01, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x03}, 128, KP_ACLASS_PUBLIC},
    {{0x20, 0x01, 0x00, 0x03}, 32, KP_ACLASS_PUBLIC},                   /* AMT */
    {{0x20, 0x01, 0x00, 0x04, 0x01, 0x12}, 48, KP_ACLASS_PUBLIC},       /* AS112-v6 */
    {{0x20, 0x01, 0x00, 0x20}, 28, KP_ACLASS_PUBLIC},                   /* ORCHIDv2 */
    {{0x20, 0x01, 0x00, 0x30}, 28, KP_ACLASS_PUBLIC},                   /* DRIP DETs */
    {{0x20, 0x01, 0x00, 0x02, 0x00, 0x00}, 48, KP_ACLASS_BENCHMARKING}, /* RFC 5180 */
    {{0x20, 0x01, 0x0d, 0xb8}, 32, KP_ACLASS_DOCUMENTATION},            /* RFC 3849 */
    {{0x3f, 0xff, 0x00}, 20, KP_ACLASS_DOCUMENTATION},                  /* RFC 9637 */
    {{0x5f, 0x00}, 16, KP_ACLASS_RESERVED},                             /* SRv6 SIDs RFC 9602 */
    {{0xfc, 0x00}, 7, KP_ACLASS_PRIVATE},                               /* unique local RFC 4193 */
    {{0xfe, 0x80}, 10, KP_ACLASS_LINK_LOCAL},                           /* RFC 4291 */
    {{0xff, 0x00}, 8, KP_ACLASS_MULTICAST},                             /* RFC 4291 */
};

static bool in_block(const struct block *blk, const uint8_t *b)
{
    unsigned full = blk->len / 8, rest = blk->len % 8;
    if (memcmp(blk->b, b, full) != 0)
        return false;
    if (rest == 0)
        return true;
    uint8_t mask = (uint8_t)(0xFFu << (8 - rest));
    return (blk->b[full] & mask) == (b[full] & mask);
}

/* The most specific block of tab that contains all of the prefix b/plen
 * (plen 128 for an address). */
static enum kp_addr_class scan(const struct block *tab, size_t n, const uint8_t *b, unsigned plen)
{
    enum kp_addr_class cls = KP_ACLASS_PUBLIC;
    int best = -1;
    for (size_t i = 0; i < n; i++) {
        if ((int)tab[i].len > best && tab[i].len <= plen && in_block(&tab[i], b)) {
            best = tab[i].len;
            cls = tab[i].cls;
        }
    }
    return cls;
}

enum kp_addr_class kp_addr_class_of(const struct kp_addr *a)
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (a == NULL)
        return KP_ACLASS_UNSPECIFIED;
    if (a->family == 4)
        return scan(v4_blocks, sizeof(v4_blocks) / sizeof(v4_blocks[0]), a->b, 32);
    if (a->family == 6) {
        /* IPv4-mapped ::ffff:a.b.c.d takes the class of the IPv4 address. */
        if (memcmp(a->b, mapped, 12) == 0)
            return scan(v4_blocks, sizeof(v4_blocks) / sizeof(v4_blocks[0]), a->b + 12, 32);
        return scan(v6_blocks, sizeof(v6_blocks) / sizeof(v6_blocks[0]), a->b, 128);
    }
    return KP_ACLASS_UNSPECIFIED;
}

enum kp_addr_class kp_prefix_class(const struct kp_prefix *p)
{
    if (p == NULL)
        return KP_ACLASS_UNSPECIFIED;
    if (p->addr.family == 4)
        return scan(v4_blocks, sizeof(v4_blocks) / sizeof(v4_blocks[0]), p->addr.b, p->len);
    if (p->addr.family == 6)
        return scan(v6_blocks, sizeof(v6_blocks) / sizeof(v6_blocks[0]), p->addr.b, p->len);
    return KP_ACLASS_UNSPECIFIED;
}

const char *kp_addr_class_name(enum kp_addr_class c)
{
    switch (c) {
    case KP_ACLASS_PUBLIC:
        return "public";
    case KP_ACLASS_PRIVATE:
        return "private";
    case KP_ACLASS_SHARED:
        return "shared";
    case KP_ACLASS_LOOPBACK:
        return "loopback";
    case KP_ACLASS_LINK_LOCAL:
        return "link-local";
    case KP_ACLASS_MULTICAST:
        return "multicast";
    case KP_ACLASS_UNSPECIFIED:
        return "unspecified";
    case KP_ACLASS_RESERVED:
        return "reserved";
    case KP_ACLASS_DOCUMENTATION:
        return "documentation";
    case KP_ACLASS_BENCHMARKING:
        return "benchmarking";
    case KP_ACLASS_COUNT:
        break;
    }
    return "unknown";
}

bool kp_addr_class_routable(enum kp_addr_class c)
{
    return c == KP_ACLASS_PUBLIC || c == KP_ACLASS_DOCUMENTATION || c == KP_ACLASS_BENCHMARKING;
}

const char *kp_asn_builtin_name(uint32_t asn)
{
    /* Names as the RIR/whois records give them, shortened; documented in
     * docs/asmap.md. Only the ASes this project is about. */
    switch (asn) {
    case 4837:
        return "China Unicom (CHINA169-BACKBONE)";
    case 20485:
        return "TransTeleCom (TRANSTELECOM)";
    case 22351:
        return "Intelsat (INTELSAT-1)";
    case 131279:
        return "Star JV (STAR-KP)";
    }
    return NULL;
}
