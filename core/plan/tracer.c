/* SPDX-License-Identifier: BSD-2-Clause */
/* tracer.c — sender-side state machine of one trace. See tracer.h. */
#include "core/plan/tracer.h"

#include <errno.h>
#include <string.h>

enum { T_UNOPENED = 0, T_OPEN, T_REPLIED, T_SILENT, T_CANCELLED, T_SKIPPED, T_DEFERRED };

#define TTL_END (KP_TRACER_MAX_TTL + 1u) /* one past the last TTL index */

/* Bits lo .. hi-1 (hi <= 64). */
static uint64_t span(unsigned lo, unsigned hi)
{
    if (lo >= hi)
        return 0;
    uint64_t upto = hi >= 64 ? ~0ull : (1ull << hi) - 1;
    return upto & ~((1ull << lo) - 1);
}

/* Bits set in m, in a few arithmetic steps (__builtin_popcountll is a
 * library call on an x86-64 build without -mpopcnt). */
static unsigned popcount(uint64_t m)
{
    m = m - ((m >> 1) & 0x5555555555555555ull);
    m = (m & 0x3333333333333333ull) + ((m >> 2) & 0x3333333333333333ull);
    m = (m + (m >> 4)) & 0x0f0f0f0f0f0f0f0full;
    return (unsigned)((m * 0x0101010101010101ull) >> 56);
}

static unsigned lowest_bit(uint64_t m)
{
    return (unsigned)__builtin_ctzll(m);
}

/* Position of the k-th (0-based) set bit of m (k < popcount(m)). */
static unsigned select_bit(uint64_t m, unsigned k)
{
    unsigned pos = 0;
    for (unsigned w = 32; w > 0; w /= 2) {
        uint64_t low = m & ((1ull << w) - 1);
        unsigned c = popcount(low);
        if (k >= c) {
            k -= c;
            m >>= w;
            pos += w;
        } else {
            m = low;
        }
    }
    return pos;
}

void kp_tracer_params_default(struct kp_tracer_params *p)
{
    memset(p, 0, sizeof(*p));
    p->first_ttl = 1;
    p->max_ttl = 30;
    p->attempts = 2;
    p->gap_limit = 5;
    p->window = 1;
    p->wait_ns = 1000000000;
}

int kp_tracer_init(struct kp_tracer *t, const struct kp_tracer_params *p)
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
    t->retry_from = INT64_MAX;
    t->due_at = INT64_MIN;
    t->wait_end = INT64_MAX; /* of no TTL: known */
    t->wait_end_known = true;
    return 0;
}

/* ---- the pilot's published findings ---- */

static void pub_pending(struct kp_tracer *t, unsigned ttl, int64_t until)
{
    struct kp_tracer_hint *h = t->p.publish;
    if (h == NULL)
        return;
    h->pending |= 1ull << ttl;
    if (h->until)
        h->until[ttl] = until;
}

static void pub_answered(struct kp_tracer *t, unsigned ttl)
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

static void pub_silent(struct kp_tracer *t, unsigned ttl)
{
    struct kp_tracer_hint *h = t->p.publish;
    if (h == NULL)
        return;
    uint64_t bit = 1ull << ttl;
    if (!(h->answered & bit))
        h->silent |= bit;
    h->pending &= ~bit;
}

static void pub_dropped(struct kp_tracer *t, unsigned ttl)
{
    if (t->p.publish)
        t->p.publish->pending &= ~(1ull << ttl);
}

/* What a follower does with a TTL it is about to open: probe it (T_OPEN),
 * skip it (the pilot found it silent and got an answer beyond it) or defer
 * it (the pilot's probe there is still waiting). */
static uint8_t hinted_state(const struct kp_tracer *t, unsigned ttl)
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

static uint64_t open_mask(const struct kp_tracer *t)
{
    return t->fresh | t->retry | t->last;
}

/* Sets a TTL's state and files the TTL in the mask of that state (an open
 * one by its attempts sent). Every change of a TTL's state, attempts sent
 * or send time (tx_ns) goes through here, after it: the masks, retry_from
 * and wait_end follow. */
static void set_state(struct kp_tracer *t, unsigned ttl, uint8_t state)
{
    struct kp_tracer_ttl *s = &t->ttl[ttl];
    uint64_t bit = 1ull << ttl;
    if (ttl == t->wait_end_ttl)
        t->wait_end_known = false; /* it may leave, or its wait move */
    s->state = state;
    t->fresh &= ~bit;
    t->retry &= ~bit;
    t->due &= ~bit;
    t->last &= ~bit;
    t->deferred &= ~bit;
    t->silent &= ~bit;
    t->cancelled &= ~bit;
    t->skipped &= ~bit;
    int64_t end = t->tx_ns[ttl] + t->p.wait_ns;
    if (state == T_OPEN && s->sent > 0 && t->wait_end_known &&
        (end < t->wait_end || (end == t->wait_end && ttl > t->wait_end_ttl))) {
        t->wait_end = end;
        t->wait_end_ttl = (uint8_t)ttl;
    }
    switch (state) {
    case T_OPEN:
        if (s->sent == 0) {
            t->fresh |= bit;
        } else if (s->sent < t->p.attempts) {
            t->retry |= bit;
            if (end < t->retry_from)
                t->retry_from = end;
        } else {
            t->last |= bit;
        }
        break;
    case T_DEFERRED:
        t->deferred |= bit;
        break;
    case T_SILENT:
        t->silent |= bit;
        break;
    case T_CANCELLED:
        t->cancelled |= bit;
        break;
    case T_SKIPPED:
        t->skipped |= bit;
        break;
    default:
        break; /* unopened, replied: in no mask */
    }
}

/* The earliest end of a wait among the open TTLs sent, and its TTL: of
 * equal ends the highest TTL, the last to answer as a rule, so that the
 * answers of the others leave it known. */
static void find_wait_end(struct kp_tracer *t)
{
    t->wait_end = INT64_MAX;
    t->wait_end_ttl = 0;
    for (uint64_t m = t->retry | t->last; m != 0; m &= m - 1) {
        unsigned ttl = lowest_bit(m);
        t->steps++;
        if (t->tx_ns[ttl] + t->p.wait_ns <= t->wait_end) {
            t->wait_end = t->tx_ns[ttl] + t->p.wait_ns;
            t->wait_end_ttl = (uint8_t)ttl;
        }
    }
    t->wait_end_known = true;
}

static unsigned lowest_opened(const struct kp_tracer *t)
{
    /* Backward TTLs opened so far are back_ttl+1 .. start-1. */
    if (t->p.start_ttl > t->p.first_ttl)
        return t->back_ttl >= t->p.first_ttl ? t->back_ttl + 1u : t->p.first_ttl;
    return t->p.start_ttl;
}

/* Cancel forward TTLs above the new limit. */
static void set_fwd_limit(struct kp_tracer *t, unsigned limit)
{
    if (limit < t->fwd_limit)
        t->fwd_limit = (uint16_t)limit;
    uint64_t above = (open_mask(t) | t->deferred) & span(t->fwd_limit + 1u, t->next_fwd);
    for (uint64_t m = above; m != 0; m &= m - 1) {
        unsigned ttl = lowest_bit(m);
        t->steps++;
        set_state(t, ttl, T_CANCELLED);
        pub_dropped(t, ttl);
    }
}

static void set_stop(struct kp_tracer *t, enum kp_stop reason, unsigned ttl)
{
    t->stop = reason;
    t->stop_ttl = (uint8_t)ttl;
}

/* A late reply broke the silent run behind a gap-limit stop: forward probing
 * goes on (TTLs cancelled above the stop are reopened with the attempts they
 * have left); the next advance() applies the gap rule afresh. Only a gap
 * stop lowers fwd_limit without a reply, so max_ttl is the limit again. */
static void lift_gap_stop(struct kp_tracer *t)
{
    unsigned from = t->stop_ttl + 1u;
    t->stop = KP_STOP_NONE;
    t->stop_ttl = 0;
    t->fwd_limit = t->p.max_ttl;
    for (uint64_t m = t->cancelled & span(from, t->next_fwd); m != 0; m &= m - 1) {
        t->steps++;
        set_state(t, lowest_bit(m), T_OPEN);
    }
    t->silent_from = INT64_MIN; /* a TTL reopened may have used its attempts */
}

/* Deferred TTLs whose pilot now knows: skipped or opened. *wake gets the
 * earliest time a still-deferred one may change. */
static void review_deferred(struct kp_tracer *t, int64_t now_ns, int64_t *wake)
{
    const struct kp_tracer_hint *h = t->p.hint;
    if (h == NULL)
        return; /* only a follower defers (hinted_state) */
    for (uint64_t m = t->deferred; m != 0; m &= m - 1) {
        unsigned ttl = lowest_bit(m);
        t->steps++;
        uint64_t bit = 1ull << ttl;
        if (h->silent & bit) {
            set_state(t, ttl, T_SKIPPED);
        } else if (h->pending & bit) {
            /* the pilot's wait there ends at until[ttl]; it may also answer
             * sooner (re-checked whenever the trace is picked) */
            int64_t u = h->until ? h->until[ttl] : now_ns;
            int64_t w = u > now_ns ? u : now_ns + 1000000; /* its tracer has yet to see it */
            if (w < *wake)
                *wake = w;
        } else {
            set_state(t, ttl, T_OPEN);
        }
    }
}

/* Silence after the last attempt's wait; gap and max-TTL rules. */
static void advance(struct kp_tracer *t, int64_t now_ns)
{
    if (now_ns >= t->silent_from) {
        /* the TTLs whose last attempt's wait is over fall silent; the
         * earliest wait of the others bounds the next look */
        int64_t next = INT64_MAX;
        for (uint64_t m = t->last; m != 0; m &= m - 1) {
            unsigned ttl = lowest_bit(m);
            t->steps++;
            if (now_ns - t->tx_ns[ttl] >= t->p.wait_ns) {
                set_state(t, ttl, T_SILENT);
                pub_silent(t, ttl);
            } else if (t->tx_ns[ttl] + t->p.wait_ns < next) {
                next = t->tx_ns[ttl] + t->p.wait_ns;
            }
        }
        t->silent_from = next;
    }
    if (t->stop != KP_STOP_NONE)
        return;
    /* The gap rule: the lowest forward TTL ending gap_limit consecutive
     * silent ones (any other state breaks a run). */
    uint64_t run = t->silent & span(t->p.start_ttl, t->next_fwd);
    if (t->p.gap_limit > 0 && popcount(run) >= t->p.gap_limit) {
        /* after k rounds, bit i is set when TTLs i-k .. i are all silent */
        for (unsigned k = 1; k < t->p.gap_limit && run != 0; k++) {
            t->steps++;
            run &= run << 1;
        }
        if (run != 0) {
            unsigned ttl = lowest_bit(run);
            set_stop(t, KP_STOP_GAPLIMIT, ttl);
            set_fwd_limit(t, ttl);
            return;
        }
    }
    uint64_t unresolved = open_mask(t) | t->deferred;
    if (t->next_fwd > t->fwd_limit && !(unresolved & span(t->p.start_ttl, t->fwd_limit + 1u)))
        set_stop(t, KP_STOP_MAXTTL, t->p.max_ttl);
}

/* How long an unanswered probe holds its place in a pilot's window
 * (presume_ns), 0 = for good. */
static int64_t presume_after(const struct kp_tracer *t)
{
    if (t->p.presume_ns <= 0)
        return 0;
    return 2 * t->max_rtt_ns > t->p.presume_ns ? 2 * t->max_rtt_ns : t->p.presume_ns;
}

/* The open TTLs holding a place in the window at now_ns: all of them, but
 * for a pilot's probes presumed silent (presume_ns). */
static unsigned count_open(struct kp_tracer *t, int64_t now_ns, bool *backward_open)
{
    *backward_open = ((open_mask(t) | t->deferred) & span(0, t->p.start_ttl)) != 0;
    int64_t after = presume_after(t);
    if (after <= 0)
        return popcount(open_mask(t));
    unsigned n = popcount(t->fresh);
    for (uint64_t m = t->retry | t->last; m != 0; m &= m - 1) {
        unsigned ttl = lowest_bit(m);
        t->steps++;
        if (now_ns - t->tx_ns[ttl] < after)
            n++;
    }
    return n;
}

static void open_more(struct kp_tracer *t, int64_t now_ns)
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
        t->steps++;
        uint8_t st = hinted_state(t, t->back_ttl);
        set_state(t, t->back_ttl, st);
        t->back_ttl--;
        if (st == T_SKIPPED)
            continue;
        if (st == T_OPEN)
            n++;
        back_open = true;
    }
    while (t->stop == KP_STOP_NONE && t->next_fwd <= t->fwd_limit && n < t->p.window) {
        t->steps++;
        uint8_t st = hinted_state(t, t->next_fwd);
        set_state(t, t->next_fwd, st);
        t->next_fwd++;
        if (st == T_OPEN)
            n++;
    }
}

static void finish(struct kp_tracer *t)
{
    t->done = true;
    /* saved: what Doubletree decided not to send (TTLs below the stop set's
     * hit: first_ttl .. lowest_opened-1, never opened; TTLs the pilot found
     * silent), not what an abort left */
    unsigned saved = popcount(t->skipped);
    if (t->back_stopped)
        saved += lowest_opened(t) - t->p.first_ttl;
    t->probes_saved = saved;
    if (t->p.publish) /* aborted: the followers stop waiting for these */
        t->p.publish->pending &= ~(open_mask(t) | t->deferred);
}

enum kp_tracer_status kp_tracer_next(struct kp_tracer *t, int64_t now_ns, uint32_t rnd,
                                     struct kp_tracer_probe *probe, int64_t *wake_ns)
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
    if (now_ns < t->due_at && t->due != 0) {
        t->due = 0; /* a clock that went back: look at each retry again */
        t->retry_from = INT64_MIN;
    }
    if ((t->retry & ~t->due) != 0 && now_ns >= t->retry_from) {
        /* the retries whose wait ran out join `due`; the earliest wait of
         * the others bounds the next look */
        int64_t next = INT64_MAX;
        for (uint64_t m = t->retry & ~t->due; m != 0; m &= m - 1) {
            unsigned ttl = lowest_bit(m);
            t->steps++;
            int64_t due = t->tx_ns[ttl] + t->p.wait_ns;
            if (now_ns >= due) {
                t->due |= 1ull << ttl;
                if (due > t->due_at)
                    t->due_at = due;
            } else if (due < next) {
                next = due;
            }
        }
        t->retry_from = next;
    }
    uint64_t ready = t->fresh | t->due;
    unsigned n_ready = popcount(ready);
    bool any_open = (open_mask(t) | t->deferred) != 0;
    int64_t after = presume_after(t);
    bool opening = t->stop == KP_STOP_NONE && t->next_fwd <= t->fwd_limit;
    /* nothing to send: when the answer may change (a retry's wait ends; a
     * pilot's window opens further once an unanswered TTL is presumed
     * silent) */
    if (n_ready == 0) {
        /* none is fresh: every open TTL was sent */
        if (!t->wait_end_known)
            find_wait_end(t);
        if (t->wait_end < wake)
            wake = t->wait_end;
        for (uint64_t m = after > 0 && opening ? open_mask(t) : 0; m != 0; m &= m - 1) {
            unsigned ttl = lowest_bit(m);
            t->steps++;
            if (t->tx_ns[ttl] + after > now_ns && t->tx_ns[ttl] + after < wake)
                wake = t->tx_ns[ttl] + after;
        }
    }
    if (n_ready > 0) {
        /* the (rnd % n_ready)-th ready TTL in ascending order */
        unsigned ttl = select_bit(ready, rnd % n_ready);
        struct kp_tracer_ttl *s = &t->ttl[ttl];
        probe->ttl = (uint8_t)ttl;
        probe->attempt = s->sent;
        s->sent++;
        t->tx_ns[ttl] = now_ns;
        set_state(t, ttl, T_OPEN); /* filed by its attempts sent */
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

void kp_tracer_reply(struct kp_tracer *t, uint8_t ttl, uint8_t attempt, enum kp_tracer_event ev,
                     enum kp_stop stop, const struct kp_addr *from)
{
    if (ttl >= TTL_END)
        return;
    struct kp_tracer_ttl *s = &t->ttl[ttl];
    if (t->done || s->sent == 0 || attempt >= s->sent)
        return;
    if (s->state != T_OPEN && s->state != T_SILENT)
        return; /* duplicate, or above the stop TTL */
    bool was_silent = s->state == T_SILENT;
    set_state(t, ttl, T_REPLIED); /* a late reply resolves a silent TTL too */
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

void kp_tracer_rtt(struct kp_tracer *t, int64_t rtt_ns)
{
    if (rtt_ns > t->max_rtt_ns)
        t->max_rtt_ns = rtt_ns;
}

void kp_tracer_abort(struct kp_tracer *t, enum kp_stop reason)
{
    if (t->done)
        return;
    t->stop = reason;
    finish(t);
}

void kp_tracer_sent(struct kp_tracer *t, const struct kp_tracer_probe *probe, int64_t sent_ns)
{
    if (probe->ttl >= TTL_END)
        return;
    struct kp_tracer_ttl *s = &t->ttl[probe->ttl];
    if (s->sent != probe->attempt + 1u || sent_ns <= t->tx_ns[probe->ttl])
        return;
    t->tx_ns[probe->ttl] = sent_ns;     /* later: silent_from stays a lower bound */
    set_state(t, probe->ttl, s->state); /* a retry's wait ends later */
    if (sent_ns > t->last_tx_ns)
        t->last_tx_ns = sent_ns;
    struct kp_tracer_hint *h = t->p.publish;
    if (h && h->until && (h->pending & (1ull << probe->ttl)))
        h->until[probe->ttl] = sent_ns + t->p.wait_ns;
}

void kp_tracer_unsend(struct kp_tracer *t, const struct kp_tracer_probe *probe, int64_t now_ns)
{
    if (probe->ttl >= TTL_END)
        return;
    struct kp_tracer_ttl *s = &t->ttl[probe->ttl];
    if (t->done || s->sent == 0 || s->sent != probe->attempt + 1u)
        return;
    s->sent--;
    /* due again at once: the previous attempt's wait is over, or none was sent */
    t->tx_ns[probe->ttl] = now_ns - t->p.wait_ns;
    set_state(t, probe->ttl, s->state); /* filed by its attempts sent */
    if (t->probes_sent > 0)
        t->probes_sent--;
    if (s->sent == 0)
        pub_dropped(t, probe->ttl);
}

bool kp_tracer_forward_done(const struct kp_tracer *t)
{
    return t->stop != KP_STOP_NONE && t->stop != KP_STOP_GAPLIMIT && t->stop != KP_STOP_MAXTTL;
}

int64_t kp_tracer_outstanding_until(const struct kp_tracer *t)
{
    int64_t linger = t->p.linger_ns > t->p.wait_ns ? t->p.linger_ns : t->p.wait_ns, until = 0;
    for (unsigned ttl = 1; ttl < TTL_END; ttl++) {
        const struct kp_tracer_ttl *s = &t->ttl[ttl];
        if (s->sent > 0 && s->state != T_REPLIED && t->tx_ns[ttl] + linger > until)
            until = t->tx_ns[ttl] + linger;
    }
    return until;
}
