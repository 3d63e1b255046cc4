/* SPDX-License-Identifier: BSD-2-Clause */
/* seed.h — one run's seed derived one-way from another: `kptrace watch
 * --seed N` gives each hour the seed kp_seed_derive(N, "YYYYmmddTHHZ"), so
 * that the seed an hour's sweep.json publishes tells nothing of N nor of any
 * other hour's seed (docs/security.md). */
#ifndef KP_SEED_H
#define KP_SEED_H

#include <stdint.h>

/* SipHash-2-4 of label's bytes (without its NUL) under kp_key_from_seed(base).
 * Pure. */
uint64_t kp_seed_derive(uint64_t base, const char *label);

#endif
