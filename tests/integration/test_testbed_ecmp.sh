#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# test_testbed_ecmp — the ECMP vantage point splits flows across both transits.
#
# truth.json names one (vantage point, /24) pair with two alternative paths
# (nk: vp-asia to 198.19.178.0/24, via Unicom or via TTC at isp-asia). UDP
# traceroutes with a fixed destination port (-U -p 33434) and source ports
# 40000, 40001, ... (searched in order, so the search is deterministic) must
# each follow exactly one alternative, hop for hop (--sport implies one probe
# at a time, so -w 1 keeps the two silent hops cheap); two of them must take
# different transits; and one flow must take the same path on every repeat.
source "$(dirname "$0")/lib.sh"

tb_up nk

read -r vp s24 target < <(tb_query '" ".join(next((vp, s, e["target"]) for vp, per in sorted(t["paths"].items()) for s, e in sorted(per.items()) if e["ecmp"]))')
[ -n "${target:-}" ] || die "truth.json has no ECMP (vantage point, /24) pair"
tb_log "ECMP pair: $vp -> $s24 (target $target)"
mapfile -t alts < <(tb_path "$vp" "$target")
assert_eq 2 "${#alts[@]}" "ground truth gives two alternatives for $vp -> $s24"
mapfile -t transits < <(tb_query "[a['transit_as'] for a in t['paths']['$vp']['$s24']['alternatives']]")
assert_ne "${transits[0]}" "${transits[1]:-}" "the two alternatives use different transit ASes (${transits[*]})"
maxhops=$(($(wc -w <<<"${alts[0]}") + 2))

# flow SPORT — the hop tokens of one UDP flow (fixed ports) from the ECMP VP.
flow() {
    tb_exec "$vp" traceroute -n -w 1 -q 1 -m "$maxhops" -U -p 33434 --sport="$1" "$target" | tb_trace_tokens
}
# which TOKENS — index of the alternative TOKENS equals, or -1.
which() {
    local i
    for i in "${!alts[@]}"; do
        [ "${alts[$i]}" = "$1" ] && echo "$i" && return
    done
    echo -1
}

declare -A port_of
tries=0
for sport in $(seq 40000 40031); do
    got=$(flow "$sport")
    k=$(which "$got")
    tries=$((tries + 1))
    if [ "$k" -lt 0 ]; then
        fail "flow sport=$sport follows no single alternative: $got"
        continue
    fi
    [ -n "${port_of[$k]:-}" ] || port_of[$k]=$sport
    [ -n "${port_of[0]:-}" ] && [ -n "${port_of[1]:-}" ] && break
done
tb_log "searched $tries source ports: alternative 0 <- sport ${port_of[0]:-none}, alternative 1 <- sport ${port_of[1]:-none}"
if [ -n "${port_of[0]:-}" ] && [ -n "${port_of[1]:-}" ]; then
    ok "two UDP flows (sport ${port_of[0]} and ${port_of[1]}) take different transits (${transits[0]} and ${transits[1]})"
else
    fail "all $tries flows took the same alternative: no ECMP split"
fi

# Stability: each found flow keeps its path.
for k in 0 1; do
    p=${port_of[$k]:-}
    [ -n "$p" ] || continue
    same=0
    for _ in 1 2 3 4; do
        [ "$(flow "$p")" = "${alts[$k]}" ] && same=$((same + 1))
    done
    assert_eq 4 "$same" "flow sport=$p takes alternative $k (transit ${transits[$k]}) in 4 of 4 repeats"
done

# Constant-flow methods follow exactly one alternative: ICMP echo (Linux
# hashes ICMP on addresses only) and TCP SYN with a fixed source port.
got=$(tb_exec "$vp" traceroute -n -w 1 -q 1 -N 16 -m "$maxhops" -I "$target" | tb_trace_tokens)
assert_match '^[01]$' "$(which "$got")" "ICMP traceroute follows one alternative ($got)"
got=$(tb_exec "$vp" traceroute -n -w 1 -q 1 -m "$maxhops" -T --sport=40000 "$target" | tb_trace_tokens)
assert_match '^[01]$' "$(which "$got")" "TCP traceroute with a fixed source port follows one alternative ($got)"
