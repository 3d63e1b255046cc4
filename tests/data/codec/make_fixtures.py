#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Regenerate the codec fixtures (small pcap files, one per link type).

Every packet is assembled here by hand from the RFCs with Python's struct
module, independently of kptrace's C code; tshark is the reference decoder for
the expected values in tests/unit/test_decode.c (see README.md).
Run: python3 make_fixtures.py  (writes *.pcap next to this script)
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ip4(a):
    return bytes(int(x) for x in a.split("."))


def ip6(a):
    import ipaddress
    return ipaddress.IPv6Address(a).packed


def ipv4(src, dst, proto, payload, ttl=64, ident=0, frag=0):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, frag, ttl, proto, 0,
                    ip4(src), ip4(dst))
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def ipv6(src, dst, nh, payload, hlim=64):
    return struct.pack("!IHBB16s16s", 6 << 28, len(payload), nh, hlim, ip6(src), ip6(dst)) + payload


def l4sum4(src, dst, proto, seg):
    return csum(ip4(src) + ip4(dst) + struct.pack("!BBH", 0, proto, len(seg)) + seg)


def l4sum6(src, dst, nh, seg):
    return csum(ip6(src) + ip6(dst) + struct.pack("!IxxxB", len(seg), nh) + seg)


def udp4(src, dst, sp, dp, data):
    seg = struct.pack("!HHHH", sp, dp, 8 + len(data), 0) + data
    s = l4sum4(src, dst, 17, seg)
    return seg[:6] + struct.pack("!H", s) + seg[8:]


def udp6(src, dst, sp, dp, data):
    seg = struct.pack("!HHHH", sp, dp, 8 + len(data), 0) + data
    s = l4sum6(src, dst, 17, seg)
    return seg[:6] + struct.pack("!H", s) + seg[8:]


def icmp4(t, c, rest4, data):
    m = struct.pack("!BBH", t, c, 0) + rest4 + data
    return m[:2] + struct.pack("!H", csum(m)) + m[4:]


def icmp6(src, dst, t, c, rest4, data):
    m = struct.pack("!BBH", t, c, 0) + rest4 + data
    return m[:2] + struct.pack("!H", l4sum6(src, dst, 58, m)) + m[4:]


def tcp4(src, dst, sp, dp, seq, ack, flags, opts=b""):
    off = (20 + len(opts)) // 4
    seg = struct.pack("!HHIIBBHHH", sp, dp, seq, ack, off << 4, flags, 29200, 0, 0) + opts
    s = l4sum4(src, dst, 6, seg)
    return seg[:16] + struct.pack("!H", s) + seg[18:]


def mpls_ext(entries):
    obj = b"".join(struct.pack("!I", (lab << 12) | (tc << 9) | (s << 8) | ttl)
                   for lab, tc, s, ttl in entries)
    obj = struct.pack("!HBB", 4 + len(obj), 1, 1) + obj
    hdr = struct.pack("!BBH", 0x20, 0, 0)
    e = hdr + obj
    return e[:2] + struct.pack("!H", csum(e)) + e[4:]


ME, R1, DST = "198.18.0.2", "198.18.1.1", "203.0.113.7"
MPLS = [(16005, 0, 0, 1), (24001, 5, 1, 1)]

# The probe: a udp-paris-like datagram, 46 bytes, TTL 1 as the router saw it.
probe_udp = ipv4(ME, DST, 17, udp4(ME, DST, 34002, 33435, b"KPT1" + bytes(14)), ttl=1,
                 ident=0x1548)
probe_icmp = ipv4(ME, DST, 1, icmp4(8, 0, struct.pack("!HH", 34002, 0x1514), b"KPT1" + bytes(14)),
                  ttl=1, ident=0xEA0B)
probe_tcp = ipv4(ME, DST, 6, tcp4(ME, DST, 34002, 80, 0x152FF599, 0, 0x02), ttl=3, ident=0x0924)


def pad(b, n):
    return b + bytes(n - len(b))


packets = {}
# 1. time exceeded, RFC 4884 length 32 words (128 bytes), MPLS object
packets["te_udp_mpls"] = ipv4(R1, ME, 1, icmp4(11, 0, struct.pack("!BBH", 0, 32, 0),
                                               pad(probe_udp, 128) + mpls_ext(MPLS)), ttl=254)
# 2. same in the pre-RFC 4884 compatibility layout (length 0, extension at 128)
packets["te_udp_compat"] = ipv4(R1, ME, 1, icmp4(11, 0, bytes(4),
                                                 pad(probe_udp, 128) + mpls_ext(MPLS)), ttl=254)
# 3. time exceeded quoting only 8 bytes of an echo request
packets["te_icmp_8"] = ipv4(R1, ME, 1, icmp4(11, 0, bytes(4), probe_icmp[:28]), ttl=253)
# 4. admin prohibited (3/13) quoting 8 bytes of a SYN
packets["unreach_tcp_8"] = ipv4("198.18.2.2", ME, 1, icmp4(3, 13, bytes(4), probe_tcp[:28]),
                                 ttl=60)
# 5. SYN-ACK from the destination, ack = seq + 1, with an MSS option
packets["synack"] = ipv4(DST, ME, 6, tcp4(DST, ME, 80, 34002, 0x01020304, 0x152FF59A, 0x12,
                                          bytes([2, 4, 5, 0xB4])), ttl=57)
# 6. IPv6: ICMPv6 time exceeded (RFC 4884 length in 64-bit words: 16 = 128
#    bytes) quoting a UDP probe that carries a destination-options header,
#    with the MPLS object.
S6, R6, D6 = "2001:db8::2", "2001:db8:1::1", "2001:db8:ff::7"
dstopt = bytes([17, 0, 1, 4, 0, 0, 0, 0])  # next UDP, len 0, PadN(4)
probe6 = ipv6(S6, D6, 60, dstopt + udp6(S6, D6, 34002, 33435, b"KPT1" + bytes(14)), hlim=1)
packets["te6_udp_mpls"] = ipv6(R6, S6, 58, icmp6(R6, S6, 3, 0, struct.pack("!BBH", 16, 0, 0),
                                                 pad(probe6, 128) + mpls_ext(MPLS)), hlim=250)
# 7. a non-first IPv4 fragment
packets["frag"] = ipv4(DST, ME, 17, bytes(16), ident=7, frag=185)

ORDER = ["te_udp_mpls", "te_udp_compat", "te_icmp_8", "unreach_tcp_8", "synack", "te6_udp_mpls",
         "frag"]


def is6(p):
    return p[0] >> 4 == 6


def link(lt, p):
    et = 0x86DD if is6(p) else 0x0800
    if lt == "en10mb":
        return bytes.fromhex("020000000002020000000001") + struct.pack("!H", et) + p
    if lt == "en10mb_vlan":
        return (bytes.fromhex("020000000002020000000001") + struct.pack("!HHH", 0x8100, 42, et) + p)
    if lt == "en10mb_qinq":
        return (bytes.fromhex("020000000002020000000001") +
                struct.pack("!HHHHH", 0x88A8, 100, 0x8100, 42, et) + p)
    if lt == "sll":
        return struct.pack("!HHH8sH", 0, 1, 6, bytes.fromhex("0200000000010000"), et) + p
    if lt == "sll2":
        return struct.pack("!HHIHBB8s", et, 0, 2, 1, 0, 6, bytes.fromhex("0200000000010000")) + p
    if lt in ("raw", "ipv4", "ipv6"):
        return p
    if lt == "null":  # host order of a little-endian capturer; AF_INET6 = 30 (macOS)
        return struct.pack("<I", 30 if is6(p) else 2) + p
    if lt == "loop":  # OpenBSD: network order; AF_INET6 = 24
        return struct.pack("!I", 24 if is6(p) else 2) + p
    raise ValueError(lt)


LINKTYPES = {"en10mb": 1, "en10mb_vlan": 1, "en10mb_qinq": 1, "sll": 113, "sll2": 276,
             "raw": 101, "ipv4": 228, "ipv6": 229, "null": 0, "loop": 108}


def write_pcap(name, lt, frames):
    with open(os.path.join(HERE, name + ".pcap"), "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, LINKTYPES[lt]))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 1700000000 + i, 0, len(fr), len(fr)))
            f.write(fr)


for lt in LINKTYPES:
    names = ORDER
    if lt == "ipv4":
        names = [n for n in ORDER if not is6(packets[n])]
    if lt == "ipv6":
        names = [n for n in ORDER if is6(packets[n])]
    write_pcap("link_" + lt, lt, [link(lt, packets[n]) for n in names])
