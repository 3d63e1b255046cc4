/* SPDX-License-Identifier: BSD-2-Clause */
/* Tests of the bounds-checked read cursor (core/base/cursor.h): every reader
 * at the exact end, one byte short, on an empty cursor, with a zero length;
 * sub-cursor bounds; a failed read neither moves the cursor nor writes. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "core/base/cursor.h"

static const uint8_t B[8] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08};

Test(cursor, init_and_remaining)
{
    struct kp_cur c;
    kp_cur_init(&c, B, sizeof(B));
    cr_assert_eq(kp_cur_remaining(&c), 8);
    cr_assert_eq(kp_cur_offset(&c), 0);
    kp_cur_init(&c, NULL, 5); /* no buffer: nothing to read */
    cr_assert_eq(kp_cur_remaining(&c), 0);
    uint8_t v = 0x5a;
    cr_assert_eq(kp_cur_u8(&c, &v), -EBADMSG);
    cr_assert_eq(v, 0x5a);
}

Test(cursor, integers_are_big_endian)
{
    struct kp_cur c;
    kp_cur_init(&c, B, sizeof(B));
    uint8_t a;
    uint16_t b;
    uint32_t d;
    cr_assert_eq(kp_cur_u8(&c, &a), 0);
    cr_assert_eq(a, 0x01);
    cr_assert_eq(kp_cur_u16be(&c, &b), 0);
    cr_assert_eq(b, 0x0203);
    cr_assert_eq(kp_cur_u32be(&c, &d), 0);
    cr_assert_eq(d, 0x04050607u);
    cr_assert_eq(kp_cur_offset(&c), 7);
    cr_assert_eq(kp_cur_remaining(&c), 1);
}

/* Each reader of width w on a buffer of exactly w bytes succeeds and ends at
 * the end; on w - 1 bytes it fails, does not move and leaves *out alone. */
Test(cursor, each_reader_at_exact_end_and_one_short)
{
    for (size_t w = 1; w <= 4; w *= 2) {
        struct kp_cur c;
        uint8_t u8 = 0xee;
        uint16_t u16 = 0xeeee;
        uint32_t u32 = 0xeeeeeeeeu;
        /* exact: w bytes from offset 8 - w */
        kp_cur_init(&c, B, sizeof(B));
        cr_assert_eq(kp_cur_skip(&c, 8 - w), 0);
        int r = w == 1   ? kp_cur_u8(&c, &u8)
                : w == 2 ? kp_cur_u16be(&c, &u16)
                         : kp_cur_u32be(&c, &u32);
        cr_assert_eq(r, 0, "width %zu at the exact end", w);
        cr_assert_eq(kp_cur_remaining(&c), 0);
        cr_assert_eq(w == 1   ? u8
                     : w == 2 ? u16
                              : u32,
                     w == 1   ? 0x08u
                     : w == 2 ? 0x0708u
                              : 0x05060708u);
        /* one short: w - 1 bytes left */
        kp_cur_init(&c, B, sizeof(B));
        cr_assert_eq(kp_cur_skip(&c, 8 - w + 1), 0);
        u8 = 0xee;
        u16 = 0xeeee;
        u32 = 0xeeeeeeeeu;
        r = w == 1 ? kp_cur_u8(&c, &u8) : w == 2 ? kp_cur_u16be(&c, &u16) : kp_cur_u32be(&c, &u32);
        cr_assert_eq(r, -EBADMSG, "width %zu one past the end", w);
        cr_assert_eq(kp_cur_offset(&c), 8 - w + 1, "a failed read moved the cursor");
        cr_assert_eq(u8, 0xee);
        cr_assert_eq(u16, 0xeeee);
        cr_assert_eq(u32, 0xeeeeeeeeu);
    }
}

Test(cursor, peeks_do_not_move)
{
    struct kp_cur c;
    kp_cur_init(&c, B, 4);
    uint8_t a;
    uint16_t b;
    uint32_t d;
    const uint8_t *p;
    cr_assert_eq(kp_cur_peek_u8(&c, &a), 0);
    cr_assert_eq(kp_cur_peek_u16be(&c, &b), 0);
    cr_assert_eq(kp_cur_peek_u32be(&c, &d), 0);
    cr_assert_eq(kp_cur_peek_bytes(&c, 4, &p), 0);
    cr_assert_eq(a, 0x01);
    cr_assert_eq(b, 0x0102);
    cr_assert_eq(d, 0x01020304u);
    cr_assert_eq(p, B);
    cr_assert_eq(kp_cur_offset(&c), 0);
    cr_assert_eq(kp_cur_skip(&c, 2), 0);
    d = 0;
    cr_assert_eq(kp_cur_peek_u32be(&c, &d), -EBADMSG);
    cr_assert_eq(d, 0);
    cr_assert_eq(kp_cur_peek_bytes(&c, 3, &p), -EBADMSG);
    cr_assert_eq(kp_cur_peek_bytes(&c, 2, &p), 0);
    cr_assert_eq(p, B + 2);
}

Test(cursor, empty_cursor_fails_every_read_and_allows_zero_length)
{
    struct kp_cur c, s;
    kp_cur_init(&c, B, 0);
    uint8_t a;
    uint16_t b;
    uint32_t d;
    const uint8_t *p = NULL;
    cr_assert_eq(kp_cur_u8(&c, &a), -EBADMSG);
    cr_assert_eq(kp_cur_u16be(&c, &b), -EBADMSG);
    cr_assert_eq(kp_cur_u32be(&c, &d), -EBADMSG);
    cr_assert_eq(kp_cur_peek_u8(&c, &a), -EBADMSG);
    cr_assert_eq(kp_cur_skip(&c, 1), -EBADMSG);
    cr_assert_eq(kp_cur_bytes(&c, 1, &p), -EBADMSG);
    cr_assert_eq(kp_cur_sub(&c, 1, &s), -EBADMSG);
    /* zero-length takes succeed anywhere, the end included */
    cr_assert_eq(kp_cur_skip(&c, 0), 0);
    cr_assert_eq(kp_cur_bytes(&c, 0, &p), 0);
    cr_assert_eq(kp_cur_sub(&c, 0, &s), 0);
    cr_assert_eq(kp_cur_remaining(&s), 0);
    cr_assert_eq(kp_cur_rest(&c, &p), 0);
    cr_assert_eq(kp_cur_offset(&c), 0);
}

Test(cursor, skip_and_bytes_bounds)
{
    struct kp_cur c;
    const uint8_t *p = NULL;
    kp_cur_init(&c, B, sizeof(B));
    cr_assert_eq(kp_cur_skip(&c, 9), -EBADMSG);
    cr_assert_eq(kp_cur_offset(&c), 0);
    cr_assert_eq(kp_cur_skip(&c, SIZE_MAX), -EBADMSG);
    cr_assert_eq(kp_cur_bytes(&c, 3, &p), 0);
    cr_assert_eq(p, B);
    cr_assert_eq(kp_cur_bytes(&c, 6, &p), -EBADMSG);
    cr_assert_eq(p, B, "a failed take wrote its output");
    cr_assert_eq(kp_cur_offset(&c), 3);
    cr_assert_eq(kp_cur_bytes(&c, 5, &p), 0);
    cr_assert_eq(p, B + 3);
    cr_assert_eq(kp_cur_remaining(&c), 0);
}

Test(cursor, sub_cursor_is_bounded_to_its_bytes)
{
    struct kp_cur c, s;
    kp_cur_init(&c, B, sizeof(B));
    cr_assert_eq(kp_cur_skip(&c, 1), 0);
    cr_assert_eq(kp_cur_sub(&c, 3, &s), 0);
    cr_assert_eq(kp_cur_offset(&c), 4);
    cr_assert_eq(kp_cur_remaining(&s), 3);
    cr_assert_eq(kp_cur_offset(&s), 0);
    uint32_t d = 0;
    cr_assert_eq(kp_cur_u32be(&s, &d), -EBADMSG, "read past the sub-cursor's end");
    cr_assert_eq(d, 0);
    uint16_t b;
    uint8_t a;
    cr_assert_eq(kp_cur_u16be(&s, &b), 0);
    cr_assert_eq(b, 0x0203);
    cr_assert_eq(kp_cur_u8(&s, &a), 0);
    cr_assert_eq(a, 0x04);
    cr_assert_eq(kp_cur_u8(&s, &a), -EBADMSG);
    /* the parent went on past the sub-cursor's bytes */
    cr_assert_eq(kp_cur_u8(&c, &a), 0);
    cr_assert_eq(a, 0x05);
    /* a sub-cursor longer than what remains fails without moving */
    struct kp_cur t = {0};
    cr_assert_eq(kp_cur_sub(&c, 4, &t), -EBADMSG);
    cr_assert_eq(kp_cur_offset(&c), 5);
    cr_assert_null(t.p);
    cr_assert_eq(kp_cur_sub(&c, 3, &t), 0);
    cr_assert_eq(kp_cur_remaining(&c), 0);
    cr_assert_eq(kp_cur_remaining(&t), 3);
}

Test(cursor, sub_upto_takes_what_there_is)
{
    struct kp_cur c, s;
    kp_cur_init(&c, B, sizeof(B));
    cr_assert_eq(kp_cur_sub_upto(&c, 3, &s), 3);
    cr_assert_eq(kp_cur_remaining(&s), 3);
    cr_assert_eq(kp_cur_offset(&c), 3);
    cr_assert_eq(kp_cur_sub_upto(&c, 100, &s), 5);
    cr_assert_eq(kp_cur_remaining(&s), 5);
    uint8_t a;
    cr_assert_eq(kp_cur_u8(&s, &a), 0);
    cr_assert_eq(a, 0x04);
    cr_assert_eq(kp_cur_remaining(&c), 0);
    cr_assert_eq(kp_cur_sub_upto(&c, 1, &s), 0);
    cr_assert_eq(kp_cur_remaining(&s), 0);
}

Test(cursor, rest_takes_everything_left)
{
    struct kp_cur c;
    const uint8_t *p = NULL;
    kp_cur_init(&c, B, sizeof(B));
    cr_assert_eq(kp_cur_skip(&c, 6), 0);
    cr_assert_eq(kp_cur_rest(&c, &p), 2);
    cr_assert_eq(p, B + 6);
    cr_assert_eq(kp_cur_remaining(&c), 0);
    cr_assert_eq(kp_cur_rest(&c, &p), 0);
    cr_assert_eq(p, B + 8);
    kp_cur_init(&c, NULL, 0);
    cr_assert_eq(kp_cur_rest(&c, &p), 0);
    cr_assert_null(p);
}

Test(cursor, copy_is_a_mark)
{
    struct kp_cur c, mark;
    kp_cur_init(&c, B, sizeof(B));
    cr_assert_eq(kp_cur_skip(&c, 2), 0);
    mark = c;
    uint32_t d;
    cr_assert_eq(kp_cur_u32be(&c, &d), 0);
    cr_assert_eq(kp_cur_u32be(&mark, &d), 0);
    cr_assert_eq(d, 0x03040506u);
    cr_assert_eq(kp_cur_offset(&c), kp_cur_offset(&mark));
}
