/* SPDX-License-Identifier: BSD-2-Clause */
/* test_decompress.c — gzip and bzip2 whole-buffer decompression. The
 * compressed fixtures in tests/data/decompress/ were made by the gzip(1) and
 * bzip2(1) tools from the plain texts written by make-fixtures.sh (a.txt,
 * b.txt, empty.txt, and seq 1 25000); expected offsets come from the formats
 * (RFC 1952 trailer: CRC32 then ISIZE, 8 bytes; bzip2 "BZh" + digit). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/decompress.h"

#define FIX(name) KP_TEST_DATA "/decompress/" name

struct blob {
    uint8_t *p;
    size_t n;
};

static struct blob slurp(const char *path)
{
    struct blob b = {NULL, 0};
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    size_t cap = 4096;
    b.p = malloc(cap);
    cr_assert_not_null(b.p);
    size_t got;
    while ((got = fread(b.p + b.n, 1, cap - b.n, f)) > 0) {
        b.n += got;
        if (b.n == cap) {
            cap *= 2;
            b.p = realloc(b.p, cap);
            cr_assert_not_null(b.p);
        }
    }
    fclose(f);
    return b;
}

static struct blob cat2(struct blob a, const void *tail, size_t tail_n)
{
    struct blob b = {malloc(a.n + tail_n + 1), a.n + tail_n};
    cr_assert_not_null(b.p);
    memcpy(b.p, a.p, a.n);
    if (tail_n > 0)
        memcpy(b.p + a.n, tail, tail_n);
    return b;
}

/* Decompress in[0..n) and check it gives exactly want[0..want_n), with the
 * spare NUL after it. */
static void expect_ok(enum kp_compression c, const uint8_t *in, size_t n, const void *want,
                      size_t want_n, const char *what)
{
    uint8_t *out = (uint8_t *)"sentinel";
    size_t len = 12345, off = 777;
    int rc = kp_decompress(c, in, n, 1 << 20, &out, &len, &off);
    cr_assert_eq(rc, 0, "%s: rc %d at %zu", what, rc, off);
    cr_assert_not_null(out, "%s", what);
    cr_assert_eq(len, want_n, "%s: %zu bytes, want %zu", what, len, want_n);
    cr_assert(want_n == 0 || memcmp(out, want, want_n) == 0, "%s: content differs", what);
    cr_assert_eq(out[len], 0, "%s: spare NUL", what);
    free(out);
}

/* Decompress and expect rc (< 0) with *out NULL; returns err_off. */
static size_t expect_err(enum kp_compression c, const uint8_t *in, size_t n, size_t max_out,
                         int want_rc, const char *what)
{
    uint8_t *out = (uint8_t *)"sentinel";
    size_t len = 12345, off = 999999;
    int rc = kp_decompress(c, in, n, max_out, &out, &len, &off);
    cr_assert_eq(rc, want_rc, "%s: rc %d, want %d", what, rc, want_rc);
    cr_assert_null(out, "%s: out not NULL on error", what);
    cr_assert_eq(len, 0, "%s", what);
    return off;
}

Test(decompress, sniff_and_names)
{
    struct blob gz = slurp(FIX("a.txt.gz")), bz = slurp(FIX("a.txt.bz2"));
    struct blob txt = slurp(FIX("a.txt"));
    cr_assert_eq(kp_compression_sniff(gz.p, gz.n), KP_COMP_GZIP);
    cr_assert_eq(kp_compression_sniff(bz.p, bz.n), KP_COMP_BZIP2);
    cr_assert_eq(kp_compression_sniff(txt.p, txt.n), KP_COMP_NONE);
    /* the magic needs all its bytes */
    cr_assert_eq(kp_compression_sniff(gz.p, 2), KP_COMP_GZIP);
    cr_assert_eq(kp_compression_sniff(gz.p, 1), KP_COMP_NONE);
    cr_assert_eq(kp_compression_sniff(gz.p, 0), KP_COMP_NONE);
    cr_assert_eq(kp_compression_sniff(bz.p, 4), KP_COMP_BZIP2);
    cr_assert_eq(kp_compression_sniff(bz.p, 3), KP_COMP_NONE);
    cr_assert_eq(kp_compression_sniff(NULL, 0), KP_COMP_NONE);
    cr_assert_eq(kp_compression_sniff((const uint8_t *)"BZh1", 4), KP_COMP_BZIP2);
    cr_assert_eq(kp_compression_sniff((const uint8_t *)"BZh0", 4), KP_COMP_NONE);
    cr_assert_eq(kp_compression_sniff((const uint8_t *)"BZh:", 4), KP_COMP_NONE);
    cr_assert_eq(kp_compression_sniff((const uint8_t *)"BZx9", 4), KP_COMP_NONE);
    cr_assert_eq(kp_compression_sniff((const uint8_t *)"\x1f\x8a", 2), KP_COMP_NONE);
    cr_assert_eq(kp_compression_sniff((const uint8_t *)"{\"type\"", 7), KP_COMP_NONE);
    cr_assert_str_eq(kp_compression_name(KP_COMP_GZIP), "gzip");
    cr_assert_str_eq(kp_compression_name(KP_COMP_BZIP2), "bzip2");
    cr_assert_str_eq(kp_compression_name(KP_COMP_NONE), "none");
    free(gz.p);
    free(bz.p);
    free(txt.p);
}

Test(decompress, single_member_and_stream)
{
    struct blob txt = slurp(FIX("a.txt"));
    cr_assert_eq(txt.n, 276, "fixture a.txt as make-fixtures.sh writes it");
    struct blob gz = slurp(FIX("a.txt.gz")), bz = slurp(FIX("a.txt.bz2"));
    expect_ok(KP_COMP_GZIP, gz.p, gz.n, txt.p, txt.n, "a.txt.gz");
    expect_ok(KP_COMP_BZIP2, bz.p, bz.n, txt.p, txt.n, "a.txt.bz2");
    /* err_off may be NULL */
    uint8_t *out;
    size_t len;
    cr_assert_eq(kp_decompress(KP_COMP_GZIP, gz.p, gz.n, 1000, &out, &len, NULL), 0);
    free(out);
    free(gz.p);
    free(bz.p);
    free(txt.p);
}

Test(decompress, concatenated_members_and_streams)
{
    struct blob a = slurp(FIX("a.txt")), b = slurp(FIX("b.txt"));
    struct blob ab = cat2(a, b.p, b.n);
    const char *files[] = {"ab.gz", "a-empty-b.gz", "ab.bz2", "a-empty-b.bz2"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        char path[512];
        snprintf(path, sizeof(path), "%s/decompress/%s", KP_TEST_DATA, files[i]);
        struct blob z = slurp(path);
        expect_ok(kp_compression_sniff(z.p, z.n), z.p, z.n, ab.p, ab.n, files[i]);
        free(z.p);
    }
    free(a.p);
    free(b.p);
    free(ab.p);
}

Test(decompress, empty_content)
{
    struct blob gz = slurp(FIX("empty.gz")), bz = slurp(FIX("empty.bz2"));
    cr_assert_eq(gz.n, 20, "empty gzip member: 10-byte header, 2-byte block, 8-byte trailer");
    cr_assert_eq(bz.n, 14, "empty bzip2 stream: BZh9, end magic, CRC");
    expect_ok(KP_COMP_GZIP, gz.p, gz.n, "", 0, "empty.gz");
    expect_ok(KP_COMP_BZIP2, bz.p, bz.n, "", 0, "empty.bz2");
    /* nothing to produce: even max_out 0 is enough */
    uint8_t *out;
    size_t len;
    cr_assert_eq(kp_decompress(KP_COMP_BZIP2, bz.p, bz.n, 0, &out, &len, NULL), 0);
    cr_assert_eq(len, 0);
    cr_assert_eq(out[0], 0);
    free(out);
    free(gz.p);
    free(bz.p);
}

Test(decompress, multi_block_bzip2_and_output_growth)
{
    /* what seq 1 25000 prints, built here independently */
    char *want = malloc(200000);
    size_t wn = 0;
    for (int i = 1; i <= 25000; i++)
        wn += (size_t)sprintf(want + wn, "%d\n", i);
    cr_assert_eq(wn, 138894);
    struct blob bz = slurp(FIX("seq25000.bz2"));
    expect_ok(KP_COMP_BZIP2, bz.p, bz.n, want, wn, "seq25000.bz2");
    /* exactly enough room, then one byte short */
    uint8_t *out;
    size_t len;
    cr_assert_eq(kp_decompress(KP_COMP_BZIP2, bz.p, bz.n, wn, &out, &len, NULL), 0);
    cr_assert_eq(len, wn);
    free(out);
    expect_err(KP_COMP_BZIP2, bz.p, bz.n, wn - 1, -EFBIG, "seq25000.bz2 max_out-1");
    expect_err(KP_COMP_BZIP2, bz.p, bz.n, 100000, -EFBIG, "seq25000.bz2 max_out in block 2");
    free(bz.p);
    free(want);
}

Test(decompress, max_out)
{
    struct blob gz = slurp(FIX("a.txt.gz")), bz = slurp(FIX("a.txt.bz2"));
    struct blob ab = slurp(FIX("ab.gz"));
    uint8_t *out;
    size_t len;
    cr_assert_eq(kp_decompress(KP_COMP_GZIP, gz.p, gz.n, 276, &out, &len, NULL), 0);
    cr_assert_eq(len, 276);
    free(out);
    cr_assert_eq(kp_decompress(KP_COMP_BZIP2, bz.p, bz.n, 276, &out, &len, NULL), 0);
    cr_assert_eq(len, 276);
    free(out);
    expect_err(KP_COMP_GZIP, gz.p, gz.n, 275, -EFBIG, "gz 275");
    expect_err(KP_COMP_GZIP, gz.p, gz.n, 0, -EFBIG, "gz 0");
    expect_err(KP_COMP_BZIP2, bz.p, bz.n, 275, -EFBIG, "bz 275");
    expect_err(KP_COMP_BZIP2, bz.p, bz.n, 1, -EFBIG, "bz 1");
    /* the limit is on the whole output, across members: a.txt + b.txt = 347 */
    cr_assert_eq(kp_decompress(KP_COMP_GZIP, ab.p, ab.n, 347, &out, &len, NULL), 0);
    cr_assert_eq(len, 347);
    free(out);
    expect_err(KP_COMP_GZIP, ab.p, ab.n, 346, -EFBIG, "ab.gz 346");
    expect_err(KP_COMP_GZIP, ab.p, ab.n, 300, -EFBIG, "ab.gz 300");
    free(gz.p);
    free(bz.p);
    free(ab.p);
}

Test(decompress, every_truncation_is_an_error_at_the_end)
{
    const char *files[] = {"a.txt.gz", "a.txt.bz2", "empty.gz", "empty.bz2"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        char path[512];
        snprintf(path, sizeof(path), "%s/decompress/%s", KP_TEST_DATA, files[i]);
        struct blob z = slurp(path);
        enum kp_compression c = kp_compression_sniff(z.p, z.n);
        for (size_t k = 0; k < z.n; k++) {
            char what[600];
            snprintf(what, sizeof(what), "%s cut at %zu", files[i], k);
            size_t off = expect_err(c, z.p, k, 1 << 20, -EINVAL, what);
            cr_assert_eq(off, k, "%s: err_off %zu", what, off);
        }
        free(z.p);
    }
}

Test(decompress, concatenation_cut_at_a_boundary_or_inside)
{
    struct blob a = slurp(FIX("a.txt")), agz = slurp(FIX("a.txt.gz"));
    struct blob abz = slurp(FIX("a.txt.bz2"));
    struct blob ab = slurp(FIX("ab.gz")), abb = slurp(FIX("ab.bz2"));
    /* ab.gz starts with a.txt.gz's bytes (gzip -n is deterministic) */
    cr_assert_eq(memcmp(ab.p, agz.p, agz.n), 0);
    cr_assert_eq(memcmp(abb.p, abz.p, abz.n), 0);
    expect_ok(KP_COMP_GZIP, ab.p, agz.n, a.p, a.n, "ab.gz cut after member 1");
    expect_ok(KP_COMP_BZIP2, abb.p, abz.n, a.p, a.n, "ab.bz2 cut after stream 1");
    for (size_t k = agz.n + 1; k < ab.n; k++)
        cr_assert_eq(expect_err(KP_COMP_GZIP, ab.p, k, 1 << 20, -EINVAL, "ab.gz cut"), k);
    for (size_t k = abz.n + 1; k < abb.n; k++)
        cr_assert_eq(expect_err(KP_COMP_BZIP2, abb.p, k, 1 << 20, -EINVAL, "ab.bz2 cut"), k);
    free(a.p);
    free(agz.p);
    free(abz.p);
    free(ab.p);
    free(abb.p);
}

Test(decompress, stored_crc_mismatch)
{
    struct blob gz = slurp(FIX("a-badcrc.gz")), bz = slurp(FIX("a-badcrc.bz2"));
    size_t off = expect_err(KP_COMP_GZIP, gz.p, gz.n, 1 << 20, -EINVAL, "a-badcrc.gz");
    cr_assert_eq(off, gz.n - 8, "the CRC32 field starts 8 bytes from the end, got %zu", off);
    off = expect_err(KP_COMP_BZIP2, bz.p, bz.n, 1 << 20, -EINVAL, "a-badcrc.bz2");
    cr_assert(off >= 14 && off <= bz.n, "after the block CRC (bytes 10..13): %zu", off);
    free(gz.p);
    free(bz.p);
}

Test(decompress, every_flipped_byte_is_caught)
{
    struct blob gz = slurp(FIX("a.txt.gz")), bz = slurp(FIX("a.txt.bz2"));
    /* gzip: bytes 4..9 (MTIME, XFL, OS) carry no checked data; from byte 10
     * on, the deflate data is covered by CRC32 and the trailer is checked */
    for (size_t i = 10; i < gz.n; i++) {
        struct blob z = cat2(gz, NULL, 0);
        z.p[i] ^= 0xff;
        char what[64];
        snprintf(what, sizeof(what), "a.txt.gz byte %zu flipped", i);
        size_t off = expect_err(KP_COMP_GZIP, z.p, z.n, 1 << 20, -EINVAL, what);
        if (i >= gz.n - 4)
            cr_assert_eq(off, gz.n - 4, "%s: ISIZE field, got %zu", what, off);
        else if (i >= gz.n - 8)
            cr_assert_eq(off, gz.n - 8, "%s: CRC32 field, got %zu", what, off);
        else
            cr_assert(off >= i && off <= gz.n, "%s: err_off %zu", what, off);
        free(z.p);
    }
    /* bzip2: every byte is magic, block header, CRC or coded data */
    for (size_t i = 0; i < bz.n; i++) {
        struct blob z = cat2(bz, NULL, 0);
        z.p[i] ^= 0xff;
        char what[64];
        snprintf(what, sizeof(what), "a.txt.bz2 byte %zu flipped", i);
        size_t off = expect_err(KP_COMP_BZIP2, z.p, z.n, 1 << 20, -EINVAL, what);
        cr_assert(off <= bz.n, "%s: err_off %zu", what, off);
        free(z.p);
    }
    free(gz.p);
    free(bz.p);
}

Test(decompress, trailing_zeros_accepted_garbage_rejected)
{
    struct blob a = slurp(FIX("a.txt"));
    struct blob gzp = slurp(FIX("a-zeropad.gz")), bzp = slurp(FIX("a-zeropad.bz2"));
    expect_ok(KP_COMP_GZIP, gzp.p, gzp.n, a.p, a.n, "a-zeropad.gz");
    expect_ok(KP_COMP_BZIP2, bzp.p, bzp.n, a.p, a.n, "a-zeropad.bz2");

    struct blob gz = slurp(FIX("a.txt.gz")), bz = slurp(FIX("a.txt.bz2"));
    static const struct {
        const char *bytes;
        size_t n, gz_off, bz_off; /* error offset after the member/stream */
    } tails[] = {
        {"x", 1, 0, 0},          {"\n", 1, 0, 0},
        {"\0\0\0junk", 7, 0, 0}, {"\x1f", 1, 1, 0}, /* gzip: a cut magic; bzip2: not "B" */
        {"\x1f\x8b", 2, 2, 0},                      /* gzip: a member cut after its magic */
        {"\x1f\x00", 2, 1, 0},   {"BZh9", 4, 0, 4}, /* bzip2: a stream cut after its magic */
        {"BZh", 3, 0, 3},
    };
    for (size_t i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
        struct blob z = cat2(gz, tails[i].bytes, tails[i].n);
        size_t off = expect_err(KP_COMP_GZIP, z.p, z.n, 1 << 20, -EINVAL, "gz + tail");
        cr_assert_eq(off, gz.n + tails[i].gz_off, "gz tail %zu: err_off %zu", i, off);
        free(z.p);
        z = cat2(bz, tails[i].bytes, tails[i].n);
        off = expect_err(KP_COMP_BZIP2, z.p, z.n, 1 << 20, -EINVAL, "bz2 + tail");
        cr_assert_eq(off, bz.n + tails[i].bz_off, "bz2 tail %zu: err_off %zu", i, off);
        free(z.p);
    }
    free(a.p);
    free(gzp.p);
    free(bzp.p);
    free(gz.p);
    free(bz.p);
}

Test(decompress, wrong_kind_and_bad_arguments)
{
    struct blob gz = slurp(FIX("a.txt.gz")), bz = slurp(FIX("a.txt.bz2"));
    cr_assert_eq(expect_err(KP_COMP_BZIP2, gz.p, gz.n, 1 << 20, -EINVAL, "gzip as bzip2"), 0);
    cr_assert_eq(expect_err(KP_COMP_GZIP, bz.p, bz.n, 1 << 20, -EINVAL, "bzip2 as gzip") <= 2, 1);
    expect_err(KP_COMP_NONE, gz.p, gz.n, 1 << 20, -EINVAL, "NONE");
    expect_err((enum kp_compression)7, gz.p, gz.n, 1 << 20, -EINVAL, "out of range");
    expect_err(KP_COMP_GZIP, NULL, 5, 1 << 20, -EINVAL, "NULL with length");
    cr_assert_eq(expect_err(KP_COMP_GZIP, NULL, 0, 1 << 20, -EINVAL, "nothing"), 0);
    cr_assert_eq(expect_err(KP_COMP_BZIP2, NULL, 0, 1 << 20, -EINVAL, "nothing"), 0);
    free(gz.p);
    free(bz.p);
}

Test(decompress, high_ratio_two_members_grow_the_output)
{
    /* make-fixtures.sh: 75000 "kptrace" lines then 50000 "AS20485" lines,
     * one member/stream each; built here independently */
    const size_t wn = 1000000;
    char *want = malloc(wn);
    cr_assert_not_null(want);
    for (size_t i = 0; i < wn; i += 8)
        memcpy(want + i, i < 600000 ? "kptrace\n" : "AS20485\n", 8);
    const char *files[] = {"yes2.gz", "yes2.bz2"};
    for (size_t i = 0; i < 2; i++) {
        char path[512];
        snprintf(path, sizeof(path), "%s/decompress/%s", KP_TEST_DATA, files[i]);
        struct blob z = slurp(path);
        cr_assert_lt(z.n, 2000, "%s: a high compression ratio", files[i]);
        enum kp_compression c = kp_compression_sniff(z.p, z.n);
        expect_ok(c, z.p, z.n, want, wn, files[i]);
        uint8_t *out;
        size_t len;
        cr_assert_eq(kp_decompress(c, z.p, z.n, wn, &out, &len, NULL), 0, "%s", files[i]);
        cr_assert_eq(len, wn);
        cr_assert_eq(out[len], 0);
        free(out);
        expect_err(c, z.p, z.n, wn - 1, -EFBIG, files[i]);
        expect_err(c, z.p, z.n, 600000, -EFBIG, files[i]);
        expect_err(c, z.p, z.n, 4096, -EFBIG, files[i]);
        free(z.p);
    }
    free(want);
}
