#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# test_prober_sweep — a whole /22 with three methods: the capture holds every
# probe and reply, sweep.json's counts match traces.jsonl, the prober runs
# without root, a replay of the capture gives the same records, and an
# interrupted sweep says so.
#
#  1. kptrace sweep of 198.19.176.0/22 (1024 addresses) x icmp-paris,
#     udp-paris, tcp-syn from vp-eu; while it runs, /proc/PID/status must show
#     uid and gid of nobody (real, effective, saved, filesystem).
#  2. sweep.json: complete, 3072 traces planned = started = lines of
#     traces.jsonl; hops and replies = hops in the lines; probes captured =
#     probes sent = the records' probes_sent summed; no capture drop;
#     Doubletree saved probes.
#  3. tcpdump -r reads capture.pcap; its count of our probes (from the VP,
#     TTL < 64) equals probes_sent; every hop's tx_ns and rx_ns is the
#     timestamp of a frame in the file.
#  4. Every record agrees with the ground truth at every TTL it has a hop
#     (Doubletree traces start mid-path); .179 ends admin-prohibited.
#  5. kptrace replay capture.pcap gives the same records.
#  6. SIGINT during a sweep: exit status 3, sweep.json "interrupted", its
#     count equals the lines written. A second sweep into the same directory
#     is refused. --dry-run needs no root and sends nothing. The progress
#     line shows on a terminal only.
#  7. The output directory and the drop (prober/sys/privdrop.h): the
#     directory kptrace created is handed to nobody before the drop, so the
#     last rename of sweep.json.tmp works: no *.tmp left (the /22 and the
#     interrupted sweep), sweep.json complete and valid JSON, the files stay
#     root's. --user daemon with an empty directory made beforehand: handed
#     to daemon likewise. A directory that already holds a file is not
#     handed over (still root's): kptrace says so and keeps sweep.json.tmp
#     as sweep.json's complete copy. Root follows no symlink --user planted
#     in a directory handed to it (--resume refused, the link's target
#     untouched); a world-writable directory is refused.
#  8. The seed (options.seed, the identity key's) is its user's alone while
#     the key is in use: sweep.json and sweep.json.tmp are 0600 and
#     nobody's while the sweep runs, even under umask 0 (the /22); a
#     complete sweep's sweep.json gets the umask's mode (0666 under umask
#     0); an interrupted one stays 0600 (--resume probes with its key).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/prober_lib.sh"

tb_up nk
work=$(mktemp -d /tmp/kp-sweep.XXXXXX)
chmod 755 "$work"
vp=vp-eu
src=$(tb_addr $vp)
out=$work/s1
nobody_uid=$(id -u nobody)
nobody_gid=$(id -g nobody)

# --- 1. sweep, uid while running ----------------------------------------------
t0=$(date +%s)
# ip netns exec execs kptrace: $! is the prober's own pid (umask 0: the
# files holding the seed are 0600 all the same)
(umask 0 && exec ip netns exec "$(tb_ns $vp)" "$KPTRACE" sweep --allowlist-file "$KP_ALLOWLIST" \
    --vp $vp --targets 198.19.176.0/22 --methods icmp-paris,udp-paris,tcp-syn --pps 2000 \
    --out "$out" --no-progress 2>"$work/s1.err") &
pid=$!
uid_line="" gid_line="" groups="" modes=""
for _ in $(seq 1 50); do
    sleep 0.2
    [ -r "/proc/$pid/status" ] || break
    if grep -q kptrace "/proc/$pid/cmdline" 2>/dev/null &&
        [ -s "$out/sweep.json" ] && grep -q running "$out/sweep.json"; then
        sleep 0.5
        uid_line=$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$pid/status")
        gid_line=$(awk '/^Gid:/ { print $2, $3, $4, $5 }' "/proc/$pid/status")
        groups=$(awk '/^Groups:/ { $1 = ""; print }' "/proc/$pid/status" | xargs)
        modes=$(stat -c '%a %U' "$out/sweep.json" "$out/sweep.json.tmp" | xargs)
        break
    fi
done
assert_eq "$nobody_uid $nobody_uid $nobody_uid $nobody_uid" "$uid_line" \
    "running prober (pid $pid) has dropped to nobody: Uid real/effective/saved/fs"
assert_eq "$nobody_gid $nobody_gid $nobody_gid $nobody_gid" "$gid_line" "running prober's Gid is nobody's"
assert_eq "$nobody_gid" "$groups" "running prober keeps no supplementary group but nobody's"
assert_eq "600 nobody 600 nobody" "$modes" \
    "while the sweep runs (umask 0), sweep.json and sweep.json.tmp (the seed) are 0600, nobody's"
wait $pid
assert_eq 0 $? "sweep exits 0"
assert_eq "666" "$(stat -c %a "$out/sweep.json")" "the complete sweep's sweep.json gets the umask's mode (0666 under umask 0)"
tb_log "sweep of a /22 x 3 methods took $(($(date +%s) - t0)) s: $(tail -1 "$work/s1.err")"

# --- 2. sweep.json against traces.jsonl -----------------------------------------
python3 - "$out" <<'PY' && ok "sweep.json counts match traces.jsonl" || fail "sweep.json counts"
import json, sys
d = sys.argv[1]
m = json.load(open(d + "/sweep.json"))
recs = [json.loads(l) for l in open(d + "/traces.jsonl")]
c = m["counts"]
def eq(a, b, what):
    assert a == b, "%s: %r != %r" % (what, a, b)
eq(m["status"], "complete", "status")
eq(m["vp"], "vp-eu", "vp")
eq(m["methods"], ["icmp-paris", "udp-paris", "tcp-syn"], "methods")
eq(c["traces_planned"], 3072, "planned")
eq(c["traces_started"], 3072, "started")
eq(c["traces"], len(recs), "traces vs lines")
eq(len(recs), 3072, "lines")
eq(len({(r["dst"], r["method"]) for r in recs}), 3072, "one record per (dst, method)")
hops = sum(len(r["hops"]) for r in recs)
eq(c["hops"], hops, "hops")
eq(c["replies"], hops, "replies vs hops")
eq(c["probes_captured"], c["probes_sent"], "captured vs sent")
eq(sum(r["probes_sent"] for r in recs), c["probes_sent"], "records' probes_sent vs sent")
eq(c["send_errors"], 0, "send errors")
eq(m["capture"]["dropped"] + m["capture"]["if_dropped"], 0, "capture drops")
assert c["probes_saved"] > 0, "Doubletree saved nothing"
assert m["options"]["doubletree"] is True
assert all(r["vp"] == "vp-eu" and r["ts_source"] == m["capture"]["ts_source"] for r in recs)
print("probes_sent", c["probes_sent"], "replies", c["replies"], "saved", c["probes_saved"],
      "frames", m["capture"]["frames"], file=sys.stderr)
PY

# --- 7a. the directory handed to nobody ------------------------------------------
python3 -m json.tool "$out/sweep.json" >/dev/null 2>&1
assert_eq 0 $? "sweep as root dropping to nobody: sweep.json is complete, valid JSON"
assert_eq "" "$(find "$out" -name '*.tmp' -print)" \
    "no *.tmp left in the sweep's directory after the drop to nobody"
assert_eq "nobody:$(id -gn nobody)" "$(stat -c %U:%G "$out")" \
    "the sweep directory kptrace created belongs to nobody (handed over before the drop)"
assert_eq "nobody root root" "$(stat -c %U "$out/sweep.json" "$out/traces.jsonl" "$out/capture.pcap" | xargs)" \
    "traces.jsonl and capture.pcap stay root's (opened before the drop); sweep.json is nobody's (its mode is changed at the end)"

# --- 3. the capture -------------------------------------------------------------
sent=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["counts"]["probes_sent"])' "$out/sweep.json")
frames=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["capture"]["frames"])' "$out/sweep.json")
tcpdump -nr "$out/capture.pcap" >/dev/null 2>"$work/tcpdump.err"
assert_eq 0 $? "tcpdump -r reads capture.pcap"
assert_eq "$frames" "$(tcpdump -nr "$out/capture.pcap" 2>/dev/null | wc -l)" "tcpdump counts as many frames as sweep.json"
assert_eq "$sent" "$(tcpdump -nr "$out/capture.pcap" "src host $src and ip[8] < 64" 2>/dev/null | wc -l)" \
    "tcpdump finds every probe sent in the capture ($sent)"
tcpdump -nr "$out/capture.pcap" --time-stamp-precision=nano -tt 2>/dev/null | awk '{print $1}' >"$work/ts"
python3 - "$out/traces.jsonl" "$work/ts" <<'PY' && ok "every hop's probe and reply timestamps are frames of the capture" || fail "hop timestamps not in the capture"
import json, sys
ts = set()
for l in open(sys.argv[2]):
    s, ns = l.strip().split(".")
    ts.add(int(s) * 10**9 + int(ns))
n = 0
for l in open(sys.argv[1]):
    for h in json.loads(l)["hops"]:
        assert h["tx_ns"] in ts and h["rx_ns"] in ts, h
        n += 1
print(n, "hops checked", file=sys.stderr)
PY

# --- 4. ground truth, TTL by TTL ------------------------------------------------------
for s in 176 177 178 179; do
    printf '%s\t%s\n' "$s" "$(tb_path $vp 198.19.$s.1)"
done >"$work/truth.tsv"
kp_tokens <"$out/traces.jsonl" | python3 -c '
import sys
truth = {}
for l in open(sys.argv[1]):
    s, p = l.rstrip("\n").split("\t")
    truth[s] = p.split()
bad = 0
for line in sys.stdin:
    dst, method, stop, *toks = line.split()
    want = list(truth[dst.split(".")[2]])
    want[-1] = dst if want[-1] == "198.19." + dst.split(".")[2] + ".1" else want[-1]
    want_stop = "admin-prohibited" if dst.startswith("198.19.179.") else "completed"
    # compare the TTLs that answered
    w = [t for t in want if t != "!X"]
    g = [t for t in toks if t != "!X"]
    okk = stop == want_stop and len(g) == len(w) and all(a == "*" or a == b for a, b in zip(g, w))
    okk = okk and (("!X" in toks) == (want_stop == "admin-prohibited"))
    if not okk:
        bad += 1
        if bad < 5:
            print("MISMATCH", dst, method, stop, toks, "want", want, file=sys.stderr)
sys.exit(1 if bad else 0)
' "$work/truth.tsv"
assert_eq 0 $? "every record agrees with the ground truth at each TTL it has (stop reasons too)"

# --- 5. replay ------------------------------------------------------------------------
"$KPTRACE" replay "$out/capture.pcap" >"$work/replay.jsonl" 2>"$work/replay.err"
assert_eq 0 $? "kptrace replay capture.pcap exits 0"
python3 - "$out/traces.jsonl" "$work/replay.jsonl" <<'PY' && ok "replay of the capture gives the same 3072 records" || fail "replay differs"
import json, sys
def load(f):
    return sorted((json.loads(l) for l in open(f)), key=lambda r: (r["id"], r["method"], r["dst"]))
a, b = load(sys.argv[1]), load(sys.argv[2])
assert len(a) == len(b), (len(a), len(b))
diff = [(x, y) for x, y in zip(a, b) if x != y]
for x, y in diff[:2]:
    print({k: (x[k], y.get(k)) for k in x if x[k] != y.get(k)}, file=sys.stderr)
assert not diff, "%d records differ" % len(diff)
PY

# --- 6. interrupt, refusal, dry run ------------------------------------------------------
ip netns exec "$(tb_ns $vp)" "$KPTRACE" sweep --allowlist-file "$KP_ALLOWLIST" --vp $vp --targets 198.19.176.0/22 \
    --methods udp-paris --pps 100 --out "$work/s2" --no-progress 2>"$work/s2.err" &
pid=$!
sleep 3
assert_eq "600 nobody 600 nobody" "$(stat -c '%a %U' "$work/s2/sweep.json" "$work/s2/sweep.json.tmp" | xargs)" \
    "while the sweep runs (umask $(umask)), sweep.json and sweep.json.tmp are 0600, nobody's"
sleep 1
kill -INT $pid
wait $pid
assert_eq 3 $? "SIGINT: sweep exits 3 (interrupted)"
python3 - "$work/s2" <<'PY' && ok "interrupted sweep: status and counts written" || fail "interrupted sweep.json"
import json, sys
m = json.load(open(sys.argv[1] + "/sweep.json"))
n = sum(1 for _ in open(sys.argv[1] + "/traces.jsonl"))
assert m["status"] == "interrupted", m["status"]
assert m["counts"]["traces"] == n and 0 < n < 1024, (m["counts"], n)
assert m["end"] is not None
PY
assert_eq "600" "$(stat -c %a "$work/s2/sweep.json")" "the interrupted sweep's sweep.json stays 0600 (--resume probes with its key)"
tb_exec $vp "$KPTRACE" sweep --allowlist-file "$KP_ALLOWLIST" --vp $vp --targets 198.19.176.0/24 --out "$out" --no-progress 2>"$work/s3.err"
assert_eq 1 $? "a sweep into a directory holding one is refused"
assert_match "already holds a sweep" "$(cat "$work/s3.err")" "refusal says why"

ip netns exec "$(tb_ns $vp)" tcpdump -n -i isp-eu -w "$work/dry.pcap" 2>/dev/null &
tdpid=$!
sleep 1
tb_exec $vp setpriv --reuid="$nobody_uid" --regid="$nobody_gid" --clear-groups \
    "$KPTRACE" sweep --allowlist-file "$KP_ALLOWLIST" --dry-run --vp $vp --targets 198.19.176.0/24 --methods icmp-paris,tcp-syn \
    --max-ttl 3 >"$work/dry.out" 2>"$work/dry.err"
assert_eq 0 $? "--dry-run runs as nobody (no root)"
sleep 1
kill -INT $tdpid
wait $tdpid 2>/dev/null
assert_eq $((256 * 2 * 3)) "$(wc -l <"$work/dry.out")" "--dry-run prints one line per probe (256 x 2 methods x 3 TTLs)"
assert_eq 0 "$(tcpdump -nr "$work/dry.pcap" 2>/dev/null | grep -c "ttl\|198.19.176")" "--dry-run sent nothing (tcpdump on the VP link)"
assert_match "^IP $src > 198\.19\.176\.[0-9]+: ICMP echo request, id [0-9]+, seq [0-9]+, length [0-9]+ \(ttl [123]," \
    "$(grep -m1 ICMP "$work/dry.out")" "--dry-run line is tcpdump-like"

# progress line: on a terminal (script(1) gives one) with rate and ETA; never
# in a redirected stderr
script -qc "ip netns exec $(tb_ns $vp) $KPTRACE sweep --allowlist-file '$KP_ALLOWLIST' --vp $vp --targets 198.19.177.0/28 \
    --methods icmp-paris --pps 100 --out $work/s4" /dev/null >"$work/tty.out" 2>&1
assert_match "16/16 traces, [0-9]+ probes \([0-9]+/s\), [0-9]+ replies, [0-9]+ saved, ETA [0-9]+m[0-9]+s" \
    "$(tr '\r' '\n' <"$work/tty.out" | grep ETA | tail -1)" "progress line on a terminal: traces, rate, ETA"
assert_eq 0 "$(grep -c ETA "$work/s1.err")" "no progress line when stderr is not a terminal"

# --- 7b. --user, and a directory kptrace does not hand over ---------------------
assert_eq "" "$(find "$work/s2" -name '*.tmp' -print)" "no *.tmp left by the interrupted sweep"
mkdir "$work/s5" # made beforehand, empty: handed to --user
tb_exec $vp "$KPTRACE" sweep --allowlist-file "$KP_ALLOWLIST" --vp $vp --targets 198.19.177.0/29 \
    --methods icmp-paris --pps 200 --user daemon --out "$work/s5" --no-progress 2>"$work/s5.err"
assert_eq 0 $? "sweep --user daemon into an empty directory exits 0 ($(tail -1 "$work/s5.err"))"
assert_eq "daemon:$(id -gn daemon)" "$(stat -c %U:%G "$work/s5")" \
    "--user daemon: an empty directory made for the sweep is handed to daemon"
assert_eq "capture.pcap sweep.json traces.jsonl" "$(cd "$work/s5" && ls -A | xargs)" \
    "--user daemon: the directory holds the three files, no *.tmp"
python3 -c 'import json,sys; m = json.load(open(sys.argv[1])); assert m["status"] == "complete" and m["counts"]["traces"] == 8, m' \
    "$work/s5/sweep.json"
assert_eq 0 $? "--user daemon: sweep.json complete with its 8 traces"
mkdir "$work/s6"
echo "the operator's notes" >"$work/s6/notes.txt"
tb_exec $vp "$KPTRACE" sweep --allowlist-file "$KP_ALLOWLIST" --vp $vp --targets 198.19.177.0/29 \
    --methods icmp-paris --pps 200 --out "$work/s6" --no-progress 2>"$work/s6.err"
assert_eq 0 $? "sweep into a directory holding another file exits 0"
assert_eq "root:root" "$(stat -c %U:%G "$work/s6")" \
    "a directory that already holds a file is not handed over: still root's"
assert_match "s6: not given to --user nobody \(it already holds files" "$(cat "$work/s6.err")" \
    "kptrace says it keeps the directory from --user, and why"
python3 - "$work/s6" <<'PY' && ok "not handed over: sweep.json complete, sweep.json.tmp its complete copy" || fail "kept directory: sweep.json"
import json, sys
m = json.load(open(sys.argv[1] + "/sweep.json"))
assert m["status"] == "complete" and m["counts"]["traces"] == 8, m
assert open(sys.argv[1] + "/sweep.json.tmp").read() == open(sys.argv[1] + "/sweep.json").read()
PY
# --- 7c. what --user may have changed is not followed by root --------------------
# The interrupted sweep's directory belongs to nobody: nobody plants a
# symlink where --resume (as root) would write; the resume is refused and the
# link's target is untouched.
echo "not kptrace's" >"$work/victim"
chmod 644 "$work/victim"
setpriv --reuid="$nobody_uid" --regid="$nobody_gid" --clear-groups \
    ln -s "$work/victim" "$work/s2/sweep.json.tmp"
assert_eq 0 $? "nobody can plant a symlink in the interrupted sweep's directory (it is nobody's)"
tb_exec $vp "$KPTRACE" sweep --resume "$work/s2" --allowlist-file "$KP_ALLOWLIST" 2>"$work/s7.err"
assert_eq 1 $? "--resume with a symlink planted in the directory: refused, exit 1"
assert_match "s2/sweep.json.tmp: a symlink: refused" "$(cat "$work/s7.err")" "the refusal names the planted link"
assert_eq "not kptrace's" "$(cat "$work/victim")" "the link's target is untouched"
assert_eq "nobody" "$(stat -c %U "$work/s2")" "the refused directory is still nobody's (given back)"
rm "$work/s2/sweep.json.tmp"
setpriv --reuid="$nobody_uid" --regid="$nobody_gid" --clear-groups \
    sh -c 'mv "$1/capture.pcap" "$1/capture.away" && ln -s "$2" "$1/capture.pcap"' sh "$work/s2" "$work/victim"
tb_exec $vp "$KPTRACE" sweep --resume "$work/s2" --allowlist-file "$KP_ALLOWLIST" 2>"$work/s9.err"
assert_eq 1 $? "--resume with capture.pcap swapped for a symlink by nobody: refused, exit 1"
assert_match "s2/capture.pcap: a symlink: not followed" "$(cat "$work/s9.err")" "--resume reads capture.pcap only as a regular file"
assert_eq "not kptrace's" "$(cat "$work/victim")" "the second link's target is untouched too"
mkdir -m 0777 "$work/s8"
tb_exec $vp "$KPTRACE" sweep --allowlist-file "$KP_ALLOWLIST" --vp $vp --targets 198.19.177.0/29 \
    --methods icmp-paris --out "$work/s8" --no-progress 2>"$work/s8.err"
assert_eq 1 $? "a world-writable directory without the sticky bit: refused, exit 1"
assert_match "s8: group- or world-writable without the sticky bit" "$(cat "$work/s8.err")" "the refusal says why"
assert_eq "" "$(ls -A "$work/s8")" "nothing was written in it"
rm -rf "$work"
