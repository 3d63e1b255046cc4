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
 * Use: kp_stitch_add() every trace of a run (with a key naming the run, e.g.
 * the input file), then per trace kp_stitch_prefix() builds the stitched copy
 * to decide on; kp_verdict_decide() on it; kp_verdict_unstitch() maps the
 * evidence back to the trace's own hops.
 *
 * Pure: no I/O, no clocks, no globals. The index owns its memory and borrows
 * the traces added to it.
 */
#ifndef KP_VERDICT_STITCH_H
#define KP_VERDICT_STITCH_H

#include <stddef.h>
#include <stdint.h>

#include "analysis/verdict.h"
#include "probe/trace.h"

struct kp_stitch; /* opaque */

/* A new empty index in *out. 0 or -ENOMEM / -EINVAL. Free with kp_stitch_free. */
int kp_stitch_new(struct kp_stitch **out);

/* Release the index (NULL is fine). The traces added stay the caller's. */
void kp_stitch_free(struct kp_stitch *s);

/* Offer trace t as a donor under key (the caller's name for one run of one
 * vantage point; traces of other keys or other vantage points are never
 * mixed). t is borrowed: it must stay alive and unchanged while s is used.
 * Every answered router hop (not a reply of the destination, not a duplicate)
 * is indexed by (key, vp, TTL, address). 0, -EINVAL or -ENOMEM. */
int kp_stitch_add(struct kp_stitch *s, const struct kp_trace *t, uint32_t key);

/* When trace t starts above its first TTL (its lowest answering TTL L is
 * greater than max(first_ttl, 1)) and another trace added under key from the
 * same vantage point answered from t's hop address at TTL L with hops below
 * L, write into *out (initialised by the caller, freed by kp_trace_free) a copy
 * of t with that donor's hops below L added (the donor reaching lowest wins;
 * repeated while the copy still starts above TTL 1), sorted by TTL, and set
 * *n_borrowed to the number of hops added: they sort before all of t's own
 * hops, so out->hops[n_borrowed + i] is t->hops[i] once t is sorted.
 * Returns 1 when stitched, 0 when there is nothing to add (*out untouched,
 * *n_borrowed 0), -EINVAL or -ENOMEM. */
int kp_stitch_prefix(struct kp_stitch *s, const struct kp_trace *t, uint32_t key,
                     struct kp_trace *out, size_t *n_borrowed);

/* Map a verdict taken on a stitched copy back to the trace's own hops: hop
 * indices (handoff, target, border, last, skipped) drop by n_borrowed; one
 * that pointed at a borrowed hop becomes -1 (its TTL fields stay). When the
 * handoff was borrowed, the "doubletree-prefix" heuristic is noted and the
 * confidence of a decided verdict drops by 0.05. */
void kp_verdict_unstitch(struct kp_transit *v, size_t n_borrowed);

#endif
