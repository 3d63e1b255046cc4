#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# ctest-run-serial (it measures time: it runs alone)
# test_prober_pacing — the probes leave at the rate asked, smoothly, in a
# random order over (target, TTL), measured on the capture's timestamps.
#
# vp-us sweeps 198.19.176.0/24 and 198.19.177.0/24 with icmp-paris at
# --pps 200 (no Doubletree, so every trace probes from TTL 1). From the
# probes' capture timestamps (tcpdump, nanoseconds):
#   - the mean rate over the busy part is at most 200/s (+2%);
#   - no 100 ms window holds more than 20 + 2 probes (no per-second bursts);
#   - the median gap between probes is at least 4.5 ms (1/200 s = 5 ms);
#   - consecutive probes rarely go to the same destination (< 5%), and both
#     /24s get probes throughout (each has >= 35% of the probes of the first
#     half of the run).
# The sender woke up ahead of its sends by 20 us to 3/4 of the interval,
# at the default scheduling policy (sweep.json "sender"); a second sweep
# with --realtime runs its threads at SCHED_FIFO 20 (the sender) and 19 (the
# receive thread), read from /proc while it runs, and says so.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/prober_lib.sh"

tb_up nk
work=$(mktemp -d /tmp/kp-pace.XXXXXX)
vp=vp-us
src=$(tb_addr $vp)
tb_exec $vp "$KPTRACE" sweep --allowlist-file "$KP_ALLOWLIST" --vp $vp --targets 198.19.176.0/24,198.19.177.0/24 \
    --methods icmp-paris --pps 200 --no-doubletree --out "$work/s" --no-progress 2>"$work/s.err"
assert_eq 0 $? "sweep exits 0"
tcpdump -nr "$work/s/capture.pcap" --time-stamp-precision=nano -tt "src host $src and ip[8] < 64" \
    2>/dev/null | awk '{ sub(":", "", $5); print $1, $5 }' >"$work/probes"
n=$(wc -l <"$work/probes")
tb_log "$n probes captured"
assert_between 1000 100000 "$n" "enough probes to measure"
python3 - "$work/probes" >"$work/stats" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
ts = [int(a.replace(".", "")) for a, _ in rows]
dst = [d for _, d in rows]
t0, t1 = ts[0], ts[-1]
# busy part: until 90% of the probes are out (the tail waits for timeouts)
k = int(len(ts) * 0.9)
rate = k / ((ts[k] - t0) / 1e9)
win, j = 0, 0
for i in range(len(ts)):
    while ts[i] - ts[j] >= 100_000_000:
        j += 1
    win = max(win, i - j + 1)
gaps = sorted(b - a for a, b in zip(ts, ts[1:]))
same = sum(1 for a, b in zip(dst, dst[1:]) if a == b) / (len(dst) - 1)
half = dst[: len(dst) // 2]
s176 = sum(1 for d in half if d.startswith("198.19.176.")) / len(half)
print("rate %.1f" % rate)
print("win %d" % win)
print("median_gap_ms %.3f" % (statistics.median(gaps) / 1e6))
print("same_dst %.4f" % same)
print("share176 %.3f" % s176)
PY
cat "$work/stats" >&2
get() { awk -v k="$1" '$1 == k { print $2 }' "$work/stats"; }
assert_between 50 204 "$(get rate)" "mean probe rate at most 200/s"
assert_between 1 22 "$(get win)" "at most 22 probes in any 100 ms"
assert_between 4.5 1000 "$(get median_gap_ms)" "median gap between probes (ms)"
assert_between 0 0.05 "$(get same_dst)" "consecutive probes to the same destination (fraction)"
assert_between 0.35 0.65 "$(get share176)" "share of the first half's probes going to the .176 /24"
assert_eq false "$(kp_json_get "$work/s/sweep.json" sender realtime)" "no real-time priority by default"
assert_between 20 3750 "$(kp_json_get "$work/s/sweep.json" sender wake_early_us)" \
    "the sender woke up 20 us to 3/4 of the interval ahead of a send"

# the policy and priority of each thread while it runs: FF (SCHED_FIFO) 20
# for the sender, 19 for the receive thread
tb_exec $vp "$KPTRACE" sweep --allowlist-file "$KP_ALLOWLIST" --vp $vp --targets 198.19.176.0/26 \
    --methods icmp-paris --pps 200 --no-doubletree --realtime --out "$work/t" --no-progress -q &
pid=$!
cls=""
for _ in $(seq 1 50); do
    sleep 0.1
    kp=""
    for p in $(ip netns pids "$(tb_ns $vp)"); do
        [ "$(cat /proc/"$p"/comm 2>/dev/null)" = kptrace ] && kp=$p
    done
    [ -n "$kp" ] || continue
    cls=$(ps -L -o cls=,rtprio= -p "$kp" | awk '{ print $1 "/" $2 }' | sort | tr '\n' ' ')
    # (the receive thread lowers itself once it runs: read again until then)
    [ "$cls" = "FF/19 FF/20 " ] && break
done
wait $pid
assert_eq 0 $? "sweep --realtime exits 0"
tb_log "thread policies: $cls"
assert_eq "FF/19 FF/20 " "$cls" "the sender real-time at 20, the receive thread at 19"
assert_eq true "$(kp_json_get "$work/t/sweep.json" sender realtime)" "--realtime: the sender says so"
rm -rf "$work"
