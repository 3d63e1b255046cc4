#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""make_mmdb.py — write the small MaxMind DB test files of tests/data/asmap.

A minimal writer that follows the MaxMind DB File Format Specification v2.0
(https://maxmind.github.io/MaxMind-DB/): a binary search tree of 24-bit
records, 16 NUL bytes, a data section of maps/strings/uints (no pointers, no
deduplication), then "\\xab\\xcd\\xefMaxMind.com" and the metadata map.
IPv4 networks in an IPv6 tree sit at ::a.b.c.d/(96+len), as the spec says.

Run from anywhere:  python3 tests/data/asmap/make_mmdb.py
It rewrites geolite2-asn-sample.mmdb, ipinfo-asn-sample.mmdb,
geolite2-asn-v4only.mmdb and asn-number-types.mmdb next to itself. The content is hand-made: real
North Korean / Chinese / Russian prefixes appear as offline data only.
"""
import ipaddress
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))

# ---- data section encoding -------------------------------------------------


def _ctrl(type_num, size):
    """Control byte(s) for a field of type_num with payload size."""
    if type_num <= 7:
        first = type_num << 5
        ext = b""
    else:
        first = 0
        ext = bytes([type_num - 7])
    if size < 29:
        return bytes([first | size]) + ext
    if size < 29 + 256:
        return bytes([first | 29]) + ext + bytes([size - 29])
    if size < 285 + 65536:
        return bytes([first | 30]) + ext + struct.pack(">H", size - 285)
    return bytes([first | 31]) + ext + (size - 65821).to_bytes(3, "big")


def _uint(type_num, v):
    payload = v.to_bytes((v.bit_length() + 7) // 8, "big") if v else b""
    return _ctrl(type_num, len(payload)) + payload


def encode(v, hint=None):
    """Encode a Python value. hint picks the number type: 'u16', 'u32', 'u64',
    'u128', 'i32', 'f32' (float), 'f64' (double)."""
    if isinstance(v, bool):
        return _ctrl(14, 1 if v else 0)
    if isinstance(v, str):
        b = v.encode("utf-8")
        return _ctrl(2, len(b)) + b
    if isinstance(v, tuple):  # (hint, number)
        return encode(v[1], v[0])
    if hint == "f64":  # double: 8 bytes, big-endian IEEE 754
        return _ctrl(3, 8) + struct.pack(">d", v)
    if hint == "f32":  # float: 4 bytes
        return _ctrl(15, 4) + struct.pack(">f", v)
    if hint == "i32":  # int32: two's complement, 4 bytes here
        return _ctrl(8, 4) + struct.pack(">i", v)
    if isinstance(v, int):
        return _uint({"u16": 5, "u32": 6, "u64": 9, "u128": 10, None: 6}[hint], v)
    if isinstance(v, dict):
        out = _ctrl(7, len(v))
        for k, val in v.items():
            out += encode(k) + encode(val)
        return out
    if isinstance(v, list):
        out = _ctrl(11, len(v))
        for val in v:
            out += encode(val)
        return out
    raise TypeError(type(v))


# ---- search tree ---------------------------------------------------------------


class Node:
    __slots__ = ("kids", "num")

    def __init__(self, left=None, right=None):
        self.kids = [left, right]  # None (empty), int (data index) or Node
        self.num = -1


def build(networks, ip_version):
    """networks: list of (ip_network, data_index), inserted shorter first so
    longer prefixes override inside shorter ones."""
    bits = 128 if ip_version == 6 else 32
    root = Node()
    for net, idx in sorted(networks, key=lambda x: x[0].prefixlen):
        if net.version == 4 and ip_version == 6:
            key = int(net.network_address)  # ::a.b.c.d
            plen = 96 + net.prefixlen
        else:
            key = int(net.network_address)
            plen = net.prefixlen
        assert plen > 0, "a /0 cannot be stored in a tree record"
        node = root
        for depth in range(plen):
            bit = (key >> (bits - 1 - depth)) & 1
            if depth == plen - 1:
                node.kids[bit] = idx
                break
            kid = node.kids[bit]
            if not isinstance(kid, Node):
                kid = Node(kid, kid)  # inherit the shorter network's data
                node.kids[bit] = kid
            node = kid
    # number nodes breadth first, root = 0
    order, queue = [], [root]
    while queue:
        n = queue.pop(0)
        n.num = len(order)
        order.append(n)
        queue.extend(k for k in n.kids if isinstance(k, Node))
    return order


def write(path, records, ip_version, database_type, description):
    """records: list of (cidr text, data dict)."""
    data = b""
    offsets = []
    for _, d in records:
        offsets.append(len(data))
        data += encode(d)
    nets = [(ipaddress.ip_network(c), i) for i, (c, _) in enumerate(records)]
    order = build(nets, ip_version)
    node_count = len(order)
    tree = b""
    for n in order:
        for k in n.kids:
            if k is None:
                v = node_count
            elif isinstance(k, Node):
                v = k.num
            else:
                v = node_count + 16 + offsets[k]
            assert v < (1 << 24)
            tree += v.to_bytes(3, "big")
    meta = {
        "binary_format_major_version": ("u16", 2),
        "binary_format_minor_version": ("u16", 0),
        "build_epoch": ("u64", 1700000000),
        "database_type": database_type,
        "description": {"en": description},
        "ip_version": ("u16", ip_version),
        "languages": ["en"],
        "node_count": ("u32", node_count),
        "record_size": ("u16", 24),
    }
    blob = tree + b"\0" * 16 + data + b"\xab\xcd\xefMaxMind.com" + encode(meta)
    with open(path, "wb") as f:
        f.write(blob)


def geolite(asn, org):
    return {"autonomous_system_number": ("u32", asn), "autonomous_system_organization": org}


def ipinfo(asn, name, domain):
    return {"asn": "AS%d" % asn, "name": name, "domain": domain}


def main():
    geo = [
        ("175.45.176.0/22", geolite(131279, "Ryugyong-dong")),
        ("219.158.0.0/17", geolite(4837, "CHINA UNICOM China169 Backbone")),
        ("188.43.0.0/16", geolite(20485, "JSC Company TransTeleCom")),
        ("198.18.0.0/24", geolite(64496, "Testbed Transit A")),
        ("198.18.0.128/25", geolite(64497, "Testbed Transit B")),
        ("2001:db8:100::/40", geolite(64499, "Documentation v6")),
    ]
    write(os.path.join(HERE, "geolite2-asn-sample.mmdb"), geo, 6, "GeoLite2-ASN",
          "kptrace test data in the GeoLite2-ASN layout")
    write(os.path.join(HERE, "geolite2-asn-v4only.mmdb"), geo[:4], 4, "GeoLite2-ASN",
          "kptrace test data, IPv4 tree")
    info = [
        ("175.45.176.0/22", ipinfo(131279, "Star Joint Venture Co. Ltd.", "star-co.net.kp")),
        ("219.158.0.0/17", ipinfo(4837, "China Unicom", "chinaunicom.cn")),
        ("2001:db8:100::/40", ipinfo(64499, "Documentation v6", "example.net")),
        # an entry without an ASN field: must read as "not found"
        ("198.51.100.0/24", {"name": "no asn here"}),
    ]
    write(os.path.join(HERE, "ipinfo-asn-sample.mmdb"), info, 6, "ipinfo asn.mmdb",
          "kptrace test data in the IPinfo ASN layout")
    # AS numbers stored as other number types, some of them no AS number
    odd = [
        ("198.18.1.0/24", {"autonomous_system_number": ("u64", 64500)}),
        ("198.18.2.0/24", {"autonomous_system_number": ("u64", 1 << 32)}),
        ("198.18.3.0/24", {"autonomous_system_number": ("i32", -1)}),
        ("198.18.4.0/24", {"autonomous_system_number": ("i32", 64501)}),
        ("198.18.5.0/24", {"autonomous_system_number": ("f64", 64502.0)}),
        ("198.18.6.0/24", {"autonomous_system_number": ("f64", 1e308)}),
        ("198.18.7.0/24", {"autonomous_system_number": ("f64", 0.5)}),
        ("198.18.8.0/24", {"autonomous_system_number": ("f32", 64503.0)}),
        ("198.18.9.0/24", {"autonomous_system_number": ("f64", -0.0)}),
        ("198.18.10.0/24", {"asn": ("f64", -1e308), "name": "ipinfo layout"}),
        ("198.18.11.0/24", {"autonomous_system_number": ("u128", 5)}),
        ("198.18.12.0/24", {"autonomous_system_number": ("f64", 4294967295.0)}),
        ("198.18.13.0/24", {"autonomous_system_number": ("f64", 4294967296.0)}),
        ("198.18.14.0/24", {"autonomous_system_number": ("f64", 1e-320)}),
        ("198.18.15.0/24", {"asn": ("u64", 64504), "name": "ipinfo layout"}),
    ]
    write(os.path.join(HERE, "asn-number-types.mmdb"), odd, 4, "GeoLite2-ASN",
          "kptrace test data: AS numbers of every mmdb number type")


if __name__ == "__main__":
    main()
