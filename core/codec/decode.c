/* SPDX-License-Identifier: BSD-2-Clause */
/* decode.c — bounds-checked decoding of captured frames and IP packets.
 *
 * Every read goes through the rd8/rd16/rd32 helpers after an explicit length
 * check; nothing here reads outside the caller's buffer. The decoded view
 * (struct kp_pkt) points into the caller's buffer.
 *
 * Layers:
 *   link:      BSD loopback (DLT_NULL, either byte order), OpenBSD loopback
 *              (DLT_LOOP), Ethernet with any number (<= 4) of 802.1Q/802.1ad
 *              tags, Linux cooked v1 and v2, raw IP (DLT 12/14, LINKTYPE 101,
 *              228, 229);
 *   network:   IPv4 (options skipped), IPv6 with hop-by-hop, routing,
 *              fragment, destination-options and AH extension headers;
 *   transport: UDP, TCP (options exposed), ICMP, ICMPv6;
 *   ICMP errors (v4 3/11/12, v6 1/2/3/4): the quoted datagram, decoded as far
 *              as it was captured, and the RFC 4884 extension structure
 *              (located through the RFC 4884 length field, or in the pre-4884
 *              compatibility layout at offset 128 when its version and
 *              checksum validate), with RFC 4950 MPLS label stack objects.
 */
#include "core/codec/decode.h"

#include <string.h>

#include "core/base/proto.h"

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

uint32_t kp_cksum_add(uint32_t sum, const void *data, size_t len)
{
    const uint8_t *p = data;
    while (len >= 2) {
        sum += rd16(p);
        p += 2;
        len -= 2;
        if (sum & 0x80000000u)
            sum = (sum & 0xffffu) + (sum >> 16);
    }
    if (len == 1)
        sum += (uint32_t)p[0] << 8;
    return sum;
}

uint16_t kp_cksum_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffffu) + (sum >> 16);
    return (uint16_t)~sum;
}

const char *kp_decode_strerror(int status)
{
    switch (status) {
    case KP_DEC_OK:
        return "ok";
    case KP_DEC_TRUNCATED:
        return "truncated";
    case KP_DEC_MALFORMED:
        return "malformed";
    case KP_DEC_UNSUPPORTED:
        return "unsupported";
    case KP_DEC_FRAGMENT:
        return "non-first fragment";
    default:
        return "unknown status";
    }
}

/* ---------------------------------------------------------------- link */

static int link_ip_version(const uint8_t *p, size_t len, int want)
{
    if (len < 1)
        return KP_DEC_TRUNCATED;
    int v = p[0] >> 4;
    if (v != 4 && v != 6)
        return KP_DEC_MALFORMED;
    if (want != 0 && v != want)
        return KP_DEC_MALFORMED;
    return KP_DEC_OK;
}

/* Address-family values seen in loopback headers: AF_INET is 2 everywhere;
 * AF_INET6 is 10 (Linux), 24 (NetBSD/OpenBSD), 28 (FreeBSD), 30 (macOS). */
static int af_version(uint32_t af)
{
    if (af == 2)
        return 4;
    if (af == 10 || af == 24 || af == 28 || af == 30)
        return 6;
    return 0;
}

static int ethertype_version(uint16_t et)
{
    if (et == 0x0800)
        return 4;
    if (et == 0x86dd)
        return 6;
    return 0;
}

static bool is_vlan_tpid(uint16_t et)
{
    return et == 0x8100 || et == 0x88a8 || et == 0x9100 || et == 0x9200;
}

/* After an ethertype at off, skip up to 4 VLAN tags; returns the payload
 * offset and ethertype, or a status. */
static int skip_vlans(const uint8_t *f, size_t caplen, size_t *off, uint16_t *et)
{
    for (int tags = 0; is_vlan_tpid(*et); tags++) {
        if (tags == 4)
            return KP_DEC_UNSUPPORTED;
        if (caplen < *off + 4)
            return KP_DEC_TRUNCATED;
        *et = rd16(f + *off + 2);
        *off += 4;
    }
    return KP_DEC_OK;
}

int kp_decode_link(int dlt, const uint8_t *frame, size_t caplen, const uint8_t **ip, size_t *ip_len)
{
    size_t off = 0;
    int want = 0;
    uint16_t et;
    int st;

    if (frame == NULL && caplen != 0)
        return KP_DEC_MALFORMED;
    if (caplen == 0)
        return KP_DEC_TRUNCATED;
    switch (dlt) {
    case KP_DLT_NULL:
    case KP_DLT_LOOP: {
        if (caplen < 4)
            return KP_DEC_TRUNCATED;
        uint32_t be = rd32(frame);
        uint32_t le = (uint32_t)frame[3] << 24 | (uint32_t)frame[2] << 16 |
                      (uint32_t)frame[1] << 8 | frame[0];
        /* DLT_NULL is in the capturing host's order: accept either; DLT_LOOP
         * is network order by definition. */
        want = af_version(be);
        if (want == 0 && dlt == KP_DLT_NULL)
            want = af_version(le);
        if (want == 0)
            return KP_DEC_UNSUPPORTED;
        off = 4;
        break;
    }
    case KP_DLT_EN10MB:
        if (caplen < 14)
            return KP_DEC_TRUNCATED;
        et = rd16(frame + 12);
        off = 14;
        if ((st = skip_vlans(frame, caplen, &off, &et)) != KP_DEC_OK)
            return st;
        if ((want = ethertype_version(et)) == 0)
            return KP_DEC_UNSUPPORTED;
        break;
    case KP_DLT_LINUX_SLL:
        if (caplen < 16)
            return KP_DEC_TRUNCATED;
        et = rd16(frame + 14);
        off = 16;
        if ((st = skip_vlans(frame, caplen, &off, &et)) != KP_DEC_OK)
            return st;
        if ((want = ethertype_version(et)) == 0)
            return KP_DEC_UNSUPPORTED;
        break;
    case KP_DLT_LINUX_SLL2:
        if (caplen < 20)
            return KP_DEC_TRUNCATED;
        et = rd16(frame);
        off = 20;
        if ((st = skip_vlans(frame, caplen, &off, &et)) != KP_DEC_OK)
            return st;
        if ((want = ethertype_version(et)) == 0)
            return KP_DEC_UNSUPPORTED;
        break;
    case KP_DLT_RAW:
    case KP_DLT_RAW_ALT:
    case KP_LINKTYPE_RAW:
        want = 0;
        break;
    case KP_LINKTYPE_IPV4:
        want = 4;
        break;
    case KP_LINKTYPE_IPV6:
        want = 6;
        break;
    default:
        return KP_DEC_UNSUPPORTED;
    }
    if ((st = link_ip_version(frame + off, caplen - off, want)) != KP_DEC_OK)
        return st;
    *ip = frame + off;
    *ip_len = caplen - off;
    return KP_DEC_OK;
}

int kp_decode_frame(int dlt, const uint8_t *frame, size_t caplen, struct kp_pkt *out)
{
    const uint8_t *ip = NULL;
    size_t ip_len = 0;
    int st = kp_decode_link(dlt, frame, caplen, &ip, &ip_len);
    if (st != KP_DEC_OK) {
        memset(out, 0, sizeof(*out));
        return st;
    }
    return kp_decode_ip(ip, ip_len, out);
}

/* ------------------------------------------------------------- network */

static void addr_set(struct kp_addr *a, int family, const uint8_t *p)
{
    memset(a, 0, sizeof(*a));
    a->family = (uint8_t)family;
    memcpy(a->b, p, family == 4 ? 4 : 16);
}

/* Decode the IP header at p[0..len). On success *l4 / *l4_len give the
 * transport bytes (cut to the length the header claims). quote: this is a
 * quoted header inside an ICMP error (its total length may exceed what was
 * quoted; no checksum can be checked). */
static int decode_ip_hdr(const uint8_t *p, size_t len, bool quote, struct kp_ip *ip,
                         const uint8_t **l4, size_t *l4_len)
{
    if (len < 1)
        return KP_DEC_TRUNCATED;
    int v = p[0] >> 4;
    if (v == 4) {
        if (len < 20)
            return KP_DEC_TRUNCATED;
        size_t hl = (size_t)(p[0] & 0x0f) * 4;
        if (hl < 20)
            return KP_DEC_MALFORMED;
        ip->version = 4;
        ip->tos = p[1];
        ip->tot_len = rd16(p + 2);
        ip->ip_id = rd16(p + 4);
        ip->frag = rd16(p + 6);
        ip->ttl = p[8];
        ip->proto = p[9];
        addr_set(&ip->src, 4, p + 12);
        addr_set(&ip->dst, 4, p + 16);
        ip->hdr_len = (uint16_t)hl;
        if (len < hl)
            return KP_DEC_TRUNCATED;
        if (ip->tot_len < hl && !quote)
            return KP_DEC_MALFORMED;
        ip->sum_ok = kp_cksum_fold(kp_cksum_add(0, p, hl)) == 0;
        /* A quote is taken as far as it goes: some stacks quote a total
         * length in the wrong byte order, and RFC 4884 pads quotes. */
        size_t end = (quote || len < ip->tot_len) ? len : ip->tot_len;
        *l4 = p + hl;
        *l4_len = end - hl;
        if ((ip->frag & 0x1fff) != 0)
            return KP_DEC_FRAGMENT;
        return KP_DEC_OK;
    }
    if (v != 6)
        return KP_DEC_MALFORMED;
    if (len < 40)
        return KP_DEC_TRUNCATED;
    ip->version = 6;
    ip->tos = (uint8_t)(rd16(p) >> 4);
    ip->flowlabel = rd32(p) & 0xfffffu;
    uint16_t plen = rd16(p + 4);
    ip->tot_len = (uint16_t)(plen > 0xffff - 40 ? 0xffff : plen + 40);
    ip->ttl = p[7];
    addr_set(&ip->src, 6, p + 8);
    addr_set(&ip->dst, 6, p + 24);
    ip->sum_ok = true;
    size_t end = len;
    if (!quote && plen != 0 && (size_t)plen + 40 < end)
        end = (size_t)plen + 40;
    uint8_t nh = p[6];
    size_t off = 40;
    bool fragment = false;
    for (int n = 0; n < 16; n++) {
        if (nh == 0 || nh == 43 || nh == 60 || nh == 44 || nh == 51) {
            if (end < off + 8) {
                ip->proto = nh;
                ip->hdr_len = (uint16_t)off;
                return KP_DEC_TRUNCATED;
            }
            size_t elen;
            if (nh == 44) {
                elen = 8;
                if ((rd16(p + off + 2) & 0xfff8) != 0)
                    fragment = true;
            } else if (nh == 51) {
                elen = ((size_t)p[off + 1] + 2) * 4;
            } else {
                elen = ((size_t)p[off + 1] + 1) * 8;
            }
            nh = p[off];
            off += elen;
            if (end < off) {
                ip->proto = nh;
                ip->hdr_len = (uint16_t)(off > 0xffff ? 0xffff : off);
                return KP_DEC_TRUNCATED;
            }
            continue;
        }
        break;
    }
    ip->proto = nh;
    ip->hdr_len = (uint16_t)off;
    *l4 = p + off;
    *l4_len = end - off;
    if (fragment)
        return KP_DEC_FRAGMENT;
    return KP_DEC_OK;
}

/* ----------------------------------------------------------- transport */

static bool is_icmp_error(int version, uint8_t type)
{
    if (version == 4)
        return type == KP_ICMP_UNREACH || type == KP_ICMP_TIMXCEED || type == KP_ICMP_PARAMPROB;
    return type >= KP_ICMP6_UNREACH && type <= KP_ICMP6_PARAMPROB;
}

/* Decode the transport header at p[0..n). Partial headers (quotes) fill what
 * they hold and return KP_DEC_TRUNCATED. */
static int decode_l4(uint8_t proto, int version, const uint8_t *p, size_t n, struct kp_l4 *l4)
{
    l4->proto = proto;
    l4->len = (uint16_t)(n > 0xffff ? 0xffff : n);
    l4->sum_ok = -1;
    switch (proto) {
    case KP_PROTO_UDP:
        if (n >= 2)
            l4->sport = rd16(p);
        if (n >= 4)
            l4->dport = rd16(p + 2);
        if (n >= 6)
            l4->udp_len = rd16(p + 4);
        if (n < 8)
            return KP_DEC_TRUNCATED;
        l4->udp_sum = rd16(p + 6);
        if (l4->udp_len < 8)
            return KP_DEC_MALFORMED;
        if (n > 8) {
            l4->payload = p + 8;
            l4->payload_len = n - 8;
        }
        return KP_DEC_OK;
    case KP_PROTO_TCP: {
        if (n >= 2)
            l4->sport = rd16(p);
        if (n >= 4)
            l4->dport = rd16(p + 2);
        if (n >= 8)
            l4->tcp_seq = rd32(p + 4);
        if (n < 20)
            return KP_DEC_TRUNCATED;
        l4->tcp_ack = rd32(p + 8);
        size_t doff = (size_t)(p[12] >> 4) * 4;
        l4->tcp_flags = p[13];
        l4->tcp_win = rd16(p + 14);
        l4->tcp_full = true;
        if (doff < 20)
            return KP_DEC_MALFORMED;
        if (doff > 20) {
            l4->tcp_opts = p + 20;
            l4->tcp_opts_len = (n < doff ? n : doff) - 20;
        }
        if (n < doff)
            return KP_DEC_TRUNCATED;
        if (n > doff) {
            l4->payload = p + doff;
            l4->payload_len = n - doff;
        }
        return KP_DEC_OK;
    }
    case KP_PROTO_ICMP:
    case KP_PROTO_ICMPV6:
        if ((proto == KP_PROTO_ICMP) != (version == 4))
            return KP_DEC_UNSUPPORTED;
        if (n >= 1)
            l4->icmp_type = p[0];
        if (n >= 2)
            l4->icmp_code = p[1];
        if (n >= 4)
            l4->icmp_sum = rd16(p + 2);
        if (n < 8)
            return KP_DEC_TRUNCATED;
        l4->icmp_id = rd16(p + 4);
        l4->icmp_seq = rd16(p + 6);
        if (n > 8) {
            l4->payload = p + 8;
            l4->payload_len = n - 8;
        }
        return KP_DEC_OK;
    default:
        if (n > 0) {
            l4->payload = p;
            l4->payload_len = n;
        }
        return KP_DEC_OK;
    }
}

/* Transport checksum over the whole segment seg[0..n), n being the wire
 * length (callers only call this when all of it was captured). */
static int8_t l4_sum_check(const struct kp_ip *ip, const struct kp_l4 *l4, const uint8_t *seg,
                           size_t n)
{
    uint32_t s = 0;
    if (l4->proto == KP_PROTO_UDP && ip->version == 4 && l4->udp_sum == 0)
        return -1;
    if (l4->proto == KP_PROTO_UDP || l4->proto == KP_PROTO_TCP || l4->proto == KP_PROTO_ICMPV6) {
        uint8_t ph[40];
        size_t al = ip->version == 4 ? 4 : 16;
        memcpy(ph, ip->src.b, al);
        memcpy(ph + al, ip->dst.b, al);
        s = kp_cksum_add(s, ph, 2 * al);
        s += l4->proto;
        s += (uint32_t)(n & 0xffff) + (uint32_t)(n >> 16);
    } else if (l4->proto != KP_PROTO_ICMP) {
        return -1;
    }
    s = kp_cksum_add(s, seg, n);
    return kp_cksum_fold(s) == 0 ? 1 : 0;
}

/* ------------------------------------------------ RFC 4884 / RFC 4950 */

/* Parse the extension structure at e[0..n). full: all of it was captured
 * (the checksum can be verified). require_sum: reject a zero checksum
 * (compatibility layout, where the checksum is what tells an extension from
 * ordinary quoted bytes). Returns true when it is a valid version-2
 * structure; MPLS entries go to out. */
static bool parse_ext(const uint8_t *e, size_t n, bool full, bool require_sum, struct kp_pkt *out)
{
    if (n < 4)
        return false;
    if ((e[0] >> 4) != 2)
        return false;
    uint16_t sum = rd16(e + 2);
    if (sum == 0 && require_sum)
        return false;
    if (sum != 0 && full && kp_cksum_fold(kp_cksum_add(0, e, n)) != 0)
        return false;
    if (sum != 0 && !full && require_sum)
        return false;
    out->has_ext = true;
    size_t off = 4;
    while (off + 4 <= n) {
        uint16_t olen = rd16(e + off);
        uint8_t cls = e[off + 2], ctype = e[off + 3];
        if (olen < 4) /* a zero length would loop forever: stop here */
            break;
        size_t avail = n - off < olen ? n - off : olen;
        if (cls == 1 && ctype == 1) {
            if (avail < olen || (olen - 4) % 4 != 0)
                out->mpls_truncated = true;
            for (size_t k = off + 4; k + 4 <= off + avail; k += 4) {
                if (out->n_mpls == KP_MAX_MPLS) {
                    out->mpls_truncated = true;
                    break;
                }
                uint32_t w = rd32(e + k);
                struct kp_mpls *m = &out->mpls[out->n_mpls++];
                m->label = w >> 12;
                m->tc = (uint8_t)((w >> 9) & 7u);
                m->s = (uint8_t)((w >> 8) & 1u);
                m->ttl = (uint8_t)(w & 0xffu);
            }
        }
        if (avail < olen)
            break;
        off += olen;
    }
    return true;
}

/* The ICMP error body: b[0..n) is everything after the 8-byte ICMP header
 * that was captured; wire_n what the packet said it carries. */
static void decode_icmp_error(struct kp_pkt *out, const uint8_t *icmp, size_t n, size_t wire_n)
{
    const uint8_t *b = icmp + 8;
    size_t bn = n - 8, bwire = wire_n > 8 ? wire_n - 8 : 0;
    size_t qlen = bn; /* bytes of original datagram */
    uint8_t t = out->l4.icmp_type;
    int v = out->ip.version;

    if (v == 4)
        out->l4.icmp_rfc4884_len = icmp[5];
    else if (t == KP_ICMP6_UNREACH || t == KP_ICMP6_TIMXCEED)
        out->l4.icmp_rfc4884_len = icmp[4];
    if (v == 4 && t == KP_ICMP_UNREACH && out->l4.icmp_code == KP_ICMP_UNREACH_NEEDFRAG)
        out->l4.icmp_mtu = rd16(icmp + 6);
    if (v == 6 && t == KP_ICMP6_PKT_TOOBIG)
        out->l4.icmp_mtu = (uint16_t)(rd32(icmp + 4) > 0xffff ? 0xffff : rd32(icmp + 4));

    size_t orig = (size_t)out->l4.icmp_rfc4884_len * (v == 4 ? 4 : 8);
    if (orig > 0) {
        /* RFC 4884: the original datagram field is `orig` bytes (padded), and
         * an extension structure follows when there are bytes after it. */
        if (orig < bn) {
            qlen = orig;
            parse_ext(b + orig, bn - orig, bn == bwire, false, out);
        }
    } else if (bwire > 128 + 4 && bn > 128 + 4) {
        /* Pre-RFC 4884 compatibility: a non-compliant router puts the
         * structure at offset 128; accept it only if version and checksum
         * validate (RFC 4884 section 5.5). */
        if (parse_ext(b + 128, bn - 128, bn == bwire, true, out)) {
            out->ext_compat = true;
            qlen = 128;
        }
    }
    out->quote = b;
    out->quote_len = (uint16_t)(qlen > 0xffff ? 0xffff : qlen);
    const uint8_t *ql4 = NULL;
    size_t ql4_len = 0;
    int st = decode_ip_hdr(b, qlen, true, &out->q_ip, &ql4, &ql4_len);
    if (st == KP_DEC_OK) {
        out->has_quote = true;
        st = decode_l4(out->q_ip.proto, out->q_ip.version, ql4, ql4_len, &out->q_l4);
        /* A quoted ICMP/ICMPv6 whose family does not match the IP version is
         * decoded as far as the header goes. */
    } else if (st == KP_DEC_FRAGMENT) {
        out->has_quote = true;
    }
    out->quote_status = st;
}

int kp_decode_ip(const uint8_t *buf, size_t len, struct kp_pkt *out)
{
    memset(out, 0, sizeof(*out));
    out->quote_status = KP_DEC_UNSUPPORTED;
    if (buf == NULL)
        return len == 0 ? KP_DEC_TRUNCATED : KP_DEC_MALFORMED;
    const uint8_t *l4 = NULL;
    size_t l4_len = 0;
    int st = decode_ip_hdr(buf, len, false, &out->ip, &l4, &l4_len);
    out->wire_len = out->ip.tot_len;
    out->cap_len = (uint16_t)(len < out->ip.tot_len ? len : out->ip.tot_len);
    if (st != KP_DEC_OK)
        return st;
    size_t wire_l4 = out->ip.tot_len > out->ip.hdr_len ? out->ip.tot_len - out->ip.hdr_len : 0;
    if (out->ip.version == 6 && out->ip.tot_len == 40 && len > 40)
        wire_l4 = l4_len; /* jumbogram or zero payload length: trust the capture */
    st = decode_l4(out->ip.proto, out->ip.version, l4, l4_len, &out->l4);
    if (st != KP_DEC_OK)
        return st;
    if (l4_len == wire_l4)
        out->l4.sum_ok = l4_sum_check(&out->ip, &out->l4, l4, l4_len);
    if ((out->l4.proto == KP_PROTO_ICMP || out->l4.proto == KP_PROTO_ICMPV6) &&
        is_icmp_error(out->ip.version, out->l4.icmp_type)) {
        out->is_icmp_error = true;
        decode_icmp_error(out, l4, l4_len, wire_l4);
    }
    return KP_DEC_OK;
}
