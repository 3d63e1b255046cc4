/* SPDX-License-Identifier: BSD-2-Clause */
/* method.h — a traceroute method as a const table of pure functions
 * (in the spirit of zmap's probe modules and scamper's per-method files).
 *
 * Each method lives in its own file (core/methods/method_<name>.c) and exports one
 * `const struct kp_method_ops kp_method_<name>`. kp_method_find() looks them up
 * by name. No method function touches a socket, a clock or a global.
 */
#ifndef KP_METHOD_H
#define KP_METHOD_H

#include <stddef.h>
#include <stdint.h>

#include "core/base/addr.h"
#include "core/codec/decode.h"
#include "core/codec/identity.h"
#include "core/record/trace.h"

/* Everything needed to build one probe. Flow fields stay constant across a
 * Paris trace; ttl/attempt vary per probe. */
struct kp_probe_spec {
    struct kp_addr src, dst;
    /* UDP/TCP source port and ICMP echo id: 0 = kp_id_flow(trace_id), which is
     * what lets a matcher recover trace_id from a quote (use 0 unless testing).
     * A non-zero value is sent as given. */
    uint16_t sport;
    uint16_t dport;           /* UDP/TCP destination port (classic udp: base port,
                                 the wire port is base + (ttl-1)*4 + attempt);
                                 0 = method default (udp 33434, udp-paris 33435,
                                 tcp-syn 80) */
    uint16_t icmp_id;         /* ICMP echo identifier (see sport) */
    uint8_t ttl;              /* 1..KP_ID_TTL_MAX (63) */
    uint8_t attempt;          /* 0..KP_ID_ATTEMPT_MAX (3) */
    uint32_t trace_id;        /* run-local trace number (32 bits, in the marker; the
                                 flow value carries its low 15 bits) */
    uint16_t slot;            /* the prober's slot of the trace (marker, see
                                 probe_payload.h) */
    uint16_t size;            /* total IP length wanted (>= kp_method_min_size), 0 =
                                 that minimum; ignored by tcp-syn (fixed size) */
    const struct kp_key *key; /* keyed-hash secret for the identity */
};

/* What a reply tells once matched to a probe of this method. */
struct kp_match {
    uint32_t trace_id;  /* valid when trace_known */
    bool trace_known;   /* false: the flow value that carries the trace id
                           was rewritten beyond recovery (or is not of the
                           kptrace form); look the trace up by (dst, method).
                           When true, still check the trace's dst/method. */
    uint16_t flow;      /* original source port / echo id as sent (recovered
                           when a NAT rewrote it), valid with trace_known */
    struct kp_addr dst; /* the probe's destination (quoted dst, or the
                           replying destination itself) */
    uint8_t ttl, attempt;
    bool nat;        /* the quoted flow fields / checksum were rewritten */
    uint16_t nat_id; /* Dublin-traceroute NAT id (quoted checksum - sent
                        checksum, mod 2^16) when nat; 0 for tcp-syn */
    bool from_dst;   /* reply comes from the destination (reached) */
};

struct kp_method_ops {
    const char *name; /* "icmp-paris", "udp-paris", "tcp-syn", "udp" */
    enum kp_method id;
    uint8_t proto;     /* IPPROTO_* of the probe */
    uint16_t min_size; /* smallest IPv4 length it builds (IPv6: +20, kp_method_min_size) */
    /* BPF filter text (pcap syntax) selecting the replies this method can
     * match (IPv4 and IPv6); the caller adds its own address / probe terms. */
    const char *bpf_replies; /* e.g. "icmp or (tcp and tcp[13] & 0x16 != 0)" */
    /* Build one probe (IP header included) into buf of *len bytes; on success
     * *len is the packet length. 0, -ENOSPC (buf too small) or -EINVAL. */
    int (*build)(const struct kp_probe_spec *spec, uint8_t *buf, size_t *len);
    /* Turn pkt[0..len), a probe `build` made for the same trace (the same
     * spec but for ttl and attempt), into spec's probe in place: the bytes
     * `build` would write for it, without building anything (the prober
     * keeps one template per trace). 0, or -EINVAL (not such a probe, or
     * IPv6: build it instead). */
    int (*patch)(const struct kp_probe_spec *spec, uint8_t *pkt, size_t len);
    /* Match a decoded reply against this method's identity encoding. `key`
     * validates it; `src` is our own address (replies must be for it; NULL or
     * unset = don't check). Handles ICMP time-exceeded / unreachable / param
     * problem quoting a probe of this method (any quote of >= 8 transport
     * bytes), and the destination's own answers: echo reply (icmp-paris),
     * TCP SYN-ACK or RST with ack = seq + 1 (tcp-syn).
     * 0 with *out filled, -ENOENT (not ours / not this method), -EBADMSG
     * (looks like ours but fails validation: spoofed or corrupted). */
    int (*match)(const struct kp_pkt *reply, const struct kp_addr *src, const struct kp_key *key,
                 struct kp_match *out);
};

/* The four tables (defined in core/methods/method_<name>.c). */
extern const struct kp_method_ops kp_method_icmp_paris;
extern const struct kp_method_ops kp_method_udp_paris;
extern const struct kp_method_ops kp_method_tcp_syn;
extern const struct kp_method_ops kp_method_udp;

/* Registry: the const tables, NULL-terminated, and lookups.
 * Returned pointers are to static const data; NULL when unknown. */
extern const struct kp_method_ops *const kp_methods[];
const struct kp_method_ops *kp_method_find(const char *name);
const struct kp_method_ops *kp_method_by_id(enum kp_method id);

/* Smallest (and default) probe size of a method for an address family
 * (4 or 6). */
uint16_t kp_method_min_size(const struct kp_method_ops *ops, int family);

/* Try every registered method's match on a decoded reply. Returns 0 with
 * *out filled and *which set to the matching table; -EBADMSG if some method
 * recognised its encoding but validation failed (and none matched); -ENOENT
 * otherwise. which may be NULL. */
int kp_method_match_any(const struct kp_pkt *reply, const struct kp_addr *src,
                        const struct kp_key *key, struct kp_match *out,
                        const struct kp_method_ops **which);

#endif
