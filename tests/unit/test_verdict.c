/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for core/verdict/verdict.c on hand-made traces.
 *
 * Each trace is written out hop by hop below with the AS every address is
 * meant to belong to; the expected transit is what a person reading the path
 * concludes (the heuristic under test named in the test), not output copied
 * from the code. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Hop specs below leave trailing fields zero on purpose. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#include "core/verdict/verdict.h"

#define UNICOM 4837u
#define TTC    20485u
#define NK     131279u
#define VPNET  64500u /* the vantage point's own provider (documentation AS) */

enum { PUB = KP_HCLASS_PUBLIC, PRIV = KP_HCLASS_PRIVATE, UNANN = KP_HCLASS_UNANNOUNCED };

struct spec {
    int ttl;
    const char *addr;
    uint32_t asn;
    int cls;
    double rtt;
    int type, code; /* ICMP type/code; 0 = time exceeded (11/0), -2 = echo reply */
    unsigned flags;
    int mpls; /* number of MPLS labels quoted */
    int ixp;  /* 1 = IXP address */
    uint32_t member;
    int attempt;
};

struct fixture {
    struct kp_trace t;
    struct kp_hop_annot ann[64];
    struct kp_hop_annot dst;
    struct kp_verdict_config c;
    struct kp_transit v;
};

static void build(struct fixture *f, const char *dst, uint32_t dst_asn, const struct spec *s,
                  size_t n)
{
    memset(f, 0, sizeof(*f));
    kp_trace_init(&f->t);
    cr_assert_eq(kp_addr_parse(dst, &f->t.dst), 0);
    kp_addr_parse("198.18.0.2", &f->t.src);
    snprintf(f->t.vp, sizeof(f->t.vp), "vp1");
    f->t.method = KP_METHOD_UDP_PARIS;
    kp_hop_annot_init(&f->dst);
    f->dst.asn = dst_asn;
    f->dst.n_origins = dst_asn ? 1 : 0;
    f->dst.origins[0] = dst_asn;
    f->dst.cls = PUB;
    for (size_t i = 0; i < n; i++) {
        struct kp_hop h;
        kp_hop_init(&h);
        h.ttl = (uint8_t)s[i].ttl;
        h.attempt = (uint8_t)s[i].attempt;
        cr_assert_eq(kp_addr_parse(s[i].addr, &h.addr), 0, "%s", s[i].addr);
        h.rtt_ms = s[i].rtt;
        h.icmp_type = s[i].type == -2 ? 0 : s[i].type ? s[i].type : 11;
        h.icmp_code = s[i].type == -2 ? 0 : s[i].type ? s[i].code : 0;
        h.flags = s[i].flags;
        h.n_mpls = (uint8_t)s[i].mpls;
        for (int k = 0; k < s[i].mpls; k++)
            h.mpls[k].label = 16000u + (uint32_t)k;
        cr_assert_eq(kp_trace_add_hop(&f->t, &h), 0);
        struct kp_hop_annot *a = &f->ann[i];
        kp_hop_annot_init(a);
        a->asn = s[i].asn;
        a->origins[0] = s[i].asn;
        a->n_origins = s[i].asn ? 1 : 0;
        a->cls = (uint8_t)s[i].cls;
        a->ixp = s[i].ixp != 0;
        a->ixp_member_asn = s[i].member;
        snprintf(a->source, sizeof(a->source), "pfx2as");
    }
    kp_verdict_config_default(&f->c);
}

static void decide(struct fixture *f)
{
    cr_assert_eq(kp_verdict_decide(&f->c, &f->t, f->ann, f->t.n_hops, &f->dst, &f->v), 0);
}

static void done(struct fixture *f)
{
    kp_trace_free(&f->t);
}

#define DST   "175.45.178.1"
#define ECHO  -2, 0 /* echo reply (type 0) */
#define REPLY 3, 3  /* UDP probe answered by the destination: port unreachable */

static struct fixture F;

Test(verdict, plain_unicom_path)
{
    /* VP net, three Unicom routers, two NK routers, NK destination. */
    const struct spec s[] = {
        {1, "198.18.0.1", VPNET, PUB, 1.0},    {2, "219.158.1.1", UNICOM, PUB, 30.0},
        {3, "219.158.2.1", UNICOM, PUB, 40.0}, {4, "219.158.3.1", UNICOM, PUB, 45.0},
        {5, "175.45.176.1", NK, PUB, 48.0},    {6, DST, NK, PUB, 49.0, REPLY, KP_HOP_FROM_DST},
    };
    build(&F, DST, NK, s, 6);
    decide(&F);
    cr_assert_eq(F.v.status, KP_TRANSIT_REACHED);
    cr_assert_eq(F.v.asn, UNICOM);
    cr_assert_str_eq(F.v.name, "China Unicom");
    cr_assert_eq(F.v.handoff_hop, 3);
    cr_assert_eq(F.v.handoff_ttl, 4);
    cr_assert_eq(F.v.target_hop, 4);
    cr_assert_eq(F.v.target_ttl, 5);
    cr_assert_eq(F.v.border_hop, 4);
    cr_assert_eq(F.v.silent_ttls, 0);
    cr_assert_float_eq(F.v.confidence, 1.0, 1e-9);
    cr_assert_str_eq(F.v.source, "pfx2as");
    cr_assert_eq(F.v.heuristics & ~(unsigned)KP_H_RTT_JUMP, 0u);
    done(&F);
}

Test(verdict, silent_gap_ttc_shape)
{
    /* The reported TTC shape: last Russian hop, three silent hops, then the
     * destination ~4 ms later. */
    const struct spec s[] = {
        {1, "198.18.0.1", VPNET, PUB, 1.0},
        {2, "188.43.1.1", TTC, PUB, 150.0},
        {3, "188.43.225.153", TTC, PUB, 185.0},
        {7, DST, NK, PUB, 189.0, REPLY, KP_HOP_FROM_DST},
    };
    build(&F, DST, NK, s, 4);
    decide(&F);
    cr_assert_eq(F.v.status, KP_TRANSIT_REACHED);
    cr_assert_eq(F.v.asn, TTC);
    cr_assert_str_eq(F.v.name, "TransTeleCom");
    cr_assert_eq(F.v.handoff_ttl, 3);
    cr_assert_eq(F.v.target_ttl, 7);
    cr_assert_eq(F.v.silent_ttls, 3);
    cr_assert(F.v.heuristics & KP_H_SILENT_GAP);
    cr_assert(!(F.v.heuristics & KP_H_RTT_JUMP), "4 ms is no jump");
    cr_assert_float_eq(F.v.rtt_jump_ms, 4.0, 1e-9);
    cr_assert_lt(F.v.confidence, 1.0);
    cr_assert_gt(F.v.confidence, 0.5);
    done(&F);
}

Test(verdict, silent_gap_switch_off_keeps_answer)
{
    const struct spec s[] = {
        {3, "188.43.225.153", TTC, PUB, 185.0},
        {7, DST, NK, PUB, 189.0, REPLY, KP_HOP_FROM_DST},
    };
    build(&F, DST, NK, s, 2);
    F.c.disabled = KP_H_SILENT_GAP;
    decide(&F);
    cr_assert_eq(F.v.asn, TTC);
    cr_assert_eq(F.v.silent_ttls, 3);
    cr_assert(!(F.v.heuristics & KP_H_SILENT_GAP));
    cr_assert_float_eq(F.v.confidence, 1.0, 1e-9);
    done(&F);
}

Test(verdict, private_hop_before_target_is_skipped)
{
    const struct spec s[] = {
        {1, "219.158.3.1", UNICOM, PUB, 40.0},
        {2, "10.1.1.1", 0, PRIV, 41.0},
        {3, "175.45.176.1", NK, PUB, 45.0},
    };
    build(&F, DST, NK, s, 3);
    decide(&F);
    cr_assert_eq(F.v.status, KP_TRANSIT_REACHED);
    cr_assert_eq(F.v.asn, UNICOM);
    cr_assert_eq(F.v.handoff_hop, 0);
    cr_assert(F.v.heuristics & KP_H_SKIP_PRIVATE);
    cr_assert_eq(F.v.n_skipped, 1);
    cr_assert_eq(F.v.skipped[0], 1);
    cr_assert_eq(F.v.silent_ttls, 0, "a private hop answered: it is not silent");
    cr_assert_float_eq(F.v.confidence, 0.9, 1e-9);
    done(&F);
}

Test(verdict, unannounced_hop_is_skipped)
{
    const struct spec s[] = {
        {1, "188.43.225.153", TTC, PUB, 40.0},
        {2, "198.51.100.9", 0, UNANN, 41.0},
        {3, "175.45.177.1", NK, PUB, 45.0},
    };
    build(&F, DST, NK, s, 3);
    decide(&F);
    cr_assert_eq(F.v.asn, TTC);
    cr_assert(F.v.heuristics & KP_H_SKIP_UNKNOWN);
    done(&F);
}

Test(verdict, mpls_tunnel_with_private_lsrs)
{
    /* Unicom LER, two LSRs answering from private space with labels quoted
     * (RFC 4950), then NK. The tunnel belongs to Unicom. */
    const struct spec s[] = {
        {1, "219.158.3.1", UNICOM, PUB, 40.0},
        {2, "10.9.0.1", 0, PRIV, 41.0, 0, 0, 0, 1},
        {3, "10.9.0.5", 0, PRIV, 42.0, 0, 0, 0, 2},
        {4, "175.45.176.1", NK, PUB, 45.0},
    };
    build(&F, DST, NK, s, 4);
    decide(&F);
    cr_assert_eq(F.v.asn, UNICOM);
    cr_assert(F.v.heuristics & KP_H_MPLS);
    cr_assert(F.v.heuristics & KP_H_SKIP_PRIVATE);
    cr_assert_eq(F.v.n_skipped, 2);
    /* LSR skips cost 0.05 each, not 0.1 */
    cr_assert_float_eq(F.v.confidence, 0.9, 1e-9);
    done(&F);
}

Test(verdict, mpls_labels_on_public_hops_are_noted)
{
    const struct spec s[] = {
        {1, "219.158.2.1", UNICOM, PUB, 40.0, 0, 0, 0, 1},
        {2, "219.158.3.1", UNICOM, PUB, 41.0},
        {3, "175.45.176.1", NK, PUB, 45.0},
    };
    build(&F, DST, NK, s, 3);
    decide(&F);
    cr_assert_eq(F.v.asn, UNICOM);
    cr_assert_eq(F.v.handoff_hop, 1);
    cr_assert(F.v.heuristics & KP_H_MPLS);
    done(&F);
}

Test(verdict, ixp_address_without_member_is_skipped)
{
    /* TTC router, then an IXP LAN address (member unknown), then NK: traffic
     * crossed the IXP from TTC; the IXP's own AS is never the transit. */
    const struct spec s[] = {
        {1, "188.43.225.153", TTC, PUB, 40.0},
        {2, "198.51.100.20", 64496, PUB, 41.0, 0, 0, 0, 0, 1, 0},
        {3, "175.45.177.1", NK, PUB, 45.0},
    };
    build(&F, DST, NK, s, 3);
    decide(&F);
    cr_assert_eq(F.v.asn, TTC);
    cr_assert(F.v.heuristics & KP_H_IXP);
    cr_assert_eq(F.v.skipped[0], 1);
    done(&F);
}

Test(verdict, ixp_address_of_target_member_moves_border)
{
    /* The IXP address is NK's router port (netixlan says member 131279). */
    const struct spec s[] = {
        {1, "219.158.3.1", UNICOM, PUB, 40.0},
        {2, "198.51.100.21", 64496, PUB, 41.0, 0, 0, 0, 0, 1, NK},
        {3, "175.45.176.1", NK, PUB, 45.0},
    };
    build(&F, DST, NK, s, 3);
    decide(&F);
    cr_assert_eq(F.v.asn, UNICOM);
    cr_assert_eq(F.v.target_hop, 1, "an IXP port owned by the target is the target");
    done(&F);
}

Test(verdict, ixp_address_of_known_member_counts_as_member)
{
    const struct spec s[] = {
        {1, "198.18.0.1", VPNET, PUB, 1.0},
        {2, "198.51.100.22", 64496, PUB, 41.0, 0, 0, 0, 0, 1, TTC},
        {3, "175.45.177.1", NK, PUB, 45.0},
    };
    build(&F, DST, NK, s, 3);
    decide(&F);
    cr_assert_eq(F.v.asn, TTC);
    cr_assert_eq(F.v.handoff_hop, 1);
    cr_assert(F.v.heuristics & KP_H_IXP);
    done(&F);
}

Test(verdict, lone_neighbour_address_before_target)
{
    /* NK border router answering from a third-party address (its link to an
     * AS outside the transits of interest) although the probes came in from
     * Unicom: the lone hop right before NK, right after Unicom, is the
     * target's ingress, not a router of that AS. */
    const struct spec s[] = {
        {1, "219.158.2.1", UNICOM, PUB, 40.0},
        {2, "219.158.3.1", UNICOM, PUB, 41.0},
        {3, "103.35.255.254", 64511, PUB, 45.0},
        {4, "175.45.178.1", NK, PUB, 46.0},
    };
    build(&F, DST, NK, s, 4);
    decide(&F);
    cr_assert_eq(F.v.asn, UNICOM);
    cr_assert_eq(F.v.handoff_hop, 1);
    cr_assert_eq(F.v.border_hop, 2);
    cr_assert(F.v.heuristics & KP_H_NEIGHBOUR_BORDER);
    cr_assert_float_eq(F.v.confidence, 0.7, 1e-9);
    /* switched off, the naive reading returns */
    F.c.disabled = KP_H_NEIGHBOUR_BORDER;
    decide(&F);
    cr_assert_eq(F.v.asn, 64511u);
    done(&F);
}

Test(verdict, lone_transit_of_interest_after_another_is_taken_at_face_value)
{
    /* ECMP inside Unicom: one flow leaves Unicom for TTC's border router,
     * which answers from TTC's space, then NK's ingress answers. TTC is a
     * known upstream of NK: it handed over (not read as NK's ingress). */
    const struct spec s[] = {
        {1, "198.18.0.1", VPNET, PUB, 1.0},    {2, "219.158.2.1", UNICOM, PUB, 40.0},
        {3, "219.158.3.1", UNICOM, PUB, 41.0}, {4, "188.43.9.1", TTC, PUB, 44.0},
        {5, "175.45.178.57", NK, PUB, 46.0},   {7, DST, NK, PUB, 47.0, REPLY, KP_HOP_FROM_DST},
    };
    build(&F, DST, NK, s, 6);
    decide(&F);
    cr_assert_eq(F.v.status, KP_TRANSIT_REACHED);
    cr_assert_eq(F.v.asn, TTC);
    cr_assert_eq(F.v.handoff_hop, 3);
    cr_assert_eq(F.v.border_hop, 4);
    cr_assert(!(F.v.heuristics & KP_H_NEIGHBOUR_BORDER));
    done(&F);
}

Test(verdict, lone_transit_hop_after_vp_network_is_kept)
{
    /* VP provider (not a transit of interest), one TTC hop, NK: TTC is the
     * transit; the neighbour rule must not fire. */
    const struct spec s[] = {
        {1, "198.18.0.1", VPNET, PUB, 1.0},
        {2, "188.43.225.153", TTC, PUB, 100.0},
        {3, "175.45.177.1", NK, PUB, 104.0},
    };
    build(&F, DST, NK, s, 3);
    decide(&F);
    cr_assert_eq(F.v.asn, TTC);
    cr_assert(!(F.v.heuristics & KP_H_NEIGHBOUR_BORDER));
    done(&F);
}

Test(verdict, border_numbered_from_transit_space)
{
    /* NK's ingress interface carries a Unicom /30 address (.2); two Unicom
     * hops before it: Unicom either way, no lone-hop rewrite. */
    const struct spec s[] = {
        {1, "219.158.2.1", UNICOM, PUB, 40.0},
        {2, "219.158.9.2", UNICOM, PUB, 41.0},
        {3, "175.45.176.1", NK, PUB, 45.0},
    };
    build(&F, DST, NK, s, 3);
    decide(&F);
    cr_assert_eq(F.v.asn, UNICOM);
    cr_assert(!(F.v.heuristics & KP_H_NEIGHBOUR_BORDER));
    done(&F);
}

Test(verdict, p2p_mates_move_the_border)
{
    /* 175.45.179.254 and .253 are the two hosts of one /30: the first
     * target-space hop is the neighbour's end of a target-numbered link. */
    const struct spec s[] = {
        {1, "219.158.3.1", UNICOM, PUB, 40.0},
        {2, "175.45.179.254", NK, PUB, 41.0},
        {3, "175.45.179.253", NK, PUB, 45.0},
    };
    build(&F, DST, NK, s, 3);
    decide(&F);
    cr_assert_eq(F.v.asn, UNICOM);
    cr_assert_eq(F.v.target_hop, 1);
    cr_assert_eq(F.v.border_hop, 2);
    cr_assert(F.v.heuristics & KP_H_P2P_MATE);
    done(&F);
}

Test(verdict, p2p_mates_slash31)
{
    /* /31: .8 and .9 are mates; .9 and .13 are in different /30s (and .9/.10
     * would be the two hosts of 175.45.179.8/30). */
    const struct spec s[] = {
        {1, "219.158.3.1", UNICOM, PUB, 40.0},
        {2, "175.45.179.8", NK, PUB, 41.0},
        {3, "175.45.179.9", NK, PUB, 45.0},
    };
    build(&F, DST, NK, s, 3);
    decide(&F);
    cr_assert(F.v.heuristics & KP_H_P2P_MATE);
    const struct spec s2[] = {
        {1, "219.158.3.1", UNICOM, PUB, 40.0},
        {2, "175.45.179.9", NK, PUB, 41.0},
        {3, "175.45.179.13", NK, PUB, 45.0},
    };
    done(&F);
    build(&F, DST, NK, s2, 3);
    decide(&F);
    cr_assert(!(F.v.heuristics & KP_H_P2P_MATE));
    cr_assert_eq(F.v.border_hop, 1);
    done(&F);
}

Test(verdict, admin_prohibited_at_unicom_is_filtered)
{
    const struct spec s[] = {
        {1, "198.18.0.1", VPNET, PUB, 1.0},
        {2, "219.158.1.1", UNICOM, PUB, 200.0},
        {3, "219.158.3.1", UNICOM, PUB, 234.0, 3, 13},
    };
    build(&F, DST, NK, s, 3);
    F.t.stop_reason = KP_STOP_ADMIN_PROHIB;
    decide(&F);
    cr_assert_eq(F.v.status, KP_TRANSIT_FILTERED);
    cr_assert_eq(F.v.asn, UNICOM);
    cr_assert_eq(F.v.filtered_by, UNICOM);
    cr_assert_eq(F.v.handoff_hop, 2);
    cr_assert_float_eq(F.v.confidence, 0.9, 1e-9);
    done(&F);
}

Test(verdict, admin_prohibited_codes_9_and_10_too)
{
    for (int code = 9; code <= 10; code++) {
        const struct spec s[] = {
            {1, "219.158.3.1", UNICOM, PUB, 234.0, 3, code},
        };
        build(&F, DST, NK, s, 1);
        decide(&F);
        cr_assert_eq(F.v.status, KP_TRANSIT_FILTERED, "code %d", code);
        done(&F);
    }
    /* host unreachable (code 1) is not a filter */
    const struct spec s[] = {
        {1, "219.158.3.1", UNICOM, PUB, 234.0, 3, 1},
    };
    build(&F, DST, NK, s, 1);
    decide(&F);
    cr_assert_eq(F.v.status, KP_TRANSIT_INCOMPLETE);
    done(&F);
}

Test(verdict, icmpv6_codes)
{
    /* ICMPv6 destination unreachable (type 1): code 1 is administratively
     * prohibited (RFC 4443), code 4 is port unreachable (a UDP trace's
     * destination answering) and must not count as a filter. */
    const struct spec s[] = {
        {1, "2001:db8:4837::1", UNICOM, PUB, 234.0, 1, 1},
    };
    build(&F, "2001:db8:1279::1", NK, s, 1);
    decide(&F);
    cr_assert_eq(F.v.status, KP_TRANSIT_FILTERED);
    cr_assert_eq(F.v.asn, UNICOM);
    done(&F);
    const struct spec d[] = {
        {1, "2001:db8:4837::1", UNICOM, PUB, 234.0, 3, 0},
        {2, "2001:db8:1279::1", NK, PUB, 284.0, 1, 4, KP_HOP_FROM_DST},
    };
    build(&F, "2001:db8:1279::1", NK, d, 2);
    decide(&F);
    cr_assert_eq(F.v.status, KP_TRANSIT_REACHED);
    cr_assert_eq(F.v.asn, UNICOM);
    done(&F);
}

Test(verdict, admin_prohibited_inside_target_is_reached)
{
    const struct spec s[] = {
        {1, "188.43.225.153", TTC, PUB, 185.0},
        {2, "175.45.177.1", NK, PUB, 189.0, 3, 13},
    };
    build(&F, DST, NK, s, 2);
    decide(&F);
    cr_assert_eq(F.v.status, KP_TRANSIT_REACHED);
    cr_assert_eq(F.v.asn, TTC);
    cr_assert(F.v.heuristics & KP_H_FILTERED_INSIDE);
    cr_assert_eq(F.v.filtered_by, NK);
    done(&F);
}

Test(verdict, never_reaching_target_is_incomplete_with_last_as)
{
    const struct spec s[] = {
        {1, "198.18.0.1", VPNET, PUB, 1.0},
        {2, "219.158.1.1", UNICOM, PUB, 200.0},
        {3, "219.158.3.1", UNICOM, PUB, 234.0},
        {4, "10.0.0.1", 0, PRIV, 235.0},
    };
    build(&F, DST, NK, s, 4);
    F.t.stop_reason = KP_STOP_GAPLIMIT;
    decide(&F);
    cr_assert_eq(F.v.status, KP_TRANSIT_INCOMPLETE);
    cr_assert_eq(F.v.asn, UNICOM, "the private last hop is passed over");
    cr_assert_eq(F.v.handoff_hop, 2);
    cr_assert_eq(F.v.last_hop, 3);
    cr_assert_lt(F.v.confidence, 0.5 + 1e-9);
    done(&F);
}

Test(verdict, nothing_answered_is_undetermined)
{
    build(&F, DST, NK, NULL, 0);
    decide(&F);
    cr_assert_eq(F.v.status, KP_TRANSIT_UNDETERMINED);
    cr_assert_eq(F.v.asn, 0u);
    cr_assert_eq(F.v.handoff_hop, -1);
    cr_assert_float_eq(F.v.confidence, 0.0, 1e-9);
    done(&F);
}

Test(verdict, only_private_before_target_is_undetermined)
{
    const struct spec s[] = {
        {1, "10.0.0.1", 0, PRIV, 1.0},
        {2, "175.45.176.1", NK, PUB, 45.0},
    };
    build(&F, DST, NK, s, 2);
    decide(&F);
    cr_assert_eq(F.v.status, KP_TRANSIT_UNDETERMINED);
    cr_assert_eq(F.v.target_hop, 1);
    done(&F);
}

Test(verdict, unknown_as_reported_with_its_name)
{
    /* Reported Unicom-side last hop 103.35.255.254: an AS outside the list. */
    const struct spec s[] = {
        {9, "103.35.255.254", 64511, PUB, 234.0},
        {13, DST, NK, PUB, 284.0, REPLY, KP_HOP_FROM_DST},
    };
    build(&F, DST, NK, s, 2);
    snprintf(F.ann[0].as_name, sizeof(F.ann[0].as_name), "EXAMPLE-NET");
    decide(&F);
    cr_assert_eq(F.v.asn, 64511u);
    cr_assert_str_eq(F.v.name, "EXAMPLE-NET");
    cr_assert(F.v.heuristics & KP_H_RTT_JUMP, "50 ms into the target");
    cr_assert_float_eq(F.v.rtt_jump_ms, 50.0, 1e-9);
    F.ann[0].as_name[0] = '\0';
    decide(&F);
    cr_assert_str_eq(F.v.name, "");
    done(&F);
}

/* ---- hidden handoff: the vantage point's network, then nothing attributable */

Test(verdict, silent_transit_after_vp_network_is_undetermined)
{
    /* VP's provider at TTL 1, a transit border that never answers, NK's
     * ingress, the destination. The silent TTL may be TTC, Unicom or nobody
     * (direct peering with a silent NK router): the VP's provider must not be
     * named as the transit. */
    const struct spec s[] = {
        {1, "198.18.0.1", VPNET, PUB, 1.0},
        {3, "175.45.176.9", NK, PUB, 40.0},
        {4, DST, NK, PUB, 41.0, REPLY, KP_HOP_FROM_DST},
    };
    build(&F, DST, NK, s, 3);
    decide(&F);
    cr_assert_eq(F.v.status, KP_TRANSIT_UNDETERMINED);
    cr_assert_eq(F.v.asn, 0u);
    cr_assert_float_eq(F.v.confidence, 0.0, 1e-9);
    cr_assert(F.v.heuristics & KP_H_HIDDEN_HANDOFF);
    cr_assert_eq(F.v.handoff_hop, 0, "evidence: the last hop seen before the target");
    cr_assert_eq(F.v.target_hop, 1);
    cr_assert_eq(F.v.silent_ttls, 1);
    /* switched off, the naive reading returns */
    F.c.disabled = KP_H_HIDDEN_HANDOFF;
    decide(&F);
    cr_assert_eq(F.v.status, KP_TRANSIT_REACHED);
    cr_assert_eq(F.v.asn, VPNET);
    cr_assert(!(F.v.heuristics & KP_H_HIDDEN_HANDOFF));
    cr_assert_str_eq(kp_heuristic_name(KP_H_HIDDEN_HANDOFF), "hidden-handoff");
    cr_assert_eq(kp_heuristic_from_name("hidden-handoff"), KP_H_HIDDEN_HANDOFF);
    done(&F);
}

Test(verdict, direct_peering_without_gap_is_the_vp_network)
{
    /* The VP's provider hands over directly: NK's router answers at TTL 2. */
    const struct spec s[] = {
        {1, "198.18.0.1", VPNET, PUB, 1.0},
        {2, "175.45.176.13", NK, PUB, 3.0},
        {3, DST, NK, PUB, 4.0, REPLY, KP_HOP_FROM_DST},
    };
    build(&F, DST, NK, s, 3);
    decide(&F);
    cr_assert_eq(F.v.status, KP_TRANSIT_REACHED);
    cr_assert_eq(F.v.asn, VPNET);
    cr_assert(!(F.v.heuristics & (KP_H_HIDDEN_HANDOFF | KP_H_NEIGHBOUR_BORDER)));
    cr_assert_float_eq(F.v.confidence, 1.0, 1e-9);
    done(&F);
}

Test(verdict, ixp_port_of_unknown_member_after_vp_network_is_undetermined)
{
    /* VP provider, an IXP LAN address (member unknown: the transit's port or
     * NK's own), NK: who received the traffic at the IXP is unknown. */
    const struct spec s[] = {
        {1, "198.18.0.1", VPNET, PUB, 1.0},
        {2, "203.0.113.2", 0, UNANN, 4.0, 0, 0, 0, 0, 1, 0},
        {3, "175.45.176.1", NK, PUB, 45.0},
    };
    build(&F, DST, NK, s, 3);
    decide(&F);
    cr_assert_eq(F.v.status, KP_TRANSIT_UNDETERMINED);
    cr_assert(F.v.heuristics & KP_H_HIDDEN_HANDOFF);
    cr_assert(F.v.heuristics & KP_H_IXP);
    /* A known member is attributable: TTC took it at the IXP. */
    F.ann[1].ixp_member_asn = TTC;
    decide(&F);
    cr_assert_eq(F.v.status, KP_TRANSIT_REACHED);
    cr_assert_eq(F.v.asn, TTC);
    done(&F);
}

Test(verdict, vp_behind_nat_then_silent_transit_is_undetermined)
{
    /* A NAT gateway (private) at TTL 1, the provider at TTL 2, one silent TTL,
     * NK's ingress: the provider is still the vantage point's own network. */
    const struct spec s[] = {
        {1, "192.168.1.1", 0, PRIV, 0.5},
        {2, "198.18.0.1", VPNET, PUB, 1.0},
        {4, "175.45.176.9", NK, PUB, 40.0},
        {5, DST, NK, PUB, 41.0, REPLY, KP_HOP_FROM_DST},
    };
    build(&F, DST, NK, s, 4);
    decide(&F);
    cr_assert_eq(F.v.status, KP_TRANSIT_UNDETERMINED);
    cr_assert(F.v.heuristics & KP_H_HIDDEN_HANDOFF);
    done(&F);
}

Test(verdict, vp_network_then_silence_then_only_destination_is_low_confidence)
{
    /* VP provider, two silent TTLs, the destination: either a silent transit
     * and NK, or direct peering into NK's silent routers. The provider stays
     * the answer, flagged and with low confidence. */
    const struct spec s[] = {
        {1, "198.18.0.1", VPNET, PUB, 1.0},
        {4, DST, NK, PUB, 41.0, REPLY, KP_HOP_FROM_DST},
    };
    build(&F, DST, NK, s, 2);
    decide(&F);
    cr_assert_eq(F.v.status, KP_TRANSIT_REACHED);
    cr_assert_eq(F.v.asn, VPNET);
    cr_assert(F.v.heuristics & KP_H_HIDDEN_HANDOFF);
    cr_assert_leq(F.v.confidence, 0.3);
    cr_assert_gt(F.v.confidence, 0.0);
    F.c.disabled = KP_H_HIDDEN_HANDOFF;
    decide(&F);
    cr_assert_gt(F.v.confidence, 0.5, "without the rule only the silent gap costs");
    done(&F);
}

Test(verdict, unknown_transit_then_silent_target_routers_is_kept)
{
    /* VP provider, two hops of an AS outside the list (a regional transit),
     * two silent NK routers, the destination: the regional AS handed over
     * (it is not the vantage point's network). */
    const struct spec s[] = {
        {1, "198.18.0.1", VPNET, PUB, 1.0},
        {2, "198.18.160.1", 64600, PUB, 5.0},
        {3, "198.18.160.10", 64600, PUB, 6.0},
        {6, DST, NK, PUB, 9.0, REPLY, KP_HOP_FROM_DST},
    };
    build(&F, DST, NK, s, 4);
    decide(&F);
    cr_assert_eq(F.v.status, KP_TRANSIT_REACHED);
    cr_assert_eq(F.v.asn, 64600u);
    cr_assert_eq(F.v.silent_ttls, 2);
    cr_assert(!(F.v.heuristics & KP_H_HIDDEN_HANDOFF));
    done(&F);
}

Test(verdict, vp_inside_transit_of_interest_then_silence_is_kept)
{
    /* A vantage point inside Unicom: Unicom, Unicom, silence, NK. */
    const struct spec s[] = {
        {1, "219.158.1.1", UNICOM, PUB, 1.0},
        {2, "219.158.3.1", UNICOM, PUB, 20.0},
        {5, DST, NK, PUB, 45.0, REPLY, KP_HOP_FROM_DST},
    };
    build(&F, DST, NK, s, 3);
    decide(&F);
    cr_assert_eq(F.v.status, KP_TRANSIT_REACHED);
    cr_assert_eq(F.v.asn, UNICOM);
    cr_assert(!(F.v.heuristics & KP_H_HIDDEN_HANDOFF));
    done(&F);
}

Test(verdict, target_numbered_border_router_with_p2p_mate)
{
    /* Unicom's border answers from its end of a border /30 numbered from NK's
     * space (.2), NK's ingress answers from the other end (.1): the first
     * target-space address is Unicom's router; the Unicom hop before it hands
     * over, the border is the mate. */
    const struct spec s[] = {
        {1, "198.18.0.1", VPNET, PUB, 1.0},    {2, "219.158.1.1", UNICOM, PUB, 30.0},
        {3, "219.158.2.1", UNICOM, PUB, 40.0}, {4, "175.45.179.254", NK, PUB, 45.0},
        {5, "175.45.179.253", NK, PUB, 55.0},  {6, DST, NK, PUB, 56.0, REPLY, KP_HOP_FROM_DST},
    };
    build(&F, DST, NK, s, 6);
    decide(&F);
    cr_assert_eq(F.v.status, KP_TRANSIT_REACHED);
    cr_assert_eq(F.v.asn, UNICOM);
    cr_assert_eq(F.v.handoff_hop, 2);
    cr_assert_eq(F.v.target_hop, 3);
    cr_assert_eq(F.v.border_hop, 4);
    cr_assert(F.v.heuristics & KP_H_P2P_MATE);
    done(&F);
}

Test(verdict, rtt_jump_only_supports)
{
    /* Same path with and without a big RTT rise: same transit, slightly
     * higher confidence with it. */
    const struct spec a[] = {
        {1, "219.158.3.1", UNICOM, PUB, 40.0},
        {2, "10.1.1.1", 0, PRIV, 41.0},
        {3, "175.45.176.1", NK, PUB, 45.0},
    };
    const struct spec b[] = {
        {1, "219.158.3.1", UNICOM, PUB, 40.0},
        {2, "10.1.1.1", 0, PRIV, 41.0},
        {3, "175.45.176.1", NK, PUB, 95.0},
    };
    build(&F, DST, NK, a, 3);
    decide(&F);
    double ca = F.v.confidence;
    cr_assert(!(F.v.heuristics & KP_H_RTT_JUMP));
    done(&F);
    build(&F, DST, NK, b, 3);
    decide(&F);
    cr_assert_eq(F.v.asn, UNICOM);
    cr_assert(F.v.heuristics & KP_H_RTT_JUMP);
    cr_assert_float_eq(F.v.confidence, ca + 0.05, 1e-9);
    done(&F);
}

Test(verdict, multi_origin_handoff_lowers_confidence)
{
    const struct spec s[] = {
        {1, "219.158.3.1", UNICOM, PUB, 40.0},
        {2, "175.45.176.1", NK, PUB, 45.0},
    };
    build(&F, DST, NK, s, 2);
    F.ann[0].origins[1] = 9929;
    F.ann[0].n_origins = 2;
    decide(&F);
    cr_assert_eq(F.v.asn, UNICOM, "first origin is the most seen");
    cr_assert(F.v.heuristics & KP_H_MULTI_ORIGIN);
    cr_assert_float_eq(F.v.confidence, 0.8, 1e-9);
    done(&F);
}

Test(verdict, target_through_second_origin)
{
    /* A hop whose prefix has origins {64510, 131279} counts as the target. */
    const struct spec s[] = {
        {1, "219.158.3.1", UNICOM, PUB, 40.0},
        {2, "175.45.176.1", 64510, PUB, 45.0},
    };
    build(&F, DST, NK, s, 2);
    F.ann[1].origins[1] = NK;
    F.ann[1].n_origins = 2;
    decide(&F);
    cr_assert_eq(F.v.status, KP_TRANSIT_REACHED);
    cr_assert_eq(F.v.asn, UNICOM);
    done(&F);
}

Test(verdict, per_ttl_first_attempt_and_load_balancing)
{
    /* TTL 2 answered by a Unicom router on attempt 0 and by a TTC router on
     * attempt 1 (per-packet balancing): attempt 0 is used, the flag fires. */
    const struct spec s[] = {
        {1, "198.18.0.1", VPNET, PUB, 1.0},
        {2, "188.43.225.153", TTC, PUB, 41.0, 0, 0, 0, 0, 0, 0, 1},
        {2, "219.158.3.1", UNICOM, PUB, 40.0, 0, 0, 0, 0, 0, 0, 0},
        {3, "175.45.176.1", NK, PUB, 45.0},
    };
    build(&F, DST, NK, s, 4);
    decide(&F);
    cr_assert_eq(F.v.asn, UNICOM);
    cr_assert_eq(F.v.handoff_hop, 2);
    cr_assert(F.v.heuristics & KP_H_LOAD_BALANCED);
    done(&F);
}

Test(verdict, duplicates_are_ignored)
{
    const struct spec s[] = {
        {1, "219.158.3.1", UNICOM, PUB, 40.0},
        {1, "188.43.225.153", TTC, PUB, 40.0, 0, 0, KP_HOP_DUP},
        {2, "175.45.176.1", NK, PUB, 45.0},
    };
    build(&F, DST, NK, s, 3);
    decide(&F);
    cr_assert_eq(F.v.asn, UNICOM);
    cr_assert(!(F.v.heuristics & KP_H_LOAD_BALANCED));
    done(&F);
}

Test(verdict, destination_only_in_target)
{
    /* No router of the target answers; the destination (in the target by the
     * destination annotation) does, from an address the hop tables miss. */
    const struct spec s[] = {
        {1, "219.158.3.1", UNICOM, PUB, 40.0},
        {5, DST, 0, UNANN, 90.0, ECHO, KP_HOP_FROM_DST},
    };
    build(&F, DST, NK, s, 2);
    decide(&F);
    cr_assert_eq(F.v.status, KP_TRANSIT_REACHED);
    cr_assert_eq(F.v.asn, UNICOM);
    cr_assert(F.v.heuristics & KP_H_DST_ONLY);
    cr_assert_eq(F.v.silent_ttls, 3);
    done(&F);
}

Test(verdict, destination_outside_target_is_undetermined)
{
    const struct spec s[] = {
        {1, "219.158.3.1", UNICOM, PUB, 40.0},
        {2, "77.94.35.1", 64509, PUB, 500.0, ECHO, KP_HOP_FROM_DST},
    };
    build(&F, "77.94.35.1", 64509, s, 2);
    decide(&F);
    cr_assert_eq(F.v.status, KP_TRANSIT_UNDETERMINED);
    done(&F);
}

Test(verdict, configurable_target_set)
{
    /* With the target set {64509} the SatGate-like destination is the target
     * and Intelsat hands traffic to it. */
    static const uint32_t targets[] = {131279, 64509};
    const struct spec s[] = {
        {1, "198.18.0.1", VPNET, PUB, 1.0},
        {2, "203.0.113.5", 22351, PUB, 300.0},
        {3, "77.94.35.1", 64509, PUB, 900.0, ECHO, KP_HOP_FROM_DST},
    };
    build(&F, "77.94.35.1", 64509, s, 3);
    F.c.targets = targets;
    F.c.n_targets = 2;
    decide(&F);
    cr_assert_eq(F.v.status, KP_TRANSIT_REACHED);
    cr_assert_eq(F.v.asn, 22351u);
    cr_assert_str_eq(F.v.name, "Intelsat");
    done(&F);
}

Test(verdict, bad_arguments)
{
    const struct spec s[] = {{1, "219.158.3.1", UNICOM, PUB, 40.0}};
    build(&F, DST, NK, s, 1);
    cr_assert_eq(kp_verdict_decide(&F.c, &F.t, F.ann, 0, &F.dst, &F.v), -EINVAL);
    cr_assert_eq(kp_verdict_decide(NULL, &F.t, F.ann, 1, &F.dst, &F.v), -EINVAL);
    done(&F);
}

Test(verdict, names)
{
    cr_assert_str_eq(kp_transit_status_name(KP_TRANSIT_FILTERED), "filtered");
    cr_assert_eq(kp_transit_status_from_name("incomplete"), KP_TRANSIT_INCOMPLETE);
    cr_assert_eq(kp_transit_status_from_name("bogus"), KP_TRANSIT_UNDETERMINED);
    cr_assert_str_eq(kp_heuristic_name(KP_H_P2P_MATE), "p2p-mate");
    cr_assert_eq(kp_heuristic_from_name("neighbour-numbered-border"), KP_H_NEIGHBOUR_BORDER);
    cr_assert_eq(kp_heuristic_from_name("nope"), 0u);
    cr_assert_str_eq(kp_hop_class_name(KP_HCLASS_SHARED), "shared");
}
