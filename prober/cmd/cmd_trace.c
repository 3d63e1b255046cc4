/* SPDX-License-Identifier: BSD-2-Clause */
/* cmd_trace.c — `kptrace trace [options] TARGET...`: one-off traceroutes to
 * addresses or names, printed as a table (with each hop's AS and the transit
 * verdict when IP-to-AS sources are given), JSON lines or RIPE Atlas results. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "prober/cmd/cmd_common.h"
#include "prober/cmd/cmd_trace.h"
#include "prober/engine/engine.h"
#include "prober/cmd/options.h"
#include "prober/cmd/trace_asn.h"
#include "core/output/output.h"
#include "prober/sys/outfile.h"
#include "prober/sys/privdrop.h"
#include "core/record/run_checks.h"
#include "core/record/trace_json.h"

struct trace_ctx {
    const struct kp_options *o;
    const struct kp_target_range *ranges;
    size_t n_ranges;
    FILE *out;
    struct kp_trace_asn *asn; /* --pfx2as, --rib, --mmdb given: the loaded sources */
    uint64_t written, errors;
    struct kp_progress prog;
};

static void print_probe(void *ctx, const uint8_t *pkt, size_t len)
{
    kp_cmd_print_probe((FILE *)ctx, pkt, len);
}

static void on_trace(void *ctx, struct kp_trace *t)
{
    struct trace_ctx *c = ctx;
    char *s = NULL, *verdict = NULL;
    int rc;
    for (size_t i = 0; i < c->n_ranges; i++)
        if (c->ranges[i].name[0] && kp_addr_v4_host(&t->dst) == c->ranges[i].base &&
            t->dst.family == 4)
            snprintf(t->dst_name, sizeof(t->dst_name), "%s", c->ranges[i].name);
    if (t->tool[0] == '\0')
        snprintf(t->tool, sizeof(t->tool), "kptrace");
    switch (c->o->format) {
    case KP_FMT_TEXT:
        /* traceroute's header line, with the method and why it stopped
         * appended (parsers of traceroute output skip that line) */
        rc = c->asn ? kp_trace_asn_text(c->asn, t, &s, &verdict)
                    : kp_output_text(t, c->o->doubletree ? KP_TEXT_DOUBLETREE : 0, &s);
        if (rc == 0) {
            char d[KP_ADDR_STRLEN];
            kp_addr_str(&t->dst, d, sizeof(d));
            fprintf(c->out, "traceroute to %s (%s), %u hops max", t->dst_name[0] ? t->dst_name : d,
                    d, c->o->max_ttl);
            if (t->n_hops && t->hops[0].probe_size)
                fprintf(c->out, ", %u byte packets", t->hops[0].probe_size);
            fprintf(c->out, ", %s, %s\n%s", kp_method_name(t->method), kp_stop_name(t->stop_reason),
                    s);
            if (verdict != NULL) /* under the table, not a hop line */
                fprintf(c->out, "%s\n", verdict);
        }
        break;
    case KP_FMT_ATLAS:
        rc = kp_output_atlas(t, &s);
        if (rc == 0)
            fprintf(c->out, "%s\n", s);
        break;
    default:
        rc = kp_trace_json_dump(t, &s, NULL);
        if (rc == 0)
            fprintf(c->out, "%s\n", s);
    }
    free(s);
    free(verdict);
    fflush(c->out);
    if (rc)
        c->errors++;
    else
        c->written++;
}

static void on_progress(void *ctx, const struct kp_engine_stats *st, int64_t now_ns)
{
    struct trace_ctx *c = ctx;
    kp_progress_update(&c->prog, st, now_ns);
}

/* --pcap and --out: each a new file or a regular file of the user running
 * kptrace (kp_outfile_open: never through a link planted in its place),
 * opened before the privilege drop and written after it through the
 * descriptors. 0 or -1 (err says why). */
static int open_outputs(const struct kp_options *o, struct kp_engine *e, FILE **out, char *err,
                        size_t errlen)
{
    char why[512];
    int pfd = -1, ofd = -1;
    if (o->pcap && (pfd = kp_outfile_open(o->pcap, why, sizeof(why))) < 0) {
        snprintf(err, errlen, "--pcap %.480s", why);
        return -1;
    }
    if (o->out && (ofd = kp_outfile_open(o->out, why, sizeof(why))) < 0) {
        snprintf(err, errlen, "--out %.480s", why);
        goto fail;
    }
    struct stat a, b;
    if (pfd >= 0 && ofd >= 0 && fstat(pfd, &a) == 0 && fstat(ofd, &b) == 0 &&
        a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
        snprintf(err, errlen, "--out %s and --pcap %s are the same file", o->out, o->pcap);
        goto fail;
    }
    if (ofd >= 0 && (*out = fdopen(ofd, "w")) == NULL) {
        snprintf(err, errlen, "--out %s: %s", o->out, strerror(errno));
        goto fail;
    }
    ofd = -1; /* *out's now */
    if (pfd >= 0 && kp_engine_set_pcap_fd(e, pfd, o->pcap, err, errlen) != 0)
        return -1; /* pfd taken over */
    return 0;
fail:
    if (pfd >= 0)
        close(pfd);
    if (ofd >= 0)
        close(ofd);
    return -1;
}

int kp_cmd_trace(int argc, char **argv)
{
    struct kp_options o;
    char err[512] = "";
    char iface[16];
    struct kp_addr src;
    struct kp_target_range *ranges = NULL;
    size_t n_ranges = 0;
    struct kp_engine *e = NULL;
    int status = KP_EXIT_ERROR;
    struct trace_ctx c;
    memset(&c, 0, sizeof(c));

    int rc_opt = kp_cmd_options(&o, KP_CMD_TRACE, "trace", argc, argv);
    if (rc_opt >= 0)
        return rc_opt;
    /* the IP-to-AS sources, before anything is resolved or sent */
    if (o.asn.n_src > 0 && o.format != KP_FMT_TEXT) {
        fprintf(stderr,
                "kptrace trace: --pfx2as, --rib and --mmdb put ASes in the text table "
                "(--format text); give --format %s output to kpannotate\n"
                "(kptrace trace --help shows every option)\n",
                o.format == KP_FMT_ATLAS ? "atlas" : "json");
        kp_options_free(&o);
        return KP_EXIT_USAGE;
    }
    if (o.asn.n_src == 0 && (o.asn.keep_set || o.asn.n_targets > 0)) {
        fprintf(stderr,
                "kptrace trace: %s applies to IP-to-AS sources: give --pfx2as, --rib or "
                "--mmdb\n(kptrace trace --help shows every option)\n",
                o.asn.keep_set ? "--keep-special" : "--target-as");
        kp_options_free(&o);
        return KP_EXIT_USAGE;
    }
    if (kp_trace_asn_load(&o.asn, o.doubletree, o.quiet, &c.asn, err, sizeof(err)) != 0)
        goto out;
    if (kp_cmd_ranges_from_names(&o, &ranges, &n_ranges, err, sizeof(err)) != 0 ||
        kp_cmd_source(&o, ranges, &src, iface, err, sizeof(err)) != 0)
        goto out;
    uint64_t seed = kp_cmd_seed(&o);
    kp_cmd_signals(); /* from here a SIGINT/SIGTERM interrupts the run cleanly */
    struct kp_engine_config cfg = {
        .ranges = ranges,
        .n_ranges = n_ranges,
        .src = src,
        .iface = iface,
        .pcap_path = NULL, /* opened by open_outputs once the sockets are */
        .seed = seed,
        .on_trace = on_trace,
        .on_progress = on_progress,
        .ctx = &c,
        .stop = &kp_cmd_stop,
    };
    kp_cmd_engine_params(&o, &cfg.params);
    if (kp_engine_create(&cfg, &e, err, sizeof(err)) != 0)
        goto out;
    if (o.dry_run) {
        if (kp_engine_dry_run(e, print_probe, stdout, err, sizeof(err)) == 0)
            status = KP_EXIT_OK;
        goto out;
    }
    if (kp_engine_open(e, err, sizeof(err)) != 0)
        goto out;
    c.o = &o;
    c.ranges = ranges;
    c.n_ranges = n_ranges;
    c.out = stdout;
    if (open_outputs(&o, e, &c.out, err, sizeof(err)) != 0)
        goto out;
    if (kp_privdrop(o.user, err, sizeof(err)) < 0)
        goto out;
    kp_progress_init(&c.prog, o.progress && !o.quiet, kp_clock_ns(CLOCK_MONOTONIC));
    int rc = kp_engine_run(e, err, sizeof(err));
    /* the line ends with the run's final counts */
    kp_progress_update(&c.prog, kp_engine_stats(e), kp_clock_ns(CLOCK_MONOTONIC));
    kp_progress_end(&c.prog);
    const struct kp_engine_stats *st = kp_engine_stats(e);
    if (st->rx_probes_foreign > 0)
        fprintf(stderr,
                "kptrace trace: %llu probes of another kptrace on the same address were seen and "
                "left out of this run's traces\n",
                (unsigned long long)st->rx_probes_foreign);
    /* the counts every run must reconcile (run_checks.h) */
    struct kp_run_counts cnt;
    kp_run_counts_from_stats(st, c.errors, &cnt);
    cnt.interrupted = st->interrupted || rc != 0;
    struct kp_run_check checks[KP_RUN_CHECKS];
    int failed = kp_run_checks(&cnt, checks);
    if (failed > 0) {
        char sum[1200];
        kp_run_checks_summary(checks, sum, sizeof(sum));
        fprintf(stderr, "kptrace trace: incomplete: %s\n", sum);
    }
    if (!o.quiet)
        fprintf(stderr,
                "kptrace: %llu traces, %llu probes sent (%llu errors, %llu saved by Doubletree), "
                "%llu replies, %llu capture drops, timestamps %s\n",
                (unsigned long long)c.written, (unsigned long long)st->probes_sent,
                (unsigned long long)st->send_errors, (unsigned long long)st->probes_saved,
                (unsigned long long)st->rx_replies,
                (unsigned long long)(st->cap_drop + st->cap_ifdrop), st->ts_source);
    if (rc != 0)
        goto out;
    status = failed > 0 ? KP_EXIT_INCOMPLETE : st->interrupted ? KP_EXIT_INTERRUPTED : KP_EXIT_OK;
    if (c.errors) {
        snprintf(err, sizeof(err), "%llu traces could not be written",
                 (unsigned long long)c.errors);
        status = KP_EXIT_ERROR;
    }
out:
    if (status == KP_EXIT_ERROR && err[0])
        fprintf(stderr, "kptrace trace: %s\n", err);
    if (c.out && c.out != stdout && fclose(c.out) != 0 && status == KP_EXIT_OK) {
        fprintf(stderr, "kptrace trace: --out %s: %s\n", o.out, strerror(errno));
        status = KP_EXIT_ERROR;
    }
    kp_engine_destroy(e);
    kp_trace_asn_free(c.asn);
    free(ranges);
    kp_options_free(&o);
    return status;
}
