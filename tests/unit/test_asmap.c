/* SPDX-License-Identifier: BSD-2-Clause */
/* test_asmap.c — the façade: precedence, provenance, address classes, IXP
 * labels, names, the RIB's upstreams, and the Cymru cache file read without
 * any network (queries are never needed: everything asked is cached or not
 * routable). Fixtures are the hand-made files in tests/data/asmap. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/asmap/asmap.h"
#include "core/asmap/asmap_int.h"
#include "sources/asn_cymru.h"
#include "sources/rdns.h"
#include "core/asmap/route_filter.h"

#include <ares.h>

#define D KP_TEST_DATA "/asmap/"

static struct kp_addr A(const char *s) {
    struct kp_addr a;
    cr_assert_eq(kp_addr_parse(s, &a), 0, "%s", s);
    return a;
}

static struct kp_asn_answer
look(struct kp_asmap *m, const char *ip)
{
    struct kp_asn_answer ans;
    struct kp_addr a = A(ip);
    cr_assert_eq(kp_asmap_lookup(m, &a, &ans), 0);
    return ans;
}

/* The hand-made tables are numbered from documentation space and ASNs (and
 * one private ASN): these tests keep them, as the testbed does. What the
 * defaults drop is test_route_filter.c's. */
static struct kp_asmap *new_test_map(void)
{
    struct kp_asmap *m = kp_asmap_new();
    struct kp_route_filter f;
    kp_route_filter_default(&f);
    cr_assert_eq(
        kp_route_filter_parse_keep("documentation,documentation-asn,private-asn", &f.keep, NULL, 0),
        0);
    kp_asmap_set_filter(m, &f);
    return m;
}

Test(asmap, no_sources)
{
    struct kp_asmap *m = kp_asmap_new();
    struct kp_asn_answer a = look(m, "175.45.176.1");
    cr_assert_eq(a.status, KP_ASN_UNANNOUNCED);
    cr_assert_str_eq(a.source, "");
    a = look(m, "10.1.1.1");
    cr_assert_eq(a.status, KP_ASN_SPECIAL);
    cr_assert_eq(a.addr_class, KP_ACLASS_PRIVATE);
    struct kp_addr unset = {0};
    cr_assert_eq(kp_asmap_lookup(m, &unset, &a), -EINVAL);
    cr_assert_eq(kp_asmap_prefetch(m, &unset, 1), 0);
    kp_asmap_free(m);
}

Test(asmap, precedence_is_the_order_of_adding)
{
    char err[256] = "";
    struct kp_asmap *m = new_test_map();
    cr_assert_eq(kp_asmap_add_mmdb(m, D "geolite2-asn-sample.mmdb", err, sizeof(err)), 0, "%s",
                 err);
    cr_assert_eq(kp_asmap_add_pfx2as(m, D "pfx2as-sample.txt.gz", err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(kp_asmap_source_count(m), 2);
    cr_assert_str_eq(kp_asmap_source_name(m, 0), "mmdb:geolite2-asn-sample.mmdb");
    cr_assert_str_eq(kp_asmap_source_name(m, 1), "pfx2as");
    /* both know 175.45.178.1: the mmdb was added first and answers */
    struct kp_asn_answer a = look(m, "175.45.178.1");
    cr_assert_eq(a.status, KP_ASN_FOUND);
    cr_assert_str_eq(a.source, "mmdb:geolite2-asn-sample.mmdb");
    cr_assert_eq(a.asns[0], 131279);
    cr_assert_eq(a.prefix.len, 22, "mmdb has the /22 only");
    cr_assert_str_eq(a.as_name, "Ryugyong-dong");
    cr_assert_str_eq(a.as_name_source, "mmdb:geolite2-asn-sample.mmdb");
    /* only the pfx2as file knows 203.0.113.200: a multi-origin set */
    a = look(m, "203.0.113.200");
    cr_assert_str_eq(a.source, "pfx2as");
    cr_assert_eq(a.n_asns, 3);
    cr_assert_eq(a.flags, KP_ASN_MULTI_ORIGIN | KP_ASN_SET);
    cr_assert_eq(a.addr_class, KP_ACLASS_DOCUMENTATION);
    kp_asmap_free(m);

    m = new_test_map();
    cr_assert_eq(kp_asmap_add_pfx2as(m, D "pfx2as-sample.txt", err, sizeof(err)), 0);
    cr_assert_eq(kp_asmap_add_mmdb(m, D "geolite2-asn-sample.mmdb", err, sizeof(err)), 0);
    a = look(m, "175.45.178.1");
    cr_assert_str_eq(a.source, "pfx2as");
    cr_assert_eq(a.prefix.len, 24, "the pfx2as file has the /24");
    /* the name was learned from the mmdb by the earlier lookup? not yet:
     * pfx2as has no names, so the built-in table answers */
    cr_assert_str_eq(a.as_name_source, "builtin");
    cr_assert_not_null(strstr(a.as_name, "Star JV"));
    kp_asmap_free(m);
}

Test(asmap, benchmarking_does_not_stop_sources)
{
    char err[256];
    struct kp_asmap *m = kp_asmap_new();
    cr_assert_eq(kp_asmap_add_mmdb(m, D "geolite2-asn-sample.mmdb", err, sizeof(err)), 0);
    struct kp_asn_answer a = look(m, "198.18.0.5");
    cr_assert_eq(a.status, KP_ASN_FOUND);
    cr_assert_eq(a.asns[0], 64496);
    cr_assert_eq(a.addr_class, KP_ACLASS_BENCHMARKING);
    a = look(m, "198.18.7.7");
    cr_assert_eq(a.status, KP_ASN_UNANNOUNCED, "routable test range no source knows");
    a = look(m, "100.64.1.1");
    cr_assert_eq(a.status, KP_ASN_SPECIAL);
    cr_assert_eq(a.addr_class, KP_ACLASS_SHARED);
    kp_asmap_free(m);
}

Test(asmap, ixp_labels_and_lookup_all)
{
    char err[256];
    struct kp_asmap *m = kp_asmap_new();
    cr_assert_eq(kp_asmap_add_peeringdb(m, D "peeringdb-dump.json", err, sizeof(err)), 0, "%s",
                 err);
    cr_assert_eq(kp_asmap_add_pfx2as(m, D "pfx2as-sample.txt", err, sizeof(err)), 0);
    cr_assert_eq(kp_asmap_add_mmdb(m, D "ipinfo-asn-sample.mmdb", err, sizeof(err)), 0);
    struct kp_asn_answer a = look(m, "198.18.250.3");
    cr_assert(a.ixp);
    cr_assert_str_eq(a.ixp_name, "Testbed-IX");
    cr_assert_eq(a.status, KP_ASN_UNANNOUNCED);
    struct kp_asn_answer all[4];
    struct kp_addr x = A("219.158.1.1");
    cr_assert_eq(kp_asmap_lookup_all(m, &x, all, 4), 2);
    cr_assert_str_eq(all[0].source, "pfx2as");
    cr_assert_eq(all[0].asns[0], 4837);
    cr_assert_str_eq(all[1].source, "mmdb:ipinfo-asn-sample.mmdb");
    cr_assert_eq(all[1].asns[0], 4837);
    cr_assert_str_eq(all[1].as_name, "China Unicom");
    cr_assert_str_eq(all[1].as_domain, "chinaunicom.cn");
    x = A("188.43.1.1");
    cr_assert_eq(kp_asmap_lookup_all(m, &x, all, 4), 2);
    cr_assert_eq(all[0].status, KP_ASN_FOUND);
    cr_assert_eq(all[1].status, KP_ASN_UNANNOUNCED);
    cr_assert_str_eq(all[1].source, "mmdb:ipinfo-asn-sample.mmdb");
    /* names learned from an mmdb answer are used for later answers */
    const char *src;
    cr_assert_str_eq(kp_asmap_as_name(m, 4837, &src), "China Unicom");
    cr_assert_str_eq(src, "mmdb:ipinfo-asn-sample.mmdb");
    cr_assert_not_null(strstr(kp_asmap_as_name(m, 20485, &src), "TransTeleCom"));
    cr_assert_str_eq(src, "builtin");
    cr_assert_null(kp_asmap_as_name(m, 64999, &src));
    kp_asmap_free(m);
}

Test(asmap, rib_source_and_upstreams)
{
    char err[256];
    struct kp_asmap *m = new_test_map();
    struct kp_prefix p;
    uint32_t ups[4];
    kp_prefix_parse("175.45.178.0/24", false, &p);
    cr_assert_eq(kp_asmap_rib_upstreams(m, &p, INT64_MAX, ups, 4, NULL), -ENOENT);
    cr_assert_eq(kp_asmap_add_bgpdump(m, D "bgpdump-nk.txt", err, sizeof(err)), 0, "%s", err);
    cr_assert_str_eq(kp_asmap_source_name(m, 0), "rib");
    struct kp_asn_answer a = look(m, "198.51.100.5");
    cr_assert_str_eq(a.source, "rib");
    cr_assert_eq(a.flags, KP_ASN_MULTI_ORIGIN);
    cr_assert_eq(kp_asmap_rib_upstreams(m, &p, 1506848871, ups, 4, NULL), 2);
    cr_assert_eq(ups[0], 4837);
    cr_assert_eq(ups[1], 20485);
    const struct kp_rib_route *h;
    size_t n;
    cr_assert_eq(kp_asmap_rib_history(m, &p, &h, &n), 0);
    cr_assert_eq(n, 6);
    cr_assert_eq(kp_asmap_add_bgpdump(m, D "bgpdump-bad-line2.txt", err, sizeof(err)), -EINVAL);
    cr_assert_eq(kp_asmap_source_count(m), 1, "one rib source however many files");
    kp_asmap_free(m);
}

Test(asmap, load_errors)
{
    char err[256];
    struct kp_asmap *m = kp_asmap_new();
    cr_assert_eq(kp_asmap_add_pfx2as(m, D "pfx2as-bad-line3.txt", err, sizeof(err)), -EINVAL);
    cr_assert_not_null(strstr(err, ":3:"));
    cr_assert_lt(kp_asmap_add_mmdb(m, D "nothing.mmdb", err, sizeof(err)), 0);
    cr_assert_eq(kp_asmap_source_count(m), 0);
    uint32_t none = 0;
    cr_assert_eq(kp_asmap_set_targets(m, &none, 0), -EINVAL);
    struct kp_cymru_opts o = {.dns_server = "not-an-ip"};
    cr_assert_eq(kp_asmap_enable_cymru(m, &o, err, sizeof(err)), -EINVAL);
    cr_assert_not_null(strstr(err, "not-an-ip"));
    kp_asmap_free(m);
}

Test(asmap, cymru_cache_file_without_network)
{
    char err[256] = "";
    char tmp[] = "/tmp/kp_cymru_cacheXXXXXX";
    int fd = mkstemp(tmp);
    cr_assert_geq(fd, 0);
    close(fd);
    /* copy the fixture so that saving does not touch it */
    FILE *in = fopen(D "cymru-cache.txt", "r"), *out = fopen(tmp, "w");
    int ch;
    while ((ch = fgetc(in)) != EOF)
        fputc(ch, out);
    fclose(in);
    fclose(out);

    struct kp_asmap *m = kp_asmap_new();
    /* port 9 on loopback: nothing may be asked; the clock is fixed */
    struct kp_cymru_opts o = {.dns_server = "127.0.0.1:9",
                              .cache_path = tmp,
                              .now_s = 1700000000,
                              .timeout_ms = 200,
                              .tries = 1};
    cr_assert_eq(kp_asmap_enable_cymru(m, &o, err, sizeof(err)), 0, "%s", err);
    struct kp_asn_answer a = look(m, "175.45.177.1");
    cr_assert_eq(a.status, KP_ASN_FOUND);
    cr_assert_str_eq(a.source, "cymru");
    cr_assert_eq(a.asns[0], 131279);
    cr_assert_eq(a.prefix.len, 22);
    cr_assert_str_eq(a.as_name, "STAR-KP Ryugyong-dong, KP");
    cr_assert_str_eq(a.as_name_source, "cymru");
    a = look(m, "188.43.225.153");
    cr_assert_eq(a.asns[0], 20485);
    /* the cached AS-name line for 20485 names another AS: rejected on load,
     * so the built-in name is used */
    cr_assert_str_eq(a.as_name_source, "builtin");
    a = look(m, "203.0.113.77");
    cr_assert_eq(a.status, KP_ASN_UNANNOUNCED, "negative cache entry");
    a = look(m, "10.0.0.1");
    cr_assert_eq(a.status, KP_ASN_SPECIAL, "private: Cymru is not asked");
    struct kp_asmap_dns_stats st;
    kp_asmap_dns_stats(m, &st);
    cr_assert_eq(st.queries, 0, "everything came from the cache");
    cr_assert_eq(kp_asmap_save_cache(m, err, sizeof(err)), 0, "%s", err);
    kp_asmap_free(m);

    /* what was saved: valid, unexpired entries only */
    FILE *f = fopen(tmp, "r");
    char buf[4096];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    cr_assert_not_null(strstr(buf, "O\t175.45.177.1\t2000000000\t131279 | 175.45.176.0/22"));
    cr_assert_not_null(strstr(buf, "N\t203.0.113.77\t2000000000"));
    cr_assert_not_null(strstr(buf, "A\t131279\t2000000000\t131279 | KP"));
    cr_assert_null(strstr(buf, "219.158.3.1"), "expired entry dropped");
    cr_assert_null(strstr(buf, "spf"), "garbage entry dropped");
    cr_assert_null(strstr(buf, "203.0.113.9"), "prefix not covering the address dropped");
    cr_assert_null(strstr(buf, "TTK-MISMATCH"));
    remove(tmp);
}

Test(asmap, dns_server_strings)
{
    static const char *const good[] = {"127.0.0.1", "127.0.0.1:5353", "::1", "[::1]:5353",
                                       "[2001:db8::53]"};
    static const char *const bad[] = {
        "1.2.3.4:0", "1.2.3.4:65536", "[::1",    "[::1]x", "resolver.example:53",
        "",          "1.2.3.4:",      "::1:53:x"};
    char err[256];
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        struct ares_channeldata *ch = NULL;
        cr_assert_eq(kp_dns_channel_new(good[i], 100, 1, &ch, err, sizeof(err)), 0, "%s: %s",
                     good[i], err);
        ares_destroy(ch);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct ares_channeldata *ch = NULL;
        cr_assert_eq(kp_dns_channel_new(bad[i], 100, 1, &ch, err, sizeof(err)), -EINVAL, "%s",
                     bad[i]);
        cr_assert_null(ch);
    }
}

/* Learned AS names are found with O(1) work: 32,768 ASes whose numbers are
 * multiples of 65,536 (numbers that agree in their low bits, where a
 * multiplicative hash masked to its low bits puts them all in one place).
 * In a chained table whose load stays <= 1 learning one (a miss, then the
 * insert) visits at most one node on average and finding it at most 1.5,
 * so each round visits fewer than 2N nodes; one chain would visit about
 * N * N / 2. The first source to name an AS keeps it. */
Test(asmap, learned_names_work_is_linear)
{
    enum { N = 1 << 15 };
    struct kp_asmap *m = kp_asmap_new();
    cr_assert_not_null(m);
    char name[32];
    for (uint32_t i = 1; i <= N; i++) {
        snprintf(name, sizeof(name), "AS-%u", i);
        kp_asmap_learn_name(m, i << 16, name, "mmdb:a.mmdb");
    }
    cr_assert_lt(kp_asmap_name_steps(m), 2ull * N, "learn: %llu steps",
                 (unsigned long long)kp_asmap_name_steps(m));
    uint64_t before = kp_asmap_name_steps(m);
    for (uint32_t i = 1; i <= N; i++) {
        const char *src = NULL;
        const char *n = kp_asmap_as_name(m, i << 16, &src);
        snprintf(name, sizeof(name), "AS-%u", i);
        cr_assert_str_eq(n, name);
        cr_assert_str_eq(src, "mmdb:a.mmdb");
    }
    cr_assert_lt(kp_asmap_name_steps(m) - before, 2ull * N, "find: %llu steps",
                 (unsigned long long)(kp_asmap_name_steps(m) - before));
    kp_asmap_learn_name(m, 1u << 16, "OTHER", "mmdb:b.mmdb");
    cr_assert_str_eq(kp_asmap_as_name(m, 1u << 16, NULL), "AS-1");
    kp_asmap_free(m);
}

/* Lookups may run in several threads at once only while nothing in the map
 * changes: tables only, no mmdb (its answers teach names), no name learned. */
Test(asmap, concurrent_lookups_only_with_tables_and_nothing_learned)
{
    char err[256] = "";
    struct kp_asmap *m = new_test_map();
    cr_assert(kp_asmap_concurrent_lookups(m));
    cr_assert_eq(kp_asmap_add_pfx2as(m, D "pfx2as-sample.txt", err, sizeof(err)), 0, "%s", err);
    cr_assert(kp_asmap_concurrent_lookups(m));
    struct kp_asn_answer a = look(m, "203.0.113.200");
    cr_assert_str_eq(a.source, "pfx2as");
    cr_assert(kp_asmap_concurrent_lookups(m), "a table lookup changes nothing");
    kp_asmap_learn_name(m, 64500, "EXAMPLE", "test");
    cr_assert_not(kp_asmap_concurrent_lookups(m));
    kp_asmap_free(m);
    m = new_test_map();
    cr_assert_eq(kp_asmap_add_mmdb(m, D "geolite2-asn-sample.mmdb", err, sizeof(err)), 0, "%s",
                 err);
    cr_assert_not(kp_asmap_concurrent_lookups(m));
    kp_asmap_free(m);
    cr_assert_not(kp_asmap_concurrent_lookups(NULL));
}
