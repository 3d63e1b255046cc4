# SPDX-License-Identifier: BSD-2-Clause
"""kp_pcap — the probes a run sent, read from its capture file, for the
prober's integration tests (tests/integration/test_prober_*.sh import it:
sys.path gets tests/integration from $KP_SRC)."""
import ipaddress
import struct


def probe_frames(pcap, src):
    """(link-layer header, IP packet, timestamp in seconds) of every IPv4
    probe from src (4 bytes) in the capture. A probe is a packet from src
    with a TTL below 64 (replies come back with more)."""
    data = open(pcap, "rb").read()
    magic = struct.unpack("<I", data[:4])[0]
    assert magic in (0xa1b2c3d4, 0xa1b23c4d), hex(magic)
    off = {1: 14, 113: 16, 276: 20, 101: 0, 12: 0}[struct.unpack("<I", data[20:24])[0]]
    scale = 1e-6 if magic == 0xa1b2c3d4 else 1e-9
    pos, out = 24, []
    while pos + 16 <= len(data):
        sec, sub, caplen = struct.unpack("<III", data[pos:pos + 12])
        frame = data[pos + 16:pos + 16 + caplen]
        pos += 16 + caplen
        ip = frame[off:]
        if len(ip) >= 20 and ip[0] >> 4 == 4 and ip[12:16] == src and ip[8] < 64:
            out.append((frame[:off], ip, sec + sub * scale))
    return out


def probes_in(pcap, src, with_ts=False):
    """(dst, proto, ttl) of every IPv4 probe from src (4 bytes) in the
    capture (and its timestamp in seconds, with_ts)."""
    out = []
    for _, ip, ts in probe_frames(pcap, src):
        p = (str(ipaddress.ip_address(ip[16:20])), ip[9], ip[8])
        out.append(p + (ts,) if with_ts else p)
    return out
