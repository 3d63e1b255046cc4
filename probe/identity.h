/* identity.h — probe identity and its keyed-hash check.
 *
 * A probe's identity (trace, TTL, attempt) is carried in header fields that an
 * ICMP error quotes (IP ID, UDP checksum, ICMP seq, TCP sequence number),
 * together with a check computed with a per-run secret key (SipHash-2-4), so
 * that replies can be matched without per-probe state and unsolicited or
 * spoofed replies rejected. Pure: the key is passed in, never global.
 *
 * Owner of the encoding: probe/identity.c (see its header comment for the
 * field layout per method).
 */
#ifndef KP_IDENTITY_H
#define KP_IDENTITY_H

#include <stddef.h>
#include <stdint.h>

struct kp_key {
    uint8_t k[16];
};

/* SipHash-2-4 of data[0..len) under key. */
uint64_t kp_siphash24(const struct kp_key *key, const void *data, size_t len);

#endif
