/* SPDX-License-Identifier: BSD-2-Clause */
/* test_decode.c — the frame decoder on committed captures of every link type,
 * and on malformed and truncated input.
 *
 * Fixtures: tests/data/codec/link_*.pcap, built by make_fixtures.py (Python,
 * by hand from the RFCs, independent of the C code). Expected values below
 * are what tshark 4.x reports for those frames (`tshark -r link_raw.pcap -V`,
 * see tests/data/codec/README.md), not what the decoder prints.
 */
#include <criterion/criterion.h>
#include <pcap/pcap.h>
#include <string.h>

#include "core/codec/decode.h"

#ifndef KP_TEST_DATA
#define KP_TEST_DATA "tests/data"
#endif

struct frame {
    int dlt;
    size_t len;
    uint8_t b[512];
};

static size_t load(const char *name, struct frame *out, size_t max)
{
    char path[512], err[PCAP_ERRBUF_SIZE];
    snprintf(path, sizeof(path), "%s/codec/%s", KP_TEST_DATA, name);
    pcap_t *p = pcap_open_offline(path, err);
    cr_assert_not_null(p, "%s: %s", path, err);
    size_t n = 0;
    struct pcap_pkthdr *h;
    const u_char *d;
    while (n < max && pcap_next_ex(p, &h, &d) == 1) {
        cr_assert_leq(h->caplen, sizeof(out[n].b));
        out[n].dlt = pcap_datalink(p);
        out[n].len = h->caplen;
        memcpy(out[n].b, d, h->caplen);
        n++;
    }
    pcap_close(p);
    return n;
}

static const char *astr(const struct kp_addr *a)
{
    static char buf[4][KP_ADDR_STRLEN];
    static int i;
    i = (i + 1) % 4;
    return kp_addr_str(a, buf[i], sizeof(buf[i]));
}

static void check_mpls(const struct kp_pkt *p)
{
    /* tshark: Label: 16005, Exp: 0, S: 0, TTL: 1 / Label: 24001, Exp: 5, S: 1, TTL: 1 */
    cr_assert(p->has_ext);
    cr_assert_eq(p->n_mpls, 2);
    cr_assert_eq(p->mpls[0].label, 16005);
    cr_assert_eq(p->mpls[0].tc, 0);
    cr_assert_eq(p->mpls[0].s, 0);
    cr_assert_eq(p->mpls[0].ttl, 1);
    cr_assert_eq(p->mpls[1].label, 24001);
    cr_assert_eq(p->mpls[1].tc, 5);
    cr_assert_eq(p->mpls[1].s, 1);
    cr_assert_eq(p->mpls[1].ttl, 1);
    cr_assert_not(p->mpls_truncated);
}

/* Scenario checks, values from tshark. */
static void check_te_udp(const struct kp_pkt *p, bool compat)
{
    cr_assert_eq(p->ip.version, 4);
    cr_assert_str_eq(astr(&p->ip.src), "198.18.1.1");
    cr_assert_str_eq(astr(&p->ip.dst), "198.18.0.2");
    cr_assert_eq(p->ip.ttl, 254);
    cr_assert(p->ip.sum_ok);
    cr_assert_eq(p->l4.sum_ok, 1);
    cr_assert_eq(p->l4.icmp_type, 11);
    cr_assert_eq(p->l4.icmp_code, 0);
    cr_assert(p->is_icmp_error);
    cr_assert(p->has_quote);
    cr_assert_eq(p->l4.icmp_rfc4884_len, compat ? 0 : 32);
    cr_assert_eq(p->ext_compat, compat);
    cr_assert_eq(p->quote_len, 128);
    cr_assert_str_eq(astr(&p->q_ip.src), "198.18.0.2");
    cr_assert_str_eq(astr(&p->q_ip.dst), "203.0.113.7");
    cr_assert_eq(p->q_ip.ttl, 1);
    cr_assert_eq(p->q_ip.ip_id, 0x1548);
    cr_assert_eq(p->q_ip.proto, 17);
    cr_assert_eq(p->q_l4.sport, 34002);
    cr_assert_eq(p->q_l4.dport, 33435);
    cr_assert_eq(p->q_l4.udp_sum, 0x56ae);
    cr_assert_eq(p->q_l4.udp_len, 26);
    check_mpls(p);
}

static void check_frame(const char *scenario, const struct kp_pkt *p, int st)
{
    if (strcmp(scenario, "frag") == 0) {
        /* tshark: Fragmented IP protocol (proto=UDP 17, off=1480, ID=0007) */
        cr_assert_eq(st, KP_DEC_FRAGMENT);
        cr_assert_eq(p->ip.ip_id, 7);
        cr_assert_eq((p->ip.frag & 0x1fff) * 8, 1480);
        return;
    }
    cr_assert_eq(st, KP_DEC_OK, "%s: %s", scenario, kp_decode_strerror(st));
    if (strcmp(scenario, "te_udp_mpls") == 0) {
        check_te_udp(p, false);
    } else if (strcmp(scenario, "te_udp_compat") == 0) {
        check_te_udp(p, true);
    } else if (strcmp(scenario, "te_icmp_8") == 0) {
        cr_assert_eq(p->ip.ttl, 253);
        cr_assert(p->is_icmp_error);
        cr_assert_eq(p->quote_len, 28);
        cr_assert_eq(p->q_ip.ip_id, 0xea0b);
        cr_assert_eq(p->q_l4.proto, 1);
        cr_assert_eq(p->q_l4.len, 8);
        cr_assert_eq(p->q_l4.icmp_type, 8);
        cr_assert_eq(p->q_l4.icmp_id, 34002);
        cr_assert_eq(p->q_l4.icmp_seq, 5396);
        cr_assert_eq(p->quote_status, KP_DEC_OK);
        cr_assert_not(p->has_ext);
    } else if (strcmp(scenario, "unreach_tcp_8") == 0) {
        cr_assert_str_eq(astr(&p->ip.src), "198.18.2.2");
        cr_assert_eq(p->l4.icmp_type, 3);
        cr_assert_eq(p->l4.icmp_code, 13);
        cr_assert_eq(p->q_ip.ttl, 3);
        cr_assert_eq(p->q_ip.ip_id, 0x0924);
        cr_assert_eq(p->q_l4.sport, 34002);
        cr_assert_eq(p->q_l4.dport, 80);
        /* seq from the generator (tshark hides it in a short quote) */
        cr_assert_eq(p->q_l4.tcp_seq, 0x152ff599u);
        cr_assert_not(p->q_l4.tcp_full);
        cr_assert_eq(p->quote_status, KP_DEC_TRUNCATED);
    } else if (strcmp(scenario, "synack") == 0) {
        cr_assert_not(p->is_icmp_error);
        cr_assert_eq(p->ip.ttl, 57);
        cr_assert_eq(p->l4.sport, 80);
        cr_assert_eq(p->l4.dport, 34002);
        cr_assert_eq(p->l4.tcp_seq, 16909060u);
        cr_assert_eq(p->l4.tcp_ack, 355464602u);
        cr_assert_eq(p->l4.tcp_flags, 0x12);
        cr_assert(p->l4.tcp_full);
        cr_assert_eq(p->l4.tcp_win, 29200);
        cr_assert_eq(p->l4.tcp_opts_len, 4);
        cr_assert_eq(p->l4.tcp_opts[0], 2); /* MSS */
        cr_assert_eq(p->l4.sum_ok, 1);
    } else if (strcmp(scenario, "te6_udp_mpls") == 0) {
        cr_assert_eq(p->ip.version, 6);
        cr_assert_str_eq(astr(&p->ip.src), "2001:db8:1::1");
        cr_assert_eq(p->ip.ttl, 250);
        cr_assert_eq(p->l4.proto, 58);
        cr_assert_eq(p->l4.sum_ok, 1);
        cr_assert_eq(p->l4.icmp_type, 3);
        cr_assert_eq(p->l4.icmp_rfc4884_len, 16);
        cr_assert(p->is_icmp_error);
        cr_assert_eq(p->quote_len, 128);
        cr_assert_eq(p->q_ip.version, 6);
        cr_assert_str_eq(astr(&p->q_ip.dst), "2001:db8:ff::7");
        cr_assert_eq(p->q_ip.ttl, 1);
        cr_assert_eq(p->q_ip.proto, 17, "after the destination-options header");
        cr_assert_eq(p->q_ip.hdr_len, 48);
        cr_assert_eq(p->q_l4.sport, 34002);
        cr_assert_eq(p->q_l4.dport, 33435);
        cr_assert_eq(p->q_l4.udp_sum, 0xfc50);
        check_mpls(p);
    } else {
        cr_assert_fail("unknown scenario %s", scenario);
    }
}

static const char *const ALL[] = {"te_udp_mpls", "synack", NULL};
static const char *const ORDER[] = {"te_udp_mpls", "te_udp_compat", "te_icmp_8", "unreach_tcp_8",
                                    "synack",      "te6_udp_mpls",  "frag"};
static const char *const ORDER4[] = {"te_udp_mpls",   "te_udp_compat", "te_icmp_8",
                                     "unreach_tcp_8", "synack",        "frag"};

static void run_file(const char *file, int want_dlt, const char *const *order, size_t n_order)
{
    struct frame f[8];
    size_t n = load(file, f, 8);
    cr_assert_eq(n, n_order, "%s frames", file);
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(f[i].dlt, want_dlt, "%s link type", file);
        struct kp_pkt p;
        int st = kp_decode_frame(f[i].dlt, f[i].b, f[i].len, &p);
        check_frame(order[i], &p, st);
    }
    (void)ALL;
}

Test(decode, ethernet)
{
    run_file("link_en10mb.pcap", KP_DLT_EN10MB, ORDER, 7);
}
Test(decode, ethernet_8021q)
{
    run_file("link_en10mb_vlan.pcap", KP_DLT_EN10MB, ORDER, 7);
}
Test(decode, ethernet_qinq)
{
    run_file("link_en10mb_qinq.pcap", KP_DLT_EN10MB, ORDER, 7);
}
Test(decode, linux_sll)
{
    run_file("link_sll.pcap", KP_DLT_LINUX_SLL, ORDER, 7);
}
Test(decode, linux_sll2)
{
    run_file("link_sll2.pcap", KP_DLT_LINUX_SLL2, ORDER, 7);
}
Test(decode, raw_101)
{
    /* libpcap maps LINKTYPE_RAW (101) in files to DLT_RAW (12 on Linux) */
    struct frame f[8];
    size_t n = load("link_raw.pcap", f, 8);
    cr_assert_eq(n, 7);
    const int dlts[] = {KP_DLT_RAW, KP_DLT_RAW_ALT, KP_LINKTYPE_RAW};
    for (size_t d = 0; d < 3; d++)
        for (size_t i = 0; i < n; i++) {
            struct kp_pkt p;
            check_frame(ORDER[i], &p, kp_decode_frame(dlts[d], f[i].b, f[i].len, &p));
        }
}
Test(decode, ipv4_228_and_ipv6_229)
{
    struct frame f[8];
    size_t n = load("link_ipv4.pcap", f, 8);
    cr_assert_eq(n, 6);
    for (size_t i = 0; i < n; i++) {
        struct kp_pkt p;
        check_frame(ORDER4[i], &p, kp_decode_frame(KP_LINKTYPE_IPV4, f[i].b, f[i].len, &p));
        /* an IPv4 packet under the IPv6 link type is malformed */
        cr_assert_eq(kp_decode_frame(KP_LINKTYPE_IPV6, f[i].b, f[i].len, &p), KP_DEC_MALFORMED);
    }
    n = load("link_ipv6.pcap", f, 8);
    cr_assert_eq(n, 1);
    struct kp_pkt p;
    check_frame("te6_udp_mpls", &p, kp_decode_frame(KP_LINKTYPE_IPV6, f[0].b, f[0].len, &p));
    cr_assert_eq(kp_decode_frame(KP_LINKTYPE_IPV4, f[0].b, f[0].len, &p), KP_DEC_MALFORMED);
}
Test(decode, bsd_null_and_openbsd_loop)
{
    run_file("link_null.pcap", KP_DLT_NULL, ORDER, 7);
    run_file("link_loop.pcap", KP_DLT_LOOP, ORDER, 7);
}

/* Link headers of each type are exactly this long in the fixtures. */
struct linkcase {
    const char *file;
    size_t hdr;
};
static const struct linkcase LINKS[] = {
    {"link_en10mb.pcap", 14}, {"link_en10mb_vlan.pcap", 18}, {"link_en10mb_qinq.pcap", 22},
    {"link_sll.pcap", 16},    {"link_sll2.pcap", 20},        {"link_raw.pcap", 0},
    {"link_ipv4.pcap", 0},    {"link_null.pcap", 4},         {"link_loop.pcap", 4},
};

Test(decode, truncated_every_length_every_link)
{
    for (size_t c = 0; c < sizeof(LINKS) / sizeof(LINKS[0]); c++) {
        struct frame f[8];
        size_t n = load(LINKS[c].file, f, 8);
        for (size_t i = 0; i < n; i++) {
            for (size_t cut = 0; cut < f[i].len; cut++) {
                /* copy into an exact-size heap buffer so ASan catches overreads */
                uint8_t *b = malloc(cut ? cut : 1);
                memcpy(b, f[i].b, cut);
                struct kp_pkt p;
                int st = kp_decode_frame(f[i].dlt, cut ? b : b, cut, &p);
                size_t ip_cut = cut > LINKS[c].hdr ? cut - LINKS[c].hdr : 0;
                bool v6 = (f[i].b[LINKS[c].hdr] >> 4) == 6;
                if (cut <= LINKS[c].hdr || ip_cut < (v6 ? 40u : 20u))
                    cr_assert_eq(st, KP_DEC_TRUNCATED, "%s frame %zu cut %zu: %d", LINKS[c].file, i,
                                 cut, st);
                else
                    cr_assert(st == KP_DEC_OK || st == KP_DEC_TRUNCATED || st == KP_DEC_FRAGMENT,
                              "%s frame %zu cut %zu: %d", LINKS[c].file, i, cut, st);
                free(b);
            }
        }
    }
}

Test(decode, snaplen_cut_quote_still_gives_8_bytes)
{
    /* te_udp_mpls over raw IP, cut right after the quoted UDP header:
     * 20 (IP) + 8 (ICMP) + 20 (quoted IP) + 8 (quoted UDP) = 56 bytes. */
    struct frame f[8];
    load("link_raw.pcap", f, 8);
    struct kp_pkt p;
    cr_assert_eq(kp_decode_frame(KP_DLT_RAW, f[0].b, 56, &p), KP_DEC_OK);
    cr_assert(p.has_quote);
    cr_assert_eq(p.q_l4.len, 8);
    cr_assert_eq(p.q_l4.sport, 34002);
    cr_assert_eq(p.q_l4.udp_sum, 0x56ae);
    cr_assert_not(p.has_ext, "extension not captured");
    cr_assert_eq(p.l4.sum_ok, -1, "cannot check a cut packet");
    cr_assert_eq(p.cap_len, 56);
    cr_assert_eq(p.wire_len, 172);
    /* 4 quoted transport bytes: ports only */
    cr_assert_eq(kp_decode_frame(KP_DLT_RAW, f[0].b, 52, &p), KP_DEC_OK);
    cr_assert_eq(p.q_l4.len, 4);
    cr_assert_eq(p.q_l4.dport, 33435);
    cr_assert_eq(p.quote_status, KP_DEC_TRUNCATED);
}

Test(decode, malformed_fields)
{
    struct frame f[8];
    load("link_en10mb.pcap", f, 8);
    uint8_t b[512];
    struct kp_pkt p;
    /* unknown ethertype (ARP) */
    memcpy(b, f[0].b, f[0].len);
    b[12] = 0x08;
    b[13] = 0x06;
    cr_assert_eq(kp_decode_frame(KP_DLT_EN10MB, b, f[0].len, &p), KP_DEC_UNSUPPORTED);
    /* 802.3 length field instead of an ethertype */
    b[12] = 0x00;
    b[13] = 0x40;
    cr_assert_eq(kp_decode_frame(KP_DLT_EN10MB, b, f[0].len, &p), KP_DEC_UNSUPPORTED);
    /* IP version 5 */
    memcpy(b, f[0].b, f[0].len);
    b[14] = 0x55;
    cr_assert_eq(kp_decode_frame(KP_DLT_EN10MB, b, f[0].len, &p), KP_DEC_MALFORMED);
    /* IHL 4 */
    b[14] = 0x44;
    cr_assert_eq(kp_decode_frame(KP_DLT_EN10MB, b, f[0].len, &p), KP_DEC_MALFORMED);
    /* total length below the header length */
    memcpy(b, f[0].b, f[0].len);
    b[16] = 0;
    b[17] = 10;
    cr_assert_eq(kp_decode_frame(KP_DLT_EN10MB, b, f[0].len, &p), KP_DEC_MALFORMED);
    /* IHL claims options beyond the capture */
    memcpy(b, f[0].b, f[0].len);
    b[14] = 0x4f;
    cr_assert_eq(kp_decode_frame(KP_DLT_EN10MB, b, 14 + 40, &p), KP_DEC_TRUNCATED);
    /* bad IP header checksum is reported, not fatal */
    memcpy(b, f[0].b, f[0].len);
    b[24] ^= 0xff;
    cr_assert_eq(kp_decode_frame(KP_DLT_EN10MB, b, f[0].len, &p), KP_DEC_OK);
    cr_assert_not(p.ip.sum_ok);
    /* corrupt ICMP checksum flagged */
    memcpy(b, f[0].b, f[0].len);
    b[14 + 20 + 2] ^= 0xff;
    cr_assert_eq(kp_decode_frame(KP_DLT_EN10MB, b, f[0].len, &p), KP_DEC_OK);
    cr_assert_eq(p.l4.sum_ok, 0);
    /* unknown link type, loopback family, and five stacked VLAN tags */
    cr_assert_eq(kp_decode_frame(147, f[0].b, f[0].len, &p), KP_DEC_UNSUPPORTED);
    uint8_t lo[64] = {0, 0, 0, 99};
    cr_assert_eq(kp_decode_frame(KP_DLT_LOOP, lo, sizeof(lo), &p), KP_DEC_UNSUPPORTED);
    uint8_t vl[80] = {0};
    for (int t = 0; t < 5; t++) {
        vl[12 + 4 * t] = 0x81;
        vl[13 + 4 * t] = 0x00;
    }
    cr_assert_eq(kp_decode_frame(KP_DLT_EN10MB, vl, sizeof(vl), &p), KP_DEC_UNSUPPORTED);
    /* NULL with zero length */
    cr_assert_eq(kp_decode_frame(KP_DLT_RAW, NULL, 0, &p), KP_DEC_TRUNCATED);
    cr_assert_str_eq(kp_decode_strerror(KP_DEC_FRAGMENT), "non-first fragment");
}

Test(decode, extension_checks)
{
    struct frame f[8];
    load("link_raw.pcap", f, 8);
    uint8_t b[512];
    struct kp_pkt p;
    size_t n = f[1].len, ext = 20 + 8 + 128;
    /* compat layout with a broken extension checksum: not an extension, the
     * whole ICMP body is the quote */
    memcpy(b, f[1].b, n);
    b[ext + 2] ^= 0x55;
    cr_assert_eq(kp_decode_frame(KP_DLT_RAW, b, n, &p), KP_DEC_OK);
    cr_assert_not(p.has_ext);
    cr_assert_eq(p.n_mpls, 0);
    cr_assert_eq(p.quote_len, n - 28);
    /* compat layout with version 1: not an extension */
    memcpy(b, f[1].b, n);
    b[ext] = 0x10;
    cr_assert_eq(kp_decode_frame(KP_DLT_RAW, b, n, &p), KP_DEC_OK);
    cr_assert_not(p.has_ext);
    /* RFC 4884 length with a zero (absent) checksum: accepted */
    memcpy(b, f[0].b, n);
    b[ext + 2] = 0;
    b[ext + 3] = 0;
    cr_assert_eq(kp_decode_frame(KP_DLT_RAW, b, n, &p), KP_DEC_OK);
    cr_assert(p.has_ext);
    cr_assert_eq(p.n_mpls, 2);
    /* MPLS object cut by the capture: first entry kept, flagged */
    cr_assert_eq(kp_decode_frame(KP_DLT_RAW, f[0].b, n - 2, &p), KP_DEC_OK);
    cr_assert(p.has_ext);
    cr_assert_eq(p.n_mpls, 1);
    cr_assert(p.mpls_truncated);
    /* object length 0 must not loop */
    memcpy(b, f[0].b, n);
    b[ext + 4] = 0;
    b[ext + 5] = 0;
    b[ext + 2] = 0;
    b[ext + 3] = 0;
    cr_assert_eq(kp_decode_frame(KP_DLT_RAW, b, n, &p), KP_DEC_OK);
    cr_assert_eq(p.n_mpls, 0);
}

Test(decode, checksum_helpers_rfc1071_example)
{
    /* RFC 1071 section 3 example: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2. */
    const uint8_t d[8] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    cr_assert_eq(kp_cksum_fold(kp_cksum_add(0, d, 8)), (uint16_t)~0xddf2);
    /* odd length: the last byte is padded with zero */
    const uint8_t o[3] = {0x12, 0x34, 0x56};
    cr_assert_eq(kp_cksum_fold(kp_cksum_add(0, o, 3)), (uint16_t) ~(0x1234 + 0x5600));
}

/* RFC 1071's definition read literally: 16-bit words added with the carry
 * out of bit 15 wrapped around at each step. */
static uint16_t ref_ones_sum(const uint8_t *d, size_t n)
{
    uint32_t s = 0;
    for (size_t i = 0; i < n; i += 2) {
        s += (uint32_t)d[i] << 8 | (i + 1 < n ? d[i + 1] : 0);
        if (s > 0xffff)
            s = (s & 0xffff) + 1;
    }
    return (uint16_t)s;
}

Test(decode, checksum_helpers_match_the_definition_and_chain)
{
    uint8_t d[1600];
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    for (int round = 0; round < 400; round++) {
        for (size_t i = 0; i < sizeof(d); i++) {
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            /* runs of 0xff push every carry path */
            d[i] = round % 3 == 0 ? 0xff : (uint8_t)(x >> 56);
        }
        size_t n = (size_t)(x >> 20) % sizeof(d);
        uint16_t want = (uint16_t)~ref_ones_sum(d, n);
        cr_assert_eq(kp_cksum_fold(kp_cksum_add(0, d, n)), want, "length %zu", n);
        /* in two parts split at an even offset, as builders add a pseudo-header */
        size_t cut = ((size_t)(x >> 40) % (n + 1)) & ~(size_t)1;
        uint32_t part = kp_cksum_add(0, d, cut);
        cr_assert_eq(kp_cksum_fold(kp_cksum_add(part, d + cut, n - cut)), want, "cut %zu of %zu",
                     cut, n);
        /* a few words added by hand to the returned sum */
        uint32_t more = kp_cksum_add(0, d, n & ~(size_t)1) + 0xffffu + 0xffffu + 17u;
        uint8_t w[6] = {0xff, 0xff, 0xff, 0xff, 0x00, 17};
        uint8_t both[1606];
        memcpy(both, d, n & ~(size_t)1);
        memcpy(both + (n & ~(size_t)1), w, 6);
        cr_assert_eq(kp_cksum_fold(more), (uint16_t)~ref_ones_sum(both, (n & ~(size_t)1) + 6));
    }
}
