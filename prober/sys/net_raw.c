/* SPDX-License-Identifier: BSD-2-Clause */
/* net_raw.c — raw IPv4 socket and route look-ups. See net_raw.h. */
#include "prober/sys/net_raw.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int kp_raw_open(struct kp_raw *r, const char *iface)
{
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

int kp_raw_send_batch(struct kp_raw *r, const struct kp_raw_pkt *pkts, unsigned n, unsigned *sent)
{
    *sent = 0;
    if (r->fd < 0)
        return -EINVAL;
    while (*sent < n) {
        struct mmsghdr m[BATCH_MAX];
        struct iovec iov[BATCH_MAX];
        struct sockaddr_in sin[BATCH_MAX];
        unsigned k = n - *sent < BATCH_MAX ? n - *sent : BATCH_MAX;
        for (unsigned i = 0; i < k; i++) {
            const struct kp_raw_pkt *p = &pkts[*sent + i];
            if (p->dst.family != 4)
                return -EINVAL;
            memset(&sin[i], 0, sizeof(sin[i]));
            sin[i].sin_family = AF_INET;
            memcpy(&sin[i].sin_addr, p->dst.b, 4);
            iov[i].iov_base = (void *)(uintptr_t)p->data;
            iov[i].iov_len = p->len;
            memset(&m[i], 0, sizeof(m[i]));
            m[i].msg_hdr.msg_name = &sin[i];
            m[i].msg_hdr.msg_namelen = sizeof(sin[i]);
            m[i].msg_hdr.msg_iov = &iov[i];
            m[i].msg_hdr.msg_iovlen = 1;
        }
        int got = sendmmsg(r->fd, m, k, 0);
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
        if ((unsigned)got < k) {
            /* the next one failed: sendmmsg reports its error on the next call */
            ssize_t x = sendto(r->fd, pkts[*sent].data, pkts[*sent].len, 0,
                               (const struct sockaddr *)&sin[got], sizeof(sin[got]));
            if (x < 0)
                return -errno;
            if ((size_t)x != pkts[*sent].len)
                return -EMSGSIZE;
            (*sent)++;
        }
    }
    return 0;
}

void kp_raw_close(struct kp_raw *r)
{
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
