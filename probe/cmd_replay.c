/* cmd_replay.c — `kptrace replay [--format text|json|atlas] [--vp ID] FILE...`
 *
 * Rebuilds traceroutes from captures through probe/replay.c (the live receive
 * path, kp_rx) and prints them in the same forms as `kptrace trace`: JSON lines
 * (traces.jsonl records), a traceroute-like table, or RIPE Atlas results. The
 * counts go to stderr. Needs no privileges; refuses only input it cannot read.
 * Owner: replay. */
#include "probe/cmd_replay.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe/output.h"
#include "probe/pcap_file.h"
#include "probe/replay.h"
#include "probe/trace_json.h"

enum fmt { FMT_JSON, FMT_TEXT, FMT_ATLAS };

struct out_ctx {
    enum fmt fmt;
    int failed; /* output could not be formatted (ENOMEM / unrepresentable) */
};

static const char usage[] =
    "usage: kptrace replay [--format json|text|atlas] [--vp ID] FILE...\n"
    "  Rebuild traceroutes from pcap/pcapng captures (kptrace's own, or tcpdump's\n"
    "  while traceroute, mtr, tcptraceroute or scamper ran). '-' reads stdin.\n"
    "  --format  json (default: one traces.jsonl record per line), text, atlas\n"
    "  --vp ID   vantage point id written into every record\n"
    "  Counts (frames, probes, replies, unmatched, malformed, duplicates) go to stderr.\n";

static void print_trace(void *ctx, struct kp_trace *t)
{
    struct out_ctx *o = ctx;
    char *s = NULL;
    int rc;
    switch (o->fmt) {
    case FMT_TEXT:
        rc = kp_output_text(t, 1, &s);
        break;
    case FMT_ATLAS:
        rc = kp_output_atlas(t, &s);
        break;
    default:
        rc = kp_trace_json_dump(t, &s, NULL);
        break;
    }
    if (rc != 0 || s == NULL) {
        o->failed++;
        free(s);
        return;
    }
    fputs(s, stdout);
    if (o->fmt != FMT_TEXT || (s[0] && s[strlen(s) - 1] != '\n'))
        fputc('\n', stdout);
    free(s);
}

static void print_counts(const struct kp_replay_stats *st)
{
    const struct kp_rx_stats *r = &st->rx;
    fprintf(stderr,
            "replay: %" PRIu64 " files, %" PRIu64 " frames (%" PRIu64 " cut by snaplen), %" PRIu64
            " probes, %" PRIu64 " replies (%" PRIu64 " late), %" PRIu64 " unmatched, %" PRIu64
            " rejected, %" PRIu64 " ambiguous, %" PRIu64 " malformed, %" PRIu64
            " duplicates, %" PRIu64 " unrelated, %" PRIu64 " out-of-order timestamps, %" PRIu64
            " traces\n",
            st->files, st->frames, st->frames_snapped, r->probes, r->replies, r->replies_late,
            r->unmatched, r->rejected, r->ambiguous, r->truncated + r->malformed,
            r->probes_dup + r->dup_frames, r->unsupported + r->other, r->ts_backwards, st->traces);
}

int kp_cmd_replay(int argc, char **argv)
{
    struct out_ctx oc = {.fmt = FMT_JSON};
    struct kp_replay_opts opts;
    kp_replay_opts_init(&opts);
    const char **files = calloc((size_t)(argc > 0 ? argc : 1), sizeof(*files));
    if (files == NULL) {
        fprintf(stderr, "kptrace replay: out of memory\n");
        return 1;
    }
    size_t nfiles = 0;
    int only_files = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = NULL;
        if (!only_files && strcmp(a, "--") == 0) {
            only_files = 1;
        } else if (!only_files && (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)) {
            fputs(usage, stdout);
            free(files);
            return 0;
        } else if (!only_files && (strcmp(a, "--format") == 0 || strncmp(a, "--format=", 9) == 0)) {
            val = a[8] == '=' ? a + 9 : (i + 1 < argc ? argv[++i] : NULL);
            if (val && strcmp(val, "json") == 0)
                oc.fmt = FMT_JSON;
            else if (val && strcmp(val, "text") == 0)
                oc.fmt = FMT_TEXT;
            else if (val && strcmp(val, "atlas") == 0)
                oc.fmt = FMT_ATLAS;
            else {
                fprintf(stderr, "kptrace replay: --format: '%s' is not json, text or atlas\n",
                        val ? val : "");
                free(files);
                return 2;
            }
        } else if (!only_files && (strcmp(a, "--vp") == 0 || strncmp(a, "--vp=", 5) == 0)) {
            val = a[4] == '=' ? a + 5 : (i + 1 < argc ? argv[++i] : NULL);
            if (val == NULL || strlen(val) >= KP_VP_LEN) {
                fprintf(stderr, "kptrace replay: --vp needs an id of 1..%d characters\n",
                        KP_VP_LEN - 1);
                free(files);
                return 2;
            }
            opts.vp = val;
        } else if (!only_files && a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "kptrace replay: unknown option '%s'\n%s", a, usage);
            free(files);
            return 2;
        } else {
            files[nfiles++] = a;
        }
    }
    if (nfiles == 0) {
        fprintf(stderr, "kptrace replay: no capture file given\n%s", usage);
        free(files);
        return 2;
    }
    struct kp_replay_stats st;
    char err[KP_PCAP_ERRLEN];
    int rc = kp_replay_files(files, nfiles, &opts, print_trace, &oc, &st, err, sizeof(err));
    fflush(stdout);
    free(files);
    print_counts(&st);
    if (st.files_cut > 0 && rc == 0)
        fprintf(stderr, "kptrace replay: warning: %s\n", err);
    if (oc.failed)
        fprintf(stderr, "kptrace replay: %d traces could not be written\n", oc.failed);
    if (rc != 0) {
        fprintf(stderr, "kptrace replay: %s\n", err[0] ? err : strerror(-rc));
        return 1;
    }
    return oc.failed ? 1 : 0;
}
