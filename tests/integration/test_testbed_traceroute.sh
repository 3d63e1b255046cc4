#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# test_testbed_traceroute — the emulated Internet matches its ground truth.
#
# Builds nk, runs Debian's traceroute -n (UDP, ICMP echo -I, TCP SYN -T) from
# every vantage point to an address in every destination /24 and asserts the
# hops equal truth.json's expected router path (silent routers as '*', the
# admin-prohibited /24 ending in '!X'). For the ECMP vantage point: ICMP
# echo (-I, constant id; Linux hashes ICMP on addresses) must follow exactly
# one alternative; classic UDP changes the destination port per probe and -T
# the source port, so there each hop must belong to one of the alternatives
# at that position. Then tears down and asserts nothing
# is left: no namespace, root-namespace link or process of the run.
source "$(dirname "$0")/lib.sh"

tb_up nk
truth=$(tb_truth)

# vp /24 target max-hops, one per line, from the ground truth
mapfile -t cases < <(python3 - "$truth" <<'EOF'
import json, sys
t = json.load(open(sys.argv[1]))
for vp, per in sorted(t["paths"].items()):
    for s24, e in sorted(per.items()):
        n = max(len(a["hops"]) for a in e["alternatives"])
        print(vp, s24, e["target"], n)
EOF
)
[ "${#cases[@]}" -ge 12 ] || die "expected at least 3 VPs x 4 /24s in truth.json, got ${#cases[@]}"

outdir=$(mktemp -d /tmp/kptb-trace.XXXXXX)
run_vp() {
    local vp=$1 line v s24 target n m
    for line in "${cases[@]}"; do
        read -r v s24 target n <<<"$line"
        [ "$v" = "$vp" ] || continue
        for m in udp icmp tcp; do
            local opt=()
            [ "$m" = icmp ] && opt=(-I)
            [ "$m" = tcp ] && opt=(-T)
            tb_exec "$vp" traceroute -n -w 2 -q 1 -N 16 -m $((n + 2)) "${opt[@]}" "$target" \
                >"$outdir/$vp.${s24%/24}.$m" 2>&1
        done
    done
}
t0=$(date +%s)
pids=()
for vp in $(printf '%s\n' "${cases[@]}" | awk '{print $1}' | sort -u); do
    run_vp "$vp" &
    pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
tb_log "traceroutes took $(($(date +%s) - t0)) s"

for line in "${cases[@]}"; do
    read -r vp s24 target n <<<"$line"
    alts=$(tb_path "$vp" "$target")
    nalts=$(wc -l <<<"$alts")
    for m in udp icmp tcp; do
        f=$outdir/$vp.${s24%/24}.$m
        got=$(tb_trace_tokens <"$f")
        if [ "$nalts" -eq 1 ]; then
            assert_eq "$alts" "$got" "$m traceroute $vp -> $target ($s24)"
        else
            perhop=0
            [ "$m" != icmp ] && perhop=1
            if tb_match_alts "$got" "$alts" "$perhop"; then
                ok "$m traceroute $vp -> $target ($s24) follows the ECMP alternatives: $got"
            else
                fail "$m traceroute $vp -> $target ($s24): '$got' is none of: $(tr '\n' '|' <<<"$alts")"
            fi
        fi
        [ "$TB_FAILED" -gt 0 ] && [ -s "$f" ] && [ "$got" != "$(head -1 <<<"$alts")" ] && sed 's/^/    | /' "$f" | head -20
    done
done
rm -rf "$outdir"

# The ground truth itself: every stop kind and both transits are present.
assert_eq "admin-prohibited reached" \
    "$(tb_query 'sorted({s for per in t["paths"].values() for e in per.values() for s in e["stops"]})' | tr '\n' ' ' | sed 's/ $//')" \
    "truth has both stop kinds"
assert_eq "1" "$(tb_query 'sum(1 for per in t["paths"].values() for e in per.values() if e["ecmp"])')" \
    "exactly one (VP, /24) pair is ECMP"

# Every process running in the run's namespaces (delay lines, dnsmasq) must be
# gone after teardown.
prefix=$TB_PREFIX
mapfile -t run_pids < <(for ns in $(ip netns list | awk '{print $1}' | grep "^$prefix-"); do ip netns pids "$ns"; done)
[ "${#run_pids[@]}" -ge 2 ] || fail "expected delay lines and dnsmasq running, found ${#run_pids[@]} processes"
tb_down
assert_eq "0" "$(ip netns list | grep -c "^$prefix-")" "no namespace of $prefix left (ip netns list)"
assert_eq "0" "$(ip -o link show | grep -c "$prefix")" "no link of $prefix in the root namespace"
alive=""
for p in "${run_pids[@]}"; do
    [ -d "/proc/$p" ] && [ "$(awk '{print $3}' "/proc/$p/stat")" != Z ] && alive="$alive $p"
done
assert_eq "" "$alive" "none of the run's ${#run_pids[@]} processes is alive"
