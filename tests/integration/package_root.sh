#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# package_root.sh — the installed package, checked in a throwaway root
# (tests/integration/test_package.sh runs it under `unshare -m`):
#   package_root.sh DEB NETNS VP TARGETS VERSION PFX2AS KEEP
# The root is this machine's / seen through an overlay whose writes go to a
# tmpfs; the overlay lives in this process's private mount namespace, so it
# vanishes when the process ends and the machine keeps no trace of the
# install. Prints one line per check, "ok MSG" or "FAIL MSG" (tb_check_lines).
set -uo pipefail
deb=$1 ns=$2 vp=$3 targets=$4 version=$5 pfx2as=$6 keep=$7

# shellcheck source=tests/integration/root_checks.sh
source "$(dirname "$0")/root_checks.sh"

base=$(mktemp -d /tmp/kp-pkgroot.XXXXXX)
cleanup() {
    umount -R "$base" 2>/dev/null || umount -lR "$base" 2>/dev/null
    rmdir "$base" 2>/dev/null
}
trap cleanup EXIT
mount -t tmpfs -o size=2g kp-pkgroot "$base" || { fail "tmpfs for the throwaway root"; exit 0; }
mkdir "$base/upper" "$base/work" "$base/root"
R=$base/root
if ! mount -t overlay kp-pkgroot -o "lowerdir=/,upperdir=$base/upper,workdir=$base/work" "$R"; then
    fail "overlay of / for the throwaway root"
    exit 0
fi
for d in proc dev dev/pts; do mount --bind "/$d" "$R/$d" || fail "bind /$d into the throwaway root"; done
mount -t tmpfs tmpfs "$R/tmp"
in_root() { chroot "$R" "$@"; }

# --- install with apt, as an operator would ------------------------------------
# (man-db's index is not rebuilt in the throwaway root: it is slow and
# `man -w` below finds the pages without it)
rm -f "$R/var/lib/man-db/auto-update"
cp "$deb" "$R/tmp/"
out=$(in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
    "/tmp/$(basename "$deb")" 2>&1)
rc=$?
if [ "$rc" = 0 ]; then
    ok "apt-get install ./$(basename "$deb") in the throwaway root"
else
    fail "apt-get install ./$(basename "$deb") (exit $rc): $(tail -n 5 <<<"$out" | tr '\n' ' ')"
    exit 0
fi
eq "install ok installed" "$(in_root dpkg-query -W -f='${Status}' kptrace)" "dpkg says kptrace is installed"

# --- programs from /usr/bin ----------------------------------------------------
for p in kptrace kpannotate kp-asmap kp-sweep kp-collect kp-report; do
    eq "/usr/bin/$p" "$(in_root sh -c "command -v $p")" "$p is on PATH at /usr/bin/$p"
done
v=$(in_root kptrace version 2>&1)
if [[ "$v" == *"$version"* ]]; then ok "kptrace version runs from /usr/bin and says $version"; else fail "kptrace version: '$v' (want $version)"; fi
for p in kpannotate kp-sweep kp-collect kp-report; do
    check "$p --help runs from /usr/bin" in_root "$p" --help
done
check "man kptrace finds the installed page" in_root man -w kptrace
check "/usr/libexec/kptrace/kptrace-conf runs" in_root /usr/libexec/kptrace/kptrace-conf keys sweep

# --- the user and the data directory -------------------------------------------
pw=$(in_root getent passwd kptrace)
if [ -n "$pw" ]; then ok "the kptrace user exists after install"; else fail "no kptrace user after install"; fi
IFS=: read -r _ _ uid gid _ home shell <<<"$pw"
if [ -n "$uid" ] && [ "$uid" -lt 1000 ]; then ok "kptrace is a system user (uid $uid)"; else fail "kptrace uid '$uid' is not a system uid"; fi
eq "kptrace" "$(in_root getent group "$gid" | cut -d: -f1)" "kptrace's group is kptrace"
eq "/usr/sbin/nologin" "$shell" "kptrace has no login shell"
eq "/var/lib/kptrace" "$home" "kptrace's home is /var/lib/kptrace"
eq "kptrace:kptrace 750" "$(in_root stat -c '%U:%G %a' /var/lib/kptrace 2>&1)" "/var/lib/kptrace is kptrace's, mode 750"
check "/etc/kptrace exists" test -d "$R/etc/kptrace"

# --- the units: verify, exposure ---------------------------------------------------
units=(kptrace-sweep@.service kptrace-sweep@.timer kptrace-watch@.service kp-collect.service
    kp-collect.timer kp-report.service kp-report.timer)
for u in "${units[@]}"; do
    check "/lib/systemd/system/$u installed" test -f "$R/lib/systemd/system/$u"
done
# Every unit file, and instances of the templates (what an operator enables).
for u in "${units[@]}" kptrace-sweep@fra1.service kptrace-sweep@fra1.timer kptrace-watch@fra1.service; do
    out=$(in_root systemd-analyze verify "/lib/systemd/system/$u" 2>&1)
    rc=$?
    if [ "$rc" = 0 ] && [ -z "$out" ]; then
        ok "systemd-analyze verify $u: clean"
    else
        fail "systemd-analyze verify $u (exit $rc): $(tr '\n' ' ' <<<"$out")"
    fi
done
for u in kptrace-watch@.service kptrace-sweep@.service kp-collect.service kp-report.service; do
    out=$(in_root systemd-analyze security --offline=true "/lib/systemd/system/$u" 2>&1)
    score=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\) .*/\1/p' <<<"$out")
    if [ -n "$score" ] && awk -v s="$score" 'BEGIN { exit !(s <= 2.5) }'; then
        ok "systemd-analyze security: $u exposure $score <= 2.5"
    else
        fail "systemd-analyze security: $u exposure '${score:-no score}' (want <= 2.5): $(tail -n 3 <<<"$out" | tr '\n' ' ')"
    fi
done
# The sandbox the units promise, as systemd reads it.
for want in "User=kptrace" "AmbientCapabilities=CAP_NET_RAW" "CapabilityBoundingSet=CAP_NET_RAW" \
    "NoNewPrivileges=yes" "ProtectSystem=strict" "ReadWritePaths=/var/lib/kptrace" "PrivateTmp=yes" \
    "ProtectHome=yes" "Restart=on-failure"; do
    if grep -qx "$want" "$R/lib/systemd/system/kptrace-watch@.service"; then
        ok "kptrace-watch@.service has $want"
    else
        fail "kptrace-watch@.service lacks $want"
    fi
done
check "kptrace-sweep@.timer has a randomized delay" grep -q '^RandomizedDelaySec=' "$R/lib/systemd/system/kptrace-sweep@.timer"

# --- a wrong key is a clear error at start (the units' ExecStartPre) -------------
printf 'VP=fra1\nTARGETS=175.45.176.0/22\nPSS=200\n' >"$R/etc/kptrace/typo.conf"
out=$(in_root /usr/libexec/kptrace/kptrace-conf check sweep /etc/kptrace/typo.conf 2>&1)
rc=$?
eq 1 "$rc" "a conf with an unknown key fails the check (exit 1)"
if [[ "$out" == *"/etc/kptrace/typo.conf:3: unknown key 'PSS' (did you mean PPS?)"* ]]; then
    ok "the error names the file, the line and the key"
else
    fail "the error does not name /etc/kptrace/typo.conf:3 and PSS: $out"
fi
rm -f "$R/etc/kptrace/typo.conf"
# The shipped examples hold only known keys with good values (their tables
# and hosts are placeholders: a missing file is the one error allowed).
for ex in nk:sweep nk:watch collect:collect report:report; do
    f=${ex%%:*} kind=${ex#*:}
    out=$(in_root /usr/libexec/kptrace/kptrace-conf check "$kind" "/usr/share/doc/kptrace/examples/$f.conf" 2>&1)
    other=$(grep -v ': no such file$' <<<"$out" | grep .)
    if [ -z "$other" ]; then ok "the example $f.conf is a good $kind conf"; else fail "the example $f.conf as a $kind conf: $other"; fi
done

# --- a sweep as the unit runs it: user kptrace, CAP_NET_RAW only, in the testbed ---
mkdir -p "$R/etc/kptrace"
cp "$KP_ALLOWLIST" "$R/etc/kptrace/lab-allowlist.conf"
cat >"$R/etc/kptrace/lab.conf" <<CONF
# the testbed's vantage point
VP=$vp
TARGETS=$targets
METHODS=icmp-paris,udp-paris
PPS=2000
ALLOWLIST_FILE=/etc/kptrace/lab-allowlist.conf
SWEEP_ARGS="--wait 500"
CONF
# as_unit CMD... — CMD in the testbed's vantage point, chrooted into the
# installed system, as kptrace with CAP_NET_RAW alone (what the unit grants),
# with the conf's keys in the environment (what EnvironmentFile= does).
as_unit() {
    ip netns exec "$ns" chroot "$R" setpriv --reuid kptrace --regid kptrace --init-groups \
        --inh-caps -all,+net_raw --ambient-caps -all,+net_raw --bounding-set -all,+net_raw \
        --no-new-privs \
        env -i PATH=/usr/bin:/bin LANG=C.UTF-8 bash -c 'set -a; . "$0"; set +a; exec "$@"' "$@"
}
caps=$(as_unit /etc/kptrace/lab.conf sh -c 'id -un; grep -E "^Cap(Eff|Prm|Bnd|Amb)" /proc/self/status' 2>&1)
eq "kptrace
CapPrm:	0000000000002000
CapEff:	0000000000002000
CapBnd:	0000000000002000
CapAmb:	0000000000002000" "$caps" "the sweep runs as kptrace with CAP_NET_RAW only"
check "ExecStartPre: kptrace-conf check sweep accepts the lab conf" \
    as_unit /etc/kptrace/lab.conf /usr/libexec/kptrace/kptrace-conf check sweep /etc/kptrace/lab.conf
out=$(as_unit /etc/kptrace/lab.conf /usr/libexec/kptrace/kptrace-conf exec sweep lab 2>&1)
rc=$?
eq 0 "$rc" "ExecStart: kptrace-conf exec sweep lab (kp-sweep, kptrace from /usr/bin) exits 0 ($(tr '\n' ' ' <<<"$out"))"
vpdir=$R/var/lib/kptrace/sweeps/$vp
run=$(find "$vpdir" -mindepth 1 -maxdepth 1 -type d -name '20*Z' 2>/dev/null | head -n 1)
if [ -n "$run" ]; then ok "a run directory under /var/lib/kptrace/sweeps/$vp"; else fail "no run directory in $vpdir"; fi
for f in traces.jsonl capture.pcap sweep.json; do
    eq "kptrace" "$(in_root stat -c %U "${run#"$R"}/$f" 2>&1)" "$f written, owned by kptrace"
done
check "no sweep.json.tmp left (kptrace could rename in its own directory)" test ! -e "$run/sweep.json.tmp"
check "latest points at the run" test "$(readlink "$vpdir/latest")" = "$(basename "$run")"
st=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["status"], d["counts"]["traces"])' "$run/sweep.json" 2>&1)
naddr=$(python3 -c 'import ipaddress,sys; print(sum(ipaddress.ip_network(t).num_addresses for t in sys.argv[1].split(",")))' "$targets")
eq "complete $((naddr * 2))" "$st" "sweep.json: complete, one trace per address and method"
eq "$((naddr * 2))" "$(wc -l <"$run/traces.jsonl")" "traces.jsonl: one line per trace"
replies=$(python3 -c '
import json, sys
n = 0
for l in open(sys.argv[1]):
    n += sum(1 for h in json.loads(l).get("hops", []) if h.get("addr"))
print(n)' "$run/traces.jsonl" 2>&1)
if [[ "$replies" =~ ^[0-9]+$ ]] && [ "$replies" -gt 0 ]; then ok "the traces hold $replies answered hops"; else fail "no answered hops: $replies"; fi

# Without CAP_NET_RAW the same user cannot probe: a negative control.
out=$(ip netns exec "$ns" chroot "$R" setpriv --reuid kptrace --regid kptrace --init-groups \
    --inh-caps -all --bounding-set -all --no-new-privs \
    kptrace trace --allowlist-file /etc/kptrace/lab-allowlist.conf "${targets%%/*}" 2>&1)
rc=$?
if [ "$rc" = 1 ] && [[ "$out" == *CAP_NET_RAW* ]]; then
    ok "without CAP_NET_RAW kptrace refuses (exit 1, names CAP_NET_RAW)"
else
    fail "without CAP_NET_RAW: exit $rc: $out"
fi

# --- collect and report as the collector's units run them -------------------------
mkdir -p "$R/var/lib/kptrace/tables"
cp "$pfx2as" "$R/var/lib/kptrace/tables/lab.pfx2as"
printf 'SOURCES=/var/lib/kptrace/sweeps\n' >"$R/etc/kptrace/collect.conf"
printf 'PFX2AS=/var/lib/kptrace/tables/lab.pfx2as\nPERIOD=input\nKEEP_SPECIAL=%s\n' "$keep" >"$R/etc/kptrace/report.conf"
check "kp-collect.service's check accepts collect.conf" \
    as_unit /etc/kptrace/collect.conf /usr/libexec/kptrace/kptrace-conf check collect /etc/kptrace/collect.conf
out=$(as_unit /etc/kptrace/collect.conf /usr/libexec/kptrace/kptrace-conf exec collect 2>&1)
eq 0 "$?" "kp-collect as kptrace archives the sweep ($(tail -n 1 <<<"$out"))"
check "the sweep is in /var/lib/kptrace/archive" test -s "$R/var/lib/kptrace/archive/$vp/$(basename "$run")/traces.jsonl"
out=$(as_unit /etc/kptrace/report.conf /usr/libexec/kptrace/kptrace-conf exec report 2>&1)
eq 0 "$?" "kp-report as kptrace finds /usr/bin/kpannotate and writes the report ($(tail -n 1 <<<"$out"))"
check "the report's timeline.csv names the vantage point" grep -q "$vp" "$R/var/lib/kptrace/report/timeline.csv"

# --- purge: the package's files go, the data stays ---------------------------------
rm -f "$R"/etc/kptrace/*.conf
out=$(in_root env DEBIAN_FRONTEND=noninteractive apt-get purge -y kptrace 2>&1)
eq 0 "$?" "apt-get purge kptrace"
check "purge removes /usr/bin/kptrace" test ! -e "$R/usr/bin/kptrace"
check "purge removes the units" test ! -e "$R/lib/systemd/system/kptrace-watch@.service"
check "purge removes the empty /etc/kptrace" test ! -e "$R/etc/kptrace"
check "purge keeps the measurements in /var/lib/kptrace" test -s "$run/traces.jsonl"
exit 0
