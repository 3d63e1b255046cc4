#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Regenerate tests/data/scamper/mixed-warts.json: real scamper (Debian
# 20211212) writes warts inside the testbed's nk topology (traces with
# several stop reasons, a ping and a tracelb in the same file), and
# sc_warts2json turns it into JSON. Run as root:
#   tests/data/scamper/make-mixed.sh BUILD_DIR
# Nothing leaves the testbed's namespaces (kptb links them only to each other).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../../.." && pwd)
build=${1:?usage: make-mixed.sh BUILD_DIR}
state=$(mktemp -d)
trap '"$src/tests/testbed/kptb" down --state "$state" >/dev/null 2>&1 || true; rm -rf "$state"' EXIT INT TERM
"$src/tests/testbed/kptb" up "$src/tests/testbed/topologies/nk.topo" --state "$state" \
    --delayline "$build/tests/testbed/kptb-delayline" >/dev/null
ex() { "$src/tests/testbed/kptb" exec --state "$state" vp-eu -- "$@"; }
w=/tmp/kp-mixed-$$.warts
# One scamper run, one warts file: a gap-limited trace (198.19.176.1 sits
# behind three silent hops; -g 2 gives up before it), a !X trace
# (198.19.179.1), a ping, a tracelb and a two-attempt ICMP trace.
ex scamper -O warts -o "$w" -p 50 \
    -I "trace -P udp-paris -q 1 -w 1 -g 2 198.19.176.1" \
    -I "trace -P udp-paris -q 1 -w 1 198.19.179.1" \
    -I "ping -c 2 198.19.176.1" \
    -I "tracelb -P udp-dport -q 1 -w 1 198.19.177.1" \
    -I "trace -P icmp-paris -q 2 -w 1 198.19.178.1"
ex sc_warts2json "$w" >"$here/mixed-warts.json" 2>/dev/null
ex rm -f "$w"
