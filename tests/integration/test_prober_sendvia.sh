#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# test_prober_sendvia — --send-via link: probes on a packet socket to the next
# hop's link-layer address give the same traces as the raw IP socket, every
# frame on the wire is a well-formed probe to the gateway's MAC, and where the
# kernel must choose (a multipath route) or cannot yet (the gateway's address
# not resolved), probes go the IP way.
#
# In nk, vp-asia: 198.19.178.0/24 is split over ECMP beyond the ISP (an L4
# hash), 198.19.179.0/24 ends in admin-prohibited, 198.19.176/177 each go one
# way. Sweeps with the same seed and all four methods:
#   ip    --send-via ip (the default)
#   link  --send-via link: the same hop lists per (destination, method); all
#         probes on the link; in its capture every probe frame goes to the
#         gateway's MAC with a valid IPv4 header checksum;
#   multi --send-via link after the vantage point's route to 198.19.178.0/24
#         became multipath (twice the same gateway): the same hop lists; the
#         probes to 198.19.178.0/24 went the IP way, all others on the link;
#   unres --send-via link after the neighbour entry of the gateway was
#         deleted: the same hop lists; the first probes went the IP way (the
#         kernel resolved the gateway), the rest on the link;
#   bh    both ways with a blackhole route for 198.19.176.4/30, inside the
#         route the link way's first answer covers: no probe leaves towards
#         it either way (the raw socket refuses them), the others are
#         unchanged.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/prober_lib.sh"

tb_up nk
work=$(mktemp -d /tmp/kp-sendvia.XXXXXX)
chmod 755 "$work"
vp=vp-asia
ns=$(tb_ns $vp)
src=$(tb_addr $vp)
read -r gw dev < <(ip netns exec "$ns" ip -4 route get 198.19.178.1 |
    awk '{for (i = 1; i < NF; i++) { if ($i == "via") g = $(i + 1); if ($i == "dev") d = $(i + 1) } print g, d; exit}')
assert_match '^198\.' "$gw" "the vantage point's gateway towards the target"
mac=$(ip netns exec "$ns" ip neigh show "$gw" dev "$dev" | awk '{for (i = 1; i < NF; i++) if ($i == "lladdr") print $(i + 1)}')
assert_match '^[0-9a-f:]{17}$' "$mac" "the gateway's link-layer address is known"

targets=198.19.176.0/29,198.19.177.0/29,198.19.178.0/28,198.19.179.0/30
sweep() { # sweep OUT [OPTIONS...]
    local out=$1
    shift
    tb_exec $vp "$KPTRACE" sweep --allowlist-file "$KP_ALLOWLIST" --vp $vp --targets "$targets" \
        --methods icmp-paris,udp-paris,tcp-syn,udp --no-doubletree --seed 20485 --pps 1000 \
        --max-ttl 12 --wait 500 --out "$out" --no-progress -q "$@" 2>"$out.err"
}

sweep "$work/ip"
assert_eq 0 $? "sweep --send-via ip (the default) exits 0"
sweep "$work/link" --send-via link
assert_eq 0 $? "sweep --send-via link exits 0"
kp_tokens <"$work/ip/traces.jsonl" | sort >"$work/ip.tok"
kp_tokens <"$work/link/traces.jsonl" | sort >"$work/link.tok"
assert_eq 144 "$(wc -l <"$work/ip.tok")" "36 targets x 4 methods = 144 traces"
assert_eq "" "$(diff "$work/ip.tok" "$work/link.tok")" "the link way gives the same hop lists"
assert_eq 0 "$(grep -c '^198\.19\.17[6-9]\.[0-9]* [a-z-]* [a-z_-]* *$' "$work/link.tok")" \
    "every trace has hops"
assert_eq ip "$(kp_json_get "$work/ip/sweep.json" sender send_via)" "sweep.json: sent the IP way by default"
assert_eq 0 "$(kp_json_get "$work/ip/sweep.json" sender via_link)" "... none on the link"
sent=$(kp_json_get "$work/link/sweep.json" counts probes_sent)
assert_eq link "$(kp_json_get "$work/link/sweep.json" sender send_via)" "sweep.json: --send-via link"
assert_eq "$sent" "$(kp_json_get "$work/link/sweep.json" sender via_link)" "every probe went on the link"
assert_eq 0 "$(kp_json_get "$work/link/sweep.json" sender via_ip)" "none the IP way"
assert_eq true "$(kp_json_get "$work/link/sweep.json" checks probes ok)" "every probe sent is in the capture"

# the frames: every probe (from the vantage point, TTL < 64) to the gateway's
# MAC, with a valid IPv4 header checksum
python3 - "$work/link/capture.pcap" "$src" "$mac" >"$work/frames" <<'EOF'
import os, struct, sys
sys.path.insert(0, os.environ["KP_SRC"] + "/tests/integration")
import kp_pcap
src = bytes(int(x) for x in sys.argv[2].split("."))
mac = bytes(int(x, 16) for x in sys.argv[3].split(":"))
frames = kp_pcap.probe_frames(sys.argv[1], src)
bad_mac = sum(len(link) != 14 or link[0:6] != mac or link[12:14] != b"\x08\x00"
              for link, _, _ in frames)
bad_sum = 0
for _, ip, _ in frames:
    s = sum(struct.unpack("!10H", ip[:20]))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    bad_sum += s != 0xffff
print(len(frames), bad_mac, bad_sum)
EOF
read -r probes bad_mac bad_sum <"$work/frames"
assert_eq "$sent" "$probes" "the capture holds every probe frame"
assert_eq 0 "$bad_mac" "every probe frame goes to the gateway's MAC"
assert_eq 0 "$bad_sum" "every probe has a valid IPv4 header checksum"

# a multipath route: the IP way for its destinations (the kernel picks the
# path per flow), the link for the others
ip netns exec "$ns" ip route replace 198.19.178.0/24 nexthop via "$gw" dev "$dev" \
    nexthop via "$gw" dev "$dev" weight 2
assert_eq 0 $? "the route to 198.19.178.0/24 made multipath"
sweep "$work/multi" --send-via link
assert_eq 0 $? "sweep --send-via link (a multipath route) exits 0"
ip netns exec "$ns" ip route replace 198.19.178.0/24 via "$gw" dev "$dev"
kp_tokens <"$work/multi/traces.jsonl" | sort >"$work/multi.tok"
assert_eq "" "$(diff "$work/ip.tok" "$work/multi.tok")" "multipath: the same hop lists"
to178=$(python3 - "$work/multi/capture.pcap" "$src" <<'EOF'
import os, sys
sys.path.insert(0, os.environ["KP_SRC"] + "/tests/integration")
import kp_pcap
src = bytes(int(x) for x in sys.argv[2].split("."))
print(sum(d.startswith("198.19.178.") for d, _, _ in kp_pcap.probes_in(sys.argv[1], src)))
EOF
)
sent=$(kp_json_get "$work/multi/sweep.json" counts probes_sent)
tb_log "multipath: $sent probes, $to178 of them to the multipath /24"
assert_between 1 "$((sent - 1))" "$to178" "some probes, not all, to the multipath /24"
assert_eq "$to178" "$(kp_json_get "$work/multi/sweep.json" sender via_ip)" "those went the IP way"
assert_eq "$((sent - to178))" "$(kp_json_get "$work/multi/sweep.json" sender via_link)" \
    "the others on the link"

# the gateway's address not resolved: the IP way (the kernel resolves it),
# then the link once it is
ip netns exec "$ns" ip neigh del "$gw" dev "$dev"
assert_eq 0 $? "the gateway's neighbour entry deleted"
assert_eq "" "$(ip netns exec "$ns" ip neigh show "$gw" dev "$dev")" "... and gone"
sweep "$work/unres" --send-via link
assert_eq 0 $? "sweep --send-via link (gateway unresolved) exits 0"
kp_tokens <"$work/unres/traces.jsonl" | sort >"$work/unres.tok"
assert_eq "" "$(diff "$work/ip.tok" "$work/unres.tok")" "unresolved gateway: the same hop lists"
via_ip=$(kp_json_get "$work/unres/sweep.json" sender via_ip)
via_link=$(kp_json_get "$work/unres/sweep.json" sender via_link)
sent=$(kp_json_get "$work/unres/sweep.json" counts probes_sent)
tb_log "unresolved gateway: $sent probes, $via_ip the IP way, $via_link on the link"
assert_eq "$sent" "$((via_ip + via_link))" "every probe went one way or the other"
assert_between 1 "$((sent - 1))" "$via_ip" "the first probes the IP way"
assert_between 1 "$((sent - 1))" "$via_link" "the rest on the link"

# a more specific route inside the block the first answer covers: a
# blackhole for 198.19.176.4/30. The link way must not carry probes past it:
# as on the IP way the raw socket refuses them (EINVAL), nothing of those
# traces leaves (no record: counted as not sent), the others are as before.
ip netns exec "$ns" ip route add blackhole 198.19.176.4/30
assert_eq 0 $? "a blackhole route for 198.19.176.4/30"
for way in ip link; do
    sweep "$work/bh-$way" --send-via $way
    rc=$?
    kp_tokens <"$work/bh-$way/traces.jsonl" | sort >"$work/bh-$way.tok"
    assert_eq 4 "$rc" "$way way: the sweep is incomplete (exit 4)"
    assert_eq "" "$(awk '$1 ~ /^198\.19\.176\.[4-7]$/' "$work/bh-$way.tok")" \
        "$way way: no record behind the blackhole"
    assert_eq 16 "$(kp_json_get "$work/bh-$way/sweep.json" counts skipped_not_sent)" \
        "$way way: its 4 addresses x 4 methods counted as not sent"
    assert_between 16 100000 "$(kp_json_get "$work/bh-$way/sweep.json" counts send_errors_by_errno EINVAL)" \
        "$way way: the raw socket refused them (EINVAL)"
    assert_eq "" "$(diff <(grep -v '^198\.19\.176\.[4-7] ' "$work/ip.tok") \
        <(grep -v '^198\.19\.176\.[4-7] ' "$work/bh-$way.tok"))" \
        "$way way: every other trace as before"
    n=$(python3 - "$work/bh-$way/capture.pcap" "$src" <<'EOF'
import os, sys
sys.path.insert(0, os.environ["KP_SRC"] + "/tests/integration")
import kp_pcap
src = bytes(int(x) for x in sys.argv[2].split("."))
bh = {"198.19.176.%d" % i for i in range(4, 8)}
print(sum(d in bh for d, _, _ in kp_pcap.probes_in(sys.argv[1], src)))
EOF
    )
    assert_eq 0 "$n" "$way way: no probe left towards the blackhole"
done
ip netns exec "$ns" ip route del blackhole 198.19.176.4/30

tb_exec $vp "$KPTRACE" sweep --allowlist-file "$KP_ALLOWLIST" --vp $vp --targets 198.19.176.0/30 \
    --send-via tunnel --out "$work/bad" --no-progress 2>"$work/bad.err"
assert_eq 2 $? "--send-via with an unknown way: usage error"
assert_match 'expected ip or link' "$(cat "$work/bad.err")" "... naming the choices"

rm -rf "$work"
tb_summary
