#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# ctest-labels: long
# test_prober_netfaults — a sweep rides out a fault of the vantage point's
# own network instead of losing itself. Each fault below hits a /23
# icmp-paris sweep at 500 pps (topology sweep: vp - isp - two transits - a
# silent border - 198.18.200.0/22; seed fixed) about two seconds into it,
# and its records are checked against an undisturbed run with the same seed:
# one record per address, the same stop reason and TTL per address, every
# router hop one the undisturbed run saw at that TTL in that /24.
#
#   flap2     the vp's link down for 2 s, then up with its routes back:
#             exit 0, status complete, 512 records all reaching their
#             destination, probes_saved within 10% of the undisturbed run's,
#             the refused sends counted by errno (ENETUNREACH), one fault of
#             about 2 s, the records' send_failed summing to send_retries.
#   flap20    the same for 20 s.
#   route     the vp's routes (it has no default route: the testbed's rule)
#             deleted for 3 s and restored: as flap2.
#   firewall  an nft rule in the vp dropping its output for 2 s (EPERM): as
#             flap2.
#   unreach   the first hop (isp) answers every probe from the vp with an
#             ICMP net-unreachable for 2 s (nft reject): exit 0, complete,
#             512 records; those that differ from the undisturbed run stop
#             with unreach-net from the first hop, their hops below it the
#             undisturbed run's; no send refused.
#   gone      the vp's veth deleted for good (--fault-wait 3): exit 1 within
#             seconds (no hang), status error naming the interface, every
#             record whole and either the undisturbed run's or interrupted;
#             then the veth created again and --resume: exit 0, complete,
#             512 records equal to the undisturbed run's.
#   recreated the veth deleted and created again 2 s later, kptrace run as
#             an unprivileged user with CAP_NET_RAW (so that it may reopen
#             the capture): exit 0, complete, the undisturbed run's records,
#             capture.reopened 1, one gap of about 2 s.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/prober_lib.sh"

tb_up sweep
work=$(mktemp -d /tmp/kp-netfaults.XXXXXX)
chmod 755 "$work"
ns=$(tb_ns vp)
peer_ns=$(tb_ns isp)
src=$(tb_addr vp)
ifc=$(tb_iface vp)
peer_if=$(tb_iface isp vp)
nft_tables=()
cleanup() {
    local t
    for t in "${nft_tables[@]}"; do nft delete table $t 2>/dev/null; done
}
trap 'rc=$?; cleanup; (exit $rc); _tb_exit' EXIT

# Options every kptrace run of this test shares, in one place. A main with
# kptrace's default blocklist refuses the testbed's addresses: every run
# passes the testbed's allowlist.
KP_COMMON=(--no-progress --allowlist-file "$KP_ALLOWLIST")
# An array, not a function, so that a sweep started in the background is
# kptrace itself.
KP_SWEEP=(ip netns exec "$ns" "$KPTRACE" sweep --vp vp "${KP_COMMON[@]}"
    --targets 198.18.200.0/23 --methods icmp-paris --pps 500 --seed 1818)
KP_RESUME=(ip netns exec "$ns" "$KPTRACE" sweep "${KP_COMMON[@]}")

# The vp's routes (all through isp) and addresses, to restore after a fault.
mapfile -t vp_routes < <(ip -n "$ns" route show | grep ' via ')
vp_addr=$(ip -n "$ns" -o -4 addr show dev "$ifc" | awk '{print $4}')
peer_addr=$(ip -n "$peer_ns" -o -4 addr show dev "$peer_if" | awk '{print $4}')
[ "${#vp_routes[@]}" -gt 0 ] && [ -n "$vp_addr" ] && [ -n "$peer_addr" ] ||
    die "the vp's routes or addresses not found (${#vp_routes[@]} routes, '$vp_addr', '$peer_addr')"
restore_routes() {
    local r
    for r in "${vp_routes[@]}"; do
        # shellcheck disable=SC2086
        ip -n "$ns" route replace $r || fail "restoring route $r"
    done
}

# check.py KIND ARGS...: one "ok MSG" / "FAIL MSG" line per check.
cat >"$work/check.py" <<'PY'
import ipaddress, json, os, sys
sys.path.insert(0, os.environ["KP_SRC"] + "/tests/integration")
import kp_pcap

def records(d):
    return [json.loads(l) for l in open(d + "/traces.jsonl") if l.strip()]

def say(ok, msg):
    print(("ok " if ok else "FAIL ") + msg)

def base_index(recs):
    stop = {r["dst"]: (r["stop_reason"], r["stop_ttl"]) for r in recs}
    hops = {}
    for r in recs:
        s24 = str(ipaddress.ip_network(r["dst"] + "/24", strict=False))
        for h in r["hops"]:
            hops.setdefault((s24, h["ttl"]), set()).add(h["addr"])
    return stop, hops

def foreign_hops(r, hops, below=None):
    """Hops of r at a TTL where the undisturbed run saw another address in
    that /24 (only TTLs below `below`, when given)."""
    s24 = str(ipaddress.ip_network(r["dst"] + "/24", strict=False))
    return [(h["ttl"], h["addr"]) for h in r["hops"]
            if (below is None or h["ttl"] < below)
            and h["addr"] not in hops.get((s24, h["ttl"]), set()) and h["addr"] != r["dst"]]

kind, d, base = sys.argv[1], sys.argv[2], sys.argv[3]
B = records(base)
stop, hops = base_index(B)
R = records(d)
S = json.load(open(d + "/sweep.json"))
c = S["counts"]
dsts = [r["dst"] for r in R]
want = {str(a) for a in ipaddress.ip_network("198.18.200.0/23")}

if kind == "same":
    # same DIR BASE STATUS [none | any | ERRNO MIN_FAULT_S MAX_FAULT_S]: the undisturbed
    # run's records; no send refused (none), any, or refusals with ERRNO and a fault that long
    status = sys.argv[4]
    say(len(R) == 512 and set(dsts) == want and len(set(dsts)) == 512,
        "%s: 512 records, one per address (%d records, %d addresses)" % (d, len(R), len(set(dsts))))
    say(S["status"] == status, "%s: status %s (want %s)" % (d, S["status"], status))
    bad = [k for k, v in (S.get("checks") or {"none": {"ok": False}}).items() if not v["ok"]]
    say(not bad, "%s: every check holds %s" % (d, bad))
    notdst = [r["dst"] for r in R if r["stop_reason"] != "completed"]
    say(not notdst, "%s: every record reaches its destination (not: %s)" % (d, notdst[:5]))
    diff = [(r["dst"], (r["stop_reason"], r["stop_ttl"]), stop.get(r["dst"])) for r in R
            if (r["stop_reason"], r["stop_ttl"]) != stop.get(r["dst"])]
    say(not diff, "%s: the undisturbed run's stop reason and TTL per address %s" % (d, diff[:3]))
    fh = [x for r in R for x in foreign_hops(r, hops)]
    say(not fh, "%s: every hop one the undisturbed run saw at its TTL in its /24 %s" % (d, fh[:3]))
    refused = sys.argv[5] if len(sys.argv) > 5 else "none"
    bs = json.load(open(base + "/sweep.json"))["counts"]["probes_saved"]
    if refused != "any":  # a resumed sweep: its parts' Doubletree differs
        say(abs(c["probes_saved"] - bs) <= 0.1 * bs,
            "%s: probes_saved %d close to the undisturbed run's %d" % (d, c["probes_saved"], bs))
    say(c["send_errors"] == 0, "%s: no trace stopped on a send error (%d)" % (d, c["send_errors"]))
    if refused not in ("none", "any"):
        errno, lo, hi = sys.argv[5], float(sys.argv[6]), float(sys.argv[7])
        by = c.get("send_errors_by_errno", {})
        say(by.get(errno, 0) > 0 and sum(by.values()) == c["send_retries"],
            "%s: refused sends counted by errno: %s, %d retries" % (d, by, c["send_retries"]))
        say(c["send_faults"] >= 1 and lo <= c["send_fault_ms"] / 1000 <= hi,
            "%s: %d faults, %.1f s without sending (want %.0f..%.0f s)"
            % (d, c["send_faults"], c["send_fault_ms"] / 1000, lo, hi))
        sf = sum(r.get("send_failed", 0) for r in R)
        say(sf == c["send_retries"] and sf > 0,
            "%s: the records' send_failed sum to the refused sends (%d = %d)" % (d, sf, c["send_retries"]))
    elif refused == "none":
        say(c["send_retries"] == 0 and not c.get("send_errors_by_errno"),
            "%s: no send refused (%d, %s)" % (d, c["send_retries"], c.get("send_errors_by_errno")))
elif kind == "pace":
    # pace DIR BASE SRC PPS FAULT_S: the capture shows the fault (no probe for about
    # that long) and, after it, sending again at the set rate: no catch-up burst
    srcb = bytes(int(x) for x in sys.argv[4].split("."))
    pps, fault = float(sys.argv[5]), float(sys.argv[6])
    ts = [p[3] for p in kp_pcap.probes_in(d + "/capture.pcap", srcb, True)]
    ts.sort()
    gaps = [(b - a, i + 1) for i, (a, b) in enumerate(zip(ts, ts[1:]))]
    gap, i = max(gaps)
    say(fault - 0.5 <= gap <= fault + 2,
        "%s: the capture shows no probe for %.2f s (the fault: %.0f s)" % (d, gap, fault))
    # after the fault: in any window of W seconds at most W * pps + the bucket (pps / 100) + 3
    # (the pacer's bound, pacer.h, and a probe of timestamp jitter)
    worst, wmax = 0, 0
    after = ts[i:]
    for W in (0.05, 0.2, 1.0):
        j = 0
        for k in range(len(after)):
            while after[k] - after[j] > W:
                j += 1
            n = k - j + 1
            lim = W * pps + pps / 100 + 3
            if n - lim > worst:
                worst = n - lim
    say(worst <= 0, "%s: after the fault, the set rate: no window of 50 ms, 200 ms or 1 s holds "
        "more than rate x window + the bucket (excess %.1f)" % (d, worst))
elif kind == "unreach":
    # unreach DIR BASE FIRST_HOP: records differing from the undisturbed run stop at the first hop's unreachable
    first = sys.argv[4]
    say(len(R) == 512 and set(dsts) == want and len(set(dsts)) == 512,
        "%s: 512 records, one per address (%d records, %d addresses)" % (d, len(R), len(set(dsts))))
    say(S["status"] == "complete", "%s: status %s" % (d, S["status"]))
    hit = [r for r in R if (r["stop_reason"], r["stop_ttl"]) != stop.get(r["dst"])]
    odd = [(r["dst"], r["stop_reason"], r["stop_ttl"]) for r in hit
           if r["stop_reason"] != "unreach-net"
           or not any(h["addr"] == first and h["ttl"] == r["stop_ttl"] and h.get("icmp_type") == 3
                      for h in r["hops"])]
    say(len(hit) > 0 and not odd,
        "%s: %d records stop at an unreachable from the first hop %s, the rest as undisturbed (others: %s)"
        % (d, len(hit), first, odd[:3]))
    fh = [x for r in R for x in foreign_hops(r, hops, r["stop_ttl"])]
    say(not fh, "%s: below where they stopped, the undisturbed run's hops %s" % (d, fh[:3]))
    say(c["send_retries"] == 0, "%s: no send refused (%d)" % (d, c["send_retries"]))
elif kind == "gone":
    # gone DIR BASE: an error; what was recorded is whole and true
    say(S["status"] == "error", "%s: status %s" % (d, S["status"]))
    say(len(R) == len(set(dsts)) and set(dsts) <= want,
        "%s: at most one record per address (%d records)" % (d, len(R)))
    odd = [(r["dst"], r["stop_reason"]) for r in R
           if r["stop_reason"] != "interrupted" and (r["stop_reason"], r["stop_ttl"]) != stop.get(r["dst"])]
    say(not odd, "%s: each record the undisturbed run's or interrupted %s" % (d, odd[:3]))
    n_int = sum(r["stop_reason"] == "interrupted" for r in R)
    say(len(R) < 512, "%s: %d records before the loss (%d interrupted)" % (d, len(R), n_int))
    fh = [x for r in R for x in foreign_hops(r, hops)]
    say(not fh, "%s: every hop one the undisturbed run saw %s" % (d, fh[:3]))
else:
    sys.exit("unknown " + kind)
PY
check() { tb_check_lines "check.py $1" python3 "$work/check.py" "$@"; }

# fault_run NAME SECONDS-INTO-IT FAULT-CMD RESTORE-CMD FAULT-SECONDS [kptrace args]:
# a sweep with a fault injected and lifted; sets RUN_RC and RUN_S.
fault_run() {
    local name=$1 at=$2 inject=$3 lift=$4 len=$5 t0
    shift 5
    t0=$(date +%s.%N)
    "${KP_SWEEP[@]}" --out "$work/$name" "$@" 2>"$work/$name.err" &
    local pid=$!
    sleep "$at"
    local t1 t2
    t1=$(date +%s.%N)
    $inject
    if [ "$len" != never ]; then
        sleep "$len"
        t2=$(date +%s.%N)
        $lift
        tb_log "$name: fault injected at $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s, lifted $(awk -v a="$t1" -v b="$t2" 'BEGIN { printf "%.2f", b - a }') s later in $(awk -v a="$t2" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }') s"
    fi
    wait $pid
    RUN_RC=$?
    RUN_S=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
    tb_log "$name: exit $RUN_RC after $RUN_S s: $(tail -n 2 "$work/$name.err" | tr '\n' ' ')"
}

# --- the undisturbed run -----------------------------------------------------
"${KP_SWEEP[@]}" --out "$work/base" 2>"$work/base.err"
assert_eq 0 $? "base: the undisturbed sweep exits 0"
assert_eq 512 "$(wc -l <"$work/base/traces.jsonl")" "base: 512 records"

# --- link down/up ------------------------------------------------------------
link_down() { ip -n "$ns" link set "$ifc" down; }
link_up() {
    ip -n "$ns" link set "$ifc" up
    restore_routes
}
fault_run flap2 2 link_down link_up 2
assert_eq 0 "$RUN_RC" "flap2: exits 0 after the link was down 2 s"
check same "$work/flap2" "$work/base" complete ENETUNREACH 1.5 6
check pace "$work/flap2" "$work/base" "$src" 500 2
fault_run flap20 2 link_down link_up 20
assert_eq 0 "$RUN_RC" "flap20: exits 0 after the link was down 20 s"
check same "$work/flap20" "$work/base" complete ENETUNREACH 19 26
check pace "$work/flap20" "$work/base" "$src" 500 20

# --- routes deleted and restored -------------------------------------------
routes_del() {
    local r
    for r in "${vp_routes[@]}"; do
        # shellcheck disable=SC2086
        ip -n "$ns" route del $r
    done
}
fault_run route 2 routes_del restore_routes 3
assert_eq 0 "$RUN_RC" "route: exits 0 after its routes were gone 3 s"
check same "$work/route" "$work/base" complete ENETUNREACH 2.5 7

# --- a firewall refusing the output: EPERM ----------------------------------
fw_table="kpnf$$"
fw_on() {
    ip netns exec "$ns" nft -f - <<EOF
table ip $fw_table {
    chain out { type filter hook output priority 0; policy accept; ip saddr $src drop; }
}
EOF
}
fw_off() { ip netns exec "$ns" nft delete table ip "$fw_table"; }
fault_run firewall 2 fw_on fw_off 2
assert_eq 0 "$RUN_RC" "firewall: exits 0 after its output was dropped 2 s"
check same "$work/firewall" "$work/base" complete EPERM 1.5 6

# --- ICMP net-unreachable from the first hop --------------------------------
first_hop=${peer_addr%/*}
ur_on() {
    ip netns exec "$peer_ns" nft -f - <<EOF
table ip $fw_table {
    chain fw { type filter hook forward priority 0; policy accept;
                ip saddr $src reject with icmp type net-unreachable; }
}
EOF
}
ur_off() { ip netns exec "$peer_ns" nft delete table ip "$fw_table"; }
fault_run unreach 2 ur_on ur_off 2
assert_eq 0 "$RUN_RC" "unreach: exits 0"
check unreach "$work/unreach" "$work/base" "$first_hop"

# --- the veth deleted for good, then created again and --resume -------------
veth_del() { ip -n "$ns" link del "$ifc"; }
fault_run gone 2 veth_del : never --fault-wait 3
assert_eq 1 "$RUN_RC" "gone: exits 1 when the interface is gone for good"
assert_between 3 12 "$RUN_S" "gone: ends soon after --fault-wait 3 s (no hang)"
assert_match "capture on $ifc: .*--fault-wait" "$(cat "$work/gone.err")" \
    "gone: the message names the interface and --fault-wait"
check gone "$work/gone" "$work/base"
# The testbed wires the link through a namespace of its own (its delay
# line); the link comes back as a plain veth pair between vp and isp, with
# the same names, addresses and static neighbours.
relink() {
    ip -n "$peer_ns" link del "$peer_if" 2>/dev/null # the wired link's other end
    ip -n "$ns" link add "$ifc" type veth peer name "$peer_if" netns "$peer_ns" &&
        ip -n "$ns" addr add "$vp_addr" dev "$ifc" &&
        ip -n "$peer_ns" addr add "$peer_addr" dev "$peer_if" &&
        ip -n "$ns" link set "$ifc" up && ip -n "$peer_ns" link set "$peer_if" up &&
        ip -n "$ns" neigh replace "${peer_addr%/*}" dev "$ifc" nud permanent \
            lladdr "$(ip -n "$peer_ns" -j link show "$peer_if" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["address"])')" &&
        ip -n "$peer_ns" neigh replace "${vp_addr%/*}" dev "$peer_if" nud permanent \
            lladdr "$(ip -n "$ns" -j link show "$ifc" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["address"])')"
}
relink || die "gone: the link could not be created again"
restore_routes
"${KP_RESUME[@]}" --resume "$work/gone" 2>"$work/gone2.err"
assert_eq 0 $? "gone: --resume finishes the sweep once the link is back ($(tail -n 1 "$work/gone2.err"))"
check same "$work/gone" "$work/base" complete any

# --- the veth deleted and created again within --fault-wait -----------------
# kptrace as an unprivileged user with CAP_NET_RAW (ambient), which it keeps:
# it can reopen the capture on the new interface. (As root it drops to
# --user and cannot: the "gone" case above.)
mkdir "$work/recreated" && chown nobody "$work/recreated"
KP_SWEEP=(ip netns exec "$ns" setpriv --reuid=nobody --regid=nogroup --clear-groups
    --inh-caps=+net_raw --ambient-caps=+net_raw "$KPTRACE" sweep --vp vp "${KP_COMMON[@]}"
    --targets 198.18.200.0/23 --methods icmp-paris --pps 500 --seed 1818)
relink_routes() { relink && restore_routes; }
fault_run recreated 2 veth_del relink_routes 2 --fault-wait 30
assert_eq 0 "$RUN_RC" "recreated: exits 0 when the interface comes back as a new one"
check same "$work/recreated" "$work/base" complete any
reopened=$(python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["capture"]; print(c["errors"] >= 1, c["reopened"], c["gaps"], c["gap_ms"])' "$work/recreated/sweep.json")
assert_match '^True 1 1 [0-9]+$' "$reopened" "recreated: capture errors, reopened once, one gap (errors>=1 reopened gaps gap_ms: $reopened)"
assert_between 1500 8000 "${reopened##* }" "recreated: the capture's gap in ms is about the 2 s the interface was gone"
