/* SPDX-License-Identifier: BSD-2-Clause */
/* stopset.h — Doubletree-style redundancy reduction (Donnet et al., 2005).
 *
 * Two pieces of knowledge gathered from finished traces of a run:
 *
 *  - the LOCAL STOP SET: interfaces (router addresses) already seen. A trace
 *    that starts in the middle of the path probes backward (TTL h-1, h-2, ...)
 *    and stops as soon as a reply comes from an interface in this set: the
 *    rest of the path towards the vantage point is already known.
 *  - per destination GROUP (/24 for IPv4, /48 for IPv6), the BORDER TTL: the
 *    TTL of the last router that answered before the destination (or before
 *    the trace went silent) on a trace into that group. Later traces into the
 *    same group start forward probing there instead of at first_ttl.
 *
 * Pure: no clocks, no globals. The set owns its memory (two kp_htab indexes,
 * core/base/htab.h, over entries kept in slabs); kp_stopset_free releases it.
 * Memory grows with distinct interfaces and groups seen, not with probes.
 * Lookups through a const set still count the nodes they visit in the
 * indexes' `steps` (work-counting tests read ifaces.steps, groups.steps).
 */
#ifndef KP_STOPSET_H
#define KP_STOPSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/addr.h"
#include "core/base/htab.h"
#include "core/base/slab.h"
#include "core/record/trace.h"

struct kp_stopset {
    struct kp_htab ifaces;   /* interfaces, by kp_addr_hash; ifaces.n of them */
    struct kp_slab iface_at; /* their entries */
    struct kp_htab groups;   /* groups, by kp_addr_hash of the masked prefix */
    struct kp_slab group_at; /* their entries */
};

/* Initialise an empty set (no allocation until the first add). */
void kp_stopset_init(struct kp_stopset *s);

/* Release everything; the set is empty and reusable afterwards. */
void kp_stopset_free(struct kp_stopset *s);

/* Add an interface address to the local stop set. 0 (added or already there)
 * or -ENOMEM / -EINVAL (unset address). */
int kp_stopset_add_iface(struct kp_stopset *s, const struct kp_addr *a);

/* Whether `a` is in the local stop set. */
bool kp_stopset_has_iface(const struct kp_stopset *s, const struct kp_addr *a);

/* Remember border_ttl for dst's group (the smallest value wins when learned
 * twice: starting too early costs probes, starting too late loses hops).
 * border_ttl 0 is ignored. 0 or -ENOMEM. */
int kp_stopset_set_border(struct kp_stopset *s, const struct kp_addr *dst, uint8_t border_ttl);

/* The border TTL learned for dst's group, 0 if none. */
uint8_t kp_stopset_border(const struct kp_stopset *s, const struct kp_addr *dst);

/* Learn from a finished trace: every router hop address (not replies from the
 * destination) joins the local stop set; if the trace has a router hop, the
 * largest TTL among router hops below the destination's TTL becomes the
 * border for dst's group (via kp_stopset_set_border). 0 or -ENOMEM. */
int kp_stopset_learn(struct kp_stopset *s, const struct kp_trace *t);

#endif
