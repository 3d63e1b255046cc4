/* SPDX-License-Identifier: BSD-2-Clause */
/* decode.h — bounds-checked decoding of captured frames and IP packets.
 *
 * One decoder for everything kptrace receives or replays: live capture and
 * capture files both call kp_decode_frame(). Pure: no allocation, no globals;
 * the decoded view points into the caller's buffer and lives as long as it.
 */
#ifndef KP_DECODE_H
#define KP_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/addr.h"
#include "core/record/trace.h"

/* Status codes (negative), besides 0 = decoded. */
#define KP_DEC_OK          0
#define KP_DEC_TRUNCATED   (-1) /* frame or header shorter than it says */
#define KP_DEC_MALFORMED   (-2) /* a field is impossible (bad version, IHL < 5, ...) */
#define KP_DEC_UNSUPPORTED (-3) /* link type or ethertype or protocol we don't handle */
#define KP_DEC_FRAGMENT    (-4) /* a non-first fragment: no transport header */

/* Link types we decode (values of pcap DLT_* / LINKTYPE_*). */
#define KP_DLT_NULL       0   /* BSD loopback: 4-byte host-order AF */
#define KP_DLT_EN10MB     1   /* Ethernet, with 802.1Q/802.1ad tags */
#define KP_DLT_RAW        12  /* raw IP (DLT_RAW on Linux/most) */
#define KP_DLT_RAW_ALT    14  /* raw IP (DLT_RAW on OpenBSD) */
#define KP_DLT_LOOP       108 /* OpenBSD loopback: 4-byte network-order AF */
#define KP_DLT_LINUX_SLL  113 /* Linux cooked v1 (tcpdump -i any) */
#define KP_LINKTYPE_RAW   101 /* raw IP (LINKTYPE_RAW in files) */
#define KP_LINKTYPE_IPV4  228
#define KP_LINKTYPE_IPV6  229
#define KP_DLT_LINUX_SLL2 276 /* Linux cooked v2 */

/* The transport header of a packet (outer or quoted). Only fields that were
 * present in the captured bytes are valid: see len (bytes of transport header
 * available), e.g. a router that quotes 8 bytes gives ports and checksum for
 * UDP, type/code/checksum/id/seq for ICMP, ports and sequence for TCP. */
struct kp_l4 {
    uint8_t proto; /* IPPROTO_ICMP / ICMPV6 / UDP / TCP, or other */
    uint16_t len;  /* transport bytes available in the capture */
    /* UDP and TCP */
    uint16_t sport, dport;
    /* UDP */
    uint16_t udp_len, udp_sum;
    /* TCP (seq needs 8 bytes; the rest needs 20) */
    uint32_t tcp_seq, tcp_ack;
    uint8_t tcp_flags;
    bool tcp_full; /* ack/flags valid */
    uint16_t tcp_win;
    const uint8_t *tcp_opts; /* TCP options (within the capture), NULL if none */
    size_t tcp_opts_len;
    /* ICMP / ICMPv6 */
    uint8_t icmp_type, icmp_code;
    uint16_t icmp_sum, icmp_id, icmp_seq;
    /* ICMP errors: the RFC 4884 length byte as sent (v4: 32-bit words at
     * byte 5; v6: 64-bit words at byte 4), 0 when absent; next-hop MTU for
     * ICMPv4 frag-needed (3/4) and ICMPv6 packet-too-big. */
    uint8_t icmp_rfc4884_len;
    uint16_t icmp_mtu;
    /* Transport checksum verdict: 1 valid, 0 invalid, -1 not checkable (not
     * all bytes captured, a quote, or UDP checksum 0 = none). */
    int8_t sum_ok;
    const uint8_t *payload; /* after the transport header, NULL if none */
    size_t payload_len;
};

/* An IPv4/IPv6 header as decoded. */
struct kp_ip {
    uint8_t version; /* 4 or 6 */
    struct kp_addr src, dst;
    uint8_t ttl;      /* TTL / hop limit */
    uint8_t proto;    /* next protocol (after IPv6 extension headers) */
    uint16_t ip_id;   /* IPv4 identification (0 for IPv6) */
    uint16_t tot_len; /* total length claimed by the header */
    uint8_t tos;
    uint16_t frag;      /* IPv4 flags+offset as on the wire (host order) */
    uint32_t flowlabel; /* IPv6 */
    bool sum_ok;        /* IPv4 header checksum valid (always true for IPv6) */
    uint16_t hdr_len;   /* header bytes incl. IPv6 extensions */
};

/* A decoded packet: outer IP + transport, and for ICMP errors the quoted
 * probe (IP header + as much transport as the router quoted) and any
 * RFC 4884/4950 MPLS label stack. */
struct kp_pkt {
    struct kp_ip ip;
    struct kp_l4 l4;
    bool is_icmp_error;   /* time exceeded / unreachable / param problem */
    bool has_quote;       /* quoted IP header decoded */
    struct kp_ip q_ip;    /* the quoted probe's IP header */
    struct kp_l4 q_l4;    /* the quoted transport header (q_l4.len may be < 8) */
    uint16_t quote_len;   /* bytes of quoted datagram present */
    const uint8_t *quote; /* the quoted datagram (into the caller's buffer) */
    int quote_status;     /* KP_DEC_* from decoding the quote (TRUNCATED when
                             fewer than 8 transport bytes were quoted, ...) */
    /* RFC 4884 extension structure, when one was found (with a valid RFC
     * 4884 length, or in the pre-4884 compatibility layout at offset 128). */
    bool has_ext;
    bool ext_compat;     /* found via the 128-byte compatibility rule */
    bool mpls_truncated; /* more than KP_MAX_MPLS entries, or a cut object */
    uint8_t n_mpls;
    struct kp_mpls mpls[KP_MAX_MPLS];
    uint16_t wire_len; /* IP length on the wire (from the header) */
    uint16_t cap_len;  /* IP bytes actually captured */
};

/* Decode an IP packet (v4 or v6) starting at its first byte.
 * Returns KP_DEC_OK or a negative KP_DEC_* status. *out is zeroed first and
 * filled as far as decoding got; pointers inside it point into buf. Never
 * reads outside buf[0..len). For ICMP errors the quoted datagram is decoded
 * as far as it was captured: a quote with fewer transport bytes than a full
 * header still gives what it holds (see kp_l4.len) and the call returns
 * KP_DEC_OK with quote_status saying how far the quote got.
 * IPv4 packets whose captured length exceeds tot_len are cut at tot_len
 * (Ethernet padding). Non-first fragments return KP_DEC_FRAGMENT with the IP
 * header decoded. */
int kp_decode_ip(const uint8_t *buf, size_t len, struct kp_pkt *out);

/* Strip the link layer of a captured frame of link type dlt (KP_DLT_* /
 * LINKTYPE_* values) and return the IP packet inside: *ip and *ip_len point
 * into frame. Returns KP_DEC_OK or a negative KP_DEC_* status. */
int kp_decode_link(int dlt, const uint8_t *frame, size_t caplen, const uint8_t **ip,
                   size_t *ip_len);

/* kp_decode_link followed by kp_decode_ip. */
int kp_decode_frame(int dlt, const uint8_t *frame, size_t caplen, struct kp_pkt *out);

/* Human-readable name of a KP_DEC_* status. */
const char *kp_decode_strerror(int status);

/* Internet checksum (RFC 1071) helpers, exposed for builders and tests.
 * kp_cksum_add adds data to a ones-complement sum (returned folded to 16 bits, so a caller may add
 * a few more words to it); kp_cksum_fold folds and complements. */
uint32_t kp_cksum_add(uint32_t sum, const void *data, size_t len);
uint16_t kp_cksum_fold(uint32_t sum);

#endif
