#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""replay_bigcap.py IN.pcap OUT.pcap COPIES STEP_S — a large synthetic capture
for the replay streaming test.

Writes COPIES copies of the frames of IN.pcap (little-endian, µs or ns pcap,
Ethernet + IPv4), copy k shifted by k*STEP_S seconds and with every
destination of the original traces (the addresses the vantage point sent
probes to) replaced by a fresh address 198.19.x.y (reused only after 65536 addresses, long after the
earlier trace closed), in the outer headers and in
the headers quoted by ICMP errors. Checksums are kept valid by RFC 1624
incremental updates (except for scamper's udp-paris probes, DF set and UDP
checksum = IP ID: there the first payload word absorbs the change and the
checksum stays, as scamper itself keeps it). So
the output holds COPIES times as many traces as the
input, each closing a few seconds after it starts: a replayer whose memory is
bounded by open traces uses the same memory for any COPIES."""
import struct
import sys


def csum_fix(buf, off, old, new):
    """RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m') for 16-bit words old->new."""
    hc = struct.unpack_from(">H", buf, off)[0]
    s = (~hc & 0xFFFF)
    for o, n in zip(old, new):
        s += (~o & 0xFFFF) + n
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    struct.pack_into(">H", buf, off, ~s & 0xFFFF)


def words(a):
    return struct.unpack(">HH", a)


def main():
    src, dst, copies, step = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    data = open(src, "rb").read()
    magic = struct.unpack_from("<I", data)[0]
    assert magic in (0xA1B2C3D4, 0xA1B23C4D), "little-endian pcap needed"
    assert struct.unpack_from("<I", data, 20)[0] == 1, "Ethernet needed"
    frac = 1_000_000 if magic == 0xA1B2C3D4 else 1_000_000_000
    frames = []
    off = 24
    while off + 16 <= len(data):
        sec, sub, cap, wire = struct.unpack_from("<IIII", data, off)
        frames.append((sec, sub, cap, wire, data[off + 16:off + 16 + cap]))
        off += 16 + cap
    # the vantage point = source of the most frames with TTL < 64; targets =
    # where it sent those
    from collections import Counter
    srcs = Counter()
    for f in frames:
        b = f[4]
        if len(b) >= 34 and b[12:14] == b"\x08\x00" and b[14 + 8] < 64:
            srcs[b[26:30]] += 1
    vp = srcs.most_common(1)[0][0]
    targets = sorted({f[4][30:34] for f in frames
                      if len(f[4]) >= 34 and f[4][12:14] == b"\x08\x00" and f[4][26:30] == vp
                      and f[4][14 + 8] < 64})
    out = open(dst, "wb")
    out.write(data[:24])
    n = 0
    for k in range(copies):
        remap = {}
        for i, t in enumerate(targets):
            # 65536 addresses, reused after 65536 / len(targets) copies: by
            # then the earlier traces to them have long closed
            idx = (k * len(targets) + i) % 65536
            remap[t] = bytes([198, 19, (idx >> 8) & 0xFF, idx & 0xFF])
        shift = int(round(k * step * frac))
        for sec, sub, cap, wire, body in frames:
            b = bytearray(body)
            if len(b) >= 34 and b[12:14] == b"\x08\x00":
                rewrite_ip(b, 14, remap, outer=True)
            t = sec * frac + sub + shift
            out.write(struct.pack("<IIII", t // frac, t % frac, cap, wire))
            out.write(b)
            n += 1
    out.close()
    print("%d frames, %d traces' destinations per copy" % (n, len(targets)))


def rewrite_ip(b, ip, remap, outer):
    ihl = (b[ip] & 0x0F) * 4
    if len(b) < ip + 20 or ihl < 20:
        return
    proto = b[ip + 9]
    l4 = ip + ihl
    for aoff in (ip + 12, ip + 16):
        a = bytes(b[aoff:aoff + 4])
        if a not in remap:
            continue
        new = remap[a]
        old_w, new_w = words(a), words(new)
        b[aoff:aoff + 4] = new
        csum_fix(b, ip + 10, old_w, new_w)  # IP header checksum
        paris = b[ip + 4:ip + 6] == b[l4 + 6:l4 + 8] and b[ip + 6] & 0x40
        if proto == 17 and paris and len(b) >= l4 + 10 and b[l4 + 6:l4 + 8] != b"\x00\x00":
            # keep the UDP checksum (scamper's udp-paris carries the probe
            # number in it) and compensate in the first payload word, as
            # scamper itself does
            old_p = struct.unpack_from(">H", b, l4 + 8)[0]
            s_ = old_p + sum(old_w) + sum((~x & 0xFFFF) for x in new_w)
            while s_ >> 16:
                s_ = (s_ & 0xFFFF) + (s_ >> 16)
            struct.pack_into(">H", b, l4 + 8, s_)
            quoted_l4_changed(b, old_p, s_, outer)
        elif proto == 17 and len(b) >= l4 + 8 and b[l4 + 6:l4 + 8] != b"\x00\x00":
            old_c = struct.unpack_from(">H", b, l4 + 6)[0]
            csum_fix(b, l4 + 6, old_w, new_w)
            quoted_l4_changed(b, old_c, struct.unpack_from(">H", b, l4 + 6)[0], outer)
        elif proto == 6 and len(b) >= l4 + 18:
            old_c = struct.unpack_from(">H", b, l4 + 16)[0]
            csum_fix(b, l4 + 16, old_w, new_w)
            quoted_l4_changed(b, old_c, struct.unpack_from(">H", b, l4 + 16)[0], outer)
    if outer and proto == 1 and len(b) >= l4 + 8 + 20 and b[l4] in (3, 11, 12):
        # the quoted probe: its addresses (and checksums) change too; the
        # quoted IP header still sums to zero, only its transport checksum
        # change shows in the ICMP checksum
        global _icmp_fix
        _icmp_fix = l4 + 2
        rewrite_ip(b, l4 + 8, remap, outer=False)
        _icmp_fix = None


_icmp_fix = None


def quoted_l4_changed(b, old_c, new_c, outer):
    if not outer and _icmp_fix is not None:
        csum_fix(b, _icmp_fix, (old_c,), (new_c,))


if __name__ == "__main__":
    main()
