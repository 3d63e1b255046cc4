/* SPDX-License-Identifier: BSD-2-Clause */
/* slab: items never move; a cleared slab reuses its blocks. */
#include <criterion/criterion.h>
#include <string.h>

#include "core/base/slab.h"

Test(slab, clear_reuses_blocks_and_gives_zeroed_items)
{
    struct kp_slab s;
    kp_slab_init(&s, 24, 16);
    char *first = NULL;
    for (int i = 0; i < 100; i++) {
        char *p = kp_slab_add(&s);
        cr_assert_not_null(p);
        memset(p, 0xab, 24);
        if (i == 0)
            first = p;
    }
    cr_assert_eq(s.n, 100);
    size_t blocks = s.n_blocks;
    cr_assert_eq(blocks, 7);
    kp_slab_clear(&s);
    cr_assert_eq(s.n, 0);
    for (int i = 0; i < 100; i++) {
        char *p = kp_slab_add(&s);
        if (i == 0)
            cr_assert_eq(p, first, "the first block is used again");
        for (int k = 0; k < 24; k++)
            cr_assert_eq(p[k], 0);
    }
    cr_assert_eq(s.n_blocks, blocks, "no new block for as many items");
    kp_slab_add(&s);
    kp_slab_free(&s);
    cr_assert_eq(s.n_blocks, 0);
}
