/* SPDX-License-Identifier: BSD-2-Clause */
/* pacer.h — the global send pacer: a token bucket smooth at ns granularity.
 *
 * One pacer governs every probe kptrace sends. It is a GCRA / "virtual
 * scheduling" token bucket: tokens accrue continuously (one every 1e9/pps ns,
 * kept exact with an integer remainder, no floating point), at most `burst`
 * tokens can be saved up, and a send consumes one. So over ANY window of T ns
 * at most burst + T*pps/1e9 probes go out — there are no per-second bursts,
 * unlike a bucket refilled once per second.
 *
 * A hard ceiling (KP_PACER_HARD_MAX_PPS, and the caller's `ceiling_pps`) caps
 * the rate whatever the user asked for.
 *
 * Spacing (kp_pacer_set_spacing, optional): two sends are at least a given
 * share of the interval apart. With a bucket of more than one token this
 * keeps the rate exact when the sender wakes late (the tokens saved meanwhile
 * are spent) without sending them back to back: the catch-up runs at most
 * at 1 / share times the rate.
 *
 * Pure: no clocks, no globals; the caller passes now_ns (any monotonic ns
 * clock; must not go backwards by more than the pacer tolerates: a smaller
 * now_ns is treated as equal to the largest seen). The struct is plain data
 * owned by the caller; no allocation.
 */
#ifndef KP_PACER_H
#define KP_PACER_H

#include <stdint.h>

/* Absolute ceiling on the rate, whatever the configuration says. */
#define KP_PACER_HARD_MAX_PPS 1000000u
/* Largest burst accepted. */
#define KP_PACER_MAX_BURST 1024u

struct kp_pacer {
    uint32_t pps;          /* effective rate after clamping */
    uint32_t burst;        /* tokens that may be saved up (>= 1) */
    int64_t interval_ns;   /* floor(1e9 / pps) */
    uint32_t interval_rem; /* 1e9 % pps, accumulated in frac */
    uint32_t frac;         /* fractional ns accumulated, in 1/pps ns units */
    int64_t tat_ns;        /* theoretical arrival time of the next token */
    int64_t last_now_ns;   /* largest now_ns seen */
    int started;           /* tat_ns valid */
    uint64_t sent;         /* tokens consumed */
    int64_t min_gap_ns;    /* spacing: no send closer than this to the last (0 = none) */
    int64_t last_send_ns;  /* time of the last send */
};

/* Initialise *p for `pps` probes per second with a bucket of `burst` tokens.
 * The rate is clamped to min(pps, ceiling_pps, KP_PACER_HARD_MAX_PPS)
 * (ceiling_pps 0 = only the hard maximum). The bucket starts FULL at the first
 * call with a time (so up to `burst` probes may leave at once, then the rate).
 * Returns 0, 1 when the rate was clamped (p->pps holds the effective rate), or
 * -EINVAL when pps == 0, burst == 0 or burst > KP_PACER_MAX_BURST. */
int kp_pacer_init(struct kp_pacer *p, uint32_t pps, uint32_t burst, uint32_t ceiling_pps);

/* Two sends at least share_pct percent (1..100) of the interval apart. */
void kp_pacer_set_spacing(struct kp_pacer *p, unsigned share_pct);

/* Nanoseconds until a send is allowed (0 = a token is available now).
 * Does not consume. */
int64_t kp_pacer_next(struct kp_pacer *p, int64_t now_ns);

/* Start again at now_ns with an empty bucket: the next send may leave at
 * now_ns, the ones after it at the rate; nothing saved up before (e.g.
 * during a pause of the sender) is spent in a catch-up burst. */
void kp_pacer_restart(struct kp_pacer *p, int64_t now_ns);

/* Consume one token if available: returns 0 (consumed) or the ns to wait
 * (> 0, nothing consumed). */
int64_t kp_pacer_take(struct kp_pacer *p, int64_t now_ns);

#endif
