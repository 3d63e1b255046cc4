/* SPDX-License-Identifier: BSD-2-Clause */
/* prng.h — splitmix64 (Steele, Lea, Flood 2014; the seeding generator of
 * xoshiro), shared by the schedule's PRNG seeding, the engine's shuffles and
 * the identity key derivation. Pure: the state is the caller's. */
#ifndef KP_PRNG_H
#define KP_PRNG_H

#include <stdint.h>

/* Advance *state and return the next 64-bit output. */
static inline uint64_t kp_splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

#endif
