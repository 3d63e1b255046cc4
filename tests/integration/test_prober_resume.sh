#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# test_prober_resume — `kptrace sweep --resume DIR` continues an interrupted
# sweep: together the two parts hold one record per (target, method), with
# unique ids, and one capture that replays to the same records.
#
#  1. sweep 198.19.176.0/25 + 198.19.177.0/25 x icmp-paris, udp-paris from
#     vp-eu at a modest rate; SIGINT once traces.jsonl has some lines: exit 3,
#     sweep.json "interrupted", its count equals the lines. Just before,
#     --resume of the sweep still running is refused (traces.jsonl locked).
#  2. --resume with a conflicting option (--pps) or --dry-run is refused
#     (exit 2, names the option and both values); then --resume DIR with the
#     first part's own command line: exit 0. The records of the traces the
#     SIGINT cut short (stop "interrupted") are removed and their pairs
#     probed again (said on stderr).
#  3. Expected values from the sweep's own target list (every address of the
#     two /25s x the two methods: 512) and the testbed's truth (tb_path):
#     every (dst, method) exactly once in traces.jsonl; ids unique, above the
#     removed records' ids; no record "interrupted"; every record agrees with
#     the truth; sweep.json complete,
#     counts.traces = lines, counts.hops = hops in them, traces_planned 512,
#     two parts whose traces sum to the lines.
#  4. tcpdump -r reads the appended capture, and counts as many frames as
#     sweep.json's capture.frames; kptrace replay of it (sweep.json beside it)
#     gives the same hops per (dst, method) as traces.jsonl (besides the
#     removed partial traces, which the capture still holds under their ids).
#  5. --resume of the complete sweep exits non-zero and says it is complete.
#  6. A crash: the last line of traces.jsonl and the last capture record cut
#     by hand, status set back to "running": --resume cuts both, says so,
#     re-probes the cut pair, and the result again has every pair once.
#  7. An interrupted sweep with no pair left: --resume only marks it complete.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/prober_lib.sh"

tb_up nk
work=$(mktemp -d /tmp/kp-resume.XXXXXX)
chmod 755 "$work"
vp="vp-eu"
ns=$(tb_ns $vp)
out=$work/s
targets=198.19.176.0/25,198.19.177.0/25
methods=icmp-paris,udp-paris

# --- 1. interrupted sweep ---------------------------------------------------------
ip netns exec "$ns" "$KPTRACE" sweep --allowlist-file "$KP_ALLOWLIST" --vp $vp --targets $targets --methods $methods \
    --pps 150 --out "$out" --no-progress 2>"$work/p1.err" &
pid=$!
for _ in $(seq 1 150); do
    sleep 0.1
    [ -s "$out/traces.jsonl" ] && [ "$(wc -l <"$out/traces.jsonl")" -ge 60 ] && break
done
# a sweep still running (sweep.json says "running") is not resumed under it
tb_exec $vp "$KPTRACE" sweep --resume "$out" --no-progress >"$work/live.out" 2>"$work/live.err"
live_rc=$?
kill -INT $pid
wait $pid
assert_eq 3 $? "SIGINT: first part exits 3"
assert_eq 1 $live_rc "--resume of a sweep that is still running is refused"
assert_match "traces.jsonl: locked: a kptrace is still running this sweep" "$(cat "$work/live.err")" \
    "... because its traces.jsonl is locked"
python3 - "$out" <<'PY' && ok "interrupted: sweep.json says so, count = complete lines" || fail "interrupted sweep.json"
import json, sys
d = sys.argv[1]
m = json.load(open(d + "/sweep.json"))
raw = open(d + "/traces.jsonl").read()
assert raw.endswith("\n"), "traces.jsonl ends in a cut line"
n = len(raw.splitlines())
assert m["status"] == "interrupted", m["status"]
assert m["counts"]["traces"] == n and 0 < n < 512, (m["counts"]["traces"], n)
cut = sum(1 for l in raw.splitlines() if json.loads(l)["stop_reason"] == "interrupted")
print("first part: %d of 512 traces, %d of them cut by the SIGINT" % (n, cut), file=sys.stderr)
PY
n1=$(wc -l <"$out/traces.jsonl")
# the records the SIGINT cut short: "ID DST METHOD" per line
python3 -c '
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["stop_reason"] == "interrupted":
        print(r["id"], r["dst"], r["method"])' "$out/traces.jsonl" >"$work/cut.txt"
ncut=$(wc -l <"$work/cut.txt")

# --- 2. conflicting option refused, then resume -----------------------------------------
tb_exec $vp "$KPTRACE" sweep --resume "$out" --pps 500 >"$work/bad.out" 2>"$work/bad.err"
assert_eq 2 $? "--resume with another --pps is refused (usage error)"
assert_match "--pps: 500 given, the sweep was run with 150" "$(cat "$work/bad.err")" \
    "the refusal names the option and both values"
tb_exec $vp "$KPTRACE" sweep --resume "$out" --dry-run >"$work/bad2.out" 2>"$work/bad2.err"
assert_eq 2 $? "--resume with --dry-run is refused"
assert_eq "$n1" "$(wc -l <"$out/traces.jsonl")" "the refused resumes wrote nothing"

# the same options as the first part (the command line repeated) are accepted
tb_exec $vp "$KPTRACE" sweep --allowlist-file "$KP_ALLOWLIST" --resume "$out" --vp $vp --targets $targets --methods $methods \
    --pps 150 --out "$out" --no-progress >"$work/p2.out" 2>"$work/p2.err"
rc=$?
assert_eq 0 $rc "--resume with the first part's own options exits 0"
tb_log "$(grep resuming "$work/p2.err")"
if [ "$ncut" -gt 0 ]; then
    assert_match "traces.jsonl: $ncut records of traces the interruption cut short removed; they are probed again" \
        "$(cat "$work/p2.err")" "the $ncut records cut short by the SIGINT are removed, and said so"
else
    ok "no trace was cut short by the SIGINT (nothing to remove)"
fi
[ $rc = 0 ] || sed 's/^/    | /' "$work/p2.err"

# --- 3. the whole against the target list and the truth ------------------------------
for s in 176 177; do
    printf '%s\t%s\n' "$s" "$(tb_path $vp 198.19.$s.1)"
done >"$work/truth.tsv"
python3 - "$out" "$((n1 - ncut))" "$work/cut.txt" <<'PY' && ok "every (dst, method) of the target list once; none interrupted; ids unique and above the removed ones; sweep.json complete, parts and counts sum to the file" || fail "resumed sweep contents"
import ipaddress, json, sys
d, n1 = sys.argv[1], int(sys.argv[2])
cut = [l.split() for l in open(sys.argv[3])]
want = {(str(a), m) for p in ("198.19.176.0/25", "198.19.177.0/25")
        for a in ipaddress.ip_network(p) for m in ("icmp-paris", "udp-paris")}
recs = [json.loads(l) for l in open(d + "/traces.jsonl")]
pairs = [(r["dst"], r["method"]) for r in recs]
assert len(want) == 512
assert set(pairs) == want, "missing %s extra %s" % (sorted(want - set(pairs))[:5], sorted(set(pairs) - want)[:5])
assert len(pairs) == 512, "%d lines for 512 pairs (duplicates)" % len(pairs)
ids = [r["id"] for r in recs]
assert len(set(ids)) == len(ids), "duplicate ids"
assert min(ids[n1:]) > max(ids[:n1] + [int(c[0]) for c in cut]), "second part's ids do not continue above the first's"
assert not [r for r in recs if r["stop_reason"] == "interrupted"], "a record is still interrupted"
assert all((c[1], c[2]) in set(pairs[n1:]) for c in cut), "a pair cut short was not probed again"
m = json.load(open(d + "/sweep.json"))
c = m["counts"]
assert m["status"] == "complete", m["status"]
assert c["traces_planned"] == 512, c["traces_planned"]
assert c["traces"] == 512, c["traces"]
hops = sum(len(r["hops"]) for r in recs)
assert c["hops"] == hops, (c["hops"], hops)
parts = m["parts"]
assert [p["status"] for p in parts] == ["interrupted", "complete"], [p["status"] for p in parts]
assert parts[0]["counts"]["traces"] == n1 and parts[1]["counts"]["traces"] == 512 - n1
assert parts[1]["counts"]["traces_planned"] <= 512 - n1 + 0
assert sum(p["counts"]["probes_sent"] for p in parts) == c["probes_sent"]
assert m["start"] == parts[0]["start"] and m["end"] == parts[1]["end"]
PY
kp_tokens <"$out/traces.jsonl" | python3 -c '
import sys
truth = {}
for l in open(sys.argv[1]):
    s, p = l.rstrip("\n").split("\t")
    truth[s] = p.split()
bad = n = 0
for line in sys.stdin:
    dst, method, stop, *toks = line.split()
    want = list(truth[dst.split(".")[2]])
    want[-1] = dst if want[-1] == "198.19." + dst.split(".")[2] + ".1" else want[-1]
    n += 1
    if stop != "completed" or len(toks) != len(want):
        bad += 1
    elif not all(a == "*" or a == b for a, b in zip(toks, want)) or len(toks) > len(want):
        bad += 1
    else:
        continue
    if bad < 5:
        print("MISMATCH", dst, method, stop, toks, "want", want, file=sys.stderr)
print(n, "records checked against the truth", file=sys.stderr)
sys.exit(1 if bad or n != 512 else 0)
' "$work/truth.tsv"
assert_eq 0 $? "every record agrees with the testbed truth at each TTL it has"

# --- 4. the appended capture ------------------------------------------------------------
frames=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["capture"]["frames"])' "$out/sweep.json")
assert_eq "$frames" "$(tcpdump -nr "$out/capture.pcap" 2>/dev/null | wc -l)" \
    "tcpdump reads the appended capture: as many frames as sweep.json says ($frames)"
tcpdump -nr "$out/capture.pcap" >/dev/null 2>"$work/tcpdump.err"
assert_eq 0 $? "tcpdump -r reads the capture to its end without error"
"$KPTRACE" replay "$out/capture.pcap" >"$work/replay.jsonl" 2>"$work/replay.err"
assert_eq 0 $? "kptrace replay of the appended capture exits 0"
python3 - "$out/traces.jsonl" "$work/replay.jsonl" "$work/cut.txt" <<'PY' && ok "replay of both parts gives the same hops per (dst, method) as traces.jsonl" || fail "replay differs"
import json, sys
removed = {int(l.split()[0]) for l in open(sys.argv[3])}
def load(f, skip=()):
    d = {}
    for l in open(f):
        r = json.loads(l)
        if r["id"] in skip:
            continue  # a partial trace whose record the resume removed
        k = (r["dst"], r["method"])
        assert k not in d, "twice: %s" % (k,)
        d[k] = (r["id"], [(h["ttl"], h["attempt"], h["addr"], h["tx_ns"], h["rx_ns"]) for h in r["hops"]])
    return d
a, b = load(sys.argv[1]), load(sys.argv[2], removed)
assert set(a) == set(b), "only live %s only replay %s" % (sorted(set(a) - set(b))[:5], sorted(set(b) - set(a))[:5])
diff = [k for k in a if a[k] != b[k]]
for k in diff[:3]:
    print(k, a[k], b[k], file=sys.stderr)
assert not diff, "%d records differ" % len(diff)
PY

# --- 5. a complete sweep is not resumed ---------------------------------------------------
tb_exec $vp "$KPTRACE" sweep --resume "$out" >"$work/c.out" 2>"$work/c.err"
rc=$?
assert_ne 0 $rc "--resume of a complete sweep exits non-zero ($rc)"
assert_match "complete: nothing to resume" "$(cat "$work/c.err")" "... and says the sweep is complete"

# --- 6. a crash: cut line, cut capture record, status running ------------------------------
python3 - "$out" <<'PY'
import json, os, sys
d = sys.argv[1]
lines = open(d + "/traces.jsonl").read().splitlines(True)
victim = json.loads(lines[-1])
open(d + "/traces.jsonl", "w").write("".join(lines[:-1]) + lines[-1][: len(lines[-1]) // 2])
m = json.load(open(d + "/sweep.json"))
m["status"] = "running"
m["parts"][-1]["status"] = "running"
open(d + "/sweep.json", "w").write(json.dumps(m, indent=2) + "\n")
sz = os.path.getsize(d + "/capture.pcap")
os.truncate(d + "/capture.pcap", sz - 10)
open(d + "/victim", "w").write("%s %s\n" % (victim["dst"], victim["method"]))
PY
read -r vdst vmethod <"$out/victim"
rm -f "$out/victim"
tb_exec $vp "$KPTRACE" sweep --resume "$out" --no-progress >"$work/p3.out" 2>"$work/p3.err"
rc=$?
assert_eq 0 $rc "--resume after a (simulated) crash exits 0"
[ $rc = 0 ] || sed 's/^/    | /' "$work/p3.err"
assert_match "traces.jsonl:512: line cut by a crash" "$(cat "$work/p3.err")" "the cut line is reported with its line number"
assert_match "capture.pcap: the last record was cut" "$(cat "$work/p3.err")" "the cut capture record is reported"
python3 - "$out" "$vdst" "$vmethod" <<'PY' && ok "after the crash: the cut pair probed again, every pair once, parts crashed+complete" || fail "crash resume"
import json, sys
d, vdst, vm = sys.argv[1:4]
recs = [json.loads(l) for l in open(d + "/traces.jsonl")]
pairs = [(r["dst"], r["method"]) for r in recs]
assert len(pairs) == 512 and len(set(pairs)) == 512, len(pairs)
assert pairs[-1] == (vdst, vm), (pairs[-1], vdst, vm)
assert len({r["id"] for r in recs}) == 512
m = json.load(open(d + "/sweep.json"))
assert m["status"] == "complete" and m["counts"]["traces"] == 512
assert [p["status"] for p in m["parts"]] == ["interrupted", "crashed", "complete"], m["parts"]
assert m["parts"][2]["counts"]["traces"] == 1
PY
tcpdump -nr "$out/capture.pcap" >/dev/null 2>"$work/tcpdump2.err"
assert_eq 0 $? "tcpdump reads the capture after the cut record was removed and the third part appended"

# --- 7. interrupted with nothing left: resume only closes the sweep --------------------------
python3 - "$out/sweep.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
m["status"] = "interrupted"
m["parts"][-1]["status"] = "interrupted"
open(sys.argv[1], "w").write(json.dumps(m, indent=2) + "\n")
PY
size0=$(stat -c %s "$out/capture.pcap")
tb_exec $vp "$KPTRACE" sweep --resume "$out" --no-progress >"$work/p4.out" 2>"$work/p4.err"
assert_eq 0 $? "--resume of an interrupted sweep with no pair left exits 0"
assert_match "0 to go" "$(cat "$work/p4.err")" "... and says nothing is left"
python3 - "$out" <<'PY' && ok "nothing left: sweep.json complete, a fourth part of 0 traces, file unchanged" || fail "nothing-left resume"
import json, sys
d = sys.argv[1]
m = json.load(open(d + "/sweep.json"))
n = sum(1 for _ in open(d + "/traces.jsonl"))
assert n == 512 and m["status"] == "complete" and m["counts"]["traces"] == 512, (n, m["status"])
assert len(m["parts"]) == 4 and m["parts"][3]["counts"]["traces"] == 0, m["parts"][3]
assert m["parts"][3]["counts"]["probes_sent"] == 0
PY
assert_eq "$size0" "$(stat -c %s "$out/capture.pcap")" "nothing left: the capture is not touched"

[ "$TB_FAILED" -eq 0 ] && rm -rf "$work"
