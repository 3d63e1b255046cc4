#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# test_manpages — the hand-written manuals man/kptrace.1 and man/kpannotate.1
# (no network, no namespaces, no root needed; it sends no packet).
#
#   - both pages lint clean: `mandoc -T lint -W warning` prints nothing, and
#     groff (what man-db renders with) gives no warning with -ww;
#   - both render with `mandoc -T utf8` and `man -l`, and carry the sections a
#     user looks for;
#   - the options cross-check against the programs themselves: every long
#     option that `kptrace --help`, `kptrace trace|sweep|replay|watch --help` and
#     `kpannotate --help` print is documented (an .It entry) in the page, in
#     the subsection of its subcommand; every option the page mentions is one
#     the --help texts list (nothing invented); each "-x, --long" pair of the
#     --help texts is rendered the same way; every command of `kptrace --help`
#     has a SYNOPSIS line; the EXIT STATUS entries are the ones the code
#     defines (prober/cmd/cmd_common.h) or kpannotate --help states;
#   - `cmake --install` (into a DESTDIR) puts both pages where
#     `man -M PREFIX/share/man` finds them.
set -uo pipefail
KP_SRC=${KP_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
KP_BUILD=${KP_BUILD:-$KP_SRC/build}
KPT=$KP_BUILD/kptrace
KPA=$KP_BUILD/kpannotate
MAN_T=$KP_SRC/man/kptrace.1
MAN_A=$KP_SRC/man/kpannotate.1
PASSED=0
FAILED=0
ok() {
    PASSED=$((PASSED + 1))
    echo "ok - $*"
}
fail() {
    FAILED=$((FAILED + 1))
    echo "FAIL - $*"
}
assert_eq() { if [ "$1" == "$2" ]; then ok "$3"; else fail "$3 (expected '$1', got '$2')"; fi; }
work=$(mktemp -d /tmp/kp-manpages.XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM
for f in "$KPT" "$KPA"; do
    [ -x "$f" ] || {
        echo "FATAL: $f not built"
        exit 1
    }
done
for tool in mandoc groff man col cmake; do
    command -v "$tool" >/dev/null || {
        echo "FATAL: $tool not installed (scripts/setup-deps installs mandoc and man-db)"
        exit 1
    }
done

# Long options (--name) in a text, one per line, sorted, unique.
longopts() { grep -oE -- '(^|[^A-Za-z0-9-])--[a-z][a-z0-9-]*' | sed 's/^[^-]*//' | sort -u; }
# "-x, --name" pairs in a text.
pairs() { grep -oE -- '-[A-Za-z], --[a-z][a-z0-9-]*' | sort -u; }
# The page rendered as plain ASCII, one paragraph per line (no line breaks
# inside words, so no option is split at a hyphen).
render() { mandoc -T ascii -O width=1000 "$1" | col -bx; }
# Options documented as list entries (.It Fl \-name) in the mdoc source of
# $1, restricted to the subsection titled $2 when given (up to the next .Ss
# or .Sh).
items() {
    awk -v ss="${2:-}" '
        /^\.S[sh] / { inside = (ss == "" || $0 == ".Ss " ss) ; next }
        inside && /^\.It / { print }' "$1" |
        grep -oE 'Fl \\-[a-z0-9\\-]+' | sed 's/^Fl //; s/\\-/-/g; s/^/-/' | sort -u
}
# Lines of set $1 missing from set $2 (both sorted files), space-separated.
missing() { comm -23 "$1" "$2" | tr '\n' ' ' | sed 's/ $//'; }
# Render a section ($2) of a page ($1) as text.
section() { render "$1" | awk -v s="$2" '/^[A-Z]/ { inside = ($0 == s); next } inside'; }

# --- lint and render -------------------------------------------------------
for page in "$MAN_T" "$MAN_A"; do
    name=$(basename "$page")
    [ -s "$page" ] || {
        fail "$name exists"
        continue
    }
    out=$(mandoc -T lint -W warning "$page" 2>&1)
    rc=$?
    assert_eq "0:" "$rc:$out" "$name: mandoc -T lint -W warning is silent"
    out=$(groff -mandoc -ww -z "$page" 2>&1)
    assert_eq "" "$out" "$name: groff -mandoc -ww prints no warning"
    if mandoc -T utf8 "$page" >"$work/$name.utf8" 2>"$work/$name.err" && [ ! -s "$work/$name.err" ] &&
        grep -qx NAME <<<"$(col -bx <"$work/$name.utf8")"; then
        ok "$name: mandoc -T utf8 renders it"
    else
        fail "$name: mandoc -T utf8 ($(head -c 300 "$work/$name.err"))"
    fi
    if MANWIDTH=80 man -l "$page" >"$work/$name.man" 2>"$work/$name.manerr" &&
        [ ! -s "$work/$name.manerr" ] && grep -qx SYNOPSIS <<<"$(col -bx <"$work/$name.man")"; then
        ok "$name: man -l renders it"
    else
        fail "$name: man -l ($(head -c 300 "$work/$name.manerr"))"
    fi
    need=(NAME SYNOPSIS DESCRIPTION OPTIONS OUTPUT ENVIRONMENT FILES "EXIT STATUS" EXAMPLES
        "SEE ALSO" CAVEATS)
    [ "$name" = kptrace.1 ] && need+=("SECURITY CONSIDERATIONS")
    for s in "${need[@]}"; do
        if grep -qx "$s" <(render "$page"); then ok "$name: has $s"; else fail "$name: no $s section"; fi
    done
done

# --- kptrace: options against the --help texts ------------------------------
"$KPT" --help >"$work/h-main" 2>&1
assert_eq 0 "$?" "kptrace --help exits 0"
for c in trace sweep replay watch; do
    "$KPT" "$c" --help >"$work/h-$c" 2>&1
    assert_eq 0 "$?" "kptrace $c --help exits 0"
    longopts <"$work/h-$c" >"$work/o-$c"
    [ -s "$work/o-$c" ] || fail "kptrace $c --help lists no long option"
done
longopts <"$work/h-main" >"$work/o-main"
cat "$work/o-main" "$work/o-trace" "$work/o-sweep" "$work/o-replay" "$work/o-watch" | sort -u >"$work/o-kptrace"
comm -12 "$work/o-trace" "$work/o-sweep" >"$work/o-common"

items "$MAN_T" >"$work/m-all"
items "$MAN_T" "Options of trace and sweep" >"$work/m-common"
items "$MAN_T" "Options of trace only" >"$work/m-trace-only"
items "$MAN_T" "Options of sweep only" >"$work/m-sweep-only"
items "$MAN_T" "Options of replay" >"$work/m-replay"
items "$MAN_T" "Options of watch" >"$work/m-watch-only"
sort -u "$work/m-common" "$work/m-sweep-only" "$work/m-watch-only" >"$work/m-watch"
sort -u "$work/m-common" "$work/m-trace-only" >"$work/m-trace"
sort -u "$work/m-common" "$work/m-sweep-only" >"$work/m-sweep"
for c in trace sweep replay; do
    m=$(missing "$work/o-$c" "$work/m-$c")
    assert_eq "" "$m" "kptrace.1 documents every option of kptrace $c --help in its subsection"
done
m=$(missing "$work/o-main" "$work/m-all")
assert_eq "" "$m" "kptrace.1 documents every option kptrace --help names"
m=$(missing "$work/m-common" "$work/o-common")
assert_eq "" "$m" "kptrace.1: options 'of trace and sweep' are in both --help texts"
m=$(missing "$work/m-trace-only" "$work/o-trace")
assert_eq "" "$m" "kptrace.1: options 'of trace only' are in kptrace trace --help"
m=$(missing "$work/m-sweep-only" "$work/o-sweep")
assert_eq "" "$m" "kptrace.1: options 'of sweep only' are in kptrace sweep --help"
m=$(missing "$work/o-watch" "$work/m-watch")
assert_eq "" "$m" "kptrace.1 documents every option of kptrace watch --help (watch, sweep or common)"
m=$(missing "$work/m-watch-only" "$work/o-watch")
assert_eq "" "$m" "kptrace.1: options of watch are in kptrace watch --help"
m=$(missing "$work/m-replay" "$work/o-replay")
assert_eq "" "$m" "kptrace.1: options of replay are in kptrace replay --help"
render "$MAN_T" | longopts >"$work/r-kptrace"
m=$(missing "$work/r-kptrace" "$work/o-kptrace")
assert_eq "" "$m" "kptrace.1 mentions no option the --help texts do not list"
cat "$work/h-main" "$work/h-trace" "$work/h-sweep" "$work/h-replay" "$work/h-watch" | pairs >"$work/p-kptrace"
render "$MAN_T" | pairs >"$work/rp-kptrace"
m=$(missing "$work/p-kptrace" "$work/rp-kptrace")
assert_eq "" "$m" "kptrace.1 pairs short and long options as --help does"
# every command of `kptrace --help` has a SYNOPSIS line
cmds=$(awk '/^Commands:/ { on = 1; next } on && /^$/ { on = 0 } on && /^  [a-z]/ { print $1 }' "$work/h-main")
[ -n "$cmds" ] || fail "kptrace --help lists no command"
syn=$(section "$MAN_T" SYNOPSIS)
for c in $cmds; do
    if grep -qE "^ +kptrace $c( |\$)" <<<"$syn"; then
        ok "kptrace.1 SYNOPSIS has kptrace $c"
    else
        fail "kptrace.1 SYNOPSIS lacks kptrace $c"
    fi
done
# EXIT STATUS: the values prober/cmd/cmd_common.h defines, and no other
codes=$(grep -oE '^#define KP_EXIT_[A-Z_]+ +[0-9]+' "$KP_SRC/prober/cmd/cmd_common.h" | awk '{ print $3 }' | sort -u | tr '\n' ' ')
doc=$(section "$MAN_T" "EXIT STATUS" | grep -oE '^ {5}[0-9]+( |$)' | tr -d ' ' | sort -u | tr '\n' ' ')
[ -n "$codes" ] || fail "no KP_EXIT_ codes found in prober/cmd/cmd_common.h"
assert_eq "$codes" "$doc" "kptrace.1 EXIT STATUS lists the codes of prober/cmd/cmd_common.h"

# --- kpannotate: options against its --help ---------------------------------
"$KPA" --help >"$work/h-kpa" 2>&1
assert_eq 0 "$?" "kpannotate --help exits 0"
longopts <"$work/h-kpa" >"$work/o-kpa"
[ -s "$work/o-kpa" ] || fail "kpannotate --help lists no long option"
items "$MAN_A" >"$work/m-kpa"
m=$(missing "$work/o-kpa" "$work/m-kpa")
assert_eq "" "$m" "kpannotate.1 documents every option of kpannotate --help"
m=$(missing "$work/m-kpa" "$work/o-kpa")
assert_eq "" "$m" "kpannotate.1 documents no option kpannotate --help does not list"
render "$MAN_A" | longopts >"$work/r-kpa"
m=$(missing "$work/r-kpa" "$work/o-kpa")
assert_eq "" "$m" "kpannotate.1 mentions no option kpannotate --help does not list"
pairs <"$work/h-kpa" >"$work/p-kpa"
render "$MAN_A" | pairs >"$work/rp-kpa"
m=$(missing "$work/p-kpa" "$work/rp-kpa")
assert_eq "" "$m" "kpannotate.1 pairs short and long options as --help does"
# the heuristics --disable lists in --help are each described
heur=$(sed -n '/--disable/,/--rtt-jump/p' "$work/h-kpa" | sed '1s/.*switch heuristics off://; $d' |
    tr ',' '\n' | tr -d ' ' | grep -v '^$' | sort -u)
[ -n "$heur" ] || fail "no heuristic names found in kpannotate --help"
for h in $heur; do
    if grep -qE "^\.It Cm $h\$" "$MAN_A"; then ok "kpannotate.1 describes --disable $h"; else fail "kpannotate.1 lacks --disable $h"; fi
done
# EXIT STATUS: the statuses kpannotate --help states
codes=$(tr '\n' ' ' <"$work/h-kpa" | sed -n 's/.*Exit status: *//p' | grep -oE '(^|; *)[0-9]+ ' | grep -oE '[0-9]+' | sort -u | tr '\n' ' ')
doc=$(section "$MAN_A" "EXIT STATUS" | grep -oE '^ {5}[0-9]+( |$)' | tr -d ' ' | sort -u | tr '\n' ' ')
[ -n "$codes" ] || fail "no exit statuses found in kpannotate --help"
assert_eq "$codes" "$doc" "kpannotate.1 EXIT STATUS lists the statuses of kpannotate --help"

# --- installed where man finds them ------------------------------------------
# DESTDIR keeps every file under $work even if an install rule is absolute.
if DESTDIR="$work/dest" cmake --install "$KP_BUILD" --prefix /usr/local >"$work/install.log" 2>&1; then
    ok "cmake --install succeeds"
else
    fail "cmake --install ($(tail -c 300 "$work/install.log"))"
fi
for n in kptrace kpannotate; do
    got=$(man -M "$work/dest/usr/local/share/man" -w "$n" 2>&1)
    assert_eq "$work/dest/usr/local/share/man/man1/$n.1" "$got" "man -M PREFIX/share/man finds $n(1) after install"
    if cmp -s "$KP_SRC/man/$n.1" "$work/dest/usr/local/share/man/man1/$n.1"; then
        ok "$n.1 installed unchanged"
    else
        fail "$n.1 installed differs from man/$n.1"
    fi
done

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
