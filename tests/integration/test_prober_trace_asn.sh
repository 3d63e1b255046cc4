#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# test_prober_trace_asn — `kptrace trace --pfx2as/--rib/--mmdb`: each hop's AS
# in the table (traceroute -A style) and the transit verdict under it, on the
# testbed's nk topology.
#
# From every vantage point, kptrace traces the first address of each of the
# four /24s of the AS131279 stand-in (Unicom only, TTC only, ECMP/split per
# VP, admin-prohibited at the Unicom border) with icmp-paris and udp-paris,
# with the shipped prefix table. trace_asn_check.py compares every table with
# the ground truth kptb derives from nk.topo (the `router NAME as N` lines,
# the declared routes): the AS of every printed address, the path, and the
# verdict line (transit AS, status, handoff and target hops). The same
# traces, rebuilt from the run's capture by `kptrace replay` and decided by
# kpannotate, must get the same verdicts. Then a RIB and a MaxMind DB made
# from the topology's announcements give the same ASes, and the errors:
# a missing or malformed table fails before anything is sent, naming the
# file (and line); JSON output and sweeps refuse the options; a table of
# test space without --keep-special says why every hop is [*].
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/prober_lib.sh"

KPA=("${KPANNOTATE:-$KP_BUILD/kpannotate}" --keep-special "$KP_TESTBED_KEEP")
PFX=$KP_SRC/tests/testbed/topologies/nk.pfx2as
CHECK=$KP_SRC/tests/integration/trace_asn_check.py
[ -x "${KPA[0]}" ] || die "kpannotate not built (${KPA[0]})"
# every kptrace run of this test: the testbed's allowlist, no progress line
KPT=("$KPTRACE" trace --allowlist-file "$KP_ALLOWLIST" --no-progress)
check() { tb_check_lines "trace_asn_check.py $2 $4" python3 "$CHECK" "$@"; }

tb_up nk
truth=$(tb_truth)
work=$TB_STATE/trace-asn
mkdir -p "$work"
mapfile -t targets < <(python3 - "$truth" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
per = t["paths"]["vp-eu"]
for s24 in sorted(per):
    print(per[s24]["target"])
PY
)
[ "${#targets[@]}" -eq 4 ] || die "expected the 4 /24s of nk, got ${#targets[@]}"
methods=icmp-paris,udp-paris

# --- 1. the prefix table, from every VP; kpannotate on the same traces --------
pids=()
vps=(vp-eu vp-us vp-asia)
for i in "${!vps[@]}"; do
    vp=${vps[$i]}
    tb_exec "$vp" "${KPT[@]}" -q --pfx2as "$PFX" --keep-special "$KP_TESTBED_KEEP" \
        --methods "$methods" --pps 300 --seed $((7001 + i)) --pcap "$work/$vp.pcap" \
        "${targets[@]}" >"$work/$vp.txt" 2>"$work/$vp.err" &
    pids+=($!)
done
for i in "${!pids[@]}"; do
    wait "${pids[$i]}"
    assert_eq 0 $? "kptrace trace --pfx2as from ${vps[$i]} exits 0"
done
for i in "${!vps[@]}"; do
    vp=${vps[$i]}
    assert_eq 8 "$(grep -c '^transit: ' "$work/$vp.txt")" "$vp: a verdict line under each of 8 tables"
    "$KPTRACE" replay --format json --vp "$vp" --seed $((7001 + i)) "$work/$vp.pcap" \
        >"$work/$vp.jsonl" 2>"$work/$vp.replay.err"
    assert_eq 0 $? "$vp: kptrace replay of the run's capture exits 0"
    "${KPA[@]}" -q -p "$PFX" --sweep none -o "$work/$vp.annotated.jsonl" "$work/$vp.jsonl"
    assert_eq 0 $? "$vp: kpannotate on the replayed records exits 0"
    check "$truth" "$vp" "$work/$vp.txt" --annotated "$work/$vp.annotated.jsonl" --label pfx2as
done
# the example of --help, as a user reads it
assert_match $'\n 1  198\\.18\\.1\\.1 \\[AS64501\\]  [0-9.]+ ms' "$(cat "$work/vp-eu.txt")" \
    "vp-eu: the first hop reads '198.18.1.1 [AS64501]  RTT ms', as traceroute -A prints it"
assert_match $'\ntransit: AS20485 TransTeleCom, reached \\(confidence [0-9.]+\\); handoff TTL [0-9]+ 198\\.18\\.188\\.[0-9]+ -> target TTL [0-9]+ 198\\.19\\.177\\.1' \
    "$(cat "$work/vp-eu.txt")" "vp-eu -> 198.19.177.1: the TTC verdict line, named"
# lib.sh's traceroute parser still reads the table (the verdict line apart)
tb_exec vp-us "${KPT[@]}" -q --pfx2as "$PFX" --keep-special "$KP_TESTBED_KEEP" 198.19.179.1 \
    >"$work/text.out" 2>/dev/null
assert_eq "$(tb_path vp-us 198.19.179.1)" "$(grep -v '^transit: ' "$work/text.out" | tb_trace_tokens)" \
    "the annotated table still parses as traceroute output (!X)"

# --- 1b. Doubletree: later traces into a /24 stop where an earlier one passed;
# their verdicts borrow its path below, as kpannotate's do -------------------
tb_exec vp-eu "${KPT[@]}" -q --pfx2as "$PFX" --keep-special "$KP_TESTBED_KEEP" --doubletree \
    --methods udp-paris --pps 300 --seed 7101 --pcap "$work/dt.pcap" \
    198.19.176.1 198.19.176.2 198.19.176.3 198.19.176.4 >"$work/dt.txt" 2>"$work/dt.err"
assert_eq 0 $? "kptrace trace --doubletree --pfx2as exits 0"
"$KPTRACE" replay --format json --vp vp-eu --seed 7101 "$work/dt.pcap" >"$work/dt.jsonl" 2>/dev/null
assert_eq 0 $? "Doubletree run: replay exits 0"
"${KPA[@]}" -q -p "$PFX" --sweep none -o "$work/dt.annotated.jsonl" "$work/dt.jsonl"
assert_eq 0 $? "Doubletree run: kpannotate exits 0"
check "$truth" vp-eu "$work/dt.txt" --annotated "$work/dt.annotated.jsonl" --label doubletree
n_short=$(python3 -c '
import json, sys
print(sum(1 for l in open(sys.argv[1]) if min(h["ttl"] for h in json.loads(l)["hops"]) > 1))' "$work/dt.jsonl")
assert_between 1 3 "$n_short" "Doubletree: traces that did not probe from TTL 1"

# --- 2. a RIB and a MaxMind DB made from the topology's announcements --------
python3 - "$truth" "$work/nk.rib" "$work/nk.mmdb" "$KP_SRC/tests/data/asmap" <<'PY'
import json, sys
sys.path.insert(0, sys.argv[4])
import make_mmdb
t = json.load(open(sys.argv[1]))
recs = []
with open(sys.argv[2], "w") as f:
    for asn, a in sorted(t["ases"].items()):
        for p in a["announce"]:
            path = "64510" if asn == "64510" else "64510 " + asn
            f.write("TABLE_DUMP2|1795200000|B|198.18.53.10|64510|%s|%s|IGP|198.18.53.10|0|0||NAG||\n"
                    % (p, path))
            recs.append((p, make_mmdb.geolite(int(asn), a["name"])))
make_mmdb.write(sys.argv[3], recs, 6, "GeoLite2-ASN", "nk testbed announcements")
PY
assert_eq 0 $? "a RIB and an mmdb from nk's announcements"
tb_exec vp-eu "${KPT[@]}" -q --rib "$work/nk.rib" --keep-special "$KP_TESTBED_KEEP" \
    --methods icmp-paris "${targets[@]}" >"$work/rib.txt" 2>"$work/rib.err"
assert_eq 0 $? "kptrace trace --rib exits 0"
check "$truth" vp-eu "$work/rib.txt" --label rib
tb_exec vp-eu "${KPT[@]}" -q --mmdb "$work/nk.mmdb" --methods icmp-paris "${targets[@]}" \
    >"$work/mmdb.txt" 2>"$work/mmdb.err"
assert_eq 0 $? "kptrace trace --mmdb exits 0"
check "$truth" vp-eu "$work/mmdb.txt" --label mmdb
# sources asked in order: an mmdb that says nothing of the testbed, then the RIB
tb_exec vp-eu "${KPT[@]}" -q --mmdb "$KP_SRC/tests/data/asmap/geolite2-asn-sample.mmdb" \
    --rib "$work/nk.rib" --keep-special "$KP_TESTBED_KEEP" --methods icmp-paris 198.19.176.1 \
    >"$work/both.txt" 2>"$work/both.err"
assert_eq 0 $? "kptrace trace --mmdb --rib exits 0"
check "$truth" vp-eu "$work/both.txt" --label "mmdb then rib"

# --- 3. errors: before anything is sent ---------------------------------------
tb_exec vp-eu "${KPT[@]}" --pfx2as "$work/no-such.pfx2as" --pcap "$work/none.pcap" 198.19.177.1 \
    >"$work/err.out" 2>"$work/err.err"
assert_eq 1 $? "a missing table: exit 1"
assert_match "kptrace trace: .*no-such\.pfx2as" "$(cat "$work/err.err")" "a missing table: the message names it"
assert_eq "0 no" "$(wc -c <"$work/err.out") $([ -e "$work/none.pcap" ] && echo yes || echo no)" \
    "a missing table: no output, no capture opened"
printf '198.18.1.0\t24\t64501\n198.18.2.0\ttwenty-four\t64502\n' >"$work/bad.pfx2as"
tb_exec vp-eu "${KPT[@]}" --pfx2as "$work/bad.pfx2as" --keep-special "$KP_TESTBED_KEEP" \
    --pcap "$work/none.pcap" 198.19.177.1 >"$work/err.out" 2>"$work/err.err"
assert_eq 1 $? "a malformed line: exit 1"
assert_match "bad\.pfx2as:2: " "$(cat "$work/err.err")" "a malformed line: FILE:LINE named"
assert_eq "0 no" "$(wc -c <"$work/err.out") $([ -e "$work/none.pcap" ] && echo yes || echo no)" \
    "a malformed line: no output, no capture opened"
tb_exec vp-eu "${KPT[@]}" --pfx2as "$PFX" --format json 198.19.177.1 >/dev/null 2>"$work/err.err"
assert_eq 2 $? "--pfx2as with --format json: usage error"
assert_match "text table.*kpannotate" "$(cat "$work/err.err")" "--format json: says to use kpannotate"
tb_exec vp-eu "${KPT[@]}" --keep-special all 198.19.177.1 >/dev/null 2>"$work/err.err"
assert_eq 2 $? "--keep-special without a source: usage error"
tb_exec vp-eu "${KPT[@]}" --pfx2as "$PFX" --target-as AS-X 198.19.177.1 >/dev/null 2>"$work/err.err"
assert_eq 2 $? "--target-as AS-X: usage error"
assert_match "--target-as: 'AS-X' is not an AS number" "$(cat "$work/err.err")" "--target-as: the message"
tb_exec vp-eu "$KPTRACE" sweep --allowlist-file "$KP_ALLOWLIST" --vp x --out "$work/sw" \
    --targets 198.19.177.0/30 --pfx2as "$PFX" >/dev/null 2>"$work/err.err"
assert_eq 2 $? "sweep --pfx2as: usage error (kpannotate annotates sweeps)"
# a table of test space without --keep-special: nothing used, and it says so
tb_exec vp-eu "${KPT[@]}" -q --pfx2as "$PFX" 198.19.177.1 >"$work/nokeep.txt" 2>"$work/nokeep.err"
assert_eq 0 $? "without --keep-special: exit 0"
assert_match "nk\.pfx2as: .*nothing used: a test network's table\? see --keep-special" \
    "$(cat "$work/nokeep.err")" "without --keep-special: stderr says why (even with -q)"
assert_match $'\n 1  198\\.18\\.1\\.1 \\[\\*\\]' "$(cat "$work/nokeep.txt")" "without --keep-special: hops are [*]"
assert_match $'\ntransit: undetermined' "$(cat "$work/nokeep.txt")" "without --keep-special: undetermined"
# --target-as: TTC's AS as the target, the EU ISP hands over to it
tb_exec vp-eu "${KPT[@]}" -q --pfx2as "$PFX" --keep-special "$KP_TESTBED_KEEP" --target-as 20485 \
    198.19.177.1 >"$work/target.txt" 2>/dev/null
assert_match $'\ntransit: AS64501( [^,]*)?, (reached|incomplete) \\(confidence [0-9.]+\\); handoff TTL 1 198\\.18\\.1\\.1 -> target TTL 2 198\\.18\\.188\\.' \
    "$(cat "$work/target.txt")" "--target-as 20485: EU-ISP (TTL 1) hands over to TTC (TTL 2)"
tb_down
