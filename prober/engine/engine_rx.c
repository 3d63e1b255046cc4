/* SPDX-License-Identifier: BSD-2-Clause */
/* engine_rx.c — the receive thread (capture, rx) and its hand-over to the sending thread. See
 * engine.h. */
#include "prober/engine/engine_int.h"

/* Receive thread: rx closed a record: move it (its hops too) into the stage. */
void engine_on_trace(void *ctx, struct kp_trace *t)
{
    struct kp_engine *e = ctx;
    struct handover *h = &e->stage;
    struct kp_trace *c = malloc(sizeof(*c));
    if (h->n_rec == h->cap_rec) {
        size_t cap = h->cap_rec ? 2 * h->cap_rec : 256;
        struct kp_trace **n = realloc(h->rec, cap * sizeof(*n));
        if (n == NULL) {
            free(c);
            e->rx_err = -ENOMEM;
            return;
        }
        h->rec = n;
        h->cap_rec = cap;
    }
    if (c == NULL) {
        e->rx_err = -ENOMEM;
        return;
    }
    *c = *t; /* takes the hops (rx.h: the callee may) */
    t->hops = NULL;
    t->n_hops = t->cap_hops = 0;
    h->rec[h->n_rec++] = c;
}

/* Receive thread: a matched reply: staged for the sending thread. */
void engine_on_reply(void *ctx, const struct kp_rx_reply *r)
{
    struct kp_engine *e = ctx;
    struct handover *h = &e->stage;
    if (r->kind == KP_RX_OTHER)
        return;
    if (h->n_ev == h->cap_ev) {
        size_t cap = h->cap_ev ? 2 * h->cap_ev : 1024;
        struct reply_ev *n = realloc(h->ev, cap * sizeof(*n));
        if (n == NULL) {
            e->rx_err = -ENOMEM;
            return;
        }
        h->ev = n;
        h->cap_ev = cap;
    }
    const struct kp_hop *hop = r->hop;
    h->ev[h->n_ev++] = (struct reply_ev){
        .id = r->trace->id,
        .dst = r->trace->dst,
        .from = hop->addr,
        .ttl = hop->ttl,
        .attempt = hop->attempt,
        .from_dst = (hop->flags & KP_HOP_FROM_DST) || r->kind == KP_RX_REACHED,
        .kind = r->kind,
        .stop = r->stop,
        .rtt_ns = hop->rtt_ms >= 0 ? (int64_t)(hop->rtt_ms * 1e6) : -1,
    };
}

/* ---- the receive thread ------------------------------------------------- */

static void on_frame(void *ctx, int dlt, const uint8_t *frame, uint32_t caplen, uint32_t len,
                     int64_t ts_ns)
{
    struct kp_engine *e = ctx;
    (void)len;
    e->frames++;
    if (kp_rx_frame(e->rx, dlt, ts_ns, frame, caplen) != 0)
        e->rx_err = -ENOMEM;
}

/* Append the n_src elements of src to the array *dst (n, cap grown as
 * needed); *n_src becomes 0. 0 or -ENOMEM (then nothing moved). */
static int append(void *dst, size_t *n, size_t *cap, const void *src, size_t *n_src, size_t elem)
{
    void **arr = dst;
    if (*n_src == 0)
        return 0; /* nothing to move (src may be NULL: memcpy may not take it) */
    if (*n + *n_src > *cap) {
        size_t c = *cap ? *cap : 256;
        while (c < *n + *n_src)
            c *= 2;
        void *x = realloc(*arr, c * elem);
        if (x == NULL)
            return -ENOMEM;
        *arr = x;
        *cap = c;
    }
    memcpy((char *)*arr + *n * elem, src, *n_src * elem);
    *n += *n_src;
    *n_src = 0;
    return 0;
}

/* Sending thread: take the array *from (its n, cap) and leave in its place
 * the array *to, which was worked through (as in append, the pointers are
 * passed as the addresses of the array fields). */
static void take_array(void *to, size_t *n_to, size_t *cap_to, void *from, size_t *n_from,
                       size_t *cap_from)
{
    void **a = to, **b = from, *p = *a;
    size_t c = *cap_to;
    *a = *b;
    *b = p;
    *cap_to = *cap_from;
    *cap_from = c;
    *n_to = *n_from;
    *n_from = 0;
}

/* Receive thread: hand what was staged (and the counters) over. */
static void publish(struct kp_engine *e, bool done)
{
    /* the kernel's counters read before the lock: the sending thread,
     * real-time, waits for nothing but the copies under it */
    uint64_t recv, drop, ifdrop;
    kp_capture_stats(&e->cap, &recv, &drop, &ifdrop);
    pthread_mutex_lock(&e->mu);
    struct handover *s = &e->stage, *d = &e->shared;
    bool any = s->n_ev > 0 || s->n_rec > 0 || done;
    if (d->n_ev == 0 && d->n_rec == 0) {
        struct handover t = *d; /* swap: no copy */
        *d = *s;
        *s = t;
    } else {
        /* the sending thread has not taken the last batch yet: append */
        if (append(&d->ev, &d->n_ev, &d->cap_ev, s->ev, &s->n_ev, sizeof(*s->ev)) ||
            append(&d->rec, &d->n_rec, &d->cap_rec, s->rec, &s->n_rec, sizeof(*s->rec)))
            e->rx_err = -ENOMEM;
    }
    e->rs_shared = *kp_rx_stats(e->rx);
    e->frames_shared = e->frames;
    e->cap_recv_shared = recv;
    e->cap_drop_shared = drop;
    e->cap_ifdrop_shared = ifdrop;
    e->cap_errors_shared = e->cap_errors;
    e->cap_reopens_shared = e->cap_reopens;
    e->cap_gaps_shared = e->cap_gaps;
    e->cap_gap_ns_shared = e->cap_gap_ns;
    if (done)
        e->rx_done = true;
    pthread_mutex_unlock(&e->mu);
    if (any) {
        uint64_t one = 1;
        ssize_t w = write(e->efd, &one, sizeof(one));
        (void)w;
    }
}

/* Receive thread: the live capture failed (the interface went away): a
 * gap opens; the sending thread stops sending until it closes. */
static void capture_failed(struct kp_engine *e, const char *msg)
{
    e->cap_errors++;
    snprintf(e->cap_msg, sizeof(e->cap_msg), "%s", msg);
    if (e->cap_gap_since == 0) {
        e->cap_gap_since = kp_clock_ns(CLOCK_MONOTONIC);
        e->cap_tried = e->cap_gap_since;
        atomic_store(&e->cap_down, true);
    }
}

/* Receive thread, in a gap, at most every TICK_NS: is the interface back?
 * The same one (its index unchanged: it was down) is captured again as it
 * is; a new one of that name is reopened (needs the privileges of the
 * start: after --user drops them it cannot be). A gap beyond --fault-wait
 * ends the run. Returns true when the capture works again. */
static bool capture_retry(struct kp_engine *e)
{
    int64_t now = kp_clock_ns(CLOCK_MONOTONIC);
    if (now - e->cap_tried < TICK_NS)
        return false;
    e->cap_tried = now;
    unsigned idx = if_nametoindex(e->cfg.iface);
    if (idx != 0 && idx != e->cap_ifindex) {
        char err[256];
        int rc = kp_capture_reopen(&e->cap, e->cfg.iface, e->filter,
                                   (size_t)e->par->capture_kib << 10, err, sizeof(err));
        if (rc == 0) {
            e->cap_reopens++;
            e->cap_ifindex = idx;
        } else {
            snprintf(e->cap_msg, sizeof(e->cap_msg), "reopening: %.200s", err);
            idx = 0;
        }
    }
    if (idx == 0) {
        if (now - e->cap_gap_since > (int64_t)e->par->fault_wait_s * 1000000000LL) {
            pthread_mutex_lock(&e->mu);
            if (e->cap_err == 0) {
                e->cap_err = -ENODEV;
                snprintf(e->cap_fatal, sizeof(e->cap_fatal),
                         "capture on %.16s: %.180s; no capture for %u s (--fault-wait): the "
                         "traces not finished are recorded as interrupted; --resume probes them",
                         e->cfg.iface, e->cap_msg, e->par->fault_wait_s);
            }
            pthread_mutex_unlock(&e->mu);
        }
        return false;
    }
    e->cap_gaps++;
    e->cap_gap_ns += now - e->cap_gap_since;
    e->cap_gap_since = 0;
    atomic_store(&e->cap_down, false);
    return true;
}

static void drain_capture(struct kp_engine *e)
{
    char err[256];
    int n;
    if (e->cap_gap_since != 0 && !capture_retry(e))
        return;
    do {
        n = kp_capture_dispatch(&e->cap, 0, on_frame, e, err, sizeof(err));
        if (n < 0) {
            capture_failed(e, strncmp(err, "capture: ", 9) == 0 ? err + 9 : err);
            return;
        }
    } while (n > 0);
}

/* Capture, rx, the capture file: everything received, in its own thread so
 * that the sending thread never handles a frame. */
void *engine_rx_main(void *arg)
{
    struct kp_engine *e = arg;
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL); /* signals are the sending thread's */
    /* inherited SCHED_FIFO from the sending thread (kp_engine_open): one
     * priority below it, so the sender's sends come first */
    if (e->realtime)
        (void)kp_rt_lower(RT_PRIO - 1);
    int64_t last_tick = 0, last_flush = kp_clock_ns(CLOCK_MONOTONIC);
    for (;;) {
        drain_capture(e);
        int64_t now = kp_clock_ns(CLOCK_MONOTONIC);
        if (now - last_tick >= TICK_NS) {
            kp_rx_tick(e->rx, kp_clock_ns(CLOCK_REALTIME));
            last_tick = now;
        }
        if (now - last_flush >= 1000000000LL) {
            int rc = kp_capture_flush(&e->cap);
            if (rc)
                e->cap_err = rc;
            last_flush = now;
        }
        publish(e, false);
        if (atomic_load(&e->rx_end)) {
            /* The capture hands frames over a block at a time: take what
             * the kernel still holds, until it shows every probe sent (or
             * a bound). */
            uint64_t sent = atomic_load(&e->sent_total);
            if ((kp_rx_stats(e->rx)->probes >= sent && now - e->rx_end_at >= CAPTURE_LAG) ||
                now - e->rx_end_at >= FINAL_DRAIN)
                break;
        }
        /* in a gap the descriptor may stay readable (an error): a tick;
         * the end wakes the wait at once (end_efd), and then the wait
         * lasts a block of frames at most, and not beyond CAPTURE_LAG */
        struct pollfd pfd[2] = {{.fd = e->cap_gap_since ? -1 : e->cap.fd, .events = POLLIN},
                                {.fd = e->end_efd, .events = POLLIN}};
        int ms = (int)(TICK_NS / 1000000);
        if (atomic_load(&e->rx_end)) {
            int64_t left = (e->rx_end_at + CAPTURE_LAG - now + 999999) / 1000000;
            ms = left > 0 && left < KP_CAPTURE_BLOCK_MS ? (int)left : KP_CAPTURE_BLOCK_MS;
            pfd[1].fd = -1; /* seen */
        }
        poll(pfd, 2, ms);
    }
    drain_capture(e);
    kp_rx_finish(e->rx);
    int rc = kp_capture_flush(&e->cap);
    if (rc)
        e->cap_err = rc;
    publish(e, true);
    return NULL;
}

void engine_copy_stats(struct kp_engine *e)
{
    pthread_mutex_lock(&e->mu);
    const struct kp_rx_stats *rs = &e->rs_shared;
    e->st.rx_probes = rs->probes;
    e->st.rx_probes_foreign = rs->probes_foreign;
    e->st.rx_replies_in = rs->replies_in;
    e->st.rx_replies = rs->replies;
    e->st.rx_unmatched = rs->unmatched;
    e->st.rx_rejected = rs->rejected;
    e->st.rx_late = rs->replies_late;
    e->st.rx_replies_ignored = rs->dup_frames + rs->expired + rs->ambiguous + rs->replies_lost;
    e->st.rx_traces_split = rs->traces_split;
    e->st.rx_traces_forced = rs->traces_forced;
    e->st.frames = e->frames_shared;
    e->st.cap_recv = e->cap_recv_shared;
    e->st.cap_drop = e->cap_drop_shared;
    e->st.cap_ifdrop = e->cap_ifdrop_shared;
    e->st.cap_errors = e->cap_errors_shared;
    e->st.cap_reopens = e->cap_reopens_shared;
    e->st.cap_gaps = e->cap_gaps_shared;
    e->st.cap_gap_ns = e->cap_gap_ns_shared;
    pthread_mutex_unlock(&e->mu);
}

/* Sending thread: take what the receive thread handed over: replies for the
 * tracers, all of them, and records for the plan and the caller until
 * `until` (CLOCK_MONOTONIC, one record at least; engine_work_until): the
 * rest stays in `mine` for the next call, and the records handed over
 * meanwhile wait in `shared` until those are worked through. Returns true
 * when the receive thread is done and everything it delivered is taken. */
bool engine_take_over(struct kp_engine *e, int64_t until)
{
    uint64_t x;
    ssize_t r = read(e->efd, &x, sizeof(x)); /* clear the wake-up */
    (void)r;
    pthread_mutex_lock(&e->mu);
    struct handover *s = &e->shared, *m = &e->mine;
    /* the replies always (mine are all taken); the records once mine are */
    take_array(&m->ev, &m->n_ev, &m->cap_ev, &s->ev, &s->n_ev, &s->cap_ev);
    if (e->mine_pos == m->n_rec) {
        take_array(&m->rec, &m->n_rec, &m->cap_rec, &s->rec, &s->n_rec, &s->cap_rec);
        e->mine_pos = 0;
    }
    bool done = e->rx_done && s->n_rec == 0 && s->n_ev == 0;
    int rx_err = e->rx_err, cap_err = e->cap_err;
    char fatal[sizeof(e->cap_fatal)];
    memcpy(fatal, e->cap_fatal, sizeof(fatal));
    pthread_mutex_unlock(&e->mu);
    for (size_t i = 0; i < m->n_ev; i++)
        engine_take_reply(e, &m->ev[i]);
    m->n_ev = 0;
    for (unsigned k = 0; e->mine_pos < m->n_rec; k++) {
        if (work_past(until, k))
            break;
        struct kp_trace *t = m->rec[e->mine_pos];
        m->rec[e->mine_pos++] = NULL; /* engine_handover_free: taken */
        engine_take_record(e, t);
        kp_trace_free(t);
        free(t);
    }
    if (rx_err && !e->fail_rc)
        kp_engine_fail(e, rx_err, "receive path: out of memory");
    if (cap_err && !e->fail_rc && fatal[0]) {
        kp_engine_fail(e, cap_err, fatal);
    } else if (cap_err && !e->fail_rc) {
        char msg[256];
        snprintf(msg, sizeof(msg), "%s: %s", e->cfg.pcap_path ? e->cfg.pcap_path : "capture file",
                 strerror(-cap_err));
        kp_engine_fail(e, cap_err, msg);
    }
    return done && e->mine_pos == m->n_rec;
}

void engine_handover_free(struct handover *h)
{
    for (size_t i = 0; i < h->n_rec; i++)
        if (h->rec[i] != NULL) { /* not taken yet */
            kp_trace_free(h->rec[i]);
            free(h->rec[i]);
        }
    free(h->rec);
    free(h->ev);
    memset(h, 0, sizeof(*h));
}
