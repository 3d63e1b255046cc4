/* SPDX-License-Identifier: BSD-2-Clause */
/* kp_asn_parse (core/asmap/asn_num.h): asplain, the optional "AS" prefix and
 * asdot (RFC 5396: "1.10" is 1 * 65536 + 10 = 65546). */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "core/asmap/asn_num.h"

static int p(const char *s, unsigned flags, uint32_t *out)
{
    return kp_asn_parse(s, strlen(s), flags, out);
}

Test(asn_num, asplain_bounds)
{
    uint32_t a = 0;
    cr_assert_eq(p("0", 0, &a), 0);
    cr_assert_eq(a, 0);
    cr_assert_eq(p("4294967295", 0, &a), 0);
    cr_assert_eq(a, 4294967295u);
    cr_assert_eq(p("4294967296", 0, &a), -EINVAL);
    cr_assert_eq(p("", 0, &a), -EINVAL);
    cr_assert_eq(p("12345678901", 0, &a), -EINVAL);
    cr_assert_eq(p(" 4837", 0, &a), -EINVAL);
    cr_assert_eq(p("+4837", 0, &a), -EINVAL);
}

Test(asn_num, prefix_only_when_asked)
{
    uint32_t a = 0;
    cr_assert_eq(p("AS4837", 0, &a), -EINVAL);
    cr_assert_eq(p("AS4837", KP_ASN_PREFIX_OK, &a), 0);
    cr_assert_eq(a, 4837);
    cr_assert_eq(p("as131279", KP_ASN_PREFIX_OK, &a), 0);
    cr_assert_eq(a, 131279);
    cr_assert_eq(p("AS", KP_ASN_PREFIX_OK, &a), -EINVAL);
}

Test(asn_num, asdot_only_when_asked)
{
    uint32_t a = 0;
    cr_assert_eq(p("1.10", 0, &a), -EINVAL);
    cr_assert_eq(p("1.10", KP_ASN_ASDOT_OK, &a), 0);
    cr_assert_eq(a, 65546);
    cr_assert_eq(p("65535.65535", KP_ASN_ASDOT_OK, &a), 0);
    cr_assert_eq(a, 4294967295u);
    cr_assert_eq(p("65536.0", KP_ASN_ASDOT_OK, &a), -EINVAL);
    cr_assert_eq(p("1.", KP_ASN_ASDOT_OK, &a), -EINVAL);
    cr_assert_eq(p(".1", KP_ASN_ASDOT_OK, &a), -EINVAL);
    cr_assert_eq(p("1.2.3", KP_ASN_ASDOT_OK, &a), -EINVAL);
    cr_assert_eq(p("4837", KP_ASN_ASDOT_OK, &a), 0);
    cr_assert_eq(a, 4837);
}

/* The special-purpose AS numbers, at each range's edges: RFC 7607 (0), RFC
 * 6793 (AS_TRANS), RFC 5398 (documentation), RFC 6996 (private), RFC 7300
 * (65535, 4294967295), IANA reserved 65552-131071. */
Test(asn_num, special_purpose_classes)
{
    static const struct {
        uint32_t asn;
        enum kp_asn_class cls;
    } cases[] = {
        {0, KP_ASCLASS_RESERVED},           {1, KP_ASCLASS_PUBLIC},
        {4837, KP_ASCLASS_PUBLIC},          {23455, KP_ASCLASS_PUBLIC},
        {23456, KP_ASCLASS_AS_TRANS},       {23457, KP_ASCLASS_PUBLIC},
        {64495, KP_ASCLASS_PUBLIC},         {64496, KP_ASCLASS_DOCUMENTATION},
        {64511, KP_ASCLASS_DOCUMENTATION},  {64512, KP_ASCLASS_PRIVATE},
        {65534, KP_ASCLASS_PRIVATE},        {65535, KP_ASCLASS_RESERVED},
        {65536, KP_ASCLASS_DOCUMENTATION},  {65551, KP_ASCLASS_DOCUMENTATION},
        {65552, KP_ASCLASS_RESERVED},       {65559, KP_ASCLASS_RESERVED},
        {131071, KP_ASCLASS_RESERVED},      {131072, KP_ASCLASS_PUBLIC},
        {131279, KP_ASCLASS_PUBLIC},        {4199999999u, KP_ASCLASS_PUBLIC},
        {4200000000u, KP_ASCLASS_PRIVATE},  {4294967294u, KP_ASCLASS_PRIVATE},
        {4294967295u, KP_ASCLASS_RESERVED},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        cr_assert_eq(kp_asn_class_of(cases[i].asn), cases[i].cls, "AS%u", cases[i].asn);
    cr_assert_str_eq(kp_asn_class_name(KP_ASCLASS_PUBLIC), "public");
    cr_assert_str_eq(kp_asn_class_name(KP_ASCLASS_PRIVATE), "private");
    cr_assert_str_eq(kp_asn_class_name(KP_ASCLASS_DOCUMENTATION), "documentation");
    cr_assert_str_eq(kp_asn_class_name(KP_ASCLASS_RESERVED), "reserved");
    cr_assert_str_eq(kp_asn_class_name(KP_ASCLASS_AS_TRANS), "as-trans");
}
