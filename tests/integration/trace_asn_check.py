#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""trace_asn_check.py — check `kptrace trace --pfx2as/--rib/--mmdb` text output
against the testbed's ground truth (truth.json, made by kptb from the .topo:
the `router NAME as N` lines give every interface address its AS, the
declared routes give the paths, their transit and how they stop).

  trace_asn_check.py TRUTH VP TEXT [--annotated FILE] [--label L]

Prints one line per check, "ok MSG" or "FAIL MSG" (tb_check_lines counts
them):
  - every address printed in a hop line is followed by a traceroute -A label,
    " [AS<n>]", and n is the AS of the router owning that address (the
    destination's AS for the destination itself);
  - the addresses per TTL are the truth's path for the transit the verdict
    names (one ECMP alternative), silent routers without an address (from
    the table's first TTL: a Doubletree trace may start above TTL 1, and its
    verdict names a handoff borrowed from an earlier trace by its TTL only);
  - the verdict line under each table names the truth's transit AS, status
    (reached, or filtered for an admin-prohibited /24), the handoff hop (the
    last hop before the destination's AS, or the router sending !X) and the
    target hop (the first answering hop inside the destination's AS);
  - with --annotated (kpannotate's JSON lines for the same traces, rebuilt
    from the run's capture): kpannotate gives each trace the same transit,
    name, status, confidence, handoff, target and heuristics.
"""
import ipaddress
import json
import re
import sys

ADDR = r"\d+\.\d+\.\d+\.\d+"
LABEL = re.compile(r"(" + ADDR + r") \[(\*|AS\d+(?:/AS\d+)*)\]")
VERDICT = re.compile(
    r"^transit: (?:AS(\d+)(?: ([^,]*))?, )?(reached|filtered|incomplete|undetermined) "
    r"\(confidence ([0-9.]+)\)"
    r"(?:; handoff TTL (\d+)(?: (" + ADDR + r"))?)?"
    r"(?:(?: ->|;) target TTL (\d+)(?: (" + ADDR + r"))?)?"
    r"(?:; admin-prohibited from AS\d+)?"
    r"(?:; heuristics: (.*))?$")

out = []


def check(cond, msg):
    out.append(("ok " if cond else "FAIL ") + msg)
    return cond


def blocks(text):
    """(header fields, hop lines, verdict line or None) per traceroute table."""
    cur = None
    for line in text.splitlines():
        m = re.match(r"^traceroute to \S+ \((" + ADDR + r")\), .*, ([a-z-]+), ([a-z-]+)$", line)
        if m:
            if cur:
                yield cur
            cur = {"dst": m.group(1), "method": m.group(2), "stop": m.group(3), "hops": [],
                   "verdict": None, "extra": []}
        elif cur is None:
            continue
        elif re.match(r"^ ?\d+ ", line):
            cur["hops"].append(line)
        elif line.startswith("transit: "):
            cur["verdict"] = line
        else:
            cur["extra"].append(line)
    if cur:
        yield cur


def main():
    args = sys.argv[1:]
    annotated, label = None, "trace --pfx2as"
    if "--annotated" in args:
        i = args.index("--annotated")
        annotated = args[i + 1]
        del args[i:i + 2]
    if "--label" in args:
        i = args.index("--label")
        label = args[i + 1]
        del args[i:i + 2]
    truth_path, vp, text_path = args
    truth = json.load(open(truth_path))
    paths = truth["paths"][vp]
    addr_as = {a: v["as"] for a, v in truth["addresses"].items()}
    recs = {}
    if annotated:
        for line in open(annotated):
            r = json.loads(line)
            recs[(r["dst"], r["method"])] = r
    n = 0
    for b in blocks(open(text_path).read()):
        n += 1
        dst, method = b["dst"], b["method"]
        s24 = str(ipaddress.ip_network(dst + "/24", strict=False))
        e = paths[s24]
        what = "%s %s %s -> %s" % (label, vp, method, dst)
        check(not b["extra"], "%s: nothing but hop lines and the verdict (%r)" % (what, b["extra"][:2]))
        # per-hop ASes
        per_ttl, bad = {}, []
        # a Doubletree trace may start above TTL 1 (the TTLs below it are
        # printed "not probed"): compare from its first answered TTL
        first = min((int(line.split()[0]) for line in b["hops"] if re.search(ADDR, line)),
                    default=1)
        for line in b["hops"]:
            ttl = int(line.split()[0])
            addrs = re.findall(ADDR, line)
            labels = LABEL.findall(line)
            if len(addrs) != len(labels):
                bad.append("TTL %d: an address without its [AS] label: %s" % (ttl, line))
            for a, lab in labels:
                want = e["dest_as"] if a == dst else addr_as.get(a)
                if lab != "AS%s" % want:
                    bad.append("TTL %d %s: %s, the topology says AS%s" % (ttl, a, lab, want))
            if addrs:
                per_ttl[ttl] = addrs[0]
        check(not bad and per_ttl, "%s: every hop's AS is its router's AS in the topology (%d hops)%s"
              % (what, len(per_ttl), "; " + "; ".join(bad) if bad else ""))
        # the verdict
        m = VERDICT.match(b["verdict"] or "")
        if not check(m is not None, "%s: a verdict line under the table: %r" % (what, b["verdict"])):
            continue
        asn, name, status, conf, h_ttl, h_addr, t_ttl, t_addr, heur = m.groups()
        want_status = "filtered" if e["stops"] == ["admin-prohibited"] else "reached"
        alts = [a for a in e["alternatives"] if str(a["transit_as"]) == asn]
        check(status == want_status and asn is not None and int(asn) in e["transits"] and alts,
              "%s: transit AS%s %s, the truth: AS%s %s" % (what, asn, status,
                                                            "/".join(map(str, e["transits"])),
                                                            want_status))
        if not alts:
            continue
        # the truth's path goes to the /24's first address; this trace's ends at dst
        hops = [dict(h, addr=dst if h["addr"] == e["target"] else h["addr"])
                for h in alts[0]["hops"]]
        truth_ttl = {i + 1: h["addr"] for i, h in enumerate(hops) if h["addr"] and i + 1 >= first}
        check(per_ttl == truth_ttl, "%s: the table's hops are the truth's path through AS%s (%s)"
              % (what, asn, " ".join(per_ttl.get(t, "*") for t in range(1, max(per_ttl or [0]) + 1))))
        inside = [i for i, h in enumerate(hops) if h["as"] == e["dest_as"]]
        if want_status == "reached":
            hi = inside[0] - 1
            ti = next(i for i in inside if hops[i]["addr"])
            want = (str(hi + 1), hops[hi]["addr"], str(ti + 1), hops[ti]["addr"])
        else:
            hi = len(hops) - 1
            want = (str(hi + 1), hops[hi]["addr"], None, None)
        if hi + 1 < first:  # borrowed from an earlier trace (Doubletree): its TTL only
            want = (want[0], None) + want[2:]
        check((h_ttl, h_addr, t_ttl, t_addr) == want,
              "%s: handoff TTL %s %s, target TTL %s %s; the truth: %s" % (what, h_ttl, h_addr, t_ttl,
                                                                       t_addr, want))
        check(0.0 <= float(conf) <= 1.0, "%s: confidence %s in 0..1" % (what, conf))
        if annotated:
            r = recs.get((dst, method))
            if not check(r is not None, "%s: kpannotate decided the same trace" % what):
                continue
            tr, ev = r["transit"], r["transit"]["evidence"]
            mine = (asn, name, status, conf, h_ttl, h_addr, t_ttl, heur or "")
            theirs = (str(tr["asn"]) if tr["asn"] else None, tr["name"], tr["status"],
                      "%.2f" % tr["confidence"],
                      str(ev["handoff_ttl"]) if ev["handoff_ttl"] is not None else None,
                      ev["handoff_addr"],
                      str(ev["target_ttl"]) if ev["target_ttl"] is not None else None,
                      ", ".join(ev["heuristics"]))
            check(mine == theirs, "%s: the same verdict as kpannotate on its record: %r vs %r"
                  % (what, mine, theirs))
    check(n > 0, "%s %s: tables read (%d)" % (label, vp, n))
    print("\n".join(out))


main()
