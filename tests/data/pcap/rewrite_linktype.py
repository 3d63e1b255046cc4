#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""rewrite_linktype.py raw|null IN.pcap OUT.pcap — turn an Ethernet pcap
(µs or ns magic, little-endian) into raw IP (LINKTYPE_RAW 101) or BSD
null/loopback (DLT_NULL 0, 4-byte host-order address family) by replacing the
14-byte Ethernet header of each record. Used only to make test fixtures.
"""
import struct
import sys

mode, src, dst = sys.argv[1:4]
data = open(src, "rb").read()
magic, vmaj, vmin, tz, sig, snap, lt = struct.unpack("<IHHiIII", data[:24])
assert magic in (0xA1B2C3D4, 0xA1B23C4D) and lt == 1, "need a little-endian Ethernet pcap"
out = bytearray(struct.pack("<IHHiIII", magic, vmaj, vmin, tz, sig, snap, 101 if mode == "raw" else 0))
off = 24
while off + 16 <= len(data):
    sec, frac, caplen, wirelen = struct.unpack("<IIII", data[off:off + 16])
    body = data[off + 16:off + 16 + caplen]
    off += 16 + caplen
    ethertype = struct.unpack(">H", body[12:14])[0]
    ip = body[14:]
    if mode == "raw":
        hdr = b""
    else:
        hdr = struct.pack("<I", 2 if ethertype == 0x0800 else 10)
    newcap = len(hdr) + len(ip)
    out += struct.pack("<IIII", sec, frac, newcap, wirelen - 14 + len(hdr)) + hdr + ip
open(dst, "wb").write(out)
