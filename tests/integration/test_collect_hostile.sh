#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# test_collect_hostile — scripts/kp-collect against a hostile vantage point,
# from a local data directory and through the remote (rsync over a stand-in
# remote shell running in vp-asia's namespace, as test_ops_scripts.sh does):
#   - one real sweep (kptrace in the nk testbed) is the template; good copies
#     of it are archived, byte for byte;
#   - sweeps whose files are symlinks to a root-only collector file (counts
#     set to its line count), a sweep directory and a VP directory that are
#     symlinks to collector directories, a hard link to the collector file, a
#     FIFO, a character device, a socket, a 64 GiB sparse capture, a line over
#     --max-line, counts.traces and counts.hops that lie, a directory name that
#     is not a timestamp, a vp that climbs out of the archive, an extra file, a
#     symlinked sweep.json and a capture that is no pcap: each refused with a
#     message naming it and the reason, counted bad, nothing of it archived;
#   - the archive then holds only the good sweeps, only regular files with one
#     link, nothing of the collector's secret; staging is empty; the collector
#     directory and the sources are unchanged; no run hangs (timeout 300);
#   - --max-sweep-size is honoured; a remote that sends nothing is given up
#     after --timeout, one that trickles after --time-limit (with everything it
#     started), and the other sources of that run are still collected;
#   - a second kp-collect on the same archive is refused (exit 75);
#   - kp-report skips (and names) a traces.jsonl that is a symlink in an
#     archive instead of following it.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

KPT=$KP_BUILD/kptrace
KPA=${KPANNOTATE:-$KP_BUILD/kpannotate}
PFX=$KP_SRC/tests/testbed/topologies/nk.pfx2as
COLLECT=$KP_SRC/scripts/kp-collect
REPORT=$KP_SRC/scripts/kp-report
[ -x "$KPT" ] || die "kptrace not built ($KPT)"
[ -x "$KPA" ] || die "kpannotate not built ($KPA)"
command -v rsync >/dev/null || die "rsync not installed (scripts/setup-deps)"
command -v flock >/dev/null || die "flock (util-linux) not installed"

tb_up nk
work=$TB_STATE/hostile # removed with the testbed state
mkdir -p "$work"

# kp_sweep DIR — this test's one kptrace sweep (a /28 from vp-eu).
kp_sweep() {
    ip netns exec "$(tb_ns vp-eu)" "$KPT" sweep --vp vp-eu --out "$1" --targets 198.19.176.0/28 \
        --methods icmp-paris --pps 2000 --wait 300 --no-progress \
        --allowlist-file "$KP_ALLOWLIST"
}
tmpl=$work/template
kp_sweep "$tmpl" >"$work/sweep.log" 2>&1 || die "kptrace sweep failed: $(cat "$work/sweep.log")"
ntraces=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["counts"]["traces"])' "$tmpl/sweep.json")
assert_eq 16 "$ntraces" "the template sweep has 16 traces"

# sweep_copy DIR VP [PYTHON...] — a copy of the template in DIR, sweep.json's vp
# set to VP, then each PYTHON statement run on s (the parsed sweep.json).
sweep_copy() {
    local dir=$1 vp=$2
    shift 2
    mkdir -p "$(dirname "$dir")"
    cp -a "$tmpl" "$dir"
    python3 - "$dir/sweep.json" "$vp" "$@" <<'PY'
import json, sys
path, vp, edits = sys.argv[1], sys.argv[2], sys.argv[3:]
s = json.load(open(path))
s["vp"] = vp
for e in edits:
    exec(e)
json.dump(s, open(path, "w"), indent=2)
PY
}

# The collector's own files: a root-only secret, a directory holding a valid
# sweep, a VP directory holding one. Following any link below would archive them.
col=$work/collector
mkdir -p "$col"
for i in 1 2 3 4 5; do echo "SECRET-MARKER line $i of the collector's key"; done >"$col/kc-secret.txt"
chmod 600 "$col/kc-secret.txt"
sweep_copy "$col/sweepdir" vp-h
sweep_copy "$col/vpdir/20260103T000000Z" vp-link

data=$work/data
g=$data/vp-good h=$data/vp-h
sweep_copy "$g/20260101T000000Z" vp-good
sweep_copy "$g/20260101T060000Z" vp-good
sweep_copy "$h/20260102T000000Z" vp-h
ln -s 20260102T000000Z "$h/latest" # kp-sweep's own link: ignored
# symlinks to the collector's secret, counts.traces = its line count (issue 16)
sweep_copy "$h/20260102T010000Z" vp-h 's["counts"]["traces"] = 5' 'del s["counts"]["hops"]'
ln -sf "$col/kc-secret.txt" "$h/20260102T010000Z/traces.jsonl"
ln -sf "$col/kc-secret.txt" "$h/20260102T010000Z/capture.pcap"
# a sweep directory, and a VP directory, that are symlinks to collector directories
ln -s "$col/sweepdir" "$h/20260102T020000Z"
ln -s "$col/vpdir" "$data/vp-link"
# a hard link to the collector's secret
sweep_copy "$h/20260102T030000Z" vp-h 's["counts"]["traces"] = 5' 'del s["counts"]["hops"]'
ln -f "$col/kc-secret.txt" "$h/20260102T030000Z/traces.jsonl"
# a FIFO nobody writes to (a blocking open would hang)
sweep_copy "$h/20260102T040000Z" vp-h
rm "$h/20260102T040000Z/traces.jsonl" && mkfifo "$h/20260102T040000Z/traces.jsonl"
# a 64 GiB sparse capture (the default limit is 4 GiB)
sweep_copy "$h/20260102T050000Z" vp-h
truncate -s 64G "$h/20260102T050000Z/capture.pcap"
# one line over --max-line's default (1 MiB), counts otherwise right
sweep_copy "$h/20260102T060000Z" vp-h 's["counts"]["traces"] += 1'
python3 -c 'import json; print(json.dumps({"hops": [], "pad": "x" * (2 << 20)}))' \
    >>"$h/20260102T060000Z/traces.jsonl"
# counts that lie
sweep_copy "$h/20260102T070000Z" vp-h 's["counts"]["traces"] += 1'
sweep_copy "$h/20260102T080000Z" vp-h 's["counts"]["hops"] += 1'
# a sweep whose directory is not named by a timestamp
sweep_copy "$h/not-a-timestamp" vp-h
# a character device where traces.jsonl should be (/dev/zero's numbers)
sweep_copy "$h/20260102T090000Z" vp-h
rm "$h/20260102T090000Z/traces.jsonl" && mknod "$h/20260102T090000Z/traces.jsonl" c 1 5
# a vp that climbs out of the archive
escaped=$work/escaped
sweep_copy "$h/20260102T100000Z" vp-h "s['vp'] = '../../escaped'"
# an extra file, a symlinked sweep.json, a socket, a capture that is no pcap
sweep_copy "$h/20260102T110000Z" vp-h
echo "notes" >"$h/20260102T110000Z/notes.txt"
sweep_copy "$h/20260102T120000Z" vp-h
ln -sf "$col/sweepdir/sweep.json" "$h/20260102T120000Z/sweep.json"
sweep_copy "$h/20260102T130000Z" vp-h
rm "$h/20260102T130000Z/capture.pcap"
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$h/20260102T130000Z/capture.pcap"
sweep_copy "$h/20260102T140000Z" vp-h
cp "$col/kc-secret.txt" "$h/20260102T140000Z/capture.pcap"

GOOD="vp-good/20260101T000000Z vp-good/20260101T060000Z vp-h/20260102T000000Z"
# Each refused sweep: its name below the data directory, and the reason.
CASES=(
    "vp-h/20260102T010000Z|traces\.jsonl is a symlink"
    "vp-h/20260102T020000Z|a symlink"
    "vp-link|a symlink"
    "vp-h/20260102T030000Z|HARDLINK"
    "vp-h/20260102T040000Z|traces\.jsonl is a FIFO"
    # the 64 GiB capture (68719476736 bytes) plus the sweep's other files
    "vp-h/20260102T050000Z|add up to 68719[0-9]{6} bytes.*over the limit of 4294967296 \(--max-sweep-size\)"
    "vp-h/20260102T060000Z|traces\.jsonl:17: line longer than 1048576 bytes \(--max-line\)"
    "vp-h/20260102T070000Z|traces\.jsonl: 16 lines, sweep\.json counts\.traces says 17"
    "vp-h/20260102T080000Z|traces\.jsonl: [0-9]+ hop entries, sweep\.json counts\.hops says [0-9]+"
    "vp-h/not-a-timestamp|directory name 'not-a-timestamp' is not a UTC timestamp"
    "vp-h/20260102T090000Z|traces\.jsonl is a character device"
    "vp-h/20260102T100000Z|vp '\.\./\.\./escaped' is not usable as a directory name"
    "vp-h/20260102T110000Z|unexpected entry 'notes\.txt'"
    "vp-h/20260102T120000Z|sweep\.json is a symlink"
    "vp-h/20260102T130000Z|capture\.pcap is a socket"
    "vp-h/20260102T140000Z|capture\.pcap is not a pcap file"
)
NBAD=${#CASES[@]}

# snap DIR — everything about DIR's tree that a write would change.
snap() {
    (cd "$1" && find . -printf '%p %y %s %n %m %T@\n' | sort
        find . -type f -size -1M -exec md5sum {} + | sort)
}
snap "$col" >"$work/col.before"
snap "$data" >"$work/data.before"

# The stand-in remote shell (no sshd in tests): its first argument is the
# host, the rest a command line for a shell, run in vp-asia's namespace.
#   vp-asia.example   plain
#   stall.example     never answers
#   drip.example      answers one byte every 20 ms
rsh=$work/fake-ssh
cat >"$rsh" <<RSH
#!/bin/sh
host=\$1; shift
case "\$host" in
vp-asia.example) exec ip netns exec $(tb_ns vp-asia) sh -c "\$*" ;;
stall.example) exec sleep 600 ;;
drip.example) ip netns exec $(tb_ns vp-asia) sh -c "\$*" | python3 -u -c '
import os, time
while True:
    b = os.read(0, 1)
    if not b:
        break
    os.write(1, b)
    time.sleep(0.02)
' ;;
*) echo "ssh: Could not resolve hostname \$host" >&2; exit 255 ;;
esac
RSH
chmod +x "$rsh"

# collect NAME ARCHIVE ARGS... — run kp-collect (at most 300 s); sets rc, out,
# err (file) and secs.
collect() {
    local name=$1 arch=$2 t0
    shift 2
    err=$work/$name.err
    t0=$(date +%s)
    rc=0
    out=$(timeout 300 "$COLLECT" --archive "$arch" "$@" 2>"$err") || rc=$?
    secs=$(($(date +%s) - t0))
}

# check_hostile MODE ARCHIVE SOURCE-LABEL — the assertions of one hostile run.
check_hostile() {
    local mode=$1 arch=$2 src=$3 c rel why lines hard
    assert_eq 1 "$rc" "$mode: kp-collect exits 1 (refused sweeps), not killed by timeout"
    assert_eq "kp-collect: 3 new, 0 already archived, 0 running, $NBAD bad" "$out" "$mode: summary line"
    if [ "$mode" = local ]; then
        hard="traces\.jsonl has 2 hard links"
    else
        # Through rsync a hard link is the vantage point's own file: what it
        # holds is fetched (here the collector's secret) and refused as content.
        hard="traces\.jsonl:1: not JSON"
    fi
    for c in "${CASES[@]}"; do
        rel=${c%%|*} why=${c#*|}
        [ "$why" = HARDLINK ] && why=$hard
        lines=$(grep -F "$src/$rel:" "$err" || true)
        assert_eq 1 "$(grep -c . <<<"$lines")" "$mode: $rel refused in one message"
        assert_match "^kp-collect: .*/$rel: not archived: .*$why" "$lines" "$mode: $rel: the reason"
    done
    assert_eq "$GOOD" "$(cd "$arch" && find . -mindepth 2 -maxdepth 2 -not -path './.*' | sed 's|^\./||' | sort | tr '\n' ' ' | sed 's/ $//')" \
        "$mode: the archive holds exactly the good sweeps"
    local same=yes r
    for r in $GOOD; do
        for f in sweep.json traces.jsonl capture.pcap; do
            cmp -s "$arch/$r/$f" "$data/$r/$f" || same=no
        done
        [ "$(find "$arch/$r" -mindepth 1 | wc -l)" = 3 ] || same=no
    done
    assert_eq yes "$same" "$mode: good sweeps archived byte for byte, three files each"
    assert_eq "" "$(find "$arch" ! -type f ! -type d)" "$mode: no symlink, FIFO, socket or device in the archive"
    assert_eq "" "$(find "$arch" -type f -links +1)" "$mode: no file with more than one link in the archive"
    assert_eq "" "$(grep -rl SECRET-MARKER "$arch" || true)" "$mode: nothing of the collector's secret in the archive"
    assert_eq "" "$(find "$arch/.staging" -mindepth 1)" "$mode: staging is empty after the run"
    assert_eq "" "$(find "$arch" -type f -perm /6022)" "$mode: no set-id or group/world-writable file"
    assert_eq no "$([ -e "$escaped" ] && echo yes || echo no)" "$mode: nothing written where vp '../../escaped' points"
    snap "$col" >"$work/col.after"
    assert_cmd "$mode: the collector's directory is unchanged" cmp -s "$work/col.before" "$work/col.after"
    snap "$data" >"$work/data.after"
    assert_cmd "$mode: the source is unchanged" cmp -s "$work/data.before" "$work/data.after"
}

# --- local source ----------------------------------------------------------
arch=$work/archive
collect local "$arch" "$data"
tb_log "local hostile collect: ${secs}s"
check_hostile local "$arch" "$data"
collect local2 "$arch" "$data"
assert_eq "kp-collect: 0 new, 3 already archived, 0 running, $NBAD bad" "$out" "local: a second run archives nothing new, refuses the same"

# --- remote source -----------------------------------------------------------
rarch=$work/rarchive
collect remote "$rarch" --ssh "$rsh" "vp-asia.example:$data"
tb_log "remote hostile collect: ${secs}s"
check_hostile remote "$rarch" "vp-asia.example:$data"
assert_eq "" "$(find "$rarch" -maxdepth 1 -name .incoming)" "remote: no mirror of the vantage point is kept"
collect remote2 "$rarch" --ssh "$rsh" "vp-asia.example:$data"
assert_eq "kp-collect: 0 new, 3 already archived, 0 running, $NBAD bad" "$out" "remote: a second run archives nothing new, refuses the same"

# --- the size limit is configurable ------------------------------------------
small=$work/small
sweep_copy "$small/vp-s/20260104T000000Z" vp-s
for mode in local remote; do
    src=$small
    [ "$mode" = remote ] && src=vp-asia.example:$small
    collect "limit-$mode" "$work/limit-$mode" --ssh "$rsh" --max-sweep-size 2K "$src"
    assert_eq "1 kp-collect: 0 new, 0 already archived, 0 running, 1 bad" "$rc $out" "$mode: --max-sweep-size 2K refuses a larger sweep"
    assert_match "20260104T000000Z: not archived: .*over the limit of 2048 \(--max-sweep-size\)" "$(cat "$err")" \
        "$mode: the message gives the limit"
    assert_eq "" "$(find "$work/limit-$mode" -mindepth 1 -not -path '*/.*')" "$mode: nothing archived over the limit"
done

# --- a remote that stalls, one that trickles ------------------------------------
collect stall "$work/stall" --ssh "$rsh" --timeout 2 "stall.example:$data" "$small"
assert_eq 1 "$rc" "a silent remote makes kp-collect exit 1"
assert_match "stall\.example:.*: rsync failed" "$(cat "$err")" "a silent remote is named (rsync failed)"
assert_between 0 60 "$secs" "a silent remote is given up after --timeout 2 (seconds)"
assert_eq "kp-collect: 1 new, 0 already archived, 0 running, 0 bad" "$out" "the next source is still collected"
collect drip "$work/drip" --ssh "$rsh" --timeout 5 --time-limit 4 "drip.example:$data" "$small"
assert_eq 1 "$rc" "a trickling remote makes kp-collect exit 1"
assert_match "drip\.example:.*: stopped after 4 s \(--time-limit\)" "$(cat "$err")" "a trickling remote is stopped after --time-limit"
assert_between 0 60 "$secs" "the trickling remote is given up in time (seconds)"
assert_eq "kp-collect: 1 new, 0 already archived, 0 running, 0 bad" "$out" "the source after it is still collected"
assert_eq "" "$(pgrep -f "$work/fake-ssh drip" || true)" "nothing the stopped source started is left running"
assert_eq "" "$(find "$work/drip/.staging" -mindepth 1)" "the stopped source left nothing in staging"

# --- one kp-collect per archive -------------------------------------------------
rc=0
(flock -n 9 || exit 99; "$COLLECT" --archive "$arch" "$data" >/dev/null 2>"$work/lock.err") 9>>"$arch/.kp-collect.lock" || rc=$?
assert_eq 75 "$rc" "kp-collect exits 75 while another holds the archive's lock"
assert_match "another kp-collect holds .*\.kp-collect\.lock" "$(cat "$work/lock.err")" "and says so"

rc=0
"$COLLECT" --archive "$work/usage" --max-sweep-size 4X "$data" >/dev/null 2>"$work/usage.err" || rc=$?
assert_eq 64 "$rc" "a size kp-collect cannot read is a usage error (64)"
assert_match "--max-sweep-size: '4X' is not a size" "$(cat "$work/usage.err")" "and names the option"

# --- kp-report follows no link in an archive ---------------------------------------
rep=$work/reparch
cp -a "$arch" "$rep"
mkdir -p "$rep/vp-x/20260105T000000Z"
ln -s "$col/kc-secret.txt" "$rep/vp-x/20260105T000000Z/traces.jsonl"
rc=0
"$REPORT" --archive "$rep" --pfx2as "$PFX" --kpannotate "$KPA" --sweep input --out "$work/repout" \
    >/dev/null 2>"$work/report.err" || rc=$?
assert_eq 1 "$rc" "kp-report exits 1 when an archive entry is a symlink"
assert_match "vp-x/20260105T000000Z/traces\.jsonl: a symlink, not a regular file; skipped" "$(cat "$work/report.err")" \
    "kp-report names the symlink"
assert_eq "" "$(grep -rl SECRET-MARKER "$work/repout" "$work/report.err" || true)" "kp-report did not read through it"
assert_eq 3 "$(python3 -c 'import json,sys; print(len({json.loads(l)["sweep"] for l in open(sys.argv[1])}))' "$work/repout/summary.jsonl")" \
    "kp-report still reports the three regular sweeps"
