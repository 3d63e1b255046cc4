#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# test_annotate_files — kpannotate on the committed fixtures (no network, no
# root needed; it sends no packet).
#
#   - RIPE Atlas results (tests/data/atlas/nk-atlas.json, written from the
#     testbed's truth by make-nk.py) and scamper JSON written by real scamper
#     in the testbed (tests/data/scamper/) give the ground-truth transit of
#     every (vp, /24) of the nk topology (tests/data/annotate/nk-truth.json,
#     written by hand from nk.topo), and the same verdicts as each other;
#   - a bgpdump -m RIB whose upstream of 198.19.177.0/24 changes over time
#     (tests/data/annotate/nk-rib-change.txt: TTC, then Unicom only between
#     1795250000 and 1795303000, then TTC again) gives the control-plane
#     upstream per prefix at the traces' time and flags the disagreement;
#   - input errors name file:line and field; stdin and --input-format work;
#   - the annotated JSON lines carry the documented fields; --help teaches.
set -uo pipefail
KP_SRC=${KP_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
KP_BUILD=${KP_BUILD:-$KP_SRC/build}
# The fixtures are the testbed's tables (198.18.0.0/15, documentation and
# private AS numbers), which kpannotate drops by default (docs/asmap.md):
# every run keeps them, as lib.sh's KP_TESTBED_KEEP says.
KPA=("${KPANNOTATE:-$KP_BUILD/kpannotate}" --keep-special benchmarking,documentation,documentation-asn,private-asn)
CHECK=$KP_SRC/tests/integration/annotate_check.py
DATA=$KP_SRC/tests/data
PFX=$KP_SRC/tests/testbed/topologies/nk.pfx2as
TRUTH=$DATA/annotate/nk-truth.json
RIB=$DATA/annotate/nk-rib-change.txt
ATLAS_VPS=atlas-1001=vp-eu,atlas-1002=vp-us,atlas-1003=vp-asia
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
assert_eq() { if [ "$1" == "$2" ]; then ok "$3"; else fail "$3 (expected '$1', got '$2')"; fi; }
assert_match() { if [[ "$2" =~ $1 ]]; then ok "$3"; else fail "$3 (/$1/ not in '$2')"; fi; }
check() {
    local out line n=0
    out=$(python3 "$CHECK" "$@" 2>&1) || fail "annotate_check.py $1 crashed: $out"
    while IFS= read -r line; do
        n=$((n + 1))
        case $line in
        "ok "*) ok "${line#ok }" ;;
        *) fail "${line#FAIL }" ;;
        esac
    done <<<"$out"
    [ "$n" -gt 0 ] || fail "annotate_check.py $1 printed nothing"
}
work=$(mktemp -d /tmp/kpannotate-files.XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM
[ -x "$KPA" ] || {
    echo "FATAL: kpannotate not built ($KPA)"
    exit 1
}

# --help teaches: every option group and an example
help=$("${KPA[@]}" --help)
assert_eq 0 "$?" "--help exits 0"
for word in --pfx2as --rib --mmdb --cymru --dns-server --target --transit --disable \
    --input-format --vp --sweep --output --summary --graph --graph-hosts --graph-prefix Examples "Exit status"; do
    assert_match "$word" "$help" "--help mentions $word"
done
"${KPA[@]}" --bogus >/dev/null 2>"$work/err"
assert_eq 2 "$?" "an unknown option is a usage error (exit 2)"
assert_match "^kpannotate: unknown option '--bogus' \(see kpannotate --help\)" "$(cat "$work/err")" \
    "an unknown option is named in our words"
"${KPA[@]}" -p >/dev/null 2>"$work/err"
assert_eq 2 "$?" "a missing value is a usage error (exit 2)"
assert_match "^kpannotate: -p needs a value" "$(cat "$work/err")" "a missing value is named"
"${KPA[@]}" --disable no-such-heuristic /dev/null >/dev/null 2>"$work/err"
assert_eq 2 "$?" "--disable with an unknown name: exit 2"
assert_match "no-such-heuristic" "$(cat "$work/err")" "--disable names the bad heuristic"

# RIPE Atlas fixture vs the ground truth
"${KPA[@]}" -q -p "$PFX" --sweep none --summary-format json "$DATA/atlas/nk-atlas.json" \
    >"$work/atlas.jsonl"
assert_eq 0 "$?" "Atlas fixture: exit 0"
check summary "$TRUTH" "$work/atlas.jsonl" --vp-map "$ATLAS_VPS" --label "atlas"

# scamper fixtures (real scamper in the testbed) vs the ground truth
: >"$work/scamper.jsonl"
: >"$work/scamper-udp.jsonl"
for vp in vp-eu vp-us vp-asia; do
    for m in udp-paris icmp-paris; do
        "${KPA[@]}" -q -p "$PFX" --vp "$vp" --sweep none --summary-format json \
            "$DATA/scamper/nk-$vp-$m.json" >>"$work/scamper.jsonl"
        assert_eq 0 "$?" "scamper $vp $m: exit 0"
    done
    "${KPA[@]}" -q -p "$PFX" --vp "$vp" --sweep none --summary-format json \
        "$DATA/scamper/nk-$vp-udp-paris.json" >>"$work/scamper-udp.jsonl"
done
check summary "$TRUTH" "$work/scamper.jsonl" --label "scamper" --methods icmp-paris,udp-paris
check same "$work/atlas.jsonl" "$work/scamper-udp.jsonl" --vp-map "$ATLAS_VPS" \
    --label "atlas == scamper"

# the control plane: agreement flag from a RIB with a path change over time
"${KPA[@]}" -q -p "$PFX" -r "$RIB" --sweep none --summary-format json \
    "$DATA/atlas/nk-atlas.json" >"$work/atlas-rib.jsonl"
assert_eq 0 "$?" "Atlas + RIB: exit 0"
flags=$(python3 -c '
import json, sys
for l in open(sys.argv[1]):
    g = json.loads(l)
    print(g["vp"], g["prefix"], g["control_plane_upstreams"], g["agrees"])' "$work/atlas-rib.jsonl")
for vp in atlas-1001 atlas-1002 atlas-1003; do
    assert_match "$vp 198\.19\.177\.0/24 \[4837\] False" "$flags" \
        "$vp: BGP announces .177 via Unicom at the traces' time, packets go via TTC: disagree"
    assert_match "$vp 198\.19\.176\.0/24 \[4837\] True" "$flags" "$vp: .176 agrees"
    assert_match "$vp 198\.19\.178\.0/24 \[4837, 20485\] True" "$flags" "$vp: .178 both upstreams, agrees"
    assert_match "$vp 198\.19\.179\.0/24 \[4837\] True" "$flags" "$vp: .179 filtered at the announced upstream"
done
"${KPA[@]}" -q -p "$PFX" -r "$RIB" --vp vp-eu --sweep none --summary-format json \
    "$DATA/scamper/nk-vp-eu-udp-paris.json" >"$work/scamper-rib.jsonl"
flags=$(python3 -c '
import json, sys
for l in open(sys.argv[1]):
    g = json.loads(l)
    print(g["vp"], g["prefix"], g["control_plane_upstreams"], g["agrees"])' "$work/scamper-rib.jsonl")
assert_match "vp-eu 198\.19\.177\.0/24 \[20485\] True" "$flags" \
    "after the path change back (scamper traces are later): .177 via TTC agrees"
"${KPA[@]}" -q -p "$PFX" -r "$RIB" --sweep none -s "$DATA/atlas/nk-atlas.json" >"$work/atlas-rib.txt"
assert_match "atlas-1001 +198\.19\.177\.0/24 .* AS4837 +NO" "$(cat "$work/atlas-rib.txt")" \
    "text summary shows the disagreement"

# annotated JSON lines: the documented fields
"${KPA[@]}" -q -p "$PFX" -o "$work/ann.jsonl" "$DATA/atlas/nk-atlas.json"
assert_eq 0 "$?" "-o writes annotated lines"
fields=$(python3 -c '
import json, sys
bad = []
n = 0
for l in open(sys.argv[1]):
    t = json.loads(l)
    n += 1
    for k in ("vp", "dst", "method", "hops", "transit", "dst_asn", "sweep", "input"):
        if k not in t: bad.append(k)
    for h in t["hops"]:
        for k in ("asn", "as_name", "asn_source", "rdns", "ixp", "addr_class", "origins"):
            if k not in h: bad.append("hop." + k)
    tr = t["transit"]
    for k in ("asn", "name", "status", "confidence", "evidence"):
        if k not in tr: bad.append("transit." + k)
    for k in ("handoff_hop", "handoff_ttl", "handoff_addr", "target_hop", "heuristics", "source", "silent_ttls"):
        if k not in tr["evidence"]: bad.append("evidence." + k)
    if not 0 <= tr["confidence"] <= 1: bad.append("confidence range")
print(n, sorted(set(bad)))' "$work/ann.jsonl")
assert_eq "13 []" "$fields" "13 annotated traces, every documented field present"
# the TTC shape from vp-eu to .177: last TTC hop, two silent STAR-KP routers
ev=$(python3 -c '
import json, sys
for l in open(sys.argv[1]):
    t = json.loads(l)
    if t["vp"] == "atlas-1001" and t["dst"] == "198.19.177.1":
        e = t["transit"]["evidence"]
        print(t["transit"]["asn"], t["transit"]["name"], e["handoff_addr"], e["silent_ttls"], ",".join(e["heuristics"]), e["source"])' "$work/ann.jsonl")
assert_match "^20485 TransTeleCom 198\.18\.188\.22 2 silent-gap(,rtt-jump)? pfx2as$" "$ev" \
    "evidence: handoff at ttc-vvo (198.18.188.22), 2 silent TTLs, from the prefix file"

# errors name file:line and field; the good records still count
{
    echo '{"af":4,"dst_addr":"198.19.176.1","proto":"UDP","prb_id":7,"result":[{"hop":1,"result":[{"from":"198.18.219.22","rtt":1.0}]},{"hop":2,"result":[{"from":"198.19.176.1","rtt":2.0}]}]}'
    echo '{"af":4,"proto":"UDP","prb_id":7,"result":[]}'
    echo '{"af":4,"dst_addr":"198.19.176.1","proto":"UDP","prb_id":7,"result":[{"hop":1,"result":[{"from":"bogus"}]}]}'
} >"$work/broken.json"
"${KPA[@]}" -p "$PFX" -s "$work/broken.json" >"$work/broken.out" 2>"$work/broken.err"
assert_eq 1 "$?" "bad records: exit 1"
err=$(cat "$work/broken.err")
assert_match "broken\.json:2: dst_addr: missing" "$err" "error names file:2 and dst_addr"
assert_match "broken\.json:3: result\[0\]\.result\[0\]\.from: not an IP address" "$err" \
    "error names file:3 and the nested field"
assert_match "atlas-7 +198\.19\.176\.0/24 .* AS4837 China Unicom +reached +1 " \
    "$(cat "$work/broken.out")" "the good record is still decided"

# stdin, and --input-format
"${KPA[@]}" -q -p "$PFX" --sweep none --summary-format json <"$DATA/atlas/nk-atlas.json" \
    >"$work/stdin.jsonl"
assert_eq 0 "$?" "stdin: exit 0"
assert_eq "$(wc -l <"$work/atlas.jsonl")" "$(wc -l <"$work/stdin.jsonl")" "stdin gives the same groups"
"${KPA[@]}" -q -p "$PFX" --input-format scamper "$DATA/atlas/nk-atlas.json" >/dev/null 2>&1
assert_eq 1 "$?" "--input-format scamper on Atlas: records rejected (exit 1)"
"${KPA[@]}" -q -p "$PFX" --input-format atlas -s "$DATA/atlas/nk-atlas.json" >/dev/null
assert_eq 0 "$?" "--input-format atlas: exit 0"
printf 'hello\n' >"$work/what.txt"
"${KPA[@]}" -q -p "$PFX" "$work/what.txt" >/dev/null 2>"$work/what.err"
assert_eq 3 "$?" "unrecognisable input: exit 3"
assert_match "what\.txt: cannot tell what kind of input" "$(cat "$work/what.err")" "and says so"

# --target and --transit
"${KPA[@]}" -q -p "$PFX" --target 20485 --transit 64501=EU-ISP --sweep none --summary-format json \
    "$DATA/scamper/nk-vp-eu-udp-paris.json" --vp vp-eu >"$work/target.jsonl"
tgt=$(python3 -c '
import json, sys
for l in open(sys.argv[1]):
    g = json.loads(l)
    print(g["prefix"], g["transit_asn"], g["transit_name"], g["status"])' "$work/target.jsonl")
assert_match "198\.19\.177\.0/24 64501 EU-ISP reached" "$tgt" \
    "--target 20485 --transit 64501=EU-ISP: the VP's ISP hands traffic to TTC"
assert_match "198\.19\.176\.0/24 None None undetermined" "$tgt" \
    "--target 20485: a path never crossing TTC to a destination outside the target is undetermined"

# Valid records that are not traceroutes (real sc_warts2json output with a
# ping and a tracelb) are skipped: named, counted, exit status unchanged
"${KPA[@]}" -p "$PFX" -s "$DATA/scamper/mixed-warts.json" >/dev/null 2>"$work/skips.err"
assert_eq 0 "$?" "scamper JSON with a ping and a tracelb: exit 0"
err=$(cat "$work/skips.err")
assert_match "mixed-warts\.json:[0-9]+: skipped: scamper ping" "$err" "the ping is named with file:line"
assert_match "mixed-warts\.json:[0-9]+: skipped: scamper tracelb" "$err" "the tracelb is named with file:line"
assert_match ", 0 bad records, 2 skipped records," "$err" "statistics count 2 skipped, 0 bad records"
"${KPA[@]}" -q -p "$PFX" -s "$DATA/scamper/mixed-warts.json" >/dev/null 2>"$work/skips-q.err"
assert_eq "" "$(cat "$work/skips-q.err")" "-q: skipped records are not named"

# A prefix2as table with malformed lines after good ones: each named with
# file:line (the first three), counted, skipped; the rest of the table is used
# and the exit status is 1. A table whose FIRST line is malformed is another
# kind of file: refused (exit 3).
{
    cat "$PFX"
    printf '198.19.176.7\t8\t5\nnot a line\n198.19.0.0\t99\t1\n198.19.9.0\t24\tx\n'
} >"$work/pfx-bad.txt"
"${KPA[@]}" -p "$work/pfx-bad.txt" --sweep none --summary-format json -s "$DATA/atlas/nk-atlas.json" \
    >"$work/pfx-bad.out" 2>"$work/pfx-bad.err"
assert_eq 1 "$?" "prefix2as with malformed lines: exit 1"
err=$(cat "$work/pfx-bad.err")
n=$(wc -l <"$PFX")
assert_match "pfx-bad\.txt:$((n + 1)): host bits set .*\(line skipped\)" "$err" "line $((n + 1)) named with its reason"
assert_match "pfx-bad\.txt:$((n + 3)): prefix length out of range" "$err" "line $((n + 3)) named"
assert_match "pfx-bad\.txt: further malformed lines are only counted" "$err" "the fourth is only counted"
assert_match ", 4 bad source lines," "$err" "statistics count 4 bad source lines"
"${KPA[@]}" -q -p "$PFX" --sweep none --summary-format json -s "$DATA/atlas/nk-atlas.json" >"$work/pfx-good.out"
if cmp -s "$work/pfx-good.out" "$work/pfx-bad.out"; then
    ok "the good lines give the same summary as the clean table"
else
    fail "the summary with the malformed lines skipped differs from the clean table's"
fi
{
    printf 'garbage first line\n'
    cat "$PFX"
} >"$work/pfx-bad1.txt"
"${KPA[@]}" -p "$work/pfx-bad1.txt" -s "$DATA/atlas/nk-atlas.json" >/dev/null 2>"$work/pfx-bad1.err"
assert_eq 3 "$?" "prefix2as whose first line is malformed: refused (exit 3)"
assert_match "pfx-bad1\.txt:1: " "$(cat "$work/pfx-bad1.err")" "and the error names line 1"

: >"$work/empty.jsonl"
"${KPA[@]}" -p "$PFX" -s "$work/empty.jsonl" >/dev/null 2>"$work/empty.err"
assert_eq 0 "$?" "an empty input file holds no records: exit 0"
assert_match "empty\.jsonl: empty input \(no records\)" "$(cat "$work/empty.err")" "and says so"

# Compressed inputs (gzip, bzip2 — made here with the real tools), whatever
# their name, give the verdicts of the plain files; a cut one is refused
"${KPA[@]}" -q -p "$PFX" --sweep none -s --summary-format json "$DATA/atlas/nk-atlas.json" >"$work/plain.sum"
gzip -c "$DATA/atlas/nk-atlas.json" >"$work/atlas.gz"
bzip2 -c "$DATA/atlas/nk-atlas.json" >"$work/atlas-dump"
for f in atlas.gz atlas-dump; do
    "${KPA[@]}" -q -p "$PFX" --sweep none -s --summary-format json "$work/$f" >"$work/$f.sum"
    assert_eq 0 "$?" "compressed input $f: exit 0"
    if cmp -s "$work/plain.sum" "$work/$f.sum"; then
        ok "compressed input $f: the plain file's summary"
    else
        fail "compressed input $f: summary differs from the plain file's"
    fi
done
{
    bzip2 -c "$DATA/scamper/nk-vp-eu-udp-paris.json"
    bzip2 -c "$DATA/scamper/nk-vp-eu-udp-paris.json"
} >"$work/twice.bz2"
n1=$("${KPA[@]}" -q -p "$PFX" --vp vp-eu "$DATA/scamper/nk-vp-eu-udp-paris.json" | wc -l)
n2=$("${KPA[@]}" -q -p "$PFX" --vp vp-eu "$work/twice.bz2" | wc -l)
assert_eq $((2 * n1)) "$n2" "two concatenated bzip2 streams: both read"
head -c 200 "$work/atlas.gz" >"$work/cut.gz"
"${KPA[@]}" -q -p "$PFX" "$work/cut.gz" >/dev/null 2>"$work/cut.err"
assert_eq 3 "$?" "a gzip file cut short: refused (exit 3)"
assert_match "cut\.gz: gzip data corrupt or cut short \(at compressed byte 200\)" "$(cat "$work/cut.err")" \
    "and the error names the file and the offset"

# At scale: a big bzip2 stream of Atlas results (one per line) damaged in its
# middle stops with the compressed offset, and every trace before the damage
# is already decided and written (the same lines as from the intact file);
# a bad record in the middle of a gzip stream is named with its line and
# skipped; --stats-json reconciles the counts (records = decided + bad +
# skipped) and says how the run ended.
python3 - "$DATA/atlas/nk-atlas.json" "$work/many.jsonl" <<'PY'
import json, sys
recs = json.load(open(sys.argv[1]))
with open(sys.argv[2], "w") as f:
    for i in range(600):
        for r in recs:
            f.write(json.dumps(r, separators=(",", ":")) + "\n")
PY
nrec=$(wc -l <"$work/many.jsonl")
bzip2 -1 -c "$work/many.jsonl" >"$work/many.bz2"
"$KPA" -q -p "$PFX" -o "$work/many-all.jsonl" --stats-json "$work/many-all.stats" "$work/many.bz2"
assert_eq 0 "$?" "a ${nrec}-record bzip2 stream: exit 0"
assert_eq "$nrec" "$(wc -l <"$work/many-all.jsonl")" "every record decided and written"
st=$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); c=s["counts"]
print(s["status"], s["reconciled"], c["records"], c["decided"] + c["bad"] + c["skipped"], s["inputs"][0]["compression"])' "$work/many-all.stats")
assert_eq "complete True $nrec $nrec bzip2" "$st" "--stats-json: complete, records = decided + bad + skipped"
size=$(stat -c %s "$work/many.bz2")
at=$((size * 6 / 10))
mkdir -p "$work/intact" "$work/damaged"
cp "$work/many.bz2" "$work/intact/many.bz2"
python3 -c 'import sys; p, at = sys.argv[1], int(sys.argv[2]); b = bytearray(open(p, "rb").read())
b[at] ^= 0x55; open(sys.argv[3], "wb").write(b)' "$work/many.bz2" "$at" "$work/damaged/many.bz2"
# the same name, so that the lines ("input", "sweep") can be compared
(cd "$work/intact" && "$KPA" -q -p "$PFX" -o "$work/many-all.jsonl" many.bz2)
(cd "$work/damaged" && "$KPA" -q -p "$PFX" -o "$work/damaged.jsonl" \
    --stats-json "$work/damaged.stats" many.bz2 2>"$work/damaged.err")
assert_eq 3 "$?" "a bzip2 stream damaged at byte $at: exit 3"
err=$(cat "$work/damaged.err")
assert_match "many\.bz2: bzip2 data corrupt or cut short \(at compressed byte [0-9]+\)" "$err" \
    "the error names the file and the compressed offset"
off=$(grep -Eo 'compressed byte [0-9]+' <<<"$err" | grep -Eo '[0-9]+$')
if [ -n "$off" ] && [ "$off" -ge "$at" ] && [ "$off" -le "$size" ]; then
    ok "the offset ($off) is at or after the damage ($at)"
else
    fail "the offset '$off' is not between the damage ($at) and the end ($size)"
fi
k=$(wc -l <"$work/damaged.jsonl")
if [ "$k" -gt $((nrec / 3)) ] && [ "$k" -lt "$nrec" ]; then
    ok "$k of $nrec traces before the damage decided and written"
else
    fail "$k traces written before the damage (want between $((nrec / 3)) and $nrec)"
fi
# bzip2 checks a block's CRC at the block's end: what the damaged block
# itself decodes to may differ (100 kB of text with -1: at most ~50 records)
same=$(python3 -c 'import sys
a, b = open(sys.argv[1]).readlines(), open(sys.argv[2]).readlines()
n = 0
while n < len(b) and a[n] == b[n]: n += 1
print(n)' "$work/many-all.jsonl" "$work/damaged.jsonl")
if [ "$same" -gt $((nrec / 2)) ] && [ $((k - same)) -le 60 ]; then
    ok "the first $same lines are the intact file's, byte for byte (then the damaged block)"
else
    fail "only $same of the $k lines written are the intact file's first lines"
fi
st=$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); c=s["counts"]
print(s["status"], s["reconciled"], c["decided"], s["inputs"][0]["status"], s["exit_status"])' "$work/damaged.stats")
assert_eq "error True $k error 3" "$st" "--stats-json: status error, counts still reconcile"
{
    head -n 3000 "$work/many.jsonl"
    echo '{"af":4,"dst_addr":"198.19.176.1","proto":"UDP","prb_id":7,"result":[{"hop":1,"result":[{"from":"bogus"}]}]}'
    tail -n +3001 "$work/many.jsonl"
} | gzip -c >"$work/badmid.gz"
"$KPA" -q -p "$PFX" -o "$work/badmid.jsonl" --stats-json "$work/badmid.stats" "$work/badmid.gz" \
    2>"$work/badmid.err"
assert_eq 1 "$?" "a bad record in the middle of a gzip stream: exit 1"
assert_match "badmid\.gz:3001: result\[0\]\.result\[0\]\.from: not an IP address \(record skipped\)" \
    "$(cat "$work/badmid.err")" "it is named with its line (3001) and field"
assert_eq "$nrec" "$(wc -l <"$work/badmid.jsonl")" "every other record is decided"
st=$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); c=s["counts"]
print(s["status"], c["records"], c["decided"], c["bad"])' "$work/badmid.stats")
assert_eq "complete $((nrec + 1)) $nrec 1" "$st" "--stats-json: $((nrec + 1)) records = $nrec decided + 1 bad"
"$KPA" -p "$PFX" -s "$DATA/scamper/mixed-warts.json" >/dev/null 2>"$work/rec.err"
assert_match "kpannotate: 5 records: 3 traces " "$(cat "$work/rec.err")" \
    "the statistics line counts records (bookkeeping apart): 5 = 3 decided + 2 skipped"
(cd "$work/intact" && "$KPA" -q -p "$PFX" --threads 0 -o "$work/many-t0.jsonl" many.bz2)
if cmp -s "$work/many-all.jsonl" "$work/many-t0.jsonl"; then
    ok "--threads 0 writes the same lines"
else
    fail "--threads 0 writes other lines than the default"
fi

# AS numbers on the command line: asplain, asdot (RFC 5396) and "AS" prefix;
# AS 0, signs, blanks and overflow are usage errors (exit 2) naming the value
"${KPA[@]}" -q -p "$PFX" --target AS0.20485 --transit 64501=EU-ISP --sweep none --summary-format json \
    "$DATA/scamper/nk-vp-eu-udp-paris.json" --vp vp-eu >"$work/target-asdot.jsonl"
assert_eq 0 "$?" "--target AS0.20485 (asdot) is accepted"
if cmp -s "$work/target.jsonl" "$work/target-asdot.jsonl"; then
    ok "--target AS0.20485 gives the summary of --target 20485"
else
    fail "--target AS0.20485 gives another summary than --target 20485"
fi
for bad in 0 -1 " 7" 4294967296 12x AS; do
    "${KPA[@]}" -q -p "$PFX" --target "$bad" "$DATA/atlas/nk-atlas.json" >/dev/null 2>"$work/badasn.err"
    assert_eq 2 "$?" "--target '$bad': usage error (exit 2)"
    assert_match "--target: '$bad' is not an AS number" "$(cat "$work/badasn.err")" "--target '$bad': named in the error"
done

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ] && [ "$PASSED" -gt 0 ]
