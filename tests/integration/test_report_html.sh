#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# ctest-labels: long
# test_report_html — kp-report's index.html, opened in headless Chromium.
# On synthetic sweeps (report_changes_gen.py, scenario move: offline fixtures,
# no probe): vp-a's three sweeps, in which 175.45.176.0/24 stays split by ECMP
# between AS4837 and AS20485 and 175.45.177.0/24 moves from AS4837 to
# AS20485, and vp-b with the first two of them (no move seen).
#   1. kp-report writes index.html and timeline.svg, the same bytes twice;
#      index.html loads nothing from elsewhere (no URL, src/href only #... or
#      data:, no script, a Content-Security-Policy that forbids loading);
#   2. Chromium (cdp_page.py, in a new network namespace with nothing in it
#      and a resolver that resolves nothing) renders it with no console
#      message, exception, log warning or error, and requests nothing but the
#      page; the DOM has a section per /24 with a plot whose bars are the
#      fixture's shares per vantage point and period, the change's line in the
#      plot and its row (transits before and after, onset) in the table, and a
#      path graph (svg) of that /24's traces only; a full-page screenshot is
#      kept in $KP_ARTIFACTS (default $KP_BUILD/artifacts)/report-index.png and
#      shows the plots' and graphs' colours;
#   3. the checker catches what it should: a page with a console error, an
#      exception and an image from elsewhere fails each check; a vantage
#      point named like markup (<img src=http://...><script>...) is text on
#      the page: nothing loaded, no element made;
#   4. with a kpannotate that has --graph-prefix, kp-report asks it for each
#      /24's graph over the whole archive instead of filtering the traces
#      itself;
#   5. without graphviz's dot or matplotlib, kp-report stops before any work
#      with a message naming the Debian package; --help describes index.html.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

KPA=${KPANNOTATE:-$KP_BUILD/kpannotate}
REPORT=$KP_SRC/scripts/kp-report
GEN=$KP_SRC/tests/integration/report_changes_gen.py
CDP=$KP_SRC/tests/integration/cdp_page.py
CHECK=$KP_SRC/tests/integration/report_html_check.py
PY=/usr/bin/python3 # Debian's: python3-matplotlib and python3-pil live there
ARTIFACTS=${KP_ARTIFACTS:-$KP_BUILD/artifacts}
[ -x "$KPA" ] || die "kpannotate not built ($KPA)"
[ -x "$REPORT" ] || die "$REPORT missing or not executable"
for t in chromium dot unshare; do
    command -v "$t" >/dev/null || die "$t not installed (run scripts/setup-deps)"
done
"$PY" -c 'import matplotlib, PIL' 2>/dev/null || die "python3-matplotlib not installed (run scripts/setup-deps)"

work=$(mktemp -d /tmp/kp-report-html.XXXXXX)
# lib.sh's exit trap (the summary and the exit status) runs after the clean-up
trap 'rc=$?; rm -rf "$work"; (exit $rc); _tb_exit' EXIT

# browse URL NAME — cdp_page.py in a network namespace of its own (only a
# loopback, down): whatever the page asked for could go nowhere.
browse() {
    unshare --net "$PY" "$CDP" "$1" "$work/$2.json" --screenshot "$work/$2.png" \
        --profile "$work/$2.profile" --log "$work/$2.chromium.log"
}

# --- 1. the report
d=$work/fx
mkdir -p "$d"
python3 "$GEN" archive "$d" move || die "generator failed"
for ts in 20261122T000000Z 20261122T060000Z; do
    mkdir -p "$d/archive/vp-b/$ts"
    sed 's/"vp":"vp-a"/"vp":"vp-b"/' "$d/archive/vp-a/$ts/traces.jsonl" >"$d/archive/vp-b/$ts/traces.jsonl"
done
rc=0
"$REPORT" --archive "$d/archive" --pfx2as "$d/pfx2as.txt" --kpannotate "$KPA" --sweep input \
    --out "$d/out" 2>"$d/err" || rc=$?
assert_eq 0 "$rc" "kp-report exits 0 ($(cat "$d/err"))"
for f in summary.jsonl changes.jsonl timeline.csv report.md timeline.svg index.html; do
    assert_cmd "kp-report wrote $f" test -s "$d/out/$f"
done
rc=0
"$REPORT" --archive "$d/archive" --pfx2as "$d/pfx2as.txt" --kpannotate "$KPA" --sweep input \
    --out "$d/again" 2>/dev/null || rc=$?
assert_eq 0 "$rc" "kp-report exits 0 the second time"
for f in index.html timeline.svg; do
    assert_cmd "$f: the same bytes from the same archive" cmp "$d/out/$f" "$d/again/$f"
done
assert_cmd "timeline.svg is XML" "$PY" -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' "$d/out/timeline.svg"
tb_check_lines "static checks" "$PY" "$CHECK" static "$d/out/index.html"

# --- 2. in Chromium
url="file://$d/out/index.html"
rc=0
browse "$url" page || rc=$?
assert_eq 0 "$rc" "Chromium loaded the page ($(tail -n 3 "$work/page.chromium.log" 2>/dev/null))"
if [ "$rc" = 0 ]; then
    tb_check_lines "browser" "$PY" "$CHECK" browser "$work/page.json" "$url"
    tb_check_lines "dom" "$PY" "$CHECK" dom "$work/page.json" "$d" vp-a vp-b
    tb_check_lines "screenshot" "$PY" "$CHECK" shot "$work/page.png" "$work/page.json"
    mkdir -p "$ARTIFACTS" && cp "$work/page.png" "$ARTIFACTS/report-index.png" &&
        tb_log "screenshot of index.html: $ARTIFACTS/report-index.png"
fi

# --- 3. the same checks on a page that breaks them fail
mkdir -p "$work/bad"
cat >"$work/bad/index.html" <<'EOF'
<!DOCTYPE html><html><head><title>bad</title></head><body><p>bad</p>
<img src="http://kp-report-test.invalid/x.png">
<script>console.error("kp-console-error"); undefinedFunction();</script></body></html>
EOF
rc=0
browse "file://$work/bad/index.html" bad || rc=$?
assert_eq 0 "$rc" "Chromium loaded the broken page"
bad=$("$PY" "$CHECK" browser "$work/bad.json" "file://$work/bad/index.html")
for what in "no console message" "no uncaught exception" "no browser log warning or error" \
    "no failed load" "the page requested nothing but itself"; do
    assert_match "^FAIL $what" "$(grep -F "$what" <<<"$bad")" "the broken page fails \"$what\""
done
bad=$("$PY" "$CHECK" static "$work/bad/index.html")
assert_match "^FAIL index.html names no URL" "${bad%%$'\n'*}" \
    "the broken page fails the static check"

# A vantage point named like markup: its name is text on the page, nothing
# it names is loaded or run.
h=$work/hostile
mkdir -p "$h/archive/vpx/20261122T000000Z"
# (kpannotate takes names of up to 63 bytes)
hostile='<img src=http://x.invalid/a><script>alert(1)</script>$a$"&'
"$PY" - "$d/archive/vp-a/20261122T000000Z/traces.jsonl" "$h/archive/vpx/20261122T000000Z/traces.jsonl" "$hostile" <<'PY'
import json, sys
with open(sys.argv[2], "w", encoding="utf-8") as out:
    for line in open(sys.argv[1], encoding="utf-8"):
        r = json.loads(line)
        r["vp"] = sys.argv[3]
        out.write(json.dumps(r) + "\n")
PY
rc=0
"$REPORT" --archive "$h/archive" --pfx2as "$d/pfx2as.txt" --kpannotate "$KPA" --sweep input \
    --out "$h/out" 2>"$h/err" || rc=$?
assert_eq 0 "$rc" "a markup vantage point name: kp-report exits 0 ($(cat "$h/err"))"
rc=0
browse "file://$h/out/index.html" hostile || rc=$?
assert_eq 0 "$rc" "a markup vantage point name: Chromium loaded the page"
tb_check_lines "markup name" "$PY" "$CHECK" browser "$work/hostile.json" "file://$h/out/index.html"
assert_eq "0 0 3" "$("$PY" - "$work/hostile.json" "$hostile" <<'PY'
import json, sys
from html.parser import HTMLParser
class P(HTMLParser):
    tags, cells, td = {"img": 0, "script": 0}, 0, False
    def handle_starttag(self, tag, attrs):
        if tag in self.tags:
            self.tags[tag] += 1
        self.td = tag == "td"
    def handle_data(self, data):
        if self.td and data == sys.argv[2]:
            self.cells += 1
p = P(convert_charrefs=True)
p.feed(json.load(open(sys.argv[1]))["dom"])
print(p.tags["img"], p.tags["script"], p.cells)
PY
)" "a markup vantage point name: no <img> or <script> in the DOM, the name as text in its three table cells (a row per /24 and method)"

# --- 4. kpannotate with --graph-prefix: asked once per /24, over the whole archive
cat >"$work/kpa-gp" <<STUB
#!/bin/sh
# kpannotate as it will be: --help names --graph-prefix; a run with it is
# recorded and then made without it (the real kpannotate does not know it yet)
case " \$* " in
*" --help "*) "$KPA" --help; echo "      --graph-prefix CIDR   only traces to CIDR in the graph"; exit 0 ;;
*" --graph-prefix "*)
    printf '%s\n' "\$*" >>"$work/gp-calls"
    a=""; skip=0
    for x in "\$@"; do
        if [ "\$skip" = 1 ]; then skip=0; continue; fi
        if [ "\$x" = --graph-prefix ]; then skip=1; continue; fi
        a="\$a \$x"
    done
    exec "$KPA" \$a ;;
esac
exec "$KPA" "\$@"
STUB
chmod +x "$work/kpa-gp"
rc=0
"$REPORT" --archive "$d/archive" --pfx2as "$d/pfx2as.txt" --kpannotate "$work/kpa-gp" --sweep input \
    --out "$d/gp" 2>"$d/gp.err" || rc=$?
assert_eq 0 "$rc" "kp-report with --graph-prefix exits 0 ($(cat "$d/gp.err"))"
assert_eq "175.45.176.0/24 175.45.177.0/24" \
    "$(grep -o -- '--graph-prefix [^ ]*' "$work/gp-calls" | awk '{print $2}' | sort | tr '\n' ' ' | sed 's/ $//')" \
    "one kpannotate --graph --graph-prefix run per /24"
assert_eq "5 5" "$(awk '{n=0; for (i=1;i<=NF;i++) if ($i ~ /\/archive\/vp-[ab]\/[0-9TZ]+\/traces\.jsonl$/) n++; printf "%s%d", (NR>1?" ":""), n}' "$work/gp-calls")" \
    "each over the archive's five sweep files"
assert_cmd "index.html written" test -s "$d/gp/index.html"

# --- 5. what is missing is named
mkdir -p "$work/emptypath" "$work/nompl/matplotlib"
echo 'raise ImportError("No module named matplotlib (hidden by test_report_html)")' >"$work/nompl/matplotlib/__init__.py"
rc=0
err=$(PATH=$work/emptypath "$REPORT" --archive "$d/archive" --pfx2as "$d/pfx2as.txt" --kpannotate "$KPA" \
    --out "$work/nodot-out" 2>&1) || rc=$?
assert_eq 1 "$rc" "without dot: exit 1"
assert_match "^kp-report: graphviz's dot not found on PATH: install Debian's graphviz" "$err" "without dot: graphviz named"
assert_cmd "without dot: nothing written" test ! -e "$work/nodot-out"
rc=0
err=$(PYTHONPATH=$work/nompl "$REPORT" --archive "$d/archive" --pfx2as "$d/pfx2as.txt" --kpannotate "$KPA" \
    --out "$work/nompl-out" 2>&1) || rc=$?
assert_eq 1 "$rc" "without matplotlib: exit 1"
assert_match "^kp-report: cannot import matplotlib .*install Debian's python3-matplotlib" "$err" \
    "without matplotlib: python3-matplotlib named"
assert_cmd "without matplotlib: nothing written" test ! -e "$work/nompl-out"
assert_match "index\.html" "$("$REPORT" --help)" "--help describes index.html"
