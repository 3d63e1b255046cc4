/* SPDX-License-Identifier: BSD-2-Clause */
/* asn_num.c — AS numbers from text. See asn_num.h. */
#include "core/asmap/asn_num.h"

#include <errno.h>
#include <string.h>

/* Decimal digits s[0..n), 1..10 of them, at most max. 0 or -EINVAL. */
static int digits(const char *s, size_t n, uint64_t max, uint64_t *out)
{
    if (n == 0 || n > 10)
        return -EINVAL;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -EINVAL;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v > max)
        return -EINVAL;
    *out = v;
    return 0;
}

int kp_asn_parse(const char *s, size_t n, unsigned flags, uint32_t *out)
{
    if ((flags & KP_ASN_PREFIX_OK) && n >= 2 && (s[0] == 'A' || s[0] == 'a') &&
        (s[1] == 'S' || s[1] == 's')) {
        s += 2;
        n -= 2;
    }
    const char *dot = (flags & KP_ASN_ASDOT_OK) ? memchr(s, '.', n) : NULL;
    uint64_t v;
    if (dot == NULL) {
        if (digits(s, n, UINT32_MAX, &v) != 0)
            return -EINVAL;
        *out = (uint32_t)v;
        return 0;
    }
    uint64_t hi, lo;
    size_t nh = (size_t)(dot - s);
    if (digits(s, nh, 65535, &hi) != 0 || digits(dot + 1, n - nh - 1, 65535, &lo) != 0)
        return -EINVAL;
    *out = (uint32_t)((hi << 16) | lo);
    return 0;
}

/* The one table of special-purpose AS numbers (IANA registry "Special-Purpose
 * AS Numbers", and the reserved block of "16-bit/32-bit AS Numbers"). */
static const struct {
    uint32_t lo, hi;
    enum kp_asn_class cls;
} asn_blocks[] = {
    {0, 0, KP_ASCLASS_RESERVED},                     /* RFC 7607 */
    {23456, 23456, KP_ASCLASS_AS_TRANS},             /* RFC 6793 */
    {64496, 64511, KP_ASCLASS_DOCUMENTATION},        /* RFC 5398 */
    {64512, 65534, KP_ASCLASS_PRIVATE},              /* RFC 6996 */
    {65535, 65535, KP_ASCLASS_RESERVED},             /* RFC 7300 */
    {65536, 65551, KP_ASCLASS_DOCUMENTATION},        /* RFC 5398 */
    {65552, 131071, KP_ASCLASS_RESERVED},            /* IANA reserved */
    {4200000000u, 4294967294u, KP_ASCLASS_PRIVATE},  /* RFC 6996 */
    {4294967295u, 4294967295u, KP_ASCLASS_RESERVED}, /* RFC 7300 */
};

enum kp_asn_class kp_asn_class_of(uint32_t asn)
{
    if ((asn > 23456 && asn < 64496) || (asn > 131071 && asn < 4200000000u) ||
        (asn > 0 && asn < 23456))
        return KP_ASCLASS_PUBLIC; /* the common case, without the scan */
    for (size_t i = 0; i < sizeof(asn_blocks) / sizeof(asn_blocks[0]); i++)
        if (asn >= asn_blocks[i].lo && asn <= asn_blocks[i].hi)
            return asn_blocks[i].cls;
    return KP_ASCLASS_PUBLIC;
}

const char *kp_asn_class_name(enum kp_asn_class c)
{
    switch (c) {
    case KP_ASCLASS_PUBLIC:
        return "public";
    case KP_ASCLASS_PRIVATE:
        return "private";
    case KP_ASCLASS_DOCUMENTATION:
        return "documentation";
    case KP_ASCLASS_RESERVED:
        return "reserved";
    case KP_ASCLASS_AS_TRANS:
        return "as-trans";
    case KP_ASCLASS_COUNT:
        break;
    }
    return "unknown";
}
