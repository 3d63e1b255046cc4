#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# test_watch_seed — `kptrace watch` gives every hour its own seed (the
# identity key's), and a file holding a seed in use is its user's alone
# (docs/security.md, "learn the key from a published file").
#
# The clock is libfaketime's (both clocks shifted alike, as they run), so
# that hours pass in seconds: watch from vp-eu over 198.19.176.0/24
# (icmp-paris; umask 022), started at 10:59:45 UTC of a day:
#   A. in hour 10: DIR/state and 10Z/sweep.json are 0600 and nobody's (the
#      user watch drops to), DIR/status 0644; past 11:00, 10Z/sweep.json is
#      "complete" and 0644, 11Z/sweep.json 0600, the two hours' seeds
#      differ, the checkpoint holds hour 11's; kill -9 in hour 11;
#   B. restart at 11:00:40 (same hour): 11Z/sweep.json keeps hour 11's
#      seed (it is the checkpoint's), stays 0600 while running and after
#      SIGTERM ("interrupted": a restart within the hour keys with it again);
#   C. restart at 12:00:05: a new seed for hour 12; 11Z/sweep.json, whose key
#      is used no more, becomes 0644.
# Then every hour's capture (hour 11's from both runs A and B) replays with
# its own sweep.json with no rejected reply, rebuilding the live traces;
# hour 11's capture replayed with hour 10's seed (--seed), and hour 12's
# with hour 11's, validates nothing: its probes fail the keyed check (taken
# for another run's) and no reply is accepted. A closed hour's published
# seed does not validate the next hour's probes and replies.
source "$(dirname "$0")/lib.sh"

KPT=$KP_BUILD/kptrace
PFX=$KP_SRC/tests/testbed/topologies/nk.pfx2as
[ -x "$KPT" ] || die "kptrace not built ($KPT)"
FT=$(find /usr/lib -name libfaketimeMT.so.1 -print -quit 2>/dev/null)
[ -n "$FT" ] || die "libfaketime not installed (scripts/setup-deps: faketime)"

tb_up nk
umask 022
work=$(mktemp -d /tmp/kp-wseed.XXXXXX)
chmod 755 "$work"
out=$work/out
DAY=2026-12-06
H10=20261206T10Z H11=20261206T11Z H12=20261206T12Z
WATCH=("$KPT" watch --allowlist-file "$KP_ALLOWLIST" --keep-special "$KP_TESTBED_KEEP"
    --no-progress -q --vp vp-eu --targets 198.19.176.0/24 --methods icmp-paris
    --pps 200 --wait 800 --pfx2as "$PFX" --out "$out")
pid=""
trap 'rc=$?; [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; (exit $rc); _tb_exit' EXIT

# watch_at TIME ERRFILE — start watch in vp-eu with the clock at DAY TIME
# (ip netns exec and env exec kptrace: $pid is its own).
watch_at() {
    ip netns exec "$(tb_ns vp-eu)" env TZ=UTC LD_PRELOAD="$FT" FAKETIME="@$DAY $1" \
        "${WATCH[@]}" 2>"$2" &
    pid=$!
}
# wait_file SECONDS PATH — until PATH exists and is not empty; 1 on timeout.
wait_file() {
    local end=$((SECONDS + $1))
    while [ $SECONDS -lt $end ]; do
        [ -s "$2" ] && return 0
        sleep 0.5
    done
    return 1
}
seed_of() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["options"]["seed"])' "$1"; }
status_of() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["status"])' "$1"; }
state_get() { sed -n "s/^$1 //p" "$out/state"; }
mode() { stat -c '%a %U' "$@" | xargs; }

# --- A. hour 10, then hour 11 ---------------------------------------------------
watch_at "10:59:45" "$work/a.err"
wait_file 30 "$out/$H10/traces.jsonl" || die "hour 10's first traces within 30 s: $(cat "$work/a.err")"
sleep 2
assert_eq "600 nobody 600 nobody" "$(mode "$out/state" "$out/$H10/sweep.json")" \
    "hour 10 running: the checkpoint and the hour's sweep.json are 0600, the dropped user's"
assert_eq "644 nobody" "$(mode "$out/status")" "the status file (no seed) is 0644"
seed10=$(seed_of "$out/$H10/sweep.json")
assert_eq "$seed10 $H10" "$(state_get seed) $(state_get hour)" "the checkpoint holds hour 10's seed"
wait_file 40 "$out/$H11/traces.jsonl" || die "hour 11's first traces within 40 s: $(cat "$work/a.err")"
sleep 3
assert_eq "complete" "$(status_of "$out/$H10/sweep.json")" "hour 10's sweep.json complete"
assert_eq "644 nobody" "$(mode "$out/$H10/sweep.json")" "a complete hour's sweep.json is 0644 (umask 022)"
assert_eq "600 nobody" "$(mode "$out/$H11/sweep.json")" "hour 11 running: its sweep.json 0600"
seed11=$(seed_of "$out/$H11/sweep.json")
assert_ne "$seed10" "$seed11" "hour 11 has a seed of its own"
assert_eq "$seed11 $H11" "$(state_get seed) $(state_get hour)" "the checkpoint holds hour 11's seed"
kill -9 "$pid"
wait "$pid" 2>/dev/null
pid=""

# --- B. restart within hour 11 ---------------------------------------------------
n11=$(wc -l <"$out/$H11/traces.jsonl")
watch_at "11:00:40" "$work/b.err"
end=$((SECONDS + 30))
while [ $SECONDS -lt $end ] && [ "$(wc -l <"$out/$H11/traces.jsonl")" -le "$((n11 + 20))" ]; do sleep 0.5; done
assert_cmd "the restart traced on in hour 11" test "$(wc -l <"$out/$H11/traces.jsonl")" -gt "$((n11 + 20))"
assert_eq "$seed11" "$(seed_of "$out/$H11/sweep.json")" "a restart within hour 11 keeps hour 11's seed"
assert_eq "600 nobody 600 nobody" "$(mode "$out/state" "$out/$H11/sweep.json")" \
    "after the restart: the checkpoint and hour 11's sweep.json 0600"
kill -TERM "$pid"
wait "$pid"
assert_eq 0 $? "watch ends with status 0 on SIGTERM" || cat "$work/b.err" >&2
pid=""
assert_eq "interrupted 600" "$(status_of "$out/$H11/sweep.json") $(stat -c %a "$out/$H11/sweep.json")" \
    "a stop leaves hour 11 interrupted and 0600 (a restart within the hour keys with it again)"

# --- C. hour 12 -------------------------------------------------------------------
watch_at "12:00:05" "$work/c.err"
wait_file 30 "$out/$H12/traces.jsonl" || die "hour 12's first traces within 30 s: $(cat "$work/c.err")"
sleep 3
kill -TERM "$pid"
wait "$pid"
assert_eq 0 $? "watch (hour 12) ends with status 0 on SIGTERM" || cat "$work/c.err" >&2
pid=""
seed12=$(seed_of "$out/$H12/sweep.json")
assert_ne "$seed11" "$seed12" "hour 12 has a seed of its own"
assert_ne "$seed10" "$seed12" "hour 12's seed is not hour 10's"
assert_eq "644 nobody" "$(mode "$out/$H11/sweep.json")" \
    "once watch went on to hour 12, hour 11's sweep.json (its key used no more) is 0644"
assert_eq "" "$(find "$out" -name '*.tmp' -print)" "no *.tmp left"

# --- replays ------------------------------------------------------------------------
# counts FILE — "probes replies rejected" of a replay's stderr; recon FILE —
# the "counts reconcile" line's numbers, in its order: frames probes foreign
# replies lost duplicates expired unmatched rejected ambiguous unrelated
# undecodable
counts() { sed -n 's/^replay: .* files, .* \([0-9]*\) probes, \([0-9]*\) replies (.*, [0-9]* unmatched, \([0-9]*\) rejected,.*/\1 \2 \3/p' "$1"; }
recon() { sed -n 's/^replay: counts reconcile: \(.*\); the .*/\1/p' "$1" | grep -o '[0-9][0-9]*' | tr '\n' ' '; }
# orphans PCAP — the ICMP replies (echo replies, errors quoting an echo
# request) whose request is not in the capture before them: a reply to a
# probe of the process killed with -9 in hour 11, whose frame went with its
# unflushed buffer, captured by the restarted process (the only replies the
# keyed check can reject here)
orphans() {
    python3 - "$1" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
end = "<" if d[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
link = {1: 14, 113: 16, 101: 0, 12: 0, 14: 0}[struct.unpack(end + "I", d[20:24])[0]]
off, seen, n = 24, set(), 0
while off + 16 <= len(d):
    cl = struct.unpack(end + "I", d[off + 8:off + 12])[0]
    p = d[off + 16 + link:off + 16 + cl]
    off += 16 + cl
    if len(p) < 28 or p[0] >> 4 != 4 or p[9] != 1:
        continue
    l4 = p[(p[0] & 15) * 4:]
    if l4[0] == 8:
        seen.add((p[16:20], l4[4:8]))
    elif l4[0] == 0:
        n += (p[12:16], l4[4:8]) not in seen
    elif l4[0] in (3, 11) and len(l4) >= 36:
        q = l4[8:]
        ql4 = q[(q[0] & 15) * 4:]
        n += q[9] == 1 and len(ql4) >= 8 and ql4[0] == 8 and (q[16:20], ql4[4:8]) not in seen
print(n)
PY
}
for h in $H10 $H11 $H12; do
    "$KPT" replay "$out/$h/capture.pcap" >"$work/$h.replay" 2>"$work/$h.err"
    assert_eq 0 $? "replay of $h's capture exits 0" || cat "$work/$h.err" >&2
    read -r _ replies rejected <<<"$(counts "$work/$h.err")"
    assert_eq "$(orphans "$out/$h/capture.pcap")" "$rejected" \
        "$h replayed with its sweep.json: the only replies rejected are those whose probe is not in the capture ($replies replies)"
    tb_check_lines "replay $h" python3 - "$out/$h/traces.jsonl" "$work/$h.replay" "$h" <<'PY'
import json, sys
live = {}
for l in open(sys.argv[1]):
    r = json.loads(l)
    live[r["id"]] = r
rep = [json.loads(l) for l in open(sys.argv[2])]
h = sys.argv[3]
same = sum(1 for r in rep if r["id"] in live and r["dst"] == live[r["id"]]["dst"]
           and len(r["hops"]) == len(live[r["id"]]["hops"]))
print(("ok " if len(live) > 0 and same >= 0.95 * len(live) else "FAIL ")
      + f"{h}: {same} of {len(live)} live traces rebuilt from the capture with as many hops")
PY
done
# wrong_seed HOUR SEED LABEL — the hour's capture replayed with another
# hour's seed: none of its probes is taken for this run's (another run's, by
# the keyed check), so no destination is known and every frame the own-seed
# replay took as a reply of any kind (accepted, lost, duplicate, expired,
# unmatched, rejected, ambiguous) is unmatched; unrelated and undecodable
# frames stay what they were.
wrong_seed() {
    local h=$1 seed=$2 label=$3
    local fr pr fo re lo du ex un rj am ur ud
    read -r fr pr fo re lo du ex un rj am ur ud <<<"$(recon "$work/$h.err")"
    "$KPT" replay --seed "$seed" "$out/$h/capture.pcap" >"$work/$h.wrong" 2>"$work/$h.wrong.err"
    assert_eq "0 0 0 0" "$(counts "$work/$h.wrong.err") $(wc -l <"$work/$h.wrong")" \
        "$h replayed with $label's seed: 0 probes, 0 replies, 0 rejected, 0 traces"
    local w_fr w_pr w_fo w_re w_lo w_du w_ex w_un w_rj w_am w_ur w_ud
    read -r w_fr w_pr w_fo w_re w_lo w_du w_ex w_un w_rj w_am w_ur w_ud <<<"$(recon "$work/$h.wrong.err")"
    # No destination is known, so nothing is a reply, lost, duplicate,
    # expired, rejected or ambiguous; a duplicate of the own replay was a
    # probe's (now another run's) or a reply's (now unmatched), so only the
    # sum of the two is fixed, and each is at least its share without them.
    assert_eq "$fr 0 0 0 0 0 0 0 $ur $ud $((pr + fo + re + lo + du + ex + un + rj + am))" \
        "$w_fr $w_pr $w_re $w_lo $w_du $w_ex $w_rj $w_am $w_ur $w_ud $((w_fo + w_un))" \
        "$h with $label's seed: the same $fr frames; every probe another run's, every reply frame unmatched" ||
        cat "$work/$h.err" "$work/$h.wrong.err" >&2
    assert_eq "yes yes" "$([ "$w_fo" -ge $((fo + pr)) ] && echo yes) $([ "$w_un" -ge $((re + lo + ex + un + rj + am)) ] && echo yes)" \
        "$h with $label's seed: its $pr probes among the $w_fo another run's, its $re replies among the $w_un unmatched"
}
wrong_seed $H11 "$seed10" "hour 10"
wrong_seed $H12 "$seed11" "hour 11"

tb_down
[ "$TB_FAILED" = 0 ] && rm -rf "$work"
tb_summary
