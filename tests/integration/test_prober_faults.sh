#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# ctest-labels: long
# test_prober_faults — nothing lost, split or miscounted silently, whatever
# happens to a sweep: each fault below is injected into a real sweep on the
# emulated Internet (topology sweep: vp - isp - two transits - a silent border
# - 198.18.200.0/22, one /24 ECMP, one admin-prohibited), and the records, the
# counts and the status are checked against the testbed's ground truth.
#
#   pause     SIGSTOP for 2 s and for 20 s in the middle of a /22 x 3 methods
#             sweep at 1000 pps (--window 8 --attempts 1, seed fixed), beside
#             an unpaused run with the same seed: one record per (address,
#             method), status complete, checks all ok; no hop lost: every
#             probe the capture holds at a TTL whose router (or destination)
#             answers in the truth has its reply in the record; the same stop
#             reason and TTL per pair and the same hops per (/24, method) as
#             the unpaused run.
#   disk      a full disk mid-sweep (a 400 KiB tmpfs as --out): exit 1, the
#             message names the file and "No space left on device", sweep.json
#             valid with status error, every line of traces.jsonl a whole
#             record, capture.pcap read by tcpdump to its end; then the tmpfs
#             grown and --resume: exit 0, complete, every pair once.
#   buffer    a capture buffer too small for the rate (--capture-buffer 64 at
#             40000 pps): the kernel's drops counted in sweep.json, status
#             incomplete, exit 4, the probes check named.
#   sigterm   SIGTERM while the sweep waits for its last unanswered probes
#             (--wait 4000 --late 4000, all sent): exit 3 within a second,
#             status interrupted, every pair recorded once, checks all ok;
#             --resume then has nothing to probe and completes it.
#   twins     two sweeps from the same address at once, over the same
#             targets and method (different seeds): both complete, each with
#             one record per pair equal to the truth, each counts the other's
#             probes as foreign; the replay of each capture (its sweep.json
#             beside it) gives its own records.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/prober_lib.sh"

tb_up sweep
truth=$(tb_truth)
work=$(mktemp -d /tmp/kp-faults.XXXXXX)
chmod 755 "$work"
src=$(tb_addr vp)
ns=$(tb_ns vp)
small=$work/small
cleanup_mount() { mountpoint -q "$small" 2>/dev/null && umount "$small"; }
trap 'rc=$?; cleanup_mount; (exit $rc); _tb_exit' EXIT

# Every kptrace sweep of this test goes through KP_SWEEP (one place for the
# options all runs share). An array, not a function, so that a sweep started
# in the background is kptrace itself ($! gets the signals).
KP_SWEEP=(ip netns exec "$ns" "$KPTRACE" sweep --allowlist-file "$KP_ALLOWLIST" --vp vp --no-progress)

# check.py KIND ARGS...: one "ok MSG" / "FAIL MSG" line per check.
cat >"$work/check.py" <<'PY'
import ipaddress, json, os, sys
sys.path.insert(0, os.environ["KP_SRC"] + "/tests/integration")
import kp_pcap

def records(path):
    return [json.loads(l) for l in open(path) if l.strip()]

def one_per_pair(recs, targets, methods):
    want = {(str(a), m) for t in targets for a in ipaddress.ip_network(t) for m in methods}
    got = [(r["dst"], r["method"]) for r in recs]
    return len(got) == len(set(got)) and set(got) == want, len(got), len(set(got)), len(want)

def probes_in(pcap, with_ts=False):
    return kp_pcap.probes_in(pcap, SRC, with_ts)

def truth_paths(path):
    T = json.load(open(path))
    return {s24: e["alternatives"] for s24, e in T["paths"]["vp"].items()}

PROTO = {1: "icmp-paris", 17: "udp-paris", 6: "tcp-syn"}

def expected(paths, dst, ttl):
    """The addresses that may answer a probe to dst at ttl (empty: silent):
    the router at ttl, the destination at its TTL and beyond, or the router
    that answers admin-prohibited at its TTL and beyond."""
    s24 = str(ipaddress.ip_network(dst + "/24", strict=False))
    out = set()
    for alt in paths[s24]:
        hops = alt["hops"]
        if ttl >= len(hops):
            out.add(dst if alt["stop"] == "reached" else hops[-1]["addr"])
        elif not hops[ttl - 1]["silent"]:
            out.add(hops[ttl - 1]["addr"])
    return out

kind = sys.argv[1]
if kind == "run":
    # run OUTDIR TARGETS METHODS STATUS: one record per pair, status, checks
    d, targets, methods, status = sys.argv[2:6]
    recs = records(d + "/traces.jsonl")
    S = json.load(open(d + "/sweep.json"))
    ok, n, u, w = one_per_pair(recs, targets.split(","), methods.split(","))
    print(("ok " if ok else "FAIL ") + "%s: one record per (address, method): %d records, %d pairs, %d planned" % (d, n, u, w))
    print(("ok " if S["status"] == status else "FAIL ") + "%s: status %s (want %s)" % (d, S["status"], status))
    if status in ("complete", "interrupted"):
        bad = [k for k, v in (S.get("checks") or {"none": {"ok": False}}).items() if not v["ok"]]
        print(("ok " if not bad and S["incomplete"] is None else "FAIL ") + "%s: every check holds %s" % (d, bad))
        c = S["counts"]
        print(("ok " if c["traces"] == len(recs) == c["traces_planned"] else "FAIL ")
              + "%s: counts.traces %d = lines %d = planned %d" % (d, c["traces"], len(recs), c["traces_planned"]))
elif kind == "nolost":
    # nolost OUTDIR TRUTH: every probe at an answering TTL has its reply
    d, tp = sys.argv[2:4]
    paths = truth_paths(tp)
    recs = {(r["dst"], r["method"]): r for r in records(d + "/traces.jsonl")}
    lost, checked, wrong = [], 0, []
    for dst, proto, ttl in probes_in(d + "/capture.pcap"):
        exp = expected(paths, dst, ttl)
        r = recs.get((dst, PROTO[proto]))
        if r is None:
            lost.append((dst, PROTO[proto], ttl, "no record"))
            continue
        got = {h["addr"] for h in r["hops"] if h["ttl"] == ttl}
        if got - exp:
            wrong.append((dst, PROTO[proto], ttl, sorted(got - exp)))
        if exp:
            checked += 1
            if not got:
                lost.append((dst, PROTO[proto], ttl))
    print(("ok " if checked > 0 and not lost else "FAIL ")
          + "%s: every probe at an answering TTL has its reply (%d probes checked, lost %s)" % (d, checked, lost[:5]))
    print(("ok " if not wrong else "FAIL ") + "%s: every reply is the truth's %s" % (d, wrong[:5]))
elif kind == "same":
    # same OUTDIR-A OUTDIR-B: same stop per pair, same hops per (/24, method)
    a, b = records(sys.argv[2] + "/traces.jsonl"), records(sys.argv[3] + "/traces.jsonl")
    sa = {(r["dst"], r["method"]): (r["stop_reason"], r["stop_ttl"]) for r in a}
    sb = {(r["dst"], r["method"]): (r["stop_reason"], r["stop_ttl"]) for r in b}
    diff = [(k, sa[k], sb.get(k)) for k in sa if sa[k] != sb.get(k)]
    print(("ok " if not diff and len(sa) == len(sb) else "FAIL ")
          + "%s: the same stop reason and TTL per pair as %s %s" % (sys.argv[3], sys.argv[2], diff[:3]))
    def by24(recs):
        u = {}
        for r in recs:
            k = (str(ipaddress.ip_network(r["dst"] + "/24", strict=False)), r["method"])
            u.setdefault(k, set()).update((h["ttl"], h["addr"]) for h in r["hops"]
                                          if not h["from_dst"] and h["ttl"] <= r["stop_ttl"])
        return u
    ua, ub = by24(a), by24(b)
    d2 = [(k, sorted(ua[k] ^ ub.get(k, set()))) for k in ua if ua[k] != ub.get(k, set())]
    print(("ok " if not d2 else "FAIL ")
          + "%s: the same router hops per (/24, method) as %s %s" % (sys.argv[3], sys.argv[2], d2[:3]))
elif kind == "paused":
    # paused OUTDIR SECONDS: the capture shows the pause (no probe for that long)
    d, secs = sys.argv[2], float(sys.argv[3])
    ts = sorted(p[3] for p in probes_in(d + "/capture.pcap", True))
    gap = max(b - a for a, b in zip(ts, ts[1:]))
    print(("ok " if gap >= secs - 0.5 else "FAIL ")
          + "%s: the capture shows the pause: no probe for %.1f s (wanted %.0f)" % (d, gap, secs))
elif kind == "lines":
    # lines OUTDIR: every line of traces.jsonl is a whole record
    n, bad = 0, 0
    raw = open(sys.argv[2] + "/traces.jsonl", "rb").read()
    ends = raw.endswith(b"\n") or raw == b""
    for l in raw.decode().splitlines():
        n += 1
        try:
            json.loads(l)
        except ValueError:
            bad += 1
    print(("ok " if bad == 0 and ends else "FAIL ")
          + "traces.jsonl: %d lines, all whole records (%d bad, ends in a newline: %s)" % (n, bad, ends))
else:
    sys.exit("unknown " + kind)
PY
SRC_PY="SRC = bytes(int(x) for x in '$src'.split('.'))"
sed -i "1i $SRC_PY" "$work/check.py"
check() { tb_check_lines "check.py $1" python3 "$work/check.py" "$@"; }

# --- pause: SIGSTOP/SIGCONT for 2 s and 20 s --------------------------------------
T22=198.18.200.0/22
M3=icmp-paris,udp-paris,tcp-syn
pause_run() { # NAME PAUSE_S
    local name=$1 pause=$2 t0=$SECONDS
    "${KP_SWEEP[@]}" --targets $T22 --methods $M3 --pps 1000 --window 8 --attempts 1 --seed 4242 \
        --out "$work/$name" 2>"$work/$name.err" &
    local pid=$!
    if [ "$pause" -gt 0 ]; then
        sleep 3
        kill -STOP $pid
        sleep "$pause"
        kill -CONT $pid
    fi
    wait $pid
    assert_eq 0 $? "$name: exits 0 after a ${pause} s pause"
    tb_log "$name: $((SECONDS - t0)) s: $(tail -1 "$work/$name.err")"
}
pause_run base 0
pause_run pause2 2
pause_run pause20 20
for name in base pause2 pause20; do
    check run "$work/$name" $T22 $M3 complete
    check nolost "$work/$name" "$truth"
done
check paused "$work/pause2" 2
check paused "$work/pause20" 20
check same "$work/base" "$work/pause2"
check same "$work/base" "$work/pause20"

# --- disk: a full disk mid-sweep, then --resume on a bigger one -------------------
mkdir -p "$small"
mount -t tmpfs -o size=400k tmpfs "$small" || die "cannot mount a tmpfs"
"${KP_SWEEP[@]}" --targets $T22 --methods icmp-paris --pps 2000 --out "$small/s" 2>"$work/disk.err"
assert_eq 1 $? "disk: a full disk ends the sweep with exit 1"
assert_match "traces.jsonl|capture.pcap" "$(cat "$work/disk.err")" "disk: the message names the file"
assert_match "No space left on device" "$(cat "$work/disk.err")" "disk: ... and says why"
st=$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); print(s["status"], s["error"] is not None)' "$small/s/sweep.json")
assert_eq "error True" "$st" "disk: sweep.json is valid and says error, with the message"
check lines "$small/s"
tcpdump -nr "$small/s/capture.pcap" >/dev/null 2>"$work/disk.tcpdump"
assert_eq 0 $? "disk: tcpdump reads capture.pcap"
assert_eq "" "$(grep -i truncated "$work/disk.tcpdump")" "disk: capture.pcap ends with a whole frame"
mount -o remount,size=64m "$small" || die "cannot grow the tmpfs"
ip netns exec "$ns" "$KPTRACE" sweep --resume "$small/s" --no-progress 2>"$work/disk2.err"
assert_eq 0 $? "disk: --resume on a bigger disk exits 0"
check run "$small/s" $T22 icmp-paris complete
umount "$small"

# --- buffer: a capture buffer too small for the rate ------------------------------
"${KP_SWEEP[@]}" --targets $T22 --methods $M3 --unsafe-rate --pps 40000 --no-doubletree --window 8 \
    --attempts 1 --capture-buffer 64 --out "$work/buf" 2>"$work/buf.err"
assert_eq 4 $? "buffer: exit 4 (incomplete)"
python3 - "$work/buf/sweep.json" <<'PY' && ok "buffer: drops counted, status incomplete, the probes check named" || fail "buffer: $(cat "$work/buf.err")"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["capture"]["dropped"] + s["capture"]["if_dropped"] > 0, s["capture"]
assert s["status"] == "incomplete", s["status"]
assert not s["checks"]["probes"]["ok"] and "probes:" in s["incomplete"], s["incomplete"]
PY
assert_match "incomplete: .*probes" "$(cat "$work/buf.err")" "buffer: stderr names the counts"

# --- sigterm: during the final wait ------------------------------------------------
"${KP_SWEEP[@]}" --targets 198.18.200.0/24 --methods icmp-paris --pps 2000 --wait 4000 --late 4000 \
    --out "$work/term" 2>"$work/term.err" &
pid=$!
# all 256 traces sent within about a second of the first probe; the
# pilot's silent TTL then keeps the run waiting for its wait + late (8 s).
# Wait for the capture to hold a probe and a reply per trace (written out
# every second), then a little more.
for _ in $(seq 1 300); do
    sleep 0.1
    sz=$(stat -c %s "$work/term/capture.pcap" 2>/dev/null || echo 0)
    [ "$sz" -gt $((256 * 2 * 80)) ] && break
done
sleep 1.5
t0=$(date +%s%N)
kill -TERM $pid
wait $pid
rc=$?
dt=$((($(date +%s%N) - t0) / 1000000))
assert_eq 3 $rc "sigterm: exit 3"
assert_between 0 1000 $dt "sigterm: ends within a second of the signal (ms)"
check run "$work/term" 198.18.200.0/24 icmp-paris interrupted
ip netns exec "$ns" "$KPTRACE" sweep --resume "$work/term" --no-progress 2>"$work/term2.err"
assert_eq 0 $? "sigterm: --resume exits 0"
check run "$work/term" 198.18.200.0/24 icmp-paris complete

# --- twins: two sweeps from the same address at once ------------------------------
"${KP_SWEEP[@]}" --targets 198.18.201.0/24 --methods icmp-paris --pps 500 --seed 1 --out "$work/twin1" \
    2>"$work/twin1.err" &
p1=$!
"${KP_SWEEP[@]}" --targets 198.18.201.0/24 --methods icmp-paris --pps 500 --seed 2 --out "$work/twin2" \
    2>"$work/twin2.err" &
p2=$!
wait $p1
assert_eq 0 $? "twins: the first sweep exits 0"
wait $p2
assert_eq 0 $? "twins: the second sweep exits 0"
want=$(tb_path vp 198.18.201.1 | sed 's/198.18.201.1$//')
for t in twin1 twin2; do
    check run "$work/$t" 198.18.201.0/24 icmp-paris complete
    foreign=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["counts"]["probes_foreign"])' "$work/$t/sweep.json")
    assert_between 1 1000000 "$foreign" "$t: the other sweep's probes seen and left out"
    bad=$(kp_tokens <"$work/$t/traces.jsonl" | while read -r dst m stop toks; do
        [ "$stop" = completed ] && [[ "$toks " == *"$dst "* ]] || echo "$dst $stop $toks"
    done | head -3)
    assert_eq "" "$bad" "$t: every record completed at its destination"
    "$KPTRACE" replay "$work/$t/capture.pcap" >"$work/$t.replay" 2>/dev/null
    same=$(python3 - "$work/$t/traces.jsonl" "$work/$t.replay" <<'PY'
import json, sys
def load(p):
    return {(r["dst"], r["method"]): [(h["ttl"], h["attempt"], h["addr"], h["rx_ns"]) for h in r["hops"]]
            for r in map(json.loads, open(p)) if r}
a, b = load(sys.argv[1]), load(sys.argv[2])
print("same" if a == b else "differ %d %d %s" % (len(a), len(b), [k for k in a if a[k] != b.get(k)][:3]))
PY
)
    assert_eq same "$same" "$t: replay of its capture gives its own records"
done

rm -rf "$work"
