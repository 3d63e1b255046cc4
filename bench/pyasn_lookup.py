#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""pyasn_lookup.py IPASN ADDRS — the reference for bench/annotate: Debian's
python3-pyasn loads an ipasn table and looks up every address of ADDRS (one
per line), printing how many it found. Run with Debian's /usr/bin/python3,
which has the pyasn module."""
import sys

import pyasn


def main(ipasn, addrs):
    db = pyasn.pyasn(ipasn)
    found = 0
    n = 0
    with open(addrs) as f:
        for line in f:
            asn, _ = db.lookup(line.rstrip("\n"))
            n += 1
            if asn is not None:
                found += 1
    print("%d lookups, %d found" % (n, found))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
