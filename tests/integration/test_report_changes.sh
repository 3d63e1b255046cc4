#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# test_report_changes — set-based change detection in kpannotate --changes
# and kp-report, on synthetic kptrace sweeps (report_changes_gen.py: offline
# fixtures, no probe, no namespace):
#   1. kpannotate --changes on one (vp, /24, method): 20 traces through
#      AS4837, then 80 through AS20485, --change-confirm 6: exactly one
#      change line, before {4837} reached, after {20485} reached, last_before
#      = the start of the last AS4837 trace, first_after = the end of the
#      first AS20485 trace, emitted = the end of the 6th to 64th (the window,
#      detect.h), the window's ids listed; the same files newest first give
#      the same line within a chunk and are said to be out of order across
#      chunks; usage errors.
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
CHECK=$KP_SRC/tests/integration/report_changes_check.py
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
tb_check_lines "tiny change line" python3 "$CHECK" tiny "$work/tiny"
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
"$KPA" -p "$work/tiny/pfx2as.txt" -s --changes - "$work/tiny/old.jsonl" >/dev/null 2>"$work/tiny/err4" || rc=$?
assert_eq 2 "$rc" "--changes - beside the summary on standard output is a usage error"
assert_match "standard output already carries" "$(cat "$work/tiny/err4")" "and says why"
out=$("$KPA" -q -p "$work/tiny/pfx2as.txt" -o /dev/null --changes - --change-confirm 6 \
    "$work/tiny/old.jsonl" "$work/tiny/new.jsonl")
assert_eq "$(cat "$work/tiny/changes.jsonl")" "$out" "--changes - with -o FILE: the change line on standard output"
rc=0
"$KPA" -q -p "$work/tiny/pfx2as.txt" -s --changes "$work/nodir/changes.jsonl" "$work/tiny/old.jsonl" \
    >/dev/null 2>"$work/tiny/err3" || rc=$?
assert_eq 3 "$rc" "an unwritable --changes file is exit 3"
assert_match "nodir/changes.jsonl: No such file or directory" "$(cat "$work/tiny/err3")" "and names it"

# --- 2 and 3. kp-report over three sweeps

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
    tb_check_lines "$scenario report" python3 "$CHECK" report "$d" "$scenario"
done

# kp-report hands kpannotate --changes and the sweep files oldest first, also
# across vantage points (a stand-in records the arguments of the run with
# --changes, then runs it; kp-report also runs it for --help and the graphs).
d=$work/move
mkdir -p "$d/archive/vp-0/20261122T030000Z"
cp "$d/archive/vp-a/20261122T000000Z/traces.jsonl" "$d/archive/vp-0/20261122T030000Z/"
sed -i 's/"vp":"vp-a"/"vp":"vp-0"/' "$d/archive/vp-0/20261122T030000Z/traces.jsonl"
cat >"$work/kpa-args" <<STUB
#!/bin/sh
case " \$* " in *" --changes "*) printf '%s\n' "\$@" >"$work/kpa-argv" ;; esac
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
