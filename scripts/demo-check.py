#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""demo-check — compare kpannotate's summary (JSON lines) with the testbed's
ground truth (kptb truth.json) and print one line per (vp, /24, method).

Exit 1 if any verdict disagrees with the truth. For a /24 that a vantage
point reaches over ECMP through several transits, the verdict agrees when its
majority transit is one of them and the summary saw the traffic split.
"""
import json
import sys

STOP_TO_STATUS = {"reached": "reached", "admin-prohibited": "filtered"}


def main(truth_path, summary_path):
    truth = json.load(open(truth_path))
    rows = [json.loads(line) for line in open(summary_path) if line.strip()]
    bad = 0
    seen = set()
    print(f"{'vp':8} {'prefix':16} {'method':10} {'verdict':28} {'truth':28} ok")
    for r in sorted(rows, key=lambda r: (r["vp"], r["prefix"], r["method"])):
        t = truth["paths"].get(r["vp"], {}).get(r["prefix"])
        if t is None:
            continue
        seen.add((r["vp"], r["prefix"], r["method"]))
        want_asns = set(t["transits"])
        want_status = {STOP_TO_STATUS.get(s, s) for s in t["stops"]}
        got = f"{r['status']} AS{r['transit_asn']} ({r['share']:.0%})"
        want = "/".join(sorted(want_status)) + " " + "/".join(f"AS{a}" for a in sorted(want_asns))
        good = r["transit_asn"] in want_asns and r["status"] in want_status
        if t.get("ecmp") and len(want_asns) > 1:
            want += " ecmp"
            good = good and r["share"] < 1.0  # the flows really were split
        bad += not good
        print(f"{r['vp']:8} {r['prefix']:16} {r['method']:10} {got:28} {want:28} "
              f"{'yes' if good else 'NO'}")
    expected = {(vp, pfx) for vp, pfxs in truth["paths"].items() for pfx in pfxs}
    missing = {(vp, pfx) for vp, pfx in expected if not any(s[:2] == (vp, pfx) for s in seen)}
    for vp, pfx in sorted(missing):
        print(f"{vp:8} {pfx:16} no verdict at all  NO")
        bad += 1
    print(f"verdicts: {len(seen)} groups, {bad} disagree with the ground truth")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
