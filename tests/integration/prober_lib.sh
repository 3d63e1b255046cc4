# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash
# prober_lib.sh — helpers for the prober's integration tests
# (tests/integration/test_prober_*.sh). Source it after lib.sh.
#
#   KPTRACE                     the kptrace binary of the build under test
#   kp_tokens < traces.jsonl    one line per record: "DST METHOD STOP TOKENS..."
#   scamper_tokens < scamper.json   same for scamper's JSON (method as scamper names it)
#   kp_json_get FILE KEY...     one value of a JSON file (sweep.json): a string
#                               as it is, anything else as JSON (true, 12, {...})
#   (matching a hop list against ECMP alternatives: lib.sh's tb_match_alts)
#
# TOKENS are tb_path's form: per TTL from 1 the first replying address, '*'
# for a TTL without reply, and '!X' (or !N, !H, !P) after an address that
# answered with that unreachable, from a router (not the destination).

KPTRACE=${KPTRACE:-$KP_BUILD/kptrace}
[ -x "$KPTRACE" ] || die "kptrace not built at $KPTRACE (build the tree, or set KP_BUILD)"

_kp_tokens_py='
import json, sys
BANG = {0: "!N", 1: "!H", 2: "!P", 3: "!p", 9: "!X", 10: "!X", 13: "!X"}
def tokens(hops, dst):
    """hops: list of (ttl, attempt, addr, icmp_type, icmp_code)"""
    if not hops:
        return []
    last = max(h[0] for h in hops)
    out = []
    for ttl in range(1, last + 1):
        at = sorted((h for h in hops if h[0] == ttl), key=lambda h: h[1])
        if not at:
            out.append("*")
            continue
        h = at[0]
        out.append(h[2])
        if h[3] == 3 and h[2] != dst:
            out.append(BANG.get(h[4], "!<%d>" % h[4]))
    return out
'

# kp_tokens < JSONL — kptrace records to "DST METHOD STOP TOKENS...".
kp_tokens() {
    python3 -c "$_kp_tokens_py"'
for line in sys.stdin:
    if not line.strip():
        continue
    t = json.loads(line)
    hops = [(h["ttl"], h["attempt"], h["addr"], h["icmp_type"], h["icmp_code"])
            for h in t["hops"] if not h["dup"]]
    print(t["dst"], t["method"], t["stop_reason"], " ".join(tokens(hops, t["dst"])))
'
}

# scamper_tokens < JSON — scamper trace objects to "DST METHOD STOP TOKENS...".
scamper_tokens() {
    python3 -c "$_kp_tokens_py"'
for line in sys.stdin:
    if not line.strip():
        continue
    t = json.loads(line)
    if t.get("type") != "trace":
        continue
    hops = [(h["probe_ttl"], h.get("probe_id", 1), h["addr"], h.get("icmp_type", -1),
             h.get("icmp_code", -1)) for h in t.get("hops", [])]
    print(t["dst"], t["method"], t["stop_reason"], " ".join(tokens(hops, t["dst"])))
'
}

# kp_json_get FILE KEY... — the value at FILE's KEY/KEY/...: a string as it
# is, other values as JSON (true, false, numbers, objects).
kp_json_get() {
    python3 -c 'import json, sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2:]:
    v = v[k]
print(v if isinstance(v, str) else json.dumps(v))' "$@"
}
