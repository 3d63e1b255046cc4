#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# test_testbed_kptb — the testbed tool itself: fixtures, errors, safety, teardown.
#   - the committed fixtures (nk.pfx2as, nk.dns) and picture source
#     (docs/img/nk.dot) equal what kptb derives from nk.topo, and the dot
#     source renders with graphviz;
#   - every shipped topology validates; bad topologies fail with file:line;
#   - no testbed namespace can send anywhere outside the testbed (no default
#     route; 'ip route get' to outside addresses fails in every namespace);
#   - ICMP rate limiting is off by default and on with the topology option;
#   - two runs side by side do not collide; down is idempotent; a missing
#     delay line is a clear error; a test killed with SIGTERM still tears down,
#     and one killed with SIGKILL is reaped by 'kptb gc'.
source "$(dirname "$0")/lib.sh"

topos=$KP_SRC/tests/testbed/topologies
tmp=$(mktemp -d /tmp/kptb-test.XXXXXX)
cleanup_tmp() { rm -rf "$tmp"; }
quiet() { "$@" >/dev/null 2>&1; }

# --- fixtures and picture -----------------------------------------------------
assert_eq "$(cat "$topos/nk.pfx2as")" "$(tb_kptb fixtures "$topos/nk.topo" --pfx2as)" "nk.pfx2as equals the topology's announcements"
assert_eq "$(cat "$topos/nk.dns")" "$(tb_kptb fixtures "$topos/nk.topo" --dns)" "nk.dns equals the topology's records"
assert_eq "$(cat "$KP_SRC/docs/img/nk.dot")" "$(tb_kptb dot "$topos/nk.topo")" "docs/img/nk.dot equals kptb dot nk.topo"
assert_cmd "kptb dot nk renders with graphviz" sh -c "'$KPTB' dot '$topos/nk.topo' | dot -Tsvg >/dev/null"
assert_match '<svg' "$(head -c 2000 "$KP_SRC/docs/img/nk.svg")" "docs/img/nk.svg is an SVG"
# pfx2as format: prefix<TAB>length<TAB>AS, only testbed ranges
assert_eq "" "$(grep -vE $'^198\\.1[89]\\.[0-9]+\\.[0-9]+\t[0-9]+\t[0-9]+$' "$topos/nk.pfx2as")" "nk.pfx2as lines are prefix<TAB>len<TAB>AS in 198.18.0.0/15"
assert_match $'198\\.19\\.179\\.0\t24\t131279' "$(cat "$topos/nk.pfx2as")" "nk.pfx2as maps 198.19.179.0/24 to AS131279"

for t in "$topos"/*.topo; do
    assert_cmd "kptb check $(basename "$t")" quiet tb_kptb check "$t"
done

# --- errors name file and line ------------------------------------------------
base='as 64500 LAB
announce 64500 198.18.100.0/24
vp a as 64500
router r as 64500
host b as 64500
link r a
link r b'
bad() { # NAME LINE-EXPECTED TEXT-APPENDED
    printf '%s\n%s\n' "$base" "$3" >"$tmp/$1.topo"
    local out rc
    out=$(tb_kptb check "$tmp/$1.topo" 2>&1)
    rc=$?
    assert_eq 2 "$rc" "bad topology '$1' exits 2"
    assert_match "^kptb: $tmp/$1.topo:$2: " "$out" "bad topology '$1' names file:line ($out)"
}
bad keyword 8 'frobnicate r'
bad node 8 'link r nowhere'
bad outside 8 'host c as 64500 addr 192.0.2.7'
bad neighbour 8 'route a 198.18.100.0/24 via b'
bad asn 8 'router s as 65000'
bad delay 8 'link a b delay fast'
bad unreachable 3 'route r 198.18.200.0/24 via a
dest d as 64500 local 198.18.200.0/24
link b d'
bad loop 10 'router s as 64500
link r s
route r 198.18.200.0/24 via s
route s 198.18.200.0/24 via r
dest d as 64500 local 198.18.200.0/24
link b d'
out=$(tb_kptb check "$tmp/loop.topo" 2>&1)
assert_match "routing loop" "$out" "a routing loop is reported ($out)"

# --- a missing delay line is a clear error, and nothing is built --------------
out=$("$KPTB" up "$topos/delay.topo" --state "$tmp/st-nodl" --delayline /nonexistent 2>&1)
assert_eq 2 "$?" "kptb up without the delay line exits 2"
assert_match "delay line binary was not found" "$out" "kptb up says the delay line is missing"

# --- safety, rate limit, side-by-side runs ------------------------------------
tb_up nk
escaped=""
for n in $(tb_query 'sorted(t["nodes"])'); do
    for dst in 192.0.2.1 8.8.8.8 175.45.176.1; do
        tb_exec "$n" ip route get "$dst" >/dev/null 2>&1 && escaped="$escaped $n->$dst"
    done
    tb_exec "$n" ip route show default | grep -q . && escaped="$escaped $n:default-route"
done
assert_eq "" "$escaped" "no node of nk has a route out of the testbed"
assert_eq "" "$(ip -o link show | grep -F "$TB_PREFIX" || true)" "no veth of nk in the root namespace"
assert_eq "0 1000000" "$(tb_exec uni-bj cat /proc/sys/net/ipv4/icmp_ratelimit /proc/sys/net/ipv4/icmp_msgs_per_sec | tr '\n' ' ' | sed 's/ $//')" "ICMP rate limiting is off by default"
assert_eq 1 "$(tb_exec isp-asia cat /proc/sys/net/ipv4/fib_multipath_hash_policy)" "the ECMP router hashes on L4"
assert_eq 1 "$(tb_exec uni-bj cat /proc/sys/net/ipv4/icmp_errors_use_inbound_ifaddr)" "routers answer from the ingress interface"

sed 's/^option icmp-ratelimit off/option icmp-ratelimit on/' "$topos/delay.topo" >"$tmp/rl.topo"
second=$("$KPTB" up "$tmp/rl.topo" --state "$tmp/st-rl" --delayline "$KP_BUILD/tests/testbed/kptb-delayline")
assert_ne "$TB_PREFIX" "$second" "a second run gets its own prefix ($second)"
assert_eq "1000" "$(ip netns exec "$second-r" cat /proc/sys/net/ipv4/icmp_ratelimit)" "option icmp-ratelimit on keeps the kernel's rate limit"
assert_cmd "both runs work side by side: nk vp-eu pings 198.19.176.1" quiet tb_exec vp-eu ping -n -c 1 -W 2 198.19.176.1
assert_cmd "both runs work side by side: second run a pings b" quiet ip netns exec "$second-a" ping -n -c 1 -W 2 "$("$KPTB" addr --state "$tmp/st-rl" b)"
"$KPTB" down --state "$tmp/st-rl"
assert_cmd "kptb down is idempotent" "$KPTB" down --state "$tmp/st-rl"
assert_cmd "nothing left of the second run" "$KPTB" leftovers --prefix "$second"
assert_cmd "the first run is untouched by the second's teardown" quiet tb_exec vp-eu ping -n -c 1 -W 2 198.19.176.1
tb_down

# --- loss at the ends of its range: 100 % drops everything, 0.5 % little -----
sed 's/^link r c loss 20$/link r c loss 100/; s/^link r j delay 20 jitter 5$/link r j loss 0.5/' \
    "$topos/delay.topo" >"$tmp/loss.topo"
tb_up "$tmp/loss.topo"
got=$(tb_exec a ping -n -c 5 -i 0.2 -W 1 -q "$(tb_addr c)" | sed -n 's/.* \([0-9]*\) received.*/\1/p')
assert_eq 0 "$got" "loss 100: no ping gets through"
got=$(tb_exec a ping -n -c 20 -i 0.05 -W 1 -q "$(tb_addr j)" | sed -n 's/.* \([0-9]*\) received.*/\1/p')
assert_between 15 20 "$got" "loss 0.5: nearly every ping gets through"
tb_down

# --- teardown signals only the run's own processes ---------------------------
# A pid recorded at 'up' (a delay line, dnsmasq) may have been given to
# another process after its own exited: down must leave that one alone, and
# still stop the run's delay lines.
"$KPTB" up "$topos/delay.topo" --state "$tmp/st-pid" --delayline "$KP_BUILD/tests/testbed/kptb-delayline" >/dev/null
sleep 300 &
stranger=$!
python3 - "$tmp/st-pid/state.json" "$stranger" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["pids"].append(int(sys.argv[2]))
json.dump(d, open(sys.argv[1], "w"))
PY
dls=$(python3 -c 'import json,sys; print(" ".join(str(p) for p in json.load(open(sys.argv[1]))["pids"][:-1]))' "$tmp/st-pid/state.json")
"$KPTB" down --state "$tmp/st-pid"
assert_cmd "kptb down leaves alone a recorded pid that is no longer the run's" kill -0 "$stranger"
kill "$stranger"
wait "$stranger" 2>/dev/null
left=""
for p in $dls; do
    st=$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)
    [ -n "$st" ] && [ "$st" != Z ] && left="$left $p:$st"
done
assert_eq "" "$left" "kptb down stopped the run's own processes ($(echo $dls | wc -w) recorded)"

# --- a test killed with SIGTERM tears its testbed down ------------------------
cat >"$tmp/victim.sh" <<EOF
source "$KP_SRC/tests/integration/lib.sh"
tb_up delay
echo "\$TB_PREFIX" >"$tmp/victim.prefix"
sleep 60 &
wait \$!
EOF
bash "$tmp/victim.sh" >"$tmp/victim.out" 2>&1 &
victim=$!
for _ in $(seq 100); do [ -s "$tmp/victim.prefix" ] && break; sleep 0.1; done
vprefix=$(cat "$tmp/victim.prefix" 2>/dev/null)
assert_match '^kp' "$vprefix" "the victim test built a testbed"
kill -TERM "$victim"
wait "$victim"
vrc=$?
assert_ne 0 "$vrc" "the killed test exits non-zero ($vrc)"
assert_cmd "the killed test left nothing of $vprefix" "$KPTB" leftovers --prefix "${vprefix:-none}"

# --- a test killed with SIGKILL (no trap runs) is reaped by 'kptb gc' ----------
rm -f "$tmp/victim.prefix"
bash "$tmp/victim.sh" >"$tmp/victim2.out" 2>&1 &
victim=$!
for _ in $(seq 100); do [ -s "$tmp/victim.prefix" ] && break; sleep 0.1; done
vprefix=$(cat "$tmp/victim.prefix" 2>/dev/null)
kill -KILL "$victim"
wait "$victim" 2>/dev/null
assert_ne "" "$("$KPTB" leftovers --prefix "${vprefix:-none}")" "a SIGKILLed test leaves its testbed behind"
# Every test's tb_up runs 'kptb gc' too: with tests in parallel, another
# one's may reap the run between the kill and this gc (then this gc has
# nothing to say of it, and the run must be gone all the same).
gcout=$("$KPTB" gc)
if [[ $gcout == *"tore down ${vprefix:-none} "* ]]; then
    assert_match "tore down ${vprefix:-none}" "$gcout" "kptb gc tears down the run of the dead owner"
else
    assert_cmd "the run of the dead owner was torn down by a concurrent test's kptb gc" \
        "$KPTB" leftovers --prefix "${vprefix:-none}"
fi
assert_cmd "nothing left of $vprefix after gc" "$KPTB" leftovers --prefix "${vprefix:-none}"
cleanup_tmp
