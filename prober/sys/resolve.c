/* SPDX-License-Identifier: BSD-2-Clause */
/* resolve.c — c-ares name resolution. See resolve.h. */
#include "prober/sys/resolve.h"

#include <arpa/inet.h>
#include <ares.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

struct res {
    int done, status;
    struct kp_addr *out;
    size_t max, n;
};

static void on_addr(void *arg, int status, int timeouts, struct ares_addrinfo *ai)
{
    struct res *r = arg;
    r->done = 1;
    r->status = status;
    if (status != ARES_SUCCESS || ai == NULL)
        return;
    for (struct ares_addrinfo_node *n = ai->nodes; n && r->n < r->max; n = n->ai_next) {
        if (n->ai_family != AF_INET)
            continue;
        const struct sockaddr_in *sin = (const struct sockaddr_in *)n->ai_addr;
        struct kp_addr a;
        memset(&a, 0, sizeof(a));
        a.family = 4;
        memcpy(a.b, &sin->sin_addr, 4);
        int dup = 0;
        for (size_t i = 0; i < r->n; i++)
            dup |= kp_addr_eq(&r->out[i], &a);
        if (!dup)
            r->out[r->n++] = a;
    }
    ares_freeaddrinfo(ai);
}

int kp_resolve(const char *name, const char *server, struct kp_addr *out, size_t max, size_t *n,
               char *err, size_t errlen)
{
    *n = 0;
    if (max == 0)
        return -EINVAL;
    if (kp_addr_parse(name, &out[0]) == 0) {
        if (out[0].family != 4) {
            snprintf(err, errlen, "%s: only IPv4 targets are supported", name);
            return -EAFNOSUPPORT;
        }
        *n = 1;
        return 0;
    }
    /* no query for what cannot be a name: a prefix, a URL, a typo */
    if (!kp_hostname_valid(name)) {
        snprintf(err, errlen, "%s: %s", name,
                 strchr(name, '/') ? "a prefix, not an address or a host name (`trace` takes "
                                     "addresses and names; `sweep --targets` takes prefixes)"
                                   : "not an IPv4 address or a host name");
        return -EINVAL;
    }
    if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS) {
        snprintf(err, errlen, "c-ares: cannot initialise");
        return -EIO;
    }
    ares_channel ch;
    struct ares_options opts;
    memset(&opts, 0, sizeof(opts));
    opts.timeout = 2000;
    opts.tries = 2;
    int rc = ares_init_options(&ch, &opts, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
    if (rc != ARES_SUCCESS) {
        snprintf(err, errlen, "c-ares: %s", ares_strerror(rc));
        ares_library_cleanup();
        return -EIO;
    }
    if (server && (rc = ares_set_servers_ports_csv(ch, server)) != ARES_SUCCESS) {
        snprintf(err, errlen, "--dns-server %s: %s", server, ares_strerror(rc));
        ares_destroy(ch);
        ares_library_cleanup();
        return -EINVAL;
    }
    struct res r = {.out = out, .max = max};
    struct ares_addrinfo_hints hints;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_INET;
    ares_getaddrinfo(ch, name, NULL, &hints, on_addr, &r);
    while (!r.done) {
        ares_socket_t socks[ARES_GETSOCK_MAXNUM];
        int bits = ares_getsock(ch, socks, ARES_GETSOCK_MAXNUM);
        struct pollfd pfd[ARES_GETSOCK_MAXNUM];
        int np = 0;
        for (int i = 0; i < ARES_GETSOCK_MAXNUM; i++) {
            if (!ARES_GETSOCK_READABLE(bits, i) && !ARES_GETSOCK_WRITABLE(bits, i))
                continue;
            pfd[np].fd = socks[i];
            pfd[np].events = (short)((ARES_GETSOCK_READABLE(bits, i) ? POLLIN : 0) |
                                     (ARES_GETSOCK_WRITABLE(bits, i) ? POLLOUT : 0));
            pfd[np].revents = 0;
            np++;
        }
        struct timeval tv, *tvp = ares_timeout(ch, NULL, &tv);
        int ms = tvp ? (int)(tvp->tv_sec * 1000 + tvp->tv_usec / 1000) : 1000;
        if (np == 0 && tvp == NULL)
            break;
        poll(pfd, (nfds_t)np, ms);
        for (int i = 0; i < np; i++)
            ares_process_fd(
                ch, (pfd[i].revents & (POLLIN | POLLERR | POLLHUP)) ? pfd[i].fd : ARES_SOCKET_BAD,
                (pfd[i].revents & POLLOUT) ? pfd[i].fd : ARES_SOCKET_BAD);
        if (np == 0)
            ares_process_fd(ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    }
    ares_destroy(ch);
    ares_library_cleanup();
    if (!r.done || r.status == ARES_ETIMEOUT) {
        snprintf(err, errlen, "%s: DNS timeout", name);
        return -ETIMEDOUT;
    }
    if (r.status != ARES_SUCCESS || r.n == 0) {
        snprintf(err, errlen, "%s: %s", name,
                 r.status == ARES_SUCCESS ? "no IPv4 address" : ares_strerror(r.status));
        return r.status == ARES_ENOTFOUND || r.status == ARES_ENODATA || r.n == 0 ? -ENOENT : -EIO;
    }
    *n = r.n;
    return 0;
}
