#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# make-fixtures.sh — regenerate the decompress fixtures with the real gzip(1)
# and bzip2(1) tools. The plain texts are written here; tests/unit/
# test_decompress.c compares kp_decompress() output with them, so the expected
# contents come from the command-line tools, not from the code under test.
# Run from anywhere: bash tests/data/decompress/make-fixtures.sh
set -euo pipefail
cd "$(dirname "$0")"
export LC_ALL=C

# a.txt, b.txt: two small documents (JSON lines as Atlas/scamper dumps hold)
cat >a.txt <<'TXT'
{"type":"traceroute","src_addr":"198.18.0.2","dst_addr":"198.18.10.1","result":[{"hop":1}]}
{"type":"traceroute","src_addr":"198.18.0.2","dst_addr":"198.18.10.2","result":[{"hop":1}]}
{"type":"traceroute","src_addr":"198.18.0.2","dst_addr":"198.18.10.3","result":[{"hop":1}]}
TXT
cat >b.txt <<'TXT'
second member: 203.0.113.7 AS64500
second member: 198.51.100.9 AS64501
TXT
: >empty.txt

gzip -9 -n -c a.txt >a.txt.gz
bzip2 -9 -c a.txt >a.txt.bz2
gzip -n -c empty.txt >empty.gz
bzip2 -c empty.txt >empty.bz2
# concatenated members/streams: decompress to a.txt then b.txt
gzip -9 -n -c a.txt >ab.gz
gzip -9 -n -c b.txt >>ab.gz
bzip2 -c a.txt >ab.bz2
bzip2 -c b.txt >>ab.bz2
# an empty member between the two
{ gzip -n -c a.txt; gzip -n -c empty.txt; gzip -n -c b.txt; } >a-empty-b.gz
{ bzip2 -c a.txt; bzip2 -c empty.txt; bzip2 -c b.txt; } >a-empty-b.bz2
# seq 1 25000 (138894 bytes) with 100k blocks: one stream of two blocks
seq 1 25000 | bzip2 -1 >seq25000.bz2
# high ratio, two members/streams: 75000 "kptrace" lines (600000 bytes) then
# 50000 "AS20485" lines (400000 bytes); the output buffer grows many times
lines() { awk -v s="$1" -v n="$2" 'BEGIN { for (i = 0; i < n; i++) print s }'; } # yes s | head -n n
{ lines kptrace 75000 | gzip -9 -n; lines AS20485 50000 | gzip -9 -n; } >yes2.gz
{ lines kptrace 75000 | bzip2; lines AS20485 50000 | bzip2; } >yes2.bz2
# trailing zero padding (tape/tar blocks): accepted
{ cat a.txt.gz; head -c 1000 /dev/zero; } >a-zeropad.gz
{ cat a.txt.bz2; head -c 1000 /dev/zero; } >a-zeropad.bz2

# one flipped byte in a stored CRC: gzip trailer CRC32 (RFC 1952: the 8th
# byte from the end starts CRC32, then ISIZE) and the bzip2 block CRC (bytes
# 10..13: after "BZh9" and the 6-byte block magic 0x314159265359)
flip() { # file offset(negative = from end)
    python3 - "$1" "$2" <<'PY'
import sys
p, off = sys.argv[1], int(sys.argv[2])
b = bytearray(open(p, 'rb').read())
b[off] ^= 0xff
open(p, 'wb').write(b)
PY
}
cp a.txt.gz a-badcrc.gz
flip a-badcrc.gz -8
cp a.txt.bz2 a-badcrc.bz2
flip a-badcrc.bz2 10

# the tools themselves agree with what the tests expect
gzip -t a.txt.gz ab.gz a-empty-b.gz empty.gz a-zeropad.gz
bzip2 -t a.txt.bz2 ab.bz2 a-empty-b.bz2 empty.bz2 seq25000.bz2
[ "$(gzip -dc ab.gz)" = "$(cat a.txt b.txt)" ]
[ "$(bzip2 -dc ab.bz2)" = "$(cat a.txt b.txt)" ]
[ "$(bzip2 -dc seq25000.bz2 | tail -1)" = 25000 ]
[ "$(gzip -dc yes2.gz | wc -c)" = 1000000 ] && [ "$(bzip2 -dc yes2.bz2 | sort -u | wc -l)" = 2 ]
if gzip -t a-badcrc.gz 2>/dev/null; then echo "gzip accepted a-badcrc.gz" >&2; exit 1; fi
if bzip2 -t a-badcrc.bz2 2>/dev/null; then echo "bzip2 accepted a-badcrc.bz2" >&2; exit 1; fi
echo "make-fixtures: ok"
