#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# test_replay_counts — `kptrace replay` says whether its counts reconcile,
# stops at a corrupt capture with the byte offset after writing everything
# decided before it, and fails when its output cannot be written.
#
#   1. Every committed capture: the counts reconcile (stderr says so: every
#      frame is a probe, a reply or a counted reason, and every probe and
#      reply is in a written trace); exit 0, or 1 for the damaged ones.
#   2. mixed.pcap (five tool runs interleaved, 100 frames) with the record
#      header of frame 61 made impossible (a capture length of 2^31): exit
#      1, the message names the file and the byte offset of that record
#      (worked out here from the pcap format), and stdout is exactly the
#      replay of the file cut just before that record: the traces decided
#      from the frames before the damage, nothing else. Given a second
#      capture after it, the second is not read (same stdout) and the
#      message says so.
#   3. Output to /dev/full: exit 1, "writing the output".
# Needs no namespaces (lib.sh still wants root, like every integration test).
source "$(dirname "$0")/lib.sh"

KPTRACE=$KP_BUILD/kptrace
[ -x "$KPTRACE" ] || die "kptrace not built at $KPTRACE"
DATA=$KP_SRC/tests/data/pcap
work=$(mktemp -d /tmp/kp-replay-counts.XXXXXX)
trap 'rm -rf "$work"; _tb_exit' EXIT

# 1. the committed captures
for f in "$DATA"/*.pcap "$DATA"/*.pcapng; do
    n=$(basename "$f")
    "$KPTRACE" replay "$f" >/dev/null 2>"$work/err"
    rc=$?
    case $n in
    bad_text.pcap) assert_eq 1 "$rc" "$n: not a capture, exit 1"; continue ;;
    bad_cutfile.pcap | bad_garbage.pcap) assert_eq 1 "$rc" "$n: damaged, exit 1" ;;
    *) assert_eq 0 "$rc" "$n: exit 0" ;;
    esac
    assert_eq 1 "$(grep -c '^replay: counts reconcile: [0-9]* frames = ' "$work/err")" \
        "$n: the counts reconcile"
done

# 2. a corrupt record in the middle
off=$(python3 - "$DATA/mixed.pcap" "$work/corrupt.pcap" "$work/prefix.pcap" <<'EOF'
import struct, sys
d = bytearray(open(sys.argv[1], "rb").read())
assert d[:4] == b"\xd4\xc3\xb2\xa1" or d[:4] == b"\x4d\x3c\xb2\xa1"
off = 24
for _ in range(60):  # skip 60 records
    off += 16 + struct.unpack_from("<I", d, off + 8)[0]
open(sys.argv[3], "wb").write(d[:off])
struct.pack_into("<I", d, off + 8, 1 << 31)  # caplen of record 61
open(sys.argv[2], "wb").write(d)
print(off)
EOF
)
tb_log "record 61 of mixed.pcap starts at byte $off"
"$KPTRACE" replay "$work/prefix.pcap" >"$work/prefix.jsonl" 2>"$work/prefix.err"
assert_eq 0 $? "the clean prefix replays (exit 0)"
"$KPTRACE" replay "$work/corrupt.pcap" >"$work/corrupt.jsonl" 2>"$work/corrupt.err"
assert_eq 1 $? "a corrupt capture: exit 1"
assert_match "corrupt\.pcap: cut or corrupt capture at offset $off \(after frame 60\)" \
    "$(cat "$work/corrupt.err")" "the message names the file and the offset of the bad record"
assert_match "the traces up to there are written" "$(cat "$work/corrupt.err")" \
    "the message says what was written"
assert_eq "$(cat "$work/prefix.jsonl")" "$(cat "$work/corrupt.jsonl")" \
    "everything decided before the damage is written, nothing after it"
assert_ne 0 "$(wc -l <"$work/corrupt.jsonl")" "traces were decided before the damage"
"$KPTRACE" replay "$work/corrupt.pcap" "$DATA/tr_udp.pcap" >"$work/two.jsonl" 2>"$work/two.err"
assert_eq 1 $? "a corrupt capture before another: exit 1"
assert_eq "$(cat "$work/prefix.jsonl")" "$(cat "$work/two.jsonl")" \
    "the capture after the damage is not read"
assert_match "the file after it is not read" "$(cat "$work/two.err")" "and the message says so"

# 3. output that cannot be written
"$KPTRACE" replay "$DATA/mixed.pcap" >/dev/full 2>"$work/full.err"
assert_eq 1 $? "output to a full disk: exit 1"
assert_match "writing the output: No space left on device" "$(cat "$work/full.err")" \
    "the message says why"
