/* SPDX-License-Identifier: BSD-2-Clause */
/* The set-based change detector (core/change/detect.h) on synthetic trace
 * streams, property-style over many seeds: what a scenario must give (no
 * event, one event with the true moment inside its interval, ...) comes from
 * the scenario's definition, never from the detector. And the events.jsonl
 * line (core/change/event_json.h), read back with jansson. */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/base/prng.h"
#include "core/change/detect.h"
#include "core/change/event_json.h"

#define UNICOM 4837u
#define TTC    20485u
#define THIRD  3356u
#define S      1000000000LL
#define T0     (1506816000LL * S) /* 2017-10-01T00:00:00Z */

static double u01(uint64_t *r)
{
    return (double)(kp_splitmix64(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* Traces of one key, every ~2 s (1.5..2.5 s apart), each 0.3..1.5 s long. */
struct stream {
    uint64_t rng;
    int64_t next_start;
    uint64_t id;
    struct kp_chg_track t;
    struct kp_chg_params p;
    struct kp_chg_event ev[16];
    unsigned n_ev;
    unsigned fed;
};

static void stream_init(struct stream *s, uint64_t seed)
{
    memset(s, 0, sizeof(*s));
    s->rng = seed * 0x9e3779b97f4a7c15ULL + 1;
    s->next_start = T0 + (int64_t)(u01(&s->rng) * 3600.0 * S);
    kp_chg_track_init(&s->t);
    kp_chg_params_default(&s->p);
}

/* The next trace's times (the caller fills in what it showed). */
static struct kp_chg_obs stream_next(struct stream *s)
{
    struct kp_chg_obs o = {0};
    o.start_ns = s->next_start;
    o.end_ns = o.start_ns + (int64_t)((0.3 + 1.2 * u01(&s->rng)) * S);
    o.trace_id = ++s->id;
    s->next_start += (int64_t)((1.5 + u01(&s->rng)) * S);
    return o;
}

static void stream_feed(struct stream *s, const struct kp_chg_obs *o)
{
    struct kp_chg_event e;
    int rc = kp_chg_feed(&s->t, &s->p, o, &e);
    cr_assert(rc == 0 || rc == 1, "feed returned %d", rc);
    s->fed++;
    if (rc == 1 && s->n_ev < 16)
        s->ev[s->n_ev++] = e;
    else if (rc == 1)
        s->n_ev++;
}

static uint32_t pick(struct stream *s, uint32_t a, uint32_t b, double share_a)
{
    return u01(&s->rng) < share_a ? a : b;
}

static void assert_state(const struct kp_chg_state *st, unsigned n, uint32_t a, uint32_t b,
                         enum kp_chg_status status, const char *what)
{
    cr_assert_eq(st->n, n, "%s: %u transits, want %u", what, st->n, n);
    if (n >= 1)
        cr_assert_eq(st->transits[0], a, "%s: transit %u", what, st->transits[0]);
    if (n >= 2)
        cr_assert_eq(st->transits[1], b, "%s: transit %u", what, st->transits[1]);
    cr_assert_eq(st->status, status, "%s: status %s, want %s", what, kp_chg_status_name(st->status),
                 kp_chg_status_name(status));
}

/* ---- nothing changes: no event ---------------------------------------------- */

Test(change_detect, ecmp_pair_any_share_no_event)
{
    static const double shares[] = {0.5, 0.8, 0.9};
    for (unsigned k = 0; k < 3; k++)
        for (uint64_t seed = 1; seed <= 20; seed++) {
            struct stream s;
            stream_init(&s, seed + 1000 * k);
            for (int i = 0; i < 20000; i++) {
                struct kp_chg_obs o = stream_next(&s);
                o.transit = pick(&s, UNICOM, TTC, shares[k]);
                o.outcome = KP_CHG_OUT_DST;
                stream_feed(&s, &o);
            }
            cr_assert_eq(s.n_ev, 0, "share %.2f seed %llu: %u events", shares[k],
                         (unsigned long long)seed, s.n_ev);
            const struct kp_chg_state *st = kp_chg_current(&s.t);
            cr_assert_not_null(st);
            assert_state(st, 2, UNICOM, TTC, KP_CHG_REACHED, "final state");
        }
}

Test(change_detect, loss_no_event)
{
    /* 5 % of the traces lost (no transit, stopped), on a single transit and on
     * an ECMP pair */
    for (uint64_t seed = 1; seed <= 20; seed++) {
        for (int ecmp = 0; ecmp < 2; ecmp++) {
            struct stream s;
            stream_init(&s, seed + 100 * (uint64_t)ecmp);
            for (int i = 0; i < 20000; i++) {
                struct kp_chg_obs o = stream_next(&s);
                if (u01(&s.rng) < 0.05) {
                    o.transit = 0;
                    o.outcome = KP_CHG_OUT_STOPPED;
                } else {
                    o.transit = ecmp ? pick(&s, UNICOM, TTC, 0.5) : UNICOM;
                    o.outcome = KP_CHG_OUT_DST;
                }
                stream_feed(&s, &o);
            }
            cr_assert_eq(s.n_ev, 0, "seed %llu ecmp %d: %u events", (unsigned long long)seed, ecmp,
                         s.n_ev);
        }
    }
}

Test(change_detect, rate_limiting_runs_no_event)
{
    /* runs of 1..3 traces that stop short (an ICMP rate-limited hop) among
     * traces that reach; the verdict still names the transit, or none */
    for (uint64_t seed = 1; seed <= 40; seed++) {
        struct stream s;
        stream_init(&s, seed);
        int run = 0;
        for (int i = 0; i < 5000; i++) {
            struct kp_chg_obs o = stream_next(&s);
            if (run == 0 && i > 20 && u01(&s.rng) < 0.03)
                run = 1 + (int)(kp_splitmix64(&s.rng) % 3);
            o.transit = UNICOM;
            o.outcome = KP_CHG_OUT_DST;
            if (run > 0) {
                run--;
                o.outcome = KP_CHG_OUT_STOPPED;
                o.transit = u01(&s.rng) < 0.5 ? UNICOM : 0;
            }
            stream_feed(&s, &o);
        }
        cr_assert_eq(s.n_ev, 0, "seed %llu: %u events", (unsigned long long)seed, s.n_ev);
    }
}

Test(change_detect, filtered_prefix_with_lost_answers_no_event)
{
    /* an admin-prohibited /24: 90 % of the traces end !X, the rest lose it */
    for (uint64_t seed = 1; seed <= 20; seed++) {
        struct stream s;
        stream_init(&s, seed);
        for (int i = 0; i < 5000; i++) {
            struct kp_chg_obs o = stream_next(&s);
            o.transit = UNICOM;
            o.outcome = u01(&s.rng) < 0.9 ? KP_CHG_OUT_FILTERED : KP_CHG_OUT_STOPPED;
            stream_feed(&s, &o);
        }
        cr_assert_eq(s.n_ev, 0, "seed %llu: %u events", (unsigned long long)seed, s.n_ev);
        assert_state(kp_chg_current(&s.t), 1, UNICOM, 0, KP_CHG_FILTERED, "state");
    }
}

/* ---- changes ---------------------------------------------------------------- */

/* The path a trace took across a move at T: before if it ended before T,
 * after if it started at or after T, either when it straddled T. */
static bool after_move(struct stream *s, const struct kp_chg_obs *o, int64_t T)
{
    if (o->end_ns < T)
        return false;
    if (o->start_ns >= T)
        return true;
    return u01(&s->rng) < 0.5;
}

static void assert_onset(const struct kp_chg_event *e, int64_t T, int64_t max_width,
                         const char *what, uint64_t seed)
{
    cr_assert(e->last_before_ns < T, "%s seed %llu: last_before %lld not before T %lld", what,
              (unsigned long long)seed, (long long)e->last_before_ns, (long long)T);
    cr_assert(T <= e->first_after_ns, "%s seed %llu: first_after %lld before T %lld", what,
              (unsigned long long)seed, (long long)e->first_after_ns, (long long)T);
    cr_assert(e->first_after_ns - e->last_before_ns <= max_width,
              "%s seed %llu: interval %lld ns wide", what, (unsigned long long)seed,
              (long long)(e->first_after_ns - e->last_before_ns));
    cr_assert(e->n_traces >= 1, "%s: no evidence", what);
}

Test(change_detect, move_one_event_onset_brackets_true_time)
{
    for (uint64_t seed = 1; seed <= 200; seed++) {
        for (int lossy = 0; lossy < 2; lossy++) {
            struct stream s;
            stream_init(&s, seed + 7777 * (uint64_t)lossy);
            int64_t T = s.next_start + (int64_t)((300.0 + 1200.0 * u01(&s.rng)) * S);
            static bool via_b[1501];
            memset(via_b, 0, sizeof(via_b));
            for (int i = 0; i < 1500; i++) {
                struct kp_chg_obs o = stream_next(&s);
                bool b = after_move(&s, &o, T);
                o.transit = b ? TTC : UNICOM;
                o.outcome = KP_CHG_OUT_DST;
                if (lossy && u01(&s.rng) < 0.05) {
                    o.transit = 0;
                    o.outcome = KP_CHG_OUT_STOPPED;
                } else {
                    via_b[o.trace_id] = b;
                }
                stream_feed(&s, &o);
            }
            cr_assert_eq(s.n_ev, 1, "seed %llu lossy %d: %u events", (unsigned long long)seed,
                         lossy, s.n_ev);
            assert_state(&s.ev[0].before, 1, UNICOM, 0, KP_CHG_REACHED, "before");
            assert_state(&s.ev[0].after, 1, TTC, 0, KP_CHG_REACHED, "after");
            /* a few trace periods: the last trace on the old path and the
             * first on the new, with straddling (or lost) ones between */
            assert_onset(&s.ev[0], T, 12 * S, "move", seed);
            for (unsigned k = 0; k < s.ev[0].n_traces; k++)
                cr_assert(s.ev[0].traces[k] <= 1500 && via_b[s.ev[0].traces[k]],
                          "evidence: trace %llu did not go via TTC",
                          (unsigned long long)s.ev[0].traces[k]);
        }
    }
}

Test(change_detect, black_hole_one_event_reached_to_dark)
{
    for (uint64_t seed = 1; seed <= 200; seed++) {
        struct stream s;
        stream_init(&s, seed);
        int64_t T = s.next_start + (int64_t)((300.0 + 1200.0 * u01(&s.rng)) * S);
        bool named = seed % 2; /* the transit still named after T, or not */
        for (int i = 0; i < 1500; i++) {
            struct kp_chg_obs o = stream_next(&s);
            bool dark = after_move(&s, &o, T);
            o.transit = dark && !named ? 0 : UNICOM;
            o.outcome = dark ? KP_CHG_OUT_STOPPED : KP_CHG_OUT_DST;
            stream_feed(&s, &o);
        }
        cr_assert_eq(s.n_ev, 1, "seed %llu: %u events", (unsigned long long)seed, s.n_ev);
        assert_state(&s.ev[0].before, 1, UNICOM, 0, KP_CHG_REACHED, "before");
        assert_state(&s.ev[0].after, 1, UNICOM, 0, KP_CHG_DARK, "after");
        assert_onset(&s.ev[0], T, 12 * S, "black hole", seed);
    }
}

Test(change_detect, black_hole_ends_one_event_each_way)
{
    for (uint64_t seed = 1; seed <= 50; seed++) {
        struct stream s;
        stream_init(&s, seed);
        int64_t T1 = s.next_start + 1000 * S, T2 = T1 + 1000 * S;
        for (int i = 0; i < 1500; i++) {
            struct kp_chg_obs o = stream_next(&s);
            bool dark = after_move(&s, &o, T1) && !after_move(&s, &o, T2);
            o.transit = UNICOM;
            o.outcome = dark ? KP_CHG_OUT_STOPPED : KP_CHG_OUT_DST;
            stream_feed(&s, &o);
        }
        cr_assert_eq(s.n_ev, 2, "seed %llu: %u events", (unsigned long long)seed, s.n_ev);
        cr_assert_eq(s.ev[0].after.status, KP_CHG_DARK);
        cr_assert_eq(s.ev[1].before.status, KP_CHG_DARK);
        cr_assert_eq(s.ev[1].after.status, KP_CHG_REACHED);
        assert_onset(&s.ev[0], T1, 12 * S, "dark", seed);
        assert_onset(&s.ev[1], T2, 12 * S, "back", seed);
    }
}

Test(change_detect, ecmp_member_disappears)
{
    for (uint64_t seed = 1; seed <= 100; seed++) {
        struct stream s;
        stream_init(&s, seed);
        int64_t T = s.next_start + (int64_t)((600.0 + 1200.0 * u01(&s.rng)) * S);
        for (int i = 0; i < 2000; i++) {
            struct kp_chg_obs o = stream_next(&s);
            o.transit = after_move(&s, &o, T) ? UNICOM : pick(&s, UNICOM, TTC, 0.5);
            o.outcome = KP_CHG_OUT_DST;
            stream_feed(&s, &o);
        }
        cr_assert_eq(s.n_ev, 1, "seed %llu: %u events", (unsigned long long)seed, s.n_ev);
        assert_state(&s.ev[0].before, 2, UNICOM, TTC, KP_CHG_REACHED, "before");
        assert_state(&s.ev[0].after, 1, UNICOM, 0, KP_CHG_REACHED, "after");
        /* a removal is certain only after k misses: at a share of 1/2 and
         * miss_p 1e-7, k = 24 traces (about 48 s), the window included */
        assert_onset(&s.ev[0], T, 120 * S, "removal", seed);
    }
}

Test(change_detect, ecmp_member_appears_after_long_stable)
{
    /* the 2017 story: TTC appears beside China Unicom, half the flows each */
    for (uint64_t seed = 1; seed <= 100; seed++) {
        struct stream s;
        stream_init(&s, seed);
        int64_t T = s.next_start + (int64_t)((1000.0 + 600.0 * u01(&s.rng)) * S);
        for (int i = 0; i < 2000; i++) {
            struct kp_chg_obs o = stream_next(&s);
            o.transit = after_move(&s, &o, T) ? pick(&s, UNICOM, TTC, 0.5) : UNICOM;
            o.outcome = KP_CHG_OUT_DST;
            stream_feed(&s, &o);
        }
        cr_assert_eq(s.n_ev, 1, "seed %llu: %u events", (unsigned long long)seed, s.n_ev);
        assert_state(&s.ev[0].before, 1, UNICOM, 0, KP_CHG_REACHED, "before");
        assert_state(&s.ev[0].after, 2, UNICOM, TTC, KP_CHG_REACHED, "after");
        /* the first sighting of TTC follows T by a few traces; the trace
         * before it named China Unicom, which at a share of 1/2 does not
         * show that TTC was absent: last_before is not a bound here
         * (docs/change-detection.md) */
        cr_assert(T <= s.ev[0].first_after_ns && s.ev[0].first_after_ns - T <= 60 * S);
        cr_assert(s.ev[0].last_before_ns < s.ev[0].first_after_ns);
    }
}

/* ---- short histories: numbers worked out by hand from the rule ------------
 * (docs/change-detection.md): a member is gone after k misses in a row,
 * k = max(3, ceil(ln(1e-7) / ln(1 - p))), p the Wilson lower bound (z = 1.645)
 * of its share over the traces naming a transit up to its last sighting; at
 * least k(1/2) = ceil(16.1181 / 0.693147) = 24 beside a transit new in the
 * window. Traces every 2 s, each 1 s long, trace i starting at T0 + 2 i s. */

static struct kp_chg_obs fixed_obs(int i, uint32_t transit)
{
    struct kp_chg_obs o = {0};
    o.start_ns = T0 + 2 * (int64_t)i * S;
    o.end_ns = o.start_ns + S;
    o.transit = transit;
    o.outcome = KP_CHG_OUT_DST;
    o.trace_id = (uint64_t)i;
    return o;
}

static void fixed_init(struct kp_chg_track *t, struct kp_chg_params *p)
{
    kp_chg_params_default(p);
    kp_chg_track_init(t);
}

/* Feeds trace i; returns the feed's result (the event in *e). */
static int feed_fixed(struct kp_chg_track *t, const struct kp_chg_params *p, int i,
                      uint32_t transit, struct kp_chg_event *e)
{
    struct kp_chg_obs o = fixed_obs(i, transit);
    int rc = kp_chg_feed(t, p, &o, e);
    cr_assert(rc == 0 || rc == 1, "trace %d: feed returned %d", i, rc);
    return rc;
}

Test(change_detect, move_right_after_warmup_one_event_after_24_traces)
{
    /* traces 1..8 (the warm-up) via Unicom, from trace 9 on via TTC. At
     * trace 9 Unicom has 8 sightings in 8 traces: p = 8 / (8 + 1.645^2) =
     * 0.74725, k = ceil(16.1181 / 1.37535) = 12; beside TTC, new in the
     * window, 24. The event completes at trace 8 + 24 = 32, {4837} ->
     * {20485} (not {4837, 20485}: the window's own traces do not dilute
     * Unicom's share); first_after = the end of trace 9, last_before = the
     * start of trace 8. */
    struct kp_chg_params p;
    struct kp_chg_track t;
    struct kp_chg_event e;
    fixed_init(&t, &p);
    for (int i = 1; i <= 8; i++)
        cr_assert_eq(feed_fixed(&t, &p, i, UNICOM, &e), 0);
    cr_assert_eq(kp_chg_phase(&t), KP_CHG_STABLE);
    cr_assert_eq(feed_fixed(&t, &p, 9, TTC, &e), 0);
    cr_assert_eq(kp_chg_phase(&t), KP_CHG_SUSPECT);
    /* what the window still wants: Unicom's streak is 1 of 24 */
    cr_assert_eq(kp_chg_wanted(&t, &p), 23);
    cr_assert_eq(feed_fixed(&t, &p, 10, TTC, &e), 0);
    cr_assert_eq(kp_chg_wanted(&t, &p), 22);
    for (int i = 11; i <= 31; i++) {
        cr_assert_eq(feed_fixed(&t, &p, i, TTC, &e), 0, "no event at trace %d", i);
        cr_assert_eq(kp_chg_wanted(&t, &p), (unsigned)(32 - i), "wanted after trace %d", i);
    }
    cr_assert_eq(feed_fixed(&t, &p, 32, TTC, &e), 1, "the event at trace 32");
    assert_state(&e.before, 1, UNICOM, 0, KP_CHG_REACHED, "before");
    assert_state(&e.after, 1, TTC, 0, KP_CHG_REACHED, "after");
    cr_assert_eq(e.first_after_ns, fixed_obs(9, 0).end_ns);
    cr_assert_eq(e.last_before_ns, fixed_obs(8, 0).start_ns);
    cr_assert_eq(e.traces[0], 9);
    cr_assert_eq(kp_chg_phase(&t), KP_CHG_STABLE);
    for (int i = 33; i <= 200; i++)
        cr_assert_eq(feed_fixed(&t, &p, i, TTC, &e), 0, "nothing more at trace %d", i);
}

Test(change_detect, move_after_short_history_one_event_after_24_traces)
{
    /* 20 traces via Unicom (8 warm-up, 12 stable), then TTC: at trace 21
     * p = 20 / 22.706 = 0.88083, k = ceil(16.1181 / 2.12722) = 8, 24 beside
     * TTC: the event at trace 20 + 24 = 44 */
    struct kp_chg_params p;
    struct kp_chg_track t;
    struct kp_chg_event e;
    fixed_init(&t, &p);
    for (int i = 1; i <= 20; i++)
        cr_assert_eq(feed_fixed(&t, &p, i, UNICOM, &e), 0);
    for (int i = 21; i <= 43; i++)
        cr_assert_eq(feed_fixed(&t, &p, i, TTC, &e), 0, "no event at trace %d", i);
    cr_assert_eq(feed_fixed(&t, &p, 44, TTC, &e), 1, "the event at trace 44");
    assert_state(&e.before, 1, UNICOM, 0, KP_CHG_REACHED, "before");
    assert_state(&e.after, 1, TTC, 0, KP_CHG_REACHED, "after");
    cr_assert_eq(e.first_after_ns, fixed_obs(21, 0).end_ns);
    cr_assert_eq(e.last_before_ns, fixed_obs(20, 0).start_ns);
}

Test(change_detect, ecmp_member_leaves_after_short_history)
{
    /* the warm-up alternates Unicom (odd traces) and TTC (even): {4837,
     * 20485}, TTC last seen at trace 8; from trace 9 on only Unicom. TTC's
     * share over the 8 traces up to its last sighting: 4 of 8, Wilson low
     * (0.5 + 0.169128 - 1.645 * sqrt(0.03125 + 0.010570)) / 1.338253 =
     * 0.248630, k = ceil(16.1181 / 0.285860) = 57 (the streak itself is not
     * counted in the share, so k stays 57 as it grows). The streak reaches
     * it at trace 8 + 57 = 65, which opens the window; the window of 8 ends
     * at trace 72 with TTC gone: {4837, 20485} -> {4837}, first_after the
     * end of trace 65 (the trace that made it certain), last_before the
     * start of trace 8. */
    struct kp_chg_params p;
    struct kp_chg_track t;
    struct kp_chg_event e;
    fixed_init(&t, &p);
    for (int i = 1; i <= 8; i++)
        cr_assert_eq(feed_fixed(&t, &p, i, i % 2 ? UNICOM : TTC, &e), 0);
    assert_state(kp_chg_current(&t), 2, UNICOM, TTC, KP_CHG_REACHED, "warm-up");
    for (int i = 9; i <= 64; i++) {
        cr_assert_eq(feed_fixed(&t, &p, i, UNICOM, &e), 0, "no event at trace %d", i);
        cr_assert_eq(kp_chg_phase(&t), KP_CHG_STABLE, "stable after trace %d", i);
    }
    cr_assert_eq(feed_fixed(&t, &p, 65, UNICOM, &e), 0);
    cr_assert_eq(kp_chg_phase(&t), KP_CHG_SUSPECT);
    for (int i = 66; i <= 71; i++)
        cr_assert_eq(feed_fixed(&t, &p, i, UNICOM, &e), 0, "no event at trace %d", i);
    cr_assert_eq(feed_fixed(&t, &p, 72, UNICOM, &e), 1, "the event at trace 72");
    assert_state(&e.before, 2, UNICOM, TTC, KP_CHG_REACHED, "before");
    assert_state(&e.after, 1, UNICOM, 0, KP_CHG_REACHED, "after");
    cr_assert_eq(e.first_after_ns, fixed_obs(65, 0).end_ns);
    cr_assert_eq(e.last_before_ns, fixed_obs(8, 0).start_ns);
}

Test(change_detect, flapping)
{
    for (uint64_t seed = 1; seed <= 50; seed++) {
        /* A -> B -> A, each phase long: two events */
        struct stream s;
        stream_init(&s, seed);
        int64_t T1 = s.next_start + 1000 * S, T2 = T1 + 1000 * S;
        for (int i = 0; i < 1500; i++) {
            struct kp_chg_obs o = stream_next(&s);
            bool b = after_move(&s, &o, T1) && !after_move(&s, &o, T2);
            o.transit = b ? TTC : UNICOM;
            o.outcome = KP_CHG_OUT_DST;
            stream_feed(&s, &o);
        }
        cr_assert_eq(s.n_ev, 2, "seed %llu: %u events", (unsigned long long)seed, s.n_ev);
        assert_state(&s.ev[0].after, 1, TTC, 0, KP_CHG_REACHED, "first");
        assert_state(&s.ev[1].after, 1, UNICOM, 0, KP_CHG_REACHED, "second");
        assert_onset(&s.ev[0], T1, 12 * S, "flap 1", seed);
        assert_onset(&s.ev[1], T2, 12 * S, "flap 2", seed);

        /* from a stable {A}, A and B alternate trace by trace: {A} -> {A, B}
         * once, then nothing */
        stream_init(&s, seed + 500);
        for (int i = 0; i < 3000; i++) {
            struct kp_chg_obs o = stream_next(&s);
            o.transit = i < 500 || i % 2 == 0 ? UNICOM : TTC;
            o.outcome = KP_CHG_OUT_DST;
            stream_feed(&s, &o);
        }
        cr_assert_eq(s.n_ev, 1, "alternating seed %llu: %u events", (unsigned long long)seed,
                     s.n_ev);
        assert_state(&s.ev[0].after, 2, UNICOM, TTC, KP_CHG_REACHED, "alternating");
    }
}

Test(change_detect, warmup_emits_nothing)
{
    for (uint64_t seed = 1; seed <= 2000; seed++) {
        uint64_t r = seed;
        struct kp_chg_params p;
        p.confirm = 1 + (unsigned)(kp_splitmix64(&r) % KP_CHG_MAX_CONFIRM);
        p.min_seen = 1 + (unsigned)(kp_splitmix64(&r) % p.confirm);
        p.miss_p = 1e-9 + u01(&r) * 0.5;
        cr_assert_eq(kp_chg_params_check(&p), 0);
        struct kp_chg_track t;
        kp_chg_track_init(&t);
        for (unsigned i = 0; i < p.confirm; i++) {
            cr_assert_eq(kp_chg_phase(&t), KP_CHG_WARMUP);
            cr_assert_null(kp_chg_current(&t));
            cr_assert_eq(kp_chg_wanted(&t, &p), p.confirm - i);
            struct kp_chg_obs o = {0};
            o.start_ns = (int64_t)(kp_splitmix64(&r) >> 2) - (INT64_MAX / 4);
            o.end_ns = o.start_ns + (int64_t)(kp_splitmix64(&r) % (10 * S));
            o.transit = (uint32_t)(kp_splitmix64(&r) % 4);
            o.outcome = (enum kp_chg_outcome)(kp_splitmix64(&r) % KP_CHG_OUT_COUNT);
            struct kp_chg_event e;
            cr_assert_eq(kp_chg_feed(&t, &p, &o, &e), 0);
        }
        cr_assert_eq(kp_chg_phase(&t), KP_CHG_STABLE);
        cr_assert_not_null(kp_chg_current(&t));
    }
}

Test(change_detect, initial_state_and_statuses)
{
    struct kp_chg_params p;
    kp_chg_params_default(&p);
    struct kp_chg_event e;
    struct kp_chg_obs o = {T0, T0 + S, UNICOM, KP_CHG_OUT_FILTERED, 1};
    struct kp_chg_track t;
    kp_chg_track_init(&t);
    for (unsigned i = 0; i < p.confirm; i++) {
        o.outcome = i < p.confirm / 2 ? KP_CHG_OUT_FILTERED : KP_CHG_OUT_STOPPED;
        cr_assert_eq(kp_chg_feed(&t, &p, &o, &e), 0);
        o.start_ns += 2 * S;
        o.end_ns += 2 * S;
    }
    /* half of the traces !X: filtered */
    assert_state(kp_chg_current(&t), 1, UNICOM, 0, KP_CHG_FILTERED, "half !X");

    kp_chg_track_init(&t);
    o.transit = 0;
    for (unsigned i = 0; i < p.confirm; i++) {
        o.outcome = i == 0 ? KP_CHG_OUT_FILTERED : KP_CHG_OUT_STOPPED;
        cr_assert_eq(kp_chg_feed(&t, &p, &o, &e), 0);
    }
    assert_state(kp_chg_current(&t), 0, 0, 0, KP_CHG_INCOMPLETE, "never answered");
    /* incomplete stays incomplete when nothing answers (never dark) */
    int events = 0;
    for (unsigned i = 0; i < 100; i++) {
        o.outcome = i % 10 == 0 ? KP_CHG_OUT_FILTERED : KP_CHG_OUT_STOPPED;
        events += kp_chg_feed(&t, &p, &o, &e);
    }
    cr_assert_eq(events, 0);
    /* then the destination answers: incomplete -> reached */
    o.transit = TTC;
    o.outcome = KP_CHG_OUT_DST;
    for (unsigned i = 0; i < p.confirm; i++)
        events += kp_chg_feed(&t, &p, &o, &e);
    cr_assert_eq(events, 1);
    assert_state(&e.before, 0, 0, 0, KP_CHG_INCOMPLETE, "before");
    assert_state(&e.after, 1, TTC, 0, KP_CHG_REACHED, "after");
}

Test(change_detect, out_of_order_traces_accepted_interval_ordered)
{
    /* concurrent traces arrive up to ~3 places out of start order */
    for (uint64_t seed = 1; seed <= 200; seed++) {
        struct stream s;
        stream_init(&s, seed);
        int64_t T = s.next_start + (int64_t)((300.0 + 600.0 * u01(&s.rng)) * S);
        struct kp_chg_obs q[4];
        for (int i = 0; i < 4; i++) {
            q[i] = stream_next(&s);
            q[i].transit = UNICOM;
        }
        for (int i = 0; i < 1200; i++) {
            unsigned k = (unsigned)(kp_splitmix64(&s.rng) % 4);
            struct kp_chg_obs o = q[k];
            o.outcome = KP_CHG_OUT_DST;
            o.transit = after_move(&s, &o, T) ? TTC : UNICOM;
            stream_feed(&s, &o);
            q[k] = stream_next(&s);
        }
        cr_assert_geq(s.n_ev, 1, "seed %llu: no event", (unsigned long long)seed);
        for (unsigned i = 0; i < s.n_ev && i < 16; i++)
            cr_assert(s.ev[i].last_before_ns < s.ev[i].first_after_ns);
        assert_state(&s.ev[s.n_ev - 1].after, 1, TTC, 0, KP_CHG_REACHED, "after");
    }
}

Test(change_detect, bad_arguments)
{
    struct kp_chg_params p;
    kp_chg_params_default(&p);
    struct kp_chg_track t;
    kp_chg_track_init(&t);
    struct kp_chg_event e;
    struct kp_chg_obs o = {T0, T0, UNICOM, KP_CHG_OUT_COUNT, 1};
    cr_assert_eq(kp_chg_feed(&t, &p, &o, &e), -EINVAL);
    o.outcome = KP_CHG_OUT_DST;
    cr_assert_eq(kp_chg_feed(NULL, &p, &o, &e), -EINVAL);
    cr_assert_eq(kp_chg_feed(&t, NULL, &o, &e), -EINVAL);
    struct kp_chg_params bad = p;
    bad.confirm = KP_CHG_MAX_CONFIRM + 1;
    cr_assert_eq(kp_chg_params_check(&bad), -EINVAL);
    bad = p;
    bad.min_seen = p.confirm + 1;
    cr_assert_eq(kp_chg_params_check(&bad), -EINVAL);
    bad = p;
    bad.miss_p = 1.0;
    cr_assert_eq(kp_chg_params_check(&bad), -EINVAL);
    cr_assert_eq(kp_chg_feed(&t, &bad, &o, &e), -EINVAL);
    cr_assert_eq(t.fed, 0);
    cr_assert_str_eq(kp_chg_status_name(KP_CHG_DARK), "dark");
    cr_assert_eq(kp_chg_status_from_name("filtered"), KP_CHG_FILTERED);
    cr_assert_eq(kp_chg_status_from_name("gone"), -1);
}

/* ---- checkpoint: restart anywhere, same future ------------------------------ */

/* A mixed stream: ECMP, moves, loss, rate limiting, a black hole. */
static struct kp_chg_obs mixed_next(struct stream *s, int i)
{
    struct kp_chg_obs o = stream_next(s);
    int phase = (i / 150) % 6;
    o.outcome = KP_CHG_OUT_DST;
    switch (phase) {
    case 0:
        o.transit = UNICOM;
        break;
    case 1:
        o.transit = pick(s, UNICOM, TTC, 0.5);
        break;
    case 2:
        o.transit = TTC;
        break;
    case 3:
        o.transit = TTC;
        o.outcome = KP_CHG_OUT_STOPPED;
        break;
    case 4:
        o.transit = pick(s, TTC, THIRD, 0.7);
        break;
    default:
        o.transit = THIRD;
        o.outcome = u01(&s->rng) < 0.6 ? KP_CHG_OUT_FILTERED : KP_CHG_OUT_STOPPED;
        break;
    }
    if (u01(&s->rng) < 0.05) {
        o.transit = 0;
        o.outcome = KP_CHG_OUT_STOPPED;
    }
    return o;
}

static bool event_eq(const struct kp_chg_event *a, const struct kp_chg_event *b)
{
    return kp_chg_state_eq(&a->before, &b->before) && kp_chg_state_eq(&a->after, &b->after) &&
           a->last_before_ns == b->last_before_ns && a->first_after_ns == b->first_after_ns &&
           a->n_traces == b->n_traces &&
           memcmp(a->traces, b->traces, sizeof(a->traces[0]) * a->n_traces) == 0;
}

Test(change_detect, checkpoint_restart_gives_same_future)
{
    enum { N = 900, AHEAD = 200 };
    for (uint64_t seed = 1; seed <= 6; seed++) {
        struct stream s;
        stream_init(&s, seed);
        static struct kp_chg_obs obs[N];
        for (int i = 0; i < N; i++)
            obs[i] = mixed_next(&s, i);
        struct kp_chg_track t;
        kp_chg_track_init(&t);
        unsigned total = 0;
        for (int i = 0; i < N; i++) {
            char line[4096];
            int len = kp_chg_track_save(&t, line, sizeof(line));
            cr_assert(len > 0 && (size_t)len < sizeof(line));
            cr_assert_eq(strlen(line), (size_t)len);
            cr_assert_eq(strncmp(line, "c1 ", 3), 0);
            for (int k = 0; k < len; k++)
                cr_assert(line[k] >= 0x20 && line[k] < 0x7f);
            struct kp_chg_track r;
            cr_assert_eq(kp_chg_track_load(&r, line, (size_t)len), 0, "seed %llu at %d: %s",
                         (unsigned long long)seed, i, line);
            char again[4096];
            kp_chg_track_save(&r, again, sizeof(again));
            cr_assert_str_eq(again, line);
            struct kp_chg_track a = t;
            for (int j = i; j < N && j < i + AHEAD; j++) {
                struct kp_chg_event ea, eb;
                int ra = kp_chg_feed(&a, &s.p, &obs[j], &ea);
                int rb = kp_chg_feed(&r, &s.p, &obs[j], &eb);
                cr_assert_eq(ra, rb, "seed %llu restart at %d: trace %d differs",
                             (unsigned long long)seed, i, j);
                if (ra == 1)
                    cr_assert(event_eq(&ea, &eb));
            }
            struct kp_chg_event e;
            total += (unsigned)kp_chg_feed(&t, &s.p, &obs[i], &e);
        }
        cr_assert_geq(total, 4, "the mixed stream changes (%u events)", total);
    }
}

Test(change_detect, checkpoint_rejects_malformed)
{
    struct stream s;
    stream_init(&s, 42);
    for (int i = 0; i < 640; i++) { /* into a window of the ECMP phase */
        struct kp_chg_obs o = mixed_next(&s, i);
        stream_feed(&s, &o);
    }
    char line[4096];
    int len = kp_chg_track_save(&s.t, line, sizeof(line));
    struct kp_chg_track r;
    cr_assert_eq(kp_chg_track_load(&r, line, (size_t)len), 0);
    /* every truncation */
    for (int k = 0; k < len; k++) {
        memset(&r, 0x5a, sizeof(r));
        cr_assert_eq(kp_chg_track_load(&r, line, (size_t)k), -EBADMSG, "prefix %d accepted", k);
        cr_assert_eq(r.phase, KP_CHG_WARMUP);
        cr_assert_eq(r.fed, 0);
        cr_assert_eq(r.state.n, 0);
    }
    /* garbled: a byte changed to one that can never be canonical there */
    static const char junk[] = {'x', '+', '\n', '\0', '/'};
    for (int k = 0; k < len; k++)
        for (unsigned j = 0; j < sizeof(junk); j++) {
            char g[4096];
            memcpy(g, line, (size_t)len);
            g[k] = junk[j];
            cr_assert_eq(kp_chg_track_load(&r, g, (size_t)len), -EBADMSG);
        }
    /* any accepted variant is canonical: saving it again gives it back */
    for (int k = 0; k < len; k++)
        for (char c = '0'; c <= '9'; c++) {
            char g[4096];
            memcpy(g, line, (size_t)len);
            g[k] = c;
            if (kp_chg_track_load(&r, g, (size_t)len) == 0) {
                char again[4096];
                int n2 = kp_chg_track_save(&r, again, sizeof(again));
                cr_assert(n2 == len && memcmp(again, g, (size_t)len) == 0);
            }
        }
    static const char *const bad[] = {
        "",      "c1",    "c2 0",  "c1 0 0 0 0 0 0 0 0 0 0 0 0", "c1 00", "c1 -0", "c1 3", "C1 0",
        "c1  0", "c1 0 ", "c1 01", "c1 0 18446744073709551616",
    };
    for (unsigned k = 0; k < sizeof(bad) / sizeof(bad[0]); k++)
        cr_assert_eq(kp_chg_track_load(&r, bad[k], strlen(bad[k])), -EBADMSG, "%s", bad[k]);
    /* the line of a new tracker */
    struct kp_chg_track fresh;
    kp_chg_track_init(&fresh);
    len = kp_chg_track_save(&fresh, line, sizeof(line));
    cr_assert_eq(kp_chg_track_load(&r, line, (size_t)len), 0);
    cr_assert_eq(memcmp(&r, &fresh, sizeof(r)), 0);
    /* line ending: the caller strips it */
    line[len] = '\n';
    cr_assert_eq(kp_chg_track_load(&r, line, (size_t)len + 1), -EBADMSG);
    /* a short buffer: snprintf-style */
    char small[8];
    cr_assert_eq(kp_chg_track_save(&fresh, small, sizeof(small)), len);
    cr_assert_eq(strlen(small), sizeof(small) - 1);
}

/* ---- events.jsonl line ------------------------------------------------------- */

Test(change_detect, rfc3339_ms_known_values)
{
    char b[48];
    cr_assert_str_eq(kp_rfc3339_ms(0, 0, b, sizeof(b)), "1970-01-01T00:00:00.000Z");
    /* 2017-10-01 is day 17440 of the epoch: 17440 * 86400 = 1506816000 s,
     * 17:38:10 = 63490 s more */
    cr_assert_str_eq(kp_rfc3339_ms(1506879490123LL * 1000000, 0, b, sizeof(b)),
                     "2017-10-01T17:38:10.123Z");
    cr_assert_str_eq(kp_rfc3339_ms(1506879490123LL * 1000000 + 999999, 0, b, sizeof(b)),
                     "2017-10-01T17:38:10.123Z");
    cr_assert_str_eq(kp_rfc3339_ms(1506879490123LL * 1000000 + 1, 1, b, sizeof(b)),
                     "2017-10-01T17:38:10.124Z");
    cr_assert_str_eq(kp_rfc3339_ms(1506879490123LL * 1000000, 1, b, sizeof(b)),
                     "2017-10-01T17:38:10.123Z");
    cr_assert_str_eq(kp_rfc3339_ms(1506879490999LL * 1000000 + 1, 1, b, sizeof(b)),
                     "2017-10-01T17:38:11.000Z");
    /* 2000-02-29: day 11016 (951782400 s) */
    cr_assert_str_eq(kp_rfc3339_ms(951782400LL * S - 1, 0, b, sizeof(b)),
                     "2000-02-28T23:59:59.999Z");
    cr_assert_str_eq(kp_rfc3339_ms(951782400LL * S + 86399LL * S, 0, b, sizeof(b)),
                     "2000-02-29T23:59:59.000Z");
    cr_assert_str_eq(kp_rfc3339_ms(-1, 0, b, sizeof(b)), "1969-12-31T23:59:59.999Z");
    cr_assert_str_eq(kp_rfc3339_ms(-1, 1, b, sizeof(b)), "1970-01-01T00:00:00.000Z");
    kp_rfc3339_ms(INT64_MAX, 1, b, sizeof(b)); /* no overflow (UBSan) */
    cr_assert_str_eq(b, "2262-04-11T23:47:16.854Z");
}

Test(change_detect, event_json_line)
{
    struct kp_chg_event e;
    memset(&e, 0, sizeof(e));
    e.before = (struct kp_chg_state){{UNICOM}, 1, KP_CHG_REACHED};
    e.after = (struct kp_chg_state){{UNICOM, TTC}, 2, KP_CHG_REACHED};
    e.last_before_ns = 1506879490123LL * 1000000 + 500000; /* floor: .123 */
    e.first_after_ns = 1506879520000LL * 1000000 + 1;      /* ceil: 17:38:40.001 */
    e.n_traces = 3;
    e.traces[0] = 7;
    e.traces[1] = 9;
    e.traces[2] = (uint64_t)INT64_MAX;
    char *out = NULL;
    size_t len = 0;
    cr_assert_eq(kp_chg_event_json(&e, "fra1", "175.45.177.0/24", "icmp", 1506879550000LL * 1000000,
                                   &out, &len),
                 0);
    cr_assert_eq(strlen(out), len);
    cr_assert_null(strchr(out, '\n'));
    cr_assert_eq(strncmp(out, "{\"v\":1,\"type\":\"change\",\"vp\":\"fra1\",", 33), 0, "%s", out);
    json_error_t jerr;
    json_t *o = json_loads(out, 0, &jerr);
    cr_assert_not_null(o, "%s: %s", out, jerr.text);
    cr_assert_eq(json_integer_value(json_object_get(o, "v")), 1);
    cr_assert_str_eq(json_string_value(json_object_get(o, "type")), "change");
    cr_assert_str_eq(json_string_value(json_object_get(o, "vp")), "fra1");
    cr_assert_str_eq(json_string_value(json_object_get(o, "prefix")), "175.45.177.0/24");
    cr_assert_str_eq(json_string_value(json_object_get(o, "method")), "icmp");
    json_t *b = json_object_get(o, "before"), *a = json_object_get(o, "after");
    cr_assert_eq(json_array_size(json_object_get(b, "transits")), 1);
    cr_assert_eq(json_integer_value(json_array_get(json_object_get(b, "transits"), 0)), 4837);
    cr_assert_str_eq(json_string_value(json_object_get(b, "status")), "reached");
    cr_assert_eq(json_array_size(json_object_get(a, "transits")), 2);
    cr_assert_eq(json_integer_value(json_array_get(json_object_get(a, "transits"), 1)), 20485);
    cr_assert_str_eq(json_string_value(json_object_get(o, "last_before")),
                     "2017-10-01T17:38:10.123Z");
    cr_assert_str_eq(json_string_value(json_object_get(o, "first_after")),
                     "2017-10-01T17:38:40.001Z");
    cr_assert_str_eq(json_string_value(json_object_get(o, "emitted")), "2017-10-01T17:39:10.000Z");
    json_t *tr = json_object_get(o, "traces");
    cr_assert_eq(json_array_size(tr), 3);
    cr_assert_eq(json_integer_value(json_array_get(tr, 0)), 7);
    cr_assert_eq(json_integer_value(json_array_get(tr, 2)), INT64_MAX);
    cr_assert_eq(json_object_size(o), 11);
    json_decref(o);
    free(out);
    /* emitted at first_after itself, 1 ns past a millisecond: both read
     * 17:38:40.001 (emitted rounded down read .000, before first_after) */
    cr_assert_eq(
        kp_chg_event_json(&e, "fra1", "175.45.177.0/24", "icmp", e.first_after_ns, &out, &len), 0);
    o = json_loads(out, 0, &jerr);
    cr_assert_not_null(o, "%s: %s", out, jerr.text);
    cr_assert_str_eq(json_string_value(json_object_get(o, "emitted")), "2017-10-01T17:38:40.001Z");
    json_decref(o);
    free(out);

    /* no vp / method: null; bad input: -EINVAL and no allocation */
    cr_assert_eq(kp_chg_event_json(&e, NULL, "175.45.177.0/24", "", 0, &out, &len), 0);
    o = json_loads(out, 0, &jerr);
    cr_assert(json_is_null(json_object_get(o, "vp")) && json_is_null(json_object_get(o, "method")));
    json_decref(o);
    free(out);
    e.traces[0] = (uint64_t)INT64_MAX + 1;
    cr_assert_eq(kp_chg_event_json(&e, "x", "p", "m", 0, &out, &len), -EINVAL);
    cr_assert_null(out);
    e.traces[0] = 1;
    e.after.status = KP_CHG_STATUS_COUNT;
    cr_assert_eq(kp_chg_event_json(&e, "x", "p", "m", 0, &out, &len), -EINVAL);
    cr_assert_eq(kp_chg_event_json(&e, "x", NULL, "m", 0, &out, &len), -EINVAL);
}

Test(change_detect, event_json_from_a_detected_move)
{
    struct stream s;
    stream_init(&s, 3);
    int64_t T = s.next_start + 600 * S;
    for (int i = 0; i < 600; i++) {
        struct kp_chg_obs o = stream_next(&s);
        o.transit = after_move(&s, &o, T) ? TTC : UNICOM;
        o.outcome = KP_CHG_OUT_DST;
        stream_feed(&s, &o);
    }
    cr_assert_eq(s.n_ev, 1);
    char *out = NULL;
    size_t len = 0;
    cr_assert_eq(kp_chg_event_json(&s.ev[0], "vp1", "198.18.1.0/24", "udp", T + 60 * S, &out, &len),
                 0);
    json_t *o = json_loads(out, 0, NULL);
    cr_assert_not_null(o);
    cr_assert_eq(json_array_size(json_object_get(o, "traces")), s.ev[0].n_traces);
    /* the written interval, read back to ns (ms resolution), still brackets T */
    const char *lb = json_string_value(json_object_get(o, "last_before"));
    const char *fa = json_string_value(json_object_get(o, "first_after"));
    cr_assert(strcmp(lb, fa) < 0, "%s %s", lb, fa);
    char tb[48];
    kp_rfc3339_ms(T, 0, tb, sizeof(tb));
    cr_assert(strcmp(lb, tb) <= 0 && strcmp(tb, fa) <= 0, "%s %s %s", lb, tb, fa);
    json_decref(o);
    free(out);
}
