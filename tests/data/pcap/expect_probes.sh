#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# expect_probes.sh — write <capture>.probes: for every frame that is an
# outgoing probe, "FRAME TOOL METHOD" (1-based frame number), chosen by tshark
# display filters from what make_fixtures.sh ran (which tool sent which
# protocol to which destination), not by kptrace's classifiers. The unit test
# test_replay_classify.c checks the classifiers against these lines.
#
set -eu
cd "$(dirname "$0")"
VP=198.18.1.2
OUT="ip.src==$VP && ip.ttl<64 && !(icmp.type==11) && !(icmp.type==3) && !(icmp.type==0)"

# emit CAPTURE "FILTER" TOOL METHOD [...more FILTER TOOL METHOD triples]
emit()
{
    local f=$1
    shift
    : >"$f.probes.tmp"
    while [ $# -gt 0 ]; do
        tshark -r "$f.pcap" -Y "$OUT && ($1)" -T fields -e frame.number 2>/dev/null |
            sed "s/\$/ $2 $3/" >>"$f.probes.tmp"
        shift 3
    done
    sort -n "$f.probes.tmp" >"$f.probes"
    rm -f "$f.probes.tmp"
}

emit tr_udp "udp" traceroute udp
emit tr_icmp "icmp" traceroute icmp
emit tr_tcp "tcp" traceroute tcp
emit mtr_icmp "icmp" mtr icmp
emit mtr_udp "udp" mtr udp
emit mtr_tcp "tcp" mtr tcp
emit tcptr "tcp" tcptraceroute tcp-syn
emit sc_icmp-paris "icmp" scamper icmp-paris
emit sc_udp-paris "udp" scamper udp-paris
emit sc_udp "udp" scamper udp
emit sc_tcp "tcp" scamper tcp-syn
emit mixed \
    "icmp && ip.dst==198.18.3.2" traceroute icmp \
    "udp && ip.dst==198.18.4.1 && ip.flags.df==1" scamper udp-paris \
    "udp && ip.dst==198.18.5.1" mtr udp \
    "tcp && ip.dst==198.18.3.2" tcptraceroute tcp-syn \
    "udp && ip.dst==198.18.4.1 && ip.flags.df==0" traceroute udp
for f in lt_sll lt_sll2 lt_eth_ns snap70 bad_snap60; do
    emit $f "udp" traceroute udp
done
