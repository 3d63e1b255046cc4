/* SPDX-License-Identifier: BSD-2-Clause */
/* decode.c — bounds-checked decoding of captured frames and IP packets.
 *
 * Every read goes through a bounds-checked cursor (core/base/cursor.h): each
 * layer is a sub-cursor of the one around it, every read returns a status,
 * and nothing here does index arithmetic on the captured bytes or reads
 * outside the caller's buffer. The decoded view (struct kp_pkt) points into
 * the caller's buffer.
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

#include "core/base/cursor.h"
#include "core/base/proto.h"

/* The carries of s folded in until it fits 16 bits: the same value modulo
 * 0xffff, and 0 only when s is. */
static uint32_t fold16(uint64_t s)
{
    while (s >> 16)
        s = (s & 0xffffu) + (s >> 16);
    return (uint32_t)s;
}

uint32_t kp_cksum_add(uint32_t sum, const void *data, size_t len)
{
    /* RFC 1071 2(B), 2(C): the ones-complement sum does not depend on the
     * byte order, and 32-bit words summed in 64 bits then folded give the
     * sum of their 16-bit halves. So the data is read in the machine's order
     * four bytes at a time, and the result swapped to network order once. */
    const uint8_t *p = data;
    uint64_t s = 0;
    uint32_t w4;
    uint16_t w2;
    for (; len >= 4; p += 4, len -= 4) {
        memcpy(&w4, p, 4);
        s += w4;
    }
    if (len >= 2) {
        memcpy(&w2, p, 2);
        s += w2;
        p += 2;
        len -= 2;
    }
    if (len == 1) {
        uint8_t last[2] = {p[0], 0}; /* padded with a zero byte */
        memcpy(&w2, last, 2);
        s += w2;
    }
    uint32_t r = fold16(s);
    const uint16_t one = 1;
    uint8_t low_first;
    memcpy(&low_first, &one, 1); /* a little-endian machine (decided at compile time) */
    if (low_first)
        r = (r >> 8 | r << 8) & 0xffffu;
    return fold16((uint64_t)sum + r);
}

uint16_t kp_cksum_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffffu) + (sum >> 16);
    return (uint16_t)~sum;
}

/* kp_cksum_add over what remains of c (c is a copy: the caller's does not
 * move). */
static uint32_t cksum_rest(uint32_t sum, struct kp_cur c)
{
    const uint8_t *b;
    size_t n = kp_cur_rest(&c, &b);
    return kp_cksum_add(sum, b, n);
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

static int link_ip_version(const struct kp_cur *c, int want)
{
    uint8_t b;
    if (kp_cur_peek_u8(c, &b) != 0)
        return KP_DEC_TRUNCATED;
    int v = b >> 4;
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

/* BSD/OpenBSD loopback: a 4-byte address family. DLT_NULL is in the
 * capturing host's order: accept either; DLT_LOOP is network order by
 * definition. */
static int link_loop(struct kp_cur *c, int dlt, int *want)
{
    uint32_t be;
    if (kp_cur_u32be(c, &be) != 0)
        return KP_DEC_TRUNCATED;
    uint32_t le = (be >> 24) | (be >> 8 & 0xff00u) | (be << 8 & 0xff0000u) | (be << 24);
    *want = af_version(be);
    if (*want == 0 && dlt == KP_DLT_NULL)
        *want = af_version(le);
    if (*want == 0)
        return KP_DEC_UNSUPPORTED;
    return KP_DEC_OK;
}

/* A link header of hdr_len bytes with the ethertype at et_off (Ethernet,
 * Linux cooked v1/v2), then up to 4 VLAN tags; *want is the IP version the
 * final ethertype announces. */
static int link_ether(struct kp_cur *c, size_t et_off, size_t hdr_len, int *want)
{
    struct kp_cur h, tag;
    uint16_t et;
    if (kp_cur_sub(c, hdr_len, &h) != 0 || kp_cur_skip(&h, et_off) != 0 ||
        kp_cur_u16be(&h, &et) != 0)
        return KP_DEC_TRUNCATED;
    for (int tags = 0; is_vlan_tpid(et); tags++) {
        if (tags == 4)
            return KP_DEC_UNSUPPORTED;
        /* a tag: 2 bytes of TCI, then the next ethertype */
        if (kp_cur_sub(c, 4, &tag) != 0 || kp_cur_skip(&tag, 2) != 0 ||
            kp_cur_u16be(&tag, &et) != 0)
            return KP_DEC_TRUNCATED;
    }
    if ((*want = ethertype_version(et)) == 0)
        return KP_DEC_UNSUPPORTED;
    return KP_DEC_OK;
}

int kp_decode_link(int dlt, const uint8_t *frame, size_t caplen, const uint8_t **ip, size_t *ip_len)
{
    struct kp_cur c;
    int want = 0, st = KP_DEC_OK;

    if (frame == NULL && caplen != 0)
        return KP_DEC_MALFORMED;
    if (caplen == 0)
        return KP_DEC_TRUNCATED;
    kp_cur_init(&c, frame, caplen);
    switch (dlt) {
    case KP_DLT_NULL:
    case KP_DLT_LOOP:
        st = link_loop(&c, dlt, &want);
        break;
    case KP_DLT_EN10MB:
        st = link_ether(&c, 12, 14, &want);
        break;
    case KP_DLT_LINUX_SLL:
        st = link_ether(&c, 14, 16, &want);
        break;
    case KP_DLT_LINUX_SLL2:
        st = link_ether(&c, 0, 20, &want);
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
    if (st == KP_DEC_OK)
        st = link_ip_version(&c, want);
    if (st != KP_DEC_OK)
        return st;
    *ip_len = kp_cur_rest(&c, ip);
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

/* The IPv4 header at c (see decode_ip_hdr). */
static int decode_ip4(struct kp_cur *c, bool quote, struct kp_ip *ip, struct kp_cur *l4)
{
    struct kp_cur peek = *c, f, hdr;
    const uint8_t *src, *dst;
    uint8_t vhl;
    if (kp_cur_sub(&peek, 20, &f) != 0 || kp_cur_u8(&f, &vhl) != 0)
        return KP_DEC_TRUNCATED;
    size_t hl = (size_t)(vhl & 0x0f) * 4;
    if (hl < 20)
        return KP_DEC_MALFORMED;
    ip->version = 4;
    /* f holds the 20 bytes of the fixed header: these reads cannot fail */
    if (kp_cur_u8(&f, &ip->tos) != 0 || kp_cur_u16be(&f, &ip->tot_len) != 0 ||
        kp_cur_u16be(&f, &ip->ip_id) != 0 || kp_cur_u16be(&f, &ip->frag) != 0 ||
        kp_cur_u8(&f, &ip->ttl) != 0 || kp_cur_u8(&f, &ip->proto) != 0 || kp_cur_skip(&f, 2) != 0 ||
        kp_cur_bytes(&f, 4, &src) != 0 || kp_cur_bytes(&f, 4, &dst) != 0)
        return KP_DEC_TRUNCATED;
    addr_set(&ip->src, 4, src);
    addr_set(&ip->dst, 4, dst);
    ip->hdr_len = (uint16_t)hl;
    if (kp_cur_sub(c, hl, &hdr) != 0)
        return KP_DEC_TRUNCATED;
    if (ip->tot_len < hl && !quote)
        return KP_DEC_MALFORMED;
    ip->sum_ok = kp_cksum_fold(cksum_rest(0, hdr)) == 0;
    /* A quote is taken as far as it goes: some stacks quote a total
     * length in the wrong byte order, and RFC 4884 pads quotes. */
    kp_cur_sub_upto(c, quote ? SIZE_MAX : ip->tot_len - hl, l4);
    if ((ip->frag & 0x1fff) != 0)
        return KP_DEC_FRAGMENT;
    return KP_DEC_OK;
}

/* Walk the IPv6 extension headers (hop-by-hop, routing, fragment,
 * destination options, AH; at most 16) at the front of r, which starts after
 * the 40-byte fixed header. *nh is the next header, in and out; *hl is set to
 * the header length counted from the start of the IPv6 header. */
static int ip6_ext_chain(struct kp_cur *r, uint8_t *nh, size_t *hl, bool *fragment)
{
    for (int n = 0; n < 16; n++) {
        uint8_t h = *nh;
        if (h != 0 && h != 43 && h != 60 && h != 44 && h != 51)
            break;
        /* every extension header has at least 8 bytes */
        struct kp_cur e = *r;
        uint8_t next, x;
        uint16_t fo;
        if (kp_cur_u8(&e, &next) != 0 || kp_cur_u8(&e, &x) != 0 || kp_cur_u16be(&e, &fo) != 0 ||
            kp_cur_skip(&e, 4) != 0) {
            *hl = 40 + kp_cur_offset(r);
            return KP_DEC_TRUNCATED;
        }
        size_t elen = h == 44 ? 8 : h == 51 ? ((size_t)x + 2) * 4 : ((size_t)x + 1) * 8;
        if (h == 44 && (fo & 0xfff8) != 0)
            *fragment = true;
        *nh = next;
        if (kp_cur_skip(r, elen) != 0) {
            size_t end = 40 + kp_cur_offset(r) + elen;
            *hl = end > 0xffff ? 0xffff : end;
            return KP_DEC_TRUNCATED;
        }
    }
    *hl = 40 + kp_cur_offset(r);
    return KP_DEC_OK;
}

/* The IPv6 header at c (see decode_ip_hdr). */
static int decode_ip6(struct kp_cur *c, bool quote, struct kp_ip *ip, struct kp_cur *l4)
{
    struct kp_cur f, r;
    const uint8_t *src, *dst;
    uint32_t w0;
    uint16_t plen;
    uint8_t nh;
    if (kp_cur_sub(c, 40, &f) != 0)
        return KP_DEC_TRUNCATED;
    /* f holds the 40 bytes of the fixed header: these reads cannot fail */
    if (kp_cur_u32be(&f, &w0) != 0 || kp_cur_u16be(&f, &plen) != 0 || kp_cur_u8(&f, &nh) != 0 ||
        kp_cur_u8(&f, &ip->ttl) != 0 || kp_cur_bytes(&f, 16, &src) != 0 ||
        kp_cur_bytes(&f, 16, &dst) != 0)
        return KP_DEC_TRUNCATED;
    ip->version = 6;
    ip->tos = (uint8_t)(w0 >> 20);
    ip->flowlabel = w0 & 0xfffffu;
    ip->tot_len = (uint16_t)(plen > 0xffff - 40 ? 0xffff : plen + 40);
    addr_set(&ip->src, 6, src);
    addr_set(&ip->dst, 6, dst);
    ip->sum_ok = true;
    /* the payload length cuts the packet (Ethernet padding), except in a
     * quote and for a jumbogram (0) */
    kp_cur_sub_upto(c, (!quote && plen != 0) ? plen : SIZE_MAX, &r);
    bool fragment = false;
    size_t hl = 40;
    int st = ip6_ext_chain(&r, &nh, &hl, &fragment);
    ip->proto = nh;
    ip->hdr_len = (uint16_t)hl;
    if (st != KP_DEC_OK)
        return st;
    kp_cur_sub_upto(&r, SIZE_MAX, l4);
    if (fragment)
        return KP_DEC_FRAGMENT;
    return KP_DEC_OK;
}

/* Decode the IP header at c (which holds the captured packet). On success
 * *l4 holds the transport bytes (cut to the length the header claims).
 * quote: this is a quoted header inside an ICMP error (its total length may
 * exceed what was quoted; no checksum can be checked). */
static int decode_ip_hdr(struct kp_cur *c, bool quote, struct kp_ip *ip, struct kp_cur *l4)
{
    uint8_t b;
    if (kp_cur_peek_u8(c, &b) != 0)
        return KP_DEC_TRUNCATED;
    if (b >> 4 == 4)
        return decode_ip4(c, quote, ip, l4);
    if (b >> 4 == 6)
        return decode_ip6(c, quote, ip, l4);
    return KP_DEC_MALFORMED;
}

/* ----------------------------------------------------------- transport */

static bool is_icmp_error(int version, uint8_t type)
{
    if (version == 4)
        return type == KP_ICMP_UNREACH || type == KP_ICMP_TIMXCEED || type == KP_ICMP_PARAMPROB;
    return type >= KP_ICMP6_UNREACH && type <= KP_ICMP6_PARAMPROB;
}

/* What remains of c is the payload (none when nothing remains). */
static void take_payload(struct kp_cur *c, struct kp_l4 *l4)
{
    const uint8_t *b;
    size_t n = kp_cur_rest(c, &b);
    if (n > 0) {
        l4->payload = b;
        l4->payload_len = n;
    }
}

/* The reads below stop at the first field the capture does not hold, so a
 * partial header (a quote) fills the fields before it. */
static int decode_udp(struct kp_cur *c, struct kp_l4 *l4)
{
    if (kp_cur_u16be(c, &l4->sport) != 0 || kp_cur_u16be(c, &l4->dport) != 0 ||
        kp_cur_u16be(c, &l4->udp_len) != 0 || kp_cur_u16be(c, &l4->udp_sum) != 0)
        return KP_DEC_TRUNCATED;
    if (l4->udp_len < 8)
        return KP_DEC_MALFORMED;
    take_payload(c, l4);
    return KP_DEC_OK;
}

static int decode_tcp(struct kp_cur *c, struct kp_l4 *l4)
{
    struct kp_cur h, opts;
    uint8_t doff_byte;
    /* ports and sequence (8 bytes), then the rest of the 20 or nothing */
    if (kp_cur_u16be(c, &l4->sport) != 0 || kp_cur_u16be(c, &l4->dport) != 0 ||
        kp_cur_u32be(c, &l4->tcp_seq) != 0 || kp_cur_sub(c, 12, &h) != 0)
        return KP_DEC_TRUNCATED;
    if (kp_cur_u32be(&h, &l4->tcp_ack) != 0 || kp_cur_u8(&h, &doff_byte) != 0 ||
        kp_cur_u8(&h, &l4->tcp_flags) != 0 || kp_cur_u16be(&h, &l4->tcp_win) != 0)
        return KP_DEC_TRUNCATED; /* not reached: h holds 12 bytes */
    size_t doff = (size_t)(doff_byte >> 4) * 4;
    l4->tcp_full = true;
    if (doff < 20)
        return KP_DEC_MALFORMED;
    size_t olen = doff - 20;
    size_t got = kp_cur_sub_upto(c, olen, &opts);
    if (olen > 0)
        l4->tcp_opts_len = kp_cur_rest(&opts, &l4->tcp_opts);
    if (got < olen)
        return KP_DEC_TRUNCATED;
    take_payload(c, l4);
    return KP_DEC_OK;
}

static int decode_icmp(struct kp_cur *c, struct kp_l4 *l4)
{
    struct kp_cur h;
    if (kp_cur_u8(c, &l4->icmp_type) != 0 || kp_cur_u8(c, &l4->icmp_code) != 0 ||
        kp_cur_u16be(c, &l4->icmp_sum) != 0 || kp_cur_sub(c, 4, &h) != 0)
        return KP_DEC_TRUNCATED;
    if (kp_cur_u16be(&h, &l4->icmp_id) != 0 || kp_cur_u16be(&h, &l4->icmp_seq) != 0)
        return KP_DEC_TRUNCATED; /* not reached: h holds 4 bytes */
    take_payload(c, l4);
    return KP_DEC_OK;
}

/* Decode the transport header in c (a copy: the caller's cursor does not
 * move). Partial headers (quotes) fill what they hold and return
 * KP_DEC_TRUNCATED. */
static int decode_l4(uint8_t proto, int version, struct kp_cur c, struct kp_l4 *l4)
{
    size_t n = kp_cur_remaining(&c);
    l4->proto = proto;
    l4->len = (uint16_t)(n > 0xffff ? 0xffff : n);
    l4->sum_ok = -1;
    switch (proto) {
    case KP_PROTO_UDP:
        return decode_udp(&c, l4);
    case KP_PROTO_TCP:
        return decode_tcp(&c, l4);
    case KP_PROTO_ICMP:
    case KP_PROTO_ICMPV6:
        if ((proto == KP_PROTO_ICMP) != (version == 4))
            return KP_DEC_UNSUPPORTED;
        return decode_icmp(&c, l4);
    default:
        take_payload(&c, l4);
        return KP_DEC_OK;
    }
}

/* Transport checksum over the whole segment seg, its length being the wire
 * length (callers only call this when all of it was captured). */
static int8_t l4_sum_check(const struct kp_ip *ip, const struct kp_l4 *l4, struct kp_cur seg)
{
    size_t n = kp_cur_remaining(&seg);
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
    s = cksum_rest(s, seg);
    return kp_cksum_fold(s) == 0 ? 1 : 0;
}

/* ------------------------------------------------ RFC 4884 / RFC 4950 */

/* An MPLS label stack object (class 1, c-type 1) of olen bytes, of which obj
 * holds avail (its 4-byte header included). */
static void parse_mpls(struct kp_cur *obj, size_t olen, size_t avail, struct kp_pkt *out)
{
    uint32_t w;
    if (avail < olen || (olen - 4) % 4 != 0)
        out->mpls_truncated = true;
    if (kp_cur_skip(obj, 4) != 0)
        return;
    while (kp_cur_u32be(obj, &w) == 0) {
        if (out->n_mpls == KP_MAX_MPLS) {
            out->mpls_truncated = true;
            break;
        }
        struct kp_mpls *m = &out->mpls[out->n_mpls++];
        m->label = w >> 12;
        m->tc = (uint8_t)((w >> 9) & 7u);
        m->s = (uint8_t)((w >> 8) & 1u);
        m->ttl = (uint8_t)(w & 0xffu);
    }
}

/* Parse the extension structure in e (all that remains of it). full: all of
 * it was captured (the checksum can be verified). require_sum: reject a zero
 * checksum (compatibility layout, where the checksum is what tells an
 * extension from ordinary quoted bytes). Returns true when it is a valid
 * version-2 structure; MPLS entries go to out. */
static bool parse_ext(struct kp_cur e, bool full, bool require_sum, struct kp_pkt *out)
{
    struct kp_cur c = e;
    uint8_t ver;
    uint16_t sum;
    if (kp_cur_u8(&c, &ver) != 0 || kp_cur_skip(&c, 1) != 0 || kp_cur_u16be(&c, &sum) != 0)
        return false;
    if ((ver >> 4) != 2)
        return false;
    if (sum == 0 && require_sum)
        return false;
    if (sum != 0 && full && kp_cksum_fold(cksum_rest(0, e)) != 0)
        return false;
    if (sum != 0 && !full && require_sum)
        return false;
    out->has_ext = true;
    for (;;) {
        /* an object: length (header included), class, c-type; a length
         * below 4 would loop forever: stop there */
        struct kp_cur oh = c, obj;
        uint16_t olen;
        uint8_t cls, ctype;
        if (kp_cur_u16be(&oh, &olen) != 0 || kp_cur_u8(&oh, &cls) != 0 ||
            kp_cur_u8(&oh, &ctype) != 0 || olen < 4)
            break;
        /* a cut object is read as far as it goes, and is the last */
        size_t avail = kp_cur_sub_upto(&c, olen, &obj);
        if (cls == 1 && ctype == 1)
            parse_mpls(&obj, olen, avail, out);
    }
    return true;
}

/* c after its next k bytes (empty if it holds fewer). */
static struct kp_cur cur_after(struct kp_cur c, size_t k)
{
    if (kp_cur_skip(&c, k) != 0)
        kp_cur_init(&c, NULL, 0);
    return c;
}

/* The ICMP error fields of the header's second word: the RFC 4884 length
 * and the next-hop MTU. */
static void icmp_error_word(struct kp_pkt *out, uint32_t w)
{
    uint8_t t = out->l4.icmp_type;
    int v = out->ip.version;
    if (v == 4)
        out->l4.icmp_rfc4884_len = (uint8_t)(w >> 16);
    else if (t == KP_ICMP6_UNREACH || t == KP_ICMP6_TIMXCEED)
        out->l4.icmp_rfc4884_len = (uint8_t)(w >> 24);
    if (v == 4 && t == KP_ICMP_UNREACH && out->l4.icmp_code == KP_ICMP_UNREACH_NEEDFRAG)
        out->l4.icmp_mtu = (uint16_t)w;
    if (v == 6 && t == KP_ICMP6_PKT_TOOBIG)
        out->l4.icmp_mtu = (uint16_t)(w > 0xffff ? 0xffff : w);
}

/* The ICMP error body: icmp holds the whole ICMP message as captured (its
 * 8-byte header decoded already); wire_n what the packet said it carries. */
static void decode_icmp_error(struct kp_pkt *out, struct kp_cur icmp, size_t wire_n)
{
    struct kp_cur b = icmp, q, ql4 = {0};
    uint32_t w;
    if (kp_cur_skip(&b, 4) != 0 || kp_cur_u32be(&b, &w) != 0)
        return; /* not reached: decode_l4 took the 8-byte header */
    icmp_error_word(out, w);
    size_t bn = kp_cur_remaining(&b), bwire = wire_n > 8 ? wire_n - 8 : 0;
    size_t qlen = bn; /* bytes of original datagram */
    size_t orig = (size_t)out->l4.icmp_rfc4884_len * (out->ip.version == 4 ? 4 : 8);
    if (orig > 0) {
        /* RFC 4884: the original datagram field is `orig` bytes (padded), and
         * an extension structure follows when there are bytes after it. */
        if (orig < bn) {
            qlen = orig;
            parse_ext(cur_after(b, orig), bn == bwire, false, out);
        }
    } else if (bwire > 128 + 4 && bn > 128 + 4) {
        /* Pre-RFC 4884 compatibility: a non-compliant router puts the
         * structure at offset 128; accept it only if version and checksum
         * validate (RFC 4884 section 5.5). */
        if (parse_ext(cur_after(b, 128), bn == bwire, true, out)) {
            out->ext_compat = true;
            qlen = 128;
        }
    }
    kp_cur_sub_upto(&b, qlen, &q);
    if (kp_cur_peek_bytes(&q, 0, &out->quote) != 0)
        return; /* not reached: zero bytes are always there */
    out->quote_len = (uint16_t)(qlen > 0xffff ? 0xffff : qlen);
    int st = decode_ip_hdr(&q, true, &out->q_ip, &ql4);
    if (st == KP_DEC_OK) {
        out->has_quote = true;
        st = decode_l4(out->q_ip.proto, out->q_ip.version, ql4, &out->q_l4);
        /* A quoted ICMP/ICMPv6 whose family does not match the IP version is
         * decoded as far as the header goes. */
    } else if (st == KP_DEC_FRAGMENT) {
        out->has_quote = true;
    }
    out->quote_status = st;
}

int kp_decode_ip(const uint8_t *buf, size_t len, struct kp_pkt *out)
{
    struct kp_cur c, l4 = {0};
    memset(out, 0, sizeof(*out));
    out->quote_status = KP_DEC_UNSUPPORTED;
    if (buf == NULL)
        return len == 0 ? KP_DEC_TRUNCATED : KP_DEC_MALFORMED;
    kp_cur_init(&c, buf, len);
    int st = decode_ip_hdr(&c, false, &out->ip, &l4);
    out->wire_len = out->ip.tot_len;
    out->cap_len = (uint16_t)(len < out->ip.tot_len ? len : out->ip.tot_len);
    if (st != KP_DEC_OK)
        return st;
    size_t l4_len = kp_cur_remaining(&l4);
    size_t wire_l4 = out->ip.tot_len > out->ip.hdr_len ? out->ip.tot_len - out->ip.hdr_len : 0;
    if (out->ip.version == 6 && out->ip.tot_len == 40 && len > 40)
        wire_l4 = l4_len; /* jumbogram or zero payload length: trust the capture */
    st = decode_l4(out->ip.proto, out->ip.version, l4, &out->l4);
    if (st != KP_DEC_OK)
        return st;
    if (l4_len == wire_l4)
        out->l4.sum_ok = l4_sum_check(&out->ip, &out->l4, l4);
    if ((out->l4.proto == KP_PROTO_ICMP || out->l4.proto == KP_PROTO_ICMPV6) &&
        is_icmp_error(out->ip.version, out->l4.icmp_type)) {
        out->is_icmp_error = true;
        decode_icmp_error(out, l4, wire_l4);
    }
    return KP_DEC_OK;
}
