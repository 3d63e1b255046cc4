/* SPDX-License-Identifier: BSD-2-Clause */
/* rdns.c — reverse DNS names through c-ares, cached; and the c-ares helpers
 * shared with the Cymru source. I/O edge. */
#include "sources/rdns.h"

#include <ares.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/trie.h"

/* ---- shared c-ares plumbing ------------------------------------------------ */

/* Normalise "ip", "ip:port", "v6", "[v6]:port" into c-ares' csv form. */
static int server_csv(const char *s, char *out, size_t outlen)
{
    char host[KP_ADDR_STRLEN + 1];
    unsigned long port = 53;
    struct kp_addr a;
    size_t n = strlen(s);
    if (n == 0 || n > 64)
        return -EINVAL;
    if (s[0] == '[') {
        const char *end = strchr(s, ']');
        if (end == NULL || (size_t)(end - s - 1) >= sizeof(host))
            return -EINVAL;
        memcpy(host, s + 1, (size_t)(end - s - 1));
        host[end - s - 1] = '\0';
        if (end[1] == ':') {
            char *e;
            port = strtoul(end + 2, &e, 10);
            if (*e != '\0' || end[2] == '\0')
                return -EINVAL;
        } else if (end[1] != '\0') {
            return -EINVAL;
        }
    } else if (kp_addr_parse(s, &a) == 0) {
        snprintf(host, sizeof(host), "%s", s);
    } else {
        const char *colon = strrchr(s, ':');
        if (colon == NULL || (size_t)(colon - s) >= sizeof(host))
            return -EINVAL;
        memcpy(host, s, (size_t)(colon - s));
        host[colon - s] = '\0';
        char *e;
        port = strtoul(colon + 1, &e, 10);
        if (*e != '\0' || colon[1] == '\0')
            return -EINVAL;
    }
    if (kp_addr_parse(host, &a) != 0 || port == 0 || port > 65535)
        return -EINVAL;
    if (a.family == 6)
        snprintf(out, outlen, "[%s]:%lu", host, port);
    else
        snprintf(out, outlen, "%s:%lu", host, port);
    return 0;
}

int kp_dns_channel_new(const char *server, int timeout_ms, int tries, struct ares_channeldata **out,
                       char *err, size_t errlen)
{
    char csv[96];
    *out = NULL;
    if (server != NULL && server_csv(server, csv, sizeof(csv)) != 0) {
        snprintf(err, errlen, "bad DNS server '%s' (want ip, ip:port or [v6]:port)", server);
        return -EINVAL;
    }
    struct ares_options o;
    memset(&o, 0, sizeof(o));
    o.timeout = timeout_ms > 0 ? timeout_ms : 1500;
    o.tries = tries > 0 ? tries : 2;
    o.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOCHECKRESP;
    o.lookups = (char *)"b"; /* DNS only: no /etc/hosts answers */
    int mask = ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_FLAGS | ARES_OPT_LOOKUPS;
    ares_channel ch;
    int rc = ares_init_options(&ch, &o, mask);
    if (rc != ARES_SUCCESS) {
        snprintf(err, errlen, "c-ares init: %s", ares_strerror(rc));
        return -EIO;
    }
    if (server != NULL) {
        rc = ares_set_servers_ports_csv(ch, csv);
        if (rc != ARES_SUCCESS) {
            snprintf(err, errlen, "DNS server '%s': %s", server, ares_strerror(rc));
            ares_destroy(ch);
            return -EINVAL;
        }
    }
    *out = ch;
    return 0;
}

void kp_dns_wait(struct ares_channeldata *ch, int max_wait_ms)
{
    ares_socket_t socks[ARES_GETSOCK_MAXNUM];
    struct pollfd pfd[ARES_GETSOCK_MAXNUM];
    int bits = ares_getsock(ch, socks, ARES_GETSOCK_MAXNUM);
    nfds_t n = 0;
    for (int i = 0; i < ARES_GETSOCK_MAXNUM; i++) {
        short ev = 0;
        /* c-ares' ARES_GETSOCK_WRITABLE shifts a signed 1 by up to 31
         * (undefined behaviour): test the bits unsigned instead. */
        unsigned ubits = (unsigned)bits;
        if ((ubits >> i) & 1u)
            ev |= POLLIN;
        if ((ubits >> (i + ARES_GETSOCK_MAXNUM)) & 1u)
            ev |= POLLOUT;
        if (ev == 0)
            continue;
        pfd[n].fd = socks[i];
        pfd[n].events = ev;
        pfd[n].revents = 0;
        n++;
    }
    struct timeval maxtv = {max_wait_ms / 1000, (max_wait_ms % 1000) * 1000}, tv;
    struct timeval *t = ares_timeout(ch, &maxtv, &tv);
    int ms = (int)(t->tv_sec * 1000 + (t->tv_usec + 999) / 1000);
    int r = poll(n ? pfd : NULL, n, ms);
    if (r <= 0) {
        ares_process_fd(ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
        return;
    }
    for (nfds_t i = 0; i < n; i++) {
        ares_socket_t rd =
            (pfd[i].revents & (POLLIN | POLLERR | POLLHUP)) ? pfd[i].fd : ARES_SOCKET_BAD;
        ares_socket_t wr = (pfd[i].revents & POLLOUT) ? pfd[i].fd : ARES_SOCKET_BAD;
        if (rd != ARES_SOCKET_BAD || wr != ARES_SOCKET_BAD)
            ares_process_fd(ch, rd, wr);
    }
    ares_process_fd(ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD); /* timeouts */
}

/* ---- reverse DNS ---------------------------------------------------------------- */

enum { ST_PENDING = 1, ST_NAME, ST_NONAME, ST_FAILED };

struct rentry {
    int state;
    uint32_t name; /* 1-based index into names */
};

struct kp_rdns {
    ares_channel ch;
    struct kp_trie *cache; /* host prefixes -> struct rentry */
    char **names;
    size_t n_names, cap_names;
    bool lib_init;
};

struct kp_rdns *kp_rdns_new(const char *dns_server, int timeout_ms, int tries, char *err,
                            size_t errlen, int *rc)
{
    struct kp_rdns *r = calloc(1, sizeof(*r));
    if (r == NULL) {
        *rc = -ENOMEM;
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS) {
        free(r);
        *rc = -EIO;
        snprintf(err, errlen, "c-ares library init failed");
        return NULL;
    }
    r->lib_init = true;
    r->cache = kp_trie_new(sizeof(struct rentry));
    if (r->cache == NULL) {
        kp_rdns_free(r);
        *rc = -ENOMEM;
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    *rc = kp_dns_channel_new(dns_server, timeout_ms, tries, &r->ch, err, errlen);
    if (*rc != 0) {
        kp_rdns_free(r);
        return NULL;
    }
    return r;
}

void kp_rdns_free(struct kp_rdns *r)
{
    if (r == NULL)
        return;
    if (r->ch)
        ares_destroy(r->ch);
    kp_trie_free(r->cache);
    for (size_t i = 0; i < r->n_names; i++)
        free(r->names[i]);
    free(r->names);
    if (r->lib_init)
        ares_library_cleanup();
    free(r);
}

struct rjob {
    struct kp_rdns *r;
    struct kp_addr a;
    size_t *inflight;
    int *failures;
};

static struct rentry *entry_of(struct kp_rdns *r, const struct kp_addr *a)
{
    struct kp_prefix p;
    if (kp_prefix_make(a, a->family == 4 ? 32 : 128, &p) != 0)
        return NULL;
    return kp_trie_get(r->cache, &p);
}

static void on_ptr(void *arg, int status, int timeouts, struct hostent *h)
{
    struct rjob *j = arg;
    (void)timeouts;
    (*j->inflight)--;
    struct rentry *e = entry_of(j->r, &j->a);
    if (e == NULL)
        return;
    if (status == ARES_SUCCESS && h != NULL && h->h_name != NULL && h->h_name[0] != '\0') {
        if (j->r->n_names == j->r->cap_names) {
            size_t cap = j->r->cap_names ? j->r->cap_names * 2 : 64;
            char **nn = realloc(j->r->names, cap * sizeof(*nn));
            if (nn == NULL) {
                e->state = ST_FAILED;
                (*j->failures)++;
                return;
            }
            j->r->names = nn;
            j->r->cap_names = cap;
        }
        char *copy = strdup(h->h_name);
        if (copy == NULL) {
            e->state = ST_FAILED;
            (*j->failures)++;
            return;
        }
        j->r->names[j->r->n_names++] = copy;
        e->state = ST_NAME;
        e->name = (uint32_t)j->r->n_names;
    } else if (status == ARES_ENOTFOUND || status == ARES_ENODATA) {
        e->state = ST_NONAME;
    } else {
        e->state = ST_FAILED;
        (*j->failures)++;
    }
}

int kp_rdns_resolve(struct kp_rdns *r, const struct kp_addr *addrs, size_t n, int max_inflight)
{
    struct rjob *jobs = calloc(n ? n : 1, sizeof(*jobs));
    if (jobs == NULL)
        return -ENOMEM;
    size_t nj = 0, inflight = 0;
    int failures = 0;
    for (size_t i = 0; i < n; i++) {
        if (addrs[i].family != 4 && addrs[i].family != 6)
            continue;
        if (entry_of(r, &addrs[i]) != NULL)
            continue; /* cached, or already queued in this batch */
        struct kp_prefix p;
        kp_prefix_make(&addrs[i], addrs[i].family == 4 ? 32 : 128, &p);
        struct rentry e = {ST_PENDING, 0};
        if (kp_trie_insert(r->cache, &p, &e) != 0) {
            free(jobs);
            return -ENOMEM;
        }
        jobs[nj].r = r;
        jobs[nj].a = addrs[i];
        jobs[nj].inflight = &inflight;
        jobs[nj].failures = &failures;
        nj++;
    }
    size_t max = max_inflight > 0 ? (size_t)max_inflight : 32;
    size_t next = 0;
    while (next < nj || inflight > 0) {
        while (next < nj && inflight < max) {
            struct rjob *j = &jobs[next++];
            inflight++;
            ares_gethostbyaddr(r->ch, j->a.b, j->a.family == 4 ? 4 : 16,
                               j->a.family == 4 ? AF_INET : AF_INET6, on_ptr, j);
        }
        if (inflight > 0)
            kp_dns_wait(r->ch, 1000);
    }
    free(jobs);
    return failures;
}

const char *kp_rdns_name(struct kp_rdns *r, const struct kp_addr *a, int *state)
{
    int st = -EAGAIN;
    const char *name = NULL;
    const struct rentry *e = (a && (a->family == 4 || a->family == 6)) ? entry_of(r, a) : NULL;
    if (e != NULL) {
        switch (e->state) {
        case ST_NAME:
            st = 0;
            name = r->names[e->name - 1];
            break;
        case ST_NONAME:
            st = -ENOENT;
            break;
        case ST_FAILED:
            st = -EIO;
            break;
        default:
            break;
        }
    }
    if (state != NULL)
        *state = st;
    return name;
}
