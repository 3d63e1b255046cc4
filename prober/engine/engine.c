/* SPDX-License-Identifier: BSD-2-Clause */
/* engine.c — the live event loop: set-up, the run and tear-down. See engine.h. */
#include "prober/engine/engine_int.h"

int64_t kp_clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

uint32_t kp_engine_max_active(uint32_t pps, uint32_t wait_ms, uint32_t late_ms)
{
    uint64_t ma = ((uint64_t)pps * ((uint64_t)wait_ms + late_ms) + 999) / 1000;
    if (ma < 16)
        ma = 16;
    if (ma > MAX_ACTIVE)
        ma = MAX_ACTIVE;
    return (uint32_t)ma;
}

int kp_engine_create(const struct kp_engine_config *cfg, struct kp_engine **out, char *err,
                     size_t errlen)
{
    const struct kp_engine_params *par = &cfg->params;
    *out = NULL;
    if (cfg->src.family != 4)
        return fail(err, errlen, -EINVAL, "no IPv4 source address");
    if (par->n_methods > KP_ENGINE_MAX_METHODS)
        return fail(err, errlen, -EINVAL, "%u methods: at most %u", par->n_methods,
                    KP_ENGINE_MAX_METHODS);
    struct kp_engine *e = calloc(1, sizeof(*e));
    if (e == NULL)
        return -ENOMEM;
    e->cfg = *cfg;
    e->par = &e->cfg.params;
    e->raw.fd = -1;
    e->cap.fd = -1;
    e->efd = -1;
    e->end_efd = -1;
    /* priority inheritance: the sending thread may run SCHED_FIFO
     * (kp_engine_open); the receive thread holding the lock then runs at
     * its priority until it lets go, instead of waiting behind other work
     * while the sender waits for it */
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_setprotocol(&ma, PTHREAD_PRIO_INHERIT);
    pthread_mutex_init(&e->mu, &ma);
    pthread_mutexattr_destroy(&ma);
    atomic_init(&e->rx_end, false);
    atomic_init(&e->sent_total, 0);
    atomic_init(&e->cap_down, false);
    strncpy(e->st.ts_source, "pcap", sizeof(e->st.ts_source) - 1);
    for (unsigned i = 0; i < par->n_methods; i++) {
        e->methods[i] = kp_method_by_id(par->methods[i]);
        if (e->methods[i] == NULL) {
            kp_engine_destroy(e);
            return fail(err, errlen, -EINVAL, "method %s is not available",
                        kp_method_name(par->methods[i]));
        }
    }
    for (unsigned i = 0; i < KP_ENGINE_MAX_METHODS; i++)
        kp_stopset_init(&e->stopsets[i]);
    kp_trace_owners_init(&e->owners);
    kp_key_from_seed(cfg->seed, &e->key);
    e->max_active = kp_engine_max_active(par->pps, par->wait_ms, par->late_ms);
    struct kp_admit_config ac = {
        .ranges = cfg->ranges,
        .n_ranges = cfg->n_ranges,
        .n_methods = par->n_methods,
        .seed = cfg->seed,
        .done = cfg->done,
        .doubletree = par->doubletree,
        .max_queued = 4 * e->max_active,
    };
    int rc = kp_admit_create(&ac, &e->adm);
    if (rc) {
        kp_engine_destroy(e);
        return fail(err, errlen, rc, rc == -ENOMEM ? "out of memory" : "the targets overlap");
    }
    e->st.jobs = kp_admit_jobs(e->adm);
    if (e->st.jobs == 0) {
        kp_engine_destroy(e);
        return fail(err, errlen, -EINVAL, "no targets");
    }
    e->act = calloc(e->max_active, sizeof(*e->act));
    e->pkts = malloc((size_t)BATCH * PKT_MAX);
    if (e->act == NULL || e->pkts == NULL || kp_slots_init(&e->slots, e->max_active) != 0) {
        kp_engine_destroy(e);
        return -ENOMEM;
    }
    e->next_id = cfg->first_tid ? cfg->first_tid : 1;
    e->st.next_id = e->next_id;
    *out = e;
    return 0;
}

int kp_engine_learn(struct kp_engine *e, const struct kp_trace *t, unsigned mi)
{
    if (mi >= e->par->n_methods || t->dst.family != 4)
        return 0;
    kp_admit_known(e->adm, kp_addr_v4_host(&t->dst), mi);
    return kp_stopset_learn(&e->stopsets[mi], t);
}

void kp_engine_fail(struct kp_engine *e, int rc, const char *msg)
{
    if (e->fail_rc)
        return;
    e->fail_rc = rc ? rc : -EIO;
    snprintf(e->fail_msg, sizeof(e->fail_msg), "%s", msg);
}

/* ---- opening ------------------------------------------------------------ */

int kp_engine_open(struct kp_engine *e, char *err, size_t errlen)
{
    int rc;
    char a[KP_ADDR_STRLEN];
    kp_addr_str(&e->cfg.src, a, sizeof(a));
    snprintf(e->filter, sizeof(e->filter), "ip host %s", a);
    /* Not bound to the interface (SO_BINDTODEVICE): a socket bound to a
     * device whose routes are gone sends on it anyway, as if every address
     * were on the link (the probes then die unanswered in ARP); unbound, a
     * missing route is ENETUNREACH, which the engine rides out. */
    if ((rc = kp_raw_open(&e->raw, NULL)))
        return fail(err, errlen, rc, "raw socket: %s (kptrace needs root or CAP_NET_RAW)",
                    strerror(-rc));
    if (e->par->send_link && (rc = kp_raw_use_link(&e->raw, &e->cfg.src)))
        return fail(err, errlen, rc, "--send-via link: packet socket: %s", strerror(-rc));
    if ((rc = kp_capture_open(&e->cap, e->cfg.iface, e->filter, (size_t)e->par->capture_kib << 10,
                              err, errlen)))
        return rc;
    e->cap_ifindex = if_nametoindex(e->cfg.iface);
    snprintf(e->st.ts_source, sizeof(e->st.ts_source), "%s", e->cap.ts_source);
    if (e->cfg.pcap_path &&
        (rc = e->cfg.pcap_append ? kp_capture_dump_append(&e->cap, e->cfg.pcap_path, err, errlen)
                                 : kp_capture_dump_open(&e->cap, e->cfg.pcap_path, err, errlen)))
        return rc;
    /* The thread that opens the engine runs it and sends: SCHED_FIFO, while
     * still root (the policy stays after the drop; taking it later would
     * need RLIMIT_RTPRIO, which root cannot always raise), for as long as
     * the engine lives (kp_engine_destroy). Woken by its timer, a real-time
     * thread runs at once, not after what else the CPU holds, which at
     * 100 us a probe would be the gaps' size. The receive thread inherits
     * the policy and goes one priority below (engine_rx_main): left at the
     * default policy, it would get only what the sender and every other busy
     * process leave, and the capture ring would overflow. Only while the
     * sender sleeps most of each interval: unpaced or nearly, it would hold
     * a CPU. (A child process the command forks leaves the policy itself:
     * watch's --on-change.) */
    struct kp_pacer rate; /* the rate as the run's pacer will clamp it */
    if (e->par->realtime && kp_pacer_init(&rate, e->par->pps, 1, e->par->pps_ceiling) >= 0 &&
        rate.interval_ns >= RT_MIN_GAP)
        e->realtime = kp_rt_enter(RT_PRIO) == 0;
    e->opened = true;
    return 0;
}

static void count_unrecorded(void *ctx, const struct kp_trace_owner *own)
{
    struct kp_engine *e = ctx;
    const struct active *a = own->running; /* still running: its own count */
    if ((a ? a->sent : own->probes_sent) == 0)
        e->st.skipped_not_sent++;
    else
        e->st.skipped_not_captured++;
}

/* The pacer forgives 10 ms of lateness (a sender woken late spends the
 * tokens it saved, so the rate is the one asked for), and while sends
 * leave on time it never sends two probes closer than SPACING_PCT of the
 * interval: a late wake-up is then caught up at most 1.25 times the rate,
 * not in a burst (engine_pace_spacing). The sleeps before a send end
 * WAKE_EARLY before it until their lateness is known (engine_wake_tune). */
static int start_pacer(struct kp_engine *e, char *err, size_t errlen)
{
    const struct kp_engine_params *par = e->par;
    uint32_t burst = par->pps / 100;
    if (burst < 2)
        burst = 2;
    if (burst > KP_PACER_MAX_BURST)
        burst = KP_PACER_MAX_BURST;
    int rc = kp_pacer_init(&e->pacer, par->pps, burst, par->pps_ceiling);
    if (rc < 0)
        return fail(err, errlen, rc, "pacer: %s", strerror(-rc));
    /* no sleep measured late yet: spacing where the interval allows it
     * (engine_pace_spacing) */
    e->spacing = false;
    e->late_typical = 0;
    e->wake_early = WAKE_EARLY;
    e->late_n = 0;
    kp_lateness_init(&e->late, LATE_BUCKET, LATE_WINDOW);
    engine_pace_spacing(e);
    return 0;
}

/* The receive path: every reply and every probe checked with the key. */
static int start_rx(struct kp_engine *e, char *err, size_t errlen)
{
    const struct kp_engine_params *par = e->par;
    static const struct kp_rx_classifier *const cls[] = {&kp_rx_classifier_kptrace};
    struct kp_rx_config rc_cfg = {
        .validate = kp_rx_kptrace_validate,             /* keyed check of every reply */
        .validate_probe = kp_rx_kptrace_validate_probe, /* and of every probe: ours only */
        .validate_ctx = &e->key,
        .classifiers = cls,
        .n_classifiers = 1,
        .vp = par->vp,
        .ts_source = e->st.ts_source,
        .run = {.first_ttl = par->first_ttl,
                .max_ttl = par->max_ttl,
                .attempts = par->attempts,
                .gap_limit = par->gap_limit,
                .wait_ms = par->wait_ms,
                .has_late = true,
                .late_ms = par->late_ms},
        .wait_ns = wait_ns(par),
        .linger_ns = 0, /* rx's per-probe rule (wait + late), the same as replay's */
        .idle_ns = 0,   /* rx's default, the same as replay's (own traces never idle out) */
        .lag_ns = CAPTURE_LAG + TICK_NS,
        .on_trace = engine_on_trace,
        .on_reply = engine_on_reply,
        .ctx = e,
    };
    int rc = kp_rx_create(&rc_cfg, &e->rx);
    if (rc)
        return fail(err, errlen, rc, "receive path: %s", strerror(-rc));
    return 0;
}

/* Before the first probe: the schedule, the pacer, the receive path, the
 * wake-up descriptor and the receive thread. */
static int run_start(struct kp_engine *e, char *err, size_t errlen)
{
    struct kp_schedule_config sc = {.seed = e->cfg.seed, .group_v4 = 24, .group_v6 = 48};
    int rc = kp_schedule_create(&sc, &e->sched);
    if (rc)
        return fail(err, errlen, rc, "schedule: %s", strerror(-rc));
    if ((rc = start_pacer(e, err, errlen)) || (rc = start_rx(e, err, errlen)))
        return rc;
    e->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    e->end_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (e->efd < 0 || e->end_efd < 0)
        return fail(err, errlen, -errno, "eventfd: %s", strerror(errno));
    /* sleeps end when asked, not up to 50 us later (the default timer
     * slack): the pacer's gaps are 100 us at 10000 pps */
    prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
    kp_backoff_init(&e->bo, BACKOFF_MIN, BACKOFF_MAX, (int64_t)e->par->fault_wait_s * 1000000000LL);
    e->st.start_ns = kp_clock_ns(CLOCK_REALTIME);
    e->mono_now = kp_clock_ns(CLOCK_MONOTONIC);
    if ((rc = pthread_create(&e->rx_thread, NULL, engine_rx_main, e)) != 0)
        return fail(err, errlen, -rc, "receive thread: %s", strerror(rc));
    e->rx_started = true;
    e->st.sender_realtime = e->realtime; /* kp_engine_open */
    return 0;
}

/* How long the sending thread may sleep: until its next send is due (the
 * schedule's next wake-up, the pacer's, the end of a send fault's pause),
 * or until the end once every trace is done; TICK_NS at most. A sleep
 * before a send (*for_send) ends wake_early before it (the rest is waited
 * for awake; engine_wake_tune). */
static int64_t sleep_ns(struct kp_engine *e, bool all_done, bool *for_send)
{
    int64_t timeout = TICK_NS;
    if (e->mine_pos < e->mine.n_rec || e->admit_more) { /* work left (engine_work_until) */
        *for_send = false;
        return 0;
    }
    if (all_done) {
        timeout = end_at(e) - e->mono_now;
    } else {
        int64_t wake = kp_schedule_next_wake(e->sched);
        if (wake != INT64_MAX) {
            int64_t d = wake - e->mono_now;
            int64_t pn = kp_pacer_next(&e->pacer, e->mono_now);
            if (pn > d)
                d = pn;
            if (e->bo.faulty && e->bo.until_ns - e->mono_now > d)
                d = e->bo.until_ns - e->mono_now;
            if (d < timeout)
                timeout = d;
        }
    }
    if (timeout > TICK_NS)
        timeout = TICK_NS;
    *for_send = !all_done && timeout < TICK_NS;
    if (*for_send)
        timeout -= e->wake_early;
    if (timeout < 0)
        timeout = 0;
    return timeout;
}

/* Sleep until the receive thread hands something over or timeout ns pass;
 * how late a sleep before a send ended tunes the wake-up and the spacing. */
static int sleep_for(struct kp_engine *e, int64_t timeout, bool for_send, char *err, size_t errlen)
{
    struct pollfd pfd = {.fd = e->efd, .events = POLLIN};
    struct timespec ts = {.tv_sec = timeout / 1000000000LL, .tv_nsec = timeout % 1000000000LL};
    int64_t slept_from = kp_clock_ns(CLOCK_MONOTONIC);
    int pr = ppoll(&pfd, 1, &ts, NULL);
    if (pr < 0 && errno != EINTR)
        return fail(err, errlen, -errno, "poll: %s", strerror(errno));
    if (pr == 0 && for_send && timeout > 0)
        engine_wake_tune(e, kp_clock_ns(CLOCK_MONOTONIC) - slept_from - timeout);
    return 0;
}

/* The sending thread's loop: take what the receive thread handed over,
 * send what is due, admit new traces, report progress, sleep. */
static int run_loop(struct kp_engine *e, char *err, size_t errlen)
{
    int64_t last_progress = 0, stop_at = 0;
    int rc;
    if ((rc = engine_admit(e, INT64_MAX, err, errlen)))
        return rc;
    for (;;) {
        e->mono_now = kp_clock_ns(CLOCK_MONOTONIC);
        engine_take_over(e, engine_work_until(e, false));
        e->mono_now = kp_clock_ns(CLOCK_MONOTONIC);
        bool stopping = (e->cfg.stop && *e->cfg.stop) || e->fail_rc;
        if (stopping && stop_at == 0) {
            e->st.interrupted = e->fail_rc == 0;
            engine_stop_all(e);
            stop_at = e->mono_now;
        }
        if (stop_at == 0) {
            int64_t from = e->mono_now;
            if ((rc = engine_send_some(e, err, errlen)))
                return rc;
            e->mono_now = kp_clock_ns(CLOCK_MONOTONIC);
            e->send_took = e->mono_now - from;
            if ((rc = engine_admit(e, engine_work_until(e, true), err, errlen)))
                return rc;
        }
        e->mono_now = kp_clock_ns(CLOCK_MONOTONIC);
        e->st.fault_now_ns = kp_backoff_fault_ns(&e->bo, e->mono_now);
        if (e->cfg.on_progress && e->mono_now - last_progress >= PROGRESS_NS) {
            engine_copy_stats(e);
            e->cfg.on_progress(e->cfg.ctx, &e->st, e->mono_now);
            last_progress = e->mono_now;
        }
        /* The end: every trace done and no unanswered probe can still be
         * answered (wait + late after it); after a stop, at once. */
        bool all_done = e->n_active == 0 && e->admit_end;
        if (stop_at != 0 || (all_done && e->mono_now >= end_at(e))) {
            if (stop_at == 0)
                e->st.late_end_ns = late_window(e);
            return 0;
        }
        bool for_send;
        int64_t timeout = sleep_ns(e, all_done, &for_send);
        if ((rc = sleep_for(e, timeout, for_send, err, errlen)))
            return rc;
    }
}

/* Ask the receive thread to finish, waking it from its wait for frames
 * (which would otherwise end only with the next block of frames or its tick). */
static void end_rx(struct kp_engine *e)
{
    atomic_store(&e->rx_end, true);
    uint64_t one = 1;
    ssize_t w = write(e->end_efd, &one, sizeof(one));
    (void)w;
}

/* The receive thread drains the capture until it shows every probe sent,
 * closes every trace and hands the last records over. */
static void stop_rx(struct kp_engine *e)
{
    atomic_store(&e->sent_total, e->st.probes_sent);
    e->rx_end_at = kp_clock_ns(CLOCK_MONOTONIC);
    end_rx(e);
    for (;;) {
        if (engine_take_over(e, INT64_MAX))
            break;
        struct pollfd pfd = {.fd = e->efd, .events = POLLIN};
        struct timespec ts = {.tv_sec = 0, .tv_nsec = 50000000L};
        ppoll(&pfd, 1, &ts, NULL);
    }
    pthread_join(e->rx_thread, NULL);
    e->rx_started = false;
    engine_take_over(e, INT64_MAX); /* nothing left: the thread was done */
}

/* The counters at the end of a run. */
static void final_stats(struct kp_engine *e)
{
    engine_copy_stats(e);
    /* planned traces without a record */
    e->st.skipped_not_started = e->st.jobs - e->st.started;
    kp_trace_owners_drain(&e->owners, count_unrecorded, e);
    e->st.end_ns = kp_clock_ns(CLOCK_REALTIME);
    e->st.wake_early_ns = e->wake_early;
    e->st.send_link = e->par->send_link;
    e->st.via_link = e->raw.via_link;
    e->st.via_ip = e->raw.via_ip;
    /* a fault still going on at the end counts, to the end */
    e->st.fault_now_ns = kp_backoff_fault_ns(&e->bo, kp_clock_ns(CLOCK_MONOTONIC));
    e->st.send_faults = e->bo.faults + (e->bo.faulty ? 1 : 0);
    e->st.send_fault_ns = e->bo.faulted_ns + e->st.fault_now_ns;
    if (e->st.fault_now_ns > e->bo.longest_ns)
        e->st.send_fault_max_ns = e->st.fault_now_ns;
}

int kp_engine_run(struct kp_engine *e, char *err, size_t errlen)
{
    if (!e->opened)
        return fail(err, errlen, -EINVAL, "engine not opened");
    int rc = run_start(e, err, errlen);
    if (rc)
        return rc;
    rc = run_loop(e, err, errlen);
    stop_rx(e);
    if (rc)
        return rc;
    final_stats(e);
    if (e->fail_rc)
        return fail(err, errlen, e->fail_rc, "%s", e->fail_msg);
    if (e->err[0] && e->st.probes_sent == 0)
        return fail(err, errlen, -EIO, "%s", e->err);
    if (e->st.probes_sent > 0 && e->st.rx_probes == 0)
        return fail(err, errlen, -EIO,
                    "the capture on %s saw none of the %llu probes sent (wrong --iface?)",
                    e->cfg.iface, (unsigned long long)e->st.probes_sent);
    return 0;
}

const struct kp_engine_stats *kp_engine_stats(const struct kp_engine *e)
{
    return &e->st;
}

int kp_engine_dry_run(struct kp_engine *e, void (*cb)(void *ctx, const uint8_t *pkt, size_t len),
                      void *ctx, char *err, size_t errlen)
{
    const struct kp_engine_params *par = e->par;
    uint8_t pkt[PKT_MAX];
    struct kp_jobs jobs;
    int rc = kp_jobs_init(&jobs, e->cfg.ranges, e->cfg.n_ranges, par->n_methods, e->cfg.seed,
                          e->cfg.done);
    if (rc)
        return fail(err, errlen, rc, "planning: %s", strerror(-rc));
    struct kp_job j;
    uint32_t id = e->next_id;
    while (kp_jobs_next(&jobs, &j)) {
        for (unsigned ttl = par->first_ttl; ttl <= par->max_ttl; ttl++) {
            struct kp_probe_spec spec;
            memset(&spec, 0, sizeof(spec));
            spec.src = e->cfg.src;
            spec.dst = kp_addr_v4(j.addr);
            spec.sport = par->sport;
            spec.dport = par->dport;
            spec.ttl = (uint8_t)ttl;
            spec.trace_id = id;
            spec.size = par->size;
            spec.key = &e->key;
            size_t len = sizeof(pkt);
            rc = e->methods[j.mi]->build(&spec, pkt, &len);
            if (rc) {
                kp_jobs_free(&jobs);
                return fail(err, errlen, rc, "building a %s probe: %s", e->methods[j.mi]->name,
                            strerror(-rc));
            }
            cb(ctx, pkt, len);
        }
        id++;
    }
    kp_jobs_free(&jobs);
    return 0;
}

/* The pieces of one run that the next one builds anew (run_start), and
 * the plan: admission over the new ranges, empty owners, slots, stop sets. */
static int reset_run(struct kp_engine *e, char *err, size_t errlen)
{
    kp_rx_destroy(e->rx);
    e->rx = NULL;
    kp_schedule_destroy(e->sched);
    e->sched = NULL;
    if (e->efd >= 0)
        close(e->efd);
    e->efd = -1;
    if (e->end_efd >= 0)
        close(e->end_efd);
    e->end_efd = -1;
    engine_handover_free(&e->stage);
    engine_handover_free(&e->shared);
    engine_handover_free(&e->mine);
    e->mine_pos = 0;
    for (uint32_t i = 0; i < e->max_active; i++) {
        free(e->act[i]);
        e->act[i] = NULL;
    }
    for (unsigned i = 0; i < KP_ENGINE_MAX_METHODS; i++) {
        kp_stopset_free(&e->stopsets[i]);
        kp_stopset_init(&e->stopsets[i]);
    }
    kp_trace_owners_free(&e->owners);
    kp_trace_owners_init(&e->owners);
    kp_slots_free(&e->slots);
    kp_admit_destroy(e->adm);
    e->adm = NULL;
    if (kp_slots_init(&e->slots, e->max_active) != 0)
        return fail(err, errlen, -ENOMEM, "out of memory");
    return 0;
}

int kp_engine_rekey(struct kp_engine *e, uint64_t seed)
{
    if (e->rx_started)
        return -EINVAL;
    kp_key_from_seed(seed, &e->key);
    return 0;
}

int kp_engine_replan(struct kp_engine *e, const struct kp_target_range *ranges, size_t n,
                     uint64_t seed, uint32_t min_tid, char *err, size_t errlen)
{
    if (!e->opened || e->rx_started)
        return fail(err, errlen, -EINVAL, "engine not opened or still running");
    int rc = reset_run(e, err, errlen);
    if (rc)
        return rc;
    e->cfg.ranges = ranges;
    e->cfg.n_ranges = n;
    e->cfg.seed = seed; /* the order; the key stays the first seed's */
    e->cfg.done = NULL;
    struct kp_admit_config ac = {
        .ranges = ranges,
        .n_ranges = n,
        .n_methods = e->par->n_methods,
        .seed = seed,
        .doubletree = e->par->doubletree,
        .max_queued = 4 * e->max_active,
    };
    if ((rc = kp_admit_create(&ac, &e->adm)) != 0)
        return fail(err, errlen, rc, rc == -ENOMEM ? "out of memory" : "the targets overlap");
    char ts[sizeof(e->st.ts_source)];
    memcpy(ts, e->st.ts_source, sizeof(ts));
    memset(&e->st, 0, sizeof(e->st));
    memcpy(e->st.ts_source, ts, sizeof(ts));
    e->st.jobs = kp_admit_jobs(e->adm);
    if (min_tid > e->next_id)
        e->next_id = min_tid;
    e->st.next_id = e->next_id;
    e->n_active = 0;
    e->admit_end = false;
    e->end_by = 0;
    e->fail_rc = 0;
    e->fail_msg[0] = e->err[0] = '\0';
    e->rx_done = false;
    e->rx_err = e->cap_err = 0;
    e->cap_fatal[0] = '\0';
    atomic_store(&e->rx_end, false);
    atomic_store(&e->sent_total, 0);
    e->frames = e->frames_shared = 0;
    memset(&e->rs_shared, 0, sizeof(e->rs_shared));
    memset(&e->bo, 0, sizeof(e->bo));
    e->ring_head = 0;
    memset(e->ring_t, 0, sizeof(e->ring_t));
    memset(e->ring_n, 0, sizeof(e->ring_n));
    e->at_fault_upto = 0;
    if (e->st.jobs == 0)
        return fail(err, errlen, -EINVAL, "no targets");
    return 0;
}

/* Between runs: the capture file closed, before another is set. */
static int pcap_unset(struct kp_engine *e, char *err, size_t errlen)
{
    if (e->rx_started)
        return fail(err, errlen, -EINVAL, "engine still running");
    int rc = kp_capture_dump_close(&e->cap);
    if (rc)
        return fail(err, errlen, rc, "%s: %s", e->cfg.pcap_path ? e->cfg.pcap_path : "capture",
                    strerror(-rc));
    return 0;
}

int kp_engine_set_pcap(struct kp_engine *e, const char *path, bool append, char *err, size_t errlen)
{
    int rc = pcap_unset(e, err, errlen);
    if (rc)
        return rc;
    e->cfg.pcap_path = path;
    if (path == NULL)
        return 0;
    return append && access(path, F_OK) == 0 ? kp_capture_dump_append(&e->cap, path, err, errlen)
                                             : kp_capture_dump_open(&e->cap, path, err, errlen);
}

int kp_engine_set_pcap_fd(struct kp_engine *e, int fd, const char *name, char *err, size_t errlen)
{
    int rc = pcap_unset(e, err, errlen);
    if (rc) {
        close(fd);
        return rc;
    }
    e->cfg.pcap_path = name;
    return kp_capture_dump_fd(&e->cap, fd, name, err, errlen);
}

void kp_engine_destroy(struct kp_engine *e)
{
    if (e == NULL)
        return;
    if (e->rx_started) {
        end_rx(e);
        pthread_join(e->rx_thread, NULL);
    }
    if (e->realtime) /* kp_engine_open */
        (void)kp_rt_leave();
    engine_handover_free(&e->stage);
    engine_handover_free(&e->shared);
    engine_handover_free(&e->mine);
    e->mine_pos = 0;
    if (e->efd >= 0)
        close(e->efd);
    if (e->end_efd >= 0)
        close(e->end_efd);
    pthread_mutex_destroy(&e->mu);
    if (e->act) {
        for (uint32_t i = 0; i < e->max_active; i++)
            free(e->act[i]);
        free(e->act);
    }
    kp_rx_destroy(e->rx);
    kp_schedule_destroy(e->sched);
    for (unsigned i = 0; i < KP_ENGINE_MAX_METHODS; i++)
        kp_stopset_free(&e->stopsets[i]);
    kp_trace_owners_free(&e->owners);
    kp_admit_destroy(e->adm);
    kp_slots_free(&e->slots);
    kp_capture_close(&e->cap);
    kp_raw_close(&e->raw);
    free(e->pkts);
    free(e);
}
