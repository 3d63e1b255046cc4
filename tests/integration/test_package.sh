#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# ctest-labels: long
# test_package — the Debian package and its systemd units:
#   1. scripts/package builds kptrace_<version>_<arch>.deb; lintian reports no
#      error (its warnings are printed); dpkg -c lists the programs, the
#      scripts, the conf helper, the man pages, the docs and examples, the
#      copyright and changelog, and the seven units; Depends names the
#      package of every shared library the programs need (found with dpkg -S
#      on this machine), python3 and adduser;
#   2. in a throwaway root (this machine's / under an overlay in a private
#      mount namespace: tests/integration/package_root.sh) `apt-get install
#      ./kptrace_*.deb` works, the programs run from /usr/bin, the kptrace
#      system user and /var/lib/kptrace exist, every unit passes
#      systemd-analyze verify, kptrace-watch@.service's exposure is <= 2.5,
#      a conf with a wrong key fails with FILE:LINE; a sweep started the way
#      kptrace-sweep@.service starts it, as kptrace with CAP_NET_RAW only,
#      from the testbed's vp-eu, completes and leaves its files (no
#      sweep.json.tmp) in /var/lib/kptrace/sweeps; kp-collect and kp-report
#      run the same way; purge removes the package's files and keeps the data;
#   3. the machine is as it was: no kptrace package or user appeared, no
#      mount of the throwaway root is left.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

for t in lintian dpkg-deb systemd-analyze setpriv unshare apt-get; do
    command -v "$t" >/dev/null || die "$t not installed (run scripts/setup-deps)"
done
work=$(mktemp -d /tmp/kp-package.XXXXXX)
# The work directory goes too, then lib.sh's teardown and summary (with the exit status).
_pkg_exit() {
    local rc=$?
    rm -rf "$work"
    (exit "$rc")
    _tb_exit
}
trap _pkg_exit EXIT

host_user_before=$(getent passwd kptrace || true)
host_pkg_before=$(dpkg-query -W -f='${Status}' kptrace 2>/dev/null || true)
version=$(sed -n 's/^project(kptrace VERSION \([0-9.]*\).*/\1/p' "$KP_SRC/CMakeLists.txt")
arch=$(dpkg --print-architecture)

# --- 1. build, lint, contents ---------------------------------------------------
# (the build directory is shared with test_ansible: one build at a time)
mkdir -p "$KP_BUILD"
if ! deb=$(flock "$KP_BUILD/package-build.lock" bash "$KP_SRC/scripts/package" --build-dir "$KP_BUILD/package-build" \
    --out "$work" 2>"$work/package.err" | tail -n 1); then
    cat "$work/package.err" >&2
    die "scripts/package failed"
fi
assert_eq "$work/kptrace_${version}_$arch.deb" "$deb" "scripts/package writes kptrace_${version}_$arch.deb"
[ -f "$deb" ] || die "no package at $deb"

lint=$(lintian --no-tag-display-limit "$deb" 2>&1)
errors=$(grep -c '^E: ' <<<"$lint")
warnings=$(grep -c '^W: ' <<<"$lint")
tb_log "lintian: $errors errors, $warnings warnings"
grep -E '^[EW]: ' <<<"$lint" | sed 's/^/    /' >&2
assert_eq 0 "$errors" "lintian: no errors ($(grep '^E: ' <<<"$lint" | tr '\n' ' '))"

files=$(dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./|/|')
for f in /usr/bin/kptrace /usr/bin/kpannotate /usr/bin/kp-asmap /usr/bin/kp-sweep /usr/bin/kp-collect \
    /usr/bin/kp-report /usr/libexec/kptrace/kptrace-conf \
    /usr/share/man/man1/kptrace.1.gz /usr/share/man/man1/kpannotate.1.gz /usr/share/man/man1/kp-sweep.1.gz \
    /usr/share/man/man1/kp-collect.1.gz /usr/share/man/man1/kp-report.1.gz /usr/share/man/man1/kp-asmap.1.gz \
    /usr/share/doc/kptrace/copyright /usr/share/doc/kptrace/changelog.gz \
    /usr/share/doc/kptrace/README.md /usr/share/doc/kptrace/operations.md \
    /usr/share/doc/kptrace/examples/nk.conf /usr/share/doc/kptrace/examples/collect.conf \
    /usr/share/doc/kptrace/examples/report.conf \
    /lib/systemd/system/kptrace-sweep@.service /lib/systemd/system/kptrace-sweep@.timer \
    /lib/systemd/system/kptrace-watch@.service /lib/systemd/system/kp-collect.service \
    /lib/systemd/system/kp-collect.timer /lib/systemd/system/kp-report.service \
    /lib/systemd/system/kp-report.timer; do
    if grep -qxF "$f" <<<"$files"; then ok "dpkg -c lists $f"; else fail "dpkg -c does not list $f"; fi
done
assert_eq "" "$(dpkg-deb -c "$deb" | awk '$2 != "root/root"')" "every file is owned by root/root"
perm=$(dpkg-deb -c "$deb" | awk '$6 ~ /usr\/bin\/./ { print $1 }' | sort -u | tr '\n' ' ')
assert_eq "-rwxr-xr-x " "$perm" "programs in /usr/bin are 0755"

# Depends: the package of every library the programs link, found on this
# machine with dpkg -S, not taken from the build.
depends=$(dpkg-deb -f "$deb" Depends)
tb_log "Depends: $depends"
x=$(mktemp -d "$work/x.XXXXXX")
dpkg-deb -x "$deb" "$x"
for b in kptrace kpannotate kp-asmap; do
    for lib in $(objdump -p "$x/usr/bin/$b" | awk '$1 == "NEEDED" { print $2 }'); do
        path=$(ldconfig -p | awk -v l="$lib" '$1 == l { print $NF; exit }')
        pkg=$(dpkg -S "$(readlink -f "$path")" 2>/dev/null | head -n 1 | cut -d: -f1)
        [ -n "$pkg" ] || pkg=$(dpkg -S "$path" 2>/dev/null | head -n 1 | cut -d: -f1)
        if [[ ", $depends," =~ ,\ ${pkg}[\ ,] ]]; then
            ok "Depends names $pkg ($b needs $lib)"
        else
            fail "Depends lacks $pkg ($b needs $lib): $depends"
        fi
    done
done
for p in python3 adduser; do
    if [[ ", $depends," =~ ,\ ${p}[\ ,] ]]; then ok "Depends names $p"; else fail "Depends lacks $p"; fi
done

# --- 2. installed, in a throwaway root, and a sweep from the testbed ------------------
tb_up nk
VP=vp-eu
TARGETS=198.19.176.0/28,198.19.177.0/28
tb_check_lines package_root unshare -m --propagation private \
    bash "$KP_SRC/tests/integration/package_root.sh" "$deb" "$(tb_ns $VP)" "$VP" "$TARGETS" \
    "$version" "$KP_SRC/tests/testbed/topologies/nk.pfx2as" "$KP_TESTBED_KEEP"

# --- 3. the machine is as it was ---------------------------------------------------
assert_eq "$host_user_before" "$(getent passwd kptrace || true)" "this machine's kptrace user is as before"
assert_eq "$host_pkg_before" "$(dpkg-query -W -f='${Status}' kptrace 2>/dev/null || true)" \
    "this machine's kptrace package is as before"
assert_eq "" "$(grep kp-pkgroot /proc/mounts)" "no mount of the throwaway root is left"
