#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# test_prober_spoof — forged replies are captured and counted, never recorded.
#
# While vp-eu sweeps one address with udp-paris, the router in front of it
# (isp-eu) sends 30 forged ICMP time-exceeded messages from an address on no
# path (198.18.1.77 — inside the testbed) to the vantage point. Each quotes a
# UDP "probe" with the trace's real flow (source port 0x8001, destination
# 198.19.176.1 port 33435) but an IP ID and checksum that do not carry the
# run's keyed identity, as an off-path attacker would guess them. Expected:
# tcpdump finds all 30 in capture.pcap, sweep.json counts them as rejected,
# no hop of the trace comes from the forger, and the trace still equals the
# ground truth.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/prober_lib.sh"

tb_up nk
work=$(mktemp -d /tmp/kp-spoof.XXXXXX)
vp=vp-eu
src=$(tb_addr $vp)
forger=198.18.1.77
dst=198.19.176.1

# --wait 8000 --late 0: the sweep waits 8 s for its silent TTLs' probes
# while the forger sends (from 1.5 s after the start, for 1.5 s; its Python
# starts slowly on a busy machine)
ip netns exec "$(tb_ns $vp)" "$KPTRACE" sweep --allowlist-file "$KP_ALLOWLIST" --vp $vp --targets $dst/32 --methods udp-paris \
    --pps 50 --wait 8000 --late 0 --out "$work/s" --no-progress 2>"$work/s.err" &
pid=$!
sleep 1.5
tb_exec isp-eu python3 - "$forger" "$src" "$dst" <<'PY'
import random, socket, struct, sys, time
forger, vp, dst = sys.argv[1:4]
def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF
def ip_hdr(src, dst, proto, ttl, length, ipid):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, length, ipid, 0, ttl, proto, 0,
                    socket.inet_aton(src), socket.inet_aton(dst))
    return h[:10] + struct.pack("!H", csum(h)) + h[12:]
rnd = random.Random(4837)
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
for i in range(30):
    udp = struct.pack("!HHHH", 0x8001, 33435, 26, rnd.randrange(1, 65535))
    quoted = ip_hdr(vp, dst, 17, 1, 46, rnd.randrange(1, 65535)) + udp
    icmp = struct.pack("!BBHI", 11, 0, 0, 0) + quoted
    icmp = icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]
    pkt = ip_hdr(forger, vp, 1, 64, 20 + len(icmp), rnd.randrange(1, 65535)) + icmp
    s.sendto(pkt, (vp, 0))
    time.sleep(0.05)
PY
assert_eq 0 $? "the forger sent its 30 packets"
wait $pid
assert_eq 0 $? "sweep exits 0"

assert_eq 30 "$(tcpdump -nr "$work/s/capture.pcap" "src host $forger and icmp[0] = 11" 2>/dev/null | wc -l)" \
    "all 30 forged replies are in capture.pcap"
rej=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["counts"]["rejected"])' "$work/s/sweep.json")
assert_between 30 30 "$rej" "sweep.json counts the forged replies as rejected"
assert_eq 0 "$(grep -c "\"addr\":\"$forger\"" "$work/s/traces.jsonl")" "no hop comes from the forger"
assert_eq "$(tb_path $vp $dst)" "$(kp_tokens <"$work/s/traces.jsonl" | cut -d' ' -f4-)" \
    "the trace still equals the ground truth"
rm -rf "$work"
