#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# test_replay_stream — `kptrace replay` streams: its memory is bounded by the
# traces open at once, not by the size of the capture.
#
# replay_bigcap.py writes synthetic captures made of N copies of the
# committed tests/data/pcap/mixed.pcap (five tool runs interleaved:
# traceroute -I, scamper udp-paris, mtr -u, tcptraceroute, traceroute UDP),
# copy k shifted by k*3 s and with its three destinations replaced by fresh
# addresses (checksums kept valid). A small one (300 copies) and a big one
# (about 120 MB) are replayed; the test asserts that
#   - every frame is read (frames = copies x frames of mixed.pcap, as tshark
#     counts them in mixed.tshark),
#   - the big one yields 5 x copies traces, each (tool, method, destination)
#     exactly once,
#   - peak RSS of the big replay stays under 48 MB and within 8 MB of the
#     small one's, though the file is ~40 times larger.
# Needs no namespaces; it is an integration test because it is slow (root is
# still required by lib.sh like every integration test).
source "$(dirname "$0")/lib.sh"

KPTRACE=$KP_BUILD/kptrace
[ -x "$KPTRACE" ] || die "kptrace not built at $KPTRACE"
[ -x /usr/bin/time ] || die "/usr/bin/time not installed (GNU time, for the peak RSS)"
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$KP_SRC/tests/data/pcap/mixed.pcap
per_copy=$(wc -l <"$KP_SRC/tests/data/pcap/mixed.tshark")
work=$(mktemp -d /tmp/kp-replay-stream.XXXXXX)
trap 'rm -rf "$work"; _tb_exit' EXIT

run_one() { # COPIES -> sets rss_kb, traces, frames
    local n=$1
    python3 "$HERE/replay_bigcap.py" "$SRC" "$work/c$n.pcap" "$n" 3 >/dev/null ||
        die "replay_bigcap.py failed"
    tb_log "capture of $n copies: $(du -h "$work/c$n.pcap" | cut -f1)"
    /usr/bin/time -f '%M' -o "$work/rss$n" "$KPTRACE" replay --format json "$work/c$n.pcap" \
        >"$work/c$n.jsonl" 2>"$work/err$n"
    assert_eq 0 $? "replay of $n copies exits 0"
    rss_kb=$(tail -1 "$work/rss$n")
    traces=$(wc -l <"$work/c$n.jsonl")
    frames=$(sed -n 's/.* files, \([0-9]*\) frames.*/\1/p' "$work/err$n")
    tb_log "$n copies: $frames frames, $traces traces, peak RSS $rss_kb kB"
    assert_eq $((n * per_copy)) "$frames" "$n copies: every frame read"
}

run_one 300
small_rss=$rss_kb
run_one 12000
assert_eq $((5 * 12000)) "$traces" "12000 copies: five traces per copy"
assert_eq $((5 * 12000)) "$(python3 -c '
import json, sys
print(len({(t["tool"], t["method"], t["dst"]) for t in map(json.loads, open(sys.argv[1]))}))' "$work/c12000.jsonl")" \
    "each (tool, method, destination) once"
assert_between 0 $((48 * 1024)) "$rss_kb" "peak RSS (kB) of the 120 MB replay"
assert_between 0 $((small_rss + 8 * 1024)) "$rss_kb" "peak RSS (kB) grows by less than 8 MB from 300 to 12000 copies"
