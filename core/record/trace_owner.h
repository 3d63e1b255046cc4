/* SPDX-License-Identifier: BSD-2-Clause */
/* trace_owner.h — the run's traces in flight: trace id -> what it traces,
 * from the start of a trace to its record.
 *
 * The engine adds an entry for every trace it starts (its 32-bit id, the
 * destination, the method and the job's natural index) and takes it back
 * when the receive path delivers the trace's record. So every record is
 * checked against the plan: a record whose id has no entry (a second record
 * of one trace: a split) or whose destination or method differ from the
 * entry's is not one of this run's planned traces and is counted as such,
 * never silently written as if it were. Entries left when the run ends are
 * traces started that produced no record (their reasons are counted by the
 * engine). Each entry also carries a pointer the engine uses for the running
 * trace, and the probes it sent.
 *
 * Memory: the traces between their start and their record (those in flight),
 * not the run's. Pure: no I/O, clocks or globals; entries are allocated by
 * kp_trace_owners_add and freed by kp_trace_owners_take's caller
 * (kp_trace_owner_free) or kp_trace_owners_free.
 */
#ifndef KP_TRACE_OWNER_H
#define KP_TRACE_OWNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/addr.h"
#include "core/base/htab.h"
#include "core/record/trace.h"

struct kp_trace_owner {
    struct kp_htab_node node;
    uint64_t id;
    struct kp_addr dst;
    uint8_t method;       /* enum kp_method */
    uint64_t job;         /* natural index of the job (jobs.h) */
    uint32_t probes_sent; /* set by the engine when the trace ends */
    uint32_t send_failed; /* its sends the network refused for a moment (engine) */
    void *running;        /* the engine's running trace, NULL once it finished */
};

struct kp_trace_owners {
    struct kp_htab tab;
};

/* Whether a record matches the plan (kp_trace_owners_take). */
enum kp_owner_match {
    KP_OWNER_OK = 0,   /* the entry for its id, same destination and method */
    KP_OWNER_UNKNOWN,  /* no entry for its id */
    KP_OWNER_MISMATCH, /* an entry, but for another destination or method */
};

void kp_trace_owners_init(struct kp_trace_owners *o);

/* Free every entry and the table (the struct is left empty and reusable). */
void kp_trace_owners_free(struct kp_trace_owners *o);

/* Start trace `id` (not in the table) to dst with method m for job `job`.
 * The new entry, or NULL (no memory). */
struct kp_trace_owner *kp_trace_owners_add(struct kp_trace_owners *o, uint64_t id,
                                           const struct kp_addr *dst, enum kp_method m,
                                           uint64_t job);

/* The entry of trace id, or NULL. */
struct kp_trace_owner *kp_trace_owners_find(struct kp_trace_owners *o, uint64_t id);

/* The record t arrived: KP_OWNER_OK removes its entry and hands it to *out
 * (the caller frees it with kp_trace_owner_free); otherwise the table is
 * unchanged and *out is NULL. */
enum kp_owner_match kp_trace_owners_take(struct kp_trace_owners *o, const struct kp_trace *t,
                                         struct kp_trace_owner **out);
void kp_trace_owner_free(struct kp_trace_owner *e);

/* Entries in the table. */
size_t kp_trace_owners_count(const struct kp_trace_owners *o);

/* Call cb for every entry, then free them all (the end of a run). */
void kp_trace_owners_drain(struct kp_trace_owners *o,
                           void (*cb)(void *ctx, const struct kp_trace_owner *e), void *ctx);

#endif
