/* SPDX-License-Identifier: BSD-2-Clause */
/* verdict_stitch.h — give Doubletree traces back the path below their start.
 *
 * With Doubletree (kptrace sweep's default, scamper's tracelb/doubletree), only
 * the first trace into a destination group probes from TTL 1; the others start
 * near the destination and probe backward only until they meet an interface
 * already seen, because the rest of the path towards the vantage point is
 * known from earlier traces of the same run. A trace that starts inside the
 * target AS (visible target routers, a border numbered from the target's
 * space) then holds no hop outside the target, and the verdict alone can only
 * say "undetermined". Stitching restores what Doubletree assumed: the hops of
 * an earlier trace of the same run and vantage point below the interface
 * where this one stopped, at the same TTL.
 *
 * Use: kp_stitch_add() the traces as they are read (with a key naming the
 * run, e.g. the input file), then per trace kp_stitch_prefix() builds the
 * stitched copy to decide on; kp_verdict_decide() on it; kp_verdict_unstitch()
 * maps the evidence back to the trace's own hops. A trace can be freed once
 * added: the index keeps, per (key, vantage point, TTL, interface), a copy of
 * the hop just below it, so its memory grows with the interfaces seen, not
 * with the traces, up to an explicit bound (KP_STITCH_MAX_LINKS), and one
 * index can serve a whole run decided in chunks (donors read before a trace,
 * or in its own chunk, count, as long as their links were not forgotten).
 *
 * Pure: no I/O, no clocks, no globals. The index owns its memory.
 */
#ifndef KP_VERDICT_STITCH_H
#define KP_VERDICT_STITCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/verdict/verdict.h"
#include "core/record/trace.h"

struct kp_stitch; /* opaque */

/* The bound of kp_stitch_new: at most this many links (one per answered
 * router hop with an answered hop below it, per key, vantage point and TTL),
 * about 210 bytes each (55 MiB at most). */
#define KP_STITCH_MAX_LINKS ((size_t)1 << 18)

/* A new empty index in *out, holding at most KP_STITCH_MAX_LINKS links. 0 or
 * -ENOMEM / -EINVAL. Free with kp_stitch_free. */
int kp_stitch_new(struct kp_stitch **out);

/* The same with another bound (at least 2). When more links are learnt, the
 * oldest half is forgotten, except links used since (a lookup keeps them):
 * a trace whose donor is that far back is decided without it. */
int kp_stitch_new_bounded(size_t max_links, struct kp_stitch **out);

/* Links held now (never more than the bound), links forgotten so far, and
 * hash-table nodes visited (work counting for tests). */
size_t kp_stitch_links(const struct kp_stitch *s);
uint64_t kp_stitch_dropped(const struct kp_stitch *s);
uint64_t kp_stitch_steps(const struct kp_stitch *s);

/* Release the index (NULL is fine). The traces added stay the caller's. */
void kp_stitch_free(struct kp_stitch *s);

/* Learn from trace t under key (the caller's name for one run; traces of
 * other keys or other vantage points are never mixed): for every answered
 * router hop (first attempt; not a reply of the destination, not a duplicate)
 * with an answered router hop below it, remember that lower hop. When two
 * traces disagree, the one that starts lower wins (then the first). t is
 * not kept. 0, -EINVAL or -ENOMEM. */
int kp_stitch_add(struct kp_stitch *s, const struct kp_trace *t, uint32_t key);

/* When trace t starts above its first TTL (its lowest answering TTL L is
 * greater than max(first_ttl, 1)) and a trace learned under key from the same
 * vantage point answered from t's router hop at TTL L with a hop below it
 * (failing that, from the same address at the nearest lower TTL: Doubletree
 * stops on interfaces, whatever their TTL; the borrowed hops keep their TTLs
 * and the TTLs between stay empty), write into *out (initialised by the caller, freed by
 * kp_trace_free) a copy of t with the hops below added, one per TTL, following the links down while
 * they last, sorted by TTL, and set *n_borrowed to the number of hops added:
 * they sort before all of t's own hops, so out->hops[n_borrowed + i] is
 * t->hops[i] once t is sorted (kp_trace_sort). Returns 1 when stitched, 0
 * when there is nothing to add (*out untouched, *n_borrowed 0), -EINVAL or
 * -ENOMEM. */
int kp_stitch_prefix(struct kp_stitch *s, const struct kp_trace *t, uint32_t key,
                     struct kp_trace *out, size_t *n_borrowed);

/* False when kp_stitch_prefix() would add nothing to t whatever was learned
 * (t answered at its first TTL, or not at all): such a trace can be decided
 * on its own, away from the index. Pure. */
bool kp_stitch_may_borrow(const struct kp_trace *t);

/* Map a verdict taken on a stitched copy back to the trace's own hops: hop
 * indices (handoff, target, border, last, skipped) drop by n_borrowed; one
 * that pointed at a borrowed hop becomes -1 (its TTL fields stay). When the
 * handoff was borrowed, the "doubletree-prefix" heuristic is noted and the
 * confidence of a decided verdict drops by 0.05. */
void kp_verdict_unstitch(struct kp_transit *v, size_t n_borrowed);

#endif
