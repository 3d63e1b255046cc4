#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""make_dup_ooo.py — write bad_dup_ooo.pcap from lt_eth_ns.pcap: every frame
twice (as `tcpdump -i any` shows a packet crossing two interfaces), and
frames 12 (last reply of the first traceroute) and 13 (first probe of the
second) swapped, so the timestamps go backwards once. The swapped frames
belong to different traces, so the replay must give the same traces as
lt_eth_ns.pcap, counting 12 duplicate probes, 12 duplicate replies and one
backwards timestamp."""
import os
import struct

here = os.path.dirname(os.path.abspath(__file__))
data = open(os.path.join(here, "lt_eth_ns.pcap"), "rb").read()
recs = []
off = 24
while off + 16 <= len(data):
    cap = struct.unpack_from("<I", data, off + 8)[0]
    recs.append(data[off:off + 16 + cap])
    off += 16 + cap
assert len(recs) == 24
recs[11], recs[12] = recs[12], recs[11]
out = bytearray(data[:24])
for r in recs:
    out += r + r
open(os.path.join(here, "bad_dup_ooo.pcap"), "wb").write(out)
