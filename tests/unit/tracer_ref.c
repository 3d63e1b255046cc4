/* SPDX-License-Identifier: BSD-2-Clause */
/* tracer_ref.c — the previous kp_tracer algorithm, kept as the reference of test_tracer.c. */
#include "core/plan/tracer.h"

#include <errno.h>
#include <string.h>

/* struct kp_tracer as it was, renamed. */
struct kp_tracer_ref {
    struct kp_tracer_params p;
    struct kp_tracer_ttl ttl[KP_TRACER_MAX_TTL + 1];
    int64_t tx_ns[KP_TRACER_MAX_TTL + 1];
    int64_t silent_from;
    uint16_t next_fwd;
    uint16_t fwd_limit;
    uint16_t back_ttl;
    bool back_stopped;
    enum kp_stop stop;
    uint8_t stop_ttl;
    bool done;
    uint32_t probes_sent;
    uint32_t probes_saved;
    int64_t last_tx_ns;
    int64_t max_rtt_ns;
};

enum { T_UNOPENED = 0, T_OPEN, T_REPLIED, T_SILENT, T_CANCELLED, T_SKIPPED, T_DEFERRED };

#define TTL_END (KP_TRACER_MAX_TTL + 1u) /* one past the last TTL index */

static void kp_tracer_ref_params_default(struct kp_tracer_params *p)
{
    memset(p, 0, sizeof(*p));
    p->first_ttl = 1;
    p->max_ttl = 30;
    p->attempts = 2;
    p->gap_limit = 5;
    p->window = 1;
    p->wait_ns = 1000000000;
}

static int kp_tracer_ref_init(struct kp_tracer_ref *t, const struct kp_tracer_params *p)
{
    if (p->first_ttl == 0 || p->max_ttl < p->first_ttl || p->max_ttl > KP_TRACER_MAX_TTL ||
        p->attempts == 0 || p->attempts > KP_TRACER_MAX_ATTEMPTS || p->window == 0 ||
        p->window > KP_TRACER_MAX_WINDOW || p->wait_ns <= 0)
        return -EINVAL;
    memset(t, 0, sizeof(*t));
    t->p = *p;
    uint8_t start = p->start_ttl;
    if (start <= p->first_ttl)
        start = p->first_ttl;
    if (start > p->max_ttl)
        start = p->max_ttl;
    t->p.start_ttl = start;
    t->next_fwd = start;
    t->fwd_limit = p->max_ttl;
    t->back_ttl = start > p->first_ttl ? (uint16_t)(start - 1) : 0;
    t->stop = KP_STOP_NONE;
    t->silent_from = INT64_MAX; /* nothing sent */
    return 0;
}

/* ---- the pilot's published findings ---- */

static void pub_pending(struct kp_tracer_ref *t, unsigned ttl, int64_t until)
{
    struct kp_tracer_hint *h = t->p.publish;
    if (h == NULL)
        return;
    h->pending |= 1ull << ttl;
    if (h->until)
        h->until[ttl] = until;
}

static void pub_answered(struct kp_tracer_ref *t, unsigned ttl)
{
    struct kp_tracer_hint *h = t->p.publish;
    if (h == NULL)
        return;
    uint64_t bit = 1ull << ttl;
    h->answered |= bit;
    h->pending &= ~bit;
    h->silent &= ~bit; /* a late reply */
    if (ttl > h->top)
        h->top = (uint8_t)ttl;
}

static void pub_silent(struct kp_tracer_ref *t, unsigned ttl)
{
    struct kp_tracer_hint *h = t->p.publish;
    if (h == NULL)
        return;
    uint64_t bit = 1ull << ttl;
    if (!(h->answered & bit))
        h->silent |= bit;
    h->pending &= ~bit;
}

static void pub_dropped(struct kp_tracer_ref *t, unsigned ttl)
{
    if (t->p.publish)
        t->p.publish->pending &= ~(1ull << ttl);
}

/* What a follower does with a TTL it is about to open: probe it (T_OPEN),
 * skip it (the pilot found it silent and got an answer beyond it) or defer
 * it (the pilot's probe there is still waiting). */
static uint8_t hinted_state(const struct kp_tracer_ref *t, unsigned ttl)
{
    const struct kp_tracer_hint *h = t->p.hint;
    if (h == NULL || ttl >= h->top)
        return T_OPEN;
    uint64_t bit = 1ull << ttl;
    if (h->silent & bit)
        return T_SKIPPED;
    if (h->pending & bit)
        return T_DEFERRED;
    return T_OPEN;
}

/* ---- TTL bookkeeping ---- */

static unsigned lowest_opened(const struct kp_tracer_ref *t)
{
    /* Backward TTLs opened so far are back_ttl+1 .. start-1. */
    if (t->p.start_ttl > t->p.first_ttl)
        return t->back_ttl >= t->p.first_ttl ? t->back_ttl + 1u : t->p.first_ttl;
    return t->p.start_ttl;
}

static bool unresolved(uint8_t state)
{
    return state == T_OPEN || state == T_DEFERRED;
}

/* Cancel forward TTLs above the new limit. */
static void set_fwd_limit(struct kp_tracer_ref *t, unsigned limit)
{
    if (limit < t->fwd_limit)
        t->fwd_limit = (uint16_t)limit;
    for (unsigned ttl = t->fwd_limit + 1u; ttl < t->next_fwd && ttl < TTL_END; ttl++) {
        if (unresolved(t->ttl[ttl].state)) {
            t->ttl[ttl].state = T_CANCELLED;
            pub_dropped(t, ttl);
        }
    }
}

static void set_stop(struct kp_tracer_ref *t, enum kp_stop reason, unsigned ttl)
{
    t->stop = reason;
    t->stop_ttl = (uint8_t)ttl;
}

/* A late reply broke the silent run behind a gap-limit stop: forward probing
 * goes on (TTLs cancelled above the stop are reopened with the attempts they
 * have left); the next advance() applies the gap rule afresh. Only a gap
 * stop lowers fwd_limit without a reply, so max_ttl is the limit again. */
static void lift_gap_stop(struct kp_tracer_ref *t)
{
    unsigned from = t->stop_ttl + 1u;
    t->stop = KP_STOP_NONE;
    t->stop_ttl = 0;
    t->fwd_limit = t->p.max_ttl;
    for (unsigned ttl = from; ttl < t->next_fwd && ttl < TTL_END; ttl++) {
        if (t->ttl[ttl].state == T_CANCELLED)
            t->ttl[ttl].state = T_OPEN;
    }
    t->silent_from = INT64_MIN; /* a TTL reopened may have used its attempts */
}

/* Deferred TTLs whose pilot now knows: skipped or opened. *wake gets the
 * earliest time a still-deferred one may change. */
static void review_deferred(struct kp_tracer_ref *t, int64_t now_ns, int64_t *wake)
{
    const struct kp_tracer_hint *h = t->p.hint;
    if (h == NULL)
        return; /* only a follower defers (hinted_state) */
    for (unsigned ttl = lowest_opened(t); ttl < t->next_fwd && ttl < TTL_END; ttl++) {
        struct kp_tracer_ttl *s = &t->ttl[ttl];
        if (s->state != T_DEFERRED)
            continue;
        uint64_t bit = 1ull << ttl;
        if (h->silent & bit) {
            s->state = T_SKIPPED;
        } else if (h->pending & bit) {
            /* the pilot's wait there ends at until[ttl]; it may also answer
             * sooner (re-checked whenever the trace is picked) */
            int64_t u = h->until ? h->until[ttl] : now_ns;
            int64_t w = u > now_ns ? u : now_ns + 1000000; /* its tracer has yet to see it */
            if (w < *wake)
                *wake = w;
        } else {
            s->state = T_OPEN;
        }
    }
}

/* Silence after the last attempt's wait; gap and max-TTL rules. */
static void advance(struct kp_tracer_ref *t, int64_t now_ns)
{
    if (now_ns >= t->silent_from) {
        /* the TTLs whose last attempt's wait is over fall silent; the
         * earliest wait of the others bounds the next look */
        int64_t next = INT64_MAX;
        for (unsigned ttl = lowest_opened(t); ttl < t->next_fwd && ttl < TTL_END; ttl++) {
            struct kp_tracer_ttl *s = &t->ttl[ttl];
            if (s->state != T_OPEN || s->sent < t->p.attempts)
                continue;
            if (now_ns - t->tx_ns[ttl] >= t->p.wait_ns) {
                s->state = T_SILENT;
                pub_silent(t, ttl);
            } else if (t->tx_ns[ttl] + t->p.wait_ns < next) {
                next = t->tx_ns[ttl] + t->p.wait_ns;
            }
        }
        t->silent_from = next;
    }
    if (t->stop != KP_STOP_NONE)
        return;
    if (t->p.gap_limit > 0) {
        unsigned run = 0;
        for (unsigned ttl = t->p.start_ttl; ttl < t->next_fwd && ttl < TTL_END; ttl++) {
            if (t->ttl[ttl].state == T_SILENT) {
                if (++run >= t->p.gap_limit) {
                    set_stop(t, KP_STOP_GAPLIMIT, ttl);
                    set_fwd_limit(t, ttl);
                    return;
                }
            } else {
                run = 0; /* an answer, a TTL still open, or one never probed */
            }
        }
    }
    if (t->next_fwd > t->fwd_limit) {
        bool all = true;
        for (unsigned ttl = t->p.start_ttl; ttl <= t->fwd_limit && all; ttl++) {
            if (unresolved(t->ttl[ttl].state))
                all = false;
        }
        if (all)
            set_stop(t, KP_STOP_MAXTTL, t->p.max_ttl);
    }
}

/* How long an unanswered probe holds its place in a pilot's window
 * (presume_ns), 0 = for good. */
static int64_t presume_after(const struct kp_tracer_ref *t)
{
    if (t->p.presume_ns <= 0)
        return 0;
    return 2 * t->max_rtt_ns > t->p.presume_ns ? 2 * t->max_rtt_ns : t->p.presume_ns;
}

/* Whether an open TTL holds a place in the window at now_ns. */
static bool in_window(const struct kp_tracer_ref *t, unsigned ttl, int64_t now_ns)
{
    const struct kp_tracer_ttl *s = &t->ttl[ttl];
    int64_t after = presume_after(t);
    return s->state == T_OPEN && !(after > 0 && s->sent > 0 && now_ns - t->tx_ns[ttl] >= after);
}

static unsigned count_open(const struct kp_tracer_ref *t, int64_t now_ns, bool *backward_open)
{
    unsigned n = 0;
    *backward_open = false;
    for (unsigned ttl = lowest_opened(t); ttl < t->next_fwd && ttl < TTL_END; ttl++) {
        uint8_t st = t->ttl[ttl].state;
        if (ttl < t->p.start_ttl && unresolved(st))
            *backward_open = true;
        if (in_window(t, ttl, now_ns))
            n++;
    }
    return n;
}

static void open_more(struct kp_tracer_ref *t, int64_t now_ns)
{
    bool back_left = !t->back_stopped && t->back_ttl >= t->p.first_ttl && t->back_ttl > 0;
    bool fwd_left = t->stop == KP_STOP_NONE && t->next_fwd <= t->fwd_limit;
    if (!back_left && !fwd_left)
        return; /* every TTL it will probe is open already: nothing to count */
    bool back_open;
    unsigned n = count_open(t, now_ns, &back_open);
    /* Backward phase: one TTL at a time, it stops at the stop set. A TTL the
     * pilot found silent is passed over at once. */
    while (!back_open && !t->back_stopped && t->back_ttl >= t->p.first_ttl && t->back_ttl > 0 &&
           n < t->p.window) {
        uint8_t st = hinted_state(t, t->back_ttl);
        t->ttl[t->back_ttl].state = st;
        t->back_ttl--;
        if (st == T_SKIPPED)
            continue;
        if (st == T_OPEN)
            n++;
        back_open = true;
    }
    while (t->stop == KP_STOP_NONE && t->next_fwd <= t->fwd_limit && n < t->p.window) {
        uint8_t st = hinted_state(t, t->next_fwd);
        t->ttl[t->next_fwd].state = st;
        t->next_fwd++;
        if (st == T_OPEN)
            n++;
    }
}

static void finish(struct kp_tracer_ref *t)
{
    t->done = true;
    unsigned saved = 0;
    for (unsigned ttl = t->p.first_ttl; ttl < TTL_END && ttl <= t->p.max_ttl; ttl++) {
        uint8_t st = t->ttl[ttl].state;
        /* saved: what Doubletree decided not to send (TTLs below the stop
         * set's hit, TTLs the pilot found silent), not what an abort left */
        if ((t->back_stopped && ttl < t->p.start_ttl && st == T_UNOPENED) || st == T_SKIPPED)
            saved++;
        if (unresolved(st))
            pub_dropped(t, ttl); /* aborted: the followers stop waiting for it */
    }
    t->probes_saved = saved;
}

static enum kp_tracer_status kp_tracer_ref_next(struct kp_tracer_ref *t, int64_t now_ns,
                                                uint32_t rnd, struct kp_tracer_probe *probe,
                                                int64_t *wake_ns)
{
    if (t->done)
        return KP_TRACER_DONE;
    int64_t wake = INT64_MAX;
    review_deferred(t, now_ns, &wake);
    advance(t, now_ns);
    open_more(t, now_ns);
    review_deferred(t, now_ns, &wake); /* TTLs just opened may already be known */
    /* Ready TTLs: open, and either never sent or the last attempt's wait ran out
     * with attempts left. */
    uint8_t ready[TTL_END];
    unsigned n_ready = 0;
    bool any_open = false;
    int64_t after = presume_after(t);
    bool opening = t->stop == KP_STOP_NONE && t->next_fwd <= t->fwd_limit;
    for (unsigned ttl = lowest_opened(t); ttl < t->next_fwd && ttl < TTL_END; ttl++) {
        const struct kp_tracer_ttl *s = &t->ttl[ttl];
        if (s->state == T_DEFERRED) {
            any_open = true;
            continue;
        }
        if (s->state != T_OPEN)
            continue;
        any_open = true;
        if (s->sent == 0)
            ready[n_ready++] = (uint8_t)ttl;
        else if (s->sent < t->p.attempts && now_ns >= t->tx_ns[ttl] + t->p.wait_ns)
            ready[n_ready++] = (uint8_t)ttl;
    }
    /* nothing to send: when the answer may change (a retry's wait ends; a
     * pilot's window opens further once an unanswered TTL is presumed
     * silent) */
    for (unsigned ttl = lowest_opened(t); n_ready == 0 && ttl < t->next_fwd && ttl < TTL_END;
         ttl++) {
        const struct kp_tracer_ttl *s = &t->ttl[ttl];
        if (s->state != T_OPEN)
            continue;
        int64_t due = t->tx_ns[ttl] + t->p.wait_ns;
        if (due < wake)
            wake = due;
        if (after > 0 && opening && s->sent > 0 && t->tx_ns[ttl] + after > now_ns &&
            t->tx_ns[ttl] + after < wake)
            wake = t->tx_ns[ttl] + after;
    }
    if (n_ready > 0) {
        uint8_t ttl = ready[rnd % n_ready];
        struct kp_tracer_ttl *s = &t->ttl[ttl];
        probe->ttl = ttl;
        probe->attempt = s->sent;
        s->sent++;
        t->tx_ns[ttl] = now_ns;
        t->last_tx_ns = now_ns;
        if (s->sent >= t->p.attempts && now_ns + t->p.wait_ns < t->silent_from)
            t->silent_from = now_ns + t->p.wait_ns;
        t->probes_sent++;
        pub_pending(t, ttl, now_ns + t->p.wait_ns);
        return KP_TRACER_SEND;
    }
    if (any_open) {
        if (wake_ns)
            *wake_ns = wake;
        return KP_TRACER_WAIT;
    }
    /* A gap-limit stop stays provisional while a late reply to the silent
     * run may still come (tracer.h). */
    if (t->stop == KP_STOP_GAPLIMIT && t->p.linger_ns > t->p.wait_ns && t->probes_sent > 0 &&
        now_ns - t->last_tx_ns < t->p.linger_ns) {
        if (wake_ns)
            *wake_ns = t->last_tx_ns + t->p.linger_ns;
        return KP_TRACER_WAIT;
    }
    finish(t);
    return KP_TRACER_DONE;
}

static void kp_tracer_ref_reply(struct kp_tracer_ref *t, uint8_t ttl, uint8_t attempt,
                                enum kp_tracer_event ev, enum kp_stop stop,
                                const struct kp_addr *from)
{
    if (ttl >= TTL_END)
        return;
    struct kp_tracer_ttl *s = &t->ttl[ttl];
    if (t->done || s->sent == 0 || attempt >= s->sent)
        return;
    if (s->state != T_OPEN && s->state != T_SILENT)
        return; /* duplicate, or above the stop TTL */
    bool was_silent = s->state == T_SILENT;
    s->state = T_REPLIED; /* a late reply resolves a silent TTL too */
    pub_answered(t, ttl);
    bool backward = ttl < t->p.start_ttl;
    if (ev == KP_TRACER_EV_HOP) {
        if (backward && t->p.stopset && from && kp_stopset_has_iface(t->p.stopset, from))
            t->back_stopped = true;
        if (was_silent && !backward && t->stop == KP_STOP_GAPLIMIT && ttl <= t->stop_ttl)
            lift_gap_stop(t);
        return;
    }
    enum kp_stop reason = ev == KP_TRACER_EV_REACHED ? KP_STOP_COMPLETED : stop;
    if (ev == KP_TRACER_EV_UNREACH && (reason == KP_STOP_NONE || reason == KP_STOP_COMPLETED))
        reason = KP_STOP_UNREACH_OTHER;
    bool replace = t->stop == KP_STOP_NONE || t->stop == KP_STOP_GAPLIMIT ||
                   t->stop == KP_STOP_MAXTTL || ttl < t->stop_ttl;
    if (replace)
        set_stop(t, reason, ttl);
    set_fwd_limit(t, ttl);
}

static void kp_tracer_ref_rtt(struct kp_tracer_ref *t, int64_t rtt_ns)
{
    if (rtt_ns > t->max_rtt_ns)
        t->max_rtt_ns = rtt_ns;
}

static void kp_tracer_ref_abort(struct kp_tracer_ref *t, enum kp_stop reason)
{
    if (t->done)
        return;
    t->stop = reason;
    finish(t);
}

static void kp_tracer_ref_sent(struct kp_tracer_ref *t, const struct kp_tracer_probe *probe,
                               int64_t sent_ns)
{
    if (probe->ttl >= TTL_END)
        return;
    struct kp_tracer_ttl *s = &t->ttl[probe->ttl];
    if (s->sent != probe->attempt + 1u || sent_ns <= t->tx_ns[probe->ttl])
        return;
    t->tx_ns[probe->ttl] = sent_ns; /* later: silent_from stays a lower bound */
    if (sent_ns > t->last_tx_ns)
        t->last_tx_ns = sent_ns;
    struct kp_tracer_hint *h = t->p.publish;
    if (h && h->until && (h->pending & (1ull << probe->ttl)))
        h->until[probe->ttl] = sent_ns + t->p.wait_ns;
}

static void kp_tracer_ref_unsend(struct kp_tracer_ref *t, const struct kp_tracer_probe *probe,
                                 int64_t now_ns)
{
    if (probe->ttl >= TTL_END)
        return;
    struct kp_tracer_ttl *s = &t->ttl[probe->ttl];
    if (t->done || s->sent == 0 || s->sent != probe->attempt + 1u)
        return;
    s->sent--;
    /* due again at once: the previous attempt's wait is over, or none was sent */
    t->tx_ns[probe->ttl] = now_ns - t->p.wait_ns;
    if (t->probes_sent > 0)
        t->probes_sent--;
    if (s->sent == 0)
        pub_dropped(t, probe->ttl);
}

static bool kp_tracer_ref_forward_done(const struct kp_tracer_ref *t)
{
    return t->stop != KP_STOP_NONE && t->stop != KP_STOP_GAPLIMIT && t->stop != KP_STOP_MAXTTL;
}

static int64_t kp_tracer_ref_outstanding_until(const struct kp_tracer_ref *t)
{
    int64_t linger = t->p.linger_ns > t->p.wait_ns ? t->p.linger_ns : t->p.wait_ns, until = 0;
    for (unsigned ttl = 1; ttl < TTL_END; ttl++) {
        const struct kp_tracer_ttl *s = &t->ttl[ttl];
        if (s->sent > 0 && s->state != T_REPLIED && t->tx_ns[ttl] + linger > until)
            until = t->tx_ns[ttl] + linger;
    }
    return until;
}
