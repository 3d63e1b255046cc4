/* SPDX-License-Identifier: BSD-2-Clause */
/* replay.c — capture files into kp_rx. See replay.h. */
#include "io/replay.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/codec/classify.h"
#include "core/base/json_num.h"
#include "io/pcap_file.h"
#include "core/rx/rx_kptrace.h"

void kp_replay_opts_init(struct kp_replay_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->run.first_ttl = 1;
    o->run.max_ttl = 30;
    o->run.attempts = 2;
    o->run.gap_limit = 5;
    o->run.wait_ms = 1000;
}

static int get_u(json_t *obj, const char *key, unsigned max, unsigned *out, char *err,
                 size_t errlen)
{
    int64_t x;
    int rc = kp_json_i64(json_object_get(obj, key), 0, max, 0, &x);
    if (rc == -ENOENT)
        return 0;
    if (rc != 0) {
        snprintf(err, errlen, "options.%s: expected an integer in 0..%u", key, max);
        return -EINVAL;
    }
    *out = (unsigned)x;
    return 1;
}

int kp_replay_read_sweep_json(const char *path, struct kp_replay_sweep *out, char *err,
                              size_t errlen)
{
    struct kp_rx_run *run = &out->run;
    json_error_t je;
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        int e = errno;
        snprintf(err, errlen, "%s: %s", path, strerror(e));
        return -e;
    }
    json_t *j = json_loadf(f, 0, &je);
    fclose(f);
    if (j == NULL) {
        snprintf(err, errlen, "%s:%d: %s", path, je.line, je.text);
        return -EINVAL;
    }
    int rc = 0;
    json_t *type = json_object_get(j, "type");
    json_t *opt = json_object_get(j, "options");
    if (!json_is_object(j) || !json_is_string(type) ||
        strcmp(json_string_value(type), "sweep") != 0 || !json_is_object(opt)) {
        snprintf(err, errlen, "%s: not a kptrace sweep.json (type \"sweep\" and options wanted)",
                 path);
        rc = -EINVAL;
        goto out;
    }
    char e2[160] = "";
    unsigned v;
    int g;
    if ((g = get_u(opt, "first_ttl", 255, &v, e2, sizeof(e2))) < 0)
        goto bad;
    if (g)
        run->first_ttl = (uint8_t)v;
    if ((g = get_u(opt, "max_ttl", 255, &v, e2, sizeof(e2))) < 0)
        goto bad;
    if (g)
        run->max_ttl = (uint8_t)v;
    if ((g = get_u(opt, "attempts", 255, &v, e2, sizeof(e2))) < 0)
        goto bad;
    if (g)
        run->attempts = (uint8_t)v;
    if ((g = get_u(opt, "gap_limit", 255, &v, e2, sizeof(e2))) < 0)
        goto bad;
    if (g)
        run->gap_limit = (uint8_t)v;
    if ((g = get_u(opt, "wait_ms", 3600000u, &v, e2, sizeof(e2))) < 0)
        goto bad;
    if (g)
        run->wait_ms = v;
    if ((g = get_u(opt, "late_ms", 3600000u, &v, e2, sizeof(e2))) < 0)
        goto bad;
    if (g) {
        run->has_late = true;
        run->late_ms = v;
    }
    json_t *jvp = json_object_get(j, "vp");
    if (json_is_string(jvp) && strlen(json_string_value(jvp)) < KP_VP_LEN)
        snprintf(out->vp, KP_VP_LEN, "%s", json_string_value(jvp));
    json_t *cap = json_object_get(j, "capture");
    json_t *ts = json_is_object(cap) ? json_object_get(cap, "ts_source") : NULL;
    if (json_is_string(ts) && strlen(json_string_value(ts)) < KP_TS_LEN)
        snprintf(out->ts_source, KP_TS_LEN, "%s", json_string_value(ts));
    json_t *seed = json_object_get(opt, "seed");
    if (json_is_string(seed) || json_is_integer(seed)) {
        if (kp_json_u64(seed, UINT64_MAX, KP_NUM_STRING, &out->seed) != 0) {
            snprintf(e2, sizeof(e2), "options.seed: expected a decimal number in a string");
            goto bad;
        }
        out->has_seed = true;
    }
    goto out;
bad:
    snprintf(err, errlen, "%s: %s", path, e2);
    rc = -EINVAL;
out:
    json_decref(j);
    return rc;
}

int kp_replay_sweep_json_for(const char *capture_path, char *out, size_t outlen)
{
    const char *slash = strrchr(capture_path, '/');
    int n;
    if (slash == NULL)
        n = snprintf(out, outlen, "sweep.json");
    else
        n = snprintf(out, outlen, "%.*s/sweep.json", (int)(slash - capture_path), capture_path);
    if (n < 0 || (size_t)n >= outlen)
        return -ENAMETOOLONG;
    struct stat st;
    if (stat(out, &st) != 0 || !S_ISREG(st.st_mode))
        return -ENOENT;
    return 0;
}

/* kptrace's own classifier, then kp_foreign_classifiers in its order (a
 * static copy, so no global is built at run time; the unit test
 * replay_classify/replay_uses_every_foreign_classifier keeps them equal). */
const struct kp_rx_classifier *const *kp_replay_default_classifiers(size_t *n)
{
    static const struct kp_rx_classifier *const list[] = {
        &kp_rx_classifier_kptrace,      &kp_classify_scamper_icmp_paris,
        &kp_classify_scamper_udp_paris, &kp_classify_scamper_udp,
        &kp_classify_scamper_tcp,       &kp_classify_tcptraceroute,
        &kp_classify_traceroute_udp,    &kp_classify_traceroute_icmp,
        &kp_classify_traceroute_tcp,    &kp_classify_mtr_icmp,
        &kp_classify_mtr_udp,           &kp_classify_mtr_tcp,
    };
    *n = sizeof(list) / sizeof(list[0]);
    return list;
}

struct run {
    struct kp_rx *rx;
    struct kp_replay_stats *st;
    void (*on_trace)(void *ctx, struct kp_trace *t);
    void *ctx;
    struct kp_replay_stats own; /* st when the caller asks for none */
    char err_none[8];           /* err when the caller gives none */
};

static void deliver(void *ctx, struct kp_trace *t)
{
    struct run *r = ctx;
    r->st->traces++;
    r->st->trace_probes += t->probes_sent;
    r->st->trace_hops += t->n_hops;
    if (r->on_trace)
        r->on_trace(r->ctx, t);
}

static int run_start(struct run *r, const struct kp_replay_opts *o,
                     void (*on_trace)(void *ctx, struct kp_trace *t), void *ctx,
                     struct kp_replay_stats *st)
{
    struct kp_replay_opts def;
    if (o == NULL) {
        kp_replay_opts_init(&def);
        o = &def;
    }
    memset(st, 0, sizeof(*st));
    r->st = st;
    r->on_trace = on_trace;
    r->ctx = ctx;
    struct kp_rx_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    if (o->classifiers != NULL) {
        cfg.classifiers = o->classifiers;
        cfg.n_classifiers = o->n_classifiers;
    } else {
        cfg.classifiers = kp_replay_default_classifiers(&cfg.n_classifiers);
    }
    cfg.vp = o->vp ? o->vp : "";
    cfg.ts_source = o->ts_source ? o->ts_source : "pcap";
    cfg.run = o->run;
    if (o->key != NULL) {
        cfg.validate = kp_rx_kptrace_validate;
        cfg.validate_probe = kp_rx_kptrace_validate_probe; /* another run's probes: out */
        cfg.validate_ctx = (void *)o->key;
    }
    cfg.linger_ns = o->linger_ns;
    cfg.max_open_traces = o->max_open_traces;
    cfg.max_held = o->max_held == 0          ? KP_REPLAY_MAX_HELD
                   : o->max_held == SIZE_MAX ? 0
                                             : o->max_held;
    cfg.on_trace = deliver;
    cfg.ctx = r;
    return kp_rx_create(&cfg, &r->rx);
}

/* Feed every frame of an open file. 0, or -ENOMEM. A cut file is counted. */
static int run_file(struct run *r, struct kp_pcap_file *f, char *err, size_t errlen)
{
    int dlt = kp_pcap_file_linktype(f);
    struct kp_frame fr;
    int rc, ret = 0;
    r->st->files++;
    while ((rc = kp_pcap_file_next(f, &fr, err, errlen)) == 1) {
        if (kp_rx_frame(r->rx, dlt, fr.ts_ns, fr.data, fr.caplen) != 0) {
            snprintf(err, errlen, "out of memory");
            ret = -ENOMEM;
            break;
        }
    }
    if (rc < 0)
        r->st->files_cut++;
    struct kp_pcap_counts c = kp_pcap_file_counts(f);
    r->st->frames += c.frames;
    r->st->frames_snapped += c.truncated;
    r->st->bytes += c.bytes;
    return ret;
}

static int run_end(struct run *r, int ret)
{
    if (r->rx != NULL) {
        kp_rx_finish(r->rx);
        r->st->rx = *kp_rx_stats(r->rx);
        kp_rx_destroy(r->rx);
        r->rx = NULL;
    }
    return ret;
}

/* What both entry points do first: err made writable (the run's own small
 * buffer when the caller gives none) and cleared, then the run started with
 * the caller's stats (or the run's own). */
static int run_begin(struct run *r, const struct kp_replay_opts *o,
                     void (*on_trace)(void *ctx, struct kp_trace *t), void *ctx,
                     struct kp_replay_stats *stats, char **err, size_t *errlen)
{
    if (*err == NULL || *errlen == 0) {
        *err = r->err_none;
        *errlen = sizeof(r->err_none);
    }
    (*err)[0] = '\0';
    return run_start(r, o, on_trace, ctx, stats ? stats : &r->own);
}

int kp_replay_files(const char *const *paths, size_t n, const struct kp_replay_opts *o,
                    void (*on_trace)(void *ctx, struct kp_trace *t), void *ctx,
                    struct kp_replay_stats *stats, char *err, size_t errlen)
{
    struct run r = {0};
    int ret = run_begin(&r, o, on_trace, ctx, stats, &err, &errlen);
    if (ret != 0)
        return ret;
    for (size_t i = 0; i < n && ret == 0 && r.st->files_cut == 0; i++) {
        struct kp_pcap_file *f;
        ret = kp_pcap_file_open(paths[i], &f, err, errlen);
        if (ret != 0)
            break;
        ret = run_file(&r, f, err, errlen);
        kp_pcap_file_close(f);
    }
    return run_end(&r, ret);
}

int kp_replay_reconcile(const struct kp_replay_stats *st, char *msg, size_t msglen)
{
    const struct kp_rx_stats *r = &st->rx;
    uint64_t used = r->probes + r->probes_dup + r->probes_foreign + r->replies + r->replies_lost +
                    r->dup_frames + r->expired + r->rejected + r->ambiguous + r->unmatched +
                    r->other + r->truncated + r->malformed + r->unsupported + r->fragments;
    if (st->frames != r->frames)
        snprintf(msg, msglen, "%" PRIu64 " frames read but %" PRIu64 " received", st->frames,
                 r->frames);
    else if (used != r->frames)
        snprintf(msg, msglen,
                 "%" PRIu64 " frames received but %" PRIu64
                 " counted (probes, duplicates, another run's probes, replies, lost, expired, "
                 "rejected, ambiguous, "
                 "unmatched, unrelated, undecodable)",
                 r->frames, used);
    else if (st->trace_probes != r->probes)
        snprintf(msg, msglen, "%" PRIu64 " probes recognised but %" PRIu64 " in the traces written",
                 r->probes, st->trace_probes);
    else if (st->trace_hops != r->replies)
        snprintf(msg, msglen, "%" PRIu64 " replies recorded but %" PRIu64 " hops in the traces",
                 r->replies, st->trace_hops);
    else if (r->traces_opened != st->traces || r->traces_closed != st->traces)
        snprintf(msg, msglen, "%" PRIu64 " traces opened, %" PRIu64 " closed, %" PRIu64 " written",
                 r->traces_opened, r->traces_closed, st->traces);
    else
        return 0;
    return -1;
}

int kp_replay_file(const char *path, const struct kp_replay_opts *o,
                   void (*on_trace)(void *ctx, struct kp_trace *t), void *ctx,
                   struct kp_replay_stats *stats, char *err, size_t errlen)
{
    return kp_replay_files(&path, 1, o, on_trace, ctx, stats, err, errlen);
}

int kp_replay_stream(FILE *fp, const char *name, const struct kp_replay_opts *o,
                     void (*on_trace)(void *ctx, struct kp_trace *t), void *ctx,
                     struct kp_replay_stats *stats, char *err, size_t errlen)
{
    struct run r = {0};
    int ret = run_begin(&r, o, on_trace, ctx, stats, &err, &errlen);
    if (ret != 0) {
        fclose(fp);
        return ret;
    }
    struct kp_pcap_file *f;
    ret = kp_pcap_file_fopen(fp, name, &f, err, errlen);
    if (ret == 0) {
        ret = run_file(&r, f, err, errlen);
        kp_pcap_file_close(f);
    }
    return run_end(&r, ret);
}
