#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# test_prober_trace_files — `kptrace trace`'s own files, and its table under
# Doubletree, on the testbed's nk topology (vantage point vp-eu).
#
#  1. --pcap FILE and --out FILE are opened by root before the drop to
#     --user, in a directory --user (nobody) owns, where it can plant what
#     it likes: a symlink to a root-only file, a symlink to a name that does
#     not exist yet, a hard link to the root-only file, a file of its own, a
#     FIFO, a directory. Each is refused (exit 1) with a message naming the
#     option, the path and why, before any probe is sent (no output), and
#     the root-only file is untouched. --out and --pcap naming one file are
#     refused.
#  2. A new path and an existing regular file of root's (truncated): the
#     capture is a pcap file tcpdump reads, holding the probes to the
#     target, and `kptrace replay` rebuilds from it the table the live run
#     printed; the file is root's (the user who ran kptrace), written after
#     the drop through its descriptor.
#  3. --doubletree, four targets of one /24: the traces after the first start
#     near the destination, and the TTLs they never probed are printed
#     "not probed (Doubletree: ...)", never '*'. Checked against the run's
#     capture (read by kp_pcap.py, not by kptrace): every "not probed" TTL
#     has no probe to that destination in it, every '*' TTL has one.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/prober_lib.sh"

tb_up nk
work=$TB_STATE/trace-files
mkdir -p "$work"
vp=vp-eu
src=$(tb_addr $vp)
dst=198.19.177.1
# every kptrace run of this test: the testbed's allowlist, no progress line
KPT=("$KPTRACE" trace --allowlist-file "$KP_ALLOWLIST" --no-progress -q --user nobody)

# --- 1. what --user may plant where the capture goes: refused -----------------
victim=$work/victim
printf 'root-only secret\n' >"$victim"
chmod 600 "$victim"
want=$(sha256sum <"$victim")
pub=$work/nobodys
mkdir "$pub"
chown nobody "$pub"
ln -s "$victim" "$pub/link.pcap"
ln -s "$work/made-through-a-link" "$pub/dangling.pcap"
ln "$victim" "$pub/hard.pcap"
printf 'nobody was here\n' >"$pub/theirs.pcap"
mkfifo "$pub/fifo.pcap"
mkdir "$pub/dir.pcap"
chown -h nobody "$pub"/*.pcap
# refused NAME WHY [OPTION]: the run is refused, names the path and why
refused() {
    local name=$1 why=$2 opt=${3:---pcap} path=$pub/$1
    tb_exec $vp timeout 60 "${KPT[@]}" "$opt" "$path" $dst >"$work/r.out" 2>"$work/r.err"
    assert_eq 1 $? "$opt $name ($why): refused, exit 1"
    assert_match "^kptrace trace: $opt $path: $why: refused \(kptrace writes only a new file or a regular file of its own" \
        "$(cat "$work/r.err")" "$opt $name: the message names the path and why"
    assert_eq 0 "$(wc -c <"$work/r.out")" "$opt $name: nothing traced (refused before the first probe)"
    assert_eq "$want" "$(sha256sum <"$victim")" "$opt $name: the root-only file is untouched"
}
refused link.pcap "a symlink"
refused dangling.pcap "a symlink"
assert_eq no "$([ -e "$work/made-through-a-link" ] && echo yes || echo no)" \
    "a dangling symlink: nothing created where it points"
refused hard.pcap "a file with more than one link"
refused theirs.pcap "belongs to uid 65534, not to uid 0 who runs kptrace"
assert_eq "nobody was here" "$(cat "$pub/theirs.pcap")" "nobody's file is untouched"
refused fifo.pcap "not a regular file"
refused dir.pcap "not a regular file"
ln -s "$victim" "$pub/link.txt"
refused link.txt "a symlink" --out
tb_exec $vp "${KPT[@]}" --pcap "$work/same" --out "$work/same" $dst >"$work/r.out" 2>"$work/r.err"
assert_eq 1 $? "--out and --pcap naming one file: exit 1"
assert_match "--out $work/same and --pcap $work/same are the same file" "$(cat "$work/r.err")" \
    "--out and --pcap naming one file: said so"

# --- 2. a new file and an own regular file: a capture tcpdump and replay read --
head -c 100000 /dev/urandom >"$work/old.pcap" # root's, from an earlier run, longer than a trace
for name in "$pub/new.pcap" "$work/old.pcap"; do
    tb_exec $vp "${KPT[@]}" --seed 7301 --pcap "$name" --out "$name.txt" $dst 2>"$work/ok.err"
    assert_eq 0 $? "--pcap $(basename "$name"): exit 0"
    assert_eq "0 regular file" "$(stat -c '%u %F' "$name")" \
        "--pcap $(basename "$name"): a regular file of root's (who ran kptrace)"
    n=$(tcpdump -nr "$name" "ip src $src and dst host $dst" 2>"$work/tcpdump.err" | wc -l)
    assert_between 2 200 "$n" "--pcap $(basename "$name"): tcpdump -r reads it: probes to $dst"
    assert_eq "" "$(grep -v '^reading from file' "$work/tcpdump.err")" \
        "--pcap $(basename "$name"): tcpdump reads it to the end without a complaint"
    "$KPTRACE" replay --seed 7301 --format text "$name" >"$work/replay.txt" 2>"$work/replay.err"
    assert_eq 0 $? "--pcap $(basename "$name"): kptrace replay reads it"
    assert_eq "$(grep -v '^traceroute' "$name.txt")" "$(grep -v '^traceroute' "$work/replay.txt")" \
        "--pcap $(basename "$name"): replay rebuilds the table the live run printed"
    assert_match "^traceroute to $dst " "$(cat "$name.txt")" "--out $(basename "$name").txt: the table"
done

# --- 3. Doubletree: TTLs not probed are said so, never '*' -------------------
targets=(198.19.176.1 198.19.176.2 198.19.176.3 198.19.176.4)
tb_exec $vp "${KPT[@]}" --doubletree --methods udp-paris --pps 300 --seed 7101 \
    --pcap "$work/dt.pcap" "${targets[@]}" >"$work/dt.txt" 2>"$work/dt.err"
assert_eq 0 $? "trace --doubletree: exit 0"
tb_check_lines "the Doubletree table against its capture" python3 - "$work/dt.txt" "$work/dt.pcap" "$src" <<'PY'
import re, socket, sys
sys.path.insert(0, __import__("os").environ["KP_SRC"] + "/tests/integration")
import kp_pcap
text, pcap, src = sys.argv[1:]
probed = {(d, ttl) for d, _, ttl in kp_pcap.probes_in(pcap, socket.inet_aton(src))}
ADDR = r"\d+\.\d+\.\d+\.\d+"
tables, cur = [], None
for line in open(text):
    m = re.match(r"^traceroute to (" + ADDR + r") ", line)
    if m:
        cur = (m.group(1), [])
        tables.append(cur)
    elif cur and re.match(r"^ ?\d+  ", line):
        cur[1].append(line.rstrip("\n"))
def check(cond, msg):
    print(("ok " if cond else "FAIL ") + msg)
check(len(tables) == 4, "four tables (%d)" % len(tables))
n_np = n_star = 0
for dst, lines in tables:
    bad, first_probed = [], min((t for d, t in probed if d == dst), default=0)
    for line in lines:
        ttl = int(line.split()[0])
        if "not probed" in line:
            n_np += 1
            why = ("below a hop an earlier trace passed" if ttl < first_probed
                   else "silent in the /24's first trace")
            if (dst, ttl) in probed:
                bad.append("TTL %d is 'not probed' but the capture has its probe" % ttl)
            if line != "%2d  not probed (Doubletree: %s)" % (ttl, why):
                bad.append("TTL %d: %r, expected the reason %r" % (ttl, line, why))
        elif not re.search(ADDR, line):
            n_star += 1
            if "*" not in line or (dst, ttl) not in probed:
                bad.append("TTL %d: %r, but the capture has no probe at that TTL" % (ttl, line))
    check(not bad, "%s: 'not probed' lines exactly where the capture has no probe%s"
          % (dst, "; " + "; ".join(bad) if bad else ""))
check(n_np >= 1, "later traces did not probe the low TTLs, and say so (%d 'not probed' lines, "
      "%d '*' lines)" % (n_np, n_star))
PY
tb_down
