/* SPDX-License-Identifier: BSD-2-Clause */
/* detect.h — set-based change detection of the data plane into one
 * destination prefix, from a stream of traces: `kptrace watch` feeds it as
 * traces finish, kpannotate --changes (and so kp-report) feeds it sweep
 * after sweep. One tracker per key (vantage point, /24, method); the caller
 * keeps the trackers (a hash table, an array) and feeds each key's traces in
 * the order they started.
 *
 * What a tracker holds is a STATE: the SET of transits seen handing traffic
 * to the target (an ECMP split is a set, not a majority), and a STATUS:
 *   reached     the destination answered (at least one trace of the window)
 *   filtered    no destination answer; most traces end admin-prohibited
 *   incomplete  no destination answer, not filtered, from the start
 *   dark        no destination answer, not filtered, where it used to be
 *               reached or filtered (a black hole)
 * Its phases:
 *   WARMUP   the first `confirm` traces build the initial state; no event
 *            is ever emitted for it.
 *   STABLE   each trace is checked against the state. A trace through a
 *            transit outside the set, an outcome that contradicts the status
 *            (a reached prefix with a trace that got no destination answer,
 *            ...), or a member of the set unseen for so long that it is
 *            improbable it is still there (below) makes the tracker SUSPECT.
 *   SUSPECT  a confirmation window of `confirm` traces, counting the trace
 *            that raised the suspicion (longer, up to KP_CHG_MAX_CONFIRM,
 *            while a transit new in the window has displaced a member whose
 *            absence is not yet certain, or while an addition is not yet
 *            known to be new). `kptrace watch` probes such a key at once,
 *            with more flows. At the window's end the new state is
 *            computed; when it equals the old one nothing happened (a lost
 *            trace, a rate-limited hop, a partial look at an ECMP set) and
 *            the tracker is STABLE again; otherwise an event is emitted and
 *            the new state holds.
 * A trace whose verdict names no transit (transit 0: lost, undetermined)
 * never changes the set: it is neither a sighting nor a miss.
 *
 * Partial ECMP sets: one trace sees one member. A member with share p of
 * the traces that named a transit is declared gone only after k
 * consecutive such traces without it where (1 - p)^k < miss_p (k at least
 * 3, at most KP_CHG_MAX_MISS traces waited); p is the lower bound (Wilson,
 * one-sided 95 %) of its share over the traces of the state up to its last
 * sighting (since the state began, the window that set it up included; the
 * streak judged and a window that has not seen it are not counted, and a
 * short history gives a low p, so a long k); it is judged by its streak at
 * the window's end, and
 * beside a transit the window adds, only after a streak improbable at a
 * share of 1/2 (a transit joining it, not replacing it). A transit is added
 * when the window shows it in at least `min_seen` traces; when that is the
 * only difference and the transit could have been there unseen all along
 * (its share q in the window and the n traces of the state before its first
 * sighting give (1 - q)^n >= miss_p), the set was seen partially: it joins
 * the set without an event. docs/change-detection.md has the details.
 *
 * Onset: the change happened in (last_before, first_after]:
 *   first_after  the end of the earliest trace showing the new state: the
 *                first sighting of an added transit, the first trace of the
 *                new status' run, for a removal alone the trace that made it
 *                certain;
 *   last_before  the start of the latest trace before that one showing the
 *                old state: the last sighting of a removed transit, the last
 *                trace with the old status' outcome, for an addition the last
 *                trace that named a transit before its first sighting.
 *
 * Pure: no I/O, no clocks (times come with the traces), no allocation — a
 * tracker is a plain fixed-size struct that the caller may copy; it is saved
 * to and restored from one line of text (a checkpoint).
 */
#ifndef KP_CHANGE_DETECT_H
#define KP_CHANGE_DETECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KP_CHG_MAX_TRANSITS 8  /* members of a set, and new transits per window */
#define KP_CHG_MAX_TRACES   16 /* trace ids kept as an event's evidence */
#define KP_CHG_MAX_CONFIRM  64 /* the longest confirmation window */
#define KP_CHG_MAX_MISS     256

/* How one trace ended, as the detector sees it. */
enum kp_chg_outcome {
    KP_CHG_OUT_DST = 0,  /* the destination answered (stop reason completed, or any
                            answer from the destination address) */
    KP_CHG_OUT_FILTERED, /* admin-prohibited (!X) */
    KP_CHG_OUT_STOPPED,  /* anything else: gap limit, max TTL, other unreachables */
    KP_CHG_OUT_COUNT
};

enum kp_chg_status {
    KP_CHG_REACHED = 0, /* "reached" */
    KP_CHG_FILTERED,    /* "filtered" */
    KP_CHG_INCOMPLETE,  /* "incomplete" */
    KP_CHG_DARK,        /* "dark" */
    KP_CHG_STATUS_COUNT
};

enum kp_chg_phase { KP_CHG_WARMUP = 0, KP_CHG_STABLE, KP_CHG_SUSPECT };

/* One trace, as fed. */
struct kp_chg_obs {
    int64_t start_ns; /* its first probe (Unix time, ns) */
    int64_t end_ns;   /* its last probe or answer (>= start_ns) */
    uint32_t transit; /* the verdict's AS when the verdict is "reached" or
                         "filtered" (the AS handing traffic to the target); 0 none */
    enum kp_chg_outcome outcome;
    uint64_t trace_id; /* the caller's id for it, listed in events */
};

struct kp_chg_state {
    uint32_t transits[KP_CHG_MAX_TRANSITS]; /* ascending, n of them */
    unsigned n;
    enum kp_chg_status status;
};

struct kp_chg_event {
    struct kp_chg_state before, after;
    int64_t last_before_ns; /* the onset lies in (last_before_ns, first_after_ns] */
    int64_t first_after_ns;
    uint64_t traces[KP_CHG_MAX_TRACES]; /* the traces that showed the new state, first first */
    unsigned n_traces;
};

struct kp_chg_params {
    unsigned confirm;  /* traces in warm-up and in a confirmation window (default 8) */
    unsigned min_seen; /* sightings in a window that add a transit (default 2) */
    double miss_p;     /* improbability that declares a member gone (default 1e-7) */
};

/* One member of the set while tracked (internal; visible so that the tracker
 * is a plain value). */
struct kp_chg_member {
    uint32_t asn;
    uint32_t seen;   /* traces naming it, since the state began */
    uint32_t misses; /* consecutive traces naming a transit, not it */
    int64_t last_seen_start_ns;
    uint32_t win_seen; /* traces naming it in the warm-up or window in progress */
};

/* The tracker of one key. Initialise with kp_chg_track_init; treat the
 * fields as private (they are here so that the struct can live in arrays,
 * be copied and be saved). */
struct kp_chg_track {
    enum kp_chg_phase phase;
    struct kp_chg_state state;
    struct kp_chg_member members[KP_CHG_MAX_TRANSITS];
    uint32_t named;    /* traces naming a transit since the state began */
    uint32_t in_phase; /* traces fed in this warm-up or window */
    /* warm-up / window accumulators */
    uint32_t new_asn[KP_CHG_MAX_TRANSITS];
    uint32_t new_seen[KP_CHG_MAX_TRANSITS];
    int64_t new_first_end_ns[KP_CHG_MAX_TRANSITS];
    unsigned n_new;
    uint32_t outcomes[KP_CHG_OUT_COUNT];
    int64_t first_new_outcome_end_ns;  /* first trace of the window contradicting the status */
    int64_t last_old_outcome_start_ns; /* last trace agreeing with the status */
    int64_t last_named_start_ns;       /* last trace naming a transit */
    int64_t prev_named_start_ns;       /* the one before that */
    int64_t removal_end_ns;            /* the trace that made a removal certain, 0 none */
    uint64_t evidence[KP_CHG_MAX_TRACES];
    unsigned n_evidence;
    uint64_t fed; /* traces fed in all */
    /* per new transit of the window: consecutive misses since its last
     * sighting, its last sighting's start, and the last trace naming a
     * transit before its first sighting (its addition's last_before) */
    uint32_t new_misses[KP_CHG_MAX_TRANSITS];
    int64_t new_last_seen_start_ns[KP_CHG_MAX_TRANSITS];
    int64_t new_last_before_ns[KP_CHG_MAX_TRANSITS];
    uint32_t win_named;                           /* traces of the window naming a transit */
    int64_t last_out_start_ns[KP_CHG_OUT_COUNT];  /* latest start of a trace per outcome */
    int64_t win_first_end_ns[KP_CHG_OUT_COUNT];   /* per outcome, the window's first trace end */
    int64_t win_last_before_ns[KP_CHG_OUT_COUNT]; /* ... and the old status' last trace before it */
    /* the window's traces (first KP_CHG_MAX_TRACES; trace ids in evidence[]) */
    uint32_t ev_transit[KP_CHG_MAX_TRACES];
    uint8_t ev_outcome[KP_CHG_MAX_TRACES];
    /* transits seen in a window too rarely to be added: the value of
     * `named` before their first sighting in this state (the gap an addition
     * is judged on) and at their last one (forgotten KP_CHG_MAX_MISS later) */
    uint32_t rare_asn[KP_CHG_MAX_TRANSITS];
    uint32_t rare_named_first[KP_CHG_MAX_TRANSITS];
    uint32_t rare_named_at[KP_CHG_MAX_TRANSITS];
    int64_t rare_first_end_ns[KP_CHG_MAX_TRANSITS];   /* its first sighting of that run */
    int64_t rare_last_before_ns[KP_CHG_MAX_TRANSITS]; /* ... and the last trace before it */
    unsigned n_rare;
};

void kp_chg_params_default(struct kp_chg_params *p);

/* 0, or -EINVAL when a parameter is out of range (confirm 1..KP_CHG_MAX_CONFIRM,
 * min_seen 1..confirm, 0 < miss_p < 1). */
int kp_chg_params_check(const struct kp_chg_params *p);

void kp_chg_track_init(struct kp_chg_track *t);

/* Feed one trace of the tracker's key. Returns 1 and fills *ev when this
 * trace completes a change (the end of a confirmation window whose state
 * differs), 0 when not, -EINVAL on NULL arguments, bad parameters, or an
 * outcome out of range. */
int kp_chg_feed(struct kp_chg_track *t, const struct kp_chg_params *p, const struct kp_chg_obs *o,
                struct kp_chg_event *ev);

enum kp_chg_phase kp_chg_phase(const struct kp_chg_track *t);

/* The state in force (before any window's verdict); NULL during warm-up. */
const struct kp_chg_state *kp_chg_current(const struct kp_chg_track *t);

/* Traces still wanted to end the warm-up or the window in progress (0 when
 * STABLE): the window's remaining traces, or while a member missed beside a
 * transit new in the window is not yet judged, what its streak lacks (up
 * to KP_CHG_MAX_CONFIRM in all); at least 1 in a window. `kptrace watch`
 * probes a key with that many flows at once. */
unsigned kp_chg_wanted(const struct kp_chg_track *t, const struct kp_chg_params *p);

bool kp_chg_state_eq(const struct kp_chg_state *a, const struct kp_chg_state *b);

const char *kp_chg_status_name(enum kp_chg_status s);
/* -1 when s is not a status name. */
int kp_chg_status_from_name(const char *s);
const char *kp_chg_phase_name(enum kp_chg_phase p);

/* The tracker as one line of printable ASCII without spaces' meaning to
 * the caller (no newline), for a checkpoint: snprintf-style return (the
 * length it needs; the output is truncated when len is too small). */
int kp_chg_track_save(const struct kp_chg_track *t, char *buf, size_t len);

/* Restore a tracker saved by kp_chg_track_save. 0, or -EBADMSG when s is not
 * such a line (then *t is initialised, as new). */
int kp_chg_track_load(struct kp_chg_track *t, const char *s, size_t len);

#endif
