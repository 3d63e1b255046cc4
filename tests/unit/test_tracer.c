/* SPDX-License-Identifier: BSD-2-Clause */
/* Tests of the sender-side trace state machine. Each scenario is walked
 * through by hand in the comments; the assertions check those steps. */
#include <criterion/criterion.h>
#include <errno.h>

#include "core/plan/tracer.h"

#define S  1000000000LL
#define MS 1000000LL

static struct kp_tracer_params params(uint8_t attempts, uint8_t gap, uint8_t window)
{
    struct kp_tracer_params p;
    kp_tracer_params_default(&p);
    p.attempts = attempts;
    p.gap_limit = gap;
    p.window = window;
    p.wait_ns = S;
    return p;
}

static void expect_send(struct kp_tracer *t, int64_t now, uint8_t ttl, uint8_t attempt)
{
    struct kp_tracer_probe pr = {0};
    int64_t wake = 0;
    enum kp_tracer_status st = kp_tracer_next(t, now, 0, &pr, &wake);
    cr_assert_eq(st, KP_TRACER_SEND, "at %lld: status %d, wanted SEND ttl %u", (long long)now, st,
                 ttl);
    cr_assert_eq(pr.ttl, ttl, "at %lld: ttl %u, wanted %u", (long long)now, pr.ttl, ttl);
    cr_assert_eq(pr.attempt, attempt);
}

static void expect_wait(struct kp_tracer *t, int64_t now, int64_t wake_wanted)
{
    struct kp_tracer_probe pr = {0};
    int64_t wake = 0;
    cr_assert_eq(kp_tracer_next(t, now, 0, &pr, &wake), KP_TRACER_WAIT);
    cr_assert_eq(wake, wake_wanted);
}

static void expect_done(struct kp_tracer *t, int64_t now, enum kp_stop stop, uint8_t stop_ttl)
{
    struct kp_tracer_probe pr = {0};
    cr_assert_eq(kp_tracer_next(t, now, 0, &pr, NULL), KP_TRACER_DONE);
    cr_assert(kp_tracer_done(t));
    cr_assert_eq(t->stop, stop, "stop %d wanted %d", t->stop, stop);
    cr_assert_eq(t->stop_ttl, stop_ttl);
}

static struct kp_addr A(const char *s) {
    struct kp_addr a;
    cr_assert_eq(kp_addr_parse(s, &a), 0);
    return a;
}

Test(tracer, hop_by_hop_retry_and_reach)
{
    /* window 1, 2 attempts, wait 1 s. TTL 1 answers; TTL 2's first attempt
     * is silent, so it is retried after 1 s, silent again, and after another
     * 1 s TTL 3 goes out and the destination answers. */
    struct kp_tracer t;
    struct kp_tracer_params p = params(2, 5, 1);
    cr_assert_eq(kp_tracer_init(&t, &p), 0);
    expect_send(&t, 0, 1, 0);
    expect_wait(&t, 0, S);
    kp_tracer_reply(&t, 1, 0, KP_TRACER_EV_HOP, KP_STOP_NONE, NULL);
    expect_send(&t, 100 * MS, 2, 0);
    expect_wait(&t, 200 * MS, 1100 * MS);
    expect_send(&t, 1100 * MS, 2, 1);
    expect_wait(&t, 1100 * MS, 2100 * MS);
    expect_send(&t, 2100 * MS, 3, 0);
    kp_tracer_reply(&t, 3, 0, KP_TRACER_EV_REACHED, KP_STOP_NONE, NULL);
    expect_done(&t, 2200 * MS, KP_STOP_COMPLETED, 3);
    cr_assert_eq(t.probes_sent, 4);
    cr_assert_eq(t.probes_saved, 0);
}

Test(tracer, gap_limit)
{
    /* gap 3, 1 attempt: TTLs 1, 2, 3 each silent for 1 s -> stop at TTL 3
     * after 3 s with 3 probes. */
    struct kp_tracer t;
    struct kp_tracer_params p = params(1, 3, 1);
    cr_assert_eq(kp_tracer_init(&t, &p), 0);
    expect_send(&t, 0, 1, 0);
    expect_send(&t, S, 2, 0);
    expect_send(&t, 2 * S, 3, 0);
    expect_wait(&t, 2 * S + 1, 3 * S);
    expect_done(&t, 3 * S, KP_STOP_GAPLIMIT, 3);
    cr_assert_eq(t.probes_sent, 3);
}

Test(tracer, gap_run_is_reset_by_a_reply)
{
    /* gap 2: 1 silent, 2 answers, 3 silent, 4 silent -> stop at 4. */
    struct kp_tracer t;
    struct kp_tracer_params p = params(1, 2, 1);
    cr_assert_eq(kp_tracer_init(&t, &p), 0);
    expect_send(&t, 0, 1, 0);
    expect_send(&t, S, 2, 0);
    kp_tracer_reply(&t, 2, 0, KP_TRACER_EV_HOP, KP_STOP_NONE, NULL);
    expect_send(&t, S + 1, 3, 0);
    expect_send(&t, 2 * S + 1, 4, 0);
    expect_done(&t, 3 * S + 1, KP_STOP_GAPLIMIT, 4);
}

Test(tracer, max_ttl)
{
    struct kp_tracer t;
    struct kp_tracer_params p = params(1, 0, 1);
    p.max_ttl = 3;
    cr_assert_eq(kp_tracer_init(&t, &p), 0);
    for (uint8_t ttl = 1; ttl <= 3; ttl++) {
        expect_send(&t, ttl, ttl, 0);
        kp_tracer_reply(&t, ttl, 0, KP_TRACER_EV_HOP, KP_STOP_NONE, NULL);
    }
    expect_done(&t, 10, KP_STOP_MAXTTL, 3);
    cr_assert_eq(t.probes_sent, 3);
}

Test(tracer, admin_prohibited_stops)
{
    struct kp_tracer t;
    struct kp_tracer_params p = params(2, 5, 1);
    cr_assert_eq(kp_tracer_init(&t, &p), 0);
    expect_send(&t, 0, 1, 0);
    kp_tracer_reply(&t, 1, 0, KP_TRACER_EV_HOP, KP_STOP_NONE, NULL);
    expect_send(&t, 1, 2, 0);
    kp_tracer_reply(&t, 2, 0, KP_TRACER_EV_UNREACH, KP_STOP_ADMIN_PROHIB, NULL);
    expect_done(&t, 2, KP_STOP_ADMIN_PROHIB, 2);
    cr_assert_eq(t.probes_sent, 2);
}

Test(tracer, window_cancels_above_reach_and_retries_below)
{
    /* window 4, 2 attempts: TTLs 1-4 go out at 0. The destination answers
     * TTL 3: TTL 4 gets no retry, TTLs 1 and 2 are retried at 1 s (they are
     * below the stop), then silent at 2 s -> done, completed at 3, 6 probes. */
    struct kp_tracer t;
    struct kp_tracer_params p = params(2, 5, 4);
    cr_assert_eq(kp_tracer_init(&t, &p), 0);
    for (uint8_t ttl = 1; ttl <= 4; ttl++)
        expect_send(&t, 0, ttl, 0);
    expect_wait(&t, 0, S);
    kp_tracer_reply(&t, 3, 0, KP_TRACER_EV_REACHED, KP_STOP_NONE, NULL);
    expect_wait(&t, 1, S);
    expect_send(&t, S, 1, 1);
    expect_send(&t, S, 2, 1);
    expect_wait(&t, S, 2 * S);
    expect_done(&t, 2 * S, KP_STOP_COMPLETED, 3);
    cr_assert_eq(t.probes_sent, 6);
}

Test(tracer, rnd_chooses_among_ready_ttls)
{
    /* window 3: TTLs 1, 2, 3 are ready at 0; rnd 2 picks the third (3),
     * then of {1, 2} rnd 2 picks 2 % 2 = index 0 -> TTL 1. */
    struct kp_tracer t;
    struct kp_tracer_params p = params(1, 5, 3);
    cr_assert_eq(kp_tracer_init(&t, &p), 0);
    struct kp_tracer_probe pr;
    cr_assert_eq(kp_tracer_next(&t, 0, 2, &pr, NULL), KP_TRACER_SEND);
    cr_assert_eq(pr.ttl, 3);
    cr_assert_eq(kp_tracer_next(&t, 0, 2, &pr, NULL), KP_TRACER_SEND);
    cr_assert_eq(pr.ttl, 1);
}

Test(tracer, doubletree_backward_stops_at_stop_set)
{
    /* Start at TTL 5 (border known), window 2, 1 attempt. The router at
     * TTL 3 (198.18.0.3) is in the stop set.
     *   t0: ready {4 backward, 5 forward} -> 4, then 5.
     *   replies 4 (R4, unknown), 5 (R5).
     *   next: backward opens 3, forward opens 6 -> 3, then 6.
     *   reply 3 from 198.18.0.3 (in the set): backward stops; reply 6.
     *   next: forward 7; the destination answers -> done, completed at 7.
     * Probes: 4, 5, 3, 6, 7 = 5; saved: TTLs 1 and 2 = 2. */
    struct kp_stopset ss;
    kp_stopset_init(&ss);
    struct kp_addr r3 = A("198.18.0.3"), r4 = A("198.18.0.4");
    cr_assert_eq(kp_stopset_add_iface(&ss, &r3), 0);
    struct kp_tracer t;
    struct kp_tracer_params p = params(1, 5, 2);
    p.start_ttl = 5;
    p.stopset = &ss;
    cr_assert_eq(kp_tracer_init(&t, &p), 0);
    expect_send(&t, 0, 4, 0);
    expect_send(&t, 0, 5, 0);
    kp_tracer_reply(&t, 4, 0, KP_TRACER_EV_HOP, KP_STOP_NONE, &r4);
    kp_tracer_reply(&t, 5, 0, KP_TRACER_EV_HOP, KP_STOP_NONE, NULL);
    expect_send(&t, 10, 3, 0);
    expect_send(&t, 10, 6, 0);
    kp_tracer_reply(&t, 3, 0, KP_TRACER_EV_HOP, KP_STOP_NONE, &r3);
    kp_tracer_reply(&t, 6, 0, KP_TRACER_EV_HOP, KP_STOP_NONE, NULL);
    expect_send(&t, 20, 7, 0);
    kp_tracer_reply(&t, 7, 0, KP_TRACER_EV_REACHED, KP_STOP_NONE, NULL);
    expect_done(&t, 30, KP_STOP_COMPLETED, 7);
    cr_assert_eq(t.probes_sent, 5);
    cr_assert_eq(t.probes_saved, 2);
    kp_stopset_free(&ss);
}

Test(tracer, doubletree_without_hit_goes_down_to_first_ttl)
{
    /* Start 3, window 1, 1 attempt, empty stop set, destination at 3:
     * backward 2 (answers), forward 3 (destination), backward 1 -> done,
     * nothing saved. */
    struct kp_stopset ss;
    kp_stopset_init(&ss);
    struct kp_tracer t;
    struct kp_tracer_params p = params(1, 5, 1);
    p.start_ttl = 3;
    p.stopset = &ss;
    cr_assert_eq(kp_tracer_init(&t, &p), 0);
    expect_send(&t, 0, 2, 0);
    kp_tracer_reply(&t, 2, 0, KP_TRACER_EV_HOP, KP_STOP_NONE, NULL);
    expect_send(&t, 1, 1, 0);
    kp_tracer_reply(&t, 1, 0, KP_TRACER_EV_HOP, KP_STOP_NONE, NULL);
    expect_send(&t, 2, 3, 0);
    kp_tracer_reply(&t, 3, 0, KP_TRACER_EV_REACHED, KP_STOP_NONE, NULL);
    expect_done(&t, 3, KP_STOP_COMPLETED, 3);
    cr_assert_eq(t.probes_saved, 0);
    kp_stopset_free(&ss);
}

Test(tracer, duplicates_unsent_and_late_replies)
{
    struct kp_tracer t;
    struct kp_tracer_params p = params(1, 2, 1);
    cr_assert_eq(kp_tracer_init(&t, &p), 0);
    expect_send(&t, 0, 1, 0);
    /* a reply for a TTL never sent, or an attempt never sent: ignored */
    kp_tracer_reply(&t, 9, 0, KP_TRACER_EV_REACHED, KP_STOP_NONE, NULL);
    kp_tracer_reply(&t, 1, 1, KP_TRACER_EV_REACHED, KP_STOP_NONE, NULL);
    cr_assert_eq(t.stop, KP_STOP_NONE);
    expect_send(&t, S, 2, 0); /* TTL 1 silent after 1 s */
    /* a late reply to TTL 1 (already declared silent) resolves it: the record
     * counts it, so it is no longer part of a silent run... */
    kp_tracer_reply(&t, 1, 0, KP_TRACER_EV_HOP, KP_STOP_NONE, NULL);
    /* ...and its duplicate is ignored. TTL 2 silent: a run of 1 < gap 2, so
     * TTL 3 goes out; silent too: 2, 3 = gap 2 (linger 0: final at once). */
    kp_tracer_reply(&t, 1, 0, KP_TRACER_EV_HOP, KP_STOP_NONE, NULL);
    expect_send(&t, 2 * S, 3, 0);
    expect_done(&t, 3 * S, KP_STOP_GAPLIMIT, 3);
    cr_assert_eq(t.probes_sent, 3);
}

/* Late replies on a path whose RTT exceeds the wait (tracer.h). wait 1 s,
 * linger 2.5 s (kptrace's 2 x wait + 500 ms). */
static struct kp_tracer_params lingering(uint8_t attempts, uint8_t gap, uint8_t window)
{
    struct kp_tracer_params p = params(attempts, gap, window);
    p.linger_ns = 2500 * MS;
    return p;
}

Test(tracer, late_reply_breaks_the_silent_run)
{
    /* gap 2, 1 attempt. TTL 1 at 0, silent at 1 s -> TTL 2 at 1 s. TTL 1's
     * reply comes at 1.5 s (RTT 1.5 s > wait): TTL 1 is answered. At 2 s
     * TTL 2 is silent: a run of 1, so TTL 3 goes out (the old rule stopped
     * here with 'gaplimit' although TTL 1 answered). TTL 3 silent at 3 s:
     * run 2, 3 = gap, provisional until TTL 3's linger ends at 2 + 2.5 =
     * 4.5 s; nothing comes -> done at 4.5 s, gaplimit at 3, 3 probes. */
    struct kp_tracer t;
    struct kp_tracer_params p = lingering(1, 2, 1);
    cr_assert_eq(kp_tracer_init(&t, &p), 0);
    expect_send(&t, 0, 1, 0);
    expect_send(&t, S, 2, 0);
    kp_tracer_reply(&t, 1, 0, KP_TRACER_EV_HOP, KP_STOP_NONE, NULL);
    expect_wait(&t, 1500 * MS, 2 * S);
    expect_send(&t, 2 * S, 3, 0);
    expect_wait(&t, 3 * S, 4500 * MS);
    cr_assert_eq(t.stop, KP_STOP_GAPLIMIT);
    cr_assert_not(kp_tracer_done(&t));
    expect_done(&t, 4500 * MS, KP_STOP_GAPLIMIT, 3);
    cr_assert_eq(t.probes_sent, 3);
}

Test(tracer, late_reply_lifts_a_gap_stop)
{
    /* gap 2, 1 attempt: TTL 1 at 0, TTL 2 at 1 s, both silent at 2 s ->
     * gaplimit at 2, provisional until 1 + 2.5 = 3.5 s. TTL 2's late reply
     * at 2.2 s breaks the run: the stop is lifted, TTL 3 goes out at 2.2 s and
     * the destination answers it -> completed at 3, 3 probes. */
    struct kp_tracer t;
    struct kp_tracer_params p = lingering(1, 2, 1);
    cr_assert_eq(kp_tracer_init(&t, &p), 0);
    expect_send(&t, 0, 1, 0);
    expect_send(&t, S, 2, 0);
    expect_wait(&t, 2 * S, 3500 * MS);
    cr_assert_eq(t.stop, KP_STOP_GAPLIMIT);
    cr_assert_eq(t.stop_ttl, 2);
    kp_tracer_reply(&t, 2, 0, KP_TRACER_EV_HOP, KP_STOP_NONE, NULL);
    cr_assert_eq(t.stop, KP_STOP_NONE);
    expect_send(&t, 2200 * MS, 3, 0);
    kp_tracer_reply(&t, 3, 0, KP_TRACER_EV_REACHED, KP_STOP_NONE, NULL);
    expect_done(&t, 2300 * MS, KP_STOP_COMPLETED, 3);
    cr_assert_eq(t.probes_sent, 3);
}

Test(tracer, late_destination_reply_during_the_hold_completes)
{
    /* gap 2, 1 attempt: TTLs 1, 2 silent at 2 s -> provisional gaplimit. The
     * destination's late echo reply to TTL 2 at 3 s (< 3.5 s) -> completed at
     * 2, nothing more sent. */
    struct kp_tracer t;
    struct kp_tracer_params p = lingering(1, 2, 1);
    cr_assert_eq(kp_tracer_init(&t, &p), 0);
    expect_send(&t, 0, 1, 0);
    expect_send(&t, S, 2, 0);
    expect_wait(&t, 2 * S, 3500 * MS);
    kp_tracer_reply(&t, 2, 0, KP_TRACER_EV_REACHED, KP_STOP_NONE, NULL);
    expect_done(&t, 3 * S, KP_STOP_COMPLETED, 2);
    cr_assert_eq(t.probes_sent, 2);
}

Test(tracer, lifted_gap_reopens_cancelled_ttls_without_resending)
{
    /* gap 1, window 2, 1 attempt. TTLs 1 and 2 at 0; TTL 2 answers at
     * 0.5 s, so TTL 3 opens and goes out at 0.5 s. At 1 s TTL 1 is silent:
     * gap 1 -> provisional gaplimit at 1, TTL 3 (open) cancelled. TTL 1's
     * late reply at 1.2 s lifts it: TTL 3 is open again with its one attempt
     * used (not resent), and the window's second slot takes TTL 4 at 1.2 s.
     * At 1.5 s TTL 3 is silent -> gaplimit at 3, TTL 4 cancelled, provisional
     * until 1.2 + 2.5 = 3.7 s -> done, 4 probes. */
    struct kp_tracer t;
    struct kp_tracer_params p = lingering(1, 1, 2);
    cr_assert_eq(kp_tracer_init(&t, &p), 0);
    expect_send(&t, 0, 1, 0);
    expect_send(&t, 0, 2, 0);
    kp_tracer_reply(&t, 2, 0, KP_TRACER_EV_HOP, KP_STOP_NONE, NULL);
    expect_send(&t, 500 * MS, 3, 0);
    expect_wait(&t, S, 3 * S);
    cr_assert_eq(t.stop, KP_STOP_GAPLIMIT);
    cr_assert_eq(t.stop_ttl, 1);
    kp_tracer_reply(&t, 1, 0, KP_TRACER_EV_HOP, KP_STOP_NONE, NULL);
    expect_send(&t, 1200 * MS, 4, 0);
    expect_wait(&t, 1200 * MS, 1500 * MS);
    expect_wait(&t, 1500 * MS, 3700 * MS);
    cr_assert_eq(t.stop, KP_STOP_GAPLIMIT);
    cr_assert_eq(t.stop_ttl, 3);
    expect_done(&t, 3700 * MS, KP_STOP_GAPLIMIT, 3);
    cr_assert_eq(t.probes_sent, 4);
}

Test(tracer, late_reply_after_done_is_ignored)
{
    /* linger 0 (no late replies awaited): the gap stop is final at once and a
     * reply after that changes nothing. */
    struct kp_tracer t;
    struct kp_tracer_params p = params(1, 1, 1);
    cr_assert_eq(kp_tracer_init(&t, &p), 0);
    expect_send(&t, 0, 1, 0);
    expect_done(&t, S, KP_STOP_GAPLIMIT, 1);
    kp_tracer_reply(&t, 1, 0, KP_TRACER_EV_REACHED, KP_STOP_NONE, NULL);
    cr_assert_eq(t.stop, KP_STOP_GAPLIMIT);
    cr_assert(kp_tracer_done(&t));
}

Test(tracer, abort_and_invalid)
{
    struct kp_tracer t;
    struct kp_tracer_params p = params(2, 5, 1);
    cr_assert_eq(kp_tracer_init(&t, &p), 0);
    expect_send(&t, 0, 1, 0);
    kp_tracer_abort(&t, KP_STOP_INTERRUPTED);
    expect_done(&t, 1, KP_STOP_INTERRUPTED, 0);
    p.first_ttl = 0;
    cr_assert_eq(kp_tracer_init(&t, &p), -EINVAL);
    p = params(0, 5, 1);
    cr_assert_eq(kp_tracer_init(&t, &p), -EINVAL);
    p = params(1, 5, 0);
    cr_assert_eq(kp_tracer_init(&t, &p), -EINVAL);
    p = params(1, 5, 1);
    p.max_ttl = 0;
    cr_assert_eq(kp_tracer_init(&t, &p), -EINVAL);
    p = params(1, 5, 1);
    p.wait_ns = 0;
    cr_assert_eq(kp_tracer_init(&t, &p), -EINVAL);
}

/* ---- Doubletree hints: the pilot publishes, followers skip and defer ---- */

Test(tracer, pilot_publishes_what_it_finds)
{
    /* The pilot (window 5, 1 attempt, wait 1 s) sends TTLs 1..5 at t=0, 1,
     * 2, 3, 4 ms; TTLs 1-3 and 5 (the destination) answer, TTL 4 stays
     * silent: pending until 1.003 s, silent after it. */
    int64_t until[KP_TRACER_MAX_TTL + 1] = {0};
    struct kp_tracer_hint h = {.until = until};
    struct kp_tracer t;
    struct kp_tracer_params p = params(1, 5, 5);
    p.publish = &h;
    cr_assert_eq(kp_tracer_init(&t, &p), 0);
    for (int ttl = 1; ttl <= 5; ttl++)
        expect_send(&t, (ttl - 1) * MS, (uint8_t)ttl, 0);
    cr_assert_eq(h.pending, 0x3eu); /* bits 1..5 */
    cr_assert_eq(until[4], 3 * MS + S);
    for (int ttl = 1; ttl <= 3; ttl++)
        kp_tracer_reply(&t, (uint8_t)ttl, 0, KP_TRACER_EV_HOP, KP_STOP_NONE, NULL);
    kp_tracer_reply(&t, 5, 0, KP_TRACER_EV_REACHED, KP_STOP_NONE, NULL);
    cr_assert(kp_tracer_forward_done(&t));
    cr_assert_eq(h.answered, 0x2eu); /* 1, 2, 3, 5 */
    cr_assert_eq(h.pending, 0x10u);  /* 4 */
    cr_assert_eq(h.top, 5);
    expect_wait(&t, 20 * MS, 3 * MS + S);
    expect_done(&t, 3 * MS + S, KP_STOP_COMPLETED, 5);
    cr_assert_eq(h.silent, 0x10u);
    cr_assert_eq(h.pending, 0);
}

Test(tracer, follower_skips_silent_and_defers_pending)
{
    /* The pilot of the /24 answered at 1, 2, 3 and 5 (top 5); TTL 4 is
     * still pending until 1 s, TTL 6 was never probed. A follower starting
     * at the border TTL 3 (window 1, 1 attempt): sends 3, defers 4 (not in
     * the window), sends 5; 5 reaches the destination but
     * the follower waits for the pilot's TTL 4; once it is silent the
     * follower skips it and is done: 2 probes, 3 saved (TTLs 1, 2 below the
     * start and the skipped 4). */
    int64_t until[KP_TRACER_MAX_TTL + 1] = {0};
    until[4] = S;
    struct kp_tracer_hint h = {.answered = 0x2e, .pending = 0x10, .top = 5, .until = until};
    struct kp_tracer t;
    struct kp_tracer_params p = params(1, 5, 1);
    p.start_ttl = 3;
    p.hint = &h;
    cr_assert_eq(kp_tracer_init(&t, &p), 0);
    /* window 1: the backward TTL 2 goes first, one at a time */
    expect_send(&t, 0, 2, 0);
    expect_wait(&t, 0, S); /* 2 in flight fills the window */
    kp_tracer_reply(&t, 2, 0, KP_TRACER_EV_HOP, KP_STOP_NONE, NULL);
    expect_send(&t, 10 * MS, 1, 0); /* no stop set: down to first_ttl */
    kp_tracer_reply(&t, 1, 0, KP_TRACER_EV_HOP, KP_STOP_NONE, NULL);
    expect_send(&t, 20 * MS, 3, 0);
    kp_tracer_reply(&t, 3, 0, KP_TRACER_EV_HOP, KP_STOP_NONE, NULL);
    expect_send(&t, 30 * MS, 5, 0); /* 4 deferred, 5 next */
    kp_tracer_reply(&t, 5, 0, KP_TRACER_EV_REACHED, KP_STOP_NONE, NULL);
    expect_wait(&t, 40 * MS, S); /* waits for the pilot's TTL 4 */
    /* the pilot's TTL 4 went silent */
    h.pending = 0;
    h.silent = 0x10;
    expect_done(&t, S + 1 * MS, KP_STOP_COMPLETED, 5);
    cr_assert_eq(t.probes_sent, 4);
    cr_assert_eq(t.probes_saved, 1); /* the skipped TTL 4 */
}

Test(tracer, deferred_ttl_is_probed_when_the_pilot_hears_it)
{
    /* As above but the pilot's TTL 4 answers (late): the follower probes it. */
    int64_t until[KP_TRACER_MAX_TTL + 1] = {0};
    until[4] = S;
    struct kp_tracer_hint h = {.answered = 0x2e, .pending = 0x10, .top = 5, .until = until};
    struct kp_tracer t;
    struct kp_tracer_params p = params(1, 5, 2);
    p.start_ttl = 3;
    p.hint = &h;
    struct kp_stopset ss;
    kp_stopset_init(&ss);
    struct kp_addr r2 = A("198.18.31.1");
    kp_stopset_add_iface(&ss, &r2);
    p.stopset = &ss;
    cr_assert_eq(kp_tracer_init(&t, &p), 0);
    /* window 2: backward 2 and forward 3; 4 deferred; 5 opened next */
    expect_send(&t, 0, 2, 0);
    expect_send(&t, 0, 3, 0);
    kp_tracer_reply(&t, 2, 0, KP_TRACER_EV_HOP, KP_STOP_NONE, &r2); /* in the stop set */
    kp_tracer_reply(&t, 3, 0, KP_TRACER_EV_HOP, KP_STOP_NONE, NULL);
    expect_send(&t, 5 * MS, 5, 0);
    kp_tracer_reply(&t, 5, 0, KP_TRACER_EV_REACHED, KP_STOP_NONE, NULL);
    h.pending = 0;
    h.answered |= 0x10;
    expect_send(&t, 500 * MS, 4, 0);
    kp_tracer_reply(&t, 4, 0, KP_TRACER_EV_HOP, KP_STOP_NONE, NULL);
    expect_done(&t, 501 * MS, KP_STOP_COMPLETED, 5);
    cr_assert_eq(t.probes_saved, 1); /* TTL 1, below the stop-set hit */
    kp_stopset_free(&ss);
}

Test(tracer, silent_ttls_above_the_pilots_answers_are_probed)
{
    /* The pilot's destination did not answer: its answers end at TTL 3
     * (top 3), TTLs 4-8 silent. A follower must probe 4.. itself (its own
     * destination may answer): nothing is skipped at or above top. */
    struct kp_tracer_hint h = {.answered = 0x0e, .silent = 0x1f0, .top = 3};
    struct kp_tracer t;
    struct kp_tracer_params p = params(1, 5, 1);
    p.start_ttl = 3;
    p.hint = &h;
    p.first_ttl = 3;
    cr_assert_eq(kp_tracer_init(&t, &p), 0);
    expect_send(&t, 0, 3, 0);
    kp_tracer_reply(&t, 3, 0, KP_TRACER_EV_HOP, KP_STOP_NONE, NULL);
    expect_send(&t, 1 * MS, 4, 0);
    kp_tracer_reply(&t, 4, 0, KP_TRACER_EV_REACHED, KP_STOP_NONE, NULL);
    expect_done(&t, 2 * MS, KP_STOP_COMPLETED, 4);
    cr_assert_eq(t.probes_saved, 0);
}

Test(tracer, skipped_ttls_neither_extend_nor_break_a_gap_run_in_the_record_sense)
{
    /* gap 2; the pilot found 4 silent (top 7). A follower from 3 (window 1):
     * 3 silent, 4 skipped (resets the run, as an unprobed TTL does in the
     * record), 5 silent, 6 silent -> gap stop at 6 after 3 probes. */
    struct kp_tracer_hint h = {.answered = 0x80 | 0x0e, .silent = 0x10, .top = 7};
    struct kp_tracer t;
    struct kp_tracer_params p = params(1, 2, 1);
    p.start_ttl = 3;
    p.first_ttl = 3;
    p.hint = &h;
    cr_assert_eq(kp_tracer_init(&t, &p), 0);
    expect_send(&t, 0, 3, 0);
    expect_send(&t, S, 5, 0);
    expect_send(&t, 2 * S, 6, 0);
    expect_done(&t, 3 * S, KP_STOP_GAPLIMIT, 6);
    cr_assert_eq(t.probes_sent, 3);
    cr_assert_eq(t.probes_saved, 1);
}

Test(tracer, unsend_keeps_the_attempt)
{
    /* A send that did not leave (ENOBUFS) is forgotten: the same TTL and
     * attempt come again, the count is unchanged. */
    struct kp_tracer t;
    struct kp_tracer_params p = params(2, 5, 1);
    cr_assert_eq(kp_tracer_init(&t, &p), 0);
    struct kp_tracer_probe pr;
    cr_assert_eq(kp_tracer_next(&t, 0, 0, &pr, NULL), KP_TRACER_SEND);
    kp_tracer_unsend(&t, &pr, 0);
    cr_assert_eq(t.probes_sent, 0);
    expect_send(&t, 1 * MS, 1, 0);
    /* its retry after the wait, unsent too, comes again at once */
    cr_assert_eq(kp_tracer_next(&t, 1 * MS + S, 0, &pr, NULL), KP_TRACER_SEND);
    cr_assert_eq(pr.attempt, 1);
    kp_tracer_unsend(&t, &pr, 1 * MS + S);
    expect_send(&t, 2 * MS + S, 1, 1);
    cr_assert_eq(t.probes_sent, 2);
}

Test(tracer, outstanding_until_counts_unanswered_probes_only)
{
    /* linger 1.5 s (wait 1 s + late 0.5 s). TTL 1 sent at 0 and answered,
     * TTL 2 sent at 10 ms and never answered: a reply may still come until
     * 1.51 s. */
    struct kp_tracer t;
    struct kp_tracer_params p = params(1, 5, 2);
    p.linger_ns = 1500 * MS;
    cr_assert_eq(kp_tracer_init(&t, &p), 0);
    cr_assert_eq(kp_tracer_outstanding_until(&t), 0);
    expect_send(&t, 0, 1, 0);
    expect_send(&t, 10 * MS, 2, 0);
    kp_tracer_reply(&t, 1, 0, KP_TRACER_EV_HOP, KP_STOP_NONE, NULL);
    cr_assert_eq(kp_tracer_outstanding_until(&t), 1510 * MS);
    kp_tracer_reply(&t, 2, 0, KP_TRACER_EV_REACHED, KP_STOP_NONE, NULL);
    cr_assert_eq(kp_tracer_outstanding_until(&t), 0);
}

Test(tracer, the_wait_counts_from_when_the_probe_left)
{
    /* TTL 1 chosen at 0 but sent at 3 ms (a batch, a busy machine): its
     * retry is due 1 s after 3 ms, not after 0. */
    struct kp_tracer t;
    struct kp_tracer_params p = params(2, 5, 1);
    cr_assert_eq(kp_tracer_init(&t, &p), 0);
    struct kp_tracer_probe pr;
    cr_assert_eq(kp_tracer_next(&t, 0, 0, &pr, NULL), KP_TRACER_SEND);
    kp_tracer_sent(&t, &pr, 3 * MS);
    expect_wait(&t, S, S + 3 * MS);
    expect_send(&t, S + 3 * MS, 1, 1);
    /* an earlier time, or an older attempt, changes nothing */
    kp_tracer_sent(&t, &pr, 5 * S);
    expect_wait(&t, S + 4 * MS, 2 * S + 3 * MS);
}

Test(tracer, a_pilot_moves_past_a_silent_router_early)
{
    /* window 1, wait 1 s, presume 100 ms: TTL 1 answers in 20 ms (RTT), TTL
     * 2 is silent: after max(100 ms, 2 x 20 ms) TTL 3 goes out without
     * waiting the whole second, and answers from the destination; TTL 2 is
     * still waited for (done at 1.02 s). Nothing is sent above 3. */
    struct kp_tracer t;
    struct kp_tracer_params p = params(1, 5, 1);
    p.presume_ns = 100 * MS;
    cr_assert_eq(kp_tracer_init(&t, &p), 0);
    expect_send(&t, 0, 1, 0);
    kp_tracer_rtt(&t, 20 * MS);
    kp_tracer_reply(&t, 1, 0, KP_TRACER_EV_HOP, KP_STOP_NONE, NULL);
    expect_send(&t, 20 * MS, 2, 0);
    expect_wait(&t, 30 * MS, 120 * MS);
    expect_send(&t, 120 * MS, 3, 0);
    kp_tracer_rtt(&t, 30 * MS);
    kp_tracer_reply(&t, 3, 0, KP_TRACER_EV_REACHED, KP_STOP_NONE, NULL);
    cr_assert(kp_tracer_forward_done(&t));
    expect_wait(&t, 150 * MS, 1020 * MS);
    expect_done(&t, 1020 * MS, KP_STOP_COMPLETED, 3);
    cr_assert_eq(t.probes_sent, 3);
}

Test(tracer, the_presumption_follows_the_round_trip)
{
    /* a slow path: replies take 300 ms, so a TTL holds its place for 600 ms
     * (2 x the longest round trip) before the next one goes out */
    struct kp_tracer t;
    struct kp_tracer_params p = params(1, 5, 1);
    p.presume_ns = 100 * MS;
    cr_assert_eq(kp_tracer_init(&t, &p), 0);
    expect_send(&t, 0, 1, 0);
    kp_tracer_rtt(&t, 300 * MS);
    kp_tracer_reply(&t, 1, 0, KP_TRACER_EV_HOP, KP_STOP_NONE, NULL);
    expect_send(&t, 300 * MS, 2, 0);
    expect_wait(&t, 500 * MS, 900 * MS);
    expect_send(&t, 900 * MS, 3, 0);
}

Test(tracer, abort_saves_nothing_doubletree_did_not_decide)
{
    /* A follower starting at TTL 5 (window 2, 1 attempt) is aborted (a
     * fault of the network, an interruption) after its first two probes,
     * before its backward phase met the stop set: TTLs 1..3 were never
     * probed, but Doubletree did not decide to skip them: saved 0 (it
     * counted 3 before). */
    struct kp_stopset ss;
    kp_stopset_init(&ss);
    struct kp_tracer t;
    struct kp_tracer_params p = params(1, 5, 2);
    p.start_ttl = 5;
    p.stopset = &ss;
    cr_assert_eq(kp_tracer_init(&t, &p), 0);
    expect_send(&t, 0, 4, 0);
    expect_send(&t, 0, 5, 0);
    kp_tracer_abort(&t, KP_STOP_INTERRUPTED);
    cr_assert(kp_tracer_done(&t));
    cr_assert_eq(t.probes_saved, 0);
    kp_stopset_free(&ss);
}

Test(tracer, ttls_fall_silent_each_when_its_own_wait_ends)
{
    /* gap 2, 1 attempt, window 3, max TTL 3: TTL 1 at 0, TTL 2 at 0.3 s,
     * TTL 3 at 0.6 s. At 1 s TTL 1 is silent and the next change is TTL 2's
     * wait ending at 1.3 s; just before it nothing changed, at 1.3 s TTL 2 is
     * silent too: gaplimit at 2 (TTL 3 cancelled), done. */
    struct kp_tracer t;
    struct kp_tracer_params p = params(1, 2, 3);
    p.max_ttl = 3;
    cr_assert_eq(kp_tracer_init(&t, &p), 0);
    expect_send(&t, 0, 1, 0);
    expect_send(&t, 300 * MS, 2, 0);
    expect_send(&t, 600 * MS, 3, 0);
    expect_wait(&t, S, 1300 * MS);
    expect_wait(&t, 1300 * MS - 1, 1300 * MS);
    cr_assert_eq(t.stop, KP_STOP_NONE);
    expect_done(&t, 1300 * MS, KP_STOP_GAPLIMIT, 2);
    cr_assert_eq(t.probes_sent, 3);
}

/* Window 32, max TTL 32, 1 attempt: 32 probes at once; the TTLs answer in
 * order, the destination at 32, each answer followed by a look (a WAIT),
 * as the engine does. Each TTL is visited once, when it opens; a call that
 * sends visits nothing else here (no retry, no silence, no deferral); the
 * earliest end of a wait is known from the sends (of equal ones, TTL 32's),
 * so the WAITs visit none; nor do the answers and the end: 1 visit a probe
 * (it was 180 when every call scanned every opened TTL). */
Test(tracer, work_per_probe)
{
    struct kp_tracer t;
    struct kp_tracer_params p = params(1, 5, 32);
    p.max_ttl = 32;
    cr_assert_eq(kp_tracer_init(&t, &p), 0);
    struct kp_tracer_probe pr;
    int64_t wake;
    for (unsigned i = 0; i < 32; i++)
        cr_assert_eq(kp_tracer_next(&t, 0, i * 7919u, &pr, &wake), KP_TRACER_SEND);
    expect_wait(&t, 0, S);
    for (uint8_t ttl = 1; ttl < 32; ttl++) {
        kp_tracer_reply(&t, ttl, 0, KP_TRACER_EV_HOP, KP_STOP_NONE, NULL);
        expect_wait(&t, ttl * MS, S);
    }
    kp_tracer_reply(&t, 32, 0, KP_TRACER_EV_REACHED, KP_STOP_NONE, NULL);
    expect_done(&t, 32 * MS, KP_STOP_COMPLETED, 32);
    cr_assert_eq(t.probes_sent, 32);
    cr_assert_leq(t.steps, 32, "%llu steps for 32 probes", (unsigned long long)t.steps);
}

/* Window 32, max TTL 32, 2 attempts, no gap limit, nothing answers: 32
 * probes at 0, a wait, 32 retries at 1 s, a wait, all silent at 2 s. Each
 * TTL is visited when it opens, when its retry falls due (one look finds
 * all 32), by the WAIT after the retries (the TTL of the earliest end of a
 * wait was sent again), and when it falls silent: 4 visits a TTL, 2 a
 * probe (it was 38). */
Test(tracer, work_per_probe_with_retries)
{
    struct kp_tracer t;
    struct kp_tracer_params p = params(2, 0, 32);
    p.max_ttl = 32;
    cr_assert_eq(kp_tracer_init(&t, &p), 0);
    struct kp_tracer_probe pr;
    int64_t wake;
    for (unsigned i = 0; i < 64; i++) {
        int64_t now = i < 32 ? 0 : S;
        cr_assert_eq(kp_tracer_next(&t, now, i * 7919u, &pr, &wake), KP_TRACER_SEND);
        cr_assert_eq(pr.attempt, i / 32);
        if (i % 32 == 31)
            expect_wait(&t, now, now + S);
    }
    expect_done(&t, 2 * S, KP_STOP_MAXTTL, 32);
    cr_assert_leq(t.steps, 4 * 32, "%llu steps for 64 probes", (unsigned long long)t.steps);
}
