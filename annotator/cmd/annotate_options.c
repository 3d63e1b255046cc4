/* SPDX-License-Identifier: BSD-2-Clause */
/* annotate_options.c — kpannotate's command line (annotate_options.h):
 * getopt_long into struct kp_annotate_options, and the --help text. */
#include "annotator/cmd/annotate_options.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/asmap/asn_num.h"

const char kp_annotate_usage[] =
    "Usage: kpannotate [OPTIONS] [FILE...]\n"
    "\n"
    "Map every hop of traceroutes to an AS and decide, per trace, which AS hands\n"
    "the traffic to the target AS (default AS131279, North Korea's Star JV):\n"
    "China Unicom (AS4837), TransTeleCom (AS20485), Intelsat (AS22351) or another.\n"
    "FILEs (or standard input when none, or '-') may be kptrace traces.jsonl,\n"
    "capture files (pcap/pcapng of kptrace, traceroute, mtr or scamper runs),\n"
    "RIPE Atlas traceroute results (a JSON array or one per line) or scamper JSON\n"
    "(sc_warts2json, scamper -O json), plain or compressed with gzip or bzip2.\n"
    "The kind and the compression are detected from the content. Inputs are read\n"
    "as streams: records are decided and written as they come, in constant memory.\n"
    "kpannotate never needs root and never sends a packet, except DNS queries to\n"
    "the server you name when --cymru or --rdns is given.\n"
    "\n"
    "IP-to-AS sources (asked in the order given; the first that knows wins, and\n"
    "every hop records which one answered):\n"
    "  -p, --pfx2as FILE       CAIDA prefix2as table (plain or .gz)\n"
    "  -r, --rib FILE          `bgpdump -m` RIB text: origins, and the control-plane\n"
    "                          upstream of the target per prefix and time, used by\n"
    "                          --summary to flag where packets and BGP disagree\n"
    "  -m, --mmdb FILE         MaxMind GeoLite2-ASN or IPinfo ASN database\n"
    "      --peeringdb FILE    PeeringDB ixpfx JSON: marks IXP addresses\n"
    "      --cymru             ask Team Cymru's DNS interface (origin and AS names)\n"
    "      --dns-server ADDR   DNS server for --cymru/--rdns (ip or ip:port);\n"
    "                          default: the system resolver\n"
    "      --cymru-cache FILE  keep Team Cymru answers between runs\n"
    "      --dns-timeout MS    per-query timeout (default 1500)\n"
    "      --rdns              look up reverse DNS names of hop addresses\n"
    "      --min-prefix-len V4[,V6]\n"
    "                          drop prefix2as and RIB entries shorter than this\n"
    "                          (default 8,16; default routes are always dropped)\n"
    "      --keep-special LIST use these special-purpose ranges and AS numbers\n"
    "                          from prefix2as and RIB files instead of dropping\n"
    "                          them (test networks): private, shared, loopback,\n"
    "                          link-local, multicast, unspecified, reserved,\n"
    "                          documentation, benchmarking, private-asn,\n"
    "                          documentation-asn, reserved-asn, as-trans, all\n"
    "\n"
    "The decision:\n"
    "  -t, --target ASN[,ASN..]  target AS set (default 131279)\n"
    "      --transit ASN=NAME    a transit of interest and its display name\n"
    "                            (repeatable; defaults: 4837=China Unicom,\n"
    "                            20485=TransTeleCom, 22351=Intelsat)\n"
    "      --no-default-transits forget the default transits of interest\n"
    "      --disable NAME[,..]   switch heuristics off: silent-gap, skip-private,\n"
    "                            skip-unannounced, ixp, mpls,\n"
    "                            neighbour-numbered-border, p2p-mate, rtt-jump,\n"
    "                            multi-origin, destination-only,\n"
    "                            per-ttl-multiple-addresses, hidden-handoff,\n"
    "                            doubletree-prefix\n"
    "      --rtt-jump MS         RTT rise into the target noted as evidence (15)\n"
    "\n"
    "Input:\n"
    "  -f, --input-format KIND   auto (default), kptrace, atlas, scamper, pcap,\n"
    "                            pcapng\n"
    "      --vp NAME             vantage point name for every trace read (scamper\n"
    "                            JSON and captures do not carry one)\n"
    "      --sweep MODE          what one sweep is in the summary: input (each\n"
    "                            file; default), hour, day (UTC, from the trace's\n"
    "                            start), none\n"
    "\n"
    "Output (annotated JSON lines go to standard output unless --summary):\n"
    "  -o, --output FILE         write annotated JSON lines to FILE\n"
    "  -s, --summary             print the per-(vp, /24, method, sweep) summary\n"
    "      --summary-format F    text (aligned table, default) or json (lines)\n"
    "  -g, --graph FILE.dot      router-level and AS-level paths for graphviz; the\n"
    "                            destinations collapsed into one node per /24 (/48)\n"
    "      --graph-hosts         one node per destination address instead\n"
    "      --graph-prefix CIDR   only the traces to destinations inside CIDR (one\n"
    "                            graph per /24: --graph-prefix 198.19.176.0/24)\n"
    "      --changes FILE        changes of the set of transits or of the status per\n"
    "                            (vp, /24, method), one JSON line each, with the\n"
    "                            interval in which each happened (give sweep files\n"
    "                            oldest first: see kpannotate(1))\n"
    "      --change-confirm N    traces that confirm a state or a change (1..64;\n"
    "                            default 8)\n"
    "  -q, --quiet               no statistics on standard error\n"
    "      --stats-json FILE     the run's counts per input (records = decided + bad\n"
    "                            + skipped) and its status as one JSON object\n"
    "      --threads N           threads that parse records and decompress (default:\n"
    "                            one per processor, at most 4; 0: none)\n"
    "  -h, --help                this text;  -V, --version\n"
    "\n"
    "Per trace, \"transit\" has a status: reached (the target answered; asn is the\n"
    "AS of the last hop before it), filtered (ended with admin-prohibited at asn),\n"
    "incomplete (never reached the target; asn is the last AS seen) or\n"
    "undetermined; a confidence 0..1; and the evidence: hop indices, the source\n"
    "of the AS, and the heuristics that fired.\n"
    "\n"
    "Examples:\n"
    "  kpannotate -p pfx2as.txt -s sweep/traces.jsonl\n"
    "  kpannotate -p pfx2as.txt -r rib.txt -s --summary-format json atlas.json\n"
    "  kpannotate --cymru --dns-server 198.18.53.53 -o annotated.jsonl trace.pcap\n"
    "  kpannotate -p pfx2as.txt -g paths.dot traces.jsonl && dot -Tsvg paths.dot\n"
    "  kpannotate -p pfx2as.txt -o /dev/null -g 176.dot --graph-prefix \\\n"
    "      198.19.176.0/24 traces.jsonl\n"
    "  kpannotate -p pfx2as.txt -s --changes changes.jsonl day1/traces.jsonl \\\n"
    "      day2/traces.jsonl\n"
    "\n"
    "Exit status: 0 all read and decided; 1 some input records, source lines or\n"
    "lookups failed (everything else was still processed; standard error says\n"
    "what); 2 usage;\n"
    "3 an input or source could not be read to its end (what came before was\n"
    "decided and written) or the output could not be written; 4 the counts do not\n"
    "reconcile (records read != decided + bad + skipped: a bug, please report it).\n"
    "See kpannotate(1), docs/kpannotate.md, and docs/format-annotated.md for the\n"
    "output format.\n";

/* Record a usage error; returns 2. */
static int usage_error(struct kp_annotate_options *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int usage_error(struct kp_annotate_options *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    free(o->error);
    o->error = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (o->error != NULL) {
        va_start(ap, fmt);
        vsnprintf(o->error, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    return 2;
}

/* an AS number on the command line: asplain or asdot, optionally "AS"-prefixed;
 * AS 0 is reserved (RFC 7607) and never a target or transit */
static int parse_asn(const char *s, uint32_t *out)
{
    uint32_t v;
    if (kp_asn_parse(s, strlen(s), KP_ASN_PREFIX_OK | KP_ASN_ASDOT_OK, &v) != 0 || v == 0)
        return -EINVAL;
    *out = v;
    return 0;
}

static int add_transit(struct kp_annotate_options *o, uint32_t asn, const char *name)
{
    for (size_t i = 0; i < o->cfg.n_known; i++)
        if (o->transits[i].asn == asn) {
            free(o->transit_names[i]);
            o->transit_names[i] = strdup(name);
            o->transits[i].name = o->transit_names[i];
            return o->transit_names[i] ? 0 : -ENOMEM;
        }
    if (o->cfg.n_known >= KP_ANNOTATE_MAX_TRANSITS)
        return -E2BIG;
    size_t i = o->cfg.n_known++;
    o->transit_names[i] = strdup(name);
    o->transits[i].asn = asn;
    o->transits[i].name = o->transit_names[i];
    return o->transit_names[i] ? 0 : -ENOMEM;
}

enum {
    OPT_PEERINGDB = 256,
    OPT_CYMRU,
    OPT_DNS_SERVER,
    OPT_CYMRU_CACHE,
    OPT_DNS_TIMEOUT,
    OPT_RDNS,
    OPT_TRANSIT,
    OPT_NO_DEFAULT_TRANSITS,
    OPT_DISABLE,
    OPT_RTT_JUMP,
    OPT_VP,
    OPT_SWEEP,
    OPT_SUMMARY_FORMAT,
    OPT_MIN_PREFIX_LEN,
    OPT_KEEP_SPECIAL,
    OPT_STATS_JSON,
    OPT_THREADS,
    OPT_CHANGES,
    OPT_CHANGE_CONFIRM,
    OPT_GRAPH_HOSTS,
    OPT_GRAPH_PREFIX,
};

/* The short options (getopt_long is given ":" before them: a missing value
 * is ':', told apart from an unknown option). */
#define OPTSTRING "p:r:m:t:f:o:sg:qhV"

static const struct option longopts[] = {
    {"pfx2as", required_argument, NULL, 'p'},
    {"rib", required_argument, NULL, 'r'},
    {"mmdb", required_argument, NULL, 'm'},
    {"peeringdb", required_argument, NULL, OPT_PEERINGDB},
    {"cymru", no_argument, NULL, OPT_CYMRU},
    {"dns-server", required_argument, NULL, OPT_DNS_SERVER},
    {"cymru-cache", required_argument, NULL, OPT_CYMRU_CACHE},
    {"dns-timeout", required_argument, NULL, OPT_DNS_TIMEOUT},
    {"rdns", no_argument, NULL, OPT_RDNS},
    {"min-prefix-len", required_argument, NULL, OPT_MIN_PREFIX_LEN},
    {"keep-special", required_argument, NULL, OPT_KEEP_SPECIAL},
    {"target", required_argument, NULL, 't'},
    {"transit", required_argument, NULL, OPT_TRANSIT},
    {"no-default-transits", no_argument, NULL, OPT_NO_DEFAULT_TRANSITS},
    {"disable", required_argument, NULL, OPT_DISABLE},
    {"rtt-jump", required_argument, NULL, OPT_RTT_JUMP},
    {"input-format", required_argument, NULL, 'f'},
    {"vp", required_argument, NULL, OPT_VP},
    {"sweep", required_argument, NULL, OPT_SWEEP},
    {"output", required_argument, NULL, 'o'},
    {"summary", no_argument, NULL, 's'},
    {"summary-format", required_argument, NULL, OPT_SUMMARY_FORMAT},
    {"graph", required_argument, NULL, 'g'},
    {"graph-hosts", no_argument, NULL, OPT_GRAPH_HOSTS},
    {"graph-prefix", required_argument, NULL, OPT_GRAPH_PREFIX},
    {"changes", required_argument, NULL, OPT_CHANGES},
    {"change-confirm", required_argument, NULL, OPT_CHANGE_CONFIRM},
    {"stats-json", required_argument, NULL, OPT_STATS_JSON},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

/* -p, -r, -m, --peeringdb FILE and --cymru: one more source, in order */
static int opt_source(struct kp_annotate_options *o, int c, const char *arg)
{
    if (o->n_sources == KP_ANNOTATE_MAX_SOURCES)
        return usage_error(o, "%s", "too many sources");
    if (c == OPT_CYMRU) {
        if (!o->cymru) {
            o->sources[o->n_sources].kind = KP_SOURCE_CYMRU;
            o->sources[o->n_sources++].path = NULL;
        }
        o->cymru = true;
        return 0;
    }
    o->sources[o->n_sources].kind = c == 'p'   ? KP_SOURCE_PFX2AS
                                    : c == 'r' ? KP_SOURCE_RIB
                                    : c == 'm' ? KP_SOURCE_MMDB
                                               : KP_SOURCE_PEERINGDB;
    o->sources[o->n_sources++].path = arg;
    if (c == 'r')
        o->have_rib = true;
    return 0;
}

/* -t ASN[,ASN..] */
static int opt_target(struct kp_annotate_options *o, size_t *n_targets, const char *arg)
{
    char *s = strdup(arg), *save = NULL;
    if (s == NULL)
        return -ENOMEM;
    for (char *tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        uint32_t asn;
        if (parse_asn(tok, &asn) != 0 || *n_targets == KP_ANNOTATE_MAX_TARGETS) {
            int r = usage_error(o, "--target: '%s' is not an AS number", tok);
            free(s);
            return r;
        }
        o->targets[(*n_targets)++] = asn;
    }
    free(s);
    return 0;
}

/* --transit ASN=NAME */
static int opt_transit(struct kp_annotate_options *o, const char *arg)
{
    const char *eq = strchr(arg, '=');
    char num[16];
    uint32_t asn;
    if (eq == NULL || eq - arg >= (ptrdiff_t)sizeof(num) || eq[1] == '\0')
        return usage_error(o, "--transit: '%s' is not ASN=NAME", arg);
    snprintf(num, sizeof(num), "%.*s", (int)(eq - arg), arg);
    if (parse_asn(num, &asn) != 0)
        return usage_error(o, "--transit: '%s' is not ASN=NAME", arg);
    if (add_transit(o, asn, eq + 1) != 0)
        return usage_error(o, "--transit: cannot add '%s'", arg);
    return 0;
}

/* --disable NAME[,..] */
static int opt_disable(struct kp_annotate_options *o, const char *arg)
{
    char *s = strdup(arg), *save = NULL;
    if (s == NULL)
        return -ENOMEM;
    for (char *tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        unsigned bit = kp_heuristic_from_name(tok);
        int r = 0;
        if (bit == KP_H_FILTERED_INSIDE) /* a fact reported in the evidence, not a rule */
            r = usage_error(o, "--disable: '%s' is evidence, not a heuristic", tok);
        else if (bit == 0)
            r = usage_error(o, "--disable: no heuristic named '%s'", tok);
        if (r != 0) {
            free(s);
            return r;
        }
        o->cfg.disabled |= bit;
    }
    free(s);
    return 0;
}

/* Options that take a number: --dns-timeout, --rtt-jump, --threads,
 * --change-confirm. */
static int opt_number(struct kp_annotate_options *o, int c, const char *arg)
{
    char *end;
    if (c == OPT_RTT_JUMP) {
        double v = strtod(arg, &end);
        /* not "nan", "inf" or "1e999": a jump of 0..60 s */
        if (*end || end == arg || !(v >= 0 && v <= 60000))
            return usage_error(o, "--rtt-jump: '%s' is not 0..60000 ms", arg);
        o->cfg.rtt_jump_ms = v;
        return 0;
    }
    long v = strtol(arg, &end, 10);
    if (c == OPT_CHANGE_CONFIRM) {
        if (*end || end == arg || v < 1 || v > KP_CHG_MAX_CONFIRM)
            return usage_error(o, "--change-confirm: '%s' is not 1..%d traces", arg,
                               KP_CHG_MAX_CONFIRM);
        o->change_confirm = (unsigned)v;
        return 0;
    }
    if (c == OPT_DNS_TIMEOUT) {
        if (*end || v <= 0 || v > 60000)
            return usage_error(o, "--dns-timeout: '%s' is not 1..60000 ms", arg);
        o->dns_timeout = (int)v;
        return 0;
    }
    if (*end || end == arg || v < 0 || v > 64)
        return usage_error(o, "--threads: '%s' is not 0..64", arg);
    o->threads = v;
    return 0;
}

/* Options that take a word: -f, --sweep, --summary-format. */
static int opt_word(struct kp_annotate_options *o, int c, const char *arg)
{
    if (c == 'f') {
        if (strcmp(arg, "auto") == 0) {
            o->force_kind = KP_INPUT_UNKNOWN;
            return 0;
        }
        o->force_kind = kp_input_kind_from_name(arg);
        if (o->force_kind == KP_INPUT_UNKNOWN)
            return usage_error(o, "--input-format: unknown kind '%s'", arg);
        return 0;
    }
    if (c == OPT_SWEEP) {
        static const char *const names[] = {"input", "hour", "day", "none"};
        static const enum kp_annotate_sweep modes[] = {KP_SWEEP_INPUT, KP_SWEEP_HOUR, KP_SWEEP_DAY,
                                                       KP_SWEEP_NONE};
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
            if (strcmp(arg, names[i]) == 0) {
                o->sweep = modes[i];
                return 0;
            }
        return usage_error(o, "--sweep: '%s' is not input, hour, day or none", arg);
    }
    if (strcmp(arg, "json") == 0)
        o->summary_json = true;
    else if (strcmp(arg, "text") == 0)
        o->summary_json = false;
    else
        return usage_error(o, "--summary-format: '%s' is not text or json", arg);
    o->summary = true;
    return 0;
}

/* One option from getopt_long. Returns 0, 2 (usage error) or -ENOMEM. */
static int opt_one(struct kp_annotate_options *o, size_t *n_targets, int c, const char *arg)
{
    switch (c) {
    case 'p':
    case 'r':
    case 'm':
    case OPT_PEERINGDB:
    case OPT_CYMRU:
        return opt_source(o, c, arg);
    case OPT_DNS_SERVER:
        o->dns_server = arg;
        return 0;
    case OPT_CYMRU_CACHE:
        o->copts.cache_path = arg;
        return 0;
    case OPT_DNS_TIMEOUT:
    case OPT_RTT_JUMP:
    case OPT_THREADS:
    case OPT_CHANGE_CONFIRM:
        return opt_number(o, c, arg);
    case OPT_RDNS:
        o->rdns = true;
        return 0;
    case OPT_MIN_PREFIX_LEN:
        if (kp_route_filter_parse_min_len(arg, &o->filter) != 0)
            return usage_error(o, "--min-prefix-len: '%s' is not V4[,V6] (0..32, 0..128)", arg);
        return 0;
    case OPT_KEEP_SPECIAL: {
        char bad[80];
        if (kp_route_filter_parse_keep(arg, &o->filter.keep, bad, sizeof(bad)) != 0)
            return usage_error(o, "--keep-special: no range or AS number class named '%s'", bad);
        return 0;
    }
    case 't':
        return opt_target(o, n_targets, arg);
    case OPT_TRANSIT:
        return opt_transit(o, arg);
    case OPT_NO_DEFAULT_TRANSITS:
        for (size_t i = 0; i < o->cfg.n_known; i++) {
            free(o->transit_names[i]);
            o->transit_names[i] = NULL;
        }
        o->cfg.n_known = 0;
        return 0;
    case OPT_DISABLE:
        return opt_disable(o, arg);
    case 'f':
    case OPT_SWEEP:
    case OPT_SUMMARY_FORMAT:
        return opt_word(o, c, arg);
    case OPT_VP:
        o->vp = arg;
        return 0;
    case 'o':
        o->output = arg;
        return 0;
    case 's':
        o->summary = true;
        return 0;
    case 'g':
        o->graph = arg;
        return 0;
    case OPT_GRAPH_HOSTS:
        o->graph_opts.hosts = 1;
        return 0;
    case OPT_GRAPH_PREFIX:
        if (kp_prefix_parse(arg, false, &o->graph_prefix) != 0)
            return usage_error(o,
                               "--graph-prefix: '%s' is not a prefix (198.19.176.0/24, "
                               "2001:db8:1::/48; no host bits set)",
                               arg);
        o->graph_opts.only = &o->graph_prefix;
        return 0;
    case OPT_CHANGES:
        o->changes = arg;
        return 0;
    case OPT_STATS_JSON:
        o->stats_json = arg;
        return 0;
    case 'q':
        o->quiet = true;
        return 0;
    default: /* an entry of longopts without a case here: a bug */
        return usage_error(o, "option %d is not handled", c);
    }
}

/* The option argv[optind - 1] names, as typed: a long one up to its '='. */
static const char *long_name(char **argv, size_t *len)
{
    const char *a = argv[optind - 1];
    *len = strcspn(a, "=");
    return a;
}

/* What getopt_long refused (c is ':' or '?'; opterr is 0, so it said
 * nothing): the message in o->error, in kptrace's words. A short option is
 * named by optopt, since a bundle ("-qx") may not have moved optind; a long
 * one by its argv element (getopt_long always steps over it). */
static int getopt_bad(struct kp_annotate_options *o, int c, int argc, char **argv)
{
    size_t n;
    const char *a;
    if (optind < 1 || optind > argc)
        return usage_error(o, "%s", "bad option (see kpannotate --help)");
    a = long_name(argv, &n);
    bool is_long = strncmp(a, "--", 2) == 0 &&
                   (optopt == 0 || optopt >= 256 || strchr(OPTSTRING, optopt) != NULL);
    if (c == ':') {
        if (is_long)
            return usage_error(o, "%.*s needs a value", (int)n, a);
        return usage_error(o, "-%c needs a value", optopt);
    }
    if (!is_long)
        return usage_error(o, "unknown option '-%c' (see kpannotate --help)", optopt);
    if (optopt != 0) /* a long option that takes no value, given one */
        return usage_error(o, "%.*s takes no value (see kpannotate --help)", (int)n, a);
    /* unknown, or the start of several */
    char list[256] = "";
    size_t k = 0, matches = 0;
    for (const struct option *p = longopts; p->name != NULL; p++)
        if (strncmp(p->name, a + 2, n - 2) == 0 && k < sizeof(list)) {
            matches++;
            k += (size_t)snprintf(list + k, sizeof(list) - k, "%s--%s", k ? ", " : "", p->name);
        }
    if (matches > 1 && n > 2)
        return usage_error(o, "option '%.*s' is ambiguous: %s (see kpannotate --help)", (int)n, a,
                           list);
    return usage_error(o, "unknown option '%.*s' (see kpannotate --help)", (int)n, a);
}

static void options_init(struct kp_annotate_options *o)
{
    memset(o, 0, sizeof(*o));
    o->threads = -1;
    kp_verdict_config_default(&o->cfg);
    /* our own copies, so that --transit and --target can change them */
    for (size_t i = 0; i < o->cfg.n_known; i++) {
        o->transits[i].asn = o->cfg.known[i].asn;
        o->transit_names[i] = strdup(o->cfg.known[i].name);
        o->transits[i].name = o->transit_names[i];
    }
    o->cfg.known = o->transits;
    kp_route_filter_default(&o->filter);
}

int kp_annotate_options_parse(struct kp_annotate_options *o, int argc, char **argv)
{
    static const char *stdin_only[] = {"-"};
    options_init(o);
    size_t n_targets = 0;
    int c;
    optind = 0; /* glibc: start afresh (a second parse in the same process) */
    opterr = 0; /* our own messages (getopt_bad) */
    while ((c = getopt_long(argc, argv, ":" OPTSTRING, longopts, NULL)) != -1) {
        if (c == ':' || c == '?')
            return getopt_bad(o, c, argc, argv);
        if (c == 'h' || c == 'V') {
            o->action = c == 'h' ? KP_ANNOTATE_HELP : KP_ANNOTATE_VERSION;
            return 0;
        }
        int rc = opt_one(o, &n_targets, c, optarg);
        if (rc != 0)
            return rc;
    }
    if (o->change_confirm != 0 && o->changes == NULL)
        return usage_error(o, "%s", "--change-confirm needs --changes FILE");
    if ((o->graph_opts.hosts || o->graph_opts.only != NULL) && o->graph == NULL)
        return usage_error(o, "%s needs --graph FILE.dot",
                           o->graph_opts.hosts ? "--graph-hosts" : "--graph-prefix");
    if (o->changes != NULL && strcmp(o->changes, "-") == 0 &&
        (o->summary || o->output == NULL || strcmp(o->output, "-") == 0))
        return usage_error(o, "%s",
                           "--changes -: standard output already carries the annotated lines or "
                           "the summary (give -o FILE without -s, or --changes FILE)");
    if (n_targets > 0) {
        o->cfg.targets = o->targets;
        o->cfg.n_targets = n_targets;
    }
    if (optind < argc) {
        o->files = (const char **)(argv + optind);
        o->n_files = (size_t)(argc - optind);
    } else {
        o->files = stdin_only;
        o->n_files = 1;
    }
    return 0;
}

void kp_annotate_options_free(struct kp_annotate_options *o)
{
    for (size_t i = 0; i < o->cfg.n_known; i++)
        free(o->transit_names[i]);
    o->cfg.n_known = 0;
    free(o->error);
    o->error = NULL;
}
