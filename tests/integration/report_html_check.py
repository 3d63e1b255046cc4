#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""report_html_check — checks of kp-report's index.html for test_report_html.sh.
Prints one "ok MSG" or "FAIL MSG" line per check.

  report_html_check.py static INDEX.html
      nothing on the page can load from elsewhere: no URL with a scheme, every
      src/href a fragment (#...) or a data: URI, no <script>, <link>, <iframe>,
      <object>, <embed>, @import or url() but url(#...); a Content-Security-
      Policy that forbids loading.
  report_html_check.py browser PAGE.json URL
      cdp_page.py's account: no console message, no exception, no log entry of
      level warning or error, no failed load, and the page requested nothing
      but itself.
  report_html_check.py dom PAGE.json DIR VPS...
      the DOM Chromium rendered against the fixture (DIR/expect.json of
      report_changes_gen.py, scenario move) and DIR/out/changes.jsonl: a
      section per /24 with the prefix as heading; its plot an <svg> whose bar
      tooltips are exactly the (vp, period, transit, share, traces) the
      fixture implies; a change line in the plot per change of that /24; a
      table row per change of changes.jsonl in its /24's section with its
      vantage point, method, transits before and after and onset times; its
      path graph an <svg> naming the transits and the vantage points and no
      destination of the other /24.
  report_html_check.py shot FILE.png PAGE.json
      the screenshot: as wide as the window and as tall as the page, and it
      shows the transits' colours (the plots and graphs rendered), the change
      colour, and the target's green (the graphs).
"""

import json
import re
import sys
from html.parser import HTMLParser


def res(good, msg):
    print(("ok " if good else "FAIL ") + msg)


class Tree(HTMLParser):
    """A minimal element tree: (tag, attrs, children, text)."""
    VOID = {"meta", "br", "img", "input", "link", "hr", "col", "area", "base", "wbr", "source"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = {"tag": "#root", "attrs": {}, "kids": [], "text": []}
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        n = {"tag": tag, "attrs": dict(attrs), "kids": [], "text": []}
        self.stack[-1]["kids"].append(n)
        if tag not in self.VOID:
            self.stack.append(n)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1]["kids"].append({"tag": tag, "attrs": dict(attrs), "kids": [], "text": []})

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i]["tag"] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        self.stack[-1]["text"].append(data)


def walk(n):
    yield n
    for k in n["kids"]:
        yield from walk(k)


def text(n, sep=""):
    return sep.join(sep.join(x["text"]) for x in walk(n))


def find(n, tag, cls=None):
    return [x for x in walk(n) if x["tag"] == tag
            and (cls is None or cls in (x["attrs"].get("class") or "").split())]


def static(path):
    page = open(path, encoding="utf-8").read()
    urls = re.findall(r"(?i)\b[a-z][a-z0-9+.-]*://[^\s\"'<>)]*", page)
    res(not urls, f"index.html names no URL with a scheme {urls[:5]}")
    refs = re.findall(r"(?i)\s(?:xlink:)?(src|href|srcset|action|poster)\s*=\s*[\"']?([^\"'\s>]*)", page)
    bad = [r for r in refs if not (r[1].startswith("#") or r[1].startswith("data:"))]
    res(not bad, f"every src/href is a fragment or a data: URI ({len(refs)} of them) {bad[:5]}")
    tags = re.findall(r"(?i)<(script|link|iframe|object|embed|frame|base)\b", page)
    res(not tags, f"no <script>, <link>, <iframe>, <object>, <embed>, <base> {tags[:5]}")
    css = re.findall(r"(?i)@import|url\((?!#)[^)]*\)", page)
    res(not css, f"no @import and no url() but url(#...) {css[:5]}")
    res(re.search(r"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none';", page)
        is not None, "a Content-Security-Policy forbids loading anything")


def browser(path, url):
    d = json.load(open(path, encoding="utf-8"))
    res(not d["console"], f"no console message {d['console'][:3]}")
    res(not d["exceptions"], f"no uncaught exception {d['exceptions'][:3]}")
    bad = [e for e in d["log"] if e.get("level") in ("warning", "error")]
    res(not bad, f"no browser log warning or error {bad[:3]}")
    res(not d["failed"], f"no failed load {d['failed'][:3]}")
    res(d["requests"] == [url], f"the page requested nothing but itself {d['requests'][:5]}")


def dom(path, fixture, vps):
    d = json.load(open(path, encoding="utf-8"))
    t = Tree()
    t.feed(d["dom"])
    expect = json.load(open(f"{fixture}/expect.json", encoding="utf-8"))
    changes = [json.loads(line) for line in open(f"{fixture}/out/changes.jsonl", encoding="utf-8")
               if line.strip()]
    sweeps = expect["sweeps"]
    # vps[0] has the three sweeps, the others the first two (test_report_html.sh)
    nsweeps = {vp: (3 if i == 0 else 2) for i, vp in enumerate(vps)}
    want = {"175.45.176.0/24": set(), "175.45.177.0/24": set()}
    for vp in vps:
        for k, s in enumerate(sweeps[:nsweeps[vp]]):
            per, share = s["period"], s["ecmp_4837"]
            want["175.45.176.0/24"] |= {(vp, per, 4837, share, 2 * share),
                                        (vp, per, 20485, 100 - share, 2 * (100 - share))}
            want["175.45.177.0/24"].add((vp, per, 4837 if k < 2 else 20485, 100, 100))
    sections = {x["attrs"].get("data-prefix"): x for x in find(t.root, "section", "prefix")}
    res(sorted(sections) == sorted(want), f"a section per /24: {sorted(sections)}")
    other = {"175.45.176.0/24": "175.45.177", "175.45.177.0/24": "175.45.176"}
    for pfx in sorted(want):
        sec = sections.get(pfx)
        if sec is None:
            continue
        h2 = [text(h).strip() for h in find(sec, "h2")]
        res(h2 == [pfx], f"{pfx}: heading {h2}")
        plots = [s for f in find(sec, "figure", "plot") for s in find(f, "svg")]
        res(len(plots) == 1, f"{pfx}: one plot, an <svg> ({len(plots)})")
        tips = [text(x).strip() for p in plots for x in find(p, "title")]
        got, changelines = set(), []
        for tip in tips:
            if tip.startswith("change "):
                changelines.append(tip)
                continue
            m = re.match(r"^(\S+) (\S+) (\S+): AS(\d+)\b.* (\d+)% \((\d+) traces\)$", tip)
            if m and m.group(1) == pfx:
                got.add((m.group(2), m.group(3), int(m.group(4)), int(m.group(5)), int(m.group(6))))
            else:
                got.add(("unparsed", tip, 0, 0, 0))
        res(got == want[pfx], f"{pfx}: the plot's bars are the fixture's shares per vp and period "
            f"(missing {sorted(want[pfx] - got)}, extra {sorted(got - want[pfx])})")
        mine = [c for c in changes if c["prefix"] == pfx]
        res(len(changelines) == len(mine) and all(any(f" {c['vp']} " in line for line in changelines)
                                                   for c in mine),
            f"{pfx}: a change line in the plot per change of the /24 {changelines}")
        rows = find(sec, "tr", "change")
        res(len(rows) == len(mine), f"{pfx}: {len(mine)} change row(s) in its section ({len(rows)})")
        for c in mine:
            cells = None
            for r in rows:
                tds = [text(x).strip() for x in find(r, "td")]
                if tds[:2] == [c["vp"], c["method"]]:
                    cells = tds
            if cells is None:
                res(False, f"{pfx}: no row for the change of {c['vp']} {c['method']}")
                continue
            before = {int(a) for a in re.findall(r"AS(\d+)", cells[2])}
            after = {int(a) for a in re.findall(r"AS(\d+)", cells[3])}
            res(before == set(c["before"]["transits"]) and after == set(c["after"]["transits"])
                and c["before"]["status"] in cells[2] and c["after"]["status"] in cells[3]
                and cells[4] == c["last_before"] and cells[5] == c["first_after"],
                f"{pfx}: the row of {c['vp']} {c['method']} shows {cells[2]} -> {cells[3]} "
                f"between {cells[4]} and {cells[5]}")
        graphs = [s for f in find(sec, "figure", "graph") for s in find(f, "svg")]
        res(len(graphs) == 1, f"{pfx}: one path graph, an <svg> ({len(graphs)})")
        gtext = " ".join(text(g, " ") for g in graphs)
        res(all(w in gtext for w in ["AS4837", "AS20485", "AS131279"] + list(vps)),
            f"{pfx}: the graph names AS4837, AS20485, AS131279 and {' '.join(vps)}")
        foreign = sorted(set(re.findall(re.escape(other[pfx]) + r"\.\d+", gtext)) - {"175.45.176.1"})
        res(not foreign and pfx.rsplit(".", 1)[0] in gtext,
            f"{pfx}: the graph holds its own destinations and none of the other /24 {foreign[:5]}")
    moved = [c for c in changes if c["prefix"] == "175.45.177.0/24"]
    res(len(changes) == 1 and len(moved) == 1 and moved[0]["vp"] == vps[0]
        and moved[0]["before"]["transits"] == [4837] and moved[0]["after"]["transits"] == [20485],
        f"changes.jsonl: the one move of the fixture ({len(changes)} lines)")
    nav = [text(li).strip() for li in find(t.root, "li")]
    res(any(n.startswith("175.45.177.0/24") and "1 change" in n for n in nav)
        and any(n == "175.45.176.0/24" for n in nav), f"the contents name each /24 and its changes {nav}")


def shot(path, page):
    from PIL import Image
    d = json.load(open(page, encoding="utf-8"))
    im = Image.open(path).convert("RGB")
    w, h = im.size
    res((w, h) == tuple(d["size"]), f"the screenshot is the whole page ({w}x{h}, page {d['size']})")
    counts = {}
    for rgb, n in ((c[1], c[0]) for c in im.getcolors(maxcolors=1 << 24)):
        counts[rgb] = n

    def near(colour, tol=6):
        r0, g0, b0 = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
        return sum(n for (r, g, b), n in counts.items()
                   if abs(r - r0) <= tol and abs(g - g0) <= tol and abs(b - b0) <= tol)
    white = near("#ffffff", 2)
    res(white < 0.97 * w * h, f"the screenshot is not blank ({100 * white / (w * h):.1f}% white)")
    for colour, what, least in (("#ff9896", "AS4837's salmon", 5000), ("#aec7e8", "AS20485's blue", 5000),
                                ("#d62728", "the change red", 40), ("#98df8a", "the target's green", 500)):
        n = near(colour)
        res(n >= least, f"the screenshot shows {what} ({n} px, at least {least})")


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "static":
        static(sys.argv[2])
    elif cmd == "browser":
        browser(sys.argv[2], sys.argv[3])
    elif cmd == "dom":
        dom(sys.argv[2], sys.argv[3], sys.argv[4:])
    elif cmd == "shot":
        shot(sys.argv[2], sys.argv[3])
    else:
        sys.exit(f"report_html_check: unknown command {cmd}")
