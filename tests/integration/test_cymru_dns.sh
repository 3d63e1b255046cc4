#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# test_cymru_dns — the Team Cymru DNS source (c-ares) against a dnsmasq this
# test starts itself on 127.0.0.1 inside a namespace of its own (only "lo",
# no link anywhere): never the machine's resolver.
#
# Expected answers are the TXT/PTR records written below into the dnsmasq
# configuration (the documented Cymru shapes); query counts are checked
# against dnsmasq's own query log.
#   1. good server: origins (IPv4, IPv6), AS names, NXDOMAIN = unannounced,
#      an SPF string = rejected garbage, a private address is never asked,
#      PTR names; the cache file is written.
#   2. cache: a second run against a dead server answers from the cache;
#      a file source placed before Cymru spares the queries it answers.
#   3. dead server (no listener: ICMP port unreachable) and silent server
#      (a socket that never answers: timeouts): the lookups return promptly,
#      say what failed, and the pfx2as source still answers.
#   4. rate limit: 12 queries at --rate 6 take at least one second.
source "$(dirname "$0")/lib.sh"

tool=$KP_BUILD/kp-asmap
[ -x "$tool" ] || die "$tool not built (build the tree, or set KP_BUILD)"
command -v dnsmasq >/dev/null || die "dnsmasq not installed (scripts/setup-deps)"
command -v dig >/dev/null || die "dig not installed (dnsutils)"
data=$KP_SRC/tests/data/asmap

ns=kpasm$$
work=$(mktemp -d /tmp/kpasm.XXXXXX)
dns_pid=""
silent_pid=""
cleanup() {
    [ -n "$dns_pid" ] && kill "$dns_pid" 2>/dev/null && wait "$dns_pid" 2>/dev/null
    [ -n "$silent_pid" ] && kill "$silent_pid" 2>/dev/null && wait "$silent_pid" 2>/dev/null
    ip netns del "$ns" 2>/dev/null
    rm -rf "$work"
}
trap 'rc=$?; cleanup; (exit $rc); _tb_exit' EXIT

ip netns add "$ns" || die "cannot create namespace $ns"
ip netns exec "$ns" ip link set lo up || die "lo up in $ns"
ip netns exec "$ns" ip addr add 127.0.0.2/8 dev lo 2>/dev/null || true
links=$(ip netns exec "$ns" ip -o link show | awk -F': ' '{print $2}' | tr '\n' ' ')
assert_eq "lo " "$links" "the namespace has no link but lo"

# rev4 A.B.C.D -> D.C.B.A
rev4() { awk -F. '{print $4"."$3"."$2"."$1}' <<<"$1"; }
v6name=$(python3 -c 'import ipaddress,sys; print(".".join(reversed(ipaddress.ip_address(sys.argv[1]).exploded.replace(":",""))))' 2001:db8:100::1)

cat >"$work/dnsmasq.conf" <<CONF
no-resolv
no-hosts
port=53
listen-address=127.0.0.1
bind-interfaces
local=/asn.cymru.com/
local=/in-addr.arpa/
local=/ip6.arpa/
log-queries
log-facility=$work/dnsmasq.log
txt-record=$(rev4 175.45.178.1).origin.asn.cymru.com,"131279 | 175.45.176.0/22 | KP | apnic | 2009-12-04"
txt-record=$(rev4 188.43.225.153).origin.asn.cymru.com,"20485 | 188.43.192.0/18 | RU | ripencc | 2009-05-05"
txt-record=$(rev4 198.18.1.1).origin.asn.cymru.com,"64496 | 198.18.1.0/24 | ZZ | other | 2020-01-01"
txt-record=$v6name.origin6.asn.cymru.com,"64499 | 2001:db8:100::/40 | ZZ | other | 2020-01-01"
txt-record=$(rev4 198.51.100.7).origin.asn.cymru.com,"v=spf1 include:_spf.example.com ~all"
txt-record=AS131279.asn.cymru.com,"131279 | KP | apnic | 2009-12-04 | STAR-KP Ryugyong-dong KP"
txt-record=AS20485.asn.cymru.com,"20485 | RU | ripencc | 2002-01-04 | TRANSTELECOM TTK RU"
txt-record=AS64496.asn.cymru.com,"64496 | ZZ | other | 2020-01-01 | TESTBED-A"
ptr-record=$(rev4 188.43.225.153).in-addr.arpa,ae1.msk.ttk.example
CONF

ip netns exec "$ns" dnsmasq -k --conf-file="$work/dnsmasq.conf" --pid-file="$work/dnsmasq.pid" \
    --user=root 2>"$work/dnsmasq.err" &
dns_pid=$!
for _ in $(seq 50); do
    ip netns exec "$ns" dig +short +time=1 +tries=1 @127.0.0.1 AS4837.asn.cymru.com TXT >/dev/null 2>&1 && break
    sleep 0.1
done
got=$(ip netns exec "$ns" dig +short +time=1 +tries=1 @127.0.0.1 AS64496.asn.cymru.com TXT)
assert_eq '"64496 | ZZ | other | 2020-01-01 | TESTBED-A"' "$got" "dnsmasq answers in $ns"

# run ARGS... — kp-asmap inside the namespace; stdout to $work/out, stderr to $work/err,
# elapsed milliseconds in $elapsed_ms.
run() {
    local t0 t1
    t0=$(date +%s%N)
    ip netns exec "$ns" "$tool" "$@" >"$work/out" 2>"$work/err"
    local rc=$?
    t1=$(date +%s%N)
    elapsed_ms=$(((t1 - t0) / 1000000))
    return $rc
}
# col ADDR N — column N of the output line of ADDR
col() { awk -F'\t' -v a="$1" -v n="$2" '$1 == a {print $n}' "$work/out"; }
# stat NAME — a counter from the "dns:" line on stderr
stat() { sed -n "s/^dns: .*\b$1=\([0-9]*\).*/\1/p" "$work/err"; }

# --- 1. good server -------------------------------------------------------------
: >"$work/dnsmasq.log"
addrs=(175.45.178.1 188.43.225.153 198.18.1.1 2001:db8:100::1 203.0.113.77 198.51.100.7 10.0.0.1)
assert_cmd "kp-asmap runs against the good server" \
    run --cymru --dns-server 127.0.0.1 --cache "$work/cache" --rdns --timeout-ms 1000 "${addrs[@]}"
assert_eq "found|131279|175.45.176.0/22|cymru|STAR-KP Ryugyong-dong KP" \
    "$(col 175.45.178.1 2)|$(col 175.45.178.1 3)|$(col 175.45.178.1 4)|$(col 175.45.178.1 5)|$(col 175.45.178.1 6)" \
    "origin and name of 175.45.178.1"
assert_eq "20485|TRANSTELECOM TTK RU|ae1.msk.ttk.example" \
    "$(col 188.43.225.153 3)|$(col 188.43.225.153 6)|$(col 188.43.225.153 9)" "TTC hop: origin, name, PTR"
assert_eq "found|64496|benchmarking" "$(col 198.18.1.1 2)|$(col 198.18.1.1 3)|$(col 198.18.1.1 7)" \
    "testbed range: benchmarking class does not stop the Cymru source"
assert_eq "found|64499|2001:db8:100::/40" \
    "$(col 2001:db8:100::1 2)|$(col 2001:db8:100::1 3)|$(col 2001:db8:100::1 4)" "IPv6 origin6"
assert_eq "unannounced" "$(col 203.0.113.77 2)" "NXDOMAIN reads as unannounced"
assert_eq "unknown" "$(col 198.51.100.7 2)" "an SPF string is not an answer"
assert_match "cymru: invalid TXT answer" "$(col 198.51.100.7 10)" "the garbage answer is reported"
assert_eq "special|private" "$(col 10.0.0.1 2)|$(col 10.0.0.1 7)" "private address labelled"
# dnsmasq's log: 6 origin queries (not 10.0.0.1) + 4 AS names (131279 20485 64496 64499)
nq=$(grep -c 'query\[TXT\]' "$work/dnsmasq.log")
assert_eq 10 "$nq" "dnsmasq saw 10 TXT queries"
assert_eq 0 "$(grep -c 'query\[TXT\] 1\.0\.0\.10\.' "$work/dnsmasq.log")" "10.0.0.1 was never asked"
assert_eq "10" "$(stat queries)" "kp-asmap counted 10 queries"
assert_eq "1" "$(stat garbage)" "one garbage answer counted"
assert_eq "2" "$(stat nxdomain)" "NXDOMAIN for 203.0.113.77 and AS64499"
assert_match "^O	175\.45\.178\.1	[0-9]+	131279 \| 175\.45\.176\.0/22" "$(grep '^O	175.45.178.1	' "$work/cache")" \
    "the cache file holds the origin answer"
assert_eq "" "$(grep 198.51.100.7 "$work/cache")" "garbage is not cached"

# --- 2. cache: same addresses, dead server ----------------------------------------------
: >"$work/dnsmasq.log"
assert_cmd "kp-asmap runs from the cache" \
    run --cymru --dns-server 127.0.0.1:5399 --cache "$work/cache" --timeout-ms 300 --tries 1 \
    175.45.178.1 188.43.225.153 203.0.113.77
assert_eq "131279|STAR-KP Ryugyong-dong KP" "$(col 175.45.178.1 3)|$(col 175.45.178.1 6)" "cached origin and name"
assert_eq "unannounced" "$(col 203.0.113.77 2)" "cached NXDOMAIN"
assert_eq "0" "$(stat queries)" "nothing asked when everything is cached"

# --- 2b. precedence: a file source placed before Cymru spares the query ------------
: >"$work/dnsmasq.log"
assert_cmd "kp-asmap runs with pfx2as before cymru" \
    run --pfx2as "$data/pfx2as-sample.txt" --cymru --dns-server 127.0.0.1 175.45.179.9 198.18.1.1
assert_eq "found|pfx2as" "$(col 175.45.179.9 2)|$(col 175.45.179.9 5)" "pfx2as answers first"
assert_eq "found|cymru|64496" "$(col 198.18.1.1 2)|$(col 198.18.1.1 5)|$(col 198.18.1.1 3)" \
    "cymru answers what pfx2as does not know"
assert_eq 0 "$(grep -c "query\[TXT\] $(rev4 175.45.179.9)\.origin" "$work/dnsmasq.log")" \
    "no query for an address an earlier source answered"
assert_eq 1 "$(grep -c "query\[TXT\] $(rev4 198.18.1.1)\.origin" "$work/dnsmasq.log")" \
    "one query for the other address"

# --- 3a. dead server: nothing listens on 127.0.0.1:5399 ---------------------------------
many=()
for i in $(seq 1 20); do many+=("198.18.9.$i"); done
assert_cmd "kp-asmap runs against a dead server" \
    run --cymru --pfx2as "$data/pfx2as-sample.txt" --dns-server 127.0.0.1:5399 \
    --timeout-ms 300 --tries 2 --max-failures 3 175.45.179.3 "${many[@]}"
assert_between 0 5000 "$elapsed_ms" "dead server: 21 lookups return promptly (${elapsed_ms} ms)"
assert_eq "found|131279|pfx2as" "$(col 175.45.179.3 2)|$(col 175.45.179.3 3)|$(col 175.45.179.3 5)" \
    "dead server: pfx2as still answers"
assert_match "^cymru: " "$(col 175.45.179.3 10)" "dead server: the Cymru failure is reported beside the answer"
assert_eq "unknown" "$(col 198.18.9.20 2)" "dead server: an address no other source knows is unknown, not unannounced"
assert_match "cymru: (connection refused|timeout|server down)" "$(col 198.18.9.20 10)" "dead server: says why"
assert_eq "1" "$(stat down)" "dead server: the source is declared down"

# --- 3b. silent server: a socket that reads and never answers ---------------------------
ip netns exec "$ns" python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.2", 53))
end = time.time() + 60
while time.time() < end:
    s.settimeout(1)
    try:
        s.recvfrom(4096)
    except socket.timeout:
        pass
' &
silent_pid=$!
for _ in $(seq 100); do
    ip netns exec "$ns" ss -Huln 'sport = 53' | grep -q '127\.0\.0\.2:53' && break
    sleep 0.1
done
assert_match '127\.0\.0\.2:53' "$(ip netns exec "$ns" ss -Huln 'sport = 53')" "the silent socket is bound"
assert_cmd "kp-asmap runs against a silent server" \
    run --cymru --pfx2as "$data/pfx2as-sample.txt" --dns-server 127.0.0.2 \
    --timeout-ms 300 --tries 2 --max-failures 3 175.45.179.3 "${many[@]}"
assert_between 0 6000 "$elapsed_ms" "silent server: 21 lookups return promptly (${elapsed_ms} ms)"
assert_eq "found|pfx2as" "$(col 175.45.179.3 2)|$(col 175.45.179.3 5)" "silent server: pfx2as still answers"
assert_match "cymru: (timeout|server down)" "$(col 198.18.9.20 10)" "silent server: says why"
assert_match "^[1-9]" "$(stat timeouts)" "silent server: timeouts counted"
kill "$silent_pid" 2>/dev/null
wait "$silent_pid" 2>/dev/null
silent_pid=""

# --- 4. rate limit ------------------------------------------------------------------------
: >"$work/dnsmasq.log"
rl=()
for i in $(seq 1 12); do rl+=("198.18.8.$i"); done
assert_cmd "kp-asmap runs with --rate 6" run --cymru --dns-server 127.0.0.1 --rate 6 "${rl[@]}"
assert_eq 12 "$(grep -c 'query\[TXT\]' "$work/dnsmasq.log")" "rate limit: 12 queries reached dnsmasq"
# 6 tokens at once, then 6 more at 6/s: at least ~1 s
assert_between 900 10000 "$elapsed_ms" "rate limit: 12 queries at 6/s took ${elapsed_ms} ms"
assert_eq "unannounced" "$(col 198.18.8.12 2)" "rate limit: answers still arrive"
