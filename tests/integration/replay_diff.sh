#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# replay_diff.sh — does a change to the receive path keep `kptrace replay`'s
# output byte for byte? Runs two builds on the same captures and compares.
#
#   tests/integration/replay_diff.sh OLD_KPTRACE NEW_KPTRACE [CAPTURE|DIR]...
#
# Without CAPTUREs it uses every capture under tests/data and
# fuzz/corpus/replay, the fuzz/corpus/rx inputs turned into raw-IP pcaps,
# and KP_DIFF_RANDOM (default 40) random captures from replay_mix.py. A DIR
# adds every pcap/pcapng under it (e.g. the captures a testbed run kept, see
# KP_REPLAY_KEEP in test_replay_tools.sh, _options.sh and _own.sh).
# Each capture is replayed with --format json, text and atlas (and json
# with --gap-limit 0 --wait 200); stdout and the exit status must be equal,
# and so must the counts line ("replay: N files, ...") on stderr. Prints one line per
# difference and a summary; exits 1 when anything differs. Needs no root.
set -uo pipefail
[ $# -ge 2 ] || { sed -n '3,17p' "$0" >&2; exit 2; }
old=$1 new=$2
shift 2
src=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/kp-replay-diff.XXXXXX)
trap 'rm -rf "$work"' EXIT

inputs=()
if [ $# -gt 0 ]; then
    for a in "$@"; do
        if [ -d "$a" ]; then
            while IFS= read -r f; do inputs+=("$f"); done < <(
                find "$a" -type f \( -name '*.pcap' -o -name '*.pcapng' \) | sort)
        else
            inputs+=("$a")
        fi
    done
else
    while IFS= read -r f; do inputs+=("$f"); done < <(
        find "$src/tests/data" -type f \( -name '*.pcap' -o -name '*.pcapng' \) | sort
        find "$src/fuzz/corpus/replay" -type f | sort)
    # fuzz_rx's records [dt][len:2][raw IP] -> a raw-IP pcap, dt * 50 ms
    # apart (0xff: 5 s, no frame), as fuzz_rx feeds them
    mkdir -p "$work/rx"
    for f in "$src"/fuzz/corpus/rx/*; do
        python3 - "$f" "$work/rx/$(basename "$f").pcap" <<'EOF'
import struct, sys
d = open(sys.argv[1], "rb").read()
w = open(sys.argv[2], "wb")
w.write(struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 65535, 101))
ts, off = 1700000000 * 10**9, 0
while off + 3 <= len(d):
    dt, n = d[off], d[off + 1] << 8 | d[off + 2]
    off += 3
    if dt == 0xFF:
        ts += 5 * 10**9
        continue
    ts += dt * 50 * 10**6
    b = d[off:off + n]
    off += len(b)
    w.write(struct.pack("<IIII", ts // 10**9, ts % 10**9, len(b), len(b)) + b)
EOF
        inputs+=("$work/rx/$(basename "$f").pcap")
    done
    mkdir -p "$work/mix"
    for s in $(seq 1 "${KP_DIFF_RANDOM:-40}"); do
        python3 "$src/tests/integration/replay_mix.py" "$s" "$work/mix/mix$s.pcap" || exit 1
        inputs+=("$work/mix/mix$s.pcap")
    done
fi

variants=("--format json" "--format text" "--format atlas" "--format json --gap-limit 0 --wait 200")
n=0 bad=0
for f in "${inputs[@]}"; do
    for v in "${variants[@]}"; do
        n=$((n + 1))
        # shellcheck disable=SC2086
        "$old" replay $v "$f" >"$work/o.out" 2>"$work/o.err" </dev/null
        orc=$?
        # shellcheck disable=SC2086
        "$new" replay $v "$f" >"$work/n.out" 2>"$work/n.err" </dev/null
        nrc=$?
        why=""
        [ "$orc" = "$nrc" ] || why="exit $orc -> $nrc"
        cmp -s "$work/o.out" "$work/n.out" || why="$why stdout"
        [ "$(grep -m1 '^replay: [0-9]' "$work/o.err")" = "$(grep -m1 '^replay: [0-9]' "$work/n.err")" ] || why="$why counts"
        if [ -n "$why" ]; then
            bad=$((bad + 1))
            echo "DIFF ($why): replay $v $f"
        fi
    done
done
echo "replay_diff: ${#inputs[@]} captures, $n runs, $bad differ"
[ "$bad" = 0 ]
