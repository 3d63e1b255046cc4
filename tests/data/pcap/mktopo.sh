# SPDX-License-Identifier: BSD-2-Clause
# mktopo.sh — a four-namespace line for making replay fixtures (sourced).
#
#   vp 198.18.1.2 --- 198.18.1.1 r1 198.18.2.1 --- 198.18.2.2 r2 198.18.3.1 --- 198.18.3.2 dst
#
# dst also owns 198.18.4.1 and 198.18.5.1 (on lo). r2 answers traffic to
# 198.18.4.0/24 with ICMP admin-prohibited (!X); r1 stays silent (no
# time-exceeded) for probes to 198.18.5.0/24. Links are veth pairs between
# these namespaces only; nothing touches the root namespace's interfaces.
# Call rp_topo_up, and rp_topo_down from an EXIT trap.

RP=${RP:-kprp$$}
NS_VP=$RP-vp
NS_R1=$RP-r1
NS_R2=$RP-r2
NS_DST=$RP-dst

rp_topo_down()
{
    for n in $NS_VP $NS_R1 $NS_R2 $NS_DST; do
        ip netns del "$n" 2>/dev/null || true
    done
}

rp_link() # ns1 if1 addr1 ns2 if2 addr2
{
    ip link add "$2" netns "$1" type veth peer name "$5" netns "$4"
    ip -n "$1" addr add "$3/24" dev "$2"
    ip -n "$4" addr add "$6/24" dev "$5"
    ip -n "$1" link set "$2" up
    ip -n "$4" link set "$5" up
}

rp_topo_up()
{
    set -e
    for n in $NS_VP $NS_R1 $NS_R2 $NS_DST; do
        ip netns add "$n"
        ip -n "$n" link set lo up
        ip netns exec "$n" sysctl -qw net.ipv4.icmp_ratelimit=0
        ip netns exec "$n" sysctl -qw net.ipv4.icmp_msgs_per_sec=100000
        ip netns exec "$n" sysctl -qw net.ipv4.icmp_msgs_burst=100000
    done
    ip netns exec $NS_R1 sysctl -qw net.ipv4.ip_forward=1
    ip netns exec $NS_R2 sysctl -qw net.ipv4.ip_forward=1
    rp_link $NS_VP eth0 198.18.1.2 $NS_R1 eth0 198.18.1.1
    rp_link $NS_R1 eth1 198.18.2.1 $NS_R2 eth0 198.18.2.2
    rp_link $NS_R2 eth1 198.18.3.1 $NS_DST eth0 198.18.3.2
    ip -n $NS_DST addr add 198.18.4.1/32 dev lo
    ip -n $NS_DST addr add 198.18.5.1/32 dev lo
    ip -n $NS_VP route add default via 198.18.1.1
    ip -n $NS_R1 route add default via 198.18.2.2
    ip -n $NS_R1 route add 198.18.1.0/24 dev eth0 2>/dev/null || true
    ip -n $NS_R2 route add default via 198.18.3.2
    ip -n $NS_R2 route add 198.18.1.0/24 via 198.18.2.1
    ip -n $NS_DST route add default via 198.18.3.1
    ip netns exec $NS_R2 nft -f - <<'NFT'
table inet kprp {
  chain rp_forward {
    type filter hook forward priority 0;
    ip daddr 198.18.4.0/24 reject with icmp type admin-prohibited
  }
}
NFT
    ip netns exec $NS_R1 nft -f - <<'NFT'
table inet kprp {
  chain rp_output {
    type filter hook output priority 0;
    icmp type time-exceeded @th,192,24 0xc61205 drop
  }
}
NFT
    set +e
}
