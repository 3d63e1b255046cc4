/* SPDX-License-Identifier: BSD-2-Clause */
/* method_impl.h — helpers shared by the method tables (core/methods/method_*.c).
 * Internal to the codec: not for use outside core/methods/method*.c. Pure: no
 * sockets, clocks or globals (libnet is used only to build bytes in memory).
 */
#ifndef KP_METHOD_IMPL_H
#define KP_METHOD_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "core/methods/method.h"
#include "core/base/proto.h"
#include "core/codec/probe_payload.h"

/* Describes one IPv4 or IPv6 probe for kp_mi_build. The transport-specific fields
 * are used according to proto. */
struct kp_mi_probe {
    enum kp_method method;
    uint8_t proto;
    uint16_t size; /* total IP length */
    uint16_t ip_id;
    uint8_t ttl;
    struct kp_addr src, dst;
    uint16_t sport, dport; /* UDP/TCP */
    uint16_t echo_id, echo_seq;
    uint32_t tcp_seq;
    bool fix_sum; /* adjust the marker's last word so the UDP/ICMP
                     checksum equals want_sum */
    uint16_t want_sum;
    struct kp_marker marker;
};

/* The fields every method's probe takes from its spec and identity: method
 * and protocol (ops), size, IP ID, TTL, addresses, and the marker (method,
 * TTL, attempt, trace id, slot, tag). The caller adds the transport fields
 * (ports, echo id and sequence, TCP sequence, checksum to keep). */
struct kp_mi_probe kp_mi_probe_from_spec(const struct kp_method_ops *ops,
                                         const struct kp_probe_spec *spec, uint16_t size,
                                         const struct kp_id_fields *id);

/* Build the probe (IPv4 or IPv6 after dst.family) with libnet into buf (*len in: capacity, out:
 * length). 0, -ENOSPC, -EINVAL, -ENOMEM (libnet failed) or -EIO (internal check of the checksum
 * adjustment failed). */
int kp_mi_build(const struct kp_mi_probe *p, uint8_t *buf, size_t *len);

/* Validate the common parts of a spec and resolve defaults: total size
 * (0 = min_size), flow value. 0 or -EINVAL / -ENOSPC. */
int kp_mi_spec_check(const struct kp_method_ops *ops, const struct kp_probe_spec *spec, size_t cap,
                     uint16_t *size);

/* Common checks for an ICMP error quoting a probe of protocol proto (pass
 * KP_PROTO_ICMP for both ICMP and ICMPv6), of the reply's IP version:
 * outer destination is src (when set), a quote of at least 8 transport bytes.
 * Fills out->dst, out->from_dst. 0 or -ENOENT. */
int kp_mi_error_quote(const struct kp_pkt *r, const struct kp_addr *src, uint8_t proto,
                      struct kp_match *out);

/* In-place patch of an IPv4 probe of method ops for spec's TTL and attempt
 * (method.h: patch); flow and dport as the builder chose them. */
int kp_mi_patch(const struct kp_method_ops *ops, const struct kp_probe_spec *spec, uint16_t flow,
                uint16_t dport, uint8_t *pkt, size_t len);

/* Ones-complement helpers on 16-bit words. */
uint16_t kp_mi_oc_add(uint16_t a, uint16_t b);

/* The UDP methods share build and match; classic selects method udp. */
int kp_mi_udp_build(const struct kp_method_ops *ops, const struct kp_probe_spec *spec, uint8_t *buf,
                    size_t *len);
int kp_mi_udp_patch(const struct kp_method_ops *ops, const struct kp_probe_spec *spec, uint8_t *pkt,
                    size_t len);
int kp_mi_udp_match(enum kp_method method, const struct kp_pkt *r, const struct kp_addr *src,
                    const struct kp_key *key, struct kp_match *out);

#endif
