/* SPDX-License-Identifier: BSD-2-Clause */
/* kpannotate's command line (annotator/cmd/annotate_options.h): argv vectors
 * and the fields they set, and the usage errors they give. Expected values
 * are those of man/kpannotate.1 and kpannotate --help. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "annotator/cmd/annotate_options.h"
#include "core/asmap/asn_num.h"
#include "core/base/special_addr.h"

#define MAX_ARGS 160

/* Parse "kpannotate" + args (NULL-terminated); the strings are literals, so
 * the borrowed pointers stay valid. */
static int parse(struct kp_annotate_options *o, const char *const *args)
{
    static char *argv[MAX_ARGS + 2];
    int argc = 0;
    argv[argc++] = (char *)"kpannotate";
    for (size_t i = 0; args[i] != NULL && argc <= MAX_ARGS; i++)
        argv[argc++] = (char *)args[i];
    argv[argc] = NULL;
    return kp_annotate_options_parse(o, argc, argv);
}

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

Test(annotate_options, defaults)
{
    struct kp_annotate_options o;
    static const char *const none[] = {NULL};
    cr_assert_eq(parse(&o, none), 0);
    cr_assert_eq(o.action, KP_ANNOTATE_RUN);
    cr_assert_eq(o.n_files, 1); /* standard input when no FILE */
    cr_assert_str_eq(o.files[0], "-");
    cr_assert_eq(o.force_kind, KP_INPUT_UNKNOWN); /* auto */
    cr_assert_eq(o.sweep, KP_SWEEP_INPUT);
    cr_assert_eq(o.threads, -1); /* one per processor */
    cr_assert(!o.summary && !o.summary_json && !o.quiet && !o.rdns && !o.cymru && !o.have_rib);
    cr_assert_null(o.output);
    cr_assert_null(o.graph);
    cr_assert_null(o.stats_json);
    cr_assert_null(o.vp);
    cr_assert_null(o.dns_server);
    cr_assert_eq(o.n_sources, 0);
    cr_assert_eq(o.cfg.n_targets, 1);
    cr_assert_eq(o.cfg.targets[0], 131279);
    cr_assert_eq(o.cfg.n_known, 3);
    cr_assert_eq(o.cfg.known[0].asn, 4837);
    cr_assert_str_eq(o.cfg.known[0].name, "China Unicom");
    cr_assert_eq(o.cfg.known[1].asn, 20485);
    cr_assert_str_eq(o.cfg.known[1].name, "TransTeleCom");
    cr_assert_eq(o.cfg.known[2].asn, 22351);
    cr_assert_str_eq(o.cfg.known[2].name, "Intelsat");
    cr_assert_float_eq(o.cfg.rtt_jump_ms, 15.0, 1e-9);
    cr_assert_eq(o.cfg.disabled, 0);
    cr_assert_eq(o.filter.min_len4, 8);
    cr_assert_eq(o.filter.min_len6, 16);
    cr_assert_null(o.error);
    kp_annotate_options_free(&o);
}

Test(annotate_options, sources_in_order)
{
    struct kp_annotate_options o;
    cr_assert_eq(
        parse(&o, ARGS("-p", "a.pfx2as", "--rib", "rib.txt", "--cymru", "--mmdb", "asn.mmdb",
                       "--peeringdb", "ixpfx.json", "--cymru", "--pfx2as", "b.gz")),
        0);
    static const enum kp_annotate_source_kind kinds[] = {KP_SOURCE_PFX2AS,    KP_SOURCE_RIB,
                                                         KP_SOURCE_CYMRU,     KP_SOURCE_MMDB,
                                                         KP_SOURCE_PEERINGDB, KP_SOURCE_PFX2AS};
    static const char *const paths[] = {"a.pfx2as", "rib.txt",    NULL,
                                        "asn.mmdb", "ixpfx.json", "b.gz"};
    cr_assert_eq(o.n_sources, 6); /* a second --cymru adds nothing */
    for (size_t i = 0; i < 6; i++) {
        cr_assert_eq(o.sources[i].kind, kinds[i], "source %zu", i);
        if (paths[i] == NULL)
            cr_assert_null(o.sources[i].path);
        else
            cr_assert_str_eq(o.sources[i].path, paths[i]);
    }
    cr_assert(o.have_rib);
    cr_assert(o.cymru);
    kp_annotate_options_free(&o);
}

Test(annotate_options, targets_and_transits)
{
    struct kp_annotate_options o;
    cr_assert_eq(parse(&o, ARGS("-t", "131279,AS64509,1.10", "--transit", "12389=Rostelecom",
                                "--transit", "AS4837=CU")),
                 0);
    cr_assert_eq(o.cfg.n_targets, 3);
    cr_assert_eq(o.cfg.targets[0], 131279);
    cr_assert_eq(o.cfg.targets[1], 64509);
    cr_assert_eq(o.cfg.targets[2], 65546); /* asdot 1.10 */
    cr_assert_eq(o.cfg.n_known, 4);        /* 4837 renamed, 12389 added */
    cr_assert_eq(o.cfg.known[0].asn, 4837);
    cr_assert_str_eq(o.cfg.known[0].name, "CU");
    cr_assert_eq(o.cfg.known[3].asn, 12389);
    cr_assert_str_eq(o.cfg.known[3].name, "Rostelecom");
    kp_annotate_options_free(&o);

    cr_assert_eq(parse(&o, ARGS("--no-default-transits", "--transit", "64500=Test")), 0);
    cr_assert_eq(o.cfg.n_known, 1);
    cr_assert_eq(o.cfg.known[0].asn, 64500);
    cr_assert_str_eq(o.cfg.known[0].name, "Test");
    kp_annotate_options_free(&o);
}

Test(annotate_options, values)
{
    struct kp_annotate_options o;
    cr_assert_eq(
        parse(&o,
              ARGS("--disable", "rtt-jump,ixp", "--rtt-jump", "2.5", "-f", "atlas", "--vp", "eu1",
                   "--sweep", "day", "-o", "out.jsonl", "-g", "paths.dot", "--stats-json",
                   "stats.json", "-q", "--threads", "0", "--rdns", "--dns-server", "198.18.53.53",
                   "--dns-timeout", "60000", "--cymru-cache", "c.cache", "--min-prefix-len",
                   "16,32", "--keep-special", "documentation,private-asn", "x.json", "y.json.gz")),
        0);
    cr_assert_eq(o.cfg.disabled, KP_H_RTT_JUMP | KP_H_IXP);
    cr_assert_float_eq(o.cfg.rtt_jump_ms, 2.5, 1e-9);
    cr_assert_eq(o.force_kind, KP_INPUT_ATLAS);
    cr_assert_str_eq(o.vp, "eu1");
    cr_assert_eq(o.sweep, KP_SWEEP_DAY);
    cr_assert_str_eq(o.output, "out.jsonl");
    cr_assert_str_eq(o.graph, "paths.dot");
    cr_assert_str_eq(o.stats_json, "stats.json");
    cr_assert(o.quiet);
    cr_assert_eq(o.threads, 0);
    cr_assert(o.rdns);
    cr_assert_str_eq(o.dns_server, "198.18.53.53");
    cr_assert_eq(o.dns_timeout, 60000);
    cr_assert_str_eq(o.copts.cache_path, "c.cache");
    cr_assert_eq(o.filter.min_len4, 16);
    cr_assert_eq(o.filter.min_len6, 32);
    cr_assert_eq(o.filter.keep,
                 KP_KEEP_SPACE(KP_ACLASS_DOCUMENTATION) | KP_KEEP_ASN(KP_ASCLASS_PRIVATE));
    cr_assert_eq(o.n_files, 2);
    cr_assert_str_eq(o.files[0], "x.json");
    cr_assert_str_eq(o.files[1], "y.json.gz");
    cr_assert(!o.summary); /* -o alone: no summary */
    kp_annotate_options_free(&o);

    cr_assert_eq(parse(&o, ARGS("--summary-format", "json", "-f", "auto", "--sweep", "none",
                                "--keep-special", "all", "--min-prefix-len", "24")),
                 0);
    cr_assert(o.summary); /* --summary-format implies --summary */
    cr_assert(o.summary_json);
    cr_assert_eq(o.force_kind, KP_INPUT_UNKNOWN);
    cr_assert_eq(o.sweep, KP_SWEEP_NONE);
    cr_assert_eq(o.filter.keep, KP_KEEP_ALL);
    cr_assert_eq(o.filter.min_len4, 24);
    cr_assert_eq(o.filter.min_len6, 16); /* a lone v4 leaves v6 as it is */
    kp_annotate_options_free(&o);

    cr_assert_eq(parse(&o, ARGS("-s", "--sweep", "hour", "-f", "pcapng")), 0);
    cr_assert(o.summary);
    cr_assert(!o.summary_json); /* text by default */
    cr_assert_eq(o.sweep, KP_SWEEP_HOUR);
    cr_assert_eq(o.force_kind, KP_INPUT_PCAPNG);
    kp_annotate_options_free(&o);
}

Test(annotate_options, help_and_version)
{
    struct kp_annotate_options o;
    cr_assert_eq(parse(&o, ARGS("-q", "--help")), 0);
    cr_assert_eq(o.action, KP_ANNOTATE_HELP);
    kp_annotate_options_free(&o);
    cr_assert_eq(parse(&o, ARGS("-V")), 0);
    cr_assert_eq(o.action, KP_ANNOTATE_VERSION);
    kp_annotate_options_free(&o);
    cr_assert_eq(parse(&o, ARGS("--version")), 0);
    cr_assert_eq(o.action, KP_ANNOTATE_VERSION);
    kp_annotate_options_free(&o);
    cr_assert_eq(strncmp(kp_annotate_usage, "Usage: kpannotate [OPTIONS] [FILE...]\n", 38), 0);
    static const char *const longs[] = {"--pfx2as",       "--rib",
                                        "--mmdb",         "--peeringdb",
                                        "--cymru",        "--dns-server",
                                        "--cymru-cache",  "--dns-timeout",
                                        "--rdns",         "--min-prefix-len",
                                        "--keep-special", "--target",
                                        "--transit",      "--no-default-transits",
                                        "--disable",      "--rtt-jump",
                                        "--input-format", "--vp",
                                        "--sweep",        "--output",
                                        "--summary",      "--summary-format",
                                        "--graph",        "--quiet",
                                        "--stats-json",   "--threads",
                                        "--help"};
    for (size_t i = 0; i < sizeof(longs) / sizeof(longs[0]); i++)
        cr_assert_not_null(strstr(kp_annotate_usage, longs[i]), "%s", longs[i]);
}

struct bad_case {
    const char *args[4];
    const char *error; /* the message, without "kpannotate: " */
};

static const struct bad_case bad_cases[] = {
    {{"--dns-timeout", "0"}, "--dns-timeout: '0' is not 1..60000 ms"},
    {{"--dns-timeout", "60001"}, "--dns-timeout: '60001' is not 1..60000 ms"},
    {{"--dns-timeout", "5s"}, "--dns-timeout: '5s' is not 1..60000 ms"},
    {{"--threads", "65"}, "--threads: '65' is not 0..64"},
    {{"--threads", "-1"}, "--threads: '-1' is not 0..64"},
    {{"--threads", ""}, "--threads: '' is not 0..64"},
    {{"--rtt-jump", "-1"}, "--rtt-jump: '-1' is not 0..60000 ms"},
    {{"--rtt-jump", "10ms"}, "--rtt-jump: '10ms' is not 0..60000 ms"},
    {{"--rtt-jump", "nan"}, "--rtt-jump: 'nan' is not 0..60000 ms"},
    {{"--rtt-jump", "inf"}, "--rtt-jump: 'inf' is not 0..60000 ms"},
    {{"--rtt-jump", "1e999"}, "--rtt-jump: '1e999' is not 0..60000 ms"},
    {{"--rtt-jump", ""}, "--rtt-jump: '' is not 0..60000 ms"},
    {{"-t", "0"}, "--target: '0' is not an AS number"},
    {{"--target", "131279,x"}, "--target: 'x' is not an AS number"},
    {{"--transit", "4837"}, "--transit: '4837' is not ASN=NAME"},
    {{"--transit", "4837="}, "--transit: '4837=' is not ASN=NAME"},
    {{"--transit", "foo=Bar"}, "--transit: 'foo=Bar' is not ASN=NAME"},
    {{"--disable", "filtered-inside-target"},
     "--disable: 'filtered-inside-target' is evidence, not a heuristic"},
    {{"--disable", "ixp,nosuch"}, "--disable: no heuristic named 'nosuch'"},
    {{"-f", "warts"}, "--input-format: unknown kind 'warts'"},
    {{"--sweep", "week"}, "--sweep: 'week' is not input, hour, day or none"},
    {{"--summary-format", "csv"}, "--summary-format: 'csv' is not text or json"},
    {{"--min-prefix-len", "33"}, "--min-prefix-len: '33' is not V4[,V6] (0..32, 0..128)"},
    {{"--min-prefix-len", "8,129"}, "--min-prefix-len: '8,129' is not V4[,V6] (0..32, 0..128)"},
    {{"--keep-special", "private,bogus"},
     "--keep-special: no range or AS number class named 'bogus'"},
    /* what getopt_long refuses, in kptrace's words (opterr is off) */
    {{"--no-such-option"}, "unknown option '--no-such-option' (see kpannotate --help)"},
    {{"--no-such-option=3"}, "unknown option '--no-such-option' (see kpannotate --help)"},
    {{"-x"}, "unknown option '-x' (see kpannotate --help)"},
    {{"-qx"}, "unknown option '-x' (see kpannotate --help)"},
    {{"--quiet", "-xq"}, "unknown option '-x' (see kpannotate --help)"},
    {{"--pfx2as"}, "--pfx2as needs a value"},
    {{"-q", "--rib"}, "--rib needs a value"},
    {{"-p"}, "-p needs a value"},
    {{"-qp"}, "-p needs a value"},
    {{"--quiet=yes"}, "--quiet takes no value (see kpannotate --help)"},
    {{"--cymru=1"}, "--cymru takes no value (see kpannotate --help)"},
    {{"--su"}, "option '--su' is ambiguous: --summary, --summary-format (see kpannotate --help)"},
    /* an error stops the parse: -h after it is not reached */
    {{"--sweep", "week", "-h"}, "--sweep: 'week' is not input, hour, day or none"},
};

Test(annotate_options, usage_errors)
{
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        const struct bad_case *c = &bad_cases[i];
        struct kp_annotate_options o;
        cr_assert_eq(parse(&o, c->args), 2, "case %zu (%s)", i, c->args[0]);
        cr_assert_not_null(o.error, "case %zu", i);
        cr_assert_str_eq(o.error, c->error, "case %zu", i);
        kp_annotate_options_free(&o);
    }
}

Test(annotate_options, too_many_sources)
{
    static const char *args[2 * 65 + 1];
    for (size_t i = 0; i < 65; i++) {
        args[2 * i] = "-p";
        args[2 * i + 1] = "t.pfx2as";
    }
    args[130] = NULL;
    struct kp_annotate_options o;
    cr_assert_eq(parse(&o, args), 2);
    cr_assert_str_eq(o.error, "too many sources");
    kp_annotate_options_free(&o);
    args[128] = NULL; /* 64 is the limit */
    cr_assert_eq(parse(&o, args), 0);
    cr_assert_eq(o.n_sources, 64);
    kp_annotate_options_free(&o);
}
