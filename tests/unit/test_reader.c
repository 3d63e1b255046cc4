/* SPDX-License-Identifier: BSD-2-Clause */
/* test_reader.c — the streaming reader: lines and JSON records out of plain,
 * gzip and bzip2 content, with and without the decompressing thread, across
 * buffer boundaries, and what is delivered before a corrupt stream stops.
 * Expected contents are built here from the plain text (or are the fixtures
 * written by tests/data/decompress/make-fixtures.sh with gzip(1)/bzip2(1));
 * big compressed inputs are made with zlib's and libbz2's compressors. */
#include <bzlib.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "io/reader.h"

#define FIX(name) KP_TEST_DATA "/decompress/" name

struct blob {
    char *p;
    size_t n;
};

static struct blob slurp_file(const char *path)
{
    struct blob b = {NULL, 0};
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    size_t cap = 4096;
    b.p = malloc(cap);
    size_t got;
    while ((got = fread(b.p + b.n, 1, cap - b.n, f)) > 0) {
        b.n += got;
        if (b.n == cap) {
            cap *= 2;
            b.p = realloc(b.p, cap);
        }
    }
    fclose(f);
    return b;
}

static struct blob gzip_of(const char *p, size_t n)
{
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    cr_assert_eq(deflateInit2(&zs, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
    struct blob b = {malloc(deflateBound(&zs, n) + 64), 0};
    zs.next_in = (Bytef *)(uintptr_t)p;
    zs.avail_in = (uInt)n;
    zs.next_out = (Bytef *)b.p;
    zs.avail_out = (uInt)deflateBound(&zs, n) + 64;
    cr_assert_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
    b.n = zs.total_out;
    deflateEnd(&zs);
    return b;
}

static struct blob bzip2_of(const char *p, size_t n, int level)
{
    unsigned int cap = (unsigned int)(n + n / 100 + 600);
    struct blob b = {malloc(cap), 0};
    cr_assert_eq(
        BZ2_bzBuffToBuffCompress(b.p, &cap, (char *)(uintptr_t)p, (unsigned int)n, level, 0, 0),
        BZ_OK);
    b.n = cap;
    return b;
}

/* n JSON-ish lines "{"n":i,"pad":"xxx..."}" of varied lengths */
static struct blob make_lines(size_t count)
{
    struct blob b = {malloc(count * 120 + 1), 0};
    for (size_t i = 0; i < count; i++) {
        int pad = (int)(i * 7919 % 80);
        b.n += (size_t)sprintf(
            b.p + b.n, "{\"n\":%zu,\"pad\":\"%.*s\"}\n", i, pad,
            "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    }
    return b;
}

/* Read every line of r and check they are the lines of want, in order, with
 * their numbers and offsets. Returns the reader's final status. */
static int check_lines(struct kp_reader *r, const struct blob *want, size_t *n_lines)
{
    struct kp_rec rec;
    size_t off = 0;
    unsigned long line = 0;
    int rc;
    while ((rc = kp_reader_line(r, &rec)) == 1) {
        line++;
        cr_assert_eq(rec.status, KP_REC_OK);
        cr_assert_eq(rec.line, line);
        cr_assert_eq(rec.offset, off, "line %lu at %llu, want %zu", line,
                     (unsigned long long)rec.offset, off);
        const char *e = memchr(want->p + off, '\n', want->n - off);
        size_t len = e ? (size_t)(e - (want->p + off)) : want->n - off;
        cr_assert_eq(rec.len, len, "line %lu: %zu bytes, want %zu", line, rec.len, len);
        cr_assert(memcmp(rec.p, want->p + off, len) == 0, "line %lu differs", line);
        cr_assert_eq(rec.p[rec.len], '\0');
        off += len + (e ? 1 : 0);
    }
    *n_lines = line;
    return rc;
}

Test(reader, plain_gzip_bzip2_lines_with_and_without_the_thread)
{
    struct blob a = slurp_file(FIX("a.txt")), ab = slurp_file(FIX("a.txt"));
    struct blob b = slurp_file(FIX("b.txt"));
    ab.p = realloc(ab.p, a.n + b.n);
    memcpy(ab.p + a.n, b.p, b.n);
    ab.n = a.n + b.n;
    static const struct {
        const char *file;
        int ab;
        enum kp_compression c;
    } files[] = {
        {"a.txt", 0, KP_COMP_NONE},        {"a.txt.gz", 0, KP_COMP_GZIP},
        {"a.txt.bz2", 0, KP_COMP_BZIP2},   {"ab.gz", 1, KP_COMP_GZIP},
        {"ab.bz2", 1, KP_COMP_BZIP2},      {"a-empty-b.gz", 1, KP_COMP_GZIP},
        {"a-zeropad.gz", 0, KP_COMP_GZIP}, {"a-zeropad.bz2", 0, KP_COMP_BZIP2},
    };
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        for (unsigned flags = 0; flags <= KP_READER_THREAD; flags += KP_READER_THREAD) {
            char path[512];
            snprintf(path, sizeof(path), "%s/decompress/%s", KP_TEST_DATA, files[i].file);
            struct kp_reader *r;
            cr_assert_eq(kp_reader_open(path, flags, &r), 0, "%s", path);
            cr_assert_eq(kp_reader_compression(r), files[i].c, "%s", path);
            size_t n;
            cr_assert_eq(check_lines(r, files[i].ab ? &ab : &a, &n), 0, "%s", path);
            cr_assert_eq(n, files[i].ab ? 5u : 3u, "%s: %zu lines", path, n);
            cr_assert_eq(kp_reader_line(r, &(struct kp_rec){0}), 0, "the end is sticky");
            kp_reader_close(r);
        }
    }
    free(a.p);
    free(b.p);
    free(ab.p);
}

Test(reader, empty_inputs_and_a_last_line_without_newline)
{
    struct kp_reader *r;
    struct kp_rec rec;
    cr_assert_eq(kp_reader_open_mem("", 0, 0, &r), 0);
    cr_assert_eq(kp_reader_line(r, &rec), 0);
    kp_reader_close(r);
    cr_assert_eq(kp_reader_open(FIX("empty.gz"), KP_READER_THREAD, &r), 0);
    cr_assert_eq(kp_reader_line(r, &rec), 0);
    kp_reader_close(r);
    const char *s = "one\r\n\ntwo";
    cr_assert_eq(kp_reader_open_mem(s, strlen(s), 0, &r), 0);
    cr_assert_eq(kp_reader_line(r, &rec), 1);
    cr_assert_eq(rec.len, 4, "the \\r is kept");
    cr_assert_eq(kp_reader_line(r, &rec), 1);
    cr_assert_eq(rec.len, 0);
    cr_assert_eq(rec.line, 2);
    cr_assert_eq(kp_reader_line(r, &rec), 1);
    cr_assert_str_eq(rec.p, "two");
    cr_assert_eq(rec.line, 3);
    cr_assert_eq(rec.offset, 6);
    cr_assert_eq(kp_reader_line(r, &rec), 0);
    cr_assert_eq(kp_reader_lineno(r), 2, "two newlines consumed");
    kp_reader_close(r);
}

Test(reader, big_streams_across_buffers)
{
    struct blob txt = make_lines(60000); /* ~ 4.8 MB: several content buffers and ring blocks */
    struct blob gz = gzip_of(txt.p, txt.n), bz = bzip2_of(txt.p, txt.n, 1);
    struct blob *ins[] = {&txt, &gz, &bz};
    for (size_t i = 0; i < 3; i++) {
        for (unsigned flags = 0; flags <= KP_READER_THREAD; flags += KP_READER_THREAD) {
            /* through a pipe-like file descriptor: a temporary file */
            char path[] = "/tmp/kp-test-reader.XXXXXX";
            int fd = mkstemp(path);
            cr_assert_geq(fd, 0);
            cr_assert_eq(write(fd, ins[i]->p, ins[i]->n), (ssize_t)ins[i]->n);
            lseek(fd, 0, SEEK_SET);
            unlink(path);
            struct kp_reader *r;
            cr_assert_eq(kp_reader_open_fd(fd, path, flags, &r), 0);
            size_t n;
            cr_assert_eq(check_lines(r, &txt, &n), 0, "input %zu flags %u", i, flags);
            cr_assert_eq(n, 60000);
            cr_assert_eq(kp_reader_offset(r), txt.n);
            kp_reader_close(r);
            close(fd);
        }
    }
    free(txt.p);
    free(gz.p);
    free(bz.p);
}

/* A corrupt stream: the lines before the damage are delivered whole, then
 * -EINVAL with the compressed offset. (What a decoder gives between the
 * damage and the check that catches it — a gzip member's CRC at its end, a
 * bzip2 block's at the block's end — may be garbage: it is only data.) */
Test(reader, corrupt_stream_stops_after_the_good_lines)
{
    struct blob txt = make_lines(60000);
    struct blob bz = bzip2_of(txt.p, txt.n, 1); /* 100 kB blocks: dozens of them */
    struct blob gz = gzip_of(txt.p, txt.n);
    struct blob *ins[] = {&gz, &bz};
    for (size_t i = 0; i < 2; i++) {
        size_t at = ins[i]->n / 2;
        ins[i]->p[at] ^= 0x55;
        for (unsigned flags = 0; flags <= KP_READER_THREAD; flags += KP_READER_THREAD) {
            struct kp_reader *r;
            cr_assert_eq(kp_reader_open_mem(ins[i]->p, ins[i]->n, flags, &r), 0);
            struct kp_rec rec;
            size_t off = 0, lines = 0;
            int rc;
            bool same = true;
            while ((rc = kp_reader_line(r, &rec)) == 1) {
                cr_assert_eq(rec.offset, off);
                same = same && off + rec.len < txt.n && txt.p[off + rec.len] == '\n' &&
                       memcmp(rec.p, txt.p + off, rec.len) == 0;
                off += rec.len + 1;
                if (same)
                    lines++;
            }
            cr_assert_eq(rc, -EINVAL, "input %zu: rc %d", i, rc);
            cr_assert_gt(lines, 1000, "input %zu: the lines before the damage came out (%zu)", i,
                         lines);
            cr_assert_lt(lines, 60000);
            uint64_t eo = kp_reader_error_offset(r);
            cr_assert(eo >= at && eo <= ins[i]->n, "input %zu: error at %llu, damage at %zu", i,
                      (unsigned long long)eo, at);
            cr_assert_eq(kp_reader_line(r, &rec), -EINVAL, "the error is sticky");
            kp_reader_close(r);
        }
    }
    free(txt.p);
    free(gz.p);
    free(bz.p);
}

Test(reader, cut_stream_error_at_its_end)
{
    struct blob gz = slurp_file(FIX("a.txt.gz"));
    struct kp_reader *r;
    size_t cut = gz.n / 2;
    cr_assert_eq(kp_reader_open_mem(gz.p, cut, 0, &r), 0);
    struct kp_rec rec;
    int rc;
    size_t lines = 0;
    while ((rc = kp_reader_line(r, &rec)) == 1)
        lines++;
    cr_assert_eq(rc, -EINVAL);
    cr_assert_eq(kp_reader_error_offset(r), cut);
    cr_assert_lt(lines, 3, "a line cut by the end of the data is not delivered");
    kp_reader_close(r);
    free(gz.p);
}

static void expect_json(struct kp_reader *r, unsigned flags, const char *want, unsigned long line,
                        enum kp_rec_status st)
{
    struct kp_rec rec;
    cr_assert_eq(kp_reader_json(r, flags, &rec), 1, "want %s", want);
    cr_assert_eq(rec.status, st, "%s: status %d", want, rec.status);
    cr_assert_eq(rec.line, line, "%s: line %lu, want %lu", want, rec.line, line);
    if (want != NULL) {
        cr_assert_eq(rec.len, strlen(want), "got %.*s want %s", (int)rec.len, rec.p, want);
        cr_assert(memcmp(rec.p, want, rec.len) == 0, "got %.*s want %s", (int)rec.len, rec.p, want);
    }
}

Test(reader, json_records_array_lines_and_concatenated)
{
    const char *s = "\xEF\xBB\xBF[ {\"a\":\"}{\\\"\"},\n"
                    "  {\"b\":[1,\n2]} ,\n"
                    "{}]\n"
                    "{\"c\":1}{\"d\":\"x\\\\\"}\n"
                    "junk here {\"no\":1}\n"
                    "[7]\n"
                    "{\"cut\":";
    struct kp_reader *r;
    cr_assert_eq(kp_reader_open_mem(s, strlen(s), 0, &r), 0);
    unsigned f = KP_JSON_ARRAYS;
    expect_json(r, f, "{\"a\":\"}{\\\"\"}", 1, KP_REC_OK);
    expect_json(r, f, "{\"b\":[1,\n2]}", 2, KP_REC_OK);
    expect_json(r, f, "{}", 4, KP_REC_OK);
    expect_json(r, f, "{\"c\":1}", 5, KP_REC_OK);
    expect_json(r, f, "{\"d\":\"x\\\\\"}", 5, KP_REC_OK);
    expect_json(r, f, NULL, 6, KP_REC_NOT_RECORD);
    /* a second top-level array: its element 7 is not an object, the reader
     * says nothing about that (the caller's parser does) */
    expect_json(r, f, NULL, 7, KP_REC_NOT_RECORD);
    expect_json(r, f, "{\"cut\":", 8, KP_REC_CUT);
    struct kp_rec rec;
    cr_assert_eq(kp_reader_json(r, f, &rec), 0);
    kp_reader_close(r);

    /* without KP_JSON_ARRAYS an array is one record */
    const char *t = "[{\"a\":1},{\"b\":2}]\n{\"c\":3}";
    cr_assert_eq(kp_reader_open_mem(t, strlen(t), 0, &r), 0);
    expect_json(r, 0, "[{\"a\":1},{\"b\":2}]", 1, KP_REC_OK);
    expect_json(r, 0, "{\"c\":3}", 2, KP_REC_OK);
    cr_assert_eq(kp_reader_json(r, 0, &rec), 0);
    kp_reader_close(r);
}

Test(reader, too_long_records_are_skipped_not_held)
{
    size_t big = 5000;
    char *s = malloc(3 * big);
    size_t n = 0;
    n += (size_t)sprintf(s + n, "{\"a\":1}\n{\"long\":\"");
    memset(s + n, 'x', big);
    n += big;
    n += (size_t)sprintf(s + n, "\"}\n{\"b\":\"}\"}\nshort\n");
    memset(s + n, 'y', big);
    n += big;
    n += (size_t)sprintf(s + n, "\nlast");
    struct kp_reader *r;
    cr_assert_eq(kp_reader_open_mem(s, n, 0, &r), 0);
    kp_reader_set_max_record(r, 1000);
    expect_json(r, 0, "{\"a\":1}", 1, KP_REC_OK);
    expect_json(r, 0, "", 2, KP_REC_TOO_LONG);
    expect_json(r, 0, "{\"b\":\"}\"}", 3, KP_REC_OK);
    struct kp_rec rec;
    /* the same reader by lines now */
    cr_assert_eq(kp_reader_line(r, &rec), 1);
    cr_assert_eq(rec.len, 0, "the rest of line 3");
    cr_assert_eq(kp_reader_line(r, &rec), 1);
    cr_assert_str_eq(rec.p, "short");
    cr_assert_eq(rec.line, 4);
    cr_assert_eq(kp_reader_line(r, &rec), 1);
    cr_assert_eq(rec.status, KP_REC_TOO_LONG);
    cr_assert_eq(rec.line, 5);
    cr_assert_eq(kp_reader_line(r, &rec), 1);
    cr_assert_str_eq(rec.p, "last");
    cr_assert_eq(rec.line, 6);
    kp_reader_close(r);
    free(s);
}

Test(reader, json_records_across_buffers_compressed)
{
    /* an Atlas-like array of 30000 objects, bzip2-compressed, threaded */
    size_t count = 30000;
    struct blob txt = {malloc(count * 100 + 16), 0};
    txt.n += (size_t)sprintf(txt.p, "[");
    for (size_t i = 0; i < count; i++)
        txt.n += (size_t)sprintf(txt.p + txt.n, "%s{\"prb_id\":%zu,\"s\":\"a]b\\\"c{\"}",
                                 i ? ", " : "", i);
    txt.n += (size_t)sprintf(txt.p + txt.n, "]\n");
    struct blob bz = bzip2_of(txt.p, txt.n, 1);
    struct kp_reader *r;
    cr_assert_eq(kp_reader_open_mem(bz.p, bz.n, KP_READER_THREAD, &r), 0);
    const char *head;
    size_t hn;
    cr_assert_eq(kp_reader_peek(r, 12, &head, &hn), 0);
    cr_assert_eq(hn, 12);
    cr_assert(memcmp(head, "[{\"prb_id\":0", 12) == 0, "peek sees the content");
    struct kp_rec rec;
    size_t i = 0;
    int rc;
    while ((rc = kp_reader_json(r, KP_JSON_ARRAYS, &rec)) == 1) {
        char want[64];
        int wn = sprintf(want, "{\"prb_id\":%zu,\"s\":\"a]b\\\"c{\"}", i);
        cr_assert_eq(rec.status, KP_REC_OK);
        cr_assert_eq(rec.len, (size_t)wn, "record %zu", i);
        cr_assert(memcmp(rec.p, want, (size_t)wn) == 0, "record %zu", i);
        i++;
    }
    cr_assert_eq(rc, 0);
    cr_assert_eq(i, count);
    kp_reader_close(r);
    free(txt.p);
    free(bz.p);
}

Test(reader, slurp_and_stdio)
{
    struct blob a = slurp_file(FIX("a.txt"));
    struct kp_reader *r;
    cr_assert_eq(kp_reader_open(FIX("a.txt.bz2"), KP_READER_THREAD, &r), 0);
    char *buf;
    size_t len;
    cr_assert_eq(kp_reader_slurp(r, 1000, &buf, &len), 0);
    cr_assert_eq(len, a.n);
    cr_assert(memcmp(buf, a.p, len) == 0);
    free(buf);
    kp_reader_close(r);
    cr_assert_eq(kp_reader_open(FIX("a.txt.gz"), 0, &r), 0);
    cr_assert_eq(kp_reader_slurp(r, 100, &buf, &len), -EFBIG);
    kp_reader_close(r);

    cr_assert_eq(kp_reader_open(FIX("a.txt.gz"), 0, &r), 0);
    FILE *f = kp_reader_fopen(r);
    cr_assert_not_null(f);
    char line[200];
    cr_assert_not_null(fgets(line, sizeof(line), f));
    cr_assert(strncmp(line, a.p, strlen(line)) == 0);
    cr_assert_eq(ftell(f), (long)strlen(line), "ftell counts content bytes read");
    fclose(f);
    kp_reader_close(r);
    free(a.p);
}

Test(reader, missing_file)
{
    struct kp_reader *r = (struct kp_reader *)1;
    cr_assert_eq(kp_reader_open("/nonexistent/kp-reader", 0, &r), -ENOENT);
    cr_assert_null(r);
}
