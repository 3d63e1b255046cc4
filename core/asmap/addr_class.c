/* SPDX-License-Identifier: BSD-2-Clause */
/* addr_class.c — special-purpose address classes: the class of the most
 * specific block of the IANA special-purpose registries (core/base/special_addr.h,
 * the one table of them) that holds an address or a whole prefix. Hop labels
 * (kp_addr_class_of) and the announcements the file sources drop
 * (kp_prefix_class, route_filter.c) both read it. Pure. */
#include "core/asmap/asmap.h"
#include "core/asmap/known_as.h"

#include <string.h>

static enum kp_addr_class class_of(const struct kp_addr *a)
{
    const struct kp_special_block *b = kp_special_lookup(a);
    return b ? b->cls : KP_ACLASS_PUBLIC;
}

enum kp_addr_class kp_addr_class_of(const struct kp_addr *a)
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (a == NULL)
        return KP_ACLASS_UNSPECIFIED;
    if (a->family == 4)
        return class_of(a);
    if (a->family == 6) {
        /* IPv4-mapped ::ffff:a.b.c.d takes the class of the IPv4 address. */
        if (memcmp(a->b, mapped, 12) == 0) {
            struct kp_addr v4;
            memset(&v4, 0, sizeof(v4));
            v4.family = 4;
            memcpy(v4.b, a->b + 12, 4);
            return class_of(&v4);
        }
        return class_of(a);
    }
    return KP_ACLASS_UNSPECIFIED;
}

/* The most specific block that holds all of prefix p (its length at least
 * the block's). */
enum kp_addr_class kp_prefix_class(const struct kp_prefix *p)
{
    if (p == NULL || (p->addr.family != 4 && p->addr.family != 6))
        return KP_ACLASS_UNSPECIFIED;
    size_t n = 0;
    const struct kp_special_block *tab = kp_special_blocks(&n);
    const struct kp_special_block *best = NULL;
    for (size_t i = 0; i < n; i++) {
        const struct kp_special_block *b = &tab[i];
        if (b->prefix.addr.family != p->addr.family ||
            (b->prefix.len >= 8 && b->prefix.addr.b[0] != p->addr.b[0]))
            continue; /* cheap tests first: this runs for every prefix loaded */
        if (b->prefix.len <= p->len && (best == NULL || b->prefix.len > best->prefix.len) &&
            kp_prefix_contains(&b->prefix, &p->addr))
            best = b;
    }
    return best ? best->cls : KP_ACLASS_PUBLIC;
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
     * docs/asmap.md. Only the ASes this project is about (known_as.h). */
    const struct kp_known_as *k = kp_known_as_find(asn);
    return k != NULL ? k->full : NULL;
}
