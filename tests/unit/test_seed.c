/* SPDX-License-Identifier: BSD-2-Clause */
/* test_seed.c — kp_seed_derive: the values of an independent SipHash-2-4 and
 * splitmix64 (a short Python script written from the SipHash paper, checked
 * on its appendix A vector), and that hours and bases give other seeds. */
#include <criterion/criterion.h>
#include <stdio.h>

#include "core/codec/seed.h"

Test(seed, known_values)
{
    cr_expect_eq(kp_seed_derive(1, "20261206T00Z"), 0xd8dffa03237b1932ULL);
    cr_expect_eq(kp_seed_derive(1, "20261206T01Z"), 0xdbc12fa9368032e4ULL);
    cr_expect_eq(kp_seed_derive(0x0123456789abcdefULL, "20261206T00Z"), 0xebfb1da3adc148daULL);
}

Test(seed, every_hour_of_a_day_differs_and_hides_the_base)
{
    uint64_t s[24];
    for (int h = 0; h < 24; h++) {
        char label[32];
        snprintf(label, sizeof(label), "20261206T%02dZ", h);
        s[h] = kp_seed_derive(42, label);
        cr_expect_neq(s[h], 42);
        cr_expect_eq(s[h], kp_seed_derive(42, label), "deterministic");
        for (int k = 0; k < h; k++)
            cr_expect_neq(s[h], s[k], "hours %d and %d", k, h);
    }
    /* the hour's seed is not the base's xor anything the hour's name gives */
    cr_expect_neq(kp_seed_derive(42, "20261206T00Z") ^ kp_seed_derive(43, "20261206T00Z"), 42 ^ 43);
}
