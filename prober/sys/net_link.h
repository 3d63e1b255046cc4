/* SPDX-License-Identifier: BSD-2-Clause */
/* net_link.h — sending IPv4 probes on a packet socket, straight to the next
 * hop's link-layer address (--send-via link), as zmap does.
 *
 * A probe sent on the raw IP socket (net_raw.h) goes through the host's IP
 * output for every packet: a route look-up, the output hooks, the neighbour
 * table. Sent on an AF_PACKET/SOCK_DGRAM socket to the address of the next
 * hop, it skips all of that and reaches the device's queue directly: on the
 * bench's testbed about 1.6 times as many probes a second leave one core.
 * The capture still sees every probe: the frame passes the same device
 * queue and its taps.
 *
 * Where a probe goes is looked up once per route, not per probe: the route
 * the kernel's table holds for the destination (RTM_GETROUTE with
 * RTM_F_FIB_MATCH, from the probes' source address, so that policy rules
 * on the source apply), and the link-layer address of its gateway, or of
 * the destination itself on a directly connected prefix (RTM_GETNEIGH).
 * The answers are kept for KP_LINK_TTL_NS and asked again after: a route
 * or a gateway that changes is followed within that time.
 *
 * What goes the IP way instead (kp_link_next_hop says -EAGAIN), so that
 * nothing the kernel would do differently is lost:
 * - a destination under a multipath route (the kernel picks the path per
 *   flow), a route that is not unicast (blackhole, unreachable, prohibit,
 *   local), or no route at all (the raw socket then reports the error);
 * - a next hop whose link-layer address is not known (yet): the probe sent
 *   the IP way makes the kernel resolve it, and the look-up is tried again
 *   after KP_LINK_RETRY_NS;
 * - an interface that is neither Ethernet-like nor without link-layer
 *   header (tun, WireGuard);
 * - more routes in use than the cache holds.
 * Also not applied on the link way: the host's own output firewall and NAT
 * (nftables output/postrouting), the socket's mark and per-uid rules.
 *
 * The netlink reply parsers are pure functions over the bytes (fuzzed:
 * fuzz/fuzz_netlink.c). Functions return 0 or a negative errno; they never
 * print.
 */
#ifndef KP_NET_LINK_H
#define KP_NET_LINK_H

#include <stddef.h>
#include <stdint.h>

#define KP_LINK_TTL_NS   1000000000LL /* routes and neighbours asked again after 1 s */
#define KP_LINK_RETRY_NS 100000000LL  /* a next hop not resolved: asked again after 100 ms */
#define KP_LINK_ROUTES   64           /* routes (and on-link destinations) held at once */
#define KP_LINK_ADDR_MAX 8

/* Where a probe leaves: the interface and the link-layer address it is sent
 * to (halen 0 on an interface without link-layer header). */
struct kp_link_hop {
    int ifindex;
    uint8_t halen;
    uint8_t addr[KP_LINK_ADDR_MAX];
};

/* One route of an RTM_NEWROUTE reply (kp_nl_route_parse). */
struct kp_nl_route {
    uint8_t type;     /* RTN_UNICAST, RTN_BLACKHOLE, ... */
    uint8_t dst_len;  /* prefix length of the route matched */
    uint32_t dst;     /* its prefix, network order (0 for the default) */
    int oif;          /* output interface, 0 when none */
    uint32_t gateway; /* network order, 0 when the prefix is on the link */
    int has_gateway;  /* 1 when RTA_GATEWAY was given */
    int multipath;    /* 1 when the route has several next hops */
};

/* One neighbour of an RTM_NEWNEIGH reply (kp_nl_neigh_parse). */
struct kp_nl_neigh {
    uint16_t state; /* NUD_* */
    int ifindex;
    uint8_t halen; /* 0 when no NDA_LLADDR */
    uint8_t addr[KP_LINK_ADDR_MAX];
};

/* A prefix one of the host's routes or rules names (host order). */
struct kp_link_bound {
    uint32_t net;
    uint8_t len;
};

/* The prefix of dst (host order) that the route found for dst, len bits
 * long, holds for: its shortest prefix of at least len bits that overlaps
 * none of the n bounds more specific than the route. Its length; 32 when
 * dst lies inside such a bound (a route in a table that only some rule
 * reaches, or a rule's own prefix). */
unsigned kp_link_block_len(const struct kp_link_bound *b, size_t n, uint32_t dst, unsigned len);

/* Parse one netlink reply (buf[0..len), one or more messages) to a route
 * request: 0 and *out, -errno from an NLMSG_ERROR, -EBADMSG when the bytes
 * are not a well-formed IPv4 RTM_NEWROUTE. */
int kp_nl_route_parse(const uint8_t *buf, size_t len, struct kp_nl_route *out);

/* The same for a neighbour request (RTM_NEWNEIGH, AF_INET). */
int kp_nl_neigh_parse(const uint8_t *buf, size_t len, struct kp_nl_neigh *out);

struct kp_link;

/* Open the packet socket (needs CAP_NET_RAW) and the netlink socket the
 * look-ups use. src (network order) is the probes' source address. 0 or
 * -errno; *out is NULL on error. */
int kp_link_open(struct kp_link **out, uint32_t src);

/* The next hop for a probe to dst (network order) at now_ns (CLOCK_MONOTONIC):
 * 0 and *hop, or -EAGAIN when the probe must go the IP way (above). */
int kp_link_next_hop(struct kp_link *l, uint32_t dst, int64_t now_ns,
                     const struct kp_link_hop **hop);

/* The packet socket's descriptor (sendmmsg with struct sockaddr_ll). */
int kp_link_fd(const struct kp_link *l);

/* Close both sockets and free (NULL is fine). */
void kp_link_close(struct kp_link *l);

#endif
