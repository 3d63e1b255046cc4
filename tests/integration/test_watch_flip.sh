#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# ctest-labels: long
# test_watch_flip — `kptrace watch` sees a transit move, once, with its onset.
#
# In nk, vp-eu reaches 198.19.176.0/24 over the Unicom stand-in (AS4837).
# kptrace watch runs from vp-eu over the whole /22 (the Unicom /24, the TTC
# /24, the /24 over TTC from vp-eu, the admin-prohibited /24) with two
# methods, annotating with the nk prefix2as fixture. Once every key is past
# its warm-up (and 24 traces of the /24 to move), the test moves 198.19.176.0/24 at isp-eu to the TTC stand-in
# (ttc-fra) and takes the time. Then:
#   - exactly one event per method for 198.19.176.0/24: before {4837}
#     reached, after {20485} reached, the flip time in (last_before,
#     first_after], and no event for any other /24 (none for the initial
#     states; none for the admin-prohibited /24);
#   - --on-change ran once per event with the event line on stdin;
#   - kill -9, then a restart on the same --out from the checkpoint taken
#     before the move (the worst crash: events written, checkpoint not): the
#     traces since are fed again, no event is repeated or added (nor run by
#     --on-change again), events.jsonl intact, trace ids continue; SIGTERM
#     ends it with status 0; the directory is nobody's again (root took it
#     back while it opened events.jsonl and the checkpoint), no *.tmp left;
#   - the hourly traces.jsonl is read by kpannotate, its capture.pcap by
#     kptrace replay (with the hour's sweep.json for the key);
#   - meanwhile a second watch from vp-asia over the ECMP /24 (Unicom and
#     TTC by flow) and the admin-prohibited /24 writes no event at all (a
#     set, not a majority; filtered is a status, not an outage), and its
#     SIGUSR1 prints the per-key state.
source "$(dirname "$0")/lib.sh"

KPT=$KP_BUILD/kptrace
KPA=("${KPANNOTATE:-$KP_BUILD/kpannotate}" --keep-special "$KP_TESTBED_KEEP")
PFX=$KP_SRC/tests/testbed/topologies/nk.pfx2as
[ -x "$KPT" ] || die "kptrace not built ($KPT)"

tb_up nk
work=$(mktemp -d /tmp/kp-watch.XXXXXX)
chmod 755 "$work"
mkdir -m 1777 "$work/hook" # --on-change runs as --user (nobody)
out=$work/out
WATCH=("$KPT" watch --allowlist-file "$KP_ALLOWLIST" --keep-special "$KP_TESTBED_KEEP"
    --no-progress --vp vp-eu --targets 198.19.176.0/22 --methods icmp-paris,udp-paris
    --pps 100 --wait 1000 --pfx2as "$PFX" --out "$out"
    --on-change "cat >>$work/hook/hook.log")
pid=""
pid_asia=""
stop_watch() {
    [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    pid=""
}
trap 'rc=$?; stop_watch; [ -n "$pid_asia" ] && kill -9 "$pid_asia" 2>/dev/null; (exit $rc); _tb_exit' EXIT

# wait_for SECONDS PYTHON-CONDITION — poll until the condition (python3 -c,
# exit 0) holds; 1 on timeout.
wait_for() {
    local end=$((SECONDS + $1))
    while [ $SECONDS -lt $end ]; do
        python3 -c "$2" 2>/dev/null && return 0
        sleep 1
    done
    return 1
}
# every key stable, and the /24 to move with some history (the detector
# judges a member gone from its share of the traces before)
all_stable='
import sys
ls = [l.split() for l in open("'$out'/status") if not l.startswith("#")]
sys.exit(0 if len(ls) == 8 and all(l[2] == "stable" for l in ls) and
         all(int(l[5]) >= 24 for l in ls if l[0] == "198.19.176.0/24") else 1)'

# ip netns exec execs kptrace: $! is its pid (kill -9 reaches it)
ip netns exec "$(tb_ns vp-eu)" "${WATCH[@]}" 2>"$work/watch1.err" &
pid=$!
ip netns exec "$(tb_ns vp-asia)" "$KPT" watch --allowlist-file "$KP_ALLOWLIST" \
    --keep-special "$KP_TESTBED_KEEP" --no-progress --vp vp-asia \
    --targets 198.19.178.0/24,198.19.179.0/24 --methods icmp-paris,udp-paris --pps 100 \
    --wait 1000 --pfx2as "$PFX" --out "$work/asia" 2>"$work/asia.err" &
pid_asia=$!
wait_for 180 "$all_stable" ||
    fail "8 keys (4 /24s x 2 methods) stable, 24 traces of the /24 to move, within 180 s: $(cat "$out/status" 2>&1)"
cat "$out/status" >&2
assert_eq 0 "$(wc -l <"$out/events.jsonl")" "no event for the initial states"
sleep 5

cp "$out/state" "$work/state.before-move" # a checkpoint from before the move (below)
ttc=$(tb_query "[i['addr'] for i in t['nodes']['ttc-fra']['interfaces'] if i['peer'] == 'isp-eu'][0]")
flip=$(date +%s.%N)
tb_exec isp-eu ip route replace 198.19.176.0/24 via "$ttc" || fail "moving 198.19.176.0/24 to ttc-fra"
tb_log "moved 198.19.176.0/24 to TTC ($ttc) at $flip"
wait_for 120 "
import sys
sys.exit(0 if sum(1 for l in open('$out/events.jsonl')) >= 2 else 1)" ||
    fail "two events within 120 s of the move"
sleep 15 # more rounds: nothing else may come
cp "$out/events.jsonl" "$work/events.before"

check_events() { # check_events FILE LABEL
    tb_check_lines "events $2" python3 - "$1" "$flip" "$2" <<'PY'
import datetime, json, sys
path, flip, label = sys.argv[1], float(sys.argv[2]), sys.argv[3]
def t(s):
    return datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()
evs = [json.loads(l) for l in open(path)]
def ok(c, m):
    print(("ok " if c else "FAIL ") + m)
ok(len(evs) == 2, f"{label}: exactly two events ({len(evs)})")
for m in ("icmp-paris", "udp-paris"):
    e = [x for x in evs if x["prefix"] == "198.19.176.0/24" and x["method"] == m]
    ok(len(e) == 1, f"{label}: one event for 198.19.176.0/24 {m} ({len(e)})")
    if not e:
        continue
    e = e[0]
    ok(e["v"] == 1 and e["type"] == "change" and e["vp"] == "vp-eu", f"{label}: {m}: v, type, vp")
    ok(e["before"] == {"transits": [4837], "status": "reached"}, f"{label}: {m}: before {e['before']}")
    ok(e["after"] == {"transits": [20485], "status": "reached"}, f"{label}: {m}: after {e['after']}")
    lb, fa, em = t(e["last_before"]), t(e["first_after"]), t(e["emitted"])
    ok(lb < flip <= fa, f"{label}: {m}: the move ({flip:.3f}) in ({lb:.3f}, {fa:.3f}]")
    ok(fa - lb <= 60, f"{label}: {m}: interval {fa - lb:.1f} s <= 60 s")
    ok(em - flip <= 120, f"{label}: {m}: emitted {em - flip:.1f} s after the move")
    ok(len(e["traces"]) >= 1 and all(isinstance(i, int) for i in e["traces"]), f"{label}: {m}: trace ids")
PY
}
check_events "$out/events.jsonl" "live"
assert_eq 2 "$(grep -c '"type":"change"' "$work/hook/hook.log" 2>/dev/null)" "--on-change ran once per event"
assert_cmd "--on-change got the event lines" cmp -s <(sort "$out/events.jsonl") <(sort "$work/hook/hook.log")

# kill -9 in the middle of whatever it does, and put back the checkpoint
# taken before the move: as if the crash had come after the events were
# written but before any checkpoint that holds them. The restart feeds every
# trace since that checkpoint again, which gives the two events again: they
# must be found in events.jsonl, not written (nor handed to --on-change) twice.
ids_before=$(cat "$out"/*/traces.jsonl | python3 -c 'import json,sys; print(max(json.loads(l)["id"] for l in sys.stdin))')
stop_watch
cp "$work/state.before-move" "$out/state"
# and a frame cut in the middle, as a kill -9 with frames still in the
# capture's buffer leaves one (a record header claiming 100 bytes, 10 of
# them): the restart must cut it back before it appends to the hour's capture
hour0=$(find "$out" -mindepth 1 -maxdepth 1 -type d -name '*T*Z' | sort | tail -1)
python3 -c 'import struct, sys
with open(sys.argv[1], "ab") as f:
    f.write(struct.pack("<IIII", 1700000000, 0, 100, 100) + bytes(10))' "$hour0/capture.pcap"
sleep 1
ip netns exec "$(tb_ns vp-eu)" "${WATCH[@]}" 2>"$work/watch2.err" &
pid=$!
sleep 25
kill -TERM "$pid"
wait "$pid"
assert_eq 0 $? "watch ends with status 0 on SIGTERM" || cat "$work/watch2.err" >&2
pid=""
check_events "$out/events.jsonl" "after kill -9 and restart"
assert_cmd "events.jsonl unchanged by the restart" cmp -s "$work/events.before" "$out/events.jsonl"
assert_eq 2 "$(grep -c '"type":"change"' "$work/hook/hook.log")" "--on-change not run again for the replayed events"
tail -c 2 "$out/events.jsonl" | od -c | grep -q '}  *\\n' && ok "events.jsonl ends with a whole line" ||
    fail "events.jsonl ends with a whole line"
ids=$(cat "$out"/*/traces.jsonl | python3 -c '
import json, sys, collections
ids = [json.loads(l)["id"] for l in sys.stdin]
d = [i for i, c in collections.Counter(ids).items() if c > 1]
print(len(ids), len(d), max(ids))')
read -r n_traces n_dup max_id <<<"$ids"
assert_eq 0 "$n_dup" "no trace id twice over both runs ($n_traces traces)"
assert_cmd "the restart traced on (ids beyond $ids_before)" test "$max_id" -gt "$ids_before"
assert_eq "nobody root" "$(stat -c %U "$out" "$out/events.jsonl" | xargs)" \
    "after the restart the watch directory is nobody's again (taken back while root opened it), events.jsonl root's"
assert_eq "" "$(find "$out" -name '*.tmp' -print)" "no *.tmp left in the watch directory"

# the ECMP and the admin-prohibited /24 from vp-asia: no event
kill -USR1 "$pid_asia"
sleep 1
kill -TERM "$pid_asia"
wait "$pid_asia"
assert_eq 0 $? "the vp-asia watch ends with status 0 on SIGTERM"
pid_asia=""
assert_match "198\.19\.178\.0/24 icmp-paris stable 4837,20485 reached" "$(cat "$work/asia.err")" \
    "SIGUSR1: the ECMP /24's state on stderr, both transits in its set"
assert_match "198\.19\.179\.0/24 udp-paris stable 4837 filtered" "$(cat "$work/asia/status")" \
    "status file: the admin-prohibited /24 is filtered at Unicom"
assert_eq 0 "$(wc -l <"$work/asia/events.jsonl")" "no event for the ECMP /24 nor the admin-prohibited /24 ($(grep -c . "$work/asia/status") lines of status)"

# the hourly files are read like a sweep's
hour=$(find "$out" -mindepth 1 -maxdepth 1 -type d -name '*T*Z' | sort | tail -1)
assert_cmd "hourly directory has traces.jsonl, capture.pcap, sweep.json" \
    test -s "$hour/traces.jsonl" -a -s "$hour/capture.pcap" -a -s "$hour/sweep.json"
"${KPA[@]}" -q -p "$PFX" --sweep none -o "$work/annotated.jsonl" "$hour/traces.jsonl" >/dev/null
assert_eq 0 $? "kpannotate reads the hour's traces.jsonl"
assert_eq "$(wc -l <"$hour/traces.jsonl")" "$(wc -l <"$work/annotated.jsonl")" "one annotated line per trace"
# (the capture may end in the middle of a round: the counts need not reconcile)
"$KPT" replay "$hour/capture.pcap" >"$work/replay.jsonl" 2>"$work/replay.err"
assert_eq 0 $? "replay of the hour's capture exits 0 (the cut frame was cut back at the restart)"
assert_eq "" "$(grep -i 'cut or corrupt' "$work/replay.err")" "the hour's capture has no cut or corrupt record"
if [ "$hour" = "$hour0" ]; then
    assert_match "the last record was cut \(26 bytes after frame [0-9]+\): removed" "$(cat "$work/watch2.err")" \
        "the restart says it cut the 26 bytes of the cut frame"
fi
# The hour's probes carry the hour's key, the one its sweep.json publishes,
# across a restart within the hour: the checkpoint holds it. The checkpoint
# put back above is from the hour it was taken in: when the first run went
# on into a new hour, that hour's key was lost with the checkpoint that held
# it, the restart drew a new one, and the capture can rebuild only the
# restart's traces (the first run's probes of that hour are "another run's").
state_hour=$(awk '$1 == "hour" { print $2 }' "$work/state.before-move")
rebuilt_from=0
[ "$(basename "$hour")" != "$state_hour" ] && rebuilt_from=$ids_before
tb_check_lines "replay of the hour's capture" python3 - "$hour/traces.jsonl" "$work/replay.jsonl" "$rebuilt_from" <<'PY'
import json, sys
# the live traces the capture can rebuild: ids above argv[3]
live = {t["id"]: t for t in map(json.loads, open(sys.argv[1])) if t["id"] > int(sys.argv[3])}
rep = [json.loads(l) for l in open(sys.argv[2])]
print(("ok " if len(rep) > 0 else "FAIL ") + f"replay rebuilt {len(rep)} traces")
same = sum(1 for r in rep if r["id"] in live and r["dst"] == live[r["id"]]["dst"] and r["stop_reason"] == live[r["id"]]["stop_reason"])
print(("ok " if live and same >= 0.95 * len(live) else "FAIL ") + f"{same} of {len(live)} live traces rebuilt alike from the capture")
PY
tb_down
[ "$TB_FAILED" = 0 ] && rm -rf "$work"
tb_summary
