/* SPDX-License-Identifier: BSD-2-Clause */
/* Tests of the Doubletree stop set. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/plan/stopset.h"

static struct kp_addr A(const char *s) {
    struct kp_addr a;
    cr_assert_eq(kp_addr_parse(s, &a), 0);
    return a;
}

static void
hop(struct kp_trace *t, uint8_t ttl, const char *addr, uint32_t flags)
{
    struct kp_hop h;
    kp_hop_init(&h);
    h.ttl = ttl;
    h.addr = A(addr);
    h.flags = flags;
    cr_assert_eq(kp_trace_add_hop(t, &h), 0);
}

Test(stopset, interfaces)
{
    struct kp_stopset s;
    kp_stopset_init(&s);
    struct kp_addr a = A("198.18.0.1"), b = A("198.18.0.2"), v6 = A("2001:db8::1");
    cr_assert(!kp_stopset_has_iface(&s, &a));
    cr_assert_eq(kp_stopset_add_iface(&s, &a), 0);
    cr_assert_eq(kp_stopset_add_iface(&s, &a), 0);
    cr_assert_eq(kp_stopset_add_iface(&s, &v6), 0);
    cr_assert(kp_stopset_has_iface(&s, &a));
    cr_assert(kp_stopset_has_iface(&s, &v6));
    cr_assert(!kp_stopset_has_iface(&s, &b));
    cr_assert_eq(s.ifaces.n, 2);
    struct kp_addr unset = {0};
    cr_assert_eq(kp_stopset_add_iface(&s, &unset), -EINVAL);
    /* growth keeps everything */
    char buf[32];
    for (int i = 0; i < 3000; i++) {
        snprintf(buf, sizeof(buf), "10.0.%d.%d", i / 250, i % 250);
        struct kp_addr x = A(buf);
        cr_assert_eq(kp_stopset_add_iface(&s, &x), 0);
    }
    for (int i = 0; i < 3000; i++) {
        snprintf(buf, sizeof(buf), "10.0.%d.%d", i / 250, i % 250);
        struct kp_addr x = A(buf);
        cr_assert(kp_stopset_has_iface(&s, &x));
    }
    cr_assert(!kp_stopset_has_iface(&s, &b));
    kp_stopset_free(&s);
    cr_assert(!kp_stopset_has_iface(&s, &a));
}

Test(stopset, border_per_24_smallest_wins)
{
    struct kp_stopset s;
    kp_stopset_init(&s);
    struct kp_addr d1 = A("175.45.178.10"), d2 = A("175.45.178.200"), d3 = A("175.45.179.1");
    cr_assert_eq(kp_stopset_border(&s, &d1), 0);
    cr_assert_eq(kp_stopset_set_border(&s, &d1, 12), 0);
    cr_assert_eq(kp_stopset_border(&s, &d2), 12); /* same /24 */
    cr_assert_eq(kp_stopset_border(&s, &d3), 0);  /* other /24 */
    cr_assert_eq(kp_stopset_set_border(&s, &d2, 14), 0);
    cr_assert_eq(kp_stopset_border(&s, &d1), 12);
    cr_assert_eq(kp_stopset_set_border(&s, &d2, 9), 0);
    cr_assert_eq(kp_stopset_border(&s, &d1), 9);
    cr_assert_eq(kp_stopset_set_border(&s, &d3, 0), 0); /* ignored */
    cr_assert_eq(kp_stopset_border(&s, &d3), 0);
    kp_stopset_free(&s);
}

Test(stopset, learn_from_trace)
{
    /* Path: 1 198.18.0.1, 2 198.18.1.1, 3 silent, 4 198.18.2.1, 5 dst. The
     * border (last router before the destination) is TTL 4; all three router
     * addresses join the stop set, the destination does not. */
    struct kp_stopset s;
    kp_stopset_init(&s);
    struct kp_trace t;
    kp_trace_init(&t);
    t.dst = A("198.18.100.7");
    hop(&t, 1, "198.18.0.1", 0);
    hop(&t, 2, "198.18.1.1", 0);
    hop(&t, 4, "198.18.2.1", 0);
    hop(&t, 5, "198.18.100.7", KP_HOP_FROM_DST);
    hop(&t, 6, "198.18.100.7", KP_HOP_FROM_DST);
    cr_assert_eq(kp_stopset_learn(&s, &t), 0);
    struct kp_addr r1 = A("198.18.0.1"), r4 = A("198.18.2.1"), other = A("198.18.100.8");
    cr_assert(kp_stopset_has_iface(&s, &r1));
    cr_assert(kp_stopset_has_iface(&s, &r4));
    cr_assert(!kp_stopset_has_iface(&s, &t.dst));
    cr_assert_eq(s.ifaces.n, 3);
    cr_assert_eq(kp_stopset_border(&s, &other), 4);
    kp_trace_free(&t);
    kp_stopset_free(&s);
}

Test(stopset, v6_groups_are_48s_and_v4_keys_ignore_spare_bytes)
{
    struct kp_stopset s;
    kp_stopset_init(&s);
    struct kp_addr d1 = A("2001:db8:1::1"), d2 = A("2001:db8:1:ffff::2"), d3 = A("2001:db8:2::1");
    cr_assert_eq(kp_stopset_set_border(&s, &d1, 7), 0);
    cr_assert_eq(kp_stopset_border(&s, &d2), 7); /* same /48 */
    cr_assert_eq(kp_stopset_border(&s, &d3), 0); /* other /48 */
    /* an IPv4 address is its first four bytes: whatever follows in b[] is
     * not part of the key */
    struct kp_addr a = A("198.18.0.1"), b = a;
    memset(b.b + 4, 0xaa, 12);
    cr_assert_eq(kp_stopset_add_iface(&s, &b), 0);
    cr_assert(kp_stopset_has_iface(&s, &a));
    cr_assert_eq(kp_stopset_add_iface(&s, &a), 0);
    cr_assert_eq(s.ifaces.n, 1);
    cr_assert_eq(kp_stopset_border(&s, &b), 0);
    kp_stopset_free(&s);
}

/* Work stays linear: with N entries in a chained table whose load stays <= 1,
 * a miss visits on average at most one node and a hit at most 1.5, so adding
 * N interfaces (a miss each), finding them again and missing N others each
 * visit fewer than 2N nodes; a table that degraded to one chain would visit
 * about N * N / 2. */
Test(stopset, work_is_linear)
{
    enum { N = 1 << 15 };
    struct kp_stopset s;
    kp_stopset_init(&s);
    struct kp_addr x = A("10.0.0.0"), y;
    for (uint32_t i = 0; i < N; i++) {
        x = kp_addr_v4(0x0a000000u + i);
        cr_assert_eq(kp_stopset_add_iface(&s, &x), 0);
    }
    cr_assert_eq(s.ifaces.n, N);
    cr_assert_lt(s.ifaces.steps, 2ull * N, "add: %llu steps", (unsigned long long)s.ifaces.steps);
    uint64_t before = s.ifaces.steps;
    for (uint32_t i = 0; i < N; i++) {
        x = kp_addr_v4(0x0a000000u + i);
        y = kp_addr_v4(0x0b000000u + i);
        cr_assert(kp_stopset_has_iface(&s, &x));
        cr_assert(!kp_stopset_has_iface(&s, &y));
    }
    cr_assert_lt(s.ifaces.steps - before, 4ull * N, "lookups: %llu steps",
                 (unsigned long long)(s.ifaces.steps - before));
    /* groups: N /24s, each learned twice (the second time a hit) */
    for (uint32_t i = 0; i < N; i++) {
        x = kp_addr_v4(0x0c000000u + (i << 8) + 1);
        cr_assert_eq(kp_stopset_set_border(&s, &x, 10), 0);
        cr_assert_eq(kp_stopset_set_border(&s, &x, 9), 0);
    }
    cr_assert_eq(s.groups.n, N);
    cr_assert_lt(s.groups.steps, 4ull * N, "groups: %llu steps",
                 (unsigned long long)s.groups.steps);
    x = kp_addr_v4(0x0c000000u + (5u << 8) + 77);
    cr_assert_eq(kp_stopset_border(&s, &x), 9);
    kp_stopset_free(&s);
}
