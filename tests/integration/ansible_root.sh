#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# ansible_root.sh — deploy/ansible/site.yml run for real on four throwaway
# roots (tests/integration/test_ansible.sh runs it under `unshare -m`):
#   ansible_root.sh DEB WORK PFX2AS
# Each host of deploy/ansible/inventory.example (three vantage points and a
# collector) is this machine's / seen through an overlay whose writes go to a
# tmpfs, reached with ansible's chroot connection; an inventory of overrides
# points the hosts at their roots, the package at DEB, the tables at PFX2AS,
# and keeps systemd from being started (the units are enabled, then checked
# with systemd-analyze). The overlays live in this process's private mount
# namespace and vanish with it. Prints one line per check, "ok MSG" or
# "FAIL MSG" (tb_check_lines).
set -uo pipefail
deb=$1 work=$2 pfx2as=$3
src=$(cd "$(dirname "$0")/../.." && pwd)
play=$src/deploy/ansible

# shellcheck source=tests/integration/root_checks.sh
source "$(dirname "$0")/root_checks.sh"

vps=(fra1 sin1 nyc1)
hosts=(fra1.example.net sin1.example.net nyc1.example.net collector.example.net)
base=$(mktemp -d /tmp/kp-ansroot.XXXXXX)
cleanup() {
    umount -R "$base" 2>/dev/null || umount -lR "$base" 2>/dev/null
    rmdir "$base" 2>/dev/null
}
trap cleanup EXIT
mount -t tmpfs -o size=2g kp-ansroot "$base" || { fail "tmpfs for the throwaway roots"; exit 0; }
declare -A root
for h in "${hosts[@]}"; do
    d=$base/$h
    mkdir -p "$d/upper" "$d/work" "$d/root"
    root[$h]=$d/root
    if ! mount -t overlay kp-ansroot -o "lowerdir=/,upperdir=$d/upper,workdir=$d/work" "$d/root"; then
        fail "overlay of / for $h"
        exit 0
    fi
    for m in proc dev dev/pts; do mount --bind "/$m" "$d/root/$m" || fail "bind /$m into $h's root"; done
    mount -t tmpfs tmpfs "$d/root/tmp"
    mount -t tmpfs tmpfs "$d/root/run"
    # (man-db's index is not rebuilt in a throwaway root: slow, and not checked here)
    rm -f "$d/root/var/lib/man-db/auto-update"
    if chroot "$d/root" getent passwd kptrace >/dev/null || [ -e "$d/root/etc/kptrace" ]; then
        fail "$h's root already has kptrace: not a fresh machine"
        exit 0
    fi
done
# A vantage point runs sshd: its host key, which the collector must learn.
for vp in "${vps[@]}"; do
    r=${root[$vp.example.net]}
    mkdir -p "$r/etc/ssh"
    ssh-keygen -q -t ed25519 -N '' -C "root@$vp" -f "$r/etc/ssh/ssh_host_ed25519_key" ||
        fail "ssh-keygen of $vp's host key"
done
in_root() {
    local h=$1
    shift
    chroot "${root[$h]}" "$@"
}

# --- the run: inventory.example, its hosts pointed at the roots ----------------
# nyc1 also watches (a second instance, mode watch, its table copied);
# the collector gets the testbed's table for its report.
cat >"$work/overrides.yml" <<EOF
all:
  vars:
    ansible_connection: community.general.chroot
    ansible_python_interpreter: /usr/bin/python3
    kptrace_package_deb: $deb
    kptrace_vantage_point_start_units: false
    kptrace_collector_start_units: false
  children:
    kptrace_vantage_points:
      hosts:
        fra1.example.net:
          ansible_host: ${root[fra1.example.net]}
        sin1.example.net:
          ansible_host: ${root[sin1.example.net]}
        nyc1.example.net:
          ansible_host: ${root[nyc1.example.net]}
          kptrace_vantage_point_tables: [$pfx2as]
          kptrace_vantage_point_instances:
            - name: nk
              conf:
                TARGETS: [175.45.176.0/24, 175.45.177.0/24]
                PPS: 100
            - name: nkwatch
              mode: watch
              conf:
                TARGETS: 175.45.178.0/24
                PFX2AS: /var/lib/kptrace/tables/$(basename "$pfx2as")
                WATCH_ARGS: --interval 600
    kptrace_collectors:
      hosts:
        collector.example.net:
          ansible_host: ${root[collector.example.net]}
          kptrace_collector_tables: [$pfx2as]
          kptrace_collector_report_conf:
            PFX2AS: /var/lib/kptrace/tables/$(basename "$pfx2as")
            PERIOD: day
            KEEP_SPECIAL: benchmarking,documentation
          kptrace_collector_collect_on_calendar: "*-*-* *:40:00"
EOF
export ANSIBLE_CONFIG=$play/ansible.cfg ANSIBLE_HOME=$work/ansible-home ANSIBLE_LOCAL_TEMP=$work/ansible-tmp
export ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0 ANSIBLE_PIPELINING=1 PATH=/usr/sbin:/usr/bin:/sbin:/bin
run_play() {
    /usr/bin/ansible-playbook -i "$play/inventory.example" -i "$work/overrides.yml" "$play/site.yml" >"$1" 2>&1
}
# recap HOST LOG — "ok=N changed=N unreachable=N failed=N" of HOST in LOG's PLAY RECAP
recap() {
    sed -n "/^PLAY RECAP/,\$ s/^$1 *: //p" "$2" | awk '{ print $1, $2, $3, $4 }'
}
run_play "$work/run1.log"
rc=$?
eq 0 "$rc" "ansible-playbook site.yml, first run, exits 0 ($(grep -E 'fatal|ERROR' "$work/run1.log" | head -n 3 | tr '\n' ' '))"
for h in "${hosts[@]}"; do
    r=$(recap "$h" "$work/run1.log")
    if [[ "$r" =~ ^ok=[0-9]+\ changed=[1-9][0-9]*\ unreachable=0\ failed=0$ ]]; then
        ok "first run on $h: $r"
    else
        fail "first run on $h: '$r'"
    fi
done
run_play "$work/run2.log"
eq 0 "$?" "ansible-playbook site.yml, second run, exits 0"
for h in "${hosts[@]}"; do
    r=$(recap "$h" "$work/run2.log")
    if [[ "$r" =~ ^ok=[0-9]+\ changed=0\ unreachable=0\ failed=0$ ]]; then
        ok "second run on $h changes nothing: $r"
    else
        fail "second run on $h: '$r' ($(grep -B1 '^changed:' "$work/run2.log" | grep TASK | tr '\n' ' '))"
    fi
done

# --- every host: the package, the user, the data directory ---------------------------
# stat_of HOST PATH — "owner:group mode" of PATH in HOST's root
stat_of() { in_root "$1" stat -c '%U:%G %a' "$2" 2>&1; }
for h in "${hosts[@]}"; do
    eq "install ok installed" "$(in_root "$h" dpkg-query -W -f='${Status}' kptrace 2>&1)" "$h: kptrace installed"
    eq "root:root 644" "$(stat_of "$h" "/var/cache/kptrace/$(basename "$deb")")" "$h: the .deb kept in /var/cache/kptrace"
    pw=$(in_root "$h" getent passwd kptrace)
    IFS=: read -r _ _ uid _ _ home shell <<<"$pw"
    if [ -n "$uid" ] && [ "$uid" -lt 1000 ] && [ "$home" = /var/lib/kptrace ] && [ "$shell" = /usr/sbin/nologin ]; then
        ok "$h: kptrace is a system user without a shell ($pw)"
    else
        fail "$h: kptrace user: '$pw'"
    fi
    eq "kptrace:kptrace 750" "$(stat_of "$h" /var/lib/kptrace)" "$h: /var/lib/kptrace is kptrace's, 0750"
    eq "root:root 755" "$(stat_of "$h" /etc/kptrace)" "$h: /etc/kptrace"
done

# --- the vantage points ----------------------------------------------------------------
coll=collector.example.net
collpub=$(cat "${root[$coll]}/var/lib/kptrace/.ssh/id_ed25519.pub" 2>/dev/null)
declare -A offset=([fra1]=00 [sin1]=02 [nyc1]=04)
for vp in "${vps[@]}"; do
    h=$vp.example.net r=${root[$h]}
    for d in sweeps watch tables; do
        eq "kptrace:kptrace 750" "$(stat_of "$h" /var/lib/kptrace/$d)" "$vp: /var/lib/kptrace/$d is kptrace's, 0750"
    done
    eq "root:kptrace 640" "$(stat_of "$h" /etc/kptrace/nk.conf)" "$vp: /etc/kptrace/nk.conf root:kptrace 0640"
    keys=$(grep -v '^#' "$r/etc/kptrace/nk.conf" 2>&1)
    if [ "$vp" = nyc1 ]; then
        want="VP=nyc1
TARGETS=175.45.176.0/24,175.45.177.0/24
PPS=100"
    else
        want="VP=$vp
TARGETS=175.45.176.0/22
METHODS=icmp-paris,udp-paris,tcp-syn
PPS=200
SWEEP_ARGS=\"--wait 1500\""
    fi
    eq "$want" "$keys" "$vp: nk.conf holds the inventory's keys, VP first"
    check "$vp: nk.conf passes kptrace-conf check sweep, as the unit's user" \
        in_root "$h" setpriv --reuid kptrace --regid kptrace --init-groups \
        /usr/libexec/kptrace/kptrace-conf check sweep /etc/kptrace/nk.conf
    dropin=/etc/systemd/system/kptrace-sweep@nk.timer.d/schedule.conf
    eq "root:root 644" "$(stat_of "$h" $dropin)" "$vp: the sweep's schedule drop-in, 0644"
    eq "[Timer]
OnCalendar=
OnCalendar=*-*-* ${offset[$vp]}/6:00:00
RandomizedDelaySec=10min" "$(grep -v '^#' "$r$dropin" 2>&1)" "$vp: the drop-in sets its own slot of the 6-hour cycle"
    # The slot as systemd reads it: the next four starts, at the vantage point's hours.
    next=$(in_root "$h" systemd-analyze calendar --iterations=4 --base-time='2026-12-01 23:59:59 UTC' \
        "*-*-* ${offset[$vp]}/6:00:00 UTC" 2>&1 | grep -oE '[0-9]{2}:[0-9]{2}:[0-9]{2} UTC' | tr '\n' ' ')
    o=${offset[$vp]}
    eq "$o:00:00 UTC $(printf %02d $((10#$o + 6))):00:00 UTC $(printf %02d $((10#$o + 12))):00:00 UTC $(printf %02d $((10#$o + 18))):00:00 UTC " \
        "$next" "$vp: systemd starts its sweeps at $o, +6, +12, +18 h"
    eq "/lib/systemd/system/kptrace-sweep@.timer" "$(readlink "$r/etc/systemd/system/timers.target.wants/kptrace-sweep@nk.timer")" \
        "$vp: kptrace-sweep@nk.timer enabled"
    for u in kptrace-sweep@nk.timer kptrace-sweep@nk.service; do
        out=$(in_root "$h" systemd-analyze verify "/lib/systemd/system/$u" 2>&1)
        rc=$?
        if [ "$rc" = 0 ] && [ -z "$out" ]; then ok "$vp: systemd-analyze verify $u (with the drop-in): clean"; else fail "$vp: verify $u (exit $rc): $out"; fi
    done
    # A negative control: systemd reads the drop-in (a broken one fails verify).
    if [ "$vp" = fra1 ]; then
        cp "$r$dropin" "$work/schedule.conf"
        printf '[Timer]\nOnCalendar=\nOnCalendar=not-a-time\n' >"$r$dropin"
        out=$(in_root "$h" systemd-analyze verify /lib/systemd/system/kptrace-sweep@nk.timer 2>&1)
        rc=$?
        if [ "$rc" != 0 ] && [[ "$out" == *"$dropin:3"* ]]; then
            ok "fra1: verify reads the drop-in (a broken one fails at $dropin:3)"
        else
            fail "fra1: a broken drop-in passes verify: $out"
        fi
        cp "$work/schedule.conf" "$r$dropin"
    fi
    # The pull user and what the collector's key may do.
    pw=$(in_root "$h" getent passwd kptrace-pull)
    IFS=: read -r _ _ uid _ _ home shell <<<"$pw"
    if [ -n "$uid" ] && [ "$uid" -lt 1000 ] && [ "$home" = /var/lib/kptrace-pull ] && [ "$shell" = /bin/sh ]; then
        ok "$vp: kptrace-pull is a system user with a shell for its forced command ($pw)"
    else
        fail "$vp: kptrace-pull: '$pw'"
    fi
    if in_root "$h" id -nG kptrace-pull 2>/dev/null | tr ' ' '\n' | grep -qx kptrace; then
        ok "$vp: kptrace-pull is in group kptrace (reads the sweeps)"
    else
        fail "$vp: kptrace-pull not in group kptrace: $(in_root "$h" id -nG kptrace-pull 2>&1)"
    fi
    ak=/var/lib/kptrace-pull/.ssh/authorized_keys
    eq "kptrace-pull:kptrace-pull 700" "$(stat_of "$h" /var/lib/kptrace-pull/.ssh)" "$vp: ~kptrace-pull/.ssh 0700"
    eq "kptrace-pull:kptrace-pull 600" "$(stat_of "$h" $ak)" "$vp: authorized_keys 0600"
    if [ -n "$collpub" ]; then
        eq "restrict,command=\"/usr/bin/rrsync -ro /var/lib/kptrace/sweeps\" $collpub" "$(cat "$r$ak" 2>&1)" \
            "$vp: authorized_keys holds the collector's key alone, restricted to a read-only rsync of the sweeps"
    fi
done
h=nyc1.example.net
eq "root:kptrace 640" "$(stat_of $h /var/lib/kptrace/tables/"$(basename "$pfx2as")")" "nyc1: watch's table copied, root:kptrace 0640"
eq "VP=nyc1
TARGETS=175.45.178.0/24
PFX2AS=/var/lib/kptrace/tables/$(basename "$pfx2as")
WATCH_ARGS=\"--interval 600\"" "$(grep -v '^#' "${root[$h]}/etc/kptrace/nkwatch.conf" 2>&1)" "nyc1: nkwatch.conf holds the watch's keys"
check "nyc1: nkwatch.conf passes kptrace-conf check watch, as the unit's user" \
    in_root $h setpriv --reuid kptrace --regid kptrace --init-groups \
    /usr/libexec/kptrace/kptrace-conf check watch /etc/kptrace/nkwatch.conf
eq "/lib/systemd/system/kptrace-watch@.service" \
    "$(readlink "${root[$h]}/etc/systemd/system/multi-user.target.wants/kptrace-watch@nkwatch.service")" \
    "nyc1: kptrace-watch@nkwatch.service enabled"
check "nyc1: no sweep timer for the watch instance" test ! -e "${root[$h]}/etc/systemd/system/kptrace-sweep@nkwatch.timer.d"
out=$(in_root $h systemd-analyze verify /lib/systemd/system/kptrace-watch@nkwatch.service 2>&1)
eq "" "$out" "nyc1: systemd-analyze verify kptrace-watch@nkwatch.service: clean"

# --- the collector ---------------------------------------------------------------
h=$coll r=${root[$coll]}
for d in archive report tables; do
    eq "kptrace:kptrace 750" "$(stat_of $h /var/lib/kptrace/$d)" "collector: /var/lib/kptrace/$d is kptrace's, 0750"
done
eq "kptrace:kptrace 700" "$(stat_of $h /var/lib/kptrace/.ssh)" "collector: /var/lib/kptrace/.ssh 0700"
eq "kptrace:kptrace 600" "$(stat_of $h /var/lib/kptrace/.ssh/id_ed25519)" "collector: the pull key is kptrace's, 0600"
if [[ "$collpub" =~ ^ssh-ed25519\ [A-Za-z0-9+/=]+\ kp-collect@collector.example.net$ ]]; then
    ok "collector: an ed25519 key, kp-collect@collector.example.net"
else
    fail "collector: public key '$collpub'"
fi
check "collector: the private key matches the public one" \
    test "$(ssh-keygen -y -f "$r/var/lib/kptrace/.ssh/id_ed25519" 2>/dev/null | cut -d' ' -f1-2)" = "$(cut -d' ' -f1-2 <<<"$collpub")"
eq "kptrace:kptrace 644" "$(stat_of $h /var/lib/kptrace/.ssh/known_hosts)" "collector: known_hosts is kptrace's, 0644"
for vp in "${vps[@]}"; do
    want=$(cut -d' ' -f1-2 "${root[$vp.example.net]}/etc/ssh/ssh_host_ed25519_key.pub")
    got=$(ssh-keygen -F "$vp.example.net" -f "$r/var/lib/kptrace/.ssh/known_hosts" 2>/dev/null | grep -v '^#' | cut -d' ' -f2-3)
    eq "$want" "$got" "collector: known_hosts has $vp.example.net's own host key"
done
eq 3 "$(grep -vc '^#' "$r/var/lib/kptrace/.ssh/known_hosts")" "collector: known_hosts has the three vantage points alone"
eq "root:kptrace 640" "$(stat_of $h /etc/kptrace/collect.conf)" "collector: collect.conf root:kptrace 0640"
eq "root:kptrace 640" "$(stat_of $h /etc/kptrace/report.conf)" "collector: report.conf root:kptrace 0640"
eq 'SOURCES="kptrace-pull@fra1.example.net: kptrace-pull@sin1.example.net: kptrace-pull@nyc1.example.net:"' \
    "$(grep -v '^#' "$r/etc/kptrace/collect.conf" 2>&1)" "collector: collect.conf pulls from the three vantage points"
eq "PFX2AS=/var/lib/kptrace/tables/$(basename "$pfx2as")
PERIOD=day
KEEP_SPECIAL=benchmarking,documentation" "$(grep -v '^#' "$r/etc/kptrace/report.conf" 2>&1)" "collector: report.conf holds the inventory's keys"
for k in collect report; do
    check "collector: $k.conf passes kptrace-conf check $k, as the unit's user" \
        in_root $h setpriv --reuid kptrace --regid kptrace --init-groups \
        /usr/libexec/kptrace/kptrace-conf check $k /etc/kptrace/$k.conf
done
for t in kp-collect.timer kp-report.timer; do
    eq "/lib/systemd/system/$t" "$(readlink "$r/etc/systemd/system/timers.target.wants/$t")" "collector: $t enabled"
done
eq "[Timer]
OnCalendar=
OnCalendar=*-*-* *:40:00" "$(grep -v '^#' "$r/etc/systemd/system/kp-collect.timer.d/schedule.conf" 2>&1)" \
    "collector: kp-collect.timer's schedule from the inventory"
check "collector: kp-report.timer keeps the unit's schedule (no drop-in)" test ! -e "$r/etc/systemd/system/kp-report.timer.d"
for u in kp-collect.timer kp-collect.service kp-report.timer kp-report.service; do
    out=$(in_root $h systemd-analyze verify "/lib/systemd/system/$u" 2>&1)
    eq "" "$out" "collector: systemd-analyze verify $u: clean"
done

# --- the pull, through each vantage point's authorized_keys ------------------------
# No sshd here: a stand-in remote shell does what sshd does with the
# collector's key — finds its line in the vantage point's authorized_keys,
# and runs that line's command= (rrsync) as the pull user in the vantage
# point's root, with the command rsync asked for in SSH_ORIGINAL_COMMAND.
for vp in "${vps[@]}"; do echo "kptrace-pull@$vp.example.net ${root[$vp.example.net]}"; done >"$work/hosts.map"
cat >"$work/ssh" <<'SH'
#!/usr/bin/env bash
# ssh stand-in: [-o OPT]... [-l USER] HOST COMMAND...
set -u
user=""
while [ $# -gt 0 ]; do
    case $1 in
    -o) shift 2 ;;
    -l) user=$2; shift 2 ;;
    -*) shift ;;
    *) break ;;
    esac
done
host=$1
shift
[ -n "$user" ] || { user=${host%@*}; host=${host#*@}; }
root=$(awk -v h="$user@$host" '$1 == h { print $2 }' "$KP_HOSTS_MAP")
[ -n "$root" ] || { echo "ssh: $user@$host: unknown" >&2; exit 255; }
key=$(cut -d' ' -f2 "$KP_COLLECT_PUB")
line=$(grep -F " $key" "$root/var/lib/$user/.ssh/authorized_keys" 2>/dev/null)
[ -n "$line" ] || { echo "ssh: $user@$host: Permission denied (publickey)" >&2; exit 255; }
case $line in restrict,*) ;; *) echo "ssh: the key is not restricted" >&2; exit 255 ;; esac
forced=$(sed -n 's/^[^ ]*command="\([^"]*\)".*/\1/p' <<<"$line")
[ -n "$forced" ] || { echo "ssh: no forced command" >&2; exit 255; }
exec chroot "$root" setpriv --reuid "$user" --regid "$user" --init-groups \
    env -i PATH=/usr/bin:/bin HOME="/var/lib/$user" SSH_ORIGINAL_COMMAND="$*" /bin/sh -c "$forced"
SH
chmod +x "$work/ssh"
export KP_HOSTS_MAP=$work/hosts.map KP_COLLECT_PUB=$r/var/lib/kptrace/.ssh/id_ed25519.pub
# A finished sweep on each vantage point, as the units leave it (kptrace's
# files, umask 0027): sweep.json, one trace, a capture with a pcap header.
for vp in "${vps[@]}"; do
    d=${root[$vp.example.net]}/var/lib/kptrace/sweeps/$vp/20261201T000000Z
    mkdir -p "$d"
    printf '{"v":1,"type":"sweep","vp":"%s","status":"complete","counts":{"traces":1,"hops":1},"files":{"traces":"traces.jsonl","capture":"capture.pcap"}}\n' "$vp" >"$d/sweep.json"
    printf '{"type":"trace","vp":"%s","dst":"175.45.176.1","hops":[{"ttl":1,"addr":"198.18.0.1"}]}\n' "$vp" >"$d/traces.jsonl"
    printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x08\x00\x00\x01\x00\x00\x00' >"$d/capture.pcap"
    in_root "$vp.example.net" chown -R kptrace:kptrace "/var/lib/kptrace/sweeps/$vp"
    in_root "$vp.example.net" chmod -R g=rX,o= "/var/lib/kptrace/sweeps/$vp"
done
# kp-collect with the collector's collect.conf, its ssh replaced by the stand-in.
sources=$(sed -n 's/^SOURCES="\(.*\)"$/\1/p' "$r/etc/kptrace/collect.conf")
# shellcheck disable=SC2086 # SOURCES is a space-separated list
out=$(python3 "$src/scripts/kp-collect" --ssh "$work/ssh" --archive "$work/archive" $sources 2>&1)
rc=$?
eq 0 "$rc" "kp-collect through the vantage points' forced command exits 0 ($(tr '\n' ' ' <<<"$out"))"
if grep -qx 'kp-collect: 3 new, 0 already archived, 0 running, 0 bad' <<<"$out"; then ok "kp-collect: 3 new sweeps"; else fail "kp-collect said: $out"; fi
for vp in "${vps[@]}"; do
    check "the archive holds $vp's sweep" test -s "$work/archive/$vp/20261201T000000Z/traces.jsonl"
done
# What else the collector's key may do there: nothing.
out=$(rsync -e "$work/ssh" "$work/hosts.map" kptrace-pull@fra1.example.net:planted 2>&1)
rc=$?
if [ "$rc" != 0 ] && [ ! -e "${root[fra1.example.net]}/var/lib/kptrace/sweeps/planted" ]; then
    ok "the collector's key cannot write to a vantage point (rsync exit $rc: $(head -n 1 <<<"$out"))"
else
    fail "an upload through the collector's key: exit $rc, $out"
fi
out=$(rsync -e "$work/ssh" --list-only kptrace-pull@fra1.example.net:../../../etc/ 2>&1)
rc=$?
if [ "$rc" != 0 ] && ! grep -q passwd <<<"$out"; then
    ok "the collector's key cannot read outside /var/lib/kptrace/sweeps (rsync exit $rc)"
else
    fail "a listing of /etc through the collector's key: exit $rc, $out"
fi
exit 0
