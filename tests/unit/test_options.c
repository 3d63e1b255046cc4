/* SPDX-License-Identifier: BSD-2-Clause */
/* Option parsing of kptrace trace/sweep: defaults from docs/kptrace.md,
 * values, and error messages naming the option. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "prober/cmd/cmd_common.h"
#include "prober/cmd/options.h"

static int parse(struct kp_options *o, enum kp_cmd cmd, char *err, const char *line)
{
    char *argv[64], buf[1024];
    int argc = 0;
    snprintf(buf, sizeof(buf), "%s", line);
    for (char *save = NULL, *t = strtok_r(buf, " ", &save); t && argc < 63;
         t = strtok_r(NULL, " ", &save))
        argv[argc++] = t;
    argv[argc] = NULL;
    int rc = kp_options_parse(o, cmd, argc, argv, err, 256);
    /* targets are copies; other strings point into buf, so keep only the
     * fields the tests read after this returns */
    o->out = NULL;
    o->user = NULL;
    o->iface = NULL;
    o->dns_server = NULL;
    o->pcap = NULL;
    return rc;
}

Test(options, trace_defaults)
{
    struct kp_options o;
    char err[256];
    cr_assert_eq(parse(&o, KP_CMD_TRACE, err, "trace 198.18.1.1"), 0, "%s", err);
    cr_assert_eq(o.pps, 100);
    cr_assert_eq(o.n_methods, 1);
    cr_assert_eq(o.methods[0], KP_METHOD_ICMP_PARIS);
    cr_assert_eq(o.first_ttl, 1);
    cr_assert_eq(o.max_ttl, 30);
    cr_assert_eq(o.attempts, 2);
    cr_assert_eq(o.gap_limit, 5);
    cr_assert_eq(o.wait_ms, 1000);
    cr_assert_eq(o.format, KP_FMT_TEXT);
    cr_assert_eq(o.doubletree, false);
    cr_assert_eq(o.dry_run, false);
    cr_assert_eq(o.n_targets, 1);
    cr_assert_str_eq(o.targets[0], "198.18.1.1");
    kp_options_free(&o);
}

Test(options, sweep_defaults_and_values)
{
    struct kp_options o;
    char err[256];
    cr_assert_eq(parse(&o, KP_CMD_SWEEP, err, "sweep --vp eu1 --out /tmp/x"), 0, "%s", err);
    cr_assert_eq(o.doubletree, true);
    cr_assert_eq(o.format, KP_FMT_JSON);
    cr_assert_eq(o.n_targets, 1);
    cr_assert_str_eq(o.targets[0], "175.45.176.0/22");
    cr_assert_str_eq(o.vp, "eu1");
    kp_options_free(&o);

    cr_assert_eq(parse(&o, KP_CMD_SWEEP, err,
                       "sweep --vp a --out d --targets 198.18.0.0/24,198.19.4.0/22 "
                       "--methods icmp-paris,udp-paris,tcp-syn --pps 2500 --max-ttl 12 "
                       "--first-ttl 2 --attempts 3 --wait 250 --gap-limit 0 --dport 443 "
                       "--sport 20000 --seed 18446744073709551615 --no-doubletree --window 4"),
                 0, "%s", err);
    cr_assert_eq(o.n_targets, 2);
    cr_assert_str_eq(o.targets[1], "198.19.4.0/22");
    cr_assert_eq(o.n_methods, 3);
    cr_assert_eq(o.methods[2], KP_METHOD_TCP_SYN);
    cr_assert_eq(o.pps, 2500);
    cr_assert_eq(o.max_ttl, 12);
    cr_assert_eq(o.first_ttl, 2);
    cr_assert_eq(o.attempts, 3);
    cr_assert_eq(o.wait_ms, 250);
    cr_assert_eq(o.gap_limit, 0);
    cr_assert_eq(o.dport, 443);
    cr_assert_eq(o.sport, 20000);
    cr_assert_eq(o.seed, UINT64_MAX);
    cr_assert(o.seed_set);
    cr_assert_eq(o.doubletree, false);
    cr_assert_eq(o.window, 4);
    kp_options_free(&o);
}

static void expect_err(enum kp_cmd cmd, const char *line, const char *needle)
{
    struct kp_options o;
    char err[256];
    int rc = parse(&o, cmd, err, line);
    cr_assert_eq(rc, -EINVAL, "accepted: %s", line);
    cr_assert_not_null(strstr(err, needle), "'%s' -> '%s' lacks '%s'", line, err, needle);
    kp_options_free(&o);
}

Test(options, errors_name_the_option)
{
    expect_err(KP_CMD_TRACE, "trace", "no target");
    expect_err(KP_CMD_TRACE, "trace --pps 0 x", "--pps: 0 is not in 1..");
    expect_err(KP_CMD_TRACE, "trace --pps 20000 x", "ceiling of 10000");
    expect_err(KP_CMD_TRACE, "trace --pps fast x", "--pps: \"fast\" is not a number");
    expect_err(KP_CMD_TRACE, "trace --max-ttl 64 x", "--max-ttl: 64 is not in 1..63");
    expect_err(KP_CMD_TRACE, "trace --first-ttl 9 --max-ttl 3 x", "below --first-ttl");
    expect_err(KP_CMD_TRACE, "trace --methods icmp,udp x", "unknown method \"icmp\"");
    expect_err(KP_CMD_TRACE, "trace --methods udp,udp x", "given twice");
    expect_err(KP_CMD_TRACE, "trace --format xml x", "--format: \"xml\"");
    expect_err(KP_CMD_TRACE, "trace --attempts 5 x", "--attempts: 5 is not in 1..4");
    expect_err(KP_CMD_TRACE, "trace --src 300.1.1.1 x", "--src");
    expect_err(KP_CMD_TRACE, "trace --bogus x", "unknown option \"--bogus\"");
    expect_err(KP_CMD_TRACE, "trace --sport 40000 x", "--sport: 40000 is not in 1..32767");
    expect_err(KP_CMD_TRACE, "trace x --wait", "--wait needs a value");
    expect_err(KP_CMD_SWEEP, "sweep --out d", "--vp ID is required");
    expect_err(KP_CMD_SWEEP, "sweep --vp a", "--out DIR is required");
    expect_err(KP_CMD_SWEEP, "sweep --vp a --out d --targets 198.18.0.1/24", "zero host bits");
    expect_err(KP_CMD_SWEEP, "sweep --vp a --out d --targets 198.18.0.0/33", "198.18.0.0/33");
    expect_err(KP_CMD_SWEEP, "sweep --vp a --out d 198.18.0.0/24", "unexpected argument");
    expect_err(KP_CMD_SWEEP, "sweep --vp a --out d --format text", "JSON lines");
    expect_err(KP_CMD_SWEEP, "sweep --vp a/b --out d", "--vp");
}

/* --target used to abbreviate --targets; with --target-as it would fit both
 * (getopt_long calls that ambiguous): it is --targets' exact alias, and an
 * abbreviation that fits several options is an error naming them all. */
Test(options, target_is_an_alias_and_ambiguous_abbreviations_name_the_candidates)
{
    struct kp_options o;
    char err[256];
    cr_assert_eq(parse(&o, KP_CMD_TRACE, err, "trace --target 198.18.1.1 198.18.1.2"), 0, "%s",
                 err);
    cr_assert_eq(o.n_targets, 2);
    cr_assert_str_eq(o.targets[0], "198.18.1.1");
    cr_assert_str_eq(o.targets[1], "198.18.1.2");
    cr_assert_eq(o.asn.n_targets, 0, "not --target-as");
    kp_options_free(&o);
    cr_assert_eq(parse(&o, KP_CMD_TRACE, err, "trace --target=198.18.1.1"), 0, "%s", err);
    cr_assert_eq(o.n_targets, 1);
    kp_options_free(&o);
    cr_assert_eq(parse(&o, KP_CMD_SWEEP, err, "sweep --vp a --out d --target 198.18.0.0/24"), 0,
                 "%s", err);
    cr_assert_eq(o.n_targets, 1);
    cr_assert_str_eq(o.targets[0], "198.18.0.0/24");
    kp_options_free(&o);
    /* --target-as is still itself */
    cr_assert_eq(parse(&o, KP_CMD_TRACE, err, "trace --pfx2as t --target-as 4837 198.18.1.1"), 0,
                 "%s", err);
    cr_assert_eq(o.asn.n_targets, 1);
    cr_assert_eq(o.asn.targets[0], 4837);
    cr_assert_eq(o.n_targets, 1);
    kp_options_free(&o);
    /* an abbreviation that fits one option only still works */
    cr_assert_eq(parse(&o, KP_CMD_TRACE, err, "trace --max 9 x"), 0, "%s", err);
    cr_assert_eq(o.max_ttl, 9);
    kp_options_free(&o);
    const char *const amb[] = {"trace --targ 198.18.1.1", "trace --targ=198.18.1.1 x",
                               "trace --tar 198.18.1.1 x"};
    for (size_t i = 0; i < 3; i++) {
        cr_assert_eq(parse(&o, KP_CMD_TRACE, err, amb[i]), -EINVAL, "accepted: %s", amb[i]);
        cr_assert_not_null(strstr(err, "ambiguous option \"--ta"), "%s: %s", amb[i], err);
        const char *const cand[] = {"--targets,", "--target,", "--targets-file,", "--target-as"};
        for (size_t k = 0; k < 4; k++)
            cr_assert_not_null(strstr(err, cand[k]), "%s: '%s' lacks %s", amb[i], err, cand[k]);
        kp_options_free(&o);
    }
    expect_err(KP_CMD_SWEEP, "sweep --vp a --out d --no 198.18.0.0/24",
               "ambiguous option \"--no\": it could be --no-doubletree, --no-progress");
    expect_err(KP_CMD_TRACE, "trace --targetz x", "unknown option \"--targetz\"");
}

Test(options, unsafe_rate_lifts_ceiling)
{
    struct kp_options o;
    char err[256];
    cr_assert_eq(parse(&o, KP_CMD_TRACE, err, "trace --unsafe-rate --pps 50000 x"), 0, "%s", err);
    cr_assert_eq(o.pps, 50000);
    kp_options_free(&o);
}

/* Probes go the IP way unless --send-via link; any other way is refused
 * by name; a resumed sweep may change it (the socket, not the measurement). */
Test(options, send_via)
{
    struct kp_options o, b;
    char err[256], msg[256];
    struct kp_engine_params p;
    cr_assert_eq(parse(&o, KP_CMD_TRACE, err, "trace x"), 0, "%s", err);
    cr_assert(!o.send_link);
    kp_cmd_engine_params(&o, &p);
    cr_assert(!p.send_link);
    kp_options_free(&o);
    cr_assert_eq(parse(&o, KP_CMD_TRACE, err, "trace --send-via link x"), 0, "%s", err);
    cr_assert(o.send_link);
    kp_cmd_engine_params(&o, &p);
    cr_assert(p.send_link);
    cr_assert_eq(parse(&b, KP_CMD_SWEEP, err, "sweep --vp v --out d --targets 198.18.0.0/24"), 0,
                 "%s", err);
    cr_assert_eq(kp_options_same(&b, &o, "--send-via", msg, sizeof(msg)), 0, "%s", msg);
    kp_options_free(&o);
    kp_options_free(&b);
    cr_assert_eq(
        parse(&o, KP_CMD_SWEEP, err, "sweep --vp v --out d --targets 198.18.0.0/24 --send-via ip"),
        0, "%s", err);
    cr_assert(!o.send_link);
    kp_options_free(&o);
    cr_assert_neq(parse(&o, KP_CMD_TRACE, err, "trace --send-via tun x"), 0);
    cr_assert(strstr(err, "--send-via") && strstr(err, "\"tun\"") &&
                  strstr(err, "expected ip or link"),
              "%s", err);
}

/* The sending thread may run real-time with --realtime (off by default);
 * a resumed sweep may add or drop it (the scheduling, not the measurement). */
Test(options, realtime)
{
    struct kp_options o, b;
    char err[256], msg[256];
    cr_assert_eq(parse(&o, KP_CMD_TRACE, err, "trace x"), 0, "%s", err);
    cr_assert(!o.realtime);
    struct kp_engine_params p;
    kp_cmd_engine_params(&o, &p);
    cr_assert(!p.realtime);
    kp_options_free(&o);
    cr_assert_eq(parse(&o, KP_CMD_TRACE, err, "trace --realtime x"), 0, "%s", err);
    cr_assert(o.realtime);
    kp_cmd_engine_params(&o, &p);
    cr_assert(p.realtime);
    cr_assert_eq(parse(&b, KP_CMD_SWEEP, err, "sweep --vp v --out d --targets 198.18.0.0/24"), 0,
                 "%s", err);
    cr_assert_eq(kp_options_same(&b, &o, "--realtime", msg, sizeof(msg)), 0, "%s", msg);
    kp_options_free(&o);
    kp_options_free(&b);
}

Test(options, cidr)
{
    struct kp_addr a;
    uint8_t l;
    cr_assert_eq(kp_cidr_parse("175.45.176.0/22", &a, &l), 0);
    cr_assert_eq(kp_addr_v4_host(&a), 0xAF2DB000u); /* 175=0xAF 45=0x2D 176=0xB0 */
    cr_assert_eq(l, 22);
    cr_assert_eq(kp_cidr_parse("198.18.1.7", &a, &l), 0);
    cr_assert_eq(l, 32);
    cr_assert_neq(kp_cidr_parse("175.45.177.0/22", &a, &l), 0);
    cr_assert_neq(kp_cidr_parse("175.45.176.0/", &a, &l), 0);
    cr_assert_neq(kp_cidr_parse("/22", &a, &l), 0);
    cr_assert_neq(kp_cidr_parse("2001:db8::/32", &a, &l), 0);
}

Test(options, targets_file)
{
    char path[] = "/tmp/kp_targets_XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    FILE *f = fdopen(fd, "w");
    fputs("# prefixes\n198.18.0.0/24\n\n  198.19.0.0/23  # two\n", f);
    fclose(f);
    struct kp_options o;
    char err[256], line[128];
    snprintf(line, sizeof(line), "sweep --vp a --out d --targets-file %s", path);
    cr_assert_eq(parse(&o, KP_CMD_SWEEP, err, line), 0, "%s", err);
    cr_assert_eq(o.n_targets, 2);
    cr_assert_str_eq(o.targets[1], "198.19.0.0/23");
    kp_options_free(&o);
    f = fopen(path, "w");
    fputs("198.18.0.0/24\n198.18.1.0/24 198.18.2.0/24\n", f);
    fclose(f);
    expect_err(KP_CMD_SWEEP, line, ":2: one target per line");
    unlink(path);
}

Test(options, size_below_a_methods_minimum_is_a_usage_error)
{
    struct kp_options o;
    char err[256];
    /* udp-paris over IPv4: 20 (IP) + 8 (UDP) + 18 (the KPT1 marker,
     * docs/probe-encoding.md) = 46 bytes at least. */
    cr_assert_neq(parse(&o, KP_CMD_TRACE, err, "trace --methods udp-paris --size 45 198.18.1.1"),
                  0);
    cr_assert(strstr(err, "--size 45") != NULL, "%s", err);
    cr_assert(strstr(err, "udp-paris") != NULL, "%s", err);
    cr_assert(strstr(err, "46") != NULL, "%s", err);
    kp_options_free(&o);
    cr_assert_eq(parse(&o, KP_CMD_TRACE, err, "trace --methods udp-paris --size 46 198.18.1.1"), 0,
                 "%s", err);
    cr_assert_eq(o.size, 46);
    kp_options_free(&o);
}

/* kptrace sweep --resume: an option given again must set what the sweep was
 * run with (docs/kptrace.md). */
Test(options, same_as_stored_for_resume)
{
    struct kp_options a, b;
    char err[256], msg[256];
    cr_assert_eq(parse(&a, KP_CMD_SWEEP, err,
                       "sweep --vp v --out d --targets 198.18.0.0/25,198.18.1.0/25 --methods "
                       "icmp-paris,udp-paris --pps 150 --wait 1500 --seed 42 --no-doubletree"),
                 0, "%s", err);
    cr_assert_eq(parse(&b, KP_CMD_SWEEP, err,
                       "sweep --vp v --out d --targets 198.18.0.0/25,198.18.1.0/25 --methods "
                       "icmp-paris,udp-paris --pps 150 --wait 1500 --seed 42 --no-doubletree"),
                 0, "%s", err);
    static const char *const flags[] = {"--vp",   "--targets",       "--methods",
                                        "--pps",  "--wait=1500",     "--seed",
                                        "--size", "--no-doubletree", "--unsafe-rate"};
    for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
        cr_assert_eq(kp_options_same(&a, &b, flags[i], msg, sizeof(msg)), 0, "%s: %s", flags[i],
                     msg);
    kp_options_free(&b);
    cr_assert_eq(parse(&b, KP_CMD_SWEEP, err,
                       "sweep --vp w --out d --targets 198.18.1.0/25,198.18.0.0/25 --methods "
                       "udp-paris,icmp-paris --pps 500 --wait 1000 --seed 43"),
                 0, "%s", err);
    cr_assert_eq(kp_options_same(&a, &b, "--pps", msg, sizeof(msg)), 1);
    cr_assert_str_eq(msg, "--pps: 500 given, the sweep was run with 150");
    cr_assert_eq(kp_options_same(&a, &b, "--wait=1000", msg, sizeof(msg)), 1);
    cr_assert_str_eq(msg, "--wait: 1000 given, the sweep was run with 1500");
    cr_assert_eq(kp_options_same(&a, &b, "--seed", msg, sizeof(msg)), 1);
    cr_assert_eq(kp_options_same(&a, &b, "--vp", msg, sizeof(msg)), 1);
    cr_assert_str_eq(msg, "--vp: w given, the sweep was run with v");
    /* the same prefixes in another order are another sweep (another job order) */
    cr_assert_eq(kp_options_same(&a, &b, "--targets", msg, sizeof(msg)), 1);
    cr_assert(strstr(msg, "198.18.1.0/25,198.18.0.0/25 given") != NULL, "%s", msg);
    cr_assert_eq(kp_options_same(&a, &b, "--methods", msg, sizeof(msg)), 1);
    cr_assert_str_eq(msg, "--methods: udp-paris,icmp-paris given, the sweep was run with "
                          "icmp-paris,udp-paris");
    cr_assert_eq(kp_options_same(&a, &b, "--doubletree", msg, sizeof(msg)), 1);
    cr_assert_eq(kp_options_same(&a, &b, "--dry-run", msg, sizeof(msg)), -1);
    cr_assert_str_eq(msg, "--dry-run cannot be used with --resume");
    cr_assert_eq(kp_options_same(&a, &b, "--dns-server", msg, sizeof(msg)), -1);
    kp_options_free(&a);
    kp_options_free(&b);
}

/* --blocklist-file and --allowlist-file: one of each, kept as copies, and a
 * resumed sweep compares them as files (the same file by another path is the
 * same). */
Test(options, list_files)
{
    struct kp_options a, b;
    char err[256], msg[256];
    cr_assert_eq(parse(&a, KP_CMD_TRACE, err, "trace 198.18.1.1"), 0, "%s", err);
    cr_assert_null(a.blocklist_file);
    cr_assert_null(a.allowlist_file);
    kp_options_free(&a);
    cr_assert_eq(parse(&a, KP_CMD_TRACE, err,
                       "trace --allowlist-file /etc/hosts --blocklist-file=/dev/null 198.18.1.1"),
                 0, "%s", err);
    cr_assert_str_eq(a.allowlist_file, "/etc/hosts");
    cr_assert_str_eq(a.blocklist_file, "/dev/null");
    kp_options_free(&a);
    cr_assert_eq(
        parse(&a, KP_CMD_SWEEP, err, "sweep --vp v --out d --allowlist-file a --allowlist-file b"),
        -EINVAL);
    cr_assert_str_eq(err, "--allowlist-file given twice (put the prefixes in one file)");
    kp_options_free(&a);
    cr_assert_eq(parse(&a, KP_CMD_SWEEP, err, "sweep --vp v --out d --blocklist-file="), -EINVAL);
    cr_assert_str_eq(err, "--blocklist-file needs a file name");
    kp_options_free(&a);

    cr_assert_eq(parse(&a, KP_CMD_SWEEP, err, "sweep --vp v --out d --allowlist-file /etc/hosts"),
                 0, "%s", err);
    cr_assert_eq(
        parse(&b, KP_CMD_SWEEP, err, "sweep --vp v --out d --allowlist-file /etc/../etc/hosts"), 0,
        "%s", err);
    cr_assert_eq(kp_options_same(&a, &b, "--allowlist-file", msg, sizeof(msg)), 0, "%s", msg);
    cr_assert_eq(kp_options_same(&a, &b, "--blocklist-file", msg, sizeof(msg)), 0, "%s", msg);
    kp_options_free(&b);
    cr_assert_eq(parse(&b, KP_CMD_SWEEP, err,
                       "sweep --vp v --out d --allowlist-file /etc/passwd --blocklist-file b"),
                 0, "%s", err);
    cr_assert_eq(kp_options_same(&a, &b, "--allowlist-file", msg, sizeof(msg)), 1);
    cr_assert_str_eq(msg, "--allowlist-file: /etc/passwd given, the sweep was run with /etc/hosts");
    cr_assert_eq(kp_options_same(&a, &b, "--blocklist-file=b", msg, sizeof(msg)), 1);
    cr_assert_str_eq(msg, "--blocklist-file: b given, the sweep was run with none");
    kp_options_free(&a);
    kp_options_free(&b);
}
