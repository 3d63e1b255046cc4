/* SPDX-License-Identifier: BSD-2-Clause */
/* method_udp.c — "udp": classic Linux-traceroute-style UDP probes, the
 * destination port growing with each probe (base + (ttl-1)*4 + attempt), so
 * each probe may take another path through load balancers. Kept for
 * comparison with the Paris methods. Identity as udp-paris (IP ID and UDP
 * checksum), keyed on the base port; build and match live in
 * method_udp_paris.c. */
#include "core/methods/method_impl.h"

static int udp_build(const struct kp_probe_spec *spec, uint8_t *buf, size_t *len)
{
    return kp_mi_udp_build(&kp_method_udp, spec, buf, len);
}

static int udp_patch(const struct kp_probe_spec *spec, uint8_t *pkt, size_t len)
{
    return kp_mi_udp_patch(&kp_method_udp, spec, pkt, len);
}

static int udp_match(const struct kp_pkt *r, const struct kp_addr *src, const struct kp_key *key,
                     struct kp_match *out)
{
    return kp_mi_udp_match(KP_METHOD_UDP, r, src, key, out);
}

const struct kp_method_ops kp_method_udp = {
    .name = "udp",
    .id = KP_METHOD_UDP,
    .proto = KP_PROTO_UDP,
    .min_size = 20 + 8 + KP_MARKER_LEN,
    .bpf_replies =
        "(icmp and (icmp[icmptype] == icmp-timxceed or icmp[icmptype] == icmp-unreach or "
        "icmp[icmptype] == icmp-paramprob)) or icmp6",
    .build = udp_build,
    .patch = udp_patch,
    .match = udp_match,
};
