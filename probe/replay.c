/* replay.c — capture files into kp_rx. See replay.h. Owner: replay. */
#include "probe/replay.h"

#include <errno.h>
#include <string.h>

#include "probe/classify.h"
#include "probe/decode.h"
#include "probe/pcap_file.h"

void kp_replay_opts_init(struct kp_replay_opts *o)
{
    memset(o, 0, sizeof(*o));
}

const struct kp_rx_classifier *const *kp_replay_default_classifiers(size_t *n)
{
    static const struct kp_rx_classifier *const list[] = {
        &kp_classify_scamper_icmp_paris,
        &kp_classify_scamper_udp_paris,
        &kp_classify_scamper_udp,
        &kp_classify_scamper_tcp,
        &kp_classify_tcptraceroute,
        &kp_classify_traceroute_udp,
        &kp_classify_traceroute_icmp,
        &kp_classify_traceroute_tcp,
        &kp_classify_mtr_icmp,
        &kp_classify_mtr_udp,
        &kp_classify_mtr_tcp,
    };
    *n = sizeof(list) / sizeof(list[0]);
    return list;
}

struct run {
    struct kp_rx *rx;
    struct kp_replay_stats *st;
    void (*on_trace)(void *ctx, struct kp_trace *t);
    void *ctx;
};

static void deliver(void *ctx, struct kp_trace *t)
{
    struct run *r = ctx;
    r->st->traces++;
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
    cfg.ts_source = "pcap";
    cfg.linger_ns = o->linger_ns;
    cfg.max_open_traces = o->max_open_traces;
    cfg.on_trace = deliver;
    cfg.ctx = r;
    return kp_rx_create(&cfg, &r->rx);
}

/* One frame into rx: what kp_rx_frame does (decode, count failures, hand
 * the packet on). TODO(replay): call kp_rx_frame once probe/rx_frame.c is in
 * the build. */
static int feed(struct kp_rx *rx, int dlt, int64_t ts_ns, const uint8_t *frame, size_t caplen)
{
    struct kp_pkt pkt;
    memset(&pkt, 0, sizeof(pkt));
    int st = kp_decode_frame(dlt, frame, caplen, &pkt);
    if (st != KP_DEC_OK) {
        kp_rx_count_decode(rx, st);
        return 0;
    }
    return kp_rx_packet(rx, ts_ns, &pkt);
}

/* Feed every frame of an open file. 0, or -ENOMEM. A cut file is counted. */
static int run_file(struct run *r, struct kp_pcap_file *f, char *err, size_t errlen)
{
    int dlt = kp_pcap_file_linktype(f);
    struct kp_frame fr;
    int rc, ret = 0;
    r->st->files++;
    while ((rc = kp_pcap_file_next(f, &fr, err, errlen)) == 1) {
        if (feed(r->rx, dlt, fr.ts_ns, fr.data, fr.caplen) != 0) {
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

int kp_replay_files(const char *const *paths, size_t n, const struct kp_replay_opts *o,
                    void (*on_trace)(void *ctx, struct kp_trace *t), void *ctx,
                    struct kp_replay_stats *stats, char *err, size_t errlen)
{
    struct kp_replay_stats local;
    struct run r = {0};
    char dummy[8];
    if (err == NULL || errlen == 0) {
        err = dummy;
        errlen = sizeof(dummy);
    }
    err[0] = '\0';
    int ret = run_start(&r, o, on_trace, ctx, stats ? stats : &local);
    if (ret != 0)
        return ret;
    for (size_t i = 0; i < n && ret == 0; i++) {
        struct kp_pcap_file *f;
        ret = kp_pcap_file_open(paths[i], &f, err, errlen);
        if (ret != 0)
            break;
        ret = run_file(&r, f, err, errlen);
        kp_pcap_file_close(f);
    }
    return run_end(&r, ret);
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
    struct kp_replay_stats local;
    struct run r = {0};
    char dummy[8];
    if (err == NULL || errlen == 0) {
        err = dummy;
        errlen = sizeof(dummy);
    }
    err[0] = '\0';
    int ret = run_start(&r, o, on_trace, ctx, stats ? stats : &local);
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
