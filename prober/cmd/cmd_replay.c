/* SPDX-License-Identifier: BSD-2-Clause */
/* cmd_replay.c — `kptrace replay [--format text|json|atlas] [--vp ID] FILE...`
 *
 * Rebuilds traceroutes from captures through io/replay.c (the live receive
 * path, kp_rx) and prints them in the same forms as `kptrace trace`: JSON lines
 * (traces.jsonl records), a traceroute-like table, or RIPE Atlas results. The
 * counts go to stderr. Needs no privileges; refuses only input it cannot read. */
#include "prober/cmd/cmd_replay.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/codec/identity.h"
#include "core/output/output.h"
#include "io/pcap_file.h"
#include "io/replay.h"
#include "core/record/trace_json.h"

enum fmt { FMT_JSON, FMT_TEXT, FMT_ATLAS };

struct out_ctx {
    enum fmt fmt;
    int failed; /* output could not be formatted (ENOMEM / unrepresentable) */
};

static const char usage[] =
    "usage: kptrace replay [options] FILE...\n"
    "  Rebuild traceroutes from pcap/pcapng captures (kptrace's own, or tcpdump's\n"
    "  while traceroute, mtr, tcptraceroute or scamper ran). '-' reads stdin.\n"
    "  Several files are read in order as one capture.\n"
    "  --format F        json (default: one traces.jsonl record per line), text, atlas\n"
    "  --vp ID           vantage point id written into every record\n"
    "  --sweep-json FILE parameters of the kptrace run that made the capture\n"
    "                    (default: the sweep.json beside the first FILE, if any)\n"
    "  --first-ttl N, --max-ttl N, --attempts N, --gap-limit N, --wait MS, --late MS\n"
    "                    the same parameters by hand (default: kptrace's sweep defaults,\n"
    "                    late = wait / 2)\n"
    "  --seed N          the run's seed: replies to kptrace probes are checked with\n"
    "                    its identity key, as live (default: sweep.json's seed)\n"
    "  Counts (frames, probes, replies, unmatched, malformed, duplicates) go to stderr,\n"
    "  with whether they reconcile (every frame counted once, every probe in a trace).\n"
    "  Exit status 1: a file cannot be read, or is cut or corrupt (the traces decided\n"
    "  before the damage are written, the offset is named), or the counts do not\n"
    "  reconcile; 2: a usage error.\n";

/* "--name VALUE" or "--name=VALUE" at argv[*i]: the value, or NULL when a is
 * not this option. *missing is set when the value is absent. */
static const char *opt_value(int argc, char **argv, int *i, const char *name, int *missing)
{
    size_t n = strlen(name);
    const char *a = argv[*i];
    if (strncmp(a, name, n) != 0)
        return NULL;
    if (a[n] == '=')
        return a + n + 1;
    if (a[n] != '\0')
        return NULL;
    if (*i + 1 >= argc) {
        *missing = 1;
        return "";
    }
    return argv[++*i];
}

static int parse_num(const char *opt, const char *v, unsigned long lo, unsigned long hi,
                     unsigned long *out)
{
    char *end;
    errno = 0;
    unsigned long x = strtoul(v, &end, 10);
    if (v[0] == '\0' || v[0] == '-' || *end != '\0' || errno != 0 || x < lo || x > hi) {
        fprintf(stderr, "kptrace replay: %s: '%s' is not in %lu..%lu\n", opt, v, lo, hi);
        return -1;
    }
    *out = x;
    return 0;
}

static void print_trace(void *ctx, struct kp_trace *t)
{
    struct out_ctx *o = ctx;
    char *s = NULL;
    size_t len = 0;
    int rc;
    if (ferror(stdout))
        return; /* output is failing: reported at the end */
    switch (o->fmt) {
    case FMT_TEXT:
        rc = kp_output_text(t, KP_TEXT_HEADER, &s);
        break;
    case FMT_ATLAS:
        rc = kp_output_atlas(t, &s);
        break;
    default:
        rc = kp_trace_json_dump(t, &s, &len);
        break;
    }
    if (rc != 0 || s == NULL) {
        o->failed++;
        free(s);
        return;
    }
    if (len == 0)
        len = strlen(s);
    fwrite(s, 1, len, stdout);
    if (o->fmt != FMT_TEXT || (len > 0 && s[len - 1] != '\n'))
        fputc('\n', stdout);
    free(s);
}

static void print_counts(const struct kp_replay_stats *st)
{
    const struct kp_rx_stats *r = &st->rx;
    fprintf(stderr,
            "replay: %" PRIu64 " files, %" PRIu64 " frames (%" PRIu64 " cut by snaplen), %" PRIu64
            " probes, %" PRIu64 " replies (%" PRIu64 " late), %" PRIu64 " unmatched, %" PRIu64
            " rejected, %" PRIu64 " ambiguous, %" PRIu64 " tcp-order-ties, %" PRIu64
            " malformed, %" PRIu64 " duplicates, %" PRIu64 " unrelated, %" PRIu64
            " out-of-order timestamps, %" PRIu64 " traces\n",
            st->files, st->frames, st->frames_snapped, r->probes, r->replies, r->replies_late,
            r->unmatched, r->rejected, r->ambiguous, r->tcp_order_ties, r->truncated + r->malformed,
            r->probes_dup + r->dup_frames, r->unsupported + r->other, r->ts_backwards, st->traces);
}

/* The reconciliation of the counts (issue: nothing lost silently): every
 * frame in exactly one of these, every probe in one written trace. */
static void print_reconciled(const struct kp_replay_stats *st)
{
    const struct kp_rx_stats *r = &st->rx;
    fprintf(stderr,
            "replay: counts reconcile: %" PRIu64 " frames = %" PRIu64 " probes + %" PRIu64
            " another run's probes + %" PRIu64 " replies + %" PRIu64 " lost (no memory) + %" PRIu64
            " duplicates + %" PRIu64 " expired + %" PRIu64 " unmatched + %" PRIu64
            " rejected + %" PRIu64 " ambiguous + %" PRIu64 " unrelated + %" PRIu64
            " undecodable; the %" PRIu64 " probes and %" PRIu64 " replies are in the %" PRIu64
            " traces written\n",
            r->frames, r->probes, r->probes_foreign, r->replies, r->replies_lost,
            r->probes_dup + r->dup_frames, r->expired, r->unmatched, r->rejected, r->ambiguous,
            r->unsupported + r->other, r->truncated + r->malformed + r->fragments, st->trace_probes,
            st->trace_hops, st->traces);
}

/* What the command line asked for. */
struct replay_args {
    const char **files;
    size_t nfiles;
    int only_files;
    const char *sweep_json, *seed_opt;
    unsigned long long seed_val;
    struct kp_rx_run by_hand; /* 0: not given */
    int gap_set;
    int help;
};

/* A run parameter given by hand (--first-ttl ... --late) at argv[*i]: 1 when
 * it was one (*bad set when its value is wrong), 0 when not. */
static int run_option(int argc, char **argv, int *i, struct replay_args *ra, int *missing, int *bad)
{
    const char *val;
    unsigned long x;
    struct kp_rx_run *h = &ra->by_hand;
    if ((val = opt_value(argc, argv, i, "--first-ttl", missing)) != NULL) {
        *bad = parse_num("--first-ttl", val, 1, 255, &x) != 0;
        h->first_ttl = (uint8_t)x;
    } else if ((val = opt_value(argc, argv, i, "--max-ttl", missing)) != NULL) {
        *bad = parse_num("--max-ttl", val, 1, 255, &x) != 0;
        h->max_ttl = (uint8_t)x;
    } else if ((val = opt_value(argc, argv, i, "--attempts", missing)) != NULL) {
        *bad = parse_num("--attempts", val, 1, 255, &x) != 0;
        h->attempts = (uint8_t)x;
    } else if ((val = opt_value(argc, argv, i, "--gap-limit", missing)) != NULL) {
        *bad = parse_num("--gap-limit", val, 0, 255, &x) != 0;
        h->gap_limit = (uint8_t)x; /* 0 = no gap limit */
        ra->gap_set = 1;
    } else if ((val = opt_value(argc, argv, i, "--wait", missing)) != NULL) {
        *bad = parse_num("--wait", val, 1, 3600000, &x) != 0;
        h->wait_ms = (uint32_t)x;
    } else if ((val = opt_value(argc, argv, i, "--late", missing)) != NULL) {
        *bad = parse_num("--late", val, 0, 3600000, &x) != 0;
        h->late_ms = (uint32_t)x;
        h->has_late = true;
    } else {
        return 0;
    }
    return 1;
}

/* argv[*i]: a file, an option (its value taken), or an error (printed).
 * Returns 1 when it is wrong. */
static int replay_arg(int argc, char **argv, int *i, struct replay_args *ra,
                      struct kp_replay_opts *opts, struct out_ctx *oc)
{
    const char *a = argv[*i];
    const char *val;
    int missing = 0, bad = 0;
    if (ra->only_files || a[0] != '-' || a[1] == '\0') {
        ra->files[ra->nfiles++] = a;
    } else if (strcmp(a, "--") == 0) {
        ra->only_files = 1;
    } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
        ra->help = 1;
    } else if ((val = opt_value(argc, argv, i, "--format", &missing)) != NULL) {
        if (strcmp(val, "json") == 0)
            oc->fmt = FMT_JSON;
        else if (strcmp(val, "text") == 0)
            oc->fmt = FMT_TEXT;
        else if (strcmp(val, "atlas") == 0)
            oc->fmt = FMT_ATLAS;
        else {
            fprintf(stderr, "kptrace replay: --format: '%s' is not json, text or atlas\n", val);
            bad = 1;
        }
    } else if ((val = opt_value(argc, argv, i, "--vp", &missing)) != NULL) {
        if (val[0] == '\0' || strlen(val) >= KP_VP_LEN) {
            fprintf(stderr, "kptrace replay: --vp needs an id of 1..%d characters\n",
                    KP_VP_LEN - 1);
            bad = 1;
        }
        opts->vp = val;
    } else if ((val = opt_value(argc, argv, i, "--sweep-json", &missing)) != NULL) {
        ra->sweep_json = val;
    } else if ((val = opt_value(argc, argv, i, "--seed", &missing)) != NULL) {
        char *end;
        errno = 0;
        ra->seed_val = strtoull(val, &end, 10);
        if (val[0] < '0' || val[0] > '9' || *end != '\0' || errno != 0) {
            fprintf(stderr, "kptrace replay: --seed: '%s' is not a decimal number\n", val);
            bad = 1;
        }
        ra->seed_opt = val;
    } else if (!run_option(argc, argv, i, ra, &missing, &bad)) {
        fprintf(stderr, "kptrace replay: unknown option '%s'\n%s", a, usage);
        bad = 1;
    }
    if (missing) {
        fprintf(stderr, "kptrace replay: %s needs a value\n", a);
        bad = 1;
    }
    return bad;
}

/* The run parameters: kptrace's defaults, then sweep.json, then the command
 * line. sw, key and sj (the path of the sweep.json found) are the caller's.
 * 0 or -1 (printed). */
static int replay_params(struct replay_args *ra, struct kp_replay_opts *opts,
                         struct kp_replay_sweep *sw, struct kp_key *key, char *sj, size_t sjlen)
{
    char err[KP_PCAP_ERRLEN];
    memset(sw, 0, sizeof(*sw));
    sw->run = opts->run;
    if (ra->sweep_json == NULL && kp_replay_sweep_json_for(ra->files[0], sj, sjlen) == 0)
        ra->sweep_json = sj;
    if (ra->sweep_json != NULL) {
        if (kp_replay_read_sweep_json(ra->sweep_json, sw, err, sizeof(err)) != 0) {
            fprintf(stderr, "kptrace replay: %s\n", err);
            return -1;
        }
        fprintf(stderr, "kptrace replay: run parameters%s from %s\n",
                sw->has_seed ? " and identity key" : "", ra->sweep_json);
        opts->run = sw->run;
        if (opts->vp == NULL && sw->vp[0])
            opts->vp = sw->vp;
        if (sw->ts_source[0])
            opts->ts_source = sw->ts_source;
    }
    if (ra->seed_opt != NULL) {
        sw->seed = ra->seed_val;
        sw->has_seed = true;
    }
    if (sw->has_seed) {
        kp_key_from_seed(sw->seed, key);
        opts->key = key;
    }
    const struct kp_rx_run *h = &ra->by_hand;
    if (h->first_ttl)
        opts->run.first_ttl = h->first_ttl;
    if (h->max_ttl)
        opts->run.max_ttl = h->max_ttl;
    if (h->attempts)
        opts->run.attempts = h->attempts;
    if (ra->gap_set)
        opts->run.gap_limit = h->gap_limit;
    if (h->wait_ms)
        opts->run.wait_ms = h->wait_ms;
    if (h->has_late) {
        opts->run.has_late = true;
        opts->run.late_ms = h->late_ms;
    } else if (ra->sweep_json == NULL) {
        /* kptrace's default --late (half the wait); a sweep.json of a
         * kptrace before --late has none: 2 x wait + 0.5 s, as it used */
        opts->run.has_late = true;
        opts->run.late_ms = opts->run.wait_ms / 2;
    }
    return 0;
}

/* After the replay (rc its result, err its message): the counts and
 * whether the run is sound. Returns 1 when it is not. */
static int replay_verdict(const struct kp_replay_stats *st, int rc, const char *err, size_t nfiles,
                          const struct out_ctx *oc)
{
    /* everything decided is written before any verdict on the run */
    int out_err = (fflush(stdout) != 0 || ferror(stdout)) ? errno : 0;
    print_counts(st);
    int bad_run = 0;
    char why[512];
    if (rc == 0 && kp_replay_reconcile(st, why, sizeof(why)) != 0) {
        fprintf(stderr, "kptrace replay: counts do not reconcile: %s\n", why);
        bad_run = 1;
    } else if (rc == 0) {
        print_reconciled(st);
    }
    if (st->files_cut > 0 && rc == 0) {
        fprintf(stderr, "kptrace replay: %s; the traces up to there are written", err);
        if (st->files + 1 == nfiles)
            fprintf(stderr, ", the file after it is not read");
        else if (st->files < nfiles)
            fprintf(stderr, ", the %zu files after it are not read", nfiles - (size_t)st->files);
        fputc('\n', stderr);
        bad_run = 1;
    }
    if (oc->failed) {
        fprintf(stderr, "kptrace replay: %d traces could not be written\n", oc->failed);
        bad_run = 1;
    }
    if (out_err != 0 || ferror(stdout)) {
        fprintf(stderr, "kptrace replay: writing the output: %s\n",
                strerror(out_err ? out_err : EIO));
        bad_run = 1;
    }
    return bad_run;
}

int kp_cmd_replay(int argc, char **argv)
{
    struct out_ctx oc = {.fmt = FMT_JSON};
    struct kp_replay_opts opts;
    kp_replay_opts_init(&opts);
    struct replay_args ra;
    memset(&ra, 0, sizeof(ra));
    ra.files = calloc((size_t)(argc > 0 ? argc : 1), sizeof(*ra.files));
    if (ra.files == NULL) {
        fprintf(stderr, "kptrace replay: out of memory\n");
        return 1;
    }
    int bad = 0;
    for (int i = 1; i < argc && !bad && !ra.help; i++)
        bad = replay_arg(argc, argv, &i, &ra, &opts, &oc);
    if (ra.help) {
        fputs(usage, stdout);
        free(ra.files);
        return 0;
    }
    if (bad) {
        free(ra.files);
        return 2;
    }
    if (ra.nfiles == 0) {
        fprintf(stderr, "kptrace replay: no capture file given\n%s", usage);
        free(ra.files);
        return 2;
    }
    char err[KP_PCAP_ERRLEN];
    char sj[4096];
    struct kp_replay_sweep sw;
    struct kp_key key;
    if (replay_params(&ra, &opts, &sw, &key, sj, sizeof(sj)) != 0) {
        free(ra.files);
        return 1;
    }
    struct kp_replay_stats st;
    int rc = kp_replay_files(ra.files, ra.nfiles, &opts, print_trace, &oc, &st, err, sizeof(err));
    int bad_run = replay_verdict(&st, rc, err, ra.nfiles, &oc);
    free(ra.files);
    if (rc != 0) {
        fprintf(stderr, "kptrace replay: %s\n", err[0] ? err : strerror(-rc));
        return 1;
    }
    return bad_run;
}
