#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""replay_mix.py SEED OUT.pcap [FRAMES] — a random capture made of the
committed captures' packets, for comparing two builds of `kptrace replay`
(replay_diff.sh): an input nobody wrote by hand, dense in the cases the
receive path has to decide.

The IP packets of every pcap under tests/data (link layers stripped) are
drawn at random, FRAMES of them (default 4000), and rewritten so that they
collide: every IPv4 address is mapped onto a pool of a few addresses and
every IPv4 IP ID onto a small range (the same mapping in outer and quoted
headers, so replies still quote their probes), some probes' TTLs are
changed, some ICMP errors have their quote cut short (fewer than 8
transport bytes), some frames are captured twice, and time moves on by
random steps (sometimes more than rx's idle time, sometimes backwards).
Checksums are not fixed (rx does not check them). Writes a raw-IP pcap
(LINKTYPE_RAW, ns); the same SEED gives the same bytes.
"""
import glob
import os
import random
import struct
import sys

SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data")


def frames_of(path):
    data = open(path, "rb").read()
    if len(data) < 24:
        return []
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        end = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        end = ">"
    else:
        return []  # pcapng and non-captures are skipped
    linktype = struct.unpack_from(end + "I", data, 20)[0] & 0xFFFF
    out, off = [], 24
    while off + 16 <= len(data):
        cap = struct.unpack_from(end + "I", data, off + 8)[0]
        b = data[off + 16:off + 16 + cap]
        off += 16 + cap
        ip = strip_link(linktype, b)
        if ip and len(ip) >= 20 and ip[0] >> 4 in (4, 6):
            out.append(bytes(ip))
    return out


def strip_link(lt, b):
    if lt == 1:  # Ethernet, with VLAN tags
        off, et = 14, b[12:14] if len(b) >= 14 else b""
        while et in (b"\x81\x00", b"\x88\xa8") and len(b) >= off + 4:
            et, off = b[off + 2:off + 4], off + 4
        return b[off:] if et in (b"\x08\x00", b"\x86\xdd") else None
    if lt == 113:
        return b[16:]
    if lt == 276:
        return b[20:]
    if lt in (12, 14, 101, 228, 229):
        return b
    if lt in (0, 108):
        return b[4:]
    return None


def main():
    seed, out = int(sys.argv[1]), sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 4000
    rnd = random.Random(seed)
    pool = []
    for p in sorted(glob.glob(os.path.join(SRC, "**", "*.pcap"), recursive=True)):
        pool.extend(frames_of(p))
    if not pool:
        sys.exit("replay_mix.py: no frames under " + SRC)
    n_addr = rnd.choice((2, 3, 8, 64))
    n_ipid = rnd.choice((4, 64, 65536))
    amap, imap = {}, {}

    def addr(a):
        if a not in amap:
            amap[a] = bytes((198, 18, 0, 1 + rnd.randrange(n_addr)))
        return amap[a]

    def ipid(i):
        if i not in imap:
            imap[i] = rnd.randrange(n_ipid)
        return imap[i]

    def rewrite_v4(b, off):
        """Map addresses and IP ID of the IPv4 header at off (in place)."""
        if len(b) < off + 20 or b[off] >> 4 != 4:
            return
        struct.pack_into(">H", b, off + 4, ipid(struct.unpack_from(">H", b, off + 4)[0]))
        b[off + 12:off + 16] = addr(bytes(b[off + 12:off + 16]))
        b[off + 16:off + 20] = addr(bytes(b[off + 16:off + 20]))

    ts = 1767225600 * 10**9
    w = open(out, "wb")
    w.write(struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 65535, 101))
    for _ in range(n):
        b = bytearray(rnd.choice(pool))
        if b[0] >> 4 == 4:
            ihl = (b[0] & 15) * 4
            rewrite_v4(b, 0)
            proto = b[9]
            err = proto == 1 and len(b) >= ihl + 8 and b[ihl] in (3, 11, 12)
            if err:
                rewrite_v4(b, ihl + 8)
                if rnd.random() < 0.15 and len(b) > ihl + 28:
                    qihl = (b[ihl + 8] & 15) * 4
                    b = b[:ihl + 8 + qihl + rnd.randrange(8)]  # a short quote
            elif b[8] < 64 and rnd.random() < 0.2:
                b[8] = 1 + rnd.randrange(12)  # another TTL
        r = rnd.random()
        if r < 0.01:
            ts += rnd.randrange(5, 30) * 10**9  # past the idle time
        elif r < 0.02:
            ts -= rnd.randrange(10**9)  # backwards
        else:
            ts += rnd.randrange(3 * 10**7)
        copies = 2 if rnd.random() < 0.05 else 1
        for c in range(copies):
            t = ts + c * rnd.randrange(2 * 10**7)
            w.write(struct.pack("<IIII", t // 10**9, t % 10**9, len(b), len(b)))
            w.write(b)
    w.close()


if __name__ == "__main__":
    main()
