/* kp_asn_parse (analysis/asn_num.h): asplain, the optional "AS" prefix and
 * asdot (RFC 5396: "1.10" is 1 * 65536 + 10 = 65546). */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "analysis/asn_num.h"

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
