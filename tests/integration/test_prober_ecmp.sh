#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# test_prober_ecmp — Paris traceroute keeps a trace on one ECMP path; classic
# udp does not.
#
# In nk, vp-asia reaches 198.19.178.0/24 over ECMP: isp-asia hashes flows (L4
# hash) between the Unicom and the TTC branch (kptb path lists both
# alternatives). kptrace traces 32 addresses of that /24 with each method:
#   - icmp-paris, udp-paris, tcp-syn: every trace's hops are exactly one
#     alternative (no hop from the other branch), both branches are seen over
#     the 96 traces, and a second run with the same --seed (same flows) puts
#     every (destination, method) on the same branch again;
#   - udp (destination port changes per probe): some trace has hops from both
#     branches, and every hop is still on one of them.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/prober_lib.sh"

tb_up nk
work=$(mktemp -d /tmp/kp-ecmp.XXXXXX)
vp=vp-asia
probe_dst=198.19.178.1
alts=$(tb_path "$vp" "$probe_dst")
assert_eq 2 "$(wc -l <<<"$alts")" "ground truth: $vp -> $probe_dst has two ECMP alternatives"
mapfile -t targets < <(seq 1 32 | sed 's/^/198.19.178./')

run() { # run OUT — one kptrace run over the 32 targets, all methods, fixed seed
    tb_exec "$vp" "$KPTRACE" trace --allowlist-file "$KP_ALLOWLIST" --methods icmp-paris,udp-paris,tcp-syn,udp --format json \
        --pps 400 --seed 4837 --max-ttl 10 --no-progress "${targets[@]}" >"$1" 2>"$1.err"
}
run "$work/a.jsonl"
assert_eq 0 $? "kptrace run 1 exits 0"
run "$work/b.jsonl"
assert_eq 0 $? "kptrace run 2 (same seed) exits 0"
assert_eq 128 "$(wc -l <"$work/a.jsonl")" "32 targets x 4 methods = 128 records"

# classify each trace: branch 0, 1, "mix" (hops exclusive to both), or "none"
# (a hop on no alternative at its position), from the alternatives of its own
# destination.
for d in "${targets[@]}"; do
    printf '%s\t%s\n' "$d" "$(tb_path "$vp" "$d" | tr '\n' '|')"
done >"$work/alts.tsv"
classify() {
    kp_tokens <"$1" | python3 -c '
import sys
alts_of = {}
for line in open(sys.argv[1]):
    d, a = line.rstrip("\n").split("\t")
    alts_of[d] = [l.split() for l in a.split("|") if l.strip()]
for line in sys.stdin:
    dst, method, stop, *toks = line.split()
    alts = alts_of[dst]
    excl = [set(a) - set(b) - {"*"} for a, b in ((alts[0], alts[1]), (alts[1], alts[0]))]
    on = all(any(i < len(a) and a[i] == g for a in alts) for i, g in enumerate(toks))
    hit = [bool(set(toks) & e) for e in excl]
    if not on or len(toks) not in {len(a) for a in alts}:
        kind = "none"
    elif hit[0] and hit[1]:
        kind = "mix"
    elif toks == alts[0]:
        kind = "0"
    elif toks == alts[1]:
        kind = "1"
    else:
        kind = "partial"
    print(dst, method, kind)
' "$work/alts.tsv"
}
classify "$work/a.jsonl" | sort >"$work/a.cls"
classify "$work/b.jsonl" | sort >"$work/b.cls"

for m in icmp-paris udp-paris tcp-syn; do
    n=$(awk -v m=$m '$2 == m' "$work/a.cls" | wc -l)
    bad=$(awk -v m=$m '$2 == m && $3 != "0" && $3 != "1"' "$work/a.cls")
    assert_eq 32 "$n" "$m: 32 traces"
    assert_eq "" "$bad" "$m: every trace follows exactly one alternative"
done
b0=$(awk '$2 != "udp" && $3 == "0"' "$work/a.cls" | wc -l)
b1=$(awk '$2 != "udp" && $3 == "1"' "$work/a.cls" | wc -l)
tb_log "Paris traces on branch 0: $b0, branch 1: $b1"
assert_between 1 95 "$b0" "Paris traces use both branches (branch 0 count)"
assert_eq "$(awk '$2 != "udp"' "$work/a.cls")" "$(awk '$2 != "udp"' "$work/b.cls")" \
    "same seed, same flows: every Paris trace takes the same branch again"

mix=$(awk '$2 == "udp" && $3 == "mix"' "$work/a.cls" | wc -l)
none=$(awk '$2 == "udp" && $3 == "none"' "$work/a.cls" | wc -l)
tb_log "classic udp: $mix of 32 traces mix both branches"
assert_between 1 32 "$mix" "classic udp: some trace has hops from both transits"
assert_eq 0 "$none" "classic udp: every hop is on one of the alternatives"
rm -rf "$work"
