#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# test_prober_truth — kptrace's traces equal the testbed's ground truth.
#
# Builds nk and, from every vantage point, runs `kptrace trace` with each
# method (icmp-paris, udp-paris, tcp-syn, udp) to two addresses in each
# destination /24. Every record's hops must equal truth.json's expected path
# (kptb path): silent routers absent (a TTL without a hop), the .179 /24
# ending at the Unicom border with admin-prohibited (!X, stop_reason
# admin-prohibited), the others "completed" at the destination. For the one
# ECMP pair, Paris methods must follow exactly one alternative and classic
# udp hop by hop some alternative. Also: a name resolved through a dnsmasq
# the test starts itself, the text output read like traceroute's, and the
# RIPE Atlas output.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/prober_lib.sh"

tb_up nk
truth=$(tb_truth)
work=$(mktemp -d /tmp/kp-truth.XXXXXX)

mapfile -t vps < <(tb_query 'sorted(t["paths"])')
[ "${#vps[@]}" -eq 3 ] || die "expected 3 vantage points in nk, got ${#vps[@]}"
# two addresses per destination /24: the truth's target and .200
mapfile -t targets < <(python3 - "$truth" <<'PY'
import json, sys, ipaddress
t = json.load(open(sys.argv[1]))
s24 = sorted({p for per in t["paths"].values() for p in per})
for p in s24:
    print(t["paths"][sorted(t["paths"])[0]][p]["target"])
    print(ipaddress.ip_network(p)[200])
PY
)
[ "${#targets[@]}" -eq 8 ] || die "expected 4 /24s x 2 targets, got ${#targets[@]}"
methods=icmp-paris,udp-paris,tcp-syn,udp

t0=$(date +%s)
pids=()
for vp in "${vps[@]}"; do
    tb_exec "$vp" "$KPTRACE" trace --allowlist-file "$KP_ALLOWLIST" --methods "$methods" --format json --pps 300 \
        --wait 1000 --max-ttl 12 --no-progress "${targets[@]}" \
        >"$work/$vp.jsonl" 2>"$work/$vp.err" &
    pids+=($!)
done
for i in "${!pids[@]}"; do
    wait "${pids[$i]}"
    assert_eq 0 $? "kptrace trace from ${vps[$i]} exits 0"
done
tb_log "kptrace trace from ${#vps[@]} VPs took $(($(date +%s) - t0)) s"

for vp in "${vps[@]}"; do
    n=$(wc -l <"$work/$vp.jsonl")
    assert_eq 32 "$n" "$vp: 8 targets x 4 methods = 32 records"
    while read -r dst method stop tokens; do
        alts=$(tb_path "$vp" "$dst")
        nalts=$(wc -l <<<"$alts")
        case "$dst" in
        198.19.179.*) want_stop=admin-prohibited ;;
        *) want_stop=completed ;;
        esac
        assert_eq "$want_stop" "$stop" "$vp $method -> $dst stop_reason"
        if [ "$nalts" -eq 1 ]; then
            assert_eq "$alts" "$tokens" "$vp $method -> $dst hops equal the ground truth"
        else
            perhop=0
            [ "$method" = udp ] && perhop=1
            if tb_match_alts "$tokens" "$alts" "$perhop"; then
                ok "$vp $method -> $dst follows the ECMP alternatives: $tokens"
            else
                fail "$vp $method -> $dst: '$tokens' is none of: $(tr '\n' '|' <<<"$alts")"
            fi
        fi
    done < <(kp_tokens <"$work/$vp.jsonl")
done

# Every record names the run's parameters and kernel (pcap) timestamps, and
# every hop has an RTT from them.
python3 - "$work"/*.jsonl <<'PY' && ok "records carry src, ts_source pcap-*, RTTs and probe counts" || fail "record fields"
import json, sys
for f in sys.argv[1:]:
    for line in open(f):
        t = json.loads(line)
        assert t["tool"] == "kptrace", t["tool"]
        assert t["ts_source"].startswith("pcap-"), t["ts_source"]
        assert t["probes_sent"] >= len(t["hops"]) > 0, t
        assert t["start"] <= t["end"]
        for h in t["hops"]:
            assert h["rtt_ms"] is not None and h["rtt_ms"] >= 0, h
            assert h["rx_ns"] - h["tx_ns"] == round(h["rtt_ms"] * 1e6) or abs(h["rx_ns"] - h["tx_ns"] - h["rtt_ms"] * 1e6) < 1000, h
PY

# A name, resolved with c-ares through a dnsmasq started here (never the
# machine's resolver).
tb_exec vp-eu dnsmasq --keep-in-foreground --no-resolv --no-hosts --bind-interfaces \
    --listen-address=127.0.0.1 --port=5353 --address=/star.kp.test/198.19.177.9 \
    --log-queries --log-facility="$work/dnsmasq.log" \
    --pid-file="$work/dnsmasq.pid" 2>"$work/dnsmasq.err" &
dns_pid=$!
sleep 1
tb_exec vp-eu "$KPTRACE" trace --allowlist-file "$KP_ALLOWLIST" --dns-server 127.0.0.1:5353 --format json --no-progress \
    star.kp.test >"$work/name.jsonl" 2>"$work/name.err"
assert_eq 0 $? "kptrace trace star.kp.test exits 0"
# What cannot be a host name is refused without a query: a prefix, a URL.
for bad in 198.19.177.0/30 http://star.kp.test/ "star kp.test"; do
    tb_exec vp-eu "$KPTRACE" trace --allowlist-file "$KP_ALLOWLIST" --dns-server 127.0.0.1:5353 \
        --no-progress "$bad" >/dev/null 2>"$work/bad.err"
    assert_eq 1 $? "kptrace trace '$bad' exits 1"
    assert_match "not an IPv4 address or a host name|a prefix, not an address or a host name" \
        "$(cat "$work/bad.err")" "'$bad': the error says why"
done
sleep 0.2
assert_eq 1 "$(grep -c 'query\[' "$work/dnsmasq.log")" \
    "the test's dnsmasq was asked once (star.kp.test), never for a prefix or a URL"
kill "$dns_pid" 2>/dev/null
assert_eq "198.19.177.9 star.kp.test" \
    "$(python3 -c 'import json,sys; t=json.loads(sys.stdin.readline()); print(t["dst"], t["dst_name"])' <"$work/name.jsonl")" \
    "the name resolved through the test's dnsmasq"
assert_eq "$(tb_path vp-eu 198.19.177.9)" "$(kp_tokens <"$work/name.jsonl" | cut -d' ' -f4-)" \
    "trace to the name equals the ground truth"
tb_exec vp-eu "$KPTRACE" trace --allowlist-file "$KP_ALLOWLIST" --dns-server 127.0.0.1:5353 --no-progress no-such.kp.test \
    >/dev/null 2>"$work/noname.err"
assert_eq 1 $? "an unknown name exits 1"
assert_match "no-such.kp.test" "$(cat "$work/noname.err")" "the error names the name"

# Text output reads like traceroute's (lib.sh's traceroute parser).
tb_exec vp-us "$KPTRACE" trace --allowlist-file "$KP_ALLOWLIST" --methods icmp-paris --format text --no-progress 198.19.179.1 \
    >"$work/text.out" 2>/dev/null
assert_eq "$(tb_path vp-us 198.19.179.1)" "$(tb_trace_tokens <"$work/text.out")" \
    "text output parsed as traceroute output equals the ground truth (!X)"
assert_match "^traceroute to 198.19.179.1 \(198.19.179.1\), 30 hops max, [0-9]+ byte packets, icmp-paris, admin-prohibited$" \
    "$(head -1 "$work/text.out")" "text header"

# RIPE Atlas output: one object per trace, hops 1..last, err "A" at the end.
tb_exec vp-us "$KPTRACE" trace --allowlist-file "$KP_ALLOWLIST" --methods udp-paris --format atlas --no-progress 198.19.179.1 \
    >"$work/atlas.json" 2>/dev/null
python3 - "$work/atlas.json" "$(tb_path vp-us 198.19.179.1)" <<'PY' && ok "Atlas result: proto, hops, silent x:*, err A" || fail "Atlas result"
import json, sys
r = json.loads(open(sys.argv[1]).readline())
want = sys.argv[2].split()
assert r["type"] == "traceroute" and r["proto"] == "UDP" and r["af"] == 4, r
assert r["dst_addr"] == "198.19.179.1"
got = []
for h in r["result"]:
    first = h["result"][0]
    got.append(first.get("from", "*"))
    if first.get("err") == "A":
        got.append("!X")
assert got == want, (got, want)
PY
rm -rf "$work"
