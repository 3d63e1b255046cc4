# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash
# root_checks.sh — the checks of the programs that inspect a throwaway root
# (package_root.sh, ansible_root.sh): each prints one line, "ok MSG" or
# "FAIL MSG", which tb_check_lines (lib.sh) counts as one assertion.
#   ok MSG   fail MSG   check MSG CMD... (CMD exits 0)   eq EXPECTED ACTUAL MSG
ok() { echo "ok $*"; }
fail() { echo "FAIL $*"; }
check() {
    local msg=$1
    shift
    if "$@" >/dev/null 2>&1; then ok "$msg"; else fail "$msg (exit $?: $*)"; fi
}
eq() { if [ "$1" == "$2" ]; then ok "$3"; else fail "$3: expected '$1', got '$2'"; fi; }
