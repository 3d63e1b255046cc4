/* SPDX-License-Identifier: BSD-2-Clause */
/* test_addr_class.c — special-purpose classes, expected values from the
 * IANA special-purpose registries (RFC 6890 and the RFCs named per case). */
#include <criterion/criterion.h>
#include <string.h>

#include "core/asmap/asmap.h"

static enum kp_addr_class C(const char *s)
{
    struct kp_addr a;
    cr_assert_eq(kp_addr_parse(s, &a), 0, "parse %s", s);
    return kp_addr_class_of(&a);
}

Test(addr_class, ipv4_blocks)
{
    cr_assert_eq(C("10.0.0.1"), KP_ACLASS_PRIVATE);
    cr_assert_eq(C("172.16.0.0"), KP_ACLASS_PRIVATE);
    cr_assert_eq(C("172.31.255.255"), KP_ACLASS_PRIVATE);
    cr_assert_eq(C("172.32.0.0"), KP_ACLASS_PUBLIC);
    cr_assert_eq(C("192.168.1.1"), KP_ACLASS_PRIVATE);
    cr_assert_eq(C("100.64.0.0"), KP_ACLASS_SHARED); /* RFC 6598 */
    cr_assert_eq(C("100.127.255.255"), KP_ACLASS_SHARED);
    cr_assert_eq(C("100.128.0.0"), KP_ACLASS_PUBLIC);
    cr_assert_eq(C("127.0.0.1"), KP_ACLASS_LOOPBACK);
    cr_assert_eq(C("169.254.3.4"), KP_ACLASS_LINK_LOCAL);
    cr_assert_eq(C("0.1.2.3"), KP_ACLASS_UNSPECIFIED);
    cr_assert_eq(C("192.0.0.8"), KP_ACLASS_RESERVED);
    cr_assert_eq(C("192.0.0.9"), KP_ACLASS_PUBLIC);        /* PCP anycast, globally reachable */
    cr_assert_eq(C("192.0.0.10"), KP_ACLASS_PUBLIC);       /* TURN anycast */
    cr_assert_eq(C("192.0.2.1"), KP_ACLASS_DOCUMENTATION); /* RFC 5737 */
    cr_assert_eq(C("198.51.100.7"), KP_ACLASS_DOCUMENTATION);
    cr_assert_eq(C("203.0.113.255"), KP_ACLASS_DOCUMENTATION);
    cr_assert_eq(C("198.18.0.1"), KP_ACLASS_BENCHMARKING); /* RFC 2544: 198.18.0.0/15 */
    cr_assert_eq(C("198.19.255.255"), KP_ACLASS_BENCHMARKING);
    cr_assert_eq(C("198.17.255.255"), KP_ACLASS_PUBLIC);
    cr_assert_eq(C("198.20.0.0"), KP_ACLASS_PUBLIC);
    cr_assert_eq(C("224.0.0.5"), KP_ACLASS_MULTICAST);
    cr_assert_eq(C("239.255.255.255"), KP_ACLASS_MULTICAST);
    cr_assert_eq(C("240.0.0.1"), KP_ACLASS_RESERVED);
    cr_assert_eq(C("255.255.255.255"), KP_ACLASS_RESERVED);
    cr_assert_eq(C("175.45.176.1"), KP_ACLASS_PUBLIC);
    cr_assert_eq(C("219.158.1.1"), KP_ACLASS_PUBLIC);
    cr_assert_eq(C("188.43.225.153"), KP_ACLASS_PUBLIC);
}

Test(addr_class, ipv6_blocks)
{
    cr_assert_eq(C("::"), KP_ACLASS_UNSPECIFIED);
    cr_assert_eq(C("::1"), KP_ACLASS_LOOPBACK);
    cr_assert_eq(C("::2"), KP_ACLASS_PUBLIC);
    cr_assert_eq(C("fe80::1"), KP_ACLASS_LINK_LOCAL);
    cr_assert_eq(C("febf::1"), KP_ACLASS_LINK_LOCAL);
    cr_assert_eq(C("fec0::1"), KP_ACLASS_PUBLIC);
    cr_assert_eq(C("fd12:3456::1"), KP_ACLASS_PRIVATE); /* RFC 4193 fc00::/7 */
    cr_assert_eq(C("fc00::1"), KP_ACLASS_PRIVATE);
    cr_assert_eq(C("ff02::1"), KP_ACLASS_MULTICAST);
    cr_assert_eq(C("2001:db8::1"), KP_ACLASS_DOCUMENTATION);  /* RFC 3849 */
    cr_assert_eq(C("3fff:0fff::1"), KP_ACLASS_DOCUMENTATION); /* RFC 9637 3fff::/20 */
    cr_assert_eq(C("3fff:1000::1"), KP_ACLASS_PUBLIC);
    cr_assert_eq(C("2001:2::1"), KP_ACLASS_BENCHMARKING); /* RFC 5180 */
    cr_assert_eq(C("2001:2:1::1"), KP_ACLASS_RESERVED);   /* rest of 2001::/23 */
    /* parts of 2001::/23 the IANA registry marks globally reachable */
    cr_assert_eq(C("2001:0:4136:e378::1"), KP_ACLASS_PUBLIC); /* Teredo 2001::/32 */
    cr_assert_eq(C("2001:1::1"), KP_ACLASS_PUBLIC);           /* PCP anycast */
    cr_assert_eq(C("2001:1::4"), KP_ACLASS_RESERVED);
    cr_assert_eq(C("2001:3::5"), KP_ACLASS_PUBLIC);     /* AMT */
    cr_assert_eq(C("2001:4:112::1"), KP_ACLASS_PUBLIC); /* AS112-v6 */
    cr_assert_eq(C("2001:4:113::1"), KP_ACLASS_RESERVED);
    cr_assert_eq(C("2001:20::1"), KP_ACLASS_PUBLIC);   /* ORCHIDv2 2001:20::/28 */
    cr_assert_eq(C("2001:10::1"), KP_ACLASS_RESERVED); /* deprecated ORCHID */
    cr_assert_eq(C("2001:200::1"), KP_ACLASS_PUBLIC);  /* just past 2001::/23 */
    cr_assert_eq(C("100::1"), KP_ACLASS_RESERVED);     /* RFC 6666 */
    cr_assert_eq(C("2001:4860::8888"), KP_ACLASS_PUBLIC);
    cr_assert_eq(C("::ffff:10.1.2.3"), KP_ACLASS_PRIVATE);
    cr_assert_eq(C("::ffff:198.18.0.1"), KP_ACLASS_BENCHMARKING);
}

Test(addr_class, labels_and_routability)
{
    cr_assert_str_eq(kp_addr_class_name(KP_ACLASS_BENCHMARKING), "benchmarking");
    cr_assert_str_eq(kp_addr_class_name(KP_ACLASS_SHARED), "shared");
    cr_assert_str_eq(kp_addr_class_name(KP_ACLASS_PUBLIC), "public");
    /* the testbed's ranges must stay routable so sources answer for them */
    cr_assert(kp_addr_class_routable(KP_ACLASS_BENCHMARKING));
    cr_assert(kp_addr_class_routable(KP_ACLASS_DOCUMENTATION));
    cr_assert(kp_addr_class_routable(KP_ACLASS_PUBLIC));
    cr_assert_not(kp_addr_class_routable(KP_ACLASS_PRIVATE));
    cr_assert_not(kp_addr_class_routable(KP_ACLASS_SHARED));
    cr_assert_not(kp_addr_class_routable(KP_ACLASS_LOOPBACK));
    struct kp_addr unset = {0};
    cr_assert_eq(kp_addr_class_of(&unset), KP_ACLASS_UNSPECIFIED);
}

Test(addr_class, builtin_names)
{
    cr_assert_not_null(kp_asn_builtin_name(4837));
    cr_assert_not_null(strstr(kp_asn_builtin_name(4837), "China Unicom"));
    cr_assert_not_null(strstr(kp_asn_builtin_name(20485), "TransTeleCom"));
    cr_assert_not_null(strstr(kp_asn_builtin_name(22351), "Intelsat"));
    cr_assert_not_null(strstr(kp_asn_builtin_name(131279), "Star JV"));
    cr_assert_null(kp_asn_builtin_name(64512));
}

static enum kp_addr_class PC(const char *s)
{
    struct kp_prefix p;
    cr_assert_eq(kp_prefix_parse(s, false, &p), 0, "parse %s", s);
    return kp_prefix_class(&p);
}

/* A prefix is special when a special block holds all of it. */
Test(addr_class, prefixes)
{
    cr_assert_eq(PC("10.6.0.0/16"), KP_ACLASS_PRIVATE);
    cr_assert_eq(PC("10.0.0.0/8"), KP_ACLASS_PRIVATE);
    cr_assert_eq(PC("10.0.0.0/7"), KP_ACLASS_PUBLIC, "covers 10/8, is not inside it");
    cr_assert_eq(PC("192.0.0.0/16"), KP_ACLASS_PUBLIC);
    cr_assert_eq(PC("192.0.0.0/24"), KP_ACLASS_RESERVED);
    cr_assert_eq(PC("192.0.0.8/29"), KP_ACLASS_RESERVED);
    cr_assert_eq(PC("192.0.0.9/32"), KP_ACLASS_PUBLIC);
    cr_assert_eq(PC("198.18.0.0/15"), KP_ACLASS_BENCHMARKING);
    cr_assert_eq(PC("198.16.0.0/14"), KP_ACLASS_PUBLIC);
    cr_assert_eq(PC("198.19.176.0/24"), KP_ACLASS_BENCHMARKING);
    cr_assert_eq(PC("224.0.0.0/4"), KP_ACLASS_MULTICAST);
    cr_assert_eq(PC("0.0.0.0/8"), KP_ACLASS_UNSPECIFIED);
    cr_assert_eq(PC("0.0.0.0/0"), KP_ACLASS_PUBLIC);
    cr_assert_eq(PC("175.45.176.0/22"), KP_ACLASS_PUBLIC);
    cr_assert_eq(PC("::/0"), KP_ACLASS_PUBLIC);
    cr_assert_eq(PC("::ffff:0:0/96"), KP_ACLASS_RESERVED); /* IPv4-mapped */
    cr_assert_eq(PC("::ffff:8.8.8.0/120"), KP_ACLASS_RESERVED);
    cr_assert_eq(PC("64:ff9b::/96"), KP_ACLASS_PUBLIC);     /* NAT64, RFC 6052 */
    cr_assert_eq(PC("64:ff9b:1::/48"), KP_ACLASS_RESERVED); /* RFC 8215 */
    cr_assert_eq(PC("5f00::/16"), KP_ACLASS_RESERVED);      /* SRv6 SIDs, RFC 9602 */
    cr_assert_eq(PC("2001:db8::/32"), KP_ACLASS_DOCUMENTATION);
    cr_assert_eq(PC("2001::/32"), KP_ACLASS_PUBLIC); /* Teredo */
    cr_assert_eq(PC("2001::/23"), KP_ACLASS_RESERVED);
    cr_assert_eq(PC("2001::/16"), KP_ACLASS_PUBLIC);
    cr_assert_eq(PC("fd00::/16"), KP_ACLASS_PRIVATE);
    cr_assert_eq(PC("2a00::/24"), KP_ACLASS_PUBLIC);
    /* addresses in the new blocks */
    cr_assert_eq(C("64:ff9b:1::1"), KP_ACLASS_RESERVED);
    cr_assert_eq(C("5f00::1"), KP_ACLASS_RESERVED);
    cr_assert_eq(C("64:ff9b::808:808"), KP_ACLASS_PUBLIC);
    cr_assert_eq(C("::ffff:8.8.8.8"), KP_ACLASS_PUBLIC, "a mapped address: its IPv4 class");
}
