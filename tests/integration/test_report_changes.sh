#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# test_report_changes — set-based change detection in kpannotate --changes
# and kp-report, on synthetic kptrace sweeps (report_changes_gen.py: offline
# fixtures, no probe, no namespace):
#   1. kpannotate --changes on one (vp, /24, method): 20 traces through
#      AS4837, then 6 through AS20485, --change-confirm 6: exactly one change
#      line, before {4837} reached, after {20485} reached, last_before = the
#      start of the last AS4837 trace, first_after = the end of the first
#      AS20485 trace, emitted = the end of the 6th, the 6 ids listed; the same
#      files given newest first are said to be out of order; usage errors.
#   2. kp-report over three sweeps of a /24 split by ECMP between AS4837 and
#      AS20485 (52/48, 49/51, 55/45), nothing changed: changes.jsonl is empty
#      and report.md flags no CHANGED, though the majority flips twice; the
#      old "Changes of the majority transit" list is gone.
#   3. the same plus a /24 moved from AS4837 to AS20485 between sweeps 2 and
#      3: exactly that change, its onset between the last trace of sweep 2
#      and the first of sweep 3, CHANGED in that one cell, listed under
#      "Changes"; kpannotate got --changes and the sweep files oldest first.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

KPA=${KPANNOTATE:-$KP_BUILD/kpannotate}
REPORT=$KP_SRC/scripts/kp-report
GEN=$KP_SRC/tests/integration/report_changes_gen.py
[ -x "$KPA" ] || die "kpannotate not built ($KPA)"
[ -x "$REPORT" ] || die "$REPORT missing or not executable"

work=$(mktemp -d /tmp/kp-report-changes.XXXXXX)
# lib.sh's exit trap (the summary and the exit status) runs after the clean-up
trap 'rc=$?; rm -rf "$work"; (exit $rc); _tb_exit' EXIT

# --- 1. kpannotate --changes on a tiny input
mkdir -p "$work/tiny"
python3 "$GEN" tiny "$work/tiny" || die "generator failed"
rc=0
"$KPA" -q -p "$work/tiny/pfx2as.txt" -s --changes "$work/tiny/changes.jsonl" --change-confirm 6 \
    "$work/tiny/old.jsonl" "$work/tiny/new.jsonl" >/dev/null 2>"$work/tiny/err" || rc=$?
assert_eq 0 "$rc" "kpannotate --changes exits 0 ($(cat "$work/tiny/err"))"
tb_check_lines "tiny change line" python3 - "$work/tiny" <<'PY'
import json, sys
d = sys.argv[1]
exp = json.load(open(f"{d}/expect.json"))
lines = [l for l in open(f"{d}/changes.jsonl") if l.strip()]
def res(good, msg):
    print(("ok " if good else "FAIL ") + msg)
res(len(lines) == 1, f"one change line ({len(lines)})")
e = json.loads(lines[0]) if lines else {}
old, new = exp["old"], exp["new"]
want = {"v": 1, "type": "change", "vp": "vp-a", "prefix": "175.45.177.0/24", "method": "udp-paris",
        "before": {"transits": [4837], "status": "reached"},
        "after": {"transits": [20485], "status": "reached"}}
for k, v in want.items():
    res(e.get(k) == v, f"{k} = {v} ({e.get(k)})")
def ns(s):
    import calendar, re
    m = re.match(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?Z$", s or "")
    if not m:
        return None
    return calendar.timegm(tuple(int(x) for x in m.groups()[:6]) + (0, 0, 0)) * 10**9 + \
        int((m.group(7) or "").ljust(9, "0"))
# the onset: after the start of the last trace through AS4837, at or before
# the end of the first (in start order) through AS20485
res(ns(e.get("last_before")) == ns(old[-1]["start"]),
    f"last_before is the last AS4837 trace's start {old[-1]['start']} ({e.get('last_before')})")
res(ns(e.get("first_after")) == ns(new[0]["end"]),
    f"first_after is the first AS20485 trace's end {new[0]['end']} ({e.get('first_after')})")
res(ns(e.get("emitted")) == ns(new[5]["end"]),
    f"emitted is the end of the 6th AS20485 trace, which completed the window {new[5]['end']} ({e.get('emitted')})")
res(e.get("traces") == [r["id"] for r in new], f"traces are the window's ids {[r['id'] for r in new]} ({e.get('traces')})")
PY
assert_match "--changes: 1 changes in 1 " "$("$KPA" -p "$work/tiny/pfx2as.txt" -s --changes /dev/null \
    --change-confirm 6 "$work/tiny/old.jsonl" "$work/tiny/new.jsonl" 2>&1 >/dev/null)" \
    "kpannotate counts changes and keys on stderr"
# Newest first, but within one chunk of traces (fed in start order): the same line.
rc=0
"$KPA" -q -p "$work/tiny/pfx2as.txt" -s --changes "$work/tiny/rev.jsonl" --change-confirm 6 \
    "$work/tiny/new.jsonl" "$work/tiny/old.jsonl" >/dev/null 2>"$work/tiny/err" || rc=$?
assert_eq 0 "$rc" "newest first within a chunk: exit 0"
assert_eq "" "$(cat "$work/tiny/err")" "newest first within a chunk: nothing to say"
assert_cmd "newest first within a chunk: the same change line" cmp "$work/tiny/changes.jsonl" "$work/tiny/rev.jsonl"
# Newest first across chunks (9000 old traces, a chunk is 8192): said.
mkdir -p "$work/big"
python3 "$GEN" tiny "$work/big" 9000 || die "generator failed"
err=$("$KPA" -q -p "$work/big/pfx2as.txt" -s --changes "$work/big/rev.jsonl" \
    "$work/big/new.jsonl" "$work/big/old.jsonl" 2>&1 >/dev/null)
assert_match "^kpannotate: --changes: [0-9]+ traces ended before .*: give the inputs oldest first$" "$err" \
    "inputs newest first across chunks are said to be out of order"
err=$("$KPA" -q -p "$work/big/pfx2as.txt" -s --changes "$work/big/ok.jsonl" \
    "$work/big/old.jsonl" "$work/big/new.jsonl" 2>&1 >/dev/null)
assert_eq "" "$err" "oldest first: nothing to say"
rc=0
"$KPA" -p "$work/tiny/pfx2as.txt" --change-confirm 4 "$work/tiny/old.jsonl" >/dev/null 2>"$work/tiny/err1" || rc=$?
assert_eq 2 "$rc" "--change-confirm without --changes is a usage error"
assert_match "needs --changes" "$(cat "$work/tiny/err1")" "and says so"
rc=0
"$KPA" -p "$work/tiny/pfx2as.txt" --changes /dev/null --change-confirm 0 "$work/tiny/old.jsonl" \
    >/dev/null 2>"$work/tiny/err2" || rc=$?
assert_eq 2 "$rc" "--change-confirm 0 is a usage error"
assert_match "--change-confirm: '0' is not 1\.\.64" "$(cat "$work/tiny/err2")" "and names the range"
rc=0
"$KPA" -q -p "$work/tiny/pfx2as.txt" -s --changes "$work/nodir/changes.jsonl" "$work/tiny/old.jsonl" \
    >/dev/null 2>"$work/tiny/err3" || rc=$?
assert_eq 3 "$rc" "an unwritable --changes file is exit 3"
assert_match "nodir/changes.jsonl: No such file or directory" "$(cat "$work/tiny/err3")" "and names it"

# --- 2 and 3. kp-report over three sweeps
# check_report DIR SCENARIO — the report's checks, one line each.
check_report() {
    python3 - "$1" "$2" <<'PY'
import csv, json, re, sys
d, scenario = sys.argv[1], sys.argv[2]
exp = json.load(open(f"{d}/expect.json"))
out = f"{d}/out"
def res(good, msg):
    print(("ok " if good else "FAIL ") + f"{scenario}: {msg}")
sw = exp["sweeps"]
periods = [s["period"] for s in sw]
# The scenario's ECMP majority flips: 4837, 20485, 4837 (timeline.csv, as before).
rows = list(csv.DictReader(open(f"{out}/timeline.csv")))
res(list(rows[0].keys()) == ["period", "vp", "prefix", "method", "transit_asn", "transit_name",
                             "status", "traces", "share", "majority", "first", "last"],
    "timeline.csv keeps its columns")
for m in ("icmp-paris", "udp-paris"):
    maj = {r["period"]: r["transit_asn"] for r in rows if r["prefix"] == "175.45.176.0/24"
           and r["method"] == m and r["majority"] == "yes"}
    res([maj.get(p) for p in periods] == ["4837", "20485", "4837"],
        f"ECMP /24 {m}: the majority flips 4837 -> 20485 -> 4837 ({maj})")
    for s in sw:
        sh = {r["transit_asn"]: float(r["share"]) for r in rows if r["prefix"] == "175.45.176.0/24"
              and r["method"] == m and r["period"] == s["period"]}
        res(abs(sh.get("4837", 0) - s["ecmp_4837"] / 100) < 1e-6,
            f"ECMP /24 {m} {s['period']}: AS4837 share {s['ecmp_4837']}% ({sh})")
lines = [l for l in open(f"{out}/changes.jsonl") if l.strip()]
md = open(f"{out}/report.md").read()
res("Changes of the majority transit" not in md, "the majority-flip list is gone")
res(re.search(r"^## Changes$", md, re.M) is not None, "report.md has a Changes section")
sections = dict(re.findall(r"^## (\S+/24)\n(.*?)(?=^## |\Z)", md, re.S | re.M))
ecmp_rows = [l for l in sections.get("175.45.176.0/24", "").splitlines() if l.startswith("| vp-a |")]
res(len(ecmp_rows) == 2 and not any("CHANGED" in l for l in ecmp_rows),
    f"no CHANGED on the ECMP /24 ({len(ecmp_rows)} rows)")
if scenario == "ecmp":
    res(lines == [], f"changes.jsonl is empty ({len(lines)} lines)")
    res(not any("CHANGED" in l for l in md.splitlines() if l.startswith("|")),
        "report.md flags no CHANGED in any table")
    res(re.search(r"^## Changes\n\nNone\.$", md, re.M) is not None, "the Changes section says None.")
    sys.exit(0)
res(len(lines) == 1, f"exactly one change line ({len(lines)})")
e = json.loads(lines[0]) if lines else {}
want = {"v": 1, "type": "change", "vp": "vp-a", "prefix": "175.45.177.0/24", "method": "icmp-paris",
        "before": {"transits": [4837], "status": "reached"},
        "after": {"transits": [20485], "status": "reached"}}
for k, v in want.items():
    res(e.get(k) == v, f"{k} = {v} ({e.get(k)})")
def ns(s):
    import calendar
    m = re.match(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?Z$", s or "")
    if not m:
        return None
    return calendar.timegm(tuple(int(x) for x in m.groups()[:6]) + (0, 0, 0)) * 10**9 + \
        int((m.group(7) or "").ljust(9, "0"))
lb, fa, em = ns(e.get("last_before")), ns(e.get("first_after")), ns(e.get("emitted"))
s2_last, s3_first = sw[1]["moved_last"], sw[2]["moved_first"]
s3_end = max(ns(s3_first["end"]), ns(sw[2]["moved_last"]["end"]))
res(lb == ns(s2_last["start"]),
    f"last_before is the start of sweep 2's last trace to the /24 {s2_last['start']} ({e.get('last_before')})")
res(fa == ns(s3_first["end"]),
    f"first_after is the end of sweep 3's first trace to the /24 {s3_first['end']} ({e.get('first_after')})")
res(lb is not None and fa is not None and ns(sw[1]["moved_first"]["start"]) <= lb < fa,
    "the onset interval runs from sweep 2 into sweep 3")
res(em is not None and fa <= em <= ns(sw[2]["moved_last"]["end"]) + 4 * 10**9,
    f"emitted within sweep 3, at or after first_after ({e.get('emitted')})")
moved = [l for l in sections.get("175.45.177.0/24", "").splitlines() if l.startswith("| vp-a | icmp-paris |")]
cells = [c.strip() for c in moved[0].strip("|").split("|")[2:]] if moved else []
res(len(cells) == 3 and ["CHANGED" in c for c in cells] == [False, False, True],
    f"CHANGED only in sweep 3's cell of the moved /24 ({cells})")
res(sum("CHANGED" in l for l in md.splitlines() if l.startswith("|")) == 1,
    "CHANGED appears in one table row")
listed = re.findall(r"^- .*$", md.split("## Changes", 1)[-1], re.M)
res(len(listed) == 1 and listed[0].startswith("- 175.45.177.0/24 from vp-a (icmp-paris): "
                                              "AS4837 China Unicom reached -> AS20485 TransTeleCom reached, "
                                              f"between {e.get('last_before')} and {e.get('first_after')}")
    and f"first seen in {periods[2]}" in listed[0],
    f"the Changes section lists that change with its onset interval ({listed})")
PY
}

for scenario in ecmp move; do
    d=$work/$scenario
    mkdir -p "$d"
    python3 "$GEN" archive "$d" "$scenario" || die "generator failed"
    rc=0
    "$REPORT" --archive "$d/archive" --pfx2as "$d/pfx2as.txt" --kpannotate "$KPA" --sweep input \
        --out "$d/out" 2>"$d/err" || rc=$?
    assert_eq 0 "$rc" "$scenario: kp-report exits 0 ($(cat "$d/err"))"
    for f in summary.jsonl changes.jsonl timeline.csv report.md timeline.svg; do
        assert_cmd "$scenario: kp-report wrote $f" test -f "$d/out/$f"
    done
    tb_check_lines "$scenario report" check_report "$d" "$scenario"
done

# kp-report hands kpannotate --changes and the sweep files oldest first, also
# across vantage points (a stand-in records its arguments, then runs it).
d=$work/move
mkdir -p "$d/archive/vp-0/20261122T030000Z"
cp "$d/archive/vp-a/20261122T000000Z/traces.jsonl" "$d/archive/vp-0/20261122T030000Z/"
sed -i 's/"vp":"vp-a"/"vp":"vp-0"/' "$d/archive/vp-0/20261122T030000Z/traces.jsonl"
cat >"$work/kpa-args" <<STUB
#!/bin/sh
printf '%s\n' "\$@" >"$work/kpa-argv"
exec "$KPA" "\$@"
STUB
chmod +x "$work/kpa-args"
rc=0
"$REPORT" --archive "$d/archive" --pfx2as "$d/pfx2as.txt" --kpannotate "$work/kpa-args" --sweep input \
    --out "$d/out2" 2>"$d/err2" || rc=$?
assert_eq 0 "$rc" "kp-report through the stand-in exits 0 ($(cat "$d/err2"))"
assert_cmd "kp-report passes --changes to kpannotate" grep -qx -- --changes "$work/kpa-argv"
assert_eq "vp-a/20261122T000000Z vp-0/20261122T030000Z vp-a/20261122T060000Z vp-a/20261122T120000Z" \
    "$(grep 'traces.jsonl$' "$work/kpa-argv" | awk -F/ '{print $(NF-2) "/" $(NF-1)}' | tr '\n' ' ' | sed 's/ $//')" \
    "the sweep files go oldest first"
assert_eq 1 "$(grep -c . "$d/out2/changes.jsonl")" "the second vantage point's one sweep adds no change"
