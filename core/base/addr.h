/* SPDX-License-Identifier: BSD-2-Clause */
/* addr.h — an IPv4 or IPv6 address as a value type, and its text forms.
 *
 * Pure: no allocation, no globals. Used by every record in kptrace.
 */
#ifndef KP_ADDR_H
#define KP_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KP_ADDR_STRLEN 46 /* INET6_ADDRSTRLEN */

struct kp_addr {
    uint8_t family; /* 0 = unset, 4 = IPv4, 6 = IPv6 */
    uint8_t b[16];  /* network byte order; IPv4 uses b[0..3] */
};

/* Parse "a.b.c.d" or an IPv6 literal into *out. Returns 0 or -EINVAL. */
int kp_addr_parse(const char *s, struct kp_addr *out);

/* Whether s is a host name a resolver may be asked for (RFC 1123): dot-
 * separated labels of 1..63 letters, digits and hyphens, not starting or
 * ending with a hyphen, 253 characters at most, one trailing dot allowed.
 * A prefix ("198.18.0.0/30"), a URL or anything with a space is not. */
bool kp_hostname_valid(const char *s);

/* Write the text form of *a into buf (at least KP_ADDR_STRLEN bytes).
 * An unset address is written as "". Returns buf. */
char *kp_addr_str(const struct kp_addr *a, char *buf, size_t buflen);

/* IPv4 from a host-order 32-bit value / to one (a must be IPv4). */
struct kp_addr kp_addr_v4(uint32_t host_order);
uint32_t kp_addr_v4_host(const struct kp_addr *a);

/* Byte-wise equality including family. */
bool kp_addr_eq(const struct kp_addr *a, const struct kp_addr *b);

/* Fold the address (family and its 4 or 16 bytes) into the running hash h
 * (kp_hash_bytes of core/base/htab.h): equal addresses hash equal. */
uint64_t kp_addr_hash(uint64_t h, const struct kp_addr *a);

static inline bool kp_addr_is_set(const struct kp_addr *a)
{
    return a->family != 0;
}

#endif
