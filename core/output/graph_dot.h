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
 * By default the destinations are collapsed: a hop that is the trace's
 * destination (its address is the destination's, or the reply came from the
 * destination) becomes the node of the destination's prefix — the /24 (IPv4)
 * or /48 (IPv6) the summary groups by (kp_summary_prefix_of) — labelled with
 * the prefix and its number of distinct destinations; the edges into it are
 * merged and labelled with their number of traces, and a path ends there.
 * Routers stay one node per address, labelled with the address, the AS number
 * and the AS name (the annotation's, else the table of known ASes).
 * kp_graph_opts.hosts gives the former graph instead, one node per
 * destination address (byte for byte what kpannotate wrote before the
 * prefix nodes).
 *
 * Pure: builds text in memory; the graph owns its memory (kp_graph_free).
 * Nodes and edges are found through the one hash table (core/base/htab.h)
 * and kept in slabs: adding a trace costs O(hops), memory grows with the
 * distinct nodes, edges and destinations, not with the traces.
 */
#ifndef KP_GRAPH_DOT_H
#define KP_GRAPH_DOT_H

#include <stddef.h>
#include <stdint.h>

#include "core/base/trie.h"
#include "core/record/trace.h"
#include "core/verdict/verdict.h"

struct kp_graph;

/* How the graph is drawn and which traces go into it. */
struct kp_graph_opts {
    int hosts;                    /* 1: one node per destination address (the former graph) */
    const struct kp_prefix *only; /* non-NULL: only traces whose destination it covers */
};

/* New empty graph; the target set of c is copied (up to 64 ASes), and so is
 * o (NULL: the defaults, destinations collapsed, every trace).
 * 0, -EINVAL or -ENOMEM. */
int kp_graph_new(struct kp_graph **out, const struct kp_verdict_config *c,
                 const struct kp_graph_opts *o);

/* Add trace t (annotations ann[t->n_hops], verdict v may be NULL); a trace
 * outside the prefix of kp_graph_opts.only is left out (and returns 0).
 * 0 or -ENOMEM. */
int kp_graph_add(struct kp_graph *g, const struct kp_trace *t, const struct kp_hop_annot *ann,
                 const struct kp_transit *v);

/* The graph as DOT text: *out malloc'ed (caller frees), *len its length.
 * 0 or -ENOMEM. */
int kp_graph_dot(const struct kp_graph *g, char **out, size_t *len);

void kp_graph_free(struct kp_graph *g);

/* Counts, for tests: traces added (not left out by the prefix), nodes (both
 * levels, vantage points included), edges (both levels), and the hash-table
 * nodes visited so far by kp_graph_add (core/base/htab.h's steps): the work
 * stays linear in the hops added. */
size_t kp_graph_traces(const struct kp_graph *g);
size_t kp_graph_nodes(const struct kp_graph *g);
size_t kp_graph_edges(const struct kp_graph *g);
uint64_t kp_graph_steps(const struct kp_graph *g);

#endif
