/* SPDX-License-Identifier: BSD-2-Clause */
/* test_replay_pcap.c — the capture-file reader against committed captures.
 *
 * Expected values come from tshark (tests/data/pcap/<name>.tshark: epoch
 * time, wire length, captured length per frame, written by
 * make_fixtures.sh when the captures were made) and from libpcap's DLT
 * constants, never from the reader itself. */
#include <criterion/criterion.h>
#include <errno.h>
#include <inttypes.h>
#include <pcap/dlt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/pcap_file.h"

#define DATA KP_TEST_DATA "/pcap/"

struct tsline {
    int64_t ts_ns;
    uint32_t len, caplen;
};

/* Parse "sec.fraction<TAB>len<TAB>caplen" lines; fraction padded to ns. */
static size_t read_tshark(const char *name, struct tsline *out, size_t max)
{
    char path[512];
    snprintf(path, sizeof(path), DATA "%s.tshark", name);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "missing %s", path);
    char line[256];
    size_t n = 0;
    while (n < max && fgets(line, sizeof(line), f)) {
        char *dot = strchr(line, '.');
        cr_assert_not_null(dot);
        int64_t sec = strtoll(line, NULL, 10);
        char *p = dot + 1;
        int64_t frac = 0;
        int digits = 0;
        while (*p >= '0' && *p <= '9') {
            if (digits < 9) {
                frac = frac * 10 + (*p - '0');
                digits++;
            }
            p++;
        }
        while (digits++ < 9)
            frac *= 10;
        unsigned len, cap;
        cr_assert_eq(sscanf(p, "%u %u", &len, &cap), 2, "bad line %s", line);
        out[n].ts_ns = sec * 1000000000 + frac;
        out[n].len = len;
        out[n].caplen = cap;
        n++;
    }
    fclose(f);
    return n;
}

static void check_file(const char *file, const char *tsname, int want_dlt)
{
    static struct tsline exp[4096];
    size_t n = read_tshark(tsname, exp, 4096);
    cr_assert_gt(n, 0);
    char path[512], err[KP_PCAP_ERRLEN];
    snprintf(path, sizeof(path), DATA "%s", file);
    struct kp_pcap_file *f;
    cr_assert_eq(kp_pcap_file_open(path, &f, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(kp_pcap_file_linktype(f), want_dlt, "%s: linktype %d", file,
                 kp_pcap_file_linktype(f));
    struct kp_frame fr;
    size_t i = 0, trunc = 0;
    int rc;
    while ((rc = kp_pcap_file_next(f, &fr, err, sizeof(err))) == 1) {
        cr_assert_lt(i, n, "%s: more frames than tshark saw", file);
        cr_assert_eq(fr.ts_ns, exp[i].ts_ns, "%s frame %zu: ts %" PRId64 " want %" PRId64, file, i,
                     fr.ts_ns, exp[i].ts_ns);
        cr_assert_eq(fr.len, exp[i].len, "%s frame %zu len", file, i);
        cr_assert_eq(fr.caplen, exp[i].caplen, "%s frame %zu caplen", file, i);
        cr_assert_eq(fr.index, i);
        if (exp[i].caplen < exp[i].len)
            trunc++;
        i++;
    }
    cr_assert_eq(rc, 0, "%s: %s", file, err);
    cr_assert_eq(i, n, "%s: %zu frames, tshark saw %zu", file, i, n);
    struct kp_pcap_counts c = kp_pcap_file_counts(f);
    cr_assert_eq(c.frames, n);
    cr_assert_eq(c.truncated, trunc);
    kp_pcap_file_close(f);
}

Test(replay_pcap, ethernet_us)
{
    check_file("tr_udp.pcap", "tr_udp", DLT_EN10MB);
}

Test(replay_pcap, ethernet_ns)
{
    check_file("lt_eth_ns.pcap", "lt_eth_ns", DLT_EN10MB);
}

Test(replay_pcap, pcapng_same_frames_as_pcap_ns)
{
    /* the pcapng was converted from the ns pcap: tshark saw identical frames */
    check_file("lt_eth.pcapng", "lt_eth_ns", DLT_EN10MB);
    check_file("lt_eth.pcapng", "lt_eth", DLT_EN10MB);
}

Test(replay_pcap, linux_sll_v1_v2)
{
    check_file("lt_sll.pcap", "lt_sll", DLT_LINUX_SLL);
    check_file("lt_sll2.pcap", "lt_sll2", DLT_LINUX_SLL2);
}

Test(replay_pcap, raw_ip_and_null)
{
    check_file("lt_raw.pcap", "lt_raw", DLT_RAW);
    check_file("lt_null.pcap", "lt_null", DLT_NULL);
}

Test(replay_pcap, snaplen_cut_frames_counted)
{
    check_file("bad_snap60.pcap", "bad_snap60", DLT_EN10MB);
    /* tshark says replies (102 bytes) were cut to 60: at least one */
    static struct tsline exp[256];
    size_t n = read_tshark("bad_snap60", exp, 256), cut = 0;
    for (size_t i = 0; i < n; i++)
        cut += exp[i].caplen < exp[i].len;
    cr_assert_gt(cut, 0);
}

Test(replay_pcap, cut_file_names_file_and_offset)
{
    /* bad_cutfile.pcap is lt_eth_ns.pcap less its last 7 bytes: every frame
     * but the last reads; the error points at the last record, whose offset
     * is 24 + sum(16 + caplen) over the frames before it. */
    static struct tsline exp[4096];
    size_t n = read_tshark("lt_eth_ns", exp, 4096);
    uint64_t off = 24;
    for (size_t i = 0; i + 1 < n; i++)
        off += 16 + exp[i].caplen;
    char err[KP_PCAP_ERRLEN], want[64];
    struct kp_pcap_file *f;
    cr_assert_eq(kp_pcap_file_open(DATA "bad_cutfile.pcap", &f, err, sizeof(err)), 0);
    struct kp_frame fr;
    size_t i = 0;
    int rc;
    while ((rc = kp_pcap_file_next(f, &fr, err, sizeof(err))) == 1)
        i++;
    cr_assert_eq(rc, -EIO);
    cr_assert_eq(i, n - 1);
    cr_assert(strstr(err, "bad_cutfile.pcap") != NULL, "%s", err);
    snprintf(want, sizeof(want), "offset %" PRIu64, off);
    cr_assert(strstr(err, want) != NULL, "'%s' lacks '%s'", err, want);
    /* reading again keeps failing, never crashes */
    cr_assert_eq(kp_pcap_file_next(f, &fr, err, sizeof(err)), -EIO);
    kp_pcap_file_close(f);
}

Test(replay_pcap, garbage_records_error_at_offset_24)
{
    char err[KP_PCAP_ERRLEN];
    struct kp_pcap_file *f;
    cr_assert_eq(kp_pcap_file_open(DATA "bad_garbage.pcap", &f, err, sizeof(err)), 0, "%s", err);
    struct kp_frame fr;
    int rc = kp_pcap_file_next(f, &fr, err, sizeof(err));
    cr_assert_eq(rc, -EIO);
    cr_assert(strstr(err, "bad_garbage.pcap") && strstr(err, "offset 24"), "%s", err);
    kp_pcap_file_close(f);
}

Test(replay_pcap, not_a_capture)
{
    char err[KP_PCAP_ERRLEN];
    struct kp_pcap_file *f = (void *)1;
    cr_assert_eq(kp_pcap_file_open(DATA "bad_text.pcap", &f, err, sizeof(err)), -EINVAL);
    cr_assert_null(f);
    cr_assert(strstr(err, "bad_text.pcap") && strstr(err, "offset 0"), "%s", err);
    cr_assert(strstr(err, "not a pcap or pcapng capture"), "%s", err);
}

Test(replay_pcap, missing_file)
{
    char err[KP_PCAP_ERRLEN];
    struct kp_pcap_file *f;
    cr_assert_eq(kp_pcap_file_open(DATA "no-such-file.pcap", &f, err, sizeof(err)), -ENOENT);
    cr_assert(strstr(err, "no-such-file.pcap"), "%s", err);
}

Test(replay_pcap, from_memory_stream)
{
    /* the fuzz target's path: fmemopen over the bytes of a real capture */
    FILE *src = fopen(DATA "lt_raw.pcap", "rb");
    cr_assert_not_null(src);
    static uint8_t buf[1 << 16];
    size_t n = fread(buf, 1, sizeof(buf), src);
    fclose(src);
    FILE *m = fmemopen(buf, n, "rb");
    char err[KP_PCAP_ERRLEN];
    struct kp_pcap_file *f;
    cr_assert_eq(kp_pcap_file_fopen(m, "mem", &f, err, sizeof(err)), 0, "%s", err);
    struct kp_frame fr;
    size_t frames = 0;
    while (kp_pcap_file_next(f, &fr, err, sizeof(err)) == 1)
        frames++;
    static struct tsline exp[4096];
    cr_assert_eq(frames, read_tshark("lt_raw", exp, 4096));
    kp_pcap_file_close(f);
}

/* pcapng by hand (pcapng spec, little endian): SHB (28 bytes), IDB for
 * LINKTYPE_RAW with the default microsecond resolution (20 bytes), then
 * Enhanced Packet Blocks of one 20-byte IPv4 header (52 bytes each) whose
 * 64-bit timestamps are given in microseconds. */
static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static size_t pcapng_with_stamps(uint8_t *buf, const uint64_t *us, size_t n)
{
    static const uint8_t shb[28] = {0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0,    0,    0x4d, 0x3c,
                                    0x2b, 0x1a, 1,    0,    0,  0, 0xff, 0xff, 0xff, 0xff,
                                    0xff, 0xff, 0xff, 0xff, 28, 0, 0,    0};
    static const uint8_t idb[20] = {1, 0, 0,    0,    20, 0, 0,  0, 101, 0,
                                    0, 0, 0xff, 0xff, 0,  0, 20, 0, 0,   0};
    static const uint8_t ip[20] = {0x45, 0, 0,   20, 0, 0, 0,   0,  64, 1,
                                   0,    0, 198, 18, 0, 1, 198, 18, 0,  2};
    size_t len = 0;
    memcpy(buf, shb, sizeof(shb));
    len += sizeof(shb);
    memcpy(buf + len, idb, sizeof(idb));
    len += sizeof(idb);
    for (size_t i = 0; i < n; i++) {
        uint8_t *b = buf + len;
        put32(b, 6);
        put32(b + 4, 52);
        put32(b + 8, 0);
        put32(b + 12, (uint32_t)(us[i] >> 32));
        put32(b + 16, (uint32_t)us[i]);
        put32(b + 20, 20);
        put32(b + 24, 20);
        memcpy(b + 28, ip, sizeof(ip));
        put32(b + 48, 52);
        len += 52;
    }
    return len;
}

Test(replay_pcap, pcapng_stamp_past_int64_ns_is_corrupt)
{
    /* found by fuzz_replay (fuzz/corpus/replay/fz-ts-overflow.pcapng): an EPB
     * stamp of 10^10 s overflowed seconds * 10^9 in int64 (UBSan). Nanoseconds
     * since 1970 in int64 end at 9223372036.854775807 s (year 2262): the last
     * whole second that fits is 9223372035 s; 10^10 s must be refused as a
     * corrupt record at its offset, after the frames before it. */
    static const uint64_t us[3] = {1000000, 9223372035000000ULL, 10000000000000000ULL};
    static uint8_t buf[256];
    size_t n = pcapng_with_stamps(buf, us, 3);
    FILE *m = fmemopen(buf, n, "rb");
    cr_assert_not_null(m);
    char err[KP_PCAP_ERRLEN];
    struct kp_pcap_file *f;
    cr_assert_eq(kp_pcap_file_fopen(m, "stamps.pcapng", &f, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(kp_pcap_file_linktype(f), DLT_RAW);
    struct kp_frame fr;
    cr_assert_eq(kp_pcap_file_next(f, &fr, err, sizeof(err)), 1, "%s", err);
    cr_assert_eq(fr.ts_ns, 1000000000LL);
    cr_assert_eq(kp_pcap_file_next(f, &fr, err, sizeof(err)), 1, "%s", err);
    cr_assert_eq(fr.ts_ns, 9223372035000000000LL);
    cr_assert_eq(fr.caplen, 20);
    cr_assert_eq(kp_pcap_file_next(f, &fr, err, sizeof(err)), -EIO);
    /* SHB 28 + IDB 20 + two EPBs of 52 */
    cr_assert(strstr(err, "stamps.pcapng") && strstr(err, "offset 152"), "%s", err);
    cr_assert(strstr(err, "out of range"), "%s", err);
    cr_assert_eq(kp_pcap_file_next(f, &fr, err, sizeof(err)), -EIO);
    kp_pcap_file_close(f);
}
