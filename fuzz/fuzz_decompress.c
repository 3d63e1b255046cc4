/* SPDX-License-Identifier: BSD-2-Clause */
/* fuzz_decompress.c — the stream decoder and the reader on top of it.
 *
 * 1. Whole buffer: what the first bytes announce is decompressed with at
 *    most 1 MiB of output; the result must keep the API's promises (NUL after
 *    the output, NULL on error, offsets inside the input).
 * 2. The reader, by lines and by JSON records (with and without arrays), on
 *    the same bytes: lines concatenated with their newlines are exactly the
 *    whole-buffer output, and the stream fails where the buffer failed (with
 *    an offset inside the input); records have growing offsets
 *    and line numbers, and each lies inside the content. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "io/decompress.h"
#include "io/reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_OUT ((size_t)1 << 20)

static void check_lines(const uint8_t *data, size_t size, const uint8_t *whole, size_t whole_len,
                        int whole_rc, size_t whole_off)
{
    struct kp_reader *r;
    if (kp_reader_open_mem(data, size, 0, &r) != 0)
        return;
    kp_reader_set_max_record(r, 4096);
    struct kp_rec rec;
    uint64_t off = 0;
    unsigned long line = 0;
    int rc;
    while ((rc = kp_reader_line(r, &rec)) == 1) {
        line++;
        if (rec.line != line || rec.offset != off)
            abort();
        if (rec.status == KP_REC_OK) {
            if (rec.len > 4096 || rec.p[rec.len] != '\0')
                abort();
            /* the same bytes as the whole-buffer output, where it has them */
            if (whole_rc == 0 && (off + rec.len > whole_len || memcmp(whole + off, rec.p, rec.len)))
                abort();
            off += rec.len;
        } else if (rec.status == KP_REC_TOO_LONG) {
            off = kp_reader_offset(r);
            if (whole_rc == 0 && off < whole_len && whole[off - 1] != '\n')
                abort();
            kp_reader_close(r);
            return; /* the offset of a skipped line's end is not asserted further */
        } else {
            abort();
        }
        if (kp_reader_offset(r) > off) {
            if (whole_rc == 0 && whole[off] != '\n')
                abort();
            off++;
        }
        if (off > MAX_OUT)
            break; /* the whole-buffer run stopped there */
    }
    if (rc == 0 && whole_rc == 0 && off != whole_len)
        abort();
    if (rc == 0 && whole_rc == -EINVAL)
        abort();     /* the stream must fail where the buffer failed */
    (void)whole_off; /* where a decoder notices damage may depend on how the input was pieced */
    if (rc == -EINVAL && kp_reader_error_offset(r) > size)
        abort();
    if (rc == -EINVAL && whole_rc == 0)
        abort();
    kp_reader_close(r);
}

static void check_json(const uint8_t *data, size_t size, unsigned flags)
{
    struct kp_reader *r;
    if (kp_reader_open_mem(data, size, 0, &r) != 0)
        return;
    kp_reader_set_max_record(r, 4096);
    struct kp_rec rec;
    uint64_t last_off = 0;
    unsigned long last_line = 1;
    int rc, n = 0;
    while ((rc = kp_reader_json(r, flags, &rec)) == 1 && n++ < 100000) {
        if (rec.offset < last_off || rec.line < last_line)
            abort();
        if (rec.status == KP_REC_OK || rec.status == KP_REC_CUT) {
            if (rec.len == 0 || (rec.p[0] != '{' && rec.p[0] != '['))
                abort();
            if (rec.status == KP_REC_OK && rec.p[rec.len - 1] != '}' && rec.p[rec.len - 1] != ']')
                abort();
            if (rec.len > 4096)
                abort();
        }
        if (kp_reader_offset(r) < rec.offset + rec.len)
            abort();
        last_off = rec.offset + (rec.status == KP_REC_OK ? rec.len : 0);
        last_line = rec.line;
        if (kp_reader_offset(r) > MAX_OUT)
            break;
    }
    kp_reader_close(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    enum kp_compression c = kp_compression_sniff(data, size);
    uint8_t *out = NULL;
    size_t len = 0, off = 0;
    int rc = -1;
    if (c != KP_COMP_NONE) {
        rc = kp_decompress(c, data, size, MAX_OUT, &out, &len, &off);
        if (rc == 0) {
            if (out == NULL || len > MAX_OUT || out[len] != 0)
                abort();
        } else {
            if (out != NULL || len != 0)
                abort();
            if (rc == -EINVAL && off > size)
                abort();
            if (rc != -EINVAL && rc != -EFBIG && rc != -ENOMEM)
                abort();
        }
    } else {
        rc = 0;
        out = (uint8_t *)(uintptr_t)data;
        len = size;
    }
    if (rc == 0 || rc == -EINVAL)
        check_lines(data, size, out, len, rc, off);
    check_json(data, size, 0);
    check_json(data, size, KP_JSON_ARRAYS);
    if (c != KP_COMP_NONE)
        free(out);
    return 0;
}
