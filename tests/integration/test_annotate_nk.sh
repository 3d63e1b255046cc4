#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# test_annotate_nk — kpannotate on live sweeps of the testbed's nk topology.
#
# From every vantage point, `kptrace sweep` traces 16 addresses of each of
# the four /24s of the AS131279 stand-in with icmp-paris, udp-paris and
# tcp-syn. kpannotate then decides the transit per trace and per (vp, /24,
# method); every decision is compared with the testbed's ground truth
# (truth.json: the transit per VP and /24, the ECMP split of vp-asia to
# .178, the admin-prohibited end of .179) by annotate_check.py:
#   1. with the shipped prefix fixture (nk.pfx2as);
#   2. with Team Cymru lookups answered by the testbed's dnsmasq instead;
#   3. with a dead DNS server and with garbage TXT answers (a dnsmasq this
#      test starts): kpannotate still finishes, says what failed (exit 1),
#      and the prefix fixture still gives the true transits;
#   4. from kptrace's own capture file and from a tcpdump capture of Debian
#      traceroute (through replay);
#   5. from real scamper run now in the testbed: same verdicts as kptrace's;
#   6. the --graph output is valid graphviz with the border edges, the
#      destinations collapsed into their /24s; --graph-hosts gives one node
#      per destination, --graph-prefix one /24's graph.
source "$(dirname "$0")/lib.sh"

# every run reads the testbed's tables: keep its test space (lib.sh)
KPA=("${KPANNOTATE:-$KP_BUILD/kpannotate}" --keep-special "$KP_TESTBED_KEEP")
KPT=$KP_BUILD/kptrace
CHECK=$KP_SRC/tests/integration/annotate_check.py
PFX=$KP_SRC/tests/testbed/topologies/nk.pfx2as
[ -x "$KPA" ] || die "kpannotate not built ($KPA)"
[ -x "$KPT" ] || die "kptrace not built ($KPT)"
command -v scamper >/dev/null || die "scamper not installed"
command -v dnsmasq >/dev/null || die "dnsmasq not installed"

# check ARGS... — run annotate_check.py; each of its ok/FAIL lines is an assertion.
check() { tb_check_lines "annotate_check.py $1" python3 "$CHECK" "$@"; }

tb_up nk
truth=$(tb_truth)
work=$TB_STATE/annotate
mkdir -p "$work"
targets=198.19.176.0/28,198.19.177.0/28,198.19.178.0/28,198.19.179.0/28
methods=icmp-paris,udp-paris,tcp-syn

# --- live sweeps with kptrace -------------------------------------------------
for vp in vp-eu vp-us vp-asia; do
    tb_exec "$vp" "$KPT" sweep --allowlist-file "$KP_ALLOWLIST" -q --no-progress --vp "$vp" --targets "$targets" \
        --methods "$methods" --pps 500 --wait 800 --out "$work/$vp" ||
        fail "kptrace sweep from $vp"
    assert_eq 192 "$(wc -l <"$work/$vp/traces.jsonl")" "$vp: 64 targets x 3 methods traced"
done
sweeps=("$work"/vp-*/traces.jsonl)

# 1. the prefix fixture
"${KPA[@]}" -q -p "$PFX" --sweep none -o "$work/annotated.jsonl" --summary-format json \
    "${sweeps[@]}" >"$work/summary.jsonl"
assert_eq 0 "$?" "kpannotate -p nk.pfx2as exits 0"
check summary "$truth" "$work/summary.jsonl" --methods "$methods" --label "pfx2as"
check traces "$truth" "$work/annotated.jsonl" --label "pfx2as per trace"
assert_eq 576 "$(wc -l <"$work/annotated.jsonl")" "one annotated line per trace"
src=$(python3 -c '
import json, sys
s = set()
for l in open(sys.argv[1]):
    t = json.loads(l)
    s.update(h["asn_source"] for h in t["hops"] if h["asn"])
print(",".join(sorted(s)))' "$work/annotated.jsonl")
assert_eq "pfx2as" "$src" "every hop AS came from the prefix file"

# The text table lines up and names the transits.
"${KPA[@]}" -q -p "$PFX" --sweep none -s "${sweeps[@]}" >"$work/summary.txt"
assert_match 'vp-asia +198\.19\.178\.0/24 +udp-paris +- +AS(4837 China Unicom|20485 TransTeleCom)' \
    "$(cat "$work/summary.txt")" "text summary row for the ECMP /24"
cols=$(awk '{ print index($0, $3) }' "$work/summary.txt" | sort -u | wc -l)
assert_eq 1 "$cols" "text summary: the METHOD column starts at one offset on every row"

# 2. Team Cymru over the testbed's DNS (from the analyst host)
dns=$(tb_addr dns)
tb_exec analyst "${KPA[@]}" -q --cymru --rdns --dns-server "$dns" --sweep none -o "$work/cymru.jsonl" \
    --summary-format json "${sweeps[@]}" >"$work/summary-cymru.jsonl"
assert_eq 0 "$?" "kpannotate --cymru via the testbed DNS exits 0"
check summary "$truth" "$work/summary-cymru.jsonl" --methods "$methods" --label "cymru"
src=$(python3 -c '
import json, sys
s, names = set(), set()
for l in open(sys.argv[1]):
    t = json.loads(l)
    for h in t["hops"]:
        if h["asn"]:
            s.add(h["asn_source"])
            if h["asn"] == 20485:
                names.add(h["as_name"])
print(",".join(sorted(s)), "|", ",".join(sorted(names)))' "$work/cymru.jsonl")
assert_eq "cymru | TRANSTELECOM, RU" "$src" "hop ASes and names came from Team Cymru TXT"
# reverse DNS: the fixture's PTR names for TTC's border and the EU ISP; none for Unicom
fixture_ptr() { sed -n "s/^ptr-record=$1\.in-addr\.arpa,//p" "$KP_SRC/tests/testbed/topologies/nk.dns"; }
rd=$(python3 -c '
import json, sys
names = {}
for l in open(sys.argv[1]):
    for h in json.loads(l)["hops"]:
        names[h["addr"]] = h["rdns"]
print(names.get("198.18.188.22"), names.get("198.18.1.1"), names.get("198.18.219.22"))' "$work/cymru.jsonl")
assert_eq "$(fixture_ptr 22.188.18.198) $(fixture_ptr 1.1.18.198) None" "$rd" \
    "--rdns: PTR names from the testbed DNS (ttc-vvo, isp-eu), none for uni-dd"

# 3a. a dead DNS server: finishes, says so, falls back to the prefix file
start=$(date +%s)
tb_exec analyst "${KPA[@]}" --cymru --dns-server 198.18.53.99 --dns-timeout 200 -p "$PFX" \
    --sweep none --summary-format json "${sweeps[@]}" >"$work/summary-dead.jsonl" \
    2>"$work/dead.err"
rc=$?
assert_eq 1 "$rc" "dead DNS server: exit 1 (lookups failed, output still written)"
assert_between 0 120 "$(($(date +%s) - start))" "dead DNS server: finished in seconds"
assert_match '(timeout|down|failed)' "$(cat "$work/dead.err")" "dead DNS server: stderr says what failed"
check summary "$truth" "$work/summary-dead.jsonl" --label "dead DNS, prefix file"

# 3b. garbage TXT answers from a dnsmasq started here (an SPF string instead of
# Team Cymru's format, as some resolvers return)
python3 - "${sweeps[@]}" >"$work/garbage.conf" <<'EOF'
import json, sys
addrs = set()
for p in sys.argv[1:]:
    for l in open(p):
        t = json.loads(l)
        addrs.add(t["dst"])
        addrs.update(h["addr"] for h in t["hops"])
for a in sorted(addrs):
    rev = ".".join(reversed(a.split(".")))
    print(f'txt-record={rev}.origin.asn.cymru.com,"v=spf1 include:_spf.example.com ~all"')
print('txt-record=AS4837.asn.cymru.com,"v=spf1 -all"')
EOF
ip netns exec "$(tb_ns analyst)" dnsmasq --keep-in-foreground --conf-file="$work/garbage.conf" --no-resolv \
    --no-hosts --listen-address=127.0.0.1 --bind-interfaces --port=5354 \
    --pid-file="$work/dnsmasq.pid" --user=root 2>"$work/dnsmasq.err" &
dnsmasq_pid=$!
sleep 1
tb_exec analyst "${KPA[@]}" --cymru --dns-server 127.0.0.1:5354 --dns-timeout 500 -p "$PFX" \
    --sweep none --summary-format json "${sweeps[@]}" >"$work/summary-garbage.jsonl" \
    2>"$work/garbage.err"
rc=$?
kill "$dnsmasq_pid" 2>/dev/null
wait "$dnsmasq_pid" 2>/dev/null
assert_eq 1 "$rc" "garbage TXT: exit 1"
assert_match '[1-9][0-9]* garbage' "$(cat "$work/garbage.err")" "garbage TXT: counted and reported"
check summary "$truth" "$work/summary-garbage.jsonl" --label "garbage TXT, prefix file"

# 4. kptrace's capture file, through replay
"${KPA[@]}" -q -p "$PFX" --vp vp-eu --sweep none -o "$work/pcap.jsonl" "$work/vp-eu/capture.pcap"
assert_eq 0 "$?" "kpannotate reads a capture file"
check traces "$truth" "$work/pcap.jsonl" --label "vp-eu capture"
assert_eq 192 "$(wc -l <"$work/pcap.jsonl")" "the capture gives back every trace of the sweep"
"${KPA[@]}" -q -p "$PFX" --vp vp-eu --sweep none --summary-format json "$work/vp-eu/capture.pcap" \
    >"$work/summary-pcap.jsonl"
grep '"vp":"vp-eu"' "$work/summary.jsonl" >"$work/summary-vp-eu.jsonl"
check same "$work/summary-vp-eu.jsonl" "$work/summary-pcap.jsonl" --label "traces.jsonl == capture"

# 4b. a tcpdump capture of Debian traceroute (ICMP echo) from vp-us
# (ip netns exec runs tcpdump in its own process: $! is tcpdump's pid)
ip netns exec "$(tb_ns vp-us)" tcpdump -Z root -i isp-us -U -s 0 -w "$work/traceroute.pcap" icmp \
    2>"$work/tcpdump.err" &
tcpdump_pid=$!
sleep 1
for n in 176 177 178 179; do
    tb_exec vp-us traceroute -n -I -q 1 -w 1 -m 12 "198.19.$n.7" >>"$work/traceroute.txt" 2>&1 ||
        fail "traceroute to 198.19.$n.7"
done
sleep 1
kill -INT "$tcpdump_pid" 2>/dev/null
wait "$tcpdump_pid" 2>/dev/null
"${KPA[@]}" -q -p "$PFX" --vp vp-us --sweep none -o "$work/traceroute.jsonl" "$work/traceroute.pcap"
assert_eq 0 "$?" "kpannotate reads a tcpdump capture of traceroute"
assert_eq 4 "$(wc -l <"$work/traceroute.jsonl")" "four traceroutes rebuilt from the capture"
check traces "$truth" "$work/traceroute.jsonl" --label "traceroute capture"

# 5. real scamper in the testbed: the same verdicts as kptrace's
dsts=$(python3 -c 'print(" ".join(f"198.19.{n}.{h}" for n in (176, 177, 178, 179) for h in range(1, 15)))')
for vp in vp-eu vp-us vp-asia; do
    # shellcheck disable=SC2086
    tb_exec "$vp" scamper -O json -p 200 -c "trace -P udp-paris -q 2 -w 1" -i $dsts \
        >"$work/scamper-$vp.json" || fail "scamper from $vp"
    "${KPA[@]}" -q -p "$PFX" --vp "$vp" --sweep none --summary-format json \
        "$work/scamper-$vp.json" >>"$work/summary-scamper.jsonl"
done
check summary "$truth" "$work/summary-scamper.jsonl" --label "scamper"
python3 -c '
import json, sys
for l in open(sys.argv[1]):
    g = json.loads(l)
    if g["method"] == "udp-paris":
        print(l, end="")' "$work/summary.jsonl" >"$work/summary-kptrace-udp.jsonl"
check same "$work/summary-kptrace-udp.jsonl" "$work/summary-scamper.jsonl" --label "kptrace == scamper"

# 6. the graph
"${KPA[@]}" -q -p "$PFX" -g "$work/paths.dot" -o /dev/null "${sweeps[@]}"
assert_cmd "graphviz accepts the --graph output" dot -Tsvg -o "$work/paths.svg" "$work/paths.dot"
dotf=$(cat "$work/paths.dot")
assert_match '"as:4837" -> "as:131279" \[label="[0-9]+", penwidth=3\]' "$dotf" "AS graph: Unicom hands over to AS131279 (bold)"
assert_match '"as:20485" -> "as:131279" \[label="[0-9]+", penwidth=3\]' "$dotf" "AS graph: TTC hands over to AS131279 (bold)"
# Expected from nk.topo: 3 VPs x 16 addresses x 3 methods = 144 traces per
# /24; .176 only over Unicom (uni-dd), .177 only over TTC (ttc-vvo), .178 over
# both (vp-eu TTC, vp-us Unicom, vp-asia ECMP), .179 ends in !X at uni-dd (no
# destination answers); star-gw and star-core stay silent (2 silent TTLs).
uni='"r:198\.18\.219\.[0-9]+"'
ttc='"r:198\.18\.188\.[0-9]+"'
assert_eq 3 "$(grep -c '^    "p:[^"]*" \[label=' "$work/paths.dot")" \
    "collapsed graph: one node per answering /24 (.176, .177, .178; .179 is filtered)"
for p in 176 177 178; do
    assert_match "\"p:198\\.19\\.$p\\.0/24\" \\[label=\"198\\.19\\.$p\\.0/24\\\\n16 destinations\", shape=box3d" \
        "$dotf" "collapsed graph: 198.19.$p.0/24 holds its 16 destinations"
done
assert_eq 0 "$(grep -c '"r:198\.19\.17[6-9]\.' "$work/paths.dot")" "collapsed graph: no destination host node"
assert_eq 4 "$(grep -c -- '-> "p:' "$work/paths.dot")" \
    "collapsed graph: 4 edges into /24s (uni-dd to .176 and .178, ttc-vvo to .177 and .178)"
assert_match "$uni -> \"p:198\\.19\\.176\\.0/24\" \\[style=dashed, label=\"2 silent\\\\n144 traces\"\\]" \
    "$dotf" "collapsed graph: all 144 traces into .176 from uni-dd over 2 silent TTLs"
assert_match "$ttc -> \"p:198\\.19\\.177\\.0/24\" \\[style=dashed, label=\"2 silent\\\\n144 traces\"\\]" \
    "$dotf" "collapsed graph: all 144 traces into .177 from ttc-vvo"
# .178: vp-eu's 48 over TTC, vp-us's 48 over Unicom, vp-asia's 48 split
n178=$(grep -oE -- '-> "p:198\.19\.178\.0/24" \[style=dashed, label="2 silent\\n[0-9]+ traces' "$work/paths.dot" |
    grep -oE '[0-9]+ traces' | grep -oE '^[0-9]+')
assert_eq "2 144" "$(echo "$n178" | wc -l) $(echo "$n178" | awk '{ s += $1 } END { print s }')" \
    "collapsed graph: .178 from two routers, 144 traces in all"
assert_eq "" "$(echo "$n178" | awk '$1 < 48')" "collapsed graph: each way into .178 carries at least one VP's 48 traces"
assert_match "$uni \\[label=\"198\\.18\\.219\\.[0-9]+\\\\nAS4837 China Unicom \\(CHINA169-BACKBONE\\)\"" \
    "$dotf" "collapsed graph: routers labelled with AS number and name"
assert_match "$ttc \\[label=\"198\\.18\\.188\\.[0-9]+\\\\nAS20485 TransTeleCom \\(TRANSTELECOM\\)\"" \
    "$dotf" "collapsed graph: TTC routers labelled with AS number and name"

# --graph-hosts: the former graph, one node per destination address
"${KPA[@]}" -q -p "$PFX" -g "$work/hosts.dot" --graph-hosts -o /dev/null "${sweeps[@]}"
assert_cmd "graphviz accepts the --graph-hosts output" dot -Tsvg -o "$work/hosts.svg" "$work/hosts.dot"
hostsf=$(cat "$work/hosts.dot")
assert_eq 0 "$(grep -c '"p:' "$work/hosts.dot")" "--graph-hosts: no /24 node"
assert_eq 48 "$(grep -cE '^    "r:198\.19\.17[678]\.[0-9]+" \[label=' "$work/hosts.dot")" \
    "--graph-hosts: one node per destination (16 in each of .176, .177, .178)"
assert_match '"r:198\.18\.219\.22" -> "r:198\.19\.17[68]\.[0-9]+" \[style=dashed, label="2 silent"\]' \
    "$hostsf" "--graph-hosts: uni-dd, two silent STAR-KP routers, the destination"
assert_match '"r:198\.18\.219\.22" \[label="198\.18\.219\.22\\nAS4837", ' "$hostsf" \
    "--graph-hosts: router labels as before (no AS name)"
# The router-level edges of both graphs, with each destination address of
# --graph-hosts written as its /24: the same set (which router hands which
# /24's traces over does not depend on the drawing; how many distinct edges
# each draws does, with the ICMP answers a run happens to get). A destination
# that answered two TTLs (the later probe left before its first answer came)
# is drawn to itself by --graph-hosts, as the former graph did, while the
# collapsed graph ends the path at its /24 (unit test
# graph_dot::path_ends_at_the_destination_prefix): such a self-edge is no
# router edge and is left out.
redges() {
    awk '/^  subgraph cluster_routers/ { r = 1 } /^  subgraph cluster_as/ { r = 0 } r && / -> / { print $1, $3 }' "$1" |
        sed -E 's/;$//' | awk '!($1 == $2 && $1 ~ /^"r:198\.19\.17[6-9]\./)' |
        sed -E 's/"r:(198\.19\.17[6-9])\.[0-9]+"$/"p:\1.0\/24"/' | sort -u
}
assert_eq "$(redges "$work/paths.dot")" "$(redges "$work/hosts.dot")" \
    "--graph-hosts: the same router edges as the collapsed graph once its destinations are written as their /24"
assert_eq 4 "$(redges "$work/paths.dot" | grep -c '"p:')" \
    "--graph-hosts and collapsed: 4 ways into the /24s (uni-dd to .176 and .178, ttc-vvo to .177 and .178)"
assert_eq "$(grep -vE '198\.19\.17[6-9]\.|"p:|^    "r:' "$work/paths.dot" | grep -v ' -> ')" \
    "$(grep -vE '198\.19\.17[6-9]\.|"p:|^    "r:' "$work/hosts.dot" | grep -v ' -> ')" \
    "--graph-hosts: same vantage points and AS level"

# --graph-prefix: one /24's graph (as kp-report draws them)
"${KPA[@]}" -q -p "$PFX" -g "$work/177.dot" --graph-prefix 198.19.177.0/24 -o /dev/null "${sweeps[@]}"
assert_cmd "graphviz accepts the --graph-prefix output" dot -Tsvg -o "$work/177.svg" "$work/177.dot"
f177=$(cat "$work/177.dot")
assert_eq '"p:198.19.177.0/24"' "$(grep -oE '^    "p:[^"]*"' "$work/177.dot" | sed 's/^ *//')" \
    "--graph-prefix 198.19.177.0/24: only that /24's node"
assert_match "$ttc -> \"p:198\\.19\\.177\\.0/24\" \\[style=dashed, label=\"2 silent\\\\n144 traces\"\\]" \
    "$f177" "--graph-prefix: its 144 traces, all from ttc-vvo"
assert_eq 0 "$(grep -c '"as:4837"\|"r:198\.18\.219\.' "$work/177.dot")" "--graph-prefix: no Unicom node (.177 is TTC only)"
assert_match '"as:20485" -> "as:131279" \[label="144", penwidth=3\]' "$f177" \
    "--graph-prefix: AS level counts the /24's 144 traces"
"${KPA[@]}" -q -p "$PFX" -g "$work/none.dot" --graph-prefix 198.19.179.0/24 -o /dev/null "${sweeps[@]}"
assert_eq 0 "$(grep -c '"p:' "$work/none.dot")" "--graph-prefix 198.19.179.0/24: no /24 node (filtered at uni-dd)"
assert_cmd "graphviz accepts a graph without destinations" dot -Tsvg -o /dev/null "$work/none.dot"
"${KPA[@]}" -q -p "$PFX" --graph-prefix 198.19.177.0/24 -o /dev/null "${sweeps[@]}" 2>"$work/err"
assert_eq 2 "$?" "--graph-prefix without --graph is a usage error"
"${KPA[@]}" -q -g "$work/x.dot" --graph-prefix 198.19.177.1/24 -o /dev/null "${sweeps[@]}" 2>"$work/err"
assert_match "--graph-prefix: '198\.19\.177\.1/24' is not a prefix" "$(cat "$work/err")" \
    "--graph-prefix with host bits set is named"

tb_down
