/* asn_num.c — AS numbers from text. See asn_num.h. */
#include "analysis/asn_num.h"

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
