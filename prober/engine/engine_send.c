/* SPDX-License-Identifier: BSD-2-Clause */
/* engine_send.c — the sending thread: admitting traces, pacing, building and sending probes,
 * Doubletree learning. See engine.h. */
#include "prober/engine/engine_int.h"

/* The border TTL a finished (or released) trace found: the highest TTL a
 * router answered below the destination's (or the stopping unreachable's,
 * which counts as a router). 0 when none. */
static uint8_t border_of(const struct active *a)
{
    unsigned limit = a->dst_ttl ? a->dst_ttl : 64;
    for (unsigned ttl = limit - 1; ttl >= 1; ttl--)
        if (a->router_mask & (1ull << ttl))
            return (uint8_t)ttl;
    return 0;
}

static void release(struct kp_engine *e, struct active *a)
{
    if (!a->pilot || a->released)
        return;
    a->released = true;
    uint8_t b = border_of(a);
    if (b)
        kp_stopset_set_border(&e->stopsets[a->mi], &a->dst, b);
    kp_admit_release(e->adm, a->bucket);
}

/* ---- rx callbacks ------------------------------------------------------- */

/* Sending thread: a record, checked against the plan, then the caller's. */
void engine_take_record(struct kp_engine *e, struct kp_trace *t)
{
    struct kp_trace_owner *own;
    if (kp_trace_owners_take(&e->owners, t, &own) == KP_OWNER_OK) {
        t->send_failed = own->send_failed; /* the capture cannot know them */
        if (own->running != NULL)
            ((struct active *)own->running)->own = NULL; /* closed early: counted by rx */
        kp_trace_owner_free(own);
        e->st.traces_written++;
    } else {
        e->st.records_unplanned++;
    }
    if (e->cfg.on_trace)
        e->cfg.on_trace(e->cfg.ctx, t);
}

/* Sending thread: a reply to one of the traces, for its tracer. */
void engine_take_reply(struct kp_engine *e, const struct reply_ev *r)
{
    if (r->rtt_ns > wait_ns(e->par) && r->rtt_ns - wait_ns(e->par) > e->late_seen_ns)
        e->late_seen_ns = r->rtt_ns - wait_ns(e->par);
    struct kp_trace_owner *own = kp_trace_owners_find(&e->owners, r->id);
    if (own == NULL || own->running == NULL)
        return;
    struct active *a = own->running;
    if (!kp_addr_eq(&r->dst, &a->dst))
        return;
    enum kp_tracer_event ev = r->kind == KP_RX_REACHED   ? KP_TRACER_EV_REACHED
                              : r->kind == KP_RX_UNREACH ? KP_TRACER_EV_UNREACH
                                                         : KP_TRACER_EV_HOP;
    if (r->rtt_ns >= 0)
        kp_tracer_rtt(&a->tr, r->rtt_ns);
    /* the tracer checks the stop set before this reply joins it */
    kp_tracer_reply(&a->tr, r->ttl, r->attempt, ev, r->stop, &r->from);
    if (r->ttl <= KP_TRACER_MAX_TTL) {
        if (r->from_dst) {
            if (a->dst_ttl == 0 || r->ttl < a->dst_ttl)
                a->dst_ttl = r->ttl;
        } else {
            a->router_mask |= 1ull << r->ttl;
            if (kp_addr_is_set(&r->from))
                kp_stopset_add_iface(&e->stopsets[a->mi], &r->from);
            if (ev == KP_TRACER_EV_UNREACH && (a->unreach_ttl == 0 || r->ttl < a->unreach_ttl))
                a->unreach_ttl = r->ttl;
        }
    }
    if (a->pilot && !a->released && kp_tracer_forward_done(&a->tr))
        release(e, a);
    kp_schedule_arm(e->sched, a->handle, e->mono_now);
}

/* ---- running ------------------------------------------------------------ */

static void finish_active(struct kp_engine *e, struct active *a)
{
    e->st.done++;
    e->st.probes_saved += a->tr.probes_saved;
    int64_t until = kp_tracer_outstanding_until(&a->tr);
    if (until > e->end_by)
        e->end_by = until;
    uint8_t b = border_of(a);
    if (b)
        kp_stopset_set_border(&e->stopsets[a->mi], &a->dst, b);
    if (a->pilot) {
        a->released = true;
        kp_admit_pilot_done(e->adm, a->bucket);
    }
    if (a->own) {
        a->own->probes_sent = a->sent;
        a->own->running = NULL;
    }
    kp_schedule_remove(e->sched, a->handle);
    kp_slots_put(&e->slots, a->slot);
    e->act[a->slot] = NULL;
    e->n_active--;
    free(a);
}

static int start_job(struct kp_engine *e, const struct kp_admit_start *s, char *err, size_t errlen)
{
    const struct kp_engine_params *par = e->par;
    int64_t slot = kp_slots_take(&e->slots);
    if (slot < 0)
        return fail(err, errlen, -EIO, "no free slot with %u traces running", e->n_active);
    /* on cache lines of its own: ahead_fetch fetches no line more than it
     * spans */
    struct active *a = aligned_alloc(64, (sizeof(*a) + 63) & ~(size_t)63);
    if (a == NULL) {
        kp_slots_put(&e->slots, (uint32_t)slot);
        return -ENOMEM;
    }
    memset(a, 0, sizeof(*a));
    uint32_t id = e->next_id++;
    if (e->next_id == 0)
        e->next_id = 1;
    e->st.next_id = e->next_id;
    a->slot = (uint32_t)slot;
    a->id = id;
    a->bucket = s->bucket;
    a->dst = kp_addr_v4(s->job.addr);
    a->mi = s->job.mi;
    a->m = e->methods[a->mi];
    a->pilot = s->pilot;
    struct kp_tracer_params p;
    kp_tracer_params_default(&p);
    p.first_ttl = par->first_ttl;
    p.max_ttl = par->max_ttl;
    p.attempts = par->attempts;
    p.gap_limit = par->gap_limit;
    p.window = par->window;
    p.wait_ns = wait_ns(par);
    p.linger_ns = linger_ns(par); /* as rx: replies until wait + late */
    if (s->pilot) {
        /* the pilot does not wait a whole wait on a silent router before the
         * next TTL (tracer.h: presume_ns), so that its followers, released
         * when it has its answer, start soon */
        p.presume_ns = p.wait_ns / 10;
        p.publish = s->hint;
    } else if (s->follower) {
        p.start_ttl = kp_stopset_border(&e->stopsets[a->mi], &a->dst);
        if (p.start_ttl > par->max_ttl)
            p.start_ttl = par->max_ttl;
        p.stopset = &e->stopsets[a->mi];
        p.hint = s->hint;
    }
    int rc = kp_tracer_init(&a->tr, &p);
    if (rc) {
        kp_slots_put(&e->slots, (uint32_t)slot);
        free(a);
        return fail(err, errlen, rc, "tracer parameters rejected");
    }
    a->own = kp_trace_owners_add(&e->owners, id, &a->dst, a->m->id, s->job.index);
    if (a->own == NULL || (rc = kp_schedule_add(e->sched, &a->dst, a, e->mono_now, &a->handle))) {
        if (a->own) {
            struct kp_trace fake;
            kp_trace_init(&fake);
            fake.id = id;
            fake.dst = a->dst;
            fake.method = a->m->id;
            struct kp_trace_owner *x;
            if (kp_trace_owners_take(&e->owners, &fake, &x) == KP_OWNER_OK)
                kp_trace_owner_free(x);
        }
        kp_slots_put(&e->slots, (uint32_t)slot);
        free(a);
        return -ENOMEM;
    }
    a->own->running = a;
    e->act[slot] = a;
    e->n_active++;
    if (e->n_active > e->st.active_max)
        e->st.active_max = e->n_active;
    e->st.started++;
    return 0;
}

/* Other work than sending (records handed over, traces to admit) goes on
 * until shortly before the next send is due, so that a wave of traces
 * ending or becoming admissible at once does not hold the pace up; and at
 * least half as long as the last sending took, so that when sends are due
 * all the time (unpaced) neither starves. Work that makes sends due at once
 * (makes_work: traces admitted are ready) stops before the pacer's next
 * token; other work, with nothing waiting to be sent, does all of it. */
int64_t engine_work_until(struct kp_engine *e, bool makes_work)
{
    int64_t now = e->mono_now;
    int64_t due = makes_work ? now : kp_schedule_next_wake(e->sched);
    if (due == INT64_MAX)
        return INT64_MAX;
    int64_t pn = now + kp_pacer_next(&e->pacer, now);
    if (pn > due)
        due = pn;
    if (e->bo.faulty && e->bo.until_ns > due)
        due = e->bo.until_ns;
    due -= WORK_MARGIN;
    int64_t least = now + e->send_took / 2;
    return due > least ? due : least;
}

/* Start traces while there is room, one at least, until `until`
 * (CLOCK_MONOTONIC; engine_work_until); admit_more tells whether time
 * stopped it. */
int engine_admit(struct kp_engine *e, int64_t until, char *err, size_t errlen)
{
    e->admit_more = false;
    for (unsigned k = 0; e->n_active < e->max_active && !e->admit_end; k++) {
        if (work_past(until, k)) {
            e->admit_more = true;
            break;
        }
        struct kp_admit_start s;
        int rc = kp_admit_next(e->adm, &s);
        if (rc < 0)
            return fail(err, errlen, rc, "out of memory");
        if (rc == KP_ADMIT_END)
            e->admit_end = true;
        if (rc != KP_ADMIT_START)
            break;
        if ((rc = start_job(e, &s, err, errlen)))
            return rc;
    }
    return 0;
}

static void count_errno(struct kp_engine *e, int rc)
{
    int en = -rc;
    if (en < 0 || en >= KP_ENGINE_ERRNO_MAX)
        en = KP_ENGINE_ERRNO_MAX - 1;
    e->st.send_errno[en]++;
}

/* Probes sent in the `window` ns before now: a link that fails may drop
 * what is on its way out while the kernel reports it sent. */
static uint64_t sent_lately(struct kp_engine *e, int64_t now, int64_t window)
{
    uint64_t since = e->st.probes_sent;
    for (uint32_t k = 0; k < SENT_RING; k++) {
        uint32_t i = (e->ring_head + SENT_RING - 1 - k) % SENT_RING;
        if (e->ring_t[i] == 0 || now - e->ring_t[i] > window)
            break;
        since = e->ring_n[i];
    }
    /* not those counted at an earlier fault already */
    if (since < e->at_fault_upto)
        since = e->at_fault_upto;
    e->at_fault_upto = e->st.probes_sent;
    return e->st.probes_sent - since;
}

/* A send of trace a was refused for a moment at now: the global pause
 * (backoff.h); a fault beyond --fault-wait ends the run, a trace whose own
 * sends were refused that long (its destination alone unreachable while
 * others go through) stops with "error". */
static void send_refused(struct kp_engine *e, struct active *a, int rc)
{
    int64_t now = e->mono_now, limit = (int64_t)e->par->fault_wait_s * 1000000000LL;
    e->st.send_retries++;
    e->st.fault_errno = -rc;
    if (a->own)
        a->own->send_failed++;
    if (a->fail_since == 0)
        a->fail_since = now;
    if (!e->bo.faulty)
        e->st.probes_at_fault += sent_lately(e, now, AT_FAULT_NS);
    if (kp_backoff_fail(&e->bo, now)) {
        char m[256];
        snprintf(m, sizeof(m),
                 "sends refused for %lld s (%s), beyond --fault-wait %u s: the traces not "
                 "finished are recorded as interrupted; --resume probes them",
                 (long long)(kp_backoff_fault_ns(&e->bo, now) / 1000000000LL), strerror(-rc),
                 e->par->fault_wait_s);
        kp_engine_fail(e, rc, m);
    } else if (now - a->fail_since > limit) {
        e->st.send_errors++;
        if (!e->err[0])
            snprintf(e->err, sizeof(e->err), "sending to trace %llu: %s for %u s",
                     a->own ? (unsigned long long)a->own->id : 0ull, strerror(-rc),
                     e->par->fault_wait_s);
        kp_tracer_abort(&a->tr, KP_STOP_ERROR);
    }
}

/* Send the batch collected: probes that left are counted; on a transient
 * error (backoff.h: no route, the link down, the buffer full, a firewall)
 * the probe and those after it are unsent (their tracers send them again:
 * the attempt is not used up) and sending pauses for everyone; on another
 * error the trace of that probe stops ("error") and the rest of the batch is
 * tried again. The first send that goes through after a fault ends it and
 * the pacer starts again from then, with nothing saved up. */
static void flush_batch(struct kp_engine *e, unsigned n)
{
    unsigned off = 0;
    while (off < n) {
        unsigned sent = 0;
        int rc = kp_raw_send_batch(&e->raw, e->batch + off, n - off, &sent);
        /* the waits count from when the probes left (after the kernel's
         * capture timestamps of them) */
        int64_t left = kp_clock_ns(CLOCK_MONOTONIC);
        for (unsigned i = off; i < off + sent; i++) {
            struct active *a = e->pend[i].a;
            kp_tracer_sent(&a->tr, &e->pend[i].pr, left);
            a->fail_since = 0;
            e->st.probes_sent++;
            a->sent++;
        }
        if (sent > 0) {
            e->ring_t[e->ring_head] = left;
            e->ring_n[e->ring_head] = e->st.probes_sent - sent;
            e->ring_head = (e->ring_head + 1) % SENT_RING;
            e->st.last_probe_ns = kp_clock_ns(CLOCK_REALTIME);
            if (kp_backoff_ok(&e->bo, left)) {
                kp_pacer_restart(&e->pacer, left);
                e->st.send_faults = e->bo.faults;
                e->st.send_fault_ns = e->bo.faulted_ns;
                e->st.send_fault_max_ns = e->bo.longest_ns;
            }
        }
        off += sent;
        if (rc == 0)
            break;
        count_errno(e, rc);
        if (kp_send_error_transient(rc)) {
            send_refused(e, e->pend[off].a, rc);
            for (unsigned i = n; i-- > off;) {
                kp_tracer_unsend(&e->pend[i].a->tr, &e->pend[i].pr, e->mono_now);
                kp_schedule_arm(e->sched, e->pend[i].handle, e->mono_now);
            }
            return;
        }
        struct active *a = e->pend[off].a;
        e->st.send_errors++;
        if (!e->err[0])
            snprintf(e->err, sizeof(e->err), "sending to trace %llu: %s",
                     a->own ? (unsigned long long)a->own->id : 0ull, strerror(-rc));
        kp_tracer_abort(&a->tr, KP_STOP_ERROR);
        off++;
    }
}

/* The traces picked ahead of the one being built (struct ahead): each
 * is a random one among thousands, cold in the cache, so its state is
 * fetched while the probes before it are built. */
static void ahead_fetch(const struct active *a)
{
    const char *p = (const char *)a, *end = (const char *)(a + 1);
    for (; p < end; p += 64)
        __builtin_prefetch(p, 1);
}

/* Pick ahead while the schedule has ready traces, up to AHEAD. */
static void ahead_fill(struct kp_engine *e, int64_t now)
{
    struct ahead *q = &e->ahead;
    while (q->n < AHEAD) {
        void *item;
        uint32_t h;
        if (kp_schedule_pick(e->sched, now, &item, &h) != 0)
            return;
        unsigned i = (q->head + q->n++) % AHEAD;
        q->a[i] = item;
        q->h[i] = h;
        ahead_fetch(item);
    }
}

/* The next trace picked (the oldest ahead): 0, or -EAGAIN when none is ready. */
static int ahead_take(struct kp_engine *e, int64_t now, struct active **a, uint32_t *h)
{
    struct ahead *q = &e->ahead;
    if (q->n == 0)
        ahead_fill(e, now);
    if (q->n == 0)
        return -EAGAIN;
    *a = q->a[q->head];
    *h = q->h[q->head];
    q->head = (q->head + 1) % AHEAD;
    q->n--;
    ahead_fill(e, now);
    return 0;
}

/* The traces picked ahead and not used go back to the schedule, ready as
 * they were (sending stops for the pacer, a fault, or the end of the
 * batches; a later pick may choose others). */
static void ahead_return(struct kp_engine *e)
{
    struct ahead *q = &e->ahead;
    for (; q->n > 0; q->n--, q->head = (q->head + 1) % AHEAD)
        kp_schedule_arm(e->sched, q->h[q->head], e->mono_now);
}

/* The batches of engine_send_some, with traces picked ahead (ahead_take). */
static int send_batches(struct kp_engine *e, char *err, size_t errlen)
{
    const struct kp_engine_params *par = e->par;
    if (atomic_load(&e->cap_down)) {
        if (!e->cap_down_seen) /* the interface went away with what it was sending */
            /* (noticed up to a tick of the receive thread late) */
            e->st.probes_at_fault += sent_lately(e, e->mono_now, AT_FAULT_NS + TICK_NS);
        e->cap_down_seen = true;
        return 0; /* a probe the capture cannot see would be lost to the record */
    }
    e->cap_down_seen = false;
    for (int round = 0; round < 64; round++) {
        unsigned n = 0;
        while (n < BATCH) {
            int64_t now = e->mono_now;
            /* while the network refuses sends, one probe at a time tries */
            if (kp_backoff_paused(&e->bo, now) || (e->bo.faulty && n > 0) ||
                kp_pacer_next(&e->pacer, now) > 0)
                break;
            struct active *a;
            uint32_t h;
            if (ahead_take(e, now, &a, &h) != 0)
                break;
            struct kp_tracer_probe pr;
            int64_t wake = INT64_MAX;
            enum kp_tracer_status s =
                kp_tracer_next(&a->tr, now, kp_schedule_rand(e->sched), &pr, &wake);
            if (s == KP_TRACER_DONE) {
                /* not while its probes wait in the batch */
                bool queued = false;
                for (unsigned i = 0; i < n; i++)
                    queued |= e->pend[i].a == a;
                if (queued) {
                    kp_schedule_arm(e->sched, h, now);
                    break;
                }
                finish_active(e, a);
                int rc = engine_admit(e, 0, err, errlen); /* its room */
                if (rc)
                    return rc;
                continue;
            }
            if (s == KP_TRACER_WAIT) {
                kp_schedule_arm(e->sched, h, wake > now ? wake : now + 1000000);
                continue;
            }
            kp_pacer_take(&e->pacer, now);
            struct kp_probe_spec spec;
            memset(&spec, 0, sizeof(spec));
            spec.src = e->cfg.src;
            spec.dst = a->dst;
            spec.sport = par->sport;
            spec.dport = par->dport;
            spec.ttl = pr.ttl;
            spec.attempt = pr.attempt;
            spec.trace_id = a->own ? a->id : 0;
            spec.slot = (uint16_t)a->slot;
            spec.size = par->size;
            spec.key = &e->key;
            uint8_t *pkt = e->pkts + (size_t)n * PKT_MAX;
            size_t len = PKT_MAX;
            int rc = -EINVAL;
            if (a->tpl_len > 0) {
                /* the trace's first probe, rewritten for this TTL and attempt */
                memcpy(pkt, a->tpl, a->tpl_len);
                len = a->tpl_len;
                rc = a->m->patch(&spec, pkt, len);
            }
            if (rc != 0) {
                len = PKT_MAX;
                rc = a->m->build(&spec, pkt, &len);
                if (rc == 0 && len <= TPL_MAX && a->m->patch(&spec, pkt, len) == 0) {
                    memcpy(a->tpl, pkt, len);
                    a->tpl_len = (uint16_t)len;
                }
            }
            kp_schedule_arm(e->sched, h, now);
            if (rc) {
                e->st.send_errors++;
                snprintf(e->err, sizeof(e->err), "building a %s probe: %s", a->m->name,
                         strerror(-rc));
                kp_tracer_abort(&a->tr, KP_STOP_ERROR);
                continue;
            }
            e->batch[n] = (struct kp_raw_pkt){.data = pkt, .len = len, .dst = a->dst};
            e->pend[n] = (struct pending){.a = a, .pr = pr, .handle = h};
            n++;
        }
        if (n == 0)
            return 0;
        flush_batch(e, n);
        if (n < BATCH || e->bo.faulty || e->fail_rc)
            return 0;
    }
    return 0;
}

/* Collect ready probes while the pacer has tokens (up to BATCH), build
 * them and send them in one batch; repeat while there is work. */
int engine_send_some(struct kp_engine *e, char *err, size_t errlen)
{
    int rc = send_batches(e, err, errlen);
    ahead_return(e);
    return rc;
}

/* How late sends typically leave after their sleep (the median sleep's
 * lateness beyond wake_early) decides the spacing: while they leave on time
 * the pacer spreads a catch-up (SPACING_PCT of the interval at least
 * between two probes, so a catch-up runs at most 100 / (100 - SPACING_PCT)
 * times faster than the pace); when the typical send leaves later than half
 * of what a catch-up can win back in an interval, spacing would cost the
 * rate itself (each probe waiting for a late wake-up), so the tokens saved
 * go out together, as few as the lateness calls for. A rare stall (the
 * machine busy for a while) does not turn the spacing off: its catch-up is
 * spread as any other. */
void engine_pace_spacing(struct kp_engine *e)
{
    /* spacing needs a sleep between two probes: none when the interval is
     * no longer than the time a sleep before a send ends early; then what
     * the bucket holds leaves in batches (one sendmmsg each) */
    int64_t iv = e->pacer.interval_ns;
    bool want = e->late_typical * 200 < iv * (int64_t)(100 - SPACING_PCT) && iv > e->wake_early;
    if (want != e->spacing) {
        kp_pacer_set_spacing(&e->pacer, want ? SPACING_PCT : 0);
        e->spacing = want;
    }
}

/* A sleep before a send ended `over` ns after it was asked to. The sleeps
 * end wake_early before a send and the sender waits the rest awake. At
 * real-time priority (--realtime): enough to cover 99 % of the sleeps'
 * lateness, as measured lately (lateness.h), and WAKE_EARLY at least; at
 * most three quarters of the interval, so that the sender sleeps a quarter
 * of each interval at least. At the default policy WAKE_EARLY: waiting
 * longer awake did not help there (the waiting thread is preempted itself)
 * and would cost most of a core at 10000 pps. What is left of the
 * lateness makes a send late. */
void engine_wake_tune(struct kp_engine *e, int64_t over)
{
    kp_lateness_add(&e->late, over);
    if (++e->late_n < LATE_TUNE)
        return;
    e->late_n = 0;
    if (e->realtime) {
        int64_t q = kp_lateness_quantile(&e->late, 990);
        int64_t most = e->pacer.interval_ns * 3 / 4;
        if (q > most)
            q = most;
        e->wake_early = q > WAKE_EARLY ? q : WAKE_EARLY;
    }
    int64_t typical = kp_lateness_quantile(&e->late, 500) - e->wake_early;
    e->late_typical = typical > 0 ? typical : 0;
    engine_pace_spacing(e);
}

void engine_stop_all(struct kp_engine *e)
{
    for (uint32_t i = 0; i < e->max_active; i++)
        if (e->act[i]) {
            kp_tracer_abort(&e->act[i]->tr, KP_STOP_INTERRUPTED);
            finish_active(e, e->act[i]);
        }
    e->admit_end = true;
}
