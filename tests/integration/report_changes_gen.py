#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""report_changes_gen — synthetic kptrace sweeps (offline fixtures, no probe)
for test_report_changes.sh, and the values the scenario implies.

  report_changes_gen.py archive OUTDIR ecmp|move
      OUTDIR/pfx2as.txt and OUTDIR/archive/vp-a/TS/traces.jsonl for three
      sweeps six hours apart, and OUTDIR/expect.json.
      ecmp: 175.45.176.0/24, 100 hosts, icmp-paris and udp-paris, split by
            ECMP between AS4837 and AS20485 with shares 52/48, 49/51, 55/45
            in the three sweeps: nothing changes (the majority flips twice).
      move: the same, and 175.45.177.0/24 (icmp-paris, 100 hosts) through
            AS4837 in sweeps 1 and 2 and through AS20485 in sweep 3.
  report_changes_gen.py tiny OUTDIR [N]
      OUTDIR/pfx2as.txt and two files of one (vp, /24, method): old.jsonl,
      N (default 20) traces through AS4837, then new.jsonl, an hour after
      the first, 6 through AS20485; each in completion order (start order
      differs); OUTDIR/expect.json.

Each sweep's traces start 0.2 s apart in a random order of the hosts (fixed
seed), last 0.3..4 s, and are written in completion order with ids in start
order, as kptrace sweep writes them. Paths: vantage point 5.1.1.2 (AS3320),
its router 5.1.1.1, a border router of the transit (219.158.3.x AS4837,
188.43.2.x AS20485), the target's 175.45.176.1, then the destination."""

import json
import os
import random
import sys

PFX2AS = "5.0.0.0\t8\t3320\n175.45.176.0\t22\t131279\n219.158.0.0\t16\t4837\n188.43.0.0\t16\t20485\n"
ROUTER = {4837: "219.158.3.{}", 20485: "188.43.2.{}"}
T0 = 1795305600  # 2026-11-22T00:00:00Z
SWEEP_GAP = 6 * 3600
NS = 1_000_000_000


def rfc3339(ns):
    import time
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ns // NS)) + f".{ns % NS:09d}Z"


def trace(tid, dst, method, asn, start_ns, end_ns):
    icmp = method == "icmp-paris"
    hops = [
        {"ttl": 1, "attempt": 0, "addr": "5.1.1.1", "icmp_type": 11, "icmp_code": 0},
        {"ttl": 2, "attempt": 0, "addr": ROUTER[asn].format(1 + tid % 4), "icmp_type": 11,
         "icmp_code": 0},
        {"ttl": 3, "attempt": 0, "addr": "175.45.176.1", "icmp_type": 11, "icmp_code": 0},
        {"ttl": 4, "attempt": 0, "addr": dst, "icmp_type": 0 if icmp else 3,
         "icmp_code": 0 if icmp else 3, "from_dst": True},
    ]
    return {"v": 1, "type": "trace", "id": tid, "vp": "vp-a", "tool": "kptrace", "method": method,
            "src": "5.1.1.2", "dst": dst, "start": rfc3339(start_ns), "end": rfc3339(end_ns),
            "stop_reason": "completed", "stop_ttl": 4, "hop_count": len(hops), "hops": hops}


def write_sweep(path, jobs, t0_ns, rng):
    """jobs: (dst, method, asn) in probing order. Returns the records, in
    completion order as written."""
    recs = []
    for i, (dst, method, asn) in enumerate(jobs):
        start = t0_ns + i * NS // 5
        end = start + rng.randint(300, 4000) * 1_000_000
        recs.append(trace(i + 1, dst, method, asn, start, end))
    recs.sort(key=lambda r: (r["end"], r["id"]))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        for r in recs:
            f.write(json.dumps(r, separators=(",", ":")) + "\n")
    return recs


def ecmp_jobs(share_4837, method, rng):
    hosts = [f"175.45.176.{h}" for h in range(1, 101)]
    via = set(rng.sample(hosts, share_4837))
    return [(h, method, 4837 if h in via else 20485) for h in hosts]


def archive(out, scenario):
    rng = random.Random(11)
    with open(os.path.join(out, "pfx2as.txt"), "w", encoding="utf-8") as f:
        f.write(PFX2AS)
    sweeps, expect = [], {"sweeps": []}
    for k, share in enumerate((52, 49, 55)):
        t0 = (T0 + k * SWEEP_GAP) * NS
        ts = rfc3339(t0)[:19].replace("-", "").replace(":", "") + "Z"
        jobs = ecmp_jobs(share, "icmp-paris", rng) + ecmp_jobs(share, "udp-paris", rng)
        if scenario == "move":
            asn = 4837 if k < 2 else 20485
            jobs += [(f"175.45.177.{h}", "icmp-paris", asn) for h in range(1, 101)]
        rng.shuffle(jobs)
        recs = write_sweep(os.path.join(out, "archive", "vp-a", ts, "traces.jsonl"), jobs, t0, rng)
        sweeps.append(recs)
        moved = sorted((r for r in recs if r["dst"].startswith("175.45.177.")),
                       key=lambda r: r["start"])
        expect["sweeps"].append({"period": ts, "ecmp_4837": share,
                                 "moved_first": moved[0] if moved else None,
                                 "moved_last": moved[-1] if moved else None})
    with open(os.path.join(out, "expect.json"), "w", encoding="utf-8") as f:
        json.dump(expect, f)


def tiny(out, n_old):
    rng = random.Random(5)
    with open(os.path.join(out, "pfx2as.txt"), "w", encoding="utf-8") as f:
        f.write(PFX2AS)
    old = write_sweep(os.path.join(out, "old.jsonl"),
                      [(f"175.45.177.{1 + h % 200}", "udp-paris", 4837) for h in range(n_old)],
                      T0 * NS, rng)
    new = write_sweep(os.path.join(out, "new.jsonl"),
                      [(f"175.45.177.{h}", "udp-paris", 20485) for h in range(201, 207)],
                      (T0 + 3600) * NS, rng)
    with open(os.path.join(out, "expect.json"), "w", encoding="utf-8") as f:
        json.dump({"old": sorted(old, key=lambda r: r["start"]),
                   "new": sorted(new, key=lambda r: r["start"])}, f)


if __name__ == "__main__":
    if sys.argv[1] == "archive":
        archive(sys.argv[2], sys.argv[3])
    else:
        tiny(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 20)
