/* SPDX-License-Identifier: BSD-2-Clause */
/* changes.h — the change detector (core/change/detect.h) over a stream of
 * decided traces: one tracker per key (vantage point, destination /24 or /48
 * as kp_summary_prefix_of, method), found through the one hash table
 * (core/base/htab.h). kpannotate --changes feeds it every decided trace.
 *
 * Memory is bounded by the keys, not the traces: a key holds its tracker (a
 * fixed-size value) and two times; vantage point names are kept once.
 * Feeding a trace costs O(1) whatever the number of keys
 * (kp_changes_steps counts the hash-table nodes visited, for tests).
 *
 * Order: the detector wants each key's traces in the order they started.
 * The caller feeds them so (kpannotate: inputs in the order given, each
 * chunk of traces in start order). A trace that ended before the last trace
 * fed for its key started cannot have come in completion order from one
 * run: such traces are counted (kp_changes_out_of_order), a sign that the
 * inputs were given out of time order.
 *
 * Pure: no I/O, no clocks, no globals.
 */
#ifndef KP_VERDICT_CHANGES_H
#define KP_VERDICT_CHANGES_H

#include <stddef.h>
#include <stdint.h>

#include "core/base/addr.h"
#include "core/change/detect.h"
#include "core/record/trace.h"
#include "core/verdict/verdict.h"

/* "a.b.c.0/24" or "x:y:z::/48", with its NUL */
#define KP_CHANGES_PREFIX_LEN (KP_ADDR_STRLEN + 4)

struct kp_changes;

/* The key of an event: valid until kp_changes_free. */
struct kp_changes_key {
    const char *vp; /* owned by the set */
    struct kp_addr prefix;
    uint8_t plen;
    enum kp_method method;
};

/* The detector's view of one decided trace t with verdict v: its start and
 * end (end = start when unknown), the transit (the verdict's AS when the
 * verdict is reached or filtered, else 0), its outcome (DST when it stopped
 * completed or any reply came from the destination, FILTERED when it stopped
 * admin-prohibited, else STOPPED) and its id. */
void kp_changes_obs_of(const struct kp_trace *t, const struct kp_transit *v, struct kp_chg_obs *o);

/* A new empty set whose trackers use parameters *p (copied) into *out.
 * 0, -EINVAL (kp_chg_params_check fails) or -ENOMEM. */
int kp_changes_new(const struct kp_chg_params *p, struct kp_changes **out);

/* Release c and everything it holds (NULL is fine). */
void kp_changes_free(struct kp_changes *c);

/* Feed observation *o of trace t (which gives the key: kp_summary_vp_of,
 * kp_summary_prefix_of of its destination, its method). Returns 1 when it
 * completes a change, with *ev and *key filled; 0 when not; -EINVAL (NULL
 * argument, or a destination that is not an address) or -ENOMEM. */
int kp_changes_feed(struct kp_changes *c, const struct kp_trace *t, const struct kp_chg_obs *o,
                    struct kp_chg_event *ev, struct kp_changes_key *key);

/* The key's prefix as "a.b.c.0/24" into buf (at least KP_CHANGES_PREFIX_LEN
 * bytes); returns buf. */
char *kp_changes_prefix_str(const struct kp_changes_key *key, char *buf, size_t len);

/* Keys tracked; changes emitted; traces fed out of order (above); hash-table
 * nodes visited so far (work counting). */
size_t kp_changes_keys(const struct kp_changes *c);
uint64_t kp_changes_events(const struct kp_changes *c);
uint64_t kp_changes_out_of_order(const struct kp_changes *c);
uint64_t kp_changes_steps(const struct kp_changes *c);

#endif
