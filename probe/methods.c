/* methods.c — the registry of method tables and the helpers they share
 * (libnet building with checksum adjustment, common ICMP-error checks). */
#include "probe/method_impl.h"

#include <errno.h>
#include <libnet.h>
#include <string.h>

const struct kp_method_ops *const kp_methods[] = {
    &kp_method_icmp_paris, &kp_method_udp_paris, &kp_method_tcp_syn, &kp_method_udp, NULL,
};

const struct kp_method_ops *kp_method_find(const char *name)
{
    if (name == NULL)
        return NULL;
    for (size_t i = 0; kp_methods[i] != NULL; i++)
        if (strcmp(kp_methods[i]->name, name) == 0)
            return kp_methods[i];
    return NULL;
}

const struct kp_method_ops *kp_method_by_id(enum kp_method id)
{
    for (size_t i = 0; kp_methods[i] != NULL; i++)
        if (kp_methods[i]->id == id)
            return kp_methods[i];
    return NULL;
}

int kp_method_match_any(const struct kp_pkt *reply, const struct kp_addr *src,
                        const struct kp_key *key, struct kp_match *out,
                        const struct kp_method_ops **which)
{
    int best = -ENOENT;
    for (size_t i = 0; kp_methods[i] != NULL; i++) {
        struct kp_match m;
        int r = kp_methods[i]->match(reply, src, key, &m);
        if (r == 0) {
            *out = m;
            if (which != NULL)
                *which = kp_methods[i];
            return 0;
        }
        if (r == -EBADMSG)
            best = -EBADMSG;
    }
    if (which != NULL)
        *which = NULL;
    return best;
}

uint16_t kp_method_min_size(const struct kp_method_ops *ops, int family)
{
    return (uint16_t)(ops->min_size + (family == 6 ? 20 : 0));
}

uint16_t kp_mi_oc_add(uint16_t a, uint16_t b)
{
    uint32_t s = (uint32_t)a + b;
    return (uint16_t)((s & 0xffffu) + (s >> 16));
}

int kp_mi_spec_check(const struct kp_method_ops *ops, const struct kp_probe_spec *spec, size_t cap,
                     uint16_t *size)
{
    if (spec == NULL || spec->key == NULL)
        return -EINVAL;
    if ((spec->dst.family != 4 && spec->dst.family != 6) || spec->src.family != spec->dst.family)
        return -EINVAL;
    if (spec->ttl < 1 || spec->ttl > KP_ID_TTL_MAX || spec->attempt > KP_ID_ATTEMPT_MAX)
        return -EINVAL;
    uint16_t min = kp_method_min_size(ops, spec->dst.family);
    uint16_t sz = spec->size ? spec->size : min;
    if (sz < min)
        return -EINVAL;
    if (cap < sz)
        return -ENOSPC;
    *size = sz;
    return 0;
}

/* One libnet pass: build the headers around payload and copy the bytes out.
 * Returns the packet length or a negative errno. */
static int libnet_pass(const struct kp_mi_probe *p, const uint8_t *payload, uint32_t plen,
                       uint8_t *out, size_t cap)
{
    char errbuf[LIBNET_ERRBUF_SIZE];
    libnet_t *l = libnet_init(LIBNET_NONE, NULL, errbuf);
    if (l == NULL)
        return -ENOMEM;
    int ret = -ENOMEM;
    libnet_ptag_t t = -1;
    uint32_t l4len = 0;
    switch (p->proto) {
    case KP_PROTO_UDP:
        l4len = LIBNET_UDP_H + plen;
        t = libnet_build_udp(p->sport, p->dport, (uint16_t)l4len, 0, payload, plen, l, 0);
        break;
    case KP_PROTO_ICMP:
        l4len = LIBNET_ICMPV4_ECHO_H + plen;
        if (p->dst.family == 6)
            t = libnet_build_icmpv6_echo(128, 0, 0, p->echo_id, p->echo_seq,
                                         (uint8_t *)(uintptr_t)payload, plen, l, 0);
        else
            t = libnet_build_icmpv4_echo(ICMP_ECHO, 0, 0, p->echo_id, p->echo_seq, payload, plen, l,
                                         0);
        break;
    case KP_PROTO_TCP: {
        uint8_t opt[KP_TCPOPT_MARKER_LEN];
        opt[0] = KP_TCPOPT_MARKER;
        opt[1] = KP_TCPOPT_MARKER_LEN;
        kp_marker_write(opt + 2, &p->marker);
        if (libnet_build_tcp_options(opt, sizeof(opt), l, 0) == -1)
            break;
        l4len = LIBNET_TCP_H + sizeof(opt) + plen;
        t = libnet_build_tcp(p->sport, p->dport, p->tcp_seq, 0, TH_SYN, 5840, 0, 0, (uint16_t)l4len,
                             plen ? payload : NULL, plen, l, 0);
        break;
    }
    default:
        ret = -EINVAL;
        break;
    }
    if (t != -1 && p->dst.family == 6) {
        struct libnet_in6_addr src6, dst6;
        memcpy(&src6, p->src.b, 16);
        memcpy(&dst6, p->dst.b, 16);
        /* Flow label 0 (constant for Paris; libnet 1.1.6 also mangles
         * non-zero flow labels). */
        t = libnet_build_ipv6(0, 0, (uint16_t)l4len, p->proto == KP_PROTO_ICMP ? 58 : p->proto,
                              p->ttl, src6, dst6, NULL, 0, l, 0);
    } else if (t != -1) {
        uint32_t src, dst;
        memcpy(&src, p->src.b, 4);
        memcpy(&dst, p->dst.b, 4);
        t = libnet_build_ipv4((uint16_t)(LIBNET_IPV4_H + l4len), 0, p->ip_id, 0, p->ttl, p->proto,
                              0, src, dst, NULL, 0, l, 0);
    }
    if (t != -1) {
        uint8_t *pkt = NULL;
        uint32_t n = 0;
        if (libnet_pblock_coalesce(l, &pkt, &n) == -1 || pkt == NULL) {
            ret = -ENOMEM;
        } else {
            if (n > cap) {
                ret = -ENOSPC;
            } else {
                memcpy(out, pkt, n);
                ret = (int)n;
            }
            libnet_adv_free_packet(l, pkt);
        }
    }
    libnet_destroy(l);
    return ret;
}

int kp_mi_build(const struct kp_mi_probe *p, uint8_t *buf, size_t *len)
{
    size_t iphl = p->dst.family == 6 ? 40 : 20;
    size_t hdr = iphl + (p->proto == KP_PROTO_TCP ? 20 + KP_TCPOPT_MARKER_LEN : 8);
    if (p->size < hdr || (p->proto != KP_PROTO_TCP && p->size < hdr + KP_MARKER_LEN))
        return -EINVAL;
    if (*len < p->size)
        return -ENOSPC;
    uint32_t plen = (uint32_t)(p->size - hdr);
    uint8_t payload[1500];
    if (plen > sizeof(payload))
        return -EINVAL;
    memset(payload, 0, plen);
    struct kp_marker m = p->marker;
    if (p->proto != KP_PROTO_TCP)
        kp_marker_write(payload, &m);

    int n = libnet_pass(p, payload, plen, buf, *len);
    if (n < 0)
        return n;
    if (p->fix_sum) {
        /* The checksum field c = ~S, S the ones-complement sum of the rest.
         * Adding word w to the payload makes S' = S + w; for c' = want we
         * need S' = ~want, so w = ~want - S = ~want + c. */
        size_t sum_off = iphl + (p->proto == KP_PROTO_UDP ? 6 : 2);
        uint16_t c0 = (uint16_t)(buf[sum_off] << 8 | buf[sum_off + 1]);
        m.adjust = kp_mi_oc_add((uint16_t)~p->want_sum, c0);
        kp_marker_write(payload, &m);
        n = libnet_pass(p, payload, plen, buf, *len);
        if (n < 0)
            return n;
        uint16_t c1 = (uint16_t)(buf[sum_off] << 8 | buf[sum_off + 1]);
        if (c1 != p->want_sum)
            return -EIO;
    }
    *len = (size_t)n;
    return 0;
}

int kp_mi_error_quote(const struct kp_pkt *r, const struct kp_addr *src, uint8_t proto,
                      struct kp_match *out)
{
    if (!r->is_icmp_error || !r->has_quote || r->q_ip.version != r->ip.version)
        return -ENOENT;
    if (proto == KP_PROTO_ICMP && r->ip.version == 6)
        proto = 58;
    if (r->q_ip.proto != proto || r->q_l4.proto != proto)
        return -ENOENT;
    if (r->ip.version == 6 && r->l4.icmp_type == 2)
        return -ENOENT; /* packet too big: not an answer to a probe's TTL */
    if (r->q_l4.len < 8)
        return -ENOENT;
    if (src != NULL && kp_addr_is_set(src) && !kp_addr_eq(&r->ip.dst, src))
        return -ENOENT;
    memset(out, 0, sizeof(*out));
    out->dst = r->q_ip.dst;
    out->from_dst = kp_addr_eq(&r->ip.src, &r->q_ip.dst);
    return 0;
}
