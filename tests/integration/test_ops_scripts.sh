#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# test_ops_scripts — the operations scripts end to end on the testbed's nk topology:
#   1. scripts/kp-sweep runs `kptrace sweep` twice from vp-eu and twice from
#      vp-asia (inside their namespaces) into one data directory: one
#      DIR/VP/TIMESTAMP/ per run, a `latest` link to the newest, a log, exit 0;
#   2. while a kp-sweep of vp-eu runs, a second one for vp-eu is refused
#      (exit 75, no new run directory, a log line) and the first still ends 0;
#      with a stand-in kptrace that only records its arguments: no --targets
#      of kp-sweep's own, extra arguments last, kptrace's exit status passed on;
#   3. scripts/kp-collect copies the four finished sweeps from the local data
#      directory into an archive, skips a sweep whose sweep.json says
#      "running", leaves archived sweeps alone on a second run, and refuses a
#      sweep whose traces.jsonl has fewer lines than counts.traces (exit 1);
#      the same through HOST:DIR (rsync over a stand-in remote shell), which
#      keeps no mirror (hostile vantage points: test_collect_hostile.sh);
#   4. scripts/kp-report --sweep input over the archive: every (vp, /24,
#      method, sweep) in timeline.csv and report.md names a transit that the
#      testbed's ground truth (truth.json via tb_cases) lists for that vp and
#      /24, with the true status (reached, or filtered where the path ends
#      admin-prohibited), two periods each; nothing changed between the two
#      rounds, ECMP paths included: no cell is flagged CHANGED and
#      changes.jsonl is empty; timeline.svg parses as XML and has one panel per
#      /24 with bars and legends naming AS4837 and AS20485; a broken
#      traces.jsonl makes kp-report fail with a message naming that file.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

KPA=${KPANNOTATE:-$KP_BUILD/kpannotate}
KPT=$KP_BUILD/kptrace
PFX=$KP_SRC/tests/testbed/topologies/nk.pfx2as
SWEEP=$KP_SRC/scripts/kp-sweep
COLLECT=$KP_SRC/scripts/kp-collect
REPORT=$KP_SRC/scripts/kp-report
require_ops_tools

VPS=(vp-eu vp-asia)
TARGETS=198.19.176.0/26,198.19.177.0/26,198.19.178.0/26,198.19.179.0/26
NPFX=4

tb_up nk
work=$TB_STATE/ops # removed with the testbed state
data=$work/data
archive=$work/archive
out=$work/report
mkdir -p "$work"

# runs_of DIR — the names of DIR's run directories (YYYYmmddTHHMMSSZ), sorted.
runs_of() { find "$1" -mindepth 1 -maxdepth 1 -type d -name '[0-9]*T[0-9]*Z' -printf '%f\n' 2>/dev/null | sort; }

# sweep VP — one kp-sweep run inside VP's namespace; prints its exit status.
sweep() {
    local rc=0
    ip netns exec "$(tb_ns "$1")" "$SWEEP" --vp "$1" --data "$data" --kptrace "$KPT" \
        --allowlist-file "$KP_ALLOWLIST" --targets "$TARGETS" --methods icmp-paris,udp-paris \
        --pps 2000 -- --wait 500 \
        >"$work/sweep-$1.out" 2>&1 || rc=$?
    echo "$rc"
}

# --- 1. two rounds of sweeps from two vantage points (in parallel per round)
for round in 1 2; do
    pids=()
    for vp in "${VPS[@]}"; do
        sweep "$vp" >"$work/rc-$vp" &
        pids+=($!)
    done
    for p in "${pids[@]}"; do wait "$p"; done
    for vp in "${VPS[@]}"; do
        assert_eq 0 "$(cat "$work/rc-$vp")" "kp-sweep round $round from $vp exits 0"
    done
    sleep 1 # the next round gets a new timestamp
done
for vp in "${VPS[@]}"; do
    runs=$(find "$data/$vp" -mindepth 1 -maxdepth 1 -type d -name '20*Z' | sort)
    assert_eq 2 "$(grep -c . <<<"$runs")" "$vp: two run directories"
    bad=0
    for r in $runs; do
        [[ "$(basename "$r")" =~ ^[0-9]{8}T[0-9]{6}Z$ ]] || bad=1
        for f in traces.jsonl capture.pcap sweep.json; do [ -s "$r/$f" ] || bad=1; done
        st=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["status"])' "$r/sweep.json")
        [ "$st" = complete ] || bad=1
    done
    assert_eq 0 "$bad" "$vp: runs are named YYYYmmddTHHMMSSZ and hold complete sweeps"
    assert_eq "$(basename "$(tail -n 1 <<<"$runs")")" "$(readlink "$data/$vp/latest")" \
        "$vp: latest points at the newest run"
    assert_eq 2 "$(grep -c ' end .*: exit 0$' "$data/$vp/kp-sweep.log")" "$vp: log has two ends with exit 0"
done

# --- 2. the lock: a second concurrent run for the same vp is refused
ndirs() { find "$data/vp-eu" -mindepth 1 -maxdepth 1 -type d -name '20*Z' | wc -l; }
before=$(ndirs)
sweep vp-eu >"$work/rc-lock" &
first=$!
for _ in $(seq 100); do
    [ "$(ndirs)" -gt "$before" ] && break
    sleep 0.1
done
assert_eq $((before + 1)) "$(ndirs)" "first concurrent kp-sweep started its run"
rc=$(sweep vp-eu)
assert_eq 75 "$rc" "second concurrent kp-sweep for vp-eu is refused with exit 75"
assert_match "still running" "$(cat "$work/sweep-vp-eu.out")" "refusal says another run is still running"
assert_eq $((before + 1)) "$(ndirs)" "the refused run created no run directory"
wait "$first"
assert_eq 0 "$(cat "$work/rc-lock")" "the first concurrent kp-sweep still ends with exit 0"
assert_match "holds .*kp-sweep.lock; not starting" "$(cat "$data/vp-eu/kp-sweep.log")" "refusal is logged"
# The lock test's run is a third vp-eu sweep; keep the report to two rounds.
third=$(readlink "$data/vp-eu/latest")
rm -rf "${data:?}/vp-eu/$third"
ln -sfn "$(runs_of "$data/vp-eu" | tail -n 1)" "$data/vp-eu/latest"

# kp-sweep's command line, through a stand-in kptrace that only records its
# arguments (no probe): without --targets none is passed (kptrace's default
# applies), extra arguments follow, and kptrace's exit status is kp-sweep's.
stub=$work/fake-kptrace
cat >"$stub" <<'STUB'
#!/bin/sh
printf '%s\n' "$*" >"$(dirname "$0")/fake-args"
exit 3
STUB
chmod +x "$stub"
rc=0
"$SWEEP" --vp stub --data "$work/stubdata" --kptrace "$stub" -- --wait 700 >/dev/null 2>&1 || rc=$?
assert_eq 3 "$rc" "kp-sweep exits with kptrace's status (3)"
assert_match "^sweep --vp stub --out $work/stubdata/stub/[0-9]{8}T[0-9]{6}Z --no-progress --wait 700$" \
    "$(cat "$work/fake-args")" "kp-sweep passes no --targets of its own, extra arguments last"
rc=0
"$SWEEP" --vp stub --data "$work/stubdata" --kptrace "$stub" --blocklist-file /etc/kp/opt-out.conf \
    --allowlist-file "$KP_ALLOWLIST" -- --wait 700 >/dev/null 2>&1 || rc=$?
assert_match "^sweep --vp stub --out $work/stubdata/stub/[0-9]{8}T[0-9]{6}Z --no-progress --blocklist-file /etc/kp/opt-out.conf --allowlist-file $KP_ALLOWLIST --wait 700$" \
    "$(cat "$work/fake-args")" "kp-sweep passes --blocklist-file and --allowlist-file on"
rc=0
"$SWEEP" --data "$work/stubdata" --kptrace "$stub" >/dev/null 2>&1 || rc=$?
assert_eq 64 "$rc" "kp-sweep without --vp is a usage error (64)"
assert_match "crontab" "$("$SWEEP" --help)" "kp-sweep --help shows a crontab line"

# --- 3. collect
# A sweep still running (a copy of a real one, status rewritten) must be skipped.
fake=$data/vp-asia/20000101T000000Z
cp -a "$data/vp-asia/$(readlink "$data/vp-asia/latest")" "$fake"
python3 - "$fake/sweep.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1])); s["status"] = "running"
json.dump(s, open(sys.argv[1], "w"))
PY
cout=$("$COLLECT" --archive "$archive" "$data" 2>"$work/collect1.err")
assert_eq 0 "$?" "kp-collect exits 0"
assert_eq "kp-collect: 4 new, 0 already archived, 1 running, 0 bad" "$cout" "kp-collect counts"
for vp in "${VPS[@]}"; do
    a=$(runs_of "$archive/$vp" | tr '\n' ' ')
    d=$(runs_of "$data/$vp" | grep -v '^20000101' | tr '\n' ' ')
    assert_eq "$d" "$a" "$vp: archive holds exactly the finished runs"
done
assert_eq no "$([ -e "$archive/vp-asia/20000101T000000Z" ] && echo yes || echo no)" "running sweep not archived"
same=yes
for vp in "${VPS[@]}"; do
    for r in "$archive/$vp"/20*Z; do
        cmp -s "$r/traces.jsonl" "$data/$vp/$(basename "$r")/traces.jsonl" || same=no
        cmp -s "$r/capture.pcap" "$data/$vp/$(basename "$r")/capture.pcap" || same=no
    done
done
assert_eq yes "$same" "archived traces and captures equal the originals"
cout=$("$COLLECT" --archive "$archive" "$data" 2>/dev/null)
assert_eq "kp-collect: 0 new, 4 already archived, 1 running, 0 bad" "$cout" "second kp-collect copies nothing"
rm -rf "$fake"
# A sweep whose traces.jsonl lost a line is refused.
broken=$work/broken
mkdir -p "$broken/vp-eu"
cp -a "$data/vp-eu/$(readlink "$data/vp-eu/latest")" "$broken/vp-eu/19990101T000000Z"
sed -i '$d' "$broken/vp-eu/19990101T000000Z/traces.jsonl"
rc=0
"$COLLECT" --archive "$archive" "$broken" >"$work/collect3.out" 2>"$work/collect3.err" || rc=$?
assert_eq 1 "$rc" "kp-collect exits 1 on a truncated traces.jsonl"
assert_match "traces.jsonl: [0-9]+ lines, sweep.json counts.traces says [0-9]+" "$(cat "$work/collect3.err")" \
    "kp-collect says which count disagreed"
assert_eq no "$([ -e "$archive/vp-eu/19990101T000000Z" ] && echo yes || echo no)" "truncated sweep not archived"

# HOST:DATADIR sources go through rsync and a remote shell. There is no sshd in
# the tests: --ssh names a stand-in that runs the remote command the way ssh
# would (its first argument is the host; the rest is the command line for a
# shell), inside vp-asia's namespace. An unknown host makes it fail like ssh
# does (exit 255).
rsh=$work/fake-ssh
cat >"$rsh" <<RSH
#!/bin/sh
host=\$1; shift
echo "\$host" >>"$work/fake-ssh.hosts"
[ "\$host" = vp-asia.example ] || { echo "ssh: Could not resolve hostname \$host" >&2; exit 255; }
exec ip netns exec $(tb_ns vp-asia) sh -c "\$*"
RSH
chmod +x "$rsh"
rarchive=$work/rarchive
cout=$("$COLLECT" --archive "$rarchive" --ssh "$rsh" "vp-asia.example:$data" 2>"$work/rcollect.err")
assert_eq 0 "$?" "kp-collect HOST:DATADIR exits 0 ($(cat "$work/rcollect.err"))"
assert_eq "kp-collect: 4 new, 0 already archived, 0 running, 0 bad" "$cout" "kp-collect over the remote shell: counts"
assert_eq vp-asia.example "$(sort -u "$work/fake-ssh.hosts")" "rsync went through --ssh with the source's host"
same=yes
for vp in "${VPS[@]}"; do
    [ "$(runs_of "$rarchive/$vp" | tr '\n' ' ')" = "$(runs_of "$archive/$vp" | tr '\n' ' ')" ] || same=no
    for r in "$rarchive/$vp"/20*Z; do
        cmp -s "$r/traces.jsonl" "$data/$vp/$(basename "$r")/traces.jsonl" || same=no
        cmp -s "$r/capture.pcap" "$data/$vp/$(basename "$r")/capture.pcap" || same=no
    done
done
assert_eq yes "$same" "remote collect archives the same finished sweeps, byte for byte"
assert_eq "" "$(find "$rarchive" -mindepth 1 -maxdepth 1 -name '.*' ! -name .staging ! -name .kp-collect.lock)" \
    "the archive keeps no mirror of the vantage point, only its staging directory and lock"
assert_eq "" "$(find "$rarchive/.staging" -mindepth 1)" "staging is empty after the run"
assert_eq "" "$(find "$rarchive" \( -name kp-sweep.log -o -name .kp-sweep.lock -o -name 'sweep.json.tmp' -o -type l \) -print)" \
    "the archive holds no logs, locks, kptrace leftovers or symlinks"
cout=$("$COLLECT" --archive "$rarchive" --ssh "$rsh" "vp-asia.example:$data" 2>/dev/null)
assert_eq "kp-collect: 0 new, 4 already archived, 0 running, 0 bad" "$cout" "second remote collect copies nothing"
rc=0
"$COLLECT" --archive "$rarchive" --ssh "$rsh" "nowhere.example:$data" >"$work/rcollect2.out" 2>"$work/rcollect2.err" || rc=$?
assert_eq 1 "$rc" "kp-collect exits 1 when a host cannot be reached"
assert_match "nowhere\.example:.*: rsync failed" "$(cat "$work/rcollect2.err")" "and names the source"

# --- 4. report
rc=0
"$REPORT" --archive "$archive" --pfx2as "$PFX" --kpannotate "$KPA" --keep-special "$KP_TESTBED_KEEP" --sweep input --out "$out" \
    2>"$work/report.err" || rc=$?
assert_eq 0 "$rc" "kp-report exits 0 ($(cat "$work/report.err"))"
for f in summary.jsonl timeline.csv report.md timeline.svg; do
    assert_cmd "kp-report wrote $f" test -s "$out/$f"
done
assert_cmd "kp-report wrote changes.jsonl" test -f "$out/changes.jsonl"
assert_eq 0 "$(grep -c . "$out/changes.jsonl")" "no change between two rounds of an unchanged network, ECMP included"
tb_cases >"$work/cases"
res=$(python3 - "$work/cases" "$out" "$NPFX" "${VPS[@]}" <<'PY'
import csv, re, sys
import xml.etree.ElementTree as ET
cases_file, out, npfx, vps = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
methods = ["icmp-paris", "udp-paris"]
truth = {}
for line in open(cases_file):
    vp, pfx, _target, stops, transits, ecmp = line.split()
    if vp in vps:
        truth[(vp, pfx)] = ({int(t) for t in transits.split(",")},
                            "filtered" if stops == "admin-prohibited" else "reached", ecmp == "1")
def res(good, msg):
    print(("ok " if good else "FAIL ") + msg)
prefixes = sorted({p for _, p in truth})
res(len(prefixes) == npfx and len(truth) == npfx * len(vps), f"truth has {npfx} /24s for {vps}")
# timeline.csv: majority rows per (vp, prefix, method) over both periods.
rows = list(csv.DictReader(open(f"{out}/timeline.csv")))
for (vp, pfx), (trans, status, ecmp) in sorted(truth.items()):
    for m in methods:
        maj = [r for r in rows if r["vp"] == vp and r["prefix"] == pfx and r["method"] == m
               and r["majority"] == "yes"]
        periods = {r["period"] for r in maj}
        got = [(int(r["transit_asn"]) if r["transit_asn"] else None, r["status"]) for r in maj]
        res(len(periods) == 2 and len(maj) == 2 and all(a in trans and s == status for a, s in got),
            f"timeline.csv {vp} {pfx} {m}: majority {got} in {sorted(trans)} {status}, 2 periods")
        shares = {}
        for r in rows:
            if r["vp"] == vp and r["prefix"] == pfx and r["method"] == m:
                shares[r["period"]] = shares.get(r["period"], 0) + float(r["share"])
        res(len(shares) == 2 and all(abs(v - 1) < 0.01 for v in shares.values()),
            f"timeline.csv {vp} {pfx} {m}: shares add up to 1 per period {shares}")
        if ecmp:
            seen = {int(r["transit_asn"]) for r in rows if r["vp"] == vp and r["prefix"] == pfx
                    and r["method"] == m and r["transit_asn"]}
            res(seen <= trans, f"timeline.csv {vp} {pfx} {m} (ECMP): transits {sorted(seen)} within {sorted(trans)}")
# report.md: one section per /24, a row per (vp, method), two filled cells.
md = open(f"{out}/report.md").read()
sections = dict(re.findall(r"^## (\S+/24)\n(.*?)(?=^## |\Z)", md, re.S | re.M))
res(sorted(sections) == prefixes, f"report.md has a section per /24: {sorted(sections)}")
for (vp, pfx), (trans, status, ecmp) in sorted(truth.items()):
    for m in methods:
        line = [l for l in sections.get(pfx, "").splitlines() if l.startswith(f"| {vp} | {m} |")]
        cells = [c.strip() for c in line[0].strip("|").split("|")[2:]] if line else []
        filled = [c for c in cells if c]
        firsts = [int(re.match(r"AS(\d+)", c).group(1)) if re.match(r"AS(\d+)", c) else None for c in filled]
        res(len(filled) == 2 and all(a in trans for a in firsts) and all(f" {status} " in c for c in filled),
            f"report.md {pfx} {vp} {m}: {filled} names {sorted(trans)} {status}")
        res(not any("CHANGED" in c for c in filled),
            f"report.md {pfx} {vp} {m}: no change flagged{' (ECMP)' if ecmp else ''}")
# timeline.svg (matplotlib): XML with one panel per /24, bars, a legend per panel.
ns = "{http://www.w3.org/2000/svg}"
try:
    root = ET.parse(f"{out}/timeline.svg").getroot()
    res(root.tag == ns + "svg", "timeline.svg parses as XML, root <svg>")
    panels = [g for g in root.iter(ns + "g") if (g.get("id") or "").startswith("panel-")]
    titles = sorted(t.text for g in panels for t in g.iter(ns + "text") if t.text and t.text.endswith("/24"))
    res(len(panels) == npfx and titles == prefixes, f"timeline.svg: one panel per /24 {titles}")
    # a bar segment per (vp, period, transit), each with its tooltip
    bars = [[b for b in g.iter(ns + "g") if (b.get("id") or "").startswith("kpbar")
             and b.find(ns + "title") is not None] for g in panels]
    res(all(len(b) >= 2 * len(vps) for b in bars), f"timeline.svg: every panel has bars {[len(b) for b in bars]}")
    legend = [g for g in root.iter(ns + "g") if (g.get("id") or "").startswith("legend-")]
    ltext = " ".join(t.text or "" for g in legend for t in g.iter(ns + "text"))
    res(len(legend) == npfx and "AS4837" in ltext and "AS20485" in ltext, f"timeline.svg legends: {ltext}")
except ET.ParseError as e:
    res(False, f"timeline.svg parses as XML: {e}")
PY
)
[ -n "$res" ] || fail "report checker printed nothing"
while IFS= read -r line; do
    case $line in
    "ok "*) ok "${line#ok }" ;;
    "") ;;
    *) fail "${line#FAIL }" ;;
    esac
done <<<"$res"

# kp-report names the file kpannotate cannot read.
mkdir -p "$work/badarch/vp-x/20000101T000000Z"
printf 'not a trace\n' >"$work/badarch/vp-x/20000101T000000Z/traces.jsonl"
rc=0
err=$("$REPORT" --archive "$work/badarch" --pfx2as "$PFX" --kpannotate "$KPA" --keep-special "$KP_TESTBED_KEEP" --out "$work/badout" 2>&1) || rc=$?
assert_eq 1 "$rc" "kp-report exits 1 when kpannotate fails"
assert_match "kpannotate failed on .*badarch/vp-x/20000101T000000Z/traces.jsonl" "$err" "kp-report names the failing file"

# A prefix table with a malformed line: kpannotate partly fails (exit 1);
# kp-report passes its message on, still writes the report, and exits 1.
{ cat "$PFX"; printf 'not a prefix line\n'; } >"$work/pfx-partial.txt"
rc=0
err=$("$REPORT" --archive "$archive" --pfx2as "$work/pfx-partial.txt" --kpannotate "$KPA" --keep-special "$KP_TESTBED_KEEP" \
    --sweep input --out "$work/partout" 2>&1) || rc=$?
assert_eq 1 "$rc" "kp-report exits 1 when kpannotate partly fails"
assert_match "pfx-partial\.txt:[0-9]+: .*\(line skipped\)" "$err" "kp-report passes kpannotate's message on"
if cmp -s "$out/summary.jsonl" "$work/partout/summary.jsonl"; then
    ok "the partial run still writes the report (same summary as with the clean table)"
else
    fail "the partial run's summary.jsonl differs from the clean table's (or is missing)"
fi
