/* SPDX-License-Identifier: BSD-2-Clause */
/* test_identity.c — SipHash-2-4 against the reference test vectors, and the
 * identity encoding's bit layout and NAT arithmetic.
 *
 * The SipHash vectors are the 64 outputs of the reference implementation
 * (Aumasson & Bernstein, vectors.h: key 00..0f, message 00..len-1 for
 * len = 0..63); vector 15 is the worked example of the SipHash paper
 * (appendix A): 0xa129ca6149be45e5. The NAT test recomputes checksums from
 * scratch with an RFC 1071 sum written here.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "core/codec/identity.h"

static const uint64_t sip_vectors[64] = {
    0x726fdb47dd0e0e31ULL, 0x74f839c593dc67fdULL, 0x0d6c8009d9a94f5aULL, 0x85676696d7fb7e2dULL,
    0xcf2794e0277187b7ULL, 0x18765564cd99a68dULL, 0xcbc9466e58fee3ceULL, 0xab0200f58b01d137ULL,
    0x93f5f5799a932462ULL, 0x9e0082df0ba9e4b0ULL, 0x7a5dbbc594ddb9f3ULL, 0xf4b32f46226bada7ULL,
    0x751e8fbc860ee5fbULL, 0x14ea5627c0843d90ULL, 0xf723ca908e7af2eeULL, 0xa129ca6149be45e5ULL,
    0x3f2acc7f57c29bdbULL, 0x699ae9f52cbe4794ULL, 0x4bc1b3f0968dd39cULL, 0xbb6dc91da77961bdULL,
    0xbed65cf21aa2ee98ULL, 0xd0f2cbb02e3b67c7ULL, 0x93536795e3a33e88ULL, 0xa80c038ccd5ccec8ULL,
    0xb8ad50c6f649af94ULL, 0xbce192de8a85b8eaULL, 0x17d835b85bbb15f3ULL, 0x2f2e6163076bcfadULL,
    0xde4daaaca71dc9a5ULL, 0xa6a2506687956571ULL, 0xad87a3535c49ef28ULL, 0x32d892fad841c342ULL,
    0x7127512f72f27cceULL, 0xa7f32346f95978e3ULL, 0x12e0b01abb051238ULL, 0x15e034d40fa197aeULL,
    0x314dffbe0815a3b4ULL, 0x027990f029623981ULL, 0xcadcd4e59ef40c4dULL, 0x9abfd8766a33735cULL,
    0x0e3ea96b5304a7d0ULL, 0xad0c42d6fc585992ULL, 0x187306c89bc215a9ULL, 0xd4a60abcf3792b95ULL,
    0xf935451de4f21df2ULL, 0xa9538f0419755787ULL, 0xdb9acddff56ca510ULL, 0xd06c98cd5c0975ebULL,
    0xe612a3cb9ecba951ULL, 0xc766e62cfcadaf96ULL, 0xee64435a9752fe72ULL, 0xa192d576b245165aULL,
    0x0a8787bf8ecb74b2ULL, 0x81b3e73d20b49b6fULL, 0x7fa8220ba3b2eceaULL, 0x245731c13ca42499ULL,
    0xb78dbfaf3a8d83bdULL, 0xea1ad565322a1a0bULL, 0x60e61c23a3795013ULL, 0x6606d7e446282b93ULL,
    0x6ca4ecb15c5f91e1ULL, 0x9f626da15c9625f3ULL, 0xe51b38608ef25f57ULL, 0x958a324ceb064572ULL,
};

Test(identity, siphash24_reference_vectors)
{
    struct kp_key k;
    uint8_t msg[64];
    for (int i = 0; i < 16; i++)
        k.k[i] = (uint8_t)i;
    for (int i = 0; i < 64; i++)
        msg[i] = (uint8_t)i;
    for (size_t len = 0; len < 64; len++)
        cr_assert_eq(kp_siphash24(&k, msg, len), sip_vectors[len], "length %zu", len);
    cr_assert_eq(kp_siphash24(&k, msg, 15), 0xa129ca6149be45e5ULL, "paper example");
}

Test(identity, flow_carries_trace_id)
{
    cr_assert_geq(KP_ID_MAX_TRACES, 4096u, "a /22 x 3 methods sweep needs >= 4096 traces");
    uint32_t t;
    for (uint32_t id = 0; id < KP_ID_MAX_TRACES; id++) {
        uint16_t f = kp_id_flow(id);
        cr_assert_eq(f, 0x8000u | id);
        cr_assert(kp_id_flow_trace(f, &t));
        cr_assert_eq(t, id);
    }
    cr_assert_not(kp_id_flow_trace(0x7fff, &t));
    cr_assert_not(kp_id_flow_trace(1, &t));
}

static struct kp_addr dst4(void)
{
    struct kp_addr a;
    cr_assert_eq(kp_addr_parse("175.45.178.1", &a), 0);
    return a;
}

Test(identity, encode_layout_per_method)
{
    struct kp_key k = {{0x55}};
    struct kp_addr d = dst4();
    struct kp_id_fields f;
    for (unsigned ttl = 1; ttl <= KP_ID_TTL_MAX; ttl++) {
        for (unsigned att = 0; att <= KP_ID_ATTEMPT_MAX; att++) {
            cr_assert_eq(kp_id_encode(&k, KP_METHOD_UDP_PARIS, &d, 33435, 0x8001, (uint8_t)ttl,
                                      (uint8_t)att, &f),
                         0);
            cr_assert_eq(f.ip_id >> 10, ttl);
            cr_assert_eq((f.ip_id >> 8) & 3, att);
            cr_assert_eq(kp_id_word_ttl(f.ip_id), ttl);
            cr_assert_eq(kp_id_word_attempt(f.ip_id), att);
            cr_assert(f.l4_sum != 0 && f.l4_sum != 0xffff);
            cr_assert_eq(f.dport, 33435);

            cr_assert_eq(
                kp_id_encode(&k, KP_METHOD_UDP, &d, 33434, 0x8001, (uint8_t)ttl, (uint8_t)att, &f),
                0);
            cr_assert_eq(f.dport, 33434 + (ttl - 1) * 4 + att);

            cr_assert_eq(kp_id_encode(&k, KP_METHOD_ICMP_PARIS, &d, 0, 0x8001, (uint8_t)ttl,
                                      (uint8_t)att, &f),
                         0);
            cr_assert_eq(f.icmp_seq >> 10, ttl);
            cr_assert_eq((f.icmp_seq >> 8) & 3, att);
            cr_assert(f.ip_id != 0 && f.ip_id != 0xffff);

            cr_assert_eq(
                kp_id_encode(&k, KP_METHOD_TCP_SYN, &d, 80, 0x8001, (uint8_t)ttl, (uint8_t)att, &f),
                0);
            cr_assert_eq(f.tcp_seq >> 26, ttl);
            cr_assert_eq((f.tcp_seq >> 24) & 3, att);
            cr_assert(f.ip_id != 0);
        }
    }
}

Test(identity, icmp_checksum_constant_for_a_trace)
{
    struct kp_key k = {{7}};
    struct kp_addr d = dst4();
    struct kp_id_fields f0, f;
    cr_assert_eq(kp_id_encode(&k, KP_METHOD_ICMP_PARIS, &d, 0, 0x8005, 1, 0, &f0), 0);
    for (uint8_t ttl = 1; ttl <= 63; ttl++)
        for (uint8_t a = 0; a < 4; a++) {
            cr_assert_eq(kp_id_encode(&k, KP_METHOD_ICMP_PARIS, &d, 0, 0x8005, ttl, a, &f), 0);
            cr_assert_eq(f.l4_sum, f0.l4_sum);
        }
}

Test(identity, encode_depends_on_key_dst_and_rejects_bad_input)
{
    struct kp_key k1 = {{1}}, k2 = {{2}};
    struct kp_addr d = dst4(), d2 = dst4();
    d2.b[3] = 2;
    struct kp_id_fields a, b;
    cr_assert_eq(kp_id_encode(&k1, KP_METHOD_TCP_SYN, &d, 80, 0x8000, 3, 0, &a), 0);
    cr_assert_eq(kp_id_encode(&k2, KP_METHOD_TCP_SYN, &d, 80, 0x8000, 3, 0, &b), 0);
    cr_assert_neq(a.tcp_seq, b.tcp_seq);
    cr_assert_eq(kp_id_encode(&k1, KP_METHOD_TCP_SYN, &d2, 80, 0x8000, 3, 0, &b), 0);
    cr_assert_neq(a.tcp_seq, b.tcp_seq);
    cr_assert_eq(kp_id_encode(&k1, KP_METHOD_TCP_SYN, &d, 80, 0x8000, 3, 0, &b), 0);
    cr_assert_eq(a.tcp_seq, b.tcp_seq, "deterministic");
    cr_assert_eq(a.payload_tag, b.payload_tag);
    cr_assert_eq(kp_id_encode(&k1, KP_METHOD_TCP_SYN, &d, 80, 0x8001, 3, 0, &b), 0);
    cr_assert_neq(a.payload_tag, b.payload_tag, "the marker tag binds the flow");
    cr_assert_eq(kp_id_encode(&k1, KP_METHOD_TCP_SYN, &d, 80, 0x8000, 0, 0, &b), -EINVAL);
    cr_assert_eq(kp_id_encode(&k1, KP_METHOD_TCP_SYN, &d, 80, 0x8000, 64, 0, &b), -EINVAL);
    cr_assert_eq(kp_id_encode(&k1, KP_METHOD_TCP_SYN, &d, 80, 0x8000, 1, 4, &b), -EINVAL);
    cr_assert_eq(kp_id_encode(&k1, KP_METHOD_ICMP, &d, 80, 0x8000, 1, 0, &b), -EINVAL);
    cr_assert_eq(kp_id_encode(&k1, KP_METHOD_UDP, &d, 65500, 0x8000, 63, 0, &b), -EINVAL,
                 "classic port would overflow");
    struct kp_addr none = {0};
    cr_assert_eq(kp_id_encode(&k1, KP_METHOD_UDP, &none, 1, 0x8000, 1, 0, &b), -EINVAL);
}

/* RFC 1071 over 16-bit words. */
static uint16_t t_cksum(const uint16_t *w, size_t n)
{
    uint32_t s = 0;
    for (size_t i = 0; i < n; i++)
        s += w[i];
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

Test(identity, nat_unrewrite_recovers_port)
{
    /* words: src hi, src lo, dst hi, dst lo, proto, len, sport, dport, len,
     * payload... (a UDP pseudo-header + header, checksum field left out) */
    uint16_t w[12] = {0xc612, 0x0002, 0xaf2d, 0xb201, 17,     26,
                      0x8123, 33435,  26,     0x4b50, 0x5431, 0x1234};
    uint16_t sent = t_cksum(w, 12);
    /* NAT: source 198.18.0.2 -> 198.51.100.10, port 0x8123 -> 40001 */
    uint16_t nw[12];
    memcpy(nw, w, sizeof(w));
    nw[0] = 0xc633;
    nw[1] = 0x640a;
    nw[6] = 40001;
    uint16_t quoted = t_cksum(nw, 12);
    uint16_t oldw[2] = {0xc612, 0x0002}, neww[2] = {0xc633, 0x640a};
    cr_assert_eq(kp_id_nat_unrewrite(sent, quoted, oldw, neww, 2, 40001), 0x8123);
    /* port only (an ICMP echo id rewrite has no address in its sum) */
    memcpy(nw, w, sizeof(w));
    nw[6] = 0x9c41;
    quoted = t_cksum(nw, 12);
    cr_assert_eq(kp_id_nat_unrewrite(sent, quoted, NULL, NULL, 0, 0x9c41), 0x8123);
    /* nothing changed */
    cr_assert_eq(kp_id_nat_unrewrite(sent, sent, NULL, NULL, 0, 0x8123), 0x8123);
    /* Dublin NAT id: quoted - sent mod 2^16 */
    cr_assert_eq(kp_id_nat_id(0x0010, 0x0020), 0xfff0);
    cr_assert_eq(kp_id_nat_id(0x1234, 0x1234), 0);
}
