/* SPDX-License-Identifier: BSD-2-Clause */
/* methods.c — the registry of method tables and the helpers they share
 * (libnet building with checksum adjustment, common ICMP-error checks). */
#include "core/methods/method_impl.h"

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
    return (uint16_t)(ops->min_size + (family == 6 ? KP_IPV6_HDR_LEN - KP_IPV4_HDR_LEN : 0));
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

struct kp_mi_probe kp_mi_probe_from_spec(const struct kp_method_ops *ops,
                                         const struct kp_probe_spec *spec, uint16_t size,
                                         const struct kp_id_fields *id)
{
    struct kp_mi_probe p = {
        .method = ops->id,
        .proto = ops->proto,
        .size = size,
        .ip_id = id->ip_id,
        .ttl = spec->ttl,
        .src = spec->src,
        .dst = spec->dst,
        .marker = {.method = (uint8_t)ops->id,
                   .ttl = spec->ttl,
                   .attempt = spec->attempt,
                   .trace_id = spec->trace_id,
                   .slot = spec->slot,
                   .tag = id->payload_tag},
    };
    return p;
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
            t = libnet_build_icmpv6_echo(KP_ICMP6_ECHO, 0, 0, p->echo_id, p->echo_seq,
                                         (uint8_t *)(uintptr_t)payload, plen, l, 0);
        else
            t = libnet_build_icmpv4_echo(KP_ICMP_ECHO, 0, 0, p->echo_id, p->echo_seq, payload, plen,
                                         l, 0);
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
        t = libnet_build_ipv6(0, 0, (uint16_t)l4len,
                              p->proto == KP_PROTO_ICMP ? KP_PROTO_ICMPV6 : p->proto, p->ttl, src6,
                              dst6, NULL, 0, l, 0);
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
    size_t iphl = p->dst.family == 6 ? KP_IPV6_HDR_LEN : KP_IPV4_HDR_LEN;
    size_t hdr =
        iphl + (p->proto == KP_PROTO_TCP ? KP_TCP_HDR_LEN + KP_TCPOPT_MARKER_LEN : KP_UDP_HDR_LEN);
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
    if (p->dst.family == 4 && n >= KP_IPV4_HDR_LEN) {
        /* the header's checksum, which libnet leaves to the kernel's raw
         * socket: a probe sent on a packet socket (--send-via link) goes out
         * as built */
        buf[10] = buf[11] = 0;
        uint16_t s = kp_cksum_fold(kp_cksum_add(0, buf, KP_IPV4_HDR_LEN));
        buf[10] = (uint8_t)(s >> 8);
        buf[11] = (uint8_t)s;
    }
    *len = (size_t)n;
    return 0;
}

/* <netinet/ip_icmp.h> (through libnet.h) defines icmp_seq as a macro for
 * its own struct: kp_id_fields' member of that name is meant below. */
#undef icmp_seq

static void wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static uint16_t rd16b(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

int kp_mi_patch(const struct kp_method_ops *ops, const struct kp_probe_spec *spec, uint16_t flow,
                uint16_t dport, uint8_t *pkt, size_t len)
{
    if (spec->dst.family != 4 || len < 20 || (pkt[0] >> 4) != 4 || (pkt[0] & 15) != 5 ||
        pkt[9] != ops->proto || rd16b(pkt + 2) != len)
        return -EINVAL;
    if (spec->ttl < 1 || spec->ttl > KP_ID_TTL_MAX || spec->attempt > KP_ID_ATTEMPT_MAX)
        return -EINVAL;
    struct kp_id_fields id;
    int r =
        kp_id_encode(spec->key, ops->id, &spec->dst, dport, flow, spec->ttl, spec->attempt, &id);
    if (r != 0)
        return r;
    uint8_t *l4 = pkt + 20, *mk;
    size_t l4len = len - 20;
    if (ops->proto == KP_PROTO_TCP) {
        if (l4len < 20 + KP_TCPOPT_MARKER_LEN || l4[20] != KP_TCPOPT_MARKER)
            return -EINVAL;
        mk = l4 + 22;
    } else {
        if (l4len < 8 + KP_MARKER_LEN)
            return -EINVAL;
        mk = l4 + 8;
    }
    if (memcmp(mk, KP_MARKER_MAGIC, 4) != 0)
        return -EINVAL;
    /* IP: TTL, IP ID, header checksum */
    pkt[8] = spec->ttl;
    wr16(pkt + 4, id.ip_id);
    pkt[10] = pkt[11] = 0;
    wr16(pkt + 10, kp_cksum_fold(kp_cksum_add(0, pkt, 20)));
    /* the marker: TTL and attempt, tag; the adjustment word is set below */
    mk[5] = (uint8_t)(spec->ttl | spec->attempt << 6);
    mk[12] = (uint8_t)(id.payload_tag >> 24);
    mk[13] = (uint8_t)(id.payload_tag >> 16);
    mk[14] = (uint8_t)(id.payload_tag >> 8);
    mk[15] = (uint8_t)id.payload_tag;
    /* the transport header and its checksum; for UDP and TCP with the
     * pseudo-header (addresses, protocol, length) */
    uint32_t pseudo = 0;
    if (ops->proto != KP_PROTO_ICMP) {
        pseudo = kp_cksum_add(0, pkt + 12, 8);
        pseudo += ops->proto;
        pseudo += (uint32_t)l4len;
    }
    size_t sum_off;
    uint16_t want = id.l4_sum;
    switch (ops->proto) {
    case KP_PROTO_ICMP:
        wr16(l4 + 6, id.icmp_seq);
        sum_off = 2;
        break;
    case KP_PROTO_UDP:
        wr16(l4 + 2, id.dport);
        sum_off = 6;
        break;
    default: /* TCP: the sequence number, the checksum as computed */
        l4[4] = (uint8_t)(id.tcp_seq >> 24);
        l4[5] = (uint8_t)(id.tcp_seq >> 16);
        l4[6] = (uint8_t)(id.tcp_seq >> 8);
        l4[7] = (uint8_t)id.tcp_seq;
        l4[16] = l4[17] = 0;
        wr16(l4 + 16, kp_cksum_fold(kp_cksum_add(pseudo, l4, l4len)));
        return 0;
    }
    /* UDP / ICMP: the checksum is `want`, set with the marker's last word
     * (as kp_mi_build does: adjust = ~want + c0, c0 the checksum with the
     * word 0) */
    l4[sum_off] = l4[sum_off + 1] = 0;
    mk[16] = mk[17] = 0;
    uint16_t c0 = kp_cksum_fold(kp_cksum_add(pseudo, l4, l4len));
    wr16(mk + 16, kp_mi_oc_add((uint16_t)~want, c0));
    wr16(l4 + sum_off, want);
    return 0;
}

int kp_mi_error_quote(const struct kp_pkt *r, const struct kp_addr *src, uint8_t proto,
                      struct kp_match *out)
{
    if (!r->is_icmp_error || !r->has_quote || r->q_ip.version != r->ip.version)
        return -ENOENT;
    if (proto == KP_PROTO_ICMP && r->ip.version == 6)
        proto = KP_PROTO_ICMPV6;
    if (r->q_ip.proto != proto || r->q_l4.proto != proto)
        return -ENOENT;
    if (r->ip.version == 6 && r->l4.icmp_type == KP_ICMP6_PKT_TOOBIG)
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
