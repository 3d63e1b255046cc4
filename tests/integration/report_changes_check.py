#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""report_changes_check — the checks of test_report_changes.sh, one line each
("ok MSG" or "FAIL MSG"), against the values report_changes_gen.py's
scenario implies (DIR/expect.json).

  report_changes_check.py tiny DIR             DIR/changes.jsonl of kpannotate
  report_changes_check.py report DIR SCENARIO  DIR/out/ of kp-report (ecmp|move)"""

import calendar
import csv
import json
import re
import sys

MOVED = {"v": 1, "type": "change", "vp": "vp-a", "prefix": "175.45.177.0/24",
         "before": {"transits": [4837], "status": "reached"},
         "after": {"transits": [20485], "status": "reached"}}


def ns(s):
    """ns since the epoch of an RFC 3339 UTC time ("...Z"), None if not one."""
    m = re.match(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?Z$", s or "")
    if not m:
        return None
    secs = calendar.timegm(tuple(int(x) for x in m.groups()[:6]) + (0, 0, 0))
    return secs * 10**9 + int((m.group(7) or "").ljust(9, "0"))


def change_lines(path):
    return [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]


def check_fields(res, e, method):
    for k, v in dict(MOVED, method=method).items():
        res(e.get(k) == v, f"{k} = {v} ({e.get(k)})")


def tiny(d):
    def res(good, msg):
        print(("ok " if good else "FAIL ") + msg)
    exp = json.load(open(f"{d}/expect.json"))
    lines = change_lines(f"{d}/changes.jsonl")
    res(len(lines) == 1, f"one change line ({len(lines)})")
    e = lines[0] if lines else {}
    old, new = exp["old"], exp["new"]
    check_fields(res, e, "udp-paris")
    # the onset: after the start of the last trace through AS4837, at or
    # before the end of the first (in start order) through AS20485
    res(ns(e.get("last_before")) == ns(old[-1]["start"]),
        f"last_before is the last AS4837 trace's start {old[-1]['start']} ({e.get('last_before')})")
    res(ns(e.get("first_after")) == ns(new[0]["end"]),
        f"first_after is the first AS20485 trace's end {new[0]['end']} ({e.get('first_after')})")
    res(ns(e.get("emitted")) == ns(new[5]["end"]),
        f"emitted is the end of the 6th AS20485 trace, which completed the window {new[5]['end']} "
        f"({e.get('emitted')})")
    ids = [r["id"] for r in new]
    res(e.get("traces") == ids, f"traces are the window's ids {ids} ({e.get('traces')})")


def report(d, scenario):
    def res(good, msg):
        print(("ok " if good else "FAIL ") + f"{scenario}: {msg}")
    exp = json.load(open(f"{d}/expect.json"))
    out = f"{d}/out"
    sw = exp["sweeps"]
    periods = [s["period"] for s in sw]
    # The scenario's ECMP majority flips 4837, 20485, 4837 (timeline.csv, as before).
    rows = list(csv.DictReader(open(f"{out}/timeline.csv")))
    res(list(rows[0].keys()) == ["period", "vp", "prefix", "method", "transit_asn", "transit_name",
                                 "status", "traces", "share", "majority", "first", "last"],
        "timeline.csv keeps its columns")
    for m in ("icmp-paris", "udp-paris"):
        ecmp = [r for r in rows if r["prefix"] == "175.45.176.0/24" and r["method"] == m]
        maj = {r["period"]: r["transit_asn"] for r in ecmp if r["majority"] == "yes"}
        res([maj.get(p) for p in periods] == ["4837", "20485", "4837"],
            f"ECMP /24 {m}: the majority flips 4837 -> 20485 -> 4837 ({maj})")
        for s in sw:
            sh = {r["transit_asn"]: float(r["share"]) for r in ecmp if r["period"] == s["period"]}
            res(abs(sh.get("4837", 0) - s["ecmp_4837"] / 100) < 1e-6,
                f"ECMP /24 {m} {s['period']}: AS4837 share {s['ecmp_4837']}% ({sh})")
    lines = change_lines(f"{out}/changes.jsonl")
    md = open(f"{out}/report.md").read()
    table_rows = [line for line in md.splitlines() if line.startswith("|")]
    res("Changes of the majority transit" not in md, "the majority-flip list is gone")
    res(re.search(r"^## Changes$", md, re.M) is not None, "report.md has a Changes section")
    sections = dict(re.findall(r"^## (\S+/24)\n(.*?)(?=^## |\Z)", md, re.S | re.M))
    ecmp_rows = [line for line in sections.get("175.45.176.0/24", "").splitlines()
                 if line.startswith("| vp-a |")]
    res(len(ecmp_rows) == 2 and not any("CHANGED" in line for line in ecmp_rows),
        f"no CHANGED on the ECMP /24 ({len(ecmp_rows)} rows)")
    if scenario == "ecmp":
        res(lines == [], f"changes.jsonl is empty ({len(lines)} lines)")
        res(not any("CHANGED" in line for line in table_rows), "report.md flags no CHANGED in any table")
        res(re.search(r"^## Changes\n\nNone\.$", md, re.M) is not None, "the Changes section says None.")
        return
    res(len(lines) == 1, f"exactly one change line ({len(lines)})")
    e = lines[0] if lines else {}
    check_fields(res, e, "icmp-paris")
    lb, fa, em = ns(e.get("last_before")), ns(e.get("first_after")), ns(e.get("emitted"))
    s2_last, s3_first, s3_last = sw[1]["moved_last"], sw[2]["moved_first"], sw[2]["moved_last"]
    res(lb == ns(s2_last["start"]),
        f"last_before is the start of sweep 2's last trace to the /24 {s2_last['start']} "
        f"({e.get('last_before')})")
    res(fa == ns(s3_first["end"]),
        f"first_after is the end of sweep 3's first trace to the /24 {s3_first['end']} "
        f"({e.get('first_after')})")
    res(lb is not None and fa is not None and ns(sw[1]["moved_first"]["start"]) <= lb < fa,
        "the onset interval runs from sweep 2 into sweep 3")
    res(em is not None and fa is not None and fa <= em <= ns(s3_last["end"]) + 4 * 10**9,
        f"emitted within sweep 3, at or after first_after ({e.get('emitted')})")
    moved = [line for line in sections.get("175.45.177.0/24", "").splitlines()
             if line.startswith("| vp-a | icmp-paris |")]
    cells = [c.strip() for c in moved[0].strip("|").split("|")[2:]] if moved else []
    res(len(cells) == 3 and ["CHANGED" in c for c in cells] == [False, False, True],
        f"CHANGED only in sweep 3's cell of the moved /24 ({cells})")
    res(sum("CHANGED" in line for line in table_rows) == 1, "CHANGED appears in one table row")
    listed = re.findall(r"^- .*$", md.split("## Changes", 1)[-1], re.M)
    want = ("- 175.45.177.0/24 from vp-a (icmp-paris): AS4837 China Unicom reached -> "
            f"AS20485 TransTeleCom reached, between {e.get('last_before')} and {e.get('first_after')} "
            f"(first seen in {periods[2]})")
    res(listed == [want], f"the Changes section lists that change with its onset interval ({listed})")


if __name__ == "__main__":
    if sys.argv[1] == "tiny":
        tiny(sys.argv[2])
    else:
        report(sys.argv[2], sys.argv[3])
