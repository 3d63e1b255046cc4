#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# test_replay_options — `kptrace replay` on tcpdump captures of traceroute,
# mtr, tcptraceroute and scamper run with NON-default options, as users run
# them: fewer/more queries, a first TTL, other ports, sequential probing,
# several mtr cycles, scamper with several targets in one run, ACK probes
# (tcptraceroute -A, scamper -P tcp-ack).
#
# In the nk testbed, in one vantage point at a time (vp-asia, which splits
# flows to 198.19.178.0/24 over ECMP, then vp-us), two tcpdumps capture at once
# — `-i any` (Linux cooked v2) and `-i <uplink>` (Ethernet) — while:
#   - every traceroute, tcptraceroute and scamper variant below runs at the
#     same time, each towards its own address (every address of the four
#     destination /24s answers, so one address per variant keeps the
#     (tool, method, destination) of each trace unique);
#   - the mtr variants run one after the other (concurrent mtr processes
#     match each other's replies, see test_replay_tools.sh);
#   - the same tool runs twice in a row towards the same address (traceroute
#     UDP, -U, -I and -T, tcptraceroute with and without a fixed source port,
#     scamper udp-paris and tcp with a fixed source port, mtr -T), also when
#     the second run starts at a higher TTL (traceroute -f 3 after a plain
#     run, -T -f 4 after -T -f 2 -m 2, tcptraceroute -p P -f 3 after -p P)
#     or repeats a single-TTL run (traceroute -f 3 -m 3, scamper tcp-ack
#     -f 3 -m 3): that must replay as two traces, not one merged trace.
# The replay of the `-i any` capture is compared with what each tool printed
# (replay_compare.py: per TTL the set of replying addresses and the !X marks);
# for the runs made twice, the two replayed traces (in order of start) are
# compared with the first and the second run's output. The replay of the
# Ethernet capture must give the same traces as the cooked one.
#
# KP_REPLAY_KEEP=DIR keeps the captures (copied into DIR) for
# replay_diff.sh, which compares two builds of the replay on them.
source "$(dirname "$0")/lib.sh"

KPTRACE=$KP_BUILD/kptrace
[ -x "$KPTRACE" ] || die "kptrace not built at $KPTRACE"
for t in tcpdump traceroute mtr tcptraceroute scamper python3; do
    command -v $t >/dev/null || die "$t not installed (scripts/setup-deps)"
done
HERE=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/kp-replay-options.XXXXXX)

tb_up nk

# max_for VP /24-prefix — the longest path to that /24 (truth) + 2.
max_for() {
    echo $(($(tb_query "max(len(a['hops']) for a in t['paths']['$1']['$2.0/24']['alternatives'])") + 2))
}

# run_all VP SPECFILE TWICEFILE — all the tool runs of one vantage point. Each
# run writes its output to $d/NAME; SPECFILE gets "tool:method:dst:file" lines
# for replay_compare.py, TWICEFILE "tool method dst file1 file2" lines.
run_all() {
    local vp=$1 specs=$2 twice=$3 p=()
    local d=$work/$vp
    mkdir -p "$d"
    local A=198.19.176 B=198.19.177 C=198.19.178 X=198.19.179
    local mA mB mC mX
    mA=$(max_for "$vp" $A)
    mB=$(max_for "$vp" $B)
    mC=$(max_for "$vp" $C)
    mX=$(max_for "$vp" $X)
    # name tool method dst max options... (traceroute/tcptraceroute/scamper,
    # all concurrent; scamper each on its own source port below the kernel's
    # ephemeral range, so it cannot clash with the other tools' sockets)
    local -a runs=(
        "tr-q1 traceroute udp $A.11 $mA -q 1"
        "tr-q2 traceroute udp $B.12 $mB -q 2"
        "tr-N1 traceroute udp $C.13 $mC -N 1 -q 1"
        "tr-f3 traceroute udp $X.14 $mX -f 3"
        "tr-p40000 traceroute udp $A.15 $mA -p 40000"
        "tr-sport traceroute udp $B.16 $mB --sport=45000 -q 1"
        "tr-U traceroute udp $C.17 $mC -U"
        "tr-T443 traceroute tcp $X.18 $mX -T -p 443"
        "tr-Iq2 traceroute icmp $A.19 $mA -I -q 2"
        "tr-Tq1f2 traceroute tcp $B.20 $mB -T -q 1 -f 2"
        "tr-Iq1N1 traceroute icmp $C.21 $mC -I -q 1 -N 1"
        "tcptr-q2 tcptraceroute tcp-syn $X.22 $mX -q 2 443"
        "tcptr-f2 tcptraceroute tcp-syn $A.23 $mA -f 2 80"
        "tcptr-p tcptraceroute tcp-syn $B.24 $mB -p 40123 22"
        "sc-q2 scamper icmp-paris $C.25 $mC -q 2 -s 20101"
        "sc-f2 scamper udp-paris $X.26 $mX -f 2 -s 20102"
        "sc-d scamper udp $A.27 $mA -d 40000 -s 20103"
        "sc-tcp443 scamper tcp-syn $B.28 $mB -d 443 -s 20104"
        "sc-udpq2 scamper udp $C.29 $mC -q 2 -s 20105"
        "tr-TF traceroute tcp $B.47 $mB -T -F"
        "tcptr-F tcptraceroute tcp-syn $C.48 $mC -F 80"
        "sc-icmp scamper icmp $A.50 $mA -s 20108"
        "tcptr-A tcptraceroute tcp-ack $C.57 $mC -A 80"
        "tcptr-Aq1 tcptraceroute tcp-ack $X.58 $mX -A -q 1 -f 2 443"
        "sc-ack scamper tcp-ack $A.59 $mA -s 20110"
    )
    local r name tool method dst m opts
    for r in "${runs[@]}"; do
        read -r name tool method dst m opts <<<"$r"
        case $tool in
        traceroute)
            # shellcheck disable=SC2086
            tb_exec "$vp" traceroute -n -w 1 -m "$m" $opts "$dst" >"$d/$name" 2>&1 &
            ;;
        tcptraceroute)
            local port=${opts##* } topts=${opts% *}
            # shellcheck disable=SC2086
            tb_exec "$vp" tcptraceroute -n -w 1 -m "$m" $topts "$dst" $port >"$d/$name" 2>&1 &
            ;;
        scamper)
            local sm=$method
            [ "$sm" = tcp-syn ] && sm=tcp
            tb_exec "$vp" scamper -O json -c "trace -P $sm -w 1 -m $m $opts" -i "$dst" \
                >"$d/$name" 2>"$d/$name.err" &
            ;;
        esac
        p+=($!)
        echo "$tool:$method:$dst:$d/$name" >>"$specs"
    done
    # a packet length after the destination (traceroute) or with -l
    tb_exec "$vp" traceroute -n -w 1 -m "$mX" "$X.45" 100 >"$d/tr-len100" 2>&1 &
    p+=($!)
    tb_exec "$vp" traceroute -n -w 1 -I -m "$mA" "$A.46" 100 >"$d/trI-len100" 2>&1 &
    p+=($!)
    tb_exec "$vp" tcptraceroute -n -w 1 -m "$mX" -l 100 "$X.49" >"$d/tcptr-l100" 2>&1 &
    p+=($!)
    cat >>"$specs" <<EOF
traceroute:udp:$X.45:$d/tr-len100
traceroute:icmp:$A.46:$d/trI-len100
tcptraceroute:tcp-syn:$X.49:$d/tcptr-l100
EOF
    # scamper with several targets in one run: its traces interleave
    tb_exec "$vp" scamper -O json -c "trace -P icmp-paris -w 1 -m $mX -s 20106" \
        -i "$A.30" "$B.30" "$C.30" "$X.30" >"$d/sc-multi" 2>"$d/sc-multi.err" &
    p+=($!)
    local x
    for x in "$A.30" "$B.30" "$C.30" "$X.30"; do
        echo "scamper:icmp-paris:$x:$d/sc-multi" >>"$specs"
    done
    # mtr, one after the other: several cycles, ports, size, first TTL, and
    # mtr -T twice to the same address
    (
        tb_exec "$vp" mtr -r -n -G 1 -c 3 -i 0.3 -m "$mA" "$A.31" >"$d/mtr-c3" 2>&1
        tb_exec "$vp" mtr -r -n -G 1 -c 1 -T -P 443 -m "$mB" "$B.32" >"$d/mtr-T443" 2>&1
        tb_exec "$vp" mtr -r -n -G 1 -c 2 -i 0.3 -u -P 5000 -m "$mC" "$C.33" >"$d/mtr-uP" 2>&1
        tb_exec "$vp" mtr -r -n -G 1 -c 1 -u -L 5001 -m "$mX" "$X.34" >"$d/mtr-uL" 2>&1
        tb_exec "$vp" mtr -r -n -G 1 -c 1 -s 100 -f 2 -m "$mA" "$A.35" >"$d/mtr-s100f2" 2>&1
        tb_exec "$vp" mtr -r -n -G 1 -c 1 -T -m "$mB" "$B.36" >"$d/mtr-T.1" 2>&1
        tb_exec "$vp" mtr -r -n -G 1 -c 1 -T -m "$mB" "$B.36" >"$d/mtr-T.2" 2>&1
        tb_exec "$vp" mtr -r -n -G 1 -c 1 -B 255 -m "$mB" "$B.51" >"$d/mtr-B255" 2>&1
        tb_exec "$vp" mtr -r -n -G 1 -c 1 -u -B 7 -m "$mC" "$C.52" >"$d/mtr-uB7" 2>&1
    ) &
    p+=($!)
    cat >>"$specs" <<EOF
mtr:icmp:$A.31:$d/mtr-c3
mtr:tcp:$B.32:$d/mtr-T443
mtr:udp:$C.33:$d/mtr-uP
mtr:udp:$X.34:$d/mtr-uL
mtr:icmp:$A.35:$d/mtr-s100f2
mtr:icmp:$B.51:$d/mtr-B255
mtr:udp:$C.52:$d/mtr-uB7
EOF
    echo "mtr tcp $B.36 $d/mtr-T.1 $d/mtr-T.2" >>"$twice"
    # the same run twice in a row to the same address
    (
        tb_exec "$vp" traceroute -n -w 1 -m "$mC" "$C.40" >"$d/tr-twice.1" 2>&1
        tb_exec "$vp" traceroute -n -w 1 -m "$mC" "$C.40" >"$d/tr-twice.2" 2>&1
    ) &
    p+=($!)
    (
        tb_exec "$vp" traceroute -n -w 1 -T -m "$mA" "$A.41" >"$d/trT-twice.1" 2>&1
        tb_exec "$vp" traceroute -n -w 1 -T -m "$mA" "$A.41" >"$d/trT-twice.2" 2>&1
    ) &
    p+=($!)
    (
        tb_exec "$vp" tcptraceroute -n -w 1 -m "$mB" "$B.42" >"$d/tcptr-twice.1" 2>&1
        tb_exec "$vp" tcptraceroute -n -w 1 -m "$mB" "$B.42" >"$d/tcptr-twice.2" 2>&1
    ) &
    p+=($!)
    (
        tb_exec "$vp" scamper -O json -c "trace -P udp-paris -w 1 -m $mX -s 20107" -i "$X.43" \
            >"$d/sc-twice.1" 2>"$d/sc-twice.1.err"
        tb_exec "$vp" scamper -O json -c "trace -P udp-paris -w 1 -m $mX -s 20107" -i "$X.43" \
            >"$d/sc-twice.2" 2>"$d/sc-twice.2.err"
    ) &
    p+=($!)
    (
        tb_exec "$vp" traceroute -n -w 1 -I -m "$mC" "$C.53" >"$d/trI-twice.1" 2>&1
        tb_exec "$vp" traceroute -n -w 1 -I -m "$mC" "$C.53" >"$d/trI-twice.2" 2>&1
        tb_exec "$vp" traceroute -n -w 1 -U -m "$mX" "$X.54" >"$d/trU-twice.1" 2>&1
        tb_exec "$vp" traceroute -n -w 1 -U -m "$mX" "$X.54" >"$d/trU-twice.2" 2>&1
    ) &
    p+=($!)
    (
        tb_exec "$vp" tcptraceroute -n -w 1 -m "$mA" -p 40321 "$A.55" >"$d/tcptrp-twice.1" 2>&1
        tb_exec "$vp" tcptraceroute -n -w 1 -m "$mA" -p 40321 "$A.55" >"$d/tcptrp-twice.2" 2>&1
        tb_exec "$vp" scamper -O json -c "trace -P tcp -w 1 -m $mB -s 20109" -i "$B.56" \
            >"$d/sctcp-twice.1" 2>"$d/sctcp-twice.1.err"
        tb_exec "$vp" scamper -O json -c "trace -P tcp -w 1 -m $mB -s 20109" -i "$B.56" \
            >"$d/sctcp-twice.2" 2>"$d/sctcp-twice.2.err"
    ) &
    p+=($!)
    # a second run that starts higher than the first, or after a first run
    # that probed one TTL only: traceroute -f 3 after a plain traceroute,
    # traceroute -f 3 -m 3 twice, traceroute -T -f 2 -m 2 then -T -f 4,
    # tcptraceroute with a fixed port then the same with -f 3, scamper
    # tcp-ack with a fixed port -f 3 -m 3 twice
    (
        tb_exec "$vp" traceroute -n -w 1 -m "$mA" "$A.60" >"$d/trf3-twice.1" 2>&1
        tb_exec "$vp" traceroute -n -w 1 -f 3 -m "$mA" "$A.60" >"$d/trf3-twice.2" 2>&1
        tb_exec "$vp" traceroute -n -w 1 -f 3 -m 3 "$B.60" >"$d/trone-twice.1" 2>&1
        tb_exec "$vp" traceroute -n -w 1 -f 3 -m 3 "$B.60" >"$d/trone-twice.2" 2>&1
    ) &
    p+=($!)
    (
        tb_exec "$vp" traceroute -n -w 1 -T -f 2 -m 2 "$C.60" >"$d/trTup-twice.1" 2>&1
        tb_exec "$vp" traceroute -n -w 1 -T -f 4 -m "$mC" "$C.60" >"$d/trTup-twice.2" 2>&1
        tb_exec "$vp" scamper -O json -c "trace -P tcp-ack -w 1 -q 1 -f 3 -m 3 -s 20111" \
            -i "$A.61" >"$d/scack-twice.1" 2>"$d/scack-twice.1.err"
        tb_exec "$vp" scamper -O json -c "trace -P tcp-ack -w 1 -q 1 -f 3 -m 3 -s 20111" \
            -i "$A.61" >"$d/scack-twice.2" 2>"$d/scack-twice.2.err"
    ) &
    p+=($!)
    (
        tb_exec "$vp" tcptraceroute -n -w 1 -m "$mX" -p 40322 "$X.60" >"$d/tcptrf3-twice.1" 2>&1
        tb_exec "$vp" tcptraceroute -n -w 1 -m "$mX" -p 40322 -f 3 "$X.60" \
            >"$d/tcptrf3-twice.2" 2>&1
    ) &
    p+=($!)
    cat >>"$twice" <<EOF
traceroute udp $A.60 $d/trf3-twice.1 $d/trf3-twice.2
traceroute udp $B.60 $d/trone-twice.1 $d/trone-twice.2
traceroute tcp $C.60 $d/trTup-twice.1 $d/trTup-twice.2
scamper tcp-ack $A.61 $d/scack-twice.1 $d/scack-twice.2
tcptraceroute tcp-syn $X.60 $d/tcptrf3-twice.1 $d/tcptrf3-twice.2
traceroute icmp $C.53 $d/trI-twice.1 $d/trI-twice.2
traceroute udp $X.54 $d/trU-twice.1 $d/trU-twice.2
tcptraceroute tcp-syn $A.55 $d/tcptrp-twice.1 $d/tcptrp-twice.2
scamper tcp-syn $B.56 $d/sctcp-twice.1 $d/sctcp-twice.2
traceroute udp $C.40 $d/tr-twice.1 $d/tr-twice.2
traceroute tcp $A.41 $d/trT-twice.1 $d/trT-twice.2
tcptraceroute tcp-syn $B.42 $d/tcptr-twice.1 $d/tcptr-twice.2
scamper udp-paris $X.43 $d/sc-twice.1 $d/sc-twice.2
EOF
    wait "${p[@]}"
}

# split_twice JSONL TOOL METHOD DST OUT1 OUT2 — the replayed traces of
# (TOOL, METHOD, DST) in order of start into OUT1 and OUT2; prints their count.
split_twice() {
    python3 - "$@" <<'EOF'
import json, sys
path, tool, method, dst, o1, o2 = sys.argv[1:]
ts = [json.loads(l) for l in open(path) if l.strip()]
ts = sorted((t for t in ts if (t.get("tool"), t.get("method"), t.get("dst")) == (tool, method, dst)),
            key=lambda t: t.get("start_ns") or t.get("start") or 0)
for t, o in zip(ts, (o1, o2)):
    open(o, "w").write(json.dumps(t) + "\n")
print(len(ts))
EOF
}

# same_traces A.jsonl B.jsonl — the two replays hold the same traces (tool,
# method, dst, and per trace the (ttl, attempt, address, ICMP type/code) of
# every hop); prints the difference otherwise.
same_traces() {
    python3 - "$1" "$2" <<'EOF'
import json, sys
def load(p):
    out = []
    for l in open(p):
        if not l.strip():
            continue
        t = json.loads(l)
        hops = tuple(sorted((h["ttl"], h.get("attempt"), h["addr"], h.get("icmp_type"),
                             h.get("icmp_code")) for h in t.get("hops", [])))
        out.append((t.get("tool"), t.get("method"), t.get("dst"), t.get("stop_reason"), hops))
    return sorted(out, key=repr)
a, b = load(sys.argv[1]), load(sys.argv[2])
if a != b:
    sa, sb = set(a), set(b)
    print("only in %s: %s" % (sys.argv[1], sorted(sa - sb, key=repr)[:5]))
    print("only in %s: %s" % (sys.argv[2], sorted(sb - sa, key=repr)[:5]))
    sys.exit(1)
print(len(a))
EOF
}

# capture in both vantage points at once, each with its own tool runs
VPS="vp-asia vp-us"
declare -A tda tde
for vp in $VPS; do
    ns=$(tb_ns "$vp")
    eth=$(tb_iface "$vp")
    # ip netns exec execs tcpdump: $! is tcpdump itself, so SIGINT reaches it
    ip netns exec "$ns" tcpdump -i any -U -n -w "$work/$vp.any.pcap" 2>"$work/$vp.any.err" &
    tda[$vp]=$!
    ip netns exec "$ns" tcpdump -i "$eth" -U -n -w "$work/$vp.eth.pcap" 2>"$work/$vp.eth.err" &
    tde[$vp]=$!
    : >"$work/$vp.specs"
    : >"$work/$vp.twice"
done
sleep 1
t0=$(date +%s)
pids=()
for vp in $VPS; do
    run_all "$vp" "$work/$vp.specs" "$work/$vp.twice" &
    pids+=($!)
done
wait "${pids[@]}"
tb_log "the tools ran in $(($(date +%s) - t0)) s"
sleep 1
for vp in $VPS; do
    kill -INT "${tda[$vp]}" "${tde[$vp]}"
    wait "${tda[$vp]}" "${tde[$vp]}"
done

for vp in $VPS; do
    eth=$(tb_iface "$vp")
    capa=$work/$vp.any.pcap
    cape=$work/$vp.eth.pcap
    specs=$work/$vp.specs
    twice=$work/$vp.twice
    { [ -s "$capa" ] && [ -s "$cape" ]; } || die "tcpdump wrote nothing in $vp"
    assert_eq "276 1" "$(python3 -c '
import struct, sys
for p in sys.argv[1:]:
    h = open(p, "rb").read(24)
    e = "<" if h[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    print(struct.unpack(e + "I", h[20:24])[0] & 0xffff, end=" ")' "$capa" "$cape" | sed 's/ $//')" \
        "$vp: tcpdump -i any wrote Linux cooked v2, -i $eth Ethernet"

    "$KPTRACE" replay --vp "$vp" "$capa" >"$work/$vp.any.jsonl" 2>"$work/$vp.any.stderr"
    assert_eq 0 $? "$vp: kptrace replay of the -i any capture exits 0"
    sed 's/^/    | /' "$work/$vp.any.stderr"
    mapfile -t sp <"$specs"
    python3 "$HERE/replay_compare.py" "$work/$vp.any.jsonl" "${sp[@]}" >"$work/$vp.cmp"
    grep -v '^ok' "$work/$vp.cmp" | sed 's/^/    | /'
    while read -r line; do
        case $line in ok*) ok "$vp ${line#ok   }" ;; FAIL*) fail "$vp ${line#FAIL }" ;; esac
    done <"$work/$vp.cmp"

    # mtr -T -c 1 sends one SYN per TTL; the kernel retransmits those that got
    # no answer: every hop must still be attempt 0 and each record say 1
    if out=$(python3 - "$work/$vp.any.jsonl" <<'EOF'
import json, sys
bad, n = [], 0
for l in open(sys.argv[1]):
    t = json.loads(l)
    if (t.get("tool"), t.get("method")) != ("mtr", "tcp"):
        continue
    n += 1
    att = sorted({h.get("attempt") for h in t.get("hops", [])})
    if t.get("attempts") != 1 or att not in ([], [0]):
        bad.append((t["dst"], t.get("attempts"), att))
print(n, "traces", bad)
sys.exit(1 if bad or n != 3 else 0)
EOF
    ); then
        ok "$vp: mtr -T -c 1: the kernel's SYN retransmissions are no further attempts ($out)"
    else
        fail "$vp: mtr -T -c 1: traces, attempts: $out"
    fi

    while read -r tool method dst f1 f2; do
        n=$(split_twice "$work/$vp.any.jsonl" "$tool" "$method" "$dst" "$work/t1.jsonl" "$work/t2.jsonl")
        assert_eq 2 "$n" "$vp: $tool $method run twice to $dst replays as two traces"
        [ "$n" = 2 ] || continue
        for i in 1 2; do
            f=$f1
            [ $i = 2 ] && f=$f2
            if out=$(python3 "$HERE/replay_compare.py" "$work/t$i.jsonl" "$tool:$method:$dst:$f"); then
                ok "$vp: $tool $method to $dst, run $i: the replay equals its output"
            else
                fail "$vp: $tool $method to $dst, run $i: $out"
            fi
        done
    done <"$twice"

    "$KPTRACE" replay --vp "$vp" "$cape" >"$work/$vp.eth.jsonl" 2>"$work/$vp.eth.stderr"
    assert_eq 0 $? "$vp: kptrace replay of the Ethernet capture exits 0"
    if out=$(same_traces "$work/$vp.any.jsonl" "$work/$vp.eth.jsonl"); then
        ok "$vp: the Ethernet and the Linux cooked capture give the same $out traces"
    else
        fail "$vp: the Ethernet and the Linux cooked capture differ: $out"
    fi
done

tb_down
[ -n "${KP_REPLAY_KEEP:-}" ] && for vp in $VPS; do
    cp "$work/$vp.any.pcap" "$KP_REPLAY_KEEP/options-$vp.any.pcap"
    cp "$work/$vp.eth.pcap" "$KP_REPLAY_KEEP/options-$vp.eth.pcap"
done
rm -rf "$work"
