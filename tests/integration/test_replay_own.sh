#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# test_replay_own — a kptrace sweep's capture.pcap replays to the sweep's own
# traces.jsonl, field by field.
#
# In the nk testbed, vp-eu (one path per /24) and vp-asia (ECMP towards
# 198.19.178.0/24) each run `kptrace sweep` with all four methods over small
# prefixes of every destination /24 (Unicom-only, TTC-only, dual, and the
# admin-prohibited one; silent hops inside STAR-KP). Then `kptrace replay
# DIR/capture.pcap` (which finds DIR/sweep.json beside it for the run
# parameters, and needs no root) must give exactly the records of
# DIR/traces.jsonl: the same set of trace ids, and for each trace every field
# equal, hops in the same order with every field equal, except rtt_ms which
# may differ by at most 1 µs (the JSON rounds it to 1 µs). The sweep's
# traces.jsonl is the live run's output, written before any replay.
# KP_REPLAY_KEEP=DIR keeps each capture with its sweep.json (in
# DIR/own-VP/) for replay_diff.sh, which compares two builds of the replay.
source "$(dirname "$0")/lib.sh"

KPTRACE=$KP_BUILD/kptrace
[ -x "$KPTRACE" ] || die "kptrace not built at $KPTRACE"
"$KPTRACE" sweep --help >/dev/null 2>&1 || die "kptrace has no working 'sweep' command"
work=$(mktemp -d /tmp/kp-replay-own.XXXXXX)
chmod 755 "$work"

tb_up nk

compare() { # LIVE.jsonl REPLAY.jsonl
    python3 - "$1" "$2" <<'PY'
import json, sys
live = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
rep = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
L = {t["id"]: t for t in live}
R = {t["id"]: t for t in rep}
errs = []
if len(L) != len(live) or len(R) != len(rep):
    errs.append("duplicate ids: live %d/%d replay %d/%d" % (len(L), len(live), len(R), len(rep)))
if set(L) != set(R):
    errs.append("ids only live: %s; only replay: %s" % (
        sorted(set(L) - set(R))[:10], sorted(set(R) - set(L))[:10]))

def cmp(path, a, b):
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                errs.append("%s.%s only in %s" % (path, k, "live" if k in a else "replay"))
            else:
                cmp(path + "." + k, a[k], b[k])
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            errs.append("%s: %d items live, %d replay" % (path, len(a), len(b)))
        for i, (x, y) in enumerate(zip(a, b)):
            cmp("%s[%d]" % (path, i), x, y)
    elif path.endswith(".rtt_ms") and isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if abs(a - b) > 0.001 + 1e-9:
            errs.append("%s: %r live, %r replay" % (path, a, b))
    elif a != b:
        errs.append("%s: %r live, %r replay" % (path, a, b))

for i in sorted(set(L) & set(R)):
    cmp("trace %s" % i, L[i], R[i])
print("%d live traces, %d replayed, %d hops live" % (len(live), len(rep),
      sum(len(t.get("hops", [])) for t in live)))
for e in errs[:40]:
    print("  " + e)
sys.exit(1 if errs else 0)
PY
}

for vp in vp-eu vp-asia; do
    out=$work/$vp
    mkdir -p "$out"
    targets=198.19.176.0/30,198.19.177.0/30,198.19.178.0/29,198.19.179.0/30
    tb_exec "$vp" "$KPTRACE" sweep --allowlist-file "$KP_ALLOWLIST" --targets "$targets" \
        --methods icmp-paris,udp-paris,tcp-syn,udp --vp "$vp" --out "$out" \
        --pps 300 --wait 1500 --no-progress >"$work/$vp.sweep.out" 2>&1
    rc=$?
    assert_eq 0 "$rc" "$vp: kptrace sweep exits 0"
    [ "$rc" = 0 ] || sed 's/^/    | /' "$work/$vp.sweep.out" | tail -20
    for f in traces.jsonl capture.pcap sweep.json; do
        [ -s "$out/$f" ] || fail "$vp: sweep wrote no $f"
    done
    n_live=$(wc -l <"$out/traces.jsonl")
    assert_between 60 100000 "$n_live" "$vp: the sweep wrote its traces"

    # replay as an unprivileged user, from a copy, with sweep.json beside it
    mkdir -p "$work/$vp.copy"
    cp "$out/capture.pcap" "$out/sweep.json" "$work/$vp.copy/"
    chmod -R a+rX "$work/$vp.copy"
    setpriv --reuid=nobody --regid=nogroup --clear-groups \
        "$KPTRACE" replay "$work/$vp.copy/capture.pcap" >"$work/$vp.replay.jsonl" 2>"$work/$vp.replay.err"
    assert_eq 0 $? "$vp: kptrace replay exits 0 without root"
    sed 's/^/    | /' "$work/$vp.replay.err"
    if compare "$out/traces.jsonl" "$work/$vp.replay.jsonl" >"$work/$vp.cmp"; then
        ok "$vp: replay equals the live traces.jsonl field by field ($(head -1 "$work/$vp.cmp"))"
    else
        fail "$vp: replay differs from the live traces.jsonl"
        sed 's/^/    | /' "$work/$vp.cmp"
    fi
    # the sweep's own count of traces agrees too
    assert_eq "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["counts"]["traces"])' "$out/sweep.json")" \
        "$(wc -l <"$work/$vp.replay.jsonl")" "$vp: replayed traces = sweep.json counts.traces"
done
[ -n "${KP_REPLAY_KEEP:-}" ] && for vp in vp-eu vp-asia; do
    mkdir -p "$KP_REPLAY_KEEP/own-$vp" && cp "$work/$vp.copy/"* "$KP_REPLAY_KEEP/own-$vp/"
done
rm -rf "$work"
