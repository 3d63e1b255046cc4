#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# test_testbed_dns — the testbed's dnsmasq answers Team Cymru TXT and PTR
# records from the fixture (tests/testbed/topologies/nk.dns).
#
# From every vantage point and from the analyst node, dig @DNS for:
#   - the origin TXT of a destination address and of a Unicom router address,
#   - the AS TXT of AS4837,
#   - the PTR of a TTC router interface,
# and compare with the fixture's lines (read here with sed, not with kptb).
# A name that is not in the fixture gets no answer (nothing is forwarded).
source "$(dirname "$0")/lib.sh"

fixture=$KP_SRC/tests/testbed/topologies/nk.dns
[ -s "$fixture" ] || die "fixture $fixture missing"
command -v dig >/dev/null || die "dig not installed (dnsutils)"

# txt NAME — the fixture's TXT string for NAME, with its quotes, as dig prints it.
txt() { sed -n "s/^txt-record=$1,//p" "$fixture"; }
# ptr ADDR — the fixture's PTR target for ADDR, with dig's trailing dot.
ptr() {
    local rev
    rev=$(awk -F. '{print $4"."$3"."$2"."$1}' <<<"$1")
    sed -n "s/^ptr-record=$rev\.in-addr\.arpa,\(.*\)/\1./p" "$fixture"
}

tb_up nk
dns=$(tb_addr dns)
assert_eq "198.18.53.53" "$dns" "the DNS node's address is the documented 198.18.53.53"

# A destination, a Unicom backbone interface (no PTR: Unicom has none), a TTC one.
dst=198.19.177.1
uni=$(tb_query "[a for a, v in t['addresses'].items() if v['as'] == 4837][0]")
ttc=$(tb_query "[a for a, v in t['addresses'].items() if v['as'] == 20485][0]")
rev() { awk -F. '{print $4"."$3"."$2"."$1}' <<<"$1"; }

exp_dst=$(txt "$(rev $dst).origin.asn.cymru.com")
exp_uni=$(txt "$(rev "$uni").origin.asn.cymru.com")
exp_as=$(txt "AS4837.asn.cymru.com")
exp_ptr=$(ptr "$ttc")
assert_eq '"131279 | 198.19.177.0/24 | KP | apnic | 2009-12-01"' "$exp_dst" "fixture: origin TXT of $dst"
assert_match '^"4837 \| 198\.18\.2(19|20)\.0/24 \| CN \| apnic \| ' "$exp_uni" "fixture: origin TXT of Unicom $uni"
assert_eq '"4837 | CN | apnic | 2000-01-01 | CHINA169-BACKBONE CHINA UNICOM China169 Backbone, CN"' "$exp_as" "fixture: AS4837 TXT"
assert_match '\.ttk\.example\.$' "$exp_ptr" "fixture: PTR of TTC $ttc"

q() { tb_exec "$1" dig +short +time=2 +tries=2 @"$dns" "${@:2}"; }
for node in vp-eu vp-us vp-asia analyst; do
    assert_eq "$exp_dst" "$(q "$node" "$(rev $dst).origin.asn.cymru.com" TXT)" "$node: origin TXT of $dst"
    assert_eq "$exp_uni" "$(q "$node" "$(rev "$uni").origin.asn.cymru.com" TXT)" "$node: origin TXT of $uni"
    assert_eq "$exp_as" "$(q "$node" AS4837.asn.cymru.com TXT)" "$node: AS4837 TXT"
    assert_eq "$exp_ptr" "$(q "$node" -x "$ttc")" "$node: PTR of $ttc"
done
assert_eq "" "$(q vp-eu -x "$uni")" "no PTR for a Unicom backbone hop"
assert_eq "" "$(q vp-eu www.example.com A)" "a name outside the fixture gets no answer"
status=$(tb_exec analyst dig +time=2 +tries=1 @"$dns" www.example.com A | sed -n 's/.*status: \([A-Z]*\).*/\1/p')
assert_match '^(REFUSED|NXDOMAIN|SERVFAIL)$' "$status" "dnsmasq does not resolve outside names (status $status)"
