/* decompress.c — whole-buffer gzip (zlib inflate) and bzip2 (libbz2)
 * decompression; see decompress.h. */
#include "analysis/decompress.h"

#include <bzlib.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

enum kp_compression kp_compression_sniff(const uint8_t *buf, size_t n)
{
    if (buf == NULL)
        return KP_COMP_NONE;
    if (n >= 2 && buf[0] == 0x1f && buf[1] == 0x8b)
        return KP_COMP_GZIP;
    if (n >= 4 && buf[0] == 'B' && buf[1] == 'Z' && buf[2] == 'h' && buf[3] >= '1' && buf[3] <= '9')
        return KP_COMP_BZIP2;
    return KP_COMP_NONE;
}

const char *kp_compression_name(enum kp_compression c)
{
    switch (c) {
    case KP_COMP_GZIP:
        return "gzip";
    case KP_COMP_BZIP2:
        return "bzip2";
    case KP_COMP_NONE:
        break;
    }
    return "none";
}

/* The output buffer: len bytes written, cap bytes of room (plus one spare
 * byte for the final NUL), never more than limit = max_out + 1 so that one
 * byte too many is seen and reported as -EFBIG. */
struct obuf {
    uint8_t *p;
    size_t len, cap, limit;
};

/* Make room for at least one more byte: 0, -EFBIG or -ENOMEM. */
static int obuf_room(struct obuf *b)
{
    if (b->len < b->cap)
        return 0;
    if (b->cap >= b->limit)
        return -EFBIG;
    size_t cap = b->cap > b->limit / 2 ? b->limit : b->cap * 2;
    if (cap < 4096)
        cap = b->limit < 4096 ? b->limit : 4096;
    uint8_t *p = realloc(b->p, cap + 1);
    if (p == NULL)
        return -ENOMEM;
    b->p = p;
    b->cap = cap;
    return 0;
}

/* zlib and libbz2 count in unsigned int: input and output go to them in
 * pieces of at most this much (lower it at build time to test the piecing). */
#ifndef KP_DECOMPRESS_PIECE
#define KP_DECOMPRESS_PIECE UINT_MAX
#endif

static unsigned int clamp_uint(size_t v)
{
    return v > KP_DECOMPRESS_PIECE ? KP_DECOMPRESS_PIECE : (unsigned int)v;
}

static bool all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != 0)
            return false;
    return true;
}

/* After a member or stream ended at in[pos]: true when nothing but zero
 * padding follows. */
static bool at_end(const uint8_t *in, size_t n, size_t pos)
{
    return pos == n || all_zero(in + pos, n - pos);
}

static int gunzip(const uint8_t *in, size_t n, struct obuf *b, size_t *err_off)
{
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    int zr = inflateInit2(&zs, 15 + 16); /* gzip wrapper only */
    if (zr != Z_OK)
        return zr == Z_MEM_ERROR ? -ENOMEM : -EINVAL;
    size_t pos = 0; /* bytes of in[] consumed by inflate */
    int rc;
    for (;;) {
        if (zs.avail_in == 0) {
            zs.next_in = (Bytef *)(uintptr_t)(in + pos);
            zs.avail_in = clamp_uint(n - pos);
        }
        rc = obuf_room(b);
        if (rc != 0)
            break;
        zs.next_out = b->p + b->len;
        zs.avail_out = clamp_uint(b->cap - b->len);
        unsigned int ain = zs.avail_in, aout = zs.avail_out;
        zr = inflate(&zs, Z_NO_FLUSH);
        pos += ain - zs.avail_in;
        b->len += aout - zs.avail_out;
        if (zr == Z_STREAM_END) {
            if (at_end(in, n, pos)) {
                rc = 0;
                break;
            }
            /* another member must follow: it starts with the gzip magic */
            if (in[pos] != 0x1f || (n - pos >= 2 && in[pos + 1] != 0x8b)) {
                *err_off = in[pos] != 0x1f ? pos : pos + 1;
                rc = -EINVAL;
                break;
            }
            inflateReset(&zs);
            continue;
        }
        if (zr == Z_OK || zr == Z_BUF_ERROR) {
            bool progress = ain != zs.avail_in || aout != zs.avail_out;
            if (zs.avail_in == 0 && pos == n && zs.avail_out != 0) {
                *err_off = n; /* wants more input than there is */
                rc = -EINVAL;
                break;
            }
            if (progress || zs.avail_out == 0 || zs.avail_in == 0)
                continue;
            *err_off = pos; /* no progress with room on both sides */
            rc = -EINVAL;
            break;
        }
        if (zr == Z_MEM_ERROR) {
            rc = -ENOMEM;
            break;
        }
        /* Z_DATA_ERROR (and anything unexpected). A trailer that does not
         * match has just been read whole: point at its start. */
        *err_off = pos;
        if (zs.msg != NULL && pos >= 4 &&
            (strcmp(zs.msg, "incorrect data check") == 0 ||
             strcmp(zs.msg, "incorrect length check") == 0))
            *err_off = pos - 4;
        rc = -EINVAL;
        break;
    }
    inflateEnd(&zs);
    return rc;
}

static int bunzip2(const uint8_t *in, size_t n, struct obuf *b, size_t *err_off)
{
    bz_stream bs;
    bool open = false;
    size_t pos = 0;   /* bytes of in[] consumed by libbz2 */
    size_t start = 0; /* where the current stream began */
    int rc;
    for (;;) {
        if (!open) {
            memset(&bs, 0, sizeof(bs));
            int br = BZ2_bzDecompressInit(&bs, 0, 0);
            if (br != BZ_OK)
                return br == BZ_MEM_ERROR ? -ENOMEM : -EINVAL;
            open = true;
            start = pos;
        }
        if (bs.avail_in == 0) {
            bs.next_in = (char *)(uintptr_t)(in + pos);
            bs.avail_in = clamp_uint(n - pos);
        }
        rc = obuf_room(b);
        if (rc != 0)
            break;
        bs.next_out = (char *)(b->p + b->len);
        bs.avail_out = clamp_uint(b->cap - b->len);
        unsigned int ain = bs.avail_in, aout = bs.avail_out;
        int br = BZ2_bzDecompress(&bs);
        pos += ain - bs.avail_in;
        b->len += aout - bs.avail_out;
        if (br == BZ_STREAM_END) {
            BZ2_bzDecompressEnd(&bs);
            open = false;
            if (at_end(in, n, pos)) {
                rc = 0;
                break;
            }
            continue; /* the next stream's magic is checked by libbz2 */
        }
        if (br == BZ_OK) {
            bool progress = ain != bs.avail_in || aout != bs.avail_out;
            if (bs.avail_in == 0 && pos == n && bs.avail_out != 0) {
                *err_off = n;
                rc = -EINVAL;
                break;
            }
            if (progress || bs.avail_out == 0 || bs.avail_in == 0)
                continue;
            *err_off = pos;
            rc = -EINVAL;
            break;
        }
        if (br == BZ_MEM_ERROR) {
            rc = -ENOMEM;
            break;
        }
        *err_off = br == BZ_DATA_ERROR_MAGIC ? start : pos;
        rc = -EINVAL;
        break;
    }
    if (open)
        BZ2_bzDecompressEnd(&bs);
    return rc;
}

int kp_decompress(enum kp_compression c, const uint8_t *in, size_t n, size_t max_out, uint8_t **out,
                  size_t *out_len, size_t *err_off)
{
    size_t off_scratch = 0;
    if (err_off == NULL)
        err_off = &off_scratch;
    *err_off = 0;
    *out = NULL;
    *out_len = 0;
    if ((in == NULL && n > 0) || (c != KP_COMP_GZIP && c != KP_COMP_BZIP2))
        return -EINVAL;
    static const uint8_t empty[1];
    if (in == NULL)
        in = empty;

    struct obuf b = {NULL, 0, 0, max_out < SIZE_MAX - 1 ? max_out + 1 : SIZE_MAX - 1};
    /* first guess: four times the input (at most 64 MiB), then doubling */
    b.cap = n > b.limit / 4 ? b.limit : n * 4;
    if (b.cap > ((size_t)64 << 20))
        b.cap = (size_t)64 << 20;
    if (b.cap < 256)
        b.cap = b.limit < 256 ? b.limit : 256;
    b.p = malloc(b.cap + 1);
    if (b.p == NULL)
        return -ENOMEM;

    int rc = c == KP_COMP_GZIP ? gunzip(in, n, &b, err_off) : bunzip2(in, n, &b, err_off);
    if (rc == 0 && b.len > max_out)
        rc = -EFBIG;
    if (rc != 0) {
        free(b.p);
        return rc;
    }
    if (b.cap - b.len > 4096) { /* give back what doubling left unused */
        uint8_t *p = realloc(b.p, b.len + 1);
        if (p != NULL)
            b.p = p;
    }
    b.p[b.len] = 0;
    *out = b.p;
    *out_len = b.len;
    return 0;
}
