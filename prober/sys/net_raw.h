/* SPDX-License-Identifier: BSD-2-Clause */
/* net_raw.h — the raw IPv4 socket kptrace sends its probes with, and route
 * look-ups that send nothing.
 *
 * The socket is AF_INET/SOCK_RAW/IPPROTO_RAW, which implies IP_HDRINCL: the
 * caller builds the whole IP header (the kernel still fills the header
 * checksum, and the IP ID when it is 0). Opening needs CAP_NET_RAW; sending on
 * the open descriptor does not, so it keeps working after privdrop.
 * Functions return 0 or a negative errno; they never print.
 */
#ifndef KP_NET_RAW_H
#define KP_NET_RAW_H

#include <stddef.h>
#include <stdint.h>

#include "core/base/addr.h"

struct kp_link;

struct kp_raw {
    int fd;               /* -1 when closed */
    struct kp_link *link; /* --send-via link (net_link.h), NULL: every probe the IP way */
    uint64_t via_link;    /* probes sent on the packet socket */
    uint64_t via_ip;      /* ... and on the raw IP socket */
};

/* Open the raw socket (needs root / CAP_NET_RAW). If iface is not NULL, bind
 * it to that interface (SO_BINDTODEVICE). 0 or -errno. */
int kp_raw_open(struct kp_raw *r, const char *iface);

/* Send probes on a packet socket to the next hop's link-layer address
 * where that is known (net_link.h: --send-via link); src is their source
 * address. Needs CAP_NET_RAW, like kp_raw_open, after which it is called.
 * 0 or -errno. */
int kp_raw_use_link(struct kp_raw *r, const struct kp_addr *src);

/* Send one IPv4 packet (pkt[0..len) including its IP header) to dst. Returns
 * 0, or -errno from sendto (e.g. -ENOBUFS, -EHOSTUNREACH, -EPERM when a
 * firewall refused it). A short send is reported as -EMSGSIZE. */
int kp_raw_send(struct kp_raw *r, const uint8_t *pkt, size_t len, const struct kp_addr *dst);

/* One probe of a batch. */
struct kp_raw_pkt {
    const uint8_t *data;
    size_t len;
    struct kp_addr dst;
};

/* Send n packets with as few system calls as the kernel allows (sendmmsg(2);
 * with a link, one call per run of packets that leave the same way).
 * *sent receives how many left in order. Returns 0 when all did, else the
 * -errno of packet *sent (the ones after it were not tried), -EMSGSIZE for a
 * short send. */
int kp_raw_send_batch(struct kp_raw *r, const struct kp_raw_pkt *pkts, unsigned n, unsigned *sent);

/* Close (idempotent). */
void kp_raw_close(struct kp_raw *r);

/* The source address the kernel would use towards dst (a connected UDP
 * socket and getsockname: no packet is sent). 0 or -errno (-ENETUNREACH). */
int kp_route_src(const struct kp_addr *dst, struct kp_addr *src);

/* Name of the interface that holds address a (getifaddrs), into name (at
 * least 16 bytes). 0 or -ENODEV. */
int kp_iface_of_addr(const struct kp_addr *a, char *name, size_t len);

#endif
