/* cmd_sweep.c — `kptrace sweep`: every address of some prefixes with every
 * method; writes DIR/traces.jsonl, DIR/capture.pcap and DIR/sweep.json.
 * Owner: prober edges. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "probe/cmd_common.h"
#include "probe/cmd_trace.h"
#include "probe/engine.h"
#include "probe/options.h"
#include "probe/privdrop.h"
#include "probe/sweep_meta.h"
#include "probe/trace_json.h"

struct sweep_ctx {
    FILE *traces;
    uint64_t written, hops, errors;
    struct kp_progress prog;
};

static void print_probe(void *ctx, const uint8_t *pkt, size_t len)
{
    kp_cmd_print_probe((FILE *)ctx, pkt, len);
}

static void on_trace(void *ctx, struct kp_trace *t)
{
    struct sweep_ctx *c = ctx;
    char *s = NULL;
    if (t->tool[0] == '\0')
        snprintf(t->tool, sizeof(t->tool), "kptrace");
    if (kp_trace_json_dump(t, &s, NULL) != 0 || fprintf(c->traces, "%s\n", s) < 0) {
        c->errors++;
    } else {
        c->written++;
        c->hops += t->n_hops;
    }
    free(s);
}

static void on_progress(void *ctx, const struct kp_engine_stats *st, int64_t now_ns)
{
    struct sweep_ctx *c = ctx;
    fflush(c->traces);
    kp_progress_update(&c->prog, st, now_ns);
}

/* Rewrite sweep.json in place (the descriptor was opened before privdrop). */
static int write_meta(FILE *f, const struct kp_sweep_meta *m)
{
    char *s;
    if (kp_sweep_meta_json(m, &s) != 0)
        return -ENOMEM;
    int rc = 0;
    rewind(f);
    if (ftruncate(fileno(f), 0) != 0 || fputs(s, f) < 0 || fflush(f) != 0)
        rc = -errno;
    free(s);
    return rc;
}

static FILE *open_new(const char *dir, const char *name, char *err, size_t errlen)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wx");
    if (f == NULL)
        snprintf(err, errlen, "%.400s: %s%s", path, strerror(errno),
                 errno == EEXIST ? " (this directory already holds a sweep; choose another --out)"
                                 : "");
    return f;
}

int kp_cmd_sweep(int argc, char **argv)
{
    struct kp_options o;
    char err[512] = "", iface[16] = "", pcap_path[4096];
    struct kp_addr src;
    struct kp_target_range *ranges = NULL;
    size_t n_ranges = 0;
    struct kp_engine *e = NULL;
    FILE *meta = NULL;
    int status = KP_EXIT_ERROR;
    struct sweep_ctx c;
    memset(&c, 0, sizeof(c));
    struct kp_sweep_meta m;
    memset(&m, 0, sizeof(m));

    int rc_opt = kp_cmd_options(&o, KP_CMD_SWEEP, "sweep", argc, argv);
    if (rc_opt >= 0)
        return rc_opt;
    if (kp_cmd_ranges_from_cidrs(&o, &ranges, &n_ranges, err, sizeof(err)) != 0 ||
        kp_cmd_source(&o, ranges, &src, iface, err, sizeof(err)) != 0)
        goto out;
    uint64_t seed = kp_cmd_seed(&o);
    snprintf(pcap_path, sizeof(pcap_path), "%s/capture.pcap", o.out ? o.out : ".");
    struct kp_engine_config cfg = {
        .opt = &o,
        .ranges = ranges,
        .n_ranges = n_ranges,
        .src = src,
        .iface = iface,
        .pcap_path = pcap_path,
        .seed = seed,
        .on_trace = on_trace,
        .on_progress = on_progress,
        .ctx = &c,
        .stop = &kp_cmd_stop,
    };
    if (kp_engine_create(&cfg, &e, err, sizeof(err)) != 0)
        goto out;
    if (o.dry_run) {
        if (kp_engine_dry_run(e, print_probe, stdout, err, sizeof(err)) == 0)
            status = KP_EXIT_OK;
        goto out;
    }
    if (mkdir(o.out, 0755) != 0 && errno != EEXIST) {
        snprintf(err, sizeof(err), "--out %s: %s", o.out, strerror(errno));
        goto out;
    }
    /* Refuse a directory that holds a sweep before creating anything; then
     * the sockets (a failure there, e.g. not root, leaves no file behind),
     * then the files. Every file is opened before root is dropped. */
    for (int k = 0; k < 3; k++) {
        static const char *const names[] = {"traces.jsonl", "sweep.json", "capture.pcap"};
        char p[4096];
        snprintf(p, sizeof(p), "%s/%s", o.out, names[k]);
        if (access(p, F_OK) == 0) {
            snprintf(err, sizeof(err),
                     "%.400s exists (this directory already holds a sweep; choose another --out)",
                     p);
            goto out;
        }
    }
    if (kp_engine_open(e, err, sizeof(err)) != 0)
        goto out;
    if ((c.traces = open_new(o.out, "traces.jsonl", err, sizeof(err))) == NULL ||
        (meta = open_new(o.out, "sweep.json", err, sizeof(err))) == NULL)
        goto out;
    m.opt = &o;
    m.st = kp_engine_stats(e);
    m.status = "running";
    m.src = src;
    m.iface = iface;
    m.seed = seed;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    m.start_ns = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
    if (write_meta(meta, &m) != 0) {
        snprintf(err, sizeof(err), "%s/sweep.json: %s", o.out, strerror(errno));
        goto out;
    }
    if (kp_privdrop(o.user, err, sizeof(err)) < 0)
        goto out;
    kp_cmd_signals();
    kp_progress_init(&c.prog, &o, kp_clock_ns(CLOCK_MONOTONIC));
    int rc = kp_engine_run(e, err, sizeof(err));
    kp_progress_end(&c.prog);
    const struct kp_engine_stats *st = kp_engine_stats(e);
    if (fflush(c.traces) != 0)
        c.errors++;
    m.start_ns = st->start_ns ? st->start_ns : m.start_ns;
    m.end_ns = st->end_ns;
    m.traces_written = c.written;
    m.hops_written = c.hops;
    m.write_errors = c.errors;
    if (rc != 0) {
        m.status = "error";
        m.error = err;
    } else {
        m.status = st->interrupted ? "interrupted" : "complete";
        status = st->interrupted ? KP_EXIT_INTERRUPTED : KP_EXIT_OK;
    }
    if (c.errors) {
        snprintf(err, sizeof(err), "%llu traces could not be written to traces.jsonl",
                 (unsigned long long)c.errors);
        status = KP_EXIT_ERROR;
    }
    if (write_meta(meta, &m) != 0) {
        snprintf(err, sizeof(err), "%s/sweep.json: %s", o.out, strerror(errno));
        status = KP_EXIT_ERROR;
    }
    if (st->rx_probes < st->probes_sent)
        fprintf(stderr,
                "kptrace sweep: warning: the capture holds %llu of the %llu probes sent "
                "(%llu dropped by the kernel)\n",
                (unsigned long long)st->rx_probes, (unsigned long long)st->probes_sent,
                (unsigned long long)(st->cap_drop + st->cap_ifdrop));
    if (st->foreign_traces > 0)
        fprintf(
            stderr,
            "kptrace sweep: warning: %llu traces of probes this run did not send (another kptrace "
            "on the same address?) left out\n",
            (unsigned long long)st->foreign_traces);
    if (!o.quiet)
        fprintf(stderr,
                "kptrace sweep: %s: %llu traces, %llu probes sent, %llu saved by Doubletree, "
                "%llu replies, %llu capture drops -> %s\n",
                m.status, (unsigned long long)c.written, (unsigned long long)st->probes_sent,
                (unsigned long long)st->probes_saved, (unsigned long long)st->rx_replies,
                (unsigned long long)(st->cap_drop + st->cap_ifdrop), o.out);
out:
    if (status == KP_EXIT_ERROR && err[0])
        fprintf(stderr, "kptrace sweep: %s\n", err);
    if (c.traces)
        fclose(c.traces);
    if (meta)
        fclose(meta);
    kp_engine_destroy(e);
    free(ranges);
    kp_options_free(&o);
    return status;
}
