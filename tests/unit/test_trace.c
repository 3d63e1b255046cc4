/* SPDX-License-Identifier: BSD-2-Clause */
#include <criterion/criterion.h>

#include "core/base/addr.h"
#include "core/record/trace.h"

Test(addr, parse_and_print_v4_v6)
{
    struct kp_addr a;
    char buf[KP_ADDR_STRLEN];
    cr_assert_eq(kp_addr_parse("198.18.1.2", &a), 0);
    cr_assert_eq(a.family, 4);
    cr_assert_eq(kp_addr_v4_host(&a), 0xC6120102u);
    cr_assert_str_eq(kp_addr_str(&a, buf, sizeof(buf)), "198.18.1.2");
    cr_assert_eq(kp_addr_parse("2001:db8::1", &a), 0);
    cr_assert_eq(a.family, 6);
    cr_assert_str_eq(kp_addr_str(&a, buf, sizeof(buf)), "2001:db8::1");
    cr_assert_neq(kp_addr_parse("198.18.1", &a), 0);
    cr_assert_neq(kp_addr_parse("", &a), 0);
    struct kp_addr b = kp_addr_v4(0xC6120102u), c;
    kp_addr_parse("198.18.1.2", &c);
    cr_assert(kp_addr_eq(&b, &c));
}

Test(trace, names_round_trip)
{
    for (int m = 1; m < KP_METHOD_COUNT; m++)
        cr_assert_eq((int)kp_method_from_name(kp_method_name((enum kp_method)m)), m);
    for (int s = 0; s < KP_STOP_COUNT; s++)
        cr_assert_eq((int)kp_stop_from_name(kp_stop_name((enum kp_stop)s)), s);
    cr_assert_eq(kp_method_from_name("nope"), KP_METHOD_UNKNOWN);
    cr_assert_str_eq(kp_method_name(KP_METHOD_UDP_PARIS), "udp-paris");
    cr_assert_str_eq(kp_stop_name(KP_STOP_ADMIN_PROHIB), "admin-prohibited");
}

Test(trace, unreachable_codes)
{
    cr_assert_eq(kp_stop_from_unreach_code(13), KP_STOP_ADMIN_PROHIB);
    cr_assert_eq(kp_stop_from_unreach_code(9), KP_STOP_ADMIN_PROHIB);
    cr_assert_eq(kp_stop_from_unreach_code(0), KP_STOP_UNREACH_NET);
    cr_assert_eq(kp_stop_from_unreach_code(1), KP_STOP_UNREACH_HOST);
    cr_assert_eq(kp_stop_from_unreach_code(4), KP_STOP_UNREACH_OTHER);
    struct kp_hop h;
    kp_hop_init(&h);
    kp_addr_parse("198.18.0.1", &h.addr);
    h.icmp_type = 3;
    h.icmp_code = 13;
    cr_assert_str_eq(kp_hop_bang(&h), "!X");
    h.icmp_type = 11;
    h.icmp_code = 0;
    cr_assert_str_eq(kp_hop_bang(&h), "");
}

Test(trace, hops_grow_sort_copy)
{
    struct kp_trace t, u;
    kp_trace_init(&t);
    kp_trace_init(&u);
    for (int i = 20; i > 0; i--) {
        struct kp_hop h;
        kp_hop_init(&h);
        h.ttl = (uint8_t)i;
        h.attempt = (uint8_t)(i % 2);
        cr_assert_eq(kp_trace_add_hop(&t, &h), 0);
    }
    kp_trace_sort(&t);
    for (size_t i = 1; i < t.n_hops; i++)
        cr_assert_leq(t.hops[i - 1].ttl, t.hops[i].ttl);
    cr_assert_eq(kp_trace_copy(&u, &t), 0);
    cr_assert_eq(u.n_hops, 20);
    cr_assert_neq(u.hops, t.hops);
    cr_assert_eq(u.hops[19].ttl, 20);
    kp_trace_free(&t);
    kp_trace_free(&u);
    cr_assert_eq(t.n_hops, 0);
}
