/* asn_num.h — parsing an AS number from text, shared by every source parser
 * (prefix2as, bgpdump, Team Cymru TXT, mmdb strings). Pure. */
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

#endif
