#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# test_annotate_topo2 — kpannotate's transit verdict on a topology unlike nk.
#
# tests/testbed/topologies/kp2.topo (its header lists the cases): a border
# /30 numbered from the target's space with the transit's router answering
# from it (p2p mates), a border numbered from the transit's space, a third
# transit of interest (Intelsat) on a 16-hop path and filtering one /24, an
# unknown regional transit, an IXP LAN between a vantage ISP and two
# transits, a transit that never answers, direct peering of a vantage ISP,
# and ECMP between Unicom and TTC at a router inside Unicom.
#
# First Debian traceroute -I checks that kp2's truth is what packets do.
# Then from both vantage points kptrace sweeps a few addresses of every /24 with
# icmp-paris, udp-paris and tcp-syn, once probing every TTL
# (--no-doubletree) and once with Doubletree. topo2_check.py compares every
# trace's verdict and every (vp, /24, method) summary with truth.json (the
# transit AS of the path the trace took; see its header for when
# "undetermined" is the honest answer) — expected values come from the
# topology, never from kpannotate.
source "$(dirname "$0")/lib.sh"

# every run reads the testbed's tables: keep its test space (lib.sh)
KPA=("${KPANNOTATE:-$KP_BUILD/kpannotate}" --keep-special "$KP_TESTBED_KEEP")
KPT=$KP_BUILD/kptrace
CHECK=$KP_SRC/tests/integration/topo2_check.py
TOPO=$KP_SRC/tests/testbed/topologies/kp2.topo
PFX=$KP_SRC/tests/testbed/topologies/kp2.pfx2as
PDB=$KP_SRC/tests/testbed/topologies/kp2.peeringdb.json
[ -x "$KPA" ] || die "kpannotate not built ($KPA)"
[ -x "$KPT" ] || die "kptrace not built ($KPT)"

# check ARGS... — run topo2_check.py; each of its ok/FAIL lines is an assertion.
check() { tb_check_lines "topo2_check.py $1" python3 "$CHECK" "$@"; }

# The committed prefix fixture is what the topology declares.
assert_eq "$(tb_kptb fixtures "$TOPO" --pfx2as)" "$(cat "$PFX")" "kp2.pfx2as == kptb fixtures kp2.topo --pfx2as"

tb_up "$TOPO"
truth=$(tb_truth)
work=$TB_STATE/annotate
mkdir -p "$work"
# four addresses of every /24; sixteen of the ECMP /24 so both branches show
targets=198.19.64.4/30,198.19.65.4/30,198.19.66.4/30,198.19.67.4/30,198.19.68.4/30,198.19.69.4/30,198.19.70.0/28,198.19.71.4/30
methods=icmp-paris,udp-paris,tcp-syn

# The truth itself has the shapes this test is about.
q() { tb_query "$1"; }
assert_eq "198.19.72.2 198.19.72.1" \
    "$(q '" ".join(t["paths"]["vp-eu"]["198.19.64.0/24"]["alternatives"][0]["tokens"][3:5])')" \
    "truth: Unicom's border answers from the STAR-numbered /30, STAR-KP's ingress from its mate"
assert_eq 16 "$(q 'len(t["paths"]["vp-eu"]["198.19.66.0/24"]["alternatives"][0]["hops"])')" \
    "truth: 16 hops from vp-eu to the Intelsat /24"
assert_eq "4837 20485" "$(q '" ".join(map(str, t["paths"]["vp-as"]["198.19.70.0/24"]["transits"]))')" \
    "truth: ECMP inside Unicom hands 198.19.70.0/24 to Unicom or TTC"

# The truth is what packets do: Debian traceroute (ICMP, one flow) from each
# vantage point to each /24 but the ECMP one gives exactly the truth's hops —
# reply-from addresses, the silent routers, the !X source.
tr_check() {
    local vp=$1 s24 target ecmp got
    while read -r _ s24 target _ _ ecmp; do
        [ "$ecmp" = 0 ] || continue
        got=$(tb_exec "$vp" traceroute -n -I -q 1 -w 1 -N 20 -m 20 "$target" | tb_trace_tokens)
        echo "$vp $s24|$(tb_path "$vp" "$target")|$got"
    done < <(tb_cases | grep "^$vp ")
}
tr_check vp-eu >"$work/tr-vp-eu.txt" &
tr_check vp-as >"$work/tr-vp-as.txt" &
wait
while IFS='|' read -r what want got; do
    assert_eq "$want" "$got" "traceroute -I $what equals the truth"
done < <(cat "$work"/tr-vp-*.txt)
assert_eq 14 "$(cat "$work"/tr-vp-*.txt | wc -l)" "traceroute checked 14 (vp, /24) paths"

# --- live sweeps ---------------------------------------------------------------
# The two vantage points sweep at once; one vantage point's two sweeps run one
# after the other (two kptrace runs in one namespace would capture each
# other's replies).
sweeps() {
    local vp=$1
    tb_exec "$vp" "$KPT" sweep --allowlist-file "$KP_ALLOWLIST" -q --no-progress --vp "$vp" --targets "$targets" --methods "$methods" \
        --pps 400 --wait 600 --no-doubletree --out "$work/full-$vp" >"$work/full-$vp.log" 2>&1 &&
        tb_exec "$vp" "$KPT" sweep --allowlist-file "$KP_ALLOWLIST" -q --no-progress --vp "$vp" --targets "$targets" --methods "$methods" \
            --pps 400 --wait 600 --out "$work/dt-$vp" >"$work/dt-$vp.log" 2>&1
}
pids=()
for vp in vp-eu vp-as; do
    sweeps "$vp" &
    pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || fail "a kptrace sweep failed: $(cat "$work"/*.log)"; done
for vp in vp-eu vp-as; do
    for mode in full dt; do
        assert_eq 132 "$(wc -l <"$work/$mode-$vp/traces.jsonl")" "$mode $vp: 44 targets x 3 methods traced"
    done
done

# 1. every TTL probed, prefix fixture + PeeringDB IXP prefixes
"${KPA[@]}" -q -p "$PFX" --peeringdb "$PDB" --sweep none -o "$work/full.jsonl" --summary-format json \
    "$work"/full-vp-*/traces.jsonl >"$work/full-summary.jsonl"
assert_eq 0 "$?" "kpannotate -p kp2.pfx2as --peeringdb exits 0"
check traces "$truth" "$work/full.jsonl" --label "full+ixp"
check summary "$truth" "$work/full.jsonl" "$work/full-summary.jsonl" --label "full+ixp"

# evidence on the shapes that need a heuristic
ev=$(python3 - "$work/full.jsonl" <<'EOF'
import json, sys
hs = {}
for l in open(sys.argv[1]):
    t = json.loads(l)
    k = (t["vp"], ".".join(t["dst"].split(".")[:3]))
    hs.setdefault(k, set()).update(t["transit"]["evidence"]["heuristics"])
def has(vp, n, h):
    return "yes" if h in hs.get((vp, "198.19." + n), set()) else "no"
print(has("vp-eu", "64", "p2p-mate"), has("vp-as", "68", "hidden-handoff"),
      has("vp-eu", "68", "silent-gap"), has("vp-eu", "69", "hidden-handoff"))
EOF
)
assert_eq "yes yes yes no" "$ev" \
    "evidence: p2p-mate (.64), hidden-handoff (vp-as .68), silent-gap (vp-eu .68), none on direct peering"
# ixp_names FILE — the IXP names kpannotate gave the IXP LAN hops (uni-hk, ttc-hk)
ixp_names() {
    python3 -c '
import json, sys
s = set()
for l in open(sys.argv[1]):
    for h in json.loads(l)["hops"]:
        if h["addr"] in ("203.0.113.2", "203.0.113.6"):
            s.add(str(h["ixp"]) + "/AS" + str(h["asn"]))
print(",".join(sorted(s)))' "$1"
}
assert_eq "KP2-IX/ASNone" "$(ixp_names "$work/full.jsonl")" "IXP LAN hops: in KP2-IX (PeeringDB fixture), no AS"
und=$(python3 -c '
import json, sys
n = [0, 0]
for l in open(sys.argv[1]):
    t = json.loads(l)
    if t["vp"] == "vp-as" and t["dst"].startswith("198.19.68."):
        n[0] += 1
        n[1] += t["transit"]["status"] == "undetermined" and t["transit"]["confidence"] == 0
print(*n)' "$work/full.jsonl")
assert_eq "12 12" "$und" "silent TTC border after vp-as's own ISP: every trace undetermined, confidence 0"

# The checker has teeth: with hidden-handoff switched off, vp-as's traces to
# the silent-TTC /24 name its own ISP, and that must be caught.
"${KPA[@]}" -q -p "$PFX" --peeringdb "$PDB" --disable hidden-handoff --sweep none -o "$work/naive.jsonl" \
    "$work"/full-vp-*/traces.jsonl
neg=$(python3 "$CHECK" traces "$truth" "$work/naive.jsonl" --label naive)
assert_match '^FAIL .*vp-as->198\.19\.68\.[0-9]+ [a-z-]+: AS64522 reached' "$neg" \
    "control: --disable hidden-handoff names vp-as's ISP for the silent-TTC /24, and the check fails it"

# 2. without the PeeringDB file the IXP LAN is just unannounced space
"${KPA[@]}" -q -p "$PFX" --sweep none -o "$work/noixp.jsonl" "$work"/full-vp-*/traces.jsonl
assert_eq 0 "$?" "kpannotate -p kp2.pfx2as exits 0"
check traces "$truth" "$work/noixp.jsonl" --label "full, no IXP file"
assert_eq "None/ASNone" "$(ixp_names "$work/noixp.jsonl")" "IXP LAN hops without the PeeringDB file: no IXP, no AS"

# 3. Doubletree sweeps: later traces start near the target and may not contain
# the handoff; the verdict must then say undetermined, never a wrong AS.
"${KPA[@]}" -q -p "$PFX" --peeringdb "$PDB" --sweep none -o "$work/dt.jsonl" --summary-format json \
    "$work"/dt-vp-*/traces.jsonl >"$work/dt-summary.jsonl"
assert_eq 0 "$?" "kpannotate on the Doubletree sweeps exits 0"
check traces "$truth" "$work/dt.jsonl" --label "doubletree"
# A Doubletree trace decides with the path below where it stopped, taken from
# an earlier trace of the same sweep (doubletree-prefix): apart from vp-as's
# traces to the silent-TTC /24 (which no trace can show), none is undetermined.
und=$(python3 -c '
import json, sys
n = [0, 0]
for l in open(sys.argv[1]):
    t = json.loads(l)
    if t["transit"]["status"] != "undetermined":
        continue
    n[t["vp"] == "vp-as" and t["dst"].startswith("198.19.68.")] += 1
print(*n)' "$work/dt.jsonl")
assert_match "^0 [0-9]+$" "$und" "Doubletree sweeps: undetermined only where the handoff is hidden (other, hidden: $und)"

tb_down
