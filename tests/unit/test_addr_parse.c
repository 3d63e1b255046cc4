/* SPDX-License-Identifier: BSD-2-Clause */
/* test_addr_parse.c — kp_addr_parse reads a dotted quad itself; what it
 * accepts, and the bytes, must be what the C library's inet_pton says. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/addr.h"

static void same_as_inet_pton(const char *s)
{
    struct kp_addr a;
    uint8_t b4[4], b6[16];
    int want4 = inet_pton(AF_INET, s, b4) == 1;
    int want6 = !want4 && inet_pton(AF_INET6, s, b6) == 1;
    int rc = kp_addr_parse(s, &a);
    if (want4) {
        cr_assert_eq(rc, 0, "%s", s);
        cr_assert_eq(a.family, 4, "%s", s);
        cr_assert_eq(memcmp(a.b, b4, 4), 0, "%s", s);
        for (int i = 4; i < 16; i++)
            cr_assert_eq(a.b[i], 0, "%s", s);
    } else if (want6) {
        cr_assert_eq(rc, 0, "%s", s);
        cr_assert_eq(a.family, 6, "%s", s);
        cr_assert_eq(memcmp(a.b, b6, 16), 0, "%s", s);
    } else {
        cr_assert_neq(rc, 0, "%s", s);
        cr_assert_eq(a.family, 0, "%s", s);
    }
}

Test(addr_parse, edge_cases_agree_with_inet_pton)
{
    static const char *cases[] = {
        "0.0.0.0",
        "255.255.255.255",
        "1.2.3.4",
        "10.0.0.1",
        "175.45.176.0",
        "256.1.1.1",
        "1.2.3.256",
        "01.2.3.4",
        "1.02.3.4",
        "1.2.3.04",
        "1.2.3.00",
        "00.0.0.0",
        "1.2.3",
        "1.2.3.4.",
        "1.2.3.4.5",
        ".1.2.3",
        "1..2.3",
        "1.2.3.4 ",
        " 1.2.3.4",
        "1.2.3.-4",
        "1.2.3.4a",
        "1000.1.1.1",
        "0255.1.1.1",
        "99.99.99.99",
        "199.200.201.202",
        "",
        "::",
        "::1",
        "::ffff:1.2.3.4",
        "2001:db8::1",
        "1.2.3.4/24",
        "a.b.c.d",
        "1.2.3.2555",
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        same_as_inet_pton(cases[i]);
}

Test(addr_parse, random_strings_of_digits_and_dots_agree_with_inet_pton)
{
    static const char alphabet[] = "0123456789..";
    unsigned seed = 12345;
    char s[24];
    for (int n = 0; n < 200000; n++) {
        seed = seed * 1103515245u + 12345u;
        size_t len = 1 + (seed >> 16) % 17;
        for (size_t i = 0; i < len; i++) {
            seed = seed * 1103515245u + 12345u;
            s[i] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
        }
        s[len] = '\0';
        same_as_inet_pton(s);
    }
}
