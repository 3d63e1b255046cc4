/* SPDX-License-Identifier: BSD-2-Clause */
/* asn_num.h — AS numbers: parsing from text, shared by every source parser
 * (prefix2as, bgpdump, Team Cymru TXT, mmdb strings), and the one table of
 * special-purpose AS number ranges. Pure. */
#ifndef KP_ASN_NUM_H
#define KP_ASN_NUM_H

#include <stddef.h>
#include <stdint.h>

#define KP_ASN_PREFIX_OK 0x1u /* an optional "AS"/"as" before the number (IPinfo) */
#define KP_ASN_ASDOT_OK  0x2u /* also asdot "high.low", each 0..65535 (RFC 5396) */

/* Parse all of s[0..n) as one AS number (asplain: decimal digits, at most
 * 4294967295; with the flags above also "AS" and/or asdot) into *out.
 * Nothing else may stand in s. 0 or -EINVAL. */
int kp_asn_parse(const char *s, size_t n, unsigned flags, uint32_t *out);

/* Special-purpose AS numbers (IANA "Special-Purpose AS Numbers" registry). */
enum kp_asn_class {
    KP_ASCLASS_PUBLIC = 0,    /* anything else */
    KP_ASCLASS_PRIVATE,       /* 64512-65534, 4200000000-4294967294 (RFC 6996) */
    KP_ASCLASS_DOCUMENTATION, /* 64496-64511, 65536-65551 (RFC 5398) */
    KP_ASCLASS_RESERVED,      /* 0 (RFC 7607), 65535 and 4294967295 (RFC 7300),
                                 65552-131071 (IANA reserved) */
    KP_ASCLASS_AS_TRANS,      /* 23456, the 2-byte stand-in for a 4-byte AS (RFC 6793) */
    KP_ASCLASS_COUNT
};

/* Class of AS number asn. */
enum kp_asn_class kp_asn_class_of(uint32_t asn);

/* Stable lower-case label: "public", "private", "documentation", "reserved",
 * "as-trans". */
const char *kp_asn_class_name(enum kp_asn_class c);

#endif
