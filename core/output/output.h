/* SPDX-License-Identifier: BSD-2-Clause */
/* output.h — human and foreign forms of a finished kp_trace.
 *
 * kp_output_text: a table like Linux traceroute -n prints (one line per TTL,
 * '*' for an attempt without reply, "!X" & co after unreachable replies).
 * kp_output_atlas: one RIPE Atlas traceroute result object (fw 5000 layout).
 *
 * Pure: the functions write into a malloc'ed string the caller frees; no I/O,
 * no clocks, no globals.
 */
#ifndef KP_OUTPUT_H
#define KP_OUTPUT_H

#include <stddef.h>

#include "core/record/trace.h"
#include "core/verdict/verdict.h"

/* Traceroute-like table for *t (sorted or not; it is not modified):
 *
 *   traceroute to DST (ADDR), MAX hops max, SIZE byte packets
 *    1  198.18.0.1  0.123 ms  0.101 ms  0.099 ms
 *    2  * * *
 *    3  198.18.2.1  1.503 ms !X  1.498 ms !X  1.470 ms !X
 *
 * Lines go from first_ttl to the TTL where the trace stopped (stop_ttl) when
 * it completed or met an unreachable, else to the last TTL that answered or
 * stop_ttl, whichever is larger; one column per attempt sent: attempts up to the last one that
 * answered at that TTL (kptrace stops retrying a TTL that answered), or
 * trace->attempts stars for a silent TTL.
 * The address is printed when it differs from the previous reply on the line,
 * as traceroute does. Duplicate replies (KP_HOP_DUP) are not printed.
 * A TTL the record says was never probed (trace->probed_known; Doubletree
 * starts above the TTLs an earlier trace passed and skips those the /24's
 * first trace found silent) is no '*' ("probed, no answer"): its line says
 *    2  not probed
 * and, with KP_TEXT_DOUBLETREE, why (below the lowest TTL probed: the path
 * an earlier trace found; between TTLs probed: silent in the first trace):
 *    2  not probed (Doubletree: below a hop an earlier trace passed)
 *    5  not probed (Doubletree: silent in the /24's first trace)
 * flags: KP_TEXT_HEADER prints the "traceroute to" line first;
 * KP_TEXT_DOUBLETREE says the run used Doubletree (the reasons above).
 * Returns 0 with *out malloc'ed (caller frees), or -ENOMEM. */
#define KP_TEXT_HEADER     1u
#define KP_TEXT_DOUBLETREE 2u
int kp_output_text(const struct kp_trace *t, unsigned flags, char **out);

/* The same table with each printed address followed by its AS, as
 * `traceroute -A` does: " [AS4837]", " [AS4837/AS9929]" for several origins,
 * " [*]" when no source knows it. ann[i] annotates t->hops[i] (sources/
 * annotate.h); ann NULL gives exactly kp_output_text's table. */
int kp_output_text_asn(const struct kp_trace *t, const struct kp_hop_annot *ann, unsigned flags,
                       char **out);

/* The transit verdict of t (core/verdict) as one line for under the table,
 * no newline, e.g.
 *   transit: AS20485 TransTeleCom, reached (confidence 0.95); handoff TTL 6
 *   198.18.188.22 -> target TTL 9 198.19.177.1; heuristics: silent-gap
 * (one line). "transit: undetermined (confidence 0.00)" when no AS was
 * decided. The handoff and target parts appear when the verdict names those
 * hops (a hop borrowed from another trace by Doubletree stitching has its TTL
 * without an address); heuristics when any fired. Returns 0 with *out
 * malloc'ed (caller frees), or -ENOMEM. */
int kp_output_transit(const struct kp_trace *t, const struct kp_transit *v, char **out);

/* One RIPE Atlas traceroute result as compact JSON (no newline): fw, af,
 * dst_addr, dst_name, src_addr, from, proto, paris_id, size, timestamp,
 * endtime, msm_id, prb_id, type, result[] with {hop, result[]} where each
 * attempt is {from, rtt, size, ttl[, err][, late][, flags][, icmpext]} or
 * {"x":"*"}. See docs/format.md for how kptrace fields map to Atlas fields.
 * Returns 0 with *out malloc'ed (caller frees), -EINVAL (no destination) or
 * -ENOMEM. */
int kp_output_atlas(const struct kp_trace *t, char **out);

#endif
