/* SPDX-License-Identifier: BSD-2-Clause */
/* graph_dot.h — `kpannotate --graph FILE.dot`: the paths from each vantage
 * point into the target, as graphviz text.
 *
 * Two clusters in one digraph: the router level (one node per responding
 * address, edges between consecutive responding TTLs, dashed with the number
 * of silent TTLs when there is a gap) and the AS level (one node per AS,
 * edges between consecutive distinct ASes of a path, labelled with the
 * number of traces; the transit's edge into the target drawn bold). Nodes
 * are coloured by AS: China Unicom red, TransTeleCom blue, Intelsat orange,
 * the target green, any other AS a colour derived from its number, unknown
 * grey.
 *
 * Pure: builds text in memory; the graph owns its memory (kp_graph_free).
 * Node and edge lookups are linear: fine for sweeps of a few thousand
 * distinct addresses.
 */
#ifndef KP_GRAPH_DOT_H
#define KP_GRAPH_DOT_H

#include <stddef.h>

#include "core/verdict/verdict.h"
#include "core/record/trace.h"

struct kp_graph;

/* New empty graph; the target set of c is copied (up to 64 ASes).
 * 0, -EINVAL or -ENOMEM. */
int kp_graph_new(struct kp_graph **out, const struct kp_verdict_config *c);

/* Add trace t (annotations ann[t->n_hops], verdict v may be NULL).
 * 0 or -ENOMEM. */
int kp_graph_add(struct kp_graph *g, const struct kp_trace *t, const struct kp_hop_annot *ann,
                 const struct kp_transit *v);

/* The graph as DOT text: *out malloc'ed (caller frees), *len its length.
 * 0 or -ENOMEM. */
int kp_graph_dot(const struct kp_graph *g, char **out, size_t *len);

void kp_graph_free(struct kp_graph *g);

#endif
