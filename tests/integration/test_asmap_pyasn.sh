#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# test_asmap_pyasn — IP-to-AS on real BGP data, against pyasn (no network, no
# namespaces: nothing is sent).
#
#   - the RouteViews excerpts Debian's python3-pyasn ships as test data
#     (/usr/lib/python3/dist-packages/data: rib.20080501.0644_firstMB.bz2,
#     MRT TABLE_DUMP v1 IPv4; rib.20140523.0600_firstMB.bz2, TABLE_DUMP_V2
#     IPv4; rib6.20151101.0600_firstMB.bz2, TABLE_DUMP_V2 IPv6), cut at their
#     last whole MRT record, converted with `bgpdump -m` for kpannotate's RIB
#     source and with pyasn's own pyasn_util_convert.py for pyasn; both asked
#     for the first and last address of every prefix and 3000 random ones
#     (tests/integration/bgp_compare.py says what is checked);
#   - small MRT files written by bgp_compare.py (TABLE_DUMP v1 and
#     TABLE_DUMP_V2, IPv4 and IPv6), one announcement per rule of
#     docs/asmap.md, with the answers and the drop report written by hand;
#   - kpannotate itself on the real excerpts: the drop report, hop answers
#     (the leak 10.6.0.0/21, an unannounced hop, a path ending in a reserved
#     AS), --min-prefix-len, --keep-special, -q, usage errors, and the
#     testbed's table without --keep-special.
# The data are never copied into the repository: without python3-pyasn,
# bgpdump or the data files the test fails (scripts/setup-deps installs them).
set -uo pipefail
KP_SRC=${KP_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
KP_BUILD=${KP_BUILD:-$KP_SRC/build}
KPA=${KPANNOTATE:-$KP_BUILD/kpannotate}
ASMAP=$KP_BUILD/kp-asmap
PY=/usr/bin/python3 # Debian's, where python3-pyasn lives
CMP=$KP_SRC/tests/integration/bgp_compare.py
DATA=/usr/lib/python3/dist-packages/data
PASSED=0
FAILED=0
ok() {
    PASSED=$((PASSED + 1))
    echo "ok - $*"
}
fail() {
    FAILED=$((FAILED + 1))
    echo "FAIL - $*"
}
die() {
    fail "$*"
    echo "$PASSED passed, $FAILED failed"
    exit 1
}
assert_eq() { if [ "$1" == "$2" ]; then ok "$3"; else fail "$3 (expected '$1', got '$2')"; fi; }
assert_match() { if [[ "$2" =~ $1 ]]; then ok "$3"; else fail "$3 (/$1/ not in '$2')"; fi; }
# lines FILE — count a checker's "ok ..." / "FAIL ..." lines as assertions
lines() {
    local line n=0
    while IFS= read -r line; do
        case $line in
        "ok "*) ok "${line#ok }" ;;
        "counts "*) echo "$line" ;;
        *) fail "${line#FAIL }" ;;
        esac
        n=$((n + 1))
    done <"$1"
    [ "$n" -gt 0 ] || fail "$1: the checker printed nothing"
}
work=$(mktemp -d /tmp/kp-asmap-pyasn.XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM

# --- prerequisites: all present, or the test fails ----------------------------
[ -x "$KPA" ] || die "kpannotate not built ($KPA)"
[ -x "$ASMAP" ] || die "kp-asmap not built ($ASMAP)"
command -v bgpdump >/dev/null || die "bgpdump is not installed (scripts/setup-deps)"
"$PY" -c 'import pyasn' 2>/dev/null || die "python3-pyasn is not installed (scripts/setup-deps)"
[ -x /usr/bin/pyasn_util_convert.py ] || die "pyasn_util_convert.py missing (python3-pyasn)"
REAL=(rib.20080501.0644_firstMB rib.20140523.0600_firstMB rib6.20151101.0600_firstMB)
for r in "${REAL[@]}"; do
    [ -s "$DATA/$r.bz2" ] || die "$DATA/$r.bz2 missing: python3-pyasn's test data (scripts/setup-deps)"
done

# --- the real excerpts and the written MRT files against pyasn ----------------
for r in "${REAL[@]}"; do
    "$PY" "$CMP" cut "$DATA/$r.bz2" "$work/$r.mrt" >"$work/$r.cut" 2>&1 ||
        fail "cutting $r: $(cat "$work/$r.cut")"
done
"$PY" "$CMP" synth "$work/synth" || fail "bgp_compare.py synth failed"
jobs_=()
for r in "${REAL[@]}"; do
    jobs_+=("$r|--mrt $work/$r.mrt --random 3000")
done
for s in td1-v4 td2-v4 td1-v6 td2-v6; do
    jobs_+=("$s|--mrt $work/synth/$s.mrt --random 500 --expect synth")
done
# two at a time (the CI machine has 2 cores)
pids=()
for j in "${jobs_[@]}"; do
    label=${j%%|*}
    read -r -a args <<<"${j#*|}"
    "$PY" "$CMP" compare "${args[@]}" --kp-asmap "$ASMAP" --work "$work/cmp" --label "$label" \
        >"$work/$label.out" 2>&1 &
    pids+=($!)
    if [ "${#pids[@]}" -ge 2 ]; then
        wait "${pids[0]}"
        pids=("${pids[@]:1}")
    fi
done
wait
for j in "${jobs_[@]}"; do
    lines "$work/${j%%|*}.out"
done

# --- kpannotate itself ----------------------------------------------------------
T08=$work/cmp/rib.20080501.0644_firstMB.txt
T14=$work/cmp/rib.20140523.0600_firstMB.txt
[ -s "$T08" ] && [ -s "$T14" ] || die "bgpdump -m text of the excerpts missing"
# one Atlas traceroute whose hops are the addresses to ask
trace() {
    local hops="" i=1 a
    for a in "$@"; do
        hops+="${hops:+,}{\"hop\":$i,\"result\":[{\"from\":\"$a\",\"rtt\":$i.0,\"size\":76,\"ttl\":$((65 - i))}]}"
        i=$((i + 1))
    done
    printf '{"fw":5020,"af":4,"dst_addr":"%s","proto":"ICMP","paris_id":1,"size":48,' "$a"
    printf '"timestamp":1400824800,"msm_id":1,"prb_id":1,"type":"traceroute","result":[%s]}\n' "$hops"
}
# hop_asns FILE — "addr=asn/origins" per hop of the annotated line
hop_asns() {
    "$PY" -c '
import json, sys
for l in open(sys.argv[1]):
    print(" ".join("%s=%s/%s" % (h["addr"], h.get("asn"), ",".join(map(str, h.get("origins") or [])))
                   for h in json.loads(l)["hops"]))' "$1"
}
trace 10.6.0.1 23.0.0.1 5.82.192.1 8.8.8.8 >"$work/t.json"

"$KPA" -r "$T14" -o "$work/a14.jsonl" "$work/t.json" 2>"$work/a14.err"
assert_eq 0 "$?" "kpannotate -r 2014 excerpt exits 0"
rep=$(grep -F "$T14: " "$work/a14.err")
assert_eq "kpannotate: $T14: 270004 used; dropped 1: 1 default route (line 1: 0.0.0.0/0); origin AS removed from 151: 63 private (line 147013: 5.109.32.0/19), 88 reserved (line 136946: 5.82.192.0/20)" \
    "$rep" "kpannotate reports what the 2014 RIB dropped and cleaned"
# 23.0.0.1: only the default route 2905 65023 16637 covered it (AS16637 before)
# 5.82.192.0/20: "701 6453 35819 48237 35819 65559": 65559 is IANA-reserved
assert_eq "10.6.0.1=None/ 23.0.0.1=None/ 5.82.192.1=35819/35819 8.8.8.8=15169/15169" \
    "$(hop_asns "$work/a14.jsonl")" "2014: unannounced hop has no AS, origin before a reserved AS"
"$KPA" -q -r "$T14" -o /dev/null "$work/t.json" 2>"$work/q.err"
assert_eq "" "$(grep -F "$T14" "$work/q.err")" "-q: no drop report"

"$KPA" -r "$T08" -o "$work/a08.jsonl" "$work/t.json" 2>"$work/a08.err"
assert_eq 0 "$?" "kpannotate -r 2008 excerpt exits 0"
assert_match "$T08: 139284 used; dropped 7: 2 default routes \(line 1: 0\.0\.0\.0/0\), 5 in private space \(line 7578: 10\.6\.0\.0/21\)" \
    "$(cat "$work/a08.err")" "kpannotate reports the 2008 RIB's default routes and private leaks"
assert_match "^10\.6\.0\.1=None/ " "$(hop_asns "$work/a08.jsonl")" "2008: the leaked 10.6.0.0/21 gives 10.6.0.1 no AS"
# the leak, kept on request: the path's private origin only with private-asn too
grep -E '\|10\.6\.0\.0/[0-9]+\|' "$T08" | head -n 1 | cut -d'|' -f7 >"$work/leak.path"
"$KPA" -q --keep-special private -r "$T08" -o "$work/k1.jsonl" "$work/t.json"
"$KPA" -q --keep-special private,private-asn -r "$T08" -o "$work/k2.jsonl" "$work/t.json"
leak_last=$(awk '{ print $NF }' "$work/leak.path")
leak_prev=$(awk '{ for (i = NF; i > 0; i--) if ($i < 64512 || $i > 65534) { print $i; exit } }' "$work/leak.path")
assert_match "^10\.6\.0\.1=$leak_prev/" "$(hop_asns "$work/k1.jsonl")" \
    "--keep-special private: 10.6.0.1 gets the last public AS of '$(cat "$work/leak.path")'"
assert_match "^10\.6\.0\.1=$leak_last/" "$(hop_asns "$work/k2.jsonl")" \
    "--keep-special private,private-asn: 10.6.0.1 gets the path's last AS"

# --min-prefix-len: counted against the lines' own lengths
n24=$(awk -F'|' '{ split($6, p, "/"); if (p[2] > 0 && p[2] < 24) n++ } END { print n + 0 }' "$T14")
"$KPA" --min-prefix-len 24 -r "$T14" -o /dev/null "$work/t.json" 2>"$work/m.err"
assert_match "; dropped $((n24 + 1)): 1 default route \(line 1: 0\.0\.0\.0/0\), $n24 shorter than /24 \(IPv4\) or /16 \(IPv6\)" \
    "$(cat "$work/m.err")" "--min-prefix-len 24 drops the $n24 shorter prefixes"
"$KPA" --min-prefix-len 0 -r "$T14" -o "$work/m0.jsonl" "$work/t.json" 2>/dev/null
assert_match " 23\.0\.0\.1=None/ " "$(hop_asns "$work/m0.jsonl")" "--min-prefix-len 0 still drops the default route"
for bad in 33 8,129 x 8, -1; do
    "$KPA" --min-prefix-len "$bad" /dev/null >/dev/null 2>"$work/u.err"
    assert_eq 2 "$?" "--min-prefix-len '$bad': usage error"
done
"$KPA" --keep-special private,bogus /dev/null >/dev/null 2>"$work/u.err"
assert_eq 2 "$?" "--keep-special with an unknown word: usage error"
assert_match "'bogus'" "$(cat "$work/u.err")" "--keep-special names the unknown word"

# the testbed's table without --keep-special: nothing used, said even with -q
PFX=$KP_SRC/tests/testbed/topologies/nk.pfx2as
"$KPA" -q -p "$PFX" -o "$work/tb.jsonl" "$work/t.json" 2>"$work/tb.err"
assert_match "nk\.pfx2as: 0 used; dropped [0-9]+: [0-9]+ in benchmarking space .*see --keep-special" \
    "$(cat "$work/tb.err")" "a table of test space alone is refused, and the warning names --keep-special"

# Numeric options are whole numbers in range, not atoi's guesses.
for bad in "--tries x" "--tries 0" "--timeout-ms 99999999999" "--rate nan" "--max-failures -1"; do
    # shellcheck disable=SC2086
    "$ASMAP" $bad 198.18.1.1 >/dev/null 2>"$work/num.err"
    assert_eq 1 $? "kp-asmap $bad exits 1"
    assert_match "^kp-asmap: --[a-z-]+: '.*' is not " "$(cat "$work/num.err")" "kp-asmap $bad: the message names the option"
done

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ] && [ "$PASSED" -gt 0 ]
