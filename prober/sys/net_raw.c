/* SPDX-License-Identifier: BSD-2-Clause */
/* net_raw.c — raw IPv4 socket and route look-ups. See net_raw.h. */
#include "prober/sys/net_raw.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "prober/sys/net_link.h"

int kp_raw_open(struct kp_raw *r, const char *iface)
{
    r->link = NULL;
    r->via_link = r->via_ip = 0;
    r->fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
    if (r->fd < 0)
        return -errno;
    int one = 1;
    if (setsockopt(r->fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one)) < 0)
        goto fail;
    if (iface &&
        setsockopt(r->fd, SOL_SOCKET, SO_BINDTODEVICE, iface, (socklen_t)strlen(iface) + 1) < 0)
        goto fail;
    return 0;
fail:;
    int e = errno;
    close(r->fd);
    r->fd = -1;
    return -e;
}

int kp_raw_send(struct kp_raw *r, const uint8_t *pkt, size_t len, const struct kp_addr *dst)
{
    struct sockaddr_in sin;
    if (r->fd < 0 || dst->family != 4)
        return -EINVAL;
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    memcpy(&sin.sin_addr, dst->b, 4);
    ssize_t n = sendto(r->fd, pkt, len, 0, (struct sockaddr *)&sin, sizeof(sin));
    if (n < 0)
        return -errno;
    return (size_t)n == len ? 0 : -EMSGSIZE;
}

#define BATCH_MAX 64

/* Where packet i leaves: 1 on the link (*hop set), 0 the IP way. */
static int way_of(struct kp_raw *r, const struct kp_raw_pkt *p, int64_t now,
                  const struct kp_link_hop **hop)
{
    if (r->link == NULL || p->dst.family != 4)
        return 0;
    uint32_t dst;
    memcpy(&dst, p->dst.b, 4);
    return kp_link_next_hop(r->link, dst, now, hop) == 0;
}

int kp_raw_send_batch(struct kp_raw *r, const struct kp_raw_pkt *pkts, unsigned n, unsigned *sent)
{
    *sent = 0;
    if (r->fd < 0)
        return -EINVAL;
    int64_t now = 0;
    if (r->link != NULL) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        now = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
    }
    while (*sent < n) {
        struct mmsghdr m[BATCH_MAX];
        struct iovec iov[BATCH_MAX];
        union {
            struct sockaddr_in in;
            struct sockaddr_ll ll;
        } to[BATCH_MAX];
        unsigned k = n - *sent < BATCH_MAX ? n - *sent : BATCH_MAX;
        int link = -1; /* the way of this call's run of packets */
        for (unsigned i = 0; i < k; i++) {
            const struct kp_raw_pkt *p = &pkts[*sent + i];
            if (p->dst.family != 4)
                return -EINVAL;
            const struct kp_link_hop *hop = NULL;
            int w = way_of(r, p, now, &hop);
            if (link < 0)
                link = w;
            else if (w != link) {
                k = i; /* the rest in the next call */
                break;
            }
            memset(&to[i], 0, sizeof(to[i]));
            if (w) {
                to[i].ll.sll_family = AF_PACKET;
                to[i].ll.sll_protocol = htons(ETH_P_IP);
                to[i].ll.sll_ifindex = hop->ifindex;
                to[i].ll.sll_halen = hop->halen;
                memcpy(to[i].ll.sll_addr, hop->addr, hop->halen);
            } else {
                to[i].in.sin_family = AF_INET;
                memcpy(&to[i].in.sin_addr, p->dst.b, 4);
            }
            iov[i].iov_base = (void *)(uintptr_t)p->data;
            iov[i].iov_len = p->len;
            memset(&m[i], 0, sizeof(m[i]));
            m[i].msg_hdr.msg_name = &to[i];
            m[i].msg_hdr.msg_namelen = w ? sizeof(to[i].ll) : sizeof(to[i].in);
            m[i].msg_hdr.msg_iov = &iov[i];
            m[i].msg_hdr.msg_iovlen = 1;
        }
        int fd = link == 1 ? kp_link_fd(r->link) : r->fd;
        int got = sendmmsg(fd, m, k, 0);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        for (int i = 0; i < got; i++) {
            if (m[i].msg_len != pkts[*sent].len)
                return -EMSGSIZE;
            (*sent)++;
        }
        if (link == 1)
            r->via_link += (unsigned)got;
        else
            r->via_ip += (unsigned)got;
        if ((unsigned)got < k) {
            /* the next one failed: sendmmsg reports its error on the next call */
            ssize_t x = sendto(fd, pkts[*sent].data, pkts[*sent].len, 0,
                               (const struct sockaddr *)&to[got], m[got].msg_hdr.msg_namelen);
            if (x < 0)
                return -errno;
            if ((size_t)x != pkts[*sent].len)
                return -EMSGSIZE;
            (*sent)++;
            if (link == 1)
                r->via_link++;
            else
                r->via_ip++;
        }
    }
    return 0;
}

int kp_raw_use_link(struct kp_raw *r, const struct kp_addr *src)
{
    if (src->family != 4)
        return -EAFNOSUPPORT;
    uint32_t s;
    memcpy(&s, src->b, 4);
    kp_link_close(r->link);
    r->link = NULL;
    return kp_link_open(&r->link, s);
}

void kp_raw_close(struct kp_raw *r)
{
    kp_link_close(r->link);
    r->link = NULL;
    if (r->fd >= 0)
        close(r->fd);
    r->fd = -1;
}

int kp_route_src(const struct kp_addr *dst, struct kp_addr *src)
{
    struct sockaddr_in sin;
    socklen_t sl = sizeof(sin);
    if (dst->family != 4)
        return -EAFNOSUPPORT;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons(33434);
    memcpy(&sin.sin_addr, dst->b, 4);
    int rc = 0;
    if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
        getsockname(fd, (struct sockaddr *)&sin, &sl) < 0)
        rc = -errno;
    close(fd);
    if (rc == 0) {
        memset(src, 0, sizeof(*src));
        src->family = 4;
        memcpy(src->b, &sin.sin_addr, 4);
    }
    return rc;
}

int kp_iface_of_addr(const struct kp_addr *a, char *name, size_t len)
{
    struct ifaddrs *ifa, *p;
    int rc = -ENODEV;
    if (getifaddrs(&ifa) < 0)
        return -errno;
    for (p = ifa; p; p = p->ifa_next) {
        if (p->ifa_addr == NULL || p->ifa_addr->sa_family != AF_INET || a->family != 4)
            continue;
        const struct sockaddr_in *sin = (const struct sockaddr_in *)p->ifa_addr;
        if (memcmp(&sin->sin_addr, a->b, 4) == 0 && strlen(p->ifa_name) < len) {
            strcpy(name, p->ifa_name);
            rc = 0;
            break;
        }
    }
    freeifaddrs(ifa);
    return rc;
}
