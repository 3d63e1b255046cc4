/* SPDX-License-Identifier: BSD-2-Clause */
/* Tests of --send-via link's pure parts (prober/sys/net_link.h): the
 * netlink reply parsers on messages built here byte by byte, and the prefix
 * an answer holds for, with expected lengths worked out by hand from the
 * addresses' bits. */
#include <criterion/criterion.h>
#include <errno.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "prober/sys/net_link.h"

#define IP4(a, b, c, d)                                                                            \
    ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

/* ---- the prefix an answer holds for ---------------------------------- */

Test(net_link, block_len_without_bounds_is_the_route)
{
    cr_assert_eq(kp_link_block_len(NULL, 0, IP4(198, 19, 5, 5), 16), 16);
    cr_assert_eq(kp_link_block_len(NULL, 0, IP4(198, 19, 5, 5), 0), 0);
}

Test(net_link, block_len_keeps_out_a_more_specific_route)
{
    /* route 198.19.0.0/16, another route 198.19.7.0/24: for 198.19.5.5 the
     * third octets 5 (00000101) and 7 (00000111) part at its seventh bit,
     * bit 22 of the address: 198.19.4.0/23 holds (4.x and 5.x), not more */
    struct kp_link_bound b[] = {{IP4(198, 19, 7, 0), 24}};
    cr_assert_eq(kp_link_block_len(b, 1, IP4(198, 19, 5, 5), 16), 23);
    /* 198.19.200.1: 200 = 11001000 parts from 7 = 00000111 at the first bit */
    cr_assert_eq(kp_link_block_len(b, 1, IP4(198, 19, 200, 1), 16), 17);
    /* inside the more specific route (its table was not reached): only itself */
    cr_assert_eq(kp_link_block_len(b, 1, IP4(198, 19, 7, 9), 16), 32);
}

Test(net_link, block_len_ignores_bounds_outside_or_wider)
{
    struct kp_link_bound b[] = {
        {IP4(198, 0, 0, 0), 8},   /* wider than the route: covers it, does not split it */
        {IP4(198, 19, 0, 0), 16}, /* the route itself */
        {IP4(10, 1, 0, 0), 24},   /* outside the route's prefix */
        {IP4(198, 20, 0, 0), 24}, /* outside too */
    };
    cr_assert_eq(kp_link_block_len(b, 4, IP4(198, 19, 5, 5), 16), 16);
}

Test(net_link, block_len_sees_every_bound_more_specific_than_the_route)
{
    /* route 10.0.0.0/16; 10.0.64.0/20 (0100 0000 in the third octet) parts
     * from 10.0.96.1 (0110 0000) at bit 18: the block grows to /19; then
     * 10.0.96.0/19, no longer than that block, holds 10.0.96.1 itself: only
     * the address (in either order of the bounds) */
    struct kp_link_bound b[] = {{IP4(10, 0, 64, 0), 20}, {IP4(10, 0, 96, 0), 19}};
    cr_assert_eq(kp_link_block_len(b, 1, IP4(10, 0, 96, 1), 16), 19);
    cr_assert_eq(kp_link_block_len(b, 2, IP4(10, 0, 96, 1), 16), 32);
    struct kp_link_bound r[] = {{IP4(10, 0, 96, 0), 19}, {IP4(10, 0, 64, 0), 20}};
    cr_assert_eq(kp_link_block_len(r, 2, IP4(10, 0, 96, 1), 16), 32);
}

Test(net_link, block_len_of_a_default_route)
{
    /* the default route and the testbed's other routes: 127.0.0.0/8 parts
     * from 198.19.5.5 at the first bit (0 / 1), 198.18.30.0/30 at bit 15
     * (198.18 / 198.19), 198.18.204.4/30 likewise: 198.19.0.0/16 */
    struct kp_link_bound b[] = {
        {IP4(127, 0, 0, 0), 8},
        {IP4(198, 18, 30, 0), 30},
        {IP4(198, 18, 204, 4), 30},
        {IP4(198, 18, 30, 2), 32},
    };
    cr_assert_eq(kp_link_block_len(b, 4, IP4(198, 19, 5, 5), 0), 16);
    /* 198.18.31.1: parts from 198.18.30.0 at bit 23 (30 = ...0, 31 = ...1) */
    cr_assert_eq(kp_link_block_len(b, 4, IP4(198, 18, 31, 1), 0), 24);
    /* a bound of a bad length is not used */
    struct kp_link_bound bad[] = {{IP4(198, 19, 5, 0), 40}};
    cr_assert_eq(kp_link_block_len(bad, 1, IP4(198, 19, 5, 5), 16), 16);
}

/* ---- netlink messages ------------------------------------------------ */

struct msg {
    uint8_t b[512];
    size_t len;  /* bytes used */
    size_t head; /* where the current message's header is */
};

static void begin(struct msg *m, uint16_t type, const void *fixed, size_t flen)
{
    m->head = m->len;
    struct nlmsghdr h = {.nlmsg_len = (uint32_t)NLMSG_LENGTH(flen), .nlmsg_type = type};
    memcpy(m->b + m->len, &h, sizeof(h));
    memcpy(m->b + m->len + sizeof(h), fixed, flen);
    m->len += NLMSG_ALIGN(h.nlmsg_len);
}

static void attr(struct msg *m, uint16_t type, const void *data, uint16_t dlen)
{
    struct rtattr a = {.rta_len = (unsigned short)RTA_LENGTH(dlen), .rta_type = type};
    memcpy(m->b + m->len, &a, sizeof(a));
    memcpy(m->b + m->len + sizeof(a), data, dlen);
    m->len += RTA_ALIGN(a.rta_len);
    struct nlmsghdr h;
    memcpy(&h, m->b + m->head, sizeof(h));
    h.nlmsg_len = (uint32_t)(m->len - m->head);
    memcpy(m->b + m->head, &h, sizeof(h));
}

static void route_msg(struct msg *m, uint8_t type, uint8_t dst_len)
{
    struct rtmsg rt = {.rtm_family = AF_INET, .rtm_dst_len = dst_len, .rtm_type = type};
    begin(m, RTM_NEWROUTE, &rt, sizeof(rt));
}

Test(net_link, route_reply_with_a_gateway)
{
    struct msg m = {0};
    route_msg(&m, RTN_UNICAST, 16);
    uint32_t dst = htonl(IP4(198, 19, 0, 0)), gw = htonl(IP4(198, 18, 30, 1)), oif = 7, table = 254;
    attr(&m, RTA_TABLE, &table, 4);
    attr(&m, RTA_DST, &dst, 4);
    attr(&m, RTA_OIF, &oif, 4);
    attr(&m, RTA_GATEWAY, &gw, 4);
    struct kp_nl_route r;
    cr_assert_eq(kp_nl_route_parse(m.b, m.len, &r), 0);
    cr_assert_eq(r.type, RTN_UNICAST);
    cr_assert_eq(r.dst_len, 16);
    cr_assert_eq(r.dst, dst);
    cr_assert_eq(r.oif, 7);
    cr_assert(r.has_gateway);
    cr_assert_eq(r.gateway, gw);
    cr_assert_not(r.multipath);
}

Test(net_link, route_reply_on_the_link_and_multipath)
{
    struct msg m = {0};
    route_msg(&m, RTN_UNICAST, 30);
    uint32_t oif = 3;
    attr(&m, RTA_OIF, &oif, 4);
    struct kp_nl_route r;
    cr_assert_eq(kp_nl_route_parse(m.b, m.len, &r), 0);
    cr_assert_not(r.has_gateway, "no RTA_GATEWAY: the prefix is on the link");
    cr_assert_eq(r.oif, 3);

    struct msg mp = {0};
    route_msg(&mp, RTN_UNICAST, 24);
    uint8_t nexthops[16] = {0}; /* the contents are not read */
    attr(&mp, RTA_MULTIPATH, nexthops, sizeof(nexthops));
    cr_assert_eq(kp_nl_route_parse(mp.b, mp.len, &r), 0);
    cr_assert(r.multipath);

    struct msg bh = {0};
    route_msg(&bh, RTN_BLACKHOLE, 24);
    cr_assert_eq(kp_nl_route_parse(bh.b, bh.len, &r), 0);
    cr_assert_eq(r.type, RTN_BLACKHOLE);
}

Test(net_link, route_reply_error_and_malformed)
{
    struct msg m = {0};
    struct nlmsgerr e = {.error = -ENETUNREACH};
    begin(&m, NLMSG_ERROR, &e, sizeof(e));
    struct kp_nl_route r;
    cr_assert_eq(kp_nl_route_parse(m.b, m.len, &r), -ENETUNREACH);

    /* cut inside the attribute */
    struct msg c = {0};
    route_msg(&c, RTN_UNICAST, 16);
    uint32_t oif = 7;
    attr(&c, RTA_OIF, &oif, 4);
    struct nlmsghdr h;
    memcpy(&h, c.b, sizeof(h));
    cr_assert_eq(kp_nl_route_parse(c.b, h.nlmsg_len - 2, &r), -EBADMSG);
    /* an attribute of the wrong size */
    struct msg w = {0};
    route_msg(&w, RTN_UNICAST, 16);
    uint16_t shortoif = 7;
    attr(&w, RTA_OIF, &shortoif, 2);
    cr_assert_eq(kp_nl_route_parse(w.b, w.len, &r), -EBADMSG);
    /* an attribute claiming less than its own header */
    struct msg z = {0};
    route_msg(&z, RTN_UNICAST, 16);
    attr(&z, RTA_OIF, &oif, 4);
    z.b[NLMSG_LENGTH(sizeof(struct rtmsg))] = 2; /* rta_len 2 */
    z.b[NLMSG_LENGTH(sizeof(struct rtmsg)) + 1] = 0;
    cr_assert_eq(kp_nl_route_parse(z.b, z.len, &r), -EBADMSG);
    /* IPv6, a prefix longer than 32 bits, a message length below its header */
    struct msg v6 = {0};
    struct rtmsg rt6 = {.rtm_family = AF_INET6, .rtm_type = RTN_UNICAST};
    begin(&v6, RTM_NEWROUTE, &rt6, sizeof(rt6));
    cr_assert_eq(kp_nl_route_parse(v6.b, v6.len, &r), -EBADMSG);
    struct msg l = {0};
    route_msg(&l, RTN_UNICAST, 33);
    cr_assert_eq(kp_nl_route_parse(l.b, l.len, &r), -EBADMSG);
    struct nlmsghdr tiny = {.nlmsg_len = 8, .nlmsg_type = RTM_NEWROUTE};
    cr_assert_eq(kp_nl_route_parse((const uint8_t *)&tiny, sizeof(tiny), &r), -EBADMSG);
    /* nothing, or only other messages */
    cr_assert_eq(kp_nl_route_parse(m.b, 0, &r), -EBADMSG);
    struct msg o = {0};
    struct ndmsg nd = {.ndm_family = AF_INET};
    begin(&o, RTM_NEWNEIGH, &nd, sizeof(nd));
    cr_assert_eq(kp_nl_route_parse(o.b, o.len, &r), -EBADMSG);
}

Test(net_link, neigh_reply)
{
    struct msg m = {0};
    struct ndmsg nd = {.ndm_family = AF_INET, .ndm_ifindex = 5, .ndm_state = NUD_PERMANENT};
    begin(&m, RTM_NEWNEIGH, &nd, sizeof(nd));
    uint32_t a = htonl(IP4(198, 18, 30, 1));
    uint8_t mac[6] = {0x5a, 0xd7, 0x2c, 0xd2, 0x9f, 0xa3};
    attr(&m, NDA_DST, &a, 4);
    attr(&m, NDA_LLADDR, mac, 6);
    struct kp_nl_neigh n;
    cr_assert_eq(kp_nl_neigh_parse(m.b, m.len, &n), 0);
    cr_assert_eq(n.state, NUD_PERMANENT);
    cr_assert_eq(n.ifindex, 5);
    cr_assert_eq(n.halen, 6);
    cr_assert_arr_eq(n.addr, mac, 6);

    /* no link-layer address yet (incomplete) */
    struct msg i = {0};
    nd.ndm_state = NUD_INCOMPLETE;
    begin(&i, RTM_NEWNEIGH, &nd, sizeof(nd));
    attr(&i, NDA_DST, &a, 4);
    cr_assert_eq(kp_nl_neigh_parse(i.b, i.len, &n), 0);
    cr_assert_eq(n.halen, 0);
    cr_assert_eq(n.state, NUD_INCOMPLETE);

    /* an address longer than any link's */
    struct msg big = {0};
    begin(&big, RTM_NEWNEIGH, &nd, sizeof(nd));
    uint8_t huge[20] = {0};
    attr(&big, NDA_LLADDR, huge, sizeof(huge));
    cr_assert_eq(kp_nl_neigh_parse(big.b, big.len, &n), -EBADMSG);

    struct msg e = {0};
    struct nlmsgerr err = {.error = -ENOENT};
    begin(&e, NLMSG_ERROR, &err, sizeof(err));
    cr_assert_eq(kp_nl_neigh_parse(e.b, e.len, &n), -ENOENT);
}
