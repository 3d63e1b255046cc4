/* SPDX-License-Identifier: BSD-2-Clause */
/* The one-pass RIPE Atlas scanner (annotator/inputs/input_atlas_scan.c)
 * against the jansson reader alone (kp_atlas_read_dom): on every Atlas
 * fixture under tests/data/atlas and fuzz/corpus/atlas, on hand-written
 * results with every field the scanner reads set to values of every JSON
 * kind, and on corner cases (escapes, missing fields, x:"*", err, late,
 * huge and negative numbers, repeated keys, IPv6, odd key orders), the
 * reader with the scanner gives exactly what jansson alone gives: return
 * value, every error and skip note with its line and field, every trace
 * field by field (fuzz/atlas_diff.h). Where the scanner is expected to read
 * a result itself (the common shape) or to decline it, that is checked too. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/atlas_diff.h"
#include "io/reader.h"

static void same(const char *text, size_t len)
{
    char why[4096];
    int rc = atlas_diff(text, len, why, sizeof(why), NULL);
    cr_assert_eq(rc, 0, "%s\non: %.*s", why, (int)(len > 600 ? 600 : len), text);
}

/* Both readers agree on s, and the scanner reads it (want 0) or declines
 * it (want -EAGAIN). */
static void check(const char *s, int want)
{
    same(s, strlen(s));
    struct kp_trace t;
    int rs = kp_atlas_scan(s, strlen(s), &t);
    cr_assert_eq(rs, want, "scanner %d, want %d: %s", rs, want, s);
    kp_trace_free(&t);
}

/* The file at path, through the one reader. */
static char *slurp(const char *path, size_t *len)
{
    struct kp_reader *r;
    char *b = NULL;
    cr_assert_eq(kp_reader_open(path, 0, &r), 0, "%s", path);
    cr_assert_eq(kp_reader_slurp(r, (size_t)1 << 26, &b, len), 0, "%s", path);
    kp_reader_close(r);
    return b;
}

/* Every file of dir: the readers agree on it. Returns the number of files. */
static int same_on_dir(const char *dir)
{
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "%s", dir);
    struct dirent *e;
    int files = 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || strstr(e->d_name, ".py") != NULL)
            continue;
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        size_t len;
        char *b = slurp(path, &len);
        same(b, len);
        free(b);
        files++;
    }
    closedir(d);
    return files;
}

Test(atlas_scan, fixtures_and_fuzz_corpus)
{
    cr_assert_geq(same_on_dir(KP_TEST_DATA "/atlas"), 4);
    cr_assert_geq(same_on_dir(KP_TEST_DATA "/../../fuzz/corpus/atlas"), 50);
}

/* The records of real-world.jsonl (results as Atlas's API gives them, keys
 * in the order each firmware wrote them), one per line: the five usual
 * traceroutes are the scanner's; the five others are left to jansson (a
 * firmware 4430 result with its old key names, a measurement that failed
 * on the probe, a ping, a firmware-1 text result, af 6 with an IPv4
 * destination). */
Test(atlas_scan, reads_real_world_results)
{
    size_t len;
    char *b = slurp(KP_TEST_DATA "/atlas/real-world.jsonl", &len);
    int read = 0, declined = 0;
    for (char *line = b, *nl; line < b + len; line = nl + 1) {
        nl = memchr(line, '\n', (size_t)(b + len - line));
        if (nl == NULL)
            nl = b + len;
        struct kp_trace t;
        int rs = kp_atlas_scan(line, (size_t)(nl - line), &t);
        cr_assert(rs == 0 || rs == -EAGAIN);
        if (rs == 0)
            read++;
        else
            declined++;
        kp_trace_free(&t);
        same(line, (size_t)(nl - line));
    }
    free(b);
    cr_assert(read == 5 && declined == 5, "read %d, declined %d", read, declined);
}

#define HEAD                                                                                       \
    "{\"fw\":5080,\"dst_name\":\"n.example\",\"dst_addr\":\"175.45.176.1\",\"src_addr\":"          \
    "\"192.168.0.2\",\"proto\":\"ICMP\",\"af\":4,\"size\":48,\"paris_id\":1,"
#define TAIL ",\"msm_id\":5051,\"prb_id\":10000,\"timestamp\":1795305773,\"type\":\"traceroute\"}"
#define PKT  "{\"from\":\"198.51.100.1\",\"ttl\":254,\"size\":76,\"rtt\":6.939}"

Test(atlas_scan, common_shapes_are_read_by_the_scanner)
{
    check(HEAD "\"result\":[{\"hop\":1,\"result\":[" PKT "," PKT ",{\"x\":\"*\"}]}]" TAIL, 0);
    check(HEAD "\"result\":[]" TAIL, 0);
    check(HEAD "\"result\":[{\"hop\":1}]" TAIL, 0);
    check(HEAD
          "\"result\":[{\"hop\":1,\"result\":[]},{\"hop\":255,\"result\":[{\"x\":\"*\"}]}]" TAIL,
          0);
    /* the destination answers; an err; late and dup replies; ittl; mtu */
    check(HEAD "\"result\":[{\"hop\":3,\"result\":[{\"from\":\"175.45.176.1\",\"rtt\":1}]}]" TAIL,
          0);
    check(HEAD "\"result\":[{\"hop\":3,\"result\":[{\"from\":\"1.2.3.4\",\"err\":\"A\","
               "\"ittl\":2},{\"from\":\"1.2.3.4\",\"err\":13.0}]}]" TAIL,
          0);
    check(HEAD "\"result\":[{\"hop\":2,\"result\":[{\"x\":\"*\"},{\"from\":\"175.45.176.1\","
               "\"late\":1},{\"from\":\"1.2.3.4\",\"dup\":true},{\"from\":\"1.2.3.4\",\"mtu\":1400}"
               "]}]" TAIL,
          0);
    check(HEAD "\"result\":[{\"hop\":1,\"result\":[{\"error\":\"sendto failed\"}]}]" TAIL, 0);
    /* MPLS */
    check(HEAD
          "\"result\":[{\"hop\":1,\"result\":[{\"from\":\"1.2.3.4\",\"icmpext\":{\"version\":2,"
          "\"rfc4884\":0,\"obj\":[{\"class\":1,\"type\":1,\"mpls\":[{\"exp\":0,\"label\":"
          "16001,\"s\":1,\"ttl\":1},{\"label\":3}]}]}}]}]" TAIL,
          0);
    /* IPv6, TCP with flags */
    check("{\"dst_addr\":\"2001:db8::1\",\"proto\":\"TCP\",\"af\":6,\"result\":[{\"hop\":1,"
          "\"result\":[{\"from\":\"2001:db8::1\",\"flags\":\"SA\"},{\"from\":\"fe80::1\","
          "\"flags\":\"RA\"}]}],\"prb_id\":1}",
          0);
    /* key orders: sorted keys (size after result), result before hop */
    check("{\"af\":4,\"dst_addr\":\"1.1.1.1\",\"paris_id\":0,\"proto\":\"UDP\",\"result\":[{"
          "\"result\":[{\"from\":\"1.1.1.1\",\"rtt\":2.5}],\"hop\":4}],\"size\":40}",
          0);
    /* white space anywhere JSON allows it */
    check(" \n{ \"dst_addr\" : \"1.1.1.1\" ,\r\n\"proto\":\"ICMP\", \"result\" : [ { \"hop\" : 1 ,"
          " \"result\" : [ { \"x\" : \"*\" } ] } ] }\n ",
          0);
}

Test(atlas_scan, the_unusual_goes_to_jansson)
{
    /* escapes, UTF-8, exponents, long reals */
    check(HEAD "\"result\":[]" TAIL "x", -EAGAIN);
    check("{\"dst_addr\":\"1.1.1.\\u0031\",\"proto\":\"ICMP\",\"result\":[]}", -EAGAIN);
    check(
        "{\"dst_addr\":\"1.1.1.1\",\"dst_name\":\"p\xc3\xa9kin\",\"proto\":\"ICMP\",\"result\":[]}",
        -EAGAIN);
    check("{\"dst_addr\":\"1.1.1.1\",\"proto\":\"ICMP\",\"result\":[],\"timestamp\":1e9}", -EAGAIN);
    check("{\"dst_addr\":\"1.1.1.1\",\"proto\":\"ICMP\",\"result\":[{\"hop\":1,\"result\":[{"
          "\"from\":\"1.1.1.1\",\"rtt\":1.0000000000000001}]}]}",
          -EAGAIN);
    /* missing and wrong fields: jansson reports them */
    check("{\"proto\":\"ICMP\",\"result\":[]}", -EAGAIN);
    check("{\"dst_addr\":\"\",\"proto\":\"ICMP\",\"result\":[],\"error\":\"name resolution\"}",
          -EAGAIN);
    check("{\"dst_addr\":\"1.1.1.1\",\"proto\":\"ICMP\"}", -EAGAIN);
    check("{\"dst_addr\":\"1.1.1.1\",\"proto\":\"GRE\",\"result\":[]}", -EAGAIN);
    check("{\"dst_addr\":\"1.1.1.1\",\"proto\":\"ICMP\",\"af\":6,\"result\":[]}", -EAGAIN);
    check("{\"dst_addr\":\"1.1.1.1\",\"proto\":\"ICMP\",\"result\":\"text\"}", -EAGAIN);
    check("{\"dst_addr\":\"1.1.1.1\",\"proto\":\"ICMP\",\"type\":\"ping\",\"result\":[]}", -EAGAIN);
    check("{\"dst_addr\":\"1.1.1.1\",\"proto\":\"ICMP\",\"result\":[{\"result\":[]}]}", -EAGAIN);
    check("{\"dst_addr\":\"1.1.1.1\",\"proto\":\"ICMP\",\"result\":[{\"hop\":1,\"error\":\"x\"}]}",
          -EAGAIN);
    check("{\"dst_addr\":\"1.1.1.1\",\"proto\":\"ICMP\",\"result\":[{\"hop\":1,\"result\":[{"
          "\"rtt\":1}]}]}",
          -EAGAIN);
    check("{\"dst_addr\":\"1.1.1.1\",\"proto\":\"ICMP\",\"result\":[{\"hop\":1,\"result\":[{"
          "\"from\":\"1.1.1.1\",\"err\":\"Q\"}]}]}",
          -EAGAIN);
    /* huge and negative numbers */
    check("{\"dst_addr\":\"1.1.1.1\",\"proto\":\"ICMP\",\"result\":[],\"prb_id\":4294967296}",
          -EAGAIN);
    check(
        "{\"dst_addr\":\"1.1.1.1\",\"proto\":\"ICMP\",\"result\":[],\"lts\":99999999999999999999}",
        -EAGAIN);
    check("{\"dst_addr\":\"1.1.1.1\",\"proto\":\"ICMP\",\"result\":[],\"timestamp\":-1}", -EAGAIN);
    check("{\"dst_addr\":\"1.1.1.1\",\"proto\":\"ICMP\",\"result\":[{\"hop\":0}]}", -EAGAIN);
    check("{\"dst_addr\":\"1.1.1.1\",\"proto\":\"ICMP\",\"result\":[{\"hop\":1,\"result\":[{"
          "\"from\":\"1.1.1.1\",\"rtt\":-0.5}]}]}",
          -EAGAIN);
    /* repeated keys (jansson keeps the last) and firmware 4400's names */
    check("{\"dst_addr\":\"1.1.1.1\",\"dst_addr\":\"2.2.2.2\",\"proto\":\"ICMP\",\"result\":[]}",
          -EAGAIN);
    check("{\"addr\":\"1.1.1.1\",\"mode\":\"UDP4\",\"result\":[]}", -EAGAIN);
    /* not JSON */
    check("{\"dst_addr\":\"1.1.1.1\",\"proto\":\"ICMP\",\"result\":[],}", -EAGAIN);
    check("{\"dst_addr\":\"1.1.1.1\",\"proto\":\"ICMP\",\"result\":[01]}", -EAGAIN);
    check("{\"dst_addr\":\"1.1.1.1\",\"proto\":\"ICMP\",\"result\":[],\"z\":[1,]}", -EAGAIN);
}

Test(atlas_scan, values_read_as_jansson_reads_them)
{
    /* a repeated key the scanner does not read, and values it ignores */
    check("{\"dst_addr\":\"1.1.1.1\",\"proto\":\"ICMP\",\"z\":1,\"z\":{\"a\":[null,true,-0.5]},"
          "\"type\":\"traceroute\",\"dst_name\":7,\"src_addr\":null,\"result\":[]}",
          0);
    check("{\"dst_addr\":\"1.1.1.1\",\"proto\":\"ICMP\",\"src_addr\":\"\",\"af\":4.0,"
          "\"prb_id\":4294967295,\"msm_id\":null,\"timestamp\":9223372036,\"result\":[]}",
          0);
    /* a dst_name longer than the record keeps: cut as the jansson reader cuts */
    char name[400];
    memset(name, 'a', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    char rec[800];
    snprintf(rec, sizeof(rec),
             "{\"dst_addr\":\"1.1.1.1\",\"proto\":\"ICMP\",\"dst_name\":\"%s\","
             "\"result\":[]}",
             name);
    check(rec, 0);
}

/* templ with its first "%s" replaced by key and its second by val. */
static void fill(char *out, size_t cap, const char *templ, const char *key, const char *val)
{
    const char *a = strstr(templ, "%s");
    const char *b = a ? strstr(a + 2, "%s") : NULL;
    cr_assert(a != NULL && b != NULL);
    int n = snprintf(out, cap, "%.*s%s%.*s%s%s", (int)(a - templ), templ, key, (int)(b - a - 2),
                     a + 2, val, b + 2);
    cr_assert(n > 0 && (size_t)n < cap);
}

/* One field of a packet, a hop or the top level set to values of every
 * kind: whichever reader reads it, the result is the same. */
Test(atlas_scan, every_field_with_every_kind_of_value)
{
    static const char *const templ[] = {
        HEAD
        "\"result\":[{\"hop\":2,\"result\":[{\"from\":\"1.2.3.4\",\"rtt\":1.5,\"%s\":%s}]}]" TAIL,
        HEAD "\"result\":[{\"hop\":2,\"result\":[{\"x\":\"*\",\"%s\":%s}]}]" TAIL,
        HEAD "\"result\":[{\"hop\":2,\"%s\":%s,\"result\":[" PKT "]}]" TAIL,
        "{\"dst_addr\":\"1.2.3.4\",\"proto\":\"UDP\",\"%s\":%s,\"result\":[{\"hop\":2,\"result\":["
        "{\"from\":\"1.2.3.4\"},{\"from\":\"1.2.3.5\",\"err\":\"N\"}]}]}",
        HEAD "\"result\":[{\"hop\":2,\"result\":[{\"from\":\"1.2.3.4\",\"icmpext\":{\"obj\":[{"
             "\"mpls\":[{\"%s\":%s}]}]}}]}]" TAIL,
    };
    static const char *const keys[] = {
        "from",     "rtt",      "ttl",      "size",  "x",        "error",  "late",   "dup",
        "ittl",     "mtu",      "err",      "flags", "icmpext",  "hop",    "result", "af",
        "proto",    "dst_addr", "src_addr", "size",  "paris_id", "msm_id", "prb_id", "timestamp",
        "endtime",  "type",     "dst_name", "label", "exp",      "s",      "edst",   "addr",
        "paris-id", "mode",     "name",     "pf",    "srcaddr",  "unknown"};
    static const char *const vals[] = {"null",
                                       "true",
                                       "false",
                                       "0",
                                       "1",
                                       "-1",
                                       "2",
                                       "255",
                                       "256",
                                       "65536",
                                       "1.0",
                                       "1.5",
                                       "-0.0",
                                       "1e2",
                                       "1E+2",
                                       "0.5e1",
                                       "\"\"",
                                       "\"*\"",
                                       "\"N\"",
                                       "\"A\"",
                                       "\"h\"",
                                       "\"Q\"",
                                       "\"SA\"",
                                       "\"1.2.3.4\"",
                                       "\"2001:db8::1\"",
                                       "\"ICMP\"",
                                       "\"TCP\"",
                                       "\"traceroute\"",
                                       "\"a\\\"b\"",
                                       "\"\\u00e9\"",
                                       "[]",
                                       "[1,2]",
                                       "{}",
                                       "{\"obj\":[]}",
                                       "{\"obj\":null}",
                                       "{\"obj\":[{\"mpls\":[{\"label\":5}]}]}",
                                       "9223372036854775807",
                                       "9223372036854775808",
                                       "-9223372036854775808",
                                       "4294967295",
                                       "4294967296",
                                       "1000000000.5",
                                       "123456789012345678",
                                       "0.000000000000000000000001",
                                       "[[[[[[[[[]]]]]]]]]"};
    char rec[2048];
    int n = 0;
    for (size_t t = 0; t < sizeof(templ) / sizeof(templ[0]); t++)
        for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
            for (size_t v = 0; v < sizeof(vals) / sizeof(vals[0]); v++) {
                fill(rec, sizeof(rec), templ[t], keys[k], vals[v]);
                same(rec, strlen(rec));
                n++;
            }
    cr_assert_gt(n, 5000);
}

/* Results one per line, in an array and concatenated: the splitting is the
 * reader's, and the lines of errors are the same. */
Test(atlas_scan, streams_of_results)
{
    const char *s = "[\n" HEAD "\"result\":[]" TAIL ",\n{\"dst_addr\":\"1.1.1.1\"},\n" HEAD
                    "\"result\":[{\"hop\":1,\"result\":[" PKT "]}]" TAIL "\n]\n" HEAD
                    "\"result\":[]" TAIL "\n{\"type\":\"ping\"}\n";
    same(s, strlen(s));
}
