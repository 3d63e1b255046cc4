/* SPDX-License-Identifier: BSD-2-Clause */
/* summary.h — per (vantage point, destination /24, method, sweep) aggregation
 * of transit verdicts.
 *
 * kpannotate feeds every trace's verdict in with kp_summary_add(); after
 * kp_summary_finish() each group holds the share of traces per (transit AS,
 * status), the majority, and — when the caller attached the control-plane
 * upstreams of the group's prefix from a RIB with kp_summary_set_upstreams() —
 * whether the data plane agrees.
 *
 * Groups are found through a hash table (core/base/htab.h), so adding a trace
 * costs O(1) whatever the number of groups, and a group holds O(1) memory
 * whatever its number of traces: counts, first/last times, at most
 * KP_SUMMARY_MAX_SHARES (AS, status) shares; names are kept once per
 * summary (interned), not once per group.
 *
 * Pure: no I/O, no clocks, no globals. The summary owns its memory
 * (kp_summary_free releases it); groups returned by kp_summary_group() stay
 * valid until the next kp_summary_add() or kp_summary_free().
 */
#ifndef KP_SUMMARY_H
#define KP_SUMMARY_H

#include <stddef.h>
#include <stdint.h>

#include "core/verdict/verdict.h"
#include "core/record/trace.h"

#define KP_SUMMARY_MAX_SHARES    16
#define KP_SUMMARY_MAX_UPSTREAMS 16
#define KP_SWEEP_LEN             64

struct kp_summary_share {
    uint32_t asn;
    enum kp_transit_status status;
    const char *name; /* "" unknown; owned by the summary */
    size_t traces;
    double share; /* traces / group traces, set by kp_summary_finish */
};

struct kp_summary_group {
    const char *vp;        /* owned by the summary, as every pointer below */
    struct kp_addr prefix; /* destination /24 (IPv4) or /48 (IPv6), host bits zero */
    uint8_t plen;
    enum kp_method method;
    const char *sweep; /* "" none (at most KP_SWEEP_LEN-1 bytes) */
    size_t traces;
    size_t other_traces;             /* traces whose (asn, status) did not fit in shares[] */
    struct kp_summary_share *shares; /* n_shares of them, at most KP_SUMMARY_MAX_SHARES */
    size_t n_shares;
    int majority; /* index into shares[], -1 when empty */
    double confidence_sum;
    int64_t first_ns, last_ns; /* start times of the group's traces (0 unknown) */
    uint32_t *upstreams;       /* control plane, from a RIB: n_upstreams of them */
    size_t n_upstreams;
    int agrees; /* 1 data plane agrees, 0 disagrees, -1 unknown (no RIB or no answer) */
};

struct kp_summary;

/* Allocate an empty summary into *out. 0 or -ENOMEM. */
int kp_summary_new(struct kp_summary **out);

/* Release s and everything it holds (NULL is fine). */
void kp_summary_free(struct kp_summary *s);

/* The group key prefix of a destination: /24 for IPv4, /48 for IPv6. */
void kp_summary_prefix_of(const struct kp_addr *dst, struct kp_addr *prefix, uint8_t *plen);

/* The vantage point a trace is grouped under: its vp, or when that is empty
 * its source address, written into buf (at least KP_ADDR_STRLEN bytes). */
const char *kp_summary_vp_of(const struct kp_trace *t, char *buf, size_t len);

/* Count trace t (its vp, dst, method, start time) with verdict v under sweep
 * label 'sweep' ("" allowed; truncated to KP_SWEEP_LEN-1). A trace with an
 * empty vp is grouped under its source address. 0, -EINVAL or -ENOMEM. */
int kp_summary_add(struct kp_summary *s, const struct kp_trace *t, const char *sweep,
                   const struct kp_transit *v);

/* Compute shares and majorities, and sort groups by (vp, prefix, method,
 * sweep). Call after the last add; calling again is harmless. The majority is
 * the (asn, status) with the most traces; ties go to reached, then filtered,
 * then incomplete, then undetermined, then the lower AS number. */
void kp_summary_finish(struct kp_summary *s);

/* Hash-table nodes visited so far by kp_summary_add (core/base/htab.h's steps):
 * for tests that check the work stays linear in the traces. */
uint64_t kp_summary_steps(const struct kp_summary *s);

/* Number of groups, and group i (0 <= i < count), NULL when out of range.
 * Before kp_summary_finish the order is the order of creation. */
size_t kp_summary_count(const struct kp_summary *s);
const struct kp_summary_group *kp_summary_group(const struct kp_summary *s, size_t i);

/* Attach the control-plane upstream(s) of group i's prefix (from a RIB at the
 * group's time) and set its 'agrees' flag: 1 when the majority verdict is
 * reached or filtered and its AS is among the upstreams, 0 when it is reached
 * or filtered through another AS, -1 when n == 0 or the majority is
 * incomplete or undetermined. Copies at most KP_SUMMARY_MAX_UPSTREAMS.
 * 0, -EINVAL or -ENOMEM. Call after kp_summary_finish(). */
int kp_summary_set_upstreams(struct kp_summary *s, size_t i, const uint32_t *asns, size_t n);

/* Column widths of the text table (0 = default: vp 16, prefix 18, sweep 12,
 * transit 28). kp_summary_fit_widths() widens them to fit every group. */
struct kp_summary_widths {
    int vp, prefix, sweep, transit;
};
void kp_summary_fit_widths(const struct kp_summary *s, struct kp_summary_widths *w);

/* Write an aligned text row for group g (no newline) into buf: vp, prefix,
 * method, sweep, majority transit (AS number and name), status, traces,
 * share, control-plane upstreams and agreement ("yes", "NO", "-"). w may be
 * NULL (defaults). Returns the snprintf-style length.
 * kp_summary_format_header() writes the matching header. */
int kp_summary_format_row(const struct kp_summary_group *g, const struct kp_summary_widths *w,
                          char *buf, size_t len);
int kp_summary_format_header(const struct kp_summary_widths *w, char *buf, size_t len);

#endif
