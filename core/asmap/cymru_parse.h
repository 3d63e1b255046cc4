/* SPDX-License-Identifier: BSD-2-Clause */
/* cymru_parse.h — Team Cymru's IP-to-ASN DNS answers: query names and strict
 * validation of the TXT strings (the resolver with its cache is
 * sources/asn_cymru.h). Anything that is not exactly the documented
 * shape (an SPF string, HTML, a truncated record) is rejected with a reason.
 *   origin:  "3561 | 216.88.0.0/14 | US | arin | 1998-09-25"
 *   AS name: "23028 | US | arin | 2002-01-04 | TEAM-CYMRU - Team Cymru Inc., US"
 *
 * Pure: no I/O, no allocation.
 */
#ifndef KP_CYMRU_PARSE_H
#define KP_CYMRU_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/asmap/asmap.h"

#define KP_CYMRU_QNAME_MAX 128

/* Write the origin query name of a into buf: "d.c.b.a.origin.asn.cymru.com"
 * for IPv4, 32 reversed nibbles + ".origin6.asn.cymru.com" for IPv6.
 * Returns 0, -EINVAL (unset address), -ENOSPC (buf too small). */
int kp_cymru_origin_qname(const struct kp_addr *a, char *buf, size_t buflen);

/* Write "AS<asn>.asn.cymru.com" into buf. Returns 0 or -ENOSPC. */
int kp_cymru_asname_qname(uint32_t asn, char *buf, size_t buflen);

struct kp_cymru_origin {
    uint32_t asns[KP_ASN_MAX];
    unsigned n_asns;
    bool truncated;          /* more than KP_ASN_MAX origins listed */
    struct kp_prefix prefix; /* host bits must be zero in the answer */
    char cc[3];              /* "" or two upper-case letters */
    char registry[16];       /* "" or lower-case letters (arin, apnic, ...) */
    char date[11];           /* "" or YYYY-MM-DD */
};

/* Parse and validate one origin TXT string (the record's character-strings
 * already joined; len bytes, no NUL needed). Returns 0 or -EINVAL with a
 * reason in *why (static string). Does not check that the prefix covers the
 * queried address: kp_cymru_origin_matches does. */
int kp_cymru_parse_origin(const char *txt, size_t len, struct kp_cymru_origin *out,
                          const char **why);

/* True when the answer's prefix is of a's family and covers a. */
bool kp_cymru_origin_matches(const struct kp_cymru_origin *o, const struct kp_addr *a);

struct kp_cymru_asname {
    uint32_t asn;
    char cc[3];
    char registry[16];
    char date[11];
    char name[KP_ASN_NAME_MAX]; /* trimmed; truncated to fit */
};

/* Parse and validate one AS-name TXT string. Returns 0 or -EINVAL (*why). */
int kp_cymru_parse_asname(const char *txt, size_t len, struct kp_cymru_asname *out,
                          const char **why);

#endif
