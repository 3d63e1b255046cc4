#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# ctest-labels: long
# test_ansible — the fleet playbook, deploy/ansible/site.yml:
#   1. `ansible-playbook --syntax-check` passes with inventory.example;
#      ansible-lint passes with the production profile (.ansible-lint skips
#      no rule), and fails on a copy of the roles with a shell task added (the
#      lint is live);
#   2. the playbook runs for real, with inventory.example (three vantage
#      points and a collector), on four throwaway roots (this machine's /
#      under overlays in a private mount namespace, reached with ansible's
#      chroot connection: tests/integration/ansible_root.sh), installing the
#      package scripts/package builds: the confs, drop-ins, enabled units,
#      users, keys, known_hosts and authorized_keys it leaves are checked
#      (content, owner, mode; systemd-analyze verify and calendar), a second
#      run changes nothing, and kp-collect pulls a sweep from each vantage
#      point through the authorized_keys line it wrote (rrsync, read-only);
#   3. the machine is as it was: no kptrace package or user, no /etc/kptrace,
#      no mount of the throwaway roots left.
# No packet is sent: nothing here touches a network.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

export PATH=/usr/sbin:/usr/bin:/sbin:/bin
for t in /usr/bin/ansible-playbook /usr/bin/ansible-lint /usr/bin/ansible-doc; do
    [ -x "$t" ] || die "$t not installed (run scripts/setup-deps: ansible, ansible-lint)"
done
for t in systemd-analyze setpriv unshare ssh-keygen rsync chroot dpkg-deb flock; do
    command -v "$t" >/dev/null || die "$t not installed (run scripts/setup-deps)"
done
play=$KP_SRC/deploy/ansible
work=$(mktemp -d /tmp/kp-ansible.XXXXXX)
_ans_exit() {
    local rc=$?
    rm -rf "$work"
    (exit "$rc")
    _tb_exit
}
trap _ans_exit EXIT
# ansible and ansible-lint keep their state here, not in ~.
export ANSIBLE_HOME=$work/ansible-home ANSIBLE_LOCAL_TEMP=$work/ansible-tmp XDG_CACHE_HOME=$work/cache
export ANSIBLE_NOCOLOR=1 NO_COLOR=1
/usr/bin/ansible-doc -t connection community.general.chroot >/dev/null 2>&1 ||
    die "ansible's community.general.chroot connection is missing (Debian's ansible package has it)"

host_user_before=$(getent passwd kptrace || true)
host_pull_before=$(getent passwd kptrace-pull || true)
host_pkg_before=$(dpkg-query -W -f='${Status}' kptrace 2>/dev/null || true)
host_etc_before=$(ls -d /etc/kptrace 2>/dev/null || true)

# --- 1. syntax and lint -------------------------------------------------------------
out=$(cd "$play" && ANSIBLE_CONFIG=$play/ansible.cfg /usr/bin/ansible-playbook -i inventory.example --syntax-check site.yml 2>&1)
rc=$?
assert_eq 0 "$rc" "ansible-playbook --syntax-check site.yml ($(tail -n 3 <<<"$out" | tr '\n' ' '))"
assert_match 'playbook: site.yml' "$out" "the syntax check names the playbook"

out=$(cd "$play" && /usr/bin/ansible-lint 2>&1)
rc=$?
assert_eq 0 "$rc" "ansible-lint deploy/ansible exits 0 ($(grep -vE '^\s*$' <<<"$out" | tail -n 15 | tr '\n' ' '))"
assert_match 'Passed with production profile: 0 failure\(s\), 0 warning\(s\)' "$out" \
    "ansible-lint: no failure, no warning at the production profile"
assert_eq "" "$(grep -E '^\s*(skip_list|warn_list|enable_list):' "$play/.ansible-lint")" \
    ".ansible-lint skips no rule and demotes none to a warning"
# A negative control: the same roles with a task ansible-lint must refuse.
cp -a "$play" "$work/lint-bad"
cat >>"$work/lint-bad/roles/kptrace_vantage_point/tasks/main.yml" <<'EOF'

- name: Enable the timer by hand
  ansible.builtin.shell: systemctl enable kptrace-sweep@nk.timer
EOF
out=$(cd "$work/lint-bad" && /usr/bin/ansible-lint 2>&1)
rc=$?
assert_ne 0 "$rc" "ansible-lint fails on a role with a shell task"
assert_match 'no-changed-when' "$out" "ansible-lint names the rule (no-changed-when)"

# --- 2. the playbook on four throwaway roots ----------------------------------------------
# The package, built as scripts/package builds it (the build directory is
# shared with test_package: one build at a time).
mkdir -p "$KP_BUILD"
if ! deb=$(flock "$KP_BUILD/package-build.lock" bash "$KP_SRC/scripts/package" \
    --build-dir "$KP_BUILD/package-build" --out "$work/deb" 2>"$work/package.err" | tail -n 1); then
    cat "$work/package.err" >&2
    die "scripts/package failed"
fi
[ -f "$deb" ] || die "no package at $deb"
tb_check_lines ansible_root unshare -m --propagation private \
    bash "$KP_SRC/tests/integration/ansible_root.sh" "$deb" "$work" "$KP_SRC/tests/testbed/topologies/nk.pfx2as"

# --- 3. the machine is as it was ---------------------------------------------------------
assert_eq "$host_user_before" "$(getent passwd kptrace || true)" "this machine's kptrace user is as before"
assert_eq "$host_pull_before" "$(getent passwd kptrace-pull || true)" "this machine's kptrace-pull user is as before"
assert_eq "$host_pkg_before" "$(dpkg-query -W -f='${Status}' kptrace 2>/dev/null || true)" \
    "this machine's kptrace package is as before"
assert_eq "$host_etc_before" "$(ls -d /etc/kptrace 2>/dev/null || true)" "this machine's /etc/kptrace is as before"
assert_eq "" "$(grep kp-ansroot /proc/mounts)" "no mount of the throwaway roots is left"
