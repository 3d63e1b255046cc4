/* SPDX-License-Identifier: BSD-2-Clause */
/* test_hostname.c — which strings kptrace may ask a resolver for (RFC 1123
 * host names); a prefix or a URL must never become a DNS query. */
#include <criterion/criterion.h>
#include <string.h>

#include "core/base/addr.h"

Test(hostname, valid_names)
{
    cr_assert(kp_hostname_valid("localhost"));
    cr_assert(kp_hostname_valid("vp-eu.lab"));
    cr_assert(kp_hostname_valid("star.c10r.facebook.com"));
    cr_assert(kp_hostname_valid("3com.com"));     /* RFC 1123 allows a leading digit */
    cr_assert(kp_hostname_valid("example.com.")); /* one trailing dot */
    cr_assert(kp_hostname_valid("x"));
    cr_assert(kp_hostname_valid("a-b.c-d"));
}

Test(hostname, refused)
{
    cr_assert_not(kp_hostname_valid(NULL));
    cr_assert_not(kp_hostname_valid(""));
    cr_assert_not(kp_hostname_valid("198.18.0.0/30"));
    cr_assert_not(kp_hostname_valid("http://example.com/"));
    cr_assert_not(kp_hostname_valid("exa mple.com"));
    cr_assert_not(kp_hostname_valid("example..com"));
    cr_assert_not(kp_hostname_valid(".example.com"));
    cr_assert_not(kp_hostname_valid("example.com.."));
    cr_assert_not(kp_hostname_valid("-example.com"));
    cr_assert_not(kp_hostname_valid("example-.com"));
    cr_assert_not(kp_hostname_valid("example.com-"));
    cr_assert_not(kp_hostname_valid("under_score.com"));
    cr_assert_not(kp_hostname_valid("2001:db8::1"));
    cr_assert_not(kp_hostname_valid("exämple.com")); /* IDNs go in as A-labels */
}

Test(hostname, lengths)
{
    char label[70], name[300];
    memset(label, 'a', 63);
    label[63] = '\0';
    cr_assert(kp_hostname_valid(label));
    label[63] = 'a';
    label[64] = '\0';
    cr_assert_not(kp_hostname_valid(label), "a 64-character label");
    /* 253 characters: 63 + 1 + 63 + 1 + 63 + 1 + 61 */
    memset(name, 'a', sizeof(name));
    name[63] = name[127] = name[191] = '.';
    name[253] = '\0';
    cr_assert(kp_hostname_valid(name));
    name[253] = '.';
    name[254] = '\0';
    cr_assert(kp_hostname_valid(name), "253 characters and the root's dot");
    name[253] = 'a';
    cr_assert_not(kp_hostname_valid(name), "254 characters");
}
