#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Write RIPE Atlas traceroute results (the documented result format, fw 5020)
for the testbed's nk paths, from a kptb truth.json (ground truth, not from
kpannotate): one result per (vantage point, /24, ECMP alternative).

  make-nk.py TRUTH.json > nk-atlas.json

Probe ids: vp-eu 1001, vp-us 1002, vp-asia 1003. Silent routers become
{"x":"*"} packets; an admin-prohibited end becomes "err":"A" on the rejecting
router; UDP-Paris results (proto UDP, paris_id >= 1)."""
import json
import sys

PRB = {"vp-eu": 1001, "vp-us": 1002, "vp-asia": 1003}

truth = json.load(open(sys.argv[1]))
out = []
ts = 1795300000
for vp, prefixes in sorted(truth["paths"].items()):
    if vp not in PRB:
        continue
    src = truth["nodes"][vp]["addr"]
    for pfx, p in sorted(prefixes.items()):
        for alt_i, alt in enumerate(p["alternatives"]):
            hops = []
            rtt = 0.5
            for i, h in enumerate(alt["hops"]):
                rtt += 7.0 + 3.0 * i
                if h["silent"] or h["addr"] is None:
                    pk = [{"x": "*"}] * 3
                else:
                    one = {"from": h["addr"], "ttl": 64 - i, "size": 76, "rtt": round(rtt, 3)}
                    if alt["stop"] == "admin-prohibited" and i == len(alt["hops"]) - 1:
                        one["err"] = "A"
                    pk = [dict(one, rtt=round(rtt + 0.1 * k, 3)) for k in range(3)]
                hops.append({"hop": i + 1, "result": pk})
            ts += 60
            out.append({
                "fw": 5020, "lts": 30, "af": 4, "proto": "UDP", "size": 48,
                "paris_id": alt_i + 1, "dst_name": p["target"], "dst_addr": p["target"],
                "src_addr": src, "from": src, "timestamp": ts, "endtime": ts + 5,
                "msm_id": 9100, "prb_id": PRB[vp], "type": "traceroute",
                "result": hops,
            })
json.dump(out, sys.stdout, indent=1)
print()
