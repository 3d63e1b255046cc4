/* SPDX-License-Identifier: BSD-2-Clause */
/* known_as.c — the table of known ASes (known_as.h). */
#include "core/asmap/known_as.h"

#define KP_KNOWN_AS_ENTRY(asn, name, whois, colour, transit)                                       \
    {asn, name, name " (" whois ")", colour, transit},

static const struct kp_known_as known[] = {KP_KNOWN_AS_TABLE(KP_KNOWN_AS_ENTRY)};

size_t kp_known_as_count(void)
{
    return sizeof(known) / sizeof(known[0]);
}

const struct kp_known_as *kp_known_as_at(size_t i)
{
    return i < kp_known_as_count() ? &known[i] : NULL;
}

const struct kp_known_as *kp_known_as_find(uint32_t asn)
{
    for (size_t i = 0; i < kp_known_as_count(); i++)
        if (known[i].asn == asn)
            return &known[i];
    return NULL;
}
