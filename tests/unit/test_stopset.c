/* SPDX-License-Identifier: BSD-2-Clause */
/* Tests of the Doubletree stop set. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>

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
    cr_assert_eq(s.n_ifaces, 2);
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
    cr_assert_eq(s.n_ifaces, 3);
    cr_assert_eq(kp_stopset_border(&s, &other), 4);
    kp_trace_free(&t);
    kp_stopset_free(&s);
}
