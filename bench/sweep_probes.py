#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""sweep_probes.py — what a prober put on the wire, from a capture of its
uplink (bench/sweep).

    sweep_probes.py PCAP SRC [PPS]

reads a pcap (tcpdump -w, ns or us timestamps) and takes the probes: IPv4
packets from SRC with a TTL below 64 (the kernel's own packets, e.g. the RST
it answers a SYN-ACK with, leave with TTL 64). Prints one JSON object:

    probes          how many
    first, last     their capture times (seconds since the epoch)
    span_s          last - first
    rate            probes per second over the middle 80% of them (from the
                    10th to the 90th percentile probe: the start-up and the
                    last traces' tail, when there is no work to pace, left out)
    rate_vs_cap     rate / PPS (when PPS is given)
    gap_err_p99     99th percentile of |gap - 1/PPS| / (1/PPS) over the
                    same probes (when PPS is given)
    max_in_10ms     the most probes in any 10 ms window (bursts)
"""
import json
import struct
import sys


def probes(path, src):
    data = open(path, "rb").read()
    magic = struct.unpack("<I", data[:4])[0]
    if magic not in (0xA1B2C3D4, 0xA1B23C4D):
        sys.exit("sweep_probes: %s: not a little-endian pcap" % path)
    scale = 1e-6 if magic == 0xA1B2C3D4 else 1e-9
    link = struct.unpack("<I", data[20:24])[0]
    off = {1: 14, 113: 16, 276: 20, 101: 0, 12: 0}[link]
    pos, out = 24, []
    while pos + 16 <= len(data):
        sec, sub, caplen, _ = struct.unpack("<IIII", data[pos:pos + 16])
        ip = data[pos + 16 + off:pos + 16 + caplen]
        pos += 16 + caplen
        if len(ip) >= 20 and ip[0] >> 4 == 4 and ip[12:16] == src and ip[8] < 64:
            out.append(sec + sub * scale)
    return out


def main(argv):
    if len(argv) < 2:
        sys.exit("usage: sweep_probes.py PCAP SRC [PPS]")
    src = bytes(int(x) for x in argv[1].split("."))
    ts = sorted(probes(argv[0], src))
    res = {"probes": len(ts)}
    if len(ts) >= 2:
        res.update(first=ts[0], last=ts[-1], span_s=ts[-1] - ts[0])
        lo, hi = len(ts) // 10, len(ts) - 1 - len(ts) // 10
        mid = ts[lo:hi + 1]
        if len(mid) >= 2 and mid[-1] > mid[0]:
            res["rate"] = (len(mid) - 1) / (mid[-1] - mid[0])
        j, most = 0, 0
        for i, t in enumerate(ts):
            while ts[j] < t - 0.010:
                j += 1
            most = max(most, i - j + 1)
        res["max_in_10ms"] = most
        if len(argv) > 2 and "rate" in res:
            pps = float(argv[2])
            ideal = 1.0 / pps
            errs = sorted(abs((b - a) - ideal) / ideal for a, b in zip(mid, mid[1:]))
            res["rate_vs_cap"] = res["rate"] / pps
            res["gap_err_p99"] = errs[min(len(errs) - 1, int(0.99 * len(errs)))]
    print(json.dumps(res))


if __name__ == "__main__":
    main(sys.argv[1:])
