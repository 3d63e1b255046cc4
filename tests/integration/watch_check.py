#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Checks for the watch scenario (tests/testbed/topologies/watch.topo).
Prints one line per check, "ok MSG" or "FAIL MSG" (lib.sh's tb_check_lines
counts them). Expected values are given on the command line by the test,
from the topology and the changes it made, never from the program checked.

  watch_check.py verdicts SUMMARY.jsonl EXPECT... [--label L]
      kpannotate --summary-format json lines, grouped by (prefix, method);
      EXPECT is PREFIX=ASN[+ASN...]:STATUS (the set of transits seen with
      status STATUS, each in at least 5 % of the group's traces, and no other
      transit reached) or PREFIX=dark (no trace of the group reached the
      destination, no trace filtered). Every method of the file is checked.
  watch_check.py rtt TRACES.jsonl PREFIX LOW HIGH [--label L]
      the median round trip of the destination's answers to traces into
      PREFIX lies in [LOW, HIGH] ms.
  watch_check.py events EVENTS.jsonl SPEC.json [--label L]
      the acceptance checks of kptrace watch's events; SPEC lists the
      expected events and the timing bounds (see check_events).
"""
import ipaddress
import json
import statistics
import sys
from datetime import datetime


def report(good, msg):
    print(("ok " if good else "FAIL ") + msg)
    return good


def opt(argv, name, default=""):
    if name in argv:
        i = argv.index(name)
        v = argv[i + 1]
        del argv[i:i + 2]
        return v
    return default


def read_json_lines(path):
    out = []
    with open(path) as f:
        for n, l in enumerate(f, 1):
            if l.strip():
                out.append((n, json.loads(l)))
    return out


def verdicts(argv):
    label = opt(argv, "--label")
    path, expects = argv[0], argv[1:]
    groups = {}
    for _, s in read_json_lines(path):
        groups.setdefault((s["prefix"], s["method"]), []).append(s)
    methods = sorted({m for _, m in groups})
    if not report(bool(methods), f"{label}summary has groups"):
        return
    for e in expects:
        pfx, want = e.split("=", 1)
        for m in methods:
            g = groups.get((pfx, m))
            if not report(g is not None and len(g) == 1, f"{label}{pfx} {m}: one summary line"):
                continue
            shares = g[0]["shares"]
            total = sum(x["traces"] for x in shares)
            if want == "dark":
                bad = [x for x in shares if x["status"] in ("reached", "filtered")]
                report(not bad and total > 0,
                       f"{label}{pfx} {m}: nothing reached or filtered in {total} traces ({shares})")
                continue
            asns, status = want.split(":")
            exp = {int(a) for a in asns.split("+")}
            seen = {x["asn"] for x in shares if x["status"] == status and x["traces"] >= 0.05 * total}
            other = {x["asn"] for x in shares if x["status"] in ("reached", "filtered") and x["asn"] not in exp}
            report(seen == exp and not other,
                   f"{label}{pfx} {m}: {status} via {sorted(exp)} (seen {sorted(seen)}, others {sorted(other)})")


def rtt(argv):
    label = opt(argv, "--label")
    path, pfx, lo, hi = argv[0], ipaddress.ip_network(argv[1]), float(argv[2]), float(argv[3])
    rtts = []
    for _, t in read_json_lines(path):
        if ipaddress.ip_address(t["dst"]) not in pfx:
            continue
        for h in t["hops"]:
            if h.get("from_dst") and h.get("rtt_ms") is not None:
                rtts.append(h["rtt_ms"])
    if not report(len(rtts) >= 5, f"{label}{pfx}: {len(rtts)} destination answers"):
        return
    med = statistics.median(rtts)
    report(lo <= med <= hi, f"{label}{pfx}: median destination RTT {med:.1f} ms in [{lo}, {hi}]")


def ts(s):
    """RFC 3339 UTC (any number of fractional digits) -> float seconds."""
    if not isinstance(s, str) or not s.endswith("Z"):
        raise ValueError(f"not an RFC 3339 UTC time: {s!r}")
    body = s[:-1]
    frac = 0.0
    if "." in body:
        body, f = body.split(".", 1)
        frac = float("0." + f)
    d = datetime.strptime(body, "%Y-%m-%dT%H:%M:%S")
    return (d - datetime(1970, 1, 1)).total_seconds() + frac


def check_events(argv):
    """SPEC: {"vp": ID, "expect": [{"prefix", "methods": [...], "before": {...},
    "after": {...}, "t_before", "t_after"}, ...] (in the order of the changes),
    "max_width": 60, "max_delay": 120, "seen_lines": {"LINE": unix time the
    test first saw that line of events.jsonl} (optional), "trace_ids": [ids
    of the hourly traces.jsonl files] (optional)}.
    Checks: every line valid JSON with the fields of issue 11; exactly the
    expected events per (prefix, method), in order, and no other; for each the
    bracket [t_before, t_after] of the change inside (last_before,
    first_after], first_after - last_before <= max_width, emitted (and the
    moment the test saw the line) <= max_delay after the change; its trace ids
    are traces of the hourly files."""
    label = opt(argv, "--label")
    path, spec = argv[0], json.load(open(argv[1]))
    try:
        raw = open(path, "rb").read()
    except OSError as err:
        report(False, f"{label}{path}: {err.strerror}")
        return
    report(raw == b"" or raw.endswith(b"\n"), f"{label}events.jsonl ends with a newline")
    evs = []
    good = True
    for n, l in enumerate(raw.decode("utf-8", "replace").splitlines(), 1):
        try:
            e = json.loads(l)
        except ValueError as x:
            good = False
            report(False, f"{label}events.jsonl:{n}: not JSON ({x}): {l[:120]!r}")
            continue
        evs.append((n, e))
    report(good, f"{label}every line of events.jsonl is JSON ({len(evs)} lines)")
    ids = set(spec.get("trace_ids", []))
    expected = {}
    for x in spec["expect"]:
        for m in x["methods"]:
            expected.setdefault((x["prefix"], m), []).append(x)
    got = {}
    for n, e in evs:
        key = (e.get("prefix"), e.get("method"))
        got.setdefault(key, []).append((n, e))
    for key in sorted(set(got) - set(expected), key=str):
        report(False, f"{label}unexpected event(s) for {key}: {[e for _, e in got[key]]}")
    for key in sorted(expected):
        xs, es = expected[key], got.get(key, [])
        if len(es) != len(xs):
            # one line per check: the events go into the message
            report(False, f"{label}{key[0]} {key[1]}: exactly {len(xs)} event(s) (got {len(es)}: "
                   + " | ".join(json.dumps({k: e.get(k) for k in ("before", "after", "last_before", "first_after",
                                                                   "emitted")}) for _, e in es) + ")")
            continue
        report(True, f"{label}{key[0]} {key[1]}: exactly {len(xs)} event(s)")
        for x, (n, e) in zip(xs, es):
            check_one(f"{label}{key[0]} {key[1]} (line {n})", spec, ids, n, x, e)


def check_one(where, spec, ids, n, x, e):
    report(e.get("v") == 1 and e.get("type") == "change" and e.get("vp") == spec["vp"],
           f"{where}: v 1, type change, vp {spec['vp']}")
    for side in ("before", "after"):
        s = e.get(side) or {}
        want = x[side]
        report(sorted(s.get("transits") or []) == sorted(want["transits"]) and s.get("status") == want["status"],
               f"{where}: {side} {want} (got {s})")
    try:
        lb, fa, em = ts(e["last_before"]), ts(e["first_after"]), ts(e["emitted"])
    except (KeyError, ValueError, TypeError) as err:
        report(False, f"{where}: times: {err!r}")
        return
    tb, ta = float(x["t_before"]), float(x["t_after"])
    report(lb < tb and ta <= fa,
           f"{where}: the change [{tb:.3f}, {ta:.3f}] lies in (last_before {lb:.3f}, first_after {fa:.3f}]")
    report(fa - lb <= spec["max_width"], f"{where}: onset interval {fa - lb:.1f} s <= {spec['max_width']} s")
    report(em - tb <= spec["max_delay"] and em >= fa,
           f"{where}: emitted {em - tb:.1f} s after the change (<= {spec['max_delay']} s), not before first_after")
    seen = spec.get("seen_lines", {}).get(str(n))
    if seen is not None:
        # when the test first saw the line on disk (it polls twice a second)
        report(seen - tb <= spec["max_delay"] + 1, f"{where}: on disk {seen - tb:.1f} s after the change")
        report(abs(seen - em) <= 5, f"{where}: 'emitted' ({em:.1f}) is when it was written (seen {seen:.1f})")
    tr = e.get("traces")
    report(isinstance(tr, list) and len(tr) > 0, f"{where}: lists its traces")
    if ids and isinstance(tr, list):
        missing = [i for i in tr if i not in ids]
        report(not missing, f"{where}: its traces are in the hourly traces.jsonl (missing {missing[:5]})")


def main():
    argv = sys.argv[1:]
    if not argv:
        sys.exit(__doc__)
    cmd = argv.pop(0)
    {"verdicts": verdicts, "rtt": rtt, "events": check_events}[cmd](argv)


if __name__ == "__main__":
    main()
