#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# test_replay_tools — `kptrace replay` rebuilds other tools' traceroutes from a
# tcpdump capture, hop for hop as each tool printed them.
#
# In the nk testbed, from vp-eu and from vp-asia (the ECMP vantage point), a
# tcpdump -i any in the VP's namespace captures while, for each destination
# /24 (Unicom-only, TTC-only, dual/ECMP, admin-prohibited; all with silent
# hops inside STAR-KP), these eleven run AT THE SAME TIME towards its target
# (the three mtr runs in sequence among them, see run_tools):
# traceroute (UDP, -I, -T), mtr --report -c 1 -n (ICMP, -u, -T),
# tcptraceroute, scamper -O json (icmp-paris, udp-paris, udp, tcp). The
# capture, with every tool and destination interleaved, is replayed; for each
# (tool, method, destination) exactly one trace must come out, and per TTL its
# replying addresses (and !X marks) must equal what the tool printed itself
# (replay_compare.py parses the tools' own output). The replay's probe count
# must equal tshark's count of outgoing probes, and text/atlas output must
# work on the same capture.
#
# KP_REPLAY_SPECS (an extended regex over "tool:method") chooses which
# comparisons are asserted; all eleven tools always run, and by default all
# eleven are compared. tcptraceroute and scamper tcp send every probe of a
# trace with the same ports and sequence number, so the destination's RST fits
# several probes: rx gives it to the last unanswered one sent (core/rx/rx.h),
# which is what those tools print.
# KP_REPLAY_KEEP=DIR keeps the captures (copied into DIR) for
# replay_diff.sh, which compares two builds of the replay on them.
source "$(dirname "$0")/lib.sh"

KPTRACE=$KP_BUILD/kptrace
[ -x "$KPTRACE" ] || die "kptrace not built at $KPTRACE"
for t in tcpdump tshark traceroute mtr tcptraceroute scamper; do
    command -v $t >/dev/null || die "$t not installed (scripts/setup-deps)"
done
HERE=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/kp-replay-tools.XXXXXX)

tb_up nk

# run_tools VP DST MAXTTL DIR N — the eleven tools at once towards DST (the
# N-th destination of this VP).
run_tools() {
    local vp=$1 dst=$2 m=$3 d=$4 p=()
    tb_exec "$vp" traceroute -n -w 3 -m "$m" "$dst" >"$d/traceroute.udp" 2>&1 &
    p+=($!)
    tb_exec "$vp" traceroute -I -n -w 3 -m "$m" "$dst" >"$d/traceroute.icmp" 2>&1 &
    p+=($!)
    tb_exec "$vp" traceroute -T -n -w 3 -m "$m" "$dst" >"$d/traceroute.tcp" 2>&1 &
    p+=($!)
    # the three mtr runs one after the other: mtr matches replies by its
    # sequence number alone, and concurrent mtr processes all number from
    # 33000, so each may print another one's hop (seen in a capture: mtr -u
    # printed 198.18.188.22 at TTL 3 where its own probe was answered by
    # 198.18.219.22)
    (tb_exec "$vp" mtr --report -c 1 -n -m "$m" "$dst" >"$d/mtr.icmp" 2>&1
        tb_exec "$vp" mtr --report -c 1 -n -u -m "$m" "$dst" >"$d/mtr.udp" 2>&1
        tb_exec "$vp" mtr --report -c 1 -n -T -m "$m" "$dst" >"$d/mtr.tcp" 2>&1) &
    p+=($!)
    tb_exec "$vp" tcptraceroute -n -w 3 -m "$m" "$dst" >"$d/tcptraceroute.tcp-syn" 2>&1 &
    p+=($!)
    # scamper's default source port (ICMP id) is derived from its pid and
    # lies in the kernel's ephemeral range, where the concurrent traceroute
    # and mtr sockets also bind: a clash makes scamper stop with ERROR. Give
    # each scamper its own port below that range (distinct per destination
    # and method), and keep its stderr apart from the JSON on stdout.
    local sm sp=$((20000 + 10 * $5))
    for sm in icmp-paris udp-paris udp tcp; do
        sp=$((sp + 1))
        tb_exec "$vp" scamper -O json -c "trace -P $sm -s $sp -q 1 -w 3 -m $m" -i "$dst" \
            >"$d/scamper.$sm" 2>"$d/scamper.$sm.err" &
        p+=($!)
    done
    wait "${p[@]}"
}

SPECS_RE=${KP_REPLAY_SPECS:-^(traceroute|mtr|tcptraceroute|scamper):}

specs_for() { # DIR DST -> replay_compare specs (those matching SPECS_RE)
    local d=$1 dst=$2
    echo "traceroute:udp:$dst:$d/traceroute.udp traceroute:icmp:$dst:$d/traceroute.icmp" \
        "traceroute:tcp:$dst:$d/traceroute.tcp mtr:icmp:$dst:$d/mtr.icmp mtr:udp:$dst:$d/mtr.udp" \
        "mtr:tcp:$dst:$d/mtr.tcp tcptraceroute:tcp-syn:$dst:$d/tcptraceroute.tcp-syn" \
        "scamper:icmp-paris:$dst:$d/scamper.icmp-paris scamper:udp-paris:$dst:$d/scamper.udp-paris" \
        "scamper:udp:$dst:$d/scamper.udp scamper:tcp-syn:$dst:$d/scamper.tcp" |
        tr ' ' '\n' | grep -E "$SPECS_RE" | tr '\n' ' '
}

# capture_vp VP — tcpdump in VP while the tools trace to each of its /24s one
# after the other; writes $work/VP.pcap and the comparison specs to
# $work/VP.specs (or the reason it could not to $work/VP.capfail).
capture_vp() {
    local vp=$1 cases c dst n d i=0 tdp s specs=()
    mapfile -t cases < <(tb_query "[e['target'] + ' ' + str(max(len(a['hops']) for a in e['alternatives'])) for s, e in sorted(t['paths']['$vp'].items())]")
    if [ "${#cases[@]}" -lt 4 ]; then
        echo "truth.json: fewer than 4 /24s for $vp" >"$work/$vp.capfail"
        return
    fi
    # ip netns exec execs tcpdump: $! is tcpdump itself, so SIGINT reaches it
    ip netns exec "$(tb_ns "$vp")" tcpdump -i any -U -n -w "$work/$vp.pcap" 2>"$work/$vp.tcpdump.err" &
    tdp=$!
    sleep 1
    for c in "${cases[@]}"; do
        read -r dst n <<<"$c"
        d=$work/$vp/$dst
        mkdir -p "$d"
        i=$((i + 1))
        run_tools "$vp" "$dst" $((n + 2)) "$d" "$i"
        read -r -a s <<<"$(specs_for "$d" "$dst")"
        specs+=("${s[@]}")
    done
    sleep 1
    kill -INT "$tdp"
    wait "$tdp"
    printf '%s\n' "${specs[@]}" >"$work/$vp.specs"
}

# the two vantage points capture at the same time (separate namespaces, separate
# captures); the checks below then run one after the other
VPS=(vp-eu vp-asia)
cpids=()
for vp in "${VPS[@]}"; do
    capture_vp "$vp" &
    cpids+=($!)
done
wait "${cpids[@]}"

for vp in "${VPS[@]}"; do
    vpaddr=$(tb_addr "$vp")
    cap=$work/$vp.pcap
    [ -e "$work/$vp.capfail" ] && die "$(cat "$work/$vp.capfail")"
    [ -s "$cap" ] || die "tcpdump wrote nothing in $vp"
    mapfile -t specs <"$work/$vp.specs"

    "$KPTRACE" replay --vp "$vp" --format json "$cap" >"$work/$vp.jsonl" 2>"$work/$vp.stderr"
    assert_eq 0 $? "kptrace replay of $vp's capture exits 0"
    sed 's/^/    | /' "$work/$vp.stderr"
    if python3 "$HERE/replay_compare.py" "$work/$vp.jsonl" "${specs[@]}" >"$work/$vp.cmp"; then
        ok "$vp: all $(grep -c '^ok' "$work/$vp.cmp") (tool, method, destination) traces replay as the tools printed them"
    else
        fail "$vp: replayed hops differ from the tools' own output"
    fi
    grep -v '^ok' "$work/$vp.cmp" | sed 's/^/    | /'
    while read -r line; do
        case $line in ok*) ok "$vp ${line#ok   }" ;; FAIL*) fail "$vp ${line#FAIL }" ;; esac
    done <"$work/$vp.cmp"

    # every record carries the vantage point id
    assert_eq "$vp" "$(python3 -c 'import json,sys; print(" ".join(sorted({json.loads(l)["vp"] for l in open(sys.argv[1])})))' "$work/$vp.jsonl")" \
        "$vp: --vp is written into every record"
    # tshark's count of outgoing probes (TTL < 64 from the VP, not ICMP errors/replies)
    want=$(tshark -r "$cap" -Y "ip.src==$vpaddr && ip.ttl<64 && !(icmp.type==11) && !(icmp.type==3) && !(icmp.type==0) && !(tcp.flags.reset==1)" 2>/dev/null | wc -l)
    got=$(sed -n 's/.* \([0-9]*\) probes,.*/\1/p' "$work/$vp.stderr")
    assert_eq "$want" "$got" "$vp: probes counted by replay equal tshark's outgoing probes"
    "$KPTRACE" replay --format text "$cap" >"$work/$vp.txt" 2>/dev/null
    assert_eq 0 $? "$vp: --format text exits 0"
    assert_match "traceroute to" "$(head -3 "$work/$vp.txt")" "$vp: text output is a traceroute table"
    "$KPTRACE" replay --format atlas "$cap" >"$work/$vp.atlas" 2>/dev/null
    assert_cmd "$vp: --format atlas writes one JSON result per trace" python3 -c '
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
n = sum(1 for l in open(sys.argv[2]) if l.strip())
assert len(rs) == n and all("result" in r and "dst_addr" in r for r in rs), (len(rs), n)' \
        "$work/$vp.atlas" "$work/$vp.jsonl"
done

# the input contract: unreadable and non-capture files are refused clearly
"$KPTRACE" replay "$work/nope.pcap" >/dev/null 2>"$work/err1"
assert_eq 1 $? "a missing file exits 1"
assert_match "nope.pcap" "$(cat "$work/err1")" "the error names the missing file"
echo "not a capture" >"$work/text.pcap"
"$KPTRACE" replay "$work/text.pcap" >/dev/null 2>"$work/err2"
assert_eq 1 $? "a text file exits 1"
assert_match "text.pcap.*offset 0" "$(cat "$work/err2")" "the error names the file and the offset"

[ -n "${KP_REPLAY_KEEP:-}" ] && for vp in vp-eu vp-asia; do cp "$work/$vp.pcap" "$KP_REPLAY_KEEP/tools-$vp.pcap"; done
rm -rf "$work"
