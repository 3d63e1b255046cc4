#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Regenerate kernel_lan.pcap and kernel_nat_out.pcap: real Linux replies to
# kptrace probes. Needs root; works only inside three private namespaces
# (kpc-a 198.18.0.2 -- kpc-r router/NAT -- kpc-b 198.51.100.7), no link to the
# root namespace; torn down on exit.
#   gcc -std=c11 -D_DEFAULT_SOURCE -I../../.. kernel_send.c ../../../probe/{decode,identity,\
#     probe_payload,methods,method_icmp_paris,method_udp_paris,method_tcp_syn,method_udp,addr,\
#     trace}.c -o /tmp/kernel_send -lnet
#   ./kernel_capture.sh /tmp/kernel_send
# kernel_send sends, with a fixed key, TTL 1..3 x attempts 0,1 of every method
# (trace ids 100..103; tcp-syn to port 80 (listening) for attempt 0 and 81
# (closed) for attempt 1). kernel_lan.pcap: capture at the vantage point;
# kernel_nat_out.pcap: capture outside a nft SNAT (to 198.51.100.1, ports
# 40000-40100) that the router applies to the same probes.
set -euo pipefail
SEND=${1:?path to the built kernel_send}
OUT=$(cd "$(dirname "$0")" && pwd)
A=kpc-a R=kpc-r B=kpc-b
cleanup() {
    for n in $A $B $R; do
        ip netns pids $n 2>/dev/null | xargs -r kill 2>/dev/null || true
        ip netns del $n 2>/dev/null || true
    done
}
trap cleanup EXIT INT TERM
run() { # $1 = nat|plain, $2 = where to capture (a|r), $3 = output file
    cleanup
    for n in $A $R $B; do ip netns add $n; ip -n $n link set lo up; done
    ip link add kpca0 netns $A type veth peer name kpcr0 netns $R
    ip link add kpcr1 netns $R type veth peer name kpcb0 netns $B
    ip -n $A addr add 198.18.0.2/24 dev kpca0
    ip -n $A link set kpca0 up
    ip -n $A route add default via 198.18.0.1
    ip -n $R addr add 198.18.0.1/24 dev kpcr0
    ip -n $R addr add 198.51.100.1/24 dev kpcr1
    ip -n $R link set kpcr0 up
    ip -n $R link set kpcr1 up
    ip -n $B addr add 198.51.100.7/24 dev kpcb0
    ip -n $B link set kpcb0 up
    ip -n $B route add default via 198.51.100.1
    ip netns exec $R sysctl -qw net.ipv4.ip_forward=1
    if [ "$1" = nat ]; then
        ip netns exec $R nft -f - <<'NFT'
table ip kpcnat {
  chain post { type nat hook postrouting priority srcnat; oifname "kpcr1" ip protocol { tcp, udp } snat to 198.51.100.1:40000-40100; oifname "kpcr1" ip protocol icmp snat to 198.51.100.1; }
}
NFT
    fi
    for n in $R $B; do ip netns exec $n sysctl -qw net.ipv4.icmp_ratelimit=0; done
    ip netns exec $B python3 -c "import socket,time;s=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1);s.bind(('198.51.100.7',80));s.listen(50);time.sleep(8)" &
    sleep 0.5
    if [ "$2" = a ]; then
        ip netns exec $A tcpdump -q -i kpca0 -U -w "$3" 2>/dev/null &
    else
        ip netns exec $R tcpdump -q -i kpcr1 -U -w "$3" 2>/dev/null &
    fi
    local tp=$!
    sleep 1
    ip netns exec $A "$SEND"
    sleep 1
    kill $tp
    wait $tp 2>/dev/null || true
}
run plain a "$OUT/kernel_lan.pcap"
run nat r "$OUT/kernel_nat_out.pcap"
