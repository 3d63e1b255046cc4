/* SPDX-License-Identifier: BSD-2-Clause */
/* proto.h — the protocol numbers, ICMP/ICMPv6 types and codes and header
 * lengths kptrace reads and writes. One definition for the codec, the probe
 * methods, the classifiers and the tests; values from the IANA registries
 * (RFC 792, RFC 4443, RFC 768, RFC 793, RFC 8200). Constants only. */
#ifndef KP_PROTO_H
#define KP_PROTO_H

/* IP protocol numbers (IPv4 protocol / IPv6 next header) */
#define KP_PROTO_ICMP   1
#define KP_PROTO_TCP    6
#define KP_PROTO_UDP    17
#define KP_PROTO_ICMPV6 58

/* ICMP (IPv4) types and codes */
#define KP_ICMP_ECHOREPLY        0
#define KP_ICMP_UNREACH          3
#define KP_ICMP_UNREACH_NEEDFRAG 4 /* code of KP_ICMP_UNREACH */
#define KP_ICMP_ECHO             8
#define KP_ICMP_TIMXCEED         11
#define KP_ICMP_PARAMPROB        12

/* ICMPv6 types */
#define KP_ICMP6_UNREACH    1
#define KP_ICMP6_PKT_TOOBIG 2
#define KP_ICMP6_TIMXCEED   3
#define KP_ICMP6_PARAMPROB  4
#define KP_ICMP6_ECHO       128
#define KP_ICMP6_ECHOREPLY  129

/* Header lengths in bytes (IPv4 without options, TCP without options) */
#define KP_IPV4_HDR_LEN 20
#define KP_IPV6_HDR_LEN 40
#define KP_UDP_HDR_LEN  8
#define KP_TCP_HDR_LEN  20
#define KP_ICMP_HDR_LEN 8

#endif
