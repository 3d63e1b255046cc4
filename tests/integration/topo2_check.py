#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Check kpannotate's verdicts on a testbed topology against its ground truth.

  topo2_check.py traces  TRUTH ANNOTATED.jsonl [--label L]
  topo2_check.py summary TRUTH ANNOTATED.jsonl SUMMARY.jsonl [--label L]

Prints "ok MSG" or "FAIL MSG" lines (the shell counts them).

Expected values come only from truth.json (kptb's walk of the topology's
forwarding tables) and the AS announcements the topology declares:

- Each trace is matched to the truth alternatives its answered hops agree
  with (TTL i answered from address tokens[i-1]; the destination's reply is
  the destination). The true transit is the alternative's transit_as (the
  AS of the router node before the first router node of the target AS).
- A trace is "telling" when, among its answered hops before the first hop
  of a target-AS router, the last one whose address lies in a prefix
  announced by an AS other than the target is a hop whose address belongs to
  the true transit. Then the verdict must be exactly that AS, with the
  truth's stop (reached, or filtered for admin-prohibited). Otherwise the
  trace does not contain the handoff (a silent transit, an IXP address, a
  Doubletree trace that starts inside the target): the verdict must be the
  true transit or "undetermined" — never another AS.
"""
import ipaddress
import json
import sys

STOP = {"reached": "reached", "admin-prohibited": "filtered"}


def lines(path):
    with open(path) as f:
        return [json.loads(l) for l in f if l.strip()]


def report(good, msg):
    print(("ok " if good else "FAIL ") + msg)


class Truth:
    def __init__(self, path):
        self.t = json.load(open(path))
        self.pfx = []
        for asn, a in self.t["ases"].items():
            for p in a["announce"]:
                self.pfx.append((ipaddress.ip_network(p), int(asn)))
        self.pfx.sort(key=lambda x: -x[0].prefixlen)

    def addr_as(self, addr):
        """Origin AS of addr by the topology's announcements, None if unannounced."""
        a = ipaddress.ip_address(addr)
        for n, asn in self.pfx:
            if a in n:
                return asn
        return None

    def case(self, vp, dst):
        s24 = str(ipaddress.ip_network(dst + "/24", strict=False))
        return self.t["paths"].get(vp, {}).get(s24), s24


def match(trace, entry):
    """The truth alternatives the trace's answered hops agree with."""
    out = []
    for alt in entry["alternatives"]:
        toks = alt["tokens"]
        good = True
        for h in trace["hops"]:
            if h["addr"] == trace["dst"] or h.get("from_dst"):
                continue
            i = h["ttl"] - 1
            if i >= len(toks) or toks[i] != h["addr"]:
                good = False
                break
        if good:
            out.append(alt)
    return out


def telling(truth, trace, alt, dest_as):
    """Whether the trace's own hops show the true transit right before the target."""
    nodes = [h["as"] for h in alt["hops"]]
    first_t = next((i for i, a in enumerate(nodes) if a == dest_as), len(nodes))
    seen = {h["ttl"] for h in trace["hops"] if h["addr"] != trace["dst"]}
    for i in range(first_t - 1, -1, -1):
        if i + 1 not in seen or alt["hops"][i]["addr"] is None:
            continue
        owner = truth.addr_as(alt["hops"][i]["addr"])
        if owner is None or owner == dest_as:
            continue
        return owner == alt["transit_as"]
    return False


def verdicts(truth, path):
    """Per trace of a truth (vp, /24): (trace, /24, truth entry, matching alternatives)."""
    out = []
    for t in lines(path):
        entry, s24 = truth.case(t["vp"], t["dst"])
        if entry is None:
            continue
        alts = match(t, entry)
        out.append((t, s24, entry, alts))
    return out


def check_traces(truth, path, label):
    bad, n, n_tell, n_undet = [], 0, 0, 0
    for t, s24, entry, alts in verdicts(truth, path):
        n += 1
        what = "%s %s->%s %s" % (label, t["vp"], t["dst"], t["method"])
        tr = t["transit"]
        if not alts:
            bad.append("%s: hops %s match no truth path" % (what, [(h["ttl"], h["addr"]) for h in t["hops"]]))
            continue
        exp = {a["transit_as"] for a in alts}
        stops = {STOP[a["stop"]] for a in alts}
        tell = all(telling(truth, t, a, entry["dest_as"]) for a in alts)
        if tell:
            n_tell += 1
            if tr["asn"] not in exp or tr["status"] not in stops:
                bad.append("%s: AS%s %s, truth AS%s %s" % (what, tr["asn"], tr["status"], sorted(exp), sorted(stops)))
        else:
            if tr["status"] == "undetermined":
                n_undet += 1
            elif tr["asn"] not in exp:
                bad.append("%s: AS%s %s (conf %s) but the trace cannot show the handoff; truth AS%s"
                           % (what, tr["asn"], tr["status"], tr.get("confidence"), sorted(exp)))
    report(n > 0 and not bad, "%s: %d traces (%d show the handoff, %d honest undetermined) decide the "
           "true transit%s" % (label, n, n_tell, n_undet, ("; wrong: %s" % bad[:6]) if bad else ""))
    return n


def check_summary(truth, annotated, summary, label):
    """Per (vp, /24, method): the majority is a true transit with the truth's
    status; 'undetermined' only where some trace of the group cannot show the
    handoff; an ECMP /24 shows every transit of the truth across its methods."""
    tell = {}
    for t, s24, entry, alts in verdicts(truth, annotated):
        k = (t["vp"], s24, t["method"])
        ok = bool(alts) and all(telling(truth, t, a, entry["dest_as"]) for a in alts)
        tell[k] = tell.get(k, True) and ok
    seen_ecmp = {}
    groups = lines(summary)
    for g in groups:
        entry = truth.t["paths"].get(g["vp"], {}).get(g["prefix"])
        if entry is None:
            continue
        k = (g["vp"], g["prefix"], g["method"])
        exp = set(entry["transits"])
        stops = {STOP[s] for s in entry["stops"]}
        what = "%s %s %s %s" % (label, g["vp"], g["prefix"], g["method"])
        if entry["ecmp"]:
            seen_ecmp.setdefault((g["vp"], g["prefix"]), set()).update(
                s["asn"] for s in g["shares"] if s["status"] == "reached")
            good = all(s["asn"] in exp for s in g["shares"] if s["status"] != "undetermined")
            report(good, "%s: shares %s within truth %s" % (what, [(s["asn"], s["status"], s["traces"]) for s in g["shares"]], sorted(exp)))
            continue
        if g["status"] == "undetermined":
            report(not tell.get(k, True), "%s: undetermined (truth AS%s); traces cannot show the handoff: %s"
                   % (what, sorted(exp), not tell.get(k, True)))
        else:
            report(g["transit_asn"] in exp and g["status"] in stops,
                   "%s: AS%s %s share %s (truth AS%s %s)" % (what, g["transit_asn"], g["status"], g["share"], sorted(exp), sorted(stops)))
    for (vp, pfx), asns in sorted(seen_ecmp.items()):
        exp = set(truth.t["paths"][vp][pfx]["transits"])
        report(asns == exp, "%s %s %s: ECMP shows %s (truth %s)" % (label, vp, pfx, sorted(asns), sorted(exp)))
    n = sum(1 for vp, per in truth.t["paths"].items() for _ in per)
    got = {(g["vp"], g["prefix"]) for g in groups}
    report(len(got) == n, "%s: %d (vp, /24) groups summarised, truth has %d" % (label, len(got), n))


def main():
    a = sys.argv[1:]
    label = ""
    if "--label" in a:
        i = a.index("--label")
        label = a[i + 1]
        del a[i:i + 2]
    truth = Truth(a[1])
    if a[0] == "traces":
        check_traces(truth, a[2], label)
    elif a[0] == "summary":
        check_summary(truth, a[2], a[3], label)
    else:
        sys.exit("unknown mode")


main()
