/* SPDX-License-Identifier: BSD-2-Clause */
/* schedule.h — which trace sends next: a randomized, per-/24-fair order.
 *
 * The live engine runs many traces at once. Each trace is an *entry* of the
 * schedule, keyed by its destination's group (the /24 for IPv4, the /48 for
 * IPv6 by default). An entry is in one of three states:
 *
 *   WAITING  it has nothing to send before wake_ns (e.g. its tracer waits for
 *            a reply or a timeout);
 *   READY    wake_ns <= now: it may send;
 *   TAKEN    kp_schedule_pick() handed it out; the caller must kp_schedule_arm()
 *            it again (with its next wake time) or kp_schedule_remove() it.
 *
 * kp_schedule_pick() chooses a READY entry as follows: first a group uniformly
 * at random among the groups that have READY entries, then an entry uniformly
 * at random within that group. So (1) the order over (target, TTL) is random —
 * consecutive probes rarely go to the same prefix, so no router on the way
 * sees bursts — and (2) every group with work gets the same share of sends: a
 * /24 with 256 traces cannot starve a /24 with one.
 *
 * Deterministic: the randomness comes from a xoshiro256** generator seeded by
 * the caller (no global state), so the same seed and the same calls give the
 * same picks (tests rely on it).
 *
 * Ownership: the schedule owns its memory (kp_schedule_create/destroy); the
 * `item` pointers are the caller's and are only handed back, never touched.
 */
#ifndef KP_SCHEDULE_H
#define KP_SCHEDULE_H

#include <stddef.h>
#include <stdint.h>

#include "core/base/addr.h"

struct kp_schedule;

struct kp_schedule_config {
    uint64_t seed;    /* PRNG seed */
    uint8_t group_v4; /* IPv4 group prefix length, 0 = 24 */
    uint8_t group_v6; /* IPv6 group prefix length, 0 = 48 */
};

#define KP_SCHEDULE_NONE UINT32_MAX

/* Create an empty schedule. 0 or -ENOMEM / -EINVAL (prefix length too long). */
int kp_schedule_create(const struct kp_schedule_config *cfg, struct kp_schedule **out);

/* Free the schedule and everything it allocated (not the caller's items). */
void kp_schedule_destroy(struct kp_schedule *s);

/* Add an entry for a trace to `dst`, WAITING until wake_ns (use a value <= now
 * to make it READY at once). *handle receives the entry's handle (stable until
 * removed; handles of removed entries are reused). 0 or -ENOMEM. */
int kp_schedule_add(struct kp_schedule *s, const struct kp_addr *dst, void *item, int64_t wake_ns,
                    uint32_t *handle);

/* Put an entry (in any state; normally a TAKEN one) back, WAITING until
 * wake_ns. 0, -EINVAL (bad handle) or -ENOMEM. */
int kp_schedule_arm(struct kp_schedule *s, uint32_t handle, int64_t wake_ns);

/* Remove an entry in any state. No-op for a bad handle. */
void kp_schedule_remove(struct kp_schedule *s, uint32_t handle);

/* Pick a READY entry at time now_ns (see the rules above). Returns 0 with
 * *item / *handle set (the entry is now TAKEN), or -EAGAIN if no entry is
 * ready. Either output pointer may be NULL. */
int kp_schedule_pick(struct kp_schedule *s, int64_t now_ns, void **item, uint32_t *handle);

/* Earliest time an entry becomes READY: the now_ns of the last pick if some
 * entry is READY already, INT64_MAX if there are only TAKEN entries or none. */
int64_t kp_schedule_next_wake(const struct kp_schedule *s);

/* Number of entries (all states) and of distinct groups with entries. */
size_t kp_schedule_count(const struct kp_schedule *s);
size_t kp_schedule_groups(const struct kp_schedule *s);

/* Groups visited in the group index (core/base/htab.h `steps`) since
 * creation: kp_schedule_add costs O(1) of them on average, which tests
 * assert by counting. */
uint64_t kp_schedule_steps(const struct kp_schedule *s);

/* A uniform 32-bit random number from the schedule's generator (for callers
 * that need more randomness in the same deterministic stream, e.g. the
 * tracer's choice among its ready TTLs). */
uint32_t kp_schedule_rand(struct kp_schedule *s);

#endif
