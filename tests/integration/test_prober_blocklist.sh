#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# test_prober_blocklist — kptrace's target blocklist, run only inside the
# testbed (the `delay` topology: vantage point a, router r, hosts b, c, j in
# 198.18.100.0/24). Every kptrace run below happens inside a's namespace, with
# tcpdump capturing every interface of that namespace (-i any, loopback
# included); each capture must hold no packet at all to a refused address,
# and does hold the probes to the allowed ones (so the capture works). (The
# lab routes 198.18.100.0/28 from a; every probe there is captured, so every
# allowed address gets its record.)
#
#  1. The targets of issue 17 are refused by default, naming the registry
#     block: sweeps of 224.0.0.0/30, 0.0.0.0/30, 240.0.0.0/30, 127.0.0.1/32
#     and `kptrace trace 224.0.0.1`, with --dry-run (no probe listed) and
#     without (exit 1); the testbed's own benchmarking addresses are refused
#     without its allowlist, and the allowlist does not lift multicast.
#  2. Names: a name resolving (dnsmasq started here) to 224.0.0.1 is refused;
#     one resolving to 127.0.0.1 and a testbed address is traced at the
#     latter, the former skipped and said so.
#  3. A prefix partly refused by the default list (an allowlist holding only
#     half of it): probed without the rest; the excluded count on
#     stderr (also with --dry-run -q) and in sweep.json (excluded.addresses,
#     excluded.prefixes with the registry reason); records only for the
#     allowed addresses.
#  4. A --blocklist-file over the testbed's allowlist, through an
#     interrupted and resumed sweep: --resume keeps the stored lists (another
#     --allowlist-file is refused, naming both; a blocklist file changed since
#     is refused, naming what it leaves out now and then); the resumed sweep
#     completes with one record per allowed address and none for the blocked
#     ones, in traces.jsonl, in kptrace's capture.pcap and on the wire.
#  5. A bad line in a list file names the file and the line.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/prober_lib.sh"

tb_up delay
work=$(mktemp -d /tmp/kp-blocklist.XXXXXX)
chmod 755 "$work"
vp=a
ns=$(tb_ns $vp)
src=$(tb_addr a)

# cap_start NAME / cap_stop — tcpdump on every interface of a's namespace
# into $work/NAME.pcap. (Background processes are started with `ip netns
# exec` itself, which execs them: $! is their pid.)
cap_pid=""
cap_start() {
    ip netns exec "$ns" tcpdump -i any -n -U -Z root -w "$work/$1.pcap" 2>"$work/$1.tcpdump.err" &
    cap_pid=$!
    for _ in $(seq 1 50); do
        grep -q "listening on" "$work/$1.tcpdump.err" 2>/dev/null && return 0
        sleep 0.1
    done
    die "tcpdump did not start in $vp ($(cat "$work/$1.tcpdump.err"))"
}
cap_stop() {
    sleep 0.5
    kill -INT "$cap_pid"
    for _ in $(seq 1 50); do
        kill -0 "$cap_pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$cap_pid" 2>/dev/null && fail "tcpdump did not stop on SIGINT"
    wait "$cap_pid"
    cap_pid=""
}
# cap_count PCAP FILTER — packets of the capture that match the filter.
cap_count() { tcpdump -nr "$1" "$2" 2>/dev/null | wc -l; }
kp() { tb_exec $vp "$KPTRACE" "$@"; }

# --- 1. the issue's targets, refused by default -------------------------------
cap_start refused
declare -A want=(
    [224.0.0.0/30]="224.0.0.0/30: multicast (RFC 5771) — refused; --allowlist-file to override"
    [0.0.0.0/30]="0.0.0.0/30: this host on this network (RFC 1122), this network (RFC 791) — refused; --allowlist-file to override"
    [240.0.0.0/30]="240.0.0.0/30: reserved (RFC 1112) — refused; --allowlist-file to override"
    [127.0.0.1/32]="127.0.0.1/32: loopback (RFC 1122) — refused; --allowlist-file to override"
)
for t in 224.0.0.0/30 0.0.0.0/30 240.0.0.0/30 127.0.0.1/32; do
    kp sweep --dry-run --vp $vp --targets $t >"$work/dry.out" 2>"$work/dry.err"
    rc=$?
    assert_eq "1:kptrace sweep: ${want[$t]}" "$rc:$(cat "$work/dry.err")" "sweep --dry-run --targets $t: refused, exit 1"
    assert_eq "" "$(cat "$work/dry.out")" "sweep --dry-run --targets $t: no probe listed"
    kp sweep --vp $vp --targets $t --out "$work/s-${t%/*}" --no-progress >/dev/null 2>"$work/run.err"
    rc=$?
    assert_eq "1:kptrace sweep: ${want[$t]}" "$rc:$(cat "$work/run.err")" "sweep --targets $t: refused, exit 1"
    [ -e "$work/s-${t%/*}/sweep.json" ] && fail "sweep --targets $t left a sweep.json" || ok "sweep --targets $t wrote nothing"
done
kp trace --dry-run 224.0.0.1 >"$work/dry.out" 2>"$work/dry.err"
rc=$?
assert_eq "1:kptrace trace: 224.0.0.1: multicast (RFC 5771) — refused; --allowlist-file to override" \
    "$rc:$(cat "$work/dry.err")" "trace --dry-run 224.0.0.1: refused, exit 1"
assert_eq "" "$(cat "$work/dry.out")" "trace --dry-run 224.0.0.1: no probe listed"
kp trace --no-progress 224.0.0.1 >/dev/null 2>"$work/run.err"
assert_eq 1 $? "trace 224.0.0.1: exit 1"
kp trace --no-progress --allowlist-file "$KP_ALLOWLIST" 224.0.0.1 >/dev/null 2>"$work/run.err"
assert_eq "1:kptrace trace: 224.0.0.1: multicast (RFC 5771) — refused; --allowlist-file to override" \
    "$?:$(cat "$work/run.err")" "trace 224.0.0.1 with the testbed's allowlist: still refused"
kp trace --no-progress 255.255.255.255 >/dev/null 2>"$work/run.err"
assert_eq "1:kptrace trace: 255.255.255.255: limited broadcast (RFC 919) — refused; --allowlist-file to override" \
    "$?:$(cat "$work/run.err")" "trace 255.255.255.255: refused by the list, not by routing"
b=$(tb_addr b)
kp trace --no-progress "$b" >/dev/null 2>"$work/run.err"
assert_eq "1:kptrace trace: $b: benchmarking (RFC 2544) — refused; --allowlist-file to override" \
    "$?:$(cat "$work/run.err")" "trace $b (the testbed's benchmarking space) without the allowlist: refused"
# the control: an allowed trace in the same capture
kp trace --no-progress -q --allowlist-file "$KP_ALLOWLIST" --max-ttl 3 --wait 300 "$b" >"$work/ok.out" 2>&1
assert_eq 0 $? "trace $b with the testbed's allowlist: exit 0"

# --- 2. names --------------------------------------------------------------------
ip netns exec "$ns" dnsmasq --keep-in-foreground --no-resolv --no-hosts --bind-interfaces \
    --listen-address=127.0.0.1 --port=5353 --address=/mc.kp.test/224.0.0.1 \
    --host-record=two.kp.test,127.0.0.1 --host-record=two.kp.test,"$b" \
    --pid-file="$work/dnsmasq.pid" 2>"$work/dnsmasq.err" &
dns_pid=$!
for _ in $(seq 1 50); do
    tb_exec $vp ss -Hlun | grep -q ':5353 ' && break
    sleep 0.1
done
kp trace --no-progress --dns-server 127.0.0.1:5353 --allowlist-file "$KP_ALLOWLIST" mc.kp.test \
    >/dev/null 2>"$work/name.err"
assert_eq "1:kptrace trace: mc.kp.test (224.0.0.1): multicast (RFC 5771) — refused; --allowlist-file to override" \
    "$?:$(cat "$work/name.err")" "a name resolving to 224.0.0.1 is refused"
kp trace --no-progress --dns-server 127.0.0.1:5353 --allowlist-file "$KP_ALLOWLIST" --format json \
    --max-ttl 3 --wait 300 two.kp.test >"$work/two.jsonl" 2>"$work/two.err"
assert_eq 0 $? "a name resolving to 127.0.0.1 and $b: exit 0"
assert_eq "$b two.kp.test" "$(python3 -c 'import json,sys; t=json.loads(open(sys.argv[1]).readline()); print(t["dst"], t["dst_name"])' "$work/two.jsonl")" \
    "... traced at $b, under its name"
# (c-ares orders the answers itself: 127.0.0.1 is said to be skipped when it came first)
assert_match "^(kptrace trace: two.kp.test: 127.0.0.1 skipped: loopback \(RFC 1122\))?$" \
    "$(grep -v '^kptrace: ' "$work/two.err")" "... 127.0.0.1 skipped, and said so when it came first"
kp trace --no-progress --dns-server 127.0.0.1:5353 two.kp.test >/dev/null 2>"$work/two-no.err"
assert_match "^1:kptrace trace: two.kp.test \((127.0.0.1, $b|$b, 127.0.0.1)\): .*loopback \(RFC 1122\).* — refused" \
    "$?:$(cat "$work/two-no.err")" "without the allowlist both addresses are refused"
kill "$dns_pid" 2>/dev/null
wait "$dns_pid" 2>/dev/null
cap_stop
blocked='ip and (dst net 224.0.0.0/4 or dst net 0.0.0.0/8 or dst net 240.0.0.0/4 or dst host 255.255.255.255 or dst net 127.0.0.0/8) and not igmp and not port 5353'
assert_eq 0 "$(cap_count "$work/refused.pcap" "$blocked")" \
    "no packet to 224.0.0.0/4, 0.0.0.0/8, 240.0.0.0/4, 127/8 left any interface of $vp (DNS aside)"
assert_eq 0 "$(cap_count "$work/refused.pcap" "dst host 127.0.0.1 and not port 5353")" "no probe to 127.0.0.1"
n=$(cap_count "$work/refused.pcap" "src host $src and dst host $b and icmp[icmptype] == icmp-echo")
assert_between 2 1000 "$n" "the capture holds the allowed traces' probes to $b"

# --- 3. a prefix partly refused by the default list ---------------------------------
# (the lab routes 198.18.100.0/28 from a: r's links to b, c and j)
printf '# half of the delay lab\n198.18.100.4/30   # b\n198.18.100.12/30  # j\n' >"$work/half.conf"
kp sweep --dry-run -q --vp $vp --targets 198.18.100.0/28 --max-ttl 1 --allowlist-file "$work/half.conf" \
    >"$work/h-dry.out" 2>"$work/h-dry.err"
assert_eq 0 $? "sweep --dry-run of a partly refused /28: exit 0"
assert_eq "kptrace sweep: 198.18.100.0/28: 8 of 16 addresses left out (blocklist):
kptrace sweep:     198.18.100.0/30: benchmarking (RFC 2544)
kptrace sweep:     198.18.100.8/30: benchmarking (RFC 2544)" "$(cat "$work/h-dry.err")" \
    "--dry-run -q shows the exclusions"
assert_eq 8 "$(wc -l <"$work/h-dry.out")" "--dry-run lists 8 probes (TTL 1 to each allowed address)"
assert_eq 0 "$(grep -cE '> 198\.18\.100\.([0-3]|8|9|10|11):' "$work/h-dry.out")" \
    "--dry-run lists no probe to the excluded .0-.3, .8-.11"
cap_start half
kp sweep --vp $vp --targets 198.18.100.0/28 --allowlist-file "$work/half.conf" --max-ttl 3 \
    --wait 300 --pps 200 --out "$work/h" --no-progress >/dev/null 2>"$work/h.err"
assert_eq 0 $? "sweep of a partly refused /28: exit 0"
cap_stop
assert_match "198.18.100.0/28: 8 of 16 addresses left out \(blocklist\)" "$(cat "$work/h.err")" \
    "the excluded count is printed"
tb_check_lines "partly refused sweep.json/traces.jsonl" python3 - "$work/h" "$work/half.conf" <<'PY'
import json, os, sys
d, allow = sys.argv[1], sys.argv[2]
m = json.load(open(os.path.join(d, "sweep.json")))
def check(c, what):
    print(("ok " if c else "FAIL ") + what)
check(m["status"] == "complete", "status complete (%s)" % m["status"])
ex = m.get("excluded", {})
check(ex.get("addresses") == 8, "excluded.addresses = 8 (%s)" % ex.get("addresses"))
want = [{"prefix": "198.18.100.0/30", "reason": "benchmarking (RFC 2544)", "list": "default"},
        {"prefix": "198.18.100.8/30", "reason": "benchmarking (RFC 2544)", "list": "default"}]
check(ex.get("prefixes") == want, "excluded.prefixes name the blocks and the reason (%s)" % ex.get("prefixes"))
check(m["options"]["allowlist_file"] == os.path.realpath(allow), "options.allowlist_file is the file's absolute path")
check(m["options"]["blocklist_file"] is None, "options.blocklist_file null")
check(m["targets"] == ["198.18.100.0/28"], "targets as given")
check(m["counts"]["traces_planned"] == 8, "traces_planned = 8 (%s)" % m["counts"]["traces_planned"])
dsts = sorted(json.loads(l)["dst"] for l in open(os.path.join(d, "traces.jsonl")))
want = sorted("198.18.100.%d" % i for i in (4, 5, 6, 7, 12, 13, 14, 15))
check(dsts == want, "one record per allowed address, none else (%s)" % dsts)
PY
half_out="src host $src and (dst net 198.18.100.0/30 or dst net 198.18.100.8/30)"
assert_eq 0 "$(cap_count "$work/half.pcap" "$half_out")" \
    "no packet from $vp to the excluded 198.18.100.0/30, 198.18.100.8/30 on the wire"
assert_eq 0 "$(cap_count "$work/h/capture.pcap" "$half_out")" "... nor in kptrace's capture.pcap"
n=$(cap_count "$work/half.pcap" "src host $src and (dst net 198.18.100.4/30 or dst net 198.18.100.12/30)")
assert_between 8 100000 "$n" "the probes to the allowed half are on the wire"

# --- 4. --blocklist-file, interrupted and resumed ------------------------------------
printf '198.18.100.12/30  # opt-out (j)\n198.18.100.9\n' >"$work/block.conf"
cp "$work/block.conf" "$work/block.orig"
cap_start resume
ip netns exec "$ns" "$KPTRACE" sweep --vp $vp --targets 198.18.100.8/29 --allowlist-file "$KP_ALLOWLIST" \
    --blocklist-file "$work/block.conf" --max-ttl 3 --wait 1000 --pps 1 --no-doubletree \
    --out "$work/r" --no-progress 2>"$work/r1.err" &
pid=$!
# interrupted mid-run: 3 traces x 3 TTLs at 1 pps send for 8 s or more, and
# a record is written only once its trace's slot is taken or at the end of
# the run, so wait for the run to start (sweep.json) and 2 s of probes
for _ in $(seq 1 150); do
    sleep 0.1
    [ -s "$work/r/sweep.json" ] && break
done
sleep 2
kill -INT $pid
wait $pid
assert_eq 3 $? "the sweep with a --blocklist-file is interrupted (exit 3)"
assert_match "198.18.100.8/29: 5 of 8 addresses left out \(blocklist\):.*198.18.100.9/32: $work/block.conf:2 .*198.18.100.12/30: $work/block.conf:1 \(opt-out \(j\)\)" \
    "$(tr '\n' ' ' <"$work/r1.err")" "the excluded blocks are printed with file, line and comment"
kp sweep --resume "$work/r" --allowlist-file "$work/half.conf" >/dev/null 2>"$work/r2.err"
rc=$?
assert_eq "2:kptrace sweep: --allowlist-file: $work/half.conf given, the sweep was run with $(realpath "$KP_ALLOWLIST") (a resumed sweep keeps the options stored in $work/r/sweep.json)" \
    "$rc:$(cat "$work/r2.err")" "--resume with another --allowlist-file: refused, naming both"
printf '198.18.100.11\n' >>"$work/block.conf"
kp sweep --resume "$work/r" >/dev/null 2>"$work/r3.err"
assert_eq "1:kptrace sweep: $work/r/sweep.json: the blocklist now leaves out 198.18.100.9/32,198.18.100.11/32,198.18.100.12/30, the sweep left out 198.18.100.9/32,198.18.100.12/30: a resumed sweep must probe the same addresses (restore the list files as they were, or start a new sweep)" \
    "$?:$(grep -v 'left out (blocklist)\|^kptrace sweep:     ' "$work/r3.err")" \
    "--resume after the blocklist file changed: refused, naming both"
cp "$work/block.orig" "$work/block.conf"
kp sweep --resume "$work/r" --blocklist-file "$work/block.conf" >/dev/null 2>"$work/r4.err"
assert_eq 0 $? "--resume with the stored lists (and the same --blocklist-file repeated): exit 0"
cap_stop
tb_check_lines "resumed sweep.json/traces.jsonl" python3 - "$work/r" "$work/block.conf" <<'PY'
import json, os, sys
d, block = sys.argv[1], sys.argv[2]
m = json.load(open(os.path.join(d, "sweep.json")))
def check(c, what):
    print(("ok " if c else "FAIL ") + what)
check(m["status"] == "complete", "status complete (%s)" % m["status"])
check(len(m.get("parts", [])) == 2, "two parts")
check(m["options"]["blocklist_file"] == os.path.realpath(block), "options.blocklist_file kept")
ex = m["excluded"]
check(ex["addresses"] == 5, "excluded.addresses = 5 (%s)" % ex["addresses"])
check([(p["prefix"], p["list"]) for p in ex["prefixes"]] == [("198.18.100.9/32", "blocklist-file"), ("198.18.100.12/30", "blocklist-file")],
      "excluded.prefixes: the two file entries (%s)" % ex["prefixes"])
check(ex["prefixes"][1]["reason"] == "%s:1 (opt-out (j))" % os.path.realpath(block), "reason names file, line, comment")
recs = [json.loads(l) for l in open(os.path.join(d, "traces.jsonl"))]
dsts = sorted(r["dst"] for r in recs)
check(dsts == ["198.18.100.10", "198.18.100.11", "198.18.100.8"],
      "one record per allowed address across both parts, none for the blocked (%s)" % dsts)
PY
resumed_out="src host $src and (dst net 198.18.100.12/30 or dst host 198.18.100.9)"
assert_eq 0 "$(cap_count "$work/resume.pcap" "$resumed_out")" \
    "no packet from $vp to the --blocklist-file entries on the wire, in either part"
assert_eq 0 "$(cap_count "$work/r/capture.pcap" "$resumed_out")" "... nor in kptrace's capture.pcap"
n=$(cap_count "$work/resume.pcap" "src host $src and dst host $(tb_addr c)")
assert_between 1 1000 "$n" "the probes to $(tb_addr c) (allowed) are on the wire"

# --- 5. a bad line names the file and the line ----------------------------------------
printf '# lab\n198.18.100.0/24\n198.18.100.1/24\n' >"$work/bad.conf"
kp sweep --dry-run --vp $vp --targets 198.18.100.0/24 --allowlist-file "$work/bad.conf" >/dev/null 2>"$work/bad.err"
assert_eq "1:kptrace sweep: --allowlist-file $work/bad.conf:3: \"198.18.100.1/24\": host bits set beyond /24 (198.18.100.0/24?)" \
    "$?:$(cat "$work/bad.err")" "a bad allowlist line: file and line named, exit 1"
kp trace --dry-run --allowlist-file "$KP_ALLOWLIST" --blocklist-file "$work/missing.conf" "$b" \
    >/dev/null 2>"$work/bad.err"
assert_eq "1:kptrace trace: --blocklist-file $work/missing.conf: No such file or directory" \
    "$?:$(cat "$work/bad.err")" "a missing blocklist file: named, exit 1"

rm -rf "$work"
