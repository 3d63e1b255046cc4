/* SPDX-License-Identifier: BSD-2-Clause */
/* decompress.c — gzip (zlib inflate) and bzip2 (libbz2) stream decoding, and
 * whole-buffer decompression on top of it; see decompress.h. */
#include "io/decompress.h"

#include <bzlib.h>
#include <errno.h>
#include <limits.h>
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

/* zlib and libbz2 count in unsigned int: input and output go to them in
 * pieces of at most this much (lower it at build time to test the piecing). */
#ifndef KP_DECOMPRESS_PIECE
#define KP_DECOMPRESS_PIECE UINT_MAX
#endif

static unsigned int clamp_uint(size_t v)
{
    return v > KP_DECOMPRESS_PIECE ? KP_DECOMPRESS_PIECE : (unsigned int)v;
}

enum unz_state {
    U_MEMBER,  /* inside a gzip member / bzip2 stream */
    U_BETWEEN, /* after one ended: another, zero padding, or the end */
    U_ZEROS,   /* in zero padding after the last one */
    U_DONE,
    U_FAILED,
};

struct kp_unz {
    enum kp_compression c;
    enum unz_state state;
    z_stream zs;
    bool z_init;
    bz_stream bs;
    bool bz_open;
    uint64_t pos;          /* compressed bytes consumed */
    uint64_t member_start; /* where the current bzip2 stream began */
    uint64_t zeros_start;  /* where the zero padding began */
    uint64_t err_off;
};

static int bz_open(struct kp_unz *u)
{
    memset(&u->bs, 0, sizeof(u->bs));
    int br = BZ2_bzDecompressInit(&u->bs, 0, 0);
    if (br != BZ_OK)
        return br == BZ_MEM_ERROR ? -ENOMEM : -EINVAL;
    u->bz_open = true;
    u->member_start = u->pos;
    return 0;
}

static void bz_close(struct kp_unz *u)
{
    if (u->bz_open)
        BZ2_bzDecompressEnd(&u->bs);
    u->bz_open = false;
}

int kp_unz_new(enum kp_compression c, struct kp_unz **out)
{
    *out = NULL;
    if (c != KP_COMP_GZIP && c != KP_COMP_BZIP2)
        return -EINVAL;
    struct kp_unz *u = calloc(1, sizeof(*u));
    if (u == NULL)
        return -ENOMEM;
    u->c = c;
    u->state = U_MEMBER;
    int rc = 0;
    if (c == KP_COMP_GZIP) {
        int zr = inflateInit2(&u->zs, 15 + 16); /* gzip wrapper only */
        if (zr != Z_OK)
            rc = zr == Z_MEM_ERROR ? -ENOMEM : -EINVAL;
        else
            u->z_init = true;
    } else {
        rc = bz_open(u);
    }
    if (rc != 0) {
        free(u);
        return rc;
    }
    *out = u;
    return 0;
}

void kp_unz_free(struct kp_unz *u)
{
    if (u == NULL)
        return;
    if (u->z_init)
        inflateEnd(&u->zs);
    bz_close(u);
    free(u);
}

uint64_t kp_unz_consumed(const struct kp_unz *u)
{
    return u->pos;
}

uint64_t kp_unz_error_offset(const struct kp_unz *u)
{
    return u->err_off;
}

static int fail(struct kp_unz *u, uint64_t off)
{
    u->state = U_FAILED;
    u->err_off = off;
    return -EINVAL;
}

/* One call into zlib or libbz2 over in[*used..n) and out[*made..cap).
 * Returns 0 (go on), 1 (the member/stream ended), 2 (needs more input or
 * room), or an error. */
static int member_step(struct kp_unz *u, const uint8_t *in, size_t n, bool final, uint8_t *out,
                       size_t cap, size_t *used, size_t *made)
{
    unsigned int ain = clamp_uint(n - *used), aout = clamp_uint(cap - *made);
    unsigned int left_in, left_out;
    int code; /* 1 end, 0 ok, -1 data error, -2 memory */
    const char *msg = NULL;
    if (u->c == KP_COMP_GZIP) {
        u->zs.next_in = (Bytef *)(uintptr_t)(in + *used);
        u->zs.avail_in = ain;
        u->zs.next_out = out + *made;
        u->zs.avail_out = aout;
        int zr = inflate(&u->zs, Z_NO_FLUSH);
        left_in = u->zs.avail_in;
        left_out = u->zs.avail_out;
        code = zr == Z_STREAM_END                ? 1
               : zr == Z_OK || zr == Z_BUF_ERROR ? 0
               : zr == Z_MEM_ERROR               ? -2
                                                 : -1;
        msg = u->zs.msg;
    } else {
        u->bs.next_in = (char *)(uintptr_t)(in + *used);
        u->bs.avail_in = ain;
        u->bs.next_out = (char *)(out + *made);
        u->bs.avail_out = aout;
        int br = BZ2_bzDecompress(&u->bs);
        left_in = u->bs.avail_in;
        left_out = u->bs.avail_out;
        code = br == BZ_STREAM_END ? 1 : br == BZ_OK ? 0 : br == BZ_MEM_ERROR ? -2 : -1;
        if (br == BZ_DATA_ERROR_MAGIC)
            code = -3;
    }
    *used += ain - left_in;
    *made += aout - left_out;
    u->pos += ain - left_in;
    if (code == 1)
        return 1;
    if (code == 0) {
        bool progress = ain != left_in || aout != left_out;
        if (*used == n && *made < cap) {
            if (final)
                return fail(u, u->pos); /* wants more input than there is */
            return 2;
        }
        if (*made == cap)
            return 2;
        if (progress)
            return 0;
        return fail(u, u->pos); /* no progress with room on both sides */
    }
    if (code == -2) {
        u->state = U_FAILED;
        return -ENOMEM;
    }
    if (code == -3)
        return fail(u, u->member_start);
    /* A gzip trailer that does not match has just been read whole: point
     * at its start. */
    if (msg != NULL && u->pos >= 4 &&
        (strcmp(msg, "incorrect data check") == 0 || strcmp(msg, "incorrect length check") == 0))
        return fail(u, u->pos - 4);
    return fail(u, u->pos);
}

int kp_unz_step(struct kp_unz *u, const uint8_t *in, size_t n, bool final, uint8_t *out, size_t cap,
                size_t *used, size_t *made)
{
    *used = 0;
    *made = 0;
    if (u == NULL || (in == NULL && n > 0) || (out == NULL && cap > 0))
        return -EINVAL;
    for (;;) {
        switch (u->state) {
        case U_FAILED:
            return -EINVAL;
        case U_DONE:
            return 1;
        case U_MEMBER: {
            int rc = member_step(u, in, n, final, out, cap, used, made);
            if (rc < 0)
                return rc;
            if (rc == 2)
                return 0;
            if (rc == 1) {
                if (u->c == KP_COMP_BZIP2)
                    bz_close(u);
                u->state = U_BETWEEN;
            }
            break;
        }
        case U_BETWEEN: {
            if (*used == n) {
                if (!final)
                    return 0;
                u->state = U_DONE;
                return 1;
            }
            uint8_t b = in[*used];
            if (b == 0) {
                u->zeros_start = u->pos;
                u->state = U_ZEROS;
                break;
            }
            if (u->c == KP_COMP_BZIP2) {
                int rc = bz_open(u); /* libbz2 checks the next stream's magic */
                if (rc != 0) {
                    u->state = U_FAILED;
                    return rc;
                }
                u->state = U_MEMBER;
                break;
            }
            /* another gzip member must follow: it starts with the magic */
            if (b != 0x1f)
                return fail(u, u->pos);
            if (*used + 1 == n) {
                if (final)
                    return fail(u, u->pos + 1);
                return 0; /* the second byte is still to come */
            }
            if (in[*used + 1] != 0x8b)
                return fail(u, u->pos + 1);
            inflateReset(&u->zs);
            u->state = U_MEMBER;
            break;
        }
        case U_ZEROS:
            while (*used < n && in[*used] == 0) {
                (*used)++;
                u->pos++;
            }
            if (*used < n)
                return fail(u, u->zeros_start);
            if (!final)
                return 0;
            u->state = U_DONE;
            return 1;
        }
    }
}

/* ---- whole buffer --------------------------------------------------------- */

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
    struct kp_unz *u;
    int rc = kp_unz_new(c, &u);
    if (rc != 0)
        return rc;

    /* room for one byte more than max_out, so that one too many is seen;
     * first guess: four times the input (at most 64 MiB), then doubling */
    size_t limit = max_out < SIZE_MAX - 1 ? max_out + 1 : SIZE_MAX - 1;
    size_t cap = n > limit / 4 ? limit : n * 4;
    if (cap > ((size_t)64 << 20))
        cap = (size_t)64 << 20;
    if (cap < 256)
        cap = limit < 256 ? limit : 256;
    uint8_t *b = malloc(cap + 1);
    size_t len = 0, pos = 0;
    if (b == NULL)
        rc = -ENOMEM;
    while (b != NULL) {
        if (len == cap) {
            if (cap >= limit) {
                rc = -EFBIG;
                break;
            }
            size_t ncap = cap > limit / 2 ? limit : cap * 2;
            uint8_t *nb = realloc(b, ncap + 1);
            if (nb == NULL) {
                rc = -ENOMEM;
                break;
            }
            b = nb;
            cap = ncap;
        }
        size_t used, made;
        rc = kp_unz_step(u, in + pos, n - pos, true, b + len, cap - len, &used, &made);
        pos += used;
        len += made;
        if (rc != 0)
            break;
    }
    if (rc == 1)
        rc = len > max_out ? -EFBIG : 0;
    if (rc == -EINVAL)
        *err_off = (size_t)kp_unz_error_offset(u);
    kp_unz_free(u);
    if (rc != 0) {
        free(b);
        return rc;
    }
    if (cap - len > 4096) { /* give back what doubling left unused */
        uint8_t *p = realloc(b, len + 1);
        if (p != NULL)
            b = p;
    }
    b[len] = 0;
    *out = b;
    *out_len = len;
    return 0;
}
