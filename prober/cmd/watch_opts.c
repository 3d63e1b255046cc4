/* SPDX-License-Identifier: BSD-2-Clause */
/* watch_opts.c — the command line of `kptrace watch`: its own options (the
 * IP-to-AS sources, --on-change, the detector's parameters) are taken out
 * here; the rest are the options `kptrace sweep` takes (options.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/asmap/asn_num.h"
#include "prober/cmd/cmd_common.h"
#include "prober/cmd/watch.h"

static const char usage[] =
    "usage: kptrace watch --vp ID --targets CIDR[,CIDR...] --methods M[,M...] --pps N\n"
    "                     (--pfx2as FILE | --rib FILE | --mmdb FILE)... --out DIR\n"
    "                     [--on-change CMD] [options]\n"
    "\n"
    "Monitor the data plane into prefixes continuously, until SIGINT/SIGTERM: every\n"
    "(/24, method) is traced again in rounds within the --pps budget, each trace is\n"
    "annotated at once (the same code as kpannotate) and the set of transits into\n"
    "the target AS and the status (reached, filtered, incomplete, dark) of each\n"
    "(/24, method) is tracked. A change is confirmed by probing the /24 again at\n"
    "once with more flows, then written to DIR/events.jsonl (one line, fsync'd);\n"
    "its onset lies in (last_before, first_after]. Needs root or CAP_NET_RAW to\n"
    "start; then runs as --user. See docs/watch.md.\n"
    "\n"
    "Watch options:\n"
    "  --targets CIDR[,...]  the prefixes to watch (required), cut into /24s\n"
    "  --pfx2as FILE         IP-to-AS: a CAIDA prefix2as file (plain or gzip)\n"
    "  --rib FILE            IP-to-AS: a `bgpdump -m` RIB dump\n"
    "  --mmdb FILE           IP-to-AS: a MaxMind-format ASN database\n"
    "                        (at least one source; asked in the order given)\n"
    "  --keep-special LIST   use these special-purpose ranges and AS numbers of the\n"
    "                        tables (as kpannotate --keep-special; test networks)\n"
    "  --target-as ASN[,...] the target AS set (default 131279)\n"
    "  --on-change CMD       run CMD (/bin/sh -c) with each event line on stdin;\n"
    "                        killed after --on-change-timeout; never delays probing\n"
    "  --on-change-timeout S seconds (default 10)\n"
    "  --confirm N           traces in the warm-up and in a confirmation window\n"
    "                        (default 8)\n"
    "  --out DIR             events.jsonl, state, status, and hourly directories\n"
    "                        YYYYmmddTHHZ/{traces.jsonl,capture.pcap,sweep.json};\n"
    "                        a restart on the same DIR continues from its state\n"
    "\n"
    "Probing options (as kptrace sweep): --vp ID, --methods M[,M...] (icmp-paris,\n"
    "udp-paris, tcp-syn, ...), --pps N (default 100), --first-ttl, --max-ttl,\n"
    "--attempts, --wait MS, --late MS, --gap-limit, --dport, --size, --iface,\n"
    "--src, --user, --seed, --capture-buffer, --fault-wait, --blocklist-file,\n"
    "--allowlist-file, --realtime, --send-via, --no-progress, -q. Doubletree is\n"
    "off: every trace is whole.\n"
    "\n"
    "Budget: a round traces each (/24, method) with a few Paris flows: one at the\n"
    "start, one more each round while a round sends less than 55 % of --pps x its\n"
    "length (a round lasts as long as its slowest trace), one less above 80 %, at\n"
    "most --confirm; a key in warm-up or confirmation gets as many flows as its\n"
    "detector still wants, at once. A change shows within one round and is\n"
    "confirmed in the next.\n"
    "\n"
    "Files: DIR/events.jsonl (one JSON line per change), DIR/state (the checkpoint,\n"
    "rewritten after every round), DIR/status (per-key state, after every round\n"
    "and on SIGUSR1, which also prints it on stderr).\n";

const char *watch_usage(void)
{
    return usage;
}

static int parse_target_as(struct watch *w, const char *v)
{
    char *s = strdup(v), *save = NULL;
    if (s == NULL)
        return -ENOMEM;
    w->n_target_as = 0;
    for (char *tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        uint32_t asn;
        if (kp_asn_parse(tok, strlen(tok), KP_ASN_PREFIX_OK | KP_ASN_ASDOT_OK, &asn) != 0 ||
            asn == 0 || w->n_target_as == WATCH_MAX_TARGET_AS) {
            snprintf(w->err, sizeof(w->err), "--target-as: '%s' is not an AS number", tok);
            free(s);
            return -EINVAL;
        }
        w->target_as[w->n_target_as++] = asn;
    }
    free(s);
    return w->n_target_as ? 0 : -EINVAL;
}

static int parse_uint(struct watch *w, const char *flag, const char *v, unsigned lo, unsigned hi,
                      unsigned *out)
{
    char *end;
    unsigned long x = strtoul(v, &end, 10);
    if (*v == '\0' || *end != '\0' || x < lo || x > hi) {
        snprintf(w->err, sizeof(w->err), "%s: \"%s\" is not in %u..%u", flag, v, lo, hi);
        return -EINVAL;
    }
    *out = (unsigned)x;
    return 0;
}

/* One watch option at argv[i] (its value at argv[i + 1]): 1 taken (two
 * words), 0 not a watch option, -1 bad. */
static int watch_opt(struct watch *w, int argc, char **argv, int i)
{
    static const char *const src_flags[] = {"--pfx2as", "--rib", "--mmdb"};
    const char *a = argv[i];
    int k;
    for (k = 0; k < 3 && strcmp(a, src_flags[k]) != 0; k++)
        ;
    bool known = k < 3 || strcmp(a, "--on-change") == 0 || strcmp(a, "--keep-special") == 0 ||
                 strcmp(a, "--target-as") == 0 || strcmp(a, "--on-change-timeout") == 0 ||
                 strcmp(a, "--confirm") == 0;
    if (!known)
        return 0;
    if (i + 1 >= argc) {
        snprintf(w->err, sizeof(w->err), "%s needs a value", a);
        return -1;
    }
    const char *v = argv[i + 1];
    unsigned u;
    if (k < 3) {
        if (w->n_sources == WATCH_MAX_SOURCES) {
            snprintf(w->err, sizeof(w->err), "%s: at most %d sources", a, WATCH_MAX_SOURCES);
            return -1;
        }
        w->sources[w->n_sources++] = (struct watch_source){(enum watch_source_kind)k, v};
    } else if (strcmp(a, "--on-change") == 0) {
        w->on_change = v;
    } else if (strcmp(a, "--keep-special") == 0) {
        char bad[64];
        if (kp_route_filter_parse_keep(v, &w->filter.keep, bad, sizeof(bad)) != 0) {
            snprintf(w->err, sizeof(w->err),
                     "--keep-special: no range or AS number class named '%s'", bad);
            return -1;
        }
    } else if (strcmp(a, "--target-as") == 0) {
        if (parse_target_as(w, v) != 0) {
            if (w->err[0] == '\0')
                snprintf(w->err, sizeof(w->err), "--target-as: '%s' is not a list of ASes", v);
            return -1;
        }
    } else if (strcmp(a, "--on-change-timeout") == 0) {
        if (parse_uint(w, a, v, 1, 3600, &w->on_change_timeout_s) != 0)
            return -1;
    } else {
        if (parse_uint(w, a, v, 1, KP_CHG_MAX_CONFIRM, &u) != 0)
            return -1;
        w->cp.confirm = u;
        if (w->cp.min_seen > u)
            w->cp.min_seen = u;
    }
    return 1;
}

static int usage_error(struct watch *w, char **rest)
{
    fprintf(stderr, "kptrace watch: %s\n(kptrace watch --help shows every option)\n", w->err);
    free(rest);
    return KP_EXIT_USAGE;
}

/* The options watch needs that sweep does not check, or forbids. */
static int check_watch(struct watch *w, int argc, char **argv)
{
    bool has_targets = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--dry-run") == 0 || strcmp(argv[i], "--resume") == 0 ||
            strcmp(argv[i], "--doubletree") == 0 || strcmp(argv[i], "--format") == 0) {
            snprintf(w->err, sizeof(w->err), "%s: not an option of watch", argv[i]);
            return -1;
        }
        if (strcmp(argv[i], "--targets") == 0 || strcmp(argv[i], "--targets-file") == 0)
            has_targets = true;
    }
    if (!has_targets)
        snprintf(w->err, sizeof(w->err), "--targets CIDR[,CIDR...] is required");
    else if (w->n_sources == 0)
        snprintf(w->err, sizeof(w->err),
                 "an IP-to-AS source is required (--pfx2as, --rib or --mmdb)");
    return w->err[0] ? -1 : 0;
}

int watch_options(struct watch *w, int argc, char **argv)
{
    kp_chg_params_default(&w->cp);
    kp_route_filter_default(&w->filter);
    w->on_change_timeout_s = 10;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(usage, stdout);
            return KP_EXIT_OK;
        }
    char **rest = calloc((size_t)argc + 1, sizeof(*rest));
    if (rest == NULL)
        return KP_EXIT_ERROR;
    int n = 0;
    rest[n++] = argv[0];
    for (int i = 1; i < argc; i++) {
        int r = watch_opt(w, argc, argv, i);
        if (r < 0)
            return usage_error(w, rest);
        if (r == 1)
            i++;
        else
            rest[n++] = argv[i];
    }
    if (check_watch(w, n, rest) != 0)
        return usage_error(w, rest);
    int rc = kp_cmd_options(&w->o, KP_CMD_SWEEP, "watch", n, rest);
    free(rest); /* the options point into argv, not into rest */
    if (rc >= 0)
        return rc;
    w->o.doubletree = false; /* whole traces: a stop set would hide a moved path */
    return -1;
}
