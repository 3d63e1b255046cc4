/* SPDX-License-Identifier: BSD-2-Clause */
/* cursor.h — a bounds-checked read cursor over a const byte buffer, for every
 * parser of outside bytes (packets, quotes, options), in the manner of
 * c-ares' ares_buf.
 *
 * A cursor is a view p[0..len) and a read offset off (0 <= off <= len). Every
 * read returns 0, or -EBADMSG when fewer bytes remain than it needs; a read
 * that fails neither moves the cursor nor writes its output. Multi-byte
 * integers are big-endian (network order). A sub-cursor is a cursor over the
 * next n bytes (an IP header of IHL * 4 bytes, an ICMP quote, an extension
 * object): reads through it cannot leave those n bytes. Parsers hold cursors
 * by value (copying one is a cheap "mark") and do no index arithmetic of
 * their own.
 *
 * Pure: no allocation, no I/O; the cursor points into the caller's buffer and
 * lives as long as it.
 */
#ifndef KP_CURSOR_H
#define KP_CURSOR_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

struct kp_cur {
    const uint8_t *p; /* the buffer (NULL only when len is 0) */
    size_t len;       /* its length */
    size_t off;       /* read offset, 0..len */
};

/* A cursor over buf[0..len), at offset 0. */
static inline void kp_cur_init(struct kp_cur *c, const void *buf, size_t len)
{
    c->p = buf;
    c->len = buf != NULL ? len : 0;
    c->off = 0;
}

/* Bytes left to read. */
static inline size_t kp_cur_remaining(const struct kp_cur *c)
{
    return c->len - c->off;
}

/* Bytes read so far (the offset from the start of the cursor's view). */
static inline size_t kp_cur_offset(const struct kp_cur *c)
{
    return c->off;
}

/* The next n bytes without moving: *ptr points at them (into the buffer). */
static inline int kp_cur_peek_bytes(const struct kp_cur *c, size_t n, const uint8_t **ptr)
{
    if (n > kp_cur_remaining(c))
        return -EBADMSG;
    *ptr = c->p + c->off;
    return 0;
}

static inline int kp_cur_peek_u8(const struct kp_cur *c, uint8_t *out)
{
    const uint8_t *b;
    if (kp_cur_peek_bytes(c, 1, &b) != 0)
        return -EBADMSG;
    *out = b[0];
    return 0;
}

static inline int kp_cur_peek_u16be(const struct kp_cur *c, uint16_t *out)
{
    const uint8_t *b;
    if (kp_cur_peek_bytes(c, 2, &b) != 0)
        return -EBADMSG;
    *out = (uint16_t)((uint16_t)b[0] << 8 | b[1]);
    return 0;
}

static inline int kp_cur_peek_u32be(const struct kp_cur *c, uint32_t *out)
{
    const uint8_t *b;
    if (kp_cur_peek_bytes(c, 4, &b) != 0)
        return -EBADMSG;
    *out = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
    return 0;
}

/* Move past n bytes. */
static inline int kp_cur_skip(struct kp_cur *c, size_t n)
{
    if (n > kp_cur_remaining(c))
        return -EBADMSG;
    c->off += n;
    return 0;
}

/* Take the next n bytes: *ptr points at them (into the buffer). */
static inline int kp_cur_bytes(struct kp_cur *c, size_t n, const uint8_t **ptr)
{
    if (kp_cur_peek_bytes(c, n, ptr) != 0)
        return -EBADMSG;
    c->off += n;
    return 0;
}

static inline int kp_cur_u8(struct kp_cur *c, uint8_t *out)
{
    if (kp_cur_peek_u8(c, out) != 0)
        return -EBADMSG;
    c->off += 1;
    return 0;
}

static inline int kp_cur_u16be(struct kp_cur *c, uint16_t *out)
{
    if (kp_cur_peek_u16be(c, out) != 0)
        return -EBADMSG;
    c->off += 2;
    return 0;
}

static inline int kp_cur_u32be(struct kp_cur *c, uint32_t *out)
{
    if (kp_cur_peek_u32be(c, out) != 0)
        return -EBADMSG;
    c->off += 4;
    return 0;
}

/* Take the next n bytes as a sub-cursor *sub (at its offset 0). */
static inline int kp_cur_sub(struct kp_cur *c, size_t n, struct kp_cur *sub)
{
    const uint8_t *b;
    if (kp_cur_bytes(c, n, &b) != 0)
        return -EBADMSG;
    kp_cur_init(sub, b, n);
    return 0;
}

/* Take the next n bytes, or all that remain if fewer, as a sub-cursor *sub;
 * returns how many were taken. For a length field that may claim more than
 * was captured (a quote, a cut object), read as far as it goes. */
static inline size_t kp_cur_sub_upto(struct kp_cur *c, size_t n, struct kp_cur *sub)
{
    size_t r = kp_cur_remaining(c);
    size_t k = n < r ? n : r;
    kp_cur_init(sub, c->p != NULL ? c->p + c->off : NULL, k);
    c->off += k;
    return k;
}

/* Take everything that remains: *ptr points at it (NULL when the cursor has
 * no buffer); returns its length, 0 when nothing remains. */
static inline size_t kp_cur_rest(struct kp_cur *c, const uint8_t **ptr)
{
    size_t r = kp_cur_remaining(c);
    *ptr = c->p != NULL ? c->p + c->off : NULL;
    c->off = c->len;
    return r;
}

#endif
