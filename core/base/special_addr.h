/* SPDX-License-Identifier: BSD-2-Clause */
/* special_addr.h — the IANA special-purpose address registries as a table.
 *
 * One table for the whole project: kptrace's default target blocklist
 * (blocklist.h) and kpannotate's address classes (core/asmap/asmap.h,
 * kp_addr_class_of) both read it. Entries: every block of the IANA IPv4 and
 * IPv6 Special-Purpose Address Registries (RFC 6890 and the RFCs that updated
 * them, as of 2024), the IPv4 and IPv6 multicast blocks (RFC 5771, RFC 4291),
 * the IPv4 "reserved for future use" block and limited broadcast. Blocks nest
 * (192.0.0.9/32 inside 192.0.0.0/24): the most specific one describes an
 * address. Documented, with what is blocked and why, in docs/kptrace.md.
 *
 * Pure: constant data, no allocation, no globals written.
 */
#ifndef KP_SPECIAL_ADDR_H
#define KP_SPECIAL_ADDR_H

#include <stdbool.h>
#include <stddef.h>

#include "core/base/trie.h"
#include "core/base/addr.h"

/* Address classes (labels of kpannotate's hops, "addr_class" in its output). */
enum kp_addr_class {
    KP_ACLASS_PUBLIC = 0,    /* nothing special */
    KP_ACLASS_PRIVATE,       /* 10/8, 172.16/12, 192.168/16, fc00::/7 */
    KP_ACLASS_SHARED,        /* 100.64.0.0/10 (RFC 6598, CGN) */
    KP_ACLASS_LOOPBACK,      /* 127/8, ::1 */
    KP_ACLASS_LINK_LOCAL,    /* 169.254/16, fe80::/10 */
    KP_ACLASS_MULTICAST,     /* 224/4, ff00::/8 */
    KP_ACLASS_UNSPECIFIED,   /* 0/8 ("this network"), :: */
    KP_ACLASS_RESERVED,      /* 240/4, 255.255.255.255, 192.0.0/24, ... */
    KP_ACLASS_DOCUMENTATION, /* 192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32 */
    KP_ACLASS_BENCHMARKING,  /* 198.18.0.0/15, 2001:2::/48 (RFC 2544/5180) */
    KP_ACLASS_COUNT
};

/* One registry block. */
struct kp_special_block {
    struct kp_prefix prefix;
    const char *name; /* the registry's name, lower case: "multicast", "private-use" */
    const char *rfc;  /* the RFC that defines it: "RFC 5771" */
    enum kp_addr_class cls;
    /* The registry's "Globally Reachable" (true also where it says N/A:
     * Teredo, 6to4): such a block is a real Internet destination (an anycast
     * service, a tunnel) and is not in the default blocklist, even inside a
     * block that is. */
    bool global;
};

/* The table: *n entries, IPv4 first, each family in address order. */
const struct kp_special_block *kp_special_blocks(size_t *n);

/* The most specific block holding address a, or NULL (an ordinary address,
 * or a unset). IPv4-mapped IPv6 addresses are found as ::ffff:0:0/96. */
const struct kp_special_block *kp_special_lookup(const struct kp_addr *a);

#endif
