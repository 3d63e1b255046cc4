#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# test_testbed_watch — the watch scenario (topologies/watch.topo) and its
# run-time changes (watch_lib.sh) do what they claim, seen by kptrace sweeps
# from vp-asia annotated by kpannotate with the topology's prefix table:
#   0. as built: .176 Unicom, .177 TTC, .178 both (ECMP), .179 Unicom !X;
#      about 5 % of the probes or answers lost on the uplink, each way;
#   1. wb_move_to_ttc .176: .176 via TTC, replies too (the destination's
#      round trip drops from Unicom's ~126 ms to TTC's ~52 ms, not the
#      ~89 ms of a one-way move); nothing else changes;
#   2. wb_blackhole .177: nothing in .177 answers, nothing else changes;
#   3. wb_move_to_unicom .176 and wb_unblackhole .177: as built again;
#   4. wb_move_to_ttc on the ECMP /24: TTC only.
# Expected values: the topology (its routes and one-way delays), not kptrace.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/watch_lib.sh"

KPA=("${KPANNOTATE:-$KP_BUILD/kpannotate}" --keep-special "$KP_TESTBED_KEEP")
KPT=$KP_BUILD/kptrace
CHECK=$KP_SRC/tests/integration/watch_check.py
[ -x "${KPA[0]}" ] || die "kpannotate not built (${KPA[0]})"
[ -x "$KPT" ] || die "kptrace not built ($KPT)"

tb_up watch
work=$TB_STATE/wt
mkdir -p "$work"
pfx=$work/watch.pfx2as
wb_pfx2as "$pfx"
assert_match $'198\\.19\\.176\\.0\t24\t131279' "$(cat "$pfx")" "prefix table from the topology"

TARGETS=198.19.176.0/27,198.19.177.0/27,198.19.178.0/27,198.19.179.0/27
METHODS=icmp-paris,udp-paris
KPT_ARGS=(--allowlist-file "$KP_ALLOWLIST" -q --no-progress --vp vp-asia --methods "$METHODS" --pps 500 --wait 800)

# sweep NAME — sweep the four /27s into $work/NAME, annotate into NAME.summary.
sweep() {
    tb_exec vp-asia "$KPT" sweep "${KPT_ARGS[@]}" --targets "$TARGETS" --out "$work/$1" ||
        fail "$1: kptrace sweep from vp-asia"
    assert_eq 256 "$(wc -l <"$work/$1/traces.jsonl")" "$1: 4 x 32 targets x 2 methods traced"
    "${KPA[@]}" -q -p "$pfx" --sweep none --summary-format json -s "$work/$1/traces.jsonl" \
        >"$work/$1.summary" || fail "$1: kpannotate"
}
verdicts() {
    local name=$1
    shift
    tb_check_lines "verdicts $name" python3 "$CHECK" verdicts "$work/$name.summary" "$@" --label "$name: "
}
BASE=(198.19.176.0/24=4837:reached 198.19.177.0/24=20485:reached
    198.19.178.0/24=4837+20485:reached 198.19.179.0/24=4837:filtered)

# --- 0. as built
sweep base
verdicts base "${BASE[@]}"
# One-way delays of the topology: Unicom 25+12+25+1 = 63 ms, TTC 15+8+2+1 = 26 ms.
tb_check_lines "rtt base" python3 "$CHECK" rtt "$work/base/traces.jsonl" 198.19.176.0/24 115 145 --label "base: Unicom both ways: "
tb_check_lines "rtt base" python3 "$CHECK" rtt "$work/base/traces.jsonl" 198.19.177.0/24 45 70 --label "base: TTC both ways: "
# The loss: 1000 pings over the uplink, each crossing it twice: (1-0.05)^2 = 90.25 %
# come back; binomial sd ~0.9 %, so 86..94 %.
got=$(tb_exec vp-asia ping -n -q -i 0.002 -c 1000 -W 1 "$(_wb_peer_addr isp-asia vp-asia)" |
    sed -n 's/.* \([0-9]*\) received.*/\1/p')
assert_between 860 940 "$got" "uplink loss: echo replies received of 1000 (5 % each way)"

# --- 1. move .176 to TTC
wb_move_to_ttc 198.19.176.0/24
assert_between 0 0.5 "$(awk -v a="$WB_T_BEFORE" -v b="$WB_T_AFTER" 'BEGIN { print b - a }')" \
    "the move is bracketed within half a second"
sweep moved
verdicts moved 198.19.176.0/24=20485:reached "${BASE[@]:1}"
tb_check_lines "rtt moved" python3 "$CHECK" rtt "$work/moved/traces.jsonl" 198.19.176.0/24 45 70 --label "moved: TTC both ways: "

# --- 2. black hole .177
wb_blackhole 198.19.177.0/24
sweep dark
verdicts dark 198.19.176.0/24=20485:reached 198.19.177.0/24=dark "${BASE[@]:2}"
# the path up to TTC's border still answers
hops=$(python3 -c '
import json, sys
s = set()
for l in open(sys.argv[1]):
    t = json.loads(l)
    if t["dst"].startswith("198.19.177."):
        s.update(h["addr"] for h in t["hops"] if h["addr"])
print(" ".join(sorted(s)))' "$work/dark/traces.jsonl")
want=$(printf '%s\n' "$(_wb_peer_addr isp-asia vp-asia)" "$(_wb_peer_addr ttc-khv isp-asia)" "$(_wb_peer_addr ttc-vvo ttc-khv)" | sort | tr '\n' ' ')
assert_eq "${want% }" "$hops" \
    "black hole: only isp-asia, ttc-khv and ttc-vvo answer on the way to .177"

# --- 3. both undone
wb_move_to_unicom 198.19.176.0/24
wb_unblackhole 198.19.177.0/24
sweep back
verdicts back "${BASE[@]}"
tb_check_lines "rtt back" python3 "$CHECK" rtt "$work/back/traces.jsonl" 198.19.176.0/24 115 145 --label "back: Unicom both ways: "

# --- 4. the ECMP /24 moved to TTC alone
wb_move_to_ttc 198.19.178.0/24
sweep ecmp-ttc
verdicts ecmp-ttc 198.19.176.0/24=4837:reached 198.19.177.0/24=20485:reached \
    198.19.178.0/24=20485:reached 198.19.179.0/24=4837:filtered

assert_eq 5 "$(wc -l <"$(wb_log)")" "five changes logged"
