/* SPDX-License-Identifier: BSD-2-Clause */
#include "core/base/addr.h"

#include "core/base/htab.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

/* A dotted quad as inet_pton(AF_INET) takes it (four decimal parts, each
 * 0-255 without a leading zero, nothing else), read without a library call:
 * addresses are parsed for every hop and every table line. 0, or -1 for
 * anything else (then inet_pton decides). */
static int parse_quad(const char *s, uint8_t *b)
{
    for (int k = 0; k < 4; k++) {
        if (*s < '0' || *s > '9')
            return -1;
        unsigned v = (unsigned)(*s++ - '0');
        while (*s >= '0' && *s <= '9') {
            if (v == 0)
                return -1; /* a leading zero */
            v = v * 10 + (unsigned)(*s++ - '0');
            if (v > 255)
                return -1;
        }
        b[k] = (uint8_t)v;
        if (k < 3 && *s++ != '.')
            return -1;
    }
    return *s == '\0' ? 0 : -1;
}

int kp_addr_parse(const char *s, struct kp_addr *out)
{
    memset(out, 0, sizeof(*out));
    if (s == NULL)
        return -EINVAL;
    if (parse_quad(s, out->b) == 0) {
        out->family = 4;
        return 0;
    }
    memset(out->b, 0, sizeof(out->b));
    if (inet_pton(AF_INET, s, out->b) == 1) {
        out->family = 4;
        return 0;
    }
    if (inet_pton(AF_INET6, s, out->b) == 1) {
        out->family = 6;
        return 0;
    }
    memset(out, 0, sizeof(*out));
    return -EINVAL;
}

char *kp_addr_str(const struct kp_addr *a, char *buf, size_t buflen)
{
    if (buflen == 0)
        return buf;
    buf[0] = '\0';
    if (a->family == 4)
        inet_ntop(AF_INET, a->b, buf, (socklen_t)buflen);
    else if (a->family == 6)
        inet_ntop(AF_INET6, a->b, buf, (socklen_t)buflen);
    return buf;
}

struct kp_addr kp_addr_v4(uint32_t h)
{
    struct kp_addr a;
    memset(&a, 0, sizeof(a));
    a.family = 4;
    a.b[0] = (uint8_t)(h >> 24);
    a.b[1] = (uint8_t)(h >> 16);
    a.b[2] = (uint8_t)(h >> 8);
    a.b[3] = (uint8_t)h;
    return a;
}

uint32_t kp_addr_v4_host(const struct kp_addr *a)
{
    return ((uint32_t)a->b[0] << 24) | ((uint32_t)a->b[1] << 16) | ((uint32_t)a->b[2] << 8) |
           (uint32_t)a->b[3];
}

bool kp_addr_eq(const struct kp_addr *a, const struct kp_addr *b)
{
    if (a->family != b->family)
        return false;
    return memcmp(a->b, b->b, a->family == 4 ? 4 : 16) == 0;
}

uint64_t kp_addr_hash(uint64_t h, const struct kp_addr *a)
{
    h = kp_hash_u64(h, a->family);
    return kp_hash_bytes(h, a->b, a->family == 4 ? 4 : 16);
}

bool kp_hostname_valid(const char *s)
{
    size_t total = 0, label = 0;
    char prev = '.';
    if (s == NULL || *s == '\0' || *s == '.')
        return false;
    for (const char *c = s; *c; c++, total++) {
        char ch = *c;
        if (ch == '.') {
            if (label == 0 || prev == '-')
                return false;
            label = 0;
        } else if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                   (ch >= '0' && ch <= '9') || (ch == '-' && label > 0)) {
            if (++label > 63)
                return false;
        } else {
            return false;
        }
        prev = ch;
    }
    return total <= 253 + (prev == '.') && prev != '-';
}
