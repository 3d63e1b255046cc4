/* SPDX-License-Identifier: BSD-2-Clause */
/* net_link.c — the packet socket and the next hops of --send-via link. See
 * net_link.h. */
#include "prober/sys/net_link.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fib_rules.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/base/cursor.h"

/* ---- parsing: pure, bounds-checked ----------------------------------- */

/* The next length-prefixed element of c: a netlink message (hsize 16: a
 * 32-bit length, then the type) or a route attribute (hsize 4: a 16-bit
 * length, then the type). The length counts the header; elements are
 * padded to 4 bytes, the last one may end without its padding. 0 and its
 * type and body (the bytes after the header), 1 at the end, -EBADMSG. */
static int tlv_next(struct kp_cur *c, size_t hsize, uint16_t *type, struct kp_cur *body)
{
    if (kp_cur_remaining(c) == 0)
        return 1;
    const uint8_t *h;
    if (kp_cur_bytes(c, hsize, &h))
        return -EBADMSG;
    size_t len;
    uint16_t t;
    if (hsize == sizeof(struct nlmsghdr)) {
        uint32_t l32;
        memcpy(&l32, h, sizeof(l32));
        memcpy(&t, h + 4, sizeof(t));
        len = l32;
    } else {
        uint16_t l16;
        memcpy(&l16, h, sizeof(l16));
        memcpy(&t, h + 2, sizeof(t));
        len = l16;
    }
    if (len < hsize || kp_cur_sub(c, len - hsize, body))
        return -EBADMSG;
    size_t pad = ((len + 3) & ~(size_t)3) - len;
    if (pad > kp_cur_remaining(c))
        pad = kp_cur_remaining(c);
    (void)kp_cur_skip(c, pad);
    *type = t;
    return 0;
}

static int nl_next(struct kp_cur *c, uint16_t *type, struct kp_cur *body)
{
    return tlv_next(c, sizeof(struct nlmsghdr), type, body);
}

static int nl_attr(struct kp_cur *c, uint16_t *type, struct kp_cur *val)
{
    int rc = tlv_next(c, sizeof(struct rtattr), type, val);
    if (rc == 0)
        *type = (uint16_t)(*type & NLA_TYPE_MASK);
    return rc;
}

/* The next n bytes of c into out (a struct in host order, as netlink
 * carries them): 0 or -EBADMSG. */
static int take(struct kp_cur *c, void *out, size_t n)
{
    const uint8_t *p;
    if (kp_cur_bytes(c, n, &p))
        return -EBADMSG;
    memcpy(out, p, n);
    return 0;
}

/* A fixed-size attribute value into out (n bytes): 0 or -EBADMSG. */
static int attr_get(struct kp_cur *val, void *out, size_t n)
{
    return kp_cur_remaining(val) != n ? -EBADMSG : take(val, out, n);
}

/* The error of an NLMSG_ERROR body: -errno (never 0 here: an ack is not a
 * reply to a request without NLM_F_ACK). */
static int nl_error(struct kp_cur *body)
{
    int32_t e;
    if (take(body, &e, sizeof(e)))
        return -EBADMSG;
    return e < 0 && e > -4096 ? e : -EBADMSG;
}

static int route_body(struct kp_cur *body, struct kp_nl_route *out)
{
    struct rtmsg rt;
    if (take(body, &rt, sizeof(rt)) || rt.rtm_family != AF_INET || rt.rtm_dst_len > 32)
        return -EBADMSG;
    memset(out, 0, sizeof(*out));
    out->type = rt.rtm_type;
    out->dst_len = rt.rtm_dst_len;
    uint16_t t;
    struct kp_cur v;
    int rc;
    while ((rc = nl_attr(body, &t, &v)) == 0) {
        switch (t) {
        case RTA_DST:
            if (attr_get(&v, &out->dst, 4))
                return -EBADMSG;
            break;
        case RTA_OIF: {
            uint32_t oif;
            if (attr_get(&v, &oif, 4) || oif > INT32_MAX)
                return -EBADMSG;
            out->oif = (int)oif;
            break;
        }
        case RTA_GATEWAY:
            if (attr_get(&v, &out->gateway, 4))
                return -EBADMSG;
            out->has_gateway = 1;
            break;
        case RTA_MULTIPATH:
        case RTA_VIA:   /* a gateway of another family */
        case RTA_NH_ID: /* a nexthop object: could be a group */
            out->multipath = 1;
            break;
        default:
            break;
        }
    }
    return rc < 0 ? rc : 0;
}

/* The first message of type want in a reply: 0 and its body, the error of
 * an NLMSG_ERROR before it, -EBADMSG. */
static int find_reply(const uint8_t *buf, size_t len, uint16_t want, struct kp_cur *body)
{
    struct kp_cur c;
    uint16_t type;
    kp_cur_init(&c, buf, len);
    while (nl_next(&c, &type, body) == 0) {
        if (type == NLMSG_ERROR)
            return nl_error(body);
        if (type == want)
            return 0;
    }
    return -EBADMSG;
}

int kp_nl_route_parse(const uint8_t *buf, size_t len, struct kp_nl_route *out)
{
    struct kp_cur body;
    int rc = find_reply(buf, len, RTM_NEWROUTE, &body);
    return rc ? rc : route_body(&body, out);
}

int kp_nl_neigh_parse(const uint8_t *buf, size_t len, struct kp_nl_neigh *out)
{
    struct kp_cur body;
    int rc = find_reply(buf, len, RTM_NEWNEIGH, &body);
    if (rc)
        return rc;
    struct ndmsg nd;
    if (take(&body, &nd, sizeof(nd)) || nd.ndm_family != AF_INET)
        return -EBADMSG;
    memset(out, 0, sizeof(*out));
    out->state = nd.ndm_state;
    out->ifindex = nd.ndm_ifindex;
    uint16_t t;
    struct kp_cur v;
    while ((rc = nl_attr(&body, &t, &v)) == 0) {
        if (t != NDA_LLADDR)
            continue;
        size_t n = kp_cur_remaining(&v);
        if (n == 0 || n > KP_LINK_ADDR_MAX || attr_get(&v, out->addr, n))
            return -EBADMSG;
        out->halen = (uint8_t)n;
    }
    return rc < 0 ? rc : 0;
}

/* ---- the live side ---------------------------------------------------- */

/* A prefix that no route or rule of the host splits (below): every address
 * in it leaves the same way. */
struct entry {
    uint32_t net, mask; /* host order */
    int via_link;       /* 1: hop; 0: the IP way */
    int64_t expires;
    struct kp_link_hop hop;
};

struct kp_link {
    int pfd, nl;
    uint32_t src, seq;
    struct entry e[KP_LINK_ROUTES];
    unsigned n;
    struct kp_link_bound *bounds; /* the blocks the cache holds straddle none */
    size_t nbounds, cap;
    int64_t bounds_until; /* the dump of routes and rules is asked again after */
    int rules_other;      /* 1: a rule chooses by more than addresses: all go the IP way */
    uint8_t buf[65536];
};

static uint32_t mask_of(unsigned len)
{
    return len == 0 ? 0 : 0xffffffffu << (32 - len);
}

static void put_attr(uint8_t *msg, uint16_t type, const void *data, uint16_t dlen)
{
    struct nlmsghdr *n = (struct nlmsghdr *)(void *)msg;
    struct rtattr *a = (struct rtattr *)(void *)(msg + NLMSG_ALIGN(n->nlmsg_len));
    a->rta_type = type;
    a->rta_len = (unsigned short)RTA_LENGTH(dlen);
    memcpy(RTA_DATA(a), data, dlen);
    n->nlmsg_len = NLMSG_ALIGN(n->nlmsg_len) + RTA_ALIGN(a->rta_len);
}

/* Send the request in msg and read the first datagram of its reply into
 * l->buf (dump reads the rest of a dump). Returns its length or -errno. */
static ssize_t nl_ask(struct kp_link *l, uint8_t *msg)
{
    struct nlmsghdr *n = (struct nlmsghdr *)(void *)msg;
    n->nlmsg_seq = ++l->seq;
    struct sockaddr_nl to = {.nl_family = AF_NETLINK};
    if (sendto(l->nl, msg, n->nlmsg_len, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
        return -errno;
    for (;;) {
        ssize_t got = recv(l->nl, l->buf, sizeof(l->buf), 0);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return -errno;
        if ((size_t)got >= sizeof(struct nlmsghdr)) {
            struct nlmsghdr h;
            memcpy(&h, l->buf, sizeof(h));
            if (h.nlmsg_seq != l->seq)
                continue; /* a late answer to an earlier request */
        }
        return got;
    }
}

/* A request of type and flags with a fixed part of flen bytes (zeroed,
 * returned) in msg (REQ_MAX bytes), attributes to be added by put_attr. */
#define REQ_MAX 128
static void *request(uint8_t *msg, uint16_t type, uint16_t flags, size_t flen)
{
    memset(msg, 0, REQ_MAX);
    struct nlmsghdr *n = (struct nlmsghdr *)(void *)msg;
    n->nlmsg_len = (uint32_t)NLMSG_LENGTH(flen);
    n->nlmsg_type = type;
    n->nlmsg_flags = flags;
    return NLMSG_DATA(n);
}

static int query_route(struct kp_link *l, uint32_t dst, struct kp_nl_route *r)
{
    _Alignas(struct nlmsghdr) uint8_t msg[REQ_MAX];
    struct rtmsg *rt = request(msg, RTM_GETROUTE, NLM_F_REQUEST, sizeof(*rt));
    rt->rtm_family = AF_INET;
    rt->rtm_dst_len = 32;
    rt->rtm_src_len = 32;
    rt->rtm_flags = RTM_F_FIB_MATCH;
    put_attr(msg, RTA_DST, &dst, 4);
    put_attr(msg, RTA_SRC, &l->src, 4);
    ssize_t got = nl_ask(l, msg);
    if (got < 0)
        return (int)got;
    return kp_nl_route_parse(l->buf, (size_t)got, r);
}

static int query_neigh(struct kp_link *l, int ifindex, uint32_t addr, struct kp_nl_neigh *nb)
{
    _Alignas(struct nlmsghdr) uint8_t msg[REQ_MAX];
    struct ndmsg *nd = request(msg, RTM_GETNEIGH, NLM_F_REQUEST, sizeof(*nd));
    nd->ndm_family = AF_INET;
    nd->ndm_ifindex = ifindex;
    put_attr(msg, NDA_DST, &addr, 4);
    ssize_t got = nl_ask(l, msg);
    if (got < 0)
        return (int)got;
    return kp_nl_neigh_parse(l->buf, (size_t)got, nb);
}

static int add_bound(struct kp_link *l, uint32_t net_be, uint8_t len)
{
    if (len == 0)
        return 0;
    if (l->nbounds == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        struct kp_link_bound *nb = realloc(l->bounds, cap * sizeof(*nb));
        if (nb == NULL)
            return -ENOMEM;
        l->bounds = nb;
        l->cap = cap;
    }
    struct kp_link_bound *b = l->bounds;
    b[l->nbounds].net = ntohl(net_be) & mask_of(len);
    b[l->nbounds].len = len;
    l->nbounds++;
    return 0;
}

/* One message of the route or rule dump. */
static int dump_msg(struct kp_link *l, uint16_t type, struct kp_cur *body)
{
    if (type == RTM_NEWROUTE) {
        struct kp_nl_route r;
        if (route_body(body, &r))
            return 0; /* another family or a form this does not read */
        return add_bound(l, r.dst, r.dst_len);
    }
    if (type != RTM_NEWRULE)
        return 0;
    struct fib_rule_hdr fr;
    if (take(body, &fr, sizeof(fr)))
        return -EBADMSG;
    if (fr.family != AF_INET)
        return 0;
    if (fr.tos != 0)
        l->rules_other = 1;
    uint32_t dst = 0;
    uint16_t t;
    struct kp_cur v;
    int rc;
    while ((rc = nl_attr(body, &t, &v)) == 0) {
        switch (t) {
        case FRA_DST:
            if (attr_get(&v, &dst, 4))
                return -EBADMSG;
            break;
        case FRA_FWMARK: {
            uint32_t m = 0;
            if (attr_get(&v, &m, 4) == 0 && m == 0)
                break;
            l->rules_other = 1;
            break;
        }
        case FRA_IIFNAME:
        case FRA_OIFNAME:
        case FRA_UID_RANGE:
        case FRA_IP_PROTO:
        case FRA_SPORT_RANGE:
        case FRA_DPORT_RANGE:
        case FRA_L3MDEV:
            l->rules_other = 1;
            break;
        default:
            break;
        }
    }
    if (rc < 0)
        return rc;
    return fr.dst_len > 32 ? -EBADMSG : add_bound(l, dst, fr.dst_len);
}

/* Dump every IPv4 route of every table (or every rule) into the bounds. */
static int dump(struct kp_link *l, uint16_t what)
{
    _Alignas(struct nlmsghdr) uint8_t msg[REQ_MAX];
    /* struct fib_rule_hdr starts as struct rtmsg does, with the family */
    struct rtmsg *rt = request(msg, what, NLM_F_REQUEST | NLM_F_DUMP, sizeof(*rt));
    rt->rtm_family = AF_INET;
    ssize_t got = nl_ask(l, msg);
    for (;;) {
        if (got < 0)
            return (int)got;
        struct kp_cur c, body;
        uint16_t type;
        int rc;
        kp_cur_init(&c, l->buf, (size_t)got);
        while ((rc = nl_next(&c, &type, &body)) == 0) {
            if (type == NLMSG_DONE)
                return 0;
            if (type == NLMSG_ERROR)
                return nl_error(&body);
            if ((rc = dump_msg(l, type, &body)) < 0)
                return rc;
            if (l->nbounds > 100000)
                return -E2BIG; /* a full table: the IP way costs less than this */
        }
        if (rc < 0)
            return rc;
        do
            got = recv(l->nl, l->buf, sizeof(l->buf), 0);
        while (got < 0 && errno == EINTR);
        if (got < 0)
            got = -errno;
    }
}

static int refresh_bounds(struct kp_link *l, int64_t now)
{
    l->nbounds = 0;
    l->rules_other = 0;
    l->n = 0; /* what was cached was cut by the old bounds */
    int rc = dump(l, RTM_GETROUTE);
    if (rc == 0)
        rc = dump(l, RTM_GETRULE);
    l->bounds_until = now + KP_LINK_TTL_NS;
    if (rc == -E2BIG)
        l->bounds_until = INT64_MAX; /* a full table: the IP way for the whole run */
    if (rc < 0)
        l->rules_other = 1; /* unknown: everything the IP way until the next dump */
    return rc;
}

unsigned kp_link_block_len(const struct kp_link_bound *bounds, size_t n, uint32_t dst,
                           unsigned route_len)
{
    uint32_t m = mask_of(route_len);
    unsigned len = route_len;
    for (size_t i = 0; i < n; i++) {
        const struct kp_link_bound *b = &bounds[i];
        if (b->len <= route_len || b->len > 32 || (b->net & m) != (dst & m))
            continue; /* not inside the route's prefix */
        uint32_t diff = (b->net ^ dst) & mask_of(b->len);
        if (diff == 0)
            return 32;
        /* the first bit where dst leaves the bound: the block must keep it */
        unsigned common = (unsigned)__builtin_clz(diff);
        if (common + 1 > len)
            len = common + 1;
    }
    return len;
}

static int link_header(struct kp_link *l, int ifindex, int *kind)
{
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    if (if_indextoname((unsigned)ifindex, ifr.ifr_name) == NULL)
        return -errno;
    if (ioctl(l->pfd, SIOCGIFHWADDR, &ifr) < 0)
        return -errno;
    *kind = ifr.ifr_hwaddr.sa_family;
    return 0;
}

/* Look up dst and fill the entry that covers it. */
static void resolve(struct kp_link *l, uint32_t dst_be, int64_t now, struct entry *e)
{
    uint32_t dst = ntohl(dst_be);
    memset(e, 0, sizeof(*e));
    e->net = dst;
    e->mask = 0xffffffffu;
    e->expires = now + KP_LINK_TTL_NS;
    struct kp_nl_route r;
    if (l->rules_other || query_route(l, dst_be, &r) != 0)
        return; /* the IP way: it reports no route itself */
    int kind = -1;
    int usable = r.type == RTN_UNICAST && !r.multipath && r.oif > 0 &&
                 link_header(l, r.oif, &kind) == 0 && (kind == ARPHRD_ETHER || kind == ARPHRD_NONE);
    /* on an Ethernet link without a gateway each address is its own neighbour */
    unsigned len = usable && kind == ARPHRD_ETHER && !r.has_gateway
                       ? 32
                       : kp_link_block_len(l->bounds, l->nbounds, dst, r.dst_len);
    e->mask = mask_of(len);
    e->net = dst & e->mask;
    if (!usable)
        return;
    e->hop.ifindex = r.oif;
    if (kind == ARPHRD_NONE) {
        e->via_link = 1;
        return;
    }
    struct kp_nl_neigh nb;
    uint32_t next = r.has_gateway ? r.gateway : dst_be;
    if (query_neigh(l, r.oif, next, &nb) != 0 || nb.halen != ETH_ALEN ||
        !(nb.state & (NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT))) {
        e->expires = now + KP_LINK_RETRY_NS; /* the IP way resolves it meanwhile */
        return;
    }
    e->hop.halen = nb.halen;
    memcpy(e->hop.addr, nb.addr, nb.halen);
    e->via_link = 1;
}

int kp_link_next_hop(struct kp_link *l, uint32_t dst_be, int64_t now,
                     const struct kp_link_hop **hop)
{
    if (now >= l->bounds_until)
        (void)refresh_bounds(l, now);
    uint32_t dst = ntohl(dst_be);
    struct entry *best = NULL;
    for (unsigned i = 0; i < l->n; i++) {
        struct entry *e = &l->e[i];
        if ((dst & e->mask) == e->net && (best == NULL || e->mask > best->mask))
            best = e;
    }
    if (best != NULL && now >= best->expires) {
        *best = l->e[--l->n]; /* asked again below */
        best = NULL;
    }
    if (best == NULL && l->n == KP_LINK_ROUTES)
        for (unsigned i = l->n; i-- > 0;)
            if (now >= l->e[i].expires)
                l->e[i] = l->e[--l->n];
    if (best == NULL) {
        if (l->n == KP_LINK_ROUTES)
            return -EAGAIN;
        best = &l->e[l->n++];
        resolve(l, dst_be, now, best);
    }
    if (!best->via_link)
        return -EAGAIN;
    *hop = &best->hop;
    return 0;
}

int kp_link_open(struct kp_link **out, uint32_t src)
{
    *out = NULL;
    struct kp_link *l = calloc(1, sizeof(*l));
    if (l == NULL)
        return -ENOMEM;
    l->src = src;
    l->pfd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_IP));
    l->nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    int rc = 0;
    if (l->pfd < 0 || l->nl < 0) {
        rc = -errno;
    } else {
        /* nothing is received on the packet socket: an empty filter keeps
         * the kernel from queueing every IPv4 frame to it */
        struct sock_filter none = {0x06, 0, 0, 0}; /* ret #0 */
        struct sock_fprog prog = {.len = 1, .filter = &none};
        if (setsockopt(l->pfd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0)
            rc = -errno;
        struct timeval tv = {.tv_sec = 1};
        if (rc == 0 && setsockopt(l->nl, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
            rc = -errno;
    }
    if (rc != 0) {
        kp_link_close(l);
        return rc;
    }
    *out = l;
    return 0;
}

int kp_link_fd(const struct kp_link *l)
{
    return l->pfd;
}

void kp_link_close(struct kp_link *l)
{
    if (l == NULL)
        return;
    if (l->pfd >= 0)
        close(l->pfd);
    if (l->nl >= 0)
        close(l->nl);
    free(l->bounds);
    free(l);
}
