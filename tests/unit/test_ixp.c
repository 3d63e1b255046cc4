/* SPDX-License-Identifier: BSD-2-Clause */
/* test_ixp.c — PeeringDB ixpfx JSON. Fixtures are hand-made in the shapes of
 * the PeeringDB API (/api/ixpfx answer) and of a full PeeringDB dump. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "core/asmap/asmap_int.h"

static const struct kp_ixp_rec *find(struct kp_trie *t, const char *ip)
{
    struct kp_addr a;
    cr_assert_eq(kp_addr_parse(ip, &a), 0);
    return kp_trie_lookup(t, &a, NULL);
}

Test(ixp, api_answer)
{
    struct kp_trie *t = kp_trie_new(sizeof(struct kp_ixp_rec));
    char err[256] = "";
    int n =
        kp_peeringdb_load(t, KP_TEST_DATA "/asmap/peeringdb-ixpfx.json", NULL, err, sizeof(err));
    cr_assert_eq(n, 3, "3 ok entries with valid prefixes (%s)", err);
    const struct kp_ixp_rec *r = find(t, "80.249.211.17");
    cr_assert_not_null(r);
    cr_assert_eq(r->ixlan_id, 1);
    cr_assert_str_eq(r->name, "ixlan 1", "no names in an API ixpfx answer");
    cr_assert_not_null(find(t, "2001:7f8:1::a500:4837:1"));
    cr_assert_not_null(find(t, "198.18.250.9"));
    cr_assert_null(find(t, "80.249.216.1"));
    cr_assert_null(find(t, "203.0.113.5"), "deleted entry skipped");
    kp_trie_free(t);
}

Test(ixp, dump_with_names)
{
    struct kp_trie *t = kp_trie_new(sizeof(struct kp_ixp_rec));
    char err[256] = "";
    cr_assert_eq(
        kp_peeringdb_load(t, KP_TEST_DATA "/asmap/peeringdb-dump.json", NULL, err, sizeof(err)), 3,
        "%s", err);
    const struct kp_ixp_rec *r = find(t, "80.249.208.1");
    cr_assert_str_eq(r->name, "AMS-IX");
    cr_assert_eq(r->ix_id, 26);
    cr_assert_str_eq(find(t, "198.18.250.1")->name, "Testbed-IX");
    cr_assert_str_eq(find(t, "198.51.100.200")->name, "ixlan 8", "ixlan without ix");
    kp_trie_free(t);
}

Test(ixp, bad_json)
{
    struct kp_trie *t = kp_trie_new(sizeof(struct kp_ixp_rec));
    char err[256] = "";
    const char *s = "{\"data\": [1, 2,";
    cr_assert_eq(kp_peeringdb_parse(s, strlen(s), "t.json", t, NULL, err, sizeof(err)), -EINVAL);
    cr_assert_not_null(strstr(err, "line 1"), "%s", err);
    s = "{\"foo\": 1}";
    cr_assert_eq(kp_peeringdb_parse(s, strlen(s), "t.json", t, NULL, err, sizeof(err)), -EINVAL);
    cr_assert_not_null(strstr(err, "no ixpfx data"));
    s = "[]";
    cr_assert_eq(kp_peeringdb_parse(s, strlen(s), "t.json", t, NULL, err, sizeof(err)), -EINVAL);
    /* an /api/net answer given by mistake: data, but nothing with a prefix */
    s = "{\"data\": [{\"id\": 1, \"asn\": 4837, \"name\": \"CHINA UNICOM\"}], \"meta\": {}}";
    cr_assert_eq(kp_peeringdb_parse(s, strlen(s), "t.json", t, NULL, err, sizeof(err)), -EINVAL);
    cr_assert_not_null(strstr(err, "no ixpfx entries"), "%s", err);
    /* an empty answer is no error: nothing to add */
    s = "{\"data\": [], \"meta\": {}}";
    cr_assert_eq(kp_peeringdb_parse(s, strlen(s), "t.json", t, NULL, err, sizeof(err)), 0);
    cr_assert_eq(kp_peeringdb_load(t, KP_TEST_DATA "/asmap/none.json", NULL, err, sizeof(err)),
                 -ENOENT);
    kp_trie_free(t);
}

/* /api/ixlan?depth=2, in the shape RIPE NCC's own PeeringDB script reads
 * (ixlan objects with ix_id, name, descr and their ixpfx_set). */
Test(ixp, ixlan_answer_with_nested_prefixes)
{
    struct kp_trie *t = kp_trie_new(sizeof(struct kp_ixp_rec));
    char err[256] = "";
    int n = kp_peeringdb_load(t, KP_TEST_DATA "/asmap/peeringdb-ixlan-depth2.json", NULL, err,
                              sizeof(err));
    cr_assert_eq(n, 3, "3 ok nested prefixes (%s)", err);
    const struct kp_ixp_rec *r = find(t, "80.249.211.17");
    cr_assert_not_null(r);
    cr_assert_eq(r->ixlan_id, 1);
    cr_assert_eq(r->ix_id, 26);
    cr_assert_str_eq(r->name, "ixlan 1", "the ixlan has no name; the ix's is not in the answer");
    cr_assert_not_null(find(t, "2001:7f8:1::a500:4837:1"));
    const struct kp_ixp_rec *k = find(t, "198.18.250.9");
    cr_assert_str_eq(k->name, "KP2-IX LAN");
    cr_assert_eq(k->ix_id, 901);
    cr_assert_null(find(t, "203.0.113.5"), "deleted entry skipped");
    kp_trie_free(t);
}

/* The same answer from the file gzip-compressed (written here with zlib). */
Test(ixp, peeringdb_gzip)
{
    FILE *f = fopen(KP_TEST_DATA "/asmap/peeringdb-ixpfx.json", "rb");
    cr_assert_not_null(f);
    char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    char path[] = "/tmp/kp-test-pdb.XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    gzFile gz = gzdopen(fd, "wb");
    cr_assert_eq(gzwrite(gz, buf, (unsigned)n), (int)n);
    gzclose(gz);
    struct kp_trie *t = kp_trie_new(sizeof(struct kp_ixp_rec));
    struct kp_trie *u = kp_trie_new(sizeof(struct kp_ixp_rec));
    char err[256] = "";
    int a =
        kp_peeringdb_load(t, KP_TEST_DATA "/asmap/peeringdb-ixpfx.json", NULL, err, sizeof(err));
    int b = kp_peeringdb_load(u, path, NULL, err, sizeof(err));
    unlink(path);
    cr_assert_gt(a, 0);
    cr_assert_eq(a, b, "%s", err);
    kp_trie_free(t);
    kp_trie_free(u);
}
