/* SPDX-License-Identifier: BSD-2-Clause */
/* cmd_watch.c — `kptrace watch`: continuous monitoring of the data plane
 * into prefixes, in rounds (docs/watch.md).
 *
 * Keys are (/24, method). A round picks, per /24, the addresses to trace
 * (as many as the most any of its keys still wants: a key in warm-up or in
 * a confirmation window wants kp_chg_wanted() traces, a stable one one),
 * and traces each with every method, in one engine run paced at --pps.
 * Every record is appended to the hour's traces.jsonl as it comes and
 * annotated at once (kp_annotate_trace, the code kpannotate runs); after the
 * run the round's traces are fed to their keys' trackers in the order they
 * started, the events written, the checkpoint renamed into place. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/change/detect.h"
#include "core/codec/seed.h"
#include "prober/cmd/cmd_common.h"
#include "prober/cmd/cmd_watch.h"
#include "prober/cmd/watch.h"
#include "prober/sys/privdrop.h"
#include "sources/annotate.h"

static volatile sig_atomic_t usr1;

static void on_usr1(int sig)
{
    (void)sig;
    usr1 = 1;
}

const char *watch_prefix(const struct watch *w, size_t key, char *buf, size_t len)
{
    uint32_t n = w->nets[key / w->o.n_methods].net;
    snprintf(buf, len, "%u.%u.%u.0/24", n >> 24, (n >> 16) & 255, (n >> 8) & 255);
    return buf;
}

/* ---- the targets: /24s, the addresses of each allowed, the keys --------- */

static int net_cmp(const void *a, const void *b)
{
    uint32_t x = ((const struct kp_pick_net *)a)->net, y = ((const struct kp_pick_net *)b)->net;
    return x < y ? -1 : x > y;
}

/* The /24s of the ranges (CIDR blocks less what the blocklist refuses),
 * ascending, each with the addresses it allows. */
static int nets_of(struct watch *w, const struct kp_target_range *r, size_t nr)
{
    size_t cap = 0, n = 0;
    struct kp_pick_net *a = NULL;
    for (size_t i = 0; i < nr; i++)
        for (uint64_t x = r[i].base; x < (uint64_t)r[i].base + r[i].count; x++) {
            uint32_t net = (uint32_t)x & 0xffffff00u;
            if (n == 0 || a[n - 1].net != net) {
                if (n == WATCH_MAX_NETS) {
                    snprintf(w->err, sizeof(w->err), "--targets: more than %u /24s",
                             WATCH_MAX_NETS);
                    free(a);
                    return -1;
                }
                if (n == cap) {
                    cap = cap ? 2 * cap : 64;
                    struct kp_pick_net *y = realloc(a, cap * sizeof(*a));
                    if (y == NULL) {
                        free(a);
                        return -ENOMEM;
                    }
                    a = y;
                }
                kp_pick_init(&a[n++], net);
            }
            kp_pick_allow(&a[n - 1], (uint32_t)x);
        }
    if (n > 1)
        qsort(a, n, sizeof(*a), net_cmp);
    size_t m = 0; /* one entry per /24 that several ranges share */
    for (size_t i = 0; i < n; i++) {
        if (m > 0 && a[m - 1].net == a[i].net) {
            for (int b = 0; b < 32; b++)
                a[m - 1].allowed[b] |= a[i].allowed[b];
        } else {
            a[m++] = a[i];
        }
    }
    w->nets = a;
    w->n_nets = m;
    return 0;
}

static int setup_targets(struct watch *w)
{
    struct kp_target_range *r = NULL;
    size_t nr = 0;
    struct kp_exclusions ex;
    memset(&ex, 0, sizeof(ex));
    if (kp_cmd_ranges_from_cidrs(&w->o, &r, &nr, &ex, w->err, sizeof(w->err)) != 0)
        return -1;
    kp_exclusions_free(&ex);
    int rc = nets_of(w, r, nr);
    free(r);
    if (rc != 0)
        return rc;
    w->n_keys = w->n_nets * w->o.n_methods;
    w->keys = calloc(w->n_keys, sizeof(*w->keys));
    w->plan = calloc(w->n_nets * KP_CHG_MAX_CONFIRM, sizeof(*w->plan));
    w->pick = calloc(KP_CHG_MAX_CONFIRM, sizeof(*w->pick));
    if (w->keys == NULL || w->plan == NULL || w->pick == NULL)
        return -ENOMEM;
    for (size_t k = 0; k < w->n_keys; k++)
        kp_chg_track_init(&w->keys[k].tr);
    return 0;
}

/* ---- the plan of a round -------------------------------------------------- */

/* Per /24, as many addresses as the most any of its keys wants (idle_flows
 * when all are stable; --confirm at least for a suspect key), each traced
 * with every method. */
static void build_plan(struct watch *w)
{
    w->n_plan = 0;
    unsigned nm = w->o.n_methods;
    for (size_t ni = 0; ni < w->n_nets; ni++) {
        unsigned f = w->idle_flows ? w->idle_flows : 1;
        for (unsigned mi = 0; mi < nm; mi++) {
            const struct kp_chg_track *t = &w->keys[ni * nm + mi].tr;
            unsigned want = kp_chg_wanted(t, &w->cp);
            /* a suspect key gets a whole window's flows each round, even
             * when its detector extends the window trace by trace: the
             * traces beyond what it wants are fed too (they start the
             * state after the window) */
            if (kp_chg_phase(t) == KP_CHG_SUSPECT && want < w->cp.confirm)
                want = w->cp.confirm;
            if (want > f)
                f = want;
        }
        if (f > KP_CHG_MAX_CONFIRM)
            f = KP_CHG_MAX_CONFIRM;
        size_t k = kp_pick(&w->nets[ni], f, &w->rng, w->pick);
        for (size_t i = 0; i < k; i++)
            w->plan[w->n_plan++] = (struct kp_target_range){.base = w->pick[i], .count = 1};
    }
}

/* ---- traces: annotated, then fed ------------------------------------------ */

static long key_of(const struct watch *w, const struct kp_trace *t)
{
    if (t->dst.family != 4)
        return -1;
    uint32_t net = kp_addr_v4_host(&t->dst) & 0xffffff00u;
    size_t lo = 0, hi = w->n_nets;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (w->nets[mid].net < net)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == w->n_nets || w->nets[lo].net != net)
        return -1;
    for (unsigned mi = 0; mi < w->o.n_methods; mi++)
        if (w->o.methods[mi] == t->method)
            return (long)(lo * w->o.n_methods + mi);
    return -1;
}

/* What the detector sees of a trace: its transit (the verdict's AS when
 * reached or filtered) and how it ended. -1: not an observation (not a
 * key's, or cut by an interruption or an error of ours). */
static int observe(struct watch *w, const struct kp_trace *t, struct watch_obs *ob)
{
    long k = key_of(w, t);
    if (k < 0 || t->stop_reason == KP_STOP_INTERRUPTED || t->stop_reason == KP_STOP_ERROR)
        return -1;
    if (t->n_hops > w->cap_ann) {
        struct kp_hop_annot *x = realloc(w->ann, t->n_hops * sizeof(*x));
        if (x == NULL)
            return -1;
        w->ann = x;
        w->cap_ann = t->n_hops;
    }
    struct kp_hop_annot dst;
    struct kp_transit v;
    if (kp_annotate_trace(w->map, &w->vcfg, t, false, w->ann, &dst, &v) < 0)
        return -1;
    bool from_dst = t->stop_reason == KP_STOP_COMPLETED;
    for (size_t i = 0; i < t->n_hops && !from_dst; i++)
        from_dst = (t->hops[i].flags & KP_HOP_FROM_DST) != 0;
    ob->key = (size_t)k;
    ob->addr = kp_addr_v4_host(&t->dst);
    ob->o = (struct kp_chg_obs){
        .start_ns = t->start_ns,
        .end_ns = t->end_ns >= t->start_ns ? t->end_ns : t->start_ns,
        .transit = v.status == KP_TRANSIT_REACHED || v.status == KP_TRANSIT_FILTERED ? v.asn : 0,
        .outcome = from_dst                                 ? KP_CHG_OUT_DST
                   : t->stop_reason == KP_STOP_ADMIN_PROHIB ? KP_CHG_OUT_FILTERED
                                                            : KP_CHG_OUT_STOPPED,
        .trace_id = t->id,
    };
    return 0;
}

static int push_obs(struct watch *w, struct kp_trace *t)
{
    struct watch_obs ob;
    if (observe(w, t, &ob) != 0)
        return 0;
    if (w->n_obs == w->cap_obs) {
        size_t cap = w->cap_obs ? 2 * w->cap_obs : 256;
        struct watch_obs *x = realloc(w->obs, cap * sizeof(*x));
        if (x == NULL)
            return -ENOMEM;
        w->obs = x;
        w->cap_obs = cap;
    }
    w->obs[w->n_obs++] = ob;
    if (t->id + 1 > w->next_id && t->id < UINT32_MAX)
        w->next_id = (uint32_t)t->id + 1;
    return 0;
}

static void on_trace(void *ctx, struct kp_trace *t)
{
    struct watch *w = ctx;
    if (t->tool[0] == '\0')
        snprintf(t->tool, sizeof(t->tool), "kptrace");
    int rc = watch_append_trace(w, t);
    if (rc != 0) {
        char m[600];
        snprintf(m, sizeof(m), "%.400s/traces.jsonl: %s", w->hour_dir, strerror(-rc));
        kp_engine_fail(w->e, rc, m);
        return;
    }
    if (push_obs(w, t) != 0)
        kp_engine_fail(w->e, -ENOMEM, "out of memory");
}

/* The status line on a terminal: the round, its traces and probes, the
 * keys by phase, the traces and events so far. */
static void progress_line(struct watch *w, const struct kp_engine_stats *st)
{
    if (!w->prog.enabled)
        return;
    unsigned ph[3] = {0, 0, 0};
    for (size_t k = 0; k < w->n_keys; k++)
        ph[kp_chg_phase(&w->keys[k].tr)]++;
    fprintf(stderr,
            "\rround %llu: %llu/%llu traces, %llu probes | %u stable, %u suspect, %u warm-up | "
            "%llu traces, %llu events   ",
            (unsigned long long)w->round + 1, (unsigned long long)st->done,
            (unsigned long long)st->jobs, (unsigned long long)st->probes_sent, ph[KP_CHG_STABLE],
            ph[KP_CHG_SUSPECT], ph[KP_CHG_WARMUP], (unsigned long long)w->total_traces,
            (unsigned long long)w->total_events);
    w->prog.printed = 1;
}

static void on_progress(void *ctx, const struct kp_engine_stats *st, int64_t now_ns)
{
    struct watch *w = ctx;
    (void)now_ns;
    progress_line(w, st);
    if (usr1) {
        usr1 = 0;
        watch_status(w, true);
    }
    watch_children_reap(w, false);
}

static int obs_cmp(const void *a, const void *b)
{
    const struct watch_obs *x = a, *y = b;
    if (x->o.start_ns != y->o.start_ns)
        return x->o.start_ns < y->o.start_ns ? -1 : 1;
    return x->o.trace_id < y->o.trace_id ? -1 : x->o.trace_id > y->o.trace_id;
}

/* The round's traces to their trackers, in the order they started. */
static int feed_round(struct watch *w)
{
    if (w->n_obs > 1)
        qsort(w->obs, w->n_obs, sizeof(*w->obs), obs_cmp);
    int64_t now = kp_clock_ns(CLOCK_REALTIME);
    for (size_t i = 0; i < w->n_obs; i++) {
        const struct watch_obs *ob = &w->obs[i];
        struct watch_key *k = &w->keys[ob->key];
        struct kp_chg_event ev;
        int rc = kp_chg_feed(&k->tr, &w->cp, &ob->o, &ev);
        k->traces++;
        kp_pick_learn(&w->nets[ob->key / w->o.n_methods], ob->addr, ob->o.outcome == KP_CHG_OUT_DST,
                      &w->rng);
        if (rc == 1 && (rc = watch_event(w, ob->key, &ev, now)) != 0) {
            snprintf(w->err, sizeof(w->err), "%.400s/events.jsonl: %s", w->o.out, strerror(-rc));
            return -1;
        }
    }
    w->n_obs = 0;
    return 0;
}

/* ---- set-up ----------------------------------------------------------------- */

static int load_sources(struct watch *w)
{
    w->map = kp_asmap_new();
    if (w->map == NULL)
        return -ENOMEM;
    kp_verdict_config_default(&w->vcfg);
    if (w->n_target_as) {
        w->vcfg.targets = w->target_as;
        w->vcfg.n_targets = w->n_target_as;
    }
    if (kp_asmap_set_targets(w->map, w->vcfg.targets, w->vcfg.n_targets) != 0)
        return -ENOMEM;
    kp_asmap_set_filter(w->map, &w->filter);
    for (size_t i = 0; i < w->n_sources; i++) {
        const struct watch_source *s = &w->sources[i];
        char err[512] = "";
        int rc =
            s->kind == WATCH_SRC_PFX2AS ? kp_asmap_add_pfx2as(w->map, s->path, err, sizeof(err))
            : s->kind == WATCH_SRC_RIB  ? kp_asmap_add_bgpdump(w->map, s->path, err, sizeof(err))
                                        : kp_asmap_add_mmdb(w->map, s->path, err, sizeof(err));
        if (rc != 0) {
            snprintf(w->err, sizeof(w->err), "%.500s", err[0] ? err : s->path);
            return -1;
        }
    }
    return 0;
}

static int replay_feed(struct watch *w, struct kp_trace *t)
{
    return push_obs(w, t);
}

/* The engine over the plan, for w->src on w->iface (created, not opened). */
static int create_engine(struct watch *w)
{
    struct kp_engine_config cfg = {
        .ranges = w->plan,
        .n_ranges = w->n_plan,
        .src = w->src,
        .iface = w->iface,
        .seed = w->seed,
        .on_trace = on_trace,
        .on_progress = on_progress,
        .ctx = w,
        .stop = &kp_cmd_stop,
        .first_tid = w->next_id,
    };
    kp_cmd_engine_params(&w->o, &cfg.params);
    return kp_engine_create(&cfg, &w->e, w->err, sizeof(w->err));
}

/* Create and open the engine (as root), drop the privileges, feed again
 * what the last checkpoint missed. */
static int start(struct watch *w)
{
    if (kp_cmd_source(&w->o, w->plan, &w->src, w->iface, w->err, sizeof(w->err)) != 0)
        return -1;
    if (create_engine(w) != 0 || kp_engine_open(w->e, w->err, sizeof(w->err)) != 0 ||
        kp_outdir_hand_over(&w->outdir, w->o.out, w->err, sizeof(w->err)) != 0 ||
        kp_privdrop(w->o.user, w->err, sizeof(w->err)) < 0)
        return -1;
    if (watch_replay_tail(w, replay_feed) != 0 || feed_round(w) != 0)
        return -1;
    return watch_checkpoint(w);
}

/* ---- the rounds --------------------------------------------------------------- */

/* The flows a stable /24 gets in the next round, from what the last one
 * used of the budget: a round lasts as long as its slowest trace (silent
 * hops waited for, --wait after the last probe) however few probes it
 * sends, so while a round sends less than WATCH_FILL_LOW of pps x its
 * length, every /24 gets one flow more (up to --confirm): more traces per
 * key in the same time, at no cost in round length. Above WATCH_FILL_HIGH
 * the pacer is what makes the round long: one flow less. Rounds that
 * confirm a change take the budget first (their flows are what they want). */
#define WATCH_FILL_LOW  0.55
#define WATCH_FILL_HIGH 0.8
static void adapt_flows(struct watch *w, uint64_t probes, int64_t run_ns)
{
    if (run_ns <= 0)
        return;
    double budget = (double)w->o.pps * (double)run_ns / 1e9;
    unsigned cap = w->cp.confirm;
    if (w->idle_flows < 1)
        w->idle_flows = 1;
    if ((double)probes < WATCH_FILL_LOW * budget && w->idle_flows < cap)
        w->idle_flows++;
    else if ((double)probes > WATCH_FILL_HIGH * budget && w->idle_flows > 1)
        w->idle_flows--;
}

static int one_round(struct watch *w)
{
    if (watch_hour(w, kp_clock_ns(CLOCK_REALTIME)) != 0)
        return -1;
    build_plan(w);
    if (w->n_plan == 0) {
        snprintf(w->err, sizeof(w->err), "no address left to probe");
        return -1;
    }
    char label[32]; /* the round's order: one-way from the hour's seed, tells nothing of it */
    snprintf(label, sizeof(label), "round %llu", (unsigned long long)w->round + 1);
    uint64_t seed = kp_seed_derive(w->seed, label);
    if (kp_engine_replan(w->e, w->plan, w->n_plan, seed, w->next_id, w->err, sizeof(w->err)) != 0)
        return -1;
    int64_t t0 = kp_clock_ns(CLOCK_MONOTONIC);
    int rc = kp_engine_run(w->e, w->err, sizeof(w->err));
    const struct kp_engine_stats *st = kp_engine_stats(w->e);
    adapt_flows(w, st->probes_sent, kp_clock_ns(CLOCK_MONOTONIC) - t0);
    watch_stats_add(&w->hour_st, st);
    if (st->next_id > w->next_id)
        w->next_id = (uint32_t)st->next_id;
    if (fsync(w->traces_fd) != 0 && rc == 0) {
        snprintf(w->err, sizeof(w->err), "%.400s/traces.jsonl: %s", w->hour_dir, strerror(errno));
        rc = -1;
    }
    if (feed_round(w) != 0)
        return -1;
    w->round++;
    if (watch_checkpoint(w) != 0)
        return -1;
    watch_status(w, usr1 != 0);
    usr1 = 0;
    watch_children_reap(w, false);
    return rc == 0 ? 0 : -1;
}

static void watch_free(struct watch *w)
{
    kp_engine_destroy(w->e);
    kp_asmap_free(w->map);
    if (w->events_fd >= 0)
        close(w->events_fd);
    kp_outdir_close(&w->outdir); /* w->dirfd: given back to --user if taken */
    if (w->traces_fd >= 0)
        close(w->traces_fd);
    free(w->nets);
    free(w->keys);
    free(w->plan);
    free(w->obs);
    free(w->ann);
    free(w->seen);
    free(w->pick);
    kp_options_free(&w->o);
    free(w);
}

int kp_cmd_watch(int argc, char **argv)
{
    struct watch *w = calloc(1, sizeof(*w));
    if (w == NULL)
        return KP_EXIT_ERROR;
    w->events_fd = w->dirfd = w->traces_fd = -1;
    w->outdir.fd = -1;
    int status = watch_options(w, argc, argv);
    if (status >= 0) {
        free(w);
        return status;
    }
    status = KP_EXIT_ERROR;
    kp_cmd_signals();
    struct sigaction sa = {.sa_handler = on_usr1};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    if (setup_targets(w) != 0 || load_sources(w) != 0 || watch_open_dir(w) != 0 ||
        watch_restore(w) != 0)
        goto out;
    w->rng = kp_cmd_seed(&w->o); /* the picks'; the key's seed is the hour's (watch_hour) */
    w->next_id = w->restored_next_id ? w->restored_next_id : 1;
    w->idle_flows = 1;
    build_plan(w);
    if (start(w) != 0)
        goto out;
    kp_progress_init(&w->prog, w->o.progress && !w->o.quiet, kp_clock_ns(CLOCK_MONOTONIC));
    int rc = 0;
    while (!kp_cmd_stop && (rc = one_round(w)) == 0)
        ;
    kp_progress_end(&w->prog);
    watch_hour_close(w, rc == 0 ? "interrupted" : "error");
    watch_children_reap(w, true);
    if (rc == 0) {
        status = KP_EXIT_OK;
        if (!w->o.quiet)
            fprintf(stderr,
                    "kptrace watch: stopped after %llu rounds: %llu traces, %llu events -> %s\n",
                    (unsigned long long)w->round, (unsigned long long)w->total_traces,
                    (unsigned long long)w->total_events, w->o.out);
    }
out:
    if (status != KP_EXIT_OK && w->err[0])
        fprintf(stderr, "kptrace watch: %s\n", w->err);
    watch_free(w);
    return status;
}
