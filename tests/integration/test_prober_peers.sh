#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# test_prober_peers — kptrace's hops agree with Debian's scamper and
# traceroute run in the same test on the same testbed.
#
# From every vantage point of nk, to the ground truth's target in each /24:
#   kptrace icmp-paris  vs  scamper -P icmp-paris  vs  traceroute -I
#   kptrace udp-paris   vs  scamper -P udp-paris
#   kptrace tcp-syn     vs  scamper -P tcp         vs  traceroute -T
#   kptrace udp         vs  traceroute (default UDP)
# Outside ECMP every tool must see the same hops (silent routers as '*', !X at
# the Unicom border for .179) and scamper's stop reason must correspond to
# kptrace's. On the ECMP pair the tools' flows differ, so each must follow one
# of the alternatives (flows that change per probe — classic UDP, traceroute
# -T — hop by hop).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/prober_lib.sh"
command -v scamper >/dev/null || die "scamper not installed (scripts/setup-deps)"
command -v traceroute >/dev/null || die "traceroute not installed (scripts/setup-deps)"

tb_up nk
work=$(mktemp -d /tmp/kp-peers.XXXXXX)
mapfile -t vps < <(tb_query 'sorted(t["paths"])')
mapfile -t targets < <(tb_query 'sorted({e["target"] for per in t["paths"].values() for e in per.values()})')
[ "${#targets[@]}" -eq 4 ] || die "expected 4 targets, got ${#targets[@]}"

run_vp() {
    local vp=$1 d m
    tb_exec "$vp" "$KPTRACE" trace --allowlist-file "$KP_ALLOWLIST" --methods icmp-paris,udp-paris,tcp-syn,udp --format json \
        --pps 200 --max-ttl 12 --no-progress "${targets[@]}" >"$work/$vp.kp" 2>"$work/$vp.kp.err"
    for m in icmp-paris udp-paris tcp; do
        tb_exec "$vp" scamper -O json -c "trace -P $m -q 1 -w 2 -m 12" -i "${targets[@]}" \
            >"$work/$vp.sc.$m" 2>"$work/$vp.sc.$m.err"
    done
    for d in "${targets[@]}"; do
        tb_exec "$vp" traceroute -n -w 2 -q 1 -N 16 -m 12 "$d" >"$work/$vp.tr.udp.$d" 2>&1
        tb_exec "$vp" traceroute -n -w 2 -q 1 -N 16 -m 12 -I "$d" >"$work/$vp.tr.icmp.$d" 2>&1
        tb_exec "$vp" traceroute -n -w 2 -q 1 -N 16 -m 12 -T "$d" >"$work/$vp.tr.tcp.$d" 2>&1
    done
}
t0=$(date +%s)
pids=()
for vp in "${vps[@]}"; do
    run_vp "$vp" &
    pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
tb_log "kptrace, scamper and traceroute from ${#vps[@]} VPs took $(($(date +%s) - t0)) s"

# tokens of one tool for (vp, dst): kp METHOD | sc METHOD | tr KIND
tok() {
    local vp=$1 tool=$2 m=$3 d=$4
    case $tool in
    kp) kp_tokens <"$work/$vp.kp" | awk -v d="$d" -v m="$m" '$1 == d && $2 == m { $1 = $2 = $3 = ""; print }' | sed 's/^ *//' ;;
    sc) scamper_tokens <"$work/$vp.sc.$m" | awk -v d="$d" '$1 == d { $1 = $2 = $3 = ""; print }' | sed 's/^ *//' ;;
    tr) tb_trace_tokens <"$work/$vp.tr.$m.$d" ;;
    esac
}
stop_of() { # kptrace stop_reason and scamper's for the same (vp, dst, method)
    kp_tokens <"$work/$1.kp" | awk -v d="$3" -v m="$2" '$1 == d && $2 == m { print $3 }'
}
sc_stop_of() {
    python3 -c '
import json, sys
for l in sys.stdin:
    t = json.loads(l)
    if t.get("type") == "trace" and t["dst"] == sys.argv[1]:
        print(t["stop_reason"], t.get("stop_data", 0))' "$3" <"$work/$1.sc.$2"
}

for vp in "${vps[@]}"; do
    for d in "${targets[@]}"; do
        alts=$(tb_path "$vp" "$d")
        nalts=$(wc -l <<<"$alts")
        for trio in "icmp-paris icmp-paris icmp" "udp-paris udp-paris -" "tcp-syn tcp tcp" "udp - udp"; do
            read -r km sm tm <<<"$trio"
            k=$(tok "$vp" kp "$km" "$d")
            [ -n "$k" ] || fail "$vp $km -> $d: no kptrace record"
            peers=()
            [ "$sm" != - ] && peers+=("scamper -P $sm|$(tok "$vp" sc "$sm" "$d")")
            [ "$tm" != - ] && peers+=("traceroute $tm|$(tok "$vp" tr "$tm" "$d")")
            for p in "${peers[@]}"; do
                name=${p%%|*}
                got=${p#*|}
                if [ "$nalts" -eq 1 ]; then
                    assert_eq "$k" "$got" "$vp -> $d: kptrace $km and $name see the same hops"
                else
                    # Flows that change per probe may mix branches, so they
                    # are matched hop by hop: kptrace's classic udp, and
                    # Linux traceroute's UDP (port per probe) and -T (source
                    # port per probe; docs/testbed.md). Paris flows and
                    # traceroute -I (one echo id) must follow one branch.
                    kp_perhop=0
                    [ "$km" = udp ] && kp_perhop=1
                    peer_perhop=0
                    case "$name" in "traceroute udp" | "traceroute tcp") peer_perhop=1 ;; esac
                    if tb_match_alts "$got" "$alts" "$peer_perhop" && tb_match_alts "$k" "$alts" "$kp_perhop"; then
                        ok "$vp -> $d (ECMP): kptrace $km ($k) and $name ($got) each follow an alternative"
                    else
                        fail "$vp -> $d (ECMP): kptrace $km '$k' / $name '$got' not on: $(tr '\n' '|' <<<"$alts")"
                    fi
                fi
            done
            if [ "$sm" != - ]; then
                ks=$(stop_of "$vp" "$km" "$d")
                ss=$(sc_stop_of "$vp" "$sm" "$d")
                case "$ss" in
                "COMPLETED "*) want=completed ;;
                "UNREACH 13" | "UNREACH 9" | "UNREACH 10") want=admin-prohibited ;;
                *) want="scamper:$ss" ;;
                esac
                assert_eq "$want" "$ks" "$vp -> $d: kptrace $km stop_reason matches scamper's ($ss)"
            fi
        done
    done
done
rm -rf "$work"
