/* SPDX-License-Identifier: BSD-2-Clause */
/* sendmmsg_loop.c — the reference for kptrace's raw sending speed
 * (bench/sweep): a bare loop that sends raw IPv4 ICMP echo requests in
 * batches of 64 with sendmmsg(2), on one core, nothing else (each probe's
 * few fields written in place; no pacing, no capture, no state per probe). What the kernel can take
 * from one process, the ceiling any prober's send path is measured against.
 *
 *   sendmmsg-loop SRC FIRST-DST N-DSTS TTLS [BATCH [IFACE MAC]]
 *
 * sends N-DSTS x TTLS probes of 46 bytes (kptrace's icmp-paris size) to
 * FIRST-DST, FIRST-DST + 1, ... with TTL 1..TTLS, and prints one JSON line:
 * {"packets": P, "seconds": S, "pps": R, "errors": E}. Given IFACE and MAC,
 * it sends on a packet socket (AF_PACKET/SOCK_DGRAM) to that link-layer
 * address instead, each probe with its IPv4 header checksum (the raw socket
 * has the kernel fill it): the ceiling of kptrace's --send-via link. It sends only inside a
 * test network namespace (needs CAP_NET_RAW): it refuses to run outside a
 * namespace `ip netns add` made (in process 1's, above all) and to send to
 * any address outside 198.18.0.0/15, the benchmarking block the testbed
 * uses.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PKT_LEN   46
#define MAX_BATCH 1024

static uint16_t csum(const uint8_t *p, size_t n)
{
    uint32_t s = 0;
    for (size_t i = 0; i + 1 < n; i += 2)
        s += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (n & 1)
        s += (uint32_t)p[n - 1] << 8;
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

/* 1 when this process runs in a named test network namespace: its network
 * namespace is one of those `ip netns add` made (bound under /run/netns, as
 * the testbed's are) and not process 1's (when that can be read: inside
 * `ip netns exec` it often cannot). 0 otherwise: the loop must not send. */
static int in_test_netns(void)
{
    struct stat self, st;
    if (stat("/proc/self/ns/net", &self) != 0)
        return 0;
    if (stat("/proc/1/ns/net", &st) == 0 && st.st_dev == self.st_dev && st.st_ino == self.st_ino)
        return 0;
    DIR *d = opendir("/run/netns");
    if (d == NULL)
        return 0;
    int found = 0;
    struct dirent *de;
    char path[512];
    while (!found && (de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "/run/netns/%s", de->d_name);
        found = stat(path, &st) == 0 && st.st_dev == self.st_dev && st.st_ino == self.st_ino;
    }
    closedir(d);
    return found;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: sendmmsg-loop SRC FIRST-DST N-DSTS TTLS [BATCH [IFACE MAC]]\n");
        return 2;
    }
    struct in_addr src, dst0;
    if (inet_pton(AF_INET, argv[1], &src) != 1 || inet_pton(AF_INET, argv[2], &dst0) != 1) {
        fprintf(stderr, "sendmmsg-loop: bad address\n");
        return 2;
    }
    unsigned long ndst = strtoul(argv[3], NULL, 10), nttl = strtoul(argv[4], NULL, 10);
    unsigned batch = argc > 5 ? (unsigned)strtoul(argv[5], NULL, 10) : 64;
    if (ndst == 0 || nttl == 0 || nttl > 255 || batch == 0 || batch > MAX_BATCH) {
        fprintf(stderr, "sendmmsg-loop: bad count\n");
        return 2;
    }
    /* every destination inside 198.18.0.0/15 */
    uint32_t first = ntohl(dst0.s_addr);
    if ((first & 0xfffe0000u) != 0xc6120000u || ndst > 0x20000u ||
        ((first + (uint32_t)(ndst - 1)) & 0xfffe0000u) != 0xc6120000u) {
        fprintf(stderr, "sendmmsg-loop: destinations must lie in 198.18.0.0/15\n");
        return 2;
    }
    if (!in_test_netns()) {
        fprintf(stderr, "sendmmsg-loop: not in a named test network namespace: refusing to send "
                        "(run it under ip netns exec in the testbed)\n");
        return 2;
    }
    /* the link way: a packet socket to MAC on IFACE */
    static struct sockaddr_ll ll;
    int link = argc > 7;
    if (link) {
        unsigned m[6];
        ll.sll_family = AF_PACKET;
        ll.sll_protocol = htons(ETH_P_IP);
        ll.sll_ifindex = (int)if_nametoindex(argv[6]);
        ll.sll_halen = 6;
        if (ll.sll_ifindex == 0 ||
            sscanf(argv[7], "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6) {
            fprintf(stderr, "sendmmsg-loop: bad interface or MAC\n");
            return 2;
        }
        for (int i = 0; i < 6; i++)
            ll.sll_addr[i] = (unsigned char)m[i];
    }
    int fd = link ? socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_IP))
                  : socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
    if (fd < 0) {
        perror("sendmmsg-loop: socket");
        return 1;
    }
    static uint8_t pkts[MAX_BATCH][PKT_LEN];
    static struct sockaddr_in sin[MAX_BATCH];
    static struct iovec iov[MAX_BATCH];
    static struct mmsghdr m[MAX_BATCH];
    uint32_t base = first;
    unsigned long total = ndst * nttl, sent = 0, errors = 0, k = 0;
    double t0 = now_s();
    while (sent + errors < total) {
        unsigned n = 0;
        /* the batch: the next probes, in the order (destination, TTL) */
        for (; n < batch && k < total; n++, k++) {
            uint8_t *p = pkts[n];
            uint32_t d = base + (uint32_t)(k / nttl);
            memset(p, 0, PKT_LEN);
            p[0] = 0x45;
            p[2] = 0;
            p[3] = PKT_LEN;
            p[4] = (uint8_t)(k >> 8);
            p[5] = (uint8_t)k;
            p[8] = (uint8_t)(1 + k % nttl);
            p[9] = 1;
            memcpy(p + 12, &src, 4);
            uint32_t dn = htonl(d);
            memcpy(p + 16, &dn, 4);
            p[20] = 8; /* echo request */
            p[24] = 0x80;
            p[26] = (uint8_t)(k >> 8);
            p[27] = (uint8_t)k;
            uint16_t c = csum(p + 20, PKT_LEN - 20);
            p[22] = (uint8_t)(c >> 8);
            p[23] = (uint8_t)c;
            if (link) {
                uint16_t h = csum(p, 20);
                p[10] = (uint8_t)(h >> 8);
                p[11] = (uint8_t)h;
            }
            memset(&sin[n], 0, sizeof(sin[n]));
            sin[n].sin_family = AF_INET;
            sin[n].sin_addr.s_addr = dn;
            iov[n].iov_base = p;
            iov[n].iov_len = PKT_LEN;
            memset(&m[n], 0, sizeof(m[n]));
            m[n].msg_hdr.msg_name = link ? (void *)&ll : (void *)&sin[n];
            m[n].msg_hdr.msg_namelen = link ? sizeof(ll) : sizeof(sin[n]);
            m[n].msg_hdr.msg_iov = &iov[n];
            m[n].msg_hdr.msg_iovlen = 1;
        }
        unsigned off = 0;
        while (off < n) {
            int r = sendmmsg(fd, m + off, n - off, 0);
            if (r < 0) {
                if (errno == EINTR)
                    continue;
                errors++; /* ENOBUFS and the like: the probe is lost, count it */
                off++;
                continue;
            }
            sent += (unsigned long)r;
            off += (unsigned)r;
        }
    }
    double dt = now_s() - t0;
    printf("{\"packets\": %lu, \"seconds\": %.6f, \"pps\": %.1f, \"errors\": %lu}\n", sent, dt,
           dt > 0 ? (double)sent / dt : 0.0, errors);
    close(fd);
    return 0;
}
