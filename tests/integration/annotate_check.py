#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Compare kpannotate output with the testbed's ground truth (kptb truth.json).

  annotate_check.py summary TRUTH SUMMARY.jsonl [--vp-map A=B,...] [--methods M,...] [--label L]
  annotate_check.py traces  TRUTH ANNOTATED.jsonl [--vp-map A=B,...] [--label L]
  annotate_check.py same    SUMMARY_A.jsonl SUMMARY_B.jsonl [--vp-map ...] [--label L]

Prints one line per check, "ok MSG" or "FAIL MSG" (the shell counts them).
Expected values come from truth.json: per (vp, /24) the transit AS set and
the stop ("reached" or "admin-prohibited" -> kpannotate's "filtered"); a /24
reached over ECMP has two transits and both must show among the shares."""
import json
import sys

STOP = {"reached": "reached", "admin-prohibited": "filtered"}


def args():
    a = sys.argv[1:]
    opts = {"vp-map": {}, "methods": None, "label": ""}
    pos = []
    i = 0
    while i < len(a):
        if a[i] == "--vp-map":
            opts["vp-map"] = dict(x.split("=", 1) for x in a[i + 1].split(",") if x)
            i += 2
        elif a[i] == "--methods":
            opts["methods"] = a[i + 1].split(",")
            i += 2
        elif a[i] == "--label":
            opts["label"] = a[i + 1] + ": "
            i += 2
        else:
            pos.append(a[i])
            i += 1
    return pos, opts


def lines(path):
    with open(path) as f:
        return [json.loads(l) for l in f if l.strip()]


def expected(truth):
    exp = {}
    for vp, pfxs in truth["paths"].items():
        if not vp.startswith("vp-"):
            continue
        for pfx, p in pfxs.items():
            stops = {STOP.get(s, s) for s in p["stops"]}
            exp[(vp, pfx)] = (set(p["transits"]), stops)
    return exp


def report(good, msg):
    print(("ok " if good else "FAIL ") + msg)


def check_summary(truth, path, o):
    exp = expected(truth)
    groups = {}
    for g in lines(path):
        vp = o["vp-map"].get(g["vp"], g["vp"])
        groups.setdefault((vp, g["prefix"]), []).append(g)
    lab = o["label"]
    for (vp, pfx), (transits, stops) in sorted(exp.items()):
        gs = groups.get((vp, pfx), [])
        if not gs:
            report(False, f"{lab}{vp} {pfx}: no summary line")
            continue
        methods = sorted(g["method"] for g in gs)
        if o["methods"] is not None:
            report(methods == sorted(o["methods"]), f"{lab}{vp} {pfx}: methods {methods}")
        for g in gs:
            what = f"{lab}{vp} {pfx} {g['method']}"
            seen = {s["asn"] for s in g["shares"]}
            st = {s["status"] for s in g["shares"]}
            if len(transits) == 1:
                good = (g["transit_asn"] in transits and g["share"] == 1.0
                        and g["status"] in stops)
                report(good, f"{what}: AS{g['transit_asn']} {g['status']} share {g['share']}"
                       f" (truth {sorted(transits)} {sorted(stops)})")
            else:
                good = seen == transits and st <= stops
                report(good, f"{what}: shares {[(s['asn'], s['traces']) for s in g['shares']]}"
                       f" (truth: both of {sorted(transits)})")


def check_traces(truth, path, o):
    exp = expected(truth)
    bad = []
    n = 0
    for t in lines(path):
        vp = o["vp-map"].get(t["vp"], t["vp"])
        a = t["dst"].split(".")
        pfx = ".".join(a[:3]) + ".0/24"
        if (vp, pfx) not in exp:
            continue
        n += 1
        transits, stops = exp[(vp, pfx)]
        tr = t["transit"]
        if tr["asn"] not in transits or tr["status"] not in stops:
            bad.append(f"{vp}->{t['dst']} {t['method']}: AS{tr['asn']} {tr['status']}")
    report(n > 0 and not bad, f"{o['label']}{n} traces each decide the true transit"
           + (f"; wrong: {bad[:5]}" if bad else ""))


def same(a, b, o):
    def key(path):
        out = {}
        for g in lines(path):
            vp = o["vp-map"].get(g["vp"], g["vp"])
            out.setdefault((vp, g["prefix"]), set()).update(
                (s["asn"], s["status"]) for s in g["shares"])
        return out
    ka, kb = key(a), key(b)
    for k in sorted(set(ka) | set(kb)):
        report(ka.get(k) == kb.get(k),
               f"{o['label']}{k[0]} {k[1]}: {sorted(ka.get(k, []))} == {sorted(kb.get(k, []))}")


def main():
    pos, o = args()
    if pos[0] == "summary":
        check_summary(json.load(open(pos[1])), pos[2], o)
    elif pos[0] == "traces":
        check_traces(json.load(open(pos[1])), pos[2], o)
    elif pos[0] == "same":
        same(pos[1], pos[2], o)
    else:
        sys.exit("unknown mode")


main()
