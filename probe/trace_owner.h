/* trace_owner.h — which (destination, method) each trace id of a run belongs to.
 *
 * The live capture sees every packet from the source address, so when another
 * kptrace runs on the same host at the same time (a `kptrace trace` by hand
 * during a sweep), rx also recognises ITS probes and builds records for them:
 * their replies fail this run's keyed check, so those records have no hops and
 * a made-up stop reason. The engine notes, for every trace it starts, the
 * destination and method under its trace id, and writes only records that
 * match (kp_trace_owners_match); the rest are counted, not written.
 * (A foreign trace with the same id, destination and method as one of ours
 * is merged into ours by rx and cannot be told apart here.)
 *
 * Pure: no I/O, clocks or globals. The table is owned by the caller
 * (kp_trace_owners_init allocates, kp_trace_owners_free releases).
 */
#ifndef KP_TRACE_OWNER_H
#define KP_TRACE_OWNER_H

#include <stdbool.h>
#include <stdint.h>

#include "probe/addr.h"
#include "probe/trace.h"

struct kp_trace_owner {
    struct kp_addr dst;
    uint8_t method; /* enum kp_method */
    bool used;
};

struct kp_trace_owners {
    struct kp_trace_owner *e; /* n entries, indexed by trace id */
    uint32_t n;
};

/* An empty table for trace ids 0 .. n-1. 0 or -ENOMEM / -EINVAL (n 0). */
int kp_trace_owners_init(struct kp_trace_owners *o, uint32_t n);

/* Release the table (the struct is left empty; freeing twice is a no-op). */
void kp_trace_owners_free(struct kp_trace_owners *o);

/* Trace `id` of this run goes to dst with method m (replaces what the id held
 * before: ids are reused after n traces). Ids >= n are ignored. */
void kp_trace_owners_set(struct kp_trace_owners *o, uint64_t id, const struct kp_addr *dst,
                         enum kp_method m);

/* Whether record t (its id, dst and method) is one of this run's traces. */
bool kp_trace_owners_match(const struct kp_trace_owners *o, const struct kp_trace *t);

#endif
