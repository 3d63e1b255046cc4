/* SPDX-License-Identifier: BSD-2-Clause */
/* test_cymru_parse.c — Team Cymru TXT answers. The valid strings are the
 * documented shapes (reference.md §2 and Team Cymru's examples, e.g.
 * "3561 | 216.88.0.0/14 | US | arin | 1998-09-25"); query names follow the
 * in-addr.arpa / ip6.arpa reversal Team Cymru's interface uses. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "sources/asn_cymru.h"

static int origin(const char *s, struct kp_cymru_origin *o, const char **why)
{
    return kp_cymru_parse_origin(s, strlen(s), o, why);
}

static int asname(const char *s, struct kp_cymru_asname *n, const char **why)
{
    return kp_cymru_parse_asname(s, strlen(s), n, why);
}

Test(cymru_parse, query_names)
{
    struct kp_addr a;
    char q[KP_CYMRU_QNAME_MAX];
    kp_addr_parse("175.45.178.1", &a);
    cr_assert_eq(kp_cymru_origin_qname(&a, q, sizeof(q)), 0);
    cr_assert_str_eq(q, "1.178.45.175.origin.asn.cymru.com");
    kp_addr_parse("2001:4860::8", &a);
    cr_assert_eq(kp_cymru_origin_qname(&a, q, sizeof(q)), 0);
    cr_assert_str_eq(q, "8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.6.8.4.1.0.0.2."
                        "origin6.asn.cymru.com");
    cr_assert_eq(kp_cymru_origin_qname(&a, q, 20), -ENOSPC);
    cr_assert_eq(kp_cymru_asname_qname(4837, q, sizeof(q)), 0);
    cr_assert_str_eq(q, "AS4837.asn.cymru.com");
    struct kp_addr unset = {0};
    cr_assert_eq(kp_cymru_origin_qname(&unset, q, sizeof(q)), -EINVAL);
}

Test(cymru_parse, origin_answers)
{
    struct kp_cymru_origin o;
    const char *why;
    char buf[KP_PREFIX_STRLEN];
    cr_assert_eq(origin("3561 | 216.88.0.0/14 | US | arin | 1998-09-25", &o, &why), 0);
    cr_assert_eq(o.n_asns, 1);
    cr_assert_eq(o.asns[0], 3561);
    cr_assert_str_eq(kp_prefix_str(&o.prefix, buf, sizeof(buf)), "216.88.0.0/14");
    cr_assert_str_eq(o.cc, "US");
    cr_assert_str_eq(o.registry, "arin");
    cr_assert_str_eq(o.date, "1998-09-25");
    cr_assert_eq(origin("131279 | 175.45.176.0/22 | KP | apnic | 2009-12-04", &o, &why), 0);
    struct kp_addr a;
    kp_addr_parse("175.45.179.9", &a);
    cr_assert(kp_cymru_origin_matches(&o, &a));
    kp_addr_parse("175.45.180.1", &a);
    cr_assert_not(kp_cymru_origin_matches(&o, &a));
    /* several origins, empty optional fields */
    cr_assert_eq(origin("4837 20485 | 198.18.1.0/24 |  |  | ", &o, &why), 0);
    cr_assert_eq(o.n_asns, 2);
    cr_assert_eq(o.asns[1], 20485);
    cr_assert_str_eq(o.cc, "");
    cr_assert_eq(origin("15169 | 2001:4860::/32 | US | arin | 2005-03-14", &o, &why), 0);
    cr_assert_eq(o.prefix.addr.family, 6);
}

Test(cymru_parse, garbage_is_rejected)
{
    struct kp_cymru_origin o;
    const char *why;
    cr_assert_eq(origin("v=spf1 include:_spf.example.com ~all", &o, &why), -EINVAL);
    cr_assert_str_eq(why, "origin TXT does not have 5 '|'-separated fields");
    cr_assert_eq(origin("", &o, &why), -EINVAL);
    cr_assert_eq(origin("<html><body>blocked</body></html>", &o, &why), -EINVAL);
    cr_assert_eq(origin("AS3561 | 216.88.0.0/14 | US | arin | 1998-09-25", &o, &why), -EINVAL);
    cr_assert_str_eq(why, "bad AS number in origin TXT");
    cr_assert_eq(origin(" | 216.88.0.0/14 | US | arin | 1998-09-25", &o, &why), -EINVAL);
    cr_assert_eq(origin("3561 | 216.88.0.0 | US | arin | 1998-09-25", &o, &why), -EINVAL);
    cr_assert_str_eq(why, "bad prefix in origin TXT");
    cr_assert_eq(origin("3561 | 216.88.1.0/14 | US | arin | 1998-09-25", &o, &why), -EINVAL);
    cr_assert_eq(origin("3561 | 216.88.0.0/14 | USA | arin | 1998-09-25", &o, &why), -EINVAL);
    cr_assert_eq(origin("3561 | 216.88.0.0/14 | US | ARIN | 1998-09-25", &o, &why), -EINVAL);
    cr_assert_eq(origin("3561 | 216.88.0.0/14 | US | arin | 1998/09/25", &o, &why), -EINVAL);
    cr_assert_eq(origin("3561 | 216.88.0.0/14 | US | arin | 1998-09-25 | x", &o, &why), -EINVAL);
    cr_assert_eq(origin("3561 | 216.88.0.0/14 | US | arin", &o, &why), -EINVAL);
    cr_assert_eq(origin("99999999999 | 216.88.0.0/14 | US | arin | 1998-09-25", &o, &why), -EINVAL);
    cr_assert_eq(
        kp_cymru_parse_origin("3561 | 216.88.0.0/14\n| US | arin | 1998-09-25", 46, &o, &why),
        -EINVAL);
}

Test(cymru_parse, asname_answers)
{
    struct kp_cymru_asname n;
    const char *why;
    cr_assert_eq(
        asname("23028 | US | arin | 2002-01-04 | TEAM-CYMRU - Team Cymru Inc., US", &n, &why), 0);
    cr_assert_eq(n.asn, 23028);
    cr_assert_str_eq(n.name, "TEAM-CYMRU - Team Cymru Inc., US");
    cr_assert_str_eq(n.registry, "arin");
    cr_assert_eq(asname("4837 | CN | apnic | 2000-04-13 | CHINA169-BACKBONE CHINA UNICOM China169 "
                        "Backbone, CN",
                        &n, &why),
                 0);
    cr_assert_eq(n.asn, 4837);
    /* a '|' inside the name stays in the name */
    cr_assert_eq(asname("64500 | ZZ | other |  | A | B", &n, &why), 0);
    cr_assert_str_eq(n.name, "A | B");
    cr_assert_eq(asname("v=spf1 -all", &n, &why), -EINVAL);
    cr_assert_eq(asname("4837 | CN | apnic | 2000-04-13 | ", &n, &why), -EINVAL);
    cr_assert_str_eq(why, "empty AS name");
    cr_assert_eq(asname("AS4837 | CN | apnic | 2000-04-13 | X", &n, &why), -EINVAL);
}
