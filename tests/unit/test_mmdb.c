/* SPDX-License-Identifier: BSD-2-Clause */
/* test_mmdb.c — MaxMind DB sources. The .mmdb files are written by
 * tests/data/asmap/make_mmdb.py from the MaxMind DB spec (and read back by
 * libmaxminddb's own mmdblookup when generated); expected values are the
 * hand-written records in that script. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/asmap/asmap_int.h"

static struct kp_mmdb *open_db(const char *name)
{
    char path[512], err[256] = "";
    int rc;
    snprintf(path, sizeof(path), "%s/asmap/%s", KP_TEST_DATA, name);
    struct kp_mmdb *m = kp_mmdb_open(path, err, sizeof(err), &rc);
    cr_assert_not_null(m, "%s", err);
    return m;
}

static int look(struct kp_mmdb *m, const char *ip, struct kp_asn_answer *ans)
{
    struct kp_addr a;
    char err[128];
    cr_assert_eq(kp_addr_parse(ip, &a), 0);
    memset(ans, 0, sizeof(*ans));
    return kp_mmdb_lookup(m, &a, ans, err, sizeof(err));
}

Test(mmdb, geolite2_layout)
{
    struct kp_mmdb *m = open_db("geolite2-asn-sample.mmdb");
    struct kp_asn_answer a;
    char buf[KP_PREFIX_STRLEN];
    cr_assert_eq(look(m, "175.45.178.1", &a), 0);
    cr_assert_eq(a.n_asns, 1);
    cr_assert_eq(a.asns[0], 131279);
    cr_assert_str_eq(a.as_name, "Ryugyong-dong");
    cr_assert_str_eq(kp_prefix_str(&a.prefix, buf, sizeof(buf)), "175.45.176.0/22");
    cr_assert_eq(look(m, "219.158.127.255", &a), 0);
    cr_assert_eq(a.asns[0], 4837);
    cr_assert_eq(look(m, "219.158.128.0", &a), -ENOENT);
    cr_assert_eq(look(m, "198.18.0.5", &a), 0);
    cr_assert_eq(a.asns[0], 64496);
    cr_assert_eq(look(m, "198.18.0.200", &a), 0);
    cr_assert_eq(a.asns[0], 64497, "the /25 overrides the /24");
    cr_assert_str_eq(kp_prefix_str(&a.prefix, buf, sizeof(buf)), "198.18.0.128/25");
    cr_assert_eq(look(m, "2001:db8:100::1", &a), 0);
    cr_assert_eq(a.asns[0], 64499);
    cr_assert_str_eq(kp_prefix_str(&a.prefix, buf, sizeof(buf)), "2001:db8:100::/40");
    cr_assert_eq(look(m, "8.8.8.8", &a), -ENOENT);
    kp_mmdb_close(m);
}

Test(mmdb, ipv4_only_tree)
{
    struct kp_mmdb *m = open_db("geolite2-asn-v4only.mmdb");
    struct kp_asn_answer a;
    char buf[KP_PREFIX_STRLEN];
    cr_assert_eq(look(m, "175.45.177.1", &a), 0);
    cr_assert_eq(a.asns[0], 131279);
    cr_assert_str_eq(kp_prefix_str(&a.prefix, buf, sizeof(buf)), "175.45.176.0/22");
    cr_assert_eq(look(m, "198.18.0.200", &a), 0);
    cr_assert_eq(a.asns[0], 64496, "no /25 in this file");
    cr_assert_eq(look(m, "2001:db8:100::1", &a), -ENOENT);
    kp_mmdb_close(m);
}

Test(mmdb, ipinfo_layout)
{
    struct kp_mmdb *m = open_db("ipinfo-asn-sample.mmdb");
    struct kp_asn_answer a;
    cr_assert_eq(look(m, "175.45.177.3", &a), 0);
    cr_assert_eq(a.asns[0], 131279, "\"AS131279\" string");
    cr_assert_str_eq(a.as_name, "Star Joint Venture Co. Ltd.");
    cr_assert_str_eq(a.as_domain, "star-co.net.kp");
    cr_assert_eq(look(m, "219.158.1.1", &a), 0);
    cr_assert_eq(a.asns[0], 4837);
    cr_assert_eq(look(m, "198.51.100.1", &a), -ENOENT, "record without an asn field");
    kp_mmdb_close(m);
}

Test(mmdb, not_an_mmdb)
{
    char err[256] = "";
    int rc;
    cr_assert_null(kp_mmdb_open(KP_TEST_DATA "/asmap/pfx2as-sample.txt", err, sizeof(err), &rc));
    cr_assert_eq(rc, -EINVAL);
    cr_assert_not_null(strstr(err, "pfx2as-sample.txt"));
    cr_assert_null(kp_mmdb_open(KP_TEST_DATA "/asmap/nope.mmdb", err, sizeof(err), &rc));
    cr_assert_lt(rc, 0);
}

Test(mmdb, asn_text)
{
    uint32_t asn;
    cr_assert_eq(kp_asn_parse("AS4837", 6, KP_ASN_PREFIX_OK, &asn), 0);
    cr_assert_eq(asn, 4837);
    cr_assert_eq(kp_asn_parse("4837", 4, KP_ASN_PREFIX_OK, &asn), 0);
    cr_assert_eq(kp_asn_parse("as20485", 7, KP_ASN_PREFIX_OK, &asn), 0);
    cr_assert_eq(asn, 20485);
    cr_assert_eq(kp_asn_parse("AS", 2, KP_ASN_PREFIX_OK, &asn), -EINVAL);
    cr_assert_eq(kp_asn_parse("AS4294967296", 12, KP_ASN_PREFIX_OK, &asn), -EINVAL);
    cr_assert_eq(kp_asn_parse("AS48x", 5, KP_ASN_PREFIX_OK, &asn), -EINVAL);
}
