#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# test_prober_nat — kptrace behind a NAT that rewrites source ports and ids.
#
# The router in front of vp-eu (isp-eu) masquerades the VP's traffic with
# fully random port mapping (nftables), as a VPS provider's NAT might. tcpdump
# on isp-eu's transit links shows the probes leaving with other source
# addresses and ports/ids than kptrace sent; the replies come back through
# the NAT. Every trace (icmp-paris, udp-paris, tcp-syn, udp to one address in
# each /24) must still equal the ground truth, with its stop reason.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/prober_lib.sh"
command -v nft >/dev/null || die "nft not installed"

tb_up nk
work=$(mktemp -d /tmp/kp-nat.XXXXXX)
vp=vp-eu
src=$(tb_addr $vp)
tb_exec isp-eu nft -f - <<EOF2
table ip kpnat {
    chain post {
        type nat hook postrouting priority srcnat; policy accept;
        ip saddr $src oifname != "vp-eu" masquerade fully-random
    }
}
EOF2
assert_eq 0 $? "NAT installed on isp-eu"

ip netns exec "$(tb_ns isp-eu)" tcpdump -n -i any -w "$work/wan.pcap" \
    "ip[8] < 32 and not src host $src and (udp or icmp[0] = 8 or tcp[13] = 2)" 2>/dev/null &
td=$!
sleep 1
mapfile -t targets < <(tb_query 'sorted({e["target"] for per in t["paths"].values() for e in per.values()})')
tb_exec $vp "$KPTRACE" trace --allowlist-file "$KP_ALLOWLIST" --methods icmp-paris,udp-paris,tcp-syn,udp --format json --pps 200 \
    --max-ttl 12 --no-progress "${targets[@]}" >"$work/t.jsonl" 2>"$work/t.err"
assert_eq 0 $? "kptrace trace behind the NAT exits 0"
sleep 1
kill -INT $td
wait $td 2>/dev/null

# the probes really were rewritten: kptrace's flows use source ports / echo
# ids 0x8000 | trace id (32769...), the NAT chose others
read -r total rewritten < <(tcpdump -nr "$work/wan.pcap" 2>/dev/null | python3 -c '
import re, sys
tot = rw = 0
for l in sys.stdin:
    m = re.search(r"IP (\d+\.\d+\.\d+\.\d+)\.(\d+) >", l)
    if m:
        tot += 1
        rw += not (32769 <= int(m.group(2)) <= 32784)
        continue
    m = re.search(r"ICMP echo request, id (\d+)", l)
    if m:
        tot += 1
        rw += not (32769 <= int(m.group(1)) <= 32784)
print(tot, rw)')
tb_log "$total probes seen past the NAT, $rewritten with a rewritten port/id"
assert_between 20 100000 "$total" "probes seen on the NAT's outside"
assert_between $((total * 8 / 10)) "$total" "$rewritten" "most of them with a port or echo id the NAT chose"

assert_eq 16 "$(wc -l <"$work/t.jsonl")" "4 targets x 4 methods = 16 records"
while read -r dst method stop tokens; do
    case "$dst" in
    198.19.179.*) want=admin-prohibited ;;
    *) want=completed ;;
    esac
    assert_eq "$want" "$stop" "behind NAT: $method -> $dst stop_reason"
    assert_eq "$(tb_path $vp "$dst")" "$tokens" "behind NAT: $method -> $dst hops equal the ground truth"
done < <(kp_tokens <"$work/t.jsonl")
rm -rf "$work"
