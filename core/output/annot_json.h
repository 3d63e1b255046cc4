/* SPDX-License-Identifier: BSD-2-Clause */
/* annot_json.h — kpannotate's JSON output: annotated trace lines and summary
 * lines (formats in docs/format-annotated.md).
 *
 * Pure: builds text in memory (jansson); no I/O, no globals.
 */
#ifndef KP_ANNOT_JSON_H
#define KP_ANNOT_JSON_H

#include <stddef.h>

#include "core/verdict/summary.h"
#include "core/verdict/verdict.h"
#include "core/record/trace.h"

/* Where a trace came from, echoed in the "input" object (all may be NULL/0). */
struct kp_annot_origin {
    const char *kind; /* "kptrace", "atlas", "scamper", "pcap", ... */
    const char *file; /* path, "-" for stdin */
    unsigned long line;
};

/* One annotated trace as a JSON object without trailing newline: the kptrace
 * trace line (core/record/trace_json.h) with, per hop, "asn", "as_name",
 * "asn_source", "origins", "addr_class", "rdns", "ixp"; and at the top level
 * "dst_asn", "sweep", "input" and "transit" {asn, name, status, confidence,
 * evidence{...}}. ann has t->n_hops entries; dst_ann, origin, sweep may be
 * NULL. On success *out is malloc'ed (caller frees), *len its length (len
 * may be NULL). Returns 0, -EINVAL (t cannot be written: no destination) or
 * -ENOMEM. */
int kp_annot_trace_json(const struct kp_trace *t, const struct kp_hop_annot *ann,
                        const struct kp_hop_annot *dst_ann, const struct kp_transit *v,
                        const char *sweep, const struct kp_annot_origin *origin, char **out,
                        size_t *len);

/* One summary group as a JSON object without trailing newline: vp, prefix,
 * method, sweep, transit_asn, transit_name, status, traces, share, shares[],
 * control_plane_upstreams (null without a RIB answer), agrees (null when
 * unknown), mean_confidence, first, last. *out malloc'ed. 0 or -ENOMEM. */
int kp_annot_summary_json(const struct kp_summary_group *g, char **out, size_t *len);

#endif
