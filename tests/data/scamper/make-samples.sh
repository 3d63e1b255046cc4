#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Regenerate the scamper JSON samples in this directory with real scamper
# (Debian 20211212) inside the testbed's nk topology. Run as root:
#   tests/data/scamper/make-samples.sh BUILD_DIR
# Nothing leaves the testbed's namespaces (kptb links them only to each other).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../../.." && pwd)
build=${1:?usage: make-samples.sh BUILD_DIR}
state=$(mktemp -d)
trap '"$src/tests/testbed/kptb" down --state "$state" >/dev/null 2>&1 || true; rm -rf "$state"' EXIT INT TERM
"$src/tests/testbed/kptb" up "$src/tests/testbed/topologies/nk.topo" --state "$state" \
    --delayline "$build/tests/testbed/kptb-delayline" >/dev/null
dsts="198.19.176.1 198.19.177.1 198.19.178.1 198.19.178.2 198.19.178.3 198.19.178.4 198.19.178.5 198.19.178.6 198.19.179.1"
for vp in vp-eu vp-us vp-asia; do
    for m in udp-paris icmp-paris; do
        # shellcheck disable=SC2086
        "$src/tests/testbed/kptb" exec --state "$state" "$vp" -- \
            scamper -O json -p 50 -c "trace -P $m -q 1 -w 2" -i $dsts \
            >"$here/nk-$vp-$m.json"
    done
done
