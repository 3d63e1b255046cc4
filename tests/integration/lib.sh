# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash
# lib.sh — shared helpers for kptrace's integration tests (tests/integration/test_*.sh).
#
#   source "$(dirname "$0")/lib.sh"
#   tb_up nk                                   # build tests/testbed/topologies/nk.topo
#   out=$(tb_exec vp-eu traceroute -n 198.19.176.1)
#   assert_eq "$(tb_path vp-eu 198.19.176.1)" "$(tb_trace_tokens <<<"$out")" "vp-eu to .176"
#   # at exit: teardown, leftover check, and the summary line "N passed, N failed"
#
# Sourcing it fails the test at once (exit 1, with a message) when not root or
# when network namespaces cannot be created: integration tests never skip.
#
# Functions (all documented where defined):
#   tb_up TOPO [kptb-up-args...]   tb_down          tb_exec NODE CMD...
#   tb_ns NODE       tb_addr NODE   tb_iface NODE [PEER]   tb_path VP DST [--alt N]
#   tb_path_count VP DST            tb_cases        tb_truth   tb_query PYEXPR
#   tb_trace_tokens < traceroute-output
#   tb_kptb ARGS...  tb_log MSG...  tb_check_lines NAME CMD...
#   ok MSG   fail MSG   die MSG   assert_eq EXPECTED ACTUAL MSG   assert_ne A B MSG
#   assert_match REGEX ACTUAL MSG  assert_between LOW HIGH ACTUAL MSG
#   assert_cmd MSG CMD...          tb_summary
# Variables: KP_SRC, KP_BUILD, KPTB (the kptb program), TB_STATE, TB_PREFIX,
#   TB_PASSED, TB_FAILED, KP_TESTBED_KEEP (kpannotate --keep-special list),
#   KP_ALLOWLIST (exported: the testbed's allowlist,
#   tests/testbed/allowlist.conf; every kptrace trace/sweep run in the
#   testbed passes --allowlist-file "$KP_ALLOWLIST", since kptrace's default
#   blocklist refuses the testbed's 198.18.0.0/15, 198.51.100.0/24 and
#   203.0.113.0/24).
set -uo pipefail

KP_SRC=${KP_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
KP_BUILD=${KP_BUILD:-$KP_SRC/build}
KPTB=$KP_SRC/tests/testbed/kptb
# The testbed numbers its Internet from benchmarking space (198.18.0.0/15),
# the documentation ranges and documentation/private AS numbers; kpannotate
# drops such announcements from prefix2as and RIB files unless told to keep
# them (docs/asmap.md): every kpannotate run on the testbed's tables passes
# --keep-special "$KP_TESTBED_KEEP".
KP_TESTBED_KEEP=benchmarking,documentation,documentation-asn,private-asn
KP_ALLOWLIST=${KP_ALLOWLIST:-$KP_SRC/tests/testbed/allowlist.conf}
export KP_SRC KP_BUILD KP_ALLOWLIST
TB_PASSED=0
TB_FAILED=0
TB_STATE=""
TB_PREFIX=""
TB_NAME=$(basename "${0%.sh}")
TB_START=$(date +%s)

# tb_log MSG... — an informational line on stderr, prefixed with the test name.
tb_log() { echo "[$TB_NAME] $*" >&2; }

# ok MSG — count one passed assertion.
ok() {
    TB_PASSED=$((TB_PASSED + 1))
    echo "ok - $*"
}

# fail MSG — count one failed assertion and carry on (the test fails at exit).
fail() {
    TB_FAILED=$((TB_FAILED + 1))
    echo "FAIL - $*"
}

# tb_check_lines NAME CMD... — run a checker program that prints one line per
# check, "ok MSG" or "FAIL MSG"; each line counts as one assertion. A checker
# that exits non-zero, or prints nothing, fails too.
tb_check_lines() {
    local name=$1 out line n=0
    shift
    out=$("$@" 2>&1) || fail "$name crashed: $out"
    while IFS= read -r line; do
        n=$((n + 1))
        case $line in
        "ok "*) ok "${line#ok }" ;;
        *) fail "${line#FAIL }" ;;
        esac
    done <<<"$out"
    [ "$n" -gt 0 ] || fail "$name printed nothing"
}

# die MSG — fail and stop the test now (teardown still runs via the trap).
die() {
    fail "$*"
    exit 1
}

# require_ops_tools — the programs the operations scripts' tests run ($KPA,
# $KPT, $SWEEP, $COLLECT, $REPORT, set by the caller) and flock: missing ones
# fail the test loudly.
require_ops_tools() {
    [ -x "$KPA" ] || die "kpannotate not built ($KPA)"
    [ -x "$KPT" ] || die "kptrace not built ($KPT)"
    for f in "$SWEEP" "$COLLECT" "$REPORT"; do
        [ -x "$f" ] || die "$f missing or not executable"
    done
    command -v flock >/dev/null || die "flock (util-linux) not installed"
}

# assert_eq EXPECTED ACTUAL MSG — string equality; prints both on failure.
assert_eq() {
    if [ "$1" == "$2" ]; then
        ok "$3"
    else
        fail "$3"
        printf '    expected: %s\n    actual:   %s\n' "$1" "$2"
    fi
}

# assert_ne A B MSG — the strings differ.
assert_ne() {
    if [ "$1" != "$2" ]; then
        ok "$3"
    else
        fail "$3 (both are '$1')"
    fi
}

# assert_match REGEX ACTUAL MSG — bash extended regex match.
assert_match() {
    if [[ "$2" =~ $1 ]]; then
        ok "$3"
    else
        fail "$3"
        printf '    regex:  %s\n    actual: %s\n' "$1" "$2"
    fi
}

# assert_between LOW HIGH ACTUAL MSG — LOW <= ACTUAL <= HIGH (decimals allowed).
assert_between() {
    if awk -v lo="$1" -v hi="$2" -v x="$3" 'BEGIN { exit !(x != "" && x + 0 >= lo + 0 && x + 0 <= hi + 0) }'; then
        ok "$4 ($3 in [$1, $2])"
    else
        fail "$4 ($3 not in [$1, $2])"
    fi
}

# assert_cmd MSG CMD... — CMD exits 0.
assert_cmd() {
    local msg=$1
    shift
    if "$@"; then
        ok "$msg"
    else
        fail "$msg (exit $?: $*)"
    fi
}

# tb_summary — print "N passed, N failed" alone on a line; returns 1 when
# anything failed or nothing was asserted. Called by the exit trap.
tb_summary() {
    echo "[$TB_NAME] $(($(date +%s) - TB_START)) s"
    echo "$TB_PASSED passed, $TB_FAILED failed"
    [ "$TB_FAILED" -eq 0 ] && [ "$TB_PASSED" -gt 0 ]
}

# tb_kptb ARGS... — run the testbed tool.
tb_kptb() { "$KPTB" "$@"; }

# --- preconditions: fail loudly, never skip ----------------------------------
_tb_precheck() {
    if [ "$(id -u)" != 0 ]; then
        echo "[$TB_NAME] FATAL: integration tests need root (network namespaces); run as root" >&2
        echo "0 passed, 1 failed"
        exit 1
    fi
    local probe="kpcheck$$"
    if ! ip netns add "$probe" 2>/dev/null; then
        echo "[$TB_NAME] FATAL: cannot create network namespaces (ip netns add failed)" >&2
        echo "0 passed, 1 failed"
        exit 1
    fi
    ip netns del "$probe"
    local t
    for t in python3 nft; do
        if ! command -v "$t" >/dev/null; then
            echo "[$TB_NAME] FATAL: $t not installed (run scripts/setup-deps)" >&2
            echo "0 passed, 1 failed"
            exit 1
        fi
    done
}
_tb_precheck

# Teardown, leftover check and summary at exit (also on INT/TERM).
_tb_exit() {
    local rc=$?
    trap - EXIT INT TERM
    [ -n "$TB_STATE" ] && tb_down
    tb_summary || rc=1
    exit "$rc"
}
trap _tb_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# tb_up TOPO [kptb-up-args...] — build a topology. TOPO is a name under
# tests/testbed/topologies/ (nk) or a path to a .topo file. Sets TB_STATE (a
# fresh mktemp directory holding state.json, truth.json and logs/) and
# TB_PREFIX (the run's namespace prefix). One testbed at a time per test.
tb_up() {
    local topo=$1
    shift
    [ -f "$topo" ] || topo=$KP_SRC/tests/testbed/topologies/$topo.topo
    [ -n "$TB_STATE" ] && die "tb_up: a testbed is already up ($TB_PREFIX)"
    local dl=$KP_BUILD/tests/testbed/kptb-delayline
    [ -x "$dl" ] || die "tb_up: $dl not built (build the tree, or set KP_BUILD)"
    # Runs of tests that were killed outright (ctest timeout) are reaped here.
    "$KPTB" gc >&2 || true
    TB_STATE=$(mktemp -d /tmp/kptb-state.XXXXXX)
    local t0 out
    t0=$(date +%s.%N)
    if ! out=$("$KPTB" up "$topo" --state "$TB_STATE" --delayline "$dl" --owner $$ "$@"); then
        TB_PREFIX=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["prefix"])' \
            "$TB_STATE/state.json" 2>/dev/null || true)
        [ -n "$TB_PREFIX" ] || TB_STATE=""
        die "tb_up: kptb up $topo failed"
    fi
    TB_PREFIX=$out
    tb_log "testbed $(basename "$topo") up as $TB_PREFIX in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}') s (state $TB_STATE)"
}

# tb_down — tear the testbed down now and assert nothing is left (no
# namespace, root-namespace link or process with the run prefix). The exit
# trap calls it if the test did not.
tb_down() {
    [ -n "$TB_STATE" ] || return 0
    "$KPTB" down --state "$TB_STATE" || fail "kptb down failed"
    local left
    if left=$("$KPTB" leftovers --prefix "$TB_PREFIX"); then
        ok "teardown left nothing of $TB_PREFIX"
        rm -rf "$TB_STATE"
    else
        fail "teardown left: $left (state kept in $TB_STATE)"
    fi
    TB_STATE=""
}

# tb_ns NODE — the namespace name of NODE.
tb_ns() {
    [ -n "$TB_PREFIX" ] || die "tb_ns: no testbed up"
    [ -e "/run/netns/$TB_PREFIX-$1" ] || die "tb_ns: no node '$1' in $TB_PREFIX"
    echo "$TB_PREFIX-$1"
}

# tb_exec NODE CMD... — run CMD inside NODE's namespace (exit status is CMD's).
tb_exec() {
    local ns
    ns=$(tb_ns "$1") || return 1
    shift
    ip netns exec "$ns" "$@"
}

# tb_truth — path of the running testbed's truth.json (see docs/testbed.md).
tb_truth() { echo "$TB_STATE/truth.json"; }

# tb_query PYEXPR — print a Python expression evaluated with t = truth.json
# loaded (lists print one item per line, dicts as JSON). Example:
#   tb_query 't["nodes"]["dns"]["addr"]'
tb_query() {
    python3 - "$(tb_truth)" "$1" <<'EOF'
import json, sys
t = json.load(open(sys.argv[1]))
v = eval(sys.argv[2], {"t": t})
if isinstance(v, (list, tuple)):
    print("\n".join(str(x) for x in v))
elif isinstance(v, dict):
    print(json.dumps(v, indent=1))
elif v is not None:
    print(v)
EOF
}

# tb_addr NODE — NODE's main address (a VP's source address, the DNS address).
tb_addr() { tb_query "t['nodes']['$1']['addr']"; }

# tb_iface NODE [PEER] — the name of NODE's interface towards PEER (default:
# its first link, a vantage point's uplink). In NODE, the interface towards
# PEER is named PEER (truncated to 15 characters).
tb_iface() {
    if [ $# -ge 2 ]; then
        tb_query "[i['ifname'] for i in t['nodes']['$1']['interfaces'] if i['peer'] == '$2'][0]"
    else
        tb_query "t['nodes']['$1']['interfaces'][0]['ifname']"
    fi
}

# tb_cases — one line per (vantage point, destination /24) of the ground
# truth: "VP /24 TARGET STOPS TRANSITS ECMP", e.g.
#   vp-eu 198.19.179.0/24 198.19.179.1 admin-prohibited 4837 0
#   vp-asia 198.19.178.0/24 198.19.178.1 reached 4837,20485 1
tb_cases() {
    tb_query '[" ".join([vp, s, e["target"], ",".join(e["stops"]), ",".join(str(x) for x in e["transits"]), str(int(e["ecmp"]))]) for vp, per in sorted(t["paths"].items()) for s, e in sorted(per.items())]'
}

# tb_path VP DST [--alt N] — expected hops from VP to address DST, one
# alternative per line: "198.18.1.1 198.18.219.1 * * 198.19.176.1", or ending
# "ADDR !X" when a router answers admin-prohibited.
tb_path() { "$KPTB" path --state "$TB_STATE" "$@"; }

# tb_path_count VP DST — how many ECMP alternatives the path has.
tb_path_count() { tb_path "$1" "$2" | wc -l; }

# tb_match_alts TOKENS ALTS PERHOP — 0 if TOKENS (a hop list in tb_path's
# form) equals one alternative of ALTS (tb_path's output, one per line), or,
# with PERHOP=1 (for flows that change per probe), if every hop equals some
# alternative's hop at the same position and the length is one of theirs.
tb_match_alts() {
    python3 - "$1" "$2" "$3" <<'PYEOF'
import sys
got = sys.argv[1].split()
alts = [l.split() for l in sys.argv[2].splitlines() if l.strip()]
if got in alts:
    sys.exit(0)
if sys.argv[3] == "1" and len(got) in {len(a) for a in alts}:
    if all(any(i < len(a) and a[i] == g for a in alts) for i, g in enumerate(got)):
        sys.exit(0)
sys.exit(1)
PYEOF
}

# tb_trace_tokens — read Debian traceroute -n output on stdin and print its
# hops in tb_path's form: the first address of each hop ('*' if none), and
# '!X' (or another !flag) after the address that carried it.
tb_trace_tokens() {
    awk 'NR == 1 && /^traceroute/ { next }
         { addr = "*"; flag = ""
           for (i = 2; i <= NF; i++) {
               if ($i ~ /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$/ && addr == "*") addr = $i
               else if ($i ~ /^![A-Za-z0-9]*$/ && flag == "") flag = $i
           }
           out = out (out == "" ? "" : " ") addr (flag == "" ? "" : " " flag) }
         END { print out }'
}
