/* SPDX-License-Identifier: BSD-2-Clause */
/* seed.c — see seed.h. */
#include "core/codec/seed.h"

#include <string.h>

#include "core/codec/identity.h"

uint64_t kp_seed_derive(uint64_t base, const char *label)
{
    struct kp_key k;
    kp_key_from_seed(base, &k);
    return kp_siphash24(&k, label, strlen(label));
}
