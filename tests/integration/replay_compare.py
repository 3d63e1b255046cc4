#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""replay_compare.py — compare `kptrace replay` records with what each tool
printed itself (the independent expectation of the replay integration tests).

usage: replay_compare.py REPLAY.jsonl SPEC...
  SPEC is TOOL:METHOD:DST:FILE — FILE holds the tool's own output for one trace
  to DST (traceroute / tcptraceroute text, `mtr --report` text, or one
  `scamper -O json` trace line; for scamper FILE may hold several traces and
  the one to DST is taken).
For each SPEC exactly one replayed trace with that tool, method and dst must
exist, and for every TTL the set of replying addresses must be equal (and,
where the tool prints them, the !X/!N/!H/!P annotations). TTLs the tool
printed as '*' / '???' must have no replay hop. Replay hops above the TTL where
both the tool and the replay stopped are replies to probes the tool had sent
in parallel and did not print: they are reported, and accepted only there.
Exit 0 when all SPECs match, 1 otherwise."""
import json
import re
import sys

IPV4 = re.compile(r"^\d+\.\d+\.\d+\.\d+$")
BANG = {"!X": "X", "!A": "X", "!N": "N", "!H": "H", "!P": "P", "!S": "S", "!F": "F"}


def parse_traceroute(text):
    """Linux traceroute / tcptraceroute -n output -> {ttl: (addrs, bangs)}."""
    hops = {}
    for line in text.splitlines():
        m = re.match(r"^\s*(\d+)\s+(.*)$", line)
        if not m or line.startswith(("traceroute", "Tracing", "Selected", "###")):
            continue
        ttl = int(m.group(1))
        addrs, bangs = set(), set()
        for tok in m.group(2).split():
            if IPV4.match(tok):
                addrs.add(tok)
            elif tok in BANG:
                bangs.add(BANG[tok])
            elif tok.startswith("!"):
                bangs.add(tok[1:] or "?")
        hops[ttl] = (addrs, bangs)
    return hops


def parse_mtr(text):
    """mtr --report -n: '  3.|-- 198.18.3.2  ...' ('???' = no reply)."""
    hops, ttl = {}, None
    for line in text.splitlines():
        m = re.match(r"^\s*(\d+)\.\|--\s+(\S+)", line)
        if m:
            ttl = int(m.group(1))
            addrs = {m.group(2)} if IPV4.match(m.group(2)) else set()
            hops[ttl] = (addrs, None)
            continue
        m = re.match(r"^\s+\|--\s+(\S+)", line)  # further hosts at the same TTL
        if m and ttl is not None and IPV4.match(m.group(1)):
            hops[ttl][0].add(m.group(1))
    return hops


SC_METHOD = {"icmp-echo-paris": "icmp-paris", "udp-paris": "udp-paris", "udp": "udp",
             "tcp": "tcp-syn", "icmp-echo": "icmp", "tcp-ack": "tcp-ack"}


def unreach_bang(icmp_type, icmp_code, from_dst):
    if icmp_type != 3:
        return None
    if icmp_code in (9, 10, 13):
        return "X"
    if icmp_code == 3 and from_dst:
        return None
    return {0: "N", 1: "H", 2: "P", 3: "P"}.get(icmp_code, "?")


class ToolOutputError(Exception):
    """The tool's own output holds no usable trace (the peer failed)."""


def parse_scamper(text, dst):
    for line in text.splitlines():
        # an object may follow other text on the line (a diagnostic written
        # to the same file without its newline yet): start at its "{"
        i = line.find('{"type"')
        if i < 0:
            continue
        try:
            o = json.loads(line[i:])
        except ValueError:
            continue
        if o.get("type") != "trace" or o.get("dst") != dst:
            continue
        if o.get("stop_reason") == "ERROR":
            raise ToolOutputError("scamper's trace to %s stopped with ERROR" % dst)
        hops = {}
        for h in o.get("hops", []):
            ttl = h["probe_ttl"]
            addrs, bangs = hops.setdefault(ttl, (set(), set()))
            addrs.add(h["addr"])
            b = unreach_bang(h.get("icmp_type"), h.get("icmp_code"), h["addr"] == dst)
            if b:
                bangs.add(b)
        return hops, SC_METHOD.get(o.get("method"), o.get("method"))
    raise ToolOutputError("no scamper trace to %s" % dst)


def tool_stderr(path):
    """The tool's stderr, when the test kept it beside its output (PATH.err)."""
    try:
        return "\n[stderr]\n" + open(path + ".err").read()
    except OSError:
        return ""


def replay_hops(t):
    hops = {}
    for h in t.get("hops", []):
        if h.get("dup"):
            continue
        addrs, bangs = hops.setdefault(h["ttl"], (set(), set()))
        addrs.add(h["addr"])
        b = unreach_bang(h.get("icmp_type"), h.get("icmp_code"), h["addr"] == t["dst"])
        if b:
            bangs.add(b)
    return hops


def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    traces = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
    bad = 0
    for spec in sys.argv[2:]:
        tool, method, dst, path = spec.split(":", 3)
        text = open(path).read()
        try:
            if tool == "mtr":
                want = parse_mtr(text)
            elif tool == "scamper":
                want, _ = parse_scamper(text, dst)
            else:
                want = parse_traceroute(text)
        except ToolOutputError as e:
            print("FAIL %s: %s; its output:\n  %s" % (spec, e, "\n  ".join(
                (text + tool_stderr(path)).splitlines()[:20])))
            bad += 1
            continue
        cands = [t for t in traces
                 if t.get("tool") == tool and t.get("method") == method and t.get("dst") == dst]
        if len(cands) != 1:
            print("FAIL %s: %d replayed traces (want 1); have %s" % (
                spec, len(cands),
                sorted({(t.get("tool"), t.get("method"), t.get("dst")) for t in traces})))
            bad += 1
            continue
        got = replay_hops(cands[0])
        tool_last = max(want) if want else 0
        errs = []
        for ttl in sorted(set(want) | set(got)):
            w = want.get(ttl, (set(), set()))
            g = got.get(ttl, (set(), set()))
            if ttl > tool_last:
                stop = cands[0].get("stop_ttl") or 0
                if stop == tool_last:
                    print("note %s: ttl %d %s above the stop ttl %d (parallel probes)" % (
                        spec, ttl, sorted(g[0]), stop))
                    continue
                errs.append("ttl %d: tool printed nothing, replay has %s (replay stop_ttl %s)"
                            % (ttl, sorted(g[0]), stop))
                continue
            if w[0] != g[0]:
                errs.append("ttl %d: tool %s, replay %s" % (ttl, sorted(w[0]), sorted(g[0])))
            elif w[1] is not None and w[1] != g[1]:
                errs.append("ttl %d: tool annotations %s, replay %s" % (
                    ttl, sorted(w[1]), sorted(g[1])))
        if errs:
            bad += 1
            print("FAIL %s:\n  %s" % (spec, "\n  ".join(errs)))
        else:
            print("ok   %s: %d TTLs agree" % (spec, len(want)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
