/* SPDX-License-Identifier: BSD-2-Clause */
/* splitmix64 (core/base/prng.h) and the identity key derived from a seed
 * (core/codec/identity.h: kp_key_from_seed). Expected outputs for state 0 are the
 * reference implementation's (Vigna's splitmix64.c, first three outputs:
 * 0xe220a8397b1dcdaf, 0x6e789e6aa1b965f4, 0x06c45d188009454f). */
#include <criterion/criterion.h>

#include "core/codec/identity.h"
#include "core/base/prng.h"

Test(prng, splitmix64_reference_outputs)
{
    uint64_t s = 0;
    cr_assert_eq(kp_splitmix64(&s), 0xe220a8397b1dcdafULL);
    cr_assert_eq(kp_splitmix64(&s), 0x6e789e6aa1b965f4ULL);
    cr_assert_eq(kp_splitmix64(&s), 0x06c45d188009454fULL);
}

Test(prng, key_from_seed_is_two_outputs_little_endian)
{
    struct kp_key k;
    kp_key_from_seed(0, &k);
    static const uint8_t want[16] = {0xaf, 0xcd, 0x1d, 0x7b, 0x39, 0xa8, 0x20, 0xe2,
                                     0xf4, 0x65, 0xb9, 0xa1, 0x6a, 0x9e, 0x78, 0x6e};
    cr_assert_arr_eq(k.k, want, 16);
    struct kp_key k2;
    kp_key_from_seed(1, &k2);
    cr_assert_arr_neq(k.k, k2.k, 16);
}
