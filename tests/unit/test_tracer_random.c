/* SPDX-License-Identifier: BSD-2-Clause */
/* Randomized call sequences of the trace state machine: the contract of
 * tracer.h holds. */
#include <criterion/criterion.h>
#include <string.h>

#include "core/plan/tracer.h"

static struct kp_addr A(const char *s) {
    struct kp_addr a;
    cr_assert_eq(kp_addr_parse(s, &a), 0);
    return a;
}

static uint64_t
rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static unsigned rng_below(uint64_t *s, unsigned n)
{
    return (unsigned)(rng_next(s) % n);
}

/* Random parameters over the whole valid range; wait 1000 ns. */
static struct kp_tracer_params random_params(uint64_t *r, const struct kp_stopset *ss)
{
    struct kp_tracer_params p;
    kp_tracer_params_default(&p);
    p.first_ttl = (uint8_t)(rng_below(r, 4) == 0 ? 1 + rng_below(r, 6) : 1);
    unsigned span = rng_below(r, 3) == 0 ? 64u - p.first_ttl : 1 + rng_below(r, 12);
    p.max_ttl = (uint8_t)(p.first_ttl + rng_below(r, span));
    if (rng_below(r, 2))
        p.start_ttl = (uint8_t)(p.first_ttl + rng_below(r, p.max_ttl - p.first_ttl + 2u));
    p.attempts = (uint8_t)(1 + rng_below(r, 3));
    p.gap_limit = (uint8_t)rng_below(r, 6);
    p.window = (uint8_t)(rng_below(r, 3) == 0 ? 32 : 1 + rng_below(r, 32));
    p.wait_ns = 1000;
    p.linger_ns = rng_below(r, 2) ? 0 : 2500;
    p.presume_ns = rng_below(r, 3) == 0 ? 100 + rng_below(r, 900) : 0;
    p.stopset = rng_below(r, 2) ? ss : NULL;
    return p;
}

/* A pilot's findings changing under a follower: TTLs turn pending (until
 * some time), answered or silent; top follows the answers or jumps. */
static void mutate_hint(uint64_t *r, struct kp_tracer_hint *h, int64_t now)
{
    unsigned ttl = 1 + rng_below(r, KP_TRACER_MAX_TTL);
    uint64_t bit = 1ull << ttl;
    switch (rng_below(r, 5)) {
    case 0:
        h->pending |= bit;
        h->silent &= ~bit;
        h->until[ttl] = now - 500 + (int64_t)rng_below(r, 3000);
        break;
    case 1:
        h->pending &= ~bit;
        h->answered |= bit;
        if (ttl > h->top)
            h->top = (uint8_t)ttl;
        break;
    case 2:
        h->pending &= ~bit;
        h->silent |= bit;
        break;
    case 3:
        h->top = (uint8_t)rng_below(r, 64);
        break;
    default:
        h->pending &= ~bit;
        break;
    }
}

static void random_hint(uint64_t *r, struct kp_tracer_hint *h, int64_t *until)
{
    memset(h, 0, sizeof(*h));
    h->until = until;
    for (unsigned i = rng_below(r, 40); i > 0; i--)
        mutate_hint(r, h, 0);
}

/* What the caller sees of one trace, kept from the calls alone. */
struct seen {
    uint8_t sent[KP_TRACER_MAX_TTL + 1]; /* attempts sent (less the unsent) */
    int64_t tx[KP_TRACER_MAX_TTL + 1];   /* the latest attempt left then */
    bool replied[KP_TRACER_MAX_TTL + 1];
};

/* TTLs probed, unanswered and not silent at now (a retry left, or the last
 * attempt's wait not over), at or below a stop: those the window holds. */
static unsigned seen_in_flight(const struct seen *s, const struct kp_tracer *t, int64_t now)
{
    unsigned n = 0;
    for (unsigned ttl = 1; ttl <= KP_TRACER_MAX_TTL; ttl++) {
        if (s->sent[ttl] == 0 || s->replied[ttl] || (t->stop != KP_STOP_NONE && ttl > t->stop_ttl))
            continue;
        if (s->sent[ttl] < t->p.attempts || now - s->tx[ttl] < t->p.wait_ns)
            n++;
    }
    return n;
}

/* The contract of tracer.h on one random sequence, without the reference. */
static void contract_sequence(uint64_t *r, const struct kp_stopset *ss,
                              const struct kp_addr *in_set)
{
    static int64_t hint_until[KP_TRACER_MAX_TTL + 1], pub_until[KP_TRACER_MAX_TTL + 1];
    struct kp_tracer_hint hint, pub = {.until = pub_until};
    struct kp_tracer_params p = random_params(r, ss);
    if (rng_below(r, 2)) {
        random_hint(r, &hint, hint_until);
        p.hint = &hint;
    }
    p.publish = rng_below(r, 2) ? &pub : NULL;
    struct kp_tracer t;
    cr_assert_eq(kp_tracer_init(&t, &p), 0);
    struct seen s;
    memset(&s, 0, sizeof(s));
    int64_t now = 0;
    uint32_t sends = 0;
    struct kp_tracer_probe last = {0};
    bool just_sent = false, was_done = false;
    for (unsigned step = 0; step < 400; step++) {
        unsigned op = rng_below(r, 100);
        if (op < 55) {
            struct kp_tracer_probe pr = {0};
            int64_t wake = -1;
            bool forward_done = kp_tracer_forward_done(&t);
            uint8_t stop_ttl = t.stop_ttl;
            enum kp_tracer_status st = kp_tracer_next(&t, now, (uint32_t)rng_next(r), &pr, &wake);
            just_sent = st == KP_TRACER_SEND;
            cr_assert(!was_done || st == KP_TRACER_DONE, "done is final");
            was_done = st == KP_TRACER_DONE;
            cr_assert_eq(was_done, kp_tracer_done(&t));
            if (st == KP_TRACER_WAIT)
                cr_assert_gt(wake, now);
            if (st == KP_TRACER_DONE && p.publish)
                cr_assert_eq(pub.pending, 0, "nothing left pending once done");
            if (st != KP_TRACER_SEND)
                continue;
            cr_assert(pr.ttl >= p.first_ttl && pr.ttl <= p.max_ttl);
            cr_assert(!forward_done || pr.ttl <= stop_ttl, "no probe above a stop");
            cr_assert_eq(pr.attempt, s.sent[pr.ttl], "attempts in order");
            cr_assert_lt(pr.attempt, p.attempts, "attempts never exceeded");
            cr_assert(!s.replied[pr.ttl], "no probe of an answered TTL");
            cr_assert(pr.attempt == 0 || now - s.tx[pr.ttl] >= p.wait_ns, "retry after the wait");
            s.sent[pr.ttl]++;
            s.tx[pr.ttl] = now;
            sends++;
            cr_assert_eq(t.probes_sent, sends);
            /* a deferred TTL opens beside the window (tracer.h) */
            if (p.presume_ns == 0 && p.hint == NULL)
                cr_assert_leq(seen_in_flight(&s, &t, now), p.window, "window exceeded");
            if (p.publish)
                cr_assert(pub.pending & (1ull << pr.ttl), "a probe sent is published pending");
            last = pr;
            continue;
        }
        if (op < 70) {
            now += rng_below(r, 3) == 0 ? (int64_t)rng_below(r, 2500) : (int64_t)rng_below(r, 100);
        } else if (op < 88) {
            uint8_t ttl = (uint8_t)(p.first_ttl + rng_below(r, p.max_ttl - p.first_ttl + 1u));
            uint8_t attempt = (uint8_t)rng_below(r, p.attempts);
            enum kp_tracer_event ev = rng_below(r, 6) < 5 ? KP_TRACER_EV_HOP : KP_TRACER_EV_REACHED;
            /* ignored above a stop: that TTL is cancelled */
            if (!t.done && attempt < s.sent[ttl] && (t.stop == KP_STOP_NONE || ttl <= t.stop_ttl))
                s.replied[ttl] = true;
            kp_tracer_reply(&t, ttl, attempt, ev, KP_STOP_NONE, rng_below(r, 4) ? NULL : in_set);
        } else if (op < 92 && just_sent) {
            kp_tracer_unsend(&t, &last, now);
            s.sent[last.ttl]--;
            s.tx[last.ttl] = now - p.wait_ns;
            sends--;
        } else if (op < 98 && p.hint) {
            mutate_hint(r, &hint, now);
        } else if (op == 99 && rng_below(r, 4) == 0) {
            kp_tracer_abort(&t, KP_STOP_INTERRUPTED);
        }
        just_sent = false;
    }
    cr_assert_leq(t.probes_saved, p.max_ttl - p.first_ttl + 1u);
}

Test(tracer, contract_holds_on_random_sequences)
{
    struct kp_stopset ss;
    kp_stopset_init(&ss);
    struct kp_addr in_set = A("198.18.0.3");
    cr_assert_eq(kp_stopset_add_iface(&ss, &in_set), 0);
    uint64_t r = 0x2545f4914f6cdd1dull;
    for (unsigned seq = 0; seq < 5000; seq++)
        contract_sequence(&r, &ss, &in_set);
    kp_stopset_free(&ss);
}
