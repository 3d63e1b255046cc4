#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# ctest-labels: long
# test_watch_accept — issue 11's acceptance of `kptrace watch`, on the watch
# testbed (topologies/watch.topo: vp-asia, STAR-KP's 198.19.176.0/22 with 5 %
# loss each way on the uplink, a silent border router, an ECMP /24 and an
# admin-prohibited /24), 50 pps for the /22 x 2 methods:
#   1. KP_WATCH_QUIET seconds (default 300, the issue's 5 minutes) from the
#      start: no event at all;
#   2. 198.19.176.0/24 moved from Unicom to TTC (both ways), 15 s later
#      198.19.177.0/24 black-holed inside STAR-KP (watch_lib.sh; the test
#      reads the wall clock right before and after each change): one event
#      per (/24, method) each, the change inside (last_before, first_after],
#      that interval <= 60 s, each written <= 120 s after the change;
#   3. kill -9 as soon as those four are on disk, restart on the same --out:
#      KP_WATCH_RESTART seconds (default 30) without a new event, events.jsonl
#      byte for byte as before;
#   4. 198.19.176.0/24 moved back to Unicom, kill -9 three seconds later and
#      restart at once: the change is still reported, once per method, within
#      the same bounds (the restarted watch continues from its checkpoint);
#   5. at the end (SIGTERM): exactly those six events and no other, every
#      line of events.jsonl JSON with issue 11's fields, --on-change got
#      events and no other lines; hourly DIR/YYYYmmddTHHZ/{traces.jsonl,
#      capture.pcap,sweep.json} exist, kpannotate reads the traces (the ECMP
#      and !X /24s give their topology's verdicts) and `kptrace replay`
#      rebuilds traces from the captures.
# Expected events come from the topology and the changes made here: a move
# Unicom -> TTC is {[4837] reached} -> {[20485] reached}; the black hole of
# the TTC /24 keeps its transit and turns it dark (core/change/detect.h: a
# trace that names no transit never changes the set).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/watch_lib.sh"

QUIET=${KP_WATCH_QUIET:-300}
RESTART_QUIET=${KP_WATCH_RESTART:-30}
KPT=$KP_BUILD/kptrace
KPA=("${KPANNOTATE:-$KP_BUILD/kpannotate}" --keep-special "$KP_TESTBED_KEEP")
CHECK=$KP_SRC/tests/integration/watch_check.py
[ -x "$KPT" ] || die "kptrace not built ($KPT)"
[ -x "${KPA[0]}" ] || die "kpannotate not built (${KPA[0]})"
tb_log "quiet period ${QUIET} s (KP_WATCH_QUIET), after the restart ${RESTART_QUIET} s (KP_WATCH_RESTART)"

# On failure, what watch wrote (but the captures) is kept for a post-mortem,
# in $KP_TEST_KEEP (default /tmp), before the testbed's state is removed.
keep_on_failure() {
    [ "$TB_FAILED" -gt 0 ] && [ -n "${work:-}" ] && [ -d "$work" ] || return 0
    local k
    k=$(mktemp -d "${KP_TEST_KEEP:-/tmp}/test_watch_accept.XXXXXX") || return 0
    (cd "$work" && find . -type f ! -name '*.pcap' -exec cp --parents {} "$k/" \;)
    cp "$(wb_log)" "$k/" 2>/dev/null
    tb_log "failed: watch's files (no captures) kept in $k"
}
trap 'rc=$?; keep_on_failure; (exit $rc); _tb_exit' EXIT

tb_up watch
# kptrace drops root (to nobody) after opening its files: its --on-change
# command must be able to reach and write its log.
chmod 755 "$TB_STATE"
work=$TB_STATE/accept
mkdir -p "$work/oc"
chmod 755 "$work"
chmod 1777 "$work/oc"
pfx=$work/watch.pfx2as
wb_pfx2as "$pfx"
chmod 644 "$pfx"
out=$work/out
ev=$out/events.jsonl
oc=$work/oc/on-change.jsonl
cat >"$work/on-change.sh" <<EOF
#!/bin/sh
# one event on standard input; append it as one line
{ cat; echo; } >>"$oc"
EOF
chmod 755 "$work/on-change.sh"

MOVED=198.19.176.0/24
DARK=198.19.177.0/24
METHODS=icmp-paris,udp-paris
WATCH=("$KPT" watch --allowlist-file "$KP_ALLOWLIST" --keep-special "$KP_TESTBED_KEEP"
    --vp vp-asia --targets 198.19.176.0/22 --methods "$METHODS" --pps 50
    --pfx2as "$pfx" --out "$out" --on-change "$work/on-change.sh")

WPID=""
NRUN=0
# start_watch — kptrace watch in vp-asia's namespace, in the background
# (`ip netns exec` execs kptrace: WPID is kptrace's pid).
start_watch() {
    NRUN=$((NRUN + 1))
    ip netns exec "$(tb_ns vp-asia)" "${WATCH[@]}" >"$work/watch$NRUN.out" 2>"$work/watch$NRUN.err" &
    WPID=$!
    sleep 2
    if ! kill -0 "$WPID" 2>/dev/null; then
        wait "$WPID"
        fail "kptrace watch (run $NRUN) exited at once (status $?): $(head -c 2000 "$work/watch$NRUN.err")"
        WPID=""
        return 1
    fi
    ok "kptrace watch run $NRUN started (pid $WPID)"
}

# kill9 — SIGKILL the running watch and reap it.
kill9() {
    [ -n "$WPID" ] || return 0
    kill -9 "$WPID"
    wait "$WPID" 2>/dev/null
    tb_log "watch run $NRUN killed with SIGKILL"
}

nlines() { if [ -f "$ev" ]; then wc -l <"$ev"; else echo 0; fi; }
now() { date +%s.%N; }
later() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 > b + 0) }'; } # later A B: A > B
plus() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a + b }'; }   # plus T SECONDS

# poll_events N DEADLINE — every half second until events.jsonl has N lines
# or the clock passes DEADLINE (Unix time); notes when each line was first
# seen in $work/seen ("LINE TIME"). Returns 0 (N lines), 1 (deadline) or 2
# (watch is gone: a failure).
SEEN_N=0
poll_events() {
    local want=$1 deadline=$2 n t
    while :; do
        n=$(nlines)
        t=$(now)
        while [ "$SEEN_N" -lt "$n" ]; do
            SEEN_N=$((SEEN_N + 1))
            echo "$SEEN_N $t" >>"$work/seen"
            tb_log "event line $SEEN_N on disk: $(sed -n "${SEEN_N}p" "$ev" | head -c 300)"
        done
        [ "$n" -ge "$want" ] && return 0
        later "$t" "$deadline" && return 1
        if [ -z "$WPID" ] || ! kill -0 "$WPID" 2>/dev/null; then
            [ -n "$WPID" ] && { wait "$WPID"; fail "kptrace watch (run $NRUN) exited (status $?) while watching: $(tail -c 2000 "$work/watch$NRUN.err")"; }
            WPID=""
            return 2
        fi
        sleep 0.5
    done
}
: >"$work/seen"

# --- 1. quiet period ------------------------------------------------------------
t_start=$(now)
start_watch || die "kptrace watch does not run"
poll_events 1 "$(plus "$t_start" "$QUIET")"
assert_eq 0 "$(nlines)" "no event in the first $QUIET s (loss, silent border, ECMP, !X)"
traced=$(cat "$out"/2*Z/traces.jsonl 2>/dev/null | python3 -c '
import collections, ipaddress, json, sys
c = collections.Counter()
for l in sys.stdin:
    try:
        t = json.loads(l)
    except ValueError:
        continue
    c[(str(ipaddress.ip_network(t["dst"] + "/24", strict=False)), t["method"])] += 1
print(" ".join("%s,%s" % k for k, n in sorted(c.items()) if n >= 10))')
assert_eq "198.19.176.0/24,icmp-paris 198.19.176.0/24,udp-paris 198.19.177.0/24,icmp-paris 198.19.177.0/24,udp-paris 198.19.178.0/24,icmp-paris 198.19.178.0/24,udp-paris 198.19.179.0/24,icmp-paris 198.19.179.0/24,udp-paris" \
    "$traced" "quiet period: every (/24, method) traced at least 10 times (hourly traces.jsonl)"

# --- 2. a move and a black hole -------------------------------------------------
wb_move_to_ttc "$MOVED"
m1=$WB_T_BEFORE
poll_events 1000000 "$(plus "$m1" 15)" # (notes when lines appear meanwhile)
wb_blackhole "$DARK"
m2=$WB_T_BEFORE
poll_events 4 "$(plus "$m2" 125)" ||
    fail "four events on disk within 125 s of the black hole (have $(nlines))"
tb_log "events after the changes: $(nlines) ($(awk -v a="$m1" -v b="$(now)" 'BEGIN { printf "%.0f", b - a }') s after the move)"

# after_kill — phases 3 and 4; returns at the first thing that stops them
# (the checks of phase 5 still run over what happened).
after_kill() {
    # --- 3. kill -9 at once, restart, nothing new ---------------------------
    kill9
    cp "$ev" "$work/events.at-kill" 2>/dev/null || : >"$work/events.at-kill"
    start_watch || return 1
    poll_events $(($(nlines) + 1)) "$(plus "$(now)" "$RESTART_QUIET")"
    [ -n "$WPID" ] || return 1
    assert_cmd "after kill -9 and restart: events.jsonl byte for byte as at the kill ($RESTART_QUIET s)" \
        cmp "$work/events.at-kill" "$ev"

    # --- 4. move back, kill -9 while confirming, restart at once --------------
    n_before=$(nlines)
    wb_move_to_unicom "$MOVED"
    m3=$WB_T_BEFORE
    poll_events 1000000 "$(plus "$m3" 3)"
    [ -n "$WPID" ] || return 1
    kill9
    start_watch || return 1
    poll_events $((n_before + 2)) "$(plus "$m3" 125)" ||
        fail "the move back reported within 125 s across a kill -9 (have $(($(nlines) - n_before)) new lines)"
    # anything more would be a false event: watch a little longer
    poll_events $(($(nlines) + 1)) "$(plus "$(now)" 20)"
}
after_kill

# --- 5. stop, and check everything ------------------------------------------------
if [ -n "$WPID" ]; then
    poll_events $(($(nlines) + 1)) "$(now)"
    kill -TERM "$WPID"
    for _ in $(seq 1 30); do kill -0 "$WPID" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$WPID" 2>/dev/null; then
        fail "kptrace watch still running 15 s after SIGTERM"
        kill9
    else
        wait "$WPID"
        rc=$?
        assert_between 0 127 "$rc" "kptrace watch ends on SIGTERM with an exit status, not a signal"
    fi
fi

hours=$(find "$out" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | grep -E '^[0-9]{8}T[0-9]{2}Z$' | sort)
h0=$(date -u -d "@${t_start%.*}" +%Y%m%dT%HZ)
assert_cmd "hourly directory of the start hour ($h0) exists" grep -qx "$h0" <<<"$hours"
ids=$work/trace-ids
: >"$ids"
for h in $hours; do
    d=$out/$h
    for f in traces.jsonl capture.pcap sweep.json; do
        assert_cmd "$h/$f exists and is not empty" test -s "$d/$f"
    done
    tb_check_lines "$h/traces.jsonl" python3 -c '
import json, sys
n, bad = 0, []
with open(sys.argv[1], "rb") as f, open(sys.argv[2], "a") as ids:
    for i, l in enumerate(f, 1):
        try:
            t = json.loads(l)
            n += 1
            print(t["id"], file=ids)
        except (ValueError, KeyError):
            bad.append(i)
print(("ok " if n and not bad else "FAIL ") + "%s: %d traces, every line a JSON trace (bad lines %s)" % (sys.argv[1], n, bad[:5]))
' "$d/traces.jsonl" "$ids"
    assert_eq vp-asia "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("vp"))' "$d/sweep.json" 2>&1)" \
        "$h/sweep.json is JSON naming the vantage point"
    rc=0
    "$KPT" replay "$d/capture.pcap" >"$work/replay-$h.jsonl" 2>"$work/replay-$h.err" || rc=$?
    assert_eq 0 "$rc" "kptrace replay $h/capture.pcap exits 0 ($(tail -c 300 "$work/replay-$h.err"))"
    assert_between 1 1000000000 "$(wc -l <"$work/replay-$h.jsonl")" "kptrace replay $h/capture.pcap rebuilds traces"
done
rc=0
"${KPA[@]}" -q -p "$pfx" --sweep none --summary-format json -s "$out"/2*Z/traces.jsonl >"$work/summary.jsonl" \
    2>"$work/summary.err" || rc=$?
assert_eq 0 "$rc" "kpannotate reads the hourly traces ($(head -c 300 "$work/summary.err"))"
tb_check_lines "verdicts" python3 "$CHECK" verdicts "$work/summary.jsonl" \
    198.19.178.0/24=4837+20485:reached 198.19.179.0/24=4837:filtered --label "hourly traces: "

# the events
python3 - "$(wb_log)" "$work/seen" "$ids" >"$work/spec.json" <<'EOF'
import json, sys
changes = [l.split() for l in open(sys.argv[1]) if l.strip()]
seen = dict(l.split() for l in open(sys.argv[2]) if l.strip())
ids = []
for l in open(sys.argv[3]):
    l = l.strip()
    if l:
        ids.append(int(l) if l.lstrip("-").isdigit() else l)
U, T = 4837, 20485
want = {  # from the topology: what each change does to the state of its /24
    "move_to_ttc": ({"transits": [U], "status": "reached"}, {"transits": [T], "status": "reached"}),
    "blackhole": ({"transits": [T], "status": "reached"}, {"transits": [T], "status": "dark"}),
    "move_to_unicom": ({"transits": [T], "status": "reached"}, {"transits": [U], "status": "reached"}),
}
expect = []
for action, prefix, tb, ta in changes:
    b, a = want[action]
    expect.append({"prefix": prefix, "methods": ["icmp-paris", "udp-paris"], "before": b, "after": a,
                   "t_before": tb, "t_after": ta})
print(json.dumps({"vp": "vp-asia", "max_width": 60, "max_delay": 120, "trace_ids": ids,
                  "seen_lines": {k: float(v) for k, v in seen.items()}, "expect": expect}))
EOF
if [ -f "$ev" ]; then
    tb_check_lines "events" python3 "$CHECK" events "$ev" "$work/spec.json"
else
    fail "no $ev written"
fi

# --on-change: every line it got is one event of events.jsonl, none twice;
# the move back (no kill after it) reached it for both methods.
moved_back=$(grep -c '^move_to_unicom ' "$(wb_log)")
tb_check_lines "on-change" python3 - "$ev" "$oc" "$MOVED" "$moved_back" <<'EOF'
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()] if sys.argv[1] else []
try:
    got = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
except (OSError, ValueError) as e:
    print("FAIL --on-change output unreadable: %r" % e)
    sys.exit(0)
key = lambda e: json.dumps(e, sort_keys=True)
ek = {key(e) for e in evs}
gk = [key(e) for e in got]
print(("ok " if all(k in ek for k in gk) else "FAIL ") + "--on-change got only events of events.jsonl (%d)" % len(gk))
print(("ok " if len(gk) == len(set(gk)) else "FAIL ") + "--on-change got no event twice")
back = [e for e in got if e.get("prefix") == sys.argv[3] and (e.get("after") or {}).get("transits") == [4837]]
if sys.argv[4] != "0":
    print(("ok " if len(back) == 2 else "FAIL ") + "--on-change got the move back for both methods (%d)" % len(back))
EOF
