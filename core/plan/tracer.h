/* SPDX-License-Identifier: BSD-2-Clause */
/* tracer.h — the sender-side state machine of one traceroute.
 *
 * A kp_tracer decides WHAT to send next for one trace (which TTL, which
 * attempt) and WHEN; the schedule decides which trace sends, the pacer decides
 * whether anything may be sent now. It never builds or sends packets and never
 * reads a clock: the engine passes now_ns (any monotonic ns clock).
 *
 * Probing (forward phase): TTLs start_ttl, start_ttl+1, ... up to max_ttl, with
 * at most `window` unresolved TTLs in flight (window 1 = hop by hop, like
 * scamper; larger windows probe several TTLs at once, yarrp-like). A TTL is
 * RESOLVED when any attempt gets a reply, or SILENT when `attempts` attempts
 * each waited `wait_ns` without one. An attempt is retried only after the
 * previous one's wait ran out. Forward probing stops:
 *   - at the TTL where the destination answered          -> KP_STOP_COMPLETED
 *   - at a TTL whose reply was a destination-unreachable -> KP_STOP_UNREACH_*
 *     / admin-prohibited (from kp_stop_from_unreach_code)
 *   - after gap_limit consecutive SILENT TTLs            -> KP_STOP_GAPLIMIT
 *   - after max_ttl                                      -> KP_STOP_MAXTTL
 * TTLs above the stopping TTL get no further probes; TTLs below it that are
 * still unresolved keep their remaining attempts.
 *
 * Late replies: a reply may arrive after its probe's wait, up to `linger_ns`
 * after the probe (the receive path accepts it until then and the record
 * counts it, flagged late). A late reply resolves its TTL even when it was
 * already declared SILENT, so it breaks a run of silent TTLs. A gap-limit stop
 * is therefore provisional: the tracer is not done until `linger_ns` after its
 * last probe, and a late reply to a TTL of the silent run in that time lifts
 * the stop and forward probing goes on (the gap rule is then applied afresh).
 * Without this, a path whose RTT exceeds the wait would stop at "gaplimit"
 * while every TTL of the "gap" has a reply in the record.
 *
 * Doubletree (backward phase): when start_ttl > first_ttl (the border TTL of
 * the destination's /24 is known, see stopset.h), the tracer also probes
 * start_ttl-1, start_ttl-2, ... down to first_ttl, one TTL at a time, and
 * stops backward probing at the first TTL whose reply comes from an interface
 * in `stopset` (no gap limit backward). The TTLs never probed below that are
 * counted in probes_saved (one probe per TTL: the least a classic trace would
 * have sent there).
 *
 * Doubletree hints (struct kp_tracer_hint): the first trace into a
 * destination /24 (its pilot) PUBLISHES per TTL what it found — answered,
 * silent (every attempt waited in vain) or pending (probed, its wait not
 * over) — and the traces that follow it READ it. A follower does not probe a
 * TTL the pilot found silent when the pilot got an answer beyond it (skipped:
 * counted in probes_saved, and it neither extends nor breaks a run of silent
 * TTLs, as in the record, where it is not probed at all), and DEFERS a TTL
 * still pending in the pilot below its highest answer until the pilot knows
 * (then skips or probes it). Deferred TTLs do not count in the window. A TTL
 * above the pilot's highest answer is probed as usual: the destination may
 * answer where the pilot's did not.
 *
 * The record of a trace is NOT the tracer's business: rx builds it from the
 * capture. The tracer's stop reason only says why sending stopped.
 *
 * Pure, plain data: the struct is owned by the caller, no allocation; the
 * stopset pointer is borrowed (read-only; may be NULL) and must outlive it.
 */
#ifndef KP_TRACER_H
#define KP_TRACER_H

#include <stdbool.h>
#include <stdint.h>

#include "core/base/addr.h"
#include "core/plan/stopset.h"
#include "core/record/trace.h"

#define KP_TRACER_MAX_ATTEMPTS 8
#define KP_TRACER_MAX_WINDOW   32
#define KP_TRACER_MAX_TTL      63 /* the probe identity's 6 bits of TTL */

/* What a /24's pilot found per TTL (bit ttl of each mask, TTLs 1..63), for
 * the traces that follow it: written by the pilot's tracer
 * (kp_tracer_params.publish), read by the followers' (.hint). Plain data
 * owned by the caller; `until` points to KP_TRACER_MAX_TTL + 1 times the
 * caller provides while the pilot runs (NULL afterwards: nothing is pending
 * once the pilot is done). */
struct kp_tracer_hint {
    uint64_t answered; /* a reply came (a router or the destination) */
    uint64_t silent;   /* every attempt waited in vain */
    uint64_t pending;  /* probed, no reply yet, its wait not over */
    uint8_t top;       /* highest answered TTL, 0 none */
    int64_t *until;    /* pending TTLs: when their current attempt's wait ends */
};

struct kp_tracer_params {
    uint8_t first_ttl; /* lowest TTL (1..63), default 1 */
    uint8_t max_ttl;   /* highest TTL (first_ttl..63), default 30 */
    uint8_t attempts;  /* attempts per TTL (1..KP_TRACER_MAX_ATTEMPTS), default 2 */
    uint8_t gap_limit; /* consecutive silent TTLs that stop the trace, 0 = never */
    uint8_t window;    /* unresolved TTLs in flight (1..KP_TRACER_MAX_WINDOW) */
    uint8_t start_ttl; /* Doubletree start TTL; 0 or <= first_ttl = no backward phase */
    int64_t wait_ns;   /* per-attempt wait (> 0) */
    int64_t linger_ns; /* how long after a probe its (late) reply still counts;
                          <= wait_ns (e.g. 0) = no late replies: a gap-limit stop
                          is final at once. kptrace: 2 * wait + 500 ms, as rx. */
    const struct kp_stopset *stopset;  /* backward stop set, NULL = stop only at first_ttl */
    const struct kp_tracer_hint *hint; /* follower: the pilot's findings (NULL = none) */
    struct kp_tracer_hint *publish;    /* pilot: where to write them (NULL = nowhere) */
    /* Pilot: a TTL whose probe is unanswered stops holding its place in the
     * window once it was sent this long ago, or twice the longest round
     * trip of the trace's replies so far (kp_tracer_rtt) if that is longer:
     * a silent router then costs the next TTL that delay, not the whole
     * wait (the TTL itself still waits for its reply, and is retried, as
     * usual). 0 = never: the window is the window. */
    int64_t presume_ns;
};

/* Default parameters: first 1, max 30, attempts 2, gap 5, window 1, wait 1 s,
 * linger 0 (late replies not awaited). */
void kp_tracer_params_default(struct kp_tracer_params *p);

/* State of one TTL (private to tracer.c; visible for plain-data allocation). */
struct kp_tracer_ttl {
    uint8_t sent;  /* attempts sent */
    uint8_t state; /* private: unopened / open / replied / silent / cancelled /
                      skipped / deferred */
};

struct kp_tracer {
    struct kp_tracer_params p;
    /* indexed by TTL; the times apart from the states, so that a look at
     * the states reads two cache lines, not sixteen: a sweep runs its
     * traces in random order, each one cold (kp_tracer_next reads the TTLs
     * of the masks below only) */
    struct kp_tracer_ttl ttl[KP_TRACER_MAX_TTL + 1];
    int64_t tx_ns[KP_TRACER_MAX_TTL + 1]; /* each TTL's last attempt left then */
    int64_t silent_from; /* no TTL whose attempts are all sent falls silent before this */
    uint16_t next_fwd;   /* next forward TTL to open */
    uint16_t fwd_limit;  /* no forward TTL above this is probed */
    uint16_t back_ttl;   /* next backward TTL to open (0 = done) */
    bool back_stopped;   /* backward phase hit the stop set */
    enum kp_stop stop;   /* why forward probing stopped (NONE while running) */
    uint8_t stop_ttl;    /* TTL at which it stopped */
    bool done;           /* nothing more will be sent */
    uint32_t probes_sent;
    uint32_t probes_saved; /* TTLs below the stop set's hit never probed, and TTLs
                              skipped on the pilot's word (not what an abort left) */
    int64_t last_tx_ns;    /* time of the last probe sent */
    int64_t max_rtt_ns;    /* longest round trip of a reply so far (kp_tracer_rtt) */
    uint64_t steps;        /* TTLs visited by the loops so far (a measure of the work) */
    /* The TTLs in each state, bit ttl of each mask, so that no call looks at
     * TTLs it has no business with: open ones by attempts sent (none: ready
     * at once; some with attempts left: ready once the wait ran out; all) */
    uint64_t fresh, retry, last;
    uint64_t deferred, silent, cancelled, skipped;
    uint64_t due;       /* TTLs of `retry` whose wait ran out by due_at */
    int64_t due_at;     /* the latest end of a wait in `due` */
    int64_t retry_from; /* no other TTL of `retry` is due before this */
    /* the earliest end of a wait among the open TTLs sent (`retry`, `last`),
     * and its TTL; looked for again when that TTL changes */
    int64_t wait_end;
    uint8_t wait_end_ttl; /* 0: none */
    bool wait_end_known;
};

/* Status returned by kp_tracer_next. */
enum kp_tracer_status {
    KP_TRACER_SEND = 0, /* *probe filled: send it now (already counted as sent) */
    KP_TRACER_WAIT = 1, /* nothing to send before *wake_ns */
    KP_TRACER_DONE = 2, /* the trace will send nothing more */
};

struct kp_tracer_probe {
    uint8_t ttl;
    uint8_t attempt; /* 0-based */
};

/* What a reply to one of the trace's probes said (from rx's on_reply hook). */
enum kp_tracer_event {
    KP_TRACER_EV_HOP = 0, /* a router answered (time exceeded): keep going */
    KP_TRACER_EV_REACHED, /* the destination answered */
    KP_TRACER_EV_UNREACH, /* a destination-unreachable: stop with `stop` */
};

/* Initialise a tracer. Parameters are validated and copied. Returns 0 or
 * -EINVAL (first_ttl 0, max_ttl < first_ttl or > 63, attempts or window out
 * of range, wait_ns <= 0). */
int kp_tracer_init(struct kp_tracer *t, const struct kp_tracer_params *p);

/* What to do at now_ns. On KP_TRACER_SEND, *probe is the probe to send and
 * the tracer already counts it as sent at now_ns (call kp_tracer_abort if it
 * could not be sent at all). On KP_TRACER_WAIT, *wake_ns is the earliest time
 * the answer may change (a reply can change it earlier); after a gap-limit
 * stop that is the end of the last probe's linger. `rnd` is a random
 * number used to choose among several TTLs ready at once (pass 0 to always take
 * the lowest); see kp_schedule_rand. wake_ns may be NULL. */
enum kp_tracer_status kp_tracer_next(struct kp_tracer *t, int64_t now_ns, uint32_t rnd,
                                     struct kp_tracer_probe *probe, int64_t *wake_ns);

/* Tell the tracer that probe (ttl, attempt) got a reply of kind `ev` from
 * `from` (may be NULL). `stop` is the stop reason for KP_TRACER_EV_UNREACH
 * (ignored otherwise). Replies to TTLs never sent, and duplicates, are
 * ignored. Late replies (after the wait) resolve the TTL even when it was
 * declared silent, and may lift a provisional gap-limit stop (see above);
 * the caller only passes replies it accepts (within linger_ns). */
void kp_tracer_reply(struct kp_tracer *t, uint8_t ttl, uint8_t attempt, enum kp_tracer_event ev,
                     enum kp_stop stop, const struct kp_addr *from);

/* A reply to one of the trace's probes took rtt_ns (see presume_ns). */
void kp_tracer_rtt(struct kp_tracer *t, int64_t rtt_ns);

/* Stop sending for `reason` (KP_STOP_INTERRUPTED, KP_STOP_ERROR, ...): the
 * tracer becomes done. */
void kp_tracer_abort(struct kp_tracer *t, enum kp_stop reason);

/* The probe kp_tracer_next returned with SEND left at sent_ns (the time the
 * send returned, which is after the capture's timestamp of it): its wait,
 * and its attempt's retry, count from there, so that a retry never leaves
 * less than the wait after the attempt before it, as the capture sees them.
 * Ignored unless it is that TTL's latest attempt and sent_ns is later. */
void kp_tracer_sent(struct kp_tracer *t, const struct kp_tracer_probe *probe, int64_t sent_ns);

/* The probe kp_tracer_next just returned with SEND (at now_ns) did not leave
 * (a transient send error: the socket's buffer was full): forget it, so that
 * the same (TTL, attempt) is sent again on a later kp_tracer_next. Only the
 * last probe returned may be unsent. */
void kp_tracer_unsend(struct kp_tracer *t, const struct kp_tracer_probe *probe, int64_t now_ns);

/* Whether forward probing has its answer: the destination answered or an
 * unreachable stopped it (TTLs below may still be pending). The engine
 * releases a pilot's followers then. */
bool kp_tracer_forward_done(const struct kp_tracer *t);

/* The latest time a reply to one of the trace's probes may still be
 * accepted: the largest last_tx + linger_ns over the TTLs probed and never
 * answered (0 when there is none). Linger_ns <= wait_ns counts as wait_ns. */
int64_t kp_tracer_outstanding_until(const struct kp_tracer *t);

/* Whether the tracer will send nothing more, as of the last kp_tracer_next
 * or kp_tracer_abort (kp_tracer_next returned KP_TRACER_DONE). */
static inline bool kp_tracer_done(const struct kp_tracer *t)
{
    return t->done;
}

#endif
