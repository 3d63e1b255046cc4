/* SPDX-License-Identifier: BSD-2-Clause */
/* test_pfx2as.c — CAIDA prefix2as lines and files. Expected values come from
 * the format (reference.md §2: "prefix<TAB>length<TAB>AS", "a_b" multi-origin,
 * "a,b" set) and from the hand-made fixture tests/data/asmap/pfx2as-sample.txt. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/asmap/asmap_int.h"

/* The sample is numbered from documentation space and documentation ASNs:
 * its parsing tests keep everything (the rules are test_route_filter.c's). */
static const struct kp_route_filter keep_all = {0, 0, KP_KEEP_ALL, NULL, 0};

static int parse(const char *s, struct kp_prefix *p, struct kp_asn_rec *r, const char **why)
{
    return kp_pfx2as_parse_line(s, strlen(s), p, r, why);
}

Test(pfx2as, single_origin)
{
    struct kp_prefix p;
    struct kp_asn_rec r;
    const char *why;
    char buf[KP_PREFIX_STRLEN];
    cr_assert_eq(parse("175.45.176.0\t22\t131279", &p, &r, &why), 0);
    cr_assert_str_eq(kp_prefix_str(&p, buf, sizeof(buf)), "175.45.176.0/22");
    cr_assert_eq(r.n, 1);
    cr_assert_eq(r.asns[0], 131279);
    cr_assert_eq(r.flags, 0);
}

Test(pfx2as, multi_origin_and_sets_are_kept)
{
    struct kp_prefix p;
    struct kp_asn_rec r;
    const char *why;
    cr_assert_eq(parse("198.51.100.0\t24\t64500_64501", &p, &r, &why), 0);
    cr_assert_eq(r.n, 2);
    cr_assert_eq(r.asns[0], 64500, "first is the most seen origin: order kept");
    cr_assert_eq(r.asns[1], 64501);
    cr_assert_eq(r.flags, KP_ASN_MULTI_ORIGIN);
    cr_assert_eq(parse("203.0.113.0\t24\t64502,64503", &p, &r, &why), 0);
    cr_assert_eq(r.n, 2);
    cr_assert_eq(r.asns[0], 64502);
    cr_assert_eq(r.asns[1], 64503);
    cr_assert_eq(r.flags, KP_ASN_SET);
    cr_assert_eq(parse("203.0.113.128\t25\t64504_64505,64506", &p, &r, &why), 0);
    cr_assert_eq(r.n, 3);
    cr_assert_eq(r.flags, KP_ASN_SET | KP_ASN_MULTI_ORIGIN);
    cr_assert_eq(parse("10.0.0.0\t8\t1_2_3_4_5_6_7_8_9", &p, &r, &why), 0);
    cr_assert_eq(r.n, KP_ASN_MAX);
    cr_assert(r.flags & KP_ASN_TRUNCATED);
}

Test(pfx2as, ipv6_and_32bit_asns)
{
    struct kp_prefix p;
    struct kp_asn_rec r;
    const char *why;
    cr_assert_eq(parse("2001:db8:1::\t48\t4200000000", &p, &r, &why), 0);
    cr_assert_eq(p.addr.family, 6);
    cr_assert_eq(p.len, 48);
    cr_assert_eq(r.asns[0], 4200000000u);
    cr_assert_eq(parse("1.0.0.0\t24\t4294967295", &p, &r, &why), 0);
    cr_assert_eq(parse("1.0.0.0\t24\t4294967296", &p, &r, &why), -EINVAL);
}

Test(pfx2as, blank_comment_and_errors)
{
    struct kp_prefix p;
    struct kp_asn_rec r;
    const char *why = NULL;
    cr_assert_eq(parse("", &p, &r, &why), 1);
    cr_assert_eq(parse("   ", &p, &r, &why), 1);
    cr_assert_eq(parse("# comment", &p, &r, &why), 1);
    cr_assert_eq(parse("175.45.176.0\t22", &p, &r, &why), -EINVAL);
    cr_assert_str_eq(why, "missing AS field");
    cr_assert_eq(parse("175.45.176.0", &p, &r, &why), -EINVAL);
    cr_assert_eq(parse("175.45.176\t22\t1", &p, &r, &why), -EINVAL);
    cr_assert_str_eq(why, "bad prefix address");
    cr_assert_eq(parse("175.45.176.0\t33\t1", &p, &r, &why), -EINVAL);
    cr_assert_eq(parse("175.45.177.0\t22\t1", &p, &r, &why), -EINVAL);
    cr_assert_str_eq(why, "host bits set beyond the prefix length");
    cr_assert_eq(parse("175.45.176.0\t22\tAS1", &p, &r, &why), -EINVAL);
    cr_assert_str_eq(why, "bad AS number");
    cr_assert_eq(parse("175.45.176.0\t22\t1_", &p, &r, &why), -EINVAL);
    cr_assert_eq(parse("175.45.176.0\t22\t1;2", &p, &r, &why), -EINVAL);
    cr_assert_eq(parse("175.45.176.0\t22\t1 x", &p, &r, &why), -EINVAL);
    cr_assert_str_eq(why, "trailing data after the AS field");
    /* not NUL-terminated: length bounds the parse */
    const char *s = "175.45.176.0\t22\t131279999";
    cr_assert_eq(kp_pfx2as_parse_line(s, strlen(s) - 3, &p, &r, &why), 0);
    cr_assert_eq(r.asns[0], 131279);
}

static void check_sample(const char *file)
{
    struct kp_trie *t = kp_trie_new(sizeof(struct kp_asn_rec));
    char err[256] = "";
    cr_assert_eq(kp_pfx2as_load(t, file, &keep_all, NULL, NULL, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(kp_trie_count(t), 12);
    struct kp_addr a;
    struct kp_prefix m;
    char buf[KP_PREFIX_STRLEN];
    kp_addr_parse("175.45.178.9", &a);
    const struct kp_asn_rec *r = kp_trie_lookup(t, &a, &m);
    cr_assert_not_null(r);
    cr_assert_eq(r->asns[0], 131279);
    cr_assert_str_eq(kp_prefix_str(&m, buf, sizeof(buf)), "175.45.178.0/24");
    kp_addr_parse("219.158.3.1", &a);
    r = kp_trie_lookup(t, &a, &m);
    cr_assert_eq(r->asns[0], 4837);
    kp_addr_parse("219.158.200.1", &a);
    cr_assert_null(kp_trie_lookup(t, &a, &m), "outside 219.158.0.0/17");
    kp_addr_parse("203.0.113.200", &a);
    r = kp_trie_lookup(t, &a, &m);
    cr_assert_eq(r->n, 3);
    cr_assert_eq(r->asns[2], 64506);
    kp_addr_parse("2001:db8:1::5", &a);
    r = kp_trie_lookup(t, &a, &m);
    cr_assert_eq(r->asns[0], 4200000000u);
    kp_trie_free(t);
}

Test(pfx2as, load_plain_and_gzip)
{
    check_sample(KP_TEST_DATA "/asmap/pfx2as-sample.txt");
    check_sample(KP_TEST_DATA "/asmap/pfx2as-sample.txt.gz");
}

Test(pfx2as, load_errors_name_file_and_line)
{
    struct kp_trie *t = kp_trie_new(sizeof(struct kp_asn_rec));
    char err[256] = "";
    cr_assert_eq(kp_pfx2as_load(t, KP_TEST_DATA "/asmap/pfx2as-bad-line3.txt", NULL, NULL, NULL,
                                err, sizeof(err)),
                 -EINVAL);
    cr_assert_not_null(strstr(err, "pfx2as-bad-line3.txt:3: bad AS number"), "%s", err);
    cr_assert_eq(
        kp_pfx2as_load(t, KP_TEST_DATA "/asmap/does-not-exist", NULL, NULL, NULL, err, sizeof(err)),
        -ENOENT);
    cr_assert_not_null(strstr(err, "does-not-exist"));
    kp_trie_free(t);
}

struct noted {
    unsigned long line[4];
    char why[4][128];
    int n;
};

static void note_line(void *ctx, const char *path, unsigned long line, const char *why)
{
    struct noted *d = ctx;
    cr_assert_not_null(strstr(path, "pfx2as-bad-line"));
    if (d->n < 4) {
        d->line[d->n] = line;
        snprintf(d->why[d->n], sizeof(d->why[0]), "%s", why);
    }
    d->n++;
}

/* With notes, a malformed line after the first is reported and skipped; the
 * good lines around it are still loaded. */
Test(pfx2as, load_with_notes_skips_bad_lines)
{
    struct kp_trie *t = kp_trie_new(sizeof(struct kp_asn_rec));
    struct noted d = {0};
    struct kp_load_notes notes = {note_line, &d, 0};
    char err[256] = "";
    cr_assert_eq(kp_pfx2as_load(t, KP_TEST_DATA "/asmap/pfx2as-bad-line3.txt", NULL, NULL, &notes,
                                err, sizeof(err)),
                 0, "%s", err);
    cr_assert_eq(notes.skipped, 1);
    cr_assert_eq(d.n, 1);
    cr_assert_eq(d.line[0], 3);
    cr_assert_not_null(strstr(d.why[0], "bad AS number"), "%s", d.why[0]);
    struct kp_addr a;
    cr_assert_eq(kp_addr_parse("175.45.177.9", &a), 0);
    const struct kp_asn_rec *rec = kp_trie_lookup(t, &a, NULL);
    cr_assert_not_null(rec, "line 2 loaded");
    cr_assert_eq(rec->asns[0], 131279);
    cr_assert_eq(kp_addr_parse("175.45.178.9", &a), 0);
    rec = kp_trie_lookup(t, &a, NULL);
    cr_assert_not_null(rec, "the /22 of line 1 still covers .178");
    kp_trie_free(t);
}

/* A bad FIRST line means another kind of file: refused even with notes. */
Test(pfx2as, load_with_notes_refuses_bad_first_line)
{
    struct kp_trie *t = kp_trie_new(sizeof(struct kp_asn_rec));
    struct noted d = {0};
    struct kp_load_notes notes = {note_line, &d, 0};
    char err[256] = "";
    cr_assert_eq(kp_pfx2as_load(t, KP_TEST_DATA "/asmap/pfx2as-bad-line1.txt", NULL, NULL, &notes,
                                err, sizeof(err)),
                 -EINVAL);
    cr_assert_not_null(strstr(err, "pfx2as-bad-line1.txt:1:"), "%s", err);
    cr_assert_eq(d.n, 0);
    kp_trie_free(t);
}

struct noted_all {
    unsigned long line[16];
    int n;
};

static void note_any(void *ctx, const char *path, unsigned long line, const char *why)
{
    struct noted_all *d = ctx;
    (void)path;
    cr_assert_str_eq(why, "bad prefix length");
    if (d->n < 16)
        d->line[d->n] = line;
    d->n++;
}

/* A table of many blocks (lines are parsed ahead, a block at a time, and
 * taken in file order): bad lines at the edges of blocks are noted in line
 * order with their numbers, every good line is loaded; without notes the
 * first bad line deep in the file stops the load and is named. */
Test(pfx2as, big_table_notes_in_line_order)
{
    enum { LINES = 40000 };
    static const unsigned long bad[] = {2048, 2049, 16384, 16385, 16386, 39999};
    char path[] = "/tmp/kp_test_pfx2as_XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    FILE *f = fdopen(fd, "w");
    cr_assert_not_null(f);
    size_t k = 0;
    for (unsigned long line = 1; line <= LINES; line++) {
        if (k < sizeof(bad) / sizeof(bad[0]) && bad[k] == line) {
            fprintf(f, "10.0.0.0\tx\t1\n");
            k++;
            continue;
        }
        unsigned long i = line - 1;
        fprintf(f, "%lu.%lu.%lu.0\t24\t%lu\n", 20 + i / 65536, (i / 256) % 256, i % 256, line);
    }
    cr_assert_eq(fclose(f), 0);

    struct kp_trie *t = kp_trie_new(sizeof(struct kp_asn_rec));
    struct noted_all d = {{0}, 0};
    struct kp_load_notes notes = {note_any, &d, 0};
    char err[256] = "";
    cr_assert_eq(kp_pfx2as_load(t, path, &keep_all, NULL, &notes, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(d.n, 6);
    cr_assert_eq(notes.skipped, 6);
    for (int i = 0; i < 6; i++)
        cr_assert_eq(d.line[i], bad[i], "note %d: line %lu", i, d.line[i]);
    cr_assert_eq(kp_trie_count(t), LINES - 6);
    for (unsigned long line = 1; line <= LINES; line += 97) {
        unsigned long i = line - 1;
        struct kp_addr a = kp_addr_v4(
            (uint32_t)((20 + i / 65536) << 24 | ((i / 256) % 256) << 16 | (i % 256) << 8 | 1));
        const struct kp_asn_rec *r = kp_trie_lookup(t, &a, NULL);
        cr_assert_not_null(r, "line %lu", line);
        cr_assert_eq(r->asns[0], line);
    }
    kp_trie_free(t);

    t = kp_trie_new(sizeof(struct kp_asn_rec));
    cr_assert_eq(kp_pfx2as_load(t, path, NULL, NULL, NULL, err, sizeof(err)), -EINVAL);
    char want[64];
    snprintf(want, sizeof(want), ":2048: bad prefix length");
    cr_assert_not_null(strstr(err, want), "%s", err);
    kp_trie_free(t);
    unlink(path);
}
