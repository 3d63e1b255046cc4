#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# make_fixtures.sh — regenerate the committed replay captures in this folder.
#
# Runs as root, builds a private four-namespace line (mktopo.sh; veth between
# its own namespaces only, 198.18.0.0/15 addresses), captures with tcpdump in
# the vantage point while traceroute/mtr/tcptraceroute/scamper trace, and
# saves next to each capture what the tool printed (*.out) and what tshark
# reads from the file (*.tshark: epoch time, wire length, captured length per
# frame). Those two are the independent expectations of the unit tests.
# Raw-IP and null/loopback captures are made from the Ethernet one by
# rewrite_linktype.py; pcapng by editcap.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/mktopo.sh"
[ "$(id -u)" = 0 ] || { echo "make_fixtures.sh: needs root" >&2; exit 1; }
trap rp_topo_down EXIT INT TERM
rp_topo_up || { echo "topology failed" >&2; exit 1; }
OUT=${1:-$HERE}
VP="ip netns exec $NS_VP"
D1=198.18.3.2 # reachable
D2=198.18.4.1 # admin-prohibited at r2
D3=198.18.5.1 # r1 silent

# cap NAME "tcpdump args" -- command...  : capture while command runs
cap()
{
    local name=$1 targs=$2
    shift 3
    $VP tcpdump -U -n $targs -w "$OUT/$name.pcap" 2>/dev/null &
    local tp=$!
    sleep 1
    "$@" >"$OUT/$name.out" 2>&1
    sleep 1
    kill -INT $tp
    wait $tp
    tshark -r "$OUT/$name.pcap" -T fields -e frame.time_epoch -e frame.len -e frame.cap_len \
        >"$OUT/$name.tshark" 2>/dev/null
}

multi() # run each argument as a vp command, outputs concatenated with headers
{
    for c in "$@"; do
        echo "### $c"
        $VP $c
    done
}

# One capture per tool and method (Ethernet, pcap µs).
cap tr_udp "-i eth0" -- multi "traceroute -n -w 1 -m 6 $D1" "traceroute -n -w 1 -m 6 $D2" "traceroute -n -w 1 -m 6 $D3"
cap tr_icmp "-i eth0" -- multi "traceroute -I -n -w 1 -m 6 $D1" "traceroute -I -n -w 1 -m 6 $D2"
cap tr_tcp "-i eth0" -- multi "traceroute -T -n -w 1 -m 6 $D1" "traceroute -T -n -w 1 -m 6 $D2"
cap mtr_icmp "-i eth0" -- multi "mtr --report -c 1 -n -m 6 $D1" "mtr --report -c 1 -n -m 6 $D2"
cap mtr_udp "-i eth0" -- multi "mtr --report -c 1 -n -u -m 6 $D1" "mtr --report -c 1 -n -u -m 6 $D3"
cap mtr_tcp "-i eth0" -- multi "mtr --report -c 1 -n -T -m 6 $D1"
cap tcptr "-i eth0" -- multi "tcptraceroute -n -w 1 -m 6 $D1" "tcptraceroute -n -w 1 -m 6 $D2"
for m in icmp-paris udp-paris udp tcp; do
    cap sc_$m "-i eth0" -- $VP scamper -O json -c "trace -P $m -q 1 -w 1 -m 6" -i $D1 $D2 $D3
done
# Several tools and destinations at once in one capture.
cap mixed "-i eth0" -- bash -c "
    $VP traceroute -I -n -w 1 -m 6 $D1 >'$OUT/mixed.tr_icmp' 2>&1 &
    $VP scamper -O json -c 'trace -P udp-paris -q 1 -w 1 -m 6' -i $D2 >'$OUT/mixed.sc_udp_paris' 2>&1 &
    $VP mtr --report -c 1 -n -u -m 6 $D3 >'$OUT/mixed.mtr_udp' 2>&1 &
    $VP tcptraceroute -n -w 1 -m 6 $D1 >'$OUT/mixed.tcptr' 2>&1 &
    $VP traceroute -n -w 1 -m 6 $D2 >'$OUT/mixed.tr_udp' 2>&1 &
    wait"

# Link types and timestamp precision (traceroute default UDP to D1 and D2).
TR="multi \"traceroute -n -w 1 -m 6 $D1\" \"traceroute -n -w 1 -m 6 $D2\""
cap lt_sll "-i any -y LINUX_SLL" -- multi "traceroute -n -q 1 -w 1 -m 6 $D1" "traceroute -n -q 1 -w 1 -m 6 $D2"
cap lt_sll2 "-i any -y LINUX_SLL2" -- multi "traceroute -n -q 1 -w 1 -m 6 $D1" "traceroute -n -q 1 -w 1 -m 6 $D2"
cap lt_eth_ns "-i eth0 --time-stamp-precision=nano" -- multi "traceroute -n -q 1 -w 1 -m 6 $D1" "traceroute -n -q 1 -w 1 -m 6 $D2"
python3 "$HERE/rewrite_linktype.py" raw "$OUT/lt_eth_ns.pcap" "$OUT/lt_raw.pcap"
python3 "$HERE/rewrite_linktype.py" null "$OUT/lt_eth_ns.pcap" "$OUT/lt_null.pcap"
editcap -F pcapng "$OUT/lt_eth_ns.pcap" "$OUT/lt_eth.pcapng"
for f in lt_raw lt_null; do
    cp "$OUT/lt_eth_ns.out" "$OUT/$f.out"
    tshark -r "$OUT/$f.pcap" -T fields -e frame.time_epoch -e frame.len -e frame.cap_len >"$OUT/$f.tshark"
done
cp "$OUT/lt_eth_ns.out" "$OUT/lt_eth.out"
tshark -r "$OUT/lt_eth.pcapng" -T fields -e frame.time_epoch -e frame.len -e frame.cap_len >"$OUT/lt_eth.tshark"

# Malformed inputs.
# snaplen 60: Ethernet 14 + IP 20 + ICMP 8 + quoted IP 18 bytes: quotes cut.
cap bad_snap60 "-i eth0 -s 60" -- multi "traceroute -n -q 1 -w 1 -m 6 $D1"
# snaplen 70: the quote keeps its IP header and 8 transport bytes exactly.
cap snap70 "-i eth0 -s 70" -- multi "traceroute -n -q 1 -w 1 -m 6 $D1"
# cut in the middle of the last record
sz=$(stat -c %s "$OUT/lt_eth_ns.pcap")
head -c $((sz - 7)) "$OUT/lt_eth_ns.pcap" >"$OUT/bad_cutfile.pcap"
# a valid header followed by garbage records
head -c 24 "$OUT/tr_udp.pcap" >"$OUT/bad_garbage.pcap"
python3 -c 'import random,sys; r=random.Random(4); sys.stdout.buffer.write(bytes(r.randrange(256) for _ in range(300)))' >>"$OUT/bad_garbage.pcap"
printf 'this is not a capture file\n' >"$OUT/bad_text.pcap"
echo "fixtures written to $OUT"
python3 "$HERE/make_dup_ooo.py"
"$HERE/expect_probes.sh"
